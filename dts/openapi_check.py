# SPDX-License-Identifier: BSD-3-Clause
"""Check REST responses against doc/api/openapi.yaml (OpenAPI 3.0)."""
import copy
import pathlib
import re

import jsonschema
import yaml

SPEC_PATH = pathlib.Path(__file__).resolve().parent.parent / "doc" / "api" / "openapi.yaml"
_spec = None


def spec():
    global _spec
    if _spec is None:
        _spec = yaml.safe_load(SPEC_PATH.read_text())
    return _spec


def _to_jsonschema(node):
    """OpenAPI 3.0 'nullable' -> JSON Schema type lists; recurse."""
    if isinstance(node, dict):
        out = {k: _to_jsonschema(v) for k, v in node.items() if k != "nullable"}
        if node.get("nullable"):
            t = out.get("type")
            if isinstance(t, str):
                out["type"] = [t, "null"]
            elif "$ref" in out or "allOf" in out or "oneOf" in out:
                out = {"anyOf": [out, {"type": "null"}]}
        return out
    if isinstance(node, list):
        return [_to_jsonschema(x) for x in node]
    return node


PROBLEM_405 = {"responses": {"405": {"content": {"application/problem+json": {
    "schema": {"$ref": "#/components/schemas/Problem"}}}}}}


def _operation(path, method, status):
    known = False
    # The most specific template first: /sets/{name}/entries before /sets/{name}
    # (a parameter may hold a '/', as a route's prefix does).
    paths = sorted(spec()["paths"].items(),
                   key=lambda kv: -len(re.sub(r"\{[^}]+\}", "", kv[0])))
    for tmpl, item in paths:
        rx = "^" + re.sub(r"\\\{[^}]+\\\}", ".+", re.escape(tmpl)) + "$"
        if re.match(rx, path):
            known = True
            op = item.get(method.lower())
            if op is not None:
                return tmpl, op
    if known and status == 405:
        return path, PROBLEM_405  # a method the path does not have
    raise AssertionError(f"{method} {path}: not in openapi.yaml")


def check(path, method, status, content_type, body):
    """Raise if the response does not match the spec."""
    tmpl, op = _operation(path.split("?")[0], method, status)
    responses = op["responses"]
    resp = responses.get(str(status)) or responses.get("default")
    assert resp is not None, f"{method} {tmpl}: status {status} not documented"
    if "$ref" in resp:
        resp = spec()["components"]["responses"][resp["$ref"].rsplit("/", 1)[1]]
    content = {k.split(";")[0].strip(): v for k, v in resp.get("content", {}).items()}
    ctype = content_type.split(";")[0].strip()
    assert ctype in content, f"{method} {tmpl} {status}: content type {ctype} not documented"
    schema = content[ctype].get("schema")
    if ctype.startswith("text/"):
        return
    if schema is None or body is None:
        return
    root = _to_jsonschema(copy.deepcopy(spec()))
    validator = jsonschema.Draft7Validator(
        _to_jsonschema(schema), resolver=jsonschema.RefResolver.from_schema(root))
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, f"{method} {tmpl} {status}: " + "; ".join(
        f"{list(e.path)}: {e.message}" for e in errors[:5])

# SPDX-License-Identifier: BSD-3-Clause
"""The shipped Grafana dashboard, proven through the Prometheus Grafana would
query: for every scenario in doc/grafana/scenarios.json, sluice runs the
scenario's traffic while a real Prometheus scrapes it, then every target of
every panel in the scenario's rows is evaluated over Prometheus's HTTP API
and must return at least one series. The dashboard JSON is checked too.

    [DUT namespace: sluice :8080  <-- prometheus :9093 scrapes every 1s]
    h1 --[lan | sluice (2 workers) | wan]-- h2
"""
import copy
import json
import re
import subprocess
import time
import urllib.parse

import pytest

from conftest import ROOT, demo_config

GRAFANA = ROOT / "doc" / "grafana"
DASHBOARD = json.loads((GRAFANA / "sluice.json").read_text())
SCENARIOS = json.loads((GRAFANA / "scenarios.json").read_text())["scenarios"]
PROM_PORT = 9093
RATE_INTERVAL = "5s"     # $__rate_interval for a 1 s scrape interval
INSTANCE = "127.0.0.1:8080"
# Series Prometheus makes itself, not sluice.
PROMETHEUS_OWN = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                  "scrape_samples_post_metric_relabeling", "scrape_series_added"}
PROMQL_WORDS = {"sum", "by", "rate", "increase", "count", "histogram_quantile", "time",
                "without", "on", "group_left", "le", "max", "min", "avg", "irate", "and",
                "or", "unless", "ignoring", "topk", "bottomk"}


def all_panels(panels=None):
    """Every panel, rows included, also those inside collapsed rows."""
    for p in DASHBOARD["panels"] if panels is None else panels:
        yield p
        yield from all_panels(p.get("panels", []))


def rows_with_panels():
    """{row title: [panels]} in dashboard order (rows not collapsed)."""
    rows, current = {}, None
    for p in DASHBOARD["panels"]:
        if p["type"] == "row":
            current = p["title"]
            rows[current] = list(p.get("panels", []))
        else:
            assert current is not None, f"panel {p['title']!r} is above every row"
            rows[current].append(p)
    return rows


def expr_of(target):
    return (target["expr"].replace("${instance}", "$instance")
            .replace("$instance", re.escape(INSTANCE).replace("\\", "\\\\"))
            .replace("${__rate_interval}", RATE_INTERVAL)
            .replace("$__rate_interval", RATE_INTERVAL))


def metric_names(expr):
    """Metric names in a PromQL expression (identifiers not followed by '(')."""
    text = re.sub(r'"[^"]*"', '""', expr)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    text = re.sub(r"\{[^}]*\}", "", text)
    names = set()
    for m in re.finditer(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?", text):
        if m.group(2) or m.group(1) in PROMQL_WORDS:
            continue
        names.add(m.group(1))
    return names


def merge(base, patch):
    """Objects merged key by key, lists element by element, the rest replaced."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            out[k] = merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    if isinstance(base, list) and isinstance(patch, list):
        out = list(base)
        for i, v in enumerate(patch):
            out[i] = merge(base[i], v) if i < len(base) else copy.deepcopy(v)
        return out
    return copy.deepcopy(patch)


# ---- the JSON itself ---------------------------------------------------

# Test that the dashboard is in Grafana's current model with the two variables.
def test_dashboard_model():
    assert DASHBOARD["schemaVersion"] >= 39
    assert DASHBOARD["uid"] and DASHBOARD["title"]
    variables = {v["name"]: v for v in DASHBOARD["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    inst = variables["instance"]
    assert inst["type"] == "query"
    assert inst["definition"] == "label_values(sluice_build_info, instance)"
    assert inst["datasource"] == {"type": "prometheus", "uid": "${datasource}"}


# Test that panel ids are unique, grid positions stay in 24 columns and do not
# overlap, and every panel has a title, a unit and a description.
def test_panels_layout_and_text():
    panels = list(all_panels())
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), ids
    cells = {}
    for p in panels:
        g = p["gridPos"]
        assert g["x"] >= 0 and g["w"] > 0 and g["x"] + g["w"] <= 24, p["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{p['title']!r} overlaps {cells[(x, y)]!r}"
                cells[(x, y)] = p["title"]
        assert p.get("title"), p
        if p["type"] == "row":
            continue
        assert p["fieldConfig"]["defaults"].get("unit"), p["title"]
        assert len(p.get("description", "")) > 40, p["title"]
        assert p["targets"], p["title"]


# Test that every panel and every target queries through the datasource variable.
def test_targets_use_the_datasource_variable():
    for p in all_panels():
        if p["type"] == "row":
            continue
        assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, p["title"]
        for t in p["targets"]:
            assert t["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, p["title"]
            assert "$instance" in t["expr"] or "${instance}" in t["expr"], (p["title"], t["expr"])


# Test that every row is fed by exactly one scenario.
def test_every_row_has_a_scenario():
    rows = rows_with_panels()
    fed = [r for s in SCENARIOS.values() for r in s["rows"]]
    assert sorted(fed) == sorted(rows), (fed, list(rows))
    assert all(rows.values()), "a row without panels"


# Test that the metric-name extraction used below really finds names.
def test_metric_names_extraction():
    assert metric_names('sum by (reason) (rate(sluice_drop_packets_total{instance=~"a"}[5s]))') \
        == {"sluice_drop_packets_total"}
    assert metric_names("time() - sluice_start_time_seconds{x=\"y\"}") == {"sluice_start_time_seconds"}
    assert metric_names("histogram_quantile(0.99, sum by (le) (rate(a_bucket[1m])))") == {"a_bucket"}


# ---- the proof against a real Prometheus -----------------------------------

class Prometheus:
    def __init__(self, topo, tmp_path):
        self.topo = topo
        cfg = tmp_path / "prometheus.yml"
        cfg.write_text(json.dumps({
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [{"job_name": "sluice",
                                "static_configs": [{"targets": [INSTANCE]}]}],
        }))
        self.proc = topo.popen("dut", "prometheus", f"--config.file={cfg}",
                               f"--storage.tsdb.path={tmp_path / 'prometheus-data'}",
                               f"--web.listen-address=127.0.0.1:{PROM_PORT}",
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def get(self, path, **params):
        url = f"http://127.0.0.1:{PROM_PORT}{path}?" + urllib.parse.urlencode(params)
        r = self.topo.run("dut", "curl", "-sS", "--max-time", "10", url, check=False)
        if r.returncode != 0 or not r.stdout:
            return None
        try:
            return json.loads(r.stdout)
        except json.JSONDecodeError:
            return None     # still starting: "Service Unavailable" in plain text

    def query_range(self, expr, start, end):
        return self.get("/api/v1/query_range", query=expr, start=f"{start:.3f}",
                        end=f"{end:.3f}", step="1")

    def wait_up(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = self.get("/api/v1/query", query=f'up{{instance="{INSTANCE}"}}')
            if r and r["data"]["result"] and r["data"]["result"][0]["value"][1] == "1":
                return
            time.sleep(0.5)
        raise AssertionError("Prometheus never scraped sluice")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


class Scenario:
    """Runs one scenario's steps against a running sluice."""

    def __init__(self, topo, sluice):
        self.topo = topo
        self.sluice = sluice
        self.background = []
        self.macs = {"lan_mac": topo.mac("dut", "lan0"), "wan_mac": topo.mac("dut", "wan0")}

    def step(self, st):
        if "run" in st:
            host, *argv = st["run"]
            self.topo.run(host, *argv, check=st.get("check", True), timeout=60)
        elif "background" in st:
            host, *argv = st["background"]
            self.background.append(self.topo.popen(host, *argv, stdout=subprocess.DEVNULL,
                                                   stderr=subprocess.DEVNULL))
        elif "sleep" in st:
            time.sleep(st["sleep"])
        elif "api" in st:
            a = st["api"]
            body = a.get("body")
            if body == "$config":
                body = merge(self.sluice.api("/api/v1/config"), a.get("patch", {}))
            self.sluice.api(a["path"], method=a["method"], body=body, expect=a["expect"])
        elif "scapy" in st:
            sc = st["scapy"]
            packet = sc["packet"].format(**self.macs)
            script = ("from scapy.all import *\n"
                      f"sendp({packet}, iface='eth0', count={int(sc['count'])}, verbose=False)\n")
            self.topo.run(sc["host"], "/usr/bin/python3", "-c", script, timeout=60)
        else:
            raise AssertionError(f"unknown scenario step {st}")

    def close(self):
        for p in self.background:
            if p.poll() is None:
                p.kill()
            p.wait()


# Test that, scenario by scenario, every target of every panel returns at least
# one series from a real Prometheus, and every sluice_ metric the dashboard
# names exists on /metrics.
def with_files(value, files, tmp_path):
    """@value with "$files" (the scenario's files' directory) and
    "$pub:<file>" (the WireGuard public key of a key file) filled in."""
    if isinstance(value, dict):
        return {k: with_files(v, files, tmp_path) for k, v in value.items()}
    if isinstance(value, list):
        return [with_files(v, files, tmp_path) for v in value]
    if isinstance(value, str) and value.startswith("$pub:"):
        return subprocess.run(["wg", "pubkey"], input=files[value[5:]] + "\n", text=True,
                              capture_output=True, check=True).stdout.strip()
    if isinstance(value, str):
        return value.replace("$files", str(tmp_path))
    return value


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_panels_show_data(topo, sluice_factory, tmp_path, name):
    # Files a scenario needs (test keys: secrets only in name), mode 0600.
    files = SCENARIOS[name].get("files", {})
    for fname, text in files.items():
        path = tmp_path / fname
        path.write_text(text + "\n")
        path.chmod(0o600)
    sc = with_files(SCENARIOS[name], files, tmp_path)
    s = sluice_factory(config=merge(demo_config(), sc.get("config", {})),
                       lcores=sc.get("lcores"))
    prom = Prometheus(topo, tmp_path)
    run = Scenario(topo, s)
    try:
        prom.wait_up()
        start = time.time()
        for st in sc["steps"]:
            run.step(st)
        # Let a few scrapes land after the last step, then look at the window.
        time.sleep(4)
        end = time.time()

        exposed = {line.split("{")[0].split(" ")[0]
                   for line in s.curl("/metrics")["text"].splitlines()
                   if line and not line.startswith("#")}
        rows = rows_with_panels()
        empty, unknown = [], []
        for row in sc["rows"]:
            for p in rows[row]:
                for t in p["targets"]:
                    expr = expr_of(t)
                    for m in metric_names(expr):
                        if m not in exposed and m not in PROMETHEUS_OWN:
                            unknown.append((p["title"], m))
                    r = prom.query_range(expr, start, end)
                    assert r is not None and r["status"] == "success", (p["title"], expr, r)
                    if not r["data"]["result"]:
                        empty.append(f"{row} / {p['title']} / {t['refId']}: {expr}")
        assert unknown == [], unknown
        assert empty == [], "panels without data:\n" + "\n".join(empty)
    finally:
        run.close()
        prom.stop()

# SPDX-License-Identifier: BSD-3-Clause
"""The Prometheus alert rules in doc/prometheus: promtool accepts them, their
unit tests pass, fire and clear every alert, and fail when a rule is broken.

    doc/prometheus/sluice-rules.yml  <-- promtool check rules
    doc/prometheus/sluice-rules.test.yml  <-- promtool test rules

No sluice, no namespaces: promtool and the two YAML files only.
"""
import pathlib
import re
import shutil
import subprocess

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
RULES_DIR = ROOT / "doc" / "prometheus"
RULES = RULES_DIR / "sluice-rules.yml"
TESTS = RULES_DIR / "sluice-rules.test.yml"
# Where /metrics is written: metrics.c and the features' own api_*.c.
METRICS_C = sorted((ROOT / "app" / "sluice").glob("*.c"))

ALERTS = {
    "SluiceDown", "SluiceAbsent", "SluiceWorkerStalled", "SluicePortDown",
    "SluiceDropRatioHigh", "SluiceNicRxMissed", "SluiceMbufPoolLow",
    "SluiceConfigRejected", "SluiceNeighborTableNearlyFull", "SluiceFlowTableNearlyFull",
    "SluiceBackendDown", "SluiceServiceNoBackend", "SluiceNatPortsExhausted",
    "SluiceShieldDropping", "SluiceSourceTableFull", "SluiceBlocksSpiking", "SluiceSetFull",
    "SluiceSynFlood", "SluiceQosClassDropping", "SluiceWireguardPeersLost",
}


def promtool(*args, cwd=RULES_DIR):
    return subprocess.run(["promtool", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def alert_rules():
    groups = yaml.safe_load(RULES.read_text())["groups"]
    assert [g["name"] for g in groups] == ["sluice"]
    return [r for r in groups[0]["rules"] if "alert" in r]


# Test that promtool check rules accepts the rules file and counts every alert.
def test_check_rules():
    r = promtool("check", "rules", RULES.name)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert f"SUCCESS: {len(ALERTS)} rules found" in out, out
    assert {a["alert"] for a in alert_rules()} == ALERTS


# Test that promtool test rules passes every unit test case.
def test_unit_tests_pass():
    r = promtool("test", "rules", TESTS.name)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "SUCCESS" in out and "FAILED" not in out, out


# Test that every alert has a for:, a severity, a summary and a description.
def test_alerts_are_documented():
    for a in alert_rules():
        name = a["alert"]
        assert re.fullmatch(r"\d+[smh]", str(a.get("for", ""))), f"{name}: for: {a.get('for')!r}"
        assert a.get("labels", {}).get("severity") in ("critical", "warning"), name
        ann = a.get("annotations", {})
        assert ann.get("summary", "").strip(), f"{name}: no summary"
        assert len(ann.get("description", "").strip()) > 80, f"{name}: description too short"


# Test that every alert has a unit test where it fires and one where it does not.
def test_every_alert_fires_and_clears():
    tests = yaml.safe_load(TESTS.read_text())
    assert tests["rule_files"] == [RULES.name]
    fires, quiet = set(), set()
    for group in tests["tests"]:
        for case in group.get("alert_rule_test", []):
            (fires if case.get("exp_alerts") else quiet).add(case["alertname"])
    assert fires >= ALERTS, f"never fires: {sorted(ALERTS - fires)}"
    assert quiet >= ALERTS, f"never checked quiet: {sorted(ALERTS - quiet)}"
    assert fires | quiet <= ALERTS, f"unknown alerts: {sorted((fires | quiet) - ALERTS)}"


# Test that every sluice_* metric the rules and their tests use is one sluice exports.
def test_rules_use_exported_metrics():
    exported = set(re.findall(r'"(sluice_[a-z0-9_]+)"', "".join(f.read_text() for f in METRICS_C)))
    used = set()
    for a in alert_rules():
        used |= set(re.findall(r"\bsluice_[a-z0-9_]+", a["expr"]))
    for group in yaml.safe_load(TESTS.read_text())["tests"]:
        for s in group.get("input_series", []):
            name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", s["series"]).group(0)
            assert name == "up" or name.startswith("sluice_"), name
            used |= {name} - {"up"}
    assert used, "no sluice metric found in the rules"
    assert used <= exported, f"not in app/sluice: {sorted(used - exported)}"


# Test that the unit tests fail when a threshold is broken (mbuf pool ratio 0.1 -> 0.0).
def test_unit_tests_catch_a_broken_rule(tmp_path):
    text = RULES.read_text()
    assert text.count("< 0.1\n") == 1
    (tmp_path / RULES.name).write_text(text.replace("< 0.1\n", "< 0.0\n"))
    shutil.copy(TESTS, tmp_path / TESTS.name)
    assert promtool("check", "rules", RULES.name, cwd=tmp_path).returncode == 0
    r = promtool("test", "rules", TESTS.name, cwd=tmp_path)
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    assert "alertname: SluiceMbufPoolLow" in out, out

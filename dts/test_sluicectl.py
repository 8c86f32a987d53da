# SPDX-License-Identifier: BSD-3-Clause
"""sluicectl against a running sluice: tables, --json, changes, exit codes.

    [DUT namespace: sluice API 127.0.0.1:8080 <- sluicectl]
    h1 --[lan | sluice | wan]-- h2 (lo 10.3.0.5)
"""
import json
import os

import pytest

from conftest import SLUICECTL, demo_config, ping

TOKEN = "ctl-test-token"


@pytest.fixture
def ctl(topo, sluice_factory, tmp_path):
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n")
    os.chmod(token, 0o600)
    cfg = demo_config()
    cfg["api"]["token_file"] = str(token)
    s = sluice_factory(cfg, token=TOKEN)

    def run(*args, token_file=token, check=False):
        extra = ["--token-file", token_file] if token_file else []
        return topo.run("dut", SLUICECTL, *extra, *args, check=check)
    run.sluice = s
    return run


# Test that status and ports print tables with the real values.
def test_status_and_ports_tables(topo, ctl):
    r = ctl("status")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("sluice 0.1.0, up ")
    assert "config generation 1" in r.stdout
    r = ctl("ports")
    lines = r.stdout.splitlines()
    assert lines[0].split()[:4] == ["NAME", "DRIVER", "MAC", "MTU"]
    lan = [l for l in lines if l.startswith("lan ")][0].split()
    assert lan[1] == "net_af_packet" and lan[2] == topo.mac("dut", "lan0") and lan[3] == "1500"


# Test that --json prints the server's JSON unchanged in content.
def test_json_output(ctl):
    out = json.loads(ctl("--json", "status").stdout)
    assert out["config_generation"] == 1 and out["version"] == "0.1.0"
    assert [p["name"] for p in json.loads(ctl("--json", "ports").stdout)["ports"]] == ["lan", "wan"]


# Test that routes add/del change forwarding, and the routes table shows them.
def test_routes_add_del(topo, ctl):
    topo.run("h2", "ip", "addr", "add", "10.3.0.5/32", "dev", "lo")
    try:
        r = ctl("routes", "add", "10.3.0.0/24", "via", "10.2.0.2")
        assert r.returncode == 0, r.stderr
        assert "3 received" in ping(topo, "h1", "10.3.0.5").stdout
        table = ctl("routes").stdout.splitlines()
        assert table[0].split() == ["PREFIX", "TYPE", "VIA", "PORT", "SOURCE"]
        assert ["10.3.0.0/24", "unicast", "10.2.0.2", "wan", "static"] in [l.split() for l in table]
        assert ctl("routes", "del", "10.3.0.0/24").returncode == 0
        assert "Net Unreachable" in topo.run("h1", "ping", "-c1", "-W2", "10.3.0.5",
                                             check=False).stdout
        r = ctl("routes", "del", "10.3.0.0/24")
        assert r.returncode == 2 and "no static route for 10.3.0.0/24" in r.stderr
    finally:
        topo.run("h2", "ip", "addr", "del", "10.3.0.5/32", "dev", "lo", check=False)


# Test config diff exit codes (0 same, 1 different) and that apply changes the generation.
def test_config_diff_apply(ctl, tmp_path):
    cur = tmp_path / "cur.json"
    cur.write_text(ctl("config", "get").stdout)
    assert ctl("config", "diff", cur).returncode == 0
    cfg = json.loads(cur.read_text())
    cfg["ports"][1]["mtu"] = 1400
    new = tmp_path / "new.json"
    new.write_text(json.dumps(cfg))
    r = ctl("config", "diff", new)
    assert r.returncode == 1 and "ports[wan].mtu" in r.stdout
    assert ctl.sluice.api("/api/v1/status")["config_generation"] == 1
    r = ctl("config", "apply", new)
    assert r.returncode == 0, r.stderr
    assert ctl.sluice.api("/api/v1/status")["config_generation"] == 2
    cfg["ports"][1]["mtu"] = 99999
    new.write_text(json.dumps(cfg))
    r = ctl("config", "apply", new)
    assert r.returncode == 2
    assert "ports[1].mtu: 99999 is out of range 68..9600" in r.stderr


# Test the error exits: wrong token 2, unreachable 3, usage 64; health 0 when ready.
def test_exit_codes(ctl, tmp_path):
    bad = tmp_path / "bad"
    bad.write_text("nope\n")
    os.chmod(bad, 0o600)
    r = ctl("status", token_file=bad)
    assert r.returncode == 2 and "invalid bearer token" in r.stderr
    assert TOKEN not in r.stderr + r.stdout
    assert ctl("--api", "http://127.0.0.1:9", "status").returncode == 3
    assert ctl("frobnicate").returncode == 64
    assert ctl("health", token_file=None).returncode == 0

# SPDX-License-Identifier: BSD-3-Clause
"""Reputation and blocks, with two workers on two-queue ports.

    h1 10.1.0.2, h3 10.1.0.3 (lan) --[lan | sluice, 2 workers | wan]-- h2 10.2.0.2, h4 10.2.0.3

A scan (nmap) raises its source's score past the threshold: the source is
blocked, for longer each time; blocks by hand take effect on the next
packet and survive a restart.
"""
import re
import time

import pytest

from conftest import API_PORT, SLUICECTL, Sluice, demo_config, ping, topology

LCORES = "0@0,1@1,2@1"


@pytest.fixture(scope="module")
def topo():
    yield from topology("sp", hosts=2)


@pytest.fixture(scope="module")
def dut(topo, tmp_path_factory):
    cfg = demo_config()
    cfg["ports"][1]["zone"] = "outside"
    cfg["flow"] = {"max_connections": 8192}
    cfg["ratelimit"] = {"max_sources": 4096, "reputation": {
        "threshold": 50, "weights": {"scan": 100}, "scan_ports": 10, "scan_window": "10s",
        "block": "3s", "block_max": "1m"}}
    s = Sluice(topo, tmp_path_factory.mktemp("sluice"), cfg, lcores=LCORES)
    s.start()
    for h, dst in (("h1", "10.2.0.2"), ("h3", "10.2.0.2"), ("h1", "10.2.0.3")):
        ping(topo, h, dst, count=1)
    yield s
    s.stop()


def blocks(dut):
    return {b["source"]: b for b in dut.api("/api/v1/blocks")["blocks"]}


def scan(topo, host="h3", target="10.2.0.2"):
    topo.run(host, "nmap", "-sS", "-n", "-Pn", "-T4", "--max-retries", "0",
             "--host-timeout", "20s", "-p", "1-200", target, check=False, timeout=60)


# Test a scan: its source is blocked within seconds (nothing from it passes,
# counted as blocked), other hosts are not affected, the block ends by
# itself after its length, and a second offence blocks twice as long.
def test_scan_blocks_and_doubles(topo, dut):
    before = dut.drops()["blocked"]
    t0 = time.time()
    scan(topo)
    b = blocks(dut)
    assert "10.1.0.3/32" in b and b["10.1.0.3/32"]["cause"] == "scan", b
    assert b["10.1.0.3/32"]["offences"] == 1 and b["10.1.0.3/32"]["expires_in_seconds"] <= 3
    assert time.time() - t0 < 25
    assert " 0 received" in ping(topo, "h3", "10.2.0.2", count=2, check=False).stdout
    assert dut.drops()["blocked"] - before >= 2
    assert " 3 received" in ping(topo, "h1", "10.2.0.2").stdout       # others pass
    assert "blocked 10.1.0.3/32 for 3 s: scan" in dut.logs()
    m = dut.metrics()
    assert m[("sluice_blocks_added_total", frozenset({("cause", "scan")}))] == 1
    # It ends by itself.
    deadline = time.time() + 6
    while "10.1.0.3/32" in blocks(dut):
        assert time.time() < deadline
        time.sleep(0.2)
    assert " 2 received" in ping(topo, "h3", "10.2.0.2", count=2).stdout
    assert "unblocked 10.1.0.3/32 (scan, offence 1)" in dut.logs()
    # Again, after the scan window: twice as long.
    time.sleep(10)
    scan(topo)
    b = blocks(dut)["10.1.0.3/32"]
    assert b["offences"] == 2 and 3 < b["expires_in_seconds"] <= 6, b
    assert dut.metrics()[("sluice_blocks_expired_total", frozenset())] >= 1


# Test a block by hand: the next packet is refused; it is listed with its
# reason, survives a restart, and lifting it lets the source through again.
def test_manual_block_survives_restart(topo, dut):
    r = dut.api("/api/v1/blocks", method="POST", expect=201,
                body={"source": "10.2.0.3", "duration": "10m", "reason": "ticket 42"})
    assert r["source"] == "10.2.0.3/32" and r["reason"] == "ticket 42"
    # h1's pings reach h4; its replies, from the blocked source, do not.
    assert " 0 received" in ping(topo, "h1", "10.2.0.3", count=2, check=False).stdout
    stored = dut.config_path.parent / "sluice.json.blocks"
    mine = stored / "ffffffff0a020003.json"        # the source's table key, in hex
    assert mine.exists(), list(stored.iterdir())
    dut.stop()
    dut.start()
    b = blocks(dut)["10.2.0.3/32"]
    assert b["cause"] == "manual" and b["reason"] == "ticket 42" and b["expires_in_seconds"] > 590
    assert re.search(r"restored [12] blocks from ", dut.logs())      # h3's may still run
    # h1's pings reach h4; its replies, from the blocked source, do not.
    assert " 0 received" in ping(topo, "h1", "10.2.0.3", count=2, check=False).stdout
    out = topo.run("dut", SLUICECTL, "--api", f"http://127.0.0.1:{API_PORT}", "blocks").stdout
    assert any(line.split()[:2] == ["10.2.0.3/32", "manual"] for line in out.splitlines()), out
    dut.api("/api/v1/blocks/10.2.0.3", method="DELETE")
    assert " 2 received" in ping(topo, "h1", "10.2.0.3", count=2).stdout
    assert not mine.exists()
    r = dut.curl("/api/v1/blocks/10.2.0.3", method="DELETE", check=False)
    assert r["status"] == 404
    for body, field in (({"source": "nope", "duration": "1m"}, "source"),
                        ({"source": "10.2.0.3", "duration": "1"}, "duration")):
        r = dut.curl("/api/v1/blocks", method="POST", body=body, check=False)
        assert r["status"] == 422 and field in r["body"]["detail"], r


# Test a scan from the outside zone: its probes find no connection (dropped
# as no_connection, never creating one) and still count as a scan. The
# probes go unanswered, so nmap runs longer than the 3 s block: the block is
# watched for while it scans.
def test_scan_from_outside(topo, dut):
    before = dut.drops()["no_connection"]
    nmap = topo.popen("h4", "nmap", "-sS", "-n", "-Pn", "-T4", "--max-retries", "0",
                      "--host-timeout", "20s", "-p", "1-200", "10.1.0.2",
                      stdout=open("/dev/null", "w"))
    try:
        deadline = time.time() + 20
        while "10.2.0.3/32" not in blocks(dut):
            assert time.time() < deadline, dut.drops()["no_connection"] - before
            time.sleep(0.1)
        assert blocks(dut)["10.2.0.3/32"]["cause"] == "scan"
        assert dut.drops()["no_connection"] - before >= 10
    finally:
        nmap.kill()
        nmap.wait()


# Test the exemption: a source in the reputation's exempt set scans like
# h3 did above and is not blocked (its score is kept); a block by hand
# still applies to it.
def test_exempt_set_never_blocked_automatically(topo, dut):
    cfg = dut.api("/api/v1/config")
    cfg["sets"] = [{"name": "allowlist", "max_ipv4": 16, "max_ipv6": 16}]
    cfg["ratelimit"]["reputation"]["exempt_set"] = "allowlist"
    dut.api("/api/v1/config", method="PUT", body=cfg)
    dut.api("/api/v1/sets/allowlist/entries", method="POST", body={"add": ["10.1.0.0/28"]})
    scan(topo, host="h1", target="10.2.0.3")
    assert "10.1.0.2/32" not in blocks(dut)
    top = {s["source"]: s for s in dut.api("/api/v1/sources/top?by=packets")["sources"]}
    assert top["10.1.0.2/32"]["score"] >= 50, top["10.1.0.2/32"]
    assert " 3 received" in ping(topo, "h1", "10.2.0.3").stdout
    dut.api("/api/v1/blocks", method="POST", body={"source": "10.1.0.2", "duration": "1m"},
            expect=201)
    assert " 0 received" in ping(topo, "h1", "10.2.0.3", count=2, check=False).stdout
    dut.api("/api/v1/blocks/10.1.0.2", method="DELETE")
    assert dut.api("/api/v1/sets/allowlist")["exempt_from_blocks"] is True

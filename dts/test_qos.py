# SPDX-License-Identifier: BSD-3-Clause
"""QoS: a shaped port holds its rate, two workers on two-queue ports.

    h1 10.1.0.2, h3  --[lan | sluice, 2 workers | wan, shaped]--  h2 10.2.0.2, h4

The wan port is shaped to 100 Mbit/s on the wire (frame + 24 bytes of
preamble, FCS and gap): class "high" (SSH and DSCP EF) 40 % guaranteed,
80 % ceiling, prio 0; class "low" (the rest) 60 % / 100 %, prio 1. TCP from
h1 to h2 crosses both workers (the lan port's two queues), so every packet
but the owner's own reaches the wan port's scheduler through a ring.
"""
import json
import subprocess
import time

import pytest

from conftest import (API_PORT, ROOT, SLUICE, SLUICECTL, Sluice, demo_config, metric_sum,
                      topology)

LCORES = "0@0,1@1,2@1"
RATE = 100_000_000
OVERHEAD = 24


@pytest.fixture(scope="module")
def topo():
    yield from topology("qs", hosts=2)


@pytest.fixture(scope="module")
def dut(topo, tmp_path_factory):
    cfg = demo_config()
    cfg["qos"] = {"ports": [{
        "port": "wan", "rate": "100Mbit", "default": "low",
        "classes": [
            {"name": "high", "rate": "40%", "ceil": "80%", "prio": 0,
             "match": [{"proto": "tcp", "dport": 22}, {"dscp": 46}]},
            {"name": "low", "rate": "60%", "ceil": "100%", "prio": 1}]}]}
    s = Sluice(topo, tmp_path_factory.mktemp("sluice"), cfg, lcores=LCORES)
    s.start()
    topo.run("h1", "ping", "-c", "1", "10.2.0.2")
    yield s
    s.stop()


def wire_bits(m):
    """Bits the wan port sent on the wire, overhead included."""
    return 8 * (metric_sum(m, "sluice_port_transmit_bytes_total", port="wan") +
                OVERHEAD * metric_sum(m, "sluice_port_transmit_packets_total", port="wan"))


def wire_rate(dut, after, seconds):
    """The wan port's wire rate (bit/s) over @seconds, @after seconds from
    now (past slow start); and the metrics at both ends."""
    time.sleep(after)
    a, ta = dut.metrics(), time.monotonic()
    time.sleep(seconds)
    b, tb = dut.metrics(), time.monotonic()
    return (wire_bits(b) - wire_bits(a)) / (tb - ta), a, b


# Test the rate: four TCP streams fill the shaped port; sluice's own egress
# counters show 100 Mbit/s on the wire within 1 % over 4 s, and the class
# counters account for every packet sent.
def test_port_rate(topo, dut):
    srv, cli = iperf(topo, "h1", 5201, 4, 7, json_out=True)
    rate, _, _ = wire_rate(dut, 2.0, 4.0)
    out = json.loads(cli.communicate(timeout=60)[0])
    srv.communicate(timeout=30)
    got = out["end"]["sum_received"]["bits_per_second"]
    print(f"shaped to {RATE / 1e6:.0f} Mbit/s: {rate / 1e6:.2f} Mbit/s on the wire "
          f"(iperf3 goodput {got / 1e6:.1f} Mbit/s)")
    assert abs(rate - RATE) <= RATE * 0.01, rate
    view = dut.api("/api/v1/qos")["ports"][0]
    assert view["port"] == "wan" and view["rate_bps"] == RATE and view["default"] == "low"
    classes = {c["name"]: c for c in view["classes"]}
    assert classes["low"]["packets"] > 0 and classes["high"]["packets"] == 0
    assert classes["low"]["ceil_bps"] == RATE and classes["high"]["rate_bps"] == 40_000_000
    # Everything the wan port sent went through the classes, but the
    # management lcore's own few (ARP).
    m = dut.metrics()
    sent = sum(metric_sum(m, "sluice_qos_class_packets_total", port="wan", **{"class": c})
               for c in ("high", "low"))
    port_sent = metric_sum(m, "sluice_port_transmit_packets_total", port="wan")
    assert 0 <= port_sent - sent <= 10, (port_sent, sent)
    assert metric_sum(m, "sluice_drop_packets_total", reason="qos_handoff_full") == 0
    out = topo.run("dut", SLUICECTL, "--api", f"http://127.0.0.1:{API_PORT}", "qos").stdout
    rows = [line.split() for line in out.splitlines()]
    assert rows[0][:6] == ["PORT", "CLASS", "PARENT", "RATE", "CEIL", "PRIO"], out
    assert rows[1][:6] == ["wan", "high", "root", "40Mbit", "80Mbit", "0"], out
    assert rows[2][:6] == ["wan", "low", "root", "60Mbit", "100Mbit", "1"], out
    assert int(rows[2][6]) >= classes["low"]["packets"] > 0, out   # counters only grow


# Test the aggregate rate with the senders spread over both workers: 16 TCP
# streams (so that the two receive queues each get some: all on one queue
# has odds of 1 in 32 768), each worker receives at least a tenth of the
# packets, and the port's rate holds within 1 % over 4 s.
def test_rate_across_workers(topo, dut):
    srv, cli = iperf(topo, "h1", 5208, 16, 7)
    rate, a, b = wire_rate(dut, 2.0, 4.0)
    done(srv, cli)
    per_worker = {lc: metric_sum(b, "sluice_lcore_receive_packets_total", lcore=lc) -
                  metric_sum(a, "sluice_lcore_receive_packets_total", lcore=lc) for lc in ("1", "2")}
    print(f"16 streams over both workers: {rate / 1e6:.2f} Mbit/s on the wire; "
          f"received per worker {per_worker}")
    assert abs(rate - RATE) <= RATE * 0.01, rate
    assert min(per_worker.values()) >= 0.1 * sum(per_worker.values()), per_worker
    assert metric_sum(b, "sluice_drop_packets_total", reason="qos_handoff_full") == 0


# Test the rate at 500 Mbit/s (a live change to a fresh tree): UDP offered
# at 600 Mbit/s keeps the class backlogged, and over 10 s the wire rate
# holds within 1 %. (TCP at this rate on these two vCPUs, shared by both
# hosts' stacks, iperf3 and both workers, leaves the queue empty now and
# then: 0.1 to 1.1 % below the rate in ten runs; the shaper is what is
# measured here.)
def test_port_rate_500mbit(topo, dut):
    try:
        set_rate(dut, "500Mbit")
        srv = topo.popen("h2", "iperf3", "-s", "-1", "-p", "5207", stdout=-1, text=True)
        time.sleep(0.3)
        cli = topo.popen("h1", "iperf3", "-c", "10.2.0.2", "-p", "5207", "-u", "-b", "150M",
                         "-P", "4", "-l", "1400", "-t", "13", stdout=-1, text=True)
        rate, _, _ = wire_rate(dut, 2.0, 10.0)
        done(srv, cli)
        print(f"shaped to 500 Mbit/s, 600 offered: {rate / 1e6:.2f} Mbit/s on the wire")
        assert abs(rate - 500_000_000) <= 500_000_000 * 0.01, rate
    finally:
        set_rate(dut, "100Mbit")


# Test a live change: the port's rate goes from 100 to 50 Mbit/s under load;
# within a second the new rate holds (1 %), and the change itself loses no
# packet (the queued ones move to the new tree's classes).
def test_live_rate_change(topo, dut):
    srv, cli = iperf(topo, "h1", 5202, 4, 8)
    time.sleep(2.0)
    before = dut.metrics()
    set_rate(dut, "50Mbit")
    # A failure here must not leave the next tests at 50 Mbit/s.
    try:
        after_change = dut.metrics()
        rate, _, _ = wire_rate(dut, 1.0, 3.0)
        cli.communicate(timeout=60)
        srv.communicate(timeout=30)
        print(f"after the change to 50 Mbit/s: {rate / 1e6:.2f} Mbit/s on the wire")
        assert abs(rate - 50_000_000) <= 50_000_000 * 0.01, rate
        # Nothing dropped by the change: no drop reason moved across it.
        moved = {k: v - before.get(k, 0) for k, v in after_change.items()
                 if k[0] == "sluice_drop_packets_total" and v != before.get(k, 0)}
        assert not moved, moved
        view = dut.api("/api/v1/qos")["ports"][0]
        assert view["rate_bps"] == 50_000_000
        assert {c["name"]: c["ceil_bps"] for c in view["classes"]}["low"] == 50_000_000
    finally:
        set_rate(dut, "100Mbit")


def set_rate(dut, rate):
    """The wan port's rate, live (a new tree: its counters start from zero)."""
    cfg = dut.api("/api/v1/config")
    cfg["qos"]["ports"][0]["rate"] = rate
    dut.api("/api/v1/config", method="PUT", body=cfg)


def class_bits(m, cls):
    """Bits a class sent on the wire, overhead included."""
    return 8 * (metric_sum(m, "sluice_qos_class_bytes_total", port="wan", **{"class": cls}) +
                OVERHEAD * metric_sum(m, "sluice_qos_class_packets_total", port="wan", **{"class": cls}))


def class_rates(dut, seconds):
    """Each class's wire rate (bit/s) over @seconds."""
    a, ta = dut.metrics(), time.monotonic()
    time.sleep(seconds)
    b, tb = dut.metrics(), time.monotonic()
    return {c: (class_bits(b, c) - class_bits(a, c)) / (tb - ta) for c in ("high", "low")}


def iperf(topo, host, port, streams, seconds, json_out=False):
    """An iperf3 server on h2 and a client on @host; both processes."""
    srv = topo.popen("h2", "iperf3", "-s", "-1", "-p", str(port), stdout=-1, text=True)
    time.sleep(0.3)
    cli = topo.popen(host, "iperf3", "-c", "10.2.0.2", "-p", str(port), "-P", str(streams),
                     "-t", str(seconds), *(["-J"] if json_out else []), stdout=-1, text=True)
    return srv, cli


def done(*procs):
    return [p.communicate(timeout=60)[0] for p in procs]


# Test borrowing: with "high" idle, "low" takes the port (its ceiling); with
# both busy, "high" gets at least its guaranteed 40 % (and "low" its 60 %).
def test_borrowing(topo, dut):
    low = iperf(topo, "h1", 5301, 4, 9)
    time.sleep(2.0)
    alone = class_rates(dut, 2.5)
    high = iperf(topo, "h3", 22, 4, 5)          # SSH's port: the high class
    time.sleep(1.5)
    both = class_rates(dut, 2.5)
    done(*high, *low)
    print(f"low alone: {alone['low'] / 1e6:.1f} Mbit/s; both busy: high "
          f"{both['high'] / 1e6:.1f}, low {both['low'] / 1e6:.1f} Mbit/s")
    assert abs(alone["low"] - RATE) <= RATE * 0.02, alone
    assert both["high"] >= 0.4 * RATE * 0.98, both
    assert both["low"] >= 0.6 * RATE * 0.98, both


# Test fairness by flow in a class: 8 TCP flows from h1 and 1 from h3 share
# "low" flow by flow (Jain's index over the 9 flows at least 0.95).
def test_fairness_in_a_class(topo, dut):
    many = iperf(topo, "h1", 5302, 8, 6, json_out=True)
    one = iperf(topo, "h3", 5303, 1, 6, json_out=True)
    outs = done(*many, *one)
    rates = []
    for out in (outs[1], outs[3]):
        for stream in json.loads(out)["end"]["streams"]:
            rates.append(stream["receiver"]["bits_per_second"])
    jain = sum(rates) ** 2 / (len(rates) * sum(r * r for r in rates))
    print(f"9 flows: {', '.join(f'{r / 1e6:.1f}' for r in rates)} Mbit/s; Jain's index {jain:.3f}")
    assert len(rates) == 9 and jain >= 0.95, rates


def low_class(dut):
    return {c["name"]: c for c in dut.api("/api/v1/qos")["ports"][0]["classes"]}["low"]


# Test CoDel on a port shaped to 50 Mbit/s (a fresh tree for each part):
# bulk TCP in a class keeps its sojourn near the 5 ms target (the median, over
# a 4 s run that includes slow start, in a bucket no higher than 8-16 ms)
# through CoDel's drops; ECN-capable TCP gets marks instead of
# drops; an unresponsive UDP flow at twice the rate is held by the class's
# packet limit (its fattest-flow drops), the backlog never past the limit.
def test_codel_and_ecn(topo, dut):
    try:
        set_rate(dut, "50Mbit")
        done(*iperf(topo, "h1", 5304, 4, 4))
        tcp = low_class(dut)
        print(f"TCP: sojourn p50 {tcp['sojourn_p50_us']:.0f} us, p99 {tcp['sojourn_p99_us']:.0f} us, "
              f"{tcp['drops']['codel']} CoDel drops")
        assert tcp["drops"]["codel"] > 0 and tcp["ecn_marks"] == 0, tcp
        assert tcp["sojourn_p50_us"] <= 16384, tcp

        set_rate(dut, "51Mbit")                  # a fresh tree: counters from zero
        for host in ("h1", "h2"):
            topo.run(host, "sysctl", "-qw", "net.ipv4.tcp_ecn=1")
        try:
            done(*iperf(topo, "h1", 5305, 4, 4))
        finally:
            for host in ("h1", "h2"):
                topo.run(host, "sysctl", "-qw", "net.ipv4.tcp_ecn=2")
        ecn = low_class(dut)
        print(f"ECN-capable TCP: {ecn['ecn_marks']} marks, {ecn['drops']['codel']} CoDel drops")
        assert ecn["ecn_marks"] > 0 and ecn["drops"]["codel"] <= ecn["ecn_marks"] / 10, ecn

        set_rate(dut, "50Mbit")
        srv = topo.popen("h2", "iperf3", "-s", "-1", "-p", "5306", stdout=-1, text=True)
        time.sleep(0.3)
        topo.run("h1", "iperf3", "-c", "10.2.0.2", "-p", "5306", "-u", "-b", "100M", "-l",
                 "1400", "-t", "4", timeout=60)
        srv.communicate(timeout=30)
        udp = low_class(dut)
        print(f"UDP at 2x: {udp['drops']['overlimit']} limit drops, {udp['drops']['codel']} CoDel "
              f"drops, backlog {udp['backlog_packets']} packets at the end")
        assert udp["drops"]["overlimit"] > 1000, udp
        assert udp["backlog_packets"] <= 10240, udp
    finally:
        set_rate(dut, "100Mbit")


# Test that the seed preset is a valid configuration whose tree is the one
# its documentation describes.
def test_interactive_preset():
    preset = ROOT / "conf" / "qos-interactive.json"
    r = subprocess.run([SLUICE, "--", "--config", preset, "--check"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    port = json.loads(preset.read_text())["qos"]["ports"][0]
    shares = {c["name"]: (c["rate"], c["ceil"], c["prio"]) for c in port["classes"]}
    assert shares == {"high": ("40%", "80%", 0), "medium": ("30%", "60%", 1),
                      "low": ("30%", "100%", 2)}

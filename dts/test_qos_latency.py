# SPDX-License-Identifier: BSD-3-Clause
"""Latency under load (the bufferbloat test): sluice's QoS against Linux HTB.

    h1 10.1.0.2  --[lan | DUT | wan, shaped to 100 Mbit/s]--  h2 10.2.0.2

h1 sends four bulk TCP streams to h2 and pings it every 10 ms meanwhile
(1000 probes); the wan port is the bottleneck. The DUT namespace is first a
Linux router, HTB at 100 Mbit/s with a FIFO leaf (this kernel has no
fq_codel), then sluice: one class for everything (FQ-CoDel must isolate the
sparse ping flow from the bulk ones), then two classes (pings in "high",
the bulk in "low"). RTT percentiles are printed for each, with the ping
alone (unloaded) for reference.
"""
import re
import time

import pytest

from conftest import Sluice, demo_config, topology

LCORES = "0@0,1@1,2@1"
PROBES = 1000


@pytest.fixture(scope="module")
def topo():
    yield from topology("ql", hosts=1)


def percentile(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


def rtts_under(topo, port, load=True):
    """The ping RTTs (ms) from h1 to h2 while h1 runs bulk TCP to h2."""
    srv = cli = None
    if load:
        srv = topo.popen("h2", "iperf3", "-s", "-1", "-p", str(port), stdout=-1, text=True)
        time.sleep(0.5)
        cli = topo.popen("h1", "iperf3", "-c", "10.2.0.2", "-p", str(port), "-P", "4",
                         "-t", str(PROBES // 100 + 3), stdout=-1, text=True)
        time.sleep(2.0)          # past slow start: the queue has built
    out = topo.run("h1", "ping", "-i", "0.01", "-c", str(PROBES), "-W", "1", "10.2.0.2",
                   timeout=60, check=False).stdout
    if load:
        cli.communicate(timeout=60)
        srv.communicate(timeout=30)
    return [float(x) for x in re.findall(r"time=([0-9.]+) ms", out)]


def summary(rtts):
    return {q: percentile(rtts, q) for q in (0.5, 0.95, 0.99)}


def show(name, s, n):
    print(f"{name}: p50 {s[0.5]:.2f} ms, p95 {s[0.95]:.2f} ms, p99 {s[0.99]:.2f} ms "
          f"({n} probes)")


def linux_router(topo, up):
    """The DUT namespace as a Linux router shaping wan0 with HTB (FIFO leaf)."""
    cmds = [["ip", "addr", "add", "10.1.0.1/24", "dev", "lan0"],
            ["ip", "addr", "add", "10.2.0.1/24", "dev", "wan0"],
            ["sysctl", "-qw", "net.ipv4.ip_forward=1"],
            ["tc", "qdisc", "add", "dev", "wan0", "root", "handle", "1:", "htb", "default", "10"],
            ["tc", "class", "add", "dev", "wan0", "parent", "1:", "classid", "1:10", "htb",
             "rate", "100mbit", "ceil", "100mbit"]] if up else \
           [["tc", "qdisc", "del", "dev", "wan0", "root"],
            ["sysctl", "-qw", "net.ipv4.ip_forward=0"],
            ["ip", "addr", "flush", "dev", "lan0"],
            ["ip", "addr", "flush", "dev", "wan0"]]
    for c in cmds:
        topo.run("dut", *c, check=up)


def qos(classes):
    return {"ports": [{"port": "wan", "rate": "100Mbit", "classes": classes}]}


# Test the two cases of the issue side by side with Linux HTB + FIFO: in one
# class, sluice's p95 is at most a tenth of Linux's; across classes, the
# probes' p95 stays within the unloaded p95 + 5 ms.
def test_latency_under_load(topo, tmp_path):
    linux_router(topo, True)
    try:
        topo.run("h1", "ping", "-c", "2", "10.2.0.2")
        linux = rtts_under(topo, 5401)
    finally:
        linux_router(topo, False)
    cfg = demo_config(qos=qos([{"name": "all", "rate": "100%"}]))
    s = Sluice(topo, tmp_path, cfg, lcores=LCORES)
    s.start()
    try:
        topo.run("h1", "ping", "-c", "2", "10.2.0.2")
        unloaded = rtts_under(topo, 5402, load=False)
        same = rtts_under(topo, 5403)
        cfg = s.api("/api/v1/config")
        cfg["qos"] = qos([{"name": "high", "rate": "20%", "ceil": "100%", "prio": 0,
                           "match": [{"proto": "icmp"}]},
                          {"name": "low", "rate": "80%", "ceil": "100%", "prio": 1}])
        s.api("/api/v1/config", method="PUT", body=cfg)
        across = rtts_under(topo, 5404)
        view = {c["name"]: c for c in s.api("/api/v1/qos")["ports"][0]["classes"]}
    finally:
        s.stop()
    results = {"linux htb + fifo, one class": linux, "sluice unloaded": unloaded,
               "sluice fq-codel, one class": same, "sluice, probes in their own class": across}
    for name, r in results.items():
        show(name, summary(r), len(r))
    for r in results.values():
        assert len(r) >= PROBES * 0.95, len(r)
    sl, lx, un, ac = summary(same), summary(linux), summary(unloaded), summary(across)
    assert sl[0.95] <= lx[0.95] / 10, (sl, lx)
    assert ac[0.95] <= un[0.95] + 5, (ac, un)
    # The probes went through the high class, the bulk through the low one.
    assert view["high"]["packets"] >= PROBES * 0.95 and view["low"]["packets"] > 10 * PROBES

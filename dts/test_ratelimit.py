# SPDX-License-Identifier: BSD-3-Clause
"""Per-source rate limits, with two workers on two-queue ports.

    h1 10.1.0.2, h3 10.1.0.3 (lan) --[lan | sluice, 2 workers | wan]-- h2 10.2.0.2, h4 10.2.0.3

A source's packets are spread over both workers (many source ports, so the
ports' fanout hashes them to both queues); the limit must hold in total.
"""
import time

import pytest

from conftest import API_PORT, SLUICECTL, Sluice, demo_config, nginx_config, ping, topology

LCORES = "0@0,1@1,2@1"

# Sends UDP from many source ports at @rate datagrams/s for @secs seconds to
# dst:port; prints how many it sent and over how long.
SEND = r"""
import socket, sys, time
dst, port, rate, secs, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(16)]
payload = b'x' * size
sent, start = 0, time.time()
while True:
    now = time.time()
    if now - start >= secs:
        break
    due = int((now - start) * rate) + 1
    while sent < due:
        socks[sent % 16].sendto(b'%d ' % sent + payload, (dst, port))
        sent += 1
    time.sleep(0.002)
print(sent, time.time() - start)
"""
COUNT = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 23)
s.bind(('', int(sys.argv[1])))
s.settimeout(1.5)
n = 0
try:
    while True:
        s.recv(4096)
        n += 1
except socket.timeout:
    pass
print(n)
"""


@pytest.fixture(scope="module")
def topo():
    yield from topology("sr", hosts=2)


@pytest.fixture(scope="module")
def dut(topo, tmp_path_factory):
    cfg = demo_config()
    cfg["ratelimit"] = {"max_sources": 4096, "levels": [
        {"name": "default", "packets": "1000/s"},
        {"name": "narrow", "bits": "4Mbit", "bit_burst": "64KiB"},
        {"name": "capped", "connections": 50, "over_connections": "reset"},
        {"name": "trusted"}]}
    cfg["flow"] = {"max_connections": 8192}
    cfg["acl"] = {"rules": [
        {"name": "h3-narrow", "action": "allow", "src": "10.1.0.3", "level": "narrow"},
        {"name": "h4-capped", "action": "allow", "src": "10.2.0.3", "proto": "tcp",
         "dport": 8093, "level": "capped"},
        {"name": "h4-trusted", "action": "allow", "src": "10.2.0.3", "level": "trusted"}]}
    s = Sluice(topo, tmp_path_factory.mktemp("sluice"), cfg, lcores=LCORES)
    s.start()
    # Neighbors resolved before anything is counted.
    for h, dst in (("h1", "10.2.0.2"), ("h3", "10.2.0.2"), ("h4", "10.1.0.2")):
        ping(topo, h, dst, count=1)
    yield s
    s.stop()


def stream(topo, src, dst, port, rate, secs, size=64):
    rx = topo.popen("h2" if dst == "10.2.0.2" else "h1", "/usr/bin/python3", "-c", COUNT,
                    str(port), stdout=-1, text=True)
    time.sleep(0.3)
    out = topo.run(src, "/usr/bin/python3", "-c", SEND, dst, str(port), str(rate), str(secs),
                   str(size), timeout=60).stdout.split()
    got = int(rx.communicate(timeout=60)[0])
    return int(out[0]), float(out[1]), got


def worker_packets(dut):
    m = dut.metrics()
    return sorted(v for (name, labels), v in m.items()
                  if name == "sluice_lcore_receive_packets_total" and ("role", "worker") in labels)


# Test that one source sending UDP at twice its packet rate over both
# workers gets its rate in total (+-5 %, its burst included), and that what
# it loses is counted as rate_pps, against its source.
def test_packet_rate_across_workers(topo, dut):
    d0 = dut.drops()
    before = d0["rate_pps"]
    w0 = worker_packets(dut)
    sent, secs, got = stream(topo, "h1", "10.2.0.2", 9200, 2000, 4.0)
    want = 1000 * secs + 100                 # the rate, and the default burst (1/10 s)
    assert abs(got - want) <= 0.05 * want, (sent, secs, got, want)
    assert sent > 1.8 * want                 # it really was about twice the rate
    d1 = dut.drops()
    assert d1["rate_pps"] - before == sent - got, \
        (sent, got, {k: v - d0[k] for k, v in d1.items() if v != d0[k]})
    w1 = worker_packets(dut)
    assert all(b - a > sent / 10 for a, b in zip(w0, w1)), (w0, w1)   # both workers took part
    top = dut.api("/api/v1/sources/top?by=drops&limit=5")
    assert top["sources"][0]["source"] == "10.1.0.2/32", top
    assert top["sources"][0]["drops"] == sent - got and top["sources"][0]["level"] == "default"
    assert top["tracked"] >= 1 and top["limit"] >= 4096


# Test a bit rate: 1000-byte datagrams from a source at level "narrow"
# (4 Mbit/s) sent at about twice that get 4 Mbit/s (+-5 %, the burst
# included); a trusted source is not limited at all.
def test_bit_rate_and_levels(topo, dut):
    before = dut.drops()["rate_bps"]
    sent, secs, got = stream(topo, "h3", "10.2.0.2", 9201, 1000, 4.0, size=1000)
    ip_bytes = 1000 + 5 + 8 + 20             # payload, its counter, UDP, IPv4 (about)
    want = (4e6 * secs / 8 + 65536) / ip_bytes
    assert abs(got - want) <= 0.05 * want, (sent, secs, got, want)
    assert dut.drops()["rate_bps"] - before == sent - got
    # h4 is trusted: 2000/s, twice the default rate, all through.
    sent, secs, got = stream(topo, "h4", "10.1.0.2", 9202, 2000, 2.0)
    assert got == sent, (sent, got)
    out = topo.run("dut", SLUICECTL, "--api", f"http://127.0.0.1:{API_PORT}", "top").stdout
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["SOURCE", "LEVEL", "PACKETS"], lines
    assert any(line.split()[:2] == ["10.1.0.3/32", "narrow"] for line in lines), lines


HOLD = r"""
import socket, sys, time
n, ok, refused, other = int(sys.argv[3]), [], 0, 0
for i in range(n):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect((sys.argv[1], int(sys.argv[2])))
        ok.append(s)
    except ConnectionRefusedError:
        refused += 1
    except OSError:
        other += 1
print(len(ok), refused, other, flush=True)
sys.stdin.readline()
"""


def conns_of(dut, source):
    top = {s["source"]: s for s in dut.api("/api/v1/sources/top?by=drops&limit=100")["sources"]}
    return top[source]["connections"]


# Test a cap on concurrent connections: a host opening 200 connections to
# nginx with a cap of 50 gets exactly 50; the other 150 are refused with a
# reset (the level says so) and counted; once those 50 close, 50 more fit,
# and no more.
def test_connection_cap(topo, dut, tmp_path):
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_config(tmp_path, "cap", "listen 8093; location / { return 200; }"))
    web = topo.popen("h1", "nginx", "-c", conf)
    try:
        time.sleep(0.5)
        before = dut.drops()["conn_limit"]
        for _ in range(2):
            held = topo.popen("h4", "/usr/bin/python3", "-c", HOLD, "10.1.0.2", "8093", "200",
                              stdin=-1, stdout=-1, text=True)
            got = held.stdout.readline().split()
            assert got == ["50", "150", "0"], got
            assert conns_of(dut, "10.2.0.3/32") == 50
            held.stdin.write("\n")
            held.stdin.flush()
            held.wait(timeout=10)
            # Closing: the source's count goes down as each connection closes.
            deadline = time.time() + 5
            while conns_of(dut, "10.2.0.3/32") != 0:
                assert time.time() < deadline
                time.sleep(0.1)
        # Each refused SYN is counted; one whose reset the ICMP error budget
        # (100/s) held back is sent again by the client a second later.
        assert 300 <= dut.drops()["conn_limit"] - before <= 450
        m = dut.metrics()
        assert m[("sluice_tcp_resets_sent_total", frozenset())] >= 300
    finally:
        web.terminate()
        web.wait()

# SPDX-License-Identifier: BSD-3-Clause
"""A spoofed flood absorbed while legitimate traffic goes on, two workers.

    h1 10.1.0.2, h3 10.1.0.3 (lan) --[lan | sluice, 2 workers | wan]-- h2 10.2.0.2, h4 10.2.0.3

h3 is the attacker's gateway: it sends UDP and TCP SYN packets from 10 000
spoofed sources in 172.16.0.0/18 at a fixed rate, and sluice routes that
range back through h3 (so the answers to the flood cost one neighbor entry,
not ten thousand). The source table holds 4096 sources: the first spoofed
sources get entries of their own, the rest share their /16's overflow entry
and its limits. h1 is trusted by an ACL rule (a level without limits); its
iperf3 UDP stream must lose less than 1 % and its TCP transfer complete.
"""
import json
import time

import pytest

from conftest import Sluice, demo_config, metric_sum, topology

LCORES = "0@0,1@1,2@1"
SOURCES = 10000
RATE = 8000          # flood packets a second, offered
SECONDS = 6

# Prebuilt frames (Ethernet to sluice's lan MAC), sent from an AF_PACKET
# socket at a fixed rate: half UDP to h2:9, half TCP SYN to h2:80, source
# address i of 172.16.0.0/18, source port from i. Prints how many it sent.
FLOOD = r"""
import socket, struct, sys, time
dst_mac, src_mac = bytes.fromhex(sys.argv[1].replace(':', '')), bytes.fromhex(sys.argv[2].replace(':', ''))
n, rate, secs = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def frame(i, tcp):
    src = bytes([172, 16 + (i >> 16), (i >> 8) & 0xff, i & 0xff])
    dst = bytes([10, 2, 0, 2])
    sport = 1024 + i % 60000
    if tcp:
        l4 = struct.pack('!HHIIBBHHH', sport, 80, i * 7919, 0, 5 << 4, 0x02, 64240, 0, 0)
    else:
        l4 = struct.pack('!HHHH', sport, 9, 8 + 18, 0) + b'flood-%012d' % i
    pseudo = src + dst + struct.pack('!BBH', 0, 6 if tcp else 17, len(l4))
    c = csum(pseudo + l4)
    l4 = l4[:16] + struct.pack('!H', c) + l4[18:] if tcp else l4[:6] + struct.pack('!H', c) + l4[8:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), i & 0xffff, 0, 64, 6 if tcp else 17, 0, src, dst)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return dst_mac + src_mac + b'\x08\x00' + ip + l4

frames = [frame(i, i % 2 == 1) for i in range(n)]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(('eth0', 0))
sent, start = 0, time.time()
while True:
    el = time.time() - start
    if el >= secs:
        break
    due = min(int(el * rate) + 1, int(secs * rate))
    while sent < due:
        s.send(frames[sent % n])
        sent += 1
    time.sleep(0.001)
print(sent, time.time() - start)
"""


@pytest.fixture(scope="module")
def topo():
    yield from topology("sf", hosts=2)


@pytest.fixture(scope="module")
def dut(topo, tmp_path_factory):
    cfg = demo_config()
    cfg["ports"][1]["zone"] = "outside"
    cfg["flow"] = {"max_connections": 65536}
    cfg["routes"] = [{"prefix": "172.16.0.0/16", "via": "10.1.0.3"}]
    cfg["ratelimit"] = {"max_sources": 4096, "levels": [
        {"name": "default", "packets": "200/s", "new_connections": "20/s"},
        {"name": "trusted"}]}
    cfg["acl"] = {"rules": [
        {"name": "legit", "action": "allow", "src": "10.1.0.2", "level": "trusted"}]}
    s = Sluice(topo, tmp_path_factory.mktemp("sluice"), cfg, lcores=LCORES)
    s.start()
    yield s
    s.stop()


# Test the flood: 10 000 spoofed sources at a fixed rate while h1's UDP
# stream at a fixed rate loses < 1 % and its TCP transfer completes; the
# flood is dropped by reason, the source table stays within its size, and
# sluice keeps one neighbor entry for the whole spoofed range.
def test_spoofed_flood_absorbed(topo, dut):
    lan_mac, h3_mac = topo.mac("dut", "lan0"), topo.mac("h3", "eth0")
    topo.run("h1", "ping", "-c", "1", "10.2.0.2")
    topo.run("h3", "ping", "-c", "1", "10.1.0.1")
    udp_srv = topo.popen("h2", "iperf3", "-s", "-1", "-p", "5201", "-J", stdout=-1, text=True)
    tcp_srv = topo.popen("h2", "iperf3", "-s", "-1", "-p", "5202", stdout=-1, text=True)
    time.sleep(0.5)
    before = dut.metrics()
    flood = topo.popen("h3", "/usr/bin/python3", "-c", FLOOD, lan_mac, h3_mac, str(SOURCES),
                       str(RATE), str(SECONDS), stdout=-1, text=True)
    time.sleep(0.5)
    # 10 Mbit/s of UDP for 4 s inside the flood.
    udp = topo.run("h1", "iperf3", "-c", "10.2.0.2", "-p", "5201", "-u", "-b", "10M", "-t", "4",
                   "-l", "1200", "-J", timeout=60)
    tcp = topo.run("h1", "iperf3", "-c", "10.2.0.2", "-p", "5202", "-n", "8M", timeout=60,
                   check=False)
    sent = flood.communicate(timeout=60)[0].split()
    udp_srv.communicate(timeout=30)
    tcp_srv.communicate(timeout=30)
    after = dut.metrics()
    offered, took = int(sent[0]), float(sent[1])
    result = json.loads(udp.stdout)
    assert "error" not in result, result["error"]
    got = result["end"]["sum"]
    lost = got["lost_percent"]
    assert got["packets"] > 3000, got
    assert lost < 1.0, got
    assert tcp.returncode == 0, tcp.stdout + tcp.stderr
    drops = {r: metric_sum(after, "sluice_drop_packets_total", reason=r) -
             metric_sum(before, "sluice_drop_packets_total", reason=r)
             for r in ("rate_pps", "conn_rate", "flow_table_full", "no_route")}
    flood_in = metric_sum(after, "sluice_port_receive_packets_total", port="lan") - \
        metric_sum(before, "sluice_port_receive_packets_total", port="lan")
    absorbed = drops["rate_pps"] + drops["conn_rate"]
    print(f"flood: {offered} packets offered in {took:.1f} s ({offered / took:.0f}/s) from "
          f"{SOURCES} sources; lan received {flood_in:.0f}; dropped rate_pps "
          f"{drops['rate_pps']:.0f}, conn_rate {drops['conn_rate']:.0f} "
          f"({absorbed / offered:.0%} of the flood); legit UDP lost {lost:.2f} % of "
          f"{got['packets']}")
    # Most of the flood is dropped by the shared overflow limits, by reason.
    assert drops["rate_pps"] > offered * 0.3, drops
    assert drops["conn_rate"] > 0, drops
    assert drops["flow_table_full"] == 0 and drops["no_route"] == 0, drops
    # The table never held more sources than its size, and overflowed.
    assert after[("sluice_ratelimit_sources_limit", frozenset())] == 4096
    assert after[("sluice_ratelimit_sources", frozenset())] <= 4096
    assert metric_sum(after, "sluice_ratelimit_overflow_packets_total") > 0
    # One neighbor for the spoofed range: its gateway.
    addrs = {n["address"] for n in dut.api("/api/v1/neighbors")["neighbors"]}
    assert "10.1.0.3" in addrs and not any(a.startswith("172.16.") for a in addrs), addrs

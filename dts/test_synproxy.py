# SPDX-License-Identifier: BSD-3-Clause
"""The SYN proxy: cookies answer SYNs, connections open only for clients that
proved their address, two workers on two-queue ports.

    h1 10.1.0.2 (nginx), h3  --[lan | sluice, 2 workers | wan, outside]--  h2 10.2.0.2 (client), h4 10.2.0.3

nginx on h1 is reached through port forwards on sluice's wan addresses
(10.2.0.1:9080 and [fd00:2::1]:9086, syn_proxy "always") and through the
service "web" on 10.2.0.100:80 (syn_proxy "auto" above 300 SYNs/s). h4 is
the attacker's gateway: it sends SYNs from spoofed sources in
172.16.0.0/18, and sluice routes that range back through h4.
"""
import time

import pytest

from conftest import (API_PORT, SLUICECTL, Sluice, demo_config, metric_sum, nginx_config,
                      scapy, topology)

LCORES = "0@0,1@1,2@1"
VIP = "10.2.0.100"
NGINX_SERVER = """
        listen 8090; listen [::]:8090;
        location / { return 200 "proxied\\n"; }
"""

# SYNs from @n spoofed sources of 172.16.0.0/18 to dst:port, prebuilt, sent
# from an AF_PACKET socket as fast as it goes for @secs seconds. Prints the
# number sent and the seconds it took.
SYN_FLOOD = r"""
import socket, struct, sys, time
dst_mac, src_mac = bytes.fromhex(sys.argv[1].replace(':', '')), bytes.fromhex(sys.argv[2].replace(':', ''))
dst, port, n, secs = socket.inet_aton(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])

def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def frame(i):
    src = bytes([172, 16 + (i >> 16), (i >> 8) & 0xff, i & 0xff])
    l4 = struct.pack('!HHIIBBHHH', 1024 + i % 60000, port, i * 7919, 0, 6 << 4, 0x02, 64240, 0, 0)
    l4 += struct.pack('!BBH', 2, 4, 1460)
    c = csum(src + dst + struct.pack('!BBH', 0, 6, len(l4)) + l4)
    l4 = l4[:16] + struct.pack('!H', c) + l4[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), i & 0xffff, 0, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return dst_mac + src_mac + b'\x08\x00' + ip + l4

frames = [frame(i) for i in range(n)]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(('eth0', 0))
sent, start = 0, time.time()
while time.time() - start < secs:
    for _ in range(256):
        try:
            s.send(frames[sent % n])
        except OSError:
            time.sleep(0.0005)   # the socket's buffer is full: the link's rate
            break
        sent += 1
print(sent, time.time() - start)
"""


@pytest.fixture(scope="module")
def topo():
    yield from topology("sp", hosts=2)


@pytest.fixture(scope="module")
def nginx(topo, tmp_path_factory):
    d = tmp_path_factory.mktemp("nginx")
    (d / "nginx.conf").write_text(nginx_config(d, "h1", NGINX_SERVER))
    p = topo.popen("h1", "nginx", "-c", d / "nginx.conf", stderr=open(d / "nginx.err", "w"))
    time.sleep(1)
    yield p
    p.terminate()
    p.wait()


@pytest.fixture(scope="module")
def dut(topo, nginx, tmp_path_factory):
    cfg = demo_config()
    cfg["ports"][1]["zone"] = "outside"
    cfg["flow"] = {"max_connections": 65536}
    cfg["routes"] = [{"prefix": "172.16.0.0/16", "via": "10.2.0.3"}]
    cfg["nat"] = {"dnat": [
        {"in_port": "wan", "proto": "tcp", "port": 9080, "to": "10.1.0.2:8090",
         "syn_proxy": "always"},
        {"in_port": "wan", "proto": "tcp", "port": 9086, "to": "[fd00:1::2]:8090",
         "syn_proxy": "always"}]}
    cfg["services"] = [{"name": "web", "vip": VIP, "proto": "tcp", "port": 80,
                        "backends": [{"address": "10.1.0.2", "port": 8090}],
                        "syn_proxy": {"mode": "auto", "above": "300/s"}},
                       {"name": "empty", "vip": "10.2.0.101", "proto": "tcp", "port": 80,
                        "backends": [], "syn_proxy": "always"}]
    s = Sluice(topo, tmp_path_factory.mktemp("sluice"), cfg, lcores=LCORES)
    s.start()
    topo.run("h2", "ping", "-c", "1", "10.2.0.1")
    topo.run("h4", "ping", "-c", "1", "10.2.0.1")
    yield s
    s.stop()


def curl(topo, url, n, ipv6=False):
    """@n requests, one connection each; the bodies."""
    out = []
    for _ in range(n):
        r = topo.run("h2", "curl", "-s", "-6" if ipv6 else "-4", "--max-time", "5", url,
                     check=False)
        out.append(r.stdout.strip() if r.returncode == 0 else f"curl exit {r.returncode}")
    return out


# Test the handshake at the packet level: the SYN-ACK carries a cookie and
# the options Linux's cookies keep, no connection exists until the ACK; a
# forged ACK is dropped and counted; the right one opens the connection to
# nginx, spliced.
def test_cookie_handshake(topo, dut):
    before = dut.metrics()
    out = scapy(topo, "h2", """
syn = IP(dst='10.2.0.1')/TCP(sport=41000, dport=9080, flags='S', seq=1000, window=64240,
    options=[('MSS', 1460), ('SAckOK', b''), ('Timestamp', (123456, 0)), ('NOP', None), ('WScale', 7)])
r = sr1(syn, timeout=3)
o = dict(r[TCP].options)
print(r[TCP].flags, r[TCP].ack, r[TCP].window, o['MSS'], o['WScale'], 'SAckOK' in o, o['Timestamp'][1])
print(r[TCP].seq, o['Timestamp'][0])
""").split("\n")
    flags, ack, win, mss, wscale, sack, tsecr = out[0].split()
    cookie, tsval = (int(x) for x in out[1].split())
    assert (flags, ack, win, mss, wscale, sack, tsecr) == \
        ("SA", "1001", "65535", "1460", "7", "True", "123456"), out
    mid = dut.metrics()
    assert metric_sum(mid, "sluice_syn_proxy_cookies_total", result="sent") - \
        metric_sum(before, "sluice_syn_proxy_cookies_total", result="sent") == 1
    assert not [f for f in dut.api("/api/v1/flows?port=41000")["flows"]]
    # A forged cookie, then the real one (with the timestamp echoed).
    scapy(topo, "h2", f"""
send(IP(dst='10.2.0.1')/TCP(sport=41000, dport=9080, flags='A', seq=1001, ack={(cookie + 2) & 0xffffffff},
     window=502, options=[('NOP', None), ('NOP', None), ('Timestamp', (123460, {tsval}))]))
""")
    time.sleep(0.3)
    after = dut.metrics()
    assert metric_sum(after, "sluice_syn_proxy_cookies_total", result="invalid") - \
        metric_sum(mid, "sluice_syn_proxy_cookies_total", result="invalid") == 1
    assert not dut.api("/api/v1/flows?port=41000")["flows"]
    scapy(topo, "h2", f"""
send(IP(dst='10.2.0.1')/TCP(sport=41000, dport=9080, flags='A', seq=1001, ack={(cookie + 1) & 0xffffffff},
     window=502, options=[('NOP', None), ('NOP', None), ('Timestamp', (123460, {tsval}))]))
""")
    time.sleep(0.5)
    flows = dut.api("/api/v1/flows?port=41000")["flows"]
    assert len(flows) == 1, flows
    f = flows[0]
    # nginx answered and got the ACK sluice sent in the client's name.
    assert f["state"] == "established" and f["syn_proxy"] == "spliced", f
    assert f["reply"]["src"] == "10.1.0.2" and f["reply"]["sport"] == 8090, f
    final = dut.metrics()
    assert metric_sum(final, "sluice_syn_proxy_cookies_total", result="validated") - \
        metric_sum(after, "sluice_syn_proxy_cookies_total", result="validated") == 1


# Test real TCP through the proxy, IPv4 and IPv6: every request is answered,
# one cookie sent and validated per connection, no client packet lost while
# its connection waited for nginx (they are held, then sent on).
def test_curl_through_proxy(topo, dut):
    before = dut.metrics()
    assert curl(topo, "http://10.2.0.1:9080/", 10) == ["proxied"] * 10
    assert curl(topo, "http://[fd00:2::1]:9086/", 10, ipv6=True) == ["proxied"] * 10
    after = dut.metrics()
    for result in ("sent", "validated"):
        assert metric_sum(after, "sluice_syn_proxy_cookies_total", result=result) - \
            metric_sum(before, "sluice_syn_proxy_cookies_total", result=result) == 20, result
    assert metric_sum(after, "sluice_drop_packets_total", reason="syn_proxy_wait") == \
        metric_sum(before, "sluice_drop_packets_total", reason="syn_proxy_wait")
    assert metric_sum(after, "sluice_flow_created_total") - metric_sum(before, "sluice_flow_created_total") == 20
    view = {t["target"]: t for t in dut.api("/api/v1/syn-proxy")["targets"]}
    assert view["dnat:wan:tcp/9080"] == {"target": "dnat:wan:tcp/9080", "mode": "always",
                                         "active": True}
    assert view["web"]["mode"] == "auto" and view["web"]["above"] == 300
    out = topo.run("dut", SLUICECTL, "--api", f"http://127.0.0.1:{API_PORT}", "syn-proxy").stdout
    rows = [line.split() for line in out.splitlines()]
    assert rows[0] == ["TARGET", "MODE", "ANSWERING", "SYN/S", "ABOVE"], out
    assert ["dnat:wan:tcp/9080", "always", "yes", "-", "-"] in rows, out
    assert ["web", "auto", "no", "0", "300/s"] in rows, out
    assert rows[-1][0] == "cookies:", out


# Test that a client whose cookie was good but whose connection cannot open
# (the service has no backend) is told with a reset it accepts, at once,
# rather than left to time out.
def test_refused_after_cookie(topo, dut):
    before = dut.metrics()
    r = topo.run("h2", "curl", "-s", "--max-time", "5", "http://10.2.0.101/", check=False)
    after = dut.metrics()
    # The reset lands while curl connects (7), sends (55) or reads (56, 52):
    # which one is a race on the client; never a timeout (28).
    assert r.returncode in (7, 52, 55, 56), (r.returncode, r.stderr)
    assert metric_sum(after, "sluice_tcp_resets_sent_total") - \
        metric_sum(before, "sluice_tcp_resets_sent_total") >= 1
    assert metric_sum(after, "sluice_drop_packets_total", reason="no_backend") - \
        metric_sum(before, "sluice_drop_packets_total", reason="no_backend") >= 1
    assert metric_sum(after, "sluice_syn_proxy_cookies_total", result="validated") > \
        metric_sum(before, "sluice_syn_proxy_cookies_total", result="validated")


# Test the proxy under a spoofed SYN flood at the rate h4 can send: every
# request of the legitimate client succeeds, the flood is answered with
# cookies and leaves no connection behind (exactly one per request); the
# "auto" service turns the proxy on when its SYN rate passes the threshold.
def test_spoofed_syn_flood(topo, dut):
    wan_mac, h4_mac = topo.mac("dut", "wan0"), topo.mac("h4", "eth0")
    # Below its threshold, the service's SYNs go to the backend unproxied.
    before = dut.metrics()
    assert curl(topo, f"http://{VIP}/", 3) == ["proxied"] * 3
    mid = dut.metrics()
    assert metric_sum(mid, "sluice_syn_proxy_cookies_total", result="sent") == \
        metric_sum(before, "sluice_syn_proxy_cookies_total", result="sent")
    assert metric_sum(mid, "sluice_syn_proxy_active", target="web") == 0

    flood = topo.popen("h4", "/usr/bin/python3", "-c", SYN_FLOOD, wan_mac, h4_mac, "10.2.0.1",
                       "9080", "10000", "4", stdout=-1, text=True)
    time.sleep(0.5)
    bodies = curl(topo, "http://10.2.0.1:9080/", 10)
    during = dut.metrics()
    sent = flood.communicate(timeout=60)[0].split()
    time.sleep(0.5)
    after = dut.metrics()
    offered, took = int(sent[0]), float(sent[1])
    cookies = metric_sum(after, "sluice_syn_proxy_cookies_total", result="sent") - \
        metric_sum(mid, "sluice_syn_proxy_cookies_total", result="sent")
    created = metric_sum(after, "sluice_flow_created_total") - metric_sum(mid, "sluice_flow_created_total")
    print(f"SYN flood: {offered} SYNs offered in {took:.1f} s ({offered / took:.0f}/s) from "
          f"10000 sources; {cookies:.0f} answered with a cookie; {created:.0f} connections "
          f"created; legit requests: {bodies.count('proxied')}/10")
    assert bodies == ["proxied"] * 10
    assert cookies >= offered * 0.5, (cookies, offered)
    # The flood opened nothing: one connection per legitimate request.
    assert created == 10, created
    assert metric_sum(during, "sluice_flow_connections", state="syn_sent") <= 1

    # The auto service: a flood to it turns the proxy on; its requests still succeed.
    flood = topo.popen("h4", "/usr/bin/python3", "-c", SYN_FLOOD, wan_mac, h4_mac, VIP,
                       "80", "10000", "3", stdout=-1, text=True)
    time.sleep(1.5)
    bodies = curl(topo, f"http://{VIP}/", 5)
    during = dut.metrics()
    view = {t["target"]: t for t in dut.api("/api/v1/syn-proxy")["targets"]}
    flood.communicate(timeout=60)
    assert bodies == ["proxied"] * 5
    assert metric_sum(during, "sluice_syn_proxy_active", target="web") == 1
    assert view["web"]["active"] and view["web"]["syn_rate"] > 300, view["web"]
    assert metric_sum(during, "sluice_syn_proxy_syn_rate", target="web") > 300


# Test that syn_proxy is refused where it cannot work, naming the field, and
# that nothing changes.
def test_config_errors(dut):
    cfg = dut.api("/api/v1/config")
    gen = dut.api("/api/v1/status")["config_generation"]
    bad = dict(cfg, nat={"dnat": [{"in_port": "wan", "proto": "udp", "port": 5353,
                                   "to": "10.1.0.2:53", "syn_proxy": "always"}]})
    r = dut.curl("/api/v1/config", method="PUT", body=bad)
    assert r["status"] == 422 and r["body"]["field"] == "nat.dnat[0].syn_proxy", r
    bad = dict(cfg, nat={"dnat": [dict(cfg["nat"]["dnat"][0],
                                       syn_proxy={"mode": "always", "above": "5/s"})]})
    r = dut.curl("/api/v1/config", method="PUT", body=bad)
    assert r["status"] == 422 and r["body"]["field"] == "nat.dnat[0].syn_proxy.above", r
    bad = dict(cfg, nat={"dnat": [dict(cfg["nat"]["dnat"][0], syn_proxy="sometimes")]})
    r = dut.curl("/api/v1/config", method="PUT", body=bad)
    assert r["status"] == 422 and r["body"]["field"] == "nat.dnat[0].syn_proxy", r
    assert dut.api("/api/v1/status")["config_generation"] == gen
    assert dut.api("/api/v1/config") == cfg

# SPDX-License-Identifier: BSD-3-Clause
"""The ACL, with two workers on two-queue ports.

    h1 10.1.0.2, h3 10.1.0.3 (lan) --[lan | sluice, 2 workers | wan]-- h2 10.2.0.2, h4 10.2.0.3

One sluice for the module; each test puts the rules it needs with
PUT /api/v1/acl (live, like any configuration change).
"""
import ipaddress
import time

import pytest

from conftest import API_PORT, SLUICECTL, Sluice, demo_config, ping, scapy, topology

LCORES = "0@0,1@1,2@1"


@pytest.fixture(scope="module")
def topo():
    yield from topology("sa", hosts=2)


@pytest.fixture(scope="module")
def dut(topo, tmp_path_factory):
    s = Sluice(topo, tmp_path_factory.mktemp("sluice"), demo_config(), lcores=LCORES)
    s.start()
    yield s
    s.stop()


def rules(dut):
    return {r.get("name", str(r["index"])): r for r in dut.api("/api/v1/acl")["rules"]}


# UDP datagrams from @host to @dst:@port; how many a listener on @to got.
UDP_SEND = """
import socket, sys
s = socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[3])):
    s.sendto(b'%d' % i, (sys.argv[1], int(sys.argv[2])))
"""
UDP_COUNT = """
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind(('::', int(sys.argv[1])))
s.settimeout(float(sys.argv[2]))
seen = set()
try:
    while True:
        seen.add(int(s.recv(64)))
except socket.timeout:
    pass
print(len(seen))
"""


def udp_count(topo, to, port, senders, idle=1.0):
    """Start a listener on @to, run each (host, dst, n) sender, return what it got."""
    rx = topo.popen(to, "/usr/bin/python3", "-c", UDP_COUNT, str(port), str(idle), stdout=-1,
                    text=True)
    time.sleep(0.3)
    for host, dst, n in senders:
        topo.run(host, "/usr/bin/python3", "-c", UDP_SEND, dst, str(port), str(n))
    return int(rx.communicate(timeout=60)[0])


MATRIX = {"default": "allow", "rules": [
    {"name": "ping-h3", "action": "deny", "src": "10.1.0.3", "proto": "icmp"},
    {"name": "ping6-h3", "action": "reject", "src": "fd00:1::3", "proto": "icmpv6"},
    {"name": "tcp-9001", "action": "reject", "proto": "tcp", "dport": 9001},
    {"name": "tcp6-9002", "action": "deny", "dst": "fd00:2::/64", "proto": "tcp",
     "dport": "9002-9002"},
    {"name": "udp-9003", "action": "reject", "proto": "udp", "dport": 9003},
    {"name": "udp-h1", "action": "allow", "src": "10.1.0.2", "proto": "udp", "dport": 9004},
    {"action": "deny", "proto": "udp", "dport": 9004},
]}


# Test allow, deny and reject for ping, TCP and UDP, IPv4 and IPv6, from two
# hosts: what passes, the exact answers to rejects, and exact rule counters.
def test_matrix(topo, dut):
    dut.api("/api/v1/acl", method="PUT", body=MATRIX)
    drops = dut.drops()
    # Ping: h1 passes; h3 denied (silence); h3 over IPv6 rejected.
    assert " 3 received" in ping(topo, "h1", "10.2.0.2").stdout
    assert " 0 received" in ping(topo, "h3", "10.2.0.2", check=False).stdout
    out = scapy(topo, "h3", "r = sr1(IPv6(dst='fd00:2::2')/ICMPv6EchoRequest(id=7), timeout=2)\n"
                "print(r[IPv6].src, r[ICMPv6DestUnreach].type, r[ICMPv6DestUnreach].code, "
                "r[ICMPv6DestUnreach][IPerror6].dst)")
    assert out.split() == ["fd00:1::1", "1", "1", "fd00:2::2"], out
    # TCP 9001: a reset from the destination, acknowledging the SYN.
    out = scapy(topo, "h1", "r = sr1(IP(dst='10.2.0.2')/TCP(sport=40001, dport=9001, "
                "flags='S', seq=1000), timeout=2)\n"
                "print(r[IP].src, r[TCP].sport, r[TCP].dport, r[TCP].flags, r[TCP].seq, "
                "r[TCP].ack)")
    assert out.split() == ["10.2.0.2", "9001", "40001", "RA", "0", "1001"], out
    # ... and with an ACK set: the reset takes its sequence from it.
    out = scapy(topo, "h3", "r = sr1(IP(dst='10.2.0.3')/TCP(sport=40002, dport=9001, "
                "flags='A', seq=5, ack=777), timeout=2)\n"
                "print(r[TCP].flags, r[TCP].seq)")
    assert out.split() == ["R", "777"], out
    # TCP 9002 over IPv6: nothing comes back; over IPv4 the rule does not apply.
    out = scapy(topo, "h1", "r = sr1(IPv6(dst='fd00:2::2')/TCP(dport=9002, flags='S'), "
                "timeout=1)\nprint(r)")
    assert out.strip() == "None", out
    out = scapy(topo, "h1", "r = sr1(IP(dst='10.2.0.2')/TCP(sport=40003, dport=9002, "
                "flags='S'), timeout=2)\nprint(r[TCP].flags)")
    assert out.strip() == "RA", out      # h2's own kernel: nothing listens there
    # UDP 9003: ICMP "administratively prohibited" from sluice, quoting it.
    out = scapy(topo, "h1", "r = sr1(IP(dst='10.2.0.2')/UDP(sport=5000, dport=9003)/"
                "Raw(b'hello'), timeout=2)\n"
                "print(r[IP].src, r[ICMP].type, r[ICMP].code, r[UDPerror].dport)")
    assert out.split() == ["10.1.0.1", "3", "13", "9003"], out
    # UDP 9004: h1 allowed, h3 denied.
    got = udp_count(topo, "h2", 9004, [("h1", "10.2.0.2", 20), ("h3", "10.2.0.2", 20)])
    assert got == 20
    r = rules(dut)
    assert {k: r[k]["packets"] for k in r} == {
        "ping-h3": 3, "ping6-h3": 1, "tcp-9001": 2, "tcp6-9002": 1, "udp-9003": 1,
        "udp-h1": 20, "6": 20}, r
    after = dut.drops()
    assert after["acl_deny"] - drops["acl_deny"] == 3 + 1 + 20
    assert after["acl_reject"] - drops["acl_reject"] == 1 + 2 + 1
    m = dut.metrics()
    assert m[("sluice_acl_rule_packets_total", frozenset({("rule", "udp-h1")}))] == 20
    assert m[("sluice_tcp_resets_sent_total", frozenset())] == 2
    out = topo.run("dut", SLUICECTL, "--api", f"http://127.0.0.1:{API_PORT}", "acl").stdout
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["#", "NAME", "ACTION"], lines
    assert any(line.split()[1:3] == ["udp-h1", "allow"] and line.split()[-2] == "20"
               for line in lines), lines


# Test that the counters of a rule survive a change elsewhere in the rules,
# and that removing the section stops the stage.
def test_counters_survive_a_change(topo, dut):
    dut.api("/api/v1/acl", method="PUT", body=MATRIX)
    before = rules(dut)["udp-h1"]["packets"]
    assert udp_count(topo, "h2", 9004, [("h1", "10.2.0.2", 5)]) == 5
    changed = {"default": "allow", "rules": [{"action": "deny", "proto": "udp", "dport": 9999}]
               + MATRIX["rules"]}
    dut.api("/api/v1/acl", method="PUT", body=changed)
    r = rules(dut)
    assert r["udp-h1"]["packets"] == before + 5 and r["udp-h1"]["index"] == 6, r["udp-h1"]
    assert r["0"]["packets"] == 0


# Test bad rules: each is refused with the field named, and nothing changes.
def test_bad_rules_change_nothing(dut):
    dut.api("/api/v1/acl", method="PUT", body=MATRIX)
    gen = dut.api("/api/v1/status")["config_generation"]
    for rule, field, words in (
        ({"action": "deny", "proto": "tcp", "dport": "2000-1000"}, "acl.rules[0].dport",
         "written backwards"),
        ({"action": "deny", "in_port": "dmz"}, "acl.rules[0].in_port", "not a port"),
        ({"action": "deny", "proto": "udp", "tcp_flags": "syn"}, "acl.rules[0].tcp_flags",
         "needs \"proto\": \"tcp\""),
        ({"action": "deny", "src": "10.0.0.0/8", "dst": "fd00::/8"}, "acl.rules[0].dst",
         "is IPv6, src is IPv4"),
        ({"action": "deny", "dport": 80}, "acl.rules[0].dport", "needs \"proto\""),
        ({"action": "drop"}, "acl.rules[0].action", "allow, deny, reject"),
        ({"action": "deny", "src": "10.0.0.1/8"}, "acl.rules[0].src", "host bits"),
    ):
        r = dut.curl("/api/v1/acl", method="PUT", body={"rules": [rule]}, check=False)
        assert r["status"] == 422, (rule, r)
        assert field in r["body"]["detail"] and words in r["body"]["detail"], (rule, r["body"])
    r = dut.curl("/api/v1/acl", method="PUT",
                 body={"rules": [{"name": "a", "action": "deny"}, {"name": "a", "action": "allow"}]},
                 check=False)
    assert r["status"] == 422 and "acl.rules[1].name" in r["body"]["detail"], r
    assert dut.api("/api/v1/status")["config_generation"] == gen
    assert [x.get("name") for x in dut.api("/api/v1/acl")["rules"]] == \
        [x.get("name") for x in MATRIX["rules"]]


# Test that 10 000 rules applied under a counted UDP stream they allow lose
# none of it, and say how long they took to compile.
def test_ten_thousand_rules_live(topo, dut):
    dut.api("/api/v1/acl", method="PUT", body={"rules": []})
    many = [{"action": "deny", "src": f"172.{16 + i // 65536 % 16}.{i // 256 % 256}.{i % 256}",
             "proto": "udp", "dport": 7000 + i % 1000} for i in range(9999)]
    many.append({"name": "stream", "action": "allow", "src": "10.1.0.0/24", "proto": "udp"})
    n = 20000
    ping(topo, "h1", "10.2.0.2")     # neighbors resolved: nothing waits on ARP
    drops = dut.drops()
    rx = topo.popen("h2", "/usr/bin/python3", "-c", UDP_COUNT, "9100", "2", stdout=-1, text=True)
    time.sleep(0.3)
    # About 4000 datagrams a second for 5 seconds; the rules land in the middle.
    tx = topo.popen("h1", "/usr/bin/python3", "-c",
                    "import socket, time\n"
                    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                    f"for i in range({n}):\n"
                    "    s.sendto(b'%d' % i, ('10.2.0.2', 9100))\n"
                    "    if i % 40 == 39: time.sleep(0.01)\n")
    time.sleep(1.5)
    t0 = time.time()
    r = dut.api("/api/v1/acl", method="PUT", body={"default": "allow", "rules": many})
    took = time.time() - t0
    tx.wait(timeout=60)
    got = int(rx.communicate(timeout=60)[0])
    assert got == n, (got, n, {k: v - drops[k] for k, v in dut.drops().items() if v != drops[k]})
    acl = dut.api("/api/v1/acl?offset=9999&limit=1")
    assert acl["total"] == 10000 and acl["rules"][0]["name"] == "stream"
    # The stream went on after the rules landed, and every packet of it
    # after that was decided by the last of them.
    assert 0 < acl["rules"][0]["packets"] < n
    assert acl["compile_ms"] == r["compile_ms"] > 0
    print(f"10000 rules: compiled in {r['compile_ms']:.0f} ms, PUT answered in {took:.2f} s")


SETS = [{"name": "blocklist", "max_ipv4": 4000, "max_ipv6": 200},
        {"name": "allowlist", "max_ipv4": 100}]


def with_sets(dut, rules, sets=SETS):
    """The running config with @sets and ACL @rules, applied live."""
    cfg = dut.api("/api/v1/config")
    cfg["sets"] = sets
    cfg["acl"] = {"default": "allow", "rules": rules}
    dut.api("/api/v1/config", method="PUT", body=cfg)


def set_change(dut, name, expect=200, method="POST", **body):
    return dut.api(f"/api/v1/sets/{name}/entries", method=method, body=body, expect=expect)


def spread(n, first=20):
    """@n distinct /32s in 172.20.0.0/14 and beyond: none of the hosts'."""
    return [f"172.{first + i // 65536}.{i // 256 % 256}.{i % 256}" for i in range(n)]


# Test a rule naming a set: entries added and deleted over REST take effect
# on the next packet, both families, with exact counts, without a
# recompilation (the compile time and rule counters stay as they were).
def test_set_entries_decide(topo, dut):
    with_sets(dut, [{"name": "blocked", "action": "deny", "src_set": "blocklist"}])
    compiled = dut.api("/api/v1/acl")["compile_ms"]
    assert " 3 received" in ping(topo, "h3", "10.2.0.2").stdout
    out = set_change(dut, "blocklist", add=["10.1.0.3", "fd00:1::3/128", "10.1.0.3"])
    assert (out["added"], out["present"], out["ipv4"], out["ipv6"]) == (2, 1, 1, 1), out
    assert " 0 received" in ping(topo, "h3", "10.2.0.2", check=False).stdout
    assert " 0 received" in ping(topo, "h3", "fd00:2::2", check=False).stdout
    assert " 3 received" in ping(topo, "h1", "10.2.0.2").stdout
    assert rules(dut)["blocked"]["packets"] == 6
    out = set_change(dut, "blocklist", delete=["10.1.0.3", "192.0.2.0/24"])
    assert (out["deleted"], out["absent"], out["ipv4"]) == (1, 1, 0), out
    assert " 3 received" in ping(topo, "h3", "10.2.0.2").stdout
    assert " 0 received" in ping(topo, "h3", "fd00:2::2", check=False).stdout
    acl = dut.api("/api/v1/acl")
    assert acl["compile_ms"] == compiled and acl["rules"][0]["packets"] == 9
    s = dut.api("/api/v1/sets/blocklist")
    assert s["ipv4"] == {"entries": 0, "max": 4000, "groups": 4032}     # 64 at a time
    assert s["ipv6"]["entries"] == 1 and s["acl_rules"] == 1
    assert s["changes"] == {"added": 2, "deleted": 1, "refused": 0}
    assert s["memory"]["tables_bytes"] > 64 << 20      # an IPv4 table and two IPv6 copies
    m = dut.metrics()
    assert m[("sluice_set_entries", frozenset({("set", "blocklist"), ("family", "ipv6")}))] == 1
    assert m[("sluice_set_capacity", frozenset({("set", "allowlist"), ("family", "ipv4")}))] == 100
    out = topo.run("dut", SLUICECTL, "--api", f"http://127.0.0.1:{API_PORT}", "sets").stdout
    assert out.split("\n")[1].split()[:3] == ["blocklist", "0/4000", "1/200"], out


# Test that bad changes name the element at fault and change nothing: a
# prefix with host bits, a family the set does not hold, a full set, an
# unknown set, an unknown key.
def test_set_errors_change_nothing(dut):
    with_sets(dut, [])
    set_change(dut, "allowlist", add=["10.9.0.0/16"])
    r = dut.curl("/api/v1/sets/allowlist/entries", method="POST",
                  body={"add": ["10.8.0.0/16", "10.0.0.1/8"]})
    assert r["status"] == 422 and r["body"]["field"] == "add[1]", r
    assert r["body"]["detail"] == 'add[1]: "10.0.0.1/8" has host bits set'
    r = dut.curl("/api/v1/sets/allowlist/entries", method="POST", body={"add": ["2001:db8::/32"]})
    assert r["status"] == 422 and "holds none (max_ipv6 0)" in r["body"]["detail"], r
    r = dut.curl("/api/v1/sets/allowlist/entries", method="PUT", body={"entries": spread(101)})
    assert r["status"] == 409 and "is full" in r["body"]["detail"], r
    r = dut.curl("/api/v1/sets/nosuch/entries", method="POST", body={"add": []})
    assert r["status"] == 404 and r["body"]["field"] == "name", r
    r = dut.curl("/api/v1/sets/allowlist/entries", method="POST", body={"remove": []})
    assert r["status"] == 422 and r["body"]["field"] == "remove", r
    got = dut.api("/api/v1/sets/allowlist/entries")
    assert (got["total"], got["entries"]) == (1, ["10.9.0.0/16"])
    assert dut.api("/api/v1/sets/allowlist")["changes"]["refused"] == 1
    # A rule naming a set the config does not have: the config is refused whole.
    cfg = dut.api("/api/v1/config")
    cfg["acl"] = {"rules": [{"action": "deny", "dst_set": "nosuch"}]}
    r = dut.curl("/api/v1/config", method="PUT", body=cfg)
    assert r["status"] == 422 and r["body"]["field"] == "acl.rules[0].dst_set", r


# Test bulk changes under a counted UDP stream the set's rule does not
# match: thousands of entries come and go, 0 datagrams lost; then a
# restart keeps the set (its journal) and the rule still holds.
def test_set_bulk_live_and_restart(topo, dut):
    with_sets(dut, [{"name": "blocked", "action": "deny", "src_set": "blocklist"}])
    set_change(dut, "blocklist", method="PUT", entries=[])
    ping(topo, "h1", "10.2.0.2")
    n = 12000
    rx = topo.popen("h2", "/usr/bin/python3", "-c", UDP_COUNT, "9101", "2", stdout=-1, text=True)
    time.sleep(0.3)
    tx = topo.popen("h1", "/usr/bin/python3", "-c",
                    "import socket, time\n"
                    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                    f"for i in range({n}):\n"
                    "    s.sendto(b'%d' % i, ('10.2.0.2', 9101))\n"
                    "    if i % 40 == 39: time.sleep(0.01)\n")
    changes = 0
    while tx.poll() is None and changes < 40:
        many = spread(3000, first=20 + changes % 2)
        set_change(dut, "blocklist", method="PUT",
                   entries=many + [f"2001:db8:{i:x}::/48" for i in range(100)])
        changes += 1
    tx.wait(timeout=60)
    got = int(rx.communicate(timeout=60)[0])
    assert got == n, got
    assert changes >= 4, changes
    print(f"{changes} replacements of 3100 entries under a stream of {n} datagrams: 0 lost")
    assert rules(dut)["blocked"]["packets"] == 0
    final = spread(3000, first=20 + (changes - 1) % 2) + ["10.1.0.3"]
    out = set_change(dut, "blocklist", add=["10.1.0.3"])
    assert out["ipv4"] == 3001 and out["ipv6"] == 100
    dut.stop()
    dut.start()
    listed = []
    while len(listed) < 3101:
        page = dut.api(f"/api/v1/sets/blocklist/entries?offset={len(listed)}&limit=1000")
        listed += page["entries"]
        assert page["total"] == 3101 and page["entries"]
    assert set(listed) == {f"{a}/32" for a in final} | \
        {str(ipaddress.ip_network(f"2001:db8:{i:x}::/48")) for i in range(100)}
    assert " 0 received" in ping(topo, "h3", "10.2.0.2", check=False).stdout
    assert " 3 received" in ping(topo, "h1", "10.2.0.2").stdout
    set_change(dut, "blocklist", method="PUT", entries=[])

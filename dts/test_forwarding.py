# SPDX-License-Identifier: BSD-3-Clause
"""Routing between two Linux hosts: ping, TCP, ARP/ND, ICMP errors.

    h1 10.1.0.2 fd00:1::2 --[lan 10.1.0.1 fd00:1::1 | sluice | wan 10.2.0.1 fd00:2::1]-- h2 10.2.0.2 fd00:2::2
"""
import re
import time

from conftest import demo_config, ping


# Test that IPv4 and IPv6 pings cross sluice both ways, and sluice answers its own.
def test_ping_v4_v6(topo, sluice):
    for host, dst in [("h1", "10.2.0.2"), ("h2", "10.1.0.2"), ("h1", "fd00:2::2"),
                      ("h2", "fd00:1::2"), ("h1", "10.1.0.1"), ("h1", "fd00:1::1"),
                      ("h1", "10.2.0.1"), ("h2", "fd00:2::1")]:
        out = ping(topo, host, dst).stdout
        assert " 3 received, 0% packet loss" in out, out


# Test that the first packets to an unresolved neighbor are queued, not lost.
def test_first_packets_not_lost(topo, sluice):
    out = ping(topo, "h1", "10.2.0.2", count=1).stdout
    assert "1 received" in out
    assert sluice.drops()["neighbor_pending_full"] == 0


# Test that sluice answers ARP and ND with its port MAC and resolves the hosts' MACs.
def test_arp_nd_resolution(topo, sluice):
    ping(topo, "h1", "10.2.0.2")
    ping(topo, "h1", "fd00:2::2")
    lan_mac = topo.mac("dut", "lan0")
    wan_mac = topo.mac("dut", "wan0")
    h1_mac = topo.mac("h1", "eth0")
    h2_mac = topo.mac("h2", "eth0")
    neigh = topo.run("h1", "ip", "neigh", "show", "10.1.0.1").stdout
    assert lan_mac in neigh.lower(), neigh
    neigh6 = topo.run("h1", "ip", "-6", "neigh", "show", "fd00:1::1").stdout
    assert lan_mac in neigh6.lower() and "router" in neigh6, neigh6
    neigh2 = topo.run("h2", "ip", "neigh", "show", "10.2.0.1").stdout
    assert wan_mac in neigh2.lower(), neigh2
    table = {(n["port"], n["address"]): n for n in sluice.api("/api/v1/neighbors")["neighbors"]}
    assert table[("lan", "10.1.0.2")]["mac"].lower() == h1_mac
    assert table[("wan", "10.2.0.2")]["mac"].lower() == h2_mac
    assert table[("lan", "fd00:1::2")]["mac"].lower() == h1_mac
    assert table[("wan", "fd00:2::2")]["mac"].lower() == h2_mac
    for key in [("lan", "10.1.0.2"), ("wan", "10.2.0.2"), ("wan", "fd00:2::2")]:
        assert table[key]["state"] == "reachable"


def announce(topo, host, mac, addr):
    """A gratuitous ARP from @host: @addr is now at @mac."""
    prog = ("from scapy.all import *; conf.verb = 0; "
            f"sendp(Ether(src='{mac}', dst='ff:ff:ff:ff:ff:ff')/"
            f"ARP(op=1, hwsrc='{mac}', psrc='{addr}', pdst='{addr}'), iface='eth0')")
    topo.run(host, "/usr/bin/python3", "-c", prog)


def wait_neighbor_mac(sluice, port, addr, mac):
    for _ in range(50):
        table = {(n["port"], n["address"]): n for n in sluice.api("/api/v1/neighbors")["neighbors"]}
        if (table.get((port, addr)) or {}).get("mac", "").lower() == mac:
            return
        time.sleep(0.1)
    raise AssertionError(f"{addr} on {port} never showed {mac}")


# Test that a neighbor that changes its MAC and says so (gratuitous ARP) gets the
# traffic at the new MAC at once: workers keep the neighbor entry they found
# between bursts, but read its MAC anew; a host drops frames for its old MAC.
def test_neighbor_mac_change(topo, sluice):
    old_mac = topo.mac("h2", "eth0")
    new_mac = "02:00:00:00:42:02"
    ping(topo, "h1", "10.2.0.2")
    try:
        topo.run("h2", "ip", "link", "set", "eth0", "address", new_mac)
        announce(topo, "h2", new_mac, "10.2.0.2")
        wait_neighbor_mac(sluice, "wan", "10.2.0.2", new_mac)
        ping(topo, "h1", "10.2.0.2")
    finally:
        topo.run("h2", "ip", "link", "set", "eth0", "address", old_mac)
        announce(topo, "h2", old_mac, "10.2.0.2")
    wait_neighbor_mac(sluice, "wan", "10.2.0.2", old_mac)
    ping(topo, "h1", "10.2.0.2")


# Test that real TCP (iperf3) crosses sluice over IPv4 and IPv6 and every byte is counted.
def test_iperf3_tcp(topo, sluice):
    for dst in ["10.2.0.2", "fd00:2::2"]:
        server = topo.popen("h2", "iperf3", "-s", "-1", "-B", dst)
        try:
            time.sleep(0.5)
            out = topo.run("h1", "iperf3", "-c", dst, "-t", "3", "-J", timeout=30).stdout
        finally:
            server.wait(timeout=10)
        import json
        res = json.loads(out)
        received = res["end"]["sum_received"]["bytes"]
        assert received > 10_000_000, f"only {received} bytes over {dst}"
    m = sluice.metrics()
    rx_lan = m[("sluice_port_receive_packets_total", frozenset({("port", "lan")}))]
    tx_wan = m[("sluice_port_transmit_packets_total", frozenset({("port", "wan")}))]
    assert rx_lan > 5000 and tx_wan > 5000


# Test that TTL expiry gives ICMP time exceeded from sluice, so traceroute shows it as a hop.
def test_ttl_exceeded_traceroute(topo, sluice):
    before = sluice.drops()["ttl_exceeded"]
    out = topo.run("h1", "ping", "-c", "1", "-t", "1", "-W", "2", "10.2.0.2", check=False).stdout
    assert "From 10.1.0.1 icmp_seq=1 Time to live exceeded" in out, out
    out6 = topo.run("h1", "ping", "-6", "-c", "1", "-t", "1", "-W", "2", "fd00:2::2",
                    check=False).stdout
    assert "From fd00:1::1 icmp_seq=1 Time exceeded: Hop limit" in out6, out6
    assert sluice.drops()["ttl_exceeded"] == before + 2
    # By default traceroute fires 16 probes at once, and h2's kernel rate-limits
    # the port-unreachable answers per destination: one probe at a time (-N 1),
    # with h2 already resolved, makes the hop list depend on sluice alone.
    ping(topo, "h1", "10.2.0.2", count=1)
    tr = topo.run("h1", "traceroute", "-n", "-q", "1", "-N", "1", "-w", "2", "10.2.0.2").stdout
    hops = re.findall(r"^\s*(\d+)\s+(\S+)", tr, re.M)
    assert hops[0] == ("1", "10.1.0.1") and hops[1] == ("2", "10.2.0.2"), tr


# Test that a destination without a route gets ICMP net unreachable and counts no_route.
def test_no_route_unreachable(topo, sluice):
    before = sluice.drops()["no_route"]
    out = topo.run("h1", "ping", "-c", "1", "-W", "2", "10.99.0.1", check=False).stdout
    assert "From 10.1.0.1 icmp_seq=1 Destination Net Unreachable" in out, out
    out6 = topo.run("h1", "ping", "-6", "-c", "1", "-W", "2", "fd00:99::1", check=False).stdout
    assert "From fd00:1::1 icmp_seq=1 Destination unreachable: No route" in out6, out6
    assert sluice.drops()["no_route"] == before + 2
    assert sluice.counter("sluice_icmp_errors_sent_total") >= 2


# Test that a DF packet bigger than the egress MTU gets "fragmentation needed" with the MTU,
# and an IPv6 one "packet too big".
def test_mtu_frag_needed(topo, sluice_factory):
    cfg = demo_config()
    cfg["ports"][1]["mtu"] = 1400
    s = sluice_factory(cfg)
    out = topo.run("h1", "ping", "-c", "1", "-M", "do", "-s", "1400", "-W", "2", "10.2.0.2",
                   check=False).stdout
    assert "From 10.1.0.1 icmp_seq=1 Frag needed and DF set (mtu = 1400)" in out, out
    out6 = topo.run("h1", "ping", "-6", "-c", "1", "-M", "do", "-s", "1400", "-W", "2",
                    "fd00:2::2", check=False).stdout
    assert "From fd00:1::1 icmp_seq=1 Packet too big: mtu=1400" in out6, out6
    assert s.drops()["mtu_exceeded"] == 2
    # Packets that fit still pass.
    assert "1 received" in topo.run("h1", "ping", "-c", "1", "-M", "do", "-s", "1372",
                                    "-W", "2", "10.2.0.2").stdout


# Test that an IPv4 packet without DF that is bigger than the egress MTU is fragmented,
# and the receiving host reassembles it.
def test_fragmentation_without_df(topo, sluice_factory):
    cfg = demo_config()
    cfg["ports"][1]["mtu"] = 1400
    s = sluice_factory(cfg)
    # h2's link has the same MTU as sluice's wan port, as a real link would.
    topo.run("h2", "ip", "link", "set", "eth0", "mtu", "1400")
    try:
        ping(topo, "h1", "10.2.0.2", count=1)
        out = topo.run("h1", "ping", "-c", "2", "-i", "0.3", "-M", "dont", "-s", "1450",
                       "-W", "2", "10.2.0.2").stdout
        assert "2 received" in out, out
    finally:
        topo.run("h2", "ip", "link", "set", "eth0", "mtu", "1500")
    # Each 1478-byte request leaves wan as 1396 + 102 bytes (1376 + 82 bytes of payload).
    assert s.counter("sluice_ipv4_fragmented_packets_total") == 2
    assert s.counter("sluice_ipv4_fragments_created_total") == 4
    assert s.drops()["mtu_exceeded"] == 0


# Test that a static neighbor from the config is used as given, never overridden by ARP,
# and changes live.
def test_static_neighbor(topo, sluice_factory):
    h2_mac = topo.mac("h2", "eth0")
    cfg = demo_config()
    cfg["neighbors"] = [{"port": "wan", "address": "10.2.0.2", "mac": h2_mac}]
    s = sluice_factory(cfg)
    assert "3 received" in ping(topo, "h1", "10.2.0.2").stdout
    table = {(n["port"], n["address"]): n for n in s.api("/api/v1/neighbors")["neighbors"]}
    assert table[("wan", "10.2.0.2")]["state"] == "permanent"
    assert table[("wan", "10.2.0.2")]["mac"].lower() == h2_mac
    # A wrong MAC is obeyed too: the requests now go nowhere.
    cfg = s.api("/api/v1/config")
    cfg["neighbors"][0]["mac"] = "02:00:00:00:00:99"
    s.api("/api/v1/config", method="PUT", body=cfg)
    out = topo.run("h1", "ping", "-c", "2", "-i", "0.2", "-W", "1", "10.2.0.2", check=False).stdout
    assert "0 received" in out
    table = {(n["port"], n["address"]): n for n in s.api("/api/v1/neighbors")["neighbors"]}
    assert table[("wan", "10.2.0.2")]["mac"].lower() == "02:00:00:00:00:99"
    # Removing it from the config hands the address back to ARP.
    cfg["neighbors"] = []
    s.api("/api/v1/config", method="PUT", body=cfg)
    assert "3 received" in ping(topo, "h1", "10.2.0.2").stdout
    table = {(n["port"], n["address"]): n for n in s.api("/api/v1/neighbors")["neighbors"]}
    assert table[("wan", "10.2.0.2")]["state"] == "reachable"

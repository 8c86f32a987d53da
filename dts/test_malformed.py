# SPDX-License-Identifier: BSD-3-Clause
"""A scapy barrage of malformed packets: sluice keeps forwarding and counts
each one under its reason.

    h1 (scapy sendp on eth0) --[lan | sluice | wan]-- h2
"""
import subprocess
import textwrap

from conftest import ping

REPEAT = 5

# reason -> scapy expression of one frame (dst MAC filled in as LAN)
CASES = {
    "vlan_stacked": "Ether(dst=LAN)/Dot1Q(vlan=1)/Dot1Q(vlan=2)/IP(src=H1, dst=H2)/UDP()",
    "ethertype_unsupported": "Ether(dst=LAN, type=0x88b5)/Raw(b'x' * 46)",
    "arp_malformed": "Ether(dst=LAN, type=0x0806)/Raw(b'\\x00\\x01\\x08\\x00\\x06\\x04\\x00')",
    "ipv4_truncated": "Ether(dst=LAN, type=0x0800)/Raw(b'\\x45\\x00\\x00')",
    "ipv4_bad_version": "Ether(dst=LAN)/IP(version=5, src=H1, dst=H2)/UDP()",
    "ipv4_bad_ihl": "Ether(dst=LAN)/IP(ihl=4, src=H1, dst=H2)/UDP()",
    "ipv4_bad_length": "Ether(dst=LAN)/IP(len=2000, src=H1, dst=H2)/UDP()",
    "ipv4_bad_checksum": "Ether(dst=LAN)/IP(chksum=0x1234, src=H1, dst=H2)/UDP()",
    "ipv4_bad_source": "Ether(dst=LAN)/IP(src='224.0.0.9', dst=H2)/UDP()",
    "ipv6_truncated": "Ether(dst=LAN, type=0x86dd)/Raw(b'\\x60' + b'\\x00' * 20)",
    "ipv6_bad_version": "Ether(dst=LAN, type=0x86dd)/Raw(bytes(IPv6(src=H1v6, dst=H2v6)/UDP())[:0] + b'\\x40' + bytes(IPv6(src=H1v6, dst=H2v6)/UDP())[1:])",
    "ipv6_bad_length": "Ether(dst=LAN)/IPv6(plen=900, src=H1v6, dst=H2v6)/UDP()",
    "ipv6_bad_ext_header": "Ether(dst=LAN)/IPv6(src=H1v6, dst=H2v6, nh=0, plen=8)/Raw(b'\\x11\\x05' + b'\\x00' * 6)",
    "l4_truncated": "Ether(dst=LAN)/IP(src=H1, dst=H2, proto=6)/Raw(b'\\x00' * 10)",
    "tcp_bad_offset": "Ether(dst=LAN)/IP(src=H1, dst=H2)/TCP(dataofs=4)",
    "udp_bad_length": "Ether(dst=LAN)/IP(src=H1, dst=H2)/UDP(len=100)/Raw(b'x' * 10)",
    "l2_other_host": "Ether(dst='02:00:00:00:00:99')/IP(src=H1, dst=H2)/UDP()",
    "multicast": "Ether(dst='01:00:5e:01:01:01')/IP(src=H1, dst='224.1.1.1')/UDP()",
}


def barrage(topo, lan_mac, frames):
    prog = textwrap.dedent(f"""
        from scapy.all import *
        conf.verb = 0
        LAN = '{lan_mac}'
        H1, H2, H1v6, H2v6 = '10.1.0.2', '10.2.0.2', 'fd00:1::2', 'fd00:2::2'
        frames = [{', '.join(frames)}]
        sendp(frames * {REPEAT}, iface='eth0')
    """)
    topo.run("h1", "/usr/bin/python3", "-c", prog, timeout=120)


# Test that each malformed kind is dropped and counted under exactly its reason.
def test_each_reason_counted(topo, sluice):
    lan = topo.mac("dut", "lan0")
    ping(topo, "h1", "10.2.0.2", count=1)
    before = sluice.drops()
    barrage(topo, lan, CASES.values())
    ping(topo, "h1", "10.2.0.2", count=2)  # also makes sure the barrage went through
    after = sluice.drops()
    delta = {r: after[r] - before[r] for r in after if after[r] != before[r]}
    assert delta == {r: REPEAT for r in CASES}


# Test that a large random barrage never stops the worker: forwarding goes on after it.
def test_fuzz_barrage_keeps_forwarding(topo, sluice):
    lan = topo.mac("dut", "lan0")
    prog = textwrap.dedent(f"""
        from scapy.all import *
        import random
        random.seed(7)
        conf.verb = 0
        base = [Ether(dst='{lan}')/IP(src='10.1.0.2', dst='10.2.0.2')/TCP(),
                Ether(dst='{lan}')/IPv6(src='fd00:1::2', dst='fd00:2::2')/IPv6ExtHdrHopByHop()/UDP(),
                Ether(dst='{lan}')/Dot1Q()/IP(src='10.1.0.2', dst='10.2.0.2', options=[IPOption(b'\\x07\\x07\\x04' + b'\\x00' * 4)])/ICMP()]
        out = []
        for i in range(3000):
            raw = bytearray(bytes(random.choice(base)))
            for _ in range(random.randint(1, 4)):
                raw[random.randrange(12, len(raw))] = random.randrange(256)
            if random.random() < 0.3:
                raw = raw[:random.randint(15, len(raw))]
            out.append(Raw(bytes(raw)))
        sendp(out, iface='eth0')
    """)
    topo.run("h1", "/usr/bin/python3", "-c", prog, timeout=300)
    assert sluice.proc.poll() is None
    out = ping(topo, "h1", "10.2.0.2", count=3).stdout
    assert "3 received" in out
    assert ping(topo, "h1", "fd00:2::2", count=3).returncode == 0
    assert sum(sluice.drops().values()) > 0

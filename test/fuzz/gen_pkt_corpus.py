#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed frames of test/fuzz/corpus/pkt/ for fuzz_pkt.

Principles: one well-formed frame per shape the parse stage knows (IPv4 with
and without options, VLAN, fragments, IPv6 extension chains, ICMP, ARP), so
the fuzzer starts from inputs that reach every branch; built with struct
only, independently of the C code. Rerun after changing a frame:

    python3 test/fuzz/gen_pkt_corpus.py test/fuzz/corpus/pkt
"""
import os
import struct
import sys

US = bytes.fromhex("020000000001")
PEER = bytes.fromhex("020000000002")
BCAST = b"\xff" * 6
V6_SRC = bytes.fromhex("20010db8000000000000000000000001")
V6_DST = bytes.fromhex("20010db8000000000000000000000002")


def cksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(ethertype, dst=US, vlan=None):
    if vlan is None:
        return dst + PEER + struct.pack("!H", ethertype)
    return dst + PEER + struct.pack("!HHH", 0x8100, vlan, ethertype)


def ipv4(proto, payload, options=b"", frag=0):
    ihl = 5 + len(options) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(options) + len(payload),
                      0x1234, frag, 64, proto, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    hdr += options
    hdr = hdr[:10] + struct.pack("!H", cksum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6(nh, payload):
    return struct.pack("!IHBB", 0x60000000, len(payload), nh, 64) + V6_SRC + V6_DST + payload


def tcp(sport, dport, options=b"", data=b""):
    doff = 5 + len(options) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, doff << 4, 0x02, 65535, 0, 0) \
        + options + data


def udp(sport, dport, data, length=None):
    return struct.pack("!HHHH", sport, dport, length or 8 + len(data), 0) + data


def icmp(typ, ident, data=b""):
    return struct.pack("!BBHHH", typ, 0, 0, ident, 1) + data


def ext(nh, body_len):
    """Hop-by-hop / routing / destination options of 8 + body_len bytes."""
    return struct.pack("!BB", nh, (2 + body_len + 6) // 8 - 1) + b"\0" * (body_len + 6)


def pad60(frame):
    return frame + b"\0" * max(0, 60 - len(frame))


def frames():
    dns = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01"
    mss = b"\x02\x04\x05\xb4"
    frag6 = struct.pack("!BBHI", 17, 0, 1, 0xABCDEF01)  # offset 0, MF
    ah = struct.pack("!BBHII", 6, 4, 0, 0x100, 1) + b"\0" * 12  # (4 + 2) * 4 = 24 bytes
    yield "ipv4_tcp_syn_mss", eth(0x0800) + ipv4(6, tcp(40000, 443, mss))
    yield "ipv4_udp_dns", eth(0x0800) + ipv4(17, udp(5353, 53, dns))
    yield "ipv4_icmp_echo", eth(0x0800) + ipv4(1, icmp(8, 0x4242, b"ping" * 8))
    yield "vlan_ipv4_udp_padded", pad60(eth(0x0800, vlan=0xA07B) + ipv4(17, udp(1, 2, b"")))
    yield "ipv4_options_first_fragment", eth(0x0800) + ipv4(
        17, udp(7, 9, b"x" * 16, length=1000), options=b"\x01\x01\x01\x00", frag=0x2000)
    yield "ipv4_later_fragment", eth(0x0800) + ipv4(6, b"tail of a segment", frag=185)
    yield "ipv6_hbh_dst_frag_udp", eth(0x86DD) + ipv6(
        0, ext(60, 0) + ext(44, 8) + frag6 + udp(1000, 2000, b"y" * 10, length=500))
    yield "ipv6_routing_ah_tcp", eth(0x86DD) + ipv6(43, ext(51, 16) + ah + tcp(9, 10))
    yield "ipv6_icmpv6_echo", eth(0x86DD, dst=bytes.fromhex("333300000001")) + ipv6(
        58, icmp(128, 7, b"abcdefgh"))
    yield "arp_request_padded", pad60(eth(0x0806, dst=BCAST) + struct.pack(
        "!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, PEER, bytes([10, 0, 0, 2]), b"\0" * 6,
        bytes([10, 0, 0, 1])))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "corpus", "pkt")
    os.makedirs(out, exist_ok=True)
    for name, frame in frames():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(frame)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Record WireGuard handshake transcripts from a real wireguard-go peer.

Writes test/unit/wg_transcript.h, test vectors for sluice's WireGuard
handshake, taken from two exchanges with wireguard-go (run on /dev/net/tun in
a network namespace, joined to this one by a veth pair):

  A  wireguard-go initiates (no PSK), started by a ping from its namespace.
     Recorded: its 148-byte initiation; our 92-byte response, built here with
     a fixed ephemeral key and sender index; its first data message and the
     plaintext it carries (the queued ICMP echo request, with its padding).
  B  we initiate (with a PSK), with a fixed ephemeral key, timestamp and
     sender index.  Recorded: our initiation; its response; our data message
     carrying an ICMP echo request (counter 0); its data message carrying the
     echo reply from its kernel, and that plaintext.

The handshake is written here from the WireGuard paper (section 5.4), so the
vectors come from two independent implementations: every message from
wireguard-go is checked here (mac1, AEAD tags, decrypted contents) before the
header is written.  Fixed keys are derived from fixed strings, so everything
we send is the same on every run; what wireguard-go sends (its ephemeral keys,
indexes, timestamp) differs per run, which is fine: the header is committed.

Rerun, as root (needs wireguard-go, wg, iproute2, ping):
    /usr/bin/python3 test/unit/wg_record_transcript.py
"""
import base64
import hashlib
import hmac
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey, X25519PublicKey)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization

NS = "wgrec"                    # namespace holding wireguard-go
IFACE = "wgrec0"                # its tun (its UAPI socket is shared by all netns)
VETH_HOST, VETH_NS = "wgrec-h", "wgrec-n"
HOST_IP, NS_IP = "172.31.199.1", "172.31.199.2"
WG_PORT = 51999
OUR_TUN_IP, PEER_TUN_IP = "10.99.0.1", "10.99.0.2"
TIMEOUT = 10.0
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wg_transcript.h")

# --- WireGuard's primitives (whitepaper section 5.4) -------------------------
CONSTRUCTION = b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
IDENTIFIER = b"WireGuard v1 zx2c4 Jason@zx2c4.com"
LABEL_MAC1 = b"mac1----"


def HASH(*parts):
    return hashlib.blake2s(b"".join(parts)).digest()


def MAC(key, data):
    return hashlib.blake2s(data, key=key, digest_size=16).digest()


def HMAC(key, data):
    return hmac.new(key, data, hashlib.blake2s).digest()


def KDF(n, key, data):
    t0 = HMAC(key, data)
    out, prev = [], b""
    for i in range(1, n + 1):
        prev = HMAC(t0, prev + bytes([i]))
        out.append(prev)
    return out


def pub(priv):
    return X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def DH(priv, pubkey):
    return X25519PrivateKey.from_private_bytes(priv).exchange(
        X25519PublicKey.from_public_bytes(pubkey))


def nonce(counter):
    return b"\0" * 4 + struct.pack("<Q", counter)


def AEAD(key, counter, plain, auth):
    return ChaCha20Poly1305(key).encrypt(nonce(counter), plain, auth)


def OPEN(key, counter, sealed, auth):
    return ChaCha20Poly1305(key).decrypt(nonce(counter), sealed, auth)


def TAI64N(secs, nanos=0):
    return struct.pack(">QI", 0x400000000000000A + secs, nanos)


def fixed(name, clamp=True):
    k = bytearray(hashlib.blake2s(b"sluice-transcript-" + name.encode()).digest())
    if clamp:
        k[0] &= 248
        k[31] = (k[31] & 127) | 64
    return bytes(k)


def mac1_ok(msg, receiver_pub):
    return hmac.compare_digest(msg[-32:-16], MAC(HASH(LABEL_MAC1, receiver_pub), msg[:-32]))


class Handshake:
    """One side's state: chaining key C, hash H, per the paper."""

    def __init__(self, s_priv, peer_pub, psk=b"\0" * 32):
        self.s_priv, self.s_pub, self.peer_pub, self.psk = s_priv, pub(s_priv), peer_pub, psk
        self.C = HASH(CONSTRUCTION)
        self.H = HASH(self.C, IDENTIFIER)

    def mix_hash(self, data):
        self.H = HASH(self.H, data)

    def finish(self, initiator):
        a, b = KDF(2, self.C, b"")
        return (a, b) if initiator else (b, a)      # (send, recv)

    # initiator
    def create_initiation(self, e_priv, sender, timestamp):
        self.mix_hash(self.peer_pub)               # responder's static
        self.e_priv = e_priv
        e_pub = pub(e_priv)
        self.C, = KDF(1, self.C, e_pub)
        self.mix_hash(e_pub)
        self.C, k = KDF(2, self.C, DH(e_priv, self.peer_pub))
        static = AEAD(k, 0, self.s_pub, self.H)
        self.mix_hash(static)
        self.C, k = KDF(2, self.C, DH(self.s_priv, self.peer_pub))
        ts = AEAD(k, 0, timestamp, self.H)
        self.mix_hash(ts)
        msg = struct.pack("<I", 1) + struct.pack("<I", sender) + e_pub + static + ts
        msg += MAC(HASH(LABEL_MAC1, self.peer_pub), msg)
        return msg + b"\0" * 16                    # no cookie: mac2 zero

    def consume_response(self, msg, sender):
        typ, peer_index, receiver = struct.unpack_from("<III", msg)
        check(len(msg) == 92 and typ == 2, "response: bad type/length")
        check(receiver == sender, "response: receiver index is not ours")
        check(mac1_ok(msg, self.s_pub), "response: bad mac1")
        e_r = msg[12:44]
        self.C, = KDF(1, self.C, e_r)
        self.mix_hash(e_r)
        self.C, = KDF(1, self.C, DH(self.e_priv, e_r))
        self.C, = KDF(1, self.C, DH(self.s_priv, e_r))
        self.C, tau, k = KDF(3, self.C, self.psk)
        self.mix_hash(tau)
        OPEN(k, 0, msg[44:60], self.H)             # raises if the tag is wrong
        self.mix_hash(msg[44:60])
        return peer_index

    # responder
    def consume_initiation(self, msg):
        typ, peer_index = struct.unpack_from("<II", msg)
        check(len(msg) == 148 and typ == 1, "initiation: bad type/length")
        check(mac1_ok(msg, self.s_pub), "initiation: bad mac1")
        check(msg[132:148] == b"\0" * 16, "initiation: mac2 set")
        self.mix_hash(self.s_pub)
        self.e_i = msg[8:40]
        self.C, = KDF(1, self.C, self.e_i)
        self.mix_hash(self.e_i)
        self.C, k = KDF(2, self.C, DH(self.s_priv, self.e_i))
        static = OPEN(k, 0, msg[40:88], self.H)
        check(static == self.peer_pub, "initiation: static is not the peer's")
        self.mix_hash(msg[40:88])
        self.C, k = KDF(2, self.C, DH(self.s_priv, static))
        timestamp = OPEN(k, 0, msg[88:116], self.H)
        self.mix_hash(msg[88:116])
        return peer_index, timestamp

    def create_response(self, e_priv, sender, receiver):
        e_pub = pub(e_priv)
        self.C, = KDF(1, self.C, e_pub)
        self.mix_hash(e_pub)
        self.C, = KDF(1, self.C, DH(e_priv, self.e_i))
        self.C, = KDF(1, self.C, DH(e_priv, self.peer_pub))
        self.C, tau, k = KDF(3, self.C, self.psk)
        self.mix_hash(tau)
        empty = AEAD(k, 0, b"", self.H)
        self.mix_hash(empty)
        msg = struct.pack("<III", 2, sender, receiver) + e_pub + empty
        msg += MAC(HASH(LABEL_MAC1, self.peer_pub), msg)
        return msg + b"\0" * 16


def data_msg(key, receiver, counter, packet):
    padded = packet + b"\0" * (-len(packet) % 16)
    return struct.pack("<IIQ", 4, receiver, counter) + AEAD(key, counter, padded, b""), padded


def open_data(key, msg, receiver):
    typ, idx, counter = struct.unpack_from("<IIQ", msg)
    check(typ == 4 and len(msg) >= 32, "data: bad type/length")
    check(idx == receiver, "data: receiver index is not ours")
    plain = OPEN(key, counter, msg[16:], b"")
    check(len(plain) % 16 == 0, "data: plaintext not padded to 16")
    return counter, plain


def csum(data):
    data += b"\0" * (len(data) & 1)
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def icmp_echo(src, dst, ident, seq, payload):
    icmp = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 0x5c1e, 0x4000, 64, 1, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return ip[:10] + struct.pack("!H", csum(ip)) + ip[12:] + icmp


def parse_icmp(plain):
    """(src, dst, icmp type, ident, seq) of an IPv4 ICMP packet; padding must be zero."""
    check(plain[0] == 0x45 and plain[9] == 1, "data: not IPv4 ICMP")
    total = struct.unpack_from("!H", plain, 2)[0]
    check(plain[total:] == b"\0" * (len(plain) - total), "data: padding not zero")
    typ, _, _, ident, seq = struct.unpack_from("!BBHHH", plain, 20)
    return (socket.inet_ntoa(plain[12:16]), socket.inet_ntoa(plain[16:20]), typ, ident, seq)


def check(cond, what):
    if not cond:
        raise RuntimeError(what)


# --- the wireguard-go side ---------------------------------------------------
def sh(*cmd, input=None):
    r = subprocess.run(cmd, input=input, capture_output=True, timeout=30)
    if r.returncode:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.decode().strip()))
    return r.stdout.decode()


def b64(key):
    return base64.b64encode(key).decode()


def nsx(*cmd):
    return sh("ip", "netns", "exec", NS, *cmd)


class WireguardGo:
    """wireguard-go in namespace NS; torn down (process, netns, veth) on exit."""

    def __init__(self, peer_priv, our_pub, endpoint, psk=None):
        self.args, self.proc, self.log = (peer_priv, our_pub, endpoint, psk), None, None
        self.sock_path = "/var/run/wireguard/%s.sock" % IFACE

    def __enter__(self):
        check(not os.path.exists(self.sock_path), self.sock_path + " exists: another wireguard-go?")
        check(NS not in sh("ip", "netns", "list").split(), "netns %s exists" % NS)
        peer_priv, our_pub, (host, port), psk = self.args
        try:
            sh("ip", "netns", "add", NS)
            sh("ip", "link", "add", VETH_HOST, "type", "veth", "peer", "name", VETH_NS,
               "netns", NS)
            sh("ip", "addr", "add", HOST_IP + "/30", "dev", VETH_HOST)
            sh("ip", "link", "set", VETH_HOST, "up")
            nsx("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            nsx("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")
            nsx("ip", "addr", "add", NS_IP + "/30", "dev", VETH_NS)
            nsx("ip", "link", "set", VETH_NS, "up")
            nsx("ip", "link", "set", "lo", "up")
            self.log = tempfile.TemporaryFile()
            self.proc = subprocess.Popen(["ip", "netns", "exec", NS, "wireguard-go", "-f", IFACE],
                                         stdout=self.log, stderr=subprocess.STDOUT)
            deadline = time.time() + TIMEOUT
            while not os.path.exists(self.sock_path):
                if self.proc.poll() is not None:
                    self.log.seek(0)
                    raise RuntimeError("wireguard-go exited: " + self.log.read().decode())
                check(time.time() < deadline, "wireguard-go made no UAPI socket")
                time.sleep(0.05)
            sh("wg", "set", IFACE, "listen-port", str(WG_PORT), "private-key", "/dev/stdin",
               "peer", b64(our_pub), "allowed-ips", OUR_TUN_IP + "/32",
               "endpoint", "%s:%d" % (host, port), input=b64(peer_priv).encode())
            if psk:
                sh("wg", "set", IFACE, "peer", b64(our_pub), "preshared-key", "/dev/stdin",
                   input=b64(psk).encode())
            nsx("ip", "addr", "add", PEER_TUN_IP + "/24", "dev", IFACE)
            nsx("ip", "link", "set", IFACE, "up")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        subprocess.run(["ip", "netns", "del", NS], capture_output=True)
        subprocess.run(["ip", "link", "del", VETH_HOST], capture_output=True)
        if self.proc and os.path.exists(self.sock_path):
            os.unlink(self.sock_path)                  # ours: it did not exist before
        if self.log:
            self.log.close()


def recv_type(sock, want, peer_addr):
    """Next datagram of message type `want` from wireguard-go (others are listed, skipped)."""
    while True:
        try:
            msg, addr = sock.recvfrom(2048)
        except socket.timeout:
            raise RuntimeError("timed out waiting for a type-%d message" % want)
        if peer_addr and addr != peer_addr:
            continue
        typ = msg[0] if msg else -1
        if typ == want:
            return msg, addr
        print("  (skipped a type-%d message of %d bytes)" % (typ, len(msg)))


# --- the two transcripts -----------------------------------------------------
OUR_PRIV, PEER_PRIV, PSK = fixed("our-static"), fixed("peer-static"), fixed("psk", clamp=False)
A_RESP_EPH, B_INIT_EPH = fixed("a-resp-ephemeral"), fixed("b-init-ephemeral")
A_OUR_INDEX, B_OUR_INDEX = 0x51a1ce0a, 0x51a1ce0b
B_TIMESTAMP = TAI64N(1704067200)             # 2024-01-01T00:00:00Z, nanoseconds 0


def new_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    s.bind(("0.0.0.0", 0))        # reached as HOST_IP once the veth is up
    return s


def run_a():
    """wireguard-go initiates (no PSK); we respond."""
    print("transcript A: wireguard-go initiates, no PSK")
    s, ping = new_socket(), None
    wg_addr = (NS_IP, WG_PORT)
    try:
        with WireguardGo(PEER_PRIV, pub(OUR_PRIV), (HOST_IP, s.getsockname()[1])):
            ping = subprocess.Popen(["ip", "netns", "exec", NS, "ping", "-c1", "-W5", OUR_TUN_IP],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            init, _ = recv_type(s, 1, wg_addr)
            hs = Handshake(OUR_PRIV, pub(PEER_PRIV))
            peer_index, ts = hs.consume_initiation(init)
            print("  initiation: sender %#010x, timestamp %s" % (peer_index, ts.hex()))
            resp = hs.create_response(A_RESP_EPH, A_OUR_INDEX, peer_index)
            send, recv = hs.finish(initiator=False)
            s.sendto(resp, wg_addr)
            datas = []
            while True:        # its first data message; keep going past keepalives
                data, _ = recv_type(s, 4, wg_addr)
                counter, plain = open_data(recv, data, A_OUR_INDEX)
                print("  data: counter %d, %d plaintext bytes" % (counter, len(plain)))
                datas.append((data, plain))
                if plain:
                    break
            src, dst, typ, _, _ = parse_icmp(plain)
            check((src, dst, typ) == (PEER_TUN_IP, OUR_TUN_IP, 8), "A: data is not the ping")
    finally:
        if ping and ping.poll() is None:
            ping.kill()
            ping.wait()
        s.close()
    return dict(initiation=init, response=resp, send=send, recv=recv, peer_index=peer_index,
                timestamp=ts, datas=datas)


def run_b():
    """We initiate (with PSK); wireguard-go responds and echoes our ping."""
    print("transcript B: we initiate, with PSK")
    s = new_socket()
    wg_addr = (NS_IP, WG_PORT)
    try:
        with WireguardGo(PEER_PRIV, pub(OUR_PRIV), (HOST_IP, s.getsockname()[1]), psk=PSK):
            hs = Handshake(OUR_PRIV, pub(PEER_PRIV), PSK)
            init = hs.create_initiation(B_INIT_EPH, B_OUR_INDEX, B_TIMESTAMP)
            s.sendto(init, wg_addr)
            resp, _ = recv_type(s, 2, wg_addr)
            peer_index = hs.consume_response(resp, B_OUR_INDEX)
            print("  response: sender %#010x" % peer_index)
            send, recv = hs.finish(initiator=True)
            echo = icmp_echo(OUR_TUN_IP, PEER_TUN_IP, 0x5c1e, 1, b"sluice wg transcript B")
            our_data, our_plain = data_msg(send, peer_index, 0, echo)
            s.sendto(our_data, wg_addr)
            datas = []
            while True:
                data, _ = recv_type(s, 4, wg_addr)
                counter, plain = open_data(recv, data, B_OUR_INDEX)
                print("  data: counter %d, %d plaintext bytes" % (counter, len(plain)))
                datas.append((data, plain))
                if plain:
                    break
            check(parse_icmp(plain) == (PEER_TUN_IP, OUR_TUN_IP, 0, 0x5c1e, 1),
                  "B: data is not the echo reply")
    finally:
        s.close()
    return dict(initiation=init, response=resp, send=send, recv=recv, peer_index=peer_index,
                our_data=our_data, our_plain=our_plain, datas=datas)


# --- the header --------------------------------------------------------------
def c_array(name, data, comment):
    lines = ["/* %s */" % comment, "static const uint8_t %s[%d] = {" % (name, len(data))]
    for i in range(0, len(data), 12):
        lines.append("\t" + " ".join("0x%02x," % b for b in data[i:i + 12]))
    return "\n".join(lines + ["};", ""])


def c_u32(name, value, comment):
    comment += "; little-endian on the wire"
    return "/* %s */\nstatic const uint32_t %s = 0x%08x;\n" % (comment, name, value)


def write_header(a, b, version):
    out = ["/* SPDX-License-Identifier: BSD-3-Clause */", "/*",
           " * Generated by test/unit/wg_record_transcript.py from a real exchange with",
           " * %s (userspace, on /dev/net/tun); do not edit." % version,
           " * Rerun as root: /usr/bin/python3 test/unit/wg_record_transcript.py",
           " * \"Ours\" is the Python side; \"peer\" is wireguard-go.  Fixed keys are",
           " * clamp(BLAKE2s(\"sluice-transcript-<name>\")), the PSK unclamped.  Messages",
           " * from wireguard-go (its ephemeral keys, indexes, timestamp) differ per run.",
           " * Transport keys are our side's, as derived by the Python handshake.",
           " */", "#ifndef WG_TRANSCRIPT_H", "#define WG_TRANSCRIPT_H", "", "#include <stdint.h>", ""]
    add = lambda *x: out.append(c_array(*x))
    add("wgt_our_priv", OUR_PRIV, "our static private key (\"our-static\")")
    add("wgt_our_pub", pub(OUR_PRIV), "our static public key")
    add("wgt_peer_priv", PEER_PRIV, "wireguard-go's static private key (\"peer-static\")")
    add("wgt_peer_pub", pub(PEER_PRIV), "wireguard-go's static public key")
    add("wgt_psk", PSK, "preshared key of transcript B (\"psk\", not clamped); A has none")
    out.append("/* Transcript A: wireguard-go initiates, no PSK, we respond. */\n")
    out.append(c_u32("wgt_a_peer_index", a["peer_index"], "wireguard-go's sender index (recorded)"))
    out.append(c_u32("wgt_a_our_index", A_OUR_INDEX, "our sender index in the response (fixed)"))
    add("wgt_a_resp_eph_priv", A_RESP_EPH, "our responder ephemeral (\"a-resp-ephemeral\")")
    add("wgt_a_resp_eph_pub", pub(A_RESP_EPH), "its public key")
    add("wgt_a_initiation", a["initiation"], "wireguard-go's initiation, as received")
    add("wgt_a_timestamp", a["timestamp"], "TAI64N decrypted from that initiation")
    add("wgt_a_response", a["response"], "our response (deterministic given the initiation)")
    add("wgt_a_send_key", a["send"], "our transport sending key (responder)")
    add("wgt_a_recv_key", a["recv"], "our transport receiving key (responder)")
    for i, (data, plain) in enumerate(a["datas"][:-1]):
        add("wgt_a_keepalive%d" % i, data, "a keepalive wireguard-go sent before the ping")
    data, plain = a["datas"][-1]
    add("wgt_a_data", data, "wireguard-go's first data message carrying a packet (counter %d)"
        % struct.unpack_from("<Q", data, 8)[0])
    add("wgt_a_data_plain", plain, "its plaintext: ICMP echo request 10.99.0.2 -> 10.99.0.1, "
        "zero-padded to 16")
    out.append("/* Transcript B: we initiate, with PSK, wireguard-go responds. */\n")
    out.append(c_u32("wgt_b_our_index", B_OUR_INDEX, "our sender index in the initiation (fixed)"))
    out.append(c_u32("wgt_b_peer_index", b["peer_index"], "wireguard-go's sender index (recorded)"))
    add("wgt_b_init_eph_priv", B_INIT_EPH, "our initiator ephemeral (\"b-init-ephemeral\")")
    add("wgt_b_init_eph_pub", pub(B_INIT_EPH), "its public key")
    add("wgt_b_timestamp", B_TIMESTAMP, "TAI64N in our initiation: 2024-01-01T00:00:00Z")
    add("wgt_b_initiation", b["initiation"], "our initiation (deterministic; mac2 zero)")
    add("wgt_b_response", b["response"], "wireguard-go's response, as received")
    add("wgt_b_send_key", b["send"], "our transport sending key (initiator)")
    add("wgt_b_recv_key", b["recv"], "our transport receiving key (initiator)")
    add("wgt_b_our_data", b["our_data"], "our data message, counter 0")
    add("wgt_b_our_data_plain", b["our_plain"], "its plaintext: ICMP echo request "
        "10.99.0.1 -> 10.99.0.2, zero-padded to 16")
    for i, (data, plain) in enumerate(b["datas"][:-1]):
        add("wgt_b_keepalive%d" % i, data, "a keepalive wireguard-go sent before the reply")
    data, plain = b["datas"][-1]
    add("wgt_b_data", data, "wireguard-go's data message with the echo reply (counter %d)"
        % struct.unpack_from("<Q", data, 8)[0])
    add("wgt_b_data_plain", plain, "its plaintext: ICMP echo reply 10.99.0.2 -> 10.99.0.1, "
        "zero-padded to 16")
    out.append("#endif /* WG_TRANSCRIPT_H */")
    with open(OUT, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    if os.geteuid() != 0:
        sys.exit("run as root: it makes a network namespace and runs wireguard-go")
    version = sh("wireguard-go", "--version").split("\n")[0].strip()
    a, b = run_a(), run_b()
    write_header(a, b, version)
    print("wrote", OUT)


if __name__ == "__main__":
    main()

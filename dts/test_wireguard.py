# SPDX-License-Identifier: BSD-3-Clause
"""WireGuard against wireguard-go, configured with stock wg, two workers.

    h1 10.1.0.2  --[lan | sluice wg0 10.99.0.1/24 | wan 10.2.0.1]--  h2 10.2.0.2
                                                                      wgp0 10.99.0.2
                                                                     h4 10.2.0.3, fd00:2::3
                                                                      wgp1 10.99.0.3

sluice's wg0 listens on UDP 51820 on its addresses. Peer A is wireguard-go
in h2 (the kernel here has no wireguard module), added to sluice over REST,
reaching it over IPv4 and starting the tunnel itself. Peer B is
wireguard-go in h4 with a preshared key and no endpoint of sluice: sluice
starts the tunnel, over IPv6, and B is added with wg(8) through sluice's
UAPI socket. h1 reaches both tunnel addresses through sluice.
"""
import json
import os
import subprocess
import time
import urllib.parse

import pytest

from conftest import API_PORT, SLUICECTL, Sluice, demo_config, metric_sum, ping, topology

LCORES = "0@0,1@1,2@1"


def genkey(topo):
    priv = topo.run("h1", "wg", "genkey").stdout.strip()
    pub = topo.run("h1", "wg", "pubkey", input=priv + "\n").stdout.strip()
    return priv, pub


def write_secret(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    return str(path)


@pytest.fixture(scope="module")
def topo():
    yield from topology("wg", hosts=2)


@pytest.fixture(scope="module")
def keys(topo):
    return {"sluice": genkey(topo), "a": genkey(topo), "b": genkey(topo),
            "psk": topo.run("h1", "wg", "genpsk").stdout.strip()}


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("wg")


@pytest.fixture(scope="module")
def dut(topo, keys, work):
    cfg = demo_config()
    cfg["wireguard"] = {"interfaces": [{
        "name": "wg0", "private_key_file": write_secret(work / "wg0.key", keys["sluice"][0]),
        "listen_port": 51820, "ipv4": ["10.99.0.1/24"], "ipv6": ["fd99::1/64"]}],
        "handshake_load": 50}
    s = Sluice(topo, work, cfg, lcores=LCORES)
    s.start()
    yield s
    s.stop()


def wireguard_go(topo, host, ifname, key_file, *wg_set, addrs=()):
    """wireguard-go on @host as @ifname (interface names are per host:
    /var/run/wireguard is shared by every namespace), set up with wg."""
    proc = topo.popen(host, "wireguard-go", "-f", ifname, stdout=subprocess.DEVNULL,
                      stderr=subprocess.STDOUT)
    for _ in range(50):
        if topo.run(host, "ip", "link", "show", ifname, check=False).returncode == 0:
            break
        time.sleep(0.1)
    topo.run(host, "wg", "set", ifname, "private-key", key_file, "listen-port", "51820",
             *wg_set)
    for a in addrs:
        topo.run(host, "ip", "address", "add", a, "dev", ifname, *(["nodad"] if ":" in a else []))
    topo.run(host, "ip", "link", "set", ifname, "up")
    topo.run(host, "ip", "route", "add", "10.1.0.0/24", "dev", ifname)
    topo.run(host, "ip", "-6", "route", "add", "fd00:1::/64", "dev", ifname)
    return proc


@pytest.fixture(scope="module")
def peer_a(topo, keys, dut, work):
    proc = wireguard_go(topo, "h2", "wgp0", write_secret(work / "a.key", keys["a"][0]),
                        "peer", keys["sluice"][1], "endpoint", "10.2.0.1:51820",
                        "allowed-ips", "10.99.0.0/24,10.1.0.0/24,fd99::/64,fd00:1::/64",
                        addrs=("10.99.0.2/24", "fd99::2/64"))
    dut.api("/api/v1/wireguard/interfaces/wg0/peers", "POST", {
        "public_key": keys["a"][1], "endpoint": "10.2.0.2:51820",
        "allowed_ips": ["10.99.0.2/32", "fd99::2/128"]}, expect=201)
    yield proc
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def peer_b(topo, keys, dut, work):
    psk = write_secret(work / "b.psk", keys["psk"])
    proc = wireguard_go(topo, "h4", "wgp1", write_secret(work / "b.key", keys["b"][0]),
                        "peer", keys["sluice"][1], "preshared-key", psk,
                        "allowed-ips", "10.99.0.0/24,10.1.0.0/24",
                        addrs=("10.99.0.3/24",))
    # Stock wg, against sluice's socket.
    topo.run("dut", "wg", "set", "wg0", "peer", keys["b"][1], "preshared-key", psk,
             "endpoint", "[fd00:2::3]:51820", "allowed-ips", "10.99.0.3/32")
    yield proc
    proc.terminate()
    proc.wait(timeout=10)


def peer_path(pub):
    return "/api/v1/wireguard/interfaces/wg0/peers/" + urllib.parse.quote(pub, safe="")


def hs(dut, outcome):
    return metric_sum(dut.metrics(), "sluice_wireguard_handshakes_total", interface="wg0",
                      outcome=outcome)


# Peer A starts the tunnel (a ping to sluice's own tunnel address); then h1
# reaches A's tunnel address through sluice, IPv4 and IPv6 inside.
def test_peer_starts_ping_both_ways(topo, keys, dut, peer_a):
    ping(topo, "h2", "10.99.0.1")
    ping(topo, "h1", "10.99.0.2")
    ping(topo, "h2", "fd99::1")
    ping(topo, "h1", "fd99::2")
    view = dut.api(peer_path(keys["a"][1]))
    assert view["latest_handshake"] > 0 and view["rx_packets"] >= 12 and view["tx_packets"] >= 12
    assert view["endpoint"] == "10.2.0.2:51820" and "preshared_key_file" not in view
    iface = dut.api("/api/v1/wireguard/interfaces/wg0")
    assert iface["public_key"] == keys["sluice"][1] and iface["peers"] == 1
    assert iface["handshakes"]["completed"] == 1 and iface["handshakes"]["initiated"] == 0
    out = topo.run("h2", "wg", "show", "wgp0", "latest-handshakes").stdout
    assert keys["sluice"][1] in out and not out.strip().endswith("\t0")


# sluice starts the tunnel to peer B (which knows no endpoint of sluice),
# over IPv6 outside, with a preshared key; B was added with wg set.
def test_sluice_starts_over_ipv6_with_psk(topo, keys, dut, peer_a, peer_b):
    before = hs(dut, "initiated")
    ping(topo, "h1", "10.99.0.3", count=4)
    assert hs(dut, "initiated") - before >= 1
    view = dut.api(peer_path(keys["b"][1]))
    assert view["endpoint"] == "[fd00:2::3]:51820" and view["preshared_key_file"]
    assert view["allowed_ips"] == ["10.99.0.3/32"] and view["latest_handshake"] > 0
    # The preshared key set over the socket lives in a 0600 file, not in the journal.
    assert os.stat(view["preshared_key_file"]).st_mode & 0o077 == 0
    journal = (dut.config_path.parent / "sluice.json.wireguard" / "wg0.peers").read_text()
    assert keys["psk"] not in journal and keys["b"][1] in journal
    out = topo.run("h4", "wg", "show", "wgp1", "endpoints").stdout
    assert "[fd00:2::1]:51820" in out
    # A packet of the interface's MTU (1420) fits the 1500-byte link over
    # IPv6 too: its padding stops at the MTU (80 bytes of outer headers).
    ping(topo, "h1", "10.99.0.3", count=2, extra=("-M", "do", "-s", str(1420 - 28)))
    # One byte more is refused by routing, with "fragmentation needed".
    r = ping(topo, "h1", "10.99.0.3", count=1, extra=("-M", "do", "-s", str(1421 - 28)),
             check=False)
    assert r.returncode != 0 and "mtu = 1420" in r.stdout, r.stdout
    assert dut.drops().get("wg_outer_mtu", 0) == 0


# Stock wg show and showconf against sluice's socket: both peers, their
# handshakes and transfer; showconf gives the keys, as the kernel's does.
def test_wg_show_against_sluice(topo, keys, dut, peer_a, peer_b):
    ping(topo, "h1", "10.99.0.2", count=1)
    ping(topo, "h1", "10.99.0.3", count=1)
    show = topo.run("dut", "wg", "show", "wg0").stdout
    print(show)
    assert f"public key: {keys['sluice'][1]}" in show and "listening port: 51820" in show
    for p in ("a", "b"):
        assert f"peer: {keys[p][1]}" in show
    assert show.count("latest handshake:") == 2 and show.count("transfer:") == 2
    assert "preshared key: (hidden)" in show
    conf = topo.run("dut", "wg", "showconf", "wg0").stdout
    assert f"PrivateKey = {keys['sluice'][0]}" in conf
    assert f"PresharedKey = {keys['psk']}" in conf
    dump = topo.run("dut", "wg", "show", "wg0", "dump").stdout.splitlines()
    rows = {line.split("\t")[0]: line.split("\t") for line in dump[1:]}
    assert int(rows[keys["a"][1]][5]) > 0 and int(rows[keys["a"][1]][6]) > 0


# TCP through the tunnel both ways, on two workers.
def test_iperf_both_directions(topo, dut, peer_a):
    srv = topo.popen("h2", "iperf3", "-s", "-1", "-B", "10.99.0.2", "-p", "5301",
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        for extra in ([], ["-R"]):
            out = topo.run("h1", "iperf3", "-c", "10.99.0.2", "-p", "5301", "-t", "3", "-J",
                           *extra, timeout=30).stdout
            r = json.loads(out)
            assert "error" not in r, r.get("error")
            bps = r["end"]["sum_received"]["bits_per_second"]
            print(f"iperf3 {' '.join(extra) or 'h1->h2'}: {bps / 1e6:.0f} Mbit/s")
            assert bps > 20e6
            if not extra:
                srv.wait(timeout=10)
                srv = topo.popen("h2", "iperf3", "-s", "-1", "-B", "10.99.0.2", "-p", "5301",
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(0.5)
    finally:
        srv.kill()
        srv.wait()
    assert dut.drops().get("wg_decrypt", 0) == 0 and dut.drops().get("wg_replay", 0) == 0


# Two workers, qpairs=2: one tunnel's inner flows (four TCP streams) are
# sealed on both workers at once, the sending counter shared: the peer
# (wireguard-go, whose replay window refuses a repeated counter) takes
# everything, and sluice refuses nothing of its answers.
def test_one_tunnel_on_both_workers(topo, dut, peer_a):
    before = dut.metrics()
    srv = topo.popen("h2", "iperf3", "-s", "-1", "-B", "10.99.0.2", "-p", "5304",
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        out = topo.run("h1", "iperf3", "-c", "10.99.0.2", "-p", "5304", "-t", "3", "-P", "8",
                       "-J", timeout=30).stdout
    finally:
        srv.wait(timeout=10)
    r = json.loads(out)
    assert "error" not in r, r.get("error")
    after = dut.metrics()
    sealed = {}
    for (name, labels), v in after.items():
        if name == "sluice_lcore_wireguard_encrypted_total":
            sealed[dict(labels)["lcore"]] = v - before.get((name, labels), 0)
    print("sealed per worker:", sealed)
    assert len(sealed) == 2 and all(n > 100 for n in sealed.values()), sealed
    retrans = r["end"]["sum_sent"].get("retransmits", 0)
    print(f"{r['end']['sum_received']['bits_per_second'] / 1e6:.0f} Mbit/s, "
          f"{retrans} retransmits")
    drops = dut.drops()
    assert drops.get("wg_replay", 0) == 0 and drops.get("wg_decrypt", 0) == 0


# sluicectl: wg show lists the peers; wg import takes a wg-quick file
# (its inline preshared key goes to a 0600 file beside it).
def test_sluicectl_wg(topo, keys, dut, peer_a, work):
    ctl = [SLUICECTL, "--api", f"http://127.0.0.1:{API_PORT}"]
    show = topo.run("dut", *ctl, "wg", "show").stdout
    print(show)
    assert "interface wg0" in show and keys["a"][1] in show and "10.2.0.2:51820" in show
    stranger, psk = genkey(topo)[1], topo.run("h1", "wg", "genpsk").stdout.strip()
    conf = work / "import.conf"
    conf.write_text(f"[Interface]\nPrivateKey = {keys['a'][0]}\n\n[Peer]\n"
                    f"PublicKey = {stranger}\nPresharedKey = {psk}\n"
                    f"AllowedIPs = 10.99.0.9/32, 10.97.0.0/16\nEndpoint = localhost:51820\n"
                    f"PersistentKeepalive = 25\n")
    r = topo.run("dut", *ctl, "wg", "import", "wg0", conf)
    assert "1 peers added or changed on wg0" in r.stdout, r.stdout
    assert "[Interface] PrivateKey is the configuration's" in r.stderr
    view = dut.api(peer_path(stranger))
    assert view["allowed_ips"] == ["10.99.0.9/32", "10.97.0.0/16"]
    # A name in Endpoint, resolved by sluicectl (sluice takes addresses).
    assert view["endpoint"] in ("127.0.0.1:51820", "[::1]:51820"), view["endpoint"]
    assert view["persistent_keepalive"] == 25
    assert os.stat(view["preshared_key_file"]).st_mode & 0o077 == 0
    assert open(view["preshared_key_file"]).read().strip() == psk
    dut.api(peer_path(stranger), "DELETE")


# A wrong preshared key: no session (the response does not open), counted;
# the right one again: traffic flows.
def test_wrong_psk_refused(topo, keys, dut, peer_b, work):
    wrong = write_secret(work / "wrong.psk", topo.run("h1", "wg", "genpsk").stdout.strip())
    right = dut.api(peer_path(keys["b"][1]))["preshared_key_file"]
    dut.api(peer_path(keys["b"][1]), "DELETE")
    dut.api("/api/v1/wireguard/interfaces/wg0/peers", "POST", {
        "public_key": keys["b"][1], "preshared_key_file": wrong,
        "endpoint": "[fd00:2::3]:51820", "allowed_ips": ["10.99.0.3/32"]}, expect=201)
    before = hs(dut, "decrypt")
    assert ping(topo, "h1", "10.99.0.3", count=3, check=False).returncode != 0
    assert hs(dut, "decrypt") - before >= 1
    assert dut.api(peer_path(keys["b"][1]))["latest_handshake"] == 0
    dut.api("/api/v1/wireguard/interfaces/wg0/peers", "POST", {
        "public_key": keys["b"][1], "preshared_key_file": right}, expect=200)
    time.sleep(5.5)   # the next retry of the handshake (every 5 s)
    ping(topo, "h1", "10.99.0.3", count=3)


# A peer that has sluice's key wrong: its initiations fail mac1, counted.
def test_wrong_public_key_refused(topo, keys, dut, peer_b):
    stranger = genkey(topo)[1]
    before = hs(dut, "bad_mac1")
    topo.run("h4", "wg", "set", "wgp1", "peer", stranger, "endpoint", "10.2.0.1:51820",
             "allowed-ips", "10.77.0.0/24")
    topo.run("h4", "ip", "route", "add", "10.77.0.0/24", "dev", "wgp1")
    ping(topo, "h4", "10.77.0.1", count=2, check=False)
    time.sleep(0.5)
    assert hs(dut, "bad_mac1") - before >= 1
    topo.run("h4", "wg", "set", "wgp1", "peer", stranger, "remove")


FLOOD = """
import base64, hashlib, os, time
from scapy.contrib.wireguard import Wireguard, WireguardInitiation
pub = base64.b64decode("%s")
key = hashlib.blake2s(b"mac1----" + pub).digest()
pkts = []
for i in range(%d):
    m = bytes(Wireguard() / WireguardInitiation(
        sender_index=i, unencrypted_ephemeral=os.urandom(32), encrypted_static=os.urandom(48),
        encrypted_timestamp=os.urandom(28)))
    mac1 = hashlib.blake2s(m[:116], key=key, digest_size=16).digest()
    pkts.append(IP(dst="10.2.0.1") / UDP(sport=40000 + i %% 1000, dport=51820) /
                Raw(m[:116] + mac1 + bytes(16)))
send(pkts, inter=%f)
"""


# A flood of initiations (with a valid mac1, so each would cost a
# Diffie-Hellman) above handshake_load: sluice answers them with cookie
# replies instead; the peers keep their tunnels, and a new handshake with
# a real peer completes under load (wireguard-go takes the cookie and
# retries with mac2).
def test_handshake_flood_gets_cookies(topo, keys, dut, peer_a):
    ping(topo, "h1", "10.99.0.2", count=1)
    before = {k: hs(dut, k) for k in ("cookie_sent", "completed", "decrypt")}
    sniff = topo.popen("h2", "timeout", "6", "tcpdump", "-ni", "eth0", "-c", "50",
                       "udp and src port 51820 and dst portrange 40000-40999 and udp[8] = 3",
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    flood = topo.popen("h2", "/usr/bin/python3", "-c",
                       "from scapy.all import *; conf.verb = 0\n" +
                       FLOOD % (keys["sluice"][1], 1600, 0.005),
                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        time.sleep(1.5)
        assert dut.api("/api/v1/wireguard/interfaces/wg0")["under_load"]
        # The tunnel up before the flood carries on.
        ping(topo, "h1", "10.99.0.2", count=3)
        # A new session under load: sluice starts it, wireguard-go's
        # response needs a cookie first, its next one carries mac2.
        dut.api(peer_path(keys["a"][1]), "DELETE")
        dut.api("/api/v1/wireguard/interfaces/wg0/peers", "POST", {
            "public_key": keys["a"][1], "endpoint": "10.2.0.2:51820",
            "allowed_ips": ["10.99.0.2/32", "fd99::2/128"]}, expect=201)
        ping(topo, "h1", "10.99.0.2", count=1, extra=("-w", "12"))
    finally:
        flood.kill()
        flood.wait()
    replies = sniff.communicate(timeout=10)[0]
    after = {k: hs(dut, k) for k in before}
    print(after, before)
    assert after["cookie_sent"] - before["cookie_sent"] >= 50
    assert replies.count("UDP, length 64") >= 10
    assert after["completed"] - before["completed"] >= 1
    # Only the messages before the load was noticed cost a Diffie-Hellman
    # (they fail to open: random contents): one second's worth, 50.
    assert after["decrypt"] - before["decrypt"] <= 2 * 50


UDP_SEND = "import socket, sys\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n" \
    "for p in sys.argv[2:]:\n    [s.sendto(b'x', (sys.argv[1], int(p))) for _ in range(5)]\n"
UDP_COUNT = "import socket, sys\nsocks = []\nfor p in sys.argv[1:]:\n" \
    "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('', int(p)))\n" \
    "    s.settimeout(1.0); socks.append(s)\n" \
    "for s in socks:\n    n = 0\n    try:\n        while True:\n            s.recv(16); n += 1\n" \
    "    except socket.timeout:\n        pass\n    print(n)\n"


# Decrypted packets go through the rest of the pipeline as packets that
# arrived on wg0: an ACL rule on in_port wg0 drops the peer's UDP to one
# port of h1 (and counts it), the other port passes.
def test_acl_sees_the_inner_packets(topo, dut, peer_a):
    dut.api("/api/v1/acl", method="PUT", body={"default": "allow", "rules": [
        {"name": "wg-no-9999", "action": "deny", "in_port": "wg0", "proto": "udp",
         "dport": 9999}]})
    try:
        rx = topo.popen("h1", "/usr/bin/python3", "-c", UDP_COUNT, "9998", "9999",
                        stdout=subprocess.PIPE, text=True)
        time.sleep(0.3)
        topo.run("h2", "/usr/bin/python3", "-c", UDP_SEND, "10.1.0.2", "9998", "9999")
        got = [int(x) for x in rx.communicate(timeout=30)[0].split()]
        assert got == [5, 0], got
        m = dut.metrics()
        assert m[("sluice_acl_rule_packets_total", frozenset({("rule", "wg-no-9999")}))] == 5
    finally:
        dut.api("/api/v1/acl", method="PUT", body={"default": "allow", "rules": []})


# Stock wg syncconf against sluice's socket: the interface ends up with
# exactly the file's peers (one added, one changed, the others removed),
# each change journaled; a restart brings the peers back from the journal.
def test_syncconf_and_restart(topo, keys, dut, peer_a, peer_b, work):
    before = {p["public_key"]: p for p in
              dut.api("/api/v1/wireguard/interfaces/wg0/peers")["peers"]}
    extra = genkey(topo)[1]
    conf = work / "sync.conf"
    # As wg-quick strip writes it for this interface: no ListenPort, no key
    # (wg sends listen_port=0 and a zero private key: "keep them").
    conf.write_text(f"[Interface]\n\n"
                    f"[Peer]\nPublicKey = {keys['a'][1]}\nEndpoint = 10.2.0.2:51820\n"
                    f"AllowedIPs = 10.99.0.2/32, fd99::2/128, 10.96.0.0/16\n\n"
                    f"[Peer]\nPublicKey = {extra}\nAllowedIPs = 10.99.0.8/32\n")
    topo.run("dut", "wg", "syncconf", "wg0", conf)
    after = {p["public_key"]: p for p in
             dut.api("/api/v1/wireguard/interfaces/wg0/peers")["peers"]}
    assert set(after) == {keys["a"][1], extra}, after.keys()
    assert after[keys["a"][1]]["allowed_ips"] == ["10.99.0.2/32", "fd99::2/128", "10.96.0.0/16"]
    assert keys["b"][1] in before   # removed by the sync
    # The tunnel to A carried on through the change.
    ping(topo, "h1", "10.99.0.2", count=2)
    # Restart: the same peers, from the journal.
    dut.stop()
    dut.start()
    again = {p["public_key"]: p for p in
             dut.api("/api/v1/wireguard/interfaces/wg0/peers")["peers"]}
    assert set(again) == set(after)
    assert again[keys["a"][1]]["allowed_ips"] == after[keys["a"][1]]["allowed_ips"]
    # A session is made again (sluice starts it: A's endpoint is known).
    ping(topo, "h1", "10.99.0.2", count=3, extra=("-w", "10"))
    # Put B back as the tests after this expect it.
    psk = str(work / "b.psk")
    topo.run("dut", "wg", "set", "wg0", "peer", keys["b"][1], "preshared-key", psk,
             "endpoint", "[fd00:2::3]:51820", "allowed-ips", "10.99.0.3/32")
    topo.run("dut", "wg", "set", "wg0", "peer", extra, "remove")


# Peer A moves to another address and port (wireguard-go rebinds its socket
# to let go of the old source): the first authenticated packet from there
# moves the endpoint, and sluice's answers follow at once.
def test_roaming(topo, keys, dut, peer_a):
    ping(topo, "h2", "10.99.0.1", count=1)
    topo.run("h2", "ip", "address", "del", "10.2.0.2/24", "dev", "eth0")
    topo.run("h2", "ip", "address", "add", "10.2.0.12/24", "dev", "eth0")
    topo.run("h2", "ip", "route", "replace", "default", "via", "10.2.0.1")
    topo.run("h2", "wg", "set", "wgp0", "listen-port", "51899")
    try:
        ping(topo, "h2", "10.99.0.1", count=3)
        assert dut.api(peer_path(keys["a"][1]))["endpoint"] == "10.2.0.12:51899"
        ping(topo, "h1", "10.99.0.2", count=2)
    finally:
        topo.run("h2", "ip", "address", "del", "10.2.0.12/24", "dev", "eth0", check=False)
        topo.run("h2", "ip", "address", "add", "10.2.0.2/24", "dev", "eth0", check=False)
        topo.run("h2", "ip", "route", "replace", "default", "via", "10.2.0.1", check=False)
        topo.run("h2", "wg", "set", "wgp0", "listen-port", "51820", check=False)

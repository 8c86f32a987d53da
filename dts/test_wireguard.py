# SPDX-License-Identifier: BSD-3-Clause
"""WireGuard against wireguard-go, configured with stock wg, two workers.

    h1 10.1.0.2  --[lan | sluice wg0 10.99.0.1 | wan 10.2.0.1]--  h2 10.2.0.2
                                                    wireguard-go wgp0 10.99.0.2

sluice's wg0 listens on UDP 51820 on its addresses; the peer, wireguard-go
in h2 (the kernel here has no wireguard module), reaches it at
10.2.0.1:51820. h1 reaches the peer's tunnel address through sluice: routed
into wg0, encrypted, sent to the peer's endpoint.
"""
import base64
import os
import subprocess
import time
import urllib.parse

import pytest

from conftest import Sluice, demo_config, metric_sum, ping, topology

LCORES = "0@0,1@1,2@1"
PEER_IF = "wgp0"   # /var/run/wireguard is shared by every namespace


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
    yield from topology("wg", hosts=1)


@pytest.fixture(scope="module")
def keys(topo):
    return {"sluice": genkey(topo), "peer": genkey(topo)}


@pytest.fixture(scope="module")
def dut(topo, keys, tmp_path_factory):
    work = tmp_path_factory.mktemp("sluice")
    cfg = demo_config()
    cfg["wireguard"] = {"interfaces": [{
        "name": "wg0", "private_key_file": write_secret(work / "wg0.key", keys["sluice"][0]),
        "listen_port": 51820, "ipv4": ["10.99.0.1/24"], "ipv6": ["fd99::1/64"]}]}
    s = Sluice(topo, work, cfg, lcores=LCORES)
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def peer(topo, keys, dut, tmp_path_factory):
    """wireguard-go in h2, set up with wg as an operator would."""
    work = tmp_path_factory.mktemp("peer")
    proc = topo.popen("h2", "wireguard-go", "-f", PEER_IF, stdout=subprocess.DEVNULL,
                      stderr=subprocess.STDOUT)
    for _ in range(50):
        if topo.run("h2", "ip", "link", "show", PEER_IF, check=False).returncode == 0:
            break
        time.sleep(0.1)
    key = write_secret(work / "peer.key", keys["peer"][0])
    topo.run("h2", "wg", "set", PEER_IF, "private-key", key, "listen-port", "51820",
             "peer", keys["sluice"][1], "endpoint", "10.2.0.1:51820",
             "allowed-ips", "10.99.0.0/24,10.1.0.0/24,fd99::/64,fd00:1::/64")
    topo.run("h2", "ip", "address", "add", "10.99.0.2/24", "dev", PEER_IF)
    topo.run("h2", "ip", "address", "add", "fd99::2/64", "dev", PEER_IF, "nodad")
    topo.run("h2", "ip", "link", "set", PEER_IF, "up")
    topo.run("h2", "ip", "route", "add", "10.1.0.0/24", "dev", PEER_IF)
    topo.run("h2", "ip", "-6", "route", "add", "fd00:1::/64", "dev", PEER_IF)
    dut.api("/api/v1/wireguard/interfaces/wg0/peers", "POST", {
        "public_key": keys["peer"][1], "endpoint": "10.2.0.2:51820",
        "allowed_ips": ["10.99.0.2/32", "fd99::2/128"]}, expect=201)
    yield proc
    proc.terminate()
    proc.wait(timeout=10)


def peer_path(pub):
    return "/api/v1/wireguard/interfaces/wg0/peers/" + urllib.parse.quote(pub, safe="")


# The peer initiates (a ping to sluice's own tunnel address), then h1
# reaches the peer's tunnel address through sluice, IPv4 and IPv6 inside.
def test_ping_both_ways(topo, keys, dut, peer):
    ping(topo, "h2", "10.99.0.1")
    ping(topo, "h1", "10.99.0.2")
    ping(topo, "h2", "fd99::1")
    ping(topo, "h1", "fd99::2")
    view = dut.api(peer_path(keys["peer"][1]))
    assert view["latest_handshake"] > 0 and view["rx_packets"] > 0 and view["tx_packets"] > 0
    assert view["endpoint"] == "10.2.0.2:51820"
    iface = dut.api("/api/v1/wireguard/interfaces/wg0")
    assert iface["public_key"] == keys["sluice"][1]
    assert iface["handshakes"]["completed"] >= 1
    out = topo.run("h2", "wg", "show", PEER_IF, "latest-handshakes").stdout
    assert keys["sluice"][1] in out and not out.strip().endswith("\t0")


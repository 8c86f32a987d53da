# SPDX-License-Identifier: BSD-3-Clause
"""WireGuard rekeying under a scaled clock, while TCP runs through the tunnel.

    h1 10.1.0.2  --[lan | sluice wg0 10.99.0.1/24 | wan 10.2.0.1]--  h2 10.2.0.2
                                                                      wgp2 10.99.0.2

wireguard.clock_scale 24 runs sluice's protocol timers 24 times faster: a
session is renewed after 5 s (120 s) and refused after 7.5 s (180 s).
sluice starts every session (the peer, wireguard-go, knows no endpoint of
sluice), so it is sluice that must renew them in time: iperf3 runs 12 s
through the tunnel and must neither stall nor fail.
"""
import json
import subprocess
import time

import pytest

from conftest import Sluice, demo_config, metric_sum, ping, topology
from test_wireguard import genkey, wireguard_go, write_secret

LCORES = "0@0,1@1,2@1"


@pytest.fixture(scope="module")
def topo():
    yield from topology("wr", hosts=1)


def test_rekey_while_tcp_runs(topo, tmp_path):
    me, peer = genkey(topo), genkey(topo)
    cfg = demo_config()
    cfg["wireguard"] = {"clock_scale": 24, "interfaces": [{
        "name": "wg0", "private_key_file": write_secret(tmp_path / "wg0.key", me[0]),
        "listen_port": 51820, "ipv4": ["10.99.0.1/24"]}]}
    dut = Sluice(topo, tmp_path, cfg, lcores=LCORES)
    dut.start()
    proc = wireguard_go(topo, "h2", "wgp2", write_secret(tmp_path / "p.key", peer[0]),
                        "peer", me[1], "allowed-ips", "10.99.0.0/24,10.1.0.0/24",
                        addrs=("10.99.0.2/24",))
    srv = None
    try:
        dut.api("/api/v1/wireguard/interfaces/wg0/peers", "POST", {
            "public_key": peer[1], "endpoint": "10.2.0.2:51820",
            "allowed_ips": ["10.99.0.2/32"]}, expect=201)
        ping(topo, "h1", "10.99.0.2", count=2)
        srv = topo.popen("h2", "iperf3", "-s", "-1", "-B", "10.99.0.2", "-p", "5302",
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        out = topo.run("h1", "iperf3", "-c", "10.99.0.2", "-p", "5302", "-t", "12", "-J",
                       "-i", "1", timeout=60).stdout
        r = json.loads(out)
        assert "error" not in r, r.get("error")
        per_second = [i["sum"]["bits_per_second"] for i in r["intervals"]]
        iface = dut.api("/api/v1/wireguard/interfaces/wg0")
        print("per second (Mbit/s):", [round(b / 1e6) for b in per_second])
        print("handshakes:", iface["handshakes"], "sessions:", iface["sessions"])
        # Two renewals at least in 12 s (every 5 s), each completed.
        assert iface["handshakes"]["initiated"] >= 3
        assert iface["handshakes"]["completed"] >= 3
        assert iface["handshakes"]["timeout"] == 0 and iface["handshakes"]["decrypt"] == 0
        assert 1 <= iface["sessions"] <= 3
        # No stall: every second moved data.
        assert min(per_second) > 1e6, per_second
        drops = dut.drops()
        assert drops.get("wg_no_session", 0) == 0, drops
        assert drops.get("wg_replay", 0) == 0 and drops.get("wg_decrypt", 0) == 0
    finally:
        if srv is not None:
            srv.kill()
            srv.wait()
        proc.terminate()
        proc.wait(timeout=10)
        dut.stop()

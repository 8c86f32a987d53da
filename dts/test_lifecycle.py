# SPDX-License-Identifier: BSD-3-Clause
"""Start-up failures, clean stop, and the number of workers.

    h1 --[lan | sluice | wan]-- h2
"""
import json
import pathlib
import signal

from conftest import SLUICE, demo_config, ping


def hugepage_files():
    p = pathlib.Path("/dev/hugepages")
    return sorted(str(x) for x in p.iterdir()) if p.exists() else []


# Test that SIGTERM stops sluice with exit 0 and nothing left under /dev/hugepages.
def test_sigterm_clean_exit(topo, sluice_factory):
    before = hugepage_files()
    s = sluice_factory()
    ping(topo, "h1", "10.2.0.2", count=1)
    assert s.stop(signal.SIGTERM) == 0
    assert hugepage_files() == before == []
    assert '"message":"stopping"' in s.logs()


# Test that SIGINT stops it the same way.
def test_sigint_clean_exit(topo, sluice_factory):
    s = sluice_factory()
    assert s.stop(signal.SIGINT) == 0


def start_fails(topo, tmp_path, cfg, extra=()):
    path = tmp_path / "bad.json"
    path.write_text(cfg if isinstance(cfg, str) else json.dumps(cfg))
    r = topo.run("dut", SLUICE, *extra, "--", "--config", path, check=False, timeout=60)
    errors = [json.loads(line) for line in r.stderr.splitlines()
              if line.startswith("{") and '"level":"err"' in line]
    return r.returncode, errors


# Test that a bad config ends start-up with one clear message naming the field.
def test_bad_config_exits(topo, tmp_path):
    cfg = demo_config()
    cfg["ports"][0]["mtu"] = 70000
    rc, errors = start_fails(topo, tmp_path, cfg)
    assert rc == 1
    assert [e["message"] for e in errors] == [
        f"{tmp_path / 'bad.json'}: ports[0].mtu: 70000 is out of range 68..9600"]


# Test that a config that is not JSON names the file position.
def test_config_not_json_exits(topo, tmp_path):
    rc, errors = start_fails(topo, tmp_path, '{"ports": [}')
    assert rc == 1
    assert len(errors) == 1 and errors[0]["message"].startswith(str(tmp_path / "bad.json") + ":1:")


# Test that an unknown device ends start-up with a message naming the port.
def test_unknown_device_exits(topo, tmp_path):
    cfg = demo_config()
    cfg["ports"][1]["device"] = "net_af_packet1,iface=nosuchif0"
    rc, errors = start_fails(topo, tmp_path, cfg)
    assert rc == 1
    assert any(e["message"].startswith("ports[wan].device: cannot probe") for e in errors), errors
    assert hugepage_files() == []


# Test that one lcore (no worker) is refused with the reason.
def test_single_lcore_refused(topo, tmp_path):
    cfg = demo_config()
    cfg["eal"]["lcores"] = "0"
    rc, errors = start_fails(topo, tmp_path, cfg)
    assert rc == 1
    assert errors[-1]["message"].startswith("eal.lcores: need 2..33 lcores"), errors


# Test that with two workers, traffic of many flows reaches both, and all of it arrives.
def test_two_workers_share_flows(topo, sluice_factory):
    s = sluice_factory(lcores="0@0,1@1,2@1")
    status = s.api("/api/v1/status")
    workers = [l for l in status["lcores"] if l["role"] == "worker"]
    assert len(workers) == 2
    assert all(w["rx_queues"] for w in workers)
    # 64 UDP flows (distinct source ports) from h1 to h2, 20 packets each.
    sender = (
        "import socket\n"
        "for sport in range(20000, 20064):\n"
        "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "    s.bind(('10.1.0.2', sport))\n"
        "    for i in range(20): s.sendto(b'x' * 64, ('10.2.0.2', 9))\n"
        "    s.close()\n")
    ping(topo, "h1", "10.2.0.2", count=1)
    before = {w["id"]: w["rx_packets"] for w in workers}
    topo.run("h1", "python3", "-c", sender)
    after = {l["id"]: l["rx_packets"] for l in s.api("/api/v1/status")["lcores"]
             if l["role"] == "worker"}
    got = {k: after[k] - before[k] for k in after}
    assert all(v > 0 for v in got.values()), got
    assert sum(got.values()) >= 64 * 20

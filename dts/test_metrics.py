# SPDX-License-Identifier: BSD-3-Clause
"""/metrics scraped by a real Prometheus; promtool's lint is clean.

    [DUT namespace: sluice :8080  <-- prometheus :9091 scrapes every 1s]
    h1 --[lan | sluice | wan]-- h2
"""
import json
import subprocess
import time

from conftest import ping

PROM_PORT = 9091


# Test that promtool check metrics finds nothing to complain about.
def test_promtool_check_metrics(topo, sluice):
    ping(topo, "h1", "10.2.0.2", count=2)
    text = sluice.curl("/metrics")["text"]
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (r.stdout + r.stderr).strip() == ""


# Test that the counters follow traffic exactly: 10 pings -> 10 packets each way per port.
def test_counters_exact(topo, sluice):
    ping(topo, "h1", "10.2.0.2", count=1)
    # Pin the hosts' gateway entries so no ARP refresh lands inside the window.
    for host, gw, dev in [("h1", "10.1.0.1", "lan0"), ("h2", "10.2.0.1", "wan0")]:
        topo.run(host, "ip", "neigh", "replace", gw, "lladdr", topo.mac("dut", dev),
                 "dev", "eth0", "nud", "permanent")
    m0 = sluice.metrics()
    topo.run("h1", "ping", "-c", "10", "-i", "0.1", "-s", "100", "10.2.0.2")
    m1 = sluice.metrics()
    d = lambda n, **l: m1[(n, frozenset(l.items()))] - m0[(n, frozenset(l.items()))]
    assert d("sluice_port_receive_packets_total", port="lan") == 10
    assert d("sluice_port_transmit_packets_total", port="wan") == 10
    assert d("sluice_port_receive_packets_total", port="wan") == 10
    assert d("sluice_port_transmit_packets_total", port="lan") == 10
    # 100 bytes of data + 8 ICMP + 20 IP + 14 Ethernet = 142 bytes per frame.
    assert d("sluice_port_receive_bytes_total", port="lan") == 10 * 142
    assert d("sluice_port_transmit_bytes_total", port="wan") == 10 * 142
    assert d("sluice_packet_latency_seconds_count") == 20
    # Per worker: the 20 packets in all, and polling rounds that kept counting.
    workers = [dict(k[1]) for k in m1 if k[0] == "sluice_lcore_polls_total"]
    assert workers
    assert sum(d("sluice_lcore_receive_packets_total", **w) for w in workers) == 20
    for w in workers:
        assert d("sluice_lcore_polls_total", **w) > 0, w


# Test that a real Prometheus scrapes sluice and sees the series.
def test_prometheus_scrape(topo, sluice, tmp_path):
    cfg = tmp_path / "prometheus.yml"
    cfg.write_text(json.dumps({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [{"job_name": "sluice",
                            "static_configs": [{"targets": ["127.0.0.1:8080"]}]}],
    }))
    prom = topo.popen("dut", "prometheus", f"--config.file={cfg}",
                      f"--storage.tsdb.path={tmp_path / 'data'}",
                      f"--web.listen-address=127.0.0.1:{PROM_PORT}",
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ping(topo, "h1", "10.2.0.2", count=3)
        deadline = time.time() + 60
        up = gen = None
        while time.time() < deadline:
            q = lambda expr: topo.run("dut", "promtool", "query", "instant",
                                      f"http://127.0.0.1:{PROM_PORT}", expr, check=False).stdout
            up, gen = q('up{job="sluice"}'), q("sluice_config_generation")
            rx = q('sluice_port_receive_packets_total{port="lan"}')
            if "=> 1 @" in up and "=> 1 @" in gen and "=>" in rx:
                break
            time.sleep(1)
        assert "=> 1 @" in up, up
        assert "=> 1 @" in gen, gen
        assert 'sluice_build_info{dpdk="DPDK 22.11' in q("sluice_build_info")
    finally:
        prom.terminate()
        prom.wait(timeout=30)


# Test that DPDK's telemetry client reads sluice's /sluice/ commands, agreeing with /metrics.
def test_dpdk_telemetry_commands(topo, sluice):
    ping(topo, "h1", "10.2.0.2", count=3)
    time.sleep(0.2)
    out = topo.run("dut", "dpdk-telemetry.py", input="/sluice/status\n/sluice/port,lan\n/sluice/drops\n/sluice/port\n",
                   timeout=30).stdout
    replies = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    by_cmd = {k: v for r in replies for k, v in r.items()}
    assert by_cmd["/sluice/status"] == {"version": "0.1.0", "config_generation": 1,
                                        "workers": 1, "ports": 2}
    assert by_cmd["/sluice/port"] == ["lan", "wan"]  # the last /sluice/port: no parameter
    m = sluice.metrics()
    drops = sluice.drops()
    assert by_cmd["/sluice/drops"] == drops
    lan = [r["/sluice/port"] for r in replies if isinstance(r.get("/sluice/port"), dict)][0]
    assert lan["rx_packets"] == m[("sluice_port_receive_packets_total", frozenset({("port", "lan")}))]
    assert lan["tx_packets"] == m[("sluice_port_transmit_packets_total", frozenset({("port", "lan")}))]


# Test that API answers are counted by status code, the server's own errors too,
# and that the pool and neighbor-table sizes the alerts divide by are there.
def test_api_requests_and_capacities(topo, sluice):
    c = lambda code: sluice.counter("sluice_api_requests_total", code=code)
    before_404, before_405 = c("404"), c("405")
    for _ in range(3):
        assert sluice.curl("/api/v1/ports/nope")["status"] == 404
    assert sluice.curl("/api/v1/status", method="DELETE")["status"] == 405
    assert c("404") - before_404 == 3
    assert c("405") - before_405 == 1
    m = sluice.metrics()
    # Every scrape so far was answered 200 and counted before this one rendered.
    assert m[("sluice_api_requests_total", frozenset({("code", "200")}))] >= 2
    assert m[("sluice_neighbors_limit", frozenset())] == 4096
    size = m[("sluice_mbuf_pool_size", frozenset())]
    assert 0 < m[("sluice_mbuf_pool_available", frozenset())] <= size

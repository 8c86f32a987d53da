# SPDX-License-Identifier: BSD-3-Clause
"""Load-balanced services, with two workers on two-queue ports.

    h1 10.1.0.2, h3 10.1.0.3 (backends)  --[lan | sluice | wan, outside]--  h2 10.2.0.2, h4 10.2.0.3 (clients)

Each backend host runs one nginx answering on ports 8090-8094 with the
address and port it was reached at, so a response names its backend: up to
ten backends (two hosts x five ports). Clients reach the services' VIP
10.2.0.100 on the wan subnet: sluice answers ARP for it.
"""
import time
from collections import Counter

import pytest

from conftest import API_PORT, SLUICECTL, Sluice, demo_config, nginx_config, topology

LCORES = "0@0,1@1,2@1"
VIP = "10.2.0.100"
VIP6 = "fd00:2::100"
FULLNAT_SOURCE = "10.1.0.250"

# Each response names the backend that served it.
NGINX_SERVER = """
        listen 8090; listen 8091; listen 8092; listen 8093; listen 8094; listen 8095; listen [::]:8090;
        location / { return 200 "$server_addr:$server_port\\n"; }
"""

# N connections to vip:port, one request each; prints each response's body
# (the backend), or "error". From source ports sport0.. when given.
CLIENT = r"""
import socket, sys
vip, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sport0 = int(sys.argv[4]) if len(sys.argv) > 4 else 0
for i in range(n):
    s = socket.socket(socket.AF_INET6 if ':' in vip else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(3)
    try:
        if sport0:
            s.bind(('', sport0 + i))
        s.connect((vip, port))
        s.sendall(b'GET / HTTP/1.0\r\n\r\n')
        data = b''
        while True:
            d = s.recv(4096)
            if not d:
                break
            data += d
        print(data.split(b'\r\n\r\n', 1)[1].decode().strip())
    except (OSError, IndexError) as e:
        print('error', e)
    finally:
        s.close()
"""


@pytest.fixture(scope="module")
def topo():
    yield from topology("sv", hosts=2)


@pytest.fixture(scope="module")
def backends(topo, tmp_path_factory):
    d = tmp_path_factory.mktemp("nginx")
    procs = {}

    def start(host):
        (d / f"{host}.conf").write_text(nginx_config(d, host, NGINX_SERVER))
        procs[host] = topo.popen(host, "nginx", "-c", d / f"{host}.conf",
                                 stderr=open(d / f"{host}.err", "w"))

    def stop(host):
        procs[host].terminate()
        procs[host].wait()

    for h in ("h1", "h3"):
        start(h)
    time.sleep(1)
    yield {"start": start, "stop": stop}
    for p in procs.values():
        if p.poll() is None:
            p.terminate()
            p.wait()


def backend_list(n, port0=8090):
    """n backends: h1 and h3 in turn, ports from port0."""
    return [{"address": ("10.1.0.2", "10.1.0.3")[i % 2], "port": port0 + i // 2}
            for i in range(n)]


def service(name, port, scheduler="rr", backends=None, **kw):
    return {"name": name, "vip": VIP, "proto": "tcp", "port": port, "scheduler": scheduler,
            "backends": backends if backends is not None else backend_list(3), **kw}


def services_config(*services):
    cfg = demo_config()
    cfg["ports"][1]["zone"] = "outside"
    # A kernel port: the host's own TCP stack, for HTTP health checks.
    cfg["ports"].append({"name": "host", "device": "net_tap0,iface=svtap0",
                         "ipv4": ["169.254.10.1/30"], "kernel_address": "169.254.10.2/30"})
    cfg["flow"] = {"max_connections": 8192,
                   "timeouts": {"tcp_time_wait": "2s", "tcp_close": "2s"}}
    cfg["services"] = list(services)
    return cfg


def connect(topo, n, port, host="h2", sport0=None, vip=VIP):
    args = ["/usr/bin/python3", "-c", CLIENT, vip, str(port), str(n)]
    if sport0:
        args.append(str(sport0))
    return topo.run(host, *args, timeout=120).stdout.split("\n")[:-1]


def by_backend(sluice, name):
    svc = sluice.api(f"/api/v1/services/{name}")
    return {f'{b["address"]}:{b["port"]}': b for b in svc["backends"]}


@pytest.fixture(scope="module")
def lb(topo, backends, tmp_path_factory):
    """One sluice with a service per scheduler, shared by the tests below."""
    cfg = services_config(
        service("rr", 80),
        # Backends of their own (ports 8092-8093): an exact count must not
        # share a backend with another service (a client port reused for
        # both would meet the other's closing connection there).
        service("wrr", 81, "wrr", [dict(b, weight=w)
                                   for b, w in zip(backend_list(3, 8092), (1, 2, 3))]),
        service("sh", 82, "sh"),
        service("lc", 83, "lc", backend_list(2)),
        service("maglev", 84, "maglev", backend_list(10), mode="fullnat",
                sources=[FULLNAT_SOURCE]),
        service("web6", 86, "rr", [{"address": "fd00:1::2", "port": 8090},
                                   {"address": "fd00:1::3", "port": 8090}], vip=VIP6),
        service("http", 87, "rr", backend_list(2),
                health={"type": "http", "path": "/", "interval": "200ms", "timeout": "150ms",
                        "rise": 2, "fall": 2}),
        service("nodrain", 88, "rr", backend_list(2), drain=False,
                health={"type": "tcp", "interval": "200ms", "timeout": "100ms", "rise": 2,
                        "fall": 2}),
        # Backends of its own too: a client port still open toward one of
        # them through another service would make rr skip it.
        service("checked", 85, "rr", backend_list(2, 8095),
                health={"type": "tcp", "interval": "200ms", "timeout": "100ms", "rise": 2,
                        "fall": 2}),
    )
    s = Sluice(topo, tmp_path_factory.mktemp("sluice"), cfg, lcores=LCORES)
    s.start()
    yield s
    s.stop()


# Test round robin over three backends from two clients at once, new
# connections landing on both workers: each backend gets 100 of 300.
def test_round_robin(topo, lb):
    a = topo.popen("h2", "/usr/bin/python3", "-c", CLIENT, VIP, "80", "150", stdout=-1, text=True)
    b = topo.popen("h4", "/usr/bin/python3", "-c", CLIENT, VIP, "80", "150", stdout=-1, text=True)
    got = a.communicate(timeout=120)[0].split() + b.communicate(timeout=120)[0].split()
    assert len(got) == 300 and "error" not in got, got
    counts = Counter(got)
    assert set(counts) == {"10.1.0.2:8090", "10.1.0.3:8090", "10.1.0.2:8091"}, counts
    assert all(99 <= c <= 101 for c in counts.values()), counts
    rest = by_backend(lb, "rr")
    assert {k: v["opened"] for k, v in rest.items()} == dict(counts), rest
    m = lb.metrics()
    assert m[("sluice_flow_handoffs_total", frozenset())] > 0
    assert lb.drops()["handoff_full"] == 0 and lb.drops()["no_backend"] == 0


# Test weighted round robin 1:2:3 gives 50/100/150 of 300.
def test_weighted_round_robin(topo, lb):
    got = Counter(connect(topo, 300, 81))
    assert got == {"10.1.0.2:8092": 50, "10.1.0.3:8092": 100, "10.1.0.2:8093": 150}, got


# Test source hashing: each client stays on one backend.
def test_source_hash(topo, lb):
    for host in ("h2", "h4"):
        got = Counter(connect(topo, 20, 82, host=host))
        assert len(got) == 1 and "error" not in got, (got, {k: v for k, v in lb.drops().items() if v})


# Test least connections: with one connection held open on a backend, new
# ones go to the idle one.
def test_least_connections(topo, lb):
    held = topo.popen("h2", "/usr/bin/python3", "-c",
                      "import socket,time\n"
                      f"s=socket.create_connection(('{VIP}', 83)); print('up', flush=True)\n"
                      "time.sleep(30)\n", stdout=-1, text=True)
    try:
        assert held.stdout.readline().strip() == "up"
        time.sleep(0.3)
        busy = [k for k, b in by_backend(lb, "lc").items() if b["connections"] == 1]
        assert len(busy) == 1, by_backend(lb, "lc")
        got = Counter(connect(topo, 10, 83))
        assert len(got) == 1 and busy[0] not in got and "error" not in got, (busy, got)
    finally:
        held.kill()
        held.wait()


# Test that changing a service's backends leaves open connections where
# they are: a connection held to the backend that is removed keeps
# talking to it; new ones go to the remaining backend.
def test_backend_change_keeps_connections(topo, lb):
    held = topo.popen("h4", "/usr/bin/python3", "-u", "-c",
                      "import socket, sys\n"
                      f"s = socket.create_connection(('{VIP}', 83))\n"
                      "for line in sys.stdin:\n"
                      "    s.sendall(b'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n')\n"
                      "    d = s.recv(4096).decode()\n"
                      "    print(d.rsplit('\\n', 2)[-2].strip(), flush=True)\n",
                      stdin=-1, stdout=-1, text=True)
    try:
        held.stdin.write("x\n")
        held.stdin.flush()
        first = held.stdout.readline().strip()
        assert first in ("10.1.0.2:8090", "10.1.0.3:8090"), first
        keep = [b for b in backend_list(2) if f'{b["address"]}:{b["port"]}' != first]
        lb.api("/api/v1/services/lc", method="PUT", body=service("lc", 83, "lc", keep))
        got = connect(topo, 4, 83)
        assert got == [f'{keep[0]["address"]}:{keep[0]["port"]}'] * 4, \
            (got, {k: v for k, v in lb.drops().items() if v})
        held.stdin.write("x\n")
        held.stdin.flush()
        assert held.stdout.readline().strip() == first
    finally:
        held.kill()
        held.wait()
        lb.api("/api/v1/services/lc", method="PUT", body=service("lc", 83, "lc", backend_list(2)))


# Test Maglev over ten backends (full NAT): removing one changes the backend
# of at most 1/10 + 2 % of fixed client (address, port) pairs.
def test_maglev_removal(topo, lb):
    before = connect(topo, 200, 84, sport0=20000)
    assert "error" not in " ".join(before) and len(set(before)) == 10, Counter(before)
    cfg = lb.api("/api/v1/services/maglev")
    gone = "10.1.0.3:8092"
    spec = service("maglev", 84, "maglev", [b for b in backend_list(10)
                                             if f'{b["address"]}:{b["port"]}' != gone],
                   mode="fullnat", sources=[FULLNAT_SOURCE])
    r = lb.api("/api/v1/services/maglev", method="PUT", body=spec)
    assert len(r["service"]["backends"]) == 9
    time.sleep(2.5)   # the client side's connections leave time_wait in sluice
    after = connect(topo, 200, 84, sport0=20000)
    assert gone not in after and "error" not in " ".join(after), Counter(after)
    changed = sum(1 for x, y in zip(before, after) if x != y)
    moved_off = before.count(gone)
    print("maglev: moved off", moved_off, "changed", changed)
    assert changed <= 200 * (0.1 + 0.02) and changed >= moved_off, (changed, moved_off)
    assert cfg["mode"] == "fullnat"


# Test an IPv6 service: the VIP answers neighbor solicitations on wan, and
# connections alternate between the two backends.
def test_ipv6_service(topo, lb):
    got = Counter(connect(topo, 6, 86, vip=VIP6))
    assert got == {"fd00:1::2:8090": 3, "fd00:1::3:8090": 3}, got


# Test full NAT: backends with no route to the client still serve it (they
# see sluice's source address); a dnat service to them does not.
def test_fullnat_without_route(topo, lb):
    for h in ("h1", "h3"):
        topo.run(h, "ip", "route", "del", "default")
    try:
        got = connect(topo, 10, 84)
        assert "error" not in " ".join(got), got
        assert all(line.startswith("error") for line in connect(topo, 2, 80)), "dnat answered"
    finally:
        for h in ("h1", "h3"):
            topo.run(h, "ip", "route", "add", "default", "via", "10.1.0.1")


# Test the REST view, sluicectl, and refusals that name the field.
def test_services_api(topo, lb):
    svcs = lb.api("/api/v1/services")["services"]
    assert [s["name"] for s in svcs] == ["rr", "wrr", "sh", "lc", "maglev", "web6", "http", "nodrain", "checked"]
    rr = svcs[0]
    assert rr["vip"] == VIP and rr["scheduler"] == "rr" and rr["usable_backends"] == 3
    assert all(b["health"] == "up" for b in rr["backends"])
    for body, field, expect in (
        (service("x", 90, "fastest"), "services[9].scheduler", "rr, wrr, lc, sh, maglev"),
        (service("x", 80), "services[9]", "already service"),
        (service("x", 90, vip="10.2.0.1"), "services[9].vip", "address of port wan"),
        (service("x", 90, backends=[{"address": "10.1.0.2", "weight": 5000}]),
         "services[9].backends[0].weight", "out of range"),
        (service("x", 90, mode="fullnat"), "services[9].sources", "required"),
    ):
        r = lb.curl("/api/v1/services/x", method="PUT", body=body, check=False)
        assert r["status"] == 422, (body, r)
        assert field in r["body"]["detail"] and expect in r["body"]["detail"], (body, r["body"])
    assert [s["name"] for s in lb.api("/api/v1/services")["services"]] == \
        ["rr", "wrr", "sh", "lc", "maglev", "web6", "http", "nodrain", "checked"]
    r = lb.api("/api/v1/services/extra", method="PUT", body=service("extra", 91), expect=201)
    assert r["service"]["port"] == 91
    assert connect(topo, 1, 91)[0] in ("10.1.0.2:8090", "10.1.0.3:8090", "10.1.0.2:8091")
    lb.api("/api/v1/services/extra", method="DELETE")
    assert lb.curl("/api/v1/services/extra", check=False)["status"] == 404
    assert connect(topo, 1, 91)[0].startswith("error")
    r = topo.run("dut", SLUICECTL, "--api", f"http://127.0.0.1:{API_PORT}", "services")
    lines = r.stdout.splitlines()
    assert lines[0].split()[:4] == ["SERVICE", "VIP", "SCHEDULER", "BACKEND"], lines
    assert any(line.split()[0] == "rr" and f"{VIP}:80/tcp" in line for line in lines), lines
    m = lb.metrics()
    assert m[("sluice_service_backend_up", frozenset({("service", "rr"),
                                                       ("backend", "10.1.0.2:8090")}))] == 1
    assert m[("sluice_service_connections_opened_total",
              frozenset({("service", "wrr"), ("backend", "10.1.0.2:8093")}))] == 150


def health(sluice, name):
    return {k: b["health"] for k, b in by_backend(sluice, name).items()}


# Test TCP health checks: a backend whose nginx stops is marked down within
# fall x interval (+ timeout), new connections all go to the other one with
# no error; started again, it comes back within rise x interval.
def test_health_checks(topo, lb, backends):
    assert health(lb, "checked") == {"10.1.0.2:8095": "up", "10.1.0.3:8095": "up"}
    assert Counter(connect(topo, 10, 85)) == {"10.1.0.2:8095": 5, "10.1.0.3:8095": 5}
    # The probes entered the pipeline like received packets: tracked there.
    probes = [f for f in lb.api("/api/v1/flows?proto=tcp&address=10.1.0.1&limit=1000")["flows"]
              if f["original"]["src"] == "10.1.0.1"]
    assert probes and all(1000 <= f["original"]["sport"] <= 1023 for f in probes), \
        [(f["original"]["src"], f["original"]["sport"], f["original"]["dst"], f["state"])
         for f in lb.api("/api/v1/flows?proto=tcp&limit=40")["flows"]]
    backends["stop"]("h3")
    try:
        deadline = time.time() + 2 * 0.2 + 0.1 + 0.5
        while health(lb, "checked")["10.1.0.3:8095"] != "down":
            assert time.time() < deadline, by_backend(lb, "checked")
            time.sleep(0.05)
        got = connect(topo, 20, 85)
        assert got == ["10.1.0.2:8095"] * 20, got
        m = lb.metrics()
        assert m[("sluice_service_backend_up", frozenset({("service", "checked"),
                                                           ("backend", "10.1.0.3:8095")}))] == 0
        assert m[("sluice_service_usable_backends", frozenset({("service", "checked")}))] == 1
        assert "backend 10.1.0.3 port 8095 is down (refused)" in lb.logs()
    finally:
        backends["start"]("h3")
    deadline = time.time() + 2 * 0.2 + 1.5
    while health(lb, "checked")["10.1.0.3:8095"] != "up":
        assert time.time() < deadline, by_backend(lb, "checked")
        time.sleep(0.05)
    assert "backend 10.1.0.3 port 8095 is up (probe answered)" in lb.logs()
    assert set(connect(topo, 4, 85)) == {"10.1.0.2:8095", "10.1.0.3:8095"}


# Test that an ICMP error sluice sends about a packet it translated to a
# backend quotes the packet as the client sent it (to the VIP, with its
# checksum right), so the client's stack takes it (scapy's sr1 matches an
# error to what it sent by the quote).
def test_icmp_error_quotes_the_vip(topo, lb):
    r = topo.run("h2", "/usr/bin/python3", "-c",
                 "from scapy.all import *; conf.verb = 0\n"
                 f"a = sr1(IP(dst='{VIP}', ttl=1)/TCP(sport=33333, dport=80, flags='S'), "
                 "timeout=3)\n"
                 "q = a[IPerror]; ck = q.chksum; q2 = q.copy(); del q2.chksum\n"
                 "print(a[ICMP].type, q.dst, a[TCPerror].dport, "
                 "IP(raw(q2)[:20]).chksum == ck)")
    assert r.stdout.split() == ["11", VIP, "80", "True"], r.stdout + r.stderr


def wait_health(sluice, name, backend, state, seconds):
    deadline = time.time() + seconds
    while health(sluice, name)[backend] != state:
        assert time.time() < deadline, by_backend(sluice, name)
        time.sleep(0.05)


# Test HTTP health checks, made with the host's TCP stack through the kernel
# port: a backend whose nginx stops is marked down (refused) and comes back;
# a path that answers 404 marks every backend down (status), so new
# connections are refused as no_backend.
def test_http_health_checks(topo, lb, backends):
    assert health(lb, "http") == {"10.1.0.2:8090": "up", "10.1.0.3:8090": "up"}
    assert "kernel port host: the host is 169.254.10.2/30 on svtap0" in lb.logs()
    backends["stop"]("h3")
    try:
        wait_health(lb, "http", "10.1.0.3:8090", "down", 2 * 0.2 + 0.15 + 0.5)
        assert "service http: backend 10.1.0.3 port 8090 is down (refused)" in lb.logs()
        assert connect(topo, 6, 87) == ["10.1.0.2:8090"] * 6
    finally:
        backends["start"]("h3")
    wait_health(lb, "http", "10.1.0.3:8090", "up", 2 * 0.2 + 1.5)
    spec = service("http", 87, "rr", backend_list(2),
                   health={"type": "http", "path": "/missing", "expect": 200,
                           "interval": "200ms", "timeout": "150ms", "rise": 2, "fall": 2})
    # nginx answers every path: ask for a status it does not give.
    spec["health"]["expect"] = 204
    lb.api("/api/v1/services/http", method="PUT", body=spec)
    try:
        for b in ("10.1.0.2:8090", "10.1.0.3:8090"):
            wait_health(lb, "http", b, "down", 2 * 0.2 + 1.0)
        assert "service http: backend 10.1.0.2 port 8090 is down (status)" in lb.logs()
        before = lb.drops()["no_backend"]
        assert connect(topo, 1, 87)[0].startswith("error")
        assert lb.drops()["no_backend"] > before
    finally:
        spec["health"]["expect"] = 200
        spec["health"]["path"] = "/"
        lb.api("/api/v1/services/http", method="PUT", body=spec)


# Test virtual reassembly over IPv4 on net_tap (an af_packet port with
# several queues gets IPv4 fragments already reassembled by the kernel; the
# kernel port is net_tap, which does not): the host's own stack sends a
# 3000-byte UDP datagram from the kernel port's address to h2; its kernel
# fragments it, sluice passes every fragment (later ones by the first's
# entry), and h2 reassembles the whole datagram.
def test_ipv4_fragments_on_net_tap(topo, lb):
    srv = topo.popen("h2", "/usr/bin/python3", "-u", "-c",
                     "import socket\n"
                     "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                     "s.bind(('0.0.0.0', 9998))\n"
                     "d, a = s.recvfrom(65535)\n"
                     "print(len(d), a[0], d == bytes(range(250)) * 12, flush=True)\n",
                     stdout=-1, text=True)
    try:
        time.sleep(0.5)
        before = lb.drops()
        topo.run("dut", "/usr/bin/python3", "-c",
                 "import socket\n"
                 "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                 "s.setsockopt(socket.IPPROTO_IP, 10, 0)   # IP_MTU_DISCOVER: fragment\n"
                 "s.bind(('169.254.10.2', 0))\n"
                 "s.sendto(bytes(range(250)) * 12, ('10.2.0.2', 9998))\n")
        out, _ = srv.communicate(timeout=5)
        assert out.split() == ["3000", "169.254.10.2", "True"], out
        after = lb.drops()
        for reason in ("fragment_timeout", "fragment_hold_full", "fragment_table_full"):
            assert after[reason] == before[reason], reason
    finally:
        srv.kill()


def held_connection(topo, host, port):
    """A keep-alive HTTP connection to the VIP: send a line to make a request;
    each answer line is the backend, or "error"."""
    return topo.popen(host, "/usr/bin/python3", "-u", "-c",
                      "import socket, sys\n"
                      f"s = socket.create_connection(('{VIP}', {port})); s.settimeout(2)\n"
                      "for line in sys.stdin:\n"
                      "    try:\n"
                      "        s.sendall(b'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n')\n"
                      "        d = s.recv(4096).decode()\n"
                      "        print(d.rsplit('\\n', 2)[-2].strip(), flush=True)\n"
                      "    except OSError:\n"
                      "        print('error', flush=True)\n",
                      stdin=-1, stdout=-1, text=True)


def ask(held):
    held.stdin.write("x\n")
    held.stdin.flush()
    return held.stdout.readline().strip()


# Test drain: a backend whose checks fail while it still serves (its host
# drops sluice's probes) keeps its open connections by default, and loses
# them with "drain": false (their entries removed: the client's next
# request finds no connection, and a segment that cannot open one is
# dropped as tcp_invalid).
def test_drain(topo, lb):
    kept, cut = held_connection(topo, "h2", 85), held_connection(topo, "h4", 88)
    hosts = set()
    try:
        for held, port in ((kept, 8095), (cut, 8090)):
            b = ask(held)
            assert b in (f"10.1.0.2:{port}", f"10.1.0.3:{port}"), b
            hosts.add("h1" if b.startswith("10.1.0.2") else "h3")
        for h in hosts:     # the probes (from sluice's lan address) go unanswered
            topo.run(h, "nft", "add table inet probe_drop")
            topo.run(h, "nft", "add chain inet probe_drop in { type filter hook input priority 0; }")
            topo.run(h, "nft", "add rule inet probe_drop in ip saddr 10.1.0.1 tcp dport { 8090, 8095 } drop")
        deadline = time.time() + 3
        while not all(b["health"] == "down" for s in ("checked", "nodrain")
                      for k, b in by_backend(lb, s).items()
                      if ("h1" if k.startswith("10.1.0.2") else "h3") in hosts):
            assert time.time() < deadline, (by_backend(lb, "checked"), by_backend(lb, "nodrain"))
            time.sleep(0.05)
        time.sleep(1.5)     # the owners' expiry scans remove what was marked
        assert ask(kept) in ("10.1.0.2:8095", "10.1.0.3:8095")
        before = lb.drops()["tcp_invalid"]
        assert ask(cut) == "error"
        assert lb.drops()["tcp_invalid"] > before
        assert "is down (timeout); its open connections are removed" in lb.logs()
    finally:
        for h in hosts:
            topo.run(h, "nft", "delete table inet probe_drop", check=False)
        for held in (kept, cut):
            held.kill()
            held.wait()

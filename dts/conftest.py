# SPDX-License-Identifier: BSD-3-Clause
"""Fixtures for sluice's end-to-end suites.

Every suite runs real Linux hosts in network namespaces (scripts/topology.sh)
with sluice attached to their veths through net_af_packet:

    P-h1 eth0 10.1.0.2/24 fd00:1::2/64 -- lan0 [sluice lan | wan] wan0 -- eth0 10.2.0.2/24 fd00:2::2/64 P-h2

Fixtures always tear down what they made (namespaces, processes), also when a
test fails.
"""
import json
import os
import pathlib
import signal
import subprocess
import time

import pytest

import openapi_check

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = pathlib.Path(os.environ.get("SLUICE_BUILD", ROOT / "build"))
SLUICE = BUILD / "app" / "sluice" / "sluice"
SLUICECTL = BUILD / "app" / "sluicectl" / "sluicectl"
TOPOLOGY = ROOT / "scripts" / "topology.sh"
API_PORT = 8080


def run(*cmd, check=True, timeout=60, **kw):
    """Run a command, return CompletedProcess with text output."""
    return subprocess.run([str(c) for c in cmd], check=check, timeout=timeout,
                          capture_output=True, text=True, **kw)


class Topology:
    def __init__(self, prefix):
        self.prefix = prefix

    def ns(self, host):
        return f"{self.prefix}-{host}"

    def run(self, host, *cmd, check=True, timeout=60, **kw):
        return run("ip", "netns", "exec", self.ns(host), *cmd, check=check,
                   timeout=timeout, **kw)

    def popen(self, host, *cmd, **kw):
        return subprocess.Popen(["ip", "netns", "exec", self.ns(host)] + [str(c) for c in cmd],
                                **kw)

    def mac(self, host, dev):
        out = self.run(host, "cat", f"/sys/class/net/{dev}/address").stdout
        return out.strip().lower()


def topology(tag, hosts=1):
    """Bring a topology up (@hosts hosts on each side) for a module; a generator
    for a fixture to yield from."""
    prefix = tag + str(os.getpid() % 10000)
    run(TOPOLOGY, "up", prefix, env={**os.environ, "TOPOLOGY_HOSTS": str(hosts)})
    try:
        yield Topology(prefix)
    finally:
        run(TOPOLOGY, "down", prefix, check=False)


@pytest.fixture(scope="module")
def topo():
    yield from topology("sl")


def nginx_config(workdir, tag, server):
    """An nginx.conf for a foreground nginx with its files under @workdir,
    serving the @server block (the text inside "server { }")."""
    return f"""
daemon off;
worker_processes 1;
pid {workdir}/nginx-{tag}.pid;
error_log {workdir}/error-{tag}.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {workdir};
    proxy_temp_path {workdir};
    fastcgi_temp_path {workdir};
    uwsgi_temp_path {workdir};
    scgi_temp_path {workdir};
    server {{ {server} }}
}}
"""


def demo_config(**over):
    cfg = json.loads((ROOT / "conf" / "demo.json").read_text())
    cfg["api"]["port"] = API_PORT
    cfg.update(over)
    return cfg


class Sluice:
    """One sluice process in the topology's DUT namespace."""

    def __init__(self, topo, workdir, config, lcores=None):
        self.topo = topo
        self.workdir = pathlib.Path(workdir)
        self.config_path = self.workdir / "sluice.json"
        self.log_path = self.workdir / "sluice.log"
        self.token = None
        if lcores:
            config.setdefault("eal", {})["lcores"] = lcores
        self.config_path.write_text(json.dumps(config, indent=2))
        self.proc = None

    def start(self, extra_eal=(), wait=True, env=None, wrapper=()):
        """Start sluice; @env adds environment variables, @wrapper is a
        command sluice runs under (setpriv ...)."""
        self.log = open(self.log_path, "w")
        cmd = [*wrapper, SLUICE, *extra_eal, "--", "--config", self.config_path]
        self.proc = self.topo.popen("dut", *cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                    env={**os.environ, **(env or {})})
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sluice exited with {self.proc.returncode}:\n{self.logs()}")
            r = self.curl("/readyz", check=False)
            if r["status"] == 200:
                return
            time.sleep(0.2)
        raise RuntimeError("sluice did not become ready:\n" + self.logs())

    def logs(self):
        return self.log_path.read_text() if self.log_path.exists() else ""

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def curl(self, path, method="GET", body=None, token=None, headers=(), check=True):
        """HTTP request from inside the DUT namespace; returns status, headers, body."""
        cmd = ["curl", "-sS", "-X", method, "-D", "-", "--max-time", "10"]
        tok = token if token is not None else self.token
        if tok:
            cmd += ["-H", f"Authorization: Bearer {tok}"]
        for h in headers:
            cmd += ["-H", h]
        if body is not None:
            data = body if isinstance(body, (str, bytes)) else json.dumps(body)
            cmd += ["-H", "Content-Type: application/json", "--data-binary", "@-"]
        else:
            data = None
        cmd.append(f"http://127.0.0.1:{API_PORT}{path}")
        r = self.topo.run("dut", *cmd, input=data, check=False)
        if r.returncode != 0:
            if check:
                raise RuntimeError(f"curl {path}: {r.stderr}")
            return {"status": 0, "headers": {}, "body": None, "text": r.stderr}
        # Text mode turned the CRLFs of the header block into LFs.
        head, _, text = r.stdout.partition("\n\n")
        while head.startswith("HTTP/1.1 100"):
            head, _, text = text.partition("\n\n")
        lines = head.split("\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        parsed = None
        if hdrs.get("content-type", "").startswith("application/") and text:
            parsed = json.loads(text)
        # Every answer the suites see is checked against doc/api/openapi.yaml.
        openapi_check.check(path, method, status, hdrs.get("content-type", ""), parsed)
        return {"status": status, "headers": hdrs, "body": parsed, "text": text}

    def api(self, path, method="GET", body=None, expect=200, **kw):
        r = self.curl(path, method=method, body=body, **kw)
        assert r["status"] == expect, f"{method} {path}: {r['status']} {r['text']}"
        return r["body"]

    def metrics(self):
        """Parsed /metrics: {(name, frozenset(labels)): value}."""
        text = self.curl("/metrics")["text"]
        out = {}
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            series, _, value = line.rpartition(" ")
            name, _, labels = series.partition("{")
            pairs = frozenset()
            if labels:
                pairs = frozenset(tuple(p.split("=", 1)) for p in
                                  labels.rstrip("}").replace('"', "").split(","))
            out[(name, pairs)] = float(value)
        return out

    def drops(self):
        m = self.metrics()
        return {dict(k[1])["reason"]: int(v) for k, v in m.items()
                if k[0] == "sluice_drop_packets_total"}

    def counter(self, name, **labels):
        return self.metrics().get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def sluice_factory(topo, tmp_path):
    started = []

    def make(config=None, lcores=None, start=True, token=None, env=None, wrapper=()):
        s = Sluice(topo, tmp_path, config or demo_config(), lcores=lcores)
        if start:
            s.start(env=env, wrapper=wrapper)
        s.token = token
        started.append(s)
        return s

    yield make
    for s in started:
        s.stop()


@pytest.fixture
def sluice(sluice_factory):
    return sluice_factory()


def metric_sum(m, name, **labels):
    """The sum of metric @name's series (a Sluice.metrics() dict) whose labels
    include @labels."""
    want = set(labels.items())
    return sum(v for (n, ls), v in m.items() if n == name and want <= set(ls))


def scapy(topo, host, prog, timeout=60):
    """Run @prog (scapy imported) on @host; its stdout."""
    return topo.run(host, "/usr/bin/python3", "-c",
                    "from scapy.all import *; conf.verb = 0\n" + prog, timeout=timeout).stdout


def ping(topo, host, dst, count=3, extra=(), check=True):
    fam = ["-6"] if ":" in dst else []
    return topo.run(host, "ping", *fam, "-c", str(count), "-i", "0.2", "-W", "2", *extra, dst,
                    check=check)

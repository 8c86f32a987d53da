# SPDX-License-Identifier: BSD-3-Clause
"""sluice as a systemd service, without systemd: the test binds the notify
socket itself (that is all systemd does for Type=notify) and checks what
sluice says on it; the shipped unit passes systemd-analyze verify; the
unit's capability set is enough to run.

    [test: AF_UNIX datagram socket = NOTIFY_SOCKET] <-- sd_notify -- sluice (2 workers)
    h1 --[lan | sluice | wan]-- h2
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import ROOT, SLUICE, ping, run

UNIT = ROOT / "conf" / "systemd" / "sluice.service"
TWO_WORKERS = "0@0,1@1,2@1"


class NotifySocket:
    """The service manager's end: collects (time, {key: value}) messages."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.messages = []

    def _recv(self, timeout):
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(4096).decode()
        except socket.timeout:
            return None
        fields = dict(line.split("=", 1) for line in data.split("\n") if "=" in line)
        self.messages.append((time.monotonic(), fields))
        return fields

    def wait_for(self, key, value="1", timeout=30):
        """Receive until a message with key=value; returns it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self._recv(deadline - time.monotonic())
            if m is not None and m.get(key) == value:
                return m
        raise AssertionError(f"no {key}={value} within {timeout}s; got {self.messages}")

    def collect(self, seconds):
        """Everything received in the next @seconds."""
        start = len(self.messages)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._recv(deadline - time.monotonic())
        return self.messages[start:]

    def close(self):
        self.sock.close()
        os.unlink(self.path)


@pytest.fixture
def notify(tmp_path):
    n = NotifySocket(tmp_path / "notify.sock")
    yield n
    n.close()


def keys(messages, key):
    return [m for _, m in messages if key in m]


# Test that sluice says READY=1 once it forwards, feeds the watchdog every half
# period, wraps a config PUT in RELOADING=1 / READY=1 and says STOPPING=1 on SIGTERM.
def test_notify_protocol(topo, sluice_factory, notify):
    s = sluice_factory(lcores=TWO_WORKERS, start=False)
    s.start(wait=False, env={"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"})
    ready = notify.wait_for("READY")
    assert re.fullmatch(r"running: 2 workers, 2 of 2 ports up, config generation 1",
                        ready["STATUS"]), ready
    # Ready means ready: the API answers and traffic passes at once.
    assert s.curl("/readyz")["status"] == 200
    ping(topo, "h1", "10.2.0.2", count=1)

    # WATCHDOG_USEC=1s: fed every 0.5s while both workers poll.
    got = notify.collect(3.0)
    pings = [t for t, m in got if m.get("WATCHDOG") == "1"]
    assert 5 <= len(pings) <= 7, got
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    assert all(0.3 < g < 0.8 for g in gaps), gaps

    # A configuration apply: RELOADING=1 (with MONOTONIC_USEC), then READY=1.
    cfg = s.api("/api/v1/config")
    cfg["log"]["level"] = "debug"
    s.api("/api/v1/config", method="PUT", body=cfg)
    reloading = notify.wait_for("RELOADING")
    assert int(reloading["MONOTONIC_USEC"]) > 0
    assert reloading["STATUS"] == "applying configuration generation 2"
    after = notify.wait_for("READY")
    assert after["STATUS"] == "running: 2 workers, 2 of 2 ports up, config generation 2"

    # One refused inside the transaction (needs a restart) is wrapped the same
    # way and changes nothing.
    limit = cfg["api"].get("connection_limit", 64)
    cfg["api"]["connection_limit"] = limit + 1
    s.api("/api/v1/config", method="PUT", body=cfg, expect=409)
    notify.wait_for("RELOADING")
    assert notify.wait_for("READY")["STATUS"].endswith("config generation 2")

    # A document that fails validation, and a dry run, are not reloads.
    n_reloading = len(keys(notify.messages, "RELOADING"))
    cfg["api"]["connection_limit"] = limit
    cfg["ports"][0]["mtu"] = 70000
    s.api("/api/v1/config", method="PUT", body=cfg, expect=422)
    cfg["ports"][0]["mtu"] = 1400
    s.api("/api/v1/config?dry_run=true", method="PUT", body=cfg)
    notify.collect(0.5)
    assert len(keys(notify.messages, "RELOADING")) == n_reloading

    assert s.stop(signal.SIGTERM) == 0
    stopping = notify.wait_for("STOPPING", timeout=5)
    assert stopping["STATUS"].startswith("stopping")


# Test that without WATCHDOG_USEC no watchdog message is sent, READY=1 still is.
def test_no_watchdog_without_env(topo, sluice_factory, notify):
    s = sluice_factory(start=False)
    s.start(wait=False, env={"NOTIFY_SOCKET": notify.path})
    notify.wait_for("READY")
    assert keys(notify.collect(1.5), "WATCHDOG") == []
    assert '"watchdog on' not in s.logs()


# Test that SIGHUP re-reads the file: a good edit is applied live, a broken
# file is refused and the running config stays.
def test_sighup_reloads_the_file(topo, sluice_factory, notify):
    s = sluice_factory(start=False)
    s.start(wait=False, env={"NOTIFY_SOCKET": notify.path})
    notify.wait_for("READY")
    cfg = json.loads(s.config_path.read_text())
    cfg["routes"] = [{"prefix": "10.3.0.0/24", "via": "10.2.0.2"}]
    s.config_path.write_text(json.dumps(cfg))
    s.proc.send_signal(signal.SIGHUP)
    notify.wait_for("RELOADING")
    assert notify.wait_for("READY")["STATUS"].endswith("config generation 2")
    assert [r["prefix"] for r in s.api("/api/v1/config")["routes"]] == ["10.3.0.0/24"]

    rejects = s.counter("sluice_config_rejects_total")
    s.config_path.write_text("{ not json")
    s.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while s.counter("sluice_config_rejects_total") == rejects and time.time() < deadline:
        time.sleep(0.1)
    assert s.counter("sluice_config_rejects_total") == rejects + 1
    assert s.api("/api/v1/status")["config_generation"] == 2
    assert "reload of" in s.logs() and "refused, nothing changed" in s.logs()


def unit_with(binary, tmp_path):
    text = UNIT.read_text().replace("/usr/local/bin/sluice", str(binary))
    path = tmp_path / "sluice.service"
    path.write_text(text)
    return path


# Test that systemd-analyze verify accepts the shipped unit pointed at the built
# binary, and that it would catch a unit whose binary is missing.
def test_unit_verifies(tmp_path):
    r = run("systemd-analyze", "verify", unit_with(SLUICE, tmp_path), check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run("systemd-analyze", "verify", unit_with(tmp_path / "missing", tmp_path), check=False)
    assert r.returncode != 0 and "is not executable" in r.stderr


def unit_capabilities():
    line = next(l for l in UNIT.read_text().splitlines()
                if l.startswith("CapabilityBoundingSet="))
    return line.split("=", 1)[1].split()


# Test that the unit's capability set is enough: sluice on af_packet ports,
# run as root with only those capabilities, becomes ready and forwards; and
# that it is not vacuous: without CAP_NET_RAW the ports do not open.
def test_unit_capabilities_suffice(topo, sluice_factory):
    caps = unit_capabilities()
    assert "CAP_SYS_MODULE" not in caps and "CAP_SYS_PTRACE" not in caps
    setpriv = shutil.which("setpriv")
    bounding = "-all," + ",".join("+" + c[4:].lower() for c in caps)
    s = sluice_factory(start=False)
    s.start(wrapper=[setpriv, "--bounding-set", bounding, "--inh-caps", "-all"])
    status = dict(l.split(":\t", 1) for l in
                  open(f"/proc/{s.proc.pid}/status").read().splitlines() if ":\t" in l)
    assert bin(int(status["CapEff"], 16)).count("1") == len(caps), status["CapEff"]
    ping(topo, "h1", "10.2.0.2", count=2)
    s.stop()

    without_raw = "-all," + ",".join("+" + c[4:].lower() for c in caps if c != "CAP_NET_RAW")
    t = sluice_factory(start=False)
    t.start(wait=False, wrapper=[setpriv, "--bounding-set", without_raw, "--inh-caps", "-all"])
    assert t.proc.wait(timeout=60) == 1
    assert "Operation not permitted" in t.logs() or "permission" in t.logs().lower(), t.logs()

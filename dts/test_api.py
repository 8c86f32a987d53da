# SPDX-License-Identifier: BSD-3-Clause
"""The REST API: auth, config replace and validation, dry-run, routes, ports.

    h1 --[lan | sluice (API on 127.0.0.1:8080 in the DUT namespace) | wan]-- h2
                                                                       h2 lo: 10.3.0.5, fd00:3::5
Every response is also checked against doc/api/openapi.yaml (conftest).
"""
import json
import os

import pytest

from conftest import SLUICE, demo_config, ping

TOKEN = "s3cret-token-for-tests"


@pytest.fixture
def token_file(tmp_path):
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    os.chmod(path, 0o600)
    return path


@pytest.fixture
def authed(sluice_factory, token_file):
    cfg = demo_config()
    cfg["api"]["token_file"] = str(token_file)
    return sluice_factory(cfg, token=TOKEN)


# Test that /api/v1 needs the bearer token and the probes do not.
def test_auth_required(authed):
    r = authed.curl("/api/v1/status", token="")
    assert r["status"] == 401
    assert r["headers"]["www-authenticate"] == 'Bearer realm="sluice"'
    assert r["headers"]["content-type"] == "application/problem+json"
    assert authed.curl("/api/v1/config", token="wrong-token")["status"] == 401
    assert authed.curl("/api/v1/config", token=TOKEN + "x")["status"] == 401
    assert authed.curl("/api/v1/status")["status"] == 200
    for probe in ["/healthz", "/readyz", "/metrics"]:
        assert authed.curl(probe, token="")["status"] == 200
    assert TOKEN not in authed.logs()
    got = authed.api("/api/v1/config")
    assert got["api"]["token_file"].endswith("token")
    assert TOKEN not in json.dumps(got)


# Test that a token file readable by others is refused at start.
def test_token_file_mode_enforced(topo, tmp_path, token_file):
    os.chmod(token_file, 0o644)
    cfg = demo_config()
    cfg["api"]["token_file"] = str(token_file)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(cfg))
    r = topo.run("dut", SLUICE, "--", "--config", path, check=False)
    assert r.returncode == 1
    assert "api.token_file" in r.stderr and "0600" in r.stderr


BAD_CONFIGS = [
    (lambda c: c["routes"].append({"prefix": "10.9.0.0/24", "via": "10.2.0.300"}),
     "routes[0].via", 'routes[0].via: "10.2.0.300" is not an IPv4 address'),
    (lambda c: c["ports"][0].update(mtu=60), "ports[0].mtu",
     "ports[0].mtu: 60 is out of range 68..9600"),
    (lambda c: c["log"].update(level="loud"), "log.level",
     'log.level: "loud" is not one of err, warn, info, debug'),
    (lambda c: c.update(bogus=1), "bogus", "bogus: unknown key"),
]


# Test that bad configs are rejected naming the field, and the running config is unchanged.
@pytest.mark.parametrize("mutate,field,detail", BAD_CONFIGS)
def test_bad_config_rejected(sluice, mutate, field, detail):
    before = sluice.curl("/api/v1/config")
    on_disk = sluice.config_path.read_text()
    cfg = json.loads(before["text"])
    mutate(cfg)
    r = sluice.curl("/api/v1/config", method="PUT", body=cfg)
    assert r["status"] == 422
    assert r["body"]["field"] == field and r["body"]["detail"] == detail
    assert r["body"]["status"] == 422 and r["body"]["type"] == "about:blank"
    after = sluice.curl("/api/v1/config")
    assert after["body"] == before["body"]
    assert after["headers"]["etag"] == before["headers"]["etag"] == '"1"'
    assert sluice.config_path.read_text() == on_disk
    assert sluice.counter("sluice_config_rejects_total") == 1


# Test that a body that is not JSON gets 400 naming the body.
def test_body_not_json(sluice):
    r = sluice.curl("/api/v1/config", method="PUT", body="{not json")
    assert r["status"] == 400 and r["body"]["field"] == "body"


# Test that dry-run returns the diff and applies nothing.
def test_dry_run_diff(sluice):
    cfg = sluice.api("/api/v1/config")
    cfg["ports"][1]["mtu"] = 1400
    cfg["routes"].append({"prefix": "10.3.0.0/24", "via": "10.2.0.2"})
    out = sluice.api("/api/v1/config?dry_run=true", method="PUT", body=cfg)
    assert out["dry_run"] is True and out["generation"] == 1
    changes = {c["path"]: (c["old"], c["new"]) for c in out["changes"]}
    assert changes["ports[wan].mtu"] == (1500, 1400)
    assert changes["routes[10.3.0.0/24]"] == (
        None, {"prefix": "10.3.0.0/24", "via": "10.2.0.2", "type": "unicast"})
    assert len(changes) == 2
    assert sluice.api("/api/v1/config")["ports"][1]["mtu"] == 1500
    assert sluice.api("/api/v1/status")["config_generation"] == 1


# Test that a full replace applies live, bumps the generation and honours If-Match.
def test_put_config_applies(topo, sluice):
    cfg = sluice.api("/api/v1/config")
    cfg["routes"].append({"prefix": "10.3.0.0/24", "via": "10.2.0.2"})
    r = sluice.curl("/api/v1/config", method="PUT", body=cfg, headers=['If-Match: "7"'])
    assert r["status"] == 412
    out = sluice.api("/api/v1/config", method="PUT", body=cfg, headers=['If-Match: "1"'])
    assert out["generation"] == 2
    assert json.loads(sluice.config_path.read_text())["routes"] == [
        {"prefix": "10.3.0.0/24", "via": "10.2.0.2", "type": "unicast"}]
    assert sluice.counter("sluice_config_generation") == 2
    assert sluice.counter("sluice_config_applies_total") == 1


# Test that a change that needs a restart is refused with 409 and changes nothing.
def test_restart_only_change_refused(sluice):
    cfg = sluice.api("/api/v1/config")
    cfg["ports"][0]["device"] = "net_af_packet9,iface=lan0"
    r = sluice.curl("/api/v1/config", method="PUT", body=cfg)
    assert r["status"] == 409
    assert r["body"]["field"] == "ports[lan].device"
    assert sluice.api("/api/v1/status")["config_generation"] == 1


# Test that a route added over REST carries traffic, survives a restart, and deleting it stops it.
def test_route_add_carries_traffic(topo, sluice_factory):
    s = sluice_factory()
    topo.run("h2", "ip", "addr", "add", "10.3.0.5/32", "dev", "lo")
    topo.run("h2", "ip", "-6", "addr", "add", "fd00:3::5/128", "dev", "lo")
    try:
        out = topo.run("h1", "ping", "-c", "1", "-W", "2", "10.3.0.5", check=False).stdout
        assert "Destination Net Unreachable" in out
        r = s.api("/api/v1/routes", method="POST", expect=201,
                  body={"prefix": "10.3.0.0/24", "via": "10.2.0.2"})
        assert r == {"route": {"prefix": "10.3.0.0/24", "via": "10.2.0.2", "type": "unicast"},
                     "generation": 2}
        s.api("/api/v1/routes", method="POST", expect=201,
              body={"prefix": "fd00:3::/64", "via": "fd00:2::2"})
        assert "3 received" in ping(topo, "h1", "10.3.0.5").stdout
        assert "3 received" in ping(topo, "h1", "fd00:3::5").stdout
        dup = s.curl("/api/v1/routes", method="POST", body={"prefix": "10.3.0.0/24", "via": "10.2.0.2"})
        assert dup["status"] == 409 and dup["body"]["field"] == "route.prefix"
        routes = s.api("/api/v1/routes")["routes"]
        assert {"prefix": "10.3.0.0/24", "type": "unicast", "via": "10.2.0.2", "port": "wan",
                "source": "static"} in routes
        assert {"prefix": "10.1.0.0/24", "type": "connected", "port": "lan",
                "source": "connected"} in routes
        # The route was persisted: a restart from the same file still has it.
        assert s.stop() == 0
        s.start()
        assert "3 received" in ping(topo, "h1", "10.3.0.5").stdout
        assert s.api("/api/v1/routes/10.3.0.0/24", method="DELETE") == {
            "deleted": "10.3.0.0/24", "generation": 2}
        out = topo.run("h1", "ping", "-c", "1", "-W", "2", "10.3.0.5", check=False).stdout
        assert "Destination Net Unreachable" in out
        assert s.curl("/api/v1/routes/10.3.0.0/24", method="DELETE")["status"] == 404
        assert s.curl("/api/v1/routes/10.3.0.300/24", method="DELETE")["status"] == 400
    finally:
        topo.run("h2", "ip", "addr", "del", "10.3.0.5/32", "dev", "lo", check=False)
        topo.run("h2", "ip", "-6", "addr", "del", "fd00:3::5/128", "dev", "lo", check=False)


# Test that a bad route is refused naming its field.
def test_route_add_invalid(sluice):
    r = sluice.curl("/api/v1/routes", method="POST", body={"prefix": "10.3.0.1/24", "via": "10.2.0.2"})
    assert r["status"] == 422 and r["body"]["field"] == "route.prefix"
    r = sluice.curl("/api/v1/routes", method="POST", body={"prefix": "10.3.0.0/24", "via": "10.77.0.1"})
    assert r["status"] == 422 and r["body"]["field"] == "route.via"


# Test the read-only endpoints: status, ports, one port with xstats, unknown paths.
def test_status_and_ports(topo, sluice):
    st = sluice.api("/api/v1/status")
    assert st["version"] == "0.1.0" and st["config_generation"] == 1
    assert [p["name"] for p in st["ports"]] == ["lan", "wan"]
    assert all(p["link_up"] for p in st["ports"])
    ports = sluice.api("/api/v1/ports")["ports"]
    assert ports[0]["mac"].lower() == topo.mac("dut", "lan0")
    assert ports[0]["driver"] == "net_af_packet" and ports[0]["ipv4"] == ["10.1.0.1/24"]
    one = sluice.api("/api/v1/ports/wan")
    assert one["name"] == "wan" and isinstance(one["xstats"], dict) and one["xstats"]
    assert sluice.curl("/api/v1/ports/nope")["status"] == 404
    r = sluice.curl("/api/v1/status", method="DELETE")
    assert r["status"] == 405 and r["headers"]["allow"] == "GET"
    ready = sluice.api("/readyz")
    assert ready == {"ready": True, "checks": {"ports_up": True, "workers_polling": True,
                                               "config_applied": True}}

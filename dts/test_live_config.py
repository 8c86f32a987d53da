# SPDX-License-Identifier: BSD-3-Clause
"""Configuration changes while traffic flows lose nothing.

    h1 (UDP sender, numbered datagrams) --[lan | sluice | wan]-- h2 (UDP receiver)
         the management API replaces the config 50 times during the stream
"""
import json
import textwrap
import time

from conftest import ping

COUNT = 20000
RATE_PPS = 4000

RECEIVER = textwrap.dedent("""
    import socket, sys
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(('10.2.0.2', 5555))
    s.settimeout(5)
    print('ready', flush=True)
    seen = set()
    try:
        while True:
            data, _ = s.recvfrom(2048)
            seen.add(int(data[:8]))
    except socket.timeout:
        pass
    print(len(seen), flush=True)
""")

SENDER = textwrap.dedent(f"""
    import socket, time
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    start = time.monotonic()
    for i in range({COUNT}):
        s.sendto(b'%08d' % i + b'.' * 100, ('10.2.0.2', 5555))
        if i % 40 == 0:
            ahead = start + i / {RATE_PPS} - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    print({COUNT}, flush=True)
""")


# Test that a counted UDP stream during 50 config changes arrives complete (received == sent).
def test_udp_stream_across_50_changes(topo, sluice):
    import subprocess
    ping(topo, "h1", "10.2.0.2", count=1)  # neighbors resolved before counting
    before = sluice.drops()
    rx = topo.popen("h2", "/usr/bin/python3", "-c", RECEIVER, stdout=subprocess.PIPE, text=True)
    assert rx.stdout.readline().strip() == "ready"
    tx = topo.popen("h1", "/usr/bin/python3", "-c", SENDER, stdout=subprocess.PIPE, text=True)
    base = sluice.api("/api/v1/config")
    generations = []
    for i in range(50):
        cfg = json.loads(json.dumps(base))
        # Alternate between two real changes that rebuild every table.
        cfg["routes"] = [{"prefix": f"10.{100 + i}.0.0/16", "via": "10.2.0.2"}]
        cfg["ports"][1]["mtu"] = 1500 - (i % 2) * 100
        out = sluice.api("/api/v1/config", method="PUT", body=cfg)
        generations.append(out["generation"])
        time.sleep(0.05)
    sent = int(tx.communicate(timeout=60)[0].strip())
    received = int(rx.communicate(timeout=60)[0].strip())
    assert generations == list(range(2, 52))
    assert sent == COUNT
    assert received == sent
    after = sluice.drops()
    # Only the hosts' own link-local chatter (MLD reports) may have been dropped.
    after.pop("link_local_multicast"), before.pop("link_local_multicast")
    assert {r: after[r] - before[r] for r in after if after[r] != before[r]} == {}
    assert sluice.api("/api/v1/status")["config_generation"] == 51

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Masquerade per core of work: Linux (nft masquerade, kernel forwarding)
# against sluice (flow section + masquerade), on the same namespaces, veths
# and packets, one after the other.
#
#   h1 (generator: iperf3 UDP, 64-byte frames, 8 flows, CPU 0)
#     -- lan0 [ P-dut: Linux or sluice ] wan0 --
#   h2 (sink: an nft netdev ingress rule drops the test datagrams, counting
#   them; iperf3's own handshake datagram passes)
#
# Linux: lan0/wan0 get the router's addresses, ip_forward on, an nft
# masquerade rule out of wan0; RPS steers the receive processing of both
# veths to CPU 1, so Linux's forwarding (and the sink's ingress drop, which
# it is charged for) runs there: its work is CPU 1's system + softirq time.
# sluice: conf/demo.json with a flow section and masquerade, one worker on
# CPU 1; its work is the worker's busy time (sluice_lcore_busy_seconds_total:
# iterations that had packets), the kernel's af_packet work on the sending
# side is not counted (it runs on CPU 0 with the generator).
#
# Each side: packets per second forwarded (counted at the sink), CPU
# seconds per second of work, cycles per packet, packets per second per
# core of work. Rounds alternate (Linux, sluice, ...) so the host's moves
# hit both. usage: scripts/bench/nat-vs-linux.sh [--rounds N] [--seconds S]
set -euo pipefail
P=snl
rounds=3
seconds=6
source "$(dirname "$0")/dut-lib.sh"
source "$root/scripts/bench/udp-sink-lib.sh"

linux_on() {
    linux_router_up <<'EOF'
table ip bench {
    chain post { type nat hook postrouting priority srcnat; oifname "wan0" masquerade; }
}
EOF
    echo 2 | ns h2 tee /sys/class/net/eth0/queues/rx-0/rps_cpus >/dev/null
}
linux_off() { linux_router_down; }
sluice_on() {
    sluice_start 'cfg["flow"] = {"max_connections": 65536}
cfg["nat"] = {"snat": [{"out_port": "wan", "to": "masquerade"}]}'
}
sluice_off() { sluice_stop; }

compare_per_core

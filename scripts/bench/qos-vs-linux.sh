#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# QoS scheduling per core of work: Linux (kernel forwarding, an HTB tree
# with pfifo leaves on wan0) against sluice (the same tree in its qos
# section), on the same namespaces, veths and packets, rounds alternating
# (scripts/bench/udp-sink-lib.sh: generator, sink, measure).
#
# The tree is conf/qos-interactive.json's: high (40 % / 80 %, prio 0),
# medium (30 % / 60 %, prio 1), low (30 % / 100 %, prio 2, the default),
# with the preset's match rules (as u32 filters for Linux), under a link rate
# of 10 Gbit/s, above what either side forwards here, so that each side
# costs what classifying and scheduling cost and neither holds a packet
# back for rate. The load (UDP to port 5201) matches no rule: every packet
# goes through all of them to the default class. This kernel has no
# fq_codel (doc/performance.md), so Linux's leaves are pfifo; sluice's are
# FQ-CoDel with the preset's parameters.
#
# Linux's work is CPU 1's system + softirq time (RPS puts the receive
# processing of both veths there), sluice's the worker's busy time.
# usage: scripts/bench/qos-vs-linux.sh [--rounds N] [--seconds S]
set -euo pipefail
P=sql
rounds=3
seconds=6
source "$(dirname "$0")/dut-lib.sh"
source "$root/scripts/bench/udp-sink-lib.sh"
LINK=10Gbit

# tc commands for the preset's tree on wan0, one per line.
htb_commands() {
    /usr/bin/python3 - "$root/conf/qos-interactive.json" "$LINK" <<'PY'
import json, sys
port = json.load(open(sys.argv[1]))["qos"]["ports"][0]
link = int(sys.argv[2].lower().replace("gbit", "")) * 10**9
UNITS = {"gbit": 10**9, "mbit": 10**6, "kbit": 10**3, "bit": 1}
def bps(v):
    if v.endswith("%"):
        return int(link * float(v[:-1]) / 100)
    for unit, mul in UNITS.items():
        if v.lower().endswith(unit):
            return int(float(v[:-len(unit)]) * mul)
    return int(v)
dev = "dev wan0"
print(f"qdisc add {dev} root handle 1: htb default {10 * (1 + [c['name'] for c in port['classes']].index(port['default']))}")
print(f"class add {dev} parent 1: classid 1:1 htb rate {link}bit ceil {link}bit quantum 1514")
protos = {"tcp": 6, "udp": 17}
dscp = {"ef": 46, "cs6": 48, "cs7": 56, "af41": 34, "af31": 26, "af21": 18, "af11": 10, "cs1": 8}
for i, c in enumerate(port["classes"]):
    cid = f"1:{10 * (i + 1)}"
    print(f"class add {dev} parent 1:1 classid {cid} htb rate {bps(c['rate'])}bit "
          f"ceil {bps(c['ceil'])}bit prio {c['prio']} quantum 1514")
    print(f"qdisc add {dev} parent {cid} pfifo limit 10240")
    for m in c.get("match", []):
        sel = []
        if "proto" in m:
            sel.append(f"match ip protocol {protos.get(m['proto'], m['proto'])} 0xff")
        for k in ("sport", "dport"):
            if k in m:
                sel.append(f"match ip {k} {m[k]} 0xffff")
        if "dscp" in m:
            d = m["dscp"] if isinstance(m["dscp"], int) else dscp[m["dscp"]]
            sel.append(f"match ip tos {d << 2:#x} 0xfc")
        print(f"filter add {dev} parent 1: protocol ip prio 1 u32 {' '.join(sel)} flowid {cid}")
PY
}

linux_on() {
    linux_router_up <<<'table ip bench { }'
    htb_commands | while read -r line; do
        # shellcheck disable=SC2086
        ns dut tc $line
    done
    echo 2 | ns h2 tee /sys/class/net/eth0/queues/rx-0/rps_cpus >/dev/null
}
linux_off() {
    ns dut tc -s class show dev wan0 >"$run_dir/htb-classes.txt"
    ns dut tc qdisc del dev wan0 root
    linux_router_down
}
sluice_on() {
    sluice_start 'q = json.load(open("conf/qos-interactive.json"))["qos"]
q["ports"][0]["rate"] = "'"$LINK"'"
cfg["qos"] = q'
}
sluice_off() {
    ns dut curl -s "$API/api/v1/qos" >"$run_dir/sluice-qos.json"
    sluice_stop
}

compare_per_core
echo "Linux's classes at the end of its last round: $run_dir/htb-classes.txt"

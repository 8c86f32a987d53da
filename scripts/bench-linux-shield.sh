#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Linux's side of the shield comparison (doc/performance.md): the harness's
# spoofed flood (test/perf/bench_gen --spoof: --flows sources, 4 096 by
# default, in 172.16.0.0/16, 64-byte UDP) through a namespace router running nftables
# with connection tracking on and a per-source meter that holds each source
# to 10 packets a second, as conf/bench-shield.json does in sluice:
#
#   [blg: bench_gen]  blg0 --veth--> blr0 [blr: Linux router, nftables] blr1 --veth--> blg1
#
# Receive Packet Steering puts the router's work (everything after a frame
# enters r0) in CPU 1's softirq, away from the generator on CPU 0. The
# script reads CPU 1's system, irq and softirq time from /proc/stat over the
# generator's window, less the same over a window without traffic, and
# reports packets a second offered, forwarded and dropped, and the packets
# the router handled (forwarded + dropped by its rules) per CPU-second.
# CPU 1 must be otherwise quiet (no other benchmark or test running).
#
# The first run, "send-only", drops every frame at the router's ingress
# hook: what receiving alone costs (for reference, not subtracted).
#
# usage: scripts/bench-linux-shield.sh [--rate PPS] [--window S] [--flows N]
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

rate=400000 window=5 flows=4096
while [ $# -gt 0 ]; do
    case "$1" in
    --rate) rate=$2; shift ;;
    --window) window=$2; shift ;;
    --flows) flows=$2; shift ;;
    --no-build) ;;
    *) echo "bench-linux-shield: unknown option $1" >&2; exit 64 ;;
    esac
    shift
done
G=blg$$ R=blr$$
gen=build/test/perf/bench_gen
[ -x "$gen" ] || { echo "bench-linux-shield: build first (meson compile -C build)" >&2; exit 1; }

cleanup() {
    [ -n "${gen_pid:-}" ] && kill "$gen_pid" 2>/dev/null && wait "$gen_pid" 2>/dev/null
    ip netns del "$G" 2>/dev/null
    ip netns del "$R" 2>/dev/null
    rm -rf "/run/dpdk/$G" "/tmp/blg.$$.json" "/tmp/blg.$$.log"
}
trap cleanup EXIT

ip netns add "$G" && ip netns add "$R" || exit 1
ip link add g0 netns "$G" type veth peer name r0 netns "$R"
ip link add g1 netns "$G" type veth peer name r1 netns "$R"
for ns_dev in "$G g0" "$G g1" "$R r0" "$R r1"; do
    set -- $ns_dev
    ip -n "$1" link set "$2" up
    ip netns exec "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1
done
ip -n "$R" link set lo up
ip -n "$R" addr add 10.0.0.1/24 dev r0
ip -n "$R" addr add 10.1.0.1/24 dev r1
# Receive Packet Steering: the router's work (everything after the frame
# enters r0) runs in CPU 1's softirq, away from the generator on CPU 0.
ip netns exec "$R" sh -c 'echo 2 > /sys/class/net/r0/queues/rx-0/rps_cpus'
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
    net.ipv4.conf.r0.rp_filter=0 net.netfilter.nf_conntrack_max=262144 2>/dev/null
g1_mac=$(ip netns exec "$G" cat /sys/class/net/g1/address)
r0_mac=$(ip netns exec "$R" cat /sys/class/net/r0/address)
ip -n "$R" neigh add 10.1.0.2 lladdr "$g1_mac" dev r1
ip -n "$R" route add 10.253.0.0/16 via 10.1.0.2
ip -n "$R" route add 172.16.0.0/16 via 10.0.0.2 dev r0 onlink
ip netns exec "$R" nft -f - <<'EOF'
table ip shield {
    chain forward {
        type filter hook forward priority 0; policy accept;
        ct state invalid counter drop
        meter per_source size 16384 { ip saddr limit rate over 10/second } counter drop
        counter accept
    }
}
EOF

# Kernel jiffies (system, irq, softirq) of CPU 1, where RPS puts the
# router's work; the ticks per second.
jiffies() { awk '/^cpu1 / {print $4 + $7 + $8}' /proc/stat; }
hz=$(getconf CLK_TCK)
# Packets the router's rules dropped: the meter's and the invalid ones.
drops() {
    ip netns exec "$R" nft list table ip shield |
        awk '/drop/ {for (i = 1; i <= NF; i++) if ($i == "packets") n += $(i + 1)} END {print n + 0}'
}

# measure NAME: one window of the generator; prints a JSON line.
measure() {
    local fifo out=/tmp/blg.$$.json log=/tmp/blg.$$.log
    rm -f "$out" "$log"
    fifo=$(mktemp -u); mkfifo "$fifo"
    ip netns exec "$G" "$gen" --lcores=0@0 --no-huge -m 512 --no-pci --file-prefix "$G" \
        --vdev=net_af_packet0,iface=g0,qpairs=2 --vdev=net_af_packet1,iface=g1,qpairs=2 -- \
        --rate "$rate" --flows "$flows" --spoof --warmup 1 --window "$window" \
        --dst-mac "$r0_mac" --wait-link 2 <"$fifo" >"$out" 2>"$log" &
    gen_pid=$!
    exec 3>"$fifo"; rm -f "$fifo"
    for _ in $(seq 100); do grep -qs 'waiting for links' "$out" && break; sleep 0.2; done
    echo go >&3 || { cat "$log" >&2; exit 1; }
    sleep 1                                    # the warm-up
    k0=$(jiffies)
    d0=$(drops)
    sleep "$window"
    k1=$(jiffies)
    d1=$(drops)
    for _ in $(seq 50); do grep -qs received_pps "$out" && break; sleep 0.2; done
    exec 3>&-
    wait "$gen_pid" 2>/dev/null; gen_pid=
    rm -rf "/run/dpdk/$G"
    /usr/bin/python3 - "$1" "$window" "$hz" "$k0" "$k1" "$idle" "${d0:-0}" "${d1:-0}" \
        "$out" <<'PYEOF2'
import json, sys
name, window, hz = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
router = (float(sys.argv[5]) - float(sys.argv[4])) / hz / window - float(sys.argv[6])
dropped = (float(sys.argv[8]) - float(sys.argv[7])) / window
g = json.loads(open(sys.argv[9]).read().strip().splitlines()[-1])["pairs"][0]
handled = g["received_pps"] + dropped
print(json.dumps({"run": name, "offered_pps": round(g["offered_pps"]),
                  "forwarded_pps": round(g["received_pps"]), "dropped_pps": round(dropped),
                  "router_cpu": round(router, 3),
                  "handled_per_router_cpu_second": round(handled / router) if router > 0.01 else None}))
PYEOF2
}

# CPU 1's kernel time with no traffic (per second), to take off.
k0=$(jiffies); sleep 3; k1=$(jiffies)
idle=$(awk -v a="$k0" -v b="$k1" -v hz="$hz" 'BEGIN {printf "%.4f", (b - a) / hz / 3}')

# 1. The generator alone: every frame dropped where it enters the router,
#    at its interface's ingress hook (what sending costs the kernel).
ip netns exec "$R" nft add table netdev early
ip netns exec "$R" nft add chain netdev early in \
    "{ type filter hook ingress device r0 priority -500; policy drop; }"
measure send-only
ip netns exec "$R" nft delete table netdev early
sleep 1
# 2. The same frames through the router and its shield.
measure shield

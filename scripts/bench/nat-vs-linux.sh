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
cd "$(dirname "$0")/../.."
root=$(pwd)
rounds=3
seconds=6
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        *) echo "usage: $0 [--rounds N] [--seconds S]" >&2; exit 64 ;;
    esac
done
P=snl
API=http://127.0.0.1:8089
run_dir=$(mktemp -d /tmp/sluice-nat-vs-linux.XXXX)
hz=$(/usr/bin/python3 -c "import os; print(os.sysconf('SC_CLK_TCK'))")
tsc_hz=$(awk '/cpu MHz/ {print int($4 * 1e6); exit}' /proc/cpuinfo)
ns() { ip netns exec "$P-$1" "${@:2}"; }

cleanup() {
    [ -n "${sluice_pid:-}" ] && kill "$sluice_pid" 2>/dev/null && wait "$sluice_pid" 2>/dev/null
    [ -n "${srv_pid:-}" ] && kill "$srv_pid" 2>/dev/null
    scripts/topology.sh down "$P" >/dev/null 2>&1 || true
}
trap cleanup EXIT
scripts/topology.sh up "$P" >/dev/null
# The sink: iperf3 for its control connection, the UDP dropped (and counted) at ingress.
ns h2 nft -f - <<'EOF'
table netdev sink {
    chain in { type filter hook ingress device "eth0" priority 0; udp length 26 counter drop; }
}
EOF
ns h2 iperf3 -s -D -p 5201 >/dev/null
sink_packets() {
    ns h2 nft -j list table netdev sink | /usr/bin/python3 -c '
import json, sys
n = 0
for o in json.load(sys.stdin)["nftables"]:
    for e in o.get("rule", {}).get("expr", []):
        n += e.get("counter", {}).get("packets", 0)
print(n)'
}
# CPU 1's system + softirq jiffies.
cpu1_work() { awk '$1 == "cpu1" {print $4 + $7 + $8}' /proc/stat; }

# Traffic for $seconds + 2 s; measure the middle $seconds - 2 s with $1 (a
# function printing "packets work_seconds"); print "pps work_per_s".
measure() {
    taskset -c 0 ip netns exec "$P-h1" iperf3 -c 10.2.0.2 -u -l 18 -b 0 -P 8 \
        -t $((seconds + 2)) >/dev/null 2>&1 &
    local gen=$!
    sleep 2
    read -r p0 w0 < <($1)
    local t0; t0=$(date +%s.%N)
    sleep $((seconds - 2))
    read -r p1 w1 < <($1)
    local t1; t1=$(date +%s.%N)
    wait "$gen" || true
    /usr/bin/python3 -c "
dt = $t1 - $t0
print($p1 - $p0, ($p1 - $p0) / dt, ($w1 - $w0) / dt)"
}

linux_sample() { echo "$(sink_packets) $(/usr/bin/python3 -c "print($(cpu1_work) / $hz)")"; }
sluice_sample() {
    local busy
    busy=$(ns dut curl -s "$API/metrics" |
           awk '/^sluice_lcore_busy_seconds_total/ && /role="worker"/ {s += $2} END {print s}')
    echo "$(sink_packets) $busy"
}

linux_on() {
    ns dut ip addr add 10.1.0.1/24 dev lan0
    ns dut ip addr add 10.2.0.1/24 dev wan0
    ns dut sysctl -qw net.ipv4.ip_forward=1
    ns dut nft -f - <<'EOF'
table ip bench_nat {
    chain post { type nat hook postrouting priority srcnat; oifname "wan0" masquerade; }
}
EOF
    for dev in lan0 wan0; do echo 2 | ns dut tee "/sys/class/net/$dev/queues/rx-0/rps_cpus" >/dev/null; done
    echo 2 | ns h2 tee /sys/class/net/eth0/queues/rx-0/rps_cpus >/dev/null
}
linux_off() {
    ns dut nft delete table ip bench_nat
    ns dut ip addr flush dev lan0
    ns dut ip addr flush dev wan0
    ns dut sysctl -qw net.ipv4.ip_forward=0
}
sluice_on() {
    /usr/bin/python3 - conf/demo.json "$run_dir/sluice.json" <<'EOF'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["eal"] = {"lcores": "0@0,1@1", "hugepages": "auto", "file_prefix": "slnat"}
cfg["api"]["port"] = 8089
cfg["workers"] = {"idle_sleep": "0us"}
cfg["flow"] = {"max_connections": 65536}
cfg["nat"] = {"snat": [{"out_port": "wan", "to": "masquerade"}]}
json.dump(cfg, open(sys.argv[2], "w"))
EOF
    ip netns exec "$P-dut" "$root/build/app/sluice/sluice" -- --config "$run_dir/sluice.json" \
        >"$run_dir/sluice.log" 2>&1 &
    sluice_pid=$!
    for _ in $(seq 100); do
        ns dut curl -sf "$API/readyz" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    cat "$run_dir/sluice.log" >&2
    exit 1
}
sluice_off() { kill "$sluice_pid"; wait "$sluice_pid" || true; sluice_pid=; }

echo "kernel $(uname -r); TSC $tsc_hz Hz; $rounds rounds of ${seconds} s; $(nproc) CPUs"
printf '%-6s %-7s %12s %10s %12s %16s\n' round dut packets Mpps "work (CPU)" "Mpps/core of work"
results=()
for r in $(seq "$rounds"); do
    for dut in linux sluice; do
        "${dut}_on"
        read -r pk pps work < <(measure "${dut}_sample")
        "${dut}_off"
        per_core=$(/usr/bin/python3 -c "print('%.3f' % ($pps / $work / 1e6 if $work > 0 else 0))")
        printf '%-6s %-7s %12s %10.3f %12.3f %16s\n' "$r" "$dut" "$pk" \
            "$(/usr/bin/python3 -c "print($pps / 1e6)")" "$work" "$per_core"
        results+=("$dut $per_core $pps $work")
    done
done
printf '%s\n' "${results[@]}" | /usr/bin/python3 -c '
import statistics, sys
by = {}
for line in sys.stdin:
    dut, per_core, pps, work = line.split()
    by.setdefault(dut, []).append(float(per_core))
l, s = statistics.median(by["linux"]), statistics.median(by["sluice"])
print("median Mpps per core of work: linux %.3f (%.3f-%.3f), sluice %.3f (%.3f-%.3f): sluice / linux %.1fx"
      % (l, min(by["linux"]), max(by["linux"]), s, min(by["sluice"]), max(by["sluice"]), s / l))'

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The embedded demo: two Linux hosts on different subnets, sluice routing
# between them, no NIC needed (veths in network namespaces, net_af_packet).
# Installs and builds what is missing, reserves hugepages (or falls back to
# --no-huge), drives ping (IPv4, IPv6) and an iperf3 TCP run through sluice,
# prints a report from the REST API and /metrics, and stops cleanly.
#
# usage: scripts/demo.sh [--keep]     (--keep leaves sluice running)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
keep=0
[ "${1:-}" = "--keep" ] && keep=1

P=sl
API=http://127.0.0.1:8080
run_dir=/run/sluice-demo
ns() { ip netns exec "$P-$1" "${@:2}"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

scripts/setup.sh
mode=$(scripts/hugepages.sh)
say "hugepages: $mode"

cleanup() {
    if [ -n "${pid:-}" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"; wait "$pid" || true
    fi
    scripts/topology.sh down "$P"
}

say "topology: $P-h1 (10.1.0.2, fd00:1::2) -- lan [sluice] wan -- $P-h2 (10.2.0.2, fd00:2::2)"
scripts/topology.sh up "$P"
[ $keep = 1 ] || trap cleanup EXIT

mkdir -p "$run_dir"
cp conf/demo.json "$run_dir/sluice.json"
# Not through a shell function: $! must be sluice itself (ip netns exec execs it).
ip netns exec "$P-dut" "$root/build/app/sluice/sluice" -- --config "$run_dir/sluice.json" \
    >"$run_dir/sluice.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    ns dut curl -sf "$API/readyz" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { cat "$run_dir/sluice.log"; echo "demo: sluice exited" >&2; exit 1; }
    sleep 0.2
done
ns dut curl -sf "$API/readyz" >/dev/null || { echo "demo: sluice not ready" >&2; exit 1; }
say "sluice is ready (pid $pid, log $run_dir/sluice.log)"

say "ping h1 -> h2 (IPv4 and IPv6)"
ns h1 ping -c 3 -i 0.2 10.2.0.2
ns h1 ping -6 -c 3 -i 0.2 fd00:2::2

say "traceroute h1 -> h2: sluice is the first hop"
ns h1 traceroute -n -q 1 -w 1 10.2.0.2

say "iperf3 TCP h1 -> h2, 5 seconds"
ns h2 iperf3 -s -1 -B 10.2.0.2 >/dev/null 2>&1 &
sleep 0.5
ns h1 iperf3 -c 10.2.0.2 -t 5 | tail -4

say "report"
ctl() { ns dut "$root/build/app/sluicectl/sluicectl" --api "$API" "$@"; }
if [ -x build/app/sluicectl/sluicectl ]; then
    ctl status; ctl ports; ctl neighbors; ctl routes
else
    ns dut curl -s "$API/api/v1/status"; echo
fi
say "selected metrics"
ns dut curl -s "$API/metrics" | grep -E '^sluice_(port_(receive|transmit)_packets_total|drop_packets_total|icmp_errors_sent_total|config_generation|packet_latency_seconds_count)' \
    | grep -v ' 0$'

if [ $keep = 1 ]; then
    say "sluice keeps running (pid $pid). Reach it from its namespace:"
    echo "  ip netns exec $P-dut $root/build/app/sluicectl/sluicectl status"
    echo "  ip netns exec $P-dut curl -s $API/metrics"
    echo "  ip netns exec $P-h1 ping 10.2.0.2"
    echo "Stop it with: kill $pid; $root/scripts/topology.sh down $P"
    exit 0
fi
say "stopping sluice (SIGTERM)"
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
pid=
echo "sluice exited with status $rc"
left=$(find /dev/hugepages -mindepth 1 2>/dev/null | wc -l)
echo "files left under /dev/hugepages: $left"
[ "$rc" = 0 ] && [ "$left" = 0 ]

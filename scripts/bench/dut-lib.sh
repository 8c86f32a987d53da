# SPDX-License-Identifier: BSD-3-Clause
# Shared by the scripts that set Linux and sluice side by side on the same
# namespaces (scripts/bench/nat-vs-linux.sh, scripts/bench/conn-rate.sh):
# sourced after the caller sets P (topology prefix) and its defaults for
# rounds and seconds. Both DUTs run on CPU 1: Linux's work is CPU 1's
# system + softirq time (RPS puts its receive processing there), sluice's
# the worker's busy time.
cd "$(dirname "$0")/../.."
root=$(pwd)
API=http://127.0.0.1:8089
run_dir=$(mktemp -d "/tmp/sluice-$(basename "$0" .sh).XXXX")
hz=$(/usr/bin/python3 -c "import os; print(os.sysconf('SC_CLK_TCK'))")
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        *) echo "usage: $0 [--rounds N] [--seconds S]" >&2; exit 64 ;;
    esac
done
ns() { ip netns exec "$P-$1" "${@:2}"; }

# CPU 1's system + softirq time, seconds.
cpu1_work() { awk '$1 == "cpu1" {print ($4 + $7 + $8) / '"$hz"'}' /proc/stat; }

# The sluice workers' busy time, seconds.
sluice_busy() {
    ns dut curl -s "$API/metrics" |
        awk '/^sluice_lcore_busy_seconds_total/ && /role="worker"/ {s += $2} END {print s}'
}

# Linux routing between lan0 (10.1.0.1) and wan0 (10.2.0.1) with the nft
# ruleset on stdin (in a table named bench), its receive work on CPU 1.
linux_router_up() {
    ns dut ip addr add 10.1.0.1/24 dev lan0
    ns dut ip addr add 10.2.0.1/24 dev wan0
    ns dut sysctl -qw net.ipv4.ip_forward=1
    ns dut nft -f -
    for dev in lan0 wan0; do echo 2 | ns dut tee "/sys/class/net/$dev/queues/rx-0/rps_cpus" >/dev/null; done
}
linux_router_down() {
    ns dut nft delete table ip bench
    ns dut ip addr flush dev lan0
    ns dut ip addr flush dev wan0
    ns dut sysctl -qw net.ipv4.ip_forward=0
}

# sluice on conf/demo.json, one worker on CPU 1, API on 8089, with the
# Python statements in $1 changing `cfg` first; waits until it is ready.
sluice_start() {
    /usr/bin/python3 - conf/demo.json "$run_dir/sluice.json" "$1" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["eal"] = {"lcores": "0@0,1@1", "hugepages": "auto", "file_prefix": "slbench"}
cfg["api"]["port"] = 8089
cfg["workers"] = {"idle_sleep": "0us"}
exec(sys.argv[3])
json.dump(cfg, open(sys.argv[2], "w"))
PY
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
sluice_stop() { kill "$sluice_pid"; wait "$sluice_pid" || true; sluice_pid=; }
sluice_stop_quietly() {
    [ -n "${sluice_pid:-}" ] && kill "$sluice_pid" 2>/dev/null && wait "$sluice_pid" 2>/dev/null
    return 0
}

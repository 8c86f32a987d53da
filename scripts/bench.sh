#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# sluice's benchmark: what each stage costs, and how fast sluice forwards next
# to DPDK's own l3fwd, in one run on one machine.
#
#  1. test/perf/perf_stages: TSC cycles per packet of each worker stage on
#     synthetic 32-packet bursts (medians), run RUNS times.
#  2. The two-process harness, RUNS rounds, each DUT started fresh per round:
#
#       dpdk-testpmd (generator, flowgen)          device under test (DUT)
#       port 0  memif server --- 64 B UDP --->  port a  memif client
#       port 1  memif server <-- forwarded ----  port b  memif client
#
#     DUTs: testpmd "io" (no routing: the harness's own ceiling), l3fwd (DPDK's
#     example router, LPM), sluice (conf/bench.json). The figure is the rate at
#     which packets come back on the generator's port 1, averaged by testpmd
#     over WINDOW seconds after WARMUP seconds of traffic.
#
#     The harness is "saturating", and its figures are named so: the one-way
#     flowgen generator sends as fast as it can, uncapped. Generator and DUT
#     share the memif rings and the machine, so a DUT that does more work per
#     packet slows the generator down as well (doc/performance.md, "How the
#     harness couples generator and DUT"). (A generator-bound harness near
#     7 Mpps cannot be had from testpmd on two CPUs without capping it.)
#
# Principles: same generator, same packets, same CPUs for every DUT; rounds
# interleave the DUTs so drift hits all alike; every process is bounded in
# time and stopped by its PID; nothing is left behind (--in-memory, abstract
# memif sockets). Numbers that could not be measured are reported as such,
# never guessed.
#
# CPUs (2-core machine): CPU 0 runs the generator's forwarding lcore and the
# DUT's management lcore (sluice's, which wakes every millisecond; testpmd's
# blocks on stdin; l3fwd has none); CPU 1 runs the DUT's forwarding lcore and
# the generator's command-line lcore (blocked on stdin).
#
# usage: scripts/bench.sh [--runs N] [--window S] [--warmup S] [--no-build]
#                         [--stages-only] [--duts "testpmd-io l3fwd sluice"]
#                         [--sluice PATH]     (another sluice binary, for A/B runs)
# Prints a table and the path of bench-results.json (repository root).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$(pwd)

runs=5 window=10 warmup=2 build=1 harness=1 duts="testpmd-io l3fwd sluice"
sluice_bin=build/app/sluice/sluice
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) runs=$2; shift ;;
    --window) window=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --no-build) build=0 ;;
    --stages-only) harness=0 ;;
    --duts) duts=$2; shift ;;
    --sluice) sluice_bin=$2; shift ;;
    -h|--help) sed -n '3,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown option $1" >&2; exit 64 ;;
    esac
    shift
done

PY=/usr/bin/python3            # Debian's interpreter (see scripts/test.sh)
CPU_GEN=0 CPU_DUT=1
out=$root/build/bench
logs=$out/logs
results=$root/bench-results.json
conf_src=$root/conf/bench.json
rm -rf "$logs"; mkdir -p "$logs"
say() { printf '\n== %s\n' "$*"; }

# ---- set-up ------------------------------------------------------------------

if [ "$build" = 1 ]; then
    scripts/setup.sh >"$logs/setup.log" 2>&1 || { tail -30 "$logs/setup.log"; exit 1; }
fi
[ -x build/test/perf/perf_stages ] && [ -x "$sluice_bin" ] || {
    echo "bench: build/ lacks perf_stages or sluice (run scripts/setup.sh)" >&2; exit 1; }
mode=$(scripts/hugepages.sh 1024)
if [ "$mode" = hugepages ]; then
    EAL_MEM=(--in-memory)
else
    echo "bench: no hugepages here: every DPDK process runs with --no-huge (slower)"
    EAL_MEM=(--no-huge -m 1024 --no-shconf)
fi

say "machine"
echo "cpus: $(nproc); model: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo "kernel: $(uname -r); DPDK: $(pkg-config --modversion libdpdk); memory: $mode"

# ---- 1. stage costs ----------------------------------------------------------

say "stage costs (perf_stages, $runs runs)"
stage_files=()
for r in $(seq "$runs"); do
    f=$logs/perf_stages-$r.json
    build/test/perf/perf_stages --cpu "$CPU_DUT" --json >"$f" 2>"$logs/perf_stages-$r.err" || {
        echo "bench: perf_stages failed:"; cat "$logs/perf_stages-$r.err"; exit 1; }
    stage_files+=("$f")
done

# ---- 2. the harness ------------------------------------------------------------

# Device strings, addresses and MACs come from conf/bench.json, so the
# generator and every DUT agree with sluice's configuration.
read -r SOCK_A ID_A MAC_A SOCK_B ID_B MAC_B GW_MAC SL_PREFIX < <("$PY" - "$conf_src" <<'EOF'
import json, sys
cfg = json.load(open(sys.argv[1]))
def dev(p):
    kv = dict(x.split("=", 1) for x in p["device"].split(",")[1:])
    return kv["socket"], kv.get("id", "0"), kv["mac"]
a, b = cfg["ports"][0], cfg["ports"][1]
gw = [n for n in cfg["neighbors"] if n["port"] == b["name"]][0]["mac"]
print(*dev(a), *dev(b), gw, cfg.get("eal", {}).get("file_prefix") or "-")
EOF
)
GEN_MAC_A=02:00:00:00:00:01

pids=() gen_pid='' dut_pid=''
cleanup() {
    for p in "${pids[@]}"; do
        kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null
    done
    sleep 0.5
    for p in "${pids[@]}"; do
        kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
    done
    exec 3>&- 4>&-
    true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for SECONDS COMMAND...: poll every 100 ms.
wait_for() {
    local t=$(( $1 * 10 )); shift
    while [ $t -gt 0 ]; do "$@" && return 0; sleep 0.1; t=$((t - 1)); done
    return 1
}

# forget PID: a reaped process is no longer ours to signal (its PID may be reused).
forget() {
    local keep=() p
    for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    pids=("${keep[@]}")
}

# reap PID: give it 10 s to exit, then SIGKILL; collect it either way.
reap() {
    wait_for 10 eval "! kill -0 $1 2>/dev/null" || kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    forget "$1"
}

# stop_pid PID: SIGINT, then SIGKILL after 10 s.
stop_pid() {
    exec 4>&-
    [ -n "$1" ] || return 0
    kill -INT "$1" 2>/dev/null
    reap "$1"
}

# The generator: memif servers, flowgen, 64-byte frames. Its port 1 only
# receives: TX queue 0 of port 1 is left stopped (deferred start), which
# disables the flowgen stream that would transmit there. Two RX queues per
# port because sluice connects two TX queues (worker and management).
gen_start() {
    local dir=$1
    rm -f "$dir/gen.in"; mkfifo "$dir/gen.in"
    stdbuf -oL -eL dpdk-testpmd --lcores=0@$CPU_DUT,1@$CPU_GEN --file-prefix bench-gen \
        "${EAL_MEM[@]}" --no-pci \
        --vdev="net_memif0,role=server,socket=$SOCK_A,id=$ID_A,mac=$GEN_MAC_A" \
        --vdev="net_memif1,role=server,socket=$SOCK_B,id=$ID_B,mac=$GW_MAC" \
        -- -i --forward-mode=flowgen --nb-cores=1 --txpkts=64 --flowgen-flows=64 \
        --rxq=2 --txq=1 --total-num-mbufs=32768 <"$dir/gen.in" >"$dir/gen.log" 2>&1 &
    gen_pid=$!
    pids+=("$gen_pid")
    exec 3>"$dir/gen.in"
    wait_for 20 grep -qs 'testpmd>' "$dir/gen.log" || return 1
    printf 'port stop all\nport 1 txq 0 deferred_start on\nport start all\n' >&3
    sleep 1
}

gen_stop() {
    printf 'stop\nquit\n' >&3 2>/dev/null
    exec 3>&-
    reap "$gen_pid"
}

dut_testpmd_io() {
    local dir=$1
    # Without -i testpmd exits when its stdin closes: hold a FIFO open on fd 4.
    rm -f "$dir/dut.in"; mkfifo "$dir/dut.in"
    stdbuf -oL -eL dpdk-testpmd \
        --lcores=0@$CPU_GEN,1@$CPU_DUT --file-prefix bench-dut "${EAL_MEM[@]}" --no-pci \
        --vdev="net_memif0,role=client,socket=$SOCK_A,id=$ID_A,mac=$MAC_A" \
        --vdev="net_memif1,role=client,socket=$SOCK_B,id=$ID_B,mac=$MAC_B" \
        -- --forward-mode=io --nb-cores=1 --auto-start --total-num-mbufs=32768 \
        <"$dir/dut.in" >"$dir/dut.log" 2>&1 &
    dut_pid=$!
    pids+=("$dut_pid")
    exec 4>"$dir/dut.in"
    wait_for 20 grep -qs 'Press enter to exit' "$dir/dut.log"
}

dut_l3fwd() {
    local dir=$1
    stdbuf -oL -eL "$L3FWD" -l $CPU_DUT --file-prefix bench-dut "${EAL_MEM[@]}" --no-pci \
        --vdev="net_memif0,role=client,socket=$SOCK_A,id=$ID_A,mac=$MAC_A" \
        --vdev="net_memif1,role=client,socket=$SOCK_B,id=$ID_B,mac=$MAC_B" \
        -- -p 0x3 --config="(0,0,$CPU_DUT),(1,0,$CPU_DUT)" --lookup=lpm --parse-ptype \
        --rule_ipv4="$root/scripts/bench/l3fwd-v4.rules" \
        --rule_ipv6="$root/scripts/bench/l3fwd-v6.rules" \
        --eth-dest=0,$GEN_MAC_A --eth-dest=1,$GW_MAC >"$dir/dut.log" 2>&1 &
    dut_pid=$!
    pids+=("$dut_pid")
    wait_for 20 grep -qs 'entering main loop' "$dir/dut.log"
}

sluice_api() { "$PY" - "$dir/sluice.json" <<'EOF'
import json, sys
print(json.load(open(sys.argv[1]))["api"]["port"])
EOF
}

dut_sluice() {
    local dir=$1
    # sluice saves applied changes back to its file: give it a copy.
    cp "$conf_src" "$dir/sluice.json"
    api="http://127.0.0.1:$(sluice_api)"
    "$sluice_bin" --config "$dir/sluice.json" >"$dir/dut.log" 2>&1 &
    dut_pid=$!
    pids+=("$dut_pid")
    wait_for 20 eval "curl -fs -o /dev/null $api/readyz"
}

# EAL leaves its runtime directory (empty, or telemetry sockets) even with
# --in-memory: remove the ones of this benchmark's prefixes once their
# processes are gone.
clean_runtime() {
    local p
    for p in bench-gen bench-dut perf_stages "$SL_PREFIX"; do
        [ "$p" != - ] && rm -rf "/run/dpdk/$p"
    done
    true
}

# cpu_jiffies: busy (user, nice, system, irq, softirq) and steal time of all CPUs.
cpu_jiffies() {
    awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $9}' /proc/stat
}

# pid_jiffies PID...: user + system time of those processes (all threads).
pid_jiffies() {
    local sum=0 p t
    for p in "$@"; do
        t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null) && sum=$((sum + t))
    done
    echo "$sum"
}

# Last "show port stats all" of the generator: offered (port 0 Tx-pps) and
# forwarded (port 1 Rx-pps) packets per second.
gen_rates() {
    awk '/NIC statistics for port/ {port=$6}
         /Rx-pps:/ {rx[port]=$2} /Tx-pps:/ {tx[port]=$2}
         END {print (rx[1] == "" ? 0 : rx[1]), (tx[0] == "" ? 0 : tx[0])}' "$1"
}

# run_one DUT ROUND: sets result_line to "DUT ROUND forwarded_pps offered_pps
# other_cpu_% steal_%" or "DUT ROUND fail WHY". Not called in a subshell: the
# EXIT trap must see the PIDs it starts.
run_one() {
    local name=$1 round=$2 dir=$logs/$1-$2
    local busy0 steal0 ours0 busy1 steal1 ours1 fwd offered
    rm -rf "$dir"; mkdir -p "$dir"
    dut_pid=''
    if ! gen_start "$dir"; then
        gen_stop; clean_runtime
        result_line="$name $round fail generator-did-not-start"; return
    fi
    if ! "dut_${name//-/_}" "$dir"; then
        stop_pid "$dut_pid"; gen_stop; clean_runtime
        result_line="$name $round fail dut-did-not-start"; return
    fi
    printf 'start\n' >&3
    sleep "$warmup"
    printf 'show port stats all\n' >&3
    read -r busy0 steal0 < <(cpu_jiffies)
    ours0=$(pid_jiffies "$gen_pid" "$dut_pid")
    sleep "$window"
    printf 'show port stats all\n' >&3
    read -r busy1 steal1 < <(cpu_jiffies)
    ours1=$(pid_jiffies "$gen_pid" "$dut_pid")
    sleep 1
    [ "$name" = sluice ] && curl -fs "$api/metrics" >"$dir/metrics.txt" 2>/dev/null
    # net_memif (22.11) may crash a process that polls while its peer goes away:
    # stop the generator's polling, then the DUT, then the generator.
    printf 'stop\n' >&3
    sleep 1
    stop_pid "$dut_pid"
    gen_stop
    clean_runtime
    read -r fwd offered < <(gen_rates "$dir/gen.log")
    # CPU others used during the window, and time the hypervisor stole, in % of one CPU.
    local hz other steal
    hz=$(getconf CLK_TCK)
    other=$(( ((busy1 - busy0) - (ours1 - ours0)) * 100 / (hz * window) ))
    steal=$(( (steal1 - steal0) * 100 / (hz * window) ))
    if [ "${fwd:-0}" -gt 0 ]; then
        result_line="$name $round $fwd $offered $((other < 0 ? 0 : other)) $steal"
    else
        result_line="$name $round fail nothing-forwarded"
    fi
}

harness_tsv=$logs/harness.tsv
: >"$harness_tsv"
if [ "$harness" = 1 ]; then
    say "building l3fwd from /usr/share/dpdk/examples"
    L3FWD=$(scripts/bench/build-l3fwd.sh "$out/l3fwd-src") || exit 1
    echo "$L3FWD"
    mkdir -p /run/sluice
    clean_runtime
    say "saturating harness: $runs rounds x ($duts), ${warmup}s warm-up + ${window}s window"
    for r in $(seq "$runs"); do
        for dut in $duts; do
            run_one "$dut" "$r"
            echo "$result_line" | tee -a "$harness_tsv"
        done
    done
fi

# ---- report ------------------------------------------------------------------

say "results (medians of $runs runs)"
"$PY" scripts/bench/report.py --harness "$harness_tsv" --out "$results" "${stage_files[@]}"
status=$?
echo
echo "results: $results"
echo "logs: $logs"
exit $status

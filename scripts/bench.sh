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
#     harness couples generator and DUT").
#  3. The fixed-rate harness, RUNS rounds: test/perf/bench_gen offers RATE
#     packets per second (below every DUT's capacity) in bursts of 32, and
#     each DUT reports the cycles its loop spent on iterations that had
#     packets, per packet: a figure a slow generator barely moves. All DUTs
#     of a round run at once, each on its own memif pair, and take turns of
#     PERIOD ms (the others stopped), so they share every second of the
#     host's state.
#
#  Every round records what the machine did meanwhile: CPU used by others and
#  stolen by the hypervisor, mpstat and pidstat per thread, and, before and
#  after, test/perf/cpu_probe (each CPU's speed, and the cache-line round trip
#  between the two, which shows the host placing the vCPUs far apart: the
#  cause of the harness's two speeds, doc/performance.md). report.py prints a
#  headline only when every DUT's rounds agree within 5 % and none was
#  disturbed, and otherwise says which DUT disagreed and why.
#
#  A DUT is a name: testpmd-io, l3fwd, sluice (conf/bench.json), or
#  sluice@FILE, sluice on another configuration with the same ports (NAT,
#  shield, QoS, tunnel runs), e.g. --duts "l3fwd sluice sluice@conf/bench-nat.json",
#  or qos-sched: DPDK's qos_sched example (rte_sched, profile
#  scripts/bench/qos_sched.cfg) forwarding port a to port b unchanged, its
#  RX and scheduler lcores both on the DUT's CPU. qos-sched runs in the
#  saturating harness only: it has no count of its busy cycles, so the
#  fixed-rate rounds leave it out.
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
# the generator's command-line lcore (blocked on stdin). bench_gen has one
# lcore, on CPU 0.
#
# usage: scripts/bench.sh [--runs N] [--window S] [--warmup S] [--no-build]
#                         [--stages-only] [--fixed-only] [--duts "testpmd-io l3fwd sluice ..."]
#                         [--rate PPS]        (fixed-rate rounds; 0 skips them)
#                         [--period-ms MS]    (a DUT's turn in a fixed-rate round, 100)
#                         [--sluice PATH]     (another sluice binary, for A/B runs)
#                         [--flows N] [--spoof]  (fixed-rate generator: N flows, 64;
#                                             --spoof: a source per flow, a flood)
#                         [--absorbing "DUT ..."]  (DUTs whose work is to drop what
#                                             they get, a shield: their figure is the
#                                             cost of absorbing a packet, not a loss)
# Prints a table and the path of bench-results.json (repository root).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$(pwd)

runs=3 window=3 warmup=1 build=1 harness=1 saturating=1 duts="testpmd-io l3fwd sluice" max_rounds=
fixed_rate=4000000 period_ms=100 gen_flows=64 gen_spoof= absorbing=
sluice_bin=build/app/sluice/sluice
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) runs=$2; shift ;;
    --max-rounds) max_rounds=$2; shift ;;
    --window) window=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --no-build) build=0 ;;
    --stages-only) harness=0 ;;
    --fixed-only) saturating=0 ;;
    --duts) duts=$2; shift ;;
    --rate) fixed_rate=$2; shift ;;
    --period-ms) period_ms=$2; shift ;;
    --sluice) sluice_bin=$2; shift ;;
    --flows) gen_flows=$2; shift ;;
    --spoof) gen_spoof=--spoof ;;
    --absorbing) absorbing=$2; shift ;;
    -h|--help) sed -n '3,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown option $1" >&2; exit 64 ;;
    esac
    shift
done

max_rounds=${max_rounds:-$((runs * 3))}
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
[ -x build/test/perf/perf_stages ] && [ -x build/test/perf/bench_gen ] && [ -x "$sluice_bin" ] || {
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
TSC_HZ=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["tsc_hz"])' "${stage_files[0]}")

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

pids=() gen_pid='' dut_pid='' dut_pids=()
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

# A DUT runs in a slot: slot k connects with memif id k on both sockets and
# has its own EAL file prefix (and, for sluice, API port), so the fixed-rate
# harness can keep every DUT of a round alive at once. The saturating
# harness uses slot 0.
slot=0

dut_testpmd_io() {
    local dir=$1
    # Interactive, commands through a FIFO on fd 4. Forwarding starts once the
    # memif links are up: testpmd takes its statistics baseline at "start",
    # and memif resets its counters when it connects, so an earlier start
    # leaves testpmd's packet counts (and cycles per packet) wrapped.
    rm -f "$dir/dut.in"; mkfifo "$dir/dut.in"
    stdbuf -oL -eL dpdk-testpmd \
        --lcores=0@$CPU_GEN,1@$CPU_DUT --file-prefix bench-dut-$slot "${EAL_MEM[@]}" --no-pci \
        --vdev="net_memif0,role=client,socket=$SOCK_A,id=$((ID_A + slot)),mac=$MAC_A" \
        --vdev="net_memif1,role=client,socket=$SOCK_B,id=$((ID_B + slot)),mac=$MAC_B" \
        -- -i --forward-mode=io --nb-cores=1 --total-num-mbufs=32768 \
        ${TESTPMD_IO_EXTRA:-} \
        <"$dir/dut.in" >"$dir/dut.log" 2>&1 &
    dut_pid=$!
    pids+=("$dut_pid")
    exec 4>"$dir/dut.in"
    wait_for 20 grep -qs 'testpmd>' "$dir/dut.log" || return 1
    wait_for 10 testpmd_links_up "$dir/dut.log" || return 1
    printf 'start\n' >&4
}

# testpmd_links_up LOG: ask the testpmd on fd 4 for its ports; true when the
# answer says both links are up.
testpmd_links_up() {
    printf 'show port info all\n' >&4
    sleep 0.2
    [ "$(grep 'Link status:' "$1" | tail -2 | grep -c up)" = 2 ]
}

dut_l3fwd() {
    local dir=$1
    stdbuf -oL -eL "$L3FWD" -l $CPU_DUT --file-prefix bench-dut-$slot "${EAL_MEM[@]}" --no-pci \
        --vdev="net_memif0,role=client,socket=$SOCK_A,id=$((ID_A + slot)),mac=$MAC_A" \
        --vdev="net_memif1,role=client,socket=$SOCK_B,id=$((ID_B + slot)),mac=$MAC_B" \
        -- -p 0x3 --config="(0,0,$CPU_DUT),(1,0,$CPU_DUT)" --lookup=lpm --parse-ptype \
        --rule_ipv4="$root/scripts/bench/l3fwd-v4.rules" \
        --rule_ipv6="$root/scripts/bench/l3fwd-v6.rules" \
        --eth-dest=0,$GEN_MAC_A --eth-dest=1,$GW_MAC >"$dir/dut.log" 2>&1 &
    dut_pid=$!
    pids+=("$dut_pid")
    wait_for 20 grep -qs 'entering main loop' "$dir/dut.log"
}

dut_qos_sched() {
    local dir=$1
    stdbuf -oL -eL "$QOS_SCHED" --lcores=0@$CPU_GEN,1@$CPU_DUT,2@$CPU_DUT \
        --file-prefix bench-dut-$slot "${EAL_MEM[@]}" --no-pci \
        --vdev="net_memif0,role=client,socket=$SOCK_A,id=$((ID_A + slot)),mac=$MAC_A" \
        --vdev="net_memif1,role=client,socket=$SOCK_B,id=$((ID_B + slot)),mac=$MAC_B" \
        -- --mnc 0 --msz 32768 --bsz "64,64,64,64" --pfc "0,1,1,2" --cfg "$root/scripts/bench/qos_sched.cfg" >"$dir/dut.log" 2>&1 &
    dut_pid=$!
    pids+=("$dut_pid")
    wait_for 20 grep -qs 'sched+write port' "$dir/dut.log"
}

# sluice_copy CONF OUT: the configuration for this slot (sluice saves applied
# changes back to its file, so it always gets a copy); prints its API port.
sluice_copy() { "$PY" - "$1" "$2" "$slot" <<'EOF'
import json, re, sys
cfg = json.load(open(sys.argv[1]))
slot = int(sys.argv[3])
if slot:
    for p in cfg["ports"]:
        p["device"] = re.sub(r",id=(\d+)", lambda m: ",id=%d" % (int(m.group(1)) + slot),
                             p["device"])
    eal = cfg.setdefault("eal", {})
    eal["file_prefix"] = "%s-%d" % (eal.get("file_prefix") or "bench-sluice", slot)
    cfg["api"]["port"] += slot
json.dump(cfg, open(sys.argv[2], "w"), indent=2)
print(cfg["api"]["port"])
EOF
}

dut_sluice() {
    local dir=$1 conf=${2:-$conf_src}
    api="http://127.0.0.1:$(sluice_copy "$conf" "$dir/sluice.json")"
    "$sluice_bin" --config "$dir/sluice.json" >"$dir/dut.log" 2>&1 &
    dut_pid=$!
    pids+=("$dut_pid")
    wait_for 20 eval "curl -fs -o /dev/null $api/readyz"
}

# start_dut NAME DIR: the references by name; "sluice" runs conf/bench.json,
# "sluice@FILE" another configuration (a NAT, shield, QoS or tunnel run: same
# ports, sockets and MACs as conf/bench.json, its own stages on).
start_dut() {
    case "$1" in
    sluice@*) dut_sluice "$2" "${1#sluice@}" ;;
    *) "dut_${1//-/_}" "$2" ;;
    esac
}

is_sluice() { case "$1" in sluice|sluice@*) return 0 ;; esac; return 1; }

# stop_dut NAME: testpmd is told to stop forwarding (which prints its
# statistics and busy cycles) and to quit; every DUT then gets SIGINT.
stop_dut() {
    if [ "$1" = testpmd-io ]; then
        printf 'stop\nquit\n' >&4 2>/dev/null
        wait_for 10 grep -qs 'Bye' "$dir/dut.log"
        exec 4>&-
    fi
    stop_pid "$dut_pid"
}

# EAL leaves its runtime directory (empty, or telemetry sockets) even with
# --in-memory: remove the ones of this benchmark's prefixes once their
# processes are gone.
clean_runtime() {
    local p
    for p in bench-gen bench-dut perf_stages "$SL_PREFIX"; do
        [ "$p" != - ] && rm -rf "/run/dpdk/$p" "/run/dpdk/$p"-[0-9]
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

# The generator's per-second rates over the window ("show port stats all"
# once a second; the first call only starts testpmd's clock): the mean
# forwarded (port 1 Rx-pps) and offered (port 0 Tx-pps) packets per second,
# and the slowest and fastest second forwarded.
gen_rates() {
    awk '/NIC statistics for port/ {port=$6}
         /Rx-pps:/ && port == 1 {if (nrx++) {rx += $2; if (!min || $2 < min) min = $2; if ($2 > max) max = $2}}
         /Tx-pps:/ && port == 0 {if (ntx++) tx += $2}
         END {n = nrx > 1 ? nrx - 1 : 1; m = ntx > 1 ? ntx - 1 : 1
              printf "%d %d %d %d\n", rx / n, tx / m, min, max}' "$1"
}

# run_one DUT ROUND: sets result_line to "DUT ROUND forwarded_pps offered_pps
# other_cpu_% steal_%" or "DUT ROUND fail WHY". Not called in a subshell: the
# EXIT trap must see the PIDs it starts.
run_one() {
    local name=$1 round=$2 dir=$logs/${1//\//_}-$2
    local busy0 steal0 ours0 stat_pids other steal fwd offered
    rm -rf "$dir"; mkdir -p "$dir"
    dut_pid=''
    # The CPUs' speed and the cache-line round trip between them, before and
    # after the round: the host moving a vCPU shows here (doc/performance.md).
    probe "$dir" probe-before
    if ! gen_start "$dir"; then
        gen_stop; clean_runtime
        result_line="$name $round fail generator-did-not-start"; return
    fi
    if ! start_dut "$name" "$dir"; then
        stop_pid "$dut_pid"; gen_stop; clean_runtime
        result_line="$name $round fail dut-did-not-start"; return
    fi
    printf 'start\n' >&3
    sleep "$warmup"
    printf 'show port stats all\n' >&3
    window_start "$dir"
    # One rate per second: a round whose rate changes inside it shows so.
    for _ in $(seq "$window"); do
        sleep 1
        printf 'show port stats all\n' >&3
    done
    window_end
    sleep 1
    is_sluice "$name" && curl -fs "$api/metrics" >"$dir/metrics.txt" 2>/dev/null
    # net_memif (22.11) may crash a process that polls while its peer goes away:
    # stop the generator's polling, then the DUT, then the generator.
    printf 'stop\n' >&3
    sleep 1
    stop_dut "$name"
    gen_stop
    clean_runtime
    probe "$dir" probe-after
    local sec_min sec_max
    read -r fwd offered sec_min sec_max < <(gen_rates "$dir/gen.log")
    if [ "${fwd:-0}" -gt 0 ]; then
        result_line="$name $round $fwd $offered $((other < 0 ? 0 : other)) $steal $(rtts "$dir")"
        result_line+=" $sec_min $sec_max"
    else
        result_line="$name $round fail nothing-forwarded"
    fi
}

# window_start DIR [SECONDS]: the start of a measured window: CPU counters,
# and where every thread of the generator and the DUTs (ours: gen_pid and
# dut_pids, or dut_pid) runs and what each CPU does, each second (mpstat,
# pidstat: the evidence for a round that went differently).
window_start() {
    window_s=${2:-$window}
    local ours=("$gen_pid" "${dut_pids[@]:-$dut_pid}")
    read -r busy0 steal0 < <(cpu_jiffies)
    ours0=$(pid_jiffies "${ours[@]}")
    stat_pids=()
    LC_ALL=C mpstat -P ALL 1 "$window_s" >"$1/mpstat.txt" 2>&1 &
    stat_pids+=($!)
    LC_ALL=C pidstat -t -u -p "$(IFS=,; echo "${ours[*]}")" 1 "$window_s" >"$1/pidstat.txt" 2>&1 &
    stat_pids+=($!)
}

# window_end: sets other and steal, the CPU others used during the window and
# the time the hypervisor stole, in % of one CPU.
window_end() {
    wait "${stat_pids[@]}" 2>/dev/null
    local busy1 steal1 ours1 hz ours=("$gen_pid" "${dut_pids[@]:-$dut_pid}")
    read -r busy1 steal1 < <(cpu_jiffies)
    ours1=$(pid_jiffies "${ours[@]}")
    hz=$(getconf CLK_TCK)
    other=$(( ((busy1 - busy0) - (ours1 - ours0)) * 100 / (hz * window_s) ))
    steal=$(( (steal1 - steal0) * 100 / (hz * window_s) ))
}

# probe DIR NAME: the CPUs' speed and the cache-line round trip between them.
probe() {
    build/test/perf/cpu_probe --cpus "$CPU_GEN,$CPU_DUT" >"$1/$2.json" 2>&1
}

# rtts DIR: "BEFORE AFTER" cache-line round trips of a round, in ns (- if unknown).
rtts() {
    "$PY" - "$1/probe-before.json" "$1/probe-after.json" <<'EOF'
import json, sys
out = []
for f in sys.argv[1:]:
    try:
        out.append("%.0f" % json.load(open(f))["line_rtt_ns"])
    except (OSError, ValueError, KeyError, TypeError):
        out.append("-")
print(" ".join(out))
EOF
}

# dut_busy NAME DIR SENT: "CYCLES PACKETS" the DUT spent on iterations that had
# packets, and the packets those received. Read after the traffic stopped and
# before (sluice) or as (testpmd, l3fwd) the DUT exits.
#   testpmd io: --record-core-cycles, printed with its forwarding stats at exit
#               (its own packet count is not usable: testpmd 22.11 prints it
#               wrapped below zero after memif reconnects, so the packets are
#               what the generator sent it, SENT, all of which it took);
#   l3fwd: the build copy's count (scripts/bench/build-l3fwd.sh), at exit;
#   sluice: sluice_lcore_busy_seconds_total x TSC Hz and
#           sluice_lcore_receive_packets_total from /metrics.
dut_busy() {
    case "$1" in
    testpmd-io)
        local c
        c=$(sed -n 's/.*CPU cycles\/packet=.*(total cycles=\([0-9]*\) .*/\1/p' "$2/dut.log" | tail -1)
        [ -n "$c" ] && echo "$c $3" ;;
    l3fwd) sed -n 's/^busy cycles=\([0-9]*\) rx packets=\([0-9]*\)$/\1 \2/p' "$2/dut.log" ;;
    sluice|sluice@*) "$PY" - "$2/metrics.txt" "$TSC_HZ" <<'EOF'
import sys
busy = pkts = 0.0
for line in open(sys.argv[1]):
    if line.startswith("sluice_lcore_busy_seconds_total{"):
        busy += float(line.split()[-1])
    elif line.startswith("sluice_lcore_receive_packets_total{"):
        pkts += float(line.split()[-1])
print("%d %d" % (busy * float(sys.argv[2]), pkts))
EOF
    ;;
    esac
}

# run_fixed ROUND: one fixed-rate round of every DUT, in turns. bench_gen
# offers $fixed_rate packets per second to one DUT at a time, each through
# its own pair of memif links (slot k: id k), switching every $period_ms ms
# and stopping the DUTs that are not in their turn (test/perf/bench_gen.c);
# each DUT thus sees the same seconds of the host as the others, so a drift
# or a move of the vCPUs hits all of them alike. Sets result_lines, one per
# DUT: "DUT ROUND OFFERED RECEIVED BUSY_CYCLES BUSY_PACKETS OTHER_% STEAL_%
# RTT_BEFORE RTT_AFTER LOOPS_MIN LOOPS_MAX" (the generator's slowest and
# fastest turn of that DUT, in loop iterations per second) or "DUT ROUND fail
# WHY".
run_fixed() {
    local round=$1 dir=$logs/fixed-$1 name k n=0 fail=''
    local busy0 steal0 ours0 stat_pids other steal window_s vdevs=() names=() apis=()
    rm -rf "$dir"; mkdir -p "$dir"
    dut_pids=() result_lines=()
    for name in $duts; do
        [ "$name" = qos-sched ] && continue     # no busy-cycle count (see above)
        names+=("$name")
        vdevs+=(--vdev="net_memif$((2 * n)),role=server,socket=$SOCK_A,id=$((ID_A + n)),mac=$GEN_MAC_A")
        vdevs+=(--vdev="net_memif$((2 * n + 1)),role=server,socket=$SOCK_B,id=$((ID_B + n)),mac=$GW_MAC")
        n=$((n + 1))
    done
    probe "$dir" probe-before
    rm -f "$dir/gen.in"; mkfifo "$dir/gen.in"
    # Each DUT gets $window seconds of turns.
    build/test/perf/bench_gen --lcores=0@$CPU_GEN --file-prefix bench-gen "${EAL_MEM[@]}" \
        --no-pci "${vdevs[@]}" -- --rate "$fixed_rate" --pairs "$n" --period-ms "$period_ms" \
        --flows "$gen_flows" $gen_spoof \
        --warmup "$((warmup * n))" --window "$((window * n))" --dst-mac "$MAC_A" \
        <"$dir/gen.in" >"$dir/gen.json" 2>"$dir/gen.log" &
    gen_pid=$!
    pids+=("$gen_pid")
    exec 3>"$dir/gen.in"
    wait_for 20 grep -qs 'waiting for links' "$dir/gen.json" || fail=generator-did-not-start
    for k in $(seq 0 $((n - 1))); do
        [ -n "$fail" ] && break
        slot=$k
        mkdir -p "$dir/$k"
        TESTPMD_IO_EXTRA=--record-core-cycles start_dut "${names[k]}" "$dir/$k" ||
            fail=dut-did-not-start
        dut_pids+=("$dut_pid")
        apis+=("${api:-}")
    done
    slot=0
    [ -z "$fail" ] && ! wait_for 20 grep -qs 'links up' "$dir/gen.json" && fail=links-not-up
    if [ -z "$fail" ]; then
        window_start "$dir" "$(( (warmup + window) * n + 2 ))"
        echo "go ${dut_pids[*]}" >&3
        wait_for $(( (warmup + window) * n + 30 )) grep -qs rate_pps "$dir/gen.json" ||
            fail=generator-did-not-finish
        window_end
    fi
    for k in $(seq 0 $((${#dut_pids[@]} - 1))); do
        dir_k=$dir/$k
        is_sluice "${names[k]}" &&
            curl -fs "${apis[k]}/metrics" >"$dir_k/metrics.txt" 2>/dev/null
        dut_pid=${dut_pids[k]}
        dir=$dir_k stop_dut "${names[k]}"
    done
    exec 3>&-                   # now the generator may close its ports
    reap "$gen_pid"
    clean_runtime
    probe "$dir" probe-after
    for k in $(seq 0 $((n - 1))); do
        local pair cycles
        pair=$("$PY" -c 'import json,sys; d=json.loads(open(sys.argv[1]).read().splitlines()[-1])["pairs"][int(sys.argv[2])];
print("%d %d %d %d %d" % (d["offered_pps"], d["received_pps"], d["sent"], d["loops_per_s_min"], d["loops_per_s_max"]))' \
            "$dir/gen.json" "$k" 2>/dev/null)
        set -- $pair
        cycles=$([ -n "$pair" ] && dut_busy "${names[k]}" "$dir/$k" "$3")
        if [ -n "$fail" ]; then
            result_lines+=("${names[k]} $round fail $fail")
        elif [ -z "$pair" ] || [ -z "$cycles" ]; then
            result_lines+=("${names[k]} $round fail no-figures")
        else
            result_lines+=("${names[k]} $round $1 $2 $cycles $((other < 0 ? 0 : other)) $steal $(rtts "$dir") $4 $5")
        fi
    done
    dut_pids=()
}

# run_saturating ROUND: one saturating round, the DUTs one after the other
# (run_one); sets result_lines.
run_saturating() {
    local dut
    result_lines=()
    for dut in $duts; do
        run_one "$dut" "$1"
        result_lines+=("$result_line")
    done
}

# placements FUNCTION FILE: "NEAR FAR", the rounds so far in which every DUT
# was near, and far, by the report's rules (scripts/bench/report.py
# placements, which also compares rounds with each other), so that the
# script and the report never disagree.
placements() {
    "$PY" scripts/bench/report.py placements \
        "$([ "$1" = run_saturating ] && echo saturating || echo fixed)" "$2"
}

# rounds FILE FUNCTION: rounds (FUNCTION ROUND runs every DUT once) until RUNS rounds had every DUT in the same placement (near, or far),
# or MAX_ROUNDS were run. A round keeps its DUTs together because the
# headline compares them within a round: the host's state drifts between
# rounds more than within one.
rounds() {
    local file=$1 fn=$2 r dut near=0 far=0
    for r in $(seq "$max_rounds"); do
        local line
        "$fn" "$r"
        for line in "${result_lines[@]}"; do
            echo "$line" | tee -a "$file"
        done
        read -r near far < <(placements "$fn" "$file")
        [ "$near" -ge "$runs" ] || [ "$far" -ge "$runs" ] && return
    done
    echo "bench: $near near and $far far rounds of $runs in $max_rounds"
}

harness_tsv=$logs/harness.tsv
fixed_tsv=$logs/fixed.tsv
: >"$harness_tsv"
: >"$fixed_tsv"
if [ "$harness" = 1 ]; then
    if [[ " $duts " == *" l3fwd "* ]]; then
        say "building l3fwd from /usr/share/dpdk/examples"
        L3FWD=$(scripts/bench/build-l3fwd.sh "$out/l3fwd-src") || exit 1
        echo "$L3FWD"
    fi
    if [[ " $duts " == *" qos-sched "* ]]; then
        say "building qos_sched from /usr/share/dpdk/examples"
        QOS_SCHED=$(scripts/bench/build-qos-sched.sh "$out/qos_sched-src") || exit 1
        echo "$QOS_SCHED"
    fi
    mkdir -p /run/sluice
    clean_runtime
    # Rounds go on until RUNS of them had every DUT in one placement of the
    # vCPUs (near, or far) on a quiet machine, or MAX_ROUNDS were run.
    if [ "$saturating" = 1 ]; then
        say "saturating harness: rounds of ($duts) until $runs in one placement, at most $max_rounds, ${warmup}s warm-up + ${window}s window"
        rounds "$harness_tsv" run_saturating
    fi
    if [ "$fixed_rate" != 0 ]; then
        say "fixed-rate harness at $fixed_rate packets/s: rounds until $runs in one placement, at most $max_rounds"
        rounds "$fixed_tsv" run_fixed
    fi
fi

# ---- report ------------------------------------------------------------------

say "results (medians of the rounds the headline uses)"
"$PY" scripts/bench/report.py --harness "$harness_tsv" --fixed "$fixed_tsv" --rate "$fixed_rate" \
    --min-rounds "$runs" --absorbing "$absorbing" \
    --out "$results" "${stage_files[@]}"
status=$?
echo
echo "results: $results"
echo "logs: $logs"
exit $status

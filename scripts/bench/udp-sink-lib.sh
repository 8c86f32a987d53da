# SPDX-License-Identifier: BSD-3-Clause
# Shared by the scripts that forward one UDP load through Linux and through
# sluice, rounds alternating, and compare packets per second per core of
# work (scripts/bench/nat-vs-linux.sh, scripts/bench/qos-vs-linux.sh).
# Sourced after dut-lib.sh; the caller defines linux_on, linux_off,
# sluice_on and sluice_off, then calls compare_per_core.
#
#   h1 (generator: iperf3 UDP, 64-byte frames, 8 flows, CPU 0)
#     -- lan0 [ P-dut: Linux or sluice ] wan0 --
#   h2 (sink: an nft netdev ingress rule drops the test datagrams, counting
#   them; iperf3's own handshake datagram passes)
tsc_hz=$(awk '/cpu MHz/ {print int($4 * 1e6); exit}' /proc/cpuinfo)

cleanup() {
    sluice_stop_quietly
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

linux_sample() { echo "$(sink_packets) $(cpu1_work)"; }
sluice_sample() { echo "$(sink_packets) $(sluice_busy)"; }

# compare_per_core: $rounds rounds of Linux then sluice; a line per run and
# the medians, with their spread and ratio.
compare_per_core() {
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
}

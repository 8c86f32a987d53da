#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Build DPDK's qos_sched example (Debian package dpdk-doc) out of tree, as
# the benchmark's reference scheduler (rte_sched). Nothing from the example
# is kept in this repository: the sources are copied from
# /usr/share/dpdk/examples into OUTDIR and built there. Its profile is
# scripts/bench/qos_sched.cfg.
#
# One adjustment: the example wants three lcores (main, RX, scheduler) and
# checks each lcore index against the number of CPUs in /sys, as if lcore
# ids were CPU ids; on a two-CPU machine that refuses any placement. The
# copy checks the indexes against RTE_MAX_LCORE instead, so EAL's --lcores
# can put the RX and scheduler lcores on one CPU.
#
# Two: the example takes a packet's pipe from its inner VLAN tag (frame
# bytes 18-19); the harness's frames are untagged, and there those bytes are
# the IPv4 identification, 0 in every packet of testpmd's flowgen, so every
# flow would share one pipe. The copy reads the pipe from the low half of
# the destination address (bytes 32-33), which flowgen varies by flow: 64
# flows in 64 pipes. Nothing else changes.
#
# usage: scripts/bench/build-qos-sched.sh OUTDIR      prints the binary's path
set -euo pipefail
out=${1:?usage: build-qos-sched.sh OUTDIR}
src=/usr/share/dpdk/examples
[ -f "$src/qos_sched/main.c" ] || { echo "build-qos-sched: $src/qos_sched missing (apt-get install dpdk-doc)" >&2; exit 1; }
mkdir -p "$out"
rm -rf "$out/qos_sched"
cp -r "$src/qos_sched" "$out/"
args="$out/qos_sched/args.c"
sed -i 's/^\(\t*\)nb_lcores = app_cpu_core_count();$/\1nb_lcores = RTE_MAX_LCORE;/' "$args"
grep -q 'nb_lcores = RTE_MAX_LCORE;' "$args" || {
    echo "build-qos-sched: the lcore check did not change: qos_sched's args.c changed" >&2; exit 1; }
thread="$out/qos_sched/app_thread.c"
sed -i 's/^#define PIPE_OFFSET\t\t9$/#define PIPE_OFFSET\t\t16/' "$thread"
grep -q '^#define PIPE_OFFSET.*16$' "$thread" || {
    echo "build-qos-sched: the pipe offset did not change: qos_sched's app_thread.c changed" >&2; exit 1; }
make -s -C "$out/qos_sched" shared >"$out/make-qos_sched.log" 2>&1 || { tail -20 "$out/make-qos_sched.log" >&2; exit 1; }
echo "$out/qos_sched/build/qos_sched"

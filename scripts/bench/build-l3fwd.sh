#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Build DPDK's l3fwd example (Debian package dpdk-doc) out of tree, as the
# benchmark's reference router. Nothing from the example is kept in this
# repository: the sources are copied from /usr/share/dpdk/examples into
# OUTDIR at build time and adjusted there.
#
# First adjustment: l3fwd asks for RX checksum offload, which net_memif
# does not have, and then fails to configure the port. The copy masks the
# requested RX offloads by what the device offers (dev_info.rx_offload_capa),
# in the port and in the queue configuration. Nothing else changes: routing,
# lookup and forwarding code are DPDK's own.
#
# usage: scripts/bench/build-l3fwd.sh OUTDIR      prints the binary's path
set -euo pipefail
out=${1:?usage: build-l3fwd.sh OUTDIR}
src=/usr/share/dpdk/examples
[ -f "$src/l3fwd/main.c" ] || { echo "build-l3fwd: $src/l3fwd missing (apt-get install dpdk-doc)" >&2; exit 1; }

mkdir -p "$out"
rm -rf "$out/l3fwd" "$out/common"
cp -r "$src/l3fwd" "$src/common" "$out/"
main="$out/l3fwd/main.c"
# Port level: before the RSS mask that follows the dev_info query.
sed -i 's/^\(\t*\)local_port_conf\.rx_adv_conf\.rss_conf\.rss_hf &=$/\1local_port_conf.rxmode.offloads \&= dev_info.rx_offload_capa;\n&/' "$main"
# Queue level.
sed -i 's/rxq_conf\.offloads = port_conf\.rxmode\.offloads;/rxq_conf.offloads = port_conf.rxmode.offloads \& dev_info.rx_offload_capa;/' "$main"
n=$(grep -c 'dev_info\.rx_offload_capa' "$main" || true)
if [ "$n" -ne 2 ]; then
    echo "build-l3fwd: the offload mask did not apply ($n of 2 places): l3fwd's main.c changed" >&2
    exit 1
fi
# Second adjustment, for the fixed-rate figure: count the cycles of loop
# iterations that received packets (from the TSC read that ended the previous
# iteration to the one that ends this one) and the packets they received, and
# print both at exit. The same definition as sluice's busy cycles and
# testpmd's --record-core-cycles; the forwarding code is untouched.
/usr/bin/python3 - "$out/l3fwd" <<'EOF'
import pathlib, sys
d = pathlib.Path(sys.argv[1])
def patch(name, edits):
    f = d / name
    text = f.read_text()
    for anchor, new in edits:
        if text.count(anchor) < 1:
            sys.exit("build-l3fwd: %s: anchor not found: %r" % (name, anchor[:60]))
        text = text.replace(anchor, new, 1)     # the first: lpm_main_loop
    f.write_text(text)
patch("l3fwd_lpm.c", [
    ("#include \"l3fwd_event.h\"\n",
     "#include \"l3fwd_event.h\"\n\nuint64_t l3fwd_busy_cycles, l3fwd_busy_packets;\n"),
    ("\twhile (!force_quit) {\n\n\t\t/*\n\t\t * TX burst queue drain",
     "\twhile (!force_quit) {\n\t\tuint64_t busy_start = cur_tsc;\n\t\tuint32_t busy_rx = 0;\n"
     "\n\t\t/*\n\t\t * TX burst queue drain"),
    ("\t\t\tif (nb_rx == 0)\n\t\t\t\tcontinue;\n\n#if defined RTE_ARCH_X86",
     "\t\t\tif (nb_rx == 0)\n\t\t\t\tcontinue;\n\t\t\tbusy_rx += nb_rx;\n\n#if defined RTE_ARCH_X86"),
    ("\t\tcur_tsc = rte_rdtsc();\n\t}\n\n\treturn 0;\n}",
     "\t\tcur_tsc = rte_rdtsc();\n\t\tif (busy_rx) {\n\t\t\tl3fwd_busy_cycles += cur_tsc - busy_start;\n"
     "\t\t\tl3fwd_busy_packets += busy_rx;\n\t\t}\n\t}\n\n\treturn 0;\n}"),
])
patch("main.c", [
    ("\tprintf(\"Bye...\\n\");",
     "\t{\n\t\textern uint64_t l3fwd_busy_cycles, l3fwd_busy_packets;\n"
     "\t\tprintf(\"busy cycles=%\" PRIu64 \" rx packets=%\" PRIu64 \"\\n\",\n"
     "\t\t       l3fwd_busy_cycles, l3fwd_busy_packets);\n\t}\n\tprintf(\"Bye...\\n\");"),
])
EOF
make -s -C "$out/l3fwd" shared >"$out/make.log" 2>&1 || { tail -20 "$out/make.log" >&2; exit 1; }
echo "$out/l3fwd/build/l3fwd"

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Build DPDK's l3fwd example (Debian package dpdk-doc) out of tree, as the
# benchmark's reference router. Nothing from the example is kept in this
# repository: the sources are copied from /usr/share/dpdk/examples into
# OUTDIR at build time and adjusted there.
#
# The one adjustment: l3fwd asks for RX checksum offload, which net_memif
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
make -s -C "$out/l3fwd" shared >"$out/make.log" 2>&1 || { tail -20 "$out/make.log" >&2; exit 1; }
echo "$out/l3fwd/build/l3fwd"

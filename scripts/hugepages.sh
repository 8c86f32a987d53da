#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Reserve and mount 2 MiB hugepages (default 512 = 1 GiB). Prints "hugepages"
# when they are usable, "no-huge" when they cannot be had here (sluice's
# "eal.hugepages": "auto" then runs with --no-huge and says so in its log).
#
# usage: scripts/hugepages.sh [COUNT]
set -uo pipefail
want=${1:-512}
have=$(awk '/HugePages_Total/ {print $2}' /proc/meminfo)
if [ "${have:-0}" -lt "$want" ]; then
    echo "$want" > /proc/sys/vm/nr_hugepages 2>/dev/null || true
fi
mkdir -p /dev/hugepages 2>/dev/null
mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${free:-0}" -gt 0 ] && mountpoint -q /dev/hugepages; then
    echo hugepages
else
    echo no-huge
fi

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install what sluice needs (Debian 12) and build it. Idempotent: packages
# already present are not fetched again; an existing build is reused.
#
# usage: scripts/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
    # build
    build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
    dpdk dpdk-dev libdpdk-dev libipsec-mb-dev libwolfssl-dev libmicrohttpd-dev
    libjansson-dev libcmocka-dev libcurl4-openssl-dev libsystemd-dev
    # running the demo and the end-to-end tests
    iproute2 iputils-ping traceroute iperf3 ethtool tcpdump curl procps
    python3 python3-pytest python3-scapy python3-yaml python3-jsonschema
    python3-matplotlib systemd nginx-light wrk nmap hping3
    wireguard-go wireguard-tools prometheus
    # benchmark references (DPDK's example sources) and tools
    dpdk-doc make sysstat
)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q "${missing[@]}"
fi

[ "${1:-}" = "--no-build" ] && exit 0
if [ ! -f build/build.ninja ]; then
    meson setup build
fi
ninja -C build

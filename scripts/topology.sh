#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Test and demo topology: two Linux hosts on different subnets, sluice between.
#
#   netns P-h1                 netns P-dut (sluice runs here)          netns P-h2
#   eth0 10.1.0.2/24  <-veth->  lan0 [port lan 10.1.0.1/24]
#        fd00:1::2/64                [port wan 10.2.0.1/24]  wan0 <-veth-> eth0 10.2.0.2/24
#                                                                               fd00:2::2/64
# The DUT namespace keeps the kernel away from sluice's interfaces: it has
# no addresses and no routes there, and IPv6 is off on them, so only sluice
# answers ARP and ND. Offloads are off on every veth end: with them on,
# partial checksums and 64 KB GSO frames reach the PMD and TCP dies.
#
# usage: topology.sh up|down [PREFIX]      (PREFIX default "sl", at most 6 chars)
set -euo pipefail

cmd=${1:?usage: topology.sh up|down [PREFIX]}
P=${2:-sl}

in_ns() { ip netns exec "$1" "${@:2}"; }

quiet_offloads() {
    in_ns "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
}

host_up() { # ns ifname v4 v4gw v6 v6gw
    local ns=$1 dev=$2
    # Static routes only: no router solicitations, no autoconfiguration.
    in_ns "$ns" sysctl -qw "net.ipv6.conf.$dev.router_solicitations=0" \
        "net.ipv6.conf.$dev.accept_ra=0" "net.ipv6.conf.$dev.accept_dad=0"
    in_ns "$ns" ip link set lo up
    in_ns "$ns" ip link set "$dev" up
    in_ns "$ns" ip addr add "$3" dev "$dev"
    in_ns "$ns" ip -6 addr add "$5" dev "$dev" nodad
    in_ns "$ns" ip route add default via "$4"
    in_ns "$ns" ip -6 route add default via "$6"
    quiet_offloads "$ns" "$dev"
}

dut_if_up() {
    local dev=$1
    in_ns "$P-dut" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
    in_ns "$P-dut" ip link set "$dev" up
    quiet_offloads "$P-dut" "$dev"
}

up() {
    down 2>/dev/null || true
    for ns in h1 h2 dut; do ip netns add "$P-$ns"; done
    in_ns "$P-dut" ip link set lo up
    in_ns "$P-dut" sysctl -qw net.ipv4.ip_forward=0
    ip link add "$P-h1e" netns "$P-h1" type veth peer name lan0 netns "$P-dut"
    ip link add "$P-h2e" netns "$P-h2" type veth peer name wan0 netns "$P-dut"
    in_ns "$P-h1" ip link set "$P-h1e" name eth0
    in_ns "$P-h2" ip link set "$P-h2e" name eth0
    dut_if_up lan0
    dut_if_up wan0
    host_up "$P-h1" eth0 10.1.0.2/24 10.1.0.1 fd00:1::2/64 fd00:1::1
    host_up "$P-h2" eth0 10.2.0.2/24 10.2.0.1 fd00:2::2/64 fd00:2::1
    # Let the hosts' start-up chatter (MLD reports) pass before anyone counts.
    sleep "${TOPOLOGY_SETTLE:-2}"
}

down() {
    for ns in h1 h2 dut; do
        ip netns pids "$P-$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
        ip netns del "$P-$ns" 2>/dev/null || true
    done
}

case $cmd in
    up) up ;;
    down) down ;;
    *) echo "usage: topology.sh up|down [PREFIX]" >&2; exit 64 ;;
esac

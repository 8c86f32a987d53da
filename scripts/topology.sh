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
# With TOPOLOGY_HOSTS=2, each side has two hosts behind a bridge (in
# namespaces P-sw1 and P-sw2), for tests that need distinct clients or
# servers: h3 10.1.0.3 fd00:1::3 next to h1, h4 10.2.0.3 fd00:2::3 next to h2.
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

# switch SIDE DUTDEV: a bridge in P-swSIDE, the DUT's port on it.
switch() {
    local sw="$P-sw$1"
    ip netns add "$sw"
    in_ns "$sw" ip link add br0 type bridge
    in_ns "$sw" ip link set br0 up
    ip link add "$P-u$1" netns "$sw" type veth peer name "$2" netns "$P-dut"
    in_ns "$sw" ip link set "$P-u$1" master br0 up
    quiet_offloads "$sw" "$P-u$1"
}

# attach HOST SIDE: HOST's eth0 on the bridge of SIDE.
attach() {
    local sw="$P-sw$2"
    ip link add "$P-$1s" netns "$sw" type veth peer name "$P-$1e" netns "$P-$1"
    in_ns "$sw" ip link set "$P-$1s" master br0 up
    quiet_offloads "$sw" "$P-$1s"
    in_ns "$P-$1" ip link set "$P-$1e" name eth0
}

up() {
    down 2>/dev/null || true
    for ns in h1 h2 dut; do ip netns add "$P-$ns"; done
    in_ns "$P-dut" ip link set lo up
    in_ns "$P-dut" sysctl -qw net.ipv4.ip_forward=0
    if [ "${TOPOLOGY_HOSTS:-1}" = 2 ]; then
        for ns in h3 h4; do ip netns add "$P-$ns"; done
        switch 1 lan0
        switch 2 wan0
        attach h1 1
        attach h3 1
        attach h2 2
        attach h4 2
    else
        ip link add "$P-h1e" netns "$P-h1" type veth peer name lan0 netns "$P-dut"
        ip link add "$P-h2e" netns "$P-h2" type veth peer name wan0 netns "$P-dut"
        in_ns "$P-h1" ip link set "$P-h1e" name eth0
        in_ns "$P-h2" ip link set "$P-h2e" name eth0
    fi
    dut_if_up lan0
    dut_if_up wan0
    host_up "$P-h1" eth0 10.1.0.2/24 10.1.0.1 fd00:1::2/64 fd00:1::1
    host_up "$P-h2" eth0 10.2.0.2/24 10.2.0.1 fd00:2::2/64 fd00:2::1
    if [ "${TOPOLOGY_HOSTS:-1}" = 2 ]; then
        host_up "$P-h3" eth0 10.1.0.3/24 10.1.0.1 fd00:1::3/64 fd00:1::1
        host_up "$P-h4" eth0 10.2.0.3/24 10.2.0.1 fd00:2::3/64 fd00:2::1
    fi
    # Let the hosts' start-up chatter (MLD reports) pass before anyone counts.
    sleep "${TOPOLOGY_SETTLE:-2}"
}

down() {
    for ns in h1 h2 h3 h4 sw1 sw2 dut; do
        ip netns pids "$P-$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
        ip netns del "$P-$ns" 2>/dev/null || true
    done
}

case $cmd in
    up) up ;;
    down) down ;;
    *) echo "usage: topology.sh up|down [PREFIX]" >&2; exit 64 ;;
esac

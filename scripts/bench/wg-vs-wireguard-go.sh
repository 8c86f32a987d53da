#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# WireGuard per core of work: sluice's wg0 against wireguard-go, on the two
# ends of one tunnel, in one run.
#
#   h1 10.1.0.2 --[lan | sluice wg0 10.99.0.1 | wan]-- h2 10.2.0.2, wireguard-go wgb0 10.99.0.2
#
# iperf3 TCP (4 streams) from h1 to 10.99.0.2 for S seconds: sluice
# encrypts and wireguard-go decrypts; then -R: wireguard-go encrypts and
# sluice decrypts. Both ends carry the same bytes, so each side's figure is
# the goodput divided by the CPU time it spent: sluice's worker's busy time
# (its metric; one worker on CPU 1), wireguard-go's user + system time
# (/proc, all its threads: the tun device's kernel work in its system
# calls is counted, the hosts' own TCP is not). sluice's ports here are
# net_af_packet on veths: its busy time includes the kernel's work behind
# every burst (a system call per TX burst), which its memif harness figures
# do not have; wireguard-go pays the same kind of cost on its UDP socket
# and tun device. It also times a tunnel's
# bring-up: a peer added over REST, then the first ping through it (the
# handshake included), against a ping once the tunnel is up.
#
# usage: scripts/bench/wg-vs-wireguard-go.sh [--rounds N] [--seconds S]
set -euo pipefail
P=swg
rounds=3
seconds=8
source "$(dirname "$0")/dut-lib.sh"

cleanup() {
    [ -n "${wg_pid:-}" ] && kill "$wg_pid" 2>/dev/null && wait "$wg_pid" 2>/dev/null
    sluice_stop_quietly
    "$root/scripts/topology.sh" down "$P" >/dev/null 2>&1 || true
}
trap cleanup EXIT
"$root/scripts/topology.sh" up "$P" >/dev/null

(umask 077; wg genkey >"$run_dir/wg0.key"; wg genkey >"$run_dir/peer.key")
sluice_pub=$(wg pubkey <"$run_dir/wg0.key")
peer_pub=$(wg pubkey <"$run_dir/peer.key")
sluice_start 'cfg["wireguard"] = {"interfaces": [{"name": "wgbench0",
    "private_key_file": "'"$run_dir/wg0.key"'", "listen_port": 51820, "ipv4": ["10.99.0.1/24"]}]}'

ip netns exec "$P-h2" env WG_PROCESS_FOREGROUND=1 wireguard-go wgb0 >"$run_dir/wireguard-go.log" 2>&1 &
wg_pid=$!     # ip netns exec and env exec it: the same process
for _ in $(seq 50); do ns h2 ip link show wgb0 >/dev/null 2>&1 && break; sleep 0.1; done
[ "$(cat "/proc/$wg_pid/comm")" = wireguard-go ] || { echo "wireguard-go did not start" >&2; exit 1; }
ns h2 wg set wgb0 private-key "$run_dir/peer.key" listen-port 51820 \
    peer "$sluice_pub" endpoint 10.2.0.1:51820 allowed-ips 10.99.0.0/24,10.1.0.0/24
ns h2 ip address add 10.99.0.2/24 dev wgb0
ns h2 ip link set wgb0 up
ns h2 ip route add 10.1.0.0/24 dev wgb0

# Bring-up: the peer added, then the first ping (sluice starts the handshake).
ns dut curl -sf -X POST -H 'Content-Type: application/json' \
    --data "{\"public_key\": \"$peer_pub\", \"endpoint\": \"10.2.0.2:51820\", \"allowed_ips\": [\"10.99.0.2/32\"]}" \
    "$API/api/v1/wireguard/interfaces/wgbench0/peers" >/dev/null
first=$(ns h1 ping -c 1 -W 3 10.99.0.2 | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p')
again=$(ns h1 ping -c 5 -i 0.2 -W 1 10.99.0.2 | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | sort -n | sed -n 3p)
echo "bring-up: first ping through a new tunnel ${first} ms (handshake included), then ${again} ms (median of 5)"

wg_cpu() { awk -v hz="$hz" '{print ($14 + $15) / hz}' "/proc/$wg_pid/stat"; }

# One transfer; prints: Gbit/s, sluice busy s, wireguard-go cpu s.
transfer() {
    ns h2 iperf3 -s -1 -B 10.99.0.2 -p 5310 >/dev/null 2>&1 &
    local srv=$! b0 w0 b1 w1 out
    sleep 0.5
    b0=$(sluice_busy); w0=$(wg_cpu)
    out=$(ns h1 iperf3 -c 10.99.0.2 -p 5310 -P 4 -t "$seconds" -J "$@")
    b1=$(sluice_busy); w1=$(wg_cpu)
    wait "$srv" || true
    /usr/bin/python3 -c '
import json, sys
r = json.loads(sys.argv[1])
if "error" in r:
    sys.exit("iperf3: " + r["error"])
print(r["end"]["sum_received"]["bytes"] * 8 / r["end"]["sum_received"]["seconds"] / 1e9,
      float(sys.argv[3]) - float(sys.argv[2]), float(sys.argv[5]) - float(sys.argv[4]),
      r["end"]["sum_received"]["bytes"] * 8 / 1e9)' "$out" "$b0" "$b1" "$w0" "$w1"
}

results=()
for r in $(seq "$rounds"); do
    for dir in out in; do
        extra=(); [ "$dir" = in ] && extra=(-R)
        read -r gbps busy wgcpu gbits < <(transfer "${extra[@]}")
        line=$(/usr/bin/python3 -c '
import sys
g, busy, wg, bits = map(float, sys.argv[1:5])
s = bits / busy if busy > 0 else float("nan")
w = bits / wg if wg > 0 else float("nan")
print(f"{g:.2f} {s:.2f} {w:.2f} {s / w:.1f}")' "$gbps" "$busy" "$wgcpu" "$gbits")
        read -r g s w ratio <<<"$line"
        sl_dir=$([ "$dir" = out ] && echo "sluice seals, wireguard-go opens" || echo "wireguard-go seals, sluice opens")
        echo "round $r, $sl_dir: $g Gbit/s; per core-second: sluice $s Gbit, wireguard-go $w Gbit: ${ratio}x"
        results+=("$dir $ratio")
    done
done
printf '%s\n' "${results[@]}" | /usr/bin/python3 -c '
import statistics, sys
by = {}
for line in sys.stdin:
    d, r = line.split()
    by.setdefault(d, []).append(float(r))
for d, rs in by.items():
    what = "sluice sealing" if d == "out" else "sluice opening"
    print(f"{what}: sluice / wireguard-go per core of work: median {statistics.median(rs):.1f}x "
          f"({min(rs):.1f}-{max(rs):.1f}x over {len(rs)} rounds)")'

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The embedded demo: two Linux hosts on different subnets, sluice routing
# between them, no NIC needed (veths in network namespaces, net_af_packet).
# Installs and builds what is missing, reserves hugepages (or falls back to
# --no-huge), starts a Prometheus that scrapes sluice with the shipped alert
# rules, drives ping (IPv4, IPv6) and an iperf3 TCP run through sluice, and
# HTTP from the inside host to nginx on the outside one through masquerade
# (sluice tracks connections: conf/demo.json plus a flow section and a
# source NAT rule on wan), HTTP from the outside host to a load-balanced
# service whose two backends are the inside hosts (round robin, TCP health
# checks), a flood from ten spoofed sources on h3 that the shield absorbs
# (each source held to 1000 packets/s, then blocked by its reputation) while
# h1's iperf3 keeps its rate, QoS applied live (the wan port shaped to
# 50 Mbit/s with the seed preset's classes: a ping's RTT alone and beside a
# bulk transfer), a WireGuard tunnel from sluice's wg0 to a wireguard-go
# peer on h4 (its wg-quick file imported with sluicectl; h1 pings through
# it), prints a report from the REST API (the connection table, the
# per-backend counts, the sources with most drops, the blocks made, the QoS
# classes, the WireGuard peers) and /metrics, `wg show` run against sluice's
# socket, renders the Grafana dashboard's panels from that Prometheus into a
# PNG, and stops cleanly.
#
# usage: scripts/demo.sh [--keep]     (--keep leaves sluice running)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
keep=0
[ "${1:-}" = "--keep" ] && keep=1

P=sl
API=http://127.0.0.1:8080
PROM=http://127.0.0.1:9090
run_dir=/run/sluice-demo
ns() { ip netns exec "$P-$1" "${@:2}"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

scripts/setup.sh
mode=$(scripts/hugepages.sh)
say "hugepages: $mode"

cleanup() {
    for p in ${nginx_h1:-} ${nginx_h3:-} ${wg_pid:-}; do kill "$p" 2>/dev/null || true; done
    if [ -n "${pid:-}" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"; wait "$pid" || true
    fi
    if [ -n "${prom_pid:-}" ] && kill -0 "$prom_pid" 2>/dev/null; then
        kill -TERM "$prom_pid"; wait "$prom_pid" || true
    fi
    scripts/topology.sh down "$P"
}

say "topology: $P-h1 (10.1.0.2), $P-h3 (10.1.0.3) -- lan [sluice] wan -- $P-h2 (10.2.0.2), $P-h4 (10.2.0.3)"
TOPOLOGY_HOSTS=2 scripts/topology.sh up "$P"
[ $keep = 1 ] || trap cleanup EXIT

mkdir -p "$run_dir"
# The demo's configuration: conf/demo.json with connection tracking,
# masquerade out of wan (h2 sees every connection coming from 10.2.0.1), and
# a service on VIP 10.2.0.100:80 balanced over nginx on h1 and h3.
# WireGuard: wg0's key, as an operator makes one (mode 0600).
(umask 077; wg genkey >"$run_dir/wg0.key")
/usr/bin/python3 - conf/demo.json "$run_dir/sluice.json" "$run_dir/wg0.key" <<'EOF'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["wireguard"] = {"interfaces": [{"name": "wg0", "private_key_file": sys.argv[3],
                                    "listen_port": 51820, "ipv4": ["10.99.0.1/24"]}]}
cfg["flow"] = {"max_connections": 65536}
cfg["nat"] = {"snat": [{"out_port": "wan", "to": "masquerade"}]}
cfg["services"] = [{"name": "web", "vip": "10.2.0.100", "proto": "tcp", "port": 80,
                    "scheduler": "rr", "health": {"type": "tcp", "interval": "1s"},
                    "backends": [{"address": "10.1.0.2", "port": 8090},
                                 {"address": "10.1.0.3", "port": 8090}]}]
# The shield: every source held to 1000 packets/s, except h1's traffic and
# what comes back to the masquerade address (trusted: the ACL sees packets as
# they arrive, so replies to h1's masqueraded connections, a TCP transfer's
# ACKs at the same packet rate, are addressed to 10.2.0.1); a source whose
# drops pile up is blocked by its reputation.
cfg["ratelimit"] = {"max_sources": 65536,
                    "levels": [{"name": "default", "packets": "1000/s"}, {"name": "trusted"}],
                    "reputation": {"threshold": 100, "block": "30s"}}
cfg["acl"] = {"rules": [
    {"name": "from-h1", "action": "allow", "src": "10.1.0.2", "level": "trusted"},
    {"name": "to-masquerade", "action": "allow", "dst": "10.2.0.1", "level": "trusted"}]}
json.dump(cfg, open(sys.argv[2], "w"), indent=2)
EOF
# Not through a shell function: $! must be sluice itself (ip netns exec execs it).
ip netns exec "$P-dut" "$root/build/app/sluice/sluice" -- --config "$run_dir/sluice.json" \
    >"$run_dir/sluice.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    ns dut curl -sf "$API/readyz" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { cat "$run_dir/sluice.log"; echo "demo: sluice exited" >&2; exit 1; }
    sleep 0.2
done
ns dut curl -sf "$API/readyz" >/dev/null || { echo "demo: sluice not ready" >&2; exit 1; }
say "sluice is ready (pid $pid, log $run_dir/sluice.log)"

# Prometheus as an operator runs it: scraping /metrics, with the alert rules.
rm -rf "$run_dir/prometheus-data"
cat >"$run_dir/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: ["$root/doc/prometheus/sluice-rules.yml"]
scrape_configs:
  - job_name: sluice
    static_configs: [{targets: ["127.0.0.1:8080"]}]
EOF
ip netns exec "$P-dut" prometheus --config.file="$run_dir/prometheus.yml" \
    --storage.tsdb.path="$run_dir/prometheus-data" --web.listen-address=127.0.0.1:9090 \
    >"$run_dir/prometheus.log" 2>&1 &
prom_pid=$!
for _ in $(seq 150); do     # its first scrape of sluice, so the traffic below is on record
    ns dut curl -s "$PROM/api/v1/query?query=up" 2>/dev/null | grep -q '"value":\[[0-9.]*,"1"\]' && break
    sleep 0.2
done
say "prometheus scrapes sluice every second (pid $prom_pid, $PROM in $P-dut)"
t0=$(date +%s)

say "ping h1 -> h2 (IPv4 and IPv6)"
ns h1 ping -c 3 -i 0.2 10.2.0.2
ns h1 ping -6 -c 3 -i 0.2 fd00:2::2

say "traceroute h1 -> h2: sluice is the first hop"
ns h1 traceroute -n -q 1 -w 1 10.2.0.2

say "iperf3 TCP h1 -> h2, 5 seconds"
ns h2 iperf3 -s -1 -B 10.2.0.2 >/dev/null 2>&1 &
sleep 0.5
ns h1 iperf3 -c 10.2.0.2 -t 5 | tail -4

say "HTTP h1 -> nginx on h2 through masquerade: nginx logs the client as 10.2.0.1"
cat >"$run_dir/nginx.conf" <<EOF
daemon off; worker_processes 1; pid $run_dir/nginx.pid; error_log $run_dir/nginx.err;
events { worker_connections 256; }
http { access_log $run_dir/nginx.access; client_body_temp_path $run_dir; proxy_temp_path $run_dir;
  fastcgi_temp_path $run_dir; uwsgi_temp_path $run_dir; scgi_temp_path $run_dir;
  server { listen 10.2.0.2:8090; location / { return 200 "hello from h2"; } } }
EOF
: >"$run_dir/nginx.access"
ns h2 nginx -c "$run_dir/nginx.conf" &
nginx_pid=$!
sleep 0.5
for _ in 1 2 3; do ns h1 curl -s --max-time 3 -w '\n' http://10.2.0.2:8090/; done
kill "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null || true
echo "nginx saw: $(cut -d' ' -f1 "$run_dir/nginx.access" | sort | uniq -c | xargs)"

say "HTTP h2 -> service web (10.2.0.100:80), round robin over nginx on h1 and h3"
for h in h1 h3; do
    sed -e "s/listen 10.2.0.2:8090/listen 8090/" -e "s/hello from h2/hello from $h/" \
        -e "s/nginx\.\(pid\|err\|access\)/nginx-$h.\1/g" "$run_dir/nginx.conf" >"$run_dir/nginx-$h.conf"
    ns "$h" nginx -c "$run_dir/nginx-$h.conf" &
    eval "nginx_$h=\$!"
done
# Until the health checks have seen both answer (rise x interval).
for _ in $(seq 50); do
    [ "$(ns dut "$root/build/app/sluicectl/sluicectl" --api "$API" services | grep -c ' up ')" = 2 ] && break
    sleep 0.1
done
for _ in 1 2 3 4 5 6; do ns h2 curl -s --max-time 3 -w '\n' http://10.2.0.100/; done

say "a flood from 10 spoofed sources on h3 (hping3, 3000 packets/s each) while h1 runs iperf3"
ns h2 iperf3 -s -1 -B 10.2.0.2 >/dev/null 2>&1 &
sleep 0.5
flooders=()
for i in $(seq 100 109); do
    ns h3 timeout 15 hping3 --udp -p 9 -a "10.1.0.$i" -i u333 -c 15000 -q 10.2.0.2 >/dev/null 2>&1 &
    flooders+=($!)
done
ns h1 iperf3 -c 10.2.0.2 -t 5 | tail -3
wait "${flooders[@]}" 2>/dev/null || true

ctl() { ns dut "$root/build/app/sluicectl/sluicectl" --api "$API" "$@"; }

say "QoS: wan shaped live to 50 Mbit/s with conf/qos-interactive.json's classes; h1 pings h2 alone, then beside a bulk transfer in the same class"
ns dut curl -s "$API/api/v1/config" | /usr/bin/python3 -c '
import json, sys
cfg = json.load(sys.stdin)
qos = json.load(open(sys.argv[1]))["qos"]
qos["ports"][0]["rate"] = "50Mbit"
cfg["qos"] = qos
json.dump(cfg, open(sys.argv[2], "w"), indent=2)' conf/qos-interactive.json "$run_dir/sluice-qos.json"
ctl config apply "$run_dir/sluice-qos.json" >/dev/null
rtt() { # label: the RTT percentiles of 200 pings, 10 ms apart
    ns h1 ping -c 200 -i 0.01 -W 1 10.2.0.2 | /usr/bin/python3 -c '
import re, sys
t = sorted(float(x) for x in re.findall(r"time=([0-9.]+) ms", sys.stdin.read()))
q = lambda p: t[min(len(t) - 1, int(p * len(t)))] if t else float("nan")
print(f"ping RTT {sys.argv[1]}: p50 {q(0.5):.2f} ms, p95 {q(0.95):.2f} ms, p99 {q(0.99):.2f} ms ({len(t)} replies)")' "$1"
}
rtt "alone"
ns h2 iperf3 -s -1 -B 10.2.0.2 >/dev/null 2>&1 &
sleep 0.5
ns h1 iperf3 -c 10.2.0.2 -P 4 -t 6 >"$run_dir/iperf-qos.txt" &
iperf_pid=$!
sleep 2
rtt "beside 4 bulk TCP streams (FQ-CoDel keeps the ping out of their queue)"
wait "$iperf_pid" || true
echo "bulk: $(grep -E 'SUM.*receiver' "$run_dir/iperf-qos.txt" | awk '{print $6, $7}') through the 50 Mbit/s port"

say "WireGuard: wg0 (10.99.0.1) to wireguard-go on h4 (10.99.0.2), its peer file imported with sluicectl"
peer_key=$(umask 077; wg genkey | tee "$run_dir/h4-wg.key")
sluice_pub=$(wg pubkey <"$run_dir/wg0.key")
ns h4 env WG_PROCESS_FOREGROUND=1 wireguard-go wgdemo0 >"$run_dir/wireguard-go.log" 2>&1 &
wg_pid=$!
for _ in $(seq 50); do ns h4 ip link show wgdemo0 >/dev/null 2>&1 && break; sleep 0.1; done
ns h4 wg set wgdemo0 private-key "$run_dir/h4-wg.key" listen-port 51820 \
    peer "$sluice_pub" endpoint 10.2.0.1:51820 allowed-ips 10.99.0.0/24,10.1.0.0/24
ns h4 ip address add 10.99.0.2/24 dev wgdemo0
ns h4 ip link set wgdemo0 up
ns h4 ip route add 10.1.0.0/24 dev wgdemo0
# The peer as a wg-quick file would have it, imported through the API.
cat >"$run_dir/wg0-peers.conf" <<EOF
[Peer]
PublicKey = $(echo "$peer_key" | wg pubkey)
Endpoint = 10.2.0.3:51820
AllowedIPs = 10.99.0.2/32
EOF
ctl wg import wg0 "$run_dir/wg0-peers.conf"
ns h1 ping -c 3 -i 0.2 10.99.0.2
ns h4 ping -c 2 -i 0.2 10.99.0.1

say "report"
if [ -x build/app/sluicectl/sluicectl ]; then
    ctl status; ctl ports; ctl neighbors; ctl routes
    say "connection table (sluicectl flows)"
    ctl flows
    say "services and their backends (sluicectl services)"
    ctl services
    say "the shield: sources with the most drops (sluicectl top), blocks made (sluicectl blocks)"
    ctl top
    ctl blocks
    say "QoS classes (sluicectl qos)"
    ctl qos
    say "WireGuard (sluicectl wg show)"
    ctl wg show
    say "WireGuard, as stock wg sees sluice's interface (wg show wg0, through its UAPI socket)"
    ns dut wg show wg0
else
    ns dut curl -s "$API/api/v1/status"; echo
fi
say "selected metrics"
ns dut curl -s "$API/metrics" | grep -E '^sluice_(port_(receive|transmit)_packets_total|drop_packets_total|icmp_errors_sent_total|config_generation|packet_latency_seconds_count|flow_(connections|created_total|handoffs_total)|service_(connections_opened_total|backend_up)|blocks_(active|added_total)|wireguard_(peers_recent|handshakes_total|rx_packets_total|tx_packets_total))' \
    | grep -v ' 0$'

say "alerts firing (Prometheus with doc/prometheus/sluice-rules.yml)"
ns dut curl -s "$PROM/api/v1/alerts" | /usr/bin/python3 -c '
import json, sys
alerts = [a for a in json.load(sys.stdin)["data"]["alerts"] if a["state"] == "firing"]
print("\n".join(a["labels"]["alertname"] + ": " + a["annotations"]["summary"] for a in alerts)
      or "none")'

say "dashboard preview"
sleep 3   # a few more scrapes after the last traffic
range=$(( $(date +%s) - t0 + 5 ))
ns dut /usr/bin/python3 scripts/dashboard-preview.py --prometheus "$PROM" \
    --dashboard doc/grafana/sluice.json --out "$run_dir/dashboard.png" \
    --range "${range}s" --step 1s --rate-interval 5s \
    --title "sluice demo: the shipped dashboard, from the demo's Prometheus"
echo "dashboard preview (the panels of doc/grafana/sluice.json): $run_dir/dashboard.png"

if [ $keep = 1 ]; then
    say "sluice keeps running (pid $pid). Reach it from its namespace:"
    echo "  ip netns exec $P-dut $root/build/app/sluicectl/sluicectl status"
    echo "  ip netns exec $P-dut curl -s $API/metrics"
    echo "  ip netns exec $P-h1 ping 10.2.0.2"
    echo "  ip netns exec $P-dut curl -s '$PROM/api/v1/query?query=up'    (Prometheus)"
    echo "Stop it with: kill $pid $prom_pid; $root/scripts/topology.sh down $P"
    exit 0
fi
kill "$nginx_h1" "$nginx_h3" "$wg_pid" 2>/dev/null; wait "$nginx_h1" "$nginx_h3" "$wg_pid" 2>/dev/null || true
say "stopping sluice (SIGTERM)"
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
pid=
echo "sluice exited with status $rc"
left=$(find /dev/hugepages -mindepth 1 2>/dev/null | wc -l)
echo "files left under /dev/hugepages: $left"
[ "$rc" = 0 ] && [ "$left" = 0 ]

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# New connections per second through a load-balanced service, side by side
# with Linux's nft DNAT, on the same namespaces and veths, rounds alternating.
#
#   h2 (wrk, one new TCP connection per request, CPU 0)
#     -- wan0 [ P-dut: Linux nft DNAT, or a sluice service ] lan0 --
#   h1, h3 (nginx, the backends)
#
# nginx and wrk on CPU 0. VIP 10.2.0.100:80 -> 10.1.0.2:8090 and 10.1.0.3:8090 (Linux: nft's numgen
# round robin; sluice: scheduler rr). Both DUTs on CPU 1; a round reports
# wrk's requests per second (each a connection opened and closed through the
# DUT) and the DUT's work: CPU 1's system + softirq time for Linux (RPS puts
# its receive processing there), the worker's busy time for sluice.
# usage: scripts/bench/conn-rate.sh [--rounds N] [--seconds S]
set -euo pipefail
P=scr
rounds=3
seconds=5
source "$(dirname "$0")/dut-lib.sh"
cleanup() {
    sluice_stop_quietly
    for p in ${nginx_pids:-}; do kill "$p" 2>/dev/null || true; done
    TOPOLOGY_HOSTS=2 scripts/topology.sh down "$P" >/dev/null 2>&1 || true
}
trap cleanup EXIT
TOPOLOGY_HOSTS=2 scripts/topology.sh up "$P" >/dev/null
# The client opens tens of thousands of connections to one address and port:
# let it reuse its ports in TIME_WAIT, or every round after the first
# measures the port range, not the DUT.
ns h2 sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65535"
nginx_pids=
for h in h1 h3; do
    cat >"$run_dir/nginx-$h.conf" <<NGX
daemon off; worker_processes 1; pid $run_dir/nginx-$h.pid; error_log $run_dir/nginx-$h.err;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path $run_dir; proxy_temp_path $run_dir;
  fastcgi_temp_path $run_dir; uwsgi_temp_path $run_dir; scgi_temp_path $run_dir;
  server { listen 8090; location / { return 200 "ok"; } } }
NGX
    taskset -c 0 ip netns exec "$P-$h" nginx -c "$run_dir/nginx-$h.conf" &
    nginx_pids="$nginx_pids $!"
done
linux_work() { cpu1_work; }
sluice_work() { sluice_busy; }
linux_on() {
    linux_router_up <<'NFT'
table ip bench {
    chain pre { type nat hook prerouting priority dstnat;
        ip daddr 10.2.0.100 tcp dport 80 dnat to numgen inc mod 2 map { 0 : 10.1.0.2, 1 : 10.1.0.3 } : 8090; }
}
NFT
    ns dut ip addr add 10.2.0.100/32 dev wan0
}
linux_off() { linux_router_down; }
sluice_on() {
    sluice_start 'cfg["flow"] = {"max_connections": 262144, "timeouts": {"tcp_time_wait": "5s"}}
cfg["services"] = [{"name": "web", "vip": "10.2.0.100", "proto": "tcp", "port": 80,
                    "backends": [{"address": "10.1.0.2", "port": 8090},
                                 {"address": "10.1.0.3", "port": 8090}]}]'
}
sluice_off() { sluice_stop; }

echo "kernel $(uname -r); $rounds rounds of ${seconds} s; $(nproc) CPUs"
printf '%-6s %-7s %14s %12s %18s\n' round dut "connections/s" "work (CPU)" "conn/s per core"
results=()
for r in $(seq "$rounds"); do
    for dut in linux sluice; do
        "${dut}_on"
        sleep 1
        w0=$("${dut}_work"); t0=$(date +%s.%N)
        out=$(taskset -c 0 ip netns exec "$P-h2" wrk -t 1 -c 16 -d "${seconds}s" \
              -H "Connection: close" http://10.2.0.100/ 2>&1)
        w1=$("${dut}_work"); t1=$(date +%s.%N)
        "${dut}_off"
        rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
        errs=$(echo "$out" | grep -c "Socket errors\|Non-2xx" || true)
        read -r work per_core < <(/usr/bin/python3 -c "
w = ($w1 - $w0) / ($t1 - $t0)
print('%.3f %.0f' % (w, $rps / w if w > 0 else 0))")
        printf '%-6s %-7s %14s %12s %18s%s\n' "$r" "$dut" "$rps" "$work" "$per_core" \
            "$([ "$errs" = 0 ] || echo "  (wrk reported errors)")"
        results+=("$dut $rps $per_core")
    done
done
printf '%s\n' "${results[@]}" | /usr/bin/python3 -c '
import statistics, sys
by = {}
for line in sys.stdin:
    dut, rps, per_core = line.split()
    by.setdefault(dut, []).append((float(rps), float(per_core)))
for dut, v in by.items():
    r = [x[0] for x in v]; c = [x[1] for x in v]
    print("%s: median %.0f connections/s (%.0f-%.0f), %.0f per core of work (%.0f-%.0f)"
          % (dut, statistics.median(r), min(r), max(r), statistics.median(c), min(c), max(c)))'

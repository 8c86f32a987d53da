/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the SYN proxy costs, in cycles: making a cookie and checking one,
 * turning a client's ACK into the backend's SYN (the work of answering a
 * SYN is the same rewrite), and translating a spliced connection's data
 * packets each way. Medians of rounds of 1000.
 *
 *   perf_synproxy [EAL args] -- [--json]
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "flow_priv.h"
#include "perf_common.h"

#define ROUNDS 101
#define PER_ROUND 1000

static struct rte_mempool *pool;
static struct sl_lcore_stats st;

/* An IPv4 TCP segment 172.16.0.9:40000 -> 10.2.0.1:9080 (or back from the
 * backend), with NOP NOP timestamp options and @p payload bytes, parsed. */
static struct rte_mbuf *segment(bool from_client, uint32_t seq, uint32_t ack, uint8_t flags,
				uint32_t tsval, uint32_t tsecr, uint16_t payload)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint16_t len = (uint16_t)(14 + 20 + 32 + payload);
	uint8_t *f = (uint8_t *)rte_pktmbuf_append(m, len);
	memset(f, 0, len);
	f[12] = 0x08;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + 14);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	static const uint8_t client[4] = {172, 16, 0, 9}, vip[4] = {10, 2, 0, 1},
			     backend[4] = {10, 1, 0, 2};
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len - 14));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	memcpy(&ip->src_addr, from_client ? client : backend, 4);
	memcpy(&ip->dst_addr, from_client ? vip : client, 4);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th->src_port = rte_cpu_to_be_16(from_client ? 40000 : 8090);
	th->dst_port = rte_cpu_to_be_16(from_client ? 9080 : 40000);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = 8 << 4;
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(502);
	uint8_t *o = (uint8_t *)(th + 1);
	o[0] = 1, o[1] = 1, o[2] = 8, o[3] = 10;
	uint32_t v[2] = {rte_cpu_to_be_32(tsval), rte_cpu_to_be_32(tsecr)};
	memcpy(o + 4, v, 8);
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	memset(sl_pkt_meta(m), 0, sizeof(struct sl_pkt_meta));
	if (!sl_pkt_parse(m))
		abort();
	return m;
}

static double median_of(uint64_t *r, uint64_t stamp)
{
	return (double)(perf_median(r, ROUNDS) - stamp) / PER_ROUND;
}

int main(int argc, char **argv)
{
	int n = rte_eal_init(argc, argv);
	if (n < 0)
		return 1;
	bool json = argc - n > 1 && strcmp(argv[n + 1], "--json") == 0;
	pool = rte_pktmbuf_pool_create("perf_sp", 2047, 0, SL_PKT_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	uint64_t hz = rte_get_tsc_hz(), stamp = perf_stamp_cost();
	struct sl_flow_table *t = sl_flow_table_create(1024, 0, 1, NULL, SOCKET_ID_ANY);
	struct sl_synproxy *sp = sl_synproxy_create(1, hz);
	if (pool == NULL || t == NULL || sp == NULL || sl_flow_splice_enable(t, SOCKET_ID_ANY) != 0)
		return 1;
	struct sl_flow_policy pol = {0};
	struct sl_flow_worker_ctx c = {.t = t, .n_workers = 1, .st = &st,
				       .tsc_per_tick = hz / SL_FLOW_TICKS_PER_S, .sp = sp};
	struct sl_flow_key k = {.sport = 40000, .dport = 9080, .af = 4, .proto = IPPROTO_TCP,
				.src = {172, 16, 0, 9}, .dst = {10, 2, 0, 1}};
	struct sl_cookie_tuple tu = {.af = 4, .sport = 40000, .dport = 9080,
				     .saddr = {172, 16, 0, 9}, .daddr = {10, 2, 0, 1}};
	const struct sl_syncookie_keys *keys = sl_synproxy_keys(sp);
	uint64_t now = rte_rdtsc(), r[ROUNDS];
	uint32_t minute = sl_syncookie_minute(now, hz), sink = 0;
	uint16_t mss;

	for (unsigned round = 0; round < ROUNDS; round++) {
		uint64_t a = rte_rdtsc_precise();
		for (uint32_t i = 0; i < PER_ROUND; i++)
			sink += sl_syncookie_make(keys, &tu, i, minute, 1460, &mss);
		r[round] = rte_rdtsc_precise() - a;
	}
	double make = median_of(r, stamp);
	uint32_t cookie = sl_syncookie_make(keys, &tu, 1000, minute, 1460, &mss);
	for (unsigned round = 0; round < ROUNDS; round++) {
		uint64_t a = rte_rdtsc_precise();
		for (uint32_t i = 0; i < PER_ROUND; i++)
			sink += sl_syncookie_check(keys, &tu, 1000, cookie + (i & 1), minute, &mss);
		r[round] = rte_rdtsc_precise() - a;
	}
	double check = median_of(r, stamp);

	/* ACK to SYN: each round on fresh copies of one ACK (copied untimed). */
	struct sl_syn_opts kept = {.wscale = 7, .sack_ok = true};
	uint32_t ours = sl_syncookie_tsval((uint32_t)(now / (hz / 1000)), &kept);
	struct rte_mbuf *tmpl = segment(true, 1001, cookie + 1, 0x10, 5555, ours, 0);
	struct rte_mbuf *ms[PER_ROUND];
	for (unsigned round = 0; round < ROUNDS; round++) {
		for (uint32_t i = 0; i < PER_ROUND; i++) {
			ms[i] = rte_pktmbuf_copy(tmpl, pool, 0, UINT32_MAX);
			if (ms[i] == NULL)
				return 1;
			memcpy(sl_pkt_meta(ms[i]), sl_pkt_meta(tmpl), sizeof(struct sl_pkt_meta));
		}
		uint64_t a = rte_rdtsc_precise();
		for (uint32_t i = 0; i < PER_ROUND; i++)
			sink += (uint32_t)flow_proxy_ack(&c, &pol, ms[i], &k, now);
		r[round] = rte_rdtsc_precise() - a;
		rte_pktmbuf_free_bulk(ms, PER_ROUND);
	}
	double to_syn = median_of(r, stamp);

	/* A spliced connection's data, 1400 bytes, each way. */
	struct sl_flow_key rk = k;
	memcpy(rk.src, (uint8_t[4]){10, 1, 0, 2}, 4);
	memcpy(rk.dst, k.src, 4);
	rk.sport = 8090;
	rk.dport = 40000;
	uint32_t idx = sl_flow_alloc(t, 0, &k, &rk);
	if (idx == SL_FLOW_NONE || sl_flow_insert(t, 0, idx) != 0)
		return 1;
	sl_flow_get(t, idx)->proxy = SL_FLOW_PROXY_SPLICED;
	t->splice[idx] = (struct sl_flow_splice){.seq = 0x12345678, .ts = 777, .ts_on = 1,
						 .client_scale = 7, .to_client = 2};
	struct rte_mbuf *up = segment(true, 1001, 2000, 0x18, 5555, 6666, 1400);
	struct rte_mbuf *down = segment(false, 2000, 1001, 0x18, 6666, 5555, 1400);
	enum sl_drop_reason why;
	for (unsigned round = 0; round < ROUNDS; round++) {
		uint64_t a = rte_rdtsc_precise();
		for (uint32_t i = 0; i < PER_ROUND; i++)
			sink += flow_proxy_in(&c, idx, SL_FLOW_ORIG, up, 0, &why);
		r[round] = rte_rdtsc_precise() - a;
	}
	double to_server = median_of(r, stamp);
	for (unsigned round = 0; round < ROUNDS; round++) {
		uint64_t a = rte_rdtsc_precise();
		for (uint32_t i = 0; i < PER_ROUND; i++)
			sink += (uint32_t)flow_proxy_out(&c, idx, down);
		r[round] = rte_rdtsc_precise() - a;
	}
	double to_client = median_of(r, stamp);
	if (json)
		printf("{\"cookie_make_cycles\": %.1f, \"cookie_check_cycles\": %.1f, "
		       "\"ack_to_syn_cycles\": %.1f, \"spliced_to_server_cycles\": %.1f, "
		       "\"spliced_to_client_cycles\": %.1f}\n", make, check, to_syn, to_server,
		       to_client);
	else
		printf("cookie make %.1f  check %.1f  ACK to SYN %.1f  spliced packet to server %.1f, "
		       "to client %.1f  (cycles)\n", make, check, to_syn, to_server, to_client);
	if (sink == 42)
		putchar('\n');    /* keeps the work from being optimised away */
	rte_pktmbuf_free(tmpl);
	rte_pktmbuf_free(up);
	rte_pktmbuf_free(down);
	sl_synproxy_free(sp);
	sl_flow_table_free(t);
	return 0;
}

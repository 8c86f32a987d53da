/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * perf_flow: what the flow stage costs, in TSC cycles per packet, and what
 * the connection table takes in memory, at 1k, 100k and 1M connections.
 *
 *   perf_flow [--json] [--sizes 1000,100000,1000000] [--no-huge]
 *
 * For each size, one worker and a table of that many connections:
 *  - insert: 32-packet bursts of UDP packets, each opening a new connection
 *    (lookup miss, allocation, both keys published, state set): cycles per
 *    packet, and new connections per second per core;
 *  - hit: bursts of 32 packets of connections picked at random from the
 *    table, replies (lookup hit, state update, deadline refresh);
 *  - hit + NAT: the same with every connection source-NATed (masquerade):
 *    both flow hooks, the reply's destination translated back before route
 *    and its source after (addresses, ports, IPv4 and UDP checksums);
 *  - NAT insert: new masqueraded connections through both hooks, worker 0
 *    of two choosing ports from its share of the range ("split"), or ones
 *    whose replies a NIC's RSS (a random 40-byte key, a 128-entry RETA
 *    over four queues, two per worker) delivers to it ("steered").
 *
 * Principles: the packets' headers and metadata are rewritten between
 * bursts, outside the timed region (rte_rdtsc_precise pairs, their own cost
 * subtracted); medians over bursts. At 1M connections the table (120 MB)
 * is far larger than the caches: every lookup misses in them, and the
 * stage's first pass (keys, hashes, bucket prefetches for the whole burst)
 * is what keeps the misses overlapping; the figure shows what is left.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "perf_common.h"
#include "sl_flow.h"
#include "sl_pkt.h"

#define BURST 32
#define HIT_BURSTS 20000

static struct rte_mempool *pool;
static struct rte_mbuf *pkts[BURST];
static struct sl_lcore_stats st;

/* Connection @p i as the packet that opened it (@p reply: the other way). */
static void set_packet(struct rte_mbuf *m, uint32_t i, bool reply)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	uint32_t inside = rte_cpu_to_be_32(RTE_IPV4(10, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff));
	/* One server address per 256 clients: translated source ports repeat
	 * toward different servers, as they do in life. */
	uint32_t outside = rte_cpu_to_be_32(RTE_IPV4(198, 18, (i >> 8) & 0xff, 1));
	uint16_t sport = (uint16_t)(1024 + (i >> 24)), dport = 53;
	ip->src_addr = reply ? outside : inside;
	ip->dst_addr = reply ? inside : outside;
	meta->src_port = reply ? dport : sport;
	meta->dst_port = reply ? sport : dport;
	meta->in_port = reply ? 1 : 0;
	meta->flags = SL_PKT_F_FIRST_FRAG;
}

static void build(void)
{
	for (unsigned i = 0; i < BURST; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
		memset(f, 0, 64);
		f[12] = 0x08;
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + 14);
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16(28);
		ip->next_proto_id = IPPROTO_UDP;
		m->data_len = m->pkt_len = 60;
		struct sl_pkt_meta *meta = sl_pkt_meta(m);
		memset(meta, 0, sizeof(*meta));
		meta->l2_len = 14;
		meta->l3_len = 20;
		meta->l4_len = 8;
		meta->l3_type = SL_L3_IPV4;
		meta->l4_proto = IPPROTO_UDP;
		meta->ip_len = 28;
		pkts[i] = m;
	}
}

struct result {
	uint32_t size;
	double insert, hit, nat_hit, nat_insert, nat_insert_steered, stamp;
	uint64_t memory;
};

#define NAT_ADDR RTE_IPV4(198, 19, 0, 1)

/* Default timeouts and masquerade out of port 1 to NAT_ADDR (returned, network order). */
static uint32_t masquerade(struct sl_flow_policy *pol)
{
	sl_ct_timeouts_default(&pol->timeouts);
	pol->n_snat = 1;
	pol->snat[0] = (struct sl_flow_snat){.out_port = 1, .has4 = true, .lo = 1024, .hi = 65535};
	uint32_t a = rte_cpu_to_be_32(NAT_ADDR);
	memcpy(pol->snat[0].to4, &a, 4);
	return a;
}

/* Hits through source NAT: both hooks per burst. */
static double run_nat(uint32_t size, uint64_t stamp)
{
	struct sl_flow_table *t = sl_flow_table_create(size, 0, 1, NULL, SOCKET_ID_ANY);
	struct sl_flow_policy pol = {.n_snat = 1};
	struct sl_flow_worker_ctx c = {.t = t, .worker = 0, .n_workers = 1, .st = &st,
				       .tsc_per_tick = rte_get_tsc_hz() / SL_FLOW_TICKS_PER_S};
	uint16_t *port = malloc(sizeof(*port) * size);
	uint64_t *v = malloc(sizeof(uint64_t) * HIT_BURSTS);
	if (t == NULL || port == NULL || v == NULL) {
		fprintf(stderr, "perf_flow: no memory for %u connections\n", size);
		exit(1);
	}
	uint32_t a = masquerade(&pol);
	uint64_t now = rte_rdtsc();
	uint32_t bursts = size / BURST;
	for (uint32_t b = 0; b < bursts; b++) {
		for (unsigned i = 0; i < BURST; i++)
			set_packet(pkts[i], b * BURST + i, false);
		uint16_t n = sl_flow_pre_burst(&c, &pol, pkts, BURST, now);
		for (unsigned i = 0; i < n; i++)
			sl_pkt_meta(pkts[i])->out_port = 1;
		if (n != BURST || sl_flow_post_burst(&c, &pol, pkts, n, now) != BURST) {
			fprintf(stderr, "perf_flow: a NATed insert was refused at %u\n", b * BURST);
			exit(1);
		}
		for (unsigned i = 0; i < BURST; i++) {
			const struct sl_flow *f = sl_flow_get(t, sl_pkt_meta(pkts[i])->flow - 1);
			port[b * BURST + i] = f->port[SL_FLOW_REPLY][1];
		}
	}
	uint64_t x = 0x2545f4914f6cdd1dull;
	for (uint32_t b = 0; b < HIT_BURSTS; b++) {
		uint32_t id[BURST];
		for (unsigned i = 0; i < BURST; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			id[i] = (uint32_t)(x % (bursts * BURST));
			set_packet(pkts[i], id[i], true);
			rte_pktmbuf_mtod_offset(pkts[i], struct rte_ipv4_hdr *, 14)->dst_addr = a;
			sl_pkt_meta(pkts[i])->dst_port = port[id[i]];
		}
		uint64_t t0 = rte_rdtsc_precise();
		uint16_t n = sl_flow_pre_burst(&c, &pol, pkts, BURST, now);
		n = sl_flow_post_burst(&c, &pol, pkts, n, now);
		uint64_t t1 = rte_rdtsc_precise();
		/* Translated back to the client, every one. */
		for (unsigned i = 0; i < BURST; i++) {
			uint32_t d = rte_be_to_cpu_32(rte_pktmbuf_mtod_offset(pkts[i],
					struct rte_ipv4_hdr *, 14)->dst_addr);
			if (n != BURST || (d & 0xffffff) != (id[i] & 0xffffff)) {
				fprintf(stderr, "perf_flow: a reply was not translated back\n");
				exit(1);
			}
		}
		v[b] = t1 - t0 - stamp;
	}
	double r = (double)perf_median(v, HIT_BURSTS) / BURST;
	free(v);
	free(port);
	sl_flow_table_free(t);
	return r;
}

/* New masqueraded connections, both hooks, as worker 0 of two: cycles per packet. */
static double run_nat_insert(uint32_t size, uint64_t stamp, const struct sl_rss_steer *steer)
{
	const struct sl_rss_steer *steers[SL_MAX_PORTS] = {NULL, steer};
	struct sl_flow_table *t = sl_flow_table_create(size, 0, 2, NULL, SOCKET_ID_ANY);
	struct sl_flow_policy pol = {.n_snat = 1};
	struct sl_flow_worker_ctx c = {.t = t, .worker = 0, .n_workers = 2, .st = &st,
				       .tsc_per_tick = rte_get_tsc_hz() / SL_FLOW_TICKS_PER_S,
				       .steer = steers};
	uint32_t bursts = size / 2 / BURST;
	uint64_t *v = malloc(sizeof(uint64_t) * (bursts + 1));
	if (t == NULL || v == NULL) {
		fprintf(stderr, "perf_flow: no memory for %u connections\n", size);
		exit(1);
	}
	masquerade(&pol);
	uint64_t now = rte_rdtsc();
	for (uint32_t b = 0; b < bursts; b++) {
		for (unsigned i = 0; i < BURST; i++)
			set_packet(pkts[i], b * BURST + i, false);
		uint64_t t0 = rte_rdtsc_precise();
		uint16_t n = sl_flow_pre_burst(&c, &pol, pkts, BURST, now);
		for (unsigned i = 0; i < n; i++)
			sl_pkt_meta(pkts[i])->out_port = 1;
		n = sl_flow_post_burst(&c, &pol, pkts, n, now);
		uint64_t t1 = rte_rdtsc_precise();
		if (n != BURST) {
			fprintf(stderr, "perf_flow: a NATed insert was refused at %u\n", b * BURST);
			exit(1);
		}
		v[b] = t1 - t0 - stamp;
	}
	double r = (double)perf_median(v, bursts) / BURST;
	free(v);
	sl_flow_table_free(t);
	return r;
}

static struct result run(uint32_t size, uint64_t stamp)
{
	struct result r = {.size = size, .stamp = (double)stamp};
	struct sl_flow_table *t = sl_flow_table_create(size, 0, 1, NULL, SOCKET_ID_ANY);
	struct sl_flow_policy pol = {0};
	struct sl_flow_worker_ctx c = {.t = t, .worker = 0, .n_workers = 1, .st = &st,
				       .tsc_per_tick = rte_get_tsc_hz() / SL_FLOW_TICKS_PER_S};
	if (t == NULL) {
		fprintf(stderr, "perf_flow: no memory for %u connections\n", size);
		exit(1);
	}
	sl_ct_timeouts_default(&pol.timeouts);
	r.memory = sl_flow_table_memory(size, 0, 1);
	uint32_t bursts = size / BURST;
	uint64_t *v = malloc(sizeof(uint64_t) * (bursts > HIT_BURSTS ? bursts : HIT_BURSTS));
	uint64_t now = rte_rdtsc();
	/* Insert: every packet opens a new connection. */
	for (uint32_t b = 0; b < bursts; b++) {
		for (unsigned i = 0; i < BURST; i++)
			set_packet(pkts[i], b * BURST + i, false);
		uint64_t t0 = rte_rdtsc_precise();
		uint16_t keep = sl_flow_pre_burst(&c, &pol, pkts, BURST, now);
		uint64_t t1 = rte_rdtsc_precise();
		if (keep != BURST) {
			fprintf(stderr, "perf_flow: an insert was refused at %u of %u\n",
				b * BURST, size);
			exit(1);
		}
		v[b] = t1 - t0 - stamp;
	}
	r.insert = (double)perf_median(v, bursts) / BURST;
	/* Hits: replies of random connections. */
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (uint32_t b = 0; b < HIT_BURSTS; b++) {
		for (unsigned i = 0; i < BURST; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			set_packet(pkts[i], (uint32_t)(x % (bursts * BURST)), true);
		}
		uint64_t t0 = rte_rdtsc_precise();
		uint16_t keep = sl_flow_pre_burst(&c, &pol, pkts, BURST, now);
		uint64_t t1 = rte_rdtsc_precise();
		if (keep != BURST) {
			fprintf(stderr, "perf_flow: a reply found no connection\n");
			exit(1);
		}
		v[b] = t1 - t0 - stamp;
	}
	r.hit = (double)perf_median(v, HIT_BURSTS) / BURST;
	free(v);
	sl_flow_table_free(t);
	r.nat_hit = run_nat(size, stamp);
	static struct sl_rss_steer steer;
	uint8_t key[40];
	uint16_t reta[128];
	const uint8_t queue_worker[4] = {0, 1, 0, 1};
	for (unsigned i = 0; i < 40; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		key[i] = (uint8_t)x;
	}
	for (unsigned i = 0; i < 128; i++)
		reta[i] = (uint16_t)(i % 4);
	if (sl_rss_steer_init(&steer, RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP, key, 40, reta, 128,
			      queue_worker, 4) != 0)
		exit(1);
	r.nat_insert = run_nat_insert(size, stamp, NULL);
	r.nat_insert_steered = run_nat_insert(size, stamp, &steer);
	return r;
}

int main(int argc, char **argv)
{
	int n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "perf_flow: EAL initialisation failed\n");
		return 1;
	}
	argc -= n;
	argv += n;
	bool json = false;
	char sizes[128] = "1000,100000,1000000";
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'}, {"sizes", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0}};
	int o;
	while ((o = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (o == 'j')
			json = true;
		else if (o == 's')
			snprintf(sizes, sizeof(sizes), "%s", optarg);
		else
			return 64;
	}
	pool = rte_pktmbuf_pool_create("perf_flow", 255, 0, SL_PKT_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	build();
	uint64_t stamp = perf_stamp_cost();
	double hz = (double)rte_get_tsc_hz();
	if (json)
		printf("{\"tsc_hz\": %.0f, \"stamp_cost_cycles\": %" PRIu64 ", \"sizes\": [", hz, stamp);
	else
		printf("%12s %14s %16s %12s %16s %14s %15s %17s\n", "connections", "insert cyc/pkt",
		       "inserts/s/core", "hit cyc/pkt", "hit+NAT cyc/pkt", "memory (MB)",
		       "NAT ins (split)", "NAT ins (steered)");
	bool first = true;
	for (char *tok = strtok(sizes, ","); tok != NULL; tok = strtok(NULL, ",")) {
		struct result r = run((uint32_t)strtoul(tok, NULL, 10), stamp);
		if (json)
			printf("%s{\"connections\": %u, \"insert_cycles_per_packet\": %.1f, "
			       "\"inserts_per_second\": %.0f, \"hit_cycles_per_packet\": %.1f, "
			       "\"nat_hit_cycles_per_packet\": %.1f, "
			       "\"nat_insert_cycles_per_packet\": %.1f, "
			       "\"nat_insert_steered_cycles_per_packet\": %.1f, "
			       "\"memory_bytes\": %" PRIu64 "}", first ? "" : ", ", r.size, r.insert,
			       hz / r.insert, r.hit, r.nat_hit, r.nat_insert, r.nat_insert_steered,
			       r.memory);
		else
			printf("%12u %14.1f %16.2fM %12.1f %16.1f %14.1f %15.1f %17.1f\n", r.size,
			       r.insert, hz / r.insert / 1e6, r.hit, r.nat_hit, (double)r.memory / 1e6,
			       r.nat_insert, r.nat_insert_steered);
		first = false;
	}
	if (json)
		printf("]}\n");
	return 0;
}

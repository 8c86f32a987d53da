/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * perf_ratelimit: what the ratelimit stage costs, in TSC cycles per packet.
 *
 *   perf_ratelimit [EAL options] -- [--json]
 *
 * 32-packet bursts of IPv4 packets through sl_rl_burst, one worker, a
 * table with room for a million sources:
 *  - hit: packets of 1 024 known sources, under their limit (lookup, the
 *    packet and bit buckets moved by CAS, counters);
 *  - new: every packet from a source the table has never seen (an insert;
 *    640 000 of them, the table a third full at the end);
 *  - drop: every packet over its source's rate (lookup, a refused bucket,
 *    the drop: freed and counted), as a flood from known sources is.
 * Headers and metadata are written between bursts, outside the timed
 * region; medians over bursts; a pair of rte_rdtsc_precise is subtracted.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "perf_common.h"
#include "sl_pkt.h"
#include "sl_ratelimit.h"

#define BURST 32
#define BURSTS 20000

static struct rte_mempool *pool;
static struct sl_lcore_stats st;

static void set_packet(struct rte_mbuf *m, uint32_t src)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	ip->src_addr = rte_cpu_to_be_32(src);
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	memset(meta, 0, sizeof(*meta));
	meta->l2_len = 14;
	meta->l3_len = 20;
	meta->l3_type = SL_L3_IPV4;
	meta->ip_len = 100;
}

/* Median cycles per packet of @p bursts bursts; sources from @p next. */
static double run(struct sl_rl_table *t, const struct sl_rl_policy *p, uint64_t stamp,
		  uint32_t (*next)(void), bool expect_drop)
{
	static uint64_t v[BURSTS];
	struct rte_mbuf *pkts[BURST];
	for (unsigned b = 0; b < BURSTS; b++) {
		if (rte_pktmbuf_alloc_bulk(pool, pkts, BURST) != 0)
			exit(1);
		for (unsigned i = 0; i < BURST; i++) {
			rte_pktmbuf_append(pkts[i], 14 + 100);
			set_packet(pkts[i], next());
		}
		uint64_t now = rte_rdtsc();
		uint64_t t0 = rte_rdtsc_precise();
		uint16_t keep = sl_rl_burst(t, p, &st, pkts, BURST, now);
		uint64_t t1 = rte_rdtsc_precise();
		if ((keep == 0) != expect_drop) {
			fprintf(stderr, "perf_ratelimit: %u of %u passed\n", keep, BURST);
			exit(1);
		}
		rte_pktmbuf_free_bulk(pkts, keep);
		v[b] = t1 - t0 - stamp;
	}
	return (double)perf_median(v, BURSTS) / BURST;
}

/* A 64-byte Ethernet/IPv4/UDP frame from @p src, as it arrives. */
static void set_frame(struct rte_mbuf *m, uint32_t src)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	memset(f, 0, 60);
	static const uint8_t head[14] = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0};
	memcpy(f, head, 14);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + 14);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(46);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(RTE_IPV4(10, 253, 0, 1));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	udp->src_port = rte_cpu_to_be_16(4000);
	udp->dst_port = rte_cpu_to_be_16(9);
	udp->dgram_len = rte_cpu_to_be_16(26);
	m->data_len = m->pkt_len = 60;
}

/* Median cycles per packet from parse to the drop: frames of sources from
 * @p next, parsed and held to their limits in one timed region. */
static double run_path(struct sl_rl_table *t, const struct sl_rl_policy *p, uint64_t stamp,
		       uint32_t (*next)(void))
{
	static uint64_t v[BURSTS];
	struct rte_mbuf *pkts[BURST];
	struct sl_pkt_parse_ctx ctx = {.st = &st, .in_port = 0};
	for (unsigned b = 0; b < BURSTS; b++) {
		if (rte_pktmbuf_alloc_bulk(pool, pkts, BURST) != 0)
			exit(1);
		for (unsigned i = 0; i < BURST; i++)
			set_frame(pkts[i], next());
		uint64_t now = rte_rdtsc();
		uint64_t t0 = rte_rdtsc_precise();
		uint16_t ok = sl_pkt_parse_burst(&ctx, pkts, BURST, now);
		uint16_t keep = sl_rl_burst(t, p, &st, pkts, ok, now);
		uint64_t t1 = rte_rdtsc_precise();
		/* (A /16 met for the first time lets its first packet through.) */
		if (ok != BURST || keep > 1) {
			fprintf(stderr, "perf_ratelimit: %u parsed, %u passed of %u\n", ok, keep, BURST);
			exit(1);
		}
		rte_pktmbuf_free_bulk(pkts, keep);
		v[b] = t1 - t0 - stamp;
	}
	return (double)perf_median(v, BURSTS) / BURST;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t fresh = 0x0b000000;

static uint32_t known(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return 0x0a000000 + (uint32_t)(rng % 1024);
}

static uint32_t never_seen(void)
{
	return fresh++;
}

static uint32_t one_flooder(void)
{
	return 0x0c000001;
}

int main(int argc, char **argv)
{
	int n = rte_eal_init(argc, argv);
	if (n < 0)
		return 1;
	bool json = argc - n > 1 && strcmp(argv[n + 1], "--json") == 0;
	pool = rte_pktmbuf_pool_create("perf_rl", 1023, 0, SL_PKT_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	uint64_t stamp = perf_stamp_cost();
	struct sl_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	struct sl_config_ratelimit *rl = &cfg.ratelimit;
	rl->enabled = true;
	rl->max_sources = 1000000;    /* room for every new source below */
	rl->prefix4 = 32;
	rl->prefix6 = 64;
	rl->idle_us = 60000000;
	rl->n_levels = 1;
	/* Generous limits for "hit" and "new"; the flooder is over them at once. */
	rl->levels[0] = (struct sl_config_level){.name = "default", .packets = 1000000,
						 .packet_burst = 1000000, .bits = 100000000000ull,
						 .bit_burst = 1ull << 32};
	uint64_t hz = rte_get_tsc_hz();
	struct sl_rl_policy p;
	sl_rl_policy_build(&cfg, hz, &p);
	struct sl_rl_table *t = sl_rl_table_create(rl, hz, SOCKET_ID_ANY);
	if (t == NULL)
		return 1;
	double hit = run(t, &p, stamp, known, false);
	double fresh_cost = run(t, &p, stamp, never_seen, false);
	/* The flooder: a rate of 1/s and a burst of 1, spent on its first packet. */
	rl->levels[0] = (struct sl_config_level){.name = "default", .packets = 1, .packet_burst = 1};
	sl_rl_policy_build(&cfg, hz, &p);
	struct rte_mbuf *first = rte_pktmbuf_alloc(pool);
	rte_pktmbuf_append(first, 14 + 100);
	set_packet(first, one_flooder());
	if (sl_rl_burst(t, &p, &st, &first, 1, rte_rdtsc()) == 1)
		rte_pktmbuf_free(first);
	double drop = run(t, &p, stamp, one_flooder, true);
	/* The whole way of a flood packet: parse, then the drop. */
	double path = run_path(t, &p, stamp, one_flooder);
	sl_rl_table_free(t);
	/* A spoofed flood on a full table: every source new, none with room,
	 * all held to their /16's shared entry (over its rate at once). */
	rl->max_sources = 1024;
	t = sl_rl_table_create(rl, hz, SOCKET_ID_ANY);
	if (t == NULL)
		return 1;
	for (uint32_t i = 0; i < 1024; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		rte_pktmbuf_append(m, 14 + 100);
		set_packet(m, 0x0d000000 + i);
		if (sl_rl_burst(t, &p, &st, &m, 1, rte_rdtsc()) == 1)
			rte_pktmbuf_free(m);
	}
	double spoofed = run_path(t, &p, stamp, never_seen);
	if (json)
		printf("{\"hit_cycles_per_packet\": %.1f, \"new_source_cycles_per_packet\": %.1f, "
		       "\"drop_cycles_per_packet\": %.1f, \"parse_to_drop_cycles_per_packet\": %.1f, "
		       "\"spoofed_parse_to_drop_cycles_per_packet\": %.1f}\n", hit, fresh_cost, drop,
		       path, spoofed);
	else
		printf("hit %.1f  new source %.1f  drop %.1f  parse to drop %.1f  spoofed, table full, "
		       "parse to drop %.1f  (cycles per packet)\n", hit, fresh_cost, drop, path,
		       spoofed);
	sl_rl_table_free(t);
	return 0;
}

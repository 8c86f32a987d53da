/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the QoS scheduler costs, in cycles a packet: enqueue into FQ-CoDel
 * leaves of a three-class HTB tree and dequeue, in bursts of 32, with 1,
 * 100 and 10 000 flows active (hashed into each leaf's 1 024 queues); and
 * the whole stage (classification through the seed preset's 18 match
 * rules, the flow hash, enqueue, dequeue) on parsed TCP/UDP packets. The
 * root's rate is far above what is offered, so every packet leaves: this
 * is the scheduler's own cost, not a rate. Medians of 101 rounds.
 *
 *   perf_qos [EAL args] -- [--json]
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include <rte_ip.h>

#include "perf_common.h"
#include "sl_config.h"
#include "sl_pkt.h"
#include "sl_qos.h"

#define ROUNDS 101
#define BURSTS 64
#define BURST 32

static struct rte_mempool *pool;

static void set_class(struct sl_qos_class_conf *c, uint16_t parent, uint64_t gbit, uint8_t prio)
{
	memset(c, 0, sizeof(*c));
	c->parent = parent;
	c->rate = c->ceil = gbit * 1000000000ull;
	c->prio = prio;
	c->quantum = 1514;
	c->burst = c->cburst = 1u << 30;
	c->flows = 1024;
	c->limit = 10240;
	c->memory = 32u << 20;
	c->fq_quantum = 300;
	c->target_us = 5000;
	c->interval_us = 100000;
}

static double run(uint32_t flows, uint64_t stamp)
{
	struct sl_qos_conf q = {.n_classes = 4, .overhead = 24};
	set_class(&q.classes[0], SL_QOS_NONE, 300, 0);
	set_class(&q.classes[1], 0, 100, 0);
	set_class(&q.classes[2], 0, 100, 1);
	set_class(&q.classes[3], 0, 100, 2);
	struct sl_qos_sched *s = sl_qos_sched_create(&q, rte_get_tsc_hz(), SOCKET_ID_ANY);
	if (s == NULL)
		abort();
	struct rte_mbuf *pkts[BURST], *out[BURST];
	uint64_t r[ROUNDS];
	uint32_t next = 0;
	for (unsigned round = 0; round < ROUNDS; round++) {
		uint64_t total = 0;
		for (unsigned b = 0; b < BURSTS; b++) {
			if (rte_pktmbuf_alloc_bulk(pool, pkts, BURST) != 0)
				abort();
			for (unsigned i = 0; i < BURST; i++) {
				rte_pktmbuf_append(pkts[i], 64);
				memset(sl_pkt_meta(pkts[i]), 0, sizeof(struct sl_pkt_meta));
			}
			uint64_t a = rte_rdtsc_precise();
			for (unsigned i = 0; i < BURST; i++, next++) {
				uint32_t flow = next % flows;
				sl_qos_enqueue(s, (uint16_t)(1 + flow % 3), pkts[i],
					       flow * 2654435761u, a);
			}
			unsigned got = 0;
			while (got < BURST)
				got += sl_qos_dequeue(s, out + got, BURST - got, rte_rdtsc());
			total += rte_rdtsc_precise() - a - stamp;
			rte_pktmbuf_free_bulk(out, got);
		}
		r[round] = total;
	}
	sl_qos_sched_free(s);
	return (double)perf_median(r, ROUNDS) / (BURSTS * BURST);
}

/* The seed preset's classes on a port far faster than what is offered. */
static const char preset[] =
	"{\"ports\":[{\"name\":\"lan\",\"device\":\"net_null0\"},"
	"{\"name\":\"wan\",\"device\":\"net_null1\"}],"
	"\"qos\":{\"fq_codel\":{\"quantum\":300},\"ports\":[{\"port\":\"wan\",\"rate\":\"300Gbit\","
	"\"default\":\"low\",\"classes\":["
	"{\"name\":\"high\",\"rate\":\"40%\",\"ceil\":\"80%\",\"match\":["
	"{\"proto\":\"tcp\",\"dport\":22},{\"proto\":\"tcp\",\"sport\":22},"
	"{\"proto\":\"udp\",\"dport\":53},{\"proto\":\"udp\",\"sport\":53},"
	"{\"proto\":\"udp\",\"dport\":51820},{\"proto\":\"udp\",\"sport\":51820},"
	"{\"proto\":\"udp\",\"dport\":500},{\"proto\":\"udp\",\"dport\":4500},{\"proto\":50},"
	"{\"proto\":\"udp\",\"dport\":1194},{\"proto\":\"udp\",\"sport\":1194},"
	"{\"dscp\":46},{\"dscp\":48}]},"
	"{\"name\":\"medium\",\"rate\":\"30%\",\"ceil\":\"60%\",\"prio\":1,\"match\":["
	"{\"proto\":\"tcp\",\"dport\":80},{\"proto\":\"tcp\",\"dport\":443},"
	"{\"proto\":\"tcp\",\"sport\":80},{\"proto\":\"tcp\",\"sport\":443},"
	"{\"proto\":\"udp\",\"dport\":443}]},"
	"{\"name\":\"low\",\"rate\":\"30%\",\"ceil\":\"100%\",\"prio\":2}]}]}}";

/* A parsed IPv4 TCP or UDP frame of flow @p i. */
static void frame(struct rte_mbuf *m, uint32_t i)
{
	static const uint16_t ports[] = {22, 53, 80, 443, 5201, 8080, 1194, 9999};
	uint8_t *f = (uint8_t *)rte_pktmbuf_append(m, 64);
	memset(f, 0, 64);
	f[12] = 0x08;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + 14);
	bool tcp = i & 1;
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(50);
	ip->time_to_live = 64;
	ip->next_proto_id = tcp ? 6 : 17;
	ip->src_addr = rte_cpu_to_be_32(0x0a010000 + (i >> 3));
	ip->dst_addr = rte_cpu_to_be_32(0x0a020002);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	uint8_t *l4 = f + 34;
	uint16_t sport = (uint16_t)(1024 + i % 50000), dport = ports[i % 8];
	l4[0] = (uint8_t)(sport >> 8), l4[1] = (uint8_t)sport;
	l4[2] = (uint8_t)(dport >> 8), l4[3] = (uint8_t)dport;
	if (tcp)
		l4[12] = 0x50;
	else
		l4[5] = 30;   /* UDP length: the IP payload */
	memset(sl_pkt_meta(m), 0, sizeof(struct sl_pkt_meta));
	if (!sl_pkt_parse(m))
		abort();
}

static double run_stage(uint32_t flows, uint64_t stamp)
{
	char err[256];
	json_error_t je;
	json_t *doc = json_loads(preset, 0, &je);
	struct sl_config *cfg = doc != NULL ? sl_config_parse(doc, err, sizeof(err)) : NULL;
	json_decref(doc);
	struct sl_qos_port *p = cfg != NULL ?
		sl_qos_port_build(cfg, 0, NULL, 0, rte_get_tsc_hz(), SOCKET_ID_ANY, err,
				  sizeof(err)) : NULL;
	if (p == NULL) {
		fprintf(stderr, "perf_qos: %s\n", err);
		abort();
	}
	struct rte_mbuf *pkts[BURST], *out[BURST];
	uint64_t r[ROUNDS];
	uint32_t next = 0;
	for (unsigned round = 0; round < ROUNDS; round++) {
		uint64_t total = 0;
		for (unsigned b = 0; b < BURSTS; b++) {
			if (rte_pktmbuf_alloc_bulk(pool, pkts, BURST) != 0)
				abort();
			for (unsigned i = 0; i < BURST; i++, next++)
				frame(pkts[i], next % flows);
			uint64_t a = rte_rdtsc_precise();
			sl_qos_classify(p, pkts, BURST);
			for (unsigned i = 0; i < BURST; i++)
				sl_qos_enqueue(p->sched, sl_pkt_meta(pkts[i])->qos_leaf, pkts[i],
					       sl_pkt_meta(pkts[i])->hash, a);
			unsigned got = 0;
			while (got < BURST)
				got += sl_qos_dequeue(p->sched, out + got, BURST - got, rte_rdtsc());
			total += rte_rdtsc_precise() - a - stamp;
			rte_pktmbuf_free_bulk(out, got);
		}
		r[round] = total;
	}
	sl_qos_port_free(p);
	sl_config_free(cfg);
	return (double)perf_median(r, ROUNDS) / (BURSTS * BURST);
}

int main(int argc, char **argv)
{
	int n = rte_eal_init(argc, argv);
	if (n < 0)
		return 1;
	bool json = argc - n > 1 && strcmp(argv[n + 1], "--json") == 0;
	pool = rte_pktmbuf_pool_create("perf_qos", 4095, 0, SL_PKT_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	uint64_t stamp = perf_stamp_cost();
	double one = run(1, stamp), hundred = run(100, stamp), many = run(10000, stamp);
	double stage1 = run_stage(1, stamp), stage100 = run_stage(100, stamp),
	       stage10k = run_stage(10000, stamp);
	if (json)
		printf("{\"flows_1\": %.1f, \"flows_100\": %.1f, \"flows_10000\": %.1f, "
		       "\"stage_flows_1\": %.1f, \"stage_flows_100\": %.1f, "
		       "\"stage_flows_10000\": %.1f}\n", one, hundred, many, stage1, stage100,
		       stage10k);
	else
		printf("enqueue + dequeue, cycles a packet: 1 flow %.1f  100 flows %.1f  "
		       "10 000 flows %.1f\nthe stage (classify 18 rules, hash, enqueue, dequeue): "
		       "1 flow %.1f  100 flows %.1f  10 000 flows %.1f\n", one, hundred, many,
		       stage1, stage100, stage10k);
	return 0;
}

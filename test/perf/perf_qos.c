/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the QoS scheduler costs, in cycles a packet: enqueue into FQ-CoDel
 * leaves of a three-class HTB tree and dequeue, in bursts of 32, with 1,
 * 100 and 10 000 flows active (hashed into each leaf's 1 024 queues). The
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

#include "perf_common.h"
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
	if (json)
		printf("{\"flows_1\": %.1f, \"flows_100\": %.1f, \"flows_10000\": %.1f}\n", one,
		       hundred, many);
	else
		printf("enqueue + dequeue, cycles a packet: 1 flow %.1f  100 flows %.1f  "
		       "10 000 flows %.1f\n", one, hundred, many);
	return 0;
}

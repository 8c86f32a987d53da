/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the QoS scheduler costs, in cycles a packet: enqueue into FQ-CoDel
 * leaves of a three-class HTB tree and dequeue, in bursts of 32, with 1,
 * 100 and 10 000 flows active (hashed into each leaf's 1 024 queues); and
 * the whole stage (classification through the seed preset's 18 match
 * rules, the flow hash, enqueue, dequeue) on parsed TCP/UDP packets; and,
 * beside them, DPDK's rte_sched on the same bursts: one subport of 4 096
 * pipes, flow i in pipe i mod 4 096 and traffic class i mod 3 (three
 * strict priorities, as the tree's three classes), the packet's tree path
 * written and the packet enqueued and dequeued. Every rate is far above
 * what is offered, so every packet leaves: this is each scheduler's own
 * cost, not a rate. Medians of 101 rounds.
 *
 *   perf_qos [EAL args] -- [--json]
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include <rte_ip.h>
#include <rte_sched.h>

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

/*
 * What is measured: @c fill makes a burst (untimed), @c push classifies and
 * enqueues it, @c pull dequeues; one subject each for sluice's scheduler
 * alone, sluice's whole stage and rte_sched.
 */
struct subject {
	void *ctx;
	void (*fill)(struct rte_mbuf *m, uint32_t flow);
	void (*push)(void *ctx, struct rte_mbuf **pkts, unsigned n, uint64_t now);
	unsigned (*pull)(void *ctx, struct rte_mbuf **out, unsigned n, uint64_t now);
};

/* Cycles a packet of push + pull, with @p flows flows taking turns. */
static double measure(const struct subject *sub, uint32_t flows, uint64_t stamp)
{
	struct rte_mbuf *pkts[BURST], *out[BURST];
	uint64_t r[ROUNDS];
	uint32_t next = 0;
	for (unsigned round = 0; round < ROUNDS; round++) {
		uint64_t total = 0;
		for (unsigned b = 0; b < BURSTS; b++) {
			if (rte_pktmbuf_alloc_bulk(pool, pkts, BURST) != 0)
				abort();
			for (unsigned i = 0; i < BURST; i++, next++)
				sub->fill(pkts[i], next % flows);
			uint64_t a = rte_rdtsc_precise();
			sub->push(sub->ctx, pkts, BURST, a);
			unsigned got = 0;
			while (got < BURST)
				got += sub->pull(sub->ctx, out + got, BURST - got, rte_rdtsc());
			total += rte_rdtsc_precise() - a - stamp;
			rte_pktmbuf_free_bulk(out, got);
		}
		r[round] = total;
	}
	return (double)perf_median(r, ROUNDS) / (BURSTS * BURST);
}

/* The scheduler alone: flow i to leaf 1 + i mod 3, its hash given. */
static void fill_bare(struct rte_mbuf *m, uint32_t flow)
{
	rte_pktmbuf_append(m, 64);
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	memset(meta, 0, sizeof(*meta));
	meta->qos_leaf = (uint16_t)(1 + flow % 3);
	meta->hash = flow * 2654435761u;
}

static void push_sched(void *ctx, struct rte_mbuf **pkts, unsigned n, uint64_t now)
{
	for (unsigned i = 0; i < n; i++)
		sl_qos_enqueue(ctx, sl_pkt_meta(pkts[i])->qos_leaf, pkts[i],
			       sl_pkt_meta(pkts[i])->hash, now);
}

static unsigned pull_sched(void *ctx, struct rte_mbuf **out, unsigned n, uint64_t now)
{
	return sl_qos_dequeue(ctx, out, n, now);
}

static double run_sched(uint32_t flows, uint64_t stamp)
{
	struct sl_qos_conf q = {.n_classes = 4, .overhead = 24};
	set_class(&q.classes[0], SL_QOS_NONE, 300, 0);
	set_class(&q.classes[1], 0, 100, 0);
	set_class(&q.classes[2], 0, 100, 1);
	set_class(&q.classes[3], 0, 100, 2);
	struct sl_qos_sched *s = sl_qos_sched_create(&q, rte_get_tsc_hz(), SOCKET_ID_ANY);
	if (s == NULL)
		abort();
	struct subject sub = {s, fill_bare, push_sched, pull_sched};
	double c = measure(&sub, flows, stamp);
	sl_qos_sched_free(s);
	return c;
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

static void push_stage(void *ctx, struct rte_mbuf **pkts, unsigned n, uint64_t now)
{
	struct sl_qos_port *p = ctx;
	sl_qos_classify(p, pkts, (uint16_t)n);
	push_sched(p->sched, pkts, n, now);
}

static unsigned pull_stage(void *ctx, struct rte_mbuf **out, unsigned n, uint64_t now)
{
	return sl_qos_dequeue(((struct sl_qos_port *)ctx)->sched, out, n, now);
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
	struct subject sub = {p, frame, push_stage, pull_stage};
	double c = measure(&sub, flows, stamp);
	sl_qos_port_free(p);
	sl_config_free(cfg);
	return c;
}

/* ------------------------------------------------------------ rte_sched */

#define RS_PIPES 4096
#define RS_BYTES_PER_S (300000000000ull / 8)

static void push_rte_sched(void *ctx, struct rte_mbuf **pkts, unsigned n, uint64_t now)
{
	(void)now;
	for (unsigned i = 0; i < n; i++) {
		uint32_t flow = sl_pkt_meta(pkts[i])->hash;
		rte_sched_port_pkt_write(ctx, pkts[i], 0, flow % RS_PIPES, flow % 3, 0,
					 RTE_COLOR_GREEN);
	}
	rte_sched_port_enqueue(ctx, pkts, n);
}

static unsigned pull_rte_sched(void *ctx, struct rte_mbuf **out, unsigned n, uint64_t now)
{
	(void)now;
	return (unsigned)rte_sched_port_dequeue(ctx, out, n);
}

/* Flow i's packet for rte_sched: the flow number rides in the meta. */
static void fill_rte_sched(struct rte_mbuf *m, uint32_t flow)
{
	fill_bare(m, flow);
	sl_pkt_meta(m)->hash = flow;
}

static double run_rte_sched(uint32_t flows, uint64_t stamp)
{
	struct rte_sched_pipe_params pipe = {.tb_rate = RS_BYTES_PER_S, .tb_size = 1000000,
					     .tc_period = 10, .tc_ov_weight = 1,
					     .wrr_weights = {1, 1, 1, 1}};
	struct rte_sched_subport_profile_params profile = {.tb_rate = RS_BYTES_PER_S,
							   .tb_size = 1000000, .tc_period = 10};
	for (unsigned t = 0; t < RTE_SCHED_TRAFFIC_CLASSES_PER_PIPE; t++)
		pipe.tc_rate[t] = profile.tc_rate[t] = RS_BYTES_PER_S;
	struct rte_sched_subport_params subport = {.n_pipes_per_subport_enabled = RS_PIPES,
						   .pipe_profiles = &pipe, .n_pipe_profiles = 1,
						   .n_max_pipe_profiles = 1};
	for (unsigned t = 0; t < RTE_SCHED_TRAFFIC_CLASSES_PER_PIPE; t++)
		subport.qsize[t] = 64;
	struct rte_sched_port_params params = {.name = "perf_qos", .socket = (int)rte_socket_id(),
					       .rate = RS_BYTES_PER_S, .mtu = 1500,
					       .frame_overhead = 24, .n_subports_per_port = 1,
					       .subport_profiles = &profile, .n_subport_profiles = 1,
					       .n_max_subport_profiles = 1,
					       .n_pipes_per_subport = RS_PIPES};
	struct rte_sched_port *port = rte_sched_port_config(&params);
	if (port == NULL || rte_sched_subport_config(port, 0, &subport, 0) != 0)
		abort();
	for (uint32_t i = 0; i < RS_PIPES; i++)
		if (rte_sched_pipe_config(port, 0, i, 0) != 0)
			abort();
	struct subject sub = {port, fill_rte_sched, push_rte_sched, pull_rte_sched};
	double c = measure(&sub, flows, stamp);
	rte_sched_port_free(port);
	return c;
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
	static const uint32_t flows[] = {1, 100, 10000};
	static const struct {
		const char *key, *text;
		double (*run)(uint32_t flows, uint64_t stamp);
	} subjects[] = {
		{"", "enqueue + dequeue", run_sched},
		{"stage_", "the stage (classify 18 rules, hash, enqueue, dequeue)", run_stage},
		{"rte_sched_", "rte_sched (tree path, enqueue, dequeue)", run_rte_sched},
	};
	for (unsigned k = 0; k < RTE_DIM(subjects); k++) {
		printf(json ? "%s" : "%s, cycles a packet:", json ? (k == 0 ? "{" : ", ") : subjects[k].text);
		for (unsigned f = 0; f < RTE_DIM(flows); f++) {
			double c = subjects[k].run(flows[f], stamp);
			if (json)
				printf("%s\"%sflows_%u\": %.1f", f ? ", " : "", subjects[k].key, flows[f], c);
			else
				printf("  %u flow%s %.1f", flows[f], flows[f] > 1 ? "s" : "", c);
		}
		if (!json)
			printf("\n");
	}
	if (json)
		printf("}\n");
	return 0;
}

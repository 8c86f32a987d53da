/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * perf_acl: what the acl stage costs, in TSC cycles per packet, with 10,
 * 1 000 and 10 000 rules, and how long the rules take to compile.
 *
 *   perf_acl [EAL options] -- [--json] [--sizes 10,1000,10000]
 *
 * Rules: the shape a blocklist and a policy take together: three in four
 * are one source address and a UDP or TCP destination port (deny), the
 * rest a source and a destination prefix, a protocol and a port range, a
 * third of them IPv6. Packets: 1 024
 * parsed IPv4 and IPv6 TCP/UDP packets from the test generator
 * (test/fuzz/acl_gen.h), addresses near the rules', so some match and most
 * go through to the default.
 *
 *  - allow: every rule allows; 32-packet bursts through sl_acl_burst (key
 *    building, one rte_acl_classify per family, counters); the packets come
 *    back whole and are reused. A burst is drawn from 128 of the packets
 *    (the set moves on every 64 bursts), so their headers and metadata are
 *    in the L1 cache, as they are after parse and input touched them.
 *  - deny: every packet matches a deny rule and is dropped (freed, counted)
 *    inside the timed region, as a flood packet is; new packets are made
 *    between bursts, outside it.
 *
 * Medians over bursts; a pair of rte_rdtsc_precise is measured and
 * subtracted.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>

#include "../fuzz/acl_gen.h"
#include "perf_common.h"
#include "sl_acl.h"

#define BURST 32
#define PACKETS 1024
#define HOT 128        /* packets a burst is drawn from: in L1, as after parse */
#define BURSTS 20000

static struct rte_mempool *pool;
static struct sl_lcore_stats st;

static struct sl_config *config_of(unsigned n, uint8_t action)
{
	struct sl_config *cfg = calloc(1, sizeof(*cfg));
	cfg->n_ports = 3;
	cfg->acl.enabled = true;
	cfg->acl.default_action = SL_ACL_ALLOW;
	cfg->acl.n_rules = n;
	cfg->acl.rules = calloc(n, sizeof(*cfg->acl.rules));
	struct acl_src s = {.rng = 0x5eed + n};
	for (unsigned i = 0; i < n; i++) {
		struct sl_config_acl_rule *r = &cfg->acl.rules[i];
		if (i % 4 != 3) {
			memset(r, 0, sizeof(*r));
			r->in_port = r->zone = r->dscp = -1;
			r->src_set = r->dst_set = -1;
			r->af = SL_AF_INET;
			r->has_src = true;
			r->src.addr.af = SL_AF_INET;
			r->src.len = 32;
			uint32_t a = rte_cpu_to_be_32(RTE_IPV4(172, 16 + (i >> 16) % 16, (i >> 8) & 0xff,
						       i & 0xff));
			memcpy(&r->src.addr.v4, &a, 4);
			r->proto = i % 2 ? IPPROTO_UDP : IPPROTO_TCP;
			r->dport_lo = r->dport_hi = (uint16_t)(1000 + i % 5000);
			r->sport_hi = 65535;
		} else {
			/* A policy rule: a source prefix, a destination prefix, a
			 * protocol and a port range; a third of them IPv6. */
			memset(r, 0, sizeof(*r));
			r->in_port = r->zone = r->dscp = -1;
			r->src_set = r->dst_set = -1;
			r->af = i % 3 ? SL_AF_INET : SL_AF_INET6;
			r->has_src = r->has_dst = true;
			acl_prefix(&s, r->af, &r->src);
			acl_prefix(&s, r->af, &r->dst);
			r->src.len = (uint8_t)(r->af == SL_AF_INET ? 8 + acl_pick(&s, 17) : 32 + acl_pick(&s, 33));
			r->dst.len = (uint8_t)(r->af == SL_AF_INET ? 16 + acl_pick(&s, 17) : 48 + acl_pick(&s, 17));
			sl_prefix_mask(&r->src);
			sl_prefix_mask(&r->dst);
			r->proto = acl_byte(&s) & 1 ? IPPROTO_TCP : IPPROTO_UDP;
			r->sport_hi = 65535;
			uint16_t a = acl_port(&s), b = (uint16_t)(a + acl_pick(&s, 4) * 100);
			r->dport_lo = a;
			r->dport_hi = b < a ? 65535 : b;
		}
		r->action = action;
	}
	return cfg;
}

static double median_cycles(uint64_t *v, size_t n)
{
	return (double)perf_median(v, n) / BURST;
}

int main(int argc, char **argv)
{
	int n = rte_eal_init(argc, argv);
	if (n < 0)
		return 1;
	argc -= n;
	argv += n;
	bool json = false;
	char sizes[128] = "10,1000,10000";
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
	pool = rte_pktmbuf_pool_create("perf_acl", PACKETS + 4 * BURST, 0, SL_PKT_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	uint64_t stamp = perf_stamp_cost();
	static struct rte_mbuf *pkts[PACKETS];
	struct acl_src gen = {.rng = 0x1234567};
	for (unsigned i = 0; i < PACKETS;) {
		struct rte_mbuf *m = acl_gen_packet(&gen, pool, 3, &st);
		uint8_t p = m != NULL ? sl_pkt_meta(m)->l4_proto : 0;
		if (m != NULL && (p == IPPROTO_TCP || p == IPPROTO_UDP))
			pkts[i++] = m;
		else
			rte_pktmbuf_free(m);
	}
	static uint64_t v[BURSTS];
	struct sl_ipstack_worker ip = {.st = &st, .pool = pool};
	struct sl_acl_worker w = {.worker = 0, .ip = &ip};
	if (json)
		printf("{\"stamp_cost_cycles\": %" PRIu64 ", \"sizes\": [", stamp);
	else
		printf("%8s %12s %16s %15s\n", "rules", "compile (ms)", "allow cyc/pkt", "deny cyc/pkt");
	bool first = true;
	for (char *tok = strtok(sizes, ","); tok != NULL; tok = strtok(NULL, ",")) {
		unsigned rules = (unsigned)strtoul(tok, NULL, 10);
		char err[256];
		bool failed;
		struct sl_config *cfg = config_of(rules, SL_ACL_ALLOW);
		struct sl_acl *acl = sl_acl_build(cfg, NULL, 1, SOCKET_ID_ANY, &failed, err, sizeof(err));
		if (acl == NULL) {
			fprintf(stderr, "perf_acl: %s\n", err);
			return 1;
		}
		double compile_ms = (double)acl->compile_us / 1000;
		uint64_t x = 0x9e3779b97f4a7c15ull;
		for (unsigned b = 0; b < BURSTS; b++) {
			struct rte_mbuf *burst[BURST], *answers[BURST];
			uint16_t na;
			for (unsigned i = 0; i < BURST; i++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				burst[i] = pkts[(b / 64 * HOT + x % HOT) % PACKETS];
			}
			uint64_t t0 = rte_rdtsc_precise();
			uint16_t keep = sl_acl_burst(acl, &w, burst, BURST, answers, &na, 0);
			uint64_t t1 = rte_rdtsc_precise();
			if (keep != BURST) {
				fprintf(stderr, "perf_acl: allowed packets were lost\n");
				return 1;
			}
			v[b] = t1 - t0 - stamp;
		}
		double allow = median_cycles(v, BURSTS);
		sl_acl_free(acl);
		/* Deny: one rule that takes everything, behind the others. */
		free(cfg->acl.rules);
		free(cfg);
		cfg = config_of(rules, SL_ACL_DENY);
		cfg->acl.rules[rules - 1] = (struct sl_config_acl_rule){
			.action = SL_ACL_DENY, .in_port = -1, .zone = -1, .dscp = -1, .proto = -1,
			.sport_hi = 65535, .dport_hi = 65535, .src_set = -1, .dst_set = -1};
		acl = sl_acl_build(cfg, NULL, 1, SOCKET_ID_ANY, &failed, err, sizeof(err));
		unsigned deny_bursts = BURSTS / 4;
		for (unsigned b = 0; b < deny_bursts; b++) {
			struct rte_mbuf *burst[BURST], *answers[BURST];
			uint16_t na;
			for (unsigned i = 0; i < BURST; i++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				burst[i] = rte_pktmbuf_copy(pkts[x % PACKETS], pool, 0, UINT32_MAX);
				memcpy(sl_pkt_meta(burst[i]), sl_pkt_meta(pkts[x % PACKETS]),
				       sizeof(struct sl_pkt_meta));
			}
			uint64_t t0 = rte_rdtsc_precise();
			uint16_t keep = sl_acl_burst(acl, &w, burst, BURST, answers, &na, 0);
			uint64_t t1 = rte_rdtsc_precise();
			if (keep != 0) {
				fprintf(stderr, "perf_acl: denied packets passed\n");
				return 1;
			}
			v[b] = t1 - t0 - stamp;
		}
		double deny = median_cycles(v, deny_bursts);
		sl_acl_free(acl);
		free(cfg->acl.rules);
		free(cfg);
		if (json)
			printf("%s{\"rules\": %u, \"compile_ms\": %.1f, \"allow_cycles_per_packet\": %.1f, "
			       "\"deny_cycles_per_packet\": %.1f}", first ? "" : ", ", rules, compile_ms,
			       allow, deny);
		else
			printf("%8u %12.1f %16.1f %15.1f\n", rules, compile_ms, allow, deny);
		first = false;
	}
	if (json)
		printf("]}\n");
	return 0;
}

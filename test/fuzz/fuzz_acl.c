/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the ACL: random rules and packets, the rte_acl
 * tries against the linear reference matcher.
 *
 * The input's first byte says how many rules (1..64); the rules, then the
 * packets (up to 64), are drawn from the rest by the generator the unit
 * test uses (test/fuzz/acl_gen.h): prefixes of every length around a few
 * addresses, port ranges ending at the ports packets use, TCP flags, DSCP,
 * ingress port and zone, IPv4 and IPv6, later fragments. Every packet goes
 * through the real parse stage, then both matchers; they must name the
 * same first matching rule, and the stage on the whole burst must let
 * through exactly the packets the reference allows. Two prefix sets are
 * filled from the input too (up to 8 prefixes each, both families), and
 * rules may name them: the tables' answers (single and bulk lookups) are
 * held to a scan of the sets' entries.
 *
 * Run: ./fuzz_acl -max_total_time=60 test/fuzz/corpus/acl
 */
#include <stdio.h>
#include <stdlib.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "acl_gen.h"
#include "sl_acl.h"

#define N_PORTS 3
#define MAX_PACKETS 64

static struct rte_mempool *pool;
static struct sl_lcore_stats st;
static struct sl_pset *sets[2];

static void init_once(void)
{
	char *argv[] = {"fuzz_acl", "--no-huge", "-m", "1024", "--no-pci", "--no-shconf",
			"--no-telemetry", "--log-level=lib.*:error"};
	if (pool != NULL)
		return;
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		abort();
	pool = rte_pktmbuf_pool_create("fuzz_acl", 255, 0, SL_PKT_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		abort();
	for (unsigned k = 0; k < 2; k++) {
		struct sl_config_set c = {.max_ipv4 = 64, .ipv4_groups = 64, .max_ipv6 = 64,
					  .ipv6_groups = 1024};
		char err[256];
		snprintf(c.name, sizeof(c.name), "set%u", k);
		sets[k] = sl_pset_create(&c, NULL, SOCKET_ID_ANY, err, sizeof(err));
		if (sets[k] == NULL) {
			fprintf(stderr, "fuzz_acl: %s\n", err);
			abort();
		}
	}
}

/* Set @p k made exactly up to 8 prefixes drawn from @p s. */
static void fill_set(struct acl_src *s, unsigned k)
{
	struct sl_pset_entry e[8];
	unsigned n = acl_byte(s) % 9;
	for (unsigned i = 0; i < n; i++)
		acl_set_entry(s, acl_byte(s) & 1 ? SL_AF_INET6 : SL_AF_INET, 1, &e[i]);
	struct sl_pset_outcome out;
	char err[256];
	if (sl_pset_change(sets[k], e, n, NULL, 0, true, &out, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_acl: %s\n", err);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init_once();
	if (size < 2)
		return 0;
	struct acl_src s = {.p = data + 1, .n = size - 1};
	static struct sl_config cfg;
	static struct sl_config_acl_rule rules[64];
	memset(&cfg, 0, sizeof(cfg));
	cfg.n_ports = N_PORTS;
	cfg.ports[1].zone = SL_ZONE_OUTSIDE;
	cfg.acl.enabled = true;
	cfg.acl.default_action = data[0] & 0x80 ? SL_ACL_DENY : SL_ACL_ALLOW;
	cfg.acl.n_rules = 1 + data[0] % 64;
	cfg.acl.rules = rules;
	cfg.n_sets = 2;
	for (unsigned k = 0; k < 2; k++) {
		snprintf(cfg.sets[k].name, sizeof(cfg.sets[k].name), "set%u", k);
		fill_set(&s, k);
	}
	for (unsigned i = 0; i < cfg.acl.n_rules; i++) {
		acl_gen_rule(&s, &rules[i], N_PORTS);
		if (rules[i].action == SL_ACL_REJECT)
			rules[i].action = SL_ACL_DENY;   /* answers need routing tables */
		uint8_t b = acl_byte(&s);
		rules[i].src_set = b % 4 == 1 ? (int8_t)(b / 4 % 2) : -1;
		rules[i].dst_set = b % 4 == 2 ? (int8_t)(b / 4 % 2) : -1;
	}
	char err[256];
	bool failed;
	struct sl_acl *acl = sl_acl_build(&cfg, sets, 1, SOCKET_ID_ANY, &failed, err, sizeof(err));
	if (acl == NULL) {
		fprintf(stderr, "acl: %s\n", failed ? err : "nothing built");
		abort();
	}
	struct rte_mbuf *pkts[MAX_PACKETS], *allowed[MAX_PACKETS], *replies[MAX_PACKETS];
	uint16_t n = 0, n_allowed = 0, n_replies;
	while (n < MAX_PACKETS && s.n > 0) {
		struct rte_mbuf *m = acl_gen_packet(&s, pool, N_PORTS, &st);
		if (m == NULL)
			continue;
		uint32_t want = sl_acl_match_linear(&cfg, sets, m), got = sl_acl_classify_one(acl, m);
		if (want != got) {
			fprintf(stderr, "linear matcher says rule %u, the tries %u\n", want, got);
			abort();
		}
		if (acl->actions[want] == SL_ACL_ALLOW)
			allowed[n_allowed++] = m;
		pkts[n++] = m;
	}
	struct sl_ipstack_worker ip = {.st = &st, .pool = pool};
	struct sl_acl_worker w = {.worker = 0, .ip = &ip};
	uint16_t keep = sl_acl_burst(acl, &w, pkts, n, replies, &n_replies, 0);
	if (keep != n_allowed || n_replies != 0 || memcmp(pkts, allowed, sizeof(*pkts) * keep) != 0)
		abort();
	for (uint16_t i = 0; i < keep; i++)
		rte_pktmbuf_free(pkts[i]);
	sl_acl_free(acl);
	if (rte_mempool_avail_count(pool) != 255)
		abort();
	return 0;
}

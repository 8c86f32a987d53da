/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What prefix sets cost: memory per size (measured from the allocator),
 * the time to fill a set, one change (an add or a delete: applied and
 * journaled with its fdatasync, then applied alone), a bulk lookup per
 * address, and the acl stage with a rule that names a set next to the same
 * stage with a prefix rule.
 *
 *   perf_prefixset <EAL args> -- [--json]
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "../fuzz/acl_gen.h"
#include "perf_common.h"
#include "sl_acl.h"
#include "sl_prefixset.h"

#define BURST 32
#define ROUNDS 2000

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t rnd(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* How a profile's prefixes are drawn. */
enum shape { V4_NETS, V4_HOSTS_CLUSTERED, V4_HOSTS_SCATTERED, V6_48_CLUSTERED, V6_64_SCATTERED };

struct profile {
	const char *name;
	enum shape shape;
	uint32_t n, groups;
};

static const struct profile profiles[] = {
	{"1M IPv4 /16../24", V4_NETS, 1000000, 256},
	{"1M IPv4 /32, 16 per /24", V4_HOSTS_CLUSTERED, 1000000, 65536},
	{"100k IPv4 /32 scattered", V4_HOSTS_SCATTERED, 100000, 100000},
	{"100k IPv6 /48 in 1k /32s", V6_48_CLUSTERED, 100000, 200000},
	{"100k IPv6 /64 scattered", V6_64_SCATTERED, 100000, 600000},
};

static void draw(enum shape shape, uint32_t i, struct sl_pset_entry *e)
{
	memset(e, 0, sizeof(*e));
	uint32_t r = rnd(), q = rnd();
	switch (shape) {
	case V4_NETS:
		e->af = SL_AF_INET;
		e->len = (uint8_t)(16 + r % 9);
		e->addr[0] = (uint8_t)(1 + q % 223), e->addr[1] = (uint8_t)(q >> 8);
		e->addr[2] = e->len > 16 ? (uint8_t)(r >> 8) & (uint8_t)(0xff00u >> (e->len - 16)) : 0;
		break;
	case V4_HOSTS_CLUSTERED:
		e->af = SL_AF_INET;
		e->len = 32;
		e->addr[0] = (uint8_t)(1 + (i / 16) % 223), e->addr[1] = (uint8_t)(i / 16 / 223);
		e->addr[2] = (uint8_t)(i / 16 * 7), e->addr[3] = (uint8_t)(i % 16 * 13 + 1);
		break;
	case V4_HOSTS_SCATTERED:
		e->af = SL_AF_INET;
		e->len = 32;
		memcpy(e->addr, &r, 4);
		e->addr[0] = (uint8_t)(1 + e->addr[0] % 223);
		break;
	case V6_48_CLUSTERED:
		e->af = SL_AF_INET6;
		e->len = 48;
		e->addr[0] = 0x2a, e->addr[1] = 0x01;
		e->addr[2] = (uint8_t)(r % 1000 >> 8), e->addr[3] = (uint8_t)(r % 1000);
		e->addr[4] = (uint8_t)q, e->addr[5] = (uint8_t)(q >> 8);
		break;
	case V6_64_SCATTERED:
		e->af = SL_AF_INET6;
		e->len = 64;
		e->addr[0] = 0x20 | (uint8_t)(r & 0x0f);
		for (unsigned k = 1; k < 8; k++)
			e->addr[k] = (uint8_t)(k < 4 ? r >> (8 * k) : q >> (8 * (k - 4)));
		break;
	}
}

static struct rte_mempool *pool;
static struct sl_lcore_stats st;

/* The acl stage with one deny rule over a set of @p s (or over a prefix):
 * median cycles per packet for bursts of the generator's packets. */
static double acl_cycles(struct sl_pset *s, bool by_set, uint64_t stamp)
{
	struct sl_config *cfg = calloc(1, sizeof(*cfg));
	cfg->n_ports = 3;
	cfg->n_sets = 1;
	snprintf(cfg->sets[0].name, sizeof(cfg->sets[0].name), "perf");
	cfg->acl.enabled = true;
	cfg->acl.n_rules = 1;
	cfg->acl.rules = calloc(1, sizeof(*cfg->acl.rules));
	struct sl_config_acl_rule *r = &cfg->acl.rules[0];
	r->in_port = r->zone = r->dscp = -1;
	r->proto = -1;
	r->sport_hi = r->dport_hi = 65535;
	r->src_set = r->dst_set = -1;
	r->action = SL_ACL_DENY;
	if (by_set) {
		r->src_set = 0;
	} else {
		r->af = SL_AF_INET;
		r->has_src = true;
		sl_parse_prefix("172.16.0.0/12", &r->src);
	}
	char err[256];
	bool failed;
	struct sl_acl *acl = sl_acl_build(cfg, &s, 1, SOCKET_ID_ANY, &failed, err, sizeof(err));
	if (acl == NULL) {
		fprintf(stderr, "perf_prefixset: %s\n", err);
		exit(1);
	}
	struct sl_ipstack_worker ip = {.st = &st, .pool = pool};
	struct sl_acl_worker w = {.worker = 0, .ip = &ip};
	struct acl_src gen = {.rng = 0x77};
	static uint64_t v[ROUNDS];
	for (unsigned b = 0; b < ROUNDS; b++) {
		struct rte_mbuf *burst[BURST], *answers[BURST];
		for (unsigned i = 0; i < BURST; i++)
			while ((burst[i] = acl_gen_packet(&gen, pool, 3, &st)) == NULL)
				;
		uint16_t na;
		uint64_t t0 = rte_rdtsc_precise();
		uint16_t keep = sl_acl_burst(acl, &w, burst, BURST, answers, &na, 0);
		uint64_t t1 = rte_rdtsc_precise();
		v[b] = t1 - t0 - stamp;
		for (uint16_t i = 0; i < keep; i++)
			rte_pktmbuf_free(burst[i]);
	}
	sl_acl_free(acl);
	free(cfg->acl.rules);
	free(cfg);
	return (double)perf_median(v, ROUNDS) / BURST;
}

int main(int argc, char **argv)
{
	int n = rte_eal_init(argc, argv);
	if (n < 0)
		return 1;
	argc -= n;
	argv += n;
	bool json = argc > 1 && strcmp(argv[1], "--json") == 0;
	pool = rte_pktmbuf_pool_create("perf_pset", 4096, 0, SL_PKT_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	struct rte_rcu_qsbr *qsv = rte_zmalloc("qsv", rte_rcu_qsbr_get_memsize(1), 64);
	if (pool == NULL || qsv == NULL || rte_rcu_qsbr_init(qsv, 1) != 0)
		return 1;
	uint64_t stamp = perf_stamp_cost(), hz = rte_get_tsc_hz();
	char dir[] = "/tmp/perf_pset_XXXXXX", path[64], err[256];
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/perf.set", dir);
	if (json)
		printf("{\"sets\": [");
	else
		printf("%-26s %9s %11s %11s %9s %10s %9s %11s\n", "set", "entries", "tables MiB",
		       "index MiB", "fill s", "change us", "apply us", "lookup cyc");
	for (unsigned p = 0; p < RTE_DIM(profiles); p++) {
		const struct profile *pr = &profiles[p];
		bool v6 = pr->shape >= V6_48_CLUSTERED;
		struct sl_config_set c = {.max_ipv4 = v6 ? 0 : pr->n + 1024, .max_ipv6 = v6 ? pr->n + 1024 : 0,
					  .ipv4_groups = v6 ? 0 : pr->groups,
					  .ipv6_groups = v6 ? pr->groups : 0};
		snprintf(c.name, sizeof(c.name), "perf");
		struct sl_pset *s = sl_pset_create(&c, qsv, SOCKET_ID_ANY, err, sizeof(err));
		if (s == NULL) {
			fprintf(stderr, "perf_prefixset: %s\n", err);
			return 1;
		}
		struct sl_pset_entry *e = malloc(pr->n * sizeof(*e));
		for (uint32_t i = 0; i < pr->n; i++)
			draw(pr->shape, i, &e[i]);
		unlink(path);
		sl_pset_attach(s, path, err, sizeof(err));
		struct sl_pset_outcome out;
		uint64_t t0 = rte_rdtsc();
		if (sl_pset_change(s, e, pr->n, NULL, 0, false, &out, err, sizeof(err)) != 0) {
			fprintf(stderr, "perf_prefixset: %s: %s\n", pr->name, err);
			return 1;
		}
		double fill_s = (double)(rte_rdtsc() - t0) / (double)hz;
		/* One change: an entry added, then deleted, each applied and
		 * journaled (synced); then the same without the journal. */
		static uint64_t ch[200];
		double change_us[2];
		for (unsigned pass = 0; pass < 2; pass++) {
			if (pass == 1) {
				fclose(s->journal);
				s->journal = NULL;
			}
			for (unsigned k = 0; k < 200; k++) {
				struct sl_pset_entry one;
				draw(pr->shape, pr->n + k, &one);
				uint64_t a = rte_rdtsc();
				if (sl_pset_change(s, &one, 1, NULL, 0, false, &out, err, sizeof(err)) != 0 ||
				    sl_pset_change(s, NULL, 0, &one, 1, false, &out, err, sizeof(err)) != 0) {
					fprintf(stderr, "perf_prefixset: %s: %s\n", pr->name, err);
					return 1;
				}
				ch[k] = (rte_rdtsc() - a) / 2;
			}
			change_us[pass] = (double)perf_median(ch, 200) * 1e6 / (double)hz;
		}
		/* Bulk lookups of 32: half the addresses inside entries. */
		static uint64_t lv[ROUNDS];
		uint32_t ip4[BURST], bits[BURST];
		uint8_t ip6[BURST][16];
		for (unsigned b = 0; b < ROUNDS; b++) {
			for (unsigned i = 0; i < BURST; i++) {
				const struct sl_pset_entry *x = &e[rnd() % pr->n];
				uint8_t a[16];
				memcpy(a, x->addr, 16);
				if (i % 2)
					a[rnd() % (v6 ? 8 : 4)] ^= (uint8_t)rnd();
				ip4[i] = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
				memcpy(ip6[i], a, 16);
				bits[i] = 0;
			}
			uint64_t a = rte_rdtsc_precise();
			if (v6)
				sl_pset_lookup6(s, ip6, bits, 1, BURST);
			else
				sl_pset_lookup4(s, ip4, bits, 1, BURST);
			lv[b] = rte_rdtsc_precise() - a - stamp;
		}
		double lookup = (double)perf_median(lv, ROUNDS) / BURST;
		double tables = (double)s->table_bytes / (1 << 20), index = (double)sl_pset_index_bytes(s) / (1 << 20);
		if (json)
			printf("%s{\"set\": \"%s\", \"entries\": %u, \"tables_mib\": %.1f, \"index_mib\": %.1f, "
			       "\"fill_s\": %.2f, \"change_us\": %.1f, \"apply_us\": %.1f, "
			       "\"lookup_cycles\": %.1f}",
			       p ? ", " : "", pr->name, s->n4 + s->n6, tables, index, fill_s, change_us[0],
			       change_us[1], lookup);
		else
			printf("%-26s %9u %11.1f %11.1f %9.2f %10.1f %9.1f %11.1f\n", pr->name,
			       s->n4 + s->n6, tables, index, fill_s, change_us[0], change_us[1], lookup);
		if (p == 2) {
			double with_set = acl_cycles(s, true, stamp), with_prefix = acl_cycles(s, false, stamp);
			if (json)
				printf(", {\"acl_set_rule_cycles\": %.1f, \"acl_prefix_rule_cycles\": %.1f}",
				       with_set, with_prefix);
			else
				printf("acl stage, one rule: src_set (100k) %.1f cyc/pkt, src prefix %.1f cyc/pkt\n",
				       with_set, with_prefix);
		}
		free(e);
		sl_pset_free(s);
	}
	if (json)
		printf("]}\n");
	unlink(path);
	rmdir(dir);
	return 0;
}

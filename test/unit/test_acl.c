/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The acl stage: rte_acl tries against the linear reference matcher on
 * random rules and packets, the stage's decisions and counters, counters
 * carried across compilations, and the TCP reset a reject sends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "../fuzz/acl_gen.h"
#include "sl_acl.h"

#define N_PORTS 3

static struct rte_mempool *pool;
static struct sl_lcore_stats st;

/* Ports 0..2, port 1 in the outside zone; @p n rules from @p s. */
static struct sl_config *random_config(struct acl_src *s, unsigned n)
{
	struct sl_config *cfg = calloc(1, sizeof(*cfg));
	assert_non_null(cfg);
	cfg->n_ports = N_PORTS;
	for (unsigned p = 0; p < N_PORTS; p++) {
		snprintf(cfg->ports[p].name, sizeof(cfg->ports[p].name), "p%u", p);
		cfg->ports[p].zone = p == 1 ? SL_ZONE_OUTSIDE : SL_ZONE_INSIDE;
	}
	cfg->acl.enabled = true;
	cfg->acl.default_action = acl_byte(s) & 1 ? SL_ACL_DENY : SL_ACL_ALLOW;
	cfg->acl.n_rules = n;
	cfg->acl.rules = calloc(n + 1, sizeof(*cfg->acl.rules));
	assert_non_null(cfg->acl.rules);
	for (unsigned i = 0; i < n; i++)
		acl_gen_rule(s, &cfg->acl.rules[i], N_PORTS);
	return cfg;
}

static struct sl_acl *build(const struct sl_config *cfg, unsigned workers)
{
	char err[256];
	bool failed;
	struct sl_acl *acl = sl_acl_build(cfg, NULL, workers, SOCKET_ID_ANY, &failed, err, sizeof(err));
	if (failed)
		fail_msg("%s", err);
	return acl;
}

/* Test 40 random rule sets of 1 to 1000 rules, 2000 random packets each:
 * the tries name the same first matching rule as the linear matcher. */
static void test_tries_agree_with_linear(void **state)
{
	(void)state;
	static const unsigned sizes[] = {1, 3, 20, 200, 1000};
	struct acl_src s = {.rng = 0x9e3779b97f4a7c15ull};
	unsigned matched = 0, total = 0;
	for (unsigned round = 0; round < 40; round++) {
		struct sl_config *cfg = random_config(&s, sizes[round % RTE_DIM(sizes)]);
		struct sl_acl *acl = build(cfg, 1);
		assert_non_null(acl);
		for (unsigned i = 0; i < 2000; i++) {
			struct rte_mbuf *m = acl_gen_packet(&s, pool, N_PORTS, &st);
			assert_non_null(m);
			uint32_t want = sl_acl_match_linear(cfg, NULL, m), got = sl_acl_classify_one(acl, m);
			if (want != got)
				fail_msg("round %u packet %u: linear says rule %u, tries say %u", round,
					 i, want, got);
			matched += want != 0;
			total++;
			rte_pktmbuf_free(m);
		}
		sl_acl_free(acl);
		free(cfg->acl.rules);
		free(cfg);
	}
	/* The generator makes rules and packets meet, and miss. */
	assert_true(matched > total / 10 && matched < total * 9 / 10);
}

/* Test the matcher another stage classifies with (QoS): built from a rule
 * array alone, a burst at a time, it names the linear matcher's rule. */
static void test_matcher_agrees_with_linear(void **state)
{
	(void)state;
	struct acl_src s = {.rng = 0x2545f4914f6cdd1dull};
	char err[256];
	for (unsigned round = 0; round < 10; round++) {
		struct sl_config *cfg = random_config(&s, 1 + round * 37);
		struct sl_acl *acl = sl_acl_matcher_build(cfg->acl.rules, cfg->acl.n_rules, cfg, NULL,
							  SOCKET_ID_ANY, err, sizeof(err));
		if (acl == NULL)
			fail_msg("%s", err);
		for (unsigned b = 0; b < 50; b++) {
			struct rte_mbuf *m[32];
			uint32_t got[32];
			for (unsigned i = 0; i < 32; i++)
				assert_non_null(m[i] = acl_gen_packet(&s, pool, N_PORTS, &st));
			sl_acl_match_burst(acl, m, 32, got);
			for (unsigned i = 0; i < 32; i++) {
				uint32_t want = sl_acl_match_linear(cfg, NULL, m[i]);
				if (want != got[i])
					fail_msg("round %u: linear says rule %u, the matcher %u", round,
						 want, got[i]);
				rte_pktmbuf_free(m[i]);
			}
		}
		sl_acl_free(acl);
		free(cfg->acl.rules);
		free(cfg);
	}
}

/* Two sets of prefixes near the generator's addresses, both families. */
static void random_sets(struct acl_src *s, struct sl_config *cfg, struct sl_pset **sets)
{
	char err[256];
	cfg->n_sets = 2;
	for (unsigned k = 0; k < 2; k++) {
		struct sl_config_set *c = &cfg->sets[k];
		snprintf(c->name, sizeof(c->name), "set%u", k);
		c->max_ipv4 = c->max_ipv6 = 64;
		c->ipv4_groups = 64;
		c->ipv6_groups = 1024;
		sets[k] = sl_pset_create(c, NULL, SOCKET_ID_ANY, err, sizeof(err));
		if (sets[k] == NULL)
			fail_msg("%s", err);
		struct sl_pset_entry e[12];
		for (unsigned i = 0; i < 12; i++)
			acl_set_entry(s, i % 2 ? SL_AF_INET6 : SL_AF_INET, 4, &e[i]);
		struct sl_pset_outcome out;
		assert_int_equal(sl_pset_change(sets[k], e, 12, NULL, 0, false, &out, err,
						sizeof(err)), 0);
	}
	/* A third of the rules name a source set, a third a destination set. */
	for (unsigned i = 0; i < cfg->acl.n_rules; i++) {
		uint8_t b = acl_byte(s);
		cfg->acl.rules[i].src_set = b % 3 == 0 ? (int8_t)(b / 3 % 2) : -1;
		cfg->acl.rules[i].dst_set = b % 3 == 1 ? (int8_t)(b / 3 % 2) : -1;
	}
}

/* Test rules that name sets: the tries and the stage's bulk lookups give
 * the rule the linear matcher finds, scanning the sets' entries. */
static void test_sets_agree_with_linear(void **state)
{
	(void)state;
	struct acl_src s = {.rng = 0x1234567887654321ull};
	unsigned with_set = 0, total = 0;
	for (unsigned round = 0; round < 20; round++) {
		struct sl_config *cfg = random_config(&s, round % 2 ? 30 : 300);
		struct sl_pset *sets[2];
		random_sets(&s, cfg, sets);
		char err[256];
		bool failed;
		struct sl_acl *acl = sl_acl_build(cfg, sets, 1, SOCKET_ID_ANY, &failed, err,
						  sizeof(err));
		if (failed)
			fail_msg("%s", err);
		struct sl_ipstack_worker ip = {.st = &st, .pool = pool};
		struct sl_acl_worker w = {.worker = 0, .ip = &ip};
		uint64_t want[301] = {0};
		for (unsigned b = 0; b < 40; b++) {
			struct rte_mbuf *pkts[32], *replies[32];
			uint16_t n_replies;
			for (unsigned i = 0; i < 32; i++) {
				struct rte_mbuf *m = acl_gen_packet(&s, pool, N_PORTS, &st);
				assert_non_null(m);
				uint32_t r = sl_acl_match_linear(cfg, sets, m);
				uint32_t got = sl_acl_classify_one(acl, m);
				if (r != got)
					fail_msg("round %u: linear says rule %u, tries say %u", round, r,
						 got);
				want[r]++;
				with_set += r != 0 && (cfg->acl.rules[r - 1].src_set >= 0 ||
						       cfg->acl.rules[r - 1].dst_set >= 0);
				total++;
				pkts[i] = m;
			}
			uint16_t keep = sl_acl_burst(acl, &w, pkts, 32, replies, &n_replies, 0);
			for (uint16_t i = 0; i < keep; i++)
				rte_pktmbuf_free(pkts[i]);
			for (uint16_t i = 0; i < n_replies; i++)
				rte_pktmbuf_free(replies[i]);
		}
		/* The bursts counted each packet on the rule the scan found. */
		for (uint32_t r = 0; r <= cfg->acl.n_rules; r++)
			assert_int_equal(sl_acl_rule_total(acl, r).packets, want[r]);
		sl_acl_free(acl);
		sl_pset_free(sets[0]);
		sl_pset_free(sets[1]);
		free(cfg->acl.rules);
		free(cfg);
	}
	/* Rules with sets decided a fair share of the packets. */
	assert_true(with_set > total / 20);
}

/* Test the stage on bursts: what continues is exactly what the first
 * matching rule (or the default) allows, in order; every packet is
 * counted once, on its rule, with its bytes; denials are dropped as
 * acl_deny. */
static void test_burst_decisions_and_counters(void **state)
{
	(void)state;
	struct acl_src s = {.rng = 0x2545f4914f6cdd1dull};
	struct sl_config *cfg = random_config(&s, 100);
	for (unsigned i = 0; i < cfg->acl.n_rules; i++)
		cfg->acl.rules[i].action = cfg->acl.rules[i].action == SL_ACL_REJECT ?
					   SL_ACL_DENY : cfg->acl.rules[i].action;
	struct sl_acl *acl = build(cfg, 2);
	struct sl_ipstack_worker ip = {.st = &st, .pool = pool};
	struct sl_acl_worker w = {.worker = 1, .ip = &ip};
	uint64_t *want_packets = calloc(cfg->acl.n_rules + 1, sizeof(uint64_t));
	uint64_t *want_bytes = calloc(cfg->acl.n_rules + 1, sizeof(uint64_t));
	uint64_t denied = 0, deny_before = st.drops[SL_DROP_ACL_DENY];
	for (unsigned b = 0; b < 100; b++) {
		struct rte_mbuf *pkts[32], *allowed[32], *replies[32];
		uint16_t n = 0, n_allowed = 0, n_replies;
		while (n < 32) {
			struct rte_mbuf *m = acl_gen_packet(&s, pool, N_PORTS, &st);
			assert_non_null(m);
			uint32_t r = sl_acl_match_linear(cfg, NULL, m);
			want_packets[r]++;
			want_bytes[r] += rte_pktmbuf_pkt_len(m);
			uint8_t action = r == 0 ? cfg->acl.default_action : cfg->acl.rules[r - 1].action;
			if (action == SL_ACL_ALLOW)
				allowed[n_allowed++] = m;
			else
				denied++;
			pkts[n++] = m;
		}
		uint16_t keep = sl_acl_burst(acl, &w, pkts, n, replies, &n_replies, 0);
		assert_int_equal(keep, n_allowed);
		assert_int_equal(n_replies, 0);
		assert_memory_equal(pkts, allowed, sizeof(*pkts) * keep);
		for (uint16_t i = 0; i < keep; i++)
			rte_pktmbuf_free(pkts[i]);
	}
	for (uint32_t r = 0; r <= cfg->acl.n_rules; r++) {
		struct sl_acl_counter t = sl_acl_rule_total(acl, r);
		assert_int_equal(t.packets, want_packets[r]);
		assert_int_equal(t.bytes, want_bytes[r]);
		assert_int_equal(acl->count[0][r].packets, 0);   /* worker 1's lines only */
	}
	assert_int_equal(st.drops[SL_DROP_ACL_DENY] - deny_before, denied);
	free(want_packets);
	free(want_bytes);
	sl_acl_free(acl);
	free(cfg->acl.rules);
	free(cfg);
}

static struct sl_config_acl_rule rule(const char *name, int16_t proto, uint16_t dport)
{
	/* Zeroed whole, padding included, as the config parser leaves rules:
	 * an unnamed rule is known by its bytes. */
	struct sl_config_acl_rule r;
	memset(&r, 0, sizeof(r));
	r.in_port = r.zone = r.dscp = -1;
	r.src_set = r.dst_set = -1;
	r.proto = proto;
	r.sport_hi = 65535;
	r.dport_lo = r.dport_hi = dport;
	r.action = SL_ACL_DENY;
	snprintf(r.name, sizeof(r.name), "%s", name);
	return r;
}

/* Test that counts follow rules across a recompilation: a named rule by
 * its name (even changed), an unnamed one by its content (even moved); a
 * new rule starts at zero, the default keeps its count. */
static void test_counters_carried(void **state)
{
	(void)state;
	struct sl_config a = {.n_ports = 1}, b = {.n_ports = 1};
	struct sl_config_acl_rule ra[] = {rule("web", IPPROTO_TCP, 80), rule("", IPPROTO_UDP, 53),
					  rule("", IPPROTO_TCP, 22)};
	struct sl_config_acl_rule rb[] = {rule("", IPPROTO_TCP, 22), rule("", IPPROTO_TCP, 25),
					  rule("web", IPPROTO_TCP, 8080)};
	a.acl = (struct sl_config_acl){.enabled = true, .n_rules = 3, .rules = ra};
	b.acl = (struct sl_config_acl){.enabled = true, .n_rules = 3, .rules = rb};
	struct sl_acl *old = build(&a, 2), *next = build(&b, 2);
	for (uint32_t i = 0; i <= 3; i++) {
		old->count[0][i] = (struct sl_acl_counter){10 * (i + 1), 1000 * (i + 1)};
		old->count[1][i] = (struct sl_acl_counter){1, 100};
	}
	sl_acl_carry(next, old);
	assert_int_equal(sl_acl_rule_total(next, 0).packets, 11);      /* default */
	assert_int_equal(sl_acl_rule_total(next, 1).packets, 41);      /* tcp 22 */
	assert_int_equal(sl_acl_rule_total(next, 1).bytes, 4100);
	assert_int_equal(sl_acl_rule_total(next, 2).packets, 0);       /* tcp 25: new */
	assert_int_equal(sl_acl_rule_total(next, 3).packets, 21);      /* "web" */
	sl_acl_free(old);
	sl_acl_free(next);
}

/* A TCP segment from 10.0.0.1:40000 to 10.0.0.2:80 (IPv6: fd00::1 to fd00::2). */
static struct rte_mbuf *segment(bool v4, uint8_t flags, uint32_t seq, uint32_t ack,
				uint16_t payload)
{
	uint8_t src[16] = {10, 0, 0, 1}, dst[16] = {10, 0, 0, 2};
	if (!v4) {
		memset(src, 0, 16), memset(dst, 0, 16);
		src[0] = dst[0] = 0xfd, src[15] = 1, dst[15] = 2;
	}
	struct sl_ctl_tcp seg = {.af = v4 ? SL_AF_INET : SL_AF_INET6, .src = src, .dst = dst,
				 .sport = 40000, .dport = 80, .seq = seq, .ack = ack,
				 .flags = flags};
	struct rte_mbuf *m = sl_tcp_segment_build(pool, &seg, 2);
	assert_non_null(m);
	if (payload > 0) {
		/* Claim a payload in the lengths, as parse would have found it. */
		assert_non_null(rte_pktmbuf_append(m, payload));
		sl_pkt_meta(m)->ip_len += payload;
	}
	return m;
}

static void check_reset(struct rte_mbuf *r, bool v4, uint8_t flags, uint32_t seq, uint32_t ack)
{
	assert_non_null(r);
	uint8_t *ip = rte_pktmbuf_mtod_offset(r, uint8_t *, 14);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + (v4 ? 20 : 40));
	/* From the segment's destination to its source, ports swapped. */
	if (v4) {
		assert_memory_equal(ip + 12, ((uint8_t[]){10, 0, 0, 2}), 4);
		assert_memory_equal(ip + 16, ((uint8_t[]){10, 0, 0, 1}), 4);
		assert_int_equal(rte_ipv4_cksum((struct rte_ipv4_hdr *)ip), 0);
		assert_int_equal(rte_ipv4_udptcp_cksum_verify((struct rte_ipv4_hdr *)ip, th), 0);
	} else {
		assert_int_equal(ip[8 + 15], 2);
		assert_int_equal(ip[24 + 15], 1);
		assert_int_equal(rte_ipv6_udptcp_cksum_verify((struct rte_ipv6_hdr *)ip, th), 0);
	}
	assert_int_equal(rte_be_to_cpu_16(th->src_port), 80);
	assert_int_equal(rte_be_to_cpu_16(th->dst_port), 40000);
	assert_int_equal(th->tcp_flags, flags);
	assert_int_equal(rte_be_to_cpu_32(th->sent_seq), seq);
	assert_int_equal(rte_be_to_cpu_32(th->recv_ack), ack);
	assert_int_equal(sl_pkt_meta(r)->in_port, 2);
	rte_pktmbuf_free(r);
}

/* Test the reset RFC 9293 prescribes: a SYN (seq 1000) gets RST+ACK
 * acknowledging 1001; a segment with ACK 5000 gets RST with seq 5000; a
 * FIN with 10 bytes and no ACK is acknowledged past both; a reset gets
 * nothing. IPv4 and IPv6, checksums right. */
static void test_reset_answers(void **state)
{
	(void)state;
	for (unsigned v = 0; v < 2; v++) {
		bool v4 = v == 0;
		struct rte_mbuf *m = segment(v4, RTE_TCP_SYN_FLAG, 1000, 0, 0);
		check_reset(sl_tcp_reset_build(pool, m), v4, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, 0,
			    1001);
		rte_pktmbuf_free(m);
		m = segment(v4, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, 7, 5000, 10);
		check_reset(sl_tcp_reset_build(pool, m), v4, RTE_TCP_RST_FLAG, 5000, 0);
		rte_pktmbuf_free(m);
		m = segment(v4, RTE_TCP_FIN_FLAG, 300, 0, 10);
		check_reset(sl_tcp_reset_build(pool, m), v4, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, 0,
			    311);
		rte_pktmbuf_free(m);
		m = segment(v4, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, 1, 2, 0);
		assert_null(sl_tcp_reset_build(pool, m));
		rte_pktmbuf_free(m);
	}
}

int main(void)
{
	char *argv[] = {"test", "--no-huge", "-m", "1024", "--no-pci", "--no-shconf",
			"--no-telemetry", "--log-level=lib.*:error"};
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("acl_test", 255, 0, SL_PKT_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tries_agree_with_linear),
		cmocka_unit_test(test_matcher_agrees_with_linear),
		cmocka_unit_test(test_sets_agree_with_linear),
		cmocka_unit_test(test_burst_decisions_and_counters),
		cmocka_unit_test(test_counters_carried),
		cmocka_unit_test(test_reset_answers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

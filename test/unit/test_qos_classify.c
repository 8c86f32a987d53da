/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The QoS classifier tables: a port's tree compiled from configuration
 * (sl_qos_port_build) and packets through sl_qos_classify. A table of
 * packets, IPv4 and IPv6, gives the leaf each must get: first match in
 * class order and rule order, DSCP, protocols, port ranges, prefixes, the
 * default class; the class's DSCP rewrite with the ECN bits kept and the
 * IPv4 checksum still right; the flow hash by 5-tuple with a seed drawn per
 * build; and the map of a queued packet's leaf into a changed tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "config_fixture.h"
#include "sl_config.h"
#include "sl_pkt.h"
#include "sl_qos.h"

static struct rte_mempool *pool;

/* Leaves in class order: 1 voice, 2 web, 3 office, 4 bulk (the default). */
static const char tree[] =
	"{\"ports\":[{\"name\":\"lan\",\"device\":\"net_null0\"},"
	"{\"name\":\"wan\",\"device\":\"net_null1\"}],"
	"\"qos\":{\"ports\":[{\"port\":\"wan\",\"rate\":\"100Mbit\",\"default\":\"bulk\","
	"\"classes\":["
	"{\"name\":\"voice\",\"rate\":\"10%\",\"ceil\":\"100%\",\"prio\":0,"
	" \"match\":[{\"dscp\":46},{\"proto\":\"udp\",\"dport\":5060}]},"
	"{\"name\":\"web\",\"rate\":\"30%\",\"ceil\":\"100%\",\"prio\":1,\"dscp\":10,"
	" \"match\":[{\"proto\":\"tcp\",\"dport\":443},{\"proto\":\"tcp\",\"dport\":\"8000-8999\"}]},"
	"{\"name\":\"office\",\"rate\":\"30%\",\"ceil\":\"100%\",\"prio\":1,"
	" \"match\":[{\"src\":\"10.1.0.0/16\"},{\"src\":\"2001:db8::/32\"}]},"
	"{\"name\":\"bulk\",\"rate\":\"30%\",\"ceil\":\"100%\",\"prio\":2}]}]}}";

enum { VOICE = 1, WEB, OFFICE, BULK };

struct pkt_case {
	const char *what;
	int ipv;            /* 4 or 6 */
	uint8_t proto;      /* 6, 17 or 1 (ICMP / ICMPv6 58) */
	uint8_t src_last;   /* 10.<src_b>.0.<src_last> or 2001:db8|2001:db9::<src_last> */
	bool office_src;    /* a source in "office"'s prefix */
	uint16_t sport, dport;
	uint8_t tos;        /* IPv4 TOS / IPv6 traffic class */
	uint16_t leaf;
	int new_tos;        /* after the rewrite; -1: unchanged */
};

static const struct pkt_case cases[] = {
	{"EF, any port", 4, 17, 1, false, 1000, 9, 46 << 2, VOICE, -1},
	{"EF with ECT(1): DSCP alone is matched", 4, 17, 1, false, 1000, 9, 46 << 2 | 1, VOICE, -1},
	{"SIP by port", 4, 17, 1, false, 1000, 5060, 0, VOICE, -1},
	{"EF and an office source: voice comes first", 4, 6, 1, true, 1000, 22, 46 << 2, VOICE, -1},
	{"HTTPS from the office: web comes first", 4, 6, 1, true, 1000, 443, 0, WEB, 10 << 2},
	{"HTTPS keeps its ECN bits", 4, 6, 7, false, 1000, 443, 0x02, WEB, 10 << 2 | 0x02},
	{"8000-8999, low end", 4, 6, 1, false, 1000, 8000, 0, WEB, 10 << 2},
	{"8000-8999, high end", 4, 6, 1, false, 1000, 8999, 0, WEB, 10 << 2},
	{"9000 from the office", 4, 6, 1, true, 1000, 9000, 0, OFFICE, -1},
	{"9000 elsewhere", 4, 6, 1, false, 1000, 9000, 0, BULK, -1},
	{"UDP 443 is not web", 4, 17, 1, false, 1000, 443, 0, BULK, -1},
	{"source port 443 is not web", 4, 6, 1, false, 443, 1000, 0, BULK, -1},
	{"ICMP from the office", 4, 1, 1, true, 0, 0, 0, OFFICE, -1},
	{"ICMP elsewhere", 4, 1, 1, false, 0, 0, 0, BULK, -1},
	{"IPv6 EF", 6, 17, 1, false, 1000, 9, 46 << 2, VOICE, -1},
	{"IPv6 EF with CE", 6, 17, 1, false, 1000, 9, 46 << 2 | 3, VOICE, -1},
	{"IPv6 HTTPS, ECN kept", 6, 6, 1, false, 1000, 443, 0x01, WEB, 10 << 2 | 0x01},
	{"IPv6 from the office", 6, 17, 1, true, 1000, 53, 0, OFFICE, -1},
	{"IPv6 elsewhere", 6, 17, 1, false, 1000, 53, 0, BULK, -1},
	{"IPv6 ICMPv6 elsewhere", 6, 58, 1, false, 0, 0, 0, BULK, -1},
};

/* The frame of case @p c, parsed; @p sport_delta varies the flow. */
static struct rte_mbuf *frame(const struct pkt_case *c, uint16_t sport_delta)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	assert_non_null(m);
	uint16_t l3 = c->ipv == 4 ? 20 : 40, l4 = c->proto == 6 ? 20 : 8, len = 14 + l3 + l4 + 8;
	uint8_t *f = (uint8_t *)rte_pktmbuf_append(m, len);
	assert_non_null(f);
	memset(f, 0, len);
	uint8_t *ip = f + 14, *t = ip + l3;
	if (c->ipv == 4) {
		f[12] = 0x08;
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;
		h->version_ihl = 0x45;
		h->type_of_service = c->tos;
		h->total_length = rte_cpu_to_be_16((uint16_t)(len - 14));
		h->time_to_live = 64;
		h->next_proto_id = c->proto;
		h->src_addr = rte_cpu_to_be_32((c->office_src ? 0x0a010000u : 0x0a090000u) | c->src_last);
		h->dst_addr = rte_cpu_to_be_32(0xc6336402u);
		h->hdr_checksum = rte_ipv4_cksum(h);
	} else {
		f[12] = 0x86, f[13] = 0xdd;
		ip[0] = (uint8_t)(0x60 | c->tos >> 4);
		ip[1] = (uint8_t)(c->tos << 4);
		ip[4] = 0, ip[5] = (uint8_t)(l4 + 8);
		ip[6] = c->proto;
		ip[7] = 64;
		const uint8_t src[] = {0x20, 0x01, 0x0d, c->office_src ? 0xb8 : 0xb9};
		memcpy(ip + 8, src, 4);
		ip[23] = c->src_last;
		ip[24] = 0x20, ip[25] = 0x01, ip[26] = 0x0d, ip[27] = 0xb8, ip[39] = 2;
	}
	uint16_t sport = (uint16_t)(c->sport + sport_delta);
	if (c->proto == 6 || c->proto == 17) {
		t[0] = (uint8_t)(sport >> 8), t[1] = (uint8_t)sport;
		t[2] = (uint8_t)(c->dport >> 8), t[3] = (uint8_t)c->dport;
		if (c->proto == 6)
			t[12] = 0x50, t[13] = 0x10;
		else
			t[5] = (uint8_t)(l4 + 8);
	} else {
		t[0] = c->ipv == 4 ? 8 : 128;     /* echo request */
		t[5] = (uint8_t)sport_delta;      /* the identifier: the flow */
	}
	memset(sl_pkt_meta(m), 0, sizeof(struct sl_pkt_meta));
	assert_true(sl_pkt_parse(m));
	return m;
}

static uint8_t tos_of(struct rte_mbuf *m, int ipv)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, 14);
	return ipv == 4 ? ip[1] : (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4);
}

static struct sl_qos_port *build(const struct sl_config *cfg)
{
	char err[256] = "";
	struct sl_qos_port *p = sl_qos_port_build(cfg, 0, NULL, 0, 2000000000ull, SOCKET_ID_ANY,
						  err, sizeof(err));
	if (p == NULL)
		fail_msg("build: %s", err);
	return p;
}

/* Test the table: every packet gets its leaf, alone and in one burst with
 * all the others (the matcher sorts a burst by family), and the rewrite
 * of its class; an IPv4 header's checksum still verifies. */
static void test_leaves_and_rewrite(void **state)
{
	(void)state;
	struct sl_config *cfg = parse_ok(tree);
	struct sl_qos_port *p = build(cfg);
	const unsigned n = RTE_DIM(cases);
	assert_string_equal(p->names[BULK], "bulk");
	assert_int_equal(p->rule_leaf[0], BULK);
	for (int burst = 0; burst < 2; burst++) {
		struct rte_mbuf *m[RTE_DIM(cases)];
		for (unsigned i = 0; i < n; i++)
			m[i] = frame(&cases[i], 0);
		if (burst)
			sl_qos_classify(p, m, (uint16_t)n);
		else
			for (unsigned i = 0; i < n; i++)
				sl_qos_classify(p, &m[i], 1);
		for (unsigned i = 0; i < n; i++) {
			const struct pkt_case *c = &cases[i];
			if (sl_pkt_meta(m[i])->qos_leaf != c->leaf)
				fail_msg("%s: leaf %u, want %u", c->what, sl_pkt_meta(m[i])->qos_leaf,
					 c->leaf);
			uint8_t want = c->new_tos >= 0 ? (uint8_t)c->new_tos : c->tos;
			if (tos_of(m[i], c->ipv) != want)
				fail_msg("%s: TOS %#x, want %#x", c->what, tos_of(m[i], c->ipv), want);
			if (c->ipv == 4) {
				const struct rte_ipv4_hdr *h =
					rte_pktmbuf_mtod_offset(m[i], const struct rte_ipv4_hdr *, 14);
				assert_int_equal(rte_ipv4_cksum(h), 0);   /* over the header with its checksum */
			}
		}
		rte_pktmbuf_free_bulk(m, n);
	}
	sl_qos_port_free(p);
	sl_config_free(cfg);
}

/* Test the flow hash: the same 5-tuple hashes alike; another source port
 * (or ICMP identifier) spreads over the leaf's queues; another build draws
 * another seed, so that a flow's queue cannot be aimed at from outside. */
static void test_flow_hash(void **state)
{
	(void)state;
	struct sl_config *cfg = parse_ok(tree);
	struct sl_qos_port *a = build(cfg), *b = build(cfg);
	assert_int_not_equal(a->perturb, b->perturb);
	for (unsigned i = 0; i < RTE_DIM(cases); i++) {
		uint32_t seen[64];
		unsigned queues = 0;
		for (uint16_t d = 0; d < 64; d++) {
			struct rte_mbuf *m[3] = {frame(&cases[i], d), frame(&cases[i], d),
						 frame(&cases[i], d)};
			sl_qos_classify(a, m, 2);
			sl_qos_classify(b, &m[2], 1);
			assert_int_equal(sl_pkt_meta(m[0])->hash, sl_pkt_meta(m[1])->hash);
			seen[d] = sl_pkt_meta(m[0])->hash & 1023;
			bool fresh = true;
			for (uint16_t j = 0; j < d; j++)
				fresh &= seen[j] != seen[d];
			queues += fresh;
			if (sl_pkt_meta(m[2])->hash == sl_pkt_meta(m[0])->hash)
				fail_msg("%s: two builds hash alike", cases[i].what);
			rte_pktmbuf_free_bulk(m, 3);
		}
		/* 64 flows into 1 024 queues: a few collide, not many. */
		if (queues < 56)
			fail_msg("%s: 64 flows in %u queues", cases[i].what, queues);
	}
	sl_qos_port_free(a);
	sl_qos_port_free(b);
	sl_config_free(cfg);
}

/* Test a live change's map of queued packets: a leaf keeps its class by
 * name; a class that went away, or became a parent, sends its packets to
 * the new default. */
static void test_map_leaf(void **state)
{
	(void)state;
	struct sl_config *cfg = parse_ok(tree);
	struct sl_qos_port *old = build(cfg);
	static const char changed[] =
		"{\"ports\":[{\"name\":\"lan\",\"device\":\"net_null0\"},"
		"{\"name\":\"wan\",\"device\":\"net_null1\"}],"
		"\"qos\":{\"ports\":[{\"port\":\"wan\",\"rate\":\"100Mbit\",\"default\":\"rest\","
		"\"classes\":["
		"{\"name\":\"rest\",\"rate\":\"20%\",\"ceil\":\"100%\",\"prio\":2},"
		"{\"name\":\"voice\",\"rate\":\"20%\",\"ceil\":\"100%\",\"prio\":0},"
		"{\"name\":\"sip\",\"parent\":\"voice\",\"rate\":\"10%\",\"ceil\":\"100%\"},"
		"{\"name\":\"office\",\"rate\":\"30%\",\"ceil\":\"100%\",\"prio\":1},"
		"{\"name\":\"bulk\",\"rate\":\"30%\",\"ceil\":\"100%\",\"prio\":2}]}]}}";
	struct sl_config *cfg2 = parse_ok(changed);
	struct sl_qos_port *next = build(cfg2);
	const uint16_t rest = 1, office = 4, bulk = 5;
	assert_string_equal(next->names[office], "office");
	assert_int_equal(sl_qos_port_map_leaf(old, OFFICE, next), office);
	assert_int_equal(sl_qos_port_map_leaf(old, BULK, next), bulk);
	assert_int_equal(sl_qos_port_map_leaf(old, WEB, next), rest);    /* gone */
	assert_int_equal(sl_qos_port_map_leaf(old, VOICE, next), rest);  /* now a parent */
	assert_false(sl_qos_port_same_tree(old, next));
	struct sl_qos_port *again = build(cfg);
	assert_true(sl_qos_port_same_tree(old, again));
	sl_qos_port_free(again);
	sl_qos_port_free(next);
	sl_qos_port_free(old);
	sl_config_free(cfg2);
	sl_config_free(cfg);
}

int main(void)
{
	char *argv[] = {"test", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			"--no-telemetry", "--log-level=lib.*:error"};
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("qos_classify", 1023, 0, SL_PKT_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaves_and_rewrite),
		cmocka_unit_test(test_flow_hash),
		cmocka_unit_test(test_map_leaf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

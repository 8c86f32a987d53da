/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the parse stage (lib/pkt) on bursts, and on random mutations of
 * valid packets.
 *
 * Principles: a burst keeps the passed packets in order ahead of the
 * rejected ones and counts each rejection under its reason; a mutated
 * packet never crashes the parser, and whatever it decides agrees with the
 * independent checker in test/fuzz/pkt_check.h. The random sequence is
 * seeded, so every run checks the same cases.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_mbuf.h>

#include "../fuzz/pkt_check.h"
#include "pkt_fixture.h"
#include "pkt_priv.h"

/* ---- bursts ------------------------------------------------------------ */

/* A packet that passes (kind 0) or fails with a chosen reason. */
static struct rte_mbuf *mk_kind(unsigned kind, uint16_t tag)
{
	struct pkt p;
	struct rte_mbuf *m;

	v4_udp(&p, 0, 4);
	wr16(&p, p.l4, tag); /* source port: tells packets apart */
	switch (kind) {
	case 1: p.len = 10; break;             /* ETH_TRUNCATED */
	case 2: p.b[p.l3 + 11] ^= 1; break;    /* IPV4_BAD_CHECKSUM */
	case 3: wr16(&p, p.l4 + 4, 9); break;  /* UDP_BAD_LENGTH */
	case 4: wr16(&p, 12, 0x88a8); break;   /* VLAN_STACKED */
	default: break;
	}
	m = mk_pool(&p);
	return m;
}

/* Parse a burst as if it came in on port 3; rx counters go to rx_st. */
static struct sl_lcore_stats rx_st;

static uint16_t parse_burst(struct rte_mbuf **pkts, uint16_t n)
{
	const struct sl_pkt_parse_ctx ctx = {.st = &rx_st, .in_port = 3};

	return sl_pkt_parse_burst(&ctx, pkts, n, 0);
}

static const enum sl_drop_reason kind_reason[] = {
	PASSES, SL_DROP_ETH_TRUNCATED, SL_DROP_IPV4_BAD_CHECKSUM, SL_DROP_UDP_BAD_LENGTH,
	SL_DROP_VLAN_STACKED,
};

static void assert_stats(const struct sl_lcore_stats *st, const uint64_t *drops)
{
	struct sl_lcore_stats want;

	memset(&want, 0, sizeof(want));
	memcpy(want.drops, drops, sizeof(want.drops));
	for (unsigned r = 0; r < SL_DROP_MAX; r++)
		if (st->drops[r] != want.drops[r])
			fail_msg("drops[%s] = %" PRIu64 ", expected %" PRIu64,
				 sl_drop_reason_label(r), st->drops[r], want.drops[r]);
	assert_memory_equal(st, &want, sizeof(want));
}

static void test_burst_mixed(void **state)
{
	static const unsigned kinds[10] = {0, 1, 0, 0, 2, 3, 0, 1, 0, 4};
	static const unsigned order[10] = {0, 2, 3, 6, 8, 1, 4, 5, 7, 9};
	struct rte_mbuf *in[10], *pkts[10];
	struct sl_lcore_stats st;
	uint64_t drops[SL_DROP_MAX] = {0};

	(void)state;
	uint64_t bytes = 0;
	for (unsigned i = 0; i < 10; i++) {
		in[i] = pkts[i] = mk_kind(kinds[i], (uint16_t)i);
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
	}
	memset(&rx_st, 0, sizeof(rx_st));
	assert_int_equal(parse_burst(pkts, 10), 5);
	/* Every packet is counted as received, on its port, at its length on arrival. */
	assert_int_equal(rx_st.port[3].rx_packets, 10);
	assert_int_equal(rx_st.port[3].rx_bytes, bytes);
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(sl_pkt_meta(pkts[i])->in_port, 3);
	for (unsigned i = 0; i < 10; i++)
		assert_ptr_equal(pkts[i], in[order[i]]);
	for (unsigned i = 5; i < 10; i++)
		assert_int_equal(sl_pkt_meta(pkts[i])->drop_reason, kind_reason[kinds[order[i]]]);
	memset(&st, 0, sizeof(st));
	sl_pkt_drop_rejects(&st, pkts + 5, 5);
	drops[SL_DROP_ETH_TRUNCATED] = 2;
	drops[SL_DROP_IPV4_BAD_CHECKSUM] = 1;
	drops[SL_DROP_UDP_BAD_LENGTH] = 1;
	drops[SL_DROP_VLAN_STACKED] = 1;
	assert_stats(&st, drops);
	rte_pktmbuf_free_bulk(pkts, 5);

	assert_int_equal(parse_burst(pkts, 0), 0);
	for (unsigned i = 0; i < 3; i++) /* all pass: nothing moves */
		in[i] = pkts[i] = mk_kind(0, (uint16_t)i);
	assert_int_equal(parse_burst(pkts, 3), 3);
	assert_memory_equal(pkts, in, 3 * sizeof(pkts[0]));
	rte_pktmbuf_free_bulk(pkts, 3);
	for (unsigned i = 0; i < 3; i++) /* all fail: nothing moves */
		in[i] = pkts[i] = mk_kind(1 + i, (uint16_t)i);
	assert_int_equal(parse_burst(pkts, 3), 0);
	assert_memory_equal(pkts, in, 3 * sizeof(pkts[0]));
	memset(&st, 0, sizeof(st));
	sl_pkt_drop_rejects(&st, pkts, 3);
	memset(drops, 0, sizeof(drops));
	drops[SL_DROP_ETH_TRUNCATED] = drops[SL_DROP_IPV4_BAD_CHECKSUM] = 1;
	drops[SL_DROP_UDP_BAD_LENGTH] = 1;
	assert_stats(&st, drops);
}

/* Bursts longer than one internal chunk against a naive partition. */
static void test_burst_long(void **state)
{
	enum { N = 300 };
	struct rte_mbuf *in[N], *pkts[N], *ref[N];
	uint64_t drops[SL_DROP_MAX];
	struct sl_lcore_stats st;
	uint32_t rnd = 12345;

	(void)state;
	for (unsigned pattern = 0; pattern < 4; pattern++) {
		unsigned nref = 0, kinds[N];

		memset(drops, 0, sizeof(drops));
		for (unsigned i = 0; i < N; i++) {
			rnd = rnd * 1103515245u + 12345u;
			/* random; 70 rejects then passes; alternating; 128 passes then random */
			kinds[i] = pattern == 0   ? (rnd >> 16) % 5 :
				   pattern == 1   ? (i < 70 ? 2 : 0) :
				   pattern == 2   ? i % 2 :
				   i < 128 ? 0 : (rnd >> 16) % 5;
			in[i] = pkts[i] = mk_kind(kinds[i], (uint16_t)i);
			if (kinds[i] == 0)
				ref[nref++] = in[i];
			else
				drops[kind_reason[kinds[i]]]++;
		}
		for (unsigned i = 0, k = nref; i < N; i++)
			if (kinds[i] != 0)
				ref[k++] = in[i];
		assert_int_equal(parse_burst(pkts, N), nref);
		assert_memory_equal(pkts, ref, sizeof(ref));
		memset(&st, 0, sizeof(st));
		sl_pkt_drop_rejects(&st, pkts + nref, (uint16_t)(N - nref));
		assert_stats(&st, drops);
		rte_pktmbuf_free_bulk(pkts, nref);
	}
}

/* The largest burst the signature allows: one good and one bad packet, repeated. */
static void test_burst_max(void **state)
{
	const unsigned n = UINT16_MAX;
	struct rte_mbuf **pkts = malloc(n * sizeof(*pkts)), *good, *bad;
	struct sl_lcore_stats st;

	(void)state;
	assert_non_null(pkts);
	good = mk_kind(0, 1);
	bad = mk_kind(3, 2);
	for (unsigned i = 0; i < n; i++)
		pkts[i] = i % 2 ? bad : good;
	assert_int_equal(parse_burst(pkts, (uint16_t)n), n / 2 + 1);
	for (unsigned i = 0; i < n; i++)
		assert_ptr_equal(pkts[i], i <= n / 2 ? good : bad);
	memset(&st, 0, sizeof(st));
	rte_mbuf_refcnt_set(bad, 2); /* counted twice below, freed once per count */
	sl_pkt_drop_rejects(&st, pkts + n / 2 + 1, 2);
	assert_int_equal(st.drops[SL_DROP_UDP_BAD_LENGTH], 2);
	rte_pktmbuf_free(good);
	free(pkts);
}

/* ---- randomized: mutations never crash and never break a promise ------ */

static uint64_t rng_state;

static uint32_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static unsigned random_bases(struct pkt *b)
{
	unsigned n = 0;

	v4_tcp(&b[n++], 0, 5, 4);
	v4_tcp(&b[n++], 3, 8, 10);
	v4_udp(&b[n++], 0, 10);
	v4_udp(&b[n++], 0x2000, 10);
	v4_icmp(&b[n++], 8, 8);
	v4_icmp(&b[n++], 3, 8);
	vlan_v4_tcp(&b[n++], 4);
	v6_tcp(&b[n++], 4);
	v6_udp(&b[n++], 10);
	build_base(&b[n++], B_V6_EXT);
	arp(&b[n++]);
	eth(&b[n], mac_bcast, 0x86dd);
	ip6(&b[n], 43);
	ext6(&b[n], 44, 16);
	frag6(&b[n], 51, 0, true);
	ah6(&b[n], 58, 16);
	icmp(&b[n], 128, 9);
	fin(&b[n++]);
	eth(&b[n], mac_us, 0x86dd);
	ip6(&b[n], 44);
	frag6(&b[n], 6, 3, false);
	payload(&b[n], 9);
	fin(&b[n++]);
	return n;
}

/*
 * One random change. rng() is never called twice in one expression, so the
 * sequence of draws, and so every case, is the same with any compiler.
 */
static void mutate(struct pkt *p)
{
	static const uint8_t interesting[] = {0, 1, 4, 5, 6, 8, 17, 43, 44, 50, 51, 58, 59, 60,
					      0x45, 0x4f, 0x60, 0x81, 0x86, 0x88, 0xa8, 0xdd, 0xff};
	static const uint16_t types[] = {0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8};
	unsigned span = p->len, what = rng() % 6, a = rng(), b = rng();

	if (what == 0 || what == 3)
		span = span < 100 ? span : 100; /* the headers, mostly */
	switch (what) {
	case 0:
	case 1:
		if (span)
			p->b[a % span] ^= (uint8_t)(1u << (b % 8));
		break;
	case 2:
		p->len = (uint16_t)(a % (p->len + 1u));
		break;
	case 3:
		if (span)
			p->b[a % span] = interesting[b % sizeof(interesting)];
		break;
	case 4:
		if (p->len >= 18) /* outer or inner ethertype */
			wr16(p, a % 2 ? 12 : 16, types[b % RTE_DIM(types)]);
		break;
	default:
		for (unsigned k = a % 40; k > 0 && p->len < PKT_MAX; k--)
			put8(p, (uint8_t)rng());
		break;
	}
}

/* Make lengths and the IPv4 checksum agree again, where the header is there. */
static void repair(struct pkt *p)
{
	if (p->ipv == 4 && p->len >= p->l3 + 20) {
		if (rng() % 2)
			wr16(p, p->l3 + 2, (uint16_t)(p->len - p->l3));
		if (p->l3 + (p->b[p->l3] & 15u) * 4u <= p->len)
			fix_cksum(p);
	} else if (p->ipv == 6 && p->len >= p->l3 + 40 && rng() % 2) {
		wr16(p, p->l3 + 4, (uint16_t)(p->len - p->l3 - 40));
	}
}

#define BIT(r) (1ull << SL_DROP_##r)
/* Every reason parse can give. */
#define PARSE_REASONS                                                                     \
	(BIT(ETH_TRUNCATED) | BIT(VLAN_STACKED) | BIT(ETHERTYPE_UNSUPPORTED) |            \
	 BIT(ARP_MALFORMED) | BIT(IPV4_TRUNCATED) | BIT(IPV4_BAD_VERSION) |               \
	 BIT(IPV4_BAD_IHL) | BIT(IPV4_BAD_LENGTH) | BIT(IPV4_BAD_CHECKSUM) |              \
	 BIT(IPV6_TRUNCATED) | BIT(IPV6_BAD_VERSION) | BIT(IPV6_BAD_LENGTH) |             \
	 BIT(IPV6_BAD_EXT_HEADER) | BIT(L4_TRUNCATED) | BIT(TCP_BAD_OFFSET) |             \
	 BIT(UDP_BAD_LENGTH))

static void test_random_mutations(void **state)
{
	static struct pkt bases[16];
	unsigned nbases = random_bases(bases), passed = 0, rejected = 0;
	uint64_t reasons = 0;

	(void)state;
	rng_state = 0x9e3779b97f4a7c15ull;
	for (unsigned it = 0; it < 10000; it++) {
		struct pkt p = bases[rng() % nbases];
		uint64_t tsc = (uint64_t)rng() << 32;
		uint16_t port = (uint16_t)rng(), split = 0;
		struct rte_mbuf *m;
		const char *why;
		unsigned r;

		for (unsigned k = 1 + rng() % 4; k > 0; k--)
			mutate(&p);
		if (rng() % 2)
			repair(&p);
		if (p.len > 1 && rng() % 2)
			split = (uint16_t)(1 + rng() % (p.len - 1u));
		m = pkt_check_mbuf(pool, p.b, p.len, split);
		assert_non_null(m);
		prime_meta_with(m, (uint8_t)rng(), tsc, port);
		r = rng() % 20;
		m->ol_flags |= r == 0 ? RTE_MBUF_F_RX_IP_CKSUM_GOOD :
			       r == 1 ? RTE_MBUF_F_RX_IP_CKSUM_BAD :
			       r == 2 ? RTE_MBUF_F_RX_RSS_HASH : 0;
		m->hash.rss = rng();
		if (sl_pkt_parse(m)) {
			passed++;
			why = pkt_check_pass(m, tsc, port, r == 0);
			if (why == NULL && r == 1 && sl_pkt_meta(m)->l3_type == SL_L3_IPV4)
				why = "passed with the NIC's bad-checksum flag";
		} else {
			rejected++;
			reasons |= 1ull << sl_pkt_meta(m)->drop_reason;
			why = pkt_check_reject(m, tsc, port);
		}
		if (why == NULL && !pkt_check_bytes(m, p.b, p.len))
			why = "packet bytes changed";
		if (why != NULL)
			fail_msg("iteration %u (len %u, split %u): %s", it, p.len, split, why);
		rte_pktmbuf_free(m);
	}
	/* The mutations reach deep: both outcomes, and (nearly) every reason. */
	print_message("random: %u passed, %u rejected\n", passed, rejected);
	assert_in_range(passed, 1000, 9000);
	assert_in_range(rejected, 1000, 9000);
	for (unsigned r = 0; r < SL_DROP_MAX; r++)
		if (!!(reasons & (1ull << r)) != !!(PARSE_REASONS & (1ull << r)))
			fail_msg("reason %s: seen %d", sl_drop_reason_label(r), !!(reasons & (1ull << r)));
}

/*
 * The fast path against the general parser, on IPv4 and IPv6 packets
 * mutated at random: same verdict, same drop reason, same meta to the
 * byte, same lengths. Half the packets carry Ethernet padding, which both
 * trim.
 */
static void test_fast_path_agrees(void **state)
{
	static struct pkt bases[16];
	unsigned n = 0, fast_passed = 0;

	(void)state;
	v4_tcp(&bases[n++], 0, 5, 4);
	v4_tcp(&bases[n++], 0, 8, 10);
	v4_tcp(&bases[n++], 1, 5, 0);
	v4_udp(&bases[n++], 0, 10);
	v4_udp(&bases[n++], 0, 0);
	v4_icmp(&bases[n++], 8, 8);
	v4_icmp(&bases[n++], 11, 8);
	v4_udp(&bases[n++], 0x4000, 3); /* DF */
	eth(&bases[n], mac_us, 0x0800); /* ESP: not looked into */
	ip4(&bases[n], 50, 0, 0);
	payload(&bases[n], 24);
	fin(&bases[n++]);
	v6_tcp(&bases[n++], 4);
	v6_udp(&bases[n++], 10);
	eth(&bases[n], mac_us, 0x86dd);
	ip6(&bases[n], 58);
	icmp(&bases[n], 128, 9);
	fin(&bases[n++]);
	eth(&bases[n], mac_us, 0x86dd);
	ip6(&bases[n], 50);
	payload(&bases[n], 24);
	fin(&bases[n++]);
	rng_state = 0x2545f4914f6cdd1dull;
	for (unsigned it = 0; it < 20000; it++) {
		struct pkt p = bases[rng() % n];
		struct rte_mbuf *a, *b;
		uint64_t flags;
		unsigned r;
		bool ok_a, ok_b;

		for (unsigned k = rng() % 3; k > 0; k--)
			mutate(&p);
		if (rng() % 2)
			repair(&p);
		for (unsigned k = rng() % 2 ? rng() % 20 : 0; k > 0 && p.len < PKT_MAX; k--)
			put8(&p, 0); /* padding after the IP packet */
		r = rng() % 8;
		flags = r == 0 ? RTE_MBUF_F_RX_IP_CKSUM_GOOD : r == 1 ? RTE_MBUF_F_RX_IP_CKSUM_BAD :
			r == 2 ? RTE_MBUF_F_RX_RSS_HASH : 0;
		a = pkt_check_mbuf(pool, p.b, p.len, 0);
		b = pkt_check_mbuf(pool, p.b, p.len, 0);
		assert_non_null(a);
		assert_non_null(b);
		prime_meta_with(a, 0x5a, 77, 2);
		prime_meta_with(b, 0x5a, 77, 2);
		a->ol_flags |= flags;
		b->ol_flags |= flags;
		a->hash.rss = b->hash.rss = 0xabcdef;
		ok_a = sl_pkt_parse(a);
		ok_b = sl_pkt_parse_general(b);
		if (ok_a != ok_b)
			fail_msg("iteration %u: fast %d, general %d", it, ok_a, ok_b);
		if (memcmp(sl_pkt_meta(a), sl_pkt_meta(b), sizeof(struct sl_pkt_meta)) != 0)
			fail_msg("iteration %u: meta differs (l3 %u l4 %u reason %u vs %u)", it,
				 sl_pkt_meta(a)->l3_len, sl_pkt_meta(a)->l4_len,
				 sl_pkt_meta(a)->drop_reason, sl_pkt_meta(b)->drop_reason);
		assert_int_equal(a->pkt_len, b->pkt_len);
		assert_int_equal(a->data_len, b->data_len);
		assert_int_equal(a->nb_segs, b->nb_segs);
		fast_passed += ok_a;
		rte_pktmbuf_free(a);
		rte_pktmbuf_free(b);
	}
	/* Mostly the fast path's own cases, and enough of the others. */
	print_message("fast path test: %u of 20000 passed\n", fast_passed);
	assert_in_range(fast_passed, 6000, 18000);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, note_avail, leak_check)
	const struct CMUnitTest tests[] = {
		T(test_burst_mixed),
		T(test_burst_long),
		T(test_burst_max),
		T(test_random_mutations),
		T(test_fast_path_agrees),
	};
#undef T
	return cmocka_run_group_tests_name("pkt_burst", tests, group_setup, group_teardown);
}

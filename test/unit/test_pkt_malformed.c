/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the parse stage (lib/pkt) on malformed packets: a table of
 * single-field corruptions, stacked VLAN tags, truncation at every byte,
 * and packets split over several segments.
 *
 * Principles: every rejection asserts the exact drop reason; a packet cut
 * anywhere is either rejected for the header the cut falls in, or passes
 * with lengths that agree with what is there.
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

#include "pkt_fixture.h"

/* ---- malformed packets ------------------------------------------------- */

enum at { L2, L3, L4 };
enum op { SET8, SET16, XOR8 };

static const struct mcase {
	const char *name;
	enum base base;
	enum at at;
	uint8_t off;
	enum op op;
	uint16_t val;
	bool refix; /* recompute the IPv4 checksum afterwards */
	enum sl_drop_reason want;
} mcases[] = {
	{"outer 802.1ad", B_V4_TCP, L2, 12, SET16, 0x88a8, 0, SL_DROP_VLAN_STACKED},
	{"inner 802.1Q", B_VLAN_V4, L2, 16, SET16, 0x8100, 0, SL_DROP_VLAN_STACKED},
	{"inner 802.1ad", B_VLAN_V4, L2, 16, SET16, 0x88a8, 0, SL_DROP_VLAN_STACKED},
	{"ethertype 0x0801", B_V4_TCP, L2, 12, SET16, 0x0801, 0, SL_DROP_ETHERTYPE_UNSUPPORTED},
	{"ethertype LLDP", B_V4_TCP, L2, 12, SET16, 0x88cc, 0, SL_DROP_ETHERTYPE_UNSUPPORTED},
	{"802.3 length field", B_V4_TCP, L2, 12, SET16, 0x002e, 0, SL_DROP_ETHERTYPE_UNSUPPORTED},
	{"inner MPLS", B_VLAN_V4, L2, 16, SET16, 0x8847, 0, SL_DROP_ETHERTYPE_UNSUPPORTED},
	{"ipv4 labelled ipv6", B_V4_TCP, L2, 12, SET16, 0x86dd, 0, SL_DROP_IPV6_BAD_VERSION},
	{"ipv6 labelled ipv4", B_V6_TCP, L2, 12, SET16, 0x0800, 0, SL_DROP_IPV4_BAD_VERSION},
	{"ipv4 labelled arp", B_V4_TCP, L2, 12, SET16, 0x0806, 0, SL_DROP_ARP_MALFORMED},
	{"arp htype 6", B_ARP, L3, 0, SET16, 6, 0, SL_DROP_ARP_MALFORMED},
	{"arp ptype ipv6", B_ARP, L3, 2, SET16, 0x86dd, 0, SL_DROP_ARP_MALFORMED},
	{"arp hlen 8", B_ARP, L3, 4, SET8, 8, 0, SL_DROP_ARP_MALFORMED},
	{"arp plen 16", B_ARP, L3, 5, SET8, 16, 0, SL_DROP_ARP_MALFORMED},
	{"arp opcode 99", B_ARP, L3, 6, SET16, 99, 0, PASSES},
	{"ipv4 version 6", B_V4_TCP, L3, 0, SET8, 0x65, 1, SL_DROP_IPV4_BAD_VERSION},
	{"ipv4 version 0", B_V4_TCP, L3, 0, SET8, 0x05, 1, SL_DROP_IPV4_BAD_VERSION},
	{"ipv4 ihl 0", B_V4_TCP, L3, 0, SET8, 0x40, 0, SL_DROP_IPV4_BAD_IHL},
	{"ipv4 ihl 4", B_V4_TCP, L3, 0, SET8, 0x44, 0, SL_DROP_IPV4_BAD_IHL},
	{"ipv4 ihl 11 = total length", B_V4_TCP, L3, 0, SET8, 0x4b, 1, SL_DROP_L4_TRUNCATED},
	{"ipv4 ihl 12 past data", B_V4_TCP, L3, 0, SET8, 0x4c, 1, SL_DROP_IPV4_BAD_IHL},
	{"ipv4 ihl 15 past data", B_V4_TCP, L3, 0, SET8, 0x4f, 0, SL_DROP_IPV4_BAD_IHL},
	{"ipv4 total length 0", B_V4_TCP, L3, 2, SET16, 0, 1, SL_DROP_IPV4_BAD_LENGTH},
	{"ipv4 total length 19", B_V4_TCP, L3, 2, SET16, 19, 1, SL_DROP_IPV4_BAD_LENGTH},
	{"ipv4 total length 20", B_V4_TCP, L3, 2, SET16, 20, 1, SL_DROP_L4_TRUNCATED},
	{"ipv4 total length 43", B_V4_TCP, L3, 2, SET16, 43, 1, PASSES},
	{"ipv4 total length 45", B_V4_TCP, L3, 2, SET16, 45, 1, SL_DROP_IPV4_BAD_LENGTH},
	{"ipv4 total length 65535", B_V4_TCP, L3, 2, SET16, 65535, 1, SL_DROP_IPV4_BAD_LENGTH},
	{"ipv4 checksum off by one", B_V4_TCP, L3, 11, XOR8, 1, 0, SL_DROP_IPV4_BAD_CHECKSUM},
	{"ipv4 checksum zero", B_V4_TCP, L3, 10, SET16, 0, 0, SL_DROP_IPV4_BAD_CHECKSUM},
	{"ipv4 ttl changed alone", B_V4_TCP, L3, 8, XOR8, 0x10, 0, SL_DROP_IPV4_BAD_CHECKSUM},
	{"ipv4 address changed alone", B_V4_UDP, L3, 19, XOR8, 0x80, 0, SL_DROP_IPV4_BAD_CHECKSUM},
	{"ipv4 later fragment", B_V4_TCP, L3, 6, SET16, 1, 1, PASSES},
	{"tcp doff 0", B_V4_TCP, L4, 12, SET8, 0x00, 0, SL_DROP_TCP_BAD_OFFSET},
	{"tcp doff 4", B_V4_TCP, L4, 12, SET8, 0x40, 0, SL_DROP_TCP_BAD_OFFSET},
	{"tcp doff 6 = payload", B_V4_TCP, L4, 12, SET8, 0x60, 0, PASSES},
	{"tcp doff 7 past end", B_V4_TCP, L4, 12, SET8, 0x70, 0, SL_DROP_TCP_BAD_OFFSET},
	{"tcp doff 15", B_V4_TCP, L4, 12, SET8, 0xf0, 0, SL_DROP_TCP_BAD_OFFSET},
	{"v6 tcp doff 4", B_V6_TCP, L4, 12, SET8, 0x40, 0, SL_DROP_TCP_BAD_OFFSET},
	{"v6 tcp doff 7", B_V6_TCP, L4, 12, SET8, 0x70, 0, SL_DROP_TCP_BAD_OFFSET},
	{"udp length 0", B_V4_UDP, L4, 4, SET16, 0, 0, SL_DROP_UDP_BAD_LENGTH},
	{"udp length 7", B_V4_UDP, L4, 4, SET16, 7, 0, SL_DROP_UDP_BAD_LENGTH},
	{"udp length 8", B_V4_UDP, L4, 4, SET16, 8, 0, SL_DROP_UDP_BAD_LENGTH},
	{"udp length 17", B_V4_UDP, L4, 4, SET16, 17, 0, SL_DROP_UDP_BAD_LENGTH},
	{"udp length 18", B_V4_UDP, L4, 4, SET16, 18, 0, PASSES},
	{"udp length 19", B_V4_UDP, L4, 4, SET16, 19, 0, SL_DROP_UDP_BAD_LENGTH},
	{"udp length 65535", B_V4_UDP, L4, 4, SET16, 65535, 0, SL_DROP_UDP_BAD_LENGTH},
	{"v6 udp length 17", B_V6_UDP, L4, 4, SET16, 17, 0, SL_DROP_UDP_BAD_LENGTH},
	{"v6 udp length 19", B_V6_UDP, L4, 4, SET16, 19, 0, SL_DROP_UDP_BAD_LENGTH},
	{"icmp echo -> unreachable", B_V4_ICMP, L4, 0, SET8, 3, 0, PASSES},
	{"ipv6 version 4", B_V6_TCP, L3, 0, SET8, 0x40, 0, SL_DROP_IPV6_BAD_VERSION},
	{"ipv6 version 7", B_V6_TCP, L3, 0, SET8, 0x70, 0, SL_DROP_IPV6_BAD_VERSION},
	{"ipv6 payload 0 (jumbogram)", B_V6_TCP, L3, 4, SET16, 0, 0, SL_DROP_IPV6_BAD_LENGTH},
	{"ipv6 payload 19", B_V6_TCP, L3, 4, SET16, 19, 0, SL_DROP_L4_TRUNCATED},
	{"ipv6 payload 20", B_V6_TCP, L3, 4, SET16, 20, 0, PASSES},
	{"ipv6 payload 25", B_V6_TCP, L3, 4, SET16, 25, 0, SL_DROP_IPV6_BAD_LENGTH},
	{"ipv6 payload 65535", B_V6_TCP, L3, 4, SET16, 65535, 0, SL_DROP_IPV6_BAD_LENGTH},
	{"ipv6 hop-by-hop past payload", B_V6_TCP, L3, 6, SET8, 0, 0, SL_DROP_IPV6_BAD_EXT_HEADER},
	{"ipv6 next header ESP", B_V6_TCP, L3, 6, SET8, 50, 0, PASSES},
	{"ipv6 ext within frame, past payload", B_V6_EXT, L3, 4, SET16, 20, 0,
	 SL_DROP_IPV6_BAD_EXT_HEADER},
	{"ipv6 dst opts length 4", B_V6_EXT, L3, 49, SET8, 4, 0, SL_DROP_IPV6_BAD_EXT_HEADER},
	{"ipv6 dst opts length 2 eats tcp", B_V6_EXT, L3, 49, SET8, 2, 0, SL_DROP_L4_TRUNCATED},
	{"ipv6 hop-by-hop length 255", B_V6_EXT, L3, 41, SET8, 255, 0, SL_DROP_IPV6_BAD_EXT_HEADER},
};

static void test_malformed_table(void **state)
{
	(void)state;
	for (unsigned i = 0; i < RTE_DIM(mcases); i++) {
		const struct mcase *c = &mcases[i];
		struct pkt p;
		size_t at;

		build_base(&p, c->base);
		at = (c->at == L2 ? 0 : c->at == L3 ? p.l3 : p.l4) + c->off;
		if (c->op == SET8)
			p.b[at] = (uint8_t)c->val;
		else if (c->op == XOR8)
			p.b[at] ^= (uint8_t)c->val;
		else
			wr16(&p, at, c->val);
		if (c->refix)
			fix_cksum(&p);
		expect(&p, c->want, c->name);
	}
}

static void test_stacked_vlan(void **state)
{
	static const uint16_t tags[][2] = {
		{0x88a8, 0x8100}, {0x8100, 0x8100}, {0x8100, 0x88a8}, {0x88a8, 0x0800},
	};
	struct pkt p;

	(void)state;
	for (unsigned i = 0; i < RTE_DIM(tags); i++) {
		eth(&p, mac_us, tags[i][0]);
		vlan(&p, 10, tags[i][1]);
		vlan(&p, 20, 0x0800);
		ip4(&p, 17, 0, 0);
		udp(&p, 1, 2);
		fin(&p);
		expect(&p, SL_DROP_VLAN_STACKED, "two tags");
	}
	eth(&p, mac_us, 0x88a8); /* an S-tag alone, even cut short */
	expect(&p, SL_DROP_VLAN_STACKED, "bare 802.1ad");
}

/* ---- truncation at every byte ------------------------------------------ */

static void expect_len(const struct pkt *p, uint16_t len, enum sl_drop_reason want,
		       const char *what)
{
	struct pkt q = *p;
	char name[96];

	q.len = len;
	snprintf(name, sizeof(name), "%s cut to %u", what, len);
	expect(&q, want, name);
}

/* Cut @p p to every length in [from, to) and expect @p want. */
static void expect_cuts(const struct pkt *p, uint16_t from, uint16_t to,
			enum sl_drop_reason want, const char *what)
{
	for (uint16_t len = from; len < to; len++)
		expect_len(p, len, want, what);
}

static void test_truncate_headers(void **state)
{
	struct pkt p;

	(void)state;
	v4_tcp(&p, 0, 5, 4);
	assert_int_equal(p.len, 58);
	expect_cuts(&p, 0, 14, SL_DROP_ETH_TRUNCATED, "v4 tcp");
	expect_cuts(&p, 14, 34, SL_DROP_IPV4_TRUNCATED, "v4 tcp");
	expect_cuts(&p, 34, 58, SL_DROP_IPV4_BAD_LENGTH, "v4 tcp");
	expect_len(&p, 58, PASSES, "v4 tcp");

	vlan_v4_tcp(&p, 4);
	expect_cuts(&p, 0, 18, SL_DROP_ETH_TRUNCATED, "vlan v4");
	expect_cuts(&p, 18, 38, SL_DROP_IPV4_TRUNCATED, "vlan v4");
	expect_cuts(&p, 38, 62, SL_DROP_IPV4_BAD_LENGTH, "vlan v4");
	expect_len(&p, 62, PASSES, "vlan v4");

	v4_tcp(&p, 10, 5, 0); /* IHL 15 */
	expect_cuts(&p, 14, 34, SL_DROP_IPV4_TRUNCATED, "v4 options");
	expect_cuts(&p, 34, 74, SL_DROP_IPV4_BAD_IHL, "v4 options");
	expect_cuts(&p, 74, 94, SL_DROP_IPV4_BAD_LENGTH, "v4 options");
	expect_len(&p, 94, PASSES, "v4 options");

	build_base(&p, B_V6_EXT);
	expect_cuts(&p, 0, 14, SL_DROP_ETH_TRUNCATED, "v6");
	expect_cuts(&p, 14, 54, SL_DROP_IPV6_TRUNCATED, "v6");
	expect_cuts(&p, 54, 98, SL_DROP_IPV6_BAD_LENGTH, "v6");
	expect_len(&p, 98, PASSES, "v6");

	arp(&p);
	expect_cuts(&p, 0, 14, SL_DROP_ETH_TRUNCATED, "arp");
	expect_cuts(&p, 14, 42, SL_DROP_ARP_MALFORMED, "arp");
	expect_len(&p, 42, PASSES, "arp");
}

/*
 * Cut @p p (built with fin()) so that @p k bytes follow offset @p at, with
 * the IP length made to agree, and expect @p want for each k in [from, to).
 */
static void expect_consistent_cuts(const struct pkt *p, uint16_t at, uint16_t from, uint16_t to,
				   enum sl_drop_reason want, const char *what)
{
	for (uint16_t k = from; k < to; k++) {
		struct pkt q = *p;
		char name[96];

		cut(&q, (uint16_t)(at + k));
		snprintf(name, sizeof(name), "%s with %u bytes", what, k);
		expect(&q, want, name);
	}
}

static void test_truncate_l4(void **state)
{
	struct pkt p;

	(void)state;
	v4_tcp(&p, 0, 8, 0); /* 32-byte TCP header */
	expect_consistent_cuts(&p, p.l4, 0, 20, SL_DROP_L4_TRUNCATED, "v4 tcp");
	expect_consistent_cuts(&p, p.l4, 20, 32, SL_DROP_TCP_BAD_OFFSET, "v4 tcp");
	expect_consistent_cuts(&p, p.l4, 32, 33, PASSES, "v4 tcp");

	eth(&p, mac_us, 0x86dd);
	ip6(&p, 6);
	tcp(&p, 1, 2, 8);
	fin(&p);
	expect_consistent_cuts(&p, p.l4, 0, 1, SL_DROP_IPV6_BAD_LENGTH, "v6 tcp");
	expect_consistent_cuts(&p, p.l4, 1, 20, SL_DROP_L4_TRUNCATED, "v6 tcp");
	expect_consistent_cuts(&p, p.l4, 20, 32, SL_DROP_TCP_BAD_OFFSET, "v6 tcp");
	expect_consistent_cuts(&p, p.l4, 32, 33, PASSES, "v6 tcp");

	v4_udp(&p, 0, 0);
	expect_consistent_cuts(&p, p.l4, 0, 8, SL_DROP_L4_TRUNCATED, "v4 udp");
	expect_consistent_cuts(&p, p.l4, 8, 9, PASSES, "v4 udp");
	v6_udp(&p, 0);
	expect_consistent_cuts(&p, p.l4, 1, 8, SL_DROP_L4_TRUNCATED, "v6 udp");
	expect_consistent_cuts(&p, p.l4, 8, 9, PASSES, "v6 udp");

	v4_icmp(&p, 8, 0);
	expect_consistent_cuts(&p, p.l4, 0, 8, SL_DROP_L4_TRUNCATED, "icmp echo");
	expect_consistent_cuts(&p, p.l4, 8, 9, PASSES, "icmp echo");
	v4_icmp(&p, 3, 0);
	expect_consistent_cuts(&p, p.l4, 0, 4, SL_DROP_L4_TRUNCATED, "icmp unreachable");
	expect_consistent_cuts(&p, p.l4, 4, 9, PASSES, "icmp unreachable");

	eth(&p, mac_us, 0x86dd);
	ip6(&p, 58);
	icmp(&p, 129, 5);
	fin(&p);
	expect_consistent_cuts(&p, p.l4, 1, 8, SL_DROP_L4_TRUNCATED, "icmpv6 echo");
	expect_consistent_cuts(&p, p.l4, 8, 9, PASSES, "icmpv6 echo");
	p.b[p.l4] = 1; /* destination unreachable */
	expect_consistent_cuts(&p, p.l4, 1, 4, SL_DROP_L4_TRUNCATED, "icmpv6 unreachable");
	expect_consistent_cuts(&p, p.l4, 4, 9, PASSES, "icmpv6 unreachable");
}

static void test_truncate_ext6(void **state)
{
	struct pkt p;

	(void)state;
	build_base(&p, B_V6_EXT); /* HBH 8 + DST 16 + TCP 20 */
	expect_consistent_cuts(&p, 54, 0, 1, SL_DROP_IPV6_BAD_LENGTH, "hbh+dst");
	expect_consistent_cuts(&p, 54, 1, 24, SL_DROP_IPV6_BAD_EXT_HEADER, "hbh+dst");
	expect_consistent_cuts(&p, 54, 24, 44, SL_DROP_L4_TRUNCATED, "hbh+dst");
	expect_consistent_cuts(&p, 54, 44, 45, PASSES, "hbh+dst");

	eth(&p, mac_us, 0x86dd);
	ip6(&p, 51);
	ah6(&p, 17, 16);
	udp(&p, 1, 2);
	fin(&p);
	expect_consistent_cuts(&p, 54, 1, 16, SL_DROP_IPV6_BAD_EXT_HEADER, "ah");
	expect_consistent_cuts(&p, 54, 16, 24, SL_DROP_L4_TRUNCATED, "ah");
	expect_consistent_cuts(&p, 54, 24, 25, PASSES, "ah");

	eth(&p, mac_us, 0x86dd);
	ip6(&p, 44);
	frag6(&p, 17, 0, true);
	udp(&p, 1, 2);
	fin(&p);
	expect_consistent_cuts(&p, 54, 1, 8, SL_DROP_IPV6_BAD_EXT_HEADER, "frag");
	expect_consistent_cuts(&p, 54, 8, 16, SL_DROP_L4_TRUNCATED, "frag");
	expect_consistent_cuts(&p, 54, 16, 17, PASSES, "frag");
}

/* ---- several segments -------------------------------------------------- */

static void expect_segs(const struct pkt *p, const uint16_t *cuts, unsigned ncuts,
			enum sl_drop_reason want, const char *what)
{
	struct rte_mbuf *m = mk_segs(p, cuts, ncuts);

	assert_reason(m, want, what);
	rte_pktmbuf_free(m);
}

static void test_multiseg(void **state)
{
	struct pkt p;
	struct rte_mbuf *m;

	(void)state;
	v4_tcp(&p, 0, 5, 100); /* 154 bytes; headers end at 54 */
	m = mk_segs(&p, (const uint16_t[]){54, 100}, 2);
	assert_pass(m, false);
	assert_int_equal(m->nb_segs, 3);
	assert_int_equal(m->pkt_len, 154);
	assert_int_equal(sl_pkt_meta(m)->l4_len, 20);
	rte_pktmbuf_free(m);
	expect_segs(&p, (const uint16_t[]){53}, 1, SL_DROP_L4_TRUNCATED, "tcp 1 byte short");
	expect_segs(&p, (const uint16_t[]){34}, 1, SL_DROP_L4_TRUNCATED, "tcp in segment 2");
	expect_segs(&p, (const uint16_t[]){33}, 1, SL_DROP_IPV4_TRUNCATED, "ipv4 split");
	expect_segs(&p, (const uint16_t[]){13}, 1, SL_DROP_ETH_TRUNCATED, "ethernet split");

	v4_tcp(&p, 0, 8, 100); /* TCP options in the second segment */
	expect_segs(&p, (const uint16_t[]){54}, 1, SL_DROP_L4_TRUNCATED, "tcp options split");
	v4_tcp(&p, 1, 5, 100); /* IPv4 options in the second segment */
	expect_segs(&p, (const uint16_t[]){34}, 1, SL_DROP_IPV4_BAD_IHL, "ipv4 options split");
	build_base(&p, B_V6_EXT);
	expect_segs(&p, (const uint16_t[]){66}, 1, SL_DROP_IPV6_BAD_EXT_HEADER, "ext split");
	expect_segs(&p, (const uint16_t[]){50}, 1, SL_DROP_IPV6_TRUNCATED, "ipv6 split");
	expect_segs(&p, (const uint16_t[]){78}, 1, SL_DROP_L4_TRUNCATED, "tcp alone in segment 2");
	expect_segs(&p, (const uint16_t[]){98 - 1}, 1, SL_DROP_L4_TRUNCATED, "tcp 1 byte short");
	expect_segs(&p, NULL, 0, PASSES, "one pool segment");
}

/* Padding is trimmed wherever it sits; emptied segments are freed. */
static void test_multiseg_trim(void **state)
{
	static const struct {
		uint16_t cuts[2];
		unsigned ncuts;
		uint16_t nb_segs, last_len; /* after the trim */
	} t[] = {
		{{62}, 1, 1, 62},     /* padding alone in segment 2 */
		{{70}, 1, 1, 62},     /* padding at the end of 1 and all of 2 */
		{{50}, 1, 2, 12},     /* data and padding in segment 2 */
		{{50, 70}, 2, 2, 12}, /* padding across segments 2 and 3 */
		{{62, 70}, 2, 1, 62}, /* segments 2 and 3 all padding */
		{{20, 50}, 2, 3, 12}, /* (rejected: IPv4 header split) */
	};
	struct pkt p;

	(void)state;
	v4_udp(&p, 0, 20); /* 62 bytes */
	fill(&p, 0, 18);
	for (unsigned i = 0; i < RTE_DIM(t); i++) {
		struct rte_mbuf *m = mk_segs(&p, t[i].cuts, t[i].ncuts), *last;

		if (t[i].cuts[0] < 34) {
			assert_reason(m, SL_DROP_IPV4_TRUNCATED, "split header");
			assert_int_equal(m->pkt_len, 80); /* untouched */
			rte_pktmbuf_free(m);
			continue;
		}
		assert_pass(m, false);
		last = rte_pktmbuf_lastseg(m);
		assert_int_equal(m->pkt_len, 62);
		assert_int_equal(m->nb_segs, t[i].nb_segs);
		assert_int_equal(last->data_len, t[i].last_len);
		assert_null(last->next);
		rte_pktmbuf_free(m);
	}
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, note_avail, leak_check)
	const struct CMUnitTest tests[] = {
		T(test_malformed_table),
		T(test_stacked_vlan),
		T(test_truncate_headers),
		T(test_truncate_l4),
		T(test_truncate_ext6),
		T(test_multiseg),
		T(test_multiseg_trim),
	};
#undef T
	return cmocka_run_group_tests_name("pkt_malformed", tests, group_setup, group_teardown);
}

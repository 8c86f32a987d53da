/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the parse stage (lib/pkt) on well-formed packets: every meta
 * field it sets, for IPv4, IPv6 with extension headers, VLAN, ARP, padding,
 * fragments, RSS hashes and checksum offload flags.
 *
 * Principles: every field of the meta is asserted, not only the ones a
 * test is about; every passed packet is also run through the independent
 * checker in test/fuzz/pkt_check.h.
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

/* ---- well-formed packets ----------------------------------------------- */

struct want {
	uint16_t l2_len, l3_len, l4_len, vlan_tci, ether_type;
	uint8_t l3_type, l4_proto, flags;
	uint16_t src_port, dst_port;
	uint32_t ip_len, pkt_len;
};

/* Every meta field, exactly; frees @p m. */
static void check(struct rte_mbuf *m, const struct want *w)
{
	const struct sl_pkt_meta *mt = sl_pkt_meta(m);

	assert_int_equal(mt->rx_tsc, RX_TSC);
	assert_int_equal(mt->in_port, IN_PORT);
	assert_int_equal(mt->out_port, 0);
	assert_int_equal(mt->l2_len, w->l2_len);
	assert_int_equal(mt->l3_len, w->l3_len);
	assert_int_equal(mt->l4_len, w->l4_len);
	assert_int_equal(mt->vlan_tci, w->vlan_tci);
	assert_int_equal(mt->ether_type, w->ether_type);
	assert_int_equal(mt->l3_type, w->l3_type);
	assert_int_equal(mt->l4_proto, w->l4_proto);
	assert_int_equal(mt->flags, w->flags);
	assert_int_equal(mt->drop_reason, 0);
	assert_int_equal(mt->src_port, w->src_port);
	assert_int_equal(mt->dst_port, w->dst_port);
	assert_int_equal(mt->ip_len, w->ip_len);
	assert_int_equal(mt->nh_index, 0);
	assert_int_equal(mt->hash, 0);
	assert_int_equal(m->pkt_len, w->pkt_len);
	assert_ptr_equal(sl_pkt_l4(m), rte_pktmbuf_mtod_offset(m, uint8_t *, w->l2_len + w->l3_len));
	rte_pktmbuf_free(m);
}

#define FF SL_PKT_F_FIRST_FRAG

static void test_ipv4_tcp(void **state)
{
	struct pkt p;

	(void)state;
	v4_tcp(&p, 0, 5, 10);
	check(parse_ok(&p), &(struct want){14, 20, 20, 0, 0x0800, SL_L3_IPV4, 6, FF,
					     40000, 443, 50, 64});
	v4_tcp(&p, 0, 15, 0); /* 40 bytes of TCP options */
	check(parse_ok(&p), &(struct want){14, 20, 60, 0, 0x0800, SL_L3_IPV4, 6, FF,
					     40000, 443, 80, 94});
}

static void test_ipv4_udp_icmp(void **state)
{
	struct pkt p;

	(void)state;
	v4_udp(&p, 0, 10);
	check(parse_ok(&p), &(struct want){14, 20, 8, 0, 0x0800, SL_L3_IPV4, 17, FF,
					     5353, 53, 38, 52});
	v4_icmp(&p, 8, 8); /* echo request: identifier in src_port */
	check(parse_ok(&p), &(struct want){14, 20, 8, 0, 0x0800, SL_L3_IPV4, 1, FF,
					     0x4242, 0, 36, 50});
	v4_icmp(&p, 0, 0); /* echo reply */
	check(parse_ok(&p), &(struct want){14, 20, 8, 0, 0x0800, SL_L3_IPV4, 1, FF,
					     0x4242, 0, 28, 42});
	v4_icmp(&p, 3, 20); /* unreachable: 4-byte header */
	check(parse_ok(&p), &(struct want){14, 20, 4, 0, 0x0800, SL_L3_IPV4, 1, FF,
					     0, 0, 48, 62});
	eth(&p, mac_us, 0x0800); /* time exceeded, exactly 4 bytes */
	ip4(&p, 1, 0, 0);
	put32(&p, 0x0b000000);
	fin(&p);
	check(parse_ok(&p), &(struct want){14, 20, 4, 0, 0x0800, SL_L3_IPV4, 1, FF,
					     0, 0, 24, 38});
}

static void test_ipv4_options(void **state)
{
	struct pkt p;

	(void)state;
	v4_tcp(&p, 1, 5, 0);
	check(parse_ok(&p), &(struct want){14, 24, 20, 0, 0x0800, SL_L3_IPV4, 6,
					     FF | SL_PKT_F_IP_OPTIONS, 40000, 443, 44, 58});
	v4_tcp(&p, 10, 5, 0); /* IHL 15, the largest */
	check(parse_ok(&p), &(struct want){14, 60, 20, 0, 0x0800, SL_L3_IPV4, 6,
					     FF | SL_PKT_F_IP_OPTIONS, 40000, 443, 80, 94});
}

static void test_vlan(void **state)
{
	struct pkt p;

	(void)state;
	vlan_v4_tcp(&p, 4);
	check(parse_ok(&p), &(struct want){18, 20, 20, 0xa07b, 0x0800, SL_L3_IPV4, 6,
					     FF | SL_PKT_F_VLAN, 40000, 443, 44, 62});
	eth(&p, mac_us, 0x8100);
	vlan(&p, 0x0fff, 0x86dd);
	ip6(&p, 17);
	udp(&p, 1, 2);
	fin(&p);
	check(parse_ok(&p), &(struct want){18, 40, 8, 0x0fff, 0x86dd, SL_L3_IPV6, 17,
					     FF | SL_PKT_F_VLAN, 1, 2, 48, 66});
	arp(&p);
	p.b[12] = 0x81, p.b[13] = 0x00;
	memmove(p.b + 18, p.b + 14, 28);
	wr16(&p, 14, 0x0001);
	wr16(&p, 16, 0x0806);
	p.len = 46;
	check(parse_ok(&p), &(struct want){18, 28, 0, 0x0001, 0x0806, SL_L3_ARP, 0,
					     SL_PKT_F_VLAN | SL_PKT_F_L2_BCAST, 0, 0, 0, 46});
}

static void test_padding_trimmed(void **state)
{
	struct pkt p;
	struct rte_mbuf *m;

	(void)state;
	v4_udp(&p, 0, 0); /* 42 bytes, padded to the 60-byte minimum */
	fill(&p, 0, 18);
	m = parse_ok(&p);
	assert_int_equal(m->data_len, 42);
	check(m, &(struct want){14, 20, 8, 0, 0x0800, SL_L3_IPV4, 17, FF, 5353, 53, 28, 42});

	v4_tcp(&p, 0, 5, 0);
	fill(&p, 0xee, 1000); /* trailing junk of any size goes too */
	check(parse_ok(&p), &(struct want){14, 20, 20, 0, 0x0800, SL_L3_IPV4, 6, FF,
					     40000, 443, 40, 54});

	v6_udp(&p, 2);
	fill(&p, 0, 4);
	m = parse_ok(&p);
	assert_int_equal(m->data_len, 64);
	check(m, &(struct want){14, 40, 8, 0, 0x86dd, SL_L3_IPV6, 17, FF, 546, 547, 50, 64});

	arp(&p); /* ARP has no length field: left alone */
	fill(&p, 0, 18);
	check(parse_ok(&p), &(struct want){14, 28, 0, 0, 0x0806, SL_L3_ARP, 0,
					     SL_PKT_F_L2_BCAST, 0, 0, 0, 60});
}

static void test_l2_flags(void **state)
{
	static const struct {
		uint8_t mac[6];
		uint8_t flags;
	} t[] = {
		{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, SL_PKT_F_L2_BCAST},
		{{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}, SL_PKT_F_L2_MCAST},
		{{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}, SL_PKT_F_L2_MCAST},
		{{0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}, SL_PKT_F_L2_MCAST},
		{{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff}, SL_PKT_F_L2_MCAST},
		{{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff}, 0},
		{{0x02, 0x00, 0x00, 0x00, 0x00, 0x99}, 0}, /* another host: not parse's job */
	};
	struct pkt p;

	(void)state;
	for (unsigned i = 0; i < RTE_DIM(t); i++) {
		struct rte_mbuf *m;

		v4_udp(&p, 0, 4);
		memcpy(p.b, t[i].mac, 6);
		m = parse_ok(&p);
		assert_int_equal(sl_pkt_meta(m)->flags, FF | t[i].flags);
		rte_pktmbuf_free(m);
	}
}

static void test_rss_hash(void **state)
{
	struct pkt p;
	struct rte_mbuf *m;

	(void)state;
	v4_udp(&p, 0, 4);
	m = mk(&p);
	m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
	m->hash.rss = 0xdeadbeef;
	assert_true(sl_pkt_parse(m));
	assert_int_equal(sl_pkt_meta(m)->hash, 0xdeadbeef);
	rte_pktmbuf_free(m);
	m = mk(&p);
	m->hash.rss = 0x12345678; /* no flag: not a hash */
	assert_true(sl_pkt_parse(m));
	assert_int_equal(sl_pkt_meta(m)->hash, 0);
	rte_pktmbuf_free(m);
}

static void test_ipv4_fragments(void **state)
{
	const uint8_t frag = SL_PKT_F_FRAGMENT;
	struct pkt p;

	(void)state;
	v4_udp(&p, 0x4000, 10); /* DF only: not a fragment */
	check(parse_ok(&p), &(struct want){14, 20, 8, 0, 0x0800, SL_L3_IPV4, 17, FF,
					     5353, 53, 38, 52});
	v4_udp(&p, 0x2000, 10); /* MF, offset 0: UDP length is the datagram's */
	wr16(&p, p.l4 + 4, 1000);
	check(parse_ok(&p), &(struct want){14, 20, 8, 0, 0x0800, SL_L3_IPV4, 17, FF | frag,
					     5353, 53, 38, 52});
	wr16(&p, p.l4 + 4, 7);
	expect(&p, SL_DROP_UDP_BAD_LENGTH, "first fragment, udp length 7");

	eth(&p, mac_us, 0x0800); /* tiny first fragment: 12 bytes of TCP */
	ip4(&p, 6, 0, 0x2000);
	payload(&p, 12);
	fin(&p);
	expect(&p, SL_DROP_L4_TRUNCATED, "tiny first fragment");

	eth(&p, mac_us, 0x0800); /* later fragment: L4 bytes are not a header */
	ip4(&p, 6, 0, 0x2000 | 185);
	payload(&p, 3);
	fin(&p);
	check(parse_ok(&p), &(struct want){14, 20, 0, 0, 0x0800, SL_L3_IPV4, 6, frag,
					     0, 0, 23, 37});
	wr16(&p, p.l3 + 6, 185); /* last fragment */
	fix_cksum(&p);
	check(parse_ok(&p), &(struct want){14, 20, 0, 0, 0x0800, SL_L3_IPV4, 6, frag,
					     0, 0, 23, 37});
}

static void test_ipv6_basic(void **state)
{
	struct pkt p;

	(void)state;
	v6_tcp(&p, 4);
	check(parse_ok(&p), &(struct want){14, 40, 20, 0, 0x86dd, SL_L3_IPV6, 6, FF,
					     40000, 22, 64, 78});
	v6_udp(&p, 10);
	check(parse_ok(&p), &(struct want){14, 40, 8, 0, 0x86dd, SL_L3_IPV6, 17, FF,
					     546, 547, 58, 72});
	for (uint8_t type = 128; type <= 129; type++) {
		eth(&p, mac_us, 0x86dd);
		ip6(&p, 58);
		icmp(&p, type, 0x0777);
		fin(&p);
		check(parse_ok(&p), &(struct want){14, 40, 8, 0, 0x86dd, SL_L3_IPV6, 58, FF,
						     0x0777, 0, 48, 62});
	}
	eth(&p, mac_mcast, 0x86dd); /* neighbor solicitation: 4-byte header */
	ip6(&p, 58);
	icmp(&p, 135, 0);
	payload(&p, 16);
	fin(&p);
	check(parse_ok(&p), &(struct want){14, 40, 4, 0, 0x86dd, SL_L3_IPV6, 58,
					     FF | SL_PKT_F_L2_MCAST, 0, 0, 64, 78});
}

static void test_ipv6_ext_chain(void **state)
{
	const uint8_t frag = SL_PKT_F_FRAGMENT;
	struct pkt p;

	(void)state;
	eth(&p, mac_us, 0x86dd); /* hop-by-hop, destination options, first fragment */
	ip6(&p, 0);
	ext6(&p, 60, 8);
	ext6(&p, 44, 16);
	frag6(&p, 17, 0, true);
	udp(&p, 1000, 2000);
	payload(&p, 10);
	fin(&p);
	wr16(&p, p.l4 + 4, 500); /* the datagram's length, longer than this fragment */
	check(parse_ok(&p), &(struct want){14, 72, 8, 0, 0x86dd, SL_L3_IPV6, 17, FF | frag,
					     1000, 2000, 90, 104});
	wr16(&p, p.l4 + 4, 7);
	expect(&p, SL_DROP_UDP_BAD_LENGTH, "first fragment, udp length 7");

	eth(&p, mac_us, 0x86dd); /* no fragment header */
	ip6(&p, 0);
	ext6(&p, 60, 8);
	ext6(&p, 6, 16);
	tcp(&p, 5, 6, 5);
	fin(&p);
	check(parse_ok(&p), &(struct want){14, 64, 20, 0, 0x86dd, SL_L3_IPV6, 6, FF,
					     5, 6, 84, 98});

	eth(&p, mac_us, 0x86dd); /* atomic fragment: offset 0, no MF */
	ip6(&p, 44);
	frag6(&p, 17, 0, false);
	udp(&p, 7, 8);
	fin(&p);
	check(parse_ok(&p), &(struct want){14, 48, 8, 0, 0x86dd, SL_L3_IPV6, 17, FF | frag,
					     7, 8, 56, 70});

	eth(&p, mac_us, 0x86dd); /* routing, then AH (4-byte units) */
	ip6(&p, 43);
	ext6(&p, 51, 24);
	ah6(&p, 6, 24);
	tcp(&p, 9, 10, 6);
	fin(&p);
	check(parse_ok(&p), &(struct want){14, 88, 24, 0, 0x86dd, SL_L3_IPV6, 6, FF,
					     9, 10, 112, 126});
}

static void test_ipv6_fragment_later(void **state)
{
	const uint8_t frag = SL_PKT_F_FRAGMENT;
	struct pkt p;

	(void)state;
	eth(&p, mac_us, 0x86dd);
	ip6(&p, 0);
	ext6(&p, 44, 8);
	frag6(&p, 6, 100, true);
	payload(&p, 5);
	fin(&p);
	check(parse_ok(&p), &(struct want){14, 56, 0, 0, 0x86dd, SL_L3_IPV6, 6, frag,
					     0, 0, 61, 75});
	/* The walk stops at a later fragment even if "next header" is an extension. */
	eth(&p, mac_us, 0x86dd);
	ip6(&p, 44);
	frag6(&p, 60, 1, false);
	payload(&p, 3);
	fin(&p);
	check(parse_ok(&p), &(struct want){14, 48, 0, 0, 0x86dd, SL_L3_IPV6, 60, frag,
					     0, 0, 51, 65});
}

static void test_ipv6_esp_none(void **state)
{
	struct pkt p;

	(void)state;
	eth(&p, mac_us, 0x86dd); /* ESP ends the walk; its payload is opaque */
	ip6(&p, 60);
	ext6(&p, 50, 8);
	payload(&p, 16);
	fin(&p);
	check(parse_ok(&p), &(struct want){14, 48, 0, 0, 0x86dd, SL_L3_IPV6, 50, FF,
					     0, 0, 64, 78});
	eth(&p, mac_us, 0x86dd);
	ip6(&p, 50);
	payload(&p, 3);
	fin(&p);
	check(parse_ok(&p), &(struct want){14, 40, 0, 0, 0x86dd, SL_L3_IPV6, 50, FF,
					     0, 0, 43, 57});
	eth(&p, mac_us, 0x86dd); /* No Next Header; bytes after it are ignored */
	ip6(&p, 59);
	payload(&p, 7);
	fin(&p);
	check(parse_ok(&p), &(struct want){14, 40, 0, 0, 0x86dd, SL_L3_IPV6, 59, FF,
					     0, 0, 47, 61});
}

static void ext_n(struct pkt *p, unsigned n)
{
	eth(p, mac_us, 0x86dd);
	ip6(p, 60);
	for (unsigned i = 0; i < n; i++)
		ext6(p, i + 1 < n ? 60 : 17, 8);
	udp(p, 1, 2);
	fin(p);
}

static void test_ipv6_ext_limit(void **state)
{
	struct pkt p;

	(void)state;
	ext_n(&p, SL_PKT_MAX_EXT_HEADERS);
	check(parse_ok(&p), &(struct want){14, 40 + 8 * SL_PKT_MAX_EXT_HEADERS, 8, 0, 0x86dd,
					     SL_L3_IPV6, 17, FF, 1, 2, 112, 126});
	ext_n(&p, SL_PKT_MAX_EXT_HEADERS + 1);
	expect(&p, SL_DROP_IPV6_BAD_EXT_HEADER, "9 extension headers");
	ext_n(&p, 40);
	expect(&p, SL_DROP_IPV6_BAD_EXT_HEADER, "40 extension headers");
}

static void test_arp_and_others(void **state)
{
	struct pkt p;

	(void)state;
	arp(&p);
	check(parse_ok(&p), &(struct want){14, 28, 0, 0, 0x0806, SL_L3_ARP, 0,
					     SL_PKT_F_L2_BCAST, 0, 0, 0, 42});
	eth(&p, mac_us, 0x0800); /* GRE: no L4 validation */
	ip4(&p, 47, 0, 0);
	payload(&p, 2);
	fin(&p);
	check(parse_ok(&p), &(struct want){14, 20, 0, 0, 0x0800, SL_L3_IPV4, 47, FF,
					     0, 0, 22, 36});
	eth(&p, mac_us, 0x86dd);
	ip6(&p, 47);
	payload(&p, 2);
	fin(&p);
	check(parse_ok(&p), &(struct want){14, 40, 0, 0, 0x86dd, SL_L3_IPV6, 47, FF,
					     0, 0, 42, 56});
	/* An ICMP-numbered header is validated whatever the IP version. */
	eth(&p, mac_us, 0x0800);
	ip4(&p, 58, 0, 0);
	put32(&p, 0x01000000);
	fin(&p);
	check(parse_ok(&p), &(struct want){14, 20, 4, 0, 0x0800, SL_L3_IPV4, 58, FF,
					     0, 0, 24, 38});
	eth(&p, mac_us, 0x86dd);
	ip6(&p, 1);
	put16(&p, 0x0800);
	fin(&p);
	expect(&p, SL_DROP_L4_TRUNCATED, "2-byte icmp in ipv6");
}

static void test_cksum_offload(void **state)
{
	static const struct {
		uint64_t flags;
		bool corrupt;
		enum sl_drop_reason want;
	} t[] = {
		{RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN, false, PASSES},
		{RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN, true, SL_DROP_IPV4_BAD_CHECKSUM},
		{RTE_MBUF_F_RX_IP_CKSUM_GOOD, false, PASSES},
		{RTE_MBUF_F_RX_IP_CKSUM_GOOD, true, PASSES}, /* the NIC is trusted */
		{RTE_MBUF_F_RX_IP_CKSUM_BAD, false, SL_DROP_IPV4_BAD_CHECKSUM},
		{RTE_MBUF_F_RX_IP_CKSUM_BAD, true, SL_DROP_IPV4_BAD_CHECKSUM},
		{RTE_MBUF_F_RX_IP_CKSUM_NONE, false, PASSES},
		{RTE_MBUF_F_RX_IP_CKSUM_NONE, true, SL_DROP_IPV4_BAD_CHECKSUM},
	};
	struct pkt p;

	(void)state;
	for (unsigned i = 0; i < RTE_DIM(t); i++) {
		struct rte_mbuf *m;
		bool ok;

		v4_tcp(&p, 2, 5, 4);
		if (t[i].corrupt)
			p.b[p.l3 + 11] ^= 0x01;
		m = mk(&p);
		m->ol_flags |= t[i].flags;
		ok = sl_pkt_parse(m);
		if (t[i].want == PASSES) {
			assert_true(ok);
			assert_null(pkt_check_pass(m, RX_TSC, IN_PORT, t[i].corrupt));
		} else {
			assert_false(ok);
			assert_int_equal(sl_pkt_meta(m)->drop_reason, t[i].want);
		}
		rte_pktmbuf_free(m);
	}
	/* Trusting the checksum does not skip the other checks. */
	v4_tcp(&p, 0, 5, 4);
	wr16(&p, p.l3 + 2, 45);
	{
		struct rte_mbuf *m = mk(&p);

		m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
		assert_reason(m, SL_DROP_IPV4_BAD_LENGTH, "good flag, bad length");
		rte_pktmbuf_free(m);
	}
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, note_avail, leak_check)
	const struct CMUnitTest tests[] = {
		T(test_ipv4_tcp),
		T(test_ipv4_udp_icmp),
		T(test_ipv4_options),
		T(test_vlan),
		T(test_padding_trimmed),
		T(test_l2_flags),
		T(test_rss_hash),
		T(test_ipv4_fragments),
		T(test_ipv6_basic),
		T(test_ipv6_ext_chain),
		T(test_ipv6_fragment_later),
		T(test_ipv6_esp_none),
		T(test_ipv6_ext_limit),
		T(test_arp_and_others),
		T(test_cksum_offload),
	};
#undef T
	return cmocka_run_group_tests_name("pkt_wellformed", tests, group_setup, group_teardown);
}

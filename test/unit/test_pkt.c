/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the parse stage (lib/pkt).
 *
 * Principles: packets are built byte by byte here, not by the code under
 * test; every passed packet is also run through the independent checker in
 * test/fuzz/pkt_check.h; every rejection asserts the exact drop reason.
 * Most packets sit on exact-size heap buffers so a sanitizer build catches
 * any read past the end of a segment.
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

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "../fuzz/pkt_check.h"
#include "sl_pkt.h"

#define RX_TSC 0x1122334455667788ull
#define IN_PORT 3
#define PKT_MAX 1600
#define PASSES SL_DROP_MAX /* "expect it to pass" in case tables */

static struct rte_mempool *pool;

/* ---- packet builder ---------------------------------------------------- */

struct pkt {
	uint8_t b[PKT_MAX];
	uint16_t len; /* bytes */
	uint16_t l3;  /* offset of the IP header */
	uint16_t l4;  /* offset of the L4 header, 0 if none */
	uint8_t ipv;  /* 4, 6 or 0 */
	bool udp;     /* fin() sets the UDP length */
};

static const uint8_t mac_us[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac_peer[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t mac_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t mac_mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};

static void put(struct pkt *p, const void *d, size_t n)
{
	assert_true(p->len + n <= PKT_MAX);
	memcpy(p->b + p->len, d, n);
	p->len = (uint16_t)(p->len + n);
}

static void put8(struct pkt *p, uint8_t v)
{
	put(p, &v, 1);
}

static void put16(struct pkt *p, uint16_t v)
{
	put8(p, (uint8_t)(v >> 8));
	put8(p, (uint8_t)v);
}

static void put32(struct pkt *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p, (uint16_t)v);
}

static void fill(struct pkt *p, uint8_t v, size_t n)
{
	while (n--)
		put8(p, v);
}

static void wr16(struct pkt *p, size_t off, uint16_t v)
{
	p->b[off] = (uint8_t)(v >> 8);
	p->b[off + 1] = (uint8_t)v;
}

static void eth(struct pkt *p, const uint8_t *dst, uint16_t type)
{
	memset(p, 0, sizeof(*p));
	put(p, dst, 6);
	put(p, mac_peer, 6);
	put16(p, type);
}

static void vlan(struct pkt *p, uint16_t tci, uint16_t type)
{
	put16(p, tci);
	put16(p, type);
}

/* IPv4 header; options are NOPs; lengths and checksum come from fin(). */
static void ip4(struct pkt *p, uint8_t proto, unsigned opt_words, uint16_t frag)
{
	p->l3 = p->len;
	p->ipv = 4;
	put8(p, (uint8_t)(0x45 + opt_words));
	put8(p, 0);
	put16(p, 0);          /* total length */
	put16(p, 0x1234);     /* id */
	put16(p, frag);
	put8(p, 64);
	put8(p, proto);
	put16(p, 0);          /* checksum */
	put32(p, 0x0a000001); /* 10.0.0.1 */
	put32(p, 0x0a000002);
	fill(p, 1, opt_words * 4);
}

static void ip6(struct pkt *p, uint8_t nh)
{
	static const uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	static const uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

	p->l3 = p->len;
	p->ipv = 6;
	put32(p, 0x60000000);
	put16(p, 0); /* payload length */
	put8(p, nh);
	put8(p, 64);
	put(p, src, 16);
	put(p, dst, 16);
}

/* Hop-by-hop, routing or destination options header of @p bytes (8k). */
static void ext6(struct pkt *p, uint8_t nh, unsigned bytes)
{
	put8(p, nh);
	put8(p, (uint8_t)(bytes / 8 - 1));
	fill(p, 0, bytes - 2);
}

/* AH of @p bytes (4k, >= 12). */
static void ah6(struct pkt *p, uint8_t nh, unsigned bytes)
{
	put8(p, nh);
	put8(p, (uint8_t)(bytes / 4 - 2));
	fill(p, 0, bytes - 2);
}

static void frag6(struct pkt *p, uint8_t nh, uint16_t off8, bool mf)
{
	put8(p, nh);
	put8(p, 0);
	put16(p, (uint16_t)(off8 << 3 | mf));
	put32(p, 0xabcdef01);
}

static void tcp(struct pkt *p, uint16_t sp, uint16_t dp, unsigned doff)
{
	p->l4 = p->len;
	put16(p, sp);
	put16(p, dp);
	put32(p, 1000);
	put32(p, 0);
	put8(p, (uint8_t)(doff << 4));
	put8(p, 0x02); /* SYN */
	put16(p, 65535);
	put16(p, 0);
	put16(p, 0);
	fill(p, 1, (doff - 5) * 4);
}

static void udp(struct pkt *p, uint16_t sp, uint16_t dp)
{
	p->l4 = p->len;
	p->udp = true;
	put16(p, sp);
	put16(p, dp);
	put16(p, 0);
	put16(p, 0);
}

/* ICMP or ICMPv6: 4 bytes, plus identifier and sequence (8 in all). */
static void icmp(struct pkt *p, uint8_t type, uint16_t id)
{
	p->l4 = p->len;
	put8(p, type);
	put8(p, 0);
	put16(p, 0);
	put16(p, id);
	put16(p, 1);
}

static void payload(struct pkt *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(p, (uint8_t)(i * 7 + 3));
}

static void arp(struct pkt *p)
{
	eth(p, mac_bcast, 0x0806);
	p->l3 = p->len;
	put16(p, 1);
	put16(p, 0x0800);
	put8(p, 6);
	put8(p, 4);
	put16(p, 1); /* request */
	put(p, mac_peer, 6);
	put32(p, 0x0a000002);
	fill(p, 0, 6);
	put32(p, 0x0a000001);
}

static void fix_cksum(struct pkt *p)
{
	unsigned hl = (p->b[p->l3] & 15u) * 4u;

	wr16(p, p->l3 + 10, 0);
	wr16(p, p->l3 + 10, (uint16_t)pc_cksum(p->b + p->l3, hl));
}

/* Set IP (and UDP) lengths to the bytes built so far; fix the checksum. */
static void fin(struct pkt *p)
{
	if (p->udp && p->len >= p->l4 + 8)
		wr16(p, p->l4 + 4, (uint16_t)(p->len - p->l4));
	if (p->ipv == 4) {
		wr16(p, p->l3 + 2, (uint16_t)(p->len - p->l3));
		fix_cksum(p);
	} else if (p->ipv == 6) {
		wr16(p, p->l3 + 4, (uint16_t)(p->len - p->l3 - 40));
	}
}

/* Cut the packet to @p len bytes and make the IP length agree. */
static void cut(struct pkt *p, uint16_t len)
{
	p->len = len;
	fin(p);
}

/* ---- mbufs ------------------------------------------------------------- */

/* Junk in every field parse owns; what the rx path sets. */
static void prime_meta_with(struct rte_mbuf *m, uint8_t junk, uint64_t tsc, uint16_t port)
{
	struct sl_pkt_meta mt;

	memset(&mt, junk, sizeof(mt));
	mt.rx_tsc = tsc;
	mt.in_port = port;
	*sl_pkt_meta(m) = mt;
}

static void prime_meta(struct rte_mbuf *m)
{
	prime_meta_with(m, 0xa5, RX_TSC, IN_PORT);
}

/* Exact-size single-segment packet. */
static struct rte_mbuf *mk(const struct pkt *p)
{
	struct rte_mbuf *m = pkt_check_mbuf(pool, p->b, p->len, 0);

	assert_non_null(m);
	prime_meta(m);
	return m;
}

/* Pool mbufs, split into segments at the ascending offsets @p cuts. */
static struct rte_mbuf *mk_segs(const struct pkt *p, const uint16_t *cuts, unsigned ncuts)
{
	struct rte_mbuf *head = NULL;
	uint16_t from = 0;

	for (unsigned i = 0; i <= ncuts; i++) {
		uint16_t to = i < ncuts ? cuts[i] : p->len;
		struct rte_mbuf *s = rte_pktmbuf_alloc(pool);

		assert_non_null(s);
		memcpy(rte_pktmbuf_append(s, to - from), p->b + from, to - from);
		if (head == NULL)
			head = s;
		else
			assert_int_equal(rte_pktmbuf_chain(head, s), 0);
		from = to;
	}
	prime_meta(head);
	return head;
}

static struct rte_mbuf *mk_pool(const struct pkt *p)
{
	return mk_segs(p, NULL, 0);
}

static void assert_pass(struct rte_mbuf *m, bool cksum_trusted)
{
	const char *why;

	if (!sl_pkt_parse(m))
		fail_msg("rejected: %s", sl_drop_reason_label(sl_pkt_meta(m)->drop_reason));
	why = pkt_check_pass(m, RX_TSC, IN_PORT, cksum_trusted);
	if (why != NULL)
		fail_msg("checker: %s", why);
}

/* Parse a packet that must pass; returns it for field checks. */
static struct rte_mbuf *parse_ok(const struct pkt *p)
{
	struct rte_mbuf *m = mk(p);

	assert_pass(m, false);
	return m;
}

static void assert_reason(struct rte_mbuf *m, enum sl_drop_reason want, const char *what)
{
	bool ok = sl_pkt_parse(m);
	enum sl_drop_reason got = sl_pkt_meta(m)->drop_reason;

	if (want == PASSES) {
		if (!ok)
			fail_msg("%s: rejected %s, expected to pass", what, sl_drop_reason_label(got));
		assert_null(pkt_check_pass(m, RX_TSC, IN_PORT, false));
		return;
	}
	if (ok)
		fail_msg("%s: passed, expected %s", what, sl_drop_reason_label(want));
	if (got != want)
		fail_msg("%s: got %s, expected %s", what, sl_drop_reason_label(got),
			 sl_drop_reason_label(want));
	assert_null(pkt_check_reject(m, RX_TSC, IN_PORT));
}

static void expect(const struct pkt *p, enum sl_drop_reason want, const char *what)
{
	struct rte_mbuf *m = mk(p);

	assert_reason(m, want, what);
	rte_pktmbuf_free(m);
}

/* ---- standard packets -------------------------------------------------- */

static void v4_tcp(struct pkt *p, unsigned opt_words, unsigned doff, size_t data)
{
	eth(p, mac_us, 0x0800);
	ip4(p, 6, opt_words, 0);
	tcp(p, 40000, 443, doff);
	payload(p, data);
	fin(p);
}

static void v4_udp(struct pkt *p, uint16_t frag, size_t data)
{
	eth(p, mac_us, 0x0800);
	ip4(p, 17, 0, frag);
	udp(p, 5353, 53);
	payload(p, data);
	fin(p);
}

static void v4_icmp(struct pkt *p, uint8_t type, size_t data)
{
	eth(p, mac_us, 0x0800);
	ip4(p, 1, 0, 0);
	icmp(p, type, 0x4242);
	payload(p, data);
	fin(p);
}

static void v6_tcp(struct pkt *p, size_t data)
{
	eth(p, mac_us, 0x86dd);
	ip6(p, 6);
	tcp(p, 40000, 22, 5);
	payload(p, data);
	fin(p);
}

static void v6_udp(struct pkt *p, size_t data)
{
	eth(p, mac_us, 0x86dd);
	ip6(p, 17);
	udp(p, 546, 547);
	payload(p, data);
	fin(p);
}

static void vlan_v4_tcp(struct pkt *p, size_t data)
{
	eth(p, mac_us, 0x8100);
	vlan(p, 0xa07b, 0x0800);
	ip4(p, 6, 0, 0);
	tcp(p, 40000, 443, 5);
	payload(p, data);
	fin(p);
}

/* ---- setup ------------------------------------------------------------- */

static int group_setup(void **state)
{
	/*
	 * Not --in-memory: on DPDK 22.11 --no-huge turns on legacy memory,
	 * which --in-memory rejects. --no-shconf keeps parallel runs apart;
	 * --no-telemetry keeps them off each other's socket.
	 */
	char *argv[] = {"test", "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
			"--no-telemetry", "--log-level=lib.*:error"};

	(void)state;
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		return -1;
	/* No per-lcore cache: rte_mempool_avail_count() is then exact. */
	pool = rte_pktmbuf_pool_create("test_pkt", 4095, 0, SL_PKT_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	return pool == NULL ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return 0;
}

static unsigned avail_before;

static int note_avail(void **state)
{
	(void)state;
	avail_before = rte_mempool_avail_count(pool);
	return 0;
}

/* Every mbuf the test allocated went back to the pool. */
static int leak_check(void **state)
{
	(void)state;
	if (rte_mempool_avail_count(pool) == avail_before)
		return 0;
	print_error("%u mbufs not freed\n", avail_before - rte_mempool_avail_count(pool));
	return -1;
}

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

/* ---- malformed packets ------------------------------------------------- */

enum base { B_V4_TCP, B_V4_UDP, B_V4_ICMP, B_V6_TCP, B_V6_UDP, B_VLAN_V4, B_ARP, B_V6_EXT };

/* Sizes, bytes: B_V4_TCP 58 (IP 44, TCP 20 + 4), B_V4_UDP 52 (IP 38, UDP 18),
 * B_V4_ICMP 50 (echo), B_V6_TCP 78 (payload 24), B_V6_UDP 72 (payload 18),
 * B_VLAN_V4 62, B_ARP 42, B_V6_EXT 98 (HBH 8 + DST 16 + TCP 20). */
static void build_base(struct pkt *p, enum base b)
{
	switch (b) {
	case B_V4_TCP: v4_tcp(p, 0, 5, 4); break;
	case B_V4_UDP: v4_udp(p, 0, 10); break;
	case B_V4_ICMP: v4_icmp(p, 8, 8); break;
	case B_V6_TCP: v6_tcp(p, 4); break;
	case B_V6_UDP: v6_udp(p, 10); break;
	case B_VLAN_V4: vlan_v4_tcp(p, 4); break;
	case B_ARP: arp(p); break;
	case B_V6_EXT:
		eth(p, mac_us, 0x86dd);
		ip6(p, 0);
		ext6(p, 60, 8);
		ext6(p, 6, 16);
		tcp(p, 5, 6, 5);
		fin(p);
		break;
	}
}

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
	for (unsigned i = 0; i < 10; i++)
		in[i] = pkts[i] = mk_kind(kinds[i], (uint16_t)i);
	assert_int_equal(sl_pkt_parse_burst(pkts, 10, 0), 5);
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

	assert_int_equal(sl_pkt_parse_burst(pkts, 0, 0), 0);
	for (unsigned i = 0; i < 3; i++) /* all pass: nothing moves */
		in[i] = pkts[i] = mk_kind(0, (uint16_t)i);
	assert_int_equal(sl_pkt_parse_burst(pkts, 3, 0), 3);
	assert_memory_equal(pkts, in, 3 * sizeof(pkts[0]));
	rte_pktmbuf_free_bulk(pkts, 3);
	for (unsigned i = 0; i < 3; i++) /* all fail: nothing moves */
		in[i] = pkts[i] = mk_kind(1 + i, (uint16_t)i);
	assert_int_equal(sl_pkt_parse_burst(pkts, 3, 0), 0);
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
		assert_int_equal(sl_pkt_parse_burst(pkts, N, 0), nref);
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
	assert_int_equal(sl_pkt_parse_burst(pkts, (uint16_t)n, 0), n / 2 + 1);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ipv4_tcp, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_ipv4_udp_icmp, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_ipv4_options, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_vlan, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_padding_trimmed, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_l2_flags, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_rss_hash, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_ipv4_fragments, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_ipv6_basic, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_ipv6_ext_chain, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_ipv6_fragment_later, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_ipv6_esp_none, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_ipv6_ext_limit, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_arp_and_others, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_cksum_offload, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_malformed_table, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_stacked_vlan, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_truncate_headers, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_truncate_l4, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_truncate_ext6, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_multiseg, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_multiseg_trim, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_burst_mixed, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_burst_long, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_burst_max, note_avail, leak_check),
		cmocka_unit_test_setup_teardown(test_random_mutations, note_avail, leak_check),
	};

	return cmocka_run_group_tests_name("pkt", tests, group_setup, group_teardown);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared part of the parse-stage tests: the packet builder, mbufs, the
 * parse assertions and the EAL setup (see pkt_fixture.h).
 *
 * Principles: most packets sit on exact-size heap buffers so a sanitizer
 * build catches any read past the end of a segment; the pool has no
 * per-lcore cache, so its free count is exact.
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
#include "pkt_fixture.h"

struct rte_mempool *pool;

/* ---- packet builder ---------------------------------------------------- */

const uint8_t mac_us[6] = {0x02, 0, 0, 0, 0, 0x01};
const uint8_t mac_peer[6] = {0x02, 0, 0, 0, 0, 0x02};
const uint8_t mac_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
const uint8_t mac_mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};

void put(struct pkt *p, const void *d, size_t n)
{
	assert_true(p->len + n <= PKT_MAX);
	memcpy(p->b + p->len, d, n);
	p->len = (uint16_t)(p->len + n);
}

void put8(struct pkt *p, uint8_t v)
{
	put(p, &v, 1);
}

void put16(struct pkt *p, uint16_t v)
{
	put8(p, (uint8_t)(v >> 8));
	put8(p, (uint8_t)v);
}

void put32(struct pkt *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p, (uint16_t)v);
}

void fill(struct pkt *p, uint8_t v, size_t n)
{
	while (n--)
		put8(p, v);
}

void wr16(struct pkt *p, size_t off, uint16_t v)
{
	p->b[off] = (uint8_t)(v >> 8);
	p->b[off + 1] = (uint8_t)v;
}

void eth(struct pkt *p, const uint8_t *dst, uint16_t type)
{
	memset(p, 0, sizeof(*p));
	put(p, dst, 6);
	put(p, mac_peer, 6);
	put16(p, type);
}

void vlan(struct pkt *p, uint16_t tci, uint16_t type)
{
	put16(p, tci);
	put16(p, type);
}

/* IPv4 header; options are NOPs; lengths and checksum come from fin(). */
void ip4(struct pkt *p, uint8_t proto, unsigned opt_words, uint16_t frag)
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

void ip6(struct pkt *p, uint8_t nh)
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
void ext6(struct pkt *p, uint8_t nh, unsigned bytes)
{
	put8(p, nh);
	put8(p, (uint8_t)(bytes / 8 - 1));
	fill(p, 0, bytes - 2);
}

/* AH of @p bytes (4k, >= 12). */
void ah6(struct pkt *p, uint8_t nh, unsigned bytes)
{
	put8(p, nh);
	put8(p, (uint8_t)(bytes / 4 - 2));
	fill(p, 0, bytes - 2);
}

void frag6(struct pkt *p, uint8_t nh, uint16_t off8, bool mf)
{
	put8(p, nh);
	put8(p, 0);
	put16(p, (uint16_t)(off8 << 3 | mf));
	put32(p, 0xabcdef01);
}

void tcp(struct pkt *p, uint16_t sp, uint16_t dp, unsigned doff)
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

void udp(struct pkt *p, uint16_t sp, uint16_t dp)
{
	p->l4 = p->len;
	p->udp = true;
	put16(p, sp);
	put16(p, dp);
	put16(p, 0);
	put16(p, 0);
}

/* ICMP or ICMPv6: 4 bytes, plus identifier and sequence (8 in all). */
void icmp(struct pkt *p, uint8_t type, uint16_t id)
{
	p->l4 = p->len;
	put8(p, type);
	put8(p, 0);
	put16(p, 0);
	put16(p, id);
	put16(p, 1);
}

void payload(struct pkt *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(p, (uint8_t)(i * 7 + 3));
}

void arp(struct pkt *p)
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

void fix_cksum(struct pkt *p)
{
	unsigned hl = (p->b[p->l3] & 15u) * 4u;

	wr16(p, p->l3 + 10, 0);
	wr16(p, p->l3 + 10, (uint16_t)pc_cksum(p->b + p->l3, hl));
}

/* Set IP (and UDP) lengths to the bytes built so far; fix the checksum. */
void fin(struct pkt *p)
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
void cut(struct pkt *p, uint16_t len)
{
	p->len = len;
	fin(p);
}

/* ---- mbufs ------------------------------------------------------------- */

/* Junk in every field parse owns; what the rx path sets. */
void prime_meta_with(struct rte_mbuf *m, uint8_t junk, uint64_t tsc, uint16_t port)
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
struct rte_mbuf *mk(const struct pkt *p)
{
	struct rte_mbuf *m = pkt_check_mbuf(pool, p->b, p->len, 0);

	assert_non_null(m);
	prime_meta(m);
	return m;
}

/* Pool mbufs, split into segments at the ascending offsets @p cuts. */
struct rte_mbuf *mk_segs(const struct pkt *p, const uint16_t *cuts, unsigned ncuts)
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

struct rte_mbuf *mk_pool(const struct pkt *p)
{
	return mk_segs(p, NULL, 0);
}

void assert_pass(struct rte_mbuf *m, bool cksum_trusted)
{
	const char *why;

	if (!sl_pkt_parse(m))
		fail_msg("rejected: %s", sl_drop_reason_label(sl_pkt_meta(m)->drop_reason));
	why = pkt_check_pass(m, RX_TSC, IN_PORT, cksum_trusted);
	if (why != NULL)
		fail_msg("checker: %s", why);
}

/* Parse a packet that must pass; returns it for field checks. */
struct rte_mbuf *parse_ok(const struct pkt *p)
{
	struct rte_mbuf *m = mk(p);

	assert_pass(m, false);
	return m;
}

void assert_reason(struct rte_mbuf *m, enum sl_drop_reason want, const char *what)
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

void expect(const struct pkt *p, enum sl_drop_reason want, const char *what)
{
	struct rte_mbuf *m = mk(p);

	assert_reason(m, want, what);
	rte_pktmbuf_free(m);
}

/* ---- standard packets -------------------------------------------------- */

void v4_tcp(struct pkt *p, unsigned opt_words, unsigned doff, size_t data)
{
	eth(p, mac_us, 0x0800);
	ip4(p, 6, opt_words, 0);
	tcp(p, 40000, 443, doff);
	payload(p, data);
	fin(p);
}

void v4_udp(struct pkt *p, uint16_t frag, size_t data)
{
	eth(p, mac_us, 0x0800);
	ip4(p, 17, 0, frag);
	udp(p, 5353, 53);
	payload(p, data);
	fin(p);
}

void v4_icmp(struct pkt *p, uint8_t type, size_t data)
{
	eth(p, mac_us, 0x0800);
	ip4(p, 1, 0, 0);
	icmp(p, type, 0x4242);
	payload(p, data);
	fin(p);
}

void v6_tcp(struct pkt *p, size_t data)
{
	eth(p, mac_us, 0x86dd);
	ip6(p, 6);
	tcp(p, 40000, 22, 5);
	payload(p, data);
	fin(p);
}

void v6_udp(struct pkt *p, size_t data)
{
	eth(p, mac_us, 0x86dd);
	ip6(p, 17);
	udp(p, 546, 547);
	payload(p, data);
	fin(p);
}

void vlan_v4_tcp(struct pkt *p, size_t data)
{
	eth(p, mac_us, 0x8100);
	vlan(p, 0xa07b, 0x0800);
	ip4(p, 6, 0, 0);
	tcp(p, 40000, 443, 5);
	payload(p, data);
	fin(p);
}

/* ---- setup ------------------------------------------------------------- */

int group_setup(void **state)
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

int group_teardown(void **state)
{
	(void)state;
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return 0;
}

static unsigned avail_before;

int note_avail(void **state)
{
	(void)state;
	avail_before = rte_mempool_avail_count(pool);
	return 0;
}

/* Every mbuf the test allocated went back to the pool. */
int leak_check(void **state)
{
	(void)state;
	if (rte_mempool_avail_count(pool) == avail_before)
		return 0;
	print_error("%u mbufs not freed\n", avail_before - rte_mempool_avail_count(pool));
	return -1;
}

/* ---- base packets for the malformed cases and the mutations ----------- */

/* Sizes in pkt_fixture.h. */
void build_base(struct pkt *p, enum base b)
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

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of lib/ipstack's worker stages: input (punt and drop), route (local
 * replies, forwarding, ICMP errors and their budget) and neighbor (the L2
 * rewrite).
 *
 * Principles:
 *  - Every frame sluice produces is compared whole against one built here,
 *    and every checksum is checked twice: it verifies, and it equals a full
 *    recomputation.
 *  - Every drop counter is asserted, not only the one expected to move.
 *  - The ICMP budget is checked to the tick on the synthetic clock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "ipstack_fixture.h"

/* ---- worker stages ----------------------------------------------------- */

static void test_input_burst(void **state)
{
	static const uint8_t mc_v4[6] = {0x01, 0x00, 0x5e, 0x01, 0x02, 0x03};
	static const uint8_t mc_ospf[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x05};
	static const uint8_t mc_v6[6] = {0x33, 0x33, 0x00, 0x01, 0x00, 0x02};
	static const uint8_t mc_sn[6] = {0x33, 0x33, 0xff, 0x00, 0x00, 0x01};
	struct frame f[11];
	struct rte_mbuf *pkts[11], *ring_out[4];
	(void)state;

	f_udp4(&f[0], mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 64, 0, 100);        /* keep */
	f_udp4(&f[1], mac_other, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 64, 0, 100);      /* other MAC */
	f_arp(&f[2], mac_bcast, mac_host, 1, mac_host, IP4(10, 1, 0, 7), mac_zero, IP4(10, 1, 0, 1));
	f_nd(&f[3], mc_sn, mac_host, a6("fd00:1::7").b, a6("ff02::1:ff00:1").b, 255, 135, 0,
	     a6("fd00:1::1").b, 1, mac_host);
	f_udp4(&f[4], mc_v4, IP4(10, 1, 0, 7), IP4(239, 1, 2, 3), 64, 0, 100);
	f_udp4(&f[5], mc_ospf, IP4(10, 1, 0, 7), IP4(224, 0, 0, 5), 1, 0, 100);
	f_udp6(&f[6], a6("fe80::7").b, a6("ff02::1:2").b, 1, 100);
	memcpy(f[6].b, mc_v6, 6);
	f_udp6(&f[7], a6("fd00:1::7").b, a6("ff05::1:3").b, 64, 100); /* our MAC, group IP */
	f_udp6(&f[8], a6("fd00:1::7").b, a6("fd00:2::9").b, 64, 100);                 /* keep */
	f_udp4(&f[9], mac_bcast, IP4(10, 1, 0, 7), IP4(255, 255, 255, 255), 64, 0, 100);
	f_udp4(&f[10], mac_lan, IP4(10, 1, 0, 7), IP4(10, 1, 0, 1), 64, 0, 100);       /* keep */
	rx(pkts, f, 11, LAN);
	struct rte_mbuf *keep[3] = {pkts[0], pkts[8], pkts[10]};
	struct rte_mbuf *punted[2] = {pkts[2], pkts[3]};

	assert_int_equal(sl_ipstack_input_burst(&E.w, pkts, 11, 1000), 3);
	assert_memory_equal(pkts, keep, sizeof(keep));
	assert_int_equal(rte_ring_count(E.ring), 2);
	assert_int_equal(rte_ring_dequeue_burst(E.ring, (void **)ring_out, 4, NULL), 2);
	assert_memory_equal(ring_out, punted, sizeof(punted));
	assert_int_equal(wst.punted, 2);
	expect_drops(&wst, DROPS([SL_DROP_L2_OTHER_HOST] = 1, [SL_DROP_MULTICAST] = 3,
				 [SL_DROP_LINK_LOCAL_MULTICAST] = 2));
	free_all(ring_out, 2);
	free_all(pkts, 3);
}

static void test_punt_ring_full(void **state)
{
	struct frame f;
	struct rte_mbuf *pkts[5];
	struct rte_ring *small = rte_ring_create("punt_small", 4, SOCKET_ID_ANY, RING_F_SC_DEQ);
	(void)state;

	assert_non_null(small);
	E.w.punt = small;
	f_arp(&f, mac_bcast, mac_host, 1, mac_host, IP4(10, 1, 0, 7), mac_zero, IP4(10, 1, 0, 1));
	for (unsigned i = 0; i < 5; i++)
		pkts[i] = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_input_burst(&E.w, pkts, 5, 0), 0);
	assert_int_equal(wst.punted, 3); /* a ring of 4 holds 3 */
	expect_drops(&wst, DROPS([SL_DROP_PUNT_RING_FULL] = 2));
	assert_int_equal(rte_ring_dequeue_burst(small, (void **)pkts, 5, NULL), 3);
	free_all(pkts, 3);
	rte_ring_free(small);
}

/* The L2 rewrite towards a neighbor: whole frame, meta updated. */
static void expect_rewritten(struct rte_mbuf *m, const struct frame *ip_frame,
			     const uint8_t *dst, const uint8_t *src)
{
	struct frame want = *ip_frame;
	relink(&want, dst, src);
	expect_bytes(m, &want);
	assert_int_equal(sl_pkt_meta(m)->l2_len, 14);
	assert_int_equal(sl_pkt_meta(m)->flags & SL_PKT_F_VLAN, 0);
}

static void test_echo4(void **state)
{
	struct frame req, rep;
	(void)state;

	f_eth(&req, mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV4);
	f_ip4(&req, IP4(10, 1, 0, 7), IP4(10, 2, 0, 1), IPPROTO_ICMP, 5, 0x4000);
	f_icmp(&req, 8, 0, 0x12340007);
	f_payload(&req, 56);
	f_fin(&req);
	/* What a correct host would answer. */
	f_eth(&rep, mac_host, mac_lan, -1, RTE_ETHER_TYPE_IPV4);
	f_ip4(&rep, IP4(10, 2, 0, 1), IP4(10, 1, 0, 7), IPPROTO_ICMP, 64, 0x4000);
	f_icmp(&rep, 0, 0, 0x12340007);
	f_payload(&rep, 56);
	f_fin(&rep);

	struct rte_mbuf *m = rx1(&req, LAN);
	assert_int_equal(sl_ipstack_input_burst(&E.w, &m, 1, 0), 1);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 1);
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	assert_int_equal(meta->out_port, LAN);
	assert_int_equal(meta->nh_index, sl_ipstack_lookup4(tab_a, IP4(10, 1, 0, 7)));
	struct rte_ipv4_hdr *ip = sl_pkt_ipv4(m);
	assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
	assert_int_equal(rte_raw_cksum(sl_pkt_l4(m), 64), 0xffff);
	assert_memory_equal(ip, rep.b + rep.l3, rep.len - rep.l3);

	neigh_put(LAN, IP4(10, 1, 0, 7), mac_host, SL_NEIGH_REACHABLE);
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, &m, 1, 0), 1);
	expect_bytes(m, &rep);
	expect_drops(&wst, NO_DROPS);
	assert_int_equal(wst.icmp_errors_sent, 0);
	rte_pktmbuf_free(m);
}

static void test_echo6(void **state)
{
	struct frame req, rep;
	uint8_t h[16], u[16];
	(void)state;

	memcpy(h, a6("fd00:1::7").b, 16);
	memcpy(u, a6("fd00:2::1").b, 16);
	f_eth(&req, mac_lan, mac_host, 7, RTE_ETHER_TYPE_IPV6); /* tagged: untagged reply */
	f_ip6(&req, h, u, IPPROTO_ICMPV6, 3);
	f_icmp(&req, 128, 0, 0xbeef0001);
	f_payload(&req, 40);
	f_fin(&req);
	f_eth(&rep, mac_host, mac_lan, -1, RTE_ETHER_TYPE_IPV6);
	f_ip6(&rep, u, h, IPPROTO_ICMPV6, 64);
	f_icmp(&rep, 129, 0, 0xbeef0001);
	f_payload(&rep, 40);
	f_fin(&rep);

	struct rte_mbuf *m = rx1(&req, LAN);
	assert_int_equal(sl_ipstack_input_burst(&E.w, &m, 1, 0), 1);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 1);
	assert_int_equal(sl_pkt_meta(m)->out_port, LAN);
	struct rte_ipv6_hdr *ip = sl_pkt_ipv6(m);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(ip, sl_pkt_l4(m)), 0);
	assert_memory_equal(ip, rep.b + rep.l3, rep.len - rep.l3);
	neigh_put6(LAN, h, mac_host, SL_NEIGH_STALE); /* stale is usable */
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, &m, 1, 0), 1);
	expect_bytes(m, &rep);
	assert_int_equal(sl_pkt_meta(m)->l2_len, 14);
	expect_drops(&wst, NO_DROPS);
	rte_pktmbuf_free(m);
}

/* TTL decrement on many headers: the incremental checksum equals a full one. */
static void test_forward4_ttl(void **state)
{
	enum { N = 32, ROUNDS = 16 };
	struct frame f[N];
	struct rte_mbuf *pkts[N];
	(void)state;

	neigh_put(WAN, IP4(10, 2, 0, 9), mac_nbr, SL_NEIGH_REACHABLE);
	for (unsigned r = 0; r < ROUNDS; r++) {
		for (unsigned i = 0; i < N; i++) {
			uint8_t ttl = (uint8_t)(2 + rnd() % 254);
			f_udp4(&f[i], mac_lan, IP4(10, 1, 0, 2 + rnd() % 250), IP4(10, 2, 0, 9), ttl,
			       (uint16_t)(rnd() & 0x4000), (uint16_t)(28 + rnd() % 200));
			f[i].b[f[i].l3 + 1] = (uint8_t)rnd();           /* TOS */
			wr16(&f[i], f[i].l3 + 4, (uint16_t)rnd());      /* id */
			f_fin(&f[i]);
		}
		rx(pkts, f, N, LAN);
		assert_int_equal(sl_ipstack_input_burst(&E.w, pkts, N, 0), N);
		assert_int_equal(sl_ipstack_route_burst(&E.w, pkts, N, 0), N);
		for (unsigned i = 0; i < N; i++) {
			struct rte_ipv4_hdr *ip = sl_pkt_ipv4(pkts[i]);
			struct frame want = f[i];
			uint16_t full;
			ttl_dec(&want);
			memcpy(&full, want.b + want.l3 + 10, 2);
			assert_int_equal(ip->hdr_checksum, full);
			assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
			assert_int_equal(sl_pkt_meta(pkts[i])->out_port, WAN);
			assert_memory_equal(ip, want.b + want.l3, want.len - want.l3);
		}
		assert_int_equal(sl_ipstack_neighbor_burst(&E.w, pkts, N, 0), N);
		free_all(pkts, N);
	}
	expect_drops(&wst, NO_DROPS);
}

static void test_forward4(void **state)
{
	struct frame f[4];
	struct rte_mbuf *pkts[4];
	(void)state;

	f_udp4(&f[0], mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 2, 0, 100);     /* TTL 2 -> 1 */
	f_udp4(&f[1], mac_lan, IP4(10, 1, 0, 7), IP4(172, 16, 1, 1), 64, 0, 100);   /* gateway */
	f_udp4(&f[2], mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 64, 0x4000, 1400); /* = MTU */
	f_eth(&f[3], mac_lan, mac_host, 0x0064, RTE_ETHER_TYPE_IPV4);               /* VLAN 100 */
	f_ip4(&f[3], IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), IPPROTO_UDP, 9, 0);
	f_udp(&f[3], 1, 2);
	f_payload(&f[3], 30);
	f_fin(&f[3]);
	rx(pkts, f, 4, LAN);
	assert_int_equal(sl_pkt_meta(pkts[3])->l2_len, 18);
	assert_int_equal(sl_ipstack_input_burst(&E.w, pkts, 4, 0), 4);
	assert_int_equal(sl_ipstack_route_burst(&E.w, pkts, 4, 0), 4);
	for (unsigned i = 0; i < 4; i++) {
		ttl_dec(&f[i]);
		assert_int_equal(sl_pkt_meta(pkts[i])->out_port, WAN);
	}
	assert_int_equal(sl_pkt_meta(pkts[1])->nh_index, sl_ipstack_lookup4(tab_a, IP4(172, 16, 1, 1)));
	neigh_put(WAN, IP4(10, 2, 0, 9), mac_nbr, SL_NEIGH_REACHABLE);
	neigh_put(WAN, IP4(10, 2, 0, 2), mac_gw, SL_NEIGH_REACHABLE);
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, pkts, 4, 0), 4);
	expect_rewritten(pkts[0], &f[0], mac_nbr, mac_wan);
	expect_rewritten(pkts[1], &f[1], mac_gw, mac_wan);
	expect_rewritten(pkts[2], &f[2], mac_nbr, mac_wan);
	expect_rewritten(pkts[3], &f[3], mac_nbr, mac_wan); /* tag gone */
	expect_drops(&wst, NO_DROPS);
	assert_int_equal(wst.icmp_errors_sent, 0);
	free_all(pkts, 4);
}

static void test_forward6(void **state)
{
	struct frame f[2];
	struct rte_mbuf *pkts[2];
	uint8_t nbr[16];
	(void)state;

	memcpy(nbr, a6("fd00:2::2").b, 16);
	f_udp6(&f[0], a6("fd00:1::7").b, a6("2001:db8::5").b, 2, 200);   /* default route */
	f_udp6(&f[1], a6("fd00:1::7").b, a6("fd00:2::9").b, 64, 1400);   /* = MTU */
	rx(pkts, f, 2, LAN);
	assert_int_equal(sl_ipstack_input_burst(&E.w, pkts, 2, 0), 2);
	assert_int_equal(sl_ipstack_route_burst(&E.w, pkts, 2, 0), 2);
	f[0].b[f[0].l3 + 7]--;
	f[1].b[f[1].l3 + 7]--;
	neigh_put6(WAN, nbr, mac_gw, SL_NEIGH_REACHABLE);
	neigh_put6(WAN, a6("fd00:2::9").b, mac_nbr, SL_NEIGH_REACHABLE);
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, pkts, 2, 0), 2);
	expect_rewritten(pkts[0], &f[0], mac_gw, mac_wan);
	expect_rewritten(pkts[1], &f[1], mac_nbr, mac_wan);
	expect_drops(&wst, NO_DROPS);
	free_all(pkts, 2);
}

/* Too big without DF: routed, then cut by the management lcore (RFC 791). */
static void test_fragment4(void **state)
{
	static const struct {
		uint16_t off, len, frag; /* payload bytes; the IPv4 flags/offset field */
	} pieces[] = {{0, 1376, 0x2000}, {1376, 5, 1376 / 8}};
	struct frame f, want;
	(void)state;

	f_udp4(&f, mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 64, 0, 1401);
	struct rte_mbuf *m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 0);
	assert_int_equal(wst.punted, 1);
	expect_drops(&wst, NO_DROPS);
	assert_int_equal(wst.icmp_errors_sent, 0);
	neigh_put(WAN, IP4(10, 2, 0, 9), mac_nbr, SL_NEIGH_REACHABLE);
	assert_int_equal(pump(HZ), 1);
	assert_int_equal(E.n_tx, 2);
	assert_int_equal(cst.ipv4_fragmented, 1);
	assert_int_equal(cst.ipv4_fragments, 2);
	/* 1381 payload bytes: 1376 (the largest multiple of 8 that fits), then 5. */
	for (unsigned i = 0; i < RTE_DIM(pieces); i++) {
		f_eth(&want, mac_nbr, mac_wan, -1, RTE_ETHER_TYPE_IPV4);
		f_ip4(&want, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), IPPROTO_UDP, 63, pieces[i].frag);
		want.l4 = 0;
		put(&want, f.b + f.l4 + pieces[i].off, pieces[i].len);
		f_fin(&want);
		assert_int_equal(E.tx[i].port, WAN);
		expect_bytes(E.tx[i].m, &want);
	}
	expect_drops(&cst, NO_DROPS);
}

struct err_case {
	uint32_t dst;
	uint8_t proto, ttl;
	uint16_t frag, total;
	uint8_t want_type, want_code; /* 0xff: no error */
	uint16_t mtu;
	enum sl_drop_reason reason;
};

static void test_errors4(void **state)
{
	static const struct err_case cases[] = {
		{IP4(10, 2, 0, 9), IPPROTO_UDP, 1, 0, 100, 11, 0, 0, SL_DROP_TTL_EXCEEDED},
		{IP4(10, 2, 0, 9), IPPROTO_UDP, 0, 0, 100, 11, 0, 0, SL_DROP_TTL_EXCEEDED},
		{IP4(203, 0, 113, 5), IPPROTO_UDP, 64, 0, 100, 3, 0, 0, SL_DROP_NO_ROUTE},
		{IP4(198, 51, 100, 1), IPPROTO_UDP, 64, 0, 100, 3, 1, 0, SL_DROP_NO_ROUTE},
		{IP4(10, 2, 0, 9), IPPROTO_UDP, 64, 0x4000, 1401, 3, 4, 1400, SL_DROP_MTU_EXCEEDED},
		{IP4(10, 2, 0, 9), IPPROTO_UDP, 64, 0x4000, 1400, 0, 0, 0, SL_DROP_MAX}, /* passes */
		{IP4(10, 1, 0, 1), IPPROTO_UDP, 64, 0, 100, 3, 3, 0, SL_DROP_LOCAL_UNHANDLED},
		{IP4(10, 2, 0, 1), IPPROTO_GRE, 64, 0, 100, 0xff, 0, 0, SL_DROP_LOCAL_UNHANDLED},
		{IP4(192, 0, 2, 1), IPPROTO_UDP, 64, 0, 100, 0xff, 0, 0, SL_DROP_BLACKHOLE},
		{IP4(10, 1, 0, 255), IPPROTO_UDP, 64, 0, 100, 0xff, 0, 0, SL_DROP_MULTICAST},
		{IP4(10, 2, 0, 255), IPPROTO_UDP, 64, 0, 100, 0xff, 0, 0, SL_DROP_MULTICAST},
	};
	(void)state;

	for (unsigned i = 0; i < RTE_DIM(cases); i++) {
		const struct err_case *c = &cases[i];
		struct frame f;
		uint64_t before = c->reason < SL_DROP_MAX ? wst.drops[c->reason] : 0;
		f_eth(&f, mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV4);
		f_ip4(&f, IP4(10, 1, 0, 7), c->dst, c->proto, c->ttl, c->frag);
		if (c->proto == IPPROTO_UDP)
			f_udp(&f, 4000, 53);
		f_payload(&f, c->total - (f.len - f.l3));
		f_fin(&f);
		struct rte_mbuf *m = rx1(&f, LAN);
		uint16_t n = sl_ipstack_route_burst(&E.w, &m, 1, 0);
		if (c->reason == SL_DROP_MAX) {
			assert_int_equal(n, 1);
			assert_int_equal(rte_pktmbuf_pkt_len(m), f.len);
		} else if (c->want_type == 0xff) {
			assert_int_equal(n, 0);
		} else {
			if (n != 1)
				fail_msg("case %u: no ICMP error", i);
			expect_icmp4(m, &f, c->want_type, c->want_code, c->mtu);
		}
		if (n)
			rte_pktmbuf_free(m);
		if (c->reason != SL_DROP_MAX && wst.drops[c->reason] != before + 1)
			fail_msg("case %u: not counted as %s", i, sl_drop_reason_label(c->reason));
	}
	expect_drops(&wst, DROPS([SL_DROP_TTL_EXCEEDED] = 2, [SL_DROP_NO_ROUTE] = 2,
				 [SL_DROP_MTU_EXCEEDED] = 1, [SL_DROP_LOCAL_UNHANDLED] = 2,
				 [SL_DROP_BLACKHOLE] = 1, [SL_DROP_MULTICAST] = 2));
	assert_int_equal(wst.icmp_errors_sent, 6);
	assert_int_equal(wst.icmp_errors_ratelimited, 0);
}

static void test_bad_sources(void **state)
{
	static const uint32_t srcs[] = {0, IP4(127, 0, 0, 1), IP4(224, 0, 0, 9),
					IP4(239, 255, 255, 255), UINT32_MAX};
	struct rte_mbuf *pkts[RTE_DIM(srcs) + 1];
	struct frame f;
	(void)state;

	for (unsigned i = 0; i < RTE_DIM(srcs); i++) {
		f_udp4(&f, mac_lan, srcs[i], IP4(10, 2, 0, 9), 64, 0, 60);
		pkts[i] = rx1(&f, LAN);
	}
	f_udp6(&f, a6("ff0e::1").b, a6("fd00:2::9").b, 64, 60);
	pkts[RTE_DIM(srcs)] = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, pkts, RTE_DIM(pkts), 0), 0);
	expect_drops(&wst, DROPS([SL_DROP_IPV4_BAD_SOURCE] = 5, [SL_DROP_IPV6_BAD_SOURCE] = 1));
	assert_int_equal(wst.icmp_errors_sent, 0);
}

static void test_errors6(void **state)
{
	struct frame f;
	struct rte_mbuf *m;
	(void)state;

	/* Hop limit: 1 is refused (time exceeded), 2 passes as 1. */
	f_udp6(&f, a6("fd00:1::7").b, a6("fd00:2::9").b, 1, 100);
	m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 1);
	expect_icmp6(m, &f, 3, 0, 0);
	rte_pktmbuf_free(m);
	/* One byte over the wan MTU: packet too big, quoting up to 1280 bytes. */
	f_udp6(&f, a6("fd00:1::7").b, a6("fd00:2::9").b, 64, 1401);
	m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 1);
	expect_icmp6(m, &f, 2, 0, 1400);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 14 + 1280);
	rte_pktmbuf_free(m);
	/* Unreachable route, and UDP to us (port unreachable). */
	f_udp6(&f, a6("fd00:1::7").b, a6("2001:db8:dead::1").b, 64, 100);
	m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 1);
	expect_icmp6(m, &f, 1, 0, 0);
	rte_pktmbuf_free(m);
	f_udp6(&f, a6("fd00:1::7").b, a6("fd00:2::1").b, 64, 100);
	m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 1);
	expect_icmp6(m, &f, 1, 4, 0);
	rte_pktmbuf_free(m);
	/* A link-local destination is never forwarded, silently. */
	f_udp6(&f, a6("fd00:1::7").b, a6("fe80::9").b, 64, 100);
	m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 0);
	expect_drops(&wst, DROPS([SL_DROP_TTL_EXCEEDED] = 1, [SL_DROP_MTU_EXCEEDED] = 1,
				 [SL_DROP_NO_ROUTE] = 2, [SL_DROP_LOCAL_UNHANDLED] = 1));
	assert_int_equal(wst.icmp_errors_sent, 4);
}

/* RFC 1812 / RFC 4443: no error about an error or a non-first fragment. */
static void test_no_error_about_errors(void **state)
{
	struct frame f[8];
	struct rte_mbuf *pkts[8];
	uint8_t host[16], nbr[16];
	(void)state;

	memcpy(host, a6("fd00:1::7").b, 16);
	memcpy(nbr, a6("fd00:2::9").b, 16);
	/* TTL 1 everywhere: only the echo request and the first fragments earn an error. */
	f_eth(&f[0], mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV4);
	f_ip4(&f[0], IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), IPPROTO_ICMP, 1, 0);
	f_icmp(&f[0], 3, 3, 0);              /* an error */
	f_payload(&f[0], 28);
	f_fin(&f[0]);
	f_eth(&f[1], mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV4);
	f_ip4(&f[1], IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), IPPROTO_ICMP, 1, 0);
	f_icmp(&f[1], 8, 0, 0x00010001);     /* echo request: answered */
	f_fin(&f[1]);
	f_eth(&f[2], mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV4);
	f_ip4(&f[2], IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), IPPROTO_UDP, 1, 100); /* offset 800 */
	f[2].l4 = 0;
	f_payload(&f[2], 40);
	f_fin(&f[2]);
	f_udp4(&f[3], mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 1, 0x2000, 60); /* MF, first */
	f_eth(&f[4], mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV6);
	f_ip6(&f[4], host, nbr, IPPROTO_ICMPV6, 1);
	f_icmp(&f[4], 1, 4, 0);              /* an ICMPv6 error */
	f_payload(&f[4], 48);
	f_fin(&f[4]);
	f_eth(&f[5], mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV6);
	f_ip6(&f[5], host, nbr, IPPROTO_ICMPV6, 1);
	f_icmp(&f[5], 128, 0, 0x00020002);   /* echo request: answered */
	f_fin(&f[5]);
	f_eth(&f[6], mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV6);
	f_ip6(&f[6], host, nbr, IPPROTO_FRAGMENT, 1);
	f_frag6(&f[6], IPPROTO_UDP, 100, false);
	f_payload(&f[6], 40);
	f_fin(&f[6]);
	f_eth(&f[7], mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV6);
	f_ip6(&f[7], host, nbr, IPPROTO_FRAGMENT, 1);
	f_frag6(&f[7], IPPROTO_UDP, 0, true);
	f_udp(&f[7], 1, 2);
	f_payload(&f[7], 40);
	f_fin(&f[7]);
	rx(pkts, f, 8, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, pkts, 8, 0), 4);
	expect_icmp4(pkts[0], &f[1], 11, 0, 0);
	expect_icmp4(pkts[1], &f[3], 11, 0, 0);
	expect_icmp6(pkts[2], &f[5], 3, 0, 0);
	expect_icmp6(pkts[3], &f[7], 3, 0, 0);
	expect_drops(&wst, DROPS([SL_DROP_TTL_EXCEEDED] = 8));
	assert_int_equal(wst.icmp_errors_sent, 4);
	free_all(pkts, 4);
}

/* sl_icmp_error_build's refusals, called directly. */
static void test_icmp_error_build_rules(void **state)
{
	struct frame f;
	struct rte_mbuf *m, *e;
	(void)state;

	f_udp4(&f, mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 64, 0, 60);
	m = rx1(&f, LAN);
	e = sl_icmp_error_build(pool, tab_a, m, 11, 0, 0);  /* the positive control */
	assert_non_null(e);
	rte_pktmbuf_free(e);
	sl_pkt_meta(m)->flags |= SL_PKT_F_L2_BCAST;
	assert_null(sl_icmp_error_build(pool, tab_a, m, 11, 0, 0));
	sl_pkt_meta(m)->flags &= (uint16_t)~SL_PKT_F_L2_BCAST;
	sl_pkt_meta(m)->flags |= SL_PKT_F_L2_MCAST;
	assert_null(sl_icmp_error_build(pool, tab_a, m, 11, 0, 0));
	sl_pkt_meta(m)->flags &= (uint16_t)~SL_PKT_F_L2_MCAST;
	sl_pkt_meta(m)->in_port = 2;                 /* no such port in tab_a */
	assert_null(sl_icmp_error_build(pool, tab_a, m, 11, 0, 0));
	assert_null(sl_icmp_error_build(pool, tab_r, m, 11, 0, 0)); /* dmz: no IPv4 */
	sl_pkt_meta(m)->in_port = LAN;
	sl_pkt_ipv4(m)->dst_addr = UINT32_MAX;
	assert_null(sl_icmp_error_build(pool, tab_a, m, 11, 0, 0));
	sl_pkt_ipv4(m)->dst_addr = be32(IP4(239, 0, 0, 1));
	assert_null(sl_icmp_error_build(pool, tab_a, m, 11, 0, 0));
	rte_pktmbuf_free(m);

	/* IPv6: no error to the unspecified address; a port with no global address
	 * speaks from its link-local one. */
	f_udp6(&f, a6("::").b, a6("fd00:2::9").b, 64, 60);
	m = rx1(&f, WAN);
	assert_null(sl_icmp_error_build(pool, tab_r, m, 3, 0, 0));
	memcpy(sl_pkt_ipv6(m)->src_addr, a6("fd00:2::7").b, 16);
	e = sl_icmp_error_build(pool, tab_r, m, 3, 0, 0);
	assert_non_null(e);
	const struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(e, const struct rte_ipv6_hdr *, 14);
	assert_memory_equal(ip->src_addr, a6("fe80::5054:ff:fe00:201").b, 16);
	assert_memory_equal(ip->dst_addr, a6("fd00:2::7").b, 16);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(ip, ip + 1), 0);
	assert_int_equal(sl_pkt_meta(e)->in_port, WAN);
	rte_pktmbuf_free(e);
	rte_pktmbuf_free(m);
}

/* Send @p n TTL-1 packets at @p now; returns how many ICMP errors came out. */
static uint16_t expire(uint16_t n, uint64_t now)
{
	struct rte_mbuf *pkts[16];
	struct frame f;
	assert_true(n <= 16);
	f_udp4(&f, mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 1, 0, 60);
	for (uint16_t i = 0; i < n; i++)
		pkts[i] = rx1(&f, LAN);
	uint16_t out = sl_ipstack_route_burst(&E.w, pkts, n, now);
	free_all(pkts, out);
	return out;
}

static void test_icmp_ratelimit(void **state)
{
	const uint64_t t0 = 50 * HZ;
	(void)state;

	E.w.icmp_rate = 10;   /* per second */
	E.w.icmp_burst = 5;
	E.w.icmp_tat = t0;                       /* full bucket at t0 */
	assert_int_equal(expire(8, t0), 5);             /* the burst */
	assert_int_equal(wst.icmp_errors_ratelimited, 3);
	assert_int_equal(expire(8, t0 + 350 * HZ / 1000), 3); /* 3.5 tokens */
	assert_int_equal(wst.icmp_errors_ratelimited, 8);
	assert_int_equal(expire(2, t0 + 400 * HZ / 1000), 1); /* 0.5 + 0.5 */
	assert_int_equal(wst.icmp_errors_ratelimited, 9);
	assert_int_equal(expire(1, t0 + 499 * HZ / 1000), 0); /* 0.99 */
	assert_int_equal(expire(1, t0 + 500 * HZ / 1000), 1); /* 1.00 */
	assert_int_equal(wst.icmp_errors_ratelimited, 10);
	assert_int_equal(expire(8, t0 + 100 * HZ), 5);  /* a long quiet: full bucket, no more */
	assert_int_equal(wst.icmp_errors_ratelimited, 13);
	assert_int_equal(wst.icmp_errors_sent, 15);
	expect_drops(&wst, DROPS([SL_DROP_TTL_EXCEEDED] = 28));
}

/*
 * The budget is time-based whatever the call pattern: errors every 999
 * cycles at 1000/s on a 1 GHz clock earn one error per 1000 us, even though
 * each call adds less than one thousandth of a token.
 */
static void test_icmp_ratelimit_fine_clock(void **state)
{
	const uint64_t t0 = 50 * HZ;
	unsigned sent = 0;
	(void)state;

	E.w.icmp_rate = 1000;
	E.w.icmp_burst = 1;
	E.w.icmp_tat = t0 + HZ / 1000;           /* empty bucket at t0 */
	for (unsigned i = 1; i <= 3000; i++)
		sent += expire(1, t0 + i * 999ull);   /* 2.997 ms in all */
	assert_int_equal(sent, 2);
	assert_int_equal(wst.icmp_errors_ratelimited, 2998);
}

/* A bucket deeper than one second of rate still fills up after a long quiet. */
static void test_icmp_ratelimit_deep_bucket(void **state)
{
	const uint64_t t0 = 50 * HZ;
	(void)state;

	E.w.icmp_rate = 2;
	E.w.icmp_burst = 10;
	E.w.icmp_tat = t0 + 10 * HZ / 2;         /* empty bucket at t0 */
	assert_int_equal(expire(12, t0 + 60 * HZ), 10);
}

static void test_neighbor_burst_states(void **state)
{
	struct frame f[5];
	struct rte_mbuf *pkts[5], *punted[5];
	(void)state;

	/* Destinations on wan: reachable, stale, incomplete, failed, unknown. */
	for (unsigned i = 0; i < 5; i++)
		f_udp4(&f[i], mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 10 + i), 64, 0, 80);
	rx(pkts, f, 5, LAN);
	struct rte_mbuf *orig[5];
	memcpy(orig, pkts, sizeof(orig));
	assert_int_equal(sl_ipstack_route_burst(&E.w, pkts, 5, 0), 5);
	neigh_put(WAN, IP4(10, 2, 0, 10), mac_nbr, SL_NEIGH_REACHABLE);
	neigh_put(WAN, IP4(10, 2, 0, 11), mac_gw, SL_NEIGH_STALE);
	neigh_put(WAN, IP4(10, 2, 0, 12), NULL, SL_NEIGH_INCOMPLETE);
	neigh_put(WAN, IP4(10, 2, 0, 13), NULL, SL_NEIGH_FAILED);
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, pkts, 5, 0), 2);
	assert_ptr_equal(pkts[0], orig[0]);
	assert_ptr_equal(pkts[1], orig[1]);
	ttl_dec(&f[0]);
	ttl_dec(&f[1]);
	expect_rewritten(pkts[0], &f[0], mac_nbr, mac_wan);
	expect_rewritten(pkts[1], &f[1], mac_gw, mac_wan);
	assert_int_equal(rte_ring_dequeue_burst(E.ring, (void **)punted, 5, NULL), 2);
	assert_ptr_equal(punted[0], orig[2]);
	assert_ptr_equal(punted[1], orig[4]);
	assert_true(sl_pkt_meta(punted[0])->flags & SL_PKT_F_NEEDS_NEIGHBOR);
	assert_true(sl_pkt_meta(punted[1])->flags & SL_PKT_F_NEEDS_NEIGHBOR);
	assert_int_equal(wst.punted, 2);
	expect_drops(&wst, DROPS([SL_DROP_NEIGHBOR_FAILED] = 1));
	free_all(pkts, 2);
	free_all(punted, 2);
}

/*
 * Packets via one gateway share its MAC within a burst, on-link ones in
 * between still get their own, and an unresolved one is still punted.
 */
static void test_neighbor_gateway_in_burst(void **state)
{
	struct frame f[6];
	struct rte_mbuf *pkts[6], *punted[2];
	(void)state;

	f_udp4(&f[0], mac_lan, IP4(10, 1, 0, 7), IP4(172, 16, 1, 1), 64, 0, 40); /* gateway */
	f_udp4(&f[1], mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 64, 0, 40);   /* on-link */
	f_udp4(&f[2], mac_lan, IP4(10, 1, 0, 7), IP4(172, 16, 1, 2), 64, 0, 40); /* gateway */
	f_udp4(&f[3], mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 12), 64, 0, 40);  /* unresolved */
	f_eth(&f[4], mac_lan, mac_host, 0x0064, RTE_ETHER_TYPE_IPV4);             /* VLAN 100 */
	f_ip4(&f[4], IP4(10, 1, 0, 7), IP4(172, 16, 1, 3), IPPROTO_UDP, 64, 0);   /* gateway */
	f_udp(&f[4], 1, 2);
	f_payload(&f[4], 30);
	f_fin(&f[4]);
	f_udp4(&f[5], mac_lan, IP4(10, 1, 0, 7), IP4(172, 16, 1, 4), 64, 0, 40); /* gateway */
	neigh_put(WAN, IP4(10, 2, 0, 9), mac_nbr, SL_NEIGH_REACHABLE);
	neigh_put(WAN, IP4(10, 2, 0, 2), mac_gw, SL_NEIGH_REACHABLE);
	rx(pkts, f, 6, LAN);
	struct rte_mbuf *orig[6];
	memcpy(orig, pkts, sizeof(orig));
	assert_int_equal(sl_ipstack_route_burst(&E.w, pkts, 6, 0), 6);
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, pkts, 6, 0), 5);
	static const unsigned sent[5] = {0, 1, 2, 4, 5};
	for (unsigned i = 0; i < 5; i++) {
		struct frame want = f[sent[i]];
		ttl_dec(&want);
		assert_ptr_equal(pkts[i], orig[sent[i]]);
		expect_rewritten(pkts[i], &want, sent[i] == 1 ? mac_nbr : mac_gw, mac_wan);
	}
	assert_int_equal(rte_ring_dequeue_burst(E.ring, (void **)punted, 2, NULL), 1);
	assert_ptr_equal(punted[0], orig[3]);
	expect_drops(&wst, NO_DROPS);
	free_all(pkts, 5);
	free_all(punted, 1);
}

/*
 * The neighbor stage keeps the entry it found across bursts: a new MAC shows
 * in the next burst, and a deleted entry whose slot went to another neighbor
 * is never used for the old destination.
 */
static void test_neighbor_kept_across_bursts(void **state)
{
	static const uint8_t mac_new[6] = {0x02, 0, 0, 0, 0x77, 0x01};
	static const uint8_t mac_other[6] = {0x02, 0, 0, 0, 0x77, 0x02};
	struct frame f;
	struct rte_mbuf *pkts[2], *punted[2];
	(void)state;

	f_udp4(&f, mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 10), 64, 0, 80);
	struct sl_neigh_entry *e = neigh_put(WAN, IP4(10, 2, 0, 10), mac_nbr, SL_NEIGH_REACHABLE);
	struct frame want = f;
	ttl_dec(&want);
	for (unsigned round = 0; round < 2; round++) {
		if (round == 1) /* the MAC changes, the entry stays */
			sl_neigh_set(e, (const struct rte_ether_addr *)mac_new, SL_NEIGH_REACHABLE);
		rx(pkts, (const struct frame[]){f, f}, 2, LAN);
		assert_int_equal(sl_ipstack_route_burst(&E.w, pkts, 2, 0), 2);
		assert_int_equal(sl_ipstack_neighbor_burst(&E.w, pkts, 2, 0), 2);
		expect_rewritten(pkts[0], &want, round == 0 ? mac_nbr : mac_new, mac_wan);
		expect_rewritten(pkts[1], &want, round == 0 ? mac_nbr : mac_new, mac_wan);
		free_all(pkts, 2);
	}

	/*
	 * Deleted; other neighbors are added until one gets its slot (the test
	 * table frees slots at once; rte_hash hands them out first in, first out).
	 */
	sl_neigh_delete(E.nt, e, &cst);
	unsigned added = 0;
	while (neigh_put(WAN, IP4(10, 2, 1, added), mac_other, SL_NEIGH_REACHABLE) != e)
		assert_in_range(++added, 1, 63);
	rx(pkts, &f, 1, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, pkts, 1, 0), 1);
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, pkts, 1, 0), 0);
	assert_int_equal(rte_ring_dequeue_burst(E.ring, (void **)punted, 2, NULL), 1);
	assert_true(sl_pkt_meta(punted[0])->flags & SL_PKT_F_NEEDS_NEIGHBOR);
	free_all(punted, 1);
}

/* Destinations no router forwards (RFC 1812 5.3.7), even with a default route. */
static void test_martian_destinations(void **state)
{
	static const uint32_t dsts[] = {IP4(255, 255, 255, 255), IP4(239, 1, 2, 3),
					IP4(224, 0, 0, 5), IP4(127, 0, 0, 1), IP4(0, 1, 2, 3),
					IP4(240, 0, 0, 1)};
	struct rte_mbuf *pkts[RTE_DIM(dsts)];
	struct frame f;
	(void)state;

	E.w.t = tab_r; /* 0.0.0.0/0 via 10.2.0.2 */
	for (unsigned i = 0; i < RTE_DIM(dsts); i++) {
		f_udp4(&f, mac_lan, IP4(10, 1, 0, 7), dsts[i], 64, 0, 60);
		pkts[i] = rx1(&f, LAN);
	}
	assert_int_equal(sl_ipstack_input_burst(&E.w, pkts, RTE_DIM(dsts), 0), RTE_DIM(dsts));
	uint16_t n = sl_ipstack_route_burst(&E.w, pkts, RTE_DIM(dsts), 0);
	free_all(pkts, n);
	assert_int_equal(n, 0);
	uint64_t total = 0;
	for (unsigned r = 0; r < SL_DROP_MAX; r++)
		total += wst.drops[r];
	assert_int_equal(total, RTE_DIM(dsts));
	assert_int_equal(wst.icmp_errors_sent, 0);
}

/* ---- local-in dispatch ------------------------------------------------- */

static unsigned handler_calls;

static struct rte_mbuf *count_and_free(void *ctx, struct rte_mbuf *m, uint64_t now)
{
	(void)now;
	handler_calls += *(unsigned *)ctx;
	rte_pktmbuf_free(m);
	return NULL;
}

static void consume(void *ctx, struct rte_mbuf *m, uint64_t now)
{
	count_and_free(ctx, m, now);
}

/* The table decides; route only says "local". Each action is taken whole. */
static void test_localin_dispatch(void **state)
{
	struct sl_localin_table saved = tab_a->localin;
	struct frame f;
	struct rte_mbuf *m, *out;
	unsigned weight = 1;
	(void)state;

	/* UDP to a port no rule claims: refused with a port unreachable. */
	f_udp4(&f, mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 1), 64, 0, 100);
	m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 1);
	expect_icmp4(m, &f, 3, 3, 0);
	rte_pktmbuf_free(m);
	expect_drops(&wst, DROPS([SL_DROP_LOCAL_UNHANDLED] = 1));

	/* A punt rule: the packet goes to the management lcore, marked. */
	assert_int_equal(sl_localin_add(&tab_a->localin, IPPROTO_UDP, 5000, 5001,
					 SL_LOCALIN_PUNT, 0), 0);
	f_udp4(&f, mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 1), 64, 0, 100);
	wr16(&f, f.l4 + 2, 5001);
	f_fin(&f);
	m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 0);
	assert_int_equal(rte_ring_dequeue(E.ring, (void **)&out), 0);
	assert_ptr_equal(out, m);
	assert_true(sl_pkt_meta(out)->flags & SL_PKT_F_LOCAL_IN);
	assert_int_equal(wst.punted, 1);

	/* ... where nothing consumes it, it is dropped and counted; else consumed. */
	sl_ipstack_ctl_input(&E.c, tab_a, out, 0);
	expect_drops(&cst, DROPS([SL_DROP_LOCAL_UNHANDLED] = 1));
	m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 0);
	assert_int_equal(rte_ring_dequeue(E.ring, (void **)&out), 0);
	E.c.local_in = consume;
	handler_calls = 0;
	E.c.local_in_arg = &weight;
	sl_ipstack_ctl_input(&E.c, tab_a, out, 0);
	assert_int_equal(handler_calls, 1);
	expect_drops(&cst, DROPS([SL_DROP_LOCAL_UNHANDLED] = 1));

	/* A handler rule: refused while no handler is registered, then handled. */
	assert_int_equal(sl_localin_add(&tab_a->localin, IPPROTO_UDP, 6000, 6000,
					 SL_LOCALIN_HANDLER, 1), 0);
	wr16(&f, f.l4 + 2, 6000);
	f_fin(&f);
	m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 1); /* port unreachable */
	rte_pktmbuf_free(m);
	expect_drops(&wst, DROPS([SL_DROP_LOCAL_UNHANDLED] = 2));
	E.w.localin[1].fn = count_and_free;
	E.w.localin[1].ctx = &weight;
	weight = 10;
	m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 0);
	assert_int_equal(handler_calls, 11);
	expect_drops(&wst, DROPS([SL_DROP_LOCAL_UNHANDLED] = 2));

	/* An ICMP echo request with a nonzero code is no echo request. */
	f_eth(&f, mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV4);
	f_ip4(&f, IP4(10, 1, 0, 7), IP4(10, 2, 0, 1), IPPROTO_ICMP, 5, 0);
	f_icmp(&f, 8, 1, 0x12340007);
	f_fin(&f);
	m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 0);
	expect_drops(&wst, DROPS([SL_DROP_LOCAL_UNHANDLED] = 3));
	assert_int_equal(wst.icmp_errors_sent, 2); /* the two UDP refusals only */

	/* Bad rules are refused; the table has a bound. */
	assert_int_equal(sl_localin_add(&tab_a->localin, IPPROTO_TCP, 9, 8, SL_LOCALIN_PUNT, 0),
			 -EINVAL);
	assert_int_equal(sl_localin_add(&tab_a->localin, IPPROTO_TCP, 1, 1, SL_LOCALIN_ECHO, 0),
			 -EINVAL);
	assert_int_equal(sl_localin_add(&tab_a->localin, IPPROTO_UDP, 1, 1, SL_LOCALIN_HANDLER,
					 SL_LOCALIN_MAX_HANDLERS), -EINVAL);
	while (tab_a->localin.n < SL_LOCALIN_MAX_RULES)
		assert_int_equal(sl_localin_add(&tab_a->localin, IPPROTO_TCP, 1, 1,
						 SL_LOCALIN_PUNT, 0), 0);
	assert_int_equal(sl_localin_add(&tab_a->localin, IPPROTO_TCP, 1, 1, SL_LOCALIN_PUNT, 0),
			 -ENOSPC);
	tab_a->localin = saved;
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, env_setup, env_teardown)
	const struct CMUnitTest tests[] = {
		T(test_input_burst),
		T(test_punt_ring_full),
		T(test_echo4),
		T(test_echo6),
		T(test_localin_dispatch),
		T(test_forward4_ttl),
		T(test_forward4),
		T(test_forward6),
		T(test_fragment4),
		T(test_errors4),
		T(test_bad_sources),
		T(test_errors6),
		T(test_no_error_about_errors),
		T(test_icmp_error_build_rules),
		T(test_icmp_ratelimit),
		T(test_icmp_ratelimit_fine_clock),
		T(test_icmp_ratelimit_deep_bucket),
		T(test_neighbor_burst_states),
		T(test_neighbor_kept_across_bursts),
		T(test_neighbor_gateway_in_burst),
		T(test_martian_destinations),
	};
#undef T
	return cmocka_run_group_tests_name("ipstack_worker", tests, group_setup, group_teardown);
}

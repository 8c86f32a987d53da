/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of lib/ipstack's management control code: ARP and neighbor
 * discovery, the queues of packets waiting for a neighbor, the neighbor
 * timers, static neighbors from the config and link-local peers.
 *
 * Principles:
 *  - Packets reach the control code the way they do in sluice: punted by a
 *    worker stage through the ring, then handed over by pump().
 *  - Every frame the management lcore sends is recorded and compared whole.
 *  - Timers are driven on the synthetic clock, one tick before and at each
 *    deadline.
 */
#include <arpa/inet.h>
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

/* ---- management control ------------------------------------------------ */

static void expect_arp(const struct sent *s, uint16_t port, const uint8_t *dst, uint16_t op,
		       uint32_t sip, const uint8_t *tha, uint32_t tip)
{
	const uint8_t *us = port == LAN ? mac_lan : mac_wan;
	struct frame want;
	f_arp(&want, dst, us, op, us, sip, tha, tip);
	assert_int_equal(s->port, port);
	expect_bytes(s->m, &want);
}

static void expect_ns(const struct sent *s, uint16_t port, const uint8_t *src,
		      const uint8_t *target)
{
	const uint8_t *us = port == LAN ? mac_lan : mac_wan;
	uint8_t mc[6] = {0x33, 0x33, 0xff, target[13], target[14], target[15]};
	uint8_t group[16] = {0xff, 0x02, [11] = 0x01, [12] = 0xff, target[13], target[14], target[15]};
	struct frame want;
	f_nd(&want, mc, us, src, group, 255, 135, 0, target, 1, us);
	assert_int_equal(s->port, port);
	expect_bytes(s->m, &want);
	const struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(s->m, const struct rte_ipv6_hdr *, 14);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(ip, ip + 1), 0);
}

static void test_arp_request_for_us(void **state)
{
	const uint64_t now = 5 * HZ;
	struct frame f;
	(void)state;

	f_arp(&f, mac_bcast, mac_host, 1, mac_host, IP4(10, 1, 0, 7), mac_zero, IP4(10, 1, 0, 1));
	struct rte_mbuf *m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_input_burst(&E.w, &m, 1, now), 0);
	assert_int_equal(pump(now), 1);
	assert_int_equal(E.n_tx, 1);
	expect_arp(&E.tx[0], LAN, mac_host, 2, IP4(10, 1, 0, 1), mac_host, IP4(10, 1, 0, 7));
	assert_int_equal(rte_pktmbuf_pkt_len(E.tx[0].m), 42);
	assert_int_equal(neigh_word4(LAN, IP4(10, 1, 0, 7)),
			 SL_NEIGH_WORD(mac64(mac_host), SL_NEIGH_REACHABLE));
	struct sl_neigh_key k;
	sl_neigh_key_v4(&k, LAN, be32(IP4(10, 1, 0, 7)));
	struct sl_neigh_entry *e = sl_neigh_get(E.nt, &k);
	assert_int_equal(e->confirmed_tsc, now);
	assert_int_equal(e->next_event_tsc, now + SL_NEIGH_REACHABLE_S * HZ);
	assert_int_equal(e->probes, 0);
	/* Our wan address asked for on lan: not ours there, no answer. */
	f_arp(&f, mac_bcast, mac_host, 1, mac_host, IP4(10, 1, 0, 7), mac_zero, IP4(10, 2, 0, 1));
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), now);
	assert_int_equal(E.n_tx, 1);
	expect_drops(&cst, NO_DROPS);
}

/* Unsolicited learning stops at three quarters of the table; answers go on. */
static void test_learning_bounded(void **state)
{
	struct frame f;
	struct sl_neigh_key k;
	(void)state;

	for (uint32_t i = 0; i < E.nt->capacity / 4 * 3; i++) {
		sl_neigh_key_v4(&k, WAN, be32(IP4(10, 2, 1, (uint8_t)i)));
		assert_non_null(sl_neigh_get_or_create(E.nt, &k, HZ));
	}
	assert_false(sl_neigh_may_learn(E.nt));
	f_arp(&f, mac_bcast, mac_host, 1, mac_host, IP4(10, 1, 0, 7), mac_zero, IP4(10, 1, 0, 1));
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	assert_int_equal(E.n_tx, 1);  /* still answered */
	expect_arp(&E.tx[0], LAN, mac_host, 2, IP4(10, 1, 0, 1), mac_host, IP4(10, 1, 0, 7));
	assert_int_equal(neigh_word4(LAN, IP4(10, 1, 0, 7)), 0);  /* not learned */
	/* One entry freed: learning resumes. */
	sl_neigh_key_v4(&k, WAN, be32(IP4(10, 2, 1, 0)));
	sl_neigh_delete(E.nt, sl_neigh_get(E.nt, &k), &cst);
	assert_true(sl_neigh_may_learn(E.nt));
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	assert_int_equal(neigh_word4(LAN, IP4(10, 1, 0, 7)),
			 SL_NEIGH_WORD(mac64(mac_host), SL_NEIGH_REACHABLE));
	expect_drops(&cst, NO_DROPS);
}

static void test_arp_ignored(void **state)
{
	struct frame f;
	(void)state;

	/* For another host on the subnet: no answer, nothing learned. */
	f_arp(&f, mac_bcast, mac_host, 1, mac_host, IP4(10, 1, 0, 8), mac_zero, IP4(10, 1, 0, 50));
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	/* From a sender outside the port's subnets, or claiming our address. */
	f_arp(&f, mac_bcast, mac_host, 1, mac_host, IP4(10, 9, 0, 8), mac_zero, IP4(10, 1, 0, 1));
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	f_arp(&f, mac_bcast, mac_host, 1, mac_host, IP4(10, 1, 0, 1), mac_zero, IP4(10, 1, 0, 1));
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	/* A multicast sender hardware address. */
	f_arp(&f, mac_bcast, mac_host, 1, mac_bcast, IP4(10, 1, 0, 8), mac_zero, IP4(10, 1, 0, 1));
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	assert_int_equal(E.n_tx, 0);
	assert_int_equal(neigh_word4(LAN, IP4(10, 1, 0, 8)), 0);
	assert_int_equal(neigh_word4(LAN, IP4(10, 9, 0, 8)), 0);
	assert_int_equal(neigh_word4(LAN, IP4(10, 1, 0, 1)), 0);
	/* Router solicitations and advertisements are punted but not answered. */
	f_nd(&f, mac_lan, mac_host, a6("fd00:1::7").b, a6("fd00:1::1").b, 255, 133, 0,
	     a6("::").b, 0, NULL);
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	assert_int_equal(E.n_tx, 0);
	expect_drops(&cst, NO_DROPS);
}

/* Route a packet from the lan host to @p dst_host, as far as the punt ring. */
static struct frame route_to_punt(uint32_t dst_host, uint64_t now)
{
	struct frame f;
	f_udp4(&f, mac_lan, IP4(10, 1, 0, 7), dst_host, 64, 0, 60);
	struct rte_mbuf *m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, now), 1);
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, &m, 1, now), 0);
	ttl_dec(&f);
	return f;
}

static void test_resolve_arp(void **state)
{
	const uint64_t now = 7 * HZ;
	struct frame f, want = route_to_punt(IP4(10, 2, 0, 9), now);
	(void)state;

	for (unsigned i = 0; i < SL_NEIGH_PENDING_MAX; i++)
		route_to_punt(IP4(10, 2, 0, 9), now + i);
	assert_int_equal(pump(now), SL_NEIGH_PENDING_MAX + 1);
	/* One request, broadcast, from our wan address. */
	assert_int_equal(E.n_tx, 1);
	expect_arp(&E.tx[0], WAN, mac_bcast, 1, IP4(10, 2, 0, 1), mac_zero, IP4(10, 2, 0, 9));
	tx_clear();
	struct sl_neigh_key k;
	sl_neigh_key_v4(&k, WAN, be32(IP4(10, 2, 0, 9)));
	struct sl_neigh_entry *e = sl_neigh_get(E.nt, &k);
	assert_non_null(e);
	assert_int_equal(SL_NEIGH_WORD_STATE(e->word), SL_NEIGH_INCOMPLETE);
	assert_int_equal(e->n_pending, SL_NEIGH_PENDING_MAX);
	assert_int_equal(e->probes, 1);
	assert_int_equal(e->next_event_tsc, now + RETRANS);
	expect_drops(&cst, DROPS([SL_DROP_NEIGHBOR_PENDING_FULL] = 1));

	/* The reply (through the worker's punt) releases the queue in order. */
	f_arp(&f, mac_wan, mac_nbr, 2, mac_nbr, IP4(10, 2, 0, 9), mac_wan, IP4(10, 2, 0, 1));
	struct rte_mbuf *m = rx1(&f, WAN);
	assert_int_equal(sl_ipstack_input_burst(&E.w, &m, 1, now), 0);
	assert_int_equal(pump(now + HZ / 10), 1);
	assert_int_equal(E.n_tx, SL_NEIGH_PENDING_MAX);
	relink(&want, mac_nbr, mac_wan);
	for (unsigned i = 0; i < E.n_tx; i++) {
		assert_int_equal(E.tx[i].port, WAN);
		expect_bytes(E.tx[i].m, &want);
	}
	assert_int_equal(e->n_pending, 0);
	assert_int_equal(e->word, SL_NEIGH_WORD(mac64(mac_nbr), SL_NEIGH_REACHABLE));
	assert_int_equal(e->confirmed_tsc, now + HZ / 10);
	/* From now on the worker rewrites by itself. */
	f_udp4(&f, mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 64, 0, 60);
	m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, now), 1);
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, &m, 1, now), 1);
	rte_pktmbuf_free(m);
	expect_drops(&cst, DROPS([SL_DROP_NEIGHBOR_PENDING_FULL] = 1));
}

static void test_resolve_nd(void **state)
{
	const uint64_t now = 9 * HZ;
	struct frame f, g;
	uint8_t nbr[16], us[16];
	(void)state;

	memcpy(nbr, a6("fd00:2::9").b, 16);
	memcpy(us, a6("fd00:2::1").b, 16);
	f_udp6(&f, a6("fd00:1::7").b, nbr, 64, 100);
	struct rte_mbuf *m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, now), 1);
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, &m, 1, now), 0);
	assert_int_equal(pump(now), 1);
	assert_int_equal(E.n_tx, 1);
	expect_ns(&E.tx[0], WAN, us, nbr);
	tx_clear();

	/* A solicited advertisement with the target's link-layer address. */
	f_nd(&g, mac_wan, mac_nbr, nbr, us, 255, 136, 0x60000000, nbr, 2, mac_nbr);
	m = rx1(&g, WAN);
	assert_int_equal(sl_ipstack_input_burst(&E.w, &m, 1, now), 0);
	assert_int_equal(pump(now + 1), 1);
	assert_int_equal(E.n_tx, 1);
	f.b[f.l3 + 7]--;
	relink(&f, mac_nbr, mac_wan);
	assert_int_equal(E.tx[0].port, WAN);
	expect_bytes(E.tx[0].m, &f);
	struct sl_neigh_key k;
	sl_neigh_key_v6(&k, WAN, nbr);
	assert_int_equal(sl_neigh_lookup(E.nt, &k),
			 SL_NEIGH_WORD(mac64(mac_nbr), SL_NEIGH_REACHABLE));
	expect_drops(&cst, NO_DROPS);
}

static void test_timers_fail_and_expire(void **state)
{
	const uint64_t t0 = 20 * HZ;
	struct frame f;
	(void)state;

	route_to_punt(IP4(10, 2, 0, 9), t0);
	route_to_punt(IP4(10, 2, 0, 9), t0);
	assert_int_equal(pump(t0), 2);
	assert_int_equal(E.n_tx, 1);
	tx_clear();
	/* One solicitation per SL_NEIGH_RETRANS_MS, SL_NEIGH_MAX_PROBES in all. */
	for (unsigned p = 1; p < SL_NEIGH_MAX_PROBES; p++) {
		sl_ipstack_ctl_timers(&E.c, tab_a, t0 + p * RETRANS - 1);
		assert_int_equal(E.n_tx, 0);
		sl_ipstack_ctl_timers(&E.c, tab_a, t0 + p * RETRANS);
		assert_int_equal(E.n_tx, 1);
		expect_arp(&E.tx[0], WAN, mac_bcast, 1, IP4(10, 2, 0, 1), mac_zero, IP4(10, 2, 0, 9));
		tx_clear();
		assert_int_equal(SL_NEIGH_WORD_STATE(neigh_word4(WAN, IP4(10, 2, 0, 9))),
				 SL_NEIGH_INCOMPLETE);
	}
	const uint64_t t_fail = t0 + SL_NEIGH_MAX_PROBES * RETRANS;
	sl_ipstack_ctl_timers(&E.c, tab_a, t_fail - 1);
	expect_drops(&cst, NO_DROPS);
	sl_ipstack_ctl_timers(&E.c, tab_a, t_fail);
	assert_int_equal(E.n_tx, 0);
	assert_int_equal(neigh_word4(WAN, IP4(10, 2, 0, 9)), SL_NEIGH_WORD(0, SL_NEIGH_FAILED));
	expect_drops(&cst, DROPS([SL_DROP_NEIGHBOR_FAILED] = 2));

	/* While failed: the worker drops, and so does the management lcore. */
	f_udp4(&f, mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 64, 0, 60);
	struct rte_mbuf *m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, t_fail), 1);
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, &m, 1, t_fail), 0);
	expect_drops(&wst, DROPS([SL_DROP_NEIGHBOR_FAILED] = 1));
	m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, t_fail), 1);
	sl_pkt_meta(m)->flags |= SL_PKT_F_NEEDS_NEIGHBOR;
	sl_ipstack_ctl_input(&E.c, tab_a, m, t_fail);
	expect_drops(&cst, DROPS([SL_DROP_NEIGHBOR_FAILED] = 3));

	/* Removed SL_NEIGH_FAILED_HOLD_S later, silently. */
	sl_ipstack_ctl_timers(&E.c, tab_a, t_fail + SL_NEIGH_FAILED_HOLD_S * HZ - 1);
	assert_int_equal(SL_NEIGH_WORD_STATE(neigh_word4(WAN, IP4(10, 2, 0, 9))), SL_NEIGH_FAILED);
	sl_ipstack_ctl_timers(&E.c, tab_a, t_fail + SL_NEIGH_FAILED_HOLD_S * HZ);
	assert_int_equal(neigh_word4(WAN, IP4(10, 2, 0, 9)), 0);
	assert_int_equal(E.n_tx, 0);
	expect_drops(&cst, DROPS([SL_DROP_NEIGHBOR_FAILED] = 3));
}

static void test_timers_reachable_to_stale(void **state)
{
	const uint64_t t1 = 30 * HZ, t_stale = t1 + SL_NEIGH_REACHABLE_S * HZ;
	struct frame f;
	(void)state;

	f_arp(&f, mac_bcast, mac_host, 1, mac_host, IP4(10, 1, 0, 7), mac_zero, IP4(10, 1, 0, 1));
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), t1);
	tx_clear();
	sl_ipstack_ctl_timers(&E.c, tab_a, t_stale - 1);
	assert_int_equal(E.n_tx, 0);
	assert_int_equal(neigh_word4(LAN, IP4(10, 1, 0, 7)),
			 SL_NEIGH_WORD(mac64(mac_host), SL_NEIGH_REACHABLE));
	sl_ipstack_ctl_timers(&E.c, tab_a, t_stale);
	assert_int_equal(E.n_tx, 1);
	expect_arp(&E.tx[0], LAN, mac_bcast, 1, IP4(10, 1, 0, 1), mac_zero, IP4(10, 1, 0, 7));
	tx_clear();
	assert_int_equal(neigh_word4(LAN, IP4(10, 1, 0, 7)),
			 SL_NEIGH_WORD(mac64(mac_host), SL_NEIGH_STALE));
	/* Stale still forwards. */
	f_udp4(&f, mac_wan, IP4(10, 2, 0, 9), IP4(10, 1, 0, 7), 64, 0, 60);
	memcpy(f.b + 6, mac_nbr, 6);
	struct rte_mbuf *m = rx1(&f, WAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, t_stale), 1);
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, &m, 1, t_stale), 1);
	rte_pktmbuf_free(m);
	/* The answer makes it reachable again, for another SL_NEIGH_REACHABLE_S. */
	f_arp(&f, mac_lan, mac_host, 2, mac_host, IP4(10, 1, 0, 7), mac_lan, IP4(10, 1, 0, 1));
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), t_stale + 5);
	assert_int_equal(E.n_tx, 0);
	assert_int_equal(neigh_word4(LAN, IP4(10, 1, 0, 7)),
			 SL_NEIGH_WORD(mac64(mac_host), SL_NEIGH_REACHABLE));
	sl_ipstack_ctl_timers(&E.c, tab_a, t_stale + SL_NEIGH_REACHABLE_S * HZ + 4);
	assert_int_equal(E.n_tx, 0);
	/* Unanswered re-confirmation: MAX_PROBES probes, then failed. */
	uint64_t t2 = t_stale + 5 + SL_NEIGH_REACHABLE_S * HZ;
	for (unsigned p = 0; p < SL_NEIGH_MAX_PROBES; p++)
		sl_ipstack_ctl_timers(&E.c, tab_a, t2 + p * RETRANS);
	assert_int_equal(E.n_tx, SL_NEIGH_MAX_PROBES);
	sl_ipstack_ctl_timers(&E.c, tab_a, t2 + SL_NEIGH_MAX_PROBES * RETRANS);
	assert_int_equal(E.n_tx, SL_NEIGH_MAX_PROBES);
	assert_int_equal(neigh_word4(LAN, IP4(10, 1, 0, 7)), SL_NEIGH_WORD(0, SL_NEIGH_FAILED));
	expect_drops(&cst, NO_DROPS);
}

static void test_ns_for_us(void **state)
{
	static const uint8_t sn1[6] = {0x33, 0x33, 0xff, 0x00, 0x00, 0x01};
	struct frame f, want;
	uint8_t host[16], us[16], group[16], ll_host[16], ll_us[16];
	(void)state;

	memcpy(host, a6("fd00:1::7").b, 16);
	memcpy(us, a6("fd00:1::1").b, 16);
	memcpy(group, a6("ff02::1:ff00:1").b, 16);
	memcpy(ll_host, a6("fe80::7").b, 16);
	memcpy(ll_us, tab_a->ports[LAN].ipv6_ll, 16);

	f_nd(&f, sn1, mac_host, host, group, 255, 135, 0, us, 1, mac_host);
	struct rte_mbuf *m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_input_burst(&E.w, &m, 1, 0), 0);
	assert_int_equal(pump(HZ), 1);
	assert_int_equal(E.n_tx, 1);
	f_nd(&want, mac_host, mac_lan, us, host, 255, 136, 0xe0000000, us, 2, mac_lan);
	assert_int_equal(E.tx[0].port, LAN);
	expect_bytes(E.tx[0].m, &want);
	const struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(E.tx[0].m, const void *, 14);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(ip, ip + 1), 0);
	tx_clear();
	struct sl_neigh_key k;
	sl_neigh_key_v6(&k, LAN, host);
	assert_int_equal(sl_neigh_lookup(E.nt, &k),
			 SL_NEIGH_WORD(mac64(mac_host), SL_NEIGH_REACHABLE));

	/* For our link-local address, from a link-local one, without SLLA. */
	f_nd(&f, mac_lan, mac_other, ll_host, ll_us, 255, 135, 0, ll_us, 0, NULL);
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	assert_int_equal(E.n_tx, 1);
	f_nd(&want, mac_other, mac_lan, ll_us, ll_host, 255, 136, 0xe0000000, ll_us, 2, mac_lan);
	expect_bytes(E.tx[0].m, &want);
	tx_clear();

	/* Ignored: routed (hop limit 254), not our target, duplicate address detection. */
	f_nd(&f, sn1, mac_host, host, group, 254, 135, 0, us, 1, mac_host);
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	f_nd(&f, sn1, mac_host, host, group, 64, 135, 0, us, 1, mac_host);
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	f_nd(&f, sn1, mac_host, host, group, 255, 135, 0, a6("fd00:1::50").b, 1, mac_host);
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	f_nd(&f, sn1, mac_host, a6("::").b, group, 255, 135, 0, us, 0, NULL);
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	assert_int_equal(E.n_tx, 0);
	/* An NA with hop limit 64 does not confirm anything either. */
	sl_neigh_set(sl_neigh_get(E.nt, &k), NULL, SL_NEIGH_INCOMPLETE);
	f_nd(&f, mac_lan, mac_host, host, us, 64, 136, 0x60000000, host, 2, mac_host);
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	assert_int_equal(SL_NEIGH_WORD_STATE(sl_neigh_lookup(E.nt, &k)), SL_NEIGH_INCOMPLETE);
	expect_drops(&cst, NO_DROPS);
}

/* Static neighbors from the config: PERMANENT, never probed, never overridden. */
static void test_static_neighbors(void **state)
{
	static const char *const text =
		"{'ports':["
		" {'name':'lan','device':'net_null0','ipv4':['10.1.0.1/24'],'ipv6':['fd00:1::1/64']},"
		" {'name':'wan','device':'net_null1','mtu':1400,'ipv4':['10.2.0.1/24'],"
		"  'ipv6':['fd00:2::1/64']}],"
		" 'neighbors':["
		"  {'port':'wan','address':'10.2.0.9','mac':'02:66:77:88:99:aa'},"
		"  {'port':'lan','address':'fd00:1::7','mac':'02:11:22:33:44:55'}]}";
	struct sl_config *cfg = parse_cfg(text);
	struct sl_neigh_key k6;
	struct frame f;
	(void)state;

	assert_non_null(cfg);
	sl_neigh_key_v6(&k6, LAN, a6("fd00:1::7").b);
	/* A packet already waits for 10.2.0.9: the static entry releases it. */
	struct frame want = route_to_punt(IP4(10, 2, 0, 9), HZ);
	assert_int_equal(pump(HZ), 1);
	tx_clear();
	sl_ipstack_ctl_sync_static(&E.c, tab_a, cfg, 2 * HZ);
	assert_int_equal(E.n_tx, 1);
	relink(&want, mac_nbr, mac_wan);
	expect_bytes(E.tx[0].m, &want);
	tx_clear();
	assert_int_equal(neigh_word4(WAN, IP4(10, 2, 0, 9)),
			 SL_NEIGH_WORD(mac64(mac_nbr), SL_NEIGH_PERMANENT));
	assert_int_equal(sl_neigh_lookup(E.nt, &k6),
			 SL_NEIGH_WORD(mac64(mac_host), SL_NEIGH_PERMANENT));
	/* ARP does not override it, timers never touch it, workers use it. */
	f_arp(&f, mac_wan, mac_other, 2, mac_other, IP4(10, 2, 0, 9), mac_wan, IP4(10, 2, 0, 1));
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, WAN), 3 * HZ);
	sl_ipstack_ctl_timers(&E.c, tab_a, 1000 * HZ);
	assert_int_equal(E.n_tx, 0);
	assert_int_equal(neigh_word4(WAN, IP4(10, 2, 0, 9)),
			 SL_NEIGH_WORD(mac64(mac_nbr), SL_NEIGH_PERMANENT));
	f_udp4(&f, mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 64, 0, 60);
	struct rte_mbuf *m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 1);
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, &m, 1, 0), 1);
	rte_pktmbuf_free(m);
	/* A config without them removes them, and only them. */
	f_arp(&f, mac_bcast, mac_host, 1, mac_host, IP4(10, 1, 0, 7), mac_zero, IP4(10, 1, 0, 1));
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), 3 * HZ);
	tx_clear();
	sl_ipstack_ctl_sync_static(&E.c, tab_a, cfg_a, 4 * HZ);
	assert_int_equal(neigh_word4(WAN, IP4(10, 2, 0, 9)), 0);
	assert_int_equal(sl_neigh_lookup(E.nt, &k6), 0);
	assert_int_equal(neigh_word4(LAN, IP4(10, 1, 0, 7)),
			 SL_NEIGH_WORD(mac64(mac_host), SL_NEIGH_REACHABLE));
	assert_int_equal(E.n_tx, 0);
	expect_drops(&cst, NO_DROPS);
	sl_config_free(cfg);
}

/* RFC 4861 7.1.1: a neighbor solicitation with a wrong ICMPv6 checksum is dropped. */
static void test_ns_bad_checksum(void **state)
{
	static const uint8_t sn1[6] = {0x33, 0x33, 0xff, 0x00, 0x00, 0x01};
	struct frame f;
	uint8_t host[16], us[16];
	(void)state;

	memcpy(host, a6("fd00:1::7").b, 16);
	memcpy(us, a6("fd00:1::1").b, 16);
	f_nd(&f, sn1, mac_host, host, a6("ff02::1:ff00:1").b, 255, 135, 0, us, 1, mac_host);
	f.b[f.l4 + 2] ^= 0x01;
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	struct sl_neigh_key k;
	sl_neigh_key_v6(&k, LAN, host);
	assert_int_equal(sl_neigh_lookup(E.nt, &k), 0);
	assert_int_equal(E.n_tx, 0);
}

/*
 * Link-local peers: a ping to our link-local address from a neighbor's
 * link-local address is answered on the port it came in by, and a packet
 * from a link-local source that would leave the link gets "beyond scope".
 */
static void test_link_local_replies(void **state)
{
	struct frame f, g, reply;
	struct rte_mbuf *m;
	uint8_t ll_host[16], ll_us[16];
	(void)state;

	memcpy(ll_host, a6("fe80::7").b, 16);
	memcpy(ll_us, tab_a->ports[LAN].ipv6_ll, 16);
	f_eth(&f, mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV6);
	f_ip6(&f, ll_host, ll_us, IPPROTO_ICMPV6, 64);
	f_icmp(&f, 128, 0, 0x00070001);
	f_fin(&f);
	f_eth(&reply, mac_host, mac_lan, -1, RTE_ETHER_TYPE_IPV6);
	f_ip6(&reply, ll_us, ll_host, IPPROTO_ICMPV6, 64);
	f_icmp(&reply, 129, 0, 0x00070001);
	f_fin(&reply);
	m = rx1(&f, LAN);
	uint16_t n = sl_ipstack_route_burst(&E.w, &m, 1, 0);
	expect_drops(&wst, NO_DROPS);
	assert_int_equal(n, 1);
	assert_int_equal(sl_pkt_meta(m)->out_port, LAN);
	assert_memory_equal(sl_pkt_ipv6(m), reply.b + reply.l3, reply.len - reply.l3);
	/* The neighbor is unknown: solicited from our link-local address. */
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, &m, 1, 0), 0);
	assert_int_equal(pump(HZ), 1);
	assert_int_equal(E.n_tx, 1);
	expect_ns(&E.tx[0], LAN, ll_us, ll_host);
	tx_clear();
	f_nd(&g, mac_lan, mac_host, ll_host, ll_us, 255, 136, 0x60000000, ll_host, 2, mac_host);
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&g, LAN), HZ);
	assert_int_equal(E.n_tx, 1);
	assert_int_equal(E.tx[0].port, LAN);
	expect_bytes(E.tx[0].m, &reply);
	tx_clear();

	/* From a link-local source to a global destination: beyond scope. */
	f_udp6(&f, ll_host, a6("fd00:2::9").b, 64, 100);
	m = rx1(&f, LAN);
	n = sl_ipstack_route_burst(&E.w, &m, 1, 0);
	expect_drops(&wst, DROPS([SL_DROP_IPV6_BAD_SOURCE] = 1));
	assert_int_equal(n, 1);
	assert_int_equal(wst.icmp_errors_sent, 1);
	expect_icmp6(m, &f, 1, 2, 0);
	rte_pktmbuf_free(m);
	expect_drops(&cst, NO_DROPS);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, env_setup, env_teardown)
	const struct CMUnitTest tests[] = {
		T(test_arp_request_for_us),
		T(test_arp_ignored),
		T(test_learning_bounded),
		T(test_resolve_arp),
		T(test_resolve_nd),
		T(test_timers_fail_and_expire),
		T(test_timers_reachable_to_stale),
		T(test_ns_for_us),
		T(test_static_neighbors),
		T(test_ns_bad_checksum),
		T(test_link_local_replies),
	};
#undef T
	return cmocka_run_group_tests_name("ipstack_ctl", tests, group_setup, group_teardown);
}

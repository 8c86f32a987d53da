/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker stages of the IP stack: input (L2 acceptance, control punts), route
 * (FIB, local delivery, TTL, MTU, ICMP errors) and neighbor (L2 rewrite).
 *
 * Principles: one FIB lookup per packet, done in bulk per family; the
 * routing decision is a next-hop index, so later stages and the management
 * lcore look the same facts up again without a second FIB walk. ICMP errors
 * replace the packet they are about in the burst (one in, at most one out),
 * so a burst never grows. Errors are budgeted per worker by a token bucket.
 */
#include <string.h>

#include <rte_icmp.h>
#include <rte_udp.h>

#include "ipstack_priv.h"

#define ICMP_RATE_DEFAULT 1000  /* errors per second per worker */
#define ICMP_BURST_DEFAULT 100

void sl_ipstack_worker_init(struct sl_ipstack_worker *w, struct sl_neigh_table *neigh,
			    struct rte_ring *punt, struct rte_mempool *pool,
			    struct sl_lcore_stats *st, uint64_t tsc_hz)
{
	memset(w, 0, sizeof(*w));
	w->neigh = neigh;
	w->punt = punt;
	w->pool = pool;
	w->st = st;
	w->tsc_hz = tsc_hz;
	w->icmp_rate = ICMP_RATE_DEFAULT;
	w->icmp_burst = ICMP_BURST_DEFAULT;
}

/* Hand @p n packets to the management lcore; what does not fit is dropped. */
void ipstack_punt(struct sl_ipstack_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	if (n == 0)
		return;
	unsigned sent = rte_ring_mp_enqueue_burst(w->punt, (void **)pkts, n, NULL);
	w->st->punted += sent;
	for (unsigned i = sent; i < n; i++)
		sl_stats_drop(w->st, pkts[i], SL_DROP_PUNT_RING_FULL);
}

static bool is_nd(struct rte_mbuf *m)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	if (meta->l4_proto != IPPROTO_ICMPV6 || !(meta->flags & SL_PKT_F_FIRST_FRAG))
		return false;
	uint8_t type = *(const uint8_t *)sl_pkt_l4(m);
	return type >= 133 && type <= 137;
}

/* 224.0.0.0/24 and ff02::/16: link-scope chatter no router forwards. */
static bool link_local_group(struct rte_mbuf *m)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	if (meta->l3_type == SL_L3_IPV4)
		return (rte_be_to_cpu_32(sl_pkt_ipv4(m)->dst_addr) >> 8) == 0xe00000;
	if (meta->l3_type == SL_L3_IPV6) {
		const uint8_t *d = sl_pkt_ipv6(m)->dst_addr;
		return d[0] == 0xff && (d[1] & 0x0f) == 0x02;
	}
	return false;
}

uint16_t sl_ipstack_input_burst(struct sl_ipstack_worker *w, struct rte_mbuf **pkts,
				uint16_t n, uint64_t now)
{
	struct rte_mbuf *to_punt[n];
	uint16_t keep = 0, np = 0;
	(void)now;
	uint16_t mac_port = UINT16_MAX; /* the port whose MAC is in port_mac */
	uint64_t port_mac = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct sl_pkt_meta *meta = sl_pkt_meta(m);
		bool group = meta->flags & (SL_PKT_F_L2_BCAST | SL_PKT_F_L2_MCAST);
		uint64_t dst;

		if (unlikely(meta->in_port != mac_port)) {
			mac_port = meta->in_port;
			port_mac = 0;
			memcpy(&port_mac, w->t->ports[mac_port].mac.addr_bytes, 6);
		}
		/* Parse vouched for 14 bytes: the first 8 are dst and half of src. */
		memcpy(&dst, rte_pktmbuf_mtod(m, const uint8_t *), 8);
		if (!group && (dst & 0xffffffffffffULL) != port_mac) {
			sl_stats_drop(w->st, m, SL_DROP_L2_OTHER_HOST);
		} else if (meta->l3_type == SL_L3_ARP) {
			to_punt[np++] = m;
		} else if (meta->l3_type == SL_L3_IPV6 && is_nd(m)) {
			to_punt[np++] = m;
		} else if (group || (meta->l3_type == SL_L3_IPV6 && sl_pkt_ipv6(m)->dst_addr[0] == 0xff)) {
			sl_stats_drop(w->st, m, link_local_group(m) ? SL_DROP_LINK_LOCAL_MULTICAST :
					  SL_DROP_MULTICAST);
		} else {
			pkts[keep++] = m;
		}
	}
	ipstack_punt(w, to_punt, np);
	return keep;
}

/*
 * ICMP error budget as a GCRA (the virtual-scheduling form of a token
 * bucket): icmp_tat is when the bucket would next be full-to-empty neutral.
 * An error may go if it is no more than burst - 1 intervals early. Exact in
 * integer cycles: no fractions of a token are lost between calls, and any
 * bucket depth refills after depth / rate seconds.
 */
bool ipstack_icmp_budget(struct sl_ipstack_worker *w, uint64_t now)
{
	if (w->icmp_rate == 0 || w->icmp_burst == 0) {
		w->st->icmp_errors_ratelimited++;
		return false;
	}
	uint64_t interval = w->tsc_hz / w->icmp_rate;
	uint64_t tat = w->icmp_tat > now ? w->icmp_tat : now;
	if (tat - now > (uint64_t)(w->icmp_burst - 1) * interval) {
		w->st->icmp_errors_ratelimited++;
		return false;
	}
	w->icmp_tat = tat + interval;
	return true;
}

/* Route a packet we originate (echo reply, ICMP error) toward its destination. */
bool ipstack_route_local_origin(struct sl_ipstack_worker *w, struct rte_mbuf *m)
{
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	uint32_t idx = meta->l3_type == SL_L3_IPV4 ?
		sl_ipstack_lookup4(w->t, rte_be_to_cpu_32(sl_pkt_ipv4(m)->dst_addr)) :
		sl_ipstack_lookup6(w->t, sl_pkt_ipv6(m)->dst_addr);
	/* A link-local peer is on the link the packet came in by. */
	if (meta->l3_type == SL_L3_IPV6 && ipv6_is_link_local(sl_pkt_ipv6(m)->dst_addr) &&
	    meta->in_port < w->t->n_ports)
		idx = w->t->ports[meta->in_port].ll_nh;
	const struct sl_nexthop *nh = &w->t->nexthops[idx];
	if (nh->type != SL_NH_CONNECTED && nh->type != SL_NH_GATEWAY)
		return false;
	meta->out_port = nh->port;
	meta->nh_index = idx;
	return true;
}

/*
 * Drop @p m for @p reason and, budget permitting, put an ICMP error about it
 * in its place. Returns the replacement or NULL.
 */
struct rte_mbuf *ipstack_reject(struct sl_ipstack_worker *w, struct rte_mbuf *m, uint64_t now,
			       enum sl_drop_reason reason, uint8_t type, uint8_t code, uint32_t info)
{
	struct rte_mbuf *err = NULL;
	if (ipstack_icmp_budget(w, now)) {
		if (w->as_received != NULL)
			w->as_received(w->as_received_arg, m);
		err = sl_icmp_error_build(w->pool, w->t, m, type, code, info);
	}
	sl_stats_drop(w->st, m, reason);
	if (err == NULL)
		return NULL;
	if (!ipstack_route_local_origin(w, err)) {
		rte_pktmbuf_free(err);
		return NULL;
	}
	w->st->icmp_errors_sent++;
	return err;
}

static bool bad_source4(uint32_t src_be)
{
	uint32_t s = rte_be_to_cpu_32(src_be);
	return (s == 0) | (s == UINT32_MAX) | ((s >> 28) == 0xe) | ((s >> 24) == 127);
}

/* TTL - 1, with the header checksum updated to match (RFC 1624). */
static inline void ttl_dec4(struct rte_ipv4_hdr *ip)
{
	uint16_t old = *(uint16_t *)&ip->time_to_live;
	uint16_t new_ = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(old) - 0x0100));
	*(uint16_t *)&ip->time_to_live = new_;
	ip->hdr_checksum = sl_cksum_update16(ip->hdr_checksum, old, new_);
}

/* Every case, each with its precise drop reason or ICMP error. */
static __rte_noinline struct rte_mbuf *forward4_slow(struct sl_ipstack_worker *w,
						     struct rte_mbuf *m, uint32_t idx, uint64_t now)
{
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	struct rte_ipv4_hdr *ip = sl_pkt_ipv4(m);
	const struct sl_nexthop *nh = &w->t->nexthops[idx];

	if (unlikely(bad_source4(ip->src_addr))) {
		sl_stats_drop(w->st, m, SL_DROP_IPV4_BAD_SOURCE);
		return NULL;
	}
	/* RFC 1812 5.3.7: multicast, class E, 0/8 and 127/8 are never forwarded. */
	uint32_t d = rte_be_to_cpu_32(ip->dst_addr);
	if (unlikely((d >> 28) >= 0xe || (d >> 24) == 0 || (d >> 24) == 127)) {
		sl_stats_drop(w->st, m, (d >> 28) == 0xe || d == UINT32_MAX ?
			      SL_DROP_MULTICAST : SL_DROP_NO_ROUTE);
		return NULL;
	}
	switch (nh->type) {
	case SL_NH_CONNECTED:
	case SL_NH_GATEWAY:
		break;
	case SL_NH_LOCAL:
		return ipstack_local_deliver(w, m, now);
	case SL_NH_BLACKHOLE:
		sl_stats_drop(w->st, m, SL_DROP_BLACKHOLE);
		return NULL;
	case SL_NH_BROADCAST:
		sl_stats_drop(w->st, m, SL_DROP_MULTICAST);
		return NULL;
	case SL_NH_UNREACHABLE:
		return ipstack_reject(w, m, now, SL_DROP_NO_ROUTE, 3, 1, 0);
	default:
		return ipstack_reject(w, m, now, SL_DROP_NO_ROUTE, 3, 0, 0);
	}
	if (unlikely(ip->time_to_live <= 1))
		return ipstack_reject(w, m, now, SL_DROP_TTL_EXCEEDED, 11, 0, 0);
	uint16_t mtu = w->t->ports[nh->port].mtu;
	if (unlikely(meta->ip_len > mtu)) {
		if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG))
			return ipstack_reject(w, m, now, SL_DROP_MTU_EXCEEDED, 3, 4, mtu);
	}
	ttl_dec4(ip);
	meta->out_port = nh->port;
	meta->nh_index = idx;
	if (unlikely(meta->ip_len > mtu)) {
		/* No DF: fragmenting is the management lcore's slow path. */
		meta->flags |= SL_PKT_F_NEEDS_FRAGMENT;
		ipstack_punt(w, &m, 1);
		return NULL;
	}
	return m;
}

/* What forward4() needs of the last next hop it saw: bursts mostly share one. */
struct nh_seen {
	uint32_t idx;      /**< UINT32_MAX: none yet */
	bool unicast;      /**< CONNECTED or GATEWAY */
	uint16_t port, mtu;
};

/*
 * The common case tested in one branch: a unicast next hop, sane addresses,
 * TTL left, fits the MTU. Anything else goes to forward4_slow(), which tests
 * the same things one by one.
 */
static inline struct rte_mbuf *forward4(struct sl_ipstack_worker *w, struct rte_mbuf *m,
					uint32_t idx, struct nh_seen *seen, uint64_t now)
{
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	struct rte_ipv4_hdr *ip = sl_pkt_ipv4(m);

	if (unlikely(idx != seen->idx)) {
		const struct sl_nexthop *nh = &w->t->nexthops[idx];
		seen->idx = idx;
		seen->unicast = nh->type == SL_NH_GATEWAY || nh->type == SL_NH_CONNECTED;
		seen->port = nh->port;
		seen->mtu = seen->unicast ? w->t->ports[nh->port].mtu : 0;
	}
	uint32_t d = rte_be_to_cpu_32(ip->dst_addr);
	bool unusual = !seen->unicast;
	unusual |= bad_source4(ip->src_addr);
	unusual |= ((d >> 28) >= 0xe) | ((d >> 24) == 0) | ((d >> 24) == 127);
	unusual |= ip->time_to_live <= 1;
	unusual |= meta->ip_len > seen->mtu;
	if (unlikely(unusual))
		return forward4_slow(w, m, idx, now);
	ttl_dec4(ip);
	meta->out_port = seen->port;
	meta->nh_index = idx;
	return m;
}

static struct rte_mbuf *forward6(struct sl_ipstack_worker *w, struct rte_mbuf *m,
				 uint32_t idx, uint64_t now)
{
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	struct rte_ipv6_hdr *ip = sl_pkt_ipv6(m);
	const struct sl_nexthop *nh = &w->t->nexthops[idx];

	if (unlikely(ip->src_addr[0] == 0xff || ipv6_is_unspecified(ip->src_addr))) {
		sl_stats_drop(w->st, m, SL_DROP_IPV6_BAD_SOURCE);
		return NULL;
	}
	if (nh->type == SL_NH_LOCAL)
		return ipstack_local_deliver(w, m, now);
	if (unlikely(ipv6_is_link_local(ip->dst_addr))) {
		sl_stats_drop(w->st, m, SL_DROP_NO_ROUTE);
		return NULL;
	}
	if (nh->type == SL_NH_BLACKHOLE) {
		sl_stats_drop(w->st, m, SL_DROP_BLACKHOLE);
		return NULL;
	}
	if (nh->type != SL_NH_CONNECTED && nh->type != SL_NH_GATEWAY)
		return ipstack_reject(w, m, now, SL_DROP_NO_ROUTE, 1, 0, 0);
	if (unlikely(ipv6_is_link_local(ip->src_addr)))
		return ipstack_reject(w, m, now, SL_DROP_IPV6_BAD_SOURCE, 1, 2, 0);
	if (unlikely(ip->hop_limits <= 1))
		return ipstack_reject(w, m, now, SL_DROP_TTL_EXCEEDED, 3, 0, 0);
	uint16_t mtu = w->t->ports[nh->port].mtu;
	if (unlikely(meta->ip_len > mtu))
		return ipstack_reject(w, m, now, SL_DROP_MTU_EXCEEDED, 2, 0, mtu);
	ip->hop_limits--;
	meta->out_port = nh->port;
	meta->nh_index = idx;
	return m;
}

uint16_t sl_ipstack_route_burst(struct sl_ipstack_worker *w, struct rte_mbuf **pkts,
				uint16_t n, uint64_t now)
{
	uint32_t ip4[n];
	uint8_t ip6[n][16];
	uint64_t nh4[n], nh6[n];
	uint16_t n4 = 0, n6 = 0, keep = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		if (sl_pkt_meta(m)->l3_type == SL_L3_IPV4)
			ip4[n4++] = rte_be_to_cpu_32(sl_pkt_ipv4(m)->dst_addr);
		else
			memcpy(ip6[n6++], sl_pkt_ipv6(m)->dst_addr, 16);
	}
	if (n4)
		rte_fib_lookup_bulk(w->t->fib4, ip4, nh4, n4);
	if (n6)
		rte_fib6_lookup_bulk(w->t->fib6, ip6, nh6, n6);
	n4 = n6 = 0;
	struct nh_seen seen = {.idx = UINT32_MAX};
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_mbuf *out = sl_pkt_meta(m)->l3_type == SL_L3_IPV4 ?
			forward4(w, m, (uint32_t)nh4[n4++], &seen, now) :
			forward6(w, m, (uint32_t)nh6[n6++], now);
		if (out != NULL)
			pkts[keep++] = out;
	}
	return keep;
}

/*
 * A gateway found usable earlier in the burst: the packets after it that go
 * the same way take its Ethernet header without another look (the burst sees
 * the neighbor as it was when the burst reached it).
 */
struct gw_seen {
	uint32_t nh;                          /**< UINT32_MAX: none yet */
	uint64_t mac;
	const struct sl_ipstack_port *port;
	uint64_t hdr0;                        /**< the header as 8 + 4 + 2 bytes */
	uint32_t hdr1;
	uint16_t hdr2;
};

/* Remember @p m's freshly written header as the one for next hop @p nh. */
static inline void gw_seen_set(struct gw_seen *g, uint32_t nh, uint64_t mac,
			       const struct sl_ipstack_port *port, const struct rte_mbuf *m)
{
	const uint8_t *eth = rte_pktmbuf_mtod(m, const uint8_t *);
	g->nh = nh;
	g->mac = mac;
	g->port = port;
	memcpy(&g->hdr0, eth, 8);
	memcpy(&g->hdr1, eth + 8, 4);
	memcpy(&g->hdr2, eth + 12, 2);
}

static inline void gw_seen_write(const struct gw_seen *g, struct rte_mbuf *m)
{
	if (unlikely(sl_pkt_meta(m)->l2_len != RTE_ETHER_HDR_LEN)) {
		l2_rewrite(m, g->port, g->mac); /* drops the VLAN tag too */
		return;
	}
	uint8_t *eth = rte_pktmbuf_mtod(m, uint8_t *);
	memcpy(eth, &g->hdr0, 8);
	memcpy(eth + 8, &g->hdr1, 4);
	memcpy(eth + 12, &g->hdr2, 2);
}

/*
 * The neighbor word (MAC and state) for @p m via @p nh, 0 if there is no
 * entry. The entry is kept in w->last_neigh across bursts; only its
 * position is kept, the word is read anew.
 */
static inline uint64_t neighbor_word(struct sl_ipstack_worker *w, struct rte_mbuf *m,
				     const struct sl_nexthop *nh, uint64_t deletes)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	uint64_t a0 = 0, a1 = 0;
	if (nh->type != SL_NH_GATEWAY) {
		if (meta->l3_type == SL_L3_IPV4) {
			a0 = sl_pkt_ipv4(m)->dst_addr;
		} else {
			memcpy(&a0, sl_pkt_ipv6(m)->dst_addr, 8);
			memcpy(&a1, sl_pkt_ipv6(m)->dst_addr + 8, 8);
		}
	}
	if (w->last_neigh.e == NULL || meta->nh_index != w->last_neigh.nh_index ||
	    a0 != w->last_neigh.a0 || a1 != w->last_neigh.a1) {
		struct sl_neigh_key key;
		neigh_key_for(&key, m, nh);
		w->last_neigh.e = sl_neigh_find(w->neigh, &key);
		w->last_neigh.t = w->t;
		w->last_neigh.gen = w->t->generation;
		w->last_neigh.deletes = deletes;
		w->last_neigh.nh_index = meta->nh_index;
		w->last_neigh.a0 = a0;
		w->last_neigh.a1 = a1;
	}
	return likely(w->last_neigh.e != NULL) ?
		__atomic_load_n(&w->last_neigh.e->word, __ATOMIC_ACQUIRE) : 0;
}

uint16_t sl_ipstack_neighbor_burst(struct sl_ipstack_worker *w, struct rte_mbuf **pkts,
				   uint16_t n, uint64_t now)
{
	struct rte_mbuf *to_punt[n];
	struct gw_seen gw = {.nh = UINT32_MAX};
	uint16_t keep = 0, np = 0;
	uint64_t deletes = __atomic_load_n(&w->neigh->deletes, __ATOMIC_ACQUIRE);
	(void)now;

	if (w->last_neigh.deletes != deletes || w->last_neigh.t != w->t ||
	    w->last_neigh.gen != w->t->generation)
		w->last_neigh.e = NULL;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct sl_pkt_meta *meta = sl_pkt_meta(m);
		if (meta->nh_index == gw.nh) {
			gw_seen_write(&gw, m);
			pkts[keep++] = m;
			continue;
		}
		const struct sl_nexthop *nh = &w->t->nexthops[meta->nh_index];
		uint64_t word = neighbor_word(w, m, nh, deletes);
		if (likely(neigh_usable(word))) {
			const struct sl_ipstack_port *port = &w->t->ports[nh->port];
			l2_rewrite(m, port, word & 0xffffffffffffULL);
			pkts[keep++] = m;
			if (nh->type == SL_NH_GATEWAY)
				gw_seen_set(&gw, meta->nh_index, word & 0xffffffffffffULL, port, m);
		} else if (SL_NEIGH_WORD_STATE(word) == SL_NEIGH_FAILED) {
			sl_stats_drop(w->st, m, SL_DROP_NEIGHBOR_FAILED);
		} else {
			meta->flags |= SL_PKT_F_NEEDS_NEIGHBOR;
			to_punt[np++] = m;
		}
	}
	ipstack_punt(w, to_punt, np);
	return keep;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the worker stages and the management control code. */
#ifndef SL_IPSTACK_PRIV_H
#define SL_IPSTACK_PRIV_H

#include "sl_ipstack.h"

/* fe80::/10 */
static inline bool ipv6_is_link_local(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* :: */
static inline bool ipv6_is_unspecified(const uint8_t *a)
{
	static const uint8_t zero[16];
	return memcmp(a, zero, 16) == 0;
}

/*
 * Write the Ethernet header for @p port towards @p mac64 (the neighbor word's
 * MAC bits), dropping a VLAN tag if the packet came in with one: the egress
 * port is untagged. The IP header does not move; the frame start does.
 */
static inline void
l2_rewrite(struct rte_mbuf *m, const struct sl_ipstack_port *port, uint64_t mac64)
{
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	if (meta->l2_len > RTE_ETHER_HDR_LEN) {
		rte_pktmbuf_adj(m, (uint16_t)(meta->l2_len - RTE_ETHER_HDR_LEN));
		meta->l2_len = RTE_ETHER_HDR_LEN;
		meta->flags &= (uint16_t)~SL_PKT_F_VLAN;
	}
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	memcpy(eth->dst_addr.addr_bytes, &mac64, 6);
	rte_ether_addr_copy(&port->mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(meta->l3_type == SL_L3_IPV4 ?
					   RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
}

/* The neighbor a routed packet needs: gateway, or the destination itself. */
static inline void
neigh_key_for(struct sl_neigh_key *k, struct rte_mbuf *m, const struct sl_nexthop *nh)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	if (meta->l3_type == SL_L3_IPV4) {
		uint32_t a = nh->type == SL_NH_GATEWAY ? nh->gw.v4 : sl_pkt_ipv4(m)->dst_addr;
		sl_neigh_key_v4(k, nh->port, a);
	} else {
		sl_neigh_key_v6(k, nh->port, nh->type == SL_NH_GATEWAY ? nh->gw.v6 :
				sl_pkt_ipv6(m)->dst_addr);
	}
}

static inline bool neigh_usable(uint64_t word)
{
	uint8_t s = SL_NEIGH_WORD_STATE(word);
	return s == SL_NEIGH_REACHABLE || s == SL_NEIGH_STALE || s == SL_NEIGH_PERMANENT;
}

/* sl_fwd.c: shared with the local-in dispatch (sl_localin.c). */

/* Hand @p n packets to the management lcore; what does not fit is dropped. */
void ipstack_punt(struct sl_ipstack_worker *w, struct rte_mbuf **pkts, uint16_t n);
/* The ICMP error budget (GCRA): true if one more error (or reset) may go now. */
bool ipstack_icmp_budget(struct sl_ipstack_worker *w, uint64_t now);
/* Route a packet sluice originates (echo reply, ICMP error) to its destination. */
bool ipstack_route_local_origin(struct sl_ipstack_worker *w, struct rte_mbuf *m);
/*
 * Drop @p m for @p reason and, budget permitting, put an ICMP error about it
 * in its place. Returns the replacement or NULL.
 */
struct rte_mbuf *ipstack_reject(struct sl_ipstack_worker *w, struct rte_mbuf *m, uint64_t now,
				enum sl_drop_reason reason, uint8_t type, uint8_t code,
				uint32_t info);

/* sl_localin.c: deliver a packet route found addressed to sluice. */
struct rte_mbuf *ipstack_local_deliver(struct sl_ipstack_worker *w, struct rte_mbuf *m,
				       uint64_t now);

#endif

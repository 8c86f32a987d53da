/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the flow stage (sl_flow_stage.c) and NAT (sl_flow_nat.c). */
#ifndef SL_FLOW_PRIV_H
#define SL_FLOW_PRIV_H

#include "sl_flow.h"
#include "sl_pkt.h"

/*
 * Rewrite the destination side (pre route) or the source side (post route)
 * of @p m, a packet of NATed connection @p f in direction @p dir, so that
 * the packet leaves as the other direction's key inverted: what the peer
 * on that side expects to see. Checksums are updated incrementally.
 */
void flow_nat_dst(const struct sl_flow_table *t, const struct sl_flow *f, enum sl_flow_dir dir,
		  struct rte_mbuf *m);
void flow_nat_src(const struct sl_flow_table *t, const struct sl_flow *f, enum sl_flow_dir dir,
		  struct rte_mbuf *m);

/*
 * An ICMP error @p m about a packet of NATed connection @p f, travelling in
 * direction @p dir: its destination, its source when the peer sent it, and
 * the quoted packet inside are shown as the receiver sent or expects them.
 */
void flow_nat_related(const struct sl_flow_table *t, const struct sl_flow *f, enum sl_flow_dir dir,
		      struct rte_mbuf *m);

/*
 * Source NAT for new connection @p idx (owned by @p c's worker) by rule
 * @p r: a free port (ICMP: identifier) in the worker's share of the rule's
 * range, the reply key changed to it. 0, or -ENOSPC when none was free.
 */
int flow_snat_bind(struct sl_flow_worker_ctx *c, uint32_t idx, const struct sl_flow_snat *r);

/* The first source NAT rule for a connection of family @p af from @p src leaving by @p port. */
const struct sl_flow_snat *flow_snat_match(const struct sl_flow_policy *pol, uint16_t port,
					   uint8_t af, const uint8_t *src);

/*
 * A TCP SYN @p m leaving by a port of L3 MTU @p mtu: lower its MSS option to
 * what fits (MTU - 40 for IPv4, - 60 for IPv6). True if it was lowered.
 */
bool flow_mss_clamp(struct rte_mbuf *m, uint16_t mtu);

#endif

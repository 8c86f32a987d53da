/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the flow stage (sl_flow_stage.c) and NAT (sl_flow_nat.c). */
#ifndef SL_FLOW_PRIV_H
#define SL_FLOW_PRIV_H

#include "sl_flow.h"
#include "sl_pkt.h"

/* ICMP echo in IPv4 or ICMPv6 echo in IPv6: keyed by identifier and type.
 * (ICMP carried in the other family is just a protocol.) */
static inline bool flow_is_echo(uint8_t af, uint8_t proto)
{
	return (proto == IPPROTO_ICMP && af == 4) || (proto == IPPROTO_ICMPV6 && af == 6);
}

/*
 * The TCP option @p kind of length @p len in the header @p th of @p hlen
 * bytes (parse validated the length), or NULL. Stops at a malformed one.
 */
static inline uint8_t *flow_tcp_option(void *th, uint16_t hlen, uint8_t kind, uint8_t len)
{
	uint8_t *o = (uint8_t *)th + 20, *end = (uint8_t *)th + hlen;
	while (o < end) {
		if (o[0] == 0)             /* end of options */
			return NULL;
		if (o[0] == 1) {           /* no-op */
			o++;
			continue;
		}
		if (o + 1 >= end || o[1] < 2 || o + o[1] > end)
			return NULL;
		if (o[0] == kind && o[1] == len)
			return o;
		o += o[1];
	}
	return NULL;
}

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
 * Both at once, before route, for a connection whose translation is
 * settled (not NAT_PENDING): what flow_nat_dst() and flow_nat_src() do,
 * with one checksum adjustment each for IPv4 TCP and UDP.
 */
void flow_nat_both(const struct sl_flow_table *t, const struct sl_flow *f, enum sl_flow_dir dir,
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
 * @p r: a free port (ICMP: identifier) in the rule's range, the reply key
 * changed to it. Replies arrive on sluice port @p reply_port: where its RSS
 * can be followed, a port whose replies it delivers to this worker; else
 * one of the worker's share of the range. 0, or -ENOSPC when none was free.
 */
int flow_snat_bind(struct sl_flow_worker_ctx *c, uint32_t idx, const struct sl_flow_snat *r,
		   uint16_t reply_port);

/* The first source NAT rule for a connection of family @p af from @p src leaving by @p port. */
const struct sl_flow_snat *flow_snat_match(const struct sl_flow_policy *pol, uint16_t port,
					   uint8_t af, const uint8_t *src);

/*
 * A TCP SYN @p m leaving by a port of L3 MTU @p mtu: lower its MSS option to
 * what fits (MTU - 40 for IPv4, - 60 for IPv6). True if it was lowered.
 */
bool flow_mss_clamp(struct rte_mbuf *m, uint16_t mtu);

/* ---- The SYN proxy's packets (sl_flow_synproxy.c) ---- */

/* Answer SYN @p m (key @p k) to a proxied destination with a SYN cookie: @p m
 * becomes the SYN-ACK, routed, in c->answers (or is dropped, counted). */
void flow_proxy_answer(struct sl_flow_worker_ctx *c, const struct sl_flow_policy *pol,
		       struct rte_mbuf *m, const struct sl_flow_key *k, uint64_t now);
/* An ACK @p m with no connection to a proxied destination: when its cookie
 * is good, @p m becomes the SYN for the backend (SL_PKT_F_SYN_PROXIED) and
 * SL_DROP_MAX is returned; else why to drop it (@p m unchanged). */
enum sl_drop_reason flow_proxy_ack(struct sl_flow_worker_ctx *c, const struct sl_flow_policy *pol,
				   struct rte_mbuf *m, const struct sl_flow_key *k, uint64_t now);
/* Connection @p idx was created from such a SYN @p m: it waits for its backend. */
void flow_proxy_open(struct sl_flow_table *t, uint32_t idx, struct rte_mbuf *m);
/* A packet of proxied connection @p idx, before tracking: translated (a
 * client's); false with *why when it cannot go yet (SL_DROP_MAX: held). */
bool flow_proxy_in(struct sl_flow_worker_ctx *c, uint32_t idx, enum sl_flow_dir dir,
		   struct rte_mbuf *m, uint32_t ticks, enum sl_drop_reason *why);
/* A server's packet of proxied connection @p idx, after tracking: translated
 * (0); 1 when it was the backend's SYN-ACK, now the client's ACK to it; -1
 * when it is a SYN-ACK to drop (corrupted, malformed options). */
int flow_proxy_out(struct sl_flow_worker_ctx *c, uint32_t idx, struct rte_mbuf *m);
/* Drop held client packets whose connection waited more than a second. */
void flow_proxy_service(struct sl_flow_worker_ctx *c, uint32_t ticks);
/* Connection @p idx is going: the client packets it held are dropped. */
void flow_proxy_forget(struct sl_flow_worker_ctx *c, uint32_t idx);
/* The TCP header @p tcp of a packet of @p f that went direction @p dir,
 * quoted (an ICMP error about it): its sequence number as its sender sent it. */
void flow_proxy_as_sent(const struct sl_flow_table *t, const struct sl_flow *f,
			enum sl_flow_dir dir, uint8_t *tcp);
/* The SYN made of a client's ACK (SL_PKT_F_SYN_PROXIED) cannot open its
 * connection: dropped for @p why, the client told with a reset it accepts. */
void flow_proxy_refuse(struct sl_flow_worker_ctx *c, struct rte_mbuf *m, enum sl_drop_reason why);

/* Virtual reassembly (sl_flow_frag.c). */
bool flow_frag_follow(struct sl_flow_worker_ctx *c, struct rte_mbuf *m);
int flow_frag_note(struct sl_flow_worker_ctx *c, const struct sl_flow *f, enum sl_flow_dir dir,
		   struct rte_mbuf *m, uint32_t ticks);
void flow_frag_hold(struct sl_flow_worker_ctx *c, struct rte_mbuf *m, uint32_t ticks);
void flow_frag_service(struct sl_flow_worker_ctx *c, uint32_t ticks, unsigned budget);

#endif

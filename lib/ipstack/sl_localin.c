/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Local-in dispatch: what happens to packets addressed to sluice itself.
 *
 * route only decides that a packet is local; a small table in the snapshot,
 * keyed by protocol and destination port (ICMP: the message type), says who
 * takes it. A linear scan is the right structure: the table holds a handful
 * of rules (echo, a probe port range, a tunnel's listen port), and only
 * local traffic pays for it.
 */
#include <errno.h>
#include <string.h>

#include <rte_icmp.h>

#include "ipstack_priv.h"

#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129

void sl_localin_init(struct sl_localin_table *t)
{
	memset(t, 0, sizeof(*t));
	sl_localin_add(t, IPPROTO_ICMP, RTE_IP_ICMP_ECHO_REQUEST, RTE_IP_ICMP_ECHO_REQUEST,
		       SL_LOCALIN_ECHO, 0);
	sl_localin_add(t, IPPROTO_ICMPV6, ICMP6_ECHO_REQUEST, ICMP6_ECHO_REQUEST,
		       SL_LOCALIN_ECHO, 0);
}

int sl_localin_add(struct sl_localin_table *t, uint8_t proto, uint16_t lo, uint16_t hi,
		   enum sl_localin_action action, uint8_t handler)
{
	if (lo > hi || action > SL_LOCALIN_HANDLER || handler >= SL_LOCALIN_MAX_HANDLERS)
		return -EINVAL;
	if (action == SL_LOCALIN_ECHO && proto != IPPROTO_ICMP && proto != IPPROTO_ICMPV6)
		return -EINVAL;
	if (t->n >= SL_LOCALIN_MAX_RULES)
		return -ENOSPC;
	t->rules[t->n++] = (struct sl_localin_rule){
		.proto = proto, .action = (uint8_t)action, .handler = handler, .lo = lo, .hi = hi,
	};
	return 0;
}

/* Turn an echo request into its reply in place and route it back. */
static struct rte_mbuf *echo(struct sl_ipstack_worker *w, struct rte_mbuf *m)
{
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	struct rte_icmp_hdr *icmp = sl_pkt_l4(m);
	uint8_t reply;
	if (meta->l3_type == SL_L3_IPV4) {
		struct rte_ipv4_hdr *ip = sl_pkt_ipv4(m);
		uint32_t a = ip->src_addr;
		ip->src_addr = ip->dst_addr;
		ip->dst_addr = a;
		ip->time_to_live = 64;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = sl_ipv4_header_cksum(ip);
		reply = RTE_IP_ICMP_ECHO_REPLY;
	} else {
		/* The ICMPv6 checksum covers the addresses, but swapping them
		 * leaves the pseudo-header's sum unchanged. */
		struct rte_ipv6_hdr *ip = sl_pkt_ipv6(m);
		uint8_t a[16];
		memcpy(a, ip->src_addr, 16);
		memcpy(ip->src_addr, ip->dst_addr, 16);
		memcpy(ip->dst_addr, a, 16);
		ip->hop_limits = 64;
		reply = ICMP6_ECHO_REPLY;
	}
	icmp->icmp_cksum = sl_cksum_update16(icmp->icmp_cksum,
					     rte_cpu_to_be_16((uint16_t)(icmp->icmp_type << 8)),
					     rte_cpu_to_be_16((uint16_t)(reply << 8)));
	icmp->icmp_type = reply;
	if (ipstack_route_local_origin(w, m))
		return m;
	sl_stats_drop(w->st, m, SL_DROP_NO_ROUTE);
	return NULL;
}

static struct rte_mbuf *refuse(struct sl_ipstack_worker *w, struct rte_mbuf *m, uint64_t now)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	if (meta->l4_proto == IPPROTO_UDP) {
		bool v4 = meta->l3_type == SL_L3_IPV4;
		/* Port unreachable: type 3 code 3, ICMPv6 type 1 code 4. */
		return ipstack_reject(w, m, now, SL_DROP_LOCAL_UNHANDLED, v4 ? 3 : 1, v4 ? 3 : 4, 0);
	}
	sl_stats_drop(w->st, m, SL_DROP_LOCAL_UNHANDLED);
	return NULL;
}

struct rte_mbuf *ipstack_local_deliver(struct sl_ipstack_worker *w, struct rte_mbuf *m,
				       uint64_t now)
{
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	/* Fragments are not reassembled for local delivery: only a whole
	 * packet has the header the table is keyed by. */
	if (meta->flags & SL_PKT_F_FRAGMENT)
		return refuse(w, m, now);
	uint16_t key;
	switch (meta->l4_proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		key = meta->dst_port;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		key = ((const struct rte_icmp_hdr *)sl_pkt_l4(m))->icmp_type;
		break;
	default:
		return refuse(w, m, now);
	}
	const struct sl_localin_rule *r = sl_localin_match(&w->t->localin, meta->l4_proto, key);
	if (r == NULL)
		return refuse(w, m, now);
	switch (r->action) {
	case SL_LOCALIN_ECHO:
		if (((const struct rte_icmp_hdr *)sl_pkt_l4(m))->icmp_code != 0)
			return refuse(w, m, now);
		return echo(w, m);
	case SL_LOCALIN_PUNT:
		meta->flags |= SL_PKT_F_LOCAL_IN;
		ipstack_punt(w, &m, 1);
		return NULL;
	case SL_LOCALIN_HANDLER:
		if (w->localin[r->handler].fn != NULL)
			return w->localin[r->handler].fn(w->localin[r->handler].ctx, m, now);
		return refuse(w, m, now);
	default:
		return refuse(w, m, now);
	}
}

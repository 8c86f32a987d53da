/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP control segments the management lcore originates (health probes:
 * SYN, then RST), routed and resolved like any packet it sends.
 */
#include <errno.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "ipstack_priv.h"

/* The source for a packet to @p dst: the address of the port it leaves by. */
static int pick_source(const struct sl_ipstack_tables *t, uint8_t af, const uint8_t *dst,
		       uint8_t *src)
{
	uint32_t idx;
	if (af == SL_AF_INET) {
		uint32_t d;
		memcpy(&d, dst, 4);
		idx = sl_ipstack_lookup4(t, rte_be_to_cpu_32(d));
	} else {
		idx = sl_ipstack_lookup6(t, dst);
	}
	const struct sl_nexthop *nh = &t->nexthops[idx];
	if (nh->type != SL_NH_CONNECTED && nh->type != SL_NH_GATEWAY)
		return -EHOSTUNREACH;
	const struct sl_ipstack_port *p = &t->ports[nh->port];
	if (af == SL_AF_INET) {
		uint32_t s;
		if (!sl_ipstack_port_src4(p, &s))
			return -EADDRNOTAVAIL;
		memcpy(src, &s, 4);
		return 0;
	}
	sl_ipstack_port_src6(p, src);
	return 0;
}

int sl_ipstack_ctl_send_tcp(struct sl_ipstack_ctl *c, const struct sl_ipstack_tables *t,
			    const struct sl_ctl_tcp *seg, uint64_t now)
{
	bool v4 = seg->af == SL_AF_INET;
	uint16_t l3 = v4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
	uint8_t src[16] = {0};
	if (seg->src != NULL)
		memcpy(src, seg->src, v4 ? 4 : 16);
	else if (pick_source(t, seg->af, seg->dst, src) < 0)
		return -EHOSTUNREACH;
	struct rte_mbuf *m = rte_pktmbuf_alloc(c->pool);
	if (m == NULL || rte_pktmbuf_append(m, (uint16_t)(RTE_ETHER_HDR_LEN + l3 + 20)) == NULL) {
		rte_pktmbuf_free(m);
		c->st->drops[SL_DROP_NO_MBUF]++;
		return -ENOBUFS;
	}
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	memset(meta, 0, sizeof(*meta));
	meta->l2_len = RTE_ETHER_HDR_LEN;
	meta->l3_len = l3;
	meta->l4_len = 20;
	meta->l3_type = v4 ? SL_L3_IPV4 : SL_L3_IPV6;
	meta->l4_proto = IPPROTO_TCP;
	meta->ip_len = (uint32_t)l3 + 20;
	meta->in_port = UINT16_MAX;
	/* What parse would have found: the flow stage reads it. */
	meta->flags = SL_PKT_F_FIRST_FRAG;
	meta->src_port = seg->sport;
	meta->dst_port = seg->dport;
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, RTE_ETHER_HDR_LEN);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + l3);
	memset(ip, 0, (size_t)l3 + 20);
	th->src_port = rte_cpu_to_be_16(seg->sport);
	th->dst_port = rte_cpu_to_be_16(seg->dport);
	th->sent_seq = rte_cpu_to_be_32(seg->seq);
	th->recv_ack = rte_cpu_to_be_32(seg->ack);
	th->data_off = 5 << 4;
	th->tcp_flags = seg->flags;
	th->rx_win = rte_cpu_to_be_16(seg->flags & RTE_TCP_RST_FLAG ? 0 : 64240);
	if (v4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;
		h->version_ihl = 0x45;
		h->total_length = rte_cpu_to_be_16((uint16_t)(l3 + 20));
		h->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		h->time_to_live = 64;
		h->next_proto_id = IPPROTO_TCP;
		memcpy(&h->src_addr, src, 4);
		memcpy(&h->dst_addr, seg->dst, 4);
		h->hdr_checksum = rte_ipv4_cksum(h);
		th->cksum = rte_ipv4_udptcp_cksum(h, th);
	} else {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)ip;
		h->vtc_flow = rte_cpu_to_be_32(6u << 28);
		h->payload_len = rte_cpu_to_be_16(20);
		h->proto = IPPROTO_TCP;
		h->hop_limits = 64;
		memcpy(h->src_addr, src, 16);
		memcpy(h->dst_addr, seg->dst, 16);
		th->cksum = rte_ipv6_udptcp_cksum(h, th);
	}
	if (c->inject != NULL)
		c->inject(c->inject_arg, m);
	else
		sl_ipstack_ctl_route(c, t, m, now);
	return 0;
}

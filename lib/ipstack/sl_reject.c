/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP segments sluice builds itself, and the answers to a packet it
 * refuses on purpose: a TCP reset, or an ICMP "administratively
 * prohibited".
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "ipstack_priv.h"

struct rte_mbuf *sl_tcp_segment_build(struct rte_mempool *pool, const struct sl_ctl_tcp *seg,
				      uint16_t in_port)
{
	bool v4 = seg->af == SL_AF_INET;
	uint16_t l3 = v4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	if (m == NULL || rte_pktmbuf_append(m, (uint16_t)(RTE_ETHER_HDR_LEN + l3 + 20)) == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	memset(meta, 0, sizeof(*meta));
	meta->l2_len = RTE_ETHER_HDR_LEN;
	meta->l3_len = l3;
	meta->l4_len = 20;
	meta->l3_type = v4 ? SL_L3_IPV4 : SL_L3_IPV6;
	meta->ether_type = v4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6;
	meta->l4_proto = IPPROTO_TCP;
	meta->ip_len = (uint32_t)l3 + 20;
	meta->in_port = in_port;
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
		memcpy(&h->src_addr, seg->src, 4);
		memcpy(&h->dst_addr, seg->dst, 4);
		h->hdr_checksum = rte_ipv4_cksum(h);
		th->cksum = rte_ipv4_udptcp_cksum(h, th);
	} else {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)ip;
		h->vtc_flow = rte_cpu_to_be_32(6u << 28);
		h->payload_len = rte_cpu_to_be_16(20);
		h->proto = IPPROTO_TCP;
		h->hop_limits = 64;
		memcpy(h->src_addr, seg->src, 16);
		memcpy(h->dst_addr, seg->dst, 16);
		th->cksum = rte_ipv6_udptcp_cksum(h, th);
	}
	return m;
}

struct rte_mbuf *sl_tcp_reset_build(struct rte_mempool *pool, struct rte_mbuf *orig)
{
	const struct sl_pkt_meta *om = sl_pkt_meta(orig);
	if (om->l4_proto != IPPROTO_TCP || !(om->flags & SL_PKT_F_FIRST_FRAG) ||
	    (om->flags & SL_PKT_F_FRAGMENT) || om->l4_len < 20)
		return NULL;
	uint8_t *ip = rte_pktmbuf_mtod_offset(orig, uint8_t *, om->l2_len);
	const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)(ip + om->l3_len);
	if (th->tcp_flags & RTE_TCP_RST_FLAG)
		return NULL;    /* a reset is never answered */
	bool v4 = om->l3_type == SL_L3_IPV4;
	uint32_t payload = om->ip_len - om->l3_len - (uint32_t)(th->data_off >> 4) * 4u;
	/* RFC 9293 3.10.7.1: acknowledge what came unless it acknowledged something. */
	struct sl_ctl_tcp seg = {
		.af = v4 ? SL_AF_INET : SL_AF_INET6,
		.src = v4 ? ip + 16 : ip + 24,
		.dst = v4 ? ip + 12 : ip + 8,
		.sport = om->dst_port,
		.dport = om->src_port,
	};
	if (th->tcp_flags & RTE_TCP_ACK_FLAG) {
		seg.seq = rte_be_to_cpu_32(th->recv_ack);
		seg.flags = RTE_TCP_RST_FLAG;
	} else {
		seg.ack = rte_be_to_cpu_32(th->sent_seq) + payload +
			  !!(th->tcp_flags & RTE_TCP_SYN_FLAG) + !!(th->tcp_flags & RTE_TCP_FIN_FLAG);
		seg.flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
	}
	struct rte_mbuf *m = sl_tcp_segment_build(pool, &seg, om->in_port);
	if (m != NULL)
		sl_pkt_meta(m)->rx_tsc = om->rx_tsc;
	return m;
}

bool sl_ipstack_route_answer(struct sl_ipstack_worker *w, struct rte_mbuf *m)
{
	return ipstack_route_local_origin(w, m);
}

struct rte_mbuf *sl_ipstack_refuse(struct sl_ipstack_worker *w, struct rte_mbuf *m, uint64_t now,
				   enum sl_drop_reason reason)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	bool v4 = meta->l3_type == SL_L3_IPV4;
	if (meta->l4_proto != IPPROTO_TCP || !(meta->flags & SL_PKT_F_FIRST_FRAG))
		/* Communication administratively prohibited: 3/13, ICMPv6 1/1. */
		return ipstack_reject(w, m, now, reason, v4 ? 3 : 1, v4 ? 13 : 1, 0);
	struct rte_mbuf *rst = NULL;
	if (ipstack_icmp_budget(w, now))
		rst = sl_tcp_reset_build(w->pool, m);
	sl_stats_drop(w->st, m, reason);
	if (rst == NULL)
		return NULL;
	if (!ipstack_route_local_origin(w, rst)) {
		rte_pktmbuf_free(rst);
		return NULL;
	}
	w->st->tcp_resets_sent++;
	return rst;
}

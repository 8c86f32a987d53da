/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A data message's layout on the mbuf, shared by the workers (which seal
 * with ipsec-mb) and the management lcore (keepalives and held packets,
 * sealed with wolfCrypt): outer Ethernet (filled by the neighbor stage),
 * IP and UDP, the 16-byte message header, the inner packet padded to 16,
 * the tag. Everything happens in place, in the headroom and tailroom.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "sl_wg.h"
#include "wg_priv.h"

bool wg_encap_prepare(struct rte_mbuf *m, uint16_t inner_off, uint8_t af, uint32_t receiver,
		      uint64_t counter, uint16_t mtu, uint32_t *data_off, uint32_t *data_len)
{
	if (!rte_pktmbuf_is_contiguous(m) || rte_pktmbuf_pkt_len(m) < inner_off)
		return false;
	uint32_t inner = rte_pktmbuf_pkt_len(m) - inner_off;
	/* Padded to 16, but not past the interface's MTU (as Linux): a
	 * full-size packet must still fit the link after the outer headers. */
	uint32_t padded = (inner + SL_WG_PAD - 1) & ~(uint32_t)(SL_WG_PAD - 1);
	padded = RTE_MIN(padded, RTE_MAX(inner, (uint32_t)mtu));
	uint16_t head = (uint16_t)(wg_outer_len(af) + SL_WG_DATA_HDR_LEN);
	uint32_t tail = padded - inner + SL_WG_TAG_LEN;
	if (rte_pktmbuf_tailroom(m) < tail ||
	    (head > inner_off && rte_pktmbuf_headroom(m) < (uint16_t)(head - inner_off)))
		return false;
	uint8_t *pad = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)tail);
	memset(pad, 0, padded - inner);
	if (head > inner_off)
		rte_pktmbuf_prepend(m, (uint16_t)(head - inner_off));
	else if (head < inner_off)
		rte_pktmbuf_adj(m, (uint16_t)(inner_off - head));
	/* The header sits at an odd offset (after 42 or 62 bytes of headers). */
	struct sl_wg_msg_data h = {.type = sl_wg_type(SL_WG_MSG_DATA),
				   .receiver = sl_wg_le32(receiver), .counter = sl_wg_le64(counter)};
	memcpy(rte_pktmbuf_mtod_offset(m, void *, wg_outer_len(af)), &h, sizeof(h));
	*data_off = head;
	*data_len = padded;
	return true;
}

void wg_encap_finish(struct rte_mbuf *m, const struct sl_addr *src, uint16_t sport,
		     const struct sl_addr *dst, uint16_t dport)
{
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	uint16_t l3 = dst->af == SL_AF_INET ? sizeof(struct rte_ipv4_hdr)
					     : sizeof(struct rte_ipv6_hdr);
	uint32_t payload = rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN - l3;
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_udp_hdr *udp = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *,
							  RTE_ETHER_HDR_LEN + l3);
	memset(eth, 0, sizeof(*eth));
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)payload);
	udp->dgram_cksum = 0;
	if (dst->af == SL_AF_INET) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
								  RTE_ETHER_HDR_LEN);
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + payload));
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		ip->src_addr = src->v4;
		ip->dst_addr = dst->v4;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		meta->l3_type = SL_L3_IPV4;
		meta->ether_type = RTE_ETHER_TYPE_IPV4;
		meta->ip_len = l3 + payload;
	} else {
		struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *,
								  RTE_ETHER_HDR_LEN);
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)payload);
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, src->v6, 16);
		memcpy(ip->dst_addr, dst->v6, 16);
		/* UDP over IPv6 must carry a checksum (RFC 8200 §8.1). */
		udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip, udp);
		meta->l3_type = SL_L3_IPV6;
		meta->ether_type = RTE_ETHER_TYPE_IPV6;
		meta->ip_len = l3 + payload;
	}
	m->ol_flags &= ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK |
			 RTE_MBUF_F_RX_RSS_HASH);
	meta->l2_len = RTE_ETHER_HDR_LEN;
	meta->l3_len = l3;
	meta->l4_len = sizeof(*udp);
	meta->l4_proto = IPPROTO_UDP;
	meta->src_port = sport;
	meta->dst_port = dport;
	meta->flags = 0;
	meta->flow = 0;
	meta->vlan_tci = 0;
}

bool wg_pick_local(const struct sl_ipstack_tables *t, const struct sl_addr *dst,
		   struct sl_addr *out)
{
	uint32_t idx = dst->af == SL_AF_INET ? sl_ipstack_lookup4(t, rte_be_to_cpu_32(dst->v4))
					      : sl_ipstack_lookup6(t, dst->v6);
	const struct sl_nexthop *nh = &t->nexthops[idx];
	if ((nh->type != SL_NH_CONNECTED && nh->type != SL_NH_GATEWAY) || nh->port >= t->n_ports)
		return false;
	const struct sl_ipstack_port *p = &t->ports[nh->port];
	if (p->tunnel)
		return false;
	if (dst->af == SL_AF_INET && p->n_ipv4 > 0) {
		*out = p->ipv4[0].addr;
		return true;
	}
	if (dst->af == SL_AF_INET6 && p->n_ipv6 > 0) {
		*out = p->ipv6[0].addr;
		return true;
	}
	return false;
}

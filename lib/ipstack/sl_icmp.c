/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP and ICMPv6 errors.
 *
 * Rules (RFC 1812 4.3.2.7, RFC 4443 2.4): never answer an ICMP error with an
 * error, never about a non-first fragment, never to or about a multicast or
 * broadcast address, never about an unspecified source. Quote as much of the
 * offending packet as fits in 576 bytes (IPv4) or 1280 bytes (IPv6).
 */
#include <string.h>

#include <rte_icmp.h>

#include "ipstack_priv.h"

#define ICMP4_MAX_TOTAL 576
#define ICMP6_MAX_TOTAL 1280

uint16_t sl_ipv4_header_cksum(const struct rte_ipv4_hdr *ip)
{
	return (uint16_t)~rte_raw_cksum(ip, rte_ipv4_hdr_len(ip));
}

static bool icmp4_is_error(uint8_t type)
{
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

static bool may_answer4(struct rte_mbuf *orig)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(orig);
	const struct rte_ipv4_hdr *ip = sl_pkt_ipv4(orig);
	uint32_t src = rte_be_to_cpu_32(ip->src_addr), dst = rte_be_to_cpu_32(ip->dst_addr);
	if (!(meta->flags & SL_PKT_F_FIRST_FRAG))
		return false;
	if (meta->flags & (SL_PKT_F_L2_BCAST | SL_PKT_F_L2_MCAST))
		return false;
	if (src == 0 || src == UINT32_MAX || (src >> 28) == 0xe || (dst >> 28) == 0xe || dst == UINT32_MAX)
		return false;
	if (meta->l4_proto == IPPROTO_ICMP) {
		const struct rte_icmp_hdr *icmp = sl_pkt_l4(orig);
		if (icmp4_is_error(icmp->icmp_type))
			return false;
	}
	return true;
}

static bool may_answer6(struct rte_mbuf *orig)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(orig);
	const struct rte_ipv6_hdr *ip = sl_pkt_ipv6(orig);
	if (!(meta->flags & SL_PKT_F_FIRST_FRAG))
		return false;
	if (ip->src_addr[0] == 0xff || ipv6_is_unspecified(ip->src_addr))
		return false;
	/* Multicast is never routed here, so no error is ever about it. */
	if (ip->dst_addr[0] == 0xff)
		return false;
	if (meta->l4_proto == IPPROTO_ICMPV6) {
		const struct rte_icmp_hdr *icmp = sl_pkt_l4(orig);
		if (icmp->icmp_type < 128)
			return false;
	}
	return true;
}

static struct rte_mbuf *alloc_like(struct rte_mempool *pool, struct rte_mbuf *orig)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	if (m == NULL)
		return NULL;
	struct sl_pkt_meta *meta = sl_pkt_meta(m), *ometa = sl_pkt_meta(orig);
	memset(meta, 0, sizeof(*meta));
	meta->in_port = ometa->in_port;
	meta->rx_tsc = ometa->rx_tsc;
	meta->l2_len = RTE_ETHER_HDR_LEN;
	meta->flags = SL_PKT_F_FIRST_FRAG;
	return m;
}

static struct rte_mbuf *build4(struct rte_mempool *pool, const struct sl_ipstack_tables *t,
			       struct rte_mbuf *orig, uint8_t type, uint8_t code, uint32_t info)
{
	const struct sl_pkt_meta *ometa = sl_pkt_meta(orig);
	const struct rte_ipv4_hdr *oip = sl_pkt_ipv4(orig);
	uint32_t src;
	if (!may_answer4(orig) || !sl_ipstack_port_src4(&t->ports[ometa->in_port], &src))
		return NULL;
	uint32_t quote = rte_pktmbuf_data_len(orig) - ometa->l2_len;
	if (quote > ometa->ip_len)
		quote = ometa->ip_len;
	if (quote > ICMP4_MAX_TOTAL - 20 - 8)
		quote = ICMP4_MAX_TOTAL - 20 - 8;
	struct rte_mbuf *m = alloc_like(pool, orig);
	if (m == NULL)
		return NULL;
	uint16_t total = (uint16_t)(20 + 8 + quote);
	char *p = rte_pktmbuf_append(m, (uint16_t)(RTE_ETHER_HDR_LEN + total));
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(ip + 1);
	memset(eth, 0, sizeof(*eth));
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0xc0; /* internetwork control */
	ip->total_length = rte_cpu_to_be_16(total);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = src;
	ip->dst_addr = oip->src_addr;
	ip->hdr_checksum = sl_ipv4_header_cksum(ip);
	icmp->icmp_type = type;
	icmp->icmp_code = code;
	icmp->icmp_cksum = 0;
	/* Bytes 4..7: unused, or the next-hop MTU in the low 16 bits (RFC 1191). */
	uint32_t rest = rte_cpu_to_be_32(info & 0xffff);
	memcpy(&icmp->icmp_ident, &rest, 4);
	memcpy(icmp + 1, oip, quote);
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, 8 + quote);

	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	meta->l3_type = SL_L3_IPV4;
	meta->l3_len = 20;
	meta->l4_len = 8;
	meta->l4_proto = IPPROTO_ICMP;
	meta->ip_len = total;
	meta->ether_type = RTE_ETHER_TYPE_IPV4;
	return m;
}

static struct rte_mbuf *build6(struct rte_mempool *pool, const struct sl_ipstack_tables *t,
			       struct rte_mbuf *orig, uint8_t type, uint8_t code, uint32_t info)
{
	const struct sl_pkt_meta *ometa = sl_pkt_meta(orig);
	const struct rte_ipv6_hdr *oip = sl_pkt_ipv6(orig);
	if (!may_answer6(orig))
		return NULL;
	uint32_t quote = rte_pktmbuf_data_len(orig) - ometa->l2_len;
	if (quote > ometa->ip_len)
		quote = ometa->ip_len;
	if (quote > ICMP6_MAX_TOTAL - 40 - 8)
		quote = ICMP6_MAX_TOTAL - 40 - 8;
	struct rte_mbuf *m = alloc_like(pool, orig);
	if (m == NULL)
		return NULL;
	uint16_t plen = (uint16_t)(8 + quote);
	char *p = rte_pktmbuf_append(m, (uint16_t)(RTE_ETHER_HDR_LEN + 40 + plen));
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(ip + 1);
	memset(eth, 0, sizeof(*eth));
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(plen);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = 64;
	sl_ipstack_port_src6(&t->ports[ometa->in_port], ip->src_addr);
	memcpy(ip->dst_addr, oip->src_addr, 16);
	icmp->icmp_type = type;
	icmp->icmp_code = code;
	icmp->icmp_cksum = 0;
	uint32_t rest = rte_cpu_to_be_32(info);
	memcpy(&icmp->icmp_ident, &rest, 4);
	memcpy(icmp + 1, oip, quote);
	icmp->icmp_cksum = rte_ipv6_udptcp_cksum(ip, icmp);

	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	meta->l3_type = SL_L3_IPV6;
	meta->l3_len = 40;
	meta->l4_len = 8;
	meta->l4_proto = IPPROTO_ICMPV6;
	meta->ip_len = 40u + plen;
	meta->ether_type = RTE_ETHER_TYPE_IPV6;
	return m;
}

struct rte_mbuf *sl_icmp_error_build(struct rte_mempool *pool, const struct sl_ipstack_tables *t,
				     struct rte_mbuf *orig, uint8_t type, uint8_t code, uint32_t info)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(orig);
	if (meta->in_port >= t->n_ports)
		return NULL;
	if (meta->l3_type == SL_L3_IPV4)
		return build4(pool, t, orig, type, code, info);
	if (meta->l3_type == SL_L3_IPV6)
		return build6(pool, t, orig, type, code, info);
	return NULL;
}

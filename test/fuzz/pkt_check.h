/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Independent checker of the sl_pkt.h guarantees, shared by the fuzz harness
 * and the randomized unit test.
 *
 * Principles: re-derive every promise from the raw bytes with code that
 * shares nothing with lib/pkt (its own byte reads, its own checksum, its own
 * extension header walk), so a bug has to be made twice to go unnoticed.
 * Packets are built on exact-size heap buffers (one per segment, attached as
 * external mbuf buffers) so AddressSanitizer catches any read past the end
 * of a segment.
 */
#ifndef PKT_CHECK_H
#define PKT_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "sl_pkt.h"

static inline unsigned pc_get16(const uint8_t *p)
{
	return (unsigned)p[0] * 256u + p[1];
}

/* RFC 1071 sum over @p n bytes (n even); 0 means the checksum is right. */
static inline unsigned pc_cksum(const uint8_t *p, unsigned n)
{
	unsigned long sum = 0;

	for (unsigned i = 0; i < n; i += 2)
		sum += pc_get16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (unsigned)(~sum & 0xffff);
}

#define PC_FAIL(why) return (why)

/* Walk the IPv6 chain; returns NULL and fills end, last and flags if it is sound. */
static inline const char *pc_ipv6_chain(const uint8_t *ip, unsigned ip_len, unsigned seg,
					unsigned *end, unsigned *last, unsigned *flags)
{
	unsigned off = 40, nh = ip[6], n = 0;
	unsigned bound = ip_len < seg ? ip_len : seg;

	*flags = SL_PKT_F_FIRST_FRAG;
	while (nh == 0 || nh == 43 || nh == 60 || nh == 44 || nh == 51) {
		unsigned here = nh, len;

		if (++n > SL_PKT_MAX_EXT_HEADERS)
			PC_FAIL("more extension headers than allowed");
		if (off + 8 > bound)
			PC_FAIL("extension header past payload or segment");
		len = nh == 44 ? 8 : nh == 51 ? 4u * (ip[off + 1] + 2u) : 8u * (ip[off + 1] + 1u);
		if (off + len > bound)
			PC_FAIL("extension header past payload or segment");
		nh = ip[off];
		off += len;
		if (here == 44) {
			*flags |= SL_PKT_F_FRAGMENT;
			if (pc_get16(ip + off - 8 + 2) >> 3) {
				*flags &= ~(unsigned)SL_PKT_F_FIRST_FRAG;
				break;
			}
		}
	}
	*end = off;
	*last = nh;
	return NULL;
}

static inline const char *pc_check_l4(const struct sl_pkt_meta *mt, const uint8_t *l4,
				      unsigned payload, unsigned in_seg)
{
	unsigned proto = mt->l4_proto;

	if (!(mt->flags & SL_PKT_F_FIRST_FRAG) ||
	    (proto != 6 && proto != 17 && proto != 1 && proto != 58)) {
		if (mt->l4_len || mt->src_port || mt->dst_port)
			PC_FAIL("l4 fields set for a packet without a validated L4 header");
		return NULL;
	}
	if (mt->l4_len > payload || mt->l4_len > in_seg)
		PC_FAIL("l4 header past the IP payload or the first segment");
	if (proto == 6) {
		if (mt->l4_len < 20 || mt->l4_len != (l4[12] >> 4) * 4u)
			PC_FAIL("tcp l4_len is not the data offset");
	} else if (proto == 17) {
		unsigned ulen = mt->l4_len == 8 ? pc_get16(l4 + 4) : 0;

		if (mt->l4_len != 8 || ulen < 8)
			PC_FAIL("udp header length");
		if (!(mt->flags & SL_PKT_F_FRAGMENT) && ulen != payload)
			PC_FAIL("udp length differs from the IP payload");
	} else {
		bool echo;

		if (mt->l4_len < 4)
			PC_FAIL("icmp l4_len");
		echo = proto == 1 ? (l4[0] == 0 || l4[0] == 8) : (l4[0] == 128 || l4[0] == 129);

		if (mt->l4_len != (echo ? 8 : 4))
			PC_FAIL("icmp l4_len");
		if (mt->src_port != (echo ? pc_get16(l4 + 4) : 0u) || mt->dst_port != 0)
			PC_FAIL("icmp identifier");
		return NULL;
	}
	if (mt->src_port != pc_get16(l4) || mt->dst_port != pc_get16(l4 + 2))
		PC_FAIL("ports");
	return NULL;
}

static inline const char *pc_check_ipv4(const struct rte_mbuf *m, const struct sl_pkt_meta *mt,
					const uint8_t *ip, unsigned seg, bool cksum_trusted)
{
	unsigned hl = (ip[0] & 15u) * 4u, tl = pc_get16(ip + 2), frag = pc_get16(ip + 6);
	unsigned want = 0;

	if (seg < 20 || ip[0] >> 4 != 4 || hl < 20 || hl != mt->l3_len || hl > seg)
		PC_FAIL("ipv4 header");
	if (tl != mt->ip_len || tl < hl || m->pkt_len != mt->l2_len + tl)
		PC_FAIL("ipv4 length or padding not trimmed");
	if (!cksum_trusted && pc_cksum(ip, hl) != 0)
		PC_FAIL("ipv4 checksum");
	if ((frag & 0x1fff) == 0)
		want |= SL_PKT_F_FIRST_FRAG;
	if (frag & 0x3fff)
		want |= SL_PKT_F_FRAGMENT;
	if (hl > 20)
		want |= SL_PKT_F_IP_OPTIONS;
	if ((mt->flags & (SL_PKT_F_FIRST_FRAG | SL_PKT_F_FRAGMENT | SL_PKT_F_IP_OPTIONS)) != want)
		PC_FAIL("ipv4 flags");
	if (mt->l4_proto != ip[9])
		PC_FAIL("ipv4 protocol");
	return pc_check_l4(mt, ip + hl, tl - hl, (seg < tl ? seg : tl) - hl);
}

static inline const char *pc_check_ipv6(const struct rte_mbuf *m, const struct sl_pkt_meta *mt,
					const uint8_t *ip, unsigned seg)
{
	unsigned plen, end, last, flags;
	const char *why;

	if (seg < 40 || ip[0] >> 4 != 6)
		PC_FAIL("ipv6 header");
	plen = pc_get16(ip + 4);
	if (plen == 0 || mt->ip_len != 40 + plen || m->pkt_len != mt->l2_len + 40 + plen)
		PC_FAIL("ipv6 length or padding not trimmed");
	why = pc_ipv6_chain(ip, 40 + plen, seg, &end, &last, &flags);
	if (why)
		return why;
	if (end != mt->l3_len || last != mt->l4_proto)
		PC_FAIL("ipv6 l3_len or l4_proto");
	if ((mt->flags & (SL_PKT_F_FIRST_FRAG | SL_PKT_F_FRAGMENT | SL_PKT_F_IP_OPTIONS)) != flags)
		PC_FAIL("ipv6 flags");
	return pc_check_l4(mt, ip + end, 40 + plen - end, (seg < 40 + plen ? seg : 40 + plen) - end);
}

static inline const char *pc_check_l2(const struct rte_mbuf *m, const struct sl_pkt_meta *mt)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	unsigned outer = m->data_len >= 14 ? pc_get16(p + 12) : 0;
	bool bc = m->data_len >= 6 && memcmp(p, "\xff\xff\xff\xff\xff\xff", 6) == 0;
	unsigned want = bc ? SL_PKT_F_L2_BCAST : (p[0] & 1) ? SL_PKT_F_L2_MCAST : 0;

	if (m->data_len < mt->l2_len || (mt->l2_len != 14 && mt->l2_len != 18))
		PC_FAIL("l2_len");
	if ((outer == 0x8100) != (mt->l2_len == 18) || !!(mt->flags & SL_PKT_F_VLAN) != (outer == 0x8100))
		PC_FAIL("vlan flag");
	if (mt->vlan_tci != (outer == 0x8100 ? pc_get16(p + 14) : 0u))
		PC_FAIL("vlan_tci");
	if (mt->ether_type != pc_get16(p + mt->l2_len - 2) || mt->ether_type == 0x8100 ||
	    mt->ether_type == 0x88a8)
		PC_FAIL("ether_type");
	if ((mt->flags & (SL_PKT_F_L2_BCAST | SL_PKT_F_L2_MCAST)) != want)
		PC_FAIL("l2 broadcast/multicast flags");
	return NULL;
}

static inline const char *pc_check_l3(const struct rte_mbuf *m, const struct sl_pkt_meta *mt,
				      bool cksum_trusted)
{
	const uint8_t *l3 = rte_pktmbuf_mtod(m, const uint8_t *) + mt->l2_len;
	unsigned seg = m->data_len - mt->l2_len;

	switch (mt->ether_type) {
	case 0x0800:
		if (mt->l3_type != SL_L3_IPV4)
			PC_FAIL("l3_type for ipv4");
		return pc_check_ipv4(m, mt, l3, seg, cksum_trusted);
	case 0x86dd:
		if (mt->l3_type != SL_L3_IPV6)
			PC_FAIL("l3_type for ipv6");
		return pc_check_ipv6(m, mt, l3, seg);
	case 0x0806:
		if (mt->l3_type != SL_L3_ARP || mt->l3_len != 28 || seg < 28 ||
		    memcmp(l3, "\x00\x01\x08\x00\x06\x04", 6) != 0)
			PC_FAIL("arp");
		if (mt->l4_proto || mt->l4_len || mt->ip_len || mt->src_port || mt->dst_port ||
		    (mt->flags & (SL_PKT_F_FRAGMENT | SL_PKT_F_FIRST_FRAG | SL_PKT_F_IP_OPTIONS)))
			PC_FAIL("arp meta has IP fields");
		return NULL;
	default:
		PC_FAIL("passed an unsupported ethertype");
	}
}

/**
 * Check a packet sl_pkt_parse() passed. @p rx_tsc / @p in_port: what the
 * caller set before parsing; @p cksum_trusted: the mbuf said IP_CKSUM_GOOD.
 * Returns NULL, or what is wrong.
 */
static inline const char *pkt_check_pass(const struct rte_mbuf *m, uint64_t rx_tsc,
					 uint16_t in_port, bool cksum_trusted)
{
	const struct sl_pkt_meta *mt = rte_mbuf_to_priv((struct rte_mbuf *)(uintptr_t)m);
	const char *why = NULL;
	uint32_t hash = (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH) ? m->hash.rss : 0;

	if (rte_mbuf_check(m, 1, &why) != 0)
		return why;
	if (mt->rx_tsc != rx_tsc || mt->in_port != in_port || mt->hash != hash)
		PC_FAIL("rx_tsc, in_port or hash");
	if (mt->out_port || mt->nh_index || mt->drop_reason)
		PC_FAIL("fields parse does not own were not zeroed");
	if (mt->flags & ~0x3fu)
		PC_FAIL("unknown flag bits");
	why = pc_check_l2(m, mt);
	return why ? why : pc_check_l3(m, mt, cksum_trusted);
}

/** Check a packet sl_pkt_parse() rejected. Returns NULL, or what is wrong. */
static inline const char *pkt_check_reject(const struct rte_mbuf *m, uint64_t rx_tsc,
					   uint16_t in_port)
{
	const struct sl_pkt_meta *mt = rte_mbuf_to_priv((struct rte_mbuf *)(uintptr_t)m);
	const char *why = NULL;

	if (rte_mbuf_check(m, 1, &why) != 0)
		return why;
	if (mt->rx_tsc != rx_tsc || mt->in_port != in_port)
		PC_FAIL("rx_tsc or in_port changed");
	switch (mt->drop_reason) {
	case SL_DROP_ETH_TRUNCATED: case SL_DROP_VLAN_STACKED:
	case SL_DROP_ETHERTYPE_UNSUPPORTED: case SL_DROP_ARP_MALFORMED:
	case SL_DROP_IPV4_TRUNCATED: case SL_DROP_IPV4_BAD_VERSION: case SL_DROP_IPV4_BAD_IHL:
	case SL_DROP_IPV4_BAD_LENGTH: case SL_DROP_IPV4_BAD_CHECKSUM:
	case SL_DROP_IPV6_TRUNCATED: case SL_DROP_IPV6_BAD_VERSION: case SL_DROP_IPV6_BAD_LENGTH:
	case SL_DROP_IPV6_BAD_EXT_HEADER: case SL_DROP_L4_TRUNCATED:
	case SL_DROP_TCP_BAD_OFFSET: case SL_DROP_UDP_BAD_LENGTH:
		return NULL;
	default:
		PC_FAIL("drop reason parse never gives");
	}
}

/** True if the bytes of @p m are the first pkt_len bytes of @p data. */
static inline bool pkt_check_bytes(const struct rte_mbuf *m, const uint8_t *data, size_t len)
{
	size_t off = 0;

	if (m->pkt_len > len)
		return false;
	for (const struct rte_mbuf *s = m; s != NULL; s = s->next) {
		if (memcmp(rte_pktmbuf_mtod(s, const uint8_t *), data + off, s->data_len) != 0)
			return false;
		off += s->data_len;
	}
	return true;
}

static inline void pc_ext_free(void *addr, void *opaque)
{
	free(addr);
	free(opaque);
}

/* Attach an exact-size copy of @p len bytes as @p m's only data. */
static inline int pc_attach(struct rte_mbuf *m, const uint8_t *data, uint16_t len)
{
	struct rte_mbuf_ext_shared_info *sh = malloc(sizeof(*sh));
	uint8_t *buf = malloc(len);

	if (sh == NULL || buf == NULL) {
		free(sh);
		free(buf);
		return -1;
	}
	memcpy(buf, data, len);
	sh->free_cb = pc_ext_free;
	sh->fcb_opaque = sh;
	rte_mbuf_ext_refcnt_set(sh, 1);
	/* Never DMA-mapped; rte_mbuf_check() only wants the IOVA non-zero. */
	rte_pktmbuf_attach_extbuf(m, buf, (rte_iova_t)(uintptr_t)buf, len, sh);
	m->data_off = 0;
	m->data_len = len;
	m->pkt_len = len;
	return 0;
}

/**
 * Build a packet of @p len bytes (<= UINT16_MAX) on exact-size buffers: one
 * segment, or two when 0 < @p split < len (first segment @p split bytes).
 * Returns NULL on allocation failure.
 */
static inline struct rte_mbuf *pkt_check_mbuf(struct rte_mempool *mp, const uint8_t *data,
					      size_t len, size_t split)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp), *m2 = NULL;

	if (m == NULL)
		return NULL;
	if (split == 0 || split >= len)
		split = len;
	if (pc_attach(m, data, (uint16_t)split) != 0)
		goto fail;
	if (split < len) {
		m2 = rte_pktmbuf_alloc(mp);
		if (m2 == NULL || pc_attach(m2, data + split, (uint16_t)(len - split)) != 0)
			goto fail;
		if (rte_pktmbuf_chain(m, m2) != 0)
			goto fail;
	}
	return m;
fail:
	rte_pktmbuf_free(m2);
	rte_pktmbuf_free(m);
	return NULL;
}

#endif /* PKT_CHECK_H */

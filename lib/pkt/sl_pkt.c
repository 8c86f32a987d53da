/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The parse stage: read each packet's headers once and record what they say
 * in struct sl_pkt_meta, so later stages never parse again.
 *
 * Principles:
 *  - Never read past data_len of the first segment. The headers parse
 *    vouches for (L2, L3 with options or extension headers, and a TCP, UDP
 *    or ICMP header) must lie in the first segment or the packet is
 *    rejected, so later stages may use plain pointer arithmetic
 *    (sl_pkt_l4() and friends).
 *  - One precise drop reason per way a packet can be wrong, checked in a
 *    fixed order (truncation before version before lengths before checksum),
 *    so the counters tell an operator what the sender got wrong.
 *  - Hot path: straight-line checks marked unlikely(), header fields read
 *    through DPDK's packed structs or byte by byte (any alignment is safe,
 *    nothing is copied), no tables of function pointers. The IPv4 header
 *    checksum is the only loop over bytes and is skipped when the NIC
 *    vouches for it.
 *  - Parse fixes one thing in place: Ethernet padding (or any trailing bytes
 *    past the IP length) is trimmed, so pkt_len == l2_len + ip_len for IP.
 *  - The L4 checksum is not checked: forwarding does not need it, and the
 *    end host checks it anyway.
 */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_icmp.h>
#include <rte_prefetch.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "pkt_priv.h"
#include "sl_pkt.h"

/* Internal "no drop" value: parse helpers return a drop reason or this. */
#define PASS SL_DROP_MAX

/* How far ahead of the packet being parsed its data and meta are prefetched. */
#define PREFETCH_AHEAD 4

/* sl_pkt_parse_burst() partitions in chunks of this many (stack: 2 x 512 B). */
#define BURST_CHUNK 64

#define ETH_HLEN 14 /* bytes: dst, src, ethertype */
#define VLAN_HLEN 4 /* bytes: TCI, inner ethertype */
#define ARP_LEN 28  /* bytes: Ethernet/IPv4 ARP body */
#define IPV4_MIN_HLEN 20
#define IPV6_HLEN 40
#define IPV6_EXT_MIN_LEN 8 /* bytes: every extension header is at least this */
#define TCP_MIN_HLEN 20
#define UDP_HLEN 8
#define ICMP_MIN_LEN 4  /* type, code, checksum */
#define ICMP_ECHO_LEN 8 /* ... plus identifier and sequence */

#define IPV6_ICMP_ECHO_REQUEST 128
#define IPV6_ICMP_ECHO_REPLY 129

/* Big-endian 16-bit read at any alignment. */
static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The 32 bits at @p p as they are in memory, any alignment. */
static inline uint32_t raw32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* The 16 bits at @p p as they are in memory (network order), any alignment. */
static inline uint16_t raw16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * Keep the first @p keep bytes of @p m (keep < pkt_len). Usually Ethernet
 * padding in a one-segment packet; in a chain, segments left empty are
 * freed rather than kept at length 0 (some PMDs mishandle empty segments).
 */
static void trim_to(struct rte_mbuf *m, uint32_t keep)
{
	struct rte_mbuf *seg = m;
	uint32_t off = 0;
	uint16_t nb = 1;

	if (likely(m->next == NULL)) {
		m->data_len = (uint16_t)keep;
		m->pkt_len = keep;
		return;
	}
	while (off + seg->data_len < keep) {
		off += seg->data_len;
		seg = seg->next;
		nb++;
	}
	seg->data_len = (uint16_t)(keep - off);
	rte_pktmbuf_free(seg->next);
	seg->next = NULL;
	m->nb_segs = nb;
	m->pkt_len = keep;
}

/*
 * Ethernet and at most one 802.1Q tag. Sets l2_len, ether_type, vlan_tci and
 * the L2 flags; leaves the L3 dispatch to the caller.
 */
static unsigned parse_eth(struct sl_pkt_meta *meta, const uint8_t *p, uint32_t seg_len)
{
	uint16_t type;

	if (unlikely(seg_len < ETH_HLEN))
		return SL_DROP_ETH_TRUNCATED;
	if (unlikely(p[0] & 0x01)) /* group bit: multicast or broadcast */
		meta->flags |= (p[0] & p[1] & p[2] & p[3] & p[4] & p[5]) == 0xff ?
			SL_PKT_F_L2_BCAST : SL_PKT_F_L2_MCAST;
	type = be16(p + 12);
	meta->l2_len = ETH_HLEN;
	if (type == RTE_ETHER_TYPE_VLAN) {
		if (unlikely(seg_len < ETH_HLEN + VLAN_HLEN))
			return SL_DROP_ETH_TRUNCATED;
		meta->flags |= SL_PKT_F_VLAN;
		meta->vlan_tci = be16(p + ETH_HLEN);
		meta->l2_len = ETH_HLEN + VLAN_HLEN;
		type = be16(p + ETH_HLEN + 2);
		if (unlikely(type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ))
			return SL_DROP_VLAN_STACKED;
	} else if (unlikely(type == RTE_ETHER_TYPE_QINQ)) {
		return SL_DROP_VLAN_STACKED; /* an S-tag always carries a C-tag */
	}
	meta->ether_type = type;
	return PASS;
}

static unsigned parse_arp(struct sl_pkt_meta *meta, const uint8_t *p, uint32_t avail)
{
	/* htype 1 (Ethernet), ptype 0x0800 (IPv4), hlen 6, plen 4 */
	static const uint8_t want[6] = {0x00, 0x01, 0x08, 0x00, 6, 4};

	if (unlikely(avail < ARP_LEN))
		return SL_DROP_ARP_MALFORMED;
	for (unsigned i = 0; i < sizeof(want); i++)
		if (unlikely(p[i] != want[i]))
			return SL_DROP_ARP_MALFORMED;
	meta->l3_type = SL_L3_ARP;
	meta->l3_len = ARP_LEN;
	return PASS;
}

/*
 * L4 headers. Each gets @p payload, the IP payload length, and @p avail, the
 * bytes of it in the first segment (<= payload), both in bytes.
 */
static inline unsigned parse_tcp(struct sl_pkt_meta *meta, const uint8_t *p, uint32_t payload,
				 uint32_t avail)
{
	const struct rte_tcp_hdr *th = (const void *)p;
	uint32_t hlen;

	if (unlikely(avail < TCP_MIN_HLEN))
		return SL_DROP_L4_TRUNCATED;
	hlen = (uint32_t)(th->data_off >> 4) * 4;
	if (unlikely(hlen < TCP_MIN_HLEN || hlen > payload))
		return SL_DROP_TCP_BAD_OFFSET;
	if (unlikely(hlen > avail))
		return SL_DROP_L4_TRUNCATED; /* options run into the next segment */
	meta->l4_len = (uint16_t)hlen;
	meta->src_port = rte_be_to_cpu_16(th->src_port);
	meta->dst_port = rte_be_to_cpu_16(th->dst_port);
	return PASS;
}

static inline unsigned parse_udp(struct sl_pkt_meta *meta, const uint8_t *p, uint32_t payload,
				 uint32_t avail)
{
	const struct rte_udp_hdr *uh = (const void *)p;
	uint32_t ulen;

	if (unlikely(avail < UDP_HLEN))
		return SL_DROP_L4_TRUNCATED;
	ulen = rte_be_to_cpu_16(uh->dgram_len);
	/* A first fragment carries only the start of the datagram. */
	if (unlikely(ulen < UDP_HLEN || (ulen != payload && !(meta->flags & SL_PKT_F_FRAGMENT))))
		return SL_DROP_UDP_BAD_LENGTH;
	meta->l4_len = UDP_HLEN;
	meta->src_port = rte_be_to_cpu_16(uh->src_port);
	meta->dst_port = rte_be_to_cpu_16(uh->dst_port);
	return PASS;
}

/*
 * ICMP and ICMPv6 share the layout of the first 8 bytes; echo messages
 * carry an identifier, which stands in for the source port of a flow.
 */
static inline unsigned parse_icmp(struct sl_pkt_meta *meta, const uint8_t *p, uint32_t avail)
{
	const struct rte_icmp_hdr *ih = (const void *)p;
	bool echo;

	if (unlikely(avail < ICMP_MIN_LEN))
		return SL_DROP_L4_TRUNCATED;
	if (meta->l4_proto == IPPROTO_ICMP)
		echo = ih->icmp_type == RTE_IP_ICMP_ECHO_REQUEST ||
		       ih->icmp_type == RTE_IP_ICMP_ECHO_REPLY;
	else
		echo = ih->icmp_type == IPV6_ICMP_ECHO_REQUEST ||
		       ih->icmp_type == IPV6_ICMP_ECHO_REPLY;
	if (!echo) {
		meta->l4_len = ICMP_MIN_LEN;
		return PASS;
	}
	if (unlikely(avail < ICMP_ECHO_LEN))
		return SL_DROP_L4_TRUNCATED;
	meta->l4_len = ICMP_ECHO_LEN;
	meta->src_port = rte_be_to_cpu_16(ih->icmp_ident);
	return PASS;
}

/*
 * The L4 header of a packet that starts at it (not a non-first fragment).
 * ICMP and ICMPv6 are checked whatever the IP version, so a later stage that
 * sees either protocol number can rely on the header. Other protocols
 * (ESP, GRE, ...) pass with l4_len 0.
 */
static inline unsigned parse_l4(struct sl_pkt_meta *meta, const uint8_t *p, uint32_t payload,
				uint32_t avail)
{
	switch (meta->l4_proto) {
	case IPPROTO_TCP:
		return parse_tcp(meta, p, payload, avail);
	case IPPROTO_UDP:
		return parse_udp(meta, p, payload, avail);
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return parse_icmp(meta, p, avail);
	default:
		return PASS;
	}
}

/* True if the IPv4 header checksum is right, asking the NIC first. */
static inline bool ipv4_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
				 uint32_t hlen)
{
	switch (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
	case RTE_MBUF_F_RX_IP_CKSUM_GOOD:
		return true;
	case RTE_MBUF_F_RX_IP_CKSUM_BAD:
		return false;
	default:
		/*
		 * UNKNOWN, and NONE ("header verified, checksum field not
		 * correct"): later stages update the checksum incrementally,
		 * so the one in the data must be right; check it.
		 */
		if (likely(hlen == 20)) {
			/* Five 32-bit loads (the header may sit at any alignment). */
			const uint8_t *h = (const uint8_t *)ip;
			uint64_t sum = (uint64_t)raw32(h) + raw32(h + 4) + raw32(h + 8) +
				       raw32(h + 12) + raw32(h + 16);
			sum = (sum & 0xffffffff) + (sum >> 32);
			sum = (sum & 0xffff) + (sum >> 16);
			sum = (sum & 0xffff) + (sum >> 16);
			sum = (sum & 0xffff) + (sum >> 16);
			return sum == 0xffff;
		}
		return rte_raw_cksum(ip, hlen) == 0xffff;
	}
}

/* @p avail: bytes from the IPv4 header to the end of the first segment. */
static unsigned parse_ipv4(struct rte_mbuf *m, struct sl_pkt_meta *meta, const uint8_t *p,
			   uint32_t avail)
{
	const struct rte_ipv4_hdr *ip = (const void *)p;
	uint32_t frame = m->pkt_len - meta->l2_len; /* bytes after L2, all segments */
	uint32_t hlen, tlen;
	uint16_t frag;

	if (unlikely(avail < IPV4_MIN_HLEN))
		return SL_DROP_IPV4_TRUNCATED;
	if (unlikely((ip->version_ihl >> 4) != 4))
		return SL_DROP_IPV4_BAD_VERSION;
	hlen = (uint32_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * 4;
	if (unlikely(hlen < IPV4_MIN_HLEN || hlen > avail))
		return SL_DROP_IPV4_BAD_IHL;
	tlen = rte_be_to_cpu_16(ip->total_length);
	if (unlikely(tlen < hlen || tlen > frame))
		return SL_DROP_IPV4_BAD_LENGTH;
	if (unlikely(!ipv4_cksum_ok(m, ip, hlen)))
		return SL_DROP_IPV4_BAD_CHECKSUM;
	if (unlikely(tlen < frame))
		trim_to(m, meta->l2_len + tlen);

	frag = rte_be_to_cpu_16(ip->fragment_offset);
	if (likely((frag & RTE_IPV4_HDR_OFFSET_MASK) == 0))
		meta->flags |= SL_PKT_F_FIRST_FRAG;
	if (unlikely(frag & (RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)))
		meta->flags |= SL_PKT_F_FRAGMENT;
	if (unlikely(hlen > IPV4_MIN_HLEN))
		meta->flags |= SL_PKT_F_IP_OPTIONS;
	meta->l3_type = SL_L3_IPV4;
	meta->l3_len = (uint16_t)hlen;
	meta->ip_len = tlen;
	meta->l4_proto = ip->next_proto_id;
	if (!(meta->flags & SL_PKT_F_FIRST_FRAG))
		return PASS;
	return parse_l4(meta, p + hlen, tlen - hlen, RTE_MIN(avail, tlen) - hlen);
}

/*
 * Walk IPv6 extension headers from the one named by @p nh at offset 40.
 * @p limit: bytes from the IPv6 header that are both in the first segment
 * and inside the payload length. Sets l3_len, l4_proto and fragment flags.
 * A non-first fragment ends the walk: what follows its fragment header is
 * the middle of some other header.
 */
static unsigned walk_ext(struct sl_pkt_meta *meta, const uint8_t *p, uint32_t limit, uint8_t nh)
{
	uint32_t off = IPV6_HLEN;
	unsigned count = 0;

	for (;;) {
		uint8_t cur = nh;
		uint32_t len;

		if (cur != IPPROTO_HOPOPTS && cur != IPPROTO_ROUTING && cur != IPPROTO_DSTOPTS &&
		    cur != IPPROTO_FRAGMENT && cur != IPPROTO_AH)
			break; /* upper layer, ESP (50) or No Next Header (59) */
		if (unlikely(++count > SL_PKT_MAX_EXT_HEADERS || off + IPV6_EXT_MIN_LEN > limit))
			return SL_DROP_IPV6_BAD_EXT_HEADER;
		if (cur == IPPROTO_FRAGMENT)
			len = IPV6_EXT_MIN_LEN;
		else if (cur == IPPROTO_AH)
			len = ((uint32_t)p[off + 1] + 2) * 4; /* RFC 4302: 4-byte units - 2 */
		else
			len = ((uint32_t)p[off + 1] + 1) * 8; /* RFC 8200: 8-byte units - 1 */
		if (unlikely(off + len > limit))
			return SL_DROP_IPV6_BAD_EXT_HEADER;
		nh = p[off];
		if (cur == IPPROTO_FRAGMENT) {
			meta->flags |= SL_PKT_F_FRAGMENT;
			if (RTE_IPV6_GET_FO(be16(p + off + 2)) != 0) {
				meta->flags &= (uint16_t)~SL_PKT_F_FIRST_FRAG;
				off += len;
				break;
			}
		}
		off += len;
	}
	meta->l3_len = (uint16_t)off;
	meta->l4_proto = nh;
	return PASS;
}

/* @p avail: bytes from the IPv6 header to the end of the first segment. */
static unsigned parse_ipv6(struct rte_mbuf *m, struct sl_pkt_meta *meta, const uint8_t *p,
			   uint32_t avail)
{
	const struct rte_ipv6_hdr *ip = (const void *)p;
	uint32_t frame = m->pkt_len - meta->l2_len; /* bytes after L2, all segments */
	uint32_t ip_len, limit;
	unsigned r;

	if (unlikely(avail < IPV6_HLEN))
		return SL_DROP_IPV6_TRUNCATED;
	if (unlikely((p[0] >> 4) != 6))
		return SL_DROP_IPV6_BAD_VERSION;
	/* Payload length 0 announces a jumbogram (RFC 2675): not supported. */
	ip_len = IPV6_HLEN + rte_be_to_cpu_16(ip->payload_len);
	if (unlikely(ip_len == IPV6_HLEN || ip_len > frame))
		return SL_DROP_IPV6_BAD_LENGTH;
	if (unlikely(ip_len < frame))
		trim_to(m, meta->l2_len + ip_len);

	meta->l3_type = SL_L3_IPV6;
	meta->ip_len = ip_len;
	meta->flags |= SL_PKT_F_FIRST_FRAG;
	limit = RTE_MIN(avail, ip_len);
	r = walk_ext(meta, p, limit, ip->proto);
	if (unlikely(r != PASS) || !(meta->flags & SL_PKT_F_FIRST_FRAG))
		return r;
	return parse_l4(meta, p + meta->l3_len, ip_len - meta->l3_len, limit - meta->l3_len);
}

/* The NIC's flow hash, where it gives one. */
static inline uint32_t rx_hash(const struct rte_mbuf *m)
{
	return (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH) ? m->hash.rss : 0;
}

/* Start @p m's meta: everything but what the rx side stamps is zero. */
static inline struct sl_pkt_meta *meta_start(struct rte_mbuf *m, uint64_t rx_tsc, uint16_t in_port)
{
	struct sl_pkt_meta *meta = sl_pkt_meta(m);

	*meta = (struct sl_pkt_meta){
		.rx_tsc = rx_tsc,
		.in_port = in_port,
		.hash = rx_hash(m),
	};
	return meta;
}

/* Every case, every precise drop reason: see the principles above. */
static bool parse_general(struct rte_mbuf *m, uint64_t rx_tsc, uint16_t in_port)
{
	struct sl_pkt_meta *meta = meta_start(m, rx_tsc, in_port);
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t seg_len = m->data_len;
	unsigned r;

	r = parse_eth(meta, p, seg_len);
	if (likely(r == PASS)) {
		const uint8_t *l3 = p + meta->l2_len;
		uint32_t avail = seg_len - meta->l2_len;

		if (likely(meta->ether_type == RTE_ETHER_TYPE_IPV4))
			r = parse_ipv4(m, meta, l3, avail);
		else if (meta->ether_type == RTE_ETHER_TYPE_IPV6)
			r = parse_ipv6(m, meta, l3, avail);
		else if (meta->ether_type == RTE_ETHER_TYPE_ARP)
			r = parse_arp(meta, l3, avail);
		else
			r = SL_DROP_ETHERTYPE_UNSUPPORTED;
	}
	if (unlikely(r != PASS)) {
		meta->drop_reason = (uint8_t)r;
		return false;
	}
	return true;
}

/*
 * The L4 header of a fast-path packet: @p payload bytes after the IP header,
 * all in the first segment. @p icmp is the ICMP protocol of the IP version
 * (ICMP or ICMPv6) and @p echo_req / @p echo_rep its echo types. False: not
 * the fast path's.
 */
static __rte_always_inline bool fast_l4(uint8_t proto, const uint8_t *l4, uint32_t payload,
					uint8_t icmp, uint8_t echo_req, uint8_t echo_rep,
					uint16_t *l4_len, uint16_t *sport, uint16_t *dport)
{
	if (likely(proto == IPPROTO_UDP)) {
		if (unlikely(payload < UDP_HLEN || be16(l4 + 4) != payload))
			return false;
		*l4_len = UDP_HLEN;
		*sport = be16(l4);
		*dport = be16(l4 + 2);
		return true;
	}
	if (likely(proto == IPPROTO_TCP)) {
		uint32_t hlen;

		if (unlikely(payload < TCP_MIN_HLEN))
			return false;
		hlen = (uint32_t)(l4[12] >> 4) * 4;
		if (unlikely(hlen < TCP_MIN_HLEN || hlen > payload))
			return false;
		*l4_len = (uint16_t)hlen;
		*sport = be16(l4);
		*dport = be16(l4 + 2);
		return true;
	}
	if (proto == icmp) {
		if (unlikely(payload < ICMP_MIN_LEN))
			return false;
		*l4_len = ICMP_MIN_LEN;
		if (l4[0] == echo_req || l4[0] == echo_rep) {
			if (unlikely(payload < ICMP_ECHO_LEN))
				return false;
			*l4_len = ICMP_ECHO_LEN;
			*sport = be16(l4 + 4);
		}
		return true;
	}
	/*
	 * The other version's ICMP, and IPv6 extension headers (which
	 * parse_general() walks), are not the fast path's; ESP, GRE and the
	 * like pass with l4_len 0: parse does not look inside them.
	 */
	return proto != IPPROTO_ICMP && proto != IPPROTO_ICMPV6 && proto != IPPROTO_HOPOPTS &&
	       proto != IPPROTO_ROUTING && proto != IPPROTO_FRAGMENT && proto != IPPROTO_AH &&
	       proto != IPPROTO_DSTOPTS;
}

/*
 * Trim Ethernet padding and write the whole meta of a fast-path packet in
 * one store. Inlined into each IP version's branch, so the fields that are
 * constants there are written as constants.
 */
static __rte_always_inline bool fast_finish(struct rte_mbuf *m, uint64_t rx_tsc, uint16_t in_port,
					    uint16_t ether_type, uint8_t l3_type,
					    uint16_t l3_len, uint8_t l4_proto, uint16_t l4_len,
					    uint16_t sport, uint16_t dport, uint32_t ip_len,
					    uint32_t len)
{
	if (unlikely(ip_len < len - ETH_HLEN)) { /* Ethernet padding */
		m->data_len = (uint16_t)(ETH_HLEN + ip_len);
		m->pkt_len = ETH_HLEN + ip_len;
	}
	*sl_pkt_meta(m) = (struct sl_pkt_meta){
		.rx_tsc = rx_tsc,
		.in_port = in_port,
		.l2_len = ETH_HLEN,
		.l3_len = l3_len,
		.l4_len = l4_len,
		.ether_type = ether_type,
		.l3_type = l3_type,
		.l4_proto = l4_proto,
		.flags = SL_PKT_F_FIRST_FRAG,
		.src_port = sport,
		.dst_port = dport,
		.ip_len = ip_len,
		.hash = rx_hash(m),
	};
	return true;
}

/*
 * The common cases in one straight pass: one segment, unicast, untagged
 * IPv4 without options and not a fragment, or IPv6 without extension
 * headers, carrying TCP, UDP, the version's ICMP or a protocol parse does not
 * look into. Returns false, having
 * changed nothing, for any packet that is not exactly that, good or bad;
 * parse_general() then decides. For a packet it takes, the result (meta,
 * trimmed length) is the one parse_general() gives: the unit tests compare
 * the two on random mutations.
 */
static __rte_always_inline bool parse_fast(struct rte_mbuf *m, uint64_t rx_tsc, uint16_t in_port)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->data_len, ip_len;
	uint16_t l4_len = 0, sport = 0, dport = 0;

	/* Lengths first: nothing is read before the bytes are known to be there. */
	if (unlikely(m->nb_segs != 1 || m->pkt_len != len || len < ETH_HLEN + IPV4_MIN_HLEN ||
		     (p[0] & 0x01)))
		return false;
	if (likely(raw16(p + 12) == RTE_BE16(RTE_ETHER_TYPE_IPV4))) {
		const struct rte_ipv4_hdr *ip = (const void *)(p + ETH_HLEN);
		uint64_t ck;

		if (unlikely(ip->version_ihl != 0x45 ||
			     (ip->fragment_offset &
			      RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)) != 0))
			return false;
		ip_len = rte_be_to_cpu_16(ip->total_length);
		if (unlikely(ip_len < IPV4_MIN_HLEN || ip_len > len - ETH_HLEN))
			return false;
		ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
		if (ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
		    (ck == RTE_MBUF_F_RX_IP_CKSUM_BAD || !ipv4_cksum_ok(m, ip, IPV4_MIN_HLEN)))
			return false;
		if (!fast_l4(ip->next_proto_id, p + ETH_HLEN + IPV4_MIN_HLEN,
			     ip_len - IPV4_MIN_HLEN, IPPROTO_ICMP, RTE_IP_ICMP_ECHO_REQUEST,
			     RTE_IP_ICMP_ECHO_REPLY, &l4_len, &sport, &dport))
			return false;
		return fast_finish(m, rx_tsc, in_port, RTE_ETHER_TYPE_IPV4, SL_L3_IPV4,
				   IPV4_MIN_HLEN, ip->next_proto_id, l4_len, sport, dport,
				   ip_len, len);
	} else if (raw16(p + 12) == RTE_BE16(RTE_ETHER_TYPE_IPV6)) {
		const struct rte_ipv6_hdr *ip = (const void *)(p + ETH_HLEN);

		if (unlikely(len < ETH_HLEN + IPV6_HLEN || (p[ETH_HLEN] >> 4) != 6))
			return false;
		ip_len = IPV6_HLEN + rte_be_to_cpu_16(ip->payload_len);
		if (unlikely(ip_len == IPV6_HLEN || ip_len > len - ETH_HLEN))
			return false;
		if (!fast_l4(ip->proto, p + ETH_HLEN + IPV6_HLEN, ip_len - IPV6_HLEN,
			     IPPROTO_ICMPV6, IPV6_ICMP_ECHO_REQUEST, IPV6_ICMP_ECHO_REPLY, &l4_len,
			     &sport, &dport))
			return false;
		return fast_finish(m, rx_tsc, in_port, RTE_ETHER_TYPE_IPV6, SL_L3_IPV6, IPV6_HLEN,
				   ip->proto, l4_len, sport, dport, ip_len, len);
	}
	return false;
}

static inline bool parse_one(struct rte_mbuf *m, uint64_t rx_tsc, uint16_t in_port)
{
	return likely(parse_fast(m, rx_tsc, in_port)) || parse_general(m, rx_tsc, in_port);
}

bool sl_pkt_parse(struct rte_mbuf *m)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);

	return parse_one(m, meta->rx_tsc, meta->in_port);
}

bool sl_pkt_parse_general(struct rte_mbuf *m)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);

	return parse_general(m, meta->rx_tsc, meta->in_port);
}

/*
 * Stable partition, one chunk at a time:
 *
 *   before a chunk:  [ passed np ][ rejected nr ][ chunk c ][ unparsed ]
 *   after:           [ passed np + cp ][ rejected nr + cr ][ unparsed ]
 *
 * The chunk's packets go to two stack arrays; the older rejects move right
 * by cp. While no packet has been rejected (the common case) the passed
 * ones are already in place and nothing is copied.
 */
uint16_t sl_pkt_parse_burst(const struct sl_pkt_parse_ctx *ctx, struct rte_mbuf **pkts,
			    uint16_t n, uint64_t now_tsc)
{
	struct rte_mbuf *pass[BURST_CHUNK], *rej[BURST_CHUNK];
	uint16_t np = 0, nr = 0, in_port = ctx->in_port;
	uint64_t bytes = 0;

	for (unsigned i = 0; i < n && i < PREFETCH_AHEAD; i++) {
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
		rte_prefetch0(sl_pkt_meta(pkts[i]));
	}
	for (unsigned s = 0; s < n; s += BURST_CHUNK) {
		unsigned c = RTE_MIN(n - s, (unsigned)BURST_CHUNK);
		uint16_t cp = 0, cr = 0;

		for (unsigned i = s; i < s + c; i++) {
			struct rte_mbuf *m = pkts[i];

			if (i + PREFETCH_AHEAD < n) {
				rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], void *));
				rte_prefetch0(sl_pkt_meta(pkts[i + PREFETCH_AHEAD]));
			}
			bytes += m->pkt_len; /* as received: before padding is trimmed */
			if (likely(parse_one(m, now_tsc, in_port)))
				pass[cp++] = m;
			else
				rej[cr++] = m;
		}
		if (likely(nr == 0 && cr == 0)) {
			np = (uint16_t)(np + cp);
			continue;
		}
		if (nr != 0 && cp != 0)
			memmove(&pkts[np + cp], &pkts[np], nr * sizeof(pkts[0]));
		memcpy(&pkts[np], pass, cp * sizeof(pkts[0]));
		memcpy(&pkts[np + cp + nr], rej, cr * sizeof(pkts[0]));
		np = (uint16_t)(np + cp);
		nr = (uint16_t)(nr + cr);
	}
	ctx->st->port[in_port].rx_packets += n;
	ctx->st->port[in_port].rx_bytes += bytes;
	return np;
}

void sl_pkt_drop_rejects(struct sl_lcore_stats *st, struct rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		enum sl_drop_reason r = (enum sl_drop_reason)sl_pkt_meta(pkts[i])->drop_reason;

		RTE_ASSERT(r < SL_DROP_MAX);
		sl_stats_drop(st, pkts[i], r);
	}
}

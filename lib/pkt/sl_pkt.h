/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Packet metadata and the parse stage.
 *
 * parse is the only stage that reads raw headers to decide what a packet is;
 * it stores what it found in struct sl_pkt_meta (the mbuf's private area), and
 * every later stage trusts that and never parses again.
 *
 * Guarantees after sl_pkt_parse_burst() passes a packet:
 *  - the L2 header (and the one VLAN tag, if any) and the whole L3 header
 *    (IPv4 options, IPv6 extension headers) lie in the first segment;
 *  - for IPv4: version 4, IHL >= 5, header checksum correct, total length
 *    >= IHL*4 and within the frame; Ethernet padding past it was trimmed;
 *  - for IPv6: version 6, payload length within the frame (padding trimmed),
 *    extension headers walked (at most SL_PKT_MAX_EXT_HEADERS);
 *  - if the packet is not a non-first fragment and l4_proto is TCP, UDP,
 *    ICMP or ICMPv6: that L4 header is complete in the first segment, a TCP
 *    data offset is sane, a UDP length matches the IP payload;
 *  - for ARP: 28 bytes of Ethernet/IPv4 ARP are present.
 *
 * Threads: any (no shared state).
 */
#ifndef SL_PKT_H
#define SL_PKT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "sl_stats.h"

#define SL_PKT_MAX_EXT_HEADERS 8

enum sl_l3_type {
	SL_L3_NONE = 0,
	SL_L3_IPV4,
	SL_L3_IPV6,
	SL_L3_ARP,
};

enum sl_pkt_flags {
	SL_PKT_F_VLAN = 1u << 0,      /**< one 802.1Q tag present (vlan_tci valid) */
	SL_PKT_F_FRAGMENT = 1u << 1,  /**< IPv4 MF/offset or IPv6 fragment header */
	SL_PKT_F_FIRST_FRAG = 1u << 2,/**< offset 0 (set also when not fragmented) */
	SL_PKT_F_L2_BCAST = 1u << 3,  /**< destination MAC is broadcast */
	SL_PKT_F_L2_MCAST = 1u << 4,  /**< destination MAC is multicast (not broadcast) */
	SL_PKT_F_IP_OPTIONS = 1u << 5,/**< IPv4 header longer than 20 bytes */
	SL_PKT_F_NEEDS_NEIGHBOR = 1u << 6, /**< set by ipstack: routed, punted to wait
					       for neighbor resolution */
	SL_PKT_F_NEEDS_FRAGMENT = 1u << 7, /**< set by ipstack: routed, too big, no DF:
					       punted to be fragmented */
	SL_PKT_F_LOCAL_IN = 1u << 8,  /**< set by ipstack: addressed to sluice, punted
					   by the local-in dispatch to the management lcore */
	SL_PKT_F_HANDED_OFF = 1u << 9, /**< set by flow: came over a handoff ring */
	SL_PKT_F_FRAG_FOLLOWED = 1u << 10, /**< set by flow: a later fragment, already
					       given its first fragment's addresses */
	SL_PKT_F_NAT_DONE = 1u << 11, /**< set by flow: both sides translated before
					   route (the post hook leaves the source) */
	SL_PKT_F_SYN_PROXIED = 1u << 12, /**< set by flow: a client's ACK whose SYN cookie
					      proved it, turned into the SYN to its backend */
};

/** Per-packet facts, in the mbuf private area. */
struct sl_pkt_meta {
	uint64_t rx_tsc;        /**< TSC at the rx burst that brought it in */
	uint16_t in_port;       /**< sluice port index (not the DPDK port id) */
	uint16_t out_port;      /**< sluice port index chosen by route */
	uint16_t l2_len;        /**< Ethernet header + VLAN tag, bytes */
	uint16_t l3_len;        /**< IPv4 header with options, or IPv6 header with
				     extension headers, bytes */
	uint16_t l4_len;        /**< L4 header bytes validated (TCP incl. options) */
	uint16_t vlan_tci;      /**< host order, valid with SL_PKT_F_VLAN */
	uint16_t ether_type;    /**< inner ethertype, host order */
	uint16_t flags;         /**< enum sl_pkt_flags */
	uint8_t l3_type;        /**< enum sl_l3_type */
	uint8_t l4_proto;       /**< IPPROTO_* after extension headers */
	uint8_t drop_reason;    /**< enum sl_drop_reason, set when a stage rejects */
	uint8_t flow_dir;       /**< set by flow: the direction of its connection */
	uint16_t src_port;      /**< TCP/UDP source port, host order; ICMP echo id */
	uint16_t dst_port;      /**< TCP/UDP destination port, host order */
	uint32_t ip_len;        /**< IP total length (v4) / 40 + payload length (v6) */
	uint32_t nh_index;      /**< next-hop index chosen by route */
	uint32_t hash;          /**< flow hash (RSS hash where the NIC gives one) */
	uint32_t flow;          /**< set by flow (pre): its connection + 1; 0: none */
	uint16_t lb_backend;    /**< set by flow: the backend (slot) a service picked
				     for it before it was handed off; 0: none */
	uint8_t level;          /**< set by acl: the rate-limit level the packet is held
				     to (0: "default") */
	uint8_t qos_leaf;       /**< set by qos: the leaf class it waits in */
	uint32_t qos_time;      /**< set by qos: when it was queued, TSC >> 10; in the
				     ring to a port's scheduler owner, the tree_id whose
				     leaf numbers qos_leaf is in */
	struct rte_mbuf *qnext; /**< set by qos: the next packet of its flow queue */
};

/* One cache line: the private area SL_PKT_PRIV_SIZE reserves, and no more. */
_Static_assert(sizeof(struct sl_pkt_meta) == 64, "sl_pkt_meta is one cache line");

/** MAC addresses as ip(8) prints them: lowercase, colon-separated. */
#define SL_MAC_FMT "%02x:%02x:%02x:%02x:%02x:%02x"

/**
 * Private area size to give rte_pktmbuf_pool_create(): whole cache lines, so
 * that packet data (after the headroom) starts on a cache line and a small
 * frame's headers share one line.
 */
#define SL_PKT_PRIV_SIZE RTE_CACHE_LINE_ROUNDUP(sizeof(struct sl_pkt_meta))

static inline struct sl_pkt_meta *sl_pkt_meta(struct rte_mbuf *m)
{
	return (struct sl_pkt_meta *)rte_mbuf_to_priv(m);
}

static inline struct rte_ipv4_hdr *sl_pkt_ipv4(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sl_pkt_meta(m)->l2_len);
}

static inline struct rte_ipv6_hdr *sl_pkt_ipv6(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, sl_pkt_meta(m)->l2_len);
}

static inline void *sl_pkt_l4(struct rte_mbuf *m)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	return rte_pktmbuf_mtod_offset(m, void *, meta->l2_len + meta->l3_len);
}

/**
 * Parse one packet: fill its meta (in_port and rx_tsc are left as the caller
 * set them). Returns true if it passes; otherwise meta->drop_reason says why.
 */
bool sl_pkt_parse(struct rte_mbuf *m);

/** Where a burst came from: parse stamps and counts it there. */
struct sl_pkt_parse_ctx {
	struct sl_lcore_stats *st; /**< this lcore's counters (port rx_packets/rx_bytes) */
	uint16_t in_port;          /**< sluice port index of the RX queue, < SL_MAX_PORTS */
};

/**
 * Stage: parse @p n packets that arrived together on ctx->in_port at
 * @p now_tsc. Each gets in_port and rx_tsc in its meta; the port's rx
 * counters grow by @p n and the bytes as received. Returns how many pass;
 * they are packed at the front in their original order and the rejects
 * follow, each with meta->drop_reason set, for the caller to free with
 * sl_pkt_drop_rejects().
 */
uint16_t sl_pkt_parse_burst(const struct sl_pkt_parse_ctx *ctx, struct rte_mbuf **pkts,
			    uint16_t n, uint64_t now_tsc);

/** Free and count @p n rejected packets by their meta->drop_reason. */
void sl_pkt_drop_rejects(struct sl_lcore_stats *st, struct rte_mbuf **pkts, uint16_t n);

/** Mark @p m rejected with @p reason (for stages that partition bursts). */
static inline void sl_pkt_reject(struct rte_mbuf *m, enum sl_drop_reason reason)
{
	sl_pkt_meta(m)->drop_reason = (uint8_t)reason;
}

/**
 * Incremental checksum update (RFC 1624) for a 16-bit field that changed
 * from @p old to @p new (both network order). Returns the new checksum.
 */
static inline uint16_t sl_cksum_update16(uint16_t cksum, uint16_t old, uint16_t new_)
{
	uint32_t sum = (uint16_t)~cksum;
	sum += (uint16_t)~old;
	sum += new_;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

#endif /* SL_PKT_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Per-lcore counters, drop reasons and the latency histogram.
 *
 * Each lcore (workers and the management lcore) owns one cache-aligned
 * struct sl_lcore_stats and bumps it without atomics; readers sum all lcores
 * at scrape time and tolerate a torn read of one in-flight increment.
 *
 * Drop reasons are one X-macro table: the enum, the metric label and the help
 * text come from it, so a new reason is one line.
 *
 * Threads: sl_stats_drop() and the inline bumps only on the owning lcore;
 * sl_stats_sum() on any thread.
 */
#ifndef SL_STATS_H
#define SL_STATS_H

#include <stdint.h>

#include <rte_common.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#define SL_MAX_PORTS 8

/* X(symbol, label, help) */
#define SL_DROP_REASONS(X)                                                              \
	X(ETH_TRUNCATED, "eth_truncated", "frame shorter than an Ethernet header")        \
	X(VLAN_STACKED, "vlan_stacked", "more than one VLAN tag")                         \
	X(ETHERTYPE_UNSUPPORTED, "ethertype_unsupported", "neither IPv4, IPv6 nor ARP")   \
	X(L2_OTHER_HOST, "l2_other_host", "unicast frame for another MAC address")        \
	X(ARP_MALFORMED, "arp_malformed", "ARP packet truncated or not Ethernet/IPv4")    \
	X(IPV4_TRUNCATED, "ipv4_truncated", "shorter than its IPv4 header")               \
	X(IPV4_BAD_VERSION, "ipv4_bad_version", "IP version field is not 4")              \
	X(IPV4_BAD_IHL, "ipv4_bad_ihl", "IPv4 header length below 20 bytes or past the data") \
	X(IPV4_BAD_LENGTH, "ipv4_bad_length", "IPv4 total length inconsistent with the frame") \
	X(IPV4_BAD_CHECKSUM, "ipv4_bad_checksum", "IPv4 header checksum wrong")           \
	X(IPV4_BAD_SOURCE, "ipv4_bad_source", "IPv4 source is multicast, broadcast, zero or loopback") \
	X(IPV6_TRUNCATED, "ipv6_truncated", "shorter than an IPv6 header")                \
	X(IPV6_BAD_VERSION, "ipv6_bad_version", "IP version field is not 6")              \
	X(IPV6_BAD_LENGTH, "ipv6_bad_length", "IPv6 payload length inconsistent with the frame") \
	X(IPV6_BAD_EXT_HEADER, "ipv6_bad_ext_header", "IPv6 extension header chain truncated or too long") \
	X(IPV6_BAD_SOURCE, "ipv6_bad_source", "IPv6 source is multicast, unspecified or link-local off-link")         \
	X(L4_TRUNCATED, "l4_truncated", "TCP, UDP or ICMP header cut short")              \
	X(TCP_BAD_OFFSET, "tcp_bad_offset", "TCP data offset below 5 or past the packet") \
	X(UDP_BAD_LENGTH, "udp_bad_length", "UDP length inconsistent with the IP payload") \
	X(TTL_EXCEEDED, "ttl_exceeded", "TTL or hop limit reached zero")                  \
	X(NO_ROUTE, "no_route", "no route to the destination")                            \
	X(BLACKHOLE, "blackhole", "route says blackhole")                                 \
	X(MTU_EXCEEDED, "mtu_exceeded", "larger than the egress MTU and may not be fragmented") \
	X(MULTICAST, "multicast", "multicast destination (not routed)")                   \
	X(LINK_LOCAL_MULTICAST, "link_local_multicast", "link-local multicast (IGMP, MLD, mDNS...) sluice does not join") \
	X(LOCAL_UNHANDLED, "local_unhandled", "addressed to sluice, no service for it")   \
	X(NEIGHBOR_PENDING_FULL, "neighbor_pending_full", "neighbor unresolved and its queue is full") \
	X(NEIGHBOR_FAILED, "neighbor_failed", "neighbor did not answer resolution")       \
	X(PUNT_RING_FULL, "punt_ring_full", "management lcore ring full")                 \
	X(NO_MBUF, "no_mbuf", "mbuf pool exhausted")                                      \
	X(TX_FULL, "tx_full", "transmit queue full")                                      \
	X(PORT_DOWN, "port_down", "egress port is not up")                               \
	X(TCP_INVALID, "tcp_invalid", "TCP flags or state transition not allowed (nf_conntrack INVALID)") \
	X(TCP_OUT_OF_WINDOW, "tcp_out_of_window", "TCP segment outside the peer's window")   \
	X(TCP_BAD_RST, "tcp_bad_rst", "TCP reset outside the window")                      \
	X(TCP_BAD_CHECKSUM, "tcp_bad_checksum", "TCP checksum wrong (checked where sluice rebuilds a segment: the SYN proxy's handshake)") \
	X(NO_CONNECTION, "no_connection", "from an outside zone, and no connection or service for it") \
	X(FLOW_TABLE_FULL, "flow_table_full", "connection table full and nothing to evict")  \
	X(FLOW_INSERT_RACE, "flow_insert_race", "two workers created one connection at once; neither kept it") \
	X(HANDOFF_FULL, "handoff_full", "the owner worker's handoff ring is full")          \
	X(HANDOFF_AGAIN, "handoff_again", "handed to its connection's owner, which no longer owned it") \
	X(FRAGMENT_TIMEOUT, "fragment_timeout", "a later fragment whose first fragment did not come within a second") \
	X(FRAGMENT_HOLD_FULL, "fragment_hold_full", "a later fragment came before its first, and the worker already holds 64") \
	X(FRAGMENT_TABLE_FULL, "fragment_table_full", "a fragmented datagram's later fragments cannot follow its first: flow.max_fragmented reached") \
	X(NAT_PORTS_EXHAUSTED, "nat_ports_exhausted", "no free source port (or ICMP identifier) for source NAT")	\
	X(NO_BACKEND, "no_backend", "a new connection to a service with no usable backend") \
	X(INJECT_FULL, "inject_full", "a packet of the management lcore found the worker's injection ring full") \
	X(ACL_DENY, "acl_deny", "an ACL rule (or the ACL's default) denies it")	\
	X(ACL_REJECT, "acl_reject", "an ACL rule rejects it (answered with a TCP reset or ICMP, within the ICMP error budget)") \
	X(RATE_PPS, "rate_pps", "its source is over its level's packet rate")	\
	X(RATE_BPS, "rate_bps", "its source is over its level's bit rate")	\
	X(CONN_RATE, "conn_rate", "a new connection over its source's rate of new connections") \
	X(CONN_LIMIT, "conn_limit", "a new connection over its source's concurrent connections") \
	X(BLOCKED, "blocked", "its source is blocked (by reputation or by hand)") \
	X(SYN_PROXY_INVALID, "syn_proxy_invalid", "an ACK to a SYN-proxied service or port forward with no connection and no valid cookie") \
	X(QOS_HANDOFF_FULL, "qos_handoff_full", "the ring to the worker that schedules the egress port's QoS was full") \
	X(SYN_PROXY_WAIT, "syn_proxy_wait", "a packet of a SYN-proxied connection before its backend answered (the client sends it again)") \
	X(WG_MALFORMED, "wg_malformed", "a message to a WireGuard listen port that is no WireGuard message (type or length)") \
	X(WG_NO_SESSION, "wg_no_session", "a WireGuard data message for no current session (unknown receiver index, or expired)") \
	X(WG_DECRYPT, "wg_decrypt", "a WireGuard data message whose authentication tag does not verify") \
	X(WG_REPLAY, "wg_replay", "a WireGuard data message whose counter was already received or is behind the replay window") \
	X(WG_ALLOWED_IPS, "wg_allowed_ips", "a decrypted packet whose source is not in its peer's allowed IPs, or that is not IP") \
	X(WG_NO_PEER, "wg_no_peer", "a packet routed into a WireGuard interface whose destination is in no peer's allowed IPs") \
	X(WG_NO_ENDPOINT, "wg_no_endpoint", "a packet for a WireGuard peer whose endpoint is not known yet") \
	X(WG_PUNT_FULL, "wg_punt_full", "a handshake message (or a packet waiting for a handshake) found the ring to the management lcore full") \
	X(WG_STAGED_FULL, "wg_staged_full", "a packet for a peer whose handshake has not completed, with 32 already waiting (or given up after 90 s)") \
	X(WG_OUTER_MTU, "wg_outer_mtu", "an encrypted packet too big for the egress port of its endpoint (lower the WireGuard MTU)")

enum sl_drop_reason {
#define SL_DROP_ENUM(sym, label, help) SL_DROP_##sym,
	SL_DROP_REASONS(SL_DROP_ENUM)
#undef SL_DROP_ENUM
	SL_DROP_MAX
};

/** Prometheus label of a drop reason ("ipv4_bad_checksum"). */
const char *sl_drop_reason_label(enum sl_drop_reason r);
/** One-line explanation of a drop reason. */
const char *sl_drop_reason_help(enum sl_drop_reason r);

/*
 * Latency histogram, rx burst to tx burst. Bucket upper bounds in
 * nanoseconds; the last bucket is +Inf.
 */
#define SL_LATENCY_BUCKETS_NS(X) \
	X(1000) X(2000) X(5000) X(10000) X(20000) X(50000) X(100000) \
	X(200000) X(500000) X(1000000) X(5000000)
#define SL_COUNT_ONE(x) +1
enum { SL_LATENCY_NBUCKETS = 0 SL_LATENCY_BUCKETS_NS(SL_COUNT_ONE) + 1 };

struct sl_port_counters {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t tx_dropped; /**< queue full or port down on transmit */
};

struct sl_lcore_stats {
	struct sl_port_counters port[SL_MAX_PORTS];
	uint64_t drops[SL_DROP_MAX];
	uint64_t punted;            /**< packets handed to the management lcore */
	uint64_t icmp_errors_sent;  /**< ICMP errors generated */
	uint64_t icmp_errors_ratelimited; /**< ICMP errors (and resets) suppressed by the rate limit */
	uint64_t tcp_resets_sent;   /**< TCP resets sent for packets refused on purpose */
	uint64_t rl_overflow;       /**< packets whose source found no room in the source table */
	uint64_t ipv4_fragmented;   /**< IPv4 packets cut into fragments */
	uint64_t ipv4_fragments;    /**< fragments created */
	uint64_t flow_created;      /**< connections created */
	uint64_t flow_removed;      /**< connections removed (expired, closed, killed) */
	uint64_t flow_evicted;      /**< embryonic connections evicted for a new one */
	uint64_t flow_handoff_out;  /**< packets handed to the owner of their connection */
	uint64_t flow_handoff_in;   /**< packets taken from other workers' handoffs */
	uint64_t flow_mss_clamped;  /**< TCP SYNs whose MSS was lowered to the egress MTU */
	uint64_t syn_proxy_sent;    /**< SYNs answered with a cookie */
	uint64_t syn_proxy_valid;   /**< ACKs whose cookie proved their client: connection opened */
	uint64_t wg_decrypted;      /**< WireGuard data messages opened and accepted */
	uint64_t wg_encrypted;      /**< WireGuard data messages sealed */
	uint64_t polls;             /**< loop iterations */
	uint64_t busy_cycles;       /**< TSC cycles spent on iterations that had packets */
	uint64_t total_cycles;      /**< TSC cycles of all iterations */
	uint64_t latency_bucket[SL_LATENCY_NBUCKETS]; /**< non-cumulative counts */
	uint64_t latency_count;
	uint64_t latency_sum_cycles;
} __rte_cache_aligned;

/** One per lcore; index by rte_lcore_id(). */
extern struct sl_lcore_stats sl_lcore_stats[RTE_MAX_LCORE];

/** Latency bucket bounds in TSC cycles, filled by sl_stats_init(). */
extern uint64_t sl_latency_bound_cycles[SL_LATENCY_NBUCKETS - 1];

/** Compute TSC-based bounds; call after rte_eal_init(). @p tsc_hz > 0. */
void sl_stats_init(uint64_t tsc_hz);

/** Upper bounds in seconds (for metric "le" labels). */
double sl_stats_latency_bound_seconds(unsigned bucket);

/** Sum of every lcore's counters into @p out. Thread: any. */
void sl_stats_sum(struct sl_lcore_stats *out);

/** Free @p m and count it under @p reason. */
static inline void
sl_stats_drop(struct sl_lcore_stats *st, struct rte_mbuf *m, enum sl_drop_reason reason)
{
	st->drops[reason]++;
	rte_pktmbuf_free(m);
}

/** Count @p n packets that all took @p cycles from rx to tx. */
static inline void
sl_stats_latency(struct sl_lcore_stats *st, uint64_t cycles, uint32_t n)
{
	unsigned b = 0;
	while (b < SL_LATENCY_NBUCKETS - 1 && cycles > sl_latency_bound_cycles[b])
		b++;
	st->latency_bucket[b] += n;
	st->latency_count += n;
	st->latency_sum_cycles += cycles * n;
}

#endif /* SL_STATS_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The lite IP stack: routing tables, neighbors (ARP/ND), ICMP, forwarding.
 *
 * Three kinds of state, three owners:
 *  - struct sl_ipstack_tables: FIBs, next hops and per-port addresses,
 *    compiled from a config by the management lcore, immutable afterwards,
 *    published in the data-plane snapshot and freed after an RCU grace period.
 *  - struct sl_neigh_table: neighbor entries, written only by the management
 *    lcore, read lock-free by workers (rte_hash with lock-free readers; the
 *    MAC and state of an entry are one 64-bit word, so a reader never sees a
 *    torn MAC). Freed slots are reused only after a grace period.
 *  - struct sl_ipstack_worker: one per worker: its stats, punt ring, ICMP
 *    error budget.
 *
 * Worker stages, in packet order (sl_ipstack_input_burst, _route_burst,
 * _neighbor_burst) follow the stage contract but, because they also hand
 * packets to the management lcore and generate ICMP errors, they free and
 * count their own rejects through sl_stats_drop(): what they return is the
 * number of packets that continue, packed at the front of the array.
 */
#ifndef SL_IPSTACK_H
#define SL_IPSTACK_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>
#include <rte_ether.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "sl_config.h"
#include "sl_pkt.h"
#include "sl_stats.h"

/* ---- Routing tables (immutable snapshot part) ---- */

enum sl_nh_type {
	SL_NH_NONE = 0,       /**< index 0: no route */
	SL_NH_LOCAL,          /**< one of our addresses */
	SL_NH_CONNECTED,      /**< on-link: the destination is the neighbor */
	SL_NH_GATEWAY,        /**< via a gateway neighbor */
	SL_NH_BLACKHOLE,      /**< drop silently */
	SL_NH_UNREACHABLE,    /**< drop, ICMP unreachable */
	SL_NH_BROADCAST,      /**< a connected subnet's broadcast address */
};

struct sl_nexthop {
	uint8_t type;         /**< enum sl_nh_type */
	uint8_t af;           /**< enum sl_af */
	uint16_t port;        /**< egress port index (CONNECTED, GATEWAY, LOCAL: owner) */
	struct sl_addr gw;    /**< GATEWAY only */
};

/** What the data plane knows of a port. */
struct sl_ipstack_port {
	uint16_t port_id;     /**< DPDK ethdev id */
	uint16_t mgmt_txq;    /**< TX queue of the management lcore */
	uint16_t mtu;         /**< L3 MTU, bytes */
	struct rte_ether_addr mac;
	unsigned n_ipv4, n_ipv6;
	struct sl_prefix ipv4[SL_CONFIG_MAX_ADDRS];
	struct sl_prefix ipv6[SL_CONFIG_MAX_ADDRS];
	uint8_t ipv6_ll[16];  /**< fe80::/64 EUI-64 address derived from the MAC */
	uint32_t ll_nh;       /**< CONNECTED IPv6 next hop of this port, for link-local peers */
	bool tunnel;          /**< a WireGuard interface: no device, no neighbors; what
				   routes to it is encrypted by the tunnel-out stage */
};

/* ---- Local-in dispatch (part of the snapshot) ---- */

/**
 * What happens to a packet addressed to one of sluice's own addresses.
 * route decides that a packet is local; the dispatch table, keyed by
 * protocol and destination port (ICMP and ICMPv6: the message type),
 * delivers it. Whatever no rule claims is dropped as local_unhandled (UDP
 * with an ICMP port unreachable, budget permitting), as a host would.
 */
enum sl_localin_action {
	SL_LOCALIN_REFUSE = 0,  /**< drop, local_unhandled (UDP: port unreachable) */
	SL_LOCALIN_ECHO,        /**< echo request: answered on the worker */
	SL_LOCALIN_PUNT,        /**< to the management lcore (replies to its probes) */
	SL_LOCALIN_HANDLER,     /**< a worker-side handler (a tunnel's listen port) */
};

#define SL_LOCALIN_MAX_RULES 32
#define SL_LOCALIN_MAX_HANDLERS 4

struct sl_localin_rule {
	uint8_t proto;          /**< IPPROTO_* */
	uint8_t action;         /**< enum sl_localin_action */
	uint8_t handler;        /**< SL_LOCALIN_HANDLER: index of the worker's handler */
	uint8_t reserved;
	uint16_t lo, hi;        /**< destination port range (ICMP: type), host order */
};

struct sl_localin_table {
	uint16_t n;
	struct sl_localin_rule rules[SL_LOCALIN_MAX_RULES];
};

/** Rules every sluice has: ICMP and ICMPv6 echo requests answered. */
void sl_localin_init(struct sl_localin_table *t);

/**
 * Add a rule; an earlier rule wins where two overlap. -ENOSPC when the table
 * is full, -EINVAL for an inverted range or a bad action. Thread: management
 * (on a snapshot being built).
 */
int sl_localin_add(struct sl_localin_table *t, uint8_t proto, uint16_t lo, uint16_t hi,
		   enum sl_localin_action action, uint8_t handler);

/** The rule for @p proto / @p port, or NULL (refuse). Thread: any. */
static inline const struct sl_localin_rule *
sl_localin_match(const struct sl_localin_table *t, uint8_t proto, uint16_t port)
{
	for (uint16_t i = 0; i < t->n; i++) {
		const struct sl_localin_rule *r = &t->rules[i];
		if (r->proto == proto && port >= r->lo && port <= r->hi)
			return r;
	}
	return NULL;
}

/**
 * An address sluice owns besides its ports' own: a service's VIP or
 * full-NAT source. Local like a port address; answered in ARP / ND on the
 * port whose subnet holds it (none: it is routed to sluice).
 */
struct sl_owned_addr {
	int16_t port;            /**< sluice port index, -1: on no port's subnet */
	uint8_t af;              /**< SL_AF_INET or SL_AF_INET6 */
	uint8_t addr[16];        /**< network order */
};

struct sl_ipstack_tables {
	uint64_t generation;
	unsigned n_owned;
	struct sl_owned_addr *owned;
	struct sl_localin_table localin;
	struct rte_fib *fib4;     /**< host-order keys; value = nexthop index */
	struct rte_fib6 *fib6;
	uint32_t n_nexthops;
	struct sl_nexthop *nexthops;
	uint16_t n_ports;
	struct sl_ipstack_port ports[SL_MAX_PORTS];
};

/** Identity of a port the config does not carry (filled from sl_port). */
struct sl_ipstack_port_id {
	uint16_t port_id;
	uint16_t mgmt_txq;
	struct rte_ether_addr mac;
};

/**
 * Compile routes: connected subnets and local addresses of every port, the
 * config's static routes, fe80::/10 as not forwardable. NULL with @p err set
 * on failure (memory, a FIB error). Thread: management.
 */
struct sl_ipstack_tables *sl_ipstack_tables_build(const struct sl_config *cfg,
						  const struct sl_ipstack_port_id *ids,
						  uint64_t generation, int socket,
						  char *err, size_t err_len);
void sl_ipstack_tables_free(struct sl_ipstack_tables *t);

/** True if @p addr (network order) is an owned address on @p port (ARP / ND answer it). */
bool sl_ipstack_owns(const struct sl_ipstack_tables *t, uint16_t port, uint8_t af,
		     const uint8_t *addr);

/** Next-hop index for one address (host order for v4). Thread: any reader. */
uint32_t sl_ipstack_lookup4(const struct sl_ipstack_tables *t, uint32_t addr_host);
uint32_t sl_ipstack_lookup6(const struct sl_ipstack_tables *t, const uint8_t addr[16]);

/** Routes in effect, connected ones included, as a JSON array. */
json_t *sl_ipstack_routes_json(const struct sl_config *cfg);

/** The EUI-64 link-local address of @p mac. */
void sl_ipstack_link_local(const struct rte_ether_addr *mac, uint8_t out[16]);

/** Source address for packets we originate out of / about @p port. */
bool sl_ipstack_port_src4(const struct sl_ipstack_port *p, uint32_t *src_be);
/** Prefers a global address, then the link-local one. */
void sl_ipstack_port_src6(const struct sl_ipstack_port *p, uint8_t src[16]);

/* ---- Neighbors ---- */

enum sl_neigh_state {
	SL_NEIGH_NONE = 0,
	SL_NEIGH_INCOMPLETE,  /**< resolving; packets wait in its queue */
	SL_NEIGH_REACHABLE,   /**< confirmed within reachable_time */
	SL_NEIGH_STALE,       /**< usable; being re-confirmed */
	SL_NEIGH_FAILED,      /**< did not answer; packets dropped until it expires */
	SL_NEIGH_PERMANENT,   /**< static, from the config: never probed or aged */
};

#define SL_NEIGH_PENDING_MAX 8        /**< packets queued per unresolved neighbor */
#define SL_NEIGH_REACHABLE_S 30       /**< re-confirm after this */
#define SL_NEIGH_RETRANS_MS 1000      /**< between solicitations */
#define SL_NEIGH_MAX_PROBES 3
#define SL_NEIGH_FAILED_HOLD_S 5      /**< a failed entry is removed after this */

struct sl_neigh_key {
	uint16_t port;        /**< sluice port index */
	uint8_t af;           /**< enum sl_af */
	uint8_t pad;
	uint8_t addr[16];     /**< v4 in the first 4 bytes, network order */
} __rte_packed;

/* The word a worker reads: MAC in bits 0..47, state in 48..55. */
#define SL_NEIGH_WORD(mac64, state) ((mac64) | ((uint64_t)(state) << 48))
#define SL_NEIGH_WORD_STATE(w) ((uint8_t)((w) >> 48))

struct sl_neigh_entry {
	uint64_t word;        /**< atomic; MAC + state, read by workers */
	/* Below: management lcore only. */
	struct sl_neigh_key key;
	bool in_use;
	uint8_t probes;       /**< solicitations sent since the last answer */
	uint64_t confirmed_tsc;
	uint64_t next_event_tsc; /**< retransmit, re-confirm or expiry */
	uint16_t n_pending;
	struct rte_mbuf *pending[SL_NEIGH_PENDING_MAX];
};

struct sl_neigh_table {
	struct rte_hash *hash;   /**< key -> position in entries[] */
	uint32_t capacity;
	struct sl_neigh_entry *entries;
	uint64_t tsc_hz;
	uint32_t n_used;         /**< entries in use (management lcore) */
	bool rcu;                /**< slots freed through the QSBR defer queue */
	/**
	 * Bumped before every delete. A key keeps its position for as long as
	 * it lives, so a reader may keep a position it found across bursts
	 * while this stays the same (see sl_neigh_find()).
	 */
	uint64_t deletes;
};

/**
 * Create a table of @p capacity entries whose readers report quiescent
 * states on @p qsv (freed slots wait for a grace period). NULL + rte_errno.
 */
struct sl_neigh_table *sl_neigh_table_create(const char *name, uint32_t capacity, int socket,
					     struct rte_rcu_qsbr *qsv, uint64_t tsc_hz);
void sl_neigh_table_free(struct sl_neigh_table *t);

static inline void sl_neigh_key_v4(struct sl_neigh_key *k, uint16_t port, uint32_t addr_be)
{
	memset(k, 0, sizeof(*k));
	k->port = port;
	k->af = SL_AF_INET;
	memcpy(k->addr, &addr_be, 4);
}

static inline void sl_neigh_key_v6(struct sl_neigh_key *k, uint16_t port, const uint8_t *addr)
{
	memset(k, 0, sizeof(*k));
	k->port = port;
	k->af = SL_AF_INET6;
	memcpy(k->addr, addr, 16);
}

/**
 * Worker lookup: the entry's word (MAC + state), 0 when there is no entry.
 * Thread: any (lock-free reader; call between quiescent states).
 */
/**
 * The entry of @p k, or NULL. A worker may keep the pointer past its next
 * quiescent state only while t->deletes (read with acquire before the
 * lookup) stays the same; the entry's word must be re-read at each use.
 */
static inline const struct sl_neigh_entry *sl_neigh_find(const struct sl_neigh_table *t,
							 const struct sl_neigh_key *k)
{
	int32_t pos = rte_hash_lookup(t->hash, k);
	return pos < 0 ? NULL : &t->entries[pos];
}

/** The MAC and state word of @p k, 0 if there is no entry. */
static inline uint64_t sl_neigh_lookup(const struct sl_neigh_table *t, const struct sl_neigh_key *k)
{
	const struct sl_neigh_entry *e = sl_neigh_find(t, k);
	return e == NULL ? 0 : __atomic_load_n(&e->word, __ATOMIC_ACQUIRE);
}

/* Management side. */
struct sl_neigh_entry *sl_neigh_get(struct sl_neigh_table *t, const struct sl_neigh_key *k);
/** Find or create (INCOMPLETE). NULL when the table is full. */
struct sl_neigh_entry *sl_neigh_get_or_create(struct sl_neigh_table *t,
					      const struct sl_neigh_key *k, uint64_t now);
/**
 * True while unsolicited learning (an ARP request or NS from a host we never
 * asked for) may add entries: below three quarters of the capacity, so a
 * host spraying requests from many addresses cannot crowd out the next hops
 * sluice itself needs to resolve.
 */
static inline bool sl_neigh_may_learn(const struct sl_neigh_table *t)
{
	return t->n_used < t->capacity / 4 * 3;
}

/** Publish a MAC and state for readers. */
void sl_neigh_set(struct sl_neigh_entry *e, const struct rte_ether_addr *mac, uint8_t state);
/** Remove an entry; its pending packets are dropped as NEIGHBOR_FAILED. */
void sl_neigh_delete(struct sl_neigh_table *t, struct sl_neigh_entry *e, struct sl_lcore_stats *st);
const char *sl_neigh_state_name(uint8_t state);

/** Entries as a JSON array for the API. */
json_t *sl_neigh_table_json(const struct sl_neigh_table *t,
			    const char *const *port_names, uint64_t now);

/* ---- Management control: ARP, ND, pending queues, timers ---- */

/** Sends a frame out of a port on the management TX queue; owns @p m. */
typedef void (*sl_ipstack_tx_fn)(void *arg, uint16_t port, struct rte_mbuf *m);

struct sl_ipstack_ctl {
	struct sl_neigh_table *neigh;
	struct rte_mempool *pool;
	struct sl_lcore_stats *st;   /**< the management lcore's counters */
	sl_ipstack_tx_fn tx;
	void *tx_arg;
	uint64_t tsc_hz;
	/** Where packets the management lcore originates enter the pipeline
	 *  (a worker's route stage, so NAT applies to them); owns m. NULL:
	 *  routed here and sent on the management TX queue. */
	void (*inject)(void *arg, struct rte_mbuf *m);
	void *inject_arg;
	/** Where routed packets for a tunnel port go (the WireGuard interface
	 *  encrypts them); owns m. NULL: dropped as no_route. */
	void (*tunnel)(void *arg, struct rte_mbuf *m, uint64_t now);
	void *tunnel_arg;
	/** Consumer of SL_LOCALIN_PUNT packets (health-probe replies); owns m. */
	void (*local_in)(void *arg, struct rte_mbuf *m, uint64_t now);
	void *local_in_arg;
};

/**
 * Handle one packet punted by a worker: ARP, ND, a routed packet waiting
 * for its neighbor or to be fragmented, or a local-in packet (given to
 * c->local_in, dropped as local_unhandled when there is none). Consumes
 * @p m. Thread: management.
 */
void sl_ipstack_ctl_input(struct sl_ipstack_ctl *c, const struct sl_ipstack_tables *t,
			  struct rte_mbuf *m, uint64_t now);

/**
 * Send an IP packet the management lcore built (meta: l2_len, l3_type set;
 * room for the Ethernet header in front): routed by its destination, its
 * neighbor resolved (it waits in the neighbor's queue meanwhile), out of the
 * management TX queue. Consumes @p m. Thread: management.
 */
void sl_ipstack_ctl_route(struct sl_ipstack_ctl *c, const struct sl_ipstack_tables *t,
			  struct rte_mbuf *m, uint64_t now);

/** A TCP segment without payload, for sl_ipstack_ctl_send_tcp(). */
struct sl_ctl_tcp {
	uint8_t af;               /**< SL_AF_INET or SL_AF_INET6 */
	const uint8_t *src;       /**< network order; NULL: the egress port's address */
	const uint8_t *dst;
	uint16_t sport, dport;    /**< host order */
	uint32_t seq, ack;
	uint8_t flags;            /**< RTE_TCP_*_FLAG */
};

/**
 * Build and send @p seg (health probes). 0, -EHOSTUNREACH when no route
 * or source address, -ENOBUFS. Thread: management.
 */
int sl_ipstack_ctl_send_tcp(struct sl_ipstack_ctl *c, const struct sl_ipstack_tables *t,
			    const struct sl_ctl_tcp *seg, uint64_t now);

/**
 * Make the table's static entries match @p cfg->neighbors: add or update
 * them as PERMANENT (flushing anything that waited for them), and delete
 * PERMANENT entries the config no longer has. Thread: management.
 */
void sl_ipstack_ctl_sync_static(struct sl_ipstack_ctl *c, const struct sl_ipstack_tables *t,
				const struct sl_config *cfg, uint64_t now);

/** Retransmit solicitations, re-confirm and expire entries. Thread: management. */
void sl_ipstack_ctl_timers(struct sl_ipstack_ctl *c, const struct sl_ipstack_tables *t,
			   uint64_t now);

/* ---- Worker stages ---- */

/**
 * A worker-side local-in handler (SL_LOCALIN_HANDLER): consumes @p m, or
 * returns a packet to continue in its place (routed: out_port and nh_index
 * set), as an echo reply does.
 */
typedef struct rte_mbuf *(*sl_localin_fn)(void *ctx, struct rte_mbuf *m, uint64_t now);

struct sl_ipstack_worker {
	const struct sl_ipstack_tables *t;   /**< current snapshot's tables */
	struct {
		sl_localin_fn fn;                /**< NULL: the rule's packets are refused */
		void *ctx;
	} localin[SL_LOCALIN_MAX_HANDLERS];
	struct sl_neigh_table *neigh;
	struct rte_ring *punt;               /**< to the management lcore (MP/SC) */
	struct rte_mempool *pool;            /**< for ICMP errors */
	/** Before an ICMP error quotes a packet: undo what NAT changed in it
	 *  before route (NULL: nothing to undo). */
	void (*as_received)(const void *arg, struct rte_mbuf *m);
	const void *as_received_arg;
	struct sl_lcore_stats *st;
	uint64_t tsc_hz;
	/* ICMP error budget per worker (GCRA): 0 = a full bucket. */
	uint64_t icmp_tat;                   /**< theoretical arrival time, TSC */
	uint32_t icmp_rate;                  /**< errors per second; 0 = none */
	uint32_t icmp_burst;                 /**< bucket depth, errors */
	/*
	 * The neighbor the neighbor stage found last, kept across bursts: a
	 * flow's packets mostly share one. Valid for the tables @p t of
	 * generation @p gen and neighbor deletes count @p deletes
	 * (sl_neigh_find()).
	 */
	struct {
		const struct sl_neigh_entry *e; /**< NULL: nothing kept */
		const struct sl_ipstack_tables *t;
		uint64_t gen, deletes;
		uint32_t nh_index;
		uint64_t a0, a1;                /**< destination, for on-link next hops */
	} last_neigh;
};

void sl_ipstack_worker_init(struct sl_ipstack_worker *w, struct sl_neigh_table *neigh,
			    struct rte_ring *punt, struct rte_mempool *pool,
			    struct sl_lcore_stats *st, uint64_t tsc_hz);

/**
 * L2 acceptance and control traffic: drops frames for other MACs, punts ARP
 * and neighbor discovery, drops multicast. Returns packets that continue.
 */
uint16_t sl_ipstack_input_burst(struct sl_ipstack_worker *w, struct rte_mbuf **pkts,
				uint16_t n, uint64_t now);

/**
 * Routing: FIB lookup, TTL/hop limit, MTU, ICMP errors; packets for one of
 * sluice's addresses go to the local-in dispatch (t->localin), and what it
 * answers (echo replies) continues routed. Sets meta->out_port and
 * meta->nh_index on what continues.
 */
uint16_t sl_ipstack_route_burst(struct sl_ipstack_worker *w, struct rte_mbuf **pkts,
				uint16_t n, uint64_t now);

/**
 * L2 rewrite from the neighbor table; unresolved packets are punted to wait
 * in their neighbor's queue. Returns packets ready to transmit.
 */
uint16_t sl_ipstack_neighbor_burst(struct sl_ipstack_worker *w, struct rte_mbuf **pkts,
				   uint16_t n, uint64_t now);

/* ---- ICMP (shared by workers and the management lcore) ---- */

/**
 * Build an ICMP / ICMPv6 error about @p orig (which is not consumed) into a
 * new mbuf from @p pool: IP header from the ingress port's address to the
 * original source, quoting as much of the original as RFC 1812 / RFC 4443
 * allow. NULL if the original must not get an error (an ICMP error itself,
 * a non-first fragment, a multicast or broadcast source or destination) or
 * there is no source address or mbuf. @p info is the MTU for "too big".
 * The result's meta has l2_len 14, l3 fields set, in_port/rx_tsc copied.
 */
struct rte_mbuf *sl_icmp_error_build(struct rte_mempool *pool, const struct sl_ipstack_tables *t,
				     struct rte_mbuf *orig, uint8_t type, uint8_t code, uint32_t info);

/**
 * Cut the IPv4 packet @p m (parsed, single segment, L3 at meta->l2_len) into
 * fragments of at most @p mtu bytes of IP each, as new mbufs from @p pool
 * with a 14-byte L2 placeholder and meta copied. @p m is not consumed.
 * Returns the number of fragments, or -ENOBUFS (no mbufs / more than
 * @p max_out), -EINVAL (MTU below header + 8, or multi-segment).
 */
int sl_ipv4_fragment(struct rte_mbuf *m, uint16_t mtu, struct rte_mempool *pool,
		     struct rte_mbuf **out, unsigned max_out);

/**
 * A TCP segment from @p seg (its src required) in a new mbuf from @p pool:
 * 20-byte header without options, DF, TTL 64; meta as parse would set it,
 * with @p in_port. NULL without an mbuf. Thread: any.
 */
struct rte_mbuf *sl_tcp_segment_build(struct rte_mempool *pool, const struct sl_ctl_tcp *seg,
				      uint16_t in_port);

/**
 * The reset that answers TCP segment @p orig (not consumed), from its
 * destination to its source, sequence numbers as RFC 9293 3.10.7.1 sets
 * them. NULL for a reset, a fragment, or without an mbuf.
 */
struct rte_mbuf *sl_tcp_reset_build(struct rte_mempool *pool, struct rte_mbuf *orig);

/**
 * Route @p m, a packet sluice sends from one of its own addresses in
 * answer to one it received (a SYN proxy's SYN-ACK): its out_port and
 * next hop set for the neighbor stage. False when no route leads to its
 * destination. Thread: worker.
 */
bool sl_ipstack_route_answer(struct sl_ipstack_worker *w, struct rte_mbuf *m);

/**
 * Refuse @p m on purpose (an ACL's reject): drop it for @p reason and,
 * within the ICMP error budget, answer a TCP segment with a reset and
 * anything else with ICMP "administratively prohibited" (ICMPv6 1/1).
 * Returns the answer, routed (out_port set), or NULL. Thread: worker.
 */
struct rte_mbuf *sl_ipstack_refuse(struct sl_ipstack_worker *w, struct rte_mbuf *m, uint64_t now,
				   enum sl_drop_reason reason);

/** Checksum of an IPv4 header including options (network order). */
uint16_t sl_ipv4_header_cksum(const struct rte_ipv4_hdr *ip);

#endif /* SL_IPSTACK_H */

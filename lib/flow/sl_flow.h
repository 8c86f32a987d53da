/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The connection table: one table for all workers, each connection owned by
 * one worker.
 *
 * Ownership (doc/architecture.md, "Connections and their owners"):
 *  - Every worker may look any connection up, lock-free, by either
 *    direction's key; only the connection's owner (the worker that created
 *    it) changes or removes it. A packet found to belong to another worker's
 *    connection is handed to that worker (one ring per worker pair), so a
 *    packet crosses at most one handoff.
 *  - Entries live in per-worker pools (flow.max_connections split evenly),
 *    so allocation and freeing never touch another worker's memory; the
 *    bucket array is shared, and its slots are claimed and released with
 *    compare-and-swap.
 *  - A removed entry is reused only after every worker has passed a
 *    quiescent state (rte_rcu_qsbr), so a reader that found it a moment ago
 *    never sees it change under it.
 *
 * Layout and memory: a bucket is one cache line of eight 64-bit slots (the
 * key's 32-bit signature and a 32-bit entry reference); each key may sit in
 * one of two buckets, and the table is sized so slots are at most 2/3 full.
 * An entry is 96 bytes and holds both directions' keys for IPv4; an IPv6
 * connection also takes a 64-byte block for its four addresses. With the
 * slots, that is 120 bytes per IPv4 and 184 per IPv6 connection
 * (sl_flow_table_memory()).
 *
 * Threads: sl_flow_table_create/free: management, with no worker running.
 * sl_flow_lookup: any. sl_flow_alloc/insert/remove/expire_scan/reclaim:
 * the owning worker only (the @p worker argument). Reads for the API:
 * management, racy by design (a connection may change while it is shown).
 */
#ifndef SL_FLOW_H
#define SL_FLOW_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>
#include <rte_hash_crc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "sl_ipstack.h"
#include "sl_lb.h"
#include "sl_ratelimit.h"
#include "sl_rss.h"
#include "sl_stats.h"
#include "sl_synproxy.h"

#define SL_FLOW_MAX_WORKERS 32
#define SL_FLOW_BUCKET_SLOTS 8
#define SL_FLOW_NONE UINT32_MAX

/**
 * One direction of a connection, as a packet carries it. The first 8 bytes
 * are one word for the hash (written and read whole: no store-forwarding
 * stall between building a key and hashing it); @p reserved is always 0.
 */
struct sl_flow_key {
	uint16_t sport, dport; /**< host order; ICMP echo: identifier, message type */
	uint8_t af;            /**< SL_AF_INET (4) or SL_AF_INET6 (6) */
	uint8_t proto;         /**< IPPROTO_* */
	uint16_t reserved;
	uint8_t src[16], dst[16]; /**< network order; IPv4 in the first 4 bytes, rest 0 */
};

/** The key's first word: ports, family, protocol. */
static inline uint64_t sl_flow_key_head(uint16_t sport, uint16_t dport, uint8_t af, uint8_t proto)
{
	return (uint64_t)sport | (uint64_t)dport << 16 | (uint64_t)af << 32 |
	       (uint64_t)proto << 40;
}

enum sl_flow_dir { SL_FLOW_ORIG = 0, SL_FLOW_REPLY = 1 };

/** TCP window tracking of one direction (RFC 793 / nf_conntrack's td_*). */
struct sl_flow_tcp_dir {
	uint32_t end;          /**< highest sequence number sent + 1 */
	uint32_t maxend;       /**< highest sequence number the peer allows */
	uint32_t maxwin;       /**< largest window seen */
	uint8_t scale;         /**< window scale this side announced */
	uint8_t flags;         /**< SL_FLOW_TCP_F_* */
	uint16_t reserved;
};

/** A connection. Fields below the keys are the owner's alone. */
struct sl_flow {
	/* Keys of both directions: [dir][0] = source, [dir][1] = destination. */
	uint32_t addr4[2][2];  /**< IPv4, network order */
	uint16_t port[2][2];   /**< host order */
	uint32_t v6;           /**< IPv6 address block index, SL_FLOW_NONE for IPv4 */
	uint8_t af, proto;
	uint8_t owner;         /**< worker index, for the API (readers use sl_flow_owner()) */
	uint8_t state;         /**< 0: free; else the protocol's state (sl_flow_state) */
	uint8_t flags;         /**< SL_FLOW_F_* */
	uint8_t kill;          /**< set by the management lcore: remove it */
	uint16_t backend;      /**< service backend, 0 = none */
	uint32_t deadline;     /**< expiry, in ticks (sl_flow_ticks) */
	uint32_t created;      /**< in ticks */
	uint32_t prev, next;   /**< embryonic list, free list, reclaim list */
	uint32_t packets[2];   /**< per direction */
	uint16_t service;      /**< virtual service, 0 = none */
	uint8_t rl_mark;       /**< enum sl_rl_mark: where its source counts it open */
	uint8_t proxy;         /**< enum sl_flow_proxy: opened by the SYN proxy */
	struct sl_flow_tcp_dir tcp[2];
};

enum sl_flow_flags {
	SL_FLOW_F_EMBRYONIC = 1u << 0,  /**< on the owner's embryonic list */
	SL_FLOW_F_SEEN_REPLY = 1u << 1, /**< a packet went the reply way */
	SL_FLOW_F_ASSURED = 1u << 2,    /**< established / replied both ways */
	SL_FLOW_F_DYING = 1u << 3,      /**< removed, waiting for a grace period */
	SL_FLOW_F_SNAT = 1u << 4,       /**< source translated (reply key differs) */
	SL_FLOW_F_DNAT = 1u << 5,       /**< destination translated */
	SL_FLOW_F_NAT_PENDING = 1u << 6, /**< new: source NAT is decided after route */
	SL_FLOW_F_LB_OPEN = 1u << 7,    /**< counted open on its backend (until it closes) */
};

/** A connection the SYN proxy opened (sl_flow.proxy). */
enum sl_flow_proxy {
	SL_FLOW_PROXY_NONE = 0,
	SL_FLOW_PROXY_WAITING,  /**< the SYN went to the backend; its answer not yet seen */
	SL_FLOW_PROXY_SPLICED,  /**< both halves joined: every packet translated */
};

/**
 * How a SYN-proxied connection's two halves are joined (the table's splice
 * array, by entry): the client's half began with sluice's cookie, the
 * server's with the server's own initial sequence number and timestamps.
 */
struct sl_flow_splice {
	uint32_t seq;          /**< waiting: the cookie; spliced: server ISN - cookie */
	uint32_t ts;           /**< waiting: the timestamp sluice sent; spliced: server's - it */
	int8_t client_scale;   /**< window scale the client announced, -1: none */
	int8_t to_client;      /**< shift from the server's window scale to sluice's announced one */
	int8_t to_server;      /**< shift from the client's window scale to what the server applies */
	uint8_t ts_on;         /**< both sides use timestamps */
};

/** Per-worker part of the table: touched by its owner only. */
struct sl_flow_worker {
	uint32_t first, last;        /**< its pool: entries [first, last) */
	uint32_t free_head;          /**< free list (through next) */
	uint32_t v6_free_head;       /**< free IPv6 address blocks (index list) */
	uint32_t v6_first, v6_last;
	uint32_t emb_head, emb_tail; /**< embryonic entries, oldest first */
	uint32_t scan;               /**< expiry cursor in [first, last) */
	uint32_t n_used, n_embryonic;
	/* Removed entries waiting for a grace period: a FIFO of batches. */
	uint32_t limbo_head, limbo_tail;  /**< entries of the open batch */
	struct {
		uint32_t head, tail;
		uint64_t token;
	} batch[16];
	uint8_t n_batches, first_batch;
	uint32_t *v6_next;           /**< free-list links of IPv6 blocks */
} __rte_cache_aligned;

struct sl_flow_table {
	uint32_t capacity;           /**< entries (connections) */
	uint32_t per_worker;         /**< entries in each worker's pool */
	uint32_t v6_capacity;        /**< IPv6 address blocks */
	uint32_t n_buckets;
	unsigned n_workers;
	uint64_t *slots;             /**< n_buckets * SL_FLOW_BUCKET_SLOTS */
	struct sl_flow *entries;
	uint8_t (*v6)[64];           /**< [orig src, orig dst, reply src, reply dst] */
	struct sl_flow_splice *splice; /**< per entry: SYN-proxied connections' translation */
	struct rte_rcu_qsbr *qsv;    /**< the workers' quiescent states */
	uint32_t moves;              /**< keys moved to their other bucket (readers re-check) */
	struct sl_flow_worker w[SL_FLOW_MAX_WORKERS];
};

/**
 * A table for @p capacity connections, of which up to @p v6_capacity IPv6,
 * split evenly over @p n_workers owners whose quiescent states are reported
 * on @p qsv (NULL: the caller guarantees no concurrent reader, as in unit
 * tests). NULL on bad sizes or no memory.
 */
struct sl_flow_table *sl_flow_table_create(uint32_t capacity, uint32_t v6_capacity,
					   unsigned n_workers, struct rte_rcu_qsbr *qsv,
					   int socket);
void sl_flow_table_free(struct sl_flow_table *t);

/**
 * Give the table its splice array (12 bytes per connection), which the SYN
 * proxy's connections need: once, before the first snapshot with a
 * syn_proxy target is published. 0, or -ENOMEM. Thread: management.
 */
int sl_flow_splice_enable(struct sl_flow_table *t, int socket);

/** Bytes the table takes for @p capacity / @p v6_capacity (what create allocates). */
uint64_t sl_flow_table_memory(uint32_t capacity, uint32_t v6_capacity, unsigned n_workers);

/** The 32-bit hash of a key (CRC32-C): inline, it runs for every packet. */
static inline uint32_t sl_flow_hash(const struct sl_flow_key *k)
{
	uint64_t head;
	memcpy(&head, k, sizeof(head));
	uint32_t h = rte_hash_crc_8byte(head, 0x5eed1ce);
	uint64_t w[4];
	if (k->af == 4) {
		memcpy(w, k->src, 4);
		memcpy((uint8_t *)w + 4, k->dst, 4);
		return rte_hash_crc_8byte(w[0], h);
	}
	memcpy(w, k->src, 16);
	memcpy(w + 2, k->dst, 16);
	for (unsigned i = 0; i < 4; i++)
		h = rte_hash_crc_8byte(w[i], h);
	return h;
}

/**
 * The connection one of whose keys is @p k, or SL_FLOW_NONE; @p dir says
 * which. Thread: any worker, between its quiescent states.
 */
uint32_t sl_flow_lookup(const struct sl_flow_table *t, const struct sl_flow_key *k,
			uint32_t hash, enum sl_flow_dir *dir);

/** Prefetch the buckets @p hash may be in (before a burst's lookups). */
void sl_flow_prefetch(const struct sl_flow_table *t, uint32_t hash);
/**
 * Prefetch the entry the first slot with @p hash's signature names (its
 * buckets fetched before); returns that slot's reference, a hint for
 * sl_flow_lookup_hint() (0: none).
 */
uint32_t sl_flow_prefetch_entry(const struct sl_flow_table *t, uint32_t hash);
/** sl_flow_lookup() that tries the entry @p hint names first. */
uint32_t sl_flow_lookup_hint(const struct sl_flow_table *t, const struct sl_flow_key *k,
			     uint32_t hash, uint32_t hint, enum sl_flow_dir *dir);

/** The key of @p f in direction @p dir. */
void sl_flow_key_get(const struct sl_flow_table *t, const struct sl_flow *f,
		     enum sl_flow_dir dir, struct sl_flow_key *k);

static inline struct sl_flow *sl_flow_get(const struct sl_flow_table *t, uint32_t idx)
{
	return &t->entries[idx];
}

/**
 * The worker that owns entry @p idx: the one whose pool it is in. Derived,
 * never read from the entry, so a reader that catches an entry while it is
 * being reused still hands the packet to the right worker.
 */
static inline unsigned sl_flow_owner(const struct sl_flow_table *t, uint32_t idx)
{
	return idx / t->per_worker;
}

/**
 * Take a free entry from @p worker's pool and give it the keys @p orig and
 * @p reply (same family and protocol), state 1 and no flags; not yet in
 * the table. SL_FLOW_NONE when the pool (or, for IPv6, the address blocks)
 * is exhausted.
 */
uint32_t sl_flow_alloc(struct sl_flow_table *t, unsigned worker, const struct sl_flow_key *orig,
		       const struct sl_flow_key *reply);

/**
 * Change the reply key of published entry @p idx (its owner's) to @p r:
 * the old key leaves the table, the new one enters. 0, or -EEXIST /
 * -ENOSPC with the old key back in place.
 */
int sl_flow_rekey_reply(struct sl_flow_table *t, unsigned worker, uint32_t idx,
			const struct sl_flow_key *r);

/** Give back an entry sl_flow_alloc() returned and that was never inserted. */
void sl_flow_free_unused(struct sl_flow_table *t, unsigned worker, uint32_t idx);

/**
 * Publish both keys of entry @p idx. 0, or -EEXIST when a key is already in
 * the table (another connection holds it, or another worker inserted the
 * same connection at the same moment: then both may back off, never both
 * succeed), or -ENOSPC when a key's two buckets are full. On error nothing
 * is published and the entry is still the caller's.
 */
int sl_flow_insert(struct sl_flow_table *t, unsigned worker, uint32_t idx);

/**
 * Unpublish entry @p idx and queue it for reuse after a grace period.
 * Thread: its owner.
 */
void sl_flow_remove(struct sl_flow_table *t, unsigned worker, uint32_t idx);

/**
 * Remove entry @p idx and make it reusable at once, for a new connection
 * that needs its place (the table is full). Safe without a grace period
 * because a worker that is not the owner uses an entry it finds for one
 * thing only: to hand the packet to the entry's owner, which is fixed by
 * the pool the entry is in; a reader that catches the entry mid-change
 * hands a packet to the owner, whose own lookup then decides.
 */
void sl_flow_evict(struct sl_flow_table *t, unsigned worker, uint32_t idx);

/** Put @p idx on / take it off @p worker's embryonic list (oldest first). */
void sl_flow_embryonic_add(struct sl_flow_table *t, unsigned worker, uint32_t idx);
void sl_flow_embryonic_del(struct sl_flow_table *t, unsigned worker, uint32_t idx);
/** The oldest embryonic connection of @p worker, SL_FLOW_NONE if there is none. */
static inline uint32_t sl_flow_embryonic_oldest(const struct sl_flow_table *t, unsigned worker)
{
	return t->w[worker].emb_head;
}

/**
 * Close the batch of entries removed since the last call (one grace period
 * token for all of them) and return to the pool those whose grace period is
 * over. Call once per loop iteration. Thread: the owner.
 */
void sl_flow_reclaim(struct sl_flow_table *t, unsigned worker);

/**
 * Visit up to @p budget entries of @p worker's pool from its cursor on and
 * call @p expire for each one in use whose deadline is before @p now_ticks
 * or that the management lcore marked to kill; @p expire decides and
 * removes. Returns entries visited. Thread: the owner.
 */
unsigned sl_flow_expire_scan(struct sl_flow_table *t, unsigned worker, uint32_t now_ticks,
			     unsigned budget,
			     void (*expire)(void *arg, uint32_t idx), void *arg);

/** Connections in use in @p worker's pool. Thread: any (a racy read). */
static inline uint32_t sl_flow_used(const struct sl_flow_table *t, unsigned worker)
{
	return __atomic_load_n(&t->w[worker].n_used, __ATOMIC_RELAXED);
}

/** Ticks of the connection clock: 1/16 s (a uint32_t lasts 8.5 years). */
#define SL_FLOW_TICKS_PER_S 16
static inline uint32_t sl_flow_ticks(uint64_t tsc, uint64_t tsc_hz)
{
	return (uint32_t)(tsc / (tsc_hz / SL_FLOW_TICKS_PER_S));
}

/** True when tick @p a is before @p b (wrapping). */
static inline bool sl_flow_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* ---- Connection tracking (sl_conntrack.c) ---- */

/** States, in sl_flow.state; 0 is a free entry. TCP's follow nf_conntrack. */
enum sl_ct_state {
	SL_CT_NEW = 1,          /**< allocated, not yet given a protocol state */
	SL_CT_TCP_SYN_SENT,
	SL_CT_TCP_SYN_RECV,
	SL_CT_TCP_ESTABLISHED,
	SL_CT_TCP_FIN_WAIT,
	SL_CT_TCP_CLOSE_WAIT,
	SL_CT_TCP_LAST_ACK,
	SL_CT_TCP_TIME_WAIT,
	SL_CT_TCP_CLOSE,
	SL_CT_TCP_SYN_SENT2,    /**< simultaneous open: a SYN each way */
	SL_CT_UDP_UNREPLIED,
	SL_CT_UDP_REPLIED,
	SL_CT_ICMP,             /**< an echo exchange (ICMP or ICMPv6), by identifier */
	SL_CT_OTHER,            /**< any other protocol, by address pair */
	SL_CT_NSTATES
};

/** Name of a state for the API and metrics ("established", "syn_sent"...). */
const char *sl_ct_state_name(uint8_t state);

/** Per-state timeouts, in ticks of sl_flow_ticks(). */
struct sl_ct_timeouts {
	uint32_t state[SL_CT_NSTATES];
	uint32_t udp_assured;   /**< UDP once replied and seen again (a stream) */
};

/** nf_conntrack's defaults: established 5 d, syn_sent 120 s, time_wait 120 s,
 *  udp 30 s / 120 s assured, icmp 30 s, other 600 s. */
void sl_ct_timeouts_default(struct sl_ct_timeouts *to);

/** The timeout of @p f in its state (ticks). */
uint32_t sl_ct_timeout(const struct sl_flow *f, const struct sl_ct_timeouts *to);

enum sl_flow_tcp_flags {
	SL_FLOW_TCP_F_WSCALE = 1u << 0,  /**< this side offered window scaling */
	SL_FLOW_TCP_F_LIBERAL = 1u << 1, /**< picked up mid-stream: windows not enforced */
	SL_FLOW_TCP_F_FIN = 1u << 2,     /**< this side sent a FIN */
};

/** What the TCP tracker needs of a segment (host order). */
struct sl_ct_tcp_seg {
	uint32_t seq, ack;
	uint16_t win;          /**< the header's window field, unscaled */
	uint16_t len;          /**< payload bytes */
	uint8_t flags;         /**< the header's flag byte (FIN 0x01 ... CWR 0x80) */
	int8_t wscale;         /**< window scale option on a SYN, -1 if none */
};

/** Why the tracker refused a packet. */
enum sl_ct_verdict {
	SL_CT_ACCEPT = 0,
	SL_CT_RESTART,          /**< a SYN reopens a closed connection: remove it, create anew */
	SL_CT_INVALID,          /**< flags or transition not allowed (tcp_invalid) */
	SL_CT_OUT_OF_WINDOW,    /**< outside the peer's window (tcp_out_of_window) */
	SL_CT_BAD_RST,          /**< a reset outside the window (tcp_bad_rst) */
};

/**
 * Start tracking a TCP connection with its first segment @p s (the entry
 * is in SL_CT_NEW): a SYN opens it; anything else only with @p pickup (a
 * connection seen mid-stream, after a restart), then windows are not
 * enforced for it. Returns SL_CT_ACCEPT or SL_CT_INVALID.
 */
enum sl_ct_verdict sl_ct_tcp_new(struct sl_flow *f, const struct sl_ct_tcp_seg *s, bool pickup);

/**
 * A segment of a tracked connection, in direction @p dir: checks its flags,
 * the state transition and the window, then updates the state. Nothing
 * changes when the verdict is not SL_CT_ACCEPT.
 */
enum sl_ct_verdict sl_ct_tcp_update(struct sl_flow *f, enum sl_flow_dir dir,
				    const struct sl_ct_tcp_seg *s);

/** A UDP, ICMP echo or other packet of a tracked connection in @p dir. */
void sl_ct_other_update(struct sl_flow *f, enum sl_flow_dir dir);

/* ---- The flow stage (sl_flow_stage.c) ---- */

#define SL_FLOW_MAX_SNAT 32

/** A source NAT rule, compiled: addresses resolved for the egress port. */
struct sl_flow_snat {
	uint16_t out_port;                /**< sluice port index */
	uint8_t af;                       /**< 0: the rule's source is any address */
	uint8_t plen;                     /**< source prefix length */
	uint8_t prefix[16];
	bool has4, has6;                  /**< an address to translate to, per family */
	uint8_t to4[4], to6[16];          /**< network order */
	uint16_t lo, hi;                  /**< ports (and ICMP identifiers) to use */
};

#define SL_FLOW_MAX_DNAT 64

/** A port forward: new connections to sluice's address on in_port:port go to to:to_port. */
struct sl_flow_dnat {
	uint16_t in_port;
	uint8_t proto, af;                /**< af: the family of "to" */
	uint16_t port, to_port;           /**< host order */
	uint8_t to[16];                   /**< network order */
	uint8_t syn_proxy;                /**< enum sl_config_syn_proxy_mode */
	uint32_t syn_proxy_above;         /**< auto: SYNs per second that turn it on */
};

/** What the snapshot says about connections (immutable once published). */
struct sl_flow_policy {
	bool tcp_pickup;                  /**< track TCP connections seen mid-stream */
	uint8_t outside[SL_MAX_PORTS];    /**< per sluice port: 1 = outside zone */
	struct sl_ct_timeouts timeouts;
	unsigned n_snat;
	struct sl_flow_snat snat[SL_FLOW_MAX_SNAT];
	unsigned n_dnat;
	struct sl_flow_dnat dnat[SL_FLOW_MAX_DNAT];
	bool mss_clamp;                   /**< lower SYNs' MSS to what the egress MTU carries */
	uint16_t mtu[SL_MAX_PORTS];       /**< per sluice port: its L3 MTU */
	/** Per-source limits and reputation (a ratelimit section); NULL: none. */
	const struct sl_rl_policy *sources;
};

/* ---- Fragments (sl_flow_frag.c) ---- */

/**
 * Virtual reassembly: a fragmented datagram's first fragment (the only one
 * with ports) finds its connection; the table below remembers, by (family,
 * protocol, source, destination, IP identifier), the addresses its later
 * fragments must leave with, so they follow the first one's NAT and zone
 * decision without being reassembled. Shared by all workers: an entry is
 * claimed with compare-and-swap and read under a sequence count (a later
 * fragment may land on any worker and needs no handoff); only the worker
 * that wrote an entry frees it. A later fragment that comes before its
 * first waits in its worker's hold list (at most SL_FRAG_HOLD, a second).
 */
#define SL_FRAG_HOLD 64
#define SL_FRAG_LIFETIME_TICKS (5 * SL_FLOW_TICKS_PER_S)
#define SL_FRAG_HOLD_TICKS SL_FLOW_TICKS_PER_S

struct sl_frag_entry {
	uint32_t seq;            /**< even: stable; odd: being written */
	uint8_t used, af, proto, owner;
	uint32_t id;             /**< IPv4: 16 bits; IPv6: the fragment header's 32 */
	uint32_t deadline;       /**< ticks */
	uint8_t translate;       /**< the addresses change */
	uint8_t src[16], dst[16];       /**< as the fragments arrive */
	uint8_t to_src[16], to_dst[16]; /**< as they leave */
} __rte_cache_aligned;

struct sl_frag_table {
	uint32_t mask;           /**< entries - 1 (a power of two) */
	struct sl_frag_entry *e;
};

/** A table for @p n fragmented datagrams at once (rounded up to a power of two). */
struct sl_frag_table *sl_frag_table_create(uint32_t n, int socket);
void sl_frag_table_free(struct sl_frag_table *ft);

#define SL_FLOW_ANSWERS 64
/** Client packets a worker holds while their SYN-proxied connection waits for its backend. */
#define SL_FLOW_PROXY_HOLD 32

/** One worker's view of connection tracking: the table and its handoff rings. */
struct sl_flow_worker_ctx {
	struct sl_flow_table *t;
	unsigned worker, n_workers;
	struct rte_ring *to[SL_FLOW_MAX_WORKERS];    /**< to each other worker (SP/SC) */
	struct rte_ring *from[SL_FLOW_MAX_WORKERS];  /**< from each other worker */
	struct sl_lcore_stats *st;
	uint64_t tsc_per_tick;
	/* Expiry: every scan_every TSC cycles, scan_budget entries of the pool,
	 * so the whole pool is visited about once a second whatever the load. */
	uint64_t scan_every, next_scan;
	unsigned scan_budget;
	/** True when @p k's destination is one of sluice's own addresses (the
	 *  current snapshot's, in @p local_arg); NULL: never. */
	bool (*is_local)(const void *local_arg, const struct sl_flow_key *k);
	const void *local_arg;
	/** Connections this worker owns, by state (its own writes; others read). */
	uint32_t by_state[SL_CT_NSTATES];
	uint32_t snat_cursor;             /**< where the next port search starts */
	struct sl_lb *lb;                 /**< virtual services; NULL: none */
	struct sl_frag_table *frags;      /**< NULL: later fragments pass as they are */
	/** Per sluice port, where its RSS sends replies (NULL array or entry: it
	 *  does not steer); source NAT chooses ports that come back here. */
	const struct sl_rss_steer *const *steer;
	unsigned n_held, n_ready;
	struct rte_mbuf *held[SL_FRAG_HOLD];   /**< later fragments waiting for their first */
	uint32_t held_since[SL_FRAG_HOLD];
	struct rte_mbuf *ready[SL_FRAG_HOLD];  /**< their first came: back into pre */
	uint32_t frag_cursor;             /**< expiry scan position in the fragment table */
	const struct sl_lb_view *lbv;     /**< the view this loop iteration uses */
	struct sl_rl_table *rl;           /**< sources, for connection limits; NULL: none */
	const struct sl_rl_policy *sources; /**< this iteration's snapshot's (for expiry) */
	struct sl_ipstack_worker *ip;     /**< resets for SYNs over a limit; NULL: none */
	uint64_t now;                     /**< TSC of the burst in hand */
	uint16_t n_answers;               /**< resets to send, routed */
	struct rte_mbuf *answers[SL_FLOW_ANSWERS];
	unsigned handoff_next;            /**< the ring the next handoff drain starts at */
	struct sl_synproxy *sp;           /**< SYN cookies and "auto" rates; NULL: no proxy */
	unsigned n_proxy_held;            /**< clients' packets waiting for their backend */
	struct rte_mbuf *proxy_held[SL_FLOW_PROXY_HOLD];
	uint32_t proxy_held_idx[SL_FLOW_PROXY_HOLD];
	uint32_t proxy_held_since[SL_FLOW_PROXY_HOLD];
};

/**
 * Ring sizes and names for the handoff rings of @p n_workers: ring
 * "sl_ho_<from>_<to>", single producer and single consumer.
 */
#define SL_FLOW_HANDOFF_RING 1024

/**
 * The flow stage (before route): finds each packet's connection or creates
 * it, tracks its state, and enforces the zones. A packet of a connection
 * another worker owns is handed to that worker and leaves the burst; what
 * the tracker refuses is dropped and counted (tcp_invalid,
 * tcp_out_of_window, tcp_bad_rst, no_connection, flow_table_full, ...).
 * Returns the packets that continue, packed at the front in order.
 * Thread: the worker @p c belongs to.
 */
uint16_t sl_flow_pre_burst(struct sl_flow_worker_ctx *c, const struct sl_flow_policy *pol,
			   struct rte_mbuf **pkts, uint16_t n, uint64_t now);

/**
 * The flow stage after route: decides source NAT for a new connection (the
 * egress port is known now: the first rule that matches), then translates
 * the source of every packet of a NATed connection. Drops what cannot be
 * translated (nat_ports_exhausted). Returns the packets that continue.
 */
uint16_t sl_flow_post_burst(struct sl_flow_worker_ctx *c, const struct sl_flow_policy *pol,
			    struct rte_mbuf **pkts, uint16_t n, uint64_t now);

/**
 * Packets other workers handed to this one, up to @p max: they continue
 * at the flow stage (then route). Thread: the worker @p c belongs to.
 */
uint16_t sl_flow_handoff_take(struct sl_flow_worker_ctx *c, struct rte_mbuf **pkts,
			      uint16_t max);

/**
 * Every loop iteration: expire connections (a bounded scan of this
 * worker's pool, every scan_every cycles) and return removed entries whose
 * grace period is over.
 */
void sl_flow_service(struct sl_flow_worker_ctx *c, uint64_t now);

/**
 * Put back the destination the flow stage translated in @p m (a packet of
 * one of @p c's connections, between the two flow hooks), so that an ICMP
 * error route sends about it quotes the packet as its sender sent it.
 */
void sl_flow_as_received(const struct sl_flow_worker_ctx *c, struct rte_mbuf *m);

/** Parse a key from a packet as it travels (for tests and the API). 0, or -EINVAL. */
int sl_flow_key_from_pkt(struct rte_mbuf *m, struct sl_flow_key *k);

/* ---- The table as the API shows it (sl_flow_api.c) ---- */

/** Which connections a listing or a flush concerns (every field optional). */
struct sl_flow_filter {
	uint8_t af;              /**< 0: both */
	uint8_t proto;           /**< 0: any */
	int state;               /**< -1: any */
	bool has_addr;
	uint8_t addr[16];        /**< either end, either direction (IPv4: first 4 bytes) */
	int port;                /**< -1: any; either end */
	uint16_t backend;        /**< a service backend's slot; 0: any */
};

/** A filter from query arguments; NULL arguments are "any". 0, or -EINVAL with @p err naming it. */
int sl_flow_filter_parse(struct sl_flow_filter *f, const char *proto, const char *state,
			 const char *addr, const char *port, char *err, size_t err_len);

/**
 * Connections matching @p f, from entry @p cursor on: at most @p limit of
 * them, looking at most at @p max_scan entries (the cost of one request is
 * bounded whatever the table holds). *next is where to go on, or
 * SL_FLOW_NONE at the end. Thread: management (racy reads, by design).
 */
json_t *sl_flow_list_json(const struct sl_flow_table *t, const struct sl_flow_filter *f,
			  uint32_t cursor, unsigned limit, uint32_t max_scan, uint32_t now_ticks,
			  uint32_t *next);

/** Mark every connection matching @p f for removal by its owner; the count marked. */
uint32_t sl_flow_kill(struct sl_flow_table *t, const struct sl_flow_filter *f);

#endif /* SL_FLOW_H */

/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_RATELIMIT_H
#define SL_RATELIMIT_H

/**
 * @file
 * Per-source rate limiting: the ratelimit stage (packets and bits per
 * second) and the connection limits the flow stage asks for (new
 * connections per second, concurrent connections).
 *
 * A source is an address cut to a prefix (/32 and /64 by default). Its
 * state lives in one table shared by every worker: a source whose packets
 * land on several workers is held to its rate once, not once per worker.
 * Each limit is a GCRA (the virtual-scheduling form of a token bucket)
 * whose one word, the theoretical arrival time, is moved by compare-and-
 * swap: no lock, no owner, no handoff. The table has a fixed size; a
 * source that finds no room shares an overflow entry with its /16 (IPv4)
 * or /32 (IPv6), counted. Idle sources are forgotten by the management
 * lcore after a grace period.
 *
 * Threads: sl_rl_table_create/free, sl_rl_sweep, the JSON readers and
 * sl_rl_policy_build on the management lcore; sl_rl_burst, sl_rl_conn_open
 * and sl_rl_conn_close on workers.
 */
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "sl_config.h"
#include "sl_prefixset.h"
#include "sl_stats.h"

#define SL_RL_BUCKET 8          /**< keys per bucket: one cache line */
#define SL_RL_OVERFLOW 1024     /**< shared entries for sources that found no room */

/** One source. */
struct sl_rl_entry {
	/* What every packet reads and writes. */
	uint64_t tat_packets;   /**< GCRA times, TSC: when the bucket is next empty */
	uint64_t tat_bits;
	uint64_t tat_conns;
	uint64_t last;          /**< TSC of the last packet or connection */
	uint64_t blocked_until; /**< TSC; blocked while later than now */
	uint64_t score;         /**< reputation: float score | time (ticks) << 32, by CAS */
	uint64_t packets;       /**< seen (approximate: workers add without atomics) */
	uint64_t bytes;
	/* Events, connections, the management lcore's bookkeeping. */
	uint64_t drops;         /**< dropped by a limit or a block (atomic) */
	uint64_t ports;         /**< destination ports seen in the scan window, hashed to bits */
	uint64_t ports_since;   /**< TSC the scan window began */
	uint64_t reported;      /**< management: the block it last logged and stored (0: none) */
	uint64_t key;           /**< its table key (still there while it is leaving) */
	uint32_t conns;         /**< open connections counted against it (atomic) */
	uint8_t level;          /**< level of its last packet */
	uint8_t af;             /**< SL_AF_INET / SL_AF_INET6 */
	uint8_t offences;       /**< blocks so far: the next is 2^offences times as long */
	uint8_t cause;          /**< enum sl_rep_event of the last block; SL_REP_EVENTS: manual */
	uint8_t pad[16];
} __rte_cache_aligned;

/** A level's limits in TSC units; 0 costs: not limited. */
struct sl_rl_level {
	uint64_t packet_cost, packet_tau;   /**< cycles per packet; tolerance */
	uint64_t bit_cost16, bit_tau;       /**< cycles per bit << 16; tolerance in cycles */
	uint64_t conn_cost, conn_tau;
	uint32_t max_conns;
	bool reset_over_limit;
};

/** Reputation in TSC units. */
struct sl_rl_reputation {
	bool on;
	float threshold;
	float weights[SL_REP_EVENTS];
	float half_life_ticks;              /**< in score ticks (2^tick_shift cycles) */
	unsigned tick_shift;
	uint32_t scan_bits;                 /**< bits of a source's 64-bit port set that
					         make scan_ports distinct ports (linear counting) */
	uint64_t scan_window, block, block_max; /**< TSC cycles */
	const struct sl_pset *exempt;       /**< sources never blocked automatically; NULL none */
};

/** What the snapshot holds: the levels' limits. */
struct sl_rl_policy {
	bool on;                            /**< a ratelimit section */
	bool packet_limits;                 /**< some level limits packets or bits */
	bool conn_limits;                   /**< some level limits connections */
	struct sl_rl_reputation rep;
	unsigned n_levels;
	struct sl_rl_level levels[SL_CONFIG_MAX_LEVELS];
};

struct sl_rl_table {
	uint32_t mask;                      /**< buckets - 1 */
	uint8_t prefix4, prefix6;
	uint64_t *keys;                     /**< [buckets * 8]; 0 empty, UINT64_MAX leaving */
	struct sl_rl_entry *e;              /**< [buckets * 8] */
	struct sl_rl_entry *overflow;       /**< [SL_RL_OVERFLOW] */
	uint64_t idle_tsc;
	/* Management only: the sweep that forgets idle sources. */
	uint32_t sweep_at, *leaving, n_leaving, counting;
	uint64_t *leaving_key;              /**< [slots]: the key each leaving slot had */
	bool waiting;
	uint64_t token;
	uint32_t in_use;                    /**< sources, as the last sweep counted */
	uint32_t blocks_active;             /**< sources blocked: while > 0, every packet is checked */
	uint32_t blocks_counting;
	uint64_t blocks_added[SL_REP_EVENTS + 1]; /**< by cause; [SL_REP_EVENTS] manual */
	uint64_t blocks_expired;
	uint64_t offence_memory;            /**< TSC: a source with blocks behind it is kept this long */
	/** Told of each block the sweep finds new, and of each that ended
	 *  (@p started false); @p key is the source's table key. */
	void (*on_block)(void *arg, const struct sl_rl_table *t, uint64_t key,
			 const struct sl_rl_entry *e, bool started, uint64_t now);
	void *on_block_arg;
	uint32_t max_sources;               /**< slots taken at most (of twice as many) */
	/** Slots taken (leaving ones included), moved by workers' inserts and
	 *  the sweep; on a line of its own: new sources share it. */
	uint32_t taken __rte_cache_aligned;
};

/** A table for @p cfg's ratelimit section; NULL on no memory. */
struct sl_rl_table *sl_rl_table_create(const struct sl_config_ratelimit *cfg, uint64_t tsc_hz,
				       int socket);
void sl_rl_table_free(struct sl_rl_table *t);
/** Sources the table holds at most. */
uint32_t sl_rl_capacity(const struct sl_rl_table *t);

/** The limits of @p cfg's levels in TSC units. */
void sl_rl_policy_build(const struct sl_config *cfg, uint64_t tsc_hz, struct sl_rl_policy *p);

/** Whether every packet's source is looked at: reputation on, or a block exists. */
static inline bool sl_rl_every(const struct sl_rl_table *t, const struct sl_rl_policy *p)
{
	return p->rep.on || __atomic_load_n(&t->blocks_active, __ATOMIC_RELAXED) > 0;
}

/** Whether the stage has anything to do (some level limits packets, or sl_rl_every). */
static inline bool sl_rl_needed(const struct sl_rl_table *t, const struct sl_rl_policy *p)
{
	return p->packet_limits || sl_rl_every(t, p);
}

/**
 * Stage: hold each packet to its level's packet and bit rates (its
 * meta->level), by its source. Over the packet rate: dropped, rate_pps;
 * over the bit rate: rate_bps. Returns how many continue, in order.
 */
uint16_t sl_rl_burst(struct sl_rl_table *t, const struct sl_rl_policy *p,
		     struct sl_lcore_stats *st, struct rte_mbuf **pkts, uint16_t n, uint64_t now);

/** Where a connection was counted, for sl_rl_conn_close(). */
enum sl_rl_mark { SL_RL_NOT_COUNTED, SL_RL_COUNTED, SL_RL_COUNTED_OVERFLOW };

/**
 * A new connection from @p src (network order, @p af) at level @p level:
 * 0 if its source may open it, else the drop reason (SL_DROP_CONN_RATE,
 * SL_DROP_CONN_LIMIT). *mark says where it was counted open (keep it with
 * the connection); *reset whether a TCP SYN refused for the limit gets a
 * reset.
 */
int sl_rl_conn_open(struct sl_rl_table *t, const struct sl_rl_policy *p, struct sl_lcore_stats *st,
		    uint8_t level, uint8_t af, const uint8_t *src, uint64_t now, uint8_t *mark,
		    bool *reset);
/** A connection sl_rl_conn_open() counted (@p mark) has ended. */
void sl_rl_conn_close(struct sl_rl_table *t, uint8_t af, const uint8_t *src, uint8_t mark);

/** A reputation event of @p kind for the source of @p src (a worker). */
void sl_rl_event(struct sl_rl_table *t, const struct sl_rl_policy *p, uint8_t af,
		 const uint8_t *src, enum sl_rep_event kind, uint64_t now);

/** A new connection from @p src to port @p dport: counted toward a scan. */
void sl_rl_new_port(struct sl_rl_table *t, const struct sl_rl_policy *p, uint8_t af,
		    const uint8_t *src, uint16_t dport, uint64_t now);

/**
 * Block (@p until > now) or unblock (0) the source of @p src by hand
 * (management). A block takes effect on the source's next packet, on any
 * worker; @p offences and @p cause are kept with it (as when a stored
 * block is loaded at start). The caller logs and stores it. 0, or -ENOSPC
 * when the table has no room for the source (nothing changed).
 */
int sl_rl_block(struct sl_rl_table *t, uint8_t af, const uint8_t *src, uint64_t until,
		uint8_t offences, uint8_t cause, uint64_t now);

/** The source's entry, or NULL if the table has none (no insert). */
struct sl_rl_entry *sl_rl_lookup(struct sl_rl_table *t, uint8_t af, const uint8_t *src);

/** The table key of @p src, and back: the source as text ("10.1.0.2/32"). */
uint64_t sl_rl_key(const struct sl_rl_table *t, uint8_t af, const uint8_t *src);
void sl_rl_key_text(const struct sl_rl_table *t, uint64_t key, char *buf, size_t len);

/**
 * Blocked sources: [{"source", "cause", "expires_in_seconds", "offences"}],
 * one pass over the table (management).
 */
json_t *sl_rl_blocks_json(const struct sl_rl_table *t, uint64_t now, uint64_t tsc_hz);

/** A source's reputation score at @p now (decayed). */
double sl_rl_score(const struct sl_rl_policy *p, const struct sl_rl_entry *e, uint64_t now);

/**
 * Forget sources idle longer than the table's idle time with no open
 * connection, no block and no recent offence: a slice of the table per
 * call, in two phases around an RCU grace period of @p qsv. Reports new
 * and ended blocks to on_block. Call every 100 ms or so.
 */
void sl_rl_sweep(struct sl_rl_table *t, struct rte_rcu_qsbr *qsv, uint64_t now);

/**
 * The @p n sources with the most drops (@p by_drops) or packets, as
 * [{"source": "10.1.0.0/24", "level", "packets", "bytes", "drops",
 * "connections", "idle_seconds", "score"}] (the score under policy @p p).
 * Reads the whole table once.
 */
json_t *sl_rl_top_json(const struct sl_rl_table *t, const struct sl_config *cfg,
		       const struct sl_rl_policy *p, unsigned n, bool by_drops, uint64_t now,
		       uint64_t tsc_hz);

#endif

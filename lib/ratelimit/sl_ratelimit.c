/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The source table and its limits.
 *
 * Keys are 64 bits: an IPv4 source cut to its prefix under a top half of
 * all ones (no IPv6 source starts with 0xff: those are multicast, which
 * parse drops), an IPv6 source cut to its prefix of at most 64 bits. A
 * bucket is one cache line of eight keys; entries sit in a parallel array.
 *
 * Insertion without locks: a worker claims an empty key slot by
 * compare-and-swap, then reads the bucket again; if the same key sits in
 * an earlier slot (two workers inserting one new source at once), it gives
 * its slot up (marks it leaving) and uses the earlier one. Both see both
 * claims (sequentially consistent), so exactly one entry survives.
 *
 * Forgetting: the management lcore marks idle keys leaving, waits for a
 * grace period (a worker holds an entry no longer than a burst), zeroes
 * their entries and frees the slots.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "sl_pkt.h"
#include "sl_ratelimit.h"

#define LEAVING UINT64_MAX
#define V4_TAG 0xffffffff00000000ull
#define SWEEP_SLICE 65536u

struct sl_rl_table *sl_rl_table_create(const struct sl_config_ratelimit *cfg, uint64_t tsc_hz,
				       int socket)
{
	uint32_t buckets = 1;
	/* Room for max_sources at a load of at most 1/2. */
	while ((uint64_t)buckets * SL_RL_BUCKET < 2ull * cfg->max_sources)
		buckets <<= 1;
	struct sl_rl_table *t = rte_zmalloc_socket("sl_rl", sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL)
		return NULL;
	size_t slots = (size_t)buckets * SL_RL_BUCKET;
	t->mask = buckets - 1;
	t->prefix4 = cfg->prefix4;
	t->prefix6 = cfg->prefix6;
	t->idle_tsc = cfg->idle_us * (tsc_hz / 1000000);
	t->max_sources = cfg->max_sources;
	t->keys = rte_zmalloc_socket("sl_rl_keys", slots * sizeof(*t->keys), RTE_CACHE_LINE_SIZE,
				     socket);
	t->e = rte_zmalloc_socket("sl_rl_entries", slots * sizeof(*t->e), RTE_CACHE_LINE_SIZE,
				  socket);
	t->overflow = rte_zmalloc_socket("sl_rl_overflow", SL_RL_OVERFLOW * sizeof(*t->overflow),
					 RTE_CACHE_LINE_SIZE, socket);
	t->leaving = rte_malloc_socket("sl_rl_leaving", slots * sizeof(*t->leaving), 0, socket);
	t->leaving_key = rte_malloc_socket("sl_rl_leaving", slots * sizeof(*t->leaving_key), 0,
					   socket);
	if (t->keys == NULL || t->e == NULL || t->overflow == NULL || t->leaving == NULL ||
	    t->leaving_key == NULL) {
		sl_rl_table_free(t);
		return NULL;
	}
	return t;
}

void sl_rl_table_free(struct sl_rl_table *t)
{
	if (t == NULL)
		return;
	rte_free(t->keys);
	rte_free(t->e);
	rte_free(t->overflow);
	rte_free(t->leaving);
	rte_free(t->leaving_key);
	rte_free(t);
}

uint32_t sl_rl_capacity(const struct sl_rl_table *t)
{
	return t->max_sources;
}

/* Cycles per event at @p per_s, and the tolerance that lets @p burst pass at once. */
static void gcra_params(uint64_t per_s, uint32_t burst, uint64_t tsc_hz, uint64_t *cost,
			uint64_t *tau)
{
	if (per_s == 0) {
		*cost = *tau = 0;
		return;
	}
	*cost = tsc_hz / per_s > 0 ? tsc_hz / per_s : 1;
	*tau = *cost * (burst > 0 ? burst - 1 : 0);
}

void sl_rl_policy_build(const struct sl_config *cfg, uint64_t tsc_hz, struct sl_rl_policy *p)
{
	memset(p, 0, sizeof(*p));
	const struct sl_config_ratelimit *rl = &cfg->ratelimit;
	p->on = rl->enabled;
	p->n_levels = rl->n_levels;
	for (unsigned i = 0; i < rl->n_levels; i++) {
		const struct sl_config_level *c = &rl->levels[i];
		struct sl_rl_level *l = &p->levels[i];
		gcra_params(c->packets, c->packet_burst, tsc_hz, &l->packet_cost, &l->packet_tau);
		gcra_params(c->new_connections, c->connection_burst, tsc_hz, &l->conn_cost,
			    &l->conn_tau);
		if (c->bits > 0) {
			/* Fixed point: a bit costs a fraction of a cycle at Gbit rates. */
			l->bit_cost16 = (uint64_t)(((unsigned __int128)tsc_hz << 16) / c->bits);
			if (l->bit_cost16 == 0)
				l->bit_cost16 = 1;
			l->bit_tau = (uint64_t)(((unsigned __int128)c->bit_burst * 8 * l->bit_cost16) >> 16);
		}
		l->max_conns = c->connections;
		l->reset_over_limit = c->reset_over_limit;
		p->packet_limits |= l->packet_cost != 0 || l->bit_cost16 != 0;
		p->conn_limits |= l->conn_cost != 0 || l->max_conns != 0;
	}
	const struct sl_config_reputation *r = &rl->reputation;
	struct sl_rl_reputation *rep = &p->rep;
	rep->on = rl->enabled && r->enabled;
	/* Score time in ticks of about a millisecond: a power of two of cycles. */
	rep->tick_shift = 0;
	while ((tsc_hz >> (rep->tick_shift + 1)) >= 1000)
		rep->tick_shift++;
	uint64_t us_per_tick_x1000 = ((1ull << rep->tick_shift) * 1000000000ull) / tsc_hz;
	rep->half_life_ticks = (float)((double)r->half_life_us * 1000.0 / (double)us_per_tick_x1000);
	rep->threshold = (float)r->threshold;
	for (unsigned e = 0; e < SL_REP_EVENTS; e++)
		rep->weights[e] = (float)r->weights[e];
	/* Linear counting: n bits of 64 set estimate -64 ln(1 - n/64) ports;
	 * the fewest bits whose estimate reaches scan_ports (65: never). */
	rep->scan_bits = 1;
	while (rep->scan_bits < 64 &&
	       -64.0 * log(1.0 - rep->scan_bits / 64.0) < (double)r->scan_ports)
		rep->scan_bits++;
	rep->scan_window = r->scan_window_us * (tsc_hz / 1000000);
	rep->block = r->block_us * (tsc_hz / 1000000);
	rep->block_max = r->block_max_us * (tsc_hz / 1000000);
}

/* One GCRA step on @p tat: true (and the time moved) if @p cost fits now. */
static inline bool gcra(uint64_t *tat, uint64_t now, uint64_t cost, uint64_t tau)
{
	uint64_t old = __atomic_load_n(tat, __ATOMIC_RELAXED);
	for (;;) {
		uint64_t t = old > now ? old : now;
		if (t - now > tau)
			return false;
		if (__atomic_compare_exchange_n(tat, &old, t + cost, false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			return true;
	}
}

/* ------------------------------------------------------------- the table */

static inline uint64_t key_of(const struct sl_rl_table *t, uint8_t af, const uint8_t *src)
{
	uint64_t k;
	if (af == SL_AF_INET) {
		uint32_t a;
		memcpy(&a, src, 4);
		uint32_t mask = t->prefix4 >= 32 ? UINT32_MAX : ~(UINT32_MAX >> t->prefix4);
		k = V4_TAG | (rte_be_to_cpu_32(a) & mask);
		/* 255.255.255.255 would be the leaving mark (parse lets a
		 * broadcast source through to here only as a spoof). */
		return k != LEAVING ? k : LEAVING - 1;
	}
	memcpy(&k, src, 8);
	/* A shift by 64 is undefined: /64 keeps all 64 bits. */
	k = rte_be_to_cpu_64(k) & (t->prefix6 >= 64 ? UINT64_MAX : ~(UINT64_MAX >> t->prefix6));
	return k != 0 ? k : 1;    /* 0 marks an empty slot */
}

/* The shared entry of the source's /16 (IPv4) or /32 (IPv6). */
static inline struct sl_rl_entry *overflow_of(struct sl_rl_table *t, uint64_t key)
{
	uint64_t wide = (key & V4_TAG) == V4_TAG ? key & 0xffffffffffff0000ull :
						   key & 0xffffffff00000000ull;
	return &t->overflow[rte_hash_crc_8byte(wide, 0x0f10) % SL_RL_OVERFLOW];
}

/* The source's entry; with @p insert, a new one if it has none (the
 * overflow entry when its bucket is full, *overflowed set). NULL: none. */
static inline uint32_t bucket_of(const struct sl_rl_table *t, uint64_t key)
{
	return (rte_hash_crc_8byte(key, 0x51ce) & t->mask) * SL_RL_BUCKET;
}

/* How a lookup may take a slot for a source that has none. */
enum insert { NO_INSERT, INSERT, INSERT_ANY /* management (blocks): past max_sources too */ };

static struct sl_rl_entry *find_in(struct sl_rl_table *t, uint64_t key, uint32_t b,
				   enum insert insert, bool *overflowed)
{
	uint64_t *keys = &t->keys[b];
	*overflowed = false;
	unsigned empty = SL_RL_BUCKET;
	for (unsigned i = 0; i < SL_RL_BUCKET; i++) {
		uint64_t k = __atomic_load_n(&keys[i], __ATOMIC_ACQUIRE);
		if (k == key)
			return &t->e[b + i];
		if (k == 0 && empty == SL_RL_BUCKET)
			empty = i;
	}
	if (insert == NO_INSERT)
		return NULL;
	/* A full bucket overflows without touching the shared count. At most
	 * max_sources slots taken (the table has twice as many): a read while
	 * full (every packet of a spoofed flood then), an increment only for a
	 * slot about to be taken. Blocks by hand may go past it. */
	if (empty == SL_RL_BUCKET)
		goto full;
	if (insert == INSERT && __atomic_load_n(&t->taken, __ATOMIC_RELAXED) >= t->max_sources)
		goto full;
	if (__atomic_fetch_add(&t->taken, 1, __ATOMIC_RELAXED) >= t->max_sources &&
	    insert == INSERT)
		goto give_back;   /* others took the last ones meanwhile */
	for (unsigned i = empty; i < SL_RL_BUCKET; i++) {
		uint64_t expect = 0;
		if (__atomic_load_n(&keys[i], __ATOMIC_RELAXED) != 0)
			continue;
		if (!__atomic_compare_exchange_n(&keys[i], &expect, key, false, __ATOMIC_SEQ_CST,
						 __ATOMIC_SEQ_CST)) {
			if (expect == key) {
				__atomic_fetch_sub(&t->taken, 1, __ATOMIC_RELAXED);
				return &t->e[b + i];   /* another worker just put it here */
			}
			continue;
		}
		for (unsigned j = 0; j < i; j++) {
			if (__atomic_load_n(&keys[j], __ATOMIC_SEQ_CST) == key) {
				__atomic_store_n(&keys[i], LEAVING, __ATOMIC_RELEASE);
				return &t->e[b + j];
			}
		}
		/* Its key in the entry too: a close still finds a leaving entry. */
		__atomic_store_n(&t->e[b + i].key, key, __ATOMIC_RELAXED);
		return &t->e[b + i];
	}
give_back:
	__atomic_fetch_sub(&t->taken, 1, __ATOMIC_RELAXED);
full:
	*overflowed = true;
	return overflow_of(t, key);
}

static struct sl_rl_entry *find(struct sl_rl_table *t, uint64_t key, enum insert insert,
				bool *overflowed)
{
	return find_in(t, key, bucket_of(t, key), insert, overflowed);
}

/* ----------------------------------------------------------- reputation */

static inline uint64_t score_pack(float score, uint32_t tick)
{
	uint32_t bits;
	memcpy(&bits, &score, 4);
	return (uint64_t)tick << 32 | bits;
}

static inline float score_value(uint64_t word)
{
	uint32_t bits = (uint32_t)word;
	float f;
	memcpy(&f, &bits, 4);
	return f;
}

static inline float decayed(const struct sl_rl_reputation *r, uint64_t word, uint32_t tick)
{
	uint32_t then = (uint32_t)(word >> 32);
	float s = score_value(word);
	/* Within one tick (a flood's drops mostly are) nothing decays; nor
	 * when another worker, a little later in its loop, stored a later
	 * tick: time never runs backwards for a score. */
	int32_t elapsed = (int32_t)(tick - then);
	if (elapsed <= 0 || s == 0.0f)
		return s;
	return s * exp2f(-(float)elapsed / r->half_life_ticks);
}

/* The later of two score ticks (wrapping). */
static inline uint32_t later_tick(uint64_t word, uint32_t tick)
{
	uint32_t then = (uint32_t)(word >> 32);
	return (int32_t)(tick - then) > 0 ? tick : then;
}

double sl_rl_score(const struct sl_rl_policy *p, const struct sl_rl_entry *e, uint64_t now)
{
	if (!p->rep.on)
		return 0;
	uint64_t w = __atomic_load_n(&e->score, __ATOMIC_RELAXED);
	return decayed(&p->rep, w, (uint32_t)(now >> p->rep.tick_shift));
}

/* Block @p e for its next offence's length (2^offences blocks, at most the maximum). */
static void block_offender(const struct sl_rl_reputation *r, struct sl_rl_entry *e,
			   enum sl_rep_event cause, uint64_t now)
{
	uint64_t old = __atomic_load_n(&e->blocked_until, __ATOMIC_RELAXED);
	if (old > now)
		return;
	unsigned off = e->offences;
	/* Doubled per offence, compared before shifting: no wrap. */
	uint64_t len = off >= 63 || r->block > (r->block_max >> off) ? r->block_max : r->block << off;
	/* The cause before the block is published: an exempt address must
	 * never see an automatic block labelled manual (a former cause). */
	e->cause = (uint8_t)cause;
	if (!__atomic_compare_exchange_n(&e->blocked_until, &old, now + len, false,
					 __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		return;         /* another worker blocked it this moment */
	e->offences = (uint8_t)(off < 255 ? off + 1 : off);
	__atomic_store_n(&e->score, score_pack(0.0f, (uint32_t)(now >> r->tick_shift)),
			 __ATOMIC_RELAXED);
}

/*
 * An automatic block of @p e does not hold packet @p m: its source is in
 * the exempt set. (An entry is a prefix: another address of it may have
 * earned the block. Blocks by hand hold everyone.)
 */
static inline bool exempt_from(const struct sl_rl_reputation *r, const struct sl_rl_entry *e,
			       struct rte_mbuf *m, bool v4)
{
	if (r->exempt == NULL || e->cause == SL_REP_EVENTS)
		return false;
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, sl_pkt_meta(m)->l2_len);
	return sl_pset_contains(r->exempt, v4 ? SL_AF_INET : SL_AF_INET6, v4 ? ip + 12 : ip + 8);
}

/* Add @p kind's weight to @p e's decayed score; block at the threshold,
 * unless source @p src is in the exempt set. */
static void rep_event(const struct sl_rl_reputation *r, struct sl_rl_entry *e,
		      enum sl_rep_event kind, uint64_t now, uint8_t af, const uint8_t *src)
{
	if (!r->on || r->weights[kind] == 0.0f || __atomic_load_n(&e->blocked_until,
								   __ATOMIC_RELAXED) > now)
		return;
	uint32_t tick = (uint32_t)(now >> r->tick_shift);
	uint64_t old = __atomic_load_n(&e->score, __ATOMIC_RELAXED);
	float next;
	do
		next = decayed(r, old, tick) + r->weights[kind];
	while (!__atomic_compare_exchange_n(&e->score, &old, score_pack(next, later_tick(old, tick)),
					    false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	if (next >= r->threshold && (r->exempt == NULL || !sl_pset_contains(r->exempt, af, src)))
		block_offender(r, e, kind, now);
}

void sl_rl_event(struct sl_rl_table *t, const struct sl_rl_policy *p, uint8_t af,
		 const uint8_t *src, enum sl_rep_event kind, uint64_t now)
{
	if (!p->rep.on || p->rep.weights[kind] == 0.0f)
		return;
	bool overflowed;
	struct sl_rl_entry *e = find(t, key_of(t, af, src), INSERT, &overflowed);
	if (!overflowed)        /* a shared entry is no one source's reputation */
		rep_event(&p->rep, e, kind, now, af, src);
}

void sl_rl_new_port(struct sl_rl_table *t, const struct sl_rl_policy *p, uint8_t af,
		    const uint8_t *src, uint16_t dport, uint64_t now)
{
	const struct sl_rl_reputation *r = &p->rep;
	if (!r->on || r->weights[SL_REP_SCAN] == 0.0f)
		return;
	bool overflowed;
	struct sl_rl_entry *e = find(t, key_of(t, af, src), INSERT, &overflowed);
	if (overflowed)
		return;
	/* A new window: plain stores, a race costs at most a port or two. */
	uint64_t since = __atomic_load_n(&e->ports_since, __ATOMIC_RELAXED);
	if (since > now || now - since > r->scan_window) {
		__atomic_store_n(&e->ports_since, now, __ATOMIC_RELAXED);
		__atomic_store_n(&e->ports, 0, __ATOMIC_RELAXED);
	}
	uint64_t bit = 1ull << (rte_hash_crc_2byte(dport, 0x5ca7) & 63);
	uint64_t before = __atomic_fetch_or(&e->ports, bit, __ATOMIC_RELAXED);
	/* Counted once per window: when the estimate first reaches the mark. */
	if ((uint32_t)__builtin_popcountll(before | bit) >= r->scan_bits &&
	    (uint32_t)__builtin_popcountll(before) < r->scan_bits)
		rep_event(r, e, SL_REP_SCAN, now, af, src);
}

int sl_rl_block(struct sl_rl_table *t, uint8_t af, const uint8_t *src, uint64_t until,
		uint8_t offences, uint8_t cause, uint64_t now)
{
	bool overflowed;
	struct sl_rl_entry *e = find(t, key_of(t, af, src), INSERT_ANY, &overflowed);
	if (overflowed)
		return -ENOSPC;
	e->offences = offences;
	e->cause = cause;
	e->af = af;
	e->last = now;
	/* Workers look at every packet from now on, then at the block; the
	 * sweep pass in progress counts it too, whether or not it has passed
	 * its slot. */
	if (until > now) {
		__atomic_fetch_add(&t->blocks_active, 1, __ATOMIC_SEQ_CST);
		t->blocks_counting++;
	}
	__atomic_store_n(&e->blocked_until, until, __ATOMIC_SEQ_CST);
	e->reported = until > now ? until : 0;
	return 0;
}

/* ------------------------------------------------------------- the stage */

uint16_t sl_rl_burst(struct sl_rl_table *t, const struct sl_rl_policy *p,
		     struct sl_lcore_stats *st, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	if (n == 0)
		return 0;
	uint64_t keys[n];
	uint32_t buckets[n];
	/* First pass: each source's key and bucket, the bucket's keys and
	 * entries prefetched, so that a burst of sources the caches have not
	 * seen (a spoofed flood) waits for memory once, not once a packet. */
	for (uint16_t i = 0; i < n; i++) {
		const struct sl_pkt_meta *meta = sl_pkt_meta(pkts[i]);
		bool v4 = meta->l3_type == SL_L3_IPV4;
		const uint8_t *ip = rte_pktmbuf_mtod_offset(pkts[i], const uint8_t *, meta->l2_len);
		keys[i] = key_of(t, v4 ? SL_AF_INET : SL_AF_INET6, v4 ? ip + 12 : ip + 8);
		buckets[i] = bucket_of(t, keys[i]);
		rte_prefetch0(&t->keys[buckets[i]]);
	}
	/* With blocks about, every packet's source is looked at. */
	bool every = sl_rl_every(t, p);
	uint16_t keep = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct sl_pkt_meta *meta = sl_pkt_meta(m);
		uint8_t level = meta->level < p->n_levels ? meta->level : 0;
		const struct sl_rl_level *l = &p->levels[level];
		if (!every && l->packet_cost == 0 && l->bit_cost16 == 0) {
			pkts[keep++] = m;
			continue;
		}
		bool v4 = meta->l3_type == SL_L3_IPV4;
		bool overflowed;
		struct sl_rl_entry *e = find_in(t, keys[i], buckets[i], INSERT, &overflowed);
		st->rl_overflow += overflowed;
		if (__atomic_load_n(&e->blocked_until, __ATOMIC_RELAXED) > now && !overflowed &&
		    !exempt_from(&p->rep, e, m, v4)) {
			e->last = now;
			__atomic_fetch_add(&e->drops, 1, __ATOMIC_RELAXED);
			sl_stats_drop(st, m, SL_DROP_BLOCKED);
			continue;
		}
		/* Plain stores: a source on two workers loses a count now and then. */
		e->last = now;
		e->level = level;
		e->af = v4 ? SL_AF_INET : SL_AF_INET6;
		e->packets++;
		e->bytes += meta->ip_len;
		enum sl_drop_reason why = SL_DROP_MAX;
		if (l->packet_cost != 0 && !gcra(&e->tat_packets, now, l->packet_cost, l->packet_tau))
			why = SL_DROP_RATE_PPS;
		else if (l->bit_cost16 != 0 &&
			 !gcra(&e->tat_bits, now, ((uint64_t)meta->ip_len * 8 * l->bit_cost16) >> 16,
			       l->bit_tau))
			why = SL_DROP_RATE_BPS;
		if (why == SL_DROP_MAX) {
			pkts[keep++] = m;
			continue;
		}
		__atomic_fetch_add(&e->drops, 1, __ATOMIC_RELAXED);
		if (!overflowed) {
			const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l2_len);
			rep_event(&p->rep, e, SL_REP_RATE_DROP, now, e->af, v4 ? ip + 12 : ip + 8);
		}
		sl_stats_drop(st, m, why);
	}
	return keep;
}

int sl_rl_conn_open(struct sl_rl_table *t, const struct sl_rl_policy *p, struct sl_lcore_stats *st,
		    uint8_t level, uint8_t af, const uint8_t *src, uint64_t now, uint8_t *mark,
		    bool *reset)
{
	const struct sl_rl_level *l = &p->levels[level < p->n_levels ? level : 0];
	*mark = SL_RL_NOT_COUNTED;
	*reset = false;
	if (l->conn_cost == 0 && l->max_conns == 0)
		return 0;
	bool overflowed;
	struct sl_rl_entry *e = find(t, key_of(t, af, src), INSERT, &overflowed);
	st->rl_overflow += overflowed;
	e->last = now;
	if (l->max_conns != 0) {
		uint32_t c = __atomic_load_n(&e->conns, __ATOMIC_RELAXED);
		do {
			if (c >= l->max_conns) {
				__atomic_fetch_add(&e->drops, 1, __ATOMIC_RELAXED);
				*reset = l->reset_over_limit;
				return SL_DROP_CONN_LIMIT;
			}
		} while (!__atomic_compare_exchange_n(&e->conns, &c, c + 1, false, __ATOMIC_RELAXED,
						      __ATOMIC_RELAXED));
	}
	if (l->conn_cost != 0 && !gcra(&e->tat_conns, now, l->conn_cost, l->conn_tau)) {
		if (l->max_conns != 0)
			__atomic_fetch_sub(&e->conns, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&e->drops, 1, __ATOMIC_RELAXED);
		return SL_DROP_CONN_RATE;
	}
	if (l->max_conns != 0)
		*mark = overflowed ? SL_RL_COUNTED_OVERFLOW : SL_RL_COUNTED;
	return 0;
}

void sl_rl_conn_close(struct sl_rl_table *t, uint8_t af, const uint8_t *src, uint8_t mark)
{
	if (mark == SL_RL_NOT_COUNTED)
		return;
	uint64_t key = key_of(t, af, src);
	bool overflowed;
	/* A source with open connections is never forgotten: it is still there. */
	struct sl_rl_entry *e = mark == SL_RL_COUNTED_OVERFLOW ? overflow_of(t, key) :
				find(t, key, NO_INSERT, &overflowed);
	if (e == NULL) {
		/* Leaving (the sweep judged it idle as this connection opened):
		 * still there until its grace period ends, and known by its key. */
		uint32_t b = bucket_of(t, key);
		for (unsigned i = 0; i < SL_RL_BUCKET && e == NULL; i++)
			if (__atomic_load_n(&t->keys[b + i], __ATOMIC_ACQUIRE) == LEAVING &&
			    __atomic_load_n(&t->e[b + i].key, __ATOMIC_RELAXED) == key)
				e = &t->e[b + i];
		if (e == NULL)
			return;
	}
	uint32_t c = __atomic_load_n(&e->conns, __ATOMIC_RELAXED);
	while (c > 0 && !__atomic_compare_exchange_n(&e->conns, &c, c - 1, false, __ATOMIC_RELAXED,
						     __ATOMIC_RELAXED))
		;
}

/* ------------------------------------------------------------- the sweep */

/*
 * A leaving entry a worker used after the sweep judged it idle (it had
 * found the entry just before it was marked): it counted a connection or
 * a block was set. Kept: its key goes back, or, when the source took a
 * new slot meanwhile, its connections and block join that one. (A packet
 * alone is not worth keeping for: its source starts with full buckets.)
 * True when the slot was kept.
 */
static bool keep_if_used(struct sl_rl_table *t, uint32_t idx, uint64_t key, uint64_t now)
{
	struct sl_rl_entry *e = &t->e[idx];
	uint32_t conns = __atomic_load_n(&e->conns, __ATOMIC_RELAXED);
	uint64_t until = __atomic_load_n(&e->blocked_until, __ATOMIC_RELAXED);
	if (conns == 0 && until <= now)
		return false;
	uint32_t b = idx - idx % SL_RL_BUCKET;
	/* Back under its key first, then a look for a twin: a worker may be
	 * inserting the source this moment, and one of the two must see the
	 * other (sequentially consistent on both sides, as inserts are). */
	uint64_t leaving = LEAVING;
	if (!__atomic_compare_exchange_n(&t->keys[idx], &leaving, key, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST))
		return false;
	for (unsigned i = 0; i < SL_RL_BUCKET; i++) {
		if (b + i == idx || __atomic_load_n(&t->keys[b + i], __ATOMIC_SEQ_CST) != key)
			continue;
		/* The source has another slot: this one's connections and block
		 * join it, and this one leaves again (after another grace period,
		 * as a worker may have found it meanwhile: the sweep's next pass). */
		struct sl_rl_entry *now_e = &t->e[b + i];
		__atomic_fetch_add(&now_e->conns, conns, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&e->conns, conns, __ATOMIC_RELAXED);
		uint64_t old = __atomic_load_n(&now_e->blocked_until, __ATOMIC_RELAXED);
		if (old < until) {
			now_e->cause = e->cause;
			now_e->offences = e->offences > now_e->offences ? e->offences : now_e->offences;
		}
		while (old < until && !__atomic_compare_exchange_n(&now_e->blocked_until, &old, until,
								     false, __ATOMIC_RELAXED,
								     __ATOMIC_RELAXED))
			;
		__atomic_store_n(&e->blocked_until, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&t->keys[idx], LEAVING, __ATOMIC_RELEASE);
		return true;   /* kept for now: freed by a later pass */
	}
	return true;
}

void sl_rl_sweep(struct sl_rl_table *t, struct rte_rcu_qsbr *qsv, uint64_t now)
{
	uint32_t slots = (t->mask + 1) * SL_RL_BUCKET;
	if (t->waiting) {
		if (rte_rcu_qsbr_check(qsv, t->token, false) != 1)
			return;
		/* No worker holds these entries any more: clean, then free. */
		uint32_t freed = 0;
		for (uint32_t i = 0; i < t->n_leaving; i++) {
			uint32_t idx = t->leaving[i];
			if (t->leaving_key[i] != LEAVING &&
			    keep_if_used(t, idx, t->leaving_key[i], now))
				continue;
			memset(&t->e[idx], 0, sizeof(t->e[0]));
			__atomic_store_n(&t->keys[idx], 0, __ATOMIC_RELEASE);
			freed++;
		}
		__atomic_fetch_sub(&t->taken, freed, __ATOMIC_RELAXED);
		t->n_leaving = 0;
		t->waiting = false;
	}
	uint32_t end = t->sweep_at + SWEEP_SLICE < slots ? t->sweep_at + SWEEP_SLICE : slots;
	if (t->sweep_at == 0)
		t->counting = t->blocks_counting = 0;
	for (uint32_t i = t->sweep_at; i < end; i++) {
		uint64_t k = __atomic_load_n(&t->keys[i], __ATOMIC_ACQUIRE);
		if (k == 0)
			continue;
		struct sl_rl_entry *e = &t->e[i];
		uint64_t until = __atomic_load_n(&e->blocked_until, __ATOMIC_RELAXED);
		if (k != LEAVING) {
			if (until > now)
				t->blocks_counting++;
			if (until > now && e->reported != until) {
				e->reported = until;
				t->blocks_added[e->cause <= SL_REP_EVENTS ? e->cause : SL_REP_EVENTS]++;
				if (t->on_block != NULL)
					t->on_block(t->on_block_arg, t, k, e, true, now);
			} else if (until <= now && e->reported != 0) {
				e->reported = 0;
				t->blocks_expired++;
				if (t->on_block != NULL)
					t->on_block(t->on_block_arg, t, k, e, false, now);
			}
		}
		/* A worker's clock may be ahead of this lcore's: last > now is recent. */
		uint64_t last = __atomic_load_n(&e->last, __ATOMIC_RELAXED);
		uint64_t keep_for = e->offences > 0 && t->offence_memory > t->idle_tsc ?
				    t->offence_memory : t->idle_tsc;
		if (k != LEAVING && (__atomic_load_n(&e->conns, __ATOMIC_RELAXED) > 0 ||
				     until > now || last > now || now - last < keep_for ||
				     !__atomic_compare_exchange_n(&t->keys[i], &k, LEAVING, false,
								  __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))) {
			t->counting++;
			continue;
		}
		t->leaving_key[t->n_leaving] = k;    /* LEAVING: a twin a worker gave up */
		t->leaving[t->n_leaving++] = i;
	}
	t->sweep_at = end < slots ? end : 0;
	if (t->sweep_at == 0) {
		t->in_use = t->counting;
		/* Never below what manual blocks added since: they count up at once. */
		__atomic_store_n(&t->blocks_active, t->blocks_counting, __ATOMIC_RELAXED);
		if (t->n_leaving > 0) {
			t->token = rte_rcu_qsbr_start(qsv);
			t->waiting = true;
		}
	}
}

/* -------------------------------------------------------------- reading */

struct sl_rl_entry *sl_rl_lookup(struct sl_rl_table *t, uint8_t af, const uint8_t *src)
{
	bool overflowed;
	return find(t, key_of(t, af, src), NO_INSERT, &overflowed);
}

uint64_t sl_rl_key(const struct sl_rl_table *t, uint8_t af, const uint8_t *src)
{
	return key_of(t, af, src);
}

void sl_rl_key_text(const struct sl_rl_table *t, uint64_t key, char *buf, size_t len)
{
	struct sl_prefix p;
	memset(&p, 0, sizeof(p));
	if ((key & V4_TAG) == V4_TAG) {
		p.addr.af = SL_AF_INET;
		p.addr.v4 = rte_cpu_to_be_32((uint32_t)key);
		p.len = t->prefix4;
	} else {
		p.addr.af = SL_AF_INET6;
		/* Key 1 stands for a zero prefix (0 marks an empty slot). */
		uint64_t be = rte_cpu_to_be_64(key == 1 ? 0 : key);
		memcpy(p.addr.v6, &be, 8);
		p.len = t->prefix6;
	}
	sl_format_prefix(&p, buf, len);
}

json_t *sl_rl_blocks_json(const struct sl_rl_table *t, uint64_t now, uint64_t tsc_hz)
{
	uint32_t slots = (t->mask + 1) * SL_RL_BUCKET;
	json_t *a = json_array();
	for (uint32_t i = 0; a != NULL && i < slots; i++) {
		uint64_t k = __atomic_load_n(&t->keys[i], __ATOMIC_ACQUIRE);
		const struct sl_rl_entry *e = &t->e[i];
		uint64_t until = __atomic_load_n(&e->blocked_until, __ATOMIC_RELAXED);
		if (k == 0 || k == LEAVING || until <= now)
			continue;
		char src[64];
		sl_rl_key_text(t, k, src, sizeof(src));
		json_array_append_new(a, json_pack("{s:s, s:s, s:f, s:i}", "source", src,
			"cause", sl_config_rep_event_name(e->cause),
			"expires_in_seconds", (double)(until - now) / (double)tsc_hz,
			"offences", (int)e->offences));
	}
	return a;
}

json_t *sl_rl_top_json(const struct sl_rl_table *t, const struct sl_config *cfg,
		       const struct sl_rl_policy *p, unsigned n, bool by_drops, uint64_t now,
		       uint64_t tsc_hz)
{
	uint32_t slots = (t->mask + 1) * SL_RL_BUCKET;
	uint32_t best[n + 1];
	uint64_t score[n + 1];
	unsigned have = 0;
	for (uint32_t i = 0; i < slots; i++) {
		uint64_t k = __atomic_load_n(&t->keys[i], __ATOMIC_ACQUIRE);
		if (k == 0 || k == LEAVING)
			continue;
		uint64_t s = by_drops ? __atomic_load_n(&t->e[i].drops, __ATOMIC_RELAXED) :
					t->e[i].packets;
		if (have == n && (n == 0 || s <= score[n - 1]))
			continue;
		/* Insertion into the sorted few. */
		unsigned j = have < n ? have++ : n - 1;
		while (j > 0 && score[j - 1] < s) {
			score[j] = score[j - 1];
			best[j] = best[j - 1];
			j--;
		}
		score[j] = s;
		best[j] = i;
	}
	json_t *a = json_array();
	for (unsigned j = 0; a != NULL && j < have; j++) {
		const struct sl_rl_entry *e = &t->e[best[j]];
		char src[64];
		sl_rl_key_text(t, __atomic_load_n(&t->keys[best[j]], __ATOMIC_ACQUIRE), src, sizeof(src));
		uint8_t level = e->level < cfg->ratelimit.n_levels ? e->level : 0;
		uint64_t last = __atomic_load_n(&e->last, __ATOMIC_RELAXED);
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I, s:I, s:i, s:f, s:f}",
			"source", src, "level", cfg->ratelimit.levels[level].name,
			"packets", (json_int_t)e->packets, "bytes", (json_int_t)e->bytes,
			"drops", (json_int_t)__atomic_load_n(&e->drops, __ATOMIC_RELAXED),
			"connections", (int)__atomic_load_n(&e->conns, __ATOMIC_RELAXED),
			"idle_seconds", now > last ? (double)(now - last) / (double)tsc_hz : 0.0,
			"score", sl_rl_score(p, e, now)));
	}
	return a;
}

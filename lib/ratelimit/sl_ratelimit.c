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
	t->keys = rte_zmalloc_socket("sl_rl_keys", slots * sizeof(*t->keys), RTE_CACHE_LINE_SIZE,
				     socket);
	t->e = rte_zmalloc_socket("sl_rl_entries", slots * sizeof(*t->e), RTE_CACHE_LINE_SIZE,
				  socket);
	t->overflow = rte_zmalloc_socket("sl_rl_overflow", SL_RL_OVERFLOW * sizeof(*t->overflow),
					 RTE_CACHE_LINE_SIZE, socket);
	t->leaving = rte_malloc_socket("sl_rl_leaving", slots * sizeof(*t->leaving), 0, socket);
	if (t->keys == NULL || t->e == NULL || t->overflow == NULL || t->leaving == NULL) {
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
	rte_free(t);
}

uint32_t sl_rl_capacity(const struct sl_rl_table *t)
{
	return (t->mask + 1) * SL_RL_BUCKET / 2;
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
	}
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
		return V4_TAG | (rte_be_to_cpu_32(a) & mask);
	}
	memcpy(&k, src, 8);
	k = rte_be_to_cpu_64(k) & ~(UINT64_MAX >> t->prefix6);
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

static struct sl_rl_entry *find_in(struct sl_rl_table *t, uint64_t key, uint32_t b, bool insert,
				   bool *overflowed)
{
	uint64_t *keys = &t->keys[b];
	*overflowed = false;
	for (unsigned i = 0; i < SL_RL_BUCKET; i++)
		if (__atomic_load_n(&keys[i], __ATOMIC_ACQUIRE) == key)
			return &t->e[b + i];
	if (!insert)
		return NULL;
	for (unsigned i = 0; i < SL_RL_BUCKET; i++) {
		uint64_t expect = 0;
		if (__atomic_load_n(&keys[i], __ATOMIC_RELAXED) != 0)
			continue;
		if (!__atomic_compare_exchange_n(&keys[i], &expect, key, false, __ATOMIC_SEQ_CST,
						 __ATOMIC_SEQ_CST)) {
			if (expect == key)
				return &t->e[b + i];   /* another worker just put it here */
			continue;
		}
		for (unsigned j = 0; j < i; j++) {
			if (__atomic_load_n(&keys[j], __ATOMIC_SEQ_CST) == key) {
				__atomic_store_n(&keys[i], LEAVING, __ATOMIC_RELEASE);
				return &t->e[b + j];
			}
		}
		return &t->e[b + i];
	}
	*overflowed = true;
	return overflow_of(t, key);
}

static struct sl_rl_entry *find(struct sl_rl_table *t, uint64_t key, bool insert,
				bool *overflowed)
{
	return find_in(t, key, bucket_of(t, key), insert, overflowed);
}

/* ------------------------------------------------------------- the stage */

uint16_t sl_rl_burst(struct sl_rl_table *t, const struct sl_rl_policy *p,
		     struct sl_lcore_stats *st, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
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
	uint16_t keep = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct sl_pkt_meta *meta = sl_pkt_meta(m);
		uint8_t level = meta->level < p->n_levels ? meta->level : 0;
		const struct sl_rl_level *l = &p->levels[level];
		if (l->packet_cost == 0 && l->bit_cost16 == 0) {
			pkts[keep++] = m;
			continue;
		}
		bool v4 = meta->l3_type == SL_L3_IPV4;
		bool overflowed;
		struct sl_rl_entry *e = find_in(t, keys[i], buckets[i], true, &overflowed);
		st->rl_overflow += overflowed;
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
	struct sl_rl_entry *e = find(t, key_of(t, af, src), true, &overflowed);
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
				find(t, key, false, &overflowed);
	if (e == NULL)
		return;
	uint32_t c = __atomic_load_n(&e->conns, __ATOMIC_RELAXED);
	while (c > 0 && !__atomic_compare_exchange_n(&e->conns, &c, c - 1, false, __ATOMIC_RELAXED,
						     __ATOMIC_RELAXED))
		;
}

/* ------------------------------------------------------------- the sweep */

void sl_rl_sweep(struct sl_rl_table *t, struct rte_rcu_qsbr *qsv, uint64_t now)
{
	uint32_t slots = (t->mask + 1) * SL_RL_BUCKET;
	if (t->waiting) {
		if (rte_rcu_qsbr_check(qsv, t->token, false) != 1)
			return;
		/* No worker holds these entries any more: clean, then free. */
		for (uint32_t i = 0; i < t->n_leaving; i++) {
			memset(&t->e[t->leaving[i]], 0, sizeof(t->e[0]));
			__atomic_store_n(&t->keys[t->leaving[i]], 0, __ATOMIC_RELEASE);
		}
		t->n_leaving = 0;
		t->waiting = false;
	}
	uint32_t end = t->sweep_at + SWEEP_SLICE < slots ? t->sweep_at + SWEEP_SLICE : slots;
	if (t->sweep_at == 0)
		t->counting = 0;
	for (uint32_t i = t->sweep_at; i < end; i++) {
		uint64_t k = __atomic_load_n(&t->keys[i], __ATOMIC_ACQUIRE);
		if (k == 0)
			continue;
		const struct sl_rl_entry *e = &t->e[i];
		/* A worker's clock may be ahead of this lcore's: last > now is recent. */
		uint64_t last = __atomic_load_n(&e->last, __ATOMIC_RELAXED);
		if (k != LEAVING && (__atomic_load_n(&e->conns, __ATOMIC_RELAXED) > 0 ||
				     last > now || now - last < t->idle_tsc ||
				     !__atomic_compare_exchange_n(&t->keys[i], &k, LEAVING, false,
								  __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))) {
			t->counting++;
			continue;
		}
		t->leaving[t->n_leaving++] = i;
	}
	t->sweep_at = end < slots ? end : 0;
	if (t->sweep_at == 0) {
		t->in_use = t->counting;
		if (t->n_leaving > 0) {
			t->token = rte_rcu_qsbr_start(qsv);
			t->waiting = true;
		}
	}
}

/* -------------------------------------------------------------- reading */

static void source_text(const struct sl_rl_table *t, uint64_t key, char *buf, size_t len)
{
	struct sl_prefix p;
	memset(&p, 0, sizeof(p));
	if ((key & V4_TAG) == V4_TAG) {
		p.addr.af = SL_AF_INET;
		p.addr.v4 = rte_cpu_to_be_32((uint32_t)key);
		p.len = t->prefix4;
	} else {
		p.addr.af = SL_AF_INET6;
		uint64_t be = rte_cpu_to_be_64(key);
		memcpy(p.addr.v6, &be, 8);
		p.len = t->prefix6;
	}
	sl_format_prefix(&p, buf, len);
}

json_t *sl_rl_top_json(const struct sl_rl_table *t, const struct sl_config *cfg, unsigned n,
		       bool by_drops, uint64_t now, uint64_t tsc_hz)
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
		source_text(t, __atomic_load_n(&t->keys[best[j]], __ATOMIC_ACQUIRE), src, sizeof(src));
		uint8_t level = e->level < cfg->ratelimit.n_levels ? e->level : 0;
		uint64_t last = __atomic_load_n(&e->last, __ATOMIC_RELAXED);
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I, s:I, s:i, s:f}",
			"source", src, "level", cfg->ratelimit.levels[level].name,
			"packets", (json_int_t)e->packets, "bytes", (json_int_t)e->bytes,
			"drops", (json_int_t)__atomic_load_n(&e->drops, __ATOMIC_RELAXED),
			"connections", (int)__atomic_load_n(&e->conns, __ATOMIC_RELAXED),
			"idle_seconds", now > last ? (double)(now - last) / (double)tsc_hz : 0.0));
	}
	return a;
}

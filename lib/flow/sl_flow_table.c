/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection table: a shared bucket array with lock-free readers and
 * compare-and-swap writers, entries in per-worker pools.
 *
 * Why not rte_hash: two 40-byte IPv6 keys per connection in rte_hash cost
 * more than the 192 bytes per connection this table has to fit in (its key
 * store and bucket entries alone exceed it), its multi-writer mode takes a
 * lock, and its keys live apart from the connection's state, so a lookup
 * touches one more cache line. Here a slot holds a 32-bit signature and a
 * reference to the entry, and the entry holds both keys, so a lookup reads
 * one bucket line and one entry line.
 *
 * Why no cuckoo moves: moving a key between buckets while readers look for
 * it needs a version counter readers retry on. Two choices of eight slots
 * without moves fill past 90 % before an insert fails; the table is sized
 * for 2/3, and a failure is reported (-ENOSPC) and counted by the caller.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "sl_flow.h"

#define AF_V4 4
#define AF_V6 6

static uint32_t n_buckets_for(uint32_t capacity)
{
	/* Two keys per connection, slots at most 2/3 full. */
	uint64_t slots = (uint64_t)capacity * 2 * 3 / 2;
	uint64_t nb = (slots + SL_FLOW_BUCKET_SLOTS - 1) / SL_FLOW_BUCKET_SLOTS;
	return nb < 2 ? 2 : (uint32_t)nb;
}

uint64_t sl_flow_table_memory(uint32_t capacity, uint32_t v6_capacity, unsigned n_workers)
{
	if (n_workers == 0)
		return 0;
	capacity -= capacity % n_workers;
	v6_capacity -= v6_capacity % n_workers;
	return (uint64_t)n_buckets_for(capacity) * SL_FLOW_BUCKET_SLOTS * sizeof(uint64_t) +
	       (uint64_t)capacity * sizeof(struct sl_flow) +
	       (uint64_t)v6_capacity * (64 + sizeof(uint32_t));
}

struct sl_flow_table *sl_flow_table_create(uint32_t capacity, uint32_t v6_capacity,
					   unsigned n_workers, struct rte_rcu_qsbr *qsv,
					   int socket)
{
	RTE_BUILD_BUG_ON(sizeof(struct sl_flow) != 96);
	if (n_workers == 0 || n_workers > SL_FLOW_MAX_WORKERS || capacity < n_workers ||
	    capacity >= (UINT32_MAX >> 1) || v6_capacity > capacity)
		return NULL;
	capacity -= capacity % n_workers;
	v6_capacity -= v6_capacity % n_workers;
	struct sl_flow_table *t = rte_zmalloc_socket("flow_table", sizeof(*t),
						     RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL)
		return NULL;
	t->capacity = capacity;
	t->v6_capacity = v6_capacity;
	t->n_workers = n_workers;
	t->n_buckets = n_buckets_for(capacity);
	t->qsv = qsv;
	t->slots = rte_zmalloc_socket("flow_slots", (size_t)t->n_buckets * SL_FLOW_BUCKET_SLOTS *
				      sizeof(uint64_t), RTE_CACHE_LINE_SIZE, socket);
	t->entries = rte_zmalloc_socket("flow_entries", (size_t)capacity * sizeof(struct sl_flow),
					RTE_CACHE_LINE_SIZE, socket);
	uint32_t *v6_next = NULL;
	if (v6_capacity) {
		t->v6 = rte_zmalloc_socket("flow_v6", (size_t)v6_capacity * 64, RTE_CACHE_LINE_SIZE,
					   socket);
		v6_next = rte_zmalloc_socket("flow_v6_next", (size_t)v6_capacity * sizeof(uint32_t),
					     RTE_CACHE_LINE_SIZE, socket);
	}
	if (t->slots == NULL || t->entries == NULL || (v6_capacity && (t->v6 == NULL ||
							   v6_next == NULL))) {
		rte_free(v6_next);
		sl_flow_table_free(t);
		return NULL;
	}
	uint32_t per = capacity / n_workers, per6 = v6_capacity / n_workers;
	t->per_worker = per;
	for (unsigned w = 0; w < n_workers; w++) {
		struct sl_flow_worker *fw = &t->w[w];
		fw->first = w * per;
		fw->last = fw->first + per;
		fw->scan = fw->first;
		for (uint32_t i = fw->first; i < fw->last; i++)
			t->entries[i].next = i + 1 < fw->last ? i + 1 : SL_FLOW_NONE;
		fw->free_head = fw->first;
		fw->v6_first = w * per6;
		fw->v6_last = fw->v6_first + per6;
		fw->v6_next = v6_next;
		fw->v6_free_head = per6 ? fw->v6_first : SL_FLOW_NONE;
		for (uint32_t i = fw->v6_first; i < fw->v6_last; i++)
			v6_next[i] = i + 1 < fw->v6_last ? i + 1 : SL_FLOW_NONE;
		fw->emb_head = fw->emb_tail = SL_FLOW_NONE;
		fw->limbo_head = fw->limbo_tail = SL_FLOW_NONE;
	}
	return t;
}

int sl_flow_splice_enable(struct sl_flow_table *t, int socket)
{
	if (t->splice != NULL)
		return 0;
	struct sl_flow_splice *s = rte_zmalloc_socket("flow_splice",
		(size_t)t->capacity * sizeof(*s), RTE_CACHE_LINE_SIZE, socket);
	if (s == NULL)
		return -ENOMEM;
	/* Before the snapshot that lets a worker open a proxied connection. */
	__atomic_store_n(&t->splice, s, __ATOMIC_RELEASE);
	return 0;
}

void sl_flow_table_free(struct sl_flow_table *t)
{
	if (t == NULL)
		return;
	rte_free(t->w[0].v6_next);
	rte_free(t->splice);
	rte_free(t->v6);
	rte_free(t->entries);
	rte_free(t->slots);
	rte_free(t);
}

/* The key's two buckets: a multiply-shift range reduction of the hash, and
 * of a bijective scramble of it. */
static inline void buckets(const struct sl_flow_table *t, uint32_t h, uint32_t *b1, uint32_t *b2)
{
	uint32_t h2 = ((h << 16) | (h >> 16)) * 0x9e3779b1u;
	*b1 = (uint32_t)(((uint64_t)h * t->n_buckets) >> 32);
	*b2 = (uint32_t)(((uint64_t)h2 * t->n_buckets) >> 32);
	if (*b2 == *b1)
		*b2 = *b1 + 1 == t->n_buckets ? 0 : *b1 + 1;
}

static inline uint64_t slot_value(uint32_t h, uint32_t idx, enum sl_flow_dir dir)
{
	return (uint64_t)h << 32 | (idx * 2 + (uint32_t)dir + 1);
}

static inline bool key_equal(const struct sl_flow_table *t, const struct sl_flow *f,
			     enum sl_flow_dir dir, const struct sl_flow_key *k)
{
	if (f->af != k->af || f->proto != k->proto || f->port[dir][0] != k->sport ||
	    f->port[dir][1] != k->dport)
		return false;
	if (f->af == AF_V4) {
		uint32_t s, d;
		memcpy(&s, k->src, 4);
		memcpy(&d, k->dst, 4);
		return f->addr4[dir][0] == s && f->addr4[dir][1] == d;
	}
	/* Read once and bounded: another worker may be reusing the entry. */
	uint32_t blk = __atomic_load_n(&f->v6, __ATOMIC_RELAXED);
	if (blk >= t->v6_capacity)
		return false;
	const uint8_t *a = t->v6[blk] + dir * 32;
	return memcmp(a, k->src, 16) == 0 && memcmp(a + 16, k->dst, 16) == 0;
}

void sl_flow_prefetch(const struct sl_flow_table *t, uint32_t hash)
{
	uint32_t b1, b2;
	buckets(t, hash, &b1, &b2);
	rte_prefetch0(&t->slots[(size_t)b1 * SL_FLOW_BUCKET_SLOTS]);
	rte_prefetch0(&t->slots[(size_t)b2 * SL_FLOW_BUCKET_SLOTS]);
}

/*
 * The slots of a bucket whose signature is @p h, as a bit mask. With SSE2,
 * the eight signatures (the high halves of the slots) are compared four
 * lanes at a time: a filter only, each candidate is read again atomically
 * before it is used, so a torn 16-byte load costs nothing but a second look.
 */
static inline unsigned sig_candidates(const uint64_t *s, uint32_t h)
{
#ifdef __SSE2__
	const __m128i want = _mm_set1_epi32((int)h);
	unsigned mask = 0;
	for (unsigned i = 0; i < SL_FLOW_BUCKET_SLOTS / 2; i++) {
		__m128i v = _mm_load_si128((const __m128i *)(const void *)(s + 2 * i));
		unsigned eq = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(v, want)));
		/* Lanes 1 and 3 are the high halves of slots 2i and 2i + 1. */
		mask |= (((eq >> 1) & 1u) | (((eq >> 3) & 1u) << 1)) << (2 * i);
	}
	return mask;
#else
	unsigned mask = 0;
	for (unsigned i = 0; i < SL_FLOW_BUCKET_SLOTS; i++)
		mask |= (unsigned)((uint32_t)(__atomic_load_n(&s[i], __ATOMIC_RELAXED) >> 32) == h) << i;
	return mask;
#endif
}

/* Search one bucket for @p k; @p skip is a slot value not to count (ours). */
static inline uint32_t bucket_find(const struct sl_flow_table *t, uint32_t b, uint32_t h,
				   const struct sl_flow_key *k, uint64_t skip, int memorder,
				   enum sl_flow_dir *dir)
{
	const uint64_t *s = &t->slots[(size_t)b * SL_FLOW_BUCKET_SLOTS];
	for (unsigned mask = sig_candidates(s, h); mask != 0; mask &= mask - 1) {
		unsigned i = (unsigned)__builtin_ctz(mask);
		uint64_t v = __atomic_load_n(&s[i], memorder);
		if ((uint32_t)(v >> 32) != h || (uint32_t)v == 0 || v == skip)
			continue;
		uint32_t ref = (uint32_t)v - 1;
		if (key_equal(t, &t->entries[ref >> 1], (enum sl_flow_dir)(ref & 1), k)) {
			*dir = (enum sl_flow_dir)(ref & 1);
			return ref >> 1;
		}
	}
	return SL_FLOW_NONE;
}

uint32_t sl_flow_prefetch_entry(const struct sl_flow_table *t, uint32_t hash)
{
	uint32_t b[2];
	buckets(t, hash, &b[0], &b[1]);
	for (unsigned j = 0; j < 2; j++) {
		const uint64_t *s = &t->slots[(size_t)b[j] * SL_FLOW_BUCKET_SLOTS];
		unsigned mask = sig_candidates(s, hash);
		if (mask != 0) {
			uint32_t ref = (uint32_t)__atomic_load_n(&s[__builtin_ctz(mask)],
								  __ATOMIC_ACQUIRE);
			if (ref != 0)
				rte_prefetch0(&t->entries[(ref - 1) >> 1]);
			return ref;
		}
	}
	return 0;
}

uint32_t sl_flow_lookup_hint(const struct sl_flow_table *t, const struct sl_flow_key *k,
			     uint32_t hash, uint32_t hint, enum sl_flow_dir *dir)
{
	if (hint != 0) {
		const struct sl_flow *f = &t->entries[(hint - 1) >> 1];
		enum sl_flow_dir d = (enum sl_flow_dir)((hint - 1) & 1);
		if (f->state != 0 && !(f->flags & SL_FLOW_F_DYING) && key_equal(t, f, d, k)) {
			*dir = d;
			return (hint - 1) >> 1;
		}
	}
	return sl_flow_lookup(t, k, hash, dir);
}

uint32_t sl_flow_lookup(const struct sl_flow_table *t, const struct sl_flow_key *k,
			uint32_t hash, enum sl_flow_dir *dir)
{
	uint32_t b1, b2, moves, idx;
	buckets(t, hash, &b1, &b2);
	do {
		/* A key moved from the second bucket to the first while we looked
		 * (make_room) can be missed in both: then look again. */
		moves = __atomic_load_n(&t->moves, __ATOMIC_ACQUIRE);
		idx = bucket_find(t, b1, hash, k, 0, __ATOMIC_ACQUIRE, dir);
		if (idx == SL_FLOW_NONE)
			idx = bucket_find(t, b2, hash, k, 0, __ATOMIC_ACQUIRE, dir);
	} while (idx == SL_FLOW_NONE && __atomic_load_n(&t->moves, __ATOMIC_ACQUIRE) != moves);
	return idx;
}

void sl_flow_key_get(const struct sl_flow_table *t, const struct sl_flow *f,
		     enum sl_flow_dir dir, struct sl_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->af = f->af;
	k->proto = f->proto;
	k->sport = f->port[dir][0];
	k->dport = f->port[dir][1];
	if (f->af == AF_V4) {
		memcpy(k->src, &f->addr4[dir][0], 4);
		memcpy(k->dst, &f->addr4[dir][1], 4);
	} else {
		/* Bounded: the API reads entries workers may be reusing. */
		uint32_t blk = __atomic_load_n(&f->v6, __ATOMIC_RELAXED);
		if (blk >= t->v6_capacity)
			return;
		memcpy(k->src, t->v6[blk] + dir * 32, 16);
		memcpy(k->dst, t->v6[blk] + dir * 32 + 16, 16);
	}
}

uint32_t sl_flow_alloc(struct sl_flow_table *t, unsigned worker, const struct sl_flow_key *orig,
		       const struct sl_flow_key *reply)
{
	struct sl_flow_worker *w = &t->w[worker];
	uint32_t idx = w->free_head, blk = SL_FLOW_NONE;
	if (idx == SL_FLOW_NONE || orig->af != reply->af || orig->proto != reply->proto)
		return SL_FLOW_NONE;
	if (orig->af == AF_V6) {
		blk = w->v6_free_head;
		if (blk == SL_FLOW_NONE)
			return SL_FLOW_NONE;
		w->v6_free_head = w->v6_next[blk];
		uint8_t *a = t->v6[blk];
		memcpy(a, orig->src, 16);
		memcpy(a + 16, orig->dst, 16);
		memcpy(a + 32, reply->src, 16);
		memcpy(a + 48, reply->dst, 16);
	}
	struct sl_flow *f = &t->entries[idx];
	w->free_head = f->next;
	memset(f, 0, sizeof(*f));
	f->af = orig->af;
	f->proto = orig->proto;
	f->owner = (uint8_t)worker;
	f->state = 1;
	f->v6 = blk;
	f->prev = f->next = SL_FLOW_NONE;
	const struct sl_flow_key *k[2] = {orig, reply};
	for (unsigned d = 0; d < 2; d++) {
		f->port[d][0] = k[d]->sport;
		f->port[d][1] = k[d]->dport;
		if (f->af == AF_V4) {
			memcpy(&f->addr4[d][0], k[d]->src, 4);
			memcpy(&f->addr4[d][1], k[d]->dst, 4);
		}
	}
	__atomic_store_n(&w->n_used, w->n_used + 1, __ATOMIC_RELAXED);
	return idx;
}

/* Back to the pool: the entry and its IPv6 block. */
static void release(struct sl_flow_table *t, struct sl_flow_worker *w, uint32_t idx)
{
	struct sl_flow *f = &t->entries[idx];
	if (f->v6 != SL_FLOW_NONE) {
		w->v6_next[f->v6] = w->v6_free_head;
		w->v6_free_head = f->v6;
	}
	f->state = 0;
	f->flags = 0;
	f->next = w->free_head;
	w->free_head = idx;
}

void sl_flow_free_unused(struct sl_flow_table *t, unsigned worker, uint32_t idx)
{
	struct sl_flow_worker *w = &t->w[worker];
	release(t, w, idx);
	__atomic_store_n(&w->n_used, w->n_used - 1, __ATOMIC_RELAXED);
}

/*
 * Both of a new key's buckets @p b are full: move one of their keys to its
 * own other bucket, if that has room (one step of cuckoo hashing), and
 * return the slot it left, now empty. The key is copied before the
 * original is cleared, so it is always in the table; a reader that looked
 * at the two buckets in the wrong order sees `moves` change and looks
 * again. The slot may be another worker's: its owner removes it by value
 * from either of its buckets, and if it does so during the move, the copy
 * is taken back. Two keys per connection at two thirds of the slots leave
 * a few buckets full near the end of a large table (1M connections: from
 * 99 % on); this keeps the last inserts from failing.
 */
static uint64_t *make_room(struct sl_flow_table *t, const uint32_t b[2])
{
	for (unsigned j = 0; j < 2; j++) {
		uint64_t *s = &t->slots[(size_t)b[j] * SL_FLOW_BUCKET_SLOTS];
		for (unsigned i = 0; i < SL_FLOW_BUCKET_SLOTS; i++) {
			uint64_t val = __atomic_load_n(&s[i], __ATOMIC_ACQUIRE);
			if (val == 0)
				return &s[i];      /* freed meanwhile */
			uint32_t x1, x2;
			buckets(t, (uint32_t)(val >> 32), &x1, &x2);
			uint64_t *a = &t->slots[(size_t)(x1 == b[j] ? x2 : x1) * SL_FLOW_BUCKET_SLOTS];
			for (unsigned k = 0; k < SL_FLOW_BUCKET_SLOTS; k++) {
				uint64_t empty = 0;
				if (__atomic_load_n(&a[k], __ATOMIC_RELAXED) != 0 ||
				    !__atomic_compare_exchange_n(&a[k], &empty, val, false,
								 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
					continue;
				__atomic_fetch_add(&t->moves, 1, __ATOMIC_SEQ_CST);
				uint64_t expect = val;
				if (__atomic_compare_exchange_n(&s[i], &expect, 0, false,
								__ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
					return &s[i];
				/* Its owner removed it while we copied: so is the copy. */
				expect = val;
				__atomic_compare_exchange_n(&a[k], &expect, 0, false, __ATOMIC_SEQ_CST,
							    __ATOMIC_RELAXED);
				break;
			}
		}
	}
	return NULL;
}

/*
 * Claim a free slot for @p v in one of the key's buckets, then make sure no
 * other slot holds the same key: if one does (inserted by another worker
 * between our lookup and our claim), give ours back. The claim and the
 * check are sequentially consistent, so of two workers inserting the same
 * key at once at least one sees the other: at most one keeps it.
 */
static int slot_insert(struct sl_flow_table *t, const struct sl_flow_key *k, uint32_t h,
		       uint64_t v)
{
	uint32_t b[2];
	enum sl_flow_dir dir;
	buckets(t, h, &b[0], &b[1]);
	if (bucket_find(t, b[0], h, k, 0, __ATOMIC_ACQUIRE, &dir) != SL_FLOW_NONE ||
	    bucket_find(t, b[1], h, k, 0, __ATOMIC_ACQUIRE, &dir) != SL_FLOW_NONE)
		return -EEXIST;
	/* The emptier bucket first: choosing the less loaded of two keeps every
	 * bucket below its eight slots far longer than trying them in order. */
	unsigned empty_n[2] = {0, 0};
	for (unsigned j = 0; j < 2; j++)
		for (unsigned i = 0; i < SL_FLOW_BUCKET_SLOTS; i++)
			empty_n[j] += __atomic_load_n(&t->slots[(size_t)b[j] * SL_FLOW_BUCKET_SLOTS + i],
						      __ATOMIC_RELAXED) == 0;
	unsigned first = empty_n[1] > empty_n[0];
	uint64_t *claimed = NULL;
	for (unsigned jj = 0; jj < 2 && claimed == NULL; jj++) {
		uint64_t *s = &t->slots[(size_t)b[first ^ jj] * SL_FLOW_BUCKET_SLOTS];
		for (unsigned i = 0; i < SL_FLOW_BUCKET_SLOTS; i++) {
			uint64_t empty = 0;
			if (__atomic_load_n(&s[i], __ATOMIC_RELAXED) == 0 &&
			    __atomic_compare_exchange_n(&s[i], &empty, v, false, __ATOMIC_SEQ_CST,
							__ATOMIC_RELAXED)) {
				claimed = &s[i];
				break;
			}
		}
	}
	for (unsigned tries = 0; claimed == NULL && tries < 4; tries++) {
		uint64_t *s = make_room(t, b), empty = 0;
		if (s == NULL)
			break;
		if (__atomic_compare_exchange_n(s, &empty, v, false, __ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED))
			claimed = s;
	}
	if (claimed == NULL)
		return -ENOSPC;
	/* The re-check below filters with plain loads: order them after the
	 * claim on every CPU, not only on x86 where the CAS already does. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (bucket_find(t, b[0], h, k, v, __ATOMIC_SEQ_CST, &dir) != SL_FLOW_NONE ||
	    bucket_find(t, b[1], h, k, v, __ATOMIC_SEQ_CST, &dir) != SL_FLOW_NONE) {
		__atomic_store_n(claimed, 0, __ATOMIC_RELEASE);
		return -EEXIST;
	}
	return 0;
}

static void slot_remove(struct sl_flow_table *t, uint32_t h, uint64_t v)
{
	uint32_t b[2];
	buckets(t, h, &b[0], &b[1]);
	for (unsigned j = 0; j < 2; j++) {
		uint64_t *s = &t->slots[(size_t)b[j] * SL_FLOW_BUCKET_SLOTS];
		for (unsigned i = 0; i < SL_FLOW_BUCKET_SLOTS; i++) {
			if (__atomic_load_n(&s[i], __ATOMIC_RELAXED) == v) {
				__atomic_store_n(&s[i], 0, __ATOMIC_RELEASE);
				return;
			}
		}
	}
}

int sl_flow_insert(struct sl_flow_table *t, unsigned worker, uint32_t idx)
{
	struct sl_flow *f = &t->entries[idx];
	struct sl_flow_key k[2];
	uint32_t h[2];
	(void)worker;
	for (unsigned d = 0; d < 2; d++) {
		sl_flow_key_get(t, f, (enum sl_flow_dir)d, &k[d]);
		h[d] = sl_flow_hash(&k[d]);
	}
	if (h[0] == h[1] && memcmp(&k[0], &k[1], sizeof(k[0])) == 0)
		return -EEXIST; /* a packet to itself: both directions are one key */
	int rc = slot_insert(t, &k[0], h[0], slot_value(h[0], idx, SL_FLOW_ORIG));
	if (rc < 0)
		return rc;
	rc = slot_insert(t, &k[1], h[1], slot_value(h[1], idx, SL_FLOW_REPLY));
	if (rc < 0)
		slot_remove(t, h[0], slot_value(h[0], idx, SL_FLOW_ORIG));
	return rc;
}

/* Write @p k as direction @p d's key of @p f (its IPv6 block for IPv6). */
static void key_set(struct sl_flow_table *t, struct sl_flow *f, enum sl_flow_dir d,
		    const struct sl_flow_key *k)
{
	f->port[d][0] = k->sport;
	f->port[d][1] = k->dport;
	if (f->af == AF_V4) {
		memcpy(&f->addr4[d][0], k->src, 4);
		memcpy(&f->addr4[d][1], k->dst, 4);
	} else {
		memcpy(t->v6[f->v6] + d * 32, k->src, 16);
		memcpy(t->v6[f->v6] + d * 32 + 16, k->dst, 16);
	}
}

int sl_flow_rekey_reply(struct sl_flow_table *t, unsigned worker, uint32_t idx,
			const struct sl_flow_key *r)
{
	struct sl_flow *f = &t->entries[idx];
	struct sl_flow_key old;
	(void)worker;
	sl_flow_key_get(t, f, SL_FLOW_REPLY, &old);
	uint32_t ho = sl_flow_hash(&old), hn = sl_flow_hash(r);
	slot_remove(t, ho, slot_value(ho, idx, SL_FLOW_REPLY));
	key_set(t, f, SL_FLOW_REPLY, r);
	int rc = slot_insert(t, r, hn, slot_value(hn, idx, SL_FLOW_REPLY));
	if (rc != 0) {
		key_set(t, f, SL_FLOW_REPLY, &old);
		/* Its own slot was free a moment ago: it goes back (at worst into
		 * the other bucket). */
		slot_insert(t, &old, ho, slot_value(ho, idx, SL_FLOW_REPLY));
	}
	return rc;
}

void sl_flow_embryonic_add(struct sl_flow_table *t, unsigned worker, uint32_t idx)
{
	struct sl_flow_worker *w = &t->w[worker];
	struct sl_flow *f = &t->entries[idx];
	if (f->flags & SL_FLOW_F_EMBRYONIC)
		return;
	f->flags |= SL_FLOW_F_EMBRYONIC;
	f->prev = w->emb_tail;
	f->next = SL_FLOW_NONE;
	if (w->emb_tail != SL_FLOW_NONE)
		t->entries[w->emb_tail].next = idx;
	else
		w->emb_head = idx;
	w->emb_tail = idx;
	w->n_embryonic++;
}

void sl_flow_embryonic_del(struct sl_flow_table *t, unsigned worker, uint32_t idx)
{
	struct sl_flow_worker *w = &t->w[worker];
	struct sl_flow *f = &t->entries[idx];
	if (!(f->flags & SL_FLOW_F_EMBRYONIC))
		return;
	f->flags &= (uint8_t)~SL_FLOW_F_EMBRYONIC;
	if (f->prev != SL_FLOW_NONE)
		t->entries[f->prev].next = f->next;
	else
		w->emb_head = f->next;
	if (f->next != SL_FLOW_NONE)
		t->entries[f->next].prev = f->prev;
	else
		w->emb_tail = f->prev;
	f->prev = f->next = SL_FLOW_NONE;
	w->n_embryonic--;
}

/* Take both keys of @p idx out of the buckets and it off the embryonic list.
 * False if it was not in the table (free, or removed already). */
static bool unpublish(struct sl_flow_table *t, unsigned worker, uint32_t idx)
{
	struct sl_flow *f = &t->entries[idx];
	struct sl_flow_key k;
	if (f->state == 0 || (f->flags & SL_FLOW_F_DYING))
		return false;
	for (unsigned d = 0; d < 2; d++) {
		sl_flow_key_get(t, f, (enum sl_flow_dir)d, &k);
		uint32_t h = sl_flow_hash(&k);
		slot_remove(t, h, slot_value(h, idx, (enum sl_flow_dir)d));
	}
	sl_flow_embryonic_del(t, worker, idx);
	__atomic_store_n(&t->w[worker].n_used, t->w[worker].n_used - 1, __ATOMIC_RELAXED);
	return true;
}

void sl_flow_remove(struct sl_flow_table *t, unsigned worker, uint32_t idx)
{
	struct sl_flow_worker *w = &t->w[worker];
	struct sl_flow *f = &t->entries[idx];
	if (!unpublish(t, worker, idx))
		return;
	f->flags |= SL_FLOW_F_DYING;
	f->next = SL_FLOW_NONE;
	if (w->limbo_tail != SL_FLOW_NONE)
		t->entries[w->limbo_tail].next = idx;
	else
		w->limbo_head = idx;
	w->limbo_tail = idx;
}

void sl_flow_evict(struct sl_flow_table *t, unsigned worker, uint32_t idx)
{
	if (unpublish(t, worker, idx))
		release(t, &t->w[worker], idx);
}

void sl_flow_reclaim(struct sl_flow_table *t, unsigned worker)
{
	struct sl_flow_worker *w = &t->w[worker];
	if (w->limbo_head != SL_FLOW_NONE) {
		uint64_t token = t->qsv ? rte_rcu_qsbr_start(t->qsv) : 0;
		if (w->n_batches == RTE_DIM(w->batch)) {
			/* Every batch still waits: the newest takes this one in
			 * and its later token (a longer wait, never a shorter). */
			unsigned last = (w->first_batch + w->n_batches - 1) % RTE_DIM(w->batch);
			t->entries[w->batch[last].tail].next = w->limbo_head;
			w->batch[last].tail = w->limbo_tail;
			w->batch[last].token = token;
		} else {
			unsigned b = (w->first_batch + w->n_batches) % RTE_DIM(w->batch);
			w->batch[b].head = w->limbo_head;
			w->batch[b].tail = w->limbo_tail;
			w->batch[b].token = token;
			w->n_batches++;
		}
		w->limbo_head = w->limbo_tail = SL_FLOW_NONE;
	}
	while (w->n_batches > 0) {
		unsigned b = w->first_batch;
		if (t->qsv != NULL && rte_rcu_qsbr_check(t->qsv, w->batch[b].token, false) != 1)
			break;
		for (uint32_t idx = w->batch[b].head; idx != SL_FLOW_NONE;) {
			uint32_t next = t->entries[idx].next;
			release(t, w, idx);
			idx = next;
		}
		w->first_batch = (uint8_t)((b + 1) % RTE_DIM(w->batch));
		w->n_batches--;
	}
}

unsigned sl_flow_expire_scan(struct sl_flow_table *t, unsigned worker, uint32_t now_ticks,
			     unsigned budget,
			     void (*expire)(void *arg, uint32_t idx), void *arg)
{
	struct sl_flow_worker *w = &t->w[worker];
	unsigned n = 0;
	if (w->first == w->last)
		return 0;
	for (; n < budget; n++) {
		uint32_t idx = w->scan;
		w->scan = idx + 1 == w->last ? w->first : idx + 1;
		const struct sl_flow *f = &t->entries[idx];
		if (f->state == 0 || (f->flags & SL_FLOW_F_DYING))
			continue;
		if (sl_flow_before(f->deadline, now_ticks) ||
		    __atomic_load_n(&f->kill, __ATOMIC_RELAXED))
			expire(arg, idx);
	}
	return n;
}

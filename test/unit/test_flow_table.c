/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection table: keys of both directions, pools per worker, the
 * embryonic list, expiry, reuse after a grace period, memory per connection,
 * and two threads inserting the same connections at once.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "sl_flow.h"

#define TCP 6
#define UDP 17

static struct sl_flow_key key4(uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst,
			       uint16_t dport)
{
	struct sl_flow_key k = {.af = 4, .proto = proto, .sport = sport, .dport = dport};
	memcpy(k.src, &src, 4);
	memcpy(k.dst, &dst, 4);
	return k;
}

static struct sl_flow_key key6(uint8_t proto, uint8_t src_last, uint16_t sport, uint8_t dst_last,
			       uint16_t dport)
{
	struct sl_flow_key k = {.af = 6, .proto = proto, .sport = sport, .dport = dport};
	k.src[0] = k.dst[0] = 0xfd;
	k.src[15] = src_last;
	k.dst[15] = dst_last;
	return k;
}

static struct sl_flow_key reverse(const struct sl_flow_key *k)
{
	struct sl_flow_key r = *k;
	memcpy(r.src, k->dst, 16);
	memcpy(r.dst, k->src, 16);
	r.sport = k->dport;
	r.dport = k->sport;
	return r;
}

static uint32_t find(const struct sl_flow_table *t, const struct sl_flow_key *k,
		     enum sl_flow_dir *dir)
{
	return sl_flow_lookup(t, k, sl_flow_hash(k), dir);
}

/* Create, insert and find by both keys (IPv4 and IPv6); remove; reuse. */
static void test_insert_lookup_remove(void **state)
{
	struct sl_flow_table *t = sl_flow_table_create(64, 8, 2, NULL, SOCKET_ID_ANY);
	enum sl_flow_dir dir;
	(void)state;
	assert_non_null(t);
	assert_int_equal(t->capacity, 64);

	struct sl_flow_key o4 = key4(TCP, 0x0100000a, 40000, 0x0200000a, 80), r4 = reverse(&o4);
	struct sl_flow_key o6 = key6(UDP, 1, 5353, 2, 53), r6 = reverse(&o6);
	uint32_t a = sl_flow_alloc(t, 0, &o4, &r4), b = sl_flow_alloc(t, 1, &o6, &r6);
	assert_in_range(a, t->w[0].first, t->w[0].last - 1);
	assert_in_range(b, t->w[1].first, t->w[1].last - 1);
	assert_int_equal(sl_flow_get(t, a)->owner, 0);
	assert_int_equal(sl_flow_get(t, b)->owner, 1);
	assert_int_equal(find(t, &o4, &dir), SL_FLOW_NONE);   /* not published yet */
	assert_int_equal(sl_flow_insert(t, 0, a), 0);
	assert_int_equal(sl_flow_insert(t, 1, b), 0);
	assert_int_equal(find(t, &o4, &dir), a);
	assert_int_equal(dir, SL_FLOW_ORIG);
	assert_int_equal(find(t, &r4, &dir), a);
	assert_int_equal(dir, SL_FLOW_REPLY);
	assert_int_equal(find(t, &o6, &dir), b);
	assert_int_equal(dir, SL_FLOW_ORIG);
	assert_int_equal(find(t, &r6, &dir), b);
	assert_int_equal(dir, SL_FLOW_REPLY);

	/* What is stored is what was given, in both directions. */
	struct sl_flow_key got;
	sl_flow_key_get(t, sl_flow_get(t, b), SL_FLOW_REPLY, &got);
	assert_memory_equal(&got, &r6, sizeof(got));
	sl_flow_key_get(t, sl_flow_get(t, a), SL_FLOW_ORIG, &got);
	assert_memory_equal(&got, &o4, sizeof(got));

	/* Near misses are misses: another port, protocol or family. */
	struct sl_flow_key miss = o4;
	miss.sport++;
	assert_int_equal(find(t, &miss, &dir), SL_FLOW_NONE);
	miss = o4;
	miss.proto = UDP;
	assert_int_equal(find(t, &miss, &dir), SL_FLOW_NONE);
	miss = key6(TCP, 1, 40000, 2, 80);
	memcpy(miss.src, o4.src, 4);
	memset(miss.src + 4, 0, 12);
	assert_int_equal(find(t, &miss, &dir), SL_FLOW_NONE);

	/* The same connection twice, or a key another holds: refused. */
	uint32_t c = sl_flow_alloc(t, 1, &r4, &o4);
	assert_int_equal(sl_flow_insert(t, 1, c), -EEXIST);
	sl_flow_free_unused(t, 1, c);
	struct sl_flow_key self = key4(UDP, 0x0100000a, 7, 0x0100000a, 7);
	c = sl_flow_alloc(t, 1, &self, &self);
	assert_int_equal(sl_flow_insert(t, 1, c), -EEXIST);
	sl_flow_free_unused(t, 1, c);
	assert_int_equal(sl_flow_used(t, 0), 1);
	assert_int_equal(sl_flow_used(t, 1), 1);

	/* Removed: gone at once for readers; reusable after reclaim. */
	sl_flow_remove(t, 0, a);
	assert_int_equal(find(t, &o4, &dir), SL_FLOW_NONE);
	assert_int_equal(find(t, &r4, &dir), SL_FLOW_NONE);
	assert_int_equal(sl_flow_used(t, 0), 0);
	assert_true(sl_flow_get(t, a)->flags & SL_FLOW_F_DYING);
	sl_flow_reclaim(t, 0);            /* no readers to wait for (qsv NULL) */
	assert_int_equal(sl_flow_get(t, a)->state, 0);
	assert_int_equal(sl_flow_alloc(t, 0, &o4, &r4), a);   /* LIFO reuse */
	sl_flow_table_free(t);
}

/* Each worker's pool and IPv6 blocks run out on their own. */
static void test_pools(void **state)
{
	struct sl_flow_table *t = sl_flow_table_create(9, 4, 2, NULL, SOCKET_ID_ANY);
	(void)state;
	assert_non_null(t);
	assert_int_equal(t->capacity, 8);          /* rounded to the workers */
	uint32_t got = 0;
	for (uint32_t i = 0; i < 10; i++) {
		struct sl_flow_key o = key4(UDP, 0x0100000a, (uint16_t)(1000 + i), 0x0200000a, 53);
		struct sl_flow_key r = reverse(&o);
		uint32_t idx = sl_flow_alloc(t, 0, &o, &r);
		if (idx == SL_FLOW_NONE)
			break;
		assert_int_equal(sl_flow_insert(t, 0, idx), 0);
		got++;
	}
	assert_int_equal(got, 4);                  /* worker 0's half */
	/* Worker 1: two IPv6 blocks of its own, then only IPv4. */
	struct sl_flow_key o = key6(UDP, 1, 1, 2, 2), r = reverse(&o);
	assert_int_not_equal(sl_flow_alloc(t, 1, &o, &r), SL_FLOW_NONE);
	o.sport = 3;
	r = reverse(&o);
	assert_int_not_equal(sl_flow_alloc(t, 1, &o, &r), SL_FLOW_NONE);
	o.sport = 4;
	r = reverse(&o);
	assert_int_equal(sl_flow_alloc(t, 1, &o, &r), SL_FLOW_NONE);
	struct sl_flow_key o4 = key4(UDP, 1, 1, 2, 2), r4 = reverse(&o4);
	assert_int_not_equal(sl_flow_alloc(t, 1, &o4, &r4), SL_FLOW_NONE);
	assert_int_equal(sl_flow_used(t, 1), 3);
	sl_flow_table_free(t);
	/* Bad sizes. */
	assert_null(sl_flow_table_create(1, 0, 2, NULL, SOCKET_ID_ANY));
	assert_null(sl_flow_table_create(8, 9, 2, NULL, SOCKET_ID_ANY));
	assert_null(sl_flow_table_create(8, 0, 0, NULL, SOCKET_ID_ANY));
}

/* The table holds its full capacity: no insert fails below it. */
static void test_fills_to_capacity(void **state)
{
	const uint32_t n = 1u << 16;
	struct sl_flow_table *t = sl_flow_table_create(n, 0, 1, NULL, SOCKET_ID_ANY);
	enum sl_flow_dir dir;
	(void)state;
	assert_non_null(t);
	for (uint32_t i = 0; i < n; i++) {
		struct sl_flow_key o = key4(TCP, 0x0a000000 | i, (uint16_t)(i * 7), 0x0b000001, 443);
		struct sl_flow_key r = reverse(&o);
		uint32_t idx = sl_flow_alloc(t, 0, &o, &r);
		assert_int_not_equal(idx, SL_FLOW_NONE);
		assert_int_equal(sl_flow_insert(t, 0, idx), 0);
	}
	for (uint32_t i = 0; i < n; i += 97) {
		struct sl_flow_key o = key4(TCP, 0x0a000000 | i, (uint16_t)(i * 7), 0x0b000001, 443);
		struct sl_flow_key r = reverse(&o);
		assert_int_not_equal(find(t, &r, &dir), SL_FLOW_NONE);
		assert_int_equal(dir, SL_FLOW_REPLY);
	}
	struct sl_flow_key o = key4(TCP, 1, 1, 2, 2), r = reverse(&o);
	assert_int_equal(sl_flow_alloc(t, 0, &o, &r), SL_FLOW_NONE);    /* pool exhausted */
	sl_flow_table_free(t);
}

/* Memory per connection, as the table is built (doc/performance.md). */
static void test_memory_per_connection(void **state)
{
	(void)state;
	const uint32_t n = 1000000;
	uint64_t v4 = sl_flow_table_memory(n, 0, 2);
	uint64_t both = sl_flow_table_memory(n, n, 2);
	print_message("per IPv4 connection: %.1f bytes; per IPv6: %.1f bytes\n",
		      (double)v4 / n, (double)both / n);
	assert_true(v4 <= 128ull * n);
	assert_true(both <= 192ull * n);
}

/* Oldest first; a connection leaves the list when it is established or removed. */
static void test_embryonic_list(void **state)
{
	struct sl_flow_table *t = sl_flow_table_create(16, 0, 1, NULL, SOCKET_ID_ANY);
	uint32_t idx[4];
	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		struct sl_flow_key o = key4(TCP, 1, (uint16_t)(100 + i), 2, 80), r = reverse(&o);
		idx[i] = sl_flow_alloc(t, 0, &o, &r);
		assert_int_equal(sl_flow_insert(t, 0, idx[i]), 0);
		sl_flow_embryonic_add(t, 0, idx[i]);
	}
	sl_flow_embryonic_add(t, 0, idx[0]);    /* already on it: no change */
	assert_int_equal(t->w[0].n_embryonic, 4);
	assert_int_equal(sl_flow_embryonic_oldest(t, 0), idx[0]);
	sl_flow_embryonic_del(t, 0, idx[0]);    /* established */
	assert_int_equal(sl_flow_embryonic_oldest(t, 0), idx[1]);
	sl_flow_remove(t, 0, idx[2]);           /* from the middle */
	sl_flow_remove(t, 0, idx[1]);
	assert_int_equal(sl_flow_embryonic_oldest(t, 0), idx[3]);
	sl_flow_remove(t, 0, idx[3]);
	assert_int_equal(sl_flow_embryonic_oldest(t, 0), SL_FLOW_NONE);
	assert_int_equal(t->w[0].n_embryonic, 0);
	sl_flow_table_free(t);
}

struct expired {
	struct sl_flow_table *t;
	uint32_t seen[16];
	unsigned n;
};

static void on_expire(void *arg, uint32_t idx)
{
	struct expired *e = arg;
	e->seen[e->n++] = idx;
	sl_flow_remove(e->t, 0, idx);
}

/* The scan visits at most its budget and finds expired and killed entries. */
static void test_expire_scan(void **state)
{
	struct sl_flow_table *t = sl_flow_table_create(8, 0, 1, NULL, SOCKET_ID_ANY);
	struct expired e = {.t = t};
	uint32_t idx[3];
	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		struct sl_flow_key o = key4(UDP, 1, (uint16_t)(100 + i), 2, 53), r = reverse(&o);
		idx[i] = sl_flow_alloc(t, 0, &o, &r);
		assert_int_equal(sl_flow_insert(t, 0, idx[i]), 0);
	}
	/* Deadlines just before the clock wraps. */
	sl_flow_get(t, idx[0])->deadline = 0xffffff80u;
	sl_flow_get(t, idx[1])->deadline = 0xffffffa0u;
	sl_flow_get(t, idx[2])->deadline = 0xfffffff0u;
	/* A budget of 1 visits only the pool's first entry (idx[0], expired). */
	assert_int_equal(sl_flow_expire_scan(t, 0, 0xffffff90u, 1, on_expire, &e), 1);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.seen[0], idx[0]);
	assert_int_equal(sl_flow_expire_scan(t, 0, 0xffffff90u, 7, on_expire, &e), 7);
	assert_int_equal(e.n, 1);                          /* the other two wait */
	__atomic_store_n(&sl_flow_get(t, idx[1])->kill, 1, __ATOMIC_RELAXED);
	assert_int_equal(sl_flow_expire_scan(t, 0, 0xffffff90u, 8, on_expire, &e), 8);
	assert_int_equal(e.n, 2);
	assert_int_equal(e.seen[1], idx[1]);               /* killed before its time */
	assert_int_equal(sl_flow_expire_scan(t, 0, 0x10, 8, on_expire, &e), 8);
	assert_int_equal(e.n, 3);
	assert_int_equal(e.seen[2], idx[2]);               /* 0xfffffff0 is before 0x10 */
	sl_flow_table_free(t);
}

/* A removed entry waits until every reader has passed a quiescent state. */
static void test_reuse_waits_for_readers(void **state)
{
	size_t sz = rte_rcu_qsbr_get_memsize(2);
	struct rte_rcu_qsbr *q = rte_zmalloc(NULL, sz, RTE_CACHE_LINE_SIZE);
	(void)state;
	assert_int_equal(rte_rcu_qsbr_init(q, 2), 0);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(rte_rcu_qsbr_thread_register(q, i), 0);
		rte_rcu_qsbr_thread_online(q, i);
	}
	struct sl_flow_table *t = sl_flow_table_create(4, 0, 1, q, SOCKET_ID_ANY);
	struct sl_flow_key o = key4(UDP, 1, 1, 2, 2), r = reverse(&o);
	uint32_t a = sl_flow_alloc(t, 0, &o, &r);
	assert_int_equal(sl_flow_insert(t, 0, a), 0);
	sl_flow_remove(t, 0, a);
	sl_flow_reclaim(t, 0);
	assert_int_equal(sl_flow_get(t, a)->state, 1);     /* thread 1 may still read it */
	rte_rcu_qsbr_quiescent(q, 0);
	sl_flow_reclaim(t, 0);
	assert_int_equal(sl_flow_get(t, a)->state, 1);
	rte_rcu_qsbr_quiescent(q, 1);
	sl_flow_reclaim(t, 0);
	assert_int_equal(sl_flow_get(t, a)->state, 0);     /* back in the pool */
	/* More removals than batches: they merge, none is lost. */
	for (unsigned i = 0; i < 40; i++) {
		uint32_t x = sl_flow_alloc(t, 0, &o, &r);
		assert_int_not_equal(x, SL_FLOW_NONE);
		assert_int_equal(sl_flow_insert(t, 0, x), 0);
		sl_flow_remove(t, 0, x);
		sl_flow_reclaim(t, 0);
		if (i % 2 == 1) {                   /* readers catch up now and then */
			rte_rcu_qsbr_quiescent(q, 0);
			rte_rcu_qsbr_quiescent(q, 1);
		}
	}
	rte_rcu_qsbr_quiescent(q, 0);
	rte_rcu_qsbr_quiescent(q, 1);
	sl_flow_reclaim(t, 0);
	unsigned free_n = 0;
	for (uint32_t i = t->w[0].free_head; i != SL_FLOW_NONE; i = sl_flow_get(t, i)->next)
		free_n++;
	assert_int_equal(free_n, 4);
	sl_flow_table_free(t);
	rte_free(q);
}

/* ---- two workers inserting the same connections at once --------------- */

#define RACE_N 20000

struct racer {
	struct sl_flow_table *t;
	unsigned worker;
	pthread_barrier_t *go;
	uint32_t won[RACE_N];       /* entry index, or SL_FLOW_NONE */
};

static void *race(void *arg)
{
	struct racer *r = arg;
	pthread_barrier_wait(r->go);
	for (uint32_t i = 0; i < RACE_N; i++) {
		/* Worker 1 sees the connection from the other side (simultaneous open). */
		struct sl_flow_key o = key4(TCP, 0x0a000000 | i, 1000, 0x0b000000 | i, 2000);
		struct sl_flow_key rv = reverse(&o);
		uint32_t idx = r->worker == 0 ? sl_flow_alloc(r->t, 0, &o, &rv) :
						 sl_flow_alloc(r->t, 1, &rv, &o);
		if (sl_flow_insert(r->t, r->worker, idx) == 0) {
			r->won[i] = idx;
		} else {
			sl_flow_free_unused(r->t, r->worker, idx);
			r->won[i] = SL_FLOW_NONE;
		}
	}
	return NULL;
}

static void test_concurrent_inserts(void **state)
{
	struct sl_flow_table *t = sl_flow_table_create(4 * RACE_N, 0, 2, NULL, SOCKET_ID_ANY);
	pthread_barrier_t go;
	static struct racer r[2];
	pthread_t th[2];
	enum sl_flow_dir dir;
	(void)state;
	pthread_barrier_init(&go, NULL, 2);
	for (unsigned w = 0; w < 2; w++) {
		r[w] = (struct racer){.t = t, .worker = w, .go = &go};
		assert_int_equal(pthread_create(&th[w], NULL, race, &r[w]), 0);
	}
	for (unsigned w = 0; w < 2; w++)
		pthread_join(th[w], NULL);
	unsigned one = 0, none = 0;
	for (uint32_t i = 0; i < RACE_N; i++) {
		struct sl_flow_key o = key4(TCP, 0x0a000000 | i, 1000, 0x0b000000 | i, 2000);
		bool a = r[0].won[i] != SL_FLOW_NONE, b = r[1].won[i] != SL_FLOW_NONE;
		assert_false(a && b);                  /* never two entries for one connection */
		uint32_t idx = find(t, &o, &dir);
		if (a || b) {
			one++;
			assert_int_equal(idx, a ? r[0].won[i] : r[1].won[i]);
			assert_int_equal(dir, a ? SL_FLOW_ORIG : SL_FLOW_REPLY);
		} else {
			none++;                            /* both backed off */
			assert_int_equal(idx, SL_FLOW_NONE);
		}
	}
	print_message("%u connections: %u inserted once, %u by neither\n", RACE_N, one, none);
	assert_int_equal(sl_flow_used(t, 0) + sl_flow_used(t, 1), one);
	pthread_barrier_destroy(&go);
	sl_flow_table_free(t);
}

int main(void)
{
	char *argv[] = {"test", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
			"--no-telemetry", "--log-level=lib.*:error"};
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert_lookup_remove),
		cmocka_unit_test(test_pools),
		cmocka_unit_test(test_fills_to_capacity),
		cmocka_unit_test(test_memory_per_connection),
		cmocka_unit_test(test_embryonic_list),
		cmocka_unit_test(test_expire_scan),
		cmocka_unit_test(test_reuse_waits_for_readers),
		cmocka_unit_test(test_concurrent_inserts),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_eal_cleanup();
	return rc;
}

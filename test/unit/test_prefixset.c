/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prefix sets: the LPM tables against a scan of the exact entries, changes
 * all or nothing, the journal across a restart, and lookups that never
 * miss a standing prefix while others churn (the IPv6 copies swapped and
 * the IPv4 groups reclaimed under a reader on another thread).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "sl_prefixset.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static struct sl_pset *make(uint32_t max4, uint32_t groups4, uint32_t max6, uint32_t groups6,
			    struct rte_rcu_qsbr *qsv)
{
	struct sl_config_set c = {.max_ipv4 = max4, .max_ipv6 = max6, .ipv4_groups = groups4,
				  .ipv6_groups = groups6};
	char err[256];
	snprintf(c.name, sizeof(c.name), "test");
	struct sl_pset *s = sl_pset_create(&c, qsv, SOCKET_ID_ANY, err, sizeof(err));
	if (s == NULL)
		fail_msg("%s", err);
	return s;
}

static struct sl_pset_entry entry(const char *text)
{
	struct sl_pset_entry e;
	assert_int_equal(sl_pset_parse(text, &e), 0);
	return e;
}

/* A prefix under a few roots, so that random lookups hit now and then. */
static struct sl_pset_entry random_entry(bool v6)
{
	struct sl_pset_entry e;
	memset(&e, 0, sizeof(e));
	e.af = v6 ? SL_AF_INET6 : SL_AF_INET;
	unsigned bytes = v6 ? 16 : 4;
	for (unsigned i = 0; i < bytes; i++)
		e.addr[i] = (uint8_t)rnd();
	e.addr[0] = v6 ? 0x20 : 10;
	e.addr[1] = (uint8_t)(rnd() % 4);
	e.len = (uint8_t)(v6 ? 16 + rnd() % 113 : 8 + rnd() % 25);
	for (unsigned i = 0; i < bytes; i++) {
		int keep = (int)e.len - 8 * (int)i;
		e.addr[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff00u >> keep);
	}
	return e;
}

static void check_against_linear(const struct sl_pset *s, unsigned probes)
{
	for (unsigned i = 0; i < probes; i++) {
		bool v6 = i & 1;
		uint8_t a[16];
		for (unsigned k = 0; k < 16; k++)
			a[k] = (uint8_t)rnd();
		a[0] = v6 ? 0x20 : 10;
		a[1] = (uint8_t)(rnd() % 4);
		/* Now and then an address just inside an entry. */
		if (rnd() % 2 && s->n4 + s->n6 > 0) {
			const struct sl_pset_entry *e = sl_pset_entry_at(s, rnd() % (s->n4 + s->n6));
			if ((e->af == SL_AF_INET6) == v6)
				memcpy(a, e->addr, e->len / 8);
		}
		uint8_t af = v6 ? SL_AF_INET6 : SL_AF_INET;
		bool want = sl_pset_contains_linear(s, af, a);
		if (sl_pset_contains(s, af, a) != want)
			fail_msg("probe %u (IPv%c): the table says %d, the entries %d", i,
				 v6 ? '6' : '4', !want, want);
		/* The bulk lookups the stage uses give the same answer. */
		uint32_t bits = 0;
		if (v6) {
			uint8_t ips[1][16];
			memcpy(ips[0], a, 16);
			sl_pset_lookup6(s, ips, &bits, 4, 1);
		} else {
			uint32_t ip = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
			sl_pset_lookup4(s, &ip, &bits, 4, 1);
		}
		assert_int_equal(bits, want ? 4 : 0);
	}
}

/* Test the parser: canonical prefixes, bare addresses, host bits refused. */
static void test_parse(void **state)
{
	(void)state;
	struct sl_pset_entry e;
	char buf[64];
	assert_int_equal(sl_pset_parse("198.51.100.0/24", &e), 0);
	assert_int_equal(e.af, SL_AF_INET);
	assert_int_equal(e.len, 24);
	sl_pset_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "198.51.100.0/24");
	assert_int_equal(sl_pset_parse("192.0.2.7", &e), 0);
	assert_int_equal(e.len, 32);
	assert_int_equal(sl_pset_parse("2001:db8::/32", &e), 0);
	assert_int_equal(e.af, SL_AF_INET6);
	sl_pset_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::/32");
	assert_int_equal(sl_pset_parse("198.51.100.1/24", &e), -EDOM);
	assert_int_equal(sl_pset_parse("2001:db8::1/64", &e), -EDOM);
	assert_int_equal(sl_pset_parse("10.0.0.0/33", &e), -EINVAL);
	assert_int_equal(sl_pset_parse("example", &e), -EINVAL);
	assert_int_equal(sl_pset_parse("::/0", &e), -ERANGE);
	assert_int_equal(sl_pset_parse("0.0.0.0/0", &e), -ERANGE);
	assert_int_equal(sl_pset_parse("", &e), -EINVAL);
}

/* Test random sets of both families against the scan, then after deleting half. */
static void test_tables_agree_with_entries(void **state)
{
	(void)state;
	struct sl_pset *s = make(3000, 3008, 1000, 16000, NULL);
	struct sl_pset_entry add[4000];
	uint32_t n = 0;
	for (unsigned i = 0; i < 3000; i++)
		add[n++] = random_entry(false);
	for (unsigned i = 0; i < 1000; i++)
		add[n++] = random_entry(true);
	struct sl_pset_outcome out;
	char err[256];
	assert_int_equal(sl_pset_change(s, add, n, NULL, 0, false, &out, err, sizeof(err)), 0);
	assert_int_equal(out.added + out.present, n);
	assert_int_equal(s->n4 + s->n6, out.added);
	check_against_linear(s, 20000);
	/* Every other one goes. */
	struct sl_pset_entry del[2000];
	uint32_t nd = 0;
	for (uint32_t i = 0; i < n; i += 2)
		del[nd++] = add[i];
	uint32_t before = s->n4 + s->n6;
	assert_int_equal(sl_pset_change(s, NULL, 0, del, nd, false, &out, err, sizeof(err)), 0);
	assert_int_equal(out.deleted + out.absent, nd);
	assert_int_equal(s->n4 + s->n6, before - out.deleted);
	check_against_linear(s, 20000);
	for (uint32_t i = 0; i < nd; i++)
		assert_false(sl_pset_has_entry(s, &del[i]));
	sl_pset_free(s);
}

/* Test the counts of a change: present, absent, and a delete and add of one prefix. */
static void test_change_outcome(void **state)
{
	(void)state;
	struct sl_pset *s = make(16, 16, 16, 64, NULL);
	struct sl_pset_entry a[] = {entry("10.0.0.0/8"), entry("10.0.0.0/8"), entry("2001:db8::/32")};
	struct sl_pset_entry d[] = {entry("192.0.2.0/24"), entry("2001:db8::/32")};
	struct sl_pset_outcome out;
	char err[256];
	assert_int_equal(sl_pset_change(s, a, 3, NULL, 0, false, &out, err, sizeof(err)), 0);
	assert_int_equal(out.added, 2);
	assert_int_equal(out.present, 1);
	/* Deletes go first: the IPv6 prefix is deleted and added back. */
	assert_int_equal(sl_pset_change(s, &a[2], 1, d, 2, false, &out, err, sizeof(err)), 0);
	assert_int_equal(out.deleted, 1);
	assert_int_equal(out.absent, 1);
	assert_int_equal(out.added, 1);
	assert_int_equal(s->n4, 1);
	assert_int_equal(s->n6, 1);
	uint8_t in[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1};
	assert_true(sl_pset_contains(s, SL_AF_INET6, in));
	/* Replace: exactly the list, the rest gone. */
	struct sl_pset_entry r[] = {entry("192.0.2.0/24"), entry("10.0.0.0/8")};
	assert_int_equal(sl_pset_change(s, r, 2, NULL, 0, true, &out, err, sizeof(err)), 0);
	assert_int_equal(out.added, 1);
	assert_int_equal(out.present, 1);
	assert_int_equal(out.deleted, 1);
	assert_int_equal(s->n4, 2);
	assert_int_equal(s->n6, 0);
	assert_false(sl_pset_contains(s, SL_AF_INET6, in));
	sl_pset_free(s);
}

/* Test that a change that does not fit changes nothing: the maximum, and the groups. */
static void test_full_changes_nothing(void **state)
{
	(void)state;
	struct sl_pset *s = make(3, 2, 0, 0, NULL);
	struct sl_pset_entry a[] = {entry("10.1.0.0/16"), entry("10.2.0.0/16"), entry("10.3.0.0/16"),
				    entry("10.4.0.0/16"), entry("10.5.0.0/16")};
	struct sl_pset_outcome out;
	char err[256];
	assert_int_equal(sl_pset_change(s, a, 2, NULL, 0, false, &out, err, sizeof(err)), 0);
	/* Four where three fit: none of the three added, the delete undone. */
	assert_int_equal(sl_pset_change(s, &a[2], 3, a, 1, false, &out, err, sizeof(err)), -ENOSPC);
	assert_non_null(strstr(err, "is full"));
	assert_int_equal(s->n4, 2);
	assert_true(sl_pset_has_entry(s, &a[0]));
	uint8_t in1[4] = {10, 1, 9, 9}, in3[4] = {10, 3, 0, 1};
	assert_true(sl_pset_contains(s, SL_AF_INET, in1));
	assert_false(sl_pset_contains(s, SL_AF_INET, in3));
	assert_int_equal(s->refused, 1);
	sl_pset_free(s);
	/* 64 groups (what 2 rounds up to): /32s in 64 /24s fit, in a 65th not. */
	s = make(128, 2, 0, 0, NULL);
	assert_int_equal(s->groups4, 64);
	struct sl_pset_entry h[64];
	char text[32];
	for (unsigned i = 0; i < 64; i++) {
		snprintf(text, sizeof(text), "10.9.%u.1", i);
		h[i] = entry(text);
	}
	assert_int_equal(sl_pset_change(s, h, 64, NULL, 0, false, &out, err, sizeof(err)), 0);
	struct sl_pset_entry h3[] = {entry("10.9.1.2"), entry("10.9.200.1")};
	assert_int_equal(sl_pset_change(s, h3, 2, NULL, 0, false, &out, err, sizeof(err)), -ENOSPC);
	assert_non_null(strstr(err, "ipv4_groups 64"));
	assert_int_equal(s->n4, 64);
	uint8_t h3a[4] = {10, 9, 200, 1}, h1b[4] = {10, 9, 1, 2}, h1a[4] = {10, 9, 1, 1};
	assert_false(sl_pset_contains(s, SL_AF_INET, h3a));
	assert_false(sl_pset_contains(s, SL_AF_INET, h1b));
	assert_true(sl_pset_contains(s, SL_AF_INET, h1a));
	assert_int_equal(s->refused, 1);
	sl_pset_free(s);
}

/* Test prefixes under a covering one: each longer prefix takes its group
 * even under the /8 (so the count holds through any order of changes),
 * churn never leaks groups, and the covering prefix comes and goes. */
static void test_nested_prefixes_keep_count(void **state)
{
	(void)state;
	struct sl_pset *s = make(256, 64, 0, 0, NULL);
	struct sl_pset_entry wide = entry("10.0.0.0/8"), host[70];
	struct sl_pset_outcome out;
	char err[256], text[32];
	assert_int_equal(sl_pset_change(s, &wide, 1, NULL, 0, false, &out, err, sizeof(err)), 0);
	for (unsigned i = 0; i < 70; i++) {
		snprintf(text, sizeof(text), "10.1.%u.1", i);
		host[i] = entry(text);
	}
	for (unsigned round = 0; round < 300; round++) {
		struct sl_pset_entry *h = &host[round % 70];
		if (sl_pset_change(s, h, 1, NULL, 0, false, &out, err, sizeof(err)) != 0 ||
		    sl_pset_change(s, NULL, 0, h, 1, false, &out, err, sizeof(err)) != 0)
			fail_msg("round %u: %s", round, err);
	}
	/* 64 groups: 64 /24s with a /32 fit under the /8, a 65th does not. */
	assert_int_equal(sl_pset_change(s, host, 64, NULL, 0, false, &out, err, sizeof(err)), 0);
	assert_int_equal(sl_pset_change(s, &host[64], 1, NULL, 0, false, &out, err, sizeof(err)),
			 -ENOSPC);
	/* The /8 goes and comes back; the hosts stay members throughout. */
	assert_int_equal(sl_pset_change(s, NULL, 0, &wide, 1, false, &out, err, sizeof(err)), 0);
	check_against_linear(s, 2000);
	uint8_t in[4] = {10, 1, 5, 1}, out8[4] = {10, 200, 0, 1};
	assert_true(sl_pset_contains(s, SL_AF_INET, in));
	assert_false(sl_pset_contains(s, SL_AF_INET, out8));
	assert_int_equal(sl_pset_change(s, &wide, 1, NULL, 0, false, &out, err, sizeof(err)), 0);
	assert_true(sl_pset_contains(s, SL_AF_INET, out8));
	check_against_linear(s, 2000);
	sl_pset_free(s);
}

/* Test the journal: changes survive a restart, a torn last line is left
 * out, and churn is compacted so the file stays near the set's size. */
static void test_journal(void **state)
{
	(void)state;
	char dir[] = "/tmp/sl_pset_XXXXXX", path[64], err[256];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/test.set", dir);
	struct sl_pset *s = make(100, 100, 100, 400, NULL);
	assert_int_equal(sl_pset_load(s, path, err, sizeof(err)), 0);   /* no file: empty */
	assert_int_equal(sl_pset_attach(s, path, err, sizeof(err)), 0);
	struct sl_pset_entry a[] = {entry("10.0.0.0/8"), entry("2001:db8::/32"), entry("192.0.2.1")};
	struct sl_pset_outcome out;
	assert_int_equal(sl_pset_change(s, a, 3, NULL, 0, false, &out, err, sizeof(err)), 0);
	assert_int_equal(sl_pset_change(s, NULL, 0, &a[2], 1, false, &out, err, sizeof(err)), 0);
	/* Churn: thousands of lines, compacted as it goes. */
	struct sl_pset_entry c = entry("198.51.100.0/24");
	for (unsigned i = 0; i < 3000; i++) {
		assert_int_equal(sl_pset_change(s, &c, 1, NULL, 0, false, &out, err, sizeof(err)), 0);
		assert_int_equal(sl_pset_change(s, NULL, 0, &c, 1, false, &out, err, sizeof(err)), 0);
	}
	sl_pset_free(s);
	FILE *f = fopen(path, "a");
	assert_non_null(f);
	fputs("+203.0.113.0/2", f);            /* torn: no newline */
	fclose(f);
	long lines = 0;
	f = fopen(path, "r");
	for (int ch; (ch = fgetc(f)) != EOF;)
		lines += ch == '\n';
	fclose(f);
	assert_true(lines <= 2 * 2 + 4096 + 2);
	s = make(100, 100, 100, 400, NULL);
	assert_int_equal(sl_pset_load(s, path, err, sizeof(err)), 0);
	assert_int_equal(s->n4, 1);
	assert_int_equal(s->n6, 1);
	assert_true(sl_pset_has_entry(s, &a[0]));
	assert_true(sl_pset_has_entry(s, &a[1]));
	uint8_t in[4] = {10, 7, 7, 7};
	assert_true(sl_pset_contains(s, SL_AF_INET, in));
	/* Smaller sizes than the journal holds: refused, as a live change is. */
	struct sl_pset *small = make(0, 0, 100, 400, NULL);
	assert_int_equal(sl_pset_load(small, path, err, sizeof(err)), -ENOSPC);
	assert_non_null(strstr(err, "do not fit its sizes"));
	sl_pset_free(small);
	sl_pset_free(s);
	unlink(path);
	rmdir(dir);
}

/* A reader on another thread: looks up a prefix that is always in the set. */
struct reader {
	struct sl_pset *s;
	struct rte_rcu_qsbr *qsv;
	uint8_t af;
	uint8_t addr[16];
	volatile int stop;
	uint64_t lookups, misses;
};

/* EAL pins the main thread to one CPU and a new thread inherits it: the
 * reader may run anywhere, or each of the writer's waits for a grace period
 * would wait for the scheduler to switch threads on that CPU. */
static void unpin(pthread_t t)
{
	cpu_set_t all;
	CPU_ZERO(&all);
	for (int c = 0; c < CPU_SETSIZE; c++)
		CPU_SET(c, &all);
	pthread_setaffinity_np(t, sizeof(all), &all);
}

static void *read_loop(void *arg)
{
	struct reader *r = arg;
	rte_rcu_qsbr_thread_register(r->qsv, 0);
	rte_rcu_qsbr_thread_online(r->qsv, 0);
	while (!r->stop) {
		for (unsigned i = 0; i < 64; i++) {
			r->misses += !sl_pset_contains(r->s, r->af, r->addr);
			r->lookups++;
		}
		rte_rcu_qsbr_quiescent(r->qsv, 0);
	}
	rte_rcu_qsbr_thread_offline(r->qsv, 0);
	rte_rcu_qsbr_thread_unregister(r->qsv, 0);
	return NULL;
}

static void churn_under_reader(uint8_t af)
{
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	struct rte_rcu_qsbr *qsv = rte_zmalloc("qsv", sz, RTE_CACHE_LINE_SIZE);
	assert_non_null(qsv);
	assert_int_equal(rte_rcu_qsbr_init(qsv, 1), 0);
	struct sl_pset *s = make(4096, 64, 4096, 4096, qsv);
	bool v6 = af == SL_AF_INET6;
	/* The standing prefix, and churn inside and beside its groups. */
	struct sl_pset_entry keep = entry(v6 ? "2001:db8:1:2:3::/80" : "10.1.2.3");
	struct sl_pset_outcome out;
	char err[256];
	assert_int_equal(sl_pset_change(s, &keep, 1, NULL, 0, false, &out, err, sizeof(err)), 0);
	struct reader r = {.s = s, .qsv = qsv, .af = af};
	memcpy(r.addr, keep.addr, 16);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, read_loop, &r), 0);
	unpin(t);
	while (__atomic_load_n(&r.lookups, __ATOMIC_RELAXED) == 0)
		sched_yield();
	for (unsigned round = 0; round < 400; round++) {
		struct sl_pset_entry batch[32];
		for (unsigned i = 0; i < 32; i++) {
			char text[64];
			if (v6)
				snprintf(text, sizeof(text), "2001:db8:%x:%x::/64", 1 + rnd() % 3, rnd() % 8);
			else
				snprintf(text, sizeof(text), "10.1.%u.%u", rnd() % 8, rnd() % 256);
			batch[i] = entry(text);
			if (memcmp(&batch[i], &keep, sizeof(keep)) == 0)
				batch[i] = entry(v6 ? "2001:db8:9::/48" : "10.9.0.0/16");
		}
		assert_int_equal(sl_pset_change(s, batch, 32, NULL, 0, false, &out, err, sizeof(err)), 0);
		assert_int_equal(sl_pset_change(s, NULL, 0, batch, 32, false, &out, err, sizeof(err)), 0);
	}
	r.stop = 1;
	pthread_join(t, NULL);
	assert_true(r.lookups > 0);
	if (r.misses != 0)
		fail_msg("%lu of %lu lookups of a standing prefix missed", (unsigned long)r.misses,
			 (unsigned long)r.lookups);
	assert_int_equal(s->n4 + s->n6, 1);
	sl_pset_free(s);
	rte_free(qsv);
}

/* Test IPv6: copies swapped under a reader never lose a standing prefix. */
static void test_ipv6_swap_under_reader(void **state)
{
	(void)state;
	churn_under_reader(SL_AF_INET6);
}

/* Test IPv4: the same, with groups freed and taken again in both copies. */
static void test_ipv4_swap_under_reader(void **state)
{
	(void)state;
	churn_under_reader(SL_AF_INET);
}

int main(void)
{
	char *argv[] = {"test", "--no-huge", "-m", "1024", "--no-pci", "--no-shconf",
			"--no-telemetry", "--log-level=lib.*:error"};
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_tables_agree_with_entries),
		cmocka_unit_test(test_change_outcome),
		cmocka_unit_test(test_full_changes_nothing),
		cmocka_unit_test(test_nested_prefixes_keep_count),
		cmocka_unit_test(test_journal),
		cmocka_unit_test(test_ipv6_swap_under_reader),
		cmocka_unit_test(test_ipv4_swap_under_reader),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

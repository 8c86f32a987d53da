/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-source limits: bucket arithmetic under a synthetic clock, one source
 * from two threads at once, the table full, connection counts, and the
 * sweep that forgets idle sources.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "sl_pkt.h"
#include "sl_ratelimit.h"

#define HZ 1000000ull   /* synthetic TSC: one cycle a microsecond */

static struct rte_mempool *pool;

static struct sl_config *config(const char *pkts, uint32_t burst, uint64_t bits,
				uint64_t bit_burst)
{
	struct sl_config *cfg = calloc(1, sizeof(*cfg));
	struct sl_config_ratelimit *rl = &cfg->ratelimit;
	rl->enabled = true;
	rl->max_sources = 1024;
	rl->prefix4 = 32;
	rl->prefix6 = 64;
	rl->idle_us = 1000000;
	rl->n_levels = 1;
	snprintf(rl->levels[0].name, sizeof(rl->levels[0].name), "default");
	if (pkts != NULL)
		assert_int_equal(sl_parse_per_second(pkts, &rl->levels[0].packets), 0);
	rl->levels[0].packet_burst = burst;
	rl->levels[0].bits = bits;
	rl->levels[0].bit_burst = bit_burst;
	return cfg;
}

/* An IPv4 packet from @p src of @p len IP bytes, as parse leaves it. */
static struct rte_mbuf *packet(uint32_t src, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	assert_non_null(m);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)rte_pktmbuf_append(m, 20);
	memset(ip, 0, 20);
	ip->src_addr = rte_cpu_to_be_32(src);
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	memset(meta, 0, sizeof(*meta));
	meta->l3_type = SL_L3_IPV4;
	meta->ip_len = len;
	return m;
}

/* Offer one packet at @p now; true if it passed. */
static bool offer(struct sl_rl_table *t, const struct sl_rl_policy *p, struct sl_lcore_stats *st,
		  uint32_t src, uint16_t len, uint64_t now)
{
	struct rte_mbuf *m = packet(src, len);
	uint16_t n = sl_rl_burst(t, p, st, &m, 1, now);
	if (n == 1)
		rte_pktmbuf_free(m);
	return n == 1;
}

/* Test the packet bucket: a burst of 10 at once, then one per 1 ms at
 * 1000/s; offered every 500 us from 0 to 999 500 us, exactly
 * (999 500 + 9 000) / 1 000 + 1 = 1009 pass (the span over the cost, the
 * burst's tolerance included, and the first) and the rest are rate_pps
 * drops; another source is not affected. */
static void test_packet_bucket(void **state)
{
	(void)state;
	struct sl_config *cfg = config("1000/s", 10, 0, 0);
	struct sl_rl_policy p;
	sl_rl_policy_build(cfg, HZ, &p);
	struct sl_rl_table *t = sl_rl_table_create(&cfg->ratelimit, HZ, SOCKET_ID_ANY);
	struct sl_lcore_stats st = {0};
	uint64_t now = 5 * HZ;
	unsigned passed = 0;
	for (unsigned i = 0; i < 11; i++)
		passed += offer(t, &p, &st, 0x0a000001, 100, now);
	assert_int_equal(passed, 10);
	assert_false(offer(t, &p, &st, 0x0a000001, 100, now + 999));
	assert_true(offer(t, &p, &st, 0x0a000001, 100, now + 1000));
	assert_true(offer(t, &p, &st, 0x0a000002, 100, now + 1000));   /* its own bucket */
	now += 10 * HZ;         /* full again */
	passed = 0;
	for (uint64_t us = 0; us < HZ; us += 500)
		passed += offer(t, &p, &st, 0x0a000001, 100, now + us);
	assert_int_equal(passed, 1009);
	assert_int_equal(st.drops[SL_DROP_RATE_PPS], 1 + 1 + 2000 - 1009);
	sl_rl_table_free(t);
	free(cfg);
}

/* Test the bit bucket: 8 Mbit/s with a 10 000-byte burst, so a 1000-byte
 * packet costs 1000 us and the tolerance is 10 000 us; offered every
 * 500 us from 0 to 999 500 us, (999 500 + 10 000) / 1 000 + 1 = 1010 pass. */
static void test_bit_bucket(void **state)
{
	(void)state;
	struct sl_config *cfg = config(NULL, 0, 8000000, 10000);
	struct sl_rl_policy p;
	sl_rl_policy_build(cfg, HZ, &p);
	assert_true(p.packet_limits);
	struct sl_rl_table *t = sl_rl_table_create(&cfg->ratelimit, HZ, SOCKET_ID_ANY);
	struct sl_lcore_stats st = {0};
	unsigned passed = 0;
	/* 8 Mbit/s is 1000 packets of 1000 bytes a second; offer 2000. */
	for (uint64_t us = 0; us < HZ; us += 500)
		passed += offer(t, &p, &st, 0x0a000001, 1000, HZ + us);
	assert_int_equal(passed, 1010);
	assert_int_equal(st.drops[SL_DROP_RATE_BPS], 2000 - passed);
	sl_rl_table_free(t);
	free(cfg);
}

struct hammer {
	struct sl_rl_table *t;
	const struct sl_rl_policy *p;
	uint64_t *clock;
	unsigned passed;
	struct sl_lcore_stats st;
};

/* 20 000 packets of one source, at times taken from a shared clock that
 * moves 50 us per packet: with two threads, 1 s at 20 000/s in all. */
static void *hammer(void *arg)
{
	struct hammer *h = arg;
	for (unsigned i = 0; i < 10000; i++) {
		uint64_t now = __atomic_fetch_add(h->clock, 100, __ATOMIC_RELAXED);
		struct rte_mbuf *m = packet(0xc0000201, 100);
		if (sl_rl_burst(h->t, h->p, &h->st, &m, 1, now) == 1) {
			h->passed++;
			rte_pktmbuf_free(m);
		}
	}
	return NULL;
}

/* Test one source from two threads at once (the case of one source's
 * packets landing on two workers): it gets its rate once, not twice. */
static void test_one_source_two_threads(void **state)
{
	(void)state;
	struct sl_config *cfg = config("1000/s", 1, 0, 0);
	struct sl_rl_policy p;
	sl_rl_policy_build(cfg, HZ, &p);
	struct sl_rl_table *t = sl_rl_table_create(&cfg->ratelimit, HZ, SOCKET_ID_ANY);
	uint64_t clock = 2 * HZ;
	static struct hammer h[2];
	pthread_t th[2];
	cpu_set_t all;
	CPU_ZERO(&all);
	for (int c = 0; c < CPU_SETSIZE; c++)
		CPU_SET(c, &all);
	for (unsigned i = 0; i < 2; i++) {
		h[i] = (struct hammer){.t = t, .p = &p, .clock = &clock};
		assert_int_equal(pthread_create(&th[i], NULL, hammer, &h[i]), 0);
		/* Not on the CPU EAL pinned the main thread to (inherited). */
		pthread_setaffinity_np(th[i], sizeof(all), &all);
	}
	for (unsigned i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	/* 2 s of offers at 10 000/s: 2000 at the rate, +-1 % for the
	 * clock's reads racing the buckets' updates. */
	unsigned passed = h[0].passed + h[1].passed;
	assert_in_range(passed, 1980, 2020);
	assert_true(h[0].passed > 100 && h[1].passed > 100);
	sl_rl_table_free(t);
	free(cfg);
}

/* Test a full table: 10 000 sources into room for 1024 (2048 slots): the
 * table holds what fits, the rest share overflow entries (counted), and
 * nothing grows; once idle, the sweep forgets them all. */
static void test_table_full_and_sweep(void **state)
{
	(void)state;
	/* Limits high enough that sources sharing an overflow entry all pass. */
	struct sl_config *cfg = config("1M/s", 100000, 0, 0);
	struct sl_rl_policy p;
	sl_rl_policy_build(cfg, HZ, &p);
	struct sl_rl_table *t = sl_rl_table_create(&cfg->ratelimit, HZ, SOCKET_ID_ANY);
	struct sl_lcore_stats st = {0};
	struct rte_rcu_qsbr *qsv = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), 64);
	assert_int_equal(rte_rcu_qsbr_init(qsv, 1), 0);
	for (uint32_t i = 0; i < 10000; i++)
		assert_true(offer(t, &p, &st, 0x0a000000 + i * 7919, 100, HZ));
	/* Twice max_sources slots, and max_sources of them taken: then every
	 * new source overflows, never more. */
	uint32_t slots = (t->mask + 1) * SL_RL_BUCKET;
	assert_int_equal(slots, 2048);
	assert_int_equal(sl_rl_capacity(t), 1024);
	assert_int_equal(st.rl_overflow, 10000 - 1024);
	assert_int_equal(t->taken, 1024);
	for (unsigned i = 0; i < 3; i++)
		sl_rl_sweep(t, qsv, HZ + 1000);
	assert_int_equal(t->in_use, 10000 - st.rl_overflow);
	/* A worker's clock a little ahead of the management lcore's: a source
	 * seen "later" than the sweep's now is recent, not idle. */
	for (unsigned i = 0; i < 3; i++)
		sl_rl_sweep(t, qsv, HZ - 10);
	assert_int_equal(t->in_use, 10000 - st.rl_overflow);
	/* Idle past 1 s: marked on one pass, forgotten after the grace period. */
	for (unsigned i = 0; i < 3; i++)
		sl_rl_sweep(t, qsv, 3 * HZ);
	sl_rl_sweep(t, qsv, 3 * HZ);
	assert_int_equal(t->in_use, 0);
	assert_int_equal(t->taken, 0);
	for (uint32_t i = 0; i < (t->mask + 1) * SL_RL_BUCKET; i++)
		assert_int_equal(t->keys[i], 0);
	/* Room again: a new source has an entry of its own. */
	uint64_t over = st.rl_overflow;
	assert_true(offer(t, &p, &st, 0x0b000001, 100, 3 * HZ));
	assert_int_equal(st.rl_overflow, over);
	assert_int_equal(t->taken, 1);
	rte_free(qsv);
	sl_rl_table_free(t);
	free(cfg);
}

/* A table for connection tests: a cap of 10, a quiescent-state variable
 * no thread is registered with (every grace period is over at once). */
struct conn_fixture {
	struct sl_config *cfg;
	struct sl_rl_policy p;
	struct sl_rl_table *t;
	struct sl_lcore_stats st;
	struct rte_rcu_qsbr *qsv;
};

static void conn_fixture_up(struct conn_fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->cfg = config(NULL, 0, 0, 0);
	f->cfg->ratelimit.levels[0].connections = 10;
	sl_rl_policy_build(f->cfg, HZ, &f->p);
	f->t = sl_rl_table_create(&f->cfg->ratelimit, HZ, SOCKET_ID_ANY);
	f->qsv = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), 64);
	assert_non_null(f->t);
	assert_int_equal(rte_rcu_qsbr_init(f->qsv, 1), 0);
}

static void conn_fixture_down(struct conn_fixture *f)
{
	rte_free(f->qsv);
	sl_rl_table_free(f->t);
	free(f->cfg);
}

/* Test the sweep against workers that used entries it had just judged
 * idle: a connection counted on one keeps it (key restored, count kept); a
 * block set on another joins the new slot its source took meanwhile. */
static void test_sweep_keeps_what_workers_used(void **state)
{
	(void)state;
	struct conn_fixture f;
	conn_fixture_up(&f);
	struct sl_rl_table *t = f.t;
	struct sl_rl_policy p = f.p;
	struct sl_lcore_stats st = {0};
	struct rte_rcu_qsbr *qsv = f.qsv;
	uint8_t a[4] = {10, 1, 0, 2}, b[4] = {10, 1, 0, 3}, mark;
	bool reset;
	/* Two sources with a connection each, closed at 1 s. */
	assert_int_equal(sl_rl_conn_open(t, &p, &st, 0, SL_AF_INET, a, HZ, &mark, &reset), 0);
	sl_rl_conn_close(t, SL_AF_INET, a, mark);
	assert_int_equal(sl_rl_conn_open(t, &p, &st, 0, SL_AF_INET, b, HZ, &mark, &reset), 0);
	sl_rl_conn_close(t, SL_AF_INET, b, mark);
	sl_rl_sweep(t, qsv, 3 * HZ);            /* idle: both marked leaving */
	assert_true(t->waiting);
	assert_int_equal(t->n_leaving, 2);
	struct sl_rl_entry *ea = NULL, *eb = NULL;
	for (uint32_t i = 0; i < t->n_leaving; i++) {
		if (t->leaving_key[i] == sl_rl_key(t, SL_AF_INET, a))
			ea = &t->e[t->leaving[i]];
		if (t->leaving_key[i] == sl_rl_key(t, SL_AF_INET, b))
			eb = &t->e[t->leaving[i]];
	}
	assert_non_null(ea);
	assert_non_null(eb);
	/* Workers that had found them just before. */
	__atomic_fetch_add(&ea->conns, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&eb->blocked_until, 10 * HZ, __ATOMIC_RELAXED);
	/* b's source comes back: a slot of its own again. */
	assert_int_equal(sl_rl_conn_open(t, &p, &st, 0, SL_AF_INET, b, 3 * HZ, &mark, &reset), 0);
	assert_int_equal(t->taken, 3);
	sl_rl_sweep(t, qsv, 3 * HZ);            /* grace over: kept, merged */
	const struct sl_rl_entry *ka = sl_rl_lookup(t, SL_AF_INET, a);
	const struct sl_rl_entry *kb = sl_rl_lookup(t, SL_AF_INET, b);
	assert_non_null(ka);
	assert_non_null(kb);
	assert_int_equal(ka->conns, 1);
	assert_int_equal(kb->conns, 1);
	assert_int_equal(kb->blocked_until, 10 * HZ);
	/* b's old slot leaves again, on the next pass, after a grace period. */
	assert_int_equal(t->taken, 3);
	sl_rl_sweep(t, qsv, 3 * HZ);
	sl_rl_sweep(t, qsv, 3 * HZ);
	assert_int_equal(t->taken, 2);
	assert_int_equal(kb->blocked_until, 10 * HZ);
	sl_rl_conn_close(t, SL_AF_INET, a, SL_RL_COUNTED);
	assert_int_equal(ka->conns, 0);
	conn_fixture_down(&f);
}

/* Test a connection counted on an entry just judged idle and closed before
 * its grace period ends: the close finds the leaving entry by the key it
 * keeps, so the entry leaves with no connection left over. */
static void test_close_while_leaving(void **state)
{
	(void)state;
	struct conn_fixture f;
	conn_fixture_up(&f);
	struct sl_rl_table *t = f.t;
	struct sl_rl_policy p = f.p;
	struct sl_lcore_stats st = {0};
	struct rte_rcu_qsbr *qsv = f.qsv;
	uint8_t a[4] = {10, 1, 0, 9}, mark;
	bool reset;
	assert_int_equal(sl_rl_conn_open(t, &p, &st, 0, SL_AF_INET, a, HZ, &mark, &reset), 0);
	sl_rl_conn_close(t, SL_AF_INET, a, mark);
	sl_rl_sweep(t, qsv, 3 * HZ);            /* idle: marked leaving */
	assert_int_equal(t->n_leaving, 1);
	struct sl_rl_entry *e = &t->e[t->leaving[0]];
	__atomic_fetch_add(&e->conns, 1, __ATOMIC_RELAXED);   /* counted just before */
	sl_rl_conn_close(t, SL_AF_INET, a, SL_RL_COUNTED);     /* and closed */
	assert_int_equal(e->conns, 0);
	sl_rl_sweep(t, qsv, 3 * HZ);
	assert_null(sl_rl_lookup(t, SL_AF_INET, a));
	assert_int_equal(t->taken, 0);
	conn_fixture_down(&f);
}

/* Test connection counts: at most 3 open from a source, a 4th refused as
 * conn_limit (with a reset when configured); one closed makes room; a
 * source with open connections is not forgotten; the rate of new ones
 * holds (burst 5, 10/s). */
static void test_connection_limits(void **state)
{
	(void)state;
	struct sl_config *cfg = config(NULL, 0, 0, 0);
	cfg->ratelimit.levels[0].connections = 3;
	cfg->ratelimit.levels[0].reset_over_limit = true;
	struct sl_rl_policy p;
	sl_rl_policy_build(cfg, HZ, &p);
	struct sl_rl_table *t = sl_rl_table_create(&cfg->ratelimit, HZ, SOCKET_ID_ANY);
	struct sl_lcore_stats st = {0};
	uint8_t src[4] = {10, 1, 0, 2}, mark[4];
	bool reset;
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(sl_rl_conn_open(t, &p, &st, 0, SL_AF_INET, src, HZ, &mark[i], &reset), 0);
		assert_int_equal(mark[i], SL_RL_COUNTED);
	}
	assert_int_equal(sl_rl_conn_open(t, &p, &st, 0, SL_AF_INET, src, HZ, &mark[3], &reset),
			 SL_DROP_CONN_LIMIT);
	assert_true(reset);
	sl_rl_conn_close(t, SL_AF_INET, src, mark[0]);
	assert_int_equal(sl_rl_conn_open(t, &p, &st, 0, SL_AF_INET, src, HZ, &mark[0], &reset), 0);
	struct rte_rcu_qsbr *qsv = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), 64);
	rte_rcu_qsbr_init(qsv, 1);
	for (unsigned i = 0; i < 4; i++)
		sl_rl_sweep(t, qsv, 100 * HZ);
	assert_int_equal(t->in_use, 1);
	sl_rl_table_free(t);
	/* The rate of new connections. */
	cfg->ratelimit.levels[0].connections = 0;
	cfg->ratelimit.levels[0].new_connections = 10;
	cfg->ratelimit.levels[0].connection_burst = 5;
	sl_rl_policy_build(cfg, HZ, &p);
	t = sl_rl_table_create(&cfg->ratelimit, HZ, SOCKET_ID_ANY);
	unsigned ok = 0;
	for (uint64_t us = 0; us < HZ; us += 10000)    /* 100 in a second */
		ok += sl_rl_conn_open(t, &p, &st, 0, SL_AF_INET, src, HZ + us, &mark[0], &reset) == 0;
	/* Offers every 10 ms over a second, cost 100 ms, tolerance 400 ms:
	 * (990 + 400) / 100 + 1 = 14. */
	assert_int_equal(ok, 14);
	assert_int_equal(mark[0], SL_RL_NOT_COUNTED);
	rte_free(qsv);
	sl_rl_table_free(t);
	free(cfg);
}

static unsigned started, ended;

static void count_blocks(void *arg, const struct sl_rl_table *t, uint64_t key,
			 const struct sl_rl_entry *e, bool start, uint64_t now)
{
	(void)arg, (void)t, (void)key, (void)e, (void)now;
	if (start)
		started++;
	else
		ended++;
}

/* Test reputation: a score decays by half each half-life; at the threshold
 * the source is blocked for "block", then twice as long, up to the
 * maximum; blocked, it is dropped as blocked whatever its level; the sweep
 * reports each block and each end once. */
static void test_reputation_blocks(void **state)
{
	(void)state;
	struct sl_config *cfg = config(NULL, 0, 0, 0);
	struct sl_config_reputation *r = &cfg->ratelimit.reputation;
	r->enabled = true;
	r->threshold = 10;
	r->half_life_us = 1000000;
	r->weights[SL_REP_RATE_DROP] = 1;
	r->weights[SL_REP_SCAN] = 10;
	r->scan_ports = 8;
	r->scan_window_us = 10000000;
	r->block_us = 2000000;
	r->block_max_us = 5000000;
	struct sl_rl_policy p;
	sl_rl_policy_build(cfg, HZ, &p);
	struct sl_rl_table *t = sl_rl_table_create(&cfg->ratelimit, HZ, SOCKET_ID_ANY);
	t->offence_memory = p.rep.block_max;
	t->on_block = count_blocks;
	struct rte_rcu_qsbr *qsv = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), 64);
	rte_rcu_qsbr_init(qsv, 1);
	struct sl_lcore_stats st = {0};
	uint8_t src[4] = {10, 9, 0, 1};
	uint64_t now = 10 * HZ;
	for (unsigned i = 0; i < 8; i++)
		sl_rl_event(t, &p, SL_AF_INET, src, SL_REP_RATE_DROP, now);
	struct sl_rl_entry *e = sl_rl_lookup(t, SL_AF_INET, src);
	assert_non_null(e);
	assert_float_equal(sl_rl_score(&p, e, now), 8.0, 0.001);
	/* One half-life later (to within a score tick of 512 us): 4. */
	assert_float_equal(sl_rl_score(&p, e, now + HZ), 4.0, 0.01);
	now += HZ;
	for (unsigned i = 0; i < 5; i++)
		sl_rl_event(t, &p, SL_AF_INET, src, SL_REP_RATE_DROP, now);
	assert_int_equal(e->blocked_until, 0);            /* 9 */
	sl_rl_event(t, &p, SL_AF_INET, src, SL_REP_RATE_DROP, now);
	assert_int_equal(e->blocked_until, now + 2 * HZ); /* 10: blocked for "block" */
	assert_int_equal(e->offences, 1);
	assert_int_equal(e->cause, SL_REP_RATE_DROP);
	/* Blocked: every packet of it dropped, even on a level without limits. */
	for (unsigned i = 0; i < 3; i++)
		sl_rl_sweep(t, qsv, now + 1);
	assert_int_equal(t->blocks_active, 1);
	assert_false(offer(t, &p, &st, 0x0a090001, 100, now + 10));
	assert_int_equal(st.drops[SL_DROP_BLOCKED], 1);
	assert_true(offer(t, &p, &st, 0x0a090002, 100, now + 10));
	/* It ends by itself; the next offence blocks 4 s, the one after 5 s (the cap). */
	now += 2 * HZ;
	assert_true(offer(t, &p, &st, 0x0a090001, 100, now));
	for (unsigned i = 0; i < 3; i++)
		sl_rl_sweep(t, qsv, now);
	assert_int_equal(started, 1);
	assert_int_equal(ended, 1);
	sl_rl_event(t, &p, SL_AF_INET, src, SL_REP_SCAN, now);
	assert_int_equal(e->blocked_until, now + 4 * HZ);
	now += 4 * HZ;
	sl_rl_event(t, &p, SL_AF_INET, src, SL_REP_SCAN, now);
	assert_int_equal(e->blocked_until, now + 5 * HZ);
	assert_int_equal(e->offences, 3);
	/* A scan: 8 distinct ports (estimated from a 64-bit hash) in the window. */
	uint8_t scanner[4] = {10, 9, 0, 7};
	for (uint16_t port = 1; port <= 40; port++)
		sl_rl_new_port(t, &p, SL_AF_INET, scanner, port, now + port);
	e = sl_rl_lookup(t, SL_AF_INET, scanner);
	assert_int_equal(e->cause, SL_REP_SCAN);
	assert_true(e->blocked_until > now);
	uint8_t quiet[4] = {10, 9, 0, 8};
	for (unsigned i = 0; i < 40; i++)    /* one port, many times: no scan */
		sl_rl_new_port(t, &p, SL_AF_INET, quiet, 443, now + i);
	e = sl_rl_lookup(t, SL_AF_INET, quiet);
	assert_int_equal(e->blocked_until, 0);
	rte_free(qsv);
	sl_rl_table_free(t);
	free(cfg);
}

/* Test that IPv6 sources are told apart at /64 (the default: all 64 bits of
 * the key) and that a block of one is not a block of another; and that
 * 255.255.255.255 is a source like any other. */
static void test_ipv6_sources_apart(void **state)
{
	(void)state;
	struct sl_config *cfg = config(NULL, 0, 0, 0);
	struct sl_rl_policy p;
	sl_rl_policy_build(cfg, HZ, &p);
	struct sl_rl_table *t = sl_rl_table_create(&cfg->ratelimit, HZ, SOCKET_ID_ANY);
	uint8_t a[16] = {0xfd, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9};
	uint8_t b[16] = {0xfd, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 9};
	uint8_t a2[16] = {0xfd, 0, 0, 1, 0, 0, 0, 1, 0xff, 0, 0, 0, 0, 0, 0, 1};   /* a's /64 */
	assert_int_equal(sl_rl_block(t, SL_AF_INET6, a, 100 * HZ, 0, SL_REP_EVENTS, HZ), 0);
	assert_non_null(sl_rl_lookup(t, SL_AF_INET6, a));
	assert_ptr_equal(sl_rl_lookup(t, SL_AF_INET6, a2), sl_rl_lookup(t, SL_AF_INET6, a));
	assert_null(sl_rl_lookup(t, SL_AF_INET6, b));
	char text[64];
	sl_rl_key_text(t, sl_rl_key(t, SL_AF_INET6, a), text, sizeof(text));
	assert_string_equal(text, "fd00:1:0:1::/64");
	uint8_t bcast[4] = {255, 255, 255, 255};
	assert_int_equal(sl_rl_block(t, SL_AF_INET, bcast, 100 * HZ, 0, SL_REP_EVENTS, HZ), 0);
	assert_non_null(sl_rl_lookup(t, SL_AF_INET, bcast));
	sl_rl_table_free(t);
	free(cfg);
}

int main(void)
{
	char *argv[] = {"test", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
			"--no-telemetry", "--log-level=lib.*:error"};
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("rl_test", 1023, 0, SL_PKT_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packet_bucket),
		cmocka_unit_test(test_bit_bucket),
		cmocka_unit_test(test_one_source_two_threads),
		cmocka_unit_test(test_table_full_and_sweep),
		cmocka_unit_test(test_sweep_keeps_what_workers_used),
		cmocka_unit_test(test_close_while_leaving),
		cmocka_unit_test(test_connection_limits),
		cmocka_unit_test(test_reputation_blocks),
		cmocka_unit_test(test_ipv6_sources_apart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Load balancing: the Maglev table's balance and minimal disruption, the
 * round-robin sequences' exact shares, least connections, health, and
 * stable slots across views.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_memory.h>

#include "sl_lb.h"

#define TUPLES 10000

static uint64_t seed = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
	return (uint32_t)seed;
}

/* A config with one service of @p n backends 10.1.0.(10+i):80, skipping
 * backend @p skip (-1: none), weights from @p weights (NULL: 1), health
 * checks of type @p health. */
static struct sl_config *config_checked(const char *sched, unsigned n, int skip,
					const int *weights, const char *health)
{
	char err[256];
	json_t *backends = json_array();
	for (unsigned i = 0; i < n; i++) {
		char addr[32];
		if ((int)i == skip)
			continue;
		snprintf(addr, sizeof(addr), "10.1.0.%u", 10 + i);
		json_array_append_new(backends, json_pack("{s:s, s:i}", "address", addr, "weight",
							  weights ? weights[i] : 1));
	}
	json_t *doc = json_pack("{s:[{s:s, s:s, s:[s]}, {s:s, s:s, s:[s]}], s:{}, "
				"s:[{s:s, s:s, s:s, s:i, s:s, s:{s:s}, s:o}]}",
		"ports", "name", "lan", "device", "net_null0", "ipv4", "10.1.0.1/24",
		"name", "wan", "device", "net_null1", "ipv4", "10.2.0.1/24",
		"flow",
		"services", "name", "web", "vip", "10.2.0.100", "proto", "tcp", "port", 80,
		"scheduler", sched, "health", "type", health, "backends", backends);
	struct sl_config *cfg = sl_config_parse(doc, err, sizeof(err));
	json_decref(doc);
	if (cfg == NULL)
		fail_msg("config: %s", err);
	return cfg;
}

static struct sl_config *config(const char *sched, unsigned n, int skip, const int *weights)
{
	return config_checked(sched, n, skip, weights, "none");
}

static const struct sl_lb_service *publish(struct sl_lb *lb, const struct sl_config *cfg)
{
	char err[256];
	struct sl_lb_view *v = sl_lb_view_build(lb, cfg, err, sizeof(err));
	if (v == NULL)
		fail_msg("view: %s", err);
	sl_lb_view_free(sl_lb_publish(lb, v));
	sl_lb_gc(lb);
	return &v->services[0];
}

/* Backend index (last address byte - 10) a connection from src:sport gets. */
static int pick(struct sl_lb *lb, const struct sl_lb_service *s, uint32_t src, uint16_t sport)
{
	const struct sl_lb_backend *b = sl_lb_pick(lb, s, 0, (const uint8_t *)&src, sport);
	if (b == NULL)
		return -1;
	sl_lb_closed(lb, 0, b->slot);
	sl_lb_released(lb, 0, b->slot);
	return b->addr[3] - 10;
}

/* Each of 10 equal backends holds a tenth of the table, to within 1 %. */
static void test_maglev_balance(void **state)
{
	(void)state;
	struct sl_lb *lb = sl_lb_create(1, SOCKET_ID_ANY);
	struct sl_config *cfg = config("maglev", 10, -1, NULL);
	const struct sl_lb_service *s = publish(lb, cfg);
	unsigned count[10] = {0};
	assert_int_equal(s->table_size, 65537);
	for (uint32_t i = 0; i < s->table_size; i++)
		count[s->table[i]]++;
	for (unsigned b = 0; b < 10; b++)
		assert_true(abs((int)count[b] - 6554) <= 66);
	sl_config_free(cfg);
	sl_lb_free(lb);
}

/* Weights 1:2:3 take 1/6, 2/6 and 3/6 of the table, to within 1 %. */
static void test_maglev_weights(void **state)
{
	(void)state;
	static const int w[] = {1, 2, 3};
	uint16_t table[65537];
	uint8_t ids[3][4] = {{1}, {2}, {3}};
	struct sl_maglev_backend b[3];
	for (unsigned i = 0; i < 3; i++)
		b[i] = (struct sl_maglev_backend){.id = ids[i], .id_len = 4, .weight = (uint16_t)w[i]};
	assert_int_equal(sl_maglev_build(b, 3, table, 65537), 0);
	unsigned count[3] = {0};
	for (unsigned i = 0; i < 65537; i++)
		count[table[i]]++;
	for (unsigned i = 0; i < 3; i++)
		assert_true(abs((int)count[i] - 65537 * w[i] / 6) <= 656);
	b[0].weight = b[1].weight = b[2].weight = 0;
	assert_int_equal(sl_maglev_build(b, 3, table, 65537), -EINVAL);
}

/* Removing 1 of 10 backends moves at most 1/10 + 2 % of 10^4 tuples, and
 * every tuple of the removed one. */
static void test_maglev_disruption(void **state)
{
	(void)state;
	struct sl_lb *lb = sl_lb_create(1, SOCKET_ID_ANY);
	struct sl_config *all = config("maglev", 10, -1, NULL), *nine = config("maglev", 10, 3, NULL);
	static uint32_t src[TUPLES];
	static uint16_t sport[TUPLES];
	static int before[TUPLES];
	const struct sl_lb_service *s = publish(lb, all);
	for (unsigned i = 0; i < TUPLES; i++) {
		src[i] = rnd();
		sport[i] = (uint16_t)rnd();
		before[i] = pick(lb, s, src[i], sport[i]);
	}
	s = publish(lb, nine);
	unsigned changed = 0, on_removed = 0;
	for (unsigned i = 0; i < TUPLES; i++) {
		int after = pick(lb, s, src[i], sport[i]);
		assert_int_not_equal(after, 3);
		changed += after != before[i];
		on_removed += before[i] == 3;
	}
	assert_true(on_removed > 0 && changed >= on_removed);
	assert_true(changed <= TUPLES / 10 + TUPLES / 50);
	print_message("maglev: %u of %u tuples moved, %u of them from the removed backend\n",
		      changed, TUPLES, on_removed);
	sl_config_free(all);
	sl_config_free(nine);
	sl_lb_free(lb);
}

/* sh: the same source always gets the same backend, whatever its port. */
static void test_source_hash(void **state)
{
	(void)state;
	struct sl_lb *lb = sl_lb_create(1, SOCKET_ID_ANY);
	struct sl_config *cfg = config("sh", 5, -1, NULL);
	const struct sl_lb_service *s = publish(lb, cfg);
	unsigned seen[5] = {0};
	for (unsigned i = 0; i < 1000; i++) {
		uint32_t a = rnd();
		int first = pick(lb, s, a, (uint16_t)rnd());
		for (unsigned k = 0; k < 5; k++)
			assert_int_equal(pick(lb, s, a, (uint16_t)rnd()), first);
		seen[first]++;
	}
	for (unsigned b = 0; b < 5; b++)
		assert_true(seen[b] > 100);
	sl_config_free(cfg);
	sl_lb_free(lb);
}

/* rr: exact thirds; wrr 1:2:3: 50/100/150 of 300, interleaved. */
static void test_round_robin(void **state)
{
	(void)state;
	static const int w[] = {1, 2, 3};
	struct sl_lb *lb = sl_lb_create(2, SOCKET_ID_ANY);
	struct sl_config *rr = config("rr", 3, -1, w), *wrr = config("wrr", 3, -1, w);
	const struct sl_lb_service *s = publish(lb, rr);
	unsigned count[3] = {0};
	for (unsigned i = 0; i < 300; i++)
		count[pick(lb, s, rnd(), 1)]++;
	assert_int_equal(count[0], 100);
	assert_int_equal(count[1], 100);
	assert_int_equal(count[2], 100);
	s = publish(lb, wrr);
	memset(count, 0, sizeof(count));
	int last = -1, run = 0;
	for (unsigned i = 0; i < 300; i++) {
		int b = pick(lb, s, rnd(), 1);
		count[b]++;
		run = b == last ? run + 1 : 1;
		last = b;
		assert_true(run <= 2);      /* smooth: the heaviest never goes 3 times running */
	}
	assert_int_equal(count[0], 50);
	assert_int_equal(count[1], 100);
	assert_int_equal(count[2], 150);
	sl_config_free(rr);
	sl_config_free(wrr);
	sl_lb_free(lb);
}

/* lc counts open connections over all workers, per unit of weight. */
static void test_least_connections(void **state)
{
	(void)state;
	static const int w[] = {1, 1, 2};
	struct sl_lb *lb = sl_lb_create(2, SOCKET_ID_ANY);
	struct sl_config *cfg = config("lc", 3, -1, w);
	const struct sl_lb_service *s = publish(lb, cfg);
	uint32_t src = 1;
	unsigned count[3] = {0};
	/* Eight connections held open, from two workers: 2, 2, 4. */
	for (unsigned i = 0; i < 8; i++) {
		const struct sl_lb_backend *b = sl_lb_pick(lb, s, i % 2, (const uint8_t *)&src, 1);
		count[b->addr[3] - 10]++;
	}
	assert_int_equal(count[0], 2);
	assert_int_equal(count[1], 2);
	assert_int_equal(count[2], 4);
	assert_int_equal(sl_lb_open(lb, s->backends[2].slot), 4);
	/* Backend 0's two close: the next two go to it. */
	sl_lb_closed(lb, 0, s->backends[0].slot);
	sl_lb_closed(lb, 0, s->backends[0].slot);
	assert_int_equal(pick(lb, s, src, 1), 0);
	sl_config_free(cfg);
	sl_lb_free(lb);
}

/* A backend marked down takes nothing new; none usable: NULL, counted.
 * Checks turned off: every backend is up again. */
static void test_health(void **state)
{
	(void)state;
	struct sl_lb *lb = sl_lb_create(1, SOCKET_ID_ANY);
	struct sl_config *cfg = config_checked("maglev", 2, -1, NULL, "tcp");
	struct sl_config *unchecked = config("maglev", 2, -1, NULL);
	const struct sl_lb_service *s = publish(lb, cfg);
	uint16_t b0 = s->backends[0].slot, b1 = s->backends[1].slot;
	assert_true(sl_lb_set_health(lb, b0, SL_LB_DOWN));
	assert_false(sl_lb_set_health(lb, b0, SL_LB_DOWN));
	s = publish(lb, cfg);
	assert_int_equal(s->backends[0].slot, b0);     /* the same numbers */
	assert_int_equal(s->n_usable, 1);
	for (unsigned i = 0; i < 100; i++)
		assert_int_equal(pick(lb, s, rnd(), (uint16_t)rnd()), 1);
	sl_lb_set_health(lb, b1, SL_LB_DOWN);
	s = publish(lb, cfg);
	uint32_t src = 1;
	assert_null(sl_lb_pick(lb, s, 0, (const uint8_t *)&src, 1));
	assert_int_equal(sl_lb_no_backend(lb, s->slot), 1);
	s = publish(lb, unchecked);
	assert_int_equal(s->n_usable, 2);
	assert_int_equal(lb->slots[b0].health, SL_LB_UP);
	sl_config_free(unchecked);
	sl_config_free(cfg);
	sl_lb_free(lb);
}

static unsigned sent, changes;
static const char *last_why;

static int fake_send(void *arg, uint8_t af, const uint8_t *src, const uint8_t *dst, uint16_t sport,
		     uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags)
{
	(void)arg, (void)af, (void)src, (void)dst, (void)sport, (void)dport, (void)seq, (void)ack;
	(void)flags;
	sent++;
	return 0;
}

static void fake_change(void *arg, const struct sl_lb_service *svc, const struct sl_lb_backend *be,
			enum sl_lb_health h, const char *why)
{
	(void)arg, (void)svc, (void)be, (void)h;
	changes++;
	last_why = why;
}

/* Probes: a SYN-ACK answering one counts, a bare ACK does not, fall
 * unanswered ones mark the backend down; connections expiring in syn_sent
 * do too (passive), and old expiries do not count once checks start. */
static void test_probes_and_passive(void **state)
{
	(void)state;
	struct sl_lb *lb = sl_lb_create(2, SOCKET_ID_ANY);
	struct sl_config *unchecked = config("rr", 2, -1, NULL);
	struct sl_config *cfg = config_checked("rr", 2, -1, NULL, "tcp");
	struct sl_lb_health_io io = {.send = fake_send, .change = fake_change, .tsc_hz = 1000000};
	const struct sl_lb_service *s = publish(lb, unchecked);
	uint16_t b0 = s->backends[0].slot;
	for (unsigned i = 0; i < 5; i++)
		sl_lb_syn_timeout(lb, i % 2, b0);      /* before checks: ignored later */
	sl_lb_health_tick(lb, &io, 1);
	s = publish(lb, cfg);
	sent = changes = 0;
	assert_int_equal(sl_lb_health_tick(lb, &io, 10), 0);
	assert_int_equal(sent, 2);                   /* one SYN per backend */
	struct sl_lb_backend_slot *slot = &lb->slots[b0];
	uint8_t sluice[4] = {10, 1, 0, 1};
	/* A bare ACK with the right number is not an answer. */
	assert_int_equal(sl_lb_health_input(lb, &io, 4, s->backends[0].addr, sluice, 80,
					    slot->probe_sport, slot->probe_seq + 1, 0x10, 20), -1);
	assert_int_not_equal(slot->probe_sent, 0);
	/* The SYN-ACK is: counted, and reset. */
	sent = 0;
	assert_int_equal(sl_lb_health_input(lb, &io, 4, s->backends[0].addr, sluice, 80,
					    slot->probe_sport, slot->probe_seq + 1, 0x12, 20), 0);
	assert_int_equal(sent, 1);
	assert_int_equal(slot->probe_sent, 0);
	assert_int_equal(slot->ok_run, 1);
	/* Three expiries in syn_sent, across workers and ticks: down. */
	sl_lb_syn_timeout(lb, 0, b0);
	sl_lb_health_tick(lb, &io, 30);
	sl_lb_syn_timeout(lb, 1, b0);
	sl_lb_syn_timeout(lb, 0, b0);
	assert_int_equal(changes, 0);
	assert_int_equal(sl_lb_health_tick(lb, &io, 40), 1);
	assert_int_equal(slot->health, SL_LB_DOWN);
	assert_string_equal(last_why, "passive");
	sl_config_free(unchecked);
	sl_config_free(cfg);
	sl_lb_free(lb);
}

/* A removed backend keeps its number while a connection holds it. */
static void test_slots(void **state)
{
	(void)state;
	struct sl_lb *lb = sl_lb_create(1, SOCKET_ID_ANY);
	struct sl_config *three = config("rr", 3, -1, NULL), *two = config("rr", 3, 2, NULL);
	const struct sl_lb_service *s = publish(lb, three);
	uint16_t gone = s->backends[2].slot;
	uint32_t src = 7;
	while (sl_lb_pick(lb, s, 0, (const uint8_t *)&src, 1)->slot != gone)
		;
	publish(lb, two);
	assert_true(lb->slots[gone].used);           /* a connection holds it */
	sl_lb_closed(lb, 0, gone);
	s = publish(lb, two);
	assert_true(lb->slots[gone].used);           /* closing, it still names it */
	sl_lb_released(lb, 0, gone);
	s = publish(lb, two);
	assert_false(lb->slots[gone].used);
	uint64_t opened, packets, bytes;
	sl_lb_backend_totals(lb, s->backends[0].slot, &opened, &packets, &bytes);
	assert_true(opened >= 1);
	sl_config_free(three);
	sl_config_free(two);
	sl_lb_free(lb);
}

int main(void)
{
	char *argv[] = {"test", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			"--no-telemetry", "--log-level=lib.*:error"};
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maglev_balance),
		cmocka_unit_test(test_maglev_weights),
		cmocka_unit_test(test_maglev_disruption),
		cmocka_unit_test(test_source_hash),
		cmocka_unit_test(test_round_robin),
		cmocka_unit_test(test_least_connections),
		cmocka_unit_test(test_health),
		cmocka_unit_test(test_slots),
		cmocka_unit_test(test_probes_and_passive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

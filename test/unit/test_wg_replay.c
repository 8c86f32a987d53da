/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The replay window: every case of Linux's counter self-test (the
 * reference for how a WireGuard window decides), then two threads racing
 * over the same counters, each counter to be accepted exactly once.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sl_wg.h"

static struct sl_wg_replay *window;

static int setup(void **state)
{
	(void)state;
	window = aligned_alloc(64, (sizeof(*window) + 63) / 64 * 64);
	return window == NULL;
}

static int teardown(void **state)
{
	(void)state;
	free(window);
	return 0;
}

#define T_INIT memset(window, 0, sizeof(*window))
#define T_LIM (SL_WG_REPLAY_WINDOW + 1)
#define REJECT SL_WG_REJECT_AFTER_MESSAGES
#define T(n, v) assert_int_equal(sl_wg_replay_check(window, (n)), (v))

static void test_linux_cases(void **state)
{
	(void)state;
	T_INIT;
	T(0, true);
	T(1, true);
	T(1, false);
	T(9, true);
	T(8, true);
	T(7, true);
	T(7, false);
	T(T_LIM, true);
	T(T_LIM - 1, true);
	T(T_LIM - 1, false);
	T(T_LIM - 2, true);
	T(2, true);
	T(2, false);
	T(T_LIM + 16, true);
	T(3, false);
	T(T_LIM + 16, false);
	T(T_LIM * 4, true);
	T(T_LIM * 4 - (T_LIM - 1), true);
	T(10, false);
	T(T_LIM * 4 - T_LIM, false);
	T(T_LIM * 4 - (T_LIM + 1), false);
	T(T_LIM * 4 - (T_LIM - 2), true);
	T(T_LIM * 4 + 1 - T_LIM, false);
	T(0, false);
	T(REJECT, false);
	T(REJECT - 1, true);
	T(REJECT, false);
	T(REJECT - 1, false);
	T(REJECT - 2, true);
	T(REJECT + 1, false);
	T(REJECT + 2, false);
	T(REJECT - 2, false);
	T(REJECT - 3, true);
	T(0, false);
}

static void test_linux_bulk_cases(void **state)
{
	(void)state;
	uint64_t i;
	T_INIT;
	for (i = 1; i <= SL_WG_REPLAY_WINDOW; ++i)
		T(i, true);
	T(0, true);
	T(0, false);

	T_INIT;
	for (i = 2; i <= SL_WG_REPLAY_WINDOW + 1; ++i)
		T(i, true);
	T(1, true);
	T(0, false);

	T_INIT;
	for (i = SL_WG_REPLAY_WINDOW + 1; i-- > 0;)
		T(i, true);

	T_INIT;
	for (i = SL_WG_REPLAY_WINDOW + 2; i-- > 1;)
		T(i, true);
	T(0, false);

	T_INIT;
	for (i = SL_WG_REPLAY_WINDOW + 1; i-- > 1;)
		T(i, true);
	T(SL_WG_REPLAY_WINDOW + 1, true);
	T(0, false);

	T_INIT;
	for (i = SL_WG_REPLAY_WINDOW + 1; i-- > 1;)
		T(i, true);
	T(0, true);
	T(SL_WG_REPLAY_WINDOW + 1, true);
}

/* Slots are reused every 128 blocks: a counter whose slot a newer block
 * took is refused however the window's top was read. */
static void test_slot_reuse(void **state)
{
	(void)state;
	T_INIT;
	T(100, true);
	T(100 + 64 * SL_WG_REPLAY_SLOTS, true);  /* same slot, 128 blocks on */
	T(100, false);
	T(101, false);                           /* the whole old block is gone */
	T(100 + 64 * SL_WG_REPLAY_SLOTS - 1, true);
}

#define RACE_COUNTERS 200000u
#define RACERS 2

struct racer {
	unsigned id;
	unsigned accepted;
	uint8_t *seen;   /* per counter: how many racers accepted it */
};

/* Both racers offer every counter, in slightly different orders (one
 * swaps neighbours), as two workers holding the same flow would. */
static void *race(void *arg)
{
	struct racer *r = arg;
	for (uint64_t i = 0; i < RACE_COUNTERS; i++) {
		uint64_t c = r->id == 0 ? i : (i ^ 1);
		if (sl_wg_replay_check(window, c)) {
			r->accepted++;
			__atomic_fetch_add(&r->seen[c], 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static void test_two_threads_accept_each_counter_once(void **state)
{
	(void)state;
	for (unsigned round = 0; round < 5; round++) {
		T_INIT;
		uint8_t *seen = calloc(RACE_COUNTERS, 1);
		assert_non_null(seen);
		struct racer r[RACERS];
		pthread_t t[RACERS];
		for (unsigned i = 0; i < RACERS; i++) {
			r[i] = (struct racer){.id = i, .seen = seen};
			assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
		}
		for (unsigned i = 0; i < RACERS; i++)
			pthread_join(t[i], NULL);
		unsigned total = 0;
		for (uint64_t c = 0; c < RACE_COUNTERS; c++) {
			assert_true(seen[c] <= 1);
			total += seen[c];
		}
		/* Every counter was offered within the window of the top, by
		 * the racer that is behind: each one gets through once. */
		assert_int_equal(r[0].accepted + r[1].accepted, total);
		assert_int_equal(total, RACE_COUNTERS);
		free(seen);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linux_cases),
		cmocka_unit_test(test_linux_bulk_cases),
		cmocka_unit_test(test_slot_reuse),
		cmocka_unit_test(test_two_threads_accept_each_counter_once),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The replay window, lock-free. Linux guards its window with a spinlock
 * and clears the blocks it advances over; here a slot names its block, so
 * nothing is ever cleared: a slot holding an older block is simply taken
 * over, one holding a newer block means the counter is too old. The
 * decision is the same as Linux's for any sequence of counters (the unit
 * test runs its self-test's cases).
 */
#include <rte_atomic.h>

#include "sl_wg.h"

_Static_assert(SL_WG_REPLAY_WINDOW + 64 <= SL_WG_REPLAY_SLOTS * 64,
	       "the window fits the slots with a block to spare");

static bool cas128(void *slot, rte_int128_t *expected, uint64_t block, uint64_t bits)
{
	rte_int128_t want = {.val = {block, bits}};
	return rte_atomic128_cmp_exchange(slot, expected, &want, 0, __ATOMIC_ACQ_REL,
					  __ATOMIC_ACQUIRE) != 0;
}

bool sl_wg_replay_check(struct sl_wg_replay *w, uint64_t counter)
{
	if (counter >= SL_WG_REJECT_AFTER_MESSAGES)
		return false;
	/* As Linux: bit n = counter + 1, so that top 0 means "none yet". */
	uint64_t n = counter + 1;
	uint64_t top = __atomic_load_n(&w->top, __ATOMIC_ACQUIRE);
	if (n + SL_WG_REPLAY_WINDOW < top)
		return false;
	uint64_t block = n / 64, bit = 1ull << (n % 64);
	void *slot = &w->slot[block % SL_WG_REPLAY_SLOTS];
	/* A plain read may tear; the compare-and-swap corrects it, and a
	 * refusal is only returned on a value the swap confirmed. */
	rte_int128_t seen = {.val = {w->slot[block % SL_WG_REPLAY_SLOTS].block,
				     w->slot[block % SL_WG_REPLAY_SLOTS].bits}};
	for (;;) {
		uint64_t s_block = seen.val[0], s_bits = seen.val[1];
		if (s_block > block || (s_block == block && (s_bits & bit))) {
			if (cas128(slot, &seen, s_block, s_bits))
				return false;
			continue;
		}
		uint64_t bits = s_block == block ? s_bits | bit : bit;
		if (cas128(slot, &seen, block, bits))
			break;
	}
	uint64_t t = __atomic_load_n(&w->top, __ATOMIC_RELAXED);
	while (n > t && !__atomic_compare_exchange_n(&w->top, &t, n, true, __ATOMIC_RELEASE,
						     __ATOMIC_RELAXED))
		;
	return true;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * When "auto" proxies: the SYN rate to each target, counted by each worker
 * in its own windows, and the moment until which the proxy stays on.
 */
#include <stdlib.h>
#include <string.h>

#include "sl_synproxy.h"

/* One worker's count for one target. Written by that worker only; the
 * closed window (prev, prev_start) is read by the others. */
struct window {
	uint64_t start;          /* TSC the open window began at */
	uint64_t prev_start;     /* the closed one's */
	uint32_t count;          /* SYNs in the open window */
	uint32_t prev;           /* SYNs in the closed one */
};

struct sl_synproxy {
	struct sl_syncookie_keys keys;
	uint64_t hz;
	unsigned n_workers;
	uint64_t on_until[SL_SYNPROXY_TARGETS];   /* TSC; any worker extends it */
	struct window *w;                         /* [worker][target] */
};

struct sl_synproxy *sl_synproxy_create(unsigned n_workers, uint64_t hz)
{
	if (n_workers == 0 || n_workers > SL_SYNPROXY_MAX_WORKERS || hz == 0)
		return NULL;
	struct sl_synproxy *sp = calloc(1, sizeof(*sp));
	if (sp == NULL)
		return NULL;
	sp->w = calloc((size_t)n_workers * SL_SYNPROXY_TARGETS, sizeof(*sp->w));
	if (sp->w == NULL || sl_syncookie_keys_init(&sp->keys) != 0) {
		sl_synproxy_free(sp);
		return NULL;
	}
	sp->hz = hz;
	sp->n_workers = n_workers;
	return sp;
}

void sl_synproxy_free(struct sl_synproxy *sp)
{
	if (sp == NULL)
		return;
	free(sp->w);
	memset(&sp->keys, 0, sizeof(sp->keys));
	free(sp);
}

const struct sl_syncookie_keys *sl_synproxy_keys(const struct sl_synproxy *sp)
{
	return &sp->keys;
}

uint64_t sl_synproxy_rate(const struct sl_synproxy *sp, unsigned target, uint64_t now)
{
	uint64_t sum = 0;
	if (target >= SL_SYNPROXY_TARGETS)
		return 0;
	for (unsigned i = 0; i < sp->n_workers; i++) {
		const struct window *w = &sp->w[(size_t)i * SL_SYNPROXY_TARGETS + target];
		uint64_t start = __atomic_load_n(&w->prev_start, __ATOMIC_RELAXED);
		/* A window closed more than a second ago says nothing of now. */
		if (start != 0 && now - start < 2 * sp->hz)
			sum += __atomic_load_n(&w->prev, __ATOMIC_RELAXED);
	}
	return sum;
}

static void turn_on(struct sl_synproxy *sp, unsigned target, uint64_t now)
{
	__atomic_store_n(&sp->on_until[target], now + SL_SYNPROXY_HOLD_S * sp->hz,
			 __ATOMIC_RELAXED);
}

bool sl_synproxy_syn(struct sl_synproxy *sp, unsigned worker, unsigned target, uint32_t above,
		     uint64_t now)
{
	if (target >= SL_SYNPROXY_TARGETS || worker >= sp->n_workers)
		return false;
	struct window *w = &sp->w[(size_t)worker * SL_SYNPROXY_TARGETS + target];
	if (now - w->start >= sp->hz) {
		/* Close the window: a gap of more than a second counts as none. */
		uint32_t closed = now - w->start < 2 * sp->hz ? w->count : 0;
		__atomic_store_n(&w->prev, closed, __ATOMIC_RELAXED);
		__atomic_store_n(&w->prev_start, w->start == 0 ? now : w->start, __ATOMIC_RELAXED);
		w->start = now;
		w->count = 0;
		if (sl_synproxy_rate(sp, target, now) >= above)
			turn_on(sp, target, now);
	}
	if (++w->count >= above && w->count - 1 < above)
		turn_on(sp, target, now);       /* this worker alone reached it */
	return sl_synproxy_active(sp, target, now);
}

bool sl_synproxy_active(const struct sl_synproxy *sp, unsigned target, uint64_t now)
{
	return target < SL_SYNPROXY_TARGETS &&
	       now < __atomic_load_n(&sp->on_until[target], __ATOMIC_RELAXED);
}

void sl_synproxy_forget(struct sl_synproxy *sp, unsigned target)
{
	if (target < SL_SYNPROXY_TARGETS)
		__atomic_store_n(&sp->on_until[target], 0, __ATOMIC_RELAXED);
}

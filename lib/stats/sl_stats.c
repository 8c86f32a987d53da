/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "sl_stats.h"

struct sl_lcore_stats sl_lcore_stats[RTE_MAX_LCORE];
uint64_t sl_latency_bound_cycles[SL_LATENCY_NBUCKETS - 1];

static const uint64_t bound_ns[] = {
#define SL_NS(x) x,
	SL_LATENCY_BUCKETS_NS(SL_NS)
#undef SL_NS
};

static const char *const drop_labels[] = {
#define SL_DROP_LABEL(sym, label, help) label,
	SL_DROP_REASONS(SL_DROP_LABEL)
#undef SL_DROP_LABEL
};

static const char *const drop_help[] = {
#define SL_DROP_HELP(sym, label, help) help,
	SL_DROP_REASONS(SL_DROP_HELP)
#undef SL_DROP_HELP
};

const char *sl_drop_reason_label(enum sl_drop_reason r)
{
	return (unsigned)r < SL_DROP_MAX ? drop_labels[r] : "unknown";
}

const char *sl_drop_reason_help(enum sl_drop_reason r)
{
	return (unsigned)r < SL_DROP_MAX ? drop_help[r] : "unknown";
}

void sl_stats_init(uint64_t tsc_hz)
{
	for (unsigned i = 0; i < SL_LATENCY_NBUCKETS - 1; i++)
		sl_latency_bound_cycles[i] = bound_ns[i] * tsc_hz / 1000000000ULL;
}

double sl_stats_latency_bound_seconds(unsigned bucket)
{
	if (bucket >= SL_LATENCY_NBUCKETS - 1)
		return 0; /* +Inf; the caller prints it by name */
	return (double)bound_ns[bucket] / 1e9;
}

void sl_stats_sum(struct sl_lcore_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned l = 0; l < RTE_MAX_LCORE; l++) {
		const uint64_t *src = (const uint64_t *)&sl_lcore_stats[l];
		uint64_t *dst = (uint64_t *)out;
		/* The struct is all uint64_t fields plus tail padding. */
		for (size_t i = 0; i < offsetof(struct sl_lcore_stats, latency_sum_cycles) / 8 + 1; i++)
			dst[i] += src[i];
	}
}

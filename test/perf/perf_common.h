/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the micro-benchmarks share: medians, and the cost of the pair of
 * serialising TSC reads that brackets a timed region (subtracted from it).
 */
#ifndef SL_PERF_COMMON_H
#define SL_PERF_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <rte_cycles.h>

static int perf_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The median of @p n values (sorts them). */
static inline uint64_t perf_median(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), perf_cmp_u64);
	return v[n / 2];
}

/* Cycles a back-to-back pair of rte_rdtsc_precise() takes: the median of 1000. */
static inline uint64_t perf_stamp_cost(void)
{
	uint64_t s[1000];
	for (unsigned i = 0; i < 1000; i++) {
		uint64_t a = rte_rdtsc_precise();
		s[i] = rte_rdtsc_precise() - a;
	}
	return perf_median(s, 1000);
}

#endif

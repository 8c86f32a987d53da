/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Structured logging: one JSON object per line on stderr.
 *
 * Every line carries time, level, component and message, plus optional
 * string fields. DPDK's own log stream is routed through here, so EAL and PMD
 * messages come out in the same format. Worker lcores must use SL_LOG_RL, which
 * drops lines past a per-call-site budget instead of stalling the data path.
 *
 * Threads: any. Each line is written with one write(2), so lines from
 * different threads never interleave.
 */
#ifndef SL_LOG_H
#define SL_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

enum sl_log_level {
	SL_LOG_ERR = 0,
	SL_LOG_WARN,
	SL_LOG_INFO,
	SL_LOG_DEBUG,
};

/** Route DPDK's log through sl_log. Call before rte_eal_init(). */
int sl_log_init(void);

/** Set the highest level written. Thread: any. */
void sl_log_set_level(enum sl_log_level level);
enum sl_log_level sl_log_get_level(void);

/** "err", "warn", "info", "debug" -> level; -EINVAL on anything else. */
int sl_log_level_parse(const char *name);
const char *sl_log_level_name(enum sl_log_level level);

/**
 * Write one line. @p kv is a NULL-terminated list of key, value string pairs
 * added as fields; may be NULL.
 */
void sl_log_kv(enum sl_log_level level, const char *component,
	       const char *const *kv, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

void sl_log_v(enum sl_log_level level, const char *component,
	      const char *const *kv, const char *fmt, va_list ap);

#define SL_LOG(level, component, ...) \
	sl_log_kv(SL_LOG_##level, component, NULL, __VA_ARGS__)

/** Rate limit state for one call site: at most @c burst lines per second. */
struct sl_log_ratelimit {
	uint64_t window_start_tsc;
	uint32_t printed;
	uint32_t suppressed;
};

/** True if the call site may print now; counts what it suppresses. */
bool sl_log_ratelimit_ok(struct sl_log_ratelimit *rl, uint32_t burst);

/**
 * Rate-limited log for worker lcores: at most 10 lines per second per call
 * site and lcore. The state is thread-local, so no lock is taken.
 */
#define SL_LOG_RL(level, component, ...)                                  \
	do {                                                                \
		static __thread struct sl_log_ratelimit sl_rl_;             \
		if (SL_LOG_##level <= sl_log_get_level() &&                 \
		    sl_log_ratelimit_ok(&sl_rl_, 10))                       \
			sl_log_kv(SL_LOG_##level, component, NULL, __VA_ARGS__); \
	} while (0)

#endif /* SL_LOG_H */

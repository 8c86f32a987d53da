/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Telling the service manager how sluice is: readiness, a one-line status,
 * reloads, shutdown, and the watchdog.
 *
 * The protocol is systemd's notify socket (sd_notify(3) from libsystemd).
 * Without NOTIFY_SOCKET in the environment every call is a cheap no-op, so
 * the same binary runs under systemd, in a container or from a shell.
 *
 * The watchdog is fed by the management lcore, so a stuck management loop
 * starves it by itself. Workers never talk to the service manager; instead
 * each worker's heartbeat (its polls counter, which advances on every loop
 * iteration whether or not packets arrived) is watched, and WATCHDOG=1 is
 * withheld while any worker's heartbeat has stood still for longer than the
 * stall limit. systemd then kills and restarts the process.
 *
 * Threads: the management lcore only.
 */
#ifndef SL_SUPERVISOR_H
#define SL_SUPERVISOR_H

#include <stdbool.h>
#include <stdint.h>

/** Workers one heartbeat watches at most. */
#define SL_HEARTBEAT_MAX 64

/**
 * The rule for "every worker's heartbeat advances": a worker is stalled when
 * its counter has not changed for @c stall_cycles or more. A counter that
 * changes in any way (also backwards) counts as advancing.
 */
struct sl_heartbeat {
	unsigned n;                                 /**< workers watched */
	uint64_t stall_cycles;                      /**< TSC cycles without a change */
	uint64_t last_value[SL_HEARTBEAT_MAX];      /**< counter as last seen */
	uint64_t last_change_tsc[SL_HEARTBEAT_MAX]; /**< when it last changed */
};

/**
 * Start watching @p n counters, taking @p values as seen at @p now (so a
 * worker gets the whole stall limit to make its first step).
 * @return 0, or -EINVAL when @p n is 0 or above SL_HEARTBEAT_MAX or
 *         @p stall_cycles is 0.
 */
int sl_heartbeat_init(struct sl_heartbeat *hb, unsigned n, uint64_t stall_cycles,
		      const uint64_t *values, uint64_t now);

/**
 * Record @p values (one per worker, in init order) seen at @p now.
 * @return the index of the worker stalled longest, or -1 when none is.
 */
int sl_heartbeat_check(struct sl_heartbeat *hb, const uint64_t *values, uint64_t now);

/** TSC cycles worker @p i has stood still as of @p now (0 if it just moved). */
uint64_t sl_heartbeat_still_cycles(const struct sl_heartbeat *hb, unsigned i, uint64_t now);

/**
 * Sends one notify message ("READY=1\nSTATUS=..."); returns what sd_notify
 * returns (>0 sent, 0 no socket, <0 -errno). Replaceable for tests.
 */
typedef int (*sl_notify_fn)(void *arg, const char *message);

struct sl_supervisor {
	sl_notify_fn notify;
	void *notify_arg;
	uint64_t tsc_hz;
	uint64_t watchdog_cycles;   /**< WATCHDOG_USEC in TSC cycles; 0 = no watchdog */
	uint64_t ping_cycles;       /**< feed interval: half the watchdog period */
	uint64_t next_ping_tsc;
	int stalled_worker;         /**< the last check's stalled worker, -1 when none */
	uint64_t pings_sent;        /**< WATCHDOG=1 messages sent */
	uint64_t pings_withheld;    /**< feed times skipped for a stalled worker */
	struct sl_heartbeat hb;
};

/**
 * Read the environment (NOTIFY_SOCKET, WATCHDOG_USEC/WATCHDOG_PID via
 * sd_watchdog_enabled) and prepare the watchdog for @p n_workers whose
 * counters are @p polls at @p now. @p notify NULL means sd_notify.
 * The stall limit is half the watchdog period, so systemd acts within 1.5
 * periods of a worker's last step.
 * @return 0, or -EINVAL (bad arguments).
 */
int sl_supervisor_init(struct sl_supervisor *s, uint64_t tsc_hz, unsigned n_workers,
		       const uint64_t *polls, uint64_t now, sl_notify_fn notify, void *arg);

/** True when a watchdog period was given (WatchdogSec= in the unit). */
bool sl_supervisor_watchdog_on(const struct sl_supervisor *s);

/**
 * True when sl_supervisor_tick() would look at the workers at @p now, so
 * the caller gathers their counters only then.
 */
static inline bool sl_supervisor_watchdog_due(const struct sl_supervisor *s, uint64_t now)
{
	return s->watchdog_cycles != 0 && now >= s->next_ping_tsc;
}

/** READY=1 with a STATUS= line. */
void sl_supervisor_ready(struct sl_supervisor *s, const char *status);
/** STATUS= line only. */
void sl_supervisor_status(struct sl_supervisor *s, const char *status);
/** RELOADING=1 (with MONOTONIC_USEC=, as systemd 253+ expects) and a STATUS= line. */
void sl_supervisor_reloading(struct sl_supervisor *s, const char *status);
/** STOPPING=1 with a STATUS= line. */
void sl_supervisor_stopping(struct sl_supervisor *s, const char *status);

/**
 * Feed the watchdog when it is due, from the management loop (call it at
 * least every few milliseconds). @p polls are the workers' counters now.
 * @return true when WATCHDOG=1 was sent by this call.
 */
bool sl_supervisor_tick(struct sl_supervisor *s, const uint64_t *polls, uint64_t now);

#endif /* SL_SUPERVISOR_H */

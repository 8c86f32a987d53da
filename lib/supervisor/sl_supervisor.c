/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Service-manager notifications and the worker-aware watchdog.
 *
 * Principles:
 * - The watchdog means "the whole appliance makes progress", not "the
 *   management thread is alive": it is fed only while every worker's
 *   heartbeat advances, so one worker spinning in a loop gets the process
 *   restarted instead of silently black-holing its queues.
 * - The rule is a pure function of (counters, time), so it is unit-tested
 *   with a synthetic clock; only sl_supervisor_init() reads the real
 *   environment.
 * - Feeding costs one comparison per management loop iteration; the
 *   heartbeat is looked at only when a feed is due (every half period).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "sl_log.h"
#include "sl_supervisor.h"

#define COMPONENT "supervisor"
#define MESSAGE_MAX 512

int sl_heartbeat_init(struct sl_heartbeat *hb, unsigned n, uint64_t stall_cycles,
		      const uint64_t *values, uint64_t now)
{
	if (hb == NULL || n == 0 || n > SL_HEARTBEAT_MAX || stall_cycles == 0 || values == NULL)
		return -EINVAL;
	hb->n = n;
	hb->stall_cycles = stall_cycles;
	for (unsigned i = 0; i < n; i++) {
		hb->last_value[i] = values[i];
		hb->last_change_tsc[i] = now;
	}
	return 0;
}

int sl_heartbeat_check(struct sl_heartbeat *hb, const uint64_t *values, uint64_t now)
{
	int worst = -1;
	uint64_t worst_still = 0;

	for (unsigned i = 0; i < hb->n; i++) {
		if (values[i] != hb->last_value[i]) {
			hb->last_value[i] = values[i];
			hb->last_change_tsc[i] = now;
			continue;
		}
		uint64_t still = sl_heartbeat_still_cycles(hb, i, now);
		if (still >= hb->stall_cycles && (worst < 0 || still > worst_still)) {
			worst = (int)i;
			worst_still = still;
		}
	}
	return worst;
}

uint64_t sl_heartbeat_still_cycles(const struct sl_heartbeat *hb, unsigned i, uint64_t now)
{
	/* A clock that went backwards (a synthetic one) means no time passed. */
	return now > hb->last_change_tsc[i] ? now - hb->last_change_tsc[i] : 0;
}

static int notify_systemd(void *arg, const char *message)
{
	(void)arg;
	return sd_notify(0, message);
}

static void notify_send(struct sl_supervisor *s, const char *message)
{
	if (s->notify == NULL)      /* before sl_supervisor_init(): nobody to tell */
		return;
	int rc = s->notify(s->notify_arg, message);
	if (rc < 0)
		SL_LOG_RL(WARN, COMPONENT, "cannot notify the service manager: %s", strerror(-rc));
}

int sl_supervisor_init(struct sl_supervisor *s, uint64_t tsc_hz, unsigned n_workers,
		       const uint64_t *polls, uint64_t now, sl_notify_fn notify, void *arg)
{
	uint64_t usec = 0;

	if (s == NULL || tsc_hz == 0)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->notify = notify ? notify : notify_systemd;
	s->notify_arg = arg;
	s->tsc_hz = tsc_hz;
	s->stalled_worker = -1;
	/* > 0: set and meant for us (WATCHDOG_PID, when present, is our pid). */
	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	s->watchdog_cycles = (uint64_t)((double)usec * (double)tsc_hz / 1e6);
	s->ping_cycles = s->watchdog_cycles / 2;
	if (s->ping_cycles == 0)
		s->ping_cycles = 1;
	s->next_ping_tsc = now;
	int rc = sl_heartbeat_init(&s->hb, n_workers, s->ping_cycles, polls, now);
	if (rc < 0)
		return rc;
	SL_LOG(INFO, COMPONENT, "watchdog on: every %" PRIu64 " ms while all %u workers poll",
	       usec / 2000, n_workers);
	return 0;
}

bool sl_supervisor_watchdog_on(const struct sl_supervisor *s)
{
	return s->watchdog_cycles != 0;
}

static void send_with_status(struct sl_supervisor *s, const char *state, const char *status)
{
	char msg[MESSAGE_MAX];
	snprintf(msg, sizeof(msg), "%s%sSTATUS=%s", state ? state : "", state ? "\n" : "",
		 status ? status : "");
	notify_send(s, msg);
}

void sl_supervisor_ready(struct sl_supervisor *s, const char *status)
{
	send_with_status(s, "READY=1", status);
}

void sl_supervisor_status(struct sl_supervisor *s, const char *status)
{
	send_with_status(s, NULL, status);
}

void sl_supervisor_reloading(struct sl_supervisor *s, const char *status)
{
	struct timespec ts;
	char state[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
		 (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
	send_with_status(s, state, status);
}

void sl_supervisor_stopping(struct sl_supervisor *s, const char *status)
{
	send_with_status(s, "STOPPING=1", status);
}

/* Say in the log and the status line when a worker stops or starts again. */
static void report_change(struct sl_supervisor *s, int stalled, uint64_t now)
{
	char status[128];

	if (stalled == s->stalled_worker)
		return;
	if (stalled >= 0) {
		double still = (double)sl_heartbeat_still_cycles(&s->hb, (unsigned)stalled, now) /
			       (double)s->tsc_hz;
		snprintf(status, sizeof(status), "worker %d stalled for %.1f s: watchdog withheld",
			 stalled, still);
		SL_LOG(ERR, COMPONENT, "%s", status);
		sl_supervisor_status(s, status);
	} else {
		SL_LOG(WARN, COMPONENT, "every worker polls again: feeding the watchdog");
		sl_supervisor_status(s, "running");
	}
	s->stalled_worker = stalled;
}

bool sl_supervisor_tick(struct sl_supervisor *s, const uint64_t *polls, uint64_t now)
{
	if (!sl_supervisor_watchdog_due(s, now))
		return false;
	s->next_ping_tsc = now + s->ping_cycles;
	int stalled = sl_heartbeat_check(&s->hb, polls, now);
	report_change(s, stalled, now);
	if (stalled >= 0) {
		s->pings_withheld++;
		return false;
	}
	notify_send(s, "WATCHDOG=1");
	s->pings_sent++;
	return true;
}

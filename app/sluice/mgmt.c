/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The management loop on the EAL main lcore.
 *
 *   serve HTTP (waits at most 1 ms) -> drain the punt ring (ARP, ND,
 *   packets waiting for a neighbor) -> every 100 ms: neighbor timers and
 *   busy-ratio samples -> feed the systemd watchdog when due (only while
 *   every worker polls) -> a SIGHUP: re-read the config file
 *
 * Everything that mutates configuration or the neighbor table runs here,
 * on this one thread, so none of it needs a lock.
 */
#include <inttypes.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "sl_log.h"
#include "sluice.h"

#define PUNT_BURST 64
#define PUNT_MAX_PER_LOOP 1024
#define TIMER_PERIOD_MS 100

void sl_mgmt_tx(void *arg, uint16_t port, struct rte_mbuf *m)
{
	struct sl_app *app = arg;
	struct sl_lcore_stats *st = &sl_lcore_stats[rte_lcore_id()];
	const struct sl_port *p = &app->ports[port];
	uint32_t len = rte_pktmbuf_pkt_len(m);
	if (rte_eth_tx_burst(p->port_id, p->mgmt_txq, &m, 1) == 1) {
		st->port[port].tx_packets++;
		st->port[port].tx_bytes += len;
	} else {
		st->port[port].tx_dropped++;
		sl_stats_drop(st, m, SL_DROP_TX_FULL);
	}
}

static void drain_punts(struct sl_app *app, uint64_t now)
{
	void *burst[PUNT_BURST];
	const struct sl_dp *dp = app->dp;
	unsigned total = 0, n;
	do {
		n = rte_ring_sc_dequeue_burst(app->punt, burst, PUNT_BURST, NULL);
		for (unsigned i = 0; i < n; i++)
			sl_ipstack_ctl_input(&app->ctl, dp->ip, burst[i], now);
		total += n;
	} while (n == PUNT_BURST && total < PUNT_MAX_PER_LOOP);
}

/* Busy ratio per worker over the last sample period; readiness of workers. */
void sl_mgmt_sample(struct sl_app *app, uint64_t now)
{
	bool all_polling = app->n_workers > 0;
	for (unsigned i = 0; i < app->n_workers; i++) {
		struct sl_worker *w = &app->workers[i];
		const struct sl_lcore_stats *st = &sl_lcore_stats[w->lcore_id];
		uint64_t polls = st->polls, busy = st->busy_cycles, total = st->total_cycles;
		if (polls == w->seen_polls)
			all_polling = false;
		if (total > w->seen_total)
			w->busy_ratio = (double)(busy - w->seen_busy) / (double)(total - w->seen_total);
		w->seen_polls = polls;
		w->seen_busy = busy;
		w->seen_total = total;
	}
	app->workers_polling = all_polling;
	app->last_sample_tsc = now;
}

void sl_mgmt_worker_polls(const struct sl_app *app, uint64_t *out)
{
	for (unsigned i = 0; i < app->n_workers; i++)
		out[i] = __atomic_load_n(&sl_lcore_stats[app->workers[i].lcore_id].polls,
					 __ATOMIC_RELAXED);
}

unsigned sl_app_ports_up(const struct sl_app *app)
{
	unsigned up = 0;
	for (uint16_t i = 0; i < app->n_ports; i++) {
		struct sl_port_link link;
		sl_port_link_get(&app->ports[i], &link);
		up += link.up && app->ports[i].started;
	}
	return up;
}

void sl_app_status_line(const struct sl_app *app, char *out, size_t len)
{
	snprintf(out, len, "running: %u workers, %u of %u ports up, config generation %" PRIu64,
		 app->n_workers, sl_app_ports_up(app), app->n_ports, app->generation);
}

bool sl_app_ready(const struct sl_app *app, json_t **checks)
{
	bool ports_up = sl_app_ports_up(app) == app->n_ports;
	bool applied = app->dp != NULL && app->generation > 0;
	if (checks != NULL)
		*checks = json_pack("{s:b, s:b, s:b}", "ports_up", ports_up,
				    "workers_polling", app->workers_polling, "config_applied", applied);
	return ports_up && app->workers_polling && applied;
}

void sl_mgmt_loop(struct sl_app *app)
{
	uint64_t period = app->tsc_hz * TIMER_PERIOD_MS / 1000;
	uint64_t next_timer = rte_rdtsc() + period;
	uint64_t next_sample = rte_rdtsc() + app->tsc_hz;
	uint64_t polls[SL_MAX_WORKERS];

	while (!__atomic_load_n(&app->quit, __ATOMIC_RELAXED)) {
		sl_mgmt_server_poll(app->http, 1);
		uint64_t now = rte_rdtsc();
		if (sl_supervisor_watchdog_due(&app->sup, now)) {
			sl_mgmt_worker_polls(app, polls);
			sl_supervisor_tick(&app->sup, polls, now);
		}
		if (__atomic_exchange_n(&app->reload, 0, __ATOMIC_RELAXED))
			sl_app_reload_file(app);
		drain_punts(app, now);
		sl_app_wg_poll(app, now);
		sl_app_health_tick(app, now);
		if (now >= next_timer) {
			sl_ipstack_ctl_timers(&app->ctl, app->dp->ip, now);
			if (app->rl != NULL) {
				sl_rl_sweep(app->rl, app->qsv, now);
				sl_app_blocks_store_pending(app, false);
			}
			next_timer = now + period;
		}
		if (now >= next_sample) {
			sl_mgmt_sample(app, now);
			next_sample = now + app->tsc_hz;
		}
	}
}

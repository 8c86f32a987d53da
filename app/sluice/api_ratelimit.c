/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * REST and metrics: per-source rate limiting.
 *
 *   GET /api/v1/sources/top?by=drops|packets&limit=N
 *       the N (default 20, at most 1000) sources with the most drops (or
 *       packets) in the source table, one pass over it, with how many
 *       sources it holds; 404 without a ratelimit section
 */
#include <string.h>

#include <rte_cycles.h>

#include "sluice.h"

#define TOP_DEFAULT 20
#define TOP_MAX 1000

void sl_api_sources_top(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp,
			void *arg)
{
	struct sl_app *app = arg;
	unsigned long limit;
	if (app->rl == NULL) {
		sl_mgmt_respond_problem(resp, 404, "Rate limiting is off", NULL,
					"the configuration has no \"ratelimit\" section");
		return;
	}
	const char *by = sl_mgmt_request_query(req, "by");
	if (by != NULL && strcmp(by, "drops") != 0 && strcmp(by, "packets") != 0) {
		sl_mgmt_respond_problem(resp, 400, "Bad query", "by",
					"by: \"%.32s\" is neither drops nor packets", by);
		return;
	}
	if (!sl_api_query_number(req, resp, "limit", TOP_MAX, TOP_DEFAULT, &limit))
		return;
	struct sl_lcore_stats sum;
	sl_stats_sum(&sum);
	json_t *list = sl_rl_top_json(app->rl, app->cfg, &app->dp->rl, (unsigned)limit,
				      by == NULL || strcmp(by, "drops") == 0, rte_rdtsc(), app->tsc_hz);
	sl_mgmt_respond_json(resp, 200, json_pack("{s:s, s:I, s:I, s:I, s:o}",
		"by", by != NULL ? by : "drops", "tracked", (json_int_t)app->rl->in_use,
		"limit", (json_int_t)sl_rl_capacity(app->rl),
		"overflow_packets", (json_int_t)sum.rl_overflow, "sources", list));
}

void sl_metrics_render_ratelimit(struct sl_app *app, struct sl_buf *b,
				 const struct sl_lcore_stats *sum)
{
	if (app->rl == NULL)
		return;
	sl_metrics_family(b, "sluice_ratelimit_sources", SL_METRIC_GAUGE,
			  "Sources in the source table (as its last sweep counted them).");
	sl_metrics_sample_u64(b, "sluice_ratelimit_sources", NULL, NULL, app->rl->in_use);
	sl_metrics_family(b, "sluice_ratelimit_sources_limit", SL_METRIC_GAUGE,
			  "Sources the source table holds at most.");
	sl_metrics_sample_u64(b, "sluice_ratelimit_sources_limit", NULL, NULL,
			      sl_rl_capacity(app->rl));
	sl_metrics_family(b, "sluice_ratelimit_overflow_packets_total", SL_METRIC_COUNTER,
			  "Packets whose source found no room in the source table and shared "
			  "the limits of its /16 (IPv4) or /32 (IPv6).");
	sl_metrics_sample_u64(b, "sluice_ratelimit_overflow_packets_total", NULL, NULL,
			      sum->rl_overflow);
}

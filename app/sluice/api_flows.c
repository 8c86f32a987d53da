/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * REST: the connection table.
 *
 *   GET    /api/v1/flows?proto=&state=&address=&port=&cursor=&limit=
 *          connections matching, a page at a time: "next" is the cursor of
 *          the next page (absent at the end); one request looks at no more
 *          than 65536 entries, so a page may hold fewer than "limit".
 *   DELETE /api/v1/flows?proto=&state=&address=&port=
 *          marks the matching connections; their owners remove them within
 *          about a second (their expiry scan). Without any filter, every one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_cycles.h>

#include "sluice.h"

#define PAGE_DEFAULT 100
#define PAGE_MAX 1000
#define SCAN_MAX 65536

/* The flow table, or NULL with a 404 answered (connection tracking is off). */
static struct sl_flow_table *table(struct sl_app *app, struct sl_mgmt_response *resp)
{
	if (app->flows == NULL)
		sl_mgmt_respond_problem(resp, 404, "Connection tracking is off", NULL,
					"the configuration has no \"flow\" section");
	return app->flows;
}

static bool filter(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp,
		   struct sl_flow_filter *f)
{
	char err[160];
	if (sl_flow_filter_parse(f, sl_mgmt_request_query(req, "proto"),
				 sl_mgmt_request_query(req, "state"),
				 sl_mgmt_request_query(req, "address"),
				 sl_mgmt_request_query(req, "port"), err, sizeof(err)) == 0)
		return true;
	sl_mgmt_respond_invalid(resp, 400, "Bad filter", err);
	return false;
}

void sl_api_flows_get(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	struct sl_app *app = arg;
	struct sl_flow_table *t = table(app, resp);
	struct sl_flow_filter f;
	unsigned long cursor, limit;
	if (t == NULL || !filter(req, resp, &f) ||
	    !sl_api_query_number(req, resp, "cursor", t->capacity, 0, &cursor) ||
	    !sl_api_query_number(req, resp, "limit", PAGE_MAX, PAGE_DEFAULT, &limit))
		return;
	uint32_t next;
	uint32_t now = sl_flow_ticks(rte_rdtsc(), app->tsc_hz);
	json_t *list = sl_flow_list_json(t, &f, (uint32_t)cursor, (unsigned)limit, SCAN_MAX, now,
					 &next);
	uint64_t total = 0;
	for (unsigned i = 0; i < app->n_workers; i++)
		total += sl_flow_used(t, i);
	json_t *j = json_pack("{s:o, s:I, s:I}", "flows", list, "connections", (json_int_t)total,
			      "limit", (json_int_t)t->capacity);
	if (j != NULL && next != SL_FLOW_NONE)
		json_object_set_new(j, "next", json_integer(next));
	sl_mgmt_respond_json(resp, 200, j);
}

void sl_api_flows_delete(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp,
			 void *arg)
{
	struct sl_app *app = arg;
	struct sl_flow_table *t = table(app, resp);
	struct sl_flow_filter f;
	if (t == NULL || !filter(req, resp, &f))
		return;
	uint32_t n = sl_flow_kill(t, &f);
	sl_mgmt_respond_json(resp, 202, json_pack("{s:I}", "marked", (json_int_t)n));
}

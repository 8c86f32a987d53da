/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * REST handlers. They run on the management lcore (libmicrohttpd in
 * external-select mode), so they may read and change sl_app directly.
 * Every change goes through sl_app_apply(): validated, compiled, persisted,
 * published, or rejected with nothing changed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_version.h>

#include "sl_build_config.h"
#include "sl_log.h"
#include "sluice.h"

#define ERR_LEN 512

void sl_api_respond_apply_error(struct sl_mgmt_response *resp, enum sl_apply_result r,
				const char *err)
{
	switch (r) {
	case SL_APPLY_RESTART:
		sl_mgmt_respond_invalid(resp, 409, "Change needs a restart", err);
		break;
	case SL_APPLY_IO:
		sl_mgmt_respond_problem(resp, 500, "Cannot save the configuration", NULL, "%s", err);
		break;
	default:
		sl_mgmt_respond_invalid(resp, 422, "Invalid configuration", err);
		break;
	}
}

bool sl_api_query_number(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp,
			 const char *name, unsigned long max, unsigned long def, unsigned long *out)
{
	const char *s = sl_mgmt_request_query(req, name);
	char *end;
	*out = def;
	if (s == NULL)
		return true;
	unsigned long v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || *s == '-' || v > max) {
		sl_mgmt_respond_problem(resp, 400, "Bad query", name, "%s: \"%.32s\" is not a number "
					"0..%lu", name, s, max);
		return false;
	}
	*out = v;
	return true;
}

bool sl_api_apply_section(struct sl_app *app, struct sl_mgmt_response *resp, const char *key,
			  json_t *value, const char *title)
{
	char err[512] = "";
	json_t *doc = sl_config_to_json(app->cfg);
	if (doc == NULL || json_object_set_new(doc, key, value) != 0) {
		json_decref(doc);
		sl_mgmt_respond_problem(resp, 500, "Out of memory", NULL, "cannot build the configuration");
		return false;
	}
	struct sl_config *next = sl_config_parse(doc, err, sizeof(err));
	json_decref(doc);
	if (next == NULL) {
		app->applies_rejected++;
		sl_mgmt_respond_invalid(resp, 422, title, err);
		return false;
	}
	enum sl_apply_result r = sl_app_apply(app, next, false, NULL, err, sizeof(err));
	if (r != SL_APPLY_OK) {
		sl_api_respond_apply_error(resp, r, err);
		return false;
	}
	return true;
}

/* A copy of the running config to edit, or NULL with a 500 answered. */
static struct sl_config *running_copy(struct sl_app *app, struct sl_mgmt_response *resp)
{
	struct sl_config *next = sl_config_dup(app->cfg);
	if (next == NULL)
		sl_mgmt_respond_problem(resp, 500, "Out of memory", NULL, "cannot copy the configuration");
	return next;
}

/* Apply an edited copy (taken); false with the error answered if refused. */
static bool apply_edit(struct sl_app *app, struct sl_config *next, struct sl_mgmt_response *resp)
{
	char err[ERR_LEN] = "";
	enum sl_apply_result res = sl_app_apply(app, next, false, NULL, err, sizeof(err));
	if (res != SL_APPLY_OK)
		sl_api_respond_apply_error(resp, res, err);
	return res == SL_APPLY_OK;
}

json_t *sl_api_body_json(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp)
{
	json_error_t jerr;
	json_t *doc = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		sl_mgmt_respond_problem(resp, 400, "Body is not valid JSON", "body",
					"body: %s at line %d column %d", jerr.text, jerr.line, jerr.column);
	return doc;
}

static void h_healthz(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	(void)req;
	(void)arg;
	sl_mgmt_respond_json(resp, 200, json_pack("{s:s}", "status", "ok"));
}

static void h_readyz(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	json_t *checks;
	(void)req;
	bool ready = sl_app_ready(arg, &checks);
	sl_mgmt_respond_json(resp, ready ? 200 : 503,
			     json_pack("{s:b, s:o}", "ready", ready, "checks", checks));
}

static void h_metrics(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	(void)req;
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	sl_metrics_render(arg, &resp->body);
}

static json_t *lcores_json(struct sl_app *app)
{
	json_t *arr = json_array();
	json_array_append_new(arr, json_pack("{s:i, s:s, s:f}", "id", (int)rte_get_main_lcore(),
					     "role", "management", "busy_ratio", 0.0));
	for (unsigned i = 0; i < app->n_workers; i++) {
		const struct sl_worker *w = &app->workers[i];
		json_t *q = json_array();
		for (uint16_t k = 0; k < w->n_rxq; k++)
			json_array_append_new(q, json_pack("{s:s, s:i}", "port",
				app->ports[w->rxq[k].port].name, "queue", (int)w->rxq[k].queue));
		json_array_append_new(arr, json_pack("{s:i, s:s, s:f, s:I, s:o}", "id", (int)w->lcore_id,
			"role", "worker", "busy_ratio", w->busy_ratio,
			"rx_packets", (json_int_t)sl_worker_rx_packets(app, w),
			"rx_queues", q));
	}
	return arr;
}

static void h_status(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	struct sl_app *app = arg;
	json_t *ports = json_array();
	(void)req;
	for (uint16_t i = 0; i < app->n_ports; i++) {
		struct sl_port_link link;
		sl_port_link_get(&app->ports[i], &link);
		json_array_append_new(ports, json_pack("{s:s, s:b, s:i}", "name", app->ports[i].name,
			"link_up", link.up, "speed_mbps", (int)link.speed_mbps));
	}
	double uptime = (double)(rte_rdtsc() - app->start_tsc) / (double)app->tsc_hz;
	sl_mgmt_respond_json(resp, 200, json_pack("{s:s, s:f, s:I, s:o, s:o}",
		"version", SLUICE_VERSION, "uptime_seconds", uptime,
		"config_generation", (json_int_t)app->generation,
		"lcores", lcores_json(app), "ports", ports));
}

static void h_config_get(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	struct sl_app *app = arg;
	(void)req;
	sl_mgmt_respond_json(resp, 200, sl_config_to_json(app->cfg));
	snprintf(resp->etag, sizeof(resp->etag), "\"%" PRIu64 "\"", app->generation);
}

static bool is_true(const char *v)
{
	return v != NULL && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || v[0] == '\0');
}

static void h_config_put(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	struct sl_app *app = arg;
	char err[ERR_LEN] = "", etag[64];
	const char *if_match = sl_mgmt_request_header(req, "If-Match");
	bool dry_run = is_true(sl_mgmt_request_query(req, "dry_run"));
	json_t *changes = NULL;

	snprintf(etag, sizeof(etag), "\"%" PRIu64 "\"", app->generation);
	if (if_match != NULL && strcmp(if_match, "*") != 0 && strcmp(if_match, etag) != 0) {
		sl_mgmt_respond_problem(resp, 412, "Configuration changed meanwhile", "If-Match",
					"If-Match: %s does not match the running generation %s", if_match, etag);
		return;
	}
	json_t *doc = sl_api_body_json(req, resp);
	if (doc == NULL)
		return;
	struct sl_config *next = sl_config_parse(doc, err, sizeof(err));
	json_decref(doc);
	if (next == NULL) {
		app->applies_rejected++;
		sl_mgmt_respond_invalid(resp, 422, "Invalid configuration", err);
		return;
	}
	enum sl_apply_result r = sl_app_apply(app, next, dry_run, &changes, err, sizeof(err));
	if (r != SL_APPLY_OK) {
		sl_api_respond_apply_error(resp, r, err);
		return;
	}
	if (dry_run)
		sl_mgmt_respond_json(resp, 200, json_pack("{s:b, s:I, s:o}", "dry_run", 1,
			"generation", (json_int_t)app->generation, "changes", changes));
	else
		sl_mgmt_respond_json(resp, 200, json_pack("{s:I, s:o}", "generation",
			(json_int_t)app->generation, "changes", changes));
	snprintf(resp->etag, sizeof(resp->etag), "\"%" PRIu64 "\"", app->generation);
}

static void h_routes_get(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	struct sl_app *app = arg;
	(void)req;
	sl_mgmt_respond_json(resp, 200, json_pack("{s:o}", "routes",
		sl_ipstack_routes_json(app->cfg)));
}

static void h_routes_post(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	struct sl_app *app = arg;
	struct sl_config_route r;
	char err[ERR_LEN] = "";
	json_t *doc = sl_api_body_json(req, resp);
	if (doc == NULL)
		return;
	int rc = sl_config_route_parse(app->cfg, doc, &r, err, sizeof(err));
	json_decref(doc);
	if (rc < 0) {
		sl_mgmt_respond_invalid(resp, 422, "Invalid route", err);
		return;
	}
	struct sl_config *next = running_copy(app, resp);
	if (next == NULL)
		return;
	rc = sl_config_route_add(next, &r);
	if (rc < 0) {
		char txt[64];
		sl_format_prefix(&r.prefix, txt, sizeof(txt));
		sl_config_free(next);
		if (rc == -EEXIST)
			sl_mgmt_respond_problem(resp, 409, "Route exists", "route.prefix",
						"route.prefix: %s already has a route", txt);
		else
			sl_mgmt_respond_problem(resp, 422, "Too many routes", "routes",
						"routes: at most %u", SL_CONFIG_MAX_ROUTES);
		return;
	}
	if (!apply_edit(app, next, resp))
		return;
	sl_mgmt_respond_json(resp, 201, json_pack("{s:o, s:I}", "route",
		sl_config_route_to_json(app->cfg, &r), "generation", (json_int_t)app->generation));
}

static void h_routes_delete(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	struct sl_app *app = arg;
	struct sl_prefix p;
	char txt[64];
	if (sl_parse_prefix(req->path_rest, &p) < 0) {
		sl_mgmt_respond_problem(resp, 400, "Bad prefix", "prefix",
					"prefix: \"%s\" is not an IPv4 or IPv6 prefix", req->path_rest);
		return;
	}
	int idx = sl_config_route_find(app->cfg, &p);
	sl_format_prefix(&p, txt, sizeof(txt));
	if (idx < 0) {
		sl_mgmt_respond_problem(resp, 404, "No such route", "prefix",
					"prefix: no static route for %s", txt);
		return;
	}
	struct sl_config *next = running_copy(app, resp);
	if (next == NULL)
		return;
	sl_config_route_del(next, (unsigned)idx);
	if (!apply_edit(app, next, resp))
		return;
	sl_mgmt_respond_json(resp, 200, json_pack("{s:s, s:I}", "deleted", txt,
		"generation", (json_int_t)app->generation));
}

static void h_neighbors(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	struct sl_app *app = arg;
	const char *names[SL_MAX_PORTS];
	(void)req;
	for (uint16_t i = 0; i < app->n_ports; i++)
		names[i] = app->ports[i].name;
	sl_mgmt_respond_json(resp, 200, json_pack("{s:o}", "neighbors",
		sl_neigh_table_json(app->neigh, names, rte_rdtsc())));
}

static json_t *addrs_json(const struct sl_prefix *list, unsigned n, const uint8_t *ll)
{
	json_t *arr = json_array();
	char txt[64];
	for (unsigned i = 0; i < n; i++) {
		sl_format_prefix(&list[i], txt, sizeof(txt));
		json_array_append_new(arr, json_string(txt));
	}
	if (ll != NULL) {
		struct sl_prefix p = {.addr = {.af = SL_AF_INET6}, .len = 64};
		memcpy(p.addr.v6, ll, 16);
		sl_format_prefix(&p, txt, sizeof(txt));
		json_array_append_new(arr, json_string(txt));
	}
	return arr;
}

static json_t *port_json(struct sl_app *app, uint16_t i, bool detail)
{
	const struct sl_port *p = &app->ports[i];
	const struct sl_ipstack_port *ip = &app->dp->ip->ports[i];
	struct sl_lcore_stats sum;
	struct sl_port_link link;
	struct sl_port_hw_stats hw;
	char mac[RTE_ETHER_ADDR_FMT_SIZE], hf[32];

	sl_stats_sum(&sum);
	sl_port_link_get(p, &link);
	sl_port_hw_stats_get(p, &hw);
	snprintf(mac, sizeof(mac), SL_MAC_FMT, RTE_ETHER_ADDR_BYTES(&p->mac));
	snprintf(hf, sizeof(hf), "0x%" PRIx64, p->rss_hf);
	const struct sl_port_counters *c = &sum.port[i];
	json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:i, s:i, s:i,"
			      " s:{s:s, s:b, s:b}, s:{s:b, s:i, s:b}, s:o, s:o,"
			      " s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}}",
		"name", p->name, "device", p->device, "driver", p->driver, "port_id", (int)p->port_id,
		"mac", mac, "mtu", (int)p->mtu, "rx_queues", (int)p->n_rxq, "tx_queues", (int)p->n_txq,
		"rss", "hash_types", hf, "symmetric", p->rss_symmetric, "nat_steering",
		app->steer[i] != NULL,
		"link", "up", link.up, "speed_mbps", (int)link.speed_mbps, "full_duplex", link.full_duplex,
		"ipv4", addrs_json(ip->ipv4, ip->n_ipv4, NULL),
		"ipv6", addrs_json(ip->ipv6, ip->n_ipv6, ip->ipv6_ll),
		"stats", "rx_packets", (json_int_t)c->rx_packets, "rx_bytes", (json_int_t)c->rx_bytes,
		"tx_packets", (json_int_t)c->tx_packets, "tx_bytes", (json_int_t)c->tx_bytes,
		"tx_dropped", (json_int_t)c->tx_dropped, "rx_missed", (json_int_t)hw.rx_missed,
		"rx_errors", (json_int_t)hw.rx_errors, "tx_errors", (json_int_t)hw.tx_errors);
	if (detail) {
		json_t *x = sl_port_xstats_json(p);
		json_object_set_new(o, "xstats", x ? x : json_object());
	}
	return o;
}

static void h_ports(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	struct sl_app *app = arg;
	json_t *arr = json_array();
	(void)req;
	for (uint16_t i = 0; i < app->n_ports; i++)
		json_array_append_new(arr, port_json(app, i, false));
	sl_mgmt_respond_json(resp, 200, json_pack("{s:o}", "ports", arr));
}

static void h_port(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	struct sl_app *app = arg;
	for (uint16_t i = 0; i < app->n_ports; i++) {
		if (strcmp(app->ports[i].name, req->path_rest) == 0) {
			sl_mgmt_respond_json(resp, 200, port_json(app, i, true));
			return;
		}
	}
	sl_mgmt_respond_problem(resp, 404, "No such port", "name", "name: no port named \"%s\"",
				req->path_rest);
}

const struct sl_mgmt_route sl_api_routes[] = {
	{SL_HTTP_GET, "/healthz", h_healthz, 0},
	{SL_HTTP_GET, "/readyz", h_readyz, 0},
	{SL_HTTP_GET, "/metrics", h_metrics, 0},
	{SL_HTTP_GET, "/api/v1/status", h_status, SL_MGMT_AUTH},
	{SL_HTTP_GET, "/api/v1/config", h_config_get, SL_MGMT_AUTH},
	{SL_HTTP_PUT, "/api/v1/config", h_config_put, SL_MGMT_AUTH},
	{SL_HTTP_GET, "/api/v1/routes", h_routes_get, SL_MGMT_AUTH},
	{SL_HTTP_POST, "/api/v1/routes", h_routes_post, SL_MGMT_AUTH},
	{SL_HTTP_DELETE, "/api/v1/routes/*", h_routes_delete, SL_MGMT_AUTH},
	{SL_HTTP_GET, "/api/v1/neighbors", h_neighbors, SL_MGMT_AUTH},
	{SL_HTTP_GET, "/api/v1/ports", h_ports, SL_MGMT_AUTH},
	{SL_HTTP_GET, "/api/v1/ports/*", h_port, SL_MGMT_AUTH},
	{SL_HTTP_GET, "/api/v1/flows", sl_api_flows_get, SL_MGMT_AUTH},
	{SL_HTTP_DELETE, "/api/v1/flows", sl_api_flows_delete, SL_MGMT_AUTH},
	{SL_HTTP_GET, "/api/v1/services", sl_api_services_get, SL_MGMT_AUTH},
	{SL_HTTP_GET, "/api/v1/services/*", sl_api_service_get, SL_MGMT_AUTH},
	{SL_HTTP_PUT, "/api/v1/services/*", sl_api_service_put, SL_MGMT_AUTH},
	{SL_HTTP_DELETE, "/api/v1/services/*", sl_api_service_delete, SL_MGMT_AUTH},
	{SL_HTTP_GET, "/api/v1/acl", sl_api_acl_get, SL_MGMT_AUTH},
	{SL_HTTP_PUT, "/api/v1/acl", sl_api_acl_put, SL_MGMT_AUTH},
	{SL_HTTP_GET, "/api/v1/sources/top", sl_api_sources_top, SL_MGMT_AUTH},
	{SL_HTTP_GET, "/api/v1/syn-proxy", sl_api_synproxy_get, SL_MGMT_AUTH},
	{SL_HTTP_GET, "/api/v1/qos", sl_api_qos_get, SL_MGMT_AUTH},
	{SL_HTTP_GET, "/api/v1/blocks", sl_api_blocks_get, SL_MGMT_AUTH},
	{SL_HTTP_POST, "/api/v1/blocks", sl_api_blocks_post, SL_MGMT_AUTH},
	{SL_HTTP_DELETE, "/api/v1/blocks/*", sl_api_blocks_delete, SL_MGMT_AUTH},
	{SL_HTTP_GET, "/api/v1/sets", sl_api_sets_list, SL_MGMT_AUTH},
	{SL_HTTP_GET, "/api/v1/sets/*", sl_api_sets_get, SL_MGMT_AUTH},
	{SL_HTTP_POST | SL_HTTP_PUT, "/api/v1/sets/*", sl_api_sets_change,
	 SL_MGMT_AUTH | SL_MGMT_BULK},
	{SL_HTTP_GET, "/api/v1/wireguard/interfaces", sl_api_wg_list, SL_MGMT_AUTH},
	{SL_HTTP_GET, "/api/v1/wireguard/interfaces/*", sl_api_wg_get, SL_MGMT_AUTH},
	{SL_HTTP_POST, "/api/v1/wireguard/interfaces/*", sl_api_wg_post, SL_MGMT_AUTH},
	{SL_HTTP_DELETE, "/api/v1/wireguard/interfaces/*", sl_api_wg_delete, SL_MGMT_AUTH},
};
const unsigned sl_api_n_routes = RTE_DIM(sl_api_routes);

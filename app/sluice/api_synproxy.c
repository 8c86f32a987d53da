/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * REST and metrics: the SYN proxy.
 *
 *   GET /api/v1/syn-proxy
 *       every service and port forward with "syn_proxy": its mode, its
 *       threshold ("auto"), whether it is answering SYNs now, and the SYN
 *       rate "auto" measured; with the cookies sent, validated and
 *       rejected since start (all targets together)
 *
 * A target is named as in the metrics' "target" label: a service by its
 * name, a port forward as "dnat:<in_port>:<proto>/<port>" (bounded: the
 * configuration's rules).
 */
#include <stdio.h>

#include <rte_cycles.h>

#include "sluice.h"

struct proxy_target {
	char name[48];
	const struct sl_config_syn_proxy *sp;
	unsigned target;          /* for sl_synproxy_active()/rate() */
};

/* Call @p fn for each proxied target of the running configuration. */
static void for_each_target(const struct sl_app *app,
			    void (*fn)(const struct sl_app *app, const struct proxy_target *t,
				       void *arg), void *arg)
{
	const struct sl_config *cfg = app->cfg;
	const struct sl_lb_view *v = app->lb != NULL ? sl_lb_view_get(app->lb) : NULL;
	for (unsigned i = 0; v != NULL && i < v->n_services; i++) {
		const struct sl_lb_service *s = &v->services[i];
		int c = sl_config_service_find(cfg, s->name);
		if (s->syn_proxy == SL_SYN_PROXY_OFF || c < 0)
			continue;
		struct proxy_target t = {.sp = &cfg->services[c].syn_proxy, .target = s->slot};
		snprintf(t.name, sizeof(t.name), "%s", s->name);
		fn(app, &t, arg);
	}
	for (unsigned i = 0; i < cfg->n_dnat; i++) {
		const struct sl_config_dnat *r = &cfg->dnat[i];
		if (r->syn_proxy.mode == SL_SYN_PROXY_OFF)
			continue;
		struct proxy_target t = {.sp = &r->syn_proxy, .target = SL_SYNPROXY_DNAT_BASE + i};
		snprintf(t.name, sizeof(t.name), "dnat:%s:tcp/%u", cfg->ports[r->in_port].name,
			 r->port);
		fn(app, &t, arg);
	}
}

static bool target_active(const struct sl_app *app, const struct proxy_target *t, uint64_t now)
{
	return t->sp->mode == SL_SYN_PROXY_ALWAYS ||
	       (app->synproxy != NULL && sl_synproxy_active(app->synproxy, t->target, now));
}

static uint64_t target_rate(const struct sl_app *app, const struct proxy_target *t, uint64_t now)
{
	return t->sp->mode == SL_SYN_PROXY_AUTO && app->synproxy != NULL ?
	       sl_synproxy_rate(app->synproxy, t->target, now) : 0;
}

static void target_json(const struct sl_app *app, const struct proxy_target *t, void *arg)
{
	uint64_t now = rte_rdtsc();
	json_t *o = json_pack("{s:s, s:s, s:b}", "target", t->name,
			      "mode", t->sp->mode == SL_SYN_PROXY_ALWAYS ? "always" : "auto",
			      "active", target_active(app, t, now));
	if (o != NULL && t->sp->mode == SL_SYN_PROXY_AUTO) {
		json_object_set_new(o, "above", json_integer(t->sp->above));
		json_object_set_new(o, "syn_rate", json_integer((json_int_t)target_rate(app, t, now)));
	}
	json_array_append_new(arg, o);
}

void sl_api_synproxy_get(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp,
			 void *arg)
{
	struct sl_app *app = arg;
	(void)req;
	if (app->flows == NULL) {
		sl_mgmt_respond_problem(resp, 404, "Connection tracking is off", NULL,
					"the configuration has no \"flow\" section");
		return;
	}
	struct sl_lcore_stats sum;
	sl_stats_sum(&sum);
	json_t *list = json_array();
	for_each_target(app, target_json, list);
	sl_mgmt_respond_json(resp, 200, json_pack("{s:{s:I, s:I, s:I}, s:I, s:o}",
		"cookies", "sent", (json_int_t)sum.syn_proxy_sent,
		"validated", (json_int_t)sum.syn_proxy_valid,
		"invalid", (json_int_t)sum.drops[SL_DROP_SYN_PROXY_INVALID],
		"waited_too_long", (json_int_t)sum.drops[SL_DROP_SYN_PROXY_WAIT],
		"targets", list));
}

static void target_metrics(const struct sl_app *app, const struct proxy_target *t, void *arg)
{
	struct sl_buf *b = arg;
	uint64_t now = rte_rdtsc();
	const char *labels[] = {"target", t->name, NULL};
	sl_metrics_sample_u64(b, "sluice_syn_proxy_active", NULL, labels, target_active(app, t, now));
}

static void target_rate_metrics(const struct sl_app *app, const struct proxy_target *t, void *arg)
{
	if (t->sp->mode != SL_SYN_PROXY_AUTO)
		return;
	const char *labels[] = {"target", t->name, NULL};
	sl_metrics_sample_u64(arg, "sluice_syn_proxy_syn_rate", NULL, labels,
			      target_rate(app, t, rte_rdtsc()));
}

static bool same_proxy(const struct sl_config_syn_proxy *a, const struct sl_config_syn_proxy *b)
{
	return a->mode == b->mode && a->above == b->above;
}

void sl_app_synproxy_changed(struct sl_app *app, const struct sl_config *old,
			     const struct sl_config *next)
{
	if (app->synproxy == NULL)
		return;
	/* A port forward is its rule's index: a different rule there starts afresh. */
	for (unsigned i = 0; i < SL_CONFIG_MAX_DNAT; i++) {
		const struct sl_config_dnat *a = i < old->n_dnat ? &old->dnat[i] : NULL;
		const struct sl_config_dnat *b = i < next->n_dnat ? &next->dnat[i] : NULL;
		if (a == NULL && b == NULL)
			break;
		if (a == NULL || b == NULL || a->in_port != b->in_port || a->proto != b->proto ||
		    a->port != b->port || !same_proxy(&a->syn_proxy, &b->syn_proxy))
			sl_synproxy_forget(app->synproxy, SL_SYNPROXY_DNAT_BASE + i);
	}
	/* A service keeps its slot while it keeps its name. */
	const struct sl_lb_view *v = app->lb != NULL ? sl_lb_view_get(app->lb) : NULL;
	for (unsigned i = 0; v != NULL && i < v->n_services; i++) {
		int o = sl_config_service_find(old, v->services[i].name);
		int n = sl_config_service_find(next, v->services[i].name);
		if (n >= 0 && (o < 0 || !same_proxy(&old->services[o].syn_proxy,
						     &next->services[n].syn_proxy)))
			sl_synproxy_forget(app->synproxy, v->services[i].slot);
	}
}

void sl_metrics_render_synproxy(struct sl_app *app, struct sl_buf *b,
				const struct sl_lcore_stats *sum)
{
	if (app->flows == NULL)
		return;
	sl_metrics_family(b, "sluice_syn_proxy_cookies_total", SL_METRIC_COUNTER,
			  "SYN cookies: sent (SYNs answered), validated (a client's ACK proved "
			  "one: its connection opened), invalid (an ACK with no connection and no "
			  "valid cookie, dropped).");
	const char *sent[] = {"result", "sent", NULL}, *valid[] = {"result", "validated", NULL},
		   *invalid[] = {"result", "invalid", NULL};
	sl_metrics_sample_u64(b, "sluice_syn_proxy_cookies_total", NULL, sent, sum->syn_proxy_sent);
	sl_metrics_sample_u64(b, "sluice_syn_proxy_cookies_total", NULL, valid,
			      sum->syn_proxy_valid);
	sl_metrics_sample_u64(b, "sluice_syn_proxy_cookies_total", NULL, invalid,
			      sum->drops[SL_DROP_SYN_PROXY_INVALID]);
	sl_metrics_family(b, "sluice_syn_proxy_active", SL_METRIC_GAUGE,
			  "1 while the SYN proxy answers a service's or port forward's SYNs "
			  "(always, or auto above its threshold).");
	for_each_target(app, target_metrics, b);
	sl_metrics_family(b, "sluice_syn_proxy_syn_rate", SL_METRIC_GAUGE,
			  "SYNs per second to an \"auto\" target, as the workers' last complete "
			  "second counted them.");
	for_each_target(app, target_rate_metrics, b);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QoS's trees in the data-plane snapshots, its REST view and its metrics.
 * The worker side is lib/qos (sl_qos_stage, sl_qos_service): one scheduler
 * owner per shaped port, the port's index modulo the workers
 * (doc/architecture.md, "QoS across workers").
 *
 *   GET /api/v1/qos     the ports' trees with each class's counters
 */
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>

#include "sl_log.h"
#include "sluice.h"

static unsigned next_tree_id = 1;

int sl_app_qos_build(struct sl_app *app, struct sl_dp *dp, char *err, size_t err_len)
{
	const struct sl_config *cfg = dp->cfg;
	for (unsigned i = 0; i < cfg->qos.n_ports; i++) {
		unsigned port = (unsigned)cfg->qos.ports[i].port;
		struct sl_qos_port *p = sl_qos_port_build(cfg, i, dp->sets, sl_app_qos_owner(app, port),
							  app->tsc_hz, app->socket, err, err_len);
		if (p == NULL)
			return -1;
		p->tree_id = next_tree_id++;
		dp->qos[port] = p;
		dp->qos_on = true;
	}
	return 0;
}

void sl_app_qos_carry(struct sl_dp *next, struct sl_dp *old)
{
	for (unsigned port = 0; port < SL_MAX_PORTS; port++) {
		struct sl_qos_port *n = next->qos[port], *o = old != NULL ? old->qos[port] : NULL;
		if (n == NULL || o == NULL || !o->owns_sched || !sl_qos_port_same_tree(n, o))
			continue;
		/* The same tree: the scheduler goes on, its queues and counters with it. */
		sl_qos_sched_free(n->sched);
		n->sched = o->sched;
		n->tree_id = o->tree_id;
		n->perturb = o->perturb;   /* each flow stays in its queue */
		o->owns_sched = false;
	}
}

void sl_app_qos_release(struct sl_app *app, struct sl_dp *old)
{
	for (unsigned port = 0; port < SL_MAX_PORTS; port++) {
		struct sl_qos_port *o = old->qos[port];
		if (o == NULL || !o->owns_sched)
			continue;
		/* Its owner may have queued into it in an iteration that began
		 * before the new snapshot and reported quiescence after it: it
		 * moves those packets on its next iteration. Wait for that. */
		struct sl_worker *w = &app->workers[o->owner];
		uint64_t deadline = rte_get_tsc_cycles() + app->tsc_hz;
		while (sl_qos_worker_holds(&w->qos, port, o) && rte_get_tsc_cycles() < deadline)
			rte_delay_us_sleep(20);
		if (sl_qos_worker_holds(&w->qos, port, o)) {
			SL_LOG(ERR, "qos", "port %u: its scheduler owner did not let go of the old "
			       "tree within a second; it is kept (not freed)", port);
			old->qos[port] = NULL;
		}
	}
}

void sl_app_qos_free(struct sl_dp *dp)
{
	for (unsigned port = 0; port < SL_MAX_PORTS; port++)
		sl_qos_port_free(dp->qos[port]);
}

/* ----------------------------------------------------------- REST, metrics */

/* The sojourn below which a share @p q of the class's packets left, in us. */
static double sojourn_quantile(const struct sl_qos_class_stats *st, double q)
{
	uint64_t total = 0, seen = 0;
	for (unsigned b = 0; b < RTE_DIM(st->sojourn); b++)
		total += st->sojourn[b];
	if (total == 0)
		return 0;
	for (unsigned b = 0; b < RTE_DIM(st->sojourn); b++) {
		seen += st->sojourn[b];
		if ((double)seen >= q * (double)total)
			return b == 0 ? 1 : (double)(1ull << b);
	}
	return (double)(1ull << (RTE_DIM(st->sojourn) - 1));
}

static json_t *class_json(const struct sl_qos_port *p, uint16_t k)
{
	const struct sl_qos_class_conf *c = &p->conf.classes[k];
	const struct sl_qos_class_stats *st = sl_qos_stats(p->sched, k);
	json_t *drops = json_object();
	for (unsigned r = 0; r < SL_QOS_DROP_REASONS; r++)
		json_object_set_new(drops, sl_qos_drop_name(r),
				    json_integer((json_int_t)sl_qos_class_drops(p->sched, k, r)));
	bool leaf = sl_qos_conf_is_leaf(&p->conf, k);
	json_t *o = json_pack("{s:s, s:I, s:I, s:i, s:b, s:I, s:I, s:o, s:I, s:I, s:I, s:i, s:i, "
			      "s:f, s:f}",
		"name", p->names[k], "rate_bps", (json_int_t)c->rate, "ceil_bps", (json_int_t)c->ceil,
		"prio", c->prio, "leaf", leaf && k != 0,
		"packets", (json_int_t)st->packets, "bytes", (json_int_t)st->bytes, "drops", drops,
		"ecn_marks", (json_int_t)st->ecn_marks, "overlimits", (json_int_t)st->overlimits,
		"borrowed", (json_int_t)st->borrowed, "backlog_packets", st->backlog_packets,
		"backlog_bytes", st->backlog_bytes,
		"sojourn_p50_us", sojourn_quantile(st, 0.5), "sojourn_p99_us", sojourn_quantile(st, 0.99));
	if (o != NULL && k != 0)
		json_object_set_new(o, "parent", json_string(p->names[c->parent]));
	return o;
}

void sl_api_qos_get(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	struct sl_app *app = arg;
	const struct sl_dp *dp = app->dp;
	(void)req;
	json_t *ports = json_array();
	for (unsigned port = 0; port < SL_MAX_PORTS; port++) {
		const struct sl_qos_port *p = dp->qos[port];
		if (p == NULL)
			continue;
		json_t *classes = json_array();
		for (uint16_t k = 0; k < p->conf.n_classes; k++)
			json_array_append_new(classes, class_json(p, k));
		json_array_append_new(ports, json_pack("{s:s, s:I, s:i, s:i, s:s, s:o}",
			"port", app->cfg->ports[port].name, "rate_bps", (json_int_t)p->conf.classes[0].rate,
			"overhead", p->conf.overhead, "owner", p->owner,
			"default", p->names[p->rule_leaf[0]], "classes", classes));
	}
	sl_mgmt_respond_json(resp, 200, json_pack("{s:o}", "ports", ports));
}

void sl_metrics_render_qos(struct sl_app *app, struct sl_buf *b)
{
	const struct sl_dp *dp = app->dp;
	if (!dp->qos_on)
		return;
	static const struct {
		const char *name, *help;
		bool counter;
	} fam[] = {
		{"sluice_qos_class_packets_total", "Packets a QoS class sent.", true},
		{"sluice_qos_class_bytes_total", "Bytes (frames, without the wire overhead) a QoS "
		 "class sent.", true},
		{"sluice_qos_class_ecn_marks_total", "Packets CoDel marked CE instead of dropping.", true},
		{"sluice_qos_class_overlimits_total", "Times a class with packets could not send: "
		 "over its ceiling, or over its rate with nothing to borrow.", true},
		{"sluice_qos_class_borrowed_total", "Packets a class sent on its parent's tokens.", true},
		{"sluice_qos_class_backlog_packets", "Packets queued in a class.", false},
		{"sluice_qos_class_backlog_bytes", "Bytes queued in a class.", false},
	};
	for (unsigned f = 0; f < RTE_DIM(fam); f++) {
		sl_metrics_family(b, fam[f].name, fam[f].counter ? SL_METRIC_COUNTER : SL_METRIC_GAUGE,
				  fam[f].help);
		for (unsigned port = 0; port < SL_MAX_PORTS; port++) {
			const struct sl_qos_port *p = dp->qos[port];
			for (uint16_t k = 1; p != NULL && k < p->conf.n_classes; k++) {
				const struct sl_qos_class_stats *st = sl_qos_stats(p->sched, k);
				const uint64_t v[] = {st->packets, st->bytes, st->ecn_marks,
						      st->overlimits, st->borrowed,
						      st->backlog_packets, st->backlog_bytes};
				const char *labels[] = {"port", app->cfg->ports[port].name, "class",
							p->names[k], NULL};
				sl_metrics_sample_u64(b, fam[f].name, NULL, labels, v[f]);
			}
		}
	}
	sl_metrics_family(b, "sluice_qos_class_drops_total", SL_METRIC_COUNTER,
			  "Packets a QoS class dropped: overlimit (its packet limit), memory (its "
			  "memory limit), codel (sojourn above target), flow_full (no room in the "
			  "ring from another worker to the port's scheduler; also counted as the drop "
			  "reason qos_handoff_full).");
	for (unsigned port = 0; port < SL_MAX_PORTS; port++) {
		const struct sl_qos_port *p = dp->qos[port];
		for (uint16_t k = 1; p != NULL && k < p->conf.n_classes; k++) {
			for (unsigned r = 0; r < SL_QOS_DROP_REASONS; r++) {
				const char *labels[] = {"port", app->cfg->ports[port].name, "class",
							p->names[k], "reason", sl_qos_drop_name(r), NULL};
				sl_metrics_sample_u64(b, "sluice_qos_class_drops_total", NULL, labels,
						      sl_qos_class_drops(p->sched, k, r));
			}
		}
	}
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * REST: the ACL.
 *
 *   GET /api/v1/acl?offset=&limit=   the default action, how long the rules
 *                                    took to compile, and rules offset ..
 *                                    offset + limit - 1 (default all, up to
 *                                    65536) with their packet and byte counts
 *   PUT /api/v1/acl                  replace the whole section (the body: the
 *                                    config's "acl"); validated with the
 *                                    whole document and applied live
 *
 * The rules are part of the configuration document, so a PUT is persisted
 * and published like PUT /api/v1/config; counts follow each rule across
 * the change (by name, or by content for unnamed rules).
 */
#include "sluice.h"

void sl_api_acl_get(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	struct sl_app *app = arg;
	unsigned long offset, limit;
	if (!sl_api_query_number(req, resp, "offset", SL_CONFIG_MAX_ACL_RULES, 0, &offset) ||
	    !sl_api_query_number(req, resp, "limit", SL_CONFIG_MAX_ACL_RULES,
				 SL_CONFIG_MAX_ACL_RULES, &limit))
		return;
	const struct sl_dp *dp = app->dp;
	sl_mgmt_respond_json(resp, 200, sl_acl_json(dp->acl, dp->cfg, (uint32_t)offset,
						    (uint32_t)limit));
}

void sl_api_acl_put(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	struct sl_app *app = arg;
	json_t *acl = sl_api_body_json(req, resp);
	if (acl == NULL || !sl_api_apply_section(app, resp, "acl", acl, "Invalid ACL"))
		return;
	const struct sl_dp *dp = app->dp;
	json_t *j = sl_acl_json(dp->acl, dp->cfg, 0, 0);
	if (j != NULL) {
		json_object_del(j, "rules");
		json_object_set_new(j, "generation", json_integer((json_int_t)app->generation));
	}
	sl_mgmt_respond_json(resp, 200, j);
}

/*
 * /metrics: per rule that has a name (names come from the config, so the
 * labels stay bounded), and "(default)" for packets no rule matched.
 */
void sl_metrics_render_acl(struct sl_app *app, struct sl_buf *b)
{
	const struct sl_dp *dp = app->dp;
	const struct sl_acl *acl = dp->acl;
	if (acl == NULL)
		return;
	sl_metrics_family(b, "sluice_acl_rules", SL_METRIC_GAUGE, "ACL rules in effect.");
	sl_metrics_sample_u64(b, "sluice_acl_rules", NULL, NULL, acl->n_rules);
	sl_metrics_family(b, "sluice_acl_compile_seconds", SL_METRIC_GAUGE,
			  "How long the rules in effect took to compile.");
	sl_metrics_sample(b, "sluice_acl_compile_seconds", NULL, NULL,
			      (double)acl->compile_us / 1e6);
	static const char *const fam[2] = {"sluice_acl_rule_packets_total",
					   "sluice_acl_rule_bytes_total"};
	static const char *const help[2] = {
		"Packets an ACL rule decided (rule names as configured; (default) for the rest).",
		"Bytes (Ethernet frames) an ACL rule decided."};
	for (unsigned f = 0; f < 2; f++) {
		sl_metrics_family(b, fam[f], SL_METRIC_COUNTER, help[f]);
		for (uint32_t i = 0; i <= acl->n_rules; i++) {
			if (i > 0 && acl->rules[i - 1].name[0] == '\0')
				continue;
			struct sl_acl_counter t = sl_acl_rule_total(acl, i);
			const char *labels[] = {"rule", i == 0 ? "(default)" : acl->rules[i - 1].name,
						NULL};
			sl_metrics_sample_u64(b, fam[f], NULL, labels, f == 0 ? t.packets : t.bytes);
		}
	}
}

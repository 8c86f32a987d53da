/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "flow" section: connection tracking's table size and timeouts.
 *
 *   "flow": {
 *     "max_connections": 262144,        connections the table holds (restart)
 *     "max_connections_ipv6": 65536,    of which IPv6 at most (restart)
 *     "tcp_pickup": false,              track TCP connections seen mid-stream
 *     "tcp_mss_clamp": true,            clamp SYNs' MSS to what the egress MTU carries
 *     "timeouts": {"tcp_established": "5d", "udp": "30s", ...}
 *   }
 *
 * The section's presence turns connection tracking on; every port then
 * has a zone ("inside" by default, "outside": only replies and related
 * traffic come in). Timeouts follow nf_conntrack's defaults.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config_priv.h"

#define S_US 1000000ULL

const char *const sl_config_flow_timeout_names[SL_FLOW_TIMEOUTS] = {
	"tcp_syn_sent", "tcp_syn_recv", "tcp_established", "tcp_fin_wait",
	"tcp_close_wait", "tcp_last_ack", "tcp_time_wait", "tcp_close",
	"udp", "udp_assured", "icmp", "other",
};

static const uint64_t timeout_default_s[SL_FLOW_TIMEOUTS] = {
	120, 60, 5 * 24 * 3600, 120, 60, 30, 120, 10, 30, 120, 30, 600,
};

void cfg_flow_defaults(struct sl_config_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->max_connections = 262144;
	f->max_connections_ipv6 = 65536;
	f->max_fragmented = 4096;
	f->tcp_mss_clamp = true;
	for (unsigned i = 0; i < SL_FLOW_TIMEOUTS; i++)
		f->timeout_us[i] = timeout_default_s[i] * S_US;
}

static int flow_timeouts(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_flow *f = obj;
	char sub[PATH_LEN];
	const char *key;
	json_t *t;

	if (!json_is_object(v))
		return cfg_fail(c, path, "expected an object");
	json_object_foreach((json_t *)v, key, t) {
		unsigned i = 0;
		while (i < SL_FLOW_TIMEOUTS && strcmp(sl_config_flow_timeout_names[i], key) != 0)
			i++;
		cfg_join(sub, path, key);
		if (i == SL_FLOW_TIMEOUTS)
			return cfg_fail(c, sub, "unknown key");
		/* From a second to a year, in whole seconds: the table's clock
		 * ticks 16 times a second and a year fits it many times over. */
		if (cfg_get_units(c, sub, t, &cfg_duration_kind, S_US, 365 * 24 * 3600 * S_US,
				  &f->timeout_us[i]) != 0)
			return -EINVAL;
		if (f->timeout_us[i] % S_US != 0)
			return cfg_fail(c, sub, "%s is not a whole number of seconds",
					Q(json_string_value(t)));
	}
	return 0;
}

static int flow_pickup(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return cfg_get_bool(c, path, v, &((struct sl_config_flow *)obj)->tcp_pickup);
}

static int flow_mss_clamp(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return cfg_get_bool(c, path, v, &((struct sl_config_flow *)obj)->tcp_mss_clamp);
}

static const struct field flow_fields[] = {
	F_NUM("max_connections", K_INT, struct sl_config_flow, max_connections, 1024, 1 << 26),
	F_NUM("max_connections_ipv6", K_INT, struct sl_config_flow, max_connections_ipv6, 0,
	      1 << 26),
	F_NUM("max_fragmented", K_INT, struct sl_config_flow, max_fragmented, 256, 1 << 20),
	F_FN("tcp_pickup", flow_pickup),
	F_FN("tcp_mss_clamp", flow_mss_clamp),
	F_FN("timeouts", flow_timeouts),
};

int cfg_parse_flow(struct pctx *c, const json_t *v)
{
	struct sl_config_flow *f = &c->cfg->flow;

	if (cfg_walk(c, "flow", v, flow_fields, ARRAY_LEN(flow_fields), f) != 0)
		return -EINVAL;
	/* The IPv6 share follows a smaller table down unless it was given. */
	if (json_object_get(v, "max_connections_ipv6") == NULL &&
	    f->max_connections_ipv6 > f->max_connections)
		f->max_connections_ipv6 = f->max_connections;
	if (f->max_connections_ipv6 > f->max_connections)
		return cfg_fail(c, "flow.max_connections_ipv6", "%u is above flow.max_connections (%u)",
				f->max_connections_ipv6, f->max_connections);
	f->enabled = true;
	return 0;
}

json_t *cfg_flow_json(const struct sl_config_flow *f)
{
	json_t *o = json_object(), *t = json_object();
	char buf[32];
	int rc = 0;

	if (o == NULL || t == NULL) {
		json_decref(o);
		json_decref(t);
		return NULL;
	}
	cfg_put(o, "max_connections", json_integer(f->max_connections), &rc);
	cfg_put(o, "max_connections_ipv6", json_integer(f->max_connections_ipv6), &rc);
	cfg_put(o, "max_fragmented", json_integer(f->max_fragmented), &rc);
	cfg_put(o, "tcp_pickup", json_boolean(f->tcp_pickup), &rc);
	cfg_put(o, "tcp_mss_clamp", json_boolean(f->tcp_mss_clamp), &rc);
	for (unsigned i = 0; i < SL_FLOW_TIMEOUTS; i++) {
		sl_format_duration_us(f->timeout_us[i], buf, sizeof(buf));
		cfg_put(t, sl_config_flow_timeout_names[i], json_string(buf), &rc);
	}
	cfg_put(o, "timeouts", t, &rc);
	return cfg_finish(o, rc);
}

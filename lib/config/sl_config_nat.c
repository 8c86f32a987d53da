/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "nat" section: source NAT rules (and, later, destination NAT).
 *
 *   "nat": {
 *     "snat": [
 *       {"out_port": "wan", "source": "10.1.0.0/16", "to": "masquerade",
 *        "ports": "1024-65535"}
 *     ]
 *   }
 *
 * A rule applies to a new connection leaving by out_port from an address in
 * source (any address of its family when absent); the first that matches
 * wins. "to" is "masquerade" (the port's first address of the connection's
 * family) or one of the port's own addresses. Rules need connection
 * tracking (a flow section): NAT lives in the connection table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

static int snat_port(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_snat *r = obj;
	const char *s;
	if (cfg_get_str(c, path, v, SL_CONFIG_NAME_MAX + 1, &s) != 0)
		return -EINVAL;
	r->out_port = cfg_port_index(c->cfg, s);
	if (r->out_port < 0)
		return cfg_fail(c, path, "%s is not a port", Q(s));
	return 0;
}

static int snat_source(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_snat *r = obj;
	const char *s;
	if (cfg_get_str(c, path, v, SIZE_MAX, &s) != 0 ||
	    cfg_get_prefix(c, path, s, 0, "prefix", 0, true, &r->source) != 0)
		return -EINVAL;
	struct sl_prefix masked = r->source;
	sl_prefix_mask(&masked);
	if (!cfg_addr_eq(&masked.addr, &r->source.addr))
		return cfg_fail(c, path, "%s has host bits set", Q(s));
	r->has_source = true;
	return 0;
}

static int snat_to(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_snat *r = obj;
	const char *s;
	if (cfg_get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	if (strcmp(s, "masquerade") == 0) {
		r->masquerade = true;
		return 0;
	}
	if (sl_parse_addr(s, &r->to) != 0)
		return cfg_fail(c, path, "%s is neither \"masquerade\" nor an address", Q(s));
	r->masquerade = false;
	return 0;
}

static int snat_ports(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_snat *r = obj;
	const char *s;
	char *end;
	if (cfg_get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	unsigned long lo = strtoul(s, &end, 10), hi;
	if (end == s || *end != '-' || (hi = strtoul(end + 1, &end, 10), *end != '\0') ||
	    lo < 1 || hi > 65535)
		return cfg_fail(c, path, "%s is not a port range like \"1024-65535\"", Q(s));
	if (lo > hi)
		return cfg_fail(c, path, "%s is inverted (the first port is above the last)", Q(s));
	if (hi - lo + 1 < 64)
		return cfg_fail(c, path, "%s holds fewer than 64 ports", Q(s));
	r->port_lo = (uint16_t)lo;
	r->port_hi = (uint16_t)hi;
	return 0;
}

static const struct field snat_fields[] = {
	F_FN("out_port", snat_port),
	F_FN("source", snat_source),
	F_FN("to", snat_to),
	F_FN("ports", snat_ports),
};

/* Checks that need the whole rule: required keys, "to" one of the port's addresses. */
static int snat_finish(struct pctx *c, const char *path, const json_t *j,
		       const struct sl_config_snat *r)
{
	char sub[PATH_LEN];
	if (cfg_required(c, path, j, "out_port") != 0 || cfg_required(c, path, j, "to") != 0)
		return -EINVAL;
	if (r->masquerade)
		return 0;
	const struct sl_config_port *p = &c->cfg->ports[r->out_port];
	const struct sl_prefix *list = r->to.af == SL_AF_INET ? p->ipv4 : p->ipv6;
	unsigned n = r->to.af == SL_AF_INET ? p->n_ipv4 : p->n_ipv6;
	for (unsigned i = 0; i < n; i++)
		if (cfg_addr_eq(&list[i].addr, &r->to))
			return 0;
	cfg_join(sub, path, "to");
	return cfg_fail(c, sub, "%s is not an address of port %s (use \"masquerade\", or add it "
			"to the port)", Q(json_string_value(json_object_get(j, "to"))), p->name);
}

int cfg_parse_nat(struct pctx *c, const json_t *v)
{
	static const char *const keys[] = {"snat"};
	char path[PATH_LEN];
	const char *key;
	json_t *list, *e;
	size_t i;

	if (!json_is_object(v))
		return cfg_fail(c, "nat", "expected an object");
	json_object_foreach((json_t *)v, key, list) {
		if (strcmp(key, keys[0]) != 0) {
			cfg_join(path, "nat", key);
			return cfg_fail(c, path, "unknown key");
		}
	}
	list = json_object_get(v, "snat");
	if (list == NULL)
		return 0;
	if (!json_is_array(list))
		return cfg_fail(c, "nat.snat", "expected an array");
	if (json_array_size(list) > SL_CONFIG_MAX_SNAT)
		return cfg_fail(c, "nat.snat", "at most %d rules", SL_CONFIG_MAX_SNAT);
	json_array_foreach(list, i, e) {
		struct sl_config_snat *r = &c->cfg->snat[i];
		cfg_join_index(path, "nat.snat", i);
		memset(r, 0, sizeof(*r));
		r->out_port = -1;
		r->port_lo = 1024;
		r->port_hi = 65535;
		if (cfg_walk(c, path, e, snat_fields, ARRAY_LEN(snat_fields), r) != 0 ||
		    snat_finish(c, path, e, r) != 0)
			return -EINVAL;
		c->cfg->n_snat++;
	}
	return 0;
}

json_t *cfg_nat_json(const struct sl_config *cfg)
{
	json_t *o = json_object(), *a = json_array();
	char buf[INET6_ADDRSTRLEN + 8];
	int rc = 0;
	if (o == NULL || a == NULL) {
		json_decref(o);
		json_decref(a);
		return NULL;
	}
	for (unsigned i = 0; i < cfg->n_snat; i++) {
		const struct sl_config_snat *r = &cfg->snat[i];
		json_t *j = json_object();
		int jr = j != NULL ? 0 : -1;
		if (j != NULL) {
			cfg_put(j, "out_port", json_string(cfg->ports[r->out_port].name), &jr);
			if (r->has_source)
				cfg_put(j, "source", cfg_prefix_json(&r->source), &jr);
			if (r->masquerade)
				cfg_put(j, "to", json_string("masquerade"), &jr);
			else
				cfg_put(j, "to", cfg_addr_json(&r->to), &jr);
			snprintf(buf, sizeof(buf), "%u-%u", r->port_lo, r->port_hi);
			cfg_put(j, "ports", json_string(buf), &jr);
		}
		j = cfg_finish(j, jr);
		if (j == NULL || json_array_append_new(a, j) != 0)
			rc = -1;
	}
	cfg_put(o, "snat", a, &rc);
	return cfg_finish(o, rc);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "nat" section: source NAT rules and port forwards (destination NAT).
 *
 *   "nat": {
 *     "snat": [
 *       {"out_port": "wan", "source": "10.1.0.0/16", "to": "masquerade",
 *        "ports": "1024-65535"}
 *     ],
 *     "dnat": [
 *       {"in_port": "wan", "proto": "tcp", "port": 8080, "to": "10.1.0.10:80",
 *        "syn_proxy": "auto"}
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
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

static int snat_port(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_snat *r = obj;
	return cfg_get_port_ref(c, path, v, &r->out_port);
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
	return cfg_get_port_range(c, path, v, &r->port_lo, &r->port_hi);
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

static int dnat_port(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_dnat *r = obj;
	return cfg_get_port_ref(c, path, v, &r->in_port);
}

static int dnat_proto(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	static const char *const names[] = {"tcp", "udp", NULL};
	struct sl_config_dnat *r = obj;
	uint8_t i;
	if (cfg_get_enum(c, path, v, names, "tcp, udp", &i) != 0)
		return -EINVAL;
	r->proto = i == 0 ? 6 : 17;
	return 0;
}

/* "10.1.0.10:80" or "[fd00:1::10]:80". */
static int dnat_to(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_dnat *r = obj;
	char addr[64];
	const char *s, *colon;
	if (cfg_get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	colon = strrchr(s, ':');
	const char *a = s;
	size_t n = colon != NULL ? (size_t)(colon - s) : 0;
	if (n > 2 && s[0] == '[' && s[n - 1] == ']') {
		a = s + 1;
		n -= 2;
	}
	char *end;
	unsigned long port = colon != NULL ? strtoul(colon + 1, &end, 10) : 0;
	if (colon == NULL || n == 0 || n >= sizeof(addr) || *end != '\0' || colon[1] == '\0' ||
	    port < 1 || port > 65535)
		return cfg_fail(c, path, "%s is not an address and port (\"10.1.0.10:80\", "
				"\"[fd00::10]:80\")", Q(s));
	memcpy(addr, a, n);
	addr[n] = '\0';
	if (sl_parse_addr(addr, &r->to) != 0 || (r->to.af == SL_AF_INET6 && a == s))
		return cfg_fail(c, path, "%s is not an address and port (\"10.1.0.10:80\", "
				"\"[fd00::10]:80\")", Q(s));
	if (cfg_addr_owner(c->cfg, c->cfg->n_ports, &r->to) >= 0)
		return cfg_fail(c, path, "%s is sluice's own address", Q(s));
	r->to_port = (uint16_t)port;
	return 0;
}

static int dnat_syn_proxy(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return cfg_get_syn_proxy(c, path, v, &((struct sl_config_dnat *)obj)->syn_proxy);
}

static const struct field dnat_fields[] = {
	F_FN("in_port", dnat_port),
	F_FN("proto", dnat_proto),
	F_NUM("port", K_INT, struct sl_config_dnat, port, 1, 65535),
	F_FN("to", dnat_to),
	F_FN("syn_proxy", dnat_syn_proxy),
};

static int parse_dnat(struct pctx *c, const json_t *list)
{
	char path[PATH_LEN];
	json_t *e;
	size_t i;
	if (cfg_check_array(c, "nat.dnat", list, SL_CONFIG_MAX_DNAT, "rules") != 0)
		return -EINVAL;
	json_array_foreach(list, i, e) {
		struct sl_config_dnat *r = &c->cfg->dnat[i];
		cfg_join_index(path, "nat.dnat", i);
		memset(r, 0, sizeof(*r));
		r->in_port = -1;
		if (cfg_walk(c, path, e, dnat_fields, ARRAY_LEN(dnat_fields), r) != 0 ||
		    cfg_required(c, path, e, "in_port") != 0 || cfg_required(c, path, e, "proto") != 0 ||
		    cfg_required(c, path, e, "port") != 0 || cfg_required(c, path, e, "to") != 0)
			return -EINVAL;
		if (r->syn_proxy.mode != SL_SYN_PROXY_OFF && r->proto != IPPROTO_TCP) {
			char sub[PATH_LEN];
			cfg_join(sub, path, "syn_proxy");
			return cfg_fail(c, sub, "only for a tcp port forward");
		}
		for (size_t j = 0; j < i; j++) {
			const struct sl_config_dnat *o = &c->cfg->dnat[j];
			if (o->in_port == r->in_port && o->proto == r->proto && o->port == r->port)
				return cfg_fail(c, path, "port %u of %s on port %s is already forwarded by "
						"nat.dnat[%zu]", r->port, r->proto == 6 ? "tcp" : "udp",
						c->cfg->ports[r->in_port].name, j);
		}
		c->cfg->n_dnat++;
	}
	return 0;
}

int cfg_parse_nat(struct pctx *c, const json_t *v)
{
	char path[PATH_LEN];
	const char *key;
	json_t *list, *e;
	size_t i;

	if (!json_is_object(v))
		return cfg_fail(c, "nat", "expected an object");
	json_object_foreach((json_t *)v, key, list) {
		if (strcmp(key, "snat") != 0 && strcmp(key, "dnat") != 0) {
			cfg_join(path, "nat", key);
			return cfg_fail(c, path, "unknown key");
		}
	}
	list = json_object_get(v, "dnat");
	if (list != NULL && parse_dnat(c, list) != 0)
		return -EINVAL;
	list = json_object_get(v, "snat");
	if (list == NULL)
		return 0;
	if (cfg_check_array(c, "nat.snat", list, SL_CONFIG_MAX_SNAT, "rules") != 0)
		return -EINVAL;
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
	json_t *d = json_array();
	for (unsigned i = 0; d != NULL && i < cfg->n_dnat; i++) {
		const struct sl_config_dnat *r = &cfg->dnat[i];
		char to[INET6_ADDRSTRLEN + 8], addr[INET6_ADDRSTRLEN];
		sl_format_addr(&r->to, addr, sizeof(addr));
		snprintf(to, sizeof(to), r->to.af == SL_AF_INET ? "%s:%u" : "[%s]:%u", addr, r->to_port);
		json_t *j = json_pack("{s:s, s:s, s:i, s:s}", "in_port", cfg->ports[r->in_port].name,
				      "proto", r->proto == 6 ? "tcp" : "udp", "port", r->port, "to", to);
		if (j != NULL && r->syn_proxy.mode != SL_SYN_PROXY_OFF &&
		    json_object_set_new(j, "syn_proxy", cfg_syn_proxy_json(&r->syn_proxy)) != 0)
			rc = -1;
		if (j == NULL || json_array_append_new(d, j) != 0)
			rc = -1;
	}
	cfg_put(o, "dnat", d, &rc);
	return cfg_finish(o, rc);
}

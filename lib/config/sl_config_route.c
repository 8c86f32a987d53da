/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "routes" section, and the one-route edit API the REST handlers use.
 *
 * Principles:
 *  - One parser for both: a route from the file and a route from
 *    POST /api/v1/routes pass the same checks and get the same messages
 *    (with "route" for the path in the second case).
 *  - A route keeps what the user wrote: a route with "via" and no "port" is
 *    stored with port -1 and sl_config_route_port() finds the port each time,
 *    so it follows address changes.
 *  - Up to 4096 routes: duplicates are found by sorting, never by comparing
 *    all pairs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

/* ----------------------------------------------------------------- routes */

/* A total order on prefixes: family, length, then address bytes. */
int cfg_prefix_cmp(const struct sl_prefix *a, const struct sl_prefix *b)
{
	if (a->addr.af != b->addr.af)
		return a->addr.af < b->addr.af ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	if (a->addr.af == SL_AF_INET)
		return memcmp(&a->addr.v4, &b->addr.v4, 4);
	return memcmp(a->addr.v6, b->addr.v6, 16);
}

static int route_prefix(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_route *r = obj;
	char want[INET6_ADDRSTRLEN + 4];
	struct sl_prefix masked;
	const char *s;

	if (cfg_get_str(c, path, v, SIZE_MAX, &s) != 0 ||
	    cfg_get_prefix(c, path, s, 0, "prefix", 0, false, &r->prefix) != 0)
		return -EINVAL;
	masked = r->prefix;
	sl_prefix_mask(&masked);
	if (cfg_prefix_cmp(&masked, &r->prefix) != 0) {
		sl_format_prefix(&masked, want, sizeof(want));
		return cfg_fail(c, path, "%s has host bits set (did you mean \"%s\"?)", Q(s), want);
	}
	return 0;
}

static int route_via(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_route *r = obj;

	if (cfg_get_host_addr(c, path, v, &r->via) != 0)
		return -EINVAL;
	r->has_via = true;
	return 0;
}

static int route_port_field(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_route *r = obj;
	const char *s;

	if (cfg_get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	r->port = cfg_port_index(c->view, s);
	if (r->port < 0)
		return cfg_fail(c, path, "%s is not the name of a port", Q(s));
	return 0;
}

static const char *const route_type_names[] = { "unicast", "blackhole", "unreachable", NULL };

static int route_type(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_route *r = obj;

	return cfg_get_enum(c, path, v, route_type_names, "unicast, blackhole, unreachable", &r->type);
}

static const struct field route_fields[] = {
	F_FN("prefix", route_prefix),
	F_FN("via", route_via),
	F_FN("port", route_port_field),
	F_FN("type", route_type),
};

/* Checks that need the whole route object. */
static int route_finish(struct pctx *c, const char *path, const json_t *j,
			struct sl_config_route *r)
{
	char sub[PATH_LEN], via[INET6_ADDRSTRLEN];

	if (cfg_required(c, path, j, "prefix") != 0)
		return -EINVAL;
	if (r->type != SL_ROUTE_UNICAST && (r->has_via || r->port >= 0)) {
		cfg_join(sub, path, r->has_via ? "via" : "port");
		return cfg_fail(c, sub, "not allowed for %s %s route",
				r->type == SL_ROUTE_BLACKHOLE ? "a" : "an",
				route_type_names[r->type]);
	}
	if (r->type == SL_ROUTE_UNICAST && !r->has_via && r->port < 0)
		return cfg_fail(c, path, "a unicast route needs \"via\" or \"port\"");
	if (!r->has_via)
		return 0;
	cfg_join(sub, path, "via");
	sl_format_addr(&r->via, via, sizeof(via));
	if (r->via.af != r->prefix.addr.af)
		return cfg_fail(c, sub, "%s is %s but the prefix is %s", via,
				cfg_af_name(r->via.af), cfg_af_name(r->prefix.addr.af));
	if (sl_config_route_port(c->view, r) < 0)
		return cfg_fail(c, sub, "%s is not on any port's subnet", via);
	return 0;
}

static int route_one(struct pctx *c, const char *path, const json_t *j,
		     struct sl_config_route *r)
{
	memset(r, 0, sizeof(*r));
	r->port = -1;
	if (cfg_walk(c, path, j, route_fields, ARRAY_LEN(route_fields), r) != 0)
		return -EINVAL;
	return route_finish(c, path, j, r);
}

static int route_key_cmp(const void *x, const void *y)
{
	const struct route_key *a = x, *b = y;
	int d = cfg_prefix_cmp(&a->prefix, &b->prefix);

	if (d != 0)
		return d;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Routes 0..n-1 sorted by (prefix, index); NULL on allocation failure. */
struct route_key *cfg_route_keys(const struct sl_config_route *routes, unsigned n)
{
	struct route_key *k = malloc(sizeof(*k) * (n > 0 ? n : 1));

	if (k == NULL)
		return NULL;
	for (unsigned i = 0; i < n; i++)
		k[i] = (struct route_key){ routes[i].prefix, i };
	qsort(k, n, sizeof(*k), route_key_cmp);
	return k;
}

/*
 * The first route (in document order) whose prefix an earlier route already
 * has, found by sorting instead of comparing all pairs: 4096 routes would
 * be eight million comparisons.
 */
static int first_duplicate(struct pctx *c, unsigned n)
{
	struct route_key *k = cfg_route_keys(c->cfg->routes, n);
	unsigned dup = UINT_MAX, first = 0;
	char path[PATH_LEN], pf[INET6_ADDRSTRLEN + 4];

	if (k == NULL)
		return cfg_fail(c, "routes", "out of memory");
	for (unsigned i = 1; i < n; i++)
		if (cfg_prefix_cmp(&k[i].prefix, &k[i - 1].prefix) == 0 && k[i].idx < dup) {
			dup = k[i].idx;
			first = k[i - 1].idx;
		}
	free(k);
	if (dup == UINT_MAX)
		return 0;
	snprintf(path, sizeof(path), "routes[%u].prefix", dup);
	sl_format_prefix(&c->cfg->routes[dup].prefix, pf, sizeof(pf));
	return cfg_fail(c, path, "%s is already in routes[%u]", pf, first);
}

int cfg_parse_routes(struct pctx *c, const json_t *v)
{
	char path[PATH_LEN];
	size_t i, n;
	int rc = 0;
	json_t *e;

	if (!json_is_array(v))
		return cfg_fail(c, "routes", "expected an array");
	n = json_array_size(v);
	if (n > SL_CONFIG_MAX_ROUTES)
		return cfg_fail(c, "routes", "at most %d routes", SL_CONFIG_MAX_ROUTES);
	c->cfg->routes = calloc(n > 0 ? n : 1, sizeof(*c->cfg->routes));
	if (c->cfg->routes == NULL)
		return cfg_fail(c, "routes", "out of memory");
	json_array_foreach(v, i, e) {
		cfg_join_index(path, "routes", i);
		rc = route_one(c, path, e, &c->cfg->routes[i]);
		if (rc != 0)
			break;
	}
	/* A duplicate before the failing route comes first in the document. */
	if (first_duplicate(c, (unsigned)i) != 0)
		return -EINVAL;
	c->cfg->n_routes = (unsigned)n;
	return rc;
}

/* -------------------------------------------------------------- edit API */

int sl_config_route_parse(const struct sl_config *cfg, const json_t *obj,
			  struct sl_config_route *out, char *err, size_t err_len)
{
	struct pctx c = { NULL, cfg, err, err_len };
	struct sl_config_route r;

	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (route_one(&c, "route", obj, &r) != 0)
		return -EINVAL;
	*out = r;
	return 0;
}

int sl_config_route_port(const struct sl_config *cfg, const struct sl_config_route *r)
{
	if (r->type != SL_ROUTE_UNICAST)
		return -1;
	if (r->port >= 0)
		return r->port < (int)cfg->n_ports ? r->port : -1;
	if (!r->has_via)
		return -1;
	for (unsigned i = 0; i < cfg->n_ports; i++) {
		const struct sl_config_port *p = &cfg->ports[i];
		const struct sl_prefix *list = r->via.af == SL_AF_INET ? p->ipv4 : p->ipv6;
		unsigned n = r->via.af == SL_AF_INET ? p->n_ipv4 : p->n_ipv6;

		for (unsigned j = 0; j < n; j++)
			if (sl_prefix_contains(&list[j], &r->via))
				return (int)i;
	}
	return -1;
}

int sl_config_route_find(const struct sl_config *cfg, const struct sl_prefix *prefix)
{
	struct sl_prefix want = *prefix;

	sl_prefix_mask(&want);
	for (unsigned i = 0; i < cfg->n_routes; i++)
		if (cfg_prefix_cmp(&cfg->routes[i].prefix, &want) == 0)
			return (int)i;
	return -1;
}

int sl_config_route_add(struct sl_config *cfg, const struct sl_config_route *r)
{
	struct sl_config_route *grown;

	if (r->port < -1 || r->port >= (int)cfg->n_ports ||
	    (r->prefix.addr.af != SL_AF_INET && r->prefix.addr.af != SL_AF_INET6))
		return -EINVAL;
	if (sl_config_route_find(cfg, &r->prefix) >= 0)
		return -EEXIST;
	if (cfg->n_routes >= SL_CONFIG_MAX_ROUTES)
		return -ENOSPC;
	grown = realloc(cfg->routes, sizeof(*grown) * (cfg->n_routes + 1));
	if (grown == NULL)
		return -ENOMEM;
	cfg->routes = grown;
	cfg->routes[cfg->n_routes++] = *r;
	return 0;
}

void sl_config_route_del(struct sl_config *cfg, unsigned idx)
{
	if (idx >= cfg->n_routes)
		return;
	memmove(&cfg->routes[idx], &cfg->routes[idx + 1],
		sizeof(*cfg->routes) * (cfg->n_routes - idx - 1));
	cfg->n_routes--;
}

json_t *sl_config_route_to_json(const struct sl_config *cfg, const struct sl_config_route *r)
{
	json_t *o = json_object();
	int rc = 0;

	if (o == NULL)
		return NULL;
	cfg_put(o, "prefix", cfg_prefix_json(&r->prefix), &rc);
	if (r->has_via)
		cfg_put(o, "via", cfg_addr_json(&r->via), &rc);
	if (r->port >= 0 && r->port < (int)cfg->n_ports)
		cfg_put(o, "port", json_string(cfg->ports[r->port].name), &rc);
	cfg_put(o, "type", json_string(r->type <= SL_ROUTE_UNREACHABLE ?
				       route_type_names[r->type] : "?"), &rc);
	return cfg_finish(o, rc);
}

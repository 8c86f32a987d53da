/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "sets" section: named prefix sets and their sizes.
 *
 *   "sets": [
 *     {"name": "allowlist", "max_ipv4": 1024, "max_ipv6": 1024},
 *     {"name": "blocklist", "max_ipv4": 1000000, "ipv4_groups": 262144,
 *      "max_ipv6": 100000, "ipv6_groups": 300000}
 *   ]
 *
 * Entries are not kept here: they change at run time through the API and
 * are journaled beside the config file. A size costs memory whether used
 * or not (doc/configuration.md has the table), so each set says its own.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config_priv.h"

static int set_name(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_set *s = obj;
	return cfg_get_name(c, path, v, s->name, sizeof(s->name));
}

static const struct field set_fields[] = {
	F_FN("name", set_name),
	F_NUM("max_ipv4", K_INT, struct sl_config_set, max_ipv4, 0, 16777216),
	F_NUM("max_ipv6", K_INT, struct sl_config_set, max_ipv6, 0, 4194304),
	F_NUM("ipv4_groups", K_INT, struct sl_config_set, ipv4_groups, 1, 16777216),
	F_NUM("ipv6_groups", K_INT, struct sl_config_set, ipv6_groups, 1, 2097152),
};

/* Groups not given: enough for most lists, bounded so a big set stays affordable. */
static uint32_t default_groups(uint32_t entries, uint32_t per_entry, uint32_t cap)
{
	uint64_t g = (uint64_t)entries * per_entry;
	return g < 64 ? 64 : g > cap ? cap : (uint32_t)g;
}

int cfg_parse_sets(struct pctx *c, const json_t *v)
{
	struct sl_config *cfg = c->cfg;
	char sub[PATH_LEN], key[PATH_LEN];
	json_t *e;
	size_t i;
	if (cfg_check_array(c, "sets", v, SL_CONFIG_MAX_SETS, "sets") != 0)
		return -EINVAL;
	cfg->n_sets = 0;
	json_array_foreach(v, i, e) {
		struct sl_config_set *s = &cfg->sets[i];
		memset(s, 0, sizeof(*s));
		cfg_join_index(sub, "sets", i);
		if (cfg_walk(c, sub, e, set_fields, ARRAY_LEN(set_fields), s) != 0 ||
		    cfg_required(c, sub, e, "name") != 0)
			return -EINVAL;
		if (s->max_ipv4 == 0 && s->max_ipv6 == 0)
			return cfg_fail(c, sub, "give \"max_ipv4\" and/or \"max_ipv6\" (what the set "
					"may hold: each size takes memory, see doc/configuration.md)");
		static const char *const needs[][2] = {{"ipv4_groups", "max_ipv4"},
						       {"ipv6_groups", "max_ipv6"}};
		for (unsigned k = 0; k < 2; k++) {
			uint32_t max = k == 0 ? s->max_ipv4 : s->max_ipv6;
			if (json_object_get(e, needs[k][0]) == NULL || max > 0)
				continue;
			cfg_join(key, sub, needs[k][0]);
			return cfg_fail(c, key, "needs \"%s\"", needs[k][1]);
		}
		/* IPv4: a group per /24 holding longer prefixes. IPv6: a group
		 * per 8 bits past /24 a prefix does not share with another. */
		if (s->ipv4_groups == 0 && s->max_ipv4 > 0)
			s->ipv4_groups = default_groups(s->max_ipv4, 1, 65536);
		if (s->ipv6_groups == 0 && s->max_ipv6 > 0)
			s->ipv6_groups = default_groups(s->max_ipv6, 4, 65536);
		/* The IPv4 table hands out groups 64 at a time (and checks no finer). */
		s->ipv4_groups = (s->ipv4_groups + 63) & ~63u;
		for (size_t k = 0; k < i; k++) {
			if (strcmp(cfg->sets[k].name, s->name) != 0)
				continue;
			cfg_join(key, sub, "name");
			return cfg_fail(c, key, "%s is already the name of sets[%zu]", Q(s->name), k);
		}
		cfg->n_sets++;
	}
	return 0;
}

int sl_config_set_find(const struct sl_config *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->n_sets; i++)
		if (strcmp(cfg->sets[i].name, name) == 0)
			return (int)i;
	return -1;
}

int cfg_get_set_ref(struct pctx *c, const char *path, const json_t *v, int8_t *out)
{
	const char *s;
	if (cfg_get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	int i = sl_config_set_find(c->cfg, s);
	if (i < 0)
		return cfg_fail(c, path, "%s is no set of \"sets\"", Q(s));
	*out = (int8_t)i;
	return 0;
}

json_t *sl_config_set_json(const struct sl_config_set *s)
{
	json_t *o = json_object();
	int rc = o != NULL ? 0 : -1;
	if (o == NULL)
		return NULL;
	cfg_put(o, "name", json_string(s->name), &rc);
	if (s->max_ipv4 > 0) {
		cfg_put(o, "max_ipv4", json_integer(s->max_ipv4), &rc);
		cfg_put(o, "ipv4_groups", json_integer(s->ipv4_groups), &rc);
	}
	if (s->max_ipv6 > 0) {
		cfg_put(o, "max_ipv6", json_integer(s->max_ipv6), &rc);
		cfg_put(o, "ipv6_groups", json_integer(s->ipv6_groups), &rc);
	}
	return cfg_finish(o, rc);
}

json_t *cfg_sets_json(const struct sl_config *cfg)
{
	json_t *a = json_array();
	int rc = a != NULL ? 0 : -1;
	for (unsigned i = 0; rc == 0 && i < cfg->n_sets; i++)
		if (json_array_append_new(a, sl_config_set_json(&cfg->sets[i])) != 0)
			rc = -1;
	if (rc != 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

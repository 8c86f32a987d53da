/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "ratelimit" section: what each source may send, by permission level.
 *
 *   "ratelimit": {
 *     "max_sources": 65536, "source_prefix_ipv4": 32, "source_prefix_ipv6": 64,
 *     "idle": "60s",
 *     "levels": [
 *       {"name": "default", "packets": "10k/s", "bits": "100Mbit",
 *        "new_connections": "50/s", "connections": 200},
 *       {"name": "trusted"},
 *       {"name": "restricted", "packets": "100/s", "packet_burst": 20,
 *        "connections": 10, "over_connections": "reset"}
 *     ]
 *   }
 *
 * A source is an address cut to the source prefix. Every packet is held to
 * the level its ACL rule names (ACL rules with "level"), else to
 * "default"; a level without a key has no limit there. Without a "default"
 * level, one without limits is put first.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config_priv.h"

#define DEFAULT_LEVEL "default"

static int level_name(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_level *l = obj;
	return cfg_get_name(c, path, v, l->name, sizeof(l->name));
}

static int level_packets(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return cfg_get_units(c, path, v, &cfg_per_second_kind, 1, 1000000000,
			     &((struct sl_config_level *)obj)->packets);
}

static int level_bits(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return cfg_get_units(c, path, v, &cfg_bitrate_kind, 8000, 1000000000000ULL,
			     &((struct sl_config_level *)obj)->bits);
}

static int level_bit_burst(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return cfg_get_units(c, path, v, &cfg_size_kind, 1500, 1ULL << 32,
			     &((struct sl_config_level *)obj)->bit_burst);
}

static int level_new_connections(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return cfg_get_units(c, path, v, &cfg_per_second_kind, 1, 100000000,
			     &((struct sl_config_level *)obj)->new_connections);
}

static int level_over(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	static const char *const names[] = {"drop", "reset", NULL};
	uint8_t i;
	if (cfg_get_enum(c, path, v, names, "drop, reset", &i) != 0)
		return -EINVAL;
	((struct sl_config_level *)obj)->reset_over_limit = i == 1;
	return 0;
}

static const struct field level_fields[] = {
	F_FN("name", level_name),
	F_FN("packets", level_packets),
	F_NUM("packet_burst", K_INT, struct sl_config_level, packet_burst, 1, 100000000),
	F_FN("bits", level_bits),
	F_FN("bit_burst", level_bit_burst),
	F_FN("new_connections", level_new_connections),
	F_NUM("connection_burst", K_INT, struct sl_config_level, connection_burst, 1, 10000000),
	F_NUM("connections", K_INT, struct sl_config_level, connections, 1, 100000000),
	F_FN("over_connections", level_over),
};

/* Bursts not given: a tenth of a second at the rate, with a floor. */
static void level_bursts(struct sl_config_level *l)
{
	if (l->packets > 0 && l->packet_burst == 0)
		l->packet_burst = (uint32_t)(l->packets / 10 > 0 ? l->packets / 10 : 1);
	if (l->bits > 0 && l->bit_burst == 0)
		l->bit_burst = l->bits / 80 > 65536 ? l->bits / 80 : 65536;
	if (l->new_connections > 0 && l->connection_burst == 0)
		l->connection_burst = (uint32_t)(l->new_connections / 10 > 0 ?
						 l->new_connections / 10 : 1);
}

static int levels(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_ratelimit *rl = obj;
	char sub[PATH_LEN], key[PATH_LEN];
	json_t *e;
	size_t i;
	if (cfg_check_array(c, path, v, SL_CONFIG_MAX_LEVELS - 1, "levels") != 0)
		return -EINVAL;
	rl->n_levels = 0;
	bool have_default = false;
	json_array_foreach(v, i, e) {
		struct sl_config_level l;
		memset(&l, 0, sizeof(l));
		cfg_join_index(sub, path, i);
		if (cfg_walk(c, sub, e, level_fields, ARRAY_LEN(level_fields), &l) != 0 ||
		    cfg_required(c, sub, e, "name") != 0)
			return -EINVAL;
		static const char *const needs_rate[][2] = {{"packet_burst", "packets"},
							    {"bit_burst", "bits"},
							    {"connection_burst", "new_connections"}};
		for (unsigned k = 0; k < ARRAY_LEN(needs_rate); k++) {
			if (json_object_get(e, needs_rate[k][0]) == NULL ||
			    json_object_get(e, needs_rate[k][1]) != NULL)
				continue;
			cfg_join(key, sub, needs_rate[k][0]);
			return cfg_fail(c, key, "needs \"%s\" (a burst of a rate not limited)",
					needs_rate[k][1]);
		}
		if (json_object_get(e, "over_connections") != NULL && l.connections == 0) {
			cfg_join(key, sub, "over_connections");
			return cfg_fail(c, key, "needs \"connections\"");
		}
		for (size_t k = 0; k < i; k++) {
			const char *other = json_string_value(json_object_get(json_array_get(v, k),
									       "name"));
			if (other == NULL || strcmp(other, l.name) != 0)
				continue;
			cfg_join(key, sub, "name");
			return cfg_fail(c, key, "%s is already the name of %s[%zu]", Q(l.name), path, k);
		}
		level_bursts(&l);
		if (strcmp(l.name, DEFAULT_LEVEL) == 0) {
			/* The default goes first: a packet no rule sends elsewhere has it. */
			memmove(&rl->levels[1], &rl->levels[0], sizeof(l) * rl->n_levels);
			rl->levels[0] = l;
			have_default = true;
		} else {
			rl->levels[rl->n_levels] = l;
		}
		rl->n_levels++;
	}
	if (!have_default) {
		memmove(&rl->levels[1], &rl->levels[0], sizeof(rl->levels[0]) * rl->n_levels);
		memset(&rl->levels[0], 0, sizeof(rl->levels[0]));
		snprintf(rl->levels[0].name, sizeof(rl->levels[0].name), DEFAULT_LEVEL);
		rl->n_levels++;
	}
	return 0;
}

static int prefix4(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	if (!json_is_integer(v) || json_integer_value(v) < 8 || json_integer_value(v) > 32)
		return cfg_fail(c, path, "expected a prefix length 8..32");
	((struct sl_config_ratelimit *)obj)->prefix4 = (uint8_t)json_integer_value(v);
	return 0;
}

static int prefix6(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	if (!json_is_integer(v) || json_integer_value(v) < 16 || json_integer_value(v) > 64)
		return cfg_fail(c, path, "expected a prefix length 16..64");
	((struct sl_config_ratelimit *)obj)->prefix6 = (uint8_t)json_integer_value(v);
	return 0;
}

static const char *const event_names[SL_REP_EVENTS] = {"acl_deny", "rate_drop", "tcp_invalid",
							"syn_timeout", "scan"};

static int rep_weights(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_reputation *r = obj;
	char sub[PATH_LEN];
	const char *key;
	json_t *w;
	if (!json_is_object(v))
		return cfg_fail(c, path, "expected an object");
	json_object_foreach((json_t *)v, key, w) {
		unsigned e;
		cfg_join(sub, path, key);
		for (e = 0; e < SL_REP_EVENTS && strcmp(key, event_names[e]) != 0; e++)
			;
		if (e == SL_REP_EVENTS)
			return cfg_fail(c, sub, "unknown key (events: acl_deny, rate_drop, tcp_invalid, "
					"syn_timeout, scan)");
		if (!json_is_integer(w) || json_integer_value(w) < 0 || json_integer_value(w) > 1000000)
			return cfg_fail(c, sub, "expected an integer 0..1000000");
		r->weights[e] = (uint32_t)json_integer_value(w);
	}
	return 0;
}

static int rep_exempt(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return cfg_get_set_ref(c, path, v, &((struct sl_config_reputation *)obj)->exempt_set);
}

static const struct field rep_fields[] = {
	F_NUM("threshold", K_INT, struct sl_config_reputation, threshold, 1, 1000000000),
	F_NUM("half_life", K_DURATION, struct sl_config_reputation, half_life_us, 1000000,
	      86400000000LL),
	F_FN("weights", rep_weights),
	F_NUM("scan_ports", K_INT, struct sl_config_reputation, scan_ports, 2, 64),
	F_NUM("scan_window", K_DURATION, struct sl_config_reputation, scan_window_us, 1000000,
	      3600000000LL),
	F_NUM("block", K_DURATION, struct sl_config_reputation, block_us, 1000000, 86400000000LL),
	F_NUM("block_max", K_DURATION, struct sl_config_reputation, block_max_us, 1000000,
	      31536000000000LL),
	F_FN("exempt_set", rep_exempt),
};

static int reputation(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_reputation *r = &((struct sl_config_ratelimit *)obj)->reputation;
	r->enabled = true;
	if (cfg_walk(c, path, v, rep_fields, ARRAY_LEN(rep_fields), r) != 0)
		return -EINVAL;
	if (r->block_max_us < r->block_us) {
		char sub[PATH_LEN];
		cfg_join(sub, path, "block_max");
		return cfg_fail(c, sub, "is shorter than \"block\"");
	}
	return 0;
}

static const struct field rl_fields[] = {
	F_NUM("max_sources", K_INT, struct sl_config_ratelimit, max_sources, 1024, 16777216),
	F_FN("source_prefix_ipv4", prefix4),
	F_FN("source_prefix_ipv6", prefix6),
	F_NUM("idle", K_DURATION, struct sl_config_ratelimit, idle_us, 1000000, 86400000000LL),
	F_FN("levels", levels),
	F_FN("reputation", reputation),
};

void cfg_ratelimit_defaults(struct sl_config_ratelimit *rl)
{
	memset(rl, 0, sizeof(*rl));
	rl->max_sources = 65536;
	rl->prefix4 = 32;
	rl->prefix6 = 64;
	rl->idle_us = 60000000;
	rl->n_levels = 1;
	snprintf(rl->levels[0].name, sizeof(rl->levels[0].name), DEFAULT_LEVEL);
	struct sl_config_reputation *r = &rl->reputation;
	r->threshold = 100;
	r->half_life_us = 60000000;
	static const uint32_t weights[SL_REP_EVENTS] = {1, 1, 5, 2, 50};
	memcpy(r->weights, weights, sizeof(weights));
	r->scan_ports = 20;
	r->scan_window_us = 10000000;
	r->block_us = 60000000;
	r->block_max_us = 86400000000ULL;
	r->exempt_set = -1;
}

const char *sl_config_rep_event_name(unsigned e)
{
	return e < SL_REP_EVENTS ? event_names[e] : "manual";
}

int cfg_parse_ratelimit(struct pctx *c, const json_t *v)
{
	struct sl_config_ratelimit *rl = &c->cfg->ratelimit;
	rl->enabled = true;
	return cfg_walk(c, "ratelimit", v, rl_fields, ARRAY_LEN(rl_fields), rl);
}

int sl_config_level_find(const struct sl_config *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->ratelimit.n_levels; i++)
		if (strcmp(cfg->ratelimit.levels[i].name, name) == 0)
			return (int)i;
	return -1;
}

static json_t *per_second_json(uint64_t v)
{
	char buf[SL_UNITS_STR_MAX];
	sl_format_per_second(v, buf, sizeof(buf));
	return json_string(buf);
}

json_t *cfg_ratelimit_json(const struct sl_config *cfg)
{
	const struct sl_config_ratelimit *rl = &cfg->ratelimit;
	char buf[SL_UNITS_STR_MAX];
	json_t *o = json_object(), *a = json_array();
	int rc = o != NULL && a != NULL ? 0 : -1;
	if (rc != 0) {
		json_decref(o);
		json_decref(a);
		return NULL;
	}
	cfg_put(o, "max_sources", json_integer(rl->max_sources), &rc);
	cfg_put(o, "source_prefix_ipv4", json_integer(rl->prefix4), &rc);
	cfg_put(o, "source_prefix_ipv6", json_integer(rl->prefix6), &rc);
	sl_format_duration_us(rl->idle_us, buf, sizeof(buf));
	cfg_put(o, "idle", json_string(buf), &rc);
	for (unsigned i = 0; i < rl->n_levels; i++) {
		const struct sl_config_level *l = &rl->levels[i];
		json_t *j = json_object();
		int jr = j != NULL ? 0 : -1;
		if (j != NULL) {
			cfg_put(j, "name", json_string(l->name), &jr);
			if (l->packets > 0) {
				cfg_put(j, "packets", per_second_json(l->packets), &jr);
				cfg_put(j, "packet_burst", json_integer(l->packet_burst), &jr);
			}
			if (l->bits > 0) {
				sl_format_rate_bps(l->bits, buf, sizeof(buf));
				cfg_put(j, "bits", json_string(buf), &jr);
				sl_format_size_bytes(l->bit_burst, buf, sizeof(buf));
				cfg_put(j, "bit_burst", json_string(buf), &jr);
			}
			if (l->new_connections > 0) {
				cfg_put(j, "new_connections", per_second_json(l->new_connections), &jr);
				cfg_put(j, "connection_burst", json_integer(l->connection_burst), &jr);
			}
			if (l->connections > 0) {
				cfg_put(j, "connections", json_integer(l->connections), &jr);
				cfg_put(j, "over_connections",
					json_string(l->reset_over_limit ? "reset" : "drop"), &jr);
			}
		}
		j = cfg_finish(j, jr);
		if (j == NULL || json_array_append_new(a, j) != 0)
			rc = -1;
	}
	cfg_put(o, "levels", a, &rc);
	const struct sl_config_reputation *r = &rl->reputation;
	if (r->enabled) {
		json_t *j = json_object(), *w = json_object();
		int jr = j != NULL && w != NULL ? 0 : -1;
		if (jr == 0) {
			cfg_put(j, "threshold", json_integer(r->threshold), &jr);
			sl_format_duration_us(r->half_life_us, buf, sizeof(buf));
			cfg_put(j, "half_life", json_string(buf), &jr);
			for (unsigned e = 0; e < SL_REP_EVENTS; e++)
				cfg_put(w, event_names[e], json_integer(r->weights[e]), &jr);
			cfg_put(j, "weights", w, &jr);
			w = NULL;
			cfg_put(j, "scan_ports", json_integer(r->scan_ports), &jr);
			sl_format_duration_us(r->scan_window_us, buf, sizeof(buf));
			cfg_put(j, "scan_window", json_string(buf), &jr);
			sl_format_duration_us(r->block_us, buf, sizeof(buf));
			cfg_put(j, "block", json_string(buf), &jr);
			sl_format_duration_us(r->block_max_us, buf, sizeof(buf));
			cfg_put(j, "block_max", json_string(buf), &jr);
			if (r->exempt_set >= 0 && (unsigned)r->exempt_set < cfg->n_sets)
				cfg_put(j, "exempt_set", json_string(cfg->sets[r->exempt_set].name),
					&jr);
		}
		json_decref(w);
		cfg_put(o, "reputation", cfg_finish(j, jr), &rc);
	}
	return cfg_finish(o, rc);
}

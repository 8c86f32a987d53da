/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration document: JSON in, validated struct sl_config out. This
 * file holds the root of the document and its small sections (eal, api, log,
 * workers); the larger sections and the output side have files of their own
 * (see config_priv.h).
 *
 * Principles:
 *  - One error, and it is the first one in document order: keys are checked
 *    in the order the file lists them, so fixing errors top to bottom works.
 *    The exceptions are "routes" and "neighbors", which refer to ports and
 *    so are checked after "ports" wherever they appear.
 *  - Messages are "<path>: <problem>" with the path spelled as a person would
 *    point at it ("ports[1].ipv4[0]"). Values the user typed are echoed in
 *    double quotes, escaped and shortened, so a message is always one safe
 *    line of valid UTF-8 whatever the input was.
 *  - Unknown keys are errors: a typo ("mtux") must not silently become the
 *    default.
 *  - sl_config_to_json() writes every key with defaults filled in, in schema
 *    order, so its output is canonical: parse(to_json(c)) == c, and diff and
 *    live-change checks can compare canonical trees instead of knowing every
 *    field twice.
 *  - Nothing here touches DPDK or reads secrets: token_file is only a path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"
#include "sl_log.h"

/* -------------------------------------------------------------------- eal */

static int eal_lcores(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_eal *e = obj;
	const char *s;

	if (cfg_get_str(c, path, v, sizeof(e->lcores), &s) != 0)
		return -EINVAL;
	if (!cfg_only_chars(s, ",@()-", false))
		return cfg_fail(c, path, "%s may only contain 0-9 , - @ ( )", Q(s));
	snprintf(e->lcores, sizeof(e->lcores), "%s", s);
	return 0;
}

static int eal_memory(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_eal *e = obj;
	uint64_t bytes;

	if (cfg_get_units(c, path, v, &cfg_size_kind, 0, 1ULL << 40, &bytes) != 0)
		return -EINVAL;
	if (bytes % MIB != 0)
		return cfg_fail(c, path, "%s is not a whole number of MiB",
				Q(json_string_value(v)));
	e->memory_mb = (uint32_t)(bytes / MIB);
	return 0;
}

const char *const cfg_hugepages_names[] = { "auto", "on", "off", NULL };

static int eal_hugepages(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_eal *e = obj;

	return cfg_get_enum(c, path, v, cfg_hugepages_names, "auto, on, off", &e->hugepages);
}

static int eal_file_prefix(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_eal *e = obj;
	const char *s;

	if (cfg_get_str(c, path, v, sizeof(e->file_prefix), &s) != 0)
		return -EINVAL;
	if (!cfg_only_chars(s, "_-", true))
		return cfg_fail(c, path, "%s may only contain A-Z a-z 0-9 _ -", Q(s));
	snprintf(e->file_prefix, sizeof(e->file_prefix), "%s", s);
	return 0;
}

static int eal_args(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_eal *e = obj;
	char sub[PATH_LEN];
	const char *s;
	size_t i;
	json_t *a;

	if (cfg_check_array(c, path, v, SL_CONFIG_MAX_EAL_ARGS, "arguments") != 0)
		return -EINVAL;
	e->n_args = 0;
	json_array_foreach(v, i, a) {
		cfg_join_index(sub, path, i);
		if (cfg_get_str(c, sub, a, sizeof(e->args[0]), &s) != 0)
			return -EINVAL;
		snprintf(e->args[e->n_args++], sizeof(e->args[0]), "%s", s);
	}
	return 0;
}

static const struct field eal_fields[] = {
	F_FN("lcores", eal_lcores),
	F_FN("memory", eal_memory),
	F_FN("hugepages", eal_hugepages),
	F_FN("file_prefix", eal_file_prefix),
	F_FN("args", eal_args),
};

/* -------------------------------------------------------------- api, rest */

static bool addr_is_loopback(const struct sl_addr *a)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t one[16] = { [15] = 1 };

	if (a->af == SL_AF_INET)
		return ntohl(a->v4) >> 24 == 127;
	if (memcmp(a->v6, mapped, 12) == 0)   /* ::ffff:127.0.0.1 */
		return a->v6[12] == 127;
	return memcmp(a->v6, one, 16) == 0;
}

static int api_listen(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_api *api = obj;
	struct sl_addr a;
	const char *s;

	if (cfg_get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	if (sl_parse_addr(s, &a) != 0)
		return cfg_fail(c, path, "%s is not an %s address", Q(s), cfg_af_guess(s));
	/* Stored canonically so that "::0001" and "::1" compare equal. */
	sl_format_addr(&a, api->listen, sizeof(api->listen));
	return 0;
}

static int api_token_file(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_api *api = obj;
	const char *s;

	if (cfg_get_str(c, path, v, sizeof(api->token_file), &s) != 0)
		return -EINVAL;
	if (s[0] == '\0')
		return cfg_fail(c, path, "must not be empty (leave it out for no token)");
	snprintf(api->token_file, sizeof(api->token_file), "%s", s);
	return 0;
}

static int api_timeout(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_api *api = obj;
	uint64_t us;

	if (cfg_get_units(c, path, v, &cfg_duration_kind, 1000000, 3600000000ULL, &us) != 0)
		return -EINVAL;
	if (us % 1000000 != 0)
		return cfg_fail(c, path, "%s is not a whole number of seconds",
				Q(json_string_value(v)));
	api->timeout_s = (uint32_t)(us / 1000000);
	return 0;
}

static const struct field api_fields[] = {
	F_FN("listen", api_listen),
	F_NUM("port", K_INT, struct sl_config_api, port, 1, 65535),
	F_FN("token_file", api_token_file),
	F_NUM("connection_limit", K_INT, struct sl_config_api, connection_limit, 1, 10000),
	F_NUM("per_ip_limit", K_INT, struct sl_config_api, per_ip_limit, 1, 10000),
	F_FN("timeout", api_timeout),
	F_NUM("memory_limit", K_SIZE, struct sl_config_api, memory_limit, 16 << 10, 16 << 20),
	F_NUM("max_body", K_SIZE, struct sl_config_api, max_body, 1 << 10, 64 << 20),
	F_NUM("max_bulk_body", K_SIZE, struct sl_config_api, max_bulk_body, 1 << 20, 1 << 30),
};

static int parse_api(struct pctx *c, const json_t *v)
{
	struct sl_config_api *api = &c->cfg->api;
	struct sl_addr a;

	if (cfg_walk(c, "api", v, api_fields, ARRAY_LEN(api_fields), api) != 0)
		return -EINVAL;
	/* The default per-IP limit follows a lower connection limit down. */
	if (json_object_get(v, "per_ip_limit") == NULL && api->per_ip_limit > api->connection_limit)
		api->per_ip_limit = api->connection_limit;
	if (api->per_ip_limit > api->connection_limit)
		return cfg_fail(c, "api.per_ip_limit", "%u is above api.connection_limit (%u)",
				api->per_ip_limit, api->connection_limit);
	if (sl_parse_addr(api->listen, &a) == 0 && !addr_is_loopback(&a) &&
	    api->token_file[0] == '\0')
		return cfg_fail(c, "api.token_file",
				"required when api.listen is not a loopback address");
	return 0;
}

static const char *const log_level_list = "err, warn, info, debug";

static int log_level(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_log *log = obj;
	const char *s;
	int level;

	if (cfg_get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	level = sl_log_level_parse(s);
	if (level < 0)
		return cfg_fail(c, path, "%s is not one of %s", Q(s), log_level_list);
	log->level = (uint8_t)level;
	return 0;
}

static const struct field log_fields[] = {
	F_FN("level", log_level),
};

static const struct field workers_fields[] = {
	F_NUM("idle_sleep", K_DURATION, struct sl_config_workers, idle_sleep_us, 0, 10000),
	F_NUM("burst", K_INT, struct sl_config_workers, burst, 1, 64),
};

/* ------------------------------------------------------------------- root */

static void set_defaults(struct sl_config *cfg)
{
	cfg->eal.hugepages = SL_HUGEPAGES_AUTO;
	snprintf(cfg->api.listen, sizeof(cfg->api.listen), "127.0.0.1");
	cfg->api.port = 8080;
	cfg->api.connection_limit = 64;
	cfg->api.per_ip_limit = 16;
	cfg->api.timeout_s = 10;
	cfg->api.memory_limit = 64 << 10;
	cfg->api.max_body = 1 << 20;
	cfg->api.max_bulk_body = 64 << 20;
	cfg->log.level = SL_LOG_INFO;
	cfg->workers.idle_sleep_us = 0;
	cfg->workers.burst = 32;
	cfg_flow_defaults(&cfg->flow);
	cfg_ratelimit_defaults(&cfg->ratelimit);
	cfg_wireguard_defaults(&cfg->wireguard);
}

static int parse_section(struct pctx *c, const char *key, const json_t *v)
{
	struct sl_config *cfg = c->cfg;

	if (strcmp(key, "eal") == 0)
		return cfg_walk(c, key, v, eal_fields, ARRAY_LEN(eal_fields), &cfg->eal);
	if (strcmp(key, "ports") == 0)
		return cfg_parse_ports(c, v);
	if (strcmp(key, "routes") == 0)
		return cfg_parse_routes(c, v);
	if (strcmp(key, "neighbors") == 0)
		return cfg_parse_neighbors(c, v);
	if (strcmp(key, "api") == 0)
		return parse_api(c, v);
	if (strcmp(key, "log") == 0)
		return cfg_walk(c, key, v, log_fields, ARRAY_LEN(log_fields), &cfg->log);
	if (strcmp(key, "workers") == 0)
		return cfg_walk(c, key, v, workers_fields, ARRAY_LEN(workers_fields), &cfg->workers);
	if (strcmp(key, "flow") == 0)
		return cfg_parse_flow(c, v);
	if (strcmp(key, "nat") == 0)
		return cfg_parse_nat(c, v);
	if (strcmp(key, "services") == 0)
		return cfg_parse_services(c, v);
	if (strcmp(key, "acl") == 0)
		return cfg_parse_acl(c, v);
	if (strcmp(key, "sets") == 0)
		return cfg_parse_sets(c, v);
	if (strcmp(key, "ratelimit") == 0)
		return cfg_parse_ratelimit(c, v);
	if (strcmp(key, "qos") == 0)
		return cfg_parse_qos(c, v);
	if (strcmp(key, "wireguard") == 0)
		return cfg_parse_wireguard(c, v);
	/* Escaped and cut short like any other path: the key is the sender's text. */
	char path[PATH_LEN];
	cfg_join(path, "", key);
	return cfg_fail(c, path, "unknown key");
}

/* Sections that name ports, and so are parsed after "ports" wherever they are
 * ("acl" last of all: its rules also name rate-limit levels). */
static const char *const after_ports[] = { "routes", "neighbors", "nat", "services", "qos" };

static bool names_ports(const char *key)
{
	for (size_t i = 0; i < ARRAY_LEN(after_ports); i++)
		if (strcmp(key, after_ports[i]) == 0)
			return true;
	return false;
}

static int parse_root(struct pctx *c, const json_t *doc)
{
	const json_t *ports = NULL, *later_v[ARRAY_LEN(after_ports)];
	const char *key, *later[ARRAY_LEN(after_ports)];
	size_t n_later = 0;
	json_t *v;

	if (!json_is_object(doc))
		return cfg_fail(c, "config", "expected an object");
	/* Sets first: rules and the reputation name them. */
	const json_t *sets = json_object_get(doc, "sets");
	if (sets != NULL && parse_section(c, "sets", sets) != 0)
		return -EINVAL;
	const json_t *wireguard = json_object_get(doc, "wireguard");
	json_object_foreach((json_t *)doc, key, v) {
		if (strcmp(key, "acl") == 0 || strcmp(key, "sets") == 0 ||
		    strcmp(key, "wireguard") == 0)
			continue;       /* acl after everything: below; sets: above */
		if (strcmp(key, "ports") == 0) {
			/* WireGuard interfaces are ports too: right after the devices. */
			ports = v;
			if (parse_section(c, key, v) != 0 ||
			    (wireguard != NULL && cfg_parse_wireguard(c, wireguard) != 0))
				return -EINVAL;
			continue;
		}
		/* Keys are unique, so each of after_ports is held at most once. */
		if (ports == NULL && names_ports(key)) {
			later[n_later] = key;
			later_v[n_later++] = v;
			continue;
		}
		if (parse_section(c, key, v) != 0)
			return -EINVAL;
	}
	if (ports == NULL)
		return cfg_fail(c, "ports", "required");
	const json_t *acl = json_object_get(doc, "acl");
	for (size_t i = 0; i < n_later; i++)
		if (parse_section(c, later[i], later_v[i]) != 0)
			return -EINVAL;
	if (acl != NULL && parse_section(c, "acl", acl) != 0)
		return -EINVAL;
	if ((c->cfg->n_snat > 0 || c->cfg->n_dnat > 0) && !c->cfg->flow.enabled)
		return cfg_fail(c, "nat", "needs connection tracking: add a \"flow\" section");
	if (c->cfg->n_services > 0 && !c->cfg->flow.enabled)
		return cfg_fail(c, "services", "needs connection tracking: add a \"flow\" section");
	if (cfg_check_probe_ports(c) != 0)
		return -EINVAL;
	/* A zone is enforced by connection tracking: without it, say so. */
	for (unsigned i = 0; i < c->cfg->n_ports; i++) {
		char path[PATH_LEN];
		if (c->cfg->ports[i].zone == SL_ZONE_INSIDE || c->cfg->flow.enabled)
			continue;
		snprintf(path, sizeof(path), "ports[%u].zone", i);
		return cfg_fail(c, path, "\"outside\" needs connection tracking: add a \"flow\" section");
	}
	return 0;
}

struct sl_config *sl_config_parse(const json_t *doc, char *err, size_t err_len)
{
	struct sl_config *cfg = calloc(1, sizeof(*cfg));
	struct pctx c = { cfg, cfg, err, err_len };

	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (cfg == NULL) {
		if (err != NULL && err_len > 0)
			snprintf(err, err_len, "config: out of memory");
		return NULL;
	}
	set_defaults(cfg);
	if (parse_root(&c, doc) != 0) {
		sl_config_free(cfg);
		return NULL;
	}
	return cfg;
}

struct sl_config *sl_config_load(const char *path, char *err, size_t err_len)
{
	char inner[SL_CONFIG_ERR_MAX], dummy[1];
	struct sl_config *cfg;
	json_error_t je;
	json_t *doc;
	FILE *f;
	int n;

	if (err == NULL || err_len == 0) {
		err = dummy;
		err_len = sizeof(dummy);
	}
	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return NULL;
	}
	doc = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	if (doc == NULL) {
		snprintf(err, err_len, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		return NULL;
	}
	cfg = sl_config_parse(doc, inner, sizeof(inner));
	json_decref(doc);
	if (cfg == NULL) {
		n = snprintf(err, err_len, "%s: %s", path, inner);
		if (n >= 0 && (size_t)n >= err_len)
			cfg_utf8_trim_tail(err);
	}
	return cfg;
}

void sl_config_free(struct sl_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->routes);
	free(cfg->services);
	free(cfg->acl.rules);
	free(cfg->qos.match);
	free(cfg);
}

/* A copy of @p n elements of @p size (room for one at least); NULL on no memory. */
static void *dup_array(const void *src, size_t n, size_t size)
{
	void *d = calloc(n + 1, size);
	if (d != NULL && n > 0)
		memcpy(d, src, n * size);
	return d;
}

struct sl_config *sl_config_dup(const struct sl_config *cfg)
{
	struct sl_config *d = malloc(sizeof(*d));

	if (d == NULL)
		return NULL;
	*d = *cfg;
	d->routes = dup_array(cfg->routes, cfg->n_routes, sizeof(*d->routes));
	d->services = dup_array(cfg->services, cfg->n_services, sizeof(*d->services));
	d->acl.rules = dup_array(cfg->acl.rules, cfg->acl.n_rules, sizeof(*d->acl.rules));
	d->qos.match = dup_array(cfg->qos.match, cfg->qos.n_match, sizeof(*d->qos.match));
	if (d->routes == NULL || d->services == NULL || d->acl.rules == NULL || d->qos.match == NULL) {
		sl_config_free(d);
		return NULL;
	}
	return d;
}

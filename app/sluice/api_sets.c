/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prefix sets: their life beside the snapshots, and their REST view.
 *
 *   GET  /api/v1/sets                       every set: sizes, counts, memory
 *   GET  /api/v1/sets/{name}                one set
 *   GET  /api/v1/sets/{name}/entries?offset=&limit=
 *                                           its prefixes (default the first
 *                                           1000, up to 100 000 a page; the
 *                                           order holds between changes only)
 *   POST /api/v1/sets/{name}/entries        {"add": [...], "delete": [...]}
 *   PUT  /api/v1/sets/{name}/entries        {"entries": [...]}: the set
 *                                           becomes exactly these
 *
 * The config names the sets and their sizes; their entries are runtime
 * objects, journaled in "<config>.sets/<name>.set". A change is all or
 * nothing: a bad prefix anywhere (the error names it, "add[17]") or a
 * full set changes nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sl_log.h"
#include "sluice.h"

#define PAGE_DEFAULT 1000
#define PAGE_MAX 100000

static void journal_path(const struct sl_app *app, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s.sets/%s.set", app->config_path, name);
}

/* The running set named @p name, or NULL. */
static struct sl_pset *running(const struct sl_app *app, const char *name, int *index)
{
	for (unsigned i = 0; app->cfg != NULL && i < app->cfg->n_sets; i++) {
		if (app->sets[i] != NULL && strcmp(app->sets[i]->name, name) == 0) {
			if (index != NULL)
				*index = (int)i;
			return app->sets[i];
		}
	}
	return NULL;
}

int sl_app_sets_prepare(struct sl_app *app, const struct sl_config *cfg, struct sl_dp *dp,
			char *err, size_t err_len)
{
	char path[SL_CONFIG_PATH_MAX + 64];
	for (unsigned i = 0; i < cfg->n_sets; i++) {
		const struct sl_config_set *c = &cfg->sets[i];
		struct sl_pset *old = running(app, c->name, NULL);
		if (old != NULL && sl_pset_fits_config(old, c)) {
			dp->sets[i] = old;
			continue;
		}
		struct sl_pset *s = sl_pset_create(c, app->qsv, app->socket, err, err_len);
		if (s == NULL)
			return -1;
		dp->sets[i] = s;
		dp->sets_made |= 1u << i;
		int rc;
		if (old != NULL) {
			rc = sl_pset_copy(s, old, err, err_len);
		} else {
			journal_path(app, c->name, path, sizeof(path));
			rc = sl_pset_load(s, path, err, err_len);
		}
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* Journals of sets the configuration no longer has (removed while sluice
 * was down, or before a crash): a set of that name added later starts
 * empty, as it would have. */
static void forget_stale_journals(const struct sl_app *app, const struct sl_config *cfg,
				  const char *dir)
{
	(void)app;
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char name[SL_CONFIG_NAME_MAX + 8], path[SL_CONFIG_PATH_MAX + 300];
		if (len < 5 || strcmp(de->d_name + len - 4, ".set") != 0 || len - 4 >= sizeof(name))
			continue;
		memcpy(name, de->d_name, len - 4);
		name[len - 4] = '\0';
		if (sl_config_set_find(cfg, name) >= 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) == 0)
			SL_LOG(INFO, "sets", "removed %s: no set %s is configured", path, name);
	}
	closedir(d);
}

void sl_app_sets_commit(struct sl_app *app, struct sl_dp *dp)
{
	char path[SL_CONFIG_PATH_MAX + 64], err[256];
	const struct sl_config *cfg = dp->cfg;
	/* The running sets the new snapshot does not hold: replaced or gone. */
	for (unsigned i = 0; i < SL_CONFIG_MAX_SETS; i++) {
		struct sl_pset *s = app->sets[i];
		bool kept = false;
		for (unsigned j = 0; s != NULL && j < cfg->n_sets; j++)
			kept |= dp->sets[j] == s;
		if (s == NULL || kept)
			continue;
		if (sl_config_set_find(cfg, s->name) < 0) {
			journal_path(app, s->name, path, sizeof(path));
			unlink(path);
			SL_LOG(INFO, "sets", "set %s removed with its %u IPv4 and %u IPv6 prefixes",
			       s->name, s->n4, s->n6);
		}
		sl_pset_free(s);
	}
	memset(app->sets, 0, sizeof(app->sets));
	snprintf(path, sizeof(path), "%s.sets", app->config_path);
	if (dp->sets_made != 0 && mkdir(path, 0700) != 0 && errno != EEXIST)
		SL_LOG(WARN, "sets", "cannot create %s: %s: set changes will not survive a "
		       "restart", path, strerror(errno));
	forget_stale_journals(app, cfg, path);
	for (unsigned i = 0; i < cfg->n_sets; i++) {
		app->sets[i] = dp->sets[i];
		if (!(dp->sets_made & (1u << i)))
			continue;
		journal_path(app, cfg->sets[i].name, path, sizeof(path));
		if (sl_pset_attach(dp->sets[i], path, err, sizeof(err)) != 0)
			SL_LOG(WARN, "sets", "%s: its changes will not survive a restart", err);
		SL_LOG(INFO, "sets", "set %s: %u IPv4 and %u IPv6 prefixes, %zu bytes of tables",
		       dp->sets[i]->name, dp->sets[i]->n4, dp->sets[i]->n6, dp->sets[i]->table_bytes);
	}
	dp->sets_made = 0;
}

void sl_app_sets_free(struct sl_app *app)
{
	for (unsigned i = 0; i < SL_CONFIG_MAX_SETS; i++) {
		sl_pset_free(app->sets[i]);
		app->sets[i] = NULL;
	}
}

/* ---------------------------------------------------------------- REST */

static json_t *family_json(uint32_t n, uint32_t max, uint32_t groups)
{
	return json_pack("{s:i, s:i, s:i}", "entries", (int)n, "max", (int)max, "groups",
			 (int)groups);
}

static json_t *set_json(const struct sl_app *app, unsigned index)
{
	const struct sl_pset *s = app->sets[index];
	const struct sl_config *cfg = app->cfg;
	unsigned rules = 0;
	for (unsigned r = 0; r < cfg->acl.n_rules; r++)
		rules += cfg->acl.rules[r].src_set == (int)index ||
			 cfg->acl.rules[r].dst_set == (int)index;
	return json_pack("{s:s, s:o, s:o, s:{s:I, s:I}, s:{s:I, s:I, s:I}, s:i, s:b}",
			 "name", s->name,
			 "ipv4", family_json(s->n4, s->max4, s->groups4),
			 "ipv6", family_json(s->n6, s->max6, s->groups6),
			 "memory", "tables_bytes", (json_int_t)s->table_bytes, "index_bytes",
			 (json_int_t)sl_pset_index_bytes(s),
			 "changes", "added", (json_int_t)s->added, "deleted", (json_int_t)s->deleted,
			 "refused", (json_int_t)s->refused,
			 "acl_rules", (int)rules,
			 "exempt_from_blocks", cfg->ratelimit.reputation.exempt_set == (int)index);
}

void sl_api_sets_list(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	struct sl_app *app = arg;
	(void)req;
	json_t *a = json_array();
	for (unsigned i = 0; a != NULL && i < app->cfg->n_sets; i++)
		json_array_append_new(a, set_json(app, i));
	sl_mgmt_respond_json(resp, 200, json_pack("{s:o}", "sets", a));
}

/* "name" or "name/entries" from the path; false with a 404 answered. */
static bool set_of_path(struct sl_app *app, const char *rest, bool entries,
			struct sl_mgmt_response *resp, int *index)
{
	char name[SL_CONFIG_NAME_MAX + 16];
	const char *slash = strchr(rest, '/');
	size_t n = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	bool shape = entries ? slash != NULL && strcmp(slash, "/entries") == 0 : slash == NULL;
	if (n < sizeof(name)) {
		memcpy(name, rest, n);
		name[n] = '\0';
	}
	if (!shape || n >= sizeof(name) || running(app, name, index) == NULL) {
		sl_mgmt_respond_problem(resp, 404, "No such set", "name", "name: \"%.32s\" is no "
					"set of the configuration's \"sets\"%s", n < sizeof(name) ?
					name : rest, shape ? "" : " (or no such path under it)");
		return false;
	}
	return true;
}

void sl_api_sets_get(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	struct sl_app *app = arg;
	int index;
	bool entries = strchr(req->path_rest, '/') != NULL;
	if (!set_of_path(app, req->path_rest, entries, resp, &index))
		return;
	if (!entries) {
		sl_mgmt_respond_json(resp, 200, set_json(app, (unsigned)index));
		return;
	}
	const struct sl_pset *s = app->sets[index];
	unsigned long offset, limit;
	uint32_t total = s->n4 + s->n6;
	if (!sl_api_query_number(req, resp, "offset", UINT32_MAX, 0, &offset) ||
	    !sl_api_query_number(req, resp, "limit", PAGE_MAX, PAGE_DEFAULT, &limit))
		return;
	json_t *list = json_array();
	char buf[64];
	for (uint64_t i = offset; list != NULL && i < total && i < offset + limit; i++) {
		sl_pset_format(sl_pset_entry_at(s, (uint32_t)i), buf, sizeof(buf));
		json_array_append_new(list, json_string(buf));
	}
	sl_mgmt_respond_json(resp, 200, json_pack("{s:s, s:i, s:I, s:o}", "name", s->name,
						  "total", (int)total, "offset", (json_int_t)offset,
						  "entries", list));
}

/*
 * @p key's array of prefixes into @p out (room for its size); false with
 * a 422 naming the element answered.
 */
static bool parse_list(const json_t *body, const char *key, const struct sl_pset *s,
		       struct sl_pset_entry **out, uint32_t *n, struct sl_mgmt_response *resp)
{
	const json_t *a = json_object_get(body, key);
	*out = NULL;
	*n = 0;
	if (a == NULL)
		return true;
	if (!json_is_array(a)) {
		sl_mgmt_respond_problem(resp, 422, "Invalid set change", key,
					"%s: expected an array of prefixes", key);
		return false;
	}
	*out = malloc((json_array_size(a) + 1) * sizeof(**out));
	if (*out == NULL) {
		sl_mgmt_respond_problem(resp, 500, "Out of memory", NULL, "cannot hold the list");
		return false;
	}
	size_t i;
	const json_t *v;
	json_array_foreach(a, i, v) {
		const char *str = json_string_value(v);
		struct sl_pset_entry *e = &(*out)[i];
		int rc = str != NULL ? sl_pset_parse(str, e) : -EINVAL;
		char field[48];
		snprintf(field, sizeof(field), "%s[%zu]", key, i);
		const char *why = NULL;
		if (str == NULL)
			why = "expected a prefix string like \"198.51.100.0/24\"";
		else if (rc == -EDOM)
			why = "has host bits set";
		else if (rc == -ERANGE)
			why = "is a /0, every address (a rule without a set says that)";
		else if (rc != 0)
			why = "is not an IPv4 or IPv6 prefix";
		else if (e->af == SL_AF_INET ? s->max4 == 0 : s->max6 == 0)
			why = e->af == SL_AF_INET ? "is IPv4: the set holds none (max_ipv4 0)" :
						    "is IPv6: the set holds none (max_ipv6 0)";
		if (why != NULL) {
			sl_mgmt_respond_problem(resp, 422, "Invalid set change", field,
						"%s: %s%.64s%s %s", field, str != NULL ? "\"" : "",
						str != NULL ? str : "", str != NULL ? "\"" : "", why);
			free(*out);
			*out = NULL;
			return false;
		}
	}
	*n = (uint32_t)json_array_size(a);
	return true;
}

void sl_api_sets_change(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp,
			void *arg)
{
	struct sl_app *app = arg;
	int index;
	if (!set_of_path(app, req->path_rest, true, resp, &index))
		return;
	struct sl_pset *s = app->sets[index];
	bool replace = req->method == SL_HTTP_PUT;
	json_t *body = sl_api_body_json(req, resp);
	if (body == NULL)
		return;
	if (!json_is_object(body) || json_object_size(body) == 0) {
		sl_mgmt_respond_problem(resp, 422, "Invalid set change", NULL, "expected an object "
					"with %s", replace ? "\"entries\"" : "\"add\" and/or \"delete\"");
		json_decref(body);
		return;
	}
	static const char *const post_keys[] = {"add", "delete", NULL};
	static const char *const put_keys[] = {"entries", NULL};
	const char *const *keys = replace ? put_keys : post_keys;
	const char *key;
	json_t *v;
	json_object_foreach(body, key, v) {
		unsigned k;
		for (k = 0; keys[k] != NULL && strcmp(keys[k], key) != 0; k++)
			;
		if (keys[k] == NULL) {
			sl_mgmt_respond_problem(resp, 422, "Invalid set change", key,
						"%.32s: unknown key (%s)", key, replace ?
						"PUT takes \"entries\"" :
						"POST takes \"add\" and \"delete\"");
			json_decref(body);
			return;
		}
	}
	if (replace && json_object_get(body, "entries") == NULL) {
		sl_mgmt_respond_problem(resp, 422, "Invalid set change", "entries",
					"entries: required (the whole list; [] empties the set)");
		json_decref(body);
		return;
	}
	struct sl_pset_entry *add = NULL, *del = NULL;
	uint32_t n_add = 0, n_del = 0;
	bool ok = parse_list(body, replace ? "entries" : "add", s, &add, &n_add, resp) &&
		  (replace || parse_list(body, "delete", s, &del, &n_del, resp));
	json_decref(body);
	if (!ok) {
		free(add);
		return;
	}
	char err[256];
	struct sl_pset_outcome out;
	int rc = sl_pset_change(s, add, n_add, del, n_del, replace, &out, err, sizeof(err));
	free(add);
	free(del);
	if (rc == -ENOSPC) {
		sl_mgmt_respond_problem(resp, 409, "Set full", replace ? "entries" : "add",
					"%s (nothing was changed)", err);
		return;
	}
	if (rc != 0) {
		sl_mgmt_respond_problem(resp, 500, "Set not changed", NULL, "%s", err);
		return;
	}
	sl_mgmt_respond_json(resp, 200, json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i}",
		"name", s->name, "added", (int)out.added, "deleted", (int)out.deleted,
		"present", (int)out.present, "absent", (int)out.absent, "ipv4", (int)s->n4,
		"ipv6", (int)s->n6));
}

/* One sample per set and family of @p name: @p v4 and @p v6 of each set. */
static void per_family(struct sl_app *app, struct sl_buf *b, const char *name,
		       size_t v4, size_t v6)
{
	for (unsigned i = 0; i < app->cfg->n_sets; i++) {
		const struct sl_pset *s = app->sets[i];
		const char *l4[] = {"set", s->name, "family", "ipv4", NULL};
		const char *l6[] = {"set", s->name, "family", "ipv6", NULL};
		sl_metrics_sample_u64(b, name, NULL, l4, *(const uint32_t *)((const char *)s + v4));
		sl_metrics_sample_u64(b, name, NULL, l6, *(const uint32_t *)((const char *)s + v6));
	}
}

/* /metrics: per set (names come from the config: at most 32). */
void sl_metrics_render_sets(struct sl_app *app, struct sl_buf *b)
{
	const struct sl_config *cfg = app->cfg;
	if (cfg->n_sets == 0)
		return;
	sl_metrics_family(b, "sluice_set_entries", SL_METRIC_GAUGE,
			  "Prefixes a set holds, by family.");
	per_family(app, b, "sluice_set_entries", offsetof(struct sl_pset, n4),
		   offsetof(struct sl_pset, n6));
	sl_metrics_family(b, "sluice_set_capacity", SL_METRIC_GAUGE,
			  "Prefixes a set may hold, by family (max_ipv4, max_ipv6).");
	per_family(app, b, "sluice_set_capacity", offsetof(struct sl_pset, max4),
		   offsetof(struct sl_pset, max6));
	sl_metrics_family(b, "sluice_set_changes_total", SL_METRIC_COUNTER,
			  "Set entries added and deleted, and changes refused (full, out of "
			  "groups), since start.");
	for (unsigned i = 0; i < cfg->n_sets; i++) {
		const struct sl_pset *s = app->sets[i];
		const char *la[] = {"set", s->name, "op", "added", NULL};
		const char *ld[] = {"set", s->name, "op", "deleted", NULL};
		const char *lr[] = {"set", s->name, "op", "refused", NULL};
		sl_metrics_sample_u64(b, "sluice_set_changes_total", NULL, la, s->added);
		sl_metrics_sample_u64(b, "sluice_set_changes_total", NULL, ld, s->deleted);
		sl_metrics_sample_u64(b, "sluice_set_changes_total", NULL, lr, s->refused);
	}
	sl_metrics_family(b, "sluice_set_memory_bytes", SL_METRIC_GAUGE,
			  "Hugepage memory a set's lookup tables take.");
	for (unsigned i = 0; i < cfg->n_sets; i++) {
		const char *l[] = {"set", app->sets[i]->name, NULL};
		sl_metrics_sample_u64(b, "sluice_set_memory_bytes", NULL, l, app->sets[i]->table_bytes);
	}
}

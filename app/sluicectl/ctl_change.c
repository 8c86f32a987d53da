/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl commands around the configuration: config get/apply/diff and
 * routes add/del.
 *
 * Principles:
 *  - A configuration file is sent as written, byte for byte: it is only
 *    parsed locally to catch a syntax error with its line and column
 *    before anything goes over the wire. Validating the content is the
 *    server's job; it names the field.
 *  - "config get" prints the document itself in both modes, so
 *    `sluicectl config get > f; edit f; sluicectl config apply f` works.
 *  - "config diff" exits like diff(1): 0 same, 1 different, 2 trouble.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sluicectl.h"

#define FILE_MAX (64u << 20)   /* largest configuration file read, bytes */

/* Read all of @p f into a NUL-terminated heap buffer. */
static int slurp(FILE *f, char **out, size_t *out_len)
{
	size_t len = 0, cap = 0, n;
	char *buf = NULL, *grown;

	do {
		if (cap - len < 4096) {
			cap = cap != 0 ? cap * 2 : 65536;
			grown = cap <= FILE_MAX + 1 ? realloc(buf, cap) : NULL;
			if (grown == NULL) {
				free(buf);
				return cap > FILE_MAX + 1 ? -EFBIG : -ENOMEM;
			}
			buf = grown;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		free(buf);
		return -EIO;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}

/* Read @p path ("-" is stdin) and check it is JSON; an exit status. */
static int read_config_file(const char *path, char **text)
{
	bool std_in = strcmp(path, "-") == 0;
	FILE *f = std_in ? stdin : fopen(path, "r");
	json_error_t jerr;
	size_t len;
	json_t *doc;
	int rc;

	if (f == NULL) {
		fprintf(stderr, "sluicectl: cannot open %s: %s\n", path, strerror(errno));
		return CTL_EXIT_NOINPUT;
	}
	rc = slurp(f, text, &len);
	if (!std_in)
		fclose(f);
	if (rc != 0) {
		fprintf(stderr, "sluicectl: cannot read %s: %s\n", path, strerror(-rc));
		return CTL_EXIT_NOINPUT;
	}
	doc = json_loadb(*text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		fprintf(stderr, "sluicectl: %s:%d:%d: %s\n", path, jerr.line, jerr.column, jerr.text);
		free(*text);
		return CTL_EXIT_DATAERR;
	}
	json_decref(doc);
	return CTL_EXIT_OK;
}

int ctl_cmd_config_get(const struct ctl *c)
{
	struct ctl_answer a;
	int st = ctl_request(c, "GET", "/api/v1/config", NULL, 0, &a);

	if (st == CTL_EXIT_OK)
		ctl_print_json_text(stdout, a.raw, a.raw_len);
	ctl_answer_free(&a);
	return st;
}

/* One side of a change as a cell: strings bare, null "-", the rest JSON. */
static void value_cell(struct ctl_table *t, const json_t *v)
{
	char *s;

	if (json_is_string(v)) {
		ctl_table_text(t, json_string_length(v) != 0 ? json_string_value(v) : "\"\"");
		return;
	}
	s = v != NULL && !json_is_null(v) ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
	ctl_table_text(t, s);
	free(s);
}

static int print_changes(const json_t *changes)
{
	static const char *const head[] = { "PATH", "OLD", "NEW" };
	struct ctl_table *t = ctl_table_new(3, head);
	size_t i;
	json_t *ch;
	int rc;

	if (t == NULL)
		return CTL_EXIT_SOFTWARE;
	json_array_foreach(changes, i, ch) {
		ctl_table_row(t);
		ctl_table_text(t, json_string_value(json_object_get(ch, "path")));
		value_cell(t, json_object_get(ch, "old"));
		value_cell(t, json_object_get(ch, "new"));
	}
	rc = ctl_table_print(t, stdout);
	ctl_table_free(t);
	return rc == 0 ? CTL_EXIT_OK : CTL_EXIT_SOFTWARE;
}

/* The human summary of a PUT answer. */
static int print_put_answer(const json_t *ans, bool dry_run)
{
	const json_t *changes = json_object_get(ans, "changes");
	json_int_t gen = json_integer_value(json_object_get(ans, "generation"));
	size_t n = json_array_size(changes);

	if (dry_run && n == 0)
		printf("no changes against generation %" JSON_INTEGER_FORMAT "\n", gen);
	else if (dry_run)
		printf("%zu change%s against generation %" JSON_INTEGER_FORMAT "\n", n,
		       n == 1 ? "" : "s", gen);
	else if (n == 0)
		printf("generation %" JSON_INTEGER_FORMAT ": no changes\n", gen);
	else
		printf("generation %" JSON_INTEGER_FORMAT ": %zu change%s applied\n", gen, n,
		       n == 1 ? "" : "s");
	return n != 0 ? print_changes(changes) : CTL_EXIT_OK;
}

int ctl_cmd_config_put(const struct ctl *c, const char *file, bool dry_run)
{
	const char *path = dry_run ? "/api/v1/config?dry_run=true" : "/api/v1/config";
	struct ctl_answer a;
	char *text;
	int st = read_config_file(file, &text);

	if (st != CTL_EXIT_OK)
		return st;
	st = ctl_request(c, "PUT", path, text, 0, &a);
	free(text);
	if (st != CTL_EXIT_OK)
		return st;
	if (c->json)
		ctl_print_json_text(stdout, a.raw, a.raw_len);
	else
		st = print_put_answer(a.json, dry_run);
	if (st == CTL_EXIT_OK && dry_run && json_array_size(json_object_get(a.json, "changes")) != 0)
		st = CTL_EXIT_DIFF;
	ctl_answer_free(&a);
	return st;
}

/* Build the route object from "PREFIX [via A] [port N] [type T]". */
static int route_body(int argc, char **argv, json_t *route)
{
	static const char *const keys[] = { "via", "port", "type" };
	unsigned k;

	json_object_set_new(route, "prefix", json_string(argv[0]));
	for (int i = 1; i < argc; i += 2) {
		for (k = 0; k < 3 && strcmp(argv[i], keys[k]) != 0; k++)
			;
		if (k == 3)
			return ctl_usage_error("routes add: unknown keyword '%s'", argv[i]);
		if (i + 1 >= argc)
			return ctl_usage_error("routes add: '%s' needs a value", argv[i]);
		if (json_object_get(route, keys[k]) != NULL)
			return ctl_usage_error("routes add: '%s' given twice", argv[i]);
		json_object_set_new(route, keys[k], json_string(argv[i + 1]));
	}
	return CTL_EXIT_OK;
}

static void print_route_added(const json_t *ans)
{
	const json_t *r = json_object_get(ans, "route");
	const char *via = json_string_value(json_object_get(r, "via"));
	const char *port = json_string_value(json_object_get(r, "port"));
	const char *type = json_string_value(json_object_get(r, "type"));
	const char *prefix = json_string_value(json_object_get(r, "prefix"));
	char line[1024];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "added %s", prefix != NULL ? prefix : "?");
	if (via != NULL && n < sizeof(line))
		n += (size_t)snprintf(line + n, sizeof(line) - n, " via %s", via);
	if (port != NULL && n < sizeof(line))
		n += (size_t)snprintf(line + n, sizeof(line) - n, " port %s", port);
	if (type != NULL && n < sizeof(line))
		n += (size_t)snprintf(line + n, sizeof(line) - n, " (%s)", type);
	ctl_sanitize(line, sizeof(line), line);
	printf("%s, generation %" JSON_INTEGER_FORMAT "\n", line,
	       json_integer_value(json_object_get(ans, "generation")));
}

int ctl_cmd_route_add(const struct ctl *c, int argc, char **argv)
{
	json_t *route = json_object();
	struct ctl_answer a;
	char *body = NULL;
	int st = route != NULL ? route_body(argc, argv, route) : CTL_EXIT_SOFTWARE;

	if (st == CTL_EXIT_OK) {
		body = json_dumps(route, JSON_COMPACT);
		st = body != NULL ? ctl_request(c, "POST", "/api/v1/routes", body, 0, &a)
				  : CTL_EXIT_SOFTWARE;
	}
	json_decref(route);
	free(body);
	if (st != CTL_EXIT_OK)
		return st;
	if (c->json)
		ctl_print_json_text(stdout, a.raw, a.raw_len);
	else
		print_route_added(a.json);
	ctl_answer_free(&a);
	return CTL_EXIT_OK;
}

int ctl_cmd_route_del(const struct ctl *c, const char *prefix)
{
	char path[512] = "/api/v1/routes/", deleted[256];
	struct ctl_answer a;
	int st;

	if (prefix[0] == '\0' || ctl_path_escape(path, sizeof(path), prefix, true) != 0)
		return ctl_usage_error("routes del: '%s' is not a prefix", prefix);
	st = ctl_request(c, "DELETE", path, NULL, 0, &a);
	if (st != CTL_EXIT_OK)
		return st;
	if (c->json) {
		ctl_print_json_text(stdout, a.raw, a.raw_len);
	} else {
		ctl_sanitize(deleted, sizeof(deleted), json_string_value(json_object_get(a.json, "deleted")));
		printf("deleted %s, generation %" JSON_INTEGER_FORMAT "\n",
		       deleted[0] != '\0' ? deleted : prefix,
		       json_integer_value(json_object_get(a.json, "generation")));
	}
	ctl_answer_free(&a);
	return CTL_EXIT_OK;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl sets: named prefix sets and their entries.
 *
 *   sets                          every set: entries, sizes, memory
 *   sets show NAME                its prefixes, one per line
 *   sets add NAME PREFIX...       add prefixes
 *   sets del NAME PREFIX...       delete prefixes
 *   sets load NAME FILE|-         make the set exactly the file's prefixes
 *                                 (one per line; '#' starts a comment)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluicectl.h"

#define PAGE 100000

static int list(const struct ctl *c)
{
	static const char *const head[] = {"NAME", "IPV4", "IPV6", "MEMORY", "RULES", "EXEMPT"};
	struct ctl_answer a;
	bool done;
	int st = ctl_fetch(c, "/api/v1/sets", 0, &a, &done);
	if (done) {
		ctl_answer_free(&a);
		return st;
	}
	struct ctl_table *t = ctl_table_new(6, head);
	if (t != NULL)
		ctl_table_align_right(t, 3);
	size_t i;
	json_t *s;
	json_array_foreach(t != NULL ? json_object_get(a.json, "sets") : NULL, i, s) {
		json_t *v4 = json_object_get(s, "ipv4"), *v6 = json_object_get(s, "ipv6");
		json_int_t bytes = json_integer_value(json_object_get(json_object_get(s, "memory"),
								      "tables_bytes"));
		ctl_table_row(t);
		ctl_table_text(t, ctl_str(s, "name"));
		ctl_table_cell(t, "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT,
			       json_integer_value(json_object_get(v4, "entries")),
			       json_integer_value(json_object_get(v4, "max")));
		ctl_table_cell(t, "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT,
			       json_integer_value(json_object_get(v6, "entries")),
			       json_integer_value(json_object_get(v6, "max")));
		ctl_table_cell(t, "%.1f MiB", (double)bytes / (1024.0 * 1024.0));
		ctl_table_cell(t, "%" JSON_INTEGER_FORMAT,
			       json_integer_value(json_object_get(s, "acl_rules")));
		ctl_table_text(t, json_is_true(json_object_get(s, "exempt_from_blocks")) ? "yes" : "-");
	}
	st = ctl_table_finish(t);
	ctl_answer_free(&a);
	return st;
}

static int set_path(char *path, size_t len, const char *name, const char *tail)
{
	snprintf(path, len, "/api/v1/sets/");
	if (ctl_path_escape(path, len, name, false) != 0 || strlen(path) + strlen(tail) >= len)
		return ctl_usage_error("sets: '%s' is too long for a set name", name);
	strcat(path, tail);
	return CTL_EXIT_OK;
}

/* Every page of the entries; one prefix a line (or the pages as JSON). */
static int show(const struct ctl *c, const char *name)
{
	char base[160], path[224];
	if (set_path(base, sizeof(base), name, "/entries") != CTL_EXIT_OK)
		return CTL_EXIT_USAGE;
	for (json_int_t offset = 0;;) {
		snprintf(path, sizeof(path), "%s?offset=%" JSON_INTEGER_FORMAT "&limit=%d", base,
			 offset, PAGE);
		struct ctl_answer a;
		int st = ctl_request(c, "GET", path, NULL, 0, &a);
		if (st != CTL_EXIT_OK)
			return st;
		json_t *list = json_object_get(a.json, "entries");
		json_int_t total = json_integer_value(json_object_get(a.json, "total"));
		if (c->json) {
			ctl_print_json_text(stdout, a.raw, a.raw_len);
		} else {
			size_t i;
			json_t *e;
			json_array_foreach(list, i, e)
				printf("%s\n", json_string_value(e));
		}
		offset += (json_int_t)json_array_size(list);
		bool more = json_array_size(list) > 0 && offset < total;
		ctl_answer_free(&a);
		if (!more)
			return CTL_EXIT_OK;
	}
}

static int send_change(const struct ctl *c, const char *name, const char *method, json_t *body)
{
	char path[160];
	if (set_path(path, sizeof(path), name, "/entries") != CTL_EXIT_OK) {
		json_decref(body);
		return CTL_EXIT_USAGE;
	}
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (text == NULL)
		return CTL_EXIT_SOFTWARE;
	struct ctl_answer a;
	int st = ctl_request(c, method, path, text, 0, &a);
	free(text);
	if (st != CTL_EXIT_OK)
		return st;
	if (c->json)
		ctl_print_json_text(stdout, a.raw, a.raw_len);
	else
		printf("%s: %" JSON_INTEGER_FORMAT " added, %" JSON_INTEGER_FORMAT " deleted "
		       "(%" JSON_INTEGER_FORMAT " already there, %" JSON_INTEGER_FORMAT " not there); "
		       "now %" JSON_INTEGER_FORMAT " IPv4, %" JSON_INTEGER_FORMAT " IPv6\n",
		       ctl_str(a.json, "name"), json_integer_value(json_object_get(a.json, "added")),
		       json_integer_value(json_object_get(a.json, "deleted")),
		       json_integer_value(json_object_get(a.json, "present")),
		       json_integer_value(json_object_get(a.json, "absent")),
		       json_integer_value(json_object_get(a.json, "ipv4")),
		       json_integer_value(json_object_get(a.json, "ipv6")));
	ctl_answer_free(&a);
	return CTL_EXIT_OK;
}

static int change(const struct ctl *c, const char *name, const char *key, int argc, char **argv)
{
	json_t *list = json_array();
	for (int i = 0; list != NULL && i < argc; i++)
		json_array_append_new(list, json_string(argv[i]));
	json_t *body = json_object();
	if (body == NULL || list == NULL || json_object_set_new(body, key, list) != 0) {
		json_decref(body);
		return CTL_EXIT_SOFTWARE;
	}
	return send_change(c, name, "POST", body);
}

static int load(const struct ctl *c, const char *name, const char *file)
{
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	if (f == NULL)
		return ctl_usage_error("sets load: cannot read %s", file);
	json_t *list = json_array();
	char line[1024];
	unsigned lineno = 0;
	int st = CTL_EXIT_OK;
	while (list != NULL && st == CTL_EXIT_OK && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			st = ctl_usage_error("sets load: %s:%u: line too long", file, lineno);
			break;
		}
		char *hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		char *s = line + strspn(line, " \t\r\n");
		s[strcspn(s, " \t\r\n")] = '\0';
		if (s[0] == '\0')
			continue;
		json_t *v = json_string(s);
		if (v == NULL)
			st = ctl_usage_error("sets load: %s:%u: not text (UTF-8)", file, lineno);
		else
			json_array_append_new(list, v);
	}
	if (f != stdin)
		fclose(f);
	if (st != CTL_EXIT_OK) {
		json_decref(list);
		return st;
	}
	json_t *body = list != NULL ? json_pack("{s:o}", "entries", list) : NULL;
	if (body == NULL)
		return CTL_EXIT_SOFTWARE;
	return send_change(c, name, "PUT", body);
}

int ctl_cmd_sets(const struct ctl *c, int argc, char **argv)
{
	if (argc == 0)
		return list(c);
	if (strcmp(argv[0], "show") == 0 && argc == 2)
		return show(c, argv[1]);
	if (strcmp(argv[0], "add") == 0 && argc >= 3)
		return change(c, argv[1], "add", argc - 2, argv + 2);
	if (strcmp(argv[0], "del") == 0 && argc >= 3)
		return change(c, argv[1], "delete", argc - 2, argv + 2);
	if (strcmp(argv[0], "load") == 0 && argc == 3)
		return load(c, argv[1], argv[2]);
	return ctl_usage_error("sets: expected nothing, show NAME, add NAME PREFIX..., "
			       "del NAME PREFIX... or load NAME FILE");
}

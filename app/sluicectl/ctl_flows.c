/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl flows: the connection table.
 *
 *   flows [proto P] [state S] [address A] [port N]          list (one page)
 *   flows flush [proto P] [state S] [address A] [port N]    remove matching
 *
 * Filters are keyword/value pairs passed to the API as query arguments; the
 * server checks them and names a bad one.
 */
#include <stdio.h>
#include <string.h>

#include "sluicectl.h"

#define QUERY_MAX 512

static const char *const filter_keys[] = {"proto", "state", "address", "port"};

/* "/api/v1/flows?k=v&..." from keyword/value pairs; CTL_EXIT_OK or a usage error. */
static int build_path(char *out, size_t len, int argc, char **argv, const char *extra)
{
	size_t n = (size_t)snprintf(out, len, "/api/v1/flows");
	char sep = '?';
	if (argc % 2 != 0)
		return ctl_usage_error("flows: filters come in pairs (proto tcp, port 443, ...)");
	for (int i = 0; i < argc; i += 2) {
		unsigned k = 0;
		while (k < sizeof(filter_keys) / sizeof(filter_keys[0]) &&
		       strcmp(filter_keys[k], argv[i]) != 0)
			k++;
		if (k == sizeof(filter_keys) / sizeof(filter_keys[0]))
			return ctl_usage_error("flows: unknown filter '%s' (proto, state, address, port)",
					       argv[i]);
		char val[128] = "";
		if (ctl_path_escape(val, sizeof(val), argv[i + 1], false) < 0 || n >= len)
			return ctl_usage_error("flows: %s value too long", argv[i]);
		n += (size_t)snprintf(out + n, len - n, "%c%s=%s", sep, argv[i], val);
		sep = '&';
	}
	if (extra != NULL && n < len)
		n += (size_t)snprintf(out + n, len - n, "%c%s", sep, extra);
	return n < len ? CTL_EXIT_OK : ctl_usage_error("flows: filters too long");
}

/* "10.1.0.2:40000 > 10.2.0.2:80" */
static void endpoint_cell(struct ctl_table *t, const json_t *d)
{
	char s[64], dst[64];
	ctl_sanitize(s, sizeof(s), ctl_str(d, "src") ? ctl_str(d, "src") : "-");
	ctl_sanitize(dst, sizeof(dst), ctl_str(d, "dst") ? ctl_str(d, "dst") : "-");
	bool v6 = strchr(s, ':') != NULL;
	ctl_table_cell(t, v6 ? "[%s]:%" JSON_INTEGER_FORMAT " > [%s]:%" JSON_INTEGER_FORMAT :
			       "%s:%" JSON_INTEGER_FORMAT " > %s:%" JSON_INTEGER_FORMAT,
		       s, json_integer_value(json_object_get(d, "sport")), dst,
		       json_integer_value(json_object_get(d, "dport")));
}

int ctl_cmd_flows(const struct ctl *c, int argc, char **argv)
{
	static const char *const head[] = {"PROTO", "STATE", "ORIGINAL", "REPLY", "PACKETS",
					   "EXPIRES", "OWNER"};
	char path[QUERY_MAX];
	struct ctl_answer a;
	size_t i;
	json_t *f;
	int st = build_path(path, sizeof(path), argc, argv, "limit=1000");
	if (st != CTL_EXIT_OK)
		return st;
	bool done;
	st = ctl_fetch(c, path, 0, &a, &done);
	if (done) {
		ctl_answer_free(&a);
		return st;
	}
	struct ctl_table *t = ctl_table_new(7, head);
	if (t != NULL) {
		ctl_table_align_right(t, 4);
		ctl_table_align_right(t, 5);
	}
	json_array_foreach(t != NULL ? json_object_get(a.json, "flows") : NULL, i, f) {
		const json_t *o = json_object_get(f, "original"), *r = json_object_get(f, "reply");
		ctl_table_row(t);
		if (ctl_str(f, "protocol"))
			ctl_table_text(t, ctl_str(f, "protocol"));
		else
			ctl_table_cell(t, "%" JSON_INTEGER_FORMAT,
				       json_integer_value(json_object_get(f, "protocol_number")));
		ctl_table_text(t, ctl_str(f, "state"));
		endpoint_cell(t, o);
		endpoint_cell(t, r);
		ctl_table_cell(t, "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT,
			       json_integer_value(json_object_get(o, "packets")),
			       json_integer_value(json_object_get(r, "packets")));
		ctl_table_cell(t, "%.0fs", json_number_value(json_object_get(f, "expires_in_seconds")));
		ctl_table_cell(t, "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(f, "owner")));
	}
	st = ctl_table_finish(t);
	if (st == CTL_EXIT_OK && json_object_get(a.json, "next") != NULL)
		printf("(more: use --json and the API's cursor, or narrow the filter)\n");
	ctl_answer_free(&a);
	return st;
}

int ctl_cmd_flows_flush(const struct ctl *c, int argc, char **argv)
{
	char path[QUERY_MAX];
	struct ctl_answer a;
	int st = build_path(path, sizeof(path), argc, argv, NULL);
	if (st != CTL_EXIT_OK)
		return st;
	st = ctl_request(c, "DELETE", path, NULL, 0, &a);
	if (st != CTL_EXIT_OK)
		return st;
	if (c->json)
		ctl_print_json_text(stdout, a.raw, a.raw_len);
	else
		printf("marked %" JSON_INTEGER_FORMAT " connections for removal\n",
		       json_integer_value(json_object_get(a.json, "marked")));
	ctl_answer_free(&a);
	return CTL_EXIT_OK;
}

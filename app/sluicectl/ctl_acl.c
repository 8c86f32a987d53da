/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl acl: the rules in order with what each decided, then the
 * default for what no rule matched.
 */
#include <stdio.h>
#include <string.h>

#include "sluicectl.h"

static const char *const match_keys[] = {"in_port", "zone", "src", "dst", "proto", "sport",
					 "dport", "tcp_flags", "dscp"};

/* "proto=udp dport=9004", or "any". */
static void match_cell(struct ctl_table *t, const json_t *rule)
{
	char buf[512], val[96];
	size_t n = 0;
	buf[0] = '\0';
	for (size_t k = 0; k < sizeof(match_keys) / sizeof(match_keys[0]); k++) {
		const json_t *v = json_object_get(rule, match_keys[k]);
		if (v == NULL)
			continue;
		if (json_is_integer(v))
			snprintf(val, sizeof(val), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else
			ctl_sanitize(val, sizeof(val), json_string_value(v) ? json_string_value(v) : "?");
		int w = snprintf(buf + n, sizeof(buf) - n, "%s%s=%s", n ? " " : "", match_keys[k], val);
		if (w < 0 || (size_t)w >= sizeof(buf) - n)
			break;
		n += (size_t)w;
	}
	ctl_table_text(t, n ? buf : "any");
}

int ctl_cmd_acl(const struct ctl *c)
{
	static const char *const head[] = {"#", "NAME", "ACTION", "MATCH", "PACKETS", "BYTES"};
	struct ctl_answer a;
	bool done;
	int st = ctl_fetch(c, "/api/v1/acl", 0, &a, &done);
	if (done) {
		ctl_answer_free(&a);
		return st;
	}
	struct ctl_table *t = ctl_table_new(6, head);
	if (t != NULL) {
		ctl_table_align_right(t, 0);
		ctl_table_align_right(t, 4);
		ctl_table_align_right(t, 5);
	}
	size_t i;
	json_t *r;
	json_array_foreach(t != NULL ? json_object_get(a.json, "rules") : NULL, i, r) {
		const char *name = ctl_str(r, "name");
		ctl_table_row(t);
		ctl_table_cell(t, "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(r, "index")));
		ctl_table_text(t, name != NULL ? name : "-");
		ctl_table_text(t, ctl_str(r, "action"));
		match_cell(t, r);
		ctl_table_cell(t, "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(r, "packets")));
		ctl_table_cell(t, "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(r, "bytes")));
	}
	if (t != NULL) {
		ctl_table_row(t);
		ctl_table_text(t, "-");
		ctl_table_text(t, "(default)");
		ctl_table_text(t, ctl_str(a.json, "default"));
		ctl_table_text(t, "no rule matched");
		ctl_table_cell(t, "%" JSON_INTEGER_FORMAT,
			       json_integer_value(json_object_get(a.json, "default_packets")));
		ctl_table_cell(t, "%" JSON_INTEGER_FORMAT,
			       json_integer_value(json_object_get(a.json, "default_bytes")));
	}
	st = ctl_table_finish(t);
	ctl_answer_free(&a);
	return st;
}

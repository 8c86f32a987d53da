/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl services: load-balanced services, one row per backend.
 *
 *   services [NAME]
 */
#include <stdio.h>
#include <string.h>

#include "sluicectl.h"

/* "10.1.0.2:80", "[fd00::2]:80" */
static void addr_port_cell(struct ctl_table *t, const char *addr, json_int_t port, const char *tail)
{
	char a[64];
	ctl_sanitize(a, sizeof(a), addr != NULL ? addr : "-");
	ctl_table_cell(t, strchr(a, ':') != NULL ? "[%s]:%" JSON_INTEGER_FORMAT "%s" :
			  "%s:%" JSON_INTEGER_FORMAT "%s", a, port, tail);
}

int ctl_cmd_services(const struct ctl *c, const char *name)
{
	static const char *const head[] = {"SERVICE", "VIP", "SCHEDULER", "BACKEND", "HEALTH",
					   "WEIGHT", "CONNS", "OPENED"};
	char path[128], esc[96];
	struct ctl_answer a;
	size_t i, k;
	json_t *s, *b;
	if (name != NULL && ctl_path_escape(esc, sizeof(esc), name, false) < 0)
		return ctl_usage_error("services: name too long");
	snprintf(path, sizeof(path), "/api/v1/services%s%s", name ? "/" : "", name ? esc : "");
	bool done;
	int st = ctl_fetch(c, path, 0, &a, &done);
	if (done) {
		ctl_answer_free(&a);
		return st;
	}
	json_t *list = name != NULL ? json_pack("[O]", a.json) : json_incref(json_object_get(a.json,
												   "services"));
	struct ctl_table *t = ctl_table_new(8, head);
	if (t != NULL)
		for (unsigned col = 5; col < 8; col++)
			ctl_table_align_right(t, col);
	json_array_foreach(t != NULL ? list : NULL, i, s) {
		char tail[16];
		const char *proto = ctl_str(s, "proto");
		snprintf(tail, sizeof(tail), "/%s", proto != NULL ? proto : "-");
		json_array_foreach(json_object_get(s, "backends"), k, b) {
			ctl_table_row(t);
			ctl_table_text(t, ctl_str(s, "name"));
			addr_port_cell(t, ctl_str(s, "vip"), ctl_int(s, "port"), tail);
			ctl_table_text(t, ctl_str(s, "scheduler"));
			addr_port_cell(t, ctl_str(b, "address"), ctl_int(b, "port"), "");
			ctl_table_text(t, ctl_str(b, "health"));
			ctl_table_cell(t, "%" JSON_INTEGER_FORMAT, ctl_int(b, "weight"));
			ctl_table_cell(t, "%" JSON_INTEGER_FORMAT, ctl_int(b, "connections"));
			ctl_table_cell(t, "%" JSON_INTEGER_FORMAT, ctl_int(b, "opened"));
		}
	}
	st = ctl_table_finish(t);
	json_decref(list);
	ctl_answer_free(&a);
	return st;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl top: the sources with the most drops (or packets) in the
 * rate limiter's source table.
 *
 *   top [drops|packets]
 */
#include <stdio.h>
#include <string.h>

#include "sluicectl.h"

int ctl_cmd_top(const struct ctl *c, const char *by)
{
	static const char *const head[] = {"SOURCE", "LEVEL", "PACKETS", "BYTES", "DROPS", "CONNS",
					   "IDLE", "SCORE"};
	char path[96];
	struct ctl_answer a;
	bool done;
	if (by != NULL && strcmp(by, "drops") != 0 && strcmp(by, "packets") != 0)
		return ctl_usage_error("top: sort by drops or packets, not '%s'", by);
	snprintf(path, sizeof(path), "/api/v1/sources/top?by=%s&limit=20", by ? by : "drops");
	int st = ctl_fetch(c, path, 0, &a, &done);
	if (done) {
		ctl_answer_free(&a);
		return st;
	}
	struct ctl_table *t = ctl_table_new(8, head);
	if (t != NULL)
		for (unsigned col = 2; col < 8; col++)
			ctl_table_align_right(t, col);
	size_t i;
	json_t *s;
	json_array_foreach(t != NULL ? json_object_get(a.json, "sources") : NULL, i, s) {
		ctl_table_row(t);
		ctl_table_text(t, ctl_str(s, "source"));
		ctl_table_text(t, ctl_str(s, "level"));
		static const char *const counts[] = {"packets", "bytes", "drops", "connections"};
		for (unsigned k = 0; k < 4; k++)
			ctl_table_cell(t, "%" JSON_INTEGER_FORMAT,
				       json_integer_value(json_object_get(s, counts[k])));
		ctl_table_cell(t, "%.0fs", json_real_value(json_object_get(s, "idle_seconds")));
		ctl_table_cell(t, "%.0f", json_real_value(json_object_get(s, "score")));
	}
	st = ctl_table_finish(t);
	if (st == CTL_EXIT_OK && !c->json)
		printf("%" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT " sources tracked\n",
		       json_integer_value(json_object_get(a.json, "tracked")),
		       json_integer_value(json_object_get(a.json, "limit")));
	ctl_answer_free(&a);
	return st;
}

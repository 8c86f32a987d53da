/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl qos: each shaped port's classes with what they sent, dropped
 * and hold, one row a class (as `tc -s class show` lists them).
 *
 *   qos
 */
#include <stdio.h>

#include "sluicectl.h"

/* "100Mbit": a rate as tc prints it. */
static void rate_cell(struct ctl_table *t, json_int_t bps)
{
	static const char *const units[] = {"bit", "Kbit", "Mbit", "Gbit"};
	double v = (double)bps;
	unsigned u = 0;
	while (v >= 1000 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1000;
		u++;
	}
	ctl_table_cell(t, v == (double)(json_int_t)v ? "%.0f%s" : "%.1f%s", v, units[u]);
}

int ctl_cmd_qos(const struct ctl *c)
{
	static const char *const head[] = {"PORT", "CLASS", "PARENT", "RATE", "CEIL", "PRIO",
					   "PACKETS", "BYTES", "DROPS", "MARKS", "BACKLOG",
					   "SOJOURN P99"};
	struct ctl_answer a;
	bool done;
	int st = ctl_fetch(c, "/api/v1/qos", 0, &a, &done);
	if (done) {
		ctl_answer_free(&a);
		return st;
	}
	struct ctl_table *t = ctl_table_new(12, head);
	if (t != NULL)
		for (unsigned col = 3; col < 12; col++)
			ctl_table_align_right(t, col);
	size_t i, k;
	json_t *p, *cls;
	json_array_foreach(t != NULL ? json_object_get(a.json, "ports") : NULL, i, p) {
		json_array_foreach(json_object_get(p, "classes"), k, cls) {
			if (k == 0)
				continue;   /* the root: the port's rate, in its own column */
			json_int_t drops = 0;
			const char *reason;
			json_t *n;
			json_object_foreach(json_object_get(cls, "drops"), reason, n)
				drops += json_integer_value(n);
			ctl_table_row(t);
			ctl_table_text(t, ctl_str(p, "port"));
			ctl_table_text(t, ctl_str(cls, "name"));
			ctl_table_text(t, ctl_str(cls, "parent"));
			rate_cell(t, ctl_int(cls, "rate_bps"));
			rate_cell(t, ctl_int(cls, "ceil_bps"));
			ctl_table_cell(t, "%" JSON_INTEGER_FORMAT, ctl_int(cls, "prio"));
			ctl_table_cell(t, "%" JSON_INTEGER_FORMAT, ctl_int(cls, "packets"));
			ctl_table_cell(t, "%" JSON_INTEGER_FORMAT, ctl_int(cls, "bytes"));
			ctl_table_cell(t, "%" JSON_INTEGER_FORMAT, drops);
			ctl_table_cell(t, "%" JSON_INTEGER_FORMAT, ctl_int(cls, "ecn_marks"));
			ctl_table_cell(t, "%" JSON_INTEGER_FORMAT "p", ctl_int(cls, "backlog_packets"));
			ctl_table_cell(t, "%.0fus", json_number_value(json_object_get(cls,
										     "sojourn_p99_us")));
		}
	}
	st = ctl_table_finish(t);
	if (st == CTL_EXIT_OK && !c->json && json_array_size(json_object_get(a.json, "ports")) == 0)
		printf("no port is shaped (no \"qos\" section)\n");
	ctl_answer_free(&a);
	return st;
}

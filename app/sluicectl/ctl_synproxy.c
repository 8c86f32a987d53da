/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl syn-proxy: the services and port forwards behind the SYN
 * proxy, which are answering SYNs now, and the cookies counted.
 *
 *   syn-proxy
 */
#include <stdio.h>

#include "sluicectl.h"

int ctl_cmd_synproxy(const struct ctl *c)
{
	static const char *const head[] = {"TARGET", "MODE", "ANSWERING", "SYN/S", "ABOVE"};
	struct ctl_answer a;
	bool done;
	int st = ctl_fetch(c, "/api/v1/syn-proxy", 0, &a, &done);
	if (done) {
		ctl_answer_free(&a);
		return st;
	}
	struct ctl_table *t = ctl_table_new(5, head);
	if (t != NULL) {
		ctl_table_align_right(t, 3);
		ctl_table_align_right(t, 4);
	}
	size_t i;
	json_t *s;
	json_array_foreach(t != NULL ? json_object_get(a.json, "targets") : NULL, i, s) {
		bool is_auto = json_object_get(s, "above") != NULL;
		ctl_table_row(t);
		ctl_table_text(t, ctl_str(s, "target"));
		ctl_table_text(t, ctl_str(s, "mode"));
		ctl_table_text(t, json_is_true(json_object_get(s, "active")) ? "yes" : "no");
		if (is_auto) {
			ctl_table_cell(t, "%" JSON_INTEGER_FORMAT,
				       json_integer_value(json_object_get(s, "syn_rate")));
			ctl_table_cell(t, "%" JSON_INTEGER_FORMAT "/s",
				       json_integer_value(json_object_get(s, "above")));
		} else {
			ctl_table_text(t, "-");
			ctl_table_text(t, "-");
		}
	}
	st = ctl_table_finish(t);
	if (st == CTL_EXIT_OK && !c->json) {
		json_t *k = json_object_get(a.json, "cookies");
		printf("cookies: %" JSON_INTEGER_FORMAT " sent, %" JSON_INTEGER_FORMAT
		       " validated, %" JSON_INTEGER_FORMAT " invalid; %" JSON_INTEGER_FORMAT
		       " client packets waited too long\n",
		       json_integer_value(json_object_get(k, "sent")),
		       json_integer_value(json_object_get(k, "validated")),
		       json_integer_value(json_object_get(k, "invalid")),
		       json_integer_value(json_object_get(a.json, "waited_too_long")));
	}
	ctl_answer_free(&a);
	return st;
}

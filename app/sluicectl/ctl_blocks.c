/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl blocks: blocked sources, and blocks by hand.
 *
 *   blocks
 *   blocks add ADDRESS DURATION [REASON]
 *   blocks del ADDRESS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluicectl.h"

static int list(const struct ctl *c)
{
	static const char *const head[] = {"SOURCE", "CAUSE", "LEFT", "OFFENCES", "REASON"};
	struct ctl_answer a;
	bool done;
	int st = ctl_fetch(c, "/api/v1/blocks", 0, &a, &done);
	if (done) {
		ctl_answer_free(&a);
		return st;
	}
	struct ctl_table *t = ctl_table_new(5, head);
	if (t != NULL) {
		ctl_table_align_right(t, 2);
		ctl_table_align_right(t, 3);
	}
	size_t i;
	json_t *b;
	json_array_foreach(t != NULL ? json_object_get(a.json, "blocks") : NULL, i, b) {
		const char *reason = ctl_str(b, "reason");
		ctl_table_row(t);
		ctl_table_text(t, ctl_str(b, "source"));
		ctl_table_text(t, ctl_str(b, "cause"));
		ctl_table_cell(t, "%.0fs", json_real_value(json_object_get(b, "expires_in_seconds")));
		ctl_table_cell(t, "%" JSON_INTEGER_FORMAT,
			       json_integer_value(json_object_get(b, "offences")));
		ctl_table_text(t, reason != NULL && reason[0] != '\0' ? reason : "-");
	}
	st = ctl_table_finish(t);
	ctl_answer_free(&a);
	return st;
}

static int add(const struct ctl *c, const char *source, const char *duration, const char *reason)
{
	json_t *body = json_pack("{s:s, s:s}", "source", source, "duration", duration);
	if (body != NULL && reason != NULL)
		json_object_set_new(body, "reason", json_string(reason));
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (text == NULL)
		return CTL_EXIT_SOFTWARE;
	struct ctl_answer a;
	int st = ctl_request(c, "POST", "/api/v1/blocks", text, 0, &a);
	free(text);
	if (st != CTL_EXIT_OK)
		return st;
	if (c->json)
		ctl_print_json_text(stdout, a.raw, a.raw_len);
	else
		printf("blocked %s for %.0fs\n", ctl_str(a.json, "source"),
		       json_real_value(json_object_get(a.json, "expires_in_seconds")));
	ctl_answer_free(&a);
	return CTL_EXIT_OK;
}

static int del(const struct ctl *c, const char *source)
{
	char path[256] = "/api/v1/blocks/";
	if (ctl_path_escape(path, sizeof(path), source, false) != 0)
		return ctl_usage_error("blocks del: '%s' is too long", source);
	struct ctl_answer a;
	int st = ctl_request(c, "DELETE", path, NULL, 0, &a);
	if (st != CTL_EXIT_OK)
		return st;
	if (c->json)
		ctl_print_json_text(stdout, a.raw, a.raw_len);
	else
		printf("unblocked %s\n", ctl_str(a.json, "unblocked"));
	ctl_answer_free(&a);
	return CTL_EXIT_OK;
}

int ctl_cmd_blocks(const struct ctl *c, int argc, char **argv)
{
	if (argc == 0)
		return list(c);
	if (strcmp(argv[0], "add") == 0 && (argc == 3 || argc == 4))
		return add(c, argv[1], argv[2], argc == 4 ? argv[3] : NULL);
	if (strcmp(argv[0], "del") == 0 && argc == 2)
		return del(c, argv[1]);
	return ctl_usage_error("blocks: expected nothing, add ADDRESS DURATION [REASON] or "
			       "del ADDRESS");
}

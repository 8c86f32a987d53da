/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the parts of lib/mgmt that need no server: responses, route
 * matching, percent-decoding, token comparison and token files, buffers and
 * Prometheus text.
 *
 * Principles: case tables, each case with its exact result; the route table
 * is the one the server tests serve, so matching is checked on the same
 * routes the server uses.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "mgmt_fixture.h"
#include "mgmt_priv.h"
#include "sl_log.h"
#include "sl_mgmt.h"

/* ---- responses without a server ------------------------------------------ */

static void resp_setup(struct sl_mgmt_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	sl_buf_init(&resp->body);
}

static void test_respond_invalid_table(void **state)
{
	static const struct {
		const char *message;
		const char *field;      /* NULL: no "field" member */
	} cases[] = {
		{ "qos.classes[2].ceil: \"120%\" is above 100%", "qos.classes[2].ceil" },
		{ "a:b: c", "a:b" },
		{ "acl.rules[0]: ", "acl.rules[0]" },
		{ "config is not an object: x", NULL },
		{ "nocolon", NULL },
		{ "no:space", NULL },
		{ ": leading", NULL },
		{ "", NULL },
	};
	struct sl_mgmt_response resp;
	char want[512];

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		resp_setup(&resp);
		sl_mgmt_respond_invalid(&resp, 422, "Invalid configuration", cases[i].message);
		json_t *m = json_string(cases[i].message);
		char *esc = json_dumps(m, JSON_ENCODE_ANY);
		int n = snprintf(want, sizeof(want), "{\"type\":\"about:blank\",\"title\":"
				 "\"Invalid configuration\",\"status\":422,\"detail\":%s", esc);
		if (cases[i].field)
			n += snprintf(want + n, sizeof(want) - (size_t)n, ",\"field\":\"%s\"",
				      cases[i].field);
		snprintf(want + n, sizeof(want) - (size_t)n, "}");
		assert_string_equal(resp.body.data, want);
		assert_int_equal(resp.status, 422);
		assert_string_equal(resp.content_type, "application/problem+json");
		free(esc);
		json_decref(m);
		sl_buf_free(&resp.body);
	}
}

static void test_respond_problem_and_json(void **state)
{
	struct sl_mgmt_response resp;

	(void)state;
	resp_setup(&resp);
	sl_mgmt_respond_json(&resp, 200, json_pack("{s:[i,i]}", "a", 1, 2));
	assert_string_equal(resp.body.data, "{\"a\":[1,2]}");
	assert_string_equal(resp.content_type, "application/json");
	/* A problem replaces what was there; field and format args. */
	sl_mgmt_respond_problem(&resp, 409, "Conflict", "etag", "have %d, got %s", 3, "\"x\"");
	assert_string_equal(resp.body.data,
			    "{\"type\":\"about:blank\",\"title\":\"Conflict\",\"status\":409,"
			    "\"detail\":\"have 3, got \\\"x\\\"\",\"field\":\"etag\"}");
	assert_int_equal(resp.status, 409);
	/* Bytes that are not UTF-8 do not lose the document. */
	sl_mgmt_respond_problem(&resp, 400, "Bad Request", NULL, "%s", "bad \xff byte");
	assert_string_equal(resp.body.data,
			    "{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"status\":400,"
			    "\"detail\":\"bad ? byte\"}");
	assert_false(resp.body.oom);
	/* A NULL document (failed json_pack) is an allocation failure. */
	sl_mgmt_respond_json(&resp, 200, NULL);
	assert_true(resp.body.oom);
	sl_buf_free(&resp.body);
}

/* ---- routing without a server -------------------------------------------- */

static void test_route_match_table(void **state)
{
	static const struct {
		const char *method, *path;
		enum mgmt_match_kind kind;
		int route;              /* index into test_routes, -1 none */
		unsigned method_seen;
		const char *allow, *rest;
		bool auth;
	} cases[] = {
		{ "GET", "/healthz", MGMT_MATCH_OK, 0, SL_HTTP_GET, "GET", NULL, false },
		{ "HEAD", "/healthz", MGMT_MATCH_OK, 0, SL_HTTP_GET, "GET", NULL, false },
		{ "get", "/healthz", MGMT_MATCH_METHOD, -1, 0, "GET", NULL, false },
		{ "GET", "/healthz/", MGMT_MATCH_NONE, -1, SL_HTTP_GET, "", NULL, false },
		{ "GET", "/healthzz", MGMT_MATCH_NONE, -1, SL_HTTP_GET, "", NULL, false },
		{ "GET", "", MGMT_MATCH_NONE, -1, SL_HTTP_GET, "", NULL, false },
		{ "POST", "/api/v1/config", MGMT_MATCH_OK, 3, SL_HTTP_POST, "GET, POST", NULL, true },
		{ "PUT", "/api/v1/config", MGMT_MATCH_METHOD, -1, SL_HTTP_PUT, "GET, POST", NULL,
		  true },
		{ "DELETE", "/api/v1/routes/a/b", MGMT_MATCH_OK, 4, SL_HTTP_DELETE, "GET, DELETE",
		  "a/b", true },
		{ "GET", "/api/v1/routes/%41", MGMT_MATCH_OK, 4, SL_HTTP_GET, "GET, DELETE", "A",
		  true },
		{ "GET", "/api/v1/routes/%4", MGMT_MATCH_BAD_PATH, 4, SL_HTTP_GET, "GET, DELETE",
		  NULL, true },
		{ "GET", "/api/v1/routes", MGMT_MATCH_NONE, -1, SL_HTTP_GET, "", NULL, false },
		{ "GET", "/api/v1/routesX", MGMT_MATCH_NONE, -1, SL_HTTP_GET, "", NULL, false },
		{ "OPTIONS", "/echo", MGMT_MATCH_METHOD, -1, 0, "POST, PUT", NULL, false },
	};
	struct mgmt_match m;
	char rest[64], allow[64];

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum mgmt_match_kind k = sl_mgmt_route_match(test_routes, N_ROUTES, cases[i].method,
							     cases[i].path, rest, &m);
		assert_int_equal(k, cases[i].kind);
		assert_int_equal(m.kind, cases[i].kind);
		if (cases[i].route >= 0)
			assert_ptr_equal(m.route, &test_routes[cases[i].route]);
		else
			assert_null(m.route);
		assert_int_equal(m.method, cases[i].method_seen);
		sl_mgmt_allow_format(m.allow, allow, sizeof(allow));
		assert_string_equal(allow, cases[i].allow);
		assert_int_equal(m.auth, cases[i].auth);
		if (cases[i].rest != NULL)
			assert_string_equal(rest, cases[i].rest);
		else if (k == MGMT_MATCH_OK)
			assert_false(m.has_rest);
	}
	sl_mgmt_allow_format(SL_HTTP_GET | SL_HTTP_HEAD | SL_HTTP_POST | SL_HTTP_PUT |
			     SL_HTTP_DELETE, allow, sizeof(allow));
	assert_string_equal(allow, "GET, HEAD, POST, PUT, DELETE");
	sl_mgmt_allow_format(SL_HTTP_GET | SL_HTTP_POST, allow, 8);  /* cut, not overrun */
	assert_string_equal(allow, "GET");
}

static void test_pct_decode(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(sl_mgmt_pct_decode(out, "a%2Fb%2fc+d", 11), 7);
	assert_string_equal(out, "a/b/c+d");
	assert_int_equal(sl_mgmt_pct_decode(out, "%7e%7E", 6), 2);
	assert_string_equal(out, "~~");
	assert_int_equal(sl_mgmt_pct_decode(out, "", 0), 0);
	assert_string_equal(out, "");
	/* Only @p n bytes are looked at: "%41" cut to "%4" is truncated. */
	assert_int_equal(sl_mgmt_pct_decode(out, "%41", 2), -EINVAL);
	assert_int_equal(sl_mgmt_pct_decode(out, "x%", 2), -EINVAL);
	assert_int_equal(sl_mgmt_pct_decode(out, "%g0", 3), -EINVAL);
	assert_int_equal(sl_mgmt_pct_decode(out, "%0g", 3), -EINVAL);
	assert_int_equal(sl_mgmt_pct_decode(out, "%00", 3), -EINVAL);
	assert_int_equal(sl_mgmt_pct_decode(out, "%ff", 3), 1);
	assert_int_equal((unsigned char)out[0], 0xff);
}

/* ---- tokens --------------------------------------------------------------- */

static void test_token_equal_table(void **state)
{
	static const struct {
		const char *a, *b;
		bool eq;
	} cases[] = {
		{ "abc", "abc", true },
		{ "abc", "abd", false },
		{ "xbc", "abc", false },
		{ "ab", "abc", false },
		{ "abc", "ab", false },
		{ "", "abc", false },
		{ "abc", "", false },
		{ "", "", true },
		{ "ABC", "abc", false },
		{ "abc ", "abc", false },
		{ NULL, "abc", false },
		{ "abc", NULL, false },
		{ NULL, NULL, false },
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(sl_mgmt_token_equal(cases[i].a, cases[i].b), cases[i].eq);

	/* Long tokens that differ only in their last byte. */
	char a[257], b[257];
	memset(a, 'k', 256);
	memset(b, 'k', 256);
	a[256] = b[256] = '\0';
	assert_true(sl_mgmt_token_equal(a, b));
	b[255] = 'j';
	assert_false(sl_mgmt_token_equal(a, b));
	/* A prefix padded with what the fold uses (0) still differs. */
	b[255] = 'k';
	b[200] = '\0';
	assert_false(sl_mgmt_token_equal(a, b));
}

static char tmpdir[64];

static int tmpdir_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_mgmt.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static const char *const token_files[] = { "ok", "ro", "loose", "empty", "blank", "inner",
					    "eight", "max", "over" };

static int tmpdir_teardown(void **state)
{
	char path[128];

	(void)state;
	for (unsigned i = 0; i < sizeof(token_files) / sizeof(token_files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, token_files[i]);
		unlink(path);
	}
	return rmdir(tmpdir);
}

/* Write @p n bytes to a file in tmpdir with @p mode; returns its path. */
static const char *token_file(const char *name, const char *data, size_t n, mode_t mode)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static void test_token_file(void **state)
{
	char tok[64];
	const char *path;

	(void)state;
	path = token_file("ok", "s3cret\n", 7, 0600);
	assert_int_equal(sl_mgmt_token_file_read(path, tok, sizeof(tok)), 0);
	assert_string_equal(tok, "s3cret");
	path = token_file("ro", "  s3cret \r\n\t\n", 13, 0400);
	assert_int_equal(sl_mgmt_token_file_read(path, tok, sizeof(tok)), 0);
	assert_string_equal(tok, "s3cret");

	static const mode_t loose[] = { 0644, 0640, 0604, 0601, 0610, 0660 };
	for (unsigned i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
		path = token_file("loose", "s3cret\n", 7, loose[i]);
		strcpy(tok, "junk");
		assert_int_equal(sl_mgmt_token_file_read(path, tok, sizeof(tok)), -EPERM);
		assert_string_equal(tok, "");
	}
	assert_int_equal(sl_mgmt_token_file_read(tmpdir, tok, sizeof(tok)), -EPERM);

	path = token_file("empty", "", 0, 0600);
	assert_int_equal(sl_mgmt_token_file_read(path, tok, sizeof(tok)), -EINVAL);
	path = token_file("blank", " \n\n", 3, 0600);
	assert_int_equal(sl_mgmt_token_file_read(path, tok, sizeof(tok)), -EINVAL);
	path = token_file("inner", "two words\n", 10, 0600);
	assert_int_equal(sl_mgmt_token_file_read(path, tok, sizeof(tok)), -EINVAL);

	char missing[128];
	snprintf(missing, sizeof(missing), "%s/missing", tmpdir);
	assert_int_equal(sl_mgmt_token_file_read(missing, tok, sizeof(tok)), -ENOENT);
	assert_int_equal(sl_mgmt_token_file_read(NULL, tok, sizeof(tok)), -EINVAL);
	assert_int_equal(sl_mgmt_token_file_read(missing, tok, 1), -EINVAL);

	/* @p len - 1 bytes fit; one more does not. */
	path = token_file("eight", "12345678\n", 9, 0600);
	assert_int_equal(sl_mgmt_token_file_read(path, tok, 9), 0);
	assert_string_equal(tok, "12345678");
	assert_int_equal(sl_mgmt_token_file_read(path, tok, 8), -EINVAL);
	assert_string_equal(tok, "");

	/* The file itself may hold at most 4096 bytes. */
	static char huge[4098];
	static char out[4100];
	memset(huge, 'h', sizeof(huge));
	path = token_file("max", huge, 4096, 0600);
	assert_int_equal(sl_mgmt_token_file_read(path, out, sizeof(out)), 0);
	assert_int_equal(strlen(out), 4096);
	path = token_file("over", huge, 4097, 0600);
	assert_int_equal(sl_mgmt_token_file_read(path, out, sizeof(out)), -EINVAL);
}

/* ---- buffers and Prometheus text ---------------------------------------- */

static void test_buf(void **state)
{
	struct sl_buf b;

	(void)state;
	sl_buf_init(&b);
	assert_null(b.data);
	sl_buf_append(&b, "", 0);
	assert_string_equal(b.data, "");
	for (int i = 0; i < 1000; i++)
		sl_buf_append(&b, "0123456789", 10);
	assert_int_equal(b.len, 10000);
	assert_int_equal(b.cap, 16384);  /* 256 doubled */
	assert_int_equal(b.data[10000], '\0');
	assert_memory_equal(b.data + 9990, "0123456789", 10);
	sl_buf_free(&b);

	char big[600];
	memset(big, 'x', sizeof(big) - 1);
	big[599] = '\0';
	sl_buf_printf(&b, "<%s>", big);     /* longer than the first allocation */
	assert_int_equal(b.len, 601);
	assert_int_equal(b.data[0], '<');
	assert_int_equal(b.data[600], '>');
	sl_buf_printf(&b, "%d-%s", 42, "z");
	assert_int_equal(b.len, 605);
	assert_string_equal(b.data + 601, "42-z");
	assert_false(b.oom);

	/* An append that cannot be sized latches oom and changes nothing. */
	sl_buf_append(&b, "x", SIZE_MAX);
	assert_true(b.oom);
	assert_int_equal(b.len, 605);
	sl_buf_append(&b, "y", 1);
	sl_buf_printf(&b, "more");
	assert_int_equal(b.len, 605);
	assert_int_equal(b.data[605], '\0');
	sl_buf_free(&b);
	assert_false(b.oom);
	assert_int_equal(b.len, 0);
}

static void assert_text(struct sl_buf *b, const char *want)
{
	assert_false(b->oom);
	assert_string_equal(b->data, want);
	sl_buf_free(b);
}

static void test_metrics_family(void **state)
{
	struct sl_buf b;

	(void)state;
	sl_buf_init(&b);
	sl_metrics_family(&b, "sluice_drop_packets_total", SL_METRIC_COUNTER,
			  "Packets \"dropped\" \\ by\nreason");
	assert_text(&b, "# HELP sluice_drop_packets_total Packets \"dropped\" \\\\ by\\nreason\n"
			"# TYPE sluice_drop_packets_total counter\n");
	sl_metrics_family(&b, "g", SL_METRIC_GAUGE, "x");
	assert_text(&b, "# HELP g x\n# TYPE g gauge\n");
	sl_metrics_family(&b, "h_seconds", SL_METRIC_HISTOGRAM, "");
	assert_text(&b, "# HELP h_seconds \n# TYPE h_seconds histogram\n");
}

static void test_metrics_sample_labels(void **state)
{
	static const char *const labels[] = { "reason", "a\"b\\c\nd", "lcore", "1", NULL };
	static const char *const none[] = { NULL };
	static const char *const le[] = { "le", "+Inf", NULL };
	struct sl_buf b;

	(void)state;
	sl_buf_init(&b);
	sl_metrics_sample(&b, "sluice_x_total", NULL, labels, 5);
	assert_text(&b, "sluice_x_total{reason=\"a\\\"b\\\\c\\nd\",lcore=\"1\"} 5\n");
	sl_metrics_sample(&b, "up", NULL, NULL, 1);
	assert_text(&b, "up 1\n");
	sl_metrics_sample(&b, "up", NULL, none, 1);
	assert_text(&b, "up 1\n");
	sl_metrics_sample(&b, "h_seconds", "_bucket", le, 3);
	assert_text(&b, "h_seconds_bucket{le=\"+Inf\"} 3\n");
	sl_metrics_sample(&b, "h_seconds", "_sum", NULL, 0.25);
	assert_text(&b, "h_seconds_sum 0.25\n");
	sl_metrics_sample_u64(&b, "c_total", NULL, labels + 2, UINT64_MAX);
	assert_text(&b, "c_total{lcore=\"1\"} 18446744073709551615\n");
	sl_metrics_sample_u64(&b, "c_total", "_created", NULL, 0);
	assert_text(&b, "c_total_created 0\n");
}

static void test_metrics_values(void **state)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {
		{ 0.0, "0" },
		{ -0.0, "0" },
		{ 1.0, "1" },
		{ -42.0, "-42" },
		{ 1.5, "1.5" },
		{ 0.1, "0.1" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ 1.0 / 3.0, "0.3333333333333333" },
		{ 1e-9, "1e-09" },
		{ 123456789012.5, "123456789012.5" },
		{ 9007199254740991.0, "9007199254740991" },     /* 2^53 - 1 */
		{ -9007199254740991.0, "-9007199254740991" },
		{ 9007199254740992.0, "9007199254740992" },     /* 2^53: via %g */
		{ 1e21, "1e+21" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" },
		{ 5e-324, "4.94065645841247e-324" },
	};
	struct sl_buf b;
	char want[64];

	(void)state;
	sl_buf_init(&b);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sl_metrics_sample(&b, "m", NULL, NULL, cases[i].v);
		snprintf(want, sizeof(want), "m %s\n", cases[i].text);
		assert_text(&b, want);
		/* Whatever we print reads back as the same double. */
		assert_true(strtod(cases[i].text, NULL) == cases[i].v);
	}
	sl_metrics_sample(&b, "m", NULL, NULL, INFINITY);
	assert_text(&b, "m +Inf\n");
	sl_metrics_sample(&b, "m", NULL, NULL, -INFINITY);
	assert_text(&b, "m -Inf\n");
	sl_metrics_sample(&b, "m", NULL, NULL, NAN);
	assert_text(&b, "m NaN\n");
}

/* No server here; log messages below errors stay quiet, as in the server tests. */
static int quiet_setup(void **state)
{
	(void)state;
	sl_log_set_level(SL_LOG_ERR);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_respond_invalid_table),
		cmocka_unit_test(test_respond_problem_and_json),
		cmocka_unit_test(test_route_match_table),
		cmocka_unit_test(test_pct_decode),
		cmocka_unit_test(test_token_equal_table),
		cmocka_unit_test_setup_teardown(test_token_file, tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_metrics_family),
		cmocka_unit_test(test_metrics_sample_labels),
		cmocka_unit_test(test_metrics_values),
	};

	return cmocka_run_group_tests_name("mgmt_parts", tests, quiet_setup, NULL);
}

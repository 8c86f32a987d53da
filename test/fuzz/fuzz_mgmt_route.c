/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the management server's request-facing pure code:
 * route matching and percent-decoding of the request line, and the text a
 * hostile string can reach in problem documents and metric labels.
 *
 * Principles: every run checks invariants, not just "no crash": a match
 * agrees with the table, a decoded rest is never longer than its source nor
 * holds a NUL, a problem document always parses back as JSON, and an
 * escaped label value unescapes to the input.
 *
 * Input: "<method> <path>"; bytes after a NUL are ignored.
 * Build: clang -fsanitize=fuzzer,address,undefined with lib/mgmt sources.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt_priv.h"
#include "sl_mgmt.h"

static void h(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	(void)req;
	(void)resp;
	(void)arg;
}

static const struct sl_mgmt_route routes[] = {
	{ SL_HTTP_GET, "/healthz", h, 0 },
	{ SL_HTTP_GET, "/api/v1/config", h, SL_MGMT_AUTH },
	{ SL_HTTP_PUT | SL_HTTP_POST, "/api/v1/config", h, SL_MGMT_AUTH },
	{ SL_HTTP_GET | SL_HTTP_DELETE, "/api/v1/routes/*", h, SL_MGMT_AUTH },
	{ SL_HTTP_HEAD, "/api/v1/routes/special", h, 0 },
	{ SL_HTTP_POST, "/*", h, 0 },
};

#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

static void check_match(const char *method, const char *path)
{
	struct mgmt_match m;
	char *rest = malloc(strlen(path) + 1);
	char allow[64];

	assert(rest != NULL);
	enum mgmt_match_kind k = sl_mgmt_route_match(routes, N_ROUTES, method, path, rest, &m);
	assert(k == m.kind);
	sl_mgmt_allow_format(m.allow, allow, sizeof(allow));
	switch (k) {
	case MGMT_MATCH_NONE:
		assert(m.allow == 0 && m.route == NULL && allow[0] == '\0');
		break;
	case MGMT_MATCH_METHOD:
		assert(m.allow != 0 && m.route == NULL && allow[0] != '\0');
		break;
	case MGMT_MATCH_OK:
		assert(m.route != NULL && (m.route->methods & m.method) != 0);
		assert(m.auth == ((m.route->flags & SL_MGMT_AUTH) != 0));
		if (m.has_rest)
			assert(rest[0] != '\0' && strlen(rest) <= strlen(path));
		break;
	case MGMT_MATCH_BAD_PATH:
		assert(m.route != NULL && m.has_rest);
		break;
	}
	free(rest);
}

/* Undo Prometheus label escaping of @p s (between the quotes). */
static size_t unescape_label(const char *s, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			i++;
			out[o++] = s[i] == 'n' ? '\n' : s[i];
		} else {
			out[o++] = s[i];
		}
	}
	return o;
}

static void check_text(const char *s)
{
	struct sl_mgmt_response resp = { 0 };
	const char *labels[] = { "k", s, NULL };
	struct sl_buf b;

	sl_buf_init(&resp.body);
	sl_mgmt_respond_invalid(&resp, 422, "Invalid", s);
	json_t *j = json_loads(resp.body.data, 0, NULL);
	assert(j != NULL && json_is_string(json_object_get(j, "detail")));
	json_decref(j);
	sl_buf_free(&resp.body);

	sl_buf_init(&b);
	sl_metrics_sample_u64(&b, "m", NULL, labels, 1);
	assert(!b.oom && strncmp(b.data, "m{k=\"", 5) == 0);
	const char *end = b.data + b.len - strlen("\"} 1\n");
	assert(strcmp(end, "\"} 1\n") == 0);
	char *back = malloc(b.len);
	assert(back != NULL);
	size_t n = unescape_label(b.data + 5, (size_t)(end - b.data - 5), back);
	assert(n == strlen(s) && memcmp(back, s, n) == 0);
	free(back);
	sl_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1);
	assert(in != NULL);
	memcpy(in, data, size);
	in[size] = '\0';

	char *sp = strchr(in, ' ');
	if (sp != NULL) {
		*sp = '\0';
		check_match(in, sp + 1);
		*sp = ' ';
	}

	size_t n = strlen(in);
	char *dec = malloc(n + 1);
	assert(dec != NULL);
	long d = sl_mgmt_pct_decode(dec, in, n);
	assert(d == -EINVAL || (d >= 0 && (size_t)d <= n && strlen(dec) == (size_t)d));
	free(dec);

	check_text(in);
	free(in);
	return 0;
}

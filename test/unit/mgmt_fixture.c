/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared part of the lib/mgmt tests: test handlers and their route
 * table, the HTTP client and the server fixture (see mgmt_fixture.h).
 *
 * Principles: the client parses what it receives itself, byte by byte, so
 * a test compares status lines, headers and bodies exactly as sent; every
 * wait is bounded, so a broken server fails a test instead of hanging it.
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

/* ---- handlers ---------------------------------------------------------- */

unsigned handler_calls;

void h_health(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	(void)req;
	(void)arg;
	handler_calls++;
	sl_mgmt_respond_json(resp, 200, json_pack("{s:s}", "status", "ok"));
}

static void h_metrics(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	(void)req;
	(void)arg;
	handler_calls++;
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4";
	sl_buf_append(&resp->body, "up 1\n", 5);
}

static void h_config(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	handler_calls++;
	if (req->method == SL_HTTP_GET) {
		snprintf(resp->etag, sizeof(resp->etag), "\"gen-%d\"", *(int *)arg);
		sl_mgmt_respond_json(resp, 200, json_pack("{s:i}", "generation", *(int *)arg));
	} else {
		sl_mgmt_respond_json(resp, 202, json_pack("{s:s#}", "got", req->body,
							  (int)req->body_len));
	}
}

static void h_rest(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	(void)arg;
	handler_calls++;
	sl_mgmt_respond_json(resp, 200,
			     json_pack("{s:s,s:s,s:s}", "path", req->path, "rest", req->path_rest,
				       "method", req->method == SL_HTTP_DELETE ? "DELETE" : "GET"));
}

/* FNV-1a: a checksum for "the body arrived byte for byte". */
uint32_t fnv1a(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 16777619u;
	return h;
}

static void h_echo(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	char hash[16];

	(void)arg;
	handler_calls++;
	snprintf(hash, sizeof(hash), "%08x", fnv1a(req->body, req->body_len));
	sl_mgmt_respond_json(resp, 200, json_pack("{s:I,s:s,s:b,s:I}", "len",
						  (json_int_t)req->body_len, "fnv", hash, "nul",
						  req->body[req->body_len] == '\0', "strlen",
						  (json_int_t)strlen(req->body)));
}

static json_t *opt_string(const char *s)
{
	return s ? json_string(s) : json_null();
}

static void h_query(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	(void)arg;
	handler_calls++;
	json_t *o = json_object();
	json_object_set_new(o, "path", json_string(req->path));
	json_object_set_new(o, "dry_run", opt_string(sl_mgmt_request_query(req, "dry_run")));
	json_object_set_new(o, "flag", opt_string(sl_mgmt_request_query(req, "flag")));
	json_object_set_new(o, "x", opt_string(sl_mgmt_request_query(req, "x")));
	json_object_set_new(o, "missing", opt_string(sl_mgmt_request_query(req, "missing")));
	json_object_set_new(o, "hdr", opt_string(sl_mgmt_request_header(req, "x-test")));
	sl_mgmt_respond_json(resp, 200, o);
}

static void h_nothing(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	(void)req;
	(void)resp;
	(void)arg;
	handler_calls++;
}

static void h_badstatus(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp,
			void *arg)
{
	(void)req;
	(void)arg;
	handler_calls++;
	resp->status = 42;
}

static void h_badheader(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp,
			void *arg)
{
	(void)req;
	(void)arg;
	handler_calls++;
	sl_mgmt_respond_json(resp, 200, json_object());
	snprintf(resp->etag, sizeof(resp->etag), "\"a\"\r\nSet-Cookie: x=1");
}

/* What a handler sees when its own appends ran out of memory. */
static void h_oom(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	(void)req;
	(void)arg;
	handler_calls++;
	sl_mgmt_respond_json(resp, 200, json_object());
	resp->body.oom = true;
}

int generation = 7;

const struct sl_mgmt_route test_routes[] = {
	{ SL_HTTP_GET, "/healthz", h_health, 0 },
	{ SL_HTTP_GET, "/metrics", h_metrics, 0 },
	{ SL_HTTP_GET, "/api/v1/config", h_config, SL_MGMT_AUTH },
	{ SL_HTTP_POST, "/api/v1/config", h_config, SL_MGMT_AUTH },
	{ SL_HTTP_GET | SL_HTTP_DELETE, "/api/v1/routes/*", h_rest, SL_MGMT_AUTH },
	{ SL_HTTP_POST | SL_HTTP_PUT, "/echo", h_echo, 0 },
	{ SL_HTTP_POST, "/api/v1/upload", h_echo, SL_MGMT_AUTH },
	{ SL_HTTP_GET, "/query", h_query, 0 },
	{ SL_HTTP_GET, "/noresp", h_nothing, 0 },
	{ SL_HTTP_GET, "/badstatus", h_badstatus, 0 },
	{ SL_HTTP_GET, "/badheader", h_badheader, 0 },
	{ SL_HTTP_GET, "/oom", h_oom, 0 },
};

const size_t n_test_routes = sizeof(test_routes) / sizeof(test_routes[0]);

/* ---- a tiny HTTP client driven from this thread ------------------------ */

struct sl_mgmt_server *srv;

void resp_free(struct http_resp *r)
{
	free(r->raw);
	memset(r, 0, sizeof(*r));
}

const char *hdr(const struct http_resp *r, const char *name)
{
	for (unsigned i = 0; i < r->n_headers; i++)
		if (strcasecmp(r->names[i], name) == 0)
			return r->values[i];
	return NULL;
}

static void parse_headers(struct http_resp *r, const char *end)
{
	const char *p = strstr(r->raw, "\r\n");
	snprintf(r->status_line, sizeof(r->status_line), "%.*s", (int)(p - r->raw), r->raw);
	for (p += 2; p < end && r->n_headers < 32;) {
		const char *eol = strstr(p, "\r\n");
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		assert_non_null(colon);
		snprintf(r->names[r->n_headers], 64, "%.*s", (int)(colon - p), p);
		colon++;
		while (*colon == ' ')
			colon++;
		snprintf(r->values[r->n_headers], 256, "%.*s", (int)(eol - colon), colon);
		r->n_headers++;
		p = eol + 2;
	}
}

/* True once a whole response (headers + Content-Length bytes) is in. */
static bool resp_complete(struct http_resp *r, bool head)
{
	char *end = r->raw ? strstr(r->raw, "\r\n\r\n") : NULL;
	if (end == NULL)
		return false;
	size_t hlen = (size_t)(end - r->raw) + 4;
	r->n_headers = 0;
	parse_headers(r, end + 2);
	const char *cl = hdr(r, "Content-Length");
	size_t want = head || cl == NULL ? 0 : strtoul(cl, NULL, 10);
	if (r->len < hlen + want)
		return false;
	r->body = r->raw + hlen;
	r->body_len = want;
	return true;
}

static void recv_some(int fd, struct http_resp *r)
{
	char tmp[4096];

	for (;;) {
		ssize_t n = recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			r->closed = true;
			return;
		}
		if (n < 0)
			return;
		r->raw = realloc(r->raw, r->len + (size_t)n + 1);
		assert_non_null(r->raw);
		memcpy(r->raw + r->len, tmp, (size_t)n);
		r->len += (size_t)n;
		r->raw[r->len] = '\0';
	}
}

/* Send @p req on @p fd and read one response, polling the server; bounded
 * to about 10 s so a broken server fails the test instead of hanging it. */
void exchange_on(int fd, const char *req, size_t req_len, bool head, struct http_resp *r)
{
	size_t sent = 0;

	memset(r, 0, sizeof(*r));
	for (int i = 0; i < 5000; i++) {
		if (sent < req_len) {
			ssize_t n = send(fd, req + sent, req_len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				sent = req_len;    /* peer gone: just read what it said */
		}
		sl_mgmt_server_poll(srv, 2);
		recv_some(fd, r);
		if (resp_complete(r, head) || r->closed)
			break;
	}
	assert_true(resp_complete(r, head));
}

int client_open(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(sl_mgmt_server_port(srv)) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Loopback: the kernel completes the handshake from the listen
	 * backlog, so a blocking connect returns before the server polls. */
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

void exchange(const char *req, size_t len, bool head, struct http_resp *r)
{
	int fd = client_open();
	exchange_on(fd, req, len, head, r);
	close(fd);
}

/* Request @p method @p target with optional extra header lines and body. */
void request(const char *method, const char *target, const char *headers,
	     const char *body, size_t body_len, struct http_resp *r)
{
	size_t cap = 1024 + body_len;
	char *req = malloc(cap);
	assert_non_null(req);
	int n = snprintf(req, cap, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s", method, target,
			 headers ? headers : "");
	if (body != NULL)
		n += snprintf(req + n, cap - (size_t)n, "Content-Length: %zu\r\n", body_len);
	n += snprintf(req + n, cap - (size_t)n, "\r\n");
	if (body != NULL)
		memcpy(req + n, body, body_len);
	exchange(req, (size_t)n + (body ? body_len : 0), strcmp(method, "HEAD") == 0, r);
	free(req);
}

void assert_body(const struct http_resp *r, const char *want)
{
	char *got = strndup(r->body, r->body_len);
	assert_string_equal(got, want);
	free(got);
}

void assert_problem(const struct http_resp *r, const char *status_line, const char *body)
{
	assert_string_equal(r->status_line, status_line);
	assert_string_equal(hdr(r, "Content-Type"), "application/problem+json");
	assert_body(r, body);
}

/* ---- server fixtures ----------------------------------------------------- */

int server_setup(void **state)
{
	struct sl_mgmt_server_params p = {
		.listen_addr = "127.0.0.1",
		.port = 0,
		.token = TOKEN,
		.connection_limit = 8,
		.per_ip_limit = 8,
		.timeout_s = 5,
		.memory_limit = 32 * 1024,
		.max_body = MAX_BODY,
		.routes = test_routes,
		.n_routes = N_ROUTES,
		.handler_arg = &generation,
	};

	(void)state;
	sl_log_set_level(SL_LOG_ERR);
	srv = sl_mgmt_server_start(&p);
	return srv == NULL ? -1 : 0;
}

int server_teardown(void **state)
{
	(void)state;
	sl_mgmt_server_stop(srv);
	srv = NULL;
	return 0;
}

/* Each test starts with the configured token. */
int token_reset(void **state)
{
	(void)state;
	handler_calls = 0;
	return sl_mgmt_server_set_token(srv, TOKEN);
}


/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/mgmt contract tests.
 *
 * Principles: the server is exercised for real: a daemon on 127.0.0.1 with
 * an ephemeral port, and a plain TCP client in the same thread that writes
 * raw HTTP/1.1 and drives the server by calling sl_mgmt_server_poll()
 * between non-blocking sends and receives. Status lines, headers and bodies
 * are compared byte for byte. The pure parts (routing, token handling,
 * Prometheus text, buffers) are checked with case tables.
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

#include "mgmt_priv.h"
#include "sl_log.h"
#include "sl_mgmt.h"

#define TOKEN "s3cret-token"
#define MAX_BODY 1024

/* ---- handlers ---------------------------------------------------------- */

static unsigned handler_calls;

static void h_health(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
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
static uint32_t fnv1a(const char *p, size_t n)
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

static int generation = 7;

static const struct sl_mgmt_route test_routes[] = {
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

#define N_ROUTES (sizeof(test_routes) / sizeof(test_routes[0]))

/* ---- a tiny HTTP client driven from this thread ------------------------ */

struct http_resp {
	char *raw;
	size_t len;
	char status_line[128];
	const char *body;
	size_t body_len;
	bool closed;            /* the server closed the connection */
	char names[32][64];
	char values[32][256];
	unsigned n_headers;
};

static struct sl_mgmt_server *srv;

static void resp_free(struct http_resp *r)
{
	free(r->raw);
	memset(r, 0, sizeof(*r));
}

static const char *hdr(const struct http_resp *r, const char *name)
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
static void exchange_on(int fd, const char *req, size_t req_len, bool head, struct http_resp *r)
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

static int client_open(void)
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

static void exchange(const char *req, size_t len, bool head, struct http_resp *r)
{
	int fd = client_open();
	exchange_on(fd, req, len, head, r);
	close(fd);
}

/* Request @p method @p target with optional extra header lines and body. */
static void request(const char *method, const char *target, const char *headers,
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

static void assert_body(const struct http_resp *r, const char *want)
{
	char *got = strndup(r->body, r->body_len);
	assert_string_equal(got, want);
	free(got);
}

static void assert_problem(const struct http_resp *r, const char *status_line, const char *body)
{
	assert_string_equal(r->status_line, status_line);
	assert_string_equal(hdr(r, "Content-Type"), "application/problem+json");
	assert_body(r, body);
}

#define AUTH_HDR "Authorization: Bearer " TOKEN "\r\n"

/* ---- server fixtures ----------------------------------------------------- */

static int server_setup(void **state)
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

static int server_teardown(void **state)
{
	(void)state;
	sl_mgmt_server_stop(srv);
	srv = NULL;
	return 0;
}

/* Each test starts with the configured token. */
static int token_reset(void **state)
{
	(void)state;
	handler_calls = 0;
	return sl_mgmt_server_set_token(srv, TOKEN);
}

/* ---- server tests ----------------------------------------------------- */

static void test_port_bound(void **state)
{
	(void)state;
	assert_true(sl_mgmt_server_port(srv) != 0);
	assert_int_equal(sl_mgmt_server_port(NULL), 0);
}

static void test_get_ok(void **state)
{
	struct http_resp r;

	(void)state;
	request("GET", "/healthz", NULL, NULL, 0, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 200 OK");
	assert_string_equal(hdr(&r, "Content-Type"), "application/json");
	assert_string_equal(hdr(&r, "Content-Length"), "15");
	assert_null(hdr(&r, "Cache-Control"));
	assert_null(hdr(&r, "ETag"));
	assert_null(hdr(&r, "Allow"));
	assert_body(&r, "{\"status\":\"ok\"}");
	assert_int_equal(handler_calls, 1);
	resp_free(&r);

	request("GET", "/metrics", NULL, NULL, 0, &r);
	assert_string_equal(hdr(&r, "Content-Type"), "text/plain; version=0.0.4");
	assert_body(&r, "up 1\n");
	resp_free(&r);
}

static void test_not_found(void **state)
{
	struct http_resp r;

	(void)state;
	request("GET", "/nope", NULL, NULL, 0, &r);
	assert_problem(&r, "HTTP/1.1 404 Not Found",
		       "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,"
		       "\"detail\":\"no route for /nope\"}");
	assert_null(hdr(&r, "Cache-Control"));
	resp_free(&r);

	/* No trailing-slash normalisation; /api/ problems are not cached. */
	request("GET", "/healthz/", NULL, NULL, 0, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 404 Not Found");
	resp_free(&r);
	request("GET", "/api/v1/nope", NULL, NULL, 0, &r);
	assert_problem(&r, "HTTP/1.1 404 Not Found",
		       "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,"
		       "\"detail\":\"no route for /api/v1/nope\"}");
	assert_string_equal(hdr(&r, "Cache-Control"), "no-store");
	resp_free(&r);

	/* A "/ *" pattern needs a non-empty rest. */
	request("GET", "/api/v1/routes/", AUTH_HDR, NULL, 0, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 404 Not Found");
	resp_free(&r);
	assert_int_equal(handler_calls, 0);
}

static void test_method_not_allowed(void **state)
{
	struct http_resp r;

	(void)state;
	request("POST", "/healthz", NULL, "x", 1, &r);
	assert_problem(&r, "HTTP/1.1 405 Method Not Allowed",
		       "{\"type\":\"about:blank\",\"title\":\"Method Not Allowed\",\"status\":405,"
		       "\"detail\":\"method POST is not allowed; allowed: GET\"}");
	assert_string_equal(hdr(&r, "Allow"), "GET");
	resp_free(&r);

	/* Two routes on one path: Allow is their union, in fixed order. */
	request("PUT", "/api/v1/config", AUTH_HDR, "{}", 2, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 405 Method Not Allowed");
	assert_string_equal(hdr(&r, "Allow"), "GET, POST");
	assert_string_equal(hdr(&r, "Cache-Control"), "no-store");
	resp_free(&r);

	/* Methods sluice does not know are 405 too, not 404. */
	request("PATCH", "/echo", NULL, NULL, 0, &r);
	assert_problem(&r, "HTTP/1.1 405 Method Not Allowed",
		       "{\"type\":\"about:blank\",\"title\":\"Method Not Allowed\",\"status\":405,"
		       "\"detail\":\"method PATCH is not allowed; allowed: POST, PUT\"}");
	assert_string_equal(hdr(&r, "Allow"), "POST, PUT");
	resp_free(&r);
	assert_int_equal(handler_calls, 0);
}

static void test_auth(void **state)
{
	static const struct {
		const char *headers;
		const char *detail;
	} bad[] = {
		{ NULL, "missing bearer token" },
		{ "Authorization: Basic czNjcmV0LXRva2Vu\r\n", "missing bearer token" },
		{ "Authorization: Bearer wrong\r\n", "invalid bearer token" },
		{ "Authorization: Bearer " TOKEN "x\r\n", "invalid bearer token" },
		{ "Authorization: Bearer s3cret-toke\r\n", "invalid bearer token" },
		{ "Authorization: Bearer S3CRET-TOKEN\r\n", "invalid bearer token" },
	};
	struct http_resp r;
	char want[256];

	(void)state;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		request("GET", "/api/v1/config", bad[i].headers, NULL, 0, &r);
		snprintf(want, sizeof(want),
			 "{\"type\":\"about:blank\",\"title\":\"Unauthorized\",\"status\":401,"
			 "\"detail\":\"%s\"}", bad[i].detail);
		assert_problem(&r, "HTTP/1.1 401 Unauthorized", want);
		assert_string_equal(hdr(&r, "WWW-Authenticate"), "Bearer realm=\"sluice\"");
		assert_string_equal(hdr(&r, "Cache-Control"), "no-store");
		resp_free(&r);
	}
	assert_int_equal(handler_calls, 0);

	/* The right token; the scheme name is case-insensitive. */
	request("GET", "/api/v1/config", AUTH_HDR, NULL, 0, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 200 OK");
	assert_string_equal(hdr(&r, "ETag"), "\"gen-7\"");
	assert_string_equal(hdr(&r, "Cache-Control"), "no-store");
	assert_null(hdr(&r, "WWW-Authenticate"));
	assert_body(&r, "{\"generation\":7}");
	resp_free(&r);
	request("GET", "/api/v1/config", "Authorization: bearer " TOKEN "\r\n", NULL, 0, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 200 OK");
	resp_free(&r);

	/* Routes without the flag never ask. */
	request("GET", "/healthz", "Authorization: Bearer wrong\r\n", NULL, 0, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 200 OK");
	resp_free(&r);
	assert_int_equal(handler_calls, 3);
}

static void test_auth_before_method(void **state)
{
	struct http_resp r;

	(void)state;
	request("DELETE", "/api/v1/config", NULL, NULL, 0, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 401 Unauthorized");
	assert_null(hdr(&r, "Allow"));
	resp_free(&r);
	request("DELETE", "/api/v1/config", AUTH_HDR, NULL, 0, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 405 Method Not Allowed");
	assert_string_equal(hdr(&r, "Allow"), "GET, POST");
	resp_free(&r);
}

static void test_set_token(void **state)
{
	struct http_resp r;

	(void)state;
	assert_int_equal(sl_mgmt_server_set_token(srv, ""), -EINVAL);
	assert_int_equal(sl_mgmt_server_set_token(NULL, "x"), -EINVAL);
	assert_int_equal(sl_mgmt_server_set_token(srv, "other"), 0);
	request("GET", "/api/v1/config", AUTH_HDR, NULL, 0, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 401 Unauthorized");
	resp_free(&r);
	request("GET", "/api/v1/config", "Authorization: Bearer other\r\n", NULL, 0, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 200 OK");
	resp_free(&r);

	/* NULL turns auth off. */
	assert_int_equal(sl_mgmt_server_set_token(srv, NULL), 0);
	request("GET", "/api/v1/config", NULL, NULL, 0, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 200 OK");
	resp_free(&r);
}

static void test_path_rest(void **state)
{
	static const char *const targets[] = {
		"/api/v1/routes/10.0.0.0%2F8",
		"/api/v1/routes/10.0.0.0/8",
		"/api/v1/routes/10.0.0.0%2f8?x=1",
	};
	struct http_resp r;

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		request("GET", targets[i], AUTH_HDR, NULL, 0, &r);
		assert_string_equal(r.status_line, "HTTP/1.1 200 OK");
		char want[256];
		size_t plen = strcspn(targets[i], "?");
		snprintf(want, sizeof(want),
			 "{\"path\":\"%.*s\",\"rest\":\"10.0.0.0/8\",\"method\":\"GET\"}",
			 (int)plen, targets[i]);
		assert_body(&r, want);
		resp_free(&r);
	}
	request("DELETE", "/api/v1/routes/a%20b%25c", AUTH_HDR, NULL, 0, &r);
	assert_body(&r, "{\"path\":\"/api/v1/routes/a%20b%25c\",\"rest\":\"a b%c\","
			"\"method\":\"DELETE\"}");
	resp_free(&r);

	/* Malformed escapes, and %00 which a C string cannot carry. */
	static const char *const bad[] = { "/api/v1/routes/a%2", "/api/v1/routes/a%zz",
					   "/api/v1/routes/a%00b" };
	for (unsigned i = 0; i < 3; i++) {
		request("GET", bad[i], AUTH_HDR, NULL, 0, &r);
		assert_problem(&r, "HTTP/1.1 400 Bad Request",
			       "{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"status\":400,"
			       "\"detail\":\"malformed percent-encoding in path\"}");
		resp_free(&r);
	}
	assert_int_equal(handler_calls, 4);
}

static void test_query_and_headers(void **state)
{
	struct http_resp r;

	(void)state;
	request("GET", "/query?dry_run=1&flag&x=a%20b%2Bc", "X-Test: hello\r\n", NULL, 0, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 200 OK");
	assert_body(&r, "{\"path\":\"/query\",\"dry_run\":\"1\",\"flag\":\"\",\"x\":\"a b+c\","
			"\"missing\":null,\"hdr\":\"hello\"}");
	resp_free(&r);

	request("GET", "/query", NULL, NULL, 0, &r);
	assert_body(&r, "{\"path\":\"/query\",\"dry_run\":null,\"flag\":null,\"x\":null,"
			"\"missing\":null,\"hdr\":null}");
	resp_free(&r);

	/* Without a connection (a handler called directly) nothing is found. */
	struct sl_mgmt_request req = { .method = SL_HTTP_GET, .path = "/", .body = "" };
	assert_null(sl_mgmt_request_query(&req, "x"));
	assert_null(sl_mgmt_request_header(&req, "Host"));
}

static void test_head(void **state)
{
	struct http_resp r;

	(void)state;
	request("HEAD", "/healthz", NULL, NULL, 0, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 200 OK");
	assert_string_equal(hdr(&r, "Content-Length"), "15");
	assert_string_equal(hdr(&r, "Content-Type"), "application/json");
	assert_int_equal(r.body_len, 0);
	resp_free(&r);
	assert_int_equal(handler_calls, 1);

	/* HEAD on a POST-only path is 405 (GET is not there to stand in). */
	request("HEAD", "/echo", NULL, NULL, 0, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 405 Method Not Allowed");
	assert_string_equal(hdr(&r, "Allow"), "POST, PUT");
	resp_free(&r);

	/* And a GET route reached with HEAD sees GET. */
	request("HEAD", "/api/v1/routes/x", AUTH_HDR, NULL, 0, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 200 OK");
	assert_string_equal(hdr(&r, "Content-Length"),
			    "53"); /* {"path":"/api/v1/routes/x","rest":"x","method":"GET"} */
	resp_free(&r);
}

static void test_body_intact(void **state)
{
	char body[MAX_BODY];
	char want[128];
	struct http_resp r;

	(void)state;
	for (unsigned i = 0; i < sizeof(body); i++)
		body[i] = (char)(i % 255 + 1);   /* every byte but 0 */
	body[300] = '\0';    /* binary-safe: body_len counts past the NUL */
	request("POST", "/echo", NULL, body, sizeof(body), &r);
	assert_string_equal(r.status_line, "HTTP/1.1 200 OK");
	snprintf(want, sizeof(want), "{\"len\":%u,\"fnv\":\"%08x\",\"nul\":true,\"strlen\":300}",
		 MAX_BODY, fnv1a(body, sizeof(body)));
	assert_body(&r, want);
	resp_free(&r);

	/* No body: "" with length 0. */
	request("POST", "/echo", NULL, "", 0, &r);
	assert_body(&r, "{\"len\":0,\"fnv\":\"811c9dc5\",\"nul\":true,\"strlen\":0}");
	resp_free(&r);

	/* Chunked upload, reassembled. */
	static const char chunked[] = "PUT /echo HTTP/1.1\r\nHost: x\r\n"
				      "Transfer-Encoding: chunked\r\n\r\n"
				      "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n";
	exchange(chunked, sizeof(chunked) - 1, false, &r);
	snprintf(want, sizeof(want), "{\"len\":7,\"fnv\":\"%08x\",\"nul\":true,\"strlen\":7}",
		 fnv1a("abcdefg", 7));
	assert_body(&r, want);
	resp_free(&r);
	assert_int_equal(handler_calls, 3);
}

#define TOO_LARGE "{\"type\":\"about:blank\",\"title\":\"Content Too Large\",\"status\":413," \
		  "\"detail\":\"request body exceeds 1024 bytes\"}"

static void test_too_large(void **state)
{
	static char big[MAX_BODY * 64];
	struct http_resp r;

	(void)state;
	memset(big, 'a', sizeof(big));
	/* Declared length one past the limit: refused before the body. */
	request("POST", "/echo", NULL, big, MAX_BODY + 1, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 413 Content Too Large");
	assert_problem(&r, r.status_line, TOO_LARGE);
	resp_free(&r);
	request("POST", "/echo", NULL, big, sizeof(big), &r);
	assert_problem(&r, "HTTP/1.1 413 Content Too Large", TOO_LARGE);
	resp_free(&r);
	assert_int_equal(handler_calls, 0);

	/* Chunked, so only counted while streaming: still 413, handler not run. */
	char req[4096];
	int n = snprintf(req, sizeof(req), "POST /echo HTTP/1.1\r\nHost: x\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n");
	for (int i = 0; i < 3; i++)
		n += snprintf(req + n, sizeof(req) - (size_t)n, "200\r\n%.512s\r\n", big);
	n += snprintf(req + n, sizeof(req) - (size_t)n, "0\r\n\r\n");
	exchange(req, (size_t)n, false, &r);
	assert_problem(&r, "HTTP/1.1 413 Content Too Large", TOO_LARGE);
	resp_free(&r);
	assert_int_equal(handler_calls, 0);

	/* Exactly at the limit is fine. */
	request("POST", "/echo", NULL, big, MAX_BODY, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 200 OK");
	resp_free(&r);
	assert_int_equal(handler_calls, 1);
}

static void test_auth_before_body(void **state)
{
	static char big[MAX_BODY * 64];
	struct http_resp r;

	(void)state;
	/* A large upload without the token hears 401, not 413. */
	request("POST", "/api/v1/upload", NULL, big, sizeof(big), &r);
	assert_string_equal(r.status_line, "HTTP/1.1 401 Unauthorized");
	resp_free(&r);
	request("POST", "/api/v1/upload", AUTH_HDR, big, sizeof(big), &r);
	assert_string_equal(r.status_line, "HTTP/1.1 413 Content Too Large");
	resp_free(&r);
	request("POST", "/api/v1/upload", AUTH_HDR, "hi", 2, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 200 OK");
	resp_free(&r);
	assert_int_equal(handler_calls, 1);
}

/* A client that waits for "100 Continue" hears the refusal instead and never
 * sends its body. */
static void test_expect_continue(void **state)
{
	static const char big[] = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n"
				  "Expect: 100-continue\r\n\r\n";
	static const char anon[] = "POST /api/v1/upload HTTP/1.1\r\nHost: x\r\n"
				   "Content-Length: 10\r\nExpect: 100-continue\r\n\r\n";
	static const char ok[] = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
				 "Expect: 100-continue\r\n\r\n";
	struct http_resp r;
	int fd;

	(void)state;
	exchange(big, sizeof(big) - 1, false, &r);
	assert_problem(&r, "HTTP/1.1 413 Content Too Large", TOO_LARGE);
	resp_free(&r);
	exchange(anon, sizeof(anon) - 1, false, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 401 Unauthorized");
	resp_free(&r);

	fd = client_open();
	exchange_on(fd, ok, sizeof(ok) - 1, false, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 100 Continue");
	resp_free(&r);
	exchange_on(fd, "hi", 2, false, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 200 OK");
	resp_free(&r);
	close(fd);
	assert_int_equal(handler_calls, 1);
}

/* Headers beyond the per-connection pool are refused by MHD; the request
 * state made for the request line must still be freed (ASan run). */
static void test_header_too_large(void **state)
{
	size_t n = 48 * 1024;
	char *req = malloc(n + 128);
	struct http_resp r;

	(void)state;
	assert_non_null(req);
	int off = snprintf(req, n + 128, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ");
	memset(req + off, 'p', n);
	memcpy(req + off + n, "\r\n\r\n", 4);
	exchange(req, (size_t)off + n + 4, false, &r);
	assert_string_equal(r.status_line, "HTTP/1.1 431 Request Header Fields Too Large");
	resp_free(&r);
	free(req);
	assert_int_equal(handler_calls, 0);
}

static void test_handler_without_response(void **state)
{
	struct http_resp r;

	(void)state;
	request("GET", "/noresp", NULL, NULL, 0, &r);
	assert_problem(&r, "HTTP/1.1 500 Internal Server Error",
		       "{\"type\":\"about:blank\",\"title\":\"Internal Server Error\",\"status\":500,"
		       "\"detail\":\"handler produced no response\"}");
	resp_free(&r);
	request("GET", "/badstatus", NULL, NULL, 0, &r);
	assert_problem(&r, "HTTP/1.1 500 Internal Server Error",
		       "{\"type\":\"about:blank\",\"title\":\"Internal Server Error\",\"status\":500,"
		       "\"detail\":\"handler produced an invalid status 42\"}");
	resp_free(&r);
	/* A header that would split the response is not sent. */
	request("GET", "/badheader", NULL, NULL, 0, &r);
	assert_problem(&r, "HTTP/1.1 500 Internal Server Error",
		       "{\"type\":\"about:blank\",\"title\":\"Internal Server Error\",\"status\":500,"
		       "\"detail\":\"handler produced an invalid header\"}");
	assert_null(hdr(&r, "Set-Cookie"));
	assert_null(hdr(&r, "ETag"));
	resp_free(&r);
	request("GET", "/oom", NULL, NULL, 0, &r);
	assert_problem(&r, "HTTP/1.1 500 Internal Server Error",
		       "{\"type\":\"about:blank\",\"title\":\"Internal Server Error\",\"status\":500,"
		       "\"detail\":\"out of memory building the response\"}");
	resp_free(&r);
	assert_int_equal(handler_calls, 4);
}

static void test_keep_alive(void **state)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	struct http_resp r;
	int fd = client_open();

	(void)state;
	for (int i = 0; i < 3; i++) {
		exchange_on(fd, req, sizeof(req) - 1, false, &r);
		assert_string_equal(r.status_line, "HTTP/1.1 200 OK");
		assert_false(r.closed);
		resp_free(&r);
	}
	close(fd);
	assert_int_equal(handler_calls, 3);
}

static void test_start_errors(void **state)
{
	struct sl_mgmt_route bad_route = { SL_HTTP_GET, "nope", h_health, 0 };
	struct sl_mgmt_server_params p = { .listen_addr = "127.0.0.1", .routes = test_routes,
					   .n_routes = N_ROUTES };

	(void)state;
	errno = 0;
	assert_null(sl_mgmt_server_start(NULL));
	assert_int_equal(errno, EINVAL);
	p.listen_addr = "localhost";     /* literals only: no resolver here */
	assert_null(sl_mgmt_server_start(&p));
	assert_int_equal(errno, EINVAL);
	p.listen_addr = "127.0.0.1";
	p.token = "";
	assert_null(sl_mgmt_server_start(&p));
	assert_int_equal(errno, EINVAL);
	p.token = NULL;
	p.routes = &bad_route;
	p.n_routes = 1;
	assert_null(sl_mgmt_server_start(&p));
	assert_int_equal(errno, EINVAL);
	bad_route.pattern = "/x";
	bad_route.methods = 1u << 9;
	assert_null(sl_mgmt_server_start(&p));
	assert_int_equal(errno, EINVAL);

	/* The port the fixture holds is taken. */
	p.routes = test_routes;
	p.n_routes = N_ROUTES;
	p.port = sl_mgmt_server_port(srv);
	errno = 0;
	assert_null(sl_mgmt_server_start(&p));
	assert_int_not_equal(errno, 0);
}

static void test_ipv6_loopback(void **state)
{
	struct sl_mgmt_server_params p = { .listen_addr = "::1", .routes = test_routes,
					   .n_routes = N_ROUTES };
	struct sl_mgmt_server *s6;

	(void)state;
	s6 = sl_mgmt_server_start(&p);
	if (s6 == NULL && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL))
		skip();
	assert_non_null(s6);
	assert_true(sl_mgmt_server_port(s6) != 0);
	sl_mgmt_server_poll(s6, 0);
	sl_mgmt_server_stop(s6);
	sl_mgmt_server_stop(NULL);
	sl_mgmt_server_poll(NULL, 0);
}

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_port_bound, token_reset),
		cmocka_unit_test_setup(test_get_ok, token_reset),
		cmocka_unit_test_setup(test_not_found, token_reset),
		cmocka_unit_test_setup(test_method_not_allowed, token_reset),
		cmocka_unit_test_setup(test_auth, token_reset),
		cmocka_unit_test_setup(test_auth_before_method, token_reset),
		cmocka_unit_test_setup(test_set_token, token_reset),
		cmocka_unit_test_setup(test_path_rest, token_reset),
		cmocka_unit_test_setup(test_query_and_headers, token_reset),
		cmocka_unit_test_setup(test_head, token_reset),
		cmocka_unit_test_setup(test_body_intact, token_reset),
		cmocka_unit_test_setup(test_too_large, token_reset),
		cmocka_unit_test_setup(test_auth_before_body, token_reset),
		cmocka_unit_test_setup(test_expect_continue, token_reset),
		cmocka_unit_test_setup(test_header_too_large, token_reset),
		cmocka_unit_test_setup(test_handler_without_response, token_reset),
		cmocka_unit_test_setup(test_keep_alive, token_reset),
		cmocka_unit_test_setup(test_start_errors, token_reset),
		cmocka_unit_test(test_ipv6_loopback),
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

	return cmocka_run_group_tests_name("mgmt", tests, server_setup, server_teardown);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of lib/mgmt's HTTP server: routing, methods, authentication, query
 * strings and headers, HEAD, request bodies and their limits, keep-alive,
 * and refused start parameters.
 *
 * Principles: one server on 127.0.0.1 serves the whole binary, driven from
 * this thread by the fixture's client; status lines, headers and bodies are
 * compared byte for byte, and the handler call count shows whether a
 * refused request ever reached a handler.
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
	};

	return cmocka_run_group_tests_name("mgmt_server", tests, server_setup, server_teardown);
}

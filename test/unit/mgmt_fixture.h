/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the lib/mgmt test binaries share: a route table of test handlers,
 * the server fixture that serves it, and a tiny HTTP client.
 *
 * Principles: the server is exercised for real: a daemon on 127.0.0.1 with
 * an ephemeral port, and a plain TCP client in the same thread that writes
 * raw HTTP/1.1 and drives the server by calling sl_mgmt_server_poll()
 * between non-blocking sends and receives. Every handler counts its calls,
 * so a test can tell a refused request from a handled one.
 */
#ifndef SL_TEST_MGMT_FIXTURE_H
#define SL_TEST_MGMT_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sl_mgmt.h"

#define TOKEN "s3cret-token"
#define MAX_BODY 1024 /* bytes, the fixture server's max_body */
#define AUTH_HDR "Authorization: Bearer " TOKEN "\r\n"

/* ---- handlers ---------------------------------------------------------- */

extern unsigned handler_calls; /* calls to any test handler since token_reset */
extern int generation;         /* the handler argument: h_config reports it */

/* FNV-1a: a checksum for "the body arrived byte for byte". */
uint32_t fnv1a(const char *p, size_t n);
void h_health(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg);

extern const struct sl_mgmt_route test_routes[];
extern const size_t n_test_routes;
#define N_ROUTES n_test_routes

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

extern struct sl_mgmt_server *srv; /* the fixture server */

void resp_free(struct http_resp *r);
const char *hdr(const struct http_resp *r, const char *name);
/* Send @p req on @p fd and read one response, polling the server; bounded
 * to about 10 s so a broken server fails the test instead of hanging it. */
void exchange_on(int fd, const char *req, size_t req_len, bool head, struct http_resp *r);
int client_open(void);
void exchange(const char *req, size_t len, bool head, struct http_resp *r);
/* Request @p method @p target with optional extra header lines and body. */
void request(const char *method, const char *target, const char *headers,
	     const char *body, size_t body_len, struct http_resp *r);
void assert_body(const struct http_resp *r, const char *want);
void assert_problem(const struct http_resp *r, const char *status_line, const char *body);

/* ---- server fixtures ----------------------------------------------------- */

int server_setup(void **state);
int server_teardown(void **state);
/* Each test starts with the configured token. */
int token_reset(void **state);

#endif /* SL_TEST_MGMT_FIXTURE_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The management HTTP server: routing, auth, problem+json, Prometheus text.
 *
 * libmicrohttpd runs in external-select mode: nothing happens unless the
 * owner calls sl_mgmt_server_poll(), so every handler (and so every config
 * mutation) runs on the calling thread (the management lcore). Connection
 * timeout, connection limit, per-IP limit and per-connection memory pool are
 * always set explicitly.
 *
 * Routes are registered as (method, pattern) with a handler. A pattern is an
 * exact path, or ends in "/ *" (no space) to match any non-empty rest, which
 * the handler gets as req->path_rest. Routes flagged SL_MGMT_AUTH need a
 * bearer token when one is configured; the comparison is constant-time.
 *
 * Threads: one owner thread for everything in this header except the pure
 * helpers (sl_mgmt_token_file_read, sl_buf_*, sl_metrics_*), which are any.
 */
#ifndef SL_MGMT_H
#define SL_MGMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/** Growable text buffer (C heap; management thread only). */
struct sl_buf {
	char *data;
	size_t len;
	size_t cap;
	bool oom;            /**< an append failed; contents are truncated */
};

void sl_buf_init(struct sl_buf *b);
void sl_buf_free(struct sl_buf *b);
void sl_buf_append(struct sl_buf *b, const char *s, size_t n);
void sl_buf_printf(struct sl_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

enum sl_http_method {
	SL_HTTP_GET = 1 << 0,
	SL_HTTP_POST = 1 << 1,
	SL_HTTP_PUT = 1 << 2,
	SL_HTTP_DELETE = 1 << 3,
	SL_HTTP_HEAD = 1 << 4,
};

struct sl_mgmt_request {
	enum sl_http_method method;
	const char *path;       /**< without the query string */
	const char *path_rest;  /**< what "/ *" matched, URL-decoded; else NULL */
	const char *body;       /**< NUL-terminated, "" when none */
	size_t body_len;
	void *conn;             /**< opaque, for sl_mgmt_request_header/query */
};

/** A request header's value or NULL. */
const char *sl_mgmt_request_header(const struct sl_mgmt_request *req, const char *name);
/** A query argument's value ("" for a bare "?flag") or NULL. */
const char *sl_mgmt_request_query(const struct sl_mgmt_request *req, const char *name);

struct sl_mgmt_response {
	unsigned status;
	const char *content_type;  /**< default "application/json" */
	struct sl_buf body;
	char etag[64];             /**< sent as ETag when non-empty (give quotes) */
	char allow[64];            /**< sent as Allow when non-empty */
};

/** Set a JSON body (steals @p j) and status. */
void sl_mgmt_respond_json(struct sl_mgmt_response *resp, unsigned status, json_t *j);

/**
 * RFC 9457 problem: {"type", "title", "status", "detail"} plus "field" when
 * @p field is non-NULL. Content type application/problem+json.
 */
void sl_mgmt_respond_problem(struct sl_mgmt_response *resp, unsigned status,
			     const char *title, const char *field, const char *detail_fmt, ...)
	__attribute__((format(printf, 5, 6)));

/**
 * Problem from a validation message "path: text": "field" is the part
 * before the first ": ", "detail" the whole message.
 */
void sl_mgmt_respond_invalid(struct sl_mgmt_response *resp, unsigned status,
			     const char *title, const char *message);

typedef void (*sl_mgmt_handler_t)(const struct sl_mgmt_request *req,
				  struct sl_mgmt_response *resp, void *arg);

enum sl_mgmt_route_flags {
	SL_MGMT_AUTH = 1 << 0,   /**< needs the bearer token */
	SL_MGMT_BULK = 1 << 1,   /**< takes bodies up to bulk_max_body (lists of objects) */
};

struct sl_mgmt_route {
	unsigned methods;         /**< OR of enum sl_http_method */
	const char *pattern;
	sl_mgmt_handler_t handler;
	unsigned flags;
};

struct sl_mgmt_server_params {
	const char *listen_addr;   /**< IPv4 or IPv6 literal */
	uint16_t port;             /**< 0 = pick a free one (tests) */
	const char *token;         /**< NULL = no auth */
	unsigned connection_limit;
	unsigned per_ip_limit;
	unsigned timeout_s;
	size_t memory_limit;       /**< per-connection pool bytes */
	size_t max_body;           /**< larger bodies get 413 */
	size_t bulk_max_body;      /**< the same for SL_MGMT_BULK routes; 0: max_body */
	const struct sl_mgmt_route *routes;
	unsigned n_routes;
	void *handler_arg;
};

struct sl_mgmt_server;

/** Start listening. NULL on failure with errno set and a log line. */
struct sl_mgmt_server *sl_mgmt_server_start(const struct sl_mgmt_server_params *p);
/** The bound port (useful with port 0). */
uint16_t sl_mgmt_server_port(const struct sl_mgmt_server *s);

/** Range of HTTP status codes the server can answer with. */
#define SL_MGMT_STATUS_MIN 100
#define SL_MGMT_STATUS_MAX 599
/**
 * Responses queued with @p status since start (every route, errors from the
 * server itself included); 0 outside SL_MGMT_STATUS_MIN..MAX.
 */
uint64_t sl_mgmt_server_responses(const struct sl_mgmt_server *s, unsigned status);
/** Replace the token (NULL disables auth). The string is copied. */
int sl_mgmt_server_set_token(struct sl_mgmt_server *s, const char *token);
/** Serve whatever is ready, waiting at most @p timeout_ms for activity. */
void sl_mgmt_server_poll(struct sl_mgmt_server *s, unsigned timeout_ms);
void sl_mgmt_server_stop(struct sl_mgmt_server *s);

/**
 * Read a token file: must be a regular file with no group/other permission
 * bits (0600 or stricter), non-empty after trimming whitespace, at most
 * @p len - 1 bytes. 0, or -EPERM (mode), -EINVAL (empty/too long), -errno.
 */
int sl_mgmt_token_file_read(const char *path, char *token, size_t len);

/** Constant-time comparison of a presented and the expected token. */
bool sl_mgmt_token_equal(const char *presented, const char *expected);

/*
 * Prometheus text exposition (format 0.0.4) helpers. A family is announced
 * once with HELP/TYPE, then samples follow. Label values are escaped.
 */
enum sl_metric_type { SL_METRIC_COUNTER, SL_METRIC_GAUGE, SL_METRIC_HISTOGRAM };

void sl_metrics_family(struct sl_buf *b, const char *name, enum sl_metric_type type,
		       const char *help);
/**
 * One sample: @p labels is a NULL-terminated list of name, value pairs (or
 * NULL). @p suffix (e.g. "_bucket", "_sum", may be NULL) is appended to name.
 */
void sl_metrics_sample(struct sl_buf *b, const char *name, const char *suffix,
		       const char *const *labels, double value);
void sl_metrics_sample_u64(struct sl_buf *b, const char *name, const char *suffix,
			   const char *const *labels, uint64_t value);

#endif /* SL_MGMT_H */

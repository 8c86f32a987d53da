/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The management HTTP server on libmicrohttpd (MHD), external-select mode.
 *
 * Principles:
 * - Nothing runs behind the owner's back: MHD has no thread of its own, the
 *   owner drives it with sl_mgmt_server_poll(), and every handler runs on
 *   that thread, so handlers may touch management state without locks.
 * - Reject early and cheaply. The route, the bearer token and the declared
 *   Content-Length are checked on MHD's first callback, when only the header
 *   block has been read: an unauthenticated or oversized upload is answered
 *   before its body is buffered, and a 401 is given before a 405 could tell
 *   a stranger which methods an authenticated route has.
 * - Every resource is bounded: connections, connections per IP, per-
 *   connection memory pool, idle timeout and request body size are always
 *   set, to defaults when the caller passes 0.
 * - Every error is an RFC 9457 problem document, so clients parse one shape.
 * - The token is never logged, and its comparison takes a time that does
 *   not depend on where the presented token first differs.
 *
 * Per request, MHD calls us as follows (con_cls holds struct conn_state):
 *
 *   uri_log()          request line read: copy the raw path, alloc state
 *   access_handler #1  headers read: route, auth, Content-Length -> maybe
 *                      an early error response (MHD then drops the body)
 *   access_handler #k  a body chunk: append, or count it as too large
 *   access_handler #n  body complete: 413, or call the route's handler
 *   completed()        request done or aborted: free state
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "mgmt_priv.h"
#include "sl_log.h"
#include "sl_mgmt.h"

#define COMPONENT "mgmt"

/* Defaults for parameters left at 0: a management API serves a handful of
 * operators and a Prometheus scraper, never the public. */
#define DEFAULT_CONNECTION_LIMIT 64
#define DEFAULT_PER_IP_LIMIT 16
#define DEFAULT_TIMEOUT_S 30
#define DEFAULT_MEMORY_LIMIT (64u * 1024)       /* bytes per connection pool */
#define DEFAULT_MAX_BODY (1024u * 1024)         /* bytes */

/* A token file longer than this is not a token (bytes, before trimming). */
#define TOKEN_FILE_MAX 4096

/* Longest problem "detail" kept (bytes); longer text is cut. */
#define DETAIL_MAX 1024

#define PROBLEM_TYPE "application/problem+json"

struct sl_mgmt_server {
	struct MHD_Daemon *daemon;
	struct sl_mgmt_route *routes;   /* copy of the caller's table */
	unsigned n_routes;
	char *token;                    /* NULL: auth off */
	size_t max_body;                /* bytes */
	size_t bulk_max_body;           /* bytes, for SL_MGMT_BULK routes */
	void *handler_arg;
	uint16_t port;                  /* bound port, host order */
	/* Responses queued, by status (response_sanitize keeps it in range). */
	uint64_t responses[SL_MGMT_STATUS_MAX - SL_MGMT_STATUS_MIN + 1];
};

/* One request; lives from uri_log() to completed(). */
struct conn_state {
	bool started;           /* first access-handler call passed */
	bool too_large;         /* body passed max_body: now discarded */
	bool has_rest;
	size_t max_body;        /* the route's limit */
	enum sl_http_method method;
	const struct sl_mgmt_route *route;
	struct sl_buf body;
	char *path;             /* raw path, no query: text[0..] */
	char *rest;             /* decoded "/ *" rest: after path in text */
	char text[];
};

/* ---- requests ------------------------------------------------------- */

const char *sl_mgmt_request_header(const struct sl_mgmt_request *req, const char *name)
{
	if (req == NULL || req->conn == NULL || name == NULL)
		return NULL;
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *sl_mgmt_request_query(const struct sl_mgmt_request *req, const char *name)
{
	const char *value = NULL;

	if (req == NULL || req->conn == NULL || name == NULL)
		return NULL;
	if (MHD_lookup_connection_value_n(req->conn, MHD_GET_ARGUMENT_KIND, name,
					  strlen(name), &value, NULL) != MHD_YES)
		return NULL;
	return value ? value : "";
}

/* ---- responses ------------------------------------------------------ */

/* A JSON string for @p s; bytes that are not valid UTF-8 become '?' rather
 * than losing the whole document. */
static json_t *json_text(const char *s)
{
	json_t *j = json_string(s);
	if (j != NULL)
		return j;
	char *copy = strdup(s);
	if (copy == NULL)
		return NULL;
	for (char *p = copy; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static int dump_to_buf(const char *s, size_t n, void *arg)
{
	struct sl_buf *b = arg;

	sl_buf_append(b, s, n);
	return b->oom ? -1 : 0;
}

/* Replace the body with @p j (not stolen) in compact form. */
static void set_json_body(struct sl_mgmt_response *resp, const json_t *j)
{
	resp->body.len = 0;
	resp->body.oom = false;
	if (resp->body.data != NULL)
		resp->body.data[0] = '\0';
	if (j == NULL || json_dump_callback(j, dump_to_buf, &resp->body, JSON_COMPACT) != 0)
		resp->body.oom = true;
}

void sl_mgmt_respond_json(struct sl_mgmt_response *resp, unsigned status, json_t *j)
{
	resp->status = status;
	resp->content_type = "application/json";
	set_json_body(resp, j);
	json_decref(j);
}

static void problem_body(struct sl_mgmt_response *resp, unsigned status, const char *title,
			 const char *field, const char *detail)
{
	json_t *o = json_object();

	if (o != NULL) {
		json_object_set_new(o, "type", json_string("about:blank"));
		json_object_set_new(o, "title", json_text(title ? title : ""));
		json_object_set_new(o, "status", json_integer(status));
		if (detail != NULL)
			json_object_set_new(o, "detail", json_text(detail));
		if (field != NULL)
			json_object_set_new(o, "field", json_text(field));
	}
	resp->status = status;
	resp->content_type = PROBLEM_TYPE;
	set_json_body(resp, o);
	json_decref(o);
}

void sl_mgmt_respond_problem(struct sl_mgmt_response *resp, unsigned status,
			     const char *title, const char *field, const char *detail_fmt, ...)
{
	char detail[DETAIL_MAX];
	va_list ap;

	if (detail_fmt != NULL) {
		va_start(ap, detail_fmt);
		vsnprintf(detail, sizeof(detail), detail_fmt, ap);
		va_end(ap);
	}
	problem_body(resp, status, title, field, detail_fmt ? detail : NULL);
}

void sl_mgmt_respond_invalid(struct sl_mgmt_response *resp, unsigned status,
			     const char *title, const char *message)
{
	char field[DETAIL_MAX];
	const char *sep = message ? strstr(message, ": ") : NULL;
	size_t n = sep ? (size_t)(sep - message) : 0;
	bool has_field = n > 0 && n < sizeof(field) && memchr(message, ' ', n) == NULL;

	if (has_field) {
		memcpy(field, message, n);
		field[n] = '\0';
	}
	problem_body(resp, status, title, has_field ? field : NULL, message ? message : "");
}

/* ---- routing (pure) ------------------------------------------------- */

static const struct {
	const char *name;
	enum sl_http_method bit;
} methods[] = {
	{ "GET", SL_HTTP_GET },
	{ "HEAD", SL_HTTP_HEAD },
	{ "POST", SL_HTTP_POST },
	{ "PUT", SL_HTTP_PUT },
	{ "DELETE", SL_HTTP_DELETE },
};

#define N_METHODS (sizeof(methods) / sizeof(methods[0]))
#define ALL_METHODS (SL_HTTP_GET | SL_HTTP_HEAD | SL_HTTP_POST | SL_HTTP_PUT | SL_HTTP_DELETE)

static unsigned method_bit(const char *name)
{
	for (unsigned i = 0; i < N_METHODS; i++)
		if (strcmp(name, methods[i].name) == 0)
			return methods[i].bit;
	return 0;
}

void sl_mgmt_allow_format(unsigned bits, char *out, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return;
	out[0] = '\0';
	for (unsigned i = 0; i < N_METHODS; i++) {
		if (!(bits & methods[i].bit))
			continue;
		int n = snprintf(out + off, len - off, "%s%s", off ? ", " : "", methods[i].name);
		if (n < 0 || (size_t)n >= len - off) {
			out[off] = '\0';  /* whole names only */
			return;
		}
		off += (size_t)n;
	}
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long sl_mgmt_pct_decode(char *dst, const char *src, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (src[i] != '%') {
			dst[o++] = src[i];
			continue;
		}
		if (n - i < 3)
			return -EINVAL;
		int hi = hex_value(src[i + 1]), lo = hex_value(src[i + 2]);
		if (hi < 0 || lo < 0 || (hi | lo) == 0)
			return -EINVAL;
		dst[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	dst[o] = '\0';
	return (long)o;
}

/* Does @p pattern match @p path? For a "/ *" pattern *rest is the raw,
 * non-empty remainder; otherwise NULL. */
static bool pattern_match(const char *pattern, const char *path, const char **rest)
{
	size_t pl = strlen(pattern);

	*rest = NULL;
	if (pl >= 2 && pattern[pl - 2] == '/' && pattern[pl - 1] == '*') {
		if (strncmp(pattern, path, pl - 1) != 0 || path[pl - 1] == '\0')
			return false;
		*rest = path + pl - 1;
		return true;
	}
	return strcmp(pattern, path) == 0;
}

/* What one pass over the table found for a path and a method bit. */
struct scan {
	const struct sl_mgmt_route *pick;   /* first route with the method */
	const struct sl_mgmt_route *get;    /* first GET route (HEAD fallback) */
	const char *pick_rest, *get_rest;   /* their raw "/ *" rests */
	bool matched;                       /* some pattern matched */
	bool any_auth;                      /* some matching route needs the token */
};

static void routes_scan(const struct sl_mgmt_route *routes, unsigned n_routes, unsigned bit,
			const char *path, struct scan *sc, unsigned *allow)
{
	const char *rest;

	memset(sc, 0, sizeof(*sc));
	for (unsigned i = 0; i < n_routes; i++) {
		const struct sl_mgmt_route *r = &routes[i];
		if (!pattern_match(r->pattern, path, &rest))
			continue;
		sc->matched = true;
		*allow |= r->methods;
		sc->any_auth |= (r->flags & SL_MGMT_AUTH) != 0;
		if (sc->pick == NULL && (r->methods & bit)) {
			sc->pick = r;
			sc->pick_rest = rest;
		}
		if (sc->get == NULL && bit == SL_HTTP_HEAD && (r->methods & SL_HTTP_GET)) {
			sc->get = r;
			sc->get_rest = rest;
		}
	}
}

enum mgmt_match_kind sl_mgmt_route_match(const struct sl_mgmt_route *routes, unsigned n_routes,
					 const char *method, const char *path,
					 char *rest, struct mgmt_match *m)
{
	unsigned bit = method_bit(method);
	struct scan sc;

	memset(m, 0, sizeof(*m));
	routes_scan(routes, n_routes, bit, path, &sc, &m->allow);
	m->method = (enum sl_http_method)bit;
	if (sc.pick == NULL && sc.get != NULL) {
		sc.pick = sc.get;     /* HEAD is GET without the body (MHD drops it) */
		sc.pick_rest = sc.get_rest;
		m->method = SL_HTTP_GET;
	}
	if (sc.pick == NULL) {
		m->auth = sc.any_auth;
		m->kind = sc.matched ? MGMT_MATCH_METHOD : MGMT_MATCH_NONE;
		return m->kind;
	}
	m->route = sc.pick;
	m->auth = (sc.pick->flags & SL_MGMT_AUTH) != 0;
	m->kind = MGMT_MATCH_OK;
	if (sc.pick_rest != NULL) {
		m->has_rest = true;
		if (sl_mgmt_pct_decode(rest, sc.pick_rest, strlen(sc.pick_rest)) < 0)
			m->kind = MGMT_MATCH_BAD_PATH;
	}
	return m->kind;
}

/* ---- tokens ----------------------------------------------------------- */

bool sl_mgmt_token_equal(const char *presented, const char *expected)
{
	if (presented == NULL || expected == NULL)
		return false;
	size_t lp = strlen(presented), le = strlen(expected);
	size_t n = lp > le ? lp : le;
	/* Every byte of the longer string is visited whatever the content, and
	 * a length mismatch is just one more differing bit. */
	volatile unsigned char diff = lp != le;
	for (size_t i = 0; i < n; i++) {
		unsigned char a = i < lp ? (unsigned char)presented[i] : 0;
		unsigned char b = i < le ? (unsigned char)expected[i] : 0;
		diff |= a ^ b;
	}
	return diff == 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Read all of @p fd into @p buf (cap bytes); -EINVAL when more remains. */
static ssize_t read_all(int fd, char *buf, size_t cap)
{
	size_t got = 0;

	for (;;) {
		ssize_t n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return (ssize_t)got;
		got += (size_t)n;
		if (got == cap)
			return -EINVAL;
	}
}

/* Trim @p buf (n bytes) to the token in it; -EINVAL when empty or when it
 * holds a space or control byte, which no bearer header could carry. */
static int token_trim(char *buf, size_t n, const char **start, size_t *len)
{
	size_t a = 0;

	while (n > 0 && is_space(buf[n - 1]))
		n--;
	while (a < n && is_space(buf[a]))
		a++;
	if (a == n)
		return -EINVAL;
	for (size_t i = a; i < n; i++)
		if ((unsigned char)buf[i] <= ' ' || buf[i] == 0x7f)
			return -EINVAL;
	*start = buf + a;
	*len = n - a;
	return 0;
}

int sl_mgmt_token_file_read(const char *path, char *token, size_t len)
{
	char buf[TOKEN_FILE_MAX + 1];
	struct stat st;
	const char *start;
	size_t tlen;
	int rc;

	if (path == NULL || token == NULL || len < 2)
		return -EINVAL;
	token[0] = '\0';
	/* O_NONBLOCK: a FIFO planted at the path must not hang the caller;
	 * fstat below rejects it. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		rc = -EPERM;
		goto out_close;
	}
	ssize_t n = read_all(fd, buf, sizeof(buf));
	if (n < 0) {
		rc = (int)n;
		goto out_wipe;
	}
	rc = token_trim(buf, (size_t)n, &start, &tlen);
	if (rc == 0 && tlen > len - 1)
		rc = -EINVAL;
	if (rc == 0) {
		memcpy(token, start, tlen);
		token[tlen] = '\0';
	}
out_wipe:
	explicit_bzero(buf, sizeof(buf));
out_close:
	close(fd);
	return rc;
}

/* ---- MHD glue --------------------------------------------------------- */

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	size_t n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	SL_LOG_RL(WARN, COMPONENT, "libmicrohttpd: %s", line);
}

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	(void)conn;
	size_t plen = strcspn(uri, "?");
	struct conn_state *st = calloc(1, sizeof(*st) + 2 * (plen + 1));
	if (st == NULL)
		return NULL;        /* access_handler closes the connection */
	memcpy(st->text, uri, plen);
	st->path = st->text;
	st->rest = st->text + plen + 1;
	sl_buf_init(&st->body);
	return st;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct conn_state *st = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (st == NULL)
		return;
	sl_buf_free(&st->body);
	free(st);
	*con_cls = NULL;
}

static void response_init(struct sl_mgmt_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	sl_buf_init(&resp->body);
}

static void peer_name(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, len, "?");
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, len);
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, len);
}

/* Replace a handler's broken answer by a 500. When even that cannot be
 * built (body.oom still set), response_create() sends OOM_PROBLEM. */
static void response_sanitize(struct sl_mgmt_response *resp)
{
	if (resp->status == 0)
		sl_mgmt_respond_problem(resp, 500, "Internal Server Error", NULL,
					"handler produced no response");
	else if (resp->status < 200 || resp->status > 599)
		sl_mgmt_respond_problem(resp, 500, "Internal Server Error", NULL,
					"handler produced an invalid status %u", resp->status);
	else if (resp->body.oom)
		sl_mgmt_respond_problem(resp, 500, "Internal Server Error", NULL,
					"out of memory building the response");
}

static bool add_headers(struct MHD_Response *r, const struct sl_mgmt_response *resp,
			const char *path)
{
	char v[sizeof(resp->etag) + 1];
	bool ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
					  resp->content_type ? resp->content_type
							     : "application/json") == MHD_YES;

	if (resp->etag[0] != '\0') {
		snprintf(v, sizeof(v), "%.*s", (int)sizeof(resp->etag), resp->etag);
		ok = ok && MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, v) == MHD_YES;
	}
	if (resp->allow[0] != '\0') {
		snprintf(v, sizeof(v), "%.*s", (int)sizeof(resp->allow), resp->allow);
		ok = ok && MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, v) == MHD_YES;
	}
	if (resp->status == 401)
		ok = ok && MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
						   "Bearer realm=\"sluice\"") == MHD_YES;
	if (strncmp(path, "/api/", 5) == 0)
		ok = ok && MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
						   "no-store") == MHD_YES;
	return ok;
}

/* Needs no allocation: the answer when memory ran out building another. */
static const char OOM_PROBLEM[] = "{\"type\":\"about:blank\",\"title\":"
				  "\"Internal Server Error\",\"status\":500}";

static struct MHD_Response *response_create(struct sl_mgmt_response *resp)
{
	struct MHD_Response *r;

	if (resp->body.oom) {
		sl_buf_free(&resp->body);
		resp->status = 500;
		resp->content_type = PROBLEM_TYPE;
		return MHD_create_response_from_buffer(sizeof(OOM_PROBLEM) - 1,
						       (void *)OOM_PROBLEM, MHD_RESPMEM_PERSISTENT);
	}
	if (resp->body.len == 0)
		return MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	r = MHD_create_response_from_buffer(resp->body.len, resp->body.data,
					    MHD_RESPMEM_MUST_FREE);
	if (r != NULL)
		sl_buf_init(&resp->body);   /* MHD frees it now */
	return r;
}

static void log_request(const char *method, const char *path, unsigned status)
{
	char num[12];

	snprintf(num, sizeof(num), "%u", status);
	const char *kv[] = { "method", method, "path", path, "status", num, NULL };
	if (status >= 500)
		sl_log_kv(SL_LOG_WARN, COMPONENT, kv, "request failed");
	else
		sl_log_kv(SL_LOG_DEBUG, COMPONENT, kv, "request");
}

/* Hand @p resp to MHD (its body buffer moves to MHD) and log the outcome. A
 * header MHD refuses (CR/LF from a handler) turns into a 500. */
static enum MHD_Result send_response(struct sl_mgmt_server *s, struct MHD_Connection *conn,
				     const char *method, const char *path,
				     struct sl_mgmt_response *resp)
{
	response_sanitize(resp);
	struct MHD_Response *r = response_create(resp);
	sl_buf_free(&resp->body);
	if (r == NULL)
		return MHD_NO;      /* MHD could not allocate: drop the connection */
	if (!add_headers(r, resp, path)) {
		MHD_destroy_response(r);
		response_init(resp);
		sl_mgmt_respond_problem(resp, 500, "Internal Server Error", NULL,
					"handler produced an invalid header");
		return send_response(s, conn, method, path, resp);
	}
	enum MHD_Result ret = MHD_queue_response(conn, resp->status, r);
	MHD_destroy_response(r);
	if (ret == MHD_YES)
		s->responses[resp->status - SL_MGMT_STATUS_MIN]++;
	log_request(method, path, resp->status);
	return ret;
}

static enum MHD_Result send_problem(struct sl_mgmt_server *s, struct MHD_Connection *conn,
				    const char *method, const char *path, unsigned status,
				    const char *title,
				    const char *allow, const char *detail)
{
	struct sl_mgmt_response resp;

	response_init(&resp);
	sl_mgmt_respond_problem(&resp, status, title, NULL, "%s", detail);
	if (allow != NULL)
		snprintf(resp.allow, sizeof(resp.allow), "%s", allow);
	return send_response(s, conn, method, path, &resp);
}

/* NULL when the request carries the right bearer token, else why not. */
static const char *auth_failure(struct sl_mgmt_server *s, struct MHD_Connection *conn)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return "missing bearer token";
	h += 7;
	while (*h == ' ')
		h++;
	return sl_mgmt_token_equal(h, s->token) ? NULL : "invalid bearer token";
}

static enum MHD_Result reject_unauthorized(struct sl_mgmt_server *s,
					   struct MHD_Connection *conn, const char *method,
					   const char *path, const char *why)
{
	/* A client guessing tokens must not be able to flood the log. */
	static struct sl_log_ratelimit rl;
	char peer[INET6_ADDRSTRLEN];

	if (SL_LOG_INFO <= sl_log_get_level() && sl_log_ratelimit_ok(&rl, 10)) {
		peer_name(conn, peer, sizeof(peer));
		const char *kv[] = { "peer", peer, "path", path, "reason", why, NULL };
		sl_log_kv(SL_LOG_INFO, COMPONENT, kv, "unauthorized request");
	}
	return send_problem(s, conn, method, path, 401, "Unauthorized", NULL, why);
}

/* A declared Content-Length above the limit, checked before any body byte
 * is read; chunked bodies are caught while they stream in. */
static bool declared_too_large(struct MHD_Connection *conn, size_t max_body)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl == NULL)
		return false;
	errno = 0;
	unsigned long long v = strtoull(cl, NULL, 10);
	return errno == ERANGE || v > max_body;
}

static size_t route_max_body(const struct sl_mgmt_server *s, const struct sl_mgmt_route *r)
{
	return r != NULL && (r->flags & SL_MGMT_BULK) ? s->bulk_max_body : s->max_body;
}

static enum MHD_Result too_large(struct sl_mgmt_server *s, struct MHD_Connection *conn,
				 const char *method, const char *path, size_t limit)
{
	char detail[64];

	snprintf(detail, sizeof(detail), "request body exceeds %zu bytes", limit);
	return send_problem(s, conn, method, path, 413, "Content Too Large", NULL, detail);
}

/* First call, headers only: route, authenticate, check the declared size. */
static enum MHD_Result begin_request(struct sl_mgmt_server *s, struct MHD_Connection *conn,
				     struct conn_state *st, const char *method)
{
	struct mgmt_match m;
	char allow[64], detail[300];

	sl_mgmt_route_match(s->routes, s->n_routes, method, st->path, st->rest, &m);
	if (m.kind == MGMT_MATCH_NONE) {
		snprintf(detail, sizeof(detail), "no route for %.256s", st->path);
		return send_problem(s, conn, method, st->path, 404, "Not Found", NULL, detail);
	}
	if (m.kind == MGMT_MATCH_BAD_PATH)
		return send_problem(s, conn, method, st->path, 400, "Bad Request", NULL,
				    "malformed percent-encoding in path");
	if (m.auth && s->token != NULL) {
		const char *why = auth_failure(s, conn);
		if (why != NULL)
			return reject_unauthorized(s, conn, method, st->path, why);
	}
	if (m.kind == MGMT_MATCH_METHOD) {
		sl_mgmt_allow_format(m.allow, allow, sizeof(allow));
		snprintf(detail, sizeof(detail), "method %.16s is not allowed; allowed: %s",
			 method, allow);
		return send_problem(s, conn, method, st->path, 405, "Method Not Allowed", allow,
				    detail);
	}
	size_t limit = route_max_body(s, m.route);
	if (declared_too_large(conn, limit))
		return too_large(s, conn, method, st->path, limit);
	st->max_body = limit;
	st->route = m.route;
	st->method = m.method;
	st->has_rest = m.has_rest;
	st->started = true;
	return MHD_YES;
}

/* Body complete: call the handler and send what it produced. */
static enum MHD_Result finish_request(struct sl_mgmt_server *s, struct MHD_Connection *conn,
				      struct conn_state *st, const char *method)
{
	struct sl_mgmt_response resp;

	if (st->too_large)
		return too_large(s, conn, method, st->path, st->max_body);
	if (st->body.oom)
		return send_problem(s, conn, method, st->path, 500, "Internal Server Error", NULL,
				    "out of memory reading the request body");
	struct sl_mgmt_request req = {
		.method = st->method,
		.path = st->path,
		.path_rest = st->has_rest ? st->rest : NULL,
		.body = st->body.data ? st->body.data : "",
		.body_len = st->body.len,
		.conn = conn,
	};
	response_init(&resp);
	st->route->handler(&req, &resp, s->handler_arg);
	return send_response(s, conn, method, st->path, &resp);
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **con_cls)
{
	struct sl_mgmt_server *s = cls;
	struct conn_state *st = *con_cls;

	(void)url;      /* already decoded by MHD: we route on the raw path */
	(void)version;
	if (st == NULL)
		return MHD_NO;  /* out of memory in uri_log: drop the connection */
	if (!st->started)
		return begin_request(s, conn, st, method);
	if (*upload_data_size == 0)
		return finish_request(s, conn, st, method);
	if (!st->too_large && *upload_data_size > st->max_body - st->body.len) {
		/* Keep reading (and dropping) the rest: MHD cannot answer
		 * mid-body, and the connection timeout bounds the stream. */
		st->too_large = true;
		sl_buf_free(&st->body);
	}
	if (!st->too_large)
		sl_buf_append(&st->body, upload_data, *upload_data_size);
	*upload_data_size = 0;
	return MHD_YES;
}

/* ---- server lifecycle ------------------------------------------------- */

static int routes_check(const struct sl_mgmt_route *routes, unsigned n)
{
	if (n > 0 && routes == NULL)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		const struct sl_mgmt_route *r = &routes[i];
		if (r->pattern == NULL || r->pattern[0] != '/' || r->handler == NULL ||
		    r->methods == 0 || (r->methods & ~(unsigned)ALL_METHODS) != 0)
			return -EINVAL;
	}
	return 0;
}

/* Fill @p ss from an address literal; the MHD flags it needs in @p flags. */
static int listen_addr_parse(const char *addr, uint16_t port, struct sockaddr_storage *ss,
			     unsigned *flags)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (addr != NULL && inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		return 0;
	}
	if (addr != NULL && inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		/* "::" means every address of both families; a v4-mapped
		 * address needs the v4 side too. Others are v6 only. */
		if (IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr) || IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr))
			*flags |= MHD_USE_DUAL_STACK;
		else
			*flags |= MHD_USE_IPv6;
		return 0;
	}
	return -EINVAL;
}

static struct sl_mgmt_server *server_alloc(const struct sl_mgmt_server_params *p)
{
	struct sl_mgmt_server *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if (p->n_routes > 0) {
		s->routes = calloc(p->n_routes, sizeof(*s->routes));
		if (s->routes == NULL)
			goto err_free_server;
		memcpy(s->routes, p->routes, p->n_routes * sizeof(*s->routes));
	}
	s->n_routes = p->n_routes;
	if (p->token != NULL && (s->token = strdup(p->token)) == NULL)
		goto err_free_routes;
	s->max_body = p->max_body ? p->max_body : DEFAULT_MAX_BODY;
	s->bulk_max_body = p->bulk_max_body > s->max_body ? p->bulk_max_body : s->max_body;
	s->handler_arg = p->handler_arg;
	return s;

err_free_routes:
	free(s->routes);
err_free_server:
	free(s);
	return NULL;
}

static void server_free(struct sl_mgmt_server *s)
{
	if (s->token != NULL) {
		explicit_bzero(s->token, strlen(s->token));
		free(s->token);
	}
	free(s->routes);
	free(s);
}

static struct MHD_Daemon *daemon_start(struct sl_mgmt_server *s,
				       const struct sl_mgmt_server_params *p,
				       const struct sockaddr_storage *ss, unsigned flags)
{
	return MHD_start_daemon(
		flags, p->port, NULL, NULL, access_handler, s,
		MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)ss,
		MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)(p->timeout_s ? p->timeout_s : DEFAULT_TIMEOUT_S),
		MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)(p->connection_limit ? p->connection_limit : DEFAULT_CONNECTION_LIMIT),
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)(p->per_ip_limit ? p->per_ip_limit : DEFAULT_PER_IP_LIMIT),
		MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)(p->memory_limit ? p->memory_limit : DEFAULT_MEMORY_LIMIT),
		MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s,
		MHD_OPTION_URI_LOG_CALLBACK, uri_log, s,
		MHD_OPTION_NOTIFY_COMPLETED, completed, s,
		MHD_OPTION_END);
}

struct sl_mgmt_server *sl_mgmt_server_start(const struct sl_mgmt_server_params *p)
{
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_ERROR_LOG;   /* no thread flag: external select */

	if (p == NULL || routes_check(p->routes, p->n_routes) != 0 ||
	    (p->token != NULL && p->token[0] == '\0') ||
	    listen_addr_parse(p->listen_addr, p->port, &ss, &flags) != 0) {
		SL_LOG(ERR, COMPONENT, "invalid management server parameters (listen %s)",
		       p && p->listen_addr ? p->listen_addr : "(none)");
		errno = EINVAL;
		return NULL;
	}
	struct sl_mgmt_server *s = server_alloc(p);
	if (s == NULL) {
		SL_LOG(ERR, COMPONENT, "out of memory starting the management server");
		errno = ENOMEM;
		return NULL;
	}
	errno = 0;
	s->daemon = daemon_start(s, p, &ss, flags);
	if (s->daemon == NULL) {
		int err = errno ? errno : EADDRNOTAVAIL;
		SL_LOG(ERR, COMPONENT, "cannot listen on %s port %u: %s", p->listen_addr,
		       (unsigned)p->port, strerror(err));
		server_free(s);
		errno = err;
		return NULL;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : p->port;
	SL_LOG(INFO, COMPONENT, "management API listening on %s port %u (auth %s)",
	       p->listen_addr, (unsigned)s->port, s->token ? "on" : "off");
	return s;
}

uint16_t sl_mgmt_server_port(const struct sl_mgmt_server *s)
{
	return s ? s->port : 0;
}

uint64_t sl_mgmt_server_responses(const struct sl_mgmt_server *s, unsigned status)
{
	if (s == NULL || status < SL_MGMT_STATUS_MIN || status > SL_MGMT_STATUS_MAX)
		return 0;
	return s->responses[status - SL_MGMT_STATUS_MIN];
}

int sl_mgmt_server_set_token(struct sl_mgmt_server *s, const char *token)
{
	char *copy = NULL;

	if (s == NULL || (token != NULL && token[0] == '\0'))
		return -EINVAL;
	if (token != NULL && (copy = strdup(token)) == NULL)
		return -ENOMEM;
	if (s->token != NULL) {
		explicit_bzero(s->token, strlen(s->token));
		free(s->token);
	}
	s->token = copy;
	SL_LOG(INFO, COMPONENT, "management API token %s", copy ? "replaced" : "removed");
	return 0;
}

void sl_mgmt_server_poll(struct sl_mgmt_server *s, unsigned timeout_ms)
{
	if (s == NULL || s->daemon == NULL)
		return;
	MHD_run_wait(s->daemon, timeout_ms > INT32_MAX ? INT32_MAX : (int32_t)timeout_ms);
}

void sl_mgmt_server_stop(struct sl_mgmt_server *s)
{
	if (s == NULL)
		return;
	if (s->daemon != NULL)
		MHD_stop_daemon(s->daemon);
	server_free(s);
}

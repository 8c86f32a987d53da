/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Private parts of lib/mgmt: the pure routing step, split out of the HTTP
 * plumbing so that it can be unit-tested and fuzzed without a socket.
 *
 * Threads: any (no state; everything is in the arguments).
 */
#ifndef SL_MGMT_PRIV_H
#define SL_MGMT_PRIV_H

#include <stddef.h>

#include "sl_mgmt.h"

/** Outcome of matching a request line against the route table. */
enum mgmt_match_kind {
	MGMT_MATCH_NONE,      /**< no pattern matches the path: 404 */
	MGMT_MATCH_OK,        /**< route found: call its handler */
	MGMT_MATCH_METHOD,    /**< path matches, method does not: 405 */
	MGMT_MATCH_BAD_PATH,  /**< malformed percent-encoding in the rest: 400 */
};

struct mgmt_match {
	enum mgmt_match_kind kind;
	const struct sl_mgmt_route *route; /**< MGMT_MATCH_OK only */
	enum sl_http_method method;  /**< what the handler sees (HEAD on a GET route: GET) */
	unsigned allow;              /**< OR of methods of every route whose pattern matched */
	bool auth;                   /**< the token must be checked first */
	bool has_rest;               /**< @c rest holds a "/ *" match */
};

/**
 * Match @p method (the request-line token, case-sensitive) and @p path (raw,
 * no query string) against @p routes; the first route in table order whose
 * pattern and method both match wins. A HEAD request falls back to a GET
 * route when no route lists HEAD. For MGMT_MATCH_METHOD, @c auth is set when
 * any route whose pattern matched needs the token, so that 401 comes before
 * 405 and the method list is not revealed.
 *
 * @param rest  buffer of at least strlen(@p path) + 1 bytes; receives the
 *              URL-decoded "/ *" rest when has_rest is set.
 * @return the match kind (also stored in @p m->kind).
 */
enum mgmt_match_kind sl_mgmt_route_match(const struct sl_mgmt_route *routes, unsigned n_routes,
					 const char *method, const char *path,
					 char *rest, struct mgmt_match *m);

/**
 * Percent-decode @p n bytes of @p src into @p dst (room for n + 1 bytes,
 * NUL-terminated). '+' is kept (paths are not forms).
 * @return decoded length, or -EINVAL on a truncated or non-hex escape or %00.
 */
long sl_mgmt_pct_decode(char *dst, const char *src, size_t n);

/** "GET, POST" style list of the bits in @p methods, fixed order. */
void sl_mgmt_allow_format(unsigned methods, char *out, size_t len);

#endif /* SL_MGMT_PRIV_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the lib/config test binaries share: test documents, parsing that
 * checks the exact error message, and field-by-field comparison.
 *
 * Principles:
 *  - Test documents are written with single quotes, turned into double
 *    quotes before parsing, so the tables stay readable.
 *  - An error is checked as the exact message: the message is the product
 *    an operator sees, so a changed word is a changed behaviour.
 */
#ifndef SL_TEST_CONFIG_FIXTURE_H
#define SL_TEST_CONFIG_FIXTURE_H

#include <stdbool.h>

#include "sl_config.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Building blocks of test documents. */
#define LAN "{'name':'lan','device':'0000:01:00.0'}"
#define LAN_ADDRS "{'name':'lan','device':'0000:01:00.0','ipv4':['10.0.0.1/24']," \
	"'ipv6':['2001:db8::1/64']}"
#define WAN_ADDRS "{'name':'wan','device':'net_af_packet0,iface=veth0'," \
	"'ipv4':['192.0.2.2/30']}"
#define TWO "'ports':[" LAN_ADDRS "," WAN_ADDRS "]"
#define ONE "'ports':[" LAN "]"
#define PORT_WITH(kv) "{'ports':[{'name':'lan','device':'0000:01:00.0'," kv "}]}"
#define ROUTE(kv) "{" TWO ",'routes':[" kv "]}"
#define NEIGH(kv) "{" TWO ",'neighbors':[" kv "]}"
#define NB(port, addr, mac) "{'port':'" port "','address':'" addr "','mac':'" mac "'}"
#define MAC2 "02:00:00:00:00:02"

/* A document and the exact message it must fail with. */
struct bad_case {
	const char *json;
	const char *err;
};

/* A document that sets every field to a value other than its default. */
extern const char *const rich;

/* JSON text with ' for ", parsed strictly. */
json_t *doc(const char *text);
struct sl_config *parse_ok(const char *text);
/* True if @p text fails with exactly @p want; prints the difference if not. */
bool error_is(const char *text, const char *want);
void expect_error(const char *text, const char *want);
/* Compact canonical text of a config; caller frees. */
char *canon(const struct sl_config *cfg);
/* Field by field, so a failure names the field. */
void assert_config_equal(const struct sl_config *a, const struct sl_config *b);

#endif /* SL_TEST_CONFIG_FIXTURE_H */

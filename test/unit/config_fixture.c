/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared part of the lib/config tests: parsing test documents, and
 * comparing configs (see config_fixture.h).
 *
 * Principles: a failed check prints the document and the message it got,
 * so a failing case in a table is found without a debugger.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config_fixture.h"

/* ------------------------------------------------------------- utilities */

/* JSON text with ' for ", parsed strictly. */
json_t *doc(const char *text)
{
	char *t = strdup(text);
	json_error_t e;
	json_t *j;

	assert_non_null(t);
	for (char *p = t; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(t, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e);
	if (j == NULL)
		fail_msg("test document does not parse: %s: %s", e.text, t);
	free(t);
	return j;
}

struct sl_config *parse_ok(const char *text)
{
	char err[SL_CONFIG_ERR_MAX] = "unset";
	json_t *j = doc(text);
	struct sl_config *cfg = sl_config_parse(j, err, sizeof(err));

	json_decref(j);
	if (cfg == NULL)
		fail_msg("unexpected error: %s\n  for %s", err, text);
	assert_string_equal(err, "");
	return cfg;
}

/* True if @p text fails with exactly @p want; prints the difference if not. */
bool error_is(const char *text, const char *want)
{
	char err[SL_CONFIG_ERR_MAX] = "unset";
	json_t *j = doc(text);
	struct sl_config *cfg = sl_config_parse(j, err, sizeof(err));

	json_decref(j);
	if (cfg != NULL) {
		sl_config_free(cfg);
		print_error("accepted: %s\n", text);
		return false;
	}
	if (strcmp(err, want) != 0) {
		print_error("for %s\n  want: %s\n  got:  %s\n", text, want, err);
		return false;
	}
	return true;
}

void expect_error(const char *text, const char *want)
{
	assert_true(error_is(text, want));
}

/* Compact canonical text of a config; caller frees. */
char *canon(const struct sl_config *cfg)
{
	json_t *j = sl_config_to_json(cfg);
	char *s;

	assert_non_null(j);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	assert_non_null(s);
	return s;
}

static void assert_prefix_equal(const struct sl_prefix *a, const struct sl_prefix *b)
{
	assert_int_equal(a->addr.af, b->addr.af);
	assert_int_equal(a->len, b->len);
	if (a->addr.af == SL_AF_INET)
		assert_int_equal(a->addr.v4, b->addr.v4);
	else
		assert_memory_equal(a->addr.v6, b->addr.v6, 16);
}

static void assert_port_equal(const struct sl_config_port *a, const struct sl_config_port *b)
{
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->device, b->device);
	assert_int_equal(a->device_is_pci, b->device_is_pci);
	assert_int_equal(a->mtu, b->mtu);
	assert_int_equal(a->queues, b->queues);
	assert_int_equal(a->rx_desc, b->rx_desc);
	assert_int_equal(a->tx_desc, b->tx_desc);
	assert_int_equal(a->has_mac, b->has_mac);
	assert_memory_equal(a->mac, b->mac, 6);
	assert_int_equal(a->n_ipv4, b->n_ipv4);
	assert_int_equal(a->n_ipv6, b->n_ipv6);
	for (unsigned i = 0; i < a->n_ipv4; i++)
		assert_prefix_equal(&a->ipv4[i], &b->ipv4[i]);
	for (unsigned i = 0; i < a->n_ipv6; i++)
		assert_prefix_equal(&a->ipv6[i], &b->ipv6[i]);
}

/* Field by field, so a failure names the field. */
void assert_config_equal(const struct sl_config *a, const struct sl_config *b)
{
	assert_string_equal(a->eal.lcores, b->eal.lcores);
	assert_int_equal(a->eal.memory_mb, b->eal.memory_mb);
	assert_int_equal(a->eal.hugepages, b->eal.hugepages);
	assert_string_equal(a->eal.file_prefix, b->eal.file_prefix);
	assert_int_equal(a->eal.n_args, b->eal.n_args);
	for (unsigned i = 0; i < a->eal.n_args; i++)
		assert_string_equal(a->eal.args[i], b->eal.args[i]);
	assert_int_equal(a->n_ports, b->n_ports);
	for (unsigned i = 0; i < a->n_ports; i++)
		assert_port_equal(&a->ports[i], &b->ports[i]);
	assert_int_equal(a->n_routes, b->n_routes);
	for (unsigned i = 0; i < a->n_routes; i++) {
		const struct sl_config_route *x = &a->routes[i], *y = &b->routes[i];

		assert_prefix_equal(&x->prefix, &y->prefix);
		assert_int_equal(x->type, y->type);
		assert_int_equal(x->has_via, y->has_via);
		if (x->has_via)
			assert_prefix_equal(&(struct sl_prefix){ x->via, 0 },
					    &(struct sl_prefix){ y->via, 0 });
		assert_int_equal(x->port, y->port);
	}
	assert_int_equal(a->n_neighbors, b->n_neighbors);
	for (unsigned i = 0; i < a->n_neighbors; i++) {
		const struct sl_config_neighbor *x = &a->neighbors[i], *y = &b->neighbors[i];

		assert_int_equal(x->port, y->port);
		assert_prefix_equal(&(struct sl_prefix){ x->addr, 0 }, &(struct sl_prefix){ y->addr, 0 });
		assert_memory_equal(x->mac, y->mac, 6);
	}
	assert_string_equal(a->api.listen, b->api.listen);
	assert_int_equal(a->api.port, b->api.port);
	assert_string_equal(a->api.token_file, b->api.token_file);
	assert_int_equal(a->api.connection_limit, b->api.connection_limit);
	assert_int_equal(a->api.per_ip_limit, b->api.per_ip_limit);
	assert_int_equal(a->api.timeout_s, b->api.timeout_s);
	assert_int_equal(a->api.memory_limit, b->api.memory_limit);
	assert_int_equal(a->api.max_body, b->api.max_body);
	assert_int_equal(a->log.level, b->log.level);
	assert_int_equal(a->workers.idle_sleep_us, b->workers.idle_sleep_us);
	assert_int_equal(a->workers.burst, b->workers.burst);
}

const char *const rich =
	"{'eal':{'lcores':'0@0,1@1,2@(1-2)','memory':'1GiB','hugepages':'on','file_prefix':'sl-1_a',"
	"  'args':['--log-level=lib.eal:debug','-n','4']},"
	" 'ports':["
	"  {'name':'lan','device':'01:00.0','mtu':9000,'queues':4,'rx_desc':1024,'tx_desc':64,"
	"   'mac':'02:AB:00:00:00:01','ipv4':['10.0.0.1/24','10.0.1.1/31','10.9.0.1/32'],"
	"   'ipv6':['2001:db8:0:0::1/64','fe80::1/64']},"
	"  {'name':'wan','device':'net_af_packet0,iface=veth0','ipv4':['192.0.2.2/30'],"
	"   'ipv6':['2001:db8:ffff::2/126']}],"
	" 'routes':["
	"  {'prefix':'0.0.0.0/0','via':'192.0.2.1'},"
	"  {'prefix':'10.20.0.0/16','via':'10.0.0.254','port':'lan','type':'unicast'},"
	"  {'prefix':'10.30.0.0/16','port':'lan'},"
	"  {'prefix':'198.51.100.7','type':'blackhole'},"
	"  {'prefix':'::/0','via':'2001:db8:ffff::1'},"
	"  {'prefix':'2001:db8:100::/48','type':'unreachable'}],"
	" 'neighbors':["
	"  {'mac':'02:AB:CD:00:00:10','address':'10.0.0.10','port':'lan'},"
	"  {'port':'wan','address':'FE80::5','mac':'02:00:00:00:00:05'},"
	"  {'port':'lan','address':'2001:db8:0:0::10','mac':'02:00:00:00:00:11'}],"
	" 'api':{'listen':'0:0::0','port':9443,'token_file':'/etc/sluice/token',"
	"  'connection_limit':100,'per_ip_limit':100,'timeout':'90000ms','memory_limit':'128KiB',"
	"  'max_body':'2MB'},"
	" 'log':{'level':'debug'},"
	" 'workers':{'idle_sleep':'0.5ms','burst':64}}";

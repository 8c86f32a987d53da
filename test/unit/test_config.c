/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of lib/config: the schema, its messages, units, canonical output,
 * diff, live-change rules, atomic save, route edits and static neighbors.
 *
 * Principles:
 *  - Every error case asserts the exact message: the message is the product
 *    an operator sees, so a changed word is a changed behaviour.
 *  - Test documents are written with single quotes, turned into double quotes
 *    before parsing, so the tables stay readable.
 *  - Boundaries on both sides (68 and 67, 1h and 2h, 2^64-1 and 2^64).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sl_config.h"
#include "sl_log.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------- utilities */

/* JSON text with ' for ", parsed strictly. */
static json_t *doc(const char *text)
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

static struct sl_config *parse_ok(const char *text)
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
static bool error_is(const char *text, const char *want)
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

static void expect_error(const char *text, const char *want)
{
	assert_true(error_is(text, want));
}

/* Compact canonical text of a config; caller frees. */
static char *canon(const struct sl_config *cfg)
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
static void assert_config_equal(const struct sl_config *a, const struct sl_config *b)
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

/* ------------------------------------------------------------ bad configs */

struct bad_case {
	const char *json;
	const char *err;
};

static const struct bad_case bad_cases[] = {
	/* document shape */
	{ "[]", "config: expected an object" },
	{ "{}", "ports: required" },
	{ "{'ports':{}}", "ports: expected an array" },
	{ "{'ports':[]}", "ports: expected 1 to 8 ports, got 0" },
	{ "{'ports':[1,2,3,4,5,6,7,8,9]}", "ports: expected 1 to 8 ports, got 9" },
	{ "{" ONE ",'foo':1}", "foo: unknown key" },
	{ "{'log':{'level':'loud'}," ONE ",'foo':1}",
	  "log.level: \"loud\" is not one of err, warn, info, debug" },
	{ "{'ports':[" LAN ",{'name':'wan','device':'01:00.1','mtux':1}]}",
	  "ports[1].mtux: unknown key" },
	{ "{'ports':[" LAN ",{'name':'wan','device':'01:00.1','mt\\u0001':1}]}",
	  "ports[1].mt\\x01: unknown key" },
	{ "{'ports':[1]}", "ports[0]: expected an object" },
	/* ports[].name */
	{ "{'ports':[{'device':'0000:01:00.0'}]}", "ports[0].name: required" },
	{ "{'ports':[{'name':'lan'}]}", "ports[0].device: required" },
	{ "{'ports':[{'name':'LAN','device':'01:00.0'}]}",
	  "ports[0].name: \"LAN\" is not a valid name (1 to 15 of a-z 0-9 _ -)" },
	{ "{'ports':[{'name':'','device':'01:00.0'}]}",
	  "ports[0].name: \"\" is not a valid name (1 to 15 of a-z 0-9 _ -)" },
	{ "{'ports':[{'name':'abcdefghijklmnop','device':'01:00.0'}]}",
	  "ports[0].name: \"abcdefghijklmnop\" is not a valid name (1 to 15 of a-z 0-9 _ -)" },
	{ "{'ports':[{'name':'a\\'b\\n','device':'01:00.0'}]}",
	  "ports[0].name: \"a\\\"b\\x0a\" is not a valid name (1 to 15 of a-z 0-9 _ -)" },
	{ "{'ports':[{'name':'a\\u0000b','device':'01:00.0'}]}",
	  "ports[0].name: contains a NUL byte" },
	{ "{'ports':[{'name':7,'device':'01:00.0'}]}", "ports[0].name: expected a string" },
	{ "{'ports':[" LAN ",{'name':'lan','device':'01:00.1'}]}",
	  "ports[1].name: \"lan\" is already used by ports[0]" },
	/* ports[].device */
	{ "{'ports':[{'name':'lan','device':'eth0'}]}",
	  "ports[0].device: \"eth0\" is neither a PCI address (0000:01:00.0) nor a vdev (net_...)" },
	{ "{'ports':[{'name':'lan','device':'0000:01:20.0'}]}",
	  "ports[0].device: \"0000:01:20.0\" is neither a PCI address (0000:01:00.0) nor a vdev (net_...)" },
	{ "{'ports':[{'name':'lan','device':'net_tap0,iface=a b'}]}",
	  "ports[0].device: \"net_tap0,iface=a b\" is neither a PCI address (0000:01:00.0) nor a vdev (net_...)" },
	{ "{'ports':[" LAN ",{'name':'wan','device':'01:00.0'}]}",
	  "ports[1].device: \"01:00.0\" is already used by ports[0]" },
	{ "{'ports':[{'name':'a','device':'net_tap0,iface=x'},{'name':'b','device':'net_tap0,iface=y'}]}",
	  "ports[1].device: \"net_tap0,iface=y\" is already used by ports[0]" },
	/* ports[] numbers */
	{ PORT_WITH("'mtu':70000"), "ports[0].mtu: 70000 is out of range 68..9600" },
	{ PORT_WITH("'mtu':67"), "ports[0].mtu: 67 is out of range 68..9600" },
	{ PORT_WITH("'mtu':9601"), "ports[0].mtu: 9601 is out of range 68..9600" },
	{ PORT_WITH("'mtu':-1"), "ports[0].mtu: -1 is out of range 68..9600" },
	{ PORT_WITH("'mtu':'1500'"), "ports[0].mtu: expected an integer" },
	{ PORT_WITH("'mtu':1500.0"), "ports[0].mtu: expected an integer" },
	{ PORT_WITH("'mtu':true"), "ports[0].mtu: expected an integer" },
	{ PORT_WITH("'queues':17"), "ports[0].queues: 17 is out of range 0..16" },
	{ PORT_WITH("'rx_desc':100"), "ports[0].rx_desc: 100 is not 0 or a power of two in 64..8192" },
	{ PORT_WITH("'rx_desc':32"), "ports[0].rx_desc: 32 is not 0 or a power of two in 64..8192" },
	{ PORT_WITH("'tx_desc':16384"), "ports[0].tx_desc: 16384 is not 0 or a power of two in 64..8192" },
	{ PORT_WITH("'tx_desc':'512'"), "ports[0].tx_desc: expected an integer" },
	/* ports[].mac */
	{ PORT_WITH("'mac':'01:00:5e:00:00:01'"), "ports[0].mac: \"01:00:5e:00:00:01\" is a multicast address" },
	{ PORT_WITH("'mac':'02:00:00:00:00'"),
	  "ports[0].mac: \"02:00:00:00:00\" is not a MAC address like \"02:00:00:00:00:01\"" },
	{ PORT_WITH("'mac':'02-00-00-00-00-01'"),
	  "ports[0].mac: \"02-00-00-00-00-01\" is not a MAC address like \"02:00:00:00:00:01\"" },
	{ PORT_WITH("'mac':'00:00:00:00:00:00'"), "ports[0].mac: \"00:00:00:00:00:00\" is the zero address" },
	/* ports[].ipv4 / ipv6 */
	{ PORT_WITH("'ipv4':'10.0.0.1/24'"), "ports[0].ipv4: expected an array" },
	{ PORT_WITH("'ipv4':['10.0.0.0/24']"),
	  "ports[0].ipv4[0]: \"10.0.0.0/24\" is the network address of its subnet" },
	{ PORT_WITH("'ipv4':['10.0.0.255/24']"),
	  "ports[0].ipv4[0]: \"10.0.0.255/24\" is the broadcast address of its subnet" },
	{ PORT_WITH("'ipv4':['10.0.0.3/30']"),
	  "ports[0].ipv4[0]: \"10.0.0.3/30\" is the broadcast address of its subnet" },
	{ PORT_WITH("'ipv4':['10.0.0.1']"),
	  "ports[0].ipv4[0]: \"10.0.0.1\" needs a prefix length (like \"/24\")" },
	{ PORT_WITH("'ipv4':['10.0.0.1/33']"),
	  "ports[0].ipv4[0]: \"10.0.0.1/33\" has a prefix length out of range 1..32" },
	{ PORT_WITH("'ipv4':['10.0.0.1/0']"),
	  "ports[0].ipv4[0]: \"10.0.0.1/0\" has a prefix length out of range 1..32" },
	{ PORT_WITH("'ipv4':['10.0.0.300/24']"),
	  "ports[0].ipv4[0]: \"10.0.0.300/24\" is not an IPv4 address with a prefix length" },
	{ PORT_WITH("'ipv4':['10.0.0.1/+24']"),
	  "ports[0].ipv4[0]: \"10.0.0.1/+24\" is not an IPv4 address with a prefix length" },
	{ PORT_WITH("'ipv4':['10.0.0.1/024']"),
	  "ports[0].ipv4[0]: \"10.0.0.1/024\" is not an IPv4 address with a prefix length" },
	{ PORT_WITH("'ipv4':[' 10.0.0.1/24']"),
	  "ports[0].ipv4[0]: \" 10.0.0.1/24\" is not an IPv4 address with a prefix length" },
	{ PORT_WITH("'ipv4':['2001:db8::1/64']"),
	  "ports[0].ipv4[0]: \"2001:db8::1/64\" is not an IPv4 address with a prefix length" },
	{ PORT_WITH("'ipv4':['127.0.0.1/8']"), "ports[0].ipv4[0]: \"127.0.0.1/8\" is a loopback address" },
	{ PORT_WITH("'ipv4':['224.0.0.1/24']"), "ports[0].ipv4[0]: \"224.0.0.1/24\" is a multicast address" },
	{ PORT_WITH("'ipv4':['0.0.0.0/32']"), "ports[0].ipv4[0]: \"0.0.0.0/32\" is the unspecified address" },
	{ PORT_WITH("'ipv4':['255.255.255.255/32']"),
	  "ports[0].ipv4[0]: \"255.255.255.255/32\" is the broadcast address" },
	{ PORT_WITH("'ipv4':['1.0.0.1/24','1.0.0.2/24','1.0.0.3/24','1.0.0.4/24','1.0.0.5/24',"
		    "'1.0.0.6/24','1.0.0.7/24','1.0.0.8/24','1.0.0.9/24']"),
	  "ports[0].ipv4: at most 8 addresses" },
	{ PORT_WITH("'ipv6':['::/64']"), "ports[0].ipv6[0]: \"::/64\" is the unspecified address" },
	{ PORT_WITH("'ipv6':['::1/128']"), "ports[0].ipv6[0]: \"::1/128\" is a loopback address" },
	{ PORT_WITH("'ipv6':['ff02::1/64']"), "ports[0].ipv6[0]: \"ff02::1/64\" is a multicast address" },
	{ PORT_WITH("'ipv6':['2001:db8::1/129']"),
	  "ports[0].ipv6[0]: \"2001:db8::1/129\" has a prefix length out of range 1..128" },
	{ PORT_WITH("'ipv6':['10.0.0.1/24']"),
	  "ports[0].ipv6[0]: \"10.0.0.1/24\" is not an IPv6 address with a prefix length" },
	{ PORT_WITH("'ipv6':['2001:db8::1/64','2001:db8::1/48']"),
	  "ports[0].ipv6[1]: 2001:db8::1 is already used by ports[0]" },
	{ "{'ports':[" LAN_ADDRS ",{'name':'wan','device':'01:00.1','ipv4':['10.0.0.1/16']}]}",
	  "ports[1].ipv4[0]: 10.0.0.1 is already used by ports[0]" },
	/* routes */
	{ "{" TWO ",'routes':{}}", "routes: expected an array" },
	{ ROUTE("{'prefix':'10.0.0.1/8','via':'10.0.0.254'}"),
	  "routes[0].prefix: \"10.0.0.1/8\" has host bits set (did you mean \"10.0.0.0/8\"?)" },
	{ ROUTE("{'prefix':'2001:db8:1::1/48','port':'lan'}"),
	  "routes[0].prefix: \"2001:db8:1::1/48\" has host bits set (did you mean \"2001:db8:1::/48\"?)" },
	{ ROUTE("{'prefix':'10.0.0.0/33','port':'lan'}"),
	  "routes[0].prefix: \"10.0.0.0/33\" has a prefix length out of range 0..32" },
	{ ROUTE("{'prefix':'default','port':'lan'}"),
	  "routes[0].prefix: \"default\" is not an IPv4 or IPv6 prefix" },
	{ ROUTE("{'port':'lan'}"), "routes[0].prefix: required" },
	{ ROUTE("{'prefix':'10.1.0.0/16','via':'10.0.0.300'}"),
	  "routes[0].via: \"10.0.0.300\" is not an IPv4 address" },
	{ ROUTE("{'prefix':'10.1.0.0/16','via':'0.0.0.0'}"),
	  "routes[0].via: \"0.0.0.0\" is the unspecified address" },
	{ ROUTE("{'prefix':'10.1.0.0/16','via':'10.9.9.9'}"),
	  "routes[0].via: 10.9.9.9 is not on any port's subnet" },
	{ ROUTE("{'prefix':'10.1.0.0/16','via':'2001:db8::2'}"),
	  "routes[0].via: 2001:db8::2 is IPv6 but the prefix is IPv4" },
	{ ROUTE("{'prefix':'10.1.0.0/16','port':'dmz'}"),
	  "routes[0].port: \"dmz\" is not the name of a port" },
	{ ROUTE("{'prefix':'10.1.0.0/16','port':'lan','type':'local'}"),
	  "routes[0].type: \"local\" is not one of unicast, blackhole, unreachable" },
	{ ROUTE("{'prefix':'10.1.0.0/16','type':'blackhole','via':'10.0.0.254'}"),
	  "routes[0].via: not allowed for a blackhole route" },
	{ ROUTE("{'prefix':'10.1.0.0/16','type':'unreachable','port':'lan'}"),
	  "routes[0].port: not allowed for an unreachable route" },
	{ ROUTE("{'prefix':'10.1.0.0/16'}"), "routes[0]: a unicast route needs \"via\" or \"port\"" },
	{ ROUTE("{'prefix':'10.1.0.0/16','port':'lan','mtu':1400}"), "routes[0].mtu: unknown key" },
	{ ROUTE("{'prefix':'10.1.0.0/16','port':'lan'},{'prefix':'10.2.0.0/16','port':'lan'},"
		"{'prefix':'10.1.0.0/16','type':'blackhole'}"),
	  "routes[2].prefix: 10.1.0.0/16 is already in routes[0]" },
	/* routes before ports in the document are checked after them */
	{ "{'routes':[{'prefix':'10.1.0.0/16','port':'dmz'}],'ports':[" LAN ",{'name':'x','device':'01:00.0'}]}",
	  "ports[1].device: \"01:00.0\" is already used by ports[0]" },
	{ "{'routes':[{'prefix':'10.1.0.0/16','port':'dmz'}]," TWO "}",
	  "routes[0].port: \"dmz\" is not the name of a port" },
	/* neighbors */
	{ "{" TWO ",'neighbors':{}}", "neighbors: expected an array" },
	{ NEIGH("1"), "neighbors[0]: expected an object" },
	{ NEIGH(NB("wn", "192.0.2.1", MAC2)), "neighbors[0].port: no port named \"wn\"" },
	{ NEIGH("{'port':7,'address':'192.0.2.1','mac':'" MAC2 "'}"), "neighbors[0].port: expected a string" },
	{ NEIGH(NB("lan", "10.0.0.2", MAC2) "," NB("wan", "10.9.0.1", MAC2)),
	  "neighbors[1].address: 10.9.0.1 is not on port wan's subnets" },
	{ NEIGH(NB("wan", "10.0.0.2", MAC2)), "neighbors[0].address: 10.0.0.2 is not on port wan's subnets" },
	{ NEIGH(NB("wan", "2001:db8::5", MAC2)), "neighbors[0].address: 2001:db8::5 is not on port wan's subnets" },
	{ NEIGH(NB("lan", "10.0.0.300", MAC2)), "neighbors[0].address: \"10.0.0.300\" is not an IPv4 address" },
	{ NEIGH(NB("lan", "10.0.0.2/24", MAC2)), "neighbors[0].address: \"10.0.0.2/24\" is not an IPv4 address" },
	{ NEIGH(NB("lan", "fe80::1%eth0", MAC2)), "neighbors[0].address: \"fe80::1%eth0\" is not an IPv6 address" },
	{ NEIGH(NB("lan", "gw", MAC2)), "neighbors[0].address: \"gw\" is not an IPv4 or IPv6 address" },
	{ NEIGH("{'port':'lan','address':167772162,'mac':'" MAC2 "'}"), "neighbors[0].address: expected a string" },
	{ NEIGH(NB("lan", "0.0.0.0", MAC2)), "neighbors[0].address: \"0.0.0.0\" is the unspecified address" },
	{ NEIGH(NB("lan", "255.255.255.255", MAC2)), "neighbors[0].address: \"255.255.255.255\" is the broadcast address" },
	{ NEIGH(NB("lan", "127.0.0.1", MAC2)), "neighbors[0].address: \"127.0.0.1\" is a loopback address" },
	{ NEIGH(NB("lan", "::1", MAC2)), "neighbors[0].address: \"::1\" is a loopback address" },
	{ NEIGH(NB("lan", "ff02::1", MAC2)), "neighbors[0].address: \"ff02::1\" is a multicast address" },
	{ NEIGH(NB("lan", "10.0.0.1", MAC2)), "neighbors[0].address: 10.0.0.1 is sluice's own address (port lan)" },
	{ NEIGH(NB("wan", "10.0.0.1", MAC2)), "neighbors[0].address: 10.0.0.1 is sluice's own address (port lan)" },
	{ NEIGH(NB("lan", "2001:DB8:0::1", MAC2)), "neighbors[0].address: 2001:db8::1 is sluice's own address (port lan)" },
	{ NEIGH(NB("lan", "10.0.0.0", MAC2)),
	  "neighbors[0].address: 10.0.0.0 is the network address of port lan's subnet 10.0.0.0/24" },
	{ NEIGH(NB("lan", "10.0.0.255", MAC2)),
	  "neighbors[0].address: 10.0.0.255 is the broadcast address of port lan's subnet 10.0.0.0/24" },
	{ NEIGH(NB("wan", "192.0.2.0", MAC2)),
	  "neighbors[0].address: 192.0.2.0 is the network address of port wan's subnet 192.0.2.0/30" },
	{ NEIGH(NB("wan", "192.0.2.3", MAC2)),
	  "neighbors[0].address: 192.0.2.3 is the broadcast address of port wan's subnet 192.0.2.0/30" },
	{ NEIGH(NB("lan", "10.0.0.2", "01:00:5e:00:00:01")),
	  "neighbors[0].mac: \"01:00:5e:00:00:01\" is a multicast address" },
	{ NEIGH(NB("lan", "10.0.0.2", "ff:ff:ff:ff:ff:ff")),
	  "neighbors[0].mac: \"ff:ff:ff:ff:ff:ff\" is a multicast address" },
	{ NEIGH(NB("lan", "10.0.0.2", "00:00:00:00:00:00")), "neighbors[0].mac: \"00:00:00:00:00:00\" is the zero address" },
	{ NEIGH(NB("lan", "10.0.0.2", "02:00:00:00:00:0g")),
	  "neighbors[0].mac: \"02:00:00:00:00:0g\" is not a MAC address like \"02:00:00:00:00:01\"" },
	{ NEIGH(NB("lan", "10.0.0.2", "02:00:00:00:00:02:03")),
	  "neighbors[0].mac: \"02:00:00:00:00:02:03\" is not a MAC address like \"02:00:00:00:00:01\"" },
	{ NEIGH(NB("lan", "10.0.0.2", "0200.0000.0002")),
	  "neighbors[0].mac: \"0200.0000.0002\" is not a MAC address like \"02:00:00:00:00:01\"" },
	{ NEIGH("{'port':'lan','address':'10.0.0.2','mac':'" MAC2 "','state':'permanent'}"),
	  "neighbors[0].state: unknown key" },
	{ NEIGH("{}"), "neighbors[0].port: required" },
	{ NEIGH("{'address':'10.0.0.2','mac':'" MAC2 "'}"), "neighbors[0].port: required" },
	{ NEIGH("{'port':'lan','mac':'" MAC2 "'}"), "neighbors[0].address: required" },
	{ NEIGH("{'port':'lan','address':'10.0.0.2'}"), "neighbors[0].mac: required" },
	{ NEIGH(NB("lan", "10.0.0.2", MAC2) "," NB("lan", "10.0.0.3", MAC2) "," NB("lan", "10.0.0.2", "02:00:00:00:00:03")),
	  "neighbors[2].address: 10.0.0.2 on port lan is already in neighbors[0]" },
	{ NEIGH(NB("lan", "fe80::2", MAC2) "," NB("lan", "FE80:0::2", MAC2)),
	  "neighbors[1].address: fe80::2 on port lan is already in neighbors[0]" },
	/* the address is checked against its port after the entry's keys */
	{ NEIGH("{'address':'10.9.0.1','mac':'01:00:00:00:00:01','port':'lan'}"),
	  "neighbors[0].mac: \"01:00:00:00:00:01\" is a multicast address" },
	/* neighbors before ports are checked after them, and after the rest */
	{ "{'neighbors':[" NB("dmz", "10.0.0.2", MAC2) "],'ports':[" LAN ",{'name':'x','device':'01:00.0'}]}",
	  "ports[1].device: \"01:00.0\" is already used by ports[0]" },
	{ "{'neighbors':[" NB("dmz", "10.0.0.2", MAC2) "]," TWO "}", "neighbors[0].port: no port named \"dmz\"" },
	{ "{'neighbors':[" NB("dmz", "10.0.0.2", MAC2) "]," TWO ",'log':{'level':'loud'}}",
	  "log.level: \"loud\" is not one of err, warn, info, debug" },
	{ "{'neighbors':[" NB("dmz", "10.0.0.2", MAC2) "],'routes':[{'prefix':'10.1.0.0/16','port':'dmz'}]," TWO "}",
	  "neighbors[0].port: no port named \"dmz\"" },
	{ "{'routes':[{'prefix':'10.1.0.0/16','port':'dmz'}],'neighbors':[" NB("dmz", "10.0.0.2", MAC2) "]," TWO "}",
	  "routes[0].port: \"dmz\" is not the name of a port" },
	{ "{'routes':[{'prefix':'10.1.0.0/16','port':'dmz'}]," TWO ",'neighbors':[" NB("dmz", "10.0.0.2", MAC2) "]}",
	  "neighbors[0].port: no port named \"dmz\"" },
	/* api */
	{ "{" ONE ",'api':{'port':'8080'}}", "api.port: expected an integer" },
	{ "{" ONE ",'api':{'port':0}}", "api.port: 0 is out of range 1..65535" },
	{ "{" ONE ",'api':{'port':65536}}", "api.port: 65536 is out of range 1..65535" },
	{ "{" ONE ",'api':{'listen':'localhost'}}",
	  "api.listen: \"localhost\" is not an IPv4 or IPv6 address" },
	{ "{" ONE ",'api':{'listen':'0.0.0.0'}}",
	  "api.token_file: required when api.listen is not a loopback address" },
	{ "{" ONE ",'api':{'listen':'::'}}",
	  "api.token_file: required when api.listen is not a loopback address" },
	{ "{" ONE ",'api':{'token_file':''}}",
	  "api.token_file: must not be empty (leave it out for no token)" },
	{ "{" ONE ",'api':{'connection_limit':0}}", "api.connection_limit: 0 is out of range 1..10000" },
	{ "{" ONE ",'api':{'connection_limit':10001}}",
	  "api.connection_limit: 10001 is out of range 1..10000" },
	{ "{" ONE ",'api':{'per_ip_limit':100}}", "api.per_ip_limit: 100 is above api.connection_limit (64)" },
	{ "{" ONE ",'api':{'timeout':'10'}}", "api.timeout: \"10\" needs a unit (us, ms, s, m, h)" },
	{ "{" ONE ",'api':{'timeout':10}}", "api.timeout: expected a string" },
	{ "{" ONE ",'api':{'timeout':'2h'}}", "api.timeout: \"2h\" is out of range 1s..1h" },
	{ "{" ONE ",'api':{'timeout':'999ms'}}", "api.timeout: \"999ms\" is out of range 1s..1h" },
	{ "{" ONE ",'api':{'timeout':'1500ms'}}", "api.timeout: \"1500ms\" is not a whole number of seconds" },
	{ "{" ONE ",'api':{'timeout':'1.5us'}}",
	  "api.timeout: \"1.5us\" is too large or not a whole number of microseconds" },
	{ "{" ONE ",'api':{'timeout':'10 s'}}",
	  "api.timeout: \"10 s\" is not a duration (a number and one of us, ms, s, m, h)" },
	{ "{" ONE ",'api':{'memory_limit':'16383B'}}",
	  "api.memory_limit: \"16383B\" is out of range 16KiB..16MiB" },
	{ "{" ONE ",'api':{'memory_limit':'17MiB'}}",
	  "api.memory_limit: \"17MiB\" is out of range 16KiB..16MiB" },
	{ "{" ONE ",'api':{'max_body':'1 MiB'}}",
	  "api.max_body: \"1 MiB\" is not a size (a number and one of B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)" },
	{ "{" ONE ",'api':{'max_body':'99999999999999999999'}}",
	  "api.max_body: \"99999999999999999999\" is too large or not a whole number of bytes" },
	{ "{" ONE ",'api':[]}", "api: expected an object" },
	/* log, workers */
	{ "{" ONE ",'log':{'level':'loud'}}", "log.level: \"loud\" is not one of err, warn, info, debug" },
	{ "{" ONE ",'log':'info'}", "log: expected an object" },
	{ "{" ONE ",'workers':{'idle_sleep':'11ms'}}",
	  "workers.idle_sleep: \"11ms\" is out of range 0us..10ms" },
	{ "{" ONE ",'workers':{'idle_sleep':'0'}}",
	  "workers.idle_sleep: \"0\" needs a unit (us, ms, s, m, h)" },
	{ "{" ONE ",'workers':{'burst':0}}", "workers.burst: 0 is out of range 1..64" },
	{ "{" ONE ",'workers':{'burst':65}}", "workers.burst: 65 is out of range 1..64" },
	/* eal */
	{ "{'eal':{'lcores':'0-2a'}," ONE "}", "eal.lcores: \"0-2a\" may only contain 0-9 , - @ ( )" },
	{ "{'eal':{'lcores':'0123456789012345678901234567890123456789012345678901234567890123'}," ONE "}",
	  "eal.lcores: longer than 63 bytes" },
	{ "{'eal':{'memory':'1GB'}," ONE "}", "eal.memory: \"1GB\" is not a whole number of MiB" },
	{ "{'eal':{'memory':'2TiB'}," ONE "}", "eal.memory: \"2TiB\" is out of range 0B..1TiB" },
	{ "{'eal':{'hugepages':'yes'}," ONE "}", "eal.hugepages: \"yes\" is not one of auto, on, off" },
	{ "{'eal':{'file_prefix':'a b'}," ONE "}", "eal.file_prefix: \"a b\" may only contain A-Z a-z 0-9 _ -" },
	{ "{'eal':{'args':'-n 4'}," ONE "}", "eal.args: expected an array" },
	{ "{'eal':{'args':[1]}," ONE "}", "eal.args[0]: expected a string" },
	{ "{'eal':{'hugepage':'on'}," ONE "}", "eal.hugepage: unknown key" },
	/* first error in document order wins */
	{ "{'ports':[{'name':'lan','device':'01:00.0','mtu':1}],'log':{'level':'loud'}}",
	  "ports[0].mtu: 1 is out of range 68..9600" },
	{ "{'ports':[{'name':'lan','mtu':1,'device':'eth0'}]}",
	  "ports[0].mtu: 1 is out of range 68..9600" },
};

static void test_bad_configs(void **state)
{
	unsigned failed = 0;

	(void)state;
	assert_true(ARRAY_LEN(bad_cases) >= 40);
	for (size_t i = 0; i < ARRAY_LEN(bad_cases); i++)
		failed += !error_is(bad_cases[i].json, bad_cases[i].err);
	assert_int_equal(failed, 0);
}

/* Long and odd values are escaped and shortened in messages. */
static void test_error_escaping(void **state)
{
	char json[512], want[256];

	(void)state;
	snprintf(json, sizeof(json), "{'ports':[{'name':'%s','device':'01:00.0'}]}",
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	snprintf(want, sizeof(want), "ports[0].name: \"%.*s...\" is not a valid name (1 to 15 of a-z 0-9 _ -)",
		 70, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	expect_error(json, want);
	/*
	 * A cut never splits a UTF-8 sequence: "x" and 40 two-byte characters
	 * reach the cut in the middle of the 35th character, which goes.
	 */
	{
		char in[512] = "{'ports':[{'name':'x", out[256] = "ports[0].name: \"x";

		for (int i = 0; i < 40; i++)
			strcat(in, "\\u00e9");
		strcat(in, "','device':'01:00.0'}]}");
		for (int i = 0; i < 34; i++)
			strcat(out, "\xc3\xa9");
		strcat(out, "...\" is not a valid name (1 to 15 of a-z 0-9 _ -)");
		expect_error(in, out);
	}
}

/* A short buffer gets a cut message; no buffer is fine too. */
static void test_error_buffer(void **state)
{
	json_t *j = doc("{}");
	char err[8];

	(void)state;
	assert_null(sl_config_parse(j, err, sizeof(err)));
	assert_string_equal(err, "ports: ");
	assert_null(sl_config_parse(j, NULL, 0));
	json_decref(j);
}

/* ------------------------------------------------------------ good configs */

static void test_defaults(void **state)
{
	struct sl_config *cfg = parse_ok("{" ONE "}");
	const struct sl_config_port *p = &cfg->ports[0];

	(void)state;
	assert_string_equal(cfg->eal.lcores, "");
	assert_int_equal(cfg->eal.memory_mb, 0);
	assert_int_equal(cfg->eal.hugepages, SL_HUGEPAGES_AUTO);
	assert_string_equal(cfg->eal.file_prefix, "");
	assert_int_equal(cfg->eal.n_args, 0);
	assert_int_equal(cfg->n_ports, 1);
	assert_string_equal(p->name, "lan");
	assert_string_equal(p->device, "0000:01:00.0");
	assert_true(p->device_is_pci);
	assert_int_equal(p->mtu, 1500);
	assert_int_equal(p->queues, 0);
	assert_int_equal(p->rx_desc, 0);
	assert_int_equal(p->tx_desc, 0);
	assert_false(p->has_mac);
	assert_int_equal(p->n_ipv4, 0);
	assert_int_equal(p->n_ipv6, 0);
	assert_int_equal(cfg->n_routes, 0);
	assert_int_equal(cfg->n_neighbors, 0);
	assert_string_equal(cfg->api.listen, "127.0.0.1");
	assert_int_equal(cfg->api.port, 8080);
	assert_string_equal(cfg->api.token_file, "");
	assert_int_equal(cfg->api.connection_limit, 64);
	assert_int_equal(cfg->api.per_ip_limit, 16);
	assert_int_equal(cfg->api.timeout_s, 10);
	assert_int_equal(cfg->api.memory_limit, 65536);
	assert_int_equal(cfg->api.max_body, 1048576);
	assert_int_equal(cfg->log.level, SL_LOG_INFO);
	assert_int_equal(cfg->workers.idle_sleep_us, 0);
	assert_int_equal(cfg->workers.burst, 32);
	sl_config_free(cfg);
}

static const char *const minimal_canon =
	"{\"eal\":{\"lcores\":\"\",\"memory\":\"0B\",\"hugepages\":\"auto\",\"file_prefix\":\"\",\"args\":[]},"
	"\"ports\":[{\"name\":\"lan\",\"device\":\"0000:01:00.0\",\"mtu\":1500,\"queues\":0,"
	"\"rx_desc\":0,\"tx_desc\":0,\"ipv4\":[],\"ipv6\":[]}],\"routes\":[],\"neighbors\":[],"
	"\"api\":{\"listen\":\"127.0.0.1\",\"port\":8080,\"connection_limit\":64,\"per_ip_limit\":16,"
	"\"timeout\":\"10s\",\"memory_limit\":\"64KiB\",\"max_body\":\"1MiB\"},"
	"\"log\":{\"level\":\"info\"},\"workers\":{\"idle_sleep\":\"0us\",\"burst\":32}}";

static void test_canonical_minimal(void **state)
{
	struct sl_config *cfg = parse_ok("{" ONE "}");
	char *s = canon(cfg);

	(void)state;
	assert_string_equal(s, minimal_canon);
	free(s);
	sl_config_free(cfg);
}

static const char *const rich =
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

static void test_rich_values(void **state)
{
	struct sl_config *cfg = parse_ok(rich);
	static const uint8_t mac[6] = { 0x02, 0xab, 0, 0, 0, 1 };
	char buf[64];

	(void)state;
	assert_string_equal(cfg->eal.lcores, "0@0,1@1,2@(1-2)");
	assert_int_equal(cfg->eal.memory_mb, 1024);
	assert_int_equal(cfg->eal.hugepages, SL_HUGEPAGES_ON);
	assert_int_equal(cfg->eal.n_args, 3);
	assert_string_equal(cfg->eal.args[2], "4");
	assert_true(cfg->ports[0].device_is_pci);
	assert_false(cfg->ports[1].device_is_pci);
	assert_true(cfg->ports[0].has_mac);
	assert_memory_equal(cfg->ports[0].mac, mac, 6);
	assert_int_equal(cfg->ports[0].n_ipv4, 3);
	assert_int_equal(cfg->ports[0].n_ipv6, 2);
	sl_format_prefix(&cfg->ports[0].ipv6[0], buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::1/64");
	assert_int_equal(cfg->n_routes, 6);
	assert_int_equal(cfg->routes[0].port, -1);         /* kept as written */
	assert_int_equal(sl_config_route_port(cfg, &cfg->routes[0]), 1);
	assert_int_equal(cfg->routes[1].port, 0);
	assert_int_equal(sl_config_route_port(cfg, &cfg->routes[2]), 0);
	assert_int_equal(cfg->routes[3].type, SL_ROUTE_BLACKHOLE);
	assert_int_equal(cfg->routes[3].prefix.len, 32);
	assert_int_equal(sl_config_route_port(cfg, &cfg->routes[3]), -1);
	assert_int_equal(sl_config_route_port(cfg, &cfg->routes[4]), 1);
	assert_int_equal(cfg->routes[5].type, SL_ROUTE_UNREACHABLE);
	assert_int_equal(cfg->n_neighbors, 3);
	assert_int_equal(cfg->neighbors[0].port, 0);
	assert_int_equal(cfg->neighbors[0].addr.af, SL_AF_INET);
	assert_int_equal(cfg->neighbors[0].addr.v4, htonl(0x0a00000a));
	assert_memory_equal(cfg->neighbors[0].mac, ((uint8_t[6]){ 0x02, 0xab, 0xcd, 0, 0, 0x10 }), 6);
	assert_int_equal(cfg->neighbors[1].port, 1);
	assert_int_equal(cfg->neighbors[1].addr.af, SL_AF_INET6);
	sl_format_addr(&cfg->neighbors[1].addr, buf, sizeof(buf));
	assert_string_equal(buf, "fe80::5");
	assert_int_equal(cfg->neighbors[2].port, 0);
	assert_string_equal(cfg->api.listen, "::");
	assert_int_equal(cfg->api.timeout_s, 90);
	assert_int_equal(cfg->api.memory_limit, 131072);
	assert_int_equal(cfg->api.max_body, 2000000);
	assert_int_equal(cfg->log.level, SL_LOG_DEBUG);
	assert_int_equal(cfg->workers.idle_sleep_us, 500);
	assert_int_equal(cfg->workers.burst, 64);
	sl_config_free(cfg);
}

static void test_good_edge_cases(void **state)
{
	static const char *const good[] = {
		/* boundaries that are in range */
		PORT_WITH("'mtu':68,'queues':16,'rx_desc':64,'tx_desc':8192"),
		PORT_WITH("'mtu':9600,'rx_desc':0"),
		PORT_WITH("'ipv4':['10.0.0.1/31','10.0.0.2/32','10.1.0.0/31']"),
		PORT_WITH("'ipv4':['1.0.0.1/24','1.0.0.2/24','1.0.0.3/24','1.0.0.4/24','1.0.0.5/24',"
			  "'1.0.0.6/24','1.0.0.7/24','1.0.0.8/24']"),
		PORT_WITH("'ipv6':['fe80::1/10','2001:db8::/64']"),
		"{'ports':[{'name':'a','device':'0000:ff:1f.7'},{'name':'b','device':'ffff:00:00.0'},"
		"{'name':'c','device':'net_null0'},{'name':'d','device':'net_null1'},"
		"{'name':'e','device':'01:00.1'},{'name':'f','device':'0001:01:00.0'},"
		"{'name':'g','device':'net_tap0,iface=g'},{'name':'abcdefghijklmn_','device':'02:00.0'}]}",
		"{" ONE ",'api':{'listen':'::1','port':1,'connection_limit':1,'timeout':'1s',"
		"'memory_limit':'16KiB','max_body':'1KiB'}}",
		"{" ONE ",'api':{'listen':'::ffff:127.0.0.1','port':65535,'connection_limit':10000,"
		"'per_ip_limit':10000,'timeout':'1h','memory_limit':'16MiB','max_body':'64MiB'}}",
		"{" ONE ",'api':{'listen':'10.0.0.1','token_file':'/run/t'}}",
		"{" ONE ",'workers':{'idle_sleep':'10ms','burst':1}}",
		"{" ONE ",'workers':{'idle_sleep':'0.01s'}}",
		"{'eal':{'memory':'0','lcores':'','file_prefix':''}," ONE "}",
		"{'eal':{'memory':'1TiB','args':[]}," ONE "}",
		"{'routes':[{'prefix':'10.0.0.0/8','port':'lan'}]," ONE "}",
		"{" ONE ",'routes':[]}",
		"{" TWO ",'routes':[{'prefix':'10.1.0.0/16','port':'lan'},{'prefix':'10.1.0.0/17','port':'lan'}]}",
		/* neighbors: link-local on a port without IPv6, the same address on two ports */
		NEIGH(NB("wan", "fe80::99", "02:00:00:00:00:99") "," NB("lan", "fe80::2", MAC2) ","
		      NB("wan", "fe80::2", MAC2) "," NB("lan", "2001:db8::ffff", "0A:1b:2C:3d:4E:5f") ","
		      NB("wan", "192.0.2.1", "fe:ff:ff:ff:ff:ff") "," NB("lan", "10.0.0.254", MAC2)),
		/* a /31 has no network or broadcast address; on a /16, x.x.0.255 is a host */
		"{'ports':[{'name':'p','device':'01:00.0','ipv4':['10.1.0.0/31','10.0.0.1/16']}],"
		"'neighbors':[" NB("p", "10.1.0.1", MAC2) "," NB("p", "10.0.0.255", MAC2) ","
		NB("p", "10.0.255.254", MAC2) "," NB("p", "10.0.1.0", MAC2) "]}",
		"{'neighbors':[" NB("wan", "192.0.2.1", MAC2) "]," TWO "}",
		"{" TWO ",'neighbors':[]}",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(good); i++)
		sl_config_free(parse_ok(good[i]));
}

/* The default per-IP limit follows a lower connection limit. */
static void test_per_ip_default(void **state)
{
	struct sl_config *cfg = parse_ok("{" ONE ",'api':{'connection_limit':8}}");

	(void)state;
	assert_int_equal(cfg->api.per_ip_limit, 8);
	sl_config_free(cfg);
}

/* 4096 routes is the limit; the first problem in document order wins. */
static char *many_routes(unsigned n, int dup_at, int bad_at)
{
	size_t cap = 64 + (size_t)n * 48;
	char *s = malloc(cap);
	size_t o;

	assert_non_null(s);
	o = (size_t)snprintf(s, cap, "{'ports':[" LAN "],'routes':[");
	for (unsigned i = 0; i < n; i++) {
		unsigned k = (int)i == dup_at ? 10 : i;

		o += (size_t)snprintf(s + o, cap - o, "%s{'prefix':'10.%u.%u.0/24','port':'%s'}",
				      i ? "," : "", k >> 8, k & 255, (int)i == bad_at ? "x" : "lan");
	}
	snprintf(s + o, cap - o, "]}");
	return s;
}

static void test_route_limits(void **state)
{
	struct sl_config *cfg;
	char *s;

	(void)state;
	s = many_routes(4096, -1, -1);
	cfg = parse_ok(s);
	assert_int_equal(cfg->n_routes, 4096);
	sl_config_free(cfg);
	free(s);
	s = many_routes(4097, -1, -1);
	expect_error(s, "routes: at most 4096 routes");
	free(s);
	s = many_routes(4000, 3000, 3500);
	expect_error(s, "routes[3000].prefix: 10.0.10.0/24 is already in routes[10]");
	free(s);
	s = many_routes(4000, 3000, 2000);
	expect_error(s, "routes[2000].port: \"x\" is not the name of a port");
	free(s);
}

/* 256 neighbors is the limit; @p dup_of >= 0 makes the last entry repeat that one. */
static char *many_neighbors(unsigned n, int dup_of)
{
	size_t cap = 128 + (size_t)n * 80;
	char *s = malloc(cap);
	size_t o;

	assert_non_null(s);
	o = (size_t)snprintf(s, cap, "{'ports':[{'name':'lan','device':'01:00.0','ipv4':['10.0.0.1/16']}],"
			     "'neighbors':[");
	for (unsigned i = 0; i < n; i++) {
		unsigned k = i == n - 1 && dup_of >= 0 ? (unsigned)dup_of : i;

		o += (size_t)snprintf(s + o, cap - o, "%s{'port':'lan','address':'10.0.%u.%u','mac':'02:00:00:00:%02x:%02x'}",
				      i ? "," : "", 1 + (k >> 8), k & 255, i >> 8, i & 255);
	}
	snprintf(s + o, cap - o, "]}");
	return s;
}

static void test_neighbor_limits(void **state)
{
	struct sl_config *cfg;
	char *s;

	(void)state;
	s = many_neighbors(256, -1);
	cfg = parse_ok(s);
	assert_int_equal(cfg->n_neighbors, 256);
	assert_int_equal(cfg->neighbors[255].addr.v4, htonl(0x0a0001ff));
	assert_int_equal(cfg->neighbors[255].mac[5], 0xff);
	sl_config_free(cfg);
	free(s);
	s = many_neighbors(257, -1);
	expect_error(s, "neighbors: at most 256 entries");
	free(s);
	s = many_neighbors(256, 5);
	expect_error(s, "neighbors[255].address: 10.0.1.5 on port lan is already in neighbors[5]");
	free(s);
}

/* ------------------------------------------------------------------ units */

struct u64_case {
	const char *s;
	int rc;
	uint64_t v;
};

static void check_u64_cases(int (*parse)(const char *, uint64_t *),
			    const struct u64_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = 12345;
		int rc = parse(cases[i].s, &v);

		if (rc != cases[i].rc || (rc == 0 && v != cases[i].v))
			fail_msg("\"%s\": want rc %d value %" PRIu64 ", got rc %d value %" PRIu64,
				 cases[i].s, cases[i].rc, cases[i].v, rc, v);
		if (rc != 0)
			assert_int_equal(v, 12345);   /* untouched on error */
	}
}

static void test_durations(void **state)
{
	static const struct u64_case cases[] = {
		{ "0us", 0, 0 }, { "1us", 0, 1 }, { "5ms", 0, 5000 }, { "10s", 0, 10000000 },
		{ "2m", 0, 120000000 }, { "1h", 0, 3600000000ULL }, { "1.5s", 0, 1500000 },
		{ "0.1s", 0, 100000 }, { "1.50s", 0, 1500000 }, { "0.000001s", 0, 1 },
		{ "007ms", 0, 7000 }, { "0.5ms", 0, 500 },
		{ "18446744073709551615us", 0, UINT64_MAX },
		{ "5124095576h", 0, 18446744073600000000ULL },
		{ "1.000000000000000000s", 0, 1000000 },
		{ "18446744073709551616us", -EINVAL, 0 }, { "5124095577h", -EINVAL, 0 },
		{ "0.0000001s", -EINVAL, 0 }, { "1.5us", -EINVAL, 0 },
		{ "1.0000000000000000001s", -EINVAL, 0 },
		{ "5", -EINVAL, 0 }, { "", -EINVAL, 0 }, { " 5s", -EINVAL, 0 },
		{ "5s ", -EINVAL, 0 }, { "5 s", -EINVAL, 0 }, { "-5s", -EINVAL, 0 },
		{ "+5s", -EINVAL, 0 }, { "5S", -EINVAL, 0 }, { "5sec", -EINVAL, 0 },
		{ ".5s", -EINVAL, 0 }, { "5.s", -EINVAL, 0 }, { "1.2.3s", -EINVAL, 0 },
		{ "s", -EINVAL, 0 }, { "1e3ms", -EINVAL, 0 }, { "0x10s", -EINVAL, 0 },
	};

	(void)state;
	check_u64_cases(sl_parse_duration_us, cases, ARRAY_LEN(cases));
	assert_int_equal(sl_parse_duration_us(NULL, &(uint64_t){ 0 }), -EINVAL);
}

static void test_sizes(void **state)
{
	static const struct u64_case cases[] = {
		{ "0", 0, 0 }, { "512", 0, 512 }, { "512B", 0, 512 }, { "1KB", 0, 1000 },
		{ "1KiB", 0, 1024 }, { "64KiB", 0, 65536 }, { "1MiB", 0, 1048576 },
		{ "2MB", 0, 2000000 }, { "1GiB", 0, 1073741824 }, { "1GB", 0, 1000000000 },
		{ "1TiB", 0, 1099511627776ULL }, { "1TB", 0, 1000000000000ULL },
		{ "1.5KiB", 0, 1536 }, { "0.5KB", 0, 500 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "17179869183GiB", 0, 18446744072635809792ULL },
		{ "18446744073709551616", -EINVAL, 0 }, { "17179869184GiB", -EINVAL, 0 },
		{ "16777216TiB", -EINVAL, 0 }, { "0.5B", -EINVAL, 0 }, { "1kB", -EINVAL, 0 },
		{ "1K", -EINVAL, 0 }, { "1kib", -EINVAL, 0 }, { "1 KiB", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 }, { "", -EINVAL, 0 }, { "B", -EINVAL, 0 },
	};

	(void)state;
	check_u64_cases(sl_parse_size_bytes, cases, ARRAY_LEN(cases));
}

static void test_rates(void **state)
{
	static const struct u64_case cases[] = {
		{ "100Mbit", 0, 100000000 }, { "1Gbit", 0, 1000000000 }, { "64kbit", 0, 64000 },
		{ "1000bit", 0, 1000 }, { "1Tbit", 0, 1000000000000ULL }, { "0bit", 0, 0 },
		{ "100Mbps", 0, 100000000 }, { "1Gbps", 0, 1000000000 }, { "1kbps", 0, 1000 },
		{ "8bps", 0, 8 }, { "2Tbps", 0, 2000000000000ULL }, { "1.5Gbit", 0, 1500000000 },
		{ "18446744Tbit", 0, 18446744000000000000ULL },
		{ "18446744073709551615bit", 0, UINT64_MAX },
		{ "18446745Tbit", -EINVAL, 0 }, { "18446744073709551616bit", -EINVAL, 0 },
		{ "100", -EINVAL, 0 }, { "100mbit", -EINVAL, 0 }, { "100Kbit", -EINVAL, 0 },
		{ "100MB", -EINVAL, 0 }, { "1.5bit", -EINVAL, 0 }, { "100 Mbit", -EINVAL, 0 },
	};

	(void)state;
	check_u64_cases(sl_parse_rate_bps, cases, ARRAY_LEN(cases));
}

static void test_percent(void **state)
{
	static const struct {
		const char *s;
		int rc;
		uint32_t v;
	} cases[] = {
		{ "0%", 0, 0 }, { "40%", 0, 40 }, { "100%", 0, 100 }, { "150%", 0, 150 },
		{ "4294967295%", 0, UINT32_MAX }, { "4294967296%", -EINVAL, 0 },
		{ "40", -EINVAL, 0 }, { "-1%", -EINVAL, 0 }, { "40.5%", -EINVAL, 0 },
		{ " 40%", -EINVAL, 0 }, { "40 %", -EINVAL, 0 }, { "%", -EINVAL, 0 },
		{ "40%%", -EINVAL, 0 }, { "", -EINVAL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		uint32_t v = 7;
		int rc = sl_parse_percent(cases[i].s, &v);

		if (rc != cases[i].rc || (rc == 0 && v != cases[i].v))
			fail_msg("\"%s\": got rc %d value %u", cases[i].s, rc, v);
	}
}

static void test_unit_format(void **state)
{
	static const struct {
		void (*format)(uint64_t, char *, size_t);
		int (*parse)(const char *, uint64_t *);
		uint64_t v;
		const char *s;
	} cases[] = {
		{ sl_format_duration_us, sl_parse_duration_us, 0, "0us" },
		{ sl_format_duration_us, sl_parse_duration_us, 10000000, "10s" },
		{ sl_format_duration_us, sl_parse_duration_us, 90000000, "90s" },
		{ sl_format_duration_us, sl_parse_duration_us, 120000000, "2m" },
		{ sl_format_duration_us, sl_parse_duration_us, 3600000000ULL, "1h" },
		{ sl_format_duration_us, sl_parse_duration_us, 5000, "5ms" },
		{ sl_format_duration_us, sl_parse_duration_us, 1500, "1500us" },
		{ sl_format_duration_us, sl_parse_duration_us, UINT64_MAX, "18446744073709551615us" },
		{ sl_format_size_bytes, sl_parse_size_bytes, 0, "0B" },
		{ sl_format_size_bytes, sl_parse_size_bytes, 65536, "64KiB" },
		{ sl_format_size_bytes, sl_parse_size_bytes, 1048576, "1MiB" },
		{ sl_format_size_bytes, sl_parse_size_bytes, 1024000, "1000KiB" },
		{ sl_format_size_bytes, sl_parse_size_bytes, 1000, "1KB" },
		{ sl_format_size_bytes, sl_parse_size_bytes, 2000000, "2MB" },
		{ sl_format_size_bytes, sl_parse_size_bytes, 1536, "1536B" },
		{ sl_format_size_bytes, sl_parse_size_bytes, 1ULL << 40, "1TiB" },
		{ sl_format_size_bytes, sl_parse_size_bytes, UINT64_MAX, "18446744073709551615B" },
		{ sl_format_rate_bps, sl_parse_rate_bps, 0, "0bit" },
		{ sl_format_rate_bps, sl_parse_rate_bps, 100000000, "100Mbit" },
		{ sl_format_rate_bps, sl_parse_rate_bps, 64000, "64kbit" },
		{ sl_format_rate_bps, sl_parse_rate_bps, 1500, "1500bit" },
		{ sl_format_rate_bps, sl_parse_rate_bps, 2000000000000ULL, "2Tbit" },
	};
	char buf[SL_UNITS_STR_MAX];
	uint64_t back;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		cases[i].format(cases[i].v, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].s);
		assert_int_equal(cases[i].parse(buf, &back), 0);
		assert_true(back == cases[i].v);
	}
	/* format then parse is the identity, on a spread of values */
	for (uint64_t v = 1, i = 0; i < 2000; i++, v = v * 6364136223846793005ULL + 1442695040888963407ULL) {
		uint64_t x = v >> (i % 64);

		sl_format_duration_us(x, buf, sizeof(buf));
		assert_int_equal(sl_parse_duration_us(buf, &back), 0);
		assert_true(back == x);
		sl_format_size_bytes(x, buf, sizeof(buf));
		assert_int_equal(sl_parse_size_bytes(buf, &back), 0);
		assert_true(back == x);
		sl_format_rate_bps(x, buf, sizeof(buf));
		assert_int_equal(sl_parse_rate_bps(buf, &back), 0);
		assert_true(back == x);
	}
}

static void test_addresses(void **state)
{
	static const struct {
		const char *s;
		int rc;
		const char *canon;   /* formatted back */
	} cases[] = {
		{ "10.0.0.1", 0, "10.0.0.1" }, { "255.255.255.255", 0, "255.255.255.255" },
		{ "::1", 0, "::1" }, { "2001:DB8:0::1", 0, "2001:db8::1" },
		{ "::ffff:1.2.3.4", 0, "::ffff:1.2.3.4" }, { "::", 0, "::" },
		{ " 10.0.0.1", -EINVAL, NULL }, { "10.0.0.1 ", -EINVAL, NULL },
		{ "10.0.0.256", -EINVAL, NULL }, { "010.0.0.1", -EINVAL, NULL },
		{ "1.2.3", -EINVAL, NULL }, { "fe80::1%eth0", -EINVAL, NULL },
		{ "1::2::3", -EINVAL, NULL }, { "", -EINVAL, NULL }, { "10.0.0.1/8", -EINVAL, NULL },
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct sl_addr a;
		int rc = sl_parse_addr(cases[i].s, &a);

		if (rc != cases[i].rc)
			fail_msg("\"%s\": rc %d", cases[i].s, rc);
		if (rc == 0) {
			sl_format_addr(&a, buf, sizeof(buf));
			assert_string_equal(buf, cases[i].canon);
		}
	}
	/* a buffer too small gives an empty string, not a partial address */
	{
		struct sl_addr a;
		char small[8] = "zzzzzzz";

		assert_int_equal(sl_parse_addr("192.168.100.200", &a), 0);
		assert_int_equal(a.af, SL_AF_INET);
		assert_int_equal(a.v4, htonl(0xc0a864c8));
		sl_format_addr(&a, small, sizeof(small));
		assert_string_equal(small, "");
	}
}

static void test_prefixes(void **state)
{
	static const struct {
		const char *s;
		int rc;
		const char *canon;
	} cases[] = {
		{ "10.0.0.0/8", 0, "10.0.0.0/8" }, { "10.0.0.1", 0, "10.0.0.1/32" },
		{ "0.0.0.0/0", 0, "0.0.0.0/0" }, { "::/0", 0, "::/0" }, { "2001:db8::", 0, "2001:db8::/128" },
		{ "2001:db8::/128", 0, "2001:db8::/128" }, { "10.1.2.3/32", 0, "10.1.2.3/32" },
		{ "10.0.0.0/33", -EINVAL, NULL }, { "10.0.0.0/-1", -EINVAL, NULL },
		{ "10.0.0.0/+8", -EINVAL, NULL }, { "10.0.0.0/08", -EINVAL, NULL },
		{ "10.0.0.0/", -EINVAL, NULL }, { "10.0.0.0/8 ", -EINVAL, NULL },
		{ " 10.0.0.0/8", -EINVAL, NULL }, { "2001:db8::/129", -EINVAL, NULL },
		{ "10.0.0.0/8/8", -EINVAL, NULL }, { "/8", -EINVAL, NULL }, { "10.0.0.0/1000", -EINVAL, NULL },
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct sl_prefix p;
		int rc = sl_parse_prefix(cases[i].s, &p);

		if (rc != cases[i].rc)
			fail_msg("\"%s\": rc %d", cases[i].s, rc);
		if (rc == 0) {
			sl_format_prefix(&p, buf, sizeof(buf));
			assert_string_equal(buf, cases[i].canon);
		}
	}
}

static void check_mask(const char *in, const char *want)
{
	struct sl_prefix p;
	char buf[64];

	assert_int_equal(sl_parse_prefix(in, &p), 0);
	sl_prefix_mask(&p);
	sl_format_prefix(&p, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static bool contains(const char *prefix, const char *addr)
{
	struct sl_prefix p;
	struct sl_addr a;

	assert_int_equal(sl_parse_prefix(prefix, &p), 0);
	assert_int_equal(sl_parse_addr(addr, &a), 0);
	return sl_prefix_contains(&p, &a);
}

static void test_mask_contains(void **state)
{
	(void)state;
	check_mask("10.1.2.3/8", "10.0.0.0/8");
	check_mask("10.1.2.3/0", "0.0.0.0/0");
	check_mask("10.1.2.3/32", "10.1.2.3/32");
	check_mask("10.1.2.255/31", "10.1.2.254/31");
	check_mask("10.1.255.3/20", "10.1.240.0/20");
	check_mask("2001:db8:ffff::1/35", "2001:db8:e000::/35");
	check_mask("2001:db8::1/128", "2001:db8::1/128");
	check_mask("2001:db8::1/0", "::/0");
	assert_true(contains("10.0.0.0/24", "10.0.0.255"));
	assert_false(contains("10.0.0.0/24", "10.0.1.0"));
	assert_true(contains("10.0.0.7/24", "10.0.0.1"));   /* host bits of p ignored */
	assert_true(contains("0.0.0.0/0", "192.0.2.1"));
	assert_false(contains("0.0.0.0/0", "::1"));          /* family differs */
	assert_true(contains("10.0.0.1/32", "10.0.0.1"));
	assert_false(contains("10.0.0.1/32", "10.0.0.2"));
	assert_true(contains("2001:db8::/33", "2001:db8:7fff::1"));
	assert_false(contains("2001:db8::/33", "2001:db8:8000::1"));
	assert_true(contains("::/0", "::1"));
}

/* ------------------------------------------------------- canonical output */

static void test_round_trip(void **state)
{
	struct sl_config *a = parse_ok(rich), *b, *d;
	char *ta = canon(a), *tb, err[SL_CONFIG_ERR_MAX];
	json_t *j;

	(void)state;
	j = json_loads(ta, 0, NULL);
	assert_non_null(j);
	b = sl_config_parse(j, err, sizeof(err));
	json_decref(j);
	if (b == NULL)
		fail_msg("canonical output does not parse: %s", err);
	assert_config_equal(a, b);
	tb = canon(b);
	assert_string_equal(ta, tb);
	/* the canonical form of the rich document, spelled out */
	assert_non_null(strstr(ta, "\"mac\":\"02:ab:00:00:00:01\""));
	assert_non_null(strstr(ta, "\"ipv6\":[\"2001:db8::1/64\",\"fe80::1/64\"]"));
	assert_non_null(strstr(ta, "\"routes\":[{\"prefix\":\"0.0.0.0/0\",\"via\":\"192.0.2.1\",\"type\":\"unicast\"},"
				"{\"prefix\":\"10.20.0.0/16\",\"via\":\"10.0.0.254\",\"port\":\"lan\",\"type\":\"unicast\"},"
				"{\"prefix\":\"10.30.0.0/16\",\"port\":\"lan\",\"type\":\"unicast\"},"
				"{\"prefix\":\"198.51.100.7/32\",\"type\":\"blackhole\"},"));
	assert_non_null(strstr(ta, "\"type\":\"unreachable\"}],\"neighbors\":["
				"{\"port\":\"lan\",\"address\":\"10.0.0.10\",\"mac\":\"02:ab:cd:00:00:10\"},"
				"{\"port\":\"wan\",\"address\":\"fe80::5\",\"mac\":\"02:00:00:00:00:05\"},"
				"{\"port\":\"lan\",\"address\":\"2001:db8::10\",\"mac\":\"02:00:00:00:00:11\"}],"
				"\"api\":"));
	assert_non_null(strstr(ta, "\"api\":{\"listen\":\"::\",\"port\":9443,\"token_file\":\"/etc/sluice/token\","
				"\"connection_limit\":100,\"per_ip_limit\":100,\"timeout\":\"90s\","
				"\"memory_limit\":\"128KiB\",\"max_body\":\"2MB\"}"));
	assert_non_null(strstr(ta, "\"eal\":{\"lcores\":\"0@0,1@1,2@(1-2)\",\"memory\":\"1GiB\",\"hugepages\":\"on\","));
	assert_non_null(strstr(ta, "\"workers\":{\"idle_sleep\":\"500us\",\"burst\":64}"));
	/* a deep copy is equal and independent */
	d = sl_config_dup(a);
	assert_non_null(d);
	assert_ptr_not_equal(d->routes, a->routes);
	assert_config_equal(a, d);
	sl_config_route_del(d, 0);
	assert_int_equal(a->n_routes, 6);
	d->neighbors[0].mac[5] = 0x99;
	d->n_neighbors = 1;
	assert_int_equal(a->neighbors[0].mac[5], 0x10);
	assert_int_equal(a->n_neighbors, 3);
	free(ta);
	free(tb);
	sl_config_free(a);
	sl_config_free(b);
	sl_config_free(d);
}

/* ------------------------------------------------------------------- diff */

static char *diff_text(const char *ja, const char *jb)
{
	struct sl_config *a = parse_ok(ja), *b = parse_ok(jb);
	json_t *d = sl_config_diff(a, b);
	char *s;

	assert_non_null(d);
	s = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	sl_config_free(a);
	sl_config_free(b);
	return s;
}

#define DIFF_BASE "{'ports':[{'name':'lan','device':'01:00.0','ipv4':['10.0.0.1/24']}]," \
	"'routes':[{'prefix':'10.1.0.0/16','via':'10.0.0.254'},{'prefix':'10.2.0.0/16','port':'lan'}," \
	"{'prefix':'10.3.0.0/16','type':'blackhole'}]}"

static void test_diff(void **state)
{
	char *s;

	(void)state;
	s = diff_text(DIFF_BASE, DIFF_BASE);
	assert_string_equal(s, "[]");
	free(s);
	s = diff_text(DIFF_BASE,
		      "{'ports':[{'name':'lan','device':'01:00.0','mtu':9000,'ipv4':['10.0.0.1/24'],"
		      "'mac':'02:00:00:00:00:01'},{'name':'wan','device':'net_tap0'}],"
		      "'routes':[{'prefix':'10.4.0.0/16','port':'wan'},"
		      "{'prefix':'10.2.0.0/16','port':'lan','type':'unicast'},"
		      "{'prefix':'10.3.0.0/16','type':'unreachable'}],"
		      "'api':{'port':8081,'timeout':'1m'},'log':{'level':'debug'},'eal':{'args':['-n','4']}}");
	assert_string_equal(s,
		"[{\"path\":\"eal.args\",\"old\":[],\"new\":[\"-n\",\"4\"]},"
		"{\"path\":\"ports[lan].mtu\",\"old\":1500,\"new\":9000},"
		"{\"path\":\"ports[lan].mac\",\"old\":null,\"new\":\"02:00:00:00:00:01\"},"
		"{\"path\":\"ports[wan]\",\"old\":null,\"new\":{\"name\":\"wan\",\"device\":\"net_tap0\","
		"\"mtu\":1500,\"queues\":0,\"rx_desc\":0,\"tx_desc\":0,\"ipv4\":[],\"ipv6\":[]}},"
		"{\"path\":\"routes[10.1.0.0/16]\",\"old\":{\"prefix\":\"10.1.0.0/16\",\"via\":\"10.0.0.254\","
		"\"type\":\"unicast\"},\"new\":null},"
		"{\"path\":\"routes[10.3.0.0/16]\",\"old\":{\"prefix\":\"10.3.0.0/16\",\"type\":\"blackhole\"},"
		"\"new\":{\"prefix\":\"10.3.0.0/16\",\"type\":\"unreachable\"}},"
		"{\"path\":\"routes[10.4.0.0/16]\",\"old\":null,\"new\":{\"prefix\":\"10.4.0.0/16\","
		"\"port\":\"wan\",\"type\":\"unicast\"}},"
		"{\"path\":\"api.port\",\"old\":8080,\"new\":8081},"
		"{\"path\":\"api.timeout\",\"old\":\"10s\",\"new\":\"1m\"},"
		"{\"path\":\"log.level\",\"old\":\"info\",\"new\":\"debug\"}]");
	free(s);
	/* a removed port and a removed token file; keyed by name, not index */
	s = diff_text("{'ports':[{'name':'a','device':'net_null0'},{'name':'b','device':'net_null1'}],"
		      "'api':{'token_file':'/t'}}",
		      "{'ports':[{'name':'b','device':'net_null1'}]}");
	assert_string_equal(s,
		"[{\"path\":\"ports[a]\",\"old\":{\"name\":\"a\",\"device\":\"net_null0\",\"mtu\":1500,"
		"\"queues\":0,\"rx_desc\":0,\"tx_desc\":0,\"ipv4\":[],\"ipv6\":[]},\"new\":null},"
		"{\"path\":\"api.token_file\",\"old\":\"/t\",\"new\":null}]");
	free(s);
}

#define NDIFF_PORTS "'ports':[{'name':'lan','device':'01:00.0','ipv4':['10.0.0.1/24']}," \
	"{'name':'wan','device':'net_tap0','ipv4':['192.0.2.2/30']}]"
#define NDIFF_BASE "{" NDIFF_PORTS ",'neighbors':[" NB("lan", "10.0.0.2", MAC2) "," \
	NB("lan", "10.0.0.3", "02:00:00:00:00:03") "," NB("wan", "192.0.2.1", "02:00:00:00:00:01") "," \
	NB("lan", "fe80::9", "02:00:00:00:00:09") "]}"

/* Neighbors are keyed by port and address; a changed MAC shows the entry whole. */
static void test_diff_neighbors(void **state)
{
	char *s;

	(void)state;
	s = diff_text(NDIFF_BASE, NDIFF_BASE);
	assert_string_equal(s, "[]");
	free(s);
	/* order and spelling do not matter, only the canonical entries */
	s = diff_text(NDIFF_BASE, "{" NDIFF_PORTS ",'neighbors':["
		      "{'mac':'02:00:00:00:00:09','address':'FE80:0::9','port':'lan'},"
		      NB("wan", "192.0.2.1", "02:00:00:00:00:01") "," NB("lan", "10.0.0.3", "02:00:00:00:00:03") ","
		      NB("lan", "10.0.0.2", MAC2) "]}");
	assert_string_equal(s, "[]");
	free(s);
	s = diff_text(NDIFF_BASE, "{" NDIFF_PORTS ",'routes':[{'prefix':'10.5.0.0/16','via':'10.0.0.2'}],"
		      "'neighbors':[" NB("wan", "fe80::9", "02:00:00:00:00:09") ","
		      NB("lan", "10.0.0.3", "02:00:00:00:00:03") "," NB("wan", "192.0.2.1", "02:00:00:00:00:01") ","
		      NB("lan", "10.0.0.2", "02:00:00:00:00:22") "],'log':{'level':'debug'}}");
	assert_string_equal(s,
		"[{\"path\":\"routes[10.5.0.0/16]\",\"old\":null,\"new\":{\"prefix\":\"10.5.0.0/16\","
		"\"via\":\"10.0.0.2\",\"type\":\"unicast\"}},"
		"{\"path\":\"neighbors[lan/10.0.0.2]\","
		"\"old\":{\"port\":\"lan\",\"address\":\"10.0.0.2\",\"mac\":\"02:00:00:00:00:02\"},"
		"\"new\":{\"port\":\"lan\",\"address\":\"10.0.0.2\",\"mac\":\"02:00:00:00:00:22\"}},"
		"{\"path\":\"neighbors[lan/fe80::9]\","
		"\"old\":{\"port\":\"lan\",\"address\":\"fe80::9\",\"mac\":\"02:00:00:00:00:09\"},\"new\":null},"
		"{\"path\":\"neighbors[wan/fe80::9]\",\"old\":null,"
		"\"new\":{\"port\":\"wan\",\"address\":\"fe80::9\",\"mac\":\"02:00:00:00:00:09\"}},"
		"{\"path\":\"log.level\",\"old\":\"info\",\"new\":\"debug\"}]");
	free(s);
	/* all removed */
	s = diff_text(NDIFF_BASE, "{" NDIFF_PORTS "}");
	assert_string_equal(s,
		"[{\"path\":\"neighbors[lan/10.0.0.2]\",\"old\":{\"port\":\"lan\",\"address\":\"10.0.0.2\","
		"\"mac\":\"02:00:00:00:00:02\"},\"new\":null},"
		"{\"path\":\"neighbors[lan/10.0.0.3]\",\"old\":{\"port\":\"lan\",\"address\":\"10.0.0.3\","
		"\"mac\":\"02:00:00:00:00:03\"},\"new\":null},"
		"{\"path\":\"neighbors[wan/192.0.2.1]\",\"old\":{\"port\":\"wan\",\"address\":\"192.0.2.1\","
		"\"mac\":\"02:00:00:00:00:01\"},\"new\":null},"
		"{\"path\":\"neighbors[lan/fe80::9]\",\"old\":{\"port\":\"lan\",\"address\":\"fe80::9\","
		"\"mac\":\"02:00:00:00:00:09\"},\"new\":null}]");
	free(s);
}

/* ------------------------------------------------------------ live change */

static void expect_live(const char *ja, const char *jb, int want_rc, const char *want_err)
{
	struct sl_config *a = parse_ok(ja), *b = parse_ok(jb);
	char err[SL_CONFIG_ERR_MAX] = "unset";
	int rc = sl_config_check_live_change(a, b, err, sizeof(err));

	if (rc != want_rc || strcmp(err, want_err) != 0)
		fail_msg("%s -> %s\n  want %d \"%s\"\n  got  %d \"%s\"", ja, jb, want_rc, want_err, rc, err);
	sl_config_free(a);
	sl_config_free(b);
}

#define LIVE_PORTS "'ports':[{'name':'lan','device':'01:00.0','ipv4':['10.0.0.1/24']}," \
	"{'name':'wan','device':'net_tap0'}]"
#define LIVE_BASE "{" LIVE_PORTS "}"
#define LIVE_WITH(lan_kv, rest) "{'ports':[{'name':'lan','device':'01:00.0','ipv4':['10.0.0.1/24']" \
	lan_kv "},{'name':'wan','device':'net_tap0'}]" rest "}"
#define BUSY(p) p ": cannot change while running (restart sluice to apply)"

static void test_live_change(void **state)
{
	(void)state;
	expect_live(LIVE_BASE, LIVE_BASE, 0, "");
	/* live */
	expect_live(LIVE_BASE, LIVE_WITH(",'mtu':9000", ""), 0, "");
	expect_live(LIVE_BASE, "{'ports':[{'name':'lan','device':'01:00.0','ipv4':['10.0.0.2/24'],"
		    "'ipv6':['fe80::1/64']},{'name':'wan','device':'net_tap0','mtu':1280}]}", 0, "");
	/* the same PCI device spelled the long way is not a change */
	expect_live(LIVE_BASE, "{'ports':[{'name':'lan','device':'0000:01:00.0','ipv4':['10.0.0.1/24']},"
		    "{'name':'wan','device':'net_tap0'}]}", 0, "");
	expect_live(LIVE_BASE, LIVE_WITH("", ",'routes':[{'prefix':'10.1.0.0/16','port':'lan'}]"), 0, "");
	expect_live(LIVE_BASE, LIVE_WITH("", ",'api':{'token_file':'/t','connection_limit':5,'timeout':'1m'}"), 0, "");
	expect_live(LIVE_BASE, LIVE_WITH("", ",'log':{'level':'err'},'workers':{'burst':8,'idle_sleep':'1ms'}"), 0, "");
	expect_live(LIVE_BASE, LIVE_WITH("", ",'neighbors':[" NB("lan", "10.0.0.2", MAC2) "]"), 0, "");
	expect_live(LIVE_WITH("", ",'neighbors':[" NB("lan", "10.0.0.2", MAC2) "]"),
		    LIVE_WITH("", ",'neighbors':[" NB("lan", "10.0.0.2", "02:00:00:00:00:03") ","
			      NB("wan", "fe80::2", MAC2) "]"), 0, "");
	/* restart */
	expect_live(LIVE_BASE, "{'ports':[{'name':'lan','device':'02:00.0'},{'name':'wan','device':'net_tap0'}]}",
		    -EBUSY, BUSY("ports[lan].device"));
	expect_live(LIVE_BASE, "{'ports':[{'name':'lan','device':'01:00.0'},{'name':'wan',"
		    "'device':'net_tap0,iface=x'}]}", -EBUSY, BUSY("ports[wan].device"));
	expect_live(LIVE_BASE, LIVE_WITH(",'queues':2", ""), -EBUSY, BUSY("ports[lan].queues"));
	expect_live(LIVE_BASE, LIVE_WITH(",'rx_desc':512", ""), -EBUSY, BUSY("ports[lan].rx_desc"));
	expect_live(LIVE_BASE, LIVE_WITH(",'tx_desc':512", ""), -EBUSY, BUSY("ports[lan].tx_desc"));
	expect_live(LIVE_BASE, LIVE_WITH(",'mac':'02:00:00:00:00:01'", ""), -EBUSY, BUSY("ports[lan].mac"));
	expect_live(LIVE_WITH(",'mac':'02:00:00:00:00:01'", ""), LIVE_WITH(",'mac':'02:00:00:00:00:02'", ""),
		    -EBUSY, BUSY("ports[lan].mac"));
	expect_live(LIVE_BASE, "{'ports':[{'name':'lan','device':'01:00.0'}]}", -EBUSY,
		    "ports[wan]: cannot remove a port while running (restart sluice to apply)");
	expect_live(LIVE_BASE, "{'ports':[{'name':'lan','device':'01:00.0'},{'name':'wan2','device':'net_tap0'}]}",
		    -EBUSY, "ports[wan]: cannot remove a port while running (restart sluice to apply)");
	expect_live(LIVE_BASE, "{'ports':[{'name':'lan','device':'01:00.0'},{'name':'wan','device':'net_tap0'},"
		    "{'name':'dmz','device':'net_tap1'}]}",
		    -EBUSY, "ports[dmz]: cannot add a port while running (restart sluice to apply)");
	expect_live(LIVE_BASE, "{'ports':[{'name':'wan','device':'net_tap0'},{'name':'lan','device':'01:00.0'}]}",
		    -EBUSY, "ports: cannot reorder ports while running (restart sluice to apply)");
	expect_live(LIVE_BASE, "{'eal':{'lcores':'0-3'}," LIVE_PORTS "}", -EBUSY, BUSY("eal.lcores"));
	expect_live(LIVE_BASE, "{'eal':{'memory':'1GiB'}," LIVE_PORTS "}", -EBUSY, BUSY("eal.memory"));
	expect_live(LIVE_BASE, "{'eal':{'hugepages':'off'}," LIVE_PORTS "}", -EBUSY, BUSY("eal.hugepages"));
	expect_live(LIVE_BASE, "{'eal':{'file_prefix':'x'}," LIVE_PORTS "}", -EBUSY, BUSY("eal.file_prefix"));
	expect_live(LIVE_BASE, "{'eal':{'args':['-n','4']}," LIVE_PORTS "}", -EBUSY, BUSY("eal.args"));
	expect_live(LIVE_BASE, LIVE_WITH("", ",'api':{'listen':'::1'}"), -EBUSY, BUSY("api.listen"));
	expect_live(LIVE_BASE, LIVE_WITH("", ",'api':{'port':9000}"), -EBUSY, BUSY("api.port"));
	/* the first restart-only change in schema order is named */
	expect_live(LIVE_BASE, "{'eal':{'args':['-n','4']},'ports':[{'name':'lan','device':'02:00.0'},"
		    "{'name':'wan','device':'net_tap0'}],'api':{'port':1}}", -EBUSY, BUSY("eal.args"));
}

/* ------------------------------------------------------------ save, load */

static char tmpdir[64];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static unsigned count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int setup_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config.XXXXXX");
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int teardown_tmpdir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_save_load(void **state)
{
	struct sl_config *a = parse_ok(rich), *b;
	char path[128], err[SL_CONFIG_ERR_MAX];
	static const char head[] = "{\n  \"eal\": {\n    \"lcores\": \"0@0,1@1,2@(1-2)\",\n";
	struct stat st;
	char *text, *compact;

	(void)state;
	snprintf(path, sizeof(path), "%s/sluice.json", tmpdir);
	write_file(path, "old contents");
	chmod(path, 0666);
	assert_int_equal(sl_config_save(a, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);       /* replaced, not rewritten */
	assert_int_equal(count_entries(tmpdir), 1);        /* no temp file left */
	text = read_file(path);
	assert_memory_equal(text, head, strlen(head));
	assert_int_equal(text[strlen(text) - 1], '\n');
	assert_int_equal(text[strlen(text) - 2], '}');
	b = sl_config_load(path, err, sizeof(err));
	if (b == NULL)
		fail_msg("load: %s", err);
	assert_config_equal(a, b);
	compact = canon(b);
	sl_config_free(b);
	/* saving the loaded config again gives the same bytes */
	b = parse_ok(compact);
	assert_int_equal(sl_config_save(b, path), 0);
	{
		char *again = read_file(path);

		assert_string_equal(text, again);
		free(again);
	}
	free(text);
	free(compact);
	sl_config_free(a);
	sl_config_free(b);
}

static void test_save_errors(void **state)
{
	struct sl_config *a = parse_ok("{" ONE "}");
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/missing/sluice.json", tmpdir);
	assert_int_equal(sl_config_save(a, path), -ENOENT);
	snprintf(path, sizeof(path), "%s/", tmpdir);
	assert_int_equal(sl_config_save(a, path), -EISDIR);
	sl_config_free(a);
}

static void expect_load_error(const char *name, const char *text, const char *want_tail)
{
	char path[128], want[SL_CONFIG_ERR_MAX + 128], err[SL_CONFIG_ERR_MAX];
	struct sl_config *cfg;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if (text != NULL)
		write_file(path, text);
	cfg = sl_config_load(path, err, sizeof(err));
	assert_null(cfg);
	snprintf(want, sizeof(want), "%s%s", path, want_tail);
	assert_string_equal(err, want);
}

static void test_load_errors(void **state)
{
	(void)state;
	expect_load_error("nope.json", NULL, ": No such file or directory");
	expect_load_error("syntax.json", "{\n  \"ports\": [\n}\n", ":3:1: unexpected token near '}'");
	expect_load_error("dup.json", "{\"ports\": [], \"ports\": []}",
			  ":1:21: duplicate object key near '\"ports\"'");
	expect_load_error("empty.json", "", ":1:0: '[' or '{' expected near end of file");
	expect_load_error("invalid.json", "{\"ports\": []}", ": ports: expected 1 to 8 ports, got 0");
}

/* ----------------------------------------------------------------- routes */

static void test_route_edits(void **state)
{
	struct sl_config *cfg = parse_ok(DIFF_BASE);
	struct sl_config_route r, big;
	char err[SL_CONFIG_ERR_MAX];
	struct sl_prefix p;
	json_t *j;
	char *s;

	(void)state;
	/* parse one route against the config's ports */
	j = doc("{'prefix':'10.9.0.0/16','via':'10.0.0.9'}");
	assert_int_equal(sl_config_route_parse(cfg, j, &r, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	json_decref(j);
	assert_int_equal(r.port, -1);
	assert_int_equal(sl_config_route_port(cfg, &r), 0);
	/* add, find, duplicate */
	assert_int_equal(sl_config_route_add(cfg, &r), 0);
	assert_int_equal(cfg->n_routes, 4);
	assert_int_equal(sl_parse_prefix("10.9.255.1/16", &p), 0);   /* host bits ignored */
	assert_int_equal(sl_config_route_find(cfg, &p), 3);
	assert_int_equal(sl_config_route_add(cfg, &r), -EEXIST);
	assert_int_equal(sl_parse_prefix("10.9.0.0/17", &p), 0);
	assert_int_equal(sl_config_route_find(cfg, &p), -1);
	/* as JSON, the shape parse accepts */
	j = sl_config_route_to_json(cfg, &cfg->routes[1]);
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s, "{\"prefix\":\"10.2.0.0/16\",\"port\":\"lan\",\"type\":\"unicast\"}");
	free(s);
	json_decref(j);
	/* delete keeps the order of the rest */
	sl_config_route_del(cfg, 0);
	assert_int_equal(cfg->n_routes, 3);
	assert_int_equal(cfg->routes[0].prefix.addr.v4, htonl(0x0a020000));
	assert_int_equal(cfg->routes[2].prefix.addr.v4, htonl(0x0a090000));
	sl_config_route_del(cfg, 3);                          /* out of range: no-op */
	assert_int_equal(cfg->n_routes, 3);
	/* bad port index */
	big = r;
	big.port = 1;
	assert_int_equal(sl_config_route_add(cfg, &big), -EINVAL);
	/* fill to the limit */
	big.port = 0;
	while (cfg->n_routes < SL_CONFIG_MAX_ROUTES) {
		big.prefix.addr.v4 = htonl(0x0b000000 | cfg->n_routes << 8);
		big.prefix.len = 24;
		assert_int_equal(sl_config_route_add(cfg, &big), 0);
	}
	big.prefix.addr.v4 = htonl(0x0c000000);
	assert_int_equal(sl_config_route_add(cfg, &big), -ENOSPC);
	sl_config_free(cfg);
}

static void test_route_parse_errors(void **state)
{
	static const struct bad_case cases[] = {
		{ "{'prefix':'10.9.0.0/16','via':'10.0.0.300'}", "route.via: \"10.0.0.300\" is not an IPv4 address" },
		{ "{'prefix':'10.9.0.1/16','port':'lan'}",
		  "route.prefix: \"10.9.0.1/16\" has host bits set (did you mean \"10.9.0.0/16\"?)" },
		{ "{'prefix':'10.9.0.0/16','via':'10.7.0.1'}", "route.via: 10.7.0.1 is not on any port's subnet" },
		{ "{'prefix':'10.9.0.0/16','port':'wan'}", "route.port: \"wan\" is not the name of a port" },
		{ "{'prefix':'10.9.0.0/16'}", "route: a unicast route needs \"via\" or \"port\"" },
		{ "{'prefix':'10.9.0.0/16','port':'lan','metric':1}", "route.metric: unknown key" },
		{ "[]", "route: expected an object" },
	};
	struct sl_config *cfg = parse_ok(DIFF_BASE);
	char err[SL_CONFIG_ERR_MAX];
	struct sl_config_route r;

	(void)state;
	memset(&r, 0x5a, sizeof(r));
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		json_t *j = doc(cases[i].json);

		assert_int_equal(sl_config_route_parse(cfg, j, &r, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, cases[i].err);
		assert_int_equal(r.port, 0x5a5a5a5a);           /* out untouched */
		json_decref(j);
	}
	sl_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_error_escaping),
		cmocka_unit_test(test_error_buffer),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_canonical_minimal),
		cmocka_unit_test(test_rich_values),
		cmocka_unit_test(test_good_edge_cases),
		cmocka_unit_test(test_per_ip_default),
		cmocka_unit_test(test_route_limits),
		cmocka_unit_test(test_neighbor_limits),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_unit_format),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_mask_contains),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_diff_neighbors),
		cmocka_unit_test(test_live_change),
		cmocka_unit_test_setup_teardown(test_save_load, setup_tmpdir, teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_save_errors, setup_tmpdir, teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_load_errors, setup_tmpdir, teardown_tmpdir),
		cmocka_unit_test(test_route_edits),
		cmocka_unit_test(test_route_parse_errors),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}

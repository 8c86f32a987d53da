/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of lib/config's schema: documents it refuses, with their exact
 * messages, and documents it accepts, with every value they set.
 *
 * Principles:
 *  - Every error case asserts the exact message, and the first error in
 *    document order is the one reported.
 *  - Boundaries on both sides (68 and 67, 1h and 2h, 4096 routes and 4097).
 *  - Defaults are asserted one by one, and as canonical text.
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

#include "config_fixture.h"

#define LAN2 "{'name':'b','device':'net_null1'}"
#define LAN3 "{'name':'c','device':'net_null2'}"
#define LAN4 "{'name':'d','device':'net_null3'}"
#define LAN5 "{'name':'e','device':'net_null4'}"
#define LAN6 "{'name':'f','device':'net_null5'}"
#define LAN7 "{'name':'g','device':'net_null6'}"
#define LAN8 "{'name':'h','device':'net_null7'}"
#include "sl_log.h"

/* ------------------------------------------------------------ bad configs */

/* A service on VIP 10.9.0.1:80/tcp and @p kv (with "backends"). */
#define SVC_B(kv) "{'name':'web','vip':'10.9.0.1','proto':'tcp','port':80" kv "}"
/* The same with no backends. */
#define SVC(kv) SVC_B(",'backends':[]" kv)

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
	/* services */
	{ "{" TWO ",'services':[" SVC("") "]}", "services: needs connection tracking: add a \"flow\" section" },
	{ "{" TWO ",'flow':{},'services':[" SVC(",'scheduler':'fastest'") "]}",
	  "services[0].scheduler: \"fastest\" is not one of rr, wrr, lc, sh, maglev" },
	{ "{" TWO ",'flow':{},'services':[{'name':'w','vip':'10.0.0.1','proto':'tcp','port':80,'backends':[]}]}",
	  "services[0].vip: \"10.0.0.1\" is an address of port lan (a service needs an address of its own)" },
	{ "{" TWO ",'flow':{},'services':[" SVC_B(",'backends':[{'address':'10.0.0.9','weight':1001}]") "]}",
	  "services[0].backends[0].weight: 1001 is out of range 0..1000" },
	{ "{" TWO ",'flow':{},'services':[" SVC_B(",'backends':[{'address':'2001:db8::9'}]") "]}",
	  "services[0].backends[0]: address is IPv6 but the vip is IPv4" },
	{ "{" TWO ",'flow':{},'services':[" SVC(",'mode':'fullnat'") "]}",
	  "services[0].sources: required with mode \"fullnat\" (the addresses backends see connections come from)" },
	{ "{" TWO ",'flow':{},'services':[" SVC(",'source_ports':'2000-1000'") "]}",
	  "services[0].source_ports: \"2000-1000\" is inverted (the first port is above the last)" },
	{ "{" TWO ",'flow':{},'services':[" SVC(",'maglev_size':65536") "]}",
	  "services[0].maglev_size: 65536 is not a prime number (try 65537)" },
	{ "{" TWO ",'flow':{},'services':[" SVC(",'health':{'interval':'1s','timeout':'1s'}") "]}",
	  "services[0].health.timeout: must be shorter than the interval" },
	{ "{" TWO ",'flow':{},'services':[" SVC("") "," SVC("") "]}",
	  "services[1].name: \"web\" is already the name of services[0]" },
	{ "{" TWO ",'flow':{},'services':[" SVC("") ",{'name':'w2','vip':'10.9.0.1','proto':'tcp','port':80,'backends':[]}]}",
	  "services[1].port: 10.9.0.1 port 80/tcp is already service \"web\"" },
	{ "{" TWO ",'flow':{},'services':[" SVC_B(",'backends':[{'address':'10.9.0.1'}]") "]}",
	  "services[0].backends[0].address: is an address of service \"web\" (sluice's own)" },
	{ "{" TWO ",'flow':{},'nat':{'dnat':[{'in_port':'wan','proto':'tcp','port':1010,'to':'10.0.0.9:80'}]},"
	  "'services':[" SVC(",'health':{'type':'tcp'}") "]}",
	  "nat.dnat[0].port: is one of ports 1000-1023, the source ports of TCP health checks (services[0].health)" },
	{ "{" TWO ",'flow':{},'services':[" SVC_B(",'backends':[{'address':'10.0.0.9'},{'address':'10.0.0.9','port':80}]") "]}",
	  "services[0].backends[1]: the same backend as backends[0]" },
	/* acl */
	{ "{" TWO ",'acl':{'rules':[{'action':'deny','proto':'tcp','dport':'2000-1000'}]}}",
	  "acl.rules[0].dport: \"2000-1000\" is written backwards (the first port is above the last)" },
	{ "{" TWO ",'acl':{'rules':[{'action':'deny','proto':'tcp','dport':70000}]}}",
	  "acl.rules[0].dport: 70000 is out of range 0..65535" },
	{ "{" TWO ",'acl':{'rules':[{'action':'deny','proto':'tcp','sport':'1-2-3'}]}}",
	  "acl.rules[0].sport: \"1-2-3\" is not a port or a range like \"1024-65535\"" },
	{ "{" TWO ",'acl':{'rules':[{'action':'deny','dport':80}]}}",
	  "acl.rules[0].dport: needs \"proto\": \"tcp\" or \"udp\"" },
	{ "{" TWO ",'acl':{'rules':[{'action':'drop'}]}}",
	  "acl.rules[0].action: \"drop\" is not one of allow, deny, reject" },
	{ "{" TWO ",'acl':{'rules':[{'proto':'tcp'}]}}", "acl.rules[0].action: required" },
	{ "{" TWO ",'acl':{'rules':[{'action':'deny','in_port':'dmz'}]}}",
	  "acl.rules[0].in_port: \"dmz\" is not a port" },
	{ "{" TWO ",'acl':{'rules':[{'action':'deny','zone':'dmz'}]}}",
	  "acl.rules[0].zone: \"dmz\" is not one of inside, outside" },
	{ "{" TWO ",'acl':{'rules':[{'action':'deny','src':'10.0.0.1/8'}]}}",
	  "acl.rules[0].src: \"10.0.0.1/8\" has host bits set" },
	{ "{" TWO ",'acl':{'rules':[{'action':'deny','src':'10.0.0.0/8','dst':'2001:db8::/32'}]}}",
	  "acl.rules[0].dst: is IPv6, src is IPv4 (a rule matches one family, or both when it names no prefix)" },
	{ "{" TWO ",'acl':{'rules':[{'action':'deny','dst':'2001:db8::/32','proto':'icmp'}]}}",
	  "acl.rules[0].proto: icmp does not go with IPv6 prefixes" },
	{ "{" TWO ",'acl':{'rules':[{'action':'deny','proto':'sctp'}]}}",
	  "acl.rules[0].proto: \"sctp\" is not one of tcp, udp, icmp, icmpv6 or a number 0..255" },
	{ "{" TWO ",'acl':{'rules':[{'action':'deny','proto':'udp','tcp_flags':'syn'}]}}",
	  "acl.rules[0].tcp_flags: needs \"proto\": \"tcp\"" },
	{ "{" TWO ",'acl':{'rules':[{'action':'deny','proto':'tcp','tcp_flags':'syn/ack'}]}}",
	  "acl.rules[0].tcp_flags: \"syn/ack\": the flags before \"/\" must be among those after it" },
	{ "{" TWO ",'acl':{'rules':[{'action':'deny','proto':'tcp','tcp_flags':'sin'}]}}",
	  "acl.rules[0].tcp_flags: \"sin\" is not flags like \"syn\" or \"syn/syn,ack\" (of fin, syn, rst, psh, ack, urg, ece, cwr)" },
	{ "{" TWO ",'acl':{'rules':[{'action':'deny','dscp':'af44'}]}}",
	  "acl.rules[0].dscp: \"af44\" is not a DSCP (0..63, ef, cs0..cs7, af11..af43)" },
	{ "{" TWO ",'acl':{'default':'reject'}}", "acl.default: \"reject\" is not one of allow, deny" },
	{ "{" TWO ",'acl':{'rules':[{'name':'a','action':'deny'},{'name':'b','action':'deny'},{'name':'a','action':'allow'}]}}",
	  "acl.rules[2].name: \"a\" is already the name of acl.rules[0]" },
	{ "{" TWO ",'acl':{'rules':[{'name':'A','action':'deny'}]}}",
	  "acl.rules[0].name: \"A\" is not a valid name (1 to 31 of a-z 0-9 _ -)" },
	{ "{" TWO ",'acl':{'rule':[]}}", "acl.rule: unknown key" },
	/* sets, and what names them */
	{ "{" TWO ",'acl':{'rules':[{'action':'deny','src_set':'blocklist'}]}}",
	  "acl.rules[0].src_set: \"blocklist\" is no set of \"sets\"" },
	{ "{" TWO ",'acl':{'rules':[{'action':'deny','dst_set':'b'}]},'sets':[{'name':'a','max_ipv4':10}]}",
	  "acl.rules[0].dst_set: \"b\" is no set of \"sets\"" },
	{ "{" TWO ",'sets':[{'name':'a'}]}",
	  "sets[0]: give \"max_ipv4\" and/or \"max_ipv6\" (what the set may hold: each size takes memory, see doc/configuration.md)" },
	{ "{" TWO ",'sets':[{'name':'a','max_ipv6':10,'ipv4_groups':8}]}",
	  "sets[0].ipv4_groups: needs \"max_ipv4\"" },
	{ "{" TWO ",'sets':[{'name':'a','max_ipv4':1},{'name':'a','max_ipv4':2}]}",
	  "sets[1].name: \"a\" is already the name of sets[0]" },
	{ "{" TWO ",'sets':[{'name':'a','max_ipv4':20000000}]}",
	  "sets[0].max_ipv4: 20000000 is out of range 0..16777216" },
	{ "{" TWO ",'sets':[{'name':'a','max_ipv4':10,'size':3}]}", "sets[0].size: unknown key" },
	{ "{" TWO ",'ratelimit':{'reputation':{'exempt_set':'allow'}}}",
	  "ratelimit.reputation.exempt_set: \"allow\" is no set of \"sets\"" },
	/* ratelimit */
	{ "{" TWO ",'ratelimit':{'levels':[{'name':'default','packets':'1000'}]}}",
	  "ratelimit.levels[0].packets: \"1000\" needs a unit (/s, k/s, M/s)" },
	{ "{" TWO ",'ratelimit':{'levels':[{'name':'default','bits':'100Mbyte'}]}}",
	  "ratelimit.levels[0].bits: \"100Mbyte\" is not a rate in bits per second (a number and one of bit, kbit, Mbit, Gbit, Tbit)" },
	{ "{" TWO ",'ratelimit':{'levels':[{'name':'a','packet_burst':10}]}}",
	  "ratelimit.levels[0].packet_burst: needs \"packets\" (a burst of a rate not limited)" },
	{ "{" TWO ",'ratelimit':{'levels':[{'name':'a','over_connections':'reset'}]}}",
	  "ratelimit.levels[0].over_connections: needs \"connections\"" },
	{ "{" TWO ",'ratelimit':{'levels':[{'name':'a'},{'name':'a'}]}}",
	  "ratelimit.levels[1].name: \"a\" is already the name of ratelimit.levels[0]" },
	{ "{" TWO ",'ratelimit':{'source_prefix_ipv6':96}}",
	  "ratelimit.source_prefix_ipv6: expected a prefix length 16..64" },
	{ "{" TWO ",'ratelimit':{'levels':[{'packets':'10/s'}]}}", "ratelimit.levels[0].name: required" },
	{ "{" TWO ",'acl':{'rules':[{'action':'allow','level':'gold'}]},'ratelimit':{'levels':[{'name':'silver'}]}}",
	  "acl.rules[0].level: \"gold\" is no level of ratelimit.levels" },
	{ "{" TWO ",'acl':{'rules':[{'action':'allow','level':'default'}]}}",
	  "acl.rules[0].level: \"default\" is no level of ratelimit.levels" },
	{ "{" TWO ",'ratelimit':{'levels':[{'name':'x'}]},'acl':{'rules':[{'action':'deny','level':'x'}]}}",
	  "acl.rules[0].level: needs \"action\": \"allow\" (a level sets the limits of what a rule lets through)" },
	{ "{" TWO ",'ratelimit':{'reputation':{'weights':{'ddos':5}}}}",
	  "ratelimit.reputation.weights.ddos: unknown key (events: acl_deny, rate_drop, tcp_invalid, syn_timeout, scan)" },
	{ "{" TWO ",'ratelimit':{'reputation':{'block':'1h','block_max':'10m'}}}",
	  "ratelimit.reputation.block_max: is shorter than \"block\"" },
	{ "{" TWO ",'ratelimit':{'reputation':{'scan_ports':1}}}",
	  "ratelimit.reputation.scan_ports: 1 is out of range 2..64" },
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

/*
 * An unknown top-level key is the sender's text too: a long one is cut short
 * like any path, so the message keeps its ": " and its problem, and a '%' in
 * it is printed, not interpreted.
 */
static void test_long_top_level_key(void **state)
{
	char key[300], json[400], err[SL_CONFIG_ERR_MAX] = "";

	(void)state;
	memset(key, '%', sizeof(key) - 1);
	key[0] = 'r';
	key[sizeof(key) - 1] = '\0';
	snprintf(json, sizeof(json), "{'%s':1,'routes':{}}", key);
	json_t *j = doc(json);
	assert_null(sl_config_parse(j, err, sizeof(err)));
	json_decref(j);
	assert_int_equal(strncmp(err, "r%%%%%%%%", 9), 0);
	assert_non_null(strstr(err, "...: unknown key"));
	assert_string_equal(err + strlen(err) - strlen("...: unknown key"), "...: unknown key");
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
	assert_int_equal(cfg->api.max_bulk_body, 64 << 20);
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
	"\"timeout\":\"10s\",\"memory_limit\":\"64KiB\",\"max_body\":\"1MiB\",\"max_bulk_body\":\"64MiB\"},"
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

/* Test an ACL read, written back in canonical form, and read again the same. */
static void test_acl_round_trip(void **state)
{
	(void)state;
	struct sl_config *cfg = parse_ok("{" TWO ",'acl':{'default':'deny','rules':["
		"{'name':'ssh','action':'allow','zone':'outside','src':'192.0.2.0/24','proto':'tcp','dport':22},"
		"{'action':'reject','in_port':'wan','proto':'tcp','dport':'1-1023','tcp_flags':'syn/syn,ack'},"
		"{'action':'deny','dst':'2001:db8::/32','proto':'udp','sport':53,'dscp':'ef'},"
		"{'action':'allow','proto':'icmp'},{'action':'allow','proto':47,'dscp':'af41'}]}}");
	assert_int_equal(cfg->acl.n_rules, 5);
	const struct sl_config_acl_rule *r = cfg->acl.rules;
	assert_int_equal(cfg->acl.default_action, SL_ACL_DENY);
	assert_string_equal(r[0].name, "ssh");
	assert_int_equal(r[0].af, SL_AF_INET);
	assert_int_equal(r[0].zone, SL_ZONE_OUTSIDE);
	assert_int_equal(r[0].dport_lo, 22);
	assert_int_equal(r[0].dport_hi, 22);
	assert_int_equal(r[0].sport_lo, 0);
	assert_int_equal(r[0].sport_hi, 65535);
	assert_int_equal(r[1].af, 0);
	assert_int_equal(r[1].in_port, 1);
	assert_int_equal(r[1].flags_value, 0x02);
	assert_int_equal(r[1].flags_mask, 0x12);
	assert_int_equal(r[2].af, SL_AF_INET6);
	assert_int_equal(r[2].dscp, 46);
	assert_int_equal(r[3].af, SL_AF_INET);
	assert_int_equal(r[4].proto, 47);
	assert_int_equal(r[4].dscp, 34);
	char *text = canon(cfg);
	assert_non_null(strstr(text, "\"acl\":{\"default\":\"deny\",\"rules\":[{\"name\":\"ssh\","
				     "\"action\":\"allow\",\"zone\":\"outside\",\"src\":\"192.0.2.0/24\","
				     "\"proto\":\"tcp\",\"dport\":22},{\"action\":\"reject\",\"in_port\":"
				     "\"wan\",\"proto\":\"tcp\",\"dport\":\"1-1023\",\"tcp_flags\":"
				     "\"syn/syn,ack\"}"));
	char err[256];
	json_t *j = sl_config_to_json(cfg);
	struct sl_config *again = sl_config_parse(j, err, sizeof(err));
	json_decref(j);
	assert_non_null(again);
	assert_int_equal(again->acl.n_rules, 5);
	assert_memory_equal(again->acl.rules, cfg->acl.rules, sizeof(*r) * 5);
	struct sl_config *copy = sl_config_dup(cfg);
	assert_memory_equal(copy->acl.rules, cfg->acl.rules, sizeof(*r) * 5);
	json_t *d = sl_config_diff(cfg, again);
	assert_int_equal(json_array_size(d), 0);
	json_decref(d);
	again->acl.rules[3].action = SL_ACL_DENY;
	again->acl.n_rules = 4;
	d = sl_config_diff(cfg, again);
	assert_int_equal(json_array_size(d), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "path")),
			    "acl.rules[3]");
	assert_true(json_is_null(json_object_get(json_array_get(d, 1), "new")));
	json_decref(d);
	free(text);
	sl_config_free(copy);
	sl_config_free(again);
	sl_config_free(cfg);
}

/* Test sets: sizes and their defaults, rules and the reputation naming
 * them (sets written first wherever they stand), written back the same. */
static void test_sets_round_trip(void **state)
{
	(void)state;
	struct sl_config *cfg = parse_ok("{" TWO ",'acl':{'rules':["
		"{'name':'bad','action':'deny','src_set':'blocklist'},"
		"{'action':'allow','dst_set':'allowlist','proto':'tcp','dport':443}]},"
		"'ratelimit':{'reputation':{'exempt_set':'allowlist'}},"
		"'sets':[{'name':'allowlist','max_ipv4':100,'max_ipv6':10},"
		"{'name':'blocklist','max_ipv4':1000000,'ipv4_groups':262144}]}");
	assert_int_equal(cfg->n_sets, 2);
	assert_int_equal(cfg->sets[0].ipv4_groups, 128);
	assert_int_equal(cfg->sets[0].ipv6_groups, 64);
	assert_int_equal(cfg->sets[1].ipv4_groups, 262144);
	assert_int_equal(cfg->sets[1].max_ipv6, 0);
	assert_int_equal(cfg->sets[1].ipv6_groups, 0);
	assert_int_equal(cfg->acl.rules[0].src_set, 1);
	assert_int_equal(cfg->acl.rules[0].dst_set, -1);
	assert_int_equal(cfg->acl.rules[1].dst_set, 0);
	assert_int_equal(cfg->ratelimit.reputation.exempt_set, 0);
	char *text = canon(cfg);
	assert_non_null(strstr(text, "\"sets\":[{\"name\":\"allowlist\",\"max_ipv4\":100,"
				     "\"ipv4_groups\":128,\"max_ipv6\":10,\"ipv6_groups\":64},"
				     "{\"name\":\"blocklist\",\"max_ipv4\":1000000,\"ipv4_groups\":262144}]"));
	assert_non_null(strstr(text, "{\"name\":\"bad\",\"action\":\"deny\",\"src_set\":\"blocklist\"}"));
	assert_non_null(strstr(text, "\"exempt_set\":\"allowlist\""));
	char err[256];
	json_t *j = sl_config_to_json(cfg);
	struct sl_config *again = sl_config_parse(j, err, sizeof(err));
	json_decref(j);
	assert_non_null(again);
	assert_memory_equal(again->sets, cfg->sets, sizeof(cfg->sets[0]) * 2);
	assert_memory_equal(again->acl.rules, cfg->acl.rules, sizeof(cfg->acl.rules[0]) * 2);
	json_t *d = sl_config_diff(cfg, again);
	assert_int_equal(json_array_size(d), 0);
	json_decref(d);
	again->sets[1].max_ipv4 = 2000000;
	d = sl_config_diff(cfg, again);
	assert_int_equal(json_array_size(d), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "path")),
			    "sets[blocklist].max_ipv4");
	json_decref(d);
	free(text);
	sl_config_free(again);
	sl_config_free(cfg);
}

/* Test the ratelimit section: the default level first (put there when not
 * named), bursts defaulted, units written back, ACL levels by index. */
static void test_ratelimit_levels(void **state)
{
	(void)state;
	struct sl_config *cfg = parse_ok("{" TWO ",'acl':{'rules':[{'action':'allow','src':'10.0.0.0/8',"
		"'level':'trusted'}]},'ratelimit':{'levels':[{'name':'trusted'},"
		"{'name':'restricted','packets':'1.5k/s','bits':'10Mbit','new_connections':'20/s',"
		"'connections':5,'over_connections':'reset'}]}}");
	const struct sl_config_ratelimit *rl = &cfg->ratelimit;
	assert_int_equal(rl->n_levels, 3);
	assert_string_equal(rl->levels[0].name, "default");
	assert_int_equal(rl->levels[0].packets, 0);
	assert_string_equal(rl->levels[2].name, "restricted");
	assert_int_equal(rl->levels[2].packets, 1500);
	assert_int_equal(rl->levels[2].packet_burst, 150);
	assert_int_equal(rl->levels[2].bits, 10000000);
	assert_int_equal(rl->levels[2].bit_burst, 125000);
	assert_int_equal(rl->levels[2].connection_burst, 2);
	assert_true(rl->levels[2].reset_over_limit);
	assert_int_equal(cfg->acl.rules[0].level, 1);
	char *text = canon(cfg);
	assert_non_null(strstr(text, "{\"name\":\"restricted\",\"packets\":\"1500/s\",\"packet_burst\":150,"
				     "\"bits\":\"10Mbit\",\"bit_burst\":\"125KB\",\"new_connections\":"
				     "\"20/s\",\"connection_burst\":2,\"connections\":5,"
				     "\"over_connections\":\"reset\"}"));
	assert_non_null(strstr(text, "\"level\":\"trusted\""));
	free(text);
	sl_config_free(cfg);
}

/* Test the qos section: rates as percentages of the port's, ceilings and
 * bursts defaulted, the default leaf, match rules by class, the canonical
 * form parsing back the same; and errors naming the field. */
static void test_qos(void **state)
{
	(void)state;
	struct sl_config *cfg = parse_ok("{" TWO ",'qos':{'fq_codel':{'quantum':300},'ports':[{"
		"'port':'wan','rate':'100Mbit','classes':["
		"{'name':'high','rate':'40%','ceil':'80%','match':[{'proto':'tcp','dport':22},"
		"{'dscp':46}]},"
		"{'name':'bulk','rate':'50Mbit'},"
		"{'name':'web','parent':'bulk','rate':'20%','ceil':'50%','prio':1,"
		"'match':[{'proto':'tcp','dport':'80-443'}]},"
		"{'name':'low','parent':'bulk','rate':'10Mbit','ceil':'50Mbit','prio':2}]}]}}");
	const struct sl_config_qos *q = &cfg->qos;
	assert_true(q->enabled);
	assert_int_equal(q->n_ports, 1);
	const struct sl_config_qos_port *p = &q->ports[0];
	assert_int_equal(p->port, 1);
	assert_int_equal(p->rate, 100000000);
	assert_int_equal(p->overhead, 24);
	assert_int_equal(p->n_classes, 4);
	assert_int_equal(p->classes[0].rate, 40000000);
	assert_int_equal(p->classes[0].ceil, 80000000);
	assert_int_equal(p->classes[0].burst, 40000000 / 8 / 250 + 1600);   /* 4 ms + a packet */
	assert_int_equal(p->classes[1].ceil, 50000000);      /* the rate */
	assert_false(p->classes[1].leaf);
	assert_int_equal(p->classes[2].parent, 1);
	assert_int_equal(p->classes[0].fq.quantum, 300);     /* the section's */
	assert_int_equal(p->default_class, 3);               /* the last leaf */
	assert_int_equal(q->n_match, 3);
	assert_int_equal(q->match[2].cls, 2);
	assert_int_equal(q->match[2].rule.dport_lo, 80);
	char *text = canon(cfg);
	assert_non_null(strstr(text, "{\"name\":\"high\",\"rate\":\"40%\",\"ceil\":\"80%\""));
	struct sl_config *again = parse_ok(text);
	char *text2 = canon(again);
	assert_string_equal(text, text2);
	/* A copy has its own match rules; a change shows in the diff. */
	struct sl_config *copy = sl_config_dup(cfg);
	assert_int_equal(copy->qos.n_match, 3);
	assert_ptr_not_equal(copy->qos.match, cfg->qos.match);
	assert_memory_equal(copy->qos.match, cfg->qos.match, 3 * sizeof(*copy->qos.match));
	json_t *d = sl_config_diff(cfg, again);
	assert_int_equal(json_array_size(d), 0);
	json_decref(d);
	again->qos.ports[0].rate = 50000000;
	d = sl_config_diff(cfg, again);
	assert_int_equal(json_array_size(d), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "path")),
			    "qos.ports");   /* arrays differ as a whole */
	json_decref(d);
	sl_config_free(copy);
	free(text);
	free(text2);
	sl_config_free(again);
	sl_config_free(cfg);
	/* A child may come before its parent, whose ceil defaults to its rate. */
	cfg = parse_ok("{" TWO ",'qos':{'ports':[{'port':'wan','rate':'100Mbit','classes':["
		       "{'name':'b','parent':'a','rate':'5%'},{'name':'a','rate':'10%'}]}]}}");
	assert_int_equal(cfg->qos.ports[0].classes[1].ceil, 10000000);
	assert_int_equal(cfg->qos.ports[0].classes[0].ceil, 5000000);
	sl_config_free(cfg);

#define QOS(classes) "{" TWO ",'qos':{'ports':[{'port':'wan','rate':'100Mbit','classes':[" classes "]}]}}"
	static const struct bad_case bad[] = {
		{QOS("{'name':'a','rate':'60%','ceil':'50%'}"),
		 "qos.ports[0].classes[0].ceil: is below the class's rate"},
		{QOS("{'name':'a','rate':'60%'},{'name':'b','rate':'50%'}"),
		 "qos.ports[0].classes: the rates of the classes under the port add up to more than "
		 "its rate"},
		{QOS("{'name':'a','rate':'200Mbit'}"),
		 "qos.ports[0].classes[0].ceil: is above the port's rate"},
		{QOS("{'name':'a','rate':'10%'},{'name':'b','parent':'a','rate':'20%'}"),
		 "qos.ports[0].classes[1].ceil: is above its parent's ceil"},
		{QOS("{'name':'a','rate':'10%','match':[{'dport':22}]}"),
		 "qos.ports[0].classes[0].match[0].dport: needs \"proto\": \"tcp\" or \"udp\""},
		{QOS("{'name':'a','rate':'10%','match':[{'proto':'tcp'}]},{'name':'b','parent':'a','rate':'5%'}"),
		 "qos.ports[0].classes[0].match: only a leaf class takes packets (this one has children)"},
		{QOS("{'name':'a','rate':'10%','parent':'x'}"),
		 "qos.ports[0].classes[0].parent: \"x\" is no class of this port"},
		{QOS("{'name':'a','rate':'10%'},{'name':'a','rate':'10%'}"),
		 "qos.ports[0].classes[1].name: \"a\" is already the name of classes[0]"},
		{QOS("{'name':'a','rate':'150%'}"),
		 "qos.ports[0].classes[0].rate: \"150%\" is not a percentage from 1% to 100%"},
		{QOS("{'name':'a','rate':'10','prio':9}"),
		 "qos.ports[0].classes[0].rate: \"10\" needs a unit (bit, kbit, Mbit, Gbit, Tbit)"},
		{QOS("{'name':'a','rate':'10%','prio':9}"),
		 "qos.ports[0].classes[0].prio: an integer from 0 (first) to 7"},
		{QOS("{'name':'a','rate':'10%','fq_codel':{'flows':1000}}"),
		 "qos.ports[0].classes[0].fq_codel.flows: a power of two from 16 to 65536"},
		{"{" TWO ",'qos':{'ports':[{'port':'wan','rate':'100Mbit','default':'z','classes':["
		 "{'name':'a','rate':'10%'}]}]}}",
		 "qos.ports[0].default: \"z\" is no class of this port"},
		{"{" TWO ",'qos':{'ports':[{'port':'dmz','rate':'100Mbit','classes':[]}]}}",
		 "qos.ports[0].port: \"dmz\" is not a port"},
	};
#undef QOS
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		expect_error(bad[i].json, bad[i].err);
}

/* Test the wireguard section: interfaces become ports after the devices,
 * routes and rules name them even when the section comes last, the
 * canonical form keeps them out of "ports" and parses back the same; a
 * change of key file needs a restart, of MTU not; and errors naming the
 * field. */
static void test_wireguard(void **state)
{
	(void)state;
#define WG_IF "{'name':'wg0','private_key_file':'/etc/sluice/wg0.key','listen_port':51820," \
	"'ipv4':['10.99.0.1/24']}"
	struct sl_config *cfg = parse_ok("{" TWO ",'routes':[{'prefix':'10.98.0.0/16','port':'wg0'}],"
		"'acl':{'rules':[{'in_port':'wg0','action':'allow'}]},"
		"'wireguard':{'interfaces':[" WG_IF "],'handshake_load':50}}");
	assert_int_equal(cfg->n_device_ports, 2);
	assert_int_equal(cfg->n_ports, 3);
	assert_int_equal(cfg->wireguard.n_interfaces, 1);
	assert_int_equal(cfg->wireguard.handshake_load, 50);
	assert_int_equal(cfg->wireguard.clock_scale, 1);
	const struct sl_config_port *p = &cfg->ports[2];
	assert_true(p->wireguard);
	assert_string_equal(p->name, "wg0");
	assert_int_equal(p->mtu, 1420);
	assert_int_equal(p->wg.listen_port, 51820);
	assert_int_equal(p->wg.max_peers, 1024);
	assert_string_equal(p->wg.private_key_file, "/etc/sluice/wg0.key");
	assert_int_equal(cfg->routes[0].port, 2);
	assert_int_equal(cfg->acl.rules[0].in_port, 2);
	char *text = canon(cfg);
	/* Devices in "ports", the interface in "wireguard" only. */
	assert_null(strstr(strstr(text, "\"ports\""), "wg0\",\"device"));
	assert_non_null(strstr(text, "\"wireguard\":{\"interfaces\":[{\"name\":\"wg0\","
				     "\"private_key_file\":\"/etc/sluice/wg0.key\",\"listen_port\":51820"));
	struct sl_config *again = parse_ok(text);
	char *text2 = canon(again);
	assert_string_equal(text, text2);
	char err[256];
	again->ports[2].mtu = 1380;
	assert_int_equal(sl_config_check_live_change(cfg, again, err, sizeof(err)), 0);
	json_t *d = sl_config_diff(cfg, again);
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "path")),
			    "wireguard.interfaces[wg0].mtu");
	json_decref(d);
	snprintf(again->ports[2].wg.private_key_file, SL_CONFIG_PATH_MAX, "/etc/other.key");
	assert_int_equal(sl_config_check_live_change(cfg, again, err, sizeof(err)), -EBUSY);
	assert_string_equal(err, "wireguard.interfaces[wg0].private_key_file: cannot change while running "
				 "(restart sluice to apply)");
	free(text);
	free(text2);
	sl_config_free(again);
	sl_config_free(cfg);

#define WG(ifs) "{" TWO ",'wireguard':{'interfaces':[" ifs "]}}"
	static const struct bad_case bad[] = {
		{WG("{'name':'wg0','listen_port':51820}"),
		 "wireguard.interfaces[0].private_key_file: required"},
		{WG("{'name':'wg0','private_key_file':'wg0.key','listen_port':51820}"),
		 "wireguard.interfaces[0].private_key_file: \"wg0.key\" is not an absolute path"},
		{WG("{'name':'wg0','private_key_file':'/k'}"),
		 "wireguard.interfaces[0].listen_port: required"},
		{WG("{'name':'lan','private_key_file':'/k','listen_port':1}"),
		 "wireguard.interfaces[0].name: \"lan\" is already used by ports[0]"},
		{WG(WG_IF ",{'name':'wg1','private_key_file':'/k','listen_port':51820}"),
		 "wireguard.interfaces[1].listen_port: 51820 is already the listen port of \"wg0\""},
		{WG("{'name':'wg0','private_key_file':'/k','listen_port':1,'mtu':1000}"),
		 "wireguard.interfaces[0].mtu: 1000 is out of range 1280..9520"},
		{WG("{'name':'wg0','private_key_file':'/k','listen_port':1,'ipv4':['10.0.0.1/24']}"),
		 "wireguard.interfaces[0].ipv4[0]: 10.0.0.1 is already used by ports[0]"},
		{WG("{'name':'wg0','private_key_file':'/k','listen_port':1,'peers':[]}"),
		 "wireguard.interfaces[0].peers: unknown key"},
		{"{'ports':[" LAN "," LAN2 "," LAN3 "," LAN4 "," LAN5 "," LAN6 "," LAN7 "," LAN8 "],"
		 "'wireguard':{'interfaces':[" WG_IF "]}}",
		 "wireguard.interfaces[0]: too many ports: devices and WireGuard interfaces are 8 at "
		 "most together"},
	};
#undef WG
#undef WG_IF
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		expect_error(bad[i].json, bad[i].err);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_error_escaping),
		cmocka_unit_test(test_long_top_level_key),
		cmocka_unit_test(test_error_buffer),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_canonical_minimal),
		cmocka_unit_test(test_rich_values),
		cmocka_unit_test(test_good_edge_cases),
		cmocka_unit_test(test_acl_round_trip),
		cmocka_unit_test(test_sets_round_trip),
		cmocka_unit_test(test_ratelimit_levels),
		cmocka_unit_test(test_qos),
		cmocka_unit_test(test_wireguard),
		cmocka_unit_test(test_per_ip_default),
		cmocka_unit_test(test_route_limits),
		cmocka_unit_test(test_neighbor_limits),
	};

	return cmocka_run_group_tests_name("config_schema", tests, NULL, NULL);
}

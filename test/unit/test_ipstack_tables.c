/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of lib/ipstack's tables: the routing tables built from a config
 * (lookups, link-local addresses, the routes JSON) and the neighbor table.
 *
 * Principles:
 *  - Every lookup case names the exact next hop: type, port and gateway.
 *  - Routing is also checked against a naive longest-prefix-match model on
 *    random prefixes, with enough of them past /24 to reach the FIB's
 *    second level.
 *  - The neighbor table's lookup word is asserted as the exact 64-bit value
 *    workers read.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "ipstack_fixture.h"

/* ---- routing tables ---------------------------------------------------- */

struct lookup_case {
	const char *addr;
	uint8_t type;
	uint16_t port;
	const char *gw; /* GATEWAY only */
};

static void check_lookup(const struct sl_ipstack_tables *t, const struct lookup_case *c)
{
	struct sl_addr a;
	uint32_t idx;

	assert_int_equal(sl_parse_addr(c->addr, &a), 0);
	idx = a.af == SL_AF_INET ? sl_ipstack_lookup4(t, rte_be_to_cpu_32(a.v4)) :
				   sl_ipstack_lookup6(t, a.v6);
	assert_true(idx < t->n_nexthops);
	const struct sl_nexthop *nh = &t->nexthops[idx];
	if (nh->type != c->type)
		fail_msg("%s: type %u, want %u", c->addr, nh->type, c->type);
	if (c->type == SL_NH_NONE) {
		assert_int_equal(idx, 0);
		return;
	}
	assert_int_not_equal(idx, 0);
	assert_int_equal(nh->af, a.af);
	if (c->type != SL_NH_BLACKHOLE && c->type != SL_NH_UNREACHABLE && nh->port != c->port)
		fail_msg("%s: port %u, want %u", c->addr, nh->port, c->port);
	if (c->type == SL_NH_GATEWAY) {
		struct sl_addr gw;
		assert_int_equal(sl_parse_addr(c->gw, &gw), 0);
		assert_int_equal(nh->gw.af, gw.af);
		assert_memory_equal(gw.af == SL_AF_INET ? (const void *)&gw.v4 : gw.v6,
				    gw.af == SL_AF_INET ? (const void *)&nh->gw.v4 : nh->gw.v6,
				    gw.af == SL_AF_INET ? 4 : 16);
	}
}

static const struct lookup_case cases_a[] = {
	{"10.1.0.1", SL_NH_LOCAL, LAN, NULL},
	{"10.2.0.1", SL_NH_LOCAL, WAN, NULL},
	{"10.1.0.255", SL_NH_BROADCAST, LAN, NULL},
	{"10.2.0.255", SL_NH_BROADCAST, WAN, NULL},
	{"10.1.0.0", SL_NH_CONNECTED, LAN, NULL},
	{"10.1.0.7", SL_NH_CONNECTED, LAN, NULL},
	{"10.1.0.254", SL_NH_CONNECTED, LAN, NULL},
	{"10.2.0.9", SL_NH_CONNECTED, WAN, NULL},
	{"172.16.0.0", SL_NH_GATEWAY, WAN, "10.2.0.2"},           /* /16 */
	{"172.16.255.255", SL_NH_GATEWAY, WAN, "10.2.0.2"},
	{"172.16.4.255", SL_NH_GATEWAY, WAN, "10.2.0.2"},
	{"172.16.5.0", SL_NH_CONNECTED, LAN, NULL},               /* /24 beats /16 */
	{"172.16.5.6", SL_NH_CONNECTED, LAN, NULL},
	{"172.16.5.7", SL_NH_GATEWAY, LAN, "10.1.0.9"},           /* /32 beats /24 */
	{"172.16.5.8", SL_NH_CONNECTED, LAN, NULL},
	{"172.16.5.255", SL_NH_CONNECTED, LAN, NULL},
	{"172.16.6.0", SL_NH_GATEWAY, WAN, "10.2.0.2"},
	{"192.0.2.77", SL_NH_BLACKHOLE, 0, NULL},
	{"198.51.100.1", SL_NH_UNREACHABLE, 0, NULL},
	{"10.3.0.1", SL_NH_NONE, 0, NULL},                        /* no default route */
	{"172.17.0.1", SL_NH_NONE, 0, NULL},
	{"172.15.255.255", SL_NH_NONE, 0, NULL},
	{"0.0.0.0", SL_NH_NONE, 0, NULL},
	{"255.255.255.255", SL_NH_NONE, 0, NULL},
	{"fd00:1::1", SL_NH_LOCAL, LAN, NULL},
	{"fd00:2::1", SL_NH_LOCAL, WAN, NULL},
	{"fe80::5054:ff:fe00:101", SL_NH_LOCAL, LAN, NULL},        /* EUI-64 of mac_lan */
	{"fe80::5054:ff:fe00:201", SL_NH_LOCAL, WAN, NULL},
	{"fe80::5054:ff:fe00:301", SL_NH_UNREACHABLE, 0, NULL},    /* no such port */
	{"fe80::1", SL_NH_UNREACHABLE, 0, NULL},
	{"febf:ffff::1", SL_NH_UNREACHABLE, 0, NULL},              /* end of fe80::/10 */
	{"fec0::1", SL_NH_GATEWAY, WAN, "fd00:2::2"},              /* past it: default */
	{"fd00:1::7", SL_NH_CONNECTED, LAN, NULL},
	{"fd00:1::ffff:ffff:ffff:ffff", SL_NH_CONNECTED, LAN, NULL},
	{"fd00:2::9", SL_NH_CONNECTED, WAN, NULL},
	{"fd00:99::1", SL_NH_GATEWAY, LAN, "fd00:1::99"},
	{"fd00:99:0:ffff::1", SL_NH_GATEWAY, LAN, "fd00:1::99"},
	{"fd00:98::1", SL_NH_GATEWAY, WAN, "fd00:2::2"},
	{"2001:db8::1", SL_NH_GATEWAY, WAN, "fd00:2::2"},
	{"2001:db8:dead::1", SL_NH_UNREACHABLE, 0, NULL},
	{"::", SL_NH_GATEWAY, WAN, "fd00:2::2"},
};

static void test_tables_lookup(void **state)
{
	const struct sl_ipstack_tables *t = tab_a;
	(void)state;

	for (unsigned i = 0; i < RTE_DIM(cases_a); i++)
		check_lookup(t, &cases_a[i]);
	/* Identical next hops are shared: 1 + 5 per port + fe80::/10 + 6 from routes. */
	assert_int_equal(t->n_nexthops, 18);
	assert_int_equal(t->nexthops[0].type, SL_NH_NONE);
	assert_int_equal(t->generation, 1);
	assert_int_equal(t->n_ports, 2);
	assert_int_equal(t->ports[WAN].port_id, 11);
	assert_int_equal(t->ports[WAN].mgmt_txq, 5);
	assert_int_equal(t->ports[LAN].mtu, 1500);
	assert_int_equal(t->ports[WAN].mtu, 1400);
	assert_memory_equal(t->ports[WAN].mac.addr_bytes, mac_wan, 6);
	assert_memory_equal(t->ports[LAN].ipv6_ll, a6("fe80::5054:ff:fe00:101").b, 16);

	uint32_t src = 0;
	uint8_t src6[16];
	assert_true(sl_ipstack_port_src4(&t->ports[WAN], &src));
	assert_int_equal(src, be32(IP4(10, 2, 0, 1)));
	sl_ipstack_port_src6(&t->ports[WAN], src6);
	assert_memory_equal(src6, a6("fd00:2::1").b, 16);
	assert_false(sl_ipstack_port_src4(&tab_r->ports[DMZ], &src));
	sl_ipstack_port_src6(&tab_r->ports[WAN], src6);   /* no global address */
	assert_memory_equal(src6, a6("fe80::5054:ff:fe00:201").b, 16);
}

static void test_tables_build_error(void **state)
{
	char err[256] = "";
	(void)state;
	/* The FIB names carry the generation: a second table of a live one's fails. */
	assert_null(sl_ipstack_tables_build(cfg_a, ids, 1, SOCKET_ID_ANY, err, sizeof(err)));
	assert_string_equal(err, "routes: cannot allocate the routing tables: File exists");
	sl_ipstack_tables_free(NULL);
}

static void test_link_local(void **state)
{
	static const uint8_t m1[6] = {0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x9c};
	static const uint8_t w1[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0,
				       0x02, 0x1b, 0x21, 0xff, 0xfe, 0x3a, 0x4f, 0x9c};
	static const uint8_t m2[6] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t w2[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0,
				       0xfc, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff};
	uint8_t out[16];
	(void)state;

	memset(out, 0xaa, sizeof(out));
	sl_ipstack_link_local((const struct rte_ether_addr *)m1, out);
	assert_memory_equal(out, w1, 16);
	memset(out, 0xaa, sizeof(out));
	sl_ipstack_link_local((const struct rte_ether_addr *)m2, out);
	assert_memory_equal(out, w2, 16);
}

static void test_routes_json(void **state)
{
	(void)state;
	json_t *j = sl_ipstack_routes_json(cfg_r);
	char *s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s,
		"[{\"prefix\":\"10.1.0.0/24\",\"type\":\"connected\",\"port\":\"lan\",\"source\":\"connected\"},"
		"{\"prefix\":\"fd00:1::/64\",\"type\":\"connected\",\"port\":\"lan\",\"source\":\"connected\"},"
		"{\"prefix\":\"10.2.0.0/24\",\"type\":\"connected\",\"port\":\"wan\",\"source\":\"connected\"},"
		"{\"prefix\":\"fd00:3::/64\",\"type\":\"connected\",\"port\":\"dmz\",\"source\":\"connected\"},"
		"{\"prefix\":\"0.0.0.0/0\",\"type\":\"unicast\",\"via\":\"10.2.0.2\",\"port\":\"wan\",\"source\":\"static\"},"
		"{\"prefix\":\"172.16.5.0/24\",\"type\":\"unicast\",\"port\":\"lan\",\"source\":\"static\"},"
		"{\"prefix\":\"192.0.2.0/24\",\"type\":\"blackhole\",\"source\":\"static\"},"
		"{\"prefix\":\"2001:db8::/32\",\"type\":\"unreachable\",\"source\":\"static\"},"
		"{\"prefix\":\"fd00:99::/48\",\"type\":\"unicast\",\"via\":\"fd00:3::2\",\"port\":\"dmz\",\"source\":\"static\"}]");
	free(s);
	json_decref(j);
}

/* Naive model: every prefix in a list, the longest match wins. */
struct ref_route {
	uint32_t net;  /* host order */
	uint8_t len, type;
	uint16_t port;
	uint32_t gw;   /* host order, GATEWAY only */
};

static uint32_t mask_of(uint8_t len)
{
	return len == 0 ? 0 : UINT32_MAX << (32 - len);
}

static const struct ref_route *ref_lookup(const struct ref_route *r, unsigned n, uint32_t a)
{
	const struct ref_route *best = NULL;
	for (unsigned i = 0; i < n; i++)
		if ((a & mask_of(r[i].len)) == r[i].net && (best == NULL || r[i].len > best->len))
			best = &r[i];
	return best;
}

static bool ref_has(const struct ref_route *r, unsigned n, uint32_t net, uint8_t len)
{
	for (unsigned i = 0; i < n; i++)
		if (r[i].net == net && r[i].len == len)
			return true;
	return false;
}

static char *ip4_str(uint32_t host, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", host >> 24, (host >> 16) & 255, (host >> 8) & 255,
		 host & 255);
	return buf;
}

/* One random route: a JSON object for the config, an entry for the model. */
static json_t *random_route(struct ref_route *r)
{
	char p[24], via[16];
	uint8_t len = (uint8_t)(rnd() % 33);
	uint32_t base = rnd() % 2 ? rnd() : (IP4(10, 0, 0, 0) | (rnd() & 0x0003ffff));
	uint16_t port = (uint16_t)(rnd() % 2);
	uint32_t gw = IP4(10, 1 + port, 0, 2 + rnd() % 252);

	r->net = base & mask_of(len);
	r->len = len;
	r->port = port;
	ip4_str(r->net, p);
	snprintf(p + strlen(p), sizeof(p) - strlen(p), "/%u", len);
	switch (rnd() % 4) {
	case 0:
		r->type = SL_NH_GATEWAY;
		r->gw = gw;
		return json_pack("{s:s, s:s}", "prefix", p, "via", ip4_str(gw, via));
	case 1:
		r->type = SL_NH_CONNECTED;
		return json_pack("{s:s, s:s}", "prefix", p, "port", port ? "wan" : "lan");
	case 2:
		r->type = SL_NH_BLACKHOLE;
		return json_pack("{s:s, s:s}", "prefix", p, "type", "blackhole");
	default:
		r->type = SL_NH_UNREACHABLE;
		return json_pack("{s:s, s:s}", "prefix", p, "type", "unreachable");
	}
}

static void test_tables_random(void **state)
{
	enum { N_ROUTES = 200, N_LOOKUPS = 5000 };
	static struct ref_route ref[6 + 1 + N_ROUTES];
	unsigned n = 0;
	char err[256] = "";
	(void)state;

	/* What the ports contribute, then a default route, then random ones. */
	for (uint16_t p = 0; p < 2; p++) {
		uint32_t net = IP4(10, 1 + p, 0, 0);
		ref[n++] = (struct ref_route){net, 24, SL_NH_CONNECTED, p, 0};
		ref[n++] = (struct ref_route){net | 1, 32, SL_NH_LOCAL, p, 0};
		ref[n++] = (struct ref_route){net | 255, 32, SL_NH_BROADCAST, p, 0};
	}
	ref[n++] = (struct ref_route){0, 0, SL_NH_GATEWAY, WAN, IP4(10, 2, 0, 2)};
	json_t *doc = json_pack("{s:[{s:s, s:s, s:[s]}, {s:s, s:s, s:[s]}], s:[{s:s, s:s}]}",
		"ports", "name", "lan", "device", "net_null0", "ipv4", "10.1.0.1/24",
		"name", "wan", "device", "net_null1", "ipv4", "10.2.0.1/24",
		"routes", "prefix", "0.0.0.0/0", "via", "10.2.0.2");
	json_t *routes = json_object_get(doc, "routes");
	while (n < RTE_DIM(ref)) {
		struct ref_route r;
		json_t *o = random_route(&r);
		if (ref_has(ref, n, r.net, r.len)) {
			json_decref(o);
			continue;
		}
		ref[n++] = r;
		json_array_append_new(routes, o);
	}
	struct sl_config *cfg = sl_config_parse(doc, err, sizeof(err));
	json_decref(doc);
	if (cfg == NULL)
		fail_msg("config: %s", err);
	assert_int_equal(cfg->n_routes, N_ROUTES + 1);
	struct sl_ipstack_tables *t = sl_ipstack_tables_build(cfg, ids, 3, SOCKET_ID_ANY, err,
							      sizeof(err));
	if (t == NULL)
		fail_msg("tables: %s", err);

	unsigned deep = 0;
	for (unsigned i = 0; i < N_LOOKUPS; i++) {
		/* Half the addresses fall inside a known prefix, to reach deep entries. */
		const struct ref_route *in = &ref[rnd() % n];
		uint32_t a = i % 2 ? rnd() : (in->net | (rnd() & ~mask_of(in->len)));
		const struct ref_route *want = ref_lookup(ref, n, a);
		const struct sl_nexthop *nh = &t->nexthops[sl_ipstack_lookup4(t, a)];
		char buf[16];
		deep += want->len > 24;
		if (nh->type != want->type ||
		    (want->type != SL_NH_BLACKHOLE && want->type != SL_NH_UNREACHABLE &&
		     nh->port != want->port) ||
		    (want->type == SL_NH_GATEWAY && nh->gw.v4 != be32(want->gw)))
			fail_msg("%s: got type %u port %u, want type %u port %u (prefix /%u)",
				 ip4_str(a, buf), nh->type, nh->port, want->type, want->port, want->len);
	}
	assert_true(deep > 100); /* the check reached prefixes past the tbl24 */
	sl_ipstack_tables_free(t);
	sl_config_free(cfg);
}

/* ---- neighbor table ---------------------------------------------------- */

static void test_neigh_table(void **state)
{
	static const uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
	struct sl_neigh_key k, k6, kp;
	(void)state;

	struct sl_neigh_table *t = sl_neigh_table_create("nt_basic", 16, SOCKET_ID_ANY, NULL, HZ);
	assert_non_null(t);
	assert_int_equal(t->capacity, 16);
	sl_neigh_key_v4(&k, LAN, be32(IP4(10, 1, 0, 5)));
	sl_neigh_key_v4(&kp, WAN, be32(IP4(10, 1, 0, 5)));
	uint8_t v6[16] = {10, 1, 0, 5};  /* same leading bytes, other family */
	sl_neigh_key_v6(&k6, LAN, v6);
	assert_int_equal(sl_neigh_lookup(t, &k), 0);
	assert_null(sl_neigh_get(t, &k));

	struct sl_neigh_entry *e = sl_neigh_get_or_create(t, &k, 1234);
	assert_non_null(e);
	assert_true(e->in_use);
	assert_memory_equal(&e->key, &k, sizeof(k));
	assert_int_equal(e->next_event_tsc, 1234);
	assert_int_equal(e->n_pending, 0);
	assert_int_equal(e->probes, 0);
	assert_int_equal(sl_neigh_lookup(t, &k), 1ull << 48); /* INCOMPLETE, no MAC */
	assert_ptr_equal(sl_neigh_get_or_create(t, &k, 9999), e);
	assert_int_equal(e->next_event_tsc, 1234);
	assert_ptr_equal(sl_neigh_get(t, &k), e);
	assert_int_equal(sl_neigh_lookup(t, &kp), 0);
	assert_int_equal(sl_neigh_lookup(t, &k6), 0);

	sl_neigh_set(e, (const struct rte_ether_addr *)mac, SL_NEIGH_REACHABLE);
	assert_int_equal(sl_neigh_lookup(t, &k), 0x0002554433221102ull);
	sl_neigh_set(e, (const struct rte_ether_addr *)mac, SL_NEIGH_STALE);
	assert_int_equal(sl_neigh_lookup(t, &k), 0x0003554433221102ull);
	assert_int_equal(SL_NEIGH_WORD_STATE(sl_neigh_lookup(t, &k)), SL_NEIGH_STALE);
	sl_neigh_set(e, NULL, SL_NEIGH_FAILED);
	assert_int_equal(sl_neigh_lookup(t, &k), 0x0004000000000000ull);
	assert_string_equal(sl_neigh_state_name(SL_NEIGH_NONE), "none");
	assert_string_equal(sl_neigh_state_name(SL_NEIGH_INCOMPLETE), "incomplete");
	assert_string_equal(sl_neigh_state_name(SL_NEIGH_REACHABLE), "reachable");
	assert_string_equal(sl_neigh_state_name(SL_NEIGH_STALE), "stale");
	assert_string_equal(sl_neigh_state_name(SL_NEIGH_FAILED), "failed");
	assert_string_equal(sl_neigh_state_name(SL_NEIGH_PERMANENT), "permanent");
	assert_string_equal(sl_neigh_state_name(SL_NEIGH_PERMANENT + 1), "unknown");

	/* Delete drops what waits as NEIGHBOR_FAILED. */
	e->pending[0] = rte_pktmbuf_alloc(pool);
	e->pending[1] = rte_pktmbuf_alloc(pool);
	e->n_pending = 2;
	sl_neigh_delete(t, e, &cst);
	expect_drops(&cst, DROPS([SL_DROP_NEIGHBOR_FAILED] = 2));
	assert_false(e->in_use);
	assert_int_equal(sl_neigh_lookup(t, &k), 0);
	assert_null(sl_neigh_get(t, &k));
	sl_neigh_table_free(t);
	sl_neigh_table_free(NULL);

	/* Full: 16 entries fit, the 17th does not. */
	t = sl_neigh_table_create("nt_full", 16, SOCKET_ID_ANY, NULL, HZ);
	assert_non_null(t);
	struct sl_neigh_key keys[17];
	for (unsigned i = 0; i < 17; i++)
		sl_neigh_key_v4(&keys[i], LAN, be32(IP4(10, 1, 1, i)));
	for (unsigned i = 0; i < 16; i++)
		assert_non_null(sl_neigh_get_or_create(t, &keys[i], i));
	assert_null(sl_neigh_get_or_create(t, &keys[16], 16));
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(sl_neigh_lookup(t, &keys[i]), 1ull << 48);
	assert_int_equal(sl_neigh_lookup(t, &keys[16]), 0);
	sl_neigh_table_free(t);
}

/*
 * Without a QSBR variable, a deleted key's slot must come back: a table of
 * 16 that never holds more than 8 entries at once must take entry after
 * entry as old ones are deleted (half full, so cuckoo placement never fails).
 */
static void test_neigh_delete_reuses_slot(void **state)
{
	struct sl_neigh_key k;
	unsigned refused = 0;
	(void)state;

	struct sl_neigh_table *t = sl_neigh_table_create("nt_reuse", 16, SOCKET_ID_ANY, NULL, HZ);
	assert_non_null(t);
	for (unsigned i = 0; i < 64; i++) {
		if (i >= 8) {
			sl_neigh_key_v4(&k, LAN, be32(IP4(10, 1, 1, i - 8)));
			struct sl_neigh_entry *old = sl_neigh_get(t, &k);
			if (old != NULL)
				sl_neigh_delete(t, old, &cst);
		}
		sl_neigh_key_v4(&k, LAN, be32(IP4(10, 1, 1, i)));
		refused += sl_neigh_get_or_create(t, &k, 0) == NULL;
	}
	sl_neigh_table_free(t);
	assert_int_equal(refused, 0);
}

static void test_neigh_json(void **state)
{
	static const char *const names[] = {"lan", "wan"};
	(void)state;

	struct sl_neigh_entry *a = neigh_put(LAN, IP4(10, 1, 0, 7), mac_host, SL_NEIGH_REACHABLE);
	a->confirmed_tsc = 2 * HZ;
	struct sl_neigh_key k;
	sl_neigh_key_v6(&k, WAN, a6("fd00:2::9").b);
	struct sl_neigh_entry *b = sl_neigh_get_or_create(E.nt, &k, 0);
	assert_non_null(b);
	b->pending[0] = rte_pktmbuf_alloc(pool); /* released by the table */
	b->n_pending = 1;
	neigh_put(WAN, IP4(10, 2, 0, 2), mac_gw, SL_NEIGH_STALE); /* never confirmed */
	neigh_put(WAN, IP4(10, 2, 0, 3), mac_gw, SL_NEIGH_FAILED);

	json_t *j = sl_neigh_table_json(E.nt, names, 4 * HZ + HZ / 2);
	char *s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s,
		"[{\"port\":\"lan\",\"family\":\"ipv4\",\"address\":\"10.1.0.7\","
		"\"mac\":\"02:11:22:33:44:55\",\"pending\":0,\"age_seconds\":2.5,\"state\":\"reachable\"},"
		"{\"port\":\"wan\",\"family\":\"ipv6\",\"address\":\"fd00:2::9\","
		"\"pending\":1,\"age_seconds\":0.0,\"state\":\"incomplete\"},"
		"{\"port\":\"wan\",\"family\":\"ipv4\",\"address\":\"10.2.0.2\","
		"\"mac\":\"02:00:00:00:00:02\",\"pending\":0,\"age_seconds\":0.0,\"state\":\"stale\"},"
		"{\"port\":\"wan\",\"family\":\"ipv4\",\"address\":\"10.2.0.3\","
		"\"pending\":0,\"age_seconds\":0.0,\"state\":\"failed\"}]");
	free(s);
	json_decref(j);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, env_setup, env_teardown)
	const struct CMUnitTest tests[] = {
		T(test_tables_lookup),
		T(test_tables_build_error),
		T(test_link_local),
		T(test_routes_json),
		T(test_tables_random),
		T(test_neigh_table),
		T(test_neigh_delete_reuses_slot),
		T(test_neigh_json),
	};
#undef T
	return cmocka_run_group_tests_name("ipstack_tables", tests, group_setup, group_teardown);
}

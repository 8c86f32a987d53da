/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routing tables, compiled whole from a config.
 *
 * A config change builds new FIBs rather than editing the live ones: rte_fib
 * offers no safe concurrent update with lock-free readers, and a rebuild of
 * a few thousand routes takes milliseconds on the management lcore while
 * workers keep using the old tables until the pointer swap.
 *
 * Next-hop index 0 means "no route" (the FIB default). Local addresses are
 * /32 and /128 entries of type LOCAL, so one lookup tells "for us" from
 * "forward". Memory: DIR24_8 with 2-byte next hops holds a 32 MiB tbl24 (so at most 65535 next hops);
 * two generations coexist during a grace period.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "ipstack_priv.h"
#include "sl_log.h"

#define FIB_TBL8 (1 << 14)
#define FIB6_TBL8 (1 << 14) /* 2-byte next hops: tbl8 ids must stay below 2^15 */

void sl_ipstack_link_local(const struct rte_ether_addr *mac, uint8_t out[16])
{
	memset(out, 0, 16);
	out[0] = 0xfe;
	out[1] = 0x80;
	out[8] = mac->addr_bytes[0] ^ 0x02;
	out[9] = mac->addr_bytes[1];
	out[10] = mac->addr_bytes[2];
	out[11] = 0xff;
	out[12] = 0xfe;
	out[13] = mac->addr_bytes[3];
	out[14] = mac->addr_bytes[4];
	out[15] = mac->addr_bytes[5];
}

bool sl_ipstack_port_src4(const struct sl_ipstack_port *p, uint32_t *src_be)
{
	if (p->n_ipv4 == 0)
		return false;
	*src_be = p->ipv4[0].addr.v4;
	return true;
}

void sl_ipstack_port_src6(const struct sl_ipstack_port *p, uint8_t src[16])
{
	for (unsigned i = 0; i < p->n_ipv6; i++) {
		if (!ipv6_is_link_local(p->ipv6[i].addr.v6)) {
			memcpy(src, p->ipv6[i].addr.v6, 16);
			return;
		}
	}
	memcpy(src, p->ipv6_ll, 16);
}

struct builder {
	struct sl_ipstack_tables *t;
	uint32_t cap;
	char *err;
	size_t err_len;
};

static int nh_add(struct builder *b, const struct sl_nexthop *nh, uint32_t *idx)
{
	/* Share identical next hops: they are few, a linear scan is fine. */
	for (uint32_t i = 1; i < b->t->n_nexthops; i++) {
		if (memcmp(&b->t->nexthops[i], nh, sizeof(*nh)) == 0) {
			*idx = i;
			return 0;
		}
	}
	if (b->t->n_nexthops == b->cap) {
		snprintf(b->err, b->err_len, "routes: too many distinct next hops");
		return -ENOSPC;
	}
	*idx = b->t->n_nexthops++;
	b->t->nexthops[*idx] = *nh;
	return 0;
}

static int fib_add(struct builder *b, const struct sl_prefix *p, const struct sl_nexthop *nh)
{
	uint32_t idx;
	char txt[64];
	int rc = nh_add(b, nh, &idx);
	if (rc < 0)
		return rc;
	if (p->addr.af == SL_AF_INET)
		rc = rte_fib_add(b->t->fib4, rte_be_to_cpu_32(p->addr.v4), p->len, idx);
	else
		rc = rte_fib6_add(b->t->fib6, p->addr.v6, p->len, idx);
	if (rc < 0) {
		sl_format_prefix(p, txt, sizeof(txt));
		snprintf(b->err, b->err_len, "routes: cannot add %s: %s", txt, strerror(-rc));
	}
	return rc;
}

static struct sl_nexthop nh_make(uint8_t type, uint8_t af, uint16_t port)
{
	struct sl_nexthop nh;
	memset(&nh, 0, sizeof(nh));
	nh.type = type;
	nh.af = af;
	nh.port = port;
	return nh;
}

/* Connected subnet, local host route and (v4) subnet broadcast of one address. */
static int add_port_address(struct builder *b, uint16_t port, const struct sl_prefix *a)
{
	struct sl_prefix net = *a, host = *a;
	struct sl_nexthop nh;
	int rc;

	sl_prefix_mask(&net);
	host.len = a->addr.af == SL_AF_INET ? 32 : 128;
	nh = nh_make(SL_NH_CONNECTED, a->addr.af, port);
	if ((rc = fib_add(b, &net, &nh)) < 0)
		return rc;
	nh = nh_make(SL_NH_LOCAL, a->addr.af, port);
	if ((rc = fib_add(b, &host, &nh)) < 0)
		return rc;
	if (a->addr.af == SL_AF_INET && a->len <= 30) {
		struct sl_prefix bcast = net;
		bcast.addr.v4 = net.addr.v4 | rte_cpu_to_be_32(UINT32_MAX >> a->len);
		bcast.len = 32;
		nh = nh_make(SL_NH_BROADCAST, SL_AF_INET, port);
		rc = fib_add(b, &bcast, &nh);
	}
	return rc;
}

static int add_ports(struct builder *b, const struct sl_config *cfg,
		     const struct sl_ipstack_port_id *ids)
{
	struct sl_ipstack_tables *t = b->t;
	int rc;
	t->n_ports = (uint16_t)cfg->n_ports;
	for (uint16_t i = 0; i < cfg->n_ports; i++) {
		const struct sl_config_port *cp = &cfg->ports[i];
		struct sl_ipstack_port *p = &t->ports[i];
		p->port_id = ids[i].port_id;
		p->mgmt_txq = ids[i].mgmt_txq;
		p->mac = ids[i].mac;
		p->mtu = cp->mtu;
		p->n_ipv4 = cp->n_ipv4;
		p->n_ipv6 = cp->n_ipv6;
		memcpy(p->ipv4, cp->ipv4, sizeof(p->ipv4));
		memcpy(p->ipv6, cp->ipv6, sizeof(p->ipv6));
		p->tunnel = cp->wireguard;
		for (unsigned a = 0; a < cp->n_ipv4; a++)
			if ((rc = add_port_address(b, i, &cp->ipv4[a])) < 0)
				return rc;
		for (unsigned a = 0; a < cp->n_ipv6; a++)
			if ((rc = add_port_address(b, i, &cp->ipv6[a])) < 0)
				return rc;
		/* A tunnel has no link layer: no link-local address. */
		if (p->tunnel)
			continue;
		sl_ipstack_link_local(&p->mac, p->ipv6_ll);
		struct sl_prefix ll = {.addr = {.af = SL_AF_INET6}, .len = 128};
		memcpy(ll.addr.v6, p->ipv6_ll, 16);
		struct sl_nexthop nh = nh_make(SL_NH_LOCAL, SL_AF_INET6, i);
		if ((rc = fib_add(b, &ll, &nh)) < 0)
			return rc;
		nh = nh_make(SL_NH_CONNECTED, SL_AF_INET6, i);
		if ((rc = nh_add(b, &nh, &p->ll_nh)) < 0)
			return rc;
	}
	return 0;
}

/* The first port whose connected subnet holds @p a, or -1. */
static int subnet_port(const struct sl_config *cfg, const struct sl_addr *a)
{
	for (unsigned i = 0; i < cfg->n_ports; i++) {
		const struct sl_config_port *p = &cfg->ports[i];
		const struct sl_prefix *list = a->af == SL_AF_INET ? p->ipv4 : p->ipv6;
		unsigned n = a->af == SL_AF_INET ? p->n_ipv4 : p->n_ipv6;
		for (unsigned k = 0; k < n; k++)
			if (sl_prefix_contains(&list[k], a))
				return (int)i;
	}
	return -1;
}

static int add_owned(struct builder *b, const struct sl_config *cfg, const struct sl_addr *a)
{
	struct sl_ipstack_tables *t = b->t;
	struct sl_owned_addr o = {.af = a->af};
	memcpy(o.addr, a->af == SL_AF_INET ? (const void *)&a->v4 : a->v6,
	       a->af == SL_AF_INET ? 4 : 16);
	for (unsigned i = 0; i < t->n_owned; i++)
		if (t->owned[i].af == o.af && memcmp(t->owned[i].addr, o.addr, 16) == 0)
			return 0;     /* one VIP, several services */
	o.port = (int16_t)subnet_port(cfg, a);
	t->owned[t->n_owned++] = o;
	struct sl_prefix host = {.addr = *a, .len = a->af == SL_AF_INET ? 32 : 128};
	struct sl_nexthop nh = nh_make(SL_NH_LOCAL, a->af, o.port >= 0 ? (uint16_t)o.port : 0);
	return fib_add(b, &host, &nh);
}

/* Services' VIPs and full-NAT sources: local, like the ports' addresses. */
static int add_services(struct builder *b, const struct sl_config *cfg, int socket)
{
	unsigned n = 0;
	for (unsigned i = 0; i < cfg->n_services; i++)
		n += 1 + cfg->services[i].n_sources;
	if (n == 0)
		return 0;
	b->t->owned = rte_zmalloc_socket("ip_owned", n * sizeof(*b->t->owned), 0, socket);
	if (b->t->owned == NULL) {
		snprintf(b->err, b->err_len, "services: out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < cfg->n_services; i++) {
		const struct sl_config_service *s = &cfg->services[i];
		int rc = add_owned(b, cfg, &s->vip);
		for (unsigned k = 0; rc == 0 && k < s->n_sources; k++)
			rc = add_owned(b, cfg, &s->sources[k]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

bool sl_ipstack_owns(const struct sl_ipstack_tables *t, uint16_t port, uint8_t af,
		     const uint8_t *addr)
{
	for (unsigned i = 0; i < t->n_owned; i++)
		if (t->owned[i].port == port && t->owned[i].af == af &&
		    memcmp(t->owned[i].addr, addr, af == SL_AF_INET ? 4 : 16) == 0)
			return true;
	return false;
}

static int add_route(struct builder *b, const struct sl_config *cfg,
		     const struct sl_config_route *r)
{
	static const uint8_t types[] = {
		[SL_ROUTE_UNICAST] = SL_NH_GATEWAY,
		[SL_ROUTE_BLACKHOLE] = SL_NH_BLACKHOLE,
		[SL_ROUTE_UNREACHABLE] = SL_NH_UNREACHABLE,
	};
	int port = sl_config_route_port(cfg, r);
	struct sl_nexthop nh = nh_make(types[r->type], r->prefix.addr.af,
				       port >= 0 ? (uint16_t)port : 0);
	if (r->type == SL_ROUTE_UNICAST && port < 0) {
		char txt[64];
		sl_format_prefix(&r->prefix, txt, sizeof(txt));
		snprintf(b->err, b->err_len, "routes[%s].via: not on any port's subnet", txt);
		return -EINVAL;
	}
	if (r->type == SL_ROUTE_UNICAST) {
		if (r->has_via)
			nh.gw = r->via;
		else
			nh.type = SL_NH_CONNECTED;
	}
	return fib_add(b, &r->prefix, &nh);
}

static int create_fibs(struct sl_ipstack_tables *t, const struct sl_config *cfg, int socket,
		       char *err, size_t err_len)
{
	char name[32];
	struct rte_fib_conf c4 = {
		.type = RTE_FIB_DIR24_8,
		.default_nh = 0,
		.max_routes = (int)(cfg->n_routes + 4 * SL_CONFIG_MAX_PORTS * SL_CONFIG_MAX_ADDRS + 16 +
				    cfg->n_services * (1 + SL_CONFIG_MAX_SOURCES)),
		.dir24_8 = {.nh_sz = RTE_FIB_DIR24_8_2B, .num_tbl8 = FIB_TBL8},
	};
	struct rte_fib6_conf c6 = {
		.type = RTE_FIB6_TRIE,
		.default_nh = 0,
		.max_routes = c4.max_routes,
		.trie = {.nh_sz = RTE_FIB6_TRIE_2B, .num_tbl8 = FIB6_TBL8},
	};
	snprintf(name, sizeof(name), "fib4_%" PRIu64, t->generation);
	t->fib4 = rte_fib_create(name, socket, &c4);
	snprintf(name, sizeof(name), "fib6_%" PRIu64, t->generation);
	t->fib6 = rte_fib6_create(name, socket, &c6);
	if (t->fib4 == NULL || t->fib6 == NULL) {
		snprintf(err, err_len, "routes: cannot allocate the routing tables: %s",
			 rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

struct sl_ipstack_tables *sl_ipstack_tables_build(const struct sl_config *cfg,
						  const struct sl_ipstack_port_id *ids,
						  uint64_t generation, int socket,
						  char *err, size_t err_len)
{
	struct sl_ipstack_tables *t = rte_zmalloc_socket("ip_tables", sizeof(*t), 0, socket);
	struct builder b = {.t = t, .err = err, .err_len = err_len};
	if (t == NULL) {
		snprintf(err, err_len, "routes: out of memory");
		return NULL;
	}
	t->generation = generation;
	sl_localin_init(&t->localin);
	b.cap = cfg->n_routes + 4 * SL_CONFIG_MAX_PORTS * SL_CONFIG_MAX_ADDRS + 2;
	if (b.cap > UINT16_MAX)
		b.cap = UINT16_MAX; /* 2-byte FIB next hops */
	t->nexthops = rte_zmalloc_socket("ip_nexthops", b.cap * sizeof(*t->nexthops), 0, socket);
	t->n_nexthops = 1; /* index 0: no route */
	if (t->nexthops == NULL) {
		snprintf(err, err_len, "routes: out of memory");
		goto fail;
	}
	if (create_fibs(t, cfg, socket, err, err_len) < 0 || add_ports(&b, cfg, ids) < 0)
		goto fail;
	/* Link-local destinations are never forwarded. */
	struct sl_prefix ll = {.addr = {.af = SL_AF_INET6, .v6 = {0xfe, 0x80}}, .len = 10};
	struct sl_nexthop none = nh_make(SL_NH_UNREACHABLE, SL_AF_INET6, 0);
	if (fib_add(&b, &ll, &none) < 0)
		goto fail;
	if (add_services(&b, cfg, socket) < 0)
		goto fail;
	/* Replies to TCP health probes go to the management lcore. */
	for (unsigned i = 0; i < cfg->n_services; i++) {
		if (cfg->services[i].health.type != SL_HEALTH_TCP)
			continue;
		if (sl_localin_add(&t->localin, IPPROTO_TCP, SL_HEALTH_PORT_LO, SL_HEALTH_PORT_HI,
				   SL_LOCALIN_PUNT, 0) < 0) {
			snprintf(err, err_len, "services: the local-in table is full");
			goto fail;
		}
		break;
	}
	for (unsigned i = 0; i < cfg->n_routes; i++)
		if (add_route(&b, cfg, &cfg->routes[i]) < 0)
			goto fail;
	return t;
fail:
	sl_ipstack_tables_free(t);
	return NULL;
}

void sl_ipstack_tables_free(struct sl_ipstack_tables *t)
{
	if (t == NULL)
		return;
	rte_fib_free(t->fib4);
	rte_fib6_free(t->fib6);
	rte_free(t->nexthops);
	rte_free(t->owned);
	rte_free(t);
}

uint32_t sl_ipstack_lookup4(const struct sl_ipstack_tables *t, uint32_t addr_host)
{
	uint64_t nh = 0;
	rte_fib_lookup_bulk(t->fib4, &addr_host, &nh, 1);
	return (uint32_t)nh;
}

uint32_t sl_ipstack_lookup6(const struct sl_ipstack_tables *t, const uint8_t addr[16])
{
	uint8_t ips[1][16];
	uint64_t nh = 0;
	memcpy(ips[0], addr, 16);
	rte_fib6_lookup_bulk(t->fib6, ips, &nh, 1);
	return (uint32_t)nh;
}

static json_t *route_json(const struct sl_config *cfg, const struct sl_prefix *p,
			  const char *type, int port, const struct sl_addr *via, const char *source)
{
	char txt[64];
	json_t *o = json_object();
	sl_format_prefix(p, txt, sizeof(txt));
	json_object_set_new(o, "prefix", json_string(txt));
	json_object_set_new(o, "type", json_string(type));
	if (via != NULL) {
		sl_format_addr(via, txt, sizeof(txt));
		json_object_set_new(o, "via", json_string(txt));
	}
	if (port >= 0)
		json_object_set_new(o, "port", json_string(cfg->ports[port].name));
	json_object_set_new(o, "source", json_string(source));
	return o;
}

json_t *sl_ipstack_routes_json(const struct sl_config *cfg)
{
	json_t *arr = json_array();
	for (unsigned i = 0; i < cfg->n_ports; i++) {
		const struct sl_config_port *cp = &cfg->ports[i];
		for (unsigned a = 0; a < cp->n_ipv4 + cp->n_ipv6; a++) {
			struct sl_prefix net = a < cp->n_ipv4 ? cp->ipv4[a] : cp->ipv6[a - cp->n_ipv4];
			sl_prefix_mask(&net);
			json_array_append_new(arr, route_json(cfg, &net, "connected", (int)i, NULL, "connected"));
		}
	}
	for (unsigned i = 0; i < cfg->n_routes; i++) {
		const struct sl_config_route *r = &cfg->routes[i];
		int port = sl_config_route_port(cfg, r);
		const char *type = r->type == SL_ROUTE_BLACKHOLE ? "blackhole" :
				   r->type == SL_ROUTE_UNREACHABLE ? "unreachable" : "unicast";
		json_array_append_new(arr, route_json(cfg, &r->prefix, type, port,
						      r->has_via ? &r->via : NULL, "static"));
	}
	return arr;
}

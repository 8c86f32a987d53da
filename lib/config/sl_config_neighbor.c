/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "neighbors" section: static ARP/ND entries, for next hops that never
 * answer ARP or neighbor solicitations (traffic generators, some test
 * gear). The data path uses them as they are: never probed, never aged.
 *
 * Principles:
 *  - An entry is only accepted if sluice could send to it on that port: the
 *    address is on one of the port's subnets (same family), or IPv6
 *    link-local, which every port has. It is not one of sluice's own
 *    addresses, nor an address no host can have (multicast, a subnet's
 *    network or broadcast address).
 *  - (port, address) is the key: the same address may be a neighbor on two
 *    ports, but only once on each. The duplicate is reported, the entry it
 *    repeats is named.
 *  - The address is checked against the port once the whole entry is read,
 *    because "port" may come after "address" in the object.
 *  - At most 256 entries, so a duplicate search over earlier entries costs
 *    at most 32640 comparisons; no sorting needed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config_priv.h"

static int neighbor_port(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_neighbor *n = obj;
	const char *s;

	if (cfg_get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	n->port = cfg_port_index(c->cfg, s);
	if (n->port < 0)
		return cfg_fail(c, path, "no port named %s", Q(s));
	return 0;
}

static int neighbor_address(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_neighbor *n = obj;

	return cfg_get_host_addr(c, path, v, &n->addr);
}

static int neighbor_mac(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_neighbor *n = obj;

	return cfg_get_mac(c, path, v, n->mac);
}

static const struct field neighbor_fields[] = {
	F_FN("port", neighbor_port),
	F_FN("address", neighbor_address),
	F_FN("mac", neighbor_mac),
};

static bool is_link_local(const struct sl_addr *a)
{
	return a->af == SL_AF_INET6 && a->v6[0] == 0xfe && (a->v6[1] & 0xc0) == 0x80;
}

/* Is IPv4 @p a the network or broadcast address of @p p (up to /30)? */
static bool subnet_edge(const struct sl_prefix *p, const struct sl_addr *a)
{
	uint32_t host_mask, host;

	if (a->af != SL_AF_INET || p->len > 30)
		return false;
	host_mask = UINT32_MAX >> p->len;
	host = ntohl(a->v4) & host_mask;
	return host == 0 || host == host_mask;
}

/*
 * Is @p a on one of @p p's subnets, or link-local? @p edge is set to the
 * first subnet whose network or broadcast address @p a is, else NULL.
 */
static bool on_port(const struct sl_config_port *p, const struct sl_addr *a,
		    const struct sl_prefix **edge)
{
	const struct sl_prefix *list = a->af == SL_AF_INET ? p->ipv4 : p->ipv6;
	unsigned n = a->af == SL_AF_INET ? p->n_ipv4 : p->n_ipv6;
	bool on = is_link_local(a);

	*edge = NULL;
	for (unsigned i = 0; i < n; i++) {
		if (!sl_prefix_contains(&list[i], a))
			continue;
		on = true;
		if (*edge == NULL && subnet_edge(&list[i], a))
			*edge = &list[i];
	}
	return on;
}

/* Index of an entry before @p idx with the same port and address, or -1. */
static int earlier_entry(const struct sl_config *cfg, unsigned idx)
{
	const struct sl_config_neighbor *n = &cfg->neighbors[idx];

	for (unsigned i = 0; i < idx; i++)
		if (cfg->neighbors[i].port == n->port && cfg_addr_eq(&cfg->neighbors[i].addr, &n->addr))
			return (int)i;
	return -1;
}

/* Checks of entry @p idx that need the whole object. */
static int neighbor_finish(struct pctx *c, const char *path, const json_t *j, unsigned idx)
{
	const struct sl_config_neighbor *n = &c->cfg->neighbors[idx];
	char sub[PATH_LEN], addr[INET6_ADDRSTRLEN], net[INET6_ADDRSTRLEN + 4];
	const struct sl_config_port *p;
	const struct sl_prefix *edge;
	struct sl_prefix masked;
	int other;

	if (cfg_required(c, path, j, "port") != 0 || cfg_required(c, path, j, "address") != 0 ||
	    cfg_required(c, path, j, "mac") != 0)
		return -EINVAL;
	p = &c->cfg->ports[n->port];
	cfg_join(sub, path, "address");
	sl_format_addr(&n->addr, addr, sizeof(addr));
	other = cfg_addr_owner(c->cfg, c->cfg->n_ports, &n->addr);
	if (other >= 0)
		return cfg_fail(c, sub, "%s is sluice's own address (port %s)", addr,
				c->cfg->ports[other].name);
	if (!on_port(p, &n->addr, &edge))
		return cfg_fail(c, sub, "%s is not on port %s's subnets", addr, p->name);
	if (edge != NULL) {
		masked = *edge;
		sl_prefix_mask(&masked);
		sl_format_prefix(&masked, net, sizeof(net));
		return cfg_fail(c, sub, "%s is the %s address of port %s's subnet %s", addr,
				cfg_addr_eq(&masked.addr, &n->addr) ? "network" : "broadcast",
				p->name, net);
	}
	other = earlier_entry(c->cfg, idx);
	if (other >= 0)
		return cfg_fail(c, sub, "%s on port %s is already in neighbors[%d]", addr, p->name, other);
	return 0;
}

int cfg_parse_neighbors(struct pctx *c, const json_t *v)
{
	char path[PATH_LEN];
	size_t i;
	json_t *e;

	if (cfg_check_array(c, "neighbors", v, SL_CONFIG_MAX_NEIGHBORS, "entries") != 0)
		return -EINVAL;
	json_array_foreach(v, i, e) {
		struct sl_config_neighbor *n = &c->cfg->neighbors[i];

		cfg_join_index(path, "neighbors", i);
		memset(n, 0, sizeof(*n));
		n->port = -1;
		if (cfg_walk(c, path, e, neighbor_fields, ARRAY_LEN(neighbor_fields), n) != 0 ||
		    neighbor_finish(c, path, e, (unsigned)i) != 0)
			return -EINVAL;
		c->cfg->n_neighbors++;
	}
	return 0;
}

const char *cfg_neighbor_port_name(const struct sl_config *cfg, const struct sl_config_neighbor *n)
{
	return n->port >= 0 && n->port < (int)cfg->n_ports ? cfg->ports[n->port].name : "?";
}

json_t *cfg_neighbor_json(const struct sl_config *cfg, const struct sl_config_neighbor *n)
{
	json_t *o = json_object();
	int rc = 0;

	if (o == NULL)
		return NULL;
	cfg_put(o, "port", json_string(cfg_neighbor_port_name(cfg, n)), &rc);
	cfg_put(o, "address", cfg_addr_json(&n->addr), &rc);
	cfg_put(o, "mac", cfg_mac_json(n->mac), &rc);
	return cfg_finish(o, rc);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "ports" section: names, devices, descriptor counts, MACs and addresses.
 *
 * Principles:
 *  - A port's index is its identity for the rest of the document (routes
 *    and neighbors store it), so ports are parsed before anything that
 *    refers to them.
 *  - Uniqueness is checked against earlier ports only, so the message names
 *    the later one, where the user's edit most likely went wrong.
 *  - Two spellings of one device are one device ("01:00.0" and
 *    "0000:01:00.0"; "net_tap0,iface=a" and "net_tap0,iface=b").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

/* ------------------------------------------------------------------ ports */

static struct sl_config_port *port_of(struct pctx *c, void *obj, size_t *idx)
{
	struct sl_config_port *p = obj;

	*idx = (size_t)(p - c->cfg->ports);
	return p;
}

int cfg_port_index(const struct sl_config *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->n_ports; i++)
		if (strcmp(cfg->ports[i].name, name) == 0)
			return (int)i;
	return -1;
}

int cfg_port_name(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	size_t idx;
	struct sl_config_port *p = port_of(c, obj, &idx);
	const char *s;
	int other;

	if (cfg_get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	if (s[0] == '\0' || strlen(s) >= sizeof(p->name) || !cfg_only_chars(s, LOWER "_-", false))
		return cfg_fail(c, path, "%s is not a valid name (1 to 15 of a-z 0-9 _ -)", Q(s));
	other = cfg_port_index(c->cfg, s);
	if (other >= 0 && (size_t)other < idx)
		return cfg_fail(c, path, "%s is already used by ports[%d]", Q(s), other);
	snprintf(p->name, sizeof(p->name), "%s", s);
	return 0;
}

/* Exactly @p n hex digits. */
static bool hex_field(const char *s, unsigned n, unsigned *out)
{
	char buf[8], *end;

	for (unsigned i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*out = (unsigned)strtoul(buf, &end, 16);
	return true;
}

/* "0000:01:00.0" or "01:00.0" -> domain:bus:dev.fn packed into one key. */
bool cfg_pci_key(const char *s, uint32_t *key)
{
	unsigned dom = 0, bus, dev, fn;
	size_t len = strlen(s);

	if (len == 12) {
		if (!hex_field(s, 4, &dom) || s[4] != ':')
			return false;
		s += 5;
	} else if (len != 7) {
		return false;
	}
	if (!hex_field(s, 2, &bus) || s[2] != ':' || !hex_field(s + 3, 2, &dev) ||
	    s[5] != '.' || !hex_field(s + 6, 1, &fn) || dev > 0x1f || fn > 7)
		return false;
	*key = dom << 16 | bus << 8 | dev << 3 | fn;
	return true;
}

/* "net_<driver><n>[,key=value...]": a name, then printable arguments. */
static bool vdev_ok(const char *s)
{
	size_t name = strcspn(s, ",");

	if (strncmp(s, "net_", 4) != 0 || name <= 4)
		return false;
	for (size_t i = 4; i < name; i++)
		if (strchr(LOWER "0123456789_", s[i]) == NULL)
			return false;
	for (const char *p = s + name; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return false;
	return true;
}

/* Two device strings name the same device (PCI forms, or vdev names). */
static bool same_device(const char *a, const char *b)
{
	uint32_t ka, kb;

	if (cfg_pci_key(a, &ka) && cfg_pci_key(b, &kb))
		return ka == kb;
	return strcspn(a, ",") == strcspn(b, ",") && strncmp(a, b, strcspn(a, ",")) == 0;
}

static int port_device(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	size_t idx;
	struct sl_config_port *p = port_of(c, obj, &idx);
	const char *s;
	uint32_t key;

	if (cfg_get_str(c, path, v, sizeof(p->device), &s) != 0)
		return -EINVAL;
	p->device_is_pci = cfg_pci_key(s, &key);
	if (!p->device_is_pci && !vdev_ok(s))
		return cfg_fail(c, path, "%s is neither a PCI address (0000:01:00.0) nor a vdev (net_...)", Q(s));
	for (size_t i = 0; i < idx; i++)
		if (same_device(c->cfg->ports[i].device, s))
			return cfg_fail(c, path, "%s is already used by ports[%zu]", Q(s), i);
	snprintf(p->device, sizeof(p->device), "%s", s);
	return 0;
}

static int port_desc(struct pctx *c, const char *path, const json_t *v, uint16_t *out)
{
	long long n;

	if (!json_is_integer(v))
		return cfg_fail(c, path, "expected an integer");
	n = (long long)json_integer_value(v);
	if (n != 0 && (n < 64 || n > 8192 || (n & (n - 1)) != 0))
		return cfg_fail(c, path, "%lld is not 0 or a power of two in 64..8192", n);
	*out = (uint16_t)n;
	return 0;
}

static int port_rx_desc(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return port_desc(c, path, v, &((struct sl_config_port *)obj)->rx_desc);
}

static int port_tx_desc(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return port_desc(c, path, v, &((struct sl_config_port *)obj)->tx_desc);
}

/* A unicast, non-zero MAC in "02:00:00:00:00:01" form (hex in any case). */
int cfg_get_mac(struct pctx *c, const char *path, const json_t *v, uint8_t mac[6])
{
	unsigned b[6];
	const char *s;

	if (cfg_get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (strlen(s) != 17 || !hex_field(s + 3 * i, 2, &b[i]) ||
		    (i < 5 && s[3 * i + 2] != ':'))
			return cfg_fail(c, path, "%s is not a MAC address like \"02:00:00:00:00:01\"", Q(s));
	}
	if (b[0] & 1)
		return cfg_fail(c, path, "%s is a multicast address", Q(s));
	if ((b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) == 0)
		return cfg_fail(c, path, "%s is the zero address", Q(s));
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static int port_mac(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_port *p = obj;

	if (cfg_get_mac(c, path, v, p->mac) != 0)
		return -EINVAL;
	p->has_mac = true;
	return 0;
}

static const char *const zone_names[] = {"inside", "outside", NULL};

int cfg_port_zone(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_port *p = obj;
	return cfg_get_enum(c, path, v, zone_names, "inside, outside", &p->zone);
}

/*
 * The first of ports 0..@p n_ports-1 with @p a as a host address, or -1.
 * Only the addresses counted in n_ipv4/n_ipv6 are looked at, so a port
 * being parsed is searched up to, not including, its current entry.
 */
int cfg_addr_owner(const struct sl_config *cfg, unsigned n_ports, const struct sl_addr *a)
{
	for (const struct sl_config_port *q = cfg->ports; q < cfg->ports + n_ports; q++) {
		const struct sl_prefix *list = a->af == SL_AF_INET ? q->ipv4 : q->ipv6;
		unsigned n = a->af == SL_AF_INET ? q->n_ipv4 : q->n_ipv6;

		for (unsigned i = 0; i < n; i++)
			if (cfg_addr_eq(&list[i].addr, a))
				return (int)(q - cfg->ports);
	}
	return -1;
}

/* A host address on a subnet: not its network or broadcast address. */
static int host_addr_check(struct pctx *c, const char *path, const char *s,
			   const struct sl_prefix *pf)
{
	const char *why = cfg_special_addr(&pf->addr);
	uint32_t h, host_mask;

	if (why != NULL)
		return cfg_fail(c, path, "%s %s", Q(s), why);
	if (pf->addr.af != SL_AF_INET || pf->len > 30)
		return 0;
	h = ntohl(pf->addr.v4);
	host_mask = UINT32_MAX >> pf->len;
	if ((h & host_mask) == 0)
		return cfg_fail(c, path, "%s is the network address of its subnet", Q(s));
	if ((h & host_mask) == host_mask)
		return cfg_fail(c, path, "%s is the broadcast address of its subnet", Q(s));
	return 0;
}

static int port_addrs(struct pctx *c, const char *path, const json_t *v,
		      struct sl_config_port *p, int af)
{
	struct sl_prefix *list = af == SL_AF_INET ? p->ipv4 : p->ipv6;
	unsigned *n = af == SL_AF_INET ? &p->n_ipv4 : &p->n_ipv6;
	char sub[PATH_LEN], addr[INET6_ADDRSTRLEN];
	const char *s;
	json_t *e;
	size_t i;
	int owner;

	if (cfg_check_array(c, path, v, SL_CONFIG_MAX_ADDRS, "addresses") != 0)
		return -EINVAL;
	*n = 0;
	json_array_foreach(v, i, e) {
		cfg_join_index(sub, path, i);
		if (cfg_get_str(c, sub, e, SIZE_MAX, &s) != 0 ||
		    cfg_get_prefix(c, sub, s, af, "address with a prefix length", 1, true, &list[i]) != 0 ||
		    host_addr_check(c, sub, s, &list[i]) != 0)
			return -EINVAL;
		owner = cfg_addr_owner(c->cfg, (unsigned)(p - c->cfg->ports) + 1, &list[i].addr);
		sl_format_addr(&list[i].addr, addr, sizeof(addr));
		if (owner >= 0)
			return cfg_fail(c, sub, "%s is already used by ports[%d]", addr, owner);
		(*n)++;
	}
	return 0;
}

int cfg_port_ipv4(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return port_addrs(c, path, v, obj, SL_AF_INET);
}

int cfg_port_ipv6(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return port_addrs(c, path, v, obj, SL_AF_INET6);
}

static int port_kernel_address(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_port *p = obj;
	const char *s;
	if (cfg_get_str(c, path, v, SIZE_MAX, &s) != 0 ||
	    cfg_get_prefix(c, path, s, SL_AF_INET, "IPv4 prefix", 1, true, &p->kernel_address) != 0)
		return -EINVAL;
	p->has_kernel_address = true;
	return 0;
}

/* kernel_address: a net_tap port's host side, on one of its subnets, not its own address. */
static int kernel_address_check(struct pctx *c, const char *path, const struct sl_config_port *p)
{
	char sub[PATH_LEN];
	if (!p->has_kernel_address)
		return 0;
	cfg_join(sub, path, "kernel_address");
	if (strncmp(p->device, "net_tap", 7) != 0 || strstr(p->device, "iface=") == NULL)
		return cfg_fail(c, sub, "only for a net_tap port that names its interface "
				"(\"net_tap0,iface=sluice0\")");
	for (unsigned i = 0; i < p->n_ipv4; i++) {
		if (cfg_addr_eq(&p->ipv4[i].addr, &p->kernel_address.addr))
			return cfg_fail(c, sub, "is the port's own address");
		if (p->ipv4[i].len == p->kernel_address.len &&
		    sl_prefix_contains(&p->ipv4[i], &p->kernel_address.addr))
			return 0;
	}
	return cfg_fail(c, sub, "is on none of the port's IPv4 subnets");
}

static const struct field port_fields[] = {
	F_FN("name", cfg_port_name),
	F_FN("device", port_device),
	F_NUM("mtu", K_INT, struct sl_config_port, mtu, 68, 9600),
	F_NUM("queues", K_INT, struct sl_config_port, queues, 0, 16),
	F_FN("rx_desc", port_rx_desc),
	F_FN("tx_desc", port_tx_desc),
	F_FN("mac", port_mac),
	F_FN("zone", cfg_port_zone),
	F_FN("ipv4", cfg_port_ipv4),
	F_FN("ipv6", cfg_port_ipv6),
	F_FN("kernel_address", port_kernel_address),
};

int cfg_parse_ports(struct pctx *c, const json_t *v)
{
	char path[PATH_LEN];
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return cfg_fail(c, "ports", "expected an array");
	if (json_array_size(v) < 1 || json_array_size(v) > SL_CONFIG_MAX_PORTS)
		return cfg_fail(c, "ports", "expected 1 to %d ports, got %zu",
				SL_CONFIG_MAX_PORTS, json_array_size(v));
	json_array_foreach(v, i, e) {
		struct sl_config_port *p = &c->cfg->ports[i];

		cfg_join_index(path, "ports", i);
		p->mtu = 1500;
		if (cfg_walk(c, path, e, port_fields, ARRAY_LEN(port_fields), p) != 0 ||
		    cfg_required(c, path, e, "name") != 0 || cfg_required(c, path, e, "device") != 0 ||
		    kernel_address_check(c, path, p) != 0)
			return -EINVAL;
		c->cfg->n_ports++;
	}
	c->cfg->n_device_ports = c->cfg->n_ports;
	return 0;
}

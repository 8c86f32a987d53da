/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "wireguard" section: WireGuard interfaces and the handshake settings.
 *
 *   "wireguard": {
 *     "interfaces": [
 *       {"name": "wg0", "private_key_file": "/etc/sluice/wg0.key",
 *        "listen_port": 51820, "ipv4": ["10.99.0.1/24"], "mtu": 1420}
 *     ],
 *     "handshake_load": 1000
 *   }
 *
 * An interface becomes a port after the devices (ports[n_device_ports..]),
 * so routes, rules, zones and NAT name it like any port; it is parsed right
 * after "ports", before anything that names ports. Peers are runtime
 * objects (the API and the UAPI socket change them one by one), not part
 * of the document. The key file is only a path here: the appliance reads
 * it, and refuses it unless it is mode 0600 or stricter.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config_priv.h"

void cfg_wireguard_defaults(struct sl_config_wireguard *w)
{
	w->handshake_load = 1000;
	w->clock_scale = 1;
}

static int wg_key_file(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_port *p = obj;
	const char *s;
	if (cfg_get_str(c, path, v, sizeof(p->wg.private_key_file), &s) != 0)
		return -EINVAL;
	if (s[0] != '/')
		return cfg_fail(c, path, "%s is not an absolute path", Q(s));
	snprintf(p->wg.private_key_file, sizeof(p->wg.private_key_file), "%s", s);
	return 0;
}

static const struct field wg_if_fields[] = {
	F_FN("name", cfg_port_name),
	F_FN("private_key_file", wg_key_file),
	F_NUM("listen_port", K_INT, struct sl_config_port, wg.listen_port, 1, 65535),
	/* 1280: IPv6 inside needs it; the outer headers are on top. */
	F_NUM("mtu", K_INT, struct sl_config_port, mtu, 1280, 9600 - 80),
	F_FN("zone", cfg_port_zone),
	F_FN("ipv4", cfg_port_ipv4),
	F_FN("ipv6", cfg_port_ipv6),
	F_NUM("max_peers", K_INT, struct sl_config_port, wg.max_peers, 1, 1048576),
};

static int parse_interfaces(struct pctx *c, const char *path, const json_t *v)
{
	struct sl_config *cfg = c->cfg;
	char sub[PATH_LEN], key[PATH_LEN];
	json_t *e;
	size_t i;
	if (cfg_check_array(c, path, v, SL_CONFIG_MAX_PORTS, "interfaces") != 0)
		return -EINVAL;
	json_array_foreach(v, i, e) {
		cfg_join_index(sub, path, i);
		if (cfg->n_ports >= SL_CONFIG_MAX_PORTS)
			return cfg_fail(c, sub, "too many ports: devices and WireGuard interfaces "
					"are %d at most together", SL_CONFIG_MAX_PORTS);
		struct sl_config_port *p = &cfg->ports[cfg->n_ports];
		memset(p, 0, sizeof(*p));
		p->wireguard = true;
		p->mtu = 1420;
		p->wg.max_peers = 1024;
		if (cfg_walk(c, sub, e, wg_if_fields, ARRAY_LEN(wg_if_fields), p) != 0 ||
		    cfg_required(c, sub, e, "name") != 0 ||
		    cfg_required(c, sub, e, "private_key_file") != 0 ||
		    cfg_required(c, sub, e, "listen_port") != 0)
			return -EINVAL;
		for (unsigned k = cfg->n_device_ports; k < cfg->n_ports; k++) {
			if (cfg->ports[k].wg.listen_port != p->wg.listen_port)
				continue;
			cfg_join(key, sub, "listen_port");
			return cfg_fail(c, key, "%u is already the listen port of %s",
					p->wg.listen_port, Q(cfg->ports[k].name));
		}
		cfg->n_ports++;
		cfg->wireguard.n_interfaces++;
	}
	return 0;
}

static int wg_interfaces(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	(void)obj;
	return parse_interfaces(c, path, v);
}

static const struct field wireguard_fields[] = {
	F_FN("interfaces", wg_interfaces),
	F_NUM("handshake_load", K_INT, struct sl_config_wireguard, handshake_load, 1, 1000000),
	F_NUM("clock_scale", K_INT, struct sl_config_wireguard, clock_scale, 1, 3600),
};

int cfg_parse_wireguard(struct pctx *c, const json_t *v)
{
	struct sl_config *cfg = c->cfg;
	if (cfg->n_ports == 0 || cfg->n_ports != cfg->n_device_ports)
		return cfg_fail(c, "wireguard", "is read after \"ports\", once");
	cfg->wireguard.n_interfaces = 0;
	return cfg_walk(c, "wireguard", v, wireguard_fields, ARRAY_LEN(wireguard_fields),
			&cfg->wireguard);
}

json_t *cfg_wg_if_json(const struct sl_config_port *p)
{
	json_t *o = json_object();
	int rc = 0;
	if (o == NULL)
		return NULL;
	cfg_put(o, "name", json_string(p->name), &rc);
	cfg_put(o, "private_key_file", json_string(p->wg.private_key_file), &rc);
	cfg_put(o, "listen_port", json_integer(p->wg.listen_port), &rc);
	cfg_put(o, "mtu", json_integer(p->mtu), &rc);
	if (p->zone != SL_ZONE_INSIDE)
		cfg_put(o, "zone", json_string("outside"), &rc);
	cfg_put(o, "ipv4", cfg_addrs_json(p->ipv4, p->n_ipv4), &rc);
	cfg_put(o, "ipv6", cfg_addrs_json(p->ipv6, p->n_ipv6), &rc);
	cfg_put(o, "max_peers", json_integer(p->wg.max_peers), &rc);
	return cfg_finish(o, rc);
}

json_t *cfg_wireguard_json(const struct sl_config *cfg)
{
	json_t *o = json_object(), *a = json_array();
	int rc = 0;
	for (unsigned i = cfg->n_device_ports; a != NULL && i < cfg->n_ports; i++)
		if (json_array_append_new(a, cfg_wg_if_json(&cfg->ports[i])) != 0)
			rc = -ENOMEM;
	if (o == NULL) {
		json_decref(a);
		return NULL;
	}
	cfg_put(o, "interfaces", a, &rc);
	cfg_put(o, "handshake_load", json_integer(cfg->wireguard.handshake_load), &rc);
	if (cfg->wireguard.clock_scale != 1)
		cfg_put(o, "clock_scale", json_integer(cfg->wireguard.clock_scale), &rc);
	return cfg_finish(o, rc);
}

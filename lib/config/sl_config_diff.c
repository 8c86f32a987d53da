/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Comparing two configurations: what changed (for a dry run) and whether a
 * running appliance can take the change.
 *
 * Principles:
 *  - Diffs compare canonical JSON trees, so a new key needs no diff code.
 *    Lists whose members have a natural key are matched by it (ports by
 *    name, routes by prefix, neighbors by port and address) and paths use
 *    that key, not a position that shifts when something is inserted.
 *  - The live-change check names the first restart-only change in schema
 *    order; everything it does not name is live.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

#define RESTART "cannot change while running (restart sluice to apply)"

/* ------------------------------------------------------------------ diff */

static int add_change(json_t *out, const char *path, json_t *old, json_t *new)
{
	json_t *o = json_pack("{s:s, s:O?, s:O?}", "path", path, "old", old, "new", new);

	return o != NULL && json_array_append_new(out, o) == 0 ? 0 : -ENOMEM;
}

/* Changed leaves of two canonical objects; arrays count as leaves. */
static int diff_object(json_t *out, const char *path, json_t *a, json_t *b)
{
	char sub[PATH_LEN];
	const char *key;
	json_t *va, *vb;
	int rc = 0;

	json_object_foreach(a, key, va) {
		cfg_join(sub, path, key);
		vb = json_object_get(b, key);
		if (json_is_object(va) && json_is_object(vb))
			rc = diff_object(out, sub, va, vb);
		else if (vb == NULL || !json_equal(va, vb))
			rc = add_change(out, sub, va, vb);
		if (rc != 0)
			return rc;
	}
	json_object_foreach(b, key, vb) {
		cfg_join(sub, path, key);
		if (json_object_get(a, key) == NULL && (rc = add_change(out, sub, NULL, vb)) != 0)
			return rc;
	}
	return 0;
}

/* Diff two section objects, taking both references. */
static int diff_taken(json_t *out, const char *path, json_t *a, json_t *b)
{
	int rc = -ENOMEM;

	if (a != NULL && b != NULL)
		rc = diff_object(out, path, a, b);
	json_decref(a);
	json_decref(b);
	return rc;
}

/* "ports[lan]", or "wireguard.interfaces[wg0]" for a WireGuard interface. */
static void port_path(char *path, size_t len, const struct sl_config_port *p)
{
	snprintf(path, len, p->wireguard ? "wireguard.interfaces[%s]" : "ports[%s]", p->name);
}

/* Ports keyed by name: "ports[lan].mtu", or a whole port added/removed. */
static int diff_ports(json_t *out, const struct sl_config *a, const struct sl_config *b)
{
	char path[PATH_LEN];
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < a->n_ports; i++) {
		int j = cfg_port_index(b, a->ports[i].name);

		port_path(path, sizeof(path), &a->ports[i]);
		if (j >= 0) {
			rc = diff_taken(out, path, cfg_port_json(&a->ports[i]), cfg_port_json(&b->ports[j]));
		} else {
			json_t *old = cfg_port_json(&a->ports[i]);

			rc = old != NULL ? add_change(out, path, old, NULL) : -ENOMEM;
			json_decref(old);
		}
	}
	for (unsigned j = 0; rc == 0 && j < b->n_ports; j++) {
		json_t *new;

		if (cfg_port_index(a, b->ports[j].name) >= 0)
			continue;
		port_path(path, sizeof(path), &b->ports[j]);
		new = cfg_port_json(&b->ports[j]);
		rc = new != NULL ? add_change(out, path, NULL, new) : -ENOMEM;
		json_decref(new);
	}
	return rc;
}

static int key_cmp_prefix(const void *x, const void *y)
{
	return cfg_prefix_cmp(x, &((const struct route_key *)y)->prefix);
}

/*
 * Walk @p a's routes against @p b's, keyed by prefix. From the old side
 * (@p a_is_old) this reports removed and changed routes; from the new side,
 * added ones. Each lookup is a binary search, so 4096 routes stay cheap.
 */
static int diff_route_side(json_t *out, const struct sl_config *a,
			   const struct sl_config *b, bool a_is_old)
{
	struct route_key *kb = cfg_route_keys(b->routes, b->n_routes);
	char path[PATH_LEN], pf[INET6_ADDRSTRLEN + 4];
	int rc = kb != NULL ? 0 : -ENOMEM;

	for (unsigned i = 0; rc == 0 && i < a->n_routes; i++) {
		const struct route_key *hit = bsearch(&a->routes[i].prefix, kb, b->n_routes,
						      sizeof(*kb), key_cmp_prefix);
		json_t *ja, *jb = NULL;

		if (hit != NULL && !a_is_old)
			continue;    /* changes were reported from the old side */
		ja = sl_config_route_to_json(a, &a->routes[i]);
		if (hit != NULL)
			jb = sl_config_route_to_json(b, &b->routes[hit->idx]);
		sl_format_prefix(&a->routes[i].prefix, pf, sizeof(pf));
		snprintf(path, sizeof(path), "routes[%s]", pf);
		if (ja == NULL || (hit != NULL && jb == NULL))
			rc = -ENOMEM;
		else if (hit == NULL || !json_equal(ja, jb))
			rc = a_is_old ? add_change(out, path, ja, jb) : add_change(out, path, jb, ja);
		json_decref(ja);
		json_decref(jb);
	}
	free(kb);
	return rc;
}

/* Index of @p b's neighbor on the port named @p port with address @p addr, or -1. */
static int neighbor_find(const struct sl_config *b, const char *port, const struct sl_addr *addr)
{
	for (unsigned j = 0; j < b->n_neighbors; j++)
		if (cfg_addr_eq(&b->neighbors[j].addr, addr) &&
		    strcmp(cfg_neighbor_port_name(b, &b->neighbors[j]), port) == 0)
			return (int)j;
	return -1;
}

/*
 * Neighbors keyed by port name and address ("neighbors[wan/10.2.0.2]"),
 * reported like routes: removed and changed from the old side, added from
 * the new. At most 256 a side, so a linear search is cheap enough.
 */
static int diff_neighbor_side(json_t *out, const struct sl_config *a,
			      const struct sl_config *b, bool a_is_old)
{
	char path[PATH_LEN], addr[INET6_ADDRSTRLEN];
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < a->n_neighbors; i++) {
		const struct sl_config_neighbor *n = &a->neighbors[i];
		const char *port = cfg_neighbor_port_name(a, n);
		int hit = neighbor_find(b, port, &n->addr);
		json_t *ja, *jb = NULL;

		if (hit >= 0 && !a_is_old)
			continue;    /* changes were reported from the old side */
		ja = cfg_neighbor_json(a, n);
		if (hit >= 0)
			jb = cfg_neighbor_json(b, &b->neighbors[hit]);
		sl_format_addr(&n->addr, addr, sizeof(addr));
		snprintf(path, sizeof(path), "neighbors[%s/%s]", port, addr);
		if (ja == NULL || (hit >= 0 && jb == NULL))
			rc = -ENOMEM;
		else if (hit < 0 || !json_equal(ja, jb))
			rc = a_is_old ? add_change(out, path, ja, jb) : add_change(out, path, jb, ja);
		json_decref(ja);
		json_decref(jb);
	}
	return rc;
}

/* Services keyed by name: "services[web].backends", or a whole service added/removed. */
static int diff_services(json_t *out, const struct sl_config *a, const struct sl_config *b)
{
	char path[PATH_LEN];
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < a->n_services; i++) {
		int j = sl_config_service_find(b, a->services[i].name);
		snprintf(path, sizeof(path), "services[%s]", a->services[i].name);
		if (j >= 0) {
			rc = diff_taken(out, path, sl_config_service_json(&a->services[i]),
					sl_config_service_json(&b->services[j]));
		} else {
			json_t *old = sl_config_service_json(&a->services[i]);
			rc = old != NULL ? add_change(out, path, old, NULL) : -ENOMEM;
			json_decref(old);
		}
	}
	for (unsigned j = 0; rc == 0 && j < b->n_services; j++) {
		if (sl_config_service_find(a, b->services[j].name) >= 0)
			continue;
		snprintf(path, sizeof(path), "services[%s]", b->services[j].name);
		json_t *new = sl_config_service_json(&b->services[j]);
		rc = new != NULL ? add_change(out, path, NULL, new) : -ENOMEM;
		json_decref(new);
	}
	return rc;
}

/* Sets by name: "sets[blocklist].max_ipv4", or a whole set added/removed. */
static int diff_sets(json_t *out, const struct sl_config *a, const struct sl_config *b)
{
	char path[PATH_LEN];
	int rc = 0;
	for (unsigned i = 0; rc == 0 && i < a->n_sets; i++) {
		int j = sl_config_set_find(b, a->sets[i].name);
		snprintf(path, sizeof(path), "sets[%s]", a->sets[i].name);
		if (j >= 0) {
			rc = diff_taken(out, path, sl_config_set_json(&a->sets[i]),
					sl_config_set_json(&b->sets[j]));
			continue;
		}
		json_t *old = sl_config_set_json(&a->sets[i]);
		rc = old != NULL ? add_change(out, path, old, NULL) : -ENOMEM;
		json_decref(old);
	}
	for (unsigned j = 0; rc == 0 && j < b->n_sets; j++) {
		if (sl_config_set_find(a, b->sets[j].name) >= 0)
			continue;
		snprintf(path, sizeof(path), "sets[%s]", b->sets[j].name);
		json_t *new = sl_config_set_json(&b->sets[j]);
		rc = new != NULL ? add_change(out, path, NULL, new) : -ENOMEM;
		json_decref(new);
	}
	return rc;
}

/* "acl.default", and rules by position: "acl.rules[3]", added or removed at the end. */
static int diff_acl(json_t *out, const struct sl_config *a, const struct sl_config *b)
{
	static const char *const defaults[] = {"allow", "deny", "reject"};
	char path[PATH_LEN];
	int rc = 0;
	if (a->acl.enabled != b->acl.enabled)
		return diff_taken(out, "acl", a->acl.enabled ? cfg_acl_json(a) : json_object(),
				  b->acl.enabled ? cfg_acl_json(b) : json_object());
	if (a->acl.default_action != b->acl.default_action) {
		json_t *da = json_string(defaults[a->acl.default_action]);
		json_t *db = json_string(defaults[b->acl.default_action]);
		rc = da != NULL && db != NULL ? add_change(out, "acl.default", da, db) : -ENOMEM;
		json_decref(da);
		json_decref(db);
	}
	unsigned n = a->acl.n_rules > b->acl.n_rules ? a->acl.n_rules : b->acl.n_rules;
	for (unsigned i = 0; rc == 0 && i < n; i++) {
		const struct sl_config_acl_rule *ra = i < a->acl.n_rules ? &a->acl.rules[i] : NULL;
		const struct sl_config_acl_rule *rb = i < b->acl.n_rules ? &b->acl.rules[i] : NULL;
		if (ra != NULL && rb != NULL && memcmp(ra, rb, sizeof(*ra)) == 0 &&
		    (ra->in_port < 0 || strcmp(a->ports[ra->in_port].name,
					       b->ports[rb->in_port].name) == 0))
			continue;
		json_t *ja = ra != NULL ? sl_config_acl_rule_json(a, ra) : NULL;
		json_t *jb = rb != NULL ? sl_config_acl_rule_json(b, rb) : NULL;
		snprintf(path, sizeof(path), "acl.rules[%u]", i);
		if ((ra != NULL && ja == NULL) || (rb != NULL && jb == NULL))
			rc = -ENOMEM;
		else if (ja == NULL || jb == NULL || !json_equal(ja, jb))
			rc = add_change(out, path, ja, jb);
		json_decref(ja);
		json_decref(jb);
	}
	return rc;
}

json_t *sl_config_diff(const struct sl_config *a, const struct sl_config *b)
{
	json_t *out = json_array();
	int rc = out != NULL ? 0 : -ENOMEM;

	if (rc == 0)
		rc = diff_taken(out, "eal", cfg_eal_json(&a->eal), cfg_eal_json(&b->eal));
	if (rc == 0)
		rc = diff_ports(out, a, b);
	if (rc == 0)
		rc = diff_route_side(out, a, b, true);
	if (rc == 0)
		rc = diff_route_side(out, b, a, false);
	if (rc == 0)
		rc = diff_neighbor_side(out, a, b, true);
	if (rc == 0)
		rc = diff_neighbor_side(out, b, a, false);
	if (rc == 0)
		rc = diff_taken(out, "api", cfg_api_json(&a->api), cfg_api_json(&b->api));
	if (rc == 0)
		rc = diff_taken(out, "log", cfg_log_json(&a->log), cfg_log_json(&b->log));
	if (rc == 0)
		rc = diff_taken(out, "workers", cfg_workers_json(&a->workers), cfg_workers_json(&b->workers));
	if (rc == 0 && (a->flow.enabled || b->flow.enabled)) {
		json_t *fa = a->flow.enabled ? cfg_flow_json(&a->flow) : json_object();
		json_t *fb = b->flow.enabled ? cfg_flow_json(&b->flow) : json_object();
		rc = diff_taken(out, "flow", fa, fb);
	}
	if (rc == 0 && (a->n_snat > 0 || b->n_snat > 0 || a->n_dnat > 0 || b->n_dnat > 0))
		rc = diff_taken(out, "nat", cfg_nat_json(a), cfg_nat_json(b));
	if (rc == 0)
		rc = diff_services(out, a, b);
	if (rc == 0)
		rc = diff_sets(out, a, b);
	if (rc == 0 && (a->ratelimit.enabled || b->ratelimit.enabled))
		rc = diff_taken(out, "ratelimit",
				a->ratelimit.enabled ? cfg_ratelimit_json(a) : json_object(),
				b->ratelimit.enabled ? cfg_ratelimit_json(b) : json_object());
	if (rc == 0 && (a->acl.enabled || b->acl.enabled))
		rc = diff_acl(out, a, b);
	if (rc == 0 && (a->qos.enabled || b->qos.enabled))
		rc = diff_taken(out, "qos", a->qos.enabled ? cfg_qos_json(a) : json_object(),
				b->qos.enabled ? cfg_qos_json(b) : json_object());
	/* Its interfaces are ports (above); here the section's own settings. */
	if (rc == 0)
		rc = diff_taken(out, "wireguard",
				json_pack("{s:I,s:I}", "handshake_load",
					  (json_int_t)a->wireguard.handshake_load, "clock_scale",
					  (json_int_t)a->wireguard.clock_scale),
				json_pack("{s:I,s:I}", "handshake_load",
					  (json_int_t)b->wireguard.handshake_load, "clock_scale",
					  (json_int_t)b->wireguard.clock_scale));
	return cfg_finish(out, rc);
}

/* ----------------------------------------------------------- live change */

static int busy(char *err, size_t err_len, const char *path, const char *what)
{
	if (err != NULL && err_len > 0)
		snprintf(err, err_len, "%s: %s", path, what);
	return -EBUSY;
}

static const char *eal_change(const struct sl_config_eal *a, const struct sl_config_eal *b)
{
	if (strcmp(a->lcores, b->lcores) != 0)
		return "eal.lcores";
	if (a->memory_mb != b->memory_mb)
		return "eal.memory";
	if (a->hugepages != b->hugepages)
		return "eal.hugepages";
	if (strcmp(a->file_prefix, b->file_prefix) != 0)
		return "eal.file_prefix";
	if (a->n_args != b->n_args)
		return "eal.args";
	for (unsigned i = 0; i < a->n_args; i++)
		if (strcmp(a->args[i], b->args[i]) != 0)
			return "eal.args";
	return NULL;
}

/* The restart-only field of a port that changed, or NULL. */
static const char *port_change(const struct sl_config_port *a, const struct sl_config_port *b)
{
	uint32_t ka, kb;
	bool pci = cfg_pci_key(a->device, &ka) && cfg_pci_key(b->device, &kb);

	/* An interface's key, socket and tables are set up at start. */
	if (a->wireguard != b->wireguard)
		return "wireguard";
	if (strcmp(a->wg.private_key_file, b->wg.private_key_file) != 0)
		return "private_key_file";
	if (a->wg.listen_port != b->wg.listen_port)
		return "listen_port";
	if (a->wg.max_peers != b->wg.max_peers)
		return "max_peers";

	/* "01:00.0" and "0000:01:00.0" are one device; vdev arguments matter. */
	if (pci ? ka != kb : strcmp(a->device, b->device) != 0)
		return "device";
	if (a->queues != b->queues)
		return "queues";
	if (a->rx_desc != b->rx_desc)
		return "rx_desc";
	if (a->tx_desc != b->tx_desc)
		return "tx_desc";
	if (a->has_mac != b->has_mac || (a->has_mac && memcmp(a->mac, b->mac, 6) != 0))
		return "mac";
	if (a->has_kernel_address != b->has_kernel_address ||
	    (a->has_kernel_address && (!cfg_addr_eq(&a->kernel_address.addr, &b->kernel_address.addr) ||
				       a->kernel_address.len != b->kernel_address.len)))
		return "kernel_address";
	return NULL;
}

/* Ports must keep their names and order: indexes name DPDK ports. */
static int ports_live(const struct sl_config *a, const struct sl_config *b,
		      char *err, size_t err_len)
{
	char path[PATH_LEN];
	const char *what;

	for (unsigned i = 0; i < a->n_ports; i++) {
		port_path(path, sizeof(path), &a->ports[i]);
		if (cfg_port_index(b, a->ports[i].name) < 0)
			return busy(err, err_len, path, "cannot remove a port while running (restart sluice to apply)");
	}
	for (unsigned i = 0; i < b->n_ports; i++) {
		port_path(path, sizeof(path), &b->ports[i]);
		if (cfg_port_index(a, b->ports[i].name) < 0)
			return busy(err, err_len, path, "cannot add a port while running (restart sluice to apply)");
	}
	for (unsigned i = 0; i < a->n_ports; i++) {
		if (strcmp(a->ports[i].name, b->ports[i].name) != 0)
			return busy(err, err_len, "ports", "cannot reorder ports while running (restart sluice to apply)");
		what = port_change(&a->ports[i], &b->ports[i]);
		if (what != NULL) {
			port_path(path, sizeof(path), &a->ports[i]);
			snprintf(path + strlen(path), sizeof(path) - strlen(path), ".%s", what);
			return busy(err, err_len, path, RESTART);
		}
	}
	return 0;
}

int sl_config_check_live_change(const struct sl_config *cur,
				const struct sl_config *next, char *err, size_t err_len)
{
	const char *what = eal_change(&cur->eal, &next->eal);

	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (what != NULL)
		return busy(err, err_len, what, RESTART);
	if (ports_live(cur, next, err, err_len) != 0)
		return -EBUSY;
	if (strcmp(cur->api.listen, next->api.listen) != 0)
		return busy(err, err_len, "api.listen", RESTART);
	if (cur->api.port != next->api.port)
		return busy(err, err_len, "api.port", RESTART);
	/* libmicrohttpd takes its limits at start only; the token is re-read live. */
	if (cur->api.connection_limit != next->api.connection_limit)
		return busy(err, err_len, "api.connection_limit", RESTART);
	if (cur->api.per_ip_limit != next->api.per_ip_limit)
		return busy(err, err_len, "api.per_ip_limit", RESTART);
	if (cur->api.timeout_s != next->api.timeout_s)
		return busy(err, err_len, "api.timeout", RESTART);
	if (cur->api.memory_limit != next->api.memory_limit)
		return busy(err, err_len, "api.memory_limit", RESTART);
	if (cur->api.max_body != next->api.max_body)
		return busy(err, err_len, "api.max_body", RESTART);
	if (cur->api.max_bulk_body != next->api.max_bulk_body)
		return busy(err, err_len, "api.max_bulk_body", RESTART);
	/* WireGuard interfaces take their settings at start. */
	if (cur->wireguard.handshake_load != next->wireguard.handshake_load)
		return busy(err, err_len, "wireguard.handshake_load", RESTART);
	if (cur->wireguard.clock_scale != next->wireguard.clock_scale)
		return busy(err, err_len, "wireguard.clock_scale", RESTART);
	/* The connection table is sized and placed at start. */
	if (cur->flow.enabled != next->flow.enabled)
		return busy(err, err_len, "flow", RESTART);
	if (cur->flow.max_connections != next->flow.max_connections)
		return busy(err, err_len, "flow.max_connections", RESTART);
	if (cur->flow.max_connections_ipv6 != next->flow.max_connections_ipv6)
		return busy(err, err_len, "flow.max_connections_ipv6", RESTART);
	if (cur->flow.max_fragmented != next->flow.max_fragmented)
		return busy(err, err_len, "flow.max_fragmented", RESTART);
	/* The source table is sized and keyed at start. */
	if (cur->ratelimit.enabled != next->ratelimit.enabled)
		return busy(err, err_len, "ratelimit", RESTART);
	if (cur->ratelimit.max_sources != next->ratelimit.max_sources)
		return busy(err, err_len, "ratelimit.max_sources", RESTART);
	if (cur->ratelimit.prefix4 != next->ratelimit.prefix4)
		return busy(err, err_len, "ratelimit.source_prefix_ipv4", RESTART);
	if (cur->ratelimit.prefix6 != next->ratelimit.prefix6)
		return busy(err, err_len, "ratelimit.source_prefix_ipv6", RESTART);
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The way out: canonical JSON, and saving it to a file atomically.
 *
 * Principles:
 *  - Canonical means every key in schema order with defaults filled in,
 *    units in their largest exact unit, addresses as inet_ntop(3) writes
 *    them. Keys that are absent by default (a port's "mac", a route's "via")
 *    stay absent. parse(to_json(c)) == c, and to_json of that is the same
 *    bytes.
 *  - Secrets never appear: token_file is a path.
 *  - A save leaves the old file or the new one, never a mix: temp file in
 *    the same directory, fsync, rename, fsync the directory.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_priv.h"
#include "sl_log.h"

/* ------------------------------------------------------------ to JSON */

/* json_object_set_new that remembers a failure (a NULL value included). */
void cfg_put(json_t *o, const char *key, json_t *v, int *rc)
{
	if (json_object_set_new(o, key, v) != 0)
		*rc = -ENOMEM;
}

static json_t *units_json(uint64_t v, void (*format)(uint64_t, char *, size_t))
{
	char buf[SL_UNITS_STR_MAX];

	format(v, buf, sizeof(buf));
	return json_string(buf);
}

json_t *cfg_addr_json(const struct sl_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	sl_format_addr(a, buf, sizeof(buf));
	return json_string(buf);
}

json_t *cfg_prefix_json(const struct sl_prefix *p)
{
	char buf[INET6_ADDRSTRLEN + 4];

	sl_format_prefix(p, buf, sizeof(buf));
	return json_string(buf);
}

json_t *cfg_mac_json(const uint8_t mac[6])
{
	char buf[MAC_STR_MAX];

	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return json_string(buf);
}

/* Take @p o if everything was added, else free it. */
json_t *cfg_finish(json_t *o, int rc)
{
	if (rc == 0)
		return o;
	json_decref(o);
	return NULL;
}

json_t *cfg_eal_json(const struct sl_config_eal *e)
{
	json_t *o = json_object(), *args = json_array();
	int rc = o != NULL ? 0 : -ENOMEM;

	for (unsigned i = 0; args != NULL && i < e->n_args; i++)
		if (json_array_append_new(args, json_string(e->args[i])) != 0)
			rc = -ENOMEM;
	if (o == NULL) {
		json_decref(args);
		return NULL;
	}
	cfg_put(o, "lcores", json_string(e->lcores), &rc);
	cfg_put(o, "memory", units_json((uint64_t)e->memory_mb * MIB, sl_format_size_bytes), &rc);
	cfg_put(o, "hugepages", json_string(e->hugepages <= SL_HUGEPAGES_OFF ?
					    cfg_hugepages_names[e->hugepages] : "?"), &rc);
	cfg_put(o, "file_prefix", json_string(e->file_prefix), &rc);
	cfg_put(o, "args", args, &rc);
	return cfg_finish(o, rc);
}

json_t *cfg_addrs_json(const struct sl_prefix *list, unsigned n)
{
	json_t *a = json_array();

	for (unsigned i = 0; a != NULL && i < n; i++) {
		if (json_array_append_new(a, cfg_prefix_json(&list[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

json_t *cfg_port_json(const struct sl_config_port *p)
{
	json_t *o = json_object();
	int rc = 0;

	if (p->wireguard) {
		json_decref(o);
		return cfg_wg_if_json(p);
	}
	if (o == NULL)
		return NULL;
	cfg_put(o, "name", json_string(p->name), &rc);
	cfg_put(o, "device", json_string(p->device), &rc);
	cfg_put(o, "mtu", json_integer(p->mtu), &rc);
	if (p->zone != SL_ZONE_INSIDE)
		cfg_put(o, "zone", json_string("outside"), &rc);
	cfg_put(o, "queues", json_integer(p->queues), &rc);
	cfg_put(o, "rx_desc", json_integer(p->rx_desc), &rc);
	cfg_put(o, "tx_desc", json_integer(p->tx_desc), &rc);
	if (p->has_mac)
		cfg_put(o, "mac", cfg_mac_json(p->mac), &rc);
	cfg_put(o, "ipv4", cfg_addrs_json(p->ipv4, p->n_ipv4), &rc);
	cfg_put(o, "ipv6", cfg_addrs_json(p->ipv6, p->n_ipv6), &rc);
	if (p->has_kernel_address)
		cfg_put(o, "kernel_address", cfg_prefix_json(&p->kernel_address), &rc);
	return cfg_finish(o, rc);
}

json_t *cfg_api_json(const struct sl_config_api *api)
{
	json_t *o = json_object();
	int rc = 0;

	if (o == NULL)
		return NULL;
	cfg_put(o, "listen", json_string(api->listen), &rc);
	cfg_put(o, "port", json_integer(api->port), &rc);
	if (api->token_file[0] != '\0')
		cfg_put(o, "token_file", json_string(api->token_file), &rc);
	cfg_put(o, "connection_limit", json_integer(api->connection_limit), &rc);
	cfg_put(o, "per_ip_limit", json_integer(api->per_ip_limit), &rc);
	cfg_put(o, "timeout", units_json((uint64_t)api->timeout_s * 1000000, sl_format_duration_us), &rc);
	cfg_put(o, "memory_limit", units_json(api->memory_limit, sl_format_size_bytes), &rc);
	cfg_put(o, "max_body", units_json(api->max_body, sl_format_size_bytes), &rc);
	cfg_put(o, "max_bulk_body", units_json(api->max_bulk_body, sl_format_size_bytes), &rc);
	return cfg_finish(o, rc);
}

json_t *cfg_log_json(const struct sl_config_log *log)
{
	return json_pack("{s:s}", "level", sl_log_level_name((enum sl_log_level)log->level));
}

json_t *cfg_workers_json(const struct sl_config_workers *w)
{
	json_t *o = json_object();
	int rc = 0;

	if (o == NULL)
		return NULL;
	cfg_put(o, "idle_sleep", units_json(w->idle_sleep_us, sl_format_duration_us), &rc);
	cfg_put(o, "burst", json_integer(w->burst), &rc);
	return cfg_finish(o, rc);
}

/* The three lists, as arrays; NULL on allocation failure. */
static json_t *ports_json(const struct sl_config *cfg)
{
	json_t *a = json_array();

	for (unsigned i = 0; a != NULL && i < cfg->n_device_ports; i++)
		if (json_array_append_new(a, cfg_port_json(&cfg->ports[i])) != 0)
			return cfg_finish(a, -ENOMEM);
	return a;
}

static json_t *routes_json(const struct sl_config *cfg)
{
	json_t *a = json_array();

	for (unsigned i = 0; a != NULL && i < cfg->n_routes; i++)
		if (json_array_append_new(a, sl_config_route_to_json(cfg, &cfg->routes[i])) != 0)
			return cfg_finish(a, -ENOMEM);
	return a;
}

static json_t *neighbors_json(const struct sl_config *cfg)
{
	json_t *a = json_array();

	for (unsigned i = 0; a != NULL && i < cfg->n_neighbors; i++)
		if (json_array_append_new(a, cfg_neighbor_json(cfg, &cfg->neighbors[i])) != 0)
			return cfg_finish(a, -ENOMEM);
	return a;
}

json_t *sl_config_to_json(const struct sl_config *cfg)
{
	json_t *o = json_object();
	int rc = 0;

	if (o == NULL)
		return NULL;
	cfg_put(o, "eal", cfg_eal_json(&cfg->eal), &rc);
	cfg_put(o, "ports", ports_json(cfg), &rc);
	cfg_put(o, "routes", routes_json(cfg), &rc);
	cfg_put(o, "neighbors", neighbors_json(cfg), &rc);
	cfg_put(o, "api", cfg_api_json(&cfg->api), &rc);
	cfg_put(o, "log", cfg_log_json(&cfg->log), &rc);
	cfg_put(o, "workers", cfg_workers_json(&cfg->workers), &rc);
	if (cfg->flow.enabled)
		cfg_put(o, "flow", cfg_flow_json(&cfg->flow), &rc);
	if (cfg->n_snat > 0 || cfg->n_dnat > 0)
		cfg_put(o, "nat", cfg_nat_json(cfg), &rc);
	if (cfg->n_services > 0) {
		json_t *a = json_array();
		for (unsigned i = 0; a != NULL && i < cfg->n_services; i++)
			if (json_array_append_new(a, sl_config_service_json(&cfg->services[i])) != 0)
				rc = -1;
		cfg_put(o, "services", a, &rc);
	}
	if (cfg->ratelimit.enabled)
		cfg_put(o, "ratelimit", cfg_ratelimit_json(cfg), &rc);
	if (cfg->acl.enabled)
		cfg_put(o, "acl", cfg_acl_json(cfg), &rc);
	if (cfg->n_sets > 0)
		cfg_put(o, "sets", cfg_sets_json(cfg), &rc);
	if (cfg->qos.enabled)
		cfg_put(o, "qos", cfg_qos_json(cfg), &rc);
	if (cfg->wireguard.n_interfaces > 0)
		cfg_put(o, "wireguard", cfg_wireguard_json(cfg), &rc);
	return cfg_finish(o, rc);
}

/* ------------------------------------------------------------------ save */

static int write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* "<dir>" and "<dir>/.<base>.XXXXXX" for @p path. */
static int temp_names(const char *path, char *dir, char *tmp)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	int n;

	if (base[0] == '\0')
		return -EISDIR;
	if (slash == NULL)
		n = snprintf(dir, PATH_MAX, ".");
	else if (slash == path)
		n = snprintf(dir, PATH_MAX, "/");
	else
		n = snprintf(dir, PATH_MAX, "%.*s", (int)(slash - path), path);
	if (n >= PATH_MAX ||
	    snprintf(tmp, PATH_MAX, "%s/.%s.XXXXXX", dir, base) >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

int sl_fsync_parent(const char *path)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	int rc = temp_names(path, dir, tmp);
	return rc != 0 ? rc : fsync_dir(dir);
}

/* Write @p text and a newline to a new 0640 temp file, synced. */
static int write_temp(char *tmp, const char *text)
{
	int fd = mkstemp(tmp), rc;

	if (fd < 0)
		return -errno;
	rc = fchmod(fd, 0640) != 0 ? -errno : 0;
	if (rc == 0)
		rc = write_all(fd, text, strlen(text));
	if (rc == 0)
		rc = write_all(fd, "\n", 1);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int sl_config_save(const struct sl_config *cfg, const char *path)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	json_t *j;
	char *text;
	int rc;

	rc = temp_names(path, dir, tmp);
	if (rc != 0)
		return rc;
	j = sl_config_to_json(cfg);
	text = j != NULL ? json_dumps(j, JSON_INDENT(2)) : NULL;
	json_decref(j);
	if (text == NULL)
		return -ENOMEM;
	rc = write_temp(tmp, text);
	free(text);
	if (rc != 0)
		return rc;
	if (rename(tmp, path) != 0) {
		rc = -errno;
		unlink(tmp);
		return rc;
	}
	return fsync_dir(dir);
}

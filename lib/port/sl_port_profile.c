/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Driver profiles: one JSON file per driver under drivers-config/.
 *
 * A profile is advice, not a promise: sl_port_configure() intersects it with
 * the device's capabilities. Parsing is strict (unknown keys and unknown
 * offload names are errors) so a typo in a profile is found at start-up, not
 * as a silently missing offload.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include "sl_log.h"
#include "sl_port.h"

static void defaults(struct sl_port_profile *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->driver, sizeof(p->driver), "default");
	p->max_rx = 16;
	p->max_tx = 16;
	p->rx_desc = 1024;
	p->tx_desc = 1024;
	p->rss_enabled = true;
	p->rss_hf = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;
	p->promiscuous = true;
	p->mtu_settable = true;
	p->handoff_required = true;
}

int sl_port_offload_parse(const char *name, bool rx, uint64_t *bit)
{
	for (unsigned i = 0; i < 64; i++) {
		uint64_t b = 1ULL << i;
		const char *n = rx ? rte_eth_dev_rx_offload_name(b) : rte_eth_dev_tx_offload_name(b);
		if (n != NULL && strcmp(n, "UNKNOWN") != 0 && strcmp(n, name) == 0) {
			*bit = b;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_offloads(const json_t *arr, bool rx, uint64_t *out, const char *key,
			  char *err, size_t err_len)
{
	size_t i;
	const json_t *v;
	*out = 0;
	if (arr == NULL)
		return 0;
	if (!json_is_array(arr)) {
		snprintf(err, err_len, "%s: expected an array of offload names", key);
		return -EINVAL;
	}
	json_array_foreach(arr, i, v) {
		uint64_t bit;
		if (!json_is_string(v) || sl_port_offload_parse(json_string_value(v), rx, &bit) < 0) {
			snprintf(err, err_len, "%s[%zu]: not a DPDK %s offload name", key, i,
				 rx ? "RX" : "TX");
			return -EINVAL;
		}
		*out |= bit;
	}
	return 0;
}

static int parse_hash_types(const json_t *arr, uint64_t *out, char *err, size_t err_len)
{
	static const struct { const char *name; uint64_t hf; } types[] = {
		{"ipv4", RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_OTHER},
		{"ipv6", RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_FRAG_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_OTHER},
		{"tcp", RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV6_TCP},
		{"udp", RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV6_UDP},
	};
	size_t i;
	const json_t *v;
	*out = 0;
	if (arr == NULL)
		return 0;
	json_array_foreach(arr, i, v) {
		unsigned t;
		for (t = 0; t < RTE_DIM(types); t++)
			if (json_is_string(v) && strcmp(json_string_value(v), types[t].name) == 0)
				break;
		if (t == RTE_DIM(types)) {
			snprintf(err, err_len, "rss.hash_types[%zu]: not one of ipv4, ipv6, tcp, udp", i);
			return -EINVAL;
		}
		*out |= types[t].hf;
	}
	return 0;
}

static int get_bool(const json_t *obj, const char *key, bool *out, char *err, size_t err_len)
{
	const json_t *v = json_object_get(obj, key);
	if (v == NULL)
		return 0;
	if (!json_is_boolean(v)) {
		snprintf(err, err_len, "%s: expected true or false", key);
		return -EINVAL;
	}
	*out = json_is_true(v);
	return 0;
}

static int get_u16(const json_t *obj, const char *key, uint16_t *out, char *err, size_t err_len)
{
	const json_t *v = json_object_get(obj, key);
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 65535) {
		snprintf(err, err_len, "%s: expected an integer 1..65535", key);
		return -EINVAL;
	}
	*out = (uint16_t)json_integer_value(v);
	return 0;
}

int sl_port_profile_parse(const json_t *doc, struct sl_port_profile *out,
			  char *err, size_t err_len)
{
	static const char *const known[] = {"driver", "aliases", "description", "bind",
		"queues", "descriptors", "rss", "rx_offloads", "tx_offloads", "promiscuous",
		"mtu_settable", "handoff_required"};
	const char *key;
	const json_t *v;

	defaults(out);
	if (!json_is_object(doc)) {
		snprintf(err, err_len, "expected a JSON object");
		return -EINVAL;
	}
	json_object_foreach((json_t *)doc, key, v) {
		unsigned k;
		for (k = 0; k < RTE_DIM(known); k++)
			if (strcmp(key, known[k]) == 0)
				break;
		if (k == RTE_DIM(known)) {
			snprintf(err, err_len, "%s: unknown key", key);
			return -EINVAL;
		}
	}
	v = json_object_get(doc, "driver");
	if (!json_is_string(v) || json_string_length(v) >= sizeof(out->driver)) {
		snprintf(err, err_len, "driver: required string");
		return -EINVAL;
	}
	snprintf(out->driver, sizeof(out->driver), "%s", json_string_value(v));

	const json_t *q = json_object_get(doc, "queues");
	if (q != NULL) {
		const json_t *arg = json_object_get(q, "vdev_arg");
		if (get_bool(q, "tied_pairs", &out->tied_pairs, err, err_len) < 0 ||
		    get_u16(q, "max_rx", &out->max_rx, err, err_len) < 0 ||
		    get_u16(q, "max_tx", &out->max_tx, err, err_len) < 0)
			return -EINVAL;
		if (json_is_string(arg))
			snprintf(out->vdev_queue_arg, sizeof(out->vdev_queue_arg), "%s",
				 json_string_value(arg));
	}
	const json_t *d = json_object_get(doc, "descriptors");
	if (d != NULL && (get_u16(d, "rx", &out->rx_desc, err, err_len) < 0 ||
			  get_u16(d, "tx", &out->tx_desc, err, err_len) < 0))
		return -EINVAL;
	const json_t *rss = json_object_get(doc, "rss");
	if (rss != NULL) {
		if (get_bool(rss, "enabled", &out->rss_enabled, err, err_len) < 0 ||
		    get_bool(rss, "symmetric", &out->rss_symmetric, err, err_len) < 0 ||
		    parse_hash_types(json_object_get(rss, "hash_types"), &out->rss_hf, err, err_len) < 0)
			return -EINVAL;
	}
	if (parse_offloads(json_object_get(doc, "rx_offloads"), true, &out->rx_offloads,
			   "rx_offloads", err, err_len) < 0 ||
	    parse_offloads(json_object_get(doc, "tx_offloads"), false, &out->tx_offloads,
			   "tx_offloads", err, err_len) < 0 ||
	    get_bool(doc, "promiscuous", &out->promiscuous, err, err_len) < 0 ||
	    get_bool(doc, "mtu_settable", &out->mtu_settable, err, err_len) < 0 ||
	    get_bool(doc, "handoff_required", &out->handoff_required, err, err_len) < 0)
		return -EINVAL;
	out->matched = true;
	return 0;
}

static bool lists_alias(const json_t *doc, const char *driver)
{
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(doc, "aliases"), i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), driver) == 0)
			return true;
	return false;
}

static int load_file(const char *path, struct sl_port_profile *out, char *err, size_t err_len)
{
	json_error_t jerr;
	char inner[192];
	json_t *doc = json_load_file(path, 0, &jerr);
	if (doc == NULL) {
		snprintf(err, err_len, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
		return -EINVAL;
	}
	int rc = sl_port_profile_parse(doc, out, inner, sizeof(inner));
	json_decref(doc);
	if (rc < 0)
		snprintf(err, err_len, "%s: %s", path, inner);
	return rc;
}

/* Scan dir for a profile naming driver among its aliases. */
static int find_alias(const char *dir, const char *driver, char *path, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = -ENOENT;
	if (d == NULL)
		return -errno;
	while (rc != 0 && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
			continue;
		snprintf(path, len, "%s/%s", dir, e->d_name);
		json_t *doc = json_load_file(path, 0, NULL);
		if (doc != NULL && lists_alias(doc, driver))
			rc = 0;
		json_decref(doc);
	}
	closedir(d);
	return rc;
}

int sl_port_profile_load(const char *dir, const char *driver,
			 struct sl_port_profile *out, char *err, size_t err_len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.json", dir, driver);
	if (access(path, R_OK) == 0 || find_alias(dir, driver, path, sizeof(path)) == 0)
		return load_file(path, out, err, err_len);

	snprintf(path, sizeof(path), "%s/default.json", dir);
	if (access(path, R_OK) == 0) {
		int rc = load_file(path, out, err, err_len);
		if (rc < 0)
			return rc;
	} else {
		defaults(out);
	}
	out->matched = false;
	SL_LOG(WARN, "port", "no driver profile for %s in %s: using safe defaults", driver, dir);
	return 0;
}

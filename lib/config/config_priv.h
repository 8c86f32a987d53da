/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Private parts of lib/config, shared by its files and nothing else.
 *
 *   sl_config.c           the document root, the small sections (eal, api,
 *                         log, workers), parse, load, free, dup
 *   sl_config_value.c     messages, typed values, key tables, address checks
 *   sl_config_port.c      the "ports" section
 *   sl_config_route.c     the "routes" section and the route edit API
 *   sl_config_neighbor.c  the "neighbors" section
 *   sl_config_flow.c      the "flow" section (connection tracking)
 *   sl_config_nat.c       the "nat" section (source NAT rules)
 *   sl_config_service.c   the "services" section (load-balanced services)
 *   sl_config_acl.c       the "acl" section (ordered rules; their match keys, shared)
 *   sl_config_qos.c       the "qos" section (shaped ports, class trees)
 *   sl_config_wireguard.c the "wireguard" section (its interfaces are ports)
 *   sl_config_ratelimit.c the "ratelimit" section (per-source limits by level)
 *   sl_config_json.c      canonical JSON and atomic save
 *   sl_config_diff.c      diff and the live-change check
 *   sl_units.c            units and address literals
 *
 * Everything here is an internal symbol of one static library that is
 * linked together with every other module, hence the cfg_ prefix.
 * Threads: any; nothing here keeps state.
 */
#ifndef SL_CONFIG_PRIV_H
#define SL_CONFIG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sl_config.h"

#define PATH_LEN 192      /* "routes[4095].prefix", or a path with an unknown key */
#define QUOTE_MAX 80      /* an echoed value, quotes and "..." included */
#define MIB (1ULL << 20)
#define MAC_STR_MAX 18    /* "02:00:00:00:00:01" and its NUL */

#define LOWER "abcdefghijklmnopqrstuvwxyz"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Parse state. cfg is NULL when one route is parsed on its own. */
struct pctx {
	struct sl_config *cfg;
	const struct sl_config *view;  /* the ports routes refer to */
	char *err;
	size_t err_len;
};

/* ------------------------------------------------- messages (value.c) */

/* Cut a partial UTF-8 sequence off the end, left there by truncation. */
void cfg_utf8_trim_tail(char *s);

/* Escape @p s into @p buf (QUOTE_MAX bytes), optionally in double quotes. */
const char *cfg_escape(const char *s, char *buf, bool quotes);

/* A user's value, quoted; the buffer lives until the end of the statement's block. */
#define Q(s) cfg_escape((s), (char[QUOTE_MAX]){ 0 }, true)

/* Write "<path>: <problem>" into the context's error buffer; returns -EINVAL. */
int cfg_fail(struct pctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "base.key" into @p out (PATH_LEN bytes); a long key is cut short, readably. */
void cfg_join(char *out, const char *base, const char *key);
/* "base[i]" into @p out (PATH_LEN bytes). */
void cfg_join_index(char *out, const char *base, size_t i);

/* ---------------------------------------------- typed values (value.c) */

/* A string without NUL bytes, shorter than @p size; *out is "" on error. */
int cfg_get_str(struct pctx *c, const char *path, const json_t *v,
		size_t size, const char **out);

/* Index of @p v in the NULL-terminated @p names, else an error listing them. */
int cfg_get_enum(struct pctx *c, const char *path, const json_t *v,
		 const char *const *names, const char *list, uint8_t *out);

/* An array of at most @p max members ("at most <max> <noun>" otherwise). */
int cfg_check_array(struct pctx *c, const char *path, const json_t *v, size_t max,
		    const char *noun);

/* true or false. */
int cfg_get_bool(struct pctx *c, const char *path, const json_t *v, bool *out);

/* A name of 1 to @p size - 1 of a-z 0-9 _ - into @p out. */
int cfg_get_name(struct pctx *c, const char *path, const json_t *v, char *out, size_t size);

/* Field functions of a port that WireGuard interfaces share (port.c). */
int cfg_port_name(struct pctx *c, const char *path, const json_t *v, void *obj);
int cfg_port_zone(struct pctx *c, const char *path, const json_t *v, void *obj);
int cfg_port_ipv4(struct pctx *c, const char *path, const json_t *v, void *obj);
int cfg_port_ipv6(struct pctx *c, const char *path, const json_t *v, void *obj);

/* The index of the port @p v names ("<value> is not a port" otherwise). */
int cfg_get_port_ref(struct pctx *c, const char *path, const json_t *v, int *out);

/* "1024-65535": at least 64 ports, not inverted. */
int cfg_get_port_range(struct pctx *c, const char *path, const json_t *v, uint16_t *lo,
		       uint16_t *hi);

struct unit_kind {
	const char *noun;   /* "a duration" */
	const char *units;  /* the suffixes, ", "-separated, for messages */
	const char *base;   /* what a bare integer counts */
	bool bare_ok;       /* a bare number is allowed */
	int (*parse)(const char *s, uint64_t *v);
	void (*format)(uint64_t v, char *buf, size_t len);
};

extern const struct unit_kind cfg_duration_kind, cfg_size_kind, cfg_bitrate_kind,
	cfg_per_second_kind;

/* A units string in @p min..@p max (in the kind's base unit). */
int cfg_get_units(struct pctx *c, const char *path, const json_t *v,
		  const struct unit_kind *k, uint64_t min, uint64_t max,
		  uint64_t *out);

/* Only digits, characters of @p allowed, and letters if @p alnum. */
bool cfg_only_chars(const char *s, const char *allowed, bool alnum);

/* "syn_proxy" of a TCP service or port forward (sl_config_synproxy.c):
 * "off", "always", "auto", or {"mode": ..., "above": "2000/s"}. */
int cfg_get_syn_proxy(struct pctx *c, const char *path, const json_t *v,
		      struct sl_config_syn_proxy *out);
/* The same as JSON; NULL when off (the key is left out). */
json_t *cfg_syn_proxy_json(const struct sl_config_syn_proxy *sp);

/* -------------------------------------------- objects by table (value.c) */

enum field_kind { K_INT, K_SIZE, K_DURATION, K_FN };

struct field {
	const char *key;
	enum field_kind kind;
	size_t off, width;    /* where a K_INT/K_SIZE/K_DURATION value is stored */
	long long min, max;   /* K_INT: plain; K_SIZE bytes; K_DURATION us */
	int (*fn)(struct pctx *c, const char *path, const json_t *v, void *obj);
};

#define F_NUM(k, kind, type, m, lo, hi) \
	{ k, kind, offsetof(type, m), sizeof(((type *)0)->m), lo, hi, NULL }
#define F_FN(k, f) { k, K_FN, 0, 0, 0, 0, f }

/* Walk @p j's keys in document order, each through its field's parser. */
int cfg_walk(struct pctx *c, const char *path, const json_t *j,
	     const struct field *fields, size_t n, void *obj);

/* "<path>.<key>: required" unless @p obj has @p key. */
int cfg_required(struct pctx *c, const char *path, const json_t *obj,
		 const char *key);

/* ---------------------------------------------------- addresses (value.c) */

const char *cfg_af_name(int af);
/* Which family a string that failed to parse was probably meant to be. */
const char *cfg_af_guess(const char *s);
/* Why an address cannot be a host or gateway address, or NULL if it can. */
const char *cfg_special_addr(const struct sl_addr *a);
/* A string field holding one host or gateway address (not a special one). */
int cfg_get_host_addr(struct pctx *c, const char *path, const json_t *v, struct sl_addr *out);
/*
 * "addr/len" for field @p path: @p af 0 takes either family, @p min_len is
 * the shortest length allowed, a bare address is refused if @p need_len.
 */
int cfg_get_prefix(struct pctx *c, const char *path, const char *s, int af,
		   const char *noun, unsigned min_len, bool need_len,
		   struct sl_prefix *out);
bool cfg_addr_eq(const struct sl_addr *a, const struct sl_addr *b);

/* ----------------------------------------------------------- sections */

/* sl_config.c */
extern const char *const cfg_hugepages_names[];

/* sl_config_port.c */
int cfg_parse_ports(struct pctx *c, const json_t *v);
/* Index of the port named @p name, or -1. */
int cfg_port_index(const struct sl_config *cfg, const char *name);
/* "0000:01:00.0" or "01:00.0" -> domain:bus:dev.fn packed into one key. */
bool cfg_pci_key(const char *s, uint32_t *key);
/* A unicast, non-zero MAC in "02:00:00:00:00:01" form (hex in any case). */
int cfg_get_mac(struct pctx *c, const char *path, const json_t *v, uint8_t mac[6]);
/* The first of ports 0..@p n_ports-1 with @p a as a host address, or -1. */
int cfg_addr_owner(const struct sl_config *cfg, unsigned n_ports, const struct sl_addr *a);

/* sl_config_flow.c */
void cfg_flow_defaults(struct sl_config_flow *f);
int cfg_parse_flow(struct pctx *c, const json_t *v);
json_t *cfg_flow_json(const struct sl_config_flow *f);

/* sl_config_nat.c */
int cfg_parse_nat(struct pctx *c, const json_t *v);
json_t *cfg_nat_json(const struct sl_config *cfg);

/* sl_config_service.c */
int cfg_parse_services(struct pctx *c, const json_t *v);
/* With TCP health checks, no source NAT range may hold their source ports. */
int cfg_check_probe_ports(struct pctx *c);

/* sl_config_set.c */
int cfg_parse_sets(struct pctx *c, const json_t *v);
json_t *cfg_sets_json(const struct sl_config *cfg);
/* A set's name into its index in "sets" (parsed first of all). */
int cfg_get_set_ref(struct pctx *c, const char *path, const json_t *v, int8_t *out);

/* sl_config_acl.c */
int cfg_parse_acl(struct pctx *c, const json_t *v);
/* The match keys of an ACL rule (no name, action or level) into @p r. */
int cfg_parse_match(struct pctx *c, const char *path, const json_t *j, struct sl_config_acl_rule *r);
/* A rule's match keys into @p o (as cfg_parse_match reads them); *rc -1 on failure. */
void cfg_match_json(json_t *o, const struct sl_config *cfg, const struct sl_config_acl_rule *r,
		    int *rc);

/* sl_config_qos.c */
int cfg_parse_qos(struct pctx *c, const json_t *v);
json_t *cfg_qos_json(const struct sl_config *cfg);

/* wireguard.c */
void cfg_wireguard_defaults(struct sl_config_wireguard *w);
int cfg_parse_wireguard(struct pctx *c, const json_t *v);
json_t *cfg_wireguard_json(const struct sl_config *cfg);
json_t *cfg_wg_if_json(const struct sl_config_port *p);
json_t *cfg_acl_json(const struct sl_config *cfg);

/* sl_config_ratelimit.c */
void cfg_ratelimit_defaults(struct sl_config_ratelimit *rl);
int cfg_parse_ratelimit(struct pctx *c, const json_t *v);
json_t *cfg_ratelimit_json(const struct sl_config *cfg);

/* sl_config_route.c */
int cfg_parse_routes(struct pctx *c, const json_t *v);
/* A total order on prefixes: family, length, then address bytes. */
int cfg_prefix_cmp(const struct sl_prefix *a, const struct sl_prefix *b);

struct route_key {
	struct sl_prefix prefix;
	unsigned idx;
};

/* Routes 0..n-1 sorted by (prefix, index); NULL on allocation failure. */
struct route_key *cfg_route_keys(const struct sl_config_route *routes, unsigned n);

/* sl_config_neighbor.c */
int cfg_parse_neighbors(struct pctx *c, const json_t *v);
/* {"port", "address", "mac"}, the shape parse accepts; NULL on allocation failure. */
json_t *cfg_neighbor_json(const struct sl_config *cfg, const struct sl_config_neighbor *n);
/* The name of @p n's port, "?" if its index is out of range. */
const char *cfg_neighbor_port_name(const struct sl_config *cfg, const struct sl_config_neighbor *n);

/* ------------------------------------------------------ to JSON (json.c) */

/* json_object_set_new that remembers a failure (a NULL value included). */
void cfg_put(json_t *o, const char *key, json_t *v, int *rc);
/* Take @p o if everything was added, else free it. */
json_t *cfg_finish(json_t *o, int rc);
json_t *cfg_addr_json(const struct sl_addr *a);
json_t *cfg_prefix_json(const struct sl_prefix *p);
/* "02:00:00:00:00:01", lower case. */
json_t *cfg_mac_json(const uint8_t mac[6]);

/* One section each, canonical; NULL on allocation failure. */
json_t *cfg_eal_json(const struct sl_config_eal *e);
json_t *cfg_port_json(const struct sl_config_port *p);
json_t *cfg_addrs_json(const struct sl_prefix *list, unsigned n);
json_t *cfg_api_json(const struct sl_config_api *api);
json_t *cfg_log_json(const struct sl_config_log *log);
json_t *cfg_workers_json(const struct sl_config_workers *w);

#endif /* SL_CONFIG_PRIV_H */

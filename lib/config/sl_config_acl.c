/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "acl" section: ordered rules over packets as they arrive.
 *
 *   "acl": {
 *     "default": "allow",
 *     "rules": [
 *       {"name": "ssh-admins", "action": "allow", "zone": "outside",
 *        "src": "192.0.2.0/24", "proto": "tcp", "dport": 22},
 *       {"action": "reject", "in_port": "wan", "proto": "tcp",
 *        "dport": "1-1023", "tcp_flags": "syn/syn,ack"},
 *       {"action": "deny", "dst": "fd00:1::/64", "proto": "udp", "dscp": "ef"},
 *       {"action": "deny", "src_set": "blocklist"}
 *     ]
 *   }
 *
 * Every match key is optional. A rule applies to the families its
 * prefixes (or an ICMP protocol) name, else to both. The first matching
 * rule decides; "default" decides the rest.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

static const char *const action_names[] = {"allow", "deny", "reject", NULL};
static const char *const zone_names[] = {"inside", "outside", NULL};
static const char *const flag_names[] = {"fin", "syn", "rst", "psh", "ack", "urg", "ece",
					 "cwr", NULL};

static int rule_name(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_acl_rule *r = obj;
	return cfg_get_name(c, path, v, r->name, sizeof(r->name));
}

static int rule_action(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return cfg_get_enum(c, path, v, action_names, "allow, deny, reject",
			    &((struct sl_config_acl_rule *)obj)->action);
}

static int rule_in_port(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_acl_rule *r = obj;
	int i;
	if (cfg_get_port_ref(c, path, v, &i) != 0)
		return -EINVAL;
	r->in_port = (int16_t)i;
	return 0;
}

static int rule_zone(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	uint8_t z;
	if (cfg_get_enum(c, path, v, zone_names, "inside, outside", &z) != 0)
		return -EINVAL;
	((struct sl_config_acl_rule *)obj)->zone = (int8_t)z;
	return 0;
}

/* A prefix without host bits ("10.0.0.0/8"); a bare address is a /32 or /128. */
static int get_prefix(struct pctx *c, const char *path, const json_t *v, struct sl_prefix *p)
{
	const char *s;
	if (cfg_get_str(c, path, v, SIZE_MAX, &s) != 0 ||
	    cfg_get_prefix(c, path, s, 0, "prefix", 0, false, p) != 0)
		return -EINVAL;
	struct sl_prefix masked = *p;
	sl_prefix_mask(&masked);
	if (!cfg_addr_eq(&masked.addr, &p->addr))
		return cfg_fail(c, path, "%s has host bits set", Q(s));
	return 0;
}

static int rule_src(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_acl_rule *r = obj;
	r->has_src = true;
	return get_prefix(c, path, v, &r->src);
}

static int rule_dst(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_acl_rule *r = obj;
	r->has_dst = true;
	return get_prefix(c, path, v, &r->dst);
}

static int rule_proto(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	static const char *const names[] = {"tcp", "udp", "icmp", "icmpv6", NULL};
	static const int16_t numbers[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6};
	struct sl_config_acl_rule *r = obj;
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);
		if (n < 0 || n > 255)
			return cfg_fail(c, path, "%lld is out of range 0..255", (long long)n);
		r->proto = (int16_t)n;
		return 0;
	}
	uint8_t i;
	if (cfg_get_enum(c, path, v, names, "tcp, udp, icmp, icmpv6 or a number 0..255", &i) != 0)
		return -EINVAL;
	r->proto = numbers[i];
	return 0;
}

/* 80, "80" or "1024-65535". */
static int get_ports(struct pctx *c, const char *path, const json_t *v, uint16_t *lo,
		     uint16_t *hi)
{
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);
		if (n < 0 || n > 65535)
			return cfg_fail(c, path, "%lld is out of range 0..65535", (long long)n);
		*lo = *hi = (uint16_t)n;
		return 0;
	}
	const char *s;
	char *end;
	if (cfg_get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	unsigned long a = strtoul(s, &end, 10), b = a;
	if (end != s && *end == '-')
		b = strtoul(end + 1, &end, 10);
	if (end == s || *end != '\0' || s[0] == '-' || a > 65535 || b > 65535)
		return cfg_fail(c, path, "%s is not a port or a range like \"1024-65535\"", Q(s));
	if (a > b)
		return cfg_fail(c, path, "%s is written backwards (the first port is above the "
				"last)", Q(s));
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

static int rule_sport(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_acl_rule *r = obj;
	return get_ports(c, path, v, &r->sport_lo, &r->sport_hi);
}

static int rule_dport(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_acl_rule *r = obj;
	return get_ports(c, path, v, &r->dport_lo, &r->dport_hi);
}

/* "syn,ack" into bits; false on an unknown name. */
static bool flag_bits(const char *s, size_t len, uint8_t *out)
{
	*out = 0;
	while (len > 0) {
		const char *comma = memchr(s, ',', len);
		size_t n = comma != NULL ? (size_t)(comma - s) : len;
		unsigned i;
		for (i = 0; flag_names[i] != NULL; i++)
			if (strlen(flag_names[i]) == n && strncmp(s, flag_names[i], n) == 0)
				break;
		if (flag_names[i] == NULL)
			return false;
		*out |= (uint8_t)(1u << i);
		s += n + (comma != NULL);
		len -= n + (comma != NULL);
		if (comma != NULL && len == 0)
			return false;
	}
	return true;
}

/* "syn" (set), or "syn/syn,ack" (of syn and ack, only syn set). */
static int rule_tcp_flags(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_acl_rule *r = obj;
	const char *s;
	if (cfg_get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	const char *slash = strchr(s, '/');
	size_t vlen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	uint8_t value, mask;
	bool ok = flag_bits(s, vlen, &value) &&
		  (slash == NULL ? (mask = value, true) : flag_bits(slash + 1, strlen(slash + 1), &mask));
	if (!ok || mask == 0)
		return cfg_fail(c, path, "%s is not flags like \"syn\" or \"syn/syn,ack\" (of fin, "
				"syn, rst, psh, ack, urg, ece, cwr)", Q(s));
	if ((value & ~mask) != 0)
		return cfg_fail(c, path, "%s: the flags before \"/\" must be among those after it",
				Q(s));
	r->flags_value = value;
	r->flags_mask = mask;
	return 0;
}

/* 0..63 or a class name: "ef", "cs0".."cs7", "af11".."af43". */
static int rule_dscp(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_acl_rule *r = obj;
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);
		if (n < 0 || n > 63)
			return cfg_fail(c, path, "%lld is out of range 0..63", (long long)n);
		r->dscp = (int8_t)n;
		return 0;
	}
	const char *s;
	if (cfg_get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	if (strcmp(s, "ef") == 0) {
		r->dscp = 46;
		return 0;
	}
	if (strlen(s) == 3 && strncmp(s, "cs", 2) == 0 && s[2] >= '0' && s[2] <= '7') {
		r->dscp = (int8_t)((s[2] - '0') << 3);
		return 0;
	}
	if (strlen(s) == 4 && strncmp(s, "af", 2) == 0 && s[2] >= '1' && s[2] <= '4' &&
	    s[3] >= '1' && s[3] <= '3') {
		r->dscp = (int8_t)(((s[2] - '0') << 3) | ((s[3] - '0') << 1));
		return 0;
	}
	return cfg_fail(c, path, "%s is not a DSCP (0..63, ef, cs0..cs7, af11..af43)", Q(s));
}

/* A level of the "ratelimit" section (parsed before this one). */
static int rule_level(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_acl_rule *r = obj;
	const char *s;
	if (cfg_get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	int i = sl_config_level_find(c->cfg, s);
	if (i < 0 || !c->cfg->ratelimit.enabled)
		return cfg_fail(c, path, "%s is no level of ratelimit.levels", Q(s));
	r->level = (int8_t)i;
	return 0;
}

static int rule_src_set(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return cfg_get_set_ref(c, path, v, &((struct sl_config_acl_rule *)obj)->src_set);
}

static int rule_dst_set(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return cfg_get_set_ref(c, path, v, &((struct sl_config_acl_rule *)obj)->dst_set);
}

/* What a packet is matched on: a rule's keys but its name, action and level. */
#define MATCH_FIELDS \
	F_FN("in_port", rule_in_port), \
	F_FN("zone", rule_zone), \
	F_FN("src", rule_src), \
	F_FN("dst", rule_dst), \
	F_FN("src_set", rule_src_set), \
	F_FN("dst_set", rule_dst_set), \
	F_FN("proto", rule_proto), \
	F_FN("sport", rule_sport), \
	F_FN("dport", rule_dport), \
	F_FN("tcp_flags", rule_tcp_flags), \
	F_FN("dscp", rule_dscp)

static const struct field rule_fields[] = {
	F_FN("name", rule_name),
	F_FN("action", rule_action),
	MATCH_FIELDS,
	F_FN("level", rule_level),
};

static const struct field match_fields[] = {MATCH_FIELDS};

static void rule_defaults(struct sl_config_acl_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->in_port = -1;
	r->zone = -1;
	r->dscp = -1;
	r->proto = -1;
	r->sport_hi = r->dport_hi = 65535;
	r->level = -1;
	r->src_set = r->dst_set = -1;
}

/* Checks across the match keys: the family they name, what needs which protocol. */
static int match_finish(struct pctx *c, const char *path, const json_t *j,
			struct sl_config_acl_rule *r)
{
	char sub[PATH_LEN];
	if (r->has_src)
		r->af = r->src.addr.af;
	if (r->has_dst && r->af != 0 && r->dst.addr.af != r->af) {
		cfg_join(sub, path, "dst");
		return cfg_fail(c, sub, "is %s, src is %s (a rule matches one family, or both "
				"when it names no prefix)", cfg_af_name(r->dst.addr.af),
				cfg_af_name(r->af));
	}
	if (r->has_dst)
		r->af = r->dst.addr.af;
	uint8_t icmp_af = r->proto == IPPROTO_ICMP ? SL_AF_INET :
			  r->proto == IPPROTO_ICMPV6 ? SL_AF_INET6 : 0;
	if (icmp_af != 0 && r->af != 0 && r->af != icmp_af) {
		cfg_join(sub, path, "proto");
		return cfg_fail(c, sub, "%s does not go with %s prefixes",
				r->proto == IPPROTO_ICMP ? "icmp" : "icmpv6", cfg_af_name(r->af));
	}
	if (icmp_af != 0)
		r->af = icmp_af;
	bool ports = r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP;
	static const char *const port_keys[] = {"sport", "dport"};
	for (unsigned k = 0; k < 2; k++) {
		if (json_object_get(j, port_keys[k]) == NULL || ports)
			continue;
		cfg_join(sub, path, port_keys[k]);
		return cfg_fail(c, sub, "needs \"proto\": \"tcp\" or \"udp\"");
	}
	if (json_object_get(j, "tcp_flags") != NULL && r->proto != IPPROTO_TCP) {
		cfg_join(sub, path, "tcp_flags");
		return cfg_fail(c, sub, "needs \"proto\": \"tcp\"");
	}
	return 0;
}

int cfg_parse_match(struct pctx *c, const char *path, const json_t *j, struct sl_config_acl_rule *r)
{
	rule_defaults(r);
	r->action = SL_ACL_ALLOW;
	if (cfg_walk(c, path, j, match_fields, ARRAY_LEN(match_fields), r) != 0)
		return -EINVAL;
	return match_finish(c, path, j, r);
}

/* A rule: its match, then what its action allows. */
static int rule_finish(struct pctx *c, const char *path, const json_t *j,
		       struct sl_config_acl_rule *r)
{
	char sub[PATH_LEN];
	if (cfg_required(c, path, j, "action") != 0 || match_finish(c, path, j, r) != 0)
		return -EINVAL;
	if (r->level >= 0 && r->action != SL_ACL_ALLOW) {
		cfg_join(sub, path, "level");
		return cfg_fail(c, sub, "needs \"action\": \"allow\" (a level sets the limits of "
				"what a rule lets through)");
	}
	return 0;
}

static int acl_default(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	static const char *const names[] = {"allow", "deny", NULL};
	return cfg_get_enum(c, path, v, names, "allow, deny",
			    &((struct sl_config_acl *)obj)->default_action);
}

static int acl_rules(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_acl *acl = obj;
	char sub[PATH_LEN];
	json_t *e;
	size_t i;
	if (cfg_check_array(c, path, v, SL_CONFIG_MAX_ACL_RULES, "rules") != 0)
		return -EINVAL;
	free(acl->rules);
	acl->n_rules = 0;
	acl->rules = calloc(json_array_size(v) + 1, sizeof(*acl->rules));
	if (acl->rules == NULL)
		return cfg_fail(c, path, "out of memory");
	json_array_foreach(v, i, e) {
		struct sl_config_acl_rule *r = &acl->rules[i];
		cfg_join_index(sub, path, i);
		rule_defaults(r);
		if (cfg_walk(c, sub, e, rule_fields, ARRAY_LEN(rule_fields), r) != 0 ||
		    rule_finish(c, sub, e, r) != 0)
			return -EINVAL;
		acl->n_rules++;
	}
	return 0;
}

static const struct field acl_fields[] = {
	F_FN("default", acl_default),
	F_FN("rules", acl_rules),
};

struct named {
	const char *name;
	unsigned idx;
};

static int cmp_named(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c != 0 ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* Names are unique: metrics and counters follow a rule by its name. */
static int unique_names(struct pctx *c, const struct sl_config_acl *acl)
{
	char path[PATH_LEN];
	struct named *v = malloc(sizeof(*v) * (acl->n_rules + 1));
	if (v == NULL)
		return cfg_fail(c, "acl.rules", "out of memory");
	unsigned n = 0;
	for (unsigned i = 0; i < acl->n_rules; i++)
		if (acl->rules[i].name[0] != '\0')
			v[n++] = (struct named){acl->rules[i].name, i};
	qsort(v, n, sizeof(*v), cmp_named);
	int rc = 0;
	for (unsigned i = 1; rc == 0 && i < n; i++) {
		if (strcmp(v[i - 1].name, v[i].name) != 0)
			continue;
		snprintf(path, sizeof(path), "acl.rules[%u].name", v[i].idx);
		rc = cfg_fail(c, path, "%s is already the name of acl.rules[%u]", Q(v[i].name),
			      v[i - 1].idx);
	}
	free(v);
	return rc;
}

int cfg_parse_acl(struct pctx *c, const json_t *v)
{
	struct sl_config_acl *acl = &c->cfg->acl;
	acl->enabled = true;
	acl->default_action = SL_ACL_ALLOW;
	if (cfg_walk(c, "acl", v, acl_fields, ARRAY_LEN(acl_fields), acl) != 0)
		return -EINVAL;
	return unique_names(c, acl);
}

static json_t *ports_json(uint16_t lo, uint16_t hi)
{
	char buf[16];
	if (lo == hi)
		return json_integer(lo);
	snprintf(buf, sizeof(buf), "%u-%u", lo, hi);
	return json_string(buf);
}

static json_t *flags_json(uint8_t value, uint8_t mask)
{
	char buf[96];
	size_t n = 0;
	for (unsigned pass = 0; pass < 2; pass++) {
		uint8_t bits = pass == 0 ? value : mask;
		bool first = true;
		if (pass == 1) {
			if (mask == value)
				break;
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "/");
		}
		for (unsigned i = 0; flag_names[i] != NULL; i++) {
			if (!(bits & (1u << i)))
				continue;
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", first ? "" : ",",
					      flag_names[i]);
			first = false;
		}
	}
	return json_string(buf);
}

void cfg_match_json(json_t *o, const struct sl_config *cfg, const struct sl_config_acl_rule *r,
		    int *rc_out)
{
	static const char *const protos[256] = {[IPPROTO_TCP] = "tcp", [IPPROTO_UDP] = "udp",
						[IPPROTO_ICMP] = "icmp", [IPPROTO_ICMPV6] = "icmpv6"};
	int rc = *rc_out;
	if (r->in_port >= 0 && (unsigned)r->in_port < cfg->n_ports)
		cfg_put(o, "in_port", json_string(cfg->ports[r->in_port].name), &rc);
	if (r->zone >= 0)
		cfg_put(o, "zone", json_string(zone_names[r->zone]), &rc);
	if (r->has_src)
		cfg_put(o, "src", cfg_prefix_json(&r->src), &rc);
	if (r->has_dst)
		cfg_put(o, "dst", cfg_prefix_json(&r->dst), &rc);
	if (r->src_set >= 0 && (unsigned)r->src_set < cfg->n_sets)
		cfg_put(o, "src_set", json_string(cfg->sets[r->src_set].name), &rc);
	if (r->dst_set >= 0 && (unsigned)r->dst_set < cfg->n_sets)
		cfg_put(o, "dst_set", json_string(cfg->sets[r->dst_set].name), &rc);
	if (r->proto >= 0)
		cfg_put(o, "proto", protos[r->proto] != NULL ? json_string(protos[r->proto]) :
			json_integer(r->proto), &rc);
	if (r->sport_lo != 0 || r->sport_hi != 65535)
		cfg_put(o, "sport", ports_json(r->sport_lo, r->sport_hi), &rc);
	if (r->dport_lo != 0 || r->dport_hi != 65535)
		cfg_put(o, "dport", ports_json(r->dport_lo, r->dport_hi), &rc);
	if (r->flags_mask != 0)
		cfg_put(o, "tcp_flags", flags_json(r->flags_value, r->flags_mask), &rc);
	if (r->dscp >= 0)
		cfg_put(o, "dscp", json_integer(r->dscp), &rc);
	*rc_out = rc;
}

json_t *sl_config_acl_rule_json(const struct sl_config *cfg, const struct sl_config_acl_rule *r)
{
	json_t *o = json_object();
	int rc = o != NULL ? 0 : -1;
	if (o == NULL)
		return NULL;
	if (r->name[0] != '\0')
		cfg_put(o, "name", json_string(r->name), &rc);
	cfg_put(o, "action", json_string(action_names[r->action]), &rc);
	cfg_match_json(o, cfg, r, &rc);
	if (r->level >= 0 && (unsigned)r->level < cfg->ratelimit.n_levels)
		cfg_put(o, "level", json_string(cfg->ratelimit.levels[r->level].name), &rc);
	return cfg_finish(o, rc);
}

json_t *cfg_acl_json(const struct sl_config *cfg)
{
	const struct sl_config_acl *acl = &cfg->acl;
	json_t *o = json_object(), *a = json_array();
	int rc = o != NULL && a != NULL ? 0 : -1;
	if (rc != 0) {
		json_decref(o);
		json_decref(a);
		return NULL;
	}
	cfg_put(o, "default", json_string(action_names[acl->default_action]), &rc);
	for (unsigned i = 0; rc == 0 && i < acl->n_rules; i++)
		if (json_array_append_new(a, sl_config_acl_rule_json(cfg, &acl->rules[i])) != 0)
			rc = -1;
	cfg_put(o, "rules", a, &rc);
	return cfg_finish(o, rc);
}

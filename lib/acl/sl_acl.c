/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rules into rte_acl tries, and the stage that classifies with them.
 *
 * Each packet is summarised into a key laid out the way rte_acl reads its
 * input: a one-byte first field, then 4-byte groups, multi-byte values in
 * network order. The rules give values in host order; rte_acl matches the
 * two (the unit tests hold it to the linear matcher on random rules).
 *
 *   IPv4 key (28 bytes)         IPv6 key (52 bytes)
 *   0  proto                    0  proto
 *   4  source                   4  source, four 4-byte groups
 *   8  destination              20 destination, four groups
 *   12 sport, dport             36 sport, dport
 *   16 in_port, zone bit,       40 in_port, zone bit, dscp, tcp flags
 *      dscp, tcp flags
 *   20 source's sets            44 source's sets
 *   24 destination's sets       48 destination's sets
 *
 * A set is one bit (its index in "sets"): the stage looks the addresses up
 * in the sets the rules name (LPM, a burst at a time) and the rule matches
 * the bit. The two set fields are left out of a trie whose rules name no
 * set, so rules without sets pay nothing for them.
 *
 * A rule is added with priority n - i, so the first that matches wins, and
 * with userdata i + 1 (0 means no rule matched: the default).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <rte_acl.h>
#include <rte_cycles.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_tcp.h>

#include "sl_acl.h"
#include "sl_log.h"
#include "sl_pkt.h"

struct key4 {
	uint8_t proto, pad[3];
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t port, zone, dscp, flags;
	uint32_t src_sets, dst_sets;
};

struct key6 {
	uint8_t proto, pad[3];
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint8_t port, zone, dscp, flags;
	uint32_t src_sets, dst_sets;
};

enum { F4_PROTO, F4_SRC, F4_DST, F4_SPORT, F4_DPORT, F4_PORT, F4_ZONE, F4_DSCP, F4_FLAGS,
       F4_SRC_SETS, F4_DST_SETS, F4_N };
enum { F6_PROTO, F6_SRC0, F6_DST0 = F6_SRC0 + 4, F6_SPORT = F6_DST0 + 4, F6_DPORT, F6_PORT,
       F6_ZONE, F6_DSCP, F6_FLAGS, F6_SRC_SETS, F6_DST_SETS, F6_N };

RTE_ACL_RULE_DEF(rule4, F4_N);
RTE_ACL_RULE_DEF(rule6, F6_N);

#define DEF(t, sz, f, in, off) {.type = RTE_ACL_FIELD_TYPE_##t, .size = sz, .field_index = f, \
				.input_index = in, .offset = off}

static const struct rte_acl_field_def defs4[F4_N] = {
	DEF(BITMASK, 1, F4_PROTO, 0, offsetof(struct key4, proto)),
	DEF(MASK, 4, F4_SRC, 1, offsetof(struct key4, src)),
	DEF(MASK, 4, F4_DST, 2, offsetof(struct key4, dst)),
	DEF(RANGE, 2, F4_SPORT, 3, offsetof(struct key4, sport)),
	DEF(RANGE, 2, F4_DPORT, 3, offsetof(struct key4, dport)),
	DEF(BITMASK, 1, F4_PORT, 4, offsetof(struct key4, port)),
	DEF(BITMASK, 1, F4_ZONE, 4, offsetof(struct key4, zone)),
	DEF(BITMASK, 1, F4_DSCP, 4, offsetof(struct key4, dscp)),
	DEF(BITMASK, 1, F4_FLAGS, 4, offsetof(struct key4, flags)),
	DEF(BITMASK, 4, F4_SRC_SETS, 5, offsetof(struct key4, src_sets)),
	DEF(BITMASK, 4, F4_DST_SETS, 6, offsetof(struct key4, dst_sets)),
};

static const struct rte_acl_field_def defs6[F6_N] = {
	DEF(BITMASK, 1, F6_PROTO, 0, offsetof(struct key6, proto)),
	DEF(MASK, 4, F6_SRC0 + 0, 1, offsetof(struct key6, src) + 0),
	DEF(MASK, 4, F6_SRC0 + 1, 2, offsetof(struct key6, src) + 4),
	DEF(MASK, 4, F6_SRC0 + 2, 3, offsetof(struct key6, src) + 8),
	DEF(MASK, 4, F6_SRC0 + 3, 4, offsetof(struct key6, src) + 12),
	DEF(MASK, 4, F6_DST0 + 0, 5, offsetof(struct key6, dst) + 0),
	DEF(MASK, 4, F6_DST0 + 1, 6, offsetof(struct key6, dst) + 4),
	DEF(MASK, 4, F6_DST0 + 2, 7, offsetof(struct key6, dst) + 8),
	DEF(MASK, 4, F6_DST0 + 3, 8, offsetof(struct key6, dst) + 12),
	DEF(RANGE, 2, F6_SPORT, 9, offsetof(struct key6, sport)),
	DEF(RANGE, 2, F6_DPORT, 9, offsetof(struct key6, dport)),
	DEF(BITMASK, 1, F6_PORT, 10, offsetof(struct key6, port)),
	DEF(BITMASK, 1, F6_ZONE, 10, offsetof(struct key6, zone)),
	DEF(BITMASK, 1, F6_DSCP, 10, offsetof(struct key6, dscp)),
	DEF(BITMASK, 1, F6_FLAGS, 10, offsetof(struct key6, flags)),
	DEF(BITMASK, 4, F6_SRC_SETS, 11, offsetof(struct key6, src_sets)),
	DEF(BITMASK, 4, F6_DST_SETS, 12, offsetof(struct key6, dst_sets)),
};

/* ---------------------------------------------------------------- keys */

/* What both keys hold besides the addresses; network order. */
struct facts {
	uint8_t proto, port, zone, dscp, flags;
	uint16_t sport, dport;
};

static inline __attribute__((always_inline)) void
packet_facts(const struct sl_acl *acl, struct rte_mbuf *m, struct facts *f)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l2_len);
	bool ports = (meta->l4_proto == IPPROTO_TCP || meta->l4_proto == IPPROTO_UDP) &&
		     (meta->flags & SL_PKT_F_FIRST_FRAG);
	f->proto = meta->l4_proto;
	f->port = (uint8_t)meta->in_port;
	f->zone = meta->in_port < SL_MAX_PORTS && acl != NULL ? acl->zone_bit[meta->in_port] : 0;
	f->dscp = meta->l3_type == SL_L3_IPV4 ? ip[1] >> 2 :
		  (uint8_t)(((ip[0] & 0x0f) << 4 | ip[1] >> 4) >> 2);
	/* Selects rather than branches: protocols mix at random in a burst.
	 * The flags byte is read whatever the protocol (it is inside the
	 * mbuf's buffer) and kept for TCP only. */
	uint16_t keep = (uint16_t)-(uint16_t)ports;
	f->sport = rte_cpu_to_be_16(meta->src_port) & keep;
	f->dport = rte_cpu_to_be_16(meta->dst_port) & keep;
	uint8_t flags = ((const struct rte_tcp_hdr *)(ip + meta->l3_len))->tcp_flags;
	f->flags = ports && meta->l4_proto == IPPROTO_TCP ? flags : 0;
}

static inline void key4_of(const struct sl_acl *acl, struct rte_mbuf *m, struct key4 *k)
{
	struct facts f;
	const struct rte_ipv4_hdr *ip = sl_pkt_ipv4(m);
	packet_facts(acl, m, &f);
	*k = (struct key4){.proto = f.proto, .src = ip->src_addr, .dst = ip->dst_addr,
			   .sport = f.sport, .dport = f.dport, .port = f.port, .zone = f.zone,
			   .dscp = f.dscp, .flags = f.flags};
}

static inline void key6_of(const struct sl_acl *acl, struct rte_mbuf *m, struct key6 *k)
{
	struct facts f;
	const struct rte_ipv6_hdr *ip = sl_pkt_ipv6(m);
	packet_facts(acl, m, &f);
	*k = (struct key6){.proto = f.proto, .sport = f.sport, .dport = f.dport, .port = f.port,
			   .zone = f.zone, .dscp = f.dscp, .flags = f.flags};
	memcpy(k->src, ip->src_addr, 16);
	memcpy(k->dst, ip->dst_addr, 16);
}

/* --------------------------------------------------------------- rules */

static void bitmask(struct rte_acl_field *f, int value, uint8_t mask)
{
	f->value.u8 = value >= 0 ? (uint8_t)value : 0;
	f->mask_range.u8 = value >= 0 ? mask : 0;
}

static void set_bit(struct rte_acl_field *f, int set)
{
	f->value.u32 = set >= 0 ? 1u << set : 0;
	f->mask_range.u32 = f->value.u32;
}

/* The fields both families share, given where they are in the rule
 * (@p tail: port, zone, dscp, flags, then the two sets). */
static void common_fields(const struct sl_config_acl_rule *r, struct rte_acl_field *proto,
			  struct rte_acl_field *sport, struct rte_acl_field *dport,
			  struct rte_acl_field *tail)
{
	bitmask(proto, r->proto, 0xff);
	sport->value.u16 = r->sport_lo;
	sport->mask_range.u16 = r->sport_hi;
	dport->value.u16 = r->dport_lo;
	dport->mask_range.u16 = r->dport_hi;
	bitmask(&tail[0], r->in_port, 0xff);
	bitmask(&tail[1], r->zone >= 0 ? 1 << r->zone : -1, r->zone >= 0 ? (uint8_t)(1u << r->zone) : 0);
	bitmask(&tail[2], r->dscp, 0x3f);
	tail[3].value.u8 = r->flags_value;
	tail[3].mask_range.u8 = r->flags_mask;
	set_bit(&tail[4], r->src_set);
	set_bit(&tail[5], r->dst_set);
}

static void rule4_of(const struct sl_config_acl_rule *r, uint32_t i, uint32_t n,
		     struct rule4 *out)
{
	memset(out, 0, sizeof(*out));
	out->data.category_mask = 1;
	out->data.priority = (int32_t)(n - i);
	out->data.userdata = i + 1;
	if (r->has_src) {
		out->field[F4_SRC].value.u32 = rte_be_to_cpu_32(r->src.addr.v4);
		out->field[F4_SRC].mask_range.u32 = r->src.len;
	}
	if (r->has_dst) {
		out->field[F4_DST].value.u32 = rte_be_to_cpu_32(r->dst.addr.v4);
		out->field[F4_DST].mask_range.u32 = r->dst.len;
	}
	common_fields(r, &out->field[F4_PROTO], &out->field[F4_SPORT], &out->field[F4_DPORT],
		      &out->field[F4_PORT]);
}

static void v6_words(struct rte_acl_field *f, const struct sl_prefix *p)
{
	for (unsigned w = 0; w < 4; w++) {
		uint32_t v;
		memcpy(&v, p->addr.v6 + 4 * w, 4);
		int bits = (int)p->len - 32 * (int)w;
		f[w].value.u32 = rte_be_to_cpu_32(v);
		f[w].mask_range.u32 = bits <= 0 ? 0 : bits >= 32 ? 32 : (uint32_t)bits;
	}
}

static void rule6_of(const struct sl_config_acl_rule *r, uint32_t i, uint32_t n,
		     struct rule6 *out)
{
	memset(out, 0, sizeof(*out));
	out->data.category_mask = 1;
	out->data.priority = (int32_t)(n - i);
	out->data.userdata = i + 1;
	if (r->has_src)
		v6_words(&out->field[F6_SRC0], &r->src);
	if (r->has_dst)
		v6_words(&out->field[F6_DST0], &r->dst);
	common_fields(r, &out->field[F6_PROTO], &out->field[F6_SPORT], &out->field[F6_DPORT],
		      &out->field[F6_PORT]);
}

/* One trie: @p n_fields fields, rules of family @p af. NULL with @p err on failure. */
static struct rte_acl_ctx *build_trie(const struct sl_config_acl *cfg, uint8_t af, int socket,
				      char *err, size_t err_len)
{
	static unsigned serial;   /* context names are global to the process */
	bool v4 = af == SL_AF_INET;
	uint32_t count = 0;
	bool sets = false;
	for (uint32_t i = 0; i < cfg->n_rules; i++) {
		const struct sl_config_acl_rule *r = &cfg->rules[i];
		bool mine = r->af == 0 || r->af == af;
		count += mine;
		sets |= mine && (r->src_set >= 0 || r->dst_set >= 0);
	}
	if (count == 0)
		return NULL;
	/* The set fields come last: a trie without them reads a prefix of
	 * each rule and of each key. */
	unsigned n_fields = v4 ? (sets ? F4_N : F4_SRC_SETS) : (sets ? F6_N : F6_SRC_SETS);
	char name[RTE_ACL_NAMESIZE];
	snprintf(name, sizeof(name), "sl_acl%c_%u", v4 ? '4' : '6', serial++);
	struct rte_acl_param param = {
		.name = name, .socket_id = socket,
		.rule_size = RTE_ACL_RULE_SZ(n_fields),
		.max_rule_num = count,
	};
	struct rte_acl_ctx *ctx = rte_acl_create(&param);
	if (ctx == NULL) {
		snprintf(err, err_len, "acl: cannot create a rule context: %s", rte_strerror(rte_errno));
		return NULL;
	}
	int rc = 0;
	for (uint32_t i = 0; rc == 0 && i < cfg->n_rules; i++) {
		const struct sl_config_acl_rule *r = &cfg->rules[i];
		if (r->af != 0 && r->af != af)
			continue;
		if (v4) {
			struct rule4 x;
			rule4_of(r, i, cfg->n_rules, &x);
			rc = rte_acl_add_rules(ctx, (const struct rte_acl_rule *)&x, 1);
		} else {
			struct rule6 x;
			rule6_of(r, i, cfg->n_rules, &x);
			rc = rte_acl_add_rules(ctx, (const struct rte_acl_rule *)&x, 1);
		}
	}
	struct rte_acl_config bc = {.num_categories = 1, .num_fields = n_fields};
	memcpy(bc.defs, v4 ? defs4 : defs6, n_fields * sizeof(defs4[0]));
	if (rc == 0)
		rc = rte_acl_build(ctx, &bc);
	if (rc != 0) {
		snprintf(err, err_len, "acl.rules: cannot compile the %s rules: %s",
			 v4 ? "IPv4" : "IPv6", strerror(-rc));
		rte_acl_free(ctx);
		return NULL;
	}
	return ctx;
}

/* The tries, actions and (for @p n_workers > 0) counters of @p c's rules. */
static struct sl_acl *acl_new(const struct sl_config_acl *c, const struct sl_config *cfg,
			      struct sl_pset *const *sets, unsigned n_workers, int socket,
			      char *err, size_t err_len)
{
	uint64_t t0 = rte_get_tsc_cycles();
	struct sl_acl *acl = rte_zmalloc_socket("sl_acl", sizeof(*acl), 0, socket);
	if (acl == NULL)
		goto nomem;
	acl->n_rules = c->n_rules;
	acl->rules = c->rules;
	acl->n_workers = n_workers;
	for (unsigned p = 0; p < cfg->n_ports && p < SL_MAX_PORTS; p++)
		acl->zone_bit[p] = (uint8_t)(1u << cfg->ports[p].zone);
	size_t lines = (size_t)c->n_rules + 1;
	acl->actions = rte_zmalloc_socket("sl_acl", lines, 0, socket);
	acl->levels = rte_zmalloc_socket("sl_acl", lines, 0, socket);
	acl->base = rte_zmalloc_socket("sl_acl", lines * sizeof(*acl->base), 0, socket);
	acl->count = rte_zmalloc_socket("sl_acl", (n_workers + 1) * sizeof(*acl->count), 0, socket);
	if (acl->actions == NULL || acl->levels == NULL || acl->base == NULL || acl->count == NULL)
		goto nomem;
	for (unsigned w = 0; w < n_workers; w++) {
		/* Each worker's counters on lines of their own. */
		acl->count[w] = rte_zmalloc_socket("sl_acl", lines * sizeof(**acl->count),
						   RTE_CACHE_LINE_SIZE, socket);
		if (acl->count[w] == NULL)
			goto nomem;
	}
	acl->actions[0] = c->default_action;
	for (uint32_t i = 0; i < c->n_rules; i++) {
		const struct sl_config_acl_rule *r = &c->rules[i];
		acl->actions[i + 1] = r->action;
		acl->levels[i + 1] = r->level > 0 ? (uint8_t)r->level : 0;
		if (r->src_set >= 0)
			acl->src_sets |= 1u << r->src_set;
		if (r->dst_set >= 0)
			acl->dst_sets |= 1u << r->dst_set;
	}
	for (unsigned i = 0; i < cfg->n_sets && sets != NULL; i++)
		acl->sets[i] = sets[i];
	err[0] = '\0';
	acl->ctx4 = build_trie(c, SL_AF_INET, socket, err, err_len);
	if (err[0] == '\0')
		acl->ctx6 = build_trie(c, SL_AF_INET6, socket, err, err_len);
	if (err[0] != '\0') {
		sl_acl_free(acl);
		return NULL;
	}
	acl->compile_us = (rte_get_tsc_cycles() - t0) * 1000000 / rte_get_tsc_hz();
	return acl;
nomem:
	snprintf(err, err_len, "acl: out of memory for %u rules", c->n_rules);
	sl_acl_free(acl);
	return NULL;
}

struct sl_acl *sl_acl_build(const struct sl_config *cfg, struct sl_pset *const *sets,
			    unsigned n_workers, int socket, bool *failed, char *err, size_t err_len)
{
	const struct sl_config_acl *c = &cfg->acl;
	*failed = false;
	if (!c->enabled || (c->n_rules == 0 && c->default_action == SL_ACL_ALLOW))
		return NULL;
	struct sl_acl *acl = acl_new(c, cfg, sets, n_workers, socket, err, err_len);
	*failed = acl == NULL;
	return acl;
}

struct sl_acl *sl_acl_matcher_build(const struct sl_config_acl_rule *rules, unsigned n_rules,
				    const struct sl_config *cfg, struct sl_pset *const *sets,
				    int socket, char *err, size_t err_len)
{
	const struct sl_config_acl c = {.enabled = true, .default_action = SL_ACL_ALLOW,
					.n_rules = n_rules,
					.rules = (struct sl_config_acl_rule *)(uintptr_t)rules};
	struct sl_acl *acl = acl_new(&c, cfg, sets, 0, socket, err, err_len);
	if (acl != NULL)
		acl->rules = NULL;   /* the caller's rules need not outlive the build */
	return acl;
}

void sl_acl_free(struct sl_acl *acl)
{
	if (acl == NULL)
		return;
	rte_acl_free(acl->ctx4);
	rte_acl_free(acl->ctx6);
	for (unsigned w = 0; acl->count != NULL && w < acl->n_workers; w++)
		rte_free(acl->count[w]);
	rte_free(acl->count);
	rte_free(acl->base);
	rte_free(acl->actions);
	rte_free(acl->levels);
	rte_free(acl);
}

struct sl_acl_counter sl_acl_rule_total(const struct sl_acl *acl, uint32_t i)
{
	struct sl_acl_counter t = acl->base[i];
	for (unsigned w = 0; w < acl->n_workers; w++) {
		t.packets += __atomic_load_n(&acl->count[w][i].packets, __ATOMIC_RELAXED);
		t.bytes += __atomic_load_n(&acl->count[w][i].bytes, __ATOMIC_RELAXED);
	}
	return t;
}

/* A rule's identity across compilations: its name, or its whole content. */
static uint32_t rule_hash(const struct sl_config_acl_rule *r)
{
	return r->name[0] != '\0' ? rte_jhash(r->name, (uint32_t)strlen(r->name), 0) :
				    rte_jhash(r, sizeof(*r), 1);
}

static bool same_rule(const struct sl_config_acl_rule *a, const struct sl_config_acl_rule *b)
{
	if (a->name[0] != '\0' || b->name[0] != '\0')
		return strcmp(a->name, b->name) == 0;
	return memcmp(a, b, sizeof(*a)) == 0;
}

void sl_acl_carry(struct sl_acl *next, const struct sl_acl *old)
{
	if (next == NULL || old == NULL)
		return;
	next->base[0] = sl_acl_rule_total(old, 0);
	/* Old rules by identity in an open-addressed table: O(rules). */
	uint32_t size = 1;
	while (size < 2 * old->n_rules)
		size <<= 1;
	uint32_t *slot = rte_malloc("sl_acl_carry", size * sizeof(*slot), 0);
	if (slot == NULL) {
		SL_LOG(WARN, "acl", "out of memory: rule counters start again from zero");
		return;
	}
	memset(slot, 0xff, size * sizeof(*slot));
	for (uint32_t i = 0; i < old->n_rules; i++) {
		uint32_t h = rule_hash(&old->rules[i]) & (size - 1);
		while (slot[h] != UINT32_MAX)
			h = (h + 1) & (size - 1);
		slot[h] = i;
	}
	for (uint32_t i = 0; i < next->n_rules; i++) {
		const struct sl_config_acl_rule *r = &next->rules[i];
		for (uint32_t h = rule_hash(r) & (size - 1); slot[h] != UINT32_MAX;
		     h = (h + 1) & (size - 1)) {
			uint32_t j = slot[h];
			if (j == UINT32_MAX - 1 || !same_rule(&old->rules[j], r))
				continue;
			next->base[i + 1] = sl_acl_rule_total(old, j + 1);
			slot[h] = UINT32_MAX - 1;   /* taken: an identical twin takes the next */
			break;
		}
	}
	rte_free(slot);
}

/* ---------------------------------------------------------- the stage */

/* The set bits of @p n IPv4 keys: one bulk lookup per set the rules name. */
static void sets4(const struct sl_acl *acl, struct key4 *k, uint16_t n)
{
	if (n == 0)
		return;
	uint32_t ip[n], bits[n];
	for (unsigned side = 0; side < 2 && n > 0; side++) {
		uint32_t named = side == 0 ? acl->src_sets : acl->dst_sets;
		if (named == 0)
			continue;
		for (uint16_t j = 0; j < n; j++) {
			ip[j] = rte_be_to_cpu_32(side == 0 ? k[j].src : k[j].dst);
			bits[j] = 0;
		}
		for (uint32_t m = named; m != 0; m &= m - 1) {
			unsigned s = (unsigned)__builtin_ctz(m);
			sl_pset_lookup4(acl->sets[s], ip, bits, 1u << s, n);
		}
		for (uint16_t j = 0; j < n; j++)
			*(side == 0 ? &k[j].src_sets : &k[j].dst_sets) = rte_cpu_to_be_32(bits[j]);
	}
}

static void sets6(const struct sl_acl *acl, struct key6 *k, uint16_t n)
{
	if (n == 0)
		return;
	uint8_t ip[n][16];
	uint32_t bits[n];
	for (unsigned side = 0; side < 2 && n > 0; side++) {
		uint32_t named = side == 0 ? acl->src_sets : acl->dst_sets;
		if (named == 0)
			continue;
		for (uint16_t j = 0; j < n; j++) {
			memcpy(ip[j], side == 0 ? k[j].src : k[j].dst, 16);
			bits[j] = 0;
		}
		for (uint32_t m = named; m != 0; m &= m - 1) {
			unsigned s = (unsigned)__builtin_ctz(m);
			sl_pset_lookup6(acl->sets[s], ip, bits, 1u << s, n);
		}
		for (uint16_t j = 0; j < n; j++)
			*(side == 0 ? &k[j].src_sets : &k[j].dst_sets) = rte_cpu_to_be_32(bits[j]);
	}
}

/* The same for one packet's addresses, by single lookups. */
static void sets_one(const struct sl_acl *acl, uint8_t af, const uint8_t *src,
		     const uint8_t *dst, uint32_t *src_sets, uint32_t *dst_sets)
{
	uint32_t s = 0, d = 0;
	for (uint32_t m = acl->src_sets; m != 0; m &= m - 1)
		if (sl_pset_contains(acl->sets[__builtin_ctz(m)], af, src))
			s |= 1u << __builtin_ctz(m);
	for (uint32_t m = acl->dst_sets; m != 0; m &= m - 1)
		if (sl_pset_contains(acl->sets[__builtin_ctz(m)], af, dst))
			d |= 1u << __builtin_ctz(m);
	*src_sets = rte_cpu_to_be_32(s);
	*dst_sets = rte_cpu_to_be_32(d);
}

/* A denial counts against the source's reputation. */
static inline void deny_event(struct sl_acl_worker *w, struct rte_mbuf *m, uint64_t now)
{
	if (w->rl == NULL || w->rlp == NULL || !w->rlp->rep.on)
		return;
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	bool v4 = meta->l3_type == SL_L3_IPV4;
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l2_len);
	sl_rl_event(w->rl, w->rlp, v4 ? SL_AF_INET : SL_AF_INET6, v4 ? ip + 12 : ip + 8,
		    SL_REP_ACL_DENY, now);
}

void sl_acl_match_burst(const struct sl_acl *acl, struct rte_mbuf **pkts, uint16_t n,
			uint32_t *rule)
{
	if (n == 0)
		return;
	struct key4 k4[n];
	struct key6 k6[n];
	const uint8_t *data[n];
	uint32_t res[n];
	uint16_t at4[n], at6[n], n4 = 0, n6 = 0;
	/* Each family's packets, in order, without a branch on the family:
	 * mixed bursts would mispredict it every other packet. */
	for (uint16_t i = 0; i < n; i++) {
		bool v4 = sl_pkt_meta(pkts[i])->l3_type == SL_L3_IPV4;
		at4[n4] = at6[n6] = i;
		n4 += v4;
		n6 += !v4;
	}
	if (acl->ctx4 == NULL)
		n4 = 0;
	if (acl->ctx6 == NULL)
		n6 = 0;
	memset(rule, 0, n * sizeof(*rule));
	for (uint16_t j = 0; j < n4; j++) {
		key4_of(acl, pkts[at4[j]], &k4[j]);
		data[j] = (const uint8_t *)&k4[j];
	}
	if ((acl->src_sets | acl->dst_sets) != 0)
		sets4(acl, k4, n4);
	if (n4 > 0)
		rte_acl_classify(acl->ctx4, data, res, n4, 1);
	for (uint16_t j = 0; j < n4; j++)
		rule[at4[j]] = res[j];
	for (uint16_t j = 0; j < n6; j++) {
		key6_of(acl, pkts[at6[j]], &k6[j]);
		data[j] = (const uint8_t *)&k6[j];
	}
	if ((acl->src_sets | acl->dst_sets) != 0)
		sets6(acl, k6, n6);
	if (n6 > 0)
		rte_acl_classify(acl->ctx6, data, res, n6, 1);
	for (uint16_t j = 0; j < n6; j++)
		rule[at6[j]] = res[j];
}

uint16_t sl_acl_burst(struct sl_acl *acl, struct sl_acl_worker *w, struct rte_mbuf **pkts,
		      uint16_t n, struct rte_mbuf **replies, uint16_t *n_replies, uint64_t now)
{
	*n_replies = 0;
	if (n == 0)
		return 0;
	uint32_t rule[n];
	sl_acl_match_burst(acl, pkts, n, rule);
	struct sl_acl_counter *count = acl->count[w->worker];
	uint16_t keep = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		count[rule[i]].packets++;
		count[rule[i]].bytes += rte_pktmbuf_pkt_len(m);
		switch (acl->actions[rule[i]]) {
		case SL_ACL_ALLOW:
			sl_pkt_meta(m)->level = acl->levels[rule[i]];
			pkts[keep++] = m;
			break;
		case SL_ACL_DENY:
			deny_event(w, m, now);
			sl_stats_drop(w->ip->st, m, SL_DROP_ACL_DENY);
			break;
		default: {
			deny_event(w, m, now);
			struct rte_mbuf *answer = sl_ipstack_refuse(w->ip, m, now, SL_DROP_ACL_REJECT);
			if (answer != NULL)
				replies[(*n_replies)++] = answer;
			break;
		}
		}
	}
	return keep;
}

uint32_t sl_acl_classify_one(const struct sl_acl *acl, struct rte_mbuf *m)
{
	uint32_t r = 0;
	if (sl_pkt_meta(m)->l3_type == SL_L3_IPV4 && acl->ctx4 != NULL) {
		struct key4 k;
		key4_of(acl, m, &k);
		sets_one(acl, SL_AF_INET, (const uint8_t *)&k.src, (const uint8_t *)&k.dst,
			 &k.src_sets, &k.dst_sets);
		const uint8_t *d = (const uint8_t *)&k;
		rte_acl_classify(acl->ctx4, &d, &r, 1, 1);
	} else if (sl_pkt_meta(m)->l3_type == SL_L3_IPV6 && acl->ctx6 != NULL) {
		struct key6 k;
		key6_of(acl, m, &k);
		sets_one(acl, SL_AF_INET6, k.src, k.dst, &k.src_sets, &k.dst_sets);
		const uint8_t *d = (const uint8_t *)&k;
		rte_acl_classify(acl->ctx6, &d, &r, 1, 1);
	}
	return r;
}

/* ------------------------------------------------------ the reference */

static bool prefix_holds(const struct sl_prefix *p, const uint8_t *a)
{
	const uint8_t *b = p->addr.af == SL_AF_INET ? (const uint8_t *)&p->addr.v4 : p->addr.v6;
	unsigned bytes = p->len / 8, bits = p->len % 8;
	if (memcmp(a, b, bytes) != 0)
		return false;
	return bits == 0 || ((a[bytes] ^ b[bytes]) & (0xff << (8 - bits))) == 0;
}

uint32_t sl_acl_match_linear(const struct sl_config *cfg, struct sl_pset *const *sets,
			     struct rte_mbuf *m)
{
	/* Its own reading of the headers, not the stage's: a mistake there
	 * must show as a disagreement. */
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	bool v4 = meta->l3_type == SL_L3_IPV4;
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l2_len);
	const uint8_t *l4 = ip + meta->l3_len;
	const uint8_t *src = v4 ? ip + 12 : ip + 8, *dst = v4 ? ip + 16 : ip + 24;
	unsigned tclass = v4 ? ip[1] : (unsigned)((ip[0] << 4 | ip[1] >> 4) & 0xff);
	int dscp = (int)(tclass / 4);
	bool later = v4 ? (rte_be_to_cpu_16(((const struct rte_ipv4_hdr *)ip)->fragment_offset) &
			   RTE_IPV4_HDR_OFFSET_MASK) != 0 : !(meta->flags & SL_PKT_F_FIRST_FRAG);
	bool tcp = meta->l4_proto == IPPROTO_TCP, udp = meta->l4_proto == IPPROTO_UDP;
	unsigned sport = 0, dport = 0, flags = 0;
	if ((tcp || udp) && !later) {
		sport = (unsigned)l4[0] * 256 + l4[1];
		dport = (unsigned)l4[2] * 256 + l4[3];
		if (tcp)
			flags = l4[13];
	}
	int zone = meta->in_port < cfg->n_ports ? cfg->ports[meta->in_port].zone : -2;
	for (uint32_t i = 0; i < cfg->acl.n_rules; i++) {
		const struct sl_config_acl_rule *r = &cfg->acl.rules[i];
		if ((r->af == SL_AF_INET && !v4) || (r->af == SL_AF_INET6 && v4) ||
		    (r->proto >= 0 && r->proto != meta->l4_proto) ||
		    (r->in_port >= 0 && r->in_port != meta->in_port) ||
		    (r->zone >= 0 && r->zone != zone) || (r->dscp >= 0 && r->dscp != dscp) ||
		    (flags & r->flags_mask) != r->flags_value ||
		    sport < r->sport_lo || sport > r->sport_hi ||
		    dport < r->dport_lo || dport > r->dport_hi ||
		    (r->has_src && !prefix_holds(&r->src, src)) ||
		    (r->has_dst && !prefix_holds(&r->dst, dst)) ||
		    (r->src_set >= 0 && !sl_pset_contains_linear(sets[r->src_set],
								 v4 ? SL_AF_INET : SL_AF_INET6, src)) ||
		    (r->dst_set >= 0 && !sl_pset_contains_linear(sets[r->dst_set],
								 v4 ? SL_AF_INET : SL_AF_INET6, dst)))
			continue;
		return i + 1;
	}
	return 0;
}

/* ---------------------------------------------------------------- JSON */

json_t *sl_acl_json(const struct sl_acl *acl, const struct sl_config *cfg, uint32_t offset,
		    uint32_t limit)
{
	static const char *const defaults[] = {"allow", "deny"};
	const struct sl_config_acl *c = &cfg->acl;
	struct sl_acl_counter d = acl != NULL ? sl_acl_rule_total(acl, 0) : (struct sl_acl_counter){0};
	json_t *rules = json_array();
	json_t *o = json_pack("{s:b, s:s, s:f, s:I, s:I, s:i, s:o}", "enabled", c->enabled,
			      "default", defaults[c->default_action & 1],
			      "compile_ms", acl != NULL ? (double)acl->compile_us / 1000.0 : 0.0,
			      "default_packets", (json_int_t)d.packets, "default_bytes",
			      (json_int_t)d.bytes, "total", (int)c->n_rules, "rules", rules);
	if (o == NULL)
		return NULL;
	for (uint32_t i = offset; i < c->n_rules && i - offset < limit; i++) {
		json_t *r = sl_config_acl_rule_json(cfg, &c->rules[i]);
		struct sl_acl_counter t = acl != NULL ? sl_acl_rule_total(acl, i + 1) :
					  (struct sl_acl_counter){0};
		if (r == NULL || json_object_set_new(r, "index", json_integer(i)) != 0 ||
		    json_object_set_new(r, "packets", json_integer((json_int_t)t.packets)) != 0 ||
		    json_object_set_new(r, "bytes", json_integer((json_int_t)t.bytes)) != 0 ||
		    json_array_append_new(rules, r) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "qos" section: per egress port, a tree of classes with HTB's rate,
 * ceiling and prio, FQ-CoDel in each leaf, and the packets each leaf takes
 * (the ACL's match keys).
 *
 *   "qos": {
 *     "fq_codel": {"flows": 1024, "limit": 10240, "quantum": 300,
 *                  "target": "5ms", "interval": "100ms", "ecn": true},
 *     "ports": [
 *       {"port": "wan", "rate": "100Mbit", "default": "low",
 *        "classes": [
 *          {"name": "high", "rate": "40%", "ceil": "80%", "prio": 0,
 *           "match": [{"proto": "tcp", "dport": 22}, {"dscp": 46}]},
 *          {"name": "low", "rate": "30%", "ceil": "100%", "prio": 2}]}
 *     ]
 *   }
 *
 * Rates are bits per second on the wire ("100Mbit") or a percentage of the
 * port's rate ("40%"); a class's ceiling defaults to its rate. A class with
 * "parent" sits under another; the others under the port's root.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

#define MAX_RATE 400000000000ull

static void fq_defaults(struct sl_config_fq_codel *f)
{
	*f = (struct sl_config_fq_codel){.flows = 1024, .limit = 10240, .memory = 32u << 20,
					 .quantum = 1514, .target_us = 5000, .interval_us = 100000,
					 .ecn = true};
}

static int fq_flows(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_fq_codel *f = obj;
	json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;
	if (n < 16 || n > 65536 || (n & (n - 1)) != 0)
		return cfg_fail(c, path, "a power of two from 16 to 65536");
	f->flows = (uint32_t)n;
	return 0;
}

static int fq_ecn(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return cfg_get_bool(c, path, v, &((struct sl_config_fq_codel *)obj)->ecn);
}

static const struct field fq_fields[] = {
	F_FN("flows", fq_flows),
	F_NUM("limit", K_INT, struct sl_config_fq_codel, limit, 16, 1000000),
	F_NUM("memory", K_SIZE, struct sl_config_fq_codel, memory, 65536, 4ll << 30),
	F_NUM("quantum", K_INT, struct sl_config_fq_codel, quantum, 64, 65536),
	F_NUM("target", K_DURATION, struct sl_config_fq_codel, target_us, 100, 1000000),
	F_NUM("interval", K_DURATION, struct sl_config_fq_codel, interval_us, 1000, 10000000),
	F_FN("ecn", fq_ecn),
};

static int parse_fq(struct pctx *c, const char *path, const json_t *v,
		    struct sl_config_fq_codel *f)
{
	if (cfg_walk(c, path, v, fq_fields, ARRAY_LEN(fq_fields), f) != 0)
		return -EINVAL;
	if (f->target_us >= f->interval_us) {
		char sub[PATH_LEN];
		cfg_join(sub, path, "target");
		return cfg_fail(c, sub, "must be shorter than the interval");
	}
	return 0;
}

/* A rate: bits per second, or a percentage (1..100) of @p of. */
static int get_rate(struct pctx *c, const char *path, const json_t *v, uint64_t of,
		    uint64_t *bps, uint16_t *pct)
{
	const char *s;
	uint32_t p;
	*pct = 0;
	if (json_is_string(v) && (s = json_string_value(v)) != NULL && s[0] != '\0' &&
	    s[strlen(s) - 1] == '%') {
		if (sl_parse_percent(s, &p) != 0 || p == 0 || p > 100)
			return cfg_fail(c, path, "%s is not a percentage from 1%% to 100%%", Q(s));
		*pct = (uint16_t)p;
		*bps = of * p / 100;
		return 0;
	}
	return cfg_get_units(c, path, v, &cfg_bitrate_kind, 8000, MAX_RATE, bps);
}

struct class_ctx {
	struct sl_config_qos_class *cls;
	uint64_t port_rate;
	const json_t *match;       /* its "match", parsed once the classes are known */
	const char *parent;        /* its "parent" name, resolved after */
};

static int cls_name(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct class_ctx *x = obj;
	return cfg_get_name(c, path, v, x->cls->name, sizeof(x->cls->name));
}

static int cls_parent(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct class_ctx *x = obj;
	return cfg_get_str(c, path, v, SIZE_MAX, &x->parent);
}

static int cls_rate(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct class_ctx *x = obj;
	return get_rate(c, path, v, x->port_rate, &x->cls->rate, &x->cls->rate_pct);
}

static int cls_ceil(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct class_ctx *x = obj;
	return get_rate(c, path, v, x->port_rate, &x->cls->ceil, &x->cls->ceil_pct);
}

static int get_burst(struct pctx *c, const char *path, const json_t *v, uint32_t *out)
{
	uint64_t b;
	if (cfg_get_units(c, path, v, &cfg_size_kind, 1600, 64u << 20, &b) != 0)
		return -EINVAL;
	*out = (uint32_t)b;
	return 0;
}

static int cls_burst(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return get_burst(c, path, v, &((struct class_ctx *)obj)->cls->burst);
}

static int cls_cburst(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return get_burst(c, path, v, &((struct class_ctx *)obj)->cls->cburst);
}

static int cls_prio(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	json_int_t p = json_is_integer(v) ? json_integer_value(v) : -1;
	if (p < 0 || p > 7)
		return cfg_fail(c, path, "an integer from 0 (first) to 7");
	((struct class_ctx *)obj)->cls->prio = (uint8_t)p;
	return 0;
}

static int cls_quantum(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	json_int_t q = json_is_integer(v) ? json_integer_value(v) : 0;
	if (q < 64 || q > 1 << 20)
		return cfg_fail(c, path, "bytes from 64 to 1048576");
	((struct class_ctx *)obj)->cls->quantum = (uint32_t)q;
	return 0;
}

static int cls_dscp(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	json_int_t d = json_is_integer(v) ? json_integer_value(v) : -1;
	if (d < 0 || d > 63)
		return cfg_fail(c, path, "an integer from 0 to 63");
	((struct class_ctx *)obj)->cls->dscp = (int8_t)d;
	return 0;
}

static int cls_fq(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct class_ctx *x = obj;
	x->cls->own_fq = true;    /* over the section's, which it starts from */
	return parse_fq(c, path, v, &x->cls->fq);
}

static int cls_match(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	if (!json_is_array(v))
		return cfg_fail(c, path, "expected an array of match rules");
	((struct class_ctx *)obj)->match = v;
	return 0;
}

static const struct field class_fields[] = {
	F_FN("name", cls_name),
	F_FN("parent", cls_parent),
	F_FN("rate", cls_rate),
	F_FN("ceil", cls_ceil),
	F_FN("burst", cls_burst),
	F_FN("cburst", cls_cburst),
	F_FN("prio", cls_prio),
	F_FN("quantum", cls_quantum),
	F_FN("dscp", cls_dscp),
	F_FN("fq_codel", cls_fq),
	F_FN("match", cls_match),
};

static int find_class(const struct sl_config_qos_port *p, const char *name)
{
	for (unsigned i = 0; i < p->n_classes; i++)
		if (strcmp(p->classes[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* The tree's rules, once every class is read. */
static int check_tree(struct pctx *c, const char *path, struct sl_config_qos_port *p,
		      struct class_ctx *x)
{
	char list[PATH_LEN], sub[PATH_LEN], key[PATH_LEN];
	uint64_t children[SL_CONFIG_MAX_QOS_CLASSES] = {0}, under_root = 0;
	cfg_join(list, path, "classes");
	for (unsigned i = 0; i < p->n_classes; i++) {
		struct sl_config_qos_class *k = &p->classes[i];
		cfg_join_index(sub, list, i);
		if (find_class(p, k->name) != (int)i) {
			cfg_join(key, sub, "name");
			return cfg_fail(c, key, "%s is already the name of classes[%d]", Q(k->name),
					find_class(p, k->name));
		}
		k->parent = -1;
		if (x[i].parent != NULL) {
			k->parent = find_class(p, x[i].parent);
			cfg_join(key, sub, "parent");
			if (k->parent < 0)
				return cfg_fail(c, key, "%s is no class of this port", Q(x[i].parent));
			if (k->parent == (int)i)
				return cfg_fail(c, key, "a class cannot be its own parent");
		}
	}
	/* Depth by walking up (a loop shows as a walk longer than the classes). */
	for (unsigned i = 0; i < p->n_classes; i++) {
		unsigned depth = 0;
		for (int q = p->classes[i].parent; q >= 0; q = p->classes[q].parent) {
			if (++depth > SL_CONFIG_MAX_QOS_CLASSES) {
				cfg_join_index(sub, list, i);
				cfg_join(key, sub, "parent");
				return cfg_fail(c, key, "the parents make a loop");
			}
		}
		if (depth >= 8) {
			cfg_join_index(sub, list, i);
			cfg_join(key, sub, "parent");
			return cfg_fail(c, key, "more than 8 levels below the port");
		}
	}
	/* Every class's ceil first: a child may come before its parent. */
	for (unsigned i = 0; i < p->n_classes; i++) {
		p->classes[i].leaf = true;
		if (p->classes[i].ceil == 0)
			p->classes[i].ceil = p->classes[i].rate;
	}
	for (unsigned i = 0; i < p->n_classes; i++)
		if (p->classes[i].parent >= 0)
			p->classes[p->classes[i].parent].leaf = false;
	for (unsigned i = 0; i < p->n_classes; i++) {
		struct sl_config_qos_class *k = &p->classes[i];
		int parent = k->parent;
		uint64_t parent_ceil = parent < 0 ? p->rate : p->classes[parent].ceil;
		cfg_join_index(sub, list, i);
		if (k->ceil < k->rate) {
			cfg_join(key, sub, "ceil");
			return cfg_fail(c, key, "is below the class's rate");
		}
		if (k->ceil > parent_ceil) {
			cfg_join(key, sub, "ceil");
			return cfg_fail(c, key, "is above %s", parent < 0 ? "the port's rate" :
					"its parent's ceil");
		}
		*(parent < 0 ? &under_root : &children[parent]) += k->rate;
		if (k->burst == 0)
			k->burst = sl_config_qos_default_burst(k->rate);
		if (k->cburst == 0)
			k->cburst = sl_config_qos_default_burst(k->ceil);
		if (!k->leaf && x[i].match != NULL) {
			cfg_join(key, sub, "match");
			return cfg_fail(c, key, "only a leaf class takes packets (this one has children)");
		}
	}
	for (unsigned i = 0; i < p->n_classes; i++) {
		if (children[i] <= p->classes[i].rate)
			continue;
		cfg_join_index(sub, list, i);
		cfg_join(key, sub, "rate");
		return cfg_fail(c, key, "is below the rates of its children together");
	}
	if (under_root > p->rate)
		return cfg_fail(c, list, "the rates of the classes under the port add up to more "
				"than its rate");
	return 0;
}

static int parse_port(struct pctx *c, const char *path, const json_t *j,
		      struct sl_config_qos_port *p, unsigned port_idx)
{
	char sub[PATH_LEN], list[PATH_LEN];
	const json_t *v;
	const char *key;
	memset(p, 0, sizeof(*p));
	p->port = -1;
	p->overhead = 24;
	if (!json_is_object(j))
		return cfg_fail(c, path, "expected an object");
	json_object_foreach((json_t *)j, key, v) {
		static const char *const known[] = {"port", "rate", "overhead", "default", "classes"};
		bool ok = false;
		for (size_t i = 0; i < ARRAY_LEN(known); i++)
			ok |= strcmp(key, known[i]) == 0;
		if (!ok) {
			cfg_join(sub, path, key);
			return cfg_fail(c, sub, "unknown key");
		}
	}
	static const char *const required[] = {"port", "rate", "classes"};
	for (size_t i = 0; i < ARRAY_LEN(required); i++)
		if (cfg_required(c, path, j, required[i]) != 0)
			return -EINVAL;
	cfg_join(sub, path, "port");
	if (cfg_get_port_ref(c, sub, json_object_get(j, "port"), &p->port) != 0)
		return -EINVAL;
	cfg_join(sub, path, "rate");
	if (cfg_get_units(c, sub, json_object_get(j, "rate"), &cfg_bitrate_kind, 8000, MAX_RATE,
			  &p->rate) != 0)
		return -EINVAL;
	if ((v = json_object_get(j, "overhead")) != NULL) {
		json_int_t o = json_is_integer(v) ? json_integer_value(v) : -1;
		cfg_join(sub, path, "overhead");
		if (o < 0 || o > 256)
			return cfg_fail(c, sub, "bytes from 0 to 256");
		p->overhead = (uint16_t)o;
	}
	const json_t *classes = json_object_get(j, "classes");
	cfg_join(list, path, "classes");
	if (cfg_check_array(c, list, classes, SL_CONFIG_MAX_QOS_CLASSES, "classes") != 0)
		return -EINVAL;
	if (json_array_size(classes) == 0)
		return cfg_fail(c, list, "at least one class");
	struct class_ctx x[SL_CONFIG_MAX_QOS_CLASSES];
	size_t i;
	json_t *e;
	json_array_foreach(classes, i, e) {
		struct sl_config_qos_class *k = &p->classes[i];
		memset(k, 0, sizeof(*k));
		k->dscp = -1;
		k->quantum = 1514;
		k->fq = c->cfg->qos.fq;
		x[i] = (struct class_ctx){.cls = k, .port_rate = p->rate};
		cfg_join_index(sub, list, i);
		if (cfg_walk(c, sub, e, class_fields, ARRAY_LEN(class_fields), &x[i]) != 0 ||
		    cfg_required(c, sub, e, "name") != 0 || cfg_required(c, sub, e, "rate") != 0)
			return -EINVAL;
		p->n_classes++;
	}
	if (check_tree(c, path, p, x) != 0)
		return -EINVAL;
	cfg_join(sub, path, "default");
	if ((v = json_object_get(j, "default")) == NULL) {
		/* The last leaf, as a "catch the rest" class is usually written. */
		p->default_class = -1;
		for (unsigned k = 0; k < p->n_classes; k++)
			if (p->classes[k].leaf)
				p->default_class = (int)k;
	} else {
		const char *name;
		if (cfg_get_str(c, sub, v, SIZE_MAX, &name) != 0)
			return -EINVAL;
		p->default_class = find_class(p, name);
		if (p->default_class < 0)
			return cfg_fail(c, sub, "%s is no class of this port", Q(name));
		if (!p->classes[p->default_class].leaf)
			return cfg_fail(c, sub, "%s has children: the default must be a leaf", Q(name));
	}
	/* The match rules, in class order. */
	for (unsigned k = 0; k < p->n_classes; k++) {
		if (x[k].match == NULL)
			continue;
		char cls_path[PATH_LEN], mlist[PATH_LEN], mpath[PATH_LEN];
		cfg_join_index(cls_path, list, k);
		cfg_join(mlist, cls_path, "match");
		json_array_foreach(x[k].match, i, e) {
			struct sl_config_qos *q = &c->cfg->qos;
			cfg_join_index(mpath, mlist, i);
			if (q->n_match >= SL_CONFIG_MAX_QOS_MATCH)
				return cfg_fail(c, mpath, "more than %d match rules in all",
						SL_CONFIG_MAX_QOS_MATCH);
			struct sl_config_qos_match *mm = &q->match[q->n_match];
			mm->port = (uint8_t)port_idx;
			mm->cls = (uint8_t)k;
			if (cfg_parse_match(c, mpath, e, &mm->rule) != 0)
				return -EINVAL;
			q->n_match++;
		}
	}
	return 0;
}

static int qos_fq(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return parse_fq(c, path, v, &((struct sl_config_qos *)obj)->fq);
}

static int qos_ports(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_qos *q = obj;
	char sub[PATH_LEN];
	json_t *e;
	size_t i;
	if (cfg_check_array(c, path, v, SL_CONFIG_MAX_PORTS, "ports") != 0)
		return -EINVAL;
	free(q->match);
	q->n_match = 0;
	q->match = calloc(SL_CONFIG_MAX_QOS_MATCH, sizeof(*q->match));
	if (q->match == NULL)
		return cfg_fail(c, path, "out of memory");
	q->n_ports = 0;
	json_array_foreach(v, i, e) {
		cfg_join_index(sub, path, i);
		if (parse_port(c, sub, e, &q->ports[i], (unsigned)i) != 0)
			return -EINVAL;
		for (size_t k = 0; k < i; k++) {
			if (q->ports[k].port != q->ports[i].port)
				continue;
			char key[PATH_LEN];
			cfg_join(key, sub, "port");
			return cfg_fail(c, key, "port %s is already shaped by qos.ports[%zu]",
					c->cfg->ports[q->ports[i].port].name, k);
		}
		q->n_ports++;
	}
	return 0;
}

int cfg_parse_qos(struct pctx *c, const json_t *v)
{
	struct sl_config_qos *q = &c->cfg->qos;
	q->enabled = true;
	fq_defaults(&q->fq);
	if (!json_is_object(v))
		return cfg_fail(c, "qos", "expected an object");
	/* The defaults first: the classes start from them. */
	const json_t *fq = json_object_get(v, "fq_codel");
	if (fq != NULL && qos_fq(c, "qos.fq_codel", fq, q) != 0)
		return -EINVAL;
	const char *key;
	json_t *val;
	json_object_foreach((json_t *)v, key, val) {
		char sub[PATH_LEN];
		cfg_join(sub, "qos", key);
		if (strcmp(key, "fq_codel") == 0)
			continue;
		if (strcmp(key, "ports") != 0)
			return cfg_fail(c, sub, "unknown key");
		if (qos_ports(c, sub, val, q) != 0)
			return -EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------------ JSON */

static json_t *rate_json(uint64_t bps, uint16_t pct)
{
	char buf[SL_UNITS_STR_MAX];
	if (pct != 0)
		snprintf(buf, sizeof(buf), "%u%%", pct);
	else
		sl_format_rate_bps(bps, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *fq_json(const struct sl_config_fq_codel *f)
{
	char mem[SL_UNITS_STR_MAX], target[SL_UNITS_STR_MAX], interval[SL_UNITS_STR_MAX];
	sl_format_size_bytes(f->memory, mem, sizeof(mem));
	sl_format_duration_us(f->target_us, target, sizeof(target));
	sl_format_duration_us(f->interval_us, interval, sizeof(interval));
	return json_pack("{s:i, s:i, s:s, s:i, s:s, s:s, s:b}", "flows", f->flows, "limit",
			 f->limit, "memory", mem, "quantum", f->quantum, "target", target,
			 "interval", interval, "ecn", f->ecn);
}

json_t *cfg_qos_json(const struct sl_config *cfg)
{
	const struct sl_config_qos *q = &cfg->qos;
	int rc = 0;
	json_t *o = json_object(), *ports = json_array();
	cfg_put(o, "fq_codel", fq_json(&q->fq), &rc);
	for (unsigned i = 0; ports != NULL && i < q->n_ports; i++) {
		const struct sl_config_qos_port *p = &q->ports[i];
		char rate[SL_UNITS_STR_MAX], size[SL_UNITS_STR_MAX];
		sl_format_rate_bps(p->rate, rate, sizeof(rate));
		json_t *j = json_pack("{s:s, s:s, s:i, s:s}", "port", cfg->ports[p->port].name,
				      "rate", rate, "overhead", p->overhead, "default",
				      p->classes[p->default_class].name);
		json_t *classes = json_array();
		for (unsigned k = 0; classes != NULL && k < p->n_classes; k++) {
			const struct sl_config_qos_class *c = &p->classes[k];
			int cr = 0;
			json_t *x = json_object();
			cfg_put(x, "name", json_string(c->name), &cr);
			if (c->parent >= 0)
				cfg_put(x, "parent", json_string(p->classes[c->parent].name), &cr);
			cfg_put(x, "rate", rate_json(c->rate, c->rate_pct), &cr);
			cfg_put(x, "ceil", rate_json(c->ceil, c->ceil_pct), &cr);
			sl_format_size_bytes(c->burst, size, sizeof(size));
			cfg_put(x, "burst", json_string(size), &cr);
			sl_format_size_bytes(c->cburst, size, sizeof(size));
			cfg_put(x, "cburst", json_string(size), &cr);
			cfg_put(x, "prio", json_integer(c->prio), &cr);
			cfg_put(x, "quantum", json_integer(c->quantum), &cr);
			if (c->dscp >= 0)
				cfg_put(x, "dscp", json_integer(c->dscp), &cr);
			if (c->own_fq)
				cfg_put(x, "fq_codel", fq_json(&c->fq), &cr);
			json_t *match = json_array();
			for (unsigned m = 0; match != NULL && m < q->n_match; m++) {
				const struct sl_config_qos_match *mm = &q->match[m];
				if (mm->port != i || mm->cls != k)
					continue;
				json_t *r = json_object();
				if (r != NULL)
					cfg_match_json(r, cfg, &mm->rule, &cr);
				if (r == NULL || json_array_append_new(match, r) != 0)
					cr = -1;
			}
			if (match != NULL && json_array_size(match) == 0)
				json_decref(match);
			else
				cfg_put(x, "match", match, &cr);
			x = cfg_finish(x, cr);
			if (x == NULL || json_array_append_new(classes, x) != 0)
				rc = -1;
		}
		if (j != NULL)
			cfg_put(j, "classes", classes, &rc);
		else
			json_decref(classes);
		if (j == NULL || json_array_append_new(ports, j) != 0)
			rc = -1;
	}
	cfg_put(o, "ports", ports, &rc);
	return cfg_finish(o, rc);
}

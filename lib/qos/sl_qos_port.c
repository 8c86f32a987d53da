/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A port's QoS from the configuration: the tree in the scheduler's order,
 * the classifier over the classes' match rules, and the per-packet work a
 * worker does before handing a packet to the port's scheduler: its leaf,
 * its flow hash, its DSCP.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_malloc.h>

#include "sl_acl.h"
#include "sl_config.h"
#include "qos_priv.h"

/* The scheduler's order of the config's classes: parents before children
 * (the config may name a parent after its child). order[k] = config index
 * of scheduler class k + 1 (class 0 is the root). */
static unsigned tree_order(const struct sl_config_qos_port *p, int *order, int *sched_of)
{
	unsigned n = 0;
	bool placed[SL_CONFIG_MAX_QOS_CLASSES] = {false};
	/* Breadth first from the root: a class goes once its parent has. */
	for (bool progress = true; progress;) {
		progress = false;
		for (unsigned i = 0; i < p->n_classes; i++) {
			int parent = p->classes[i].parent;
			if (placed[i] || (parent >= 0 && !placed[parent]))
				continue;
			placed[i] = true;
			sched_of[i] = (int)n + 1;
			order[n++] = (int)i;
			progress = true;
		}
	}
	return n;
}

struct sl_qos_port *sl_qos_port_build(const struct sl_config *cfg, unsigned idx,
				      struct sl_pset *const *sets, unsigned owner, uint64_t hz,
				      int socket, char *err, size_t err_len)
{
	const struct sl_config_qos_port *cp = &cfg->qos.ports[idx];
	struct sl_qos_port *p = rte_zmalloc_socket("qos_port", sizeof(*p), RTE_CACHE_LINE_SIZE,
						   socket);
	if (p == NULL) {
		snprintf(err, err_len, "qos: out of memory");
		return NULL;
	}
	p->port = (uint16_t)cp->port;
	p->owner = owner;
	int order[SL_CONFIG_MAX_QOS_CLASSES], sched_of[SL_CONFIG_MAX_QOS_CLASSES];
	unsigned n = tree_order(cp, order, sched_of);
	struct sl_qos_conf *q = &p->conf;
	q->n_classes = (uint16_t)(n + 1);
	q->overhead = cp->overhead;
	q->classes[0] = (struct sl_qos_class_conf){
		.parent = SL_QOS_NONE, .rate = cp->rate, .ceil = cp->rate,
		.burst = sl_config_qos_default_burst(cp->rate),
		.cburst = sl_config_qos_default_burst(cp->rate), .quantum = 1514};
	snprintf(p->names[0], sizeof(p->names[0]), "root");
	memset(p->dscp, -1, sizeof(p->dscp));
	for (unsigned k = 0; k < n; k++) {
		const struct sl_config_qos_class *c = &cp->classes[order[k]];
		struct sl_qos_class_conf *s = &q->classes[k + 1];
		*s = (struct sl_qos_class_conf){
			.parent = c->parent < 0 ? 0 : (uint16_t)sched_of[c->parent],
			.rate = c->rate, .ceil = c->ceil, .burst = c->burst, .cburst = c->cburst,
			.prio = c->prio, .quantum = c->quantum, .flows = c->fq.flows,
			.limit = c->fq.limit,
			.memory = c->fq.memory > UINT32_MAX ? UINT32_MAX : (uint32_t)c->fq.memory,
			.fq_quantum = c->fq.quantum, .target_us = c->fq.target_us,
			.interval_us = c->fq.interval_us, .ecn = c->fq.ecn};
		p->dscp[k + 1] = c->dscp;
		snprintf(p->names[k + 1], sizeof(p->names[k + 1]), "%s", c->name);
	}
	if (sl_qos_conf_check(q, err, err_len) != 0)
		goto fail;
	p->sched = sl_qos_sched_create(q, hz, socket);
	p->owns_sched = true;
	/* This port's match rules, in order, and the leaf each sends to. */
	uint32_t n_rules = 0;
	for (unsigned m = 0; m < cfg->qos.n_match; m++)
		n_rules += cfg->qos.match[m].port == idx;
	p->rule_leaf = rte_zmalloc_socket("qos_rules", (n_rules + 1) * sizeof(*p->rule_leaf), 0,
					  socket);
	struct sl_config_acl_rule *rules = rte_zmalloc("qos_rules", (n_rules + 1) * sizeof(*rules), 0);
	if (p->sched == NULL || p->rule_leaf == NULL || rules == NULL) {
		rte_free(rules);
		snprintf(err, err_len, "qos.ports[%u]: out of memory for its scheduler", idx);
		goto fail;
	}
	p->rule_leaf[0] = (uint16_t)sched_of[cp->default_class];
	for (unsigned m = 0; m < cfg->qos.n_match; m++) {
		const struct sl_config_qos_match *mm = &cfg->qos.match[m];
		if (mm->port != idx)
			continue;
		rules[p->n_rules] = mm->rule;
		p->rule_leaf[++p->n_rules] = (uint16_t)sched_of[mm->cls];
	}
	if (p->n_rules > 0) {
		p->matcher = sl_acl_matcher_build(rules, p->n_rules, cfg, sets, socket, err, err_len);
		if (p->matcher == NULL) {
			rte_free(rules);
			goto fail;
		}
	}
	rte_free(rules);
	if (getrandom(&p->perturb, sizeof(p->perturb), 0) != sizeof(p->perturb))
		p->perturb = (uint32_t)hz;
	return p;
fail:
	sl_qos_port_free(p);
	return NULL;
}

void sl_qos_port_free(struct sl_qos_port *p)
{
	if (p == NULL)
		return;
	if (p->owns_sched)
		sl_qos_sched_free(p->sched);
	sl_acl_free(p->matcher);
	rte_free(p->rule_leaf);
	rte_free(p);
}

bool sl_qos_port_same_tree(const struct sl_qos_port *a, const struct sl_qos_port *b)
{
	return a->port == b->port && a->owner == b->owner &&
	       memcmp(&a->conf, &b->conf, sizeof(a->conf)) == 0 &&
	       memcmp(a->names, b->names, sizeof(a->names)) == 0;
}

bool sl_qos_conf_is_leaf(const struct sl_qos_conf *q, uint16_t k)
{
	if (k == 0 || k >= q->n_classes)
		return false;
	for (uint16_t j = k + 1; j < q->n_classes; j++)   /* children come after parents */
		if (q->classes[j].parent == k)
			return false;
	return true;
}

uint16_t sl_qos_port_map_leaf(const struct sl_qos_port *from, uint16_t leaf,
			      const struct sl_qos_port *to)
{
	for (uint16_t k = 1; k < to->conf.n_classes; k++) {
		if (strcmp(to->names[k], from->names[leaf]) == 0 && sl_qos_conf_is_leaf(&to->conf, k))
			return k;   /* still a leaf there */
	}
	return to->rule_leaf[0];
}

/* Write @p dscp into the IP header of @p m (its L2 header written). */
static void set_dscp(struct rte_mbuf *m, uint8_t dscp)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l2_len);
	if (meta->l3_type == SL_L3_IPV4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;
		uint16_t old = *(uint16_t *)ip;
		h->type_of_service = (uint8_t)(dscp << 2 | (h->type_of_service & 3));
		h->hdr_checksum = sl_cksum_update16(h->hdr_checksum, old, *(uint16_t *)ip);
	} else if (meta->l3_type == SL_L3_IPV6) {
		/* Traffic class: the low nibble of byte 0, the high of byte 1. */
		uint8_t tc = (uint8_t)(dscp << 2 | ((ip[1] >> 4) & 3));
		ip[0] = (uint8_t)((ip[0] & 0xf0) | tc >> 4);
		ip[1] = (uint8_t)((ip[1] & 0x0f) | (tc & 0x0f) << 4);
	}
}

/* The flow a packet belongs to, for FQ-CoDel: addresses, protocol, ports. */
static uint32_t flow_hash(const struct sl_qos_port *p, struct rte_mbuf *m)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l2_len);
	uint32_t h = rte_hash_crc_4byte((uint32_t)meta->src_port << 16 | meta->dst_port,
					p->perturb ^ meta->l4_proto);
	if (meta->l3_type == SL_L3_IPV4)
		return rte_hash_crc(ip + 12, 8, h);
	if (meta->l3_type == SL_L3_IPV6)
		return rte_hash_crc(ip + 8, 32, h);
	return h;
}

void sl_qos_classify(const struct sl_qos_port *p, struct rte_mbuf **pkts, uint16_t n)
{
	uint32_t rule[n > 0 ? n : 1];
	if (p->matcher != NULL)
		sl_acl_match_burst(p->matcher, pkts, n, rule);
	else
		memset(rule, 0, sizeof(rule));
	for (uint16_t i = 0; i < n; i++) {
		struct sl_pkt_meta *meta = sl_pkt_meta(pkts[i]);
		uint16_t leaf = p->rule_leaf[rule[i]];
		meta->qos_leaf = (uint8_t)leaf;
		meta->hash = flow_hash(p, pkts[i]);
		if (p->dscp[leaf] >= 0)
			set_dscp(pkts[i], (uint8_t)p->dscp[leaf]);
	}
}

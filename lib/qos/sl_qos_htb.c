/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The class tree: token buckets in TSC cycles of sending time, HTB's
 * modes and its order of service (own rate first, then borrowing from the
 * nearest lender; prio, then deficit round robin), and the charge of a
 * sent packet up the tree.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>

#include "qos_priv.h"

#define Q24 24
/* How far into debt a bucket may go: one second of sending time. */
#define DEBT_S 1

enum mode { GREEN, YELLOW, RED };

struct qclass {
	uint16_t parent;
	uint8_t height;             /* 0 for leaves; a parent: its highest child's + 1 */
	uint8_t prio;
	bool leaf;
	int64_t tokens, ctokens;    /* TSC cycles of sending time in hand */
	int64_t buffer, cbuffer;    /* what the buckets hold at most */
	uint64_t t_c;               /* when they were last filled */
	uint64_t cpb, cpb_ceil;     /* TSC cycles per byte at rate / ceil, Q24 */
	int32_t deficit;
	uint32_t quantum;
	struct fq fq;
	struct sl_qos_class_stats st;
};

struct sl_qos_sched {
	uint16_t n, n_leaves, overhead;
	uint16_t leaves[SL_QOS_MAX_CLASSES];
	uint64_t hz;
	uint64_t us_per_cycle;      /* microseconds per TSC cycle, Q32 (the sojourn histogram) */
	uint64_t bucket_min[23];    /* the fewest cycles of a sojourn in bucket b + 1 */
	int64_t debt;               /* a bucket's floor (negative) */
	uint32_t backlog;
	/* Deficit round robin: whose turn it is, per (level, prio), as a
	 * position in leaves[]. */
	uint16_t turn[SL_QOS_MAX_DEPTH + 1][SL_QOS_PRIOS];
	struct qclass c[SL_QOS_MAX_CLASSES];
	/* Packets other workers could not hand over, by worker and leaf: each
	 * worker writes its own row. */
	uint64_t lost[SL_QOS_MAX_WORKERS][SL_QOS_MAX_CLASSES] __rte_cache_aligned;
};

static const char *const drop_names[SL_QOS_DROP_REASONS] = {
	[SL_QOS_DROP_OVERLIMIT] = "overlimit",
	[SL_QOS_DROP_MEMORY] = "memory",
	[SL_QOS_DROP_CODEL] = "codel",
	[SL_QOS_DROP_FLOW_FULL] = "flow_full",
};

const char *sl_qos_drop_name(enum sl_qos_drop why)
{
	return why < SL_QOS_DROP_REASONS ? drop_names[why] : "unknown";
}

int sl_qos_conf_check(const struct sl_qos_conf *conf, char *err, size_t err_len)
{
	bool has_child[SL_QOS_MAX_CLASSES] = {false};
	uint64_t child_rates[SL_QOS_MAX_CLASSES] = {0};
	unsigned depth[SL_QOS_MAX_CLASSES] = {0};
	if (conf->n_classes < 2 || conf->n_classes > SL_QOS_MAX_CLASSES) {
		snprintf(err, err_len, "a root and 1 to %d classes", SL_QOS_MAX_CLASSES - 1);
		return -EINVAL;
	}
	for (unsigned i = 0; i < conf->n_classes; i++) {
		const struct sl_qos_class_conf *c = &conf->classes[i];
		if ((i == 0) != (c->parent == SL_QOS_NONE) || (i > 0 && c->parent >= i)) {
			snprintf(err, err_len, "class %u: the root first, every parent before its "
				 "children", i);
			return -EINVAL;
		}
		if (c->rate < 8000 || c->ceil < c->rate || c->ceil > 400000000000ull) {
			snprintf(err, err_len, "class %u: rate 8 kbit/s or more, ceil from rate to "
				 "400 Gbit/s", i);
			return -EINVAL;
		}
		if (c->prio >= SL_QOS_PRIOS || c->quantum == 0 || c->burst == 0 || c->cburst == 0) {
			snprintf(err, err_len, "class %u: prio 0..7, quantum and bursts above 0", i);
			return -EINVAL;
		}
		if (i > 0) {
			has_child[c->parent] = true;
			child_rates[c->parent] += c->rate;
			depth[i] = depth[c->parent] + 1;
			if (depth[i] > SL_QOS_MAX_DEPTH) {
				snprintf(err, err_len, "class %u: more than %d levels below the root", i,
					 SL_QOS_MAX_DEPTH);
				return -EINVAL;
			}
			if (c->ceil > conf->classes[c->parent].ceil) {
				snprintf(err, err_len, "class %u: ceil above its parent's", i);
				return -EINVAL;
			}
		}
	}
	for (unsigned i = 0; i < conf->n_classes; i++) {
		const struct sl_qos_class_conf *c = &conf->classes[i];
		if (has_child[i] && child_rates[i] > c->rate) {
			snprintf(err, err_len, "class %u: its children's rates add up to more than its "
				 "rate", i);
			return -EINVAL;
		}
		if (!has_child[i] && (i == 0 || c->flows == 0 || (c->flows & (c->flows - 1)) != 0 ||
				      c->limit == 0 || c->memory == 0 || c->fq_quantum == 0 ||
				      c->target_us == 0 || c->interval_us < c->target_us)) {
			snprintf(err, err_len, "class %u: a leaf needs flows (a power of two), limit, "
				 "memory, fq_quantum, and target below interval", i);
			return -EINVAL;
		}
	}
	return 0;
}

/* TSC cycles per byte at @p bps, Q24. */
static uint64_t cycles_per_byte(uint64_t hz, uint64_t bps)
{
	return (uint64_t)(((unsigned __int128)hz * 8u << Q24) / bps);
}

static inline int64_t cost(uint64_t cpb, uint32_t bytes)
{
	return (int64_t)(((unsigned __int128)cpb * bytes) >> Q24);
}

struct sl_qos_sched *sl_qos_sched_create(const struct sl_qos_conf *conf, uint64_t hz, int socket)
{
	char err[128];
	if (hz == 0 || sl_qos_conf_check(conf, err, sizeof(err)) != 0)
		return NULL;
	struct sl_qos_sched *s = rte_zmalloc_socket("qos_sched", sizeof(*s), RTE_CACHE_LINE_SIZE,
						    socket);
	if (s == NULL)
		return NULL;
	s->n = conf->n_classes;
	s->overhead = conf->overhead;
	s->hz = hz;
	s->us_per_cycle = (uint64_t)(((unsigned __int128)1000000 << 32) / hz);
	for (unsigned b = 0; b < RTE_DIM(s->bucket_min); b++)
		s->bucket_min[b] = (uint64_t)((((unsigned __int128)hz << b) + 999999) / 1000000);
	s->debt = -(int64_t)(DEBT_S * hz);
	for (unsigned i = 0; i < s->n; i++)
		s->c[i].leaf = true;
	for (unsigned i = 1; i < s->n; i++)
		s->c[conf->classes[i].parent].leaf = false;
	for (unsigned i = 0; i < s->n; i++) {
		const struct sl_qos_class_conf *cc = &conf->classes[i];
		struct qclass *c = &s->c[i];
		c->parent = cc->parent;
		c->prio = cc->prio;
		c->quantum = cc->quantum;
		c->cpb = cycles_per_byte(hz, cc->rate);
		c->cpb_ceil = cycles_per_byte(hz, cc->ceil);
		c->buffer = c->tokens = cost(c->cpb, cc->burst);
		c->cbuffer = c->ctokens = cost(c->cpb_ceil, cc->cburst);
		if (c->leaf) {
			s->leaves[s->n_leaves++] = (uint16_t)i;
			if (fq_init(&c->fq, cc, hz, socket) != 0) {
				sl_qos_sched_free(s);
				return NULL;
			}
		}
	}
	/* Heights, from the leaves up (children come after their parents). */
	for (int i = s->n - 1; i > 0; i--) {
		struct qclass *p = &s->c[s->c[i].parent];
		if (p->height < s->c[i].height + 1)
			p->height = (uint8_t)(s->c[i].height + 1);
	}
	return s;
}

void sl_qos_sched_free(struct sl_qos_sched *s)
{
	if (s == NULL)
		return;
	for (unsigned i = 0; i < s->n; i++)
		if (s->c[i].leaf)
			fq_free(&s->c[i].fq);
	rte_free(s);
}

uint32_t sl_qos_backlog(const struct sl_qos_sched *s)
{
	return s->backlog;
}

const struct sl_qos_class_stats *sl_qos_stats(const struct sl_qos_sched *s, uint16_t idx)
{
	return idx < s->n ? &s->c[idx].st : NULL;
}

uint64_t sl_qos_class_drops(const struct sl_qos_sched *s, uint16_t idx, enum sl_qos_drop why)
{
	if (idx >= s->n || why >= SL_QOS_DROP_REASONS)
		return 0;
	if (why != SL_QOS_DROP_FLOW_FULL)
		return s->c[idx].st.drops[why];
	uint64_t sum = 0;
	for (unsigned w = 0; w < SL_QOS_MAX_WORKERS; w++)
		sum += s->lost[w][idx];
	return sum;
}

void sl_qos_count_lost(struct sl_qos_sched *s, unsigned worker, uint16_t leaf)
{
	if (worker < SL_QOS_MAX_WORKERS && leaf < SL_QOS_MAX_CLASSES)
		s->lost[worker][leaf]++;
}

static void sync_backlog(struct qclass *c)
{
	c->st.backlog_packets = c->fq.packets;
	c->st.backlog_bytes = c->fq.bytes;
}

void sl_qos_enqueue(struct sl_qos_sched *s, uint16_t leaf, struct rte_mbuf *m, uint32_t hash,
		    uint64_t now)
{
	struct qclass *c = &s->c[leaf];
	sl_pkt_meta(m)->qos_time = (uint32_t)(now >> SL_QOS_TIME_SHIFT);
	uint32_t before = c->fq.packets;
	fq_enqueue(&c->fq, &c->st, m, hash);
	s->backlog = s->backlog + c->fq.packets - before;
	sync_backlog(c);
}

unsigned sl_qos_drain(struct sl_qos_sched *s, struct rte_mbuf **out, uint16_t *leaf,
		      unsigned max)
{
	unsigned got = 0;
	for (unsigned k = 0; k < s->n_leaves && got < max; k++) {
		struct qclass *c = &s->c[s->leaves[k]];
		for (uint32_t f = 0; f <= c->fq.mask && got < max; f++) {
			struct fq_flow *fl = &c->fq.flows[f];
			while (fl->head != NULL && got < max) {
				struct rte_mbuf *m = fl->head;
				fl->head = *qos_next(m);
				if (fl->head == NULL)
					fl->tail = NULL;
				fl->packets--;
				fl->bytes -= rte_pktmbuf_pkt_len(m);
				c->fq.packets--;
				c->fq.bytes -= rte_pktmbuf_pkt_len(m);
				s->backlog--;
				leaf[got] = s->leaves[k];
				out[got++] = m;
			}
		}
		sync_backlog(c);
	}
	return got;
}

/* Fill both buckets with the time gone by, up to what they hold. */
static void refill(struct sl_qos_sched *s, uint64_t now)
{
	for (unsigned i = 0; i < s->n; i++) {
		struct qclass *c = &s->c[i];
		int64_t gone = (int64_t)(now - c->t_c);
		c->t_c = now;
		c->tokens = RTE_MIN(c->tokens + gone, c->buffer);
		c->ctokens = RTE_MIN(c->ctokens + gone, c->cbuffer);
	}
}

static inline enum mode mode_of(const struct qclass *c)
{
	return c->ctokens < 0 ? RED : c->tokens < 0 ? YELLOW : GREEN;
}

/*
 * The level a backlogged leaf would send at: 0 on its own rate, the
 * lender's height when it borrows, -1 when it cannot send now.
 */
static int send_level(const struct sl_qos_sched *s, const struct qclass *leaf)
{
	enum mode m = mode_of(leaf);
	if (m == GREEN)
		return 0;
	if (m == RED)
		return -1;
	for (uint16_t p = leaf->parent; p != SL_QOS_NONE; p = s->c[p].parent) {
		m = mode_of(&s->c[p]);
		if (m == GREEN)
			return s->c[p].height;
		if (m == RED)
			return -1;
	}
	return -1;
}

/* Charge @p bytes sent by @p leaf at @p level up the tree. */
static void charge(struct sl_qos_sched *s, uint16_t leaf, int level, uint32_t bytes)
{
	for (uint16_t i = leaf; i != SL_QOS_NONE; i = s->c[i].parent) {
		struct qclass *c = &s->c[i];
		/* Below the lender the rate was borrowed, not spent. */
		if (c->height >= level)
			c->tokens = RTE_MAX(c->tokens - cost(c->cpb, bytes), s->debt);
		c->ctokens = RTE_MAX(c->ctokens - cost(c->cpb_ceil, bytes), s->debt);
	}
	if (level > 0)
		s->c[leaf].st.borrowed++;
}

/*
 * The leaf to send next: the lowest level, then the lowest prio, then
 * whose turn it is. Returns its position in leaves[], or -1; *level gets
 * the level it sends at.
 */
static int pick(struct sl_qos_sched *s, int *level, bool count_over)
{
	int best_level = INT32_MAX, best_prio = SL_QOS_PRIOS;
	int levels[SL_QOS_MAX_CLASSES];
	for (unsigned k = 0; k < s->n_leaves; k++) {
		struct qclass *c = &s->c[s->leaves[k]];
		levels[k] = -1;
		if (c->fq.packets == 0)
			continue;
		levels[k] = send_level(s, c);
		if (levels[k] < 0) {
			c->st.overlimits += count_over;
			continue;
		}
		if (levels[k] < best_level || (levels[k] == best_level && c->prio < best_prio)) {
			best_level = levels[k];
			best_prio = c->prio;
		}
	}
	if (best_level == INT32_MAX)
		return -1;
	*level = best_level;
	/* Deficit round robin among the leaves at that level and prio. */
	uint16_t *turn = &s->turn[best_level][best_prio];
	for (;;) {
		unsigned k = *turn;
		for (unsigned j = 0; j < s->n_leaves; j++, k = k + 1 == s->n_leaves ? 0 : k + 1) {
			struct qclass *c = &s->c[s->leaves[k]];
			if (levels[k] != best_level || c->prio != best_prio)
				continue;
			if (c->deficit > 0) {
				*turn = (uint16_t)k;
				return (int)k;
			}
			/* Its turn is over: credit for the next, and on to the others. */
			c->deficit += (int32_t)c->quantum;
			*turn = (uint16_t)(k + 1 == s->n_leaves ? 0 : k + 1);
			break;
		}
	}
}

/* log2 bucket of a sojourn of @p cycles: 0 below 1 us, b for [2^(b-1), 2^b) us,
 * 23 from 2^22 us up. A multiply estimates it (a division per packet costs
 * more than the rest of the histogram); the estimate is never high and at
 * most one bucket low, at a bucket's edge, which the table settles. */
static unsigned sojourn_bucket(const struct sl_qos_sched *s, uint64_t cycles)
{
	uint64_t us = (uint64_t)(((unsigned __int128)cycles * s->us_per_cycle) >> 32);
	unsigned b = us == 0 ? 0 : 64 - (unsigned)__builtin_clzll(us);
	if (b >= 23)
		return 23;
	return b + (cycles >= s->bucket_min[b]);
}

unsigned sl_qos_dequeue(struct sl_qos_sched *s, struct rte_mbuf **out, unsigned max, uint64_t now)
{
	unsigned got = 0;
	if (s->backlog == 0)
		return 0;
	refill(s, now);
	int k = -1, level = 0;
	while (got < max) {
		/* The leaf that just sent goes on while it has credit and still
		 * sends at the same level: charges only lower the others, so none
		 * can have come before it (pick() would return it again). */
		if (k < 0 || s->c[s->leaves[k]].deficit <= 0 || s->c[s->leaves[k]].fq.packets == 0 ||
		    send_level(s, &s->c[s->leaves[k]]) != level)
			k = pick(s, &level, got == 0);
		if (k < 0)
			break;
		struct qclass *c = &s->c[s->leaves[k]];
		uint32_t before = c->fq.packets;
		struct rte_mbuf *m = fq_dequeue(&c->fq, &c->st, now);
		s->backlog -= before - c->fq.packets;
		sync_backlog(c);
		if (c->fq.packets == 0)
			c->deficit = 0;   /* an emptied queue keeps no credit (DRR) */
		if (m == NULL)
			continue;     /* CoDel dropped what was left */
		uint32_t len = rte_pktmbuf_pkt_len(m);
		charge(s, s->leaves[k], level, len + s->overhead);
		c->deficit -= (int32_t)len;
		c->st.packets++;
		c->st.bytes += len;
		c->st.sojourn[sojourn_bucket(s, qos_sojourn(m, now))]++;
		out[got++] = m;
	}
	return got;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A leaf's queue: FQ-CoDel (RFC 8290) with CoDel (RFC 8289) per flow.
 *
 * Flows are hashed by the caller (5-tuple and a perturbation drawn at
 * start). A flow that becomes active joins the new list with a quantum of
 * credit, so a sparse flow (a ping, a DNS query, an ACK) goes before the
 * bulk ones, which cycle on the old list by deficit round robin. CoDel
 * judges each flow by how long its head packet waited: above target for an
 * interval, it starts dropping (or marking ECN-capable packets), faster the
 * longer it stays above, by the control law interval / sqrt(count).
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_malloc.h>

#include "qos_priv.h"

/* At most this many packets leave the fattest flow in one overflow (as
 * Linux's fq_codel does it: a scan of the flows is paid once per batch). */
#define DROP_BATCH 64

int fq_init(struct fq *q, const struct sl_qos_class_conf *c, uint64_t hz, int socket)
{
	memset(q, 0, sizeof(*q));
	if (c->flows == 0 || (c->flows & (c->flows - 1)) != 0)
		return -EINVAL;
	q->flows = rte_zmalloc_socket("qos_flows", (size_t)c->flows * sizeof(*q->flows),
				      RTE_CACHE_LINE_SIZE, socket);
	if (q->flows == NULL)
		return -ENOMEM;
	q->mask = c->flows - 1;
	q->new_head = q->new_tail = q->old_head = q->old_tail = QOS_NONE;
	q->limit = c->limit;
	q->memory = c->memory;
	q->quantum = c->fq_quantum;
	q->maxpacket = 1514;
	q->target = (uint64_t)c->target_us * hz / 1000000;
	q->interval = (uint64_t)c->interval_us * hz / 1000000;
	q->ecn = c->ecn;
	return 0;
}

void fq_free(struct fq *q)
{
	if (q->flows == NULL)
		return;
	for (uint32_t i = 0; i <= q->mask; i++) {
		struct rte_mbuf *m = q->flows[i].head;
		while (m != NULL) {
			struct rte_mbuf *next = *qos_next(m);
			rte_pktmbuf_free(m);
			m = next;
		}
	}
	rte_free(q->flows);
	q->flows = NULL;
}

/* ---- lists of flows --------------------------------------------------- */

static void list_append(struct fq *q, uint32_t *head, uint32_t *tail, uint32_t idx)
{
	q->flows[idx].next = QOS_NONE;
	if (*tail == QOS_NONE)
		*head = idx;
	else
		q->flows[*tail].next = idx;
	*tail = idx;
}

static uint32_t list_pop(struct fq *q, uint32_t *head, uint32_t *tail)
{
	uint32_t idx = *head;
	*head = q->flows[idx].next;
	if (*head == QOS_NONE)
		*tail = QOS_NONE;
	return idx;
}

/* ---- packets of a flow -------------------------------------------------- */

static struct rte_mbuf *flow_pop(struct fq *q, struct fq_flow *f)
{
	struct rte_mbuf *m = f->head;
	if (m == NULL)
		return NULL;
	f->head = *qos_next(m);
	if (f->head == NULL)
		f->tail = NULL;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	f->packets--;
	f->bytes -= len;
	q->packets--;
	q->bytes -= len;
	*qos_next(m) = NULL;
	return m;
}

static void count_drop(struct sl_qos_class_stats *st, enum sl_qos_drop why)
{
	st->drops[why]++;
}

/* Make room: packets from the head of the flow with the most bytes, up to
 * half of them (DROP_BATCH at most). */
static void drop_from_fattest(struct fq *q, struct sl_qos_class_stats *st, enum sl_qos_drop why)
{
	uint32_t fat = 0;
	for (uint32_t i = 1; i <= q->mask; i++)
		if (q->flows[i].bytes > q->flows[fat].bytes)
			fat = i;
	struct fq_flow *f = &q->flows[fat];
	uint32_t goal = f->bytes / 2, dropped = 0;
	for (unsigned n = 0; n < DROP_BATCH && f->head != NULL && (n == 0 || dropped < goal); n++) {
		struct rte_mbuf *m = flow_pop(q, f);
		dropped += rte_pktmbuf_pkt_len(m);
		count_drop(st, why);
		rte_pktmbuf_free(m);
	}
}

void fq_enqueue(struct fq *q, struct sl_qos_class_stats *st, struct rte_mbuf *m, uint32_t hash)
{
	uint32_t idx = hash & q->mask, len = rte_pktmbuf_pkt_len(m);
	struct fq_flow *f = &q->flows[idx];
	*qos_next(m) = NULL;
	if (f->tail == NULL)
		f->head = m;
	else
		*qos_next(f->tail) = m;
	f->tail = m;
	f->packets++;
	f->bytes += len;
	q->packets++;
	q->bytes += len;
	if (len > q->maxpacket)
		q->maxpacket = len;
	if (f->list == FQ_LIST_NONE) {
		f->list = FQ_LIST_NEW;
		f->deficit = (int32_t)q->quantum;
		list_append(q, &q->new_head, &q->new_tail, idx);
	}
	if (q->packets > q->limit)
		drop_from_fattest(q, st, SL_QOS_DROP_OVERLIMIT);
	else if (q->bytes > q->memory)
		drop_from_fattest(q, st, SL_QOS_DROP_MEMORY);
}

/* ---- CoDel ---------------------------------------------------------------- */

/* Set CE on an ECN-capable packet (its L2 header already written). False
 * when it is not ECN-capable. */
static bool ecn_mark(struct rte_mbuf *m)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	if (rte_pktmbuf_data_len(m) < meta->l2_len + 40u)
		return false;
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l2_len);
	if (meta->l3_type == SL_L3_IPV4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;
		if ((h->type_of_service & 3) == 0)
			return false;
		if ((h->type_of_service & 3) == 3)
			return true;
		uint16_t old = *(uint16_t *)ip;
		h->type_of_service |= 3;
		h->hdr_checksum = sl_cksum_update16(h->hdr_checksum, old, *(uint16_t *)ip);
		return true;
	}
	if (meta->l3_type != SL_L3_IPV6)
		return false;
	/* Traffic class: the low nibble of byte 0 and the high nibble of
	 * byte 1; ECN is its two low bits (no checksum covers them). */
	if ((ip[1] & 0x30) == 0)
		return false;
	ip[1] |= 0x30;
	return true;
}

static uint64_t control_law(const struct fq *q, uint64_t t, uint32_t count)
{
	return t + (uint64_t)((double)q->interval / sqrt((double)count));
}

/* Whether the flow's head @p m waited too long, by CoDel's rules. */
static bool should_drop(struct fq *q, struct fq_flow *f, struct rte_mbuf *m, uint64_t now)
{
	if (m == NULL) {
		f->cd.first_above = 0;
		return false;
	}
	/* Its bytes already left the flow: what stays behind judges "one packet". */
	if (qos_sojourn(m, now) < q->target || f->bytes <= q->maxpacket) {
		f->cd.first_above = 0;
		return false;
	}
	if (f->cd.first_above == 0) {
		f->cd.first_above = now + q->interval;
		return false;
	}
	return now >= f->cd.first_above;
}

/* Drop @p m, or mark it and keep it: true when it is to be sent. */
static bool drop_or_mark(struct fq *q, struct sl_qos_class_stats *st, struct rte_mbuf *m)
{
	if (q->ecn && ecn_mark(m)) {
		st->ecn_marks++;
		return true;
	}
	count_drop(st, SL_QOS_DROP_CODEL);
	rte_pktmbuf_free(m);
	return false;
}

static struct rte_mbuf *codel_dequeue(struct fq *q, struct fq_flow *f,
				      struct sl_qos_class_stats *st, uint64_t now)
{
	struct codel *cd = &f->cd;
	struct rte_mbuf *m = flow_pop(q, f);
	bool drop = should_drop(q, f, m, now);
	if (m == NULL) {
		cd->dropping = false;
		return NULL;
	}
	if (cd->dropping) {
		if (!drop) {
			cd->dropping = false;
			return m;
		}
		while (now >= cd->drop_next && cd->dropping) {
			cd->count++;
			if (drop_or_mark(q, st, m)) {
				cd->drop_next = control_law(q, cd->drop_next, cd->count);
				return m;
			}
			m = flow_pop(q, f);
			if (!should_drop(q, f, m, now))
				cd->dropping = false;
			else
				cd->drop_next = control_law(q, cd->drop_next, cd->count);
		}
		return m;
	}
	if (drop) {
		bool sent = drop_or_mark(q, st, m);
		if (!sent) {
			m = flow_pop(q, f);
			should_drop(q, f, m, now);
		}
		cd->dropping = true;
		/* Recently dropping: start from where the last state left off. */
		uint32_t delta = cd->count - cd->lastcount;
		cd->count = delta > 1 && now - cd->drop_next < 16 * q->interval ? delta : 1;
		cd->lastcount = cd->count;
		cd->drop_next = control_law(q, now, cd->count);
	}
	return m;
}

/* The leaf is empty: every flow leaves the lists. (Visiting them one by one
 * would end the same way; with no other flow waiting, none of them can take
 * a turn from another by coming back as new.) */
static void lists_clear(struct fq *q)
{
	uint32_t *heads[2] = {&q->new_head, &q->old_head};
	for (unsigned l = 0; l < 2; l++) {
		for (uint32_t i = *heads[l]; i != QOS_NONE; i = q->flows[i].next)
			q->flows[i].list = FQ_LIST_NONE;
	}
	q->new_head = q->new_tail = q->old_head = q->old_tail = QOS_NONE;
}

struct rte_mbuf *fq_dequeue(struct fq *q, struct sl_qos_class_stats *st, uint64_t now)
{
	for (;;) {
		bool from_new = q->new_head != QOS_NONE;
		uint32_t *head = from_new ? &q->new_head : &q->old_head;
		uint32_t *tail = from_new ? &q->new_tail : &q->old_tail;
		if (*head == QOS_NONE)
			return NULL;
		uint32_t idx = *head;
		struct fq_flow *f = &q->flows[idx];
		if (f->deficit <= 0) {
			/* Its turn is over: more credit, to the end of the old list. */
			f->deficit += (int32_t)q->quantum;
			list_pop(q, head, tail);
			f->list = FQ_LIST_OLD;
			list_append(q, &q->old_head, &q->old_tail, idx);
			continue;
		}
		struct rte_mbuf *m = codel_dequeue(q, f, st, now);
		if (m == NULL && q->packets == 0) {
			lists_clear(q);
			return NULL;
		}
		if (m == NULL) {
			list_pop(q, head, tail);
			/* A new flow that emptied goes to the old list once, so it
			 * cannot come back as new at once and starve the others. */
			if (from_new && q->old_head != QOS_NONE) {
				f->list = FQ_LIST_OLD;
				list_append(q, &q->old_head, &q->old_tail, idx);
			} else {
				f->list = FQ_LIST_NONE;
			}
			continue;
		}
		f->deficit -= (int32_t)rte_pktmbuf_pkt_len(m);
		if (q->packets == 0)
			lists_clear(q);
		return m;
	}
}

/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the class tree (sl_qos_htb.c) and the leaves' queues (sl_qos_fqcodel.c). */
#ifndef SL_QOS_PRIV_H
#define SL_QOS_PRIV_H

#include "sl_pkt.h"
#include "sl_qos.h"

#define QOS_NONE UINT32_MAX

/* CoDel's state for one flow (RFC 8289). Times in TSC cycles. */
struct codel {
	uint64_t first_above;       /* when the sojourn may be judged too long; 0: below */
	uint64_t drop_next;         /* when dropping, the next drop */
	uint32_t count, lastcount;  /* drops in this dropping state, and in the last one */
	bool dropping;
};

struct fq_flow {
	struct rte_mbuf *head, *tail;
	uint32_t packets, bytes;
	int32_t deficit;
	uint32_t next;              /* on the new or old list */
	uint8_t list;               /* FQ_LIST_* */
	struct codel cd;
};

enum { FQ_LIST_NONE, FQ_LIST_NEW, FQ_LIST_OLD };

/* One leaf's FQ-CoDel queue. */
struct fq {
	uint32_t mask;              /* flows - 1 */
	struct fq_flow *flows;
	uint32_t new_head, new_tail, old_head, old_tail;
	uint32_t packets, bytes;
	uint32_t limit, memory, quantum;
	uint32_t maxpacket;         /* the largest packet seen: CoDel's "one packet's worth" */
	uint64_t target, interval;  /* TSC cycles */
	bool ecn;
};

int fq_init(struct fq *q, const struct sl_qos_class_conf *c, uint64_t hz, int socket);
void fq_free(struct fq *q);
/* Queue @p m (its qos_time set) in flow @p hash; drops what must go to make room. */
void fq_enqueue(struct fq *q, struct sl_qos_class_stats *st, struct rte_mbuf *m, uint32_t hash);
/* The next packet by FQ-CoDel, NULL when empty; CoDel's drops counted and freed. */
struct rte_mbuf *fq_dequeue(struct fq *q, struct sl_qos_class_stats *st, uint64_t now);

/* Sojourn of @p m at @p now (TSC cycles), from its enqueue time. */
static inline uint64_t qos_sojourn(const struct rte_mbuf *m, uint64_t now)
{
	uint32_t then = sl_pkt_meta((struct rte_mbuf *)(uintptr_t)m)->qos_time;
	return (uint64_t)(uint32_t)((uint32_t)(now >> SL_QOS_TIME_SHIFT) - then) << SL_QOS_TIME_SHIFT;
}

static inline struct rte_mbuf **qos_next(struct rte_mbuf *m)
{
	return &sl_pkt_meta(m)->qnext;
}

#endif

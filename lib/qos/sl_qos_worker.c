/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QoS in a worker's loop.
 *
 * Each shaped port has one scheduler owner, worker (port index mod
 * workers), which alone touches its scheduler: one rate, held exactly,
 * whichever worker a packet arrived on. Every worker classifies what
 * leaves by a shaped port after its L2 rewrite (leaf, flow hash, DSCP); the
 * owner queues its own packets directly, the others pass theirs through
 * one ring per (worker, port). The owner's service step, every iteration:
 * the rings into the scheduler, then what the scheduler lets go to its TX
 * queue, as much as the queue takes: what it refuses waits for the next
 * iteration, never dropped.
 */
#include <string.h>

#include <rte_ethdev.h>
#include <rte_ring.h>

#include "qos_priv.h"

#define DRAIN_MAX 64

uint16_t sl_qos_stage(struct sl_qos_worker *w, struct sl_qos_port *const *ports,
		      struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	struct rte_mbuf *shaped[n > 0 ? n : 1];
	uint16_t keep = 0, k = 0;
	uint64_t shaped_ports = 0;
	for (uint16_t i = 0; i < n; i++) {
		uint16_t out = sl_pkt_meta(pkts[i])->out_port;
		if (out < SL_MAX_PORTS && ports[out] != NULL) {
			shaped[k++] = pkts[i];
			shaped_ports |= 1ull << out;
		} else {
			pkts[keep++] = pkts[i];
		}
	}
	for (; shaped_ports != 0; shaped_ports &= shaped_ports - 1) {
		unsigned port = (unsigned)__builtin_ctzll(shaped_ports);
		struct sl_qos_port *p = ports[port];
		struct rte_mbuf *mine[k];
		uint16_t m = 0;
		for (uint16_t i = 0; i < k; i++)
			if (sl_pkt_meta(shaped[i])->out_port == port)
				mine[m++] = shaped[i];
		sl_qos_classify(p, mine, m);
		if (p->owner == w->index) {
			for (uint16_t i = 0; i < m; i++)
				sl_qos_enqueue(p->sched, sl_pkt_meta(mine[i])->qos_leaf, mine[i],
					       sl_pkt_meta(mine[i])->hash, now);
			continue;
		}
		for (uint16_t i = 0; i < m; i++)
			sl_pkt_meta(mine[i])->qos_time = p->tree_id;   /* whose leaf numbers */
		unsigned sent = rte_ring_sp_enqueue_burst(w->to[port], (void **)mine, m, NULL);
		for (unsigned i = sent; i < m; i++) {
			sl_qos_count_lost(p->sched, w->index, sl_pkt_meta(mine[i])->qos_leaf);
			sl_stats_drop(w->st, mine[i], SL_DROP_QOS_HANDOFF_FULL);
		}
	}
	return keep;
}

/* Send what waits for port @p port's TX queue; the count it took. */
static uint16_t flush(struct sl_qos_worker *w, unsigned port)
{
	uint16_t n = w->n_pending[port];
	if (n == 0)
		return 0;
	struct rte_mbuf **q = w->pending[port];
	uint16_t sent = rte_eth_tx_burst(w->port_id[port], (uint16_t)w->index, q, n);
	for (uint16_t i = 0; i < sent; i++)
		w->st->port[port].tx_bytes += rte_pktmbuf_pkt_len(q[i]);
	w->st->port[port].tx_packets += sent;
	memmove(q, q + sent, (size_t)(n - sent) * sizeof(*q));
	w->n_pending[port] = (uint16_t)(n - sent);
	return sent;
}

/* Send @p n packets to port @p port's TX queue now, unshaped (shaping left
 * the port): counted as sent, or dropped as tx_full where the queue is full. */
static uint32_t send_now(struct sl_qos_worker *w, unsigned port, struct rte_mbuf **m, unsigned n)
{
	uint16_t sent = rte_eth_tx_burst(w->port_id[port], (uint16_t)w->index, m, (uint16_t)n);
	for (unsigned i = 0; i < sent; i++)
		w->st->port[port].tx_bytes += rte_pktmbuf_pkt_len(m[i]);
	w->st->port[port].tx_packets += sent;
	for (unsigned i = sent; i < n; i++) {
		w->st->port[port].tx_dropped++;
		sl_stats_drop(w->st, m[i], SL_DROP_TX_FULL);
	}
	return n;
}

/* The tree of port @p port changed under the owner: its queued packets
 * move to the new scheduler, by class name (or its default); with no new
 * tree, straight to the TX queue, as far as it takes them. */
static void migrate(struct sl_qos_worker *w, const struct sl_qos_port *to, unsigned port,
		    uint64_t now)
{
	const struct sl_qos_port *from = w->cur[port];
	struct rte_mbuf *m[DRAIN_MAX];
	uint16_t leaf[DRAIN_MAX], map[SL_QOS_MAX_CLASSES];
	unsigned n;
	/* Each old leaf's new one, looked up by name once, not per packet. */
	memset(map, 0xff, sizeof(map));
	while ((n = sl_qos_drain(from->sched, m, leaf, DRAIN_MAX)) > 0) {
		if (to == NULL) {
			send_now(w, port, m, n);
			continue;
		}
		for (unsigned i = 0; i < n; i++) {
			if (map[leaf[i]] == SL_QOS_NONE)
				map[leaf[i]] = sl_qos_port_map_leaf(from, leaf[i], to);
			sl_qos_enqueue(to->sched, map[leaf[i]], m[i], sl_pkt_meta(m[i])->hash, now);
		}
	}
}

/* The other workers' packets for port @p port, into its scheduler (@p p);
 * with no scheduler (shaping left the port meanwhile), straight out. */
static uint32_t take_handoffs(struct sl_qos_worker *w, const struct sl_qos_port *p,
			      unsigned port, uint64_t now)
{
	uint32_t moved = 0;
	for (unsigned from = 0; from < w->n_workers; from++) {
		struct rte_ring *r = w->from[port][from];
		struct rte_mbuf *m[DRAIN_MAX];
		unsigned n = r != NULL ? rte_ring_sc_dequeue_burst(r, (void **)m, DRAIN_MAX, NULL) : 0;
		if (p == NULL && n > 0) {
			moved += send_now(w, port, m, n);
			continue;
		}
		for (unsigned i = 0; i < n; i++) {
			struct sl_pkt_meta *meta = sl_pkt_meta(m[i]);
			/* Classified by another tree (a change in flight): the default. */
			uint16_t leaf = meta->qos_time == p->tree_id ? meta->qos_leaf : p->rule_leaf[0];
			sl_qos_enqueue(p->sched, leaf, m[i], meta->hash, now);
		}
		moved += n;
	}
	return moved;
}

uint32_t sl_qos_service(struct sl_qos_worker *w, struct sl_qos_port *const *ports, uint64_t now,
			bool *holding)
{
	uint32_t moved = 0;
	for (unsigned port = 0; port < SL_MAX_PORTS; port++) {
		const struct sl_qos_port *p = ports[port];
		if (p == NULL || p->owner != w->index) {
			if (w->cur[port] != NULL) {
				migrate(w, NULL, port, now);   /* shaping left this port (or owner) */
				__atomic_store_n(&w->cur[port], NULL, __ATOMIC_RELEASE);
			}
			if (p == NULL)
				moved += take_handoffs(w, NULL, port, now);
			moved += flush(w, port);
			*holding |= w->n_pending[port] != 0;
			continue;
		}
		if (w->cur[port] != NULL && w->cur[port]->sched != p->sched) {
			migrate(w, p, port, now);
			__atomic_store_n(&w->cur[port], p, __ATOMIC_RELEASE);
		}
		moved += take_handoffs(w, p, port, now);
		moved += flush(w, port);
		if (w->n_pending[port] == 0) {
			w->n_pending[port] = (uint16_t)sl_qos_dequeue(p->sched, w->pending[port],
								      SL_QOS_TX_BURST, now);
			moved += flush(w, port);
		}
		/* Remembered only while it holds packets: an idle owner may sleep
		 * through a change, and the old tree be freed meanwhile. */
		uint32_t backlog = sl_qos_backlog(p->sched);
		__atomic_store_n(&w->cur[port], backlog != 0 ? p : NULL, __ATOMIC_RELEASE);
		*holding |= backlog != 0 || w->n_pending[port] != 0;
	}
	return moved;
}

bool sl_qos_worker_holds(const struct sl_qos_worker *w, unsigned port,
			 const struct sl_qos_port *p)
{
	return port < SL_MAX_PORTS && __atomic_load_n(&w->cur[port], __ATOMIC_ACQUIRE) == p;
}

void sl_qos_worker_release(struct sl_qos_worker *w)
{
	for (unsigned port = 0; port < SL_MAX_PORTS; port++) {
		rte_pktmbuf_free_bulk(w->pending[port], w->n_pending[port]);
		w->n_pending[port] = 0;
	}
}

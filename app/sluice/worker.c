/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker loop: run to completion, one burst at a time.
 *
 *   for each of my RX queues:
 *     rx burst -> parse -> input (L2, punt ARP/ND) -> acl -> ratelimit ->
 *     flow (connections; a packet of another worker's connection is handed
 *     to it) -> route (FIB, TTL, MTU, ICMP; local-in dispatch) -> [tunnel]
 *     -> neighbor (L2 rewrite) -> qos (shaped ports: classified, queued to
 *     the port's scheduler) -> tx burst per egress port on my own TX queue
 *   service, every iteration: packets other workers handed to me (from the
 *     flow stage on), connection expiry and reuse, the QoS schedulers of the
 *     ports I own to their TX queues
 *   report an RCU quiescent state
 *
 * The bracketed stages are where later features plug in. Nothing here
 * locks, allocates from the C heap or makes a system call, except the
 * optional idle sleep after many empty polls (workers.idle_sleep).
 */
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "sl_log.h"
#include "sl_pkt.h"
#include "sluice.h"

#define IDLE_POLLS_BEFORE_SLEEP 256

/* Send @p k packets out of @p port; count what went, drop what did not. */
static uint16_t send_port(struct sl_worker *w, const struct sl_dp *dp, uint16_t port,
			  struct rte_mbuf **out, uint16_t k, uint64_t bytes)
{
	struct sl_lcore_stats *st = w->ip.st;
	uint16_t sent = rte_eth_tx_burst(dp->ip->ports[port].port_id, (uint16_t)w->index, out, k);
	for (uint16_t i = sent; i < k; i++) {
		bytes -= rte_pktmbuf_pkt_len(out[i]);
		st->port[port].tx_dropped++;
		sl_stats_drop(st, out[i], SL_DROP_TX_FULL);
	}
	st->port[port].tx_packets += sent;
	st->port[port].tx_bytes += bytes;
	return sent;
}

/*
 * Send to each egress port in one burst; what a full queue refuses is
 * dropped. Returns the TSC after sending (the latency sample's end).
 */
static uint64_t transmit(struct sl_worker *w, const struct sl_dp *dp, struct rte_mbuf **pkts,
		     uint16_t n, uint64_t rx_tsc)
{
	struct rte_mbuf *out[SL_BURST_MAX];
	uint16_t done = 0;
	uint64_t mask = 0, all_bytes = 0;
	for (uint16_t i = 0; i < n; i++) {
		mask |= 1ULL << sl_pkt_meta(pkts[i])->out_port;
		all_bytes += rte_pktmbuf_pkt_len(pkts[i]);
	}
	if (n > 0 && (mask & (mask - 1)) == 0) {
		/* The common case: one egress port, the burst goes as it is. */
		done = send_port(w, dp, (uint16_t)__builtin_ctzll(mask), pkts, n, all_bytes);
		mask = 0;
	}
	for (uint16_t port = 0; mask != 0; port++, mask >>= 1) {
		if (!(mask & 1))
			continue;
		uint16_t k = 0;
		uint64_t bytes = 0;
		for (uint16_t i = 0; i < n; i++) {
			if (sl_pkt_meta(pkts[i])->out_port == port) {
				out[k++] = pkts[i];
				bytes += rte_pktmbuf_pkt_len(pkts[i]);
			}
		}
		done += send_port(w, dp, port, out, k, bytes);
	}
	uint64_t end = rte_rdtsc();
	if (done)
		sl_stats_latency(w->ip.st, end - rx_tsc, done);
	return end;
}

/* Answers a stage built for what it refused (resets, ICMP errors, SYN
 * cookies), already routed: L2 rewrite, a shaped port's scheduler like any
 * packet (a flood's answers count against its rate), and out. */
static void send_answers(struct sl_worker *w, const struct sl_dp *dp, struct rte_mbuf **answers,
			 uint16_t n, uint64_t now)
{
	if (n == 0)
		return;
	n = sl_wg_out_burst(&w->wg, answers, n, now);
	n = sl_ipstack_neighbor_burst(&w->ip, answers, n, now);
	if (dp->qos_on)
		n = sl_qos_stage(&w->qos, dp->qos, answers, n, now);
	transmit(w, dp, answers, n, now);
}

/* From the flow stage on: where handed-off packets join. */
static uint64_t from_flow(struct sl_worker *w, const struct sl_dp *dp, struct rte_mbuf **pkts,
			  uint16_t n, uint64_t now)
{
	if (dp->flow_on) {
		n = sl_flow_pre_burst(&w->flow, &dp->flow, pkts, n, now);
		/* Resets for SYNs over their source's connection limit. */
		send_answers(w, dp, w->flow.answers, w->flow.n_answers, now);
		w->flow.n_answers = 0;
	}
	n = sl_ipstack_route_burst(&w->ip, pkts, n, now);
	if (dp->flow_on)
		n = sl_flow_post_burst(&w->flow, &dp->flow, pkts, n, now);
	/* Into a WireGuard interface: encrypted, the outer packet routed. */
	n = sl_wg_out_burst(&w->wg, pkts, n, now);
	n = sl_ipstack_neighbor_burst(&w->ip, pkts, n, now);
	/* QoS takes packets with their L2 header written: what its scheduler
	 * lets go goes straight to the TX queue. */
	if (dp->qos_on)
		n = sl_qos_stage(&w->qos, dp->qos, pkts, n, now);
	return transmit(w, dp, pkts, n, now);
}

/* One RX burst through the pipeline. Returns the TSC after its TX. */
static uint64_t process(struct sl_worker *w, const struct sl_dp *dp, struct rte_mbuf **pkts,
		    uint16_t n, uint16_t port, uint64_t now)
{
	const struct sl_pkt_parse_ctx rx = {.st = w->ip.st, .in_port = port};
	uint16_t ok = sl_pkt_parse_burst(&rx, pkts, n, now);
	sl_pkt_drop_rejects(w->ip.st, pkts + ok, (uint16_t)(n - ok));
	n = sl_ipstack_input_burst(&w->ip, pkts, ok, now);
	/* WireGuard's listen ports: the inner packets go on from here. */
	n = sl_wg_in_burst(&w->wg, pkts, n, now);
	if (dp->acl != NULL) {
		struct rte_mbuf *answers[SL_BURST_MAX];
		uint16_t n_answers;
		w->acl.rlp = &dp->rl;
		n = sl_acl_burst(dp->acl, &w->acl, pkts, n, answers, &n_answers, now);
		/* Resets and ICMP errors for what a rule rejects. */
		send_answers(w, dp, answers, n_answers, now);
	}
	if (w->rl != NULL && sl_rl_needed(w->rl, &dp->rl))
		n = sl_rl_burst(w->rl, &dp->rl, w->ip.st, pkts, n, now);
	return from_flow(w, dp, pkts, n, now);
}

/*
 * Work that does not wait for a received packet: what other workers handed
 * to this one, and the connection table's housekeeping. Returns the packets
 * it moved (0: the iteration stays idle) and sets *end after their TX;
 * *holding when packets wait in a shaped port's scheduler (no sleeping).
 */
static uint32_t service(struct sl_worker *w, const struct sl_dp *dp, struct rte_mbuf **pkts,
			uint64_t now, uint64_t *end, bool *holding)
{
	/* Shaped ports' schedulers, even with nothing received (and after a
	 * QoS section went away: what they held still leaves). */
	uint32_t got = sl_qos_service(&w->qos, dp->qos, now, holding);
	if (got > 0)
		*end = rte_rdtsc();     /* their TX is this iteration's work */
	if (w->flow.t == NULL)
		return got;
	/* The management lcore's own packets (health probes). */
	uint16_t n = rte_ring_sc_dequeue_burst(w->inject, (void **)pkts, dp->burst, NULL);
	if (n > 0) {
		got = n;
		*end = from_flow(w, dp, pkts, n, now);
	}
	n = sl_flow_handoff_take(&w->flow, pkts, dp->burst);
	if (n > 0) {
		got += n;
		*end = from_flow(w, dp, pkts, n, now);
	}
	w->flow.sources = dp->flow.sources;
	sl_flow_service(&w->flow, now);
	return got;
}

static void idle_sleep(uint32_t us)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)us * 1000};
	nanosleep(&ts, NULL);
}

int sl_worker_main(void *arg)
{
	struct sl_worker *w = arg;
	struct sl_app *app = &sl_app;
	struct sl_lcore_stats *st = w->ip.st;
	struct rte_mbuf *pkts[SL_BURST_MAX];
	unsigned idle = 0;
	uint64_t prev = rte_rdtsc();

	rte_rcu_qsbr_thread_register(app->qsv, w->index);
	rte_rcu_qsbr_thread_online(app->qsv, w->index);
	SL_LOG(INFO, "worker", "worker %u on lcore %u polling %u RX queues",
	       w->index, w->lcore_id, w->n_rxq);

	while (!__atomic_load_n(&app->quit, __ATOMIC_RELAXED)) {
		const struct sl_dp *dp = sl_dp_current(app);
		uint64_t now = rte_rdtsc();
		uint64_t end = 0;
		uint32_t got = 0;
		bool holding = false;
		w->ip.t = dp->ip;
		w->flow.local_arg = dp->ip;
		for (uint16_t q = 0; q < w->n_rxq; q++) {
			const struct sl_rxq *rq = &w->rxq[q];
			uint16_t n = rte_eth_rx_burst(rq->port_id, rq->queue, pkts, dp->burst);
			if (n == 0)
				continue;
			got += n;
			end = process(w, dp, pkts, n, rq->port, now);
		}
		got += service(w, dp, pkts, now, &end, &holding);
		rte_rcu_qsbr_quiescent(app->qsv, w->index);

		/* A busy iteration ends at its last TX (empty polls after it count
		 * toward the next one): one TSC read fewer per burst. */
		if (end == 0)
			end = rte_rdtsc();
		st->polls++;
		st->total_cycles += end - prev;
		if (got)
			st->busy_cycles += end - now;
		prev = end;
		if (got || holding) {
			idle = 0;
		} else if (dp->idle_sleep_us && ++idle >= IDLE_POLLS_BEFORE_SLEEP) {
			/* Off the packet path: nothing arrived for a while. */
			rte_rcu_qsbr_thread_offline(app->qsv, w->index);
			idle_sleep(dp->idle_sleep_us);
			rte_rcu_qsbr_thread_online(app->qsv, w->index);
		}
	}
	rte_rcu_qsbr_thread_offline(app->qsv, w->index);
	rte_rcu_qsbr_thread_unregister(app->qsv, w->index);
	return 0;
}

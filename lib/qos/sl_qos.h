/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * QoS: one egress port's scheduler, a class tree with HTB's semantics and
 * FQ-CoDel (RFC 8290) in every leaf.
 *
 * Classes (as Linux's sch_htb): each has a guaranteed `rate` and a `ceil`
 * it may borrow up to, kept as two token buckets measured in TSC cycles of
 * sending time (a packet of B wire bytes costs B * 8 / rate seconds). A
 * class is green while both buckets hold tokens, yellow while only the
 * ceiling's does (it may borrow), red when the ceiling's is empty. A leaf
 * sends on its own rate while green; a yellow leaf borrows from its nearest
 * green ancestor, through yellow ones. Among the leaves that may send, those
 * on their own rate go first, then those borrowing from the lowest
 * ancestor; at each of these levels the lowest `prio` first, and deficit
 * round robin by `quantum` among equals. Sending charges the leaf and its
 * ancestors: every class's ceiling bucket, and the rate buckets of the
 * lender and the classes above it (those below it borrowed).
 *
 * A leaf's queue is FQ-CoDel: packets hashed into flows (the caller's hash),
 * new flows served before old ones, deficit round robin by the leaf's
 * `fq_quantum`, CoDel on each flow's sojourn time (RFC 8289), with ECN
 * marks instead of drops for ECN-capable packets when enabled; past `limit`
 * packets or `memory` bytes, the fattest flow loses packets from its head.
 *
 * Packets wait linked through their meta (sl_pkt_meta.qnext); their enqueue
 * time is meta->qos_time (TSC >> SL_QOS_TIME_SHIFT).
 *
 * Threads: one scheduler belongs to one thread (the port's scheduler
 * owner); nothing here is shared. Statistics are read racily by the
 * management lcore.
 */
#ifndef SL_QOS_H
#define SL_QOS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "sl_stats.h"

#define SL_QOS_MAX_CLASSES 64       /**< per port, the root included */
#define SL_QOS_MAX_DEPTH 8          /**< levels below the root */
#define SL_QOS_PRIOS 8              /**< prio 0 (first) .. 7 */
#define SL_QOS_TIME_SHIFT 10        /**< meta->qos_time = TSC >> 10 */
#define SL_QOS_NONE UINT16_MAX
#define SL_QOS_MAX_WORKERS 32       /**< workers that may hand packets to an owner */
#define SL_QOS_TX_BURST 64          /**< packets an owner dequeues for TX at a time */

/** A class as the configuration gives it (rates in bits per second on the wire). */
struct sl_qos_class_conf {
	uint16_t parent;            /**< index of its parent; SL_QOS_NONE for the root */
	uint64_t rate;              /**< guaranteed, bit/s */
	uint64_t ceil;              /**< at most (>= rate), bit/s */
	uint32_t burst, cburst;     /**< bytes the rate / ceiling buckets hold */
	uint8_t prio;               /**< 0..7, lower first */
	uint32_t quantum;           /**< bytes a turn among equals (DRR) */
	/* Leaves: FQ-CoDel. */
	uint32_t flows;             /**< flow queues (a power of two) */
	uint32_t limit;             /**< packets queued at most */
	uint32_t memory;            /**< bytes of packets queued at most */
	uint32_t fq_quantum;        /**< bytes a flow sends a turn */
	uint32_t target_us, interval_us;
	bool ecn;                   /**< mark ECN-capable packets rather than drop them */
};

/** One port's tree: class 0 is the root, with the link's rate. */
struct sl_qos_conf {
	uint16_t n_classes;
	uint16_t overhead;          /**< bytes added to each frame's length on the wire */
	struct sl_qos_class_conf classes[SL_QOS_MAX_CLASSES];
};

/** Why the scheduler dropped a packet. */
enum sl_qos_drop {
	SL_QOS_DROP_OVERLIMIT,      /**< the leaf's packet limit: from its fattest flow */
	SL_QOS_DROP_MEMORY,         /**< the leaf's memory limit: from its fattest flow */
	SL_QOS_DROP_CODEL,          /**< CoDel: the flow's sojourn stayed above target */
	SL_QOS_DROP_FLOW_FULL,      /**< no room on the way to the port's scheduler (the
				     *   ring from another worker to its owner) */
	SL_QOS_DROP_REASONS
};

/** A class's counters (owner-written; read racily). */
struct sl_qos_class_stats {
	uint64_t packets, bytes;    /**< sent (bytes: frame bytes, without overhead) */
	uint64_t drops[SL_QOS_DROP_REASONS];
	uint64_t ecn_marks;
	uint64_t overlimits;        /**< times it was picked while over its rate or ceiling */
	uint64_t borrowed;          /**< packets it sent on a parent's tokens */
	uint32_t backlog_packets, backlog_bytes;
	/* Sojourn times of the packets sent, log2 buckets of microseconds:
	 * [0] < 1 us, [i] < 2^i us, the last: longer. */
	uint64_t sojourn[24];
};

struct sl_qos_sched;

/** Whether class @p k of @p q is a leaf (not the root, no class's parent). */
bool sl_qos_conf_is_leaf(const struct sl_qos_conf *q, uint16_t k);

/**
 * Check @p conf: a tree (the root first, parents before children), rates
 * within ceilings, children's rates within their parent's ceiling. 0, or
 * -EINVAL with @p err naming the class index and the problem.
 */
int sl_qos_conf_check(const struct sl_qos_conf *conf, char *err, size_t err_len);

/** A scheduler for @p conf on a TSC of @p hz. NULL on a bad conf or no memory. */
struct sl_qos_sched *sl_qos_sched_create(const struct sl_qos_conf *conf, uint64_t hz,
					 int socket);
/** Free it and every packet it holds. */
void sl_qos_sched_free(struct sl_qos_sched *s);

/**
 * Queue @p m in leaf @p leaf, flow @p hash, at TSC @p now. The scheduler
 * owns it from then on (it may drop it, or another packet of the leaf, to
 * make room: counted). @p leaf must be a leaf.
 */
void sl_qos_enqueue(struct sl_qos_sched *s, uint16_t leaf, struct rte_mbuf *m, uint32_t hash,
		    uint64_t now);

/**
 * Up to @p max packets that may leave at TSC @p now, in order. Fewer when
 * the classes with packets are over their rates; CoDel's drops are counted
 * and freed on the way.
 */
unsigned sl_qos_dequeue(struct sl_qos_sched *s, struct rte_mbuf **out, unsigned max,
			uint64_t now);

/** Packets queued in all leaves. */
uint32_t sl_qos_backlog(const struct sl_qos_sched *s);

/** Class @p idx's counters. Its drops[SL_QOS_DROP_FLOW_FULL] stays 0: other
 * workers count those (sl_qos_class_drops sums them in). */
const struct sl_qos_class_stats *sl_qos_stats(const struct sl_qos_sched *s, uint16_t idx);

/** Packets class @p idx dropped for @p why, whoever counted them. */
uint64_t sl_qos_class_drops(const struct sl_qos_sched *s, uint16_t idx, enum sl_qos_drop why);

/**
 * A packet of leaf @p leaf that worker @p worker could not hand to the
 * scheduler's owner (SL_QOS_DROP_FLOW_FULL). Thread: that worker; each
 * worker has its own counters in the scheduler.
 */
void sl_qos_count_lost(struct sl_qos_sched *s, unsigned worker, uint16_t leaf);

/** Name of a drop reason for metrics ("overlimit", "codel", ...). */
const char *sl_qos_drop_name(enum sl_qos_drop why);

/** Every packet it holds, regardless of rates (a tree being replaced): up to
 * @p max, each with its leaf in @p leaf. */
unsigned sl_qos_drain(struct sl_qos_sched *s, struct rte_mbuf **out, uint16_t *leaf,
		      unsigned max);

/* ---- A port's shaping, as a data-plane snapshot holds it (sl_qos_port.c) ---- */

struct sl_config;
struct sl_pset;
struct sl_acl;

/**
 * One port's QoS compiled from the configuration: the scheduler's tree
 * (classes in an order with parents first), the classifier (the classes'
 * match rules through the ACL's matcher), DSCP rewrites, and the scheduler
 * itself, which belongs to the port's owner worker.
 */
struct sl_qos_port {
	uint16_t port;                      /**< sluice port index */
	unsigned owner;                     /**< the worker that schedules it */
	struct sl_qos_conf conf;
	struct sl_qos_sched *sched;
	bool owns_sched;                    /**< freed with it (else a later snapshot's now) */
	struct sl_acl *matcher;             /**< NULL: no match rules */
	uint32_t n_rules;
	uint16_t *rule_leaf;                /**< [n_rules + 1]: [0] the default leaf */
	int8_t dscp[SL_QOS_MAX_CLASSES];    /**< by class: the DSCP to write, -1 none */
	char names[SL_QOS_MAX_CLASSES][16]; /**< by class; the root: "root" */
	uint32_t perturb;                   /**< the flow hash's seed, drawn at build */
	uint32_t tree_id;                   /**< the same while the tree (and scheduler) is */
};

/**
 * Compile qos.ports[@p idx] of @p cfg (its sets @p sets) for a TSC of @p hz,
 * scheduled by worker @p owner. NULL with @p err on failure.
 */
struct sl_qos_port *sl_qos_port_build(const struct sl_config *cfg, unsigned idx,
				      struct sl_pset *const *sets, unsigned owner, uint64_t hz,
				      int socket, char *err, size_t err_len);
void sl_qos_port_free(struct sl_qos_port *p);

/** Whether @p a and @p b have the same tree (a scheduler may pass from one to the other). */
bool sl_qos_port_same_tree(const struct sl_qos_port *a, const struct sl_qos_port *b);

/**
 * Classify @p n packets leaving by @p p's port: the leaf in meta->qos_leaf,
 * the flow hash (5-tuple) in meta->hash, the class's DSCP written. Thread: any worker.
 */
void sl_qos_classify(const struct sl_qos_port *p, struct rte_mbuf **pkts, uint16_t n);

/** The leaf of @p to named like leaf @p leaf of @p from, or @p to's default. */
uint16_t sl_qos_port_map_leaf(const struct sl_qos_port *from, uint16_t leaf,
			      const struct sl_qos_port *to);

/* ---- A worker's side of QoS (sl_qos_worker.c) ---------------------------- */

/**
 * One worker's QoS state: its rings to the owners of the ports it does not
 * schedule, the rings into the ones it does, and what it dequeued that
 * the TX queue has not taken yet. The application makes the rings (one per
 * worker and port, to the port's owner) and sets the port ids.
 */
struct sl_qos_worker {
	unsigned index, n_workers;
	struct sl_lcore_stats *st;                 /**< its drops and ports' TX counts */
	uint16_t port_id[SL_MAX_PORTS];            /**< the DPDK port of each sluice port */
	struct rte_ring *to[SL_MAX_PORTS];         /**< to each port's owner; NULL: mine */
	struct rte_ring *from[SL_MAX_PORTS][SL_QOS_MAX_WORKERS]; /**< as owner: from each */
	const struct sl_qos_port *cur[SL_MAX_PORTS]; /**< as owner: the tree it holds packets of */
	uint16_t n_pending[SL_MAX_PORTS];
	struct rte_mbuf *pending[SL_MAX_PORTS][SL_QOS_TX_BURST]; /**< dequeued, not yet sent */
};

/**
 * The qos stage: packets of @p pkts leaving by a shaped port (@p ports, by
 * sluice port; NULL: not shaped) are classified and queued in their port's
 * scheduler, directly or through the ring to its owner; the others stay,
 * in order. Returns how many stay.
 */
uint16_t sl_qos_stage(struct sl_qos_worker *w, struct sl_qos_port *const *ports,
		      struct rte_mbuf **pkts, uint16_t n, uint64_t now);

/**
 * Every loop iteration: for each port it owns, the other workers' packets
 * into the scheduler and what may leave to the TX queue (what the queue
 * refuses waits); a tree that changed takes over the old one's packets.
 * Returns the packets it took in or sent; sets *@p holding when packets
 * wait in it (for tokens or for the TX queue): the worker must keep
 * polling, though it did no work.
 */
uint32_t sl_qos_service(struct sl_qos_worker *w, struct sl_qos_port *const *ports, uint64_t now,
			bool *holding);

/** Whether @p w still holds packets of @p p for @p port (so @p p must not be freed). */
bool sl_qos_worker_holds(const struct sl_qos_worker *w, unsigned port,
			 const struct sl_qos_port *p);

/** Free what it has dequeued and not sent (at exit). */
void sl_qos_worker_release(struct sl_qos_worker *w);

#endif /* SL_QOS_H */

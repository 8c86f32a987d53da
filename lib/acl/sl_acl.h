/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_ACL_H
#define SL_ACL_H

/**
 * @file
 * The acl stage: ordered rules ("acl" in the config) compiled with DPDK's
 * rte_acl into one trie per family, classified a burst at a time, before
 * any NAT (packets as they arrived). The first matching rule decides:
 * allow, deny (dropped, acl_deny) or reject (dropped, acl_reject, and
 * answered with a TCP reset or ICMP "administratively prohibited" within
 * the ICMP error budget). Each rule counts packets and bytes per worker.
 *
 * Threads: sl_acl_build, sl_acl_carry, sl_acl_free and the readers of
 * counters run on the management lcore; sl_acl_burst on a worker, which
 * writes only its own counters. A compiled ACL belongs to one data-plane
 * snapshot and is freed after its grace period.
 */
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_mbuf.h>

#include "sl_config.h"
#include "sl_ipstack.h"
#include "sl_prefixset.h"
#include "sl_ratelimit.h"
#include "sl_stats.h"

struct rte_acl_ctx;

struct sl_acl_counter {
	uint64_t packets, bytes;
};

struct sl_acl {
	struct rte_acl_ctx *ctx4, *ctx6;  /**< NULL: no rule of that family */
	uint32_t n_rules;
	uint8_t *actions;                 /**< [n_rules + 1]; [0] the default */
	uint8_t *levels;                  /**< [n_rules + 1]: the rate-limit level an allow sets */
	const struct sl_config_acl_rule *rules; /**< the snapshot's config, [n_rules] */
	unsigned n_workers;
	struct sl_acl_counter **count;    /**< [worker][n_rules + 1], each worker's own lines */
	struct sl_acl_counter *base;      /**< [n_rules + 1]: carried from earlier compilations */
	uint8_t zone_bit[SL_MAX_PORTS];   /**< 1 << the zone of each port */
	uint32_t src_sets, dst_sets;      /**< bits of the sets rules name for each address */
	struct sl_pset *sets[SL_CONFIG_MAX_SETS]; /**< the snapshot's, by index in "sets" */
	uint64_t compile_us;              /**< how long building the tries took */
};

/**
 * Compile @p cfg's ACL for @p n_workers workers, its rules' sets being
 * @p sets (by index in cfg->sets; they outlive the ACL); NULL when the ACL
 * has nothing to do (no section, or no rule and "default": "allow"), or on
 * failure with @p err set (then *failed is true).
 */
struct sl_acl *sl_acl_build(const struct sl_config *cfg, struct sl_pset *const *sets,
			    unsigned n_workers, int socket, bool *failed, char *err, size_t err_len);

void sl_acl_free(struct sl_acl *acl);

/**
 * Carry the counts of @p old's rules into @p next's rules that are the
 * same (by name when named, else by content), so counters survive a
 * change elsewhere. Call once @p old is out of the workers' hands (after
 * its grace period); either may be NULL.
 */
void sl_acl_carry(struct sl_acl *next, const struct sl_acl *old);

/** Rule @p i's totals (0: the default): carried plus every worker's. */
struct sl_acl_counter sl_acl_rule_total(const struct sl_acl *acl, uint32_t i);

/** Per-worker state of the stage. */
struct sl_acl_worker {
	unsigned worker;                  /**< its line in the counters */
	struct sl_ipstack_worker *ip;     /**< for answers to rejects */
	struct sl_rl_table *rl;           /**< sources: a denial counts against its source's
					       reputation; NULL: none */
	const struct sl_rl_policy *rlp;   /**< the snapshot's, set before each burst */
};

/**
 * Decide @p n parsed IPv4/IPv6 packets. Returns how many continue (allowed,
 * in order, at the front of @p pkts). Answers to rejects go to @p replies
 * (room for @p n), routed, their count in *n_replies.
 */
uint16_t sl_acl_burst(struct sl_acl *acl, struct sl_acl_worker *w, struct rte_mbuf **pkts,
		      uint16_t n, struct rte_mbuf **replies, uint16_t *n_replies, uint64_t now);

/**
 * The reference matcher: rule number + 1 of the first of @p cfg's rules
 * that matches parsed packet @p m, or 0. A loop over the rules (and over
 * the entries of @p sets), for tests and the fuzzer to hold the tries and
 * the LPMs against. Thread: management (the sets' entries).
 */
uint32_t sl_acl_match_linear(const struct sl_config *cfg, struct sl_pset *const *sets,
			     struct rte_mbuf *m);

/**
 * A matcher over @p rules alone (their actions and levels unused, no
 * counters): the same fields, tries and sets as the stage, for another
 * stage's classification (QoS). It keeps no pointer to @p rules. NULL with
 * @p err on failure.
 */
struct sl_acl *sl_acl_matcher_build(const struct sl_config_acl_rule *rules, unsigned n_rules,
				    const struct sl_config *cfg, struct sl_pset *const *sets,
				    int socket, char *err, size_t err_len);

/** The first matching rule + 1 (0: none) of each of @p n parsed packets, into @p rule. Thread: any. */
void sl_acl_match_burst(const struct sl_acl *acl, struct rte_mbuf **pkts, uint16_t n,
			uint32_t *rule);

/** What the tries decide for @p m, the same way: rule + 1, or 0. Thread: any. */
uint32_t sl_acl_classify_one(const struct sl_acl *acl, struct rte_mbuf *m);

/**
 * {"default", "compile_ms", "default_packets", "default_bytes", "rules":
 * [{index, the rule's config keys, packets, bytes}]} for rules
 * @p offset .. @p offset + @p limit - 1. NULL on allocation failure.
 */
json_t *sl_acl_json(const struct sl_acl *acl, const struct sl_config *cfg, uint32_t offset,
		    uint32_t limit);

#endif

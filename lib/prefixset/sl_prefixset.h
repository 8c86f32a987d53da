/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_PREFIXSET_H
#define SL_PREFIXSET_H

/**
 * @file
 * Named prefix sets ("sets" in the config): allowlists, blocklists, any
 * list of IPv4 and IPv6 prefixes that ACL rules and the reputation's
 * exemption refer to by name. An address is in a set when a prefix of the
 * set holds it, found by longest match.
 *
 * A set is a runtime object: its entries change one by one (or in bulk)
 * while workers look them up, without recompiling the rules that name the
 * set and without stopping a worker. Each change costs O(1) in the size of
 * the set to apply (bounded by the address length) and O(1) to persist (a
 * line appended to the set's journal).
 *
 *  - IPv4 is an rte_fib (DIR-24-8), whose rules live in an rte_rib, a
 *    binary trie as deep as the address is long. (rte_lpm keeps its rules
 *    in an array searched linearly: one change to a set of a million /32s
 *    costs about a millisecond.)
 *  - IPv6 is an rte_lpm6, whose rules live in a hash. (22.11's rte_fib6
 *    trie leaks its group reservations on delete: a set that churns runs
 *    out of groups; see doc/architecture.md.)
 *  - Neither frees its groups after a grace period (no RCU in 22.11 for
 *    these), so a set keeps two copies of each table. A change is made to
 *    the copy no worker reads, the copies are swapped with one store, and
 *    once every worker has passed a quiescent state the same change is made
 *    to the other copy. Twice the memory; nothing a reader walks changes.
 *  - The exact prefixes are also kept on the management lcore (a dense
 *    array and an open-addressed index) to list, persist and compare them.
 *
 * Threads: everything but the lookups runs on the management lcore. The
 * lookups (sl_pset_lookup4/6, sl_pset_contains) run on any worker.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_fib.h>
#include <rte_lpm6.h>
#include <rte_rcu_qsbr.h>

#include "sl_config.h"

/** One prefix, compared and hashed whole: every byte not in use is zero. */
struct sl_pset_entry {
	uint8_t af;              /**< SL_AF_INET / SL_AF_INET6 */
	uint8_t len;
	uint8_t pad[2];
	union {
		uint8_t addr[16];        /**< network order; host bits zero */
		uint32_t addr_words[4];  /**< (aligns the entry for hashing) */
	};
};

struct sl_pset {
	char name[SL_CONFIG_NAME_MAX];
	uint32_t max4, max6;     /**< entries each family may hold */
	uint32_t groups4, groups6; /**< table groups for prefixes longer than /24 */
	struct rte_fib *fib4[2]; /**< two copies; NULL when max4 is 0 */
	struct rte_lpm6 *lpm6[2];/**< two copies; NULL when max6 is 0 */
	uint32_t live4, live6;   /**< the copy workers read (atomic) */
	struct rte_rcu_qsbr *qsv;/**< the workers' quiescent states; NULL: none run */
	int socket;
	size_t table_bytes;        /**< hugepage memory the tables took (measured) */
	/* Management only. */
	uint32_t n4, n6;
	struct sl_pset_entry *entries; /**< [max4 + max6], the first n4 + n6 in use */
	uint32_t *slot;          /**< open-addressed index: entry + 1, 0 empty */
	uint32_t slot_mask;
	uint64_t added, deleted; /**< entries, since start */
	uint64_t refused;        /**< changes refused (full, out of groups) */
	/* The journal: one line per change. */
	FILE *journal;
	char path[512];          /**< "" when not persisted */
	uint64_t journal_lines;
};

/**
 * A set of @p c's sizes (empty). Workers' quiescent states @p qsv (may be
 * NULL) guard reuse of the tables' memory. NULL with @p err on failure.
 */
struct sl_pset *sl_pset_create(const struct sl_config_set *c, struct rte_rcu_qsbr *qsv,
			       int socket, char *err, size_t err_len);
void sl_pset_free(struct sl_pset *s);

/** Whether @p s was created with @p c's sizes (and so can stay as it is). */
bool sl_pset_fits_config(const struct sl_pset *s, const struct sl_config_set *c);

/**
 * Parse "198.51.100.0/24", "2001:db8::/32" or a bare address (a /32 or
 * /128) into @p e. -EINVAL when it is no prefix, -EDOM when host bits are
 * set (a mistake in a list more often than not), -ERANGE for a /0 (every
 * address: a rule without a set says that).
 */
int sl_pset_parse(const char *s, struct sl_pset_entry *e);
/** "198.51.100.0/24" into @p buf (at least 64 bytes). */
void sl_pset_format(const struct sl_pset_entry *e, char *buf, size_t len);

/** What a change did. */
struct sl_pset_outcome {
	uint32_t added, deleted;   /**< entries that changed */
	uint32_t present, absent;  /**< adds already there, deletes not there */
};

/**
 * Delete @p n_del entries, then add @p n_add, as one change: all of it or
 * none. With @p replace, @p del is ignored and every entry not in @p add
 * is deleted. Journaled (and fsynced) before the tables change. Errors:
 * -ENOSPC (a family's maximum, or its LPM groups, would be passed; @p err
 * says which), -EIO (the journal could not be written). Thread: management.
 */
int sl_pset_change(struct sl_pset *s, const struct sl_pset_entry *add, uint32_t n_add,
		   const struct sl_pset_entry *del, uint32_t n_del, bool replace,
		   struct sl_pset_outcome *out, char *err, size_t err_len);

/**
 * Read the entries the journal at @p path holds into empty set @p s. A
 * missing file is an empty set. Nothing is written. 0; -ENOSPC with @p err
 * when they do not fit the set's sizes; -errno with @p err.
 */
int sl_pset_load(struct sl_pset *s, const char *path, char *err, size_t err_len);

/**
 * From now on journal every change to @p s in @p path: the file is first
 * rewritten with the set's entries (atomically), then appended to. 0, or
 * -errno with @p err (the set then works unpersisted).
 */
int sl_pset_attach(struct sl_pset *s, const char *path, char *err, size_t err_len);

/**
 * Give @p to every entry of @p from (a set being resized). -ENOSPC with
 * @p err when they do not fit.
 */
int sl_pset_copy(struct sl_pset *to, const struct sl_pset *from, char *err, size_t err_len);

/** Entry @p i (0 .. n4 + n6 - 1), in no particular order. */
static inline const struct sl_pset_entry *sl_pset_entry_at(const struct sl_pset *s, uint32_t i)
{
	return &s->entries[i];
}

/** Whether @p e is one of @p s's entries (exactly). Thread: management. */
bool sl_pset_has_entry(const struct sl_pset *s, const struct sl_pset_entry *e);

/**
 * Per address of @p n IPv4 ones (host order), @p bit or'ed into @p out
 * when @p s holds it. Thread: worker (inside its RCU read side).
 */
static inline void sl_pset_lookup4(const struct sl_pset *s, uint32_t *ips, uint32_t *out,
				   uint32_t bit, unsigned n)
{
	if (s->fib4[0] == NULL || n == 0)
		return;
	uint64_t hop[n];
	rte_fib_lookup_bulk(s->fib4[__atomic_load_n(&s->live4, __ATOMIC_ACQUIRE)], ips, hop,
			    (int)n);
	for (unsigned i = 0; i < n; i++)
		out[i] |= bit & -(uint32_t)(hop[i] != 0);
}

/** The same for @p n IPv6 addresses. Thread: worker. */
static inline void sl_pset_lookup6(const struct sl_pset *s, uint8_t (*ips)[16], uint32_t *out,
				   uint32_t bit, unsigned n)
{
	if (s->lpm6[0] == NULL || n == 0)
		return;
	int32_t hop[n];
	rte_lpm6_lookup_bulk_func(s->lpm6[__atomic_load_n(&s->live6, __ATOMIC_ACQUIRE)], ips,
				  hop, n);
	for (unsigned i = 0; i < n; i++)
		out[i] |= bit & -(uint32_t)(hop[i] >= 0);
}

/** Whether @p s holds address @p addr (network order). Thread: any. */
bool sl_pset_contains(const struct sl_pset *s, uint8_t af, const uint8_t *addr);

/**
 * The same answer by a scan of the exact entries: the reference the
 * tests hold the tables to. Thread: management (or a test).
 */
bool sl_pset_contains_linear(const struct sl_pset *s, uint8_t af, const uint8_t *addr);

/** The management lcore's own bytes for @p s's exact entries. */
size_t sl_pset_index_bytes(const struct sl_pset *s);

#endif

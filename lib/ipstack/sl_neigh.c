/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The neighbor table.
 *
 * Writers: the management lcore only. Readers: workers, lock-free. An
 * entry's MAC and state share one 64-bit word written with a release store,
 * so a reader sees either the old or the new pair, never half of each. A
 * deleted key's slot is handed back to rte_hash only after an RCU grace
 * period (rte_hash_rcu_qsbr_add), so a reader that found position P before
 * the delete still reads a slot nobody else owns yet.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

#include "sl_ipstack.h"
#include "sl_log.h"

struct sl_neigh_table *sl_neigh_table_create(const char *name, uint32_t capacity, int socket,
					     struct rte_rcu_qsbr *qsv, uint64_t tsc_hz)
{
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = capacity,
		.key_len = sizeof(struct sl_neigh_key),
		.hash_func = rte_jhash,
		.socket_id = socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct sl_neigh_table *t = rte_zmalloc_socket("neigh", sizeof(*t), 0, socket);
	if (t == NULL)
		return NULL;
	t->capacity = capacity;
	t->tsc_hz = tsc_hz;
	t->hash = rte_hash_create(&hp);
	/* rte_hash may hand out positions up to entries + per-lcore cache slack. */
	t->entries = rte_zmalloc_socket("neigh_entries",
					(capacity + 1) * sizeof(*t->entries) * 2, 0, socket);
	if (t->hash == NULL || t->entries == NULL)
		goto fail;
	if (qsv != NULL) {
		struct rte_hash_rcu_config rc = {.v = qsv, .mode = RTE_HASH_QSBR_MODE_DQ};
		if (rte_hash_rcu_qsbr_add(t->hash, &rc) != 0)
			goto fail;
		t->rcu = true;
	}
	return t;
fail:
	rte_hash_free(t->hash);
	rte_free(t->entries);
	rte_free(t);
	return NULL;
}

void sl_neigh_table_free(struct sl_neigh_table *t)
{
	if (t == NULL)
		return;
	for (uint32_t i = 0; i < t->capacity * 2; i++)
		for (uint16_t k = 0; k < t->entries[i].n_pending; k++)
			rte_pktmbuf_free(t->entries[i].pending[k]);
	rte_hash_free(t->hash);
	rte_free(t->entries);
	rte_free(t);
}

struct sl_neigh_entry *sl_neigh_get(struct sl_neigh_table *t, const struct sl_neigh_key *k)
{
	int32_t pos = rte_hash_lookup(t->hash, k);
	return pos < 0 ? NULL : &t->entries[pos];
}

struct sl_neigh_entry *sl_neigh_get_or_create(struct sl_neigh_table *t,
					      const struct sl_neigh_key *k, uint64_t now)
{
	struct sl_neigh_entry *e = sl_neigh_get(t, k);
	if (e != NULL)
		return e;
	int32_t pos = rte_hash_add_key(t->hash, k);
	if (pos < 0 || (uint32_t)pos >= t->capacity * 2) {
		SL_LOG_RL(WARN, "neighbor", "neighbor table full (%u entries)", t->capacity);
		return NULL;
	}
	e = &t->entries[pos];
	memset(e, 0, sizeof(*e));
	t->n_used++;
	e->key = *k;
	e->in_use = true;
	e->next_event_tsc = now;
	__atomic_store_n(&e->word, SL_NEIGH_WORD(0, SL_NEIGH_INCOMPLETE), __ATOMIC_RELEASE);
	return e;
}

void sl_neigh_set(struct sl_neigh_entry *e, const struct rte_ether_addr *mac, uint8_t state)
{
	uint64_t mac64 = 0;
	if (mac != NULL)
		memcpy(&mac64, mac->addr_bytes, 6);
	__atomic_store_n(&e->word, SL_NEIGH_WORD(mac64, state), __ATOMIC_RELEASE);
}

void sl_neigh_delete(struct sl_neigh_table *t, struct sl_neigh_entry *e, struct sl_lcore_stats *st)
{
	for (uint16_t i = 0; i < e->n_pending; i++)
		sl_stats_drop(st, e->pending[i], SL_DROP_NEIGHBOR_FAILED);
	e->n_pending = 0;
	e->in_use = false;
	t->n_used--;
	/* Workers drop positions they kept before they may see this one freed. */
	__atomic_store_n(&t->deletes, t->deletes + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&e->word, 0, __ATOMIC_RELEASE);
	int32_t pos = rte_hash_del_key(t->hash, &e->key);
	/* With lock-free readers and no QSBR, rte_hash leaves the slot to us. */
	if (pos >= 0 && !t->rcu)
		rte_hash_free_key_with_position(t->hash, pos);
}

const char *sl_neigh_state_name(uint8_t state)
{
	static const char *const names[] = {
		[SL_NEIGH_NONE] = "none", [SL_NEIGH_INCOMPLETE] = "incomplete",
		[SL_NEIGH_REACHABLE] = "reachable", [SL_NEIGH_STALE] = "stale",
		[SL_NEIGH_FAILED] = "failed", [SL_NEIGH_PERMANENT] = "permanent",
	};
	return state < RTE_DIM(names) ? names[state] : "unknown";
}

json_t *sl_neigh_table_json(const struct sl_neigh_table *t,
			    const char *const *port_names, uint64_t now)
{
	json_t *arr = json_array();
	for (uint32_t i = 0; i < t->capacity * 2; i++) {
		const struct sl_neigh_entry *e = &t->entries[i];
		if (!e->in_use)
			continue;
		uint64_t w = __atomic_load_n(&e->word, __ATOMIC_ACQUIRE);
		struct sl_addr a = {.af = e->key.af};
		char addr[64], mac[RTE_ETHER_ADDR_FMT_SIZE];
		struct rte_ether_addr ea;
		memcpy(a.v6, e->key.addr, 16);
		sl_format_addr(&a, addr, sizeof(addr));
		memcpy(ea.addr_bytes, &w, 6);
		snprintf(mac, sizeof(mac), SL_MAC_FMT, RTE_ETHER_ADDR_BYTES(&ea));
		uint8_t state = SL_NEIGH_WORD_STATE(w);
		json_t *o = json_pack("{s:s, s:s, s:s, s:s*, s:i, s:f}",
			"port", port_names[e->key.port], "family", e->key.af == SL_AF_INET ? "ipv4" : "ipv6",
			"address", addr,
			"mac", state == SL_NEIGH_INCOMPLETE || state == SL_NEIGH_FAILED ? NULL : mac,
			"pending", (int)e->n_pending,
			"age_seconds", e->confirmed_tsc ? (double)(now - e->confirmed_tsc) / (double)t->tsc_hz : 0.0);
		json_object_set_new(o, "state", json_string(sl_neigh_state_name(state)));
		json_array_append_new(arr, o);
	}
	return arr;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A WireGuard interface: its peers, the tables the workers read (sessions
 * by receiver index, peers by allowed IP), and everything the management
 * lcore does for it: handshakes, cookies under load, timers, packets held
 * while a handshake runs, and freeing after the workers moved on.
 *
 * Tables the workers read, and how they change under them:
 *  - sessions: an array indexed by the low bits of the receiver index (the
 *    high bits are random, so indexes are not guessable); an entry is one
 *    pointer store, a removed keypair is freed after an RCU grace period;
 *  - allowed IPs: one lock-free hash of (family, length, masked address)
 *    with a bitmap of the lengths in use, looked up longest first: O(1)
 *    per length present and memory in proportion to the entries (a
 *    DIR-24-8 table costs 64 MiB before its first entry);
 *  - a peer's sending keypair: one pointer; its endpoint: a seqlock that a
 *    writer takes with a compare-and-swap or not at all (workers roam).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_udp.h>

#include "sl_wg.h"
#include "wg_priv.h"

const char *const sl_wg_hs_outcome_names[SL_WG_HS_OUTCOMES] = {
	[SL_WG_HS_INITIATED] = "initiated",
	[SL_WG_HS_COMPLETED] = "completed",
	[SL_WG_HS_BAD_MAC1] = "bad_mac1",
	[SL_WG_HS_UNKNOWN_PEER] = "unknown_peer",
	[SL_WG_HS_DECRYPT] = "decrypt",
	[SL_WG_HS_REPLAY] = "replay",
	[SL_WG_HS_FLOOD] = "flood",
	[SL_WG_HS_RATELIMITED] = "ratelimited",
	[SL_WG_HS_COOKIE_SENT] = "cookie_sent",
	[SL_WG_HS_COOKIE_RECEIVED] = "cookie_received",
	[SL_WG_HS_UNEXPECTED] = "unexpected",
	[SL_WG_HS_TIMEOUT] = "timeout",
};

/* ------------------------------------------------------------ helpers */

void wg_random_bytes(void *p, size_t n)
{
	uint8_t *b = p;
	while (n > 0) {
		ssize_t got = getrandom(b, n, 0);
		if (got <= 0)
			continue;  /* EINTR; the pool is initialised long before */
		b += got;
		n -= (size_t)got;
	}
}

void wg_ep_write(struct sl_wg_peer *p, const struct sl_wg_endpoint *ep, bool wait)
{
	uint32_t seq = __atomic_load_n(&p->ep_seq, __ATOMIC_RELAXED);
	for (;;) {
		if (!(seq & 1) && __atomic_compare_exchange_n(&p->ep_seq, &seq, seq + 1, false,
							      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			break;
		if (!wait)
			return;
		rte_pause();
		seq = __atomic_load_n(&p->ep_seq, __ATOMIC_RELAXED);
	}
	__atomic_thread_fence(__ATOMIC_RELEASE);
	p->ep = *ep;
	__atomic_store_n(&p->ep_seq, seq + 2, __ATOMIC_RELEASE);
}

void wg_ep_read(const struct sl_wg_peer *p, struct sl_wg_endpoint *out)
{
	for (;;) {
		uint32_t s1 = __atomic_load_n(&p->ep_seq, __ATOMIC_ACQUIRE);
		if (s1 & 1) {
			rte_pause();
			continue;
		}
		*out = p->ep;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&p->ep_seq, __ATOMIC_RELAXED) == s1)
			return;
	}
}

bool wg_ep_equal(const struct sl_addr *a, uint16_t port, const struct sl_wg_endpoint *ep)
{
	if (a->af != ep->addr.af || port != ep->port)
		return false;
	return a->af == SL_AF_INET ? a->v4 == ep->addr.v4 : memcmp(a->v6, ep->addr.v6, 16) == 0;
}

/* -------------------------------------------------------- deferred free */

/* What the workers may still hold: a session (wiped, then freed) or a
 * peer slot (back to the free list), released once every worker has
 * passed a quiescent state since. */
static void release(struct sl_wg_dev *d, void *kp, uint32_t slot)
{
	if (kp != NULL) {
		sl_wg_wipe(kp, sizeof(struct sl_wg_keypair));
		rte_free(kp);
	} else {
		d->free_slots[d->n_free_slots++] = slot;
	}
}

static void defer(struct sl_wg_dev *d, void *kp, uint32_t slot)
{
	if (d->dq_n == d->dq_cap) {
		/* Full: wait for the oldest (workers pass in microseconds). */
		rte_rcu_qsbr_synchronize(d->qsv, RTE_QSBR_THRID_INVALID);
		for (uint32_t i = 0; i < d->dq_n; i++)
			release(d, d->dq[i].p, d->dq[i].slot);
		d->dq_n = 0;
	}
	d->dq[d->dq_n].p = kp;
	d->dq[d->dq_n].slot = slot;
	d->dq[d->dq_n].token = rte_rcu_qsbr_start(d->qsv);
	d->dq_n++;
}

void wg_defer_free(struct sl_wg_dev *d, struct sl_wg_keypair *kp)
{
	if (kp != NULL)
		defer(d, kp, UINT32_MAX);
}

void wg_reclaim(struct sl_wg_dev *d)
{
	uint32_t keep = 0;
	for (uint32_t i = 0; i < d->dq_n; i++) {
		if (rte_rcu_qsbr_check(d->qsv, d->dq[i].token, false) == 1)
			release(d, d->dq[i].p, d->dq[i].slot);
		else
			d->dq[keep++] = d->dq[i];
	}
	d->dq_n = keep;
}

/* ----------------------------------------------------------- sessions */

/* A keypair with a fresh receiver index in the table (not ready: it holds
 * the index until its keys are set). NULL when the table is full. */
struct sl_wg_keypair *wg_kp_new(struct sl_wg_dev *d, uint32_t slot)
{
	if (d->n_free_index == 0)
		return NULL;
	struct sl_wg_keypair *kp = rte_zmalloc_socket("wg_keypair", sizeof(*kp), 64, d->socket);
	if (kp == NULL)
		return NULL;
	uint32_t pos = d->free_index[--d->n_free_index], tag;
	wg_random_bytes(&tag, sizeof(tag));
	/* index_bits is 22 at most (4 sessions for each of 2^20 peers). */
	kp->local_index = (tag << d->index_bits) | pos;
	kp->peer = slot;
	__atomic_store_n(&d->index[pos], kp, __ATOMIC_RELEASE);
	return kp;
}

/* Out of the table and, after the grace period, wiped and freed: a
 * worker in the middle of a burst may still seal or open with its keys. */
void wg_kp_drop(struct sl_wg_dev *d, struct sl_wg_keypair *kp)
{
	if (kp == NULL)
		return;
	uint32_t pos = kp->local_index & d->index_mask;
	__atomic_store_n(&d->index[pos], NULL, __ATOMIC_RELEASE);
	d->free_index[d->n_free_index++] = pos;
	wg_defer_free(d, kp);
}

void wg_kp_set_keys(struct sl_wg_keypair *kp, struct sl_wg_handshake *hs, bool initiator,
		    uint64_t now)
{
	kp->remote_index = hs->remote_index;
	kp->initiator = initiator;
	kp->confirmed = initiator;
	kp->birth_tsc = now;
	sl_wg_keys_derive(hs, kp->send_key, kp->recv_key);
	__atomic_store_n(&kp->ready, 1, __ATOMIC_RELEASE);
}

static void publish_send(struct sl_wg_dev *d, uint32_t slot, struct sl_wg_keypair *kp)
{
	__atomic_store_n(&d->peers[slot].send_kp, kp, __ATOMIC_RELEASE);
}

/* Drop every session and the pending handshake of a peer. */
static void peer_sessions_clear(struct sl_wg_dev *d, uint32_t slot)
{
	struct peer_ctl *c = &d->ctl[slot];
	publish_send(d, slot, NULL);
	wg_kp_drop(d, c->kp_prev);
	wg_kp_drop(d, c->kp_cur);
	wg_kp_drop(d, c->kp_next);
	wg_kp_drop(d, c->hs_kp);
	c->kp_prev = c->kp_cur = c->kp_next = c->hs_kp = NULL;
	sl_wg_wipe(&c->hs, sizeof(c->hs));
	c->attempt_start_tsc = 0;
}

/* ---------------------------------------------------------- allowed IPs */

struct allowed_key {
	uint8_t af;
	uint8_t len;
	uint8_t pad[2];
	uint8_t addr[16];
};

static void allowed_key_of(struct allowed_key *k, const struct sl_prefix *p)
{
	struct sl_prefix m = *p;
	sl_prefix_mask(&m);
	memset(k, 0, sizeof(*k));
	k->af = m.addr.af;
	k->len = m.len;
	if (m.addr.af == SL_AF_INET)
		memcpy(k->addr, &m.addr.v4, 4);
	else
		memcpy(k->addr, m.addr.v6, 16);
}

static void lens_set(struct sl_wg_dev *d, uint8_t af, uint8_t len, bool on)
{
	uint64_t *word = af == SL_AF_INET ? &d->lens4 : &d->lens6[len / 64];
	uint64_t bit = 1ull << (len % 64);
	if (on)
		__atomic_fetch_or(word, bit, __ATOMIC_RELEASE);
	else
		__atomic_fetch_and(word, ~bit, __ATOMIC_RELEASE);
}

static void allowed_del(struct sl_wg_dev *d, const struct sl_prefix *p)
{
	struct allowed_key k;
	allowed_key_of(&k, p);
	if (rte_hash_del_key(d->allowed, &k) < 0)
		return;
	unsigned fam = k.af == SL_AF_INET ? 0 : 1;
	if (--d->len_refs[fam][k.len] == 0)
		lens_set(d, k.af, k.len, false);
	d->n_allowed_total--;
}

/* Remove prefix @p i of peer @p slot's list (the table entry too). */
static void peer_allowed_remove_at(struct sl_wg_dev *d, uint32_t slot, unsigned i)
{
	struct peer_ctl *c = &d->ctl[slot];
	allowed_del(d, &c->allowed[i]);
	c->allowed[i] = c->allowed[--c->n_allowed];
}

static bool prefix_same(const struct sl_prefix *a, const struct sl_prefix *b)
{
	struct allowed_key ka, kb;
	allowed_key_of(&ka, a);
	allowed_key_of(&kb, b);
	return memcmp(&ka, &kb, sizeof(ka)) == 0;
}

/* Give @p p to peer @p slot (taken from another peer that had it).
 * Nothing changes when it fails. */
static int peer_allowed_add(struct sl_wg_dev *d, uint32_t slot, const struct sl_prefix *p)
{
	struct peer_ctl *c = &d->ctl[slot];
	struct allowed_key k;
	struct sl_prefix m = *p;
	void *data;
	sl_prefix_mask(&m);
	allowed_key_of(&k, &m);
	bool exists = rte_hash_lookup_data(d->allowed, &k, &data) >= 0;
	uint32_t owner = exists ? (uint32_t)(uintptr_t)data - 1 : UINT32_MAX;
	if (owner == slot)
		return 0;
	if (c->n_allowed == c->cap_allowed) {
		unsigned cap = c->cap_allowed ? c->cap_allowed * 2 : 4;
		struct sl_prefix *a = realloc(c->allowed, cap * sizeof(*a));
		if (a == NULL)
			return -ENOMEM;
		c->allowed = a;
		c->cap_allowed = cap;
	}
	unsigned fam = k.af == SL_AF_INET ? 0 : 1;
	if (!exists) {
		if (d->n_allowed_total >= d->max_allowed)
			return -ENOSPC;
		/* The length is in use before the entry is: readers find both. */
		if (d->len_refs[fam][k.len]++ == 0)
			lens_set(d, k.af, k.len, true);
	}
	if (rte_hash_add_key_data(d->allowed, &k, (void *)(uintptr_t)(slot + 1)) != 0) {
		if (!exists && --d->len_refs[fam][k.len] == 0)
			lens_set(d, k.af, k.len, false);
		return -ENOSPC;
	}
	if (exists) {
		/* It moved: out of the other peer's list. */
		struct peer_ctl *o = &d->ctl[owner];
		for (unsigned i = 0; i < o->n_allowed; i++)
			if (prefix_same(&o->allowed[i], &m)) {
				o->allowed[i] = o->allowed[--o->n_allowed];
				break;
			}
	} else {
		d->n_allowed_total++;
	}
	c->allowed[c->n_allowed++] = m;
	return 0;
}

static void peer_allowed_clear(struct sl_wg_dev *d, uint32_t slot)
{
	struct peer_ctl *c = &d->ctl[slot];
	while (c->n_allowed > 0)
		peer_allowed_remove_at(d, slot, c->n_allowed - 1);
}

/* After the new list was added: what the peer had and the list does not. */
static void peer_allowed_keep_only(struct sl_wg_dev *d, uint32_t slot,
				   const struct sl_prefix *list, unsigned n)
{
	struct peer_ctl *c = &d->ctl[slot];
	for (unsigned i = c->n_allowed; i-- > 0;) {
		bool wanted = false;
		for (unsigned k = 0; k < n && !wanted; k++)
			wanted = prefix_same(&c->allowed[i], &list[k]);
		if (!wanted)
			peer_allowed_remove_at(d, slot, i);
	}
}

uint32_t wg_allowed_lookup(const struct sl_wg_dev *d, uint8_t af, const uint8_t *addr)
{
	struct allowed_key k = {.af = af};
	void *data;
	if (af == SL_AF_INET) {
		uint32_t a;
		memcpy(&a, addr, sizeof(a));   /* packets put it anywhere */
		a = rte_be_to_cpu_32(a);
		for (uint64_t m = __atomic_load_n(&d->lens4, __ATOMIC_ACQUIRE); m != 0;) {
			unsigned len = 63u - (unsigned)__builtin_clzll(m);
			m &= ~(1ull << len);
			uint32_t masked = (uint32_t)(a & ~(UINT64_C(0xffffffff) >> len));
			k.len = (uint8_t)len;
			masked = rte_cpu_to_be_32(masked);
			memcpy(k.addr, &masked, sizeof(masked));
			if (rte_hash_lookup_data(d->allowed, &k, &data) >= 0)
				return (uint32_t)(uintptr_t)data - 1;
		}
		return UINT32_MAX;
	}
	for (int w = 2; w >= 0; w--) {
		for (uint64_t m = __atomic_load_n(&d->lens6[w], __ATOMIC_ACQUIRE); m != 0;) {
			unsigned bit = 63u - (unsigned)__builtin_clzll(m);
			m &= ~(1ull << bit);
			unsigned len = (unsigned)w * 64 + bit;
			memset(k.addr, 0, 16);
			memcpy(k.addr, addr, len / 8);
			if (len % 8)
				k.addr[len / 8] = (uint8_t)(addr[len / 8] & (0xff << (8 - len % 8)));
			k.len = (uint8_t)len;
			if (rte_hash_lookup_data(d->allowed, &k, &data) >= 0)
				return (uint32_t)(uintptr_t)data - 1;
		}
	}
	return UINT32_MAX;
}

/* -------------------------------------------------------------- create */

struct sl_wg_dev *sl_wg_dev_create(const struct sl_wg_dev_params *p, char *err, size_t err_len)
{
	struct sl_wg_dev *d = calloc(1, sizeof(*d));
	char name[RTE_HASH_NAMESIZE];
	if (d == NULL)
		goto nomem;
	snprintf(d->name, sizeof(d->name), "%s", p->name);
	d->port = p->port;
	d->listen_port = p->listen_port;
	d->max_peers = p->max_peers;
	d->handshake_load = p->handshake_load;
	d->clock_scale = p->clock_scale ? p->clock_scale : 1;
	d->tsc_hz = p->tsc_hz;
	d->socket = p->socket;
	d->qsv = p->qsv;
	d->pool = p->pool;
	d->tx = p->tx;
	d->tx_arg = p->tx_arg;
	d->st = p->st;
	d->peers = rte_zmalloc_socket("wg_peers", sizeof(*d->peers) * p->max_peers,
				      RTE_CACHE_LINE_SIZE, p->socket);
	d->ctl = calloc(p->max_peers, sizeof(*d->ctl));
	d->free_slots = malloc(sizeof(*d->free_slots) * p->max_peers);
	/* Three sessions and one handshake per peer at most. */
	uint32_t want = p->max_peers * 4, size = 64, bits = 6;
	while (size < want) {
		size <<= 1;
		bits++;
	}
	d->index_bits = bits;
	d->index_mask = size - 1;
	d->index = rte_zmalloc_socket("wg_index", sizeof(*d->index) * size, RTE_CACHE_LINE_SIZE,
				      p->socket);
	d->free_index = malloc(sizeof(*d->free_index) * size);
	d->dq_cap = size + p->max_peers + 64;
	d->dq = malloc(sizeof(*d->dq) * d->dq_cap);
	if (d->peers == NULL || d->ctl == NULL || d->free_slots == NULL || d->index == NULL ||
	    d->free_index == NULL || d->dq == NULL)
		goto nomem;
	for (uint32_t i = 0; i < p->max_peers; i++)
		d->free_slots[i] = p->max_peers - 1 - i;
	d->n_free_slots = p->max_peers;
	for (uint32_t i = 0; i < size; i++)
		d->free_index[i] = size - 1 - i;
	d->n_free_index = size;

	snprintf(name, sizeof(name), "wgpub_%s", p->name);
	struct rte_hash_parameters hp = {
		.name = name, .entries = RTE_MAX(p->max_peers, 8u), .key_len = SL_WG_KEY_LEN,
		.hash_func = rte_jhash, .socket_id = p->socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	d->by_pub = rte_hash_create(&hp);
	d->max_allowed = p->max_peers * 4 < 64 ? 64 : p->max_peers * 4;
	snprintf(name, sizeof(name), "wgips_%s", p->name);
	struct rte_hash_parameters ap = {
		.name = name, .entries = d->max_allowed, .key_len = sizeof(struct allowed_key),
		.hash_func = rte_jhash, .socket_id = p->socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	d->allowed = rte_hash_create(&ap);
	if (d->by_pub == NULL || d->allowed == NULL) {
		snprintf(err, err_len, "%s: cannot create its tables (%s)", p->name,
			 rte_strerror(rte_errno));
		sl_wg_dev_free(d);
		return NULL;
	}
	struct rte_hash_rcu_config rc = {.v = p->qsv, .mode = RTE_HASH_QSBR_MODE_DQ};
	if (rte_hash_rcu_qsbr_add(d->allowed, &rc) != 0) {
		snprintf(err, err_len, "%s: cannot attach its table to RCU", p->name);
		sl_wg_dev_free(d);
		return NULL;
	}
	wg_random_bytes(d->cookie_secret, sizeof(d->cookie_secret));
	d->secret_tsc = rte_rdtsc();
	return d;
nomem:
	snprintf(err, err_len, "%s: no memory for %u peers", p->name, p->max_peers);
	sl_wg_dev_free(d);
	return NULL;
}

void sl_wg_dev_free(struct sl_wg_dev *d)
{
	if (d == NULL)
		return;
	if (d->ctl != NULL) {
		for (uint32_t i = 0; i < d->max_peers; i++) {
			if (d->peers == NULL || !d->peers[i].in_use)
				continue;
			for (unsigned k = 0; k < d->ctl[i].n_staged; k++)
				rte_pktmbuf_free(d->ctl[i].staged[k]);
			free(d->ctl[i].allowed);
			free(d->ctl[i].psk_file);
		}
	}
	/* Workers are gone: everything can go now. */
	for (uint32_t i = 0; d->index != NULL && i <= d->index_mask; i++)
		if (d->index[i] != NULL) {
			sl_wg_wipe(d->index[i], sizeof(struct sl_wg_keypair));
			rte_free(d->index[i]);
		}
	for (uint32_t i = 0; i < d->dq_n; i++)
		if (d->dq[i].p != NULL) {
			sl_wg_wipe(d->dq[i].p, sizeof(struct sl_wg_keypair));
			rte_free(d->dq[i].p);
		}
	rte_hash_free(d->by_pub);
	rte_hash_free(d->allowed);
	rte_free(d->index);
	rte_free(d->peers);
	free(d->ctl);
	free(d->free_slots);
	free(d->free_index);
	free(d->dq);
	sl_wg_wipe(&d->s, sizeof(d->s));
	sl_wg_wipe(d->cookie_secret, sizeof(d->cookie_secret));
	free(d);
}

const char *sl_wg_dev_name(const struct sl_wg_dev *d) { return d->name; }
uint16_t sl_wg_dev_listen_port(const struct sl_wg_dev *d) { return d->listen_port; }
uint16_t sl_wg_dev_port(const struct sl_wg_dev *d) { return d->port; }

bool sl_wg_dev_set_key(struct sl_wg_dev *d, const uint8_t priv[SL_WG_KEY_LEN])
{
	struct sl_wg_static s;
	if (!sl_wg_static_init(&s, priv))
		return false;
	if (d->has_key && sl_wg_equal(s.priv, d->s.priv, SL_WG_KEY_LEN)) {
		sl_wg_wipe(&s, sizeof(s));
		return true;
	}
	d->s = s;
	d->has_key = true;
	sl_wg_wipe(&s, sizeof(s));
	/* A new identity: sessions and handshakes of the old one are void. */
	for (uint32_t i = 0; i < d->max_peers; i++) {
		if (!d->peers[i].in_use)
			continue;
		struct peer_ctl *c = &d->ctl[i];
		peer_sessions_clear(d, i);
		uint8_t psk[SL_WG_KEY_LEN];
		memcpy(psk, c->keys.psk, sizeof(psk));
		c->usable = sl_wg_remote_init(&c->keys, &d->s, c->keys.pub, psk);
		sl_wg_wipe(psk, sizeof(psk));
	}
	return true;
}

bool sl_wg_dev_public_key(const struct sl_wg_dev *d, uint8_t pub[SL_WG_KEY_LEN])
{
	if (d->has_key)
		memcpy(pub, d->s.pub, SL_WG_KEY_LEN);
	return d->has_key;
}

bool sl_wg_dev_private_key(const struct sl_wg_dev *d, uint8_t priv[SL_WG_KEY_LEN])
{
	if (d->has_key)
		memcpy(priv, d->s.priv, SL_WG_KEY_LEN);
	return d->has_key;
}

/* ---------------------------------------------------------------- peers */

int32_t wg_slot_of(const struct sl_wg_dev *d, const uint8_t pub[SL_WG_KEY_LEN])
{
	void *data;
	if (rte_hash_lookup_data(d->by_pub, pub, &data) < 0)
		return -1;
	return (int32_t)(uintptr_t)data;
}

int sl_wg_peer_set(struct sl_wg_dev *d, const uint8_t pub[SL_WG_KEY_LEN],
		   const struct sl_wg_peer_change *ch, char *err, size_t err_len)
{
	int32_t slot = wg_slot_of(d, pub);
	bool created = false;
	if (err_len > 0)
		err[0] = '\0';
	if (slot < 0) {
		/* Slots of removed peers wait for the workers' grace period:
		 * when none is free, wait for it rather than refuse (a remove
		 * then an add in one request, or a journal replayed at start). */
		if (d->n_free_slots == 0)
			wg_reclaim(d);
		if (d->n_free_slots == 0 && d->dq_n > 0) {
			rte_rcu_qsbr_synchronize(d->qsv, RTE_QSBR_THRID_INVALID);
			wg_reclaim(d);
		}
		if (d->n_free_slots == 0) {
			snprintf(err, err_len, "%s has its %u peers (max_peers)", d->name,
				 d->max_peers);
			return -ENOSPC;
		}
		slot = (int32_t)d->free_slots[d->n_free_slots - 1];
		struct peer_ctl *c = &d->ctl[slot];
		memset(c, 0, sizeof(*c));
		/* Held packets of the slot's last peer may still be in the ring:
		 * they take their count back when they arrive. */
		uint32_t held = __atomic_load_n(&d->peers[slot].held, __ATOMIC_RELAXED);
		memset(&d->peers[slot], 0, sizeof(d->peers[slot]));
		__atomic_store_n(&d->peers[slot].held, held, __ATOMIC_RELAXED);
		memcpy(c->keys.pub, pub, SL_WG_KEY_LEN);
		if (d->has_key && !sl_wg_remote_init(&c->keys, &d->s, pub, NULL)) {
			sl_wg_wipe(c, sizeof(*c));
			snprintf(err, err_len, "the public key is of small order: no handshake "
				 "with it can succeed");
			return -EINVAL;
		}
		c->usable = d->has_key;
		if (rte_hash_add_key_data(d->by_pub, pub, (void *)(uintptr_t)slot) != 0) {
			sl_wg_wipe(c, sizeof(*c));
			snprintf(err, err_len, "%s: the peer table is full", d->name);
			return -ENOSPC;
		}
		d->n_free_slots--;
		d->n_peers++;
		__atomic_store_n(&d->peers[slot].in_use, 1, __ATOMIC_RELEASE);
		created = true;
	}
	struct peer_ctl *c = &d->ctl[slot];
	/* Room for every new prefix first, so that adding them cannot fail
	 * half way (a prefix taken from another peer and then refused). */
	unsigned fresh = 0;
	for (unsigned i = 0; i < ch->n_allowed; i++) {
		struct allowed_key k;
		void *data;
		allowed_key_of(&k, &ch->allowed[i]);
		fresh += rte_hash_lookup_data(d->allowed, &k, &data) < 0;
	}
	int rc = 0;
	if (d->n_allowed_total + fresh > d->max_allowed)
		rc = -ENOSPC;
	if (rc == 0 && c->n_allowed + ch->n_allowed > c->cap_allowed) {
		struct sl_prefix *a = realloc(c->allowed, (c->n_allowed + ch->n_allowed) *
						       sizeof(*a));
		if (a == NULL)
			rc = -ENOMEM;
		else {
			c->allowed = a;
			c->cap_allowed = c->n_allowed + ch->n_allowed;
		}
	}
	/* A replaced list: the new prefixes first, then the old ones go, so
	 * what both hold never stops routing. */
	for (unsigned i = 0; rc == 0 && i < ch->n_allowed; i++) {
		rc = peer_allowed_add(d, (uint32_t)slot, &ch->allowed[i]);
		if (rc != 0) {
			char pf[64];
			sl_format_prefix(&ch->allowed[i], pf, sizeof(pf));
			snprintf(err, err_len, "allowed IP %s: the interface's allowed-IP table "
				 "is full", pf);
		}
	}
	if (rc != 0) {
		if (rc == -ENOSPC && err[0] == '\0')
			snprintf(err, err_len, "%s: the allowed-IP table is full (4 per peer "
				 "on average)", d->name);
		else if (rc == -ENOMEM)
			snprintf(err, err_len, "no memory for the peer's allowed IPs");
		if (created)
			sl_wg_peer_remove(d, pub);
		return rc;
	}
	if (ch->set_psk) {
		free(c->psk_file);
		c->psk_file = ch->psk != NULL && ch->psk_file != NULL ? strdup(ch->psk_file) : NULL;
		c->has_psk = ch->psk != NULL;
		if (ch->psk != NULL)
			memcpy(c->keys.psk, ch->psk, SL_WG_KEY_LEN);
		else
			memset(c->keys.psk, 0, SL_WG_KEY_LEN);
	}
	if (ch->set_endpoint) {
		struct sl_wg_endpoint ep = {.addr = ch->endpoint, .port = ch->endpoint_port};
		wg_ep_write(&d->peers[slot], &ep, true);
	}
	if (ch->set_keepalive) {
		c->keepalive_s = ch->keepalive_s;
		c->last_keepalive_tsc = 0;
	}
	if (ch->replace_allowed)
		peer_allowed_keep_only(d, (uint32_t)slot, ch->allowed, ch->n_allowed);
	/* A persistent keepalive starts with a handshake, as the kernel's. */
	if (ch->set_keepalive && ch->keepalive_s > 0)
		__atomic_store_n(&d->peers[slot].want_handshake, 1, __ATOMIC_RELAXED);
	return 0;
}

void wg_staged_drop_all(struct sl_wg_dev *d, struct peer_ctl *c)
{
	__atomic_fetch_sub(&d->peers[c - d->ctl].held, c->n_staged, __ATOMIC_RELAXED);
	for (unsigned k = 0; k < c->n_staged; k++)
		sl_stats_drop(d->st, c->staged[k], SL_DROP_WG_STAGED_FULL);
	d->staged_dropped += c->n_staged;
	c->n_staged = 0;
}

int sl_wg_peer_remove(struct sl_wg_dev *d, const uint8_t pub[SL_WG_KEY_LEN])
{
	int32_t slot = wg_slot_of(d, pub);
	if (slot < 0)
		return -ENOENT;
	struct peer_ctl *c = &d->ctl[slot];
	peer_allowed_clear(d, (uint32_t)slot);
	peer_sessions_clear(d, (uint32_t)slot);
	wg_staged_drop_all(d, c);
	free(c->allowed);
	free(c->psk_file);
	sl_wg_wipe(c, sizeof(*c));
	__atomic_store_n(&d->peers[slot].in_use, 0, __ATOMIC_RELEASE);
	rte_hash_del_key(d->by_pub, pub);
	/* Workers may still count or roam on it: reused after the grace period. */
	defer(d, NULL, (uint32_t)slot);
	d->n_peers--;
	return 0;
}

static void peer_info(const struct sl_wg_dev *d, uint32_t slot, struct sl_wg_peer_info *o)
{
	const struct peer_ctl *c = &d->ctl[slot];
	const struct sl_wg_peer *p = &d->peers[slot];
	memset(o, 0, sizeof(*o));
	memcpy(o->pub, c->keys.pub, SL_WG_KEY_LEN);
	o->has_psk = c->has_psk;
	o->psk_file = c->psk_file;
	wg_ep_read(p, &o->ep);
	o->keepalive_s = c->keepalive_s;
	o->last_handshake_ns = c->last_handshake_wall;
	o->rx_bytes = __atomic_load_n(&p->rx_bytes, __ATOMIC_RELAXED);
	o->tx_bytes = __atomic_load_n(&p->tx_bytes, __ATOMIC_RELAXED);
	o->rx_packets = __atomic_load_n(&p->rx_packets, __ATOMIC_RELAXED);
	o->tx_packets = __atomic_load_n(&p->tx_packets, __ATOMIC_RELAXED);
	o->n_allowed = c->n_allowed;
	o->allowed = c->allowed;
	o->sessions = (c->kp_prev != NULL) + (c->kp_cur != NULL) + (c->kp_next != NULL);
}

bool sl_wg_peer_next(const struct sl_wg_dev *d, uint32_t *cursor, struct sl_wg_peer_info *out)
{
	for (; *cursor < d->max_peers; (*cursor)++) {
		if (!d->peers[*cursor].in_use)
			continue;
		peer_info(d, (*cursor)++, out);
		return true;
	}
	return false;
}

bool sl_wg_peer_get(const struct sl_wg_dev *d, const uint8_t pub[SL_WG_KEY_LEN],
		    struct sl_wg_peer_info *out)
{
	int32_t slot = wg_slot_of(d, pub);
	if (slot < 0)
		return false;
	peer_info(d, (uint32_t)slot, out);
	return true;
}

bool sl_wg_peer_by_address(const struct sl_wg_dev *d, const struct sl_addr *addr,
			   uint8_t pub[SL_WG_KEY_LEN])
{
	uint32_t slot = wg_allowed_lookup(d, addr->af, addr->af == SL_AF_INET ?
					  (const uint8_t *)&addr->v4 : addr->v6);
	if (slot == UINT32_MAX || !d->peers[slot].in_use)
		return false;
	memcpy(pub, d->ctl[slot].keys.pub, SL_WG_KEY_LEN);
	return true;
}

bool sl_wg_peer_psk(const struct sl_wg_dev *d, const uint8_t pub[SL_WG_KEY_LEN],
		    uint8_t psk[SL_WG_KEY_LEN])
{
	int32_t slot = wg_slot_of(d, pub);
	if (slot < 0 || !d->ctl[slot].has_psk)
		return false;
	memcpy(psk, d->ctl[slot].keys.psk, SL_WG_KEY_LEN);
	return true;
}

void sl_wg_dev_stats(const struct sl_wg_dev *d, struct sl_wg_dev_stats *o)
{
	memset(o, 0, sizeof(*o));
	memcpy(o->hs, d->hs, sizeof(o->hs));
	o->peers = d->n_peers;
	o->staged_dropped = d->staged_dropped;
	uint64_t now = rte_rdtsc();
	o->under_load = now < d->under_load_until;
	for (uint32_t i = 0; i < d->max_peers; i++) {
		const struct sl_wg_peer *p = &d->peers[i];
		const struct peer_ctl *c = &d->ctl[i];
		if (!p->in_use)
			continue;
		o->rx_bytes += __atomic_load_n(&p->rx_bytes, __ATOMIC_RELAXED);
		o->tx_bytes += __atomic_load_n(&p->tx_bytes, __ATOMIC_RELAXED);
		o->rx_packets += __atomic_load_n(&p->rx_packets, __ATOMIC_RELAXED);
		o->tx_packets += __atomic_load_n(&p->tx_packets, __ATOMIC_RELAXED);
		o->sessions += (c->kp_prev != NULL) + (c->kp_cur != NULL) + (c->kp_next != NULL);
		/* "Recent" in wall time, as operators read handshake ages. */
		if (c->last_handshake_tsc != 0 && wg_since(now, c->last_handshake_tsc) < 180 * d->tsc_hz)
			o->peers_recent++;
	}
}

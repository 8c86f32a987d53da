/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual reassembly of fragmented datagrams (see sl_flow.h): later
 * fragments carry no ports, so they cannot be matched to a connection;
 * they follow what happened to their datagram's first fragment instead.
 *
 * Entries are claimed with a compare-and-swap on their sequence count
 * (even to odd), written, and published (odd to the next even); a reader
 * copies an entry between two reads of the count and keeps the copy only if
 * the count did not move, as a seqlock reader does. Open addressing: a key
 * may sit in any of the eight entries from its hash on.
 */
#include <errno.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_malloc.h>

#include "flow_priv.h"

#define PROBES 8
#define IPV6_FRAGMENT_HDR 44

struct sl_frag_table *sl_frag_table_create(uint32_t n, int socket)
{
	uint32_t size = 64;
	while (size < n)
		size <<= 1;
	struct sl_frag_table *ft = rte_zmalloc_socket("sl_frags", sizeof(*ft), 0, socket);
	if (ft == NULL)
		return NULL;
	ft->e = rte_zmalloc_socket("sl_frag_entries", sizeof(*ft->e) * size, RTE_CACHE_LINE_SIZE,
				   socket);
	if (ft->e == NULL) {
		rte_free(ft);
		return NULL;
	}
	ft->mask = size - 1;
	return ft;
}

void sl_frag_table_free(struct sl_frag_table *ft)
{
	if (ft == NULL)
		return;
	rte_free(ft->e);
	rte_free(ft);
}

/* The key of fragment @p m: family, protocol, addresses as they arrive, identifier. */
struct frag_key {
	uint8_t af, proto;
	uint32_t id;
	uint8_t src[16], dst[16];
};

/* The IPv6 fragment header's identifier, after the extension headers parse checked. */
static bool ipv6_frag_id(struct rte_mbuf *m, uint32_t *id)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l2_len);
	uint8_t next = ip[6];
	uint32_t off = 40;
	while (off + 8 <= meta->l3_len) {
		const uint8_t *h = ip + off;
		if (next == IPV6_FRAGMENT_HDR) {
			uint32_t v;
			memcpy(&v, h + 4, 4);
			*id = rte_be_to_cpu_32(v);
			return true;
		}
		next = h[0];
		off += next == IPPROTO_AH ? ((uint32_t)h[1] + 2) * 4 : ((uint32_t)h[1] + 1) * 8;
	}
	return false;
}

static bool key_of(struct rte_mbuf *m, struct frag_key *k)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	memset(k, 0, sizeof(*k));
	k->proto = meta->l4_proto;
	if (meta->l3_type == SL_L3_IPV4) {
		const struct rte_ipv4_hdr *ip = sl_pkt_ipv4(m);
		k->af = 4;
		k->id = rte_be_to_cpu_16(ip->packet_id);
		memcpy(k->src, &ip->src_addr, 4);
		memcpy(k->dst, &ip->dst_addr, 4);
		return true;
	}
	const struct rte_ipv6_hdr *ip = sl_pkt_ipv6(m);
	k->af = 6;
	memcpy(k->src, ip->src_addr, 16);
	memcpy(k->dst, ip->dst_addr, 16);
	return ipv6_frag_id(m, &k->id);
}

static uint32_t key_hash(const struct frag_key *k)
{
	uint32_t h = rte_hash_crc_4byte(k->id, (uint32_t)k->af << 8 | k->proto);
	return rte_hash_crc(k->src, 32, h);
}

static bool key_equal(const struct sl_frag_entry *e, const struct frag_key *k)
{
	size_t n = k->af == 4 ? 4 : 16;
	return e->af == k->af && e->proto == k->proto && e->id == k->id &&
	       memcmp(e->src, k->src, n) == 0 && memcmp(e->dst, k->dst, n) == 0;
}

/* Rewrite the addresses of later fragment @p m (no L4 header to adjust). */
static void rewrite(struct rte_mbuf *m, const uint8_t *src, const uint8_t *dst)
{
	if (sl_pkt_meta(m)->l3_type == SL_L3_IPV4) {
		struct rte_ipv4_hdr *ip = sl_pkt_ipv4(m);
		memcpy(&ip->src_addr, src, 4);
		memcpy(&ip->dst_addr, dst, 4);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		return;
	}
	struct rte_ipv6_hdr *ip = sl_pkt_ipv6(m);
	memcpy(ip->src_addr, src, 16);
	memcpy(ip->dst_addr, dst, 16);
}

/*
 * The entry for later fragment @p m: true, its addresses rewritten if its
 * datagram's were, when the first fragment has been seen.
 */
bool flow_frag_follow(struct sl_flow_worker_ctx *c, struct rte_mbuf *m)
{
	struct sl_frag_table *ft = c->frags;
	struct frag_key k;
	if (!key_of(m, &k))
		return false;
	uint32_t h = key_hash(&k);
	for (unsigned p = 0; p < PROBES; p++) {
		const struct sl_frag_entry *e = &ft->e[(h + p) & ft->mask];
		uint32_t s1 = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
		if ((s1 & 1) || !e->used || !key_equal(e, &k))
			continue;
		uint8_t translate = e->translate, to_src[16], to_dst[16];
		memcpy(to_src, e->to_src, 16);
		memcpy(to_dst, e->to_dst, 16);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != s1)
			continue;          /* rewritten under us: not this one */
		if (translate)
			rewrite(m, to_src, to_dst);
		return true;
	}
	return false;
}

/*
 * First fragment @p m of connection @p f has been translated (or not):
 * remember how its later fragments leave. The key is the datagram as it
 * arrived (@p f's key in direction @p dir). 0, or -ENOSPC.
 */
int flow_frag_note(struct sl_flow_worker_ctx *c, const struct sl_flow *f, enum sl_flow_dir dir,
		   struct rte_mbuf *m, uint32_t ticks)
{
	struct sl_frag_table *ft = c->frags;
	struct sl_flow_key own;
	struct frag_key k, now;
	if (!key_of(m, &now))
		return 0;               /* not a fragment parse understood: nothing to follow */
	sl_flow_key_get(c->t, f, dir, &own);
	k = now;
	memcpy(k.src, own.src, 16);
	memcpy(k.dst, own.dst, 16);
	size_t n = k.af == 4 ? 4 : 16;
	bool translate = memcmp(k.src, now.src, n) != 0 || memcmp(k.dst, now.dst, n) != 0;
	uint32_t h = key_hash(&k);
	for (unsigned p = 0; p < PROBES; p++) {
		struct sl_frag_entry *e = &ft->e[(h + p) & ft->mask];
		uint32_t s = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
		if (s & 1)
			continue;
		if (e->used) {
			if (key_equal(e, &k))
				return 0;      /* the first fragment again (a retransmission) */
			continue;
		}
		if (!__atomic_compare_exchange_n(&e->seq, &s, s + 1, false, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			continue;
		e->used = 1;
		e->af = k.af;
		e->proto = k.proto;
		e->owner = (uint8_t)c->worker;
		e->id = k.id;
		e->deadline = ticks + SL_FRAG_LIFETIME_TICKS;
		e->translate = translate;
		memcpy(e->src, k.src, 16);
		memcpy(e->dst, k.dst, 16);
		memcpy(e->to_src, now.src, 16);
		memcpy(e->to_dst, now.dst, 16);
		__atomic_store_n(&e->seq, s + 2, __ATOMIC_RELEASE);
		return 0;
	}
	return -ENOSPC;
}

/* A later fragment whose first has not been seen: hold it, or drop it. */
void flow_frag_hold(struct sl_flow_worker_ctx *c, struct rte_mbuf *m, uint32_t ticks)
{
	if (c->n_held == SL_FRAG_HOLD) {
		sl_stats_drop(c->st, m, SL_DROP_FRAGMENT_HOLD_FULL);
		return;
	}
	c->held[c->n_held] = m;
	c->held_since[c->n_held++] = ticks;
}

/*
 * Service: held fragments whose first came go to the ready list (back into
 * the flow stage), those that waited a second are dropped; then free this
 * worker's entries past their lifetime, a slice of the table at a time.
 */
void flow_frag_service(struct sl_flow_worker_ctx *c, uint32_t ticks, unsigned budget)
{
	struct sl_frag_table *ft = c->frags;
	unsigned keep = 0;
	for (unsigned i = 0; i < c->n_held; i++) {
		struct rte_mbuf *m = c->held[i];
		if (c->n_ready < SL_FRAG_HOLD && flow_frag_follow(c, m)) {
			/* follow() rewrote it: pre lets a known fragment through as is. */
			sl_pkt_meta(m)->flags |= SL_PKT_F_FRAG_FOLLOWED;
			c->ready[c->n_ready++] = m;
		} else if (!sl_flow_before(c->held_since[i] + SL_FRAG_HOLD_TICKS, ticks) ||
			   c->n_ready == SL_FRAG_HOLD) {
			c->held_since[keep] = c->held_since[i];
			c->held[keep++] = m;
		} else {
			sl_stats_drop(c->st, m, SL_DROP_FRAGMENT_TIMEOUT);
		}
	}
	c->n_held = keep;
	for (unsigned i = 0; i < budget; i++) {
		struct sl_frag_entry *e = &ft->e[c->frag_cursor++ & ft->mask];
		uint32_t s = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
		if ((s & 1) || !e->used || e->owner != c->worker || !sl_flow_before(e->deadline, ticks))
			continue;
		/* Only its writer frees an entry: no one else moves its count now. */
		__atomic_store_n(&e->seq, s + 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_RELEASE);
		e->used = 0;
		__atomic_store_n(&e->seq, s + 2, __ATOMIC_RELEASE);
	}
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the management lcore does for a WireGuard interface: answer and
 * complete handshakes, ask for cookies under load, hold packets while a
 * handshake runs, and the paper's timers (§6): retransmitting initiations,
 * giving up after 90 s, rekeying, keepalives, forgetting old sessions.
 *
 * Times are TSC cycles; the interface's clock scale shortens every
 * protocol period at once so tests can run a rekey in seconds. The flood
 * limit (50 initiations a second per peer) and the load window stay in
 * real time: they are about this machine's capacity, not the protocol.
 */
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_jhash.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "sl_wg.h"
#include "wg_priv.h"

static uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t secs(const struct sl_wg_dev *d, uint64_t s)
{
	return s * d->tsc_hz / d->clock_scale;
}

/* --------------------------------------------------------------- sending */

/* Send handshake message @p msg to @p ep from the listen port. */
static void send_msg(struct sl_wg_dev *d, const struct sl_ipstack_tables *t,
		     const struct sl_wg_endpoint *ep, const void *msg, uint16_t len)
{
	struct sl_addr local = ep->local;
	if (ep->addr.af == 0 || (local.af != ep->addr.af && !wg_pick_local(t, &ep->addr, &local)))
		return;
	struct rte_mbuf *m = rte_pktmbuf_alloc(d->pool);
	if (m == NULL)
		return;
	uint16_t outer = wg_outer_len(ep->addr.af);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(outer + len));
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	memcpy(p + outer, msg, len);
	wg_encap_finish(m, &local, d->listen_port, &ep->addr, ep->port);
	d->tx(d->tx_arg, m);
}

/* Seal and send @p m (an IP packet after meta->l2_len) with session @p kp. */
static void send_data(struct sl_wg_dev *d, const struct sl_ipstack_tables *t, uint32_t slot,
		      struct sl_wg_keypair *kp, struct rte_mbuf *m, uint64_t now)
{
	struct sl_wg_peer *peer = &d->peers[slot];
	struct sl_wg_endpoint ep;
	uint32_t off, len;
	wg_ep_read(peer, &ep);
	if (ep.addr.af == 0) {
		sl_stats_drop(d->st, m, SL_DROP_WG_NO_ENDPOINT);
		return;
	}
	if (ep.local.af != ep.addr.af && !wg_pick_local(t, &ep.addr, &ep.local)) {
		sl_stats_drop(d->st, m, SL_DROP_NO_ROUTE);
		return;
	}
	uint64_t counter = sl_wg_keypair_counters(kp, 1);
	uint16_t inner_off = sl_pkt_meta(m)->l2_len;
	bool keepalive = rte_pktmbuf_pkt_len(m) == inner_off;
	if (counter >= SL_WG_REJECT_AFTER_MESSAGES ||
	    !wg_encap_prepare(m, inner_off, ep.addr.af, kp->remote_index, counter,
			      t->ports[d->port].mtu, &off, &len)) {
		sl_stats_drop(d->st, m, SL_DROP_WG_OUTER_MTU);
		return;
	}
	uint8_t *data = rte_pktmbuf_mtod_offset(m, uint8_t *, off);
	if (!sl_wg_aead_seal(data, kp->send_key, counter, data, len, NULL, 0)) {
		sl_stats_drop(d->st, m, SL_DROP_WG_NO_SESSION);
		return;
	}
	wg_encap_finish(m, &ep.local, d->listen_port, &ep.addr, ep.port);
	__atomic_fetch_add(&peer->tx_bytes, len + SL_WG_DATA_MIN_LEN, __ATOMIC_RELAXED);
	__atomic_fetch_add(&peer->tx_packets, 1, __ATOMIC_RELAXED);
	if (keepalive)
		d->ctl[slot].last_keepalive_tsc = now;
	else
		__atomic_store_n(&peer->last_tx_tsc, now, __ATOMIC_RELAXED);
	d->tx(d->tx_arg, m);
}

static void send_keepalive(struct sl_wg_dev *d, const struct sl_ipstack_tables *t, uint32_t slot,
			   struct sl_wg_keypair *kp, uint64_t now)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(d->pool);
	if (m == NULL)
		return;
	rte_pktmbuf_append(m, 14);
	sl_pkt_meta(m)->l2_len = 14;
	send_data(d, t, slot, kp, m, now);
}

/* The session to send with, if it may still be used. */
static struct sl_wg_keypair *usable_kp(const struct sl_wg_dev *d, uint32_t slot, uint64_t now)
{
	struct sl_wg_keypair *kp = __atomic_load_n(&d->peers[slot].send_kp, __ATOMIC_ACQUIRE);
	if (kp == NULL || wg_since(now, kp->birth_tsc) >= secs(d, SL_WG_REJECT_AFTER_TIME))
		return NULL;
	return kp;
}

/* ------------------------------------------------------------ handshakes */

/* Start (or retry) a handshake with @p slot: at most one handshake message
 * every REKEY_TIMEOUT, whichever role sent the last one. Packets held for
 * a handshake that cannot start (no endpoint, no key) are dropped. */
static void initiate(struct sl_wg_dev *d, const struct sl_ipstack_tables *t, uint32_t slot,
		     uint64_t now)
{
	struct peer_ctl *c = &d->ctl[slot];
	struct sl_wg_endpoint ep;
	wg_ep_read(&d->peers[slot], &ep);
	if (!d->has_key || !c->usable || ep.addr.af == 0) {
		wg_staged_drop_all(d, c);
		return;
	}
	if (c->last_hs_sent_tsc != 0 &&
	    wg_since(now, c->last_hs_sent_tsc) < secs(d, SL_WG_REKEY_TIMEOUT))
		return;
	/* Each retransmission is a new initiation, with a new index. */
	wg_kp_drop(d, c->hs_kp);
	c->hs_kp = wg_kp_new(d, slot);
	if (c->hs_kp == NULL) {
		wg_staged_drop_all(d, c);
		return;
	}
	struct sl_wg_msg_initiation msg;
	uint8_t e[SL_WG_KEY_LEN], ts[SL_WG_TAI64N_LEN];
	wg_random_bytes(e, sizeof(e));
	sl_wg_tai64n(ts, wall_ns());
	bool ok = sl_wg_initiation_create(&c->hs, &d->s, &c->keys, e, ts, c->hs_kp->local_index,
					  &msg);
	sl_wg_wipe(e, sizeof(e));
	if (!ok)
		return;
	if (c->has_cookie && wg_since(now, c->cookie_tsc) < secs(d, SL_WG_COOKIE_REFRESH_TIME))
		sl_wg_mac2_set(&msg, sizeof(msg), c->cookie);
	memcpy(c->last_mac1, msg.mac1, SL_WG_MAC_LEN);
	c->last_init_sent_tsc = now;
	c->last_hs_sent_tsc = now;
	if (c->attempt_start_tsc == 0)
		c->attempt_start_tsc = now;
	uint32_t jitter;
	wg_random_bytes(&jitter, sizeof(jitter));
	c->retry_jitter_tsc = (uint64_t)(jitter % 334) * d->tsc_hz / 1000 / d->clock_scale;
	d->hs[SL_WG_HS_INITIATED]++;
	send_msg(d, t, &ep, &msg, sizeof(msg));
}

static void set_endpoint(struct sl_wg_dev *d, uint32_t slot, const struct sl_addr *src,
			 uint16_t sport, const struct sl_addr *local)
{
	struct sl_wg_endpoint ep = {.addr = *src, .port = sport, .local = *local};
	wg_ep_write(&d->peers[slot], &ep, true);
}

static void completed(struct sl_wg_dev *d, struct peer_ctl *c, uint64_t now)
{
	c->attempt_start_tsc = 0;
	c->last_handshake_tsc = now;
	c->last_handshake_wall = wall_ns();
	d->hs[SL_WG_HS_COMPLETED]++;
}

/* Drop *@p kpp, first taking it off the peer's sending pointer if there. */
static void drop_unless_sending(struct sl_wg_dev *d, uint32_t slot, struct sl_wg_keypair **kpp)
{
	struct sl_wg_keypair *kp = *kpp;
	if (kp == NULL)
		return;
	struct sl_wg_keypair *expect = kp;
	__atomic_compare_exchange_n(&d->peers[slot].send_kp, &expect, NULL, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	wg_kp_drop(d, kp);
	*kpp = NULL;
}

static void flush_staged(struct sl_wg_dev *d, const struct sl_ipstack_tables *t, uint32_t slot,
			 struct sl_wg_keypair *kp, uint64_t now);

/*
 * A responder's session the initiator has used (a worker marked it
 * confirmed) becomes the one to send with. Only the management lcore
 * publishes sessions, so a worker can never put back one that is being
 * dropped. What waited for a session goes now.
 */
static void promote(struct sl_wg_dev *d, const struct sl_ipstack_tables *t, uint32_t slot,
		    uint64_t now)
{
	struct peer_ctl *c = &d->ctl[slot];
	if (c->kp_next == NULL || !__atomic_load_n(&c->kp_next->confirmed, __ATOMIC_ACQUIRE))
		return;
	struct sl_wg_keypair *kp = c->kp_next;
	__atomic_store_n(&d->peers[slot].send_kp, kp, __ATOMIC_RELEASE);
	wg_kp_drop(d, c->kp_prev);
	c->kp_prev = c->kp_cur;
	c->kp_cur = kp;
	c->kp_next = NULL;
	completed(d, c, now);
	if (c->n_staged > 0)
		flush_staged(d, t, slot, kp, now);
}

static void consume_initiation(struct sl_wg_dev *d, const struct sl_ipstack_tables *t,
			       const struct sl_wg_msg_initiation *msg, const struct sl_addr *src,
			       uint16_t sport, const struct sl_addr *local, uint64_t now)
{
	struct sl_wg_handshake hs = {0};
	uint8_t pub[SL_WG_KEY_LEN], ts[SL_WG_TAI64N_LEN];
	if (!sl_wg_initiation_open(&hs, &d->s, msg, pub)) {
		d->hs[SL_WG_HS_DECRYPT]++;
		return;
	}
	int32_t slot = wg_slot_of(d, pub);
	if (slot < 0 || !d->ctl[slot].usable) {
		d->hs[SL_WG_HS_UNKNOWN_PEER]++;
		sl_wg_wipe(&hs, sizeof(hs));
		return;
	}
	struct peer_ctl *c = &d->ctl[slot];
	if (!sl_wg_initiation_finish(&hs, &c->keys, msg, ts)) {
		d->hs[SL_WG_HS_DECRYPT]++;
		sl_wg_wipe(&hs, sizeof(hs));
		return;
	}
	/* Replayed: not newer than the newest we took. Flooding: faster than 50/s. */
	if (memcmp(ts, c->last_ts, sizeof(ts)) <= 0) {
		d->hs[SL_WG_HS_REPLAY]++;
		sl_wg_wipe(&hs, sizeof(hs));
		return;
	}
	if (c->last_init_consumed_tsc != 0 &&
	    wg_since(now, c->last_init_consumed_tsc) < d->tsc_hz / SL_WG_INITIATIONS_PER_SECOND) {
		d->hs[SL_WG_HS_FLOOD]++;
		sl_wg_wipe(&hs, sizeof(hs));
		return;
	}
	memcpy(c->last_ts, ts, sizeof(ts));
	c->last_init_consumed_tsc = now;
	set_endpoint(d, (uint32_t)slot, src, sport, local);
	struct sl_wg_keypair *kp = wg_kp_new(d, (uint32_t)slot);
	if (kp == NULL) {
		sl_wg_wipe(&hs, sizeof(hs));
		return;
	}
	struct sl_wg_msg_response resp;
	uint8_t e[SL_WG_KEY_LEN];
	wg_random_bytes(e, sizeof(e));
	bool ok = sl_wg_response_create(&hs, &c->keys, e, kp->local_index, &resp);
	sl_wg_wipe(e, sizeof(e));
	if (!ok) {
		wg_kp_drop(d, kp);
		sl_wg_wipe(&hs, sizeof(hs));
		return;
	}
	if (c->has_cookie && wg_since(now, c->cookie_tsc) < secs(d, SL_WG_COOKIE_REFRESH_TIME))
		sl_wg_mac2_set(&resp, sizeof(resp), c->cookie);
	memcpy(c->last_mac1, resp.mac1, SL_WG_MAC_LEN);
	wg_kp_set_keys(kp, &hs, false, now);
	/* The responder's session waits for the initiator's first packet
	 * (next); the previous one goes, as in Linux. */
	wg_kp_drop(d, c->kp_next);
	c->kp_next = kp;
	drop_unless_sending(d, (uint32_t)slot, &c->kp_prev);
	c->last_hs_sent_tsc = now;
	/* Our own initiation in flight, if any, gives way to theirs. */
	wg_kp_drop(d, c->hs_kp);
	c->hs_kp = NULL;
	sl_wg_wipe(&c->hs, sizeof(c->hs));
	/* Complete only once the initiator uses the session (promote()), as
	 * Linux: a response the initiator cannot open (a wrong preshared key)
	 * is no handshake. */
	c->attempt_start_tsc = 0;
	struct sl_wg_endpoint ep = {.addr = *src, .port = sport, .local = *local};
	send_msg(d, t, &ep, &resp, sizeof(resp));
}

/* Send what was held for @p slot, or a keepalive to confirm the session. */
static void flush_staged(struct sl_wg_dev *d, const struct sl_ipstack_tables *t, uint32_t slot,
			 struct sl_wg_keypair *kp, uint64_t now)
{
	struct peer_ctl *c = &d->ctl[slot];
	if (c->n_staged == 0) {
		send_keepalive(d, t, slot, kp, now);
		return;
	}
	for (unsigned i = 0; i < c->n_staged; i++)
		send_data(d, t, slot, kp, c->staged[i], now);
	__atomic_fetch_sub(&d->peers[slot].held, c->n_staged, __ATOMIC_RELAXED);
	c->n_staged = 0;
}

static void consume_response(struct sl_wg_dev *d, const struct sl_ipstack_tables *t,
			     const struct sl_wg_msg_response *msg, const struct sl_addr *src,
			     uint16_t sport, const struct sl_addr *local, uint64_t now)
{
	uint32_t rx = sl_wg_le32(msg->receiver);
	struct sl_wg_keypair *kp = d->index[rx & d->index_mask];
	if (kp == NULL || kp->local_index != rx || kp->ready) {
		d->hs[SL_WG_HS_UNEXPECTED]++;
		return;
	}
	uint32_t slot = kp->peer;
	struct peer_ctl *c = &d->ctl[slot];
	if (c->hs_kp != kp || c->hs.state != SL_WG_HS_INIT_SENT) {
		d->hs[SL_WG_HS_UNEXPECTED]++;
		return;
	}
	if (!sl_wg_response_consume(&c->hs, &d->s, &c->keys, msg)) {
		d->hs[SL_WG_HS_DECRYPT]++;
		return;
	}
	wg_kp_set_keys(kp, &c->hs, true, now);
	c->hs_kp = NULL;
	/* As Linux: a pending responder session becomes the previous one
	 * (the peer may be sending on it), else the current one does. */
	__atomic_store_n(&d->peers[slot].send_kp, kp, __ATOMIC_RELEASE);
	wg_kp_drop(d, c->kp_prev);
	if (c->kp_next != NULL) {
		c->kp_prev = c->kp_next;
		wg_kp_drop(d, c->kp_cur);
	} else {
		c->kp_prev = c->kp_cur;
	}
	c->kp_next = NULL;
	c->kp_cur = kp;
	set_endpoint(d, slot, src, sport, local);
	completed(d, c, now);
	flush_staged(d, t, slot, kp, now);
}

static void consume_cookie(struct sl_wg_dev *d, const struct sl_wg_msg_cookie *msg, uint64_t now)
{
	uint32_t rx = sl_wg_le32(msg->receiver);
	struct sl_wg_keypair *kp = d->index[rx & d->index_mask];
	if (kp == NULL || kp->local_index != rx) {
		d->hs[SL_WG_HS_UNEXPECTED]++;
		return;
	}
	struct peer_ctl *c = &d->ctl[kp->peer];
	uint8_t cookie[SL_WG_MAC_LEN];
	if (!sl_wg_cookie_reply_open(cookie, msg, c->keys.cookie_key, c->last_mac1)) {
		d->hs[SL_WG_HS_UNEXPECTED]++;
		return;
	}
	memcpy(c->cookie, cookie, sizeof(cookie));
	sl_wg_wipe(cookie, sizeof(cookie));
	c->has_cookie = true;
	c->cookie_tsc = now;
	d->hs[SL_WG_HS_COOKIE_RECEIVED]++;
}

/* More handshake messages this second than the configured load: from now
 * on for a second, mac2 (a cookie) is required. */
static bool under_load(struct sl_wg_dev *d, uint64_t now)
{
	if (wg_since(now, d->load_window_tsc) >= d->tsc_hz) {
		d->load_window_tsc = now;
		d->load_count = 0;
	}
	if (++d->load_count > d->handshake_load)
		d->under_load_until = now + d->tsc_hz;
	return now < d->under_load_until;
}

/* Under load, each source (an IPv4 address, an IPv6 /64) gets 20
 * handshakes a second, 5 at once: a valid cookie proves the address, not
 * that its sender is polite. */
static bool source_allowed(struct sl_wg_dev *d, const struct sl_addr *src, uint64_t now)
{
	uint8_t key[17] = {src->af};
	memcpy(key + 1, src->af == SL_AF_INET ? (const void *)&src->v4 : src->v6,
	       src->af == SL_AF_INET ? 4 : 8);
	uint32_t h = rte_jhash(key, sizeof(key), 0x77) & (WG_RL_SLOTS - 1);
	uint64_t interval = d->tsc_hz / 20;
	if (memcmp(d->rl[h].key, key, sizeof(key)) != 0 || d->rl[h].last_tsc == 0) {
		memcpy(d->rl[h].key, key, sizeof(key));
		d->rl[h].tokens = 5;
		d->rl[h].last_tsc = now;
	}
	uint64_t add = (wg_since(now, d->rl[h].last_tsc)) / interval;
	if (add > 0) {
		d->rl[h].tokens = (uint8_t)RTE_MIN(5u, d->rl[h].tokens + add);
		d->rl[h].last_tsc += add * interval;
	}
	if (d->rl[h].tokens == 0)
		return false;
	d->rl[h].tokens--;
	return true;
}

/* The peer whose allowed IPs hold @p m's destination, or UINT32_MAX. */
static uint32_t peer_of(const struct sl_wg_dev *d, struct rte_mbuf *m)
{
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	uint8_t af = meta->l3_type == SL_L3_IPV4 ? SL_AF_INET : SL_AF_INET6;
	const uint8_t *dst = af == SL_AF_INET ? (const uint8_t *)&sl_pkt_ipv4(m)->dst_addr
					      : sl_pkt_ipv6(m)->dst_addr;
	return wg_allowed_lookup(d, af, dst);
}

/* A packet for a peer without a session: sent if one is ready now, else
 * held (up to 32 per peer) and a handshake started. @p counted: a worker
 * counted it in the peer's held packets. */
static void held_add(struct sl_wg_dev *d, const struct sl_ipstack_tables *t, struct rte_mbuf *m,
		     uint32_t slot, bool counted, uint64_t now)
{
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	meta->flags &= (uint16_t)~SL_PKT_F_WG_STAGED;
	if (counted && slot < d->max_peers)
		__atomic_fetch_sub(&d->peers[slot].held, 1, __ATOMIC_RELAXED);
	/* The peer may have gone, and its slot been given to another, since
	 * the worker looked: the destination says again whose it is. */
	if (slot >= d->max_peers || !d->peers[slot].in_use || peer_of(d, m) != slot) {
		sl_stats_drop(d->st, m, SL_DROP_WG_NO_PEER);
		return;
	}
	promote(d, t, slot, now);
	struct sl_wg_keypair *kp = usable_kp(d, slot, now);
	if (kp != NULL) {
		send_data(d, t, slot, kp, m, now);
		return;
	}
	struct peer_ctl *c = &d->ctl[slot];
	if (c->n_staged == SL_WG_STAGED_MAX) {
		sl_stats_drop(d->st, m, SL_DROP_WG_STAGED_FULL);
		d->staged_dropped++;
	} else {
		c->staged[c->n_staged++] = m;
		__atomic_fetch_add(&d->peers[slot].held, 1, __ATOMIC_RELAXED);
	}
	if (c->hs.state != SL_WG_HS_INIT_SENT)
		initiate(d, t, slot, now);
}

void sl_wg_dev_input(struct sl_wg_dev *d, const struct sl_ipstack_tables *t, struct rte_mbuf *m,
		     uint64_t now)
{
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	if (meta->flags & SL_PKT_F_WG_STAGED) {
		held_add(d, t, m, meta->hash, true, now);
		return;
	}
	uint32_t off = meta->l2_len + meta->l3_len + sizeof(struct rte_udp_hdr);
	uint32_t len = meta->ip_len - meta->l3_len - sizeof(struct rte_udp_hdr);
	union {
		struct sl_wg_msg_initiation init;
		struct sl_wg_msg_response resp;
		struct sl_wg_msg_cookie cookie;
		uint8_t b[SL_WG_INITIATION_LEN];
	} msg;
	struct sl_addr src = {0}, local = {0};
	if (len > sizeof(msg) || !d->has_key) {
		rte_pktmbuf_free(m);
		return;
	}
	memcpy(&msg, rte_pktmbuf_mtod_offset(m, const void *, off), len);
	uint8_t srcb[18];
	size_t srcb_len;
	if (meta->l3_type == SL_L3_IPV4) {
		src.af = local.af = SL_AF_INET;
		src.v4 = sl_pkt_ipv4(m)->src_addr;
		local.v4 = sl_pkt_ipv4(m)->dst_addr;
		memcpy(srcb, &src.v4, 4);
		srcb_len = 4;
	} else {
		src.af = local.af = SL_AF_INET6;
		memcpy(src.v6, sl_pkt_ipv6(m)->src_addr, 16);
		memcpy(local.v6, sl_pkt_ipv6(m)->dst_addr, 16);
		memcpy(srcb, src.v6, 16);
		srcb_len = 16;
	}
	uint16_t sport = meta->src_port;
	srcb[srcb_len++] = (uint8_t)(sport >> 8);
	srcb[srcb_len++] = (uint8_t)sport;
	rte_pktmbuf_free(m);

	uint32_t type = sl_wg_le32(msg.init.type);
	if (type == SL_WG_MSG_COOKIE) {
		consume_cookie(d, &msg.cookie, now);
		return;
	}
	if (!sl_wg_mac1_valid(&msg, len, d->s.mac1_key)) {
		d->hs[SL_WG_HS_BAD_MAC1]++;
		return;
	}
	if (wg_since(now, d->secret_tsc) >= secs(d, SL_WG_COOKIE_REFRESH_TIME)) {
		wg_random_bytes(d->cookie_secret, sizeof(d->cookie_secret));
		d->secret_tsc = now;
	}
	if (under_load(d, now)) {
		uint8_t cookie[SL_WG_MAC_LEN];
		sl_wg_cookie_make(cookie, d->cookie_secret, srcb, srcb_len);
		if (!sl_wg_mac2_valid(&msg, len, cookie)) {
			struct sl_wg_msg_cookie reply;
			uint8_t nonce[SL_WG_XNONCE_LEN];
			const uint8_t *mac1 = msg.b + len - 2 * SL_WG_MAC_LEN;
			wg_random_bytes(nonce, sizeof(nonce));
			if (sl_wg_cookie_reply_create(&reply, sl_wg_le32(msg.init.sender), nonce,
						      cookie, d->s.cookie_key, mac1)) {
				struct sl_wg_endpoint ep = {.addr = src, .port = sport,
							    .local = local};
				send_msg(d, t, &ep, &reply, sizeof(reply));
				d->hs[SL_WG_HS_COOKIE_SENT]++;
			}
			return;
		}
		if (!source_allowed(d, &src, now)) {
			d->hs[SL_WG_HS_RATELIMITED]++;
			return;
		}
	}
	if (type == SL_WG_MSG_INITIATION)
		consume_initiation(d, t, &msg.init, &src, sport, &local, now);
	else
		consume_response(d, t, &msg.resp, &src, sport, &local, now);
	sl_wg_wipe(&msg, sizeof(msg));
}

void sl_wg_dev_output(struct sl_wg_dev *d, const struct sl_ipstack_tables *t, struct rte_mbuf *m,
		      uint64_t now)
{
	uint32_t slot = peer_of(d, m);
	if (slot == UINT32_MAX) {
		sl_stats_drop(d->st, m, SL_DROP_WG_NO_PEER);
		return;
	}
	held_add(d, t, m, slot, false, now);
}

/* ---------------------------------------------------------------- timers */

static void expire_sessions(struct sl_wg_dev *d, uint32_t slot, uint64_t now)
{
	struct peer_ctl *c = &d->ctl[slot];
	struct sl_wg_keypair **kps[3] = {&c->kp_prev, &c->kp_cur, &c->kp_next};
	for (unsigned i = 0; i < 3; i++)
		if (*kps[i] != NULL &&
		    wg_since(now, (*kps[i])->birth_tsc) >= secs(d, SL_WG_REJECT_AFTER_TIME))
			drop_unless_sending(d, slot, kps[i]);
}

static void peer_timers(struct sl_wg_dev *d, const struct sl_ipstack_tables *t, uint32_t slot,
			uint64_t now)
{
	struct peer_ctl *c = &d->ctl[slot];
	struct sl_wg_peer *p = &d->peers[slot];
	promote(d, t, slot, now);
	expire_sessions(d, slot, now);
	if (c->hs.state == SL_WG_HS_INIT_SENT) {
		if (wg_since(now, c->attempt_start_tsc) >= secs(d, SL_WG_REKEY_ATTEMPT_TIME)) {
			/* Given up: what waited for it is dropped, as in Linux. */
			wg_kp_drop(d, c->hs_kp);
			c->hs_kp = NULL;
			sl_wg_wipe(&c->hs, sizeof(c->hs));
			c->attempt_start_tsc = 0;
			wg_staged_drop_all(d, c);
			d->hs[SL_WG_HS_TIMEOUT]++;
		} else if (wg_since(now, c->last_init_sent_tsc) >=
			   secs(d, SL_WG_REKEY_TIMEOUT) + c->retry_jitter_tsc) {
			initiate(d, t, slot, now);
		}
	}
	bool want = __atomic_exchange_n(&p->want_handshake, 0, __ATOMIC_RELAXED);
	/* A worker's wish from before the session it asked for was made. */
	struct sl_wg_keypair *cur = usable_kp(d, slot, now);
	if (want && cur != NULL && wg_since(now, cur->birth_tsc) < secs(d, SL_WG_REKEY_AFTER_TIME) &&
	    __atomic_load_n(&cur->send_counter, __ATOMIC_RELAXED) < SL_WG_REKEY_AFTER_MESSAGES)
		want = false;
	uint64_t last_tx = __atomic_load_n(&p->last_tx_tsc, __ATOMIC_RELAXED);
	uint64_t last_rx = __atomic_load_n(&p->last_rx_tsc, __ATOMIC_RELAXED);
	uint64_t last_data_rx = __atomic_load_n(&p->last_data_rx_tsc, __ATOMIC_RELAXED);
	uint64_t last_sent = RTE_MAX(last_tx, c->last_keepalive_tsc);
	/* As Linux's timers: armed by the first packet that is not answered,
	 * not pushed back by the ones after it, and not armed again until
	 * more data is sent. Data sent and nothing heard for 15 s (a
	 * completed handshake counts as hearing): the session may be gone, a
	 * new handshake. */
	uint64_t heard = RTE_MAX(last_rx, c->last_handshake_tsc);
	if (c->tx_unanswered_tsc != 0 && heard >= c->tx_unanswered_tsc)
		c->tx_unanswered_tsc = 0;
	if (c->tx_unanswered_tsc == 0 && last_tx > heard && last_tx != c->tx_armed_for) {
		c->tx_unanswered_tsc = now;
		c->tx_armed_for = last_tx;
	}
	if (c->tx_unanswered_tsc != 0 &&
	    wg_since(now, c->tx_unanswered_tsc) >= secs(d, SL_WG_KEEPALIVE_TIMEOUT +
							    SL_WG_REKEY_TIMEOUT)) {
		c->tx_unanswered_tsc = 0;
		want = true;
	}
	/* An initiator only receiving rekeys before its session runs out. */
	if (c->kp_cur != NULL && c->kp_cur->initiator && last_data_rx > c->kp_cur->birth_tsc &&
	    wg_since(now, c->kp_cur->birth_tsc) >= secs(d, SL_WG_REJECT_AFTER_TIME -
					       SL_WG_KEEPALIVE_TIMEOUT - SL_WG_REKEY_TIMEOUT))
		want = true;
	/* Something held and no handshake under way (it gave way to one of
	 * the peer's that has not been confirmed, say): start one. */
	if (c->n_staged > 0 && usable_kp(d, slot, now) == NULL)
		want = true;
	if (want && c->hs.state != SL_WG_HS_INIT_SENT)
		initiate(d, t, slot, now);
	struct sl_wg_keypair *kp = usable_kp(d, slot, now);
	/* Data received and nothing sent back for 10 s: a keepalive. */
	if (last_sent >= c->rx_unanswered_tsc)
		c->rx_unanswered_tsc = 0;
	if (c->rx_unanswered_tsc == 0 && last_data_rx > last_sent)
		c->rx_unanswered_tsc = now;
	if (kp != NULL && c->rx_unanswered_tsc != 0 &&
	    wg_since(now, c->rx_unanswered_tsc) >= secs(d, SL_WG_KEEPALIVE_TIMEOUT)) {
		c->rx_unanswered_tsc = 0;
		send_keepalive(d, t, slot, kp, now);
		last_sent = now;
	}
	/* Persistent keepalive: after that long without any authenticated
	 * packet either way, as Linux. */
	if (c->keepalive_s > 0 && wg_since(now, RTE_MAX(last_sent, last_rx)) >=
				  (uint64_t)c->keepalive_s * d->tsc_hz / d->clock_scale) {
		if (kp != NULL)
			send_keepalive(d, t, slot, kp, now);
		else if (c->hs.state != SL_WG_HS_INIT_SENT)
			initiate(d, t, slot, now);
	}
}

/* Ticks a pass over every peer takes: a tenth of them each tick, so with
 * 10 ms ticks each peer's timers run every 100 ms, and a tick's work stays
 * bounded however many peers there are (the timers are seconds long). */
#define TICKS_PER_PASS 10

void sl_wg_dev_tick(struct sl_wg_dev *d, const struct sl_ipstack_tables *t, uint64_t now)
{
	wg_reclaim(d);
	if (!d->has_key)
		return;
	uint32_t budget = (d->max_peers + TICKS_PER_PASS - 1) / TICKS_PER_PASS;
	for (uint32_t n = 0; n < budget; n++) {
		uint32_t i = d->tick_cursor;
		d->tick_cursor = i + 1 < d->max_peers ? i + 1 : 0;
		if (d->peers[i].in_use)
			peer_timers(d, t, i, now);
	}
}

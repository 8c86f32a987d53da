/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The two WireGuard stages of the workers.
 *
 * Tunnel in takes UDP to a listen port on one of sluice's addresses out of
 * the burst, decrypts the data messages in one ipsec-mb burst, and puts
 * each inner packet back where its outer packet was, parsed as if it had
 * arrived on the interface: the ACL, the shield, connection tracking and
 * routing then see it like any packet. Tunnel out does the reverse for
 * what route sent to an interface, and routes the outer packet.
 *
 * Two workers may hold packets of one session at once (RSS spreads the
 * inner flows of an outbound tunnel; a roaming peer moves its outer flow):
 * the sending counter is one atomic add and the replay window is
 * lock-free, so no packet waits for another worker (doc/architecture.md).
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "sl_wg.h"
#include "wg_priv.h"

enum verdict { PASS, GONE, CRYPT };

/* The interface whose listen port @p m is addressed to on one of our
 * addresses, or NULL. */
static struct sl_wg_dev *listener(const struct sl_wg_worker *w, struct rte_mbuf *m)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	if (meta->l4_proto != IPPROTO_UDP || (meta->flags & SL_PKT_F_FRAGMENT))
		return NULL;
	struct sl_wg_dev *d = NULL;
	for (uint8_t k = 0; k < w->n_dev; k++)
		if (w->listen_port[w->dev_ports[k]] == meta->dst_port)
			d = w->dev[w->dev_ports[k]];
	if (d == NULL)
		return NULL;
	uint32_t idx = meta->l3_type == SL_L3_IPV4 ?
		sl_ipstack_lookup4(w->ip->t, rte_be_to_cpu_32(sl_pkt_ipv4(m)->dst_addr)) :
		sl_ipstack_lookup6(w->ip->t, sl_pkt_ipv6(m)->dst_addr);
	return w->ip->t->nexthops[idx].type == SL_NH_LOCAL ? d : NULL;
}

/* The outer source of @p m as an endpoint (with our address it reached). */
static void outer_source(struct rte_mbuf *m, struct sl_addr *src, struct sl_addr *dst)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	if (meta->l3_type == SL_L3_IPV4) {
		src->af = dst->af = SL_AF_INET;
		src->v4 = sl_pkt_ipv4(m)->src_addr;
		dst->v4 = sl_pkt_ipv4(m)->dst_addr;
	} else {
		src->af = dst->af = SL_AF_INET6;
		memcpy(src->v6, sl_pkt_ipv6(m)->src_addr, 16);
		memcpy(dst->v6, sl_pkt_ipv6(m)->dst_addr, 16);
	}
}

/* A session's first packet from its initiator confirms a responder's
 * session (the paper's key confirmation). The management lcore makes it
 * the one to send with: only it publishes sessions, so none it is
 * dropping can be put back. */
static void confirm(struct sl_wg_keypair *kp)
{
	if (!__atomic_load_n(&kp->confirmed, __ATOMIC_RELAXED))
		__atomic_store_n(&kp->confirmed, 1, __ATOMIC_RELEASE);
}

/* The decrypted packet of op @p m: checked, decapsulated, parsed as if it
 * came in on the interface. False when it was dropped. */
static bool deliver(struct sl_wg_worker *w, struct sl_wg_dev *d, struct sl_wg_keypair *kp,
		    struct rte_mbuf *m, uint32_t data_off, uint32_t data_len)
{
	const uint8_t *in = rte_pktmbuf_mtod_offset(m, const uint8_t *, data_off);
	uint32_t tot;
	uint8_t af;
	const uint8_t *src;
	if (data_len >= 20 && (in[0] >> 4) == 4) {
		tot = (uint32_t)in[2] << 8 | in[3];
		af = SL_AF_INET;
		src = in + 12;
		if (tot < 20 || tot > data_len)
			goto bad;
	} else if (data_len >= 40 && (in[0] >> 4) == 6) {
		tot = 40 + ((uint32_t)in[4] << 8 | in[5]);
		af = SL_AF_INET6;
		src = in + 8;
		if (tot > data_len)
			goto bad;
	} else {
		goto bad;
	}
	/* Cryptokey routing, inbound: the source must be the peer's. */
	if (wg_allowed_lookup(d, af, src) != kp->peer)
		goto bad;
	rte_pktmbuf_adj(m, (uint16_t)(data_off - RTE_ETHER_HDR_LEN));
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN - tot));
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	memset(eth, 0, sizeof(*eth));
	eth->ether_type = rte_cpu_to_be_16(af == SL_AF_INET ? RTE_ETHER_TYPE_IPV4
							     : RTE_ETHER_TYPE_IPV6);
	/* Nothing the NIC said of the outer packet holds for the inner one. */
	m->ol_flags &= ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK |
			 RTE_MBUF_F_RX_RSS_HASH | RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED);
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	meta->in_port = d->port;
	if (!sl_pkt_parse(m)) {
		sl_stats_drop(w->st, m, (enum sl_drop_reason)meta->drop_reason);
		return false;
	}
	w->st->port[d->port].rx_packets++;
	w->st->port[d->port].rx_bytes += tot;
	return true;
bad:
	sl_stats_drop(w->st, m, SL_DROP_WG_ALLOWED_IPS);
	return false;
}

static void punt(struct sl_wg_worker *w, struct rte_ring *r, struct rte_mbuf **pkts, uint16_t n)
{
	if (n == 0)
		return;
	unsigned sent = rte_ring_mp_enqueue_burst(r, (void **)pkts, n, NULL);
	w->st->punted += sent;
	for (unsigned i = sent; i < n; i++) {
		struct sl_pkt_meta *meta = sl_pkt_meta(pkts[i]);
		/* A held packet that did not make it is no longer counted. */
		if (meta->flags & SL_PKT_F_WG_STAGED)
			__atomic_fetch_sub(&w->dev[meta->out_port]->peers[meta->hash].held, 1,
					   __ATOMIC_RELAXED);
		sl_stats_drop(w->st, pkts[i], SL_DROP_WG_PUNT_FULL);
	}
}

uint16_t sl_wg_in_burst(struct sl_wg_worker *w, struct rte_mbuf **pkts, uint16_t n,
			uint64_t now)
{
	if (w->n_dev == 0 || n == 0)
		return n;
	uint8_t verdict[n];
	struct sl_wg_cipher_op ops[SL_WG_CIPHER_BURST];
	struct sl_wg_keypair *kps[SL_WG_CIPHER_BURST];
	struct sl_wg_dev *devs[SL_WG_CIPHER_BURST];
	uint16_t op_of[SL_WG_CIPHER_BURST];
	struct rte_mbuf *to_punt[n];
	uint16_t n_ops = 0, np = 0;
	uint64_t reject;

	memset(verdict, PASS, n);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct sl_wg_dev *d = listener(w, m);
		if (d == NULL)
			continue;
		verdict[i] = GONE;
		reject = SL_WG_REJECT_AFTER_TIME * w->tsc_hz / d->clock_scale;
		struct sl_pkt_meta *meta = sl_pkt_meta(m);
		uint32_t off = meta->l2_len + meta->l3_len + sizeof(struct rte_udp_hdr);
		uint32_t len = meta->ip_len - meta->l3_len - sizeof(struct rte_udp_hdr);
		if (meta->ip_len < meta->l3_len + sizeof(struct rte_udp_hdr) + 4 ||
		    rte_pktmbuf_data_len(m) < off + len) {
			sl_stats_drop(w->st, m, SL_DROP_WG_MALFORMED);
			continue;
		}
		const uint8_t *msg = rte_pktmbuf_mtod_offset(m, const uint8_t *, off);
		uint32_t type;
		memcpy(&type, msg, sizeof(type));
		type = sl_wg_le32(type);
		if ((type == SL_WG_MSG_INITIATION && len == SL_WG_INITIATION_LEN) ||
		    (type == SL_WG_MSG_RESPONSE && len == SL_WG_RESPONSE_LEN) ||
		    (type == SL_WG_MSG_COOKIE && len == SL_WG_COOKIE_LEN)) {
			meta->flags |= SL_PKT_F_WG_HANDSHAKE;
			meta->out_port = d->port;
			to_punt[np++] = m;
			continue;
		}
		if (type != SL_WG_MSG_DATA || len < SL_WG_DATA_MIN_LEN) {
			sl_stats_drop(w->st, m, SL_DROP_WG_MALFORMED);
			continue;
		}
		struct sl_wg_msg_data hdr;
		memcpy(&hdr, msg, sizeof(hdr));
		uint32_t rx = sl_wg_le32(hdr.receiver);
		uint64_t counter = sl_wg_le64(hdr.counter);
		struct sl_wg_keypair *kp = __atomic_load_n(&d->index[rx & d->index_mask],
							   __ATOMIC_ACQUIRE);
		if (kp == NULL || kp->local_index != rx ||
		    !__atomic_load_n(&kp->ready, __ATOMIC_ACQUIRE) ||
		    wg_since(now, kp->birth_tsc) >= reject || counter >= SL_WG_REJECT_AFTER_MESSAGES) {
			sl_stats_drop(w->st, m, SL_DROP_WG_NO_SESSION);
			continue;
		}
		verdict[i] = CRYPT;
		ops[n_ops] = (struct sl_wg_cipher_op){.m = m, .key = kp->recv_key,
						      .counter = counter,
						      .off = off + SL_WG_DATA_HDR_LEN,
						      .len = len - SL_WG_DATA_MIN_LEN};
		kps[n_ops] = kp;
		devs[n_ops] = d;
		op_of[n_ops++] = i;
		if (n_ops == SL_WG_CIPHER_BURST)
			break;   /* the rest of a longer burst passes on: never here */
	}
	uint64_t ok = sl_wg_open_burst(w->cipher, ops, n_ops);
	for (uint16_t k = 0; k < n_ops; k++) {
		struct rte_mbuf *m = ops[k].m;
		struct sl_wg_keypair *kp = kps[k];
		struct sl_wg_dev *d = devs[k];
		uint16_t i = op_of[k];
		verdict[i] = GONE;
		if (!(ok & (1ull << k))) {
			sl_stats_drop(w->st, m, SL_DROP_WG_DECRYPT);
			continue;
		}
		if (!sl_wg_replay_check(&kp->replay, ops[k].counter)) {
			sl_stats_drop(w->st, m, SL_DROP_WG_REPLAY);
			continue;
		}
		/* Authentic: it counts, confirms the session, may move the peer. */
		w->st->wg_decrypted++;
		struct sl_wg_peer *peer = &d->peers[kp->peer];
		confirm(kp);
		struct sl_addr src, local;
		uint16_t sport = sl_pkt_meta(m)->src_port;
		outer_source(m, &src, &local);
		struct sl_wg_endpoint ep;
		wg_ep_read(peer, &ep);
		if (!wg_ep_equal(&src, sport, &ep) || ep.local.af != local.af) {
			struct sl_wg_endpoint moved = {.addr = src, .port = sport, .local = local};
			wg_ep_write(peer, &moved, false);
		}
		__atomic_fetch_add(&peer->rx_bytes, ops[k].len + SL_WG_DATA_MIN_LEN,
				   __ATOMIC_RELAXED);
		__atomic_fetch_add(&peer->rx_packets, 1, __ATOMIC_RELAXED);
		if (__atomic_load_n(&peer->last_rx_tsc, __ATOMIC_RELAXED) != now)
			__atomic_store_n(&peer->last_rx_tsc, now, __ATOMIC_RELAXED);
		if (ops[k].len == 0) {
			rte_pktmbuf_free(m);    /* a keepalive: its work is done */
			continue;
		}
		if (__atomic_load_n(&peer->last_data_rx_tsc, __ATOMIC_RELAXED) != now)
			__atomic_store_n(&peer->last_data_rx_tsc, now, __ATOMIC_RELAXED);
		if (deliver(w, d, kp, m, ops[k].off, ops[k].len))
			verdict[i] = PASS;
	}
	uint16_t keep = 0;
	for (uint16_t i = 0; i < n; i++)
		if (verdict[i] == PASS)
			pkts[keep++] = pkts[i];
	punt(w, w->punt, to_punt, np);
	return keep;
}

/*
 * Hold @p m for the management lcore, which starts a handshake: at most
 * SL_WG_STAGED_MAX per peer on their way or held, so a stream toward a
 * peer without a session cannot fill the ring; never for a peer with no
 * endpoint (no handshake can start). False: dropped.
 */
static bool stage(struct sl_wg_worker *w, struct sl_wg_peer *peer, struct rte_mbuf *m,
		  uint32_t slot)
{
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	if (__atomic_load_n(&peer->ep.addr.af, __ATOMIC_RELAXED) == 0) {
		sl_stats_drop(w->st, m, SL_DROP_WG_NO_ENDPOINT);
		return false;
	}
	if (__atomic_fetch_add(&peer->held, 1, __ATOMIC_RELAXED) >= SL_WG_STAGED_MAX) {
		__atomic_fetch_sub(&peer->held, 1, __ATOMIC_RELAXED);
		sl_stats_drop(w->st, m, SL_DROP_WG_STAGED_FULL);
		return false;
	}
	if (!__atomic_load_n(&peer->want_handshake, __ATOMIC_RELAXED))
		__atomic_store_n(&peer->want_handshake, 1, __ATOMIC_RELAXED);
	meta->flags |= SL_PKT_F_WG_STAGED;
	meta->hash = slot;
	return true;
}

uint16_t sl_wg_out_burst(struct sl_wg_worker *w, struct rte_mbuf **pkts, uint16_t n,
			 uint64_t now)
{
	if (w->n_dev == 0 || n == 0)
		return n;
	uint8_t verdict[n];
	struct sl_wg_cipher_op ops[SL_WG_CIPHER_BURST];
	struct sl_wg_endpoint eps[SL_WG_CIPHER_BURST];
	struct sl_wg_dev *devs[SL_WG_CIPHER_BURST];
	uint16_t op_of[SL_WG_CIPHER_BURST];
	struct rte_mbuf *to_punt[n];
	uint16_t n_ops = 0, np = 0;
	const struct sl_wg_dev *last_dev = NULL;
	uint8_t last_af = 0, last_dst[16];
	uint32_t last_slot = UINT32_MAX;

	memset(verdict, PASS, n);
	for (uint16_t i = 0; i < n && n_ops < SL_WG_CIPHER_BURST; i++) {
		struct rte_mbuf *m = pkts[i];
		struct sl_pkt_meta *meta = sl_pkt_meta(m);
		struct sl_wg_dev *d = meta->out_port < SL_MAX_PORTS ? w->dev[meta->out_port] : NULL;
		if (d == NULL)
			continue;
		verdict[i] = GONE;
		/* Cryptokey routing, outbound: the destination picks the peer. */
		uint8_t af = meta->l3_type == SL_L3_IPV4 ? SL_AF_INET : SL_AF_INET6;
		const uint8_t *dst = af == SL_AF_INET ?
			(const uint8_t *)&sl_pkt_ipv4(m)->dst_addr : sl_pkt_ipv6(m)->dst_addr;
		/* A burst's packets mostly go where the one before went (a flow's
		 * segments): the last answer serves them, within this burst only
		 * (as if looked up a moment earlier). */
		uint32_t slot;
		if (last_dev == d && last_af == af &&
		    memcmp(last_dst, dst, af == SL_AF_INET ? 4 : 16) == 0) {
			slot = last_slot;
		} else {
			slot = wg_allowed_lookup(d, af, dst);
			last_dev = d;
			last_af = af;
			memcpy(last_dst, dst, af == SL_AF_INET ? 4 : 16);
			last_slot = slot;
		}
		if (slot == UINT32_MAX) {
			sl_stats_drop(w->st, m, SL_DROP_WG_NO_PEER);
			continue;
		}
		struct sl_wg_peer *peer = &d->peers[slot];
		struct sl_wg_keypair *kp = __atomic_load_n(&peer->send_kp, __ATOMIC_ACQUIRE);
		uint64_t age = kp != NULL ? wg_since(now, kp->birth_tsc) : 0;
		if (kp == NULL || age >= SL_WG_REJECT_AFTER_TIME * w->tsc_hz / d->clock_scale) {
			if (stage(w, peer, m, slot))
				to_punt[np++] = m;
			continue;
		}
		struct sl_wg_endpoint ep;
		wg_ep_read(peer, &ep);
		if (ep.addr.af == 0) {
			sl_stats_drop(w->st, m, SL_DROP_WG_NO_ENDPOINT);
			continue;
		}
		if (ep.local.af != ep.addr.af && !wg_pick_local(w->ip->t, &ep.addr, &ep.local)) {
			sl_stats_drop(w->st, m, SL_DROP_NO_ROUTE);
			continue;
		}
		uint64_t counter = sl_wg_keypair_counters(kp, 1);
		if (counter >= SL_WG_REJECT_AFTER_MESSAGES) {
			if (stage(w, peer, m, slot))
				to_punt[np++] = m;
			continue;
		}
		/* The initiator rekeys: by age, or by messages sent. */
		if (kp->initiator && (age >= SL_WG_REKEY_AFTER_TIME * w->tsc_hz / d->clock_scale ||
				      counter >= SL_WG_REKEY_AFTER_MESSAGES) &&
		    !__atomic_load_n(&peer->want_handshake, __ATOMIC_RELAXED))
			__atomic_store_n(&peer->want_handshake, 1, __ATOMIC_RELAXED);
		uint32_t off, len;
		uint32_t inner = rte_pktmbuf_pkt_len(m) - meta->l2_len;
		if (!wg_encap_prepare(m, meta->l2_len, ep.addr.af, kp->remote_index, counter,
				      w->ip->t->ports[d->port].mtu, &off, &len)) {
			sl_stats_drop(w->st, m, SL_DROP_WG_OUTER_MTU);
			continue;
		}
		w->st->port[d->port].tx_packets++;
		w->st->port[d->port].tx_bytes += inner;
		__atomic_fetch_add(&peer->tx_bytes, len + SL_WG_DATA_MIN_LEN, __ATOMIC_RELAXED);
		__atomic_fetch_add(&peer->tx_packets, 1, __ATOMIC_RELAXED);
		if (__atomic_load_n(&peer->last_tx_tsc, __ATOMIC_RELAXED) != now)
			__atomic_store_n(&peer->last_tx_tsc, now, __ATOMIC_RELAXED);
		verdict[i] = CRYPT;
		ops[n_ops] = (struct sl_wg_cipher_op){.m = m, .key = kp->send_key,
						      .counter = counter, .off = off, .len = len};
		eps[n_ops] = ep;
		devs[n_ops] = d;
		op_of[n_ops++] = i;
	}
	uint64_t ok = sl_wg_seal_burst(w->cipher, ops, n_ops);
	for (uint16_t k = 0; k < n_ops; k++) {
		struct rte_mbuf *m = ops[k].m;
		uint16_t i = op_of[k];
		verdict[i] = GONE;
		if (!(ok & (1ull << k))) {
			sl_stats_drop(w->st, m, SL_DROP_WG_NO_SESSION);
			continue;
		}
		w->st->wg_encrypted++;
		wg_encap_finish(m, &eps[k].local, devs[k]->listen_port, &eps[k].addr, eps[k].port);
		struct sl_pkt_meta *meta = sl_pkt_meta(m);
		if (!sl_ipstack_route_answer(w->ip, m) || w->ip->t->ports[meta->out_port].tunnel) {
			sl_stats_drop(w->st, m, SL_DROP_NO_ROUTE);
			continue;
		}
		if (meta->ip_len > w->ip->t->ports[meta->out_port].mtu) {
			sl_stats_drop(w->st, m, SL_DROP_WG_OUTER_MTU);
			continue;
		}
		verdict[i] = PASS;
	}
	uint16_t keep = 0;
	for (uint16_t i = 0; i < n; i++)
		if (verdict[i] == PASS)
			pkts[keep++] = pkts[i];
	punt(w, w->held, to_punt, np);
	return keep;
}

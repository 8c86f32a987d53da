/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SYN proxy's packets. A SYN to a proxied service or port forward is
 * answered here with a SYN-ACK whose sequence number is a SYN cookie; no
 * state is kept. The client's ACK that proves the cookie becomes the SYN
 * sent to the backend (the same mbuf, as Linux's SYNPROXY does it: the
 * cookie rides in its acknowledgement field, sluice's timestamp in its echo),
 * and the connection is created from it. The backend's SYN-ACK becomes the
 * ACK that completes the backend's handshake, in the client's name; from
 * then on the two halves are spliced: the server's sequence numbers and
 * timestamps are shifted by the difference to what sluice told the client,
 * and windows rescaled where the two sides' window scales differ.
 *
 * Translation happens where the connection tracker sees the server's
 * numbers both ways: a client's packet before tracking, a server's after.
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "flow_priv.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10
#define TCPOPT_SACK 5
#define TCPOPT_TIMESTAMP 8
/* The window scale sluice announces: what Linux picks for its default buffers. */
#define PROXY_WSCALE 7
/* Client packets a worker holds while their connection waits for its backend. */
#define HOLD_TICKS SL_FLOW_TICKS_PER_S

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Write @p v at byte @p off of TCP header @p th, its checksum updated (any alignment). */
static void put32_ck(struct rte_tcp_hdr *th, size_t off, uint32_t v)
{
	uint8_t *b = (uint8_t *)th;
	size_t lo = off & ~(size_t)1, n = ((off + 5) & ~(size_t)1) - lo;   /* bytes, whole words */
	uint16_t old[3], neu[3];
	memcpy(old, b + lo, n);
	b[off] = (uint8_t)(v >> 24), b[off + 1] = (uint8_t)(v >> 16);
	b[off + 2] = (uint8_t)(v >> 8), b[off + 3] = (uint8_t)v;
	memcpy(neu, b + lo, n);
	for (size_t i = 0; i < n / 2; i++)
		th->cksum = sl_cksum_update16(th->cksum, old[i], neu[i]);
}

/* Scale the window field of @p th by 2^@p shift (rounding up: a window
 * that is open never reads as closed). */
static void rescale(struct rte_tcp_hdr *th, int shift)
{
	if (shift == 0 || (th->tcp_flags & TH_SYN))
		return;   /* a SYN's window is never scaled */
	uint32_t w = rte_be_to_cpu_16(th->rx_win);
	if (shift > 0)
		w = RTE_MIN(w << shift, 65535u);
	else
		w = (w + (1u << -shift) - 1) >> -shift;
	uint16_t nw = rte_cpu_to_be_16((uint16_t)w);
	th->cksum = sl_cksum_update16(th->cksum, th->rx_win, nw);
	th->rx_win = nw;
}

/*
 * Lay @p m out afresh: its Ethernet header, a plain IP header from @p src
 * to @p dst and a zeroed TCP header with @p opt_len bytes of options, no
 * payload. NULL, with @p m untouched, when it has no room (or is chained).
 */
static struct rte_tcp_hdr *relayout(struct rte_mbuf *m, bool v4, const uint8_t *src_in,
				    const uint8_t *dst_in, size_t opt_len)
{
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	size_t alen = v4 ? 4 : 16;
	uint8_t src[16], dst[16];
	uint16_t l3 = v4 ? 20 : 40, l4 = (uint16_t)(20 + opt_len);
	uint32_t want = (uint32_t)meta->l2_len + l3 + l4;
	if (m->nb_segs != 1 || (want > m->data_len && want - m->data_len > rte_pktmbuf_tailroom(m)))
		return NULL;
	memcpy(src, src_in, alen);     /* they may point into the packet */
	memcpy(dst, dst_in, alen);
	if (want > m->data_len)
		rte_pktmbuf_append(m, (uint16_t)(want - m->data_len));
	else if (want < m->data_len)
		rte_pktmbuf_trim(m, (uint16_t)(m->data_len - want));
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, meta->l2_len);
	memset(ip, 0, (size_t)l3 + l4);
	if (v4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;
		h->version_ihl = 0x45;
		h->total_length = rte_cpu_to_be_16((uint16_t)(l3 + l4));
		h->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		h->time_to_live = 64;
		h->next_proto_id = IPPROTO_TCP;
		memcpy(&h->src_addr, src, 4);
		memcpy(&h->dst_addr, dst, 4);
		h->hdr_checksum = rte_ipv4_cksum(h);
	} else {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)ip;
		h->vtc_flow = rte_cpu_to_be_32(6u << 28);
		h->payload_len = rte_cpu_to_be_16(l4);
		h->proto = IPPROTO_TCP;
		h->hop_limits = 64;
		memcpy(h->src_addr, src, 16);
		memcpy(h->dst_addr, dst, 16);
	}
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + l3);
	th->data_off = (uint8_t)((l4 / 4) << 4);
	meta->l3_len = l3;
	meta->l4_len = l4;
	meta->ip_len = (uint32_t)l3 + l4;
	meta->l4_proto = IPPROTO_TCP;
	meta->flags = (uint16_t)((meta->flags & ~(SL_PKT_F_IP_OPTIONS | SL_PKT_F_FRAGMENT)) |
				 SL_PKT_F_FIRST_FRAG);
	return th;
}

/* The TCP checksum of a segment relayout() built. */
static void tcp_finish(struct rte_mbuf *m, bool v4, struct rte_tcp_hdr *th)
{
	const void *ip = rte_pktmbuf_mtod_offset(m, const void *, sl_pkt_meta(m)->l2_len);
	th->cksum = 0;
	th->cksum = v4 ? rte_ipv4_udptcp_cksum(ip, th) : rte_ipv6_udptcp_cksum(ip, th);
}

static void cookie_tuple(const struct sl_flow_key *k, struct sl_cookie_tuple *t)
{
	t->af = k->af;
	memcpy(t->saddr, k->src, 16);
	memcpy(t->daddr, k->dst, 16);
	t->sport = k->sport;
	t->dport = k->dport;
}

static inline uint64_t tsc_hz(const struct sl_flow_worker_ctx *c)
{
	return c->tsc_per_tick * SL_FLOW_TICKS_PER_S;
}

static int opts_of(struct rte_mbuf *m, const struct rte_tcp_hdr *th, struct sl_syn_opts *o)
{
	return sl_tcp_opts_parse((const uint8_t *)(th + 1), sl_pkt_meta(m)->l4_len - 20u, o);
}

/*
 * Whether @p m's TCP checksum is right. Parse does not check it (routing
 * passes a segment on as it came); a handshake segment the proxy rebuilds
 * with a fresh checksum must not carry a corrupted field further.
 */
static bool tcp_checksum_ok(struct rte_mbuf *m)
{
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	if (l4 == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		return true;
	if (l4 == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		return false;
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	const void *ip = rte_pktmbuf_mtod_offset(m, const void *, meta->l2_len);
	if (rte_pktmbuf_data_len(m) < meta->l2_len + meta->ip_len)
		return false;   /* chained: not a handshake segment sluice rebuilds */
	if (meta->l3_type == SL_L3_IPV4)
		return rte_ipv4_udptcp_cksum_verify(ip, sl_pkt_l4(m)) == 0;
	if (meta->l3_len != sizeof(struct rte_ipv6_hdr))
		return false;   /* extension headers: the pseudo-header differs */
	return rte_ipv6_udptcp_cksum_verify(ip, sl_pkt_l4(m)) == 0;
}

/* The MSS sluice can receive by port @p port (the SYN's way in). */
static uint16_t port_mss(const struct sl_flow_policy *pol, uint16_t port, bool v4)
{
	uint16_t mtu = port < SL_MAX_PORTS && pol->mtu[port] ? pol->mtu[port] : 1500;
	return (uint16_t)(mtu - (v4 ? 40 : 60));
}

void flow_proxy_answer(struct sl_flow_worker_ctx *c, const struct sl_flow_policy *pol,
		       struct rte_mbuf *m, const struct sl_flow_key *k, uint64_t now)
{
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	struct rte_tcp_hdr *th = sl_pkt_l4(m);
	bool v4 = k->af == 4;
	struct sl_syn_opts in, out = {.wscale = -1};
	if (!tcp_checksum_ok(m)) {
		sl_stats_drop(c->st, m, SL_DROP_TCP_BAD_CHECKSUM);
		return;
	}
	if (opts_of(m, th, &in) != 0) {
		sl_stats_drop(c->st, m, SL_DROP_TCP_INVALID);
		return;
	}
	uint32_t isn = rte_be_to_cpu_32(th->sent_seq);
	struct sl_cookie_tuple t;
	cookie_tuple(k, &t);
	uint16_t mss_kept;
	uint32_t cookie = sl_syncookie_make(sl_synproxy_keys(c->sp), &t, isn,
					    sl_syncookie_minute(now, tsc_hz(c)), in.mss, &mss_kept);
	/* What sluice can receive by the port the SYN came in on. */
	out.mss = port_mss(pol, meta->in_port, v4);
	/* Window scaling and SACK survive only in the timestamp (as with Linux's
	 * cookies): without one, the connection goes without them. */
	if (in.ts) {
		struct sl_syn_opts kept = {.wscale = in.wscale, .sack_ok = in.sack_ok};
		out.ts = true;
		out.tsval = sl_syncookie_tsval((uint32_t)(now / (tsc_hz(c) / 1000)), &kept);
		out.tsecr = in.tsval;
		out.sack_ok = in.sack_ok;
		out.wscale = in.wscale >= 0 ? PROXY_WSCALE : -1;
	}
	uint8_t opts[20];
	size_t n = sl_tcp_syn_opts_write(opts, &out);
	uint16_t sport = k->dport, dport = k->sport;
	th = relayout(m, v4, k->dst, k->src, n);
	if (th == NULL) {
		sl_stats_drop(c->st, m, SL_DROP_NO_MBUF);
		return;
	}
	th->src_port = rte_cpu_to_be_16(sport);
	th->dst_port = rte_cpu_to_be_16(dport);
	th->sent_seq = rte_cpu_to_be_32(cookie);
	th->recv_ack = rte_cpu_to_be_32(isn + 1);
	th->tcp_flags = TH_SYN | TH_ACK;
	th->rx_win = rte_cpu_to_be_16(65535);
	memcpy(th + 1, opts, n);
	tcp_finish(m, v4, th);
	meta->src_port = sport;
	meta->dst_port = dport;
	meta->flow = 0;
	meta->lb_backend = 0;
	meta->flags &= (uint16_t)~(SL_PKT_F_NAT_DONE | SL_PKT_F_SYN_PROXIED);
	if (c->ip == NULL || !sl_ipstack_route_answer(c->ip, m)) {
		sl_stats_drop(c->st, m, SL_DROP_NO_ROUTE);
		return;
	}
	if (c->n_answers >= SL_FLOW_ANSWERS) {
		sl_stats_drop(c->st, m, SL_DROP_TX_FULL);
		return;
	}
	c->answers[c->n_answers++] = m;
	c->st->syn_proxy_sent++;
}

enum sl_drop_reason flow_proxy_ack(struct sl_flow_worker_ctx *c, const struct sl_flow_policy *pol,
				   struct rte_mbuf *m, const struct sl_flow_key *k, uint64_t now)
{
	struct rte_tcp_hdr *th = sl_pkt_l4(m);
	struct sl_syn_opts in;
	if (opts_of(m, th, &in) != 0)
		return SL_DROP_SYN_PROXY_INVALID;
	uint32_t seq = rte_be_to_cpu_32(th->sent_seq), ack = rte_be_to_cpu_32(th->recv_ack);
	struct sl_cookie_tuple t;
	cookie_tuple(k, &t);
	uint16_t mss;
	if (sl_syncookie_check(sl_synproxy_keys(c->sp), &t, seq - 1, ack - 1,
			       sl_syncookie_minute(now, tsc_hz(c)), &mss) != SL_COOKIE_OK)
		return SL_DROP_SYN_PROXY_INVALID;
	if (!tcp_checksum_ok(m))
		return SL_DROP_TCP_BAD_CHECKSUM;
	/* The SYN the client sent, as far as the cookie kept it; its MSS no more
	 * than the client's side carries (the backend's segments are sized by
	 * it: path MTU discovery cannot lower it through the splice). */
	struct sl_syn_opts syn = {.mss = RTE_MIN(mss, port_mss(pol, sl_pkt_meta(m)->in_port,
								k->af == 4)),
				  .wscale = -1};
	if (in.ts) {
		sl_syncookie_ts_decode(in.tsecr, &syn);
		syn.ecn = false;
		syn.ts = true;
		syn.tsval = in.tsval;
		syn.tsecr = in.tsecr;   /* sluice's timestamp: the connection's owner needs it */
	}
	uint32_t win = rte_be_to_cpu_16(th->rx_win);
	if (syn.wscale > 0)
		win = RTE_MIN(win << syn.wscale, 65535u);
	uint8_t opts[20];
	size_t n = sl_tcp_syn_opts_write(opts, &syn);
	th = relayout(m, k->af == 4, k->src, k->dst, n);
	if (th == NULL)
		return SL_DROP_NO_MBUF;
	th->src_port = rte_cpu_to_be_16(k->sport);
	th->dst_port = rte_cpu_to_be_16(k->dport);
	th->sent_seq = rte_cpu_to_be_32(seq - 1);
	/* The cookie, in a field a SYN's receiver ignores (no ACK flag). */
	th->recv_ack = rte_cpu_to_be_32(ack - 1);
	th->tcp_flags = TH_SYN;
	th->rx_win = rte_cpu_to_be_16((uint16_t)win);
	memcpy(th + 1, opts, n);
	tcp_finish(m, k->af == 4, th);
	sl_pkt_meta(m)->flags |= SL_PKT_F_SYN_PROXIED;
	c->st->syn_proxy_valid++;
	return SL_DROP_MAX;
}

void flow_proxy_open(struct sl_flow_table *t, uint32_t idx, struct rte_mbuf *m)
{
	const struct rte_tcp_hdr *th = sl_pkt_l4(m);
	struct sl_syn_opts o;
	if (opts_of(m, th, &o) != 0)
		memset(&o, 0, sizeof(o)), o.wscale = -1;   /* flow_proxy_ack() wrote them */
	struct sl_flow_splice *s = &t->splice[idx];
	s->seq = rte_be_to_cpu_32(th->recv_ack);
	s->ts = o.ts ? o.tsecr : 0;
	s->ts_on = o.ts;
	s->client_scale = o.wscale;
	s->to_client = s->to_server = 0;
	sl_flow_get(t, idx)->proxy = SL_FLOW_PROXY_WAITING;
}

/* The option at @p off of TCP header @p b (its length in *len): its kind,
 * or -1 at the end of the options or at a malformed one. */
static int option_at(const uint8_t *b, size_t l4_len, size_t off, size_t *len)
{
	if (off >= l4_len || b[off] == 0)
		return -1;
	if (b[off] == 1) {
		*len = 1;
		return 1;
	}
	if (off + 1 >= l4_len || b[off + 1] < 2 || off + b[off + 1] > l4_len)
		return -1;
	*len = b[off + 1];
	return b[off];
}

/* A client's packet of a spliced connection, into the server's numbers. */
static void to_server(const struct sl_flow_splice *s, struct rte_mbuf *m)
{
	struct rte_tcp_hdr *th = sl_pkt_l4(m);
	const uint8_t *b = (const uint8_t *)th;
	size_t l4_len = sl_pkt_meta(m)->l4_len;
	if (th->tcp_flags & TH_ACK)
		put32_ck(th, 8, rte_be_to_cpu_32(th->recv_ack) + s->seq);
	rescale(th, s->to_server);
	int kind;
	for (size_t off = 20, len; (kind = option_at(b, l4_len, off, &len)) >= 0; off += len) {
		if (kind == TCPOPT_SACK) {
			/* The blocks acknowledge the server's data. */
			for (size_t e = off + 2; e + 4 <= off + len; e += 4)
				put32_ck(th, e, rd32(b + e) + s->seq);
		} else if (kind == TCPOPT_TIMESTAMP && len == 10 && s->ts_on) {
			put32_ck(th, off + 6, rd32(b + off + 6) + s->ts);
		}
	}
}

/* A server's packet of a spliced connection, into the numbers the client knows. */
static void to_client(const struct sl_flow_splice *s, struct rte_mbuf *m)
{
	struct rte_tcp_hdr *th = sl_pkt_l4(m);
	const uint8_t *b = (const uint8_t *)th;
	size_t l4_len = sl_pkt_meta(m)->l4_len;
	put32_ck(th, 4, rte_be_to_cpu_32(th->sent_seq) - s->seq);
	rescale(th, s->to_client);
	if (!s->ts_on)
		return;
	int kind;
	for (size_t off = 20, len; (kind = option_at(b, l4_len, off, &len)) >= 0; off += len) {
		if (kind == TCPOPT_TIMESTAMP && len == 10)
			put32_ck(th, off + 2, rd32(b + off + 2) - s->ts);
	}
}

/* Client packets one waiting connection may have held: a first flight. */
#define HOLD_PER_CONNECTION 4

/* Hold a client's packet until its connection's backend answers; false when full. */
static bool hold(struct sl_flow_worker_ctx *c, uint32_t idx, struct rte_mbuf *m, uint32_t ticks)
{
	unsigned mine = 0;
	for (unsigned i = 0; i < c->n_proxy_held; i++)
		mine += c->proxy_held_idx[i] == idx;
	if (c->n_proxy_held >= SL_FLOW_PROXY_HOLD || mine >= HOLD_PER_CONNECTION)
		return false;
	c->proxy_held[c->n_proxy_held] = m;
	c->proxy_held_idx[c->n_proxy_held] = idx;
	c->proxy_held_since[c->n_proxy_held++] = ticks;
	return true;
}

/* Connection @p idx is spliced: what it held goes back to the flow stage, in order. */
static void release(struct sl_flow_worker_ctx *c, uint32_t idx)
{
	unsigned keep = 0;
	for (unsigned i = 0; i < c->n_proxy_held; i++) {
		struct rte_mbuf *m = c->proxy_held[i];
		if (c->proxy_held_idx[i] != idx) {
			c->proxy_held[keep] = m;
			c->proxy_held_idx[keep] = c->proxy_held_idx[i];
			c->proxy_held_since[keep++] = c->proxy_held_since[i];
		} else if (c->n_ready < SL_FRAG_HOLD) {
			/* ready[] is taken from its end: keep the order by shifting. */
			memmove(c->ready + 1, c->ready, c->n_ready * sizeof(c->ready[0]));
			c->ready[0] = m;
			c->n_ready++;
		} else {
			sl_stats_drop(c->st, m, SL_DROP_SYN_PROXY_WAIT);
		}
	}
	c->n_proxy_held = keep;
}

/* Drop (counted) the held packets of connection @p idx, or with @p idx
 * SL_FLOW_NONE those held longer than a second at @p ticks. */
static void drop_held(struct sl_flow_worker_ctx *c, uint32_t idx, uint32_t ticks)
{
	unsigned keep = 0;
	for (unsigned i = 0; i < c->n_proxy_held; i++) {
		if (idx != SL_FLOW_NONE ? c->proxy_held_idx[i] == idx :
		    ticks - c->proxy_held_since[i] > HOLD_TICKS) {
			sl_stats_drop(c->st, c->proxy_held[i], SL_DROP_SYN_PROXY_WAIT);
			continue;
		}
		c->proxy_held[keep] = c->proxy_held[i];
		c->proxy_held_idx[keep] = c->proxy_held_idx[i];
		c->proxy_held_since[keep++] = c->proxy_held_since[i];
	}
	c->n_proxy_held = keep;
}

void flow_proxy_forget(struct sl_flow_worker_ctx *c, uint32_t idx)
{
	drop_held(c, idx, 0);
}

void flow_proxy_service(struct sl_flow_worker_ctx *c, uint32_t ticks)
{
	drop_held(c, SL_FLOW_NONE, ticks);
}

bool flow_proxy_in(struct sl_flow_worker_ctx *c, uint32_t idx, enum sl_flow_dir dir,
		   struct rte_mbuf *m, uint32_t ticks, enum sl_drop_reason *why)
{
	struct sl_flow *f = sl_flow_get(c->t, idx);
	struct rte_tcp_hdr *th = sl_pkt_l4(m);
	uint8_t fl = th->tcp_flags;
	if (f->proxy == SL_FLOW_PROXY_SPLICED) {
		if (dir == SL_FLOW_ORIG)
			to_server(&c->t->splice[idx], m);
		return true;
	}
	/* Waiting for the backend's answer. */
	if (dir == SL_FLOW_REPLY) {
		if ((fl & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK) || (fl & TH_RST))
			return true;
		*why = SL_DROP_SYN_PROXY_WAIT;
		return false;
	}
	if (fl & TH_RST) {
		/* The client gives up. Its acknowledgement is in the cookie's
		 * numbers, which the server never saw: a plain reset. */
		if (fl & TH_ACK) {
			uint16_t old = ((uint16_t *)th)[6];
			th->tcp_flags = (uint8_t)(fl & ~TH_ACK);
			th->cksum = sl_cksum_update16(th->cksum, old, ((uint16_t *)th)[6]);
			put32_ck(th, 8, 0);
		}
		return true;
	}
	/* The client's data, sent as soon as it had the cookie's SYN-ACK; a
	 * bare ACK (a repeat of the one that opened it) has nothing to keep. */
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	bool data = meta->ip_len > (uint32_t)meta->l3_len + meta->l4_len || (fl & TH_FIN);
	*why = data && hold(c, idx, m, ticks) ? SL_DROP_MAX : SL_DROP_SYN_PROXY_WAIT;
	return false;
}

int flow_proxy_out(struct sl_flow_worker_ctx *c, uint32_t idx, struct rte_mbuf *m)
{
	struct sl_flow *f = sl_flow_get(c->t, idx);
	struct sl_flow_splice *s = &c->t->splice[idx];
	struct rte_tcp_hdr *th = sl_pkt_l4(m);
	if (f->proxy == SL_FLOW_PROXY_SPLICED) {
		to_client(s, m);
		return 0;
	}
	if (th->tcp_flags & TH_RST) {
		/* The backend refuses: the client hears it where it expects it. */
		put32_ck(th, 4, s->seq + 1);
		flow_proxy_forget(c, idx);
		return 0;
	}
	/* The backend's SYN-ACK: the two halves' differences, then the ACK.
	 * One that is corrupted or malformed is dropped (the backend sends it
	 * again): its numbers would be the splice's for the connection's life. */
	struct sl_syn_opts o;
	if (!tcp_checksum_ok(m) || opts_of(m, th, &o) != 0)
		return -1;
	uint32_t isn_b = rte_be_to_cpu_32(th->sent_seq), acked = rte_be_to_cpu_32(th->recv_ack);
	bool client_ws = s->client_scale >= 0, server_ws = client_ws && o.wscale >= 0;
	int client_scale = client_ws ? s->client_scale : 0;
	bool ts_on = s->ts_on && o.ts;
	s->to_client = (int8_t)((server_ws ? o.wscale : 0) - (client_ws ? PROXY_WSCALE : 0));
	s->to_server = (int8_t)(server_ws ? 0 : client_scale);
	s->ts = ts_on ? o.tsval - s->ts : 0;
	s->ts_on = ts_on;
	s->seq = isn_b - s->seq;
	f->proxy = SL_FLOW_PROXY_SPLICED;
	struct sl_flow_key k;
	sl_flow_key_get(c->t, f, SL_FLOW_ORIG, &k);
	uint32_t win = RTE_MIN(f->tcp[SL_FLOW_ORIG].maxwin >> (server_ws ? client_scale : 0),
			       65535u);
	struct rte_tcp_hdr *ack = relayout(m, k.af == 4, k.src, k.dst, ts_on ? 12 : 0);
	if (ack == NULL) {
		/* No room to turn it round: the client gets the SYN-ACK again,
		 * and its answer completes the server's handshake. */
		to_client(s, m);
		release(c, idx);
		return 0;
	}
	ack->src_port = rte_cpu_to_be_16(k.sport);
	ack->dst_port = rte_cpu_to_be_16(k.dport);
	ack->sent_seq = rte_cpu_to_be_32(acked);
	ack->recv_ack = rte_cpu_to_be_32(isn_b + 1);
	ack->tcp_flags = TH_ACK;
	ack->rx_win = rte_cpu_to_be_16((uint16_t)(win ? win : 1));
	if (ts_on) {
		uint8_t *p = (uint8_t *)(ack + 1);
		p[0] = 1, p[1] = 1, p[2] = TCPOPT_TIMESTAMP, p[3] = 10;
		/* The client's timestamp the server echoed, and the server's own. */
		uint32_t v[2] = {rte_cpu_to_be_32(o.tsecr), rte_cpu_to_be_32(o.tsval)};
		memcpy(p + 4, v, 8);
	}
	tcp_finish(m, k.af == 4, ack);
	sl_pkt_meta(m)->src_port = k.sport;
	sl_pkt_meta(m)->dst_port = k.dport;
	/* What the client sent meanwhile goes on after this ACK: through the
	 * ready list, which this worker takes before its next receive. */
	release(c, idx);
	return 1;
}

void flow_proxy_as_sent(const struct sl_flow_table *t, const struct sl_flow *f,
			enum sl_flow_dir dir, uint8_t *tcp)
{
	if (f->proxy != SL_FLOW_PROXY_SPLICED || f->proto != IPPROTO_TCP || dir != SL_FLOW_REPLY)
		return;
	/* The server's segment, quoted with the sequence number it sent. */
	uint32_t seq = rd32(tcp + 4) + t->splice[f - t->entries].seq;
	tcp[4] = (uint8_t)(seq >> 24), tcp[5] = (uint8_t)(seq >> 16);
	tcp[6] = (uint8_t)(seq >> 8), tcp[7] = (uint8_t)seq;
}

void flow_proxy_refuse(struct sl_flow_worker_ctx *c, struct rte_mbuf *m, enum sl_drop_reason why)
{
	/* The client believes its connection open, expecting sluice's cookie + 1
	 * next: a reset there ends it (a reset to the SYN would not be in its
	 * window). */
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	const struct rte_tcp_hdr *th = sl_pkt_l4(m);
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l2_len);
	bool v4 = meta->l3_type == SL_L3_IPV4;
	struct sl_ctl_tcp seg = {
		.af = v4 ? SL_AF_INET : SL_AF_INET6,
		.src = v4 ? ip + 16 : ip + 24,
		.dst = v4 ? ip + 12 : ip + 8,
		.sport = meta->dst_port,
		.dport = meta->src_port,
		.seq = rte_be_to_cpu_32(th->recv_ack) + 1,
		.flags = TH_RST,
	};
	struct rte_mbuf *rst = c->ip != NULL && c->n_answers < SL_FLOW_ANSWERS ?
			       sl_tcp_segment_build(c->ip->pool, &seg, meta->in_port) : NULL;
	sl_stats_drop(c->st, m, why);
	if (rst == NULL)
		return;
	if (!sl_ipstack_route_answer(c->ip, rst)) {
		rte_pktmbuf_free(rst);
		return;
	}
	c->answers[c->n_answers++] = rst;
	c->st->tcp_resets_sent++;
}

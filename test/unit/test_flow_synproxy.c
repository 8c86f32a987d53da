/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SYN proxy's packets, byte by byte: a client's ACK with a good cookie
 * becomes the SYN for the backend (a forged one is left alone), the
 * backend's SYN-ACK becomes the ACK in the client's name with the splice's
 * differences worked out, and spliced packets are translated both ways
 * (sequence and acknowledgement numbers, SACK blocks, timestamps, windows)
 * with checksums that verify, options at odd offsets included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "flow_priv.h"

#define HZ 1600000000ull    /* a TSC rate the tick divides evenly */

static struct rte_mempool *pool;
static uint64_t seed = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
	return (uint32_t)seed;
}

static const uint8_t client4[4] = {172, 16, 0, 9}, vip4[4] = {10, 2, 0, 1},
		     backend4[4] = {10, 1, 0, 2};
static const uint8_t client6[16] = {0xfd, 0, 0, 2, [15] = 9}, vip6[16] = {0xfd, 0, 0, 2, [15] = 1},
		     backend6[16] = {0xfd, 0, 0, 1, [15] = 2};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A TCP segment from src:sport to dst:dport with @p opt (olen bytes, a
 * multiple of 4) and @p payload bytes, checksums right, parsed. */
static struct rte_mbuf *segment(bool v4, const uint8_t *src, const uint8_t *dst, uint16_t sport,
				uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
				uint16_t win, const uint8_t *opt, size_t olen, size_t payload)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	assert_non_null(m);
	uint16_t l3 = v4 ? 20 : 40, l4 = (uint16_t)(20 + olen);
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	memset(f, 0, 14u + l3 + l4 + payload);
	f[12] = v4 ? 0x08 : 0x86;
	f[13] = v4 ? 0x00 : 0xdd;
	uint8_t *ip = f + 14;
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + l3);
	for (size_t i = 0; i < payload; i++)
		((uint8_t *)th)[l4 + i] = (uint8_t)rnd();
	if (v4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;
		h->version_ihl = 0x45;
		h->total_length = rte_cpu_to_be_16((uint16_t)(l3 + l4 + payload));
		h->time_to_live = 64;
		h->next_proto_id = IPPROTO_TCP;
		memcpy(&h->src_addr, src, 4);
		memcpy(&h->dst_addr, dst, 4);
		h->hdr_checksum = rte_ipv4_cksum(h);
	} else {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)ip;
		h->vtc_flow = rte_cpu_to_be_32(6u << 28);
		h->payload_len = rte_cpu_to_be_16((uint16_t)(l4 + payload));
		h->proto = IPPROTO_TCP;
		h->hop_limits = 64;
		memcpy(h->src_addr, src, 16);
		memcpy(h->dst_addr, dst, 16);
	}
	th->src_port = rte_cpu_to_be_16(sport);
	th->dst_port = rte_cpu_to_be_16(dport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)((l4 / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(win);
	if (olen > 0)
		memcpy(th + 1, opt, olen);
	th->cksum = v4 ? rte_ipv4_udptcp_cksum((void *)ip, th) : rte_ipv6_udptcp_cksum((void *)ip, th);
	m->data_len = m->pkt_len = (uint32_t)(14u + l3 + l4 + payload);
	memset(sl_pkt_meta(m), 0, sizeof(struct sl_pkt_meta));
	assert_true(sl_pkt_parse(m));
	return m;
}

static struct rte_tcp_hdr *tcp_of(struct rte_mbuf *m)
{
	return sl_pkt_l4(m);
}

/* The packet's checksums verify, and its parse agrees with its bytes. */
static void verify(struct rte_mbuf *m)
{
	struct sl_pkt_meta saved = *sl_pkt_meta(m);
	bool v4 = saved.l3_type == SL_L3_IPV4;
	void *ip = rte_pktmbuf_mtod_offset(m, void *, 14);
	if (v4)
		assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
	assert_int_equal(v4 ? rte_ipv4_udptcp_cksum_verify(ip, sl_pkt_l4(m)) :
			      rte_ipv6_udptcp_cksum_verify(ip, sl_pkt_l4(m)), 0);
	memset(sl_pkt_meta(m), 0, sizeof(struct sl_pkt_meta));
	assert_true(sl_pkt_parse(m));
	struct sl_pkt_meta now = *sl_pkt_meta(m);
	assert_int_equal(now.l3_len, saved.l3_len);
	assert_int_equal(now.l4_len, saved.l4_len);
	assert_int_equal(now.ip_len, saved.ip_len);
	assert_int_equal(now.src_port, saved.src_port);
	assert_int_equal(now.dst_port, saved.dst_port);
	*sl_pkt_meta(m) = saved;
}

struct fixture {
	struct sl_flow_table *t;
	struct sl_lcore_stats st;
	struct sl_flow_worker_ctx c;
	struct sl_flow_policy pol;   /* MTUs 0: 1500 */
	uint32_t idx;
};

/* A table with the splice array, and one connection client -> vip, NATed to the backend. */
static void fixture_up(struct fixture *fx, bool v4)
{
	memset(fx, 0, sizeof(*fx));
	fx->t = sl_flow_table_create(64, 64, 1, NULL, SOCKET_ID_ANY);
	assert_non_null(fx->t);
	assert_int_equal(sl_flow_splice_enable(fx->t, SOCKET_ID_ANY), 0);
	fx->c = (struct sl_flow_worker_ctx){.t = fx->t, .worker = 0, .n_workers = 1, .st = &fx->st,
					    .tsc_per_tick = HZ / SL_FLOW_TICKS_PER_S};
	fx->c.sp = sl_synproxy_create(1, HZ);
	assert_non_null(fx->c.sp);
	size_t n = v4 ? 4 : 16;
	struct sl_flow_key o = {.sport = 40000, .dport = 9080, .af = v4 ? 4 : 6,
				.proto = IPPROTO_TCP}, r;
	memcpy(o.src, v4 ? client4 : client6, n);
	memcpy(o.dst, v4 ? vip4 : vip6, n);
	r = o;
	memcpy(r.src, v4 ? backend4 : backend6, n);
	memcpy(r.dst, o.src, n);
	r.sport = 8090;
	r.dport = o.sport;
	fx->idx = sl_flow_alloc(fx->t, 0, &o, &r);
	assert_int_not_equal(fx->idx, SL_FLOW_NONE);
	assert_int_equal(sl_flow_insert(fx->t, 0, fx->idx), 0);
}

static void fixture_down(struct fixture *fx)
{
	sl_synproxy_free(fx->c.sp);
	sl_flow_table_free(fx->t);
}

/* Options: window scale (3 bytes) first, so the timestamp and SACK blocks
 * after it sit at odd offsets; NOP-padded to @p *olen. */
static void odd_options(uint8_t *opt, size_t *olen, uint32_t tsval, uint32_t tsecr,
			const uint32_t *edges, unsigned n_edges)
{
	size_t n = 0;
	opt[n++] = 3, opt[n++] = 3, opt[n++] = 7;
	opt[n++] = 8, opt[n++] = 10;
	put32(opt + n, tsval), put32(opt + n + 4, tsecr);
	n += 8;
	opt[n++] = 5, opt[n++] = (uint8_t)(2 + 4 * n_edges);
	for (unsigned i = 0; i < n_edges; i++, n += 4)
		put32(opt + n, edges[i]);
	while (n % 4)
		opt[n++] = 1;
	*olen = n;
}

/* Test spliced packets on random numbers, IPv4 and IPv6, both ways. */
static void test_spliced_translation(void **state)
{
	(void)state;
	for (unsigned round = 0; round < 400; round++) {
		bool v4 = round & 1;
		struct fixture fx;
		fixture_up(&fx, v4);
		struct sl_flow_splice *s = &fx.t->splice[fx.idx];
		static const int8_t shifts[] = {-7, -2, 0, 2, 7};
		s->seq = rnd();
		s->ts = rnd();
		s->ts_on = 1;
		s->to_client = shifts[rnd() % 5];
		s->to_server = shifts[rnd() % 5];
		sl_flow_get(fx.t, fx.idx)->proxy = SL_FLOW_PROXY_SPLICED;
		size_t n = v4 ? 4 : 16;
		uint8_t opt[40];
		size_t olen;
		uint32_t edges[4] = {rnd(), rnd(), rnd(), rnd()}, tsval = rnd(), tsecr = rnd();
		uint32_t seq = rnd(), ack = rnd();
		uint16_t win = (uint16_t)rnd();
		odd_options(opt, &olen, tsval, tsecr, edges, 4);

		/* Client to server: acknowledgements and echoes into the server's numbers. */
		struct rte_mbuf *m = segment(v4, v4 ? client4 : client6, v4 ? vip4 : vip6, 40000,
					     9080, seq, ack, 0x18, win, opt, olen, rnd() % 300);
		enum sl_drop_reason why = SL_DROP_MAX;
		assert_true(flow_proxy_in(&fx.c, fx.idx, SL_FLOW_ORIG, m, 0, &why));
		verify(m);
		struct rte_tcp_hdr *th = tcp_of(m);
		const uint8_t *o = (const uint8_t *)(th + 1);
		assert_int_equal(rte_be_to_cpu_32(th->sent_seq), seq);
		assert_int_equal(rte_be_to_cpu_32(th->recv_ack), ack + s->seq);
		assert_int_equal(get32(o + 5), tsval);
		assert_int_equal(get32(o + 9), tsecr + s->ts);
		for (unsigned i = 0; i < 4; i++)
			assert_int_equal(get32(o + 15 + 4 * i), edges[i] + s->seq);
		uint32_t want = s->to_server >= 0 ? RTE_MIN((uint32_t)win << s->to_server, 65535u) :
			((uint32_t)win + (1u << -s->to_server) - 1) >> -s->to_server;
		assert_int_equal(rte_be_to_cpu_16(th->rx_win), want);
		rte_pktmbuf_free(m);

		/* Server to client: its sequence numbers and stamps into the client's. */
		m = segment(v4, v4 ? backend4 : backend6, v4 ? client4 : client6, 8090, 40000, seq,
			    ack, 0x10, win, opt, olen, rnd() % 300);
		assert_false(flow_proxy_out(&fx.c, fx.idx, m));
		verify(m);
		th = tcp_of(m);
		o = (const uint8_t *)(th + 1);
		assert_int_equal(rte_be_to_cpu_32(th->sent_seq), seq - s->seq);
		assert_int_equal(rte_be_to_cpu_32(th->recv_ack), ack);
		assert_int_equal(get32(o + 5), tsval - s->ts);
		assert_int_equal(get32(o + 9), tsecr);
		for (unsigned i = 0; i < 4; i++)
			assert_int_equal(get32(o + 15 + 4 * i), edges[i]);   /* the client's numbers */
		want = s->to_client >= 0 ? RTE_MIN((uint32_t)win << s->to_client, 65535u) :
			((uint32_t)win + (1u << -s->to_client) - 1) >> -s->to_client;
		assert_int_equal(rte_be_to_cpu_16(th->rx_win), want);
		assert_memory_equal(rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + (v4 ? 12 : 8)),
				    v4 ? backend4 : backend6, n);
		rte_pktmbuf_free(m);
		fixture_down(&fx);
	}
}

/* The cookie SYN-ACK's timestamp for @p o at @p now. */
static uint32_t cookie_ts(uint64_t now, int8_t wscale, bool sack)
{
	struct sl_syn_opts kept = {.wscale = wscale, .sack_ok = sack};
	return sl_syncookie_tsval((uint32_t)(now / (HZ / 1000)), &kept);
}

/* Test the client's ACK: a good cookie makes the backend's SYN with what the
 * cookie kept; a forged one leaves the packet as it was. Then the backend's
 * SYN-ACK: the splice's differences, and the ACK it becomes. */
static void test_ack_to_syn_to_splice(void **state)
{
	(void)state;
	for (unsigned round = 0; round < 4; round++) {
		bool v4 = round & 1, server_ws = round & 2;
		struct fixture fx;
		fixture_up(&fx, v4);
		struct sl_flow_key k;
		sl_flow_key_get(fx.t, sl_flow_get(fx.t, fx.idx), SL_FLOW_ORIG, &k);
		struct sl_cookie_tuple tu = {.af = k.af, .sport = k.sport, .dport = k.dport};
		memcpy(tu.saddr, k.src, 16);
		memcpy(tu.daddr, k.dst, 16);
		uint64_t now = 90 * 60 * HZ + 12345;
		uint32_t isn = rnd(), client_ts = rnd();
		uint16_t mss;
		uint32_t cookie = sl_syncookie_make(sl_synproxy_keys(fx.c.sp), &tu, isn,
						    sl_syncookie_minute(now, HZ), 1460, &mss);
		uint32_t ours = cookie_ts(now, 7, true);
		uint8_t opt[12] = {1, 1, 8, 10};
		put32(opt + 4, client_ts), put32(opt + 8, ours);
		const uint8_t *src = v4 ? client4 : client6, *dst = v4 ? vip4 : vip6;

		struct rte_mbuf *m = segment(v4, src, dst, 40000, 9080, isn + 1, cookie + 2, 0x10,
					     502, opt, 12, 0);
		uint8_t before[128];
		memcpy(before, rte_pktmbuf_mtod(m, void *), m->data_len);
		assert_int_equal(flow_proxy_ack(&fx.c, &fx.pol, m, &k, now), SL_DROP_SYN_PROXY_INVALID);
		assert_memory_equal(before, rte_pktmbuf_mtod(m, void *), m->data_len);
		rte_pktmbuf_free(m);

		/* The good one, carrying data the backend's SYN must not. */
		m = segment(v4, src, dst, 40000, 9080, isn + 1, cookie + 1, 0x18, 502, opt, 12, 100);
		assert_int_equal(flow_proxy_ack(&fx.c, &fx.pol, m, &k, now), SL_DROP_MAX);
		verify(m);
		struct rte_tcp_hdr *th = tcp_of(m);
		assert_int_equal(th->tcp_flags, 0x02);
		assert_int_equal(rte_be_to_cpu_32(th->sent_seq), isn);
		assert_int_equal(rte_be_to_cpu_32(th->recv_ack), cookie);
		assert_int_equal(rte_be_to_cpu_16(th->rx_win), RTE_MIN(502u << 7, 65535u));
		assert_int_equal(sl_pkt_meta(m)->ip_len, sl_pkt_meta(m)->l3_len + sl_pkt_meta(m)->l4_len);
		assert_true(sl_pkt_meta(m)->flags & SL_PKT_F_SYN_PROXIED);
		struct sl_syn_opts so;
		assert_int_equal(sl_tcp_opts_parse((uint8_t *)(th + 1), sl_pkt_meta(m)->l4_len - 20u,
						   &so), 0);
		assert_int_equal(so.mss, RTE_MIN(mss, v4 ? 1460 : 1440));   /* what the client side carries */
		assert_int_equal(so.wscale, 7);
		assert_true(so.sack_ok && so.ts);
		assert_int_equal(so.tsval, client_ts);
		assert_int_equal(so.tsecr, ours);
		assert_int_equal(fx.st.syn_proxy_valid, 1);

		/* The connection made of it waits; the backend answers. */
		struct sl_flow *f = sl_flow_get(fx.t, fx.idx);
		flow_proxy_open(fx.t, fx.idx, m);
		assert_int_equal(f->proxy, SL_FLOW_PROXY_WAITING);
		rte_pktmbuf_free(m);
		f->tcp[SL_FLOW_ORIG].maxwin = 64256;
		uint32_t isn_b = rnd(), server_ts = rnd();
		uint8_t sopt[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10};
		put32(sopt + 8, server_ts), put32(sopt + 12, client_ts);
		if (server_ws)
			sopt[16] = 1, sopt[17] = 3, sopt[18] = 3, sopt[19] = 9;
		else
			sopt[16] = sopt[17] = sopt[18] = sopt[19] = 1;
		m = segment(v4, v4 ? backend4 : backend6, src, 8090, 40000, isn_b, isn + 1, 0x12,
			    65160, sopt, 20, 0);
		assert_int_equal(flow_proxy_out(&fx.c, fx.idx, m), 1);
		verify(m);
		struct sl_flow_splice *s = &fx.t->splice[fx.idx];
		assert_int_equal(f->proxy, SL_FLOW_PROXY_SPLICED);
		assert_int_equal(s->seq, isn_b - cookie);
		assert_int_equal(s->ts, server_ts - ours);
		assert_int_equal(s->to_client, server_ws ? 9 - 7 : 0 - 7);
		assert_int_equal(s->to_server, server_ws ? 0 : 7);
		/* The ACK, from the client to the address it connected to. */
		uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, 14);
		assert_memory_equal(v4 ? ip + 12 : ip + 8, src, v4 ? 4 : 16);
		assert_memory_equal(v4 ? ip + 16 : ip + 24, dst, v4 ? 4 : 16);
		th = tcp_of(m);
		assert_int_equal(th->tcp_flags, 0x10);
		assert_int_equal(rte_be_to_cpu_16(th->src_port), 40000);
		assert_int_equal(rte_be_to_cpu_16(th->dst_port), 9080);
		assert_int_equal(rte_be_to_cpu_32(th->sent_seq), isn + 1);
		assert_int_equal(rte_be_to_cpu_32(th->recv_ack), isn_b + 1);
		assert_int_equal(rte_be_to_cpu_16(th->rx_win), server_ws ? 64256 >> 7 : 64256);
		const uint8_t *o = (const uint8_t *)(th + 1);
		assert_int_equal(sl_pkt_meta(m)->l4_len, 32);
		assert_int_equal(get32(o + 4), client_ts);
		assert_int_equal(get32(o + 8), server_ts);
		rte_pktmbuf_free(m);
		fixture_down(&fx);
	}
}

/* Test that a client's data sent before its backend answered is held, then
 * goes on once the connection is spliced; and dropped after a second. */
static void test_early_data_held(void **state)
{
	(void)state;
	struct fixture fx;
	fixture_up(&fx, true);
	struct sl_flow *f = sl_flow_get(fx.t, fx.idx);
	struct sl_flow_splice *s = &fx.t->splice[fx.idx];
	f->proxy = SL_FLOW_PROXY_WAITING;
	s->seq = 1000;
	s->client_scale = -1;
	enum sl_drop_reason why;
	struct rte_mbuf *data = segment(true, client4, vip4, 40000, 9080, 5001, 1001, 0x18, 500,
					NULL, 0, 50);
	assert_false(flow_proxy_in(&fx.c, fx.idx, SL_FLOW_ORIG, data, 7, &why));
	assert_int_equal(why, SL_DROP_MAX);
	assert_int_equal(fx.c.n_proxy_held, 1);
	/* A bare ACK (the opening one again) is not kept; at most four packets are. */
	struct rte_mbuf *m = segment(true, client4, vip4, 40000, 9080, 5001, 1001, 0x10, 500, NULL, 0, 0);
	assert_false(flow_proxy_in(&fx.c, fx.idx, SL_FLOW_ORIG, m, 7, &why));
	assert_int_equal(why, SL_DROP_SYN_PROXY_WAIT);
	rte_pktmbuf_free(m);
	struct rte_mbuf *more[4];
	for (unsigned i = 0; i < 4; i++) {
		more[i] = segment(true, client4, vip4, 40000, 9080, 5051 + 50 * i, 1001, 0x18, 500,
				  NULL, 0, 50);
		assert_false(flow_proxy_in(&fx.c, fx.idx, SL_FLOW_ORIG, more[i], 7, &why));
		assert_int_equal(why, i < 3 ? SL_DROP_MAX : SL_DROP_SYN_PROXY_WAIT);
	}
	rte_pktmbuf_free(more[3]);
	assert_int_equal(fx.c.n_proxy_held, 4);
	/* A stray ACK from the backend before its SYN-ACK: not yet. */
	m = segment(true, backend4, client4, 8090, 40000, 1, 1, 0x10, 500, NULL,
				     0, 0);
	assert_false(flow_proxy_in(&fx.c, fx.idx, SL_FLOW_REPLY, m, 7, &why));
	assert_int_equal(why, SL_DROP_SYN_PROXY_WAIT);
	rte_pktmbuf_free(m);
	/* The backend's SYN-ACK: spliced, the data ready to go on. */
	m = segment(true, backend4, client4, 8090, 40000, 777, 5001, 0x12, 500, NULL, 0, 0);
	assert_int_equal(flow_proxy_out(&fx.c, fx.idx, m), 1);
	rte_pktmbuf_free(m);
	assert_int_equal(fx.c.n_proxy_held, 0);
	assert_int_equal(fx.c.n_ready, 4);
	/* In the order they came: ready[] is taken from its end. */
	assert_ptr_equal(fx.c.ready[3], data);
	for (unsigned i = 0; i < 3; i++)
		assert_ptr_equal(fx.c.ready[2 - i], more[i]);
	rte_pktmbuf_free_bulk(fx.c.ready, 4);
	fx.c.n_ready = 0;
	/* A corrupted SYN-ACK is refused whole, the connection still waiting. */
	f->proxy = SL_FLOW_PROXY_WAITING;
	s->seq = 1000;
	m = segment(true, backend4, client4, 8090, 40000, 777, 5001, 0x12, 500, NULL, 0, 0);
	tcp_of(m)->rx_win ^= 0x0100;
	assert_int_equal(flow_proxy_out(&fx.c, fx.idx, m), -1);
	assert_int_equal(f->proxy, SL_FLOW_PROXY_WAITING);
	rte_pktmbuf_free(m);
	/* The connection goes: what it held is dropped, counted. */
	data = segment(true, client4, vip4, 40000, 9080, 5001, 1001, 0x18, 500, NULL, 0, 50);
	assert_false(flow_proxy_in(&fx.c, fx.idx, SL_FLOW_ORIG, data, 7, &why));
	flow_proxy_forget(&fx.c, fx.idx + 1);
	assert_int_equal(fx.c.n_proxy_held, 1);
	uint64_t waits = fx.st.drops[SL_DROP_SYN_PROXY_WAIT];
	flow_proxy_forget(&fx.c, fx.idx);
	assert_int_equal(fx.c.n_proxy_held, 0);
	assert_int_equal(fx.st.drops[SL_DROP_SYN_PROXY_WAIT], waits + 1);
	/* Held too long: dropped, counted. */
	f->proxy = SL_FLOW_PROXY_WAITING;
	data = segment(true, client4, vip4, 40000, 9080, 5001, 1001, 0x18, 500, NULL, 0, 50);
	assert_false(flow_proxy_in(&fx.c, fx.idx, SL_FLOW_ORIG, data, 100, &why));
	flow_proxy_service(&fx.c, 100 + SL_FLOW_TICKS_PER_S);
	assert_int_equal(fx.c.n_proxy_held, 1);
	flow_proxy_service(&fx.c, 101 + SL_FLOW_TICKS_PER_S);
	assert_int_equal(fx.c.n_proxy_held, 0);
	assert_int_equal(fx.st.drops[SL_DROP_SYN_PROXY_WAIT], waits + 2);
	fixture_down(&fx);
}

int main(void)
{
	char *argv[] = {"test", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			"--no-telemetry", "--log-level=lib.*:error"};
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("synproxy_test", 63, 0, SL_PKT_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spliced_translation),
		cmocka_unit_test(test_ack_to_syn_to_splice),
		cmocka_unit_test(test_early_data_held),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

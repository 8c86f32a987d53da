/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the flow stage: random packet sequences through
 * two workers sharing one small connection table.
 *
 * The input is a sequence of 12-byte records, each one packet: which worker
 * receives it and on which port (inside or outside), its protocol (TCP,
 * UDP, ICMP echo request or reply, an ICMP error quoting a packet, another
 * protocol, a non-first fragment), addresses and ports from small pools so
 * that packets meet the same connections, TCP flags, sequence and
 * acknowledgment numbers near each other, and how far the clock moves
 * before it. Packets go through parse and the flow stage of their worker;
 * what is handed off goes through the other worker's stage; the service
 * step runs after every packet. The table holds 64 connections, so it
 * fills, evicts and expires.
 *
 * Port 80 on sluice's outside address is forwarded to 10.1.0.2:80 behind
 * the SYN proxy, so SYNs to it are answered with cookies (dropped here: no
 * route to send them by). A pure ACK to it gets the right cookie for its
 * tuple and sequence number when the record asks (bit 0 of byte 10), and a
 * SYN-ACK from 10.1.0.2:80 the acknowledgement its connection expects (the
 * harness peeks at the table), so connections are spliced and then meet
 * the random packets that follow.
 *
 * Invariants checked after every packet:
 *  - every packet leaves in exactly one way: continued, handed off or
 *    dropped under a reason (the counters balance);
 *  - connections by state, summed over workers, equal the connections in use;
 *  - every connection in the table is found by both of its keys, at its index;
 *  - at the end, with the rings drained, every mbuf is back in the pool.
 *
 * Run: ./fuzz_flow -max_total_time=60 test/fuzz/corpus/flow
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "sl_flow.h"
#include "sl_pkt.h"
#include "sl_synproxy.h"

#define REC 12
#define WORKERS 2
#define HZ 1600000ull          /* synthetic TSC: 100000 cycles per tick */
#define POOL_N 255

static struct rte_mempool *pool;
static struct sl_flow_table *table;
static struct rte_ring *rings[WORKERS][WORKERS];
static struct sl_flow_worker_ctx ctx[WORKERS];
static struct sl_lcore_stats st[WORKERS];
static struct sl_flow_policy pol;
static struct sl_synproxy *proxy;

/* sluice's own addresses: 10.1.0.1 and 10.2.0.1. */
static bool is_local(const void *arg, const struct sl_flow_key *k)
{
	(void)arg;
	return k->af == 4 && k->dst[0] == 10 && k->dst[2] == 0 && k->dst[3] == 1;
}

static void broken(const char *why)
{
	fprintf(stderr, "flow invariant broken: %s\n", why);
	abort();
}

static void init_once(void)
{
	char *argv[] = {"fuzz_flow", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			"--no-telemetry", "--log-level=lib.*:error"};
	if (pool != NULL)
		return;
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		abort();
	pool = rte_pktmbuf_pool_create("fuzz_flow", POOL_N, 0, SL_PKT_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	for (unsigned i = 0; i < WORKERS; i++)
		for (unsigned j = 0; j < WORKERS; j++)
			if (i != j) {
				char name[32];
				snprintf(name, sizeof(name), "ff_%u_%u", i, j);
				rings[i][j] = rte_ring_create(name, 64, SOCKET_ID_ANY,
							      RING_F_SP_ENQ | RING_F_SC_DEQ);
			}
	if (pool == NULL)
		abort();
	/* Short timeouts, in ticks, so that connections expire within a run. */
	sl_ct_timeouts_default(&pol.timeouts);
	for (unsigned s = 0; s < SL_CT_NSTATES; s++)
		pol.timeouts.state[s] = 2 + s % 5;
	pol.timeouts.udp_assured = 9;
	pol.outside[1] = 1;
	pol.n_dnat = 1;
	pol.dnat[0] = (struct sl_flow_dnat){.in_port = 1, .proto = IPPROTO_TCP, .af = 4, .port = 80,
					    .to_port = 80, .to = {10, 1, 0, 2},
					    .syn_proxy = SL_SYN_PROXY_ALWAYS};
	proxy = sl_synproxy_create(WORKERS, HZ);
	if (proxy == NULL)
		abort();
}

static struct sl_frag_table *frags;

static void reset(void)
{
	sl_frag_table_free(frags);
	frags = sl_frag_table_create(64, SOCKET_ID_ANY);
	if (frags == NULL)
		abort();
	sl_flow_table_free(table);
	table = sl_flow_table_create(64, 16, WORKERS, NULL, SOCKET_ID_ANY);
	if (table == NULL || sl_flow_splice_enable(table, SOCKET_ID_ANY) != 0)
		abort();
	for (unsigned w = 0; w < WORKERS; w++) {
		memset(&st[w], 0, sizeof(st[w]));
		ctx[w] = (struct sl_flow_worker_ctx){.t = table, .worker = w, .n_workers = WORKERS,
			.st = &st[w], .tsc_per_tick = HZ / SL_FLOW_TICKS_PER_S, .scan_every = 1,
			.scan_budget = 8, .frags = frags, .sp = proxy, .is_local = is_local};
		for (unsigned j = 0; j < WORKERS; j++) {
			ctx[w].to[j] = rings[w][j];
			ctx[w].from[j] = rings[j][w];
		}
	}
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* An IPv4 header at @p ip for @p l4len bytes of @p proto, checksummed. */
static void ip4(uint8_t *ip, uint8_t proto, uint32_t src, uint32_t dst, uint16_t l4len,
		uint16_t frag)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4len));
	put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	uint16_t ck = rte_ipv4_cksum((const struct rte_ipv4_hdr *)ip);
	memcpy(ip + 10, &ck, 2);
}

/*
 * A client's pure ACK to the proxied port: the cookie its tuple and
 * sequence number would have been answered with. The backend's SYN-ACK:
 * the acknowledgement its connection waits for.
 */
static void proxy_numbers(const uint8_t *ip, uint8_t *l4, uint64_t now)
{
	struct sl_flow_key k = {.sport = (uint16_t)(l4[0] << 8 | l4[1]),
				.dport = (uint16_t)(l4[2] << 8 | l4[3]), .af = 4,
				.proto = IPPROTO_TCP};
	memcpy(k.src, ip + 12, 4);
	memcpy(k.dst, ip + 16, 4);
	uint32_t seq = (uint32_t)l4[4] << 24 | (uint32_t)l4[5] << 16 | (uint32_t)l4[6] << 8 | l4[7];
	if (l4[13] == 0x10 && k.dport == 80 && is_local(NULL, &k)) {
		struct sl_cookie_tuple t = {.af = 4, .sport = k.sport, .dport = k.dport};
		memcpy(t.saddr, k.src, 4);
		memcpy(t.daddr, k.dst, 4);
		uint16_t mss;
		put32(l4 + 8, sl_syncookie_make(sl_synproxy_keys(proxy), &t, seq - 1,
						sl_syncookie_minute(now, HZ), 0, &mss) + 1);
	} else if (l4[13] == 0x12 && k.sport == 80) {
		enum sl_flow_dir dir;
		uint32_t idx = sl_flow_lookup(table, &k, sl_flow_hash(&k), &dir);
		if (idx != SL_FLOW_NONE && dir == SL_FLOW_REPLY)
			put32(l4 + 8, sl_flow_get(table, idx)->tcp[SL_FLOW_ORIG].end);
	} else {
		return;
	}
	uint8_t ck[2] = {0, 0};
	memcpy(l4 + 16, ck, 2);
	uint16_t sum = rte_ipv4_udptcp_cksum((const struct rte_ipv4_hdr *)ip, l4);
	memcpy(l4 + 16, &sum, 2);
}

/*
 * One packet from a record. Byte 0: worker (bit 0), outside port (bit 1),
 * kind (bits 2-4); 1: hosts; 2-3: ports; 4: TCP flags; 5-8: sequence and
 * acknowledgment offsets; 9: window; 10: payload; 11: clock step.
 */
static struct rte_mbuf *make(const uint8_t *r, uint64_t now)
{
	static const uint16_t ports[4] = {80, 443, 40000, 53};
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	if (m == NULL)
		return NULL;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	bool outside = r[0] & 2;
	unsigned kind = (r[0] >> 2) & 7;
	uint32_t in = RTE_IPV4(10, 1, 0, 2 + (r[1] & 3)), out = RTE_IPV4(10, 2, 0, 2 + (r[1] >> 2 & 3));
	uint32_t src = outside ? out : in, dst = outside ? in : out;
	if (r[1] & 0x80)
		dst = outside ? RTE_IPV4(10, 2, 0, 1) : RTE_IPV4(10, 1, 0, 1); /* sluice itself */
	uint16_t sport = ports[r[2] & 3] + (r[2] >> 2), dport = ports[r[3] & 3];
	uint8_t *ip = f + 14, *l4 = ip + 20;
	uint16_t l4len = 0, payload = r[10] & 63;
	memset(f, 0, 14);
	f[12] = 0x08;
	switch (kind) {
	case 0: case 1: case 2:                              /* TCP */
		l4len = (uint16_t)(20 + payload);
		memset(l4, 0, l4len);
		put16(l4, sport);
		put16(l4 + 2, dport);
		put32(l4 + 4, 1000u + (uint32_t)r[5] * 997u + (uint32_t)r[6] * 131072u);
		put32(l4 + 8, 700000u + (uint32_t)r[7] * 997u + (uint32_t)r[8] * 131072u);
		l4[12] = 0x50;
		l4[13] = r[4];
		put16(l4 + 14, (uint16_t)(r[9] << 8));
		ip4(ip, IPPROTO_TCP, src, dst, l4len, 0);
		if (r[10] & 1)
			proxy_numbers(ip, l4, now);
		break;
	case 3:                                             /* UDP */
		l4len = (uint16_t)(8 + payload);
		memset(l4, 0, l4len);
		put16(l4, sport);
		put16(l4 + 2, dport);
		put16(l4 + 4, l4len);
		ip4(ip, IPPROTO_UDP, src, dst, l4len, r[4] & 1 ? 0x2000 : 0);  /* a first fragment */
		break;
	case 4:                                             /* echo request or reply */
		l4len = 8;
		memset(l4, 0, 8);
		l4[0] = r[4] & 1 ? 0 : 8;
		put16(l4 + 4, sport);
		ip4(ip, IPPROTO_ICMP, src, dst, l4len, 0);
		break;
	case 5:                                             /* an error quoting a TCP/UDP packet */
		l4len = 8 + 28;
		memset(l4, 0, l4len);
		l4[0] = r[4] & 1 ? 3 : 11;
		ip4(l4 + 8, r[4] & 2 ? IPPROTO_UDP : IPPROTO_TCP, dst, src, 8, 0);
		put16(l4 + 28, dport);
		put16(l4 + 30, sport);
		ip4(ip, IPPROTO_ICMP, src, dst, l4len, 0);
		break;
	case 6:                                             /* another protocol */
		l4len = payload;
		memset(l4, 0, l4len);
		ip4(ip, 47, src, dst, l4len, 0);
		break;
	default:                                            /* a non-first fragment */
		l4len = 16;
		memset(l4, 0, l4len);
		ip4(ip, IPPROTO_UDP, src, dst, l4len, 185);
		break;
	}
	m->data_len = m->pkt_len = (uint32_t)(14 + 20 + l4len);
	return m;
}

static uint64_t drops(const struct sl_lcore_stats *s)
{
	uint64_t n = 0;
	for (unsigned r = 0; r < SL_DROP_MAX; r++)
		n += s->drops[r];
	return n;
}

/* Through one worker's flow stage: the counters must account for every packet. */
static void stage(unsigned w, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	uint64_t d0 = drops(&st[w]), h0 = st[w].flow_handoff_out;
	unsigned held0 = ctx[w].n_held + ctx[w].n_proxy_held + ctx[w].n_ready;
	uint16_t keep = sl_flow_pre_burst(&ctx[w], &pol, pkts, n, now);
	/* Held: later fragments, and clients' packets waiting for their backend. */
	if (keep + (drops(&st[w]) - d0) + (st[w].flow_handoff_out - h0) +
	    (ctx[w].n_held + ctx[w].n_proxy_held + ctx[w].n_ready - held0) != n)
		broken("a packet left in no way, or in two");
	if (ctx[w].n_answers != 0)
		broken("an answer without a route to send it by");
	/* Routed out of the other port; then the post hook (source NAT,
	 * first fragments noted). */
	for (uint16_t i = 0; i < keep; i++)
		sl_pkt_meta(pkts[i])->out_port = sl_pkt_meta(pkts[i])->in_port ^ 1;
	d0 = drops(&st[w]);
	uint16_t out = sl_flow_post_burst(&ctx[w], &pol, pkts, keep, now);
	if (out + (drops(&st[w]) - d0) != keep)
		broken("a packet left the post hook in no way, or in two");
	rte_pktmbuf_free_bulk(pkts, out);
}

static void check_table(void)
{
	uint64_t by_state = 0, used = 0;
	for (unsigned w = 0; w < WORKERS; w++) {
		for (unsigned s = 0; s < SL_CT_NSTATES; s++)
			by_state += ctx[w].by_state[s];
		used += sl_flow_used(table, w);
	}
	if (by_state != used)
		broken("connections by state do not add up to those in use");
	for (uint32_t i = 0; i < table->capacity; i++) {
		const struct sl_flow *f = sl_flow_get(table, i);
		if (f->state == 0 || (f->flags & SL_FLOW_F_DYING))
			continue;
		for (unsigned d = 0; d < 2; d++) {
			struct sl_flow_key k;
			enum sl_flow_dir dir;
			sl_flow_key_get(table, f, (enum sl_flow_dir)d, &k);
			if (sl_flow_lookup(table, &k, sl_flow_hash(&k), &dir) != i || dir != d)
				broken("a connection is not found by its own key");
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t now = HZ;
	init_once();
	reset();
	for (size_t off = 0; off + REC <= size; off += REC) {
		const uint8_t *r = data + off;
		unsigned w = r[0] & 1;
		now += (uint64_t)r[11] * (HZ / 64);
		struct rte_mbuf *m = make(r, now);
		if (m == NULL)
			abort();
		struct sl_pkt_meta *meta = sl_pkt_meta(m);
		const struct sl_pkt_parse_ctx pc = {.st = &st[w], .in_port = (r[0] & 2) ? 1 : 0};
		uint16_t ok = sl_pkt_parse_burst(&pc, &m, 1, now);
		if (ok == 0) {
			sl_pkt_drop_rejects(&st[w], &m, 1);
			continue;
		}
		(void)meta;
		stage(w, &m, 1, now);
		/* What was handed off goes through its owner's stage. */
		for (unsigned o = 0; o < WORKERS; o++) {
			struct rte_mbuf *in[64];
			uint16_t n = sl_flow_handoff_take(&ctx[o], in, 64);
			if (n > 0)
				stage(o, in, n, now);
			sl_flow_service(&ctx[o], now);
		}
		check_table();
	}
	for (unsigned o = 0; o < WORKERS; o++) {
		struct rte_mbuf *in[64];
		uint16_t n;
		while ((n = sl_flow_handoff_take(&ctx[o], in, 64)) > 0)
			rte_pktmbuf_free_bulk(in, n);
		/* Later fragments still waiting for their first. */
		rte_pktmbuf_free_bulk(ctx[o].held, ctx[o].n_held);
		ctx[o].n_held = 0;
		rte_pktmbuf_free_bulk(ctx[o].proxy_held, ctx[o].n_proxy_held);
		ctx[o].n_proxy_held = 0;
	}
	if (rte_mempool_avail_count(pool) != POOL_N)
		broken("an mbuf was lost");
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAT's incremental checksum updates against full recomputation, on random
 * packets: TCP, UDP (with and without a checksum) and ICMP echo, IPv4 and
 * IPv6, translated both ways, source and destination.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "flow_priv.h"

static struct rte_mempool *pool;
static uint64_t seed = 0x2545f4914f6cdd1dull;

static uint32_t rnd(void)
{
	seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
	return (uint32_t)seed;
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

/* A random packet of @p proto and family, checksums right, parsed into its meta. */
static struct rte_mbuf *make(bool v4, uint8_t proto, bool udp_zero)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t l3 = v4 ? 20 : 40, l4 = proto == IPPROTO_TCP ? 20 : 8;
	uint16_t payload = (uint16_t)(rnd() % 200 + 1);
	memset(f, 0, 14);
	f[12] = v4 ? 0x08 : 0x86;
	f[13] = v4 ? 0x00 : 0xdd;
	uint8_t *ip = f + 14, *h = ip + l3;
	rnd_bytes(h, (size_t)l4 + payload);
	if (v4) {
		struct rte_ipv4_hdr *i4 = (struct rte_ipv4_hdr *)ip;
		memset(i4, 0, 20);
		i4->version_ihl = 0x45;
		i4->total_length = rte_cpu_to_be_16((uint16_t)(l3 + l4 + payload));
		i4->time_to_live = 64;
		i4->next_proto_id = proto;
		rnd_bytes((uint8_t *)&i4->src_addr, 8);
		i4->hdr_checksum = rte_ipv4_cksum(i4);
	} else {
		struct rte_ipv6_hdr *i6 = (struct rte_ipv6_hdr *)ip;
		memset(i6, 0, 8);
		i6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		i6->payload_len = rte_cpu_to_be_16((uint16_t)(l4 + payload));
		i6->proto = proto;
		i6->hop_limits = 64;
		rnd_bytes(i6->src_addr, 32);
	}
	if (proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)h;
		t->data_off = 0x50;
		t->cksum = 0;
		t->cksum = v4 ? rte_ipv4_udptcp_cksum((void *)ip, t) : rte_ipv6_udptcp_cksum((void *)ip, t);
	} else if (proto == IPPROTO_UDP) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)h;
		u->dgram_len = rte_cpu_to_be_16((uint16_t)(l4 + payload));
		u->dgram_cksum = 0;
		if (!udp_zero)
			u->dgram_cksum = v4 ? rte_ipv4_udptcp_cksum((void *)ip, u) :
					      rte_ipv6_udptcp_cksum((void *)ip, u);
	} else {
		struct rte_icmp_hdr *c = (struct rte_icmp_hdr *)h;
		c->icmp_type = v4 ? 8 : 128;
		c->icmp_code = 0;
		c->icmp_cksum = 0;
		c->icmp_cksum = v4 ? (uint16_t)~rte_raw_cksum(c, (size_t)l4 + payload) :
				     rte_ipv6_udptcp_cksum((void *)ip, c);
	}
	m->data_len = m->pkt_len = (uint32_t)(14 + l3 + l4 + payload);
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	memset(meta, 0, sizeof(*meta));
	assert_true(sl_pkt_parse(m));
	return m;
}

/* Every checksum of @p m verifies (UDP over IPv4 with 0: stays 0). */
static void verify(struct rte_mbuf *m, bool udp_zero)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	bool v4 = meta->l3_type == SL_L3_IPV4;
	void *ip = rte_pktmbuf_mtod_offset(m, void *, 14), *l4 = sl_pkt_l4(m);
	size_t l4len = meta->ip_len - meta->l3_len;
	if (v4)
		assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
	switch (meta->l4_proto) {
	case IPPROTO_UDP:
		if (udp_zero && v4) {
			assert_int_equal(((struct rte_udp_hdr *)l4)->dgram_cksum, 0);
			return;
		}
		/* fall through */
	case IPPROTO_TCP:
	case IPPROTO_ICMPV6:
		assert_int_equal(v4 ? rte_ipv4_udptcp_cksum_verify(ip, l4) :
				      rte_ipv6_udptcp_cksum_verify(ip, l4), 0);
		break;
	default:
		assert_int_equal(rte_raw_cksum(l4, l4len), 0xffff);
	}
}

/* Translate random packets through a connection whose reply key differs in
 * address and port (source NAT), each direction, and check them. */
static void test_checksums_after_translation(void **state)
{
	static const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP};
	struct sl_flow_table *t = sl_flow_table_create(64, 64, 1, NULL, SOCKET_ID_ANY);
	(void)state;
	for (unsigned round = 0; round < 2000; round++) {
		bool v4 = rnd() & 1, zero = v4 && (rnd() & 3) == 0; /* none: IPv4 only */
		uint8_t proto = protos[rnd() % 3];
		if (!v4 && proto == IPPROTO_ICMP)
			proto = IPPROTO_ICMPV6;
		struct rte_mbuf *m = make(v4, proto, zero && proto == IPPROTO_UDP);
		struct sl_flow_key o, r;
		verify(m, zero && proto == IPPROTO_UDP);       /* as made */
		assert_int_equal(sl_flow_key_from_pkt(m, &o), 0);
		/* The reply: the other way round, to a random address and port. */
		r = o;
		memcpy(r.src, o.dst, 16);
		memcpy(r.dst, o.src, 16);
		rnd_bytes(r.dst, v4 ? 4 : 16);
		if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
			r.sport = o.dport;
			r.dport = (uint16_t)rnd();
		} else {
			r.sport = (uint16_t)rnd();       /* the identifier */
			r.dport = v4 ? 0 : 129;
		}
		uint32_t idx = sl_flow_alloc(t, 0, &o, &r);
		assert_int_not_equal(idx, SL_FLOW_NONE);
		struct sl_flow *f = sl_flow_get(t, idx);
		f->flags |= SL_FLOW_F_SNAT;
		/* Out: source translated (post route), then back as it came. */
		struct rte_mbuf *m2 = rte_pktmbuf_copy(m, pool, 0, UINT32_MAX);
		assert_non_null(m2);
		memcpy(sl_pkt_meta(m2), sl_pkt_meta(m), sizeof(struct sl_pkt_meta));
		flow_nat_dst(t, f, SL_FLOW_ORIG, m);
		flow_nat_src(t, f, SL_FLOW_ORIG, m);
		verify(m, zero && proto == IPPROTO_UDP);
		/* Both at once (before route) give the same bytes. */
		flow_nat_both(t, f, SL_FLOW_ORIG, m2);
		assert_int_equal(rte_pktmbuf_data_len(m2), rte_pktmbuf_data_len(m));
		assert_memory_equal(rte_pktmbuf_mtod(m2, void *), rte_pktmbuf_mtod(m, void *),
				    rte_pktmbuf_data_len(m));
		rte_pktmbuf_free(m2);
		struct sl_flow_key now;
		assert_int_equal(sl_flow_key_from_pkt(m, &now), 0);
		assert_memory_equal(now.src, r.dst, v4 ? 4 : 16);
		if (proto == IPPROTO_TCP || proto == IPPROTO_UDP)
			assert_int_equal(now.sport, r.dport);
		else
			assert_int_equal(now.sport, r.sport);
		sl_flow_free_unused(t, 0, idx);
		rte_pktmbuf_free(m);
	}
	sl_flow_table_free(t);
}

/* ---- source NAT ports from two workers at once --------------------------- */

#define PER_WORKER 2000

struct binder {
	struct sl_flow_table *t;
	const struct sl_rss_steer *const *steer;
	unsigned worker;
	int failures;
	uint16_t port[PER_WORKER];
};

/* PER_WORKER connections from distinct clients to one server, each given a
 * translated source port by rule 1024..(1024 + 2 * PER_WORKER + 127). */
static void *bind_many(void *arg)
{
	struct binder *b = arg;
	struct sl_flow_worker_ctx c = {.t = b->t, .worker = b->worker, .n_workers = 2,
				       .steer = b->steer};
	struct sl_flow_snat r = {.has4 = true, .to4 = {198, 51, 100, 1}, .lo = 1024,
				 .hi = 1024 + 2 * PER_WORKER + 127};
	for (unsigned i = 0; i < PER_WORKER; i++) {
		struct sl_flow_key o = {.sport = 40000, .dport = 80, .af = 4, .proto = IPPROTO_TCP,
					.src = {10, (uint8_t)b->worker, (uint8_t)(i >> 8), (uint8_t)i},
					.dst = {203, 0, 113, 1}};
		struct sl_flow_key rep = o;
		memcpy(rep.src, o.dst, 16);
		memcpy(rep.dst, o.src, 16);
		rep.sport = o.dport;
		rep.dport = o.sport;
		uint32_t idx = sl_flow_alloc(b->t, b->worker, &o, &rep);
		if (idx == SL_FLOW_NONE || sl_flow_insert(b->t, b->worker, idx) != 0 ||
		    flow_snat_bind(&c, idx, &r, 0) != 0) {
			b->failures++;
			continue;
		}
		b->port[i] = sl_flow_get(b->t, idx)->port[SL_FLOW_REPLY][1];
	}
	return NULL;
}

/* Two workers binding at the same moment, to one server (so every reply
 * key differs by its port only), replies arriving on port 0 steered by
 * @p steer (NULL: not steered): no port twice, each worker's own. */
static void bind_from_two_workers(const struct sl_rss_steer *steer)
{
	struct sl_flow_table *t = sl_flow_table_create(4 * PER_WORKER, 0, 2, NULL, SOCKET_ID_ANY);
	const struct sl_rss_steer *steers[SL_MAX_PORTS] = {steer};
	static struct binder b[2];
	pthread_t th[2];
	static uint8_t seen[65536];
	memset(seen, 0, sizeof(seen));
	for (unsigned w = 0; w < 2; w++) {
		b[w] = (struct binder){.t = t, .worker = w, .steer = steers};
		assert_int_equal(pthread_create(&th[w], NULL, bind_many, &b[w]), 0);
	}
	for (unsigned w = 0; w < 2; w++) {
		pthread_join(th[w], NULL);
		assert_int_equal(b[w].failures, 0);
		for (unsigned i = 0; i < PER_WORKER; i++) {
			uint16_t p = b[w].port[i];
			assert_true(p >= 1024 && p <= 1024 + 2 * PER_WORKER + 127);
			if (steer == NULL) {
				assert_int_equal((unsigned)(p - 1024) % 2, w);
			} else {
				/* The reply as the NIC hashes it: server to the
				 * translated address and port. */
				const uint8_t in[12] = {203, 0, 113, 1, 198, 51, 100, 1, 0, 80,
							(uint8_t)(p >> 8), (uint8_t)p};
				uint32_t h = sl_rss_toeplitz(steer->key, steer->key_len, in, 12);
				assert_int_equal(steer->reta_worker[h % steer->reta_size], w);
			}
			assert_int_equal(seen[p], 0);
			seen[p] = 1;
		}
	}
	sl_flow_table_free(t);
}

static void test_ports_without_collision(void **state)
{
	(void)state;
	bind_from_two_workers(NULL);
}

/* Test the same where the port's RSS can be followed (a 128-entry RETA
 * over four queues, two per worker): each port is one whose replies the
 * NIC delivers to the worker that chose it. */
static void test_ports_steered_to_owner(void **state)
{
	(void)state;
	static struct sl_rss_steer s;
	uint8_t key[40];
	uint16_t reta[128];
	const uint8_t queue_worker[4] = {0, 1, 0, 1};
	for (unsigned i = 0; i < 40; i++)
		key[i] = (uint8_t)rnd();
	for (unsigned i = 0; i < 128; i++)
		reta[i] = (uint16_t)(rnd() % 4);
	assert_int_equal(sl_rss_steer_init(&s, RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP, key, 40, reta,
					   128, queue_worker, 4), 0);
	bind_from_two_workers(&s);
}

int main(void)
{
	char *argv[] = {"test", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			"--no-telemetry", "--log-level=lib.*:error"};
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("nat_test", 63, 0, SL_PKT_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksums_after_translation),
		cmocka_unit_test(test_ports_without_collision),
		cmocka_unit_test(test_ports_steered_to_owner),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

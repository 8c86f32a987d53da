/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard's timers (the paper's §6) under a synthetic clock: an
 * interface and one peer the test plays, the management lcore's ticks
 * every 10 ms of a clock that only the test moves (1 tick = 1 ns).
 *
 *  - a packet for a peer that never answers: an initiation, one again
 *    every 5 s plus up to 1/3 s of jitter, given up after 90 s with the
 *    held packet dropped and the give-up counted;
 *  - the peer starts a session: the response; its first data confirms the
 *    session and the held reply goes; data received and nothing sent back
 *    for 10 s: exactly one keepalive; the session is gone after 180 s;
 *  - a session we started, used both ways: no new handshake before 120 s,
 *    one when a packet is sent on it after that; and one 15 s after data
 *    sent is not answered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "sl_wg.h"
#include "wg_harness.h"

#define HZ 1000000000ull        /* the synthetic TSC: nanoseconds */
#define MS (HZ / 1000)

static struct rte_mempool *pool;
static struct rte_ring *ring;
static struct rte_rcu_qsbr *qsv;
static struct sl_ipstack_tables *tables;
static struct sl_ipstack_worker ipw;
static struct sl_lcore_stats st;

/* One test's world. */
static struct sl_wg_dev *dev;
static struct sl_wg_worker wk;
static struct sl_wg_static peer;
static struct sl_wg_remote peer_view;
static uint64_t now;
static struct rte_mbuf *sent;
static unsigned n_sent[5];              /* by message type, since the test began */
static uint64_t first_sent[5], last_sent[5];

/* The interface's send callback: count, remember, keep the last. */
static void tx(void *arg, struct rte_mbuf *m)
{
	(void)arg;
	uint8_t type = *rte_pktmbuf_mtod_offset(m, uint8_t *, 42);
	if (type < 5) {
		if (n_sent[type]++ == 0)
			first_sent[type] = now;
		last_sent[type] = now;
	}
	rte_pktmbuf_free(sent);
	sent = m;
}

static void stats(struct sl_wg_dev_stats *s)
{
	sl_wg_dev_stats(dev, s);
}

/* Move the clock to @p to in 10 ms ticks, as the management loop does. */
static void advance(uint64_t to)
{
	while (now < to) {
		now += 10 * MS;
		sl_wg_dev_tick(dev, tables, now);
	}
}

static int setup(void **state)
{
	(void)state;
	char err[256];
	struct sl_wg_dev_params prm = {
		.name = "wg0", .port = WG_HARNESS_PORT, .listen_port = 51820, .max_peers = 4,
		.handshake_load = 1000, .clock_scale = 1, .tsc_hz = HZ, .socket = SOCKET_ID_ANY,
		.qsv = qsv, .pool = pool, .tx = tx, .st = &st,
	};
	dev = sl_wg_dev_create(&prm, err, sizeof(err));
	assert_non_null(dev);
	uint8_t key[SL_WG_KEY_LEN], pub[SL_WG_KEY_LEN];
	memset(key, 5, sizeof(key));
	assert_true(sl_wg_dev_set_key(dev, key));
	sl_wg_dev_public_key(dev, pub);
	memset(key, 6, sizeof(key));
	assert_true(sl_wg_static_init(&peer, key));
	assert_true(sl_wg_remote_init(&peer_view, &peer, pub, NULL));
	struct sl_prefix allowed;
	sl_parse_prefix("10.99.0.2/32", &allowed);
	struct sl_wg_peer_change ch = {.n_allowed = 1, .allowed = &allowed, .set_endpoint = true,
				       .endpoint = {.af = SL_AF_INET,
						    .v4 = rte_cpu_to_be_32(0x0a020002)},
				       .endpoint_port = 51820};
	assert_int_equal(sl_wg_peer_set(dev, peer.pub, &ch, err, sizeof(err)), 0);
	wg_harness_worker(&wk, dev, &ipw, &st, ring);
	wk.tsc_hz = HZ;
	now = 1000 * HZ;
	memset(n_sent, 0, sizeof(n_sent));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rte_pktmbuf_free(sent);
	sent = NULL;
	void *m;
	while (rte_ring_dequeue(ring, &m) == 0)
		rte_pktmbuf_free(m);
	sl_wg_cipher_free(wk.cipher);
	sl_wg_dev_free(dev);
	return 0;
}

/* An IPv4 packet from h1 (10.1.0.2) to the peer's 10.99.0.2, routed into wg0. */
static struct rte_mbuf *inner_packet(void)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, 14 + 28);
	memset(p, 0, 42);
	((struct rte_ether_hdr *)p)->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = (void *)(p + 14);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(28);
	ip->time_to_live = 64;
	ip->next_proto_id = 253;     /* experimental: no L4 header to check */
	ip->src_addr = rte_cpu_to_be_32(0x0a010002);
	ip->dst_addr = rte_cpu_to_be_32(0x0a630002);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	sl_pkt_meta(m)->in_port = 0;
	assert_true(sl_pkt_parse(m));
	sl_pkt_meta(m)->out_port = WG_HARNESS_PORT;
	return m;
}

/* The peer's handshake message @p msg, arrived on wan and punted. */
static void from_peer(const void *msg, size_t len)
{
	struct rte_mbuf *m = wg_harness_udp(pool, msg, len);
	assert_true(sl_pkt_parse(m));
	sl_pkt_meta(m)->flags |= SL_PKT_F_WG_HANDSHAKE;
	sl_pkt_meta(m)->out_port = WG_HARNESS_PORT;
	sl_wg_dev_input(dev, tables, m, now);
}

/* A packet for a peer that never answers. */
static void test_initiation_retried_then_given_up(void **state)
{
	(void)state;
	struct sl_wg_dev_stats s;
	sl_wg_dev_output(dev, tables, inner_packet(), now);
	assert_int_equal(n_sent[SL_WG_MSG_INITIATION], 1);
	uint64_t start = now;
	/* The next one: 5 s later, plus jitter under 1/3 s (and a 10 ms tick). */
	advance(start + 5 * HZ - 20 * MS);
	assert_int_equal(n_sent[SL_WG_MSG_INITIATION], 1);
	advance(start + 5 * HZ + 350 * MS);
	assert_int_equal(n_sent[SL_WG_MSG_INITIATION], 2);
	assert_true(last_sent[SL_WG_MSG_INITIATION] - start >= 5 * HZ);
	/* Retried until 90 s, then given up: the held packet goes. */
	advance(start + 89 * HZ);
	stats(&s);
	assert_int_equal(s.hs[SL_WG_HS_TIMEOUT], 0);
	unsigned tries = n_sent[SL_WG_MSG_INITIATION];
	assert_in_range(tries, 90 / 6, 90 / 5 + 1);
	advance(start + 91 * HZ);
	stats(&s);
	assert_int_equal(s.hs[SL_WG_HS_TIMEOUT], 1);
	assert_int_equal(s.staged_dropped, 1);
	assert_int_equal(s.hs[SL_WG_HS_INITIATED], n_sent[SL_WG_MSG_INITIATION]);
	/* And nothing more without a new packet. */
	unsigned after = n_sent[SL_WG_MSG_INITIATION];
	advance(start + 200 * HZ);
	assert_int_equal(n_sent[SL_WG_MSG_INITIATION], after);
}

/* The peer's data message carrying an IPv4 packet to 10.1.0.2 (or a
 * keepalive), through the worker's tunnel-in stage; delivered packets out. */
static uint16_t peer_data(const uint8_t key[SL_WG_KEY_LEN], uint32_t receiver, uint64_t counter,
			  bool keepalive)
{
	uint8_t msg[16 + 32 + 16], inner[32] = {0};
	struct rte_ipv4_hdr *ip = (void *)inner;
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(28);
	ip->time_to_live = 64;
	ip->next_proto_id = 253;
	ip->src_addr = rte_cpu_to_be_32(0x0a630002);
	ip->dst_addr = rte_cpu_to_be_32(0x0a010002);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	size_t len = keepalive ? 0 : sizeof(inner);
	struct sl_wg_msg_data h = {.type = sl_wg_type(SL_WG_MSG_DATA),
				   .receiver = sl_wg_le32(receiver), .counter = sl_wg_le64(counter)};
	memcpy(msg, &h, sizeof(h));
	assert_true(sl_wg_aead_seal(msg + 16, key, counter, inner, len, NULL, 0));
	struct rte_mbuf *m = wg_harness_udp(pool, msg, 16 + len + 16);
	assert_true(sl_pkt_parse(m));
	struct rte_mbuf *pkts[1] = {m};
	uint16_t n = sl_wg_in_burst(&wk, pkts, 1, now);
	if (n == 1)
		rte_pktmbuf_free(pkts[0]);
	return n;
}

static void test_responder_keepalive_and_expiry(void **state)
{
	(void)state;
	struct sl_wg_handshake hs;
	struct sl_wg_msg_initiation init;
	struct sl_wg_msg_response resp;
	struct sl_wg_dev_stats s;
	uint8_t e[SL_WG_KEY_LEN], ts[SL_WG_TAI64N_LEN], send[SL_WG_KEY_LEN], recv[SL_WG_KEY_LEN];
	memset(e, 9, sizeof(e));
	sl_wg_tai64n(ts, 1700000000ull * HZ);
	assert_true(sl_wg_initiation_create(&hs, &peer, &peer_view, e, ts, 42, &init));
	from_peer(&init, sizeof(init));
	uint64_t born = now;
	assert_int_equal(n_sent[SL_WG_MSG_RESPONSE], 1);
	memcpy(&resp, rte_pktmbuf_mtod_offset(sent, void *, 42), sizeof(resp));
	assert_true(sl_wg_response_consume(&hs, &peer, &peer_view, &resp));
	assert_true(sl_wg_keys_derive(&hs, send, recv));
	uint32_t receiver = sl_wg_le32(resp.sender);
	/* Not confirmed yet: a reply waits (held), no new handshake. */
	sl_wg_dev_output(dev, tables, inner_packet(), now);
	assert_int_equal(n_sent[SL_WG_MSG_DATA], 0);
	/* The peer's first data confirms the session; the held reply goes. */
	assert_int_equal(peer_data(send, receiver, 0, false), 1);
	advance(now + 200 * MS);
	assert_int_equal(n_sent[SL_WG_MSG_DATA], 1);
	assert_int_equal(n_sent[SL_WG_MSG_INITIATION], 0);
	/* More data at t+1 s, then nothing sent back: one keepalive ~10 s
	 * after it, not one a tick. */
	now += HZ;
	uint64_t rx = now;
	assert_int_equal(peer_data(send, receiver, 1, false), 1);
	advance(rx + 9 * HZ);
	assert_int_equal(n_sent[SL_WG_MSG_DATA], 1);
	advance(rx + 10 * HZ + 200 * MS);
	assert_int_equal(n_sent[SL_WG_MSG_DATA], 2);
	assert_in_range(last_sent[SL_WG_MSG_DATA] - rx, 10 * HZ, 10 * HZ + 200 * MS);
	advance(rx + 60 * HZ);
	assert_int_equal(n_sent[SL_WG_MSG_DATA], 2);
	/* A keepalive received is not data: it asks for no keepalive back. */
	assert_int_equal(peer_data(send, receiver, 2, true), 0);
	advance(now + 20 * HZ);
	assert_int_equal(n_sent[SL_WG_MSG_DATA], 2);
	stats(&s);
	assert_int_equal(s.sessions, 1);
	assert_int_equal(s.rx_packets, 3);
	/* 180 s after the handshake the session is gone, and with it data. */
	advance(born + 180 * HZ + 100 * MS);
	stats(&s);
	assert_int_equal(s.sessions, 0);
	assert_int_equal(peer_data(send, receiver, 3, false), 0);
	assert_int_equal(n_sent[SL_WG_MSG_INITIATION], 0);   /* a responder does not rekey */
}

static void test_initiator_rekeys_after_120s(void **state)
{
	(void)state;
	struct sl_wg_dev_stats s;
	/* We start it: a held packet, our initiation, the peer's response. */
	sl_wg_dev_output(dev, tables, inner_packet(), now);
	assert_int_equal(n_sent[SL_WG_MSG_INITIATION], 1);
	struct sl_wg_msg_initiation init;
	memcpy(&init, rte_pktmbuf_mtod_offset(sent, void *, 42), sizeof(init));
	struct sl_wg_handshake hs = {0};
	struct sl_wg_msg_response resp;
	uint8_t pub[SL_WG_KEY_LEN], ts[SL_WG_TAI64N_LEN], e[SL_WG_KEY_LEN];
	memset(e, 3, sizeof(e));
	assert_true(sl_wg_initiation_open(&hs, &peer, &init, pub));
	assert_true(sl_wg_initiation_finish(&hs, &peer_view, &init, ts));
	assert_true(sl_wg_response_create(&hs, &peer_view, e, 7, &resp));
	uint8_t peer_send[SL_WG_KEY_LEN], peer_recv[SL_WG_KEY_LEN];
	assert_true(sl_wg_keys_derive(&hs, peer_send, peer_recv));
	from_peer(&resp, sizeof(resp));
	assert_int_equal(n_sent[SL_WG_MSG_DATA], 1);          /* the held packet */
	uint64_t born = now, counter = 0;
	uint32_t ours = sl_wg_le32(init.sender);
	/* Used both ways every 10 s: no handshake until 120 s... */
	struct rte_mbuf *pkts[1];
	for (uint64_t t = born + 10 * HZ; t < born + 120 * HZ; t += 10 * HZ) {
		advance(t);
		pkts[0] = inner_packet();
		assert_int_equal(sl_wg_out_burst(&wk, pkts, 1, now), 1);
		rte_pktmbuf_free(pkts[0]);
		assert_int_equal(peer_data(peer_send, ours, counter++, false), 1);
	}
	advance(born + 120 * HZ - 100 * MS);
	assert_int_equal(n_sent[SL_WG_MSG_INITIATION], 1);
	/* ...then the next packet asks for one, and the tick sends it. */
	advance(born + 121 * HZ);
	pkts[0] = inner_packet();
	assert_int_equal(sl_wg_out_burst(&wk, pkts, 1, now), 1);
	rte_pktmbuf_free(pkts[0]);
	advance(now + 200 * MS);
	assert_int_equal(n_sent[SL_WG_MSG_INITIATION], 2);
	stats(&s);
	assert_int_equal(s.hs[SL_WG_HS_INITIATED], 2);
}

/* Data sent on a session and not answered for 15 s: a new handshake
 * (the peer may have lost it), once, not one a tick. */
static void test_unanswered_data_starts_a_handshake(void **state)
{
	(void)state;
	sl_wg_dev_output(dev, tables, inner_packet(), now);
	struct sl_wg_msg_initiation init;
	memcpy(&init, rte_pktmbuf_mtod_offset(sent, void *, 42), sizeof(init));
	struct sl_wg_handshake hs = {0};
	struct sl_wg_msg_response resp;
	uint8_t pub[SL_WG_KEY_LEN], ts[SL_WG_TAI64N_LEN], e[SL_WG_KEY_LEN];
	memset(e, 4, sizeof(e));
	assert_true(sl_wg_initiation_open(&hs, &peer, &init, pub));
	assert_true(sl_wg_initiation_finish(&hs, &peer_view, &init, ts));
	assert_true(sl_wg_response_create(&hs, &peer_view, e, 8, &resp));
	from_peer(&resp, sizeof(resp));
	advance(now + HZ);
	struct rte_mbuf *pkts[1] = {inner_packet()};
	uint64_t tx = now;
	assert_int_equal(sl_wg_out_burst(&wk, pkts, 1, now), 1);
	rte_pktmbuf_free(pkts[0]);
	advance(tx + 14 * HZ);
	assert_int_equal(n_sent[SL_WG_MSG_INITIATION], 1);
	advance(tx + 15 * HZ + 200 * MS);
	assert_int_equal(n_sent[SL_WG_MSG_INITIATION], 2);
	/* Retried every 5 s while unanswered, not every tick. */
	advance(tx + 19 * HZ);
	assert_int_equal(n_sent[SL_WG_MSG_INITIATION], 2);
}

int main(void)
{
	char *argv[] = {"test", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			"--no-telemetry", "--log-level=lib.*:error", "-l", "0"};
	char err[256];
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("wg_timers", 1023, 0, SL_PKT_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	ring = rte_ring_create("wg_timers", 256, SOCKET_ID_ANY, 0);
	qsv = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), 64);
	if (pool == NULL || ring == NULL || qsv == NULL || rte_rcu_qsbr_init(qsv, 1) != 0)
		return 1;
	tables = wg_harness_tables(err, sizeof(err));
	struct sl_neigh_table *neigh = sl_neigh_table_create("wg_timers", 64, SOCKET_ID_ANY, NULL,
							     HZ);
	if (tables == NULL || neigh == NULL)
		return 1;
	sl_ipstack_worker_init(&ipw, neigh, ring, pool, &st, HZ);
	ipw.t = tables;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_initiation_retried_then_given_up, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_responder_keepalive_and_expiry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_initiator_rekeys_after_120s, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unanswered_data_starts_a_handshake, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for WireGuard: random and mutated messages through the
 * tunnel-in stage of a worker and the management lcore's handshake code.
 *
 * Setup (once): an interface wg0 with a fixed key and one peer whose
 * private key the harness knows, so the harness can play that peer: it
 * runs a real handshake with the interface (its initiation in, the
 * interface's response out through the send callback) and holds the
 * session's keys.
 *
 * The input is a sequence of records, each a kind byte, a length byte and
 * that many bytes:
 *   0  the bytes as the UDP payload of a packet to the listen port;
 *   1  a valid data message of the peer (the bytes, from the 3rd on, as
 *      an IPv4 packet's payload; bytes 0-1 pick the counter), then changed
 *      at the positions and by the values the record's first bytes give
 *      (none when byte 2 is 0);
 *   2  a fresh, valid initiation of the peer, changed the same way, given
 *      to the management lcore;
 *   3  the bytes as a response or cookie reply (type forced, length padded).
 *
 * Invariants:
 *  - a data message that was changed is never delivered (nothing passes
 *    without a valid tag), an unchanged one is delivered at most once per
 *    counter (the replay window);
 *  - a changed initiation makes no session;
 *  - after each input every mbuf is back in the pool.
 *
 * Run: ./fuzz_wg -max_total_time=60 test/fuzz/corpus/wg
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "sl_config.h"
#include "sl_ipstack.h"
#include "sl_pkt.h"
#include "sl_wg.h"
#include "wg_harness.h"

#define POOL_N 255

static struct rte_mempool *pool;
static struct rte_ring *punt;
static struct rte_rcu_qsbr *qsv;
static struct sl_lcore_stats st;
static struct sl_ipstack_tables *tables;
static struct sl_ipstack_worker ipw;
static struct sl_neigh_table *neigh;
static struct sl_wg_dev *dev;
static struct sl_wg_worker wk;

/* The peer the harness plays. */
static struct sl_wg_static peer;
static struct sl_wg_remote peer_view;   /* the interface, as the peer sees it */
static uint32_t peer_index = 0x1234;
static uint8_t send_key[SL_WG_KEY_LEN];
static uint32_t receiver;               /* the interface's index for our session */
static struct rte_mbuf *sent;           /* what the interface last sent */
static uint64_t clock_now;
static uint64_t ts_seq;

static struct rte_mbuf *udp_packet(const void *msg, size_t len)
{
	return wg_harness_udp(pool, msg, len);
}

/* Through parse and tunnel in; the management lcore takes what is punted.
 * Returns how many packets came out (delivered inner packets). */
static uint16_t receive(struct rte_mbuf *m)
{
	struct rte_mbuf *pkts[1] = {m};
	const struct sl_pkt_parse_ctx rx = {.st = &st, .in_port = 1};
	clock_now += rte_get_tsc_hz() / 1000;
	uint16_t n = sl_pkt_parse_burst(&rx, pkts, 1, clock_now);
	sl_pkt_drop_rejects(&st, pkts + n, (uint16_t)(1 - n));
	n = sl_wg_in_burst(&wk, pkts, n, clock_now);
	for (uint16_t i = 0; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
	void *p;
	while (rte_ring_dequeue(punt, &p) == 0)
		sl_wg_dev_input(dev, tables, p, clock_now);
	return n;
}

static void initiation(struct sl_wg_handshake *hs, struct sl_wg_msg_initiation *msg)
{
	uint8_t e[SL_WG_KEY_LEN], ts[SL_WG_TAI64N_LEN];
	memset(e, (int)(0x40 + ts_seq % 64), sizeof(e));
	/* Each initiation newer than the last, as the interface demands. */
	sl_wg_tai64n(ts, (uint64_t)(1700000000u + ts_seq++) * 1000000000u);
	if (!sl_wg_initiation_create(hs, &peer, &peer_view, e, ts, peer_index, msg))
		abort();
}

/* The handshake a real peer would make: our session's keys. */
static void establish(void)
{
	struct sl_wg_handshake hs;
	struct sl_wg_msg_initiation init;
	uint8_t recv_key[SL_WG_KEY_LEN];
	initiation(&hs, &init);
	clock_now += rte_get_tsc_hz();   /* clear of the flood limit */
	receive(udp_packet(&init, sizeof(init)));
	if (sent == NULL)
		abort();
	struct sl_wg_msg_response resp;
	memcpy(&resp, rte_pktmbuf_mtod_offset(sent, void *, 42), sizeof(resp));
	rte_pktmbuf_free(sent);
	sent = NULL;
	if (!sl_wg_response_consume(&hs, &peer, &peer_view, &resp) ||
	    !sl_wg_keys_derive(&hs, send_key, recv_key))
		abort();
	receiver = sl_wg_le32(resp.sender);
}

static void init_once(void)
{
	char *argv[] = {"fuzz_wg", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
			"--no-telemetry", "--log-level=lib.*:error"};
	char err[256];
	if (pool != NULL)
		return;
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		abort();
	pool = rte_pktmbuf_pool_create("fuzz_wg", POOL_N, 0, SL_PKT_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	punt = rte_ring_create("fuzz_wg_punt", 256, SOCKET_ID_ANY, 0);
	qsv = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), 64);
	if (pool == NULL || punt == NULL || qsv == NULL || rte_rcu_qsbr_init(qsv, 1) != 0)
		abort();
	tables = wg_harness_tables(err, sizeof(err));
	neigh = sl_neigh_table_create("fuzz_wg_neigh", 64, SOCKET_ID_ANY, NULL, rte_get_tsc_hz());
	if (tables == NULL || neigh == NULL) {
		fprintf(stderr, "setup: %s\n", err);
		abort();
	}
	sl_ipstack_worker_init(&ipw, neigh, punt, pool, &st, rte_get_tsc_hz());
	ipw.t = tables;
	struct sl_wg_dev_params prm = {
		.name = "wg0", .port = 2, .listen_port = 51820, .max_peers = 4,
		.handshake_load = 1000000, .clock_scale = 1, .tsc_hz = rte_get_tsc_hz(),
		.socket = SOCKET_ID_ANY, .qsv = qsv, .pool = pool, .tx = wg_harness_capture,
		.tx_arg = &sent, .st = &st,
	};
	dev = sl_wg_dev_create(&prm, err, sizeof(err));
	uint8_t key[SL_WG_KEY_LEN];
	memset(key, 7, sizeof(key));
	if (dev == NULL || !sl_wg_dev_set_key(dev, key))
		abort();
	memset(key, 9, sizeof(key));
	uint8_t dev_pub[SL_WG_KEY_LEN];
	sl_wg_dev_public_key(dev, dev_pub);
	if (!sl_wg_static_init(&peer, key) || !sl_wg_remote_init(&peer_view, &peer, dev_pub, NULL))
		abort();
	struct sl_prefix allowed;
	sl_parse_prefix("10.99.0.2/32", &allowed);
	struct sl_wg_peer_change ch = {.n_allowed = 1, .allowed = &allowed};
	if (sl_wg_peer_set(dev, peer.pub, &ch, err, sizeof(err)) != 0)
		abort();
	wg_harness_worker(&wk, dev, &ipw, &st, punt);
	clock_now = rte_rdtsc();
	establish();
}

/* Change @p msg (@p len bytes) as record bytes @p r say: pairs of
 * (position, xor value) after a count. True when the first @p limit bytes
 * differ afterwards (two changes of one byte may cancel). */
static bool mutate(uint8_t *msg, size_t len, size_t limit, const uint8_t *r, size_t rlen)
{
	uint8_t before[512];
	unsigned n = rlen > 0 ? r[0] % 4 : 0;
	memcpy(before, msg, limit);
	for (unsigned i = 0; i < n && 2 + 2 * i < rlen; i++)
		msg[(size_t)r[1 + 2 * i] * 7 % len] ^= r[2 + 2 * i];
	return memcmp(before, msg, limit) != 0;
}

/* A valid data message carrying an IPv4 packet from 10.99.0.2. */
static size_t data_message(uint8_t *out, uint64_t counter, const uint8_t *payload, size_t plen)
{
	uint8_t inner[256] = {0};
	size_t ilen = 20 + plen, padded = (ilen + 15) & ~(size_t)15;
	struct rte_ipv4_hdr *ip = (void *)inner;
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)ilen);
	ip->time_to_live = 64;
	ip->next_proto_id = 253;
	ip->src_addr = rte_cpu_to_be_32(0x0a630002);
	ip->dst_addr = rte_cpu_to_be_32(0x0a630001);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	memcpy(inner + 20, payload, plen);
	struct sl_wg_msg_data h = {.type = sl_wg_type(SL_WG_MSG_DATA),
				   .receiver = sl_wg_le32(receiver), .counter = sl_wg_le64(counter)};
	memcpy(out, &h, sizeof(h));
	if (!sl_wg_aead_seal(out + 16, send_key, counter, inner, padded, NULL, 0))
		abort();
	return 16 + padded + SL_WG_TAG_LEN;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t delivered[65536];
	init_once();
	/* Each input starts with a session of its own (established at the end
	 * of the one before): its counters start afresh. */
	memset(delivered, 0, sizeof(delivered));
	size_t off = 0;
	while (off + 2 <= size) {
		uint8_t kind = data[off] % 4, len = data[off + 1];
		const uint8_t *r = data + off + 2;
		size_t rlen = RTE_MIN((size_t)len, size - off - 2);
		off += 2 + rlen;
		uint8_t msg[512];
		if (kind == 0) {
			receive(udp_packet(r, rlen));
		} else if (kind == 1) {
			uint16_t c16 = rlen >= 2 ? (uint16_t)(r[0] | r[1] << 8) : 0;
			size_t plen = rlen > 2 ? RTE_MIN(rlen - 2, (size_t)200) : 0;
			size_t mlen = data_message(msg, c16, r + 2, plen);
			bool changed = rlen > 2 && mutate(msg, mlen, mlen, r + 2, rlen - 2);
			uint16_t got = receive(udp_packet(msg, mlen));
			if (changed && got != 0) {
				fprintf(stderr, "a changed data message was delivered\n");
				abort();
			}
			if (!changed && got > 0 && delivered[c16]++) {
				fprintf(stderr, "counter %u delivered twice\n", c16);
				abort();
			}
		} else if (kind == 2) {
			struct sl_wg_handshake hs;
			struct sl_wg_msg_initiation init;
			initiation(&hs, &init);
			/* mac2 is only read under load: a change there is no change. */
			bool changed = mutate((uint8_t *)&init, sizeof(init),
					      offsetof(struct sl_wg_msg_initiation, mac2), r, rlen);
			clock_now += rte_get_tsc_hz();
			rte_pktmbuf_free(sent);
			sent = NULL;
			receive(udp_packet(&init, sizeof(init)));
			/* A response is the session made (the responder's side). */
			bool answered = sent != NULL &&
				*rte_pktmbuf_mtod_offset(sent, uint8_t *, 42) == SL_WG_MSG_RESPONSE;
			if (changed && answered) {
				fprintf(stderr, "a changed initiation made a session\n");
				abort();
			}
			rte_pktmbuf_free(sent);
			sent = NULL;
		} else {
			memset(msg, 0, sizeof(msg));
			memcpy(msg, r, rlen);
			uint32_t type = rlen > 0 && (r[0] & 1) ? SL_WG_MSG_COOKIE : SL_WG_MSG_RESPONSE;
			uint32_t le = sl_wg_type(type);
			memcpy(msg, &le, 4);
			receive(udp_packet(msg, type == SL_WG_MSG_COOKIE ? SL_WG_COOKIE_LEN
									 : SL_WG_RESPONSE_LEN));
		}
	}
	/* A new session of ours may have replaced the one the data used. */
	establish();
	rte_pktmbuf_free(sent);
	sent = NULL;
	sl_wg_dev_tick(dev, tables, clock_now);
	rte_pktmbuf_free(sent);     /* a keepalive the timers sent */
	sent = NULL;
	if (rte_mempool_avail_count(pool) != POOL_N) {
		fprintf(stderr, "mbufs leaked: %u of %u in the pool\n",
			rte_mempool_avail_count(pool), POOL_N);
		abort();
	}
	return 0;
}

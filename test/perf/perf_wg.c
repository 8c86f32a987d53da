/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What WireGuard costs, in cycles:
 *
 *  - the data path, per packet, in bursts of 32, at 64 and 1420 bytes of
 *    inner packet: ipsec-mb's ChaCha20-Poly1305 alone on the same buffers
 *    (the floor), then the tunnel-out stage (allowed-IPs lookup, session,
 *    counter, padding, sealing, outer headers, the outer route) and the
 *    tunnel-in stage (session by index, opening, replay window, allowed
 *    IPs, decapsulation, parse) on what tunnel-out made;
 *  - a handshake as responder on the management lcore, whole (mac1, the
 *    four X25519 of Noise IK with the static-static one precomputed, the
 *    session allocated and indexed, the response built and handed to the
 *    send callback), against the X25519 operations it cannot avoid: the
 *    bound on handshakes a second per core.
 *
 * And at scale: an interface of N peers (100 000 by default), each with
 * one allowed IP: what each peer costs in memory (the DPDK heap and the C
 * heap, before and after), how long adding one takes (most of it the
 * static-static X25519 a peer's handshakes need precomputed), and the
 * allowed-IPs lookup that finds a packet's peer, at 1 000 and at N peers.
 *
 * Medians of 31 rounds.
 *
 *   perf_wg [EAL args] -- [--json] [--peers N]
 */
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "perf_common.h"
#include "sl_config.h"
#include "sl_ipstack.h"
#include "sl_pkt.h"
#include "sl_wg.h"
#include "wg_harness.h"

#define ROUNDS 31
#define BURST 32
#define BURSTS 64
#define PEERS 512

static struct rte_mempool *pool;
static struct rte_ring *ring;
static struct rte_rcu_qsbr *qsv;
static struct sl_lcore_stats st;
static struct sl_ipstack_tables *tables;
static struct sl_ipstack_worker ipw;
static struct sl_wg_dev *dev;
static struct sl_wg_worker wk;
static struct sl_wg_static peers[PEERS];
static struct sl_wg_remote peer_views[PEERS];
static struct rte_mbuf *sent;
static uint64_t ts_next = 1700000000;
static uint8_t peer0_send[SL_WG_KEY_LEN];    /* peer 0's sending key: sluice receives with it */
static uint32_t sluice_index;                /* sluice's receiver index for that session */
static uint64_t peer0_counter;

static struct rte_mbuf *udp_to_sluice(const void *msg, size_t len)
{
	return wg_harness_udp(pool, msg, len);
}

static void parse(struct rte_mbuf *m)
{
	sl_pkt_meta(m)->in_port = 1;
	if (!sl_pkt_parse(m)) {
		fprintf(stderr, "parse: %s\n", sl_drop_reason_label((enum sl_drop_reason)sl_pkt_meta(m)->drop_reason));
		abort();
	}
}

/* Peer @p i's initiation, parsed and punted as a worker would. */
static struct rte_mbuf *initiation(unsigned i)
{
	struct sl_wg_handshake hs;
	struct sl_wg_msg_initiation msg;
	uint8_t e[SL_WG_KEY_LEN], ts[SL_WG_TAI64N_LEN];
	memset(e, (int)(i * 7 + ts_next), sizeof(e));
	sl_wg_tai64n(ts, ts_next * 1000000000ull);
	if (!sl_wg_initiation_create(&hs, &peers[i], &peer_views[i], e, ts, i, &msg)) {
		fprintf(stderr, "initiation of peer %u (e byte %u) failed\n", i, e[1]);
		abort();
	}
	struct rte_mbuf *m = udp_to_sluice(&msg, sizeof(msg));
	parse(m);
	sl_pkt_meta(m)->flags |= SL_PKT_F_WG_HANDSHAKE;
	sl_pkt_meta(m)->out_port = 2;
	return m;
}

static void setup(void)
{
	char err[256];
	pool = rte_pktmbuf_pool_create("perf_wg", 8191, 256, SL_PKT_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	ring = rte_ring_create("perf_wg_ring", 1024, SOCKET_ID_ANY, 0);
	qsv = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), 64);
	if (pool == NULL || ring == NULL || qsv == NULL || rte_rcu_qsbr_init(qsv, 1) != 0)
		abort();
	tables = wg_harness_tables(err, sizeof(err));
	struct sl_neigh_table *neigh = sl_neigh_table_create("perf_wg_n", 64, SOCKET_ID_ANY, NULL,
							     rte_get_tsc_hz());
	if (tables == NULL || neigh == NULL)
		abort();
	sl_ipstack_worker_init(&ipw, neigh, ring, pool, &st, rte_get_tsc_hz());
	ipw.t = tables;
	struct sl_wg_dev_params prm = {
		.name = "wg0", .port = 2, .listen_port = 51820, .max_peers = PEERS,
		.handshake_load = 1000000000, .clock_scale = 1, .tsc_hz = rte_get_tsc_hz(),
		.socket = SOCKET_ID_ANY, .qsv = qsv, .pool = pool, .tx = wg_harness_capture,
		.tx_arg = &sent, .st = &st,
	};
	dev = sl_wg_dev_create(&prm, err, sizeof(err));
	uint8_t key[SL_WG_KEY_LEN], pub[SL_WG_KEY_LEN];
	memset(key, 7, sizeof(key));
	if (dev == NULL || !sl_wg_dev_set_key(dev, key))
		abort();
	sl_wg_dev_public_key(dev, pub);
	for (unsigned i = 0; i < PEERS; i++) {
		/* Distinct after clamping (which clears the low bits of byte 0). */
		memset(key, 0x11, sizeof(key));
		key[1] = (uint8_t)i;
		key[2] = (uint8_t)(i >> 8);
		struct sl_prefix allowed = {.addr = {.af = SL_AF_INET,
						     .v4 = rte_cpu_to_be_32(0x0a630000 + 2 + i)},
					    .len = 32};
		struct sl_wg_peer_change ch = {.n_allowed = 1, .allowed = &allowed,
					       .set_endpoint = true, .endpoint_port = 51820,
					       .endpoint = {.af = SL_AF_INET,
							    .v4 = rte_cpu_to_be_32(0x0a020002)}};
		if (!sl_wg_static_init(&peers[i], key) ||
		    !sl_wg_remote_init(&peer_views[i], &peers[i], pub, NULL) ||
		    sl_wg_peer_set(dev, peers[i].pub, &ch, err, sizeof(err)) != 0)
			abort();
	}
	wg_harness_worker(&wk, dev, &ipw, &st, ring);
}

/* ------------------------------------------------------------ handshakes */

static uint64_t x25519_cycles(void)
{
	uint64_t s[ROUNDS];
	uint8_t out[SL_WG_KEY_LEN];
	for (unsigned r = 0; r < ROUNDS; r++) {
		uint64_t a = rte_rdtsc_precise();
		for (unsigned i = 0; i < 16; i++)
			sl_wg_dh(out, peers[i].priv, peers[i + 1].pub);
		s[r] = (rte_rdtsc_precise() - a) / 16;
	}
	return perf_median(s, ROUNDS);
}

static uint64_t responder_cycles(void)
{
	uint64_t s[ROUNDS];
	struct rte_mbuf *m[PEERS];
	for (unsigned r = 0; r < ROUNDS; r++) {
		ts_next++;
		for (unsigned i = 0; i < PEERS; i++)
			m[i] = initiation(i);
		/* A second apart on the TSC: clear of the 50/s flood limit. */
		uint64_t now = rte_rdtsc() + (uint64_t)(r + 1) * rte_get_tsc_hz();
		struct sl_wg_dev_stats before, after;
		sl_wg_dev_stats(dev, &before);
		uint64_t a = rte_rdtsc_precise();
		for (unsigned i = 0; i < PEERS; i++)
			sl_wg_dev_input(dev, tables, m[i], now);
		s[r] = (rte_rdtsc_precise() - a) / PEERS;
		sl_wg_dev_stats(dev, &after);
		/* Every initiation answered: none refused (a responder's handshake
		 * completes when its session is first used, later). */
		uint64_t refused = 0;
		for (unsigned k = SL_WG_HS_BAD_MAC1; k <= SL_WG_HS_RATELIMITED; k++)
			refused += after.hs[k] - before.hs[k];
		if (refused != 0 || sent == NULL) {
			for (unsigned k = 0; k < SL_WG_HS_OUTCOMES; k++)
				fprintf(stderr, "%s %lu\n", sl_wg_hs_outcome_names[k],
					after.hs[k] - before.hs[k]);
			abort();
		}
		sl_wg_dev_tick(dev, tables, now);   /* frees the dropped sessions */
	}
	rte_pktmbuf_free(sent);
	sent = NULL;
	return perf_median(s, ROUNDS);
}

/* --------------------------------------------------------------- data path */

/* Peer 0 gets a session of ours: we initiate, it answers (the harness
 * plays the peer), so the session is ours to send with at once. */
static void session_for_peer0(void)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ipv4_hdr *ip;
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, 14 + 20);
	memset(p, 0, 34);
	ip = (void *)(p + 14);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(20);
	ip->next_proto_id = 253;
	ip->time_to_live = 64;
	ip->src_addr = rte_cpu_to_be_32(0x0a010002);
	ip->dst_addr = rte_cpu_to_be_32(0x0a630002);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	((struct rte_ether_hdr *)p)->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	parse(m);
	sl_pkt_meta(m)->out_port = 2;
	uint64_t now = rte_rdtsc() + 100 * rte_get_tsc_hz();
	sl_wg_dev_output(dev, tables, m, now);      /* held; our initiation goes out */
	if (sent == NULL)
		abort();
	struct sl_wg_msg_initiation init;
	memcpy(&init, rte_pktmbuf_mtod_offset(sent, void *, 42), sizeof(init));
	rte_pktmbuf_free(sent);
	sent = NULL;
	struct sl_wg_handshake hs = {0};
	struct sl_wg_msg_response resp;
	uint8_t pub[SL_WG_KEY_LEN], ts[SL_WG_TAI64N_LEN], e[SL_WG_KEY_LEN];
	memset(e, 0x55, sizeof(e));
	uint8_t peer0_recv[SL_WG_KEY_LEN];
	if (!sl_wg_initiation_open(&hs, &peers[0], &init, pub) ||
	    !sl_wg_initiation_finish(&hs, &peer_views[0], &init, ts) ||
	    !sl_wg_response_create(&hs, &peer_views[0], e, 77, &resp))
		abort();
	sluice_index = hs.remote_index;
	if (!sl_wg_keys_derive(&hs, peer0_send, peer0_recv))
		abort();
	struct rte_mbuf *r = udp_to_sluice(&resp, sizeof(resp));
	parse(r);
	sl_pkt_meta(r)->flags |= SL_PKT_F_WG_HANDSHAKE;
	sl_pkt_meta(r)->out_port = 2;
	sl_wg_dev_input(dev, tables, r, now);       /* the held packet goes out sealed */
	rte_pktmbuf_free(sent);
	sent = NULL;
}

/* A burst of inner packets from h1 to peer 0, routed into wg0. */
static void inner_burst(struct rte_mbuf **pkts, unsigned len)
{
	for (unsigned i = 0; i < BURST; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(14 + len));
		memset(p, 0, 14 + len);
		((struct rte_ether_hdr *)p)->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		struct rte_ipv4_hdr *ip = (void *)(p + 14);
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)len);
		ip->next_proto_id = 253;
		ip->time_to_live = 64;
		ip->src_addr = rte_cpu_to_be_32(0x0a630002);    /* the peer's, for tunnel in */
		ip->dst_addr = rte_cpu_to_be_32(0x0a630002);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		parse(m);
		sl_pkt_meta(m)->out_port = 2;
		sl_pkt_meta(m)->nh_index = 0;
		pkts[i] = m;
	}
}

struct data_result {
	unsigned len;
	uint64_t raw_seal, raw_open, out_stage, in_stage;
};

static void data_path(unsigned len, struct data_result *res)
{
	uint64_t raw_s[ROUNDS], raw_o[ROUNDS], out_s[ROUNDS], in_s[ROUNDS];
	struct rte_mbuf *pkts[BURSTS][BURST];
	res->len = len;
	for (unsigned r = 0; r < ROUNDS; r++) {
		/* The AEAD alone, on buffers laid out as the stage lays them. */
		struct sl_wg_cipher_op ops[BURSTS][BURST];
		uint8_t key[SL_WG_KEY_LEN] = {1};
		uint32_t padded = (len + 15) & ~15u;
		for (unsigned b = 0; b < BURSTS; b++) {
			inner_burst(pkts[b], len);
			for (unsigned i = 0; i < BURST; i++) {
				rte_pktmbuf_append(pkts[b][i], (uint16_t)(padded - len + 16));
				ops[b][i] = (struct sl_wg_cipher_op){.m = pkts[b][i], .key = key,
					.counter = b * BURST + i, .off = 14, .len = padded};
			}
		}
		uint64_t a = rte_rdtsc_precise();
		for (unsigned b = 0; b < BURSTS; b++)
			sl_wg_seal_burst(wk.cipher, ops[b], BURST);
		raw_s[r] = (rte_rdtsc_precise() - a) / (BURSTS * BURST);
		a = rte_rdtsc_precise();
		for (unsigned b = 0; b < BURSTS; b++)
			if (sl_wg_open_burst(wk.cipher, ops[b], BURST) != UINT32_MAX)
				abort();
		raw_o[r] = (rte_rdtsc_precise() - a) / (BURSTS * BURST);
		for (unsigned b = 0; b < BURSTS; b++)
			rte_pktmbuf_free_bulk(pkts[b], BURST);

		/* The stages: out, then in on what out made (fresh counters). */
		for (unsigned b = 0; b < BURSTS; b++)
			inner_burst(pkts[b], len);
		uint64_t now = rte_rdtsc() + 100 * rte_get_tsc_hz();
		a = rte_rdtsc_precise();
		for (unsigned b = 0; b < BURSTS; b++)
			if (sl_wg_out_burst(&wk, pkts[b], BURST, now) != BURST)
				abort();
		out_s[r] = (rte_rdtsc_precise() - a) / (BURSTS * BURST);
		for (unsigned b = 0; b < BURSTS; b++)
			rte_pktmbuf_free_bulk(pkts[b], BURST);
		/* What the peer sends: data messages with fresh counters (sealed
		 * here with its key, outside the timed region). */
		static uint8_t msg[16 + 1440 + 16], inner[1440];
		memset(inner, 0, sizeof(inner));
		inner[0] = 0x45;
		inner[2] = (uint8_t)(len >> 8);
		inner[3] = (uint8_t)len;
		inner[8] = 64;
		inner[9] = 253;
		uint32_t src = rte_cpu_to_be_32(0x0a630002), dst = rte_cpu_to_be_32(0x0a010002);
		memcpy(inner + 12, &src, 4);
		memcpy(inner + 16, &dst, 4);
		((struct rte_ipv4_hdr *)inner)->hdr_checksum = rte_ipv4_cksum((void *)inner);
		for (unsigned b = 0; b < BURSTS; b++)
			for (unsigned i = 0; i < BURST; i++) {
				uint64_t c = peer0_counter++;
				struct sl_wg_msg_data h = {.type = sl_wg_type(SL_WG_MSG_DATA),
							   .receiver = sl_wg_le32(sluice_index),
							   .counter = sl_wg_le64(c)};
				memcpy(msg, &h, sizeof(h));
				sl_wg_aead_seal(msg + 16, peer0_send, c, inner, padded, NULL, 0);
				pkts[b][i] = udp_to_sluice(msg, 16 + padded + 16);
				parse(pkts[b][i]);
			}
		a = rte_rdtsc_precise();
		for (unsigned b = 0; b < BURSTS; b++)
			if (sl_wg_in_burst(&wk, pkts[b], BURST, now) != BURST)
				abort();
		in_s[r] = (rte_rdtsc_precise() - a) / (BURSTS * BURST);
		for (unsigned b = 0; b < BURSTS; b++)
			rte_pktmbuf_free_bulk(pkts[b], BURST);
	}
	res->raw_seal = perf_median(raw_s, ROUNDS);
	res->raw_open = perf_median(raw_o, ROUNDS);
	res->out_stage = perf_median(out_s, ROUNDS);
	res->in_stage = perf_median(in_s, ROUNDS);
}


/* ------------------------------------------------------------------ scale */

struct scale_result {
	uint32_t peers;
	double dpdk_bytes_per_peer, heap_bytes_per_peer;
	double add_us;
	uint64_t lookup_small, lookup_big;
};

static size_t dpdk_heap_used(void)
{
	struct rte_malloc_socket_stats st;
	size_t used = 0;
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (rte_malloc_get_socket_stats(s, &st) == 0)
			used += st.heap_allocsz_bytes;
	return used;
}

/* The lookup's cost with @p n peers in the table: random peers' addresses. */
static uint64_t lookup_cycles(struct sl_wg_dev *d, uint32_t n)
{
	uint64_t s[ROUNDS];
	uint8_t pub[SL_WG_KEY_LEN];
	struct sl_addr a = {.af = SL_AF_INET};
	uint32_t x = 12345;
	for (unsigned r = 0; r < ROUNDS; r++) {
		uint64_t t = rte_rdtsc_precise();
		for (unsigned i = 0; i < 4096; i++) {
			x = x * 1103515245u + 12345u;
			a.v4 = rte_cpu_to_be_32(0x0b000000 + (x >> 8) % n);
			if (!sl_wg_peer_by_address(d, &a, pub))
				abort();
		}
		s[r] = (rte_rdtsc_precise() - t) / 4096;
	}
	return perf_median(s, ROUNDS);
}

static void scale(uint32_t n, struct scale_result *res)
{
	char err[256];
	/* The peers' keys first: making them is the harness's work, not sluice's. */
	uint8_t (*pubs)[SL_WG_KEY_LEN] = malloc((size_t)n * SL_WG_KEY_LEN);
	uint8_t key[SL_WG_KEY_LEN];
	if (pubs == NULL)
		abort();
	for (uint32_t i = 0; i < n; i++) {
		memset(key, 0x22, sizeof(key));
		memcpy(key + 1, &i, sizeof(i));
		if (!sl_wg_pubkey(pubs[i], key))
			abort();
	}
	struct mallinfo2 mi = mallinfo2();
	size_t dpdk0 = dpdk_heap_used(), heap0 = mi.uordblks + mi.hblkhd;
	struct sl_wg_dev_params prm = {
		.name = "wgscale", .port = 2, .listen_port = 51821, .max_peers = n,
		.handshake_load = 1000, .clock_scale = 1, .tsc_hz = rte_get_tsc_hz(),
		.socket = SOCKET_ID_ANY, .qsv = qsv, .pool = pool, .tx = wg_harness_capture,
		.tx_arg = &sent, .st = &st,
	};
	struct sl_wg_dev *d = sl_wg_dev_create(&prm, err, sizeof(err));
	memset(key, 3, sizeof(key));
	if (d == NULL || !sl_wg_dev_set_key(d, key))
		abort();
	uint64_t t0 = rte_rdtsc_precise();
	for (uint32_t i = 0; i < n; i++) {
		struct sl_prefix allowed = {.addr = {.af = SL_AF_INET,
						     .v4 = rte_cpu_to_be_32(0x0b000000 + i)},
					    .len = 32};
		struct sl_wg_peer_change ch = {.n_allowed = 1, .allowed = &allowed};
		if (sl_wg_peer_set(d, pubs[i], &ch, err, sizeof(err)) != 0)
			abort();
		if (i + 1 == 1000)
			res->lookup_small = lookup_cycles(d, 1000);
	}
	uint64_t t1 = rte_rdtsc_precise();
	res->peers = n;
	res->add_us = (double)(t1 - t0) / (double)rte_get_tsc_hz() * 1e6 / n;
	res->lookup_big = lookup_cycles(d, n);
	mi = mallinfo2();
	res->dpdk_bytes_per_peer = (double)(dpdk_heap_used() - dpdk0) / n;
	res->heap_bytes_per_peer = (double)(mi.uordblks + mi.hblkhd - heap0) / n;
	sl_wg_dev_free(d);
	free(pubs);
}

int main(int argc, char **argv)
{
	int n = rte_eal_init(argc, argv);
	if (n < 0)
		return 1;
	bool json = false;
	uint32_t n_scale = 100000;
	for (int i = n + 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--peers") == 0 && i + 1 < argc)
			n_scale = (uint32_t)strtoul(argv[++i], NULL, 10);
	}
	setup();
	uint64_t dh = x25519_cycles(), resp = responder_cycles();
	session_for_peer0();
	struct data_result d[2];
	data_path(64, &d[0]);
	data_path(1420, &d[1]);
	struct scale_result sc;
	scale(n_scale, &sc);
	double hz = (double)rte_get_tsc_hz();
	if (json) {
		printf("{\"x25519_cycles\": %lu, \"responder_cycles\": %lu, \"handshakes_per_s\": %.0f, "
		       "\"bound_per_s\": %.0f", dh, resp, hz / (double)resp, hz / (4.0 * (double)dh));
		for (unsigned i = 0; i < 2; i++)
			printf(", \"seal_%u\": %lu, \"open_%u\": %lu, \"out_%u\": %lu, \"in_%u\": %lu",
			       d[i].len, d[i].raw_seal, d[i].len, d[i].raw_open, d[i].len,
			       d[i].out_stage, d[i].len, d[i].in_stage);
		printf(", \"scale_peers\": %u, \"dpdk_bytes_per_peer\": %.0f, \"heap_bytes_per_peer\": "
		       "%.0f, \"add_us\": %.1f, \"lookup_1000\": %lu, \"lookup_all\": %lu}\n", sc.peers,
		       sc.dpdk_bytes_per_peer, sc.heap_bytes_per_peer, sc.add_us, sc.lookup_small,
		       sc.lookup_big);
		return 0;
	}
	printf("handshake as responder: %lu cycles (%.0f/s per core); X25519 %lu cycles, "
	       "4 of them: %.0f/s (the bound); share of the bound: %.2f\n", resp,
	       hz / (double)resp, dh, hz / (4.0 * (double)dh), 4.0 * (double)dh / (double)resp);
	for (unsigned i = 0; i < 2; i++)
		printf("%4u B inner: ipsec-mb seal %lu, open %lu | tunnel out %lu, tunnel in %lu "
		       "cycles/packet\n", d[i].len, d[i].raw_seal, d[i].raw_open, d[i].out_stage,
		       d[i].in_stage);
	printf("%u peers: %.0f bytes each of DPDK memory, %.0f of C heap (sessions not counted: "
	       "%zu bytes each, up to 3 a peer); adding one: %.1f us (its static-static X25519 "
	       "included); finding a packet's peer "
	       "(allowed IPs): %lu cycles at 1 000 peers, %lu at %u\n", sc.peers,
	       sc.dpdk_bytes_per_peer, sc.heap_bytes_per_peer, sizeof(struct sl_wg_keypair),
	       sc.add_us, sc.lookup_small, sc.lookup_big, sc.peers);
	return 0;
}

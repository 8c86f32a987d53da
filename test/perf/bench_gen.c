/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_gen: the benchmark's fixed-rate generator.
 *
 *   bench_gen [EAL args with two ports] -- --rate PPS [--flows N] [--size B]
 *             [--warmup S] [--window S] [--dst-mac MAC] [--wait-link S]
 *             [--burst N]
 *
 * Port 0 sends 64-byte IPv4/UDP frames (10.254.0.x -> 10.253.0.x, one flow
 * per destination, as testpmd's flowgen) at a fixed rate, paced by the TSC;
 * port 1 counts what comes back. Once both links are up it says so and
 * waits for a line (or end of file) on standard input, so that the caller
 * starts the traffic when the DUT is ready and its own measurements line up
 * with the generator's; then it warms up, measures for the window, prints
 * one JSON object (offered and received rates, packets the port refused,
 * its own loop speed per second) and keeps its ports up until standard
 * input ends, so the DUT can be stopped first.
 *
 * Why not testpmd: testpmd's generators send as fast as they can; a figure
 * taken below every DUT's capacity needs a rate that does not depend on the
 * DUT, so that the DUT's own cost per packet can be compared.
 *
 * Pacing: a token bucket in packets, refilled from the TSC on every loop and
 * capped at two bursts, so a stall is not followed by a burst of catch-up
 * traffic (the deficit is reported instead). Packets leave in whole bursts
 * (--burst, 32 by default: l3fwd's and sluice's receive burst), so the DUT
 * receives full bursts, as it does under load, and its figure is its cost per
 * packet rather than the fixed cost of one poll per packet: sent one by one,
 * every packet costs a poll and a ring index fetched from the generator's
 * CPU, and the figure measures mostly how far apart the host put the vCPUs.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#define BURST 32
#define N_MBUFS 16383
#define N_DESC 1024
#define N_RXQ 2     /* a DUT may transmit on two queues (sluice: worker + management) */

struct opts {
	double rate;              /* packets per second */
	unsigned flows;
	unsigned size;            /* frame bytes without FCS */
	unsigned burst;           /* packets per transmit, 1..BURST */
	double warmup_s, window_s, wait_link_s;
	struct rte_ether_addr dst_mac;
};

struct counters {
	uint64_t tx, rx, refused, tsc;
	/* Loop iterations in the slowest and fastest whole second. Every
	 * iteration polls a ring the DUT's CPU writes, so the loop runs at half
	 * speed when the host puts the two vCPUs far apart: a round whose
	 * placement changed inside it shows here. */
	uint64_t loops_min, loops_max;
};

static volatile int quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static int port_init(uint16_t port, struct rte_mempool *pool)
{
	struct rte_eth_conf conf = {0};
	int rc = rte_eth_dev_configure(port, N_RXQ, 1, &conf);
	for (uint16_t q = 0; rc == 0 && q < N_RXQ; q++)
		rc = rte_eth_rx_queue_setup(port, q, N_DESC, rte_eth_dev_socket_id(port), NULL, pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(port, 0, N_DESC, rte_eth_dev_socket_id(port), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	return rc;
}

static bool links_up(double wait_s)
{
	uint64_t deadline = rte_rdtsc() + (uint64_t)(wait_s * (double)rte_get_tsc_hz());
	do {
		struct rte_eth_link a, b;
		rte_eth_link_get_nowait(0, &a);
		rte_eth_link_get_nowait(1, &b);
		if (a.link_status && b.link_status)
			return true;
		rte_delay_ms(10);
	} while (rte_rdtsc() < deadline && !quit);
	return false;
}

/* One frame per flow, built once; sending copies the template. */
static void build_template(uint8_t *f, const struct opts *o, unsigned flow)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint16_t l3_len = (uint16_t)(o->size - sizeof(*eth));

	memset(f, 0, o->size);
	eth->dst_addr = o->dst_mac;
	rte_eth_macaddr_get(0, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(l3_len);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(RTE_IPV4(10, 254, 0, 1));
	ip->dst_addr = rte_cpu_to_be_32(RTE_IPV4(10, 253, (flow >> 8) & 0xff, flow & 0xff));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(9);
	udp->dst_port = rte_cpu_to_be_16(9);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(l3_len - sizeof(*ip)));
}

/* Free what came back. Counting is the port's (rte_eth_stats): a memif
 * server polled on more queues than its peer transmits on hands out the
 * peer's ring once per queue, so burst counts would count packets twice. */
static void drain_rx(void)
{
	struct rte_mbuf *rx[BURST];
	for (uint16_t q = 0; q < N_RXQ; q++) {
		uint16_t n = rte_eth_rx_burst(1, q, rx, BURST);
		rte_pktmbuf_free_bulk(rx, n);
	}
}

static uint64_t port_received(void)
{
	struct rte_eth_stats st;
	return rte_eth_stats_get(1, &st) == 0 ? st.ipackets : 0;
}

/* Send and receive until @p end_tsc; counters accumulate in @p c. */
static void run_until(const struct opts *o, struct rte_mempool *pool, uint8_t (*tmpl)[128],
		      uint64_t end_tsc, struct counters *c, unsigned *next_flow)
{
	const double per_cycle = o->rate / (double)rte_get_tsc_hz();
	const double cap = 2.0 * o->burst;
	double tokens = 0;
	uint64_t last = rte_rdtsc();
	uint64_t second_end = last + rte_get_tsc_hz(), loops = 0;
	struct rte_mbuf *tx[BURST];

	while (!quit) {
		uint64_t now = rte_rdtsc();
		if (now >= end_tsc)
			break;
		if (now >= second_end) {
			if (c->loops_max == 0 || loops < c->loops_min)
				c->loops_min = loops;
			if (loops > c->loops_max)
				c->loops_max = loops;
			loops = 0;
			second_end += rte_get_tsc_hz();
		}
		loops++;
		tokens += (double)(now - last) * per_cycle;
		last = now;
		if (tokens > cap)
			tokens = cap;
		unsigned n = tokens >= o->burst ? o->burst : 0;
		if (n > 0 && rte_pktmbuf_alloc_bulk(pool, tx, n) == 0) {
			for (unsigned i = 0; i < n; i++) {
				rte_memcpy(rte_pktmbuf_mtod(tx[i], void *), tmpl[*next_flow], o->size);
				tx[i]->data_len = tx[i]->pkt_len = o->size;
				*next_flow = *next_flow + 1 == o->flows ? 0 : *next_flow + 1;
			}
			uint16_t sent = rte_eth_tx_burst(0, 0, tx, (uint16_t)n);
			if (sent < n) {
				c->refused += n - sent;
				rte_pktmbuf_free_bulk(tx + sent, n - sent);
			}
			c->tx += sent;
			tokens -= n;
		}
		drain_rx();
	}
	c->tsc = rte_rdtsc();
	c->rx = port_received();
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{"rate", required_argument, NULL, 'r'}, {"flows", required_argument, NULL, 'f'},
		{"size", required_argument, NULL, 's'}, {"warmup", required_argument, NULL, 'w'},
		{"window", required_argument, NULL, 'W'}, {"dst-mac", required_argument, NULL, 'm'},
		{"wait-link", required_argument, NULL, 'l'}, {"burst", required_argument, NULL, 'b'},
		{NULL, 0, NULL, 0},
	};
	int c;
	*o = (struct opts){.rate = 0, .flows = 64, .size = 60, .warmup_s = 2, .window_s = 10,
			   .wait_link_s = 20, .burst = BURST};
	rte_ether_unformat_addr("02:00:00:00:00:02", &o->dst_mac);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': o->rate = atof(optarg); break;
		case 'f': o->flows = (unsigned)atoi(optarg); break;
		case 's': o->size = (unsigned)atoi(optarg); break;
		case 'w': o->warmup_s = atof(optarg); break;
		case 'W': o->window_s = atof(optarg); break;
		case 'l': o->wait_link_s = atof(optarg); break;
		case 'b': o->burst = (unsigned)atoi(optarg); break;
		case 'm':
			if (rte_ether_unformat_addr(optarg, &o->dst_mac) < 0)
				return -1;
			break;
		default: return -1;
		}
	}
	if (o->rate <= 0 || o->flows == 0 || o->flows > 65536 || o->size < 60 || o->size > 128 ||
	    o->window_s <= 0 || o->burst == 0 || o->burst > BURST)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	int n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "bench_gen: EAL initialisation failed\n");
		return 1;
	}
	if (parse_args(argc - n, argv + n, &o) < 0) {
		fprintf(stderr, "usage: bench_gen [EAL] -- --rate PPS [--flows N] [--size 60..128] "
			"[--warmup S] [--window S] [--dst-mac MAC] [--wait-link S] [--burst 1..32]\n");
		return 64;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (rte_eth_dev_count_avail() < 2) {
		fprintf(stderr, "bench_gen: needs two ports\n");
		return 1;
	}
	struct rte_mempool *pool = rte_pktmbuf_pool_create("gen", N_MBUFS, 256, 0,
							   RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (pool == NULL || port_init(0, pool) != 0 || port_init(1, pool) != 0) {
		fprintf(stderr, "bench_gen: cannot set up the ports\n");
		return 1;
	}
	uint8_t (*tmpl)[128] = calloc(o.flows, 128);
	for (unsigned f = 0; f < o.flows; f++)
		build_template(tmpl[f], &o, f);
	printf("{\"state\": \"waiting for links\"}\n");
	fflush(stdout);
	if (!links_up(o.wait_link_s)) {
		fprintf(stderr, "bench_gen: links not up within %.0f s\n", o.wait_link_s);
		return 1;
	}
	printf("{\"state\": \"links up, waiting for a line on stdin to start\"}\n");
	fflush(stdout);
	char go[16];
	if (fgets(go, sizeof(go), stdin) == NULL && ferror(stdin))
		return 1;

	uint64_t hz = rte_get_tsc_hz(), now = rte_rdtsc();
	struct counters warm = {0}, total = {0};
	unsigned flow = 0;
	run_until(&o, pool, tmpl, now + (uint64_t)(o.warmup_s * (double)hz), &warm, &flow);
	total = warm;
	total.loops_min = total.loops_max = 0;
	run_until(&o, pool, tmpl, warm.tsc + (uint64_t)(o.window_s * (double)hz), &total, &flow);
	/* Packets still in the DUT's rings come back within a few ms. */
	struct counters tail = total;
	run_until(&(struct opts){.rate = 1e-9, .flows = 1, .size = 60, .burst = BURST}, pool, tmpl,
		  rte_rdtsc() + hz / 20, &tail, &flow);

	double secs = (double)(total.tsc - warm.tsc) / (double)hz;
	printf("{\"rate_pps\": %.0f, \"window_s\": %.3f, \"offered_pps\": %.0f, "
	       "\"received_pps\": %.0f, \"burst\": %u, \"refused\": %" PRIu64 ", \"sent\": %" PRIu64
	       ", \"received\": %" PRIu64 ", \"received_after\": %" PRIu64
	       ", \"loops_per_s_min\": %" PRIu64 ", \"loops_per_s_max\": %" PRIu64 "}\n",
	       o.rate, secs, (double)(total.tx - warm.tx) / secs, (double)(total.rx - warm.rx) / secs, o.burst,
	       total.refused - warm.refused, tail.tx, tail.rx, tail.rx - total.rx,
	       total.loops_min, total.loops_max);
	fflush(stdout);
	/* Keep the ports up until the caller has stopped the DUT (end of file on
	 * stdin): a net_memif 22.11 peer polling a ring whose other side goes
	 * away can crash. */
	while (!quit && fgets(go, sizeof(go), stdin) != NULL)
		;
	free(tmpl);
	rte_eth_dev_stop(0);
	rte_eth_dev_stop(1);
	rte_eal_cleanup();
	return quit ? 130 : 0;
}

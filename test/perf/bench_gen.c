/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_gen: the benchmark's fixed-rate generator.
 *
 *   bench_gen [EAL args with 2 x PAIRS ports] -- --rate PPS [--pairs N]
 *             [--period-ms MS] [--flows N] [--size B] [--warmup S]
 *             [--window S] [--dst-mac MAC] [--wait-link S] [--burst N]
 *             [--spoof]
 *
 * Each pair of ports (2k, 2k + 1) leads to one device under test (DUT):
 * port 2k sends 64-byte IPv4/UDP frames (10.254.0.x -> 10.253.0.x, one flow
 * per destination, as testpmd's flowgen) at a fixed rate, paced by the
 * TSC; port 2k + 1 counts what comes back. With --spoof each flow has a
 * source of its own too, 172.16.0.0 + flow: a flood from as many sources
 * as flows (for the shield's runs). Once every link is up it says so
 * and waits for a line on standard input:
 *
 *   go                 one pair: warm up, measure the window;
 *   go PID0 PID1 ...   one DUT process per pair, measured in turns.
 *
 * In turns, only one DUT runs at a time: the others are stopped (SIGSTOP),
 * and every PERIOD the generator lets the running DUT drain, continues the
 * next one (SIGCONT), stops the drained one and sends to the next. The DUTs thus share
 * every second of the host's state: on a host that moves the vCPUs or
 * drifts within minutes, DUTs measured one after the other see different
 * machines, while DUTs measured in 0.5-second turns see the same one. A DUT
 * counts its busy cycles only in loop iterations that received packets,
 * and it is stopped only after a drain with nothing in flight and sent to
 * only after it has run for a while, so no iteration that received
 * packets spans a stop, and its figure holds no stopped time.
 *
 * It prints one JSON object per measurement (per pair: offered and received
 * rates over its own turns, packets the port refused, its loop speed) and
 * keeps its ports up until standard input ends, so the DUTs can be stopped
 * first. Every further line measures again.
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
#include <dirent.h>
#include <sys/types.h>

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
#define N_RXQ 2       /* a DUT may transmit on two queues (sluice: worker + management) */
#define MAX_PAIRS 4
#define DRAIN_MS 2    /* a turn's end: what is in flight comes back within it */
#define SETTLE_MS 2   /* a turn's start: the DUT runs before traffic reaches it */

struct opts {
	double rate;              /* packets per second */
	unsigned flows;
	unsigned size;            /* frame bytes without FCS */
	unsigned burst;           /* packets per transmit, 1..BURST */
	unsigned pairs;
	double period_s;          /* one DUT's turn */
	double warmup_s, window_s, wait_link_s;
	struct rte_ether_addr dst_mac;
	bool spoof;               /* a source per flow */
};

/* One pair's counts over the turns of one measurement. */
struct counters {
	uint64_t tx, refused;
	uint64_t rx0;             /* the RX port's count when the window began */
	uint64_t active_tsc;      /* TSC cycles of its turns */
	/* Loops per second, slowest and fastest turn (or second). Every
	 * iteration polls a ring the DUT's CPU writes, so the loop runs much
	 * slower while the host keeps the two vCPUs far apart: a measurement
	 * during which the placement changed shows here. */
	double loops_min, loops_max;
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

static bool links_up(uint16_t n_ports, double wait_s)
{
	uint64_t deadline = rte_rdtsc() + (uint64_t)(wait_s * (double)rte_get_tsc_hz());
	do {
		uint16_t up = 0;
		for (uint16_t p = 0; p < n_ports; p++) {
			struct rte_eth_link l;
			rte_eth_link_get_nowait(p, &l);
			up += l.link_status != 0;
		}
		if (up == n_ports)
			return true;
		rte_delay_ms(10);
	} while (rte_rdtsc() < deadline && !quit);
	return false;
}

/* One frame per flow, built once; sending copies the template. */
static void build_template(uint8_t *f, const struct opts *o, uint16_t port, unsigned flow)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint16_t l3_len = (uint16_t)(o->size - sizeof(*eth));

	memset(f, 0, o->size);
	eth->dst_addr = o->dst_mac;
	rte_eth_macaddr_get(port, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(l3_len);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(o->spoof ? RTE_IPV4(172, 16, 0, 0) + flow :
					     RTE_IPV4(10, 254, 0, 1));
	ip->dst_addr = rte_cpu_to_be_32(RTE_IPV4(10, 253, (flow >> 8) & 0xff, flow & 0xff));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(9);
	udp->dst_port = rte_cpu_to_be_16(9);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(l3_len - sizeof(*ip)));
}

/* Free what came back. Counting is the port's (rte_eth_stats): a memif
 * server polled on more queues than its peer transmits on hands out the
 * peer's ring once per queue, so burst counts would count packets twice. */
static void drain_rx(uint16_t port)
{
	struct rte_mbuf *rx[BURST];
	for (uint16_t q = 0; q < N_RXQ; q++) {
		uint16_t n = rte_eth_rx_burst(port, q, rx, BURST);
		rte_pktmbuf_free_bulk(rx, n);
	}
}

static uint64_t port_received(uint16_t port)
{
	struct rte_eth_stats st;
	return rte_eth_stats_get(port, &st) == 0 ? st.ipackets : 0;
}

struct gen {
	const struct opts *o;
	struct rte_mempool *pool;
	uint8_t (*tmpl)[128];      /* [pair * flows + flow] */
	unsigned next_flow;
};

/*
 * Send to pair @p k at the configured rate (or not at all with @p send
 * false) and receive, from now until @p end_tsc. Counts go to @p c when it
 * is not NULL. Returns the loop iterations.
 */
static uint64_t run_until(struct gen *g, unsigned k, bool send, uint64_t end_tsc,
			  struct counters *c)
{
	const struct opts *o = g->o;
	const double per_cycle = o->rate / (double)rte_get_tsc_hz();
	const double cap = 2.0 * o->burst;
	const uint16_t txp = (uint16_t)(2 * k), rxp = (uint16_t)(2 * k + 1);
	double tokens = 0;
	uint64_t last = rte_rdtsc(), loops = 0;
	struct rte_mbuf *tx[BURST];

	while (!quit) {
		uint64_t now = rte_rdtsc();
		if (now >= end_tsc)
			break;
		loops++;
		drain_rx(rxp);
		if (!send)
			continue;
		tokens += (double)(now - last) * per_cycle;
		last = now;
		if (tokens > cap)
			tokens = cap;
		unsigned n = tokens >= o->burst ? o->burst : 0;
		if (n == 0 || rte_pktmbuf_alloc_bulk(g->pool, tx, n) != 0)
			continue;
		for (unsigned i = 0; i < n; i++) {
			rte_memcpy(rte_pktmbuf_mtod(tx[i], void *),
				   g->tmpl[k * o->flows + g->next_flow], o->size);
			tx[i]->data_len = tx[i]->pkt_len = o->size;
			g->next_flow = g->next_flow + 1 == o->flows ? 0 : g->next_flow + 1;
		}
		uint16_t sent = rte_eth_tx_burst(txp, 0, tx, (uint16_t)n);
		if (sent < n)
			rte_pktmbuf_free_bulk(tx + sent, n - sent);
		if (c != NULL) {
			c->refused += n - sent;
			c->tx += sent;
		}
		tokens -= n;
	}
	return loops;
}

static void note_loops(struct counters *c, uint64_t loops, double secs)
{
	double rate = (double)loops / secs;
	if (c->loops_max == 0 || rate < c->loops_min)
		c->loops_min = rate;
	if (rate > c->loops_max)
		c->loops_max = rate;
}

static void print_result(const struct opts *o, const struct counters *c, const uint64_t *sent_all)
{
	double hz = (double)rte_get_tsc_hz();
	printf("{\"rate_pps\": %.0f, \"burst\": %u, \"period_ms\": %.0f, \"pairs\": [", o->rate,
	       o->burst, o->period_s * 1000);
	for (unsigned k = 0; k < o->pairs; k++) {
		double secs = (double)c[k].active_tsc / hz;
		uint64_t rx = port_received((uint16_t)(2 * k + 1)) - c[k].rx0;
		printf("%s{\"window_s\": %.3f, \"offered_pps\": %.0f, \"received_pps\": %.0f, "
		       "\"refused\": %" PRIu64 ", \"sent\": %" PRIu64 ", \"received\": %" PRIu64
		       ", \"loops_per_s_min\": %.0f, \"loops_per_s_max\": %.0f}",
		       k ? ", " : "", secs, (double)c[k].tx / secs, (double)rx / secs, c[k].refused,
		       sent_all[k], rx, c[k].loops_min, c[k].loops_max);
	}
	printf("]}\n");
	fflush(stdout);
}

/* One DUT, no turns: warm up, then the window, second by second. */
static void measure_one(struct gen *g, uint64_t *sent_all)
{
	const struct opts *o = g->o;
	uint64_t hz = rte_get_tsc_hz();
	struct counters warm = {0}, c = {0};
	run_until(g, 0, true, rte_rdtsc() + (uint64_t)(o->warmup_s * (double)hz), &warm);
	c.rx0 = port_received(1);
	uint64_t start = rte_rdtsc(), end = start + (uint64_t)(o->window_s * (double)hz);
	for (uint64_t t = start; t < end && !quit;) {
		uint64_t until = t + hz < end ? t + hz : end;
		uint64_t loops = run_until(g, 0, true, until, &c);
		note_loops(&c, loops, (double)(until - t) / (double)hz);
		t = until;
	}
	c.active_tsc = rte_rdtsc() - start;
	run_until(g, 0, false, rte_rdtsc() + hz * DRAIN_MS / 1000, NULL);
	sent_all[0] += warm.tx + c.tx;
	print_result(o, &c, sent_all);
}

/*
 * True once every thread of @p pid is stopped. A busy-polling thread takes
 * a SIGSTOP only when it next enters the kernel (a timer tick: up to 4 ms
 * here); until then it still runs on the CPU the next DUT is to have.
 */
static bool all_stopped(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (d == NULL)
		return true; /* gone: nothing left to wait for */
	bool stopped = true;
	struct dirent *e;
	while (stopped && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char stat_path[300], buf[512];
		snprintf(stat_path, sizeof(stat_path), "%s/%s/stat", path, e->d_name);
		FILE *f = fopen(stat_path, "r");
		if (f == NULL)
			continue;
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		const char *state = strrchr(buf, ')');
		stopped = state == NULL || state[1] == '\0' || state[2] == 'T' || state[2] == 't';
	}
	closedir(d);
	return stopped;
}

/* Stop @p pid and wait (receiving on pair @p k) until it has stopped, at most 100 ms. */
static void stop_dut(struct gen *g, unsigned k, pid_t pid)
{
	uint64_t hz = rte_get_tsc_hz(), deadline = rte_rdtsc() + hz / 10;
	kill(pid, SIGSTOP);
	while (!all_stopped(pid) && rte_rdtsc() < deadline && !quit)
		run_until(g, k, false, rte_rdtsc() + hz / 2000, NULL);
}

/*
 * The DUTs @p pids in turns of one period each, round robin, the window a
 * whole number of rounds so every DUT gets as many turns.
 */
static void measure_turns(struct gen *g, const pid_t *pids, uint64_t *sent_all)
{
	const struct opts *o = g->o;
	const unsigned n = o->pairs;
	uint64_t hz = rte_get_tsc_hz();
	uint64_t period = (uint64_t)(o->period_s * (double)hz), drain = hz * DRAIN_MS / 1000;
	unsigned warm_turns = (unsigned)(o->warmup_s / o->period_s + 0.5);
	unsigned rounds = (unsigned)(o->window_s / o->period_s / n + 0.5);
	struct counters c[MAX_PAIRS] = {0}, warm[MAX_PAIRS] = {0};

	if (rounds == 0)
		rounds = 1;
	warm_turns = (warm_turns + n - 1) / n * n;
	for (unsigned k = 1; k < n; k++)
		stop_dut(g, k, pids[k]);
	for (unsigned turn = 0; turn < warm_turns + rounds * n && !quit; turn++) {
		unsigned k = turn % n;
		bool measured = turn >= warm_turns;
		struct counters *ck = measured ? &c[k] : &warm[k];
		if (turn == warm_turns)
			for (unsigned j = 0; j < n; j++)
				c[j].rx0 = port_received((uint16_t)(2 * j + 1));
		/* The next DUT is continued before the last one stops, so its CPU
		 * never idles between turns: an idle vCPU may be descheduled by the
		 * host and take milliseconds to wake. Once the last one has
		 * stopped, this one runs alone for SETTLE_MS without traffic: the
		 * loop iteration it was stopped in began before the stop, and had
		 * it received packets, the stop would count as busy time. */
		if (turn > 0 && n > 1) {
			unsigned prev = (turn - 1) % n;
			kill(pids[k], SIGCONT);
			stop_dut(g, prev, pids[prev]);
		}
		run_until(g, k, false, rte_rdtsc() + hz * SETTLE_MS / 1000, NULL);
		uint64_t start = rte_rdtsc();
		uint64_t loops = run_until(g, k, true, start + period, ck);
		uint64_t end = rte_rdtsc();
		if (measured) {
			ck->active_tsc += end - start;
			note_loops(ck, loops, (double)(end - start) / (double)hz);
		}
		/* Nothing in flight before the DUT stops: its last busy
		 * iteration ends inside the drain, not across the stop. */
		run_until(g, k, false, end + drain, NULL);
	}
	for (unsigned k = 0; k < n; k++) {
		kill(pids[k], SIGCONT);
		sent_all[k] += warm[k].tx + c[k].tx;
	}
	print_result(o, c, sent_all);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{"rate", required_argument, NULL, 'r'}, {"flows", required_argument, NULL, 'f'},
		{"size", required_argument, NULL, 's'}, {"warmup", required_argument, NULL, 'w'},
		{"window", required_argument, NULL, 'W'}, {"dst-mac", required_argument, NULL, 'm'},
		{"wait-link", required_argument, NULL, 'l'}, {"burst", required_argument, NULL, 'b'},
		{"pairs", required_argument, NULL, 'p'}, {"period-ms", required_argument, NULL, 'P'},
		{"spoof", no_argument, NULL, 'S'}, {NULL, 0, NULL, 0},
	};
	int c;
	*o = (struct opts){.rate = 0, .flows = 64, .size = 60, .warmup_s = 2, .window_s = 10,
			   .wait_link_s = 20, .burst = BURST, .pairs = 1, .period_s = 0.1};
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
		case 'p': o->pairs = (unsigned)atoi(optarg); break;
		case 'P': o->period_s = atof(optarg) / 1000; break;
		case 'S': o->spoof = true; break;
		case 'm':
			if (rte_ether_unformat_addr(optarg, &o->dst_mac) < 0)
				return -1;
			break;
		default: return -1;
		}
	}
	if (o->rate <= 0 || o->flows == 0 || o->flows > 65536 || o->size < 60 || o->size > 128 ||
	    o->window_s <= 0 || o->burst == 0 || o->burst > BURST || o->pairs == 0 ||
	    o->pairs > MAX_PAIRS || o->period_s < 0.01)
		return -1;
	return 0;
}

/* "go" or "go PID..." (one per pair). Returns the number of PIDs, -1 if bad. */
static int parse_go(const char *line, pid_t *pids)
{
	char *end;
	int n = 0;
	if (strncmp(line, "go", 2) != 0)
		return -1;
	for (const char *p = line + 2; *p != '\0' && *p != '\n';) {
		long v = strtol(p, &end, 10);
		if (end == p || v <= 0 || n == MAX_PAIRS)
			return -1;
		pids[n++] = (pid_t)v;
		p = end;
		while (*p == ' ')
			p++;
	}
	return n;
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
		fprintf(stderr, "usage: bench_gen [EAL] -- --rate PPS [--pairs 1..%d] [--period-ms MS] "
			"[--flows N] [--size 60..128] [--warmup S] [--window S] [--dst-mac MAC] "
			"[--wait-link S] [--burst 1..32]\n", MAX_PAIRS);
		return 64;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	const uint16_t n_ports = (uint16_t)(2 * o.pairs);
	if (rte_eth_dev_count_avail() < n_ports) {
		fprintf(stderr, "bench_gen: needs %u ports\n", n_ports);
		return 1;
	}
	struct rte_mempool *pool = rte_pktmbuf_pool_create("gen", N_MBUFS, 256, 0,
							   RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	for (uint16_t p = 0; pool != NULL && p < n_ports; p++)
		if (port_init(p, pool) != 0)
			pool = NULL;
	if (pool == NULL) {
		fprintf(stderr, "bench_gen: cannot set up the ports\n");
		return 1;
	}
	struct gen g = {.o = &o, .pool = pool, .tmpl = calloc(o.pairs * o.flows, 128)};
	for (unsigned k = 0; k < o.pairs; k++)
		for (unsigned f = 0; f < o.flows; f++)
			build_template(g.tmpl[k * o.flows + f], &o, (uint16_t)(2 * k), f);
	printf("{\"state\": \"waiting for links\"}\n");
	fflush(stdout);
	if (!links_up(n_ports, o.wait_link_s)) {
		fprintf(stderr, "bench_gen: links not up within %.0f s\n", o.wait_link_s);
		return 1;
	}
	printf("{\"state\": \"links up, waiting for a line on stdin to start\"}\n");
	fflush(stdout);

	char line[256];
	uint64_t sent_all[MAX_PAIRS] = {0};
	pid_t pids[MAX_PAIRS];
	while (!quit && fgets(line, sizeof(line), stdin) != NULL) {
		int np = parse_go(line, pids);
		if (np == 0 && o.pairs == 1) {
			measure_one(&g, sent_all);
		} else if (np == (int)o.pairs) {
			measure_turns(&g, pids, sent_all);
		} else {
			fprintf(stderr, "bench_gen: expected \"go\" or \"go\" and %u PIDs\n", o.pairs);
			printf("{\"error\": \"bad command\"}\n");
			fflush(stdout);
		}
	}
	free(g.tmpl);
	for (uint16_t p = 0; p < n_ports; p++)
		rte_eth_dev_stop(p);
	rte_eal_cleanup();
	return quit ? 130 : 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * perf_stages: what each worker stage costs, in TSC cycles per packet.
 *
 *   perf_stages [--json] [--iterations N] [--cpu N] [--no-huge]
 *
 * Synthetic 32-packet bursts go through the worker pipeline as
 * app/sluice/worker.c runs it (parse -> input -> route -> neighbor), on
 * tables built from a real configuration with sl_config_parse() and
 * sl_ipstack_tables_build(), and neighbors already resolved.
 *
 * Principles:
 *  - Measure only the stage. The packets are rewritten from templates
 *    (TTL, MACs, lengths, metadata) between iterations, outside the timed
 *    region; the timestamps are serialising reads (rte_rdtsc_precise) and
 *    the cost of a pair of them is measured and subtracted.
 *  - Stage figures come from one pass that stamps between stages; the
 *    pipeline figure from a separate pass that stamps only around all four,
 *    so it carries no stamping overhead between stages and is the number
 *    to compare with a forwarding rate.
 *  - Medians over many bursts, after a warm-up: a timer interrupt or a
 *    cache miss on one burst does not move them. The 90th percentile of
 *    the pipeline shows how wide the spread was.
 *  - A benchmark that forwards nothing is a wrong benchmark: every burst
 *    must come out of every stage whole (no drop, no punt), or the program
 *    says which stage lost packets and exits non-zero.
 *  - The data is hot in cache, as it is after a PMD's RX burst has copied
 *    or touched it (memif copies every frame; with a NIC, DDIO leaves it in
 *    the last-level cache). What is measured is the stages' own work, not
 *    DRAM latency.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "sl_config.h"
#include "sl_ipstack.h"
#include "sl_pkt.h"
#include "sl_stats.h"

#define BURST 32
#define WARMUP 2000               /* bursts run before measuring */
#define DEFAULT_ITERATIONS 20000  /* bursts measured per pass */
#define POOL_SIZE 1023
#define FRAME_MAX 128             /* bytes: room for a template */
#define N_HOSTS 8                 /* connected hosts on the wan subnet */
#define LAN 0                     /* sluice port index of "lan" */
#define WAN 1

enum stage { ST_PARSE, ST_INPUT, ST_ROUTE, ST_NEIGH, ST_MAX };
static const char *const stage_names[ST_MAX] = {"parse", "input", "route", "neighbor"};

/*
 * Two ports, a route behind a gateway per family, and the config's
 * defaults for everything else: the plain forwarding path.
 */
static const char config_json[] =
	"{\"ports\": ["
	" {\"name\": \"lan\", \"device\": \"net_null0\","
	"  \"ipv4\": [\"10.0.0.1/24\"], \"ipv6\": [\"fd00:a::1/64\"]},"
	" {\"name\": \"wan\", \"device\": \"net_null1\","
	"  \"ipv4\": [\"10.1.0.1/24\"], \"ipv6\": [\"fd00:b::1/64\"]}],"
	" \"routes\": ["
	" {\"prefix\": \"198.18.0.0/15\", \"via\": \"10.1.0.2\"},"
	" {\"prefix\": \"2001:db8::/32\", \"via\": \"fd00:b::2\"}]}";

static const struct rte_ether_addr mac_lan = {{0x02, 0x53, 0x4c, 0x00, 0x00, 0x01}};
static const struct rte_ether_addr mac_wan = {{0x02, 0x53, 0x4c, 0x00, 0x00, 0x02}};
static const struct rte_ether_addr mac_sender = {{0x02, 0x00, 0x00, 0x00, 0x0a, 0x02}};

/* A scenario fills the template of packet @p i of the burst. */
struct scenario {
	const char *name;
	const char *what;
	uint16_t (*fill)(uint8_t *frame, unsigned i);
};

struct bench {
	struct sl_config *cfg;
	struct sl_ipstack_tables *tables;
	struct sl_neigh_table *neigh;
	struct rte_ring *punt;
	struct rte_mempool *pool;
	struct sl_ipstack_worker w;
	struct sl_pkt_parse_ctx rx;   /* the burst arrives on the lan port */
	struct rte_mbuf *mbufs[BURST];
	struct rte_mbuf *pkts[BURST];
	uint8_t tmpl[BURST][FRAME_MAX];
	uint16_t tmpl_len[BURST];     /* bytes */
	uint64_t stamp_cost;          /* cycles of two back-to-back precise stamps */
	unsigned iterations;
	bool mbufs_lost;              /* a stage freed or punted some: do not free them */
};

struct result {
	double stage[ST_MAX];         /* median cycles per packet */
	double pipeline;              /* median cycles per packet */
	double pipeline_p90;
	uint16_t frame_len;           /* bytes, without FCS */
};

struct opts {
	bool json;
	bool no_huge;
	unsigned iterations;
	unsigned cpu;
};

/* ---- packet templates ---------------------------------------------------- */

/* Host-order IPv4 address (DPDK's RTE_IPV4 shifts an int: UB from 128.0.0.0 up). */
static uint32_t ipv4(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	return (a & 0xff) << 24 | (b & 0xff) << 16 | (c & 0xff) << 8 | (d & 0xff);
}

static uint8_t *put_eth(uint8_t *f, uint16_t ether_type)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	eth->dst_addr = mac_lan;
	eth->src_addr = mac_sender;
	eth->ether_type = rte_cpu_to_be_16(ether_type);
	return f + sizeof(*eth);
}

static void put_udp(struct rte_udp_hdr *udp, unsigned i, uint16_t len)
{
	udp->src_port = rte_cpu_to_be_16((uint16_t)(10000 + i));
	udp->dst_port = rte_cpu_to_be_16(9);
	udp->dgram_len = rte_cpu_to_be_16(len);
	udp->dgram_cksum = 0;
}

/* 60 bytes (64 on the wire with the FCS): Ethernet, IPv4, UDP, 18 bytes. */
static uint16_t ipv4_frame(uint8_t *f, unsigned i, uint32_t dst_host)
{
	const uint16_t ip_len = 46;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)put_eth(f, RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, ip_len);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(ip_len);
	ip->packet_id = rte_cpu_to_be_16((uint16_t)i);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(ipv4(10, 0, 0, 2 + i % 16));
	ip->dst_addr = rte_cpu_to_be_32(dst_host);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	put_udp((struct rte_udp_hdr *)(ip + 1), i, ip_len - sizeof(*ip));
	return (uint16_t)(RTE_ETHER_HDR_LEN + ip_len);
}

/* 64 bytes (68 with the FCS): Ethernet, IPv6, UDP, 2 bytes; the IPv6 minimum. */
static uint16_t ipv6_frame(uint8_t *f, unsigned i, const uint8_t dst[16])
{
	const uint16_t payload = 10;
	static const uint8_t src_base[16] = {0xfd, 0x00, 0x00, 0x0a, [15] = 0x02};
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)put_eth(f, RTE_ETHER_TYPE_IPV6);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	memset(ip, 0, sizeof(*ip) + payload);
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(payload);
	ip->proto = IPPROTO_UDP;
	ip->hop_limits = 64;
	memcpy(ip->src_addr, src_base, 16);
	ip->src_addr[15] = (uint8_t)(2 + i % 16);
	memcpy(ip->dst_addr, dst, 16);
	put_udp(udp, i, payload);
	udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip, udp);
	return (uint16_t)(RTE_ETHER_HDR_LEN + sizeof(*ip) + payload);
}

/* Every packet to a different address behind the one IPv4 gateway. */
static uint16_t fill_ipv4_gw(uint8_t *f, unsigned i)
{
	return ipv4_frame(f, i, ipv4(198, 18, i, 1 + i));
}

/* Three of four behind the gateway, every fourth to a connected host. */
static uint16_t fill_ipv4_mix(uint8_t *f, unsigned i)
{
	if (i % 4 == 3)
		return ipv4_frame(f, i, ipv4(10, 1, 0, 10 + (i / 4) % N_HOSTS));
	return fill_ipv4_gw(f, i);
}

static uint16_t fill_ipv6_mix(uint8_t *f, unsigned i)
{
	uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, (uint8_t)i, [15] = 0x01};
	if (i % 4 == 3) {
		uint8_t host[16] = {0xfd, 0x00, 0x00, 0x0b, [15] = (uint8_t)(0x10 + (i / 4) % N_HOSTS)};
		memcpy(dst, host, 16);
	}
	return ipv6_frame(f, i, dst);
}

static const struct scenario scenarios[] = {
	{"ipv4-gw", "IPv4 UDP, 32 destinations behind one gateway", fill_ipv4_gw},
	{"ipv4-mix", "IPv4 UDP, 3/4 via the gateway, 1/4 to 8 connected hosts", fill_ipv4_mix},
	{"ipv6-mix", "IPv6 UDP, 3/4 via the gateway, 1/4 to 8 connected hosts", fill_ipv6_mix},
};

/* ---- set-up --------------------------------------------------------------- */

static bool hugepages_usable(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long free_pages = 0;
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "HugePages_Free: %ld", &free_pages) == 1)
			break;
	fclose(f);
	return free_pages > 0 && access("/dev/hugepages", W_OK) == 0;
}

/* EAL on one lcore; --in-memory needs hugepages, --no-huge needs --no-shconf. */
static int eal_start(const struct opts *o, bool *huge)
{
	char cpu[16];
	char *argv[16];
	int argc = 0;

	*huge = !o->no_huge && hugepages_usable();
	snprintf(cpu, sizeof(cpu), "%u", o->cpu);
	argv[argc++] = "perf_stages";
	argv[argc++] = "-l";
	argv[argc++] = cpu;
	argv[argc++] = "--no-pci";
	/* Neither mode shares files, so concurrent runs may use one prefix. */
	argv[argc++] = "--file-prefix";
	argv[argc++] = "perf_stages";
	argv[argc++] = "--log-level=lib.eal:warning";
	if (*huge) {
		argv[argc++] = "--in-memory";
	} else {
		argv[argc++] = "--no-huge";
		argv[argc++] = "-m";
		argv[argc++] = "1024";
		argv[argc++] = "--no-shconf";
	}
	argv[argc] = NULL;
	return rte_eal_init(argc, argv) < 0 ? -rte_errno : 0;
}

static struct sl_config *config_build(void)
{
	char err[SL_CONFIG_ERR_MAX] = "";
	json_error_t jerr;
	json_t *doc = json_loads(config_json, 0, &jerr);
	if (doc == NULL) {
		fprintf(stderr, "perf_stages: built-in config: %s\n", jerr.text);
		return NULL;
	}
	struct sl_config *cfg = sl_config_parse(doc, err, sizeof(err));
	json_decref(doc);
	if (cfg == NULL)
		fprintf(stderr, "perf_stages: built-in config: %s\n", err);
	return cfg;
}

static int neigh_add(struct sl_neigh_table *t, const struct sl_neigh_key *k, uint8_t last)
{
	struct rte_ether_addr mac = {{0x02, 0x00, 0x00, 0x00, 0x0b, last}};
	struct sl_neigh_entry *e = sl_neigh_get_or_create(t, k, rte_rdtsc());
	if (e == NULL)
		return -ENOSPC;
	sl_neigh_set(e, &mac, SL_NEIGH_REACHABLE);
	return 0;
}

/* The gateways and the connected hosts, resolved, as ARP/ND would leave them. */
static int neighbors_add(struct sl_neigh_table *t)
{
	struct sl_neigh_key k;
	uint8_t gw6[16] = {0xfd, 0x00, 0x00, 0x0b, [15] = 0x02};
	int rc;

	sl_neigh_key_v4(&k, WAN, rte_cpu_to_be_32(ipv4(10, 1, 0, 2)));
	rc = neigh_add(t, &k, 2);
	sl_neigh_key_v6(&k, WAN, gw6);
	rc = rc ? rc : neigh_add(t, &k, 2);
	for (unsigned h = 0; h < N_HOSTS && rc == 0; h++) {
		uint8_t host6[16] = {0xfd, 0x00, 0x00, 0x0b, [15] = (uint8_t)(0x10 + h)};
		sl_neigh_key_v4(&k, WAN, rte_cpu_to_be_32(ipv4(10, 1, 0, 10 + h)));
		rc = neigh_add(t, &k, (uint8_t)(0x10 + h));
		sl_neigh_key_v6(&k, WAN, host6);
		rc = rc ? rc : neigh_add(t, &k, (uint8_t)(0x10 + h));
	}
	return rc;
}

static int bench_init(struct bench *b, unsigned iterations)
{
	char err[256] = "";
	int socket = (int)rte_socket_id();
	uint64_t hz = rte_get_tsc_hz();
	struct sl_ipstack_port_id ids[2] = {
		{.port_id = 0, .mgmt_txq = 1, .mac = mac_lan},
		{.port_id = 1, .mgmt_txq = 1, .mac = mac_wan},
	};

	memset(b, 0, sizeof(*b));
	b->iterations = iterations;
	sl_stats_init(hz);
	b->cfg = config_build();
	if (b->cfg == NULL)
		return -EINVAL;
	b->tables = sl_ipstack_tables_build(b->cfg, ids, 1, socket, err, sizeof(err));
	b->neigh = sl_neigh_table_create("perf_neigh", 256, socket, NULL, hz);
	b->punt = rte_ring_create("perf_punt", 1024, socket, RING_F_SC_DEQ);
	b->pool = rte_pktmbuf_pool_create("perf_pool", POOL_SIZE, 0, SL_PKT_PRIV_SIZE,
					  RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (b->tables == NULL || b->neigh == NULL || b->punt == NULL || b->pool == NULL) {
		fprintf(stderr, "perf_stages: set-up failed: %s\n",
			err[0] ? err : rte_strerror(rte_errno));
		return -ENOMEM;
	}
	if (neighbors_add(b->neigh) < 0 ||
	    rte_pktmbuf_alloc_bulk(b->pool, b->mbufs, BURST) != 0) {
		fprintf(stderr, "perf_stages: cannot add neighbors or allocate mbufs\n");
		return -ENOMEM;
	}
	sl_ipstack_worker_init(&b->w, b->neigh, b->punt, b->pool,
			       &sl_lcore_stats[rte_lcore_id()], hz);
	b->w.t = b->tables;
	b->rx = (struct sl_pkt_parse_ctx){.st = b->w.st, .in_port = LAN};
	return 0;
}

static void bench_fini(struct bench *b)
{
	for (unsigned i = 0; i < BURST && !b->mbufs_lost; i++)
		rte_pktmbuf_free(b->mbufs[i]);
	if (!b->mbufs_lost)
		rte_mempool_free(b->pool);
	rte_ring_free(b->punt);
	sl_neigh_table_free(b->neigh);
	sl_ipstack_tables_free(b->tables);
	sl_config_free(b->cfg);
}

/* ---- measuring ------------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The @p pct percentile of @p v (sorted in place). */
static uint64_t percentile(uint64_t *v, unsigned n, unsigned pct)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[(size_t)(n - 1) * pct / 100];
}

/* Median cost of two back-to-back precise stamps: subtracted from every interval. */
static uint64_t stamp_cost(void)
{
	enum { N = 10001 };
	static uint64_t v[N];
	for (unsigned i = 0; i < N; i++) {
		uint64_t t0 = rte_rdtsc_precise();
		v[i] = rte_rdtsc_precise() - t0;
	}
	return percentile(v, N, 50);
}

/* Put every packet back as the sender built it (untimed). */
static void burst_reset(struct bench *b, uint64_t now)
{
	for (unsigned i = 0; i < BURST; i++) {
		struct rte_mbuf *m = b->mbufs[i];
		struct sl_pkt_meta *meta = sl_pkt_meta(m);
		m->data_off = RTE_PKTMBUF_HEADROOM;
		m->data_len = b->tmpl_len[i];
		m->pkt_len = b->tmpl_len[i];
		m->ol_flags = 0;
		m->packet_type = 0;
		memcpy(rte_pktmbuf_mtod(m, void *), b->tmpl[i], b->tmpl_len[i]);
		memset(meta, 0, sizeof(*meta));
		meta->in_port = LAN;
		meta->rx_tsc = now;
		b->pkts[i] = m;
	}
}

static uint64_t minus_stamp(uint64_t d, uint64_t cost)
{
	return d > cost ? d - cost : 0;
}

/* One burst through all stages, stamped between stages. Returns packets out. */
static uint16_t run_staged(struct bench *b, uint64_t now, uint64_t cyc[ST_MAX])
{
	uint64_t t[ST_MAX + 1];
	uint16_t n;

	t[0] = rte_rdtsc_precise();
	n = sl_pkt_parse_burst(&b->rx, b->pkts, BURST, now);
	t[1] = rte_rdtsc_precise();
	n = n == BURST ? sl_ipstack_input_burst(&b->w, b->pkts, n, now) : 0;
	t[2] = rte_rdtsc_precise();
	n = n == BURST ? sl_ipstack_route_burst(&b->w, b->pkts, n, now) : 0;
	t[3] = rte_rdtsc_precise();
	n = n == BURST ? sl_ipstack_neighbor_burst(&b->w, b->pkts, n, now) : 0;
	t[4] = rte_rdtsc_precise();
	for (unsigned s = 0; s < ST_MAX; s++)
		cyc[s] = minus_stamp(t[s + 1] - t[s], b->stamp_cost);
	return n;
}

/* One burst through all stages, stamped only around the whole. */
static uint16_t run_whole(struct bench *b, uint64_t now, uint64_t *cyc)
{
	uint64_t t0 = rte_rdtsc_precise();
	uint16_t n = sl_pkt_parse_burst(&b->rx, b->pkts, BURST, now);
	n = sl_ipstack_input_burst(&b->w, b->pkts, n, now);
	n = sl_ipstack_route_burst(&b->w, b->pkts, n, now);
	n = sl_ipstack_neighbor_burst(&b->w, b->pkts, n, now);
	*cyc = minus_stamp(rte_rdtsc_precise() - t0, b->stamp_cost);
	return n;
}

/* Name what went wrong when a burst did not come through whole. */
static int burst_lost(struct bench *b, const char *scenario, uint16_t n)
{
	const struct sl_lcore_stats *st = b->w.st;
	b->mbufs_lost = true;
	fprintf(stderr, "perf_stages: %s: only %u of %u packets came through (punted %" PRIu64 ")\n",
		scenario, n, BURST, st->punted);
	for (unsigned r = 0; r < SL_DROP_MAX; r++)
		if (st->drops[r])
			fprintf(stderr, "  dropped %" PRIu64 " as %s\n", st->drops[r],
				sl_drop_reason_label((enum sl_drop_reason)r));
	return -EIO;
}

/* Stamped-between-stages pass: median per stage into @p r. */
static int pass_staged(struct bench *b, const char *name, uint64_t *v[ST_MAX], struct result *r)
{
	uint64_t cyc[ST_MAX];
	for (unsigned it = 0; it < WARMUP + b->iterations; it++) {
		uint64_t now = rte_rdtsc();
		burst_reset(b, now);
		uint16_t n = run_staged(b, now, cyc);
		if (n != BURST)
			return burst_lost(b, name, n);
		if (it < WARMUP)
			continue;
		for (unsigned s = 0; s < ST_MAX; s++)
			v[s][it - WARMUP] = cyc[s];
	}
	for (unsigned s = 0; s < ST_MAX; s++)
		r->stage[s] = (double)percentile(v[s], b->iterations, 50) / BURST;
	return 0;
}

static int pass_whole(struct bench *b, const char *name, uint64_t *v, struct result *r)
{
	for (unsigned it = 0; it < WARMUP + b->iterations; it++) {
		uint64_t now = rte_rdtsc();
		uint64_t cyc;
		burst_reset(b, now);
		uint16_t n = run_whole(b, now, &cyc);
		if (n != BURST)
			return burst_lost(b, name, n);
		if (it >= WARMUP)
			v[it - WARMUP] = cyc;
	}
	r->pipeline = (double)percentile(v, b->iterations, 50) / BURST;
	r->pipeline_p90 = (double)percentile(v, b->iterations, 90) / BURST;
	return 0;
}

static int run_scenario(struct bench *b, const struct scenario *sc, struct result *r)
{
	uint64_t *v[ST_MAX + 1];
	int rc = 0;

	for (unsigned i = 0; i < BURST; i++)
		b->tmpl_len[i] = sc->fill(b->tmpl[i], i);
	memset(r, 0, sizeof(*r));
	r->frame_len = b->tmpl_len[0];
	for (unsigned s = 0; s <= ST_MAX; s++) {
		v[s] = calloc(b->iterations, sizeof(uint64_t));
		if (v[s] == NULL)
			rc = -ENOMEM;
	}
	if (rc == 0)
		rc = pass_staged(b, sc->name, v, r);
	if (rc == 0)
		rc = pass_whole(b, sc->name, v[ST_MAX], r);
	for (unsigned s = 0; s <= ST_MAX; s++)
		free(v[s]);
	return rc;
}

/* ---- output --------------------------------------------------------------- */

static void print_table(const struct bench *b, const struct result *res, bool huge)
{
	double ghz = (double)rte_get_tsc_hz() / 1e9;
	printf("perf_stages: median TSC cycles per packet, %u-packet bursts, %u bursts per "
	       "figure, TSC %.3f GHz, %s\n", BURST, b->iterations, ghz,
	       huge ? "hugepages" : "no hugepages (--no-huge)");
	printf("%-9s %5s %7s %7s %7s %9s %8s %9s %8s %10s\n", "scenario", "frame", "parse",
	       "input", "route", "neighbor", "sum", "pipeline", "p90", "Mpps/core");
	for (unsigned i = 0; i < RTE_DIM(scenarios); i++) {
		const struct result *r = &res[i];
		double sum = 0;
		for (unsigned s = 0; s < ST_MAX; s++)
			sum += r->stage[s];
		printf("%-9s %5u %7.1f %7.1f %7.1f %9.1f %8.1f %9.1f %8.1f %10.1f\n",
		       scenarios[i].name, r->frame_len, r->stage[ST_PARSE], r->stage[ST_INPUT],
		       r->stage[ST_ROUTE], r->stage[ST_NEIGH], sum, r->pipeline, r->pipeline_p90,
		       r->pipeline > 0 ? ghz * 1e3 / r->pipeline : 0.0);
	}
	printf("frame: bytes without FCS; sum: the four stage medians; pipeline: all four "
	       "stamped as one;\nMpps/core: TSC Hz / pipeline cycles (stages only: no RX/TX burst, "
	       "no PMD).\n");
}

static json_t *result_json(const struct scenario *sc, const struct result *r)
{
	json_t *stages = json_object();
	for (unsigned s = 0; s < ST_MAX; s++)
		json_object_set_new(stages, stage_names[s], json_real(r->stage[s]));
	return json_pack("{s:s, s:s, s:i, s:o, s:f, s:f}", "name", sc->name,
			 "description", sc->what, "frame_bytes", (int)r->frame_len,
			 "stages_cycles_per_packet", stages, "pipeline_cycles_per_packet",
			 r->pipeline, "pipeline_p90_cycles_per_packet", r->pipeline_p90);
}

static int print_json(const struct bench *b, const struct result *res, bool huge)
{
	json_t *list = json_array();
	for (unsigned i = 0; i < RTE_DIM(scenarios); i++)
		json_array_append_new(list, result_json(&scenarios[i], &res[i]));
	json_t *doc = json_pack("{s:I, s:i, s:i, s:s, s:I, s:o}", "tsc_hz",
				(json_int_t)rte_get_tsc_hz(), "burst", BURST,
				"iterations", (int)b->iterations, "memory",
				huge ? "hugepages" : "no-huge", "stamp_cost_cycles",
				(json_int_t)b->stamp_cost, "scenarios", list);
	if (doc == NULL)
		return -ENOMEM;
	int rc = json_dumpf(doc, stdout, JSON_INDENT(2)) == 0 ? 0 : -EIO;
	putchar('\n');
	json_decref(doc);
	return rc;
}

/* ---- main ----------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f, "usage: perf_stages [--json] [--iterations N] [--cpu N] [--no-huge]\n"
		   "  --json          print the results as JSON instead of a table\n"
		   "  --iterations N  bursts measured per figure (default %u, at least 100)\n"
		   "  --cpu N         CPU to run on (default 0)\n"
		   "  --no-huge       do not use hugepages even if some are free\n",
		DEFAULT_ITERATIONS);
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'}, {"iterations", required_argument, NULL, 'n'},
		{"cpu", required_argument, NULL, 'c'}, {"no-huge", no_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	char *end;
	int c;
	*o = (struct opts){.iterations = DEFAULT_ITERATIONS};
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': o->json = true; break;
		case 'H': o->no_huge = true; break;
		case 'n': o->iterations = (unsigned)strtoul(optarg, &end, 10);
			  if (*end != '\0' || o->iterations < 100 || o->iterations > 10000000)
				  goto bad;
			  break;
		case 'c': o->cpu = (unsigned)strtoul(optarg, &end, 10);
			  if (*end != '\0' || o->cpu >= RTE_MAX_LCORE)
				  goto bad;
			  break;
		case 'h': usage(stdout); return 1;
		default: goto bad;
		}
	}
	if (optind == argc)
		return 0;
bad:
	usage(stderr);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	struct result res[RTE_DIM(scenarios)];
	struct bench b;
	struct opts o;
	bool huge;
	int rc = parse_opts(argc, argv, &o);
	if (rc != 0)
		return rc > 0 ? 0 : 64;
	rc = eal_start(&o, &huge);
	if (rc < 0) {
		fprintf(stderr, "perf_stages: EAL initialisation failed: %s\n", rte_strerror(-rc));
		return 1;
	}
	if (!huge)
		fprintf(stderr, "perf_stages: running without hugepages (--no-huge)\n");
	rc = bench_init(&b, o.iterations);
	if (rc == 0)
		b.stamp_cost = stamp_cost();
	for (unsigned i = 0; i < RTE_DIM(scenarios) && rc == 0; i++)
		rc = run_scenario(&b, &scenarios[i], &res[i]);
	if (rc == 0)
		rc = o.json ? print_json(&b, res, huge) : (print_table(&b, res, huge), 0);
	bench_fini(&b);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}

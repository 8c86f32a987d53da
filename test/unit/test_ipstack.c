/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of lib/ipstack: routing tables, the neighbor table, the worker
 * stages (input, route, neighbor), ICMP errors and the management control
 * code (ARP, ND, pending queues, timers).
 *
 * Principles:
 *  - Frames are built byte by byte here and go through the real parse stage
 *    before the stage under test, as on a worker.
 *  - Time is synthetic: a 1 GHz TSC whose values each test chooses, so
 *    timers and the ICMP budget are checked to the tick.
 *  - Every frame sluice produces is compared whole against one built here,
 *    and every checksum is checked twice: it verifies, and it equals a full
 *    recomputation.
 *  - Every drop counter is asserted, not only the one expected to move, and
 *    every test ends with the mbuf pool as full as it started.
 *  - Routing is also checked against a naive longest-prefix-match model on
 *    random prefixes.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "sl_ipstack.h"
#include "sl_log.h"

#define HZ 1000000000ull          /* synthetic TSC frequency, cycles per second */
#define RX_TSC 0x5a5a5a5aull
#define LAN 0
#define WAN 1
#define DMZ 2
#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define RETRANS (SL_NEIGH_RETRANS_MS * HZ / 1000) /* cycles */
#define NO_DROPS ((const uint64_t[SL_DROP_MAX]){0})
#define DROPS(...) ((const uint64_t[SL_DROP_MAX]){__VA_ARGS__})

static const uint8_t mac_lan[6] = {0x52, 0x54, 0x00, 0x00, 0x01, 0x01};
static const uint8_t mac_wan[6] = {0x52, 0x54, 0x00, 0x00, 0x02, 0x01};
static const uint8_t mac_dmz[6] = {0x52, 0x54, 0x00, 0x00, 0x03, 0x01};
static const uint8_t mac_host[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55}; /* 10.1.0.7 */
static const uint8_t mac_nbr[6] = {0x02, 0x66, 0x77, 0x88, 0x99, 0xaa};  /* 10.2.0.9 */
static const uint8_t mac_gw[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};   /* 10.2.0.2 */
static const uint8_t mac_other[6] = {0x02, 0xde, 0xad, 0x00, 0x00, 0x01};
static const uint8_t mac_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t mac_zero[6];

/* Ports lan and wan (MTU 1400), each with one IPv4 and one IPv6 subnet. */
static const char *const cfg_a_text =
	"{'ports':["
	" {'name':'lan','device':'net_null0','ipv4':['10.1.0.1/24'],'ipv6':['fd00:1::1/64']},"
	" {'name':'wan','device':'net_null1','mtu':1400,'ipv4':['10.2.0.1/24'],"
	"  'ipv6':['fd00:2::1/64']}],"
	" 'routes':["
	"  {'prefix':'172.16.0.0/16','via':'10.2.0.2'},"
	"  {'prefix':'172.16.5.0/24','port':'lan'},"
	"  {'prefix':'172.16.5.7/32','via':'10.1.0.9'},"
	"  {'prefix':'192.0.2.0/24','type':'blackhole'},"
	"  {'prefix':'198.51.100.0/24','type':'unreachable'},"
	"  {'prefix':'::/0','via':'fd00:2::2'},"
	"  {'prefix':'fd00:99::/48','via':'fd00:1::99'},"
	"  {'prefix':'2001:db8:dead::/48','type':'unreachable'}]}";

/* A small config for the routes JSON; dmz has no IPv4, wan no IPv6. */
static const char *const cfg_r_text =
	"{'ports':["
	" {'name':'lan','device':'net_null0','ipv4':['10.1.0.1/24'],'ipv6':['fd00:1::1/64']},"
	" {'name':'wan','device':'net_null1','ipv4':['10.2.0.1/24']},"
	" {'name':'dmz','device':'net_null2','ipv6':['fd00:3::1/64']}],"
	" 'routes':["
	"  {'prefix':'0.0.0.0/0','via':'10.2.0.2'},"
	"  {'prefix':'172.16.5.0/24','port':'lan'},"
	"  {'prefix':'192.0.2.0/24','type':'blackhole'},"
	"  {'prefix':'2001:db8::/32','type':'unreachable'},"
	"  {'prefix':'fd00:99::/48','via':'fd00:3::2'}]}";

static struct rte_mempool *pool;
static struct sl_ipstack_port_id ids[3];
static struct sl_config *cfg_a, *cfg_r;
static struct sl_ipstack_tables *tab_a, *tab_r;
static unsigned avail_before;
static struct sl_lcore_stats wst, cst; /* worker's and management lcore's counters */

struct sent {
	uint16_t port;
	struct rte_mbuf *m;
};

/* Per-test environment: a neighbor table, a punt ring, a worker, a control. */
static struct {
	struct sl_neigh_table *nt;
	struct rte_ring *ring;
	struct sl_ipstack_worker w;
	struct sl_ipstack_ctl c;
	struct sent tx[64]; /* frames the management lcore sent */
	unsigned n_tx;
} E;

/* ---- addresses ---------------------------------------------------------- */

struct a6 {
	uint8_t b[16];
};

static struct a6 a6(const char *s)
{
	struct a6 r;
	if (inet_pton(AF_INET6, s, r.b) != 1)
		fail_msg("bad test address %s", s);
	return r;
}

static uint32_t be32(uint32_t host)
{
	return rte_cpu_to_be_32(host);
}

/* ---- frame builder ------------------------------------------------------ */

struct frame {
	uint8_t b[1600];
	uint16_t len; /* bytes */
	uint16_t l3;  /* offset of the IP header */
	uint16_t l4;  /* offset of the L4 header; 0: none (non-first fragment) */
	uint8_t ipv, proto;
};

static void put(struct frame *f, const void *d, size_t n)
{
	assert_true(f->len + n <= sizeof(f->b));
	memcpy(f->b + f->len, d, n);
	f->len = (uint16_t)(f->len + n);
}

static void put8(struct frame *f, uint8_t v)
{
	put(f, &v, 1);
}

static void put16(struct frame *f, uint16_t v)
{
	put8(f, (uint8_t)(v >> 8));
	put8(f, (uint8_t)v);
}

static void put32(struct frame *f, uint32_t v)
{
	put16(f, (uint16_t)(v >> 16));
	put16(f, (uint16_t)v);
}

static void wr16(struct frame *f, size_t off, uint16_t v)
{
	f->b[off] = (uint8_t)(v >> 8);
	f->b[off + 1] = (uint8_t)v;
}

/* Ethernet header, with an 802.1Q tag if @p vlan >= 0. */
static void f_eth(struct frame *f, const uint8_t *dst, const uint8_t *src, int vlan, uint16_t type)
{
	memset(f, 0, sizeof(*f));
	put(f, dst, 6);
	put(f, src, 6);
	if (vlan >= 0) {
		put16(f, RTE_ETHER_TYPE_VLAN);
		put16(f, (uint16_t)vlan);
	}
	put16(f, type);
}

static void f_ip4(struct frame *f, uint32_t src, uint32_t dst, uint8_t proto, uint8_t ttl,
		  uint16_t frag)
{
	f->l3 = f->len;
	f->ipv = 4;
	f->proto = proto;
	put8(f, 0x45);
	put8(f, 0);
	put16(f, 0);      /* total length: f_fin */
	put16(f, 0x4242); /* id */
	put16(f, frag);
	put8(f, ttl);
	put8(f, proto);
	put16(f, 0);      /* checksum: f_fin */
	put32(f, src);
	put32(f, dst);
	f->l4 = f->len;
}

static void f_ip6(struct frame *f, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		  uint8_t hlim)
{
	f->l3 = f->len;
	f->ipv = 6;
	f->proto = proto;
	put32(f, 0x60000000);
	put16(f, 0); /* payload length: f_fin */
	put8(f, proto);
	put8(f, hlim);
	put(f, src, 16);
	put(f, dst, 16);
	f->l4 = f->len;
}

/* IPv6 fragment header (after f_ip6 with proto 44); @p offset8 in 8-byte units. */
static void f_frag6(struct frame *f, uint8_t nh, uint16_t offset8, bool more)
{
	put8(f, nh);
	put8(f, 0);
	put16(f, (uint16_t)(offset8 << 3 | more));
	put32(f, 0xabcdef01);
	f->proto = nh;
	f->l4 = offset8 == 0 ? f->len : 0;
}

static void f_icmp(struct frame *f, uint8_t type, uint8_t code, uint32_t rest)
{
	put8(f, type);
	put8(f, code);
	put16(f, 0);
	put32(f, rest);
}

static void f_udp(struct frame *f, uint16_t sport, uint16_t dport)
{
	put16(f, sport);
	put16(f, dport);
	put32(f, 0); /* length and checksum: f_fin */
}

static void f_payload(struct frame *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(f, (uint8_t)(i * 7 + 1));
}

/* Lengths and checksums, as a correct sender writes them. */
static void f_fin(struct frame *f)
{
	uint8_t *ip = f->b + f->l3, *l4 = f->b + f->l4;
	uint16_t c, l4len = (uint16_t)(f->len - f->l4);

	if (f->ipv == 4) {
		wr16(f, f->l3 + 2, (uint16_t)(f->len - f->l3));
		wr16(f, f->l3 + 10, 0);
		c = rte_ipv4_cksum((const struct rte_ipv4_hdr *)ip);
		memcpy(ip + 10, &c, 2);
	} else {
		wr16(f, f->l3 + 4, (uint16_t)(f->len - f->l3 - 40));
	}
	if (f->l4 == 0)
		return;
	if (f->proto == IPPROTO_UDP) {
		wr16(f, f->l4 + 4, l4len);
		wr16(f, f->l4 + 6, 0);
		c = f->ipv == 4 ? rte_ipv4_udptcp_cksum((const void *)ip, l4) :
				  rte_ipv6_udptcp_cksum((const void *)ip, l4);
		memcpy(l4 + 6, &c, 2);
	} else if (f->proto == IPPROTO_ICMP) {
		wr16(f, f->l4 + 2, 0);
		c = (uint16_t)~rte_raw_cksum(l4, l4len);
		memcpy(l4 + 2, &c, 2);
	} else if (f->proto == IPPROTO_ICMPV6) {
		wr16(f, f->l4 + 2, 0);
		c = rte_ipv6_udptcp_cksum((const void *)ip, l4);
		memcpy(l4 + 2, &c, 2);
	}
}

/* UDP from the lan host to @p dst, @p total IP bytes long. */
static void f_udp4(struct frame *f, const uint8_t *dmac, uint32_t src, uint32_t dst, uint8_t ttl,
		   uint16_t frag, uint16_t total)
{
	f_eth(f, dmac, mac_host, -1, RTE_ETHER_TYPE_IPV4);
	f_ip4(f, src, dst, IPPROTO_UDP, ttl, frag);
	f_udp(f, 4000, 53);
	f_payload(f, total - 28u);
	f_fin(f);
}

static void f_udp6(struct frame *f, const uint8_t *src, const uint8_t *dst, uint8_t hlim,
		   uint16_t total)
{
	f_eth(f, mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV6);
	f_ip6(f, src, dst, IPPROTO_UDP, hlim);
	f_udp(f, 4000, 53);
	f_payload(f, total - 48u);
	f_fin(f);
}

static void f_arp(struct frame *f, const uint8_t *dst, const uint8_t *src, uint16_t op,
		  const uint8_t *sha, uint32_t sip, const uint8_t *tha, uint32_t tip)
{
	f_eth(f, dst, src, -1, RTE_ETHER_TYPE_ARP);
	put16(f, RTE_ARP_HRD_ETHER);
	put16(f, RTE_ETHER_TYPE_IPV4);
	put8(f, 6);
	put8(f, 4);
	put16(f, op);
	put(f, sha, 6);
	put32(f, sip);
	put(f, tha, 6);
	put32(f, tip);
}

/* NS or NA with one link-layer address option (@p opt 0: none). */
static void f_nd(struct frame *f, const uint8_t *dmac, const uint8_t *smac, const uint8_t *src,
		 const uint8_t *dst, uint8_t hlim, uint8_t type, uint32_t flags,
		 const uint8_t *target, uint8_t opt, const uint8_t *lladdr)
{
	f_eth(f, dmac, smac, -1, RTE_ETHER_TYPE_IPV6);
	f_ip6(f, src, dst, IPPROTO_ICMPV6, hlim);
	f_icmp(f, type, 0, flags);
	put(f, target, 16);
	if (opt != 0) {
		put8(f, opt);
		put8(f, 1);
		put(f, lladdr, 6);
	}
	f_fin(f);
}

/* ---- mbufs, bursts, assertions ------------------------------------------ */

static struct rte_mbuf *mk(const struct frame *f, uint16_t in_port)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	assert_non_null(m);
	char *d = rte_pktmbuf_append(m, f->len);
	assert_non_null(d);
	memcpy(d, f->b, f->len);
	sl_pkt_meta(m)->in_port = in_port;
	sl_pkt_meta(m)->rx_tsc = RX_TSC;
	return m;
}

/* Frames @p f[0..n) arriving on @p in_port, parsed (all must pass). */
static void rx(struct rte_mbuf **pkts, const struct frame *f, uint16_t n, uint16_t in_port)
{
	for (uint16_t i = 0; i < n; i++)
		pkts[i] = mk(&f[i], in_port);
	assert_int_equal(sl_pkt_parse_burst(pkts, n, RX_TSC), n);
}

static struct rte_mbuf *rx1(const struct frame *f, uint16_t in_port)
{
	struct rte_mbuf *m;
	rx(&m, f, 1, in_port);
	return m;
}

static void free_all(struct rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
}

static void expect_drops(const struct sl_lcore_stats *st, const uint64_t want[SL_DROP_MAX])
{
	bool ok = true;
	for (unsigned r = 0; r < SL_DROP_MAX; r++) {
		if (st->drops[r] != want[r]) {
			print_error("drops[%s] = %" PRIu64 ", want %" PRIu64 "\n",
				    sl_drop_reason_label(r), st->drops[r], want[r]);
			ok = false;
		}
	}
	assert_true(ok);
}

static void expect_bytes(struct rte_mbuf *m, const struct frame *want)
{
	assert_int_equal(m->nb_segs, 1);
	assert_int_equal(rte_pktmbuf_pkt_len(m), want->len);
	assert_memory_equal(rte_pktmbuf_mtod(m, const uint8_t *), want->b, want->len);
}

/* The frame with its Ethernet header replaced (what the L2 rewrite makes). */
static void relink(struct frame *f, const uint8_t *dst, const uint8_t *src)
{
	struct frame g = *f;
	uint16_t l2 = g.l3;
	f_eth(f, dst, src, -1, g.ipv == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	put(f, g.b + l2, g.len - l2);
	f->l3 = 14;
	f->l4 = g.l4 ? (uint16_t)(g.l4 - l2 + 14) : 0;
	f->ipv = g.ipv;
	f->proto = g.proto;
}

/* What forwarding makes of an IPv4 frame: TTL - 1, checksum recomputed in full. */
static void ttl_dec(struct frame *f)
{
	uint8_t *ip = f->b + f->l3;
	ip[8]--;
	ip[10] = ip[11] = 0;
	uint16_t c = rte_ipv4_cksum((const struct rte_ipv4_hdr *)ip);
	memcpy(ip + 10, &c, 2);
}

static void tx_clear(void)
{
	for (unsigned i = 0; i < E.n_tx; i++)
		rte_pktmbuf_free(E.tx[i].m);
	E.n_tx = 0;
}

static void record_tx(void *arg, uint16_t port, struct rte_mbuf *m)
{
	(void)arg;
	if (E.n_tx == RTE_DIM(E.tx)) {
		rte_pktmbuf_free(m);
		fail_msg("more than %zu frames sent", RTE_DIM(E.tx));
	}
	E.tx[E.n_tx++] = (struct sent){port, m};
}

/* Hand whatever the workers punted to the management lcore. */
static unsigned pump(uint64_t now)
{
	void *m;
	unsigned n = 0;
	while (rte_ring_dequeue(E.ring, &m) == 0) {
		sl_ipstack_ctl_input(&E.c, tab_a, m, now);
		n++;
	}
	return n;
}

static struct sl_neigh_entry *neigh_put(uint16_t port, uint32_t addr_host, const uint8_t *mac,
					uint8_t state)
{
	struct sl_neigh_key k;
	sl_neigh_key_v4(&k, port, be32(addr_host));
	struct sl_neigh_entry *e = sl_neigh_get_or_create(E.nt, &k, 0);
	assert_non_null(e);
	sl_neigh_set(e, (const struct rte_ether_addr *)mac, state);
	return e;
}

static struct sl_neigh_entry *neigh_put6(uint16_t port, const uint8_t *addr, const uint8_t *mac,
					 uint8_t state)
{
	struct sl_neigh_key k;
	sl_neigh_key_v6(&k, port, addr);
	struct sl_neigh_entry *e = sl_neigh_get_or_create(E.nt, &k, 0);
	assert_non_null(e);
	sl_neigh_set(e, (const struct rte_ether_addr *)mac, state);
	return e;
}

static uint64_t neigh_word4(uint16_t port, uint32_t addr_host)
{
	struct sl_neigh_key k;
	sl_neigh_key_v4(&k, port, be32(addr_host));
	return sl_neigh_lookup(E.nt, &k);
}

static uint64_t mac64(const uint8_t *mac)
{
	uint64_t v = 0;
	memcpy(&v, mac, 6);
	return v;
}

/* ---- fixtures ----------------------------------------------------------- */

static struct sl_config *parse_cfg(const char *text)
{
	char *t = strdup(text), err[SL_CONFIG_ERR_MAX] = "";
	json_error_t je;
	for (char *p = t; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	json_t *j = json_loads(t, 0, &je);
	free(t);
	if (j == NULL)
		return NULL;
	struct sl_config *cfg = sl_config_parse(j, err, sizeof(err));
	json_decref(j);
	if (cfg == NULL)
		print_error("config: %s\n", err);
	return cfg;
}

static int group_setup(void **state)
{
	char *argv[] = {"test", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
			"--no-telemetry", "--log-level=lib.*:error"};
	char err[256] = "";
	const uint8_t *macs[3] = {mac_lan, mac_wan, mac_dmz};

	(void)state;
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		return -1;
	sl_log_set_level(SL_LOG_ERR);
	/* No per-lcore cache: rte_mempool_avail_count() is then exact. */
	pool = rte_pktmbuf_pool_create("test_ipstack", 2047, 0, SL_PKT_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	for (unsigned i = 0; i < 3; i++) {
		ids[i].port_id = (uint16_t)(10 + i);
		ids[i].mgmt_txq = 5;
		memcpy(ids[i].mac.addr_bytes, macs[i], 6);
	}
	cfg_a = parse_cfg(cfg_a_text);
	cfg_r = parse_cfg(cfg_r_text);
	if (pool == NULL || cfg_a == NULL || cfg_r == NULL)
		return -1;
	tab_a = sl_ipstack_tables_build(cfg_a, ids, 1, SOCKET_ID_ANY, err, sizeof(err));
	if (tab_a != NULL)
		tab_r = sl_ipstack_tables_build(cfg_r, ids, 2, SOCKET_ID_ANY, err, sizeof(err));
	if (tab_r == NULL)
		print_error("tables: %s\n", err);
	return tab_r == NULL ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	sl_ipstack_tables_free(tab_a);
	sl_ipstack_tables_free(tab_r);
	sl_config_free(cfg_a);
	sl_config_free(cfg_r);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return 0;
}

static int env_setup(void **state)
{
	static unsigned seq;
	char name[32];

	(void)state;
	avail_before = rte_mempool_avail_count(pool);
	memset(&wst, 0, sizeof(wst));
	memset(&cst, 0, sizeof(cst));
	snprintf(name, sizeof(name), "nt%u", seq);
	E.nt = sl_neigh_table_create(name, 64, SOCKET_ID_ANY, NULL, HZ);
	snprintf(name, sizeof(name), "punt%u", seq++);
	E.ring = rte_ring_create(name, 64, SOCKET_ID_ANY, RING_F_SC_DEQ);
	sl_ipstack_worker_init(&E.w, E.nt, E.ring, pool, &wst, HZ);
	E.w.t = tab_a;
	E.c = (struct sl_ipstack_ctl){.neigh = E.nt, .pool = pool, .st = &cst,
				      .tx = record_tx, .tsc_hz = HZ};
	E.n_tx = 0;
	return E.nt != NULL && E.ring != NULL ? 0 : -1;
}

/* Everything the test left behind is released; then no mbuf may be missing. */
static int env_teardown(void **state)
{
	void *m;

	(void)state;
	while (rte_ring_dequeue(E.ring, &m) == 0)
		rte_pktmbuf_free(m);
	tx_clear();
	sl_neigh_table_free(E.nt);
	rte_ring_free(E.ring);
	if (rte_mempool_avail_count(pool) == avail_before)
		return 0;
	print_error("%u mbufs not freed\n", avail_before - rte_mempool_avail_count(pool));
	return -1;
}

/* ---- 1. routing tables -------------------------------------------------- */

struct lookup_case {
	const char *addr;
	uint8_t type;
	uint16_t port;
	const char *gw; /* GATEWAY only */
};

static void check_lookup(const struct sl_ipstack_tables *t, const struct lookup_case *c)
{
	struct sl_addr a;
	uint32_t idx;

	assert_int_equal(sl_parse_addr(c->addr, &a), 0);
	idx = a.af == SL_AF_INET ? sl_ipstack_lookup4(t, rte_be_to_cpu_32(a.v4)) :
				   sl_ipstack_lookup6(t, a.v6);
	assert_true(idx < t->n_nexthops);
	const struct sl_nexthop *nh = &t->nexthops[idx];
	if (nh->type != c->type)
		fail_msg("%s: type %u, want %u", c->addr, nh->type, c->type);
	if (c->type == SL_NH_NONE) {
		assert_int_equal(idx, 0);
		return;
	}
	assert_int_not_equal(idx, 0);
	assert_int_equal(nh->af, a.af);
	if (c->type != SL_NH_BLACKHOLE && c->type != SL_NH_UNREACHABLE && nh->port != c->port)
		fail_msg("%s: port %u, want %u", c->addr, nh->port, c->port);
	if (c->type == SL_NH_GATEWAY) {
		struct sl_addr gw;
		assert_int_equal(sl_parse_addr(c->gw, &gw), 0);
		assert_int_equal(nh->gw.af, gw.af);
		assert_memory_equal(gw.af == SL_AF_INET ? (const void *)&gw.v4 : gw.v6,
				    gw.af == SL_AF_INET ? (const void *)&nh->gw.v4 : nh->gw.v6,
				    gw.af == SL_AF_INET ? 4 : 16);
	}
}

static const struct lookup_case cases_a[] = {
	{"10.1.0.1", SL_NH_LOCAL, LAN, NULL},
	{"10.2.0.1", SL_NH_LOCAL, WAN, NULL},
	{"10.1.0.255", SL_NH_BROADCAST, LAN, NULL},
	{"10.2.0.255", SL_NH_BROADCAST, WAN, NULL},
	{"10.1.0.0", SL_NH_CONNECTED, LAN, NULL},
	{"10.1.0.7", SL_NH_CONNECTED, LAN, NULL},
	{"10.1.0.254", SL_NH_CONNECTED, LAN, NULL},
	{"10.2.0.9", SL_NH_CONNECTED, WAN, NULL},
	{"172.16.0.0", SL_NH_GATEWAY, WAN, "10.2.0.2"},           /* /16 */
	{"172.16.255.255", SL_NH_GATEWAY, WAN, "10.2.0.2"},
	{"172.16.4.255", SL_NH_GATEWAY, WAN, "10.2.0.2"},
	{"172.16.5.0", SL_NH_CONNECTED, LAN, NULL},               /* /24 beats /16 */
	{"172.16.5.6", SL_NH_CONNECTED, LAN, NULL},
	{"172.16.5.7", SL_NH_GATEWAY, LAN, "10.1.0.9"},           /* /32 beats /24 */
	{"172.16.5.8", SL_NH_CONNECTED, LAN, NULL},
	{"172.16.5.255", SL_NH_CONNECTED, LAN, NULL},
	{"172.16.6.0", SL_NH_GATEWAY, WAN, "10.2.0.2"},
	{"192.0.2.77", SL_NH_BLACKHOLE, 0, NULL},
	{"198.51.100.1", SL_NH_UNREACHABLE, 0, NULL},
	{"10.3.0.1", SL_NH_NONE, 0, NULL},                        /* no default route */
	{"172.17.0.1", SL_NH_NONE, 0, NULL},
	{"172.15.255.255", SL_NH_NONE, 0, NULL},
	{"0.0.0.0", SL_NH_NONE, 0, NULL},
	{"255.255.255.255", SL_NH_NONE, 0, NULL},
	{"fd00:1::1", SL_NH_LOCAL, LAN, NULL},
	{"fd00:2::1", SL_NH_LOCAL, WAN, NULL},
	{"fe80::5054:ff:fe00:101", SL_NH_LOCAL, LAN, NULL},        /* EUI-64 of mac_lan */
	{"fe80::5054:ff:fe00:201", SL_NH_LOCAL, WAN, NULL},
	{"fe80::5054:ff:fe00:301", SL_NH_UNREACHABLE, 0, NULL},    /* no such port */
	{"fe80::1", SL_NH_UNREACHABLE, 0, NULL},
	{"febf:ffff::1", SL_NH_UNREACHABLE, 0, NULL},              /* end of fe80::/10 */
	{"fec0::1", SL_NH_GATEWAY, WAN, "fd00:2::2"},              /* past it: default */
	{"fd00:1::7", SL_NH_CONNECTED, LAN, NULL},
	{"fd00:1::ffff:ffff:ffff:ffff", SL_NH_CONNECTED, LAN, NULL},
	{"fd00:2::9", SL_NH_CONNECTED, WAN, NULL},
	{"fd00:99::1", SL_NH_GATEWAY, LAN, "fd00:1::99"},
	{"fd00:99:0:ffff::1", SL_NH_GATEWAY, LAN, "fd00:1::99"},
	{"fd00:98::1", SL_NH_GATEWAY, WAN, "fd00:2::2"},
	{"2001:db8::1", SL_NH_GATEWAY, WAN, "fd00:2::2"},
	{"2001:db8:dead::1", SL_NH_UNREACHABLE, 0, NULL},
	{"::", SL_NH_GATEWAY, WAN, "fd00:2::2"},
};

static void test_tables_lookup(void **state)
{
	const struct sl_ipstack_tables *t = tab_a;
	(void)state;

	for (unsigned i = 0; i < RTE_DIM(cases_a); i++)
		check_lookup(t, &cases_a[i]);
	/* Identical next hops are shared: 1 + 5 per port + fe80::/10 + 6 from routes. */
	assert_int_equal(t->n_nexthops, 18);
	assert_int_equal(t->nexthops[0].type, SL_NH_NONE);
	assert_int_equal(t->generation, 1);
	assert_int_equal(t->n_ports, 2);
	assert_int_equal(t->ports[WAN].port_id, 11);
	assert_int_equal(t->ports[WAN].mgmt_txq, 5);
	assert_int_equal(t->ports[LAN].mtu, 1500);
	assert_int_equal(t->ports[WAN].mtu, 1400);
	assert_memory_equal(t->ports[WAN].mac.addr_bytes, mac_wan, 6);
	assert_memory_equal(t->ports[LAN].ipv6_ll, a6("fe80::5054:ff:fe00:101").b, 16);

	uint32_t src = 0;
	uint8_t src6[16];
	assert_true(sl_ipstack_port_src4(&t->ports[WAN], &src));
	assert_int_equal(src, be32(IP4(10, 2, 0, 1)));
	sl_ipstack_port_src6(&t->ports[WAN], src6);
	assert_memory_equal(src6, a6("fd00:2::1").b, 16);
	assert_false(sl_ipstack_port_src4(&tab_r->ports[DMZ], &src));
	sl_ipstack_port_src6(&tab_r->ports[WAN], src6);   /* no global address */
	assert_memory_equal(src6, a6("fe80::5054:ff:fe00:201").b, 16);
}

static void test_tables_build_error(void **state)
{
	char err[256] = "";
	(void)state;
	/* The FIB names carry the generation: a second table of a live one's fails. */
	assert_null(sl_ipstack_tables_build(cfg_a, ids, 1, SOCKET_ID_ANY, err, sizeof(err)));
	assert_string_equal(err, "routes: cannot allocate the routing tables: File exists");
	sl_ipstack_tables_free(NULL);
}

static void test_link_local(void **state)
{
	static const uint8_t m1[6] = {0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x9c};
	static const uint8_t w1[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0,
				       0x02, 0x1b, 0x21, 0xff, 0xfe, 0x3a, 0x4f, 0x9c};
	static const uint8_t m2[6] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t w2[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0,
				       0xfc, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff};
	uint8_t out[16];
	(void)state;

	memset(out, 0xaa, sizeof(out));
	sl_ipstack_link_local((const struct rte_ether_addr *)m1, out);
	assert_memory_equal(out, w1, 16);
	memset(out, 0xaa, sizeof(out));
	sl_ipstack_link_local((const struct rte_ether_addr *)m2, out);
	assert_memory_equal(out, w2, 16);
}

static void test_routes_json(void **state)
{
	(void)state;
	json_t *j = sl_ipstack_routes_json(cfg_r);
	char *s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s,
		"[{\"prefix\":\"10.1.0.0/24\",\"type\":\"connected\",\"port\":\"lan\",\"source\":\"connected\"},"
		"{\"prefix\":\"fd00:1::/64\",\"type\":\"connected\",\"port\":\"lan\",\"source\":\"connected\"},"
		"{\"prefix\":\"10.2.0.0/24\",\"type\":\"connected\",\"port\":\"wan\",\"source\":\"connected\"},"
		"{\"prefix\":\"fd00:3::/64\",\"type\":\"connected\",\"port\":\"dmz\",\"source\":\"connected\"},"
		"{\"prefix\":\"0.0.0.0/0\",\"type\":\"unicast\",\"via\":\"10.2.0.2\",\"port\":\"wan\",\"source\":\"static\"},"
		"{\"prefix\":\"172.16.5.0/24\",\"type\":\"unicast\",\"port\":\"lan\",\"source\":\"static\"},"
		"{\"prefix\":\"192.0.2.0/24\",\"type\":\"blackhole\",\"source\":\"static\"},"
		"{\"prefix\":\"2001:db8::/32\",\"type\":\"unreachable\",\"source\":\"static\"},"
		"{\"prefix\":\"fd00:99::/48\",\"type\":\"unicast\",\"via\":\"fd00:3::2\",\"port\":\"dmz\",\"source\":\"static\"}]");
	free(s);
	json_decref(j);
}

/* Naive model: every prefix in a list, the longest match wins. */
struct ref_route {
	uint32_t net;  /* host order */
	uint8_t len, type;
	uint16_t port;
	uint32_t gw;   /* host order, GATEWAY only */
};

static uint32_t mask_of(uint8_t len)
{
	return len == 0 ? 0 : UINT32_MAX << (32 - len);
}

static const struct ref_route *ref_lookup(const struct ref_route *r, unsigned n, uint32_t a)
{
	const struct ref_route *best = NULL;
	for (unsigned i = 0; i < n; i++)
		if ((a & mask_of(r[i].len)) == r[i].net && (best == NULL || r[i].len > best->len))
			best = &r[i];
	return best;
}

static bool ref_has(const struct ref_route *r, unsigned n, uint32_t net, uint8_t len)
{
	for (unsigned i = 0; i < n; i++)
		if (r[i].net == net && r[i].len == len)
			return true;
	return false;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static char *ip4_str(uint32_t host, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", host >> 24, (host >> 16) & 255, (host >> 8) & 255,
		 host & 255);
	return buf;
}

/* One random route: a JSON object for the config, an entry for the model. */
static json_t *random_route(struct ref_route *r)
{
	char p[24], via[16];
	uint8_t len = (uint8_t)(rnd() % 33);
	uint32_t base = rnd() % 2 ? rnd() : (IP4(10, 0, 0, 0) | (rnd() & 0x0003ffff));
	uint16_t port = (uint16_t)(rnd() % 2);
	uint32_t gw = IP4(10, 1 + port, 0, 2 + rnd() % 252);

	r->net = base & mask_of(len);
	r->len = len;
	r->port = port;
	ip4_str(r->net, p);
	snprintf(p + strlen(p), sizeof(p) - strlen(p), "/%u", len);
	switch (rnd() % 4) {
	case 0:
		r->type = SL_NH_GATEWAY;
		r->gw = gw;
		return json_pack("{s:s, s:s}", "prefix", p, "via", ip4_str(gw, via));
	case 1:
		r->type = SL_NH_CONNECTED;
		return json_pack("{s:s, s:s}", "prefix", p, "port", port ? "wan" : "lan");
	case 2:
		r->type = SL_NH_BLACKHOLE;
		return json_pack("{s:s, s:s}", "prefix", p, "type", "blackhole");
	default:
		r->type = SL_NH_UNREACHABLE;
		return json_pack("{s:s, s:s}", "prefix", p, "type", "unreachable");
	}
}

static void test_tables_random(void **state)
{
	enum { N_ROUTES = 200, N_LOOKUPS = 5000 };
	static struct ref_route ref[6 + 1 + N_ROUTES];
	unsigned n = 0;
	char err[256] = "";
	(void)state;

	/* What the ports contribute, then a default route, then random ones. */
	for (uint16_t p = 0; p < 2; p++) {
		uint32_t net = IP4(10, 1 + p, 0, 0);
		ref[n++] = (struct ref_route){net, 24, SL_NH_CONNECTED, p, 0};
		ref[n++] = (struct ref_route){net | 1, 32, SL_NH_LOCAL, p, 0};
		ref[n++] = (struct ref_route){net | 255, 32, SL_NH_BROADCAST, p, 0};
	}
	ref[n++] = (struct ref_route){0, 0, SL_NH_GATEWAY, WAN, IP4(10, 2, 0, 2)};
	json_t *doc = json_pack("{s:[{s:s, s:s, s:[s]}, {s:s, s:s, s:[s]}], s:[{s:s, s:s}]}",
		"ports", "name", "lan", "device", "net_null0", "ipv4", "10.1.0.1/24",
		"name", "wan", "device", "net_null1", "ipv4", "10.2.0.1/24",
		"routes", "prefix", "0.0.0.0/0", "via", "10.2.0.2");
	json_t *routes = json_object_get(doc, "routes");
	while (n < RTE_DIM(ref)) {
		struct ref_route r;
		json_t *o = random_route(&r);
		if (ref_has(ref, n, r.net, r.len)) {
			json_decref(o);
			continue;
		}
		ref[n++] = r;
		json_array_append_new(routes, o);
	}
	struct sl_config *cfg = sl_config_parse(doc, err, sizeof(err));
	json_decref(doc);
	if (cfg == NULL)
		fail_msg("config: %s", err);
	assert_int_equal(cfg->n_routes, N_ROUTES + 1);
	struct sl_ipstack_tables *t = sl_ipstack_tables_build(cfg, ids, 3, SOCKET_ID_ANY, err,
							      sizeof(err));
	if (t == NULL)
		fail_msg("tables: %s", err);

	unsigned deep = 0;
	for (unsigned i = 0; i < N_LOOKUPS; i++) {
		/* Half the addresses fall inside a known prefix, to reach deep entries. */
		const struct ref_route *in = &ref[rnd() % n];
		uint32_t a = i % 2 ? rnd() : (in->net | (rnd() & ~mask_of(in->len)));
		const struct ref_route *want = ref_lookup(ref, n, a);
		const struct sl_nexthop *nh = &t->nexthops[sl_ipstack_lookup4(t, a)];
		char buf[16];
		deep += want->len > 24;
		if (nh->type != want->type ||
		    (want->type != SL_NH_BLACKHOLE && want->type != SL_NH_UNREACHABLE &&
		     nh->port != want->port) ||
		    (want->type == SL_NH_GATEWAY && nh->gw.v4 != be32(want->gw)))
			fail_msg("%s: got type %u port %u, want type %u port %u (prefix /%u)",
				 ip4_str(a, buf), nh->type, nh->port, want->type, want->port, want->len);
	}
	assert_true(deep > 100); /* the check reached prefixes past the tbl24 */
	sl_ipstack_tables_free(t);
	sl_config_free(cfg);
}

/* ---- 2. neighbor table -------------------------------------------------- */

static void test_neigh_table(void **state)
{
	static const uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
	struct sl_neigh_key k, k6, kp;
	(void)state;

	struct sl_neigh_table *t = sl_neigh_table_create("nt_basic", 16, SOCKET_ID_ANY, NULL, HZ);
	assert_non_null(t);
	assert_int_equal(t->capacity, 16);
	sl_neigh_key_v4(&k, LAN, be32(IP4(10, 1, 0, 5)));
	sl_neigh_key_v4(&kp, WAN, be32(IP4(10, 1, 0, 5)));
	uint8_t v6[16] = {10, 1, 0, 5};  /* same leading bytes, other family */
	sl_neigh_key_v6(&k6, LAN, v6);
	assert_int_equal(sl_neigh_lookup(t, &k), 0);
	assert_null(sl_neigh_get(t, &k));

	struct sl_neigh_entry *e = sl_neigh_get_or_create(t, &k, 1234);
	assert_non_null(e);
	assert_true(e->in_use);
	assert_memory_equal(&e->key, &k, sizeof(k));
	assert_int_equal(e->next_event_tsc, 1234);
	assert_int_equal(e->n_pending, 0);
	assert_int_equal(e->probes, 0);
	assert_int_equal(sl_neigh_lookup(t, &k), 1ull << 48); /* INCOMPLETE, no MAC */
	assert_ptr_equal(sl_neigh_get_or_create(t, &k, 9999), e);
	assert_int_equal(e->next_event_tsc, 1234);
	assert_ptr_equal(sl_neigh_get(t, &k), e);
	assert_int_equal(sl_neigh_lookup(t, &kp), 0);
	assert_int_equal(sl_neigh_lookup(t, &k6), 0);

	sl_neigh_set(e, (const struct rte_ether_addr *)mac, SL_NEIGH_REACHABLE);
	assert_int_equal(sl_neigh_lookup(t, &k), 0x0002554433221102ull);
	sl_neigh_set(e, (const struct rte_ether_addr *)mac, SL_NEIGH_STALE);
	assert_int_equal(sl_neigh_lookup(t, &k), 0x0003554433221102ull);
	assert_int_equal(SL_NEIGH_WORD_STATE(sl_neigh_lookup(t, &k)), SL_NEIGH_STALE);
	sl_neigh_set(e, NULL, SL_NEIGH_FAILED);
	assert_int_equal(sl_neigh_lookup(t, &k), 0x0004000000000000ull);
	assert_string_equal(sl_neigh_state_name(SL_NEIGH_NONE), "none");
	assert_string_equal(sl_neigh_state_name(SL_NEIGH_INCOMPLETE), "incomplete");
	assert_string_equal(sl_neigh_state_name(SL_NEIGH_REACHABLE), "reachable");
	assert_string_equal(sl_neigh_state_name(SL_NEIGH_STALE), "stale");
	assert_string_equal(sl_neigh_state_name(SL_NEIGH_FAILED), "failed");
	assert_string_equal(sl_neigh_state_name(SL_NEIGH_PERMANENT), "permanent");
	assert_string_equal(sl_neigh_state_name(SL_NEIGH_PERMANENT + 1), "unknown");

	/* Delete drops what waits as NEIGHBOR_FAILED. */
	e->pending[0] = rte_pktmbuf_alloc(pool);
	e->pending[1] = rte_pktmbuf_alloc(pool);
	e->n_pending = 2;
	sl_neigh_delete(t, e, &cst);
	expect_drops(&cst, DROPS([SL_DROP_NEIGHBOR_FAILED] = 2));
	assert_false(e->in_use);
	assert_int_equal(sl_neigh_lookup(t, &k), 0);
	assert_null(sl_neigh_get(t, &k));
	sl_neigh_table_free(t);
	sl_neigh_table_free(NULL);

	/* Full: 16 entries fit, the 17th does not. */
	t = sl_neigh_table_create("nt_full", 16, SOCKET_ID_ANY, NULL, HZ);
	assert_non_null(t);
	struct sl_neigh_key keys[17];
	for (unsigned i = 0; i < 17; i++)
		sl_neigh_key_v4(&keys[i], LAN, be32(IP4(10, 1, 1, i)));
	for (unsigned i = 0; i < 16; i++)
		assert_non_null(sl_neigh_get_or_create(t, &keys[i], i));
	assert_null(sl_neigh_get_or_create(t, &keys[16], 16));
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(sl_neigh_lookup(t, &keys[i]), 1ull << 48);
	assert_int_equal(sl_neigh_lookup(t, &keys[16]), 0);
	sl_neigh_table_free(t);
}

/*
 * Without a QSBR variable, a deleted key's slot must come back: a table of
 * 16 that never holds more than 8 entries at once must take entry after
 * entry as old ones are deleted (half full, so cuckoo placement never fails).
 */
static void test_neigh_delete_reuses_slot(void **state)
{
	struct sl_neigh_key k;
	unsigned refused = 0;
	(void)state;

	struct sl_neigh_table *t = sl_neigh_table_create("nt_reuse", 16, SOCKET_ID_ANY, NULL, HZ);
	assert_non_null(t);
	for (unsigned i = 0; i < 64; i++) {
		if (i >= 8) {
			sl_neigh_key_v4(&k, LAN, be32(IP4(10, 1, 1, i - 8)));
			struct sl_neigh_entry *old = sl_neigh_get(t, &k);
			if (old != NULL)
				sl_neigh_delete(t, old, &cst);
		}
		sl_neigh_key_v4(&k, LAN, be32(IP4(10, 1, 1, i)));
		refused += sl_neigh_get_or_create(t, &k, 0) == NULL;
	}
	sl_neigh_table_free(t);
	assert_int_equal(refused, 0);
}

static void test_neigh_json(void **state)
{
	static const char *const names[] = {"lan", "wan"};
	(void)state;

	struct sl_neigh_entry *a = neigh_put(LAN, IP4(10, 1, 0, 7), mac_host, SL_NEIGH_REACHABLE);
	a->confirmed_tsc = 2 * HZ;
	struct sl_neigh_key k;
	sl_neigh_key_v6(&k, WAN, a6("fd00:2::9").b);
	struct sl_neigh_entry *b = sl_neigh_get_or_create(E.nt, &k, 0);
	assert_non_null(b);
	b->pending[0] = rte_pktmbuf_alloc(pool); /* released by the table */
	b->n_pending = 1;
	neigh_put(WAN, IP4(10, 2, 0, 2), mac_gw, SL_NEIGH_STALE); /* never confirmed */
	neigh_put(WAN, IP4(10, 2, 0, 3), mac_gw, SL_NEIGH_FAILED);

	json_t *j = sl_neigh_table_json(E.nt, names, 4 * HZ + HZ / 2);
	char *s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s,
		"[{\"port\":\"lan\",\"family\":\"ipv4\",\"address\":\"10.1.0.7\","
		"\"mac\":\"02:11:22:33:44:55\",\"pending\":0,\"age_seconds\":2.5,\"state\":\"reachable\"},"
		"{\"port\":\"wan\",\"family\":\"ipv6\",\"address\":\"fd00:2::9\","
		"\"pending\":1,\"age_seconds\":0.0,\"state\":\"incomplete\"},"
		"{\"port\":\"wan\",\"family\":\"ipv4\",\"address\":\"10.2.0.2\","
		"\"mac\":\"02:00:00:00:00:02\",\"pending\":0,\"age_seconds\":0.0,\"state\":\"stale\"},"
		"{\"port\":\"wan\",\"family\":\"ipv4\",\"address\":\"10.2.0.3\","
		"\"pending\":0,\"age_seconds\":0.0,\"state\":\"failed\"}]");
	free(s);
	json_decref(j);
}

/* ---- 3. worker stages --------------------------------------------------- */

static void test_input_burst(void **state)
{
	static const uint8_t mc_v4[6] = {0x01, 0x00, 0x5e, 0x01, 0x02, 0x03};
	static const uint8_t mc_ospf[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x05};
	static const uint8_t mc_v6[6] = {0x33, 0x33, 0x00, 0x01, 0x00, 0x02};
	static const uint8_t mc_sn[6] = {0x33, 0x33, 0xff, 0x00, 0x00, 0x01};
	struct frame f[11];
	struct rte_mbuf *pkts[11], *ring_out[4];
	(void)state;

	f_udp4(&f[0], mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 64, 0, 100);        /* keep */
	f_udp4(&f[1], mac_other, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 64, 0, 100);      /* other MAC */
	f_arp(&f[2], mac_bcast, mac_host, 1, mac_host, IP4(10, 1, 0, 7), mac_zero, IP4(10, 1, 0, 1));
	f_nd(&f[3], mc_sn, mac_host, a6("fd00:1::7").b, a6("ff02::1:ff00:1").b, 255, 135, 0,
	     a6("fd00:1::1").b, 1, mac_host);
	f_udp4(&f[4], mc_v4, IP4(10, 1, 0, 7), IP4(239, 1, 2, 3), 64, 0, 100);
	f_udp4(&f[5], mc_ospf, IP4(10, 1, 0, 7), IP4(224, 0, 0, 5), 1, 0, 100);
	f_udp6(&f[6], a6("fe80::7").b, a6("ff02::1:2").b, 1, 100);
	memcpy(f[6].b, mc_v6, 6);
	f_udp6(&f[7], a6("fd00:1::7").b, a6("ff05::1:3").b, 64, 100); /* our MAC, group IP */
	f_udp6(&f[8], a6("fd00:1::7").b, a6("fd00:2::9").b, 64, 100);                 /* keep */
	f_udp4(&f[9], mac_bcast, IP4(10, 1, 0, 7), IP4(255, 255, 255, 255), 64, 0, 100);
	f_udp4(&f[10], mac_lan, IP4(10, 1, 0, 7), IP4(10, 1, 0, 1), 64, 0, 100);       /* keep */
	rx(pkts, f, 11, LAN);
	struct rte_mbuf *keep[3] = {pkts[0], pkts[8], pkts[10]};
	struct rte_mbuf *punted[2] = {pkts[2], pkts[3]};

	assert_int_equal(sl_ipstack_input_burst(&E.w, pkts, 11, 1000), 3);
	assert_memory_equal(pkts, keep, sizeof(keep));
	assert_int_equal(rte_ring_count(E.ring), 2);
	assert_int_equal(rte_ring_dequeue_burst(E.ring, (void **)ring_out, 4, NULL), 2);
	assert_memory_equal(ring_out, punted, sizeof(punted));
	assert_int_equal(wst.punted, 2);
	expect_drops(&wst, DROPS([SL_DROP_L2_OTHER_HOST] = 1, [SL_DROP_MULTICAST] = 3,
				 [SL_DROP_LINK_LOCAL_MULTICAST] = 2));
	free_all(ring_out, 2);
	free_all(pkts, 3);
}

static void test_punt_ring_full(void **state)
{
	struct frame f;
	struct rte_mbuf *pkts[5];
	struct rte_ring *small = rte_ring_create("punt_small", 4, SOCKET_ID_ANY, RING_F_SC_DEQ);
	(void)state;

	assert_non_null(small);
	E.w.punt = small;
	f_arp(&f, mac_bcast, mac_host, 1, mac_host, IP4(10, 1, 0, 7), mac_zero, IP4(10, 1, 0, 1));
	for (unsigned i = 0; i < 5; i++)
		pkts[i] = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_input_burst(&E.w, pkts, 5, 0), 0);
	assert_int_equal(wst.punted, 3); /* a ring of 4 holds 3 */
	expect_drops(&wst, DROPS([SL_DROP_PUNT_RING_FULL] = 2));
	assert_int_equal(rte_ring_dequeue_burst(small, (void **)pkts, 5, NULL), 3);
	free_all(pkts, 3);
	rte_ring_free(small);
}

/* The L2 rewrite towards a neighbor: whole frame, meta updated. */
static void expect_rewritten(struct rte_mbuf *m, const struct frame *ip_frame,
			     const uint8_t *dst, const uint8_t *src)
{
	struct frame want = *ip_frame;
	relink(&want, dst, src);
	expect_bytes(m, &want);
	assert_int_equal(sl_pkt_meta(m)->l2_len, 14);
	assert_int_equal(sl_pkt_meta(m)->flags & SL_PKT_F_VLAN, 0);
}

static void test_echo4(void **state)
{
	struct frame req, rep;
	(void)state;

	f_eth(&req, mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV4);
	f_ip4(&req, IP4(10, 1, 0, 7), IP4(10, 2, 0, 1), IPPROTO_ICMP, 5, 0x4000);
	f_icmp(&req, 8, 0, 0x12340007);
	f_payload(&req, 56);
	f_fin(&req);
	/* What a correct host would answer. */
	f_eth(&rep, mac_host, mac_lan, -1, RTE_ETHER_TYPE_IPV4);
	f_ip4(&rep, IP4(10, 2, 0, 1), IP4(10, 1, 0, 7), IPPROTO_ICMP, 64, 0x4000);
	f_icmp(&rep, 0, 0, 0x12340007);
	f_payload(&rep, 56);
	f_fin(&rep);

	struct rte_mbuf *m = rx1(&req, LAN);
	assert_int_equal(sl_ipstack_input_burst(&E.w, &m, 1, 0), 1);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 1);
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	assert_int_equal(meta->out_port, LAN);
	assert_int_equal(meta->nh_index, sl_ipstack_lookup4(tab_a, IP4(10, 1, 0, 7)));
	struct rte_ipv4_hdr *ip = sl_pkt_ipv4(m);
	assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
	assert_int_equal(rte_raw_cksum(sl_pkt_l4(m), 64), 0xffff);
	assert_memory_equal(ip, rep.b + rep.l3, rep.len - rep.l3);

	neigh_put(LAN, IP4(10, 1, 0, 7), mac_host, SL_NEIGH_REACHABLE);
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, &m, 1, 0), 1);
	expect_bytes(m, &rep);
	expect_drops(&wst, NO_DROPS);
	assert_int_equal(wst.icmp_errors_sent, 0);
	rte_pktmbuf_free(m);
}

static void test_echo6(void **state)
{
	struct frame req, rep;
	uint8_t h[16], u[16];
	(void)state;

	memcpy(h, a6("fd00:1::7").b, 16);
	memcpy(u, a6("fd00:2::1").b, 16);
	f_eth(&req, mac_lan, mac_host, 7, RTE_ETHER_TYPE_IPV6); /* tagged: untagged reply */
	f_ip6(&req, h, u, IPPROTO_ICMPV6, 3);
	f_icmp(&req, 128, 0, 0xbeef0001);
	f_payload(&req, 40);
	f_fin(&req);
	f_eth(&rep, mac_host, mac_lan, -1, RTE_ETHER_TYPE_IPV6);
	f_ip6(&rep, u, h, IPPROTO_ICMPV6, 64);
	f_icmp(&rep, 129, 0, 0xbeef0001);
	f_payload(&rep, 40);
	f_fin(&rep);

	struct rte_mbuf *m = rx1(&req, LAN);
	assert_int_equal(sl_ipstack_input_burst(&E.w, &m, 1, 0), 1);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 1);
	assert_int_equal(sl_pkt_meta(m)->out_port, LAN);
	struct rte_ipv6_hdr *ip = sl_pkt_ipv6(m);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(ip, sl_pkt_l4(m)), 0);
	assert_memory_equal(ip, rep.b + rep.l3, rep.len - rep.l3);
	neigh_put6(LAN, h, mac_host, SL_NEIGH_STALE); /* stale is usable */
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, &m, 1, 0), 1);
	expect_bytes(m, &rep);
	assert_int_equal(sl_pkt_meta(m)->l2_len, 14);
	expect_drops(&wst, NO_DROPS);
	rte_pktmbuf_free(m);
}

/* TTL decrement on many headers: the incremental checksum equals a full one. */
static void test_forward4_ttl(void **state)
{
	enum { N = 32, ROUNDS = 16 };
	struct frame f[N];
	struct rte_mbuf *pkts[N];
	(void)state;

	neigh_put(WAN, IP4(10, 2, 0, 9), mac_nbr, SL_NEIGH_REACHABLE);
	for (unsigned r = 0; r < ROUNDS; r++) {
		for (unsigned i = 0; i < N; i++) {
			uint8_t ttl = (uint8_t)(2 + rnd() % 254);
			f_udp4(&f[i], mac_lan, IP4(10, 1, 0, 2 + rnd() % 250), IP4(10, 2, 0, 9), ttl,
			       (uint16_t)(rnd() & 0x4000), (uint16_t)(28 + rnd() % 200));
			f[i].b[f[i].l3 + 1] = (uint8_t)rnd();           /* TOS */
			wr16(&f[i], f[i].l3 + 4, (uint16_t)rnd());      /* id */
			f_fin(&f[i]);
		}
		rx(pkts, f, N, LAN);
		assert_int_equal(sl_ipstack_input_burst(&E.w, pkts, N, 0), N);
		assert_int_equal(sl_ipstack_route_burst(&E.w, pkts, N, 0), N);
		for (unsigned i = 0; i < N; i++) {
			struct rte_ipv4_hdr *ip = sl_pkt_ipv4(pkts[i]);
			struct frame want = f[i];
			uint16_t full;
			ttl_dec(&want);
			memcpy(&full, want.b + want.l3 + 10, 2);
			assert_int_equal(ip->hdr_checksum, full);
			assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
			assert_int_equal(sl_pkt_meta(pkts[i])->out_port, WAN);
			assert_memory_equal(ip, want.b + want.l3, want.len - want.l3);
		}
		assert_int_equal(sl_ipstack_neighbor_burst(&E.w, pkts, N, 0), N);
		free_all(pkts, N);
	}
	expect_drops(&wst, NO_DROPS);
}

static void test_forward4(void **state)
{
	struct frame f[4];
	struct rte_mbuf *pkts[4];
	(void)state;

	f_udp4(&f[0], mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 2, 0, 100);     /* TTL 2 -> 1 */
	f_udp4(&f[1], mac_lan, IP4(10, 1, 0, 7), IP4(172, 16, 1, 1), 64, 0, 100);   /* gateway */
	f_udp4(&f[2], mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 64, 0x4000, 1400); /* = MTU */
	f_eth(&f[3], mac_lan, mac_host, 0x0064, RTE_ETHER_TYPE_IPV4);               /* VLAN 100 */
	f_ip4(&f[3], IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), IPPROTO_UDP, 9, 0);
	f_udp(&f[3], 1, 2);
	f_payload(&f[3], 30);
	f_fin(&f[3]);
	rx(pkts, f, 4, LAN);
	assert_int_equal(sl_pkt_meta(pkts[3])->l2_len, 18);
	assert_int_equal(sl_ipstack_input_burst(&E.w, pkts, 4, 0), 4);
	assert_int_equal(sl_ipstack_route_burst(&E.w, pkts, 4, 0), 4);
	for (unsigned i = 0; i < 4; i++) {
		ttl_dec(&f[i]);
		assert_int_equal(sl_pkt_meta(pkts[i])->out_port, WAN);
	}
	assert_int_equal(sl_pkt_meta(pkts[1])->nh_index, sl_ipstack_lookup4(tab_a, IP4(172, 16, 1, 1)));
	neigh_put(WAN, IP4(10, 2, 0, 9), mac_nbr, SL_NEIGH_REACHABLE);
	neigh_put(WAN, IP4(10, 2, 0, 2), mac_gw, SL_NEIGH_REACHABLE);
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, pkts, 4, 0), 4);
	expect_rewritten(pkts[0], &f[0], mac_nbr, mac_wan);
	expect_rewritten(pkts[1], &f[1], mac_gw, mac_wan);
	expect_rewritten(pkts[2], &f[2], mac_nbr, mac_wan);
	expect_rewritten(pkts[3], &f[3], mac_nbr, mac_wan); /* tag gone */
	expect_drops(&wst, NO_DROPS);
	assert_int_equal(wst.icmp_errors_sent, 0);
	free_all(pkts, 4);
}

static void test_forward6(void **state)
{
	struct frame f[2];
	struct rte_mbuf *pkts[2];
	uint8_t nbr[16];
	(void)state;

	memcpy(nbr, a6("fd00:2::2").b, 16);
	f_udp6(&f[0], a6("fd00:1::7").b, a6("2001:db8::5").b, 2, 200);   /* default route */
	f_udp6(&f[1], a6("fd00:1::7").b, a6("fd00:2::9").b, 64, 1400);   /* = MTU */
	rx(pkts, f, 2, LAN);
	assert_int_equal(sl_ipstack_input_burst(&E.w, pkts, 2, 0), 2);
	assert_int_equal(sl_ipstack_route_burst(&E.w, pkts, 2, 0), 2);
	f[0].b[f[0].l3 + 7]--;
	f[1].b[f[1].l3 + 7]--;
	neigh_put6(WAN, nbr, mac_gw, SL_NEIGH_REACHABLE);
	neigh_put6(WAN, a6("fd00:2::9").b, mac_nbr, SL_NEIGH_REACHABLE);
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, pkts, 2, 0), 2);
	expect_rewritten(pkts[0], &f[0], mac_gw, mac_wan);
	expect_rewritten(pkts[1], &f[1], mac_nbr, mac_wan);
	expect_drops(&wst, NO_DROPS);
	free_all(pkts, 2);
}

/* Too big without DF: routed, then cut by the management lcore (RFC 791). */
static void test_fragment4(void **state)
{
	static const struct {
		uint16_t off, len, frag; /* payload bytes; the IPv4 flags/offset field */
	} pieces[] = {{0, 1376, 0x2000}, {1376, 5, 1376 / 8}};
	struct frame f, want;
	(void)state;

	f_udp4(&f, mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 64, 0, 1401);
	struct rte_mbuf *m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 0);
	assert_int_equal(wst.punted, 1);
	expect_drops(&wst, NO_DROPS);
	assert_int_equal(wst.icmp_errors_sent, 0);
	neigh_put(WAN, IP4(10, 2, 0, 9), mac_nbr, SL_NEIGH_REACHABLE);
	assert_int_equal(pump(HZ), 1);
	assert_int_equal(E.n_tx, 2);
	assert_int_equal(cst.ipv4_fragmented, 1);
	assert_int_equal(cst.ipv4_fragments, 2);
	/* 1381 payload bytes: 1376 (the largest multiple of 8 that fits), then 5. */
	for (unsigned i = 0; i < RTE_DIM(pieces); i++) {
		f_eth(&want, mac_nbr, mac_wan, -1, RTE_ETHER_TYPE_IPV4);
		f_ip4(&want, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), IPPROTO_UDP, 63, pieces[i].frag);
		want.l4 = 0;
		put(&want, f.b + f.l4 + pieces[i].off, pieces[i].len);
		f_fin(&want);
		assert_int_equal(E.tx[i].port, WAN);
		expect_bytes(E.tx[i].m, &want);
	}
	expect_drops(&cst, NO_DROPS);
}

/* An ICMP error from sluice about @p orig (the frame as sent). */
static void expect_icmp4(struct rte_mbuf *e, const struct frame *orig, uint8_t type,
			 uint8_t code, uint16_t mtu)
{
	const uint8_t *o = orig->b + orig->l3;
	uint32_t olen = (uint32_t)(orig->len - orig->l3);
	uint16_t quote = (uint16_t)RTE_MIN(olen, 576u - 28u);
	struct frame want;
	uint32_t src, dst;

	memcpy(&dst, o + 12, 4);
	f_eth(&want, mac_zero, mac_zero, -1, RTE_ETHER_TYPE_IPV4);
	f_ip4(&want, IP4(10, 1, 0, 1), rte_be_to_cpu_32(dst), IPPROTO_ICMP, 64, 0);
	want.b[want.l3 + 1] = 0xc0; /* internetwork control */
	wr16(&want, want.l3 + 4, 0);
	f_icmp(&want, type, code, mtu);
	put(&want, o, quote);
	f_fin(&want);
	assert_true(want.len - want.l3 <= 576);

	struct sl_pkt_meta *meta = sl_pkt_meta(e);
	assert_int_equal(meta->l3_type, SL_L3_IPV4);
	assert_int_equal(meta->l2_len, 14);
	assert_int_equal(meta->l3_len, 20);
	assert_int_equal(meta->l4_proto, IPPROTO_ICMP);
	assert_int_equal(meta->ip_len, want.len - want.l3);
	assert_int_equal(meta->in_port, LAN);
	assert_int_equal(meta->rx_tsc, RX_TSC);
	assert_int_equal(meta->out_port, LAN);
	assert_int_equal(meta->nh_index, sl_ipstack_lookup4(tab_a, rte_be_to_cpu_32(dst)));
	const uint8_t *ip = rte_pktmbuf_mtod_offset(e, const uint8_t *, 14);
	assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
	assert_int_equal(rte_raw_cksum(ip + 20, 8u + quote), 0xffff);
	memcpy(&src, ip + 12, 4);
	assert_int_equal(src, be32(IP4(10, 1, 0, 1)));
	expect_bytes(e, &want);
}

static void expect_icmp6(struct rte_mbuf *e, const struct frame *orig, uint8_t type,
			 uint8_t code, uint32_t info)
{
	const uint8_t *o = orig->b + orig->l3;
	uint32_t olen = (uint32_t)(orig->len - orig->l3);
	uint16_t quote = (uint16_t)RTE_MIN(olen, 1280u - 48u);
	uint8_t src[16], dst[16];
	struct frame want;

	memcpy(src, a6("fd00:1::1").b, 16);
	memcpy(dst, o + 8, 16);
	f_eth(&want, mac_zero, mac_zero, -1, RTE_ETHER_TYPE_IPV6);
	f_ip6(&want, src, dst, IPPROTO_ICMPV6, 64);
	f_icmp(&want, type, code, info);
	put(&want, o, quote);
	f_fin(&want);
	assert_true(want.len - want.l3 <= 1280);

	struct sl_pkt_meta *meta = sl_pkt_meta(e);
	assert_int_equal(meta->l3_type, SL_L3_IPV6);
	assert_int_equal(meta->l3_len, 40);
	assert_int_equal(meta->l4_proto, IPPROTO_ICMPV6);
	assert_int_equal(meta->ip_len, want.len - want.l3);
	assert_int_equal(meta->out_port, LAN);
	const struct sl_nexthop *nh = &tab_a->nexthops[meta->nh_index];
	assert_true(nh->type == SL_NH_CONNECTED || nh->type == SL_NH_GATEWAY);
	assert_int_equal(nh->port, LAN);
	if (!(dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80))
		assert_int_equal(meta->nh_index, sl_ipstack_lookup6(tab_a, dst));
	const struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(e, const struct rte_ipv6_hdr *, 14);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(ip, ip + 1), 0);
	expect_bytes(e, &want);
}

struct err_case {
	uint32_t dst;
	uint8_t proto, ttl;
	uint16_t frag, total;
	uint8_t want_type, want_code; /* 0xff: no error */
	uint16_t mtu;
	enum sl_drop_reason reason;
};

static void test_errors4(void **state)
{
	static const struct err_case cases[] = {
		{IP4(10, 2, 0, 9), IPPROTO_UDP, 1, 0, 100, 11, 0, 0, SL_DROP_TTL_EXCEEDED},
		{IP4(10, 2, 0, 9), IPPROTO_UDP, 0, 0, 100, 11, 0, 0, SL_DROP_TTL_EXCEEDED},
		{IP4(203, 0, 113, 5), IPPROTO_UDP, 64, 0, 100, 3, 0, 0, SL_DROP_NO_ROUTE},
		{IP4(198, 51, 100, 1), IPPROTO_UDP, 64, 0, 100, 3, 1, 0, SL_DROP_NO_ROUTE},
		{IP4(10, 2, 0, 9), IPPROTO_UDP, 64, 0x4000, 1401, 3, 4, 1400, SL_DROP_MTU_EXCEEDED},
		{IP4(10, 2, 0, 9), IPPROTO_UDP, 64, 0x4000, 1400, 0, 0, 0, SL_DROP_MAX}, /* passes */
		{IP4(10, 1, 0, 1), IPPROTO_UDP, 64, 0, 100, 3, 3, 0, SL_DROP_LOCAL_UNHANDLED},
		{IP4(10, 2, 0, 1), IPPROTO_GRE, 64, 0, 100, 0xff, 0, 0, SL_DROP_LOCAL_UNHANDLED},
		{IP4(192, 0, 2, 1), IPPROTO_UDP, 64, 0, 100, 0xff, 0, 0, SL_DROP_BLACKHOLE},
		{IP4(10, 1, 0, 255), IPPROTO_UDP, 64, 0, 100, 0xff, 0, 0, SL_DROP_MULTICAST},
		{IP4(10, 2, 0, 255), IPPROTO_UDP, 64, 0, 100, 0xff, 0, 0, SL_DROP_MULTICAST},
	};
	(void)state;

	for (unsigned i = 0; i < RTE_DIM(cases); i++) {
		const struct err_case *c = &cases[i];
		struct frame f;
		uint64_t before = c->reason < SL_DROP_MAX ? wst.drops[c->reason] : 0;
		f_eth(&f, mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV4);
		f_ip4(&f, IP4(10, 1, 0, 7), c->dst, c->proto, c->ttl, c->frag);
		if (c->proto == IPPROTO_UDP)
			f_udp(&f, 4000, 53);
		f_payload(&f, c->total - (f.len - f.l3));
		f_fin(&f);
		struct rte_mbuf *m = rx1(&f, LAN);
		uint16_t n = sl_ipstack_route_burst(&E.w, &m, 1, 0);
		if (c->reason == SL_DROP_MAX) {
			assert_int_equal(n, 1);
			assert_int_equal(rte_pktmbuf_pkt_len(m), f.len);
		} else if (c->want_type == 0xff) {
			assert_int_equal(n, 0);
		} else {
			if (n != 1)
				fail_msg("case %u: no ICMP error", i);
			expect_icmp4(m, &f, c->want_type, c->want_code, c->mtu);
		}
		if (n)
			rte_pktmbuf_free(m);
		if (c->reason != SL_DROP_MAX && wst.drops[c->reason] != before + 1)
			fail_msg("case %u: not counted as %s", i, sl_drop_reason_label(c->reason));
	}
	expect_drops(&wst, DROPS([SL_DROP_TTL_EXCEEDED] = 2, [SL_DROP_NO_ROUTE] = 2,
				 [SL_DROP_MTU_EXCEEDED] = 1, [SL_DROP_LOCAL_UNHANDLED] = 2,
				 [SL_DROP_BLACKHOLE] = 1, [SL_DROP_MULTICAST] = 2));
	assert_int_equal(wst.icmp_errors_sent, 6);
	assert_int_equal(wst.icmp_errors_ratelimited, 0);
}

static void test_bad_sources(void **state)
{
	static const uint32_t srcs[] = {0, IP4(127, 0, 0, 1), IP4(224, 0, 0, 9),
					IP4(239, 255, 255, 255), UINT32_MAX};
	struct rte_mbuf *pkts[RTE_DIM(srcs) + 1];
	struct frame f;
	(void)state;

	for (unsigned i = 0; i < RTE_DIM(srcs); i++) {
		f_udp4(&f, mac_lan, srcs[i], IP4(10, 2, 0, 9), 64, 0, 60);
		pkts[i] = rx1(&f, LAN);
	}
	f_udp6(&f, a6("ff0e::1").b, a6("fd00:2::9").b, 64, 60);
	pkts[RTE_DIM(srcs)] = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, pkts, RTE_DIM(pkts), 0), 0);
	expect_drops(&wst, DROPS([SL_DROP_IPV4_BAD_SOURCE] = 5, [SL_DROP_IPV6_BAD_SOURCE] = 1));
	assert_int_equal(wst.icmp_errors_sent, 0);
}

static void test_errors6(void **state)
{
	struct frame f;
	struct rte_mbuf *m;
	(void)state;

	/* Hop limit: 1 is refused (time exceeded), 2 passes as 1. */
	f_udp6(&f, a6("fd00:1::7").b, a6("fd00:2::9").b, 1, 100);
	m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 1);
	expect_icmp6(m, &f, 3, 0, 0);
	rte_pktmbuf_free(m);
	/* One byte over the wan MTU: packet too big, quoting up to 1280 bytes. */
	f_udp6(&f, a6("fd00:1::7").b, a6("fd00:2::9").b, 64, 1401);
	m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 1);
	expect_icmp6(m, &f, 2, 0, 1400);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 14 + 1280);
	rte_pktmbuf_free(m);
	/* Unreachable route, and UDP to us (port unreachable). */
	f_udp6(&f, a6("fd00:1::7").b, a6("2001:db8:dead::1").b, 64, 100);
	m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 1);
	expect_icmp6(m, &f, 1, 0, 0);
	rte_pktmbuf_free(m);
	f_udp6(&f, a6("fd00:1::7").b, a6("fd00:2::1").b, 64, 100);
	m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 1);
	expect_icmp6(m, &f, 1, 4, 0);
	rte_pktmbuf_free(m);
	/* A link-local destination is never forwarded, silently. */
	f_udp6(&f, a6("fd00:1::7").b, a6("fe80::9").b, 64, 100);
	m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 0);
	expect_drops(&wst, DROPS([SL_DROP_TTL_EXCEEDED] = 1, [SL_DROP_MTU_EXCEEDED] = 1,
				 [SL_DROP_NO_ROUTE] = 2, [SL_DROP_LOCAL_UNHANDLED] = 1));
	assert_int_equal(wst.icmp_errors_sent, 4);
}

/* RFC 1812 / RFC 4443: no error about an error or a non-first fragment. */
static void test_no_error_about_errors(void **state)
{
	struct frame f[8];
	struct rte_mbuf *pkts[8];
	uint8_t host[16], nbr[16];
	(void)state;

	memcpy(host, a6("fd00:1::7").b, 16);
	memcpy(nbr, a6("fd00:2::9").b, 16);
	/* TTL 1 everywhere: only the echo request and the first fragments earn an error. */
	f_eth(&f[0], mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV4);
	f_ip4(&f[0], IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), IPPROTO_ICMP, 1, 0);
	f_icmp(&f[0], 3, 3, 0);              /* an error */
	f_payload(&f[0], 28);
	f_fin(&f[0]);
	f_eth(&f[1], mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV4);
	f_ip4(&f[1], IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), IPPROTO_ICMP, 1, 0);
	f_icmp(&f[1], 8, 0, 0x00010001);     /* echo request: answered */
	f_fin(&f[1]);
	f_eth(&f[2], mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV4);
	f_ip4(&f[2], IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), IPPROTO_UDP, 1, 100); /* offset 800 */
	f[2].l4 = 0;
	f_payload(&f[2], 40);
	f_fin(&f[2]);
	f_udp4(&f[3], mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 1, 0x2000, 60); /* MF, first */
	f_eth(&f[4], mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV6);
	f_ip6(&f[4], host, nbr, IPPROTO_ICMPV6, 1);
	f_icmp(&f[4], 1, 4, 0);              /* an ICMPv6 error */
	f_payload(&f[4], 48);
	f_fin(&f[4]);
	f_eth(&f[5], mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV6);
	f_ip6(&f[5], host, nbr, IPPROTO_ICMPV6, 1);
	f_icmp(&f[5], 128, 0, 0x00020002);   /* echo request: answered */
	f_fin(&f[5]);
	f_eth(&f[6], mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV6);
	f_ip6(&f[6], host, nbr, IPPROTO_FRAGMENT, 1);
	f_frag6(&f[6], IPPROTO_UDP, 100, false);
	f_payload(&f[6], 40);
	f_fin(&f[6]);
	f_eth(&f[7], mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV6);
	f_ip6(&f[7], host, nbr, IPPROTO_FRAGMENT, 1);
	f_frag6(&f[7], IPPROTO_UDP, 0, true);
	f_udp(&f[7], 1, 2);
	f_payload(&f[7], 40);
	f_fin(&f[7]);
	rx(pkts, f, 8, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, pkts, 8, 0), 4);
	expect_icmp4(pkts[0], &f[1], 11, 0, 0);
	expect_icmp4(pkts[1], &f[3], 11, 0, 0);
	expect_icmp6(pkts[2], &f[5], 3, 0, 0);
	expect_icmp6(pkts[3], &f[7], 3, 0, 0);
	expect_drops(&wst, DROPS([SL_DROP_TTL_EXCEEDED] = 8));
	assert_int_equal(wst.icmp_errors_sent, 4);
	free_all(pkts, 4);
}

/* sl_icmp_error_build's refusals, called directly. */
static void test_icmp_error_build_rules(void **state)
{
	struct frame f;
	struct rte_mbuf *m, *e;
	(void)state;

	f_udp4(&f, mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 64, 0, 60);
	m = rx1(&f, LAN);
	e = sl_icmp_error_build(pool, tab_a, m, 11, 0, 0);  /* the positive control */
	assert_non_null(e);
	rte_pktmbuf_free(e);
	sl_pkt_meta(m)->flags |= SL_PKT_F_L2_BCAST;
	assert_null(sl_icmp_error_build(pool, tab_a, m, 11, 0, 0));
	sl_pkt_meta(m)->flags &= (uint8_t)~SL_PKT_F_L2_BCAST;
	sl_pkt_meta(m)->flags |= SL_PKT_F_L2_MCAST;
	assert_null(sl_icmp_error_build(pool, tab_a, m, 11, 0, 0));
	sl_pkt_meta(m)->flags &= (uint8_t)~SL_PKT_F_L2_MCAST;
	sl_pkt_meta(m)->in_port = 2;                 /* no such port in tab_a */
	assert_null(sl_icmp_error_build(pool, tab_a, m, 11, 0, 0));
	assert_null(sl_icmp_error_build(pool, tab_r, m, 11, 0, 0)); /* dmz: no IPv4 */
	sl_pkt_meta(m)->in_port = LAN;
	sl_pkt_ipv4(m)->dst_addr = UINT32_MAX;
	assert_null(sl_icmp_error_build(pool, tab_a, m, 11, 0, 0));
	sl_pkt_ipv4(m)->dst_addr = be32(IP4(239, 0, 0, 1));
	assert_null(sl_icmp_error_build(pool, tab_a, m, 11, 0, 0));
	rte_pktmbuf_free(m);

	/* IPv6: no error to the unspecified address; a port with no global address
	 * speaks from its link-local one. */
	f_udp6(&f, a6("::").b, a6("fd00:2::9").b, 64, 60);
	m = rx1(&f, WAN);
	assert_null(sl_icmp_error_build(pool, tab_r, m, 3, 0, 0));
	memcpy(sl_pkt_ipv6(m)->src_addr, a6("fd00:2::7").b, 16);
	e = sl_icmp_error_build(pool, tab_r, m, 3, 0, 0);
	assert_non_null(e);
	const struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(e, const struct rte_ipv6_hdr *, 14);
	assert_memory_equal(ip->src_addr, a6("fe80::5054:ff:fe00:201").b, 16);
	assert_memory_equal(ip->dst_addr, a6("fd00:2::7").b, 16);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(ip, ip + 1), 0);
	assert_int_equal(sl_pkt_meta(e)->in_port, WAN);
	rte_pktmbuf_free(e);
	rte_pktmbuf_free(m);
}

/* Send @p n TTL-1 packets at @p now; returns how many ICMP errors came out. */
static uint16_t expire(uint16_t n, uint64_t now)
{
	struct rte_mbuf *pkts[16];
	struct frame f;
	assert_true(n <= 16);
	f_udp4(&f, mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 1, 0, 60);
	for (uint16_t i = 0; i < n; i++)
		pkts[i] = rx1(&f, LAN);
	uint16_t out = sl_ipstack_route_burst(&E.w, pkts, n, now);
	free_all(pkts, out);
	return out;
}

static void test_icmp_ratelimit(void **state)
{
	const uint64_t t0 = 50 * HZ;
	(void)state;

	E.w.icmp_rate = 10;   /* per second */
	E.w.icmp_burst = 5;
	E.w.icmp_tat = t0;                       /* full bucket at t0 */
	assert_int_equal(expire(8, t0), 5);             /* the burst */
	assert_int_equal(wst.icmp_errors_ratelimited, 3);
	assert_int_equal(expire(8, t0 + 350 * HZ / 1000), 3); /* 3.5 tokens */
	assert_int_equal(wst.icmp_errors_ratelimited, 8);
	assert_int_equal(expire(2, t0 + 400 * HZ / 1000), 1); /* 0.5 + 0.5 */
	assert_int_equal(wst.icmp_errors_ratelimited, 9);
	assert_int_equal(expire(1, t0 + 499 * HZ / 1000), 0); /* 0.99 */
	assert_int_equal(expire(1, t0 + 500 * HZ / 1000), 1); /* 1.00 */
	assert_int_equal(wst.icmp_errors_ratelimited, 10);
	assert_int_equal(expire(8, t0 + 100 * HZ), 5);  /* a long quiet: full bucket, no more */
	assert_int_equal(wst.icmp_errors_ratelimited, 13);
	assert_int_equal(wst.icmp_errors_sent, 15);
	expect_drops(&wst, DROPS([SL_DROP_TTL_EXCEEDED] = 28));
}

/*
 * The budget is time-based whatever the call pattern: errors every 999
 * cycles at 1000/s on a 1 GHz clock earn one error per 1000 us, even though
 * each call adds less than one thousandth of a token.
 */
static void test_icmp_ratelimit_fine_clock(void **state)
{
	const uint64_t t0 = 50 * HZ;
	unsigned sent = 0;
	(void)state;

	E.w.icmp_rate = 1000;
	E.w.icmp_burst = 1;
	E.w.icmp_tat = t0 + HZ / 1000;           /* empty bucket at t0 */
	for (unsigned i = 1; i <= 3000; i++)
		sent += expire(1, t0 + i * 999ull);   /* 2.997 ms in all */
	assert_int_equal(sent, 2);
	assert_int_equal(wst.icmp_errors_ratelimited, 2998);
}

/* A bucket deeper than one second of rate still fills up after a long quiet. */
static void test_icmp_ratelimit_deep_bucket(void **state)
{
	const uint64_t t0 = 50 * HZ;
	(void)state;

	E.w.icmp_rate = 2;
	E.w.icmp_burst = 10;
	E.w.icmp_tat = t0 + 10 * HZ / 2;         /* empty bucket at t0 */
	assert_int_equal(expire(12, t0 + 60 * HZ), 10);
}

static void test_neighbor_burst_states(void **state)
{
	struct frame f[5];
	struct rte_mbuf *pkts[5], *punted[5];
	(void)state;

	/* Destinations on wan: reachable, stale, incomplete, failed, unknown. */
	for (unsigned i = 0; i < 5; i++)
		f_udp4(&f[i], mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 10 + i), 64, 0, 80);
	rx(pkts, f, 5, LAN);
	struct rte_mbuf *orig[5];
	memcpy(orig, pkts, sizeof(orig));
	assert_int_equal(sl_ipstack_route_burst(&E.w, pkts, 5, 0), 5);
	neigh_put(WAN, IP4(10, 2, 0, 10), mac_nbr, SL_NEIGH_REACHABLE);
	neigh_put(WAN, IP4(10, 2, 0, 11), mac_gw, SL_NEIGH_STALE);
	neigh_put(WAN, IP4(10, 2, 0, 12), NULL, SL_NEIGH_INCOMPLETE);
	neigh_put(WAN, IP4(10, 2, 0, 13), NULL, SL_NEIGH_FAILED);
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, pkts, 5, 0), 2);
	assert_ptr_equal(pkts[0], orig[0]);
	assert_ptr_equal(pkts[1], orig[1]);
	ttl_dec(&f[0]);
	ttl_dec(&f[1]);
	expect_rewritten(pkts[0], &f[0], mac_nbr, mac_wan);
	expect_rewritten(pkts[1], &f[1], mac_gw, mac_wan);
	assert_int_equal(rte_ring_dequeue_burst(E.ring, (void **)punted, 5, NULL), 2);
	assert_ptr_equal(punted[0], orig[2]);
	assert_ptr_equal(punted[1], orig[4]);
	assert_true(sl_pkt_meta(punted[0])->flags & SL_PKT_F_NEEDS_NEIGHBOR);
	assert_true(sl_pkt_meta(punted[1])->flags & SL_PKT_F_NEEDS_NEIGHBOR);
	assert_int_equal(wst.punted, 2);
	expect_drops(&wst, DROPS([SL_DROP_NEIGHBOR_FAILED] = 1));
	free_all(pkts, 2);
	free_all(punted, 2);
}

/* ---- 4. management control ---------------------------------------------- */

static void expect_arp(const struct sent *s, uint16_t port, const uint8_t *dst, uint16_t op,
		       uint32_t sip, const uint8_t *tha, uint32_t tip)
{
	const uint8_t *us = port == LAN ? mac_lan : mac_wan;
	struct frame want;
	f_arp(&want, dst, us, op, us, sip, tha, tip);
	assert_int_equal(s->port, port);
	expect_bytes(s->m, &want);
}

static void expect_ns(const struct sent *s, uint16_t port, const uint8_t *src,
		      const uint8_t *target)
{
	const uint8_t *us = port == LAN ? mac_lan : mac_wan;
	uint8_t mc[6] = {0x33, 0x33, 0xff, target[13], target[14], target[15]};
	uint8_t group[16] = {0xff, 0x02, [11] = 0x01, [12] = 0xff, target[13], target[14], target[15]};
	struct frame want;
	f_nd(&want, mc, us, src, group, 255, 135, 0, target, 1, us);
	assert_int_equal(s->port, port);
	expect_bytes(s->m, &want);
	const struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(s->m, const struct rte_ipv6_hdr *, 14);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(ip, ip + 1), 0);
}

static void test_arp_request_for_us(void **state)
{
	const uint64_t now = 5 * HZ;
	struct frame f;
	(void)state;

	f_arp(&f, mac_bcast, mac_host, 1, mac_host, IP4(10, 1, 0, 7), mac_zero, IP4(10, 1, 0, 1));
	struct rte_mbuf *m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_input_burst(&E.w, &m, 1, now), 0);
	assert_int_equal(pump(now), 1);
	assert_int_equal(E.n_tx, 1);
	expect_arp(&E.tx[0], LAN, mac_host, 2, IP4(10, 1, 0, 1), mac_host, IP4(10, 1, 0, 7));
	assert_int_equal(rte_pktmbuf_pkt_len(E.tx[0].m), 42);
	assert_int_equal(neigh_word4(LAN, IP4(10, 1, 0, 7)),
			 SL_NEIGH_WORD(mac64(mac_host), SL_NEIGH_REACHABLE));
	struct sl_neigh_key k;
	sl_neigh_key_v4(&k, LAN, be32(IP4(10, 1, 0, 7)));
	struct sl_neigh_entry *e = sl_neigh_get(E.nt, &k);
	assert_int_equal(e->confirmed_tsc, now);
	assert_int_equal(e->next_event_tsc, now + SL_NEIGH_REACHABLE_S * HZ);
	assert_int_equal(e->probes, 0);
	/* Our wan address asked for on lan: not ours there, no answer. */
	f_arp(&f, mac_bcast, mac_host, 1, mac_host, IP4(10, 1, 0, 7), mac_zero, IP4(10, 2, 0, 1));
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), now);
	assert_int_equal(E.n_tx, 1);
	expect_drops(&cst, NO_DROPS);
}

static void test_arp_ignored(void **state)
{
	struct frame f;
	(void)state;

	/* For another host on the subnet: no answer, nothing learned. */
	f_arp(&f, mac_bcast, mac_host, 1, mac_host, IP4(10, 1, 0, 8), mac_zero, IP4(10, 1, 0, 50));
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	/* From a sender outside the port's subnets, or claiming our address. */
	f_arp(&f, mac_bcast, mac_host, 1, mac_host, IP4(10, 9, 0, 8), mac_zero, IP4(10, 1, 0, 1));
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	f_arp(&f, mac_bcast, mac_host, 1, mac_host, IP4(10, 1, 0, 1), mac_zero, IP4(10, 1, 0, 1));
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	/* A multicast sender hardware address. */
	f_arp(&f, mac_bcast, mac_host, 1, mac_bcast, IP4(10, 1, 0, 8), mac_zero, IP4(10, 1, 0, 1));
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	assert_int_equal(E.n_tx, 0);
	assert_int_equal(neigh_word4(LAN, IP4(10, 1, 0, 8)), 0);
	assert_int_equal(neigh_word4(LAN, IP4(10, 9, 0, 8)), 0);
	assert_int_equal(neigh_word4(LAN, IP4(10, 1, 0, 1)), 0);
	/* Router solicitations and advertisements are punted but not answered. */
	f_nd(&f, mac_lan, mac_host, a6("fd00:1::7").b, a6("fd00:1::1").b, 255, 133, 0,
	     a6("::").b, 0, NULL);
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	assert_int_equal(E.n_tx, 0);
	expect_drops(&cst, NO_DROPS);
}

/* Route a packet from the lan host to @p dst_host, as far as the punt ring. */
static struct frame route_to_punt(uint32_t dst_host, uint64_t now)
{
	struct frame f;
	f_udp4(&f, mac_lan, IP4(10, 1, 0, 7), dst_host, 64, 0, 60);
	struct rte_mbuf *m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, now), 1);
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, &m, 1, now), 0);
	ttl_dec(&f);
	return f;
}

static void test_resolve_arp(void **state)
{
	const uint64_t now = 7 * HZ;
	struct frame f, want = route_to_punt(IP4(10, 2, 0, 9), now);
	(void)state;

	for (unsigned i = 0; i < SL_NEIGH_PENDING_MAX; i++)
		route_to_punt(IP4(10, 2, 0, 9), now + i);
	assert_int_equal(pump(now), SL_NEIGH_PENDING_MAX + 1);
	/* One request, broadcast, from our wan address. */
	assert_int_equal(E.n_tx, 1);
	expect_arp(&E.tx[0], WAN, mac_bcast, 1, IP4(10, 2, 0, 1), mac_zero, IP4(10, 2, 0, 9));
	tx_clear();
	struct sl_neigh_key k;
	sl_neigh_key_v4(&k, WAN, be32(IP4(10, 2, 0, 9)));
	struct sl_neigh_entry *e = sl_neigh_get(E.nt, &k);
	assert_non_null(e);
	assert_int_equal(SL_NEIGH_WORD_STATE(e->word), SL_NEIGH_INCOMPLETE);
	assert_int_equal(e->n_pending, SL_NEIGH_PENDING_MAX);
	assert_int_equal(e->probes, 1);
	assert_int_equal(e->next_event_tsc, now + RETRANS);
	expect_drops(&cst, DROPS([SL_DROP_NEIGHBOR_PENDING_FULL] = 1));

	/* The reply (through the worker's punt) releases the queue in order. */
	f_arp(&f, mac_wan, mac_nbr, 2, mac_nbr, IP4(10, 2, 0, 9), mac_wan, IP4(10, 2, 0, 1));
	struct rte_mbuf *m = rx1(&f, WAN);
	assert_int_equal(sl_ipstack_input_burst(&E.w, &m, 1, now), 0);
	assert_int_equal(pump(now + HZ / 10), 1);
	assert_int_equal(E.n_tx, SL_NEIGH_PENDING_MAX);
	relink(&want, mac_nbr, mac_wan);
	for (unsigned i = 0; i < E.n_tx; i++) {
		assert_int_equal(E.tx[i].port, WAN);
		expect_bytes(E.tx[i].m, &want);
	}
	assert_int_equal(e->n_pending, 0);
	assert_int_equal(e->word, SL_NEIGH_WORD(mac64(mac_nbr), SL_NEIGH_REACHABLE));
	assert_int_equal(e->confirmed_tsc, now + HZ / 10);
	/* From now on the worker rewrites by itself. */
	f_udp4(&f, mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 64, 0, 60);
	m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, now), 1);
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, &m, 1, now), 1);
	rte_pktmbuf_free(m);
	expect_drops(&cst, DROPS([SL_DROP_NEIGHBOR_PENDING_FULL] = 1));
}

static void test_resolve_nd(void **state)
{
	const uint64_t now = 9 * HZ;
	struct frame f, g;
	uint8_t nbr[16], us[16];
	(void)state;

	memcpy(nbr, a6("fd00:2::9").b, 16);
	memcpy(us, a6("fd00:2::1").b, 16);
	f_udp6(&f, a6("fd00:1::7").b, nbr, 64, 100);
	struct rte_mbuf *m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, now), 1);
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, &m, 1, now), 0);
	assert_int_equal(pump(now), 1);
	assert_int_equal(E.n_tx, 1);
	expect_ns(&E.tx[0], WAN, us, nbr);
	tx_clear();

	/* A solicited advertisement with the target's link-layer address. */
	f_nd(&g, mac_wan, mac_nbr, nbr, us, 255, 136, 0x60000000, nbr, 2, mac_nbr);
	m = rx1(&g, WAN);
	assert_int_equal(sl_ipstack_input_burst(&E.w, &m, 1, now), 0);
	assert_int_equal(pump(now + 1), 1);
	assert_int_equal(E.n_tx, 1);
	f.b[f.l3 + 7]--;
	relink(&f, mac_nbr, mac_wan);
	assert_int_equal(E.tx[0].port, WAN);
	expect_bytes(E.tx[0].m, &f);
	struct sl_neigh_key k;
	sl_neigh_key_v6(&k, WAN, nbr);
	assert_int_equal(sl_neigh_lookup(E.nt, &k),
			 SL_NEIGH_WORD(mac64(mac_nbr), SL_NEIGH_REACHABLE));
	expect_drops(&cst, NO_DROPS);
}

static void test_timers_fail_and_expire(void **state)
{
	const uint64_t t0 = 20 * HZ;
	struct frame f;
	(void)state;

	route_to_punt(IP4(10, 2, 0, 9), t0);
	route_to_punt(IP4(10, 2, 0, 9), t0);
	assert_int_equal(pump(t0), 2);
	assert_int_equal(E.n_tx, 1);
	tx_clear();
	/* One solicitation per SL_NEIGH_RETRANS_MS, SL_NEIGH_MAX_PROBES in all. */
	for (unsigned p = 1; p < SL_NEIGH_MAX_PROBES; p++) {
		sl_ipstack_ctl_timers(&E.c, tab_a, t0 + p * RETRANS - 1);
		assert_int_equal(E.n_tx, 0);
		sl_ipstack_ctl_timers(&E.c, tab_a, t0 + p * RETRANS);
		assert_int_equal(E.n_tx, 1);
		expect_arp(&E.tx[0], WAN, mac_bcast, 1, IP4(10, 2, 0, 1), mac_zero, IP4(10, 2, 0, 9));
		tx_clear();
		assert_int_equal(SL_NEIGH_WORD_STATE(neigh_word4(WAN, IP4(10, 2, 0, 9))),
				 SL_NEIGH_INCOMPLETE);
	}
	const uint64_t t_fail = t0 + SL_NEIGH_MAX_PROBES * RETRANS;
	sl_ipstack_ctl_timers(&E.c, tab_a, t_fail - 1);
	expect_drops(&cst, NO_DROPS);
	sl_ipstack_ctl_timers(&E.c, tab_a, t_fail);
	assert_int_equal(E.n_tx, 0);
	assert_int_equal(neigh_word4(WAN, IP4(10, 2, 0, 9)), SL_NEIGH_WORD(0, SL_NEIGH_FAILED));
	expect_drops(&cst, DROPS([SL_DROP_NEIGHBOR_FAILED] = 2));

	/* While failed: the worker drops, and so does the management lcore. */
	f_udp4(&f, mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 64, 0, 60);
	struct rte_mbuf *m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, t_fail), 1);
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, &m, 1, t_fail), 0);
	expect_drops(&wst, DROPS([SL_DROP_NEIGHBOR_FAILED] = 1));
	m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, t_fail), 1);
	sl_pkt_meta(m)->flags |= SL_PKT_F_NEEDS_NEIGHBOR;
	sl_ipstack_ctl_input(&E.c, tab_a, m, t_fail);
	expect_drops(&cst, DROPS([SL_DROP_NEIGHBOR_FAILED] = 3));

	/* Removed SL_NEIGH_FAILED_HOLD_S later, silently. */
	sl_ipstack_ctl_timers(&E.c, tab_a, t_fail + SL_NEIGH_FAILED_HOLD_S * HZ - 1);
	assert_int_equal(SL_NEIGH_WORD_STATE(neigh_word4(WAN, IP4(10, 2, 0, 9))), SL_NEIGH_FAILED);
	sl_ipstack_ctl_timers(&E.c, tab_a, t_fail + SL_NEIGH_FAILED_HOLD_S * HZ);
	assert_int_equal(neigh_word4(WAN, IP4(10, 2, 0, 9)), 0);
	assert_int_equal(E.n_tx, 0);
	expect_drops(&cst, DROPS([SL_DROP_NEIGHBOR_FAILED] = 3));
}

static void test_timers_reachable_to_stale(void **state)
{
	const uint64_t t1 = 30 * HZ, t_stale = t1 + SL_NEIGH_REACHABLE_S * HZ;
	struct frame f;
	(void)state;

	f_arp(&f, mac_bcast, mac_host, 1, mac_host, IP4(10, 1, 0, 7), mac_zero, IP4(10, 1, 0, 1));
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), t1);
	tx_clear();
	sl_ipstack_ctl_timers(&E.c, tab_a, t_stale - 1);
	assert_int_equal(E.n_tx, 0);
	assert_int_equal(neigh_word4(LAN, IP4(10, 1, 0, 7)),
			 SL_NEIGH_WORD(mac64(mac_host), SL_NEIGH_REACHABLE));
	sl_ipstack_ctl_timers(&E.c, tab_a, t_stale);
	assert_int_equal(E.n_tx, 1);
	expect_arp(&E.tx[0], LAN, mac_bcast, 1, IP4(10, 1, 0, 1), mac_zero, IP4(10, 1, 0, 7));
	tx_clear();
	assert_int_equal(neigh_word4(LAN, IP4(10, 1, 0, 7)),
			 SL_NEIGH_WORD(mac64(mac_host), SL_NEIGH_STALE));
	/* Stale still forwards. */
	f_udp4(&f, mac_wan, IP4(10, 2, 0, 9), IP4(10, 1, 0, 7), 64, 0, 60);
	memcpy(f.b + 6, mac_nbr, 6);
	struct rte_mbuf *m = rx1(&f, WAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, t_stale), 1);
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, &m, 1, t_stale), 1);
	rte_pktmbuf_free(m);
	/* The answer makes it reachable again, for another SL_NEIGH_REACHABLE_S. */
	f_arp(&f, mac_lan, mac_host, 2, mac_host, IP4(10, 1, 0, 7), mac_lan, IP4(10, 1, 0, 1));
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), t_stale + 5);
	assert_int_equal(E.n_tx, 0);
	assert_int_equal(neigh_word4(LAN, IP4(10, 1, 0, 7)),
			 SL_NEIGH_WORD(mac64(mac_host), SL_NEIGH_REACHABLE));
	sl_ipstack_ctl_timers(&E.c, tab_a, t_stale + SL_NEIGH_REACHABLE_S * HZ + 4);
	assert_int_equal(E.n_tx, 0);
	/* Unanswered re-confirmation: MAX_PROBES probes, then failed. */
	uint64_t t2 = t_stale + 5 + SL_NEIGH_REACHABLE_S * HZ;
	for (unsigned p = 0; p < SL_NEIGH_MAX_PROBES; p++)
		sl_ipstack_ctl_timers(&E.c, tab_a, t2 + p * RETRANS);
	assert_int_equal(E.n_tx, SL_NEIGH_MAX_PROBES);
	sl_ipstack_ctl_timers(&E.c, tab_a, t2 + SL_NEIGH_MAX_PROBES * RETRANS);
	assert_int_equal(E.n_tx, SL_NEIGH_MAX_PROBES);
	assert_int_equal(neigh_word4(LAN, IP4(10, 1, 0, 7)), SL_NEIGH_WORD(0, SL_NEIGH_FAILED));
	expect_drops(&cst, NO_DROPS);
}

static void test_ns_for_us(void **state)
{
	static const uint8_t sn1[6] = {0x33, 0x33, 0xff, 0x00, 0x00, 0x01};
	struct frame f, want;
	uint8_t host[16], us[16], group[16], ll_host[16], ll_us[16];
	(void)state;

	memcpy(host, a6("fd00:1::7").b, 16);
	memcpy(us, a6("fd00:1::1").b, 16);
	memcpy(group, a6("ff02::1:ff00:1").b, 16);
	memcpy(ll_host, a6("fe80::7").b, 16);
	memcpy(ll_us, tab_a->ports[LAN].ipv6_ll, 16);

	f_nd(&f, sn1, mac_host, host, group, 255, 135, 0, us, 1, mac_host);
	struct rte_mbuf *m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_input_burst(&E.w, &m, 1, 0), 0);
	assert_int_equal(pump(HZ), 1);
	assert_int_equal(E.n_tx, 1);
	f_nd(&want, mac_host, mac_lan, us, host, 255, 136, 0xe0000000, us, 2, mac_lan);
	assert_int_equal(E.tx[0].port, LAN);
	expect_bytes(E.tx[0].m, &want);
	const struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(E.tx[0].m, const void *, 14);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(ip, ip + 1), 0);
	tx_clear();
	struct sl_neigh_key k;
	sl_neigh_key_v6(&k, LAN, host);
	assert_int_equal(sl_neigh_lookup(E.nt, &k),
			 SL_NEIGH_WORD(mac64(mac_host), SL_NEIGH_REACHABLE));

	/* For our link-local address, from a link-local one, without SLLA. */
	f_nd(&f, mac_lan, mac_other, ll_host, ll_us, 255, 135, 0, ll_us, 0, NULL);
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	assert_int_equal(E.n_tx, 1);
	f_nd(&want, mac_other, mac_lan, ll_us, ll_host, 255, 136, 0xe0000000, ll_us, 2, mac_lan);
	expect_bytes(E.tx[0].m, &want);
	tx_clear();

	/* Ignored: routed (hop limit 254), not our target, duplicate address detection. */
	f_nd(&f, sn1, mac_host, host, group, 254, 135, 0, us, 1, mac_host);
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	f_nd(&f, sn1, mac_host, host, group, 64, 135, 0, us, 1, mac_host);
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	f_nd(&f, sn1, mac_host, host, group, 255, 135, 0, a6("fd00:1::50").b, 1, mac_host);
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	f_nd(&f, sn1, mac_host, a6("::").b, group, 255, 135, 0, us, 0, NULL);
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	assert_int_equal(E.n_tx, 0);
	/* An NA with hop limit 64 does not confirm anything either. */
	sl_neigh_set(sl_neigh_get(E.nt, &k), NULL, SL_NEIGH_INCOMPLETE);
	f_nd(&f, mac_lan, mac_host, host, us, 64, 136, 0x60000000, host, 2, mac_host);
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	assert_int_equal(SL_NEIGH_WORD_STATE(sl_neigh_lookup(E.nt, &k)), SL_NEIGH_INCOMPLETE);
	expect_drops(&cst, NO_DROPS);
}

/* Static neighbors from the config: PERMANENT, never probed, never overridden. */
static void test_static_neighbors(void **state)
{
	static const char *const text =
		"{'ports':["
		" {'name':'lan','device':'net_null0','ipv4':['10.1.0.1/24'],'ipv6':['fd00:1::1/64']},"
		" {'name':'wan','device':'net_null1','mtu':1400,'ipv4':['10.2.0.1/24'],"
		"  'ipv6':['fd00:2::1/64']}],"
		" 'neighbors':["
		"  {'port':'wan','address':'10.2.0.9','mac':'02:66:77:88:99:aa'},"
		"  {'port':'lan','address':'fd00:1::7','mac':'02:11:22:33:44:55'}]}";
	struct sl_config *cfg = parse_cfg(text);
	struct sl_neigh_key k6;
	struct frame f;
	(void)state;

	assert_non_null(cfg);
	sl_neigh_key_v6(&k6, LAN, a6("fd00:1::7").b);
	/* A packet already waits for 10.2.0.9: the static entry releases it. */
	struct frame want = route_to_punt(IP4(10, 2, 0, 9), HZ);
	assert_int_equal(pump(HZ), 1);
	tx_clear();
	sl_ipstack_ctl_sync_static(&E.c, tab_a, cfg, 2 * HZ);
	assert_int_equal(E.n_tx, 1);
	relink(&want, mac_nbr, mac_wan);
	expect_bytes(E.tx[0].m, &want);
	tx_clear();
	assert_int_equal(neigh_word4(WAN, IP4(10, 2, 0, 9)),
			 SL_NEIGH_WORD(mac64(mac_nbr), SL_NEIGH_PERMANENT));
	assert_int_equal(sl_neigh_lookup(E.nt, &k6),
			 SL_NEIGH_WORD(mac64(mac_host), SL_NEIGH_PERMANENT));
	/* ARP does not override it, timers never touch it, workers use it. */
	f_arp(&f, mac_wan, mac_other, 2, mac_other, IP4(10, 2, 0, 9), mac_wan, IP4(10, 2, 0, 1));
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, WAN), 3 * HZ);
	sl_ipstack_ctl_timers(&E.c, tab_a, 1000 * HZ);
	assert_int_equal(E.n_tx, 0);
	assert_int_equal(neigh_word4(WAN, IP4(10, 2, 0, 9)),
			 SL_NEIGH_WORD(mac64(mac_nbr), SL_NEIGH_PERMANENT));
	f_udp4(&f, mac_lan, IP4(10, 1, 0, 7), IP4(10, 2, 0, 9), 64, 0, 60);
	struct rte_mbuf *m = rx1(&f, LAN);
	assert_int_equal(sl_ipstack_route_burst(&E.w, &m, 1, 0), 1);
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, &m, 1, 0), 1);
	rte_pktmbuf_free(m);
	/* A config without them removes them, and only them. */
	f_arp(&f, mac_bcast, mac_host, 1, mac_host, IP4(10, 1, 0, 7), mac_zero, IP4(10, 1, 0, 1));
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), 3 * HZ);
	tx_clear();
	sl_ipstack_ctl_sync_static(&E.c, tab_a, cfg_a, 4 * HZ);
	assert_int_equal(neigh_word4(WAN, IP4(10, 2, 0, 9)), 0);
	assert_int_equal(sl_neigh_lookup(E.nt, &k6), 0);
	assert_int_equal(neigh_word4(LAN, IP4(10, 1, 0, 7)),
			 SL_NEIGH_WORD(mac64(mac_host), SL_NEIGH_REACHABLE));
	assert_int_equal(E.n_tx, 0);
	expect_drops(&cst, NO_DROPS);
	sl_config_free(cfg);
}

/* RFC 4861 7.1.1: a neighbor solicitation with a wrong ICMPv6 checksum is dropped. */
static void test_ns_bad_checksum(void **state)
{
	static const uint8_t sn1[6] = {0x33, 0x33, 0xff, 0x00, 0x00, 0x01};
	struct frame f;
	uint8_t host[16], us[16];
	(void)state;

	memcpy(host, a6("fd00:1::7").b, 16);
	memcpy(us, a6("fd00:1::1").b, 16);
	f_nd(&f, sn1, mac_host, host, a6("ff02::1:ff00:1").b, 255, 135, 0, us, 1, mac_host);
	f.b[f.l4 + 2] ^= 0x01;
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&f, LAN), HZ);
	struct sl_neigh_key k;
	sl_neigh_key_v6(&k, LAN, host);
	assert_int_equal(sl_neigh_lookup(E.nt, &k), 0);
	assert_int_equal(E.n_tx, 0);
}

/*
 * Link-local peers: a ping to our link-local address from a neighbor's
 * link-local address is answered on the port it came in by, and a packet
 * from a link-local source that would leave the link gets "beyond scope".
 */
static void test_link_local_replies(void **state)
{
	struct frame f, g, reply;
	struct rte_mbuf *m;
	uint8_t ll_host[16], ll_us[16];
	(void)state;

	memcpy(ll_host, a6("fe80::7").b, 16);
	memcpy(ll_us, tab_a->ports[LAN].ipv6_ll, 16);
	f_eth(&f, mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV6);
	f_ip6(&f, ll_host, ll_us, IPPROTO_ICMPV6, 64);
	f_icmp(&f, 128, 0, 0x00070001);
	f_fin(&f);
	f_eth(&reply, mac_host, mac_lan, -1, RTE_ETHER_TYPE_IPV6);
	f_ip6(&reply, ll_us, ll_host, IPPROTO_ICMPV6, 64);
	f_icmp(&reply, 129, 0, 0x00070001);
	f_fin(&reply);
	m = rx1(&f, LAN);
	uint16_t n = sl_ipstack_route_burst(&E.w, &m, 1, 0);
	expect_drops(&wst, NO_DROPS);
	assert_int_equal(n, 1);
	assert_int_equal(sl_pkt_meta(m)->out_port, LAN);
	assert_memory_equal(sl_pkt_ipv6(m), reply.b + reply.l3, reply.len - reply.l3);
	/* The neighbor is unknown: solicited from our link-local address. */
	assert_int_equal(sl_ipstack_neighbor_burst(&E.w, &m, 1, 0), 0);
	assert_int_equal(pump(HZ), 1);
	assert_int_equal(E.n_tx, 1);
	expect_ns(&E.tx[0], LAN, ll_us, ll_host);
	tx_clear();
	f_nd(&g, mac_lan, mac_host, ll_host, ll_us, 255, 136, 0x60000000, ll_host, 2, mac_host);
	sl_ipstack_ctl_input(&E.c, tab_a, rx1(&g, LAN), HZ);
	assert_int_equal(E.n_tx, 1);
	assert_int_equal(E.tx[0].port, LAN);
	expect_bytes(E.tx[0].m, &reply);
	tx_clear();

	/* From a link-local source to a global destination: beyond scope. */
	f_udp6(&f, ll_host, a6("fd00:2::9").b, 64, 100);
	m = rx1(&f, LAN);
	n = sl_ipstack_route_burst(&E.w, &m, 1, 0);
	expect_drops(&wst, DROPS([SL_DROP_IPV6_BAD_SOURCE] = 1));
	assert_int_equal(n, 1);
	assert_int_equal(wst.icmp_errors_sent, 1);
	expect_icmp6(m, &f, 1, 2, 0);
	rte_pktmbuf_free(m);
	expect_drops(&cst, NO_DROPS);
}

/* Destinations no router forwards (RFC 1812 5.3.7), even with a default route. */
static void test_martian_destinations(void **state)
{
	static const uint32_t dsts[] = {IP4(255, 255, 255, 255), IP4(239, 1, 2, 3),
					IP4(224, 0, 0, 5), IP4(127, 0, 0, 1), IP4(0, 1, 2, 3),
					IP4(240, 0, 0, 1)};
	struct rte_mbuf *pkts[RTE_DIM(dsts)];
	struct frame f;
	(void)state;

	E.w.t = tab_r; /* 0.0.0.0/0 via 10.2.0.2 */
	for (unsigned i = 0; i < RTE_DIM(dsts); i++) {
		f_udp4(&f, mac_lan, IP4(10, 1, 0, 7), dsts[i], 64, 0, 60);
		pkts[i] = rx1(&f, LAN);
	}
	assert_int_equal(sl_ipstack_input_burst(&E.w, pkts, RTE_DIM(dsts), 0), RTE_DIM(dsts));
	uint16_t n = sl_ipstack_route_burst(&E.w, pkts, RTE_DIM(dsts), 0);
	free_all(pkts, n);
	assert_int_equal(n, 0);
	uint64_t total = 0;
	for (unsigned r = 0; r < SL_DROP_MAX; r++)
		total += wst.drops[r];
	assert_int_equal(total, RTE_DIM(dsts));
	assert_int_equal(wst.icmp_errors_sent, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, env_setup, env_teardown)
	const struct CMUnitTest tests[] = {
		T(test_tables_lookup),
		T(test_tables_build_error),
		T(test_link_local),
		T(test_routes_json),
		T(test_tables_random),
		T(test_neigh_table),
		T(test_neigh_delete_reuses_slot),
		T(test_neigh_json),
		T(test_input_burst),
		T(test_punt_ring_full),
		T(test_echo4),
		T(test_echo6),
		T(test_forward4_ttl),
		T(test_forward4),
		T(test_forward6),
		T(test_fragment4),
		T(test_errors4),
		T(test_bad_sources),
		T(test_errors6),
		T(test_no_error_about_errors),
		T(test_icmp_error_build_rules),
		T(test_icmp_ratelimit),
		T(test_icmp_ratelimit_fine_clock),
		T(test_icmp_ratelimit_deep_bucket),
		T(test_neighbor_burst_states),
		T(test_arp_request_for_us),
		T(test_arp_ignored),
		T(test_resolve_arp),
		T(test_resolve_nd),
		T(test_timers_fail_and_expire),
		T(test_timers_reachable_to_stale),
		T(test_ns_for_us),
		T(test_static_neighbors),
		T(test_ns_bad_checksum),
		T(test_link_local_replies),
		T(test_martian_destinations),
	};
#undef T
	return cmocka_run_group_tests_name("ipstack", tests, group_setup, group_teardown);
}

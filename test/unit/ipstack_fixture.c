/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared part of the lib/ipstack tests: configs, tables, the per-test
 * environment, the frame builder and the assertions (see ipstack_fixture.h).
 *
 * Principles:
 *  - The builder writes what a correct sender would, byte by byte; only
 *    the checksums come from DPDK's functions.
 *  - The pool has no per-lcore cache, so its free count is exact and a
 *    leaked mbuf fails the test that leaked it.
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

#include "ipstack_fixture.h"
#include "sl_log.h"

const uint8_t mac_lan[6] = {0x52, 0x54, 0x00, 0x00, 0x01, 0x01};
const uint8_t mac_wan[6] = {0x52, 0x54, 0x00, 0x00, 0x02, 0x01};
const uint8_t mac_dmz[6] = {0x52, 0x54, 0x00, 0x00, 0x03, 0x01};
const uint8_t mac_host[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55}; /* 10.1.0.7 */
const uint8_t mac_nbr[6] = {0x02, 0x66, 0x77, 0x88, 0x99, 0xaa};  /* 10.2.0.9 */
const uint8_t mac_gw[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};   /* 10.2.0.2 */
const uint8_t mac_other[6] = {0x02, 0xde, 0xad, 0x00, 0x00, 0x01};
const uint8_t mac_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
const uint8_t mac_zero[6] = {0};

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

struct rte_mempool *pool;
struct sl_ipstack_port_id ids[3];
struct sl_config *cfg_a, *cfg_r;
struct sl_ipstack_tables *tab_a, *tab_r;
static unsigned avail_before;
struct sl_lcore_stats wst, cst; /* worker's and management lcore's counters */
struct ipstack_env E;

/* ---- addresses --------------------------------------------------------- */

struct a6 a6(const char *s)
{
	struct a6 r;
	if (inet_pton(AF_INET6, s, r.b) != 1)
		fail_msg("bad test address %s", s);
	return r;
}

uint32_t be32(uint32_t host)
{
	return rte_cpu_to_be_32(host);
}

/* ---- frame builder ----------------------------------------------------- */

void put(struct frame *f, const void *d, size_t n)
{
	assert_true(f->len + n <= sizeof(f->b));
	memcpy(f->b + f->len, d, n);
	f->len = (uint16_t)(f->len + n);
}

void put8(struct frame *f, uint8_t v)
{
	put(f, &v, 1);
}

void put16(struct frame *f, uint16_t v)
{
	put8(f, (uint8_t)(v >> 8));
	put8(f, (uint8_t)v);
}

void put32(struct frame *f, uint32_t v)
{
	put16(f, (uint16_t)(v >> 16));
	put16(f, (uint16_t)v);
}

void wr16(struct frame *f, size_t off, uint16_t v)
{
	f->b[off] = (uint8_t)(v >> 8);
	f->b[off + 1] = (uint8_t)v;
}

/* Ethernet header, with an 802.1Q tag if @p vlan >= 0. */
void f_eth(struct frame *f, const uint8_t *dst, const uint8_t *src, int vlan, uint16_t type)
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

void f_ip4(struct frame *f, uint32_t src, uint32_t dst, uint8_t proto, uint8_t ttl,
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

void f_ip6(struct frame *f, const uint8_t *src, const uint8_t *dst, uint8_t proto,
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
void f_frag6(struct frame *f, uint8_t nh, uint16_t offset8, bool more)
{
	put8(f, nh);
	put8(f, 0);
	put16(f, (uint16_t)(offset8 << 3 | more));
	put32(f, 0xabcdef01);
	f->proto = nh;
	f->l4 = offset8 == 0 ? f->len : 0;
}

void f_icmp(struct frame *f, uint8_t type, uint8_t code, uint32_t rest)
{
	put8(f, type);
	put8(f, code);
	put16(f, 0);
	put32(f, rest);
}

void f_udp(struct frame *f, uint16_t sport, uint16_t dport)
{
	put16(f, sport);
	put16(f, dport);
	put32(f, 0); /* length and checksum: f_fin */
}

void f_payload(struct frame *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(f, (uint8_t)(i * 7 + 1));
}

/* Lengths and checksums, as a correct sender writes them. */
void f_fin(struct frame *f)
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
void f_udp4(struct frame *f, const uint8_t *dmac, uint32_t src, uint32_t dst, uint8_t ttl,
	    uint16_t frag, uint16_t total)
{
	f_eth(f, dmac, mac_host, -1, RTE_ETHER_TYPE_IPV4);
	f_ip4(f, src, dst, IPPROTO_UDP, ttl, frag);
	f_udp(f, 4000, 53);
	f_payload(f, total - 28u);
	f_fin(f);
}

void f_udp6(struct frame *f, const uint8_t *src, const uint8_t *dst, uint8_t hlim,
	    uint16_t total)
{
	f_eth(f, mac_lan, mac_host, -1, RTE_ETHER_TYPE_IPV6);
	f_ip6(f, src, dst, IPPROTO_UDP, hlim);
	f_udp(f, 4000, 53);
	f_payload(f, total - 48u);
	f_fin(f);
}

void f_arp(struct frame *f, const uint8_t *dst, const uint8_t *src, uint16_t op,
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
void f_nd(struct frame *f, const uint8_t *dmac, const uint8_t *smac, const uint8_t *src,
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

/* ---- mbufs, bursts, assertions ----------------------------------------- */

struct rte_mbuf *mk(const struct frame *f, uint16_t in_port)
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
void rx(struct rte_mbuf **pkts, const struct frame *f, uint16_t n, uint16_t in_port)
{
	const struct sl_pkt_parse_ctx ctx = {.st = &wst, .in_port = in_port};
	for (uint16_t i = 0; i < n; i++)
		pkts[i] = mk(&f[i], in_port);
	assert_int_equal(sl_pkt_parse_burst(&ctx, pkts, n, RX_TSC), n);
}

struct rte_mbuf *rx1(const struct frame *f, uint16_t in_port)
{
	struct rte_mbuf *m;
	rx(&m, f, 1, in_port);
	return m;
}

void free_all(struct rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
}

void expect_drops(const struct sl_lcore_stats *st, const uint64_t want[SL_DROP_MAX])
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

void expect_bytes(struct rte_mbuf *m, const struct frame *want)
{
	assert_int_equal(m->nb_segs, 1);
	assert_int_equal(rte_pktmbuf_pkt_len(m), want->len);
	assert_memory_equal(rte_pktmbuf_mtod(m, const uint8_t *), want->b, want->len);
}

/* The frame with its Ethernet header replaced (what the L2 rewrite makes). */
void relink(struct frame *f, const uint8_t *dst, const uint8_t *src)
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
void ttl_dec(struct frame *f)
{
	uint8_t *ip = f->b + f->l3;
	ip[8]--;
	ip[10] = ip[11] = 0;
	uint16_t c = rte_ipv4_cksum((const struct rte_ipv4_hdr *)ip);
	memcpy(ip + 10, &c, 2);
}

void tx_clear(void)
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
unsigned pump(uint64_t now)
{
	void *m;
	unsigned n = 0;
	while (rte_ring_dequeue(E.ring, &m) == 0) {
		sl_ipstack_ctl_input(&E.c, tab_a, m, now);
		n++;
	}
	return n;
}

struct sl_neigh_entry *neigh_put(uint16_t port, uint32_t addr_host, const uint8_t *mac,
				 uint8_t state)
{
	struct sl_neigh_key k;
	sl_neigh_key_v4(&k, port, be32(addr_host));
	struct sl_neigh_entry *e = sl_neigh_get_or_create(E.nt, &k, 0);
	assert_non_null(e);
	sl_neigh_set(e, (const struct rte_ether_addr *)mac, state);
	return e;
}

struct sl_neigh_entry *neigh_put6(uint16_t port, const uint8_t *addr, const uint8_t *mac,
				  uint8_t state)
{
	struct sl_neigh_key k;
	sl_neigh_key_v6(&k, port, addr);
	struct sl_neigh_entry *e = sl_neigh_get_or_create(E.nt, &k, 0);
	assert_non_null(e);
	sl_neigh_set(e, (const struct rte_ether_addr *)mac, state);
	return e;
}

uint64_t neigh_word4(uint16_t port, uint32_t addr_host)
{
	struct sl_neigh_key k;
	sl_neigh_key_v4(&k, port, be32(addr_host));
	return sl_neigh_lookup(E.nt, &k);
}

uint64_t mac64(const uint8_t *mac)
{
	uint64_t v = 0;
	memcpy(&v, mac, 6);
	return v;
}

/* An ICMP error from sluice about @p orig (the frame as sent). */
void expect_icmp4(struct rte_mbuf *e, const struct frame *orig, uint8_t type,
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

void expect_icmp6(struct rte_mbuf *e, const struct frame *orig, uint8_t type,
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

/* ---- random numbers ---------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* ---- fixtures ---------------------------------------------------------- */

struct sl_config *parse_cfg(const char *text)
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

int group_setup(void **state)
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

int group_teardown(void **state)
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

int env_setup(void **state)
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
int env_teardown(void **state)
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

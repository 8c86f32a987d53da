/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the lib/ipstack test binaries share: the two configs and their
 * tables, the per-test environment (neighbor table, punt ring, worker,
 * control), the frame builder and the assertions on frames and counters.
 *
 * Principles:
 *  - Frames are built byte by byte here and go through the real parse stage
 *    before the stage under test, as on a worker.
 *  - Time is synthetic: a 1 GHz TSC whose values each test chooses.
 *  - Each test runs between env_setup and env_teardown: fresh counters, a
 *    fresh neighbor table and punt ring, and the mbuf pool as full at the
 *    end as at the start.
 */
#ifndef SL_TEST_IPSTACK_FIXTURE_H
#define SL_TEST_IPSTACK_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "sl_ipstack.h"

#define HZ 1000000000ull          /* synthetic TSC frequency, cycles per second */
#define RX_TSC 0x5a5a5a5aull
#define LAN 0
#define WAN 1
#define DMZ 2
#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define RETRANS (SL_NEIGH_RETRANS_MS * HZ / 1000) /* cycles */
#define NO_DROPS ((const uint64_t[SL_DROP_MAX]){0})
#define DROPS(...) ((const uint64_t[SL_DROP_MAX]){__VA_ARGS__})

extern const uint8_t mac_lan[6], mac_wan[6], mac_dmz[6];
extern const uint8_t mac_host[6];  /* 10.1.0.7 */
extern const uint8_t mac_nbr[6];   /* 10.2.0.9 */
extern const uint8_t mac_gw[6];    /* 10.2.0.2 */
extern const uint8_t mac_other[6], mac_bcast[6], mac_zero[6];

/* Set up once per binary by group_setup. */
extern struct rte_mempool *pool;
extern struct sl_ipstack_port_id ids[3];
extern struct sl_config *cfg_a, *cfg_r;       /* cfg_a: lan, wan; cfg_r: lan, wan, dmz */
extern struct sl_ipstack_tables *tab_a, *tab_r;
extern struct sl_lcore_stats wst, cst; /* worker's and management lcore's counters */

struct sent {
	uint16_t port;
	struct rte_mbuf *m;
};

/* Per-test environment: a neighbor table, a punt ring, a worker, a control. */
struct ipstack_env {
	struct sl_neigh_table *nt;
	struct rte_ring *ring;
	struct sl_ipstack_worker w;
	struct sl_ipstack_ctl c;
	struct sent tx[64]; /* frames the management lcore sent */
	unsigned n_tx;
};

extern struct ipstack_env E;

/* ---- addresses ---------------------------------------------------------- */

struct a6 {
	uint8_t b[16];
};

struct a6 a6(const char *s);
uint32_t be32(uint32_t host);

/* ---- frame builder ------------------------------------------------------ */

struct frame {
	uint8_t b[1600];
	uint16_t len; /* bytes */
	uint16_t l3;  /* offset of the IP header */
	uint16_t l4;  /* offset of the L4 header; 0: none (non-first fragment) */
	uint8_t ipv, proto;
};

void put(struct frame *f, const void *d, size_t n);
void put8(struct frame *f, uint8_t v);
void put16(struct frame *f, uint16_t v);
void put32(struct frame *f, uint32_t v);
void wr16(struct frame *f, size_t off, uint16_t v);
/* Ethernet header, with an 802.1Q tag if @p vlan >= 0. */
void f_eth(struct frame *f, const uint8_t *dst, const uint8_t *src, int vlan, uint16_t type);
void f_ip4(struct frame *f, uint32_t src, uint32_t dst, uint8_t proto, uint8_t ttl,
	   uint16_t frag);
void f_ip6(struct frame *f, const uint8_t *src, const uint8_t *dst, uint8_t proto,
	   uint8_t hlim);
/* IPv6 fragment header (after f_ip6 with proto 44); @p offset8 in 8-byte units. */
void f_frag6(struct frame *f, uint8_t nh, uint16_t offset8, bool more);
void f_icmp(struct frame *f, uint8_t type, uint8_t code, uint32_t rest);
void f_udp(struct frame *f, uint16_t sport, uint16_t dport);
void f_payload(struct frame *f, size_t n);
/* Lengths and checksums, as a correct sender writes them. */
void f_fin(struct frame *f);
/* UDP from the lan host to @p dst, @p total IP bytes long. */
void f_udp4(struct frame *f, const uint8_t *dmac, uint32_t src, uint32_t dst, uint8_t ttl,
	    uint16_t frag, uint16_t total);
void f_udp6(struct frame *f, const uint8_t *src, const uint8_t *dst, uint8_t hlim,
	    uint16_t total);
void f_arp(struct frame *f, const uint8_t *dst, const uint8_t *src, uint16_t op,
	   const uint8_t *sha, uint32_t sip, const uint8_t *tha, uint32_t tip);
/* NS or NA with one link-layer address option (@p opt 0: none). */
void f_nd(struct frame *f, const uint8_t *dmac, const uint8_t *smac, const uint8_t *src,
	  const uint8_t *dst, uint8_t hlim, uint8_t type, uint32_t flags,
	  const uint8_t *target, uint8_t opt, const uint8_t *lladdr);

/* ---- mbufs, bursts, assertions ------------------------------------------ */

struct rte_mbuf *mk(const struct frame *f, uint16_t in_port);
/* Frames @p f[0..n) arriving on @p in_port, parsed (all must pass). */
void rx(struct rte_mbuf **pkts, const struct frame *f, uint16_t n, uint16_t in_port);
struct rte_mbuf *rx1(const struct frame *f, uint16_t in_port);
void free_all(struct rte_mbuf **pkts, uint16_t n);
void expect_drops(const struct sl_lcore_stats *st, const uint64_t want[SL_DROP_MAX]);
void expect_bytes(struct rte_mbuf *m, const struct frame *want);
/* The frame with its Ethernet header replaced (what the L2 rewrite makes). */
void relink(struct frame *f, const uint8_t *dst, const uint8_t *src);
/* What forwarding makes of an IPv4 frame: TTL - 1, checksum recomputed in full. */
void ttl_dec(struct frame *f);
/* An ICMP error from sluice about @p orig (the frame as sent). */
void expect_icmp4(struct rte_mbuf *e, const struct frame *orig, uint8_t type, uint8_t code,
		  uint16_t mtu);
void expect_icmp6(struct rte_mbuf *e, const struct frame *orig, uint8_t type, uint8_t code,
		  uint32_t info);
void tx_clear(void);
/* Hand whatever the workers punted to the management lcore. */
unsigned pump(uint64_t now);
struct sl_neigh_entry *neigh_put(uint16_t port, uint32_t addr_host, const uint8_t *mac,
				 uint8_t state);
struct sl_neigh_entry *neigh_put6(uint16_t port, const uint8_t *addr, const uint8_t *mac,
				  uint8_t state);
uint64_t neigh_word4(uint16_t port, uint32_t addr_host);
uint64_t mac64(const uint8_t *mac);

/* A deterministic pseudo-random sequence (xorshift), the same on every run. */
uint32_t rnd(void);

/* ---- fixtures ----------------------------------------------------------- */

/* A config from JSON text written with ' for "; NULL (and a message) if invalid. */
struct sl_config *parse_cfg(const char *text);
int group_setup(void **state);
int group_teardown(void **state);
int env_setup(void **state);
/* Everything the test left behind is released; then no mbuf may be missing. */
int env_teardown(void **state);

#endif /* SL_TEST_IPSTACK_FIXTURE_H */

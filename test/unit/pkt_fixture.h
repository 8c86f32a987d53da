/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the parse-stage (lib/pkt) test binaries share: the packet builder,
 * the standard packets, mbufs made from them and the parse assertions.
 *
 * Principles: packets are built byte by byte here, not by the code under
 * test; every passed packet is also run through the independent checker in
 * test/fuzz/pkt_check.h; every rejection asserts the exact drop reason.
 * Each test runs between note_avail and leak_check, so a test that leaks
 * an mbuf fails.
 */
#ifndef SL_TEST_PKT_FIXTURE_H
#define SL_TEST_PKT_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "sl_pkt.h"

#define RX_TSC 0x1122334455667788ull
#define IN_PORT 3
#define PKT_MAX 1600
#define PASSES SL_DROP_MAX /* "expect it to pass" in case tables */

extern struct rte_mempool *pool;

/* ---- packet builder ---------------------------------------------------- */

struct pkt {
	uint8_t b[PKT_MAX];
	uint16_t len; /* bytes */
	uint16_t l3;  /* offset of the IP header */
	uint16_t l4;  /* offset of the L4 header, 0 if none */
	uint8_t ipv;  /* 4, 6 or 0 */
	bool udp;     /* fin() sets the UDP length */
};

extern const uint8_t mac_us[6], mac_peer[6], mac_bcast[6], mac_mcast[6];

void put(struct pkt *p, const void *d, size_t n);
void put8(struct pkt *p, uint8_t v);
void put16(struct pkt *p, uint16_t v);
void put32(struct pkt *p, uint32_t v);
void fill(struct pkt *p, uint8_t v, size_t n);
void wr16(struct pkt *p, size_t off, uint16_t v);
void eth(struct pkt *p, const uint8_t *dst, uint16_t type);
void vlan(struct pkt *p, uint16_t tci, uint16_t type);
/* IPv4 header; options are NOPs; lengths and checksum come from fin(). */
void ip4(struct pkt *p, uint8_t proto, unsigned opt_words, uint16_t frag);
void ip6(struct pkt *p, uint8_t nh);
/* Hop-by-hop, routing or destination options header of @p bytes (8k). */
void ext6(struct pkt *p, uint8_t nh, unsigned bytes);
/* AH of @p bytes (4k, >= 12). */
void ah6(struct pkt *p, uint8_t nh, unsigned bytes);
void frag6(struct pkt *p, uint8_t nh, uint16_t off8, bool mf);
void tcp(struct pkt *p, uint16_t sp, uint16_t dp, unsigned doff);
void udp(struct pkt *p, uint16_t sp, uint16_t dp);
/* ICMP or ICMPv6: 4 bytes, plus identifier and sequence (8 in all). */
void icmp(struct pkt *p, uint8_t type, uint16_t id);
void payload(struct pkt *p, size_t n);
void arp(struct pkt *p);
void fix_cksum(struct pkt *p);
/* Set IP (and UDP) lengths to the bytes built so far; fix the checksum. */
void fin(struct pkt *p);
/* Cut the packet to @p len bytes and make the IP length agree. */
void cut(struct pkt *p, uint16_t len);

/* ---- mbufs ------------------------------------------------------------- */

/* Junk in every field parse owns; what the rx path sets. */
void prime_meta_with(struct rte_mbuf *m, uint8_t junk, uint64_t tsc, uint16_t port);
/* Exact-size single-segment packet. */
struct rte_mbuf *mk(const struct pkt *p);
/* Pool mbufs, split into segments at the ascending offsets @p cuts. */
struct rte_mbuf *mk_segs(const struct pkt *p, const uint16_t *cuts, unsigned ncuts);
struct rte_mbuf *mk_pool(const struct pkt *p);
void assert_pass(struct rte_mbuf *m, bool cksum_trusted);
/* Parse a packet that must pass; returns it for field checks. */
struct rte_mbuf *parse_ok(const struct pkt *p);
void assert_reason(struct rte_mbuf *m, enum sl_drop_reason want, const char *what);
void expect(const struct pkt *p, enum sl_drop_reason want, const char *what);

/* ---- standard packets -------------------------------------------------- */

void v4_tcp(struct pkt *p, unsigned opt_words, unsigned doff, size_t data);
void v4_udp(struct pkt *p, uint16_t frag, size_t data);
void v4_icmp(struct pkt *p, uint8_t type, size_t data);
void v6_tcp(struct pkt *p, size_t data);
void v6_udp(struct pkt *p, size_t data);
void vlan_v4_tcp(struct pkt *p, size_t data);

/* The bases the malformed cases and the mutations start from. */
enum base { B_V4_TCP, B_V4_UDP, B_V4_ICMP, B_V6_TCP, B_V6_UDP, B_VLAN_V4, B_ARP, B_V6_EXT };

/* Sizes, bytes: B_V4_TCP 58 (IP 44, TCP 20 + 4), B_V4_UDP 52 (IP 38, UDP 18),
 * B_V4_ICMP 50 (echo), B_V6_TCP 78 (payload 24), B_V6_UDP 72 (payload 18),
 * B_VLAN_V4 62, B_ARP 42, B_V6_EXT 98 (HBH 8 + DST 16 + TCP 20). */
void build_base(struct pkt *p, enum base b);

/* ---- setup ------------------------------------------------------------- */

int group_setup(void **state);
int group_teardown(void **state);
int note_avail(void **state);
/* Every mbuf the test allocated went back to the pool. */
int leak_check(void **state);

#endif /* SL_TEST_PKT_FIXTURE_H */

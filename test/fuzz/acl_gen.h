/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Random ACL rules and packets from a byte source, shared by the ACL unit
 * test (bytes from a PRNG) and fuzz_acl (bytes from the fuzzer's input).
 *
 * Addresses, ports, DSCPs and flags come from small pools with small
 * perturbations, so that rules and packets meet: prefixes of every length
 * around the same few addresses, port ranges whose ends are the ports
 * packets use, and their neighbours. Rules keep the invariants the config
 * parser gives them (a rule's family is its prefixes', or its ICMP's).
 * Packets are built byte by byte and go through the real parse stage.
 */
#ifndef SL_TEST_ACL_GEN_H
#define SL_TEST_ACL_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <netinet/in.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "sl_config.h"
#include "sl_pkt.h"
#include "sl_prefixset.h"

struct acl_src {
	const uint8_t *p;   /* the fuzzer's bytes; NULL: a PRNG */
	size_t n;
	uint64_t rng;
};

static inline uint8_t acl_byte(struct acl_src *s)
{
	if (s->p == NULL) {
		s->rng ^= s->rng << 13, s->rng ^= s->rng >> 7, s->rng ^= s->rng << 17;
		return (uint8_t)(s->rng >> 24);
	}
	if (s->n == 0)
		return 0;
	s->n--;
	return *s->p++;
}

static inline unsigned acl_pick(struct acl_src *s, unsigned n)
{
	return (unsigned)(acl_byte(s) | acl_byte(s) << 8) % n;
}

static const uint8_t acl_v4_pool[][4] = {{10, 0, 0, 0}, {10, 1, 2, 0}, {192, 0, 2, 128}};
static const uint8_t acl_v6_pool[][16] = {
	{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	{0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd, 0, 0},
	{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80},
};
static const uint16_t acl_port_pool[] = {0, 1, 22, 53, 80, 443, 1023, 1024, 8080, 65535};
static const uint8_t acl_dscp_pool[] = {0, 10, 46, 63};

/* An address near one of the pool's: its last two bytes may move. */
static inline void acl_addr(struct acl_src *s, uint8_t af, uint8_t *out)
{
	unsigned n = af == SL_AF_INET ? 4 : 16;
	memcpy(out, af == SL_AF_INET ? acl_v4_pool[acl_pick(s, 3)] : acl_v6_pool[acl_pick(s, 3)], n);
	uint8_t how = acl_byte(s);
	if (how & 1)
		out[n - 1] ^= acl_byte(s);
	if (how & 2)
		out[n - 2] ^= (uint8_t)(1u << (acl_byte(s) % 8));
	if (how & 4)
		out[acl_pick(s, n)] ^= (uint8_t)(1u << (acl_byte(s) % 8));
}

static inline void acl_prefix(struct acl_src *s, uint8_t af, struct sl_prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->addr.af = af;
	acl_addr(s, af, af == SL_AF_INET ? (uint8_t *)&p->addr.v4 : p->addr.v6);
	p->len = (uint8_t)acl_pick(s, af == SL_AF_INET ? 33 : 129);
	sl_prefix_mask(p);
}

/* A prefix set's entry near the pool's addresses, at least @p min_len long
 * (a set of everything would tell nothing, and a /0 is no entry). */
static inline void acl_set_entry(struct acl_src *s, uint8_t af, uint8_t min_len,
				 struct sl_pset_entry *e)
{
	struct sl_prefix p;
	acl_prefix(s, af, &p);
	p.len = (uint8_t)(p.len < min_len ? min_len + p.len : p.len);
	p.len = (uint8_t)(p.len > (af == SL_AF_INET ? 32 : 128) ? (af == SL_AF_INET ? 32 : 128) : p.len);
	sl_prefix_mask(&p);
	memset(e, 0, sizeof(*e));
	e->af = p.addr.af;
	e->len = p.len;
	memcpy(e->addr, p.addr.af == SL_AF_INET ? (const void *)&p.addr.v4 : p.addr.v6,
	       p.addr.af == SL_AF_INET ? 4 : 16);
}

static inline uint16_t acl_port(struct acl_src *s)
{
	uint16_t p = acl_port_pool[acl_pick(s, RTE_DIM(acl_port_pool))];
	uint8_t how = acl_byte(s) % 4;
	return how == 1 && p < 65535 ? p + 1 : how == 2 && p > 0 ? p - 1 : p;
}

/* A rule as the config parser would leave it, over ports 0..@p n_ports-1. */
static inline void acl_gen_rule(struct acl_src *s, struct sl_config_acl_rule *r, unsigned n_ports)
{
	memset(r, 0, sizeof(*r));
	r->in_port = r->zone = r->dscp = -1;
	r->src_set = r->dst_set = -1;
	r->proto = -1;
	r->sport_hi = r->dport_hi = 65535;
	r->action = (uint8_t)acl_pick(s, 3);
	uint8_t what = acl_byte(s), more = acl_byte(s);
	uint8_t af = what & 1 ? SL_AF_INET6 : SL_AF_INET;
	if (what & 2) {
		r->has_src = true;
		acl_prefix(s, af, &r->src);
	}
	if (what & 4) {
		r->has_dst = true;
		acl_prefix(s, af, &r->dst);
	}
	static const int16_t protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6, 47};
	if (what & 8)
		r->proto = protos[acl_pick(s, RTE_DIM(protos))];
	if (r->has_src || r->has_dst)
		r->af = af;
	uint8_t icmp_af = r->proto == IPPROTO_ICMP ? SL_AF_INET :
			  r->proto == IPPROTO_ICMPV6 ? SL_AF_INET6 : 0;
	if (icmp_af != 0 && r->af != 0 && icmp_af != r->af)
		r->proto = IPPROTO_UDP;
	else if (icmp_af != 0)
		r->af = icmp_af;
	if ((r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP) && (what & 16)) {
		uint16_t a = acl_port(s), b = acl_port(s);
		r->sport_lo = a < b ? a : b;
		r->sport_hi = a < b ? b : a;
	}
	if ((r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP) && (what & 32)) {
		uint16_t a = acl_port(s), b = acl_port(s);
		r->dport_lo = a < b ? a : b;
		r->dport_hi = a < b ? b : a;
	}
	if (r->proto == IPPROTO_TCP && (what & 64)) {
		r->flags_mask = (uint8_t)(acl_byte(s) | 0x02);
		r->flags_value = acl_byte(s) & r->flags_mask;
	}
	if (more & 1)
		r->in_port = (int16_t)acl_pick(s, n_ports);
	if (more & 2)
		r->zone = (int8_t)(acl_byte(s) & 1);
	if (more & 4)
		r->dscp = (int8_t)acl_dscp_pool[acl_pick(s, RTE_DIM(acl_dscp_pool))];
}

/*
 * A packet arriving on a port 0..@p n_ports-1, parsed (NULL if parse
 * refused it, which the generator avoids): TCP, UDP, ICMP or GRE, IPv4 or
 * IPv6, sometimes a later IPv4 fragment.
 */
static inline struct rte_mbuf *acl_gen_packet(struct acl_src *s, struct rte_mempool *pool,
					      unsigned n_ports, struct sl_lcore_stats *st)
{
	uint8_t what = acl_byte(s);
	bool v4 = !(what & 1);
	static const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, 47};
	uint8_t proto = protos[acl_pick(s, RTE_DIM(protos))];
	if (proto == IPPROTO_ICMP && !v4)
		proto = IPPROTO_ICMPV6;
	bool later_frag = v4 && (what & 0x0e) == 0x0e;
	uint8_t dscp = acl_dscp_pool[acl_pick(s, RTE_DIM(acl_dscp_pool))];
	uint16_t l3 = v4 ? 20 : 40, l4 = proto == IPPROTO_TCP ? 20 : proto == 47 ? 4 : 8;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	if (m == NULL)
		return NULL;
	uint8_t *b = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(14 + l3 + l4 + 8));
	if (b == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(b, 0, (size_t)14 + l3 + l4 + 8);
	b[0] = 0x02, b[5] = 0x01;    /* any unicast MAC: parse does not check it */
	b[6] = 0x02, b[11] = 0x02;
	b[12] = v4 ? 0x08 : 0x86;
	b[13] = v4 ? 0x00 : 0xdd;
	uint8_t *ip = b + 14, *l4h = ip + l3;
	if (v4) {
		ip[0] = 0x45;
		ip[1] = (uint8_t)(dscp << 2);
		uint16_t tot = (uint16_t)(l3 + l4 + 8);
		ip[2] = (uint8_t)(tot >> 8), ip[3] = (uint8_t)tot;
		if (later_frag)
			ip[6] = 0x20, ip[7] = 0x10;     /* MF, offset 128 bytes */
		ip[8] = 64;
		ip[9] = proto;
		acl_addr(s, SL_AF_INET, ip + 12);
		acl_addr(s, SL_AF_INET, ip + 16);
	} else {
		ip[0] = (uint8_t)(0x60 | dscp >> 2);
		ip[1] = (uint8_t)(dscp << 6);
		uint16_t pl = (uint16_t)(l4 + 8);
		ip[4] = (uint8_t)(pl >> 8), ip[5] = (uint8_t)pl;
		ip[6] = proto;
		ip[7] = 64;
		acl_addr(s, SL_AF_INET6, ip + 8);
		acl_addr(s, SL_AF_INET6, ip + 24);
	}
	uint16_t sp = acl_port(s), dp = acl_port(s);
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		l4h[0] = (uint8_t)(sp >> 8), l4h[1] = (uint8_t)sp;
		l4h[2] = (uint8_t)(dp >> 8), l4h[3] = (uint8_t)dp;
	}
	if (proto == IPPROTO_TCP) {
		l4h[12] = 5 << 4;
		l4h[13] = acl_byte(s);
	} else if (proto == IPPROTO_UDP) {
		l4h[5] = 16;
	} else if (proto != 47) {
		l4h[0] = v4 ? 8 : 128;    /* echo request */
	}
	if (v4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;
		h->hdr_checksum = rte_ipv4_cksum(h);
		if (!later_frag && (proto == IPPROTO_TCP || proto == IPPROTO_UDP)) {
			uint16_t c = rte_ipv4_udptcp_cksum(h, l4h);
			memcpy(l4h + (proto == IPPROTO_TCP ? 16 : 6), &c, 2);
		}
	} else if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		uint16_t c = rte_ipv6_udptcp_cksum((struct rte_ipv6_hdr *)ip, l4h);
		memcpy(l4h + (proto == IPPROTO_TCP ? 16 : 6), &c, 2);
	}
	struct sl_pkt_parse_ctx ctx = {.st = st, .in_port = (uint16_t)acl_pick(s, n_ports)};
	if (sl_pkt_parse_burst(&ctx, &m, 1, 0) != 1) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	return m;
}

#endif

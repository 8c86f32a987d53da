/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Network address translation, inside the connection table.
 *
 * A NATed connection's two keys are no longer each other's reverse: the
 * reply key holds the address and port the peer answers to. Translating a
 * packet is then one rule for every kind of NAT: a packet travelling in
 * direction d leaves looking like the other direction's key turned round.
 * The destination side is rewritten before route (so the FIB routes the
 * real destination), the source side after it (so route's ICMP errors
 * quote, and go to, the packet as it arrived), as netfilter's PREROUTING
 * and POSTROUTING hooks do.
 *
 * Checksums are updated incrementally (RFC 1624): the IPv4 header's; TCP's
 * and UDP's over the pseudo-header and the port; ICMPv6's over the
 * pseudo-header and the identifier; ICMP's over the identifier. A UDP
 * checksum of 0 over IPv4 (none) stays 0; a result of 0 is sent as 0xffff.
 */
#include <errno.h>
#include <string.h>

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "flow_priv.h"

/* A one's-complement checksum after 16-bit words @p old became @p new_ (@p n bytes). */
static inline uint16_t adjust(uint16_t cksum, const uint8_t *old, const uint8_t *new_, size_t n)
{
	uint32_t sum = (uint16_t)~cksum;
	for (size_t i = 0; i < n; i += 2) {
		uint16_t o, w;
		memcpy(&o, old + i, 2);
		memcpy(&w, new_ + i, 2);
		sum += (uint16_t)~o;
		sum += w;
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The L4 checksum field a change of pseudo-header or port must follow, or NULL. */
static uint16_t *l4_cksum(struct rte_mbuf *m, bool pseudo)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	if (!(meta->flags & SL_PKT_F_FIRST_FRAG))
		return NULL;
	void *l4 = sl_pkt_l4(m);
	switch (meta->l4_proto) {
	case IPPROTO_TCP:
		return &((struct rte_tcp_hdr *)l4)->cksum;
	case IPPROTO_UDP: {
		struct rte_udp_hdr *u = l4;
		/* IPv4 UDP without a checksum has none to keep right. */
		return meta->l3_type == SL_L3_IPV4 && u->dgram_cksum == 0 ? NULL : &u->dgram_cksum;
	}
	case IPPROTO_ICMPV6:
		return &((struct rte_icmp_hdr *)l4)->icmp_cksum;
	case IPPROTO_ICMP:
		return pseudo ? NULL : &((struct rte_icmp_hdr *)l4)->icmp_cksum;
	default:
		return NULL;
	}
}

static void fix_zero_udp(struct rte_mbuf *m, uint16_t *ck)
{
	if (*ck == 0 && sl_pkt_meta(m)->l4_proto == IPPROTO_UDP)
		*ck = 0xffff;
}

/* Set the source or destination address to @p a (network order). */
static void set_addr(struct rte_mbuf *m, bool dst, const uint8_t *a)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	uint8_t old[16];
	size_t n;
	uint8_t *field;
	if (meta->l3_type == SL_L3_IPV4) {
		struct rte_ipv4_hdr *ip = sl_pkt_ipv4(m);
		field = (uint8_t *)(dst ? &ip->dst_addr : &ip->src_addr);
		n = 4;
		if (memcmp(field, a, n) == 0)
			return;
		memcpy(old, field, n);
		ip->hdr_checksum = adjust(ip->hdr_checksum, old, a, n);
	} else {
		struct rte_ipv6_hdr *ip = sl_pkt_ipv6(m);
		field = dst ? ip->dst_addr : ip->src_addr;
		n = 16;
		if (memcmp(field, a, n) == 0)
			return;
		memcpy(old, field, n);
	}
	uint16_t *ck = l4_cksum(m, true);
	if (ck != NULL) {
		*ck = adjust(*ck, old, a, n);
		fix_zero_udp(m, ck);
	}
	memcpy(field, a, n);
}

/* Set a TCP/UDP port (@p dst: the destination's) to @p port (host order). */
static void set_port(struct rte_mbuf *m, bool dst, uint16_t port)
{
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	if ((dst ? meta->dst_port : meta->src_port) == port || !(meta->flags & SL_PKT_F_FIRST_FRAG))
		return;
	/* TCP and UDP have their ports in the same place. */
	uint16_t *field = (uint16_t *)sl_pkt_l4(m) + (dst ? 1 : 0);
	uint16_t v = rte_cpu_to_be_16(port), old = *field;
	uint16_t *ck = l4_cksum(m, false);
	if (ck != NULL) {
		*ck = adjust(*ck, (const uint8_t *)&old, (const uint8_t *)&v, 2);
		fix_zero_udp(m, ck);
	}
	*field = v;
	if (dst)
		meta->dst_port = port;
	else
		meta->src_port = port;
}

/* Set an echo message's identifier to @p id (host order). */
static void set_echo_id(struct rte_mbuf *m, uint16_t id)
{
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	if (meta->src_port == id)
		return;
	struct rte_icmp_hdr *ih = sl_pkt_l4(m);
	uint16_t v = rte_cpu_to_be_16(id), old = ih->icmp_ident;
	ih->icmp_cksum = adjust(ih->icmp_cksum, (const uint8_t *)&old, (const uint8_t *)&v, 2);
	ih->icmp_ident = v;
	meta->src_port = id;
}

static inline bool is_echo(const struct sl_flow *f)
{
	return flow_is_echo(f->af, f->proto);
}

void flow_nat_dst(const struct sl_flow_table *t, const struct sl_flow *f, enum sl_flow_dir dir,
		  struct rte_mbuf *m)
{
	struct sl_flow_key other;
	sl_flow_key_get(t, f, (enum sl_flow_dir)!dir, &other);
	set_addr(m, true, other.src);
	if (is_echo(f)) {
		/* The identifier belongs to the side that asked: on its way back
		 * to it, the reply gets the one it sent. */
		if (dir == SL_FLOW_REPLY)
			set_echo_id(m, other.sport);
	} else if (f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP) {
		set_port(m, true, other.sport);
	}
}

void flow_nat_src(const struct sl_flow_table *t, const struct sl_flow *f, enum sl_flow_dir dir,
		  struct rte_mbuf *m)
{
	struct sl_flow_key other;
	sl_flow_key_get(t, f, (enum sl_flow_dir)!dir, &other);
	set_addr(m, false, other.dst);
	if (is_echo(f)) {
		if (dir == SL_FLOW_ORIG)
			set_echo_id(m, other.sport);
	} else if (f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP) {
		set_port(m, false, other.dport);
	}
}

void sl_flow_as_received(const struct sl_flow_worker_ctx *c, struct rte_mbuf *m)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	if (meta->flow == 0)
		return;
	const struct sl_flow *f = sl_flow_get(c->t, meta->flow - 1);
	if (!(f->flags & (SL_FLOW_F_SNAT | SL_FLOW_F_DNAT)))
		return;
	enum sl_flow_dir dir = (enum sl_flow_dir)meta->flow_dir;
	bool both = meta->flags & SL_PKT_F_NAT_DONE;
	struct sl_flow_key own;
	sl_flow_key_get(c->t, f, dir, &own);
	set_addr(m, true, own.dst);
	if (both)
		set_addr(m, false, own.src);
	if (is_echo(f)) {
		if (dir == SL_FLOW_REPLY || both)
			set_echo_id(m, own.sport);
	} else if (f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP) {
		set_port(m, true, own.dport);
		if (both)
			set_port(m, false, own.sport);
		if (f->proxy != SL_FLOW_PROXY_NONE)
			flow_proxy_as_sent(c->t, f, dir, sl_pkt_l4(m));
	}
}

void flow_nat_both(const struct sl_flow_table *t, const struct sl_flow *f, enum sl_flow_dir dir,
		   struct rte_mbuf *m)
{
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	if (f->af != 4 || (f->proto != IPPROTO_TCP && f->proto != IPPROTO_UDP) ||
	    !(meta->flags & SL_PKT_F_FIRST_FRAG)) {
		flow_nat_dst(t, f, dir, m);
		flow_nat_src(t, f, dir, m);
		return;
	}
	/* IPv4 TCP and UDP, the common case: the other direction's key
	 * turned round, straight from the entry, one adjustment per checksum. */
	unsigned o = !dir;
	struct rte_ipv4_hdr *ip = sl_pkt_ipv4(m);
	uint16_t *ports = (uint16_t *)sl_pkt_l4(m);
	uint16_t sp = rte_cpu_to_be_16(f->port[o][1]), dp = rte_cpu_to_be_16(f->port[o][0]);
	uint8_t old[12], new_[12];
	memcpy(old, &ip->src_addr, 8);             /* source and destination, adjacent */
	memcpy(old + 8, ports, 4);
	memcpy(new_, &f->addr4[o][1], 4);
	memcpy(new_ + 4, &f->addr4[o][0], 4);
	memcpy(new_ + 8, &sp, 2);
	memcpy(new_ + 10, &dp, 2);
	ip->hdr_checksum = adjust(ip->hdr_checksum, old, new_, 8);
	uint16_t *ck = l4_cksum(m, true);
	if (ck != NULL) {
		*ck = adjust(*ck, old, new_, 12);
		fix_zero_udp(m, ck);
	}
	memcpy(&ip->src_addr, new_, 8);
	memcpy(ports, new_ + 8, 4);
	meta->src_port = f->port[o][1];
	meta->dst_port = f->port[o][0];
}

static bool prefix_has(const uint8_t *prefix, unsigned len, const uint8_t *a)
{
	unsigned bytes = len / 8, bits = len % 8;
	if (memcmp(prefix, a, bytes) != 0)
		return false;
	return bits == 0 || ((prefix[bytes] ^ a[bytes]) & (uint8_t)(0xff << (8 - bits))) == 0;
}

const struct sl_flow_snat *flow_snat_match(const struct sl_flow_policy *pol, uint16_t port,
					   uint8_t af, const uint8_t *src)
{
	for (unsigned i = 0; i < pol->n_snat; i++) {
		const struct sl_flow_snat *r = &pol->snat[i];
		if (r->out_port != port || !(af == 4 ? r->has4 : r->has6))
			continue;
		if (r->af == 0 || (r->af == af && prefix_has(r->prefix, r->plen, src)))
			return r;
	}
	return NULL;
}

#define SNAT_TRIES 64

/* Publish @p reply (its port chosen) as the connection's reply key. */
static int snat_rekey(struct sl_flow_worker_ctx *c, struct sl_flow *f, uint32_t idx,
		      const struct sl_flow_key *reply)
{
	/* Flagged before the new key is published: a worker that finds it
	 * translates what it finds. */
	f->flags |= SL_FLOW_F_SNAT;
	int rc = sl_flow_rekey_reply(c->t, c->worker, idx, reply);
	if (rc != 0)
		f->flags &= (uint8_t)~SL_FLOW_F_SNAT;
	return rc;
}

/*
 * The port from @p lo..@p hi whose reply tuple the NIC's RSS delivers to
 * this worker: @p want if it is one, else the next such from the cursor.
 * Only this worker can pick a port that comes back to it, so two workers
 * never pick the same reply key at once, as with the partition below.
 */
static int snat_bind_steered(struct sl_flow_worker_ctx *c, const struct sl_rss_steer *s,
			     struct sl_flow *f, uint32_t idx, struct sl_flow_key *reply,
			     uint16_t lo, uint16_t hi)
{
	uint32_t base = sl_rss_hash_base(s, f->af, reply->src, reply->dst, reply->sport);
	uint32_t span = (uint32_t)(hi - lo) + 1, want = reply->dport, tries = 0;
	if (want >= lo && want <= hi && sl_rss_worker(s, f->af, base, (uint16_t)want) == c->worker) {
		tries++;
		int rc = snat_rekey(c, f, idx, reply);
		if (rc != -EEXIST)
			return rc == 0 ? 0 : -ENOSPC;
	}
	/* About one port in n_workers is this worker's: look at that many
	 * times more candidates than the tries allowed. */
	for (uint32_t looked = 0; looked < span && looked < SNAT_TRIES * 4 * c->n_workers &&
	     tries < SNAT_TRIES; looked++) {
		uint16_t port = (uint16_t)(lo + c->snat_cursor++ % span);
		if (sl_rss_worker(s, f->af, base, port) != c->worker)
			continue;
		tries++;
		reply->dport = port;
		int rc = snat_rekey(c, f, idx, reply);
		if (rc == 0)
			return 0;
		if (rc != -EEXIST)
			break;
	}
	return -ENOSPC;
}

int flow_snat_bind(struct sl_flow_worker_ctx *c, uint32_t idx, const struct sl_flow_snat *r,
		   uint16_t reply_port)
{
	struct sl_flow_table *t = c->t;
	struct sl_flow *f = sl_flow_get(t, idx);
	struct sl_flow_key reply;
	bool echo = is_echo(f);
	sl_flow_key_get(t, f, SL_FLOW_REPLY, &reply);
	memcpy(reply.dst, f->af == 4 ? r->to4 : r->to6, f->af == 4 ? 4 : 16);
	/* Protocols without ports (GRE, ESP, ...): the address alone. */
	if (!echo && f->proto != IPPROTO_TCP && f->proto != IPPROTO_UDP)
		return snat_rekey(c, f, idx, &reply) == 0 ? 0 : -ENOSPC;
	const struct sl_rss_steer *s = c->steer != NULL && reply_port < SL_MAX_PORTS ?
		c->steer[reply_port] : NULL;
	if (!echo && sl_rss_steers(s, f->af, f->proto))
		return snat_bind_steered(c, s, f, idx, &reply, r->lo, r->hi);
	/* The port (identifier) the peer answers to: where the original one is. */
	uint16_t *port = echo ? &reply.sport : &reply.dport;
	uint16_t want = *port;
	/* Ports are shared out among workers, port lo + w + k * n to worker w,
	 * so two workers never pick the same one. */
	uint32_t n = c->n_workers, span = (uint32_t)(r->hi - r->lo) + 1;
	uint32_t mine = span > c->worker ? (span - c->worker + n - 1) / n : 0;
	if (mine == 0)
		return -ENOSPC;
	bool keep = want >= r->lo && want <= r->hi && (want - r->lo) % n == c->worker;
	for (unsigned i = 0; i < SNAT_TRIES; i++) {
		if (i == 0 && keep) {
			*port = want;
		} else {
			uint32_t k = c->snat_cursor++ % mine;
			*port = (uint16_t)(r->lo + c->worker + k * n);
		}
		int rc = snat_rekey(c, f, idx, &reply);
		if (rc == 0)
			return 0;
		if (rc != -EEXIST)
			break;
	}
	return -ENOSPC;
}

/* The quoted packet's header inside an ICMP error, and how much of it is there. */
static uint8_t *quoted(struct rte_mbuf *m, uint32_t *avail)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	uint32_t off = meta->l2_len + meta->l3_len + 8u;
	*avail = rte_pktmbuf_data_len(m) > off ? rte_pktmbuf_data_len(m) - off : 0;
	return rte_pktmbuf_mtod_offset(m, uint8_t *, off);
}

/* Rewrite the quoted packet @p q (@p avail bytes) to @p want: addresses, ports or identifier. */
static void rewrite_quote(uint8_t *q, uint32_t avail, bool v4, const struct sl_flow_key *want,
			  bool echo)
{
	uint32_t hl = v4 ? (q[0] & 0xfu) * 4u : 40u;
	uint8_t *src = v4 ? q + 12 : q + 8, *dst = v4 ? q + 16 : q + 24, *l4 = q + hl;
	size_t n = v4 ? 4 : 16;
	uint8_t proto = v4 ? q[9] : q[6];
	uint8_t old[40], new_[40];
	/* What the quoted L4 checksum covers that changes: addresses, then ports. */
	memcpy(old, src, n);
	memcpy(old + n, dst, n);
	memcpy(src, want->src, n);
	memcpy(dst, want->dst, n);
	memcpy(new_, src, n);
	memcpy(new_ + n, dst, n);
	size_t len = 2 * n;
	if (echo) {
		memcpy(old + len, l4 + 4, 2);
		l4[4] = (uint8_t)(want->sport >> 8);
		l4[5] = (uint8_t)want->sport;
		memcpy(new_ + len, l4 + 4, 2);
		len += 2;
	} else if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		memcpy(old + len, l4, 4);
		l4[0] = (uint8_t)(want->sport >> 8);
		l4[1] = (uint8_t)want->sport;
		l4[2] = (uint8_t)(want->dport >> 8);
		l4[3] = (uint8_t)want->dport;
		memcpy(new_ + len, l4, 4);
		len += 4;
	}
	/* The quoted L4 checksum, where the quote holds it (ICMP's does not
	 * cover addresses; UDP's 0 means none). */
	uint32_t ck_off = proto == IPPROTO_TCP ? 16 : proto == IPPROTO_UDP ? 6 :
			  proto == IPPROTO_ICMPV6 ? 2 : proto == IPPROTO_ICMP ? 2 : 0;
	if (ck_off != 0 && hl + ck_off + 2 <= avail) {
		uint16_t ck;
		memcpy(&ck, l4 + ck_off, 2);
		if (!(proto == IPPROTO_UDP && ck == 0)) {
			if (proto == IPPROTO_ICMP)
				ck = adjust(ck, old + 2 * n, new_ + 2 * n, len - 2 * n);
			else
				ck = adjust(ck, old, new_, len);
			memcpy(l4 + ck_off, &ck, 2);
		}
	}
	if (v4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)q;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
}

void flow_nat_related(const struct sl_flow_table *t, const struct sl_flow *f, enum sl_flow_dir dir,
		      struct rte_mbuf *m)
{
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	bool v4 = meta->l3_type == SL_L3_IPV4;
	struct sl_flow_key want, cur;
	uint32_t avail;
	/* The error's checksum is computed over all of it: it must be whole in
	 * the first segment (it is small; a segmented one passes as it is). */
	if (rte_pktmbuf_data_len(m) < meta->l2_len + meta->ip_len)
		return;
	/* The error travels as direction @p dir does; the packet it quotes went
	 * the other way, translated: it is shown to its sender as it was sent. */
	sl_flow_key_get(t, f, (enum sl_flow_dir)!dir, &want);
	sl_flow_key_get(t, f, dir, &cur);
	const uint8_t *outer_src = v4 ? (const uint8_t *)&sl_pkt_ipv4(m)->src_addr :
					sl_pkt_ipv6(m)->src_addr;
	/* From the peer itself (not a router on the way): its address too. */
	if (memcmp(outer_src, cur.src, v4 ? 4 : 16) == 0)
		set_addr(m, false, want.dst);
	set_addr(m, true, want.src);
	uint8_t *q = quoted(m, &avail);
	rewrite_quote(q, avail, v4, &want, is_echo(f));
	uint32_t qhl = v4 ? (q[0] & 0xfu) * 4u : 40u;
	if (f->proxy != SL_FLOW_PROXY_NONE && avail >= qhl + 8)
		flow_proxy_as_sent(t, f, (enum sl_flow_dir)!dir, q + qhl);
	/* The error's own checksum covers the quote: computed anew. */
	struct rte_icmp_hdr *ih = sl_pkt_l4(m);
	uint32_t len = meta->ip_len - meta->l3_len;
	ih->icmp_cksum = 0;
	if (v4) {
		ih->icmp_cksum = (uint16_t)~rte_raw_cksum(ih, len);
	} else {
		/* The pseudo-header's length and next header are ICMPv6's, not
		 * the IPv6 header's (extension headers may sit between). */
		const struct rte_ipv6_hdr *ip = sl_pkt_ipv6(m);
		uint32_t ph[2] = {rte_cpu_to_be_32(len), rte_cpu_to_be_32(IPPROTO_ICMPV6)};
		uint32_t sum = __rte_raw_cksum(ip->src_addr, 32, 0);
		sum = __rte_raw_cksum(ph, sizeof(ph), sum);
		sum = __rte_raw_cksum(ih, len, sum);
		ih->icmp_cksum = (uint16_t)~__rte_raw_cksum_reduce(sum);
	}
}

bool flow_mss_clamp(struct rte_mbuf *m, uint16_t mtu)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	struct rte_tcp_hdr *th = sl_pkt_l4(m);
	uint16_t limit = (uint16_t)(mtu - (meta->l3_type == SL_L3_IPV4 ? 40 : 60));
	uint8_t *o = flow_tcp_option(th, meta->l4_len, 2, 4);    /* MSS */
	if (o == NULL || (uint16_t)(o[2] << 8 | o[3]) <= limit)
		return false;
	uint8_t new_[2] = {(uint8_t)(limit >> 8), (uint8_t)limit};
	/* The option may sit at an odd offset: adjust over the aligned words. */
	if ((size_t)(o + 2 - (uint8_t *)th) & 1) {
		uint8_t ow[4] = {o[1], o[2], o[3], o[4]};
		o[2] = new_[0];
		o[3] = new_[1];
		uint8_t nw[4] = {o[1], o[2], o[3], o[4]};
		th->cksum = adjust(th->cksum, ow, nw, 4);
	} else {
		th->cksum = adjust(th->cksum, o + 2, new_, 2);
		o[2] = new_[0];
		o[3] = new_[1];
	}
	return true;
}

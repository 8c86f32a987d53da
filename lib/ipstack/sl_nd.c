/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbor resolution on the management lcore: ARP (RFC 826) and IPv6
 * neighbor discovery (RFC 4861), pending queues and timers.
 *
 * Principles: workers never wait. A packet whose neighbor is unknown is
 * punted here and parked in that neighbor's short queue (like Linux's
 * arp_queue); the answer flushes the queue out of the management TX queue,
 * so the first packets of a flow are not lost. Only addresses inside one of
 * the receiving port's subnets are ever learned, and ND messages must carry
 * hop limit 255 (they cannot have been routed).
 */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_icmp.h>

#include "ipstack_priv.h"
#include "sl_log.h"

#define ND_NS 135
#define ND_NA 136
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
#define NA_FLAG_ROUTER 0x80000000u
#define NA_FLAG_SOLICITED 0x40000000u
#define NA_FLAG_OVERRIDE 0x20000000u

struct nd_msg {               /* NS and NA share this layout */
	uint8_t type, code;
	uint16_t cksum;
	uint32_t flags;           /* NA: R/S/O; NS: reserved */
	uint8_t target[16];
	uint8_t opt_type, opt_len; /* one link-layer address option */
	struct rte_ether_addr opt_mac;
} __rte_packed __rte_aligned(2);

static void send_frame(struct sl_ipstack_ctl *c, uint16_t port, struct rte_mbuf *m)
{
	c->tx(c->tx_arg, port, m);
}

static bool is_our_v4(const struct sl_ipstack_port *p, uint32_t a)
{
	for (unsigned i = 0; i < p->n_ipv4; i++)
		if (p->ipv4[i].addr.v4 == a)
			return true;
	return false;
}

static bool on_subnet_v4(const struct sl_ipstack_port *p, uint32_t a, uint32_t *src)
{
	struct sl_addr x = {.af = SL_AF_INET, .v4 = a};
	for (unsigned i = 0; i < p->n_ipv4; i++) {
		if (sl_prefix_contains(&p->ipv4[i], &x)) {
			if (src)
				*src = p->ipv4[i].addr.v4;
			return true;
		}
	}
	return false;
}

static bool is_our_v6(const struct sl_ipstack_port *p, const uint8_t *a)
{
	if (memcmp(p->ipv6_ll, a, 16) == 0)
		return true;
	for (unsigned i = 0; i < p->n_ipv6; i++)
		if (memcmp(p->ipv6[i].addr.v6, a, 16) == 0)
			return true;
	return false;
}

static bool on_subnet_v6(const struct sl_ipstack_port *p, const uint8_t *a, uint8_t *src)
{
	struct sl_addr x = {.af = SL_AF_INET6};
	memcpy(x.v6, a, 16);
	if (ipv6_is_link_local(a)) {
		if (src)
			memcpy(src, p->ipv6_ll, 16);
		return true;
	}
	for (unsigned i = 0; i < p->n_ipv6; i++) {
		if (sl_prefix_contains(&p->ipv6[i], &x)) {
			if (src)
				memcpy(src, p->ipv6[i].addr.v6, 16);
			return true;
		}
	}
	return false;
}

static struct rte_mbuf *frame_alloc(struct sl_ipstack_ctl *c, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(c->pool);
	if (m == NULL) {
		c->st->drops[SL_DROP_NO_MBUF]++;
		return NULL;
	}
	if (rte_pktmbuf_append(m, len) == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(sl_pkt_meta(m), 0, sizeof(struct sl_pkt_meta));
	return m;
}

static void arp_send(struct sl_ipstack_ctl *c, const struct sl_ipstack_tables *t, uint16_t port,
		     uint16_t op, uint32_t sip, uint32_t tip, const struct rte_ether_addr *dst)
{
	const struct sl_ipstack_port *p = &t->ports[port];
	struct rte_mbuf *m = frame_alloc(c, RTE_ETHER_HDR_LEN + sizeof(struct rte_arp_hdr));
	if (m == NULL)
		return;
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	static const struct rte_ether_addr bcast = {.addr_bytes = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	static const struct rte_ether_addr zero;
	eth->dst_addr = dst ? *dst : bcast;
	eth->src_addr = p->mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	arp->arp_data.arp_sha = p->mac;
	arp->arp_data.arp_sip = sip;
	arp->arp_data.arp_tha = op == RTE_ARP_OP_REPLY && dst ? *dst : zero;
	arp->arp_data.arp_tip = tip;
	send_frame(c, port, m);
}

/* NS (to the solicited-node group) or NA (unicast to @p dst_ip). */
static void nd_send(struct sl_ipstack_ctl *c, const struct sl_ipstack_tables *t, uint16_t port,
		    uint8_t type, const uint8_t *src_ip, const uint8_t *dst_ip,
		    const struct rte_ether_addr *dst_mac, const uint8_t *target, uint32_t flags)
{
	const struct sl_ipstack_port *p = &t->ports[port];
	struct rte_mbuf *m = frame_alloc(c, RTE_ETHER_HDR_LEN + 40 + sizeof(struct nd_msg));
	if (m == NULL)
		return;
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);
	struct nd_msg *nd = (struct nd_msg *)(ip + 1);
	uint8_t group[16] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};

	if (type == ND_NS) {
		memcpy(group + 13, target + 13, 3);
		dst_ip = group;
		struct rte_ether_addr mc = {.addr_bytes = {0x33, 0x33, 0xff, target[13], target[14], target[15]}};
		eth->dst_addr = mc;
	} else {
		eth->dst_addr = *dst_mac;
	}
	eth->src_addr = p->mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(sizeof(*nd));
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = 255;
	memcpy(ip->src_addr, src_ip, 16);
	memcpy(ip->dst_addr, dst_ip, 16);
	nd->type = type;
	nd->code = 0;
	nd->cksum = 0;
	nd->flags = rte_cpu_to_be_32(flags);
	memcpy(nd->target, target, 16);
	nd->opt_type = type == ND_NS ? ND_OPT_SLLA : ND_OPT_TLLA;
	nd->opt_len = 1;
	nd->opt_mac = p->mac;
	nd->cksum = rte_ipv6_udptcp_cksum(ip, nd);
	send_frame(c, port, m);
}

static void solicit(struct sl_ipstack_ctl *c, const struct sl_ipstack_tables *t,
		    const struct sl_neigh_key *k)
{
	const struct sl_ipstack_port *p = &t->ports[k->port];
	if (k->af == SL_AF_INET) {
		uint32_t tip, sip;
		memcpy(&tip, k->addr, 4);
		if (!on_subnet_v4(p, tip, &sip) && !sl_ipstack_port_src4(p, &sip))
			return;
		arp_send(c, t, k->port, RTE_ARP_OP_REQUEST, sip, tip, NULL);
	} else {
		uint8_t src[16];
		if (!on_subnet_v6(p, k->addr, src))
			sl_ipstack_port_src6(p, src);
		nd_send(c, t, k->port, ND_NS, src, NULL, NULL, k->addr, 0);
	}
}

static void flush_pending(struct sl_ipstack_ctl *c, const struct sl_ipstack_tables *t,
			  struct sl_neigh_entry *e)
{
	uint64_t w = __atomic_load_n(&e->word, __ATOMIC_RELAXED);
	for (uint16_t i = 0; i < e->n_pending; i++) {
		struct rte_mbuf *m = e->pending[i];
		l2_rewrite(m, &t->ports[e->key.port], w & 0xffffffffffffULL);
		send_frame(c, e->key.port, m);
	}
	e->n_pending = 0;
}

/* An answer (or a request for us) proves the neighbor is there. */
static void confirm(struct sl_ipstack_ctl *c, const struct sl_ipstack_tables *t,
		    struct sl_neigh_entry *e, const struct rte_ether_addr *mac, uint64_t now)
{
	/* Static entries are the operator's word; ARP and ND do not override them. */
	if (SL_NEIGH_WORD_STATE(__atomic_load_n(&e->word, __ATOMIC_RELAXED)) == SL_NEIGH_PERMANENT)
		return;
	sl_neigh_set(e, mac, SL_NEIGH_REACHABLE);
	e->confirmed_tsc = now;
	e->probes = 0;
	e->next_event_tsc = now + SL_NEIGH_REACHABLE_S * c->tsc_hz;
	flush_pending(c, t, e);
}

static void arp_input(struct sl_ipstack_ctl *c, const struct sl_ipstack_tables *t,
		      struct rte_mbuf *m, uint64_t now)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	const struct rte_arp_hdr *arp = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, meta->l2_len);
	const struct sl_ipstack_port *p = &t->ports[meta->in_port];
	uint32_t sip = arp->arp_data.arp_sip, tip = arp->arp_data.arp_tip;
	uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);
	struct rte_ether_addr sha = arp->arp_data.arp_sha;
	struct sl_neigh_key k;

	if (!rte_is_unicast_ether_addr(&sha) || !on_subnet_v4(p, sip, NULL) || is_our_v4(p, sip))
		return;
	sl_neigh_key_v4(&k, meta->in_port, sip);
	bool for_us = is_our_v4(p, tip) || sl_ipstack_owns(t, meta->in_port, SL_AF_INET,
							    (const uint8_t *)&tip);
	struct sl_neigh_entry *e = sl_neigh_get(c->neigh, &k);
	if (e == NULL && for_us && sl_neigh_may_learn(c->neigh))
		e = sl_neigh_get_or_create(c->neigh, &k, now);
	if (e != NULL)
		confirm(c, t, e, &sha, now);
	if (for_us && op == RTE_ARP_OP_REQUEST)
		arp_send(c, t, meta->in_port, RTE_ARP_OP_REPLY, tip, sip, &sha);
}

static void nd_input(struct sl_ipstack_ctl *c, const struct sl_ipstack_tables *t,
		     struct rte_mbuf *m, uint64_t now)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	const struct rte_ipv6_hdr *ip = sl_pkt_ipv6(m);
	const struct sl_ipstack_port *p = &t->ports[meta->in_port];
	uint32_t len = meta->ip_len - meta->l3_len;
	const uint8_t *l4 = sl_pkt_l4(m);
	struct sl_neigh_key k;

	if (ip->hop_limits != 255 || len < 24 || l4[1] != 0 ||
	    rte_pktmbuf_data_len(m) < meta->l2_len + meta->l3_len + len)
		return;
	/* RFC 4861 7.1.1; parse leaves L4 checksums to the end host, which is us. */
	if (meta->l3_len != sizeof(*ip) || rte_ipv6_udptcp_cksum_verify(ip, l4) != 0)
		return;
	const uint8_t *target = l4 + 8;
	const struct rte_ether_addr *lladdr = NULL;
	/* Walk the options for a link-layer address. */
	for (uint32_t off = 24; off + 8 <= len; ) {
		uint8_t otype = l4[off], olen = l4[off + 1];
		if (olen == 0)
			return; /* RFC 4861 7.1.1: invalid, drop */
		if (olen == 1 && (otype == ND_OPT_SLLA || otype == ND_OPT_TLLA))
			lladdr = (const struct rte_ether_addr *)(l4 + off + 2);
		off += olen * 8u;
	}
	bool dad = ipv6_is_unspecified(ip->src_addr);
	if (l4[0] == ND_NS) {
		if ((!is_our_v6(p, target) &&
		     !sl_ipstack_owns(t, meta->in_port, SL_AF_INET6, target)) || dad)
			return;
		struct rte_ether_addr dst = rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr;
		if (lladdr != NULL && on_subnet_v6(p, ip->src_addr, NULL)) {
			sl_neigh_key_v6(&k, meta->in_port, ip->src_addr);
			struct sl_neigh_entry *e = sl_neigh_get(c->neigh, &k);
			if (e == NULL && sl_neigh_may_learn(c->neigh))
				e = sl_neigh_get_or_create(c->neigh, &k, now);
			if (e != NULL)
				confirm(c, t, e, lladdr, now);
			dst = *lladdr;
		}
		nd_send(c, t, meta->in_port, ND_NA, target, ip->src_addr, &dst, target,
			NA_FLAG_ROUTER | NA_FLAG_SOLICITED | NA_FLAG_OVERRIDE);
	} else if (l4[0] == ND_NA) {
		sl_neigh_key_v6(&k, meta->in_port, target);
		struct sl_neigh_entry *e = sl_neigh_get(c->neigh, &k);
		if (e == NULL)
			return;
		if (lladdr == NULL)
			lladdr = &rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr;
		confirm(c, t, e, lladdr, now);
	}
}

/* Park or send a routed packet that was waiting for its neighbor. */
void sl_ipstack_ctl_route(struct sl_ipstack_ctl *c, const struct sl_ipstack_tables *t,
			  struct rte_mbuf *m, uint64_t now)
{
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	uint32_t idx = meta->l3_type == SL_L3_IPV4 ?
		sl_ipstack_lookup4(t, rte_be_to_cpu_32(sl_pkt_ipv4(m)->dst_addr)) :
		sl_ipstack_lookup6(t, sl_pkt_ipv6(m)->dst_addr);
	if (meta->l3_type == SL_L3_IPV6 && ipv6_is_link_local(sl_pkt_ipv6(m)->dst_addr) &&
	    meta->out_port < t->n_ports)
		idx = t->ports[meta->out_port].ll_nh;
	const struct sl_nexthop *nh = &t->nexthops[idx];
	struct sl_neigh_key k;

	if (nh->type != SL_NH_CONNECTED && nh->type != SL_NH_GATEWAY) {
		sl_stats_drop(c->st, m, SL_DROP_NO_ROUTE);
		return;
	}
	if (t->ports[nh->port].tunnel) {
		meta->out_port = nh->port;
		meta->nh_index = idx;
		if (c->tunnel != NULL)
			c->tunnel(c->tunnel_arg, m, now);
		else
			sl_stats_drop(c->st, m, SL_DROP_NO_ROUTE);
		return;
	}
	neigh_key_for(&k, m, nh);
	struct sl_neigh_entry *e = sl_neigh_get_or_create(c->neigh, &k, now);
	if (e == NULL) {
		sl_stats_drop(c->st, m, SL_DROP_NEIGHBOR_PENDING_FULL);
		return;
	}
	uint64_t w = __atomic_load_n(&e->word, __ATOMIC_RELAXED);
	if (neigh_usable(w)) {
		l2_rewrite(m, &t->ports[nh->port], w & 0xffffffffffffULL);
		send_frame(c, nh->port, m);
		return;
	}
	if (SL_NEIGH_WORD_STATE(w) == SL_NEIGH_FAILED) {
		sl_stats_drop(c->st, m, SL_DROP_NEIGHBOR_FAILED);
		return;
	}
	if (e->n_pending == SL_NEIGH_PENDING_MAX) {
		sl_stats_drop(c->st, m, SL_DROP_NEIGHBOR_PENDING_FULL);
		return;
	}
	e->pending[e->n_pending++] = m;
	if (e->probes == 0) {
		solicit(c, t, &e->key);
		e->probes = 1;
		e->next_event_tsc = now + SL_NEIGH_RETRANS_MS * c->tsc_hz / 1000;
	}
}

/* Fragment a routed IPv4 packet for its egress MTU, then send each piece. */
static void fragment_input(struct sl_ipstack_ctl *c, const struct sl_ipstack_tables *t,
			   struct rte_mbuf *m, uint64_t now)
{
	struct rte_mbuf *frags[64];
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	uint16_t mtu = meta->out_port < t->n_ports ? t->ports[meta->out_port].mtu : 0;
	int n = sl_ipv4_fragment(m, mtu, c->pool, frags, RTE_DIM(frags));
	if (n < 0) {
		sl_stats_drop(c->st, m, n == -ENOBUFS ? SL_DROP_NO_MBUF : SL_DROP_MTU_EXCEEDED);
		return;
	}
	c->st->ipv4_fragmented++;
	c->st->ipv4_fragments += (uint64_t)n;
	rte_pktmbuf_free(m);
	for (int i = 0; i < n; i++) {
		sl_pkt_meta(frags[i])->flags &= (uint16_t)~SL_PKT_F_NEEDS_FRAGMENT;
		sl_ipstack_ctl_route(c, t, frags[i], now);
	}
}

void sl_ipstack_ctl_input(struct sl_ipstack_ctl *c, const struct sl_ipstack_tables *t,
			  struct rte_mbuf *m, uint64_t now)
{
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	if (meta->flags & SL_PKT_F_NEEDS_FRAGMENT) {
		fragment_input(c, t, m, now);
		return;
	}
	if (meta->flags & SL_PKT_F_NEEDS_NEIGHBOR) {
		sl_ipstack_ctl_route(c, t, m, now);
		return;
	}
	if (meta->flags & SL_PKT_F_LOCAL_IN) {
		if (c->local_in != NULL)
			c->local_in(c->local_in_arg, m, now);
		else
			sl_stats_drop(c->st, m, SL_DROP_LOCAL_UNHANDLED);
		return;
	}
	if (meta->in_port < t->n_ports) {
		if (meta->l3_type == SL_L3_ARP)
			arp_input(c, t, m, now);
		else if (meta->l3_type == SL_L3_IPV6 && meta->l4_proto == IPPROTO_ICMPV6)
			nd_input(c, t, m, now);
	}
	rte_pktmbuf_free(m);
}

static void fail(struct sl_ipstack_ctl *c, struct sl_neigh_entry *e, uint64_t now)
{
	for (uint16_t i = 0; i < e->n_pending; i++)
		sl_stats_drop(c->st, e->pending[i], SL_DROP_NEIGHBOR_FAILED);
	e->n_pending = 0;
	sl_neigh_set(e, NULL, SL_NEIGH_FAILED);
	e->next_event_tsc = now + SL_NEIGH_FAILED_HOLD_S * c->tsc_hz;
}

static void entry_timer(struct sl_ipstack_ctl *c, const struct sl_ipstack_tables *t,
			struct sl_neigh_entry *e, uint64_t now)
{
	uint64_t w = __atomic_load_n(&e->word, __ATOMIC_RELAXED);
	uint8_t state = SL_NEIGH_WORD_STATE(w);
	uint64_t retrans = SL_NEIGH_RETRANS_MS * c->tsc_hz / 1000;

	if (state == SL_NEIGH_PERMANENT || now < e->next_event_tsc)
		return;
	if (state == SL_NEIGH_FAILED || e->key.port >= t->n_ports) {
		sl_neigh_delete(c->neigh, e, c->st);
		return;
	}
	if (state == SL_NEIGH_REACHABLE) {
		struct rte_ether_addr mac;
		memcpy(mac.addr_bytes, &w, 6);
		sl_neigh_set(e, &mac, SL_NEIGH_STALE);
		e->probes = 0;
	}
	if (e->probes >= SL_NEIGH_MAX_PROBES) {
		fail(c, e, now);
		return;
	}
	solicit(c, t, &e->key);
	e->probes++;
	e->next_event_tsc = now + retrans;
}

void sl_ipstack_ctl_timers(struct sl_ipstack_ctl *c, const struct sl_ipstack_tables *t,
			   uint64_t now)
{
	struct sl_neigh_table *nt = c->neigh;
	for (uint32_t i = 0; i < nt->capacity * 2; i++)
		if (nt->entries[i].in_use)
			entry_timer(c, t, &nt->entries[i], now);
}

void sl_ipstack_ctl_sync_static(struct sl_ipstack_ctl *c, const struct sl_ipstack_tables *t,
				const struct sl_config *cfg, uint64_t now)
{
	struct sl_neigh_table *nt = c->neigh;
	struct sl_neigh_key k;

	/* Drop static entries the config no longer lists. */
	for (uint32_t i = 0; i < nt->capacity * 2; i++) {
		struct sl_neigh_entry *e = &nt->entries[i];
		if (!e->in_use || SL_NEIGH_WORD_STATE(e->word) != SL_NEIGH_PERMANENT)
			continue;
		bool keep = false;
		for (unsigned n = 0; n < cfg->n_neighbors && !keep; n++) {
			const struct sl_config_neighbor *cn = &cfg->neighbors[n];
			keep = cn->port == e->key.port && cn->addr.af == e->key.af &&
			       memcmp(cn->addr.v6, e->key.addr, cn->addr.af == SL_AF_INET ? 4 : 16) == 0;
		}
		if (!keep)
			sl_neigh_delete(nt, e, c->st);
	}
	for (unsigned n = 0; n < cfg->n_neighbors; n++) {
		const struct sl_config_neighbor *cn = &cfg->neighbors[n];
		struct rte_ether_addr mac;
		if (cn->addr.af == SL_AF_INET)
			sl_neigh_key_v4(&k, (uint16_t)cn->port, cn->addr.v4);
		else
			sl_neigh_key_v6(&k, (uint16_t)cn->port, cn->addr.v6);
		struct sl_neigh_entry *e = sl_neigh_get_or_create(nt, &k, now);
		if (e == NULL)
			continue;
		memcpy(mac.addr_bytes, cn->mac, 6);
		sl_neigh_set(e, &mac, SL_NEIGH_PERMANENT);
		e->confirmed_tsc = now;
		e->probes = 0;
		flush_pending(c, t, e);
	}
}

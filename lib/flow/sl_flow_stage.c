/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow stage: each packet's connection, found or created, its state
 * tracked, the zones enforced, and the packet handed to its connection's
 * owner when another worker received it.
 *
 * Three passes over the burst: the first builds every packet's key and hash
 * and prefetches its buckets, the second prefetches the entries those
 * buckets name, the third looks up and decides; so the misses of a burst
 * (two per packet in a table larger than the caches) overlap rather than
 * come one at a time.
 */
#include <errno.h>
#include <string.h>

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "flow_priv.h"

#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10
#define TCP_OPT_WSCALE 3

/* What the first pass found a packet to be. */
enum kind {
	K_TRACK,        /* a key of its own: TCP, UDP, ICMP echo, other protocols */
	K_ECHO_REPLY,   /* an echo reply: only ever part of a connection */
	K_RELATED,      /* an ICMP error: its key is the quoted packet's */
	K_UNTRACKED,    /* other ICMP, non-first fragments: no key */
};

static inline bool is_icmp_error(uint8_t proto, uint8_t type)
{
	if (proto == IPPROTO_ICMP)
		return type == 3 || type == 11 || type == 12;
	return type >= 1 && type <= 4;
}

/* Addresses of the IP header at @p l3 into the key. */
static inline void key_addrs(struct sl_flow_key *k, const uint8_t *l3, bool v4)
{
	if (v4) {
		const struct rte_ipv4_hdr *ip = (const void *)l3;
		k->af = 4;
		k->reserved = 0;
		memset(k->src + 4, 0, 12);
		memset(k->dst + 4, 0, 12);
		memcpy(k->src, &ip->src_addr, 4);
		memcpy(k->dst, &ip->dst_addr, 4);
	} else {
		const struct rte_ipv6_hdr *ip = (const void *)l3;
		k->af = 6;
		k->reserved = 0;
		memcpy(k->src, ip->src_addr, 16);
		memcpy(k->dst, ip->dst_addr, 16);
	}
}

/* The echo request type an echo message's key names, for either family. */
static inline uint16_t echo_request(bool v4)
{
	return v4 ? RTE_IP_ICMP_ECHO_REQUEST : ICMP6_ECHO_REQUEST;
}

/*
 * The key of the packet an ICMP error quotes, as that packet travelled:
 * its header and the first 8 bytes of its payload, which hold the ports or
 * the echo identifier. -EINVAL when the quote is cut short or not trackable.
 */
static int related_key(struct rte_mbuf *m, bool v4, struct sl_flow_key *k)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	uint32_t off = meta->l2_len + meta->l3_len + 8u;
	uint32_t avail = rte_pktmbuf_data_len(m) > off ? rte_pktmbuf_data_len(m) - off : 0;
	const uint8_t *q = rte_pktmbuf_mtod_offset(m, const uint8_t *, off);
	uint32_t qhl;
	uint8_t proto;

	if (v4) {
		if (avail < 20 || (q[0] >> 4) != 4)
			return -EINVAL;
		qhl = (q[0] & 0xfu) * 4u;
		proto = q[9];
		/* Only the first fragment carries the ports. */
		if (qhl < 20 || (((uint32_t)q[6] << 8 | q[7]) & 0x1fff) != 0)
			return -EINVAL;
	} else {
		if (avail < 40 || (q[0] >> 4) != 6)
			return -EINVAL;
		qhl = 40;
		proto = q[6];   /* extension headers in a quote are not followed */
	}
	if (avail < qhl + 8)
		return -EINVAL;
	memset(k, 0, sizeof(*k));
	key_addrs(k, q, v4);
	k->proto = proto;
	const uint8_t *l4 = q + qhl;
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		k->sport = (uint16_t)(l4[0] << 8 | l4[1]);
		k->dport = (uint16_t)(l4[2] << 8 | l4[3]);
		return 0;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* An error about an echo request: the request's key. */
		if (l4[0] != echo_request(v4))
			return -EINVAL;
		k->sport = (uint16_t)(l4[4] << 8 | l4[5]);
		k->dport = l4[0];
		return 0;
	default:
		return 0;
	}
}

/* The packet's own key; the kind of packet it is. */
static enum kind packet_key(struct rte_mbuf *m, struct sl_flow_key *k)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	bool v4 = meta->l3_type == SL_L3_IPV4;
	if (!(meta->flags & SL_PKT_F_FIRST_FRAG))
		return K_UNTRACKED;
	key_addrs(k, rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l2_len), v4);
	k->proto = meta->l4_proto;
	switch (meta->l4_proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP: {
		/* One store for the word the hash reads. */
		uint64_t head = sl_flow_key_head(meta->src_port, meta->dst_port, v4 ? 4 : 6,
						 meta->l4_proto);
		memcpy(k, &head, sizeof(head));
		return K_TRACK;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		if (!flow_is_echo(v4 ? 4 : 6, meta->l4_proto))
			break;          /* ICMP in IPv6 or ICMPv6 in IPv4: just a protocol */
		uint8_t type = ((const struct rte_icmp_hdr *)sl_pkt_l4(m))->icmp_type;
		if (is_icmp_error(meta->l4_proto, type))
			return related_key(m, v4, k) == 0 ? K_RELATED : K_UNTRACKED;
		k->sport = meta->src_port;       /* the echo identifier */
		if (type == echo_request(v4)) {
			k->dport = type;
			return K_TRACK;
		}
		if (type == (v4 ? RTE_IP_ICMP_ECHO_REPLY : ICMP6_ECHO_REPLY)) {
			k->dport = type;
			return K_ECHO_REPLY;
		}
		return K_UNTRACKED;
	}
	default:
		break;
	}
	k->sport = k->dport = 0;
	return K_TRACK;
}

int sl_flow_key_from_pkt(struct rte_mbuf *m, struct sl_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	return packet_key(m, k) == K_UNTRACKED ? -EINVAL : 0;
}

/* The key the other direction's packets carry. */
static void reply_key(const struct sl_flow_key *o, struct sl_flow_key *r)
{
	*r = *o;
	memcpy(r->src, o->dst, 16);
	memcpy(r->dst, o->src, 16);
	if (flow_is_echo(o->af, o->proto)) {
		/* Same identifier, the reply's type. */
		r->sport = o->sport;
		r->dport = o->proto == IPPROTO_ICMP ? RTE_IP_ICMP_ECHO_REPLY : ICMP6_ECHO_REPLY;
	} else {
		r->sport = o->dport;
		r->dport = o->sport;
	}
}

/* What the TCP tracker needs of a segment. */
static void tcp_seg(struct rte_mbuf *m, struct sl_ct_tcp_seg *s)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	const struct rte_tcp_hdr *th = sl_pkt_l4(m);
	s->seq = rte_be_to_cpu_32(th->sent_seq);
	s->ack = rte_be_to_cpu_32(th->recv_ack);
	s->win = rte_be_to_cpu_16(th->rx_win);
	s->flags = th->tcp_flags;
	s->len = (uint16_t)(meta->ip_len - meta->l3_len - meta->l4_len);
	s->wscale = -1;
	if (!(s->flags & TH_SYN))
		return;
	/* The window scale option (RFC 7323). */
	const uint8_t *o = flow_tcp_option((void *)(uintptr_t)th, meta->l4_len, TCP_OPT_WSCALE, 3);
	if (o != NULL)
		s->wscale = (int8_t)(o[2] > 14 ? 14 : o[2]);
}

static inline uint32_t now_ticks(const struct sl_flow_worker_ctx *c, uint64_t now)
{
	return (uint32_t)(now / c->tsc_per_tick);
}

static enum sl_drop_reason verdict_reason(enum sl_ct_verdict v)
{
	switch (v) {
	case SL_CT_OUT_OF_WINDOW: return SL_DROP_TCP_OUT_OF_WINDOW;
	case SL_CT_BAD_RST: return SL_DROP_TCP_BAD_RST;
	default: return SL_DROP_TCP_INVALID;
	}
}

/* Addressed to sluice itself: the local-in dispatch, not the zones, decides. */
static inline bool to_sluice(const struct sl_flow_worker_ctx *c, struct rte_mbuf *m)
{
	struct sl_flow_key k;
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	if (c->is_local == NULL)
		return false;
	key_addrs(&k, rte_pktmbuf_mtod_offset(m, const uint8_t *, meta->l2_len),
		  meta->l3_type == SL_L3_IPV4);
	return c->is_local(c->local_arg, &k);
}

/* A connection to a service's backend is going: the backend's counts drop it. */
static inline void lb_forget(struct sl_flow_worker_ctx *c, const struct sl_flow *f)
{
	if (f->backend == 0)
		return;
	if (f->flags & SL_FLOW_F_LB_OPEN)
		sl_lb_closed(c->lb, c->worker, f->backend);
	sl_lb_released(c->lb, c->worker, f->backend);
}

/* A connection its source's limits counted open is going. */
static inline void rl_forget(struct sl_flow_worker_ctx *c, const struct sl_flow *f)
{
	if (f->rl_mark == SL_RL_NOT_COUNTED || c->rl == NULL)
		return;
	struct sl_flow_key k;
	sl_flow_key_get(c->t, f, SL_FLOW_ORIG, &k);
	sl_rl_conn_close(c->rl, k.af, k.src, f->rl_mark);
}

/* Remove a connection this worker owns, counted. */
static void flow_remove(struct sl_flow_worker_ctx *c, uint32_t idx)
{
	const struct sl_flow *f = sl_flow_get(c->t, idx);
	if (f->proxy == SL_FLOW_PROXY_WAITING)
		flow_proxy_forget(c, idx);
	lb_forget(c, f);
	rl_forget(c, f);
	c->by_state[f->state]--;
	sl_flow_remove(c->t, c->worker, idx);
	c->st->flow_removed++;
}

/* The port forward a new connection's first packet asks for, or NULL. */
static const struct sl_flow_dnat *dnat_match(const struct sl_flow_policy *pol,
					     const struct rte_mbuf *m, const struct sl_flow_key *k)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta((struct rte_mbuf *)(uintptr_t)m);
	for (unsigned i = 0; i < pol->n_dnat; i++) {
		const struct sl_flow_dnat *r = &pol->dnat[i];
		if (r->in_port == meta->in_port && r->proto == k->proto && r->port == k->dport &&
		    r->af == k->af)
			return r;
	}
	return NULL;
}

/* Where a new connection's destination is translated to (none: to == NULL). */
struct dest {
	const uint8_t *to;                /* network order, the key's family */
	uint16_t to_port;
	const struct sl_lb_service *svc;  /* a service's connection */
	const struct sl_lb_backend *be;
};

/*
 * A new connection to one of sluice's addresses: to a service (a backend
 * picked) or a port forward: 1 with @p d filled; 0 when neither (local-in
 * decides); -1 for a service with no usable backend; -2 for a TCP segment
 * that cannot open a connection.
 */
static int local_dest(struct sl_flow_worker_ctx *c, const struct sl_flow_policy *pol,
		      const struct rte_mbuf *m, const struct sl_flow_key *k, struct dest *d)
{
	const struct sl_lb_service *svc = sl_lb_match(c->lbv, k->af, k->proto, k->dst, k->dport);
	struct sl_pkt_meta *meta = sl_pkt_meta((struct rte_mbuf *)(uintptr_t)m);
	if (svc != NULL && meta->lb_backend != 0) {
		/* Picked (and counted) by the worker that handed it over. */
		for (unsigned i = 0; i < svc->n_backends; i++) {
			const struct sl_lb_backend *be = &svc->backends[i];
			if (be->slot == meta->lb_backend) {
				*d = (struct dest){.to = be->addr, .to_port = be->port, .svc = svc,
						   .be = be};
				return 1;
			}
		}
	}
	if (svc != NULL) {
		/* Only what may open a connection takes a backend's turn. */
		if (k->proto == IPPROTO_TCP && !pol->tcp_pickup &&
		    (((const struct rte_tcp_hdr *)sl_pkt_l4((struct rte_mbuf *)(uintptr_t)m))->tcp_flags &
		     (TH_SYN | TH_ACK | TH_RST | TH_FIN)) != TH_SYN)
			return -2;
		const struct sl_lb_backend *be = sl_lb_pick(c->lb, svc, c->worker, k->src, k->sport);
		if (be == NULL)
			return -1;
		*d = (struct dest){.to = be->addr, .to_port = be->port, .svc = svc, .be = be};
		return 1;
	}
	const struct sl_flow_dnat *r = dnat_match(pol, m, k);
	if (r == NULL)
		return 0;
	*d = (struct dest){.to = r->to, .to_port = r->to_port};
	return 1;
}

/*
 * Whether new connections to @p k's destination are SYN-proxied: the
 * service or port forward's mode and threshold, and its target number for
 * "auto" rates. False when neither asks for it.
 */
static bool proxy_target(const struct sl_flow_worker_ctx *c, const struct sl_flow_policy *pol,
			 const struct rte_mbuf *m, const struct sl_flow_key *k, uint8_t *mode,
			 uint32_t *above, unsigned *target)
{
	const struct sl_lb_service *svc = c->lbv != NULL ?
		sl_lb_match(c->lbv, k->af, k->proto, k->dst, k->dport) : NULL;
	if (svc != NULL) {
		*mode = svc->syn_proxy;
		*above = svc->syn_proxy_above;
		*target = svc->slot;
		return svc->syn_proxy != SL_SYN_PROXY_OFF;
	}
	const struct sl_flow_dnat *r = dnat_match(pol, m, k);
	if (r == NULL || r->syn_proxy == SL_SYN_PROXY_OFF)
		return false;
	*mode = r->syn_proxy;
	*above = r->syn_proxy_above;
	*target = SL_SYNPROXY_DNAT_BASE + (unsigned)(r - pol->dnat);
	return true;
}

/*
 * A TCP packet with no connection to one of sluice's addresses: the SYN
 * proxy's part. A SYN it answers (consumed: SL_DROP_MAX); an ACK whose
 * cookie is good becomes the SYN to the backend and goes on
 * (SL_DROP_MAX + 1, as does everything the proxy does not take); an ACK
 * with a bad cookie while the proxy is on: SL_DROP_SYN_PROXY_INVALID.
 */
static enum sl_drop_reason proxy_first(struct sl_flow_worker_ctx *c,
				       const struct sl_flow_policy *pol, struct rte_mbuf *m,
				       const struct sl_flow_key *k, uint64_t now)
{
	const enum sl_drop_reason go_on = (enum sl_drop_reason)(SL_DROP_MAX + 1);
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	uint8_t mode;
	uint32_t above;
	unsigned target;
	/* A SYN the proxy made (handed to another worker) is the backend's. */
	if ((meta->flags & SL_PKT_F_SYN_PROXIED) ||
	    __atomic_load_n(&c->t->splice, __ATOMIC_ACQUIRE) == NULL ||
	    !proxy_target(c, pol, m, k, &mode, &above, &target))
		return go_on;
	uint8_t fl = ((const struct rte_tcp_hdr *)sl_pkt_l4(m))->tcp_flags &
		     (TH_SYN | TH_ACK | TH_RST | TH_FIN);
	if (fl == TH_SYN) {
		if (mode != SL_SYN_PROXY_ALWAYS &&
		    !sl_synproxy_syn(c->sp, c->worker, target, above, now))
			return go_on;
		flow_proxy_answer(c, pol, m, k, now);
		return SL_DROP_MAX;
	}
	if (fl != TH_ACK)
		return go_on;
	enum sl_drop_reason why = flow_proxy_ack(c, pol, m, k, now);
	if (why == SL_DROP_MAX)
		return go_on;                /* now the SYN for the backend */
	/* Not a cookie: while the proxy is off, what any stray ACK gets. */
	if (mode != SL_SYN_PROXY_ALWAYS && !sl_synproxy_active(c->sp, target, now))
		return go_on;
	return why;
}

/*
 * The finished connection (time_wait, close) that holds key @p k, or
 * SL_FLOW_NONE. A new connection whose reply key is taken by one: the same
 * client port went to another address or port that leads to the same place
 * (two services, or a service and a port forward, with one backend), and
 * the old connection is only waiting out its timeout.
 */
static uint32_t finished_holder(const struct sl_flow_table *t, const struct sl_flow_key *k)
{
	enum sl_flow_dir d;
	uint32_t old = sl_flow_lookup(t, k, sl_flow_hash(k), &d);
	if (old == SL_FLOW_NONE)
		return SL_FLOW_NONE;
	uint8_t st = sl_flow_get(t, old)->state;
	return st == SL_CT_TCP_TIME_WAIT || st == SL_CT_TCP_CLOSE ? old : SL_FLOW_NONE;
}

/*
 * A new connection from its first packet @p m with key @p k. Returns the
 * entry, or SL_FLOW_NONE with *why set; with *again set, another worker
 * created the same connection at this moment: look it up again; with
 * *owner >= 0, a finished connection of that worker holds the reply key:
 * the packet goes there, where the old one gives way. With *refuse set, the
 * refused packet is to be answered (a SYN over its source's connection
 * limit, when the level says so).
 */
static uint32_t create(struct sl_flow_worker_ctx *c, const struct sl_flow_policy *pol,
		       struct rte_mbuf *m, const struct sl_flow_key *k, uint32_t ticks,
		       const struct dest *dnat, enum sl_drop_reason *why, bool *again, int *owner,
		       bool *refuse)
{
	*owner = -1;
	*refuse = false;
	struct sl_flow_table *t = c->t;
	struct sl_flow_key r;
	struct sl_ct_tcp_seg seg;
	struct sl_flow probe = {0};   /* the first segment, judged before an entry is spent */
	*again = false;
	if (k->proto == IPPROTO_TCP) {
		tcp_seg(m, &seg);
		/* Judge the segment before spending an entry on it. */
		probe.state = SL_CT_NEW;
		if (sl_ct_tcp_new(&probe, &seg, pol->tcp_pickup) != SL_CT_ACCEPT) {
			*why = SL_DROP_TCP_INVALID;
			return SL_FLOW_NONE;
		}
	}
	/* Its source's limits on connections (not sluice's own packets). */
	uint8_t rl_mark = SL_RL_NOT_COUNTED;
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	const struct sl_rl_policy *src_pol = c->rl != NULL && meta->in_port < SL_MAX_PORTS ?
					     pol->sources : NULL;
	if (src_pol != NULL && (k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP))
		sl_rl_new_port(c->rl, src_pol, k->af, k->src, k->dport, c->now);
	if (src_pol != NULL && src_pol->conn_limits) {
		bool reset;
		int rc = sl_rl_conn_open(c->rl, src_pol, c->st, meta->level, k->af, k->src,
					 c->now, &rl_mark, &reset);
		if (rc != 0) {
			*why = (enum sl_drop_reason)rc;
			*refuse = reset && k->proto == IPPROTO_TCP;
			return SL_FLOW_NONE;
		}
	}
	reply_key(k, &r);
	if (dnat->to != NULL) {
		/* The reply comes from where the connection is forwarded to. */
		memcpy(r.src, dnat->to, k->af == 4 ? 4 : 16);
		r.sport = dnat->to_port;
	}
	uint32_t idx = sl_flow_alloc(t, c->worker, k, &r);
	if (idx == SL_FLOW_NONE) {
		/* Full: the oldest connection still in its handshake makes room;
		 * an established one never does. */
		uint32_t old = sl_flow_embryonic_oldest(t, c->worker);
		/* Only when entries ran out: if IPv6 address blocks did, an
		 * evicted (IPv4) connection would make no room. And never one
		 * created in this tick: its packet may still be in this burst. */
		if (old != SL_FLOW_NONE && t->w[c->worker].free_head == SL_FLOW_NONE &&
		    sl_flow_get(t, old)->created != ticks) {
			const struct sl_flow *o = sl_flow_get(t, old);
			if (o->proxy == SL_FLOW_PROXY_WAITING)
				flow_proxy_forget(c, old);
			lb_forget(c, o);
			rl_forget(c, o);
			c->by_state[o->state]--;
			sl_flow_evict(t, c->worker, old);
			c->st->flow_evicted++;
			c->st->flow_removed++;
			idx = sl_flow_alloc(t, c->worker, k, &r);
		}
		if (idx == SL_FLOW_NONE) {
			sl_rl_conn_close(c->rl, k->af, k->src, rl_mark);
			*why = SL_DROP_FLOW_TABLE_FULL;
			return SL_FLOW_NONE;
		}
	}
	struct sl_flow *f = sl_flow_get(t, idx);
	f->rl_mark = rl_mark;
	switch (k->proto) {
	case IPPROTO_TCP:
		memcpy(f->tcp, probe.tcp, sizeof(f->tcp));
		f->state = probe.state;
		f->flags |= probe.flags;
		break;
	case IPPROTO_UDP:
		f->state = SL_CT_UDP_UNREPLIED;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* An echo request (the only ICMP that opens one), or ICMP
		 * carried in the other family: then just a protocol. */
		f->state = k->sport || k->dport ? SL_CT_ICMP : SL_CT_OTHER;
		break;
	default:
		f->state = SL_CT_OTHER;
		break;
	}
	if (dnat->to != NULL)
		f->flags |= SL_FLOW_F_DNAT;    /* before publication: readers see it */
	if (dnat->be != NULL) {
		f->service = dnat->svc->slot;
		f->backend = dnat->be->slot;
		f->flags |= SL_FLOW_F_LB_OPEN;
	}
	int rc = sl_flow_insert(t, c->worker, idx);
	if (rc == -EEXIST) {
		uint32_t old = finished_holder(t, &r);
		if (old != SL_FLOW_NONE && sl_flow_owner(t, old) == c->worker) {
			flow_remove(c, old);
			rc = sl_flow_insert(t, c->worker, idx);
		} else if (old != SL_FLOW_NONE) {
			*owner = (int)sl_flow_owner(t, old);
		}
	}
	if (rc != 0) {
		sl_rl_conn_close(c->rl, k->af, k->src, rl_mark);
		sl_flow_free_unused(t, c->worker, idx);
		*again = rc == -EEXIST;
		*why = rc == -EEXIST ? SL_DROP_FLOW_INSERT_RACE : SL_DROP_FLOW_TABLE_FULL;
		return SL_FLOW_NONE;
	}
	if (f->state == SL_CT_TCP_SYN_SENT)
		sl_flow_embryonic_add(t, c->worker, idx);
	if (meta->flags & SL_PKT_F_SYN_PROXIED)
		flow_proxy_open(t, idx, m);
	/* Source NAT needs the egress port: decided after route. */
	if (pol->n_snat > 0 || (dnat->svc != NULL && dnat->svc->mode == SL_LB_FULLNAT))
		f->flags |= SL_FLOW_F_NAT_PENDING;
	c->by_state[f->state]++;
	f->created = ticks;
	f->packets[SL_FLOW_ORIG] = 1;
	f->deadline = ticks + sl_ct_timeout(f, &pol->timeouts);
	c->st->flow_created++;
	return idx;
}

/*
 * A packet of connection @p idx (owned here) in direction *@p dirp. Returns
 * true when it continues (the SYN proxy may have turned it round: *dirp
 * says which way it goes now); false with *why set to drop it
 * (SL_DROP_MAX: it was kept), or with *restart set when a SYN reopens a
 * finished connection (removed here).
 */
static bool track(struct sl_flow_worker_ctx *c, const struct sl_flow_policy *pol,
		  struct rte_mbuf *m, uint32_t idx, enum sl_flow_dir *dirp, uint32_t ticks,
		  enum sl_drop_reason *why, bool *restart)
{
	struct sl_flow *f = sl_flow_get(c->t, idx);
	enum sl_flow_dir dir = *dirp;
	uint8_t before = f->state;
	*restart = false;
	if (f->proto == IPPROTO_TCP) {
		struct sl_ct_tcp_seg seg;
		if (unlikely(f->proxy != SL_FLOW_PROXY_NONE) &&
		    !flow_proxy_in(c, idx, dir, m, ticks, why))
			return false;
		tcp_seg(m, &seg);
		enum sl_ct_verdict v = sl_ct_tcp_update(f, dir, &seg);
		if (v == SL_CT_RESTART) {
			flow_remove(c, idx);
			*restart = true;
			return false;
		}
		if (v != SL_CT_ACCEPT) {
			*why = verdict_reason(v);
			return false;
		}
		int turned = unlikely(f->proxy != SL_FLOW_PROXY_NONE) && dir == SL_FLOW_REPLY ?
			     flow_proxy_out(c, idx, m) : 0;
		if (turned < 0) {
			*why = SL_DROP_TCP_INVALID;
			return false;
		}
		if (turned > 0) {
			/* The backend's SYN-ACK, answered in the client's name:
			 * the packet now completes the backend's handshake. */
			dir = *dirp = SL_FLOW_ORIG;
			tcp_seg(m, &seg);
			v = sl_ct_tcp_update(f, dir, &seg);
			if (v != SL_CT_ACCEPT) {
				*why = verdict_reason(v);
				return false;
			}
		}
		if (before != f->state && (f->flags & SL_FLOW_F_EMBRYONIC) &&
		    f->state != SL_CT_TCP_SYN_SENT && f->state != SL_CT_TCP_SYN_RECV &&
		    f->state != SL_CT_TCP_SYN_SENT2)
			sl_flow_embryonic_del(c->t, c->worker, idx);
	} else {
		sl_ct_other_update(f, dir);
	}
	if (f->state != before) {
		c->by_state[before]--;
		c->by_state[f->state]++;
		/* A closing connection no longer counts for least-connections. */
		if ((f->flags & SL_FLOW_F_LB_OPEN) && f->state >= SL_CT_TCP_FIN_WAIT &&
		    f->state <= SL_CT_TCP_CLOSE) {
			f->flags &= (uint8_t)~SL_FLOW_F_LB_OPEN;
			sl_lb_closed(c->lb, c->worker, f->backend);
		}
		/* Nor against its source's concurrent connections, as with
		 * nf_conncount: closing ones are not counted. */
		if (f->rl_mark != SL_RL_NOT_COUNTED && f->state >= SL_CT_TCP_FIN_WAIT &&
		    f->state <= SL_CT_TCP_CLOSE) {
			rl_forget(c, f);
			f->rl_mark = SL_RL_NOT_COUNTED;
		}
	}
	f->packets[dir]++;
	f->deadline = ticks + sl_ct_timeout(f, &pol->timeouts);
	if (f->backend != 0)
		sl_lb_count(c->lb, c->worker, f->backend, sl_pkt_meta(m)->ip_len);
	if (f->flags & (SL_FLOW_F_SNAT | SL_FLOW_F_DNAT)) {
		if (f->flags & SL_FLOW_F_NAT_PENDING) {
			flow_nat_dst(c->t, f, dir, m);   /* the source is decided after route */
		} else {
			flow_nat_both(c->t, f, dir, m);
			sl_pkt_meta(m)->flags |= SL_PKT_F_NAT_DONE;
		}
	}
	return true;
}

uint16_t sl_flow_pre_burst(struct sl_flow_worker_ctx *c, const struct sl_flow_policy *pol,
			   struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	struct sl_flow_key keys[n];
	uint32_t hashes[n];
	uint8_t kinds[n];
	struct rte_mbuf *hand[n];
	uint8_t hand_to[n];
	uint16_t keep = 0, n_hand = 0;
	uint32_t ticks = now_ticks(c, now);

	c->lbv = c->lb != NULL ? sl_lb_view_get(c->lb) : NULL;
	c->now = now;
	for (uint16_t i = 0; i < n; i++) {
		kinds[i] = (uint8_t)packet_key(pkts[i], &keys[i]);
		if (kinds[i] == K_RELATED) {
			/* The quoted packet went out as the connection's key turned
			 * round (translated, for NAT): look up the way back. */
			struct sl_flow_key q = keys[i];
			reply_key(&q, &keys[i]);
		}
		if (kinds[i] != K_UNTRACKED) {
			hashes[i] = sl_flow_hash(&keys[i]);
			sl_flow_prefetch(c->t, hashes[i]);
		}
	}
	/* Second pass: the entries the buckets name, while the buckets are
	 * still arriving for the packets after. */
	uint32_t hints[n];
	for (uint16_t i = 0; i < n; i++)
		hints[i] = kinds[i] != K_UNTRACKED ? sl_flow_prefetch_entry(c->t, hashes[i]) : 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct sl_pkt_meta *meta = sl_pkt_meta(m);
		bool outside = meta->in_port < SL_MAX_PORTS && pol->outside[meta->in_port];
		enum sl_drop_reason why = SL_DROP_NO_CONNECTION;
		enum sl_flow_dir dir;
		uint32_t idx;

		meta->flow = 0;
		if (!(meta->flags & SL_PKT_F_HANDED_OFF))
			meta->lb_backend = 0;
		bool refuse = false;

		switch (kinds[i]) {
		case K_UNTRACKED:
			if (!(meta->flags & SL_PKT_F_FIRST_FRAG) && c->frags != NULL) {
				/* A later fragment: it goes where its first went (a
				 * reply to source NAT comes to sluice's address, and
				 * its first may still be on its way: it waits too).
				 * sluice does not reassemble what is for itself. */
				if ((meta->flags & SL_PKT_F_FRAG_FOLLOWED) || flow_frag_follow(c, m))
					pkts[keep++] = m;
				else
					flow_frag_hold(c, m, ticks);
				continue;
			}
			/* Nothing to look up: allowed out, not in. */
			if (!outside || to_sluice(c, m)) {
				pkts[keep++] = m;
				continue;
			}
			why = SL_DROP_NO_CONNECTION;
			break;
		case K_RELATED:
			/* An error about a connection passes wherever it lands: it
			 * changes nothing in the connection. */
			idx = sl_flow_lookup(c->t, &keys[i], hashes[i], &dir);
			if (idx != SL_FLOW_NONE) {
				const struct sl_flow *f = sl_flow_get(c->t, idx);
				if (f->flags & (SL_FLOW_F_SNAT | SL_FLOW_F_DNAT))
					flow_nat_related(c->t, f, dir, m);
				pkts[keep++] = m;
				continue;
			}
			if (!outside || to_sluice(c, m)) {
				pkts[keep++] = m;
				continue;
			}
			break;
		default:
			for (unsigned attempt = 0; attempt < 2; attempt++) {
				idx = attempt == 0 ?
				      sl_flow_lookup_hint(c->t, &keys[i], hashes[i], hints[i], &dir) :
				      sl_flow_lookup(c->t, &keys[i], hashes[i], &dir);
				if (idx != SL_FLOW_NONE) {
					unsigned owner = sl_flow_owner(c->t, idx);
					if (owner != c->worker) {
						if (meta->flags & SL_PKT_F_HANDED_OFF) {
							why = SL_DROP_HANDOFF_AGAIN;
							break;
						}
						hand[n_hand] = m;
						hand_to[n_hand++] = (uint8_t)owner;
						why = SL_DROP_MAX;   /* handed off */
						break;
					}
					bool restart;
					if (track(c, pol, m, idx, &dir, ticks, &why, &restart)) {
						meta->flow = idx + 1;
						meta->flow_dir = (uint8_t)dir;
						pkts[keep++] = m;
						why = SL_DROP_MAX;
						break;
					}
					if (!restart)
						break;
					/* The old connection is gone: create it anew. */
				}
				struct dest dnat = {0};
				if (to_sluice(c, m)) {
					if (keys[i].proto == IPPROTO_TCP && c->sp != NULL &&
					    (why = proxy_first(c, pol, m, &keys[i], now)) !=
					    SL_DROP_MAX + 1)
						break;    /* answered, or dropped */
					/* A service, a port forward, or not a connection
					 * through sluice: the local-in dispatch decides. */
					int rc = local_dest(c, pol, m, &keys[i], &dnat);
					if (rc < 0) {
						why = rc == -1 ? SL_DROP_NO_BACKEND : SL_DROP_TCP_INVALID;
						break;
					}
					if (rc == 0) {
						pkts[keep++] = m;
						why = SL_DROP_MAX;
						break;
					}
				}
				if ((outside && dnat.to == NULL) || kinds[i] == K_ECHO_REPLY) {
					why = SL_DROP_NO_CONNECTION;
					break;
				}
				bool again;
				int holder;
				idx = create(c, pol, m, &keys[i], ticks, &dnat, &why, &again, &holder,
					     &refuse);
				if (idx != SL_FLOW_NONE) {
					meta->flow = idx + 1;
					meta->flow_dir = SL_FLOW_ORIG;
					if (dnat.to != NULL)
						flow_nat_dst(c->t, sl_flow_get(c->t, idx), SL_FLOW_ORIG, m);
					if (dnat.be != NULL)
						sl_lb_count(c->lb, c->worker, dnat.be->slot, meta->ip_len);
					pkts[keep++] = m;
					why = SL_DROP_MAX;
					break;
				}
				if (holder >= 0 && !(meta->flags & SL_PKT_F_HANDED_OFF)) {
					/* The backend goes with it: a scheduler's turn
					 * is taken once (the counts balance over the
					 * workers, which only ever sum them). */
					meta->lb_backend = dnat.be != NULL ? dnat.be->slot : 0;
					hand[n_hand] = m;
					hand_to[n_hand++] = (uint8_t)holder;
					why = SL_DROP_MAX;   /* handed off */
					break;
				}
				if (dnat.be != NULL)
					sl_lb_unpick(c->lb, c->worker, dnat.be->slot);
				if (!again)
					break;
				/* Another worker created it this moment: find its entry. */
			}
			if (why == SL_DROP_MAX)
				continue;
			break;
		}
		/* Invalid TCP counts against its source's reputation, and a port
		 * probed from outside toward a scan (it never reaches create). */
		if ((why == SL_DROP_TCP_INVALID || why == SL_DROP_TCP_OUT_OF_WINDOW ||
		     why == SL_DROP_TCP_BAD_RST || why == SL_DROP_SYN_PROXY_INVALID) && c->rl != NULL && pol->sources != NULL &&
		    kinds[i] != K_UNTRACKED)
			sl_rl_event(c->rl, pol->sources, keys[i].af, keys[i].src, SL_REP_TCP_INVALID,
				    now);
		else if (why == SL_DROP_NO_CONNECTION && c->rl != NULL && pol->sources != NULL &&
			 kinds[i] == K_TRACK &&    /* not an ICMP error's quote: forgeable */
			 (keys[i].proto == IPPROTO_TCP || keys[i].proto == IPPROTO_UDP))
			sl_rl_new_port(c->rl, pol->sources, keys[i].af, keys[i].src, keys[i].dport, now);
		if (meta->flags & SL_PKT_F_SYN_PROXIED) {
			/* Its client already holds the connection open. */
			flow_proxy_refuse(c, m, why);
			continue;
		}
		if (refuse && c->ip != NULL && c->n_answers < SL_FLOW_ANSWERS) {
			/* Answered with a reset, routed; the worker sends it. */
			struct rte_mbuf *answer = sl_ipstack_refuse(c->ip, m, now, why);
			if (answer != NULL)
				c->answers[c->n_answers++] = answer;
			continue;
		}
		sl_stats_drop(c->st, m, why);
	}
	/* Each owner's packets in one enqueue. */
	for (uint16_t i = 0; i < n_hand; i++) {
		if (hand[i] == NULL)
			continue;
		unsigned owner = hand_to[i];
		struct rte_mbuf *batch[n_hand];
		unsigned k = 0;
		for (uint16_t j = i; j < n_hand; j++) {
			if (hand[j] != NULL && hand_to[j] == owner) {
				sl_pkt_meta(hand[j])->flags |= SL_PKT_F_HANDED_OFF;
				batch[k++] = hand[j];
				hand[j] = NULL;
			}
		}
		unsigned sent = rte_ring_sp_enqueue_burst(c->to[owner], (void **)batch, k, NULL);
		c->st->flow_handoff_out += sent;
		for (unsigned j = sent; j < k; j++)
			sl_stats_drop(c->st, batch[j], SL_DROP_HANDOFF_FULL);
	}
	return keep;
}

/* A full-NAT service connection's source: one of the service's addresses. */
static bool fullnat_source(const struct sl_flow_worker_ctx *c, const struct sl_flow *f,
			   uint32_t idx, struct sl_flow_snat *r)
{
	const struct sl_lb_service *svc = sl_lb_service_by_slot(c->lbv, f->service);
	if (svc == NULL || svc->mode != SL_LB_FULLNAT || svc->n_sources == 0)
		return false;
	memset(r, 0, sizeof(*r));
	const uint8_t *a = svc->sources[idx % svc->n_sources];
	if (f->af == 4) {
		r->has4 = true;
		memcpy(r->to4, a, 4);
	} else {
		r->has6 = true;
		memcpy(r->to6, a, 16);
	}
	r->lo = svc->source_lo;
	r->hi = svc->source_hi;
	return true;
}

uint16_t sl_flow_post_burst(struct sl_flow_worker_ctx *c, const struct sl_flow_policy *pol,
			    struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	uint16_t keep = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct sl_pkt_meta *meta = sl_pkt_meta(m);
		if (meta->flow == 0) {
			pkts[keep++] = m;
			continue;
		}
		uint32_t idx = meta->flow - 1;
		struct sl_flow *f = sl_flow_get(c->t, idx);
		enum sl_flow_dir dir = (enum sl_flow_dir)meta->flow_dir;
		if (f->flags & SL_FLOW_F_NAT_PENDING) {
			f->flags &= (uint8_t)~SL_FLOW_F_NAT_PENDING;
			struct sl_flow_key k;
			sl_flow_key_get(c->t, f, SL_FLOW_ORIG, &k);
			struct sl_flow_snat pool;
			const struct sl_flow_snat *r = dir != SL_FLOW_ORIG ? NULL :
				f->service != 0 && fullnat_source(c, f, idx, &pool) ? &pool :
				flow_snat_match(pol, meta->out_port, f->af, k.src);
			if (r != NULL && flow_snat_bind(c, idx, r, meta->out_port) != 0) {
				/* Leave the connection to expire; this packet cannot go. */
				f->flags |= SL_FLOW_F_NAT_PENDING;
				sl_stats_drop(c->st, m, SL_DROP_NAT_PORTS_EXHAUSTED);
				continue;
			}
		}
		if ((f->flags & (SL_FLOW_F_SNAT | SL_FLOW_F_DNAT)) && !(meta->flags & SL_PKT_F_NAT_DONE))
			flow_nat_src(c->t, f, dir, m);
		/* A first fragment: its later fragments will follow it. */
		if ((meta->flags & SL_PKT_F_FRAGMENT) && c->frags != NULL &&
		    flow_frag_note(c, f, dir, m, now_ticks(c, now)) != 0) {
			sl_stats_drop(c->st, m, SL_DROP_FRAGMENT_TABLE_FULL);
			continue;
		}
		if (pol->mss_clamp && f->proto == IPPROTO_TCP && meta->out_port < SL_MAX_PORTS &&
		    (((const struct rte_tcp_hdr *)sl_pkt_l4(m))->tcp_flags & TH_SYN) &&
		    flow_mss_clamp(m, pol->mtu[meta->out_port]))
			c->st->flow_mss_clamped++;
		pkts[keep++] = m;
	}
	return keep;
}

uint16_t sl_flow_handoff_take(struct sl_flow_worker_ctx *c, struct rte_mbuf **pkts, uint16_t max)
{
	uint16_t got = 0, ready;
	/* Later fragments whose first fragment has come since they arrived. */
	while (c->n_ready > 0 && got < max)
		pkts[got++] = c->ready[--c->n_ready];
	ready = got;
	/* Start at the next ring each time: a busy sender cannot keep the
	 * others' rings waiting (and filling: handoff_full). */
	unsigned first = c->handoff_next++ % c->n_workers;
	for (unsigned i = 0; i < c->n_workers && got < max; i++) {
		unsigned w = (first + i) % c->n_workers;
		if (c->from[w] == NULL)
			continue;
		got += (uint16_t)rte_ring_sc_dequeue_burst(c->from[w], (void **)(pkts + got),
							   max - got, NULL);
	}
	c->st->flow_handoff_in += (uint64_t)(got - ready);
	return got;
}

static void expire(void *arg, uint32_t idx)
{
	struct sl_flow_worker_ctx *c = arg;
	const struct sl_flow *f = sl_flow_get(c->t, idx);
	/* Sent to the backend and never answered: passive health marking
	 * counts it (not one whose first packet never left: NAT_PENDING). */
	if ((f->flags & SL_FLOW_F_LB_OPEN) && !(f->flags & SL_FLOW_F_NAT_PENDING) &&
	    f->state == SL_CT_TCP_SYN_SENT && !f->kill)
		sl_lb_syn_timeout(c->lb, c->worker, f->backend);
	/* A handshake never completed counts against its source's reputation
	 * (not one the SYN proxy opened: the client proved itself, the backend
	 * did not answer). */
	if (f->state == SL_CT_TCP_SYN_SENT && !f->kill && c->rl != NULL && c->sources != NULL &&
	    f->proxy == SL_FLOW_PROXY_NONE) {
		struct sl_flow_key k;
		sl_flow_key_get(c->t, f, SL_FLOW_ORIG, &k);
		sl_rl_event(c->rl, c->sources, k.af, k.src, SL_REP_SYN_TIMEOUT, c->now);
	}
	flow_remove(c, idx);
}

void sl_flow_service(struct sl_flow_worker_ctx *c, uint64_t now)
{
	c->now = now;
	if (now >= c->next_scan) {
		c->next_scan = now + c->scan_every;
		sl_flow_expire_scan(c->t, c->worker, now_ticks(c, now), c->scan_budget, expire, c);
		if (c->frags != NULL)
			flow_frag_service(c, now_ticks(c, now), 64);
		if (c->n_proxy_held > 0)
			flow_proxy_service(c, now_ticks(c, now));
	}
	sl_flow_reclaim(c->t, c->worker);
}

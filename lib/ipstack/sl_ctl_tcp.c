/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP control segments the management lcore originates (health probes:
 * SYN, then RST), routed and resolved like any packet it sends.
 */
#include <errno.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "ipstack_priv.h"

/* The source for a packet to @p dst: the address of the port it leaves by. */
static int pick_source(const struct sl_ipstack_tables *t, uint8_t af, const uint8_t *dst,
		       uint8_t *src)
{
	uint32_t idx;
	if (af == SL_AF_INET) {
		uint32_t d;
		memcpy(&d, dst, 4);
		idx = sl_ipstack_lookup4(t, rte_be_to_cpu_32(d));
	} else {
		idx = sl_ipstack_lookup6(t, dst);
	}
	const struct sl_nexthop *nh = &t->nexthops[idx];
	if (nh->type != SL_NH_CONNECTED && nh->type != SL_NH_GATEWAY)
		return -EHOSTUNREACH;
	const struct sl_ipstack_port *p = &t->ports[nh->port];
	if (af == SL_AF_INET) {
		uint32_t s;
		if (!sl_ipstack_port_src4(p, &s))
			return -EADDRNOTAVAIL;
		memcpy(src, &s, 4);
		return 0;
	}
	sl_ipstack_port_src6(p, src);
	return 0;
}

int sl_ipstack_ctl_send_tcp(struct sl_ipstack_ctl *c, const struct sl_ipstack_tables *t,
			    const struct sl_ctl_tcp *seg, uint64_t now)
{
	uint8_t src[16] = {0};
	if (seg->src != NULL)
		memcpy(src, seg->src, seg->af == SL_AF_INET ? 4 : 16);
	else if (pick_source(t, seg->af, seg->dst, src) < 0)
		return -EHOSTUNREACH;
	struct sl_ctl_tcp s = *seg;
	s.src = src;
	struct rte_mbuf *m = sl_tcp_segment_build(c->pool, &s, UINT16_MAX);
	if (m == NULL) {
		c->st->drops[SL_DROP_NO_MBUF]++;
		return -ENOBUFS;
	}
	if (c->inject != NULL)
		c->inject(c->inject_arg, m);
	else
		sl_ipstack_ctl_route(c, t, m, now);
	return 0;
}

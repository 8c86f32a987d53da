/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/pkt internals that its tests reach for. Not part of the module's API.
 */
#ifndef SL_PKT_PRIV_H
#define SL_PKT_PRIV_H

#include <stdbool.h>

#include <rte_mbuf.h>

/*
 * sl_pkt_parse() without the IPv4 fast path: the reference the fast path
 * must agree with, packet for packet.
 */
bool sl_pkt_parse_general(struct rte_mbuf *m);

#endif /* SL_PKT_PRIV_H */

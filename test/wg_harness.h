/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the WireGuard fuzzer and micro-benchmark share: the tables of a
 * sluice with ports lan (10.1.0.1/24), wan (10.2.0.1/24) and wg0
 * (10.99.0.1/16, UDP 51820), packets as a peer on wan (10.2.0.2:51820)
 * sends them, and a send callback that keeps what the interface sent.
 */
#ifndef SL_TEST_WG_HARNESS_H
#define SL_TEST_WG_HARNESS_H

#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "sl_config.h"
#include "sl_ipstack.h"
#include "sl_pkt.h"
#include "sl_wg.h"

#define WG_HARNESS_PORT 2     /* wg0's port index */

static inline struct sl_ipstack_tables *wg_harness_tables(char *err, size_t len)
{
	json_t *doc = json_loads("{\"ports\":[{\"name\":\"lan\",\"device\":\"net_null0\","
				 "\"ipv4\":[\"10.1.0.1/24\"]},{\"name\":\"wan\",\"device\":\"net_null1\","
				 "\"ipv4\":[\"10.2.0.1/24\"]}],\"wireguard\":{\"interfaces\":[{\"name\":"
				 "\"wg0\",\"private_key_file\":\"/k\",\"listen_port\":51820,\"ipv4\":"
				 "[\"10.99.0.1/16\"]}]}}", 0, NULL);
	struct sl_config *cfg = sl_config_parse(doc, err, len);
	json_decref(doc);
	struct sl_ipstack_port_id ids[SL_MAX_PORTS] = {0};
	struct sl_ipstack_tables *t = cfg != NULL ?
		sl_ipstack_tables_build(cfg, ids, 1, SOCKET_ID_ANY, err, len) : NULL;
	sl_config_free(cfg);
	return t;
}

/* Ethernet, IPv4 and UDP from 10.2.0.2:51820 to 10.2.0.1:51820 around
 * @p msg, stamped as received on wan (not parsed). */
static inline struct rte_mbuf *wg_harness_udp(struct rte_mempool *pool, const void *msg,
					      size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p = m != NULL ? (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(42 + len)) : NULL;
	if (p == NULL)
		abort();
	memset(p, 0, 42);
	struct rte_ether_hdr *eth = (void *)p;
	eth->dst_addr.addr_bytes[0] = 2;
	eth->src_addr.addr_bytes[0] = 2;
	eth->src_addr.addr_bytes[5] = 9;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = (void *)(p + 14);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(28 + len));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(0x0a020002);
	ip->dst_addr = rte_cpu_to_be_32(0x0a020001);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	struct rte_udp_hdr *udp = (void *)(p + 34);
	udp->src_port = rte_cpu_to_be_16(51820);
	udp->dst_port = rte_cpu_to_be_16(51820);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + len));
	memcpy(p + 42, msg, len);
	sl_pkt_meta(m)->in_port = 1;
	return m;
}

/* The interface's send callback: keeps the last packet in *(struct rte_mbuf **)@p arg. */
static inline void wg_harness_capture(void *arg, struct rte_mbuf *m)
{
	struct rte_mbuf **slot = arg;
	rte_pktmbuf_free(*slot);
	*slot = m;
}

/* A worker's view of interface @p dev as wg0, punting to @p ring. */
static inline void wg_harness_worker(struct sl_wg_worker *wk, struct sl_wg_dev *dev,
				     struct sl_ipstack_worker *ipw, struct sl_lcore_stats *st,
				     struct rte_ring *ring)
{
	char err[128];
	*wk = (struct sl_wg_worker){.cipher = sl_wg_cipher_create(SOCKET_ID_ANY, err, sizeof(err)),
				    .st = st, .ip = ipw, .punt = ring, .held = ring, .n_dev = 1,
				    .tsc_hz = rte_get_tsc_hz()};
	if (wk->cipher == NULL)
		abort();
	wk->dev[WG_HARNESS_PORT] = dev;
	wk->listen_port[WG_HARNESS_PORT] = 51820;
	wk->dev_ports[0] = WG_HARNESS_PORT;
}

#endif /* SL_TEST_WG_HARNESS_H */

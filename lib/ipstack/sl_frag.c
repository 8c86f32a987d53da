/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 fragmentation (RFC 791, RFC 1812 5.2.6) for packets without DF that
 * are larger than the egress MTU.
 *
 * This is a slow path by design: the worker hands such packets to the
 * management lcore, which cuts them here into fresh single-segment mbufs
 * (copies, no indirect mbufs, so any PMD can send them) and sends them
 * through the usual neighbor path. Options without the "copied" bit stay in
 * the first fragment only.
 */
#include <string.h>

#include "ipstack_priv.h"

/* Options of @p ip that every fragment carries; returns their length (padded). */
static uint16_t copied_options(const struct rte_ipv4_hdr *ip, uint8_t *out)
{
	const uint8_t *opt = (const uint8_t *)(ip + 1);
	uint16_t len = (uint16_t)(rte_ipv4_hdr_len(ip) - sizeof(*ip)), n = 0;
	for (uint16_t i = 0; i < len;) {
		uint8_t type = opt[i];
		if (type == 0) /* end of list */
			break;
		if (type == 1) { /* no-op: one byte, not copied */
			i++;
			continue;
		}
		if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len)
			break; /* malformed: keep what we have */
		if (type & 0x80) {
			memcpy(out + n, opt + i, opt[i + 1]);
			n = (uint16_t)(n + opt[i + 1]);
		}
		i = (uint16_t)(i + opt[i + 1]);
	}
	while (n % 4)
		out[n++] = 0;
	return n;
}

static struct rte_mbuf *fragment_one(struct rte_mempool *pool, struct rte_mbuf *m,
				     const struct rte_ipv4_hdr *hdr, uint16_t hlen,
				     uint32_t off, uint16_t len, bool last)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	struct rte_mbuf *f = rte_pktmbuf_alloc(pool);
	if (f == NULL)
		return NULL;
	char *p = rte_pktmbuf_append(f, (uint16_t)(RTE_ETHER_HDR_LEN + hlen + len));
	if (p == NULL) {
		rte_pktmbuf_free(f);
		return NULL;
	}
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + RTE_ETHER_HDR_LEN);
	memcpy(ip, hdr, hlen);
	const struct rte_ipv4_hdr *orig = sl_pkt_ipv4(m);
	const uint8_t *payload = (const uint8_t *)orig + meta->l3_len + off;
	memcpy((uint8_t *)ip + hlen, payload, len);
	uint16_t orig_frag = rte_be_to_cpu_16(orig->fragment_offset);
	uint16_t orig_off = (uint16_t)(orig_frag & RTE_IPV4_HDR_OFFSET_MASK);
	bool more = !last || (orig_frag & RTE_IPV4_HDR_MF_FLAG);
	ip->version_ihl = (uint8_t)(0x40 | (hlen / 4));
	ip->total_length = rte_cpu_to_be_16((uint16_t)(hlen + len));
	ip->fragment_offset = rte_cpu_to_be_16((uint16_t)((orig_off + off / 8) |
							  (more ? RTE_IPV4_HDR_MF_FLAG : 0)));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = sl_ipv4_header_cksum(ip);

	struct sl_pkt_meta *fm = sl_pkt_meta(f);
	*fm = *meta;
	fm->l2_len = RTE_ETHER_HDR_LEN;
	fm->l3_len = hlen;
	fm->ip_len = (uint32_t)(hlen + len);
	fm->flags = (uint16_t)((meta->flags & ~(SL_PKT_F_VLAN | SL_PKT_F_FIRST_FRAG)) |
			      SL_PKT_F_FRAGMENT | (off == 0 && orig_off == 0 ? SL_PKT_F_FIRST_FRAG : 0));
	return f;
}

int sl_ipv4_fragment(struct rte_mbuf *m, uint16_t mtu, struct rte_mempool *pool,
		     struct rte_mbuf **out, unsigned max_out)
{
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	const struct rte_ipv4_hdr *ip = sl_pkt_ipv4(m);
	uint8_t first_hdr[60], rest_hdr[60];
	uint16_t first_len = meta->l3_len;
	uint32_t payload = meta->ip_len - meta->l3_len;
	unsigned n = 0;

	if (rte_pktmbuf_data_len(m) < meta->l2_len + meta->ip_len)
		return -EINVAL; /* multi-segment: not handled on this path */
	memcpy(first_hdr, ip, first_len);
	memcpy(rest_hdr, ip, sizeof(*ip));
	uint16_t rest_len = (uint16_t)(sizeof(*ip) + copied_options(ip, rest_hdr + sizeof(*ip)));
	if (mtu < first_len + 8 || mtu < rest_len + 8)
		return -EINVAL;

	for (uint32_t off = 0; off < payload; n++) {
		const uint8_t *hdr = off == 0 ? first_hdr : rest_hdr;
		uint16_t hlen = off == 0 ? first_len : rest_len;
		uint32_t chunk = (uint32_t)((mtu - hlen) & ~7u);
		bool last = off + chunk >= payload;
		if (last)
			chunk = payload - off;
		if (n == max_out)
			goto fail;
		out[n] = fragment_one(pool, m, (const struct rte_ipv4_hdr *)hdr, hlen, off,
				      (uint16_t)chunk, last);
		if (out[n] == NULL)
			goto fail;
		off += chunk;
	}
	return (int)n;
fail:
	while (n > 0)
		rte_pktmbuf_free(out[--n]);
	return -ENOBUFS;
}

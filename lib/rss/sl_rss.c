/* SPDX-License-Identifier: BSD-3-Clause */
#include "sl_rss.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_ethdev.h>

uint32_t sl_rss_toeplitz(const uint8_t *key, size_t key_len, const uint8_t *in, size_t len)
{
	uint32_t h = 0;
	for (size_t i = 0; i < len; i++) {
		if (in[i] == 0)
			continue;
		/* The key's 40 bits from byte i: the 32-bit windows of bits i*8 .. i*8+7. */
		uint64_t w = 0;
		for (size_t j = 0; j < 5; j++)
			w = w << 8 | (i + j < key_len ? key[i + j] : 0);
		for (unsigned b = 0; b < 8; b++)
			if (in[i] & (0x80u >> b))
				h ^= (uint32_t)(w >> (8 - b));
	}
	return h;
}

/* Tuples in the order the NIC hashes them: source, destination, source port,
 * destination port. */
static size_t tuple(uint8_t *out, uint8_t af, const uint8_t *src, const uint8_t *dst,
		    uint16_t sport, uint16_t dport)
{
	size_t n = af == 4 ? 4 : 16;
	memcpy(out, src, n);
	memcpy(out + n, dst, n);
	out[2 * n] = (uint8_t)(sport >> 8);
	out[2 * n + 1] = (uint8_t)sport;
	out[2 * n + 2] = (uint8_t)(dport >> 8);
	out[2 * n + 3] = (uint8_t)dport;
	return 2 * n + 4;
}

int sl_rss_steer_init(struct sl_rss_steer *s, uint64_t rss_hf, const uint8_t *key,
		      size_t key_len, const uint16_t *reta, uint16_t reta_size,
		      const uint8_t *queue_worker, uint16_t n_queues)
{
	memset(s, 0, sizeof(*s));
	/* An IPv6 tuple with ports is 36 bytes; the hash reads 4 more of the key. */
	if (key_len < 40 || key_len > SL_RSS_KEY_MAX || reta_size == 0 ||
	    reta_size > SL_RSS_RETA_MAX)
		return -EINVAL;
	if (rss_hf & (RTE_ETH_RSS_L3_SRC_ONLY | RTE_ETH_RSS_L3_DST_ONLY |
		      RTE_ETH_RSS_L4_SRC_ONLY | RTE_ETH_RSS_L4_DST_ONLY))
		return -EINVAL;
	for (unsigned i = 0; i < reta_size; i++) {
		if (reta[i] >= n_queues || queue_worker[reta[i]] == SL_RSS_NO_WORKER)
			return -EINVAL;
		s->reta_worker[i] = queue_worker[reta[i]];
	}
	s->reta_size = reta_size;
	memcpy(s->key, key, key_len);
	s->key_len = (uint16_t)key_len;
	s->tcp4 = rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_TCP;
	s->udp4 = rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_UDP;
	s->tcp6 = rss_hf & RTE_ETH_RSS_NONFRAG_IPV6_TCP;
	s->udp6 = rss_hf & RTE_ETH_RSS_NONFRAG_IPV6_UDP;
	static const uint8_t zero[16];
	uint8_t in[40];
	for (unsigned v = 0; v < 256; v++) {
		for (unsigned af = 4; af <= 6; af += 2) {
			uint32_t (*d)[256] = af == 4 ? s->dport4 : s->dport6;
			size_t n = tuple(in, (uint8_t)af, zero, zero, 0, (uint16_t)(v << 8));
			d[0][v] = sl_rss_toeplitz(s->key, s->key_len, in, n);
			tuple(in, (uint8_t)af, zero, zero, 0, (uint16_t)v);
			d[1][v] = sl_rss_toeplitz(s->key, s->key_len, in, n);
		}
	}
	return 0;
}

bool sl_rss_steers(const struct sl_rss_steer *s, uint8_t af, uint8_t proto)
{
	if (s == NULL || s->reta_size == 0)
		return false;
	if (proto == IPPROTO_TCP)
		return af == 4 ? s->tcp4 : s->tcp6;
	if (proto == IPPROTO_UDP)
		return af == 4 ? s->udp4 : s->udp6;
	return false;
}

uint32_t sl_rss_hash_base(const struct sl_rss_steer *s, uint8_t af, const uint8_t *src,
			  const uint8_t *dst, uint16_t sport)
{
	uint8_t in[40];
	size_t n = tuple(in, af, src, dst, sport, 0);
	return sl_rss_toeplitz(s->key, s->key_len, in, n);
}

/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_RSS_H
#define SL_RSS_H

/**
 * @file
 * Where a NIC's RSS sends a packet, computed in software: the Toeplitz hash
 * with the port's key, the redirection table (RETA) and which worker polls
 * each queue. Source NAT uses it to choose a port whose replies the NIC
 * delivers to the connection's owner, so they need no handoff.
 *
 * A steer is built once per port at start (management) and only read by
 * the workers after.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_RSS_KEY_MAX 64     /**< bytes; NICs use 40 or 52 */
#define SL_RSS_RETA_MAX 512   /**< entries; the largest RTE_ETH_RSS_RETA_SIZE_* */
#define SL_RSS_NO_WORKER 0xff

/** The Toeplitz hash of @p len bytes @p in (network order) with @p key. */
uint32_t sl_rss_toeplitz(const uint8_t *key, size_t key_len, const uint8_t *in, size_t len);

struct sl_rss_steer {
	bool tcp4, udp4, tcp6, udp6;   /**< the hash covers ports for these */
	uint8_t key[SL_RSS_KEY_MAX];
	uint16_t key_len;
	uint16_t reta_size;
	uint8_t reta_worker[SL_RSS_RETA_MAX];  /**< worker polling each entry's queue */
	/* The hash is linear in its input: each destination port byte's share,
	 * to be XORed into the hash of the tuple with destination port 0. */
	uint32_t dport4[2][256], dport6[2][256];
};

/**
 * Build @p s from a port's RSS state: @p rss_hf the hash types in effect
 * (RTE_ETH_RSS_*), @p key, the RETA (@p reta_size queue numbers) and
 * @p queue_worker (the worker polling each of @p n_queues queues).
 * 0, or -EINVAL when the state cannot be followed (key too short, a RETA
 * naming a queue no worker polls, or hash types restricted to one side of
 * the tuple, which no port choice can steer).
 */
int sl_rss_steer_init(struct sl_rss_steer *s, uint64_t rss_hf, const uint8_t *key,
		      size_t key_len, const uint16_t *reta, uint16_t reta_size,
		      const uint8_t *queue_worker, uint16_t n_queues);

/** Whether packets of family @p af (4/6) and protocol @p proto hash with their ports. */
bool sl_rss_steers(const struct sl_rss_steer *s, uint8_t af, uint8_t proto);

/**
 * The hash of the tuple (@p src, @p dst, @p sport, destination port 0),
 * addresses in network order (4 or 16 bytes by @p af), port in host order.
 */
uint32_t sl_rss_hash_base(const struct sl_rss_steer *s, uint8_t af, const uint8_t *src,
			  const uint8_t *dst, uint16_t sport);

/** The worker receiving the tuple of @p base with destination port @p dport. */
static inline unsigned sl_rss_worker(const struct sl_rss_steer *s, uint8_t af, uint32_t base,
				     uint16_t dport)
{
	const uint32_t (*d)[256] = af == 4 ? s->dport4 : s->dport6;
	uint32_t h = base ^ d[0][dport >> 8] ^ d[1][dport & 0xff];
	return s->reta_worker[h % s->reta_size];
}

#endif

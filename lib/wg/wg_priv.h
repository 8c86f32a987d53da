/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private parts of lib/wg, shared by its files and nothing else:
 *
 *   sl_wg_crypto.c  the paper's primitives over wolfCrypt
 *   sl_wg_noise.c   the handshake messages, mac1/mac2, cookie replies
 *   sl_wg_replay.c  the lock-free replay window
 *   sl_wg_cipher.c  burst AEAD with ipsec-mb (workers)
 *   sl_wg_dev.c     an interface: peers, tables, freeing after RCU
 *   sl_wg_ctl.c     handshakes, cookies, timers, held packets (management)
 *   sl_wg_stage.c   the tunnel in / tunnel out stages (workers)
 *   sl_wg_encap.c   outer headers, shared by both sides
 */
#ifndef WG_PRIV_H
#define WG_PRIV_H

#include "sl_wg.h"

/* What only the management lcore touches of a peer. */
struct peer_ctl {
	struct sl_wg_remote keys;
	bool has_psk;
	char *psk_file;                  /* heap; NULL: none */
	bool usable;                     /* keys.ss valid (we have a key, theirs is sound) */
	struct sl_wg_handshake hs;       /* ours in progress (INIT_SENT), or NONE */
	struct sl_wg_keypair *hs_kp;     /* holds hs.local_index until the response */
	uint8_t last_ts[SL_WG_TAI64N_LEN];  /* greatest initiation timestamp accepted */
	uint64_t last_init_consumed_tsc;
	uint64_t attempt_start_tsc;      /* first initiation of this attempt; 0: none */
	uint64_t last_init_sent_tsc;
	uint64_t last_hs_sent_tsc;       /* initiation or response: one per REKEY_TIMEOUT */
	uint64_t tx_unanswered_tsc;      /* first data sent since the last receive; 0: none */
	uint64_t tx_armed_for;           /* the last_tx that armed it: not again for the same */
	uint64_t rx_unanswered_tsc;      /* first data received since the last send; 0: none */
	uint64_t retry_jitter_tsc;
	uint8_t last_mac1[SL_WG_MAC_LEN];   /* of our last handshake message: cookie AD */
	bool has_cookie;
	uint8_t cookie[SL_WG_MAC_LEN];
	uint64_t cookie_tsc;
	struct sl_wg_keypair *kp_prev, *kp_cur, *kp_next;  /* next: responder, unconfirmed */
	uint16_t keepalive_s;
	uint64_t last_keepalive_tsc;     /* keepalives the management lcore sent */
	uint64_t last_handshake_wall;    /* ns since 1970 */
	uint64_t last_handshake_tsc;
	unsigned n_allowed, cap_allowed;
	struct sl_prefix *allowed;
	unsigned n_staged;
	struct rte_mbuf *staged[SL_WG_STAGED_MAX];
};

#define WG_RL_SLOTS 4096

struct sl_wg_dev {
	char name[SL_CONFIG_NAME_MAX];
	uint16_t port, listen_port;
	uint32_t max_peers, n_peers;
	uint32_t handshake_load, clock_scale;
	uint64_t tsc_hz;
	int socket;
	struct rte_rcu_qsbr *qsv;
	struct rte_mempool *pool;
	sl_wg_tx_fn tx;
	void *tx_arg;
	struct sl_lcore_stats *st;

	bool has_key;
	struct sl_wg_static s;

	struct sl_wg_peer *peers;        /* shared with the workers */
	struct peer_ctl *ctl;
	uint32_t *free_slots, n_free_slots;
	struct rte_hash *by_pub;         /* public key -> slot */

	struct sl_wg_keypair **index;    /* shared: receiver index -> session */
	uint32_t index_mask, index_bits;
	uint32_t *free_index, n_free_index;

	struct rte_hash *allowed;        /* shared, lock-free: prefix -> slot + 1 */
	uint32_t max_allowed, n_allowed_total;
	uint32_t len_refs[2][129];
	uint64_t lens4;                  /* shared: prefix lengths in use */
	uint64_t lens6[3];

	struct { void *p; uint32_t slot; uint64_t token; } *dq;
	uint32_t dq_n, dq_cap;

	uint8_t cookie_secret[SL_WG_KEY_LEN];
	uint64_t secret_tsc;
	uint64_t load_window_tsc;
	uint32_t load_count;
	uint64_t under_load_until;
	struct { uint8_t key[17]; uint8_t tokens; uint64_t last_tsc; } rl[WG_RL_SLOTS];

	uint64_t hs[SL_WG_HS_OUTCOMES];
	uint64_t staged_dropped;
	uint32_t tick_cursor;
};

/* sl_wg_dev.c */
/* Bytes from the kernel's random source (keys, indexes, nonces, jitter). */
void wg_random_bytes(void *p, size_t n);
void wg_ep_write(struct sl_wg_peer *p, const struct sl_wg_endpoint *ep, bool wait);
void wg_ep_read(const struct sl_wg_peer *p, struct sl_wg_endpoint *out);
bool wg_ep_equal(const struct sl_addr *a, uint16_t port, const struct sl_wg_endpoint *ep);
int32_t wg_slot_of(const struct sl_wg_dev *d, const uint8_t pub[SL_WG_KEY_LEN]);
/* A session holding a fresh receiver index (not ready until its keys are
 * set); NULL when the index table is full. */
struct sl_wg_keypair *wg_kp_new(struct sl_wg_dev *d, uint32_t slot);
/* Out of the index table; freed after the workers' grace period. */
void wg_kp_drop(struct sl_wg_dev *d, struct sl_wg_keypair *kp);
/* Keys from finished handshake @p hs (wiped), then ready for the workers. */
void wg_kp_set_keys(struct sl_wg_keypair *kp, struct sl_wg_handshake *hs, bool initiator,
		    uint64_t now);
void wg_defer_free(struct sl_wg_dev *d, struct sl_wg_keypair *kp);
void wg_reclaim(struct sl_wg_dev *d);
void wg_staged_drop_all(struct sl_wg_dev *d, struct peer_ctl *c);
/* The peer slot whose allowed IPs hold @p addr (network order), or UINT32_MAX. */
uint32_t wg_allowed_lookup(const struct sl_wg_dev *d, uint8_t af, const uint8_t *addr);

/* sl_wg_encap.c */
/*
 * Turn @p m, an IP packet at offset @p inner_off, into a data message
 * ready to seal: padding and room for the tag appended, the 16-byte header
 * and the outer UDP/IP/Ethernet room prepended (IPv4 or IPv6 by @p af);
 * the padding stops at @p mtu, the interface's.
 * *@p data_off and *@p data_len say what to seal. False when the mbuf
 * lacks room (it is left as it was).
 */
bool wg_encap_prepare(struct rte_mbuf *m, uint16_t inner_off, uint8_t af, uint32_t receiver,
		      uint64_t counter, uint16_t mtu, uint32_t *data_off, uint32_t *data_len);
/* Write the outer IP and UDP headers of a prepared (and sealed) message
 * and set the meta as parse would (l2_len 14). */
void wg_encap_finish(struct rte_mbuf *m, const struct sl_addr *src, uint16_t sport,
		     const struct sl_addr *dst, uint16_t dport);
/* Our address to reach @p dst from: its egress port's first address of its
 * family. False when there is no route or the port has no such address. */
bool wg_pick_local(const struct sl_ipstack_tables *t, const struct sl_addr *dst,
		   struct sl_addr *out);
/* Cycles from @p then to @p now, 0 when @p then is later: workers stamp
 * times from their own clocks, which may run ahead of the reader's now. */
static inline uint64_t wg_since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

/* Outer headers in front of a message of the given family, bytes. */
static inline uint16_t wg_outer_len(uint8_t af)
{
	return (uint16_t)(14 + (af == SL_AF_INET ? 20 : 40) + 8);
}

#endif /* WG_PRIV_H */

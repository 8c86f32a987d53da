/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * WireGuard: the protocol of the WireGuard paper (Donenfeld, NDSS 2017) and
 * of its reference implementations, interoperable with them.
 *
 * This first part is the cryptography the handshake is built from, as the
 * paper's §5.4 names it: HASH (BLAKE2s-256), MAC (keyed BLAKE2s-128), HMAC
 * and KDF over BLAKE2s, DH (X25519), AEAD (ChaCha20-Poly1305, the nonce a
 * 64-bit little-endian counter after four zero bytes), XAEAD
 * (XChaCha20-Poly1305, cookies) and TAI64N timestamps. wolfCrypt provides
 * the primitives; HMAC-BLAKE2s, the KDF and TAI64N are built here, and
 * X25519 follows RFC 7748 and the reference implementations where wolfCrypt
 * differs (the top bit of a public key is ignored, an all-zero shared
 * secret is refused).
 *
 * Threads: every function is reentrant; none allocates (wolfCrypt built
 * without WOLFSSL_SMALL_STACK, as Debian's is; the build refuses another).
 */
#ifndef SL_WG_H
#define SL_WG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_WG_KEY_LEN 32            /**< keys, hashes, chaining keys */
#define SL_WG_MAC_LEN 16            /**< MAC output, AEAD tags, cookies */
#define SL_WG_TAG_LEN 16
#define SL_WG_XNONCE_LEN 24         /**< XAEAD nonce */
#define SL_WG_TAI64N_LEN 12

/** HASH(@p a || @p b): BLAKE2s-256; @p b may be NULL with @p b_len 0. */
void sl_wg_hash(uint8_t out[SL_WG_KEY_LEN], const void *a, size_t a_len, const void *b,
		size_t b_len);

/** MAC(@p key, @p data): BLAKE2s-128 keyed with @p key (1 to 32 bytes; else
 * false and zeros). */
bool sl_wg_mac(uint8_t out[SL_WG_MAC_LEN], const uint8_t *key, size_t key_len, const void *data,
	       size_t len);

/** HMAC(@p key, @p data) over BLAKE2s-256 (RFC 2104, 64-byte blocks; a longer key is hashed). */
void sl_wg_hmac(uint8_t out[SL_WG_KEY_LEN], const uint8_t *key, size_t key_len,
		const void *data, size_t len);

/**
 * KDF_n(@p ck, @p in): the outputs T1, T2, T3 of HKDF over HMAC-BLAKE2s
 * with chaining key @p ck; each of @p t1..@p t3 may be NULL (KDF1, KDF2).
 * The outputs may alias @p ck.
 */
void sl_wg_kdf(const uint8_t ck[SL_WG_KEY_LEN], const void *in, size_t in_len,
	       uint8_t t1[SL_WG_KEY_LEN], uint8_t t2[SL_WG_KEY_LEN], uint8_t t3[SL_WG_KEY_LEN]);

/** Clamp an X25519 private key in place (RFC 7748 §5). */
void sl_wg_clamp(uint8_t key[SL_WG_KEY_LEN]);

/** The public key of private key @p priv (clamped on a copy). False only on a library error. */
bool sl_wg_pubkey(uint8_t pub[SL_WG_KEY_LEN], const uint8_t priv[SL_WG_KEY_LEN]);

/**
 * DH(@p priv, @p pub): X25519. False when the result is all zeros (a
 * public key of small order) or on a library error; @p out is then zeros.
 * @p out may be either input.
 */
bool sl_wg_dh(uint8_t out[SL_WG_KEY_LEN], const uint8_t priv[SL_WG_KEY_LEN],
	      const uint8_t pub[SL_WG_KEY_LEN]);

/**
 * AEAD(@p key, @p counter, @p pt, @p ad): @p len bytes of ciphertext then
 * the 16-byte tag into @p out (which may be @p pt).
 */
bool sl_wg_aead_seal(uint8_t *out, const uint8_t key[SL_WG_KEY_LEN], uint64_t counter,
		     const void *pt, size_t len, const void *ad, size_t ad_len);

/**
 * Open @p len bytes (ciphertext and its tag) into @p out (len - 16 bytes;
 * may be @p ct). False when the tag does not verify: @p out is then zeros.
 */
bool sl_wg_aead_open(uint8_t *out, const uint8_t key[SL_WG_KEY_LEN], uint64_t counter,
		     const void *ct, size_t len, const void *ad, size_t ad_len);

/** XAEAD(@p key, @p nonce, @p pt, @p ad): ciphertext then tag into @p out. */
bool sl_wg_xaead_seal(uint8_t *out, const uint8_t key[SL_WG_KEY_LEN],
		      const uint8_t nonce[SL_WG_XNONCE_LEN], const void *pt, size_t len,
		      const void *ad, size_t ad_len);

/** Open an XAEAD message of @p len bytes (tag included) into @p out, which
 * must not overlap @p ct (false if it does). False when the tag does not verify. */
bool sl_wg_xaead_open(uint8_t *out, const uint8_t key[SL_WG_KEY_LEN],
		      const uint8_t nonce[SL_WG_XNONCE_LEN], const void *ct, size_t len,
		      const void *ad, size_t ad_len);

/**
 * TAI64N of @p unix_ns nanoseconds since 1970 (UTC): 2^62 + 10 + seconds
 * as big-endian 64 bits, then the nanoseconds rounded down to a multiple of
 * 2^24 (as wireguard-go and Linux round them), big-endian 32 bits.
 * Big-endian so that a later time compares greater with memcmp (replayed
 * initiations are refused by that comparison).
 */
void sl_wg_tai64n(uint8_t out[SL_WG_TAI64N_LEN], uint64_t unix_ns);

/** @p a and @p b equal, in time independent of where they differ. */
bool sl_wg_equal(const void *a, const void *b, size_t len);

/** Zero @p len bytes at @p p where the compiler may not drop the store (secrets). */
void sl_wg_wipe(void *p, size_t len);

#define SL_WG_KEY_B64_LEN 44
#define SL_WG_KEY_HEX_LEN 64
/** A key in base64 (as wg(8) prints it) and back; decoding refuses any
 * other spelling. */
void sl_wg_key_to_base64(const uint8_t key[SL_WG_KEY_LEN], char out[SL_WG_KEY_B64_LEN + 1]);
bool sl_wg_key_from_base64(const char *s, uint8_t key[SL_WG_KEY_LEN]);
/** A key in lowercase hex (the UAPI's spelling) and back. */
void sl_wg_key_to_hex(const uint8_t key[SL_WG_KEY_LEN], char out[SL_WG_KEY_HEX_LEN + 1]);
bool sl_wg_key_from_hex(const char *s, uint8_t key[SL_WG_KEY_LEN]);

/* ------------------------------------------------------------------------ */
/* Handshake (the paper's §5.4): Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s.      */
/*                                                                          */
/* Pure functions over caller-owned state: no clock, no randomness (the     */
/* caller passes ephemeral keys, timestamps and indexes), so a transcript   */
/* can be replayed exactly. Every function that takes a handshake leaves it */
/* unchanged when it fails. Threads: any; none allocates.                   */
/* ------------------------------------------------------------------------ */

enum sl_wg_msg_type {
	SL_WG_MSG_INITIATION = 1,
	SL_WG_MSG_RESPONSE = 2,
	SL_WG_MSG_COOKIE = 3,
	SL_WG_MSG_DATA = 4,
};

/* Wire formats. Integers are little-endian on the wire: use sl_wg_le32() /
 * sl_wg_le64() to read and write them. The type field is the message type
 * in its low byte and three zero bytes. */
struct sl_wg_msg_initiation {
	uint32_t type;
	uint32_t sender;
	uint8_t ephemeral[SL_WG_KEY_LEN];
	uint8_t static_enc[SL_WG_KEY_LEN + SL_WG_TAG_LEN];
	uint8_t timestamp_enc[SL_WG_TAI64N_LEN + SL_WG_TAG_LEN];
	uint8_t mac1[SL_WG_MAC_LEN];
	uint8_t mac2[SL_WG_MAC_LEN];
};

struct sl_wg_msg_response {
	uint32_t type;
	uint32_t sender;
	uint32_t receiver;
	uint8_t ephemeral[SL_WG_KEY_LEN];
	uint8_t empty_enc[SL_WG_TAG_LEN];
	uint8_t mac1[SL_WG_MAC_LEN];
	uint8_t mac2[SL_WG_MAC_LEN];
};

struct sl_wg_msg_cookie {
	uint32_t type;
	uint32_t receiver;
	uint8_t nonce[SL_WG_XNONCE_LEN];
	uint8_t cookie_enc[SL_WG_MAC_LEN + SL_WG_TAG_LEN];
};

/** The header of a transport data message; the ciphertext and its tag follow. */
struct sl_wg_msg_data {
	uint32_t type;
	uint32_t receiver;
	uint64_t counter;
};

#define SL_WG_INITIATION_LEN 148
#define SL_WG_RESPONSE_LEN 92
#define SL_WG_COOKIE_LEN 64
#define SL_WG_DATA_HDR_LEN 16
#define SL_WG_DATA_MIN_LEN (SL_WG_DATA_HDR_LEN + SL_WG_TAG_LEN) /**< a keepalive */
#define SL_WG_PAD 16                /**< data plaintext is padded to a multiple of this */

/** Host to wire (little-endian) and back: the same operation both ways. */
static inline uint32_t sl_wg_le32(uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap32(v);
#else
	return v;
#endif
}

static inline uint64_t sl_wg_le64(uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap64(v);
#else
	return v;
#endif
}

/** The AEAD nonce of message counter @p counter: four zero bytes, then the
 * counter, little-endian (the paper's §5.4.6). */
static inline void sl_wg_nonce(uint8_t nonce[12], uint64_t counter)
{
	for (unsigned i = 0; i < 4; i++)
		nonce[i] = 0;
	for (unsigned i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (8 * i));
}

/** The type field of message type @p t, as it is on the wire. */
static inline uint32_t sl_wg_type(enum sl_wg_msg_type t)
{
	return sl_wg_le32((uint32_t)t);
}

/** Our side of an interface: its static key pair and the keys derived from
 * the public key that every peer uses towards us. */
struct sl_wg_static {
	uint8_t priv[SL_WG_KEY_LEN];
	uint8_t pub[SL_WG_KEY_LEN];
	uint8_t mac1_key[SL_WG_KEY_LEN];   /**< HASH("mac1----" || pub): mac1 of messages to us */
	uint8_t cookie_key[SL_WG_KEY_LEN]; /**< HASH("cookie--" || pub): seals our cookie replies */
};

/** Set @p s up from private key @p priv (clamped). False when the key
 * gives no usable public key (a library error). */
bool sl_wg_static_init(struct sl_wg_static *s, const uint8_t priv[SL_WG_KEY_LEN]);

/** A peer's keys, with what every handshake with it would recompute. */
struct sl_wg_remote {
	uint8_t pub[SL_WG_KEY_LEN];
	uint8_t psk[SL_WG_KEY_LEN];        /**< zeros without a preshared key, as Noise's psk2 */
	uint8_t ss[SL_WG_KEY_LEN];         /**< DH(our private key, pub), static-static */
	uint8_t mac1_key[SL_WG_KEY_LEN];   /**< HASH("mac1----" || pub): mac1 of messages to it */
	uint8_t cookie_key[SL_WG_KEY_LEN]; /**< HASH("cookie--" || pub): opens its cookie replies */
};

/**
 * Set @p r up for peer public key @p pub as seen from @p s, with preshared
 * key @p psk (NULL: none). False when @p pub is of small order (the
 * static-static secret would be zero): no handshake with it can succeed.
 */
bool sl_wg_remote_init(struct sl_wg_remote *r, const struct sl_wg_static *s,
		       const uint8_t pub[SL_WG_KEY_LEN], const uint8_t *psk);

enum sl_wg_hs_state {
	SL_WG_HS_NONE,
	SL_WG_HS_INIT_SENT,      /**< initiator, waiting for the response */
	SL_WG_HS_INIT_CONSUMED,  /**< responder, initiation read, no response yet */
	SL_WG_HS_RESP_SENT,      /**< responder, keys may be derived */
	SL_WG_HS_RESP_CONSUMED,  /**< initiator, keys may be derived */
};

/** One handshake in progress: Noise's symmetric state and the ephemerals. */
struct sl_wg_handshake {
	enum sl_wg_hs_state state;
	uint32_t local_index;     /**< our sender index (host order) */
	uint32_t remote_index;    /**< theirs (host order) */
	uint8_t hash[SL_WG_KEY_LEN];
	uint8_t ck[SL_WG_KEY_LEN];
	uint8_t e_priv[SL_WG_KEY_LEN];
	uint8_t e_remote[SL_WG_KEY_LEN];
};

/**
 * Initiator: build initiation @p m to peer @p r with ephemeral private key
 * @p e_priv, TAI64N @p timestamp and our index @p local_index; mac1 is set,
 * mac2 zero (sl_wg_mac2_set() adds it). @p hs becomes INIT_SENT.
 */
bool sl_wg_initiation_create(struct sl_wg_handshake *hs, const struct sl_wg_static *s,
			     const struct sl_wg_remote *r, const uint8_t e_priv[SL_WG_KEY_LEN],
			     const uint8_t timestamp[SL_WG_TAI64N_LEN], uint32_t local_index,
			     struct sl_wg_msg_initiation *m);

/**
 * Responder, first half: open the initiator's static key with ours alone
 * (into @p initiator_pub) so its peer can be looked up. Does not check mac1
 * (the caller did, before spending a DH on it). @p hs is written.
 */
bool sl_wg_initiation_open(struct sl_wg_handshake *hs, const struct sl_wg_static *s,
			   const struct sl_wg_msg_initiation *m,
			   uint8_t initiator_pub[SL_WG_KEY_LEN]);

/**
 * Responder, second half, with the peer @p r found: open the timestamp
 * (into @p timestamp). The caller then refuses a timestamp not greater than
 * the greatest it accepted from this peer (a replayed initiation), and
 * keeps @p hs, now INIT_CONSUMED, only if it accepts.
 */
bool sl_wg_initiation_finish(struct sl_wg_handshake *hs, const struct sl_wg_remote *r,
			     const struct sl_wg_msg_initiation *m,
			     uint8_t timestamp[SL_WG_TAI64N_LEN]);

/** Responder: build response @p m (mac1 set, mac2 zero) from INIT_CONSUMED
 * @p hs with ephemeral @p e_priv and our index @p local_index; RESP_SENT. */
bool sl_wg_response_create(struct sl_wg_handshake *hs, const struct sl_wg_remote *r,
			   const uint8_t e_priv[SL_WG_KEY_LEN], uint32_t local_index,
			   struct sl_wg_msg_response *m);

/** Initiator: consume response @p m to INIT_SENT @p hs (the caller found
 * @p hs by m's receiver index and checked mac1); RESP_CONSUMED. */
bool sl_wg_response_consume(struct sl_wg_handshake *hs, const struct sl_wg_static *s,
			    const struct sl_wg_remote *r, const struct sl_wg_msg_response *m);

/** The transport keys of a finished handshake (RESP_SENT or RESP_CONSUMED);
 * @p hs is wiped to NONE. False in any other state. */
bool sl_wg_keys_derive(struct sl_wg_handshake *hs, uint8_t send[SL_WG_KEY_LEN],
		       uint8_t recv[SL_WG_KEY_LEN]);

/* ---- mac1, mac2 and cookies (§5.4.4, §5.4.7) ---- */

/** Set mac1 of initiation or response @p msg (@p len bytes) with @p mac1_key. */
void sl_wg_mac1_set(void *msg, size_t len, const uint8_t mac1_key[SL_WG_KEY_LEN]);
/** mac1 of @p msg is right for @p mac1_key. */
bool sl_wg_mac1_valid(const void *msg, size_t len, const uint8_t mac1_key[SL_WG_KEY_LEN]);
/** Set mac2 of @p msg from cookie @p cookie. */
void sl_wg_mac2_set(void *msg, size_t len, const uint8_t cookie[SL_WG_MAC_LEN]);
/** mac2 of @p msg is right for @p cookie. */
bool sl_wg_mac2_valid(const void *msg, size_t len, const uint8_t cookie[SL_WG_MAC_LEN]);

/** The cookie of source address @p src (address and port bytes, as the
 * caller chooses to lay them out) under the current secret @p secret. */
void sl_wg_cookie_make(uint8_t cookie[SL_WG_MAC_LEN], const uint8_t secret[SL_WG_KEY_LEN],
		       const void *src, size_t src_len);

/** Cookie reply @p out to a message with sender index @p receiver and mac1
 * @p mac1: @p cookie sealed under our @p cookie_key with nonce @p nonce. */
bool sl_wg_cookie_reply_create(struct sl_wg_msg_cookie *out, uint32_t receiver,
			       const uint8_t nonce[SL_WG_XNONCE_LEN],
			       const uint8_t cookie[SL_WG_MAC_LEN],
			       const uint8_t cookie_key[SL_WG_KEY_LEN],
			       const uint8_t mac1[SL_WG_MAC_LEN]);

/** Open cookie reply @p m from a peer (its @p cookie_key) to the message
 * whose mac1 we last sent, @p mac1. */
bool sl_wg_cookie_reply_open(uint8_t cookie[SL_WG_MAC_LEN], const struct sl_wg_msg_cookie *m,
			     const uint8_t cookie_key[SL_WG_KEY_LEN],
			     const uint8_t mac1[SL_WG_MAC_LEN]);

/* ------------------------------------------------------------------------ */
/* Anti-replay (the paper's §5.4.6), shared by every worker.               */
/* ------------------------------------------------------------------------ */

/** Messages a keypair may send or receive (the reference implementations'
 * REJECT_AFTER_MESSAGES: 2^64 - 2^13 - 1). */
#define SL_WG_REJECT_AFTER_MESSAGES (UINT64_MAX - 8192u)
/** Counters behind the greatest one received that are still accepted,
 * as in Linux (8192 bits of history less one word kept for advancing). */
#define SL_WG_REPLAY_WINDOW (8192u - 64u)
#define SL_WG_REPLAY_SLOTS (8192u / 64u)

/**
 * The counters a receiving key has accepted: Linux's counter.c window
 * (RFC 6479's bitmap of 64-bit blocks, the newest counter on top), made
 * lock-free so that every worker may check counters of the same key at
 * once. Each slot carries the number of the block it holds next to its
 * bits and changes by one 128-bit compare-and-swap, so a slot is never
 * cleared under another worker's bit, and a counter is accepted once
 * whichever workers race on it. Zeroed memory is an empty window.
 */
struct sl_wg_replay {
	struct {
		uint64_t block;    /**< counter / 64, of the counters these bits are */
		uint64_t bits;
	} __attribute__((aligned(16))) slot[SL_WG_REPLAY_SLOTS];
	uint64_t top;              /**< greatest counter accepted, plus one; 0: none */
};

/**
 * Accept @p counter once: true the first time it is seen inside the window,
 * false when it was seen, is too old, or is at or past
 * SL_WG_REJECT_AFTER_MESSAGES. Call only after the message's tag verified.
 * Threads: any number at once on the same window.
 */
bool sl_wg_replay_check(struct sl_wg_replay *w, uint64_t counter);

/* ------------------------------------------------------------------------ */
/* Transport data on the workers: keypairs and burst AEAD with ipsec-mb.    */
/* ------------------------------------------------------------------------ */

struct rte_mbuf;

/**
 * The keys one handshake gave, shared by every worker. The management
 * lcore creates it, publishes it (index table, a peer's sending keypair)
 * and frees it after an RCU grace period once nothing points at it.
 * Workers only read the keys and update the two atomics: the next sending
 * counter (one fetch-and-add per packet, so no nonce ever repeats across
 * workers) and the replay window.
 */
struct sl_wg_keypair {
	uint8_t send_key[SL_WG_KEY_LEN];
	uint8_t recv_key[SL_WG_KEY_LEN];
	uint32_t local_index;      /**< the receiver index peers use towards us (host order) */
	uint32_t remote_index;     /**< the one we put in messages to the peer (host order) */
	uint32_t peer;             /**< the owner's peer slot */
	bool initiator;            /**< we initiated the handshake that made it */
	uint8_t ready;             /**< keys set (atomic): until then it only holds the
				        index of an initiation waiting for its response */
	uint8_t confirmed;         /**< data was received with it (a responder may send) */
	uint64_t birth_tsc;        /**< when the handshake completed */
	uint64_t send_counter __attribute__((aligned(64)));
	struct sl_wg_replay replay __attribute__((aligned(64)));
};

/** Take the next @p n sending counters of @p kp; the first is returned.
 * Threads: any worker at once. */
static inline uint64_t sl_wg_keypair_counters(struct sl_wg_keypair *kp, uint32_t n)
{
	return __atomic_fetch_add(&kp->send_counter, n, __ATOMIC_RELAXED);
}

#define SL_WG_CIPHER_BURST 64       /**< ops per sl_wg_seal_burst()/sl_wg_open_burst() call */

/** One AEAD operation on a packet, in place: @p len bytes at @p off in the
 * mbuf's first segment, the 16-byte tag right after them. */
struct sl_wg_cipher_op {
	struct rte_mbuf *m;
	const uint8_t *key;
	uint64_t counter;
	uint32_t off;
	uint32_t len;
};

/** An lcore's ipsec-mb manager (not thread-safe: one per lcore). */
struct sl_wg_cipher;

/** A manager on NUMA socket @p socket for the best code path this CPU
 * has; NULL with @p err filled when ipsec-mb cannot run here. Management
 * lcore. */
struct sl_wg_cipher *sl_wg_cipher_create(int socket, char *err, size_t err_len);
void sl_wg_cipher_free(struct sl_wg_cipher *c);
/** The code path ipsec-mb chose ("avx512", "avx2", ...). */
const char *sl_wg_cipher_arch(const struct sl_wg_cipher *c);

/** Encrypt @p n (≤ SL_WG_CIPHER_BURST) ops, writing each tag after its
 * data: bit i of the result is set when op i was sealed (ipsec-mb refuses
 * only malformed jobs). */
uint64_t sl_wg_seal_burst(struct sl_wg_cipher *c, const struct sl_wg_cipher_op *ops, uint16_t n);

/**
 * Decrypt @p n (≤ SL_WG_CIPHER_BURST) ops in place and verify their tags:
 * bit i of the result is set when op i's tag verified. The data of an op
 * whose tag failed is garbage (it was decrypted in place): drop it.
 */
uint64_t sl_wg_open_burst(struct sl_wg_cipher *c, const struct sl_wg_cipher_op *ops, uint16_t n);

/* ------------------------------------------------------------------------ */
/* Interfaces, peers and their tables (the runtime objects), the handshake  */
/* driver and the timers (management lcore), the two stages (workers).      */
/* ------------------------------------------------------------------------ */

#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "sl_config.h"
#include "sl_ipstack.h"
#include "sl_stats.h"

/* The paper's §6 timers and limits, in seconds and messages. */
#define SL_WG_REKEY_AFTER_MESSAGES (1ull << 60)
#define SL_WG_REKEY_AFTER_TIME 120
#define SL_WG_REJECT_AFTER_TIME 180
#define SL_WG_REKEY_ATTEMPT_TIME 90
#define SL_WG_REKEY_TIMEOUT 5
#define SL_WG_KEEPALIVE_TIMEOUT 10
#define SL_WG_COOKIE_REFRESH_TIME 120
#define SL_WG_INITIATIONS_PER_SECOND 50
#define SL_WG_STAGED_MAX 32         /**< packets held per peer while a handshake runs */

/** Where a peer is, and which of our addresses it reached. */
struct sl_wg_endpoint {
	struct sl_addr addr;        /**< af 0: not known yet */
	uint16_t port;              /**< host order */
	struct sl_addr local;       /**< af 0: chosen by route when sending */
};

/**
 * A peer as the workers see it (shared; the management lcore owns the
 * rest of it). Workers read the sending keypair and the endpoint, and
 * update the counters, the last-seen times and the endpoint (roaming).
 */
struct sl_wg_peer {
	struct sl_wg_keypair *send_kp;   /**< atomic; NULL: no session to send with */
	uint32_t ep_seq;                 /**< endpoint seqlock: odd while written */
	struct sl_wg_endpoint ep;
	uint8_t in_use;
	uint8_t want_handshake;          /**< set by a worker: no usable session, or rekey due */
	uint32_t held;                   /**< packets on their way to be held, or held (atomic):
					      workers drop past SL_WG_STAGED_MAX */
	uint64_t last_rx_tsc;            /**< last authenticated data message (keepalives too) */
	uint64_t last_data_rx_tsc;       /**< the same, keepalives not counted */
	uint64_t last_tx_tsc;            /**< last data message sent (keepalives too) */
	uint64_t rx_bytes, tx_bytes;     /**< WireGuard messages, as the UAPI counts them */
	uint64_t rx_packets, tx_packets;
} __rte_cache_aligned;

struct sl_wg_dev;

/** Counters of an interface, for metrics (handshakes by outcome, cookies). */
enum sl_wg_hs_outcome {
	SL_WG_HS_INITIATED,         /**< initiations we sent */
	SL_WG_HS_COMPLETED,         /**< handshakes that gave a session (either role) */
	SL_WG_HS_BAD_MAC1,          /**< handshake messages whose mac1 was wrong */
	SL_WG_HS_UNKNOWN_PEER,      /**< initiations from a key we have no peer for */
	SL_WG_HS_DECRYPT,           /**< messages that did not open (wrong key or PSK) */
	SL_WG_HS_REPLAY,            /**< initiations not newer than the last one */
	SL_WG_HS_FLOOD,             /**< initiations from a peer faster than 50/s */
	SL_WG_HS_RATELIMITED,       /**< under load, a source over its handshake rate */
	SL_WG_HS_COOKIE_SENT,       /**< cookie replies sent (under load, no valid mac2) */
	SL_WG_HS_COOKIE_RECEIVED,   /**< cookie replies accepted */
	SL_WG_HS_UNEXPECTED,        /**< responses or cookies for no handshake of ours */
	SL_WG_HS_TIMEOUT,           /**< attempts given up after 90 s */
	SL_WG_HS_OUTCOMES
};
extern const char *const sl_wg_hs_outcome_names[SL_WG_HS_OUTCOMES];

/** How the management lcore sends a packet it built: an outer IPv4/IPv6
 * UDP packet, 14 bytes of Ethernet left for the neighbor to fill, meta set
 * as parse would; the callee owns @p m (it routes and resolves it). */
typedef void (*sl_wg_tx_fn)(void *arg, struct rte_mbuf *m);

struct sl_wg_dev_params {
	const char *name;
	uint16_t port;              /**< its sluice port index */
	uint16_t listen_port;
	uint32_t max_peers;
	uint32_t handshake_load;    /**< handshake messages per second before cookies */
	uint32_t clock_scale;       /**< timers run this many times faster (tests) */
	uint64_t tsc_hz;
	int socket;
	struct rte_rcu_qsbr *qsv;   /**< the workers' quiescent states */
	struct rte_mempool *pool;   /**< for packets the management lcore sends */
	sl_wg_tx_fn tx;
	void *tx_arg;
	struct sl_lcore_stats *st;  /**< the management lcore's counters */
};

/** An interface with no key and no peers; NULL with @p err. Management. */
struct sl_wg_dev *sl_wg_dev_create(const struct sl_wg_dev_params *p, char *err, size_t err_len);
/** Free it after the workers stopped. */
void sl_wg_dev_free(struct sl_wg_dev *d);

/** Set the private key (every peer's static-static secret is redone).
 * False when the key gives no public key. */
bool sl_wg_dev_set_key(struct sl_wg_dev *d, const uint8_t priv[SL_WG_KEY_LEN]);
/** The public key; false when no key is set. */
bool sl_wg_dev_public_key(const struct sl_wg_dev *d, uint8_t pub[SL_WG_KEY_LEN]);
/** The private key, for the UAPI socket only (root-only, as the kernel's). */
bool sl_wg_dev_private_key(const struct sl_wg_dev *d, uint8_t priv[SL_WG_KEY_LEN]);

/** What to change of a peer (sl_wg_peer_set()); unset fields stay. */
struct sl_wg_peer_change {
	bool set_psk;
	const uint8_t *psk;         /**< NULL: remove it */
	const char *psk_file;       /**< where it was read from (kept for the views) */
	bool set_endpoint;
	struct sl_addr endpoint;
	uint16_t endpoint_port;
	bool set_keepalive;
	uint16_t keepalive_s;       /**< 0: off */
	bool replace_allowed;       /**< drop its allowed IPs before adding these */
	unsigned n_allowed;
	const struct sl_prefix *allowed;
};

/**
 * Create the peer with public key @p pub, or change it: O(1) plus its
 * allowed IPs. An allowed IP another peer had moves to this one.
 * -ENOSPC when max_peers are in use or the prefix table is full,
 * -EINVAL for a key of small order (message in @p err). Management.
 */
int sl_wg_peer_set(struct sl_wg_dev *d, const uint8_t pub[SL_WG_KEY_LEN],
		   const struct sl_wg_peer_change *c, char *err, size_t err_len);
/** Remove a peer, its sessions and its allowed IPs; -ENOENT if none. */
int sl_wg_peer_remove(struct sl_wg_dev *d, const uint8_t pub[SL_WG_KEY_LEN]);

/** What the views show of a peer (no secrets but whether a PSK is set). */
struct sl_wg_peer_info {
	uint8_t pub[SL_WG_KEY_LEN];
	bool has_psk;
	const char *psk_file;         /**< NULL: none */
	struct sl_wg_endpoint ep;
	uint16_t keepalive_s;
	uint64_t last_handshake_ns;   /**< wall clock (CLOCK_REALTIME); 0: never */
	uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets;
	unsigned n_allowed;
	const struct sl_prefix *allowed;
	uint32_t sessions;            /**< keypairs alive */
};

/** Peers in slot order from *@p cursor (start at 0): one per call; false at
 * the end. The info's pointers live until the next change. */
bool sl_wg_peer_next(const struct sl_wg_dev *d, uint32_t *cursor, struct sl_wg_peer_info *out);
/** One peer by public key. */
bool sl_wg_peer_get(const struct sl_wg_dev *d, const uint8_t pub[SL_WG_KEY_LEN],
		    struct sl_wg_peer_info *out);
/** The peer whose allowed IPs hold @p addr (longest match), as the data
 * path finds it; false when none does. */
bool sl_wg_peer_by_address(const struct sl_wg_dev *d, const struct sl_addr *addr,
			   uint8_t pub[SL_WG_KEY_LEN]);
/** The PSK of a peer, for the UAPI socket only. */
bool sl_wg_peer_psk(const struct sl_wg_dev *d, const uint8_t pub[SL_WG_KEY_LEN],
		    uint8_t psk[SL_WG_KEY_LEN]);

struct sl_wg_dev_stats {
	uint64_t hs[SL_WG_HS_OUTCOMES];
	uint32_t peers;
	uint32_t peers_recent;        /**< with a handshake in the last 3 minutes */
	uint32_t sessions;
	uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets;
	uint64_t staged_dropped;      /**< held packets given up (no handshake in time, or full) */
	bool under_load;
};
void sl_wg_dev_stats(const struct sl_wg_dev *d, struct sl_wg_dev_stats *out);
const char *sl_wg_dev_name(const struct sl_wg_dev *d);
uint16_t sl_wg_dev_listen_port(const struct sl_wg_dev *d);
uint16_t sl_wg_dev_port(const struct sl_wg_dev *d);

/**
 * A packet a worker punted: a handshake message (SL_PKT_F_WG_HANDSHAKE:
 * answered, consumed) or a packet held for a peer without a session
 * (SL_PKT_F_WG_STAGED: kept until the handshake completes). Consumes @p m.
 * @p t: the current snapshot's tables. Management.
 */
void sl_wg_dev_input(struct sl_wg_dev *d, const struct sl_ipstack_tables *t, struct rte_mbuf *m,
		     uint64_t now_tsc);
/** Timers: handshakes to (re)send, keepalives, expiry, freeing. Call every
 * 10 ms: each call runs a tenth of the peers' timers. Management. */
void sl_wg_dev_tick(struct sl_wg_dev *d, const struct sl_ipstack_tables *t, uint64_t now_tsc);
/** A packet routed to the interface by the management lcore itself: sent
 * encrypted if the peer has a session, else held. Consumes @p m. */
void sl_wg_dev_output(struct sl_wg_dev *d, const struct sl_ipstack_tables *t, struct rte_mbuf *m,
		      uint64_t now_tsc);

/* Punt marks (meta->flags bits the pipeline leaves free). */
#define SL_PKT_F_WG_HANDSHAKE (1u << 13)
#define SL_PKT_F_WG_STAGED (1u << 14)

/** A worker's view of the interfaces, refreshed from the snapshot. */
struct sl_wg_worker {
	struct sl_wg_cipher *cipher;
	struct sl_lcore_stats *st;
	struct sl_ipstack_worker *ip;
	struct rte_ring *punt;             /**< handshake messages to the management lcore (MP/SC) */
	struct rte_ring *held;             /**< packets for peers without a session (MP/SC) */
	struct sl_wg_dev *dev[SL_MAX_PORTS];  /**< by port index; NULL: not WireGuard */
	uint16_t listen_port[SL_MAX_PORTS];
	uint8_t n_dev;
	uint8_t dev_ports[SL_MAX_PORTS];   /**< the port indexes that are WireGuard */
	uint64_t tsc_hz;
};

/**
 * Tunnel in: UDP to a WireGuard listen port on one of sluice's addresses.
 * Data messages are decrypted in one ipsec-mb burst, checked against the
 * replay window and the peer's allowed IPs, and continue as if they had
 * arrived on the interface; handshake messages are punted; everything else
 * passes untouched. Returns the survivors, compacted in order. Worker.
 */
uint16_t sl_wg_in_burst(struct sl_wg_worker *w, struct rte_mbuf **pkts, uint16_t n,
			uint64_t now_tsc);

/**
 * Tunnel out: packets routed to a WireGuard interface are encrypted to the
 * peer whose allowed IPs hold their destination and routed to its endpoint
 * (out_port and nh_index of the outer packet); packets of a peer without a
 * session are punted to be held. Others pass. Worker.
 */
uint16_t sl_wg_out_burst(struct sl_wg_worker *w, struct rte_mbuf **pkts, uint16_t n,
			 uint64_t now_tsc);

#endif /* SL_WG_H */

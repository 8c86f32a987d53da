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

#endif /* SL_WG_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard's cryptographic functions (the paper's §5.4) over wolfCrypt.
 *
 * wolfCrypt's HMAC knows no BLAKE2s, so HMAC-BLAKE2s is RFC 2104 written
 * here; the KDF is HKDF over it as WireGuard chains it. wolfCrypt's X25519
 * refuses a public key with its top bit set where RFC 7748 ignores the bit,
 * and accepts an all-zero result, which WireGuard refuses: both are settled
 * here. Secrets on the stack are wiped before returning.
 */
#include <stdint.h>
#include <string.h>

/* The library's build settings first, without its changes to the system's
 * (it would redefine _FORTIFY_SOURCE). */
#define WOLFSSL_OPTIONS_IGNORE_SYS
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/blake2.h>
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>
#include <wolfssl/wolfcrypt/curve25519.h>

#include "sl_wg.h"

/* Nothing here may fail at run time but on bad arguments, which the
 * callers rule out: with small-stack builds wolfCrypt's hashes allocate. */
#ifdef WOLFSSL_SMALL_STACK
#error "sl_wg_crypto expects a wolfCrypt whose hashes do not allocate"
#endif

#define BLAKE2S_BLOCK 64

/* Feed @p len bytes to @p s, in pieces wolfCrypt's 32-bit lengths take. */
static void b2s_update(Blake2s *s, const void *p, size_t len)
{
	const uint8_t *b = p;
	while (len > 0) {
		word32 n = len > UINT32_MAX ? UINT32_MAX : (word32)len;
		wc_Blake2sUpdate(s, b, n);
		b += n;
		len -= n;
	}
}

void sl_wg_wipe(void *p, size_t len)
{
	volatile uint8_t *v = p;
	while (len-- > 0)
		*v++ = 0;
}

bool sl_wg_equal(const void *a, const void *b, size_t len)
{
	const uint8_t *x = a, *y = b;
	uint8_t diff = 0;
	for (size_t i = 0; i < len; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

void sl_wg_hash(uint8_t out[SL_WG_KEY_LEN], const void *a, size_t a_len, const void *b,
		size_t b_len)
{
	Blake2s s;
	wc_InitBlake2s(&s, SL_WG_KEY_LEN);
	b2s_update(&s, a, a_len);
	b2s_update(&s, b, b_len);
	wc_Blake2sFinal(&s, out, SL_WG_KEY_LEN);
	sl_wg_wipe(&s, sizeof(s));
}

bool sl_wg_mac(uint8_t out[SL_WG_MAC_LEN], const uint8_t *key, size_t key_len, const void *data,
	       size_t len)
{
	Blake2s s;
	if (key_len == 0 || key_len > SL_WG_KEY_LEN ||
	    wc_InitBlake2s_WithKey(&s, SL_WG_MAC_LEN, key, (word32)key_len) != 0) {
		memset(out, 0, SL_WG_MAC_LEN);
		return false;
	}
	b2s_update(&s, data, len);
	wc_Blake2sFinal(&s, out, SL_WG_MAC_LEN);
	sl_wg_wipe(&s, sizeof(s));
	return true;
}

void sl_wg_hmac(uint8_t out[SL_WG_KEY_LEN], const uint8_t *key, size_t key_len,
		const void *data, size_t len)
{
	uint8_t pad[BLAKE2S_BLOCK], inner[SL_WG_KEY_LEN], hashed[SL_WG_KEY_LEN];
	Blake2s s;
	/* RFC 2104: a key longer than a block is replaced by its hash. */
	if (key_len > BLAKE2S_BLOCK) {
		sl_wg_hash(hashed, key, key_len, NULL, 0);
		key = hashed;
		key_len = sizeof(hashed);
	}
	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < key_len; i++)
		pad[i] ^= key[i];
	wc_InitBlake2s(&s, SL_WG_KEY_LEN);
	wc_Blake2sUpdate(&s, pad, sizeof(pad));
	b2s_update(&s, data, len);
	wc_Blake2sFinal(&s, inner, SL_WG_KEY_LEN);
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	wc_InitBlake2s(&s, SL_WG_KEY_LEN);
	wc_Blake2sUpdate(&s, pad, sizeof(pad));
	wc_Blake2sUpdate(&s, inner, sizeof(inner));
	wc_Blake2sFinal(&s, out, SL_WG_KEY_LEN);
	sl_wg_wipe(pad, sizeof(pad));
	sl_wg_wipe(inner, sizeof(inner));
	sl_wg_wipe(hashed, sizeof(hashed));
	sl_wg_wipe(&s, sizeof(s));
}

void sl_wg_kdf(const uint8_t ck[SL_WG_KEY_LEN], const void *in, size_t in_len,
	       uint8_t t1[SL_WG_KEY_LEN], uint8_t t2[SL_WG_KEY_LEN], uint8_t t3[SL_WG_KEY_LEN])
{
	uint8_t prk[SL_WG_KEY_LEN], t[SL_WG_KEY_LEN + 1], out[SL_WG_KEY_LEN];
	sl_wg_hmac(prk, ck, SL_WG_KEY_LEN, in, in_len);
	/* T1 = HMAC(prk, 0x1); Ti = HMAC(prk, Ti-1 || i). */
	uint8_t *dst[3] = {t1, t2, t3};
	size_t t_len = 0;
	for (uint8_t i = 1; i <= 3; i++) {
		bool wanted = false;
		for (unsigned j = i - 1u; j < 3; j++)
			wanted |= dst[j] != NULL;
		if (!wanted)
			break;
		t[t_len] = i;
		sl_wg_hmac(out, prk, sizeof(prk), t, t_len + 1);
		memcpy(t, out, SL_WG_KEY_LEN);
		t_len = SL_WG_KEY_LEN;
		if (dst[i - 1] != NULL)
			memcpy(dst[i - 1], out, SL_WG_KEY_LEN);
	}
	sl_wg_wipe(prk, sizeof(prk));
	sl_wg_wipe(t, sizeof(t));
	sl_wg_wipe(out, sizeof(out));
}

void sl_wg_clamp(uint8_t key[SL_WG_KEY_LEN])
{
	key[0] &= 248;
	key[31] = (uint8_t)((key[31] & 127) | 64);
}

bool sl_wg_pubkey(uint8_t pub[SL_WG_KEY_LEN], const uint8_t priv[SL_WG_KEY_LEN])
{
	uint8_t k[SL_WG_KEY_LEN];
	memcpy(k, priv, sizeof(k));
	sl_wg_clamp(k);
	int rc = wc_curve25519_make_pub(SL_WG_KEY_LEN, pub, SL_WG_KEY_LEN, k);
	sl_wg_wipe(k, sizeof(k));
	return rc == 0;
}

bool sl_wg_dh(uint8_t out[SL_WG_KEY_LEN], const uint8_t priv[SL_WG_KEY_LEN],
	      const uint8_t pub[SL_WG_KEY_LEN])
{
	curve25519_key sk, pk;
	uint8_t peer[SL_WG_KEY_LEN], secret[SL_WG_KEY_LEN] = {0};
	word32 len = SL_WG_KEY_LEN;
	memcpy(peer, pub, sizeof(peer));
	peer[31] &= 127;     /* RFC 7748 §5: the top bit is ignored */
	bool ok = wc_curve25519_init(&sk) == 0;
	ok = wc_curve25519_init(&pk) == 0 && ok;
	ok = ok && wc_curve25519_import_private_ex(priv, SL_WG_KEY_LEN, &sk, EC25519_LITTLE_ENDIAN) == 0;
	ok = ok && wc_curve25519_import_public_ex(peer, SL_WG_KEY_LEN, &pk, EC25519_LITTLE_ENDIAN) == 0;
	ok = ok && wc_curve25519_shared_secret_ex(&sk, &pk, secret, &len, EC25519_LITTLE_ENDIAN) == 0 &&
	     len == SL_WG_KEY_LEN;
	wc_curve25519_free(&sk);
	wc_curve25519_free(&pk);
	static const uint8_t zero[SL_WG_KEY_LEN];
	ok = ok && !sl_wg_equal(secret, zero, SL_WG_KEY_LEN);
	/* @p out may be @p priv or @p pub: written only now. */
	memcpy(out, ok ? secret : zero, SL_WG_KEY_LEN);
	sl_wg_wipe(secret, sizeof(secret));
	return ok;
}

/* wolfCrypt refuses NULL buffers even of length 0 (an empty message is
 * WireGuard's "encrypted nothing", and keepalives): an empty one here. */
static const uint8_t nothing[1];
#define OR_NOTHING(p, len) ((len) > 0 ? (const uint8_t *)(p) : nothing)

bool sl_wg_aead_seal(uint8_t *out, const uint8_t key[SL_WG_KEY_LEN], uint64_t counter,
		     const void *pt, size_t len, const void *ad, size_t ad_len)
{
	uint8_t nonce[CHACHA20_POLY1305_AEAD_IV_SIZE];
	if (len > UINT32_MAX - SL_WG_TAG_LEN || ad_len > UINT32_MAX)
		return false;
	sl_wg_nonce(nonce, counter);
	return wc_ChaCha20Poly1305_Encrypt(key, nonce, OR_NOTHING(ad, ad_len), (word32)ad_len,
					   OR_NOTHING(pt, len), (word32)len, out, out + len) == 0;
}

bool sl_wg_aead_open(uint8_t *out, const uint8_t key[SL_WG_KEY_LEN], uint64_t counter,
		     const void *ct, size_t len, const void *ad, size_t ad_len)
{
	if (len < SL_WG_TAG_LEN || len > UINT32_MAX || ad_len > UINT32_MAX)
		return false;
	uint8_t nonce[CHACHA20_POLY1305_AEAD_IV_SIZE], tag[SL_WG_TAG_LEN];
	size_t n = len - SL_WG_TAG_LEN;
	memcpy(tag, (const uint8_t *)ct + n, sizeof(tag));   /* @p out may overlap it */
	sl_wg_nonce(nonce, counter);
	uint8_t none[1];
	if (wc_ChaCha20Poly1305_Decrypt(key, nonce, OR_NOTHING(ad, ad_len), (word32)ad_len,
					OR_NOTHING(ct, n), (word32)n, tag, n > 0 ? out : none) != 0) {
		sl_wg_wipe(out, n);
		return false;
	}
	return true;
}

bool sl_wg_xaead_seal(uint8_t *out, const uint8_t key[SL_WG_KEY_LEN],
		      const uint8_t nonce[SL_WG_XNONCE_LEN], const void *pt, size_t len,
		      const void *ad, size_t ad_len)
{
	return wc_XChaCha20Poly1305_Encrypt(out, len + SL_WG_TAG_LEN, OR_NOTHING(pt, len), len,
					    OR_NOTHING(ad, ad_len), ad_len, nonce, SL_WG_XNONCE_LEN,
					    key, SL_WG_KEY_LEN) == 0;
}

bool sl_wg_xaead_open(uint8_t *out, const uint8_t key[SL_WG_KEY_LEN],
		      const uint8_t nonce[SL_WG_XNONCE_LEN], const void *ct, size_t len,
		      const void *ad, size_t ad_len)
{
	uint8_t none[1];
	if (len < SL_WG_TAG_LEN)
		return false;
	size_t n = len - SL_WG_TAG_LEN;
	/* wolfCrypt decrypts before it authenticates the ciphertext: in place,
	 * it would authenticate the plaintext. */
	uintptr_t o = (uintptr_t)out, i = (uintptr_t)ct;
	if (n > 0 && o < i + len && i < o + n)
		return false;
	if (wc_XChaCha20Poly1305_Decrypt(n > 0 ? out : none, n > 0 ? n : 1, ct, len,
					 OR_NOTHING(ad, ad_len), ad_len, nonce, SL_WG_XNONCE_LEN,
					 key, SL_WG_KEY_LEN) != 0) {
		sl_wg_wipe(out, n);
		return false;
	}
	return true;
}

void sl_wg_tai64n(uint8_t out[SL_WG_TAI64N_LEN], uint64_t unix_ns)
{
	uint64_t secs = 0x400000000000000aull + unix_ns / 1000000000u;
	/* Nanoseconds rounded down to 2^24 (16.8 ms), as the reference
	 * implementations do: the timestamp must not tell an observer the
	 * clock's fine time, only order initiations. */
	uint32_t nsec = (uint32_t)(unix_ns % 1000000000u) & ~((1u << 24) - 1);
	for (unsigned i = 0; i < 8; i++)
		out[i] = (uint8_t)(secs >> (56 - 8 * i));
	for (unsigned i = 0; i < 4; i++)
		out[8 + i] = (uint8_t)(nsec >> (24 - 8 * i));
}

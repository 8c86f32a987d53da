/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard's cryptographic functions against vectors computed by
 * independent implementations (Python's hashlib BLAKE2s and hmac, the
 * cryptography package's X25519 and ChaCha20-Poly1305, an HChaCha20 checked
 * against draft-irtf-cfrg-xchacha's vector) and published ones (RFC 7748
 * §6.1; WireGuard's initial chaining key and hash, which wireguard-go and
 * Linux compute at start and other implementations write out); then the
 * refusals: tampered tags, small-order and non-canonical public keys, bad
 * MAC keys, an XAEAD opened in place, and TAI64N's order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sl_wg.h"

static const uint8_t initial_ck[32] = {
	0x60, 0xe2, 0x6d, 0xae, 0xf3, 0x27, 0xef, 0xc0, 0x2e, 0xc3, 0x35, 0xe2,
	0xa0, 0x25, 0xd2, 0xd0, 0x16, 0xeb, 0x42, 0x06, 0xf8, 0x72, 0x77, 0xf5,
	0x2d, 0x38, 0xd1, 0x98, 0x8b, 0x78, 0xcd, 0x36,
};
static const uint8_t initial_h[32] = {
	0x22, 0x11, 0xb3, 0x61, 0x08, 0x1a, 0xc5, 0x66, 0x69, 0x12, 0x43, 0xdb,
	0x45, 0x8a, 0xd5, 0x32, 0x2d, 0x9c, 0x6c, 0x66, 0x22, 0x93, 0xe8, 0xb7,
	0x0e, 0xe1, 0x9c, 0x65, 0xba, 0x07, 0x9e, 0xf3,
};
static const uint8_t mac16[16] = {
	0x4e, 0x22, 0x19, 0xec, 0x6d, 0x23, 0x4a, 0x47, 0x8e, 0x4a, 0xce, 0x91,
	0x42, 0x9b, 0xbc, 0xe4,
};
static const uint8_t mac16_k16[16] = {
	0xa7, 0x45, 0x04, 0x7a, 0xd2, 0x52, 0x46, 0x37, 0x02, 0x19, 0xb9, 0x42,
	0xe6, 0x84, 0xdd, 0x6a,
};
static const uint8_t hmac_msg[32] = {
	0xf4, 0x66, 0x0d, 0xee, 0x21, 0xc6, 0xa4, 0x8e, 0x2a, 0x3d, 0x69, 0x5c,
	0xee, 0xdc, 0x26, 0x69, 0x3e, 0x37, 0xb6, 0x4b, 0x5a, 0xc5, 0x22, 0x74,
	0x76, 0x57, 0x85, 0x17, 0xee, 0x87, 0xfe, 0x6d,
};
static const uint8_t hmac_empty[32] = {
	0xe2, 0x64, 0x1d, 0x24, 0xdf, 0xa8, 0xdd, 0x89, 0xe8, 0xcb, 0x77, 0xf1,
	0xcd, 0xc7, 0x7d, 0x8c, 0x00, 0x6e, 0x5b, 0xeb, 0xdf, 0xc4, 0xd6, 0xa3,
	0xa3, 0xa6, 0xf8, 0xd5, 0xb7, 0x58, 0x6f, 0xb0,
};
static const uint8_t kdf1[32] = {
	0xc4, 0x71, 0x86, 0x5b, 0x3d, 0x2b, 0x77, 0x16, 0x12, 0x91, 0x3b, 0x81,
	0x65, 0x0c, 0x7c, 0x69, 0xca, 0x16, 0xc5, 0xac, 0x72, 0xae, 0x83, 0xaa,
	0xf2, 0xe4, 0x7d, 0xc5, 0x33, 0x7e, 0x67, 0xfc,
};
static const uint8_t kdf2[32] = {
	0x24, 0x11, 0xee, 0xe3, 0xc2, 0x8d, 0x42, 0xaa, 0x10, 0x59, 0xe1, 0xd4,
	0xa1, 0xd9, 0x62, 0x2d, 0xe9, 0xd3, 0xaf, 0x8e, 0xcc, 0x67, 0xa0, 0xa2,
	0xf7, 0x77, 0x5a, 0x4a, 0xf4, 0x63, 0xa1, 0xdf,
};
static const uint8_t kdf3[32] = {
	0xc9, 0x09, 0xbe, 0x26, 0xce, 0xdc, 0x47, 0xc1, 0xb8, 0xe0, 0xda, 0xd9,
	0x2b, 0xfb, 0x74, 0xfd, 0xe4, 0xfc, 0x06, 0x19, 0x80, 0xc7, 0xd3, 0x98,
	0x14, 0x2c, 0x5e, 0x0a, 0x3c, 0x48, 0xf4, 0xe1,
};
static const uint8_t kdf1_empty[32] = {
	0x7a, 0x38, 0xc3, 0x4b, 0xf2, 0xb8, 0x73, 0x8d, 0x73, 0x74, 0xca, 0x77,
	0xc4, 0x4e, 0xcb, 0x30, 0x9a, 0x11, 0xd2, 0xb2, 0x52, 0x83, 0x04, 0xfa,
	0x86, 0x05, 0x2c, 0x36, 0x5e, 0x72, 0x26, 0x24,
};
static const uint8_t alice_pub[32] = {
	0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d, 0xdc,
	0xb4, 0x3e, 0xf7, 0x5a, 0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4,
	0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a,
};
static const uint8_t bob_pub[32] = {
	0xde, 0x9e, 0xdb, 0x7d, 0x7b, 0x7d, 0xc1, 0xb4, 0xd3, 0x5b, 0x61, 0xc2,
	0xec, 0xe4, 0x35, 0x37, 0x3f, 0x83, 0x43, 0xc8, 0x5b, 0x78, 0x67, 0x4d,
	0xad, 0xfc, 0x7e, 0x14, 0x6f, 0x88, 0x2b, 0x4f,
};
static const uint8_t shared[32] = {
	0x4a, 0x5d, 0x9d, 0x5b, 0xa4, 0xce, 0x2d, 0xe1, 0x72, 0x8e, 0x3b, 0xf4,
	0x80, 0x35, 0x0f, 0x25, 0xe0, 0x7e, 0x21, 0xc9, 0x47, 0xd1, 0x9e, 0x33,
	0x76, 0xf0, 0x9b, 0x3c, 0x1e, 0x16, 0x17, 0x42,
};
static const uint8_t aead_0[59] = {
	0x7e, 0x34, 0x7f, 0x8d, 0x4f, 0x2f, 0x87, 0xa8, 0xa6, 0x11, 0x47, 0x8d,
	0xcb, 0xaa, 0xc3, 0x0a, 0x10, 0xa7, 0x12, 0x99, 0xa9, 0x0f, 0xac, 0x18,
	0xd4, 0x12, 0x3d, 0xd0, 0x76, 0x6a, 0x2b, 0xff, 0x7c, 0xee, 0x7b, 0x0e,
	0xbf, 0x26, 0x36, 0x4c, 0xe7, 0x4b, 0x38, 0x8f, 0x5e, 0xf9, 0x53, 0x95,
	0x52, 0x81, 0x81, 0x67, 0xe9, 0x73, 0x24, 0x0b, 0x79, 0xea, 0xb5,
};
static const uint8_t aead_1[59] = {
	0xb7, 0x79, 0x11, 0x2d, 0x0f, 0x0a, 0x4e, 0x85, 0x09, 0x25, 0xb8, 0x64,
	0xe5, 0x03, 0xe8, 0xca, 0x7f, 0x20, 0x54, 0xfe, 0x75, 0x5c, 0x63, 0x76,
	0xb3, 0xb4, 0x7e, 0xb9, 0x77, 0xc6, 0xaf, 0xbb, 0x26, 0x38, 0x4c, 0xde,
	0x49, 0xa6, 0x85, 0xbf, 0xc2, 0x67, 0x8f, 0x1e, 0xa2, 0x4f, 0xa9, 0xb3,
	0x02, 0x21, 0xd7, 0xc1, 0x8a, 0x0b, 0x6b, 0x2f, 0x99, 0xbf, 0xdb,
};
static const uint8_t aead_big[59] = {
	0xa0, 0xd9, 0x8b, 0x9b, 0x21, 0xaf, 0x32, 0xbe, 0x48, 0x91, 0x13, 0xf9,
	0x61, 0x00, 0x0b, 0xff, 0x95, 0x1c, 0x2c, 0xcb, 0x58, 0x5f, 0xfe, 0xde,
	0x78, 0x10, 0x17, 0xe8, 0x00, 0x39, 0xa9, 0x16, 0xec, 0x03, 0x14, 0xd9,
	0xdc, 0x84, 0x0d, 0x4c, 0x18, 0xf0, 0x66, 0x1b, 0x89, 0x1e, 0x74, 0x0e,
	0xc4, 0xc8, 0x32, 0x2d, 0x5b, 0x8b, 0x81, 0x3d, 0x5f, 0xb6, 0xd0,
};
static const uint8_t xaead[59] = {
	0xa5, 0x64, 0x16, 0xd4, 0x2a, 0x85, 0x9d, 0x39, 0x90, 0x32, 0x15, 0xa1,
	0x99, 0xd9, 0xf3, 0x75, 0x54, 0x28, 0x0a, 0x4e, 0x6f, 0x31, 0xf1, 0x9c,
	0xb9, 0x9a, 0x9a, 0x7a, 0x27, 0x27, 0x2d, 0xbc, 0x68, 0x59, 0x30, 0x11,
	0x4a, 0x17, 0xe6, 0x5d, 0x55, 0xbc, 0x86, 0xd9, 0x0a, 0x78, 0x54, 0x38,
	0xe6, 0x80, 0x43, 0x82, 0x35, 0x66, 0xa8, 0x87, 0x3c, 0x65, 0x91,
};
static const uint8_t tai[12] = {
	0x40, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf1, 0x0a, 0x07, 0x00, 0x00, 0x00,
};

static const uint8_t alice_priv[32] = {
	0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1, 0x72, 0x51, 0xb2, 0x66, 0x45,
	0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a, 0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a,
};
static const uint8_t bob_priv[32] = {
	0x5d, 0xab, 0x08, 0x7e, 0x62, 0x4a, 0x8a, 0x4b, 0x79, 0xe1, 0x7f, 0x8b, 0x83, 0x80, 0x0e, 0xe6,
	0x6f, 0x3b, 0xb1, 0x29, 0x26, 0x18, 0xb6, 0xfd, 0x1c, 0x2f, 0x8b, 0x27, 0xff, 0x88, 0xe0, 0xeb,
};

static const char msg[] = "The quick brown fox jumps over the lazy dog";
static const char ad[] = "additional";

static uint8_t key32[32], aead_key[32];

static void keys(void)
{
	for (unsigned i = 0; i < 32; i++) {
		key32[i] = (uint8_t)i;
		aead_key[i] = (uint8_t)(0x80 + i);
	}
}

/* Test HASH, MAC, HMAC and the KDF, and WireGuard's two starting values:
 * HASH(CONSTRUCTION) and HASH(that || IDENTIFIER). */
static void test_hash_mac_kdf(void **state)
{
	(void)state;
	uint8_t out[32], t1[32], t2[32], t3[32];
	static const char construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
	static const char identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
	sl_wg_hash(out, construction, strlen(construction), NULL, 0);
	assert_memory_equal(out, initial_ck, 32);
	sl_wg_hash(out, initial_ck, 32, identifier, strlen(identifier));
	assert_memory_equal(out, initial_h, 32);

	assert_true(sl_wg_mac(out, key32, 32, msg, strlen(msg)));
	assert_memory_equal(out, mac16, 16);
	assert_true(sl_wg_mac(out, key32, 16, msg, strlen(msg)));   /* the cookie's 16-byte key */
	assert_memory_equal(out, mac16_k16, 16);
	static const uint8_t zero16[16];
	uint8_t key33[33] = {1};
	memset(out, 0x55, 16);
	assert_false(sl_wg_mac(out, key32, 0, msg, strlen(msg)));
	assert_memory_equal(out, zero16, 16);
	memset(out, 0x55, 16);
	assert_false(sl_wg_mac(out, key33, 33, msg, strlen(msg)));
	assert_memory_equal(out, zero16, 16);

	sl_wg_hmac(out, key32, 32, msg, strlen(msg));
	assert_memory_equal(out, hmac_msg, 32);
	sl_wg_hmac(out, key32, 32, "", 0);
	assert_memory_equal(out, hmac_empty, 32);

	sl_wg_kdf(key32, msg, strlen(msg), t1, t2, t3);
	assert_memory_equal(t1, kdf1, 32);
	assert_memory_equal(t2, kdf2, 32);
	assert_memory_equal(t3, kdf3, 32);
	/* KDF2 and KDF1 are KDF3's first outputs; outputs may alias the key. */
	memset(t1, 0xee, 32);
	memset(t2, 0xee, 32);
	sl_wg_kdf(key32, msg, strlen(msg), t1, t2, NULL);
	assert_memory_equal(t2, kdf2, 32);
	uint8_t ck[32];
	memcpy(ck, key32, 32);
	sl_wg_kdf(ck, msg, strlen(msg), ck, NULL, NULL);
	assert_memory_equal(ck, kdf1, 32);
	memcpy(ck, key32, 32);
	memset(t2, 0, 32);
	sl_wg_kdf(ck, msg, strlen(msg), ck, t2, NULL);      /* Noise: ck, k = KDF2(ck, ...) */
	assert_memory_equal(ck, kdf1, 32);
	assert_memory_equal(t2, kdf2, 32);
	sl_wg_kdf(key32, "", 0, t1, NULL, NULL);
	assert_memory_equal(t1, kdf1_empty, 32);
	/* Only T3 wanted: T1 and T2 are still computed on the way. */
	memset(t3, 0xee, 32);
	sl_wg_kdf(key32, msg, strlen(msg), NULL, NULL, t3);
	assert_memory_equal(t3, kdf3, 32);
}

/* Test X25519 (RFC 7748 §6.1): both public keys, the shared secret both
 * ways; an unclamped private key gives the same public key as its clamped
 * form; the top bit of a public key is ignored; small-order points (an
 * all-zero result) are refused. */
static void test_x25519(void **state)
{
	(void)state;
	uint8_t pub[32], out[32], k[32];
	assert_true(sl_wg_pubkey(pub, alice_priv));
	assert_memory_equal(pub, alice_pub, 32);
	assert_true(sl_wg_pubkey(pub, bob_priv));
	assert_memory_equal(pub, bob_pub, 32);
	assert_true(sl_wg_dh(out, alice_priv, bob_pub));
	assert_memory_equal(out, shared, 32);
	assert_true(sl_wg_dh(out, bob_priv, alice_pub));
	assert_memory_equal(out, shared, 32);

	memcpy(k, alice_priv, 32);
	k[0] |= 7;
	k[31] |= 0x80;
	assert_true(sl_wg_pubkey(pub, k));
	assert_memory_equal(pub, alice_pub, 32);

	uint8_t high[32];
	memcpy(high, bob_pub, 32);
	high[31] |= 0x80;
	assert_true(sl_wg_dh(out, alice_priv, high));
	assert_memory_equal(out, shared, 32);

	/* Points of order 1, 2, 4 and 8, and p - 1, p, p + 1 (non-canonical):
	 * every one gives an all-zero secret. */
	static const char *const small[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	};
	static const uint8_t zero[32];
	for (unsigned i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		uint8_t p[32];
		for (unsigned j = 0; j < 32; j++) {
			unsigned v;
			sscanf(small[i] + 2 * j, "%2x", &v);
			p[j] = (uint8_t)v;
		}
		memset(out, 0x55, 32);
		if (sl_wg_dh(out, alice_priv, p))
			fail_msg("point %s accepted", small[i]);
		assert_memory_equal(out, zero, 32);
	}
	/* The output may be the private key itself. */
	memcpy(k, alice_priv, 32);
	assert_true(sl_wg_dh(k, k, bob_pub));
	assert_memory_equal(k, shared, 32);
}

/* Test AEAD: the counter as the nonce's last eight bytes, little-endian;
 * in place; a flipped bit anywhere, another counter or another AD refused,
 * the output zeroed. */
static void test_aead(void **state)
{
	(void)state;
	const size_t n = strlen(msg), an = strlen(ad);
	uint8_t ct[64], pt[64];
	static const struct {
		uint64_t counter;
		const uint8_t *want;
	} cases[] = {{0, aead_0}, {1, aead_1}, {0x0102030405060708ull, aead_big}};
	for (unsigned c = 0; c < 3; c++) {
		assert_true(sl_wg_aead_seal(ct, aead_key, cases[c].counter, msg, n, ad, an));
		assert_memory_equal(ct, cases[c].want, n + 16);
		assert_true(sl_wg_aead_open(pt, aead_key, cases[c].counter, ct, n + 16, ad, an));
		assert_memory_equal(pt, msg, n);
	}
	memcpy(pt, msg, n);
	assert_true(sl_wg_aead_seal(pt, aead_key, 1, pt, n, ad, an));
	assert_memory_equal(pt, aead_1, n + 16);
	assert_true(sl_wg_aead_open(pt, aead_key, 1, pt, n + 16, ad, an));
	assert_memory_equal(pt, msg, n);

	for (size_t bit = 0; bit < (n + 16) * 8; bit += 37) {
		memcpy(ct, aead_1, n + 16);
		ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		memset(pt, 0xaa, sizeof(pt));
		assert_false(sl_wg_aead_open(pt, aead_key, 1, ct, n + 16, ad, an));
		for (size_t i = 0; i < n; i++)
			assert_int_equal(pt[i], 0);
	}
	assert_false(sl_wg_aead_open(pt, aead_key, 2, aead_1, n + 16, ad, an));
	assert_false(sl_wg_aead_open(pt, aead_key, 1, aead_1, n + 16, "additionaL", an));
	assert_false(sl_wg_aead_open(pt, aead_key, 1, aead_1, 15, ad, an));
	/* An empty message, the tag alone: the handshake's "encrypted nothing"
	 * (a hash as AD) and a keepalive (no AD). */
	static const uint8_t nothing_ad32[16] = {
		0x28, 0xf8, 0x65, 0xb2, 0x00, 0x58, 0x48, 0xf3,
		0xd1, 0x73, 0xe0, 0x12, 0xc5, 0xcb, 0x07, 0x68,
	};
	static const uint8_t nothing_5[16] = {
		0x08, 0x7f, 0x5d, 0xf1, 0xcd, 0x49, 0x21, 0xa6,
		0xba, 0x7c, 0xcd, 0x77, 0x2b, 0xcf, 0x8e, 0x9a,
	};
	uint8_t ad32[32];
	for (unsigned i = 0; i < 32; i++)
		ad32[i] = (uint8_t)(0x20 + i);
	assert_true(sl_wg_aead_seal(ct, aead_key, 0, NULL, 0, ad32, 32));
	assert_memory_equal(ct, nothing_ad32, 16);
	assert_true(sl_wg_aead_open(pt, aead_key, 0, ct, 16, ad32, 32));
	assert_true(sl_wg_aead_seal(ct, aead_key, 5, NULL, 0, NULL, 0));
	assert_memory_equal(ct, nothing_5, 16);
	assert_true(sl_wg_aead_open(pt, aead_key, 5, ct, 16, NULL, 0));
	assert_false(sl_wg_aead_open(pt, aead_key, 6, ct, 16, NULL, 0));
}

/* Test XAEAD (cookies): the vector, and refusals. */
static void test_xaead(void **state)
{
	(void)state;
	const size_t n = strlen(msg), an = strlen(ad);
	uint8_t nonce[24], ct[64], pt[64];
	for (unsigned i = 0; i < 24; i++)
		nonce[i] = (uint8_t)(0x40 + i);
	assert_true(sl_wg_xaead_seal(ct, aead_key, nonce, msg, n, ad, an));
	assert_memory_equal(ct, xaead, n + 16);
	assert_true(sl_wg_xaead_open(pt, aead_key, nonce, ct, n + 16, ad, an));
	assert_memory_equal(pt, msg, n);
	ct[3] ^= 1;
	assert_false(sl_wg_xaead_open(pt, aead_key, nonce, ct, n + 16, ad, an));
	ct[3] ^= 1;
	nonce[23] ^= 1;
	assert_false(sl_wg_xaead_open(pt, aead_key, nonce, ct, n + 16, ad, an));
	nonce[23] ^= 1;

	/* A cookie's shape: 16 bytes under 16 bytes of AD (the MAC1 it answers). */
	static const uint8_t cookie[32] = {
		0xf1, 0x0d, 0x71, 0xf7, 0x5f, 0xf5, 0xf2, 0x5d, 0xf3, 0x1b, 0x7d, 0xd8, 0xfa, 0xa3, 0x93, 0x5a,
		0xcc, 0xa3, 0x75, 0x94, 0x81, 0x71, 0x35, 0xd1, 0x37, 0xd3, 0xa2, 0x0e, 0x8e, 0x49, 0x63, 0x6e,
	};
	uint8_t c16[16], a16[16], sealed[32];
	for (unsigned i = 0; i < 16; i++) {
		c16[i] = (uint8_t)i;
		a16[i] = (uint8_t)(0x10 + i);
	}
	assert_true(sl_wg_xaead_seal(sealed, aead_key, nonce, c16, 16, a16, 16));
	assert_memory_equal(sealed, cookie, 32);
	assert_true(sl_wg_xaead_open(pt, aead_key, nonce, sealed, 32, a16, 16));
	assert_memory_equal(pt, c16, 16);
	/* In place it is refused, the message left as it was. */
	assert_false(sl_wg_xaead_open(sealed, aead_key, nonce, sealed, 32, a16, 16));
	assert_memory_equal(sealed, cookie, 32);
}

/* Test TAI64N: the label, big-endian seconds and nanoseconds rounded down
 * to 2^24; later times compare greater byte by byte (replay refusal). */
static void test_tai64n(void **state)
{
	(void)state;
	uint8_t a[12], b[12];
	sl_wg_tai64n(a, 1700000000ull * 1000000000ull + 123456789u);
	assert_memory_equal(a, tai, 12);
	sl_wg_tai64n(b, 1700000000ull * 1000000000ull + 123456789u + 16777216u);
	assert_true(memcmp(b, a, 12) > 0);
	sl_wg_tai64n(b, 1700000000ull * 1000000000ull + 117440512u);   /* the same 2^24 slot */
	assert_memory_equal(a, b, 12);
	sl_wg_tai64n(b, 1700000001ull * 1000000000ull);
	assert_true(memcmp(b, a, 12) > 0);
}

static void test_equal_and_wipe(void **state)
{
	(void)state;
	uint8_t x[32], y[32];
	memset(x, 5, 32);
	memcpy(y, x, 32);
	assert_true(sl_wg_equal(x, y, 32));
	y[31] ^= 0x80;
	assert_false(sl_wg_equal(x, y, 32));
	assert_true(sl_wg_equal(x, y, 31));
	sl_wg_wipe(x, 32);
	for (unsigned i = 0; i < 32; i++)
		assert_int_equal(x[i], 0);
}

int main(void)
{
	keys();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_mac_kdf),
		cmocka_unit_test(test_x25519),
		cmocka_unit_test(test_aead),
		cmocka_unit_test(test_xaead),
		cmocka_unit_test(test_tai64n),
		cmocka_unit_test(test_equal_and_wipe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

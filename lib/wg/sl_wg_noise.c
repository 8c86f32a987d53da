/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard's handshake: Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s as the
 * paper's §5.4 spells it out, message by message, and its mac1/mac2 and
 * cookie replies (§5.4.4, §5.4.7).
 *
 * Every function works on a copy of the handshake and writes it back only
 * when the message was good, so a forged or replayed message never
 * disturbs a handshake in progress. Intermediate secrets are wiped.
 */
#include <stddef.h>
#include <string.h>

#include "sl_wg.h"

_Static_assert(sizeof(struct sl_wg_msg_initiation) == SL_WG_INITIATION_LEN, "initiation size");
_Static_assert(sizeof(struct sl_wg_msg_response) == SL_WG_RESPONSE_LEN, "response size");
_Static_assert(sizeof(struct sl_wg_msg_cookie) == SL_WG_COOKIE_LEN, "cookie reply size");
_Static_assert(sizeof(struct sl_wg_msg_data) == SL_WG_DATA_HDR_LEN, "data header size");
/* mac1 and mac2 are the last 32 bytes of both handshake messages. */
_Static_assert(offsetof(struct sl_wg_msg_initiation, mac2) == SL_WG_INITIATION_LEN - 16, "mac2");
_Static_assert(offsetof(struct sl_wg_msg_response, mac2) == SL_WG_RESPONSE_LEN - 16, "mac2");

static const char CONSTRUCTION[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const char IDENTIFIER[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
static const char LABEL_MAC1[] = "mac1----";
static const char LABEL_COOKIE[] = "cookie--";

/* The chaining key and hash every handshake to responder @p responder_pub
 * starts from: Ci = HASH(CONSTRUCTION), Hi = HASH(HASH(Ci || IDENTIFIER) || Sr). */
static void noise_start(struct sl_wg_handshake *hs, const uint8_t responder_pub[SL_WG_KEY_LEN])
{
	sl_wg_hash(hs->ck, CONSTRUCTION, sizeof(CONSTRUCTION) - 1, NULL, 0);
	sl_wg_hash(hs->hash, hs->ck, SL_WG_KEY_LEN, IDENTIFIER, sizeof(IDENTIFIER) - 1);
	sl_wg_hash(hs->hash, hs->hash, SL_WG_KEY_LEN, responder_pub, SL_WG_KEY_LEN);
}

/* MixHash: h = HASH(h || data). */
static void mix_hash(struct sl_wg_handshake *hs, const void *data, size_t len)
{
	sl_wg_hash(hs->hash, hs->hash, SL_WG_KEY_LEN, data, len);
}

/* An ephemeral public key enters both the chaining key and the hash. */
static void mix_ephemeral(struct sl_wg_handshake *hs, const uint8_t e_pub[SL_WG_KEY_LEN])
{
	sl_wg_kdf(hs->ck, e_pub, SL_WG_KEY_LEN, hs->ck, NULL, NULL);
	mix_hash(hs, e_pub, SL_WG_KEY_LEN);
}

/* (ck, key) = KDF2(ck, DH(priv, pub)); @p key NULL: ck = KDF1(ck, DH)
 * (the response's two DHs give no key). False when DH fails. */
static bool mix_dh(struct sl_wg_handshake *hs, uint8_t key[SL_WG_KEY_LEN],
		   const uint8_t priv[SL_WG_KEY_LEN], const uint8_t pub[SL_WG_KEY_LEN])
{
	uint8_t ss[SL_WG_KEY_LEN];
	bool ok = sl_wg_dh(ss, priv, pub);
	if (ok)
		sl_wg_kdf(hs->ck, ss, sizeof(ss), hs->ck, key, NULL);
	sl_wg_wipe(ss, sizeof(ss));
	return ok;
}

/* psk2: (ck, tau, key) = KDF3(ck, Q); h = HASH(h || tau). */
static void mix_psk(struct sl_wg_handshake *hs, uint8_t key[SL_WG_KEY_LEN],
		    const uint8_t psk[SL_WG_KEY_LEN])
{
	uint8_t tau[SL_WG_KEY_LEN];
	sl_wg_kdf(hs->ck, psk, SL_WG_KEY_LEN, hs->ck, tau, key);
	mix_hash(hs, tau, sizeof(tau));
	sl_wg_wipe(tau, sizeof(tau));
}

/* Seal @p len bytes under @p key with the hash as AD, then mix the
 * ciphertext into the hash. */
static bool seal_and_hash(struct sl_wg_handshake *hs, uint8_t *out,
			  const uint8_t key[SL_WG_KEY_LEN], const void *pt, size_t len)
{
	if (!sl_wg_aead_seal(out, key, 0, pt, len, hs->hash, SL_WG_KEY_LEN))
		return false;
	mix_hash(hs, out, len + SL_WG_TAG_LEN);
	return true;
}

static bool open_and_hash(struct sl_wg_handshake *hs, uint8_t *out,
			  const uint8_t key[SL_WG_KEY_LEN], const uint8_t *ct, size_t len)
{
	if (!sl_wg_aead_open(out, key, 0, ct, len, hs->hash, SL_WG_KEY_LEN))
		return false;
	mix_hash(hs, ct, len);
	return true;
}

/* Keep @p work as the new handshake on success, wipe it either way. */
static bool commit(struct sl_wg_handshake *hs, struct sl_wg_handshake *work, bool ok)
{
	if (ok)
		*hs = *work;
	sl_wg_wipe(work, sizeof(*work));
	return ok;
}

bool sl_wg_static_init(struct sl_wg_static *s, const uint8_t priv[SL_WG_KEY_LEN])
{
	memcpy(s->priv, priv, SL_WG_KEY_LEN);
	sl_wg_clamp(s->priv);
	if (!sl_wg_pubkey(s->pub, s->priv)) {
		sl_wg_wipe(s, sizeof(*s));
		return false;
	}
	sl_wg_hash(s->mac1_key, LABEL_MAC1, sizeof(LABEL_MAC1) - 1, s->pub, SL_WG_KEY_LEN);
	sl_wg_hash(s->cookie_key, LABEL_COOKIE, sizeof(LABEL_COOKIE) - 1, s->pub, SL_WG_KEY_LEN);
	return true;
}

bool sl_wg_remote_init(struct sl_wg_remote *r, const struct sl_wg_static *s,
		       const uint8_t pub[SL_WG_KEY_LEN], const uint8_t *psk)
{
	memcpy(r->pub, pub, SL_WG_KEY_LEN);
	if (psk != NULL)
		memcpy(r->psk, psk, SL_WG_KEY_LEN);
	else
		memset(r->psk, 0, SL_WG_KEY_LEN);
	sl_wg_hash(r->mac1_key, LABEL_MAC1, sizeof(LABEL_MAC1) - 1, pub, SL_WG_KEY_LEN);
	sl_wg_hash(r->cookie_key, LABEL_COOKIE, sizeof(LABEL_COOKIE) - 1, pub, SL_WG_KEY_LEN);
	return sl_wg_dh(r->ss, s->priv, pub);
}

bool sl_wg_initiation_create(struct sl_wg_handshake *hs, const struct sl_wg_static *s,
			     const struct sl_wg_remote *r, const uint8_t e_priv[SL_WG_KEY_LEN],
			     const uint8_t timestamp[SL_WG_TAI64N_LEN], uint32_t local_index,
			     struct sl_wg_msg_initiation *m)
{
	struct sl_wg_handshake w = {.local_index = local_index};
	uint8_t key[SL_WG_KEY_LEN];
	memset(m, 0, sizeof(*m));
	m->type = sl_wg_type(SL_WG_MSG_INITIATION);
	m->sender = sl_wg_le32(local_index);
	noise_start(&w, r->pub);
	memcpy(w.e_priv, e_priv, SL_WG_KEY_LEN);
	sl_wg_clamp(w.e_priv);
	bool ok = sl_wg_pubkey(m->ephemeral, w.e_priv);
	if (ok)
		mix_ephemeral(&w, m->ephemeral);
	ok = ok && mix_dh(&w, key, w.e_priv, r->pub) &&
	     seal_and_hash(&w, m->static_enc, key, s->pub, SL_WG_KEY_LEN);
	if (ok)
		sl_wg_kdf(w.ck, r->ss, SL_WG_KEY_LEN, w.ck, key, NULL);
	ok = ok && seal_and_hash(&w, m->timestamp_enc, key, timestamp, SL_WG_TAI64N_LEN);
	sl_wg_wipe(key, sizeof(key));
	if (ok) {
		sl_wg_mac1_set(m, sizeof(*m), r->mac1_key);
		w.state = SL_WG_HS_INIT_SENT;
	} else {
		memset(m, 0, sizeof(*m));
	}
	return commit(hs, &w, ok);
}

bool sl_wg_initiation_open(struct sl_wg_handshake *hs, const struct sl_wg_static *s,
			   const struct sl_wg_msg_initiation *m,
			   uint8_t initiator_pub[SL_WG_KEY_LEN])
{
	struct sl_wg_handshake w = {.remote_index = sl_wg_le32(m->sender)};
	uint8_t key[SL_WG_KEY_LEN];
	noise_start(&w, s->pub);
	memcpy(w.e_remote, m->ephemeral, SL_WG_KEY_LEN);
	mix_ephemeral(&w, m->ephemeral);
	bool ok = mix_dh(&w, key, s->priv, m->ephemeral) &&
		  open_and_hash(&w, initiator_pub, key, m->static_enc, sizeof(m->static_enc));
	sl_wg_wipe(key, sizeof(key));
	return commit(hs, &w, ok);
}

bool sl_wg_initiation_finish(struct sl_wg_handshake *hs, const struct sl_wg_remote *r,
			     const struct sl_wg_msg_initiation *m,
			     uint8_t timestamp[SL_WG_TAI64N_LEN])
{
	struct sl_wg_handshake w = *hs;
	uint8_t key[SL_WG_KEY_LEN];
	sl_wg_kdf(w.ck, r->ss, SL_WG_KEY_LEN, w.ck, key, NULL);
	bool ok = open_and_hash(&w, timestamp, key, m->timestamp_enc, sizeof(m->timestamp_enc));
	sl_wg_wipe(key, sizeof(key));
	if (ok)
		w.state = SL_WG_HS_INIT_CONSUMED;
	return commit(hs, &w, ok);
}

bool sl_wg_response_create(struct sl_wg_handshake *hs, const struct sl_wg_remote *r,
			   const uint8_t e_priv[SL_WG_KEY_LEN], uint32_t local_index,
			   struct sl_wg_msg_response *m)
{
	if (hs->state != SL_WG_HS_INIT_CONSUMED)
		return false;
	struct sl_wg_handshake w = *hs;
	uint8_t key[SL_WG_KEY_LEN];
	memset(m, 0, sizeof(*m));
	w.local_index = local_index;
	m->type = sl_wg_type(SL_WG_MSG_RESPONSE);
	m->sender = sl_wg_le32(local_index);
	m->receiver = sl_wg_le32(w.remote_index);
	memcpy(w.e_priv, e_priv, SL_WG_KEY_LEN);
	sl_wg_clamp(w.e_priv);
	bool ok = sl_wg_pubkey(m->ephemeral, w.e_priv);
	if (ok)
		mix_ephemeral(&w, m->ephemeral);
	ok = ok && mix_dh(&w, NULL, w.e_priv, w.e_remote) && mix_dh(&w, NULL, w.e_priv, r->pub);
	if (ok)
		mix_psk(&w, key, r->psk);
	ok = ok && seal_and_hash(&w, m->empty_enc, key, NULL, 0);
	sl_wg_wipe(key, sizeof(key));
	if (ok) {
		sl_wg_mac1_set(m, sizeof(*m), r->mac1_key);
		w.state = SL_WG_HS_RESP_SENT;
	} else {
		memset(m, 0, sizeof(*m));
	}
	return commit(hs, &w, ok);
}

bool sl_wg_response_consume(struct sl_wg_handshake *hs, const struct sl_wg_static *s,
			    const struct sl_wg_remote *r, const struct sl_wg_msg_response *m)
{
	if (hs->state != SL_WG_HS_INIT_SENT || sl_wg_le32(m->receiver) != hs->local_index)
		return false;
	struct sl_wg_handshake w = *hs;
	uint8_t key[SL_WG_KEY_LEN], empty[1];
	w.remote_index = sl_wg_le32(m->sender);
	memcpy(w.e_remote, m->ephemeral, SL_WG_KEY_LEN);
	mix_ephemeral(&w, m->ephemeral);
	bool ok = mix_dh(&w, NULL, w.e_priv, m->ephemeral) && mix_dh(&w, NULL, s->priv, m->ephemeral);
	if (ok)
		mix_psk(&w, key, r->psk);
	ok = ok && open_and_hash(&w, empty, key, m->empty_enc, sizeof(m->empty_enc));
	sl_wg_wipe(key, sizeof(key));
	if (ok)
		w.state = SL_WG_HS_RESP_CONSUMED;
	return commit(hs, &w, ok);
}

bool sl_wg_keys_derive(struct sl_wg_handshake *hs, uint8_t send[SL_WG_KEY_LEN],
		       uint8_t recv[SL_WG_KEY_LEN])
{
	uint8_t t1[SL_WG_KEY_LEN], t2[SL_WG_KEY_LEN];
	bool initiator = hs->state == SL_WG_HS_RESP_CONSUMED;
	if (!initiator && hs->state != SL_WG_HS_RESP_SENT)
		return false;
	/* (T1, T2) = KDF2(C, empty): the initiator sends with T1. */
	sl_wg_kdf(hs->ck, NULL, 0, t1, t2, NULL);
	memcpy(send, initiator ? t1 : t2, SL_WG_KEY_LEN);
	memcpy(recv, initiator ? t2 : t1, SL_WG_KEY_LEN);
	sl_wg_wipe(t1, sizeof(t1));
	sl_wg_wipe(t2, sizeof(t2));
	sl_wg_wipe(hs, sizeof(*hs));
	hs->state = SL_WG_HS_NONE;
	return true;
}

/* mac1 covers everything before it; mac2 everything before mac2. */
#define MAC1_OFF(len) ((len) - 2 * SL_WG_MAC_LEN)
#define MAC2_OFF(len) ((len) - SL_WG_MAC_LEN)

void sl_wg_mac1_set(void *msg, size_t len, const uint8_t mac1_key[SL_WG_KEY_LEN])
{
	uint8_t *b = msg;
	sl_wg_mac(b + MAC1_OFF(len), mac1_key, SL_WG_KEY_LEN, b, MAC1_OFF(len));
}

bool sl_wg_mac1_valid(const void *msg, size_t len, const uint8_t mac1_key[SL_WG_KEY_LEN])
{
	const uint8_t *b = msg;
	uint8_t mac[SL_WG_MAC_LEN];
	sl_wg_mac(mac, mac1_key, SL_WG_KEY_LEN, b, MAC1_OFF(len));
	return sl_wg_equal(mac, b + MAC1_OFF(len), SL_WG_MAC_LEN);
}

void sl_wg_mac2_set(void *msg, size_t len, const uint8_t cookie[SL_WG_MAC_LEN])
{
	uint8_t *b = msg;
	sl_wg_mac(b + MAC2_OFF(len), cookie, SL_WG_MAC_LEN, b, MAC2_OFF(len));
}

bool sl_wg_mac2_valid(const void *msg, size_t len, const uint8_t cookie[SL_WG_MAC_LEN])
{
	const uint8_t *b = msg;
	uint8_t mac[SL_WG_MAC_LEN];
	sl_wg_mac(mac, cookie, SL_WG_MAC_LEN, b, MAC2_OFF(len));
	return sl_wg_equal(mac, b + MAC2_OFF(len), SL_WG_MAC_LEN);
}

void sl_wg_cookie_make(uint8_t cookie[SL_WG_MAC_LEN], const uint8_t secret[SL_WG_KEY_LEN],
		       const void *src, size_t src_len)
{
	sl_wg_mac(cookie, secret, SL_WG_KEY_LEN, src, src_len);
}

bool sl_wg_cookie_reply_create(struct sl_wg_msg_cookie *out, uint32_t receiver,
			       const uint8_t nonce[SL_WG_XNONCE_LEN],
			       const uint8_t cookie[SL_WG_MAC_LEN],
			       const uint8_t cookie_key[SL_WG_KEY_LEN],
			       const uint8_t mac1[SL_WG_MAC_LEN])
{
	memset(out, 0, sizeof(*out));
	out->type = sl_wg_type(SL_WG_MSG_COOKIE);
	out->receiver = sl_wg_le32(receiver);
	memcpy(out->nonce, nonce, SL_WG_XNONCE_LEN);
	return sl_wg_xaead_seal(out->cookie_enc, cookie_key, nonce, cookie, SL_WG_MAC_LEN, mac1,
				SL_WG_MAC_LEN);
}

bool sl_wg_cookie_reply_open(uint8_t cookie[SL_WG_MAC_LEN], const struct sl_wg_msg_cookie *m,
			     const uint8_t cookie_key[SL_WG_KEY_LEN],
			     const uint8_t mac1[SL_WG_MAC_LEN])
{
	return sl_wg_xaead_open(cookie, cookie_key, m->nonce, m->cookie_enc,
				sizeof(m->cookie_enc), mac1, SL_WG_MAC_LEN);
}

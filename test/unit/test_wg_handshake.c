/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The handshake between two ends built here: both derive the same
 * transport keys, with and without a preshared key; what either end
 * refuses (another responder's key, a wrong preshared key, a tampered
 * byte, a response to another handshake) leaves its handshake as it was;
 * mac1, mac2 and cookie replies. And the handshake against a recorded
 * exchange with wireguard-go (wg_transcript.h): as responder to its
 * initiation, and as initiator (with a preshared key) of the initiation it
 * answered, each followed by its first data message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sl_wg.h"
#include "wg_transcript.h"

struct end {
	struct sl_wg_static s;
	struct sl_wg_remote peer;
	struct sl_wg_handshake hs;
};

static void key_of(uint8_t out[32], uint8_t seed)
{
	for (unsigned i = 0; i < 32; i++)
		out[i] = (uint8_t)(seed * 31 + i * 7);
}

/* Initiator @p i and responder @p r knowing each other, psk optional. */
static void pair(struct end *i, struct end *r, const uint8_t *psk_i, const uint8_t *psk_r)
{
	uint8_t k[32];
	memset(i, 0, sizeof(*i));
	memset(r, 0, sizeof(*r));
	key_of(k, 1);
	assert_true(sl_wg_static_init(&i->s, k));
	key_of(k, 2);
	assert_true(sl_wg_static_init(&r->s, k));
	assert_true(sl_wg_remote_init(&i->peer, &i->s, r->s.pub, psk_i));
	assert_true(sl_wg_remote_init(&r->peer, &r->s, i->s.pub, psk_r));
}

static const uint8_t ts1[12] = {0x40, 0, 0, 0, 0x60, 0, 0, 1, 0, 0, 0, 0};
static const uint8_t ts2[12] = {0x40, 0, 0, 0, 0x60, 0, 0, 2, 0, 0, 0, 0};

/* Runs the exchange; returns false at the first refusal. */
static bool handshake(struct end *i, struct end *r, uint8_t i_send[32], uint8_t i_recv[32],
		      uint8_t r_send[32], uint8_t r_recv[32])
{
	struct sl_wg_msg_initiation init;
	struct sl_wg_msg_response resp;
	uint8_t e[32], pub[32], ts[12];
	key_of(e, 3);
	assert_true(sl_wg_initiation_create(&i->hs, &i->s, &i->peer, e, ts1, 0x11111111, &init));
	assert_int_equal(i->hs.state, SL_WG_HS_INIT_SENT);
	if (!sl_wg_mac1_valid(&init, sizeof(init), r->s.mac1_key))
		return false;
	if (!sl_wg_initiation_open(&r->hs, &r->s, &init, pub))
		return false;
	assert_memory_equal(pub, i->s.pub, 32);
	if (!sl_wg_initiation_finish(&r->hs, &r->peer, &init, ts))
		return false;
	assert_memory_equal(ts, ts1, 12);
	key_of(e, 4);
	assert_true(sl_wg_response_create(&r->hs, &r->peer, e, 0x22222222, &resp));
	assert_int_equal(sl_wg_le32(resp.receiver), 0x11111111);
	if (!sl_wg_mac1_valid(&resp, sizeof(resp), i->s.mac1_key))
		return false;
	if (!sl_wg_response_consume(&i->hs, &i->s, &i->peer, &resp))
		return false;
	assert_int_equal(i->hs.remote_index, 0x22222222);
	assert_int_equal(r->hs.remote_index, 0x11111111);
	assert_true(sl_wg_keys_derive(&i->hs, i_send, i_recv));
	assert_true(sl_wg_keys_derive(&r->hs, r_send, r_recv));
	assert_int_equal(i->hs.state, SL_WG_HS_NONE);
	return true;
}

static void test_keys_agree(void **state)
{
	(void)state;
	struct end i, r;
	uint8_t is[32], ir[32], rs[32], rr[32], psk[32];
	pair(&i, &r, NULL, NULL);
	assert_true(handshake(&i, &r, is, ir, rs, rr));
	assert_memory_equal(is, rr, 32);
	assert_memory_equal(ir, rs, 32);
	assert_memory_not_equal(is, ir, 32);

	/* A preshared key changes the keys, and both ends still agree. */
	uint8_t is2[32], ir2[32];
	key_of(psk, 9);
	pair(&i, &r, psk, psk);
	assert_true(handshake(&i, &r, is2, ir2, rs, rr));
	assert_memory_equal(is2, rr, 32);
	assert_memory_equal(ir2, rs, 32);
	assert_memory_not_equal(is2, is, 32);

	/* The transport keys work: a data message both ways. */
	uint8_t msg[32 + 16], out[32];
	memset(msg, 0xab, 32);
	assert_true(sl_wg_aead_seal(msg, is2, 7, msg, 32, NULL, 0));
	assert_true(sl_wg_aead_open(out, rr, 7, msg, sizeof(msg), NULL, 0));
	assert_int_equal(out[0], 0xab);
}

static void test_wrong_psk_refused_by_initiator(void **state)
{
	(void)state;
	struct end i, r;
	uint8_t psk[32], other[32], k[4][32];
	key_of(psk, 9);
	key_of(other, 10);
	pair(&i, &r, psk, other);
	assert_false(handshake(&i, &r, k[0], k[1], k[2], k[3]));
	/* The initiator still waits for a good response. */
	assert_int_equal(i.hs.state, SL_WG_HS_INIT_SENT);
	/* One end with a psk, the other without: refused too. */
	pair(&i, &r, NULL, psk);
	assert_false(handshake(&i, &r, k[0], k[1], k[2], k[3]));
}

static void test_initiation_to_another_responder(void **state)
{
	(void)state;
	struct end i, r, stranger;
	struct sl_wg_msg_initiation init;
	struct sl_wg_handshake hs = {.state = SL_WG_HS_RESP_SENT, .local_index = 5};
	uint8_t e[32], pub[32], k[32];
	pair(&i, &r, NULL, NULL);
	key_of(k, 77);
	assert_true(sl_wg_static_init(&stranger.s, k));
	key_of(e, 3);
	assert_true(sl_wg_initiation_create(&i.hs, &i.s, &i.peer, e, ts1, 1, &init));
	assert_false(sl_wg_mac1_valid(&init, sizeof(init), stranger.s.mac1_key));
	struct sl_wg_handshake before = hs;
	assert_false(sl_wg_initiation_open(&hs, &stranger.s, &init, pub));
	assert_memory_equal(&hs, &before, sizeof(hs));
}

static void test_tampered_messages_refused(void **state)
{
	(void)state;
	struct end i, r;
	struct sl_wg_msg_initiation init, bad;
	uint8_t e[32], pub[32], ts[12];
	pair(&i, &r, NULL, NULL);
	key_of(e, 3);
	assert_true(sl_wg_initiation_create(&i.hs, &i.s, &i.peer, e, ts2, 1, &init));
	/* Any byte before mac1 changed: mac1 fails; past the ephemeral, the
	 * AEAD fails too even with mac1 recomputed. */
	for (size_t off = 4; off < offsetof(struct sl_wg_msg_initiation, mac1); off += 7) {
		bad = init;
		((uint8_t *)&bad)[off] ^= 0x20;
		assert_false(sl_wg_mac1_valid(&bad, sizeof(bad), r.s.mac1_key));
		if (off < offsetof(struct sl_wg_msg_initiation, ephemeral))
			continue;
		sl_wg_mac1_set(&bad, sizeof(bad), r.s.mac1_key);
		struct sl_wg_handshake hs = {0};
		bool opened = sl_wg_initiation_open(&hs, &r.s, &bad, pub) &&
			      sl_wg_initiation_finish(&hs, &r.peer, &bad, ts);
		assert_false(opened);
	}
	/* The untouched one goes through. */
	struct sl_wg_handshake hs = {0};
	assert_true(sl_wg_initiation_open(&hs, &r.s, &init, pub));
	assert_true(sl_wg_initiation_finish(&hs, &r.peer, &init, ts));
	assert_memory_equal(ts, ts2, 12);

	/* A response for another sender index, or a second one, is refused. */
	struct sl_wg_msg_response resp;
	key_of(e, 4);
	assert_true(sl_wg_response_create(&hs, &r.peer, e, 2, &resp));
	struct sl_wg_msg_response wrong = resp;
	wrong.receiver = sl_wg_le32(99);
	assert_false(sl_wg_response_consume(&i.hs, &i.s, &i.peer, &wrong));
	wrong = resp;
	wrong.empty_enc[3] ^= 1;
	assert_false(sl_wg_response_consume(&i.hs, &i.s, &i.peer, &wrong));
	assert_int_equal(i.hs.state, SL_WG_HS_INIT_SENT);
	assert_true(sl_wg_response_consume(&i.hs, &i.s, &i.peer, &resp));
	assert_false(sl_wg_response_consume(&i.hs, &i.s, &i.peer, &resp));
	/* And no keys from a handshake that is not finished. */
	struct sl_wg_handshake idle = {.state = SL_WG_HS_INIT_SENT};
	uint8_t a[32], b[32];
	assert_false(sl_wg_keys_derive(&idle, a, b));
	assert_false(sl_wg_response_create(&idle, &r.peer, e, 3, &resp));
}

static void test_small_order_peer_key_refused(void **state)
{
	(void)state;
	struct sl_wg_static s;
	struct sl_wg_remote rem;
	uint8_t k[32], zero[32] = {0};
	key_of(k, 1);
	assert_true(sl_wg_static_init(&s, k));
	assert_false(sl_wg_remote_init(&rem, &s, zero, NULL));
}

static void test_mac2_and_cookie_reply(void **state)
{
	(void)state;
	struct end i, r;
	struct sl_wg_msg_initiation init;
	struct sl_wg_msg_cookie reply;
	uint8_t e[32], secret[32], cookie[16], got[16], nonce[24];
	const uint8_t src[6] = {10, 0, 0, 1, 0x12, 0x34}, other_src[6] = {10, 0, 0, 2, 0x12, 0x34};
	pair(&i, &r, NULL, NULL);
	key_of(e, 3);
	key_of(secret, 50);
	memset(nonce, 0x5a, sizeof(nonce));
	assert_true(sl_wg_initiation_create(&i.hs, &i.s, &i.peer, e, ts1, 0x1234, &init));
	/* No cookie yet: mac2 is zero and does not verify. */
	sl_wg_cookie_make(cookie, secret, src, sizeof(src));
	assert_false(sl_wg_mac2_valid(&init, sizeof(init), cookie));

	/* Under load the responder replies with a cookie for the source. */
	assert_true(sl_wg_cookie_reply_create(&reply, sl_wg_le32(init.sender), nonce, cookie,
					      r.s.cookie_key, init.mac1));
	assert_int_equal(sl_wg_le32(reply.type), SL_WG_MSG_COOKIE);
	assert_int_equal(sl_wg_le32(reply.receiver), 0x1234);
	/* The initiator opens it only with the mac1 it sent. */
	uint8_t other_mac1[16] = {1};
	assert_false(sl_wg_cookie_reply_open(got, &reply, i.peer.cookie_key, other_mac1));
	assert_true(sl_wg_cookie_reply_open(got, &reply, i.peer.cookie_key, init.mac1));
	assert_memory_equal(got, cookie, 16);

	/* Its next initiation carries mac2, good for its source only. */
	key_of(e, 5);
	assert_true(sl_wg_initiation_create(&i.hs, &i.s, &i.peer, e, ts2, 0x1235, &init));
	sl_wg_mac2_set(&init, sizeof(init), got);
	assert_true(sl_wg_mac1_valid(&init, sizeof(init), r.s.mac1_key));
	assert_true(sl_wg_mac2_valid(&init, sizeof(init), cookie));
	uint8_t cookie_other[16];
	sl_wg_cookie_make(cookie_other, secret, other_src, sizeof(other_src));
	assert_false(sl_wg_mac2_valid(&init, sizeof(init), cookie_other));
	/* A new secret (every two minutes) makes old cookies worthless. */
	secret[0] ^= 1;
	sl_wg_cookie_make(cookie_other, secret, src, sizeof(src));
	assert_false(sl_wg_mac2_valid(&init, sizeof(init), cookie_other));
}

/* wireguard-go initiated: we open its initiation, our response with the
 * recorded ephemeral is byte for byte what it accepted, and our keys open
 * its first data message (the ping it queued) to the recorded packet. */
static void test_transcript_wireguard_go_initiates(void **state)
{
	(void)state;
	struct sl_wg_static s;
	struct sl_wg_remote peer;
	struct sl_wg_handshake hs = {0};
	struct sl_wg_msg_initiation init;
	struct sl_wg_msg_response resp;
	uint8_t pub[32], ts[12], send[32], recv[32];
	assert_true(sl_wg_static_init(&s, wgt_our_priv));
	assert_memory_equal(s.pub, wgt_our_pub, 32);
	assert_true(sl_wg_remote_init(&peer, &s, wgt_peer_pub, NULL));
	memcpy(&init, wgt_a_initiation, sizeof(init));
	assert_int_equal(sl_wg_le32(init.type), SL_WG_MSG_INITIATION);
	assert_true(sl_wg_mac1_valid(&init, sizeof(init), s.mac1_key));
	assert_true(sl_wg_initiation_open(&hs, &s, &init, pub));
	assert_memory_equal(pub, wgt_peer_pub, 32);
	assert_true(sl_wg_initiation_finish(&hs, &peer, &init, ts));
	assert_memory_equal(ts, wgt_a_timestamp, 12);
	assert_int_equal(hs.remote_index, sl_wg_le32(wgt_a_peer_index));
	assert_true(sl_wg_response_create(&hs, &peer, wgt_a_resp_eph_priv,
					  sl_wg_le32(wgt_a_our_index), &resp));
	assert_memory_equal(&resp, wgt_a_response, sizeof(resp));
	assert_true(sl_wg_keys_derive(&hs, send, recv));
	assert_memory_equal(send, wgt_a_send_key, 32);
	assert_memory_equal(recv, wgt_a_recv_key, 32);

	struct sl_wg_msg_data hdr;
	uint8_t plain[sizeof(wgt_a_data_plain)];
	memcpy(&hdr, wgt_a_data, sizeof(hdr));
	assert_int_equal(sl_wg_le32(hdr.type), SL_WG_MSG_DATA);
	assert_int_equal(hdr.receiver, wgt_a_our_index);
	assert_true(sl_wg_aead_open(plain, recv, sl_wg_le64(hdr.counter), wgt_a_data + 16,
				    sizeof(wgt_a_data) - 16, NULL, 0));
	assert_memory_equal(plain, wgt_a_data_plain, sizeof(plain));
}

/* We initiated, with a preshared key: our initiation from the recorded
 * ephemeral and timestamp is the one wireguard-go answered; we consume its
 * response, our data message is the one it accepted, and its echo reply
 * opens with our receiving key. */
static void test_transcript_we_initiate_with_psk(void **state)
{
	(void)state;
	struct sl_wg_static s;
	struct sl_wg_remote peer;
	struct sl_wg_handshake hs = {0};
	struct sl_wg_msg_initiation init;
	struct sl_wg_msg_response resp;
	uint8_t send[32], recv[32];
	assert_true(sl_wg_static_init(&s, wgt_our_priv));
	assert_true(sl_wg_remote_init(&peer, &s, wgt_peer_pub, wgt_psk));
	assert_true(sl_wg_initiation_create(&hs, &s, &peer, wgt_b_init_eph_priv, wgt_b_timestamp,
					    sl_wg_le32(wgt_b_our_index), &init));
	assert_memory_equal(&init, wgt_b_initiation, sizeof(init));
	memcpy(&resp, wgt_b_response, sizeof(resp));
	assert_int_equal(sl_wg_le32(resp.type), SL_WG_MSG_RESPONSE);
	assert_true(sl_wg_mac1_valid(&resp, sizeof(resp), s.mac1_key));
	/* Without the preshared key the same response is refused. */
	struct sl_wg_remote no_psk;
	assert_true(sl_wg_remote_init(&no_psk, &s, wgt_peer_pub, NULL));
	assert_false(sl_wg_response_consume(&hs, &s, &no_psk, &resp));
	assert_true(sl_wg_response_consume(&hs, &s, &peer, &resp));
	assert_int_equal(hs.remote_index, sl_wg_le32(wgt_b_peer_index));
	assert_true(sl_wg_keys_derive(&hs, send, recv));
	assert_memory_equal(send, wgt_b_send_key, 32);
	assert_memory_equal(recv, wgt_b_recv_key, 32);

	uint8_t ours[sizeof(wgt_b_our_data)];
	struct sl_wg_msg_data hdr = {.type = sl_wg_type(SL_WG_MSG_DATA),
				     .receiver = wgt_b_peer_index, .counter = 0};
	memcpy(ours, &hdr, sizeof(hdr));
	assert_true(sl_wg_aead_seal(ours + 16, send, 0, wgt_b_our_data_plain,
				    sizeof(wgt_b_our_data_plain), NULL, 0));
	assert_memory_equal(ours, wgt_b_our_data, sizeof(ours));

	uint8_t plain[sizeof(wgt_b_data_plain)];
	memcpy(&hdr, wgt_b_data, sizeof(hdr));
	assert_int_equal(hdr.receiver, wgt_b_our_index);
	assert_true(sl_wg_aead_open(plain, recv, sl_wg_le64(hdr.counter), wgt_b_data + 16,
				    sizeof(wgt_b_data) - 16, NULL, 0));
	assert_memory_equal(plain, wgt_b_data_plain, sizeof(plain));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_agree),
		cmocka_unit_test(test_wrong_psk_refused_by_initiator),
		cmocka_unit_test(test_initiation_to_another_responder),
		cmocka_unit_test(test_tampered_messages_refused),
		cmocka_unit_test(test_small_order_peer_key_refused),
		cmocka_unit_test(test_mac2_and_cookie_reply),
		cmocka_unit_test(test_transcript_wireguard_go_initiates),
		cmocka_unit_test(test_transcript_we_initiate_with_psk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

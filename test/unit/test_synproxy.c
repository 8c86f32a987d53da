/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SYN cookies: SipHash-2-4 against the reference vectors, cookies made and
 * checked (round trip, the next minute, expiry), forged and altered ones
 * refused, the options carried in the timestamp, and SYN options read and
 * written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sl_synproxy.h"

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/* Test SipHash-2-4: key 00..0f, messages 00..(n-1), the reference's vectors. */
static void test_siphash_vectors(void **state)
{
	(void)state;
	static const struct {
		size_t len;
		uint64_t want;
	} v[] = {
		{0, 0x726fdb47dd0e0e31ull}, {1, 0x74f839c593dc67fdull}, {2, 0x0d6c8009d9a94f5aull},
		{3, 0x85676696d7fb7e2dull}, {4, 0xcf2794e0277187b7ull}, {5, 0x18765564cd99a68dull},
		{8, 0x93f5f5799a932462ull}, {15, 0xa129ca6149be45e5ull},
	};
	const uint64_t k[2] = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
	uint8_t msg[64];
	for (unsigned i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(sl_siphash24(k, msg, v[i].len), v[i].want);
}

static void random_tuple(struct sl_cookie_tuple *t, uint8_t af)
{
	memset(t, 0, sizeof(*t));
	t->af = af;
	for (unsigned i = 0; i < (af == 4 ? 4u : 16u); i++) {
		t->saddr[i] = (uint8_t)rnd();
		t->daddr[i] = (uint8_t)rnd();
	}
	t->sport = (uint16_t)rnd();
	t->dport = (uint16_t)rnd();
}

/* Test 20 000 cookies of random connections: each checks in its minute
 * and the next, with the MSS it was made with (the largest of the
 * family's table not above the client's); two minutes on it has expired. */
static void test_cookie_round_trip(void **state)
{
	(void)state;
	struct sl_syncookie_keys keys;
	assert_int_equal(sl_syncookie_keys_init(&keys), 0);
	for (unsigned i = 0; i < 20000; i++) {
		struct sl_cookie_tuple t;
		random_tuple(&t, i % 2 ? 6 : 4);
		uint32_t isn = rnd() << 1 ^ rnd(), minute = rnd();
		uint16_t mss_in = (uint16_t)(rnd() % 9000), used, got = 0;
		uint32_t c = sl_syncookie_make(&keys, &t, isn, minute, mss_in, &used);
		const uint16_t *tab = t.af == 4 ? (const uint16_t[]){536, 1300, 1440, 1460} :
						 (const uint16_t[]){1220, 1400, 1440, 1460};
		uint16_t want = tab[0];
		for (unsigned m = 0; m < 4; m++)
			if (tab[m] <= mss_in)
				want = tab[m];
		assert_int_equal(used, want);
		assert_int_equal(sl_syncookie_check(&keys, &t, isn, c, minute, &got), SL_COOKIE_OK);
		assert_int_equal(got, want);
		got = 0;
		assert_int_equal(sl_syncookie_check(&keys, &t, isn, c, minute + 1, &got), SL_COOKIE_OK);
		assert_int_equal(got, want);
		assert_int_equal(sl_syncookie_check(&keys, &t, isn, c, minute + 2, &got),
				 SL_COOKIE_EXPIRED);
	}
}

/* Test forgeries: random acknowledgements, a cookie replayed for another
 * port or address or ISN, and a cookie of other keys are refused; random
 * guesses pass about as rarely as the arithmetic says (2^-29 each). */
static void test_cookie_forgeries(void **state)
{
	(void)state;
	struct sl_syncookie_keys keys, other;
	assert_int_equal(sl_syncookie_keys_init(&keys), 0);
	assert_int_equal(sl_syncookie_keys_init(&other), 0);
	unsigned passed = 0;
	for (unsigned i = 0; i < 200000; i++) {
		struct sl_cookie_tuple t;
		random_tuple(&t, i % 2 ? 6 : 4);
		uint16_t mss;
		passed += sl_syncookie_check(&keys, &t, rnd(), rnd() << 1 ^ rnd(), rnd(), &mss) ==
			  SL_COOKIE_OK;
	}
	assert_true(passed <= 1);
	for (unsigned i = 0; i < 5000; i++) {
		struct sl_cookie_tuple t, u;
		random_tuple(&t, i % 2 ? 6 : 4);
		uint32_t isn = rnd(), minute = rnd();
		uint16_t used, mss;
		uint32_t c = sl_syncookie_make(&keys, &t, isn, minute, 1460, &used);
		u = t;
		u.sport++;
		assert_int_not_equal(sl_syncookie_check(&keys, &u, isn, c, minute, &mss), SL_COOKIE_OK);
		u = t;
		u.saddr[3] ^= 1;
		assert_int_not_equal(sl_syncookie_check(&keys, &u, isn, c, minute, &mss), SL_COOKIE_OK);
		/* (An ISN a few lower or higher reads as another MSS index, as the
		 * ISN is added to the cookie: the same holds for Linux's.) */
		assert_int_not_equal(sl_syncookie_check(&keys, &t, isn + 0x1000, c, minute, &mss),
				     SL_COOKIE_OK);
		assert_int_not_equal(sl_syncookie_check(&other, &t, isn, c, minute, &mss),
				     SL_COOKIE_OK);
		/* (c + 1 would be the cookie of the next MSS: the index is its low bits.) */
		assert_int_not_equal(sl_syncookie_check(&keys, &t, isn, c + 16, minute, &mss),
				     SL_COOKIE_OK);
		assert_int_not_equal(sl_syncookie_check(&keys, &t, isn, c ^ 0x00800000u, minute,
							&mss), SL_COOKIE_OK);
	}
}

/* Test the options in the timestamp: every window scale (and none), SACK
 * and ECN come back from the echo; the stamp never runs ahead of the clock. */
static void test_timestamp_options(void **state)
{
	(void)state;
	for (int w = -1; w <= 14; w++) {
		for (unsigned bits = 0; bits < 4; bits++) {
			struct sl_syn_opts o = {.wscale = (int8_t)w, .sack_ok = bits & 1,
						.ecn = (bits >> 1) & 1, .ts = true};
			uint32_t now = rnd();
			uint32_t ts = sl_syncookie_tsval(now, &o);
			assert_true(ts <= now || now < 64);
			assert_true(now - ts < 128 || now < 64);
			struct sl_syn_opts back = {0};
			sl_syncookie_ts_decode(ts, &back);
			assert_int_equal(back.wscale, w);
			assert_int_equal(back.sack_ok, o.sack_ok);
			assert_int_equal(back.ecn, o.ecn);
		}
	}
}

/* Test SYN options: Linux's layout read back; what sluice writes reads
 * back the same; malformed options are refused; an oversized window scale
 * is held to 14. */
static void test_syn_options(void **state)
{
	(void)state;
	/* MSS 1460, SACK-permitted, timestamps 0x01020304/0, NOP, wscale 7. */
	static const uint8_t linux_syn[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0,
					    1, 3, 3, 7};
	struct sl_syn_opts o;
	assert_int_equal(sl_tcp_opts_parse(linux_syn, sizeof(linux_syn), &o), 0);
	assert_int_equal(o.mss, 1460);
	assert_true(o.sack_ok && o.ts);
	assert_int_equal(o.tsval, 0x01020304);
	assert_int_equal(o.tsecr, 0);
	assert_int_equal(o.wscale, 7);
	uint8_t out[20];
	size_t n = sl_tcp_syn_opts_write(out, &o);
	assert_int_equal(n, 20);
	assert_memory_equal(out, linux_syn, 20);
	struct sl_syn_opts none = {.wscale = -1}, back;
	assert_int_equal(sl_tcp_syn_opts_write(out, &none), 0);
	struct sl_syn_opts some = {.mss = 1220, .wscale = -1, .sack_ok = true};
	n = sl_tcp_syn_opts_write(out, &some);
	assert_int_equal(n % 4, 0);
	assert_int_equal(sl_tcp_opts_parse(out, n, &back), 0);
	assert_int_equal(back.mss, 1220);
	assert_true(back.sack_ok && !back.ts && back.wscale == -1);
	static const uint8_t runs_over[] = {2, 4, 0x05}, zero_len[] = {8, 0, 1, 1};
	static const uint8_t big_ws[] = {3, 3, 30, 0};
	assert_int_equal(sl_tcp_opts_parse(runs_over, sizeof(runs_over), &o), -1);
	assert_int_equal(sl_tcp_opts_parse(zero_len, sizeof(zero_len), &o), -1);
	assert_int_equal(sl_tcp_opts_parse(big_ws, sizeof(big_ws), &o), 0);
	assert_int_equal(o.wscale, 14);
}

/* Test "auto": one worker alone reaching the threshold turns the proxy on at
 * once; two workers below it each, whose last seconds add up to it, at the
 * next window; it stays on for SL_SYNPROXY_HOLD_S after, then goes off. */
static void test_auto_rate(void **state)
{
	(void)state;
	const uint64_t hz = 1000;     /* a TSC that counts milliseconds */
	struct sl_synproxy *sp = sl_synproxy_create(2, hz);
	assert_non_null(sp);
	uint64_t now = 5000;
	for (unsigned i = 0; i < 299; i++)
		assert_false(sl_synproxy_syn(sp, 0, 7, 300, now + i));
	assert_true(sl_synproxy_syn(sp, 0, 7, 300, now + 299));
	assert_true(sl_synproxy_active(sp, 7, now + 299 + SL_SYNPROXY_HOLD_S * hz - 1));
	assert_false(sl_synproxy_active(sp, 7, now + 299 + SL_SYNPROXY_HOLD_S * hz));
	assert_false(sl_synproxy_active(sp, 8, now));      /* other targets untouched */

	/* 200 a second on each worker: neither alone, both together. */
	now = 100000;
	for (unsigned i = 0; i < 200; i++) {
		assert_false(sl_synproxy_syn(sp, 0, 9, 300, now + i * 4));
		assert_false(sl_synproxy_syn(sp, 1, 9, 300, now + i * 4 + 1));
	}
	assert_int_equal(sl_synproxy_rate(sp, 9, now + 900), 0);   /* no second closed yet */
	/* The first SYN of each worker's next second closes the last one. */
	assert_false(sl_synproxy_syn(sp, 0, 9, 300, now + 1000));
	assert_int_equal(sl_synproxy_rate(sp, 9, now + 1000), 200);
	assert_true(sl_synproxy_syn(sp, 1, 9, 300, now + 1001));
	assert_int_equal(sl_synproxy_rate(sp, 9, now + 1001), 400);
	assert_true(sl_synproxy_active(sp, 9, now + 1001));
	/* A second closed long ago says nothing of now. */
	assert_int_equal(sl_synproxy_rate(sp, 9, now + 5000), 0);
	/* After a pause of more than a second, the window before it counts as none. */
	assert_true(sl_synproxy_syn(sp, 0, 9, 300, now + 4000));
	assert_int_equal(sl_synproxy_rate(sp, 9, now + 4000), 0);
	sl_synproxy_forget(sp, 9);
	assert_false(sl_synproxy_active(sp, 9, now + 4001));
	sl_synproxy_free(sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_cookie_round_trip),
		cmocka_unit_test(test_cookie_forgeries),
		cmocka_unit_test(test_timestamp_options),
		cmocka_unit_test(test_syn_options),
		cmocka_unit_test(test_auto_rate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The workers' AEAD (ipsec-mb, in bursts, in place on mbufs) against
 * wolfCrypt's ChaCha20-Poly1305 (sl_wg_aead_seal/open) as the reference:
 * every length from a keepalive (nothing) to a full 1500-byte packet,
 * several keys and counters in one burst, then tampering: a flipped bit
 * in the data, in the tag, a wrong counter or key fails only its own op.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "sl_wg.h"

static struct rte_mempool *pool;
static struct sl_wg_cipher *cipher;

#define HDR 58    /* where the data starts: outer headers before it */

static uint8_t keys[4][32];

static struct rte_mbuf *packet(uint32_t len, uint8_t fill)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	assert_non_null(m);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(HDR + len + SL_WG_TAG_LEN));
	assert_non_null(p);
	for (uint32_t i = 0; i < HDR + len + SL_WG_TAG_LEN; i++)
		p[i] = (uint8_t)(fill + i * 13);
	return m;
}

static void test_seal_matches_reference_and_opens(void **state)
{
	(void)state;
	static const uint32_t lens[] = {0, 1, 15, 16, 17, 63, 64, 65, 255, 256, 1024, 1420, 1500};
	const uint16_t n = RTE_DIM(lens);
	struct sl_wg_cipher_op ops[RTE_DIM(lens)];
	uint8_t want[1500 + 16];
	for (uint16_t i = 0; i < n; i++)
		ops[i] = (struct sl_wg_cipher_op){.m = packet(lens[i], (uint8_t)i),
						  .key = keys[i % 4],
						  .counter = (uint64_t)i * 0x0101010101ull,
						  .off = HDR, .len = lens[i]};
	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *pt = rte_pktmbuf_mtod_offset(ops[i].m, uint8_t *, HDR);
		assert_true(sl_wg_aead_seal(want, ops[i].key, ops[i].counter, pt, lens[i], NULL, 0));
		uint64_t sealed = sl_wg_seal_burst(cipher, &ops[i], 1);
		assert_int_equal(sealed, 1);
		assert_memory_equal(pt, want, lens[i] + SL_WG_TAG_LEN);
		/* The headers before the data are untouched. */
		uint8_t first = (uint8_t)i;
		assert_int_equal(*rte_pktmbuf_mtod(ops[i].m, uint8_t *), first);
	}
	/* All of them open in one burst, back to the plaintext. */
	assert_int_equal(sl_wg_open_burst(cipher, ops, n), (1ull << n) - 1);
	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *p = rte_pktmbuf_mtod(ops[i].m, uint8_t *);
		for (uint32_t k = HDR; k < HDR + lens[i]; k++)
			assert_int_equal(p[k], (uint8_t)(i + k * 13));
		rte_pktmbuf_free(ops[i].m);
	}
}

static void test_burst_of_64_seals_like_one_by_one(void **state)
{
	(void)state;
	struct sl_wg_cipher_op ops[SL_WG_CIPHER_BURST], one;
	for (uint16_t i = 0; i < SL_WG_CIPHER_BURST; i++)
		ops[i] = (struct sl_wg_cipher_op){.m = packet(64 + i * 21, (uint8_t)i),
						  .key = keys[i % 3], .counter = 1000 + i,
						  .off = HDR, .len = 64 + i * 21u};
	assert_int_equal(sl_wg_seal_burst(cipher, ops, SL_WG_CIPHER_BURST), UINT64_MAX);
	for (uint16_t i = 0; i < SL_WG_CIPHER_BURST; i++) {
		one = ops[i];
		one.m = packet(ops[i].len, (uint8_t)i);
		assert_int_equal(sl_wg_seal_burst(cipher, &one, 1), 1);
		assert_memory_equal(rte_pktmbuf_mtod(one.m, uint8_t *),
				    rte_pktmbuf_mtod(ops[i].m, uint8_t *),
				    HDR + ops[i].len + SL_WG_TAG_LEN);
		rte_pktmbuf_free(one.m);
	}
	for (uint16_t i = 0; i < SL_WG_CIPHER_BURST; i++)
		rte_pktmbuf_free(ops[i].m);
}

static void test_tampering_fails_only_its_op(void **state)
{
	(void)state;
	enum { GOOD, DATA_BIT, TAG_BIT, COUNTER, KEY, KEEPALIVE_TAG, N };
	struct sl_wg_cipher_op ops[N];
	for (unsigned i = 0; i < N; i++)
		ops[i] = (struct sl_wg_cipher_op){.m = packet(i == KEEPALIVE_TAG ? 0 : 100, 7),
						  .key = keys[0], .counter = 42, .off = HDR,
						  .len = i == KEEPALIVE_TAG ? 0 : 100};
	assert_int_equal(sl_wg_seal_burst(cipher, ops, N), (1u << N) - 1);
	rte_pktmbuf_mtod_offset(ops[DATA_BIT].m, uint8_t *, HDR + 50)[0] ^= 0x04;
	rte_pktmbuf_mtod_offset(ops[TAG_BIT].m, uint8_t *, HDR + 100 + 15)[0] ^= 0x80;
	rte_pktmbuf_mtod_offset(ops[KEEPALIVE_TAG].m, uint8_t *, HDR)[0] ^= 0x01;
	ops[COUNTER].counter = 43;
	ops[KEY].key = keys[1];
	assert_int_equal(sl_wg_open_burst(cipher, ops, N), 1u << GOOD);
	for (unsigned i = 0; i < N; i++)
		rte_pktmbuf_free(ops[i].m);
}

int main(void)
{
	char *argv[] = {"test", "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
			"--no-telemetry", "--log-level=6", "-l", "0"};
	char err[128];
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("wg_cipher", 1023, 0, 0, 2048 + RTE_PKTMBUF_HEADROOM,
				       SOCKET_ID_ANY);
	cipher = sl_wg_cipher_create(SOCKET_ID_ANY, err, sizeof(err));
	if (pool == NULL || cipher == NULL) {
		printf("setup: %s\n", cipher == NULL ? err : "no pool");
		return 1;
	}
	printf("ipsec-mb path: %s\n", sl_wg_cipher_arch(cipher));
	for (unsigned k = 0; k < 4; k++)
		for (unsigned i = 0; i < 32; i++)
			keys[k][i] = (uint8_t)(k * 64 + i * 3 + 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_matches_reference_and_opens),
		cmocka_unit_test(test_burst_of_64_seals_like_one_by_one),
		cmocka_unit_test(test_tampering_fails_only_its_op),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	sl_wg_cipher_free(cipher);
	return rc;
}

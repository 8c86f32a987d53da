/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The software Toeplitz hash and RSS steering against DPDK's rte_softrss
 * and the published verification vectors, and the steer's refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <netinet/in.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_thash.h>

#include "sl_rss.h"

/* The key of the RSS verification suite (and most NICs' default). */
static const uint8_t ms_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static uint64_t seed = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
	return (uint32_t)seed;
}

/* Test the published vectors: source 66.9.149.187:2794, destination
 * 161.142.100.80:1766; and 3ffe:2501:200:1fff::7 port 2794 to
 * 3ffe:2501:200:3::1 port 1766. */
static void test_published_vectors(void **state)
{
	(void)state;
	const uint8_t v4[] = {66, 9, 149, 187, 161, 142, 100, 80, 0x0a, 0xea, 0x06, 0xe6};
	assert_int_equal(sl_rss_toeplitz(ms_key, 40, v4, 8), 0x323e8fc2);
	assert_int_equal(sl_rss_toeplitz(ms_key, 40, v4, 12), 0x51ccc178);
	const uint8_t v6[] = {0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0,
			      7, 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03, 0, 0, 0, 0, 0, 0,
			      0, 1, 0x0a, 0xea, 0x06, 0xe6};
	assert_int_equal(sl_rss_toeplitz(ms_key, 40, v6, 32), 0x2cc18cd5);
	assert_int_equal(sl_rss_toeplitz(ms_key, 40, v6, 36), 0x40207d3d);
}

/* DPDK's rte_softrss on the same tuple, in the layout it wants. */
static uint32_t dpdk_hash(const uint8_t *key, uint8_t af, const uint8_t *src, const uint8_t *dst,
			  uint16_t sport, uint16_t dport)
{
	union rte_thash_tuple t;
	memset(&t, 0, sizeof(t));
	if (af == 4) {
		memcpy(&t.v4.src_addr, src, 4);
		memcpy(&t.v4.dst_addr, dst, 4);
		t.v4.src_addr = rte_be_to_cpu_32(t.v4.src_addr);
		t.v4.dst_addr = rte_be_to_cpu_32(t.v4.dst_addr);
		t.v4.sport = sport;
		t.v4.dport = dport;
		return rte_softrss((uint32_t *)&t, RTE_THASH_V4_L4_LEN, key);
	}
	rte_thash_load_v6_addrs((const struct rte_ipv6_hdr *)(const void *)(src - 8), &t);
	t.v6.sport = sport;
	t.v6.dport = dport;
	return rte_softrss((uint32_t *)&t, RTE_THASH_V6_L4_LEN, key);
}

/* Test random tuples, both families, the standard and the symmetric key:
 * the hash equals rte_softrss's, and the steer's worker is the one the
 * RETA names for that hash. */
static void test_matches_rte_softrss(void **state)
{
	(void)state;
	uint8_t sym[52];
	for (unsigned i = 0; i < sizeof(sym); i += 2)
		sym[i] = 0x6d, sym[i + 1] = 0x5a;
	const uint8_t *keys[] = {ms_key, sym};
	const size_t lens[] = {40, 52};
	static uint16_t reta[128];
	const uint8_t queue_worker[4] = {0, 1, 2, 1};
	for (unsigned i = 0; i < 128; i++)
		reta[i] = (uint16_t)(rnd() % 4);
	for (unsigned k = 0; k < 2; k++) {
		static struct sl_rss_steer s;
		assert_int_equal(sl_rss_steer_init(&s, RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP |
						   RTE_ETH_RSS_UDP, keys[k], lens[k], reta, 128,
						   queue_worker, 4), 0);
		assert_true(sl_rss_steers(&s, 4, IPPROTO_TCP) && sl_rss_steers(&s, 6, IPPROTO_UDP));
		assert_false(sl_rss_steers(&s, 4, IPPROTO_ICMP));
		for (unsigned n = 0; n < 20000; n++) {
			/* IPv6 header bytes 8..39 are the addresses. */
			uint8_t hdr[40];
			for (unsigned b = 0; b < sizeof(hdr); b++)
				hdr[b] = (uint8_t)rnd();
			uint8_t af = n % 2 ? 6 : 4;
			const uint8_t *src = hdr + 8, *dst = af == 4 ? hdr + 12 : hdr + 24;
			uint16_t sport = (uint16_t)rnd(), dport = (uint16_t)rnd();
			uint32_t want = dpdk_hash(keys[k], af, src, dst, sport, dport);
			uint8_t in[36];
			size_t a = af == 4 ? 4 : 16;
			memcpy(in, src, a);
			memcpy(in + a, dst, a);
			in[2 * a] = (uint8_t)(sport >> 8), in[2 * a + 1] = (uint8_t)sport;
			in[2 * a + 2] = (uint8_t)(dport >> 8), in[2 * a + 3] = (uint8_t)dport;
			assert_int_equal(sl_rss_toeplitz(keys[k], lens[k], in, 2 * a + 4), want);
			uint32_t base = sl_rss_hash_base(&s, af, src, dst, sport);
			assert_int_equal(sl_rss_worker(&s, af, base, dport),
					 queue_worker[reta[want % 128]]);
		}
	}
}

/* Test what a steer refuses: hash types on one side of the tuple only, a
 * RETA naming a queue no worker polls, a key too short for an IPv6 tuple;
 * and a port hashing addresses only steers nothing. */
static void test_refusals(void **state)
{
	(void)state;
	static struct sl_rss_steer s;
	const uint16_t reta[4] = {0, 1, 0, 1};
	const uint8_t polled[2] = {0, 1}, unpolled[2] = {0, SL_RSS_NO_WORKER};
	uint64_t hf = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;
	assert_int_equal(sl_rss_steer_init(&s, hf | RTE_ETH_RSS_L3_SRC_ONLY, ms_key, 40, reta, 4,
					   polled, 2), -EINVAL);
	assert_int_equal(sl_rss_steer_init(&s, hf | RTE_ETH_RSS_L4_DST_ONLY, ms_key, 40, reta, 4,
					   polled, 2), -EINVAL);
	assert_int_equal(sl_rss_steer_init(&s, hf, ms_key, 40, reta, 4, unpolled, 2), -EINVAL);
	assert_int_equal(sl_rss_steer_init(&s, hf, ms_key, 40, reta, 4, polled, 1), -EINVAL);
	assert_int_equal(sl_rss_steer_init(&s, hf, ms_key, 36, reta, 4, polled, 2), -EINVAL);
	assert_int_equal(sl_rss_steer_init(&s, RTE_ETH_RSS_IP, ms_key, 40, reta, 4, polled, 2), 0);
	assert_false(sl_rss_steers(&s, 4, IPPROTO_TCP) || sl_rss_steers(&s, 6, IPPROTO_UDP));
	assert_false(sl_rss_steers(NULL, 4, IPPROTO_TCP));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_published_vectors),
		cmocka_unit_test(test_matches_rte_softrss),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of lib/config's value parsers and formatters: durations, sizes,
 * rates, percentages, addresses, prefixes, masks and containment.
 *
 * Principles: case tables with the exact value or error for each input,
 * boundaries on both sides (2^64-1 and 2^64), and formatting checked to
 * parse back to the same value.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config_fixture.h"
#include "sl_log.h"

/* ------------------------------------------------------------------ units */

struct u64_case {
	const char *s;
	int rc;
	uint64_t v;
};

static void check_u64_cases(int (*parse)(const char *, uint64_t *),
			    const struct u64_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = 12345;
		int rc = parse(cases[i].s, &v);

		if (rc != cases[i].rc || (rc == 0 && v != cases[i].v))
			fail_msg("\"%s\": want rc %d value %" PRIu64 ", got rc %d value %" PRIu64,
				 cases[i].s, cases[i].rc, cases[i].v, rc, v);
		if (rc != 0)
			assert_int_equal(v, 12345);   /* untouched on error */
	}
}

static void test_durations(void **state)
{
	static const struct u64_case cases[] = {
		{ "0us", 0, 0 }, { "1us", 0, 1 }, { "5ms", 0, 5000 }, { "10s", 0, 10000000 },
		{ "2m", 0, 120000000 }, { "1h", 0, 3600000000ULL }, { "1.5s", 0, 1500000 },
		{ "0.1s", 0, 100000 }, { "1.50s", 0, 1500000 }, { "0.000001s", 0, 1 },
		{ "007ms", 0, 7000 }, { "0.5ms", 0, 500 },
		{ "18446744073709551615us", 0, UINT64_MAX },
		{ "5124095576h", 0, 18446744073600000000ULL },
		{ "1.000000000000000000s", 0, 1000000 },
		{ "18446744073709551616us", -EINVAL, 0 }, { "5124095577h", -EINVAL, 0 },
		{ "0.0000001s", -EINVAL, 0 }, { "1.5us", -EINVAL, 0 },
		{ "1.0000000000000000001s", -EINVAL, 0 },
		{ "5", -EINVAL, 0 }, { "", -EINVAL, 0 }, { " 5s", -EINVAL, 0 },
		{ "5s ", -EINVAL, 0 }, { "5 s", -EINVAL, 0 }, { "-5s", -EINVAL, 0 },
		{ "+5s", -EINVAL, 0 }, { "5S", -EINVAL, 0 }, { "5sec", -EINVAL, 0 },
		{ ".5s", -EINVAL, 0 }, { "5.s", -EINVAL, 0 }, { "1.2.3s", -EINVAL, 0 },
		{ "s", -EINVAL, 0 }, { "1e3ms", -EINVAL, 0 }, { "0x10s", -EINVAL, 0 },
	};

	(void)state;
	check_u64_cases(sl_parse_duration_us, cases, ARRAY_LEN(cases));
	assert_int_equal(sl_parse_duration_us(NULL, &(uint64_t){ 0 }), -EINVAL);
}

static void test_sizes(void **state)
{
	static const struct u64_case cases[] = {
		{ "0", 0, 0 }, { "512", 0, 512 }, { "512B", 0, 512 }, { "1KB", 0, 1000 },
		{ "1KiB", 0, 1024 }, { "64KiB", 0, 65536 }, { "1MiB", 0, 1048576 },
		{ "2MB", 0, 2000000 }, { "1GiB", 0, 1073741824 }, { "1GB", 0, 1000000000 },
		{ "1TiB", 0, 1099511627776ULL }, { "1TB", 0, 1000000000000ULL },
		{ "1.5KiB", 0, 1536 }, { "0.5KB", 0, 500 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "17179869183GiB", 0, 18446744072635809792ULL },
		{ "18446744073709551616", -EINVAL, 0 }, { "17179869184GiB", -EINVAL, 0 },
		{ "16777216TiB", -EINVAL, 0 }, { "0.5B", -EINVAL, 0 }, { "1kB", -EINVAL, 0 },
		{ "1K", -EINVAL, 0 }, { "1kib", -EINVAL, 0 }, { "1 KiB", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 }, { "", -EINVAL, 0 }, { "B", -EINVAL, 0 },
	};

	(void)state;
	check_u64_cases(sl_parse_size_bytes, cases, ARRAY_LEN(cases));
}

static void test_rates(void **state)
{
	static const struct u64_case cases[] = {
		{ "100Mbit", 0, 100000000 }, { "1Gbit", 0, 1000000000 }, { "64kbit", 0, 64000 },
		{ "1000bit", 0, 1000 }, { "1Tbit", 0, 1000000000000ULL }, { "0bit", 0, 0 },
		{ "100Mbps", 0, 100000000 }, { "1Gbps", 0, 1000000000 }, { "1kbps", 0, 1000 },
		{ "8bps", 0, 8 }, { "2Tbps", 0, 2000000000000ULL }, { "1.5Gbit", 0, 1500000000 },
		{ "18446744Tbit", 0, 18446744000000000000ULL },
		{ "18446744073709551615bit", 0, UINT64_MAX },
		{ "18446745Tbit", -EINVAL, 0 }, { "18446744073709551616bit", -EINVAL, 0 },
		{ "100", -EINVAL, 0 }, { "100mbit", -EINVAL, 0 }, { "100Kbit", -EINVAL, 0 },
		{ "100MB", -EINVAL, 0 }, { "1.5bit", -EINVAL, 0 }, { "100 Mbit", -EINVAL, 0 },
	};

	(void)state;
	check_u64_cases(sl_parse_rate_bps, cases, ARRAY_LEN(cases));
}

static void test_percent(void **state)
{
	static const struct {
		const char *s;
		int rc;
		uint32_t v;
	} cases[] = {
		{ "0%", 0, 0 }, { "40%", 0, 40 }, { "100%", 0, 100 }, { "150%", 0, 150 },
		{ "4294967295%", 0, UINT32_MAX }, { "4294967296%", -EINVAL, 0 },
		{ "40", -EINVAL, 0 }, { "-1%", -EINVAL, 0 }, { "40.5%", -EINVAL, 0 },
		{ " 40%", -EINVAL, 0 }, { "40 %", -EINVAL, 0 }, { "%", -EINVAL, 0 },
		{ "40%%", -EINVAL, 0 }, { "", -EINVAL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		uint32_t v = 7;
		int rc = sl_parse_percent(cases[i].s, &v);

		if (rc != cases[i].rc || (rc == 0 && v != cases[i].v))
			fail_msg("\"%s\": got rc %d value %u", cases[i].s, rc, v);
	}
}

static void test_unit_format(void **state)
{
	static const struct {
		void (*format)(uint64_t, char *, size_t);
		int (*parse)(const char *, uint64_t *);
		uint64_t v;
		const char *s;
	} cases[] = {
		{ sl_format_duration_us, sl_parse_duration_us, 0, "0us" },
		{ sl_format_duration_us, sl_parse_duration_us, 10000000, "10s" },
		{ sl_format_duration_us, sl_parse_duration_us, 90000000, "90s" },
		{ sl_format_duration_us, sl_parse_duration_us, 120000000, "2m" },
		{ sl_format_duration_us, sl_parse_duration_us, 3600000000ULL, "1h" },
		{ sl_format_duration_us, sl_parse_duration_us, 5000, "5ms" },
		{ sl_format_duration_us, sl_parse_duration_us, 1500, "1500us" },
		{ sl_format_duration_us, sl_parse_duration_us, UINT64_MAX, "18446744073709551615us" },
		{ sl_format_size_bytes, sl_parse_size_bytes, 0, "0B" },
		{ sl_format_size_bytes, sl_parse_size_bytes, 65536, "64KiB" },
		{ sl_format_size_bytes, sl_parse_size_bytes, 1048576, "1MiB" },
		{ sl_format_size_bytes, sl_parse_size_bytes, 1024000, "1000KiB" },
		{ sl_format_size_bytes, sl_parse_size_bytes, 1000, "1KB" },
		{ sl_format_size_bytes, sl_parse_size_bytes, 2000000, "2MB" },
		{ sl_format_size_bytes, sl_parse_size_bytes, 1536, "1536B" },
		{ sl_format_size_bytes, sl_parse_size_bytes, 1ULL << 40, "1TiB" },
		{ sl_format_size_bytes, sl_parse_size_bytes, UINT64_MAX, "18446744073709551615B" },
		{ sl_format_rate_bps, sl_parse_rate_bps, 0, "0bit" },
		{ sl_format_rate_bps, sl_parse_rate_bps, 100000000, "100Mbit" },
		{ sl_format_rate_bps, sl_parse_rate_bps, 64000, "64kbit" },
		{ sl_format_rate_bps, sl_parse_rate_bps, 1500, "1500bit" },
		{ sl_format_rate_bps, sl_parse_rate_bps, 2000000000000ULL, "2Tbit" },
	};
	char buf[SL_UNITS_STR_MAX];
	uint64_t back;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		cases[i].format(cases[i].v, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].s);
		assert_int_equal(cases[i].parse(buf, &back), 0);
		assert_true(back == cases[i].v);
	}
	/* format then parse is the identity, on a spread of values */
	for (uint64_t v = 1, i = 0; i < 2000; i++, v = v * 6364136223846793005ULL + 1442695040888963407ULL) {
		uint64_t x = v >> (i % 64);

		sl_format_duration_us(x, buf, sizeof(buf));
		assert_int_equal(sl_parse_duration_us(buf, &back), 0);
		assert_true(back == x);
		sl_format_size_bytes(x, buf, sizeof(buf));
		assert_int_equal(sl_parse_size_bytes(buf, &back), 0);
		assert_true(back == x);
		sl_format_rate_bps(x, buf, sizeof(buf));
		assert_int_equal(sl_parse_rate_bps(buf, &back), 0);
		assert_true(back == x);
	}
}

static void test_addresses(void **state)
{
	static const struct {
		const char *s;
		int rc;
		const char *canon;   /* formatted back */
	} cases[] = {
		{ "10.0.0.1", 0, "10.0.0.1" }, { "255.255.255.255", 0, "255.255.255.255" },
		{ "::1", 0, "::1" }, { "2001:DB8:0::1", 0, "2001:db8::1" },
		{ "::ffff:1.2.3.4", 0, "::ffff:1.2.3.4" }, { "::", 0, "::" },
		{ " 10.0.0.1", -EINVAL, NULL }, { "10.0.0.1 ", -EINVAL, NULL },
		{ "10.0.0.256", -EINVAL, NULL }, { "010.0.0.1", -EINVAL, NULL },
		{ "1.2.3", -EINVAL, NULL }, { "fe80::1%eth0", -EINVAL, NULL },
		{ "1::2::3", -EINVAL, NULL }, { "", -EINVAL, NULL }, { "10.0.0.1/8", -EINVAL, NULL },
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct sl_addr a;
		int rc = sl_parse_addr(cases[i].s, &a);

		if (rc != cases[i].rc)
			fail_msg("\"%s\": rc %d", cases[i].s, rc);
		if (rc == 0) {
			sl_format_addr(&a, buf, sizeof(buf));
			assert_string_equal(buf, cases[i].canon);
		}
	}
	/* a buffer too small gives an empty string, not a partial address */
	{
		struct sl_addr a;
		char small[8] = "zzzzzzz";

		assert_int_equal(sl_parse_addr("192.168.100.200", &a), 0);
		assert_int_equal(a.af, SL_AF_INET);
		assert_int_equal(a.v4, htonl(0xc0a864c8));
		sl_format_addr(&a, small, sizeof(small));
		assert_string_equal(small, "");
	}
}

static void test_prefixes(void **state)
{
	static const struct {
		const char *s;
		int rc;
		const char *canon;
	} cases[] = {
		{ "10.0.0.0/8", 0, "10.0.0.0/8" }, { "10.0.0.1", 0, "10.0.0.1/32" },
		{ "0.0.0.0/0", 0, "0.0.0.0/0" }, { "::/0", 0, "::/0" }, { "2001:db8::", 0, "2001:db8::/128" },
		{ "2001:db8::/128", 0, "2001:db8::/128" }, { "10.1.2.3/32", 0, "10.1.2.3/32" },
		{ "10.0.0.0/33", -EINVAL, NULL }, { "10.0.0.0/-1", -EINVAL, NULL },
		{ "10.0.0.0/+8", -EINVAL, NULL }, { "10.0.0.0/08", -EINVAL, NULL },
		{ "10.0.0.0/", -EINVAL, NULL }, { "10.0.0.0/8 ", -EINVAL, NULL },
		{ " 10.0.0.0/8", -EINVAL, NULL }, { "2001:db8::/129", -EINVAL, NULL },
		{ "10.0.0.0/8/8", -EINVAL, NULL }, { "/8", -EINVAL, NULL }, { "10.0.0.0/1000", -EINVAL, NULL },
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct sl_prefix p;
		int rc = sl_parse_prefix(cases[i].s, &p);

		if (rc != cases[i].rc)
			fail_msg("\"%s\": rc %d", cases[i].s, rc);
		if (rc == 0) {
			sl_format_prefix(&p, buf, sizeof(buf));
			assert_string_equal(buf, cases[i].canon);
		}
	}
}

static void check_mask(const char *in, const char *want)
{
	struct sl_prefix p;
	char buf[64];

	assert_int_equal(sl_parse_prefix(in, &p), 0);
	sl_prefix_mask(&p);
	sl_format_prefix(&p, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static bool contains(const char *prefix, const char *addr)
{
	struct sl_prefix p;
	struct sl_addr a;

	assert_int_equal(sl_parse_prefix(prefix, &p), 0);
	assert_int_equal(sl_parse_addr(addr, &a), 0);
	return sl_prefix_contains(&p, &a);
}

static void test_mask_contains(void **state)
{
	(void)state;
	check_mask("10.1.2.3/8", "10.0.0.0/8");
	check_mask("10.1.2.3/0", "0.0.0.0/0");
	check_mask("10.1.2.3/32", "10.1.2.3/32");
	check_mask("10.1.2.255/31", "10.1.2.254/31");
	check_mask("10.1.255.3/20", "10.1.240.0/20");
	check_mask("2001:db8:ffff::1/35", "2001:db8:e000::/35");
	check_mask("2001:db8::1/128", "2001:db8::1/128");
	check_mask("2001:db8::1/0", "::/0");
	assert_true(contains("10.0.0.0/24", "10.0.0.255"));
	assert_false(contains("10.0.0.0/24", "10.0.1.0"));
	assert_true(contains("10.0.0.7/24", "10.0.0.1"));   /* host bits of p ignored */
	assert_true(contains("0.0.0.0/0", "192.0.2.1"));
	assert_false(contains("0.0.0.0/0", "::1"));          /* family differs */
	assert_true(contains("10.0.0.1/32", "10.0.0.1"));
	assert_false(contains("10.0.0.1/32", "10.0.0.2"));
	assert_true(contains("2001:db8::/33", "2001:db8:7fff::1"));
	assert_false(contains("2001:db8::/33", "2001:db8:8000::1"));
	assert_true(contains("::/0", "::1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_unit_format),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_mask_contains),
	};

	return cmocka_run_group_tests_name("config_units", tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Driver profiles: every shipped profile parses; malformed ones fail naming
 * the field; lookups fall back to defaults for unknown drivers and find
 * drivers by alias.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <rte_ethdev.h>

#include "sl_build_config.h"
#include "sl_port.h"

static const char *const shipped[] = {
	"net_af_packet", "net_tap", "net_memif", "net_virtio", "net_ice", "net_mlx5", "net_ixgbe",
};

static void test_shipped_profiles_parse(void **state)
{
	char err[256];
	(void)state;
	for (unsigned i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++) {
		struct sl_port_profile p;
		err[0] = '\0';
		assert_int_equal(sl_port_profile_load(SLUICE_SOURCE_DRIVERS_CONFIG_DIR, shipped[i], &p,
						      err, sizeof(err)), 0);
		assert_string_equal(err, "");
		assert_true(p.matched);
		assert_string_equal(p.driver, shipped[i]);
		assert_true(p.max_rx >= 1 && p.max_tx >= 2);
	}
}

static void test_profile_values(void **state)
{
	char err[256];
	struct sl_port_profile p;
	(void)state;
	assert_int_equal(sl_port_profile_load(SLUICE_SOURCE_DRIVERS_CONFIG_DIR, "net_af_packet", &p,
					      err, sizeof(err)), 0);
	assert_true(p.tied_pairs);
	assert_string_equal(p.vdev_queue_arg, "qpairs");
	assert_false(p.rss_enabled);
	assert_int_equal(p.rx_offloads, 0);
	assert_int_equal(sl_port_profile_load(SLUICE_SOURCE_DRIVERS_CONFIG_DIR, "net_ice", &p,
					      err, sizeof(err)), 0);
	assert_true(p.rss_symmetric);
	assert_int_equal(p.rx_offloads, RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_RSS_HASH);
	assert_int_equal(p.tx_offloads, RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE);
	assert_true(p.rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_TCP);
	assert_true(p.rss_hf & RTE_ETH_RSS_NONFRAG_IPV6_UDP);
}

static void test_alias_and_default(void **state)
{
	char err[256];
	struct sl_port_profile p;
	(void)state;
	assert_int_equal(sl_port_profile_load(SLUICE_SOURCE_DRIVERS_CONFIG_DIR, "mlx5_pci", &p,
					      err, sizeof(err)), 0);
	assert_true(p.matched);
	assert_string_equal(p.driver, "net_mlx5");
	assert_int_equal(sl_port_profile_load(SLUICE_SOURCE_DRIVERS_CONFIG_DIR, "net_nosuch", &p,
					      err, sizeof(err)), 0);
	assert_false(p.matched);
	assert_string_equal(p.driver, "default");
	assert_int_equal(p.rx_offloads, 0);
	/* A directory without even default.json: built-in defaults. */
	assert_int_equal(sl_port_profile_load("/nonexistent", "net_ice", &p, err, sizeof(err)), 0);
	assert_false(p.matched);
	assert_int_equal(p.max_rx, 16);
}

static const struct {
	const char *json;
	const char *error;
} bad_profiles[] = {
	{"[]", "expected a JSON object"},
	{"{}", "driver: required string"},
	{"{\"driver\": \"x\", \"queus\": {}}", "queus: unknown key"},
	{"{\"driver\": \"x\", \"rx_offloads\": [\"IPV4_CHECKSUM\"]}",
	 "rx_offloads[0]: not a DPDK RX offload name"},
	{"{\"driver\": \"x\", \"tx_offloads\": \"IPV4_CKSUM\"}",
	 "tx_offloads: expected an array of offload names"},
	{"{\"driver\": \"x\", \"rss\": {\"hash_types\": [\"sctp\"]}}",
	 "rss.hash_types[0]: not one of ipv4, ipv6, tcp, udp"},
	{"{\"driver\": \"x\", \"queues\": {\"max_rx\": 0}}", "max_rx: expected an integer 1..65535"},
	{"{\"driver\": \"x\", \"promiscuous\": 1}", "promiscuous: expected true or false"},
};

static void test_bad_profiles(void **state)
{
	(void)state;
	for (unsigned i = 0; i < sizeof(bad_profiles) / sizeof(bad_profiles[0]); i++) {
		char err[256] = "";
		struct sl_port_profile p;
		json_t *doc = json_loads(bad_profiles[i].json, JSON_DECODE_ANY, NULL);
		assert_non_null(doc);
		assert_int_equal(sl_port_profile_parse(doc, &p, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, bad_profiles[i].error);
		json_decref(doc);
	}
}

static void test_bad_profile_file_named(void **state)
{
	char dir[] = "/tmp/sl_profiles_XXXXXX", path[128], err[256] = "";
	struct sl_port_profile p;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/net_tap.json", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"driver\": \"net_tap\", \"bogus\": 1}", f);
	fclose(f);
	assert_int_equal(sl_port_profile_load(dir, "net_tap", &p, err, sizeof(err)), -EINVAL);
	char want[256];
	snprintf(want, sizeof(want), "%s: bogus: unknown key", path);
	assert_string_equal(err, want);
	unlink(path);
	rmdir(dir);
}

static void test_queue_count(void **state)
{
	struct sl_config_port cp = {.queues = 0};
	struct sl_port_profile tied = {.tied_pairs = true, .max_rx = 16, .max_tx = 16};
	struct sl_port_profile free_ = {.tied_pairs = false, .max_rx = 4, .max_tx = 16};
	(void)state;
	assert_int_equal(sl_port_queue_count(&cp, 1, &tied), 2);  /* 1 worker + management TX */
	assert_int_equal(sl_port_queue_count(&cp, 3, &tied), 4);
	assert_int_equal(sl_port_queue_count(&cp, 3, &free_), 3);
	assert_int_equal(sl_port_queue_count(&cp, 8, &free_), 4); /* capped by the profile */
	cp.queues = 6;
	assert_int_equal(sl_port_queue_count(&cp, 2, &tied), 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_profiles_parse),
		cmocka_unit_test(test_profile_values),
		cmocka_unit_test(test_alias_and_default),
		cmocka_unit_test(test_bad_profiles),
		cmocka_unit_test(test_bad_profile_file_named),
		cmocka_unit_test(test_queue_count),
	};
	return cmocka_run_group_tests_name("port", tests, NULL, NULL);
}

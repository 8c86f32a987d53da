/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands under /sluice/, for dpdk-telemetry.py.
 *
 * The callbacks run on DPDK's telemetry thread, not the management lcore,
 * so they only read what is safe to read from anywhere: per-lcore counters
 * (summed, tolerating a torn in-flight increment), the config generation
 * and the port list fixed at start-up. They never touch the snapshot or the
 * neighbor table.
 */
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "sl_build_config.h"
#include "sluice.h"

static int tel_status(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sl_app *app = &sl_app;
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "version", SLUICE_VERSION);
	rte_tel_data_add_dict_u64(d, "config_generation",
				  __atomic_load_n(&app->generation, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "workers", app->n_workers);
	rte_tel_data_add_dict_u64(d, "ports", app->n_ports);
	return 0;
}

static int tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sl_lcore_stats sum;
	(void)cmd;
	(void)params;
	sl_stats_sum(&sum);
	rte_tel_data_start_dict(d);
	for (unsigned r = 0; r < SL_DROP_MAX; r++)
		rte_tel_data_add_dict_u64(d, sl_drop_reason_label(r), sum.drops[r]);
	return 0;
}

/* /sluice/port,<name>: the port's counters; without a name, the port names. */
static int tel_port(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sl_app *app = &sl_app;
	struct sl_lcore_stats sum;
	(void)cmd;
	if (params == NULL || params[0] == '\0') {
		rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
		for (uint16_t i = 0; i < app->n_ports; i++)
			rte_tel_data_add_array_string(d, app->ports[i].name);
		return 0;
	}
	for (uint16_t i = 0; i < app->n_ports; i++) {
		if (strcmp(params, app->ports[i].name) != 0)
			continue;
		sl_stats_sum(&sum);
		const struct sl_port_counters *c = &sum.port[i];
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_u64(d, "port_id", app->ports[i].port_id);
		rte_tel_data_add_dict_u64(d, "rx_packets", c->rx_packets);
		rte_tel_data_add_dict_u64(d, "rx_bytes", c->rx_bytes);
		rte_tel_data_add_dict_u64(d, "tx_packets", c->tx_packets);
		rte_tel_data_add_dict_u64(d, "tx_bytes", c->tx_bytes);
		rte_tel_data_add_dict_u64(d, "tx_dropped", c->tx_dropped);
		return 0;
	}
	return -1;
}

void sl_telemetry_register(void)
{
	rte_telemetry_register_cmd("/sluice/status", tel_status,
				   "sluice version, config generation, workers, ports");
	rte_telemetry_register_cmd("/sluice/drops", tel_drops,
				   "Packets dropped, by reason. Takes no parameters");
	rte_telemetry_register_cmd("/sluice/port", tel_port,
				   "A port's counters. Parameter: port name (none: list the names)");
}

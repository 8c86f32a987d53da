/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Ports: attaching devices, driver profiles, queues, RSS, link and xstats.
 *
 * A port is a named device from the config. Its driver profile
 * (drivers-config/<driver>.json) says which offloads and RSS hash types to ask
 * for, default descriptor counts, whether RX and TX queues come in tied pairs
 * (af_packet, tap) and how a vdev takes its queue count. Requests are always
 * intersected with what the device reports, with a warning for anything
 * missing, so a profile can never make a port fail to start.
 *
 * Queues: every worker has its own TX queue per port (queue = worker index)
 * and the management lcore the last one (mgmt_txq). RX queues are spread
 * over the workers by the caller.
 *
 * Threads: everything here runs on the management lcore, before workers
 * start or while they run (link, stats, xstats and MTU are safe then).
 */
#ifndef SL_PORT_H
#define SL_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_ether.h>
#include <rte_mempool.h>

#include "sl_config.h"
#include "sl_rss.h"

#define SL_PORT_DRIVER_MAX 32

struct sl_port_profile {
	char driver[SL_PORT_DRIVER_MAX]; /**< profile name ("default" if none matched) */
	bool matched;                    /**< false: defaults for an unknown driver */
	bool tied_pairs;                 /**< RX and TX queue counts must be equal */
	char vdev_queue_arg[16];         /**< devarg that sets a vdev's queue count */
	uint16_t max_rx, max_tx;         /**< queue caps on top of the device's */
	uint16_t rx_desc, tx_desc;       /**< default descriptors per queue */
	bool rss_enabled;
	bool rss_symmetric;              /**< use a symmetric Toeplitz key */
	uint64_t rss_hf;                 /**< RTE_ETH_RSS_* wanted */
	uint64_t rx_offloads, tx_offloads; /**< RTE_ETH_*_OFFLOAD_* wanted */
	bool promiscuous;
	bool mtu_settable;
	bool handoff_required;           /**< no symmetric RSS: flows need a handoff */
};

/**
 * Load the profile for @p driver from @p dir: the file <driver>.json, or a
 * file listing it in "aliases". Without one, load dir/default.json (or
 * built-in defaults) and leave matched false. 0, or -EINVAL with @p err
 * naming the file and field when a profile file is malformed.
 */
int sl_port_profile_load(const char *dir, const char *driver,
			 struct sl_port_profile *out, char *err, size_t err_len);

/** Parse one profile document (used by load and by tests). */
int sl_port_profile_parse(const json_t *doc, struct sl_port_profile *out,
			  char *err, size_t err_len);

struct sl_port {
	char name[SL_CONFIG_NAME_MAX];
	uint16_t index;              /**< sluice port index = config order */
	uint16_t port_id;            /**< DPDK ethdev port id */
	char device[SL_CONFIG_DEVICE_MAX]; /**< device string as probed */
	char driver[SL_PORT_DRIVER_MAX];   /**< driver name the device reported */
	struct rte_ether_addr mac;
	uint16_t n_rxq, n_txq;
	uint16_t mgmt_txq;           /**< TX queue of the management lcore */
	uint16_t mtu;                /**< L3 MTU in effect */
	uint16_t rx_desc, tx_desc;
	uint64_t rss_hf;             /**< RSS hash types in effect (0 = no RSS) */
	bool rss_symmetric;
	uint64_t rx_offloads, tx_offloads; /**< in effect */
	bool attached, started;
	struct sl_port_profile profile;
};

/**
 * Make the device exist: probe a vdev (adding the profile's queue argument
 * for @p n_queues) or find an already-probed PCI device, then load the driver
 * profile it reports. 0 or -errno with @p err saying what failed.
 */
int sl_port_attach(struct sl_port *p, uint16_t index, const struct sl_config_port *cfg,
		   uint16_t n_queues, const char *profiles_dir, char *err, size_t err_len);

/**
 * Configure queues, RSS, offloads, MTU, MAC and promiscuous mode.
 * @p n_workers workers get a TX queue each; one more for management.
 */
int sl_port_configure(struct sl_port *p, const struct sl_config_port *cfg,
		      uint16_t n_workers, struct rte_mempool *pool, char *err, size_t err_len);

/** Queue count a port will use for @p n_workers (before attach, for vdevs). */
uint16_t sl_port_queue_count(const struct sl_config_port *cfg, uint16_t n_workers,
			     const struct sl_port_profile *profile);

int sl_port_start(struct sl_port *p, char *err, size_t err_len);

/**
 * Where this port's RSS delivers each packet, read back from the device
 * (key, hash types, RETA) with @p queue_worker naming the worker that polls
 * each RX queue. 0; -ENOTSUP when the port does not spread by RSS; another
 * -errno when the device will not say or does what sluice cannot follow.
 */
int sl_port_rss_steer(const struct sl_port *p, const uint8_t *queue_worker,
		      struct sl_rss_steer *s);
/** Stop, close and detach; safe on a port never attached. */
void sl_port_close(struct sl_port *p);

/** Change the MTU live. The data plane's MTU check follows the config. */
int sl_port_set_mtu(struct sl_port *p, uint16_t mtu);

struct sl_port_link {
	bool up;
	uint32_t speed_mbps;    /**< 0 if unknown */
	bool full_duplex;
};
void sl_port_link_get(const struct sl_port *p, struct sl_port_link *link);

/** Extended stats as {"name": value, ...}; NULL on failure. */
json_t *sl_port_xstats_json(const struct sl_port *p);

/** Driver-level counters (for missed packets and errors). */
struct sl_port_hw_stats {
	uint64_t rx_missed;     /**< dropped by the device: no descriptor */
	uint64_t rx_errors;
	uint64_t tx_errors;
	uint64_t rx_nombuf;
};
void sl_port_hw_stats_get(const struct sl_port *p, struct sl_port_hw_stats *s);

/** Offload names as DPDK spells them ("IPV4_CKSUM"); 0 or -EINVAL. */
int sl_port_offload_parse(const char *name, bool rx, uint64_t *bit);

/**
 * Kernel ports (sl_port_kernel.c): for every port of @p cfg with a
 * kernel_address, give the host's side of its net_tap interface that
 * address and a routing table of its own whose default route is sluice
 * (so what the host sends from it is routed through sluice). 0, or an
 * error naming the port. Thread: management, after the ports started.
 */
int sl_port_kernel_up(const struct sl_config *cfg, char *err, size_t len);
/** Remove what sl_port_kernel_up() added to the host's routing. */
void sl_port_kernel_down(const struct sl_config *cfg);

#endif /* SL_PORT_H */

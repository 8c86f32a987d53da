/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port bring-up.
 *
 * Principles: ask for what the profile wants, take what the device has, and
 * say in the log what was not granted. Symmetric RSS uses the repeated
 * 0x6d5a Toeplitz key, which hashes (a, b) and (b, a) alike, so both
 * directions of a flow land on the same queue without a handoff.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include "sl_log.h"
#include "sl_port.h"

#define RSS_KEY_MAX 128

/* Driver name of a vdev string: "net_af_packet0,iface=x" -> "net_af_packet". */
static void vdev_driver(const char *device, char *out, size_t len)
{
	size_t n = strcspn(device, ",");
	while (n > 0 && device[n - 1] >= '0' && device[n - 1] <= '9')
		n--;
	snprintf(out, len, "%.*s", (int)n, device);
}

uint16_t sl_port_queue_count(const struct sl_config_port *cfg, uint16_t n_workers,
			     const struct sl_port_profile *profile)
{
	uint16_t rxq = cfg->queues ? cfg->queues : n_workers;
	if (rxq > profile->max_rx)
		rxq = profile->max_rx;
	if (rxq == 0)
		rxq = 1;
	if (profile->tied_pairs) {
		uint16_t txq = n_workers + 1;
		return rxq > txq ? rxq : txq;
	}
	return rxq;
}

static int find_port(const char *name, uint16_t *port_id)
{
	if (rte_eth_dev_get_port_by_name(name, port_id) == 0)
		return 0;
	/* PCI devices may be spelled without the domain. */
	char full[SL_CONFIG_DEVICE_MAX + 8];
	snprintf(full, sizeof(full), "0000:%s", name);
	return rte_eth_dev_get_port_by_name(full, port_id);
}

int sl_port_attach(struct sl_port *p, uint16_t index, const struct sl_config_port *cfg,
		   uint16_t n_workers, const char *profiles_dir, char *err, size_t err_len)
{
	char guess[SL_PORT_DRIVER_MAX], name[SL_CONFIG_DEVICE_MAX];
	struct rte_eth_dev_info info;
	int rc;

	memset(p, 0, sizeof(*p));
	p->index = index;
	snprintf(p->name, sizeof(p->name), "%s", cfg->name);
	snprintf(p->device, sizeof(p->device), "%s", cfg->device);

	if (!cfg->device_is_pci) {
		/* Profile from the vdev's name, to know how it takes its queue count. */
		vdev_driver(cfg->device, guess, sizeof(guess));
		rc = sl_port_profile_load(profiles_dir, guess, &p->profile, err, err_len);
		if (rc < 0)
			return rc;
		uint16_t nq = sl_port_queue_count(cfg, n_workers, &p->profile);
		if (p->profile.vdev_queue_arg[0] != '\0' &&
		    strstr(cfg->device, p->profile.vdev_queue_arg) == NULL &&
		    snprintf(p->device, sizeof(p->device), "%s,%s=%u", cfg->device,
			     p->profile.vdev_queue_arg, nq) >= (int)sizeof(p->device)) {
			snprintf(err, err_len, "ports[%s].device: too long", cfg->name);
			return -ENAMETOOLONG;
		}
		rc = rte_dev_probe(p->device);
		if (rc < 0) {
			snprintf(err, err_len, "ports[%s].device: cannot probe \"%s\": %s",
				 cfg->name, p->device, strerror(-rc));
			return rc;
		}
	}
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(cfg->device, ","), cfg->device);
	if (find_port(name, &p->port_id) != 0) {
		snprintf(err, err_len, "ports[%s].device: no such device \"%s\"%s", cfg->name,
			 name, cfg->device_is_pci ? " (is it bound to vfio-pci or a bifurcated driver?)" : "");
		return -ENODEV;
	}
	p->attached = true;
	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc != 0) {
		snprintf(err, err_len, "ports[%s]: cannot read device info: %s", cfg->name, strerror(-rc));
		return rc;
	}
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);
	if (cfg->device_is_pci || strcmp(p->profile.driver, p->driver) != 0) {
		rc = sl_port_profile_load(profiles_dir, p->driver, &p->profile, err, err_len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Grant what the device has; log what it lacks. */
static uint64_t grant(const char *port, const char *what, uint64_t want, uint64_t capa, bool rx)
{
	uint64_t missing = want & ~capa;
	for (unsigned i = 0; missing && i < 64; i++) {
		if (!(missing & (1ULL << i)))
			continue;
		SL_LOG(WARN, "port", "port %s: %s offload %s not supported by the device", port, what,
		       rx ? rte_eth_dev_rx_offload_name(1ULL << i) : rte_eth_dev_tx_offload_name(1ULL << i));
	}
	return want & capa;
}

static void setup_rss(struct sl_port *p, const struct rte_eth_dev_info *info,
		      struct rte_eth_conf *conf, uint8_t *key)
{
	if (!p->profile.rss_enabled || p->n_rxq < 2)
		return;
	p->rss_hf = p->profile.rss_hf & info->flow_type_rss_offloads;
	if (p->rss_hf == 0) {
		SL_LOG(WARN, "port", "port %s: device offers none of the wanted RSS hash types; "
		       "all traffic lands on queue 0", p->name);
		return;
	}
	conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf->rx_adv_conf.rss_conf.rss_hf = p->rss_hf;
	if (p->profile.rss_symmetric && info->hash_key_size > 0 && info->hash_key_size <= RSS_KEY_MAX) {
		for (unsigned i = 0; i < info->hash_key_size; i += 2) {
			key[i] = 0x6d;
			key[i + 1] = 0x5a;
		}
		conf->rx_adv_conf.rss_conf.rss_key = key;
		conf->rx_adv_conf.rss_conf.rss_key_len = info->hash_key_size;
		p->rss_symmetric = true;
	}
}

static int setup_queues(struct sl_port *p, const struct rte_eth_dev_info *info,
			struct rte_mempool *pool, char *err, size_t err_len)
{
	int socket = rte_eth_dev_socket_id(p->port_id);
	struct rte_eth_rxconf rxc = info->default_rxconf;
	struct rte_eth_txconf txc = info->default_txconf;
	int rc;

	rxc.offloads = p->rx_offloads;
	txc.offloads = p->tx_offloads;
	for (uint16_t q = 0; q < p->n_rxq; q++) {
		rc = rte_eth_rx_queue_setup(p->port_id, q, p->rx_desc, socket < 0 ? 0 : socket, &rxc, pool);
		if (rc < 0) {
			snprintf(err, err_len, "ports[%s]: RX queue %u setup failed: %s", p->name, q, strerror(-rc));
			return rc;
		}
	}
	for (uint16_t q = 0; q < p->n_txq; q++) {
		rc = rte_eth_tx_queue_setup(p->port_id, q, p->tx_desc, socket < 0 ? 0 : socket, &txc);
		if (rc < 0) {
			snprintf(err, err_len, "ports[%s]: TX queue %u setup failed: %s", p->name, q, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int sl_port_configure(struct sl_port *p, const struct sl_config_port *cfg,
		      uint16_t n_workers, struct rte_mempool *pool, char *err, size_t err_len)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint8_t key[RSS_KEY_MAX];
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc != 0) {
		snprintf(err, err_len, "ports[%s]: cannot read device info: %s", p->name, strerror(-rc));
		return rc;
	}
	uint16_t want_rx = sl_port_queue_count(cfg, n_workers, &p->profile);
	uint16_t want_tx = p->profile.tied_pairs ? want_rx : n_workers + 1;
	if (want_tx > info.max_tx_queues || want_tx > p->profile.max_tx) {
		snprintf(err, err_len, "ports[%s]: needs %u TX queues (one per worker and one for "
			 "management), the device has %u", p->name, want_tx,
			 RTE_MIN(info.max_tx_queues, p->profile.max_tx));
		return -ENOSPC;
	}
	p->n_rxq = RTE_MIN(want_rx, info.max_rx_queues);
	p->n_txq = want_tx;
	p->mgmt_txq = n_workers;
	p->rx_desc = cfg->rx_desc ? cfg->rx_desc : p->profile.rx_desc;
	p->tx_desc = cfg->tx_desc ? cfg->tx_desc : p->profile.tx_desc;
	rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &p->rx_desc, &p->tx_desc);

	p->rx_offloads = grant(p->name, "RX", p->profile.rx_offloads, info.rx_offload_capa, true);
	p->tx_offloads = grant(p->name, "TX", p->profile.tx_offloads, info.tx_offload_capa, false);
	conf.rxmode.offloads = p->rx_offloads;
	conf.txmode.offloads = p->tx_offloads;
	setup_rss(p, &info, &conf, key);

	rc = rte_eth_dev_configure(p->port_id, p->n_rxq, p->n_txq, &conf);
	if (rc < 0) {
		snprintf(err, err_len, "ports[%s]: configure failed: %s", p->name, strerror(-rc));
		return rc;
	}
	rc = sl_port_set_mtu(p, cfg->mtu);
	if (rc < 0)
		SL_LOG(WARN, "port", "port %s: device refused MTU %u (%s); sluice still enforces it",
		       p->name, cfg->mtu, strerror(-rc));
	p->mtu = cfg->mtu;
	if (cfg->has_mac) {
		memcpy(p->mac.addr_bytes, cfg->mac, 6);
		rc = rte_eth_dev_default_mac_addr_set(p->port_id, &p->mac);
		if (rc < 0) {
			snprintf(err, err_len, "ports[%s].mac: device refused it: %s", p->name, strerror(-rc));
			return rc;
		}
	}
	rte_eth_macaddr_get(p->port_id, &p->mac);
	return setup_queues(p, &info, pool, err, err_len);
}

int sl_port_start(struct sl_port *p, char *err, size_t err_len)
{
	int rc = rte_eth_dev_start(p->port_id);
	if (rc < 0) {
		snprintf(err, err_len, "ports[%s]: start failed: %s", p->name, strerror(-rc));
		return rc;
	}
	p->started = true;
	if (p->profile.promiscuous) {
		rc = rte_eth_promiscuous_enable(p->port_id);
		if (rc < 0)
			SL_LOG(WARN, "port", "port %s: promiscuous mode refused: %s", p->name, strerror(-rc));
	}
	SL_LOG(INFO, "port", "port %s up: driver %s, mac %02x:%02x:%02x:%02x:%02x:%02x, "
	       "%u RX / %u TX queues, mtu %u, rss %s%s", p->name, p->driver,
	       RTE_ETHER_ADDR_BYTES(&p->mac), p->n_rxq, p->n_txq, p->mtu,
	       p->rss_hf ? "on" : "off", p->rss_symmetric ? " (symmetric)" : "");
	return 0;
}

int sl_port_rss_steer(const struct sl_port *p, const uint8_t *queue_worker,
		      struct sl_rss_steer *s)
{
	struct rte_eth_dev_info info;
	if (p->rss_hf == 0 || p->n_rxq < 2)
		return -ENOTSUP;
	int rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc != 0)
		return rc;
	if (info.reta_size == 0 || info.reta_size > SL_RSS_RETA_MAX ||
	    info.hash_key_size == 0 || info.hash_key_size > SL_RSS_KEY_MAX)
		return -ENOTSUP;
	uint8_t key[SL_RSS_KEY_MAX];
	struct rte_eth_rss_conf conf = {.rss_key = key, .rss_key_len = info.hash_key_size};
	rc = rte_eth_dev_rss_hash_conf_get(p->port_id, &conf);
	if (rc != 0)
		return rc;
	struct rte_eth_rss_reta_entry64 groups[SL_RSS_RETA_MAX / RTE_ETH_RETA_GROUP_SIZE];
	memset(groups, 0, sizeof(groups));
	for (unsigned i = 0; i < info.reta_size; i++)
		groups[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ULL << (i % RTE_ETH_RETA_GROUP_SIZE);
	rc = rte_eth_dev_rss_reta_query(p->port_id, groups, info.reta_size);
	if (rc != 0)
		return rc;
	uint16_t reta[SL_RSS_RETA_MAX];
	for (unsigned i = 0; i < info.reta_size; i++)
		reta[i] = groups[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
	return sl_rss_steer_init(s, conf.rss_hf, key, conf.rss_key_len, reta, info.reta_size,
				 queue_worker, p->n_rxq);
}

void sl_port_close(struct sl_port *p)
{
	if (!p->attached)
		return;
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;
	if (rte_eth_dev_info_get(p->port_id, &info) == 0)
		dev = info.device;
	if (p->started)
		rte_eth_dev_stop(p->port_id);
	rte_eth_dev_close(p->port_id);
	if (dev != NULL)
		rte_dev_remove(dev);
	p->started = false;
	p->attached = false;
}

int sl_port_set_mtu(struct sl_port *p, uint16_t mtu)
{
	int rc = rte_eth_dev_set_mtu(p->port_id, mtu);
	if (rc == 0)
		p->mtu = mtu;
	return rc;
}

void sl_port_link_get(const struct sl_port *p, struct sl_port_link *link)
{
	struct rte_eth_link l;
	memset(link, 0, sizeof(*link));
	if (rte_eth_link_get_nowait(p->port_id, &l) != 0)
		return;
	link->up = l.link_status == RTE_ETH_LINK_UP;
	link->speed_mbps = l.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : l.link_speed;
	link->full_duplex = l.link_duplex == RTE_ETH_LINK_FULL_DUPLEX;
}

json_t *sl_port_xstats_json(const struct sl_port *p)
{
	int n = rte_eth_xstats_get_names(p->port_id, NULL, 0);
	if (n < 0)
		return NULL;
	struct rte_eth_xstat_name *names = calloc((size_t)n + 1, sizeof(*names));
	struct rte_eth_xstat *vals = calloc((size_t)n + 1, sizeof(*vals));
	json_t *out = NULL;
	if (names == NULL || vals == NULL)
		goto out_free;
	if (rte_eth_xstats_get_names(p->port_id, names, (unsigned)n) != n ||
	    rte_eth_xstats_get(p->port_id, vals, (unsigned)n) != n)
		goto out_free;
	out = json_object();
	for (int i = 0; i < n; i++)
		json_object_set_new(out, names[vals[i].id].name, json_integer((json_int_t)vals[i].value));
out_free:
	free(names);
	free(vals);
	return out;
}

void sl_port_hw_stats_get(const struct sl_port *p, struct sl_port_hw_stats *s)
{
	struct rte_eth_stats st;
	memset(s, 0, sizeof(*s));
	if (rte_eth_stats_get(p->port_id, &st) != 0)
		return;
	s->rx_missed = st.imissed;
	s->rx_errors = st.ierrors;
	s->tx_errors = st.oerrors;
	s->rx_nombuf = st.rx_nombuf;
}

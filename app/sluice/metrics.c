/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /metrics: per-lcore counters summed at scrape time.
 *
 * Names: sluice_ prefix, base units, _total for counters; port series use
 * node_exporter's words (receive/transmit, packets/bytes/drop/errs). Labels
 * are bounded (port, reason, lcore, configured service and backend): never a
 * client's address.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_version.h>

#include "sl_build_config.h"
#include "sluice.h"

struct port_metric {
	const char *name;
	const char *help;
	size_t offset;     /* into struct sl_port_counters */
};

static const struct port_metric port_metrics[] = {
	{"sluice_port_receive_packets_total", "Packets received on the port.",
	 offsetof(struct sl_port_counters, rx_packets)},
	{"sluice_port_receive_bytes_total", "Bytes received on the port (Ethernet frames).",
	 offsetof(struct sl_port_counters, rx_bytes)},
	{"sluice_port_transmit_packets_total", "Packets transmitted on the port.",
	 offsetof(struct sl_port_counters, tx_packets)},
	{"sluice_port_transmit_bytes_total", "Bytes transmitted on the port (Ethernet frames).",
	 offsetof(struct sl_port_counters, tx_bytes)},
	{"sluice_port_transmit_drop_total", "Packets dropped on transmit (queue full).",
	 offsetof(struct sl_port_counters, tx_dropped)},
};

/* One family with one sample per port, from @p v[port]. */
static void per_port(struct sl_app *app, struct sl_buf *b, const char *name,
		     enum sl_metric_type type, const char *help, const uint64_t *v)
{
	sl_metrics_family(b, name, type, help);
	for (uint16_t i = 0; i < app->n_ports; i++) {
		const char *labels[] = {"port", app->ports[i].name, NULL};
		sl_metrics_sample_u64(b, name, NULL, labels, v[i]);
	}
}

static void render_ports(struct sl_app *app, struct sl_buf *b, const struct sl_lcore_stats *sum)
{
	uint64_t v[SL_MAX_PORTS];
	for (unsigned m = 0; m < RTE_DIM(port_metrics); m++) {
		for (uint16_t i = 0; i < app->n_ports; i++)
			v[i] = *(const uint64_t *)((const char *)&sum->port[i] + port_metrics[m].offset);
		per_port(app, b, port_metrics[m].name, SL_METRIC_COUNTER, port_metrics[m].help, v);
	}
	struct sl_port_hw_stats hw[SL_MAX_PORTS];
	for (uint16_t i = 0; i < app->n_ports; i++) {
		sl_port_hw_stats_get(&app->ports[i], &hw[i]);
		v[i] = hw[i].rx_missed + hw[i].rx_nombuf;
	}
	per_port(app, b, "sluice_port_receive_drop_total", SL_METRIC_COUNTER,
		 "Packets the device dropped for lack of RX descriptors or mbufs.", v);
	for (uint16_t i = 0; i < app->n_ports; i++)
		v[i] = hw[i].rx_errors;
	per_port(app, b, "sluice_port_receive_errs_total", SL_METRIC_COUNTER,
		 "Erroneous frames the device received.", v);
	for (uint16_t i = 0; i < app->n_ports; i++) {
		struct sl_port_link link;
		sl_port_link_get(&app->ports[i], &link);
		v[i] = link.up;
	}
	per_port(app, b, "sluice_port_up", SL_METRIC_GAUGE, "1 if the port's link is up.", v);
	for (uint16_t i = 0; i < app->n_ports; i++)
		v[i] = app->ports[i].mtu;
	per_port(app, b, "sluice_port_mtu_bytes", SL_METRIC_GAUGE, "The port's L3 MTU.", v);
}

static void render_drops(struct sl_buf *b, const struct sl_lcore_stats *sum)
{
	sl_metrics_family(b, "sluice_drop_packets_total", SL_METRIC_COUNTER,
			  "Packets dropped, by reason.");
	for (unsigned r = 0; r < SL_DROP_MAX; r++) {
		const char *labels[] = {"reason", sl_drop_reason_label(r), NULL};
		sl_metrics_sample_u64(b, "sluice_drop_packets_total", NULL, labels, sum->drops[r]);
	}
}

static void counter(struct sl_buf *b, const char *name, const char *help, uint64_t v)
{
	sl_metrics_family(b, name, SL_METRIC_COUNTER, help);
	sl_metrics_sample_u64(b, name, NULL, NULL, v);
}

static void gauge(struct sl_buf *b, const char *name, const char *help, double v)
{
	sl_metrics_family(b, name, SL_METRIC_GAUGE, help);
	sl_metrics_sample(b, name, NULL, NULL, v);
}

static void render_latency(struct sl_app *app, struct sl_buf *b, const struct sl_lcore_stats *sum)
{
	const char *name = "sluice_packet_latency_seconds";
	uint64_t cum = 0;
	char le[32];
	sl_metrics_family(b, name, SL_METRIC_HISTOGRAM,
			  "Time from the RX burst to the TX burst of forwarded packets.");
	for (unsigned i = 0; i < SL_LATENCY_NBUCKETS; i++) {
		cum += sum->latency_bucket[i];
		if (i < SL_LATENCY_NBUCKETS - 1)
			snprintf(le, sizeof(le), "%g", sl_stats_latency_bound_seconds(i));
		else
			snprintf(le, sizeof(le), "+Inf");
		const char *labels[] = {"le", le, NULL};
		sl_metrics_sample_u64(b, name, "_bucket", labels, cum);
	}
	sl_metrics_sample(b, name, "_sum", NULL,
			  (double)sum->latency_sum_cycles / (double)app->tsc_hz);
	sl_metrics_sample_u64(b, name, "_count", NULL, sum->latency_count);
}

static double worker_busy_ratio(const struct sl_app *app, const struct sl_worker *w)
{
	(void)app;
	return w->busy_ratio;
}

static double worker_rx_packets(const struct sl_app *app, const struct sl_worker *w)
{
	return (double)sl_worker_rx_packets(app, w);
}

static double worker_busy_seconds(const struct sl_app *app, const struct sl_worker *w)
{
	return (double)sl_lcore_stats[w->lcore_id].busy_cycles / (double)app->tsc_hz;
}

static double worker_polls(const struct sl_app *app, const struct sl_worker *w)
{
	(void)app;
	return (double)sl_lcore_stats[w->lcore_id].polls;
}

static double worker_wg_decrypted(const struct sl_app *app, const struct sl_worker *w)
{
	(void)app;
	return (double)sl_lcore_stats[w->lcore_id].wg_decrypted;
}

static double worker_wg_encrypted(const struct sl_app *app, const struct sl_worker *w)
{
	(void)app;
	return (double)sl_lcore_stats[w->lcore_id].wg_encrypted;
}

static const struct {
	const char *name;
	enum sl_metric_type type;
	const char *help;
	double (*value)(const struct sl_app *app, const struct sl_worker *w);
} worker_metrics[] = {
	{"sluice_lcore_busy_ratio", SL_METRIC_GAUGE,
	 "Share of a worker's polling time spent on packets, last second.", worker_busy_ratio},
	{"sluice_lcore_receive_packets_total", SL_METRIC_COUNTER,
	 "Packets a worker received, over all its RX queues.", worker_rx_packets},
	{"sluice_lcore_busy_seconds_total", SL_METRIC_COUNTER,
	 "Time a worker spent on loop iterations that had packets (TSC); divided by the "
	 "packets it received, the worker's cost per packet.", worker_busy_seconds},
	{"sluice_lcore_polls_total", SL_METRIC_COUNTER,
	 "Polling rounds of a worker over all its RX queues; received packets divided by "
	 "rounds is the mean burst.", worker_polls},
	{"sluice_lcore_wireguard_decrypted_total", SL_METRIC_COUNTER,
	 "WireGuard data messages a worker opened and accepted (keepalives included).",
	 worker_wg_decrypted},
	{"sluice_lcore_wireguard_encrypted_total", SL_METRIC_COUNTER,
	 "WireGuard data messages a worker sealed.", worker_wg_encrypted},
};

/* One family per worker metric, one sample per worker (counters below 2^53
 * print as exact integers). */
static void render_lcores(struct sl_app *app, struct sl_buf *b)
{
	char id[16];
	for (unsigned m = 0; m < RTE_DIM(worker_metrics); m++) {
		sl_metrics_family(b, worker_metrics[m].name, worker_metrics[m].type,
				  worker_metrics[m].help);
		for (unsigned i = 0; i < app->n_workers; i++) {
			snprintf(id, sizeof(id), "%u", app->workers[i].lcore_id);
			const char *labels[] = {"lcore", id, "role", "worker", NULL};
			sl_metrics_sample(b, worker_metrics[m].name, NULL, labels,
					  worker_metrics[m].value(app, &app->workers[i]));
		}
	}
}

static void render_neighbors(struct sl_app *app, struct sl_buf *b)
{
	uint64_t by_state[SL_NEIGH_PERMANENT + 1] = {0};
	const struct sl_neigh_table *t = app->neigh;
	for (uint32_t i = 0; i < t->capacity * 2; i++) {
		if (!t->entries[i].in_use)
			continue;
		uint8_t s = SL_NEIGH_WORD_STATE(t->entries[i].word);
		if (s <= SL_NEIGH_PERMANENT)
			by_state[s]++;
	}
	sl_metrics_family(b, "sluice_neighbors", SL_METRIC_GAUGE, "Neighbor entries by state.");
	for (uint8_t s = SL_NEIGH_INCOMPLETE; s <= SL_NEIGH_PERMANENT; s++) {
		const char *labels[] = {"state", sl_neigh_state_name(s), NULL};
		sl_metrics_sample_u64(b, "sluice_neighbors", NULL, labels, by_state[s]);
	}
	gauge(b, "sluice_neighbors_limit", "Entries the neighbor table holds; unsolicited learning "
	      "stops at three quarters of it.", (double)t->capacity);
}

/* Answers of the REST API, /metrics and health endpoints by HTTP status;
 * only codes that occurred, so the label set stays a handful. */
static void render_api(struct sl_app *app, struct sl_buf *b)
{
	char code[8];
	sl_metrics_family(b, "sluice_api_requests_total", SL_METRIC_COUNTER,
			  "HTTP requests the management server answered, by status code.");
	for (unsigned c = SL_MGMT_STATUS_MIN; c <= SL_MGMT_STATUS_MAX; c++) {
		uint64_t n = sl_mgmt_server_responses(app->http, c);
		if (n == 0)
			continue;
		snprintf(code, sizeof(code), "%u", c);
		const char *labels[] = {"code", code, NULL};
		sl_metrics_sample_u64(b, "sluice_api_requests_total", NULL, labels, n);
	}
}

/* Connection tracking, when the flow section has it on. */
static void render_flows(struct sl_app *app, struct sl_buf *b, const struct sl_lcore_stats *sum)
{
	uint64_t by_state[SL_CT_NSTATES] = {0};
	if (app->flows == NULL)
		return;
	for (unsigned i = 0; i < app->n_workers; i++)
		for (unsigned s = 0; s < SL_CT_NSTATES; s++)
			by_state[s] += __atomic_load_n(&app->workers[i].flow.by_state[s],
						       __ATOMIC_RELAXED);
	sl_metrics_family(b, "sluice_flow_connections", SL_METRIC_GAUGE,
			  "Tracked connections by state (TCP's as nf_conntrack names them; udp "
			  "unreplied/replied, icmp echo, other protocols).");
	for (unsigned s = SL_CT_TCP_SYN_SENT; s < SL_CT_NSTATES; s++) {
		const char *labels[] = {"state", sl_ct_state_name((uint8_t)s), NULL};
		sl_metrics_sample_u64(b, "sluice_flow_connections", NULL, labels, by_state[s]);
	}
	gauge(b, "sluice_flow_connections_limit", "Connections the table holds (flow.max_connections).",
	      (double)app->flows->capacity);
	counter(b, "sluice_flow_created_total", "Connections created.", sum->flow_created);
	counter(b, "sluice_flow_removed_total", "Connections removed: expired, closed or flushed.",
		sum->flow_removed);
	counter(b, "sluice_flow_evicted_total",
		"Connections still in their handshake evicted to make room for a new one.",
		sum->flow_evicted);
	counter(b, "sluice_flow_mss_clamped_total",
		"TCP SYNs whose MSS option was lowered to what the egress MTU carries.",
		sum->flow_mss_clamped);
	counter(b, "sluice_flow_handoffs_total",
		"Packets handed from the worker that received them to the worker that owns their "
		"connection.", sum->flow_handoff_out);
}

/* What one backend series shows. */
enum backend_value { BE_UP, BE_OPEN, BE_OPENED, BE_PACKETS, BE_BYTES, BE_VALUES };

static uint64_t backend_value(const struct sl_lb *lb, const struct sl_lb_backend *be,
			      enum backend_value what)
{
	uint64_t opened, packets, bytes;
	switch (what) {
	case BE_UP:
		return lb->slots[be->slot].health == SL_LB_UP;
	case BE_OPEN:
		return sl_lb_open(lb, be->slot);
	default:
		sl_lb_backend_totals(lb, be->slot, &opened, &packets, &bytes);
		return what == BE_OPENED ? opened : what == BE_PACKETS ? packets : bytes;
	}
}

/* Services: labels are the configured service names and backend addresses. */
static void render_services(struct sl_app *app, struct sl_buf *b)
{
	static const struct {
		const char *name, *help;
		enum sl_metric_type type;
	} fam[BE_VALUES] = {
		[BE_UP] = {"sluice_service_backend_up", "1 if the backend is up (health checks "
			   "passing, or none configured), else 0.", SL_METRIC_GAUGE},
		[BE_OPEN] = {"sluice_service_connections", "Open (not closing) connections to the "
			     "backend.", SL_METRIC_GAUGE},
		[BE_OPENED] = {"sluice_service_connections_opened_total", "Connections the "
			       "scheduler sent to the backend.", SL_METRIC_COUNTER},
		[BE_PACKETS] = {"sluice_service_packets_total", "Packets of the backend's "
				"connections, both directions.", SL_METRIC_COUNTER},
		[BE_BYTES] = {"sluice_service_bytes_total", "IP bytes of the backend's connections, "
			      "both directions.", SL_METRIC_COUNTER},
	};
	const struct sl_lb_view *v = app->lb != NULL ? sl_lb_view_get(app->lb) : NULL;
	if (v == NULL || v->n_services == 0)
		return;
	for (unsigned f = 0; f < BE_VALUES; f++) {
		sl_metrics_family(b, fam[f].name, fam[f].type, fam[f].help);
		for (unsigned i = 0; i < v->n_services; i++) {
			const struct sl_lb_service *svc = &v->services[i];
			for (unsigned k = 0; k < svc->n_backends; k++) {
				const struct sl_lb_backend *be = &svc->backends[k];
				struct sl_addr a = {.af = be->af == 4 ? SL_AF_INET : SL_AF_INET6};
				char addr[INET6_ADDRSTRLEN], label[INET6_ADDRSTRLEN + 8];
				memcpy(be->af == 4 ? (void *)&a.v4 : a.v6, be->addr, be->af == 4 ? 4 : 16);
				sl_format_addr(&a, addr, sizeof(addr));
				snprintf(label, sizeof(label), be->af == 4 ? "%s:%u" : "[%s]:%u", addr,
					 be->port);
				const char *labels[] = {"service", svc->name, "backend", label, NULL};
				sl_metrics_sample_u64(b, fam[f].name, NULL, labels,
						      backend_value(app->lb, be, f));
			}
		}
	}
	sl_metrics_family(b, "sluice_service_usable_backends", SL_METRIC_GAUGE,
			  "Backends taking new connections (up, weight above 0).");
	for (unsigned i = 0; i < v->n_services; i++) {
		const char *labels[] = {"service", v->services[i].name, NULL};
		sl_metrics_sample_u64(b, "sluice_service_usable_backends", NULL, labels,
				      v->services[i].n_usable);
	}
	sl_metrics_family(b, "sluice_service_no_backend_total", SL_METRIC_COUNTER,
			  "New connections refused because no backend was usable.");
	for (unsigned i = 0; i < v->n_services; i++) {
		const char *labels[] = {"service", v->services[i].name, NULL};
		sl_metrics_sample_u64(b, "sluice_service_no_backend_total", NULL, labels,
				      sl_lb_no_backend(app->lb, v->services[i].slot));
	}
}

void sl_metrics_render(struct sl_app *app, struct sl_buf *b)
{
	struct sl_lcore_stats sum;
	sl_stats_sum(&sum);

	const char *info[] = {"version", SLUICE_VERSION, "dpdk", rte_version(), NULL};
	sl_metrics_family(b, "sluice_build_info", SL_METRIC_GAUGE, "Build information; always 1.");
	sl_metrics_sample_u64(b, "sluice_build_info", NULL, info, 1);
	gauge(b, "sluice_start_time_seconds", "Start time of the process since the Unix epoch.",
	      (double)app->start_time);
	gauge(b, "sluice_config_generation", "Generation of the running configuration.",
	      (double)app->generation);
	counter(b, "sluice_config_applies_total", "Configuration changes applied.", app->applies_ok);
	counter(b, "sluice_config_rejects_total", "Configuration changes rejected.",
		app->applies_rejected);
	render_ports(app, b, &sum);
	render_drops(b, &sum);
	counter(b, "sluice_punted_packets_total", "Packets handed to the management lcore.",
		sum.punted);
	counter(b, "sluice_icmp_errors_sent_total", "ICMP errors sent.", sum.icmp_errors_sent);
	counter(b, "sluice_icmp_errors_ratelimited_total",
		"ICMP errors (and TCP resets) not sent because of the rate limit.",
		sum.icmp_errors_ratelimited);
	counter(b, "sluice_tcp_resets_sent_total",
		"TCP resets sent for segments refused on purpose: an ACL rule's reject, a SYN over its "
		"source's connection limit, a SYN-proxied client whose connection cannot open.",
		sum.tcp_resets_sent);
	counter(b, "sluice_ipv4_fragmented_packets_total",
		"IPv4 packets without DF fragmented for a smaller egress MTU.", sum.ipv4_fragmented);
	counter(b, "sluice_ipv4_fragments_created_total", "IPv4 fragments created.",
		sum.ipv4_fragments);
	render_latency(app, b, &sum);
	render_lcores(app, b);
	render_neighbors(app, b);
	render_flows(app, b, &sum);
	render_services(app, b);
	sl_metrics_render_acl(app, b);
	sl_metrics_render_ratelimit(app, b, &sum);
	sl_metrics_render_synproxy(app, b, &sum);
	sl_metrics_render_qos(app, b);
	sl_metrics_render_wg(app, b);
	sl_metrics_render_blocks(app, b);
	sl_metrics_render_sets(app, b);
	gauge(b, "sluice_mbuf_pool_available", "Free mbufs in the packet pool.",
	      (double)rte_mempool_avail_count(app->pool));
	gauge(b, "sluice_mbuf_pool_size", "Mbufs in the packet pool, free or in use.",
	      (double)app->pool->size);
	render_api(app, b);
}

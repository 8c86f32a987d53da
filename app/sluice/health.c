/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Health checks of services' backends: lib/lb decides, this wires it to the
 * IP stack (probes out of the management TX queue, their answers punted by
 * the workers' local-in dispatch) and to the connection table.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_tcp.h>

#include "sl_log.h"
#include "sluice.h"

static int probe_send(void *arg, uint8_t af, const uint8_t *src, const uint8_t *dst,
		      uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags)
{
	struct sl_app *app = arg;
	struct sl_ctl_tcp seg = {.af = af, .src = src, .dst = dst, .sport = sport, .dport = dport,
				 .seq = seq, .ack = ack, .flags = flags};
	return sl_ipstack_ctl_send_tcp(&app->ctl, sl_dp_current(app)->ip, &seg, rte_rdtsc());
}

/* Backends whose connections go once the view without them is published. */
static uint16_t kill[64];
static unsigned n_kill;

static void health_change(void *arg, const struct sl_lb_service *svc,
			  const struct sl_lb_backend *be, enum sl_lb_health h, const char *why)
{
	(void)arg;   /* the sweep waits for the new view: refresh() */
	char addr[INET6_ADDRSTRLEN];
	inet_ntop(be->af == 4 ? AF_INET : AF_INET6, be->addr, addr, sizeof(addr));
	if (h == SL_LB_UP) {
		SL_LOG(INFO, "health", "service %s: backend %s port %u is up (%s)", svc->name, addr,
		       be->port, why);
		return;
	}
	SL_LOG(WARN, "health", "service %s: backend %s port %u is down (%s)%s", svc->name, addr,
	       be->port, why, svc->drain ? "; its open connections continue" :
	       "; its open connections are removed");
	if (!svc->drain && n_kill < RTE_DIM(kill))
		kill[n_kill++] = be->slot;
}

/* How lib/lb reaches the IP stack; set once (kernel ports change only with a restart). */
static struct sl_lb_health_io io;

/* Publish the new health, then remove what "drain": false says must go
 * (in that order: no new connection reaches a backend after its sweep). */
static void refresh(struct sl_app *app)
{
	char err[256];
	if (sl_app_services_refresh(app, err, sizeof(err)) < 0)
		SL_LOG(ERR, "health", "cannot publish the services' new state: %s", err);
	for (unsigned i = 0; i < n_kill && app->flows != NULL; i++) {
		struct sl_flow_filter f = {.state = -1, .port = -1, .backend = kill[i]};
		sl_flow_kill(app->flows, &f);
	}
	n_kill = 0;
}

void sl_app_health_tick(struct sl_app *app, uint64_t now)
{
	if (app->lb != NULL && sl_lb_health_tick(app->lb, &io, now) > 0)
		refresh(app);
}

/* A packet the workers' local-in dispatch punted: a probe's answer, or not ours. */
static void local_in(void *arg, struct rte_mbuf *m, uint64_t now)
{
	struct sl_app *app = arg;
	const struct sl_pkt_meta *meta = sl_pkt_meta(m);
	int rc = -1;
	if (app->lb != NULL && meta->l4_proto == IPPROTO_TCP && meta->l4_len >= 20) {
		const struct rte_tcp_hdr *th = sl_pkt_l4(m);
		bool v4 = meta->l3_type == SL_L3_IPV4;
		const uint8_t *src = v4 ? (const uint8_t *)&sl_pkt_ipv4(m)->src_addr :
					  sl_pkt_ipv6(m)->src_addr;
		const uint8_t *dst = v4 ? (const uint8_t *)&sl_pkt_ipv4(m)->dst_addr :
					  sl_pkt_ipv6(m)->dst_addr;
		rc = sl_lb_health_input(app->lb, &io, v4 ? 4 : 6, src, dst, meta->src_port,
					meta->dst_port, rte_be_to_cpu_32(th->recv_ack),
					th->tcp_flags, now);
	}
	if (rc < 0) {
		sl_stats_drop(app->ctl.st, m, SL_DROP_LOCAL_UNHANDLED);
		return;
	}
	rte_pktmbuf_free(m);
	if (rc > 0)
		refresh(app);
}

void sl_app_health_init(struct sl_app *app)
{
	io = (struct sl_lb_health_io){.send = probe_send, .change = health_change, .arg = app,
				      .tsc_hz = app->tsc_hz};
	/* HTTP checks go out through the first kernel port. */
	for (unsigned i = 0; i < app->cfg->n_ports && io.http_src == 0; i++)
		if (app->cfg->ports[i].has_kernel_address)
			io.http_src = app->cfg->ports[i].kernel_address.addr.v4;
	app->ctl.local_in = local_in;
	app->ctl.local_in_arg = app;
}

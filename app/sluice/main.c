/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice: start, run, stop.
 *
 *   sluice [EAL args] -- --config FILE [--drivers-config DIR] [--check]
 *
 * Start-up is a straight line of steps, each of which either succeeds or
 * ends the process with one clear message and a non-zero exit, unwinding
 * what was already set up. SIGINT/SIGTERM stop the loops; ports are stopped
 * and closed, the EAL is cleaned up and the exit status is 0.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_version.h>

#include "sl_build_config.h"
#include "sl_log.h"
#include "sluice.h"

#define PUNT_RING_SIZE 4096
#define NEIGH_CAPACITY 4096
#define MBUF_CACHE 256
#define ERR_LEN 512

struct sl_app sl_app;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		__atomic_store_n(&sl_app.reload, 1, __ATOMIC_RELAXED);
	else
		__atomic_store_n(&sl_app.quit, 1, __ATOMIC_RELAXED);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: sluice [EAL options] -- --config FILE [--drivers-config DIR] [--check]\n"
		   "  --config FILE          configuration (JSON); applied changes are saved back to it\n"
		   "  --drivers-config DIR   driver profiles (default %s)\n"
		   "  --check                validate the configuration and exit\n"
		   "  --version              print the version and exit\n",
		SLUICE_DRIVERS_CONFIG_DIR);
}

struct app_opts {
	const char *config;
	const char *profiles;
	bool check;
};

/* Options after "--"; returns 0, 1 (done: --help/--version) or -EINVAL. */
static int parse_app_args(int argc, char **argv, struct app_opts *o)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"drivers-config", required_argument, NULL, 'd'},
		{"check", no_argument, NULL, 'k'},
		{"version", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'd': o->profiles = optarg; break;
		case 'k': o->check = true; break;
		case 'v': printf("sluice %s (%s)\n", SLUICE_VERSION, rte_version()); return 1;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return -EINVAL;
		}
	}
	if (o->config == NULL) {
		fprintf(stderr, "sluice: --config FILE is required\n");
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

static const char *default_profiles_dir(void)
{
	/* A build tree run finds the source tree's profiles; an install, its own. */
	if (access(SLUICE_DRIVERS_CONFIG_DIR, R_OK) == 0)
		return SLUICE_DRIVERS_CONFIG_DIR;
	return SLUICE_SOURCE_DRIVERS_CONFIG_DIR;
}

static int fatal(const char *what)
{
	SL_LOG(ERR, "main", "%s", what);
	return 1;
}

static int create_pool(struct sl_app *app, const struct sl_config *cfg, char *err, size_t len)
{
	uint16_t max_mtu = 1500;
	for (unsigned i = 0; i < cfg->n_ports; i++)
		max_mtu = RTE_MAX(max_mtu, cfg->ports[i].mtu);
	uint32_t room = RTE_MAX((uint32_t)RTE_MBUF_DEFAULT_BUF_SIZE,
				(uint32_t)(RTE_PKTMBUF_HEADROOM + max_mtu + RTE_ETHER_HDR_LEN + 8));
	/* Descriptors of every queue, per-lcore caches, pending queues, slack. */
	uint32_t n = cfg->n_device_ports * (SL_MAX_WORKERS + 1) * 2048u / 4 +
		     rte_lcore_count() * MBUF_CACHE + NEIGH_CAPACITY + PUNT_RING_SIZE + 8192;
	app->pool = rte_pktmbuf_pool_create("sl_mbuf", n, MBUF_CACHE, SL_PKT_PRIV_SIZE,
					    (uint16_t)room, app->socket);
	if (app->pool == NULL) {
		snprintf(err, len, "cannot create the mbuf pool (%u mbufs of %u bytes): %s", n, room,
			 rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

static int setup_ports(struct sl_app *app, const struct sl_config *cfg, char *err, size_t len)
{
	int rc;
	for (uint16_t i = 0; i < cfg->n_device_ports; i++) {
		app->n_ports = (uint16_t)(i + 1);
		rc = sl_port_attach(&app->ports[i], i, &cfg->ports[i], (uint16_t)app->n_workers,
				    app->profiles_dir, err, len);
		if (rc < 0)
			return rc;
		rc = sl_port_configure(&app->ports[i], &cfg->ports[i], (uint16_t)app->n_workers,
				       app->pool, err, len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Spread every RX queue of every port over the workers, round robin. */
static int assign_queues(struct sl_app *app, char *err, size_t len)
{
	unsigned next = 0, lcore;
	unsigned wi = 0;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct sl_worker *w = &app->workers[wi];
		w->lcore_id = lcore;
		w->index = wi++;
		sl_ipstack_worker_init(&w->ip, app->neigh, app->punt, app->pool,
				       &sl_lcore_stats[lcore], app->tsc_hz);
		w->acl = (struct sl_acl_worker){.worker = w->index, .ip = &w->ip};
	}
	for (uint16_t p = 0; p < app->n_ports; p++) {
		for (uint16_t q = 0; q < app->ports[p].n_rxq; q++) {
			struct sl_worker *w = &app->workers[next++ % app->n_workers];
			if (w->n_rxq == SL_MAX_RXQ_PER_WORKER) {
				snprintf(err, len, "too many RX queues per worker (max %u)",
					 SL_MAX_RXQ_PER_WORKER);
				return -ENOSPC;
			}
			w->rxq[w->n_rxq++] = (struct sl_rxq){.port = p,
				.port_id = app->ports[p].port_id, .queue = q};
		}
	}
	return 0;
}

/*
 * Per port, where its RSS delivers each packet (after start: the device
 * reports its key and RETA then), so source NAT can choose ports whose
 * replies reach the connection's owner without a handoff.
 */
static void setup_steering(struct sl_app *app)
{
	for (uint16_t p = 0; p < app->n_ports; p++) {
		static uint8_t queue_worker[RTE_MAX_QUEUES_PER_PORT];
		memset(queue_worker, SL_RSS_NO_WORKER, sizeof(queue_worker));
		for (unsigned wi = 0; wi < app->n_workers; wi++) {
			const struct sl_worker *w = &app->workers[wi];
			for (uint16_t k = 0; k < w->n_rxq; k++)
				if (w->rxq[k].port == p)
					queue_worker[w->rxq[k].queue] = (uint8_t)wi;
		}
		struct sl_rss_steer *s = rte_zmalloc("sl_rss_steer", sizeof(*s), 0);
		int rc = s != NULL ? sl_port_rss_steer(&app->ports[p], queue_worker, s) : -ENOMEM;
		if (rc == 0) {
			app->steer[p] = s;
			SL_LOG(INFO, "port", "port %s: source NAT ports are chosen so that replies "
			       "reach the connection's worker (RETA of %u)", app->ports[p].name,
			       s->reta_size);
			continue;
		}
		rte_free(s);
		if (rc != -ENOTSUP)
			SL_LOG(WARN, "port", "port %s: cannot follow its RSS (%s): replies to source "
			       "NAT land on any worker and are handed off", app->ports[p].name,
			       strerror(-rc));
	}
}

static int setup_shared(struct sl_app *app, char *err, size_t len)
{
	size_t sz = rte_rcu_qsbr_get_memsize(SL_MAX_WORKERS);
	app->qsv = rte_zmalloc("sl_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (app->qsv == NULL || rte_rcu_qsbr_init(app->qsv, SL_MAX_WORKERS) != 0) {
		snprintf(err, len, "cannot set up RCU");
		return -ENOMEM;
	}
	app->punt = rte_ring_create("sl_punt", PUNT_RING_SIZE, app->socket, RING_F_SC_DEQ);
	app->neigh = sl_neigh_table_create("sl_neigh", NEIGH_CAPACITY, app->socket, app->qsv,
					   app->tsc_hz);
	if (app->punt == NULL || app->neigh == NULL) {
		snprintf(err, len, "cannot create the punt ring or neighbor table: %s",
			 rte_strerror(rte_errno));
		return -ENOMEM;
	}
	app->ctl = (struct sl_ipstack_ctl){.neigh = app->neigh, .pool = app->pool,
		.st = &sl_lcore_stats[rte_get_main_lcore()], .tx = sl_mgmt_tx, .tx_arg = app,
		.tsc_hz = app->tsc_hz};
	return 0;
}

/* A connection's destination is one of sluice's addresses (this snapshot's). */
static bool flow_is_local(const void *arg, const struct sl_flow_key *k)
{
	const struct sl_ipstack_tables *t = arg;
	uint32_t nh;
	if (k->af == SL_AF_INET) {
		uint32_t a;
		memcpy(&a, k->dst, 4);
		nh = sl_ipstack_lookup4(t, rte_be_to_cpu_32(a));
	} else {
		nh = sl_ipstack_lookup6(t, k->dst);
	}
	return t->nexthops[nh].type == SL_NH_LOCAL || t->nexthops[nh].type == SL_NH_BROADCAST;
}

#define INJECT_RING_SIZE 512

/* A packet the management lcore built: into the next worker's injection
 * ring (it enters the pipeline at the flow stage and route, like a packet
 * received, so NAT and everything after apply to it). */
static void inject(void *arg, struct rte_mbuf *m)
{
	static unsigned next;
	struct sl_app *app = arg;
	struct sl_worker *w = &app->workers[next++ % app->n_workers];
	if (rte_ring_sp_enqueue(w->inject, m) != 0)
		sl_stats_drop(app->ctl.st, m, SL_DROP_INJECT_FULL);
}

static void flow_as_received(const void *arg, struct rte_mbuf *m)
{
	sl_flow_as_received(arg, m);
}

/* Packets on their way from one worker to another: give them back. */
static void free_ring(struct rte_ring *r)
{
	void *m;
	if (r == NULL)
		return;
	while (rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(r);
}

/*
 * QoS: one ring from each worker to the scheduler owner of each port
 * (port index mod workers), made at start for every port, so shaping can
 * be switched on live.
 */
static int setup_qos(struct sl_app *app, char *err, size_t len)
{
	for (unsigned i = 0; i < app->n_workers; i++) {
		struct sl_qos_worker *q = &app->workers[i].qos;
		q->index = app->workers[i].index;
		q->n_workers = app->n_workers;
		q->st = app->workers[i].ip.st;
		for (uint16_t port = 0; port < app->n_ports; port++)
			q->port_id[port] = app->ports[port].port_id;
	}
	for (uint16_t port = 0; port < app->n_ports; port++) {
		unsigned owner = sl_app_qos_owner(app, port);
		for (unsigned i = 0; i < app->n_workers; i++) {
			if (i == owner)
				continue;
			char name[RTE_RING_NAMESIZE];
			snprintf(name, sizeof(name), "sl_qos_%u_%u", i, port);
			struct rte_ring *r = rte_ring_create(name, 2048, app->socket,
							     RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (r == NULL) {
				snprintf(err, len, "qos: cannot create the rings to the schedulers: %s",
					 rte_strerror(rte_errno));
				return -ENOMEM;
			}
			app->workers[i].qos.to[port] = r;
			app->workers[owner].qos.from[port][i] = r;
		}
	}
	return 0;
}

/* The source table for per-source limits, sized at start. */
static int setup_ratelimit(struct sl_app *app, const struct sl_config *cfg, char *err, size_t len)
{
	if (!cfg->ratelimit.enabled)
		return 0;
	app->rl = sl_rl_table_create(&cfg->ratelimit, app->tsc_hz, app->socket);
	if (app->rl == NULL) {
		snprintf(err, len, "ratelimit.max_sources: cannot allocate a table of %u sources",
			 cfg->ratelimit.max_sources);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < app->n_workers; i++) {
		app->workers[i].rl = app->rl;
		app->workers[i].flow.rl = app->rl;
		app->workers[i].acl.rl = app->rl;
	}
	SL_LOG(INFO, "ratelimit", "source table: %u sources", sl_rl_capacity(app->rl));
	return 0;
}

/*
 * Connection tracking, with a flow section: the table (its size is fixed
 * until a restart), one handoff ring per ordered pair of workers, and each
 * worker's view of them.
 */
static int setup_flow(struct sl_app *app, const struct sl_config *cfg, char *err, size_t len)
{
	if (!cfg->flow.enabled)
		return 0;
	app->flows = sl_flow_table_create(cfg->flow.max_connections, cfg->flow.max_connections_ipv6,
					  app->n_workers, app->qsv, app->socket);
	if (app->flows == NULL) {
		snprintf(err, len, "flow.max_connections: cannot allocate a table of %u connections "
			 "(%" PRIu64 " MiB)", cfg->flow.max_connections,
			 sl_flow_table_memory(cfg->flow.max_connections,
					      cfg->flow.max_connections_ipv6, app->n_workers) >> 20);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < app->n_workers; i++) {
		for (unsigned j = 0; j < app->n_workers; j++) {
			char name[RTE_RING_NAMESIZE];
			if (i == j)
				continue;
			snprintf(name, sizeof(name), "sl_ho_%u_%u", i, j);
			app->handoff[i][j] = rte_ring_create(name, SL_FLOW_HANDOFF_RING, app->socket,
							     RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (app->handoff[i][j] == NULL) {
				snprintf(err, len, "cannot create the handoff rings: %s",
					 rte_strerror(rte_errno));
				return -ENOMEM;
			}
		}
	}
	app->frags = sl_frag_table_create(cfg->flow.max_fragmented, app->socket);
	if (app->frags == NULL) {
		snprintf(err, len, "flow.max_fragmented: cannot allocate a table of %u datagrams",
			 cfg->flow.max_fragmented);
		return -ENOMEM;
	}
	/* What the management lcore sends enters a worker's pipeline. */
	app->ctl.inject = inject;
	app->ctl.inject_arg = app;
	app->synproxy = sl_synproxy_create(app->n_workers, app->tsc_hz);
	if (app->synproxy == NULL) {
		snprintf(err, len, "syn_proxy: cannot draw the cookie keys");
		return -ENOMEM;
	}
	if (sl_config_syn_proxy_used(cfg) && sl_flow_splice_enable(app->flows, app->socket) != 0) {
		snprintf(err, len, "syn_proxy: cannot allocate the proxied connections' translation "
			 "(12 bytes per connection)");
		return -ENOMEM;
	}
	app->lb = sl_lb_create(app->n_workers, app->socket);
	if (app->lb == NULL) {
		snprintf(err, len, "services: cannot allocate the counters");
		return -ENOMEM;
	}
	struct sl_lb_view *v = sl_lb_view_build(app->lb, cfg, err, len);
	if (v == NULL)
		return -EINVAL;
	sl_lb_publish(app->lb, v);   /* no worker runs yet */
	sl_app_health_init(app);
	for (unsigned i = 0; i < app->n_workers; i++) {
		struct sl_worker *w = &app->workers[i];
		w->flow = (struct sl_flow_worker_ctx){
			.t = app->flows, .worker = i, .n_workers = app->n_workers, .lb = app->lb,
			.frags = app->frags, .steer = (const struct sl_rss_steer *const *)app->steer,
			.sp = app->synproxy,
			.st = &sl_lcore_stats[w->lcore_id],
			.tsc_per_tick = app->tsc_hz / SL_FLOW_TICKS_PER_S,
			/* Every millisecond a thousandth of the pool: all of it each second. */
			.scan_every = app->tsc_hz / 1000,
			.scan_budget = RTE_MAX(64u, app->flows->capacity / app->n_workers / 1000 + 1),
			.is_local = flow_is_local,
		};
		w->flow.ip = &w->ip;
		w->ip.as_received = flow_as_received;
		w->ip.as_received_arg = &w->flow;
		char name[RTE_RING_NAMESIZE];
		snprintf(name, sizeof(name), "sl_inject_%u", i);
		w->inject = rte_ring_create(name, INJECT_RING_SIZE, app->socket,
					    RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->inject == NULL) {
			snprintf(err, len, "cannot create the injection rings: %s",
				 rte_strerror(rte_errno));
			return -ENOMEM;
		}
		for (unsigned j = 0; j < app->n_workers; j++) {
			w->flow.to[j] = app->handoff[i][j];
			w->flow.from[j] = app->handoff[j][i];
		}
	}
	SL_LOG(INFO, "flow", "connection table: %u connections (%u IPv6), %" PRIu64 " MiB",
	       app->flows->capacity, app->flows->v6_capacity,
	       sl_flow_table_memory(cfg->flow.max_connections, cfg->flow.max_connections_ipv6,
				    app->n_workers) >> 20);
	return 0;
}

static int start_api(struct sl_app *app, const struct sl_config *cfg)
{
	struct sl_mgmt_server_params p = {
		.listen_addr = cfg->api.listen,
		.port = cfg->api.port,
		.token = app->token[0] ? app->token : NULL,
		.connection_limit = cfg->api.connection_limit,
		.per_ip_limit = cfg->api.per_ip_limit,
		.timeout_s = cfg->api.timeout_s,
		.memory_limit = cfg->api.memory_limit,
		.max_body = cfg->api.max_body,
		.bulk_max_body = cfg->api.max_bulk_body,
		.routes = sl_api_routes,
		.n_routes = sl_api_n_routes,
		.handler_arg = app,
	};
	app->http = sl_mgmt_server_start(&p);
	return app->http == NULL ? -errno : 0;
}

static void wait_workers_polling(struct sl_app *app)
{
	uint64_t deadline = rte_rdtsc() + app->tsc_hz;
	bool all;
	do {
		all = true;
		for (unsigned i = 0; i < app->n_workers; i++)
			all = all && sl_lcore_stats[app->workers[i].lcore_id].polls > 0;
		rte_delay_us_sleep(1000);
	} while (!all && rte_rdtsc() < deadline);
	sl_mgmt_sample(app, rte_rdtsc());
}

/* Links settle within a few seconds of start; readiness does not wait for a
 * cable that is unplugged (the status line says which are down). */
#define LINK_WAIT_MS 3000

/* Start the watchdog and tell the service manager we are ready: ports
 * started (links up, or the wait is over) and every worker polling. */
static int supervise(struct sl_app *app)
{
	uint64_t polls[SL_MAX_WORKERS];
	char status[160];

	for (unsigned waited = 0; sl_app_ports_up(app) < app->n_ports && waited < LINK_WAIT_MS;
	     waited += 10)
		rte_delay_us_sleep(10000);
	sl_mgmt_worker_polls(app, polls);
	int rc = sl_supervisor_init(&app->sup, app->tsc_hz, app->n_workers, polls, rte_rdtsc(),
				    NULL, NULL);
	if (rc < 0)
		return rc;
	sl_app_status_line(app, status, sizeof(status));
	sl_supervisor_ready(&app->sup, status);
	return 0;
}

static void shutdown_app(struct sl_app *app)
{
	__atomic_store_n(&app->quit, 1, __ATOMIC_RELAXED);
	rte_eal_mp_wait_lcore();
	if (app->http)
		sl_mgmt_server_stop(app->http);
	for (uint16_t i = 0; i < app->n_ports; i++)
		sl_port_close(&app->ports[i]);
	sl_neigh_table_free(app->neigh);
	for (unsigned i = 0; i < app->n_workers; i++) {
		for (unsigned j = 0; j < app->n_workers; j++)
			free_ring(app->handoff[i][j]);
		free_ring(app->workers[i].inject);
		struct sl_worker *w = &app->workers[i];
		for (uint16_t p = 0; p < SL_MAX_PORTS; p++)
			free_ring(w->qos.to[p]);
		sl_qos_worker_release(&w->qos);
	}
	sl_app_wg_free(app);
	sl_flow_table_free(app->flows);
	sl_lb_free(app->lb);
	sl_synproxy_free(app->synproxy);
	sl_frag_table_free(app->frags);
	sl_rl_table_free(app->rl);
	for (uint16_t p = 0; p < SL_MAX_PORTS; p++)
		rte_free(app->steer[p]);
	sl_dp_free(app->dp);
	sl_app_sets_free(app);
	sl_config_free(app->cfg);
	rte_ring_free(app->punt);
	rte_mempool_free(app->pool);
	rte_free(app->qsv);
}

static int run(struct sl_app *app, struct sl_config *cfg, const struct app_opts *o)
{
	char err[ERR_LEN] = "";
	app->cfg = cfg;
	app->tsc_hz = rte_get_tsc_hz();
	app->socket = (int)rte_socket_id();
	app->start_tsc = rte_rdtsc();
	app->start_time = time(NULL);
	snprintf(app->profiles_dir, sizeof(app->profiles_dir), "%s",
		 o->profiles ? o->profiles : default_profiles_dir());
	sl_stats_init(app->tsc_hz);
	app->n_workers = rte_lcore_count() - 1;
	if (app->n_workers == 0 || app->n_workers > SL_MAX_WORKERS) {
		snprintf(err, sizeof(err), "eal.lcores: need 2..%u lcores (one management lcore and "
			 "at least one worker), got %u", SL_MAX_WORKERS + 1, rte_lcore_count());
		return fatal(err);
	}
	if (create_pool(app, cfg, err, sizeof(err)) < 0 || setup_shared(app, err, sizeof(err)) < 0 ||
	    setup_ports(app, cfg, err, sizeof(err)) < 0 || assign_queues(app, err, sizeof(err)) < 0 ||
	    setup_flow(app, cfg, err, sizeof(err)) < 0 || setup_ratelimit(app, cfg, err, sizeof(err)) < 0 ||
	    setup_qos(app, err, sizeof(err)) < 0 || sl_app_wg_setup(app, cfg, err, sizeof(err)) < 0)
		return fatal(err);
	app->generation = 1;
	app->dp = sl_dp_build(app, cfg, app->generation, err, sizeof(err));
	if (app->dp == NULL)
		return fatal(err);
	sl_app_sets_commit(app, app->dp);
	sl_ipstack_ctl_sync_static(&app->ctl, app->dp->ip, cfg, rte_rdtsc());
	sl_app_blocks_init(app);
	if (sl_app_load_token(cfg, app->token, sizeof(app->token), err, sizeof(err)) < 0)
		return fatal(err);
	if (start_api(app, cfg) < 0) {
		snprintf(err, sizeof(err), "api: cannot listen on %s port %u: %s", cfg->api.listen,
			 cfg->api.port, strerror(errno));
		return fatal(err);
	}
	for (uint16_t i = 0; i < app->n_ports; i++)
		if (sl_port_start(&app->ports[i], err, sizeof(err)) < 0)
			return fatal(err);
	setup_steering(app);
	if (sl_port_kernel_up(cfg, err, sizeof(err)) < 0)
		return fatal(err);
	sl_telemetry_register();
	for (unsigned i = 0; i < app->n_workers; i++)
		rte_eal_remote_launch(sl_worker_main, &app->workers[i], app->workers[i].lcore_id);
	wait_workers_polling(app);
	if (supervise(app) < 0)
		return fatal("supervisor: cannot set up the watchdog");
	SL_LOG(INFO, "main", "sluice %s running: %u workers, %u ports, API on %s port %u%s",
	       SLUICE_VERSION, app->n_workers, app->n_ports, cfg->api.listen,
	       sl_mgmt_server_port(app->http), app->no_huge ? ", without hugepages" : "");
	sl_mgmt_loop(app);
	if (app->rl != NULL)
		sl_app_blocks_store_pending(app, true);   /* queued blocks survive the stop */
	SL_LOG(INFO, "main", "stopping");
	sl_supervisor_stopping(&app->sup, "stopping: draining workers, closing ports");
	sl_port_kernel_down(app->cfg);
	return 0;
}

int main(int argc, char **argv)
{
	struct app_opts o = {0};
	char err[ERR_LEN] = "";
	char **eal_argv;
	int sep, rc;

	sl_log_init();
	for (sep = 1; sep < argc && strcmp(argv[sep], "--") != 0; sep++)
		;
	if (sep == argc) {
		/* No "--": everything is sluice's (EAL comes from the config). */
		sep = 0;
	}
	rc = parse_app_args(argc - sep, argv + sep, &o);
	if (rc != 0)
		return rc > 0 ? 0 : 64;

	struct sl_config *cfg = sl_config_load(o.config, err, sizeof(err));
	if (cfg == NULL) {
		SL_LOG(ERR, "config", "%s", err);
		return 1;
	}
	if (o.check) {
		printf("%s: OK\n", o.config);
		sl_config_free(cfg);
		return 0;
	}
	sl_log_set_level(cfg->log.level);
	snprintf(sl_app.config_path, sizeof(sl_app.config_path), "%s", o.config);

	int eal_argc = sl_eal_args_build(cfg, sep > 0 ? sep : 1, argv, &eal_argv, &sl_app.no_huge,
					 err, sizeof(err));
	if (eal_argc < 0)
		return fatal(err);
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		snprintf(err, sizeof(err), "EAL initialisation failed: %s", rte_strerror(rte_errno));
		sl_config_free(cfg);
		return fatal(err);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);

	rc = run(&sl_app, cfg, &o);
	shutdown_app(&sl_app);
	rte_eal_cleanup();
	return rc;
}

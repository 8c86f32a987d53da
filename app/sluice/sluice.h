/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The appliance: how the modules are wired together.
 *
 * Ownership: the management lcore (the EAL main lcore) owns struct sl_app and
 * every mutation of it; workers read app->dp (the published snapshot) once per
 * loop iteration and report a quiescent state after it. Each worker owns its
 * struct sl_worker.
 */
#ifndef SLUICE_APP_H
#define SLUICE_APP_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "sl_acl.h"
#include "sl_config.h"
#include "sl_flow.h"
#include "sl_qos.h"
#include "sl_ipstack.h"
#include "sl_mgmt.h"
#include "sl_port.h"
#include "sl_prefixset.h"
#include "sl_ratelimit.h"
#include "sl_supervisor.h"
#include "sl_wg.h"

#define SL_MAX_WORKERS 32
#define SL_MAX_RXQ_PER_WORKER 16
#define SL_BURST_MAX 64

/* The data-plane snapshot: immutable once published. */
struct sl_dp {
	uint64_t generation;
	struct sl_config *cfg;              /**< the config it was compiled from */
	struct sl_ipstack_tables *ip;
	uint32_t idle_sleep_us;
	uint16_t burst;
	bool flow_on;                       /**< connection tracking (a flow section) */
	struct sl_flow_policy flow;
	struct sl_acl *acl;                 /**< NULL: the acl stage has nothing to do */
	struct sl_rl_policy rl;             /**< the levels' limits */
	struct sl_pset *sets[SL_CONFIG_MAX_SETS]; /**< by index in cfg->sets (runtime objects) */
	bool qos_on;                        /**< some port is shaped */
	struct sl_qos_port *qos[SL_MAX_PORTS]; /**< by sluice port; NULL: not shaped */
	uint32_t sets_made;                 /**< sets this snapshot created: freed with it unless
					         the apply commits them */
};

struct sl_rxq {
	uint16_t port;          /**< sluice port index */
	uint16_t port_id;       /**< DPDK port id */
	uint16_t queue;
};

struct sl_worker {
	unsigned lcore_id;
	unsigned index;          /**< worker number = its TX queue on every port */
	uint16_t n_rxq;
	struct sl_rxq rxq[SL_MAX_RXQ_PER_WORKER];
	struct sl_ipstack_worker ip;
	struct sl_flow_worker_ctx flow;     /**< with connection tracking on */
	struct sl_acl_worker acl;
	struct sl_rl_table *rl;             /**< sources (a ratelimit section); NULL: none */
	struct rte_ring *inject;            /**< from the management lcore (SP/SC) */
	struct sl_qos_worker qos;           /**< rings to and from the ports' schedulers */
	struct sl_wg_worker wg;             /**< WireGuard interfaces (tunnel in / out) */
	/* Read by the management lcore for readiness and busy ratio. */
	uint64_t seen_polls;
	uint64_t seen_busy, seen_total;
	double busy_ratio;
} __rte_cache_aligned;

struct sl_app {
	/* Start-up facts. */
	char config_path[SL_CONFIG_PATH_MAX];
	char profiles_dir[SL_CONFIG_PATH_MAX];
	bool no_huge;               /**< running without hugepages */
	time_t start_time;
	uint64_t start_tsc;
	uint64_t tsc_hz;
	int socket;

	/* Management-owned state. */
	struct sl_config *cfg;      /**< running config (same as dp->cfg) */
	uint64_t generation;
	uint64_t applies_ok, applies_rejected;
	struct sl_dp *dp;           /**< published snapshot; workers load it atomically */
	struct rte_rcu_qsbr *qsv;
	struct rte_ring *punt;
	struct rte_mempool *pool;
	struct sl_neigh_table *neigh;
	struct sl_flow_table *flows;  /**< NULL without a flow section */
	struct sl_lb *lb;             /**< services; NULL without a flow section */
	struct sl_synproxy *synproxy; /**< SYN cookie keys and rates; NULL without a flow section */
	struct sl_frag_table *frags;  /**< fragmented datagrams; NULL without a flow section */
	struct sl_rl_table *rl;       /**< sources; NULL without a ratelimit section */
	struct sl_pset *sets[SL_CONFIG_MAX_SETS]; /**< by index in cfg->sets */
	struct rte_ring *handoff[SL_MAX_WORKERS][SL_MAX_WORKERS]; /**< [from][to] */
	/** Per port: where its RSS sends replies, for source NAT's port choice;
	 *  NULL where the port does not spread by a hash sluice can follow. */
	struct sl_rss_steer *steer[SL_MAX_PORTS];
	struct sl_ipstack_ctl ctl;
	struct sl_mgmt_server *http;
	char token[256];            /**< bearer token; never logged */
	bool workers_polling;
	uint64_t last_sample_tsc;
	struct sl_supervisor sup;   /**< systemd notify and watchdog */
	struct sl_wg_dev *wg[SL_MAX_PORTS]; /**< by port index: WireGuard interfaces */
	struct rte_ring *wg_punt;   /**< handshake messages, from the workers */
	struct rte_ring *wg_held;   /**< packets for peers without a session, from the workers */
	int wg_journal[SL_MAX_PORTS]; /**< the peers' journal, open for appending; -1: none */
	uint64_t wg_next_tick;

	uint16_t n_ports;
	struct sl_port ports[SL_MAX_PORTS];
	unsigned n_workers;
	struct sl_worker workers[SL_MAX_WORKERS];

	volatile int quit;          /**< set by SIGINT/SIGTERM */
	volatile int reload;        /**< set by SIGHUP: re-read the config file */
};

extern struct sl_app sl_app;

/* eal.c: EAL arguments from the command line and the config. */
int sl_eal_args_build(const struct sl_config *cfg, int argc, char **argv,
		      char ***out_argv, bool *no_huge, char *err, size_t err_len);

/* dataplane.c: snapshot compile/publish and the live apply transaction. */

/** Read api.token_file into @p token ("" when none is set); the error names the field. */
int sl_app_load_token(const struct sl_config *cfg, char *token, size_t len, char *err, size_t err_len);
struct sl_dp *sl_dp_build(struct sl_app *app, const struct sl_config *cfg, uint64_t generation,
			  char *err, size_t err_len);
void sl_dp_free(struct sl_dp *dp);
/**
 * Build and publish the services' view from the running config and the
 * backends' health (after a health change), wait a grace period, free the
 * old one. Thread: management.
 */
int sl_app_services_refresh(struct sl_app *app, char *err, size_t err_len);
/** The connection-tracking policy of @p cfg (zones, timeouts in ticks). */
void sl_dp_flow_policy(const struct sl_config *cfg, struct sl_flow_policy *pol);

enum sl_apply_result {
	SL_APPLY_OK = 0,
	SL_APPLY_INVALID,     /**< 422: compile failed */
	SL_APPLY_RESTART,     /**< 409: needs a restart */
	SL_APPLY_IO,          /**< 500: could not persist */
};
/**
 * Apply @p next (ownership taken) as the running config: check it can be
 * applied live, compile, persist, publish, wait for a grace period, free the
 * old one. With @p dry_run nothing changes. @p changes (optional) gets the
 * diff. On failure nothing changes and @p err names the field.
 */
enum sl_apply_result sl_app_apply(struct sl_app *app, struct sl_config *next, bool dry_run,
				  json_t **changes, char *err, size_t err_len);

/* worker.c */
int sl_worker_main(void *arg);

/* mgmt.c */
void sl_mgmt_loop(struct sl_app *app);
void sl_mgmt_tx(void *arg, uint16_t port, struct rte_mbuf *m);
void sl_mgmt_sample(struct sl_app *app, uint64_t now);
/** Every worker's polls counter, in worker order, into @p out. */
void sl_mgmt_worker_polls(const struct sl_app *app, uint64_t *out);
/** Ports whose link is up (and that are started). */
unsigned sl_app_ports_up(const struct sl_app *app);
/** The one-line state for the service manager ("running: ..."). */
void sl_app_status_line(const struct sl_app *app, char *out, size_t len);
/** Re-read the config file and apply it (SIGHUP); the outcome is logged. */
void sl_app_reload_file(struct sl_app *app);
bool sl_app_ready(const struct sl_app *app, json_t **checks);

/* api_flows.c */
void sl_api_flows_get(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg);
void sl_api_flows_delete(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp,
			 void *arg);

/* health.c: health checks of services' backends */
/** Probe answers reach the health checks (the punted local-in packets). */
void sl_app_health_init(struct sl_app *app);
/** Send due probes, time out unanswered ones; publish a new view on a change. */
void sl_app_health_tick(struct sl_app *app, uint64_t now);

/* api_services.c */
void sl_api_services_get(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg);
void sl_api_service_get(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg);
void sl_api_service_put(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg);
void sl_api_service_delete(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp,
			   void *arg);

/* api_acl.c */
void sl_api_acl_get(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg);
void sl_api_acl_put(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg);
/** The ACL's series in /metrics. */
void sl_metrics_render_acl(struct sl_app *app, struct sl_buf *b);

/* api_ratelimit.c */
void sl_api_sources_top(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp,
			void *arg);
/** The source table's series in /metrics. */
void sl_metrics_render_ratelimit(struct sl_app *app, struct sl_buf *b,
				 const struct sl_lcore_stats *sum);

/* qos.c */
/** The worker that schedules port @p port's QoS (its rings are made for it at start). */
static inline unsigned sl_app_qos_owner(const struct sl_app *app, unsigned port)
{
	return port % app->n_workers;
}
/** The snapshot's shaped ports. 0, or -1 with @p err. */
int sl_app_qos_build(struct sl_app *app, struct sl_dp *dp, char *err, size_t err_len);
/** Ports whose tree did not change keep @p old's schedulers (with their queues). */
void sl_app_qos_carry(struct sl_dp *next, struct sl_dp *old);
/** Before @p old is freed (after its grace period): wait until no owner still holds packets of its trees. */
void sl_app_qos_release(struct sl_app *app, struct sl_dp *old);
void sl_app_qos_free(struct sl_dp *dp);
void sl_api_qos_get(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg);
void sl_metrics_render_qos(struct sl_app *app, struct sl_buf *b);

/* api_synproxy.c */
void sl_api_synproxy_get(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp,
			 void *arg);
/** After a change from @p old to @p next: "auto" targets that changed start afresh. */
void sl_app_synproxy_changed(struct sl_app *app, const struct sl_config *old,
			     const struct sl_config *next);
/** The SYN proxy's series in /metrics. */
void sl_metrics_render_synproxy(struct sl_app *app, struct sl_buf *b,
				const struct sl_lcore_stats *sum);

/* api_blocks.c */
/** Blocks from the files of an earlier run; reports of new and ended ones. */
void sl_app_blocks_init(struct sl_app *app);
void sl_api_blocks_get(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg);
void sl_api_blocks_post(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp,
			void *arg);
void sl_api_blocks_delete(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp,
			  void *arg);
void sl_metrics_render_blocks(struct sl_app *app, struct sl_buf *b);
/** Store a few automatic blocks of those queued (every management tick), or @p all (at exit). */
void sl_app_blocks_store_pending(struct sl_app *app, bool all);

/* wg.c, api_wg.c: WireGuard interfaces */
/** Keys, tables, journals and the workers' share; at start. */
int sl_app_wg_setup(struct sl_app *app, const struct sl_config *cfg, char *err, size_t len);
/** The management lcore's share: handshakes from the ring, timers. Every loop. */
void sl_app_wg_poll(struct sl_app *app, uint64_t now);
void sl_app_wg_free(struct sl_app *app);
/** A base64 key from a file of mode 0600 or stricter; the error names @p field. */
int sl_app_wg_read_key(const char *path, const char *field, uint8_t key[SL_WG_KEY_LEN],
		       char *err, size_t len);
/** Create or change the peer @p body describes (REST's schema); @p replace:
 * what it leaves out is reset. 0, or -errno with @p err naming the field. */
int sl_app_wg_peer_apply(struct sl_app *app, uint16_t port, const json_t *body, bool replace,
			 uint8_t *pub_out, char *err, size_t len);
/** A peer's configuration (what the journal keeps), as REST shows it. */
json_t *sl_app_wg_peer_config_json(const struct sl_wg_peer_info *info);
int sl_app_wg_journal_set(struct sl_app *app, uint16_t port, const uint8_t pub[SL_WG_KEY_LEN]);
int sl_app_wg_journal_remove(struct sl_app *app, uint16_t port, const uint8_t pub[SL_WG_KEY_LEN]);
void sl_api_wg_list(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg);
void sl_api_wg_get(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg);
void sl_api_wg_post(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg);
void sl_api_wg_delete(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp,
		      void *arg);
void sl_metrics_render_wg(struct sl_app *app, struct sl_buf *b);
/* wg_uapi.c: /var/run/wireguard/<interface>.sock for wg(8) */
int sl_app_wg_uapi_open(struct sl_app *app, char *err, size_t len);
void sl_app_wg_uapi_poll(struct sl_app *app);
void sl_app_wg_uapi_close(struct sl_app *app);

/* api_sets.c: prefix sets, runtime objects beside the snapshot */
/**
 * The sets of @p cfg into @p dp->sets: the running set where its sizes
 * are unchanged, else a new one, filled from the running one (resized) or
 * from its journal. -1 with @p err naming the field.
 */
int sl_app_sets_prepare(struct sl_app *app, const struct sl_config *cfg, struct sl_dp *dp,
			char *err, size_t err_len);
/**
 * @p dp (published; the one before it out of the workers' hands) holds
 * the running sets now: new ones start journaling, replaced ones are
 * freed, removed ones are freed with their journal.
 */
void sl_app_sets_commit(struct sl_app *app, struct sl_dp *dp);
void sl_app_sets_free(struct sl_app *app);
void sl_api_sets_list(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg);
void sl_api_sets_get(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg);
void sl_api_sets_change(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp,
			void *arg);
void sl_metrics_render_sets(struct sl_app *app, struct sl_buf *b);

/* api.c */
/** The answer to a refused apply: 409 (restart), 500 (save) or 422 with the field. */
void sl_api_respond_apply_error(struct sl_mgmt_response *resp, enum sl_apply_result r,
				const char *err);
/** The request body as JSON, or NULL with a 400 answered. */
json_t *sl_api_body_json(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp);
/** Query @p name as a number 0..@p max (@p def when absent); false with a 400 answered. */
bool sl_api_query_number(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp,
			 const char *name, unsigned long max, unsigned long def, unsigned long *out);
/**
 * The running document with section @p key set to @p value (taken),
 * validated whole and applied live. False with the answer given: 422
 * titled @p title naming the field, 409, or 500.
 */
bool sl_api_apply_section(struct sl_app *app, struct sl_mgmt_response *resp, const char *key,
			  json_t *value, const char *title);
extern const struct sl_mgmt_route sl_api_routes[];
extern const unsigned sl_api_n_routes;

/* telemetry.c: /sluice/... commands for dpdk-telemetry.py */
void sl_telemetry_register(void);

/* metrics.c */
void sl_metrics_render(struct sl_app *app, struct sl_buf *b);

/** Packets a worker received over all its RX queues. Thread: any reader. */
static inline uint64_t sl_worker_rx_packets(const struct sl_app *app, const struct sl_worker *w)
{
	uint64_t rx = 0;
	for (uint16_t p = 0; p < app->n_ports; p++)
		rx += sl_lcore_stats[w->lcore_id].port[p].rx_packets;
	return rx;
}

static inline struct sl_dp *sl_dp_current(struct sl_app *app)
{
	return __atomic_load_n(&app->dp, __ATOMIC_ACQUIRE);
}

#endif

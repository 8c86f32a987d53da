/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data-plane snapshot and the live apply transaction.
 *
 * Apply: check the change can be made live -> compile a new snapshot ->
 * persist the config atomically -> publish the snapshot pointer -> wait one
 * RCU grace period -> free the old snapshot. Every step before "publish" can
 * fail and then nothing has changed; "publish" cannot fail. Workers never
 * stop and never see a half-built table, so no packet is lost to a change.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "sl_log.h"
#include "sluice.h"

/* Seconds to connection clock ticks; the config keeps whole seconds. */
static uint32_t ticks_of(uint64_t us)
{
	uint64_t t = us / 1000000 * SL_FLOW_TICKS_PER_S;
	return t > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)t;
}

void sl_dp_flow_policy(const struct sl_config *cfg, struct sl_flow_policy *pol)
{
	const uint64_t *us = cfg->flow.timeout_us;
	struct sl_ct_timeouts *to = &pol->timeouts;
	memset(pol, 0, sizeof(*pol));
	pol->tcp_pickup = cfg->flow.tcp_pickup;
	pol->mss_clamp = cfg->flow.tcp_mss_clamp;
	for (unsigned i = 0; i < cfg->n_ports && i < SL_MAX_PORTS; i++)
		pol->mtu[i] = cfg->ports[i].mtu;
	for (unsigned i = 0; i < cfg->n_ports && i < SL_MAX_PORTS; i++)
		pol->outside[i] = cfg->ports[i].zone == SL_ZONE_OUTSIDE;
	sl_ct_timeouts_default(to);
	to->state[SL_CT_TCP_SYN_SENT] = ticks_of(us[SL_FLOW_TO_TCP_SYN_SENT]);
	to->state[SL_CT_TCP_SYN_SENT2] = ticks_of(us[SL_FLOW_TO_TCP_SYN_SENT]);
	to->state[SL_CT_TCP_SYN_RECV] = ticks_of(us[SL_FLOW_TO_TCP_SYN_RECV]);
	to->state[SL_CT_TCP_ESTABLISHED] = ticks_of(us[SL_FLOW_TO_TCP_ESTABLISHED]);
	to->state[SL_CT_TCP_FIN_WAIT] = ticks_of(us[SL_FLOW_TO_TCP_FIN_WAIT]);
	to->state[SL_CT_TCP_CLOSE_WAIT] = ticks_of(us[SL_FLOW_TO_TCP_CLOSE_WAIT]);
	to->state[SL_CT_TCP_LAST_ACK] = ticks_of(us[SL_FLOW_TO_TCP_LAST_ACK]);
	to->state[SL_CT_TCP_TIME_WAIT] = ticks_of(us[SL_FLOW_TO_TCP_TIME_WAIT]);
	to->state[SL_CT_TCP_CLOSE] = ticks_of(us[SL_FLOW_TO_TCP_CLOSE]);
	to->state[SL_CT_UDP_UNREPLIED] = ticks_of(us[SL_FLOW_TO_UDP]);
	to->state[SL_CT_UDP_REPLIED] = ticks_of(us[SL_FLOW_TO_UDP]);
	to->udp_assured = ticks_of(us[SL_FLOW_TO_UDP_ASSURED]);
	to->state[SL_CT_ICMP] = ticks_of(us[SL_FLOW_TO_ICMP]);
	to->state[SL_CT_OTHER] = ticks_of(us[SL_FLOW_TO_OTHER]);
	for (unsigned i = 0; i < cfg->n_dnat && i < SL_FLOW_MAX_DNAT; i++) {
		const struct sl_config_dnat *c = &cfg->dnat[i];
		struct sl_flow_dnat *r = &pol->dnat[pol->n_dnat++];
		r->in_port = (uint16_t)c->in_port;
		r->proto = c->proto;
		r->af = c->to.af;
		r->port = c->port;
		r->to_port = c->to_port;
		r->syn_proxy = c->syn_proxy.mode;
		r->syn_proxy_above = c->syn_proxy.above;
		memcpy(r->to, c->to.af == SL_AF_INET ? (const void *)&c->to.v4 : c->to.v6,
		       c->to.af == SL_AF_INET ? 4 : 16);
	}
	for (unsigned i = 0; i < cfg->n_snat && i < SL_FLOW_MAX_SNAT; i++) {
		const struct sl_config_snat *c = &cfg->snat[i];
		const struct sl_config_port *p = &cfg->ports[c->out_port];
		struct sl_flow_snat *r = &pol->snat[pol->n_snat++];
		r->out_port = (uint16_t)c->out_port;
		r->lo = c->port_lo;
		r->hi = c->port_hi;
		if (c->has_source) {
			r->af = c->source.addr.af;
			r->plen = c->source.len;
			memcpy(r->prefix, c->source.addr.af == SL_AF_INET ?
			       (const void *)&c->source.addr.v4 : c->source.addr.v6,
			       c->source.addr.af == SL_AF_INET ? 4 : 16);
		}
		if (!c->masquerade) {
			r->has4 = c->to.af == SL_AF_INET && (!c->has_source || r->af == SL_AF_INET);
			r->has6 = c->to.af == SL_AF_INET6 && (!c->has_source || r->af == SL_AF_INET6);
			memcpy(r->has4 ? r->to4 : r->to6, c->to.af == SL_AF_INET ?
			       (const void *)&c->to.v4 : c->to.v6, c->to.af == SL_AF_INET ? 4 : 16);
			continue;
		}
		/* Masquerade: the port's first address of each family (a global
		 * one for IPv6), as the snapshot has them. */
		if (p->n_ipv4 > 0) {
			r->has4 = true;
			memcpy(r->to4, &p->ipv4[0].addr.v4, 4);
		}
		for (unsigned a = 0; a < p->n_ipv6 && !r->has6; a++) {
			const uint8_t *v6 = p->ipv6[a].addr.v6;
			if (v6[0] == 0xfe && (v6[1] & 0xc0) == 0x80)
				continue;
			r->has6 = true;
			memcpy(r->to6, v6, 16);
		}
	}
}

struct sl_dp *sl_dp_build(struct sl_app *app, const struct sl_config *cfg, uint64_t generation,
			  char *err, size_t err_len)
{
	struct sl_ipstack_port_id ids[SL_MAX_PORTS];
	struct sl_dp *dp = rte_zmalloc("sl_dp", sizeof(*dp), RTE_CACHE_LINE_SIZE);
	if (dp == NULL) {
		snprintf(err, err_len, "config: out of memory");
		return NULL;
	}
	for (uint16_t i = 0; i < app->n_ports; i++) {
		ids[i].port_id = app->ports[i].port_id;
		ids[i].mgmt_txq = app->ports[i].mgmt_txq;
		ids[i].mac = app->ports[i].mac;
	}
	dp->generation = generation;
	dp->idle_sleep_us = cfg->workers.idle_sleep_us;
	dp->burst = cfg->workers.burst ? cfg->workers.burst : 32;
	if (dp->burst > SL_BURST_MAX)
		dp->burst = SL_BURST_MAX;
	dp->cfg = sl_config_dup(cfg);
	if (dp->cfg == NULL) {
		snprintf(err, err_len, "config: out of memory");
		goto fail;
	}
	dp->ip = sl_ipstack_tables_build(cfg, ids, generation, app->socket, err, err_len);
	if (dp->ip == NULL)
		goto fail;
	dp->flow_on = cfg->flow.enabled && app->flows != NULL;
	sl_dp_flow_policy(cfg, &dp->flow);
	if (sl_app_sets_prepare(app, cfg, dp, err, err_len) < 0)
		goto fail;
	sl_rl_policy_build(cfg, app->tsc_hz, &dp->rl);
	if (cfg->ratelimit.reputation.exempt_set >= 0)
		dp->rl.rep.exempt = dp->sets[cfg->ratelimit.reputation.exempt_set];
	if (dp->rl.on)
		dp->flow.sources = &dp->rl;
	bool failed;
	/* The rules the tries point at are the snapshot's own copy. */
	dp->acl = sl_acl_build(dp->cfg, dp->sets, app->n_workers, app->socket, &failed, err,
			       err_len);
	if (!failed && sl_app_qos_build(app, dp, err, err_len) != 0)
		failed = true;
	if (failed)
		goto fail;
	if (dp->acl != NULL)
		SL_LOG(INFO, "acl", "compiled %u rules in %.1f ms", dp->acl->n_rules,
		       (double)dp->acl->compile_us / 1000.0);
	return dp;
fail:
	sl_dp_free(dp);
	return NULL;
}

void sl_dp_free(struct sl_dp *dp)
{
	if (dp == NULL)
		return;
	sl_acl_free(dp->acl);
	sl_app_qos_free(dp);
	for (uint32_t m = dp->sets_made; m != 0; m &= m - 1)
		sl_pset_free(dp->sets[__builtin_ctz(m)]);
	sl_ipstack_tables_free(dp->ip);
	sl_config_free(dp->cfg);
	rte_free(dp);
}

/* Port settings that are live: MTU. */
static void apply_ports(struct sl_app *app, const struct sl_config *next)
{
	for (uint16_t i = 0; i < app->n_ports; i++) {
		struct sl_port *p = &app->ports[i];
		uint16_t mtu = next->ports[i].mtu;
		if (mtu == p->mtu)
			continue;
		int rc = sl_port_set_mtu(p, mtu);
		if (rc < 0)
			SL_LOG(WARN, "port", "port %s: device refused MTU %u (%s); sluice enforces it",
			       p->name, mtu, strerror(-rc));
		p->mtu = mtu;
	}
}

int sl_app_load_token(const struct sl_config *cfg, char *token, size_t len, char *err, size_t err_len)
{
	if (cfg->api.token_file[0] == '\0') {
		token[0] = '\0';
		return 0;
	}
	int rc = sl_mgmt_token_file_read(cfg->api.token_file, token, len);
	if (rc == -EPERM)
		snprintf(err, err_len, "api.token_file: %s must not be readable by group or others "
			 "(mode 0600 or stricter)", cfg->api.token_file);
	else if (rc < 0)
		snprintf(err, err_len, "api.token_file: cannot read %s: %s", cfg->api.token_file,
			 rc == -EINVAL ? "empty or too long" : strerror(-rc));
	return rc;
}

static enum sl_apply_result apply(struct sl_app *app, struct sl_config *next, bool dry_run,
				  json_t **changes, char *err, size_t err_len)
{
	char token[sizeof(app->token)];
	enum sl_apply_result res = SL_APPLY_INVALID;
	struct sl_dp *dp = NULL;
	struct sl_lb_view *view = NULL;

	if (changes != NULL)
		*changes = sl_config_diff(app->cfg, next);
	if (sl_config_check_live_change(app->cfg, next, err, err_len) < 0) {
		res = SL_APPLY_RESTART;
		goto reject;
	}
	if (sl_app_load_token(next, token, sizeof(token), err, err_len) < 0)
		goto reject;
	dp = sl_dp_build(app, next, app->generation + 1, err, err_len);
	if (dp == NULL)
		goto reject;
	if (app->lb != NULL && (view = sl_lb_view_build(app->lb, next, err, err_len)) == NULL)
		goto reject;
	if (dry_run) {
		sl_lb_view_free(view);
		if (view != NULL)
			sl_lb_gc(app->lb);   /* the slots only it took */
		sl_dp_free(dp);
		sl_config_free(next);
		return SL_APPLY_OK;
	}
	/* Proxied connections keep their translation beside the table. */
	if (app->flows != NULL && sl_config_syn_proxy_used(next) &&
	    sl_flow_splice_enable(app->flows, app->socket) != 0) {
		snprintf(err, err_len, "syn_proxy: cannot allocate %" PRIu64 " MiB for the proxied "
			 "connections' translation (12 bytes per connection)",
			 ((uint64_t)app->flows->capacity * sizeof(struct sl_flow_splice)) >> 20);
		goto reject;
	}
	int rc = sl_config_save(next, app->config_path);
	if (rc < 0) {
		snprintf(err, err_len, "config: cannot save %s: %s", app->config_path, strerror(-rc));
		res = SL_APPLY_IO;
		goto reject;
	}

	apply_ports(app, next);
	sl_log_set_level(next->log.level);
	memcpy(app->token, token, sizeof(token));
	sl_mgmt_server_set_token(app->http, app->token[0] ? app->token : NULL);

	struct sl_dp *old = app->dp;
	sl_app_qos_carry(dp, old);
	/* Services first: a new VIP is local in the new snapshot only. */
	struct sl_lb_view *old_view = view != NULL ? sl_lb_publish(app->lb, view) : NULL;
	__atomic_store_n(&app->dp, dp, __ATOMIC_RELEASE);
	__atomic_store_n(&app->generation, dp->generation, __ATOMIC_RELAXED);
	sl_app_synproxy_changed(app, app->cfg, next);
	sl_config_free(app->cfg);
	app->cfg = next;
	/* Workers report quiescence every loop (microseconds): a short wait. */
	rte_rcu_qsbr_synchronize(app->qsv, RTE_QSBR_THRID_INVALID);
	sl_acl_carry(dp->acl, old->acl);   /* old is out of the workers' hands */
	sl_app_sets_commit(app, dp);
	sl_app_qos_release(app, old);
	if (app->rl != NULL)
		app->rl->offence_memory = dp->rl.rep.block_max;
	sl_dp_free(old);
	if (view != NULL) {
		sl_lb_view_free(old_view);
		sl_lb_gc(app->lb);
	}
	sl_ipstack_ctl_sync_static(&app->ctl, dp->ip, app->cfg, rte_rdtsc());
	app->applies_ok++;
	SL_LOG(INFO, "config", "applied configuration generation %" PRIu64, app->generation);
	return SL_APPLY_OK;

reject:
	sl_lb_view_free(view);
	if (app->lb != NULL)
		sl_lb_gc(app->lb);   /* the slots a refused view took (the published one is kept) */
	sl_dp_free(dp);
	sl_config_free(next);
	app->applies_rejected++;
	if (changes != NULL) {
		json_decref(*changes);
		*changes = NULL;
	}
	return res;
}

int sl_app_services_refresh(struct sl_app *app, char *err, size_t err_len)
{
	if (app->lb == NULL)
		return 0;
	struct sl_lb_view *v = sl_lb_view_build(app->lb, app->cfg, err, err_len);
	if (v == NULL)
		return -EINVAL;
	struct sl_lb_view *old = sl_lb_publish(app->lb, v);
	rte_rcu_qsbr_synchronize(app->qsv, RTE_QSBR_THRID_INVALID);
	sl_lb_view_free(old);
	sl_lb_gc(app->lb);
	return 0;
}

enum sl_apply_result sl_app_apply(struct sl_app *app, struct sl_config *next, bool dry_run,
				  json_t **changes, char *err, size_t err_len)
{
	char status[160];

	if (dry_run)
		return apply(app, next, true, changes, err, err_len);
	/* The service manager sees the whole transaction, refused or not. */
	snprintf(status, sizeof(status), "applying configuration generation %" PRIu64,
		 app->generation + 1);
	sl_supervisor_reloading(&app->sup, status);
	enum sl_apply_result res = apply(app, next, false, changes, err, err_len);
	sl_app_status_line(app, status, sizeof(status));
	sl_supervisor_ready(&app->sup, status);
	return res;
}

void sl_app_reload_file(struct sl_app *app)
{
	char err[512] = "";
	struct sl_config *next = sl_config_load(app->config_path, err, sizeof(err));

	if (next == NULL)
		app->applies_rejected++;    /* sl_app_apply() counts its own refusals */
	else if (sl_app_apply(app, next, false, NULL, err, sizeof(err)) == SL_APPLY_OK)
		return;
	SL_LOG(ERR, "config", "reload of %s refused, nothing changed: %s", app->config_path, err);
}

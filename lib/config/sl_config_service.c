/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "services" section: load-balanced virtual services.
 *
 *   "services": [
 *     {"name": "web", "vip": "10.2.0.100", "proto": "tcp", "port": 80,
 *      "scheduler": "wrr", "mode": "fullnat", "sources": ["10.1.0.250"],
 *      "source_ports": "1024-65535", "drain": true, "maglev_size": 65537,
 *      "health": {"type": "tcp", "interval": "2s", "timeout": "1s",
 *                 "rise": 2, "fall": 3},
 *      "backends": [{"address": "10.1.0.10", "port": 80, "weight": 1}]}
 *   ]
 *
 * A service's VIP and sources are addresses sluice owns besides its ports'
 * (it answers ARP and ND for them on the port whose subnet holds them), so
 * they may be neither a port's address nor another service's source.
 * Services need connection tracking: a connection remembers its backend.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

static const char *const sched_names[] = {"rr", "wrr", "lc", "sh", "maglev", NULL};
static const char *const mode_names[] = {"dnat", "fullnat", NULL};
static const char *const health_names[] = {"none", "tcp", "http", NULL};

static int svc_name(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_service *s = obj;
	return cfg_get_name(c, path, v, s->name, sizeof(s->name));
}

/* An address sluice will own: not a port's, not special. */
static int owned_addr(struct pctx *c, const char *path, const json_t *v, struct sl_addr *a)
{
	if (cfg_get_host_addr(c, path, v, a) != 0)
		return -EINVAL;
	int owner = cfg_addr_owner(c->cfg, c->cfg->n_ports, a);
	if (owner >= 0)
		return cfg_fail(c, path, "%s is an address of port %s (a service needs an address "
				"of its own)", Q(json_string_value(v)), c->cfg->ports[owner].name);
	return 0;
}

static int svc_vip(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return owned_addr(c, path, v, &((struct sl_config_service *)obj)->vip);
}

static int svc_proto(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	static const char *const names[] = {"tcp", "udp", NULL};
	uint8_t i;
	if (cfg_get_enum(c, path, v, names, "tcp, udp", &i) != 0)
		return -EINVAL;
	((struct sl_config_service *)obj)->proto = i == 0 ? 6 : 17;
	return 0;
}

static int svc_sched(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return cfg_get_enum(c, path, v, sched_names, "rr, wrr, lc, sh, maglev",
			    &((struct sl_config_service *)obj)->sched);
}

static int svc_mode(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return cfg_get_enum(c, path, v, mode_names, "dnat, fullnat",
			    &((struct sl_config_service *)obj)->mode);
}

static int svc_drain(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return cfg_get_bool(c, path, v, &((struct sl_config_service *)obj)->drain);
}

static bool is_prime(uint32_t n)
{
	if (n < 2)
		return false;
	for (uint32_t d = 2; d * d <= n; d++)
		if (n % d == 0)
			return false;
	return true;
}

static int svc_maglev_size(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_service *s = obj;
	if (!json_is_integer(v))
		return cfg_fail(c, path, "expected an integer");
	json_int_t n = json_integer_value(v);
	if (n < 251 || n > 1048573)
		return cfg_fail(c, path, "%lld is out of range 251..1048573", (long long)n);
	if (!is_prime((uint32_t)n))
		return cfg_fail(c, path, "%lld is not a prime number (try 65537)", (long long)n);
	s->maglev_size = (uint32_t)n;
	return 0;
}

static int svc_sources(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_service *s = obj;
	char sub[PATH_LEN];
	json_t *e;
	size_t i;
	if (cfg_check_array(c, path, v, SL_CONFIG_MAX_SOURCES, "addresses") != 0)
		return -EINVAL;
	if (json_array_size(v) == 0)
		return cfg_fail(c, path, "expected at least one address");
	s->n_sources = 0;
	json_array_foreach(v, i, e) {
		cfg_join_index(sub, path, i);
		if (owned_addr(c, sub, e, &s->sources[i]) != 0)
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (cfg_addr_eq(&s->sources[j], &s->sources[i]))
				return cfg_fail(c, sub, "%s is listed twice", Q(json_string_value(e)));
		s->n_sources++;
	}
	return 0;
}

static int svc_source_ports(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_service *s = obj;
	return cfg_get_port_range(c, path, v, &s->source_lo, &s->source_hi);
}

static int backend_addr(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_backend *b = obj;
	if (cfg_get_host_addr(c, path, v, &b->addr) != 0)
		return -EINVAL;
	if (cfg_addr_owner(c->cfg, c->cfg->n_ports, &b->addr) >= 0)
		return cfg_fail(c, path, "%s is sluice's own address", Q(json_string_value(v)));
	return 0;
}

static const struct field backend_fields[] = {
	F_FN("address", backend_addr),
	F_NUM("port", K_INT, struct sl_config_backend, port, 1, 65535),
	F_NUM("weight", K_INT, struct sl_config_backend, weight, 0, 1000),
};

static int svc_backends(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_service *s = obj;
	char sub[PATH_LEN];
	json_t *e;
	size_t i;
	if (cfg_check_array(c, path, v, SL_CONFIG_MAX_BACKENDS, "backends") != 0)
		return -EINVAL;
	s->n_backends = 0;
	json_array_foreach(v, i, e) {
		struct sl_config_backend *b = &s->backends[i];
		cfg_join_index(sub, path, i);
		memset(b, 0, sizeof(*b));
		b->weight = 1;
		if (cfg_walk(c, sub, e, backend_fields, ARRAY_LEN(backend_fields), b) != 0 ||
		    cfg_required(c, sub, e, "address") != 0)
			return -EINVAL;
		s->n_backends++;
	}
	return 0;
}

static int health_type(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return cfg_get_enum(c, path, v, health_names, "none, tcp, http",
			    &((struct sl_config_service *)obj)->health.type);
}

static int health_path(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_service *s = obj;
	const char *p;
	if (cfg_get_str(c, path, v, sizeof(s->health.path), &p) != 0)
		return -EINVAL;
	if (p[0] != '/' || !cfg_only_chars(p, "/-._~%!$&'()*+,;=:@?", true))
		return cfg_fail(c, path, "%s is not an absolute path (\"/healthz\")", Q(p));
	snprintf(s->health.path, sizeof(s->health.path), "%s", p);
	return 0;
}

/* The health object's fields live in the service (offsets from it). */
static const struct field health_fields[] = {
	F_FN("type", health_type),
	F_NUM("interval", K_DURATION, struct sl_config_service, health.interval_us, 100000,
	      3600000000LL),
	F_NUM("timeout", K_DURATION, struct sl_config_service, health.timeout_us, 10000,
	      600000000LL),
	F_NUM("rise", K_INT, struct sl_config_service, health.rise, 1, 100),
	F_NUM("fall", K_INT, struct sl_config_service, health.fall, 1, 100),
	F_FN("path", health_path),
	F_NUM("expect", K_INT, struct sl_config_service, health.expect, 100, 599),
};

static int svc_health(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_service *s = obj;
	if (cfg_walk(c, path, v, health_fields, ARRAY_LEN(health_fields), s) != 0)
		return -EINVAL;
	/* The default timeout (1 s) never exceeds half a shorter interval. */
	if (json_object_get(v, "timeout") == NULL && s->health.timeout_us * 2 > s->health.interval_us)
		s->health.timeout_us = s->health.interval_us / 2;
	if (s->health.timeout_us >= s->health.interval_us) {
		char sub[PATH_LEN];
		cfg_join(sub, path, "timeout");
		return cfg_fail(c, sub, "must be shorter than the interval");
	}
	return 0;
}

static int svc_syn_proxy(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return cfg_get_syn_proxy(c, path, v, &((struct sl_config_service *)obj)->syn_proxy);
}

static const struct field service_fields[] = {
	F_FN("name", svc_name),
	F_FN("vip", svc_vip),
	F_FN("proto", svc_proto),
	F_NUM("port", K_INT, struct sl_config_service, port, 1, 65535),
	F_FN("scheduler", svc_sched),
	F_FN("mode", svc_mode),
	F_FN("sources", svc_sources),
	F_FN("source_ports", svc_source_ports),
	F_FN("drain", svc_drain),
	F_FN("maglev_size", svc_maglev_size),
	F_FN("health", svc_health),
	F_FN("backends", svc_backends),
	F_FN("syn_proxy", svc_syn_proxy),
};

static void service_defaults(struct sl_config_service *s)
{
	memset(s, 0, sizeof(*s));
	s->drain = true;
	s->maglev_size = 65537;
	s->source_lo = 1024;
	s->source_hi = 65535;
	s->health.rise = 2;
	s->health.fall = 3;
	s->health.interval_us = 2000000;
	s->health.timeout_us = 1000000;
	s->health.expect = 200;
	snprintf(s->health.path, sizeof(s->health.path), "/");
}

/* Checks that need the whole service, then the services before it. */
static int service_finish(struct pctx *c, const char *path, const json_t *j, unsigned idx)
{
	const struct sl_config_service *s = &c->cfg->services[idx];
	char sub[PATH_LEN], list[PATH_LEN], addr[64];
	static const char *const required[] = {"name", "vip", "proto", "port", "backends"};
	for (size_t i = 0; i < ARRAY_LEN(required); i++)
		if (cfg_required(c, path, j, required[i]) != 0)
			return -EINVAL;
	if (s->syn_proxy.mode != SL_SYN_PROXY_OFF && s->proto != IPPROTO_TCP) {
		cfg_join(sub, path, "syn_proxy");
		return cfg_fail(c, sub, "only for a tcp service");
	}
	if (s->mode == SL_LB_FULLNAT && s->n_sources == 0) {
		cfg_join(sub, path, "sources");
		return cfg_fail(c, sub, "required with mode \"fullnat\" (the addresses backends "
				"see connections come from)");
	}
	if (s->mode != SL_LB_FULLNAT && s->n_sources > 0) {
		cfg_join(sub, path, "sources");
		return cfg_fail(c, sub, "only used with mode \"fullnat\"");
	}
	for (unsigned i = 0; i < s->n_sources; i++) {
		if (s->sources[i].af == s->vip.af)
			continue;
		cfg_join(list, path, "sources");
		cfg_join_index(sub, list, i);
		return cfg_fail(c, sub, "is %s but the vip is %s", cfg_af_name(s->sources[i].af),
				cfg_af_name(s->vip.af));
	}
	for (unsigned i = 0; i < s->n_backends; i++) {
		const struct sl_config_backend *b = &s->backends[i];
		cfg_join(list, path, "backends");
		cfg_join_index(sub, list, i);
		if (b->addr.af != s->vip.af)
			return cfg_fail(c, sub, "address is %s but the vip is %s",
					cfg_af_name(b->addr.af), cfg_af_name(s->vip.af));
		for (unsigned k = 0; k < i; k++) {
			if (cfg_addr_eq(&s->backends[k].addr, &b->addr) && s->backends[k].port == b->port)
				return cfg_fail(c, sub, "the same backend as backends[%u]", k);
		}
	}
	sl_format_addr(&s->vip, addr, sizeof(addr));
	for (unsigned k = 0; k < idx; k++) {
		const struct sl_config_service *o = &c->cfg->services[k];
		if (strcmp(o->name, s->name) == 0) {
			cfg_join(sub, path, "name");
			return cfg_fail(c, sub, "%s is already the name of services[%u]", Q(s->name), k);
		}
		if (cfg_addr_eq(&o->vip, &s->vip) && o->proto == s->proto && o->port == s->port) {
			cfg_join(sub, path, "port");
			return cfg_fail(c, sub, "%s port %u/%s is already service %s", addr, s->port,
					s->proto == 6 ? "tcp" : "udp", Q(o->name));
		}
		for (unsigned a = 0; a < o->n_sources; a++)
			if (cfg_addr_eq(&o->sources[a], &s->vip)) {
				cfg_join(sub, path, "vip");
				return cfg_fail(c, sub, "%s is a source address of service %s", addr,
						Q(o->name));
			}
		for (unsigned a = 0; a < s->n_sources; a++)
			if (cfg_addr_eq(&s->sources[a], &o->vip)) {
				cfg_join(list, path, "sources");
				cfg_join_index(sub, list, a);
				return cfg_fail(c, sub, "is the vip of service %s", Q(o->name));
			}
	}
	return 0;
}

/* True if @p a is a VIP or a full-NAT source of any service. */
static int owned_by_service(const struct sl_config *cfg, const struct sl_addr *a)
{
	for (unsigned k = 0; k < cfg->n_services; k++) {
		const struct sl_config_service *o = &cfg->services[k];
		if (cfg_addr_eq(&o->vip, a))
			return (int)k;
		for (unsigned i = 0; i < o->n_sources; i++)
			if (cfg_addr_eq(&o->sources[i], a))
				return (int)k;
	}
	return -1;
}

/* Checks over all services: backends in all, and none at sluice's own addresses. */
static int backends_finish(struct pctx *c)
{
	char path[PATH_LEN];
	unsigned total = 0;
	for (unsigned k = 0; k < c->cfg->n_services; k++) {
		const struct sl_config_service *s = &c->cfg->services[k];
		total += s->n_backends;
		for (unsigned b = 0; b < s->n_backends; b++) {
			int o = owned_by_service(c->cfg, &s->backends[b].addr);
			if (o < 0)
				continue;
			snprintf(path, sizeof(path), "services[%u].backends[%u].address", k, b);
			return cfg_fail(c, path, "is an address of service %s (sluice's own)",
					Q(c->cfg->services[o].name));
		}
	}
	if (total > SL_CONFIG_MAX_BACKENDS_TOTAL)
		return cfg_fail(c, "services", "%u backends in all; at most %d", total,
				SL_CONFIG_MAX_BACKENDS_TOTAL);
	return 0;
}

int cfg_parse_services(struct pctx *c, const json_t *v)
{
	char path[PATH_LEN];
	json_t *e;
	size_t i;
	if (cfg_check_array(c, "services", v, SL_CONFIG_MAX_SERVICES, "services") != 0)
		return -EINVAL;
	free(c->cfg->services);
	c->cfg->n_services = 0;
	c->cfg->services = calloc(json_array_size(v) + 1, sizeof(*c->cfg->services));
	if (c->cfg->services == NULL)
		return cfg_fail(c, "services", "out of memory");
	json_array_foreach(v, i, e) {
		struct sl_config_service *s = &c->cfg->services[i];
		cfg_join_index(path, "services", i);
		service_defaults(s);
		if (cfg_walk(c, path, e, service_fields, ARRAY_LEN(service_fields), s) != 0)
			return -EINVAL;
		for (unsigned b = 0; b < s->n_backends; b++)
			if (s->backends[b].port == 0)
				s->backends[b].port = s->port;
		if (service_finish(c, path, e, (unsigned)i) != 0)
			return -EINVAL;
		c->cfg->n_services++;
	}
	return backends_finish(c);
}

static bool holds_probe_ports(uint16_t lo, uint16_t hi)
{
	return lo <= SL_HEALTH_PORT_HI && hi >= SL_HEALTH_PORT_LO;
}

/* HTTP checks use the host's TCP stack through a port with a kernel_address. */
static int check_http_port(struct pctx *c)
{
	char path[PATH_LEN];
	for (unsigned k = 0; k < c->cfg->n_services; k++) {
		if (c->cfg->services[k].health.type != SL_HEALTH_HTTP)
			continue;
		if (c->cfg->services[k].vip.af != SL_AF_INET) {
			snprintf(path, sizeof(path), "services[%u].health.type", k);
			return cfg_fail(c, path, "\"http\" checks reach IPv4 backends only (use \"tcp\")");
		}
		for (unsigned p = 0; p < c->cfg->n_ports; p++)
			if (c->cfg->ports[p].has_kernel_address)
				return 0;
		snprintf(path, sizeof(path), "services[%u].health.type", k);
		return cfg_fail(c, path, "\"http\" needs a port with a kernel_address (a net_tap "
				"port to the host's own TCP stack)");
	}
	return 0;
}

int cfg_check_probe_ports(struct pctx *c)
{
	if (check_http_port(c) != 0)
		return -EINVAL;
	const struct sl_config *cfg = c->cfg;
	char path[PATH_LEN];
	unsigned i;
	for (i = 0; i < cfg->n_services && cfg->services[i].health.type != SL_HEALTH_TCP; i++)
		;
	if (i == cfg->n_services)
		return 0;
	for (unsigned k = 0; k < cfg->n_snat; k++) {
		if (!holds_probe_ports(cfg->snat[k].port_lo, cfg->snat[k].port_hi))
			continue;
		snprintf(path, sizeof(path), "nat.snat[%u].ports", k);
		return cfg_fail(c, path, "holds ports %d-%d, the source ports of TCP health checks "
				"(services[%u].health)", SL_HEALTH_PORT_LO, SL_HEALTH_PORT_HI, i);
	}
	for (unsigned k = 0; k < cfg->n_dnat; k++) {
		if (cfg->dnat[k].proto != IPPROTO_TCP ||
		    !holds_probe_ports(cfg->dnat[k].port, cfg->dnat[k].port))
			continue;
		snprintf(path, sizeof(path), "nat.dnat[%u].port", k);
		return cfg_fail(c, path, "is one of ports %d-%d, the source ports of TCP health "
				"checks (services[%u].health)", SL_HEALTH_PORT_LO, SL_HEALTH_PORT_HI, i);
	}
	for (unsigned k = 0; k < cfg->n_services; k++) {
		const struct sl_config_service *s = &cfg->services[k];
		if (s->mode != SL_LB_FULLNAT || !holds_probe_ports(s->source_lo, s->source_hi))
			continue;
		snprintf(path, sizeof(path), "services[%u].source_ports", k);
		return cfg_fail(c, path, "holds ports %d-%d, the source ports of TCP health checks "
				"(services[%u].health)", SL_HEALTH_PORT_LO, SL_HEALTH_PORT_HI, i);
	}
	return 0;
}

json_t *sl_config_service_json(const struct sl_config_service *s)
{
	char buf[32];
	int rc = 0;
	json_t *o = json_object(), *b = json_array();
	if (o == NULL || b == NULL) {
		json_decref(o);
		json_decref(b);
		return NULL;
	}
	cfg_put(o, "name", json_string(s->name), &rc);
	cfg_put(o, "vip", cfg_addr_json(&s->vip), &rc);
	cfg_put(o, "proto", json_string(s->proto == 6 ? "tcp" : "udp"), &rc);
	cfg_put(o, "port", json_integer(s->port), &rc);
	cfg_put(o, "scheduler", json_string(sched_names[s->sched]), &rc);
	cfg_put(o, "mode", json_string(mode_names[s->mode]), &rc);
	if (s->mode == SL_LB_FULLNAT) {
		json_t *a = json_array();
		for (unsigned i = 0; a != NULL && i < s->n_sources; i++)
			if (json_array_append_new(a, cfg_addr_json(&s->sources[i])) != 0)
				rc = -1;
		cfg_put(o, "sources", a, &rc);
		snprintf(buf, sizeof(buf), "%u-%u", s->source_lo, s->source_hi);
		cfg_put(o, "source_ports", json_string(buf), &rc);
	}
	cfg_put(o, "drain", json_boolean(s->drain), &rc);
	cfg_put(o, "maglev_size", json_integer(s->maglev_size), &rc);
	if (s->syn_proxy.mode != SL_SYN_PROXY_OFF)
		cfg_put(o, "syn_proxy", cfg_syn_proxy_json(&s->syn_proxy), &rc);
	json_t *h = json_object();
	int hr = h != NULL ? 0 : -1;
	if (h != NULL) {
		char iv[32], to[32];
		cfg_duration_kind.format(s->health.interval_us, iv, sizeof(iv));
		cfg_duration_kind.format(s->health.timeout_us, to, sizeof(to));
		cfg_put(h, "type", json_string(health_names[s->health.type]), &hr);
		cfg_put(h, "interval", json_string(iv), &hr);
		cfg_put(h, "timeout", json_string(to), &hr);
		cfg_put(h, "rise", json_integer(s->health.rise), &hr);
		cfg_put(h, "fall", json_integer(s->health.fall), &hr);
		if (s->health.type == SL_HEALTH_HTTP) {
			cfg_put(h, "path", json_string(s->health.path), &hr);
			cfg_put(h, "expect", json_integer(s->health.expect), &hr);
		}
	}
	cfg_put(o, "health", cfg_finish(h, hr), &rc);
	for (unsigned i = 0; i < s->n_backends; i++) {
		const struct sl_config_backend *be = &s->backends[i];
		json_t *j = json_object();
		int jr = j != NULL ? 0 : -1;
		if (j != NULL) {
			cfg_put(j, "address", cfg_addr_json(&be->addr), &jr);
			cfg_put(j, "port", json_integer(be->port), &jr);
			cfg_put(j, "weight", json_integer(be->weight), &jr);
		}
		j = cfg_finish(j, jr);
		if (j == NULL || json_array_append_new(b, j) != 0)
			rc = -1;
	}
	cfg_put(o, "backends", b, &rc);
	return cfg_finish(o, rc);
}

/* ------------------------------------------------ the service edit API */

int sl_config_service_find(const struct sl_config *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->n_services; i++)
		if (strcmp(cfg->services[i].name, name) == 0)
			return (int)i;
	return -1;
}

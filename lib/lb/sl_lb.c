/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Services, slots, views and the schedulers.
 *
 * A view is built whole from the config and the backends' health (a few
 * Maglev tables of 64 Ki entries take a few milliseconds), so workers only
 * ever see a consistent set of services; a new connection reads it once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "sl_lb.h"

static const char *const sched_names[] = {"rr", "wrr", "lc", "sh", "maglev"};
static const char *const mode_names[] = {"dnat", "fullnat"};

struct sl_lb *sl_lb_create(unsigned n_workers, int socket)
{
	if (n_workers == 0 || n_workers > SL_LB_MAX_WORKERS)
		return NULL;
	struct sl_lb *lb = calloc(1, sizeof(*lb));
	if (lb == NULL)
		return NULL;
	lb->n_workers = n_workers;
	lb->wc = rte_zmalloc_socket("sl_lb_counters", sizeof(*lb->wc) * n_workers,
				    RTE_CACHE_LINE_SIZE, socket);
	lb->next = rte_zmalloc_socket("sl_lb_next", sizeof(uint64_t) * SL_LB_SERVICE_SLOTS,
				      RTE_CACHE_LINE_SIZE, socket);
	lb->slot_cursor = 1;
	if (lb->wc == NULL || lb->next == NULL) {
		sl_lb_free(lb);
		return NULL;
	}
	return lb;
}

void sl_lb_free(struct sl_lb *lb)
{
	if (lb == NULL)
		return;
	for (int i = 1; i < SL_LB_BACKEND_SLOTS; i++)
		if (lb->slots[i].used)
			sl_lb_http_close(&lb->slots[i]);
	sl_lb_view_free(lb->view);
	rte_free(lb->wc);
	rte_free(lb->next);
	free(lb);
}

void sl_lb_view_free(struct sl_lb_view *v)
{
	if (v == NULL)
		return;
	for (unsigned i = 0; i < v->n_services; i++) {
		free(v->services[i].backends);
		free(v->services[i].seq);
		free(v->services[i].table);
	}
	free(v->services);
	free(v->hash);
	free(v);
}

/* ------------------------------------------------------------ counters */

/*
 * One counter of one slot summed over the workers (each writes its own; a
 * racy read). The sum wraps as the counters do, so a connection counted
 * open on one worker and closed on another still adds up.
 */
#define SUM_WORKERS(lb, field, i) __extension__({                                  \
	__typeof__((lb)->wc[0].field[0]) sum_ = 0;                                   \
	for (unsigned w_ = 0; w_ < (lb)->n_workers; w_++)                            \
		sum_ += __atomic_load_n(&(lb)->wc[w_].field[i], __ATOMIC_RELAXED);   \
	sum_;                                                                        \
})

uint64_t sl_lb_syn_timeouts(const struct sl_lb *lb, uint16_t slot)
{
	return SUM_WORKERS(lb, syn_timeouts, slot);
}

uint32_t sl_lb_open(const struct sl_lb *lb, uint16_t slot)
{
	return SUM_WORKERS(lb, open, slot);
}

static void raw_totals(const struct sl_lb *lb, uint16_t slot, uint64_t *opened,
		       uint64_t *packets, uint64_t *bytes)
{
	*opened = SUM_WORKERS(lb, opened, slot);
	*packets = SUM_WORKERS(lb, packets, slot);
	*bytes = SUM_WORKERS(lb, bytes, slot);
}

void sl_lb_backend_totals(const struct sl_lb *lb, uint16_t slot, uint64_t *opened,
			  uint64_t *packets, uint64_t *bytes)
{
	const struct sl_lb_backend_slot *s = &lb->slots[slot];
	raw_totals(lb, slot, opened, packets, bytes);
	*opened -= s->base_opened;
	*packets -= s->base_packets;
	*bytes -= s->base_bytes;
}

uint64_t sl_lb_no_backend(const struct sl_lb *lb, uint16_t service_slot)
{
	return SUM_WORKERS(lb, no_backend, service_slot) - lb->base_no_backend[service_slot];
}

/* --------------------------------------------------------------- slots */

static int service_slot(struct sl_lb *lb, const char *name)
{
	int free_slot = -1;
	for (int i = 1; i < SL_LB_SERVICE_SLOTS; i++) {
		if (strcmp(lb->service_names[i], name) == 0)
			return i;
		if (free_slot < 0 && lb->service_names[i][0] == '\0')
			free_slot = i;
	}
	if (free_slot < 0)
		return -ENOSPC;
	snprintf(lb->service_names[free_slot], sizeof(lb->service_names[free_slot]), "%s", name);
	lb->base_no_backend[free_slot] = SUM_WORKERS(lb, no_backend, free_slot);
	lb->next[free_slot] = 0;
	return free_slot;
}

static int backend_slot(struct sl_lb *lb, uint16_t svc, const struct sl_config_backend *b)
{
	uint8_t addr[16] = {0};
	memcpy(addr, b->addr.af == SL_AF_INET ? (const void *)&b->addr.v4 : b->addr.v6,
	       b->addr.af == SL_AF_INET ? 4 : 16);
	for (int i = 1; i < SL_LB_BACKEND_SLOTS; i++) {
		const struct sl_lb_backend_slot *s = &lb->slots[i];
		if (s->used && s->service_slot == svc && s->port == b->port &&
		    s->af == b->addr.af && memcmp(s->addr, addr, 16) == 0)
			return i;
	}
	/* A new one: from the cursor on, so a freed number rests a while. */
	for (int k = 0; k < SL_LB_BACKEND_SLOTS - 1; k++) {
		uint16_t i = (uint16_t)((lb->slot_cursor - 1 + k) % (SL_LB_BACKEND_SLOTS - 1) + 1);
		struct sl_lb_backend_slot *s = &lb->slots[i];
		if (s->used)
			continue;
		memset(s, 0, sizeof(*s));
		s->http_fd = -1;
		s->used = true;
		s->service_slot = svc;
		s->af = b->addr.af;
		memcpy(s->addr, addr, 16);
		s->port = b->port;
		s->health = SL_LB_UP;
		raw_totals(lb, i, &s->base_opened, &s->base_packets, &s->base_bytes);
		s->syn_timeouts_seen = SUM_WORKERS(lb, syn_timeouts, i);
		lb->slot_cursor = (uint16_t)(i % (SL_LB_BACKEND_SLOTS - 1) + 1);
		return i;
	}
	return -ENOSPC;
}

void sl_lb_gc(struct sl_lb *lb)
{
	const struct sl_lb_view *v = lb->view;
	bool svc_used[SL_LB_SERVICE_SLOTS] = {false};
	static bool be_used[SL_LB_BACKEND_SLOTS];   /* management only */
	memset(be_used, 0, sizeof(be_used));
	for (unsigned i = 0; v != NULL && i < v->n_services; i++) {
		svc_used[v->services[i].slot] = true;
		for (unsigned b = 0; b < v->services[i].n_backends; b++)
			be_used[v->services[i].backends[b].slot] = true;
	}
	for (int i = 1; i < SL_LB_BACKEND_SLOTS; i++) {
		struct sl_lb_backend_slot *s = &lb->slots[i];
		/* Closing connections still name it (their packets count there). */
		if (s->used && !be_used[i] && SUM_WORKERS(lb, refs, i) == 0) {
			sl_lb_http_close(s);
			s->used = false;
		}
		if (s->used)
			svc_used[s->service_slot] = true;   /* its connections name the service */
	}
	for (int i = 1; i < SL_LB_SERVICE_SLOTS; i++)
		if (!svc_used[i])
			lb->service_names[i][0] = '\0';
}

bool sl_lb_set_health(struct sl_lb *lb, uint16_t slot, enum sl_lb_health h)
{
	if (slot == 0 || slot >= SL_LB_BACKEND_SLOTS || lb->slots[slot].health == h)
		return false;
	lb->slots[slot].health = (uint8_t)h;
	return true;
}

/* ---------------------------------------------------------------- views */

static uint32_t vip_hash(uint8_t af, uint8_t proto, const uint8_t *vip, uint16_t port)
{
	uint32_t h = rte_hash_crc_4byte((uint32_t)af << 24 | (uint32_t)proto << 16 | port, 0);
	return rte_hash_crc(vip, af == 4 ? 4 : 16, h);
}

/* Smooth weighted round robin (as nginx interleaves): the order of one
 * cycle of total weight W, each backend in proportion, spread out. */
static int build_sequence(struct sl_lb_service *s, bool weighted)
{
	uint32_t total = 0;
	for (unsigned i = 0; i < s->n_backends; i++)
		if (s->backends[i].usable)
			total += weighted ? s->backends[i].weight : 1;
	if (total == 0)
		return 0;
	s->seq = malloc(sizeof(*s->seq) * total);
	int64_t *cur = calloc(s->n_backends, sizeof(*cur));
	if (s->seq == NULL || cur == NULL) {
		free(cur);
		return -ENOMEM;
	}
	for (uint32_t k = 0; k < total; k++) {
		int best = -1;
		for (unsigned i = 0; i < s->n_backends; i++) {
			if (!s->backends[i].usable)
				continue;
			cur[i] += weighted ? s->backends[i].weight : 1;
			if (best < 0 || cur[i] > cur[best])
				best = (int)i;
		}
		cur[best] -= total;
		s->seq[k] = (uint16_t)best;
	}
	s->seq_len = total;
	free(cur);
	return 0;
}

static int build_table(struct sl_lb_service *s, uint32_t size)
{
	struct sl_maglev_backend mb[SL_CONFIG_MAX_BACKENDS];
	uint8_t ids[SL_CONFIG_MAX_BACKENDS][18];
	unsigned n = 0;
	uint16_t map[SL_CONFIG_MAX_BACKENDS];
	for (unsigned i = 0; i < s->n_backends; i++) {
		const struct sl_lb_backend *b = &s->backends[i];
		if (!b->usable)
			continue;
		memcpy(ids[n], b->addr, 16);
		ids[n][16] = (uint8_t)(b->port >> 8);
		ids[n][17] = (uint8_t)b->port;
		mb[n] = (struct sl_maglev_backend){.id = ids[n], .id_len = 18,
			.weight = s->sched == SL_LB_MAGLEV || s->sched == SL_LB_SH ? b->weight : 1};
		map[n++] = (uint16_t)i;
	}
	if (n == 0)
		return 0;
	s->table = malloc(sizeof(*s->table) * size);
	if (s->table == NULL)
		return -ENOMEM;
	int rc = sl_maglev_build(mb, n, s->table, size);
	if (rc != 0)
		return rc;
	for (uint32_t k = 0; k < size; k++)
		s->table[k] = map[s->table[k]];
	s->table_size = size;
	return 0;
}

static int build_service(struct sl_lb *lb, const struct sl_config_service *c,
			 struct sl_lb_service *s, char *err, size_t err_len)
{
	int slot = service_slot(lb, c->name);
	if (slot < 0) {
		snprintf(err, err_len, "services[%s]: more than %d services", c->name,
			 SL_LB_SERVICE_SLOTS - 1);
		return -ENOSPC;
	}
	s->slot = (uint16_t)slot;
	snprintf(s->name, sizeof(s->name), "%s", c->name);
	s->af = c->vip.af == SL_AF_INET ? 4 : 6;
	s->proto = c->proto;
	s->port = c->port;
	s->sched = c->sched;
	s->mode = c->mode;
	memcpy(s->vip, c->vip.af == SL_AF_INET ? (const void *)&c->vip.v4 : c->vip.v6, s->af == 4 ? 4 : 16);
	s->n_sources = (uint16_t)c->n_sources;
	for (unsigned i = 0; i < c->n_sources; i++)
		memcpy(s->sources[i], c->sources[i].af == SL_AF_INET ? (const void *)&c->sources[i].v4 :
		       c->sources[i].v6, s->af == 4 ? 4 : 16);
	s->source_lo = c->source_lo;
	s->source_hi = c->source_hi;
	s->drain = c->drain;
	s->syn_proxy = c->syn_proxy.mode;
	s->syn_proxy_above = c->syn_proxy.above;
	s->health_type = c->health.type;
	s->rise = c->health.rise;
	s->fall = c->health.fall;
	s->interval_us = c->health.interval_us;
	s->timeout_us = c->health.timeout_us;
	s->http_expect = c->health.expect;
	snprintf(s->http_path, sizeof(s->http_path), "%s", c->health.path);
	s->backends = calloc(c->n_backends + 1, sizeof(*s->backends));
	if (s->backends == NULL)
		goto nomem;
	s->n_backends = (uint16_t)c->n_backends;
	for (unsigned i = 0; i < c->n_backends; i++) {
		const struct sl_config_backend *cb = &c->backends[i];
		struct sl_lb_backend *b = &s->backends[i];
		int bs = backend_slot(lb, s->slot, cb);
		if (bs < 0) {
			snprintf(err, err_len, "services[%s].backends: more than %d backends in all",
				 c->name, SL_LB_BACKEND_SLOTS - 1);
			return -ENOSPC;
		}
		b->slot = (uint16_t)bs;
		b->weight = cb->weight;
		b->port = cb->port;
		b->af = s->af;
		memcpy(b->addr, cb->addr.af == SL_AF_INET ? (const void *)&cb->addr.v4 : cb->addr.v6,
		       s->af == 4 ? 4 : 16);
		struct sl_lb_backend_slot *slot = &lb->slots[bs];
		if (c->health.type == SL_HEALTH_NONE) {
			/* Unchecked: up, whatever checks said before they were turned off. */
			slot->health = SL_LB_UP;
			slot->ok_run = slot->fail_run = 0;
			slot->probe_sent = 0;
			slot->passive_run = 0;
			sl_lb_http_close(slot);
		}
		b->usable = b->weight > 0 && slot->health == SL_LB_UP;
		s->n_usable += b->usable;
	}
	int rc = 0;
	if (c->sched == SL_LB_RR || c->sched == SL_LB_WRR)
		rc = build_sequence(s, c->sched == SL_LB_WRR);
	else if (c->sched == SL_LB_SH || c->sched == SL_LB_MAGLEV)
		rc = build_table(s, c->maglev_size);
	if (rc == 0)
		return 0;
nomem:
	snprintf(err, err_len, "services[%s]: out of memory", c->name);
	return -ENOMEM;
}

struct sl_lb_view *sl_lb_view_build(struct sl_lb *lb, const struct sl_config *cfg,
				    char *err, size_t err_len)
{
	struct sl_lb_view *v = calloc(1, sizeof(*v));
	uint32_t buckets = 16;
	while (buckets < cfg->n_services * 2u)
		buckets <<= 1;
	if (v != NULL) {
		v->services = calloc(cfg->n_services + 1, sizeof(*v->services));
		v->hash = calloc(buckets, sizeof(*v->hash));
		v->hash_mask = buckets - 1;
	}
	if (v == NULL || v->services == NULL || v->hash == NULL) {
		snprintf(err, err_len, "services: out of memory");
		sl_lb_view_free(v);
		return NULL;
	}
	for (unsigned i = 0; i < cfg->n_services; i++) {
		struct sl_lb_service *s = &v->services[i];
		v->n_services++;     /* so that free sees what was allocated */
		if (build_service(lb, &cfg->services[i], s, err, err_len) != 0) {
			sl_lb_view_free(v);
			return NULL;
		}
		v->by_slot[s->slot] = (uint16_t)(i + 1);
		uint32_t h = vip_hash(s->af, s->proto, s->vip, s->port) & v->hash_mask;
		while (v->hash[h] != 0)
			h = (h + 1) & v->hash_mask;
		v->hash[h] = (uint16_t)(i + 1);
	}
	return v;
}

struct sl_lb_view *sl_lb_publish(struct sl_lb *lb, struct sl_lb_view *v)
{
	struct sl_lb_view *old = lb->view;
	__atomic_store_n(&lb->view, v, __ATOMIC_RELEASE);
	return old;
}

const struct sl_lb_service *sl_lb_match(const struct sl_lb_view *v, uint8_t af, uint8_t proto,
					const uint8_t *vip, uint16_t port)
{
	if (v == NULL || v->n_services == 0)
		return NULL;
	uint32_t h = vip_hash(af, proto, vip, port) & v->hash_mask;
	for (uint16_t i; (i = v->hash[h]) != 0; h = (h + 1) & v->hash_mask) {
		const struct sl_lb_service *s = &v->services[i - 1];
		if (s->af == af && s->proto == proto && s->port == port &&
		    memcmp(s->vip, vip, af == 4 ? 4 : 16) == 0)
			return s;
	}
	return NULL;
}

/* ------------------------------------------------------------ schedulers */

/* Fewest open connections per unit of weight; ties go round. */
static int least_connections(struct sl_lb *lb, const struct sl_lb_service *s)
{
	int best = -1;
	uint64_t best_open = 0;
	unsigned start = (unsigned)(__atomic_fetch_add(&lb->next[s->slot], 1, __ATOMIC_RELAXED) %
				    s->n_backends);
	for (unsigned k = 0; k < s->n_backends; k++) {
		unsigned i = (start + k) % s->n_backends;
		const struct sl_lb_backend *b = &s->backends[i];
		if (!b->usable)
			continue;
		uint64_t open = sl_lb_open(lb, b->slot);
		/* open / weight < best_open / best_weight, without division */
		if (best < 0 || open * s->backends[best].weight < best_open * b->weight) {
			best = (int)i;
			best_open = open;
		}
	}
	return best;
}

const struct sl_lb_backend *sl_lb_pick(struct sl_lb *lb, const struct sl_lb_service *s,
				       unsigned worker, const uint8_t *src, uint16_t sport)
{
	int i = -1;
	if (s->n_usable == 0) {
		lb->wc[worker].no_backend[s->slot]++;
		return NULL;
	}
	switch (s->sched) {
	case SL_LB_RR:
	case SL_LB_WRR: {
		uint64_t n = __atomic_fetch_add(&lb->next[s->slot], 1, __ATOMIC_RELAXED);
		i = s->seq[n % s->seq_len];
		break;
	}
	case SL_LB_LC:
		i = least_connections(lb, s);
		break;
	case SL_LB_SH:
	case SL_LB_MAGLEV: {
		uint32_t h = rte_hash_crc(src, s->af == 4 ? 4 : 16, 0x51ce);
		if (s->sched == SL_LB_MAGLEV)
			h = rte_hash_crc_2byte(sport, h);
		i = s->table[h % s->table_size];
		break;
	}
	default:
		break;
	}
	if (i < 0)
		return NULL;
	const struct sl_lb_backend *b = &s->backends[i];
	lb->wc[worker].open[b->slot]++;
	lb->wc[worker].refs[b->slot]++;
	lb->wc[worker].opened[b->slot]++;
	return b;
}

/* ------------------------------------------------------------------ JSON */

static json_t *addr_json(uint8_t af, const uint8_t *a)
{
	struct sl_addr x = {.af = af == 4 ? SL_AF_INET : SL_AF_INET6};
	char buf[64];
	if (af == 4)
		memcpy(&x.v4, a, 4);
	else
		memcpy(x.v6, a, 16);
	sl_format_addr(&x, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *service_json(const struct sl_lb *lb, const struct sl_lb_service *s,
			    const struct sl_config *cfg)
{
	int ci = sl_config_service_find(cfg, s->name);
	const struct sl_config_service *c = ci >= 0 ? &cfg->services[ci] : NULL;
	json_t *bs = json_array();
	uint64_t open_total = 0;
	for (unsigned i = 0; bs != NULL && i < s->n_backends; i++) {
		const struct sl_lb_backend *b = &s->backends[i];
		uint64_t opened, packets, bytes;
		uint32_t open = sl_lb_open(lb, b->slot);
		sl_lb_backend_totals(lb, b->slot, &opened, &packets, &bytes);
		open_total += open;
		json_array_append_new(bs, json_pack("{s:o, s:i, s:i, s:s, s:b, s:I, s:I, s:I, s:I}",
			"address", addr_json(b->af, b->addr), "port", b->port, "weight", b->weight,
			"health", lb->slots[b->slot].health == SL_LB_UP ? "up" : "down",
			"usable", b->usable, "connections", (json_int_t)open,
			"opened", (json_int_t)opened, "packets", (json_int_t)packets,
			"bytes", (json_int_t)bytes));
	}
	return json_pack("{s:s, s:o, s:s, s:i, s:s, s:s, s:s, s:i, s:I, s:I, s:o}",
			 "name", s->name, "vip", addr_json(s->af, s->vip),
			 "proto", s->proto == 6 ? "tcp" : "udp", "port", s->port,
			 "scheduler", sched_names[s->sched], "mode", mode_names[s->mode],
			 "health_check", c == NULL ? "none" : c->health.type == SL_HEALTH_TCP ? "tcp" :
					 c->health.type == SL_HEALTH_HTTP ? "http" : "none",
			 "usable_backends", s->n_usable, "connections", (json_int_t)open_total,
			 "no_backend", (json_int_t)sl_lb_no_backend(lb, s->slot),
			 "backends", bs != NULL ? bs : json_array());
}

json_t *sl_lb_json(const struct sl_lb *lb, const struct sl_config *cfg, const char *only)
{
	const struct sl_lb_view *v = lb->view;
	json_t *a = json_array();
	for (unsigned i = 0; a != NULL && v != NULL && i < v->n_services; i++) {
		const struct sl_lb_service *s = &v->services[i];
		if (only != NULL && strcmp(only, s->name) != 0)
			continue;
		if (json_array_append_new(a, service_json(lb, s, cfg)) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

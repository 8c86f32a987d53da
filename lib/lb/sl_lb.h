/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Load balancing: virtual services, their backends, the schedulers that
 * pick a backend for a new connection, and the backends' health.
 *
 * Three kinds of state, three owners:
 *  - struct sl_lb_view: the services as the workers use them (VIP lookup,
 *    the usable backends, the round-robin sequences and Maglev tables).
 *    Built by the management lcore from the config and the backends'
 *    health, immutable once published (one pointer, read by workers once per
 *    loop iteration), freed after an RCU grace period. A health change
 *    publishes a new view without touching the config snapshot.
 *  - Slots: every service and backend has a stable number (1..) that
 *    connections and counters refer to, so counts survive config changes
 *    and a backend keeps its number while connections still use it.
 *    Management only.
 *  - Counters (connections open, opened, packets, bytes per backend): per
 *    worker, written by the connection's owner only, summed on read.
 *
 * Threads: sl_lb_create/free, sl_lb_view_build/publish, health and slot
 * functions: management. sl_lb_view_get, sl_lb_match, sl_lb_pick and the
 * counter updates: workers (between their quiescent states).
 */
#ifndef SL_LB_H
#define SL_LB_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_common.h>

#include "sl_config.h"

#define SL_LB_SERVICE_SLOTS 256     /**< service numbers 1..255 */
#define SL_LB_BACKEND_SLOTS 4096    /**< backend numbers 1..4095 */
#define SL_LB_MAX_WORKERS 32
#define SL_LB_MAX_SOURCES SL_CONFIG_MAX_SOURCES

/** A backend as the workers see it. */
struct sl_lb_backend {
	uint16_t slot;
	uint16_t weight;
	uint16_t port;           /**< host order */
	uint8_t af;              /**< 4 or 6 */
	bool usable;             /**< up and weight > 0: takes new connections */
	uint8_t addr[16];        /**< network order; IPv4 in the first 4 bytes */
};

/** A service as the workers see it (immutable, in a view). */
struct sl_lb_service {
	uint16_t slot;
	uint8_t af, proto;
	uint16_t port;           /**< host order */
	uint8_t sched;           /**< enum sl_lb_sched */
	uint8_t mode;            /**< enum sl_lb_mode */
	uint8_t vip[16];
	uint16_t n_backends;
	uint16_t n_usable;
	struct sl_lb_backend *backends;  /**< config order */
	uint32_t seq_len;        /**< rr, wrr: backends in turn (indices) */
	uint16_t *seq;
	uint32_t table_size;     /**< sh, maglev: the Maglev table (indices) */
	uint16_t *table;
	uint16_t n_sources;      /**< fullnat: the addresses backends see */
	uint8_t sources[SL_LB_MAX_SOURCES][16];
	uint16_t source_lo, source_hi;
	bool drain;              /**< a backend marked down keeps its connections */
	uint8_t syn_proxy;       /**< enum sl_config_syn_proxy_mode */
	uint32_t syn_proxy_above; /**< auto: SYNs per second that turn it on */
	uint8_t health_type;     /**< enum sl_health_type */
	uint8_t rise, fall;
	uint32_t interval_us, timeout_us;
	uint16_t http_expect;
	char http_path[SL_CONFIG_HEALTH_PATH_MAX];
	char name[SL_CONFIG_SERVICE_NAME_MAX];
};

struct sl_lb_view {
	unsigned n_services;
	struct sl_lb_service *services;
	uint16_t by_slot[SL_LB_SERVICE_SLOTS];  /**< slot -> index + 1 */
	uint32_t hash_mask;                     /**< VIP lookup: open addressing */
	uint16_t *hash;                         /**< index + 1, 0 = empty */
};

/** Per-worker counters, indexed by slot. Written by one worker only. */
struct sl_lb_counters {
	uint32_t open[SL_LB_BACKEND_SLOTS];      /**< open (not closing) connections this worker owns */
	uint32_t refs[SL_LB_BACKEND_SLOTS];      /**< connections naming the backend, closing too */
	uint64_t opened[SL_LB_BACKEND_SLOTS];
	uint64_t packets[SL_LB_BACKEND_SLOTS];
	uint64_t bytes[SL_LB_BACKEND_SLOTS];
	uint64_t no_backend[SL_LB_SERVICE_SLOTS]; /**< new connections refused: none usable */
	uint64_t syn_timeouts[SL_LB_BACKEND_SLOTS]; /**< expired unanswered in syn_sent */
} __rte_cache_aligned;

enum sl_lb_health { SL_LB_UP = 0, SL_LB_DOWN = 1 };

/** What management keeps about a backend slot. */
struct sl_lb_backend_slot {
	bool used;
	uint16_t service_slot;
	uint8_t af;
	uint8_t addr[16];
	uint16_t port;
	uint8_t health;               /**< enum sl_lb_health */
	/* Counter values when the slot was (re)assigned: reads subtract them. */
	uint64_t base_opened, base_packets, base_bytes;
	/* Health checking (management only). */
	uint64_t probe_due;           /**< TSC of the next probe */
	uint64_t probe_sent;          /**< TSC of the probe in flight, 0: none */
	uint32_t probe_seq;
	uint16_t probe_sport;
	uint8_t ok_run, fail_run;     /**< consecutive results */
	uint64_t checks, failures;
	uint64_t syn_timeouts_seen;   /**< passive marking: the sum at the last look */
	uint32_t passive_run;         /**< syn_sent expiries since the last answered probe */
	int http_fd;                  /**< an HTTP check's socket, -1: none */
	uint8_t http_state;
	uint16_t http_len;
	char http_buf[48];            /**< the start of the answer: its status line */
	const char *last_failure;     /**< "timeout", "refused", "no route", "passive" */
};

struct sl_lb {
	struct sl_lb_view *view;      /**< published; workers load it with acquire */
	unsigned n_workers;
	struct sl_lb_counters *wc;    /**< [n_workers] */
	/** rr / wrr position per service slot (shared by all workers). */
	uint64_t *next;
	/* Management only. */
	char service_names[SL_LB_SERVICE_SLOTS][SL_CONFIG_SERVICE_NAME_MAX];
	uint64_t base_no_backend[SL_LB_SERVICE_SLOTS];
	struct sl_lb_backend_slot slots[SL_LB_BACKEND_SLOTS];
	uint16_t slot_cursor;         /**< where the next free backend slot search starts */
};

/** NULL on no memory. @p n_workers workers will count. */
struct sl_lb *sl_lb_create(unsigned n_workers, int socket);
void sl_lb_free(struct sl_lb *lb);

/**
 * A view of @p cfg's services with the backends' current health, slots
 * assigned (a service keeps its slot by name, a backend by service, address
 * and port). NULL with @p err set when slots ran out or memory did.
 */
struct sl_lb_view *sl_lb_view_build(struct sl_lb *lb, const struct sl_config *cfg,
				    char *err, size_t err_len);
void sl_lb_view_free(struct sl_lb_view *v);

/** Publish @p v; returns the old view, which the caller frees after an RCU grace period. */
struct sl_lb_view *sl_lb_publish(struct sl_lb *lb, struct sl_lb_view *v);

/**
 * Free the slots the current view does not use and no connection holds.
 * Call after a grace period that followed the last publish (a worker on an
 * older view may still be opening a connection to a backend it names).
 */
void sl_lb_gc(struct sl_lb *lb);

/** The current view. Thread: workers, once per loop iteration. */
static inline const struct sl_lb_view *sl_lb_view_get(const struct sl_lb *lb)
{
	return __atomic_load_n(&lb->view, __ATOMIC_ACQUIRE);
}

/** The service at @p vip / @p proto / @p port (host order), or NULL. */
const struct sl_lb_service *sl_lb_match(const struct sl_lb_view *v, uint8_t af, uint8_t proto,
					const uint8_t *vip, uint16_t port);

/** The service numbered @p slot in @p v, or NULL. */
static inline const struct sl_lb_service *sl_lb_service_by_slot(const struct sl_lb_view *v,
								uint16_t slot)
{
	uint16_t i = slot < SL_LB_SERVICE_SLOTS ? v->by_slot[slot] : 0;
	return i ? &v->services[i - 1] : NULL;
}

/**
 * The backend for a new connection to @p s from @p src / @p sport (host
 * order), by the service's scheduler, or NULL when no backend is usable
 * (counted no_backend). Counts the connection opened on @p worker.
 */
const struct sl_lb_backend *sl_lb_pick(struct sl_lb *lb, const struct sl_lb_service *s,
				       unsigned worker, const uint8_t *src, uint16_t sport);

/** sl_lb_pick() chose @p slot but the connection could not be created. */
static inline void sl_lb_unpick(struct sl_lb *lb, unsigned worker, uint16_t slot)
{
	lb->wc[worker].open[slot]--;
	lb->wc[worker].refs[slot]--;
	lb->wc[worker].opened[slot]--;
}

/** A connection naming backend @p slot (open or closing) that @p worker owned is gone. */
static inline void sl_lb_released(struct sl_lb *lb, unsigned worker, uint16_t slot)
{
	lb->wc[worker].refs[slot]--;
}

/** A connection to backend @p slot expired unanswered in syn_sent (passive health). */
static inline void sl_lb_syn_timeout(struct sl_lb *lb, unsigned worker, uint16_t slot)
{
	lb->wc[worker].syn_timeouts[slot]++;
}

/** A connection to backend @p slot that @p worker owns is closing or gone. */
static inline void sl_lb_closed(struct sl_lb *lb, unsigned worker, uint16_t slot)
{
	lb->wc[worker].open[slot]--;
}

/** A packet of @p bytes of a connection to backend @p slot, on its owner @p worker. */
static inline void sl_lb_count(struct sl_lb *lb, unsigned worker, uint16_t slot, uint32_t bytes)
{
	lb->wc[worker].packets[slot]++;
	lb->wc[worker].bytes[slot] += bytes;
}

/** Connections to backend @p slot that expired unanswered in syn_sent (all workers). */
uint64_t sl_lb_syn_timeouts(const struct sl_lb *lb, uint16_t slot);

/** Connections open to backend @p slot, over all workers (a racy sum). */
uint32_t sl_lb_open(const struct sl_lb *lb, uint16_t slot);

/**
 * Mark backend @p slot up or down. True if that changed its state (then
 * the caller builds and publishes a new view). Thread: management.
 */
bool sl_lb_set_health(struct sl_lb *lb, uint16_t slot, enum sl_lb_health h);

/** Services with their backends, health and counts (the REST view). */
json_t *sl_lb_json(const struct sl_lb *lb, const struct sl_config *cfg, const char *only);

/** Totals per backend slot for metrics: opened, packets, bytes since assigned. */
void sl_lb_backend_totals(const struct sl_lb *lb, uint16_t slot, uint64_t *opened,
			  uint64_t *packets, uint64_t *bytes);
/** New connections a service refused for want of a usable backend. */
uint64_t sl_lb_no_backend(const struct sl_lb *lb, uint16_t service_slot);

/* ---- Health checks (sl_lb_health.c; management) ---- */

/** Send a TCP segment (probe SYN or RST) from @p src (NULL: the egress port's address). */
typedef int (*sl_lb_probe_send_fn)(void *arg, uint8_t af, const uint8_t *src, const uint8_t *dst,
				   uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
				   uint8_t flags);
/** A backend of @p svc changed state to @p h; @p why says what was seen. */
typedef void (*sl_lb_health_change_fn)(void *arg, const struct sl_lb_service *svc,
				       const struct sl_lb_backend *be, enum sl_lb_health h,
				       const char *why);

struct sl_lb_health_io {
	sl_lb_probe_send_fn send;
	sl_lb_health_change_fn change;
	void *arg;
	uint64_t tsc_hz;
	/** HTTP checks: the host's address on a kernel port (the TCP stack
	 *  they use), network order; 0: none. */
	uint32_t http_src;
};

/**
 * Send the probes that are due, time out the unanswered ones, look at
 * passive failures (connections expired in syn_sent). Returns how many
 * backends changed state: then build and publish a new view.
 */
unsigned sl_lb_health_tick(struct sl_lb *lb, const struct sl_lb_health_io *io, uint64_t now);

/**
 * A TCP segment from @p src to sluice's @p dst on a probe port: if it
 * answers a probe (SYN-ACK: up, and an RST closes the half-open
 * connection; RST: refused), count it; a SYN-ACK that answers no probe is
 * reset. Returns 1 if it was a probe's answer and changed a backend's
 * state, 0 if it was handled otherwise, -1 if it was nothing of ours.
 */
int sl_lb_health_input(struct sl_lb *lb, const struct sl_lb_health_io *io, uint8_t af,
		       const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport,
		       uint32_t ack, uint8_t flags, uint64_t now);

/** Close a slot's HTTP check socket, if one is open. */
void sl_lb_http_close(struct sl_lb_backend_slot *slot);

/* ---- Maglev (sl_lb_maglev.c) ---- */

/** Identity of a backend for Maglev: its address and port (stable across configs). */
struct sl_maglev_backend {
	const uint8_t *id;       /**< bytes hashed: address and port */
	uint32_t id_len;
	uint16_t weight;         /**< entries are in proportion to it; 0: none */
};

/**
 * Fill @p table (@p size entries, a prime) with backend indices as Maglev
 * does (Eisenbud et al., NSDI 2016), each backend taking entries in turn in
 * proportion to its weight. Backends with weight 0 get none. -EINVAL when
 * no backend has a weight.
 */
int sl_maglev_build(const struct sl_maglev_backend *b, unsigned n, uint16_t *table, uint32_t size);

#endif /* SL_LB_H */

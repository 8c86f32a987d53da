/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_SYNPROXY_H
#define SL_SYNPROXY_H

/**
 * @file
 * SYN cookies for the SYN proxy: the connection's first facts carried in
 * the sequence number sluice answers a SYN with, so that no state is kept
 * until the client's ACK proves it received the answer (RFC 4987, as
 * Linux's syncookies do it).
 *
 *   cookie = H1(tuple) + client ISN + (minute << 24)
 *            + ((H2(tuple, minute) + MSS index) mod 2^24)
 *
 * H1 and H2 are SipHash-2-4 under two secret keys drawn at start. A cookie
 * is good for the minute it was made in and the next. The MSS is one of
 * four per family (the largest not above the client's). Window scale,
 * SACK-permitted and ECN do not fit the sequence number: when the client
 * sends timestamps they ride in the low 6 bits of the timestamp sluice
 * answers with, and come back in the client's echo; without timestamps the
 * connection goes without them, as with Linux.
 *
 * Threads: any; the keys are read-only once drawn.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** SipHash-2-4 of @p len bytes under key {@p k[0], @p k[1]} (the reference's byte order). */
uint64_t sl_siphash24(const uint64_t k[2], const void *data, size_t len);

struct sl_syncookie_keys {
	uint64_t k[2][2];
};

/** Two fresh secret keys from the kernel's random source. 0, or -errno. */
int sl_syncookie_keys_init(struct sl_syncookie_keys *keys);

/** The connection a cookie is bound to, as the client sent its SYN. */
struct sl_cookie_tuple {
	uint8_t af;                 /**< 4 or 6 */
	uint8_t saddr[16], daddr[16]; /**< network order; IPv4 in the first 4 bytes */
	uint16_t sport, dport;      /**< host order */
};

/** What a SYN's options say (and what an answer's carry). */
struct sl_syn_opts {
	uint16_t mss;               /**< 0: no MSS option */
	int8_t wscale;              /**< -1: no window scaling */
	bool sack_ok;
	bool ts;                    /**< timestamps present */
	bool ecn;                   /**< the SYN asked for ECN (ECE and CWR) */
	uint32_t tsval, tsecr;
};

/** The minute counter cookies are made in: TSC @p now over @p hz. */
static inline uint32_t sl_syncookie_minute(uint64_t now, uint64_t hz)
{
	return (uint32_t)(now / (hz * 60));
}

/**
 * The cookie for a SYN of @p t with sequence number @p client_isn whose
 * MSS option was @p mss (0: none); *mss_used gets the MSS the cookie
 * carries (what the answer announces).
 */
uint32_t sl_syncookie_make(const struct sl_syncookie_keys *keys, const struct sl_cookie_tuple *t,
			   uint32_t client_isn, uint32_t minute, uint16_t mss, uint16_t *mss_used);

enum sl_cookie_verdict {
	SL_COOKIE_OK = 0,
	SL_COOKIE_FORGED,           /**< no cookie of this connection */
	SL_COOKIE_EXPIRED,          /**< made more than a minute before the last */
};

/**
 * Check @p cookie (the ACK's acknowledgement number - 1) of @p t whose ISN
 * was @p client_isn (the ACK's sequence number - 1). On SL_COOKIE_OK *mss
 * gets the MSS it carries.
 */
enum sl_cookie_verdict sl_syncookie_check(const struct sl_syncookie_keys *keys,
					  const struct sl_cookie_tuple *t, uint32_t client_isn,
					  uint32_t cookie, uint32_t minute, uint16_t *mss);

/**
 * The timestamp to answer a SYN with at @p now_ms (milliseconds): its low
 * 6 bits carry @p o's window scale, SACK-permitted and ECN.
 */
uint32_t sl_syncookie_tsval(uint32_t now_ms, const struct sl_syn_opts *o);

/** Window scale, SACK-permitted and ECN from the echo of such a timestamp. */
void sl_syncookie_ts_decode(uint32_t tsecr, struct sl_syn_opts *o);

/**
 * Read the TCP options of @p len bytes at @p opt into @p o. -1 when they
 * are malformed (an option running past the end, a length below 2).
 */
int sl_tcp_opts_parse(const uint8_t *opt, size_t len, struct sl_syn_opts *o);

/**
 * Write @p o as a SYN's options (MSS, SACK-permitted, timestamps, window
 * scale, padded to 4 bytes) into @p out, room for 20. Returns the bytes.
 */
size_t sl_tcp_syn_opts_write(uint8_t *out, const struct sl_syn_opts *o);

/* ---- When to proxy (sl_synproxy_rate.c) ---- */

/**
 * Targets the proxy may guard: services by slot (1..255) and port forwards
 * (SL_SYNPROXY_DNAT_BASE + rule index).
 */
#define SL_SYNPROXY_DNAT_BASE 256
#define SL_SYNPROXY_TARGETS (SL_SYNPROXY_DNAT_BASE + 64)
#define SL_SYNPROXY_MAX_WORKERS 32
/** How long "auto" stays on after the SYN rate was last seen above its threshold. */
#define SL_SYNPROXY_HOLD_S 10

/**
 * The proxy's shared state: the cookie keys, and per target the SYN rate
 * "auto" mode goes by. Each worker counts the SYNs it receives in its own
 * one-second windows (its own cache lines); a target turns on when one
 * worker's window alone reaches the threshold, or when the last complete
 * windows of all workers together do (read when a window closes).
 *
 * Threads: sl_synproxy_syn: the worker @p worker only. Readers: any.
 */
struct sl_synproxy;

/** State for @p n_workers workers on a TSC of @p hz; the keys drawn fresh. NULL on error. */
struct sl_synproxy *sl_synproxy_create(unsigned n_workers, uint64_t hz);
void sl_synproxy_free(struct sl_synproxy *sp);

/** The cookie keys. */
const struct sl_syncookie_keys *sl_synproxy_keys(const struct sl_synproxy *sp);

/**
 * A SYN for "auto" target @p target, received by @p worker at TSC @p now,
 * whose threshold is @p above SYNs per second: counted; true when the proxy
 * is on for it.
 */
bool sl_synproxy_syn(struct sl_synproxy *sp, unsigned worker, unsigned target, uint32_t above,
		     uint64_t now);

/** Whether "auto" is on for @p target at @p now (it was above its threshold lately). */
bool sl_synproxy_active(const struct sl_synproxy *sp, unsigned target, uint64_t now);

/** SYNs per second to @p target over the workers' last complete windows. */
uint64_t sl_synproxy_rate(const struct sl_synproxy *sp, unsigned target, uint64_t now);

/** Forget @p target's history (its rule or service went away, or was changed). */
void sl_synproxy_forget(struct sl_synproxy *sp, unsigned target);

#endif

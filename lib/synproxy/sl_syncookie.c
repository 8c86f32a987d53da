/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SYN cookies: SipHash-2-4, the cookie itself, the timestamp that carries
 * the options, and the reading and writing of a SYN's options.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "sl_synproxy.h"

#define COOKIE_BITS 24
#define COOKIE_MASK ((1u << COOKIE_BITS) - 1)
#define MAX_AGE 2        /* minutes a cookie is good for: its own and the next */
#define TS_OPT_BITS 6
#define TS_OPT_MASK ((1u << TS_OPT_BITS) - 1)
#define WSCALE_NONE 0xf

/* The MSS a cookie can say, per family, smallest first (Linux's tables). */
static const uint16_t mss4[] = {536, 1300, 1440, 1460};
static const uint16_t mss6[] = {1220, 1400, 1440, 1460};

/* ------------------------------------------------------------- SipHash */

static inline uint64_t rotl(uint64_t x, unsigned b)
{
	return x << b | x >> (64 - b);
}

#define SIPROUND(v0, v1, v2, v3) do { \
	v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32); \
	v2 += v3; v3 = rotl(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = rotl(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32); \
} while (0)

static inline uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

uint64_t sl_siphash24(const uint64_t k[2], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t v0 = 0x736f6d6570736575ull ^ k[0], v1 = 0x646f72616e646f6dull ^ k[1];
	uint64_t v2 = 0x6c7967656e657261ull ^ k[0], v3 = 0x7465646279746573ull ^ k[1];
	size_t whole = len - len % 8;
	for (size_t i = 0; i < whole; i += 8) {
		uint64_t m = le64(p + i);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	uint64_t b = (uint64_t)len << 56;
	for (size_t i = 0; i < len % 8; i++)
		b |= (uint64_t)p[whole + i] << (8 * i);
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (unsigned i = 0; i < 4; i++)
		SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

int sl_syncookie_keys_init(struct sl_syncookie_keys *keys)
{
	uint8_t *p = (uint8_t *)keys;
	size_t got = 0;
	while (got < sizeof(*keys)) {
		ssize_t n = getrandom(p + got, sizeof(*keys) - got, 0);
		if (n < 0 && errno != EINTR)
			return -errno;
		got += n > 0 ? (size_t)n : 0;
	}
	return 0;
}

/* ------------------------------------------------------------- cookies */

/* H1 (@p which 0) or H2 (1, with the minute) of the tuple. */
static uint32_t tuple_hash(const struct sl_syncookie_keys *keys, unsigned which,
			   const struct sl_cookie_tuple *t, uint32_t minute)
{
	uint8_t buf[40];
	size_t n = t->af == 4 ? 4 : 16, len = 0;
	memcpy(buf, t->saddr, n);
	memcpy(buf + n, t->daddr, n);
	len = 2 * n;
	buf[len++] = (uint8_t)(t->sport >> 8);
	buf[len++] = (uint8_t)t->sport;
	buf[len++] = (uint8_t)(t->dport >> 8);
	buf[len++] = (uint8_t)t->dport;
	if (which == 1)
		for (unsigned i = 0; i < 4; i++)
			buf[len++] = (uint8_t)(minute >> (8 * i));
	return (uint32_t)sl_siphash24(keys->k[which], buf, len);
}

uint32_t sl_syncookie_make(const struct sl_syncookie_keys *keys, const struct sl_cookie_tuple *t,
			   uint32_t client_isn, uint32_t minute, uint16_t mss, uint16_t *mss_used)
{
	const uint16_t *tab = t->af == 4 ? mss4 : mss6;
	uint32_t idx = 0;
	/* No MSS option: the smallest (RFC 9293's default is smaller still). */
	while (idx + 1 < 4 && tab[idx + 1] <= mss)
		idx++;
	*mss_used = tab[idx];
	return tuple_hash(keys, 0, t, 0) + client_isn + (minute << COOKIE_BITS) +
	       ((tuple_hash(keys, 1, t, minute) + idx) & COOKIE_MASK);
}

enum sl_cookie_verdict sl_syncookie_check(const struct sl_syncookie_keys *keys,
					  const struct sl_cookie_tuple *t, uint32_t client_isn,
					  uint32_t cookie, uint32_t minute, uint16_t *mss)
{
	uint32_t x = cookie - tuple_hash(keys, 0, t, 0) - client_isn;
	/* The minute's low 8 bits are in the top of x. */
	uint32_t age = (minute - (x >> COOKIE_BITS)) & 0xff;
	uint32_t idx = (x - tuple_hash(keys, 1, t, minute - age)) & COOKIE_MASK;
	if (idx >= 4)
		return SL_COOKIE_FORGED;
	/* A cookie of this connection, made in a minute gone by. */
	if (age >= MAX_AGE)
		return SL_COOKIE_EXPIRED;
	*mss = (t->af == 4 ? mss4 : mss6)[idx];
	return SL_COOKIE_OK;
}

/* ------------------------------------------------------------ timestamps */

uint32_t sl_syncookie_tsval(uint32_t now_ms, const struct sl_syn_opts *o)
{
	uint32_t opts = (o->wscale >= 0 && o->wscale <= 14 ? (uint32_t)o->wscale : WSCALE_NONE) |
			(uint32_t)o->sack_ok << 4 | (uint32_t)o->ecn << 5;
	uint32_t ts = (now_ms & ~TS_OPT_MASK) | opts;
	/* Never ahead of the clock: a later answer's stamp must not go back. */
	return ts > now_ms ? ts - (1u << TS_OPT_BITS) : ts;
}

void sl_syncookie_ts_decode(uint32_t tsecr, struct sl_syn_opts *o)
{
	uint32_t w = tsecr & 0xf;
	o->wscale = w == WSCALE_NONE || w > 14 ? -1 : (int8_t)w;
	o->sack_ok = (tsecr >> 4) & 1;
	o->ecn = (tsecr >> 5) & 1;
}

/* --------------------------------------------------------------- options */

int sl_tcp_opts_parse(const uint8_t *opt, size_t len, struct sl_syn_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->wscale = -1;
	size_t i = 0;
	while (i < len) {
		uint8_t kind = opt[i];
		if (kind == 0)           /* end of options */
			break;
		if (kind == 1) {         /* no-operation */
			i++;
			continue;
		}
		if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len)
			return -1;
		uint8_t olen = opt[i + 1];
		const uint8_t *v = opt + i + 2;
		if (kind == 2 && olen == 4)
			o->mss = (uint16_t)(v[0] << 8 | v[1]);
		else if (kind == 3 && olen == 3)
			o->wscale = (int8_t)(v[0] > 14 ? 14 : v[0]);   /* RFC 7323: at most 14 */
		else if (kind == 4 && olen == 2)
			o->sack_ok = true;
		else if (kind == 8 && olen == 10) {
			o->ts = true;
			o->tsval = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
			o->tsecr = (uint32_t)v[4] << 24 | (uint32_t)v[5] << 16 | (uint32_t)v[6] << 8 | v[7];
		}
		i += olen;
	}
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

size_t sl_tcp_syn_opts_write(uint8_t *out, const struct sl_syn_opts *o)
{
	size_t n = 0;
	if (o->mss != 0) {
		out[n++] = 2, out[n++] = 4;
		out[n++] = (uint8_t)(o->mss >> 8), out[n++] = (uint8_t)o->mss;
	}
	/* SACK-permitted and timestamps share 12 bytes as Linux lays them out. */
	if (o->ts) {
		if (o->sack_ok)
			out[n++] = 4, out[n++] = 2;
		else
			out[n++] = 1, out[n++] = 1;
		out[n++] = 8, out[n++] = 10;
		put32(out + n, o->tsval);
		put32(out + n + 4, o->tsecr);
		n += 8;
	} else if (o->sack_ok) {
		out[n++] = 1, out[n++] = 1, out[n++] = 4, out[n++] = 2;
	}
	if (o->wscale >= 0) {
		out[n++] = 1, out[n++] = 3, out[n++] = 3;
		out[n++] = (uint8_t)o->wscale;
	}
	return n;
}

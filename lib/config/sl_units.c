/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Human units and address literals: "5ms", "64KiB", "100Mbit", "40%",
 * "10.0.0.0/8".
 *
 * Principles:
 *  - Strict and exact. A value either means one number or is rejected: no
 *    spaces, no signs, no silent rounding ("1.5us" is not a whole number of
 *    microseconds, so it is an error, not 1 or 2), no wrap-around on overflow.
 *  - Integer arithmetic only, so "0.1s" is exactly 100000us and the same text
 *    always gives the same value on every machine.
 *  - Every parser has a formatter that writes the canonical spelling (the
 *    largest unit that divides the value), and formatting then parsing gives
 *    the value back; the configuration round trip depends on it.
 *  - Addresses go through inet_pton/inet_ntop: the C library's grammar, not
 *    a hand-written one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sl_config.h"

struct unit {
	const char *suffix;
	uint64_t mult;   /* value of one unit, in the base unit */
};

/* Largest first: the formatters pick the first unit that divides exactly. */
static const struct unit duration_units[] = {
	{ "h", 3600000000ULL }, { "m", 60000000ULL }, { "s", 1000000ULL },
	{ "ms", 1000ULL }, { "us", 1ULL },
};

static const struct unit size_units[] = {
	{ "TiB", 1ULL << 40 }, { "GiB", 1ULL << 30 }, { "MiB", 1ULL << 20 },
	{ "KiB", 1ULL << 10 },
	{ "TB", 1000000000000ULL }, { "GB", 1000000000ULL }, { "MB", 1000000ULL },
	{ "KB", 1000ULL }, { "B", 1ULL },
};

static const struct unit rate_units[] = {
	{ "Tbit", 1000000000000ULL }, { "Gbit", 1000000000ULL },
	{ "Mbit", 1000000ULL }, { "kbit", 1000ULL }, { "bit", 1ULL },
	/* Accepted on input, never written: "bps" means bits here, as in tc. */
	{ "Tbps", 1000000000000ULL }, { "Gbps", 1000000000ULL },
	{ "Mbps", 1000000ULL }, { "kbps", 1000ULL }, { "bps", 1ULL },
};

/* Packets (or connections) per second. */
static const struct unit pps_units[] = {
	{ "M/s", 1000000ULL }, { "k/s", 1000ULL }, { "/s", 1ULL },
};

#define N_RATE_WRITTEN 5  /* rate_units[] entries the formatter may use */
#define MAX_FRAC_DIGITS 18 /* 10^18 still fits in uint64_t */

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Read "123" or "1.25" at @p s as mantissa 125 and 2 fraction digits.
 * Both sides of a '.' need a digit. Returns the first unread character, or
 * NULL if there is no number or the mantissa overflows.
 */
static const char *read_number(const char *s, uint64_t *mant, unsigned *frac)
{
	bool in_frac = false;

	*mant = 0;
	*frac = 0;
	if (!is_digit(*s))
		return NULL;
	for (;; s++) {
		if (*s == '.' && !in_frac && is_digit(s[1])) {
			in_frac = true;
			continue;
		}
		if (!is_digit(*s))
			break;
		if (__builtin_mul_overflow(*mant, 10, mant) ||
		    __builtin_add_overflow(*mant, (uint64_t)(*s - '0'), mant))
			return NULL;
		if (in_frac && ++*frac > MAX_FRAC_DIGITS)
			return NULL;
	}
	/* "1.50" is "1.5": trailing zeros must not cost range. */
	while (*frac > 0 && *mant % 10 == 0) {
		*mant /= 10;
		(*frac)--;
	}
	return s;
}

static uint64_t pow10u(unsigned n)
{
	uint64_t v = 1;

	while (n--)
		v *= 10;
	return v;
}

/*
 * Parse number + one of @p units (exact, case-sensitive suffix). A missing
 * suffix is accepted only when @p bare_mult is non-zero. The result must be
 * a whole number of base units and fit in 64 bits.
 */
static int parse_with_units(const char *s, const struct unit *units, size_t n,
			    uint64_t bare_mult, uint64_t *out)
{
	uint64_t mant, mult = 0, scaled, scale;
	unsigned frac;
	const char *rest;

	if (s == NULL || (rest = read_number(s, &mant, &frac)) == NULL)
		return -EINVAL;
	if (*rest == '\0') {
		mult = bare_mult;
	} else {
		for (size_t i = 0; i < n; i++)
			if (strcmp(rest, units[i].suffix) == 0)
				mult = units[i].mult;
	}
	if (mult == 0 || __builtin_mul_overflow(mant, mult, &scaled))
		return -EINVAL;
	scale = pow10u(frac);
	if (scaled % scale != 0)
		return -EINVAL;
	*out = scaled / scale;
	return 0;
}

static void format_with_units(uint64_t v, const struct unit *units, size_t n,
			      char *buf, size_t len)
{
	const struct unit *u = &units[n - 1]; /* the base unit */

	if (v != 0) {
		for (size_t i = 0; i < n; i++) {
			if (v % units[i].mult == 0) {
				u = &units[i];
				break;
			}
		}
	}
	snprintf(buf, len, "%" PRIu64 "%s", v / u->mult, u->suffix);
}

int sl_parse_duration_us(const char *s, uint64_t *us)
{
	return parse_with_units(s, duration_units, ARRAY_LEN(duration_units), 0, us);
}

int sl_parse_size_bytes(const char *s, uint64_t *bytes)
{
	return parse_with_units(s, size_units, ARRAY_LEN(size_units), 1, bytes);
}

int sl_parse_rate_bps(const char *s, uint64_t *bps)
{
	return parse_with_units(s, rate_units, ARRAY_LEN(rate_units), 0, bps);
}

int sl_parse_per_second(const char *s, uint64_t *per_s)
{
	return parse_with_units(s, pps_units, ARRAY_LEN(pps_units), 0, per_s);
}

void sl_format_per_second(uint64_t per_s, char *buf, size_t len)
{
	format_with_units(per_s, pps_units, ARRAY_LEN(pps_units), buf, len);
}

int sl_parse_percent(const char *s, uint32_t *pct)
{
	uint32_t v = 0;

	if (s == NULL || !is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint32_t)(*s - '0'), &v))
			return -EINVAL;
	}
	if (strcmp(s, "%") != 0)
		return -EINVAL;
	*pct = v;
	return 0;
}

void sl_format_duration_us(uint64_t us, char *buf, size_t len)
{
	format_with_units(us, duration_units, ARRAY_LEN(duration_units), buf, len);
}

void sl_format_size_bytes(uint64_t bytes, char *buf, size_t len)
{
	format_with_units(bytes, size_units, ARRAY_LEN(size_units), buf, len);
}

void sl_format_rate_bps(uint64_t bps, char *buf, size_t len)
{
	format_with_units(bps, rate_units, N_RATE_WRITTEN, buf, len);
}

int sl_parse_addr(const char *s, struct sl_addr *out)
{
	struct sl_addr a;

	if (s == NULL)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	/* inet_pton itself rejects spaces, zone ids and trailing garbage. */
	if (strchr(s, ':') != NULL) {
		if (inet_pton(AF_INET6, s, a.v6) != 1)
			return -EINVAL;
		a.af = SL_AF_INET6;
	} else {
		if (inet_pton(AF_INET, s, &a.v4) != 1)
			return -EINVAL;
		a.af = SL_AF_INET;
	}
	*out = a;
	return 0;
}

/* "0".."128": decimal digits only, no sign, no leading zero. */
static int parse_prefix_len(const char *s, unsigned max, uint8_t *len)
{
	unsigned v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*len = (uint8_t)v;
	return 0;
}

int sl_parse_prefix(const char *s, struct sl_prefix *out)
{
	char addr[INET6_ADDRSTRLEN];
	struct sl_prefix p;
	const char *slash;
	size_t n;

	if (s == NULL)
		return -EINVAL;
	memset(&p, 0, sizeof(p));
	slash = strchr(s, '/');
	n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (sl_parse_addr(addr, &p.addr) != 0)
		return -EINVAL;
	p.len = p.addr.af == SL_AF_INET ? 32 : 128;
	if (slash != NULL && parse_prefix_len(slash + 1, p.len, &p.len) != 0)
		return -EINVAL;
	*out = p;
	return 0;
}

int sl_parse_endpoint(const char *s, struct sl_addr *addr, uint16_t *port)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
	}
	char *end;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || p == 0 || p > 65535)
		return -EINVAL;
	if (sl_parse_addr(host, addr) != 0 || (s[0] == '[') != (addr->af == SL_AF_INET6))
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

void sl_format_endpoint(const struct sl_addr *addr, uint16_t port, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	sl_format_addr(addr, a, sizeof(a));
	snprintf(buf, len, addr->af == SL_AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
}

void sl_format_addr(const struct sl_addr *a, char *buf, size_t len)
{
	int family = a->af == SL_AF_INET ? AF_INET : AF_INET6;
	const void *src = a->af == SL_AF_INET ? (const void *)&a->v4 : a->v6;

	if (len == 0)
		return;
	if ((a->af != SL_AF_INET && a->af != SL_AF_INET6) ||
	    len > (size_t)INT32_MAX ||
	    inet_ntop(family, src, buf, (socklen_t)len) == NULL)
		buf[0] = '\0';
}

void sl_format_prefix(const struct sl_prefix *p, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	sl_format_addr(&p->addr, addr, sizeof(addr));
	snprintf(buf, len, "%s/%u", addr, p->len);
}

/* Bytes of a v4 or v6 address, in network order, and their count. */
static uint8_t *addr_bytes(struct sl_addr *a, unsigned *n)
{
	*n = a->af == SL_AF_INET ? 4 : 16;
	return a->af == SL_AF_INET ? (uint8_t *)&a->v4 : a->v6;
}

void sl_prefix_mask(struct sl_prefix *p)
{
	unsigned n, len = p->len;
	uint8_t *b = addr_bytes(&p->addr, &n);

	for (unsigned i = 0; i < n; i++) {
		if (len >= 8) {
			len -= 8;
			continue;
		}
		b[i] &= (uint8_t)(0xff00u >> len);
		len = 0;
	}
}

bool sl_prefix_contains(const struct sl_prefix *p, const struct sl_addr *a)
{
	struct sl_prefix net = *p, other = { .addr = *a, .len = p->len };

	if (a->af != p->addr.af)
		return false;
	sl_prefix_mask(&net);
	sl_prefix_mask(&other);
	if (a->af == SL_AF_INET)
		return net.addr.v4 == other.addr.v4;
	return memcmp(net.addr.v6, other.addr.v6, 16) == 0;
}

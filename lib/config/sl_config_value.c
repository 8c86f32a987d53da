/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The validation toolkit every section is built from: messages, typed
 * values, objects walked by key tables, and address checks.
 *
 * Principles:
 *  - A checker either stores a valid value or writes one message and returns
 *    -EINVAL; callers just propagate, so the first problem found is the one
 *    reported.
 *  - Messages are cut to fit, never split a UTF-8 sequence, and echo user
 *    text only through cfg_escape(), so they stay one printable line.
 *  - Problems are named in the user's words ("needs a unit", "has host bits
 *    set"), not the parser's ("sscanf failed").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

/* ---------------------------------------------------------------- messages */

/* Cut a partial UTF-8 sequence off the end, left there by truncation. */
void cfg_utf8_trim_tail(char *s)
{
	size_t n = strlen(s), i = n, need;
	unsigned char lead;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0)
		return;
	lead = (unsigned char)s[i - 1];
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	if (n - (i - 1) < need)
		s[i - 1] = '\0';
}

/* Escape @p s into @p buf (QUOTE_MAX bytes), optionally in double quotes. */
const char *cfg_escape(const char *s, char *buf, bool quotes)
{
	size_t o = 0;

	if (quotes)
		buf[o++] = '"';
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (o > QUOTE_MAX - 10) {
			buf[o] = '\0';
			cfg_utf8_trim_tail(buf);
			o = strlen(buf);
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (ch == '"' || ch == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)ch;
		} else if (ch < 0x20 || ch == 0x7f) {
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", ch);
		} else {
			buf[o++] = (char)ch;
		}
	}
	if (quotes)
		buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

int cfg_fail(struct pctx *c, const char *path, const char *fmt, ...)
{
	char msg[SL_CONFIG_ERR_MAX];
	va_list ap;
	int n;

	if (c->err == NULL || c->err_len == 0)
		return -EINVAL;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(msg))
		cfg_utf8_trim_tail(msg);
	n = snprintf(c->err, c->err_len, "%s: %s", path, msg);
	if (n >= 0 && (size_t)n >= c->err_len)
		cfg_utf8_trim_tail(c->err);
	return -EINVAL;
}

/* "base.key" into @p out (PATH_LEN bytes); a long key is cut short, readably. */
void cfg_join(char *out, const char *base, const char *key)
{
	char esc[QUOTE_MAX];
	int n;

	cfg_escape(key, esc, false);
	n = snprintf(out, PATH_LEN, "%s%s%s", base, base[0] != '\0' ? "." : "", esc);
	if (n >= PATH_LEN)
		cfg_utf8_trim_tail(out);
}

void cfg_join_index(char *out, const char *base, size_t i)
{
	int n = snprintf(out, PATH_LEN, "%s[%zu]", base, i);

	if (n >= PATH_LEN)
		cfg_utf8_trim_tail(out);
}

/* ------------------------------------------------------------ typed values */

int cfg_get_str(struct pctx *c, const char *path, const json_t *v,
		size_t size, const char **out)
{
	*out = "";
	if (!json_is_string(v))
		return cfg_fail(c, path, "expected a string");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return cfg_fail(c, path, "contains a NUL byte");
	if (json_string_length(v) >= size)
		return cfg_fail(c, path, "longer than %zu bytes", size - 1);
	*out = json_string_value(v);
	return 0;
}

static int get_int(struct pctx *c, const char *path, const json_t *v,
		   long long min, long long max, long long *out)
{
	long long x;

	*out = 0;
	if (!json_is_integer(v))
		return cfg_fail(c, path, "expected an integer");
	x = (long long)json_integer_value(v);
	if (x < min || x > max)
		return cfg_fail(c, path, "%lld is out of range %lld..%lld", x, min, max);
	*out = x;
	return 0;
}

int cfg_check_array(struct pctx *c, const char *path, const json_t *v, size_t max,
		    const char *noun)
{
	if (!json_is_array(v))
		return cfg_fail(c, path, "expected an array");
	if (json_array_size(v) > max)
		return cfg_fail(c, path, "at most %zu %s", max, noun);
	return 0;
}

int cfg_get_bool(struct pctx *c, const char *path, const json_t *v, bool *out)
{
	if (!json_is_boolean(v))
		return cfg_fail(c, path, "expected true or false");
	*out = json_is_true(v);
	return 0;
}

int cfg_get_port_range(struct pctx *c, const char *path, const json_t *v, uint16_t *lo_out,
		       uint16_t *hi_out)
{
	const char *s;
	char *end;
	if (cfg_get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	unsigned long lo = strtoul(s, &end, 10), hi;
	if (end == s || *end != '-' || (hi = strtoul(end + 1, &end, 10), *end != '\0') ||
	    lo < 1 || hi > 65535)
		return cfg_fail(c, path, "%s is not a port range like \"1024-65535\"", Q(s));
	if (lo > hi)
		return cfg_fail(c, path, "%s is inverted (the first port is above the last)", Q(s));
	if (hi - lo + 1 < 64)
		return cfg_fail(c, path, "%s holds fewer than 64 ports", Q(s));
	*lo_out = (uint16_t)lo;
	*hi_out = (uint16_t)hi;
	return 0;
}

int cfg_get_name(struct pctx *c, const char *path, const json_t *v, char *out, size_t size)
{
	const char *n;
	if (cfg_get_str(c, path, v, SIZE_MAX, &n) != 0)
		return -EINVAL;
	if (n[0] == '\0' || strlen(n) >= size || !cfg_only_chars(n, LOWER "_-", false))
		return cfg_fail(c, path, "%s is not a valid name (1 to %zu of a-z 0-9 _ -)", Q(n),
				size - 1);
	snprintf(out, size, "%s", n);
	return 0;
}

int cfg_get_port_ref(struct pctx *c, const char *path, const json_t *v, int *out)
{
	const char *s;
	if (cfg_get_str(c, path, v, SL_CONFIG_NAME_MAX + 1, &s) != 0)
		return -EINVAL;
	*out = cfg_port_index(c->cfg, s);
	if (*out < 0)
		return cfg_fail(c, path, "%s is not a port", Q(s));
	return 0;
}

/* Index of @p s in the NULL-terminated @p names, else an error listing them. */
int cfg_get_enum(struct pctx *c, const char *path, const json_t *v,
		 const char *const *names, const char *list, uint8_t *out)
{
	const char *s;

	if (cfg_get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	for (uint8_t i = 0; names[i] != NULL; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return cfg_fail(c, path, "%s is not one of %s", Q(s), list);
}

const struct unit_kind cfg_duration_kind = {
	"a duration", "us, ms, s, m, h", "microseconds", false,
	sl_parse_duration_us, sl_format_duration_us,
};

const struct unit_kind cfg_size_kind = {
	"a size", "B, KB, MB, GB, TB, KiB, MiB, GiB, TiB", "bytes", true,
	sl_parse_size_bytes, sl_format_size_bytes,
};

const struct unit_kind cfg_bitrate_kind = {
	"a rate in bits per second", "bit, kbit, Mbit, Gbit, Tbit", "bits per second", false,
	sl_parse_rate_bps, sl_format_rate_bps,
};

const struct unit_kind cfg_per_second_kind = {
	"a rate", "/s, k/s, M/s", "per second", false,
	sl_parse_per_second, sl_format_per_second,
};

/* Is @p word one of the ", "-separated words of @p list? */
static bool in_list(const char *word, const char *list)
{
	size_t n = strlen(word), len;

	for (const char *p = list;; p += len + 1 + strspn(p + len + 1, " ")) {
		len = strcspn(p, ",");
		if (len == n && strncmp(p, word, n) == 0)
			return true;
		if (p[len] == '\0')
			return false;
	}
}

/* Say why a units string did not parse: no unit, bad unit, or too big. */
static int unit_fail(struct pctx *c, const char *path, const char *s,
		     const struct unit_kind *k)
{
	const char *p = s;
	bool dot = false;

	while ((*p >= '0' && *p <= '9') ||
	       (*p == '.' && !dot && p != s && p[1] >= '0' && p[1] <= '9')) {
		dot = dot || *p == '.';
		p++;
	}
	if (p != s && *p == '\0' && !k->bare_ok)
		return cfg_fail(c, path, "%s needs a unit (%s)", Q(s), k->units);
	if (p != s && (*p == '\0' || in_list(p, k->units)))
		return cfg_fail(c, path, "%s is too large or not a whole number of %s",
				Q(s), k->base);
	return cfg_fail(c, path, "%s is not %s (a number and one of %s)", Q(s),
			k->noun, k->units);
}

int cfg_get_units(struct pctx *c, const char *path, const json_t *v,
		  const struct unit_kind *k, uint64_t min, uint64_t max,
		  uint64_t *out)
{
	char lo[SL_UNITS_STR_MAX], hi[SL_UNITS_STR_MAX];
	const char *s;

	*out = 0;
	if (cfg_get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	if (k->parse(s, out) != 0)
		return unit_fail(c, path, s, k);
	if (*out < min || *out > max) {
		k->format(min, lo, sizeof(lo));
		k->format(max, hi, sizeof(hi));
		return cfg_fail(c, path, "%s is out of range %s..%s", Q(s), lo, hi);
	}
	return 0;
}

/* ------------------------------------------------------- objects by table */

static void store(void *obj, const struct field *f, uint64_t v)
{
	char *p = (char *)obj + f->off;

	if (f->width == 1)
		*(uint8_t *)p = (uint8_t)v;
	else if (f->width == 2)
		*(uint16_t *)p = (uint16_t)v;
	else if (f->width == 4)
		*(uint32_t *)p = (uint32_t)v;
	else
		*(uint64_t *)p = v;
}

static int field_value(struct pctx *c, const char *path, const json_t *v,
		       const struct field *f, void *obj)
{
	long long i = 0;
	uint64_t u = 0;
	int rc;

	switch (f->kind) {
	case K_INT:
		rc = get_int(c, path, v, f->min, f->max, &i);
		u = (uint64_t)i;
		break;
	case K_SIZE:
		rc = cfg_get_units(c, path, v, &cfg_size_kind, (uint64_t)f->min, (uint64_t)f->max, &u);
		break;
	case K_DURATION:
		rc = cfg_get_units(c, path, v, &cfg_duration_kind, (uint64_t)f->min, (uint64_t)f->max, &u);
		break;
	default:
		return f->fn(c, path, v, obj);
	}
	if (rc == 0)
		store(obj, f, u);
	return rc;
}

/* Walk @p j's keys in document order, each through its field's parser. */
int cfg_walk(struct pctx *c, const char *path, const json_t *j,
	     const struct field *fields, size_t n, void *obj)
{
	char sub[PATH_LEN];
	const char *key;
	json_t *v;
	size_t i;

	if (!json_is_object(j))
		return cfg_fail(c, path, "expected an object");
	json_object_foreach((json_t *)j, key, v) {
		for (i = 0; i < n && strcmp(fields[i].key, key) != 0; i++)
			;
		cfg_join(sub, path, key);
		if (i == n)
			return cfg_fail(c, sub, "unknown key");
		if (field_value(c, sub, v, &fields[i], obj) != 0)
			return -EINVAL;
	}
	return 0;
}

bool cfg_only_chars(const char *s, const char *allowed, bool alnum)
{
	for (; *s != '\0'; s++) {
		bool ok = (*s >= '0' && *s <= '9') || strchr(allowed, *s) != NULL ||
			  (alnum && ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')));
		if (!ok)
			return false;
	}
	return true;
}

/* -------------------------------------------------------------- addresses */

const char *cfg_af_name(int af)
{
	return af == SL_AF_INET ? "IPv4" : "IPv6";
}

/* Which family a string that failed to parse was probably meant to be. */
const char *cfg_af_guess(const char *s)
{
	if (strchr(s, ':') != NULL)
		return "IPv6";
	return cfg_only_chars(s, "./", false) ? "IPv4" : "IPv4 or IPv6";
}

/* Why an address cannot be a host or gateway address, or NULL if it can. */
const char *cfg_special_addr(const struct sl_addr *a)
{
	static const uint8_t zero[16], one[16] = { [15] = 1 };

	if (a->af == SL_AF_INET) {
		uint32_t h = ntohl(a->v4);

		if (h == 0)
			return "is the unspecified address";
		if (h >> 24 == 127)
			return "is a loopback address";
		if (h >> 28 == 14)
			return "is a multicast address";
		return h == UINT32_MAX ? "is the broadcast address" : NULL;
	}
	if (memcmp(a->v6, zero, 16) == 0)
		return "is the unspecified address";
	if (memcmp(a->v6, one, 16) == 0)
		return "is a loopback address";
	return a->v6[0] == 0xff ? "is a multicast address" : NULL;
}

int cfg_get_host_addr(struct pctx *c, const char *path, const json_t *v, struct sl_addr *out)
{
	const char *s, *why;

	if (cfg_get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	if (sl_parse_addr(s, out) != 0)
		return cfg_fail(c, path, "%s is not an %s address", Q(s), cfg_af_guess(s));
	why = cfg_special_addr(out);
	if (why != NULL)
		return cfg_fail(c, path, "%s %s", Q(s), why);
	return 0;
}

/* "0".."128" with no sign and no leading zero; -1 if not a number. */
static int prefix_len_value(const char *s)
{
	size_t n = strlen(s);
	int v = 0;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0') || !cfg_only_chars(s, "", false))
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/*
 * "addr/len" for field @p path: @p af 0 takes either family, @p min_len is
 * the shortest length allowed, a bare address is refused if @p need_len.
 */
int cfg_get_prefix(struct pctx *c, const char *path, const char *s, int af,
		   const char *noun, unsigned min_len, bool need_len,
		   struct sl_prefix *out)
{
	const char *slash = strchr(s, '/');
	const char *fam = af != 0 ? cfg_af_name(af) : cfg_af_guess(s);
	unsigned max;
	int len;

	if (sl_parse_prefix(s, out) != 0 || (af != 0 && out->addr.af != af)) {
		char addr[INET6_ADDRSTRLEN];
		size_t n = slash != NULL ? (size_t)(slash - s) : 0;
		struct sl_addr a;

		if (n == 0 || n >= sizeof(addr))
			return cfg_fail(c, path, "%s is not an %s %s", Q(s), fam, noun);
		memcpy(addr, s, n);
		addr[n] = '\0';
		if (sl_parse_addr(addr, &a) != 0 || (af != 0 && a.af != af) ||
		    prefix_len_value(slash + 1) < 0)
			return cfg_fail(c, path, "%s is not an %s %s", Q(s), fam, noun);
		out->addr = a; /* only the length is out of range */
	}
	max = out->addr.af == SL_AF_INET ? 32 : 128;
	if (slash == NULL && need_len)
		return cfg_fail(c, path, "%s needs a prefix length (like \"/%u\")", Q(s),
				out->addr.af == SL_AF_INET ? 24 : 64);
	len = slash != NULL ? prefix_len_value(slash + 1) : (int)max;
	if (len < (int)min_len || len > (int)max)
		return cfg_fail(c, path, "%s has a prefix length out of range %u..%u", Q(s), min_len, max);
	return 0;
}

bool cfg_addr_eq(const struct sl_addr *a, const struct sl_addr *b)
{
	if (a->af != b->af)
		return false;
	if (a->af == SL_AF_INET)
		return a->v4 == b->v4;
	return memcmp(a->v6, b->v6, 16) == 0;
}

int cfg_required(struct pctx *c, const char *path, const json_t *obj,
		 const char *key)
{
	char sub[PATH_LEN];

	if (json_object_get(obj, key) != NULL)
		return 0;
	cfg_join(sub, path, key);
	return cfg_fail(c, sub, "required");
}

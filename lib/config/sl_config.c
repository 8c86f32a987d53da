/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration document: JSON in, validated struct sl_config out, and
 * back again.
 *
 * Principles:
 *  - One error, and it is the first one in document order: keys are checked
 *    in the order the file lists them, so fixing errors top to bottom works.
 *    The one exception is "routes", which refers to ports and so is checked
 *    after "ports" wherever it appears.
 *  - Messages are "<path>: <problem>" with the path spelled as a person would
 *    point at it ("ports[1].ipv4[0]"). Values the user typed are echoed in
 *    double quotes, escaped and shortened, so a message is always one safe
 *    line of valid UTF-8 whatever the input was.
 *  - Unknown keys are errors: a typo ("mtux") must not silently become the
 *    default.
 *  - sl_config_to_json() writes every key with defaults filled in, in schema
 *    order, so its output is canonical: parse(to_json(c)) == c, and diff and
 *    live-change checks can compare canonical trees instead of knowing every
 *    field twice.
 *  - Nothing here touches DPDK or reads secrets: token_file is only a path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sl_config.h"
#include "sl_log.h"

#define PATH_LEN 192      /* "routes[4095].prefix", or a path with an unknown key */
#define QUOTE_MAX 80      /* an echoed value, quotes and "..." included */
#define RESTART "cannot change while running (restart sluice to apply)"
#define MIB (1ULL << 20)

#define LOWER "abcdefghijklmnopqrstuvwxyz"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Parse state. cfg is NULL when one route is parsed on its own. */
struct pctx {
	struct sl_config *cfg;
	const struct sl_config *view;  /* the ports routes refer to */
	char *err;
	size_t err_len;
};

/* ---------------------------------------------------------------- messages */

/* Cut a partial UTF-8 sequence off the end, left there by truncation. */
static void utf8_trim_tail(char *s)
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
static const char *escape(const char *s, char *buf, bool quotes)
{
	size_t o = 0;

	if (quotes)
		buf[o++] = '"';
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (o > QUOTE_MAX - 10) {
			buf[o] = '\0';
			utf8_trim_tail(buf);
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

/* A user's value, quoted; the buffer lives until the end of the statement's block. */
#define Q(s) escape((s), (char[QUOTE_MAX]){ 0 }, true)

static int fail(struct pctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct pctx *c, const char *path, const char *fmt, ...)
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
		utf8_trim_tail(msg);
	n = snprintf(c->err, c->err_len, "%s: %s", path, msg);
	if (n >= 0 && (size_t)n >= c->err_len)
		utf8_trim_tail(c->err);
	return -EINVAL;
}

/* "base.key" into @p out (PATH_LEN bytes); a long key is cut short, readably. */
static void join(char *out, const char *base, const char *key)
{
	char esc[QUOTE_MAX];
	int n;

	escape(key, esc, false);
	n = snprintf(out, PATH_LEN, "%s%s%s", base, base[0] != '\0' ? "." : "", esc);
	if (n >= PATH_LEN)
		utf8_trim_tail(out);
}

static void join_index(char *out, const char *base, size_t i)
{
	int n = snprintf(out, PATH_LEN, "%s[%zu]", base, i);

	if (n >= PATH_LEN)
		utf8_trim_tail(out);
}

/* ------------------------------------------------------------ typed values */

static int get_str(struct pctx *c, const char *path, const json_t *v,
		   size_t size, const char **out)
{
	*out = "";
	if (!json_is_string(v))
		return fail(c, path, "expected a string");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail(c, path, "contains a NUL byte");
	if (json_string_length(v) >= size)
		return fail(c, path, "longer than %zu bytes", size - 1);
	*out = json_string_value(v);
	return 0;
}

static int get_int(struct pctx *c, const char *path, const json_t *v,
		   long long min, long long max, long long *out)
{
	long long x;

	*out = 0;
	if (!json_is_integer(v))
		return fail(c, path, "expected an integer");
	x = (long long)json_integer_value(v);
	if (x < min || x > max)
		return fail(c, path, "%lld is out of range %lld..%lld", x, min, max);
	*out = x;
	return 0;
}

/* Index of @p s in the NULL-terminated @p names, else an error listing them. */
static int get_enum(struct pctx *c, const char *path, const json_t *v,
		    const char *const *names, const char *list, uint8_t *out)
{
	const char *s;

	if (get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	for (uint8_t i = 0; names[i] != NULL; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return fail(c, path, "%s is not one of %s", Q(s), list);
}

struct unit_kind {
	const char *noun;   /* "a duration" */
	const char *units;  /* the suffixes, ", "-separated, for messages */
	const char *base;   /* what a bare integer counts */
	bool bare_ok;       /* a bare number is allowed */
	int (*parse)(const char *s, uint64_t *v);
	void (*format)(uint64_t v, char *buf, size_t len);
};

static const struct unit_kind duration_kind = {
	"a duration", "us, ms, s, m, h", "microseconds", false,
	sl_parse_duration_us, sl_format_duration_us,
};

static const struct unit_kind size_kind = {
	"a size", "B, KB, MB, GB, TB, KiB, MiB, GiB, TiB", "bytes", true,
	sl_parse_size_bytes, sl_format_size_bytes,
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
		return fail(c, path, "%s needs a unit (%s)", Q(s), k->units);
	if (p != s && (*p == '\0' || in_list(p, k->units)))
		return fail(c, path, "%s is too large or not a whole number of %s",
			    Q(s), k->base);
	return fail(c, path, "%s is not %s (a number and one of %s)", Q(s),
		    k->noun, k->units);
}

static int get_units(struct pctx *c, const char *path, const json_t *v,
		     const struct unit_kind *k, uint64_t min, uint64_t max,
		     uint64_t *out)
{
	char lo[SL_UNITS_STR_MAX], hi[SL_UNITS_STR_MAX];
	const char *s;

	*out = 0;
	if (get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	if (k->parse(s, out) != 0)
		return unit_fail(c, path, s, k);
	if (*out < min || *out > max) {
		k->format(min, lo, sizeof(lo));
		k->format(max, hi, sizeof(hi));
		return fail(c, path, "%s is out of range %s..%s", Q(s), lo, hi);
	}
	return 0;
}

/* ------------------------------------------------------- objects by table */

enum field_kind { K_INT, K_SIZE, K_DURATION, K_FN };

struct field {
	const char *key;
	enum field_kind kind;
	size_t off, width;    /* where a K_INT/K_SIZE/K_DURATION value is stored */
	long long min, max;   /* K_INT: plain; K_SIZE bytes; K_DURATION us */
	int (*fn)(struct pctx *c, const char *path, const json_t *v, void *obj);
};

#define F_NUM(k, kind, type, m, lo, hi) \
	{ k, kind, offsetof(type, m), sizeof(((type *)0)->m), lo, hi, NULL }
#define F_FN(k, f) { k, K_FN, 0, 0, 0, 0, f }

static void store(void *obj, const struct field *f, uint64_t v)
{
	char *p = (char *)obj + f->off;

	if (f->width == 1)
		*(uint8_t *)p = (uint8_t)v;
	else if (f->width == 2)
		*(uint16_t *)p = (uint16_t)v;
	else
		*(uint32_t *)p = (uint32_t)v;
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
		rc = get_units(c, path, v, &size_kind, (uint64_t)f->min, (uint64_t)f->max, &u);
		break;
	case K_DURATION:
		rc = get_units(c, path, v, &duration_kind, (uint64_t)f->min, (uint64_t)f->max, &u);
		break;
	default:
		return f->fn(c, path, v, obj);
	}
	if (rc == 0)
		store(obj, f, u);
	return rc;
}

/* Walk @p j's keys in document order, each through its field's parser. */
static int walk(struct pctx *c, const char *path, const json_t *j,
		const struct field *fields, size_t n, void *obj)
{
	char sub[PATH_LEN];
	const char *key;
	json_t *v;
	size_t i;

	if (!json_is_object(j))
		return fail(c, path, "expected an object");
	json_object_foreach((json_t *)j, key, v) {
		for (i = 0; i < n && strcmp(fields[i].key, key) != 0; i++)
			;
		join(sub, path, key);
		if (i == n)
			return fail(c, sub, "unknown key");
		if (field_value(c, sub, v, &fields[i], obj) != 0)
			return -EINVAL;
	}
	return 0;
}

static bool only_chars(const char *s, const char *allowed, bool alnum)
{
	for (; *s != '\0'; s++) {
		bool ok = (*s >= '0' && *s <= '9') || strchr(allowed, *s) != NULL ||
			  (alnum && ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')));
		if (!ok)
			return false;
	}
	return true;
}

/* -------------------------------------------------------------------- eal */

static int eal_lcores(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_eal *e = obj;
	const char *s;

	if (get_str(c, path, v, sizeof(e->lcores), &s) != 0)
		return -EINVAL;
	if (!only_chars(s, ",@()-", false))
		return fail(c, path, "%s may only contain 0-9 , - @ ( )", Q(s));
	snprintf(e->lcores, sizeof(e->lcores), "%s", s);
	return 0;
}

static int eal_memory(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_eal *e = obj;
	uint64_t bytes;

	if (get_units(c, path, v, &size_kind, 0, 1ULL << 40, &bytes) != 0)
		return -EINVAL;
	if (bytes % MIB != 0)
		return fail(c, path, "%s is not a whole number of MiB",
			    Q(json_string_value(v)));
	e->memory_mb = (uint32_t)(bytes / MIB);
	return 0;
}

static const char *const hugepages_names[] = { "auto", "on", "off", NULL };

static int eal_hugepages(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_eal *e = obj;

	return get_enum(c, path, v, hugepages_names, "auto, on, off", &e->hugepages);
}

static int eal_file_prefix(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_eal *e = obj;
	const char *s;

	if (get_str(c, path, v, sizeof(e->file_prefix), &s) != 0)
		return -EINVAL;
	if (!only_chars(s, "_-", true))
		return fail(c, path, "%s may only contain A-Z a-z 0-9 _ -", Q(s));
	snprintf(e->file_prefix, sizeof(e->file_prefix), "%s", s);
	return 0;
}

static int eal_args(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_eal *e = obj;
	char sub[PATH_LEN];
	const char *s;
	size_t i;
	json_t *a;

	if (!json_is_array(v))
		return fail(c, path, "expected an array");
	if (json_array_size(v) > SL_CONFIG_MAX_EAL_ARGS)
		return fail(c, path, "at most %d arguments", SL_CONFIG_MAX_EAL_ARGS);
	e->n_args = 0;
	json_array_foreach(v, i, a) {
		join_index(sub, path, i);
		if (get_str(c, sub, a, sizeof(e->args[0]), &s) != 0)
			return -EINVAL;
		snprintf(e->args[e->n_args++], sizeof(e->args[0]), "%s", s);
	}
	return 0;
}

static const struct field eal_fields[] = {
	F_FN("lcores", eal_lcores),
	F_FN("memory", eal_memory),
	F_FN("hugepages", eal_hugepages),
	F_FN("file_prefix", eal_file_prefix),
	F_FN("args", eal_args),
};

/* ------------------------------------------------------------------ ports */

static struct sl_config_port *port_of(struct pctx *c, void *obj, size_t *idx)
{
	struct sl_config_port *p = obj;

	*idx = (size_t)(p - c->cfg->ports);
	return p;
}

static int port_index(const struct sl_config *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->n_ports; i++)
		if (strcmp(cfg->ports[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int port_name(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	size_t idx;
	struct sl_config_port *p = port_of(c, obj, &idx);
	const char *s;
	int other;

	if (get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	if (s[0] == '\0' || strlen(s) >= sizeof(p->name) || !only_chars(s, LOWER "_-", false))
		return fail(c, path, "%s is not a valid name (1 to 15 of a-z 0-9 _ -)", Q(s));
	other = port_index(c->cfg, s);
	if (other >= 0 && (size_t)other < idx)
		return fail(c, path, "%s is already used by ports[%d]", Q(s), other);
	snprintf(p->name, sizeof(p->name), "%s", s);
	return 0;
}

/* Exactly @p n hex digits. */
static bool hex_field(const char *s, unsigned n, unsigned *out)
{
	char buf[8], *end;

	for (unsigned i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*out = (unsigned)strtoul(buf, &end, 16);
	return true;
}

/* "0000:01:00.0" or "01:00.0" -> domain:bus:dev.fn packed into one key. */
static bool pci_key(const char *s, uint32_t *key)
{
	unsigned dom = 0, bus, dev, fn;
	size_t len = strlen(s);

	if (len == 12) {
		if (!hex_field(s, 4, &dom) || s[4] != ':')
			return false;
		s += 5;
	} else if (len != 7) {
		return false;
	}
	if (!hex_field(s, 2, &bus) || s[2] != ':' || !hex_field(s + 3, 2, &dev) ||
	    s[5] != '.' || !hex_field(s + 6, 1, &fn) || dev > 0x1f || fn > 7)
		return false;
	*key = dom << 16 | bus << 8 | dev << 3 | fn;
	return true;
}

/* "net_<driver><n>[,key=value...]": a name, then printable arguments. */
static bool vdev_ok(const char *s)
{
	size_t name = strcspn(s, ",");

	if (strncmp(s, "net_", 4) != 0 || name <= 4)
		return false;
	for (size_t i = 4; i < name; i++)
		if (strchr(LOWER "0123456789_", s[i]) == NULL)
			return false;
	for (const char *p = s + name; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return false;
	return true;
}

/* Two device strings name the same device (PCI forms, or vdev names). */
static bool same_device(const char *a, const char *b)
{
	uint32_t ka, kb;

	if (pci_key(a, &ka) && pci_key(b, &kb))
		return ka == kb;
	return strcspn(a, ",") == strcspn(b, ",") && strncmp(a, b, strcspn(a, ",")) == 0;
}

static int port_device(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	size_t idx;
	struct sl_config_port *p = port_of(c, obj, &idx);
	const char *s;
	uint32_t key;

	if (get_str(c, path, v, sizeof(p->device), &s) != 0)
		return -EINVAL;
	p->device_is_pci = pci_key(s, &key);
	if (!p->device_is_pci && !vdev_ok(s))
		return fail(c, path, "%s is neither a PCI address (0000:01:00.0) nor a vdev (net_...)", Q(s));
	for (size_t i = 0; i < idx; i++)
		if (same_device(c->cfg->ports[i].device, s))
			return fail(c, path, "%s is already used by ports[%zu]", Q(s), i);
	snprintf(p->device, sizeof(p->device), "%s", s);
	return 0;
}

static int port_desc(struct pctx *c, const char *path, const json_t *v, uint16_t *out)
{
	long long n;

	if (!json_is_integer(v))
		return fail(c, path, "expected an integer");
	n = (long long)json_integer_value(v);
	if (n != 0 && (n < 64 || n > 8192 || (n & (n - 1)) != 0))
		return fail(c, path, "%lld is not 0 or a power of two in 64..8192", n);
	*out = (uint16_t)n;
	return 0;
}

static int port_rx_desc(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return port_desc(c, path, v, &((struct sl_config_port *)obj)->rx_desc);
}

static int port_tx_desc(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return port_desc(c, path, v, &((struct sl_config_port *)obj)->tx_desc);
}

static int port_mac(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_port *p = obj;
	unsigned b[6];
	const char *s;

	if (get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (strlen(s) != 17 || !hex_field(s + 3 * i, 2, &b[i]) ||
		    (i < 5 && s[3 * i + 2] != ':'))
			return fail(c, path, "%s is not a MAC address like \"02:00:00:00:00:01\"", Q(s));
	}
	if (b[0] & 1)
		return fail(c, path, "%s is a multicast address", Q(s));
	if ((b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) == 0)
		return fail(c, path, "%s is the zero address", Q(s));
	for (int i = 0; i < 6; i++)
		p->mac[i] = (uint8_t)b[i];
	p->has_mac = true;
	return 0;
}

static const char *af_name(int af)
{
	return af == SL_AF_INET ? "IPv4" : "IPv6";
}

/* Which family a string that failed to parse was probably meant to be. */
static const char *af_guess(const char *s)
{
	if (strchr(s, ':') != NULL)
		return "IPv6";
	return only_chars(s, "./", false) ? "IPv4" : "IPv4 or IPv6";
}

/* Why an address cannot be a host or gateway address, or NULL if it can. */
static const char *special_addr(const struct sl_addr *a)
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

/* "0".."128" with no sign and no leading zero; -1 if not a number. */
static int prefix_len_value(const char *s)
{
	size_t n = strlen(s);
	int v = 0;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0') || !only_chars(s, "", false))
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/*
 * "addr/len" for field @p path: @p af 0 takes either family, @p min_len is
 * the shortest length allowed, a bare address is refused if @p need_len.
 */
static int get_prefix(struct pctx *c, const char *path, const char *s, int af,
		      const char *noun, unsigned min_len, bool need_len,
		      struct sl_prefix *out)
{
	const char *slash = strchr(s, '/');
	const char *fam = af != 0 ? af_name(af) : af_guess(s);
	unsigned max;
	int len;

	if (sl_parse_prefix(s, out) != 0 || (af != 0 && out->addr.af != af)) {
		char addr[INET6_ADDRSTRLEN];
		size_t n = slash != NULL ? (size_t)(slash - s) : 0;
		struct sl_addr a;

		if (n == 0 || n >= sizeof(addr))
			return fail(c, path, "%s is not an %s %s", Q(s), fam, noun);
		memcpy(addr, s, n);
		addr[n] = '\0';
		if (sl_parse_addr(addr, &a) != 0 || (af != 0 && a.af != af) ||
		    prefix_len_value(slash + 1) < 0)
			return fail(c, path, "%s is not an %s %s", Q(s), fam, noun);
		out->addr = a; /* only the length is out of range */
	}
	max = out->addr.af == SL_AF_INET ? 32 : 128;
	if (slash == NULL && need_len)
		return fail(c, path, "%s needs a prefix length (like \"/%u\")", Q(s),
			    out->addr.af == SL_AF_INET ? 24 : 64);
	len = slash != NULL ? prefix_len_value(slash + 1) : (int)max;
	if (len < (int)min_len || len > (int)max)
		return fail(c, path, "%s has a prefix length out of range %u..%u", Q(s), min_len, max);
	return 0;
}

static bool addr_eq(const struct sl_addr *a, const struct sl_addr *b)
{
	if (a->af != b->af)
		return false;
	if (a->af == SL_AF_INET)
		return a->v4 == b->v4;
	return memcmp(a->v6, b->v6, 16) == 0;
}

/* Is @p a already a host address of a port before @p p, or of p itself? */
static int addr_owner(const struct sl_config *cfg, const struct sl_config_port *p,
		      const struct sl_addr *a)
{
	for (const struct sl_config_port *q = cfg->ports; q <= p; q++) {
		const struct sl_prefix *list = a->af == SL_AF_INET ? q->ipv4 : q->ipv6;
		unsigned n = a->af == SL_AF_INET ? q->n_ipv4 : q->n_ipv6;

		for (unsigned i = 0; i < n; i++)
			if (addr_eq(&list[i].addr, a))
				return (int)(q - cfg->ports);
	}
	return -1;
}

/* A host address on a subnet: not its network or broadcast address. */
static int host_addr_check(struct pctx *c, const char *path, const char *s,
			   const struct sl_prefix *pf)
{
	const char *why = special_addr(&pf->addr);
	uint32_t h, host_mask;

	if (why != NULL)
		return fail(c, path, "%s %s", Q(s), why);
	if (pf->addr.af != SL_AF_INET || pf->len > 30)
		return 0;
	h = ntohl(pf->addr.v4);
	host_mask = UINT32_MAX >> pf->len;
	if ((h & host_mask) == 0)
		return fail(c, path, "%s is the network address of its subnet", Q(s));
	if ((h & host_mask) == host_mask)
		return fail(c, path, "%s is the broadcast address of its subnet", Q(s));
	return 0;
}

static int port_addrs(struct pctx *c, const char *path, const json_t *v,
		      struct sl_config_port *p, int af)
{
	struct sl_prefix *list = af == SL_AF_INET ? p->ipv4 : p->ipv6;
	unsigned *n = af == SL_AF_INET ? &p->n_ipv4 : &p->n_ipv6;
	char sub[PATH_LEN], addr[INET6_ADDRSTRLEN];
	const char *s;
	json_t *e;
	size_t i;
	int owner;

	if (!json_is_array(v))
		return fail(c, path, "expected an array");
	if (json_array_size(v) > SL_CONFIG_MAX_ADDRS)
		return fail(c, path, "at most %d addresses", SL_CONFIG_MAX_ADDRS);
	*n = 0;
	json_array_foreach(v, i, e) {
		join_index(sub, path, i);
		if (get_str(c, sub, e, SIZE_MAX, &s) != 0 ||
		    get_prefix(c, sub, s, af, "address with a prefix length", 1, true, &list[i]) != 0 ||
		    host_addr_check(c, sub, s, &list[i]) != 0)
			return -EINVAL;
		owner = addr_owner(c->cfg, p, &list[i].addr);
		sl_format_addr(&list[i].addr, addr, sizeof(addr));
		if (owner >= 0)
			return fail(c, sub, "%s is already used by ports[%d]", addr, owner);
		(*n)++;
	}
	return 0;
}

static int port_ipv4(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return port_addrs(c, path, v, obj, SL_AF_INET);
}

static int port_ipv6(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	return port_addrs(c, path, v, obj, SL_AF_INET6);
}

static const struct field port_fields[] = {
	F_FN("name", port_name),
	F_FN("device", port_device),
	F_NUM("mtu", K_INT, struct sl_config_port, mtu, 68, 9600),
	F_NUM("queues", K_INT, struct sl_config_port, queues, 0, 16),
	F_FN("rx_desc", port_rx_desc),
	F_FN("tx_desc", port_tx_desc),
	F_FN("mac", port_mac),
	F_FN("ipv4", port_ipv4),
	F_FN("ipv6", port_ipv6),
};

static int required(struct pctx *c, const char *path, const json_t *obj,
		    const char *key)
{
	char sub[PATH_LEN];

	if (json_object_get(obj, key) != NULL)
		return 0;
	join(sub, path, key);
	return fail(c, sub, "required");
}

static int parse_ports(struct pctx *c, const json_t *v)
{
	char path[PATH_LEN];
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return fail(c, "ports", "expected an array");
	if (json_array_size(v) < 1 || json_array_size(v) > SL_CONFIG_MAX_PORTS)
		return fail(c, "ports", "expected 1 to %d ports, got %zu",
			    SL_CONFIG_MAX_PORTS, json_array_size(v));
	json_array_foreach(v, i, e) {
		struct sl_config_port *p = &c->cfg->ports[i];

		join_index(path, "ports", i);
		p->mtu = 1500;
		if (walk(c, path, e, port_fields, ARRAY_LEN(port_fields), p) != 0 ||
		    required(c, path, e, "name") != 0 || required(c, path, e, "device") != 0)
			return -EINVAL;
		c->cfg->n_ports++;
	}
	return 0;
}

/* ----------------------------------------------------------------- routes */

/* A total order on prefixes: family, length, then address bytes. */
static int prefix_cmp(const struct sl_prefix *a, const struct sl_prefix *b)
{
	if (a->addr.af != b->addr.af)
		return a->addr.af < b->addr.af ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	if (a->addr.af == SL_AF_INET)
		return memcmp(&a->addr.v4, &b->addr.v4, 4);
	return memcmp(a->addr.v6, b->addr.v6, 16);
}

static int route_prefix(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_route *r = obj;
	char want[INET6_ADDRSTRLEN + 4];
	struct sl_prefix masked;
	const char *s;

	if (get_str(c, path, v, SIZE_MAX, &s) != 0 ||
	    get_prefix(c, path, s, 0, "prefix", 0, false, &r->prefix) != 0)
		return -EINVAL;
	masked = r->prefix;
	sl_prefix_mask(&masked);
	if (prefix_cmp(&masked, &r->prefix) != 0) {
		sl_format_prefix(&masked, want, sizeof(want));
		return fail(c, path, "%s has host bits set (did you mean \"%s\"?)", Q(s), want);
	}
	return 0;
}

static int route_via(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_route *r = obj;
	const char *s, *why;

	if (get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	if (sl_parse_addr(s, &r->via) != 0)
		return fail(c, path, "%s is not an %s address", Q(s), af_guess(s));
	why = special_addr(&r->via);
	if (why != NULL)
		return fail(c, path, "%s %s", Q(s), why);
	r->has_via = true;
	return 0;
}

static int route_port_field(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_route *r = obj;
	const char *s;

	if (get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	r->port = port_index(c->view, s);
	if (r->port < 0)
		return fail(c, path, "%s is not the name of a port", Q(s));
	return 0;
}

static const char *const route_type_names[] = { "unicast", "blackhole", "unreachable", NULL };

static int route_type(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_route *r = obj;

	return get_enum(c, path, v, route_type_names, "unicast, blackhole, unreachable", &r->type);
}

static const struct field route_fields[] = {
	F_FN("prefix", route_prefix),
	F_FN("via", route_via),
	F_FN("port", route_port_field),
	F_FN("type", route_type),
};

/* Checks that need the whole route object. */
static int route_finish(struct pctx *c, const char *path, const json_t *j,
			struct sl_config_route *r)
{
	char sub[PATH_LEN], via[INET6_ADDRSTRLEN];

	if (required(c, path, j, "prefix") != 0)
		return -EINVAL;
	if (r->type != SL_ROUTE_UNICAST && (r->has_via || r->port >= 0)) {
		join(sub, path, r->has_via ? "via" : "port");
		return fail(c, sub, "not allowed for %s %s route",
			    r->type == SL_ROUTE_BLACKHOLE ? "a" : "an",
			    route_type_names[r->type]);
	}
	if (r->type == SL_ROUTE_UNICAST && !r->has_via && r->port < 0)
		return fail(c, path, "a unicast route needs \"via\" or \"port\"");
	if (!r->has_via)
		return 0;
	join(sub, path, "via");
	sl_format_addr(&r->via, via, sizeof(via));
	if (r->via.af != r->prefix.addr.af)
		return fail(c, sub, "%s is %s but the prefix is %s", via,
			    af_name(r->via.af), af_name(r->prefix.addr.af));
	if (sl_config_route_port(c->view, r) < 0)
		return fail(c, sub, "%s is not on any port's subnet", via);
	return 0;
}

static int route_one(struct pctx *c, const char *path, const json_t *j,
		     struct sl_config_route *r)
{
	memset(r, 0, sizeof(*r));
	r->port = -1;
	if (walk(c, path, j, route_fields, ARRAY_LEN(route_fields), r) != 0)
		return -EINVAL;
	return route_finish(c, path, j, r);
}

struct route_key {
	struct sl_prefix prefix;
	unsigned idx;
};

static int route_key_cmp(const void *x, const void *y)
{
	const struct route_key *a = x, *b = y;
	int d = prefix_cmp(&a->prefix, &b->prefix);

	if (d != 0)
		return d;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Routes 0..n-1 sorted by (prefix, index); NULL on allocation failure. */
static struct route_key *route_keys(const struct sl_config_route *routes, unsigned n)
{
	struct route_key *k = malloc(sizeof(*k) * (n > 0 ? n : 1));

	if (k == NULL)
		return NULL;
	for (unsigned i = 0; i < n; i++)
		k[i] = (struct route_key){ routes[i].prefix, i };
	qsort(k, n, sizeof(*k), route_key_cmp);
	return k;
}

/*
 * The first route (in document order) whose prefix an earlier route already
 * has, found by sorting instead of comparing all pairs: 4096 routes would
 * be eight million comparisons.
 */
static int first_duplicate(struct pctx *c, unsigned n)
{
	struct route_key *k = route_keys(c->cfg->routes, n);
	unsigned dup = UINT_MAX, first = 0;
	char path[PATH_LEN], pf[INET6_ADDRSTRLEN + 4];

	if (k == NULL)
		return fail(c, "routes", "out of memory");
	for (unsigned i = 1; i < n; i++)
		if (prefix_cmp(&k[i].prefix, &k[i - 1].prefix) == 0 && k[i].idx < dup) {
			dup = k[i].idx;
			first = k[i - 1].idx;
		}
	free(k);
	if (dup == UINT_MAX)
		return 0;
	snprintf(path, sizeof(path), "routes[%u].prefix", dup);
	sl_format_prefix(&c->cfg->routes[dup].prefix, pf, sizeof(pf));
	return fail(c, path, "%s is already in routes[%u]", pf, first);
}

static int parse_routes(struct pctx *c, const json_t *v)
{
	char path[PATH_LEN];
	size_t i, n;
	int rc = 0;
	json_t *e;

	if (!json_is_array(v))
		return fail(c, "routes", "expected an array");
	n = json_array_size(v);
	if (n > SL_CONFIG_MAX_ROUTES)
		return fail(c, "routes", "at most %d routes", SL_CONFIG_MAX_ROUTES);
	c->cfg->routes = calloc(n > 0 ? n : 1, sizeof(*c->cfg->routes));
	if (c->cfg->routes == NULL)
		return fail(c, "routes", "out of memory");
	json_array_foreach(v, i, e) {
		join_index(path, "routes", i);
		rc = route_one(c, path, e, &c->cfg->routes[i]);
		if (rc != 0)
			break;
	}
	/* A duplicate before the failing route comes first in the document. */
	if (first_duplicate(c, (unsigned)i) != 0)
		return -EINVAL;
	c->cfg->n_routes = (unsigned)n;
	return rc;
}

/* -------------------------------------------------------------- api, rest */

static bool addr_is_loopback(const struct sl_addr *a)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t one[16] = { [15] = 1 };

	if (a->af == SL_AF_INET)
		return ntohl(a->v4) >> 24 == 127;
	if (memcmp(a->v6, mapped, 12) == 0)   /* ::ffff:127.0.0.1 */
		return a->v6[12] == 127;
	return memcmp(a->v6, one, 16) == 0;
}

static int api_listen(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_api *api = obj;
	struct sl_addr a;
	const char *s;

	if (get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	if (sl_parse_addr(s, &a) != 0)
		return fail(c, path, "%s is not an %s address", Q(s), af_guess(s));
	/* Stored canonically so that "::0001" and "::1" compare equal. */
	sl_format_addr(&a, api->listen, sizeof(api->listen));
	return 0;
}

static int api_token_file(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_api *api = obj;
	const char *s;

	if (get_str(c, path, v, sizeof(api->token_file), &s) != 0)
		return -EINVAL;
	if (s[0] == '\0')
		return fail(c, path, "must not be empty (leave it out for no token)");
	snprintf(api->token_file, sizeof(api->token_file), "%s", s);
	return 0;
}

static int api_timeout(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_api *api = obj;
	uint64_t us;

	if (get_units(c, path, v, &duration_kind, 1000000, 3600000000ULL, &us) != 0)
		return -EINVAL;
	if (us % 1000000 != 0)
		return fail(c, path, "%s is not a whole number of seconds",
			    Q(json_string_value(v)));
	api->timeout_s = (uint32_t)(us / 1000000);
	return 0;
}

static const struct field api_fields[] = {
	F_FN("listen", api_listen),
	F_NUM("port", K_INT, struct sl_config_api, port, 1, 65535),
	F_FN("token_file", api_token_file),
	F_NUM("connection_limit", K_INT, struct sl_config_api, connection_limit, 1, 10000),
	F_NUM("per_ip_limit", K_INT, struct sl_config_api, per_ip_limit, 1, 10000),
	F_FN("timeout", api_timeout),
	F_NUM("memory_limit", K_SIZE, struct sl_config_api, memory_limit, 16 << 10, 16 << 20),
	F_NUM("max_body", K_SIZE, struct sl_config_api, max_body, 1 << 10, 64 << 20),
};

static int parse_api(struct pctx *c, const json_t *v)
{
	struct sl_config_api *api = &c->cfg->api;
	struct sl_addr a;

	if (walk(c, "api", v, api_fields, ARRAY_LEN(api_fields), api) != 0)
		return -EINVAL;
	/* The default per-IP limit follows a lower connection limit down. */
	if (json_object_get(v, "per_ip_limit") == NULL && api->per_ip_limit > api->connection_limit)
		api->per_ip_limit = api->connection_limit;
	if (api->per_ip_limit > api->connection_limit)
		return fail(c, "api.per_ip_limit", "%u is above api.connection_limit (%u)",
			    api->per_ip_limit, api->connection_limit);
	if (sl_parse_addr(api->listen, &a) == 0 && !addr_is_loopback(&a) &&
	    api->token_file[0] == '\0')
		return fail(c, "api.token_file",
			    "required when api.listen is not a loopback address");
	return 0;
}

static const char *const log_level_list = "err, warn, info, debug";

static int log_level(struct pctx *c, const char *path, const json_t *v, void *obj)
{
	struct sl_config_log *log = obj;
	const char *s;
	int level;

	if (get_str(c, path, v, SIZE_MAX, &s) != 0)
		return -EINVAL;
	level = sl_log_level_parse(s);
	if (level < 0)
		return fail(c, path, "%s is not one of %s", Q(s), log_level_list);
	log->level = (uint8_t)level;
	return 0;
}

static const struct field log_fields[] = {
	F_FN("level", log_level),
};

static const struct field workers_fields[] = {
	F_NUM("idle_sleep", K_DURATION, struct sl_config_workers, idle_sleep_us, 0, 10000),
	F_NUM("burst", K_INT, struct sl_config_workers, burst, 1, 64),
};

/* ------------------------------------------------------------------- root */

static void set_defaults(struct sl_config *cfg)
{
	cfg->eal.hugepages = SL_HUGEPAGES_AUTO;
	snprintf(cfg->api.listen, sizeof(cfg->api.listen), "127.0.0.1");
	cfg->api.port = 8080;
	cfg->api.connection_limit = 64;
	cfg->api.per_ip_limit = 16;
	cfg->api.timeout_s = 10;
	cfg->api.memory_limit = 64 << 10;
	cfg->api.max_body = 1 << 20;
	cfg->log.level = SL_LOG_INFO;
	cfg->workers.idle_sleep_us = 0;
	cfg->workers.burst = 32;
}

static int parse_section(struct pctx *c, const char *key, const json_t *v)
{
	struct sl_config *cfg = c->cfg;

	if (strcmp(key, "eal") == 0)
		return walk(c, key, v, eal_fields, ARRAY_LEN(eal_fields), &cfg->eal);
	if (strcmp(key, "ports") == 0)
		return parse_ports(c, v);
	if (strcmp(key, "routes") == 0)
		return parse_routes(c, v);
	if (strcmp(key, "api") == 0)
		return parse_api(c, v);
	if (strcmp(key, "log") == 0)
		return walk(c, key, v, log_fields, ARRAY_LEN(log_fields), &cfg->log);
	if (strcmp(key, "workers") == 0)
		return walk(c, key, v, workers_fields, ARRAY_LEN(workers_fields), &cfg->workers);
	return fail(c, key, "unknown key");
}

static int parse_root(struct pctx *c, const json_t *doc)
{
	const json_t *routes = NULL, *ports = NULL;
	const char *key;
	json_t *v;

	if (!json_is_object(doc))
		return fail(c, "config", "expected an object");
	json_object_foreach((json_t *)doc, key, v) {
		if (strcmp(key, "ports") == 0)
			ports = v;
		/* Routes name ports: wait for them if they come later. */
		if (strcmp(key, "routes") == 0 && ports == NULL) {
			routes = v;
			continue;
		}
		if (parse_section(c, key, v) != 0)
			return -EINVAL;
	}
	if (ports == NULL)
		return fail(c, "ports", "required");
	return routes != NULL ? parse_routes(c, routes) : 0;
}

struct sl_config *sl_config_parse(const json_t *doc, char *err, size_t err_len)
{
	struct sl_config *cfg = calloc(1, sizeof(*cfg));
	struct pctx c = { cfg, cfg, err, err_len };

	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (cfg == NULL) {
		if (err != NULL && err_len > 0)
			snprintf(err, err_len, "config: out of memory");
		return NULL;
	}
	set_defaults(cfg);
	if (parse_root(&c, doc) != 0) {
		sl_config_free(cfg);
		return NULL;
	}
	return cfg;
}

struct sl_config *sl_config_load(const char *path, char *err, size_t err_len)
{
	char inner[SL_CONFIG_ERR_MAX], dummy[1];
	struct sl_config *cfg;
	json_error_t je;
	json_t *doc;
	FILE *f;
	int n;

	if (err == NULL || err_len == 0) {
		err = dummy;
		err_len = sizeof(dummy);
	}
	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return NULL;
	}
	doc = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	if (doc == NULL) {
		snprintf(err, err_len, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		return NULL;
	}
	cfg = sl_config_parse(doc, inner, sizeof(inner));
	json_decref(doc);
	if (cfg == NULL) {
		n = snprintf(err, err_len, "%s: %s", path, inner);
		if (n >= 0 && (size_t)n >= err_len)
			utf8_trim_tail(err);
	}
	return cfg;
}

void sl_config_free(struct sl_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->routes);
	free(cfg);
}

struct sl_config *sl_config_dup(const struct sl_config *cfg)
{
	struct sl_config *d = malloc(sizeof(*d));

	if (d == NULL)
		return NULL;
	*d = *cfg;
	d->routes = malloc(sizeof(*d->routes) * (cfg->n_routes > 0 ? cfg->n_routes : 1));
	if (d->routes == NULL) {
		free(d);
		return NULL;
	}
	if (cfg->n_routes > 0)
		memcpy(d->routes, cfg->routes, sizeof(*d->routes) * cfg->n_routes);
	return d;
}

/* ------------------------------------------------------------------ routes */

int sl_config_route_parse(const struct sl_config *cfg, const json_t *obj,
			  struct sl_config_route *out, char *err, size_t err_len)
{
	struct pctx c = { NULL, cfg, err, err_len };
	struct sl_config_route r;

	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (route_one(&c, "route", obj, &r) != 0)
		return -EINVAL;
	*out = r;
	return 0;
}

int sl_config_route_port(const struct sl_config *cfg, const struct sl_config_route *r)
{
	if (r->type != SL_ROUTE_UNICAST)
		return -1;
	if (r->port >= 0)
		return r->port < (int)cfg->n_ports ? r->port : -1;
	if (!r->has_via)
		return -1;
	for (unsigned i = 0; i < cfg->n_ports; i++) {
		const struct sl_config_port *p = &cfg->ports[i];
		const struct sl_prefix *list = r->via.af == SL_AF_INET ? p->ipv4 : p->ipv6;
		unsigned n = r->via.af == SL_AF_INET ? p->n_ipv4 : p->n_ipv6;

		for (unsigned j = 0; j < n; j++)
			if (sl_prefix_contains(&list[j], &r->via))
				return (int)i;
	}
	return -1;
}

int sl_config_route_find(const struct sl_config *cfg, const struct sl_prefix *prefix)
{
	struct sl_prefix want = *prefix;

	sl_prefix_mask(&want);
	for (unsigned i = 0; i < cfg->n_routes; i++)
		if (prefix_cmp(&cfg->routes[i].prefix, &want) == 0)
			return (int)i;
	return -1;
}

int sl_config_route_add(struct sl_config *cfg, const struct sl_config_route *r)
{
	struct sl_config_route *grown;

	if (r->port < -1 || r->port >= (int)cfg->n_ports ||
	    (r->prefix.addr.af != SL_AF_INET && r->prefix.addr.af != SL_AF_INET6))
		return -EINVAL;
	if (sl_config_route_find(cfg, &r->prefix) >= 0)
		return -EEXIST;
	if (cfg->n_routes >= SL_CONFIG_MAX_ROUTES)
		return -ENOSPC;
	grown = realloc(cfg->routes, sizeof(*grown) * (cfg->n_routes + 1));
	if (grown == NULL)
		return -ENOMEM;
	cfg->routes = grown;
	cfg->routes[cfg->n_routes++] = *r;
	return 0;
}

void sl_config_route_del(struct sl_config *cfg, unsigned idx)
{
	if (idx >= cfg->n_routes)
		return;
	memmove(&cfg->routes[idx], &cfg->routes[idx + 1],
		sizeof(*cfg->routes) * (cfg->n_routes - idx - 1));
	cfg->n_routes--;
}

/* ------------------------------------------------------------ to JSON */

/* json_object_set_new that remembers a failure (a NULL value included). */
static void put(json_t *o, const char *key, json_t *v, int *rc)
{
	if (json_object_set_new(o, key, v) != 0)
		*rc = -ENOMEM;
}

static json_t *units_json(uint64_t v, void (*format)(uint64_t, char *, size_t))
{
	char buf[SL_UNITS_STR_MAX];

	format(v, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *addr_json(const struct sl_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	sl_format_addr(a, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *prefix_json(const struct sl_prefix *p)
{
	char buf[INET6_ADDRSTRLEN + 4];

	sl_format_prefix(p, buf, sizeof(buf));
	return json_string(buf);
}

/* Take @p o if everything was added, else free it. */
static json_t *finish(json_t *o, int rc)
{
	if (rc == 0)
		return o;
	json_decref(o);
	return NULL;
}

static json_t *eal_json(const struct sl_config_eal *e)
{
	json_t *o = json_object(), *args = json_array();
	int rc = o != NULL ? 0 : -ENOMEM;

	for (unsigned i = 0; args != NULL && i < e->n_args; i++)
		if (json_array_append_new(args, json_string(e->args[i])) != 0)
			rc = -ENOMEM;
	if (o == NULL) {
		json_decref(args);
		return NULL;
	}
	put(o, "lcores", json_string(e->lcores), &rc);
	put(o, "memory", units_json((uint64_t)e->memory_mb * MIB, sl_format_size_bytes), &rc);
	put(o, "hugepages", json_string(e->hugepages <= SL_HUGEPAGES_OFF ?
					hugepages_names[e->hugepages] : "?"), &rc);
	put(o, "file_prefix", json_string(e->file_prefix), &rc);
	put(o, "args", args, &rc);
	return finish(o, rc);
}

static json_t *addrs_json(const struct sl_prefix *list, unsigned n)
{
	json_t *a = json_array();

	for (unsigned i = 0; a != NULL && i < n; i++) {
		if (json_array_append_new(a, prefix_json(&list[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *port_json(const struct sl_config_port *p)
{
	json_t *o = json_object();
	int rc = 0;
	char mac[18];

	if (o == NULL)
		return NULL;
	put(o, "name", json_string(p->name), &rc);
	put(o, "device", json_string(p->device), &rc);
	put(o, "mtu", json_integer(p->mtu), &rc);
	put(o, "queues", json_integer(p->queues), &rc);
	put(o, "rx_desc", json_integer(p->rx_desc), &rc);
	put(o, "tx_desc", json_integer(p->tx_desc), &rc);
	if (p->has_mac) {
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", p->mac[0],
			 p->mac[1], p->mac[2], p->mac[3], p->mac[4], p->mac[5]);
		put(o, "mac", json_string(mac), &rc);
	}
	put(o, "ipv4", addrs_json(p->ipv4, p->n_ipv4), &rc);
	put(o, "ipv6", addrs_json(p->ipv6, p->n_ipv6), &rc);
	return finish(o, rc);
}

json_t *sl_config_route_to_json(const struct sl_config *cfg, const struct sl_config_route *r)
{
	json_t *o = json_object();
	int rc = 0;

	if (o == NULL)
		return NULL;
	put(o, "prefix", prefix_json(&r->prefix), &rc);
	if (r->has_via)
		put(o, "via", addr_json(&r->via), &rc);
	if (r->port >= 0 && r->port < (int)cfg->n_ports)
		put(o, "port", json_string(cfg->ports[r->port].name), &rc);
	put(o, "type", json_string(r->type <= SL_ROUTE_UNREACHABLE ?
				   route_type_names[r->type] : "?"), &rc);
	return finish(o, rc);
}

static json_t *api_json(const struct sl_config_api *api)
{
	json_t *o = json_object();
	int rc = 0;

	if (o == NULL)
		return NULL;
	put(o, "listen", json_string(api->listen), &rc);
	put(o, "port", json_integer(api->port), &rc);
	if (api->token_file[0] != '\0')
		put(o, "token_file", json_string(api->token_file), &rc);
	put(o, "connection_limit", json_integer(api->connection_limit), &rc);
	put(o, "per_ip_limit", json_integer(api->per_ip_limit), &rc);
	put(o, "timeout", units_json((uint64_t)api->timeout_s * 1000000, sl_format_duration_us), &rc);
	put(o, "memory_limit", units_json(api->memory_limit, sl_format_size_bytes), &rc);
	put(o, "max_body", units_json(api->max_body, sl_format_size_bytes), &rc);
	return finish(o, rc);
}

static json_t *log_json(const struct sl_config_log *log)
{
	return json_pack("{s:s}", "level", sl_log_level_name((enum sl_log_level)log->level));
}

static json_t *workers_json(const struct sl_config_workers *w)
{
	json_t *o = json_object();
	int rc = 0;

	if (o == NULL)
		return NULL;
	put(o, "idle_sleep", units_json(w->idle_sleep_us, sl_format_duration_us), &rc);
	put(o, "burst", json_integer(w->burst), &rc);
	return finish(o, rc);
}

json_t *sl_config_to_json(const struct sl_config *cfg)
{
	json_t *o = json_object(), *ports = json_array(), *routes = json_array();
	int rc = ports != NULL && routes != NULL ? 0 : -ENOMEM;

	for (unsigned i = 0; ports != NULL && i < cfg->n_ports; i++)
		if (json_array_append_new(ports, port_json(&cfg->ports[i])) != 0)
			rc = -ENOMEM;
	for (unsigned i = 0; routes != NULL && i < cfg->n_routes; i++)
		if (json_array_append_new(routes, sl_config_route_to_json(cfg, &cfg->routes[i])) != 0)
			rc = -ENOMEM;
	if (o == NULL) {
		json_decref(ports);
		json_decref(routes);
		return NULL;
	}
	put(o, "eal", eal_json(&cfg->eal), &rc);
	put(o, "ports", ports, &rc);
	put(o, "routes", routes, &rc);
	put(o, "api", api_json(&cfg->api), &rc);
	put(o, "log", log_json(&cfg->log), &rc);
	put(o, "workers", workers_json(&cfg->workers), &rc);
	return finish(o, rc);
}

/* ------------------------------------------------------------------ diff */

static int add_change(json_t *out, const char *path, json_t *old, json_t *new)
{
	json_t *o = json_pack("{s:s, s:O?, s:O?}", "path", path, "old", old, "new", new);

	return o != NULL && json_array_append_new(out, o) == 0 ? 0 : -ENOMEM;
}

/* Changed leaves of two canonical objects; arrays count as leaves. */
static int diff_object(json_t *out, const char *path, json_t *a, json_t *b)
{
	char sub[PATH_LEN];
	const char *key;
	json_t *va, *vb;
	int rc = 0;

	json_object_foreach(a, key, va) {
		join(sub, path, key);
		vb = json_object_get(b, key);
		if (json_is_object(va) && json_is_object(vb))
			rc = diff_object(out, sub, va, vb);
		else if (vb == NULL || !json_equal(va, vb))
			rc = add_change(out, sub, va, vb);
		if (rc != 0)
			return rc;
	}
	json_object_foreach(b, key, vb) {
		join(sub, path, key);
		if (json_object_get(a, key) == NULL && (rc = add_change(out, sub, NULL, vb)) != 0)
			return rc;
	}
	return 0;
}

/* Diff two section objects, taking both references. */
static int diff_taken(json_t *out, const char *path, json_t *a, json_t *b)
{
	int rc = -ENOMEM;

	if (a != NULL && b != NULL)
		rc = diff_object(out, path, a, b);
	json_decref(a);
	json_decref(b);
	return rc;
}

/* Ports keyed by name: "ports[lan].mtu", or a whole port added/removed. */
static int diff_ports(json_t *out, const struct sl_config *a, const struct sl_config *b)
{
	char path[PATH_LEN];
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < a->n_ports; i++) {
		int j = port_index(b, a->ports[i].name);

		snprintf(path, sizeof(path), "ports[%s]", a->ports[i].name);
		if (j >= 0) {
			rc = diff_taken(out, path, port_json(&a->ports[i]), port_json(&b->ports[j]));
		} else {
			json_t *old = port_json(&a->ports[i]);

			rc = old != NULL ? add_change(out, path, old, NULL) : -ENOMEM;
			json_decref(old);
		}
	}
	for (unsigned j = 0; rc == 0 && j < b->n_ports; j++) {
		json_t *new;

		if (port_index(a, b->ports[j].name) >= 0)
			continue;
		snprintf(path, sizeof(path), "ports[%s]", b->ports[j].name);
		new = port_json(&b->ports[j]);
		rc = new != NULL ? add_change(out, path, NULL, new) : -ENOMEM;
		json_decref(new);
	}
	return rc;
}

static int key_cmp_prefix(const void *x, const void *y)
{
	return prefix_cmp(x, &((const struct route_key *)y)->prefix);
}

/*
 * Walk @p a's routes against @p b's, keyed by prefix. From the old side
 * (@p a_is_old) this reports removed and changed routes; from the new side,
 * added ones. Each lookup is a binary search, so 4096 routes stay cheap.
 */
static int diff_route_side(json_t *out, const struct sl_config *a,
			   const struct sl_config *b, bool a_is_old)
{
	struct route_key *kb = route_keys(b->routes, b->n_routes);
	char path[PATH_LEN], pf[INET6_ADDRSTRLEN + 4];
	int rc = kb != NULL ? 0 : -ENOMEM;

	for (unsigned i = 0; rc == 0 && i < a->n_routes; i++) {
		const struct route_key *hit = bsearch(&a->routes[i].prefix, kb, b->n_routes,
						      sizeof(*kb), key_cmp_prefix);
		json_t *ja, *jb = NULL;

		if (hit != NULL && !a_is_old)
			continue;    /* changes were reported from the old side */
		ja = sl_config_route_to_json(a, &a->routes[i]);
		if (hit != NULL)
			jb = sl_config_route_to_json(b, &b->routes[hit->idx]);
		sl_format_prefix(&a->routes[i].prefix, pf, sizeof(pf));
		snprintf(path, sizeof(path), "routes[%s]", pf);
		if (ja == NULL || (hit != NULL && jb == NULL))
			rc = -ENOMEM;
		else if (hit == NULL || !json_equal(ja, jb))
			rc = a_is_old ? add_change(out, path, ja, jb) : add_change(out, path, jb, ja);
		json_decref(ja);
		json_decref(jb);
	}
	free(kb);
	return rc;
}

json_t *sl_config_diff(const struct sl_config *a, const struct sl_config *b)
{
	json_t *out = json_array();
	int rc = out != NULL ? 0 : -ENOMEM;

	if (rc == 0)
		rc = diff_taken(out, "eal", eal_json(&a->eal), eal_json(&b->eal));
	if (rc == 0)
		rc = diff_ports(out, a, b);
	if (rc == 0)
		rc = diff_route_side(out, a, b, true);
	if (rc == 0)
		rc = diff_route_side(out, b, a, false);
	if (rc == 0)
		rc = diff_taken(out, "api", api_json(&a->api), api_json(&b->api));
	if (rc == 0)
		rc = diff_taken(out, "log", log_json(&a->log), log_json(&b->log));
	if (rc == 0)
		rc = diff_taken(out, "workers", workers_json(&a->workers), workers_json(&b->workers));
	return finish(out, rc);
}

/* ----------------------------------------------------------- live change */

static int busy(char *err, size_t err_len, const char *path, const char *what)
{
	if (err != NULL && err_len > 0)
		snprintf(err, err_len, "%s: %s", path, what);
	return -EBUSY;
}

static const char *eal_change(const struct sl_config_eal *a, const struct sl_config_eal *b)
{
	if (strcmp(a->lcores, b->lcores) != 0)
		return "eal.lcores";
	if (a->memory_mb != b->memory_mb)
		return "eal.memory";
	if (a->hugepages != b->hugepages)
		return "eal.hugepages";
	if (strcmp(a->file_prefix, b->file_prefix) != 0)
		return "eal.file_prefix";
	if (a->n_args != b->n_args)
		return "eal.args";
	for (unsigned i = 0; i < a->n_args; i++)
		if (strcmp(a->args[i], b->args[i]) != 0)
			return "eal.args";
	return NULL;
}

/* The restart-only field of a port that changed, or NULL. */
static const char *port_change(const struct sl_config_port *a, const struct sl_config_port *b)
{
	uint32_t ka, kb;
	bool pci = pci_key(a->device, &ka) && pci_key(b->device, &kb);

	/* "01:00.0" and "0000:01:00.0" are one device; vdev arguments matter. */
	if (pci ? ka != kb : strcmp(a->device, b->device) != 0)
		return "device";
	if (a->queues != b->queues)
		return "queues";
	if (a->rx_desc != b->rx_desc)
		return "rx_desc";
	if (a->tx_desc != b->tx_desc)
		return "tx_desc";
	if (a->has_mac != b->has_mac || (a->has_mac && memcmp(a->mac, b->mac, 6) != 0))
		return "mac";
	return NULL;
}

/* Ports must keep their names and order: indexes name DPDK ports. */
static int ports_live(const struct sl_config *a, const struct sl_config *b,
		      char *err, size_t err_len)
{
	char path[PATH_LEN];
	const char *what;

	for (unsigned i = 0; i < a->n_ports; i++) {
		snprintf(path, sizeof(path), "ports[%s]", a->ports[i].name);
		if (port_index(b, a->ports[i].name) < 0)
			return busy(err, err_len, path, "cannot remove a port while running (restart sluice to apply)");
	}
	for (unsigned i = 0; i < b->n_ports; i++) {
		snprintf(path, sizeof(path), "ports[%s]", b->ports[i].name);
		if (port_index(a, b->ports[i].name) < 0)
			return busy(err, err_len, path, "cannot add a port while running (restart sluice to apply)");
	}
	for (unsigned i = 0; i < a->n_ports; i++) {
		if (strcmp(a->ports[i].name, b->ports[i].name) != 0)
			return busy(err, err_len, "ports", "cannot reorder ports while running (restart sluice to apply)");
		what = port_change(&a->ports[i], &b->ports[i]);
		if (what != NULL) {
			snprintf(path, sizeof(path), "ports[%s].%s", a->ports[i].name, what);
			return busy(err, err_len, path, RESTART);
		}
	}
	return 0;
}

int sl_config_check_live_change(const struct sl_config *cur,
				const struct sl_config *next, char *err, size_t err_len)
{
	const char *what = eal_change(&cur->eal, &next->eal);

	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (what != NULL)
		return busy(err, err_len, what, RESTART);
	if (ports_live(cur, next, err, err_len) != 0)
		return -EBUSY;
	if (strcmp(cur->api.listen, next->api.listen) != 0)
		return busy(err, err_len, "api.listen", RESTART);
	if (cur->api.port != next->api.port)
		return busy(err, err_len, "api.port", RESTART);
	return 0;
}

/* ------------------------------------------------------------------ save */

static int write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* "<dir>" and "<dir>/.<base>.XXXXXX" for @p path. */
static int temp_names(const char *path, char *dir, char *tmp)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	int n;

	if (base[0] == '\0')
		return -EISDIR;
	if (slash == NULL)
		n = snprintf(dir, PATH_MAX, ".");
	else if (slash == path)
		n = snprintf(dir, PATH_MAX, "/");
	else
		n = snprintf(dir, PATH_MAX, "%.*s", (int)(slash - path), path);
	if (n >= PATH_MAX ||
	    snprintf(tmp, PATH_MAX, "%s/.%s.XXXXXX", dir, base) >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* Write @p text and a newline to a new 0640 temp file, synced. */
static int write_temp(char *tmp, const char *text)
{
	int fd = mkstemp(tmp), rc;

	if (fd < 0)
		return -errno;
	rc = fchmod(fd, 0640) != 0 ? -errno : 0;
	if (rc == 0)
		rc = write_all(fd, text, strlen(text));
	if (rc == 0)
		rc = write_all(fd, "\n", 1);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int sl_config_save(const struct sl_config *cfg, const char *path)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	json_t *j;
	char *text;
	int rc;

	rc = temp_names(path, dir, tmp);
	if (rc != 0)
		return rc;
	j = sl_config_to_json(cfg);
	text = j != NULL ? json_dumps(j, JSON_INDENT(2)) : NULL;
	json_decref(j);
	if (text == NULL)
		return -ENOMEM;
	rc = write_temp(tmp, text);
	free(text);
	if (rc != 0)
		return rc;
	if (rename(tmp, path) != 0) {
		rc = -errno;
		unlink(tmp);
		return rc;
	}
	return fsync_dir(dir);
}

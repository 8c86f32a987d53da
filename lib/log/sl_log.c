/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON-lines logger.
 *
 * Principles: a line is built in a stack buffer and written with a single
 * write(2) so concurrent writers never interleave; strings are JSON-escaped;
 * a line too long for the buffer is cut, never split. DPDK's log goes through
 * a fopencookie() stream whose write hook turns each of its lines into one of
 * ours.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_log.h>

#include "sl_log.h"

#define LINE_MAX_BYTES 2048

static volatile int current_level = SL_LOG_INFO;

static const char *const level_names[] = {
	[SL_LOG_ERR] = "err",
	[SL_LOG_WARN] = "warn",
	[SL_LOG_INFO] = "info",
	[SL_LOG_DEBUG] = "debug",
};

void sl_log_set_level(enum sl_log_level level)
{
	current_level = level;
}

enum sl_log_level sl_log_get_level(void)
{
	return current_level;
}

int sl_log_level_parse(const char *name)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

const char *sl_log_level_name(enum sl_log_level level)
{
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		return "unknown";
	return level_names[level];
}

struct line {
	char buf[LINE_MAX_BYTES];
	size_t len;
};

static void put_raw(struct line *l, const char *s, size_t n)
{
	size_t room = sizeof(l->buf) - 2 - l->len; /* keep room for "}\n" */
	if (n > room)
		n = room;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void put_str(struct line *l, const char *s)
{
	put_raw(l, s, strlen(s));
}

/* Append s as a JSON string body (no quotes), escaping what JSON requires. */
static void put_escaped(struct line *l, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put_raw(l, esc, 2);
		} else if (c == '\n') {
			put_raw(l, "\\n", 2);
		} else if (c == '\t') {
			put_raw(l, "\\t", 2);
		} else if (c < 0x20) {
			esc[0] = '\\';
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			put_raw(l, esc, 6);
		} else {
			put_raw(l, (const char *)&c, 1);
		}
	}
}

static void put_field(struct line *l, const char *key, const char *val, size_t n)
{
	put_str(l, ",\"");
	put_escaped(l, key, strlen(key));
	put_str(l, "\":\"");
	put_escaped(l, val, n);
	put_str(l, "\"");
}

static void emit(enum sl_log_level level, const char *component,
		 const char *const *kv, const char *msg, size_t msg_len)
{
	struct line l = {.len = 0};
	struct timespec ts;
	struct tm tm;
	char stamp[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + n, sizeof(stamp) - n, ".%06ldZ", ts.tv_nsec / 1000);

	/* Trailing newlines from printf-style callers are not part of the message. */
	while (msg_len > 0 && (msg[msg_len - 1] == '\n' || msg[msg_len - 1] == '\r'))
		msg_len--;

	put_str(&l, "{\"time\":\"");
	put_str(&l, stamp);
	put_str(&l, "\"");
	put_field(&l, "level", sl_log_level_name(level), strlen(sl_log_level_name(level)));
	put_field(&l, "component", component, strlen(component));
	put_field(&l, "message", msg, msg_len);
	for (; kv && kv[0] && kv[1]; kv += 2)
		put_field(&l, kv[0], kv[1], strlen(kv[1]));
	l.buf[l.len++] = '}';
	l.buf[l.len++] = '\n';
	ssize_t rc = write(STDERR_FILENO, l.buf, l.len);
	(void)rc; /* nowhere left to report a failed log write */
}

void sl_log_v(enum sl_log_level level, const char *component,
	      const char *const *kv, const char *fmt, va_list ap)
{
	char msg[LINE_MAX_BYTES / 2];
	if ((int)level > current_level)
		return;
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	emit(level, component, kv, msg, (size_t)n);
}

void sl_log_kv(enum sl_log_level level, const char *component,
	       const char *const *kv, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sl_log_v(level, component, kv, fmt, ap);
	va_end(ap);
}

bool sl_log_ratelimit_ok(struct sl_log_ratelimit *rl, uint32_t burst)
{
	uint64_t now = rte_get_tsc_cycles();
	uint64_t hz = rte_get_tsc_hz();
	if (hz == 0)
		hz = 1000000000ULL; /* before EAL init: any monotone scale will do */
	if (now - rl->window_start_tsc >= hz) {
		uint32_t suppressed = rl->suppressed;
		rl->window_start_tsc = now;
		rl->printed = 0;
		rl->suppressed = 0;
		if (suppressed)
			SL_LOG(WARN, "log", "%u similar messages suppressed", suppressed);
	}
	if (rl->printed < burst) {
		rl->printed++;
		return true;
	}
	rl->suppressed++;
	return false;
}

/* DPDK log hook: each write is one or more lines of DPDK text. */
static ssize_t dpdk_log_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	enum sl_log_level level;
	switch (rte_log_cur_msg_loglevel()) {
	case RTE_LOG_EMERG:
	case RTE_LOG_ALERT:
	case RTE_LOG_CRIT:
	case RTE_LOG_ERR:
		level = SL_LOG_ERR;
		break;
	case RTE_LOG_WARNING:
		level = SL_LOG_WARN;
		break;
	case RTE_LOG_NOTICE:
	case RTE_LOG_INFO:
		level = SL_LOG_INFO;
		break;
	default:
		level = SL_LOG_DEBUG;
		break;
	}
	if ((int)level <= current_level) {
		const char *p = buf, *end = buf + size;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
			if (n > 0)
				emit(level, "dpdk", NULL, p, n);
			p += n + 1;
		}
	}
	return (ssize_t)size;
}

int sl_log_init(void)
{
	static cookie_io_functions_t io = {.write = dpdk_log_write};
	FILE *f = fopencookie(NULL, "w", io);
	if (f == NULL)
		return -errno;
	/* Line buffering: DPDK writes a message, then we see it whole. */
	setvbuf(f, NULL, _IOLBF, 0);
	return rte_openlog_stream(f);
}

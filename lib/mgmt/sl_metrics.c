/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Text output for the management server: the growable buffer and the
 * Prometheus text exposition format (0.0.4).
 *
 * Principles: building a scrape never fails half-way in a way that could
 * crash or emit garbage: a failed allocation latches the buffer's oom flag,
 * later appends become no-ops, and the caller turns that into a 500. Numbers
 * are printed so that Prometheus reads back exactly the value we hold:
 * integers as integers, other doubles in the fewest digits that round-trip.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_mgmt.h"

/* First allocation in bytes; small pages of JSON fit without a regrow. */
#define BUF_MIN_CAP 256

void sl_buf_init(struct sl_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->oom = false;
}

void sl_buf_free(struct sl_buf *b)
{
	free(b->data);
	sl_buf_init(b);
}

/* Make room for @p extra more bytes plus the NUL; doubles, so appends are
 * amortised O(1). False (and oom latched) on overflow or allocation failure. */
static bool buf_reserve(struct sl_buf *b, size_t extra)
{
	if (b->oom)
		return false;
	if (extra > SIZE_MAX - 1 - b->len) {
		b->oom = true;
		return false;
	}
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : BUF_MIN_CAP;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	char *p = realloc(b->data, cap);
	if (p == NULL) {
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void sl_buf_append(struct sl_buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	if (n > 0)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void buf_vprintf(struct sl_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;

	if (!buf_reserve(b, 0))
		return;
	va_copy(ap2, ap);
	int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		b->data[b->len] = '\0';
		b->oom = true;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		/* Did not fit: grow once to the exact size and format again. */
		if (!buf_reserve(b, (size_t)n)) {
			b->data[b->len] = '\0';
			return;
		}
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void sl_buf_printf(struct sl_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

/* Append @p s escaping backslash and newline, plus '"' when @p quote. */
static void put_escaped(struct sl_buf *b, const char *s, bool quote)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *esc = NULL;
		if (*s == '\\')
			esc = "\\\\";
		else if (*s == '\n')
			esc = "\\n";
		else if (*s == '"' && quote)
			esc = "\\\"";
		if (esc == NULL)
			continue;
		sl_buf_append(b, run, (size_t)(s - run));
		sl_buf_append(b, esc, 2);
		run = s + 1;
	}
	sl_buf_append(b, run, (size_t)(s - run));
}

static const char *type_name(enum sl_metric_type type)
{
	switch (type) {
	case SL_METRIC_COUNTER:
		return "counter";
	case SL_METRIC_GAUGE:
		return "gauge";
	case SL_METRIC_HISTOGRAM:
		return "histogram";
	}
	return "untyped";
}

void sl_metrics_family(struct sl_buf *b, const char *name, enum sl_metric_type type,
		       const char *help)
{
	sl_buf_printf(b, "# HELP %s ", name);
	put_escaped(b, help ? help : "", false);
	sl_buf_printf(b, "\n# TYPE %s %s\n", name, type_name(type));
}

/* name{suffix}{labels} and the space before the value. */
static void put_series(struct sl_buf *b, const char *name, const char *suffix,
		       const char *const *labels)
{
	sl_buf_printf(b, "%s%s", name, suffix ? suffix : "");
	if (labels != NULL && labels[0] != NULL) {
		sl_buf_append(b, "{", 1);
		for (unsigned i = 0; labels[i] != NULL && labels[i + 1] != NULL; i += 2) {
			sl_buf_printf(b, "%s%s=\"", i ? "," : "", labels[i]);
			put_escaped(b, labels[i + 1], true);
			sl_buf_append(b, "\"", 1);
		}
		sl_buf_append(b, "}", 1);
	}
	sl_buf_append(b, " ", 1);
}

/* 2^53: above it not every integer is a double, so "%lld" would claim a
 * precision the value does not have. */
#define EXACT_INT_LIMIT 9007199254740992.0

/* The value as Prometheus spells it, into @p out (at least 32 bytes). */
static void format_value(double v, char *out, size_t len)
{
	if (isnan(v)) {
		snprintf(out, len, "NaN");
	} else if (isinf(v)) {
		snprintf(out, len, v > 0 ? "+Inf" : "-Inf");
	} else if (v > -EXACT_INT_LIMIT && v < EXACT_INT_LIMIT && v == (double)(long long)v) {
		snprintf(out, len, "%lld", (long long)v); /* -0.0 prints as 0 */
	} else {
		/* Shortest of 15..17 significant digits that reads back equal;
		 * 17 always does for a binary64. */
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(out, len, "%.*g", prec, v);
			if (prec == 17 || strtod(out, NULL) == v)
				break;
		}
	}
}

void sl_metrics_sample(struct sl_buf *b, const char *name, const char *suffix,
		       const char *const *labels, double value)
{
	char num[40];

	format_value(value, num, sizeof(num));
	put_series(b, name, suffix, labels);
	sl_buf_printf(b, "%s\n", num);
}

void sl_metrics_sample_u64(struct sl_buf *b, const char *name, const char *suffix,
			   const char *const *labels, uint64_t value)
{
	put_series(b, name, suffix, labels);
	sl_buf_printf(b, "%" PRIu64 "\n", value);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Aligned text tables for people.
 *
 * Principles:
 *  - Collect every cell first, then print: a column is as wide as its
 *    widest cell, so nothing is truncated and nothing is guessed.
 *  - Width counts characters (UTF-8 lead bytes), not bytes, so a port
 *    description with an accent does not push its row out of line.
 *  - Cells are sanitized when stored: the server's text cannot move the
 *    cursor or recolour the terminal.
 *  - An allocation failure is remembered and reported once by print, so
 *    callers can add cells without checking each one.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sluicectl.h"

#define CELL_MAX 4096   /* longest cell kept, bytes; longer text is cut */

struct ctl_table {
	unsigned n_cols;
	bool *right;        /* n_cols: right-align this column */
	char **cells;       /* row-major, n_cols per row; NULL shows "-" */
	size_t n_rows;
	size_t cap_rows;
	unsigned col;       /* next cell of the last row */
	bool oom;           /* some cell was lost */
};

void ctl_sanitize(char *out, size_t len, const char *s)
{
	size_t i = 0;

	if (len == 0)
		return;
	for (; s != NULL && s[i] != '\0' && i + 1 < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		out[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	out[i] = '\0';
}

struct ctl_table *ctl_table_new(unsigned n_cols, const char *const *headers)
{
	struct ctl_table *t = calloc(1, sizeof(*t));

	if (t == NULL || n_cols == 0)
		goto err_free_table;
	t->n_cols = n_cols;
	t->right = calloc(n_cols, sizeof(*t->right));
	if (t->right == NULL)
		goto err_free_table;
	if (headers != NULL) {
		ctl_table_row(t);
		for (unsigned i = 0; i < n_cols; i++)
			ctl_table_text(t, headers[i]);
	}
	return t;

err_free_table:
	free(t);
	return NULL;
}

void ctl_table_align_right(struct ctl_table *t, unsigned col)
{
	if (col < t->n_cols)
		t->right[col] = true;
}

void ctl_table_row(struct ctl_table *t)
{
	char **grown;
	size_t cap;

	if (t->n_rows == t->cap_rows) {
		cap = t->cap_rows != 0 ? t->cap_rows * 2 : 16;
		grown = realloc(t->cells, cap * t->n_cols * sizeof(*grown));
		if (grown == NULL) {
			t->oom = true;
			t->col = t->n_cols; /* drop this row's cells */
			return;
		}
		t->cells = grown;
		t->cap_rows = cap;
	}
	memset(&t->cells[t->n_rows * t->n_cols], 0, t->n_cols * sizeof(*t->cells));
	t->n_rows++;
	t->col = 0;
}

/* Store a copy of @p s (sanitized) as the next cell of the last row. */
static void put_cell(struct ctl_table *t, const char *s)
{
	char *copy;
	size_t n;

	if (t->n_rows == 0 || t->col >= t->n_cols)
		return;
	n = strnlen(s, CELL_MAX - 1) + 1;
	copy = malloc(n);
	if (copy == NULL)
		t->oom = true;
	else
		ctl_sanitize(copy, n, s);
	t->cells[(t->n_rows - 1) * t->n_cols + t->col++] = copy;
}

void ctl_table_cell(struct ctl_table *t, const char *fmt, ...)
{
	char buf[CELL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put_cell(t, buf);
}

void ctl_table_text(struct ctl_table *t, const char *s)
{
	put_cell(t, s != NULL && s[0] != '\0' ? s : "-");
}

/* Characters in @p s: bytes that do not continue a UTF-8 sequence. */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static const char *cell_at(const struct ctl_table *t, size_t row, unsigned col)
{
	const char *s = t->cells[row * t->n_cols + col];

	return s != NULL && s[0] != '\0' ? s : "-";
}

static void print_row(const struct ctl_table *t, size_t row, const size_t *width, FILE *out)
{
	for (unsigned c = 0; c < t->n_cols; c++) {
		const char *s = cell_at(t, row, c);
		int pad = (int)(width[c] - text_width(s));
		bool last = c + 1 == t->n_cols;

		if (c > 0)
			fputs("  ", out);
		if (t->right[c])
			fprintf(out, "%*s%s", pad, "", s);
		else
			fprintf(out, "%s%*s", s, last ? 0 : pad, "");
	}
	fputc('\n', out);
}

int ctl_table_print(const struct ctl_table *t, FILE *out)
{
	size_t *width = calloc(t->n_cols, sizeof(*width));

	if (width == NULL || t->oom) {
		free(width);
		return -ENOMEM;
	}
	for (size_t r = 0; r < t->n_rows; r++)
		for (unsigned c = 0; c < t->n_cols; c++) {
			size_t w = text_width(cell_at(t, r, c));

			if (w > width[c])
				width[c] = w;
		}
	for (size_t r = 0; r < t->n_rows; r++)
		print_row(t, r, width, out);
	free(width);
	return 0;
}

void ctl_table_free(struct ctl_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->right);
	free(t);
}

int ctl_table_finish(struct ctl_table *t)
{
	int rc = t != NULL ? ctl_table_print(t, stdout) : -1;

	ctl_table_free(t);
	if (rc != 0) {
		fputs("sluicectl: out of memory\n", stderr);
		return CTL_EXIT_SOFTWARE;
	}
	return CTL_EXIT_OK;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl internals shared by its source files.
 *
 * Principles:
 *  - One request per run: the command asks, prints, and its return value is
 *    the process exit status. Nothing is retried behind the user's back.
 *  - Exit statuses mean one thing each (CTL_EXIT_*), so scripts can tell a
 *    refused change (2) from an unreachable daemon (3) from a typo (64).
 *  - Whatever the server sends is untrusted text: it is never used as a
 *    format string, and control characters are replaced before it reaches
 *    the terminal.
 *  - The token lives in one heap buffer, goes only into the Authorization
 *    header, and is wiped before exit.
 *
 * Functions here are prefixed ctl_: this is a program, not a library, and
 * they are not part of any sl_<module> API.
 */
#ifndef SLUICECTL_H
#define SLUICECTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* Exit statuses; 64.. follow sysexits(3). */
#define CTL_EXIT_OK 0
#define CTL_EXIT_DIFF 1        /**< config diff found changes; health: not ready */
#define CTL_EXIT_SERVER 2      /**< the server refused or answered unusably */
#define CTL_EXIT_UNREACHABLE 3 /**< no HTTP answer at all */
#define CTL_EXIT_USAGE 64      /**< EX_USAGE */
#define CTL_EXIT_DATAERR 65    /**< EX_DATAERR: a local file is not valid */
#define CTL_EXIT_NOINPUT 66    /**< EX_NOINPUT: a local file cannot be read */
#define CTL_EXIT_SOFTWARE 70   /**< EX_SOFTWARE: out of memory, libcurl setup */

/** Settings from the command line and the environment. */
struct ctl {
	const char *api;       /**< base URL, no trailing '/' */
	char *token;           /**< bearer token (heap, wiped at exit) or NULL */
	bool json;             /**< --json: print the server's JSON */
	long timeout_ms;       /**< whole-request timeout, milliseconds */
};

/** A decoded HTTP answer. */
struct ctl_answer {
	long status;           /**< HTTP status code */
	char *raw;             /**< body as received, NUL-terminated (heap) */
	size_t raw_len;        /**< bytes in raw */
	json_t *json;          /**< raw decoded, or NULL if it is not JSON */
};

/* ---- ctl_http.c ---- */

/**
 * Send one request: @p method to @p path (starting with '/', already
 * escaped), with @p body (JSON text) or NULL. A 2xx answer must be JSON.
 * Any other status is an error unless it equals @p also_ok (0 for none).
 *
 * @return CTL_EXIT_OK with @p ans filled (free with ctl_answer_free()), or
 * the exit status after the reason was printed on stderr: a problem
 * document as "sluicectl: <detail>", no answer as "cannot reach".
 */
int ctl_request(const struct ctl *c, const char *method, const char *path,
		const char *body, long also_ok, struct ctl_answer *ans);

void ctl_answer_free(struct ctl_answer *ans);

/**
 * Print JSON text re-indented by 2 spaces, one value per line, and a final
 * newline. Only whitespace changes: numbers and strings are byte for byte
 * what the server sent. @p text must be valid JSON.
 */
void ctl_print_json_text(FILE *out, const char *text, size_t len);

/**
 * GET @p path for a read-only command. *done is set when the command has
 * nothing more to do: the request failed (the status says why) or --json
 * printed the answer as it came. Free @p ans either way.
 */
int ctl_fetch(const struct ctl *c, const char *path, long also_ok, struct ctl_answer *ans,
	      bool *done);

/** A string member of @p obj, or NULL. */
static inline const char *ctl_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/** An integer member of @p obj, or 0. */
static inline json_int_t ctl_int(const json_t *obj, const char *key)
{
	return json_integer_value(json_object_get(obj, key));
}

/** Append to @p out (size @p len) @p s percent-encoded as one path part;
 *  '/' is kept when @p keep_slash. Returns -ENAMETOOLONG if it does not fit. */
int ctl_path_escape(char *out, size_t len, const char *s, bool keep_slash);

/* ---- ctl_table.c ---- */

struct ctl_table;

/**
 * A table of @p n_cols columns. @p headers (n_cols strings) is printed as
 * the first row, or no header row when NULL. NULL on allocation failure.
 */
struct ctl_table *ctl_table_new(unsigned n_cols, const char *const *headers);
/** Right-align column @p col (numbers). */
void ctl_table_align_right(struct ctl_table *t, unsigned col);
/** Start a new row; cells are then added left to right. */
void ctl_table_row(struct ctl_table *t);
/** Add a cell (printf format); cells past the column count are dropped. */
void ctl_table_cell(struct ctl_table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** Add a cell from untrusted text: NULL or "" shows as "-". */
void ctl_table_text(struct ctl_table *t, const char *s);
/**
 * Print: columns two spaces apart, padded to their widest cell (in
 * characters, not bytes), no trailing blanks. Rows short of cells get "-".
 * @return 0, or -ENOMEM if some cell could not be stored.
 */
int ctl_table_print(const struct ctl_table *t, FILE *out);
void ctl_table_free(struct ctl_table *t);
/** Print and free @p t (NULL: no memory); the command's exit status. */
int ctl_table_finish(struct ctl_table *t);

/** Copy @p s into @p out (size @p len) with control characters as '?'. */
void ctl_sanitize(char *out, size_t len, const char *s);

/* ---- ctl_show.c: read-only commands ---- */

int ctl_cmd_status(const struct ctl *c);
int ctl_cmd_routes(const struct ctl *c);
int ctl_cmd_neighbors(const struct ctl *c);
int ctl_cmd_ports(const struct ctl *c);
int ctl_cmd_port_show(const struct ctl *c, const char *name);
int ctl_cmd_health(const struct ctl *c);

/* ---- ctl_change.c: commands that change things ---- */

int ctl_cmd_config_get(const struct ctl *c);
/** PUT @p file; @p dry_run for "config diff". */
int ctl_cmd_config_put(const struct ctl *c, const char *file, bool dry_run);
/** @p argv: PREFIX then keyword/value pairs (via, port, type). */
int ctl_cmd_route_add(const struct ctl *c, int argc, char **argv);
int ctl_cmd_route_del(const struct ctl *c, const char *prefix);

/* ---- ctl_flows.c: the connection table ---- */

/** @p argv: keyword/value filter pairs (proto, state, address, port). */
int ctl_cmd_flows(const struct ctl *c, int argc, char **argv);
int ctl_cmd_flows_flush(const struct ctl *c, int argc, char **argv);

/* ---- ctl_services.c: load-balanced services ---- */

/** Every service (or the one named @p name), one row per backend. */
int ctl_cmd_services(const struct ctl *c, const char *name);
int ctl_cmd_acl(const struct ctl *c);
int ctl_cmd_top(const struct ctl *c, const char *by);
int ctl_cmd_synproxy(const struct ctl *c);
int ctl_cmd_qos(const struct ctl *c);
int ctl_cmd_blocks(const struct ctl *c, int argc, char **argv);
int ctl_cmd_sets(const struct ctl *c, int argc, char **argv);

/* ---- sluicectl.c ---- */

/** Print a usage error (printf format) and the usage on stderr; returns CTL_EXIT_USAGE. */
int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- ctl_wg.c ---- */
int ctl_cmd_wg(const struct ctl *c, int argc, char **argv);

#endif /* SLUICECTL_H */

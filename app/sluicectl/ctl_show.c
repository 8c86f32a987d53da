/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Read-only sluicectl commands: status, routes, neighbors, ports, health.
 *
 * Principles:
 *  - Each command is one GET; --json prints the answer as received, the
 *    table view is only a rendering of it.
 *  - The renderer is lenient: a field the server left out (or one newer
 *    than this program) shows as "-" instead of failing the command, so an
 *    older sluicectl still works against a newer daemon.
 *  - Units are written out for people ("10Gbit/s", "3h 0m 5s", "12.0%").
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sluicectl.h"

#define LINE_MAX_CELL 1024  /* a joined list cell (addresses, queues), bytes */

/* A number cell: integers as is, reals with %g, anything else "-". */
static void num_cell(struct ctl_table *t, const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_integer(v))
		ctl_table_cell(t, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		ctl_table_cell(t, "%g", json_real_value(v));
	else
		ctl_table_text(t, NULL);
}

/* An integer as text, "-" when @p v is not one. */
static void format_int(char *buf, size_t len, const json_t *v)
{
	if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else
		snprintf(buf, len, "-");
}

static void bool_cell(struct ctl_table *t, const json_t *v, const char *yes, const char *no)
{
	ctl_table_text(t, json_is_boolean(v) ? (json_is_true(v) ? yes : no) : NULL);
}

/* "10Gbit/s", "2.5Gbit/s", "100Mbit/s"; "-" when 0 (unknown). */
static void format_speed(char *buf, size_t len, const json_t *mbps)
{
	json_int_t v = json_integer_value(mbps);

	if (v <= 0)
		snprintf(buf, len, "-");
	else if (v % 1000 == 0)
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT "Gbit/s", v / 1000);
	else if (v > 1000)
		snprintf(buf, len, "%gGbit/s", (double)v / 1000.0);
	else
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT "Mbit/s", v);
}

/* "12.5s" under a minute, else "2d 3h 0m 4s" from the largest unit on. */
static void format_uptime(char *buf, size_t len, double s)
{
	static const struct { const char *unit; uint64_t secs; } units[] = {
		{ "d", 86400 }, { "h", 3600 }, { "m", 60 }, { "s", 1 },
	};
	uint64_t left = s > 0 ? (uint64_t)s : 0;
	size_t n = 0;

	if (s < 60) {
		snprintf(buf, len, "%.1fs", s > 0 ? s : 0.0);
		return;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && n < len; i++) {
		uint64_t q = left / units[i].secs;

		left %= units[i].secs;
		if (q == 0 && n == 0)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%" PRIu64 "%s", n ? " " : "", q,
				      units[i].unit);
	}
}

/* Strings of @p arr joined by @p sep; other elements are skipped. */
static void join_strings(char *buf, size_t len, const json_t *arr, const char *sep)
{
	size_t i, n = 0;
	json_t *v;

	buf[0] = '\0';
	json_array_foreach(arr, i, v) {
		if (json_is_string(v) && n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? sep : "",
					      json_string_value(v));
	}
}

/* GET @p path; on success either print the JSON (and return *done) or let
 * the caller render @p ans. */
/* ---- status ---- */

/* A worker's RX queues as "lan:0 wan:0". */
static void join_rx_queues(char *buf, size_t len, const json_t *arr)
{
	size_t i, n = 0;
	const char *port;
	json_t *q;

	buf[0] = '\0';
	json_array_foreach(arr, i, q) {
		port = ctl_str(q, "port");
		if (n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s:%" JSON_INTEGER_FORMAT,
					      n ? " " : "", port != NULL ? port : "?",
					      json_integer_value(json_object_get(q, "queue")));
	}
}

static struct ctl_table *lcore_table(const json_t *lcores)
{
	static const char *const head[] = { "LCORE", "ROLE", "BUSY", "RX_PACKETS", "RX_QUEUES" };
	struct ctl_table *t = ctl_table_new(5, head);
	char queues[LINE_MAX_CELL];
	size_t i;
	json_t *l;

	if (t == NULL)
		return NULL;
	ctl_table_align_right(t, 0);
	ctl_table_align_right(t, 2);
	ctl_table_align_right(t, 3);
	json_array_foreach(lcores, i, l) {
		ctl_table_row(t);
		num_cell(t, l, "id");
		ctl_table_text(t, ctl_str(l, "role"));
		if (json_is_number(json_object_get(l, "busy_ratio")))
			ctl_table_cell(t, "%.1f%%", 100 * json_number_value(json_object_get(l, "busy_ratio")));
		else
			ctl_table_text(t, NULL);
		num_cell(t, l, "rx_packets");
		join_rx_queues(queues, sizeof(queues), json_object_get(l, "rx_queues"));
		ctl_table_text(t, queues);
	}
	return t;
}

static struct ctl_table *link_table(const json_t *ports)
{
	static const char *const head[] = { "PORT", "LINK", "SPEED" };
	struct ctl_table *t = ctl_table_new(3, head);
	char speed[32];
	size_t i;
	json_t *p;

	if (t == NULL)
		return NULL;
	json_array_foreach(ports, i, p) {
		ctl_table_row(t);
		ctl_table_text(t, ctl_str(p, "name"));
		bool_cell(t, json_object_get(p, "link_up"), "up", "down");
		format_speed(speed, sizeof(speed), json_object_get(p, "speed_mbps"));
		ctl_table_text(t, speed);
	}
	return t;
}

int ctl_cmd_status(const struct ctl *c)
{
	struct ctl_answer a;
	char up[64], version[64];
	bool done;
	int st = ctl_fetch(c, "/api/v1/status", 0, &a, &done);

	if (done)
		goto out;
	format_uptime(up, sizeof(up), json_number_value(json_object_get(a.json, "uptime_seconds")));
	ctl_sanitize(version, sizeof(version), ctl_str(a.json, "version"));
	printf("sluice %s, up %s, config generation %" JSON_INTEGER_FORMAT "\n\n",
	       version[0] != '\0' ? version : "?", up,
	       json_integer_value(json_object_get(a.json, "config_generation")));
	st = ctl_table_finish(lcore_table(json_object_get(a.json, "lcores")));
	if (st == CTL_EXIT_OK) {
		putchar('\n');
		st = ctl_table_finish(link_table(json_object_get(a.json, "ports")));
	}
out:
	ctl_answer_free(&a);
	return st;
}

/* ---- routes, neighbors ---- */

int ctl_cmd_routes(const struct ctl *c)
{
	static const char *const head[] = { "PREFIX", "TYPE", "VIA", "PORT", "SOURCE" };
	static const char *const keys[] = { "prefix", "type", "via", "port", "source" };
	struct ctl_table *t;
	struct ctl_answer a;
	bool done;
	size_t i;
	json_t *r;
	int st = ctl_fetch(c, "/api/v1/routes", 0, &a, &done);

	if (done)
		goto out;
	t = ctl_table_new(5, head);
	json_array_foreach(t != NULL ? json_object_get(a.json, "routes") : NULL, i, r) {
		ctl_table_row(t);
		for (unsigned k = 0; k < 5; k++)
			ctl_table_text(t, ctl_str(r, keys[k]));
	}
	st = ctl_table_finish(t);
out:
	ctl_answer_free(&a);
	return st;
}

static void neighbor_row(struct ctl_table *t, const json_t *n)
{
	const json_t *age = json_object_get(n, "age_seconds");

	ctl_table_row(t);
	ctl_table_text(t, ctl_str(n, "port"));
	ctl_table_text(t, ctl_str(n, "family"));
	ctl_table_text(t, ctl_str(n, "address"));
	ctl_table_text(t, ctl_str(n, "mac"));
	ctl_table_text(t, ctl_str(n, "state"));
	num_cell(t, n, "pending");
	if (json_is_number(age))
		ctl_table_cell(t, "%.1fs", json_number_value(age));
	else
		ctl_table_text(t, NULL);
}

int ctl_cmd_neighbors(const struct ctl *c)
{
	static const char *const head[] = { "PORT", "FAMILY", "ADDRESS", "MAC", "STATE",
					    "PENDING", "AGE" };
	struct ctl_table *t;
	struct ctl_answer a;
	bool done;
	size_t i;
	json_t *n;
	int st = ctl_fetch(c, "/api/v1/neighbors", 0, &a, &done);

	if (done)
		goto out;
	t = ctl_table_new(7, head);
	if (t != NULL) {
		ctl_table_align_right(t, 5);
		ctl_table_align_right(t, 6);
	}
	json_array_foreach(t != NULL ? json_object_get(a.json, "neighbors") : NULL, i, n)
		neighbor_row(t, n);
	st = ctl_table_finish(t);
out:
	ctl_answer_free(&a);
	return st;
}

/* ---- ports ---- */

static void port_row(struct ctl_table *t, const json_t *p)
{
	const json_t *link = json_object_get(p, "link"), *stats = json_object_get(p, "stats");
	char speed[32];

	ctl_table_row(t);
	ctl_table_text(t, ctl_str(p, "name"));
	ctl_table_text(t, ctl_str(p, "driver"));
	ctl_table_text(t, ctl_str(p, "mac"));
	num_cell(t, p, "mtu");
	bool_cell(t, json_object_get(link, "up"), "up", "down");
	format_speed(speed, sizeof(speed), json_object_get(link, "speed_mbps"));
	ctl_table_text(t, speed);
	num_cell(t, p, "rx_queues");
	num_cell(t, p, "tx_queues");
	num_cell(t, stats, "rx_packets");
	num_cell(t, stats, "tx_packets");
}

int ctl_cmd_ports(const struct ctl *c)
{
	static const char *const head[] = { "NAME", "DRIVER", "MAC", "MTU", "LINK", "SPEED",
					    "RXQ", "TXQ", "RX_PACKETS", "TX_PACKETS" };
	static const unsigned right[] = { 3, 6, 7, 8, 9 };
	struct ctl_table *t;
	struct ctl_answer a;
	bool done;
	size_t i;
	json_t *p;
	int st = ctl_fetch(c, "/api/v1/ports", 0, &a, &done);

	if (done)
		goto out;
	t = ctl_table_new(10, head);
	for (unsigned k = 0; t != NULL && k < sizeof(right) / sizeof(right[0]); k++)
		ctl_table_align_right(t, right[k]);
	json_array_foreach(t != NULL ? json_object_get(a.json, "ports") : NULL, i, p)
		port_row(t, p);
	st = ctl_table_finish(t);
out:
	ctl_answer_free(&a);
	return st;
}

static void kv_row(struct ctl_table *t, const char *key, const char *value)
{
	ctl_table_row(t);
	ctl_table_text(t, key);
	ctl_table_text(t, value);
}

/* "0x38d34, symmetric, NAT steering"; "off" when no hash type is on. */
static const char *rss_text(char *buf, size_t len, const json_t *rss)
{
	const char *types = ctl_str(rss, "hash_types");

	if (types == NULL || strtoull(types, NULL, 16) == 0)
		return "off";
	snprintf(buf, len, "%s%s%s", types,
		 json_is_true(json_object_get(rss, "symmetric")) ? ", symmetric" : "",
		 json_is_true(json_object_get(rss, "nat_steering")) ? ", NAT steering" : "");
	return buf;
}

/* "up, 10Gbit/s, full duplex" or "down". */
static const char *link_text(char *buf, size_t len, const json_t *link)
{
	char speed[32];

	if (!json_is_true(json_object_get(link, "up")))
		return "down";
	format_speed(speed, sizeof(speed), json_object_get(link, "speed_mbps"));
	snprintf(buf, len, "up, %s, %s duplex", speed,
		 json_is_true(json_object_get(link, "full_duplex")) ? "full" : "half");
	return buf;
}

/* The one-value-per-line summary at the top of "ports show". */
static struct ctl_table *port_summary(const json_t *p)
{
	const json_t *link = json_object_get(p, "link"), *rss = json_object_get(p, "rss");
	struct ctl_table *t = ctl_table_new(2, NULL);
	char buf[LINE_MAX_CELL];

	if (t == NULL)
		return NULL;
	kv_row(t, "name:", ctl_str(p, "name"));
	kv_row(t, "device:", ctl_str(p, "device"));
	kv_row(t, "driver:", ctl_str(p, "driver"));
	format_int(buf, sizeof(buf), json_object_get(p, "port_id"));
	kv_row(t, "port id:", buf);
	kv_row(t, "mac:", ctl_str(p, "mac"));
	format_int(buf, sizeof(buf), json_object_get(p, "mtu"));
	kv_row(t, "mtu:", buf);
	snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT " rx, %" JSON_INTEGER_FORMAT " tx",
		 json_integer_value(json_object_get(p, "rx_queues")),
		 json_integer_value(json_object_get(p, "tx_queues")));
	kv_row(t, "queues:", buf);
	kv_row(t, "rss:", rss_text(buf, sizeof(buf), rss));
	kv_row(t, "link:", link_text(buf, sizeof(buf), link));
	join_strings(buf, sizeof(buf), json_object_get(p, "ipv4"), ", ");
	kv_row(t, "ipv4:", buf);
	join_strings(buf, sizeof(buf), json_object_get(p, "ipv6"), ", ");
	kv_row(t, "ipv6:", buf);
	return t;
}

/* A COUNTER/VALUE table of every member of @p obj, in the server's order. */
static struct ctl_table *counter_table(const char *title, const json_t *obj)
{
	const char *head[] = { title, "VALUE" };
	struct ctl_table *t = ctl_table_new(2, head);
	const char *key;
	json_t *v;

	if (t == NULL)
		return NULL;
	ctl_table_align_right(t, 1);
	json_object_foreach((json_t *)obj, key, v) {
		ctl_table_row(t);
		ctl_table_text(t, key);
		num_cell(t, obj, key);
	}
	return t;
}

int ctl_cmd_port_show(const struct ctl *c, const char *name)
{
	char path[512] = "/api/v1/ports/";
	struct ctl_answer a;
	bool done;
	int st;

	if (ctl_path_escape(path, sizeof(path), name, false) != 0)
		return ctl_usage_error("port name too long");
	st = ctl_fetch(c, path, 0, &a, &done);
	if (done)
		goto out;
	st = ctl_table_finish(port_summary(a.json));
	if (st == CTL_EXIT_OK) {
		putchar('\n');
		st = ctl_table_finish(counter_table("COUNTER", json_object_get(a.json, "stats")));
	}
	if (st == CTL_EXIT_OK) {
		putchar('\n');
		st = ctl_table_finish(counter_table("XSTAT", json_object_get(a.json, "xstats")));
	}
out:
	ctl_answer_free(&a);
	return st;
}

/* ---- health ---- */

static struct ctl_table *checks_table(const json_t *checks)
{
	static const char *const head[] = { "CHECK", "STATUS" };
	struct ctl_table *t = ctl_table_new(2, head);
	const char *key;
	json_t *v;

	json_object_foreach(t != NULL ? (json_t *)checks : NULL, key, v) {
		ctl_table_row(t);
		ctl_table_text(t, key);
		bool_cell(t, v, "ok", "failing");
	}
	return t;
}

int ctl_cmd_health(const struct ctl *c)
{
	struct ctl_answer a;
	bool done, ready;
	int st = ctl_fetch(c, "/readyz", 503, &a, &done);

	if (st != CTL_EXIT_OK)
		return st;
	ready = a.status == 200 && json_is_true(json_object_get(a.json, "ready"));
	if (!done) {
		printf("%s\n\n", ready ? "ready" : "not ready");
		st = ctl_table_finish(checks_table(json_object_get(a.json, "checks")));
	}
	ctl_answer_free(&a);
	if (st != CTL_EXIT_OK)
		return st;
	return ready ? CTL_EXIT_OK : CTL_EXIT_DIFF;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Blocks: sources refused whole, by reputation or by hand.
 *
 *   GET    /api/v1/blocks            every blocked source: cause, reason,
 *                                    seconds left, offences
 *   POST   /api/v1/blocks            {"source", "duration", "reason"}: block
 *                                    now (its next packet, on any worker)
 *   DELETE /api/v1/blocks/{address}  unblock
 *
 * Each block is one file in the directory next to the configuration file
 * ("<config>.blocks/"), written with the same write-then-rename the config
 * uses: a change costs one file, whatever the number of blocks. Blocks by
 * hand are stored before the API answers; automatic ones are queued and
 * stored a few per management tick, so a wave of them does not hold the
 * management lcore in fsync. At start the files are read back and blocks
 * still running are restored. Each block and each expiry writes one log
 * line (at most 10 a second, the rest counted).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "sl_log.h"
#include "sluice.h"

#define REASON_MAX 96
#define MANUAL_MAX 4096
#define LOG_PER_SECOND 10
#define PENDING_MAX 4096   /* automatic blocks waiting to be stored */
#define STORE_PER_TICK 16

/* Reasons given by hand, by table key (few: kept in a plain array). */
static struct {
	uint64_t key;
	char reason[REASON_MAX];
} manual[MANUAL_MAX];
static unsigned n_manual;
static uint64_t log_second, log_count, log_suppressed;

/* Automatic blocks to store, oldest first (a ring). */
static struct pending {
	uint64_t key;
	char source[64];
	const char *cause;        /* a static name */
	time_t until;
	unsigned offences;
} pending[PENDING_MAX];
static unsigned pending_head, pending_n;

static const char *manual_reason(uint64_t key)
{
	for (unsigned i = 0; i < n_manual; i++)
		if (manual[i].key == key)
			return manual[i].reason;
	return NULL;
}

static void manual_set(uint64_t key, const char *reason)
{
	for (unsigned i = 0; i < n_manual; i++) {
		if (manual[i].key == key) {
			if (reason == NULL)
				manual[i] = manual[--n_manual];
			else
				snprintf(manual[i].reason, REASON_MAX, "%s", reason);
			return;
		}
	}
	if (reason != NULL && n_manual < MANUAL_MAX) {
		manual[n_manual].key = key;
		snprintf(manual[n_manual++].reason, REASON_MAX, "%s", reason);
	}
}

static void dir_of(const struct sl_app *app, char *buf, size_t len)
{
	snprintf(buf, len, "%s.blocks", app->config_path);
}

static void file_of(const struct sl_app *app, uint64_t key, char *buf, size_t len)
{
	char dir[SL_CONFIG_PATH_MAX + 8];
	dir_of(app, dir, sizeof(dir));
	snprintf(buf, len, "%s/%016" PRIx64 ".json", dir, key);
}

/* One block's file, written whole then renamed into place. */
static int store(const struct sl_app *app, uint64_t key, const char *source, const char *cause,
		 const char *reason, time_t until, unsigned offences)
{
	char path[SL_CONFIG_PATH_MAX + 64], tmp[SL_CONFIG_PATH_MAX + 72], dir[SL_CONFIG_PATH_MAX + 8];
	dir_of(app, dir, sizeof(dir));
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -errno;
	file_of(app, key, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:i}", "source", source, "cause", cause,
			      "reason", reason != NULL ? reason : "", "until", (json_int_t)until,
			      "offences", (int)offences);
	int rc = j != NULL && json_dump_file(j, tmp, JSON_COMPACT) == 0 ? 0 : -EIO;
	json_decref(j);
	if (rc == 0) {
		int fd = open(tmp, O_RDONLY);
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
		rc = rename(tmp, path) == 0 ? 0 : -errno;
	}
	if (rc != 0)
		SL_LOG(WARN, "blocks", "cannot store the block of %s in %s: %s", source, dir,
		       strerror(-rc));
	return rc;
}

/* A block or an end, from the sweep (reputation) or the API (by hand). */
static void note(struct sl_app *app, uint64_t key, const struct sl_rl_entry *e, bool started,
		 uint64_t now, const char *reason)
{
	char src[64];
	sl_rl_key_text(app->rl, key, src, sizeof(src));
	const char *cause = sl_config_rep_event_name(e->cause);
	uint64_t until = __atomic_load_n(&e->blocked_until, __ATOMIC_RELAXED);
	double left = until > now ? (double)(until - now) / (double)app->tsc_hz : 0;
	time_t until_s = time(NULL) + (time_t)(left + 0.5);
	if (started && (reason != NULL || pending_n == PENDING_MAX)) {
		/* Stored now: an automatic block of it still queued is older. */
		for (unsigned i = 0; i < pending_n; i++)
			if (pending[(pending_head + i) % PENDING_MAX].key == key)
				pending[(pending_head + i) % PENDING_MAX].until = 0;
		store(app, key, src, cause, reason, until_s, e->offences);
	} else if (started) {
		struct pending *p = &pending[(pending_head + pending_n++) % PENDING_MAX];
		*p = (struct pending){.key = key, .cause = cause, .until = until_s,
				      .offences = e->offences};
		snprintf(p->source, sizeof(p->source), "%s", src);
	} else {
		char path[SL_CONFIG_PATH_MAX + 64];
		file_of(app, key, path, sizeof(path));
		unlink(path);
		manual_set(key, NULL);
		for (unsigned i = 0; i < pending_n; i++)   /* not stored yet: never */
			if (pending[(pending_head + i) % PENDING_MAX].key == key)
				pending[(pending_head + i) % PENDING_MAX].until = 0;
	}
	uint64_t second = now / app->tsc_hz;
	if (second != log_second) {
		if (log_suppressed > 0)
			SL_LOG(WARN, "blocks", "%" PRIu64 " more block and expiry lines not logged",
			       log_suppressed);
		log_second = second;
		log_count = log_suppressed = 0;
	}
	if (log_count++ >= LOG_PER_SECOND) {
		log_suppressed++;
		return;
	}
	double score = sl_rl_score(&app->dp->rl, e, now);
	if (started)
		SL_LOG(WARN, "blocks", "blocked %s for %.0f s: %s%s%s (offence %u, score %.0f)", src,
		       left, cause, reason != NULL ? ": " : "", reason != NULL ? reason : "",
		       e->offences, score);
	else
		SL_LOG(INFO, "blocks", "unblocked %s (%s, offence %u)", src, cause, e->offences);
}

void sl_app_blocks_store_pending(struct sl_app *app, bool all)
{
	for (unsigned i = 0; (all || i < STORE_PER_TICK) && pending_n > 0; i++) {
		struct pending *p = &pending[pending_head];
		pending_head = (pending_head + 1) % PENDING_MAX;
		pending_n--;
		/* Ended before its turn: its file is gone already, or never was. */
		if (p->until > time(NULL))
			store(app, p->key, p->source, p->cause, NULL, p->until, p->offences);
	}
}

static void on_block(void *arg, const struct sl_rl_table *t, uint64_t key,
		     const struct sl_rl_entry *e, bool started, uint64_t now)
{
	(void)t;
	struct sl_app *app = arg;
	note(app, key, e, started, now, started ? manual_reason(key) : NULL);
}

/* "10.1.0.3" into family and bytes; false if it is not an address. */
static bool parse_source(const char *s, uint8_t *af, uint8_t *bytes)
{
	struct sl_addr a;
	if (s == NULL || sl_parse_addr(s, &a) != 0)
		return false;
	*af = a.af;
	memcpy(bytes, a.af == SL_AF_INET ? (const void *)&a.v4 : a.v6, a.af == SL_AF_INET ? 4 : 16);
	return true;
}

void sl_app_blocks_init(struct sl_app *app)
{
	if (app->rl == NULL)
		return;
	app->rl->on_block = on_block;
	app->rl->on_block_arg = app;
	app->rl->offence_memory = app->dp->rl.rep.block_max;
	char dir[SL_CONFIG_PATH_MAX + 8];
	dir_of(app, dir, sizeof(dir));
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *de;
	unsigned restored = 0;
	uint64_t now = rte_rdtsc();
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		char path[SL_CONFIG_PATH_MAX + 300];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		json_t *j = json_load_file(path, 0, NULL);
		uint8_t af, bytes[16];
		char source[64];
		snprintf(source, sizeof(source), "%s",
			 j != NULL && json_string_value(json_object_get(j, "source")) != NULL ?
			 json_string_value(json_object_get(j, "source")) : "");
		json_int_t until = json_integer_value(json_object_get(j, "until"));
		const char *cause = json_string_value(json_object_get(j, "cause"));
		const char *reason = json_string_value(json_object_get(j, "reason"));
		time_t t = time(NULL);
		if (j == NULL || !parse_source(strtok(source, "/"), &af, bytes) || until <= t) {
			unlink(path);     /* over, or unreadable */
			json_decref(j);
			continue;
		}
		unsigned c;
		for (c = 0; c < SL_REP_EVENTS && strcmp(sl_config_rep_event_name(c), cause ? cause : "") != 0;
		     c++)
			;
		uint64_t key = sl_rl_key(app->rl, af, bytes);
		uint64_t until_tsc = now + (uint64_t)(until - t) * app->tsc_hz;
		char now_path[SL_CONFIG_PATH_MAX + 64];
		file_of(app, key, now_path, sizeof(now_path));
		/* Sources cut to another prefix than when they were stored: two
		 * files may be one source now. The longer block stays, under the
		 * name the block has now (so that its end removes it). */
		const struct sl_rl_entry *had = sl_rl_lookup(app->rl, af, bytes);
		if (had != NULL && had->blocked_until >= until_tsc) {
			if (strcmp(now_path, path) != 0)
				unlink(path);
			json_decref(j);
			continue;
		}
		if (sl_rl_block(app->rl, af, bytes, until_tsc,
				(uint8_t)json_integer_value(json_object_get(j, "offences")), (uint8_t)c,
				now) != 0) {
			SL_LOG(WARN, "blocks", "no room to restore the block of %s", source);
			json_decref(j);
			continue;
		}
		if (c == SL_REP_EVENTS && reason != NULL && reason[0] != '\0')
			manual_set(key, reason);
		if (strcmp(now_path, path) != 0 && rename(path, now_path) != 0)
			SL_LOG(WARN, "blocks", "cannot rename %s: %s", path, strerror(errno));
		restored++;
		json_decref(j);
	}
	closedir(d);
	if (restored > 0)
		SL_LOG(INFO, "blocks", "restored %u blocks from %s", restored, dir);
}

void sl_api_blocks_get(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	struct sl_app *app = arg;
	(void)req;
	if (app->rl == NULL) {
		sl_mgmt_respond_problem(resp, 404, "Rate limiting is off", NULL,
					"the configuration has no \"ratelimit\" section");
		return;
	}
	json_t *list = sl_rl_blocks_json(app->rl, rte_rdtsc(), app->tsc_hz);
	size_t i;
	json_t *b;
	json_array_foreach(list, i, b) {
		uint8_t af, bytes[16];
		char src[64];
		snprintf(src, sizeof(src), "%s", json_string_value(json_object_get(b, "source")));
		const char *reason = parse_source(strtok(src, "/"), &af, bytes) ?
				     manual_reason(sl_rl_key(app->rl, af, bytes)) : NULL;
		json_object_set_new(b, "reason", json_string(reason != NULL ? reason : ""));
	}
	sl_mgmt_respond_json(resp, 200, json_pack("{s:o, s:I}", "blocks", list, "active",
						  (json_int_t)json_array_size(list)));
}

void sl_api_blocks_post(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp,
			void *arg)
{
	struct sl_app *app = arg;
	if (app->rl == NULL) {
		sl_mgmt_respond_problem(resp, 404, "Rate limiting is off", NULL,
					"the configuration has no \"ratelimit\" section");
		return;
	}
	json_t *body = sl_api_body_json(req, resp);
	if (body == NULL)
		return;
	const char *source = json_string_value(json_object_get(body, "source"));
	const char *duration = json_string_value(json_object_get(body, "duration"));
	const char *reason = json_string_value(json_object_get(body, "reason"));
	uint8_t af, bytes[16];
	uint64_t us;
	const char *field = NULL, *problem = NULL;
	if (!parse_source(source, &af, bytes))
		field = "source", problem = "expected an IPv4 or IPv6 address";
	else if (duration == NULL || sl_parse_duration_us(duration, &us) != 0 || us < 1000000 ||
		 us > 31536000000000ull)
		field = "duration", problem = "expected a duration from 1s to 365d, like \"10m\"";
	else if (json_object_get(body, "reason") != NULL &&
		 (reason == NULL || strlen(reason) >= REASON_MAX))
		field = "reason", problem = "expected a string shorter than 96 bytes";
	if (field != NULL) {
		sl_mgmt_respond_problem(resp, 422, "Invalid block", field, "%s: %s", field, problem);
		json_decref(body);
		return;
	}
	uint64_t now = rte_rdtsc();
	uint64_t key = sl_rl_key(app->rl, af, bytes);
	if (sl_rl_block(app->rl, af, bytes, now + us * (app->tsc_hz / 1000000), 0, SL_REP_EVENTS,
			now) != 0) {
		sl_mgmt_respond_problem(resp, 503, "Source table full", "source",
					"source: the source table has no room for it now "
					"(ratelimit.max_sources)");
		json_decref(body);
		return;
	}
	manual_set(key, reason != NULL && reason[0] != '\0' ? reason : "by hand");
	app->rl->blocks_added[SL_REP_EVENTS]++;
	/* Logged and stored here: the sweep sees it reported already. */
	struct sl_rl_entry e = {.blocked_until = now + us * (app->tsc_hz / 1000000),
				.cause = SL_REP_EVENTS};
	note(app, key, &e, true, now, manual_reason(key));
	char src[64];
	sl_rl_key_text(app->rl, key, src, sizeof(src));
	const char *kept = manual_reason(key);
	sl_mgmt_respond_json(resp, 201, json_pack("{s:s, s:s, s:f}", "source", src, "reason",
		kept != NULL ? kept : "", "expires_in_seconds", (double)us / 1e6));
	json_decref(body);
}

void sl_api_blocks_delete(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp,
			  void *arg)
{
	struct sl_app *app = arg;
	uint8_t af, bytes[16];
	if (app->rl == NULL || !parse_source(req->path_rest, &af, bytes)) {
		sl_mgmt_respond_problem(resp, 404, "No such block", "address",
					"address: \"%s\" is not a blocked source", req->path_rest);
		return;
	}
	uint64_t now = rte_rdtsc(), key = sl_rl_key(app->rl, af, bytes);
	char src[64];
	sl_rl_key_text(app->rl, key, src, sizeof(src));
	const struct sl_rl_entry *blocked = sl_rl_lookup(app->rl, af, bytes);
	if (blocked == NULL || __atomic_load_n(&blocked->blocked_until, __ATOMIC_RELAXED) <= now) {
		sl_mgmt_respond_problem(resp, 404, "No such block", "address",
					"address: %s is not blocked", src);
		return;
	}
	sl_rl_block(app->rl, af, bytes, 0, 0, SL_REP_EVENTS, now);
	app->rl->blocks_expired++;
	struct sl_rl_entry e = {.cause = SL_REP_EVENTS};
	note(app, key, &e, false, now, NULL);
	sl_mgmt_respond_json(resp, 200, json_pack("{s:s}", "unblocked", src));
}

void sl_metrics_render_blocks(struct sl_app *app, struct sl_buf *b)
{
	if (app->rl == NULL)
		return;
	sl_metrics_family(b, "sluice_blocks_active", SL_METRIC_GAUGE,
			  "Sources blocked now (as the last sweep counted them).");
	sl_metrics_sample_u64(b, "sluice_blocks_active", NULL, NULL, app->rl->blocks_active);
	sl_metrics_family(b, "sluice_blocks_added_total", SL_METRIC_COUNTER,
			  "Blocks made, by cause: the reputation event that crossed the threshold, "
			  "or manual.");
	for (unsigned c = 0; c <= SL_REP_EVENTS; c++) {
		const char *labels[] = {"cause", sl_config_rep_event_name(c), NULL};
		sl_metrics_sample_u64(b, "sluice_blocks_added_total", NULL, labels,
				      app->rl->blocks_added[c]);
	}
	sl_metrics_family(b, "sluice_blocks_expired_total", SL_METRIC_COUNTER,
			  "Blocks that ran out or were lifted by hand.");
	sl_metrics_sample_u64(b, "sluice_blocks_expired_total", NULL, NULL, app->rl->blocks_expired);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard interfaces wired into the appliance: their keys, the ring
 * from the workers (handshake messages and packets waiting for one), the
 * management lcore's share of the work, and the peers' journal.
 *
 * Peers are runtime objects: each change is one line appended to
 * <config>.wireguard/<interface>.peers ({"set": peer} or {"remove": key}),
 * fsynced before it is answered; at start the journal is replayed and
 * rewritten compact. Preshared keys stay in their own files (0600); the
 * journal names the file, never the key.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "sl_log.h"
#include "sluice.h"

#define WG_PUNT_RING 1024
#define WG_HELD_RING 4096
/* Each handshake costs ~150 us: a few per loop keep the API responsive.
 * Held packets cost little: many. Each has its own ring, so a stream
 * toward a peer without a session cannot crowd handshakes out. */
#define WG_PUNT_PER_LOOP 32
#define WG_HELD_PER_LOOP 1024
#define WG_TICK_MS 10

/* Packets of the management lcore routed into an interface. */
static void wg_tunnel(void *arg, struct rte_mbuf *m, uint64_t now)
{
	struct sl_app *app = arg;
	uint16_t port = sl_pkt_meta(m)->out_port;
	if (port >= SL_MAX_PORTS || app->wg[port] == NULL) {
		sl_stats_drop(app->ctl.st, m, SL_DROP_NO_ROUTE);
		return;
	}
	sl_wg_dev_output(app->wg[port], app->dp->ip, m, now);
}

/* What an interface sends itself (handshakes, keepalives, held packets). */
static void wg_tx(void *arg, struct rte_mbuf *m)
{
	struct sl_app *app = arg;
	sl_ipstack_ctl_route(&app->ctl, app->dp->ip, m, rte_rdtsc());
}

int sl_app_wg_read_key(const char *path, const char *field, uint8_t key[SL_WG_KEY_LEN],
		       char *err, size_t len)
{
	char text[128];
	int rc = sl_mgmt_token_file_read(path, text, sizeof(text));
	if (rc == -EPERM) {
		snprintf(err, len, "%s: %s must not be readable by group or others (mode 0600 or "
			 "stricter)", field, path);
		return rc;
	}
	if (rc < 0) {
		snprintf(err, len, "%s: cannot read %s: %s", field, path,
			 rc == -EINVAL ? "empty or too long" : strerror(-rc));
		return rc;
	}
	bool ok = sl_wg_key_from_base64(text, key);
	sl_wg_wipe(text, sizeof(text));
	if (!ok) {
		snprintf(err, len, "%s: %s holds no WireGuard key (44 characters of base64, as "
			 "\"wg genkey\" writes)", field, path);
		return -EINVAL;
	}
	return 0;
}

/* ---------------------------------------------------------------- journal */

static void journal_path(const struct sl_app *app, const struct sl_wg_dev *d, char *out,
			 size_t len)
{
	snprintf(out, len, "%s.wireguard/%s.peers", app->config_path, sl_wg_dev_name(d));
}

static int journal_dir(const struct sl_app *app)
{
	char dir[SL_CONFIG_PATH_MAX + 16];
	snprintf(dir, sizeof(dir), "%s.wireguard", app->config_path);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* One line, then fsync: a change is answered only once it would survive. */
static int journal_append(struct sl_app *app, uint16_t port, json_t *rec)
{
	int fd = app->wg_journal[port];
	char *line = json_dumps(rec, JSON_COMPACT);
	json_decref(rec);
	if (line == NULL)
		return -ENOMEM;
	if (fd < 0) {
		free(line);
		return -EBADF;
	}
	size_t n = strlen(line);
	line[n] = '\n';
	ssize_t w = write(fd, line, n + 1);
	free(line);
	if (w != (ssize_t)(n + 1) || fdatasync(fd) != 0)
		return -EIO;
	return 0;
}

int sl_app_wg_journal_set(struct sl_app *app, uint16_t port, const uint8_t pub[SL_WG_KEY_LEN])
{
	struct sl_wg_peer_info info;
	if (!sl_wg_peer_get(app->wg[port], pub, &info))
		return -ENOENT;
	return journal_append(app, port, json_pack("{s:o}", "set", sl_app_wg_peer_config_json(&info)));
}

int sl_app_wg_journal_remove(struct sl_app *app, uint16_t port, const uint8_t pub[SL_WG_KEY_LEN])
{
	char b64[SL_WG_KEY_B64_LEN + 1];
	sl_wg_key_to_base64(pub, b64);
	return journal_append(app, port, json_pack("{s:s}", "remove", b64));
}

/* A journal line that could not be applied (a preshared key file now
 * refused, the table full): kept as it is for the next start, unless a
 * later line settles the same peer. */
struct refused {
	char key[SL_WG_KEY_B64_LEN + 1];
	char *line;
};

static void refused_forget(struct refused *r, unsigned *n, const char *key)
{
	for (unsigned i = 0; i < *n; i++)
		if (strcmp(r[i].key, key) == 0) {
			free(r[i].line);
			r[i] = r[--*n];
			return;
		}
}

/* Replay the journal, then write it anew: the peers as they are, and the
 * lines that could not be applied. */
static int journal_load(struct sl_app *app, uint16_t port, char *err, size_t len)
{
	struct sl_wg_dev *d = app->wg[port];
	char path[SL_CONFIG_PATH_MAX + 64], tmp[SL_CONFIG_PATH_MAX + 72];
	int rc = journal_dir(app);
	if (rc < 0) {
		snprintf(err, len, "wireguard: cannot create %s.wireguard: %s", app->config_path,
			 strerror(-rc));
		return rc;
	}
	journal_path(app, d, path, sizeof(path));
	FILE *f = fopen(path, "r");
	if (f == NULL && errno != ENOENT) {
		/* Starting without the peers would drop them all at the rewrite. */
		snprintf(err, len, "wireguard: cannot read %s: %s", path, strerror(errno));
		return -errno;
	}
	unsigned lines = 0, n_refused = 0, cap_refused = 0;
	struct refused *refused = NULL;
	if (f != NULL) {
		char *buf = NULL;
		size_t cap = 0;
		ssize_t got;
		while ((got = getline(&buf, &cap, f)) > 0) {
			lines++;
			json_t *rec = json_loads(buf, 0, NULL);
			char perr[256] = "";
			const char *rm = json_string_value(json_object_get(rec, "remove"));
			json_t *set = json_object_get(rec, "set");
			const char *key = rm != NULL ? rm :
				json_string_value(json_object_get(set, "public_key"));
			uint8_t pub[SL_WG_KEY_LEN];
			bool ok;
			if (rm != NULL && sl_wg_key_from_base64(rm, pub)) {
				sl_wg_peer_remove(d, pub);
				ok = true;
			} else {
				/* A "set" line is the peer whole: what it leaves out, it has not. */
				ok = set != NULL && sl_app_wg_peer_apply(app, port, set, true, NULL, perr,
									 sizeof(perr)) == 0;
			}
			if (key != NULL && strlen(key) == SL_WG_KEY_B64_LEN)
				refused_forget(refused, &n_refused, key);
			if (!ok) {
				SL_LOG(WARN, "wireguard", "%s: line %u not applied (kept for the next "
				       "start): %s", path, lines, perr[0] ? perr : "not a journal line");
				if (n_refused == cap_refused) {
					cap_refused = cap_refused ? cap_refused * 2 : 16;
					refused = realloc(refused, cap_refused * sizeof(*refused));
					if (refused == NULL)
						abort();
				}
				snprintf(refused[n_refused].key, sizeof(refused[n_refused].key), "%s",
					 key != NULL ? key : "");
				refused[n_refused++].line = strndup(buf, (size_t)got);
			}
			json_decref(rec);
		}
		bool failed = ferror(f);
		free(buf);
		fclose(f);
		if (failed) {
			/* A rewrite from part of it would drop the rest for good. */
			snprintf(err, len, "wireguard: cannot read %s to its end", path);
			return -EIO;
		}
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, len, "wireguard: cannot write %s: %s", tmp, strerror(errno));
		return -errno;
	}
	app->wg_journal[port] = fd;
	uint32_t cursor = 0;
	struct sl_wg_peer_info info;
	unsigned peers = 0;
	bool written = true;
	while (written && sl_wg_peer_next(d, &cursor, &info)) {
		written = journal_append(app, port, json_pack("{s:o}", "set",
							      sl_app_wg_peer_config_json(&info))) == 0;
		peers++;
	}
	for (unsigned i = 0; i < n_refused; i++) {
		size_t n = strlen(refused[i].line);
		if (n > 0 && refused[i].line[n - 1] != '\n')
			written = written && write(fd, refused[i].line, n) == (ssize_t)n &&
				  write(fd, "\n", 1) == 1;
		else
			written = written && write(fd, refused[i].line, n) == (ssize_t)n;
		free(refused[i].line);
	}
	free(refused);
	if (!written || fsync(fd) != 0 || rename(tmp, path) != 0) {
		snprintf(err, len, "wireguard: cannot write %s: %s", path, strerror(errno));
		return -EIO;
	}
	if (lines > 0 || peers > 0)
		SL_LOG(INFO, "wireguard", "%s: %u peers from %s (%u lines, %u not applied)",
		       sl_wg_dev_name(d), peers, path, lines, n_refused);
	return 0;
}

/* ------------------------------------------------------------------ setup */

int sl_app_wg_setup(struct sl_app *app, const struct sl_config *cfg, char *err, size_t len)
{
	for (unsigned p = 0; p < SL_MAX_PORTS; p++)
		app->wg_journal[p] = -1;
	if (cfg->wireguard.n_interfaces == 0)
		return 0;
	app->wg_punt = rte_ring_create("sl_wg_punt", WG_PUNT_RING, app->socket, RING_F_SC_DEQ);
	app->wg_held = rte_ring_create("sl_wg_held", WG_HELD_RING, app->socket, RING_F_SC_DEQ);
	if (app->wg_punt == NULL || app->wg_held == NULL) {
		snprintf(err, len, "wireguard: cannot create its ring: %s", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (uint16_t p = (uint16_t)cfg->n_device_ports; p < cfg->n_ports; p++) {
		const struct sl_config_port *cp = &cfg->ports[p];
		char field[PATH_MAX];
		uint8_t key[SL_WG_KEY_LEN];
		snprintf(field, sizeof(field), "wireguard.interfaces[%s].private_key_file", cp->name);
		if (sl_app_wg_read_key(cp->wg.private_key_file, field, key, err, len) < 0)
			return -EINVAL;
		struct sl_wg_dev_params prm = {
			.name = cp->name, .port = p, .listen_port = cp->wg.listen_port,
			.max_peers = cp->wg.max_peers, .handshake_load = cfg->wireguard.handshake_load,
			.clock_scale = cfg->wireguard.clock_scale, .tsc_hz = app->tsc_hz,
			.socket = app->socket, .qsv = app->qsv, .pool = app->pool, .tx = wg_tx,
			.tx_arg = app, .st = app->ctl.st,
		};
		app->wg[p] = sl_wg_dev_create(&prm, err, len);
		bool ok = app->wg[p] != NULL && sl_wg_dev_set_key(app->wg[p], key);
		sl_wg_wipe(key, sizeof(key));
		if (app->wg[p] == NULL)
			return -ENOMEM;
		if (!ok) {
			snprintf(err, len, "%s: %s is not a usable private key", field,
				 cp->wg.private_key_file);
			return -EINVAL;
		}
		if (journal_load(app, p, err, len) < 0)
			return -EIO;
	}
	for (unsigned i = 0; i < app->n_workers; i++) {
		struct sl_worker *w = &app->workers[i];
		struct sl_wg_worker *ww = &w->wg;
		ww->cipher = sl_wg_cipher_create((int)rte_lcore_to_socket_id(w->lcore_id), err, len);
		if (ww->cipher == NULL)
			return -ENOMEM;
		ww->st = w->ip.st;
		ww->ip = &w->ip;
		ww->punt = app->wg_punt;
		ww->held = app->wg_held;
		ww->tsc_hz = app->tsc_hz;
		for (uint16_t p = (uint16_t)cfg->n_device_ports; p < cfg->n_ports; p++) {
			ww->dev[p] = app->wg[p];
			ww->listen_port[p] = cfg->ports[p].wg.listen_port;
			ww->dev_ports[ww->n_dev++] = (uint8_t)p;
		}
	}
	app->ctl.tunnel = wg_tunnel;
	app->ctl.tunnel_arg = app;
	for (uint16_t p = (uint16_t)cfg->n_device_ports; p < cfg->n_ports; p++) {
		uint8_t pub[SL_WG_KEY_LEN];
		char b64[SL_WG_KEY_B64_LEN + 1];
		sl_wg_dev_public_key(app->wg[p], pub);
		sl_wg_key_to_base64(pub, b64);
		SL_LOG(INFO, "wireguard", "%s: UDP port %u, public key %s, ipsec-mb %s, %u peers at most",
		       cfg->ports[p].name, cfg->ports[p].wg.listen_port, b64,
		       sl_wg_cipher_arch(app->workers[0].wg.cipher), cfg->ports[p].wg.max_peers);
	}
	return sl_app_wg_uapi_open(app, err, len);
}

void sl_app_wg_poll(struct sl_app *app, uint64_t now)
{
	if (app->wg_punt == NULL)
		return;
	sl_app_wg_uapi_poll(app);
	void *burst[64];
	const struct sl_dp *dp = app->dp;
	struct rte_ring *rings[2] = {app->wg_punt, app->wg_held};
	const unsigned budget[2] = {WG_PUNT_PER_LOOP, WG_HELD_PER_LOOP};
	for (unsigned r = 0; r < 2; r++) {
		unsigned done = 0, n;
		do {
			n = rte_ring_sc_dequeue_burst(rings[r], burst,
						      RTE_MIN(64u, budget[r] - done), NULL);
			for (unsigned i = 0; i < n; i++) {
				struct rte_mbuf *m = burst[i];
				uint16_t port = sl_pkt_meta(m)->out_port;
				if (port < SL_MAX_PORTS && app->wg[port] != NULL)
					sl_wg_dev_input(app->wg[port], dp->ip, m, now);
				else
					rte_pktmbuf_free(m);
			}
			done += n;
		} while (n > 0 && done < budget[r]);
	}
	if (now < app->wg_next_tick)
		return;
	app->wg_next_tick = now + app->tsc_hz * WG_TICK_MS / 1000;
	for (unsigned p = 0; p < SL_MAX_PORTS; p++)
		if (app->wg[p] != NULL)
			sl_wg_dev_tick(app->wg[p], dp->ip, now);
}

void sl_app_wg_free(struct sl_app *app)
{
	void *m;
	sl_app_wg_uapi_close(app);
	for (unsigned p = 0; p < SL_MAX_PORTS; p++) {
		if (app->wg[p] == NULL)
			continue;
		sl_wg_dev_free(app->wg[p]);
		app->wg[p] = NULL;
		if (app->wg_journal[p] >= 0)
			close(app->wg_journal[p]);
	}
	for (unsigned i = 0; i < app->n_workers; i++)
		sl_wg_cipher_free(app->workers[i].wg.cipher);
	struct rte_ring *rings[2] = {app->wg_punt, app->wg_held};
	for (unsigned r = 0; r < 2; r++) {
		if (rings[r] == NULL)
			continue;
		while (rte_ring_dequeue(rings[r], &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(rings[r]);
	}
}

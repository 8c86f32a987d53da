/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The WireGuard cross-platform userspace API (https://www.wireguard.com/
 * xplatform/) on /var/run/wireguard/<interface>.sock, so that the stock
 * wg(8) shows and changes sluice's interfaces: "get=1" answers the
 * interface and its peers, "set=1" changes them.
 *
 * The socket is root-only (0600), and like the kernel's interface it gives
 * the private and preshared keys to whoever may connect (wg showconf).
 * What "set" changes is in effect at once, shows in REST, and is kept: a
 * private key is written to the interface's private_key_file, a preshared
 * key to a file of its own beside the peers' journal, peers to the journal.
 * A listen port other than the configured one is refused (EBUSY: the
 * configuration decides it, and changing it needs a restart).
 *
 * Connections are served from the management loop without blocking: read
 * what is there, answer a complete request, write what the socket takes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sl_log.h"
#include "sluice.h"

#define UAPI_DIR "/var/run/wireguard"
#define UAPI_MAX_CONN 8
#define UAPI_MAX_REQUEST (16u << 20)

struct uapi_conn {
	int fd;
	uint16_t port;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off;
};

static struct uapi_conn conns[UAPI_MAX_CONN];
static bool opened;
static int listen_fd[SL_MAX_PORTS] = {-1, -1, -1, -1, -1, -1, -1, -1};
_Static_assert(SL_MAX_PORTS == 8, "one listening socket per port");

/* ------------------------------------------------------------ text buffer */

struct text {
	char *p;
	size_t len, cap;
	bool failed;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = t->failed ? 0 : vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (t->failed || n < 0)
			return;
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = t->cap ? t->cap * 2 : 4096;
		while (cap < t->len + (size_t)n + 1)
			cap *= 2;
		/* Not realloc: the old buffer may hold keys, and is wiped. */
		char *p = malloc(cap);
		if (p == NULL) {
			t->failed = true;
			return;
		}
		if (t->p != NULL) {
			memcpy(p, t->p, t->len);
			sl_wg_wipe(t->p, t->cap);
			free(t->p);
		}
		t->p = p;
		t->cap = cap;
	}
}

/* ------------------------------------------------------------------ get */

static void uapi_get(struct sl_app *app, uint16_t port, struct text *t)
{
	struct sl_wg_dev *d = app->wg[port];
	uint8_t key[SL_WG_KEY_LEN];
	char hex[SL_WG_KEY_HEX_LEN + 1];
	if (sl_wg_dev_private_key(d, key)) {
		sl_wg_key_to_hex(key, hex);
		put(t, "private_key=%s\n", hex);
		sl_wg_wipe(key, sizeof(key));
		sl_wg_wipe(hex, sizeof(hex));
	}
	put(t, "listen_port=%u\n", sl_wg_dev_listen_port(d));
	uint32_t cursor = 0;
	struct sl_wg_peer_info info;
	while (sl_wg_peer_next(d, &cursor, &info)) {
		sl_wg_key_to_hex(info.pub, hex);
		put(t, "public_key=%s\n", hex);
		if (sl_wg_peer_psk(d, info.pub, key)) {
			sl_wg_key_to_hex(key, hex);
			put(t, "preshared_key=%s\n", hex);
			sl_wg_wipe(key, sizeof(key));
			sl_wg_wipe(hex, sizeof(hex));
		}
		put(t, "protocol_version=1\n");
		if (info.ep.addr.af != 0) {
			char ep[80];
			sl_format_endpoint(&info.ep.addr, info.ep.port, ep, sizeof(ep));
			put(t, "endpoint=%s\n", ep);
		}
		put(t, "last_handshake_time_sec=%llu\nlast_handshake_time_nsec=%llu\n",
		    (unsigned long long)(info.last_handshake_ns / 1000000000u),
		    (unsigned long long)(info.last_handshake_ns % 1000000000u));
		put(t, "tx_bytes=%llu\nrx_bytes=%llu\npersistent_keepalive_interval=%u\n",
		    (unsigned long long)info.tx_bytes, (unsigned long long)info.rx_bytes,
		    info.keepalive_s);
		for (unsigned i = 0; i < info.n_allowed; i++) {
			char pf[64];
			sl_format_prefix(&info.allowed[i], pf, sizeof(pf));
			put(t, "allowed_ip=%s\n", pf);
		}
	}
	put(t, "errno=0\n\n");
}

/* ------------------------------------------------------------------ set */

/* Write @p key in base64 to @p path through a 0600 temporary file. */
static int write_key_file(const char *path, const uint8_t key[SL_WG_KEY_LEN])
{
	char tmp[PATH_MAX], b64[SL_WG_KEY_B64_LEN + 2];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	sl_wg_key_to_base64(key, b64);
	strcat(b64, "\n");
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	bool ok = fchmod(fd, 0600) == 0 && write(fd, b64, strlen(b64)) == (ssize_t)strlen(b64) &&
		  fsync(fd) == 0;
	close(fd);
	sl_wg_wipe(b64, sizeof(b64));
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return -EIO;
	}
	return 0;
}

/* The peer being changed: its key and what the request says of it. */
struct pending {
	bool active, remove, update_only, replace_allowed;
	uint8_t pub[SL_WG_KEY_LEN];
	bool set_psk, has_psk;
	uint8_t psk[SL_WG_KEY_LEN];
	bool set_endpoint;
	struct sl_addr ep;
	uint16_t ep_port;
	bool set_keepalive;
	uint16_t keepalive;
	unsigned n_allowed;
	struct sl_prefix allowed[65536];
};

/* A preshared key file this socket wrote (beside the journal): removed
 * with its peer or its key. Files an operator named are theirs. */
static void forget_psk_file(const struct sl_app *app, const char *file)
{
	char ours[PATH_MAX];
	snprintf(ours, sizeof(ours), "%s.wireguard/", app->config_path);
	if (file != NULL && strncmp(file, ours, strlen(ours)) == 0 &&
	    strlen(file) > 4 && strcmp(file + strlen(file) - 4, ".psk") == 0)
		unlink(file);
}

static int flush_peer(struct sl_app *app, uint16_t port, struct pending *pp)
{
	struct sl_wg_dev *d = app->wg[port];
	struct sl_wg_peer_info info;
	char err[256], psk_path[PATH_MAX];
	if (!pp->active)
		return 0;
	pp->active = false;
	bool exists = sl_wg_peer_get(d, pp->pub, &info);
	char old_psk[PATH_MAX] = "";
	if (exists && info.psk_file != NULL)
		snprintf(old_psk, sizeof(old_psk), "%s", info.psk_file);
	if (pp->remove) {
		if (exists && sl_wg_peer_remove(d, pp->pub) == 0) {
			forget_psk_file(app, old_psk);
			return sl_app_wg_journal_remove(app, port, pp->pub) == 0 ? 0 : EIO;
		}
		return 0;
	}
	if (pp->update_only && !exists)
		return 0;
	struct sl_wg_peer_change ch = {
		.set_endpoint = pp->set_endpoint, .endpoint = pp->ep, .endpoint_port = pp->ep_port,
		.set_keepalive = pp->set_keepalive, .keepalive_s = pp->keepalive,
		.replace_allowed = pp->replace_allowed, .n_allowed = pp->n_allowed,
		.allowed = pp->allowed,
	};
	if (pp->set_psk) {
		ch.set_psk = true;
		if (pp->has_psk) {
			char hex[SL_WG_KEY_HEX_LEN + 1];
			sl_wg_key_to_hex(pp->pub, hex);
			snprintf(psk_path, sizeof(psk_path), "%s.wireguard/%s.%.16s.psk",
				 app->config_path, sl_wg_dev_name(d), hex);
			if (write_key_file(psk_path, pp->psk) != 0)
				return EIO;
			ch.psk = pp->psk;
			ch.psk_file = psk_path;
		}
	}
	int rc = sl_wg_peer_set(d, pp->pub, &ch, err, sizeof(err));
	sl_wg_wipe(pp->psk, sizeof(pp->psk));
	if (rc != 0) {
		SL_LOG(WARN, "wireguard", "%s: UAPI set: %s", sl_wg_dev_name(d), err);
		return -rc;
	}
	if (pp->set_psk && !pp->has_psk)
		forget_psk_file(app, old_psk);
	return sl_app_wg_journal_set(app, port, pp->pub) == 0 ? 0 : EIO;
}

/* wg(8)'s endpoint: sl_parse_endpoint's, after a scope ("%eth0"), which
 * means nothing to sluice's addresses, is cut out of an IPv6 literal. */
static bool parse_endpoint(const char *v, struct sl_addr *a, uint16_t *port)
{
	char copy[96];
	const char *pct = strchr(v, '%'), *close = strchr(v, ']');
	if (strlen(v) >= sizeof(copy))
		return false;
	if (pct != NULL && close != NULL && pct < close) {
		snprintf(copy, sizeof(copy), "%.*s%s", (int)(pct - v), v, close);
		v = copy;
	}
	return sl_parse_endpoint(v, a, port) == 0;
}

static int set_lines(struct sl_app *app, uint16_t port, char *req, const char **bad_key);

/* The peer a "set" is changing: large (its allowed IPs), so not on the stack. */
static struct pending pp;

/* One "set" request, line by line; the errno to answer (0: all done). A
 * refusal is logged with the key it stopped at (never a value: keys'
 * values are secrets). */
static int uapi_set(struct sl_app *app, uint16_t port, char *req)
{
	const char *bad = "";
	int e = set_lines(app, port, req, &bad);
	sl_wg_wipe(pp.psk, sizeof(pp.psk));   /* the request itself is wiped with its connection */
	if (e != 0)
		SL_LOG(WARN, "wireguard", "%s: UAPI set refused at \"%s\": %s",
		       sl_wg_dev_name(app->wg[port]), bad, strerror(e));
	return e;
}

static int set_lines(struct sl_app *app, uint16_t port, char *req, const char **bad_key)
{
	struct sl_wg_dev *d = app->wg[port];
	uint8_t key[SL_WG_KEY_LEN];
	static const uint8_t zero[SL_WG_KEY_LEN];
	int rc = 0;
	memset(&pp, 0, offsetof(struct pending, allowed));
	for (char *line = strtok(req, "\n"); line != NULL && rc == 0; line = strtok(NULL, "\n")) {
		char *v = strchr(line, '=');
		*bad_key = line;
		if (v == NULL)
			return EPROTO;
		*v++ = '\0';
		if (strcmp(line, "private_key") == 0) {
			if (!sl_wg_key_from_hex(v, key))
				return EINVAL;
			/* Zero: "no key" (wg syncconf of a file without one). An
			 * interface of sluice keeps the configuration's key. */
			if (sl_wg_equal(key, zero, sizeof(key)))
				continue;
			const char *file = app->cfg->ports[port].wg.private_key_file;
			if (write_key_file(file, key) != 0 || !sl_wg_dev_set_key(d, key))
				rc = EIO;
			sl_wg_wipe(key, sizeof(key));
		} else if (strcmp(line, "listen_port") == 0) {
			/* 0: the file names none (wg setconf/syncconf send it so). */
			unsigned long lp = strtoul(v, NULL, 10);
			if (lp != 0 && lp != sl_wg_dev_listen_port(d))
				rc = EBUSY;
		} else if (strcmp(line, "fwmark") == 0) {
			if (strtoul(v, NULL, 10) != 0)
				rc = EOPNOTSUPP;
		} else if (strcmp(line, "replace_peers") == 0) {
			if (strcmp(v, "true") != 0)
				return EINVAL;
			uint32_t cursor = 0;
			struct sl_wg_peer_info info;
			uint8_t pub[SL_WG_KEY_LEN];
			while (sl_wg_peer_next(d, &cursor, &info)) {
				memcpy(pub, info.pub, sizeof(pub));
				sl_wg_peer_remove(d, pub);
				sl_app_wg_journal_remove(app, port, pub);
			}
		} else if (strcmp(line, "public_key") == 0) {
			rc = flush_peer(app, port, &pp);
			memset(&pp, 0, offsetof(struct pending, allowed));
			if (!sl_wg_key_from_hex(v, pp.pub))
				return EINVAL;
			pp.active = true;
		} else if (!pp.active) {
			return EPROTO;
		} else if (strcmp(line, "remove") == 0) {
			pp.remove = strcmp(v, "true") == 0;
		} else if (strcmp(line, "update_only") == 0) {
			pp.update_only = strcmp(v, "true") == 0;
		} else if (strcmp(line, "preshared_key") == 0) {
			if (!sl_wg_key_from_hex(v, pp.psk))
				return EINVAL;
			pp.set_psk = true;
			pp.has_psk = !sl_wg_equal(pp.psk, zero, sizeof(pp.psk));
		} else if (strcmp(line, "endpoint") == 0) {
			if (!parse_endpoint(v, &pp.ep, &pp.ep_port))
				return EINVAL;
			pp.set_endpoint = true;
		} else if (strcmp(line, "persistent_keepalive_interval") == 0) {
			char *end;
			unsigned long s = strtoul(v, &end, 10);
			if (*end != '\0' || s > 65535)
				return EINVAL;
			pp.set_keepalive = true;
			pp.keepalive = (uint16_t)s;
		} else if (strcmp(line, "replace_allowed_ips") == 0) {
			pp.replace_allowed = strcmp(v, "true") == 0;
		} else if (strcmp(line, "allowed_ip") == 0) {
			if (pp.n_allowed == RTE_DIM(pp.allowed) ||
			    sl_parse_prefix(v, &pp.allowed[pp.n_allowed]) != 0)
				return EINVAL;
			pp.n_allowed++;
		} else if (strcmp(line, "protocol_version") == 0) {
			if (strcmp(v, "1") != 0)
				return EPROTONOSUPPORT;
		} else {
			return EPROTO;
		}
	}
	if (rc == 0)
		rc = flush_peer(app, port, &pp);
	return rc;
}

/* ---------------------------------------------------------- the sockets */

int sl_app_wg_uapi_open(struct sl_app *app, char *err, size_t len)
{
	for (uint16_t p = 0; p < SL_MAX_PORTS; p++) {
		if (app->wg[p] == NULL)
			continue;
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		snprintf(sa.sun_path, sizeof(sa.sun_path), UAPI_DIR "/%s.sock",
			 sl_wg_dev_name(app->wg[p]));
		if (mkdir(UAPI_DIR, 0755) != 0 && errno != EEXIST) {
			snprintf(err, len, "wireguard: cannot create " UAPI_DIR ": %s", strerror(errno));
			return -errno;
		}
		/* A socket that answers belongs to another WireGuard (names are
		 * per host, not per namespace); one that does not is stale. */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			snprintf(err, len, "wireguard.interfaces[%s]: %s is in use by another "
				 "WireGuard implementation on this host: choose another name",
				 sl_wg_dev_name(app->wg[p]), sa.sun_path);
			return -EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
		unlink(sa.sun_path);
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		mode_t old = umask(0077);
		int rc = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sa, sizeof(sa));
		umask(old);
		if (rc != 0 || chmod(sa.sun_path, 0600) != 0 || listen(fd, 8) != 0) {
			snprintf(err, len, "wireguard: cannot listen on %s: %s", sa.sun_path,
				 strerror(errno));
			if (fd >= 0)
				close(fd);
			return -errno;
		}
		listen_fd[p] = fd;
	}
	for (unsigned i = 0; i < UAPI_MAX_CONN; i++)
		conns[i].fd = -1;
	opened = true;
	return 0;
}

static void conn_close(struct uapi_conn *c)
{
	close(c->fd);
	c->fd = -1;
	if (c->in != NULL)
		sl_wg_wipe(c->in, c->in_cap);
	if (c->out != NULL)
		sl_wg_wipe(c->out, c->out_len);
	free(c->in);
	free(c->out);
	*c = (struct uapi_conn){.fd = -1};
}

/* A request is complete at its empty line. */
static void conn_serve(struct sl_app *app, struct uapi_conn *c)
{
	char *end = c->in_len >= 2 ? memmem(c->in, c->in_len, "\n\n", 2) : NULL;
	if (end == NULL)
		return;
	*end = '\0';
	struct text t = {0};
	if (strcmp(c->in, "get=1") == 0) {
		uapi_get(app, c->port, &t);
	} else if (strncmp(c->in, "set=1\n", 6) == 0 || strcmp(c->in, "set=1") == 0) {
		int e = uapi_set(app, c->port, c->in + 5);
		put(&t, "errno=%d\n\n", e);
	} else {
		put(&t, "errno=%d\n\n", EPROTO);
	}
	if (t.failed) {
		if (t.p != NULL)
			sl_wg_wipe(t.p, t.cap);
		free(t.p);
		conn_close(c);
		return;
	}
	c->out = t.p;
	c->out_len = t.len;
	c->out_off = 0;
	/* One request per connection, as wg(8) makes them. */
	c->in_len = 0;
}

void sl_app_wg_uapi_poll(struct sl_app *app)
{
	for (uint16_t p = 0; p < SL_MAX_PORTS; p++) {
		if (listen_fd[p] < 0)
			continue;
		int fd;
		while ((fd = accept4(listen_fd[p], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
			unsigned i = 0;
			while (i < UAPI_MAX_CONN && conns[i].fd >= 0)
				i++;
			if (i == UAPI_MAX_CONN) {
				close(fd);
				continue;
			}
			conns[i] = (struct uapi_conn){.fd = fd, .port = p};
		}
	}
	for (unsigned i = 0; i < UAPI_MAX_CONN; i++) {
		struct uapi_conn *c = &conns[i];
		if (c->fd < 0)
			continue;
		if (c->out != NULL) {
			ssize_t w = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
			if (w > 0)
				c->out_off += (size_t)w;
			if ((w < 0 && errno != EAGAIN) || c->out_off == c->out_len)
				conn_close(c);
			continue;
		}
		if (c->in_cap - c->in_len < 4096) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 8192;
			char *in = cap <= UAPI_MAX_REQUEST ? realloc(c->in, cap) : NULL;
			if (in == NULL) {
				conn_close(c);
				continue;
			}
			c->in = in;
			c->in_cap = cap;
		}
		ssize_t r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1);
		if (r == 0 || (r < 0 && errno != EAGAIN)) {
			conn_close(c);
			continue;
		}
		if (r > 0) {
			c->in_len += (size_t)r;
			conn_serve(app, c);
		}
	}
}

void sl_app_wg_uapi_close(struct sl_app *app)
{
	if (!opened)
		return;   /* conns[] was never set up: its zeros are not descriptors */
	opened = false;
	for (unsigned i = 0; i < UAPI_MAX_CONN; i++)
		if (conns[i].fd >= 0)
			conn_close(&conns[i]);
	for (uint16_t p = 0; p < SL_MAX_PORTS; p++) {
		if (listen_fd[p] < 0)
			continue;
		char path[108];
		snprintf(path, sizeof(path), UAPI_DIR "/%s.sock", sl_wg_dev_name(app->wg[p]));
		close(listen_fd[p]);
		listen_fd[p] = -1;
		unlink(path);
	}
}

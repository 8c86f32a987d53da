/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl wg: WireGuard interfaces and their peers.
 *
 *   wg [show [IF]]          interfaces and peers: endpoint, allowed IPs,
 *                           latest handshake, transfer
 *   wg import IF FILE       add the [Peer] sections of a wg-quick file to IF
 *
 * A wg-quick file's preshared keys are inline; sluice takes secrets only
 * from files, so import writes each into a file of its own, mode 0600,
 * beside the imported file (<file>.<n>.psk, an absolute path), and names
 * that file: sluice reads it, so sluicectl must run on sluice's host for a
 * file with preshared keys. Endpoint names are resolved here (sluice takes
 * addresses). The
 * [Interface] section is the configuration's business: its keys are
 * reported and left alone.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sluicectl.h"

static void ago(char *out, size_t len, json_int_t when)
{
	if (when <= 0) {
		snprintf(out, len, "never");
		return;
	}
	long long s = (long long)time(NULL) - (long long)when;
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(out, len, "%llds ago", s);
	else if (s < 7200)
		snprintf(out, len, "%lldm ago", s / 60);
	else
		snprintf(out, len, "%lldh ago", s / 3600);
}

static void bytes(char *out, size_t len, json_int_t b)
{
	if (b < 10 * 1024)
		snprintf(out, len, "%" JSON_INTEGER_FORMAT " B", b);
	else if (b < 10 * 1024 * 1024)
		snprintf(out, len, "%.1f KiB", (double)b / 1024.0);
	else
		snprintf(out, len, "%.1f MiB", (double)b / (1024.0 * 1024.0));
}

static int show_peers(const struct ctl *c, const char *name)
{
	static const char *const head[] = {"PEER", "ENDPOINT", "ALLOWED IPS", "HANDSHAKE", "RX", "TX"};
	char path[256] = "/api/v1/wireguard/interfaces/";
	if (ctl_path_escape(path, sizeof(path), name, false) != 0 ||
	    strlen(path) + 6 >= sizeof(path))
		return ctl_usage_error("wg: '%s' is too long for an interface name", name);
	strcat(path, "/peers");
	struct ctl_answer a;
	int st = ctl_request(c, "GET", path, NULL, 0, &a);
	if (st != CTL_EXIT_OK)
		return st;
	struct ctl_table *t = ctl_table_new(6, head);
	if (t != NULL) {
		ctl_table_align_right(t, 4);
		ctl_table_align_right(t, 5);
	}
	size_t i, k;
	json_t *p, *ip;
	json_array_foreach(t != NULL ? json_object_get(a.json, "peers") : NULL, i, p) {
		char ips[512] = "", when[32], rx[32], tx[32];
		json_array_foreach(json_object_get(p, "allowed_ips"), k, ip) {
			const char *s = json_string_value(ip);
			if (s != NULL && strlen(ips) + strlen(s) + 2 < sizeof(ips)) {
				if (k > 0)
					strcat(ips, ",");
				strcat(ips, s);
			}
		}
		ago(when, sizeof(when), ctl_int(p, "latest_handshake"));
		bytes(rx, sizeof(rx), ctl_int(p, "rx_bytes"));
		bytes(tx, sizeof(tx), ctl_int(p, "tx_bytes"));
		ctl_table_row(t);
		ctl_table_text(t, ctl_str(p, "public_key"));
		ctl_table_text(t, ctl_str(p, "endpoint"));
		ctl_table_text(t, ips);
		ctl_table_text(t, when);
		ctl_table_text(t, rx);
		ctl_table_text(t, tx);
	}
	json_int_t total = ctl_int(a.json, "total");
	st = ctl_table_finish(t);
	if (st == CTL_EXIT_OK && total > (json_int_t)json_array_size(json_object_get(a.json, "peers")))
		printf("(%" JSON_INTEGER_FORMAT " peers; the first %zu shown: --json and the API "
		       "page through all)\n", total, json_array_size(json_object_get(a.json, "peers")));
	ctl_answer_free(&a);
	return st;
}

static int show(const struct ctl *c, const char *only)
{
	struct ctl_answer a;
	bool done;
	int st = ctl_fetch(c, "/api/v1/wireguard/interfaces", 0, &a, &done);
	if (done) {
		ctl_answer_free(&a);
		return st;
	}
	size_t i;
	json_t *w;
	bool found = only == NULL;
	json_array_foreach(json_object_get(a.json, "interfaces"), i, w) {
		const char *name = ctl_str(w, "name");
		if (name == NULL || (only != NULL && strcmp(name, only) != 0))
			continue;
		found = true;
		json_t *hs = json_object_get(w, "handshakes");
		printf("interface %s: public key %s, UDP %" JSON_INTEGER_FORMAT ", MTU %"
		       JSON_INTEGER_FORMAT "\n", name, ctl_str(w, "public_key") ? ctl_str(w, "public_key") : "-",
		       ctl_int(w, "listen_port"), ctl_int(w, "mtu"));
		printf("  peers %" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT " (%" JSON_INTEGER_FORMAT
		       " with a handshake in 3 min), sessions %" JSON_INTEGER_FORMAT
		       ", handshakes %" JSON_INTEGER_FORMAT " completed, %" JSON_INTEGER_FORMAT
		       " cookies sent%s\n", ctl_int(w, "peers"), ctl_int(w, "max_peers"),
		       ctl_int(w, "peers_recent"), ctl_int(w, "sessions"), ctl_int(hs, "completed"),
		       ctl_int(hs, "cookie_sent"),
		       json_is_true(json_object_get(w, "under_load")) ? ", UNDER LOAD (cookies required)" : "");
		st = show_peers(c, name);
		if (st != CTL_EXIT_OK)
			break;
	}
	ctl_answer_free(&a);
	if (st == CTL_EXIT_OK && !found)
		return ctl_usage_error("wg: no WireGuard interface named '%s'", only);
	return st;
}

/* ------------------------------------------------------------- import */

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

struct import {
	const struct ctl *c;
	const char *iface;
	const char *file;
	json_t *peer;          /* the [Peer] being read */
	unsigned n_peers, n_psk;
	int status;
};

/* Beside the imported file, by absolute path: the API takes no other. */
static int write_psk(struct import *im, const char *key, char *path, size_t len)
{
	char *abs = strcmp(im->file, "stdin") == 0 ? NULL : realpath(im->file, NULL);
	if (abs == NULL) {
		snprintf(path, len, "%s", im->file);
		return -ENOENT;
	}
	snprintf(path, len, "%s.%u.psk", abs, ++im->n_psk);
	free(abs);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	size_t n = strlen(key);
	bool ok = fchmod(fd, 0600) == 0 && write(fd, key, n) == (ssize_t)n && write(fd, "\n", 1) == 1;
	close(fd);
	return ok ? 0 : -EIO;
}

/* Send the [Peer] read so far. */
static int flush(struct import *im)
{
	if (im->peer == NULL)
		return CTL_EXIT_OK;
	char path[256] = "/api/v1/wireguard/interfaces/";
	if (ctl_path_escape(path, sizeof(path), im->iface, false) != 0 ||
	    strlen(path) + 6 >= sizeof(path))
		return ctl_usage_error("wg import: '%s' is too long for an interface name", im->iface);
	strcat(path, "/peers");
	char *body = json_dumps(im->peer, JSON_COMPACT);
	json_decref(im->peer);
	im->peer = NULL;
	if (body == NULL)
		return CTL_EXIT_SOFTWARE;
	struct ctl_answer a;
	int st = ctl_request(im->c, "POST", path, body, 0, &a);
	free(body);
	if (st != CTL_EXIT_OK)
		return st;
	im->n_peers++;
	ctl_answer_free(&a);
	return CTL_EXIT_OK;
}

/* "host:port" with a name resolved here (wg-quick allows names; sluice
 * takes addresses): the first address, as wg(8) does. */
static int resolve_endpoint(const char *value, char *out, size_t len)
{
	char host[256];
	const char *colon = strrchr(value, ':');
	if (colon == NULL || (size_t)(colon - value) >= sizeof(host))
		return -EINVAL;
	if (value[0] == '[') {      /* an IPv6 literal: as it is */
		snprintf(out, len, "%s", value);
		return 0;
	}
	memcpy(host, value, (size_t)(colon - value));
	host[colon - value] = '\0';
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM}, *res;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return -ENOENT;
	char addr[INET6_ADDRSTRLEN];
	const void *a = res->ai_family == AF_INET ?
		(const void *)&((struct sockaddr_in *)(void *)res->ai_addr)->sin_addr :
		(const void *)&((struct sockaddr_in6 *)(void *)res->ai_addr)->sin6_addr;
	inet_ntop(res->ai_family, a, addr, sizeof(addr));
	snprintf(out, len, res->ai_family == AF_INET6 ? "[%s]%s" : "%s%s", addr, colon);
	freeaddrinfo(res);
	return 0;
}

/* One "Key = Value" line of a [Peer]. */
static int peer_line(struct import *im, unsigned line, const char *key, char *value)
{
	if (strcasecmp(key, "PublicKey") == 0) {
		json_object_set_new(im->peer, "public_key", json_string(value));
	} else if (strcasecmp(key, "PresharedKey") == 0) {
		char path[1024];
		if (write_psk(im, value, path, sizeof(path)) != 0) {
			fprintf(stderr, "sluicectl: %s:%u: cannot keep the preshared key beside %s "
				"(a file, not stdin, is needed for it)\n", im->file, line, path);
			return CTL_EXIT_NOINPUT;
		}
		json_object_set_new(im->peer, "preshared_key_file", json_string(path));
	} else if (strcasecmp(key, "Endpoint") == 0) {
		char ep[128];
		if (resolve_endpoint(value, ep, sizeof(ep)) != 0) {
			fprintf(stderr, "sluicectl: %s:%u: Endpoint: cannot resolve '%s'\n", im->file,
				line, value);
			return CTL_EXIT_DATAERR;
		}
		json_object_set_new(im->peer, "endpoint", json_string(ep));
	} else if (strcasecmp(key, "PersistentKeepalive") == 0) {
		char *end;
		long s = strcasecmp(value, "off") == 0 ? 0 : strtol(value, &end, 10);
		if (strcasecmp(value, "off") != 0 && (*end != '\0' || s < 0 || s > 65535)) {
			fprintf(stderr, "sluicectl: %s:%u: PersistentKeepalive: '%s' is not 0..65535\n",
				im->file, line, value);
			return CTL_EXIT_DATAERR;
		}
		json_object_set_new(im->peer, "persistent_keepalive", json_integer(s));
	} else if (strcasecmp(key, "AllowedIPs") == 0) {
		json_t *list = json_object_get(im->peer, "allowed_ips");
		if (list == NULL) {
			list = json_array();
			json_object_set_new(im->peer, "allowed_ips", list);
		}
		for (char *tok = strtok(value, ","); tok != NULL; tok = strtok(NULL, ","))
			if (*trim(tok) != '\0')
				json_array_append_new(list, json_string(trim(tok)));
	} else {
		fprintf(stderr, "sluicectl: %s:%u: [Peer] %s is not something sluice keeps: left out\n",
			im->file, line, key);
	}
	return CTL_EXIT_OK;
}

static int import(const struct ctl *c, const char *iface, const char *file)
{
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	if (f == NULL) {
		fprintf(stderr, "sluicectl: wg import: cannot read %s: %s\n", file, strerror(errno));
		return CTL_EXIT_NOINPUT;
	}
	struct import im = {.c = c, .iface = iface, .file = strcmp(file, "-") == 0 ? "stdin" : file};
	char buf[4096];
	enum { NONE, INTERFACE, PEER } section = NONE;
	unsigned line = 0;
	int st = CTL_EXIT_OK;
	while (st == CTL_EXIT_OK && fgets(buf, sizeof(buf), f) != NULL) {
		line++;
		char *hash = strchr(buf, '#');
		if (hash != NULL)
			*hash = '\0';
		char *s = trim(buf);
		if (*s == '\0')
			continue;
		if (strcasecmp(s, "[Interface]") == 0 || strcasecmp(s, "[Peer]") == 0) {
			st = flush(&im);
			section = strcasecmp(s, "[Peer]") == 0 ? PEER : INTERFACE;
			if (section == PEER)
				im.peer = json_object();
			continue;
		}
		char *eq = strchr(s, '=');
		if (eq == NULL || section == NONE) {
			fprintf(stderr, "sluicectl: %s:%u: expected a section or Key = Value\n",
				im.file, line);
			st = CTL_EXIT_DATAERR;
			break;
		}
		*eq = '\0';
		char *key = trim(s), *value = trim(eq + 1);
		if (section == INTERFACE)
			fprintf(stderr, "sluicectl: %s:%u: [Interface] %s is the configuration's "
				"(wireguard.interfaces): left out\n", im.file, line, key);
		else
			st = peer_line(&im, line, key, value);
	}
	if (st == CTL_EXIT_OK)
		st = flush(&im);
	json_decref(im.peer);
	if (f != stdin)
		fclose(f);
	if (st == CTL_EXIT_OK)
		printf("%u peers added or changed on %s\n", im.n_peers, iface);
	return st;
}

int ctl_cmd_wg(const struct ctl *c, int argc, char **argv)
{
	if (argc == 0)
		return show(c, NULL);
	if (strcmp(argv[0], "show") == 0 && argc <= 2)
		return show(c, argc == 2 ? argv[1] : NULL);
	if (strcmp(argv[0], "import") == 0 && argc == 3)
		return import(c, argv[1], argv[2]);
	return ctl_usage_error("wg: expected nothing, show [IF] or import IF FILE");
}

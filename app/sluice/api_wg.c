/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WireGuard over REST and in /metrics:
 *
 *   GET    /api/v1/wireguard/interfaces
 *   GET    /api/v1/wireguard/interfaces/{if}
 *   GET    /api/v1/wireguard/interfaces/{if}/peers[?offset=&limit=]
 *   POST   /api/v1/wireguard/interfaces/{if}/peers          create or change one
 *   GET    /api/v1/wireguard/interfaces/{if}/peers/{key}
 *   DELETE /api/v1/wireguard/interfaces/{if}/peers/{key}
 *
 * {key} is the peer's public key in base64, percent-encoded or not (its
 * '/' are taken as part of the key). A private or preshared key is never
 * shown: an interface shows its public key, a peer the path of its
 * preshared key file. Metrics are per interface, never per peer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "sluice.h"

/* A peer's allowed IPs in one request (the journal writes them all). */
#define MAX_ALLOWED_PER_REQUEST 65536

json_t *sl_app_wg_peer_config_json(const struct sl_wg_peer_info *info)
{
	char b64[SL_WG_KEY_B64_LEN + 1], ep[64];
	json_t *o = json_object(), *allowed = json_array();
	sl_wg_key_to_base64(info->pub, b64);
	json_object_set_new(o, "public_key", json_string(b64));
	if (info->psk_file != NULL)
		json_object_set_new(o, "preshared_key_file", json_string(info->psk_file));
	if (info->ep.addr.af != 0) {
		sl_format_endpoint(&info->ep.addr, info->ep.port, ep, sizeof(ep));
		json_object_set_new(o, "endpoint", json_string(ep));
	}
	for (unsigned i = 0; i < info->n_allowed; i++) {
		char pf[64];
		sl_format_prefix(&info->allowed[i], pf, sizeof(pf));
		json_array_append_new(allowed, json_string(pf));
	}
	json_object_set_new(o, "allowed_ips", allowed);
	json_object_set_new(o, "persistent_keepalive", json_integer(info->keepalive_s));
	return o;
}

static json_t *peer_json(const struct sl_wg_peer_info *info)
{
	json_t *o = sl_app_wg_peer_config_json(info);
	json_object_set_new(o, "latest_handshake",
			    json_integer((json_int_t)(info->last_handshake_ns / 1000000000u)));
	json_object_set_new(o, "rx_bytes", json_integer((json_int_t)info->rx_bytes));
	json_object_set_new(o, "tx_bytes", json_integer((json_int_t)info->tx_bytes));
	json_object_set_new(o, "rx_packets", json_integer((json_int_t)info->rx_packets));
	json_object_set_new(o, "tx_packets", json_integer((json_int_t)info->tx_packets));
	json_object_set_new(o, "sessions", json_integer(info->sessions));
	return o;
}

static int fail(char *err, size_t len, const char *fmt, const char *field)
{
	snprintf(err, len, fmt, field);
	return -EINVAL;
}

static int peer_apply(struct sl_app *app, uint16_t port, const json_t *body, bool replace,
		      uint8_t *pub_out, uint8_t psk[SL_WG_KEY_LEN], char *err, size_t len);

int sl_app_wg_peer_apply(struct sl_app *app, uint16_t port, const json_t *body, bool replace,
			 uint8_t *pub_out, char *err, size_t len)
{
	uint8_t psk[SL_WG_KEY_LEN];
	int rc = peer_apply(app, port, body, replace, pub_out, psk, err, len);
	sl_wg_wipe(psk, sizeof(psk));
	return rc;
}

/* The work of sl_app_wg_peer_apply(); @p psk is its buffer (wiped by it). */
static int peer_apply(struct sl_app *app, uint16_t port, const json_t *body, bool replace,
		      uint8_t *pub_out, uint8_t psk[SL_WG_KEY_LEN], char *err, size_t len)
{
	struct sl_wg_dev *d = app->wg[port];
	uint8_t pub[SL_WG_KEY_LEN];
	struct sl_wg_peer_change ch = {.replace_allowed = true};
	static struct sl_prefix *allowed;
	if (allowed == NULL && (allowed = malloc(MAX_ALLOWED_PER_REQUEST * sizeof(*allowed))) == NULL)
		return fail(err, len, "%s: no memory", "allowed_ips");
	const char *key;
	json_t *v;
	if (!json_is_object(body))
		return fail(err, len, "%s: expected an object", "body");
	const char *pk = json_string_value(json_object_get(body, "public_key"));
	if (pk == NULL)
		return fail(err, len, "%s: required (the peer's public key, base64)", "public_key");
	if (!sl_wg_key_from_base64(pk, pub))
		return fail(err, len, "%s: not a WireGuard key (44 characters of base64)",
			    "public_key");
	json_object_foreach((json_t *)body, key, v) {
		if (strcmp(key, "public_key") == 0)
			continue;
		if (strcmp(key, "preshared_key_file") == 0) {
			ch.set_psk = true;
			if (json_is_null(v))
				continue;
			const char *path = json_string_value(v);
			if (path == NULL || path[0] != '/')
				return fail(err, len, "%s: an absolute path, or null for none",
					    "preshared_key_file");
			if (sl_app_wg_read_key(path, "preshared_key_file", psk, err, len) < 0)
				return -EINVAL;
			ch.psk = psk;
			ch.psk_file = path;
		} else if (strcmp(key, "endpoint") == 0) {
			const char *s = json_string_value(v);
			if (s == NULL || sl_parse_endpoint(s, &ch.endpoint, &ch.endpoint_port) != 0)
				return fail(err, len, "%s: an address and port, like \"192.0.2.1:51820\" "
					    "or \"[2001:db8::1]:51820\"", "endpoint");
			ch.set_endpoint = true;
		} else if (strcmp(key, "persistent_keepalive") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > 65535)
				return fail(err, len, "%s: seconds, 0 (off) to 65535",
					    "persistent_keepalive");
			ch.set_keepalive = true;
			ch.keepalive_s = (uint16_t)json_integer_value(v);
		} else if (strcmp(key, "allowed_ips") == 0) {
			size_t i;
			json_t *e;
			if (!json_is_array(v) || json_array_size(v) > MAX_ALLOWED_PER_REQUEST)
				return fail(err, len, "%s: an array of at most 65536 prefixes",
					    "allowed_ips");
			json_array_foreach(v, i, e) {
				const char *s = json_string_value(e);
				if (s == NULL || sl_parse_prefix(s, &allowed[i]) != 0) {
					snprintf(err, len, "allowed_ips[%zu]: not a prefix like "
						 "\"10.0.0.0/24\" or \"fd00::/64\"", i);
					return -EINVAL;
				}
			}
			ch.n_allowed = (unsigned)json_array_size(v);
			ch.allowed = allowed;
		} else {
			snprintf(err, len, "%.64s: unknown key", key);
			return -EINVAL;
		}
	}
	/* A change leaves what it does not name; a replacement sets it all. */
	if (!replace && json_object_get(body, "allowed_ips") == NULL)
		ch.replace_allowed = false;
	if (replace) {
		ch.set_psk = true;        /* absent: none */
		ch.set_keepalive = true;  /* absent: off */
	}
	int rc = sl_wg_peer_set(d, pub, &ch, err, len);
	if (rc == 0 && pub_out != NULL)
		memcpy(pub_out, pub, SL_WG_KEY_LEN);
	return rc;
}

/* ---------------------------------------------------------------- handlers */

static int iface_of(struct sl_app *app, const char *name, size_t name_len)
{
	for (unsigned p = 0; p < SL_MAX_PORTS; p++)
		if (app->wg[p] != NULL && strlen(sl_wg_dev_name(app->wg[p])) == name_len &&
		    strncmp(sl_wg_dev_name(app->wg[p]), name, name_len) == 0)
			return (int)p;
	return -1;
}

static json_t *iface_json(struct sl_app *app, unsigned p)
{
	struct sl_wg_dev *d = app->wg[p];
	struct sl_wg_dev_stats st;
	uint8_t pub[SL_WG_KEY_LEN];
	char b64[SL_WG_KEY_B64_LEN + 1];
	sl_wg_dev_stats(d, &st);
	sl_wg_dev_public_key(d, pub);
	sl_wg_key_to_base64(pub, b64);
	json_t *hs = json_object();
	for (unsigned k = 0; k < SL_WG_HS_OUTCOMES; k++)
		json_object_set_new(hs, sl_wg_hs_outcome_names[k], json_integer((json_int_t)st.hs[k]));
	const struct sl_config_port *cp = &app->cfg->ports[p];
	return json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:b, s:I, s:I, s:I, s:I, s:o}",
			 "name", cp->name, "public_key", b64, "listen_port", cp->wg.listen_port,
			 "mtu", cp->mtu, "peers", st.peers, "max_peers", cp->wg.max_peers,
			 "peers_recent", st.peers_recent, "sessions", st.sessions,
			 "under_load", st.under_load, "rx_bytes", (json_int_t)st.rx_bytes,
			 "tx_bytes", (json_int_t)st.tx_bytes, "rx_packets", (json_int_t)st.rx_packets,
			 "tx_packets", (json_int_t)st.tx_packets, "handshakes", hs);
}

void sl_api_wg_list(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	(void)req;
	struct sl_app *app = arg;
	json_t *a = json_array();
	for (unsigned p = 0; p < SL_MAX_PORTS; p++)
		if (app->wg[p] != NULL)
			json_array_append_new(a, iface_json(app, p));
	sl_mgmt_respond_json(resp, 200, json_pack("{s:o}", "interfaces", a));
}

/* "{if}", "{if}/peers" or "{if}/peers/{key}": the interface and the rest. */
static int split(struct sl_app *app, const struct sl_mgmt_request *req,
		 struct sl_mgmt_response *resp, const char **what, const char **key)
{
	const char *rest = req->path_rest, *slash = strchr(rest, '/');
	size_t name_len = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	int p = iface_of(app, rest, name_len);
	if (p < 0) {
		sl_mgmt_respond_problem(resp, 404, "No such WireGuard interface", "interface",
					"interface: no WireGuard interface named \"%.*s\"",
					(int)RTE_MIN(name_len, 32u), rest);
		return -1;
	}
	*what = slash != NULL ? slash + 1 : "";
	*key = NULL;
	if (strncmp(*what, "peers/", 6) == 0) {
		*key = *what + 6;
		*what = "peer";
	} else if (strcmp(*what, "peers") != 0 && **what != '\0') {
		sl_mgmt_respond_problem(resp, 404, "Not found", NULL, "no such resource");
		return -1;
	}
	return p;
}

static bool key_arg(struct sl_mgmt_response *resp, const char *s, uint8_t pub[SL_WG_KEY_LEN])
{
	if (sl_wg_key_from_base64(s, pub))
		return true;
	sl_mgmt_respond_problem(resp, 400, "Bad public key", "public_key",
				"public_key: \"%.48s\" is not a WireGuard key (44 characters of "
				"base64; '/' and '+' may be percent-encoded)", s);
	return false;
}

void sl_api_wg_get(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	struct sl_app *app = arg;
	const char *what, *key;
	int p = split(app, req, resp, &what, &key);
	if (p < 0)
		return;
	if (*what == '\0') {
		sl_mgmt_respond_json(resp, 200, iface_json(app, (unsigned)p));
		return;
	}
	struct sl_wg_peer_info info;
	if (key != NULL) {
		uint8_t pub[SL_WG_KEY_LEN];
		if (!key_arg(resp, key, pub))
			return;
		if (!sl_wg_peer_get(app->wg[p], pub, &info)) {
			sl_mgmt_respond_problem(resp, 404, "No such peer", "public_key",
						"public_key: %s has no such peer", app->cfg->ports[p].name);
			return;
		}
		sl_mgmt_respond_json(resp, 200, peer_json(&info));
		return;
	}
	unsigned long offset, limit;
	if (!sl_api_query_number(req, resp, "offset", UINT32_MAX, 0, &offset) ||
	    !sl_api_query_number(req, resp, "limit", 10000, 1000, &limit))
		return;
	json_t *a = json_array();
	uint32_t cursor = 0;
	unsigned long seen = 0;
	while (json_array_size(a) < limit && sl_wg_peer_next(app->wg[p], &cursor, &info))
		if (seen++ >= offset)
			json_array_append_new(a, peer_json(&info));
	struct sl_wg_dev_stats st;
	sl_wg_dev_stats(app->wg[p], &st);
	sl_mgmt_respond_json(resp, 200, json_pack("{s:i, s:o}", "total", st.peers, "peers", a));
}

void sl_api_wg_post(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp, void *arg)
{
	struct sl_app *app = arg;
	const char *what, *key;
	char err[512] = "";
	int p = split(app, req, resp, &what, &key);
	if (p < 0)
		return;
	if (strcmp(what, "peers") != 0) {
		sl_mgmt_respond_problem(resp, 405, "Method not allowed", NULL,
					"POST a peer to .../peers");
		return;
	}
	json_t *body = sl_api_body_json(req, resp);
	if (body == NULL)
		return;
	uint8_t pub[SL_WG_KEY_LEN];
	const char *pk = json_string_value(json_object_get(body, "public_key"));
	struct sl_wg_peer_info info;
	bool existed = pk != NULL && sl_wg_key_from_base64(pk, pub) &&
		       sl_wg_peer_get(app->wg[p], pub, &info);
	int rc = sl_app_wg_peer_apply(app, (uint16_t)p, body, false, pub, err, sizeof(err));
	json_decref(body);
	if (rc != 0) {
		sl_mgmt_respond_invalid(resp, rc == -ENOSPC ? 409 : 422, "Invalid peer", err);
		return;
	}
	if (sl_app_wg_journal_set(app, (uint16_t)p, pub) != 0) {
		sl_mgmt_respond_problem(resp, 500, "Cannot save the peer", NULL,
					"the change is in effect but not saved: the peers' journal "
					"cannot be written");
		return;
	}
	sl_wg_peer_get(app->wg[p], pub, &info);
	sl_mgmt_respond_json(resp, existed ? 200 : 201, peer_json(&info));
}

void sl_api_wg_delete(const struct sl_mgmt_request *req, struct sl_mgmt_response *resp,
		      void *arg)
{
	struct sl_app *app = arg;
	const char *what, *key;
	uint8_t pub[SL_WG_KEY_LEN];
	int p = split(app, req, resp, &what, &key);
	if (p < 0)
		return;
	if (key == NULL) {
		sl_mgmt_respond_problem(resp, 405, "Method not allowed", NULL,
					"DELETE one peer: .../peers/{public key}");
		return;
	}
	if (!key_arg(resp, key, pub))
		return;
	if (sl_wg_peer_remove(app->wg[p], pub) != 0) {
		sl_mgmt_respond_problem(resp, 404, "No such peer", "public_key",
					"public_key: %s has no such peer", app->cfg->ports[p].name);
		return;
	}
	if (sl_app_wg_journal_remove(app, (uint16_t)p, pub) != 0) {
		sl_mgmt_respond_problem(resp, 500, "Cannot save the change", NULL,
					"the peer is removed but the journal cannot be written");
		return;
	}
	char b64[SL_WG_KEY_B64_LEN + 1];
	sl_wg_key_to_base64(pub, b64);
	sl_mgmt_respond_json(resp, 200, json_pack("{s:s}", "removed", b64));
}

/* ----------------------------------------------------------------- metrics */

void sl_metrics_render_wg(struct sl_app *app, struct sl_buf *b)
{
	struct sl_wg_dev_stats st[SL_MAX_PORTS];
	bool any = false;
	for (unsigned p = 0; p < SL_MAX_PORTS; p++)
		if (app->wg[p] != NULL) {
			sl_wg_dev_stats(app->wg[p], &st[p]);
			any = true;
		}
	if (!any)
		return;
	static const struct {
		const char *name, *help;
		bool counter;
	} fam[] = {
		{"sluice_wireguard_peers", "Peers configured on a WireGuard interface.", false},
		{"sluice_wireguard_peers_recent", "Peers with a handshake in the last 3 minutes "
		 "(a session is alive).", false},
		{"sluice_wireguard_sessions", "Sessions (keypairs) alive.", false},
		{"sluice_wireguard_under_load", "1 while handshakes need a cookie (more handshake "
		 "messages than wireguard.handshake_load per second).", false},
		{"sluice_wireguard_rx_bytes_total", "Bytes of data messages received and "
		 "authenticated (keepalives included).", true},
		{"sluice_wireguard_tx_bytes_total", "Bytes of data messages sent.", true},
		{"sluice_wireguard_rx_packets_total", "Data messages received and authenticated.", true},
		{"sluice_wireguard_tx_packets_total", "Data messages sent.", true},
		{"sluice_wireguard_held_dropped_total", "Packets held for a peer's handshake and "
		 "dropped (it did not complete in 90 s, or 32 were waiting).", true},
	};
	for (unsigned f = 0; f < RTE_DIM(fam); f++) {
		sl_metrics_family(b, fam[f].name, fam[f].counter ? SL_METRIC_COUNTER : SL_METRIC_GAUGE,
				  fam[f].help);
		for (unsigned p = 0; p < SL_MAX_PORTS; p++) {
			if (app->wg[p] == NULL)
				continue;
			const uint64_t v[] = {st[p].peers, st[p].peers_recent, st[p].sessions,
					      st[p].under_load, st[p].rx_bytes, st[p].tx_bytes,
					      st[p].rx_packets, st[p].tx_packets, st[p].staged_dropped};
			const char *labels[] = {"interface", sl_wg_dev_name(app->wg[p]), NULL};
			sl_metrics_sample_u64(b, fam[f].name, NULL, labels, v[f]);
		}
	}
	sl_metrics_family(b, "sluice_wireguard_handshakes_total", SL_METRIC_COUNTER,
			  "Handshake messages by outcome: initiated (sent), completed (a session "
			  "made, either role), cookie_sent/cookie_received, and refusals: bad_mac1, "
			  "unknown_peer, decrypt (wrong key or preshared key), replay, flood, "
			  "ratelimited, unexpected, timeout (given up after 90 s).");
	for (unsigned p = 0; p < SL_MAX_PORTS; p++) {
		if (app->wg[p] == NULL)
			continue;
		for (unsigned k = 0; k < SL_WG_HS_OUTCOMES; k++) {
			const char *labels[] = {"interface", sl_wg_dev_name(app->wg[p]), "outcome",
						sl_wg_hs_outcome_names[k], NULL};
			sl_metrics_sample_u64(b, "sluice_wireguard_handshakes_total", NULL, labels,
					      st[p].hs[k]);
		}
	}
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection table for the REST API: listings by filter, in pages of
 * bounded cost, and flushes. Runs on the management lcore and reads entries
 * workers own without synchronising: a connection may change while it is
 * shown, never crash the reader (entries are never freed while sluice runs).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_flow.h"

static const struct {
	const char *name;
	uint8_t proto;
} protos[] = {{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmpv6", 58}};

int sl_flow_filter_parse(struct sl_flow_filter *f, const char *proto, const char *state,
			 const char *addr, const char *port, char *err, size_t err_len)
{
	memset(f, 0, sizeof(*f));
	f->state = -1;
	f->port = -1;
	if (proto != NULL) {
		unsigned i = 0;
		while (i < sizeof(protos) / sizeof(protos[0]) && strcmp(protos[i].name, proto) != 0)
			i++;
		if (i == sizeof(protos) / sizeof(protos[0])) {
			char *end;
			long v = strtol(proto, &end, 10);
			if (*proto == '\0' || *end != '\0' || v < 1 || v > 255) {
				snprintf(err, err_len, "proto: \"%.32s\" is not tcp, udp, icmp, icmpv6 "
					 "or a protocol number 1..255", proto);
				return -EINVAL;
			}
			f->proto = (uint8_t)v;
		} else {
			f->proto = protos[i].proto;
		}
	}
	if (state != NULL) {
		for (int s = SL_CT_TCP_SYN_SENT; s < SL_CT_NSTATES && f->state < 0; s++)
			if (strcmp(sl_ct_state_name((uint8_t)s), state) == 0)
				f->state = s;
		if (f->state < 0) {
			snprintf(err, err_len, "state: \"%.32s\" is not a connection state", state);
			return -EINVAL;
		}
	}
	if (addr != NULL) {
		if (inet_pton(AF_INET, addr, f->addr) == 1) {
			f->af = 4;
		} else if (inet_pton(AF_INET6, addr, f->addr) == 1) {
			f->af = 6;
		} else {
			snprintf(err, err_len, "address: \"%.64s\" is not an IPv4 or IPv6 address", addr);
			return -EINVAL;
		}
		f->has_addr = true;
	}
	if (port != NULL) {
		char *end;
		long v = strtol(port, &end, 10);
		if (*port == '\0' || *end != '\0' || v < 0 || v > 65535) {
			snprintf(err, err_len, "port: \"%.32s\" is not a port number 0..65535", port);
			return -EINVAL;
		}
		f->port = (int)v;
	}
	return 0;
}

static bool matches(const struct sl_flow_table *t, const struct sl_flow *e,
		    const struct sl_flow_filter *f)
{
	if (e->state == 0 || (e->flags & SL_FLOW_F_DYING))
		return false;
	if ((f->af && e->af != f->af) || (f->proto && e->proto != f->proto) ||
	    (f->state >= 0 && e->state != f->state) || (f->backend && e->backend != f->backend))
		return false;
	if (f->port >= 0) {
		bool hit = false;
		for (unsigned d = 0; d < 2; d++)
			hit |= e->port[d][0] == f->port || e->port[d][1] == f->port;
		if (!hit)
			return false;
	}
	if (f->has_addr) {
		struct sl_flow_key k;
		bool hit = false;
		for (unsigned d = 0; d < 2 && !hit; d++) {
			sl_flow_key_get(t, e, (enum sl_flow_dir)d, &k);
			size_t n = e->af == 4 ? 4 : 16;
			hit = memcmp(k.src, f->addr, n) == 0 || memcmp(k.dst, f->addr, n) == 0;
		}
		if (!hit)
			return false;
	}
	return true;
}

static const char *proto_name(uint8_t p)
{
	for (unsigned i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == p)
			return protos[i].name;
	return NULL;
}

static json_t *dir_json(const struct sl_flow_key *k, uint32_t packets)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int af = k->af == 4 ? AF_INET : AF_INET6;
	inet_ntop(af, k->src, s, sizeof(s));
	inet_ntop(af, k->dst, d, sizeof(d));
	return json_pack("{s:s, s:s, s:i, s:i, s:I}", "src", s, "dst", d, "sport", k->sport,
			 "dport", k->dport, "packets", (json_int_t)packets);
}

static json_t *flow_json(const struct sl_flow_table *t, uint32_t idx, uint32_t now_ticks)
{
	const struct sl_flow *e = &t->entries[idx];
	struct sl_flow_key o, r;
	sl_flow_key_get(t, e, SL_FLOW_ORIG, &o);
	sl_flow_key_get(t, e, SL_FLOW_REPLY, &r);
	const char *pn = proto_name(e->proto);
	int32_t left = (int32_t)(e->deadline - now_ticks);
	json_t *j = json_pack("{s:I, s:i, s:s, s:i, s:o, s:o, s:i, s:b, s:f, s:f}",
		"id", (json_int_t)idx, "family", e->af == 4 ? 4 : 6,
		"state", sl_ct_state_name(e->state), "owner", e->owner,
		"original", dir_json(&o, e->packets[SL_FLOW_ORIG]),
		"reply", dir_json(&r, e->packets[SL_FLOW_REPLY]),
		"protocol_number", e->proto, "assured", (e->flags & SL_FLOW_F_ASSURED) != 0,
		"age_seconds", (double)(now_ticks - e->created) / SL_FLOW_TICKS_PER_S,
		"expires_in_seconds", left > 0 ? (double)left / SL_FLOW_TICKS_PER_S : 0.0);
	if (j != NULL && pn != NULL)
		json_object_set_new(j, "protocol", json_string(pn));
	if (j != NULL && e->proxy != SL_FLOW_PROXY_NONE)
		json_object_set_new(j, "syn_proxy", json_string(e->proxy == SL_FLOW_PROXY_WAITING ?
								 "waiting" : "spliced"));
	return j;
}

json_t *sl_flow_list_json(const struct sl_flow_table *t, const struct sl_flow_filter *f,
			  uint32_t cursor, unsigned limit, uint32_t max_scan, uint32_t now_ticks,
			  uint32_t *next)
{
	json_t *arr = json_array();
	uint32_t i = cursor, scanned = 0;
	for (; i < t->capacity && scanned < max_scan && json_array_size(arr) < limit; i++, scanned++)
		if (matches(t, &t->entries[i], f))
			json_array_append_new(arr, flow_json(t, i, now_ticks));
	*next = i < t->capacity ? i : SL_FLOW_NONE;
	return arr;
}

uint32_t sl_flow_kill(struct sl_flow_table *t, const struct sl_flow_filter *f)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < t->capacity; i++) {
		if (matches(t, &t->entries[i], f)) {
			__atomic_store_n(&t->entries[i].kill, 1, __ATOMIC_RELAXED);
			n++;
		}
	}
	return n;
}

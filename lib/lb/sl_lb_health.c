/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Health checks of services' backends, on the management lcore.
 *
 * A TCP probe is a half-open handshake crafted by sluice: a SYN from one of
 * the probe ports (SL_HEALTH_PORT_LO..HI) to the backend; a SYN-ACK
 * acknowledging it is a success (and an RST closes the backend's half-open
 * connection), an RST is a failure ("refused"), silence past the timeout
 * is a failure ("timeout"). `fall` failures in a row mark a backend down,
 * `rise` successes up again. A backend starts up, as HAProxy's servers do:
 * a new service takes traffic at once and loses a dead backend after
 * `fall` intervals.
 *
 * Passive marking: connections to a backend that expire unanswered in
 * syn_sent are counted by their owners; `fall` of them with no answered
 * probe in between mark the backend down (the probes bring it back).
 *
 * A probe leaves from a port that turns with each probe, so an answer that
 * comes too late cannot be taken for the next probe's, and a late SYN-ACK
 * is reset like any SYN-ACK that answers no probe.
 *
 * An HTTP check needs a whole TCP connection, so it uses the host's own TCP
 * stack: a non-blocking socket bound to the host's address on a kernel
 * port (a net_tap port sluice routes like any other), stepped on every
 * tick without waiting: connect, send "GET path HTTP/1.0", read the status
 * line; the status `expect` is a success, anything else ("status"), a
 * refused or reset connection ("refused"), one closed before a status
 * ("closed") or no status within the timeout ("timeout") a failure.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_random.h>
#include <rte_tcp.h>

#include "sl_lb.h"

static uint64_t us_to_tsc(uint64_t us, uint64_t hz)
{
	return us / 1000000 * hz + us % 1000000 * hz / 1000000;
}

/* A result for backend @p be of @p s; true if its state changed. */
static bool result(struct sl_lb *lb, const struct sl_lb_health_io *io,
		   const struct sl_lb_service *s, const struct sl_lb_backend *be, bool ok,
		   const char *why)
{
	struct sl_lb_backend_slot *slot = &lb->slots[be->slot];
	slot->checks++;
	if (ok) {
		slot->fail_run = 0;
		slot->passive_run = 0;
		if (slot->ok_run < UINT8_MAX)
			slot->ok_run++;
		if (slot->health == SL_LB_DOWN && slot->ok_run >= s->rise) {
			slot->health = SL_LB_UP;
			io->change(io->arg, s, be, SL_LB_UP, "probe answered");
			return true;
		}
		return false;
	}
	slot->failures++;
	slot->last_failure = why;
	slot->ok_run = 0;
	if (slot->fail_run < UINT8_MAX)
		slot->fail_run++;
	if (slot->health == SL_LB_UP && slot->fail_run >= s->fall) {
		slot->health = SL_LB_DOWN;
		io->change(io->arg, s, be, SL_LB_DOWN, why);
		return true;
	}
	return false;
}

enum { HTTP_IDLE = 0, HTTP_CONNECTING, HTTP_READING };

void sl_lb_http_close(struct sl_lb_backend_slot *slot)
{
	if (slot->http_fd >= 0)
		close(slot->http_fd);
	slot->http_fd = -1;
	slot->http_state = HTTP_IDLE;
}

static struct sockaddr_in backend_sockaddr(const struct sl_lb_backend *be)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(be->port)};
	memcpy(&a.sin_addr, be->addr, 4);
	return a;
}

/* Open an HTTP check's connection; false if it failed at once. */
static bool http_start(struct sl_lb_backend_slot *slot, const struct sl_lb_backend *be,
		       const struct sl_lb_health_io *io)
{
	struct sockaddr_in src = {.sin_family = AF_INET, .sin_addr.s_addr = io->http_src};
	struct sockaddr_in dst = backend_sockaddr(be);
	slot->http_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	slot->http_len = 0;
	if (slot->http_fd < 0 || bind(slot->http_fd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
	    (connect(slot->http_fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 &&
	     errno != EINPROGRESS)) {
		sl_lb_http_close(slot);
		return false;
	}
	slot->http_state = HTTP_CONNECTING;
	return true;
}

/*
 * One step of an HTTP check in flight: 0 while it goes on, 1 for a
 * success, -1 for a failure with *why set.
 */
static int http_step(struct sl_lb_backend_slot *slot, const struct sl_lb_service *s,
		     const struct sl_lb_backend *be, const char **why)
{
	if (slot->http_state == HTTP_CONNECTING) {
		struct sockaddr_in dst = backend_sockaddr(be);
		if (connect(slot->http_fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 &&
		    errno != EISCONN) {
			if (errno == EALREADY || errno == EINPROGRESS)
				return 0;
			*why = "refused";
			return -1;
		}
		char req[SL_CONFIG_HEALTH_PATH_MAX + 96];
		char host[INET_ADDRSTRLEN];
		snprintf(host, sizeof(host), "%u.%u.%u.%u", be->addr[0], be->addr[1], be->addr[2],
			 be->addr[3]);
		int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n"
				 "User-Agent: sluice-health\r\n\r\n", s->http_path, host);
		if (send(slot->http_fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
			*why = "refused";
			return -1;
		}
		slot->http_state = HTTP_READING;
	}
	ssize_t got = recv(slot->http_fd, slot->http_buf + slot->http_len,
			   sizeof(slot->http_buf) - 1 - slot->http_len, 0);
	if (got < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		*why = "refused";
		return -1;
	}
	slot->http_len = (uint16_t)(slot->http_len + got);
	slot->http_buf[slot->http_len] = '\0';
	/* "HTTP/1.1 200 OK": the status is the second word. */
	unsigned major, minor, status;
	if (sscanf(slot->http_buf, "HTTP/%u.%u %3u", &major, &minor, &status) == 3 &&
	    strchr(slot->http_buf, ' ') != NULL && slot->http_len >= 12) {
		if (status == s->http_expect)
			return 1;
		*why = "status";
		return -1;
	}
	if (got == 0 || slot->http_len == sizeof(slot->http_buf) - 1) {
		*why = got == 0 ? "closed" : "status";
		return -1;
	}
	return 0;
}

/* An HTTP check of @p be: start, step or time out. Returns state changes. */
static unsigned http_check(struct sl_lb *lb, const struct sl_lb_health_io *io,
			   const struct sl_lb_service *s, const struct sl_lb_backend *be,
			   uint64_t now)
{
	struct sl_lb_backend_slot *slot = &lb->slots[be->slot];
	const char *why = NULL;
	if (slot->http_state != HTTP_IDLE) {
		int r = now - slot->probe_sent >= us_to_tsc(s->timeout_us, io->tsc_hz) ? -1 :
			http_step(slot, s, be, &why);
		if (r == 0)
			return 0;
		sl_lb_http_close(slot);
		slot->probe_sent = 0;
		return result(lb, io, s, be, r > 0, r > 0 ? NULL : why ? why : "timeout");
	}
	if (now < slot->probe_due)
		return 0;
	slot->probe_due = now + us_to_tsc(s->interval_us, io->tsc_hz);
	if (io->http_src == 0 || !http_start(slot, be, io))
		return result(lb, io, s, be, false, "no route");
	slot->probe_sent = now;
	return 0;
}

unsigned sl_lb_health_tick(struct sl_lb *lb, const struct sl_lb_health_io *io, uint64_t now)
{
	const struct sl_lb_view *v = lb->view;
	unsigned changed = 0;
	for (unsigned i = 0; v != NULL && i < v->n_services; i++) {
		const struct sl_lb_service *s = &v->services[i];
		for (unsigned k = 0; k < s->n_backends; k++) {
			const struct sl_lb_backend *be = &s->backends[k];
			struct sl_lb_backend_slot *slot = &lb->slots[be->slot];
			/* Looked at with checks or without, so turning checks on
			 * later does not count old expiries. */
			uint64_t seen = sl_lb_syn_timeouts(lb, be->slot);
			slot->passive_run += (uint32_t)(seen - slot->syn_timeouts_seen);
			slot->syn_timeouts_seen = seen;
			if (s->health_type == SL_HEALTH_NONE) {
				slot->passive_run = 0;
				continue;
			}
			if (s->health_type != SL_HEALTH_HTTP && slot->http_fd >= 0)
				sl_lb_http_close(slot);    /* the check changed from HTTP */
			if (slot->passive_run >= s->fall && slot->health == SL_LB_UP) {
				slot->passive_run = 0;
				slot->fail_run = (uint8_t)(s->fall - 1);
				changed += result(lb, io, s, be, false, "passive");
			}
			if (s->health_type == SL_HEALTH_HTTP) {
				changed += http_check(lb, io, s, be, now);
				continue;
			}
			if (slot->probe_sent != 0 &&
			    now - slot->probe_sent >= us_to_tsc(s->timeout_us, io->tsc_hz)) {
				slot->probe_sent = 0;
				changed += result(lb, io, s, be, false, "timeout");
			}
			if (slot->probe_sent != 0 || now < slot->probe_due)
				continue;
			/* A fresh port and sequence number for each probe. */
			slot->probe_sport = (uint16_t)(SL_HEALTH_PORT_LO + (be->slot + slot->checks) %
						       (SL_HEALTH_PORT_HI - SL_HEALTH_PORT_LO + 1));
			slot->probe_seq = (uint32_t)rte_rand();
			slot->probe_due = now + us_to_tsc(s->interval_us, io->tsc_hz);
			const uint8_t *src = s->mode == SL_LB_FULLNAT ? s->sources[0] : NULL;
			if (io->send(io->arg, be->af, src, be->addr, slot->probe_sport, be->port,
				     slot->probe_seq, 0, RTE_TCP_SYN_FLAG) < 0) {
				changed += result(lb, io, s, be, false, "no route");
				continue;
			}
			slot->probe_sent = now;
		}
	}
	return changed;
}

int sl_lb_health_input(struct sl_lb *lb, const struct sl_lb_health_io *io, uint8_t af,
		       const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport,
		       uint32_t ack, uint8_t flags, uint64_t now)
{
	const struct sl_lb_view *v = lb->view;
	(void)now;
	for (unsigned i = 0; v != NULL && i < v->n_services; i++) {
		const struct sl_lb_service *s = &v->services[i];
		if (s->health_type != SL_HEALTH_TCP || s->af != af)
			continue;
		for (unsigned k = 0; k < s->n_backends; k++) {
			const struct sl_lb_backend *be = &s->backends[k];
			struct sl_lb_backend_slot *slot = &lb->slots[be->slot];
			if (slot->probe_sent == 0 || slot->probe_sport != dport || be->port != sport ||
			    memcmp(be->addr, src, af == 4 ? 4 : 16) != 0 ||
			    !(flags & RTE_TCP_ACK_FLAG) || ack != slot->probe_seq + 1 ||
			    !(flags & (RTE_TCP_SYN_FLAG | RTE_TCP_RST_FLAG)))
				continue;
			slot->probe_sent = 0;
			if ((flags & (RTE_TCP_SYN_FLAG | RTE_TCP_RST_FLAG)) == RTE_TCP_SYN_FLAG) {
				/* Close the half-open connection. */
				io->send(io->arg, af, dst, be->addr, dport, sport, ack, 0,
					 RTE_TCP_RST_FLAG);
				return result(lb, io, s, be, true, NULL);
			}
			return result(lb, io, s, be, false, "refused");
		}
	}
	/* A SYN-ACK that answers no probe in flight (one that came after its
	 * timeout): reset it, or the backend would keep resending it. */
	if ((flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) ==
	    (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) {
		io->send(io->arg, af, dst, src, dport, sport, ack, 0, RTE_TCP_RST_FLAG);
		return 0;
	}
	return -1;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The watchdog's rule, "every worker's heartbeat advances", under a
 * synthetic clock (1 cycle = 1 ns), and the notify messages: through a
 * capturing function, and once through libsystemd to a real socket.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "sl_supervisor.h"

#define HZ 1000000000ull            /* synthetic TSC: nanoseconds */
#define SEC HZ
#define MS (HZ / 1000)

/* ---- the heartbeat rule --------------------------------------------- */

static void test_heartbeat_init_rejects_bad_arguments(void **state)
{
	struct sl_heartbeat hb;
	uint64_t v[SL_HEARTBEAT_MAX + 1] = {0};
	(void)state;
	assert_int_equal(sl_heartbeat_init(&hb, 0, SEC, v, 0), -EINVAL);
	assert_int_equal(sl_heartbeat_init(&hb, SL_HEARTBEAT_MAX + 1, SEC, v, 0), -EINVAL);
	assert_int_equal(sl_heartbeat_init(&hb, 2, 0, v, 0), -EINVAL);
	assert_int_equal(sl_heartbeat_init(&hb, 2, SEC, NULL, 0), -EINVAL);
	assert_int_equal(sl_heartbeat_init(&hb, SL_HEARTBEAT_MAX, SEC, v, 0), 0);
}

/* Exact boundary: still for stall-1 cycles is alive, for stall cycles stalled. */
static void test_heartbeat_stall_boundary(void **state)
{
	struct sl_heartbeat hb;
	uint64_t v[2] = {10, 20};
	(void)state;
	assert_int_equal(sl_heartbeat_init(&hb, 2, SEC, v, 1000), 0);
	v[0] = 11;
	assert_int_equal(sl_heartbeat_check(&hb, v, 1000 + SEC - 1), -1);
	v[0] = 12;
	assert_int_equal(sl_heartbeat_check(&hb, v, 1000 + SEC), 1);  /* worker 1 never moved */
	assert_int_equal(sl_heartbeat_still_cycles(&hb, 1, 1000 + SEC), SEC);
	assert_int_equal(sl_heartbeat_still_cycles(&hb, 0, 1000 + SEC), 0);
}

/* A worker that starts again is alive at once; any change counts. */
static void test_heartbeat_recovers(void **state)
{
	struct sl_heartbeat hb;
	uint64_t v[3] = {5, 5, 5};
	(void)state;
	assert_int_equal(sl_heartbeat_init(&hb, 3, 100, v, 0), 0);
	v[0]++, v[2]++;
	assert_int_equal(sl_heartbeat_check(&hb, v, 150), 1);
	assert_int_equal(sl_heartbeat_check(&hb, v, 160), 1);
	v[1] = 0;                               /* a reset counter also moved */
	v[0]++, v[2]++;
	assert_int_equal(sl_heartbeat_check(&hb, v, 170), -1);
	v[0]++, v[1]++;
	assert_int_equal(sl_heartbeat_check(&hb, v, 265), -1);  /* worker 2: 95 still */
	v[0]++, v[1]++;
	assert_int_equal(sl_heartbeat_check(&hb, v, 270), 2);   /* 100 still */
}

/* With several stalled, the one still longest is named. */
static void test_heartbeat_names_the_longest(void **state)
{
	struct sl_heartbeat hb;
	uint64_t v[3] = {1, 1, 1};
	(void)state;
	assert_int_equal(sl_heartbeat_init(&hb, 3, 100, v, 0), 0);
	v[0]++, v[1]++;
	assert_int_equal(sl_heartbeat_check(&hb, v, 50), -1);
	v[0]++;
	assert_int_equal(sl_heartbeat_check(&hb, v, 200), 2);  /* 2: 200 still, 1: 150 */
	/* A clock that runs backwards means no time passed. */
	assert_int_equal(sl_heartbeat_still_cycles(&hb, 2, 0), 0);
}

/* ---- the supervisor, with a capturing notify ------------------------- */

struct captured {
	unsigned n;
	char msg[32][256];
};

static int capture(void *arg, const char *message)
{
	struct captured *c = arg;
	if (c->n < 32)
		snprintf(c->msg[c->n++], sizeof(c->msg[0]), "%s", message);
	return 1;
}

static unsigned count(const struct captured *c, const char *needle)
{
	unsigned k = 0;
	for (unsigned i = 0; i < c->n; i++)
		k += strstr(c->msg[i], needle) != NULL;
	return k;
}

static void watchdog_env(const char *usec)
{
	unsetenv("WATCHDOG_PID");
	if (usec)
		setenv("WATCHDOG_USEC", usec, 1);
	else
		unsetenv("WATCHDOG_USEC");
}

/* Initialise @p s for @p n workers at @p now, WATCHDOG_USEC=@p usec (NULL:
 * unset), messages captured in @p c. */
static void start(struct sl_supervisor *s, struct captured *c, const char *usec, unsigned n,
		  const uint64_t *polls, uint64_t now)
{
	watchdog_env(usec);
	assert_int_equal(sl_supervisor_init(s, HZ, n, polls, now, capture, c), 0);
}

/* WATCHDOG_USEC=2 s: fed every 1 s while both workers poll; withheld once
 * one stood still for 1 s; fed again when it moves. */
static void test_watchdog_feeds_only_while_workers_poll(void **state)
{
	struct sl_supervisor s;
	struct captured c = {0};
	uint64_t polls[2] = {0, 0};
	uint64_t t = 5 * SEC;
	(void)state;
	start(&s, &c, "2000000", 2, polls, t);
	assert_true(sl_supervisor_watchdog_on(&s));
	assert_int_equal(s.ping_cycles, SEC);

	/* Due at once, then every second; between those, nothing is sent. */
	assert_true(sl_supervisor_tick(&s, polls, t));
	polls[0] += 1000, polls[1] += 1000;
	assert_false(sl_supervisor_tick(&s, polls, t + SEC - 1));
	assert_true(sl_supervisor_tick(&s, polls, t + SEC));
	assert_int_equal(count(&c, "WATCHDOG=1"), 2);

	/* Worker 1 stops after its last step at t+1s: seen still at t+2s. */
	polls[0] += 1000;
	assert_false(sl_supervisor_tick(&s, polls, t + 2 * SEC));
	assert_int_equal(s.stalled_worker, 1);
	assert_int_equal(count(&c, "STATUS=worker 1 stalled for 1.0 s: watchdog withheld"), 1);
	polls[0] += 1000;
	assert_false(sl_supervisor_tick(&s, polls, t + 3 * SEC));
	assert_int_equal(count(&c, "stalled"), 1);          /* said once, not every time */
	assert_int_equal(s.pings_withheld, 2);

	/* It moves again: fed at the next due time, and the status says so. */
	polls[0] += 1000, polls[1] += 1;
	assert_true(sl_supervisor_tick(&s, polls, t + 4 * SEC));
	assert_int_equal(s.stalled_worker, -1);
	assert_int_equal(count(&c, "STATUS=running"), 1);
	assert_int_equal(count(&c, "WATCHDOG=1"), 3);
	assert_int_equal(s.pings_sent, 3);
}

/* The management loop itself stopping starves the watchdog by itself: a
 * tick long overdue still sends one message only. */
static void test_watchdog_one_ping_per_tick(void **state)
{
	struct sl_supervisor s;
	struct captured c = {0};
	uint64_t polls[1] = {0};
	(void)state;
	start(&s, &c, "1000000", 1, polls, 0);
	assert_true(sl_supervisor_tick(&s, polls, 0));
	polls[0]++;
	assert_true(sl_supervisor_tick(&s, polls, 10 * SEC));
	assert_false(sl_supervisor_tick(&s, polls, 10 * SEC + 1));
	assert_int_equal(count(&c, "WATCHDOG=1"), 2);
}

static void test_watchdog_off_without_env(void **state)
{
	struct sl_supervisor s;
	struct captured c = {0};
	uint64_t polls[1] = {0};
	(void)state;
	start(&s, &c, NULL, 1, polls, 0);
	assert_false(sl_supervisor_watchdog_on(&s));
	assert_false(sl_supervisor_tick(&s, polls, 100 * SEC));
	/* A watchdog meant for another process is not ours. */
	setenv("WATCHDOG_USEC", "1000000", 1);
	setenv("WATCHDOG_PID", "1", 1);
	assert_int_equal(sl_supervisor_init(&s, HZ, 1, polls, 0, capture, &c), 0);
	assert_false(sl_supervisor_watchdog_on(&s));
	assert_int_equal(c.n, 0);
	watchdog_env(NULL);
}

static void test_state_messages(void **state)
{
	struct sl_supervisor s;
	struct captured c = {0};
	uint64_t polls[1] = {0};
	(void)state;
	start(&s, &c, NULL, 1, polls, 0);
	sl_supervisor_ready(&s, "running: 1 workers");
	sl_supervisor_reloading(&s, "applying configuration generation 2");
	sl_supervisor_status(&s, "x");
	sl_supervisor_stopping(&s, "stopping");
	assert_int_equal(c.n, 4);
	assert_string_equal(c.msg[0], "READY=1\nSTATUS=running: 1 workers");
	assert_non_null(strstr(c.msg[1], "RELOADING=1\nMONOTONIC_USEC="));
	assert_non_null(strstr(c.msg[1], "\nSTATUS=applying configuration generation 2"));
	assert_string_equal(c.msg[2], "STATUS=x");
	assert_string_equal(c.msg[3], "STOPPING=1\nSTATUS=stopping");
}

/* Before init nothing is sent and nothing crashes. */
static void test_uninitialised_is_silent(void **state)
{
	struct sl_supervisor s = {0};
	(void)state;
	sl_supervisor_ready(&s, "x");
	sl_supervisor_stopping(&s, "x");
	assert_false(sl_supervisor_watchdog_on(&s));
}

/* ---- libsystemd, to a real datagram socket --------------------------- */

static void test_sd_notify_reaches_the_socket(void **state)
{
	struct sl_supervisor s;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	uint64_t polls[1] = {0};
	char buf[256];
	(void)state;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/sl-notify-test-%d", (int)getpid());
	unlink(sa.sun_path);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setenv("NOTIFY_SOCKET", sa.sun_path, 1);
	watchdog_env("500000");

	assert_int_equal(sl_supervisor_init(&s, HZ, 1, polls, 0, NULL, NULL), 0);
	sl_supervisor_ready(&s, "up");
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "READY=1\nSTATUS=up");
	assert_true(sl_supervisor_tick(&s, polls, 0));
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "WATCHDOG=1");

	unsetenv("NOTIFY_SOCKET");
	watchdog_env(NULL);
	close(fd);
	unlink(sa.sun_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heartbeat_init_rejects_bad_arguments),
		cmocka_unit_test(test_heartbeat_stall_boundary),
		cmocka_unit_test(test_heartbeat_recovers),
		cmocka_unit_test(test_heartbeat_names_the_longest),
		cmocka_unit_test(test_watchdog_feeds_only_while_workers_poll),
		cmocka_unit_test(test_watchdog_one_ping_per_tick),
		cmocka_unit_test(test_watchdog_off_without_env),
		cmocka_unit_test(test_state_messages),
		cmocka_unit_test(test_uninitialised_is_silent),
		cmocka_unit_test(test_sd_notify_reaches_the_socket),
	};
	return cmocka_run_group_tests_name("supervisor", tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection tracking against what nf_conntrack does with the same segments:
 * the TCP states through handshakes, closes, resets and reopenings, the
 * window checks, window scaling, mid-stream pickup, and the UDP and default
 * timeouts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sl_flow.h"

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

#define O SL_FLOW_ORIG
#define R SL_FLOW_REPLY
#define CISN 1000u      /* client's initial sequence number */
#define SISN 700000u    /* server's */

static struct sl_flow f;

static struct sl_ct_tcp_seg seg(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
				uint16_t len)
{
	return (struct sl_ct_tcp_seg){.seq = seq, .ack = ack, .win = win, .len = len,
				      .flags = flags, .wscale = -1};
}

static enum sl_ct_verdict tx(enum sl_flow_dir dir, struct sl_ct_tcp_seg s)
{
	return sl_ct_tcp_update(&f, dir, &s);
}

/* A client opens a connection to a server: SYN, SYN/ACK, ACK. */
static void handshake(int8_t cws, int8_t sws)
{
	memset(&f, 0, sizeof(f));
	f.state = SL_CT_NEW;
	struct sl_ct_tcp_seg s = seg(SYN, CISN, 0, 64240, 0);
	s.wscale = cws;
	assert_int_equal(sl_ct_tcp_new(&f, &s, false), SL_CT_ACCEPT);
	assert_int_equal(f.state, SL_CT_TCP_SYN_SENT);
	s = seg(SYN | ACK, SISN, CISN + 1, 65160, 0);
	s.wscale = sws;
	assert_int_equal(tx(R, s), SL_CT_ACCEPT);
	assert_int_equal(f.state, SL_CT_TCP_SYN_RECV);
	assert_int_equal(tx(O, seg(ACK, CISN + 1, SISN + 1, 502, 0)), SL_CT_ACCEPT);
	assert_int_equal(f.state, SL_CT_TCP_ESTABLISHED);
	assert_true(f.flags & SL_FLOW_F_ASSURED);
}

static void test_handshake_data_close(void **state)
{
	(void)state;
	handshake(7, 7);
	/* Data both ways, acknowledged. */
	assert_int_equal(tx(O, seg(ACK | PSH, CISN + 1, SISN + 1, 502, 100)), SL_CT_ACCEPT);
	assert_int_equal(tx(R, seg(ACK | PSH, SISN + 1, CISN + 101, 509, 1400)), SL_CT_ACCEPT);
	assert_int_equal(tx(O, seg(ACK, CISN + 101, SISN + 1401, 502, 0)), SL_CT_ACCEPT);
	/* The client closes first: FIN, ACK, FIN, ACK, as nf_conntrack walks it. */
	assert_int_equal(tx(O, seg(FIN | ACK, CISN + 101, SISN + 1401, 502, 0)), SL_CT_ACCEPT);
	assert_int_equal(f.state, SL_CT_TCP_FIN_WAIT);
	/* The FIN again (lost ACK): no change. */
	assert_int_equal(tx(O, seg(FIN | ACK, CISN + 101, SISN + 1401, 502, 0)), SL_CT_ACCEPT);
	assert_int_equal(f.state, SL_CT_TCP_FIN_WAIT);
	assert_int_equal(tx(R, seg(ACK, SISN + 1401, CISN + 102, 509, 0)), SL_CT_ACCEPT);
	assert_int_equal(f.state, SL_CT_TCP_CLOSE_WAIT);
	assert_int_equal(tx(R, seg(FIN | ACK, SISN + 1401, CISN + 102, 509, 0)), SL_CT_ACCEPT);
	assert_int_equal(f.state, SL_CT_TCP_LAST_ACK);
	assert_int_equal(tx(O, seg(ACK, CISN + 102, SISN + 1402, 502, 0)), SL_CT_ACCEPT);
	assert_int_equal(f.state, SL_CT_TCP_TIME_WAIT);
	/* The client port is reused: the old connection gives way. */
	assert_int_equal(tx(O, seg(SYN, CISN + 90000, 0, 64240, 0)), SL_CT_RESTART);
	assert_int_equal(f.state, SL_CT_TCP_TIME_WAIT);
	/* ... also while the old one is still closing (last_ack: the server's FIN
	 * not yet acknowledged); a SYN from the server side is not a reuse. */
	handshake(-1, -1);
	assert_int_equal(tx(R, seg(FIN | ACK, SISN + 1, CISN + 1, 509, 0)), SL_CT_ACCEPT);
	assert_int_equal(tx(O, seg(FIN | ACK, CISN + 1, SISN + 2, 502, 0)), SL_CT_ACCEPT);
	assert_int_equal(f.state, SL_CT_TCP_LAST_ACK);
	assert_int_equal(tx(R, seg(SYN, SISN + 5000, 0, 64240, 0)), SL_CT_INVALID);
	assert_int_equal(tx(O, seg(SYN, CISN + 90000, 0, 64240, 0)), SL_CT_RESTART);
}

static void test_out_of_window(void **state)
{
	(void)state;
	handshake(-1, -1);            /* no scaling: the server allows 65160 bytes */
	/* Past the receiver's window, long ago, acking unsent data, acking ancient data. */
	assert_int_equal(tx(O, seg(ACK, CISN + 1 + 70000, SISN + 1, 502, 10)), SL_CT_OUT_OF_WINDOW);
	assert_int_equal(tx(O, seg(ACK, CISN - 200000, SISN + 1, 502, 10)), SL_CT_OUT_OF_WINDOW);
	assert_int_equal(tx(O, seg(ACK, CISN + 1, SISN + 5000, 502, 0)), SL_CT_OUT_OF_WINDOW);
	assert_int_equal(tx(O, seg(ACK, CISN + 1, SISN - 100000, 502, 0)), SL_CT_OUT_OF_WINDOW);
	assert_int_equal(f.state, SL_CT_TCP_ESTABLISHED);
	/* The connection is untouched: the next honest segment passes, up to the window. */
	assert_int_equal(tx(O, seg(ACK | PSH, CISN + 1, SISN + 1, 502, 1000)), SL_CT_ACCEPT);
	assert_int_equal(tx(O, seg(ACK | PSH, CISN + 1 + 64160, SISN + 1, 502, 1000)),
			 SL_CT_ACCEPT);           /* ends exactly at the window's edge */
	/* A retransmission of old data is fine. */
	assert_int_equal(tx(O, seg(ACK | PSH, CISN + 1, SISN + 1, 502, 1000)), SL_CT_ACCEPT);
}

static void test_window_scaling(void **state)
{
	(void)state;
	/* Both offer scaling: 509 << 7 = 65152 bytes the server allows after the handshake. */
	handshake(7, 7);
	assert_int_equal(tx(R, seg(ACK, SISN + 1, CISN + 1, 2000, 0)), SL_CT_ACCEPT);
	/* 2000 << 7 = 256000: the client may send far more than 65535 now. */
	assert_int_equal(tx(O, seg(ACK | PSH, CISN + 1 + 200000, SISN + 1, 502, 1000)),
			 SL_CT_ACCEPT);
	/* Only one side offered it: no scaling, the same segment is out of window. */
	handshake(7, -1);
	assert_int_equal(tx(R, seg(ACK, SISN + 1, CISN + 1, 2000, 0)), SL_CT_ACCEPT);
	assert_int_equal(tx(O, seg(ACK | PSH, CISN + 1 + 200000, SISN + 1, 502, 1000)),
			 SL_CT_OUT_OF_WINDOW);
}

static void test_resets(void **state)
{
	(void)state;
	handshake(-1, -1);
	/* A blind reset, far from the window: refused, the connection lives. */
	assert_int_equal(tx(R, seg(RST, SISN + 3000000, 0, 0, 0)), SL_CT_BAD_RST);
	assert_int_equal(f.state, SL_CT_TCP_ESTABLISHED);
	assert_int_equal(tx(O, seg(ACK | PSH, CISN + 1, SISN + 1, 502, 10)), SL_CT_ACCEPT);
	/* A reset at the expected sequence closes. */
	assert_int_equal(tx(R, seg(RST | ACK, SISN + 1, CISN + 11, 0, 0)), SL_CT_ACCEPT);
	assert_int_equal(f.state, SL_CT_TCP_CLOSE);
	/* A refused connection: the reset must acknowledge the SYN. */
	memset(&f, 0, sizeof(f));
	f.state = SL_CT_NEW;
	struct sl_ct_tcp_seg s = seg(SYN, CISN, 0, 64240, 0);
	assert_int_equal(sl_ct_tcp_new(&f, &s, false), SL_CT_ACCEPT);
	assert_int_equal(tx(R, seg(RST | ACK, 0, CISN + 77, 0, 0)), SL_CT_BAD_RST);
	assert_int_equal(tx(R, seg(RST, 0, 0, 0, 0)), SL_CT_BAD_RST);
	assert_int_equal(f.state, SL_CT_TCP_SYN_SENT);
	assert_int_equal(tx(R, seg(RST | ACK, 0, CISN + 1, 0, 0)), SL_CT_ACCEPT);
	assert_int_equal(f.state, SL_CT_TCP_CLOSE);
	/* A SYN from the client reopens it; one from the other side does not. */
	assert_int_equal(tx(R, seg(SYN, SISN, 0, 64240, 0)), SL_CT_INVALID);
	assert_int_equal(tx(O, seg(SYN, CISN + 5, 0, 64240, 0)), SL_CT_RESTART);
	/* Refused, the client tries again with a new initial sequence number. */
	memset(&f, 0, sizeof(f));
	f.state = SL_CT_NEW;
	s = seg(SYN, CISN, 0, 64240, 0);
	assert_int_equal(sl_ct_tcp_new(&f, &s, false), SL_CT_ACCEPT);
	assert_int_equal(tx(O, seg(SYN, CISN + 3000000, 0, 64240, 0)), SL_CT_ACCEPT);
	assert_int_equal(tx(R, seg(SYN | ACK, SISN, CISN + 3000001, 65160, 0)), SL_CT_ACCEPT);
	assert_int_equal(f.state, SL_CT_TCP_SYN_RECV);
	/* A server still holding an older connection on these ports answers
	 * the SYN with that connection's ACK; the client resets it (at the
	 * ACK's number, nowhere near its own) and opens again. */
	memset(&f, 0, sizeof(f));
	f.state = SL_CT_NEW;
	s = seg(SYN, CISN, 0, 64240, 0);
	assert_int_equal(sl_ct_tcp_new(&f, &s, false), SL_CT_ACCEPT);
	assert_int_equal(tx(R, seg(ACK, SISN, 123456789u, 502, 0)), SL_CT_ACCEPT);
	assert_int_equal(f.state, SL_CT_TCP_SYN_SENT);
	assert_int_equal(tx(O, seg(RST, 123456789u, 0, 0, 0)), SL_CT_ACCEPT);
	assert_int_equal(f.state, SL_CT_TCP_CLOSE);
	assert_int_equal(tx(O, seg(SYN, CISN, 0, 64240, 0)), SL_CT_RESTART);
}

static void test_invalid(void **state)
{
	(void)state;
	memset(&f, 0, sizeof(f));
	f.state = SL_CT_NEW;
	struct sl_ct_tcp_seg s = seg(SYN | FIN, CISN, 0, 64240, 0);
	assert_int_equal(sl_ct_tcp_new(&f, &s, false), SL_CT_INVALID);          /* SYN+FIN */
	s = seg(0, CISN, 0, 64240, 0);
	assert_int_equal(sl_ct_tcp_new(&f, &s, false), SL_CT_INVALID);          /* no flags */
	s = seg(FIN, CISN, 0, 64240, 0);
	assert_int_equal(sl_ct_tcp_new(&f, &s, false), SL_CT_INVALID);          /* FIN alone */
	s = seg(SYN | ACK, CISN, 5, 64240, 0);
	assert_int_equal(sl_ct_tcp_new(&f, &s, false), SL_CT_INVALID);          /* no SYN seen */
	s = seg(ACK, CISN, 5, 64240, 0);
	assert_int_equal(sl_ct_tcp_new(&f, &s, false), SL_CT_INVALID);          /* mid-stream */
	/* In a handshake: an ACK from the client before the SYN/ACK; a wrong SYN/ACK. */
	s = seg(SYN, CISN, 0, 64240, 0);
	assert_int_equal(sl_ct_tcp_new(&f, &s, false), SL_CT_ACCEPT);
	assert_int_equal(tx(O, seg(ACK, CISN + 1, SISN + 1, 502, 0)), SL_CT_INVALID);
	assert_int_equal(tx(R, seg(SYN | ACK, SISN, CISN + 9, 65160, 0)), SL_CT_INVALID);
	assert_int_equal(f.state, SL_CT_TCP_SYN_SENT);
	/* Established: a SYN from the client is ignored (nf: a retransmission or a probe). */
	handshake(-1, -1);
	assert_int_equal(tx(O, seg(SYN, CISN, 0, 64240, 0)), SL_CT_ACCEPT);
	assert_int_equal(f.state, SL_CT_TCP_ESTABLISHED);
	/* ... and a SYN from the server is invalid. */
	assert_int_equal(tx(R, seg(SYN, SISN, 0, 64240, 0)), SL_CT_INVALID);
}

static void test_simultaneous_open(void **state)
{
	(void)state;
	memset(&f, 0, sizeof(f));
	f.state = SL_CT_NEW;
	struct sl_ct_tcp_seg s = seg(SYN, CISN, 0, 64240, 0);
	assert_int_equal(sl_ct_tcp_new(&f, &s, false), SL_CT_ACCEPT);
	assert_int_equal(tx(R, seg(SYN, SISN, 0, 65160, 0)), SL_CT_ACCEPT);
	assert_int_equal(f.state, SL_CT_TCP_SYN_SENT2);
	assert_int_equal(tx(O, seg(SYN | ACK, CISN, SISN + 1, 64240, 0)), SL_CT_ACCEPT);
	assert_int_equal(f.state, SL_CT_TCP_SYN_RECV);
	assert_int_equal(tx(R, seg(SYN | ACK, SISN, CISN + 1, 65160, 0)), SL_CT_ACCEPT);
	assert_int_equal(f.state, SL_CT_TCP_SYN_RECV);
	assert_int_equal(tx(O, seg(ACK, CISN + 1, SISN + 1, 502, 0)), SL_CT_ACCEPT);
	assert_int_equal(f.state, SL_CT_TCP_ESTABLISHED);
}

static void test_pickup(void **state)
{
	(void)state;
	memset(&f, 0, sizeof(f));
	f.state = SL_CT_NEW;
	struct sl_ct_tcp_seg s = seg(ACK | PSH, CISN, SISN, 502, 100);
	assert_int_equal(sl_ct_tcp_new(&f, &s, true), SL_CT_ACCEPT);
	assert_int_equal(f.state, SL_CT_TCP_ESTABLISHED);
	/* The scale is unknown: nothing is judged by the window. */
	assert_int_equal(tx(R, seg(ACK, SISN, CISN + 100, 3, 64000)), SL_CT_ACCEPT);
	assert_int_equal(tx(O, seg(ACK, CISN + 100, SISN + 64000, 502, 0)), SL_CT_ACCEPT);
	assert_int_equal(tx(O, seg(FIN | ACK, CISN + 100, SISN + 64000, 502, 0)), SL_CT_ACCEPT);
	assert_int_equal(f.state, SL_CT_TCP_FIN_WAIT);
}

static void test_udp_and_timeouts(void **state)
{
	struct sl_ct_timeouts to;
	(void)state;
	sl_ct_timeouts_default(&to);
	memset(&f, 0, sizeof(f));
	f.state = SL_CT_UDP_UNREPLIED;
	assert_int_equal(sl_ct_timeout(&f, &to), 30 * SL_FLOW_TICKS_PER_S);
	sl_ct_other_update(&f, O);
	assert_int_equal(f.state, SL_CT_UDP_UNREPLIED);
	sl_ct_other_update(&f, R);
	assert_int_equal(f.state, SL_CT_UDP_REPLIED);
	assert_int_equal(sl_ct_timeout(&f, &to), 30 * SL_FLOW_TICKS_PER_S);
	sl_ct_other_update(&f, O);
	assert_true(f.flags & SL_FLOW_F_ASSURED);
	assert_int_equal(sl_ct_timeout(&f, &to), 120 * SL_FLOW_TICKS_PER_S);
	/* nf_conntrack's defaults, in seconds. */
	static const struct { uint8_t state; uint32_t s; } want[] = {
		{SL_CT_TCP_SYN_SENT, 120}, {SL_CT_TCP_SYN_RECV, 60},
		{SL_CT_TCP_ESTABLISHED, 432000}, {SL_CT_TCP_FIN_WAIT, 120},
		{SL_CT_TCP_CLOSE_WAIT, 60}, {SL_CT_TCP_LAST_ACK, 30}, {SL_CT_TCP_TIME_WAIT, 120},
		{SL_CT_TCP_CLOSE, 10}, {SL_CT_ICMP, 30}, {SL_CT_OTHER, 600},
	};
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		f.state = want[i].state;
		assert_int_equal(sl_ct_timeout(&f, &to), want[i].s * SL_FLOW_TICKS_PER_S);
	}
	assert_string_equal(sl_ct_state_name(SL_CT_TCP_ESTABLISHED), "established");
	assert_string_equal(sl_ct_state_name(SL_CT_UDP_UNREPLIED), "unreplied");
	assert_string_equal(sl_ct_state_name(200), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_data_close),
		cmocka_unit_test(test_out_of_window),
		cmocka_unit_test(test_window_scaling),
		cmocka_unit_test(test_resets),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_simultaneous_open),
		cmocka_unit_test(test_pickup),
		cmocka_unit_test(test_udp_and_timeouts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

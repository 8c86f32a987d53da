/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection tracking: the TCP state machine with window tracking, and the
 * simpler lives of UDP, ICMP echo and other protocols.
 *
 * The TCP states and their transitions are nf_conntrack's, so that sluice
 * and a Linux firewall agree on what a connection is doing: a transition
 * table indexed by direction, the segment's flag class and the current
 * state. Window tracking follows the same published algorithm (Guido van
 * Rooij, "Real Stateful TCP Packet Filtering in IP Filter"): a segment must
 * lie within what the receiver allowed, and acknowledge no more than the
 * other side sent and not much less, as nf_conntrack does with
 * nf_conntrack_tcp_be_liberal=0.
 */
#include "sl_flow.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

#define S(s) SL_CT_TCP_##s
#define IV 0xff        /* invalid */
#define IG 0xfe        /* ignored: accepted, no change (a retransmission, say) */

#define TICKS(sec) ((uint32_t)(sec) * SL_FLOW_TICKS_PER_S)

static const char *const state_names[SL_CT_NSTATES] = {
	[0] = "free",
	[SL_CT_NEW] = "new",
	[S(SYN_SENT)] = "syn_sent",
	[S(SYN_RECV)] = "syn_recv",
	[S(ESTABLISHED)] = "established",
	[S(FIN_WAIT)] = "fin_wait",
	[S(CLOSE_WAIT)] = "close_wait",
	[S(LAST_ACK)] = "last_ack",
	[S(TIME_WAIT)] = "time_wait",
	[S(CLOSE)] = "close",
	[S(SYN_SENT2)] = "syn_sent2",
	[SL_CT_UDP_UNREPLIED] = "unreplied",
	[SL_CT_UDP_REPLIED] = "replied",
	[SL_CT_ICMP] = "icmp",
	[SL_CT_OTHER] = "other",
};

const char *sl_ct_state_name(uint8_t state)
{
	return state < SL_CT_NSTATES ? state_names[state] : "unknown";
}

void sl_ct_timeouts_default(struct sl_ct_timeouts *to)
{
	memset(to, 0, sizeof(*to));
	to->state[SL_CT_NEW] = TICKS(30);
	to->state[S(SYN_SENT)] = TICKS(120);
	to->state[S(SYN_RECV)] = TICKS(60);
	to->state[S(ESTABLISHED)] = TICKS(5 * 24 * 3600);
	to->state[S(FIN_WAIT)] = TICKS(120);
	to->state[S(CLOSE_WAIT)] = TICKS(60);
	to->state[S(LAST_ACK)] = TICKS(30);
	to->state[S(TIME_WAIT)] = TICKS(120);
	to->state[S(CLOSE)] = TICKS(10);
	to->state[S(SYN_SENT2)] = TICKS(120);
	to->state[SL_CT_UDP_UNREPLIED] = TICKS(30);
	to->state[SL_CT_UDP_REPLIED] = TICKS(30);
	to->udp_assured = TICKS(120);
	to->state[SL_CT_ICMP] = TICKS(30);
	to->state[SL_CT_OTHER] = TICKS(600);
}

uint32_t sl_ct_timeout(const struct sl_flow *f, const struct sl_ct_timeouts *to)
{
	if (f->state == SL_CT_UDP_REPLIED && (f->flags & SL_FLOW_F_ASSURED))
		return to->udp_assured;
	return f->state < SL_CT_NSTATES ? to->state[f->state] : 0;
}

/* ---- TCP ----------------------------------------------------------------- */

enum flag_class { C_SYN, C_SYNACK, C_FIN, C_ACK, C_RST, C_NONE, C_N };

/*
 * Flag combinations a TCP stack sends (with PSH, URG, ECE and CWR free to
 * vary); anything else (SYN+FIN, SYN+RST, FIN without ACK, no flags...) is
 * a scan or an attack.
 */
static bool flags_valid(uint8_t fl)
{
	switch (fl & (TH_FIN | TH_SYN | TH_RST | TH_ACK)) {
	case TH_SYN:
	case TH_SYN | TH_ACK:
	case TH_RST:
	case TH_RST | TH_ACK:
	case TH_FIN | TH_ACK:
	case TH_ACK:
		return true;
	default:
		return false;
	}
}

static enum flag_class flag_class(uint8_t fl)
{
	if (fl & TH_RST)
		return C_RST;
	if (fl & TH_SYN)
		return fl & TH_ACK ? C_SYNACK : C_SYN;
	if (fl & TH_FIN)
		return C_FIN;
	return fl & TH_ACK ? C_ACK : C_NONE;
}

/*
 * [direction][flag class][state - SL_CT_NEW]: the next state, IV or IG.
 * Columns: new (no state yet), syn_sent, syn_recv, established, fin_wait,
 * close_wait, last_ack, time_wait, close, syn_sent2.
 */
static const uint8_t tcp_next[2][C_N][10] = {
	[SL_FLOW_ORIG] = {
		/* A SYN opens, is retransmitted, or reopens a finished connection. */
		[C_SYN] = {S(SYN_SENT), S(SYN_SENT), IG, IG, IG, IG, IG, S(SYN_SENT),
			   S(SYN_SENT), S(SYN_SENT2)},
		/* The originator answers the other side's SYN (simultaneous open). */
		[C_SYNACK] = {IV, IV, S(SYN_RECV), IV, IV, IV, IV, IV, IV, S(SYN_RECV)},
		[C_FIN] = {IV, IV, S(FIN_WAIT), S(FIN_WAIT), S(LAST_ACK), S(LAST_ACK),
			   S(LAST_ACK), S(TIME_WAIT), S(CLOSE), IV},
		/* The handshake's third segment establishes. */
		[C_ACK] = {S(ESTABLISHED), IV, S(ESTABLISHED), S(ESTABLISHED), S(CLOSE_WAIT),
			   S(CLOSE_WAIT), S(TIME_WAIT), S(TIME_WAIT), S(CLOSE), IV},
		[C_RST] = {IV, S(CLOSE), S(CLOSE), S(CLOSE), S(CLOSE), S(CLOSE), S(CLOSE),
			   S(CLOSE), S(CLOSE), S(CLOSE)},
		[C_NONE] = {IV, IV, IV, IV, IV, IV, IV, IV, IV, IV},
	},
	[SL_FLOW_REPLY] = {
		/* A SYN back while ours is outstanding: simultaneous open. */
		[C_SYN] = {IV, S(SYN_SENT2), IV, IV, IV, IV, IV, S(SYN_SENT), IV, S(SYN_SENT2)},
		[C_SYNACK] = {IV, S(SYN_RECV), IG, IG, IG, IG, IG, IG, IG, S(SYN_RECV)},
		[C_FIN] = {IV, IV, S(FIN_WAIT), S(FIN_WAIT), S(LAST_ACK), S(LAST_ACK),
			   S(LAST_ACK), S(TIME_WAIT), S(CLOSE), IV},
		[C_ACK] = {IV, IG, S(SYN_RECV), S(ESTABLISHED), S(CLOSE_WAIT), S(CLOSE_WAIT),
			   S(TIME_WAIT), S(TIME_WAIT), S(CLOSE), IG},
		[C_RST] = {IV, S(CLOSE), S(CLOSE), S(CLOSE), S(CLOSE), S(CLOSE), S(CLOSE),
			   S(CLOSE), S(CLOSE), S(CLOSE)},
		[C_NONE] = {IV, IV, IV, IV, IV, IV, IV, IV, IV, IV},
	},
};

static inline bool before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool after(uint32_t a, uint32_t b)
{
	return before(b, a);
}

/* Sequence space a segment takes: its payload, and one for SYN and FIN each. */
static inline uint32_t seg_end(const struct sl_ct_tcp_seg *s)
{
	return s->seq + s->len + ((s->flags & TH_SYN) != 0) + ((s->flags & TH_FIN) != 0);
}

/* A side seen for the first time: its SYN (or whatever picked it up). */
static void side_init(struct sl_flow_tcp_dir *snd, const struct sl_ct_tcp_seg *s)
{
	uint32_t end = seg_end(s);
	snd->end = snd->maxend = end;
	snd->maxwin = s->win ? s->win : 1;
	snd->scale = 0;
	snd->flags &= SL_FLOW_TCP_F_LIBERAL;
	if ((s->flags & TH_SYN) && s->wscale >= 0) {
		snd->flags |= SL_FLOW_TCP_F_WSCALE;
		snd->scale = (uint8_t)(s->wscale > 14 ? 14 : s->wscale);
	}
}

/*
 * Is @p s within the window of direction @p dir's receiver? Updates both
 * sides' tracking when it is (nothing otherwise).
 */
static bool in_window(struct sl_flow *f, enum sl_flow_dir dir, const struct sl_ct_tcp_seg *s)
{
	struct sl_flow_tcp_dir *snd = &f->tcp[dir], *rcv = &f->tcp[!dir];
	uint32_t end = seg_end(s), ack = s->ack, win = s->win;

	if (snd->maxwin == 0) {
		/* The first segment this way: the answer to the SYN. Scaling
		 * holds only if both SYNs offered it. */
		side_init(snd, s);
		if (!(snd->flags & rcv->flags & SL_FLOW_TCP_F_WSCALE))
			snd->scale = rcv->scale = 0;
	}
	if (!(s->flags & TH_SYN))
		win <<= snd->scale;     /* windows in SYNs are never scaled */
	if (!(s->flags & TH_ACK))
		ack = rcv->end;          /* acknowledges nothing: judge as acking all */
	if (rcv->maxwin == 0)
		rcv->end = rcv->maxend = ack;   /* the other side not seen yet */

	uint32_t max_ack_window = rcv->maxwin > 66000 ? rcv->maxwin : 66000;
	if (snd->maxwin > max_ack_window)
		max_ack_window = snd->maxwin;
	bool ok = (snd->flags & SL_FLOW_TCP_F_LIBERAL) ||
		  (!after(s->seq, snd->maxend) &&                     /* not past what was allowed */
		   after(end, snd->end - rcv->maxwin - 1) &&          /* not from long ago */
		   !after(ack, rcv->end) &&                           /* acks only what was sent */
		   after(ack, rcv->end - max_ack_window - 1));        /* and not very old data */
	if (!ok)
		return false;
	if (snd->maxwin < win)
		snd->maxwin = win ? win : 1;
	if (after(end, snd->end))
		snd->end = end;
	if (s->flags & TH_ACK) {
		/* The other side may now send up to what this segment allows. */
		if (after(ack + win, rcv->maxend))
			rcv->maxend = ack + win + (win == 0);
	}
	if (after(snd->end, snd->maxend))
		snd->maxend = snd->end;
	return true;
}

enum sl_ct_verdict sl_ct_tcp_new(struct sl_flow *f, const struct sl_ct_tcp_seg *s, bool pickup)
{
	if (!flags_valid(s->flags))
		return SL_CT_INVALID;
	memset(f->tcp, 0, sizeof(f->tcp));
	enum flag_class c = flag_class(s->flags);
	if (c == C_SYN) {
		side_init(&f->tcp[SL_FLOW_ORIG], s);
		f->state = S(SYN_SENT);
		return SL_CT_ACCEPT;
	}
	if (!pickup || c != C_ACK)
		return SL_CT_INVALID;
	/* Mid-stream: the window scale is unknown, so windows cannot be
	 * judged; track them, enforce nothing (as nf_conntrack's loose mode). */
	side_init(&f->tcp[SL_FLOW_ORIG], s);
	f->tcp[SL_FLOW_ORIG].maxend = f->tcp[SL_FLOW_ORIG].end + f->tcp[SL_FLOW_ORIG].maxwin;
	f->tcp[SL_FLOW_ORIG].flags |= SL_FLOW_TCP_F_LIBERAL;
	f->tcp[SL_FLOW_REPLY].flags |= SL_FLOW_TCP_F_LIBERAL;
	f->tcp[SL_FLOW_REPLY].end = f->tcp[SL_FLOW_REPLY].maxend = s->ack;
	f->state = S(ESTABLISHED);
	f->flags |= SL_FLOW_F_ASSURED;
	return SL_CT_ACCEPT;
}

enum sl_ct_verdict sl_ct_tcp_update(struct sl_flow *f, enum sl_flow_dir dir,
				    const struct sl_ct_tcp_seg *s)
{
	if (!flags_valid(s->flags))
		return SL_CT_INVALID;
	if (f->state < SL_CT_NEW || f->state > S(SYN_SENT2))
		return SL_CT_INVALID;
	enum flag_class c = flag_class(s->flags);
	uint8_t next = tcp_next[dir][c][f->state - SL_CT_NEW];
	if (next == IV)
		return SL_CT_INVALID;
	/* The client opens again from the same port while the old connection
	 * is still closing (it let go of its side, or it could not reuse the
	 * port): nf_conntrack would ignore this SYN and resynchronise on the
	 * answer; giving the old connection way now has the same end. */
	if (c == C_SYN && dir == SL_FLOW_ORIG &&
	    (f->state == S(FIN_WAIT) || f->state == S(CLOSE_WAIT) || f->state == S(LAST_ACK)))
		return SL_CT_RESTART;
	if (next == IG)
		return SL_CT_ACCEPT;
	/* A new SYN on a finished connection: the old one gives way. */
	if ((c == C_SYN) && (f->state == S(TIME_WAIT) || f->state == S(CLOSE)))
		return SL_CT_RESTART;
	struct sl_flow_tcp_dir *snd = &f->tcp[dir];
	/* The client gave up its first SYN and tries again with a new initial
	 * sequence number (nf_conntrack resets the sender the same way). */
	if (c == C_SYN && dir == SL_FLOW_ORIG && f->state == S(SYN_SENT) &&
	    after(seg_end(s), snd->end)) {
		side_init(snd, s);
		return SL_CT_ACCEPT;
	}
	/* A FIN from a side that already sent one is its retransmission. */
	if (c == C_FIN && (snd->flags & SL_FLOW_TCP_F_FIN) &&
	    (f->state == S(FIN_WAIT) || f->state == S(LAST_ACK) ||
	     f->state == S(CLOSE_WAIT)) && !(f->tcp[!dir].flags & SL_FLOW_TCP_F_FIN))
		next = f->state;
	/* The answer to our SYN must acknowledge it (a reset too: RFC 793). */
	if (dir == SL_FLOW_REPLY && f->state == S(SYN_SENT) && c != C_SYN &&
	    (!(s->flags & TH_ACK) || s->ack != f->tcp[SL_FLOW_ORIG].end))
		return c == C_RST ? SL_CT_BAD_RST : SL_CT_INVALID;
	/* The handshake's answer was checked above; anything else, a reset
	 * included, must lie in the window: otherwise anyone who guesses the
	 * addresses and ports could tear connections down. */
	/* The opener resets its own attempt before the other side answered
	 * it: there is no window of the other side to check it against (the
	 * reset answers a peer's stale ACK, say, from a server still holding
	 * an older connection on these ports: without it, that server never
	 * lets go and the next SYN fails too). */
	bool abort_own = dir == SL_FLOW_ORIG && f->state == S(SYN_SENT) && c == C_RST;
	if (!(dir == SL_FLOW_REPLY && f->state == S(SYN_SENT) && c == C_RST) && !abort_own) {
		struct sl_flow_tcp_dir keep[2] = {f->tcp[0], f->tcp[1]};
		if (!in_window(f, dir, s)) {
			f->tcp[0] = keep[0];
			f->tcp[1] = keep[1];
			return c == C_RST ? SL_CT_BAD_RST : SL_CT_OUT_OF_WINDOW;
		}
	}
	if (c == C_FIN)
		snd->flags |= SL_FLOW_TCP_F_FIN;
	if (dir == SL_FLOW_REPLY)
		f->flags |= SL_FLOW_F_SEEN_REPLY;
	if (next == S(ESTABLISHED) && (f->flags & SL_FLOW_F_SEEN_REPLY))
		f->flags |= SL_FLOW_F_ASSURED;
	f->state = next;
	return SL_CT_ACCEPT;
}

/* ---- UDP, ICMP echo, other ------------------------------------------------ */

void sl_ct_other_update(struct sl_flow *f, enum sl_flow_dir dir)
{
	if (dir == SL_FLOW_REPLY) {
		f->flags |= SL_FLOW_F_SEEN_REPLY;
		if (f->state == SL_CT_UDP_UNREPLIED)
			f->state = SL_CT_UDP_REPLIED;
		else if (f->state == SL_CT_UDP_REPLIED)
			f->flags |= SL_FLOW_F_ASSURED;
	} else if (f->state == SL_CT_UDP_REPLIED) {
		/* Both ways and on again: a stream, kept longer. */
		f->flags |= SL_FLOW_F_ASSURED;
	}
}

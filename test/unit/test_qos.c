/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The QoS scheduler on a synthetic clock: HTB's shares (guaranteed rates,
 * borrowing by prio up to the ceilings) measured over ten simulated
 * seconds against what HTB's rules give; FQ-CoDel's dequeue order, CoDel's
 * drops and the fattest-flow drops against a reference written from RFC
 * 8290 and RFC 8289's pseudocode, on random traffic; ECN marks instead of
 * drops; the configuration checks.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "sl_pkt.h"
#include "sl_qos.h"

#define HZ 1000000000ull        /* one cycle a nanosecond */
#define OVERHEAD 24

static struct rte_mempool *pool;
static uint64_t seed = 0x5851f42d4c957f2dull;

static uint32_t rnd(void)
{
	seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
	return (uint32_t)seed;
}

/* An IPv4 frame of @p len bytes with TOS @p tos, its id in the payload. */
static struct rte_mbuf *frame(uint16_t len, uint8_t tos, uint32_t id)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	assert_non_null(m);
	uint8_t *f = (uint8_t *)rte_pktmbuf_append(m, len);
	assert_non_null(f);
	memset(f, 0, 64);
	f[12] = 0x08;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + 14);
	ip->version_ihl = 0x45;
	ip->type_of_service = tos;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len - 14));
	ip->time_to_live = 64;
	ip->next_proto_id = 17;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	memcpy(f + 14 + 20 + 8, &id, 4);
	struct sl_pkt_meta *meta = sl_pkt_meta(m);
	memset(meta, 0, sizeof(*meta));
	meta->l2_len = 14;
	meta->l3_len = 20;
	meta->l3_type = SL_L3_IPV4;
	return m;
}

static uint32_t id_of(struct rte_mbuf *m)
{
	uint32_t id;
	memcpy(&id, rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 20 + 8), 4);
	return id;
}

static void leaf_defaults(struct sl_qos_class_conf *c)
{
	c->flows = 64;
	c->limit = 10240;
	c->memory = 32u << 20;
	c->fq_quantum = 1514;
	c->target_us = 5000;
	c->interval_us = 100000;
}

/* A class of @p rate / @p ceil Mbit/s, HTB's default bursts (a millisecond
 * of the rate and one packet). */
static void set_class(struct sl_qos_class_conf *c, uint16_t parent, uint64_t rate_mbit,
		      uint64_t ceil_mbit, uint8_t prio)
{
	memset(c, 0, sizeof(*c));
	c->parent = parent;
	c->rate = rate_mbit * 1000000;
	c->ceil = ceil_mbit * 1000000;
	c->prio = prio;
	c->quantum = 1514;
	c->burst = (uint32_t)(c->rate / 8 / 1000 + 1600);
	c->cburst = (uint32_t)(c->ceil / 8 / 1000 + 1600);
	leaf_defaults(c);
}

/* hi 40/80 prio 0, med 30/60 prio 1, lo 30/100 prio 2, under a 100 Mbit root. */
static void interactive(struct sl_qos_conf *q)
{
	memset(q, 0, sizeof(*q));
	q->n_classes = 4;
	q->overhead = OVERHEAD;
	set_class(&q->classes[0], SL_QOS_NONE, 100, 100, 0);
	set_class(&q->classes[1], 0, 40, 80, 0);
	set_class(&q->classes[2], 0, 30, 60, 1);
	set_class(&q->classes[3], 0, 30, 100, 2);
}

/*
 * Ten simulated seconds with the classes in @p busy (a bitmask of 1..3)
 * always backlogged with 1500-byte frames; the wire Mbit/s each got.
 */
static void run_tree(const struct sl_qos_conf *q, unsigned busy, double mbit[SL_QOS_MAX_CLASSES])
{
	struct sl_qos_sched *s = sl_qos_sched_create(q, HZ, SOCKET_ID_ANY);
	assert_non_null(s);
	uint64_t wire[SL_QOS_MAX_CLASSES] = {0};
	uint32_t id = 0;
	const uint64_t step = 20000, end = 10 * HZ;     /* 20 us */
	for (uint64_t now = 1; now < end; now += step) {
		for (uint16_t c = 1; c < q->n_classes; c++) {
			if (!(busy & (1u << c)))
				continue;
			while (sl_qos_stats(s, c)->backlog_packets < 8)
				sl_qos_enqueue(s, c, frame(1500, 0, id++), c, now);
		}
		struct rte_mbuf *out[64];
		unsigned n = sl_qos_dequeue(s, out, 64, now);
		for (unsigned i = 0; i < n; i++) {
			/* Which class: the id's low bits are not enough; ask the stats. */
			rte_pktmbuf_free(out[i]);
		}
	}
	for (uint16_t c = 1; c < q->n_classes; c++) {
		const struct sl_qos_class_stats *st = sl_qos_stats(s, c);
		wire[c] = st->bytes + st->packets * OVERHEAD;
		mbit[c] = (double)wire[c] * 8 / 10 / 1e6;
		assert_int_equal(st->drops[SL_QOS_DROP_CODEL], 0);
	}
	sl_qos_sched_free(s);
}

static void run_shares(unsigned busy, double mbit[SL_QOS_MAX_CLASSES])
{
	struct sl_qos_conf q;
	interactive(&q);
	run_tree(&q, busy, mbit);
}

static void assert_near(double got, double want, double tolerance)
{
	if (fabs(got - want) > want * tolerance)
		fail_msg("got %.2f Mbit/s, want %.2f within %.0f %%", got, want, tolerance * 100);
}

/* Test HTB's shares: each its rate when all are busy; spare capacity to the
 * borrowers by prio up to their ceilings. */
static void test_htb_shares(void **state)
{
	(void)state;
	double m[SL_QOS_MAX_CLASSES];
	run_shares(0xe, m);          /* all busy: the guaranteed rates */
	assert_near(m[1], 40, 0.02);
	assert_near(m[2], 30, 0.02);
	assert_near(m[3], 30, 0.02);
	run_shares(0xc, m);          /* hi idle: med borrows first, to its ceiling */
	assert_near(m[2], 60, 0.02);
	assert_near(m[3], 40, 0.02);
	run_shares(0x8, m);          /* lo alone: its ceiling, the link */
	assert_near(m[3], 100, 0.02);
	run_shares(0xa, m);          /* hi and lo: hi takes the spare, lo keeps its rate */
	assert_near(m[1], 70, 0.02);
	assert_near(m[3], 30, 0.02);
	/* Two levels: root 100 > inner 1 (60/100) > leaves 2, 3 (30/100 each);
	 * leaf 4 (40/40) under the root. */
	struct sl_qos_conf q;
	memset(&q, 0, sizeof(q));
	q.n_classes = 5;
	q.overhead = OVERHEAD;
	set_class(&q.classes[0], SL_QOS_NONE, 100, 100, 0);
	set_class(&q.classes[1], 0, 60, 100, 0);
	set_class(&q.classes[2], 1, 30, 100, 0);
	set_class(&q.classes[3], 1, 30, 100, 1);
	set_class(&q.classes[4], 0, 40, 40, 0);
	run_tree(&q, 0x4, m);        /* one leaf alone: through its parent to the link */
	assert_near(m[2], 100, 0.02);
	run_tree(&q, 0x14, m);       /* and the capped one: 40, the rest to it */
	assert_near(m[4], 40, 0.02);
	assert_near(m[2], 60, 0.02);
	run_tree(&q, 0xc, m);        /* siblings: their rates, the spare by prio */
	assert_near(m[2], 70, 0.02);
	assert_near(m[3], 30, 0.02);
}

/* ---- FQ-CoDel against a reference ---------------------------------------- */

#define RF 64               /* flows */
#define RQ 16384            /* packets a reference flow holds (above any leaf's limit here) */

/* The reference: RFC 8290 (lists, DRR) and RFC 8289 (CoDel), plainly. */
struct ref_pkt {
	uint32_t id, len;
	uint64_t t_in;
	bool ect;
};

struct ref_flow {
	struct ref_pkt q[RQ];
	unsigned head, n;
	uint32_t bytes;
	int32_t deficit;
	int where;              /* 0 none, 1 new, 2 old */
	uint64_t first_above, drop_next;
	uint32_t count, lastcount;
	bool dropping;
};

static struct ref {
	struct ref_flow f[RF];
	int newl[RF * 4], oldl[RF * 4];
	unsigned nn, no;        /* list lengths (arrays used as queues) */
	uint32_t packets, bytes, maxpacket;
	uint32_t limit, quantum;
	uint64_t target, interval;
	bool ecn;
	unsigned codel_drops, marks, limit_drops;
} ref;

static void ref_push(int *l, unsigned *n, int v)
{
	l[(*n)++] = v;
}

static int ref_shift(int *l, unsigned *n)
{
	int v = l[0];
	memmove(l, l + 1, (*n - 1) * sizeof(int));
	(*n)--;
	return v;
}

static struct ref_pkt ref_take(struct ref_flow *f)
{
	struct ref_pkt p = f->q[f->head];
	f->head = (f->head + 1) % RQ;
	f->n--;
	f->bytes -= p.len;
	ref.packets--;
	ref.bytes -= p.len;
	return p;
}

static void ref_enqueue(unsigned flow, struct ref_pkt p)
{
	struct ref_flow *f = &ref.f[flow];
	f->q[(f->head + f->n) % RQ] = p;
	f->n++;
	f->bytes += p.len;
	ref.packets++;
	ref.bytes += p.len;
	if (p.len > ref.maxpacket)
		ref.maxpacket = p.len;
	if (f->where == 0) {
		f->where = 1;
		f->deficit = (int32_t)ref.quantum;
		ref_push(ref.newl, &ref.nn, (int)flow);
	}
	if (ref.packets > ref.limit) {
		unsigned fat = 0;
		for (unsigned i = 1; i < RF; i++)
			if (ref.f[i].bytes > ref.f[fat].bytes)
				fat = i;
		uint32_t half = ref.f[fat].bytes / 2, gone = 0;
		for (unsigned k = 0; k < 64 && ref.f[fat].n > 0 && (k == 0 || gone < half); k++) {
			gone += ref_take(&ref.f[fat]).len;
			ref.limit_drops++;
		}
	}
}

/* RFC 8289's dodequeue: the head, and whether it may be dropped. */
static bool ref_ok_to_drop(struct ref_flow *f, const struct ref_pkt *p, uint64_t now)
{
	if (p == NULL) {
		f->first_above = 0;
		return false;
	}
	uint64_t sojourn = ((now >> SL_QOS_TIME_SHIFT) - (p->t_in >> SL_QOS_TIME_SHIFT))
			   << SL_QOS_TIME_SHIFT;
	if (sojourn < ref.target || f->bytes <= ref.maxpacket) {
		f->first_above = 0;
		return false;
	}
	if (f->first_above == 0) {
		f->first_above = now + ref.interval;
		return false;
	}
	return now >= f->first_above;
}

static uint64_t ref_law(uint64_t t, uint32_t count)
{
	return t + (uint64_t)((double)ref.interval / sqrt((double)count));
}

/* Drop @p p or mark it: true when it goes on (marked). */
static bool ref_drop(struct ref_pkt *p)
{
	if (ref.ecn && p->ect) {
		ref.marks++;
		return true;
	}
	ref.codel_drops++;
	return false;
}

static bool ref_codel(struct ref_flow *f, uint64_t now, struct ref_pkt *out)
{
	if (f->n == 0) {
		f->first_above = 0;
		f->dropping = false;
		return false;
	}
	struct ref_pkt p = ref_take(f);
	bool has = true;
	bool drop = ref_ok_to_drop(f, &p, now);
	if (f->dropping) {
		if (!drop) {
			f->dropping = false;
		} else {
			while (has && now >= f->drop_next && f->dropping) {
				f->count++;
				if (ref_drop(&p)) {
					f->drop_next = ref_law(f->drop_next, f->count);
					break;
				}
				has = f->n > 0;
				if (has)
					p = ref_take(f);
				if (!ref_ok_to_drop(f, has ? &p : NULL, now))
					f->dropping = false;
				else
					f->drop_next = ref_law(f->drop_next, f->count);
			}
		}
	} else if (drop) {
		if (!ref_drop(&p)) {
			has = f->n > 0;
			if (has)
				p = ref_take(f);
			ref_ok_to_drop(f, has ? &p : NULL, now);
		}
		f->dropping = true;
		uint32_t delta = f->count - f->lastcount;
		f->count = delta > 1 && now - f->drop_next < 16 * ref.interval ? delta : 1;
		f->lastcount = f->count;
		f->drop_next = ref_law(now, f->count);
	}
	if (has)
		*out = p;
	return has;
}

static bool ref_dequeue(uint64_t now, struct ref_pkt *out)
{
	for (;;) {
		bool from_new = ref.nn > 0;
		if (!from_new && ref.no == 0)
			return false;
		int flow = from_new ? ref.newl[0] : ref.oldl[0];
		struct ref_flow *f = &ref.f[flow];
		if (f->deficit <= 0) {
			f->deficit += (int32_t)ref.quantum;
			ref_shift(from_new ? ref.newl : ref.oldl, from_new ? &ref.nn : &ref.no);
			f->where = 2;
			ref_push(ref.oldl, &ref.no, flow);
			continue;
		}
		if (!ref_codel(f, now, out)) {
			ref_shift(from_new ? ref.newl : ref.oldl, from_new ? &ref.nn : &ref.no);
			if (from_new && ref.no > 0) {
				f->where = 2;
				ref_push(ref.oldl, &ref.no, flow);
			} else {
				f->where = 0;
			}
			continue;
		}
		f->deficit -= (int32_t)out->len;
		if (ref.packets == 0) {
			/* Nothing left: every flow off the lists. */
			for (unsigned i = 0; i < RF; i++)
				ref.f[i].where = 0;
			ref.nn = ref.no = 0;
		}
		return true;
	}
}

/* One leaf under a root far faster than the traffic: what leaves is FQ-CoDel's order. */
static struct sl_qos_sched *one_leaf(uint32_t limit, bool ecn)
{
	struct sl_qos_conf q;
	memset(&q, 0, sizeof(q));
	q.n_classes = 2;
	set_class(&q.classes[0], SL_QOS_NONE, 100000, 100000, 0);
	set_class(&q.classes[1], 0, 100000, 100000, 0);
	q.classes[1].flows = RF;
	q.classes[1].limit = limit;
	q.classes[1].ecn = ecn;
	memset(&ref, 0, sizeof(ref));
	ref.limit = limit;
	ref.quantum = 1514;
	ref.maxpacket = 1514;
	ref.target = 5000ull * HZ / 1000000;
	ref.interval = 100000ull * HZ / 1000000;
	ref.ecn = ecn;
	struct sl_qos_sched *s = sl_qos_sched_create(&q, HZ, SOCKET_ID_ANY);
	assert_non_null(s);
	return s;
}

/* Random traffic: bursts into few flows, dequeues at a slower pace so that
 * queues build and CoDel acts; every packet out must be the reference's. */
static void compare_with_reference(uint32_t limit, bool ecn)
{
	struct sl_qos_sched *s = one_leaf(limit, ecn);
	uint64_t now = HZ;
	uint32_t id = 0;
	unsigned out_n = 0;
	for (unsigned op = 0; op < 60000; op++) {
		now += rnd() % 200000;                     /* up to 0.2 ms */
		if (rnd() % 100 < 55) {
			unsigned flow = rnd() % 100 < 80 ? rnd() % 4 : rnd() % RF;
			uint16_t len = (uint16_t)(64 + rnd() % 1437);
			bool ect = rnd() & 1;
			sl_qos_enqueue(s, 1, frame(len, ect ? 2 : 0, id), flow, now);
			ref_enqueue(flow, (struct ref_pkt){.id = id, .len = len, .t_in = now,
							   .ect = ect});
			id++;
		} else {
			struct rte_mbuf *m;
			unsigned n = sl_qos_dequeue(s, &m, 1, now);
			struct ref_pkt p;
			bool has = ref_dequeue(now, &p);
			assert_int_equal(n, has ? 1 : 0);
			if (n == 1) {
				assert_int_equal(id_of(m), p.id);
				out_n++;
				rte_pktmbuf_free(m);
			}
		}
		const struct sl_qos_class_stats *st = sl_qos_stats(s, 1);
		assert_int_equal(st->drops[SL_QOS_DROP_CODEL], ref.codel_drops);
		assert_int_equal(st->drops[SL_QOS_DROP_OVERLIMIT], ref.limit_drops);
		assert_int_equal(st->ecn_marks, ref.marks);
		assert_int_equal(st->backlog_packets, ref.packets);
	}
	print_message("%u sent, %u CoDel drops, %u marks, %u limit drops\n", out_n,
		      ref.codel_drops, ref.marks, ref.limit_drops);
	assert_true(out_n > 1000);
	if (ecn)
		assert_true(ref.marks > 0);
	else
		assert_true(ref.codel_drops > 0);
	sl_qos_sched_free(s);
}

static void test_fq_codel_reference(void **state)
{
	(void)state;
	compare_with_reference(10240, false);
	compare_with_reference(10240, true);
	compare_with_reference(200, false);      /* the limit bites: fattest-flow drops */
	assert_true(ref.limit_drops > 0);
}

/* Test that a sparse flow overtakes a bulk one (new flows first). */
static void test_sparse_flow_first(void **state)
{
	(void)state;
	struct sl_qos_sched *s = one_leaf(10240, false);
	for (uint32_t i = 0; i < 50; i++)
		sl_qos_enqueue(s, 1, frame(1500, 0, i), 7, 1000);
	struct rte_mbuf *out[64];
	assert_int_equal(sl_qos_dequeue(s, out, 2, 2000), 2);   /* the bulk flow's turn */
	rte_pktmbuf_free_bulk(out, 2);
	sl_qos_enqueue(s, 1, frame(100, 0, 999), 9, 3000);
	assert_int_equal(sl_qos_dequeue(s, out, 1, 4000), 1);
	assert_int_equal(id_of(out[0]), 999);
	rte_pktmbuf_free(out[0]);
	unsigned n = sl_qos_dequeue(s, out, 64, 5000);
	assert_int_equal(n, 48);
	rte_pktmbuf_free_bulk(out, n);
	sl_qos_sched_free(s);
}

/* Test the configuration's checks. */
static void test_conf_check(void **state)
{
	(void)state;
	struct sl_qos_conf q;
	char err[128];
	interactive(&q);
	assert_int_equal(sl_qos_conf_check(&q, err, sizeof(err)), 0);
	q.classes[2].ceil = 120000000;
	assert_int_equal(sl_qos_conf_check(&q, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "class 2: ceil above its parent's");
	interactive(&q);
	q.classes[3].rate = 40000000;
	assert_int_equal(sl_qos_conf_check(&q, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "class 0: its children's rates add up to more than its rate");
	interactive(&q);
	q.classes[1].flows = 100;
	assert_int_equal(sl_qos_conf_check(&q, err, sizeof(err)), -EINVAL);
	interactive(&q);
	q.classes[2].parent = 3;
	assert_int_equal(sl_qos_conf_check(&q, err, sizeof(err)), -EINVAL);
}

/* Test the drops other workers count for a class (flow_full: the ring to
 * the owner was full): summed over the workers, per class, beside the
 * owner's own reasons. */
static void test_lost_by_workers(void **state)
{
	(void)state;
	struct sl_qos_conf q;
	interactive(&q);
	struct sl_qos_sched *s = sl_qos_sched_create(&q, HZ, SOCKET_ID_ANY);
	assert_non_null(s);
	sl_qos_count_lost(s, 0, 2);
	sl_qos_count_lost(s, 3, 2);
	sl_qos_count_lost(s, SL_QOS_MAX_WORKERS - 1, 2);
	sl_qos_count_lost(s, 1, 3);
	sl_qos_count_lost(s, SL_QOS_MAX_WORKERS, 3);    /* out of range: ignored */
	assert_int_equal(sl_qos_class_drops(s, 2, SL_QOS_DROP_FLOW_FULL), 3);
	assert_int_equal(sl_qos_class_drops(s, 3, SL_QOS_DROP_FLOW_FULL), 1);
	assert_int_equal(sl_qos_class_drops(s, 1, SL_QOS_DROP_FLOW_FULL), 0);
	assert_int_equal(sl_qos_class_drops(s, 2, SL_QOS_DROP_OVERLIMIT), 0);
	assert_int_equal(sl_qos_stats(s, 2)->drops[SL_QOS_DROP_FLOW_FULL], 0);
	assert_int_equal(sl_qos_class_drops(s, 9, SL_QOS_DROP_FLOW_FULL), 0);
	sl_qos_sched_free(s);
}

int main(void)
{
	char *argv[] = {"test", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			"--no-telemetry", "--log-level=lib.*:error"};
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("qos_test", 32767, 0, SL_PKT_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_check),
		cmocka_unit_test(test_sparse_flow_first),
		cmocka_unit_test(test_fq_codel_reference),
		cmocka_unit_test(test_htb_shares),
		cmocka_unit_test(test_lost_by_workers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

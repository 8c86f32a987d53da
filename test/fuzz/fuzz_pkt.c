/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the parse stage.
 *
 * Principles: the input is a frame; it is parsed as one segment and again
 * split in two (input[0] picks the split, input[size-1] the NIC's offload
 * flags), both through sl_pkt_parse_burst() and sl_pkt_drop_rejects() so
 * the partition is fuzzed too. Every outcome is re-checked by the
 * independent checker in pkt_check.h; segments sit on exact-size heap
 * buffers so AddressSanitizer flags any read past a segment's end.
 *
 * Build:  clang -fsanitize=fuzzer,address,undefined ... fuzz_pkt.c sl_pkt.c sl_stats.c
 * Run:    ./fuzz_pkt -max_total_time=60 test/fuzz/corpus/pkt
 */
#include <stdio.h>
#include <stdlib.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "pkt_check.h"
#include "sl_pkt.h"

#define RX_TSC 0x0102030405060708ull
#define IN_PORT 5

static struct rte_mempool *pool;

static void init_once(void)
{
	/* Not --in-memory: with --no-huge, DPDK 22.11 rejects it. */
	char *argv[] = {"fuzz_pkt", "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
			"--no-telemetry", "--log-level=lib.*:error"};

	if (pool != NULL)
		return;
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		abort();
	pool = rte_pktmbuf_pool_create("fuzz_pkt", 63, 0, SL_PKT_PRIV_SIZE,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		abort();
}

static void broken(const char *why, size_t size, unsigned variant)
{
	fprintf(stderr, "parse guarantee broken (input %zu bytes, variant %u): %s\n", size,
		variant, why);
	abort();
}

static struct rte_mbuf *variant(const uint8_t *data, size_t size, size_t split,
				uint64_t ol_flags)
{
	struct rte_mbuf *m = pkt_check_mbuf(pool, data, size, split);
	struct sl_pkt_meta *mt;

	if (m == NULL)
		abort();
	mt = sl_pkt_meta(m);
	memset(mt, 0x5a, sizeof(*mt));
	mt->rx_tsc = RX_TSC;
	mt->in_port = IN_PORT;
	m->ol_flags |= ol_flags;
	m->hash.rss = 0xc0ffee;
	return m;
}

static const char *check(const struct rte_mbuf *m, bool passed, const uint8_t *data,
			 size_t size)
{
	uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	const char *why;

	if (passed) {
		why = pkt_check_pass(m, RX_TSC, IN_PORT, ck == RTE_MBUF_F_RX_IP_CKSUM_GOOD);
		if (why == NULL && ck == RTE_MBUF_F_RX_IP_CKSUM_BAD &&
		    sl_pkt_meta((struct rte_mbuf *)(uintptr_t)m)->l3_type == SL_L3_IPV4)
			why = "passed with the NIC's bad-checksum flag";
	} else {
		why = pkt_check_reject(m, RX_TSC, IN_PORT);
	}
	if (why == NULL && !pkt_check_bytes(m, data, size))
		why = "packet bytes changed";
	return why;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t flags[4] = {0, RTE_MBUF_F_RX_IP_CKSUM_GOOD,
					  RTE_MBUF_F_RX_IP_CKSUM_BAD, RTE_MBUF_F_RX_RSS_HASH};
	struct rte_mbuf *pkts[2];
	struct sl_lcore_stats st;
	uint16_t n = 0, np;
	uint64_t dropped = 0;

	if (size > UINT16_MAX) /* an mbuf segment holds at most this */
		return 0;
	init_once();
	pkts[n++] = variant(data, size, 0, 0);
	if (size >= 2)
		pkts[n++] = variant(data, size, 1 + data[0] % (size - 1), flags[data[size - 1] & 3]);

	memset(&st, 0, sizeof(st));
	const struct sl_pkt_parse_ctx ctx = {.st = &st, .in_port = IN_PORT};
	np = sl_pkt_parse_burst(&ctx, pkts, n, RX_TSC);
	if (st.port[IN_PORT].rx_packets != n ||
	    st.port[IN_PORT].rx_bytes != (uint64_t)size * n)
		broken("rx counters", size, 0);
	for (uint16_t i = 0; i < n; i++) {
		const char *why = check(pkts[i], i < np, data, size);

		if (why != NULL)
			broken(why, size, pkts[i]->nb_segs);
	}
	memset(&st, 0, sizeof(st));
	sl_pkt_drop_rejects(&st, pkts + np, (uint16_t)(n - np));
	for (unsigned r = 0; r < SL_DROP_MAX; r++)
		dropped += st.drops[r];
	if (dropped != (uint64_t)(n - np))
		broken("drop count", size, 0);
	rte_pktmbuf_free_bulk(pkts, np);
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Maglev lookup table (Eisenbud et al., "Maglev: A Fast and Reliable
 * Software Network Load Balancer", NSDI 2016, section 3.4).
 *
 * Each backend has its own permutation of the table's positions, from two
 * hashes of its identity (offset and skip; the table size is prime, so
 * every skip visits every position). Backends take turns claiming their
 * next preferred free position until the table is full. Entries are thus
 * balanced to within one per turn, and removing a backend moves little
 * besides its own entries: the others' preferences do not change.
 *
 * Weights: in each turn a backend claims as many positions as its weight
 * (divided by the weights' greatest common divisor), so its share of the
 * table is its share of the total weight.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>

#include "sl_lb.h"

static uint32_t gcd(uint32_t a, uint32_t b)
{
	while (b != 0) {
		uint32_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* CRC32-C of the identity with a seed: two independent-enough hashes. */
static uint32_t id_hash(const struct sl_maglev_backend *b, uint32_t seed)
{
	return rte_hash_crc(b->id, b->id_len, seed);
}

int sl_maglev_build(const struct sl_maglev_backend *b, unsigned n, uint16_t *table, uint32_t size)
{
	uint32_t g = 0;
	for (unsigned i = 0; i < n; i++)
		g = gcd(g, b[i].weight);
	if (g == 0 || size < 2)
		return -EINVAL;
	uint32_t *offset = malloc(sizeof(uint32_t) * n * 3);
	if (offset == NULL)
		return -ENOMEM;
	uint32_t *skip = offset + n, *next = skip + n;
	for (unsigned i = 0; i < n; i++) {
		offset[i] = id_hash(&b[i], 0x9e3779b9) % size;
		skip[i] = id_hash(&b[i], 0x7f4a7c15) % (size - 1) + 1;
		next[i] = 0;
	}
	memset(table, 0xff, sizeof(*table) * size);
	uint32_t filled = 0;
	while (filled < size) {
		for (unsigned i = 0; i < n && filled < size; i++) {
			for (uint32_t turn = b[i].weight / g; turn > 0 && filled < size; turn--) {
				uint32_t pos;
				do {
					pos = (uint32_t)(((uint64_t)offset[i] +
							  (uint64_t)next[i] * skip[i]) % size);
					next[i]++;
				} while (table[pos] != UINT16_MAX);
				table[pos] = (uint16_t)i;
				filled++;
			}
		}
	}
	free(offset);
	return 0;
}

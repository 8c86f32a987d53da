/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport data AEAD with Intel ipsec-mb's multi-buffer ChaCha20-Poly1305:
 * a worker hands a whole burst to its manager, which encrypts several
 * packets at once in the SIMD lanes. In place on the mbuf; ipsec-mb
 * computes the tag when decrypting but does not check it, so it is written
 * to scratch and compared here in constant time.
 */
#include <stdio.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "sl_wg.h"

struct sl_wg_cipher {
	IMB_MGR *mgr;
	IMB_ARCH arch;
	/* Live until the jobs complete: ipsec-mb reads the IVs then. */
	uint8_t iv[SL_WG_CIPHER_BURST][12];
	uint8_t tag[SL_WG_CIPHER_BURST][SL_WG_TAG_LEN];
};

struct sl_wg_cipher *sl_wg_cipher_create(int socket, char *err, size_t err_len)
{
	struct sl_wg_cipher *c = rte_zmalloc_socket("wg_cipher", sizeof(*c), RTE_CACHE_LINE_SIZE,
						    socket);
	void *mem = rte_zmalloc_socket("wg_imb_mgr", imb_get_mb_mgr_size(), 64, socket);
	if (c == NULL || mem == NULL) {
		snprintf(err, err_len, "no memory for an ipsec-mb manager");
		goto fail;
	}
	c->mgr = imb_set_pointers_mb_mgr(mem, 0, 1);
	if (c->mgr == NULL) {
		snprintf(err, err_len, "ipsec-mb refused its manager's memory");
		goto fail;
	}
	init_mb_mgr_auto(c->mgr, &c->arch);
	if (imb_get_errno(c->mgr) != 0) {
		snprintf(err, err_len, "ipsec-mb: %s", imb_get_strerror(imb_get_errno(c->mgr)));
		goto fail;
	}
	return c;
fail:
	rte_free(mem);
	rte_free(c);
	return NULL;
}

void sl_wg_cipher_free(struct sl_wg_cipher *c)
{
	if (c == NULL)
		return;
	rte_free(c->mgr);
	rte_free(c);
}

const char *sl_wg_cipher_arch(const struct sl_wg_cipher *c)
{
	switch (c->arch) {
	case IMB_ARCH_SSE: return "sse";
	case IMB_ARCH_AVX: return "avx";
	case IMB_ARCH_AVX2: return "avx2";
	case IMB_ARCH_AVX512: return "avx512";
	default: return "other";
	}
}

/* Submit @p n jobs and wait for all of them (a burst is one unit):
 * bit i of the result is set when op i completed. */
static uint64_t run_burst(struct sl_wg_cipher *c, const struct sl_wg_cipher_op *ops, uint16_t n,
			  IMB_CIPHER_DIRECTION dir)
{
	IMB_JOB *jobs[SL_WG_CIPHER_BURST];
	uint64_t completed = 0;
	/* No call leaves jobs behind, so the queue always has room. */
	uint32_t got = IMB_GET_NEXT_BURST(c->mgr, n, jobs);
	RTE_VERIFY(got == n);
	for (uint16_t i = 0; i < n; i++) {
		const struct sl_wg_cipher_op *op = &ops[i];
		uint8_t *data = rte_pktmbuf_mtod_offset(op->m, uint8_t *, op->off);
		IMB_JOB *j = jobs[i];
		sl_wg_nonce(c->iv[i], op->counter);
		j->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
		j->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
		j->cipher_direction = dir;
		j->chain_order = dir == IMB_DIR_ENCRYPT ? IMB_ORDER_CIPHER_HASH
							: IMB_ORDER_HASH_CIPHER;
		j->enc_keys = op->key;
		j->dec_keys = op->key;
		j->key_len_in_bytes = SL_WG_KEY_LEN;
		j->src = data;
		j->dst = data;
		j->cipher_start_src_offset_in_bytes = 0;
		j->msg_len_to_cipher_in_bytes = op->len;
		j->hash_start_src_offset_in_bytes = 0;
		j->msg_len_to_hash_in_bytes = op->len;
		j->iv = c->iv[i];
		j->iv_len_in_bytes = sizeof(c->iv[i]);
		j->u.CHACHA20_POLY1305.aad = NULL;
		j->u.CHACHA20_POLY1305.aad_len_in_bytes = 0;
		j->auth_tag_output = dir == IMB_DIR_ENCRYPT ? data + op->len : c->tag[i];
		j->auth_tag_output_len_in_bytes = SL_WG_TAG_LEN;
		j->user_data = (void *)(uintptr_t)i;
	}
	uint32_t done = IMB_SUBMIT_BURST(c->mgr, n, jobs);
	uint32_t total = 0;
	for (;;) {
		for (uint32_t k = 0; k < done; k++)
			if (jobs[k]->status == IMB_STATUS_COMPLETED)
				completed |= 1ull << (uintptr_t)jobs[k]->user_data;
		total += done;
		if (total >= n)
			break;
		/* Jobs still in the lanes, or a job refused (0 completed):
		 * flushing finishes the rest either way. */
		done = IMB_FLUSH_BURST(c->mgr, n - total, jobs);
		if (done == 0)
			break;
	}
	return completed;
}

uint64_t sl_wg_seal_burst(struct sl_wg_cipher *c, const struct sl_wg_cipher_op *ops, uint16_t n)
{
	return n > 0 ? run_burst(c, ops, n, IMB_DIR_ENCRYPT) : 0;
}

uint64_t sl_wg_open_burst(struct sl_wg_cipher *c, const struct sl_wg_cipher_op *ops, uint16_t n)
{
	uint64_t ok = n > 0 ? run_burst(c, ops, n, IMB_DIR_DECRYPT) : 0;
	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *tag = rte_pktmbuf_mtod_offset(ops[i].m, const uint8_t *,
							     ops[i].off + ops[i].len);
		if (!sl_wg_equal(tag, c->tag[i], SL_WG_TAG_LEN))
			ok &= ~(1ull << i);
	}
	return ok;
}

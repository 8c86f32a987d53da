/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the configuration parser: arbitrary bytes as a
 * config document (what PUT /api/v1/config accepts from a client).
 *
 * Invariants checked, not just "no crash": a rejected document always gets
 * a non-empty "<path>: <problem>" message; an accepted one round-trips
 * (parse(to_json(cfg)) succeeds and serialises identically), diffs empty
 * against itself, and can be applied live over itself.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sl_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(struct sl_config *cfg)
{
	char err[SL_CONFIG_ERR_MAX];
	json_t *j = sl_config_to_json(cfg);
	assert(j != NULL);
	struct sl_config *again = sl_config_parse(j, err, sizeof(err));
	assert(again != NULL);
	json_t *j2 = sl_config_to_json(again);
	assert(json_equal(j, j2));
	json_t *diff = sl_config_diff(cfg, again);
	assert(json_array_size(diff) == 0);
	assert(sl_config_check_live_change(cfg, again, err, sizeof(err)) == 0);
	json_decref(diff);
	json_decref(j2);
	json_decref(j);
	sl_config_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[SL_CONFIG_ERR_MAX] = "";
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (doc == NULL)
		return 0;
	struct sl_config *cfg = sl_config_parse(doc, err, sizeof(err));
	if (cfg == NULL) {
		assert(err[0] != '\0' && strstr(err, ": ") != NULL);
	} else {
		check_accepted(cfg);
		sl_config_free(cfg);
	}
	json_decref(doc);
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "syn_proxy" of a TCP service or port forward: whether sluice answers the
 * SYNs for it with SYN cookies and opens the connection to the backend only
 * once the client has proved its address (doc/configuration.md).
 *
 *   "syn_proxy": "always"
 *   "syn_proxy": "auto"                              (above 1000 SYNs/s)
 *   "syn_proxy": {"mode": "auto", "above": "20000/s"}
 */
#include <errno.h>
#include <string.h>

#include "config_priv.h"

static const char *const mode_names[] = {"off", "always", "auto", NULL};

int cfg_get_syn_proxy(struct pctx *c, const char *path, const json_t *v,
		      struct sl_config_syn_proxy *out)
{
	char sub[PATH_LEN];
	out->mode = SL_SYN_PROXY_OFF;
	out->above = SL_SYN_PROXY_AUTO_DEFAULT;
	if (json_is_string(v))
		return cfg_get_enum(c, path, v, mode_names, "off, always, auto", &out->mode);
	if (!json_is_object(v))
		return cfg_fail(c, path, "expected \"off\", \"always\", \"auto\" or an object "
				"{\"mode\", \"above\"}");
	const char *key;
	json_t *val;
	json_object_foreach((json_t *)v, key, val) {
		cfg_join(sub, path, key);
		if (strcmp(key, "mode") == 0) {
			if (cfg_get_enum(c, sub, val, mode_names, "off, always, auto", &out->mode) != 0)
				return -EINVAL;
		} else if (strcmp(key, "above") == 0) {
			uint64_t rate;
			if (cfg_get_units(c, sub, val, &cfg_per_second_kind, 1, 100000000, &rate) != 0)
				return -EINVAL;
			out->above = (uint32_t)rate;
		} else {
			return cfg_fail(c, sub, "unknown key");
		}
	}
	if (cfg_required(c, path, v, "mode") != 0)
		return -EINVAL;
	if (json_object_get(v, "above") != NULL && out->mode != SL_SYN_PROXY_AUTO) {
		cfg_join(sub, path, "above");
		return cfg_fail(c, sub, "only used with mode \"auto\"");
	}
	return 0;
}

bool sl_config_syn_proxy_used(const struct sl_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_dnat; i++)
		if (cfg->dnat[i].syn_proxy.mode != SL_SYN_PROXY_OFF)
			return true;
	for (unsigned i = 0; i < cfg->n_services; i++)
		if (cfg->services[i].syn_proxy.mode != SL_SYN_PROXY_OFF)
			return true;
	return false;
}

json_t *cfg_syn_proxy_json(const struct sl_config_syn_proxy *sp)
{
	if (sp->mode == SL_SYN_PROXY_OFF)
		return NULL;
	if (sp->mode == SL_SYN_PROXY_ALWAYS)
		return json_string("always");
	char rate[SL_UNITS_STR_MAX];
	sl_format_per_second(sp->above, rate, sizeof(rate));
	return json_pack("{s:s, s:s}", "mode", "auto", "above", rate);
}

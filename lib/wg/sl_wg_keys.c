/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keys as people and tools write them: base64 (wg(8), wg-quick files, the
 * REST API; 44 characters, one '=') and lowercase hex (the UAPI socket).
 * Decoding is strict: a key has exactly one spelling in each.
 */
#include <string.h>

#include "sl_wg.h"

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void sl_wg_key_to_base64(const uint8_t key[SL_WG_KEY_LEN], char out[SL_WG_KEY_B64_LEN + 1])
{
	unsigned o = 0;
	for (unsigned i = 0; i < SL_WG_KEY_LEN; i += 3) {
		uint32_t v = (uint32_t)key[i] << 16;
		if (i + 1 < SL_WG_KEY_LEN)
			v |= (uint32_t)key[i + 1] << 8;
		if (i + 2 < SL_WG_KEY_LEN)
			v |= key[i + 2];
		out[o++] = B64[(v >> 18) & 63];
		out[o++] = B64[(v >> 12) & 63];
		out[o++] = i + 1 < SL_WG_KEY_LEN ? B64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < SL_WG_KEY_LEN ? B64[v & 63] : '=';
	}
	out[o] = '\0';
}

static int b64_value(char c)
{
	const char *p = c != '\0' ? strchr(B64, c) : NULL;
	return p != NULL ? (int)(p - B64) : -1;
}

bool sl_wg_key_from_base64(const char *s, uint8_t key[SL_WG_KEY_LEN])
{
	uint8_t out[33];
	if (strlen(s) != SL_WG_KEY_B64_LEN || s[43] != '=')
		return false;
	unsigned o = 0;
	for (unsigned i = 0; i < 44; i += 4) {
		int v[4];
		for (unsigned k = 0; k < 4; k++)
			v[k] = i + k == 43 ? 0 : b64_value(s[i + k]);
		if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0) {
			sl_wg_wipe(out, sizeof(out));
			return false;
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
			     (uint32_t)v[3];
		out[o++] = (uint8_t)(w >> 16);
		out[o++] = (uint8_t)(w >> 8);
		if (o < 33)
			out[o++] = (uint8_t)w;
	}
	/* The last character's two low bits carry nothing: they must be zero. */
	if (b64_value(s[42]) & 3) {
		sl_wg_wipe(out, sizeof(out));
		return false;
	}
	memcpy(key, out, SL_WG_KEY_LEN);
	sl_wg_wipe(out, sizeof(out));
	return true;
}

void sl_wg_key_to_hex(const uint8_t key[SL_WG_KEY_LEN], char out[SL_WG_KEY_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	for (unsigned i = 0; i < SL_WG_KEY_LEN; i++) {
		out[2 * i] = hex[key[i] >> 4];
		out[2 * i + 1] = hex[key[i] & 15];
	}
	out[SL_WG_KEY_HEX_LEN] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool sl_wg_key_from_hex(const char *s, uint8_t key[SL_WG_KEY_LEN])
{
	uint8_t out[SL_WG_KEY_LEN];
	if (strlen(s) != SL_WG_KEY_HEX_LEN)
		return false;
	for (unsigned i = 0; i < SL_WG_KEY_LEN; i++) {
		int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			sl_wg_wipe(out, sizeof(out));
			return false;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(key, out, sizeof(out));
	sl_wg_wipe(out, sizeof(out));
	return true;
}

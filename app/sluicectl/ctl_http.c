/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP for sluicectl: one libcurl request, its answer decoded, its errors
 * turned into one line on stderr and an exit status.
 *
 * Principles:
 *  - Only http and https, no redirects: a bearer token must never be sent
 *    to a host the user did not name.
 *  - The answer is bounded (ANSWER_MAX); a runaway server cannot eat the
 *    machine's memory.
 *  - The token is copied into exactly one header string, which is wiped
 *    (with libcurl's copy of the header list) before it is freed.
 *  - An error answer is shown as the server worded it (RFC 9457 "detail",
 *    plus "field"), because the server knows which field was wrong.
 *  - --json output is the server's own text re-indented: no number or
 *    string goes through a parse and print round trip.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "sl_build_config.h"
#include "sluicectl.h"

#define ANSWER_MAX (64u << 20)   /* largest answer body kept, bytes */
#define PROBLEM_TYPE "application/problem+json"

struct recv_buf {
	char *data;
	size_t len;
	size_t cap;
	bool too_big;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct recv_buf *b = arg;
	size_t n = size * nmemb, cap;
	char *grown;

	if (n > ANSWER_MAX - b->len) {
		b->too_big = true;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap != 0 ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		grown = realloc(b->data, cap);
		if (grown == NULL)
			return 0;
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static void wipe_headers(struct curl_slist *h)
{
	for (struct curl_slist *p = h; p != NULL; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(h);
}

/* Request headers; the Authorization one is built in place and wiped. */
static struct curl_slist *make_headers(const struct ctl *c, bool has_body)
{
	struct curl_slist *h = NULL, *next;
	const char *fixed[] = { "Accept: application/json, " PROBLEM_TYPE,
				"User-Agent: sluicectl/" SLUICE_VERSION,
				"Expect:", has_body ? "Content-Type: application/json" : NULL };
	char *auth;
	size_t n;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) && fixed[i] != NULL; i++) {
		next = curl_slist_append(h, fixed[i]);
		if (next == NULL)
			goto err_free;
		h = next;
	}
	if (c->token == NULL)
		return h;
	n = strlen("Authorization: Bearer ") + strlen(c->token) + 1;
	auth = malloc(n);
	if (auth == NULL)
		goto err_free;
	snprintf(auth, n, "Authorization: Bearer %s", c->token);
	next = curl_slist_append(h, auth);
	explicit_bzero(auth, n);
	free(auth);
	if (next == NULL)
		goto err_free;
	return next;

err_free:
	wipe_headers(h);
	return NULL;
}

static int setup_handle(CURL *e, const struct ctl *c, const char *url, const char *method,
			const char *body, struct curl_slist *headers)
{
	CURLcode rc = CURLE_OK;

#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, val); } while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, c->timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		SET(CURLOPT_POSTFIELDS, body);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	}
#undef SET
	return rc == CURLE_OK ? 0 : -EINVAL;
}

/* Write @p s with control characters as '?': it came from the server. */
static void put_untrusted(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		fputc(ch < 0x20 || ch == 0x7f ? '?' : ch, out);
	}
}

static const char *json_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* Print why a non-accepted status is an error. */
static int report_status(const struct ctl *c, const struct ctl_answer *a, bool problem)
{
	const char *detail = json_str(a->json, "detail"), *field = json_str(a->json, "field");

	if (detail == NULL || detail[0] == '\0')
		detail = json_str(a->json, "title");
	if (!problem || detail == NULL) {
		fprintf(stderr, "sluicectl: %s answered HTTP %ld\n", c->api, a->status);
		return CTL_EXIT_SERVER;
	}
	fputs("sluicectl: ", stderr);
	put_untrusted(stderr, detail);
	fputc('\n', stderr);
	if (field != NULL) {
		fputs("sluicectl: field: ", stderr);
		put_untrusted(stderr, field);
		fputc('\n', stderr);
	}
	if (a->status == 401 && c->token == NULL)
		fputs("sluicectl: give a token with --token-file, SLUICE_TOKEN or SLUICE_TOKEN_FILE\n",
		      stderr);
	return CTL_EXIT_SERVER;
}

/* Decode the body and decide whether the status is an answer or an error. */
static int judge(const struct ctl *c, struct ctl_answer *a, const char *ctype, long also_ok)
{
	bool ok = (a->status >= 200 && a->status < 300) || a->status == also_ok;
	bool problem = ctype != NULL && strncmp(ctype, PROBLEM_TYPE, strlen(PROBLEM_TYPE)) == 0;
	json_error_t jerr;

	a->json = json_loadb(a->raw, a->raw_len, JSON_DECODE_ANY, &jerr);
	if (!ok)
		return report_status(c, a, problem || json_is_object(a->json));
	if (a->json == NULL) {
		fprintf(stderr, "sluicectl: %s answered HTTP %ld with invalid JSON: ",
			c->api, a->status);
		put_untrusted(stderr, jerr.text);
		fputc('\n', stderr);
		return CTL_EXIT_SERVER;
	}
	return CTL_EXIT_OK;
}

static int transport_error(const struct ctl *c, CURLcode rc, const char *errbuf,
			   const struct recv_buf *b)
{
	if (b->too_big) {
		fprintf(stderr, "sluicectl: %s sent an answer over %u MiB\n", c->api,
			ANSWER_MAX >> 20);
		return CTL_EXIT_SERVER;
	}
	fprintf(stderr, "sluicectl: cannot reach %s: %s\n", c->api,
		errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
	return CTL_EXIT_UNREACHABLE;
}

static int perform(CURL *e, const struct ctl *c, struct ctl_answer *ans, long also_ok)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct recv_buf b = { 0 };
	const char *ctype = NULL;
	CURLcode rc;

	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(e);
	if (rc != CURLE_OK) {
		int st = transport_error(c, rc, errbuf, &b);

		free(b.data);
		return st;
	}
	ans->raw = b.data != NULL ? b.data : strdup("");
	ans->raw_len = b.len;
	if (ans->raw == NULL)
		return CTL_EXIT_SOFTWARE;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &ans->status);
	curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ctype);
	return judge(c, ans, ctype, also_ok);
}

int ctl_request(const struct ctl *c, const char *method, const char *path,
		const char *body, long also_ok, struct ctl_answer *ans)
{
	struct curl_slist *headers = make_headers(c, body != NULL);
	CURL *e = curl_easy_init();
	char *url = malloc(strlen(c->api) + strlen(path) + 1);
	int st = CTL_EXIT_SOFTWARE;

	memset(ans, 0, sizeof(*ans));
	if (headers == NULL || e == NULL || url == NULL) {
		fputs("sluicectl: out of memory\n", stderr);
		goto out;
	}
	strcpy(url, c->api);
	strcat(url, path);
	if (setup_handle(e, c, url, method, body, headers) != 0) {
		fprintf(stderr, "sluicectl: cannot use %s with this libcurl\n", c->api);
		goto out;
	}
	st = perform(e, c, ans, also_ok);
out:
	if (st != CTL_EXIT_OK)
		ctl_answer_free(ans);
	curl_easy_cleanup(e);
	wipe_headers(headers);
	free(url);
	return st;
}

void ctl_answer_free(struct ctl_answer *ans)
{
	free(ans->raw);
	json_decref(ans->json);
	memset(ans, 0, sizeof(*ans));
}

static void newline_indent(FILE *out, unsigned depth)
{
	fputc('\n', out);
	for (unsigned i = 0; i < depth; i++)
		fputs("  ", out);
}

/* Copy the string starting at text[i] (a '"'); returns the index after it. */
static size_t copy_string(FILE *out, const char *text, size_t len, size_t i)
{
	size_t start = i++;

	while (i < len && text[i] != '"')
		i += text[i] == '\\' ? 2 : 1;
	i = i < len ? i + 1 : len;
	fwrite(text + start, 1, i - start, out);
	return i;
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Index of the next non-blank byte at or after @p i. */
static size_t skip_blank(const char *text, size_t len, size_t i)
{
	while (i < len && is_blank(text[i]))
		i++;
	return i;
}

void ctl_print_json_text(FILE *out, const char *text, size_t len)
{
	unsigned depth = 0;
	size_t i = skip_blank(text, len, 0), next;

	while (i < len) {
		char ch = text[i];

		if (ch == '"') {
			i = copy_string(out, text, len, i);
			i = skip_blank(text, len, i);
			continue;
		}
		next = skip_blank(text, len, i + 1);
		if ((ch == '{' || ch == '[') && next < len && text[next] == (ch == '{' ? '}' : ']')) {
			fputc(ch, out);
			fputc(text[next], out);
			next = skip_blank(text, len, next + 1);
		} else if (ch == '{' || ch == '[') {
			fputc(ch, out);
			newline_indent(out, ++depth);
		} else if (ch == '}' || ch == ']') {
			newline_indent(out, depth > 0 ? --depth : 0);
			fputc(ch, out);
		} else if (ch == ',') {
			fputc(',', out);
			newline_indent(out, depth);
		} else if (ch == ':') {
			fputs(": ", out);
		} else {
			fputc(ch, out);
		}
		i = next;
	}
	fputc('\n', out);
}

int ctl_path_escape(char *out, size_t len, const char *s, bool keep_slash)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789-._~:";
	size_t n = strlen(out);

	for (; *s != '\0'; s++) {
		bool plain = strchr(safe, *s) != NULL || (keep_slash && *s == '/');
		int w = plain ? snprintf(out + n, len - n, "%c", *s)
			      : snprintf(out + n, len - n, "%%%02X", (unsigned char)*s);

		if (w < 0 || (size_t)w >= len - n)
			return -ENAMETOOLONG;
		n += (size_t)w;
	}
	return 0;
}

int ctl_fetch(const struct ctl *c, const char *path, long also_ok, struct ctl_answer *ans,
	      bool *done)
{
	int st = ctl_request(c, "GET", path, NULL, also_ok, ans);

	*done = st != CTL_EXIT_OK;
	if (st == CTL_EXIT_OK && c->json) {
		ctl_print_json_text(stdout, ans->raw, ans->raw_len);
		*done = true;
	}
	return st;
}

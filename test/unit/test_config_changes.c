/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of lib/config's handling of whole configs over time: canonical
 * output and copies, diffs, the live-change rules, atomic save and load,
 * and route edits.
 *
 * Principles:
 *  - Canonical output parses back to an equal config and prints the same.
 *  - Diffs and refusals are asserted as exact text.
 *  - Files live in a fresh temporary directory per test, which is removed
 *    afterwards; a save leaves no temporary file behind.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config_fixture.h"
#include "sl_log.h"

/* ------------------------------------------------------- canonical output */

static void test_round_trip(void **state)
{
	struct sl_config *a = parse_ok(rich), *b, *d;
	char *ta = canon(a), *tb, err[SL_CONFIG_ERR_MAX];
	json_t *j;

	(void)state;
	j = json_loads(ta, 0, NULL);
	assert_non_null(j);
	b = sl_config_parse(j, err, sizeof(err));
	json_decref(j);
	if (b == NULL)
		fail_msg("canonical output does not parse: %s", err);
	assert_config_equal(a, b);
	tb = canon(b);
	assert_string_equal(ta, tb);
	/* the canonical form of the rich document, spelled out */
	assert_non_null(strstr(ta, "\"mac\":\"02:ab:00:00:00:01\""));
	assert_non_null(strstr(ta, "\"ipv6\":[\"2001:db8::1/64\",\"fe80::1/64\"]"));
	assert_non_null(strstr(ta, "\"routes\":[{\"prefix\":\"0.0.0.0/0\",\"via\":\"192.0.2.1\",\"type\":\"unicast\"},"
				"{\"prefix\":\"10.20.0.0/16\",\"via\":\"10.0.0.254\",\"port\":\"lan\",\"type\":\"unicast\"},"
				"{\"prefix\":\"10.30.0.0/16\",\"port\":\"lan\",\"type\":\"unicast\"},"
				"{\"prefix\":\"198.51.100.7/32\",\"type\":\"blackhole\"},"));
	assert_non_null(strstr(ta, "\"type\":\"unreachable\"}],\"neighbors\":["
				"{\"port\":\"lan\",\"address\":\"10.0.0.10\",\"mac\":\"02:ab:cd:00:00:10\"},"
				"{\"port\":\"wan\",\"address\":\"fe80::5\",\"mac\":\"02:00:00:00:00:05\"},"
				"{\"port\":\"lan\",\"address\":\"2001:db8::10\",\"mac\":\"02:00:00:00:00:11\"}],"
				"\"api\":"));
	assert_non_null(strstr(ta, "\"api\":{\"listen\":\"::\",\"port\":9443,\"token_file\":\"/etc/sluice/token\","
				"\"connection_limit\":100,\"per_ip_limit\":100,\"timeout\":\"90s\","
				"\"memory_limit\":\"128KiB\",\"max_body\":\"2MB\",\"max_bulk_body\":\"64MiB\"}"));
	assert_non_null(strstr(ta, "\"eal\":{\"lcores\":\"0@0,1@1,2@(1-2)\",\"memory\":\"1GiB\",\"hugepages\":\"on\","));
	assert_non_null(strstr(ta, "\"workers\":{\"idle_sleep\":\"500us\",\"burst\":64}"));
	/* a deep copy is equal and independent */
	d = sl_config_dup(a);
	assert_non_null(d);
	assert_ptr_not_equal(d->routes, a->routes);
	assert_config_equal(a, d);
	sl_config_route_del(d, 0);
	assert_int_equal(a->n_routes, 6);
	d->neighbors[0].mac[5] = 0x99;
	d->n_neighbors = 1;
	assert_int_equal(a->neighbors[0].mac[5], 0x10);
	assert_int_equal(a->n_neighbors, 3);
	free(ta);
	free(tb);
	sl_config_free(a);
	sl_config_free(b);
	sl_config_free(d);
}

/* ------------------------------------------------------------------- diff */

static char *diff_text(const char *ja, const char *jb)
{
	struct sl_config *a = parse_ok(ja), *b = parse_ok(jb);
	json_t *d = sl_config_diff(a, b);
	char *s;

	assert_non_null(d);
	s = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	sl_config_free(a);
	sl_config_free(b);
	return s;
}

#define SVC_BASE "{'ports':[{'name':'lan','device':'01:00.0','ipv4':['10.0.0.1/24']}],'flow':{}," \
	"'services':[{'name':'web','vip':'10.0.0.100','proto':'tcp','port':80,'mode':'fullnat'," \
	"'sources':['10.0.0.250'],'health':{'type':'tcp','interval':'1s'}," \
	"'backends':[{'address':'10.0.0.10','weight':2},{'address':'10.0.0.11','port':8080}]}]}"

/* Services: canonical form round trip, and diffs keyed by service name. */
static void test_services(void **state)
{
	char err[SL_CONFIG_ERR_MAX], *s;
	(void)state;
	struct sl_config *a = parse_ok(SVC_BASE);
	json_t *j = sl_config_to_json(a);
	struct sl_config *b = sl_config_parse(j, err, sizeof(err));
	json_decref(j);
	if (b == NULL)
		fail_msg("canonical output does not parse: %s", err);
	assert_int_equal(a->n_services, 1);
	assert_int_equal(b->n_services, 1);
	assert_memory_equal(a->services, b->services, sizeof(*a->services));
	assert_int_equal(b->services[0].health.timeout_us, 500000);   /* half the interval */
	assert_int_equal(b->services[0].backends[0].port, 80);        /* the service's */
	struct sl_config *d = sl_config_dup(b);
	assert_memory_equal(d->services, b->services, sizeof(*b->services));
	sl_config_free(a);
	sl_config_free(b);
	sl_config_free(d);
	s = diff_text(SVC_BASE,
		      "{'ports':[{'name':'lan','device':'01:00.0','ipv4':['10.0.0.1/24']}],'flow':{},"
		      "'services':[{'name':'web','vip':'10.0.0.100','proto':'tcp','port':80,'mode':'fullnat',"
		      "'sources':['10.0.0.250'],'health':{'type':'tcp','interval':'1s'},"
		      "'backends':[{'address':'10.0.0.10','weight':2}]},"
		      "{'name':'dns','vip':'10.0.0.101','proto':'udp','port':53,'backends':[]}]}");
	assert_string_equal(s,
		"[{\"path\":\"services[web].backends\",\"old\":[{\"address\":\"10.0.0.10\",\"port\":80,"
		"\"weight\":2},{\"address\":\"10.0.0.11\",\"port\":8080,\"weight\":1}],\"new\":"
		"[{\"address\":\"10.0.0.10\",\"port\":80,\"weight\":2}]},"
		"{\"path\":\"services[dns]\",\"old\":null,\"new\":{\"name\":\"dns\",\"vip\":\"10.0.0.101\","
		"\"proto\":\"udp\",\"port\":53,\"scheduler\":\"rr\",\"mode\":\"dnat\",\"drain\":true,"
		"\"maglev_size\":65537,\"health\":{\"type\":\"none\",\"interval\":\"2s\",\"timeout\":\"1s\","
		"\"rise\":2,\"fall\":3},\"backends\":[]}}]");
	free(s);
}

#define DIFF_BASE "{'ports':[{'name':'lan','device':'01:00.0','ipv4':['10.0.0.1/24']}]," \
	"'routes':[{'prefix':'10.1.0.0/16','via':'10.0.0.254'},{'prefix':'10.2.0.0/16','port':'lan'}," \
	"{'prefix':'10.3.0.0/16','type':'blackhole'}]}"

static void test_diff(void **state)
{
	char *s;

	(void)state;
	s = diff_text(DIFF_BASE, DIFF_BASE);
	assert_string_equal(s, "[]");
	free(s);
	s = diff_text(DIFF_BASE,
		      "{'ports':[{'name':'lan','device':'01:00.0','mtu':9000,'ipv4':['10.0.0.1/24'],"
		      "'mac':'02:00:00:00:00:01'},{'name':'wan','device':'net_tap0'}],"
		      "'routes':[{'prefix':'10.4.0.0/16','port':'wan'},"
		      "{'prefix':'10.2.0.0/16','port':'lan','type':'unicast'},"
		      "{'prefix':'10.3.0.0/16','type':'unreachable'}],"
		      "'api':{'port':8081,'timeout':'1m'},'log':{'level':'debug'},'eal':{'args':['-n','4']}}");
	assert_string_equal(s,
		"[{\"path\":\"eal.args\",\"old\":[],\"new\":[\"-n\",\"4\"]},"
		"{\"path\":\"ports[lan].mtu\",\"old\":1500,\"new\":9000},"
		"{\"path\":\"ports[lan].mac\",\"old\":null,\"new\":\"02:00:00:00:00:01\"},"
		"{\"path\":\"ports[wan]\",\"old\":null,\"new\":{\"name\":\"wan\",\"device\":\"net_tap0\","
		"\"mtu\":1500,\"queues\":0,\"rx_desc\":0,\"tx_desc\":0,\"ipv4\":[],\"ipv6\":[]}},"
		"{\"path\":\"routes[10.1.0.0/16]\",\"old\":{\"prefix\":\"10.1.0.0/16\",\"via\":\"10.0.0.254\","
		"\"type\":\"unicast\"},\"new\":null},"
		"{\"path\":\"routes[10.3.0.0/16]\",\"old\":{\"prefix\":\"10.3.0.0/16\",\"type\":\"blackhole\"},"
		"\"new\":{\"prefix\":\"10.3.0.0/16\",\"type\":\"unreachable\"}},"
		"{\"path\":\"routes[10.4.0.0/16]\",\"old\":null,\"new\":{\"prefix\":\"10.4.0.0/16\","
		"\"port\":\"wan\",\"type\":\"unicast\"}},"
		"{\"path\":\"api.port\",\"old\":8080,\"new\":8081},"
		"{\"path\":\"api.timeout\",\"old\":\"10s\",\"new\":\"1m\"},"
		"{\"path\":\"log.level\",\"old\":\"info\",\"new\":\"debug\"}]");
	free(s);
	/* a removed port and a removed token file; keyed by name, not index */
	s = diff_text("{'ports':[{'name':'a','device':'net_null0'},{'name':'b','device':'net_null1'}],"
		      "'api':{'token_file':'/t'}}",
		      "{'ports':[{'name':'b','device':'net_null1'}]}");
	assert_string_equal(s,
		"[{\"path\":\"ports[a]\",\"old\":{\"name\":\"a\",\"device\":\"net_null0\",\"mtu\":1500,"
		"\"queues\":0,\"rx_desc\":0,\"tx_desc\":0,\"ipv4\":[],\"ipv6\":[]},\"new\":null},"
		"{\"path\":\"api.token_file\",\"old\":\"/t\",\"new\":null}]");
	free(s);
}

#define NDIFF_PORTS "'ports':[{'name':'lan','device':'01:00.0','ipv4':['10.0.0.1/24']}," \
	"{'name':'wan','device':'net_tap0','ipv4':['192.0.2.2/30']}]"
#define NDIFF_BASE "{" NDIFF_PORTS ",'neighbors':[" NB("lan", "10.0.0.2", MAC2) "," \
	NB("lan", "10.0.0.3", "02:00:00:00:00:03") "," NB("wan", "192.0.2.1", "02:00:00:00:00:01") "," \
	NB("lan", "fe80::9", "02:00:00:00:00:09") "]}"

/* Neighbors are keyed by port and address; a changed MAC shows the entry whole. */
static void test_diff_neighbors(void **state)
{
	char *s;

	(void)state;
	s = diff_text(NDIFF_BASE, NDIFF_BASE);
	assert_string_equal(s, "[]");
	free(s);
	/* order and spelling do not matter, only the canonical entries */
	s = diff_text(NDIFF_BASE, "{" NDIFF_PORTS ",'neighbors':["
		      "{'mac':'02:00:00:00:00:09','address':'FE80:0::9','port':'lan'},"
		      NB("wan", "192.0.2.1", "02:00:00:00:00:01") "," NB("lan", "10.0.0.3", "02:00:00:00:00:03") ","
		      NB("lan", "10.0.0.2", MAC2) "]}");
	assert_string_equal(s, "[]");
	free(s);
	s = diff_text(NDIFF_BASE, "{" NDIFF_PORTS ",'routes':[{'prefix':'10.5.0.0/16','via':'10.0.0.2'}],"
		      "'neighbors':[" NB("wan", "fe80::9", "02:00:00:00:00:09") ","
		      NB("lan", "10.0.0.3", "02:00:00:00:00:03") "," NB("wan", "192.0.2.1", "02:00:00:00:00:01") ","
		      NB("lan", "10.0.0.2", "02:00:00:00:00:22") "],'log':{'level':'debug'}}");
	assert_string_equal(s,
		"[{\"path\":\"routes[10.5.0.0/16]\",\"old\":null,\"new\":{\"prefix\":\"10.5.0.0/16\","
		"\"via\":\"10.0.0.2\",\"type\":\"unicast\"}},"
		"{\"path\":\"neighbors[lan/10.0.0.2]\","
		"\"old\":{\"port\":\"lan\",\"address\":\"10.0.0.2\",\"mac\":\"02:00:00:00:00:02\"},"
		"\"new\":{\"port\":\"lan\",\"address\":\"10.0.0.2\",\"mac\":\"02:00:00:00:00:22\"}},"
		"{\"path\":\"neighbors[lan/fe80::9]\","
		"\"old\":{\"port\":\"lan\",\"address\":\"fe80::9\",\"mac\":\"02:00:00:00:00:09\"},\"new\":null},"
		"{\"path\":\"neighbors[wan/fe80::9]\",\"old\":null,"
		"\"new\":{\"port\":\"wan\",\"address\":\"fe80::9\",\"mac\":\"02:00:00:00:00:09\"}},"
		"{\"path\":\"log.level\",\"old\":\"info\",\"new\":\"debug\"}]");
	free(s);
	/* all removed */
	s = diff_text(NDIFF_BASE, "{" NDIFF_PORTS "}");
	assert_string_equal(s,
		"[{\"path\":\"neighbors[lan/10.0.0.2]\",\"old\":{\"port\":\"lan\",\"address\":\"10.0.0.2\","
		"\"mac\":\"02:00:00:00:00:02\"},\"new\":null},"
		"{\"path\":\"neighbors[lan/10.0.0.3]\",\"old\":{\"port\":\"lan\",\"address\":\"10.0.0.3\","
		"\"mac\":\"02:00:00:00:00:03\"},\"new\":null},"
		"{\"path\":\"neighbors[wan/192.0.2.1]\",\"old\":{\"port\":\"wan\",\"address\":\"192.0.2.1\","
		"\"mac\":\"02:00:00:00:00:01\"},\"new\":null},"
		"{\"path\":\"neighbors[lan/fe80::9]\",\"old\":{\"port\":\"lan\",\"address\":\"fe80::9\","
		"\"mac\":\"02:00:00:00:00:09\"},\"new\":null}]");
	free(s);
}

/* ------------------------------------------------------------ live change */

static void expect_live(const char *ja, const char *jb, int want_rc, const char *want_err)
{
	struct sl_config *a = parse_ok(ja), *b = parse_ok(jb);
	char err[SL_CONFIG_ERR_MAX] = "unset";
	int rc = sl_config_check_live_change(a, b, err, sizeof(err));

	if (rc != want_rc || strcmp(err, want_err) != 0)
		fail_msg("%s -> %s\n  want %d \"%s\"\n  got  %d \"%s\"", ja, jb, want_rc, want_err, rc, err);
	sl_config_free(a);
	sl_config_free(b);
}

#define LIVE_PORTS "'ports':[{'name':'lan','device':'01:00.0','ipv4':['10.0.0.1/24']}," \
	"{'name':'wan','device':'net_tap0'}]"
#define LIVE_BASE "{" LIVE_PORTS "}"
#define LIVE_WITH(lan_kv, rest) "{'ports':[{'name':'lan','device':'01:00.0','ipv4':['10.0.0.1/24']" \
	lan_kv "},{'name':'wan','device':'net_tap0'}]" rest "}"
#define BUSY(p) p ": cannot change while running (restart sluice to apply)"

static void test_live_change(void **state)
{
	(void)state;
	expect_live(LIVE_BASE, LIVE_BASE, 0, "");
	/* live */
	expect_live(LIVE_BASE, LIVE_WITH(",'mtu':9000", ""), 0, "");
	expect_live(LIVE_BASE, "{'ports':[{'name':'lan','device':'01:00.0','ipv4':['10.0.0.2/24'],"
		    "'ipv6':['fe80::1/64']},{'name':'wan','device':'net_tap0','mtu':1280}]}", 0, "");
	/* the same PCI device spelled the long way is not a change */
	expect_live(LIVE_BASE, "{'ports':[{'name':'lan','device':'0000:01:00.0','ipv4':['10.0.0.1/24']},"
		    "{'name':'wan','device':'net_tap0'}]}", 0, "");
	expect_live(LIVE_BASE, LIVE_WITH("", ",'routes':[{'prefix':'10.1.0.0/16','port':'lan'}]"), 0, "");
	expect_live(LIVE_BASE, LIVE_WITH("", ",'api':{'token_file':'/t'}"), 0, "");
	expect_live(LIVE_BASE, LIVE_WITH("", ",'api':{'connection_limit':5}"), -EBUSY, BUSY("api.connection_limit"));
	expect_live(LIVE_BASE, LIVE_WITH("", ",'api':{'per_ip_limit':5}"), -EBUSY, BUSY("api.per_ip_limit"));
	expect_live(LIVE_BASE, LIVE_WITH("", ",'api':{'timeout':'1m'}"), -EBUSY, BUSY("api.timeout"));
	expect_live(LIVE_BASE, LIVE_WITH("", ",'api':{'memory_limit':'1MiB'}"), -EBUSY, BUSY("api.memory_limit"));
	expect_live(LIVE_BASE, LIVE_WITH("", ",'api':{'max_body':'2MiB'}"), -EBUSY, BUSY("api.max_body"));
	expect_live(LIVE_BASE, LIVE_WITH("", ",'log':{'level':'err'},'workers':{'burst':8,'idle_sleep':'1ms'}"), 0, "");
	expect_live(LIVE_BASE, LIVE_WITH("", ",'neighbors':[" NB("lan", "10.0.0.2", MAC2) "]"), 0, "");
	expect_live(LIVE_WITH("", ",'neighbors':[" NB("lan", "10.0.0.2", MAC2) "]"),
		    LIVE_WITH("", ",'neighbors':[" NB("lan", "10.0.0.2", "02:00:00:00:00:03") ","
			      NB("wan", "fe80::2", MAC2) "]"), 0, "");
	/* restart */
	expect_live(LIVE_BASE, "{'ports':[{'name':'lan','device':'02:00.0'},{'name':'wan','device':'net_tap0'}]}",
		    -EBUSY, BUSY("ports[lan].device"));
	expect_live(LIVE_BASE, "{'ports':[{'name':'lan','device':'01:00.0'},{'name':'wan',"
		    "'device':'net_tap0,iface=x'}]}", -EBUSY, BUSY("ports[wan].device"));
	expect_live(LIVE_BASE, LIVE_WITH(",'queues':2", ""), -EBUSY, BUSY("ports[lan].queues"));
	expect_live(LIVE_BASE, LIVE_WITH(",'rx_desc':512", ""), -EBUSY, BUSY("ports[lan].rx_desc"));
	expect_live(LIVE_BASE, LIVE_WITH(",'tx_desc':512", ""), -EBUSY, BUSY("ports[lan].tx_desc"));
	expect_live(LIVE_BASE, LIVE_WITH(",'mac':'02:00:00:00:00:01'", ""), -EBUSY, BUSY("ports[lan].mac"));
	expect_live(LIVE_WITH(",'mac':'02:00:00:00:00:01'", ""), LIVE_WITH(",'mac':'02:00:00:00:00:02'", ""),
		    -EBUSY, BUSY("ports[lan].mac"));
	expect_live(LIVE_BASE, "{'ports':[{'name':'lan','device':'01:00.0'}]}", -EBUSY,
		    "ports[wan]: cannot remove a port while running (restart sluice to apply)");
	expect_live(LIVE_BASE, "{'ports':[{'name':'lan','device':'01:00.0'},{'name':'wan2','device':'net_tap0'}]}",
		    -EBUSY, "ports[wan]: cannot remove a port while running (restart sluice to apply)");
	expect_live(LIVE_BASE, "{'ports':[{'name':'lan','device':'01:00.0'},{'name':'wan','device':'net_tap0'},"
		    "{'name':'dmz','device':'net_tap1'}]}",
		    -EBUSY, "ports[dmz]: cannot add a port while running (restart sluice to apply)");
	expect_live(LIVE_BASE, "{'ports':[{'name':'wan','device':'net_tap0'},{'name':'lan','device':'01:00.0'}]}",
		    -EBUSY, "ports: cannot reorder ports while running (restart sluice to apply)");
	expect_live(LIVE_BASE, "{'eal':{'lcores':'0-3'}," LIVE_PORTS "}", -EBUSY, BUSY("eal.lcores"));
	expect_live(LIVE_BASE, "{'eal':{'memory':'1GiB'}," LIVE_PORTS "}", -EBUSY, BUSY("eal.memory"));
	expect_live(LIVE_BASE, "{'eal':{'hugepages':'off'}," LIVE_PORTS "}", -EBUSY, BUSY("eal.hugepages"));
	expect_live(LIVE_BASE, "{'eal':{'file_prefix':'x'}," LIVE_PORTS "}", -EBUSY, BUSY("eal.file_prefix"));
	expect_live(LIVE_BASE, "{'eal':{'args':['-n','4']}," LIVE_PORTS "}", -EBUSY, BUSY("eal.args"));
	expect_live(LIVE_BASE, LIVE_WITH("", ",'api':{'listen':'::1'}"), -EBUSY, BUSY("api.listen"));
	expect_live(LIVE_BASE, LIVE_WITH("", ",'api':{'port':9000}"), -EBUSY, BUSY("api.port"));
	/* the first restart-only change in schema order is named */
	expect_live(LIVE_BASE, "{'eal':{'args':['-n','4']},'ports':[{'name':'lan','device':'02:00.0'},"
		    "{'name':'wan','device':'net_tap0'}],'api':{'port':1}}", -EBUSY, BUSY("eal.args"));
}

/* ------------------------------------------------------------ save, load */

static char tmpdir[64];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static unsigned count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int setup_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config.XXXXXX");
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int teardown_tmpdir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_save_load(void **state)
{
	struct sl_config *a = parse_ok(rich), *b;
	char path[128], err[SL_CONFIG_ERR_MAX];
	static const char head[] = "{\n  \"eal\": {\n    \"lcores\": \"0@0,1@1,2@(1-2)\",\n";
	struct stat st;
	char *text, *compact;

	(void)state;
	snprintf(path, sizeof(path), "%s/sluice.json", tmpdir);
	write_file(path, "old contents");
	chmod(path, 0666);
	assert_int_equal(sl_config_save(a, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);       /* replaced, not rewritten */
	assert_int_equal(count_entries(tmpdir), 1);        /* no temp file left */
	text = read_file(path);
	assert_memory_equal(text, head, strlen(head));
	assert_int_equal(text[strlen(text) - 1], '\n');
	assert_int_equal(text[strlen(text) - 2], '}');
	b = sl_config_load(path, err, sizeof(err));
	if (b == NULL)
		fail_msg("load: %s", err);
	assert_config_equal(a, b);
	compact = canon(b);
	sl_config_free(b);
	/* saving the loaded config again gives the same bytes */
	b = parse_ok(compact);
	assert_int_equal(sl_config_save(b, path), 0);
	{
		char *again = read_file(path);

		assert_string_equal(text, again);
		free(again);
	}
	free(text);
	free(compact);
	sl_config_free(a);
	sl_config_free(b);
}

static void test_save_errors(void **state)
{
	struct sl_config *a = parse_ok("{" ONE "}");
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/missing/sluice.json", tmpdir);
	assert_int_equal(sl_config_save(a, path), -ENOENT);
	snprintf(path, sizeof(path), "%s/", tmpdir);
	assert_int_equal(sl_config_save(a, path), -EISDIR);
	sl_config_free(a);
}

static void expect_load_error(const char *name, const char *text, const char *want_tail)
{
	char path[128], want[SL_CONFIG_ERR_MAX + 128], err[SL_CONFIG_ERR_MAX];
	struct sl_config *cfg;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if (text != NULL)
		write_file(path, text);
	cfg = sl_config_load(path, err, sizeof(err));
	assert_null(cfg);
	snprintf(want, sizeof(want), "%s%s", path, want_tail);
	assert_string_equal(err, want);
}

static void test_load_errors(void **state)
{
	(void)state;
	expect_load_error("nope.json", NULL, ": No such file or directory");
	expect_load_error("syntax.json", "{\n  \"ports\": [\n}\n", ":3:1: unexpected token near '}'");
	expect_load_error("dup.json", "{\"ports\": [], \"ports\": []}",
			  ":1:21: duplicate object key near '\"ports\"'");
	expect_load_error("empty.json", "", ":1:0: '[' or '{' expected near end of file");
	expect_load_error("invalid.json", "{\"ports\": []}", ": ports: expected 1 to 8 ports, got 0");
}

/* ----------------------------------------------------------------- routes */

static void test_route_edits(void **state)
{
	struct sl_config *cfg = parse_ok(DIFF_BASE);
	struct sl_config_route r, big;
	char err[SL_CONFIG_ERR_MAX];
	struct sl_prefix p;
	json_t *j;
	char *s;

	(void)state;
	/* parse one route against the config's ports */
	j = doc("{'prefix':'10.9.0.0/16','via':'10.0.0.9'}");
	assert_int_equal(sl_config_route_parse(cfg, j, &r, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	json_decref(j);
	assert_int_equal(r.port, -1);
	assert_int_equal(sl_config_route_port(cfg, &r), 0);
	/* add, find, duplicate */
	assert_int_equal(sl_config_route_add(cfg, &r), 0);
	assert_int_equal(cfg->n_routes, 4);
	assert_int_equal(sl_parse_prefix("10.9.255.1/16", &p), 0);   /* host bits ignored */
	assert_int_equal(sl_config_route_find(cfg, &p), 3);
	assert_int_equal(sl_config_route_add(cfg, &r), -EEXIST);
	assert_int_equal(sl_parse_prefix("10.9.0.0/17", &p), 0);
	assert_int_equal(sl_config_route_find(cfg, &p), -1);
	/* as JSON, the shape parse accepts */
	j = sl_config_route_to_json(cfg, &cfg->routes[1]);
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s, "{\"prefix\":\"10.2.0.0/16\",\"port\":\"lan\",\"type\":\"unicast\"}");
	free(s);
	json_decref(j);
	/* delete keeps the order of the rest */
	sl_config_route_del(cfg, 0);
	assert_int_equal(cfg->n_routes, 3);
	assert_int_equal(cfg->routes[0].prefix.addr.v4, htonl(0x0a020000));
	assert_int_equal(cfg->routes[2].prefix.addr.v4, htonl(0x0a090000));
	sl_config_route_del(cfg, 3);                          /* out of range: no-op */
	assert_int_equal(cfg->n_routes, 3);
	/* bad port index */
	big = r;
	big.port = 1;
	assert_int_equal(sl_config_route_add(cfg, &big), -EINVAL);
	/* fill to the limit */
	big.port = 0;
	while (cfg->n_routes < SL_CONFIG_MAX_ROUTES) {
		big.prefix.addr.v4 = htonl(0x0b000000 | cfg->n_routes << 8);
		big.prefix.len = 24;
		assert_int_equal(sl_config_route_add(cfg, &big), 0);
	}
	big.prefix.addr.v4 = htonl(0x0c000000);
	assert_int_equal(sl_config_route_add(cfg, &big), -ENOSPC);
	sl_config_free(cfg);
}

static void test_route_parse_errors(void **state)
{
	static const struct bad_case cases[] = {
		{ "{'prefix':'10.9.0.0/16','via':'10.0.0.300'}", "route.via: \"10.0.0.300\" is not an IPv4 address" },
		{ "{'prefix':'10.9.0.1/16','port':'lan'}",
		  "route.prefix: \"10.9.0.1/16\" has host bits set (did you mean \"10.9.0.0/16\"?)" },
		{ "{'prefix':'10.9.0.0/16','via':'10.7.0.1'}", "route.via: 10.7.0.1 is not on any port's subnet" },
		{ "{'prefix':'10.9.0.0/16','port':'wan'}", "route.port: \"wan\" is not the name of a port" },
		{ "{'prefix':'10.9.0.0/16'}", "route: a unicast route needs \"via\" or \"port\"" },
		{ "{'prefix':'10.9.0.0/16','port':'lan','metric':1}", "route.metric: unknown key" },
		{ "[]", "route: expected an object" },
	};
	struct sl_config *cfg = parse_ok(DIFF_BASE);
	char err[SL_CONFIG_ERR_MAX];
	struct sl_config_route r;

	(void)state;
	memset(&r, 0x5a, sizeof(r));
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		json_t *j = doc(cases[i].json);

		assert_int_equal(sl_config_route_parse(cfg, j, &r, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, cases[i].err);
		assert_int_equal(r.port, 0x5a5a5a5a);           /* out untouched */
		json_decref(j);
	}
	sl_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_services),
		cmocka_unit_test(test_diff_neighbors),
		cmocka_unit_test(test_live_change),
		cmocka_unit_test_setup_teardown(test_save_load, setup_tmpdir, teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_save_errors, setup_tmpdir, teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_load_errors, setup_tmpdir, teardown_tmpdir),
		cmocka_unit_test(test_route_edits),
		cmocka_unit_test(test_route_parse_errors),
	};

	return cmocka_run_group_tests_name("config_changes", tests, NULL, NULL);
}

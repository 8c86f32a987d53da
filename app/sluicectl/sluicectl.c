/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl: the command-line client of the sluice REST API.
 *
 *   sluicectl [--api URL] [--token-file F] [--json] [--timeout S] COMMAND
 *
 * Principles:
 *  - Options come before the command (getopt stops at the first word), so
 *    a command's own arguments can never be taken for options.
 *  - The token comes from a file or the environment, never from the
 *    command line, where every user of the machine could read it in ps.
 *    A token file others can read gets a warning: the daemon refuses such
 *    a file for itself, the client only points the problem out.
 *  - Usage errors are found before any request is sent and exit 64 with
 *    the usage on stderr; asking for help prints it on stdout and exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "sl_build_config.h"
#include "sluicectl.h"

#define DEFAULT_API "http://127.0.0.1:8080"
#define DEFAULT_TIMEOUT_MS 10000L
#define TIMEOUT_MAX_S 86400.0     /* --timeout upper bound, seconds */
#define TOKEN_MAX 4096            /* token file bytes read at most */
#define EXIT_IOERR 74             /* EX_IOERR: stdout could not be written */

static const char usage_text[] =
	"usage: sluicectl [--api URL] [--token-file FILE] [--json] [--timeout SECONDS] COMMAND\n"
	"\n"
	"commands:\n"
	"  status                 version, uptime, lcores and port links\n"
	"  config get             print the running configuration\n"
	"  config apply FILE      replace the configuration with FILE (\"-\" reads stdin)\n"
	"  config diff FILE       what applying FILE would change; exit 1 if anything\n"
	"  routes                 list the routing table\n"
	"  routes add PREFIX [via ADDR] [port NAME] [type blackhole|unreachable]\n"
	"                         add a static route\n"
	"  routes del PREFIX      delete a static route\n"
	"  neighbors              list the ARP and NDP neighbors\n"
	"  flows [FILTER...]      list tracked connections; FILTER: proto P, state S,\n"
	"                         address A, port N\n"
	"  flows flush [FILTER...] remove the matching connections (all without a filter)\n"
	"  services [NAME]        load-balanced services: backends, health, connections\n"
	"  acl                    ACL rules in order, with the packets and bytes each decided\n"
	"  top [drops|packets]    the sources with the most drops (or packets), rate limiting\n"
	"  qos                    shaped ports' classes: rates, sent, drops, marks, backlog\n"
	"  syn-proxy              SYN-proxied services and port forwards, answering or not;\n"
	"                         cookies sent, validated and invalid\n"
	"  blocks                 blocked sources: cause, time left, offences, reason\n"
	"  blocks add ADDR DURATION [REASON]   block a source by hand (\"10m\", \"1h\")\n"
	"  blocks del ADDR        lift a block\n"
	"  sets                   prefix sets: entries, sizes, memory, rules naming them\n"
	"  sets show NAME         a set's prefixes, one per line\n"
	"  sets add NAME PREFIX...   add prefixes (sets del NAME PREFIX... deletes)\n"
	"  sets load NAME FILE|-  make a set exactly the file's prefixes (one a line)\n"
	"  wg [show [IF]]         WireGuard interfaces and peers: endpoint, allowed IPs,\n"
	"                         latest handshake, transfer\n"
	"  wg import IF FILE      add the [Peer] sections of a wg-quick file to IF\n"
	"  ports                  list the ports\n"
	"  ports show NAME        one port with its extended statistics\n"
	"  health                 readiness checks; exit 1 if not ready\n"
	"  help                   this text\n"
	"\n"
	"options:\n"
	"  --api URL              API base URL (env SLUICE_API, default " DEFAULT_API ")\n"
	"  --token-file FILE      bearer token file (else env SLUICE_TOKEN or SLUICE_TOKEN_FILE)\n"
	"  --json                 print the server's JSON instead of tables\n"
	"  --timeout SECONDS      give up after this long (default 10)\n"
	"  --help, --version\n"
	"\n"
	"exit status: 0 ok, 1 differences or not ready, 2 refused by the server,\n"
	"3 server unreachable, 64 usage, 65 invalid input, 66 unreadable file\n";

int ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("sluicectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	fputs(usage_text, stderr);
	return CTL_EXIT_USAGE;
}

/* ---- token ---- */

/* Strip surrounding whitespace of @p s in place; its new start. */
static char *trim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
		s[--n] = '\0';
	return s + strspn(s, " \t\r\n");
}

/* Keep a copy of @p tok if it can go into a header; an exit status. */
static int take_token(struct ctl *c, const char *tok, const char *origin)
{
	if (tok[0] == '\0') {
		fprintf(stderr, "sluicectl: %s: the token is empty\n", origin);
		return CTL_EXIT_DATAERR;
	}
	for (const char *p = tok; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			fprintf(stderr, "sluicectl: %s: the token contains a control character\n",
				origin);
			return CTL_EXIT_DATAERR;
		}
	}
	c->token = strdup(tok);
	if (c->token == NULL) {
		fputs("sluicectl: out of memory\n", stderr);
		return CTL_EXIT_SOFTWARE;
	}
	return CTL_EXIT_OK;
}

static int open_token_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "sluicectl: cannot read token file %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "sluicectl: token file %s is not a regular file\n", path);
		close(fd);
		return -1;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		fprintf(stderr, "sluicectl: warning: token file %s is open to group or others "
			"(chmod 600 %s)\n", path, path);
	return fd;
}

static int read_token_file(struct ctl *c, const char *path)
{
	char buf[TOKEN_MAX + 1];
	int fd = open_token_file(path), st;
	ssize_t n;

	if (fd < 0)
		return CTL_EXIT_NOINPUT;
	n = read(fd, buf, TOKEN_MAX);
	close(fd);
	if (n < 0) {
		fprintf(stderr, "sluicectl: cannot read token file %s: %s\n", path, strerror(errno));
		return CTL_EXIT_NOINPUT;
	}
	buf[n] = '\0';
	st = take_token(c, trim(buf), path);
	explicit_bzero(buf, sizeof(buf));
	return st;
}

/* --token-file, else SLUICE_TOKEN, else SLUICE_TOKEN_FILE, else none. */
static int load_token(struct ctl *c, const char *token_file)
{
	char *env = getenv("SLUICE_TOKEN"), *copy;
	int st;

	if (token_file != NULL)
		return read_token_file(c, token_file);
	if (env != NULL && env[0] != '\0') {
		copy = strdup(env);
		if (copy == NULL) {
			fputs("sluicectl: out of memory\n", stderr);
			return CTL_EXIT_SOFTWARE;
		}
		st = take_token(c, trim(copy), "SLUICE_TOKEN");
		explicit_bzero(copy, strlen(copy));
		free(copy);
		return st;
	}
	env = getenv("SLUICE_TOKEN_FILE");
	if (env != NULL && env[0] != '\0')
		return read_token_file(c, env);
	return CTL_EXIT_OK;
}

/* ---- options ---- */

struct opts {
	const char *api;
	const char *token_file;
	bool help, version;
};

static int parse_timeout(struct ctl *c, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > TIMEOUT_MAX_S)
		return ctl_usage_error("--timeout: '%s' is not a number of seconds in (0, %g]",
				       s, TIMEOUT_MAX_S);
	/* Round up: 0.0001 s must not become 0, which libcurl reads as "never". */
	c->timeout_ms = (long)(v * 1000.0);
	if ((double)c->timeout_ms < v * 1000.0)
		c->timeout_ms++;
	return CTL_EXIT_OK;
}

static int parse_options(struct ctl *c, struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "api", required_argument, NULL, 'a' },
		{ "token-file", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, st = CTL_EXIT_OK;

	opterr = 0;
	while (st == CTL_EXIT_OK && (ch = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a': o->api = optarg; break;
		case 't': o->token_file = optarg; break;
		case 'j': c->json = true; break;
		case 'T': st = parse_timeout(c, optarg); break;
		case 'h': o->help = true; break;
		case 'V': o->version = true; break;
		case ':':
			st = ctl_usage_error("option '%s' needs a value", argv[optind - 1]);
			break;
		default:
			st = ctl_usage_error("bad option '%s'", argv[optind - 1]);
		}
	}
	return st;
}

/* Base URL: --api, SLUICE_API or the default, without trailing '/'. */
static int set_api(struct ctl *c, const char *api, char **owned)
{
	const char *env = getenv("SLUICE_API");
	size_t n;

	if (api == NULL)
		api = env != NULL && env[0] != '\0' ? env : DEFAULT_API;
	if (strncasecmp(api, "http://", 7) != 0 && strncasecmp(api, "https://", 8) != 0)
		return ctl_usage_error("API URL '%s' must start with http:// or https://", api);
	*owned = strdup(api);
	if (*owned == NULL) {
		fputs("sluicectl: out of memory\n", stderr);
		return CTL_EXIT_SOFTWARE;
	}
	n = strlen(*owned);
	while (n > 0 && (*owned)[n - 1] == '/')
		(*owned)[--n] = '\0';
	c->api = *owned;
	return CTL_EXIT_OK;
}

/* ---- commands ---- */

static int want_args(int argc, int n, const char *what)
{
	if (argc < n)
		return ctl_usage_error("%s: missing argument", what);
	if (argc > n)
		return ctl_usage_error("%s: too many arguments", what);
	return CTL_EXIT_OK;
}

static int run_config(const struct ctl *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (strcmp(sub, "get") == 0)
		return want_args(argc, 2, "config get") != CTL_EXIT_OK ? CTL_EXIT_USAGE
		       : ctl_cmd_config_get(c);
	if (strcmp(sub, "apply") == 0)
		return want_args(argc, 3, "config apply") != CTL_EXIT_OK ? CTL_EXIT_USAGE
		       : ctl_cmd_config_put(c, argv[2], false);
	if (strcmp(sub, "diff") == 0)
		return want_args(argc, 3, "config diff") != CTL_EXIT_OK ? CTL_EXIT_USAGE
		       : ctl_cmd_config_put(c, argv[2], true);
	return ctl_usage_error("config: expected get, apply FILE or diff FILE");
}

static int run_routes(const struct ctl *c, int argc, char **argv)
{
	if (argc == 1)
		return ctl_cmd_routes(c);
	if (strcmp(argv[1], "add") == 0) {
		if (argc < 3)
			return ctl_usage_error("routes add: missing PREFIX");
		return ctl_cmd_route_add(c, argc - 2, argv + 2);
	}
	if (strcmp(argv[1], "del") == 0)
		return want_args(argc, 3, "routes del") != CTL_EXIT_OK ? CTL_EXIT_USAGE
		       : ctl_cmd_route_del(c, argv[2]);
	return ctl_usage_error("routes: expected nothing, add or del");
}

static int run_ports(const struct ctl *c, int argc, char **argv)
{
	if (argc == 1)
		return ctl_cmd_ports(c);
	if (strcmp(argv[1], "show") == 0)
		return want_args(argc, 3, "ports show") != CTL_EXIT_OK ? CTL_EXIT_USAGE
		       : ctl_cmd_port_show(c, argv[2]);
	return ctl_usage_error("ports: expected nothing or show NAME");
}

static int run(const struct ctl *c, int argc, char **argv)
{
	const char *cmd = argv[0];

	if (strcmp(cmd, "status") == 0)
		return want_args(argc, 1, cmd) != CTL_EXIT_OK ? CTL_EXIT_USAGE
		       : ctl_cmd_status(c);
	if (strcmp(cmd, "config") == 0)
		return run_config(c, argc, argv);
	if (strcmp(cmd, "routes") == 0)
		return run_routes(c, argc, argv);
	if (strcmp(cmd, "neighbors") == 0)
		return want_args(argc, 1, cmd) != CTL_EXIT_OK ? CTL_EXIT_USAGE
		       : ctl_cmd_neighbors(c);
	if (strcmp(cmd, "ports") == 0)
		return run_ports(c, argc, argv);
	if (strcmp(cmd, "flows") == 0)
		return argc > 1 && strcmp(argv[1], "flush") == 0 ?
		       ctl_cmd_flows_flush(c, argc - 2, argv + 2) : ctl_cmd_flows(c, argc - 1, argv + 1);
	if (strcmp(cmd, "services") == 0) {
		if (argc > 2)
			return ctl_usage_error("services: at most one NAME");
		return ctl_cmd_services(c, argc == 2 ? argv[1] : NULL);
	}
	if (strcmp(cmd, "top") == 0) {
		if (argc > 2)
			return ctl_usage_error("top: at most one of drops, packets");
		return ctl_cmd_top(c, argc == 2 ? argv[1] : NULL);
	}
	if (strcmp(cmd, "qos") == 0)
		return want_args(argc, 1, cmd) != CTL_EXIT_OK ? CTL_EXIT_USAGE : ctl_cmd_qos(c);
	if (strcmp(cmd, "syn-proxy") == 0)
		return want_args(argc, 1, cmd) != CTL_EXIT_OK ? CTL_EXIT_USAGE
		       : ctl_cmd_synproxy(c);
	if (strcmp(cmd, "blocks") == 0)
		return ctl_cmd_blocks(c, argc - 1, argv + 1);
	if (strcmp(cmd, "sets") == 0)
		return ctl_cmd_sets(c, argc - 1, argv + 1);
	if (strcmp(cmd, "acl") == 0)
		return want_args(argc, 1, cmd) != CTL_EXIT_OK ? CTL_EXIT_USAGE : ctl_cmd_acl(c);
	if (strcmp(cmd, "wg") == 0)
		return ctl_cmd_wg(c, argc - 1, argv + 1);
	if (strcmp(cmd, "health") == 0)
		return want_args(argc, 1, cmd) != CTL_EXIT_OK ? CTL_EXIT_USAGE
		       : ctl_cmd_health(c);
	return ctl_usage_error("unknown command '%s'", cmd);
}

/* Everything after the options; the exit status. */
static int start(struct ctl *c, const struct opts *o, int argc, char **argv, char **api)
{
	int st;

	if (o->help || (argc > 0 && strcmp(argv[0], "help") == 0)) {
		fputs(usage_text, stdout);
		return CTL_EXIT_OK;
	}
	if (o->version) {
		printf("sluicectl %s\n", SLUICE_VERSION);
		return CTL_EXIT_OK;
	}
	if (argc == 0)
		return ctl_usage_error("no command given");
	st = set_api(c, o->api, api);
	if (st == CTL_EXIT_OK)
		st = load_token(c, o->token_file);
	if (st != CTL_EXIT_OK)
		return st;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fputs("sluicectl: cannot initialise libcurl\n", stderr);
		return CTL_EXIT_SOFTWARE;
	}
	st = run(c, argc, argv);
	curl_global_cleanup();
	return st;
}

int main(int argc, char **argv)
{
	struct ctl c = { .timeout_ms = DEFAULT_TIMEOUT_MS };
	struct opts o = { 0 };
	char *api = NULL;
	int st = parse_options(&c, &o, argc, argv);

	if (st == CTL_EXIT_OK)
		st = start(&c, &o, argc - optind, argv + optind, &api);
	if (c.token != NULL) {
		explicit_bzero(c.token, strlen(c.token));
		free(c.token);
	}
	free(api);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "sluicectl: cannot write output: %s\n", strerror(errno));
		return st != CTL_EXIT_OK ? st : EXIT_IOERR;
	}
	return st;
}

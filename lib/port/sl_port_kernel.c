/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Kernel ports: a net_tap port with a kernel_address is a path to the host's
 * own TCP/IP stack (HTTP health checks today). sluice gives the host's side
 * its address, brings it up, and gives sockets bound to that address a
 * routing table of their own whose default route is sluice, so what they
 * send leaves through sluice and is routed like any port's traffic, while
 * the host's other routes stay as they were.
 *
 * Thread: management, at start and at exit (it runs ip(8): not on any
 * packet path).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include <rte_common.h>

#include "sl_log.h"
#include "sl_port.h"

extern char **environ;

#define TABLE_BASE 7100

/* The interface name in a net_tap device string ("net_tap0,iface=NAME"). */
static bool iface_of(const char *device, char *out, size_t len)
{
	const char *p = strstr(device, "iface=");
	if (p == NULL)
		return false;
	p += 6;
	size_t n = strcspn(p, ",");
	if (n == 0 || n >= len)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

/* Run ip(8) with @p argv; its exit status, or -1. */
static int run_ip(char *const argv[])
{
	pid_t pid;
	int status;
	if (posix_spawnp(&pid, "ip", NULL, NULL, argv, environ) != 0)
		return -1;
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void rp_filter_off(const char *iface)
{
	char path[128];
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", iface);
	FILE *f = fopen(path, "w");
	if (f != NULL) {
		fputs("0\n", f);
		fclose(f);
	}
}

int sl_port_kernel_up(const struct sl_config *cfg, char *err, size_t len)
{
	for (unsigned i = 0; i < cfg->n_ports; i++) {
		const struct sl_config_port *p = &cfg->ports[i];
		char iface[32], addr[64], host[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], table[16];
		if (!p->has_kernel_address)
			continue;
		if (!iface_of(p->device, iface, sizeof(iface))) {
			snprintf(err, len, "ports[%s].device: a kernel port names its interface "
				 "(\"net_tap0,iface=sluice0\")", p->name);
			return -EINVAL;
		}
		sl_format_prefix(&p->kernel_address, addr, sizeof(addr));
		inet_ntop(AF_INET, &p->kernel_address.addr.v4, host, sizeof(host));
		/* sluice's own address on that subnet is the host's way out. */
		for (unsigned a = 0; a < p->n_ipv4; a++)
			if (sl_prefix_contains(&p->ipv4[a], &p->kernel_address.addr))
				inet_ntop(AF_INET, &p->ipv4[a].addr.v4, gw, sizeof(gw));
		snprintf(table, sizeof(table), "%u", TABLE_BASE + i);
		char *cmds[][12] = {
			{"ip", "addr", "replace", addr, "dev", iface, NULL},
			{"ip", "link", "set", iface, "up", NULL},
			{"ip", "route", "replace", "default", "via", gw, "dev", iface, "table", table, NULL},
			{"ip", "rule", "del", "from", host, "lookup", table, NULL},
			{"ip", "rule", "add", "from", host, "lookup", table, "priority", table, NULL},
		};
		rp_filter_off(iface);
		for (size_t c = 0; c < RTE_DIM(cmds); c++) {
			int rc = run_ip(cmds[c]);
			if (rc != 0 && c != 3) {      /* deleting a rule that is not there is fine */
				snprintf(err, len, "ports[%s].kernel_address: cannot set up %s "
					 "(ip %s %s: exit %d)", p->name, iface, cmds[c][1], cmds[c][2], rc);
				return -EIO;
			}
		}
		SL_LOG(INFO, "port", "kernel port %s: the host is %s on %s, routed through sluice "
		       "(table %s)", p->name, addr, iface, table);
	}
	return 0;
}

void sl_port_kernel_down(const struct sl_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_ports; i++) {
		const struct sl_config_port *p = &cfg->ports[i];
		char host[INET_ADDRSTRLEN], table[16];
		if (!p->has_kernel_address)
			continue;
		inet_ntop(AF_INET, &p->kernel_address.addr.v4, host, sizeof(host));
		snprintf(table, sizeof(table), "%u", TABLE_BASE + i);
		char *del[] = {"ip", "rule", "del", "from", host, "lookup", table, NULL};
		char *flush[] = {"ip", "route", "flush", "table", table, NULL};
		run_ip(del);
		run_ip(flush);
	}
}

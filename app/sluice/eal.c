/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL arguments: the command line's, then what the config's "eal" section
 * adds. --in-memory with hugepages (nothing left under /dev/hugepages after
 * exit), --no-shconf without;
 * --no-huge when hugepages are off, or absent in "auto" mode (said in the
 * log); devices: PCI ports are allow-listed, vdevs are probed later by the
 * port module (which knows the queue count to ask for).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_log.h"
#include "sluice.h"

#define MAX_ARGS 128

static long hugepages_free(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long n = 0;
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

static bool has_arg(int argc, char **argv, const char *a, const char *b)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], a) == 0 || (b != NULL && strcmp(argv[i], b) == 0) ||
		    strncmp(argv[i], a, strlen(a)) == 0)
			return true;
	return false;
}

struct args {
	char *v[MAX_ARGS];
	int n;
};

static int push(struct args *a, const char *s)
{
	if (a->n >= MAX_ARGS - 1)
		return -E2BIG;
	a->v[a->n] = strdup(s);
	if (a->v[a->n] == NULL)
		return -ENOMEM;
	a->n++;
	return 0;
}

static int push2(struct args *a, const char *k, const char *v)
{
	int rc = push(a, k);
	return rc < 0 ? rc : push(a, v);
}

static int add_devices(struct args *a, const struct sl_config *cfg, int argc, char **argv)
{
	bool any_pci = false;
	int rc = 0;
	for (unsigned i = 0; i < cfg->n_ports && rc == 0; i++) {
		if (!cfg->ports[i].device_is_pci)
			continue;
		any_pci = true;
		rc = push2(a, "-a", cfg->ports[i].device);
	}
	if (!any_pci && rc == 0 && !has_arg(argc, argv, "--no-pci", NULL) &&
	    !has_arg(argc, argv, "-a", "--allow"))
		rc = push(a, "--no-pci");
	return rc;
}

static int add_memory(struct args *a, const struct sl_config *cfg, int argc, char **argv,
		      bool *no_huge, char *err, size_t err_len)
{
	char buf[32];
	int rc = 0;
	*no_huge = has_arg(argc, argv, "--no-huge", NULL);
	if (!*no_huge && cfg->eal.hugepages != SL_HUGEPAGES_ON && hugepages_free() == 0) {
		if (cfg->eal.hugepages == SL_HUGEPAGES_AUTO)
			SL_LOG(WARN, "eal", "no free hugepages: running with --no-huge "
			       "(slower; reserve hugepages for production, see doc/operations.md)");
		*no_huge = true;
		rc = push(a, "--no-huge");
	} else if (!*no_huge && cfg->eal.hugepages == SL_HUGEPAGES_ON && hugepages_free() == 0) {
		snprintf(err, err_len, "eal.hugepages: \"on\" but no free hugepages "
			 "(echo 512 > /proc/sys/vm/nr_hugepages)");
		return -ENOMEM;
	}
	if (rc == 0 && !has_arg(argc, argv, "-m", "--socket-mem")) {
		uint32_t mb = cfg->eal.memory_mb ? cfg->eal.memory_mb : (*no_huge ? 1024 : 0);
		if (mb) {
			snprintf(buf, sizeof(buf), "%u", mb);
			rc = push2(a, "-m", buf);
		}
	}
	return rc;
}

int sl_eal_args_build(const struct sl_config *cfg, int argc, char **argv,
		      char ***out_argv, bool *no_huge, char *err, size_t err_len)
{
	static struct args a;
	int rc = 0;
	for (int i = 0; i < argc && rc == 0; i++)
		rc = push(&a, argv[i]);
	if (rc == 0 && cfg->eal.lcores[0] && !has_arg(argc, argv, "-l", "--lcores") &&
	    !has_arg(argc, argv, "-c", NULL))
		rc = push2(&a, strchr(cfg->eal.lcores, '@') ? "--lcores" : "-l", cfg->eal.lcores);
	if (rc == 0 && cfg->eal.file_prefix[0] && !has_arg(argc, argv, "--file-prefix", NULL))
		rc = push2(&a, "--file-prefix", cfg->eal.file_prefix);
	if (rc == 0)
		rc = add_memory(&a, cfg, argc, argv, no_huge, err, err_len);
	/* --no-huge implies legacy memory, which --in-memory refuses; neither
	 * leaves files under /dev/hugepages, and --no-shconf keeps runtime files
	 * away too. */
	if (rc == 0 && !has_arg(argc, argv, "--in-memory", NULL) &&
	    !has_arg(argc, argv, "--no-shconf", NULL))
		rc = push(&a, *no_huge ? "--no-shconf" : "--in-memory");
	if (rc == 0)
		rc = add_devices(&a, cfg, argc, argv);
	for (unsigned i = 0; i < cfg->eal.n_args && rc == 0; i++)
		rc = push(&a, cfg->eal.args[i]);
	if (rc < 0) {
		if (err[0] == '\0')
			snprintf(err, err_len, "eal: cannot build arguments: %s", strerror(-rc));
		return rc;
	}
	a.v[a.n] = NULL;
	*out_argv = a.v;
	return a.n;
}

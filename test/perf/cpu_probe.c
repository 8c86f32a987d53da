/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cpu_probe: how fast each CPU runs a fixed chain of dependent integer
 * operations, alone and while the other CPUs run it too.
 *
 * A benchmark round on a VM can go differently because of things no process
 * in the VM can see: the host may run two vCPUs on the two hyperthreads of
 * one physical core (each then gets roughly half a core while both are
 * busy), lower a vCPU's clock, or run the vCPUs on physical cores far from
 * each other (another CCX or die), which makes every cache line the two
 * exchange several times slower. This probe shows all three: "alone" is
 * each CPU's speed with the others idle (its clock), "together" its speed
 * while every listed CPU spins at once (a drop means the CPUs share a core,
 * or the host cannot run them all), and "line_rtt_ns" the round trip of one
 * cache line between the first two CPUs (what memif pays per ring update).
 * The harness runs it before and after every round.
 *
 * The work is eight independent chains of multiply-adds: it keeps a core's
 * multipliers busy, so its speed is the core's throughput at its clock, not
 * memory, and a second thread on the same physical core takes half of it.
 *
 * usage: cpu_probe [--cpus 0,1] [--ops N]   prints one JSON object
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CPUS 64
#define DEFAULT_OPS 200000000ull  /* ~50 ms per CPU at ~4 ops/ns */

struct probe {
	int cpu;
	uint64_t ops;
	pthread_barrier_t *start;
	double ns;               /* wall time of the chain */
	uint64_t sink;
};

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Eight independent chains of multiply-adds: enough parallel work to keep a
 * core's multipliers busy every cycle, so a sibling hyperthread doing the
 * same halves it, while memory plays no part. @p ops counts all eight. */
static uint64_t chain(uint64_t ops, uint64_t seed)
{
	uint64_t x[8];
	for (int k = 0; k < 8; k++)
		x[k] = seed + (uint64_t)k * 2 + 1;
	for (uint64_t i = 0; i < ops / 8; i++)
		for (int k = 0; k < 8; k++)
			x[k] = x[k] * 6364136223846793005ull + 1442695040888963407ull;
	return x[0] ^ x[1] ^ x[2] ^ x[3] ^ x[4] ^ x[5] ^ x[6] ^ x[7];
}

static void *run(void *arg)
{
	struct probe *p = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(p->cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0) {
		p->ns = -1;
		if (p->start)               /* the others wait for everyone */
			pthread_barrier_wait(p->start);
		return NULL;
	}
	p->sink = chain(p->ops / 10, (uint64_t)p->cpu);   /* warm the clock up */
	if (p->start)
		pthread_barrier_wait(p->start);
	double t0 = now_ns();
	p->sink += chain(p->ops, p->sink);
	p->ns = now_ns() - t0;
	return NULL;
}

/* Run the probes of @p n CPUs, all at once (@p together) or one by one. */
static int measure(struct probe *p, int n, int together)
{
	pthread_t th[MAX_CPUS];
	pthread_barrier_t barrier;

	if (!together) {
		for (int i = 0; i < n; i++) {
			p[i].start = NULL;
			if (pthread_create(&th[i], NULL, run, &p[i]) != 0)
				return -1;
			pthread_join(th[i], NULL);
		}
		return 0;
	}
	pthread_barrier_init(&barrier, NULL, (unsigned)n);
	for (int i = 0; i < n; i++) {
		p[i].start = &barrier;
		if (pthread_create(&th[i], NULL, run, &p[i]) != 0)
			return -1;
	}
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&barrier);
	return 0;
}

/* ---- cache-line round trip ---------------------------------------------- */

#define RTT_ROUNDS 200000

static volatile uint64_t line[8] __attribute__((aligned(64)));

struct bouncer {
	int cpu;
	int ok;
};

static int pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* The far side: waits for an odd value, answers with the next even one. */
static void *bounce(void *arg)
{
	struct bouncer *b = arg;
	b->ok = pin(b->cpu) == 0;
	line[1] = b->ok ? 1 : 2;            /* the near side waits for this */
	for (uint64_t i = 1; b->ok && i <= RTT_ROUNDS; i++) {
		while (line[0] != 2 * i - 1)
			;
		line[0] = 2 * i;
	}
	return NULL;
}

/* Nanoseconds for one cache line to go from @p a to @p b and back. */
static double line_rtt_ns(int a, int b)
{
	pthread_t th;
	struct bouncer far = {.cpu = b};

	line[0] = line[1] = 0;
	if (pin(a) != 0 || pthread_create(&th, NULL, bounce, &far) != 0)
		return -1;
	while (line[1] == 0)
		;
	if (line[1] != 1) {
		pthread_join(th, NULL);
		return -1;
	}
	double t0 = now_ns();
	for (uint64_t i = 1; i <= RTT_ROUNDS; i++) {
		line[0] = 2 * i - 1;
		while (line[0] != 2 * i)
			;
	}
	double ns = (now_ns() - t0) / RTT_ROUNDS;
	pthread_join(th, NULL);
	return far.ok ? ns : -1;
}

static int parse_cpus(const char *s, int *cpus)
{
	int n = 0;
	char *copy = strdup(s), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t && n < MAX_CPUS; t = strtok_r(NULL, ",", &save))
		cpus[n++] = atoi(t);
	free(copy);
	return n;
}

int main(int argc, char **argv)
{
	int cpus[MAX_CPUS] = {0, 1}, n = 2;
	uint64_t ops = DEFAULT_OPS;
	struct probe alone[MAX_CPUS], together[MAX_CPUS];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--cpus") == 0 && i + 1 < argc)
			n = parse_cpus(argv[++i], cpus);
		else if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc)
			ops = strtoull(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: cpu_probe [--cpus 0,1] [--ops N]\n");
			return 64;
		}
	}
	if (n < 1 || ops == 0) {
		fprintf(stderr, "cpu_probe: need at least one CPU and ops > 0\n");
		return 64;
	}
	for (int i = 0; i < n; i++) {
		alone[i] = (struct probe){.cpu = cpus[i], .ops = ops};
		together[i] = alone[i];
	}
	if (measure(alone, n, 0) < 0 || measure(together, n, 1) < 0) {
		fprintf(stderr, "cpu_probe: cannot start threads: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		if (alone[i].ns < 0 || together[i].ns < 0) {
			fprintf(stderr, "cpu_probe: cannot run on CPU %d\n", cpus[i]);
			return 1;
		}
	}
	printf("{\"ops\": %llu, \"cpus\": [", (unsigned long long)ops);
	for (int i = 0; i < n; i++) {
		/* Gops/s, proportional to the core cycles the thread got. */
		printf("%s{\"cpu\": %d, \"alone_gops\": %.3f, \"together_gops\": %.3f}", i ? ", " : "",
		       cpus[i], (double)ops / alone[i].ns, (double)ops / together[i].ns);
	}
	if (n >= 2 && cpus[0] != cpus[1])
		printf("], \"line_rtt_ns\": %.1f}\n", line_rtt_ns(cpus[0], cpus[1]));
	else
		printf("], \"line_rtt_ns\": null}\n");
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prefix sets: the LPM tables workers read, the exact entries the
 * management lcore keeps, and one change applied to both.
 *
 * A change runs in three steps, each undone if a later one fails:
 *  1. the exact entries (capacity is checked here, nothing else can fail
 *     for a want of room but the tables' groups);
 *  2. the journal: the change's lines appended and synced;
 *  3. the tables: the copies no worker reads; then the copies are swapped
 *     and, after a grace period, the other copies get the same change.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

#include "sl_log.h"
#include "sl_prefixset.h"

/*
 * Membership only, yet each prefix length has a next hop of its own (the
 * length + 1, never 0, at most 129): DPDK 22.11's DIR-24-8 skips its group
 * accounting when a prefix is added under one with the same next hop, and
 * then loses count on delete (fixed upstream later). Distinct next hops
 * for nested prefixes keep it exact.
 */
#define NEXT_HOP(e) ((uint32_t)(e)->len + 1)

struct op {
	struct sl_pset_entry e;
	bool add;
};

/* ------------------------------------------------------------ entries */

static uint32_t entry_hash(const struct sl_pset_entry *e)
{
	return rte_jhash(e, sizeof(*e), 0x5e75);
}

static bool entry_eq(const struct sl_pset_entry *a, const struct sl_pset_entry *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* The slot holding @p e, or the empty one where it would go. */
static uint32_t *slot_of(const struct sl_pset *s, const struct sl_pset_entry *e)
{
	uint32_t h = entry_hash(e) & s->slot_mask;
	while (s->slot[h] != 0 && !entry_eq(&s->entries[s->slot[h] - 1], e))
		h = (h + 1) & s->slot_mask;
	return &s->slot[h];
}

bool sl_pset_has_entry(const struct sl_pset *s, const struct sl_pset_entry *e)
{
	return *slot_of(s, e) != 0;
}

static uint32_t *count_of(struct sl_pset *s, uint8_t af)
{
	return af == SL_AF_INET ? &s->n4 : &s->n6;
}

/* Add @p e, known absent and with room. */
static void store_add(struct sl_pset *s, const struct sl_pset_entry *e)
{
	uint32_t n = s->n4 + s->n6;
	s->entries[n] = *e;
	*slot_of(s, e) = n + 1;
	(*count_of(s, e->af))++;
}

/* Remove @p e; false when it is not there. Linear probing with the
 * backward shift: no tombstones, so lookups stay short after churn. */
static bool store_delete(struct sl_pset *s, const struct sl_pset_entry *e)
{
	uint32_t *sl = slot_of(s, e);
	if (*sl == 0)
		return false;
	uint32_t idx = *sl - 1, i = (uint32_t)(sl - s->slot), j = i;
	s->slot[i] = 0;
	for (;;) {
		j = (j + 1) & s->slot_mask;
		if (s->slot[j] == 0)
			break;
		uint32_t k = entry_hash(&s->entries[s->slot[j] - 1]) & s->slot_mask;
		/* Stays when its home k lies cyclically in (i, j]. */
		bool stays = i <= j ? (k > i && k <= j) : (k > i || k <= j);
		if (stays)
			continue;
		s->slot[i] = s->slot[j];
		s->slot[j] = 0;
		i = j;
	}
	/* The dense array stays dense: the last entry takes the hole. */
	uint32_t last = s->n4 + s->n6 - 1;
	(*count_of(s, e->af))--;
	if (idx != last) {
		s->entries[idx] = s->entries[last];
		*slot_of(s, &s->entries[idx]) = idx + 1;
	}
	return true;
}

/* ------------------------------------------------------------- tables */

static uint32_t host4(const struct sl_pset_entry *e)
{
	uint32_t v;
	memcpy(&v, e->addr, 4);
	return ntohl(v);
}

/* @p e added to or deleted from table copy @p copy of its family (a
 * delete of what is not there is done). */
static int table_op(struct sl_pset *s, const struct sl_pset_entry *e, bool add, unsigned copy)
{
	int rc;
	if (e->af == SL_AF_INET)
		rc = add ? rte_fib_add(s->fib4[copy], host4(e), e->len, NEXT_HOP(e)) :
			   rte_fib_delete(s->fib4[copy], host4(e), e->len);
	else
		rc = add ? rte_lpm6_add(s->lpm6[copy], e->addr, e->len, NEXT_HOP(e)) :
			   rte_lpm6_delete(s->lpm6[copy], e->addr, e->len);
	return !add && (rc == -ENOENT || rc == -EINVAL) ? 0 : rc;
}

static unsigned spare_of(const struct sl_pset *s, uint8_t af)
{
	return 1 - __atomic_load_n(af == SL_AF_INET ? &s->live4 : &s->live6, __ATOMIC_RELAXED);
}

static size_t heap_used(int socket)
{
	struct rte_malloc_socket_stats st;
	if (rte_malloc_get_socket_stats(socket < 0 ? 0 : socket, &st) != 0)
		return 0;
	return st.heap_allocsz_bytes;
}

/* The narrowest next-hop width whose entries can also index @p groups groups
 * (an entry holds a next hop or a group number, less one flag bit). */
static enum rte_fib_dir24_8_nh_sz width4(uint32_t groups)
{
	return groups < (1u << 7) ? RTE_FIB_DIR24_8_1B : groups < (1u << 15) ?
	       RTE_FIB_DIR24_8_2B : RTE_FIB_DIR24_8_4B;
}

/* A new, empty table copy @p copy of family @p af in place of the one
 * there (none, or one no worker reads). 0, or -ENOMEM with the old kept. */
static int table_new(struct sl_pset *s, uint8_t af, unsigned copy)
{
	static unsigned serial;   /* table names are global to the process */
	char name[32];
	snprintf(name, sizeof(name), "pset%c_%u", af == SL_AF_INET ? '4' : '6', serial++);
	if (af == SL_AF_INET) {
		struct rte_fib_conf fc = {
			.type = RTE_FIB_DIR24_8, .default_nh = 0, .max_routes = (int)s->max4,
			.dir24_8 = {.nh_sz = width4(s->groups4), .num_tbl8 = s->groups4}};
		struct rte_fib *f = rte_fib_create(name, s->socket, &fc);
		if (f == NULL)
			return -ENOMEM;
		rte_fib_free(s->fib4[copy]);
		s->fib4[copy] = f;
		return 0;
	}
	struct rte_lpm6_config lc = {.max_rules = s->max6, .number_tbl8s = s->groups6};
	struct rte_lpm6 *l = rte_lpm6_create(name, s->socket, &lc);
	if (l == NULL)
		return -ENOMEM;
	rte_lpm6_free(s->lpm6[copy]);
	s->lpm6[copy] = l;
	return 0;
}

/* Copy @p copy of family @p af made anew from the exact entries: after a
 * change failed in it part-way (DPDK does not undo a half-made change). */
static void table_rebuild(struct sl_pset *s, uint8_t af, unsigned copy)
{
	if (table_new(s, af, copy) != 0) {
		SL_LOG(ERR, "sets", "set %s: no memory to rebuild a copy of its IPv%c table: its "
		       "lookups may be wrong until a restart", s->name, af == SL_AF_INET ? '4' : '6');
		return;
	}
	for (uint32_t i = 0; i < s->n4 + s->n6; i++)
		if (s->entries[i].af == af && table_op(s, &s->entries[i], true, copy) != 0)
			SL_LOG(ERR, "sets", "set %s: a prefix does not fit its rebuilt table",
			       s->name);
}

struct sl_pset *sl_pset_create(const struct sl_config_set *c, struct rte_rcu_qsbr *qsv,
			       int socket, char *err, size_t err_len)
{
	struct sl_pset *s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto nomem;
	snprintf(s->name, sizeof(s->name), "%s", c->name);
	s->max4 = c->max_ipv4;
	s->max6 = c->max_ipv6;
	/* DPDK 22.11's DIR-24-8 hands out groups from 64-bit slabs and checks
	 * the count only per slab: a count that is not a multiple of 64 would
	 * let it run past its memory. */
	s->groups4 = (c->ipv4_groups + 63) & ~63u;
	s->groups6 = c->ipv6_groups;
	s->qsv = qsv;
	uint64_t cap = (uint64_t)s->max4 + s->max6;
	uint32_t slots = 16;
	while (slots < 2 * cap)
		slots <<= 1;
	s->slot_mask = slots - 1;
	s->slot = calloc(slots, sizeof(*s->slot));
	s->entries = malloc((cap > 0 ? cap : 1) * sizeof(*s->entries));
	if (s->slot == NULL || s->entries == NULL)
		goto nomem;
	s->socket = socket;
	size_t before = heap_used(socket);
	for (unsigned k = 0; k < 2; k++)
		if ((s->max4 > 0 && table_new(s, SL_AF_INET, k) != 0) ||
		    (s->max6 > 0 && table_new(s, SL_AF_INET6, k) != 0))
			goto table_fail;
	size_t after = heap_used(socket);
	s->table_bytes = after > before ? after - before : 0;
	return s;
table_fail:
	snprintf(err, err_len, "sets[%s]: cannot create its tables (%s): reserve more hugepages "
		 "or lower max_ipv4/max_ipv6/ipv4_groups/ipv6_groups", c->name,
		 rte_strerror(rte_errno));
	sl_pset_free(s);
	return NULL;
nomem:
	snprintf(err, err_len, "sets[%s]: out of memory", c->name);
	sl_pset_free(s);
	return NULL;
}

void sl_pset_free(struct sl_pset *s)
{
	if (s == NULL)
		return;
	if (s->journal != NULL)
		fclose(s->journal);
	for (unsigned k = 0; k < 2; k++) {
		rte_fib_free(s->fib4[k]);
		rte_lpm6_free(s->lpm6[k]);
	}
	free(s->slot);
	free(s->entries);
	free(s);
}

bool sl_pset_fits_config(const struct sl_pset *s, const struct sl_config_set *c)
{
	return s->max4 == c->max_ipv4 && s->max6 == c->max_ipv6 &&
	       s->groups4 == ((c->ipv4_groups + 63) & ~63u) && s->groups6 == c->ipv6_groups;
}

size_t sl_pset_index_bytes(const struct sl_pset *s)
{
	return ((size_t)s->max4 + s->max6) * sizeof(struct sl_pset_entry) +
	       ((size_t)s->slot_mask + 1) * sizeof(uint32_t);
}

/* ------------------------------------------------------------- parsing */

int sl_pset_parse(const char *str, struct sl_pset_entry *e)
{
	struct sl_prefix p;
	if (sl_parse_prefix(str, &p) != 0)
		return -EINVAL;
	if (p.len == 0)
		return -ERANGE;
	struct sl_prefix masked = p;
	sl_prefix_mask(&masked);
	memset(e, 0, sizeof(*e));
	e->af = p.addr.af;
	e->len = p.len;
	memcpy(e->addr, p.addr.af == SL_AF_INET ? (const void *)&p.addr.v4 : p.addr.v6,
	       p.addr.af == SL_AF_INET ? 4 : 16);
	bool same = p.addr.af == SL_AF_INET ? masked.addr.v4 == p.addr.v4 :
		    memcmp(masked.addr.v6, p.addr.v6, 16) == 0;
	return same ? 0 : -EDOM;
}

void sl_pset_format(const struct sl_pset_entry *e, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	inet_ntop(e->af == SL_AF_INET ? AF_INET : AF_INET6, e->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, e->len);
}

/* ------------------------------------------------------------- lookups */

bool sl_pset_contains(const struct sl_pset *s, uint8_t af, const uint8_t *addr)
{
	uint32_t bit = 0;
	if (af == SL_AF_INET) {
		uint32_t ip;
		memcpy(&ip, addr, 4);
		ip = ntohl(ip);
		sl_pset_lookup4(s, &ip, &bit, 1, 1);
	} else {
		uint8_t ip[1][16];
		memcpy(ip[0], addr, 16);
		sl_pset_lookup6(s, ip, &bit, 1, 1);
	}
	return bit != 0;
}

bool sl_pset_contains_linear(const struct sl_pset *s, uint8_t af, const uint8_t *addr)
{
	for (uint32_t i = 0; i < s->n4 + s->n6; i++) {
		const struct sl_pset_entry *e = &s->entries[i];
		if (e->af != af)
			continue;
		unsigned bytes = e->len / 8, bits = e->len % 8;
		if (memcmp(e->addr, addr, bytes) == 0 &&
		    (bits == 0 || ((e->addr[bytes] ^ addr[bytes]) & (0xff << (8 - bits))) == 0))
			return true;
	}
	return false;
}

/* ------------------------------------------------------------- journal */

static int journal_write(struct sl_pset *s, const struct op *ops, uint32_t n)
{
	char buf[80];
	for (uint32_t i = 0; i < n; i++) {
		sl_pset_format(&ops[i].e, buf, sizeof(buf));
		if (fprintf(s->journal, "%c%s\n", ops[i].add ? '+' : '-', buf) < 0)
			return -EIO;
	}
	if (fflush(s->journal) != 0 || fdatasync(fileno(s->journal)) != 0)
		return -EIO;
	s->journal_lines += n;
	return 0;
}

/* The file rewritten with the entries alone: write aside, sync, rename. */
static int journal_compact(struct sl_pset *s)
{
	char tmp[sizeof(s->path) + 8], buf[80];
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->path);
	FILE *f = fopen(tmp, "w");
	if (f == NULL)
		return -errno;
	int rc = 0;
	for (uint32_t i = 0; rc == 0 && i < s->n4 + s->n6; i++) {
		sl_pset_format(&s->entries[i], buf, sizeof(buf));
		if (fprintf(f, "+%s\n", buf) < 0)
			rc = -EIO;
	}
	if (rc == 0 && (fflush(f) != 0 || fsync(fileno(f)) != 0))
		rc = -errno;
	if (rc == 0 && rename(tmp, s->path) != 0)
		rc = -errno;
	if (rc != 0) {
		fclose(f);
		unlink(tmp);
		return rc;
	}
	sl_fsync_parent(s->path);   /* the rename is durable */
	/* The handle written goes on as the journal (its end is the file's):
	 * no reopening that could fail with the old file already replaced. */
	if (s->journal != NULL)
		fclose(s->journal);
	s->journal = f;
	s->journal_lines = s->n4 + s->n6;
	return 0;
}

int sl_pset_load(struct sl_pset *s, const char *path, char *err, size_t err_len)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		int rc = -errno;
		snprintf(err, err_len, "sets[%s]: cannot read %s: %s", s->name, path, strerror(-rc));
		return rc;
	}
	char line[128];
	uint64_t bad = 0, over = 0, lineno = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strlen(line);
		lineno++;
		/* A last line without its newline was cut short by a crash. */
		if (n == 0 || line[n - 1] != '\n' || (line[0] != '+' && line[0] != '-')) {
			bad++;
			continue;
		}
		line[n - 1] = '\0';
		struct sl_pset_entry e;
		if (sl_pset_parse(line + 1, &e) != 0) {
			bad++;
			continue;
		}
		if (line[0] == '-') {
			store_delete(s, &e);
			continue;
		}
		if (sl_pset_has_entry(s, &e))
			continue;
		if (*count_of(s, e.af) >= (e.af == SL_AF_INET ? s->max4 : s->max6)) {
			over++;
			continue;
		}
		store_add(s, &e);
	}
	fclose(f);
	/* Into both copies of the tables; a prefix that finds no group is left out too. */
	for (uint32_t i = 0; i < s->n4 + s->n6;) {
		const struct sl_pset_entry *e = &s->entries[i];
		int rc = table_op(s, e, true, 0);
		if (rc == 0 && table_op(s, e, true, 1) == 0) {
			i++;
			continue;
		}
		if (rc == 0)
			table_op(s, e, false, 0);
		over++;
		struct sl_pset_entry gone = *e;
		store_delete(s, &gone);   /* the last entry moves to i: look at it next */
	}
	if (bad > 0)
		SL_LOG(WARN, "sets", "set %s: %" PRIu64 " unreadable lines of %" PRIu64 " in %s "
		       "left out", s->name, bad, lineno, path);
	if (over > 0) {
		/* As a live change to smaller sizes is refused, so is this: the
		 * journal would lose them when rewritten. */
		snprintf(err, err_len, "sets[%s]: %" PRIu64 " prefixes of its journal %s do not fit "
			 "its sizes (max_ipv4 %u, max_ipv6 %u, ipv4_groups %u, ipv6_groups %u): raise "
			 "them, or delete prefixes under the old sizes first", s->name, over, path,
			 s->max4, s->max6, s->groups4, s->groups6);
		return -ENOSPC;
	}
	return 0;
}

int sl_pset_attach(struct sl_pset *s, const char *path, char *err, size_t err_len)
{
	snprintf(s->path, sizeof(s->path), "%s", path);
	int rc = journal_compact(s);
	if (rc != 0) {
		snprintf(err, err_len, "sets[%s]: cannot write %s: %s", s->name, path, strerror(-rc));
		s->path[0] = '\0';
	}
	return rc;
}

/* ------------------------------------------------------------- changes */

/* Undo ops[0 .. n-1] in the exact entries, last first. */
static void store_undo(struct sl_pset *s, const struct op *ops, uint32_t n)
{
	while (n-- > 0) {
		if (ops[n].add)
			store_delete(s, &ops[n].e);
		else
			store_add(s, &ops[n].e);
	}
}

static int room_error(struct sl_pset *s, uint8_t af, char *err, size_t err_len)
{
	s->refused++;
	snprintf(err, err_len, "set %s is full: %u of max_ipv%c %u IPv%c prefixes", s->name,
		 af == SL_AF_INET ? s->n4 : s->n6, af == SL_AF_INET ? '4' : '6',
		 af == SL_AF_INET ? s->max4 : s->max6, af == SL_AF_INET ? '4' : '6');
	return -ENOSPC;
}

/* Step 1: the exact entries; the ops that changed something into @p ops. */
static int change_store(struct sl_pset *s, const struct sl_pset_entry *add, uint32_t n_add,
			const struct sl_pset_entry *del, uint32_t n_del, bool replace,
			struct op *ops, uint32_t *n_ops, struct sl_pset_outcome *out, char *err,
			size_t err_len)
{
	uint32_t n = 0;
	struct sl_pset_entry *drop = NULL;
	if (replace) {
		/* Everything not in @p add goes: marked by a pass over the adds. */
		uint32_t total = s->n4 + s->n6;
		uint8_t *keep = calloc(total + 1, 1);
		drop = malloc((total + 1) * sizeof(*drop));
		if (keep == NULL || drop == NULL) {
			free(keep);
			free(drop);
			snprintf(err, err_len, "set %s: out of memory", s->name);
			return -ENOMEM;
		}
		for (uint32_t i = 0; i < n_add; i++) {
			uint32_t at = *slot_of(s, &add[i]);
			if (at != 0)
				keep[at - 1] = 1;
		}
		n_del = 0;
		for (uint32_t i = 0; i < total; i++)
			if (!keep[i])
				drop[n_del++] = s->entries[i];
		free(keep);
		del = drop;
	}
	for (uint32_t i = 0; i < n_del; i++) {
		if (!store_delete(s, &del[i])) {
			out->absent++;
			continue;
		}
		ops[n++] = (struct op){.e = del[i], .add = false};
	}
	free(drop);
	for (uint32_t i = 0; i < n_add; i++) {
		const struct sl_pset_entry *e = &add[i];
		if (sl_pset_has_entry(s, e)) {
			out->present++;
			continue;
		}
		if (*count_of(s, e->af) >= (e->af == SL_AF_INET ? s->max4 : s->max6)) {
			store_undo(s, ops, n);
			return room_error(s, e->af, err, err_len);
		}
		store_add(s, e);
		ops[n++] = (struct op){.e = *e, .add = true};
	}
	*n_ops = n;
	return 0;
}

/* Step 3a: the copies no worker reads. On failure they are left as they
 * are: the caller rebuilds them once the exact entries are undone. */
static int change_spares(struct sl_pset *s, const struct op *ops, uint32_t n, char *err,
			 size_t err_len)
{
	uint32_t i;
	int rc = 0;
	for (i = 0; i < n && rc == 0; i++)
		rc = table_op(s, &ops[i].e, ops[i].add, spare_of(s, ops[i].e.af));
	if (rc == 0)
		return 0;
	uint8_t af = ops[i - 1].e.af;
	s->refused++;
	snprintf(err, err_len, "set %s: out of IPv%c groups (ipv%c_groups %u): raise it for "
		 "prefixes longer than /24", s->name, af == SL_AF_INET ? '4' : '6',
		 af == SL_AF_INET ? '4' : '6', af == SL_AF_INET ? s->groups4 : s->groups6);
	return -ENOSPC;
}

/* The spare copies of the families @p ops touch, made anew from the entries. */
static void spares_rebuild(struct sl_pset *s, const struct op *ops, uint32_t n)
{
	bool v4 = false, v6 = false;
	for (uint32_t i = 0; i < n; i++) {
		v4 |= ops[i].e.af == SL_AF_INET;
		v6 |= ops[i].e.af == SL_AF_INET6;
	}
	if (v4)
		table_rebuild(s, SL_AF_INET, spare_of(s, SL_AF_INET));
	if (v6)
		table_rebuild(s, SL_AF_INET6, spare_of(s, SL_AF_INET6));
}

/* Step 3b: workers move to the changed copies; once none reads the old
 * ones, they get the same change. It fits: how many groups a table uses
 * follows from the rules it holds (each prefix length with a next hop of
 * its own keeps DPDK's count exact), and the old copies hold what the
 * changed ones held before it. Should it not, the copy is made anew. */
static void swap_and_follow(struct sl_pset *s, const struct op *ops, uint32_t n)
{
	bool v4 = false, v6 = false;
	for (uint32_t i = 0; i < n; i++) {
		v4 |= ops[i].e.af == SL_AF_INET;
		v6 |= ops[i].e.af == SL_AF_INET6;
	}
	if (v4)
		__atomic_store_n(&s->live4, spare_of(s, SL_AF_INET), __ATOMIC_RELEASE);
	if (v6)
		__atomic_store_n(&s->live6, spare_of(s, SL_AF_INET6), __ATOMIC_RELEASE);
	if ((v4 || v6) && s->qsv != NULL)
		rte_rcu_qsbr_synchronize(s->qsv, RTE_QSBR_THRID_INVALID);
	bool failed = false;
	for (uint32_t i = 0; i < n && !failed; i++)
		failed = table_op(s, &ops[i].e, ops[i].add, spare_of(s, ops[i].e.af)) != 0;
	if (failed) {
		SL_LOG(WARN, "sets", "set %s: a change did not fit the second copy of its table: "
		       "making it anew", s->name);
		spares_rebuild(s, ops, n);
	}
}

int sl_pset_change(struct sl_pset *s, const struct sl_pset_entry *add, uint32_t n_add,
		   const struct sl_pset_entry *del, uint32_t n_del, bool replace,
		   struct sl_pset_outcome *out, char *err, size_t err_len)
{
	memset(out, 0, sizeof(*out));
	uint64_t most = (uint64_t)n_add + (replace ? (uint64_t)s->n4 + s->n6 : n_del);
	struct op *ops = malloc((most + 1) * sizeof(*ops));
	if (ops == NULL) {
		snprintf(err, err_len, "set %s: out of memory", s->name);
		return -ENOMEM;
	}
	uint32_t n = 0;
	bool tables_failed = false;
	int rc = change_store(s, add, n_add, del, n_del, replace, ops, &n, out, err, err_len);
	if (rc != 0)
		goto done;
	/* Where the journal ends now: its size (ftell is not to be trusted on
	 * a file opened for appending once it has been truncated). */
	struct stat st;
	off_t mark = s->journal != NULL && fflush(s->journal) == 0 &&
		     fstat(fileno(s->journal), &st) == 0 ? st.st_size : -1;
	if (s->journal != NULL && mark < 0) {
		rc = -EIO;
		snprintf(err, err_len, "set %s: cannot read %s: %s", s->name, s->path,
			 strerror(errno));
		goto journal_back;
	}
	if (s->journal != NULL && n > 0 && journal_write(s, ops, n) != 0) {
		rc = -EIO;
		snprintf(err, err_len, "set %s: cannot write %s: %s", s->name, s->path,
			 strerror(errno));
		goto journal_back;
	}
	rc = change_spares(s, ops, n, err, err_len);
	if (rc != 0) {
		tables_failed = true;
		goto journal_back;
	}
	swap_and_follow(s, ops, n);
	for (uint32_t i = 0; i < n; i++) {
		out->added += ops[i].add;
		out->deleted += !ops[i].add;
	}
	s->added += out->added;
	s->deleted += out->deleted;
	if (s->journal != NULL && s->journal_lines > 2 * ((uint64_t)s->n4 + s->n6) + 4096 &&
	    journal_compact(s) != 0)
		SL_LOG(WARN, "sets", "set %s: cannot compact %s: %s", s->name, s->path,
		       strerror(errno));
	goto done;
journal_back:
	store_undo(s, ops, n);
	memset(out, 0, sizeof(*out));
	if (tables_failed)
		spares_rebuild(s, ops, n);
	/* The journal loses the lines of a change that did not happen; if it
	 * cannot, it is written anew from the entries (undone by now). */
	if (s->journal != NULL && n > 0 && mark >= 0) {
		if (fflush(s->journal) == 0 && ftruncate(fileno(s->journal), mark) == 0 &&
		    fdatasync(fileno(s->journal)) == 0) {
			fseek(s->journal, 0, SEEK_END);
			if (rc != -EIO)
				s->journal_lines -= n;   /* they were counted when written */
		} else if (journal_compact(s) != 0) {
			SL_LOG(ERR, "sets", "set %s: cannot take a refused change back from %s: "
			       "changes are no longer persisted", s->name, s->path);
			fclose(s->journal);
			s->journal = NULL;
		}
	}
done:
	free(ops);
	return rc;
}

int sl_pset_copy(struct sl_pset *to, const struct sl_pset *from, char *err, size_t err_len)
{
	if (from->n4 > to->max4 || from->n6 > to->max6) {
		bool v4 = from->n4 > to->max4;
		snprintf(err, err_len, "sets[%s].max_ipv%c: %u is below the %u IPv%c prefixes it "
			 "holds (delete some first)", to->name, v4 ? '4' : '6',
			 v4 ? to->max4 : to->max6, v4 ? from->n4 : from->n6, v4 ? '4' : '6');
		return -ENOSPC;
	}
	struct sl_pset_outcome out;
	int rc = sl_pset_change(to, from->entries, from->n4 + from->n6, NULL, 0, false, &out, err,
				err_len);
	to->added = from->added;
	to->deleted = from->deleted;
	to->refused = from->refused;
	return rc;
}

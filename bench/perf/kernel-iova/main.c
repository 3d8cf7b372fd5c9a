/* SPDX-License-Identifier: MIT */
/*
 * kernel-iova-replay [FILE]: replay an IOVA op script (docs/iova-ops.md) against the Linux
 * allocator itself, drivers/iommu/iova.c compiled in userspace over the stand-ins of shim/,
 * and print its answers in the format of `iommusim-bench iova-replay`.
 *
 * It is the reference the replay's speed is measured against (bench/perf/replay-vs-kernel),
 * so it does what a careful userspace harness would and no more: read the file in one piece,
 * parse every line into an op array, then run the ops with buffered output. It checks only
 * what it needs to stay safe: scripts are expected to be valid (iommusim's replay is the one
 * that names bad lines).
 *
 * Built by ./build KERNEL_IOVA_C, which passes the file's path as KERNEL_IOVA_C: the file is
 * included below, so the harness can read the rcache state that iova.c keeps private.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kshim.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#include KERNEL_IOVA_C
#pragma GCC diagnostic pop

unsigned int kshim_possible_cpus = 64, kshim_online_cpus = 64, kshim_cpu;
int (*kshim_cpuhp_dead)(unsigned int cpu, struct hlist_node *node);

/* ---- the delayed-work FIFO ---- */
static struct delayed_work *work_head, *work_tail;
static size_t work_count;

void kshim_work_queue(struct delayed_work *dw)
{
	dw->pending = true;
	dw->next = NULL;
	if (work_tail)
		work_tail->next = dw;
	else
		work_head = dw;
	work_tail = dw;
	work_count++;
}

void kshim_work_cancel(struct delayed_work *dw)
{
	struct delayed_work **link = &work_head, *prev = NULL;

	while (*link && *link != dw) {
		prev = *link;
		link = &(*link)->next;
	}
	if (!*link)
		return;
	*link = dw->next;
	if (work_tail == dw)
		work_tail = prev;
	dw->pending = false;
	work_count--;
}

/* One 100 ms period: the items pending when it starts run, in arming order. */
static void work_tick(void)
{
	for (size_t n = work_count; n; n--) {
		struct delayed_work *dw = work_head;

		work_head = dw->next;
		if (!work_head)
			work_tail = NULL;
		work_count--;
		dw->pending = false;
		dw->work.func(&dw->work);
	}
}

/* ---- output ---- */
static char obuf[1 << 16];
static size_t oused;

static void out_flush(void)
{
	if (oused && fwrite(obuf, 1, oused, stdout) != oused)
		exit(1);
	oused = 0;
}

static void out_str(const char *s, size_t n)
{
	if (oused + n > sizeof(obuf))
		out_flush();
	memcpy(obuf + oused, s, n);
	oused += n;
}
#define OUT(lit) out_str(lit, sizeof(lit) - 1)

static void out_dec(unsigned long v, char end)
{
	char tmp[24];
	size_t n = sizeof(tmp);

	tmp[--n] = end;
	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	out_str(tmp + n, sizeof(tmp) - n);
}

/* ---- the script ---- */
enum kind {
	K_INIT,
	K_NCPUS,
	K_CPU,
	K_ALLOC,
	K_FREE,
	K_RESERVE,
	K_FAST,
	K_FFREE,
	K_DRAIN,
	K_TICK,
	K_DUMP,
	K_FIND,
	K_CPUDEAD,
	K_RCACHE,
	K_CACHED,
	K_PENDING
};
static const struct {
	const char *name;
	unsigned int nargs;
} ops_syntax[] = {
	[K_INIT] = {"init", 2},	      [K_NCPUS] = {"ncpus", 1},	  [K_CPU] = {"cpu", 1},
	[K_ALLOC] = {"alloc", 3},     [K_FREE] = {"free", 1},	  [K_RESERVE] = {"reserve", 2},
	[K_FAST] = {"fast", 3},	      [K_FFREE] = {"ffree", 2},	  [K_DRAIN] = {"drain", 0},
	[K_TICK] = {"tick", 0},	      [K_DUMP] = {"dump", 0},	  [K_FIND] = {"find", 1},
	[K_CPUDEAD] = {"cpudead", 1}, [K_RCACHE] = {"rcache", 0}, [K_CACHED] = {"cached", 0},
	[K_PENDING] = {"pending", 0},
};

struct op {
	unsigned int kind;
	unsigned long arg[3];
};

static _Noreturn void bad(size_t line, const char *what)
{
	fprintf(stderr, "kernel-iova-replay: line %zu: %s\n", line, what);
	exit(2);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static unsigned long number(const char *s, const char *e, size_t line)
{
	unsigned long v = 0;

	if (e - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (s += 2; s < e; s++) {
			char c = *s;
			unsigned int d = c >= '0' && c <= '9'	? (unsigned int)(c - '0')
					 : c >= 'a' && c <= 'f' ? (unsigned int)(c - 'a' + 10)
					 : c >= 'A' && c <= 'F' ? (unsigned int)(c - 'A' + 10)
								: 99u;
			if (d > 15)
				bad(line, "malformed number");
			v = v * 16 + d;
		}
		return v;
	}
	if (s == e)
		bad(line, "malformed number");
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			bad(line, "malformed number");
		v = v * 10 + (unsigned long)(*s - '0');
	}
	return v;
}

static char *slurp(const char *path, size_t *len)
{
	int fd = path ? open(path, O_RDONLY) : 0;
	size_t cap, n = 0;
	struct stat st;
	char *buf;

	if (fd < 0) {
		perror(path);
		exit(2);
	}
	cap = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 1 << 16;
	buf = malloc(cap);
	for (;;) {
		ssize_t got;

		if (!buf)
			exit(1);
		if (n == cap)
			buf = realloc(buf, cap *= 2);
		if (!buf)
			exit(1);
		got = read(fd, buf + n, cap - n);
		if (got < 0) {
			perror("read");
			exit(1);
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (fd)
		close(fd);
	*len = n;
	return buf;
}

static struct op *parse(const char *text, size_t len, size_t *nops)
{
	const char *pos = text, *end = text + len;
	size_t lines = 1, n = 0, line = 0;
	struct op *ops;

	for (const char *p = text; (p = memchr(p, '\n', (size_t)(end - p))); p++)
		lines++;
	ops = malloc(lines * sizeof(*ops));
	if (!ops)
		exit(1);
	while (pos < end) {
		const char *eol = memchr(pos, '\n', (size_t)(end - pos)), *w[5], *we[5];
		unsigned int nw = 0, k;

		if (!eol)
			eol = end;
		line++;
		for (const char *c = pos; c < eol && nw < 5;) {
			while (c < eol && is_blank(*c))
				c++;
			if (c == eol || (nw == 0 && *c == '#'))
				break;
			w[nw] = c;
			while (c < eol && !is_blank(*c))
				c++;
			we[nw++] = c;
		}
		pos = eol < end ? eol + 1 : eol;
		if (!nw)
			continue;
		for (k = 0; k < sizeof(ops_syntax) / sizeof(ops_syntax[0]); k++)
			if (strlen(ops_syntax[k].name) == (size_t)(we[0] - w[0]) &&
			    !memcmp(ops_syntax[k].name, w[0], (size_t)(we[0] - w[0])))
				break;
		if (k == sizeof(ops_syntax) / sizeof(ops_syntax[0]))
			bad(line, "unknown op");
		if (nw - 1 != ops_syntax[k].nargs)
			bad(line, "wrong number of fields");
		ops[n].kind = k;
		for (unsigned int i = 0; i < ops_syntax[k].nargs; i++)
			ops[n].arg[i] = number(w[i + 1], we[i + 1], line);
		n++;
	}
	*nops = n;
	return ops;
}

/* ---- running it ---- */
static void print_rcache(struct iova_domain *d)
{
	for (unsigned int k = 0; k < IOVA_RANGE_CACHE_MAX_SIZE; k++) {
		struct iova_rcache *rc = &d->rcaches[k];

		OUT("order ");
		out_dec(k, ' ');
		OUT("depot ");
		out_dec(rc->depot_size, ' ');
		if (rc->work.pending)
			OUT("work 1 loaded ");
		else
			OUT("work 0 loaded ");
		for (unsigned int c = 0; c < kshim_online_cpus; c++)
			out_dec(per_cpu_ptr(rc->cpu_rcaches, c)->loaded->size,
				c + 1 < kshim_online_cpus ? ',' : ' ');
		OUT("prev ");
		for (unsigned int c = 0; c < kshim_online_cpus; c++)
			out_dec(per_cpu_ptr(rc->cpu_rcaches, c)->prev->size,
				c + 1 < kshim_online_cpus ? ',' : '\n');
	}
	OUT("end\n");
}

static void put_domain(struct iova_domain *d)
{
	put_iova_domain(d);
	free(d);
}

static struct iova_domain *new_domain(unsigned long granule, unsigned long start)
{
	struct iova_domain *d = calloc(1, sizeof(*d));

	if (!d)
		exit(1);
	init_iova_domain(d, granule, start);
	if (iova_domain_init_rcaches(d))
		exit(1);
	return d;
}

static void run(const struct op *ops, size_t nops)
{
	struct iova_domain *d = NULL;

	for (size_t i = 0; i < nops; i++) {
		const struct op *op = &ops[i];
		const unsigned long *a = op->arg;
		struct iova *iova;
		unsigned long pfn;

		switch (op->kind) {
		case K_INIT:
			if (d)
				put_domain(d);
			d = new_domain(a[0], a[1]);
			OUT("ok\n");
			break;
		case K_NCPUS:
			kshim_online_cpus = (unsigned int)a[0];
			OUT("ok\n");
			break;
		case K_CPU:
			kshim_cpu = (unsigned int)a[0];
			OUT("ok\n");
			break;
		case K_ALLOC:
			iova = alloc_iova(d, a[0], a[1], a[2]);
			if (iova)
				out_dec(iova->pfn_lo, '\n');
			else
				OUT("fail\n");
			break;
		case K_FREE:
			iova = find_iova(d, a[0]);
			if (iova && iova != &d->anchor) {
				__free_iova(d, iova);
				OUT("ok\n");
			} else {
				OUT("missing\n");
			}
			break;
		case K_RESERVE:
			if (reserve_iova(d, a[0], a[1]))
				OUT("ok\n");
			else
				OUT("fail\n");
			break;
		case K_FAST:
			pfn = alloc_iova_fast(d, a[0], a[1], a[2]);
			if (pfn)
				out_dec(pfn, '\n');
			else
				OUT("fail\n");
			break;
		case K_FFREE:
			free_iova_fast(d, a[0], a[1]);
			OUT("ok\n");
			break;
		case K_DRAIN:
			for (unsigned long t = 0; work_count && t < (1ul << 26); t++)
				work_tick();
			OUT("ok\n");
			break;
		case K_TICK:
			work_tick();
			OUT("ok\n");
			break;
		case K_DUMP:
			for (struct rb_node *n = rb_first(&d->rbroot); n; n = rb_next(n)) {
				iova = to_iova(n);
				if (iova == &d->anchor)
					continue;
				out_dec(iova->pfn_lo, ' ');
				out_dec(iova->pfn_hi, '\n');
			}
			OUT("end\n");
			break;
		case K_FIND:
			iova = find_iova(d, a[0]);
			if (iova && iova != &d->anchor) {
				out_dec(iova->pfn_lo, ' ');
				out_dec(iova->pfn_hi, '\n');
			} else {
				OUT("missing\n");
			}
			break;
		case K_CPUDEAD:
			kshim_cpuhp_dead((unsigned int)a[0], &d->cpuhp_dead);
			OUT("ok\n");
			break;
		case K_RCACHE:
			print_rcache(d);
			break;
		case K_CACHED:
			OUT("cached ");
			out_dec(to_iova(d->cached_node)->pfn_lo, ' ');
			OUT("cached32 ");
			out_dec(to_iova(d->cached32_node)->pfn_lo, ' ');
			OUT("max32 ");
			out_dec(d->max32_alloc_size, '\n');
			break;
		case K_PENDING:
			out_dec(work_count, '\n');
			break;
		}
	}
	if (d)
		put_domain(d);
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 && strcmp(argv[1], "-") ? argv[1] : NULL;
	size_t len, nops;
	char *text = slurp(path, &len);
	struct op *ops = parse(text, len, &nops);

	free(text);
	/* Per-CPU caches for every CPU the script names, and at least the default 64. */
	for (size_t i = 0; i < nops; i++) {
		unsigned long need = ops[i].kind == K_NCPUS ? ops[i].arg[0]
				     : ops[i].kind == K_CPU || ops[i].kind == K_CPUDEAD
					     ? ops[i].arg[0] + 1
					     : 0;
		if (need > 4096)
			bad(0, "CPU numbers go up to 4095");
		if (need > kshim_possible_cpus)
			kshim_possible_cpus = (unsigned int)need;
	}
	if (iova_cache_get())
		return 1;
	run(ops, nops);
	iova_cache_put();
	free(ops);
	out_flush();
	return fflush(stdout) ? 1 : 0;
}

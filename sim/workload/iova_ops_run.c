/* SPDX-License-Identifier: MIT */
/*
 * Runner for IOVA op scripts: one domain at a time on a manual clock, output in the exact
 * format of the reference replays (docs/iova-ops.md).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <iommusim/iova_replay.h>

#include "base/memory.h"
#include "workload/iova_ops.h"

/* Enough for every trim item to re-arm itself until each depot is empty. */
#define DRAIN_MAX_TICKS (1u << 26)

struct outbuf {
	FILE *f;
	size_t used;
	bool failed;
	char buf[1 << 16];
};

static void out_flush(struct outbuf *o)
{
	if (o->used && fwrite(o->buf, 1, o->used, o->f) != o->used)
		o->failed = true;
	o->used = 0;
}

static void out_str(struct outbuf *o, const char *s)
{
	size_t n = strlen(s);

	if (o->used + n > sizeof(o->buf))
		out_flush(o);
	memcpy(o->buf + o->used, s, n);
	o->used += n;
}

static void out_u64(struct outbuf *o, uint64_t v)
{
	char tmp[24];
	size_t n = 0;

	if (o->used + sizeof(tmp) > sizeof(o->buf))
		out_flush(o);
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		o->buf[o->used++] = tmp[--n];
}

static void out_line_u64(struct outbuf *o, uint64_t v)
{
	out_u64(o, v);
	out_str(o, "\n");
}

struct runner {
	struct iommusim_mem *mem;
	struct iommusim_clock *clock;
	struct iommusim_cpu **cpus;
	struct iommusim_iova_domain *domain;
	unsigned int possible;
	unsigned int online;
	unsigned int current;
	enum iommusim_iova_depot depot;
	struct outbuf *out;
};

static int dump_range(void *arg, uint64_t lo, uint64_t hi)
{
	struct outbuf *o = arg;

	out_u64(o, lo);
	out_str(o, " ");
	out_line_u64(o, hi);
	return 0;
}

static void print_rcache(struct runner *r)
{
	struct outbuf *o = r->out;

	for (unsigned int k = 0; k < IOMMUSIM_IOVA_CACHE_ORDERS; k++) {
		struct iommusim_iova_rcache_state st;
		unsigned int loaded, prev;

		iommusim_iova_rcache_state(r->domain, k, &st);
		out_str(o, "order ");
		out_u64(o, k);
		out_str(o, " depot ");
		out_u64(o, st.depot_size);
		out_str(o, st.work_pending ? " work 1 loaded " : " work 0 loaded ");
		for (unsigned int c = 0; c < r->online; c++) {
			iommusim_iova_rcache_fill(r->domain, k, c, &loaded, &prev);
			if (c)
				out_str(o, ",");
			out_u64(o, loaded);
		}
		out_str(o, " prev ");
		for (unsigned int c = 0; c < r->online; c++) {
			iommusim_iova_rcache_fill(r->domain, k, c, &loaded, &prev);
			if (c)
				out_str(o, ",");
			out_u64(o, prev);
		}
		out_str(o, "\n");
	}
	out_str(o, "end\n");
}

static int do_init(struct runner *r, const struct iova_op *op)
{
	struct iommusim_iova_config cfg = {
		.mem = r->mem,
		.clock = r->clock,
		.granule = op->arg[0],
		.start_pfn = op->arg[1],
		.possible_cpus = r->possible,
		.online_cpus = r->online,
		.depot = r->depot,
	};

	iommusim_iova_domain_destroy(r->domain);
	r->domain = NULL;
	return iommusim_iova_domain_create(&cfg, &r->domain);
}

static int run_op(struct runner *r, const struct iova_op *op)
{
	struct iommusim_cpu *cpu = r->cpus[r->current];
	struct outbuf *o = r->out;
	uint64_t lo, hi;
	int err;

	switch ((enum iova_op_kind)op->kind) {
	case OP_INIT:
		err = do_init(r, op);
		if (err)
			return err;
		out_str(o, "ok\n");
		break;
	case OP_NCPUS:
		r->online = (unsigned int)op->arg[0];
		if (r->domain)
			iommusim_iova_set_online_cpus(r->domain, r->online);
		out_str(o, "ok\n");
		break;
	case OP_CPU:
		r->current = (unsigned int)op->arg[0];
		out_str(o, "ok\n");
		break;
	case OP_ALLOC:
		err = iommusim_iova_alloc(r->domain, cpu, op->arg[0], op->arg[1], op->arg[2], &lo);
		if (err == 0)
			out_line_u64(o, lo);
		else if (err == -ENOMEM)
			out_str(o, "fail\n");
		else
			return err;
		break;
	case OP_FREE:
		out_str(o, iommusim_iova_free(r->domain, cpu, op->arg[0]) ? "missing\n" : "ok\n");
		break;
	case OP_RESERVE:
		err = iommusim_iova_reserve(r->domain, cpu, op->arg[0], op->arg[1]);
		if (err == -ENOMEM)
			return err;
		out_str(o, err ? "fail\n" : "ok\n");
		break;
	case OP_FAST:
		err = iommusim_iova_alloc_fast(r->domain, cpu, op->arg[0], op->arg[1], op->arg[2],
					       &lo);
		/* The kernel's alloc_iova_fast() reports failure as PFN 0. */
		if (err == 0 && lo != 0)
			out_line_u64(o, lo);
		else if (err == 0 || err == -ENOMEM)
			out_str(o, "fail\n");
		else
			return err;
		break;
	case OP_FFREE:
		iommusim_iova_free_fast(r->domain, cpu, op->arg[0], op->arg[1]);
		out_str(o, "ok\n");
		break;
	case OP_DRAIN:
		iommusim_manual_clock_drain(r->clock, DRAIN_MAX_TICKS);
		out_str(o, "ok\n");
		break;
	case OP_TICK:
		iommusim_manual_clock_tick(r->clock);
		out_str(o, "ok\n");
		break;
	case OP_DUMP:
		iommusim_iova_for_each(r->domain, dump_range, o);
		out_str(o, "end\n");
		break;
	case OP_FIND:
		if (iommusim_iova_find(r->domain, cpu, op->arg[0], &lo, &hi) == 0)
			dump_range(o, lo, hi);
		else
			out_str(o, "missing\n");
		break;
	case OP_CPUDEAD:
		iommusim_iova_cpu_dead(r->domain, cpu, (unsigned int)op->arg[0]);
		out_str(o, "ok\n");
		break;
	case OP_RCACHE:
		print_rcache(r);
		break;
	case OP_CACHED: {
		struct iommusim_iova_cached c;

		iommusim_iova_get_cached(r->domain, &c);
		out_str(o, "cached ");
		out_u64(o, c.cached_pfn);
		out_str(o, " cached32 ");
		out_u64(o, c.cached32_pfn);
		out_str(o, " max32 ");
		out_line_u64(o, c.max32_alloc_size);
		break;
	}
	case OP_PENDING:
		out_line_u64(o, iommusim_clock_pending(r->clock));
		break;
	}
	return 0;
}

static int run_script(struct iommusim_mem *mem, const struct iova_script *s,
		      const struct iommusim_iova_replay_opts *opts, FILE *out)
{
	struct runner r = {
		.mem = mem,
		.possible = s->possible_cpus,
		.online = 64,
		.depot = opts ? opts->depot : IOMMUSIM_IOVA_DEPOT_LIST,
	};
	uint64_t failed = iommusim_mem_failed_allocs(mem);
	int err = -ENOMEM;

	r.out = isim_alloc(mem, sizeof(*r.out), 0);
	if (!r.out)
		return -ENOMEM;
	r.out->f = out;
	r.out->used = 0;
	r.out->failed = false;

	r.cpus = isim_zalloc(mem, r.possible * sizeof(*r.cpus), 0);
	if (r.cpus)
		err = iommusim_manual_clock_create(mem, &r.clock);
	for (unsigned int c = 0; !err && c < r.possible; c++)
		err = iommusim_cpu_create(mem, c, &r.cpus[c]);

	for (size_t i = 0; !err && i < s->nops; i++) {
		err = run_op(&r, &s->ops[i]);
		/*
		 * The allocator works around a refused magazine or node (the kernel's answers to
		 * GFP_ATOMIC failures), but its answers are then not those of the script.
		 */
		if (!err && iommusim_mem_failed_allocs(mem) != failed)
			err = -ENOMEM;
		if (!err && r.out->failed)
			err = -EIO;
	}
	out_flush(r.out);
	if (!err && (r.out->failed || fflush(out)))
		err = -EIO;

	iommusim_iova_domain_destroy(r.domain);
	if (r.cpus) {
		for (unsigned int c = 0; c < r.possible; c++)
			iommusim_cpu_destroy(r.cpus[c]);
		isim_free(mem, r.cpus, r.possible * sizeof(*r.cpus), 0);
	}
	iommusim_clock_destroy(r.clock);
	isim_free(mem, r.out, sizeof(*r.out), 0);
	return err;
}

/* The whole input in one buffer: scripts are checked completely before any op runs. */
static int slurp(struct iommusim_mem *mem, FILE *in, char **text, size_t *len, size_t *size)
{
	size_t cap = 1 << 12, n = 0;
	char *buf = isim_alloc(mem, cap, 0);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		size_t got;

		if (n == cap) {
			char *bigger = cap <= SIZE_MAX / 2 ? isim_alloc(mem, cap * 2, 0) : NULL;

			if (!bigger) {
				isim_free(mem, buf, cap, 0);
				return -ENOMEM;
			}
			memcpy(bigger, buf, n);
			isim_free(mem, buf, cap, 0);
			buf = bigger;
			cap *= 2;
		}
		got = fread(buf + n, 1, cap - n, in);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(in)) {
		isim_free(mem, buf, cap, 0);
		return -EIO;
	}
	*text = buf;
	*len = n;
	*size = cap;
	return 0;
}

static int replay(struct iommusim_mem *mem, FILE *in, const char *name,
		  const struct iommusim_iova_replay_opts *opts, FILE *out, char *errbuf,
		  size_t errlen)
{
	struct iova_script script;
	size_t len, size;
	char *text;
	int err;

	err = slurp(mem, in, &text, &len, &size);
	if (err) {
		if (errlen)
			snprintf(errbuf, errlen, "%s: %s", name,
				 err == -EIO ? "read error" : "out of memory");
		return err;
	}
	err = isim_iova_script_parse(mem, text, len, name, &script, errbuf, errlen);
	isim_free(mem, text, size, 0);
	if (err)
		return err;
	err = run_script(mem, &script, opts, out);
	isim_iova_script_free(&script);
	if (err && errlen)
		snprintf(errbuf, errlen, "%s: %s", name,
			 err == -EIO ? "write error" : "out of memory");
	return err;
}

int iommusim_iova_replay(FILE *in, const char *name, const struct iommusim_iova_replay_opts *opts,
			 FILE *out, char *errbuf, size_t errlen)
{
	struct iommusim_mem *mem = opts ? opts->mem : NULL;
	int err;

	if (errlen)
		errbuf[0] = '\0';
	if (mem)
		return replay(mem, in, name, opts, out, errbuf, errlen);
	err = iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &mem);
	if (err) {
		if (errlen)
			snprintf(errbuf, errlen, "%s: out of memory", name);
		return err;
	}
	err = replay(mem, in, name, opts, out, errbuf, errlen);
	iommusim_mem_destroy(mem);
	return err;
}

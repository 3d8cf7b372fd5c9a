/* SPDX-License-Identifier: MIT */
/*
 * Runner for IOVA op scripts: one domain at a time on a manual clock, output in the exact
 * format of the reference replays (docs/iova-ops.md).
 */
#include <errno.h>
#include <stdint.h>
#include <iommusim/iova_replay.h>

#include "base/memory.h"
#include "workload/iova_ops.h"
#include "workload/script_io.h"
#include "workload/script_replay.h"

/* Enough for every trim item to re-arm itself until each depot is empty. */
#define DRAIN_MAX_TICKS (1u << 26)

/* A number and the end of its line. */
static void out_line(struct isim_script_out *o, uint64_t v)
{
	isim_script_out_dec(o, v);
	isim_script_out_str(o, "\n");
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
	struct isim_script_out *out;
};

static int dump_range(void *arg, uint64_t lo, uint64_t hi)
{
	struct isim_script_out *o = arg;

	isim_script_out_dec(o, lo);
	isim_script_out_str(o, " ");
	out_line(o, hi);
	return 0;
}

static void print_rcache(struct runner *r)
{
	struct isim_script_out *o = r->out;

	for (unsigned int k = 0; k < IOMMUSIM_IOVA_CACHE_ORDERS; k++) {
		struct iommusim_iova_rcache_state st;
		unsigned int loaded, prev;

		iommusim_iova_rcache_state(r->domain, k, &st);
		isim_script_out_str(o, "order ");
		isim_script_out_dec(o, k);
		isim_script_out_str(o, " depot ");
		isim_script_out_dec(o, st.depot_size);
		isim_script_out_str(o, st.work_pending ? " work 1 loaded " : " work 0 loaded ");
		for (unsigned int c = 0; c < r->online; c++) {
			iommusim_iova_rcache_fill(r->domain, k, c, &loaded, &prev);
			if (c)
				isim_script_out_str(o, ",");
			isim_script_out_dec(o, loaded);
		}
		isim_script_out_str(o, " prev ");
		for (unsigned int c = 0; c < r->online; c++) {
			iommusim_iova_rcache_fill(r->domain, k, c, &loaded, &prev);
			if (c)
				isim_script_out_str(o, ",");
			isim_script_out_dec(o, prev);
		}
		isim_script_out_str(o, "\n");
	}
	isim_script_out_str(o, "end\n");
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
	struct isim_script_out *o = r->out;
	uint64_t lo, hi;
	int err;

	switch ((enum iova_op_kind)op->kind) {
	case OP_INIT:
		err = do_init(r, op);
		if (err)
			return err;
		isim_script_out_str(o, "ok\n");
		break;
	case OP_NCPUS:
		r->online = (unsigned int)op->arg[0];
		if (r->domain)
			iommusim_iova_set_online_cpus(r->domain, r->online);
		isim_script_out_str(o, "ok\n");
		break;
	case OP_CPU:
		r->current = (unsigned int)op->arg[0];
		isim_script_out_str(o, "ok\n");
		break;
	case OP_ALLOC:
		err = iommusim_iova_alloc(r->domain, cpu, op->arg[0], op->arg[1], op->flag, &lo);
		if (err == 0)
			out_line(o, lo);
		else if (err == -ENOMEM)
			isim_script_out_str(o, "fail\n");
		else
			return err;
		break;
	case OP_FREE:
		isim_script_out_str(o, iommusim_iova_free(r->domain, cpu, op->arg[0]) ? "missing\n"
										      : "ok\n");
		break;
	case OP_RESERVE:
		err = iommusim_iova_reserve(r->domain, cpu, op->arg[0], op->arg[1]);
		if (err == -ENOMEM)
			return err;
		isim_script_out_str(o, err ? "fail\n" : "ok\n");
		break;
	case OP_FAST:
		err = iommusim_iova_alloc_fast(r->domain, cpu, op->arg[0], op->arg[1], op->flag,
					       &lo);
		/* The kernel's alloc_iova_fast() reports failure as PFN 0. */
		if (err == 0 && lo != 0)
			out_line(o, lo);
		else if (err == 0 || err == -ENOMEM)
			isim_script_out_str(o, "fail\n");
		else
			return err;
		break;
	case OP_FFREE:
		iommusim_iova_free_fast(r->domain, cpu, op->arg[0], op->arg[1]);
		isim_script_out_str(o, "ok\n");
		break;
	case OP_DRAIN:
		iommusim_manual_clock_drain(r->clock, DRAIN_MAX_TICKS);
		isim_script_out_str(o, "ok\n");
		break;
	case OP_TICK:
		iommusim_manual_clock_tick(r->clock);
		isim_script_out_str(o, "ok\n");
		break;
	case OP_DUMP:
		iommusim_iova_for_each(r->domain, dump_range, o);
		isim_script_out_str(o, "end\n");
		break;
	case OP_FIND:
		if (iommusim_iova_find(r->domain, cpu, op->arg[0], &lo, &hi) == 0)
			dump_range(o, lo, hi);
		else
			isim_script_out_str(o, "missing\n");
		break;
	case OP_CPUDEAD:
		iommusim_iova_cpu_dead(r->domain, cpu, (unsigned int)op->arg[0]);
		isim_script_out_str(o, "ok\n");
		break;
	case OP_RCACHE:
		print_rcache(r);
		break;
	case OP_CACHED: {
		struct iommusim_iova_cached c;

		iommusim_iova_get_cached(r->domain, &c);
		isim_script_out_str(o, "cached ");
		isim_script_out_dec(o, c.cached_pfn);
		isim_script_out_str(o, " cached32 ");
		isim_script_out_dec(o, c.cached32_pfn);
		isim_script_out_str(o, " max32 ");
		out_line(o, c.max32_alloc_size);
		break;
	}
	case OP_PENDING:
		out_line(o, iommusim_clock_pending(r->clock));
		break;
	}
	return 0;
}

/* isim_script_format.run: @script is a struct iova_script, @opts the caller's, or NULL. */
static int run_script(struct iommusim_mem *mem, const void *script, const void *opts, FILE *out)
{
	const struct iommusim_iova_replay_opts *o = opts;
	const struct iova_script *s = script;
	struct runner r = {
		.mem = mem,
		.possible = s->possible_cpus,
		.online = 64,
		.depot = o ? o->depot : IOMMUSIM_IOVA_DEPOT_LIST,
	};
	uint64_t failed = iommusim_mem_failed_allocs(mem);
	int err = -ENOMEM;

	r.out = isim_alloc(mem, sizeof(*r.out), 0);
	if (!r.out)
		return -ENOMEM;
	isim_script_out_init(r.out, out);

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
		if (!err)
			err = isim_script_op_done(mem, failed, r.out);
	}
	err = isim_script_run_end(r.out, err);

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

static int parse(struct iommusim_mem *mem, const char *text, size_t len, const char *name,
		 void *script, char *errbuf, size_t errlen)
{
	return isim_iova_script_parse(mem, text, len, name, script, errbuf, errlen);
}

static void free_script(void *script)
{
	isim_iova_script_free(script);
}

int iommusim_iova_replay(FILE *in, const char *name, const struct iommusim_iova_replay_opts *opts,
			 FILE *out, char *errbuf, size_t errlen)
{
	static const struct isim_script_format iova = {parse, run_script, free_script};
	struct iova_script script;

	return isim_script_replay(&iova, &script, opts ? opts->mem : NULL, in, name, opts, out,
				  errbuf, errlen);
}

/* SPDX-License-Identifier: MIT */
/*
 * Runner for TCE op scripts: one table at a time, 64 handle slots, a CPU handle for each CPU
 * number the script names, output in the exact format of the Linux reference replays
 * (tests/data/golden/tce/README.md).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <iommusim/cpu.h>
#include <iommusim/tce.h>
#include <iommusim/tce_replay.h>

#include "base/memory.h"
#include "workload/script_io.h"
#include "workload/script_replay.h"
#include "workload/tce_ops.h"

struct runner {
	struct iommusim_mem *mem;
	struct iommusim_tce_table *table;
	/* created on first use: a script names few of the 8192 possible CPUs */
	struct iommusim_cpu **cpus;
	unsigned int ncpus;
	/* what ppc_iommu_map_sg() keeps in its local `handle`, one per slot */
	uint64_t handle[TCE_HANDLE_SLOTS];
	struct isim_script_out *out;
};

static int get_cpu(struct runner *r, uint64_t id, struct iommusim_cpu **cpu)
{
	if (!r->cpus[id]) {
		int err = iommusim_cpu_create(r->mem, (unsigned int)id, &r->cpus[id]);

		if (err)
			return err;
	}
	*cpu = r->cpus[id];
	return 0;
}

static int do_table(struct runner *r, const struct tce_op *op)
{
	struct iommusim_tce_config cfg = {
		.mem = r->mem,
		.offset = op->arg[0],
		.size = op->arg[1],
		.page_shift = (unsigned int)op->arg[2],
		.res_start = op->arg[3],
		.res_end = op->arg[4],
		.blocksize = op->arg[5],
		/* the script's 0 is "no mask set", as the config's */
		.seg_boundary_mask = op->arg[6],
	};

	iommusim_tce_table_destroy(r->table);
	r->table = NULL;
	memset(r->handle, 0, sizeof(r->handle));
	return iommusim_tce_table_create(&cfg, &r->table);
}

static int do_alloc(struct runner *r, const struct tce_op *op)
{
	uint64_t *handle = op->arg[4] == TCE_NO_HANDLE ? NULL : &r->handle[op->arg[4]];
	struct iommusim_cpu *cpu;
	uint64_t entry;
	int err;

	err = get_cpu(r, op->arg[0], &cpu);
	if (err)
		return err;
	err = iommusim_tce_alloc(r->table, cpu, op->arg[1], op->arg[2], (unsigned int)op->arg[3],
				 handle, &entry);
	if (err == -ENOSPC) {
		isim_script_out_str(r->out, "fail\n");
		return 0;
	}
	if (err)
		return err;
	isim_script_out_hex(r->out, entry);
	isim_script_out_str(r->out, "\n");
	return 0;
}

static void print_pool(struct isim_script_out *o, const struct iommusim_tce_pool *p)
{
	isim_script_out_hex(o, p->start);
	isim_script_out_str(o, ",");
	isim_script_out_hex(o, p->end);
	isim_script_out_str(o, ",");
	isim_script_out_hex(o, p->hint);
}

/* pools nr=N poolsize=0xP 0=S,E,H ... large=S,E,H */
static void print_pools(struct runner *r)
{
	struct isim_script_out *o = r->out;
	struct iommusim_tce_pools pools;

	iommusim_tce_get_pools(r->table, &pools);
	isim_script_out_str(o, "pools nr=");
	isim_script_out_dec(o, pools.nr_pools);
	isim_script_out_str(o, " poolsize=");
	isim_script_out_hex(o, pools.poolsize);
	for (unsigned int i = 0; i < pools.nr_pools; i++) {
		isim_script_out_str(o, " ");
		isim_script_out_dec(o, i);
		isim_script_out_str(o, "=");
		print_pool(o, &pools.pools[i]);
	}
	isim_script_out_str(o, " large=");
	print_pool(o, &pools.large);
	isim_script_out_str(o, "\n");
}

static int run_op(struct runner *r, const struct tce_op *op)
{
	struct isim_script_out *o = r->out;
	struct iommusim_cpu *cpu;
	uint64_t start, end;
	int err;

	switch ((enum tce_op_kind)op->kind) {
	case TCE_OP_TABLE:
		return do_table(r, op);
	case TCE_OP_ALLOC:
		return do_alloc(r, op);
	case TCE_OP_FREE:
		/* the free runs on no CPU of the script's: its work goes to CPU 0's handle */
		err = get_cpu(r, 0, &cpu);
		if (err)
			return err;
		err = iommusim_tce_free(r->table, cpu, op->arg[0], op->arg[1]);
		/* a run outside the table: the kernel warns and does nothing */
		return err == -ERANGE ? 0 : err;
	case TCE_OP_HANDLE:
		r->handle[op->arg[0]] = op->arg[1];
		return 0;
	case TCE_OP_INUSE:
		isim_script_out_str(o, iommusim_tce_in_use(r->table) ? "yes\n" : "no\n");
		return 0;
	case TCE_OP_WEIGHT:
		isim_script_out_dec(o, iommusim_tce_weight(r->table));
		isim_script_out_str(o, "\n");
		return 0;
	case TCE_OP_POOLS:
		print_pools(r);
		return 0;
	case TCE_OP_RESERVED:
		iommusim_tce_reserved(r->table, &start, &end);
		isim_script_out_str(o, "reserved ");
		isim_script_out_hex(o, start);
		isim_script_out_str(o, " ");
		isim_script_out_hex(o, end);
		isim_script_out_str(o, "\n");
		return 0;
	}
	return -EINVAL;
}

/* isim_script_format.run: @script is a struct tce_script; the format has no options. */
static int run_script(struct iommusim_mem *mem, const void *script, const void *opts, FILE *out)
{
	const struct tce_script *s = script;
	/* `free` reports its work on CPU 0, which may not be named by any `alloc` */
	struct runner r = {.mem = mem, .ncpus = s->ncpus ? s->ncpus : 1};
	uint64_t failed = iommusim_mem_failed_allocs(mem);
	int err = -ENOMEM;

	(void)opts;
	r.out = isim_alloc(mem, sizeof(*r.out), 0);
	if (!r.out)
		return -ENOMEM;
	isim_script_out_init(r.out, out);
	r.cpus = isim_zalloc(mem, r.ncpus * sizeof(*r.cpus), 0);
	if (r.cpus)
		err = 0;
	for (size_t i = 0; !err && i < s->nops; i++) {
		err = run_op(&r, &s->ops[i]);
		/* a refusal anywhere means the answers are no longer the script's */
		if (!err)
			err = isim_script_op_done(mem, failed, r.out);
	}
	err = isim_script_run_end(r.out, err);

	iommusim_tce_table_destroy(r.table);
	if (r.cpus) {
		for (unsigned int c = 0; c < r.ncpus; c++)
			iommusim_cpu_destroy(r.cpus[c]);
		isim_free(mem, r.cpus, r.ncpus * sizeof(*r.cpus), 0);
	}
	isim_free(mem, r.out, sizeof(*r.out), 0);
	return err;
}

static int parse(struct iommusim_mem *mem, const char *text, size_t len, const char *name,
		 void *script, char *errbuf, size_t errlen)
{
	return isim_tce_script_parse(mem, text, len, name, script, errbuf, errlen);
}

static void free_script(void *script)
{
	isim_tce_script_free(script);
}

int iommusim_tce_replay(FILE *in, const char *name, const struct iommusim_tce_replay_opts *opts,
			FILE *out, char *errbuf, size_t errlen)
{
	static const struct isim_script_format tce = {parse, run_script, free_script};
	struct tce_script script;

	return isim_script_replay(&tce, &script, opts ? opts->mem : NULL, in, name, NULL, out,
				  errbuf, errlen);
}

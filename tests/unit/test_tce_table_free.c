/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the powerpc TCE allocator (arch/powerpc/kernel/iommu.c, Linux 6.12) beyond
 * placement: what a free does, iommu_table_in_use(), argument checks, the work reported, and
 * out of memory in the table and in a replay.
 */
#include "tce_table_fixture.h"

/* ---- frees ---- */

static void test_tce_free_semantics(void **state)
{
	struct fx *f = *state;
	struct iommusim_tce_pools p;

	make(f, 0x10000, 0x10000, 12, 0x10100, 0x10200);
	assert_int_equal(alloc(f, 0, 3), 0x10000);
	assert_int_equal(iommusim_tce_weight(f->tbl), 3 + 0x100);
	/* a free clears the bits and leaves the hint where it was */
	assert_int_equal(iommusim_tce_free(f->tbl, f->cpu[0], 0x10001, 2), 0);
	assert_int_equal(iommusim_tce_weight(f->tbl), 1 + 0x100);
	p = pools_of(f);
	assert_int_equal(p.pools[0].hint, 0x10);
	/* freeing free entries is allowed too */
	assert_int_equal(iommusim_tce_free(f->tbl, f->cpu[0], 0x10001, 2), 0);

	/* not entirely inside the table: the kernel warns and changes nothing */
	assert_int_equal(iommusim_tce_free(f->tbl, f->cpu[0], 0xffff, 2), -ERANGE);
	assert_int_equal(iommusim_tce_free(f->tbl, f->cpu[0], 0x1ffff, 2), -ERANGE);
	assert_int_equal(iommusim_tce_weight(f->tbl), 1 + 0x100);
	/* up to the last entry is fine; nothing at all is fine anywhere in the table */
	assert_int_equal(iommusim_tce_free(f->tbl, f->cpu[0], 0x1ffff, 1), 0);
	assert_int_equal(iommusim_tce_free(f->tbl, f->cpu[0], 0x20000, 0), 0);

	/* reserved entries are cleared like any other and can then be allocated */
	assert_int_equal(iommusim_tce_free(f->tbl, f->cpu[0], 0x10100, 0x100), 0);
	assert_int_equal(iommusim_tce_weight(f->tbl), 1);
	/* handle inside pool 0 at 0x100: pass 0 starts there */
	assert_int_equal(alloc_h(f, 0, 1, NO_MASK, 0, &(uint64_t){0x100}), 0x10100);

	/* arguments the kernel cannot be given */
	assert_int_equal(iommusim_tce_free(f->tbl, f->cpu[0], UINT64_C(1) << 52, 1), -EINVAL);
	assert_int_equal(iommusim_tce_free(f->tbl, f->cpu[0], 0x10000, UINT64_C(1) << 32), -EINVAL);

	/* entry 0 of a window at 0 can be freed and then allocated */
	make(f, 0, 0x20000, 12, 0, 0);
	assert_int_equal(iommusim_tce_free(f->tbl, f->cpu[0], 0, 1), 0);
	assert_int_equal(iommusim_tce_weight(f->tbl), 0);
	assert_int_equal(alloc(f, 0, 1), 0x0);
}

static void test_tce_in_use(void **state)
{
	struct fx *f = *state;

	/* entry 0 and the reserved range do not count */
	make(f, 0, 0x100000, 16, 0x8000, 0x10000);
	assert_false(iommusim_tce_in_use(f->tbl));
	assert_int_equal(alloc(f, 0, 1), 0x1);
	assert_true(iommusim_tce_in_use(f->tbl));
	assert_int_equal(iommusim_tce_free(f->tbl, f->cpu[0], 0x1, 1), 0);
	assert_false(iommusim_tce_in_use(f->tbl));
	/* entries just below and just above the hole count */
	assert_int_equal(alloc_h(f, 0, 1, NO_MASK, 0, &(uint64_t){0x7fff}), 0x7fff);
	assert_true(iommusim_tce_in_use(f->tbl));
	assert_int_equal(iommusim_tce_free(f->tbl, f->cpu[0], 0x7fff, 1), 0);
	assert_int_equal(alloc_h(f, 0, 1, NO_MASK, 0, &(uint64_t){0x10000}), 0x10000);
	assert_true(iommusim_tce_in_use(f->tbl));

	/* at a non-zero offset entry 0 is not special: an allocation there counts */
	make(f, 0x10000, 0x10000, 12, 0, 0);
	assert_false(iommusim_tce_in_use(f->tbl));
	assert_int_equal(alloc(f, 0, 1), 0x10000);
	assert_true(iommusim_tce_in_use(f->tbl));

	/* a hole starting at entry 0 of a window at 0: only entries from its end count */
	make(f, 0, 0x1000, 12, 0, 0x10);
	assert_false(iommusim_tce_in_use(f->tbl));
	assert_int_equal(alloc(f, 0, 1), 0x10);
	assert_true(iommusim_tce_in_use(f->tbl));
}

/* ---- arguments, work and memory ---- */

static void test_tce_bad_arguments(void **state)
{
	struct fx *f = *state;
	struct iommusim_tce_config cfg = {
		.mem = f->mem,
		.size = 0x1000,
		.page_shift = 12,
		.blocksize = 16,
	};
	struct iommusim_tce_table *t = NULL;
	struct iommusim_cpu *big;
	uint64_t entry;

	assert_int_equal(iommusim_tce_table_create(&cfg, &t), 0);
	iommusim_tce_table_destroy(t);
#define BAD(field, value)                                                                          \
	do {                                                                                       \
		struct iommusim_tce_config c = cfg;                                                \
		c.field = value;                                                                   \
		t = NULL;                                                                          \
		assert_int_equal(iommusim_tce_table_create(&c, &t), -EINVAL);                      \
		assert_null(t);                                                                    \
	} while (0)
	BAD(page_shift, 11);
	BAD(page_shift, 35);
	BAD(size, 7);
	BAD(size, (UINT64_C(1) << 30) + 1);
	/* (offset + size) << 12 above 2^64 */
	BAD(offset, (UINT64_C(1) << 52) - 0x1000 + 1);
	BAD(blocksize, 0);
	BAD(blocksize, 24);
	BAD(blocksize, UINT64_C(1) << 33);
	/* (0x17fff >> 12) + 1 = 24 entries: not a power of two */
	BAD(seg_boundary_mask, 0x17fff);
	BAD(mem, NULL);
#undef BAD
	/* the window may end at 2^64 exactly */
	cfg.offset = (UINT64_C(1) << 52) - 0x1000;
	assert_int_equal(iommusim_tce_table_create(&cfg, &t), 0);
	iommusim_tce_table_destroy(t);

	make(f, 0, 0x20000, 12, 0, 0);
	assert_int_equal(iommusim_cpu_create(f->mem, IOMMUSIM_TCE_MAX_CPUS, &big), 0);
	assert_int_equal(iommusim_tce_alloc(f->tbl, big, 1, NO_MASK, 0, NULL, &entry), -EINVAL);
	iommusim_cpu_destroy(big);
	assert_int_equal(iommusim_tce_alloc(f->tbl, f->cpu[0], 1, NO_MASK, 64, NULL, &entry),
			 -EINVAL);
	assert_int_equal(iommusim_tce_alloc(f->tbl, f->cpu[0], (UINT64_C(1) << 30) + 1, NO_MASK, 0,
					    NULL, &entry),
			 -EINVAL);
	/* zero entries: the kernel's warning and DMA_MAPPING_ERROR */
	assert_int_equal(iommusim_tce_alloc(f->tbl, f->cpu[0], 0, NO_MASK, 0, NULL, &entry),
			 -ENOSPC);
	assert_int_equal(iommusim_tce_weight(f->tbl), 1);
}

static void test_tce_work_reported(void **state)
{
	struct fx *f = *state;

	make(f, 0, 0x20000, 12, 0, 0);
	iommusim_cpu_work_reset(f->cpu[3]);
	alloc(f, 3, 1);
	/* one pool lock; the search reads the word of the hint and the set writes it */
	assert_int_equal(iommusim_cpu_work(f->cpu[3], IOMMUSIM_WORK_LOCK), 1);
	assert_true(iommusim_cpu_work(f->cpu[3], IOMMUSIM_WORK_BITMAP_WORD) >= 2);
	iommusim_cpu_work_reset(f->cpu[3]);
	assert_int_equal(iommusim_tce_free(f->tbl, f->cpu[3], 1, 1), 0);
	assert_int_equal(iommusim_cpu_work(f->cpu[3], IOMMUSIM_WORK_LOCK), 1);
	assert_int_equal(iommusim_cpu_work(f->cpu[3], IOMMUSIM_WORK_BITMAP_WORD), 1);
}

static void test_tce_out_of_memory(void **state)
{
	struct failing b = {-1};
	struct iommusim_mem *mem;
	struct iommusim_tce_table *t;
	struct iommusim_tce_config cfg = {
		.size = 0x20000,
		.page_shift = 12,
		.blocksize = 16,
	};

	(void)state;
	assert_int_equal(iommusim_mem_create_custom(&failing_ops, &b, &mem), 0);
	cfg.mem = mem;
	/* the table, then its bitmap: refusing either gives -ENOMEM and leaves nothing */
	for (long budget = 0; budget < 2; budget++) {
		b.budget = budget;
		t = NULL;
		assert_int_equal(iommusim_tce_table_create(&cfg, &t), -ENOMEM);
		assert_null(t);
		assert_int_equal(iommusim_mem_live_objects(mem), 0);
		assert_int_equal(iommusim_mem_live_bytes(mem), 0);
	}
	b.budget = 2;
	assert_int_equal(iommusim_tce_table_create(&cfg, &t), 0);
	iommusim_tce_table_destroy(t);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	iommusim_mem_destroy(mem);
}

/* The replay refused at every allocation in turn: -ENOMEM each time, nothing leaked. */
static void test_tce_replay_out_of_memory(void **state)
{
	static const char script[] = "table 0x0 0x80000 12 0x0 0x0 16\n"
				     "alloc 3 1 0xfffffffffffff 0 7\n"
				     "free 0x1 1\n"
				     "table 0x10000 0x20000 12 0x0 0x0 16\n"
				     "alloc 5 16 0xfffffffffffff 0\n"
				     "pools\n";
	struct iommusim_tce_replay_opts opts;
	struct failing b = {-1};
	char errbuf[256];
	long budget;
	int err = -ENOMEM;

	(void)state;
	assert_int_equal(iommusim_mem_create_custom(&failing_ops, &b, &opts.mem), 0);
	for (budget = 0; err == -ENOMEM; budget++) {
		char *out = NULL;
		size_t outlen = 0;
		FILE *in = fmemopen((void *)script, sizeof(script) - 1, "r");
		FILE *o = open_memstream(&out, &outlen);

		assert_non_null(in);
		assert_non_null(o);
		b.budget = budget;
		err = iommusim_tce_replay(in, "oom.ops", &opts, o, errbuf, sizeof(errbuf));
		fclose(in);
		fclose(o);
		assert_int_equal(iommusim_mem_live_objects(opts.mem), 0);
		assert_int_equal(iommusim_mem_live_bytes(opts.mem), 0);
		if (err == -ENOMEM)
			assert_non_null(strstr(errbuf, "out of memory"));
		else
			/* CPU 3 uses pool 0: entry 1; then the large pool of a table at 0x10000 */
			assert_string_equal(out, "0x1\n0x28000\npools nr=1 poolsize=0x18000 "
						 "0=0x0,0x18000,0x0 "
						 "large=0x18000,0x20000,0x18010\n");
		free(out);
		assert_true(budget < 100);
	}
	assert_int_equal(err, 0);
	/* the script, its ops, the output buffer, two tables, CPU handles: several refusals */
	assert_true(budget > 5);
	iommusim_mem_destroy(opts.mem);
}

SUITE_MAIN(T(test_tce_free_semantics), T(test_tce_in_use), T(test_tce_bad_arguments),
	   T(test_tce_work_reported), cmocka_unit_test(test_tce_out_of_memory),
	   cmocka_unit_test(test_tce_replay_out_of_memory))

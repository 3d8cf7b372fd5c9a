/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of where the powerpc TCE allocator (arch/powerpc/kernel/iommu.c, Linux 6.12) puts
 * an allocation: the pool layout by window size, entry 0 and the reserved range, the pool each
 * CPU uses, the large pool threshold, hint alignment to the block size, the DMA-mask limit and
 * its restart in pool 0, the order of the passes and the wrap to a pool's start,
 * scatter-gather handles and the segment boundary.
 */
#include "tce_table_fixture.h"

static void expect_no_fit(struct fx *f, unsigned int cpu, uint64_t npages, uint64_t mask)
{
	uint64_t entry = 0xdead;

	assert_int_equal(iommusim_tce_alloc(f->tbl, f->cpu[cpu], npages, mask, 0, NULL, &entry),
			 -ENOSPC);
	assert_int_equal(entry, 0xdead);
}

static void expect_pool(const struct iommusim_tce_pool *p, uint64_t start, uint64_t end,
			uint64_t hint)
{
	assert_int_equal(p->start, start);
	assert_int_equal(p->end, end);
	assert_int_equal(p->hint, hint);
}

/* A table of @size entries of 2^@shift bytes at @offset, split into @nr_pools of @poolsize. */
static struct iommusim_tce_pools make_pools(struct fx *f, uint64_t offset, uint64_t size,
					    unsigned int shift, unsigned int nr_pools,
					    uint64_t poolsize)
{
	struct iommusim_tce_pools p;

	make(f, offset, size, shift, 0, 0);
	p = pools_of(f);
	assert_int_equal(p.nr_pools, nr_pools);
	assert_int_equal(p.poolsize, poolsize);
	return p;
}

/* ---- layout ---- */

static void test_tce_pools_by_window_size(void **state)
{
	struct fx *f = *state;
	struct iommusim_tce_pools p;

	/* 512 MiB of 4 KiB: below 1 GiB, one pool of 3/4 = 0x18000 entries, large above it */
	p = make_pools(f, 0, 0x20000, 12, 1, 0x18000);
	expect_pool(&p.pools[0], 0, 0x18000, 0);
	expect_pool(&p.large, 0x18000, 0x20000, 0x18000);

	/* one page short of 1 GiB: still one pool; 0x3ffff * 3 / 4 = 0x2ffff (rounded down) */
	p = make_pools(f, 0, 0x3ffff, 12, 1, 0x2ffff);
	expect_pool(&p.large, 0x2ffff, 0x3ffff, 0x2ffff);

	/* exactly 1 GiB: four pools of 0x30000 / 4 = 0xc000, the large pool on top */
	p = make_pools(f, 0, 0x40000, 12, 4, 0xc000);
	expect_pool(&p.pools[0], 0, 0xc000, 0);
	expect_pool(&p.pools[1], 0xc000, 0x18000, 0xc000);
	expect_pool(&p.pools[2], 0x18000, 0x24000, 0x18000);
	expect_pool(&p.pools[3], 0x24000, 0x30000, 0x24000);
	expect_pool(&p.large, 0x30000, 0x40000, 0x30000);

	/* the same 1 GiB in 64 KiB pages: the bytes decide, 0x4000 entries, pools of 0xc00 */
	p = make_pools(f, 0x100, 0x4000, 16, 4, 0xc00);
	expect_pool(&p.large, 0x3000, 0x4000, 0x3000);

	/* 10 entries: 30 / 4 = 7 in pool 0, the large pool gets the 3 left */
	p = make_pools(f, 0, 10, 12, 1, 7);
	expect_pool(&p.large, 7, 10, 7);

	/*
	 * 2^30 entries of 16 GiB: a window of 2^64 bytes, which the kernel's unsigned long
	 * it_size << it_page_shift wraps to 0, below 1 GiB: one pool.
	 */
	make_pools(f, 0, UINT64_C(1) << 30, 34, 1, UINT64_C(3) << 28);
}

/* ---- entry 0 and the reserved range ---- */

static void test_tce_entry0_and_reserved_range(void **state)
{
	struct fx *f = *state;
	uint64_t s, e;

	/* at offset 0 entry 0 is taken at set-up, so the first allocation is entry 1 */
	make(f, 0, 0x20000, 12, 0, 0);
	assert_int_equal(iommusim_tce_weight(f->tbl), 1);
	assert_true(iommusim_tce_entry_used(f->tbl, 0));
	iommusim_tce_reserved(f->tbl, &s, &e);
	assert_int_equal(s, 0);
	assert_int_equal(e, 0);
	assert_int_equal(alloc(f, 0, 1), 1);

	/* at any other offset it is not: the first allocation is the window's first entry */
	make(f, 0x10000, 0x10000, 12, 0, 0);
	assert_int_equal(iommusim_tce_weight(f->tbl), 0);
	iommusim_tce_reserved(f->tbl, &s, &e);
	assert_int_equal(s, 0x10000);
	assert_int_equal(e, 0x10000);
	assert_int_equal(alloc(f, 0, 1), 0x10000);

	/* a range starting below the window is clipped to it: 0x10000..0x20000 are set */
	make(f, 0x10000, 0x70000, 12, 0x8000, 0x20000);
	iommusim_tce_reserved(f->tbl, &s, &e);
	assert_int_equal(s, 0x10000);
	assert_int_equal(e, 0x20000);
	assert_int_equal(iommusim_tce_weight(f->tbl), 0x10000);
	assert_false(iommusim_tce_in_use(f->tbl));
	/* 0x70000 entries (1.75 GiB): four pools of 0x15000; pool 0's search starts past it */
	assert_int_equal(alloc(f, 0, 1), 0x20000);

	/* one ending above it is clipped at the end: 0x70000..0x80000 plus entry 0 */
	make(f, 0, 0x80000, 12, 0x70000, 0x90000);
	iommusim_tce_reserved(f->tbl, &s, &e);
	assert_int_equal(s, 0x70000);
	assert_int_equal(e, 0x80000);
	assert_int_equal(iommusim_tce_weight(f->tbl), 1 + 0x10000);

	/* reversed (the kernel warns) or empty: nothing reserved, both ends at the offset */
	make(f, 0x10000, 0x70000, 12, 0x30000, 0x20000);
	iommusim_tce_reserved(f->tbl, &s, &e);
	assert_int_equal(s, 0x10000);
	assert_int_equal(e, 0x10000);
	assert_int_equal(iommusim_tce_weight(f->tbl), 0);
	make(f, 0, 0x80000, 12, 0x40000, 0x40000);
	iommusim_tce_reserved(f->tbl, &s, &e);
	assert_int_equal(s, 0);
	assert_int_equal(e, 0);
	assert_int_equal(iommusim_tce_weight(f->tbl), 1);
}

/*
 * The kernel walks the reserved range with an int: absolute entries from 2^31 up are not set,
 * though it_reserved_end still says where the range ends.
 */
static void test_tce_reserved_counter_stops_at_2g_entries(void **state)
{
	struct fx *f = *state;
	uint64_t s, e;

	/* [0x7fff0000, 0x80010000): only the 0x10000 entries below 0x80000000 are set */
	make(f, 0x7fff0000, 0x20000, 12, 0x7fff0000, 0x80010000);
	iommusim_tce_reserved(f->tbl, &s, &e);
	assert_int_equal(s, 0x7fff0000);
	assert_int_equal(e, 0x80010000);
	assert_int_equal(iommusim_tce_weight(f->tbl), 0x10000);
	assert_true(iommusim_tce_entry_used(f->tbl, 0x7fffffff));
	assert_false(iommusim_tce_entry_used(f->tbl, 0x80000000));

	/* a range starting at 2^31: the counter starts negative, nothing is set */
	make(f, 0x80000000, 0x100, 12, 0x80000000, 0x80000010);
	iommusim_tce_reserved(f->tbl, &s, &e);
	assert_int_equal(e - s, 0x10);
	assert_int_equal(iommusim_tce_weight(f->tbl), 0);
}

/* ---- pools and CPUs ---- */

static void test_tce_pool_per_cpu(void **state)
{
	static const unsigned int hash[NCPUS] = {0, 1, 3, 0, 2, 3, 1, 2};
	struct fx *f = *state;

	/* hash_32(cpu, 2): the top two bits of cpu * 0x61c88647 */
	for (unsigned int c = 0; c < NCPUS; c++)
		assert_int_equal(isim_tce_pool_hash(c), hash[c]);
	/* CPU 8: 8 * 0x61c88647 = 0x30e443238 -> 0x0e443238 -> top bits 00 */
	assert_int_equal(isim_tce_pool_hash(8), 0);

	/*
	 * 2 GiB: pools of 0x18000 at 0, 0x18000, 0x30000, 0x48000. Each CPU's first single is
	 * at its pool's hint (pool 0 skips entry 0), then the hint moves to the next block of
	 * 16, where the second CPU on the same pool lands.
	 */
	make(f, 0, 0x80000, 12, 0, 0);
	assert_int_equal(alloc(f, 0, 1), 0x1);
	assert_int_equal(alloc(f, 1, 1), 0x18000);
	assert_int_equal(alloc(f, 2, 1), 0x48000);
	assert_int_equal(alloc(f, 3, 1), 0x10);
	assert_int_equal(alloc(f, 4, 1), 0x30000);
	assert_int_equal(alloc(f, 5, 1), 0x48010);
	assert_int_equal(alloc(f, 6, 1), 0x18010);
	assert_int_equal(alloc(f, 7, 1), 0x30010);

	/* with one pool every CPU shares it, one block each */
	make(f, 0, 0x20000, 12, 0, 0);
	for (unsigned int c = 0; c < NCPUS; c++)
		assert_int_equal(alloc(f, c, 1), c == 0 ? 1 : 0x10 * c);
}

static void test_tce_large_pool_threshold(void **state)
{
	struct fx *f = *state;
	struct iommusim_tce_pools p;

	make(f, 0, 0x80000, 12, 0, 0);
	/* 15 entries are small: pool 0 from entry 1, hint to the next block, 0x10 */
	assert_int_equal(alloc(f, 0, 15), 0x1);
	/* 16 are large: the large pool, whose hint packs runs end to end */
	assert_int_equal(alloc(f, 0, 16), 0x60000);
	assert_int_equal(alloc(f, 0, 17), 0x60010);
	assert_int_equal(alloc(f, 1, 20), 0x60021);
	p = pools_of(f);
	expect_pool(&p.large, 0x60000, 0x80000, 0x60035);
	expect_pool(&p.pools[0], 0, 0x18000, 0x10);
	/* a CPU's own pool does not matter for a large run */
	expect_pool(&p.pools[1], 0x18000, 0x30000, 0x18000);
}

static void test_tce_hint_aligned_to_blocksize(void **state)
{
	struct fx *f = *state;

	/* blocksize 16: 1 -> hint 0x10; 3 at 0x10 -> hint 0x20; 15 at 0x20 -> hint 0x30 */
	make(f, 0, 0x20000, 12, 0, 0);
	assert_int_equal(alloc(f, 0, 1), 0x1);
	assert_int_equal(alloc(f, 0, 3), 0x10);
	assert_int_equal(alloc(f, 0, 15), 0x20);
	assert_int_equal(pools_of(f).pools[0].hint, 0x30);
	assert_int_equal(alloc(f, 0, 1), 0x30);

	/* blocksize 64: one block per single */
	make_bounded(f, 0, 0x20000, 12, 0, 0, 64, 0xffffffff);
	assert_int_equal(alloc(f, 0, 1), 0x1);
	assert_int_equal(alloc(f, 0, 1), 0x40);
	assert_int_equal(alloc(f, 0, 2), 0x80);
	assert_int_equal(pools_of(f).pools[0].hint, 0xc0);

	/* blocksize 1: runs pack like the large pool's */
	make_bounded(f, 0, 0x20000, 12, 0, 0, 1, 0xffffffff);
	assert_int_equal(alloc(f, 0, 1), 0x1);
	assert_int_equal(alloc(f, 0, 3), 0x2);
	assert_int_equal(alloc(f, 0, 1), 0x5);
}

static void test_tce_align_order_is_relative_to_the_table(void **state)
{
	struct fx *f = *state;

	/*
	 * An odd offset: the alignment is of the table-relative index, as iommu_area_alloc()
	 * sees it, so order 4 gives entries 0x10001 (index 0) and 0x10011 (index 0x10).
	 */
	make(f, 0x10001, 0x10000, 12, 0, 0);
	assert_int_equal(alloc_h(f, 0, 1, NO_MASK, 4, NULL), 0x10001);
	assert_int_equal(alloc_h(f, 0, 2, NO_MASK, 4, NULL), 0x10011);
	/* hint 0x20; order 6: the first index at 0x20 or above that is a multiple of 64 is 0x40 */
	assert_int_equal(alloc_h(f, 0, 1, NO_MASK, 6, NULL), 0x10041);
	/*
	 * Order 63: the only multiple of 2^63 inside the table is index 0, which is taken, so
	 * every pass fails (pool 0 from the hint, from its start, as the next pool of one, then
	 * the large pool).
	 */
	assert_int_equal(
		iommusim_tce_alloc(f->tbl, f->cpu[0], 1, NO_MASK, 63, NULL, &(uint64_t){0}),
		-ENOSPC);
}

/* ---- the DMA mask ---- */

static void test_tce_mask_limits_and_masks_the_hint(void **state)
{
	struct fx *f = *state;
	struct iommusim_tce_pools p;

	make(f, 0, 0x80000, 12, 0, 0);
	/*
	 * CPU 2 uses pool 3 [0x48000, 0x60000); a 30-bit mask (0x3ffff) ends below it, so the
	 * limit becomes 0x40000 and the start is the hint ANDed with the mask: 0x8000, in pool 0's
	 * range. Pool 3's hint follows it there.
	 */
	assert_int_equal(alloc_h(f, 2, 1, 0x3ffff, 0, NULL), 0x8000);
	p = pools_of(f);
	expect_pool(&p.pools[3], 0x48000, 0x60000, 0x8010);
	expect_pool(&p.pools[0], 0, 0x18000, 0);
	/* without a mask CPU 2 now starts from that hint, still inside pool 0's range */
	assert_int_equal(alloc(f, 2, 1), 0x8010);

	/* CPU 1's pool 1 ends at 0x30000, below the mask: no limit, an ordinary search */
	assert_int_equal(alloc_h(f, 1, 1, 0x3ffff, 0, NULL), 0x18000);
}

static void test_tce_mask_restart_in_pool0(void **state)
{
	struct fx *f = *state;
	struct iommusim_tce_pools p;
	uint64_t handle;

	/*
	 * A window at entry 0x10000 (256 MiB), 2 GiB: pools of 0x18000. A 30-bit mask gives the
	 * limit 0x3ffff - 0x10000 + 1 = 0x30000. CPU 4 uses pool 2, whose hint 0x30000 ANDed
	 * with the mask is 0x30000, not below the limit: the search moves to pool 0 from its
	 * start, index 0 = entry 0x10000, and pool 0's hint moves, pool 2's does not.
	 */
	make(f, 0x10000, 0x80000, 12, 0, 0);
	assert_int_equal(alloc_h(f, 4, 1, 0x3ffff, 0, NULL), 0x10000);
	p = pools_of(f);
	expect_pool(&p.pools[0], 0, 0x18000, 0x10);
	expect_pool(&p.pools[2], 0x30000, 0x48000, 0x30000);

	/*
	 * Every pass after the first goes to pool 0's start. Offset 0, 12-bit mask (limit
	 * 0x1000), CPU 1 (pool 1) with a handle inside pool 1 at 0x18ff1: pass 0 starts at
	 * 0x18ff1 & 0xfff = 0xff1 and finds 14 entries below the limit's last (0xfff is never
	 * used), too few for 15. Pool 1's hint is reset; pass 1 is limited again and starts at
	 * pool 0's start: entries 1..15 (entry 0 is taken). Pool 0's hint goes to 0x10, the
	 * handle to the run's end.
	 */
	make(f, 0, 0x80000, 12, 0, 0);
	handle = 0x18ff1;
	assert_int_equal(alloc_h(f, 1, 15, 0xfff, 0, &handle), 0x1);
	assert_int_equal(handle, 0x10);
	p = pools_of(f);
	expect_pool(&p.pools[0], 0, 0x18000, 0x10);
	expect_pool(&p.pools[1], 0x18000, 0x30000, 0x18000);

	/* a mask below the window's start cannot be given (the kernel would leave its bitmap) */
	make(f, 0x10000, 0x80000, 12, 0, 0);
	assert_int_equal(iommusim_tce_alloc(f->tbl, f->cpu[0], 1, 0xffff, 0, NULL, &(uint64_t){0}),
			 -EINVAL);
	/* the mask equal to the offset: limit 1, and the last entry of a limit is never used */
	expect_no_fit(f, 0, 1, 0x10000);
	/* 0x10001: limit 2, index 0 fits */
	assert_int_equal(alloc_h(f, 0, 1, 0x10001, 0, NULL), 0x10000);
}

/* ---- pass order and wrap ---- */

static void test_tce_pass_order_and_wrap(void **state)
{
	struct fx *f = *state;
	struct iommusim_tce_pools p;

	/*
	 * 2 GiB, pools 0..2 reserved whole ([0, 0x48000)). CPU 0 (pool 0): pass 0 and 1 fail in
	 * pool 0, then pool 1, pool 2, and pool 3 takes it at its start. Every pool visited had
	 * its hint reset to its start.
	 */
	make(f, 0, 0x80000, 12, 0, 0x48000);
	assert_int_equal(alloc(f, 0, 1), 0x48000);
	p = pools_of(f);
	expect_pool(&p.pools[3], 0x48000, 0x60000, 0x48010);

	/*
	 * All four small pools reserved: CPU 2 (pool 3) tries 3, 0, 1, 2, 3 and then the large
	 * pool; a small run there still block-aligns the large pool's hint.
	 */
	make(f, 0, 0x80000, 12, 0, 0x60000);
	assert_int_equal(alloc(f, 2, 1), 0x60000);
	p = pools_of(f);
	expect_pool(&p.large, 0x60000, 0x80000, 0x60010);

	/*
	 * A pool's last entry is never reached from it (iommu_area_alloc() keeps the limit's
	 * last bit out): one pool, only entry 0x17fff free in it, so the run goes to the large
	 * pool.
	 */
	make(f, 0, 0x20000, 12, 1, 0x17fff);
	assert_int_equal(alloc(f, 0, 1), 0x18000);
	assert_false(iommusim_tce_entry_used(f->tbl, 0x17fff));

	/*
	 * The wrap: one pool with [0x100, 0x18000) reserved. Singles land at 1, 0x10, ..., 0xf0
	 * (16 of them); the next finds nothing from hint 0x100, and pass 1 searches from 0: the
	 * first free entry is 2. Freed entries behind the hint (0x30 here) wait for a wrap.
	 */
	make(f, 0, 0x20000, 12, 0x100, 0x18000);
	assert_int_equal(alloc(f, 0, 1), 0x1);
	for (uint64_t i = 1; i < 16; i++)
		assert_int_equal(alloc(f, 0, 1), 0x10 * i);
	assert_int_equal(iommusim_tce_free(f->tbl, f->cpu[0], 0x30, 1), 0);
	assert_int_equal(alloc(f, 0, 1), 0x2);
	assert_int_equal(alloc(f, 0, 1), 0x11);

	/*
	 * Everything taken: pool 0 twice, pool 0 again as "the next pool" of one, the large pool,
	 * then failure, with both hints back at their starts.
	 */
	make(f, 0, 0x20000, 12, 0, 0x20000);
	expect_no_fit(f, 0, 1, NO_MASK);
	p = pools_of(f);
	expect_pool(&p.pools[0], 0, 0x18000, 0);
	expect_pool(&p.large, 0x18000, 0x20000, 0x18000);
}

/* ---- scatter-gather handles ---- */

static void test_tce_sg_handles(void **state)
{
	struct fx *f = *state;
	uint64_t handle = 0, entry;

	make(f, 0, 0x80000, 12, 0, 0);
	/* handle 0 is a new list: the pool's hint, entry 1; the handle becomes the end, 2 */
	assert_int_equal(alloc_h(f, 0, 1, NO_MASK, 0, &handle), 0x1);
	assert_int_equal(handle, 2);
	/* the next segment starts at the handle, right after the first: contiguous */
	assert_int_equal(alloc_h(f, 0, 2, NO_MASK, 0, &handle), 0x2);
	assert_int_equal(handle, 4);
	/* a large segment: the handle is not inside the large pool, which uses its own hint */
	assert_int_equal(alloc_h(f, 0, 16, NO_MASK, 0, &handle), 0x60000);
	assert_int_equal(handle, 0x60010);
	/* back to a small one: 0x60010 is not inside pool 0, so pool 0's hint 0x10 */
	assert_int_equal(alloc_h(f, 0, 1, NO_MASK, 0, &handle), 0x10);
	assert_int_equal(handle, 0x11);
	/* a failure leaves the handle as it was */
	assert_int_equal(iommusim_tce_alloc(f->tbl, f->cpu[0], 0, NO_MASK, 0, &handle, &entry),
			 -ENOSPC);
	assert_int_equal(handle, 0x11);
	/* a handle pointing at used entries: the search goes on from there, 0..3 are taken */
	handle = 0x1;
	assert_int_equal(alloc_h(f, 0, 1, NO_MASK, 0, &handle), 0x4);
	assert_int_equal(handle, 5);
}

/* ---- segment boundary ---- */

static void test_tce_segment_boundary(void **state)
{
	struct fx *f = *state;
	uint64_t entry;

	/*
	 * A 64 KiB boundary mask is (0xffff >> 12) + 1 = 16 entries, counted on absolute entries
	 * (iommu_area_alloc() gets it_offset as its shift). Offset 8: index 0 is entry 8, and 10
	 * entries from there (8..17) cross 16, so the search resumes at index 8 (entry 16).
	 */
	make_bounded(f, 8, 0x1000, 12, 0, 0, 16, 0xffff);
	assert_int_equal(alloc(f, 0, 10), 0x10);
	/*
	 * From the hint, index 0x20 (entry 0x28), 15 entries would cross entry 0x30: they start
	 * there, at index 0x28. More than 16 entries never fit and are refused.
	 */
	assert_int_equal(alloc(f, 0, 15), 0x30);
	assert_int_equal(iommusim_tce_alloc(f->tbl, f->cpu[0], 17, NO_MASK, 0, NULL, &entry),
			 -EINVAL);

	/* mask 0 = none set (ULONG_MAX): no boundary at all */
	make_bounded(f, 8, 0x1000, 12, 0, 0, 16, 0);
	assert_int_equal(alloc(f, 0, 10), 0x8);

	/*
	 * The default 4 GiB boundary is 2^20 entries of 4 KiB. A 32 GiB table: small pools of
	 * 0x180000 at 0, 0x180000, 0x300000, 0x480000, the large pool 0x600000..0x800000.
	 */
	make(f, 0, 0x800000, 12, 0, 0);
	assert_int_equal(
		iommusim_tce_alloc(f->tbl, f->cpu[0], (1u << 20) + 1, NO_MASK, 0, NULL, &entry),
		-EINVAL);
	assert_int_equal(alloc(f, 0, 16), 0x600000);
	/*
	 * 2^20 entries from the large hint 0x600010 cross 0x700000; from 0x700000 they would
	 * need the pool's last entry. The same from the pool's start. Pool 1 from 0x180000
	 * crosses 0x200000, and from there would end past 0x2fffff. Pool 2 starts on a
	 * boundary: taken, and a large run leaves the hint at its end.
	 */
	assert_int_equal(alloc(f, 0, 1u << 20), 0x300000);
	assert_int_equal(pools_of(f).pools[2].hint, 0x400000);
	assert_int_equal(pools_of(f).pools[1].hint, 0x180000);
}

SUITE_MAIN(T(test_tce_pools_by_window_size), T(test_tce_entry0_and_reserved_range),
	   T(test_tce_reserved_counter_stops_at_2g_entries), T(test_tce_pool_per_cpu),
	   T(test_tce_large_pool_threshold), T(test_tce_hint_aligned_to_blocksize),
	   T(test_tce_align_order_is_relative_to_the_table),
	   T(test_tce_mask_limits_and_masks_the_hint), T(test_tce_mask_restart_in_pool0),
	   T(test_tce_pass_order_and_wrap), T(test_tce_sg_handles), T(test_tce_segment_boundary))

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the s390 DMA translation tables (lib/arch/s390/s390_tables.c): entries and PTE
 * updates in the kernel's bit layout, the lock-free install race, the per-page-table occupancy
 * summary and the segment reader a platform model walks a range with. Expected values are
 * derived in the comments next to each assertion.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <iommusim/cpu.h>
#include <iommusim/mem.h>
#include <iommusim/s390.h>

#include "arch/s390/s390_tables.h"
#include "sizes.h"
#include "test_rng.h"

#define TIB4 IOMMUSIM_ZPCI_TABLE_SIZE_RT
#define PHYS 0x12340000ull

struct tfix {
	struct iommusim_mem *mem;
	struct iommusim_cpu *cpu;
	struct iommusim_s390_io_table *t;
};

static void tfix_init(struct tfix *f)
{
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &f->mem), 0);
	assert_int_equal(iommusim_cpu_create(f->mem, 0, &f->cpu), 0);
	assert_int_equal(isim_s390_table_create(f->mem, &f->t), 0);
}

static void tfix_fini(struct tfix *f)
{
	isim_s390_table_destroy(f->t);
	iommusim_cpu_destroy(f->cpu);
	assert_int_equal(iommusim_mem_live_objects(f->mem), 0);
	iommusim_mem_destroy(f->mem);
}

/* Write the PTE for @iova (creating tables) valid for @pa, or invalid. */
static bool set_pte(struct tfix *f, uint64_t iova, bool valid, uint64_t pa)
{
	struct isim_s390_pte pte = isim_s390_table_walk(f->t, f->cpu, iova, true);

	assert_non_null(pte.pte);
	return isim_s390_pte_update(f->cpu, pte, pa, valid ? ZPCI_PTE_VALID : ZPCI_PTE_INVALID,
				    false);
}

/* The occupancy a scan of the 256 PTEs gives. */
static void scan_ptes(const _Atomic uint64_t *ptes, uint64_t out[4])
{
	memset(out, 0, 4 * sizeof(out[0]));
	for (unsigned int i = 0; i < ZPCI_PT_ENTRIES; i++)
		if ((atomic_load(&ptes[i]) & ZPCI_PTE_VALID_MASK) == ZPCI_PTE_VALID)
			out[i / 64] |= 1ull << (i % 64);
}

/* The segment at @iova must be a page table whose occupancy is @w0..@w3 and the PTE scan. */
static void expect_pages(struct tfix *f, uint64_t iova, uint64_t w0, uint64_t w1, uint64_t w2,
			 uint64_t w3)
{
	const _Atomic uint64_t *ptes = NULL;
	uint64_t valid[4], scan[4];

	assert_int_equal(isim_s390_table_segment(f->t, iova, valid, &ptes), ISIM_S390_SEG_PAGES);
	assert_non_null(ptes);
	scan_ptes(ptes, scan);
	assert_memory_equal(valid, scan, sizeof(scan));
	assert_int_equal(valid[0], w0);
	assert_int_equal(valid[1], w1);
	assert_int_equal(valid[2], w2);
	assert_int_equal(valid[3], w3);
}

static void test_s390_tables_entries_and_pte_updates(void **state)
{
	struct iommusim_s390_io_table *t;
	struct iommusim_mem *mem;
	struct iommusim_cpu *cpu;
	struct isim_s390_pte pte;
	uint64_t rte, ste, val, pa;
	int prot;

	(void)state;
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &mem), 0);
	assert_int_equal(iommusim_cpu_create(mem, 0, &cpu), 0);
	assert_int_equal(isim_s390_table_create(mem, &t), 0);
	/* a fresh root: every entry invalid, no table below, walks without alloc find nothing */
	assert_int_equal(isim_s390_table_entries(t, SZ_4G, &rte, &ste, &val), 0);
	assert_int_equal(rte, ZPCI_TABLE_INVALID);
	assert_null(isim_s390_table_walk(t, cpu, SZ_4G, false).pte);
	assert_int_equal(isim_s390_table_count(t), 0);
	/* the walk creates a segment and a page table; entries carry the kernel's flags */
	pte = isim_s390_table_walk(t, cpu, SZ_4G + 3 * SZ_4K, true);
	assert_non_null(pte.pte);
	assert_int_equal(isim_s390_table_count(t), 2);
	assert_int_equal(isim_s390_table_entries(t, SZ_4G + 3 * SZ_4K, &rte, &ste, &val), 0);
	/* region-third entry: valid (0x20 clear), type RTX 0x4, length 0x3, unprotected */
	assert_int_equal(rte, ZPCI_TABLE_TYPE_RTX | ZPCI_TABLE_LEN_RTX);
	/* segment entry: valid, type SX 0x0 */
	assert_int_equal(ste, ZPCI_TABLE_VALID | ZPCI_TABLE_TYPE_SX);
	assert_int_equal(val, ZPCI_PTE_INVALID);
	/* neighbours in the new page table are invalid PTEs */
	assert_int_equal(isim_s390_table_entries(t, SZ_4G, &rte, &ste, &val), 0);
	assert_int_equal(val, ZPCI_PTE_INVALID);
	assert_ptr_equal(isim_s390_table_walk(t, cpu, SZ_4G + 3 * SZ_4K, false).pte, pte.pte);
	/* validate: address | flags with 0x400 clear; a second validate is a no-change (WARN) */
	assert_true(isim_s390_pte_update(cpu, pte, PHYS, ZPCI_PTE_VALID, true));
	assert_int_equal(*pte.pte, PHYS | ZPCI_TABLE_PROTECTED);
	assert_int_equal(isim_s390_table_translate(t, SZ_4G + 3 * SZ_4K, &pa, &prot), 0);
	assert_int_equal(pa, PHYS);
	assert_int_equal(prot, IOMMUSIM_PROT_READ);
	assert_false(isim_s390_pte_update(cpu, pte, PHYS + SZ_4K, ZPCI_PTE_VALID, false));
	assert_int_equal(*pte.pte, PHYS + SZ_4K);
	/* invalidate keeps the address, sets 0x400; a second one reports no change */
	assert_true(isim_s390_pte_update(cpu, pte, 0, ZPCI_PTE_INVALID, false));
	assert_int_equal(*pte.pte, (PHYS + SZ_4K) | ZPCI_PTE_INVALID);
	assert_int_equal(isim_s390_table_translate(t, SZ_4G + 3 * SZ_4K, &pa, &prot), -EFAULT);
	assert_false(isim_s390_pte_update(cpu, pte, 0, ZPCI_PTE_INVALID, false));
	assert_int_equal(iommusim_cpu_work(cpu, IOMMUSIM_WORK_PTE_WRITE), 4);
	/* beyond 4 TiB there is nothing to read */
	assert_int_equal(isim_s390_table_entries(t, TIB4, &rte, &ste, &val), -EFAULT);
	assert_int_equal(isim_s390_table_translate(t, TIB4 + SZ_4G + 3 * SZ_4K, &pa, &prot),
			 -EFAULT);
	isim_s390_table_destroy(t);
	iommusim_cpu_destroy(cpu);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	iommusim_mem_destroy(mem);
}

/*
 * A walker on another CPU that gets in between: when CPU A reports allocating a table (before
 * it tries to install it), CPU B walks to the same IOVA and installs its own tables first.
 */
struct interloper {
	struct iommusim_s390_io_table *t;
	struct iommusim_cpu *b;
	uint64_t iova;
	struct isim_s390_pte b_pte;
	bool armed;
};

static void interloper_hook(void *arg, struct iommusim_cpu *cpu, enum iommusim_work kind,
			    uint64_t n)
{
	struct interloper *in = arg;

	(void)cpu;
	(void)n;
	if (kind != IOMMUSIM_WORK_MEM_ALLOC || !in->armed)
		return;
	in->armed = false;
	in->b_pte = isim_s390_table_walk(in->t, in->b, in->iova, true);
}

static void test_s390_tables_install_race_loser_frees_its_copy(void **state)
{
	struct iommusim_cpu *a, *b;
	struct iommusim_mem *mem;
	struct interloper in = {0};
	struct isim_s390_pte pte;

	(void)state;
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &mem), 0);
	assert_int_equal(iommusim_cpu_create(mem, 0, &a), 0);
	assert_int_equal(iommusim_cpu_create(mem, 1, &b), 0);
	assert_int_equal(isim_s390_table_create(mem, &in.t), 0);
	in.b = b;
	iommusim_cpu_set_work_hook(a, interloper_hook, &in);
	/* race for the segment table: B installs segment + page table, A loses and frees */
	in.iova = SZ_4G;
	in.armed = true;
	pte = isim_s390_table_walk(in.t, a, SZ_4G, true);
	assert_non_null(pte.pte);
	assert_ptr_equal(pte.pte, in.b_pte.pte);
	assert_ptr_equal(pte.valid_word, in.b_pte.valid_word);
	assert_int_equal(iommusim_cpu_work(a, IOMMUSIM_WORK_MEM_ALLOC), 1);
	assert_int_equal(iommusim_cpu_work(a, IOMMUSIM_WORK_MEM_FREE), 1);
	assert_int_equal(iommusim_cpu_work(b, IOMMUSIM_WORK_MEM_ALLOC), 2);
	/* race for a page table in the existing segment table */
	in.iova = SZ_4G + SZ_1M;
	in.armed = true;
	pte = isim_s390_table_walk(in.t, a, SZ_4G + SZ_1M, true);
	assert_ptr_equal(pte.pte, in.b_pte.pte);
	assert_int_equal(iommusim_cpu_work(a, IOMMUSIM_WORK_MEM_FREE), 2);
	/* only the winners' tables count and stay: root + segment + 2 page tables */
	assert_int_equal(isim_s390_table_count(in.t), 3);
	assert_int_equal(iommusim_mem_live_objects(mem), 2 + 1 + 3);
	/* a PTE written through A's pointer is the one the entries lead to */
	isim_s390_pte_update(a, pte, PHYS, ZPCI_PTE_VALID, false);
	assert_int_equal(isim_s390_table_translate(in.t, SZ_4G + SZ_1M, &(uint64_t){0}, &(int){0}),
			 0);
	isim_s390_table_destroy(in.t);
	iommusim_cpu_destroy(a);
	iommusim_cpu_destroy(b);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	iommusim_mem_destroy(mem);
}

/*
 * Each kind of segment is told apart: nothing below the root, a region whose segment table
 * lacks the segment, a page table; and 4 TiB and beyond, which the walk would wrap into the
 * table (rtx = bits 31..41 of the address) but the reader refuses.
 */
static void test_s390_tables_segment_kinds(void **state)
{
	const _Atomic uint64_t *ptes = (const _Atomic uint64_t *)&ptes;
	struct isim_s390_pte pte;
	uint64_t valid[4];
	struct tfix f;

	(void)state;
	tfix_init(&f);
	/* fresh table: no region-third entry is valid; @valid zeroed, *@ptes NULL */
	memset(valid, 0xff, sizeof(valid));
	assert_int_equal(isim_s390_table_segment(f.t, SZ_4G, valid, &ptes),
			 ISIM_S390_SEG_REGION_INVALID);
	assert_null(ptes);
	assert_int_equal(valid[0] | valid[1] | valid[2] | valid[3], 0);
	/* an invalidation walk creates segment table (region 2) and page table (segment 4096) */
	assert_false(set_pte(&f, SZ_4G + 5 * SZ_4K, false, 0));
	/* the page table exists with no valid PTE: PAGES with an empty occupancy */
	expect_pages(&f, SZ_4G, 0, 0, 0, 0);
	/* the next segment in the same region: its entry is invalid */
	memset(valid, 0xff, sizeof(valid));
	ptes = (const _Atomic uint64_t *)&ptes;
	assert_int_equal(isim_s390_table_segment(f.t, SZ_4G + SZ_1M, valid, &ptes),
			 ISIM_S390_SEG_INVALID);
	assert_null(ptes);
	assert_int_equal(valid[0] | valid[1] | valid[2] | valid[3], 0);
	/* the last segment of region 2 (4 GiB + 2 GiB - 1 MiB) too; region 3 has nothing */
	assert_int_equal(isim_s390_table_segment(f.t, SZ_4G + SZ_2G - SZ_1M, valid, NULL),
			 ISIM_S390_SEG_INVALID);
	assert_int_equal(isim_s390_table_segment(f.t, SZ_4G + SZ_2G, valid, NULL),
			 ISIM_S390_SEG_REGION_INVALID);
	/* PTE 5 valid: bit 5 of word 0; the PTE array is the one the walk writes */
	pte = isim_s390_table_walk(f.t, f.cpu, SZ_4G + 5 * SZ_4K, false);
	assert_true(isim_s390_pte_update(f.cpu, pte, PHYS, ZPCI_PTE_VALID, true));
	expect_pages(&f, SZ_4G + 0xfffff, 1ull << 5, 0, 0, 0);
	assert_int_equal(isim_s390_table_segment(f.t, SZ_4G, valid, &ptes), ISIM_S390_SEG_PAGES);
	assert_ptr_equal(&ptes[5], pte.pte);
	/* target and protection read from the PTE */
	assert_int_equal(atomic_load(&ptes[5]), PHYS | ZPCI_TABLE_PROTECTED);
	/* @ptes may be NULL */
	assert_int_equal(isim_s390_table_segment(f.t, SZ_4G, valid, NULL), ISIM_S390_SEG_PAGES);
	assert_int_equal(valid[0], 1ull << 5);
	/* 4 TiB + 4 GiB has the same indices as 4 GiB, yet lies beyond the table's reach */
	assert_int_equal(isim_s390_table_segment(f.t, TIB4 + SZ_4G, valid, NULL),
			 ISIM_S390_SEG_REGION_INVALID);
	assert_int_equal(isim_s390_table_segment(f.t, TIB4, valid, NULL),
			 ISIM_S390_SEG_REGION_INVALID);
	assert_int_equal(isim_s390_table_segment(f.t, UINT64_MAX, valid, NULL),
			 ISIM_S390_SEG_REGION_INVALID);
	/* the last segment below 4 TiB is readable: region 2047, segment 2047 */
	assert_false(set_pte(&f, TIB4 - SZ_4K, false, 0));
	assert_int_equal(isim_s390_table_segment(f.t, TIB4 - SZ_1M, valid, NULL),
			 ISIM_S390_SEG_PAGES);
	assert_int_equal(isim_s390_table_segment(f.t, TIB4 - 2 * SZ_1M, valid, NULL),
			 ISIM_S390_SEG_INVALID);
	tfix_fini(&f);
}

/*
 * The rows of invalid segment entries a walk passes in one step: counted from the entry of the
 * address on, up to the limit and the end of the region's segment table; none under an invalid
 * region entry, beyond 4 TiB, or from a valid segment entry.
 */
static void test_s390_tables_invalid_segment_rows(void **state)
{
	struct tfix f;

	(void)state;
	tfix_init(&f);
	assert_int_equal(isim_s390_table_invalid_segments(f.t, SZ_4G, 100), 0);
	/* region 2 gets a segment table, with page tables at segments 4096 and 4099 */
	assert_false(set_pte(&f, SZ_4G, false, 0));
	assert_false(set_pte(&f, SZ_4G + 3 * SZ_1M, false, 0));
	assert_int_equal(isim_s390_table_invalid_segments(f.t, SZ_4G, 100), 0);
	assert_int_equal(isim_s390_table_invalid_segments(f.t, SZ_4G + SZ_1M, 100), 2);
	assert_int_equal(isim_s390_table_invalid_segments(f.t, SZ_4G + SZ_1M + 5, 1), 1);
	/* from segment 4100 to the end of the table: 2048 - 4 entries, the limit aside */
	assert_int_equal(isim_s390_table_invalid_segments(f.t, SZ_4G + 4 * SZ_1M, UINT64_MAX),
			 2044);
	assert_int_equal(isim_s390_table_invalid_segments(f.t, SZ_4G + SZ_2G - SZ_1M, 100), 1);
	assert_int_equal(isim_s390_table_invalid_segments(f.t, SZ_4G + SZ_2G, 100), 0);
	assert_int_equal(isim_s390_table_invalid_segments(f.t, TIB4 + SZ_4G + SZ_1M, 100), 0);
	tfix_fini(&f);
}

/*
 * Writing a PTE into the state it already has leaves the summary right: the bit follows the
 * value written. PTEs 0, 63, 64, 200 and 255 sit at the edges of the four words.
 */
static void test_s390_tables_occupancy_repeated_writes(void **state)
{
	struct tfix f;

	(void)state;
	tfix_init(&f);
	assert_true(set_pte(&f, SZ_4G + 63 * SZ_4K, true, PHYS));
	assert_true(set_pte(&f, SZ_4G + 64 * SZ_4K, true, PHYS));
	assert_true(set_pte(&f, SZ_4G + 255 * SZ_4K, true, PHYS));
	/* bit 63 of word 0, bit 0 of word 1, bit 63 of word 3 */
	expect_pages(&f, SZ_4G, 1ull << 63, 1, 0, 1ull << 63);
	/* valid twice: no change reported, the bit stays, nothing else moves */
	assert_false(set_pte(&f, SZ_4G + 63 * SZ_4K, true, PHYS + SZ_4K));
	expect_pages(&f, SZ_4G, 1ull << 63, 1, 0, 1ull << 63);
	/* invalid once, then twice: the bit goes and stays gone */
	assert_true(set_pte(&f, SZ_4G + 64 * SZ_4K, false, 0));
	expect_pages(&f, SZ_4G, 1ull << 63, 0, 0, 1ull << 63);
	assert_false(set_pte(&f, SZ_4G + 64 * SZ_4K, false, 0));
	expect_pages(&f, SZ_4G, 1ull << 63, 0, 0, 1ull << 63);
	/* invalidating a never-valid PTE sets nothing; 200 = word 3 bit 8 */
	assert_false(set_pte(&f, SZ_4G + 200 * SZ_4K, false, 0));
	expect_pages(&f, SZ_4G, 1ull << 63, 0, 0, 1ull << 63);
	assert_true(set_pte(&f, SZ_4G + 200 * SZ_4K, true, PHYS));
	assert_true(set_pte(&f, SZ_4G, true, PHYS));
	expect_pages(&f, SZ_4G, (1ull << 63) | 1, 0, 0, (1ull << 63) | (1ull << 8));
	tfix_fini(&f);
}

/* The segments the random test writes: three regions (one the last below 4 TiB), three each. */
#define NREG 3
#define NSEG 3
static const uint64_t rand_regions[NREG] = {SZ_4G, SZ_4G + SZ_2G, TIB4 - SZ_2G};
static const uint64_t rand_segments[NSEG] = {0, SZ_1M, SZ_2G - SZ_1M};

static uint64_t rand_seg_base(unsigned int s)
{
	return rand_regions[s / NSEG] + rand_segments[s % NSEG];
}

/*
 * After random runs of validations and invalidations (fixed seed) over nine segments in three
 * regions, every segment's occupancy equals both a scan of its PTEs and a model kept beside
 * the writes, and every valid PTE points where the last validation sent it. Segments between
 * them that were never written read as invalid.
 */
static void test_s390_tables_occupancy_random_sequences(void **state)
{
	static uint64_t target[NREG * NSEG][ZPCI_PT_ENTRIES];
	static bool model[NREG * NSEG][ZPCI_PT_ENTRIES];
	static bool touched[NREG * NSEG];
	struct iommusim_rng rng = test_rng(0x5390);
	uint64_t valid[4], scan[4], want[4];
	const _Atomic uint64_t *ptes;
	struct tfix f;

	(void)state;
	memset(model, 0, sizeof(model));
	memset(touched, 0, sizeof(touched));
	tfix_init(&f);
	for (unsigned int op = 0; op < 3000; op++) {
		uint64_t r = iommusim_rng_u64(&rng);
		unsigned int s = (unsigned int)(r % (NREG * NSEG));
		unsigned int px = (unsigned int)((r >> 8) % ZPCI_PT_ENTRIES);
		unsigned int len = 1 + (unsigned int)((r >> 16) % 48);
		bool valid_op = (r >> 32) & 1;

		if (px + len > ZPCI_PT_ENTRIES)
			len = ZPCI_PT_ENTRIES - px;
		touched[s] = true;
		for (unsigned int i = px; i < px + len; i++) {
			uint64_t pa = PHYS + (uint64_t)op * SZ_1M + i * SZ_4K;
			bool changed = set_pte(&f, rand_seg_base(s) + i * SZ_4K, valid_op, pa);

			assert_int_equal(changed, model[s][i] != valid_op);
			model[s][i] = valid_op;
			if (valid_op)
				target[s][i] = pa;
		}
		if (op % 500 != 499)
			continue;
		for (s = 0; s < NREG * NSEG; s++) {
			if (!touched[s]) {
				assert_int_not_equal(
					isim_s390_table_segment(f.t, rand_seg_base(s), valid, NULL),
					ISIM_S390_SEG_PAGES);
				continue;
			}
			assert_int_equal(
				isim_s390_table_segment(f.t, rand_seg_base(s), valid, &ptes),
				ISIM_S390_SEG_PAGES);
			scan_ptes(ptes, scan);
			memset(want, 0, sizeof(want));
			for (unsigned int i = 0; i < ZPCI_PT_ENTRIES; i++) {
				if (!model[s][i])
					continue;
				want[i / 64] |= 1ull << (i % 64);
				assert_int_equal(atomic_load(&ptes[i]) & ZPCI_PTE_ADDR_MASK,
						 target[s][i]);
			}
			assert_memory_equal(valid, scan, sizeof(scan));
			assert_memory_equal(valid, want, sizeof(want));
		}
	}
	/* 3000 runs over 9 segments: every one was written */
	for (unsigned int s = 0; s < NREG * NSEG; s++)
		assert_true(touched[s]);
	/* untouched neighbours: segment 2 of a written region, and the region between */
	assert_int_equal(isim_s390_table_segment(f.t, SZ_4G + 2 * SZ_1M, valid, NULL),
			 ISIM_S390_SEG_INVALID);
	assert_int_equal(isim_s390_table_segment(f.t, SZ_4G + 2 * SZ_2G, valid, NULL),
			 ISIM_S390_SEG_REGION_INVALID);
	/* 3 segment tables + 9 page tables */
	assert_int_equal(isim_s390_table_count(f.t), 12);
	tfix_fini(&f);
}

/*
 * Several CPUs write different PTEs of the same page tables at once, each toggling its own
 * PTEs (thread k owns the PTEs i with i % NTHR == k, so every occupancy word is shared). An
 * update that read-modify-wrote the word non-atomically would lose other threads' bits; the
 * final summary must equal the scan and the state each thread left.
 */
#define NTHR	  4
#define NSEGS_THR 2

struct thr {
	struct iommusim_s390_io_table *t;
	struct iommusim_cpu *cpu;
	unsigned int k;
	bool final[NSEGS_THR][ZPCI_PT_ENTRIES];
};

static void *thr_run(void *arg)
{
	struct thr *th = arg;
	struct iommusim_rng rng = test_rng(0x1000 + th->k);

	for (unsigned int round = 0; round < 2000; round++) {
		uint64_t r = iommusim_rng_u64(&rng);
		unsigned int s = (unsigned int)(r % NSEGS_THR);
		unsigned int i = (unsigned int)((r >> 8) % (ZPCI_PT_ENTRIES / NTHR)) * NTHR + th->k;
		bool v = (r >> 32) & 1;
		struct isim_s390_pte pte =
			isim_s390_table_walk(th->t, th->cpu, SZ_4G + s * SZ_1M + i * SZ_4K, true);

		if (!pte.pte)
			return th;
		isim_s390_pte_update(th->cpu, pte, PHYS, v ? ZPCI_PTE_VALID : ZPCI_PTE_INVALID,
				     false);
		th->final[s][i] = v;
	}
	return NULL;
}

static void test_s390_tables_occupancy_concurrent_writers(void **state)
{
	static struct thr th[NTHR];
	pthread_t tid[NTHR];
	uint64_t valid[4], scan[4], want[4];
	const _Atomic uint64_t *ptes;
	struct tfix f;

	(void)state;
	tfix_init(&f);
	memset(th, 0, sizeof(th));
	for (unsigned int k = 0; k < NTHR; k++) {
		th[k].t = f.t;
		th[k].k = k;
		assert_int_equal(iommusim_cpu_create(f.mem, k + 1, &th[k].cpu), 0);
	}
	for (unsigned int k = 0; k < NTHR; k++)
		assert_int_equal(pthread_create(&tid[k], NULL, thr_run, &th[k]), 0);
	for (unsigned int k = 0; k < NTHR; k++) {
		void *ret;

		assert_int_equal(pthread_join(tid[k], &ret), 0);
		assert_null(ret);
	}
	for (unsigned int s = 0; s < NSEGS_THR; s++) {
		assert_int_equal(isim_s390_table_segment(f.t, SZ_4G + s * SZ_1M, valid, &ptes),
				 ISIM_S390_SEG_PAGES);
		scan_ptes(ptes, scan);
		memset(want, 0, sizeof(want));
		for (unsigned int i = 0; i < ZPCI_PT_ENTRIES; i++)
			if (th[i % NTHR].final[s][i])
				want[i / 64] |= 1ull << (i % 64);
		assert_memory_equal(valid, scan, sizeof(scan));
		assert_memory_equal(valid, want, sizeof(want));
	}
	for (unsigned int k = 0; k < NTHR; k++)
		iommusim_cpu_destroy(th[k].cpu);
	tfix_fini(&f);
}

SUITE_MAIN(cmocka_unit_test(test_s390_tables_entries_and_pte_updates),
	   cmocka_unit_test(test_s390_tables_install_race_loser_frees_its_copy),
	   cmocka_unit_test(test_s390_tables_segment_kinds),
	   cmocka_unit_test(test_s390_tables_invalid_segment_rows),
	   cmocka_unit_test(test_s390_tables_occupancy_repeated_writes),
	   cmocka_unit_test(test_s390_tables_occupancy_random_sequences),
	   cmocka_unit_test(test_s390_tables_occupancy_concurrent_writers))

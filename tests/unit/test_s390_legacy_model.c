/* SPDX-License-Identifier: MIT */
/*
 * The legacy s390 DMA ops against a model of their allocator and flushing, on random
 * sequences of maps and unmaps, lazy and strict.
 */
#include "s390_legacy_fixture.h"

/*
 * A reference model of the allocator (pci_dma.c's dma_alloc_address() and dma_free_address(), bit
 * by bit): next fit over [next_bit, pages - 1), on failure a wrap (lazy: global flush + merge) and
 * first fit from 0.
 */
#define MODEL_PAGES 128
struct model {
	bool strict;
	bool used[MODEL_PAGES];
	bool lazy[MODEL_PAGES];
	uint64_t next_bit;
	uint64_t wraps, globals;
};

static int64_t model_fit(struct model *m, uint64_t from, uint64_t nr)
{
	for (uint64_t i = from; i + nr <= MODEL_PAGES - 1; i++) {
		uint64_t j = 0;

		while (j < nr && !m->used[i + j])
			j++;
		if (j == nr)
			return (int64_t)i;
	}
	return -1;
}

static int64_t model_alloc(struct model *m, uint64_t nr)
{
	int64_t off = model_fit(m, m->next_bit, nr);

	if (off < 0) {
		m->wraps++;
		if (!m->strict) {
			m->globals++;
			for (unsigned int i = 0; i < MODEL_PAGES; i++) {
				if (m->lazy[i])
					m->used[i] = false;
				m->lazy[i] = false;
			}
		}
		off = model_fit(m, 0, nr);
		if (off < 0)
			return -1;
	}
	for (uint64_t i = 0; i < nr; i++)
		m->used[off + i] = true;
	m->next_bit = (uint64_t)off + nr;
	return off;
}

static void model_free(struct model *m, uint64_t off, uint64_t nr)
{
	for (uint64_t i = 0; i < nr; i++) {
		if (m->strict)
			m->used[off + i] = false;
		else
			m->lazy[off + i] = true;
	}
}

enum live_kind { LIVE_PAGE, LIVE_ALLOC, LIVE_SG };

struct live {
	enum live_kind kind;
	uint64_t iova, size, phys, pages;
	struct iommusim_sg sg[4];
	unsigned int nents;
};

/* Unmaps or frees @l the way it was made. */
static void live_release(struct fix *f, struct live *l)
{
	if (l->kind == LIVE_SG)
		iommusim_dma_unmap_sg(f->dev, f->cpu, l->sg, l->nents, IOMMUSIM_DMA_BIDIRECTIONAL);
	else if (l->kind == LIVE_ALLOC)
		iommusim_dma_free_coherent(f->dev, f->cpu, l->size, l->iova);
	else
		unmap(f, l->iova, l->size);
}

/*
 * Random map_page / alloc / map_sg / unmap traffic (fixed seed) on a 128-page window, checked
 * call by call against the model: every IOVA, every failure, the wrap and RPCIT counts (one
 * map RPCIT per successful map with tlb_refresh, one unmap RPCIT per unmap when strict, one
 * global per lazy wrap), and the counters at the end, when everything is unmapped again.
 */
static void run_random(bool strict)
{
	struct opts o = {.pages = MODEL_PAGES, .tlb_refresh = true, .strict = strict};
	static struct live live[24];
	static struct model m;
	struct iommusim_rng rng = test_rng(strict ? 0x5eed0002 : 0x5eed0001);
	uint64_t mapped = 0, unmapped = 0, maps = 0, unmaps = 0, fails = 0, bytes = 0;
	unsigned int nlive = 0;
	struct fix f;
	size_t g, r;

	memset(&m, 0, sizeof(m));
	m.strict = strict;
	fix_init(&f, &o);
	for (unsigned int step = 0; step < 3000; step++) {
		uint64_t x = iommusim_rng_u64(&rng);

		if (nlive < 24 && (x & 1)) {
			struct live *l = &live[nlive];
			uint64_t pg = 1 + (x >> 8) % 12, off = (x >> 16) % PG;
			int64_t want;
			int ret;

			memset(l, 0, sizeof(*l));
			l->kind = (enum live_kind)((x >> 1) % 3);
			l->phys = ((x >> 32) & 0xfffff) * PG + off;
			if (l->kind == LIVE_SG) {
				/* page-sized, page-aligned elements: one run, as long as <= 64 KiB
				 */
				l->nents = 1 + (unsigned int)((x >> 4) % 4);
				l->pages = l->nents;
				for (unsigned int i = 0; i < l->nents; i++)
					l->sg[i] = (struct iommusim_sg){
						.phys = (i + 1) * 0x1000000ull, .length = PG};
			} else if (l->kind == LIVE_ALLOC) {
				l->phys &= ~(PG - 1);
				l->size = pg * PG - (x >> 20) % PG;
				l->pages = pg;
			} else {
				l->size = pg * PG - off;
				l->pages = (off + l->size + PG - 1) / PG;
			}
			want = model_alloc(&m, l->pages);
			if (l->kind == LIVE_SG) {
				unsigned int n = 0;

				ret = iommusim_dma_map_sg(f.dev, f.cpu, l->sg, l->nents,
							  IOMMUSIM_DMA_BIDIRECTIONAL, &n);
				if (!ret) {
					assert_int_equal(n, 1);
					l->iova = l->sg[0].dma_address;
					assert_int_equal(l->sg[0].dma_length, l->pages * PG);
				}
			} else if (l->kind == LIVE_ALLOC) {
				ret = iommusim_dma_alloc_coherent(f.dev, f.cpu, l->phys, l->size,
								  &l->iova);
			} else {
				ret = map(&f, l->phys, l->size, &l->iova);
			}
			if (want < 0) {
				assert_int_equal(ret, -ENOMEM);
				fails++;
				continue;
			}
			assert_int_equal(ret, 0);
			assert_int_equal(l->iova, START + (uint64_t)want * PG +
							  (l->kind == LIVE_PAGE ? off : 0));
			mapped += l->pages;
			maps++;
			/* the bytes asked for: sg elements are whole pages */
			bytes += l->kind == LIVE_SG ? l->pages * PG : l->size;
			nlive++;
		} else if (nlive) {
			unsigned int i = (unsigned int)((x >> 8) % nlive);
			struct live *l = &live[i];

			live_release(&f, l);
			model_free(&m, (l->iova - START) / PG, l->pages);
			expect_unmapped(&f, l->iova);
			unmapped += l->pages;
			unmaps++;
			live[i] = live[--nlive];
		}
	}
	while (nlive) {
		struct live *l = &live[--nlive];

		live_release(&f, l);
		unmapped += l->pages;
		unmaps++;
	}
	for (unsigned int i = 0; i < MODEL_PAGES; i++)
		expect_unmapped(&f, START + i * PG);

	/* the traffic must have exercised wraps and failures for the checks to mean much */
	assert_true(m.wraps >= 20);
	assert_true(fails >= 10);
	EXPECT_CTRS(&f, LC(wraps, m.wraps), LC(global_rpcits, m.globals), LC(map_rpcits, maps),
		    LC(unmap_rpcits, strict ? unmaps : 0), LC(mapped_pages, mapped),
		    LC(unmapped_pages, unmapped));
	assert_int_equal(mapped, unmapped);
	assert_int_equal(ctrs(&f).allocated_pages, 0);
	assert_int_equal(ctrs(&f).enomem_purges, 0);
	assert_int_equal(stats(&f).maps, maps);
	assert_int_equal(stats(&f).unmaps, unmaps);
	assert_int_equal(stats(&f).map_failures, fails);
	assert_int_equal(stats(&f).mapped_bytes, bytes);
	count_rpcits(&f, &g, &r);
	assert_int_equal(g, m.globals);
	assert_int_equal(r, maps + (strict ? unmaps : 0));
	fix_fini(&f);
}

static void test_s390_legacy_random_vs_model_lazy(void **state)
{
	(void)state;
	run_random(false);
}

static void test_s390_legacy_random_vs_model_strict(void **state)
{
	(void)state;
	run_random(true);
}

SUITE_MAIN(cmocka_unit_test(test_s390_legacy_random_vs_model_lazy),
	   cmocka_unit_test(test_s390_legacy_random_vs_model_strict))

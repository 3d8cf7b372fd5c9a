/* SPDX-License-Identifier: MIT */
/*
 * The KVM model's segment-at-a-time walk against a reference model of QEMU's loop that visits
 * every page (ref_rpcit), on random tables: counts and shadow contents alike; and a global
 * refresh of a 16 GiB aperture.
 */
#include "platform_fixture.h"

/* QEMU's dma_aligned_pow2_mask() on byte addresses, written out again */
static uint64_t ref_pieces(uint64_t page, uint64_t npages)
{
	uint64_t start = page * PG, end = (page + npages) * PG - 1, remain = npages * PG, k = 0;

	while (remain >= PG) {
		uint64_t amask = start ? (start & -start) - 1 : UINT64_MAX;
		uint64_t smask = end - start, mask;

		if (amask <= smask)
			mask = amask;
		else
			mask = (1ull << (63 - __builtin_clzll(smask + 1))) - 1;
		start += mask + 1;
		remain -= mask + 1;
		k++;
	}
	return k;
}

static uint64_t ref_avail(const struct ref *r)
{
	return r->avail;
}

/* s390_pci_update_iotlb() for one page; @pte_level: the entry came from a page table */
static void ref_update(struct ref *r, struct ref_fn *f, uint64_t page, bool valid, uint64_t ent,
		       bool pte_level)
{
	uint64_t i = page - r->base;

	assert_true(i < 4096);
	if (!valid) {
		if (!f->have[i])
			return;
		f->have[i] = false;
		r->shadow--;
		r->avail++;
		r->n.removes++;
		if (!r->coalesce) {
			r->n.unmap_calls++;
			r->n.teardowns++;
		} else if (pte_level) {
			r->n.teardowns++;
		} else {
			r->n.silent_drops++;
		}
		return;
	}
	if (f->have[i] && f->ent[i] == ent)
		return;
	if (f->have[i]) {
		r->n.remaps++;
		r->n.removes++;
		r->n.teardowns++;
		r->n.unmap_calls++;
	} else {
		r->shadow++;
	}
	f->have[i] = true;
	f->ent[i] = ent;
	r->avail--;
	r->n.inserts++;
	r->n.maps++;
}

static int ref_rpcit(struct ref *r, int fi, const struct iommusim_s390_io_table *t, uint64_t s,
		     uint64_t e)
{
	struct ref_fn *f = &r->fn[fi];
	uint64_t dma_avail = ref_avail(r);
	bool again;

retry:
	again = false;
	{
		uint64_t start = s, run_start = 0, run_len = 0;

		while (start < e) {
			uint64_t rte, ste, pte, flen, next, iova, ent = 0;
			bool pte_level = false, valid = false;

			isim_s390_table_entries(t, start * PG, &rte, &ste, &pte);
			if ((rte & ZPCI_TABLE_VALID_MASK) != ZPCI_TABLE_VALID) {
				flen = REGION;
			} else if ((ste & ZPCI_TABLE_VALID_MASK) != ZPCI_TABLE_VALID) {
				flen = SEG;
			} else {
				flen = 1;
				pte_level = true;
				valid = (pte & ZPCI_PTE_VALID_MASK) == ZPCI_PTE_VALID;
				ent = (pte & ZPCI_PTE_ADDR_MASK) |
				      ((pte & ZPCI_TABLE_PROT_MASK) == ZPCI_TABLE_PROTECTED);
			}
			if (pte_level && !valid && r->coalesce) {
				if (!run_len)
					run_start = start;
				run_len++;
			} else if (run_len) {
				r->n.unmap_calls += ref_pieces(run_start, run_len);
				run_len = 0;
			}
			if (pte_level)
				r->n.pages_walked++;
			else
				r->n.upper_invalid++;
			next = start + flen;
			for (iova = start; iova < next && iova < e; iova++) {
				if (!pte_level)
					r->n.upper_pages++;
				if (dma_avail > 0 || !valid) {
					ref_update(r, f, iova, valid, ent, pte_level);
					dma_avail = ref_avail(r);
				} else {
					uint64_t i = iova - r->base;

					if (!(f->have[i] && f->ent[i] == ent))
						r->n.skipped++;
					again = true;
					break;
				}
			}
			start = next;
		}
		if (run_len)
			r->n.unmap_calls += ref_pieces(run_start, run_len);
	}
	r->n.passes++;
	if (again && dma_avail > 0 && r->second_pass) {
		r->n.second_passes++;
		goto retry;
	}
	return dma_avail > 0 ? 0 : 1;
}

static void compare(struct fx *x, const struct ref *r, int step)
{
	struct iommusim_platform_stats st = stats(x);

#define EQ(a, b)                                                                                   \
	do {                                                                                       \
		if ((uint64_t)(a) != (uint64_t)(b))                                                \
			fail_msg("step %d: %s = %llu, reference %llu", step, #a,                   \
				 (unsigned long long)(a), (unsigned long long)(b));                \
	} while (0)
	EQ(st.passes, r->n.passes);
	EQ(st.second_passes, r->n.second_passes);
	EQ(st.pages_walked, r->n.pages_walked);
	EQ(st.upper_invalid, r->n.upper_invalid);
	EQ(st.upper_pages, r->n.upper_pages);
	EQ(st.host_maps, r->n.maps);
	EQ(st.host_unmap_calls, r->n.unmap_calls);
	EQ(st.host_unmaps, r->n.teardowns);
	EQ(st.maps_skipped, r->n.skipped);
	EQ(st.silent_drops, r->n.silent_drops);
	EQ(st.remaps, r->n.remaps);
	EQ(st.shadow_pages, r->shadow);
	EQ(st.dma_avail, r->avail);
	for (int fi = 0; fi < 2; fi++) {
		const struct isim_shadow *sh = x->p->fns[fi]->shadow;

		for (uint64_t i = 0; i < 4096; i++) {
			uint64_t target = 0;
			bool ro = false;
			bool have = isim_shadow_lookup(sh, (r->base + i) * PG, &target, &ro);

			EQ(have, r->fn[fi].have[i]);
			if (have)
				EQ(target | ro, r->fn[fi].ent[i]);
		}
	}
#undef EQ
}

/*
 * Random tables and RPCITs, checked against the reference after every call. The window is the
 * last 1024 pages of region 2 and the first 3072 of region 3; function 0 maps only in region 2
 * and in some of its segments, so its walks meet invalid segments and an invalid region, in
 * ranges that start anywhere.
 */
static void differential(bool coalesce, bool second_pass, uint64_t limit, uint64_t seed,
			 struct isim_walk_counts *tot)
{
	char lim[64], co[64], sp[64];
	const char *sets[] = {lim, co, sp, "guest.aperture_pages=1048576"};
	static struct ref r;
	struct iommusim_rng rng;
	struct fx x;
	uint64_t base = START_PAGE + REGION - 1024;

	snprintf(lim, sizeof(lim), "vfio.dma_entry_limit=%llu", (unsigned long long)limit);
	snprintf(co, sizeof(co), "qemu.unmap_coalesce=%d", coalesce);
	snprintf(sp, sizeof(sp), "qemu.second_pass=%d", second_pass);
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, sets, 4);
	memset(&r, 0, sizeof(r));
	r.base = base;
	r.avail = limit;
	r.coalesce = coalesce;
	r.second_pass = second_pass;
	reg(&x, 1, 0);
	reg(&x, 2, 1);
	iommusim_rng_seed(&rng, seed, 0);
	for (int step = 0; step < 400; step++) {
		int fi = (int)iommusim_rng_below(&rng, 2);
		uint64_t op = iommusim_rng_below(&rng, 12);

		if (op < 3) {
			/* validate a few pages, some with a new target or protection */
			uint64_t n = 1 + iommusim_rng_below(&rng, 40);
			uint64_t at = iommusim_rng_below(&rng, 4096);

			for (uint64_t k = 0; k < n && at + k < 4096; k++) {
				uint64_t page = base + at + k;
				uint64_t seg = (at + k) / SEG;

				/* function 0: segments 0, 2 of region 2 only (1 and 3 stay invalid)
				 */
				if (fi == 0 && (seg == 1 || seg == 3 || seg >= 4))
					continue;
				pte_set(&x, fi, page, (iommusim_rng_below(&rng, 3) + 1) << 20,
					iommusim_rng_below(&rng, 4) == 0);
			}
		} else if (op < 6) {
			uint64_t n = 1 + iommusim_rng_below(&rng, 200);
			uint64_t at = iommusim_rng_below(&rng, 4096);

			for (uint64_t k = 0; k < n && at + k < 4096; k++) {
				struct isim_s390_pte ref = isim_s390_table_walk(
					x.t[fi], x.cpu, (base + at + k) * PG, false);

				if (ref.pte)
					isim_s390_pte_update(x.cpu, ref, 0, ZPCI_PTE_INVALID,
							     false);
			}
		} else if (op == 11) {
			/*
			 * What a lazy guest does before a global refresh: a stretch unmapped high,
			 * new pages mapped low, so the refresh meets maps before the unmaps that
			 * would pay for them (the reason for QEMU's second pass).
			 */
			uint64_t hi = 2048 + iommusim_rng_below(&rng, 1024);
			uint64_t lo = iommusim_rng_below(&rng, 1024);

			for (uint64_t k = 0; k < 200; k++) {
				struct isim_s390_pte ref = isim_s390_table_walk(
					x.t[fi], x.cpu, (base + hi + k) * PG, false);

				if (ref.pte)
					isim_s390_pte_update(x.cpu, ref, 0, ZPCI_PTE_INVALID,
							     false);
			}
			for (uint64_t k = 0; k < 40; k++)
				if (fi == 1 || (lo + k) / SEG == 0 || (lo + k) / SEG == 2)
					pte_set(&x, fi, base + lo + k, 7ull << 20, false);
		} else {
			uint64_t a, b, cc;
			uint8_t status = 0;

			if (op >= 9) {
				a = 0;
				b = 4096;
			} else {
				a = iommusim_rng_below(&rng, 4096);
				b = a + 1 + iommusim_rng_below(&rng, 4096 - a);
			}
			cc = (uint64_t)rpcit(&x, (uint32_t)fi + 1, base + a, b - a, &status);
			assert_int_equal(cc, ref_rpcit(&r, fi, x.t[fi], base + a, base + b));
			assert_int_equal(status, cc ? IOMMUSIM_FW_STATUS_RESOURCES_ALT : 0);
			compare(&x, &r, step);
		}
	}
	tot->second_passes += r.n.second_passes;
	tot->silent_drops += r.n.silent_drops;
	tot->remaps += r.n.remaps;
	tot->skipped += r.n.skipped;
	tot->upper_invalid += r.n.upper_invalid;
	fx_done(&x);
}

static void test_platform_kvm_matches_reference(void **state)
{
	static const uint64_t limits[] = {50, 300, 1000, 65535};
	struct isim_walk_counts tot = {0};
	uint64_t seed = 1;

	(void)state;
	for (int c = 0; c < 2; c++)
		for (int s = 0; s < 2; s++)
			for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++)
				differential(c, s, limits[l], seed++, &tot);
	/* the random cases did reach every rule they are meant to check */
	assert_true(tot.second_passes > 0);
	assert_true(tot.silent_drops > 0);
	assert_true(tot.remaps > 0);
	assert_true(tot.skipped > 0);
	assert_true(tot.upper_invalid > 0);
}

/*
 * A 16 GiB aperture (4M pages, 16384 segments), every segment with a page table and one valid
 * page in every fourth: 4096 pages. The first refresh maps them; the second changes nothing
 * and issues, per run of 1023 invalid PTEs from offset 1 of a 1024-page stretch, 10 ioctls.
 * This must finish quickly (the walk goes by segments); its wall time is measured by hand.
 */
static void test_platform_kvm_global_refresh_16g(void **state)
{
	struct iommusim_platform_stats st;
	uint8_t status;
	struct fx *x = *state;

	reg(x, 1, 0);
	for (uint64_t s = 0; s < 16384; s++) {
		pte_set(x, 0, START_PAGE + s * SEG + 1, 0x1000, false);
		pte_clear(x, 0, START_PAGE + s * SEG + 1);
		if (s % 4 == 0)
			pte_set(x, 0, START_PAGE + s * SEG, (s + 1) << 12, false);
	}
	assert_int_equal(rpcit(x, 1, START_PAGE, 4194304, &status), 0);
	assert_int_equal(rpcit(x, 1, START_PAGE, 4194304, &status), 0);
	st = stats(x);
	EXPECT_FIELDS(&st, PS(pages_walked, 2 * 4194304ull), PS(host_maps, 4096),
		      PS(host_unmap_calls, 2 * 4096 * 10), PS(shadow_pages, 4096));
	assert_int_equal(isim_shadow_segments(x->p->fns[0]->shadow), 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_platform_kvm_matches_reference),
		PLAT_TEST(test_platform_kvm_global_refresh_16g, IOMMUSIM_PLATFORM_KVM,
			  "guest.aperture_pages=4194304", "vfio.dma_entry_limit=4194304"),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

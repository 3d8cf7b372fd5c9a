/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the KVM model's vfio DMA entry budget: exhaustion, the budget reaching zero, the
 * second pass, a budget shared by functions, and the behaviour of each QEMU generation.
 */
#include "platform_fixture.h"

/* ---- KVM: the budget ---- */

static void test_platform_kvm_budget_exhausted(void **state)
{
	const char *sets[] = {"vfio.dma_entry_limit=4"};
	struct iommusim_platform_stats st;
	struct iommusim_zpci_config zc;
	uint8_t status = 0;
	uint64_t t0;
	struct fx x;

	(void)state;
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, sets, 1);
	/* the shrink makes the window 4 pages; register a wider one is refused */
	iommusim_platform_zpci_config(x.p, 1, &zc);
	assert_int_equal(zc.end_dma, START + 4 * PG - 1);
	fx_done(&x);

	{
		const char *sets2[] = {"vfio.dma_entry_limit=4", "qemu.aperture_shrink=0"};

		fx_init(&x, IOMMUSIM_PLATFORM_KVM, sets2, 2);
	}
	reg(&x, 1, 0);
	map_pages(&x, 0, START_PAGE, 6);
	t0 = cpu_now(&x);
	/* 6 new pages, budget 4: 4 mapped, 2 skipped, no second pass (budget 0) */
	assert_int_equal(rpcit(&x, 1, START_PAGE, 6, &status), IOMMUSIM_FW_CC_ERROR);
	assert_int_equal(status, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	assert_int_equal(cpu_now(&x) - t0, C_TRAP + 6 * C_WALK + 4 * C_MAP);
	st = stats(&x);
	EXPECT_FIELDS(&st, PS(host_maps, 4), PS(maps_skipped, 2), PS(budget_exhausted, 1),
		      PS(passes, 1), PS(second_passes, 0), PS(dma_avail, 0), PS(rpcit_errors, 0));
	fx_done(&x);
}

/* cc 1 / status 16 when the budget ends at exactly 0, although every page got mapped */
static void test_platform_kvm_budget_ends_at_zero(void **state)
{
	struct iommusim_firmware_stats fs;
	uint8_t status = 0;
	struct fx *x = *state;

	reg(x, 1, 0);
	map_pages(x, 0, START_PAGE + 10, 4);
	assert_int_equal(rpcit(x, 1, START_PAGE + 10, 4, &status), IOMMUSIM_FW_CC_ERROR);
	assert_int_equal(status, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	assert_int_equal(stats(x).host_maps, 4);
	assert_int_equal(stats(x).maps_skipped, 0);
	iommusim_firmware_get_stats(x->fw, &fs);
	assert_int_equal(fs.rpcit_no_resources, 1);
}

/*
 * Budget 4, all used by pages 10..13. The guest then unmaps 10..11 and maps 0..1, and refreshes
 * [0, 14). Pass 1: 0..1 find no budget (skipped, again), 2..9 invalid, 10..11 leave the shadow
 * (budget 2), 12..13 are hits; the run [2, 12) is [2,4) [4,8) [8,12): 3 ioctls. With the second
 * pass: 0..1 mapped (budget 0), the same run again (3 ioctls), 12..13 passed over at budget 0.
 */
static void second_pass_case(bool second_pass)
{
	const char *on[] = {"vfio.dma_entry_limit=4", "qemu.aperture_shrink=0"};
	const char *off[] = {"vfio.dma_entry_limit=4", "qemu.aperture_shrink=0",
			     "qemu.second_pass=0"};
	struct iommusim_platform_stats st;
	uint8_t status = 0;
	uint64_t t0;
	struct fx x;
	int cc;

	fx_init(&x, IOMMUSIM_PLATFORM_KVM, second_pass ? on : off, second_pass ? 2 : 3);
	reg(&x, 1, 0);
	map_pages(&x, 0, START_PAGE + 10, 4);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 10, 4, &status), IOMMUSIM_FW_CC_ERROR);
	unmap_pages(&x, 0, START_PAGE + 10, 2);
	map_pages(&x, 0, START_PAGE, 2);
	t0 = cpu_now(&x);
	status = 0;
	cc = rpcit(&x, 1, START_PAGE, 14, &status);
	st = stats(&x);
	if (second_pass) {
		/* pass 1: 14 walks, 2 x 2340, 3 ioctls; pass 2: 14 walks, 2 maps, 3 ioctls */
		assert_int_equal(cpu_now(&x) - t0, C_TRAP + 2 * 14 * C_WALK + 2 * C_GONE +
							   2 * C_MAP + 6 * C_UNMAP_IOCTL);
		assert_int_equal(cc, IOMMUSIM_FW_CC_ERROR);
		assert_int_equal(status, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
		EXPECT_FIELDS(&st, PS(passes, 1 + 2), PS(second_passes, 1), PS(host_maps, 4 + 2),
			      PS(maps_skipped, 2), PS(dma_avail, 0), PS(shadow_pages, 4));
	} else {
		/* QEMU < 7.2: one pass; 0..1 stay unmapped, yet the budget is 2: cc 0 */
		assert_int_equal(cpu_now(&x) - t0,
				 C_TRAP + 14 * C_WALK + 2 * C_GONE + 3 * C_UNMAP_IOCTL);
		assert_int_equal(cc, IOMMUSIM_FW_CC_OK);
		EXPECT_FIELDS(&st, PS(passes, 2), PS(second_passes, 0), PS(host_maps, 4),
			      PS(maps_skipped, 2), PS(dma_avail, 2), PS(shadow_pages, 2));
	}
	assert_int_equal(st.host_unmaps, 2);
	fx_done(&x);
}

static void test_platform_kvm_second_pass(void **state)
{
	(void)state;
	second_pass_case(true);
	second_pass_case(false);
}

static void test_platform_kvm_budget_shared_by_functions(void **state)
{
	struct iommusim_platform_stats st;
	uint8_t status = 0;
	struct fx *x = *state;

	reg(x, 1, 0);
	reg(x, 2, 1);
	map_pages(x, 0, START_PAGE, 3);
	map_pages(x, 1, START_PAGE, 2);
	assert_int_equal(rpcit(x, 1, START_PAGE, 3, &status), IOMMUSIM_FW_CC_OK);
	assert_int_equal(stats(x).dma_avail, 1);
	/* the second function finds one unit left: 1 mapped, 1 skipped, budget 0 */
	assert_int_equal(rpcit(x, 2, START_PAGE, 2, &status), IOMMUSIM_FW_CC_ERROR);
	assert_int_equal(status, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	st = stats(x);
	EXPECT_FIELDS(&st, PS(host_maps, 4), PS(maps_skipped, 1), PS(shadow_pages, 4));
	assert_int_equal(isim_shadow_pages(x->p->fns[0]->shadow), 3);
	assert_int_equal(isim_shadow_pages(x->p->fns[1]->shadow), 1);
	/* the first function frees a page: the budget comes back for both */
	unmap_pages(x, 0, START_PAGE, 1);
	assert_int_equal(rpcit(x, 1, START_PAGE, 1, &status), IOMMUSIM_FW_CC_OK);
	assert_int_equal(rpcit(x, 2, START_PAGE, 2, &status), IOMMUSIM_FW_CC_ERROR);
	st = stats(x);
	assert_int_equal(st.host_maps, 5);
	assert_int_equal(isim_shadow_pages(x->p->fns[1]->shadow), 2);
}

/*
 * The three KVM generations on one scripted sequence (docs/sources.md S4, S5), with a 64-page
 * aperture for all and a budget of 8 (vfio.dma_entry_limit). Every difference below is one of
 * the three switches or the host's flush on map (host.iotlb_inv_ns = 300 per map on 7.x):
 *
 *   RPCIT 1 over [2, 10): 8 new pages take the whole budget; it ends at 0, so cc 1 / 16.
 *   The guest unmaps 4..9 and maps 0..1.
 *   RPCIT 2 over [0, 10), pass 1: 0..1 are new but find no budget (skipped, "again"), 2..3 are
 *   passed over at budget 0, 4..9 leave the shadow (6 teardowns, budget 6) as one run of
 *   invalid PTEs [4, 10).
 *     7.1: no second pass; 6 UNMAP ioctls, one per page; 0..1 stay unmapped, cc 0.
 *     7.2: second pass: 0..1 mapped (budget 4); 6 ioctls in pass 1, none in pass 2 (4..9 are
 *          no longer shadowed, and per-page unmaps only name shadowed pages).
 *     8.0: second pass; the run [4, 10) is [4, 8) + [8, 10): 2 ioctls per pass, 4 in all,
 *          because the coalesced run counts invalid PTEs whether mapped or not.
 */
struct generation {
	const char *profile;
	uint64_t window_end; /* end_dma without an explicit aperture */
	uint64_t map;	     /* one new page: hash insert + ioctl (+ host flush) */
	uint64_t rpcit2;     /* cycles of RPCIT 2 */
	uint64_t passes2, unmap_calls2, maps2, avail2, shadow2;
};

static void generation_case(const struct generation *g)
{
	const char *sets[] = {"vfio.dma_entry_limit=8", "guest.aperture_pages=64"};
	const char *limit_only[] = {"vfio.dma_entry_limit=8"};
	struct iommusim_platform_stats st0, st;
	struct iommusim_zpci_config zc;
	uint8_t status = 0;
	uint64_t t0;
	struct fx x;

	/* the window firmware reports: only 8.0 cuts it to the vfio limit */
	fx_init_as(&x, IOMMUSIM_PLATFORM_KVM, g->profile, limit_only, 1);
	iommusim_platform_zpci_config(x.p, 1, &zc);
	assert_int_equal(zc.end_dma, g->window_end);
	fx_done(&x);

	fx_init_as(&x, IOMMUSIM_PLATFORM_KVM, g->profile, sets, 2);
	reg(&x, 1, 0);
	map_pages(&x, 0, START_PAGE + 2, 8);
	t0 = cpu_now(&x);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 2, 8, &status), IOMMUSIM_FW_CC_ERROR);
	assert_int_equal(status, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	assert_int_equal(cpu_now(&x) - t0, C_TRAP + 8 * C_WALK + 8 * g->map);
	st0 = stats(&x);
	assert_int_equal(st0.host_maps, 8);
	assert_int_equal(st0.dma_avail, 0);

	unmap_pages(&x, 0, START_PAGE + 4, 6);
	map_pages(&x, 0, START_PAGE, 2);
	t0 = cpu_now(&x);
	status = 0;
	assert_int_equal(rpcit(&x, 1, START_PAGE, 10, &status), IOMMUSIM_FW_CC_OK);
	assert_int_equal(cpu_now(&x) - t0, g->rpcit2);
	st = stats(&x);
	assert_int_equal(st.passes - st0.passes, g->passes2);
	assert_int_equal(st.second_passes - st0.second_passes, g->passes2 - 1);
	assert_int_equal(st.pages_walked - st0.pages_walked, 10 * g->passes2);
	assert_int_equal(st.host_unmaps - st0.host_unmaps, 6);
	assert_int_equal(st.host_unmap_calls - st0.host_unmap_calls, g->unmap_calls2);
	assert_int_equal(st.host_maps - st0.host_maps, g->maps2);
	assert_int_equal(st.maps_skipped - st0.maps_skipped, 2);
	EXPECT_FIELDS(&st, PS(dma_avail, g->avail2), PS(shadow_pages, g->shadow2));
	fx_done(&x);
}

static void test_platform_kvm_generations(void **state)
{
	const uint64_t flush = 300; /* host.iotlb_inv_ns in a 7.x map */
	const struct generation gens[] = {
		{"kvm-qemu7.1", IOMMUSIM_ZPCI_QEMU_END_DMA, C_MAP + flush,
		 C_TRAP + 10 * C_WALK + 6 * (C_GONE + C_UNMAP_IOCTL), 1, 6, 0, 6, 2},
		{"kvm-qemu7.2", IOMMUSIM_ZPCI_QEMU_END_DMA, C_MAP + flush,
		 C_TRAP + 20 * C_WALK + 6 * (C_GONE + C_UNMAP_IOCTL) + 2 * (C_MAP + flush), 2, 6, 2,
		 4, 4},
		{"kvm", START + 8 * PG - 1, C_MAP,
		 C_TRAP + 20 * C_WALK + 6 * C_GONE + 4 * C_UNMAP_IOCTL + 2 * C_MAP, 2, 4, 2, 4, 4},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(gens) / sizeof(gens[0]); i++)
		generation_case(&gens[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_platform_kvm_budget_exhausted),
		PLAT_TEST(test_platform_kvm_budget_ends_at_zero, IOMMUSIM_PLATFORM_KVM,
			  "vfio.dma_entry_limit=4", "qemu.aperture_shrink=0"),
		cmocka_unit_test(test_platform_kvm_second_pass),
		PLAT_TEST(test_platform_kvm_budget_shared_by_functions, IOMMUSIM_PLATFORM_KVM,
			  "vfio.dma_entry_limit=4", "qemu.aperture_shrink=0"),
		cmocka_unit_test(test_platform_kvm_generations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the z/VM model: the cost of CP's trap, segment scan and shadow pages, its limit
 * and its server.
 */
#include "platform_fixture.h"

/* ---- z/VM ---- */

static void test_platform_zvm_costs(void **state)
{
	struct iommusim_platform_stats st;
	uint8_t status;
	struct fx *x = *state;

	assert_null(iommusim_platform_server(x->p));
	reg(x, 1, 0);
	map_pages(x, 0, START_PAGE, 1);
	/* trap 2000 + 1 page table x 50 + 1 page x 100 + 1 map x 1000, all on the CPU */
	assert_int_equal(rpcit(x, 1, START_PAGE, 1, &status), 0);
	assert_int_equal(iommusim_engine_cpu_charged(x->e, x->cpu), 3150);
	map_pages(x, 0, START_PAGE + 8, 8);
	assert_int_equal(rpcit(x, 1, START_PAGE + 8, 8, &status), 0);
	unmap_pages(x, 0, START_PAGE + 8, 8);
	/* one page table, 8 x (100 + 500), no unmap calls */
	assert_int_equal(rpcit_cycles(x, 1, START_PAGE + 8, 8), 2000 + 50 + 8 * 600);
	/*
	 * a global refresh: 8 segment entries (one page table, 7 invalid segments skipped) x 50,
	 * 256 pages in the page table x 100
	 */
	assert_int_equal(rpcit_cycles(x, 1, START_PAGE, 2048), 2000 + 8 * 50 + 256 * 100);
	st = stats(x);
	EXPECT_FIELDS(&st, PS(host_unmap_calls, 0), PS(host_unmaps, 8), PS(host_maps, 9),
		      PS(upper_invalid, 7));
	/* the three refreshes above, then the global one: one page table each */
	EXPECT_FIELDS(&st, PS(tables_walked, 4), PS(dma_avail, UINT64_MAX));
}

static void test_platform_zvm_limit_and_server(void **state)
{
	struct iommusim_server_stats ss;
	uint8_t status = 0;
	struct fx *x = *state;

	assert_string_equal(iommusim_engine_server_name(iommusim_platform_server(x->p)), "zvm-cp");
	reg(x, 1, 0);
	map_pages(x, 0, START_PAGE, 6);
	/* 4 pages: the budget ends at 0 but nothing was left out: cc 0 (unlike QEMU) */
	assert_int_equal(rpcit(x, 1, START_PAGE, 4, &status), IOMMUSIM_FW_CC_OK);
	assert_int_equal(stats(x).dma_avail, 0);
	/* 2 more find no budget: cc 1 / 16 */
	assert_int_equal(rpcit(x, 1, START_PAGE + 4, 2, &status), IOMMUSIM_FW_CC_ERROR);
	assert_int_equal(status, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	assert_int_equal(stats(x).maps_skipped, 2);
	assert_int_equal(stats(x).budget_exhausted, 1);
	iommusim_engine_server_stats(iommusim_platform_server(x->p), &ss);
	/* a page table (50) and 4 x (100 + 1000); a page table and 2 x 100 */
	assert_int_equal(ss.busy, 50 + 4400 + 50 + 200);
	/* deregistration gives CP's budget back */
	assert_int_equal(iommusim_firmware_set_ioat(x->fw, 1, 0, 0, NULL), 0);
	assert_int_equal(stats(x).dma_avail, 4);
	assert_int_equal(stats(x).host_unmaps, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PLAT_TEST(test_platform_zvm_costs, IOMMUSIM_PLATFORM_ZVM,
			  "guest.aperture_pages=2048", "zvm.serialize_rpcit=0"),
		PLAT_TEST(test_platform_zvm_limit_and_server, IOMMUSIM_PLATFORM_ZVM,
			  "zvm.dma_entry_limit=4", "zvm.serialize_rpcit=1"),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

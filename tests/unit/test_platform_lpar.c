/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the LPAR model: an RPCIT costs lpar.rpcit_ns on the calling CPU.
 */
#include "platform_fixture.h"

/* ---- LPAR ---- */

static void test_platform_lpar_charges_rpcit_ns(void **state)
{
	struct iommusim_platform_stats st;
	uint8_t status = 0xff;
	struct fx *x = *state;

	fx_init(x, IOMMUSIM_PLATFORM_LPAR, NULL, 0);
	assert_null(iommusim_platform_server(x->p));
	reg(x, 1, 0);
	map_pages(x, 0, START_PAGE, 4);
	/* a refresh on LPAR is an IOTLB purge: 1000 cycles whatever the range */
	assert_int_equal(rpcit(x, 1, START_PAGE, 4, &status), 0);
	assert_int_equal(status, 0);
	assert_int_equal(iommusim_engine_cpu_charged(x->e, x->cpu), 1000);
	/* even for a function the platform never heard of */
	assert_int_equal(rpcit(x, 99, START_PAGE, 65535, &status), 0);
	assert_int_equal(iommusim_engine_cpu_charged(x->e, x->cpu), 2000);
	assert_int_equal(cpu_now(x), 2000);
	st = stats(x);
	EXPECT_FIELDS(&st, PS(rpcits, 2), PS(hyp_cycles, 2000), PS(passes, 0), PS(pages_walked, 0),
		      PS(host_maps, 0), PS(dma_avail, UINT64_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_platform_lpar_charges_rpcit_ns, plat_alloc,
						plat_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the KVM + QEMU + vfio model's shadow walk: one page mapped and unmapped, runs of
 * unmaps, a warm global refresh, invalid segments and regions, no coalescing, a changed target,
 * silent drops, errors and the wait on QEMU's server.
 */
#include "platform_fixture.h"

/* ---- KVM: single RPCITs by hand ---- */

static void test_platform_kvm_map_one_page(void **state)
{
	struct iommusim_server_stats ss;
	struct iommusim_platform_stats st;
	uint8_t status = 0xff;
	uint64_t target;
	bool ro;
	struct fx *x = *state;

	assert_non_null(iommusim_platform_server(x->p));
	assert_string_equal(iommusim_engine_server_name(iommusim_platform_server(x->p)),
			    "qemu-bql");
	reg(x, 1, 0);
	pte_set(x, 0, START_PAGE + 5, 0xabc000, true);
	assert_int_equal(rpcit(x, 1, START_PAGE + 5, 1, &status), 0);
	assert_int_equal(status, 0);
	/*
	 * the kernel's part of the trap, 500, on the CPU; QEMU's part, 4500, and the emulation =
	 * walk 100 + hash 20 + insert 200 + map ioctl 4000 = 4320 on the QEMU server, which holds
	 * the CPU: CPU free at 500 + 4500 + 4320 = 9320.
	 */
	assert_int_equal(iommusim_engine_cpu_charged(x->e, x->cpu), C_TRAP_KERNEL);
	assert_int_equal(cpu_now(x), C_TRAP + 4320);
	iommusim_engine_server_stats(iommusim_platform_server(x->p), &ss);
	assert_int_equal(ss.requests, 1);
	assert_int_equal(ss.busy, C_TRAP_LOCKED + 4320);
	assert_int_equal(ss.waited, 0);
	st = stats(x);
	EXPECT_FIELDS(&st, PS(rpcits, 1), PS(passes, 1), PS(pages_walked, 1), PS(upper_invalid, 0),
		      PS(host_maps, 1), PS(host_unmap_calls, 0), PS(shadow_pages, 1),
		      PS(shadow_pages_max, 1), PS(dma_avail, 65534), PS(hyp_cycles, 9320));
	/* the shadow holds the target and the read-only permission */
	assert_true(isim_shadow_lookup(x->p->fns[0]->shadow, START + 5 * PG, &target, &ro));
	assert_int_equal(target, 0xabc000);
	assert_true(ro);
	assert_false(isim_shadow_lookup(x->p->fns[0]->shadow, START + 4 * PG, &target, &ro));

	/* the same RPCIT again: a hash hit, only the walk: 120 */
	assert_int_equal(rpcit(x, 1, START_PAGE + 5, 1, &status), 0);
	assert_int_equal(cpu_now(x), 9320 + C_TRAP + C_WALK);
	assert_int_equal(stats(x).host_maps, 1);
}

static void test_platform_kvm_unmap_one_page(void **state)
{
	struct iommusim_platform_stats st;
	uint8_t status;
	uint64_t t0;
	struct fx *x = *state;

	reg(x, 1, 0);
	map_pages(x, 0, START_PAGE + 9, 1);
	assert_int_equal(rpcit(x, 1, START_PAGE + 9, 1, &status), 0);
	t0 = cpu_now(x);
	unmap_pages(x, 0, START_PAGE + 9, 1);
	assert_int_equal(rpcit(x, 1, START_PAGE + 9, 1, &status), 0);
	/* trap + walk 120 + remove/teardown/invalidation 2340 + one UNMAP ioctl 1000 */
	assert_int_equal(cpu_now(x) - t0, C_TRAP + C_WALK + C_GONE + C_UNMAP_IOCTL);
	st = stats(x);
	EXPECT_FIELDS(&st, PS(host_unmap_calls, 1), PS(host_unmaps, 1), PS(shadow_pages, 0),
		      PS(shadow_pages_max, 1), PS(dma_avail, 65535));
	/* the empty shadow segment is gone again */
	assert_int_equal(isim_shadow_segments(x->p->fns[0]->shadow), 0);
}

static void test_platform_kvm_unmap_runs(void **state)
{
	struct iommusim_platform_stats st;
	uint8_t status;
	struct fx *x = *state;

	reg(x, 1, 0);
	/* 8 pages at 16 (aligned to 8): map RPCIT = 8 x (120 + 4200) = 34560 */
	map_pages(x, 0, START_PAGE + 16, 8);
	assert_int_equal(rpcit_cycles(x, 1, START_PAGE + 16, 8), C_TRAP + 8 * (C_WALK + C_MAP));
	unmap_pages(x, 0, START_PAGE + 16, 8);
	/* one naturally aligned run of 8: one ioctl; 8 x (120 + 2340) + 1000 = 20680 */
	assert_int_equal(rpcit_cycles(x, 1, START_PAGE + 16, 8),
			 C_TRAP + 8 * (C_WALK + C_GONE) + C_UNMAP_IOCTL);
	st = stats(x);
	EXPECT_FIELDS(&st, PS(host_unmap_calls, 1), PS(host_unmaps, 8));

	/* 5 pages at 33: pieces [33], [34,36), [36,38): 3 ioctls */
	map_pages(x, 0, START_PAGE + 33, 5);
	assert_int_equal(rpcit(x, 1, START_PAGE + 33, 5, &status), 0);
	unmap_pages(x, 0, START_PAGE + 33, 5);
	assert_int_equal(rpcit_cycles(x, 1, START_PAGE + 33, 5),
			 C_TRAP + 5 * (C_WALK + C_GONE) + 3 * C_UNMAP_IOCTL);
	st = stats(x);
	EXPECT_FIELDS(&st, PS(host_unmap_calls, 1 + 3), PS(host_unmaps, 8 + 5), PS(shadow_pages, 0),
		      PS(dma_avail, 65535));
}

/*
 * A global refresh over a warm aperture of 8 segments (2048 pages) with one valid page at the
 * start of each segment and nothing changed: every page is walked (2048 x 120), nothing is
 * mapped, and each run of 255 invalid PTEs (offsets 1..255 of a segment) is split into 1, 2,
 * 4, ..., 128 pages: 8 ioctls per run, 64 in all.
 */
static void test_platform_kvm_global_refresh_warm(void **state)
{
	struct iommusim_platform_stats st0, st;
	uint8_t status;
	struct fx *x = *state;

	reg(x, 1, 0);
	for (uint64_t s = 0; s < 8; s++) {
		/* warm: a page table exists everywhere, offset 0 valid, the rest invalid */
		map_pages(x, 0, START_PAGE + s * SEG, 2);
		unmap_pages(x, 0, START_PAGE + s * SEG + 1, 1);
	}
	assert_int_equal(rpcit(x, 1, START_PAGE, 2048, &status), 0);
	st0 = stats(x);
	assert_int_equal(st0.host_maps, 8);
	assert_int_equal(rpcit_cycles(x, 1, START_PAGE, 2048),
			 C_TRAP + 2048 * C_WALK + 64 * C_UNMAP_IOCTL);
	st = stats(x);
	assert_int_equal(st.pages_walked - st0.pages_walked, 2048);
	assert_int_equal(st.host_unmap_calls - st0.host_unmap_calls, 64);
	EXPECT_FIELDS(&st, PS(host_maps, 8), PS(host_unmaps, 0), PS(upper_invalid, 0));
}

/*
 * Invalid upper entries inside the range: segments without a page table cost one walk and 256
 * hash lookups each; an invalid region one walk and a lookup for every page under it.
 */
static void test_platform_kvm_invalid_segment_and_region(void **state)
{
	struct iommusim_platform_stats st;
	struct fx *x = *state;

	reg(x, 1, 0);
	/* page tables in segments 0 and 2 of region 2; segment 1 has none */
	map_pages(x, 0, START_PAGE, 1);
	map_pages(x, 0, START_PAGE + 2 * SEG, 1);
	/*
	 * 512 pages walked in page tables, 2 mapped; segment 1: walk 100 + 256 x hash 20; the
	 * runs [1,256) and [513,768) give 8 ioctls each.
	 */
	assert_int_equal(rpcit_cycles(x, 1, START_PAGE, 3 * SEG),
			 C_TRAP + 512 * C_WALK + 2 * C_MAP + 100 + 256 * 20 + 16 * C_UNMAP_IOCTL);
	st = stats(x);
	EXPECT_FIELDS(&st, PS(pages_walked, 512), PS(upper_invalid, 1), PS(upper_pages, 256));
	/* the invalid segment ends the run: [1,256) and [512+1,768) separately */
	assert_int_equal(st.host_unmap_calls, 16);

	/* region 3 (pages 2^20 + 2^19 ...) has no segment table: one walk, 524288 lookups */
	assert_int_equal(rpcit_cycles(x, 1, START_PAGE + REGION, REGION),
			 C_TRAP + 100 + REGION * 20);
	st = stats(x);
	EXPECT_FIELDS(&st, PS(upper_invalid, 2), PS(upper_pages, 256 + REGION));
	/* a range ending inside the region counts only its own pages: 1000 lookups */
	assert_int_equal(rpcit_cycles(x, 1, START_PAGE + REGION, 1000), C_TRAP + 100 + 1000 * 20);
}

/* ---- KVM: older QEMU, changed pages, silent drops, errors ---- */

static void test_platform_kvm_no_coalesce(void **state)
{
	struct iommusim_platform_stats st;
	uint8_t status;
	struct fx *x = *state;

	reg(x, 1, 0);
	map_pages(x, 0, START_PAGE + 16, 8);
	assert_int_equal(rpcit(x, 1, START_PAGE + 16, 8, &status), 0);
	unmap_pages(x, 0, START_PAGE + 16, 8);
	/* QEMU < 8.0: one UNMAP per shadowed page: 8 x (120 + 2340 + 1000) = 27680 */
	assert_int_equal(rpcit_cycles(x, 1, START_PAGE + 16, 8),
			 C_TRAP + 8 * (C_WALK + C_GONE + C_UNMAP_IOCTL));
	st = stats(x);
	EXPECT_FIELDS(&st, PS(host_unmap_calls, 8), PS(host_unmaps, 8));
	/* a global refresh over invalid PTEs nobody mapped: no ioctl at all */
	assert_int_equal(rpcit_cycles(x, 1, START_PAGE, 256), C_TRAP + 256 * C_WALK);
	assert_int_equal(stats(x).host_unmap_calls, 8);
}

static void test_platform_kvm_changed_target(void **state)
{
	struct iommusim_platform_stats st;
	uint8_t status;
	uint64_t target;
	bool ro;
	struct fx *x = *state;

	reg(x, 1, 0);
	pte_set(x, 0, START_PAGE + 3, 0x5000, false);
	assert_int_equal(rpcit(x, 1, START_PAGE + 3, 1, &status), 0);
	assert_int_equal(stats(x).dma_avail, 65534);
	/* the PTE now points elsewhere, never invalidated in between */
	pte_set(x, 0, START_PAGE + 3, 0x9000, false);
	/* walk 120 + remove 40 + UNMAP 1000 + entry 2000 + inv 300 + insert 200 + MAP 4000 */
	assert_int_equal(rpcit_cycles(x, 1, START_PAGE + 3, 1),
			 C_TRAP + 120 + 40 + 1000 + 2000 + 300 + 200 + 4000);
	st = stats(x);
	EXPECT_FIELDS(&st, PS(remaps, 1), PS(host_maps, 2), PS(host_unmaps, 1),
		      PS(host_unmap_calls, 1), PS(shadow_pages, 1));
	/* QEMU's counter gives nothing back for the replaced entry: one unit gone for good */
	assert_int_equal(st.dma_avail, 65533);
	assert_true(isim_shadow_lookup(x->p->fns[0]->shadow, START + 3 * PG, &target, &ro));
	assert_int_equal(target, 0x9000);
	assert_false(ro);
	/* only the permission changes: a remap as well */
	pte_set(x, 0, START_PAGE + 3, 0x9000, true);
	assert_int_equal(rpcit(x, 1, START_PAGE + 3, 1, &status), 0);
	assert_int_equal(stats(x).remaps, 2);
	assert_true(isim_shadow_lookup(x->p->fns[0]->shadow, START + 3 * PG, &target, &ro));
	assert_true(ro);
}

/*
 * QEMU's frame for an invalid segment starts where its walk stands: a range that begins in the
 * middle of segment 1 (no page table) covers 256 pages from there, i.e. pages 0..127 of
 * segment 2 too, and the pages QEMU shadowed there leave its shadow without a vfio unmap.
 * z/VM (assumed to skip the entry to its aligned end) walks segment 2 as it is.
 */
static void test_platform_kvm_silent_drops(void **state)
{
	struct iommusim_platform_stats st;
	uint8_t status;
	uint64_t t0;
	struct fx x;

	(void)state;
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, NULL, 0);
	reg(&x, 1, 0);
	map_pages(&x, 0, START_PAGE + 2 * SEG, 4);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 2 * SEG, 4, &status), 0);
	t0 = cpu_now(&x);
	assert_int_equal(rpcit(&x, 1, START_PAGE + SEG + 128, 256 + 8, &status), 0);
	/*
	 * frame [SEG+128, 2*SEG+128): walk 100 + 256 lookups, 4 removes (40 each); then pages
	 * 2*SEG+128..135 of segment 2's page table: 8 walks, one run of 8 from 128: 1 ioctl
	 */
	assert_int_equal(cpu_now(&x) - t0,
			 C_TRAP + 100 + 256 * 20 + 4 * 40 + 8 * C_WALK + C_UNMAP_IOCTL);
	st = stats(&x);
	EXPECT_FIELDS(&st, PS(silent_drops, 4), PS(host_unmaps, 0), PS(shadow_pages, 0),
		      PS(dma_avail, 65535));
	/* the guest's PTEs are still valid: the next refresh maps them again */
	assert_int_equal(rpcit(&x, 1, START_PAGE + 2 * SEG, 4, &status), 0);
	assert_int_equal(stats(&x).host_maps, 8);
	fx_done(&x);

	fx_init(&x, IOMMUSIM_PLATFORM_ZVM, NULL, 0);
	reg(&x, 1, 0);
	map_pages(&x, 0, START_PAGE + 2 * SEG, 4);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 2 * SEG, 4, &status), 0);
	t0 = cpu_now(&x);
	assert_int_equal(rpcit(&x, 1, START_PAGE + SEG + 128, 256 + 8, &status), 0);
	/*
	 * trap 2000; one step for [SEG+128, 2*SEG) and one page table entered (2 x 50), then 136
	 * pages walked (x 100)
	 */
	assert_int_equal(cpu_now(&x) - t0, 2000 + 2 * 50 + 136 * 100);
	st = stats(&x);
	EXPECT_FIELDS(&st, PS(silent_drops, 0), PS(shadow_pages, 4));
	fx_done(&x);
}

static void test_platform_kvm_errors(void **state)
{
	struct iommusim_platform_stats st;
	struct iommusim_firmware_stats fs;
	uint8_t status = 0;
	struct fx *x = *state;

	/* nothing registered: cc 3, the trap is still paid */
	assert_int_equal(rpcit(x, 7, START_PAGE, 1, &status), IOMMUSIM_FW_CC_NOT_OPERATIONAL);
	assert_int_equal(cpu_now(x), C_TRAP);
	reg(x, 7, 0);
	/* entirely beyond pal (16 pages): cc 1, function in error */
	assert_int_equal(rpcit(x, 7, START_PAGE + 16, 1, &status), IOMMUSIM_FW_CC_ERROR);
	assert_int_equal(status, IOMMUSIM_PLATFORM_STATUS_FUNC_IN_ERROR);
	/* entirely below pba */
	status = 0;
	assert_int_equal(rpcit(x, 7, 0, 1, &status), IOMMUSIM_FW_CC_ERROR);
	assert_int_equal(status, IOMMUSIM_PLATFORM_STATUS_FUNC_IN_ERROR);
	/* overlapping the window is walked as asked, beyond pal included */
	map_pages(x, 0, START_PAGE + 15, 2);
	assert_int_equal(rpcit(x, 7, START_PAGE + 15, 2, &status), IOMMUSIM_FW_CC_OK);
	st = stats(x);
	EXPECT_FIELDS(&st, PS(rpcits, 4), PS(rpcit_errors, 3), PS(range_errors, 2),
		      PS(host_maps, 2));
	iommusim_firmware_get_stats(x->fw, &fs);
	assert_int_equal(fs.rpcit_cc[3], 1);
	assert_int_equal(fs.rpcit_cc[1], 2);
	assert_int_equal(fs.rpcit_no_resources, 0);

	/* deregistration: vfio removes the window in one UNMAP; QEMU keeps the budget used */
	assert_int_equal(iommusim_firmware_set_ioat(x->fw, 7, 0, 0, NULL), 0);
	st = stats(x);
	EXPECT_FIELDS(&st, PS(host_unmap_calls, 1), PS(host_unmaps, 2), PS(shadow_pages, 0),
		      PS(dma_avail, 65533));
	assert_int_equal(rpcit(x, 7, START_PAGE, 1, &status), IOMMUSIM_FW_CC_NOT_OPERATIONAL);
}

/* ---- servers ---- */

static void test_platform_kvm_server_wait(void **state)
{
	struct iommusim_cpu *cpu1;
	struct iommusim_server_stats ss;
	uint8_t status;
	struct fx x;

	(void)state;
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, NULL, 0);
	cpu1 = iommusim_engine_cpu(x.e, 1);
	reg(&x, 1, 0);
	map_pages(&x, 0, START_PAGE, 2);
	/*
	 * Both CPUs trap at 0 and reach QEMU's lock at 500. CPU 0 holds it [500, 9320) (4500 of
	 * trap, 4320 of emulation); CPU 1 waits 8820 and holds it [9320, 18140).
	 */
	assert_int_equal(rpcit_on(&x, x.cpu, 1, START_PAGE, 1, &status), 0);
	assert_int_equal(rpcit_on(&x, cpu1, 1, START_PAGE + 1, 1, &status), 0);
	assert_int_equal(iommusim_engine_cpu_now(x.e, x.cpu), 9320);
	assert_int_equal(iommusim_engine_cpu_now(x.e, cpu1), 18140);
	assert_int_equal(iommusim_engine_cpu_charged(x.e, cpu1), C_TRAP_KERNEL);
	iommusim_engine_server_stats(iommusim_platform_server(x.p), &ss);
	assert_int_equal(ss.requests, 2);
	assert_int_equal(ss.waited, 1);
	assert_int_equal(ss.wait_total, 8820);
	assert_int_equal(ss.busy, 2 * (C_TRAP_LOCKED + 4320));
	/* waits are not hypervisor work */
	assert_int_equal(stats(&x).hyp_cycles, 2 * (C_TRAP + 4320));
	fx_done(&x);

	/* without the big lock both emulations run on their own CPUs at once */
	{
		const char *sets[] = {"qemu.serialize_rpcit=0"};

		fx_init(&x, IOMMUSIM_PLATFORM_KVM, sets, 1);
	}
	cpu1 = iommusim_engine_cpu(x.e, 1);
	assert_null(iommusim_platform_server(x.p));
	reg(&x, 1, 0);
	map_pages(&x, 0, START_PAGE, 2);
	assert_int_equal(rpcit_on(&x, x.cpu, 1, START_PAGE, 1, &status), 0);
	assert_int_equal(rpcit_on(&x, cpu1, 1, START_PAGE + 1, 1, &status), 0);
	assert_int_equal(iommusim_engine_cpu_now(x.e, cpu1), 9320);
	assert_int_equal(iommusim_engine_cpu_charged(x.e, cpu1), 9320);
	fx_done(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_platform_kvm_map_one_page, plat_setup,
						plat_teardown),
		cmocka_unit_test_setup_teardown(test_platform_kvm_unmap_one_page, plat_setup,
						plat_teardown),
		cmocka_unit_test_setup_teardown(test_platform_kvm_unmap_runs, plat_setup,
						plat_teardown),
		PLAT_TEST(test_platform_kvm_global_refresh_warm, IOMMUSIM_PLATFORM_KVM,
			  "guest.aperture_pages=2048"),
		PLAT_TEST(test_platform_kvm_invalid_segment_and_region, IOMMUSIM_PLATFORM_KVM,
			  "guest.aperture_pages=1048576"),
		PLAT_TEST(test_platform_kvm_no_coalesce, IOMMUSIM_PLATFORM_KVM,
			  "qemu.unmap_coalesce=0", "guest.aperture_pages=2048"),
		cmocka_unit_test_setup_teardown(test_platform_kvm_changed_target, plat_setup,
						plat_teardown),
		cmocka_unit_test(test_platform_kvm_silent_drops),
		PLAT_TEST(test_platform_kvm_errors, IOMMUSIM_PLATFORM_KVM,
			  "guest.aperture_pages=16"),
		cmocka_unit_test(test_platform_kvm_server_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of what every platform model shares: the names and the errors of creation, the
 * zPCI configuration windows, the checks of SET IOAT, the power-of-two pieces of a range, and that
 * every kind provides its complete operations and parameters.
 */
#include "platform_fixture.h"

/* ---- names, creation, windows ---- */

static void test_platform_names_and_create_errors(void **state)
{
	struct iommusim_platform_config cfg = {0};
	enum iommusim_platform_kind k;
	struct iommusim_platform *p = NULL;
	struct fx *x = *state;

	assert_string_equal(iommusim_platform_name(IOMMUSIM_PLATFORM_LPAR), "lpar");
	assert_string_equal(iommusim_platform_name(IOMMUSIM_PLATFORM_ZVM), "zvm");
	assert_string_equal(iommusim_platform_name(IOMMUSIM_PLATFORM_KVM), "kvm");
	assert_string_equal(iommusim_platform_name(IOMMUSIM_PLATFORM_NR), "unknown");
	assert_int_equal(iommusim_platform_lookup("kvm", &k), 0);
	assert_int_equal(k, IOMMUSIM_PLATFORM_KVM);
	assert_int_equal(iommusim_platform_lookup("zvm", &k), 0);
	assert_int_equal(k, IOMMUSIM_PLATFORM_ZVM);
	assert_int_equal(iommusim_platform_lookup("KVM", &k), -ENOENT);
	assert_int_equal(iommusim_platform_lookup("kvm-qemu7.2", &k), 0);
	assert_int_equal(k, IOMMUSIM_PLATFORM_KVM);

	/* each model's parameters are its own; the guest's are everybody's */
	assert_true(iommusim_platform_reads(IOMMUSIM_PLATFORM_LPAR, IOMMUSIM_COST_LPAR_RPCIT_NS));
	assert_false(iommusim_platform_reads(IOMMUSIM_PLATFORM_KVM, IOMMUSIM_COST_LPAR_RPCIT_NS));
	assert_false(iommusim_platform_reads(IOMMUSIM_PLATFORM_LPAR, IOMMUSIM_COST_QEMU_WALK_NS));
	assert_true(iommusim_platform_reads(IOMMUSIM_PLATFORM_KVM, IOMMUSIM_COST_QEMU_WALK_NS));
	assert_true(
		iommusim_platform_reads(IOMMUSIM_PLATFORM_KVM, IOMMUSIM_COST_HOST_FLUSH_ON_MAP));
	assert_false(
		iommusim_platform_reads(IOMMUSIM_PLATFORM_ZVM, IOMMUSIM_COST_VFIO_DMA_ENTRY_LIMIT));
	assert_true(iommusim_platform_reads(IOMMUSIM_PLATFORM_ZVM, IOMMUSIM_COST_ZVM_SEGMENT_NS));
	for (unsigned int kind = 0; kind < IOMMUSIM_PLATFORM_NR; kind++) {
		bool s390 = iommusim_platform_arch(kind) == IOMMUSIM_ARCH_S390;

		/* the s390 guest's parameters are the s390 kinds', powerpc's the powerpc ones' */
		assert_int_equal(iommusim_platform_reads(kind, IOMMUSIM_COST_ZPCI_TLB_REFRESH),
				 s390);
		assert_int_equal(iommusim_platform_reads(kind, IOMMUSIM_COST_DMA_FQ_SIZE), s390);
		assert_int_equal(iommusim_platform_reads(kind, IOMMUSIM_COST_PPC_KERNEL_PAGE),
				 !s390);
		assert_true(iommusim_platform_reads(kind, IOMMUSIM_COST_NVME_SUBMIT_NS));
		assert_true(iommusim_platform_reads(kind, IOMMUSIM_COST_GUEST_PTE_WRITE_CYCLES));
	}
	/* pseries.* is both pSeries kinds', not PowerNV's */
	assert_true(iommusim_platform_reads(IOMMUSIM_PLATFORM_POWERVM,
					    IOMMUSIM_COST_PSERIES_DDW_WINDOWS));
	assert_true(iommusim_platform_reads(IOMMUSIM_PLATFORM_KVM_PPC,
					    IOMMUSIM_COST_PSERIES_DDW_WINDOWS));
	assert_false(iommusim_platform_reads(IOMMUSIM_PLATFORM_POWERNV,
					     IOMMUSIM_COST_PSERIES_DDW_WINDOWS));
	assert_false(iommusim_platform_reads(IOMMUSIM_PLATFORM_NR, IOMMUSIM_COST_NVME_SUBMIT_NS));
	assert_false(iommusim_platform_reads(IOMMUSIM_PLATFORM_LPAR, IOMMUSIM_COST_NR));

	fx_init(x, IOMMUSIM_PLATFORM_LPAR, NULL, 0);
	cfg.cost = x->cost;
	cfg.kind = IOMMUSIM_PLATFORM_NR;
	cfg.guest_memory = 1ull << 30;
	assert_int_equal(iommusim_platform_create(x->mem, x->e, &cfg, &p), -EINVAL);
	cfg.kind = IOMMUSIM_PLATFORM_KVM;
	cfg.guest_memory = 0;
	assert_int_equal(iommusim_platform_create(x->mem, x->e, &cfg, &p), -EINVAL);
	assert_null(p);
	assert_int_equal(iommusim_platform_kind(x->p), IOMMUSIM_PLATFORM_LPAR);
}

static void test_platform_zpci_config_windows(void **state)
{
	const char *noshrink[] = {"qemu.aperture_shrink=0"};
	const char *pages[] = {"guest.aperture_pages=1000"};
	const char *notlb[] = {"zpci.tlb_refresh=0"};
	struct iommusim_zpci_config zc;
	struct fx x;

	(void)state;
	/* KVM, QEMU 8.0 shrink with the default limit 65535: 4 GiB + 65535 pages - 1 */
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, NULL, 0);
	iommusim_platform_zpci_config(x.p, 0x123, &zc);
	assert_int_equal(zc.fh, 0x123);
	assert_true(zc.tlb_refresh);
	assert_false(zc.ism);
	assert_int_equal(zc.start_dma, START);
	assert_int_equal(zc.end_dma, START + 65535 * PG - 1);
	assert_int_equal(zc.guest_memory, 16ull << 30);
	assert_int_equal(zc.aperture_factor, 0);
	fx_done(&x);

	/* no shrink: the hardware's window */
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, noshrink, 1);
	iommusim_platform_zpci_config(x.p, 1, &zc);
	assert_int_equal(zc.end_dma, IOMMUSIM_ZPCI_QEMU_END_DMA);
	fx_done(&x);

	/* an explicit aperture replaces the shrink, on every kind */
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, pages, 1);
	iommusim_platform_zpci_config(x.p, 1, &zc);
	assert_int_equal(zc.end_dma, START + 1000 * PG - 1);
	fx_done(&x);
	fx_init_as(&x, IOMMUSIM_PLATFORM_LPAR, "lpar", pages, 1);
	iommusim_platform_zpci_config(x.p, 1, &zc);
	assert_int_equal(zc.start_dma, START);
	assert_int_equal(zc.end_dma, START + 1000 * PG - 1);
	/* LPAR needs no RPCIT on map: its profile says so */
	assert_false(zc.tlb_refresh);
	fx_done(&x);
	/* and a user who asks for refreshes on map on LPAR gets them */
	fx_init(&x, IOMMUSIM_PLATFORM_LPAR, NULL, 0);
	iommusim_platform_zpci_config(x.p, 1, &zc);
	assert_true(zc.tlb_refresh);
	fx_done(&x);

	/* z/VM: no shrink (no vfio); tlb_refresh from zpci.tlb_refresh */
	fx_init(&x, IOMMUSIM_PLATFORM_ZVM, notlb, 1);
	iommusim_platform_zpci_config(x.p, 1, &zc);
	assert_int_equal(zc.end_dma, IOMMUSIM_ZPCI_QEMU_END_DMA);
	assert_false(zc.tlb_refresh);
	fx_done(&x);
}

static void test_platform_set_ioat_checks(void **state)
{
	struct iommusim_zpci_config zc;
	struct fx *x = *state;

	iommusim_platform_zpci_config(x->p, 1, &zc);
	/* below start_dma, beyond end_dma (pba > pal is the interface's assert) */
	assert_int_equal(iommusim_firmware_set_ioat(x->fw, 1, 0, zc.end_dma, x->t[0]), -EINVAL);
	assert_int_equal(iommusim_firmware_set_ioat(x->fw, 1, START, zc.end_dma + 1, x->t[0]),
			 -EINVAL);
	/* deregistering what was never registered */
	assert_int_equal(iommusim_firmware_set_ioat(x->fw, 1, 0, 0, NULL), -ENOENT);
	reg(x, 1, 0);
	assert_int_equal(iommusim_firmware_set_ioat(x->fw, 1, START, zc.end_dma, x->t[1]), -EBUSY);
	assert_int_equal(iommusim_firmware_set_ioat(x->fw, 1, 0, 0, NULL), 0);
	assert_int_equal(iommusim_firmware_set_ioat(x->fw, 1, 0, 0, NULL), -ENOENT);
	/* registering again after deregistration is fine */
	reg(x, 1, 1);
}

static void test_platform_pow2_pieces(void **state)
{
	(void)state;
	assert_int_equal(isim_pow2_pieces(16, 0), 0);
	assert_int_equal(isim_pow2_pieces(16, 8), 1);
	assert_int_equal(isim_pow2_pieces(0, 8), 1);
	/* page 0 is aligned to everything: 0..9 = [0,8) + [8,10) */
	assert_int_equal(isim_pow2_pieces(0, 10), 2);
	/* 33..37: [33] [34,36) [36,38) */
	assert_int_equal(isim_pow2_pieces(33, 5), 3);
	/* 1..255: 1 + 2 + 4 + ... + 128 */
	assert_int_equal(isim_pow2_pieces(1, 255), 8);
	/* 12..99: [12,16) [16,32) [32,64) [64,96) [96,100) */
	assert_int_equal(isim_pow2_pieces(12, 88), 5);
	assert_int_equal(isim_pow2_pieces(1ull << 40, 1ull << 40), 1);
}

/* ---- the kinds' tables ---- */

static const struct isim_platform_ops *kind_ops(unsigned int k)
{
	return isim_platform_kind_ops((enum iommusim_platform_kind)k);
}

/* Whether some parameter of the cost table is in @area ("qemu."). */
static bool area_has_params(const char *area)
{
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++)
		if (!strncmp(iommusim_cost_param((enum iommusim_cost_id)i)->name, area,
			     strlen(area)))
			return true;
	return false;
}

/*
 * Every kind has its table, named as the kind, with its RPCIT model; a kind that shadows checks
 * each RPCIT against the registration, so it also says what a refused one costs. Each area of
 * parameters is claimed by one kind at most and holds parameters of the table.
 */
static void test_platform_every_kind_has_complete_ops(void **state)
{
	(void)state;
	for (unsigned int k = 0; k < IOMMUSIM_PLATFORM_NR; k++) {
		const struct isim_platform_ops *ops = kind_ops(k);

		assert_non_null(ops);
		assert_non_null(ops->name);
		assert_string_equal(ops->name,
				    iommusim_platform_name((enum iommusim_platform_kind)k));
		/* an s390 kind models RPCIT, a powerpc one prices the powerpc firmware calls */
		if (ops->arch == IOMMUSIM_ARCH_S390) {
			assert_non_null(ops->rpcit);
			assert_null(ops->ppc);
		} else {
			assert_null(ops->rpcit);
			assert_non_null(ops->ppc);
			assert_non_null(ops->ppc->prices);
		}
		if (ops->shadows)
			assert_non_null(ops->refused);
		/* every area names parameters; a kind's first area is its own alone */
		assert_non_null(ops->areas);
		for (const char *const *a = ops->areas; *a; a++)
			assert_true(area_has_params(*a));
		for (unsigned int j = 0; j < IOMMUSIM_PLATFORM_NR; j++)
			for (const char *const *b = kind_ops(j)->areas; j != k && *b; b++)
				assert_string_not_equal(ops->areas[0], *b);
	}
	assert_null(isim_platform_kind_ops(IOMMUSIM_PLATFORM_NR));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_platform_names_and_create_errors, plat_alloc,
						plat_teardown),
		cmocka_unit_test(test_platform_zpci_config_windows),
		cmocka_unit_test_setup_teardown(test_platform_set_ioat_checks, plat_setup,
						plat_teardown),
		cmocka_unit_test(test_platform_pow2_pieces),
		cmocka_unit_test(test_platform_every_kind_has_complete_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

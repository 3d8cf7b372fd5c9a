/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of what the cost table's values mean and how profiles set them (sim/cost/): cycles
 * from the frequency, a CPU's cycles from its work, the guest's map and unmap inside the
 * specification's range, valid profiles, fitted parameters marked as estimates, the values each
 * profile changes, overrides over profiles, a failed configuration changing nothing, a reset,
 * and the legacy DMA calls priced per call.
 */
#include "cost_unit_fixture.h"

static void test_cost_cycles_follow_frequency(void **state)
{
	struct fixture *f = *state;
	struct iommusim_cost *c = f->cost;

	/* At 5200 MHz: 150 ns = 780 cycles, 5 us = 26000, 10 ms = 52 M; cycles stay cycles. */
	set_ok(f, "kvm.trap_locked_ns=5000");
	assert_int_equal(iommusim_cost_cycles(c, IOMMUSIM_COST_QEMU_WALK_NS), 780);
	assert_int_equal(iommusim_cost_cycles(c, IOMMUSIM_COST_KVM_TRAP_LOCKED_NS), 26000);
	assert_int_equal(iommusim_cost_cycles(c, IOMMUSIM_COST_GUEST_LOCK_CYCLES), 40);
	assert_int_equal(iommusim_cost_work_cycles(c, IOMMUSIM_WORK_FW_BUSY_RETRY), 5200);
	set_ok(f, "dma.fq_timeout_ms=10");
	assert_int_equal(iommusim_cost_cycles(c, IOMMUSIM_COST_DMA_FQ_TIMEOUT_MS), 52000000);
	/* A new frequency re-prices every time parameter at once. */
	set_ok(f, "cpu.freq_mhz=3000");
	assert_int_equal(iommusim_cost_cycles(c, IOMMUSIM_COST_QEMU_WALK_NS), 450);
	assert_int_equal(iommusim_cost_cycles(c, IOMMUSIM_COST_KVM_TRAP_LOCKED_NS), 15000);
	assert_int_equal(iommusim_cost_work_cycles(c, IOMMUSIM_WORK_FW_BUSY_RETRY), 3000);
	assert_int_equal(iommusim_cost_cycles(c, IOMMUSIM_COST_DMA_FQ_TIMEOUT_MS), 30000000);
	assert_int_equal(iommusim_cost_work_cycles(c, IOMMUSIM_WORK_LOCK), 40);
	/* Rounding is half up: 1 ns at 1500 MHz = 1.5 -> 2; at 3333 MHz 1 ns = 3.333 -> 3. */
	set_ok(f, "cpu.freq_mhz=1500");
	assert_int_equal(iommusim_cost_ns_to_cycles(c, 1), 2);
	assert_int_equal(iommusim_cost_cycles_to_ns(c, 1), 1); /* 0.667 -> 1 */
	assert_int_equal(iommusim_cost_cycles_to_ns(c, 3000), 2000);
	set_ok(f, "cpu.freq_mhz=3333");
	assert_int_equal(iommusim_cost_ns_to_cycles(c, 1), 3);
	assert_int_equal(iommusim_cost_ns_to_cycles(c, 3), 10); /* 9.999 -> 10 */
	assert_int_equal(iommusim_cost_cycles_to_ns(c, 3333), 1000);
	assert_int_equal(iommusim_cost_cycles_to_ns(c, 1), 0); /* 0.3 -> 0 */
	/* Saturation instead of wrap-around. */
	assert_int_equal(iommusim_cost_ns_to_cycles(c, UINT64_MAX), UINT64_MAX);
	assert_int_equal(iommusim_cost_ns_to_cycles(c, UINT64_MAX / 3333 * 1000 - 1000),
			 (UINT64_MAX / 3333 * 1000 - 1000) / 1000 * 3333);
}

static void test_cost_cpu_cycles_sums_work(void **state)
{
	struct fixture *f = *state;
	struct iommusim_cpu *cpu;

	assert_int_equal(iommusim_cpu_create(f->mem, 0, &cpu), 0);
	assert_int_equal(iommusim_cost_cpu_cycles(f->cost, cpu), 0);
	isim_work(cpu, IOMMUSIM_WORK_TREE_NODE, 10);	/* 10 x 20 */
	isim_work(cpu, IOMMUSIM_WORK_LOCK, 2);		/* 2 x 40 */
	isim_work(cpu, IOMMUSIM_WORK_FW_BUSY_RETRY, 1); /* 1000 ns = 5200 */
	assert_int_equal(iommusim_cost_cpu_cycles(f->cost, cpu), 200 + 80 + 5200);
	set_ok(f, "guest.lock_cycles=100");
	assert_int_equal(iommusim_cost_cpu_cycles(f->cost, cpu), 200 + 200 + 5200);
	isim_work(cpu, IOMMUSIM_WORK_PTE_WRITE, UINT64_MAX / 2);
	assert_int_equal(iommusim_cost_cpu_cycles(f->cost, cpu), UINT64_MAX);
	iommusim_cpu_destroy(cpu);
}

/* The device and zPCI function of the tests that price a DMA call: an NVMe drive under QEMU. */
static const struct iommusim_device_config dcfg = {
	.name = "nvme",
	.pci = true,
	.dma_mask = ~0ull,
	.coherent_dma_mask = ~0ull,
};
static const struct iommusim_zpci_config zcfg = {
	.fh = 1,
	.tlb_refresh = true,
	.start_dma = IOMMUSIM_ZPCI_QEMU_START_DMA,
	.end_dma = IOMMUSIM_ZPCI_QEMU_END_DMA,
	.guest_memory = 16ull << 30,
};

/*
 * The split of the estimate c_guest_map / c_guest_unmap (50-200 ns, docs/sources.md S14): with
 * the library's own work counts, a warm strict one-page map and unmap cost, by hand,
 * 250 + lock 40 + mag_op 10 + mag_scan 3 + pte 60 = 363 cycles and 200 + 40 + 10 + 60 = 310,
 * i.e. 69.8 ns and 59.6 ns at 5.2 GHz.
 */
static void test_cost_guest_map_unmap_within_spec_range(void **state)
{
	struct fixture *f = *state;
	struct iommusim_dma_iommu_config cfg = {
		.mode = IOMMUSIM_DMA_STRICT,
		.forcedac = true,
		.possible_cpus = 1,
	};
	struct iommusim_firmware *fw;
	struct iommusim_clock *clock;
	struct iommusim_domain *domain;
	struct iommusim_device *dev;
	struct iommusim_cpu *cpu;
	uint64_t dma, map, unmap;

	assert_int_equal(iommusim_firmware_create_null(f->mem, &fw), 0);
	assert_int_equal(iommusim_manual_clock_create(f->mem, &clock), 0);
	assert_int_equal(iommusim_device_create(f->mem, &dcfg, &dev), 0);
	assert_int_equal(iommusim_s390_device_init(dev, fw, &zcfg), 0);
	assert_int_equal(iommusim_s390_domain_create(f->mem, IOMMUSIM_KERNEL_6_7, &domain), 0);
	cfg.clock = clock;
	assert_int_equal(iommusim_dma_iommu_setup(dev, domain, &cfg), 0);
	assert_int_equal(iommusim_cpu_create(f->mem, 0, &cpu), 0);
	/* Warm the rcache so the pair below is the steady state. */
	for (int i = 0; i < 4; i++) {
		assert_int_equal(iommusim_dma_map_page(dev, cpu, 1ull << 32, 4096,
						       IOMMUSIM_DMA_TO_DEVICE, &dma),
				 0);
		iommusim_dma_unmap_page(dev, cpu, dma, 4096, IOMMUSIM_DMA_TO_DEVICE);
	}
	iommusim_cpu_work_reset(cpu);
	assert_int_equal(
		iommusim_dma_map_page(dev, cpu, 1ull << 32, 4096, IOMMUSIM_DMA_TO_DEVICE, &dma), 0);
	map = iommusim_cost_cpu_cycles(f->cost, cpu);
	iommusim_cpu_work_reset(cpu);
	iommusim_dma_unmap_page(dev, cpu, dma, 4096, IOMMUSIM_DMA_TO_DEVICE);
	unmap = iommusim_cost_cpu_cycles(f->cost, cpu);
	assert_int_equal(map, 363);
	assert_int_equal(unmap, 310);
	assert_int_equal(iommusim_cost_cycles_to_ns(f->cost, map), 70);
	assert_int_equal(iommusim_cost_cycles_to_ns(f->cost, unmap), 60);
	assert_true(iommusim_cost_cycles_to_ns(f->cost, map) >= 50);
	assert_true(iommusim_cost_cycles_to_ns(f->cost, unmap) <= 200);

	iommusim_cpu_destroy(cpu);
	iommusim_device_destroy(dev);
	iommusim_domain_destroy(domain);
	iommusim_firmware_destroy(fw);
	iommusim_clock_destroy(clock);
}

static void test_cost_profiles_are_valid(void **state)
{
	static const char *const shared[] = {"nvme.submit_ns", "nvme.complete_ns",
					     "zpci.tlb_refresh"};

	(void)state;
	assert_int_equal(iommusim_cost_profile_count(), 8);
	assert_null(iommusim_cost_profile(8));
	assert_string_equal(iommusim_cost_profile(0)->name, "lpar");
	assert_string_equal(iommusim_cost_profile(1)->name, "zvm");
	assert_string_equal(iommusim_cost_profile(2)->name, "kvm");
	assert_string_equal(iommusim_cost_profile(3)->name, "kvm-qemu7.2");
	assert_string_equal(iommusim_cost_profile(4)->name, "kvm-qemu7.1");
	assert_string_equal(iommusim_cost_profile(5)->name, "powervm");
	assert_string_equal(iommusim_cost_profile(6)->name, "kvm-ppc");
	assert_string_equal(iommusim_cost_profile(7)->name, "powernv");
	for (size_t i = 0; i < iommusim_cost_profile_count(); i++) {
		const struct iommusim_cost_profile *p = iommusim_cost_profile(i);

		/* a profile configures one kind, named as the kind or as a generation of it */
		enum iommusim_platform_kind kind;
		bool s390;

		assert_int_equal(iommusim_platform_lookup(p->platform, &kind), 0);
		assert_string_equal(iommusim_platform_name(kind), p->platform);
		s390 = iommusim_platform_arch(kind) == IOMMUSIM_ARCH_S390;
		assert_int_equal(strncmp(p->name, p->platform, strlen(p->platform)), 0);

		assert_true(strlen(p->summary) >= 20);
		assert_true(p->nsettings > 0);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(p->name, iommusim_cost_profile(j)->name);
		for (size_t s = 0; s < p->nsettings; s++) {
			const struct iommusim_cost_param *d;
			uint64_t v = p->settings[s].value;

			d = iommusim_cost_param(p->settings[s].id);
			assert_non_null(d);
			assert_true(v >= d->min && v <= d->max);
			if (d->flags & IOMMUSIM_COST_POW2)
				assert_int_equal(v & (v - 1), 0);
			/* Table order, so each key once. */
			if (s)
				assert_true(p->settings[s - 1].id < p->settings[s].id);
		}
		/*
		 * Every profile sets the shared keys its machine reads (the s390 ones also
		 * zpci.tlb_refresh), so the result does not depend on defaults.
		 */
		for (size_t k = 0; k < sizeof(shared) / sizeof(shared[0]) - !s390; k++) {
			bool found = false;

			for (size_t s = 0; s < p->nsettings; s++)
				found |= p->settings[s].id == id_of(shared[k]);
			assert_true(found);
		}
	}
}

/* A fitted parameter is an estimate whose fit lives in a profile (docs/calibration.md). */
static void test_cost_fitted_parameters_are_estimates_set_by_profiles(void **state)
{
	size_t nfitted = 0;

	(void)state;
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		const struct iommusim_cost_param *d = iommusim_cost_param((enum iommusim_cost_id)i);
		bool in_profile = false;

		if (!(d->flags & IOMMUSIM_COST_FITTED))
			continue;
		nfitted++;
		assert_true(d->flags & IOMMUSIM_COST_EST);
		for (size_t p = 0; p < iommusim_cost_profile_count(); p++) {
			const struct iommusim_cost_profile *pr = iommusim_cost_profile(p);

			for (size_t k = 0; k < pr->nsettings; k++)
				in_profile |= pr->settings[k].id == (enum iommusim_cost_id)i;
		}
		assert_true(in_profile);
	}
	/* one per observation that needed a fit: O1 and O3 */
	assert_int_equal(nfitted, 2);
	assert_true(iommusim_cost_param(IOMMUSIM_COST_KVM_TRAP_LOCKED_NS)->flags &
		    IOMMUSIM_COST_FITTED);
	assert_true(iommusim_cost_param(IOMMUSIM_COST_ZVM_SEGMENT_NS)->flags &
		    IOMMUSIM_COST_FITTED);
}

/*
 * Configures the QEMU generation @profile: its three switches (unmap coalescing, the second
 * pass, the aperture shrink) and whether its host flushes on map must be as given.
 */
static void expect_generation(struct fixture *f, const char *profile, uint64_t coalesce,
			      uint64_t second_pass, uint64_t shrink, uint64_t flush_on_map)
{
	assert_int_equal(
		iommusim_cost_configure(f->cost, profile, NULL, 0, f->err, sizeof(f->err), NULL),
		0);
	assert_int_equal(val(f, "qemu.unmap_coalesce"), coalesce);
	assert_int_equal(val(f, "qemu.second_pass"), second_pass);
	assert_int_equal(val(f, "qemu.aperture_shrink"), shrink);
	assert_int_equal(val(f, "host.flush_on_map"), flush_on_map);
}

static void test_cost_profiles_change_the_right_values(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(iommusim_cost_apply_profile(f->cost, "lpar", f->err, sizeof(f->err)), 0);
	assert_string_equal(iommusim_cost_profile_name(f->cost), "lpar");
	assert_int_equal(val(f, "zpci.tlb_refresh"), 0);
	assert_int_equal(val(f, "nvme.submit_ns"), 1000);
	assert_int_equal(val(f, "nvme.complete_ns"), 1500);
	assert_int_equal(iommusim_cost_origin(f->cost, IOMMUSIM_COST_ZPCI_TLB_REFRESH),
			 IOMMUSIM_COST_FROM_PROFILE);
	/* Nothing else moves. */
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		enum iommusim_cost_id id = (enum iommusim_cost_id)i;

		if (id == IOMMUSIM_COST_ZPCI_TLB_REFRESH || id == IOMMUSIM_COST_NVME_SUBMIT_NS ||
		    id == IOMMUSIM_COST_NVME_COMPLETE_NS)
			continue;
		assert_int_equal(iommusim_cost_get(f->cost, id),
				 iommusim_cost_param(id)->default_value);
		assert_int_equal(iommusim_cost_origin(f->cost, id), IOMMUSIM_COST_FROM_DEFAULT);
	}

	assert_int_equal(
		iommusim_cost_configure(f->cost, "zvm", NULL, 0, f->err, sizeof(f->err), NULL), 0);
	assert_string_equal(iommusim_cost_profile_name(f->cost), "zvm");
	assert_int_equal(val(f, "zpci.tlb_refresh"), 1);
	assert_int_equal(val(f, "nvme.submit_ns"), 1500);
	assert_int_equal(val(f, "nvme.complete_ns"), 3000);

	/* The generations (docs/sources.md S4, S5): 7.1 has none of the three switches. */
	expect_generation(f, "kvm-qemu7.1", 0, 0, 0, 1);
	assert_int_equal(val(f, "nvme.complete_ns"), 2000);

	/* 7.2 added only the second pass. */
	expect_generation(f, "kvm-qemu7.2", 0, 1, 0, 1);

	/* 8.0 has coalescing and the shrink; its hosts (>= 6.2) no longer flush on map. */
	assert_int_equal(
		iommusim_cost_configure(f->cost, "kvm", NULL, 0, f->err, sizeof(f->err), NULL), 0);
	assert_int_equal(val(f, "qemu.unmap_coalesce"), 1);
	assert_int_equal(val(f, "qemu.aperture_shrink"), 1);
	assert_int_equal(val(f, "host.flush_on_map"), 0);
	assert_int_equal(val(f, "zpci.tlb_refresh"), 1);
	assert_int_equal(iommusim_cost_origin(f->cost, IOMMUSIM_COST_QEMU_SECOND_PASS),
			 IOMMUSIM_COST_FROM_PROFILE);
	assert_int_equal(iommusim_cost_origin(f->cost, IOMMUSIM_COST_QEMU_WALK_NS),
			 IOMMUSIM_COST_FROM_DEFAULT);
}

static void test_cost_overrides_win_over_profile(void **state)
{
	struct fixture *f = *state;
	const char *sets[] = {"zpci.tlb_refresh=1", "nvme.complete_ns=1234", "qemu.walk_ns=100",
			      "qemu.walk_ns=250"};
	long bad = 99;

	assert_int_equal(
		iommusim_cost_configure(f->cost, "lpar", sets, 4, f->err, sizeof(f->err), &bad), 0);
	assert_int_equal(bad, -1);
	assert_string_equal(iommusim_cost_profile_name(f->cost), "lpar");
	assert_int_equal(val(f, "zpci.tlb_refresh"), 1);
	assert_int_equal(val(f, "nvme.complete_ns"), 1234);
	assert_int_equal(val(f, "nvme.submit_ns"), 1000);
	assert_int_equal(val(f, "qemu.walk_ns"), 250);
	assert_int_equal(iommusim_cost_origin(f->cost, IOMMUSIM_COST_ZPCI_TLB_REFRESH),
			 IOMMUSIM_COST_FROM_SET);
	assert_int_equal(iommusim_cost_origin(f->cost, IOMMUSIM_COST_NVME_SUBMIT_NS),
			 IOMMUSIM_COST_FROM_PROFILE);
	/* configure starts from the defaults: an earlier configuration leaves nothing behind. */
	assert_int_equal(iommusim_cost_configure(f->cost, NULL, NULL, 0, NULL, 0, &bad), 0);
	assert_null(iommusim_cost_profile_name(f->cost));
	assert_int_equal(val(f, "qemu.walk_ns"), 150);
	assert_int_equal(val(f, "nvme.complete_ns"), 2000);
}

static void test_cost_configure_failure_changes_nothing(void **state)
{
	struct fixture *f = *state;
	const char *sets[] = {"qemu.walk_ns=100", "qemu.hash_ns=1000", "qemu.walk_ns=200"};
	long bad = 99;

	set_ok(f, "kvm.trap_locked_ns=6000");
	assert_int_equal(
		iommusim_cost_configure(f->cost, "zvm", sets, 3, f->err, sizeof(f->err), &bad),
		-ERANGE);
	assert_int_equal(bad, 1);
	assert_string_equal(f->err, "qemu.hash_ns: 1000 is out of range [20, 100] ns");
	assert_int_equal(val(f, "kvm.trap_locked_ns"), 6000);
	assert_int_equal(val(f, "qemu.walk_ns"), 150);
	assert_int_equal(val(f, "nvme.complete_ns"), 2000);
	assert_null(iommusim_cost_profile_name(f->cost));

	assert_int_equal(
		iommusim_cost_configure(f->cost, "kmv", sets, 1, f->err, sizeof(f->err), &bad),
		-ENOENT);
	assert_int_equal(bad, -1);
	assert_string_equal(f->err,
			    "unknown profile 'kmv' (lpar, zvm, kvm, kvm-qemu7.2, kvm-qemu7.1, "
			    "powervm, kvm-ppc, powernv)");
	assert_int_equal(iommusim_cost_apply_profile(f->cost, "LPAR", f->err, sizeof(f->err)),
			 -ENOENT);
	assert_string_equal(f->err,
			    "unknown profile 'LPAR' (lpar, zvm, kvm, kvm-qemu7.2, kvm-qemu7.1, "
			    "powervm, kvm-ppc, powernv)");
	assert_int_equal(val(f, "kvm.trap_locked_ns"), 6000);
	assert_int_equal(val(f, "zpci.tlb_refresh"), 1);
	assert_int_equal(iommusim_cost_origin(f->cost, IOMMUSIM_COST_KVM_TRAP_LOCKED_NS),
			 IOMMUSIM_COST_FROM_SET);
}

static void test_cost_reset_restores_defaults(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(iommusim_cost_apply_profile(f->cost, "lpar", NULL, 0), 0);
	set_ok(f, "cpu.freq_mhz=2000");
	iommusim_cost_reset(f->cost);
	assert_null(iommusim_cost_profile_name(f->cost));
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		enum iommusim_cost_id id = (enum iommusim_cost_id)i;

		assert_int_equal(iommusim_cost_get(f->cost, id),
				 iommusim_cost_param(id)->default_value);
		assert_int_equal(iommusim_cost_origin(f->cost, id), IOMMUSIM_COST_FROM_DEFAULT);
	}
	assert_int_equal(iommusim_cost_cycles(f->cost, IOMMUSIM_COST_QEMU_WALK_NS), 780);
	assert_string_equal(iommusim_cost_origin_name(IOMMUSIM_COST_FROM_DEFAULT), "default");
	assert_string_equal(iommusim_cost_origin_name(IOMMUSIM_COST_FROM_PROFILE), "profile");
	assert_string_equal(iommusim_cost_origin_name(IOMMUSIM_COST_FROM_SET), "set");
	assert_string_equal(iommusim_cost_origin_name((enum iommusim_cost_origin)7), "unknown");
}

/*
 * A DMA call's own part is work the DMA API reports, one unit per call whatever its size,
 * priced at guest.dma_map_cycles / guest.dma_unmap_cycles: with the legacy s390 ops as with
 * dma-iommu (above), and the price follows an override.
 */
static void test_cost_legacy_dma_calls_priced_per_call(void **state)
{
	struct fixture *f = *state;
	struct iommusim_s390_legacy_config lcfg = {.strict = true};
	struct iommusim_sg sg[2] = {
		{.phys = 1ull << 32, .length = 4096},
		{.phys = 1ull << 33, .length = 4096},
	};
	struct iommusim_firmware *fw;
	struct iommusim_device *dev;
	struct iommusim_cpu *cpu;
	uint64_t dma, before;
	unsigned int n;

	assert_int_equal(iommusim_firmware_create_null(f->mem, &fw), 0);
	assert_int_equal(iommusim_device_create(f->mem, &dcfg, &dev), 0);
	assert_int_equal(iommusim_s390_device_init(dev, fw, &zcfg), 0);
	assert_int_equal(iommusim_s390_legacy_dma_setup(dev, &lcfg), 0);
	assert_int_equal(iommusim_cpu_create(f->mem, 0, &cpu), 0);

	assert_int_equal(
		iommusim_dma_map_page(dev, cpu, 1ull << 32, 3 * 4096, IOMMUSIM_DMA_TO_DEVICE, &dma),
		0);
	assert_int_equal(iommusim_cpu_work(cpu, IOMMUSIM_WORK_DMA_MAP), 1);
	assert_int_equal(iommusim_cpu_work(cpu, IOMMUSIM_WORK_DMA_UNMAP), 0);
	before = iommusim_cost_cpu_cycles(f->cost, cpu);
	set_ok(f, "guest.dma_map_cycles=400");
	assert_int_equal(iommusim_cost_cpu_cycles(f->cost, cpu), before + 400 - 250);
	iommusim_cpu_work_reset(cpu);
	iommusim_dma_unmap_page(dev, cpu, dma, 3 * 4096, IOMMUSIM_DMA_TO_DEVICE);
	assert_int_equal(iommusim_cpu_work(cpu, IOMMUSIM_WORK_DMA_MAP), 0);
	assert_int_equal(iommusim_cpu_work(cpu, IOMMUSIM_WORK_DMA_UNMAP), 1);
	before = iommusim_cost_cpu_cycles(f->cost, cpu);
	set_ok(f, "guest.dma_unmap_cycles=300");
	assert_int_equal(iommusim_cost_cpu_cycles(f->cost, cpu), before + 300 - 200);

	iommusim_cpu_work_reset(cpu);
	assert_int_equal(iommusim_dma_map_sg(dev, cpu, sg, 2, IOMMUSIM_DMA_FROM_DEVICE, &n), 0);
	iommusim_dma_unmap_sg(dev, cpu, sg, 2, IOMMUSIM_DMA_FROM_DEVICE);
	assert_int_equal(iommusim_cpu_work(cpu, IOMMUSIM_WORK_DMA_MAP), 1);
	assert_int_equal(iommusim_cpu_work(cpu, IOMMUSIM_WORK_DMA_UNMAP), 1);

	iommusim_cpu_destroy(cpu);
	iommusim_device_destroy(dev);
	iommusim_firmware_destroy(fw);
}

SUITE_MAIN(T(test_cost_cycles_follow_frequency), T(test_cost_cpu_cycles_sums_work),
	   T(test_cost_guest_map_unmap_within_spec_range),
	   T(test_cost_legacy_dma_calls_priced_per_call), T(test_cost_profiles_are_valid),
	   T(test_cost_fitted_parameters_are_estimates_set_by_profiles),
	   T(test_cost_profiles_change_the_right_values), T(test_cost_overrides_win_over_profile),
	   T(test_cost_configure_failure_changes_nothing), T(test_cost_reset_restores_defaults))

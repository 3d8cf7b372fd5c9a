/* SPDX-License-Identifier: MIT */
/*
 * The built-in scenarios of `iommusim-bench compare` (docs/scenarios.md): a guest, a workload,
 * the platforms to run it on, the cost settings that pin the software versions, and default
 * times. The warm-up covers every policy's start-up transient (the longest: legacy's first
 * sweep through a 4 GiB aperture on KVM, which creates the page tables every later global
 * refresh walks); the measured time holds several of every policy's flush cycles (the
 * longest: legacy's wrap-around on z/VM, every ~2.5 s). docs/scenarios.md has the numbers.
 */
#include <assert.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <iommusim/sim.h>

#include "base/compiler.h"

#define MS  (1000ull * 1000ull)
#define GiB (1ull << 30)

/*
 * The 2022 measurements were mailed in September 2022, so their KVM ran QEMU 7.1 behaviour on a
 * host before Linux 6.2 (docs/sources.md S4, S5): the platform list names that generation.
 */
#define PLATFORMS_2022 "lpar,zvm,kvm-qemu7.1"
#define PLATFORMS_2023 "lpar,zvm,kvm"

/*
 * fio's 4 KiB random-read IOPS test: 4 jobs, each with 32 I/Os in flight; rwmixread is fio's
 * default, for a user who turns the pattern into a mix.
 */
/* clang-format off */
#define RANDREAD_4K { .jobs = 4, .iodepth = 32, .block_size = 4096, .rwmixread = 50 }
/* fio's bandwidth test: the same jobs with 128 KiB sequential reads. */
#define SEQREAD_128K                                                                       \
	{ .jobs = 4, .iodepth = 32, .block_size = 128 * 1024, .sequential = true, .rwmixread = 50 }
/* A GPU-like device: 48-bit mask, 1 MiB sequential transfers, 8 in flight per job. */
#define GPU_48BIT                                                                          \
	{ .jobs = 4, .iodepth = 8, .block_size = 1024 * 1024, .sequential = true,          \
	  .rwmixread = 50, .dma_bits = 48 }
/* The 4 KiB random reads of a driver that allocates its rings under a 32-bit mask. */
#define RANDREAD_4K_MASK32_FIRST                                                           \
	{ .jobs = 4, .iodepth = 32, .block_size = 4096, .rwmixread = 50, .mask32_first = true }
/* clang-format on */

/*
 * The powerpc scenarios (docs/scenarios.md): a 64 GiB guest, whose RAM a 64-bit DDW of 64 KiB
 * TCEs maps directly with QEMU's largest block of 2^31 TCEs. The warm-up covers the set-up
 * (clearing the default window and populating a direct DDW take ~0.2 s on CPU 0).
 */
#define PLATFORMS_PPC	  "powervm,kvm-ppc,powernv"
#define PLATFORMS_PSERIES "powervm,kvm-ppc"

/* 2^19 TCEs of 64 KiB: a 32 GiB window, half of RAM, so enable_ddw() makes it dynamic. */
static const char *const ddw_dynamic_settings[] = {"pseries.ddw_block_log2=19"};
/* A PCIe Gen4 x16 device moves ~25 GB/s; its own latency as the NVMe drive's. */
static const char *const gpu_settings[] = {"nvme.device_mbps=25000"};
/* One window per PE: enable_ddw() must remove the default window to create its own. */
static const char *const one_window_settings[] = {"pseries.ddw_windows=1"};

/*
 * A ConnectX-4 Lx VF at 25 Gb/s in a 4-vCPU guest (sources.md S28): 1500-byte packets both
 * ways, each channel's 1024 TX descriptors in flight and 1024 RX ones posted, NAPI's budget of
 * 64; the page pool keeps 95 % of its pages. The warm-up covers the probe and the first
 * packets' maps on KVM (each an RPCIT under QEMU's lock); KVM's rows swing over seconds as TX
 * and RX take turns at the lock, so 2 s are measured.
 */
/* clang-format off */
#define MLX5_BIDI_1500                                                                     \
	{ .packet_bytes = 1500, .traffic = IOMMUSIM_MLX5_BIDI, .rx_miss_pct = 5 }
/* 64-byte sends only: a packet's one map and unmap for the least work, the highest rate. */
#define MLX5_TX_64 { .packet_bytes = 64, .traffic = IOMMUSIM_MLX5_TX }
/* clang-format on */

static const struct iommusim_scenario scenarios[] = {
	{
		.name = "default",
		.summary = "s390-nvme-2022 with a shorter measured time: the README's first run",
		.platforms = PLATFORMS_2022,
		.cpus = 4,
		.guest_memory = 4 * GiB,
		.nvme = RANDREAD_4K,
		.warmup_ns = 20000 * MS,
		.measure_ns = 5000 * MS,
	},
	{
		.name = "s390-nvme-2022",
		.summary = "4 KiB random reads on LPAR, z/VM and KVM as of September 2022 "
			   "(QEMU 7.1, host Linux 6.1)",
		.platforms = PLATFORMS_2022,
		.cpus = 4,
		.guest_memory = 4 * GiB,
		.nvme = RANDREAD_4K,
		.warmup_ns = 20000 * MS,
		.measure_ns = 10000 * MS,
	},
	{
		.name = "s390-nvme-2023",
		.summary = "4 KiB random reads on LPAR, z/VM and KVM with QEMU 8.0 or later "
			   "on host Linux 6.2 or later (aperture cut to the vfio limit)",
		.platforms = PLATFORMS_2023,
		.cpus = 4,
		.guest_memory = 4 * GiB,
		.nvme = RANDREAD_4K,
		.warmup_ns = 2000 * MS,
		.measure_ns = 10000 * MS,
	},
	{
		.name = "s390-nvme-bw-2022",
		.summary = "128 KiB sequential reads (fio bandwidth) on the 2022 stack; try --set "
			   "s390.enomem=global-flush|none|flush-queue",
		.platforms = PLATFORMS_2022,
		.cpus = 4,
		.guest_memory = 4 * GiB,
		.nvme = SEQREAD_128K,
		.warmup_ns = 15000 * MS,
		.measure_ns = 10000 * MS,
	},
	{
		.name = "ppc-nvme-ddw-direct",
		.summary = "4 KiB random reads on a 64 GiB powerpc guest: the default window's "
			   "TCEs against a DDW that maps all RAM (PowerNV: its bypass)",
		.platforms = PLATFORMS_PPC,
		.cpus = 4,
		.guest_memory = 64 * GiB,
		.nvme = RANDREAD_4K,
		.warmup_ns = 1000 * MS,
		.measure_ns = 2000 * MS,
	},
	{
		.name = "ppc-nvme-ddw-dynamic",
		.summary = "the same guest where the largest DDW (2^19 TCEs of 64 KiB) is smaller "
			   "than RAM: a dynamic DDW against the default window",
		.platforms = PLATFORMS_PSERIES,
		.cpus = 4,
		.guest_memory = 64 * GiB,
		.nvme = RANDREAD_4K,
		.settings = ddw_dynamic_settings,
		.nsettings = ISIM_ARRAY_SIZE(ddw_dynamic_settings),
		.warmup_ns = 1000 * MS,
		.measure_ns = 2000 * MS,
	},
	{
		.name = "ppc-gpu-powernv",
		.summary = "a GPU-like device with a 48-bit mask moving 1 MiB buffers on PowerNV: "
			   "window 0's TCEs (the 2^59 bypass is out of reach) against the 4 GiB "
			   "direct window",
		.platforms = "powernv",
		.cpus = 4,
		.guest_memory = 64 * GiB,
		.nvme = GPU_48BIT,
		.settings = gpu_settings,
		.nsettings = ISIM_ARRAY_SIZE(gpu_settings),
		.warmup_ns = 500 * MS,
		.measure_ns = 2000 * MS,
	},
	{
		.name = "ppc-mask32-first",
		.summary = "a driver that maps its rings with a 32-bit mask before widening it, on "
			   "a PE of one window: enable_ddw() may not remove the default window in "
			   "use, and every I/O keeps its TCE hcalls",
		.platforms = PLATFORMS_PSERIES,
		.cpus = 4,
		.guest_memory = 64 * GiB,
		.nvme = RANDREAD_4K_MASK32_FIRST,
		.settings = one_window_settings,
		.nsettings = ISIM_ARRAY_SIZE(one_window_settings),
		.warmup_ns = 1000 * MS,
		.measure_ns = 2000 * MS,
	},
	{
		.name = "s390-mlx5-2023",
		.summary = "a ConnectX-4 Lx VF (25 Gb/s) in a 4-vCPU guest on LPAR, z/VM and KVM: "
			   "1500-byte packets both ways through mlx5e and its page pool",
		.platforms = PLATFORMS_2023,
		.cpus = 4,
		.guest_memory = 4 * GiB,
		.nvme = RANDREAD_4K, /* the guest's NVMe loop, for compare --workload nvme */
		.workload = IOMMUSIM_WORKLOAD_MLX5,
		.mlx5 = MLX5_BIDI_1500,
		.warmup_ns = 2000 * MS,
		.measure_ns = 2000 * MS,
	},
	{
		.name = "s390-mlx5-smallpkt",
		.summary = "the same VF sending 64-byte packets: one map and unmap per packet at "
			   "the highest packet rate",
		.platforms = PLATFORMS_2023,
		.cpus = 4,
		.guest_memory = 4 * GiB,
		.nvme = RANDREAD_4K,
		.workload = IOMMUSIM_WORKLOAD_MLX5,
		.mlx5 = MLX5_TX_64,
		.warmup_ns = 2000 * MS,
		.measure_ns = 2000 * MS,
	},
};

size_t iommusim_scenario_count(void)
{
	return ISIM_ARRAY_SIZE(scenarios);
}

const struct iommusim_scenario *iommusim_scenario_get(size_t index)
{
	return index < ISIM_ARRAY_SIZE(scenarios) ? &scenarios[index] : NULL;
}

const struct iommusim_scenario *iommusim_scenario_lookup(const char *name)
{
	assert(name);
	for (size_t i = 0; i < ISIM_ARRAY_SIZE(scenarios); i++)
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	return NULL;
}

/* Does the comma-separated @list hold @name? */
static bool list_has(const char *list, const char *name, size_t len)
{
	for (;;) {
		const char *comma = strchr(list, ',');
		size_t n = comma ? (size_t)(comma - list) : strlen(list);

		if (n == len && !strncmp(list, name, len))
			return true;
		if (!comma)
			return false;
		list = comma + 1;
	}
}

const char *iommusim_scenario_platform(const struct iommusim_scenario *sc, const char *name)
{
	enum iommusim_platform_kind kind;

	assert(sc && name);
	if (iommusim_platform_lookup(name, &kind))
		return NULL;
	/* A kind's own name stands for the generation the scenario lists for that kind. */
	if (!strcmp(name, iommusim_platform_name(kind))) {
		for (size_t i = 0; i < iommusim_cost_profile_count(); i++) {
			const struct iommusim_cost_profile *pr = iommusim_cost_profile(i);

			if (!strcmp(pr->platform, name) &&
			    list_has(sc->platforms, pr->name, strlen(pr->name)))
				return pr->name;
		}
	}
	for (size_t i = 0; i < iommusim_cost_profile_count(); i++)
		if (!strcmp(iommusim_cost_profile(i)->name, name))
			return iommusim_cost_profile(i)->name;
	return NULL;
}

/*
 * Whether "KEY=VALUE" names a parameter a platform of @kind does not read (an unknown key is
 * left to iommusim_cost_configure(), which names it); the message names the platforms that do.
 */
static bool refuse_unread(enum iommusim_platform_kind kind, const char *set, char *errbuf,
			  size_t errlen)
{
	enum iommusim_cost_id id;
	size_t used;

	if (iommusim_cost_setting_id(set, &id) || iommusim_platform_reads(kind, id))
		return false;
	if (!errbuf || !errlen)
		return true;
	used = (size_t)snprintf(errbuf, errlen, "%s: not read on %s (a parameter of",
				iommusim_cost_param(id)->name, iommusim_platform_name(kind));
	for (unsigned int k = 0; k < IOMMUSIM_PLATFORM_NR && used < errlen; k++)
		if (iommusim_platform_reads((enum iommusim_platform_kind)k, id))
			used += (size_t)snprintf(
				errbuf + used, errlen - used, " %s",
				iommusim_platform_name((enum iommusim_platform_kind)k));
	if (used < errlen)
		snprintf(errbuf + used, errlen - used, ")");
	return true;
}

/*
 * The scenario's settings and the caller's go to iommusim_cost_configure() as one list, so
 * that a bad override leaves @cost as it was. The list lives on the stack: this bounds how
 * many settings one call takes, far above what a command line holds in practice.
 */
#define MAX_SETTINGS 256

int iommusim_scenario_configure(const struct iommusim_scenario *sc, const char *platform,
				struct iommusim_cost *cost, const char *const *sets, size_t nsets,
				char *errbuf, size_t errlen, long *bad)
{
	const char *list[MAX_SETTINGS];
	enum iommusim_platform_kind kind;
	const char *profile;
	long at;
	int err;

	assert(sc && platform && cost && (sets || !nsets));
	assert(sc->settings || !sc->nsettings);
	if (bad)
		*bad = -1;
	profile = iommusim_scenario_platform(sc, platform);
	if (!profile) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "unknown platform '%s'", platform);
		return -ENOENT;
	}
	if (sc->nsettings > MAX_SETTINGS || nsets > MAX_SETTINGS - sc->nsettings) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "too many settings: %zu (at most %d)",
				 sc->nsettings + nsets, MAX_SETTINGS);
		if (bad && sc->nsettings <= MAX_SETTINGS)
			*bad = (long)(MAX_SETTINGS - sc->nsettings);
		return -E2BIG;
	}
	if (iommusim_platform_lookup(profile, &kind) == 0) {
		for (size_t i = 0; i < nsets; i++) {
			if (!refuse_unread(kind, sets[i], errbuf, errlen))
				continue;
			if (bad)
				*bad = (long)i;
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < sc->nsettings; i++)
		list[i] = sc->settings[i];
	for (size_t i = 0; i < nsets; i++)
		list[sc->nsettings + i] = sets[i];
	err = iommusim_cost_configure(cost, profile, list, sc->nsettings + nsets, errbuf, errlen,
				      &at);
	/* A bad scenario setting is the scenario's fault, not the caller's: -1, as a profile. */
	if (err && bad && at >= (long)sc->nsettings)
		*bad = at - (long)sc->nsettings;
	return err;
}

void iommusim_scenario_sim_config(const struct iommusim_scenario *sc,
				  enum iommusim_platform_kind platform, enum iommusim_policy policy,
				  const struct iommusim_cost *cost, struct iommusim_sim_config *out)
{
	assert(sc && cost && out);
	*out = (struct iommusim_sim_config){
		.platform = platform,
		.policy = policy,
		.cpus = sc->cpus,
		.guest_memory = sc->guest_memory,
		.nvme = sc->nvme,
		.workload = sc->workload,
		.mlx5 = sc->mlx5,
		.cost = cost,
		.seed = 1,
		.warmup_ns = sc->warmup_ns,
		.measure_ns = sc->measure_ns,
	};
}

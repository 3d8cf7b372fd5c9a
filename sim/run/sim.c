/* SPDX-License-Identifier: MIT */
/*
 * Building one simulation (sim.h; running it: sim_run.c): the engine at cpu.freq_mhz, the
 * platform, one NVMe function with the policy's DMA ops (a zPCI function, or on powerpc a PE
 * and its windows: sim_ppc.c), and the workload.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <iommusim/dma.h>
#include <iommusim/error.h>
#include <iommusim/s390.h>
#include <iommusim/sim.h>

#include "base/memory.h"
#include "engine/work_tally.h"
#include "platform/platform_hook.h"
#include "run/sim_impl.h"
#include "workload/workload.h"

#define PAGE_SIZE  4096ull
#define HZ_PER_MHZ 1000000ull
/* The NVMe function's handle, as firmware would list it. */
#define NVME_FH 0x00001000u
/*
 * Guest-physical start of the driver's rings and I/O buffers: above the low memory the
 * kernel keeps for itself (lowcore, image), which no DMA in this model touches.
 */
#define GUEST_IO_BASE (16ull << 20)

/* Where iommusim_sim_create_msg() writes why it failed; @len 0 discards the message. */
struct errmsg {
	char *buf;
	size_t len;
};

__attribute__((format(printf, 3, 4))) static int seterr(struct errmsg *m, int err, const char *fmt,
							...)
{
	va_list ap;

	if (m->len) {
		va_start(ap, fmt);
		vsnprintf(m->buf, m->len, fmt, ap);
		va_end(ap);
	}
	return err;
}

static int check_config(const struct iommusim_sim_config *cfg, struct errmsg *m)
{
	const struct isim_workload_ops *ops = isim_workload_ops(cfg->workload);
	int err;

	if (!cfg->cost)
		return seterr(m, -EINVAL, "cost: no cost set given");
	if ((unsigned int)cfg->platform >= IOMMUSIM_PLATFORM_NR)
		return seterr(m, -EINVAL, "platform: %u is not a platform kind",
			      (unsigned int)cfg->platform);
	if ((unsigned int)cfg->policy >= IOMMUSIM_POLICY_NR)
		return seterr(m, -EINVAL, "policy: %u is not a policy", (unsigned int)cfg->policy);
	if (!iommusim_policy_applies(cfg->platform, cfg->policy))
		return seterr(m, -EINVAL, "policy: %s is not a policy of %s",
			      iommusim_policy_name(cfg->policy),
			      iommusim_platform_name(cfg->platform));
	if (cfg->guest_memory == 0)
		return seterr(m, -EINVAL, "guest_memory: must not be 0");
	if (cfg->cpus == 0 || cfg->cpus > IOMMUSIM_ENGINE_MAX_CPUS)
		return seterr(m, -EINVAL, "cpus: %u is not in 1..%u", cfg->cpus,
			      IOMMUSIM_ENGINE_MAX_CPUS);
	if (!ops)
		return seterr(m, -EINVAL, "workload: %u is not a workload kind",
			      (unsigned int)cfg->workload);
	err = ops->check(cfg, m->buf, m->len);
	if (err)
		return err;
	if (cfg->measure_ns == 0)
		return seterr(m, -EINVAL, "measure_ns: must not be 0");
	return isim_sim_series_check(cfg, m->buf, m->len);
}

int iommusim_sim_config_check(const struct iommusim_sim_config *cfg, char *errbuf, size_t errlen)
{
	struct errmsg m = {errbuf, errbuf ? errlen : 0};

	assert(cfg);
	if (m.len)
		m.buf[0] = '\0';
	return check_config(cfg, &m);
}

int isim_sim_host_error(const struct iommusim_sim *sim)
{
	if (sim->platform && iommusim_platform_error(sim->platform))
		return iommusim_platform_error(sim->platform);
	if (iommusim_mem_failed_allocs(sim->mem) != sim->mem_failed)
		return -ENOMEM;
	return 0;
}

int isim_sim_error(const struct iommusim_sim *sim)
{
	int err = isim_sim_host_error(sim);

	return err ? err : sim->wl_ops->error(sim->wl);
}

/*
 * A refusal by the guest stack is a bad configuration; running out of memory is not, and
 * neither is a refusal the host's memory shortage caused (a firmware call answered with an
 * error because the platform could not grow its shadow).
 */
static int setup_error(struct iommusim_sim *sim, int err, struct errmsg *m, const char *what)
{
	if (!err)
		return 0;
	if (err == -ENOMEM || isim_sim_host_error(sim))
		return seterr(m, -ENOMEM,
			      "%s: out of memory (the memory context refused an allocation)", what);
	return seterr(m, -EINVAL, "%s: refused by the guest stack: %s", what,
		      iommusim_strerror(err));
}

static int setup_policy(struct iommusim_sim *sim, struct errmsg *m)
{
	const struct iommusim_cost *cost = sim->cost;
	struct iommusim_dma_iommu_config dcfg = {
		.mode = IOMMUSIM_DMA_LAZY,
		.fq_size = (uint32_t)iommusim_cost_get(cost, IOMMUSIM_COST_DMA_FQ_SIZE),
		.fq_timeout_ms = (uint32_t)iommusim_cost_get(cost, IOMMUSIM_COST_DMA_FQ_TIMEOUT_MS),
		.kernel = IOMMUSIM_KERNEL_6_7,
		/* s390 sets iommu.forcedac: no 32-bit-first attempt */
		.forcedac = true,
		.possible_cpus = sim->cfg.cpus,
		.clock = iommusim_engine_clock(sim->e),
	};
	enum iommusim_s390_enomem enomem;
	int err;

	if (sim->cfg.policy == IOMMUSIM_POLICY_LEGACY) {
		/* Linux 6.6's default: lazy unmaps, a global RPCIT per wrap-around */
		struct iommusim_s390_legacy_config lcfg = {.strict = false};

		return setup_error(sim, iommusim_s390_legacy_dma_setup(sim->dev, &lcfg), m,
				   "policy legacy: the s390 DMA ops");
	}
	switch (sim->cfg.policy) {
	case IOMMUSIM_POLICY_STRICT:
		dcfg.mode = IOMMUSIM_DMA_STRICT;
		dcfg.fq_size = 0;
		dcfg.fq_timeout_ms = 0;
		break;
	case IOMMUSIM_POLICY_FQ_PERCPU:
		dcfg.fq_type = IOMMUSIM_FQ_PER_CPU;
		sim->fq_size = dcfg.fq_size ? dcfg.fq_size : IOMMUSIM_FQ_PER_CPU_SIZE;
		sim->fq_timeout_ms =
			dcfg.fq_timeout_ms ? dcfg.fq_timeout_ms : IOMMUSIM_FQ_PER_CPU_TIMEOUT_MS;
		break;
	default:
		dcfg.fq_type = IOMMUSIM_FQ_SINGLE;
		sim->fq_size = dcfg.fq_size ? dcfg.fq_size : IOMMUSIM_FQ_SINGLE_SIZE;
		sim->fq_timeout_ms =
			dcfg.fq_timeout_ms ? dcfg.fq_timeout_ms : IOMMUSIM_FQ_SINGLE_TIMEOUT_MS;
		break;
	}
	err = iommusim_s390_domain_create(sim->mem, IOMMUSIM_KERNEL_6_7, &sim->domain);
	if (err)
		return setup_error(sim, err, m, "the s390 paging domain");
	enomem = (enum iommusim_s390_enomem)iommusim_cost_get(cost, IOMMUSIM_COST_S390_ENOMEM);
	err = iommusim_s390_domain_set_enomem(sim->domain, enomem);
	if (err)
		return setup_error(sim, err, m, "s390.enomem");
	err = iommusim_dma_iommu_setup(sim->dev, sim->domain, &dcfg);
	if (err)
		return setup_error(sim, err, m,
				   "dma-iommu set-up (dma.fq_size, dma.fq_timeout_ms)");
	/*
	 * dma-iommu goes strict, as the kernel does, when its flush queue cannot be had; that
	 * would run another policy than the one asked for.
	 */
	if (dcfg.mode == IOMMUSIM_DMA_LAZY && !iommusim_dma_iommu_lazy(sim->dev))
		return seterr(m, -ENOMEM, "policy %s: out of memory for the flush queue",
			      iommusim_policy_name(sim->cfg.policy));
	return 0;
}

/* The platform tells the exposure tracker of every invalidation its RPCITs make. */
static void invalidated(void *arg, uint64_t first, uint64_t end, uint64_t t)
{
	isim_exposure_invalidate(arg, first, end, t);
}

/* The DMA exposure tracker over the function's window, and the time series' records. */
static int setup_watch(struct iommusim_sim *sim, struct errmsg *m)
{
	uint64_t start = 0, end = 0;

	/* powerpc clears TCEs inside every unmap, or maps RAM directly: nothing to track */
	if (sim->is_ppc)
		goto series;
	iommusim_s390_device_window(sim->dev, &start, &end);
	if (isim_exposure_create(sim->mem, start / PAGE_SIZE, end / PAGE_SIZE + 1, &sim->exposure))
		return seterr(m, -ENOMEM, "out of memory for the exposure tracker");
	isim_platform_watch_invalidations(sim->platform, invalidated, sim->exposure);
series:
	if (isim_sim_series_create(sim))
		return seterr(m, -ENOMEM, "out of memory for the time series");
	return 0;
}

static int setup_device(struct iommusim_sim *sim, struct errmsg *m)
{
	struct iommusim_device_config dcfg = {
		.name = "nvme",
		.pci = true,
		/* the NVMe driver sets 64-bit streaming and coherent masks */
		.dma_mask = IOMMUSIM_DMA_BIT_MASK(64),
		.coherent_dma_mask = IOMMUSIM_DMA_BIT_MASK(64),
		/* and lifts the segment limit (dma_set_max_seg_size(dev, 0xffffffff)) */
		.max_seg_size = 0xffffffffull,
	};
	struct iommusim_zpci_config zcfg;
	int err;

	if (sim->cfg.workload == IOMMUSIM_WORKLOAD_MLX5) {
		/* mlx5 sets 64-bit masks too: unless its command interface came first */
		dcfg.name = "mlx5";
		if (sim->cfg.mlx5.cmd_init_before_mask)
			dcfg.coherent_dma_mask = 0; /* the device's default: 32 bits */
	}
	err = iommusim_device_create(sim->mem, &dcfg, &sim->dev);
	if (err)
		return setup_error(sim, err, m,
				   dcfg.name[0] == 'm' ? "the mlx5 device" : "the NVMe device");
	if (sim->is_ppc)
		return isim_sim_ppc_setup(sim, m->buf, m->len);
	iommusim_platform_zpci_config(sim->platform, NVME_FH, &zcfg);
	err = iommusim_s390_device_init(sim->dev, iommusim_platform_firmware(sim->platform), &zcfg);
	if (err)
		return setup_error(
			sim, err, m,
			"the zPCI function's DMA window (guest_memory, guest.aperture_pages)");
	return setup_policy(sim, m);
}

int iommusim_sim_create(struct iommusim_mem *mem, const struct iommusim_sim_config *cfg,
			struct iommusim_sim **out)
{
	return iommusim_sim_create_msg(mem, cfg, out, NULL, 0);
}

int iommusim_sim_create_msg(struct iommusim_mem *mem, const struct iommusim_sim_config *cfg,
			    struct iommusim_sim **out, char *errbuf, size_t errlen)
{
	struct errmsg m = {.buf = errbuf, .len = errbuf ? errlen : 0};
	struct iommusim_platform_config pcfg;
	struct isim_workload_setup wsetup;
	struct iommusim_sim *sim;
	uint64_t mem_failed, hz;
	int err;

	assert(mem && cfg && out);
	if (m.len)
		m.buf[0] = '\0';
	err = check_config(cfg, &m);
	if (err)
		return err;
	mem_failed = iommusim_mem_failed_allocs(mem);
	sim = isim_zalloc(mem, sizeof(*sim), 0);
	if (!sim)
		return seterr(&m, -ENOMEM, "out of memory for the simulation");
	sim->mem = mem;
	sim->mem_failed = mem_failed;
	sim->cfg = *cfg;
	sim->cost = cfg->cost;
	sim->wl_ops = isim_workload_ops(cfg->workload);
	isim_recorder_init(&sim->recorder, mem);

	/* One frequency: the engine's cycles are the cost table's. */
	hz = iommusim_cost_get(sim->cost, IOMMUSIM_COST_CPU_FREQ_MHZ) * HZ_PER_MHZ;
	err = iommusim_engine_create(mem, cfg->cpus, hz, &sim->e);
	if (err) {
		seterr(&m, err, "the engine of %u CPUs: %s", cfg->cpus, iommusim_strerror(err));
		goto fail;
	}
	for (unsigned int k = 0; k < IOMMUSIM_WORK_NR; k++)
		sim->work_cycles[k] = iommusim_cost_work_cycles(sim->cost, (enum iommusim_work)k);
	/* Guest work reported by the kernel layers becomes busy time of the CPU that did it. */
	isim_engine_tally_work(sim->e, sim->work_cycles);

	pcfg = (struct iommusim_platform_config){
		.kind = cfg->platform,
		.guest_memory = cfg->guest_memory,
		.cost = sim->cost,
	};
	err = iommusim_platform_create(mem, sim->e, &pcfg, &sim->platform);
	if (err) {
		seterr(&m, err, "platform %s: %s", iommusim_platform_name(cfg->platform),
		       iommusim_strerror(err));
		goto fail;
	}
	sim->is_ppc = iommusim_platform_arch(cfg->platform) == IOMMUSIM_ARCH_POWERPC;
	err = setup_device(sim, &m);
	if (!err)
		err = setup_watch(sim, &m);
	if (err)
		goto fail;

	wsetup = (struct isim_workload_setup){
		.engine = sim->e,
		.dev = sim->dev,
		.cost = sim->cost,
		.cfg = &sim->cfg,
		.seed = cfg->seed,
		.phys_base = GUEST_IO_BASE,
		.phys_limit = cfg->guest_memory,
		/* the order of firmware calls matters only where a server serialises them */
		.steps = iommusim_platform_server(sim->platform) != NULL,
		.exposure = sim->exposure,
		.record = cfg->record ? &sim->recorder : NULL,
		.kernel_page = sim->is_ppc ? isim_sim_ppc_kernel_page(sim) : 0,
		.errbuf = m.buf,
		.errlen = m.len,
	};
	err = sim->wl_ops->create(mem, &wsetup, &sim->wl);
	if (!err && sim->is_ppc)
		err = isim_sim_ppc_finish(sim, m.buf, m.len);
	if (err)
		goto fail;
	/* Refusals the guest's kernel absorbed (a magazine, a table) would change the results. */
	err = isim_sim_host_error(sim);
	if (err) {
		seterr(&m, err,
		       "out of memory while building the guest stack (the memory context "
		       "refused an allocation the guest's kernel worked around)");
		goto fail;
	}
	*out = sim;
	return 0;
fail:
	/* A refusal caused by the host's memory shortage is that, not a bad configuration. */
	if (err != -ENOMEM && isim_sim_host_error(sim)) {
		err = -ENOMEM;
		seterr(&m, err,
		       "out of memory (the memory context refused an allocation, and "
		       "the guest stack failed for it)");
	}
	iommusim_sim_destroy(sim);
	return err;
}

void iommusim_sim_destroy(struct iommusim_sim *sim)
{
	if (!sim)
		return;
	/* Users before what they use: the device's timers and firmware live on the engine. */
	if (sim->wl)
		sim->wl_ops->destroy(sim->wl);
	iommusim_device_destroy(sim->dev);
	isim_sim_ppc_destroy(sim);
	iommusim_domain_destroy(sim->domain);
	iommusim_platform_destroy(sim->platform);
	iommusim_engine_destroy(sim->e);
	/* after everything that could still invalidate or unmap */
	isim_exposure_destroy(sim->exposure);
	isim_sim_series_destroy(sim);
	isim_recorder_free(&sim->recorder);
	isim_free(sim->mem, sim, sizeof(*sim), 0);
}

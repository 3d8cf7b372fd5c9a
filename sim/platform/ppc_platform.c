/* SPDX-License-Identifier: MIT */
/*
 * The powerpc platforms' firmware: each call goes to the endpoint for its answer, and is then
 * booked at its kind's price (ppc_platform.h). With a TCE budget the endpoint keeps every
 * valid TCE, so the count the budget is checked against is exact; a call may make valid as
 * many TCEs as it writes non-zero, since the kernel writes TCEs only into entries it has just
 * allocated, which are clear (assumption P1, docs/powerpc.md).
 */
#include <errno.h>
#include <string.h>

#include "base/memory.h"
#include "platform/charge.h"
#include "platform/platform_internal.h"
#include "platform/ppc_platform.h"

struct isim_ppc_platform {
	struct isim_ppc_fw *endpoint;
	const struct isim_ppc_fw_ops *eops;
	void *earg;
	struct isim_ppc_script_config ep;
	struct isim_ppc_fw *fw;
	struct isim_ppc_price price[ISIM_PPC_CALL_NR];
	uint64_t tce_limit;
};

/* Book a call of @kind naming @tces TCEs on @cpu (and the server). */
static void charge(struct iommusim_platform *p, struct iommusim_cpu *cpu, enum isim_ppc_call kind,
		   uint64_t tces)
{
	const struct isim_ppc_price *pr = &p->ppc->price[kind];

	isim_platform_charge(p, cpu, pr->trap + tces * pr->trap_per_tce,
			     pr->work + tces * pr->work_per_tce);
}

/* Would @n more valid TCEs exceed the budget? A refused call still costs its entry. */
static bool budget_refuses(struct iommusim_platform *p, uint64_t n)
{
	struct isim_ppc_platform *pp = p->ppc;

	return pp->tce_limit && isim_ppc_script_tce_total(pp->endpoint) + n > pp->tce_limit;
}

static long w_put(void *arg, struct iommusim_cpu *cpu, uint32_t liobn, uint64_t ioba, uint64_t tce)
{
	struct iommusim_platform *p = arg;
	struct isim_ppc_platform *pp = p->ppc;
	long rc = ISIM_H_NOT_ENOUGH_RESOURCES;

	if (!tce || !budget_refuses(p, 1))
		rc = pp->eops->put_tce(pp->earg, cpu, liobn, ioba, tce);
	charge(p, cpu, ISIM_PPC_H_PUT_TCE, 1);
	return rc;
}

static long w_put_indirect(void *arg, struct iommusim_cpu *cpu, uint32_t liobn, uint64_t ioba,
			   const uint64_t *tces, uint64_t count)
{
	struct iommusim_platform *p = arg;
	struct isim_ppc_platform *pp = p->ppc;
	long rc = ISIM_H_NOT_ENOUGH_RESOURCES;
	uint64_t set = 0;

	for (uint64_t i = 0; pp->tce_limit && i < count && count <= ISIM_PPC_TCES_PER_CALL; i++)
		set += tces[i] != 0;
	if (!budget_refuses(p, set))
		rc = pp->eops->put_tce_indirect(pp->earg, cpu, liobn, ioba, tces, count);
	charge(p, cpu, ISIM_PPC_H_PUT_TCE_INDIRECT, count);
	return rc;
}

static long w_stuff(void *arg, struct iommusim_cpu *cpu, uint32_t liobn, uint64_t ioba,
		    uint64_t value, uint64_t count)
{
	struct iommusim_platform *p = arg;
	struct isim_ppc_platform *pp = p->ppc;
	long rc = ISIM_H_NOT_ENOUGH_RESOURCES;

	if (!value || !budget_refuses(p, count))
		rc = pp->eops->stuff_tce(pp->earg, cpu, liobn, ioba, value, count);
	charge(p, cpu, ISIM_PPC_H_STUFF_TCE, count);
	return rc;
}

static long w_get(void *arg, struct iommusim_cpu *cpu, uint32_t liobn, uint64_t ioba, uint64_t *tce)
{
	struct iommusim_platform *p = arg;
	long rc = p->ppc->eops->get_tce(p->ppc->earg, cpu, liobn, ioba, tce);

	charge(p, cpu, ISIM_PPC_H_GET_TCE, 1);
	return rc;
}

static long w_kill(void *arg, struct iommusim_cpu *cpu, uint32_t pe, unsigned int page_shift,
		   uint64_t ioba, uint64_t npages)
{
	struct iommusim_platform *p = arg;
	long rc = p->ppc->eops->tce_kill(p->ppc->earg, cpu, pe, page_shift, ioba, npages);

	charge(p, cpu, ISIM_PPC_OPAL_TCE_KILL, npages);
	return rc;
}

static int w_query(void *arg, struct iommusim_cpu *cpu, uint32_t cfg_addr, unsigned int words,
		   struct isim_ddw_query *out)
{
	struct iommusim_platform *p = arg;
	int rc = p->ppc->eops->ddw_query(p->ppc->earg, cpu, cfg_addr, words, out);

	charge(p, cpu, ISIM_PPC_RTAS_QUERY, 0);
	return rc;
}

static int w_create(void *arg, struct iommusim_cpu *cpu, uint32_t cfg_addr, unsigned int page_shift,
		    unsigned int window_shift, struct isim_ddw_window *out)
{
	struct iommusim_platform *p = arg;
	int rc = p->ppc->eops->ddw_create(p->ppc->earg, cpu, cfg_addr, page_shift, window_shift,
					  out);

	charge(p, cpu, ISIM_PPC_RTAS_CREATE, 0);
	return rc;
}

static int w_remove(void *arg, struct iommusim_cpu *cpu, uint32_t liobn)
{
	struct iommusim_platform *p = arg;
	int rc = p->ppc->eops->ddw_remove(p->ppc->earg, cpu, liobn);

	charge(p, cpu, ISIM_PPC_RTAS_REMOVE, 0);
	return rc;
}

static int w_reset(void *arg, struct iommusim_cpu *cpu, uint32_t cfg_addr, bool limited)
{
	struct iommusim_platform *p = arg;
	int rc = p->ppc->eops->ddw_reset(p->ppc->earg, cpu, cfg_addr, limited);

	charge(p, cpu, ISIM_PPC_RTAS_RESET, 0);
	return rc;
}

/* A pSeries firmware has every call but the OPAL one; PowerNV only that one. */
static const struct isim_ppc_fw_ops pseries_ops = {
	.put_tce = w_put,
	.put_tce_indirect = w_put_indirect,
	.stuff_tce = w_stuff,
	.get_tce = w_get,
	.ddw_query = w_query,
	.ddw_create = w_create,
	.ddw_remove = w_remove,
	.ddw_reset = w_reset,
};

static const struct isim_ppc_fw_ops powernv_ops = {
	.tce_kill = w_kill,
};

uint32_t isim_ppc_ddw_page_sizes(uint64_t choice)
{
	static const uint32_t sets[] = {
		ISIM_DDW_PGSIZE_4K,
		ISIM_DDW_PGSIZE_4K | ISIM_DDW_PGSIZE_64K,
		ISIM_DDW_PGSIZE_4K | ISIM_DDW_PGSIZE_64K | ISIM_DDW_PGSIZE_16M,
		ISIM_DDW_PGSIZE_4K | ISIM_DDW_PGSIZE_64K | ISIM_DDW_PGSIZE_2M | ISIM_DDW_PGSIZE_16M,
	};

	return choice < sizeof(sets) / sizeof(sets[0]) ? sets[choice] : sets[1];
}

/* sources.md S25: a pSeries PE as its firmware describes it, from pseries.* */
static void pseries_endpoint(const struct iommusim_platform *p, struct isim_ppc_script_config *ep)
{
	const struct iommusim_cost *c = p->cost;

	ep->max_windows = (uint32_t)iommusim_cost_get(c, IOMMUSIM_COST_PSERIES_DDW_WINDOWS);
	ep->largest_block = UINT64_C(1)
			    << iommusim_cost_get(c, IOMMUSIM_COST_PSERIES_DDW_BLOCK_LOG2);
	ep->page_sizes =
		isim_ppc_ddw_page_sizes(iommusim_cost_get(c, IOMMUSIM_COST_PSERIES_DDW_PAGE_SIZES));
	ep->ddw_addr = p->ops->ppc->ddw_addr;
	ep->default_liobn = ISIM_PPC_DEFAULT_LIOBN;
	ep->default_offset = 0;
	ep->default_size = iommusim_cost_get(c, IOMMUSIM_COST_PSERIES_DEFAULT_WINDOW_MB) << 20;
	ep->default_shift = 12;
}

int isim_ppc_platform_create(struct iommusim_platform *p)
{
	const struct isim_ppc_kind_ops *k = p->ops->ppc;
	struct isim_ppc_platform *pp = isim_zalloc(p->mem, sizeof(*pp), 0);
	int err;

	if (!pp)
		return -ENOMEM;
	p->ppc = pp;
	/* no log and no TCE values: a run makes millions of calls over windows of RAM's size */
	pp->ep.no_log = true;
	if (k->pseries) {
		pseries_endpoint(p, &pp->ep);
		pp->tce_limit = iommusim_cost_get(p->cost, IOMMUSIM_COST_PSERIES_TCE_LIMIT);
		/* the budget is checked against the TCEs the endpoint holds */
		pp->ep.track_tces = pp->tce_limit != 0;
	}
	k->prices(p->cost, pp->price);
	err = isim_ppc_fw_create_script(p->mem, &pp->ep, &pp->endpoint);
	if (err)
		return err;
	pp->eops = isim_ppc_fw_get_ops(pp->endpoint);
	pp->earg = isim_ppc_fw_get_arg(pp->endpoint);
	return isim_ppc_fw_create(p->mem, k->pseries ? &pseries_ops : &powernv_ops, p, &pp->fw);
}

void isim_ppc_platform_destroy(struct iommusim_platform *p)
{
	if (!p->ppc)
		return;
	isim_ppc_fw_destroy(p->ppc->fw);
	isim_ppc_fw_destroy(p->ppc->endpoint);
	isim_free(p->mem, p->ppc, sizeof(*p->ppc), 0);
	p->ppc = NULL;
}

struct isim_ppc_fw *isim_platform_ppc_fw(struct iommusim_platform *p)
{
	return p->ppc ? p->ppc->fw : NULL;
}

const struct isim_ppc_script_config *isim_platform_ppc_endpoint(const struct iommusim_platform *p)
{
	return p->ppc ? &p->ppc->ep : NULL;
}

const struct isim_ppc_kind_ops *isim_platform_ppc_kind(const struct iommusim_platform *p)
{
	return p->ops->ppc;
}

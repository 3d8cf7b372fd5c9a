/* SPDX-License-Identifier: MIT */
/*
 * z/VM: CP intercepts RPCIT (zvm.trap_ns) and brings its shadow of the guest's I/O table in
 * line over the range. CP's internals are not public; the model assumes a walk with QEMU's
 * outcome but a proper walker's shape (docs/platforms.md lists every assumption):
 * - invalid segment and region entries are skipped in one step each, aligned to their reach,
 *   with no per-page cost under them; the pages CP shadowed there are unmapped;
 * - zvm.shadow_page_ns per page walked in a page table and per invalid upper entry,
 *   zvm.map_page_ns per page newly shadowed, zvm.unmap_page_ns per page unshadowed; no
 *   separate unmap calls, nothing coalesced;
 * - a changed page is unshadowed and shadowed again, its budget unit given back first;
 * - with zvm.dma_entry_limit, pages that find no budget are skipped, the range is walked again
 *   while the budget allows, and the answer is cc 1 / status 16 only if a page was left
 *   unshadowed.
 */
#include <errno.h>

#include "platform/charge.h"
#include "platform/platform_internal.h"

/*
 * CP's time for the counted work, at the prices zvm_setup() made: docs/platforms.md's E_ns.
 * A page table entered and an invalid upper entry are one entry read each, at one price
 * (zvm.segment_ns), so they share one product.
 */
static uint64_t cp_ns(const struct isim_walk_prices *pr, const struct isim_walk_counts *n)
{
	return (n->tables_walked + n->upper_invalid) * pr->tables_walked +
	       n->pages_walked * pr->pages_walked + n->maps * pr->maps +
	       n->teardowns * pr->teardowns;
}

static int zvm_rpcit(struct iommusim_platform *p, struct iommusim_cpu *cpu,
		     struct isim_platform_fn *f, uint64_t first, uint64_t end, uint8_t *status)
{
	const struct iommusim_cost *c = p->cost;
	struct isim_walk_counts *n = &p->walked;
	/* the walk's time is what it adds to that of all walks (charge.h) */
	uint64_t before = cp_ns(&p->prices, n);

	/* What the walk did before it stopped is counted; its time is not charged. */
	if (isim_shadow_refresh(f->shadow, f->iota, first, end, &p->rules, &p->container, n))
		return -ENOMEM;
	isim_platform_charge(p, cpu, iommusim_cost_cycles(c, IOMMUSIM_COST_ZVM_TRAP_NS),
			     iommusim_cost_ns_to_cycles(c, cp_ns(&p->prices, n) - before));
	if (!n->left_unmapped)
		return IOMMUSIM_FW_CC_OK;
	p->st.budget_exhausted++;
	*status = IOMMUSIM_FW_STATUS_RESOURCES_ALT;
	return IOMMUSIM_FW_CC_ERROR;
}

/* An RPCIT refused before any walk still costs CP's intercept (Z1). */
static void zvm_refused(struct iommusim_platform *p, struct iommusim_cpu *cpu)
{
	isim_platform_charge(p, cpu, iommusim_cost_cycles(p->cost, IOMMUSIM_COST_ZVM_TRAP_NS), 0);
}

/*
 * Z4 and Z5: one server for CP unless told otherwise, a budget only when one is assumed; the
 * walk of the notes above, and its prices.
 */
static void zvm_setup(const struct iommusim_cost *c, struct isim_platform_setup *out)
{
	uint64_t segment = iommusim_cost_get(c, IOMMUSIM_COST_ZVM_SEGMENT_NS);

	out->budget = iommusim_cost_get(c, IOMMUSIM_COST_ZVM_DMA_ENTRY_LIMIT);
	out->server = iommusim_cost_get(c, IOMMUSIM_COST_ZVM_SERIALIZE_RPCIT) ? "zvm-cp" : NULL;
	out->rules = (struct isim_walk_rules){
		.anchored_frames = false,
		.unmap = ISIM_UNMAP_NO_CALLS,
		.silent_upper_drops = false,
		.second_pass = true,
		.remap_keeps_budget = true,
	};
	out->prices = (struct isim_walk_prices){
		.tables_walked = segment,
		.upper_invalid = segment,
		.pages_walked = iommusim_cost_get(c, IOMMUSIM_COST_ZVM_SHADOW_PAGE_NS),
		.maps = iommusim_cost_get(c, IOMMUSIM_COST_ZVM_MAP_PAGE_NS),
		.teardowns = iommusim_cost_get(c, IOMMUSIM_COST_ZVM_UNMAP_PAGE_NS),
	};
}

/* Z6: CP unmaps every page it shadowed and gives the budget back. */
static void zvm_dereg_ioat(struct iommusim_platform *p, uint64_t pages)
{
	if (p->container.limited)
		p->container.avail += pages;
}

static const char *const zvm_areas[] = {"zvm.", ISIM_S390_GUEST_AREAS, NULL};

const struct isim_platform_ops isim_zvm_ops = {
	.name = "zvm",
	.arch = IOMMUSIM_ARCH_S390,
	.areas = zvm_areas,
	.shadows = true,
	.rpcit = zvm_rpcit,
	.refused = zvm_refused,
	.setup = zvm_setup,
	.dereg_ioat = zvm_dereg_ioat,
};

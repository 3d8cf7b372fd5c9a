/* SPDX-License-Identifier: MIT */
/*
 * The platform: the firmware handle the guest's drivers call, the functions the guest has
 * registered, the container budget they share, and the dispatch of each RPCIT to the model of
 * the platform's kind (lpar.c, kvm.c, zvm.c).
 *
 * Like the engine it runs on, a platform is driven by one thread: its firmware calls charge the
 * engine's CPUs and servers, which have no locking of their own.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "base/memory.h"
#include "arch/s390/s390_tables.h"
#include "platform/platform_internal.h"

static const char *const kind_names[IOMMUSIM_PLATFORM_NR] = {
	[IOMMUSIM_PLATFORM_LPAR] = "lpar",
	[IOMMUSIM_PLATFORM_ZVM] = "zvm",
	[IOMMUSIM_PLATFORM_KVM] = "kvm",
};

const char *iommusim_platform_name(enum iommusim_platform_kind kind)
{
	if ((unsigned int)kind >= IOMMUSIM_PLATFORM_NR)
		return "unknown";
	return kind_names[kind];
}

static int kind_lookup(const char *name, enum iommusim_platform_kind *out)
{
	for (unsigned int k = 0; k < IOMMUSIM_PLATFORM_NR; k++) {
		if (!strcmp(name, kind_names[k])) {
			*out = (enum iommusim_platform_kind)k;
			return 0;
		}
	}
	return -ENOENT;
}

/* A kind's own name, or a profile's name: a profile says which kind it configures. */
int iommusim_platform_lookup(const char *name, enum iommusim_platform_kind *out)
{
	assert(name && out);
	if (!kind_lookup(name, out))
		return 0;
	for (size_t i = 0; i < iommusim_cost_profile_count(); i++) {
		const struct iommusim_cost_profile *pr = iommusim_cost_profile(i);

		if (!strcmp(name, pr->name))
			return kind_lookup(pr->platform, out);
	}
	return -ENOENT;
}

/* The parameter areas a kind's model reads; an area no kind claims is read by all. */
static const struct {
	const char *area;
	enum iommusim_platform_kind kind;
} area_owner[] = {
	{ "lpar.", IOMMUSIM_PLATFORM_LPAR }, { "zvm.", IOMMUSIM_PLATFORM_ZVM },
	{ "kvm.", IOMMUSIM_PLATFORM_KVM },   { "qemu.", IOMMUSIM_PLATFORM_KVM },
	{ "vfio.", IOMMUSIM_PLATFORM_KVM },  { "host.", IOMMUSIM_PLATFORM_KVM },
};

bool iommusim_platform_reads(enum iommusim_platform_kind kind, enum iommusim_cost_id id)
{
	const struct iommusim_cost_param *p = iommusim_cost_param(id);

	if ((unsigned int)kind >= IOMMUSIM_PLATFORM_NR || !p)
		return false;
	for (size_t i = 0; i < sizeof(area_owner) / sizeof(area_owner[0]); i++)
		if (!strncmp(p->name, area_owner[i].area, strlen(area_owner[i].area)))
			return area_owner[i].kind == kind;
	return true;
}

/* Binary search; returns the index of @fh or where it would go. */
static size_t fn_index(const struct iommusim_platform *p, uint32_t fh)
{
	size_t lo = 0, hi = p->nfns;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->fns[mid]->fh < fh)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct isim_platform_fn *fn_find(const struct iommusim_platform *p, uint32_t fh)
{
	size_t i = fn_index(p, fh);

	return i < p->nfns && p->fns[i]->fh == fh ? p->fns[i] : NULL;
}

static struct isim_platform_fn *fn_add(struct iommusim_platform *p, uint32_t fh)
{
	size_t i = fn_index(p, fh);
	struct isim_platform_fn *f;

	if (p->nfns == p->fns_cap) {
		size_t cap = p->fns_cap ? 2 * p->fns_cap : 4;
		struct isim_platform_fn **fns = isim_alloc(p->mem, cap * sizeof(*fns), 0);

		if (!fns)
			return NULL;
		if (p->nfns)
			memcpy(fns, p->fns, p->nfns * sizeof(*fns));
		if (p->fns)
			isim_free(p->mem, p->fns, p->fns_cap * sizeof(*fns), 0);
		p->fns = fns;
		p->fns_cap = cap;
	}
	f = isim_zalloc(p->mem, sizeof(*f), 0);
	if (!f)
		return NULL;
	if (p->kind != IOMMUSIM_PLATFORM_LPAR && isim_shadow_create(p->mem, &f->shadow)) {
		isim_free(p->mem, f, sizeof(*f), 0);
		return NULL;
	}
	f->fh = fh;
	memmove(&p->fns[i + 1], &p->fns[i], (p->nfns - i) * sizeof(p->fns[0]));
	p->fns[i] = f;
	p->nfns++;
	return f;
}

/*
 * mirrors pci_dereg_ioat(): the shadow is emptied. On KVM the IOMMU region leaves the address
 * space, so vfio's listener removes the whole window with one UNMAP_DMA (every shadowed page is
 * torn down), while QEMU forgets its entries without giving their budget back. CP is assumed
 * to unmap every page and give the budget back.
 */
static void deregister(struct iommusim_platform *p, struct isim_platform_fn *f)
{
	uint64_t n = f->shadow ? isim_shadow_clear(f->shadow) : 0;

	p->container.shadow_pages -= n;
	p->st.host_unmaps += n;
	if (p->kind == IOMMUSIM_PLATFORM_KVM)
		p->st.host_unmap_calls++;
	else if (p->container.limited)
		p->container.avail += n;
	f->iota = NULL;
	f->pba = 0;
	f->pal = 0;
}

/* mirrors reg_ioat() and pci_dereg_ioat() of QEMU (the checks CLP's MPCIFC makes) */
static int platform_set_ioat(void *arg, uint32_t fh, uint64_t pba, uint64_t pal,
			     const struct iommusim_s390_io_table *iota)
{
	struct iommusim_platform *p = arg;
	struct isim_platform_fn *f = fn_find(p, fh);
	struct iommusim_zpci_config zc;

	if (!iota) {
		if (!f || !f->iota)
			return -ENOENT;
		deregister(p, f);
		return 0;
	}
	pba &= ~(ZPCI_PAGE_SIZE - 1);
	pal |= ZPCI_PAGE_SIZE - 1;
	iommusim_platform_zpci_config(p, fh, &zc);
	if (pba > pal || pba < zc.start_dma || pal > zc.end_dma)
		return -EINVAL;
	/* A second registration without a deregistration is a sequence error. */
	if (f && f->iota)
		return -EBUSY;
	if (!f) {
		f = fn_add(p, fh);
		if (!f)
			return -ENOMEM;
	}
	f->pba = pba;
	f->pal = pal;
	f->iota = iota;
	return 0;
}

void isim_platform_charge(struct iommusim_platform *p, struct iommusim_cpu *cpu, uint64_t trap,
			  uint64_t work)
{
	iommusim_engine_cpu_charge(p->e, cpu, trap);
	if (p->server && work)
		iommusim_engine_server_use(p->e, p->server, cpu, iommusim_engine_cpu_now(p->e, cpu),
					   work, NULL, NULL);
	else
		iommusim_engine_cpu_charge(p->e, cpu, work);
	p->st.hyp_cycles += trap + work;
}

void isim_platform_add_counts(struct iommusim_platform *p, const struct isim_walk_counts *n)
{
	p->st.passes += n->passes;
	p->st.second_passes += n->second_passes;
	p->st.tables_walked += n->tables_walked;
	p->st.pages_walked += n->pages_walked;
	p->st.upper_invalid += n->upper_invalid;
	p->st.upper_pages += n->upper_pages;
	p->st.host_maps += n->maps;
	p->st.host_unmap_calls += n->unmap_calls;
	p->st.host_unmaps += n->teardowns;
	p->st.maps_skipped += n->skipped;
	p->st.silent_drops += n->silent_drops;
	p->st.remaps += n->remaps;
}

/* The trap an RPCIT costs even when it is refused (the hypervisor decodes it first). */
static void charge_refused(struct iommusim_platform *p, struct iommusim_cpu *cpu)
{
	const struct iommusim_cost *c = p->cost;

	if (p->kind == IOMMUSIM_PLATFORM_KVM)
		isim_kvm_charge_trap(p, cpu, 0);
	else
		isim_platform_charge(p, cpu, iommusim_cost_cycles(c, IOMMUSIM_COST_ZVM_TRAP_NS), 0);
}

int isim_platform_nomem(struct iommusim_platform *p, struct iommusim_cpu *cpu, uint8_t *status)
{
	charge_refused(p, cpu);
	p->st.rpcit_errors++;
	if (!p->err)
		p->err = -ENOMEM;
	/* The run cannot go on faithfully; its owner sees why through the error. */
	iommusim_engine_stop(p->e);
	*status = IOMMUSIM_PLATFORM_STATUS_FUNC_IN_ERROR;
	return IOMMUSIM_FW_CC_ERROR;
}

/* mirrors the checks of rpcit_service_call(), then the kind's model */
static int platform_rpcit(void *arg, struct iommusim_cpu *cpu, uint32_t fh, uint64_t addr,
			  uint64_t len, uint8_t *status)
{
	struct iommusim_platform *p = arg;
	struct isim_platform_fn *f;
	uint64_t end = addr + len;

	assert(cpu);
	p->st.rpcits++;
	if (p->kind == IOMMUSIM_PLATFORM_LPAR)
		return isim_lpar_rpcit(p, cpu, NULL, 0, 0, status);
	f = fn_find(p, fh);
	if (!f || !f->iota) {
		charge_refused(p, cpu);
		p->st.rpcit_errors++;
		return IOMMUSIM_FW_CC_NOT_OPERATIONAL;
	}
	if (end < addr)
		end = UINT64_MAX;
	/* QEMU's test, exclusive end against inclusive pba: a range ending at pba still walks. */
	if (end < f->pba || addr > f->pal) {
		charge_refused(p, cpu);
		p->st.rpcit_errors++;
		p->st.range_errors++;
		*status = IOMMUSIM_PLATFORM_STATUS_FUNC_IN_ERROR;
		return IOMMUSIM_FW_CC_ERROR;
	}
	/* Every page the range touches; QEMU does not cut the range to the window. */
	end = (end >> ZPCI_PAGE_SHIFT) + ((end & (ZPCI_PAGE_SIZE - 1)) != 0);
	if (p->kind == IOMMUSIM_PLATFORM_KVM)
		return isim_kvm_rpcit(p, cpu, f, addr >> ZPCI_PAGE_SHIFT, end, status);
	return isim_zvm_rpcit(p, cpu, f, addr >> ZPCI_PAGE_SHIFT, end, status);
}

static const struct iommusim_firmware_ops platform_ops = {
	.rpcit = platform_rpcit,
	.set_ioat = platform_set_ioat,
};

int iommusim_platform_create(struct iommusim_mem *mem, struct iommusim_engine *e,
			     const struct iommusim_platform_config *cfg,
			     struct iommusim_platform **out)
{
	struct iommusim_platform *p;
	const char *server = NULL;
	uint64_t limit = 0;
	int ret;

	assert(mem && e && cfg && cfg->cost && out);
	if ((unsigned int)cfg->kind >= IOMMUSIM_PLATFORM_NR || !cfg->guest_memory)
		return -EINVAL;
	p = isim_zalloc(mem, sizeof(*p), 0);
	if (!p)
		return -ENOMEM;
	p->mem = mem;
	p->e = e;
	p->kind = cfg->kind;
	p->guest_memory = cfg->guest_memory;
	p->cost = cfg->cost;

	switch (p->kind) {
	case IOMMUSIM_PLATFORM_KVM:
		limit = iommusim_cost_get(p->cost, IOMMUSIM_COST_VFIO_DMA_ENTRY_LIMIT);
		if (iommusim_cost_get(p->cost, IOMMUSIM_COST_QEMU_SERIALIZE_RPCIT))
			server = "qemu-bql";
		break;
	case IOMMUSIM_PLATFORM_ZVM:
		limit = iommusim_cost_get(p->cost, IOMMUSIM_COST_ZVM_DMA_ENTRY_LIMIT);
		if (iommusim_cost_get(p->cost, IOMMUSIM_COST_ZVM_SERIALIZE_RPCIT))
			server = "zvm-cp";
		break;
	default:
		break;
	}
	/* 0 is "no limit": QEMU without a vfio limit reads dma_avail as 1 and never counts. */
	p->container.limited = limit != 0;
	p->container.avail = limit;

	ret = iommusim_firmware_create(mem, &platform_ops, p, &p->fw);
	if (ret)
		goto fail;
	if (server) {
		ret = iommusim_engine_server_create(e, server, &p->server);
		if (ret)
			goto fail;
	}
	*out = p;
	return 0;
fail:
	iommusim_firmware_destroy(p->fw);
	isim_free(mem, p, sizeof(*p), 0);
	return ret;
}

void iommusim_platform_destroy(struct iommusim_platform *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nfns; i++) {
		isim_shadow_destroy(p->fns[i]->shadow);
		isim_free(p->mem, p->fns[i], sizeof(*p->fns[i]), 0);
	}
	if (p->fns)
		isim_free(p->mem, p->fns, p->fns_cap * sizeof(p->fns[0]), 0);
	iommusim_engine_server_destroy(p->server);
	iommusim_firmware_destroy(p->fw);
	isim_free(p->mem, p, sizeof(*p), 0);
}

enum iommusim_platform_kind iommusim_platform_kind(const struct iommusim_platform *p)
{
	assert(p);
	return p->kind;
}

struct iommusim_firmware *iommusim_platform_firmware(struct iommusim_platform *p)
{
	assert(p);
	return p->fw;
}

struct iommusim_server *iommusim_platform_server(const struct iommusim_platform *p)
{
	assert(p);
	return p->server;
}

/* sources.md S11: QEMU's window, its 8.0 shrink, or the configured aperture */
void iommusim_platform_zpci_config(const struct iommusim_platform *p, uint32_t fh,
				   struct iommusim_zpci_config *out)
{
	const struct iommusim_cost *c;
	uint64_t pages;

	assert(p && out);
	c = p->cost;
	memset(out, 0, sizeof(*out));
	out->fh = fh;
	/* the lpar profile says 0; a user may ask what LPAR would do with refreshes on map */
	out->tlb_refresh = iommusim_cost_get(c, IOMMUSIM_COST_ZPCI_TLB_REFRESH);
	out->ism = false;
	out->start_dma = IOMMUSIM_ZPCI_QEMU_START_DMA;
	out->end_dma = IOMMUSIM_ZPCI_QEMU_END_DMA;
	out->guest_memory = p->guest_memory;
	out->aperture_factor = 0;
	out->max_busy_retries = 0;

	if (p->kind == IOMMUSIM_PLATFORM_KVM &&
	    iommusim_cost_get(c, IOMMUSIM_COST_QEMU_APERTURE_SHRINK)) {
		/* mirrors s390_pci_read_base(): the window holds at most the vfio limit */
		uint64_t size = iommusim_cost_get(c, IOMMUSIM_COST_VFIO_DMA_ENTRY_LIMIT)
				<< ZPCI_PAGE_SHIFT;

		if (size && size < out->end_dma - out->start_dma + 1)
			out->end_dma = out->start_dma + size - 1;
	}
	/* An explicit aperture replaces the derived one, within the hardware's window. */
	pages = iommusim_cost_get(c, IOMMUSIM_COST_GUEST_APERTURE_PAGES);
	if (pages && (pages << ZPCI_PAGE_SHIFT) <
			     IOMMUSIM_ZPCI_QEMU_END_DMA - IOMMUSIM_ZPCI_QEMU_START_DMA + 1)
		out->end_dma = out->start_dma + (pages << ZPCI_PAGE_SHIFT) - 1;
}

int iommusim_platform_error(const struct iommusim_platform *p)
{
	assert(p);
	return p->err;
}

void iommusim_platform_get_stats(const struct iommusim_platform *p,
				 struct iommusim_platform_stats *out)
{
	assert(p && out);
	*out = p->st;
	out->shadow_pages = p->container.shadow_pages;
	out->shadow_pages_max = p->container.shadow_max;
	out->dma_avail = p->container.limited ? p->container.avail : UINT64_MAX;
}

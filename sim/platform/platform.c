/* SPDX-License-Identifier: MIT */
/*
 * The platform's generic part: the firmware handle the guest's drivers call, the functions the
 * guest has registered, the container budget they share, the checks a shadowing hypervisor
 * makes before it emulates an RPCIT, and the answer when the host runs out of memory. What
 * differs by kind is asked of the kind's table (struct isim_platform_ops: lpar.c, zvm.c,
 * kvm.c), never decided here.
 *
 * Like the engine it runs on, a platform is driven by one thread: its firmware calls charge the
 * engine's CPUs and servers, which have no locking of their own.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "base/memory.h"
#include "arch/s390/s390_tables.h"
#include "platform/charge.h"
#include "platform/platform_internal.h"
#include "platform/ppc_platform.h"

/* Every kind by its number: a new kind is its file's table and one line here. */
static const struct isim_platform_ops *const kinds[IOMMUSIM_PLATFORM_NR] = {
	[IOMMUSIM_PLATFORM_LPAR] = &isim_lpar_ops,
	[IOMMUSIM_PLATFORM_ZVM] = &isim_zvm_ops,
	[IOMMUSIM_PLATFORM_KVM] = &isim_kvm_ops,
	[IOMMUSIM_PLATFORM_POWERVM] = &isim_powervm_ops,
	[IOMMUSIM_PLATFORM_KVM_PPC] = &isim_kvm_ppc_ops,
	[IOMMUSIM_PLATFORM_POWERNV] = &isim_powernv_ops,
};

const struct isim_platform_ops *isim_platform_kind_ops(enum iommusim_platform_kind kind)
{
	if ((unsigned int)kind >= IOMMUSIM_PLATFORM_NR)
		return NULL;
	return kinds[kind];
}

const char *iommusim_platform_name(enum iommusim_platform_kind kind)
{
	if ((unsigned int)kind >= IOMMUSIM_PLATFORM_NR)
		return "unknown";
	return kinds[kind]->name;
}

enum iommusim_arch iommusim_platform_arch(enum iommusim_platform_kind kind)
{
	if ((unsigned int)kind >= IOMMUSIM_PLATFORM_NR)
		return IOMMUSIM_ARCH_S390;
	return kinds[kind]->arch;
}

static int kind_lookup(const char *name, enum iommusim_platform_kind *out)
{
	for (unsigned int k = 0; k < IOMMUSIM_PLATFORM_NR; k++) {
		if (!strcmp(name, kinds[k]->name)) {
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

static bool claims(const struct isim_platform_ops *ops, const char *name)
{
	for (const char *const *a = ops->areas; a && *a; a++)
		if (!strncmp(name, *a, strlen(*a)))
			return true;
	return false;
}

/*
 * A parameter in an area some kinds claim is read by those kinds only (the s390 guest's by the
 * s390 kinds, pseries.* by both pSeries kinds); any other, by all.
 */
bool iommusim_platform_reads(enum iommusim_platform_kind kind, enum iommusim_cost_id id)
{
	const struct iommusim_cost_param *p = iommusim_cost_param(id);
	bool claimed = false;

	if ((unsigned int)kind >= IOMMUSIM_PLATFORM_NR || !p)
		return false;
	for (unsigned int k = 0; k < IOMMUSIM_PLATFORM_NR && !claimed; k++)
		claimed = claims(kinds[k], p->name);
	return !claimed || claims(kinds[kind], p->name);
}

bool iommusim_platform_set_reads(const struct iommusim_cost *cost, enum iommusim_cost_id id)
{
	const char *profile = iommusim_cost_profile_name(cost);
	enum iommusim_platform_kind kind;

	if (!profile || iommusim_platform_lookup(profile, &kind))
		return true;
	for (unsigned int k = 0; k < IOMMUSIM_PLATFORM_NR; k++)
		if (kinds[k]->arch == kinds[kind]->arch &&
		    iommusim_platform_reads((enum iommusim_platform_kind)k, id))
			return true;
	return false;
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

/* The function an RPCIT names: usually the one the last named, so that one is tried first. */
static struct isim_platform_fn *rpcit_fn(struct iommusim_platform *p, uint32_t fh)
{
	struct isim_platform_fn *f = p->last_fn;

	if (f && f->fh == fh)
		return f;
	f = fn_find(p, fh);
	if (f)
		p->last_fn = f;
	return f;
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
	if (p->ops->shadows && isim_shadow_create(p->mem, &f->shadow)) {
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
 * mirrors pci_dereg_ioat(): the shadow is emptied and every page it held is torn down on the
 * host; what happens to the budget and how many unmap calls that takes is the kind's.
 */
static void deregister(struct iommusim_platform *p, struct isim_platform_fn *f)
{
	uint64_t n = f->shadow ? isim_shadow_clear(f->shadow) : 0;

	p->container.shadow_pages -= n;
	p->st.host_unmaps += n;
	if (p->ops->dereg_ioat)
		p->ops->dereg_ioat(p, n);
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

/*
 * The answer to an RPCIT whose shadow walk ran out of host memory: the refused trap is
 * charged, the failure recorded and the engine stopped (iommusim_platform_error()), and the
 * guest gets cc 1 / function in error, an error its driver reports without retrying.
 */
static int answer_nomem(struct iommusim_platform *p, struct iommusim_cpu *cpu, uint8_t *status)
{
	p->ops->refused(p, cpu);
	p->st.rpcit_errors++;
	if (!p->err)
		p->err = -ENOMEM;
	/* The run cannot go on faithfully; its owner sees why through the error. */
	iommusim_engine_stop(p->e);
	*status = IOMMUSIM_PLATFORM_STATUS_FUNC_IN_ERROR;
	return IOMMUSIM_FW_CC_ERROR;
}

/* The pages a range [addr, end) touches: the first, and one past the last. */
static uint64_t first_page(uint64_t addr)
{
	return addr >> ZPCI_PAGE_SHIFT;
}

static uint64_t end_page(uint64_t end)
{
	return (end >> ZPCI_PAGE_SHIFT) + ((end & (ZPCI_PAGE_SIZE - 1)) != 0);
}

void isim_platform_watch_invalidations(struct iommusim_platform *p, isim_platform_inval_fn *fn,
				       void *arg)
{
	p->inval = fn;
	p->inval_arg = arg;
}

/*
 * The kind's model of an RPCIT over pages [first, end). Whatever it answers, it did the work:
 * an LPAR's purge, or a hypervisor's walk that takes every invalid page out of its shadow
 * (the budget only limits new maps), so the range is invalidated when the CPU gets it back.
 */
static int rpcit_model(struct iommusim_platform *p, struct iommusim_cpu *cpu,
		       struct isim_platform_fn *f, uint64_t first, uint64_t end, uint8_t *status)
{
	int cc = p->ops->rpcit(p, cpu, f, first, end, status);

	if (cc >= 0 && p->inval)
		p->inval(p->inval_arg, first, end, iommusim_engine_cpu_now(p->e, cpu));
	return cc;
}

/* mirrors the checks of rpcit_service_call(), then the kind's model */
static int platform_rpcit(void *arg, struct iommusim_cpu *cpu, uint32_t fh, uint64_t addr,
			  uint64_t len, uint8_t *status)
{
	struct iommusim_platform *p = arg;
	struct isim_platform_fn *f;
	uint64_t end = addr + len;
	int cc;

	assert(cpu);
	p->st.rpcits++;
	if (end < addr)
		end = UINT64_MAX;
	if (!p->ops->shadows)
		return rpcit_model(p, cpu, NULL, first_page(addr), end_page(end), status);
	f = rpcit_fn(p, fh);
	if (!f || !f->iota) {
		p->ops->refused(p, cpu);
		p->st.rpcit_errors++;
		return IOMMUSIM_FW_CC_NOT_OPERATIONAL;
	}
	/* QEMU's test, exclusive end against inclusive pba: a range ending at pba still walks. */
	if (end < f->pba || addr > f->pal) {
		p->ops->refused(p, cpu);
		p->st.rpcit_errors++;
		p->st.range_errors++;
		*status = IOMMUSIM_PLATFORM_STATUS_FUNC_IN_ERROR;
		return IOMMUSIM_FW_CC_ERROR;
	}
	/* Every page the range touches; QEMU does not cut the range to the window. */
	cc = rpcit_model(p, cpu, f, first_page(addr), end_page(end), status);
	return cc == -ENOMEM ? answer_nomem(p, cpu, status) : cc;
}

static const struct iommusim_firmware_ops platform_ops = {
	.rpcit = platform_rpcit,
	.set_ioat = platform_set_ioat,
};

int iommusim_platform_create(struct iommusim_mem *mem, struct iommusim_engine *e,
			     const struct iommusim_platform_config *cfg,
			     struct iommusim_platform **out)
{
	struct isim_platform_setup setup = {.budget = 0, .server = NULL};
	const struct isim_platform_ops *ops;
	struct iommusim_platform *p;
	int ret;

	assert(mem && e && cfg && cfg->cost && out);
	ops = isim_platform_kind_ops(cfg->kind);
	if (!ops || !cfg->guest_memory)
		return -EINVAL;
	assert(ops->name && (ops->ppc || ops->rpcit) && (!ops->shadows || ops->refused));
	p = isim_zalloc(mem, sizeof(*p), 0);
	if (!p)
		return -ENOMEM;
	p->mem = mem;
	p->e = e;
	p->kind = cfg->kind;
	p->ops = ops;
	p->guest_memory = cfg->guest_memory;
	p->cost = cfg->cost;

	if (ops->setup)
		ops->setup(p->cost, &setup);
	/* 0 is "no limit": QEMU without a vfio limit reads dma_avail as 1 and never counts. */
	p->container.limited = setup.budget != 0;
	p->container.avail = setup.budget;
	p->rules = setup.rules;
	p->prices = setup.prices;

	if (ops->ppc)
		ret = isim_ppc_platform_create(p);
	else
		ret = iommusim_firmware_create(mem, &platform_ops, p, &p->fw);
	if (ret)
		goto fail;
	if (setup.server) {
		ret = iommusim_engine_server_create(e, setup.server, &p->server);
		if (ret)
			goto fail;
	}
	*out = p;
	return 0;
fail:
	isim_ppc_platform_destroy(p);
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
	isim_ppc_platform_destroy(p);
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

/* sources.md S11: the window as the kind reports it, or the configured aperture */
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

	if (p->ops->zpci_config)
		p->ops->zpci_config(c, out);
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
	isim_platform_walk_stats(&p->walked, out);
	out->shadow_pages = p->container.shadow_pages;
	out->shadow_pages_max = p->container.shadow_max;
	out->dma_avail = p->container.limited ? p->container.avail : UINT64_MAX;
}

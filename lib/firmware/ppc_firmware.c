/* SPDX-License-Identifier: MIT */
/*
 * The powerpc firmware interface: a handle around the platform's functions that counts every
 * call by kind and by answer, plus the null platform. Counting here keeps the numbers the same
 * whichever platform answers, as lib/firmware/firmware.c does for s390.
 */
#include <assert.h>
#include <errno.h>
#include <stdatomic.h>

#include "base/compiler.h"
#include "base/memory.h"
#include "firmware/ppc_firmware.h"

struct isim_ppc_fw {
	const struct isim_ppc_fw_ops *ops;
	void *arg;
	struct iommusim_mem *mem;
	/* Relaxed atomics: threads acting as CPUs may call at once; only the totals matter. */
	atomic_uint_fast64_t calls[ISIM_PPC_CALL_NR];
	atomic_uint_fast64_t failures[ISIM_PPC_CALL_NR];
	atomic_uint_fast64_t busy[ISIM_PPC_CALL_NR];
	atomic_uint_fast64_t tces[ISIM_PPC_CALL_NR];
};

static const char *const call_names[ISIM_PPC_CALL_NR] = {
	[ISIM_PPC_H_PUT_TCE] = "h_put_tce",
	[ISIM_PPC_H_PUT_TCE_INDIRECT] = "h_put_tce_indirect",
	[ISIM_PPC_H_STUFF_TCE] = "h_stuff_tce",
	[ISIM_PPC_H_GET_TCE] = "h_get_tce",
	[ISIM_PPC_OPAL_TCE_KILL] = "opal_tce_kill",
	[ISIM_PPC_RTAS_QUERY] = "rtas_query",
	[ISIM_PPC_RTAS_CREATE] = "rtas_create",
	[ISIM_PPC_RTAS_REMOVE] = "rtas_remove",
	[ISIM_PPC_RTAS_RESET] = "rtas_reset",
};

const char *isim_ppc_call_name(enum isim_ppc_call kind)
{
	if ((unsigned int)kind >= ISIM_PPC_CALL_NR)
		return "unknown";
	return call_names[kind];
}

int isim_ppc_fw_create(struct iommusim_mem *mem, const struct isim_ppc_fw_ops *ops, void *arg,
		       struct isim_ppc_fw **out)
{
	struct isim_ppc_fw *fw;

	if (!mem || !ops || !out)
		return -EINVAL;
	fw = isim_alloc(mem, sizeof(*fw), ISIM_CACHELINE);
	if (!fw)
		return -ENOMEM;
	fw->ops = ops;
	fw->arg = arg;
	fw->mem = mem;
	for (unsigned int i = 0; i < ISIM_PPC_CALL_NR; i++) {
		atomic_init(&fw->calls[i], 0);
		atomic_init(&fw->failures[i], 0);
		atomic_init(&fw->busy[i], 0);
		atomic_init(&fw->tces[i], 0);
	}
	*out = fw;
	return 0;
}

void isim_ppc_fw_destroy(struct isim_ppc_fw *fw)
{
	if (!fw)
		return;
	if (fw->ops->release)
		fw->ops->release(fw->arg);
	isim_free(fw->mem, fw, sizeof(*fw), ISIM_CACHELINE);
}

static void add(atomic_uint_fast64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* One answer of @kind for @tces TCEs: every answer other than success (or busy) is a failure. */
static void count(struct isim_ppc_fw *fw, enum isim_ppc_call kind, uint64_t tces, long rc,
		  bool rtas)
{
	add(&fw->calls[kind], 1);
	add(&fw->tces[kind], tces);
	if (rtas && rc == ISIM_RTAS_BUSY)
		add(&fw->busy[kind], 1);
	else if (rc != 0)
		add(&fw->failures[kind], 1);
}

long isim_ppc_h_put_tce(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, uint32_t liobn,
			uint64_t ioba, uint64_t tce)
{
	long rc = ISIM_H_FUNCTION;

	if (fw->ops->put_tce)
		rc = fw->ops->put_tce(fw->arg, cpu, liobn, ioba, tce);
	count(fw, ISIM_PPC_H_PUT_TCE, 1, rc, false);
	return rc;
}

long isim_ppc_h_put_tce_indirect(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, uint32_t liobn,
				 uint64_t ioba, const uint64_t *tces, uint64_t n)
{
	long rc = ISIM_H_FUNCTION;

	if (fw->ops->put_tce_indirect)
		rc = fw->ops->put_tce_indirect(fw->arg, cpu, liobn, ioba, tces, n);
	count(fw, ISIM_PPC_H_PUT_TCE_INDIRECT, n, rc, false);
	return rc;
}

long isim_ppc_h_stuff_tce(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, uint32_t liobn,
			  uint64_t ioba, uint64_t value, uint64_t n)
{
	long rc = ISIM_H_FUNCTION;

	if (fw->ops->stuff_tce)
		rc = fw->ops->stuff_tce(fw->arg, cpu, liobn, ioba, value, n);
	count(fw, ISIM_PPC_H_STUFF_TCE, n, rc, false);
	return rc;
}

long isim_ppc_h_get_tce(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, uint32_t liobn,
			uint64_t ioba, uint64_t *tce)
{
	long rc = ISIM_H_FUNCTION;

	*tce = 0;
	if (fw->ops->get_tce)
		rc = fw->ops->get_tce(fw->arg, cpu, liobn, ioba, tce);
	count(fw, ISIM_PPC_H_GET_TCE, 1, rc, false);
	return rc;
}

long isim_ppc_opal_tce_kill(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, uint32_t pe,
			    unsigned int page_shift, uint64_t ioba, uint64_t npages)
{
	long rc = 0;

	if (fw->ops->tce_kill)
		rc = fw->ops->tce_kill(fw->arg, cpu, pe, page_shift, ioba, npages);
	count(fw, ISIM_PPC_OPAL_TCE_KILL, npages, rc, false);
	return rc;
}

int isim_ppc_rtas_query(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, uint32_t cfg_addr,
			unsigned int out_words, struct isim_ddw_query *out)
{
	int rc = ISIM_RTAS_PARAM_ERROR;

	*out = (struct isim_ddw_query){0};
	if (fw->ops->ddw_query)
		rc = fw->ops->ddw_query(fw->arg, cpu, cfg_addr, out_words, out);
	/* The five-word answer has one 32-bit cell for the block, whatever the platform said. */
	if (out_words < 6)
		out->largest_block &= UINT32_MAX;
	count(fw, ISIM_PPC_RTAS_QUERY, 0, rc, true);
	return rc;
}

int isim_ppc_rtas_create(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, uint32_t cfg_addr,
			 unsigned int page_shift, unsigned int window_shift,
			 struct isim_ddw_window *out)
{
	int rc = ISIM_RTAS_PARAM_ERROR;

	*out = (struct isim_ddw_window){0};
	if (fw->ops->ddw_create)
		rc = fw->ops->ddw_create(fw->arg, cpu, cfg_addr, page_shift, window_shift, out);
	count(fw, ISIM_PPC_RTAS_CREATE, 0, rc, true);
	return rc;
}

int isim_ppc_rtas_remove(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, uint32_t liobn)
{
	int rc = ISIM_RTAS_PARAM_ERROR;

	if (fw->ops->ddw_remove)
		rc = fw->ops->ddw_remove(fw->arg, cpu, liobn);
	count(fw, ISIM_PPC_RTAS_REMOVE, 0, rc, true);
	return rc;
}

int isim_ppc_rtas_reset(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, uint32_t cfg_addr,
			bool limited)
{
	int rc = ISIM_RTAS_PARAM_ERROR;

	if (fw->ops->ddw_reset)
		rc = fw->ops->ddw_reset(fw->arg, cpu, cfg_addr, limited);
	count(fw, ISIM_PPC_RTAS_RESET, 0, rc, true);
	return rc;
}

static uint64_t load(const atomic_uint_fast64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

void isim_ppc_fw_get_stats(const struct isim_ppc_fw *fw, struct isim_ppc_fw_stats *out)
{
	for (unsigned int i = 0; i < ISIM_PPC_CALL_NR; i++) {
		out->calls[i] = load(&fw->calls[i]);
		out->failures[i] = load(&fw->failures[i]);
		out->busy[i] = load(&fw->busy[i]);
		out->tces[i] = load(&fw->tces[i]);
	}
}

const struct isim_ppc_fw_ops *isim_ppc_fw_get_ops(const struct isim_ppc_fw *fw)
{
	return fw->ops;
}

void *isim_ppc_fw_get_arg(const struct isim_ppc_fw *fw)
{
	return fw->arg;
}

/* The null platform: a hypervisor that accepts everything and remembers nothing. */
static long null_put(void *arg, struct iommusim_cpu *cpu, uint32_t liobn, uint64_t ioba,
		     uint64_t tce)
{
	(void)arg, (void)cpu, (void)liobn, (void)ioba, (void)tce;
	return ISIM_H_SUCCESS;
}

static long null_put_indirect(void *arg, struct iommusim_cpu *cpu, uint32_t liobn, uint64_t ioba,
			      const uint64_t *tces, uint64_t n)
{
	(void)arg, (void)cpu, (void)liobn, (void)ioba, (void)tces, (void)n;
	return ISIM_H_SUCCESS;
}

static long null_stuff(void *arg, struct iommusim_cpu *cpu, uint32_t liobn, uint64_t ioba,
		       uint64_t value, uint64_t n)
{
	(void)arg, (void)cpu, (void)liobn, (void)ioba, (void)value, (void)n;
	return ISIM_H_SUCCESS;
}

static long null_get(void *arg, struct iommusim_cpu *cpu, uint32_t liobn, uint64_t ioba,
		     uint64_t *tce)
{
	(void)arg, (void)cpu, (void)liobn, (void)ioba;
	*tce = 0;
	return ISIM_H_SUCCESS;
}

static int null_query(void *arg, struct iommusim_cpu *cpu, uint32_t cfg_addr,
		      unsigned int out_words, struct isim_ddw_query *out)
{
	(void)arg, (void)cpu, (void)cfg_addr, (void)out_words;
	*out = (struct isim_ddw_query){.windows_available = 1,
				       .largest_block = UINT64_C(1) << 31,
				       .page_sizes = ISIM_DDW_PGSIZE_4K | ISIM_DDW_PGSIZE_64K};
	return ISIM_RTAS_SUCCESS;
}

static int null_create(void *arg, struct iommusim_cpu *cpu, uint32_t cfg_addr,
		       unsigned int page_shift, unsigned int window_shift,
		       struct isim_ddw_window *out)
{
	(void)arg, (void)cpu, (void)cfg_addr, (void)page_shift, (void)window_shift;
	*out = (struct isim_ddw_window){.liobn = 1, .addr = UINT64_C(1) << 63};
	return ISIM_RTAS_SUCCESS;
}

static int null_remove(void *arg, struct iommusim_cpu *cpu, uint32_t liobn)
{
	(void)arg, (void)cpu, (void)liobn;
	return ISIM_RTAS_SUCCESS;
}

static int null_reset(void *arg, struct iommusim_cpu *cpu, uint32_t cfg_addr, bool limited)
{
	(void)arg, (void)cpu, (void)cfg_addr, (void)limited;
	return ISIM_RTAS_SUCCESS;
}

static const struct isim_ppc_fw_ops null_ops = {
	.put_tce = null_put,
	.put_tce_indirect = null_put_indirect,
	.stuff_tce = null_stuff,
	.get_tce = null_get,
	.ddw_query = null_query,
	.ddw_create = null_create,
	.ddw_remove = null_remove,
	.ddw_reset = null_reset,
};

int isim_ppc_fw_create_null(struct iommusim_mem *mem, struct isim_ppc_fw **out)
{
	return isim_ppc_fw_create(mem, &null_ops, NULL, out);
}

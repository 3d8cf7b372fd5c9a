/* SPDX-License-Identifier: MIT */
/*
 * The firmware interface: a handle around the platform's functions that counts every call and
 * its answer, plus the null platform. Counting here rather than in each platform keeps the
 * statistics identical whichever model answers.
 */
#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <iommusim/firmware.h>

#include "base/compiler.h"
#include "base/memory.h"

struct iommusim_firmware {
	const struct iommusim_firmware_ops *ops;
	void *arg;
	struct iommusim_mem *mem;
	/* Relaxed atomics: threads acting as CPUs call concurrently and only the totals matter. */
	atomic_uint_fast64_t rpcit_calls;
	atomic_uint_fast64_t rpcit_cc[4];
	atomic_uint_fast64_t rpcit_no_resources;
};

int iommusim_firmware_create(struct iommusim_mem *mem, const struct iommusim_firmware_ops *ops,
			     void *arg, struct iommusim_firmware **out)
{
	struct iommusim_firmware *fw;

	assert(mem && out);
	if (!ops || !ops->rpcit)
		return -EINVAL;
	fw = isim_alloc(mem, sizeof(*fw), ISIM_CACHELINE);
	if (!fw)
		return -ENOMEM;
	fw->ops = ops;
	fw->arg = arg;
	fw->mem = mem;
	atomic_init(&fw->rpcit_calls, 0);
	for (unsigned int i = 0; i < ISIM_ARRAY_SIZE(fw->rpcit_cc); i++)
		atomic_init(&fw->rpcit_cc[i], 0);
	atomic_init(&fw->rpcit_no_resources, 0);
	*out = fw;
	return 0;
}

void iommusim_firmware_destroy(struct iommusim_firmware *fw)
{
	if (!fw)
		return;
	if (fw->ops->release)
		fw->ops->release(fw->arg);
	isim_free(fw->mem, fw, sizeof(*fw), ISIM_CACHELINE);
}

int iommusim_firmware_rpcit(struct iommusim_firmware *fw, struct iommusim_cpu *cpu, uint32_t fh,
			    uint64_t addr, uint64_t len, uint8_t *status)
{
	uint8_t st = 0;
	int cc;

	assert(fw && cpu);
	cc = fw->ops->rpcit(fw->arg, cpu, fh, addr, len, &st);
	/* A condition code is two bits; anything else is a broken platform model. */
	assert(cc >= 0 && cc <= 3);
	if (cc < 0 || cc > 3)
		cc = IOMMUSIM_FW_CC_NOT_OPERATIONAL;

	atomic_fetch_add_explicit(&fw->rpcit_calls, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&fw->rpcit_cc[cc], 1, memory_order_relaxed);
	if (cc == IOMMUSIM_FW_CC_ERROR &&
	    (st == IOMMUSIM_FW_STATUS_RESOURCES || st == IOMMUSIM_FW_STATUS_RESOURCES_ALT))
		atomic_fetch_add_explicit(&fw->rpcit_no_resources, 1, memory_order_relaxed);
	if (status)
		*status = st;
	return cc;
}

int iommusim_firmware_set_ioat(struct iommusim_firmware *fw, uint32_t fh, uint64_t pba,
			       uint64_t pal, const struct iommusim_s390_io_table *iota)
{
	assert(fw);
	/* A registration covers at least one byte; a deregistration names no range. */
	assert(!iota || pba <= pal);
	if (!fw->ops->set_ioat)
		return 0;
	return fw->ops->set_ioat(fw->arg, fh, pba, pal, iota);
}

void iommusim_firmware_get_stats(const struct iommusim_firmware *fw,
				 struct iommusim_firmware_stats *out)
{
	assert(fw && out);
	out->rpcit_calls = atomic_load_explicit(&fw->rpcit_calls, memory_order_relaxed);
	for (unsigned int i = 0; i < ISIM_ARRAY_SIZE(out->rpcit_cc); i++)
		out->rpcit_cc[i] = atomic_load_explicit(&fw->rpcit_cc[i], memory_order_relaxed);
	out->rpcit_no_resources =
		atomic_load_explicit(&fw->rpcit_no_resources, memory_order_relaxed);
}

const struct iommusim_firmware_ops *iommusim_firmware_get_ops(const struct iommusim_firmware *fw)
{
	assert(fw);
	return fw->ops;
}

void *iommusim_firmware_get_arg(const struct iommusim_firmware *fw)
{
	assert(fw);
	return fw->arg;
}

/* The null platform: a hypervisor that never needs to be told anything. */
static int null_rpcit(void *arg, struct iommusim_cpu *cpu, uint32_t fh, uint64_t addr, uint64_t len,
		      uint8_t *status)
{
	(void)arg;
	(void)cpu;
	(void)fh;
	(void)addr;
	(void)len;
	(void)status;
	return IOMMUSIM_FW_CC_OK;
}

static const struct iommusim_firmware_ops null_ops = {
	.rpcit = null_rpcit,
};

int iommusim_firmware_create_null(struct iommusim_mem *mem, struct iommusim_firmware **out)
{
	return iommusim_firmware_create(mem, &null_ops, NULL, out);
}

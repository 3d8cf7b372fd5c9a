/* SPDX-License-Identifier: MIT */
/*
 * A firmware platform for tests of table registration: it records the last set_ioat call,
 * counts them, and answers each with @ret (the tests set it to make registration fail).
 * RPCITs always succeed. Header-only, so each test executable gets its own copy.
 */
#ifndef TESTS_COMMON_IOAT_PLATFORM_H
#define TESTS_COMMON_IOAT_PLATFORM_H

#include <stdint.h>
#include <iommusim/firmware.h>

struct ioat_platform {
	int ret;
	unsigned int calls;
	uint32_t fh;
	uint64_t pba;
	uint64_t pal;
	const struct iommusim_s390_io_table *iota;
};

static inline int ioat_platform_rpcit(void *arg, struct iommusim_cpu *cpu, uint32_t fh,
				      uint64_t addr, uint64_t len, uint8_t *status)
{
	(void)arg;
	(void)cpu;
	(void)fh;
	(void)addr;
	(void)len;
	(void)status;
	return IOMMUSIM_FW_CC_OK;
}

static inline int ioat_platform_set_ioat(void *arg, uint32_t fh, uint64_t pba, uint64_t pal,
					 const struct iommusim_s390_io_table *iota)
{
	struct ioat_platform *p = arg;

	p->calls++;
	p->fh = fh;
	p->pba = pba;
	p->pal = pal;
	p->iota = iota;
	return p->ret;
}

static const struct iommusim_firmware_ops ioat_platform_ops = {
	.rpcit = ioat_platform_rpcit,
	.set_ioat = ioat_platform_set_ioat,
};

#endif /* TESTS_COMMON_IOAT_PLATFORM_H */

/* SPDX-License-Identifier: MIT */
/*
 * Checks of the calls the scriptable firmware platform logged (iommusim_firmware_script_log_get):
 * the RPCITs and table registrations the s390 tests expect, call by call. Each returns the call,
 * for the caller's further checks. Header-only, so each test executable gets its own copy;
 * include it after <cmocka.h>.
 */
#ifndef TESTS_COMMON_FW_LOG_H
#define TESTS_COMMON_FW_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <iommusim/firmware.h>

/* The @i-th logged call, which must be of @kind and for function @fh. */
static inline struct iommusim_firmware_call fw_log_call(struct iommusim_firmware *fw, size_t i,
							enum iommusim_firmware_call_kind kind,
							uint32_t fh)
{
	struct iommusim_firmware_call c;

	assert_int_equal(iommusim_firmware_script_log_get(fw, i, &c), 0);
	assert_int_equal(c.kind, kind);
	assert_int_equal(c.fh, fh);
	return c;
}

/* ... an RPCIT of [@addr, @addr + @len) answered @cc (negative: whatever the answer). */
static inline struct iommusim_firmware_call fw_expect_rpcit(struct iommusim_firmware *fw, size_t i,
							    uint32_t fh, uint64_t addr,
							    uint64_t len, int cc)
{
	struct iommusim_firmware_call c = fw_log_call(fw, i, IOMMUSIM_FIRMWARE_CALL_RPCIT, fh);

	assert_int_equal(c.addr, addr);
	assert_int_equal(c.len, len);
	if (cc >= 0)
		assert_int_equal(c.cc, cc);
	return c;
}

/*
 * ... the registration (@reg) of a table for [@pba, @pal] (len = pal - pba + 1), or a
 * deregistration (addr and len 0); answered 0 either way.
 */
static inline struct iommusim_firmware_call fw_expect_ioat(struct iommusim_firmware *fw, size_t i,
							   uint32_t fh, uint64_t pba, uint64_t pal,
							   bool reg)
{
	struct iommusim_firmware_call c = fw_log_call(fw, i, IOMMUSIM_FIRMWARE_CALL_SET_IOAT, fh);

	assert_int_equal(c.addr, reg ? pba : 0);
	assert_int_equal(c.len, reg ? pal - pba + 1 : 0);
	assert_int_equal(c.cc, 0);
	return c;
}

#endif /* TESTS_COMMON_FW_LOG_H */

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the s390 firmware layer's calls (lib/s390/firmware.c): the null platform
 * answering cc 0 and counting, a custom platform that sees every call and is released, SET IOAT
 * reaching the platform, and the outcomes of a refresh translation (success, busy retried up to
 * the bound, no resources, other errors).
 */
#include "firmware_fixture.h"

static void test_firmware_null_answers_cc0_and_counts(void **state)
{
	struct iommusim_firmware_stats st;
	struct fix *f = *state;
	uint8_t status;

	fix_init(f, 0);
	/* The null platform knows nothing to refuse: five calls, five cc 0, status cleared. */
	for (unsigned int i = 0; i < 5; i++) {
		status = 0xff;
		assert_int_equal(iommusim_firmware_rpcit(f->fw, f->cpu, 0x100 + i, i * 4096ull,
							 4096ull << i, &status),
				 IOMMUSIM_FW_CC_OK);
		assert_int_equal(status, 0);
	}
	/* A NULL status pointer is allowed for callers that only want the cc. */
	assert_int_equal(iommusim_firmware_rpcit(f->fw, f->cpu, 1, 0, 4096, NULL), 0);
	iommusim_firmware_get_stats(f->fw, &st);
	assert_int_equal(st.rpcit_calls, 6);
	assert_int_equal(st.rpcit_cc[0], 6);
	assert_int_equal(st.rpcit_cc[1] + st.rpcit_cc[2] + st.rpcit_cc[3], 0);
	assert_int_equal(st.rpcit_no_resources, 0);
	/* The driver wrapper on the null platform: success, no retry work. */
	assert_int_equal(isim_zpci_refresh_trans(f->fw, f->cpu, 7, 0, 1ull << 40, 0), 0);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_FW_BUSY_RETRY), 0);
	/* Not a scriptable platform: the script calls refuse it rather than misread its state. */
	assert_int_equal(iommusim_firmware_script_push(f->fw, 0, 0), -EINVAL);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 0);
	assert_int_equal(iommusim_firmware_script_pending(f->fw), 0);
}

/* A caller-supplied platform: answers cc/status from its fields and records what it saw. */
struct custom_platform {
	int cc;
	uint8_t status;
	unsigned int calls;
	unsigned int last_cpu;
	uint32_t last_fh;
	uint64_t last_addr;
	uint64_t last_len;
	unsigned int released;
};

static int custom_rpcit(void *arg, struct iommusim_cpu *cpu, uint32_t fh, uint64_t addr,
			uint64_t len, uint8_t *status)
{
	struct custom_platform *p = arg;

	p->calls++;
	p->last_cpu = iommusim_cpu_id(cpu);
	p->last_fh = fh;
	p->last_addr = addr;
	p->last_len = len;
	if (p->cc == IOMMUSIM_FW_CC_ERROR)
		*status = p->status;
	return p->cc;
}

static void custom_release(void *arg)
{
	((struct custom_platform *)arg)->released++;
}

static void test_firmware_custom_platform_sees_calls_and_is_released(void **state)
{
	static const struct iommusim_firmware_ops no_rpcit = {.rpcit = NULL};
	static const struct iommusim_firmware_ops ops = {
		.rpcit = custom_rpcit,
		.release = custom_release,
	};
	struct custom_platform p = {.cc = IOMMUSIM_FW_CC_ERROR, .status = 16};
	struct iommusim_firmware_stats st;
	struct iommusim_firmware *fw;
	struct fix *f = *state;
	uint8_t status = 0;

	fix_init(f, 0);
	/* rpcit is the one required call. */
	assert_int_equal(iommusim_firmware_create(f->mem, NULL, &p, &fw), -EINVAL);
	assert_int_equal(iommusim_firmware_create(f->mem, &no_rpcit, &p, &fw), -EINVAL);
	assert_int_equal(iommusim_firmware_create(f->mem, &ops, &p, &fw), 0);
	assert_ptr_equal(iommusim_firmware_get_ops(fw), &ops);
	assert_ptr_equal(iommusim_firmware_get_arg(fw), &p);

	/* The arguments reach the platform unchanged, and its answer comes back unchanged. */
	assert_int_equal(iommusim_firmware_rpcit(fw, f->cpu, 0xabcdef01u, 0x10000, 0x3000, &status),
			 1);
	assert_int_equal(status, 16);
	assert_int_equal(p.last_cpu, 2);
	assert_int_equal(p.last_fh, 0xabcdef01u);
	assert_int_equal(p.last_addr, 0x10000);
	assert_int_equal(p.last_len, 0x3000);
	/* A platform that leaves status alone on cc 3 yields status 0 (preset), not garbage. */
	p.cc = IOMMUSIM_FW_CC_NOT_OPERATIONAL;
	status = 0xff;
	assert_int_equal(iommusim_firmware_rpcit(fw, f->cpu, 1, 0, 1, &status), 3);
	assert_int_equal(status, 0);

	/* Counted by cc: one cc 1 (an "insufficient resources" one, status 16) and one cc 3. */
	iommusim_firmware_get_stats(fw, &st);
	assert_int_equal(st.rpcit_calls, 2);
	assert_int_equal(st.rpcit_cc[1], 1);
	assert_int_equal(st.rpcit_cc[3], 1);
	assert_int_equal(st.rpcit_cc[0] + st.rpcit_cc[2], 0);
	assert_int_equal(st.rpcit_no_resources, 1);

	/* The handle owns the platform state once release is given: destroy calls it once. */
	assert_int_equal(p.released, 0);
	iommusim_firmware_destroy(fw);
	assert_int_equal(p.released, 1);
	assert_int_equal(p.calls, 2);
}

/*
 * iommusim_firmware_set_ioat() hands its arguments to the platform unchanged and returns its
 * answer; a platform without the call (the null one) accepts every registration. The table
 * is opaque to the interface: any address stands for one here.
 */
static void test_firmware_set_ioat_reaches_platform(void **state)
{
	const struct iommusim_s390_io_table *table = (const void *)&ioat_platform_ops;
	struct ioat_platform p = {.ret = 0};
	struct iommusim_firmware_stats st;
	struct iommusim_firmware *fw;
	struct fix *f = *state;

	fix_init(f, 0);
	/* the null platform has no set_ioat: 0 for registration and deregistration */
	assert_int_equal(iommusim_firmware_set_ioat(f->fw, 1, 0x1000, 0x1fff, table), 0);
	assert_int_equal(iommusim_firmware_set_ioat(f->fw, 1, 0, 0, NULL), 0);
	assert_int_equal(iommusim_firmware_create(f->mem, &ioat_platform_ops, &p, &fw), 0);
	assert_int_equal(
		iommusim_firmware_set_ioat(fw, 0xfeedu, 0x100000000ull, 0x1ffffffffull, table), 0);
	assert_int_equal(p.calls, 1);
	assert_int_equal(p.fh, 0xfeedu);
	assert_int_equal(p.pba, 0x100000000ull);
	assert_int_equal(p.pal, 0x1ffffffffull);
	assert_ptr_equal(p.iota, table);
	/* the platform's errno comes back as it is */
	p.ret = -EIO;
	assert_int_equal(iommusim_firmware_set_ioat(fw, 2, 0, 0, NULL), -EIO);
	assert_int_equal(p.calls, 2);
	assert_null(p.iota);
	/* registrations are not RPCITs: the statistics stay at zero */
	iommusim_firmware_get_stats(fw, &st);
	assert_int_equal(st.rpcit_calls, 0);
	iommusim_firmware_destroy(fw);
}

/* Every call of the log made by refresh_trans must be the same range: retries do not move. */
static void assert_log_all(struct iommusim_firmware *fw, size_t n, uint32_t fh, uint64_t addr,
			   uint64_t len)
{
	struct iommusim_firmware_call c;

	assert_int_equal(iommusim_firmware_script_log_len(fw), n);
	for (size_t i = 0; i < n; i++) {
		get_call(fw, i, &c);
		assert_int_equal(c.fh, fh);
		assert_int_equal(c.addr, addr);
		assert_int_equal(c.len, len);
	}
}

static void test_firmware_refresh_trans_cc0_is_success(void **state)
{
	struct fix *f = *state;

	assert_int_equal(isim_zpci_refresh_trans(f->fw, f->cpu, 0x80000001u, 0x10000, 0x5000, 0),
			 0);
	/* One instruction, no retry. */
	assert_log_all(f->fw, 1, 0x80000001u, 0x10000, 0x5000);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_FW_BUSY_RETRY), 0);
}

static void test_firmware_refresh_trans_retries_busy(void **state)
{
	struct iommusim_firmware_stats st;
	struct fix *f = *state;

	/* busy, busy, busy, done: three retries, so four instructions and three work units. */
	push(f, 3, 2, 0);
	push(f, 1, 0, 0);
	assert_int_equal(isim_zpci_refresh_trans(f->fw, f->cpu, 9, 0x2000, 0x1000, 10), 0);
	assert_log_all(f->fw, 4, 9, 0x2000, 0x1000);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_FW_BUSY_RETRY), 3);
	iommusim_firmware_get_stats(f->fw, &st);
	assert_int_equal(st.rpcit_cc[2], 3);
	assert_int_equal(st.rpcit_cc[0], 1);

	/* Busy then a final error: the final answer's status decides (cc 1/16 -> -ENOMEM). */
	iommusim_cpu_work_reset(f->cpu);
	push(f, 1, 2, 0);
	push(f, 1, 1, 16);
	assert_int_equal(isim_zpci_refresh_trans(f->fw, f->cpu, 9, 0x2000, 0x1000, 10), -ENOMEM);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_FW_BUSY_RETRY), 1);
}

static void test_firmware_refresh_trans_busy_bound_gives_ebusy(void **state)
{
	struct fix *f = *state;

	/*
	 * Bound 2: the first call and two retries all answer busy, and a third retry is not
	 * allowed: -EBUSY after 3 calls and 2 work units. The queued cc 0 behind them is never
	 * reached, which proves no fourth call was made.
	 */
	push(f, 3, 2, 0);
	push(f, 1, 0, 0);
	assert_int_equal(isim_zpci_refresh_trans(f->fw, f->cpu, 3, 0, 4096, 2), -EBUSY);
	assert_log_all(f->fw, 3, 3, 0, 4096);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_FW_BUSY_RETRY), 2);
	assert_int_equal(iommusim_firmware_script_pending(f->fw), 1);

	/* Exactly at the bound is still fine: 2 busy then done with bound 2 -> 0. */
	iommusim_firmware_script_log_clear(f->fw);
	iommusim_cpu_work_reset(f->cpu);
	assert_int_equal(isim_zpci_refresh_trans(f->fw, f->cpu, 3, 0, 4096, 2),
			 0); /* drains cc 0 */
	push(f, 2, 2, 0);
	assert_int_equal(isim_zpci_refresh_trans(f->fw, f->cpu, 3, 0, 4096, 2), 0);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_FW_BUSY_RETRY), 2);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 1 + 3);

	/* 0 selects the large default bound, not "no retries": 5 busy answers are ridden out. */
	iommusim_cpu_work_reset(f->cpu);
	push(f, 5, 2, 0);
	assert_int_equal(isim_zpci_refresh_trans(f->fw, f->cpu, 3, 0, 4096, 0), 0);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_FW_BUSY_RETRY), 5);
}

static void test_firmware_refresh_trans_no_resources_is_enomem(void **state)
{
	struct iommusim_firmware_stats st;
	struct fix *f = *state;

	/* zpci_refresh_trans(): cc 1 with status 4 or 16 is "insufficient resources", i.e. -ENOMEM.
	 */
	push(f, 1, 1, 4);
	assert_int_equal(isim_zpci_refresh_trans(f->fw, f->cpu, 1, 0, 4096, 0), -ENOMEM);
	push(f, 1, 1, 16);
	assert_int_equal(isim_zpci_refresh_trans(f->fw, f->cpu, 1, 0, 4096, 0), -ENOMEM);
	/* Neither is retried: one call each. */
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 2);
	iommusim_firmware_get_stats(f->fw, &st);
	assert_int_equal(st.rpcit_no_resources, 2);
}

static void test_firmware_refresh_trans_other_errors_are_eio(void **state)
{
	/* Statuses around and between 4 and 16, which must not be mistaken for them. */
	static const uint8_t other[] = {0, 1, 3, 5, 8, 15, 17, 20, 64, 255};
	struct fix *f = *state;

	/* zpci_refresh_trans(): cc 1 with any other status falls through to -EIO. */
	for (size_t i = 0; i < sizeof(other); i++) {
		assert_int_equal(iommusim_firmware_script_push(f->fw, 1, other[i]), 0);
		assert_int_equal(isim_zpci_refresh_trans(f->fw, f->cpu, 1, 0, 4096, 0), -EIO);
	}
	/* cc 3 is -EIO whatever the status: the status byte only matters with cc 1. */
	push(f, 1, 3, 0);
	assert_int_equal(isim_zpci_refresh_trans(f->fw, f->cpu, 1, 0, 4096, 0), -EIO);
	push(f, 1, 3, 4);
	assert_int_equal(isim_zpci_refresh_trans(f->fw, f->cpu, 1, 0, 4096, 0), -EIO);
	/* Likewise a status on a cc 0 answer does not turn success into failure. */
	push(f, 1, 0, 16);
	assert_int_equal(isim_zpci_refresh_trans(f->fw, f->cpu, 1, 0, 4096, 0), 0);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_FW_BUSY_RETRY), 0);
}

SUITE_MAIN(cmocka_unit_test_setup_teardown(test_firmware_null_answers_cc0_and_counts, fw_alloc,
					   fw_teardown),
	   cmocka_unit_test_setup_teardown(test_firmware_custom_platform_sees_calls_and_is_released,
					   fw_alloc, fw_teardown),
	   cmocka_unit_test_setup_teardown(test_firmware_set_ioat_reaches_platform, fw_alloc,
					   fw_teardown),
	   cmocka_unit_test_setup_teardown(test_firmware_refresh_trans_cc0_is_success, fw_setup,
					   fw_teardown),
	   cmocka_unit_test_setup_teardown(test_firmware_refresh_trans_retries_busy, fw_setup,
					   fw_teardown),
	   cmocka_unit_test_setup_teardown(test_firmware_refresh_trans_busy_bound_gives_ebusy,
					   fw_setup, fw_teardown),
	   cmocka_unit_test_setup_teardown(test_firmware_refresh_trans_no_resources_is_enomem,
					   fw_setup, fw_teardown),
	   cmocka_unit_test_setup_teardown(test_firmware_refresh_trans_other_errors_are_eio,
					   fw_setup, fw_teardown))

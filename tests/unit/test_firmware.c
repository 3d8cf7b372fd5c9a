/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the firmware interface (null, scriptable and caller-supplied platforms, call
 * statistics) and of the s390 RPCIT wrapper isim_zpci_refresh_trans(): busy retry with its
 * bound, and the errno mapping of the kernel's zpci_refresh_trans() (docs/sources.md S18).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <iommusim/cpu.h>
#include <iommusim/firmware.h>
#include <iommusim/mem.h>

#include "arch/s390/zpci_insn.h"
#include "ioat_platform.h"
#include "test_rng.h"

struct fix {
	struct iommusim_mem *mem;
	struct iommusim_cpu *cpu;
	struct iommusim_firmware *fw;
};

/*
 * libc rather than the default backend: under a sanitizer every object the firmware handle
 * allocates is then visible to ASan, whichever allocator the library was built with.
 */
static void fix_init(struct fix *f, int script)
{
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &f->mem), 0);
	assert_int_equal(iommusim_cpu_create(f->mem, 2, &f->cpu), 0);
	if (script)
		assert_int_equal(iommusim_firmware_create_script(f->mem, &f->fw), 0);
	else
		assert_int_equal(iommusim_firmware_create_null(f->mem, &f->fw), 0);
}

static void fix_fini(struct fix *f)
{
	iommusim_firmware_destroy(f->fw);
	iommusim_cpu_destroy(f->cpu);
	assert_int_equal(iommusim_mem_live_objects(f->mem), 0);
	iommusim_mem_destroy(f->mem);
}

/* Queue @n answers cc @cc with status @status. */
static void push(struct fix *f, unsigned int n, uint8_t cc, uint8_t status)
{
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(iommusim_firmware_script_push(f->fw, cc, status), 0);
}

static void get_call(struct iommusim_firmware *fw, size_t i, struct iommusim_firmware_call *c)
{
	assert_int_equal(iommusim_firmware_script_log_get(fw, i, c), 0);
}

static void test_firmware_null_answers_cc0_and_counts(void **state)
{
	struct iommusim_firmware_stats st;
	struct fix f;
	uint8_t status;

	(void)state;
	fix_init(&f, 0);
	/* The null platform knows nothing to refuse: five calls, five cc 0, status cleared. */
	for (unsigned int i = 0; i < 5; i++) {
		status = 0xff;
		assert_int_equal(iommusim_firmware_rpcit(f.fw, f.cpu, 0x100 + i, i * 4096ull,
							 4096ull << i, &status),
				 IOMMUSIM_FW_CC_OK);
		assert_int_equal(status, 0);
	}
	/* A NULL status pointer is allowed for callers that only want the cc. */
	assert_int_equal(iommusim_firmware_rpcit(f.fw, f.cpu, 1, 0, 4096, NULL), 0);
	iommusim_firmware_get_stats(f.fw, &st);
	assert_int_equal(st.rpcit_calls, 6);
	assert_int_equal(st.rpcit_cc[0], 6);
	assert_int_equal(st.rpcit_cc[1] + st.rpcit_cc[2] + st.rpcit_cc[3], 0);
	assert_int_equal(st.rpcit_no_resources, 0);
	/* The driver wrapper on the null platform: success, no retry work. */
	assert_int_equal(isim_zpci_refresh_trans(f.fw, f.cpu, 7, 0, 1ull << 40, 0), 0);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_FW_BUSY_RETRY), 0);
	/* Not a scriptable platform: the script calls refuse it rather than misread its state. */
	assert_int_equal(iommusim_firmware_script_push(f.fw, 0, 0), -EINVAL);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 0);
	assert_int_equal(iommusim_firmware_script_pending(f.fw), 0);
	fix_fini(&f);
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
	struct fix f;
	uint8_t status = 0;

	(void)state;
	fix_init(&f, 0);
	/* rpcit is the one required call. */
	assert_int_equal(iommusim_firmware_create(f.mem, NULL, &p, &fw), -EINVAL);
	assert_int_equal(iommusim_firmware_create(f.mem, &no_rpcit, &p, &fw), -EINVAL);
	assert_int_equal(iommusim_firmware_create(f.mem, &ops, &p, &fw), 0);
	assert_ptr_equal(iommusim_firmware_get_ops(fw), &ops);
	assert_ptr_equal(iommusim_firmware_get_arg(fw), &p);

	/* The arguments reach the platform unchanged, and its answer comes back unchanged. */
	assert_int_equal(iommusim_firmware_rpcit(fw, f.cpu, 0xabcdef01u, 0x10000, 0x3000, &status),
			 1);
	assert_int_equal(status, 16);
	assert_int_equal(p.last_cpu, 2);
	assert_int_equal(p.last_fh, 0xabcdef01u);
	assert_int_equal(p.last_addr, 0x10000);
	assert_int_equal(p.last_len, 0x3000);
	/* A platform that leaves status alone on cc 3 yields status 0 (preset), not garbage. */
	p.cc = IOMMUSIM_FW_CC_NOT_OPERATIONAL;
	status = 0xff;
	assert_int_equal(iommusim_firmware_rpcit(fw, f.cpu, 1, 0, 1, &status), 3);
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
	fix_fini(&f);
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
	struct fix f;

	(void)state;
	fix_init(&f, 0);
	/* the null platform has no set_ioat: 0 for registration and deregistration */
	assert_int_equal(iommusim_firmware_set_ioat(f.fw, 1, 0x1000, 0x1fff, table), 0);
	assert_int_equal(iommusim_firmware_set_ioat(f.fw, 1, 0, 0, NULL), 0);
	assert_int_equal(iommusim_firmware_create(f.mem, &ioat_platform_ops, &p, &fw), 0);
	assert_int_equal(iommusim_firmware_set_ioat(fw, 0xfeedu, 0x100000000ull, 0x1ffffffffull,
						    table), 0);
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
	fix_fini(&f);
}

/*
 * The scriptable platform logs registrations as SET_IOAT calls: addr = pba, len = pal - pba +
 * 1, the table; a deregistration has len 0 and no table. They answer 0 and leave the queued
 * RPCIT answers alone, and fall between RPCITs in call order.
 */
static void test_firmware_script_logs_set_ioat(void **state)
{
	const struct iommusim_s390_io_table *table = (const void *)&state;
	struct iommusim_firmware_call c;
	uint8_t status;
	struct fix f;

	(void)state;
	fix_init(&f, 1);
	push(&f, 1, IOMMUSIM_FW_CC_ERROR, 16);
	/* QEMU's window for 4 GiB of guest memory: [4 GiB, 8 GiB - 1], 4 GiB long */
	assert_int_equal(iommusim_firmware_set_ioat(f.fw, 0x77, 0x100000000ull, 0x1ffffffffull,
						    table), 0);
	assert_int_equal(iommusim_firmware_script_pending(f.fw), 1);
	/* the queued cc 1 / status 16 goes to the RPCIT that follows */
	assert_int_equal(iommusim_firmware_rpcit(f.fw, f.cpu, 0x77, 0x100000000ull, 4096, &status),
			 IOMMUSIM_FW_CC_ERROR);
	assert_int_equal(status, 16);
	assert_int_equal(iommusim_firmware_set_ioat(f.fw, 0x77, 0, 0, NULL), 0);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 3);
	get_call(f.fw, 0, &c);
	assert_int_equal(c.kind, IOMMUSIM_FIRMWARE_CALL_SET_IOAT);
	assert_int_equal(c.fh, 0x77);
	assert_int_equal(c.addr, 0x100000000ull);
	assert_int_equal(c.len, 0x100000000ull);
	assert_ptr_equal(c.iota, table);
	assert_int_equal(c.cc, 0);
	assert_int_equal(c.status, 0);
	assert_int_equal(c.cpu_id, 0);
	get_call(f.fw, 1, &c);
	assert_int_equal(c.kind, IOMMUSIM_FIRMWARE_CALL_RPCIT);
	assert_null(c.iota);
	assert_int_equal(c.cc, IOMMUSIM_FW_CC_ERROR);
	get_call(f.fw, 2, &c);
	assert_int_equal(c.kind, IOMMUSIM_FIRMWARE_CALL_SET_IOAT);
	assert_int_equal(c.fh, 0x77);
	assert_int_equal(c.addr, 0);
	assert_int_equal(c.len, 0);
	assert_null(c.iota);
	fix_fini(&f);
}

static void test_firmware_script_queue_order_then_default(void **state)
{
	static const uint8_t answers[][2] = {{2, 0}, {1, 4}, {3, 0}, {1, 7}, {0, 9}};
	struct iommusim_firmware_stats st;
	struct fix f;
	uint8_t status;

	(void)state;
	fix_init(&f, 1);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(iommusim_firmware_script_push(f.fw, answers[i][0], answers[i][1]),
				 0);
	/* A condition code is 0..3; anything else is refused and not queued. */
	assert_int_equal(iommusim_firmware_script_push(f.fw, 4, 0), -EINVAL);
	assert_int_equal(iommusim_firmware_script_pending(f.fw), 5);

	/* First in, first out, status included (the raw call passes it through untouched). */
	for (size_t i = 0; i < 5; i++) {
		status = 0xee;
		assert_int_equal(iommusim_firmware_rpcit(f.fw, f.cpu, 1, 0, 4096, &status),
				 answers[i][0]);
		assert_int_equal(status, answers[i][1]);
		assert_int_equal(iommusim_firmware_script_pending(f.fw), 4 - i);
	}
	/* Empty queue: the default answer is cc 0, status 0, as often as asked. */
	for (int i = 0; i < 3; i++) {
		status = 0xee;
		assert_int_equal(iommusim_firmware_rpcit(f.fw, f.cpu, 1, 0, 4096, &status), 0);
		assert_int_equal(status, 0);
	}
	/* 8 calls; cc 0 is the scripted {0, 9} plus the 3 defaults = 4; one each of 2 and 3. */
	iommusim_firmware_get_stats(f.fw, &st);
	assert_int_equal(st.rpcit_calls, 8);
	assert_int_equal(st.rpcit_cc[0], 4);
	assert_int_equal(st.rpcit_cc[1], 2);
	assert_int_equal(st.rpcit_cc[2], 1);
	assert_int_equal(st.rpcit_cc[3], 1);
	/* Only {1, 4} is "insufficient resources"; {1, 7} is a plain error. */
	assert_int_equal(st.rpcit_no_resources, 1);
	fix_fini(&f);
}

/*
 * Pushes and calls interleaved at random, far past the initial queue capacity, against a plain
 * array as the reference FIFO: exercises the ring's wrap-around and its growth while wrapped.
 */
static void test_firmware_script_queue_matches_fifo_model(void **state)
{
	enum { N = 2000 };
	static uint8_t model_cc[N], model_st[N];
	size_t head = 0, tail = 0;
	struct iommusim_rng rng = test_rng(42);
	struct fix f;
	uint8_t status;

	(void)state;
	fix_init(&f, 1);
	while (tail < N || head < tail) {
		uint64_t r = iommusim_rng_u64(&rng);

		/* Pushes slightly more likely than calls, so the queue grows while wrapping. */
		if (tail < N && (r % 5) < 3) {
			model_cc[tail] = (uint8_t)((r >> 8) % 4);
			model_st[tail] = (uint8_t)(r >> 16);
			assert_int_equal(
				iommusim_firmware_script_push(f.fw, model_cc[tail], model_st[tail]),
				0);
			tail++;
		} else {
			int cc = iommusim_firmware_rpcit(f.fw, f.cpu, 1, 0, 4096, &status);

			if (head < tail) {
				assert_int_equal(cc, model_cc[head]);
				assert_int_equal(status, model_st[head]);
				head++;
			} else {
				assert_int_equal(cc, 0);
				assert_int_equal(status, 0);
			}
		}
		assert_int_equal(iommusim_firmware_script_pending(f.fw), tail - head);
	}
	fix_fini(&f);
}

static void test_firmware_script_log_records_every_call(void **state)
{
	struct iommusim_firmware_call c;
	struct iommusim_cpu *cpu5;
	struct fix f;
	uint8_t status;

	(void)state;
	fix_init(&f, 1);
	assert_int_equal(iommusim_cpu_create(f.mem, 5, &cpu5), 0);
	push(&f, 1, 1, 16);
	push(&f, 1, 2, 0);

	assert_int_equal(iommusim_firmware_rpcit(f.fw, f.cpu, 0x11, 0x1000, 0x2000, &status), 1);
	assert_int_equal(iommusim_firmware_rpcit(f.fw, cpu5, 0x22, 0xfffff000ull, 0x1000, &status),
			 2);
	/* The third takes the default answer, and the log says so. */
	assert_int_equal(iommusim_firmware_rpcit(f.fw, cpu5, 0x33, 1ull << 32, 1ull << 40, &status),
			 0);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 3);

	get_call(f.fw, 0, &c);
	assert_int_equal(c.kind, IOMMUSIM_FIRMWARE_CALL_RPCIT);
	assert_int_equal(c.cpu_id, 2);
	assert_int_equal(c.fh, 0x11);
	assert_int_equal(c.addr, 0x1000);
	assert_int_equal(c.len, 0x2000);
	assert_int_equal(c.cc, 1);
	assert_int_equal(c.status, 16);
	get_call(f.fw, 1, &c);
	assert_int_equal(c.cpu_id, 5);
	assert_int_equal(c.fh, 0x22);
	assert_int_equal(c.addr, 0xfffff000ull);
	assert_int_equal(c.len, 0x1000);
	assert_int_equal(c.cc, 2);
	assert_int_equal(c.status, 0);
	get_call(f.fw, 2, &c);
	assert_int_equal(c.cpu_id, 5);
	assert_int_equal(c.fh, 0x33);
	assert_int_equal(c.addr, 1ull << 32);
	assert_int_equal(c.len, 1ull << 40);
	assert_int_equal(c.cc, 0);
	assert_int_equal(iommusim_firmware_script_log_get(f.fw, 3, &c), -ERANGE);

	/* Clearing empties the log only: a queued answer survives and the next call is entry 0. */
	push(&f, 1, 3, 0);
	iommusim_firmware_script_log_clear(f.fw);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 0);
	assert_int_equal(iommusim_firmware_script_log_get(f.fw, 0, &c), -ERANGE);
	assert_int_equal(iommusim_firmware_script_pending(f.fw), 1);
	assert_int_equal(iommusim_firmware_rpcit(f.fw, f.cpu, 0x44, 0x5000, 0x1000, &status), 3);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 1);
	get_call(f.fw, 0, &c);
	assert_int_equal(c.fh, 0x44);
	assert_int_equal(c.cc, 3);

	/* The log grows past its first capacity without losing or reordering entries. */
	for (unsigned int i = 0; i < 100; i++)
		iommusim_firmware_rpcit(f.fw, f.cpu, i, i * 4096ull, 4096, &status);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 101);
	for (unsigned int i = 0; i < 100; i++) {
		get_call(f.fw, i + 1, &c);
		assert_int_equal(c.fh, i);
		assert_int_equal(c.addr, i * 4096ull);
	}
	iommusim_cpu_destroy(cpu5);
	fix_fini(&f);
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
	struct fix f;

	(void)state;
	fix_init(&f, 1);
	assert_int_equal(isim_zpci_refresh_trans(f.fw, f.cpu, 0x80000001u, 0x10000, 0x5000, 0), 0);
	/* One instruction, no retry. */
	assert_log_all(f.fw, 1, 0x80000001u, 0x10000, 0x5000);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_FW_BUSY_RETRY), 0);
	fix_fini(&f);
}

static void test_firmware_refresh_trans_retries_busy(void **state)
{
	struct iommusim_firmware_stats st;
	struct fix f;

	(void)state;
	fix_init(&f, 1);
	/* busy, busy, busy, done: three retries, so four instructions and three work units. */
	push(&f, 3, 2, 0);
	push(&f, 1, 0, 0);
	assert_int_equal(isim_zpci_refresh_trans(f.fw, f.cpu, 9, 0x2000, 0x1000, 10), 0);
	assert_log_all(f.fw, 4, 9, 0x2000, 0x1000);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_FW_BUSY_RETRY), 3);
	iommusim_firmware_get_stats(f.fw, &st);
	assert_int_equal(st.rpcit_cc[2], 3);
	assert_int_equal(st.rpcit_cc[0], 1);

	/* Busy then a final error: the final answer's status decides (cc 1/16 -> -ENOMEM). */
	iommusim_cpu_work_reset(f.cpu);
	push(&f, 1, 2, 0);
	push(&f, 1, 1, 16);
	assert_int_equal(isim_zpci_refresh_trans(f.fw, f.cpu, 9, 0x2000, 0x1000, 10), -ENOMEM);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_FW_BUSY_RETRY), 1);
	fix_fini(&f);
}

static void test_firmware_refresh_trans_busy_bound_gives_ebusy(void **state)
{
	struct fix f;

	(void)state;
	fix_init(&f, 1);
	/*
	 * Bound 2: the first call and two retries all answer busy, and a third retry is not
	 * allowed: -EBUSY after 3 calls and 2 work units. The queued cc 0 behind them is never
	 * reached, which proves no fourth call was made.
	 */
	push(&f, 3, 2, 0);
	push(&f, 1, 0, 0);
	assert_int_equal(isim_zpci_refresh_trans(f.fw, f.cpu, 3, 0, 4096, 2), -EBUSY);
	assert_log_all(f.fw, 3, 3, 0, 4096);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_FW_BUSY_RETRY), 2);
	assert_int_equal(iommusim_firmware_script_pending(f.fw), 1);

	/* Exactly at the bound is still fine: 2 busy then done with bound 2 -> 0. */
	iommusim_firmware_script_log_clear(f.fw);
	iommusim_cpu_work_reset(f.cpu);
	assert_int_equal(isim_zpci_refresh_trans(f.fw, f.cpu, 3, 0, 4096, 2), 0); /* drains cc 0 */
	push(&f, 2, 2, 0);
	assert_int_equal(isim_zpci_refresh_trans(f.fw, f.cpu, 3, 0, 4096, 2), 0);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_FW_BUSY_RETRY), 2);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 1 + 3);

	/* 0 selects the large default bound, not "no retries": 5 busy answers are ridden out. */
	iommusim_cpu_work_reset(f.cpu);
	push(&f, 5, 2, 0);
	assert_int_equal(isim_zpci_refresh_trans(f.fw, f.cpu, 3, 0, 4096, 0), 0);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_FW_BUSY_RETRY), 5);
	fix_fini(&f);
}

static void test_firmware_refresh_trans_no_resources_is_enomem(void **state)
{
	struct iommusim_firmware_stats st;
	struct fix f;

	(void)state;
	fix_init(&f, 1);
	/* zpci_refresh_trans(): cc 1 with status 4 or 16 is "insufficient resources", i.e. -ENOMEM. */
	push(&f, 1, 1, 4);
	assert_int_equal(isim_zpci_refresh_trans(f.fw, f.cpu, 1, 0, 4096, 0), -ENOMEM);
	push(&f, 1, 1, 16);
	assert_int_equal(isim_zpci_refresh_trans(f.fw, f.cpu, 1, 0, 4096, 0), -ENOMEM);
	/* Neither is retried: one call each. */
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 2);
	iommusim_firmware_get_stats(f.fw, &st);
	assert_int_equal(st.rpcit_no_resources, 2);
	fix_fini(&f);
}

static void test_firmware_refresh_trans_other_errors_are_eio(void **state)
{
	/* Statuses around and between 4 and 16, which must not be mistaken for them. */
	static const uint8_t other[] = {0, 1, 3, 5, 8, 15, 17, 20, 64, 255};
	struct fix f;

	(void)state;
	fix_init(&f, 1);
	/* zpci_refresh_trans(): cc 1 with any other status falls through to -EIO. */
	for (size_t i = 0; i < sizeof(other); i++) {
		assert_int_equal(iommusim_firmware_script_push(f.fw, 1, other[i]), 0);
		assert_int_equal(isim_zpci_refresh_trans(f.fw, f.cpu, 1, 0, 4096, 0), -EIO);
	}
	/* cc 3 is -EIO whatever the status: the status byte only matters with cc 1. */
	push(&f, 1, 3, 0);
	assert_int_equal(isim_zpci_refresh_trans(f.fw, f.cpu, 1, 0, 4096, 0), -EIO);
	push(&f, 1, 3, 4);
	assert_int_equal(isim_zpci_refresh_trans(f.fw, f.cpu, 1, 0, 4096, 0), -EIO);
	/* Likewise a status on a cc 0 answer does not turn success into failure. */
	push(&f, 1, 0, 16);
	assert_int_equal(isim_zpci_refresh_trans(f.fw, f.cpu, 1, 0, 4096, 0), 0);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_FW_BUSY_RETRY), 0);
	fix_fini(&f);
}

enum { THREADS = 4, CALLS_PER_THREAD = 2000, SCRIPTED = 3000 };

struct thread_arg {
	struct iommusim_firmware *fw;
	struct iommusim_cpu *cpu;
	int failures;
};

/* One thread acting as one CPU: its call i refreshes address i, so its own order is checkable. */
static void *caller_thread(void *p)
{
	struct thread_arg *a = p;
	uint8_t status;

	for (unsigned int i = 0; i < CALLS_PER_THREAD; i++) {
		int cc = iommusim_firmware_rpcit(a->fw, a->cpu, iommusim_cpu_id(a->cpu), i, 4096,
						 &status);

		/* Only cc 0 (default) or the scripted cc 1 with status 4 can come back. */
		if (!(cc == 0 && status == 0) && !(cc == 1 && status == 4))
			a->failures++;
	}
	return NULL;
}

static void *pusher_thread(void *p)
{
	struct thread_arg *a = p;

	for (unsigned int i = 0; i < SCRIPTED; i++)
		if (iommusim_firmware_script_push(a->fw, 1, 4))
			a->failures++;
	return NULL;
}

static void test_firmware_script_threads_smoke(void **state)
{
	struct iommusim_firmware_stats st;
	struct thread_arg args[THREADS + 1];
	pthread_t tids[THREADS + 1];
	unsigned int next_addr[THREADS] = {0};
	struct iommusim_firmware_call c;
	uint64_t scripted_used = 0;
	struct fix f;

	(void)state;
	fix_init(&f, 1);
	for (unsigned int t = 0; t < THREADS; t++) {
		args[t] = (struct thread_arg){.fw = f.fw};
		assert_int_equal(iommusim_cpu_create(f.mem, t, &args[t].cpu), 0);
	}
	args[THREADS] = (struct thread_arg){.fw = f.fw};
	for (unsigned int t = 0; t < THREADS; t++)
		assert_int_equal(pthread_create(&tids[t], NULL, caller_thread, &args[t]), 0);
	assert_int_equal(pthread_create(&tids[THREADS], NULL, pusher_thread, &args[THREADS]), 0);
	for (unsigned int t = 0; t <= THREADS; t++) {
		assert_int_equal(pthread_join(tids[t], NULL), 0);
		assert_int_equal(args[t].failures, 0);
	}

	/* Every call counted and logged exactly once, whatever the interleaving. */
	iommusim_firmware_get_stats(f.fw, &st);
	assert_int_equal(st.rpcit_calls, THREADS * CALLS_PER_THREAD);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), THREADS * CALLS_PER_THREAD);
	for (size_t i = 0; i < THREADS * CALLS_PER_THREAD; i++) {
		get_call(f.fw, i, &c);
		assert_true(c.cpu_id < THREADS);
		assert_int_equal(c.fh, c.cpu_id);
		/* Each CPU's calls appear in the order it made them. */
		assert_int_equal(c.addr, next_addr[c.cpu_id]);
		next_addr[c.cpu_id]++;
		scripted_used += c.cc == 1;
	}
	/* Each scripted answer is used at most once: used + still queued = pushed. */
	assert_int_equal(scripted_used, st.rpcit_cc[1]);
	assert_int_equal(scripted_used + iommusim_firmware_script_pending(f.fw), SCRIPTED);
	for (unsigned int t = 0; t < THREADS; t++)
		iommusim_cpu_destroy(args[t].cpu);
	fix_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_firmware_null_answers_cc0_and_counts),
		cmocka_unit_test(test_firmware_custom_platform_sees_calls_and_is_released),
		cmocka_unit_test(test_firmware_set_ioat_reaches_platform),
		cmocka_unit_test(test_firmware_script_logs_set_ioat),
		cmocka_unit_test(test_firmware_script_queue_order_then_default),
		cmocka_unit_test(test_firmware_script_queue_matches_fifo_model),
		cmocka_unit_test(test_firmware_script_log_records_every_call),
		cmocka_unit_test(test_firmware_refresh_trans_cc0_is_success),
		cmocka_unit_test(test_firmware_refresh_trans_retries_busy),
		cmocka_unit_test(test_firmware_refresh_trans_busy_bound_gives_ebusy),
		cmocka_unit_test(test_firmware_refresh_trans_no_resources_is_enomem),
		cmocka_unit_test(test_firmware_refresh_trans_other_errors_are_eio),
		cmocka_unit_test(test_firmware_script_threads_smoke),
	};

	return cmocka_run_group_tests_name("firmware", tests, NULL, NULL);
}

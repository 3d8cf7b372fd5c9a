/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the s390 firmware layer's scripted platform (lib/s390/firmware.c): the log of
 * SET IOAT and of every call, the queue of scripted answers (in order, then the default; a FIFO
 * model), and the script shared by threads.
 */
#include "firmware_fixture.h"

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
	struct fix *f = *state;

	push(f, 1, IOMMUSIM_FW_CC_ERROR, 16);
	/* QEMU's window for 4 GiB of guest memory: [4 GiB, 8 GiB - 1], 4 GiB long */
	assert_int_equal(
		iommusim_firmware_set_ioat(f->fw, 0x77, 0x100000000ull, 0x1ffffffffull, table), 0);
	assert_int_equal(iommusim_firmware_script_pending(f->fw), 1);
	/* the queued cc 1 / status 16 goes to the RPCIT that follows */
	assert_int_equal(
		iommusim_firmware_rpcit(f->fw, f->cpu, 0x77, 0x100000000ull, 4096, &status),
		IOMMUSIM_FW_CC_ERROR);
	assert_int_equal(status, 16);
	assert_int_equal(iommusim_firmware_set_ioat(f->fw, 0x77, 0, 0, NULL), 0);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 3);
	get_call(f->fw, 0, &c);
	assert_int_equal(c.kind, IOMMUSIM_FIRMWARE_CALL_SET_IOAT);
	assert_int_equal(c.fh, 0x77);
	assert_int_equal(c.addr, 0x100000000ull);
	assert_int_equal(c.len, 0x100000000ull);
	assert_ptr_equal(c.iota, table);
	assert_int_equal(c.cc, 0);
	assert_int_equal(c.status, 0);
	assert_int_equal(c.cpu_id, 0);
	get_call(f->fw, 1, &c);
	assert_int_equal(c.kind, IOMMUSIM_FIRMWARE_CALL_RPCIT);
	assert_null(c.iota);
	assert_int_equal(c.cc, IOMMUSIM_FW_CC_ERROR);
	get_call(f->fw, 2, &c);
	assert_int_equal(c.kind, IOMMUSIM_FIRMWARE_CALL_SET_IOAT);
	assert_int_equal(c.fh, 0x77);
	assert_int_equal(c.addr, 0);
	assert_int_equal(c.len, 0);
	assert_null(c.iota);
}

static void test_firmware_script_queue_order_then_default(void **state)
{
	static const uint8_t answers[][2] = {{2, 0}, {1, 4}, {3, 0}, {1, 7}, {0, 9}};
	struct iommusim_firmware_stats st;
	struct fix *f = *state;
	uint8_t status;

	for (size_t i = 0; i < 5; i++)
		assert_int_equal(iommusim_firmware_script_push(f->fw, answers[i][0], answers[i][1]),
				 0);
	/* A condition code is 0..3; anything else is refused and not queued. */
	assert_int_equal(iommusim_firmware_script_push(f->fw, 4, 0), -EINVAL);
	assert_int_equal(iommusim_firmware_script_pending(f->fw), 5);

	/* First in, first out, status included (the raw call passes it through untouched). */
	for (size_t i = 0; i < 5; i++) {
		status = 0xee;
		assert_int_equal(iommusim_firmware_rpcit(f->fw, f->cpu, 1, 0, 4096, &status),
				 answers[i][0]);
		assert_int_equal(status, answers[i][1]);
		assert_int_equal(iommusim_firmware_script_pending(f->fw), 4 - i);
	}
	/* Empty queue: the default answer is cc 0, status 0, as often as asked. */
	for (int i = 0; i < 3; i++) {
		status = 0xee;
		assert_int_equal(iommusim_firmware_rpcit(f->fw, f->cpu, 1, 0, 4096, &status), 0);
		assert_int_equal(status, 0);
	}
	/* 8 calls; cc 0 is the scripted {0, 9} plus the 3 defaults = 4; one each of 2 and 3. */
	iommusim_firmware_get_stats(f->fw, &st);
	assert_int_equal(st.rpcit_calls, 8);
	assert_int_equal(st.rpcit_cc[0], 4);
	assert_int_equal(st.rpcit_cc[1], 2);
	assert_int_equal(st.rpcit_cc[2], 1);
	assert_int_equal(st.rpcit_cc[3], 1);
	/* Only {1, 4} is "insufficient resources"; {1, 7} is a plain error. */
	assert_int_equal(st.rpcit_no_resources, 1);
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
	struct fix *f = *state;
	uint8_t status;

	while (tail < N || head < tail) {
		uint64_t r = iommusim_rng_u64(&rng);

		/* Pushes slightly more likely than calls, so the queue grows while wrapping. */
		if (tail < N && (r % 5) < 3) {
			model_cc[tail] = (uint8_t)((r >> 8) % 4);
			model_st[tail] = (uint8_t)(r >> 16);
			assert_int_equal(iommusim_firmware_script_push(f->fw, model_cc[tail],
								       model_st[tail]),
					 0);
			tail++;
		} else {
			int cc = iommusim_firmware_rpcit(f->fw, f->cpu, 1, 0, 4096, &status);

			if (head < tail) {
				assert_int_equal(cc, model_cc[head]);
				assert_int_equal(status, model_st[head]);
				head++;
			} else {
				assert_int_equal(cc, 0);
				assert_int_equal(status, 0);
			}
		}
		assert_int_equal(iommusim_firmware_script_pending(f->fw), tail - head);
	}
}

/* A logged call's CPU, function handle, range and condition code. */
static void expect_fields(const struct iommusim_firmware_call *c, uint64_t cpu_id, uint64_t fh,
			  uint64_t addr, uint64_t len, uint64_t cc)
{
	assert_int_equal(c->cpu_id, cpu_id);
	assert_int_equal(c->fh, fh);
	assert_int_equal(c->addr, addr);
	assert_int_equal(c->len, len);
	assert_int_equal(c->cc, cc);
}

static void test_firmware_script_log_records_every_call(void **state)
{
	struct iommusim_firmware_call c;
	struct iommusim_cpu *cpu5;
	struct fix *f = *state;
	uint8_t status;

	assert_int_equal(iommusim_cpu_create(f->mem, 5, &cpu5), 0);
	push(f, 1, 1, 16);
	push(f, 1, 2, 0);

	assert_int_equal(iommusim_firmware_rpcit(f->fw, f->cpu, 0x11, 0x1000, 0x2000, &status), 1);
	assert_int_equal(iommusim_firmware_rpcit(f->fw, cpu5, 0x22, 0xfffff000ull, 0x1000, &status),
			 2);
	/* The third takes the default answer, and the log says so. */
	assert_int_equal(
		iommusim_firmware_rpcit(f->fw, cpu5, 0x33, 1ull << 32, 1ull << 40, &status), 0);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 3);

	get_call(f->fw, 0, &c);
	assert_int_equal(c.kind, IOMMUSIM_FIRMWARE_CALL_RPCIT);
	expect_fields(&c, 2, 0x11, 0x1000, 0x2000, 1);
	assert_int_equal(c.status, 16);
	get_call(f->fw, 1, &c);
	expect_fields(&c, 5, 0x22, 0xfffff000ull, 0x1000, 2);
	assert_int_equal(c.status, 0);
	get_call(f->fw, 2, &c);
	expect_fields(&c, 5, 0x33, 1ull << 32, 1ull << 40, 0);
	assert_int_equal(iommusim_firmware_script_log_get(f->fw, 3, &c), -ERANGE);

	/* Clearing empties the log only: a queued answer survives and the next call is entry 0. */
	push(f, 1, 3, 0);
	iommusim_firmware_script_log_clear(f->fw);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 0);
	assert_int_equal(iommusim_firmware_script_log_get(f->fw, 0, &c), -ERANGE);
	assert_int_equal(iommusim_firmware_script_pending(f->fw), 1);
	assert_int_equal(iommusim_firmware_rpcit(f->fw, f->cpu, 0x44, 0x5000, 0x1000, &status), 3);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 1);
	get_call(f->fw, 0, &c);
	assert_int_equal(c.fh, 0x44);
	assert_int_equal(c.cc, 3);

	/* The log grows past its first capacity without losing or reordering entries. */
	for (unsigned int i = 0; i < 100; i++)
		iommusim_firmware_rpcit(f->fw, f->cpu, i, i * 4096ull, 4096, &status);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 101);
	for (unsigned int i = 0; i < 100; i++) {
		get_call(f->fw, i + 1, &c);
		assert_int_equal(c.fh, i);
		assert_int_equal(c.addr, i * 4096ull);
	}
	iommusim_cpu_destroy(cpu5);
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
	struct fix *f = *state;

	for (unsigned int t = 0; t < THREADS; t++) {
		args[t] = (struct thread_arg){.fw = f->fw};
		assert_int_equal(iommusim_cpu_create(f->mem, t, &args[t].cpu), 0);
	}
	args[THREADS] = (struct thread_arg){.fw = f->fw};
	for (unsigned int t = 0; t < THREADS; t++)
		assert_int_equal(pthread_create(&tids[t], NULL, caller_thread, &args[t]), 0);
	assert_int_equal(pthread_create(&tids[THREADS], NULL, pusher_thread, &args[THREADS]), 0);
	for (unsigned int t = 0; t <= THREADS; t++) {
		assert_int_equal(pthread_join(tids[t], NULL), 0);
		assert_int_equal(args[t].failures, 0);
	}

	/* Every call counted and logged exactly once, whatever the interleaving. */
	iommusim_firmware_get_stats(f->fw, &st);
	assert_int_equal(st.rpcit_calls, THREADS * CALLS_PER_THREAD);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), THREADS * CALLS_PER_THREAD);
	for (size_t i = 0; i < THREADS * CALLS_PER_THREAD; i++) {
		get_call(f->fw, i, &c);
		assert_true(c.cpu_id < THREADS);
		assert_int_equal(c.fh, c.cpu_id);
		/* Each CPU's calls appear in the order it made them. */
		assert_int_equal(c.addr, next_addr[c.cpu_id]);
		next_addr[c.cpu_id]++;
		scripted_used += c.cc == 1;
	}
	/* Each scripted answer is used at most once: used + still queued = pushed. */
	assert_int_equal(scripted_used, st.rpcit_cc[1]);
	assert_int_equal(scripted_used + iommusim_firmware_script_pending(f->fw), SCRIPTED);
	for (unsigned int t = 0; t < THREADS; t++)
		iommusim_cpu_destroy(args[t].cpu);
}

SUITE_MAIN(cmocka_unit_test_setup_teardown(test_firmware_script_logs_set_ioat, fw_setup,
					   fw_teardown),
	   cmocka_unit_test_setup_teardown(test_firmware_script_queue_order_then_default, fw_setup,
					   fw_teardown),
	   cmocka_unit_test_setup_teardown(test_firmware_script_queue_matches_fifo_model, fw_setup,
					   fw_teardown),
	   cmocka_unit_test_setup_teardown(test_firmware_script_log_records_every_call, fw_setup,
					   fw_teardown),
	   cmocka_unit_test_setup_teardown(test_firmware_script_threads_smoke, fw_setup,
					   fw_teardown))

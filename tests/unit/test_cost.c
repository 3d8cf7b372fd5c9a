/* SPDX-License-Identifier: MIT */
/* Unit tests of the cost table (sim/cost/): the table's own rules, overrides, profiles, output. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/iommusim.h>
#include <iommusim/cost.h>

#include "base/cpu_work.h"

#include "cost_fixture.h"

static uint64_t val(struct fixture *f, const char *name)
{
	return iommusim_cost_get(f->cost, id_of(name));
}

/* Set, expecting success. */
static void set_ok(struct fixture *f, const char *text)
{
	f->err[0] = '\0';
	assert_int_equal(iommusim_cost_set(f->cost, text, f->err, sizeof(f->err)), 0);
	assert_string_equal(f->err, "");
}

/* Set, expecting @err and exactly @msg, with every value left as it was. */
static void set_fails(struct fixture *f, const char *text, int err, const char *msg)
{
	uint64_t before[IOMMUSIM_COST_NR];

	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++)
		before[i] = iommusim_cost_get(f->cost, (enum iommusim_cost_id)i);
	assert_int_equal(iommusim_cost_set(f->cost, text, f->err, sizeof(f->err)), err);
	assert_string_equal(f->err, msg);
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++)
		assert_int_equal(iommusim_cost_get(f->cost, (enum iommusim_cost_id)i), before[i]);
}

static bool snake(const char *s, size_t n)
{
	if (n == 0 || s[0] < 'a' || s[0] > 'z' || s[n - 1] == '_')
		return false;
	for (size_t i = 0; i < n; i++) {
		bool ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
			  s[i] == '_';

		if (!ok || (s[i] == '_' && s[i + 1] == '_'))
			return false;
	}
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static void test_cost_table_defaults_within_range(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		const struct iommusim_cost_param *p = iommusim_cost_param((enum iommusim_cost_id)i);

		assert_non_null(p);
		assert_true(p->min <= p->max);
		assert_true(p->default_value >= p->min);
		assert_true(p->default_value <= p->max);
		if (p->flags & IOMMUSIM_COST_POW2)
			assert_int_equal(p->default_value & (p->default_value - 1), 0);
		if (p->unit == IOMMUSIM_COST_UNIT_BOOL)
			assert_true(p->min == 0 && p->max == 1);
	}
	assert_null(iommusim_cost_param(IOMMUSIM_COST_NR));
}

static void test_cost_table_names_unique_dotted_snake_case(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		const char *name = iommusim_cost_param((enum iommusim_cost_id)i)->name;
		const char *dot;

		assert_non_null(name);
		/* "<area>.<what>": exactly one dot, snake_case on both sides. */
		dot = strchr(name, '.');
		assert_non_null(dot);
		assert_null(strchr(dot + 1, '.'));
		assert_true(snake(name, (size_t)(dot - name)));
		assert_true(snake(dot + 1, strlen(dot + 1)));
		for (unsigned int j = 0; j < i; j++) {
			const struct iommusim_cost_param *q;

			q = iommusim_cost_param((enum iommusim_cost_id)j);
			assert_string_not_equal(name, q->name);
		}
	}
}

static void test_cost_table_rows_documented(void **state)
{
	static const struct {
		const char *suffix;
		enum iommusim_cost_unit unit;
	} suffixes[] = {
		{ "_ns", IOMMUSIM_COST_UNIT_NS },
		{ "_ms", IOMMUSIM_COST_UNIT_MS },
		{ "_cycles", IOMMUSIM_COST_UNIT_CYCLES },
		{ "_mhz", IOMMUSIM_COST_UNIT_MHZ },
		{ "_pages", IOMMUSIM_COST_UNIT_PAGES },
	};

	(void)state;
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		const struct iommusim_cost_param *p = iommusim_cost_param((enum iommusim_cost_id)i);

		assert_true((unsigned int)p->unit < IOMMUSIM_COST_UNIT_NR);
		assert_string_not_equal(iommusim_cost_unit_name(p->unit), "unknown");
		assert_non_null(p->reason);
		assert_non_null(p->source);
		assert_true(strlen(p->reason) >= 20);
		assert_true(strlen(p->reason) <= 160);
		assert_null(strpbrk(p->reason, "\n\r\t"));
		assert_true(strlen(p->source) >= 3);
		/* The name's suffix tells its unit and a time unit is always in the name. */
		for (size_t s = 0; s < sizeof(suffixes) / sizeof(suffixes[0]); s++)
			assert_int_equal(ends_with(p->name, suffixes[s].suffix),
					 p->unit == suffixes[s].unit);
		/*
		 * A guess from no source must be fittable; z/VM's costs are all guesswork (not
		 * public). Its optional budget is a configuration, not a cost.
		 */
		if (!strcmp(p->source, "EST") ||
		    (!strncmp(p->name, "zvm.", 4) && p->unit == IOMMUSIM_COST_UNIT_NS))
			assert_true(p->flags & IOMMUSIM_COST_EST);
	}
	assert_string_equal(iommusim_cost_unit_name(IOMMUSIM_COST_UNIT_NR), "unknown");
}

/* The estimates' start values and ranges, copied by hand (docs/sources.md S14, S1 for the trap). */
static void test_cost_table_holds_spec_values(void **state)
{
	static const struct {
		const char *name;
		uint64_t def, min, max;
		bool est;
	} spec[] = {
		{ "kvm.trap_unlocked_ns", 1500, 300, 20000, true },
		{ "kvm.trap_locked_ns", 3500, 1000, 98500, true },
		{ "qemu.walk_ns", 150, 60, 300, true },
		{ "qemu.hash_ns", 40, 20, 100, true },
		{ "qemu.hash_insert_ns", 80, 40, 200, true },
		{ "vfio.map_ioctl_ns", 4000, 2000, 10000, true },
		{ "vfio.unmap_ioctl_ns", 1000, 500, 2000, true },
		{ "vfio.unmap_entry_ns", 1000, 500, 3000, true },
		{ "host.iotlb_inv_ns", 500, 300, 2000, true },
		{ "qemu.serialize_rpcit", 1, 0, 1, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(spec) / sizeof(spec[0]); i++) {
		const struct iommusim_cost_param *p = iommusim_cost_param(id_of(spec[i].name));

		assert_int_equal(p->default_value, spec[i].def);
		assert_int_equal(p->min, spec[i].min);
		assert_int_equal(p->max, spec[i].max);
		assert_int_equal(!!(p->flags & IOMMUSIM_COST_EST), spec[i].est);
	}
	/* dma_entry_limit: U16_MAX by default, and the TDX example's 4194304 must be allowed. */
	assert_int_equal(iommusim_cost_param(IOMMUSIM_COST_VFIO_DMA_ENTRY_LIMIT)->default_value,
			 65535);
	assert_true(iommusim_cost_param(IOMMUSIM_COST_VFIO_DMA_ENTRY_LIMIT)->max >= 4194304);
}

static void test_cost_work_kinds_have_named_costs(void **state)
{
	struct fixture *f = *state;

	for (unsigned int k = 0; k < IOMMUSIM_WORK_NR; k++) {
		char name[64];
		enum iommusim_cost_id id;
		uint64_t expect;

		/* guest.<work name>_cycles, except the busy retry, which is a udelay: ns. */
		snprintf(name, sizeof(name), "guest.%s_%s", iommusim_work_name(k),
			 k == IOMMUSIM_WORK_FW_BUSY_RETRY ? "ns" : "cycles");
		assert_int_equal(iommusim_cost_lookup(name, &id), 0);
		expect = iommusim_cost_get(f->cost, id);
		if (k == IOMMUSIM_WORK_FW_BUSY_RETRY)
			expect = expect * 5200 / 1000;
		assert_int_equal(iommusim_cost_work_cycles(f->cost, k), expect);
	}
	assert_int_equal(iommusim_cost_work_cycles(f->cost, IOMMUSIM_WORK_NR), 0);
	/* The work map follows overrides. */
	set_ok(f, "guest.tree_node_cycles=55");
	assert_int_equal(iommusim_cost_work_cycles(f->cost, IOMMUSIM_WORK_TREE_NODE), 55);
}

static void test_cost_create_holds_defaults(void **state)
{
	struct fixture *f = *state;

	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		enum iommusim_cost_id id = (enum iommusim_cost_id)i;

		assert_int_equal(iommusim_cost_get(f->cost, id),
				 iommusim_cost_param(id)->default_value);
		assert_int_equal(iommusim_cost_origin(f->cost, id), IOMMUSIM_COST_FROM_DEFAULT);
	}
	assert_null(iommusim_cost_profile_name(f->cost));
}

static void test_cost_set_get_round_trip(void **state)
{
	struct fixture *f = *state;
	enum iommusim_cost_id id;

	set_ok(f, "qemu.walk_ns=200");
	assert_int_equal(val(f, "qemu.walk_ns"), 200);
	assert_int_equal(iommusim_cost_get(f->cost, IOMMUSIM_COST_QEMU_WALK_NS), 200);
	assert_int_equal(iommusim_cost_origin(f->cost, IOMMUSIM_COST_QEMU_WALK_NS),
			 IOMMUSIM_COST_FROM_SET);
	/* Its neighbours are untouched. */
	assert_int_equal(val(f, "qemu.hash_ns"), 40);
	assert_int_equal(iommusim_cost_origin(f->cost, IOMMUSIM_COST_QEMU_HASH_NS),
			 IOMMUSIM_COST_FROM_DEFAULT);
	/* Bounds are inclusive; the last set wins. */
	set_ok(f, "qemu.walk_ns=60");
	set_ok(f, "qemu.walk_ns=300");
	assert_int_equal(val(f, "qemu.walk_ns"), 300);
	set_ok(f, "vfio.dma_entry_limit=4194304");
	assert_int_equal(val(f, "vfio.dma_entry_limit"), 4194304);
	set_ok(f, "vfio.dma_entry_limit=4294967295");
	assert_int_equal(val(f, "vfio.dma_entry_limit"), 4294967295ull);
	set_ok(f, "qemu.serialize_rpcit=false");
	assert_int_equal(val(f, "qemu.serialize_rpcit"), 0);
	set_ok(f, "qemu.serialize_rpcit=true");
	assert_int_equal(val(f, "qemu.serialize_rpcit"), 1);
	set_ok(f, "zpci.tlb_refresh=0");
	assert_int_equal(val(f, "zpci.tlb_refresh"), 0);
	/* A choice by name or by index, named back by its value. */
	set_ok(f, "s390.enomem=flush-queue");
	assert_int_equal(val(f, "s390.enomem"), 2);
	set_ok(f, "s390.enomem=1");
	assert_string_equal(iommusim_cost_choice_name(IOMMUSIM_COST_S390_ENOMEM,
						      val(f, "s390.enomem")), "none");
	assert_null(iommusim_cost_choice_name(IOMMUSIM_COST_S390_ENOMEM, 3));
	assert_null(iommusim_cost_choice_name(IOMMUSIM_COST_QEMU_WALK_NS, 0));
	set_ok(f, "dma.fq_size=1024");
	set_ok(f, "dma.fq_size=0");
	/* By id, with the same checks. */
	assert_int_equal(iommusim_cost_set_value(f->cost, IOMMUSIM_COST_KVM_TRAP_LOCKED_NS, 7000,
						 f->err, sizeof(f->err)), 0);
	assert_int_equal(val(f, "kvm.trap_locked_ns"), 7000);
	assert_int_equal(iommusim_cost_set_value(f->cost, IOMMUSIM_COST_KVM_TRAP_LOCKED_NS, 98501,
						 f->err, sizeof(f->err)), -ERANGE);
	assert_string_equal(f->err, "kvm.trap_locked_ns: 98501 is out of range [1000, 98500] ns");
	assert_int_equal(iommusim_cost_set_value(f->cost, IOMMUSIM_COST_DMA_FQ_SIZE, 48, NULL, 0),
			 -ERANGE);
	assert_int_equal(val(f, "kvm.trap_locked_ns"), 7000);
	assert_int_equal(iommusim_cost_lookup("qemu.walk", &id), -ENOENT);
	assert_int_equal(iommusim_cost_lookup("", &id), -ENOENT);
}

static void test_cost_set_unknown_key_names_key_and_suggestion(void **state)
{
	struct fixture *f = *state;

	set_fails(f, "qemu.wallk_ns=100", -ENOENT,
		  "unknown parameter 'qemu.wallk_ns' (did you mean 'qemu.walk_ns'?)");
	/* Without the area, the part after the dot still finds it. */
	set_fails(f, "walk_ns=100", -ENOENT,
		  "unknown parameter 'walk_ns' (did you mean 'qemu.walk_ns'?)");
	/* Without that rule the full name "vfio.map_ioctl_ns" would be closer. */
	set_fails(f, "unmap_ioctl_ns=5", -ENOENT,
		  "unknown parameter 'unmap_ioctl_ns' (did you mean 'vfio.unmap_ioctl_ns'?)");
	set_fails(f, "vfio.dma_entry_limt=5", -ENOENT,
		  "unknown parameter 'vfio.dma_entry_limt' (did you mean 'vfio.dma_entry_limit'?)");
	set_fails(f, "kvm.trap_locked_us=5", -ENOENT,
		  "unknown parameter 'kvm.trap_locked_us' (did you mean 'kvm.trap_locked_ns'?)");
	/* The key is checked before the value. */
	set_fails(f, "qemu.walk=abc", -ENOENT,
		  "unknown parameter 'qemu.walk' (did you mean 'qemu.walk_ns'?)");
	assert_int_equal(iommusim_cost_suggest("dma.fq_timeout"), IOMMUSIM_COST_DMA_FQ_TIMEOUT_MS);
	assert_int_equal(iommusim_cost_suggest("fq_size"), IOMMUSIM_COST_DMA_FQ_SIZE);
	assert_int_equal(iommusim_cost_suggest("cpu.freq_mhz"), IOMMUSIM_COST_CPU_FREQ_MHZ);
	/* 4 edits from both qemu.walk_ns and qemu.hash_ns, more from the rest: the earlier row. */
	assert_int_equal(iommusim_cost_suggest("qemu.xxxx_ns"), IOMMUSIM_COST_QEMU_WALK_NS);
}

static void test_cost_set_malformed_rejected(void **state)
{
	struct fixture *f = *state;

	set_fails(f, "qemu.walk_ns", -EINVAL, "'qemu.walk_ns' is not NAME=VALUE");
	set_fails(f, "=5", -EINVAL, "'=5' is not NAME=VALUE");
	set_fails(f, "", -EINVAL, "'' is not NAME=VALUE");
	set_fails(f, "qemu.walk_ns=", -EINVAL, "qemu.walk_ns: '' is not an unsigned integer");
	set_fails(f, "qemu.walk_ns=12x", -EINVAL, "qemu.walk_ns: '12x' is not an unsigned integer");
	set_fails(f, "qemu.walk_ns=-5", -EINVAL, "qemu.walk_ns: '-5' is not an unsigned integer");
	set_fails(f, "qemu.walk_ns=+100", -EINVAL,
		  "qemu.walk_ns: '+100' is not an unsigned integer");
	set_fails(f, "qemu.walk_ns= 100", -EINVAL,
		  "qemu.walk_ns: ' 100' is not an unsigned integer");
	set_fails(f, "qemu.walk_ns=1.5", -EINVAL, "qemu.walk_ns: '1.5' is not an unsigned integer");
	set_fails(f, "qemu.walk_ns=0x80", -EINVAL,
		  "qemu.walk_ns: '0x80' is not an unsigned integer");
	set_fails(f, "qemu.walk_ns=100=1", -EINVAL,
		  "qemu.walk_ns: '100=1' is not an unsigned integer");
	set_fails(f, "qemu.walk_ns=99999999999999999999999x", -EINVAL,
		  "qemu.walk_ns: '99999999999999999999999x' is not an unsigned integer");
	set_fails(f, "qemu.serialize_rpcit=yes", -EINVAL,
		  "qemu.serialize_rpcit: 'yes' is not 0, 1, true or false");
	set_fails(f, "qemu.serialize_rpcit=2", -EINVAL,
		  "qemu.serialize_rpcit: '2' is not 0, 1, true or false");
	set_fails(f, "s390.enomem=flush", -EINVAL,
		  "s390.enomem: 'flush' is not one of global-flush, none, flush-queue");
	set_fails(f, "s390.enomem=3", -ERANGE, "s390.enomem: 3 is out of range [0, 2] choice");
}

static void test_cost_set_out_of_range_rejected(void **state)
{
	struct fixture *f = *state;

	set_fails(f, "qemu.walk_ns=301", -ERANGE, "qemu.walk_ns: 301 is out of range [60, 300] ns");
	set_fails(f, "qemu.walk_ns=59", -ERANGE, "qemu.walk_ns: 59 is out of range [60, 300] ns");
	set_fails(f, "qemu.walk_ns=0", -ERANGE, "qemu.walk_ns: 0 is out of range [60, 300] ns");
	set_fails(f, "qemu.walk_ns=99999999999999999999999", -ERANGE,
		  "qemu.walk_ns: 99999999999999999999999 is out of range [60, 300] ns");
	/* 2^64 + 100 must not wrap around to an in-range 100. */
	set_fails(f, "qemu.walk_ns=18446744073709551716", -ERANGE,
		  "qemu.walk_ns: 18446744073709551716 is out of range [60, 300] ns");
	set_fails(f, "vfio.dma_entry_limit=0", -ERANGE,
		  "vfio.dma_entry_limit: 0 is out of range [1, 4294967295] count");
	set_fails(f, "vfio.dma_entry_limit=4294967296", -ERANGE,
		  "vfio.dma_entry_limit: 4294967296 is out of range [1, 4294967295] count");
	set_fails(f, "dma.fq_timeout_ms=60001", -ERANGE,
		  "dma.fq_timeout_ms: 60001 is out of range [0, 60000] ms");
	set_fails(f, "cpu.freq_mhz=999", -ERANGE,
		  "cpu.freq_mhz: 999 is out of range [1000, 6000] MHz");
	set_fails(f, "dma.fq_size=1000", -ERANGE,
		  "dma.fq_size: 1000 is not a power of two of at least 2 (0 keeps the policy "
		  "default)");
	/* 1 is 2^0, but the library refuses a one-slot queue: so does the table */
	set_fails(f, "dma.fq_size=1", -ERANGE,
		  "dma.fq_size: 1 is not a power of two of at least 2 (0 keeps the policy "
		  "default)");
	set_fails(f, "dma.fq_size=2097152", -ERANGE,
		  "dma.fq_size: 2097152 is out of range [0, 1048576] count");
	/* The echo is the text as typed, leading zeros and all. */
	set_fails(f, "qemu.walk_ns=0400", -ERANGE,
		  "qemu.walk_ns: 0400 is out of range [60, 300] ns");
}

static void test_cost_errbuf_optional_and_bounded(void **state)
{
	struct fixture *f = *state;
	char small[12];

	assert_int_equal(iommusim_cost_set(f->cost, "qemu.walk_ns=1", NULL, 0), -ERANGE);
	memset(small, 'x', sizeof(small));
	assert_int_equal(iommusim_cost_set(f->cost, "qemu.walk_ns=1", small, sizeof(small)),
			 -ERANGE);
	assert_string_equal(small, "qemu.walk_n");
	/* A huge key gives one bounded line, and still a suggestion. */
	{
		char key[600];

		memset(key, 'q', sizeof(key));
		memcpy(key + sizeof(key) - 3, "=1", 3);
		assert_int_equal(iommusim_cost_set(f->cost, key, f->err, sizeof(f->err)),
				 -ENOENT);
		assert_null(strchr(f->err, '\n'));
		assert_true(strlen(f->err) < sizeof(f->err));
		assert_non_null(strstr(f->err, "(did you mean '"));
	}
}

static void test_cost_cycles_follow_frequency(void **state)
{
	struct fixture *f = *state;
	struct iommusim_cost *c = f->cost;

	/* At 5200 MHz: 150 ns = 780 cycles, 5 us = 26000, 10 ms = 52 M; cycles stay cycles. */
	set_ok(f, "kvm.trap_locked_ns=5000");
	assert_int_equal(iommusim_cost_cycles(c, IOMMUSIM_COST_QEMU_WALK_NS), 780);
	assert_int_equal(iommusim_cost_cycles(c, IOMMUSIM_COST_KVM_TRAP_LOCKED_NS), 26000);
	assert_int_equal(iommusim_cost_cycles(c, IOMMUSIM_COST_GUEST_LOCK_CYCLES), 40);
	assert_int_equal(iommusim_cost_work_cycles(c, IOMMUSIM_WORK_FW_BUSY_RETRY), 5200);
	set_ok(f, "dma.fq_timeout_ms=10");
	assert_int_equal(iommusim_cost_cycles(c, IOMMUSIM_COST_DMA_FQ_TIMEOUT_MS), 52000000);
	/* A new frequency re-prices every time parameter at once. */
	set_ok(f, "cpu.freq_mhz=3000");
	assert_int_equal(iommusim_cost_cycles(c, IOMMUSIM_COST_QEMU_WALK_NS), 450);
	assert_int_equal(iommusim_cost_cycles(c, IOMMUSIM_COST_KVM_TRAP_LOCKED_NS), 15000);
	assert_int_equal(iommusim_cost_work_cycles(c, IOMMUSIM_WORK_FW_BUSY_RETRY), 3000);
	assert_int_equal(iommusim_cost_cycles(c, IOMMUSIM_COST_DMA_FQ_TIMEOUT_MS), 30000000);
	assert_int_equal(iommusim_cost_work_cycles(c, IOMMUSIM_WORK_LOCK), 40);
	/* Rounding is half up: 1 ns at 1500 MHz = 1.5 -> 2; at 3333 MHz 1 ns = 3.333 -> 3. */
	set_ok(f, "cpu.freq_mhz=1500");
	assert_int_equal(iommusim_cost_ns_to_cycles(c, 1), 2);
	assert_int_equal(iommusim_cost_cycles_to_ns(c, 1), 1);	/* 0.667 -> 1 */
	assert_int_equal(iommusim_cost_cycles_to_ns(c, 3000), 2000);
	set_ok(f, "cpu.freq_mhz=3333");
	assert_int_equal(iommusim_cost_ns_to_cycles(c, 1), 3);
	assert_int_equal(iommusim_cost_ns_to_cycles(c, 3), 10); /* 9.999 -> 10 */
	assert_int_equal(iommusim_cost_cycles_to_ns(c, 3333), 1000);
	assert_int_equal(iommusim_cost_cycles_to_ns(c, 1), 0);	/* 0.3 -> 0 */
	/* Saturation instead of wrap-around. */
	assert_int_equal(iommusim_cost_ns_to_cycles(c, UINT64_MAX), UINT64_MAX);
	assert_int_equal(iommusim_cost_ns_to_cycles(c, UINT64_MAX / 3333 * 1000 - 1000),
			 (UINT64_MAX / 3333 * 1000 - 1000) / 1000 * 3333);
}

static void test_cost_cpu_cycles_sums_work(void **state)
{
	struct fixture *f = *state;
	struct iommusim_cpu *cpu;

	assert_int_equal(iommusim_cpu_create(f->mem, 0, &cpu), 0);
	assert_int_equal(iommusim_cost_cpu_cycles(f->cost, cpu), 0);
	isim_work(cpu, IOMMUSIM_WORK_TREE_NODE, 10);	 /* 10 x 20 */
	isim_work(cpu, IOMMUSIM_WORK_LOCK, 2);		 /* 2 x 40 */
	isim_work(cpu, IOMMUSIM_WORK_FW_BUSY_RETRY, 1); /* 1000 ns = 5200 */
	assert_int_equal(iommusim_cost_cpu_cycles(f->cost, cpu), 200 + 80 + 5200);
	set_ok(f, "guest.lock_cycles=100");
	assert_int_equal(iommusim_cost_cpu_cycles(f->cost, cpu), 200 + 200 + 5200);
	isim_work(cpu, IOMMUSIM_WORK_PTE_WRITE, UINT64_MAX / 2);
	assert_int_equal(iommusim_cost_cpu_cycles(f->cost, cpu), UINT64_MAX);
	iommusim_cpu_destroy(cpu);
}

/*
 * The split of the estimate c_guest_map / c_guest_unmap (50-200 ns, docs/sources.md S14): with
 * the library's own work counts, a warm strict one-page map and unmap cost, by hand,
 * 250 + lock 40 + mag_op 10 + mag_scan 3 + pte 60 = 363 cycles and 200 + 40 + 10 + 60 = 310,
 * i.e. 69.8 ns and 59.6 ns at 5.2 GHz.
 */
static void test_cost_guest_map_unmap_within_spec_range(void **state)
{
	struct fixture *f = *state;
	struct iommusim_device_config dcfg = {
		.name = "nvme", .pci = true, .dma_mask = ~0ull, .coherent_dma_mask = ~0ull,
	};
	struct iommusim_zpci_config zcfg = {
		.fh = 1, .tlb_refresh = true, .start_dma = IOMMUSIM_ZPCI_QEMU_START_DMA,
		.end_dma = IOMMUSIM_ZPCI_QEMU_END_DMA, .guest_memory = 16ull << 30,
	};
	struct iommusim_dma_iommu_config cfg = {
		.mode = IOMMUSIM_DMA_STRICT, .forcedac = true, .possible_cpus = 1,
	};
	struct iommusim_firmware *fw;
	struct iommusim_clock *clock;
	struct iommusim_domain *domain;
	struct iommusim_device *dev;
	struct iommusim_cpu *cpu;
	uint64_t dma, map, unmap;

	assert_int_equal(iommusim_firmware_create_null(f->mem, &fw), 0);
	assert_int_equal(iommusim_manual_clock_create(f->mem, &clock), 0);
	assert_int_equal(iommusim_device_create(f->mem, &dcfg, &dev), 0);
	assert_int_equal(iommusim_s390_device_init(dev, fw, &zcfg), 0);
	assert_int_equal(iommusim_s390_domain_create(f->mem, IOMMUSIM_KERNEL_6_7, &domain), 0);
	cfg.clock = clock;
	assert_int_equal(iommusim_dma_iommu_setup(dev, domain, &cfg), 0);
	assert_int_equal(iommusim_cpu_create(f->mem, 0, &cpu), 0);
	/* Warm the rcache so the pair below is the steady state. */
	for (int i = 0; i < 4; i++) {
		assert_int_equal(iommusim_dma_map_page(dev, cpu, 1ull << 32, 4096,
						       IOMMUSIM_DMA_TO_DEVICE, &dma), 0);
		iommusim_dma_unmap_page(dev, cpu, dma, 4096, IOMMUSIM_DMA_TO_DEVICE);
	}
	iommusim_cpu_work_reset(cpu);
	assert_int_equal(iommusim_dma_map_page(dev, cpu, 1ull << 32, 4096, IOMMUSIM_DMA_TO_DEVICE,
					       &dma), 0);
	map = iommusim_cost_cpu_cycles(f->cost, cpu);
	iommusim_cpu_work_reset(cpu);
	iommusim_dma_unmap_page(dev, cpu, dma, 4096, IOMMUSIM_DMA_TO_DEVICE);
	unmap = iommusim_cost_cpu_cycles(f->cost, cpu);
	assert_int_equal(map, 363);
	assert_int_equal(unmap, 310);
	assert_int_equal(iommusim_cost_cycles_to_ns(f->cost, map), 70);
	assert_int_equal(iommusim_cost_cycles_to_ns(f->cost, unmap), 60);
	assert_true(iommusim_cost_cycles_to_ns(f->cost, map) >= 50);
	assert_true(iommusim_cost_cycles_to_ns(f->cost, unmap) <= 200);

	iommusim_cpu_destroy(cpu);
	iommusim_device_destroy(dev);
	iommusim_domain_destroy(domain);
	iommusim_firmware_destroy(fw);
	iommusim_clock_destroy(clock);
}

static void test_cost_profiles_are_valid(void **state)
{
	static const char *const shared[] = { "zpci.tlb_refresh", "nvme.submit_ns",
					      "nvme.complete_ns" };

	(void)state;
	assert_int_equal(iommusim_cost_profile_count(), 5);
	assert_null(iommusim_cost_profile(5));
	assert_string_equal(iommusim_cost_profile(0)->name, "lpar");
	assert_string_equal(iommusim_cost_profile(1)->name, "zvm");
	assert_string_equal(iommusim_cost_profile(2)->name, "kvm");
	assert_string_equal(iommusim_cost_profile(3)->name, "kvm-qemu7.2");
	assert_string_equal(iommusim_cost_profile(4)->name, "kvm-qemu7.1");
	for (size_t i = 0; i < iommusim_cost_profile_count(); i++) {
		const struct iommusim_cost_profile *p = iommusim_cost_profile(i);

		/* a profile configures one kind, named as the kind or as a generation of it */
		assert_true(!strcmp(p->platform, "lpar") || !strcmp(p->platform, "zvm") ||
			    !strcmp(p->platform, "kvm"));
		assert_int_equal(strncmp(p->name, p->platform, strlen(p->platform)), 0);

		assert_true(strlen(p->summary) >= 20);
		assert_true(p->nsettings > 0);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(p->name, iommusim_cost_profile(j)->name);
		for (size_t s = 0; s < p->nsettings; s++) {
			const struct iommusim_cost_param *d;
			uint64_t v = p->settings[s].value;

			d = iommusim_cost_param(p->settings[s].id);
			assert_non_null(d);
			assert_true(v >= d->min && v <= d->max);
			if (d->flags & IOMMUSIM_COST_POW2)
				assert_int_equal(v & (v - 1), 0);
			/* Table order, so each key once. */
			if (s)
				assert_true(p->settings[s - 1].id < p->settings[s].id);
		}
		/* Every profile sets the shared keys, so the result does not depend on defaults. */
		for (size_t k = 0; k < sizeof(shared) / sizeof(shared[0]); k++) {
			bool found = false;

			for (size_t s = 0; s < p->nsettings; s++)
				found |= p->settings[s].id == id_of(shared[k]);
			assert_true(found);
		}
	}
}

/* A fitted parameter is an estimate whose fit lives in a profile (docs/calibration.md). */
static void test_cost_fitted_parameters_are_estimates_set_by_profiles(void **state)
{
	size_t nfitted = 0;

	(void)state;
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		const struct iommusim_cost_param *d = iommusim_cost_param((enum iommusim_cost_id)i);
		bool in_profile = false;

		if (!(d->flags & IOMMUSIM_COST_FITTED))
			continue;
		nfitted++;
		assert_true(d->flags & IOMMUSIM_COST_EST);
		for (size_t p = 0; p < iommusim_cost_profile_count(); p++) {
			const struct iommusim_cost_profile *pr = iommusim_cost_profile(p);

			for (size_t k = 0; k < pr->nsettings; k++)
				in_profile |= pr->settings[k].id == (enum iommusim_cost_id)i;
		}
		assert_true(in_profile);
	}
	/* one per observation that needed a fit: O1 and O3 */
	assert_int_equal(nfitted, 2);
	assert_true(iommusim_cost_param(IOMMUSIM_COST_KVM_TRAP_LOCKED_NS)->flags &
		    IOMMUSIM_COST_FITTED);
	assert_true(iommusim_cost_param(IOMMUSIM_COST_ZVM_SEGMENT_NS)->flags &
		    IOMMUSIM_COST_FITTED);
}

static void test_cost_profiles_change_the_right_values(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(iommusim_cost_apply_profile(f->cost, "lpar", f->err, sizeof(f->err)), 0);
	assert_string_equal(iommusim_cost_profile_name(f->cost), "lpar");
	assert_int_equal(val(f, "zpci.tlb_refresh"), 0);
	assert_int_equal(val(f, "nvme.submit_ns"), 1000);
	assert_int_equal(val(f, "nvme.complete_ns"), 1500);
	assert_int_equal(iommusim_cost_origin(f->cost, IOMMUSIM_COST_ZPCI_TLB_REFRESH),
			 IOMMUSIM_COST_FROM_PROFILE);
	/* Nothing else moves. */
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		enum iommusim_cost_id id = (enum iommusim_cost_id)i;

		if (id == IOMMUSIM_COST_ZPCI_TLB_REFRESH || id == IOMMUSIM_COST_NVME_SUBMIT_NS ||
		    id == IOMMUSIM_COST_NVME_COMPLETE_NS)
			continue;
		assert_int_equal(iommusim_cost_get(f->cost, id),
				 iommusim_cost_param(id)->default_value);
		assert_int_equal(iommusim_cost_origin(f->cost, id), IOMMUSIM_COST_FROM_DEFAULT);
	}

	assert_int_equal(iommusim_cost_configure(f->cost, "zvm", NULL, 0, f->err, sizeof(f->err),
						 NULL), 0);
	assert_string_equal(iommusim_cost_profile_name(f->cost), "zvm");
	assert_int_equal(val(f, "zpci.tlb_refresh"), 1);
	assert_int_equal(val(f, "nvme.submit_ns"), 1500);
	assert_int_equal(val(f, "nvme.complete_ns"), 3000);

	/* The generations (docs/sources.md S4, S5): 7.1 has none of the three switches. */
	assert_int_equal(iommusim_cost_configure(f->cost, "kvm-qemu7.1", NULL, 0, f->err,
						 sizeof(f->err), NULL), 0);
	assert_int_equal(val(f, "qemu.unmap_coalesce"), 0);
	assert_int_equal(val(f, "qemu.second_pass"), 0);
	assert_int_equal(val(f, "qemu.aperture_shrink"), 0);
	assert_int_equal(val(f, "host.flush_on_map"), 1);
	assert_int_equal(val(f, "nvme.complete_ns"), 2000);

	/* 7.2 added only the second pass. */
	assert_int_equal(iommusim_cost_configure(f->cost, "kvm-qemu7.2", NULL, 0, f->err,
						 sizeof(f->err), NULL), 0);
	assert_int_equal(val(f, "qemu.unmap_coalesce"), 0);
	assert_int_equal(val(f, "qemu.second_pass"), 1);
	assert_int_equal(val(f, "qemu.aperture_shrink"), 0);
	assert_int_equal(val(f, "host.flush_on_map"), 1);

	/* 8.0 has coalescing and the shrink; its hosts (>= 6.2) no longer flush on map. */
	assert_int_equal(iommusim_cost_configure(f->cost, "kvm", NULL, 0, f->err, sizeof(f->err),
						 NULL), 0);
	assert_int_equal(val(f, "qemu.unmap_coalesce"), 1);
	assert_int_equal(val(f, "qemu.aperture_shrink"), 1);
	assert_int_equal(val(f, "host.flush_on_map"), 0);
	assert_int_equal(val(f, "zpci.tlb_refresh"), 1);
	assert_int_equal(iommusim_cost_origin(f->cost, IOMMUSIM_COST_QEMU_SECOND_PASS),
			 IOMMUSIM_COST_FROM_PROFILE);
	assert_int_equal(iommusim_cost_origin(f->cost, IOMMUSIM_COST_QEMU_WALK_NS),
			 IOMMUSIM_COST_FROM_DEFAULT);
}

static void test_cost_overrides_win_over_profile(void **state)
{
	struct fixture *f = *state;
	const char *sets[] = { "zpci.tlb_refresh=1", "nvme.complete_ns=1234", "qemu.walk_ns=100",
			       "qemu.walk_ns=250" };
	long bad = 99;

	assert_int_equal(iommusim_cost_configure(f->cost, "lpar", sets, 4, f->err, sizeof(f->err),
						 &bad), 0);
	assert_int_equal(bad, -1);
	assert_string_equal(iommusim_cost_profile_name(f->cost), "lpar");
	assert_int_equal(val(f, "zpci.tlb_refresh"), 1);
	assert_int_equal(val(f, "nvme.complete_ns"), 1234);
	assert_int_equal(val(f, "nvme.submit_ns"), 1000);
	assert_int_equal(val(f, "qemu.walk_ns"), 250);
	assert_int_equal(iommusim_cost_origin(f->cost, IOMMUSIM_COST_ZPCI_TLB_REFRESH),
			 IOMMUSIM_COST_FROM_SET);
	assert_int_equal(iommusim_cost_origin(f->cost, IOMMUSIM_COST_NVME_SUBMIT_NS),
			 IOMMUSIM_COST_FROM_PROFILE);
	/* configure starts from the defaults: an earlier configuration leaves nothing behind. */
	assert_int_equal(iommusim_cost_configure(f->cost, NULL, NULL, 0, NULL, 0, &bad), 0);
	assert_null(iommusim_cost_profile_name(f->cost));
	assert_int_equal(val(f, "qemu.walk_ns"), 150);
	assert_int_equal(val(f, "nvme.complete_ns"), 2000);
}

static void test_cost_configure_failure_changes_nothing(void **state)
{
	struct fixture *f = *state;
	const char *sets[] = { "qemu.walk_ns=100", "qemu.hash_ns=1000", "qemu.walk_ns=200" };
	long bad = 99;

	set_ok(f, "kvm.trap_locked_ns=6000");
	assert_int_equal(iommusim_cost_configure(f->cost, "zvm", sets, 3, f->err, sizeof(f->err),
						 &bad), -ERANGE);
	assert_int_equal(bad, 1);
	assert_string_equal(f->err, "qemu.hash_ns: 1000 is out of range [20, 100] ns");
	assert_int_equal(val(f, "kvm.trap_locked_ns"), 6000);
	assert_int_equal(val(f, "qemu.walk_ns"), 150);
	assert_int_equal(val(f, "nvme.complete_ns"), 2000);
	assert_null(iommusim_cost_profile_name(f->cost));

	assert_int_equal(iommusim_cost_configure(f->cost, "kmv", sets, 1, f->err, sizeof(f->err),
						 &bad), -ENOENT);
	assert_int_equal(bad, -1);
	assert_string_equal(f->err, "unknown profile 'kmv' (lpar, zvm, kvm, kvm-qemu7.2, kvm-qemu7.1)");
	assert_int_equal(iommusim_cost_apply_profile(f->cost, "LPAR", f->err, sizeof(f->err)),
			 -ENOENT);
	assert_string_equal(f->err, "unknown profile 'LPAR' (lpar, zvm, kvm, kvm-qemu7.2, kvm-qemu7.1)");
	assert_int_equal(val(f, "kvm.trap_locked_ns"), 6000);
	assert_int_equal(val(f, "zpci.tlb_refresh"), 1);
	assert_int_equal(iommusim_cost_origin(f->cost, IOMMUSIM_COST_KVM_TRAP_LOCKED_NS),
			 IOMMUSIM_COST_FROM_SET);
}

static void test_cost_reset_restores_defaults(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(iommusim_cost_apply_profile(f->cost, "lpar", NULL, 0), 0);
	set_ok(f, "cpu.freq_mhz=2000");
	iommusim_cost_reset(f->cost);
	assert_null(iommusim_cost_profile_name(f->cost));
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		enum iommusim_cost_id id = (enum iommusim_cost_id)i;

		assert_int_equal(iommusim_cost_get(f->cost, id),
				 iommusim_cost_param(id)->default_value);
		assert_int_equal(iommusim_cost_origin(f->cost, id), IOMMUSIM_COST_FROM_DEFAULT);
	}
	assert_int_equal(iommusim_cost_cycles(f->cost, IOMMUSIM_COST_QEMU_WALK_NS), 780);
	assert_string_equal(iommusim_cost_origin_name(IOMMUSIM_COST_FROM_DEFAULT), "default");
	assert_string_equal(iommusim_cost_origin_name(IOMMUSIM_COST_FROM_PROFILE), "profile");
	assert_string_equal(iommusim_cost_origin_name(IOMMUSIM_COST_FROM_SET), "set");
	assert_string_equal(iommusim_cost_origin_name((enum iommusim_cost_origin)7), "unknown");
}

static char *json_of(const struct iommusim_cost *cost)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(iommusim_cost_write_json(cost, f), 0);
	fclose(f);
	return buf;
}

static void test_cost_listing_order_is_stable(void **state)
{
	struct fixture *f = *state;
	char *a, *b, *c;
	const char *at;

	a = json_of(f->cost);
	/* The same values however they were reached give the same bytes. */
	assert_int_equal(iommusim_cost_apply_profile(f->cost, "zvm", NULL, 0), 0);
	set_ok(f, "qemu.walk_ns=77");
	iommusim_cost_reset(f->cost);
	b = json_of(f->cost);
	assert_string_equal(a, b);
	assert_int_equal(strncmp(a, "{\"cpu.freq_mhz\": 5200, \"guest.dma_map_cycles\": 250, ", 52),
			 0);
	assert_int_equal(a[strlen(a) - 1], '}');
	/* Every name, once, in enum order. */
	at = a;
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		char key[80];
		const char *hit;

		snprintf(key, sizeof(key), "\"%s\": ",
			 iommusim_cost_param((enum iommusim_cost_id)i)->name);
		hit = strstr(at, key);
		assert_non_null(hit);
		assert_null(strstr(hit + 1, key));
		at = hit + strlen(key);
	}
	set_ok(f, "qemu.walk_ns=77");
	c = json_of(f->cost);
	assert_non_null(strstr(c, "\"qemu.walk_ns\": 77, \"qemu.hash_ns\": 40,"));
	free(a);
	free(b);
	free(c);
}

/* A backend that fails, to see -ENOMEM come back. */
static void *no_alloc(void *arg, size_t size, size_t align)
{
	(void)arg;
	(void)size;
	(void)align;
	return NULL;
}

static void no_free(void *arg, void *ptr, size_t size, size_t align)
{
	(void)arg;
	(void)ptr;
	(void)size;
	(void)align;
}

static void test_cost_create_out_of_memory(void **state)
{
	static const struct iommusim_mem_ops ops = { no_alloc, no_free };
	struct iommusim_mem *mem;
	struct iommusim_cost *cost = NULL;

	(void)state;
	assert_int_equal(iommusim_mem_create_custom(&ops, NULL, &mem), 0);
	assert_int_equal(iommusim_cost_create(mem, &cost), -ENOMEM);
	assert_null(cost);
	iommusim_cost_destroy(NULL);
	iommusim_mem_destroy(mem);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/*
 * A DMA call's own part is work the DMA API reports, one unit per call whatever its size,
 * priced at guest.dma_map_cycles / guest.dma_unmap_cycles: with the legacy s390 ops as with
 * dma-iommu (above), and the price follows an override.
 */
static void test_cost_legacy_dma_calls_priced_per_call(void **state)
{
	struct fixture *f = *state;
	struct iommusim_device_config dcfg = {
		.name = "nvme",
		.pci = true,
		.dma_mask = ~0ull,
		.coherent_dma_mask = ~0ull,
	};
	struct iommusim_zpci_config zcfg = {
		.fh = 1,
		.tlb_refresh = true,
		.start_dma = IOMMUSIM_ZPCI_QEMU_START_DMA,
		.end_dma = IOMMUSIM_ZPCI_QEMU_END_DMA,
		.guest_memory = 16ull << 30,
	};
	struct iommusim_s390_legacy_config lcfg = {.strict = true};
	struct iommusim_sg sg[2] = {
		{.phys = 1ull << 32, .length = 4096},
		{.phys = 1ull << 33, .length = 4096},
	};
	struct iommusim_firmware *fw;
	struct iommusim_device *dev;
	struct iommusim_cpu *cpu;
	uint64_t dma, before;
	unsigned int n;

	assert_int_equal(iommusim_firmware_create_null(f->mem, &fw), 0);
	assert_int_equal(iommusim_device_create(f->mem, &dcfg, &dev), 0);
	assert_int_equal(iommusim_s390_device_init(dev, fw, &zcfg), 0);
	assert_int_equal(iommusim_s390_legacy_dma_setup(dev, &lcfg), 0);
	assert_int_equal(iommusim_cpu_create(f->mem, 0, &cpu), 0);

	assert_int_equal(
		iommusim_dma_map_page(dev, cpu, 1ull << 32, 3 * 4096, IOMMUSIM_DMA_TO_DEVICE, &dma),
		0);
	assert_int_equal(iommusim_cpu_work(cpu, IOMMUSIM_WORK_DMA_MAP), 1);
	assert_int_equal(iommusim_cpu_work(cpu, IOMMUSIM_WORK_DMA_UNMAP), 0);
	before = iommusim_cost_cpu_cycles(f->cost, cpu);
	set_ok(f, "guest.dma_map_cycles=400");
	assert_int_equal(iommusim_cost_cpu_cycles(f->cost, cpu), before + 400 - 250);
	iommusim_cpu_work_reset(cpu);
	iommusim_dma_unmap_page(dev, cpu, dma, 3 * 4096, IOMMUSIM_DMA_TO_DEVICE);
	assert_int_equal(iommusim_cpu_work(cpu, IOMMUSIM_WORK_DMA_MAP), 0);
	assert_int_equal(iommusim_cpu_work(cpu, IOMMUSIM_WORK_DMA_UNMAP), 1);
	before = iommusim_cost_cpu_cycles(f->cost, cpu);
	set_ok(f, "guest.dma_unmap_cycles=300");
	assert_int_equal(iommusim_cost_cpu_cycles(f->cost, cpu), before + 300 - 200);

	iommusim_cpu_work_reset(cpu);
	assert_int_equal(iommusim_dma_map_sg(dev, cpu, sg, 2, IOMMUSIM_DMA_FROM_DEVICE, &n), 0);
	iommusim_dma_unmap_sg(dev, cpu, sg, 2, IOMMUSIM_DMA_FROM_DEVICE);
	assert_int_equal(iommusim_cpu_work(cpu, IOMMUSIM_WORK_DMA_MAP), 1);
	assert_int_equal(iommusim_cpu_work(cpu, IOMMUSIM_WORK_DMA_UNMAP), 1);

	iommusim_cpu_destroy(cpu);
	iommusim_device_destroy(dev);
	iommusim_firmware_destroy(fw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_cost_table_defaults_within_range),
		T(test_cost_table_names_unique_dotted_snake_case),
		T(test_cost_table_rows_documented),
		T(test_cost_table_holds_spec_values),
		T(test_cost_work_kinds_have_named_costs),
		T(test_cost_create_holds_defaults),
		T(test_cost_set_get_round_trip),
		T(test_cost_set_unknown_key_names_key_and_suggestion),
		T(test_cost_set_malformed_rejected),
		T(test_cost_set_out_of_range_rejected),
		T(test_cost_errbuf_optional_and_bounded),
		T(test_cost_cycles_follow_frequency),
		T(test_cost_cpu_cycles_sums_work),
		T(test_cost_guest_map_unmap_within_spec_range),
		T(test_cost_legacy_dma_calls_priced_per_call),
		T(test_cost_profiles_are_valid),
		T(test_cost_fitted_parameters_are_estimates_set_by_profiles),
		T(test_cost_profiles_change_the_right_values),
		T(test_cost_overrides_win_over_profile),
		T(test_cost_configure_failure_changes_nothing),
		T(test_cost_reset_restores_defaults),
		T(test_cost_listing_order_is_stable),
		cmocka_unit_test(test_cost_create_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

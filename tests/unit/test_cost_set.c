/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of overriding the cost table's parameters (sim/cost/): set and get round trips,
 * unknown keys named with a suggestion, malformed and out-of-range values rejected, the
 * optional and bounded error buffer.
 */
#include "cost_unit_fixture.h"

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
	assert_string_equal(
		iommusim_cost_choice_name(IOMMUSIM_COST_S390_ENOMEM, val(f, "s390.enomem")),
		"none");
	assert_null(iommusim_cost_choice_name(IOMMUSIM_COST_S390_ENOMEM, 3));
	assert_null(iommusim_cost_choice_name(IOMMUSIM_COST_QEMU_WALK_NS, 0));
	set_ok(f, "dma.fq_size=1024");
	set_ok(f, "dma.fq_size=0");
	/* By id, with the same checks. */
	assert_int_equal(iommusim_cost_set_value(f->cost, IOMMUSIM_COST_KVM_TRAP_LOCKED_NS, 7000,
						 f->err, sizeof(f->err)),
			 0);
	assert_int_equal(val(f, "kvm.trap_locked_ns"), 7000);
	assert_int_equal(iommusim_cost_set_value(f->cost, IOMMUSIM_COST_KVM_TRAP_LOCKED_NS, 98501,
						 f->err, sizeof(f->err)),
			 -ERANGE);
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
		assert_int_equal(iommusim_cost_set(f->cost, key, f->err, sizeof(f->err)), -ENOENT);
		assert_null(strchr(f->err, '\n'));
		assert_true(strlen(f->err) < sizeof(f->err));
		assert_non_null(strstr(f->err, "(did you mean '"));
	}
}

SUITE_MAIN(T(test_cost_set_get_round_trip), T(test_cost_set_unknown_key_names_key_and_suggestion),
	   T(test_cost_set_malformed_rejected), T(test_cost_set_out_of_range_rejected),
	   T(test_cost_errbuf_optional_and_bounded))

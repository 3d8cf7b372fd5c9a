/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the cost table's own rules (sim/cost/): defaults inside their ranges, unique
 * dotted snake-case names, every row documented, the values of the specification, a named cost
 * for every kind of work, a new table's defaults, the stable order of the listing and creation
 * out of memory.
 */
#include "cost_unit_fixture.h"

static bool snake(const char *s, size_t n)
{
	if (n == 0 || s[0] < 'a' || s[0] > 'z' || s[n - 1] == '_')
		return false;
	for (size_t i = 0; i < n; i++) {
		bool ok =
			(s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_';

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
		{"_ns", IOMMUSIM_COST_UNIT_NS},		{"_ms", IOMMUSIM_COST_UNIT_MS},
		{"_cycles", IOMMUSIM_COST_UNIT_CYCLES}, {"_mhz", IOMMUSIM_COST_UNIT_MHZ},
		{"_pages", IOMMUSIM_COST_UNIT_PAGES},
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
		{"kvm.trap_unlocked_ns", 1500, 300, 20000, true},
		{"kvm.trap_locked_ns", 3500, 1000, 98500, true},
		{"qemu.walk_ns", 150, 60, 300, true},
		{"qemu.hash_ns", 40, 20, 100, true},
		{"qemu.hash_insert_ns", 80, 40, 200, true},
		{"vfio.map_ioctl_ns", 4000, 2000, 10000, true},
		{"vfio.unmap_ioctl_ns", 1000, 500, 2000, true},
		{"vfio.unmap_entry_ns", 1000, 500, 3000, true},
		{"host.iotlb_inv_ns", 500, 300, 2000, true},
		{"qemu.serialize_rpcit", 1, 0, 1, false},
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

		snprintf(key, sizeof(key),
			 "\"%s\": ", iommusim_cost_param((enum iommusim_cost_id)i)->name);
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
	static const struct iommusim_mem_ops ops = {no_alloc, no_free};
	struct iommusim_mem *mem;
	struct iommusim_cost *cost = NULL;

	(void)state;
	assert_int_equal(iommusim_mem_create_custom(&ops, NULL, &mem), 0);
	assert_int_equal(iommusim_cost_create(mem, &cost), -ENOMEM);
	assert_null(cost);
	iommusim_cost_destroy(NULL);
	iommusim_mem_destroy(mem);
}

SUITE_MAIN(T(test_cost_table_defaults_within_range),
	   T(test_cost_table_names_unique_dotted_snake_case), T(test_cost_table_rows_documented),
	   T(test_cost_table_holds_spec_values), T(test_cost_work_kinds_have_named_costs),
	   T(test_cost_create_holds_defaults), T(test_cost_listing_order_is_stable),
	   cmocka_unit_test(test_cost_create_out_of_memory))

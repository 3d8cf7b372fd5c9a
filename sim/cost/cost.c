/* SPDX-License-Identifier: MIT */
/*
 * Cost sets: one resolved value per parameter of the table in cost_table.c, with lookup by id
 * and by name, values set by id with their checks, named profiles, and the conversions from
 * time to cycles the engine needs on every charge (kept precomputed, so a charge is an array
 * read). NAME=VALUE text is read in cost_parse.c, the "did you mean" is cost_suggest.c, the
 * JSON form cost_json.c.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/cpu_work.h"
#include "base/memory.h"
#include "cost/cost_internal.h"

static const char *const unit_names[IOMMUSIM_COST_UNIT_NR] = {
	[IOMMUSIM_COST_UNIT_NS] = "ns",		[IOMMUSIM_COST_UNIT_MS] = "ms",
	[IOMMUSIM_COST_UNIT_CYCLES] = "cycles", [IOMMUSIM_COST_UNIT_MHZ] = "MHz",
	[IOMMUSIM_COST_UNIT_COUNT] = "count",	[IOMMUSIM_COST_UNIT_PAGES] = "pages",
	[IOMMUSIM_COST_UNIT_BOOL] = "bool",	[IOMMUSIM_COST_UNIT_CHOICE] = "choice",
	[IOMMUSIM_COST_UNIT_IOPS] = "IOPS",	[IOMMUSIM_COST_UNIT_MBPS] = "MB/s",
};

void isim_cost_errmsg(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!errbuf || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

/* round(a * b / d), half up, saturating; d > 0. Split so a * b cannot overflow silently. */
static uint64_t muldiv_round(uint64_t a, uint64_t b, uint64_t d)
{
	uint64_t q = a / d, r = a % d, hi, lo;

	/*
	 * a * b / d = q * b + (r * b) / d; d and b are a few thousand at most: r * b is exact.
	 * The overflow test is the multiply's own, not a division: a hypervisor's RPCIT converts
	 * its work here every time.
	 */
	if (__builtin_mul_overflow(q, b, &hi))
		return UINT64_MAX;
	lo = (r * b + d / 2) / d;
	return hi > UINT64_MAX - lo ? UINT64_MAX : hi + lo;
}

static uint64_t to_cycles(const struct iommusim_cost *cost, enum iommusim_cost_unit unit,
			  uint64_t v)
{
	uint64_t mhz = cost->value[IOMMUSIM_COST_CPU_FREQ_MHZ];

	switch (unit) {
	case IOMMUSIM_COST_UNIT_NS:
		return muldiv_round(v, mhz, 1000);
	case IOMMUSIM_COST_UNIT_MS:
		/* 1 ms = 1000 us, and one us is mhz cycles. */
		return v > UINT64_MAX / 1000 / mhz ? UINT64_MAX : v * 1000 * mhz;
	case IOMMUSIM_COST_UNIT_CYCLES:
		return v;
	default:
		return 0;
	}
}

/* Bring every derived value up to date; a change of frequency affects all of them. */
static void refresh(struct iommusim_cost *cost)
{
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++)
		cost->cycles[i] = to_cycles(cost, isim_cost_table[i].unit, cost->value[i]);
	for (unsigned int k = 0; k < IOMMUSIM_WORK_NR; k++)
		cost->work_cycles[k] = cost->cycles[isim_cost_work_param[k]];
}

static void set_defaults(struct iommusim_cost *cost)
{
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		cost->value[i] = isim_cost_table[i].default_value;
		cost->origin[i] = IOMMUSIM_COST_FROM_DEFAULT;
	}
	cost->profile = NULL;
	refresh(cost);
}

int iommusim_cost_create(struct iommusim_mem *mem, struct iommusim_cost **out)
{
	struct iommusim_cost *cost = isim_alloc(mem, sizeof(*cost), 0);

	if (!cost)
		return -ENOMEM;
	cost->mem = mem;
	set_defaults(cost);
	*out = cost;
	return 0;
}

void iommusim_cost_destroy(struct iommusim_cost *cost)
{
	if (cost)
		isim_free(cost->mem, cost, sizeof(*cost), 0);
}

void iommusim_cost_reset(struct iommusim_cost *cost)
{
	assert(cost);
	set_defaults(cost);
}

static const struct iommusim_cost_profile *find_profile(const char *name)
{
	for (size_t i = 0; i < isim_cost_nr_profiles; i++)
		if (!strcmp(isim_cost_profiles[i].name, name))
			return &isim_cost_profiles[i];
	return NULL;
}

int iommusim_cost_apply_profile(struct iommusim_cost *cost, const char *name, char *errbuf,
				size_t errlen)
{
	const struct iommusim_cost_profile *p;

	assert(cost && name);
	p = find_profile(name);
	if (!p) {
		char list[256];
		size_t used = 0;

		list[0] = '\0';
		for (size_t i = 0; i < isim_cost_nr_profiles && used < sizeof(list); i++)
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
						 i ? ", " : "", isim_cost_profiles[i].name);
		isim_cost_errmsg(errbuf, errlen, "unknown profile '%s' (%s)", name, list);
		return -ENOENT;
	}
	for (size_t i = 0; i < p->nsettings; i++) {
		const struct iommusim_cost_setting *s = &p->settings[i];

		assert(s->value >= isim_cost_table[s->id].min &&
		       s->value <= isim_cost_table[s->id].max);
		cost->value[s->id] = s->value;
		cost->origin[s->id] = IOMMUSIM_COST_FROM_PROFILE;
	}
	cost->profile = p;
	refresh(cost);
	return 0;
}

/* The range check shared by every way of setting a value; the message names key and range. */
int isim_cost_check_value(enum iommusim_cost_id id, const char *text, uint64_t v, char *errbuf,
			  size_t errlen)
{
	const struct iommusim_cost_param *p = &isim_cost_table[id];

	if (v < p->min || v > p->max) {
		isim_cost_errmsg(errbuf, errlen, "%s: %s is out of range [%llu, %llu] %s", p->name,
				 text, (unsigned long long)p->min, (unsigned long long)p->max,
				 unit_names[p->unit]);
		return -ERANGE;
	}
	/* a queue of one slot holds nothing (one slot always stays free): 2 is the least */
	if ((p->flags & IOMMUSIM_COST_POW2) && v && (v < 2 || (v & (v - 1)))) {
		isim_cost_errmsg(
			errbuf, errlen,
			"%s: %s is not a power of two of at least 2 (0 keeps the policy default)",
			p->name, text);
		return -ERANGE;
	}
	return 0;
}

void isim_cost_store(struct iommusim_cost *cost, enum iommusim_cost_id id, uint64_t v)
{
	cost->value[id] = v;
	cost->origin[id] = IOMMUSIM_COST_FROM_SET;
	refresh(cost);
}

int iommusim_cost_set_value(struct iommusim_cost *cost, enum iommusim_cost_id id, uint64_t value,
			    char *errbuf, size_t errlen)
{
	char text[24];
	int err;

	assert(cost && (unsigned int)id < IOMMUSIM_COST_NR);
	snprintf(text, sizeof(text), "%llu", (unsigned long long)value);
	err = isim_cost_check_value(id, text, value, errbuf, errlen);
	if (!err)
		isim_cost_store(cost, id, value);
	return err;
}

int isim_cost_lookup_key(const char *key, size_t len, enum iommusim_cost_id *out)
{
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		const char *name = isim_cost_table[i].name;

		if (!strncmp(name, key, len) && name[len] == '\0') {
			*out = (enum iommusim_cost_id)i;
			return 0;
		}
	}
	return -ENOENT;
}

int iommusim_cost_lookup(const char *name, enum iommusim_cost_id *out)
{
	assert(name && out);
	return isim_cost_lookup_key(name, strlen(name), out);
}

int iommusim_cost_configure(struct iommusim_cost *cost, const char *profile,
			    const char *const *sets, size_t nsets, char *errbuf, size_t errlen,
			    long *bad)
{
	struct iommusim_cost scratch;
	int err = 0;

	assert(cost && (sets || !nsets));
	if (bad)
		*bad = -1;
	/* Work on a copy so a failure leaves @cost exactly as it was. */
	scratch = *cost;
	set_defaults(&scratch);
	if (profile)
		err = iommusim_cost_apply_profile(&scratch, profile, errbuf, errlen);
	for (size_t i = 0; i < nsets && !err; i++) {
		err = iommusim_cost_set(&scratch, sets[i], errbuf, errlen);
		if (err && bad)
			*bad = (long)i;
	}
	if (!err)
		*cost = scratch;
	return err;
}

uint64_t iommusim_cost_get(const struct iommusim_cost *cost, enum iommusim_cost_id id)
{
	assert((unsigned int)id < IOMMUSIM_COST_NR);
	return cost->value[id];
}

uint64_t iommusim_cost_cycles(const struct iommusim_cost *cost, enum iommusim_cost_id id)
{
	assert((unsigned int)id < IOMMUSIM_COST_NR);
	assert(isim_cost_table[id].unit == IOMMUSIM_COST_UNIT_NS ||
	       isim_cost_table[id].unit == IOMMUSIM_COST_UNIT_MS ||
	       isim_cost_table[id].unit == IOMMUSIM_COST_UNIT_CYCLES);
	return cost->cycles[id];
}

uint64_t iommusim_cost_work_cycles(const struct iommusim_cost *cost, enum iommusim_work kind)
{
	if ((unsigned int)kind >= IOMMUSIM_WORK_NR)
		return 0;
	return cost->work_cycles[kind];
}

uint64_t iommusim_cost_cpu_cycles(const struct iommusim_cost *cost, const struct iommusim_cpu *cpu)
{
	uint64_t sum = 0;

	assert(cost && cpu);
	for (unsigned int k = 0; k < IOMMUSIM_WORK_NR; k++) {
		uint64_t n = cpu->work[k], c = cost->work_cycles[k];

		if (c && n > (UINT64_MAX - sum) / c)
			return UINT64_MAX;
		sum += n * c;
	}
	return sum;
}

uint64_t iommusim_cost_ns_to_cycles(const struct iommusim_cost *cost, uint64_t ns)
{
	return muldiv_round(ns, cost->value[IOMMUSIM_COST_CPU_FREQ_MHZ], 1000);
}

uint64_t iommusim_cost_cycles_to_ns(const struct iommusim_cost *cost, uint64_t cycles)
{
	return muldiv_round(cycles, 1000, cost->value[IOMMUSIM_COST_CPU_FREQ_MHZ]);
}

enum iommusim_cost_origin iommusim_cost_origin(const struct iommusim_cost *cost,
					       enum iommusim_cost_id id)
{
	assert((unsigned int)id < IOMMUSIM_COST_NR);
	return (enum iommusim_cost_origin)cost->origin[id];
}

const char *iommusim_cost_origin_name(enum iommusim_cost_origin origin)
{
	switch (origin) {
	case IOMMUSIM_COST_FROM_DEFAULT:
		return "default";
	case IOMMUSIM_COST_FROM_PROFILE:
		return "profile";
	case IOMMUSIM_COST_FROM_SET:
		return "set";
	}
	return "unknown";
}

const char *iommusim_cost_profile_name(const struct iommusim_cost *cost)
{
	return cost->profile ? cost->profile->name : NULL;
}

const struct iommusim_cost_param *iommusim_cost_param(enum iommusim_cost_id id)
{
	if ((unsigned int)id >= IOMMUSIM_COST_NR)
		return NULL;
	return &isim_cost_table[id];
}

const char *iommusim_cost_unit_name(enum iommusim_cost_unit unit)
{
	if ((unsigned int)unit >= IOMMUSIM_COST_UNIT_NR)
		return "unknown";
	return unit_names[unit];
}

size_t iommusim_cost_profile_count(void)
{
	return isim_cost_nr_profiles;
}

const struct iommusim_cost_profile *iommusim_cost_profile(size_t index)
{
	return index < isim_cost_nr_profiles ? &isim_cost_profiles[index] : NULL;
}

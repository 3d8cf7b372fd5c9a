/* SPDX-License-Identifier: MIT */
/*
 * The grid of a sweep: every value of compare's that holds a list ("256,1024") or a range
 * ("1..64*2") is an axis, and the grid is their product, the first axis given varying
 * slowest. Each point is a compare_opts of its own with single values, checked and with its
 * costs resolved on every platform before the first run, so that a bad value anywhere in the
 * grid is one line and exit status 2, not a failure an hour in.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sweep.h"

#define CMD "sweep"

static bool is_list(const char *v)
{
	return strchr(v, ',') || strstr(v, "..");
}

/* A range's end: digits with an optional k, m, g or t (1024-based); 0 or -1. */
static int parse_end(const char *s, const char *end, uint64_t *out)
{
	static const char units[] = "kmgt";
	uint64_t v = 0, mult = 1;

	if (s == end || *s < '0' || *s > '9')
		return -1;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (s < end) {
		const char *u = strchr(units, *s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);

		if (!*s || !u || s + 1 != end)
			return -1;
		for (const char *p = units; p <= u; p++)
			mult <<= 10;
		if (v > UINT64_MAX / mult)
			return -1;
	}
	*out = v * mult;
	return 0;
}

static int add_value(struct sweep_axis *a, const char *s, size_t len)
{
	char **v;

	if (a->nvalues == SWEEP_MAX_VALUES)
		return -E2BIG;
	v = realloc(a->values, (a->nvalues + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	a->values = v;
	v[a->nvalues] = strndup(s, len);
	if (!v[a->nvalues])
		return -ENOMEM;
	a->nvalues++;
	return 0;
}

/* "A..B" (step 1), "A..B+S" or "A..B*F", A <= B, each value a decimal number. */
static int add_range(struct sweep_axis *a, const char *s, size_t len)
{
	const char *dots = strstr(s, ".."), *end = s + len, *op;
	uint64_t lo, hi, step = 1;
	bool mul = false;
	char num[24];
	int err;

	op = dots + 2;
	while (op < end && *op != '*' && *op != '+')
		op++;
	if (parse_end(s, dots, &lo) || parse_end(dots + 2, op, &hi) || lo > hi)
		return -EINVAL;
	if (op < end) {
		mul = *op == '*';
		if (parse_end(op + 1, end, &step) || step < (mul ? 2 : 1))
			return -EINVAL;
	}
	if (mul && lo == 0)
		return -EINVAL;
	for (uint64_t v = lo;;) {
		snprintf(num, sizeof(num), "%" PRIu64, v);
		err = add_value(a, num, strlen(num));
		if (err)
			return err;
		if (mul ? v > hi / step : hi - v < step)
			return 0;
		v = mul ? v * step : v + step;
		if (v > hi)
			return 0;
	}
}

/* The comma-separated items of @list, each a value or a range. */
static int parse_axis(struct sweep_axis *a, const char *opt, const char *list)
{
	char shown[160];

	for (const char *s = list;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		char item[128];
		const char *dots;
		int err;

		snprintf(item, sizeof(item), "%.*s", (int)len, s);
		dots = strstr(item, "..");
		err = !len   ? -EINVAL
		      : dots ? add_range(a, item, strlen(item))
			     : add_value(a, s, len);
		if (err == -ENOMEM) {
			fprintf(stderr, CMD ": out of memory\n");
			return -1;
		}
		if (err == -E2BIG) {
			fprintf(stderr, CMD ": %s: more than %d values\n", opt, SWEEP_MAX_VALUES);
			return -1;
		}
		if (err) {
			fprintf(stderr,
				CMD
				": %s: '%s' is not a value or a range A..B, A..B+STEP, A..B*FACTOR "
				"(A <= B)\n",
				opt, cli_shown(item, shown, sizeof(shown)));
			return -1;
		}
		if (!comma)
			return 0;
		s = comma + 1;
	}
}

/* The name --set @s gives, up to '=' (the whole text when there is none). */
static size_t set_key_len(const char *s)
{
	const char *eq = strchr(s, '=');

	return eq ? (size_t)(eq - s) : strlen(s);
}

static int new_axis(struct sweep *sw, const char *key, bool set, size_t index)
{
	struct sweep_axis *a = realloc(sw->axes, (sw->naxes + 1) * sizeof(*a));

	if (!a)
		return -1;
	sw->axes = a;
	a[sw->naxes] = (struct sweep_axis){.key = key, .set = set, .index = index};
	sw->naxes++;
	return 0;
}

/* The axes, in the order the command line gives them. */
static int find_axes(struct sweep *sw)
{
	const struct compare_opts *o = &sw->base;
	char opt[32];

	for (size_t i = 0; i < COMPARE_WL_OPTS; i++) {
		if (!o->wl_text[i] || !is_list(o->wl_text[i]))
			continue;
		snprintf(opt, sizeof(opt), "--%s", iommusim_sim_option_name(i));
		if (new_axis(sw, iommusim_sim_option_name(i), false, i) ||
		    parse_axis(&sw->axes[sw->naxes - 1], opt, o->wl_text[i]))
			return -1;
	}
	for (size_t i = 0; i < o->nsets; i++) {
		const char *s = o->sets[i], *eq = strchr(s, '=');
		size_t klen = set_key_len(s);
		enum iommusim_cost_id id;
		char key[128];

		if (!eq || !is_list(eq + 1))
			continue;
		snprintf(key, sizeof(key), "%.*s", (int)klen, s);
		if (iommusim_cost_lookup(key, &id)) {
			fprintf(stderr, CMD ": --set: unknown parameter '%s'\n", key);
			return -1;
		}
		/* A swept key set again elsewhere would hide part of the sweep. */
		for (size_t j = 0; j < o->nsets; j++) {
			if (j != i && set_key_len(o->sets[j]) == klen &&
			    !strncmp(o->sets[j], s, klen)) {
				fprintf(stderr, CMD ": --set: %s is swept and also set\n", key);
				return -1;
			}
		}
		if (new_axis(sw, iommusim_cost_param(id)->name, true, i) ||
		    parse_axis(&sw->axes[sw->naxes - 1], "--set", eq + 1))
			return -1;
	}
	return 0;
}

/* Where @text lies in the command line as typed (its word's index), to order the axes. */
static int arg_position(const struct compare_opts *o, const char *text)
{
	for (int i = 0; i < o->nargs; i++)
		if (text >= o->args[i] && text <= o->args[i] + strlen(o->args[i]))
			return i;
	return o->nargs;
}

static int axis_position(const struct sweep *sw, const struct sweep_axis *a)
{
	const struct compare_opts *o = &sw->base;

	return arg_position(o, a->set ? o->sets[a->index] : o->wl_text[a->index]);
}

/* The axes in the order the command line gives them: the columns' order. */
static void order_axes(struct sweep *sw)
{
	for (size_t i = 1; i < sw->naxes; i++) {
		struct sweep_axis a = sw->axes[i];
		size_t j = i;

		for (; j > 0 && axis_position(sw, &sw->axes[j - 1]) > axis_position(sw, &a); j--)
			sw->axes[j] = sw->axes[j - 1];
		sw->axes[j] = a;
	}
}

/* Point @p's options: the base with each axis at its value. */
static int make_point(struct sweep *sw, size_t p, struct compare_opts *pt)
{
	const struct compare_opts *o = &sw->base;
	size_t rest = p, label = 0;
	char buf[1024];

	*pt = *o;
	pt->sets = calloc(o->nsets ? o->nsets : 1, sizeof(*pt->sets));
	if (!pt->sets)
		return -ENOMEM;
	memcpy(pt->sets, o->sets, o->nsets * sizeof(*pt->sets));
	buf[0] = '\0';
	/* The last axis varies fastest. */
	for (size_t i = sw->naxes; i-- > 0;) {
		const struct sweep_axis *a = &sw->axes[i];
		const char *v = a->values[rest % a->nvalues];

		rest /= a->nvalues;
		if (!a->set) {
			pt->wl_text[a->index] = v;
			continue;
		}
		char *set = malloc(strlen(a->key) + strlen(v) + 2);

		if (!set)
			return -ENOMEM;
		sprintf(set, "%s=%s", a->key, v);
		pt->sets[a->index] = set;
	}
	rest = p;
	for (size_t i = 0; i < sw->naxes; i++) {
		size_t stride = 1;

		for (size_t j = i + 1; j < sw->naxes; j++)
			stride *= sw->axes[j].nvalues;
		label +=
			(size_t)snprintf(buf + label, label < sizeof(buf) ? sizeof(buf) - label : 0,
					 "%s%s=%s", i ? " " : "", sw->axes[i].key,
					 sw->axes[i].values[rest / stride % sw->axes[i].nvalues]);
		if (label >= sizeof(buf))
			label = sizeof(buf) - 1;
	}
	pt->point = strdup(buf);
	return pt->point ? 0 : -ENOMEM;
}

static int resolve_point(struct sweep *sw, size_t p, struct iommusim_mem *mem)
{
	struct compare_opts *pt = &sw->points[p];
	char errbuf[512];
	long bad;
	int err;

	if (compare_apply_workload(pt))
		return -1;
	for (size_t k = 0; k < pt->nplatforms; k++) {
		struct iommusim_cost **c = &sw->costs[p * pt->nplatforms + k];

		err = iommusim_cost_create(mem, c);
		if (err) {
			fprintf(stderr, CMD ": out of memory\n");
			return -1;
		}
		err = compare_configure(pt, k, *c, errbuf, sizeof(errbuf), &bad);
		if (err) {
			fprintf(stderr, CMD ": %s: %s\n", bad < 0 ? "--scenario" : "--set", errbuf);
			return -1;
		}
	}
	return 0;
}

int sweep_grid(struct sweep *sw, struct iommusim_mem *mem)
{
	const struct compare_opts *o = &sw->base;
	size_t runs;

	if (find_axes(sw))
		return -1;
	order_axes(sw);
	sw->npoints = 1;
	for (size_t i = 0; i < sw->naxes; i++) {
		sw->npoints *= sw->axes[i].nvalues;
		if (sw->npoints > SWEEP_MAX_RUNS)
			break;
	}
	runs = sw->npoints * o->nplatforms * o->npolicies * o->repeat;
	if (sw->npoints > SWEEP_MAX_RUNS || runs > SWEEP_MAX_RUNS) {
		fprintf(stderr, CMD ": the grid holds more than %d runs\n", SWEEP_MAX_RUNS);
		return -1;
	}
	sw->lead = calloc(sw->naxes ? sw->naxes : 1, sizeof(*sw->lead));
	sw->points = calloc(sw->npoints, sizeof(*sw->points));
	sw->costs = calloc(sw->npoints * o->nplatforms, sizeof(*sw->costs));
	if (!sw->lead || !sw->points || !sw->costs) {
		fprintf(stderr, CMD ": out of memory\n");
		return -1;
	}
	for (size_t i = 0; i < sw->naxes; i++)
		sw->lead[i] = sw->axes[i].key;
	sw->base.lead = sw->lead;
	sw->base.nlead = sw->naxes;
	for (size_t p = 0; p < sw->npoints; p++) {
		if (make_point(sw, p, &sw->points[p])) {
			fprintf(stderr, CMD ": out of memory\n");
			return -1;
		}
		sw->points[p].lead = sw->lead;
		sw->points[p].nlead = sw->naxes;
		if (resolve_point(sw, p, mem))
			return -1;
	}
	/* The meta describes the first point's workload; the rows say the rest. */
	sw->base.wl = sw->points[0].wl;
	return 0;
}

void sweep_free(struct sweep *sw)
{
	for (size_t p = 0; sw->points && p < sw->npoints; p++) {
		struct compare_opts *pt = &sw->points[p];

		for (size_t i = 0; i < sw->naxes; i++)
			if (sw->axes[i].set && pt->sets &&
			    pt->sets[sw->axes[i].index] != sw->base.sets[sw->axes[i].index])
				free((char *)pt->sets[sw->axes[i].index]);
		free(pt->sets);
		free((char *)pt->point);
	}
	for (size_t i = 0; sw->costs && i < sw->npoints * sw->base.nplatforms; i++)
		iommusim_cost_destroy(sw->costs[i]);
	for (size_t i = 0; i < sw->naxes; i++) {
		for (size_t j = 0; j < sw->axes[i].nvalues; j++)
			free(sw->axes[i].values[j]);
		free(sw->axes[i].values);
	}
	free(sw->axes);
	free(sw->lead);
	free(sw->points);
	free(sw->costs);
}

size_t sweep_ncells(const struct sweep *sw)
{
	return sw->npoints * sw->base.nplatforms;
}

/* SPDX-License-Identifier: MIT */
/*
 * The schema of compare's and sweep's reports, and their rows. A row names everything that
 * made it: the swept keys lead it (sweep), compare's columns follow, and every workload option
 * and every --set key ends it, each a column named by the key as the user gives it
 * ("iodepth", "dma.fq_size") with the value the row ran with. So a row read alone, or a file
 * of rows from several runs, says what each one is.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

/* What a key column shows: a workload option, or a cost parameter. */
struct key {
	bool workload;
	size_t opt;
	enum iommusim_cost_id id;
};

static int key_of(const char *name, struct key *k)
{
	k->workload = !iommusim_sim_option_lookup(name, &k->opt);
	if (k->workload)
		return 0;
	return iommusim_cost_lookup(name, &k->id) ? -ENOENT : 0;
}

static bool is_lead(const struct compare_opts *o, const char *name)
{
	for (size_t i = 0; i < o->nlead; i++)
		if (!strcmp(o->lead[i], name))
			return true;
	return false;
}

/* The name of --set @i's parameter, or NULL for one the cost table does not know. */
static const char *set_name(const struct compare_opts *o, size_t i)
{
	enum iommusim_cost_id id;

	return iommusim_cost_setting_id(o->sets[i], &id) ? NULL : iommusim_cost_param(id)->name;
}

/*
 * The keys that end the row: the workload options but cpus (a column of its own; a replay's
 * row leaves out those of the NVMe loop, which did not run), then each
 * --set parameter once, in the order given; the swept ones lead the row instead. Returns how
 * many, with their names in @names when it is not NULL.
 */
static size_t extra_keys(const struct compare_opts *o, const char **names)
{
	size_t n = 0;

	for (size_t i = 0; i < COMPARE_WL_OPTS; i++) {
		const char *name = iommusim_sim_option_name(i);

		/* a replay or an mlx5 run has no NVMe loop: its options are not what ran */
		if (i == COMPARE_WL_CPUS || is_lead(o, name) ||
		    ((o->trace || compare_mlx5_runs(o)) && !compare_trace_reads(i)))
			continue;
		if (names)
			names[n] = name;
		n++;
	}
	for (size_t i = 0; i < o->nsets; i++) {
		const char *name = set_name(o, i);
		bool seen = !name || is_lead(o, name);

		for (size_t j = 0; j < i && !seen; j++)
			seen = set_name(o, j) == name;
		if (seen)
			continue;
		if (names)
			names[n] = name;
		n++;
	}
	return n;
}

size_t compare_report_ncols(const struct compare_opts *o)
{
	return 2 * o->nlead + COMPARE_TABLE_COLS + COMPARE_FILE_COLS + extra_keys(o, NULL) +
	       compare_trace_columns(o, NULL) + compare_mlx5_columns(o, NULL);
}

/* A key's column: text for a name (rw, a choice), a number otherwise. */
struct iommusim_report_column compare_key_column(const char *name, unsigned int outputs)
{
	struct iommusim_report_column c = {.name = name, .outputs = outputs};
	struct key k;
	bool text;

	if (key_of(name, &k))
		text = false;
	else if (k.workload)
		text = !strcmp(name, "rw");
	else
		text = iommusim_cost_param(k.id)->unit == IOMMUSIM_COST_UNIT_CHOICE;
	c.type = text ? IOMMUSIM_REPORT_STRING : IOMMUSIM_REPORT_UINT;
	if (!text)
		c.flags = IOMMUSIM_REPORT_RIGHT;
	return c;
}

size_t compare_report_columns(const struct compare_opts *o, struct iommusim_report_column *cols)
{
	size_t n = 0, nextra = extra_keys(o, NULL);
	const char **extra = calloc(nextra ? nextra : 1, sizeof(*extra));

	if (!extra)
		return 0;
	extra_keys(o, extra);
	for (size_t i = 0; i < o->nlead; i++)
		cols[n++] = compare_key_column(o->lead[i], IOMMUSIM_REPORT_TABLE);
	compare_table_columns(o, cols + n);
	n += COMPARE_TABLE_COLS;
	for (size_t i = 0; i < o->nlead; i++)
		cols[n++] = compare_key_column(o->lead[i], IOMMUSIM_REPORT_FILES);
	n += compare_file_columns(o, cols + n);
	for (size_t i = 0; i < nextra; i++)
		cols[n++] = compare_key_column(extra[i], IOMMUSIM_REPORT_FILES);
	n += compare_trace_columns(o, cols + n);
	n += compare_mlx5_columns(o, cols + n);
	free(extra);
	return n;
}

/* The value of key @name in column @col: as the row ran it. */
void compare_key_cell(struct iommusim_report *rep, size_t col, const char *name,
		      const struct compare_opts *o, const struct iommusim_cost *cost)
{
	uint64_t v;
	struct key k;

	if (key_of(name, &k)) {
		iommusim_report_set_null(rep, col);
		return;
	}
	if (k.workload) {
		if (!strcmp(name, "rw"))
			iommusim_report_set_str(rep, col, iommusim_sim_rw_name(&o->wl.nvme));
		else
			iommusim_report_set_uint(rep, col, iommusim_sim_option_get(&o->wl, k.opt));
		return;
	}
	v = iommusim_cost_get(cost, k.id);
	if (iommusim_cost_param(k.id)->unit == IOMMUSIM_COST_UNIT_CHOICE)
		iommusim_report_set_str(rep, col, iommusim_cost_choice_name(k.id, v));
	else
		iommusim_report_set_uint(rep, col, v);
}

void compare_report_cells(struct iommusim_report *rep, const struct compare_opts *o,
			  const struct iommusim_cost *cost, const struct compare_row *r)
{
	size_t n = extra_keys(o, NULL), at = 2 * o->nlead + COMPARE_TABLE_COLS;
	const char *extra[COMPARE_WL_OPTS + 64];
	const char **names = n <= COMPARE_WL_OPTS + 64 ? extra : calloc(n, sizeof(*names));

	for (size_t i = 0; i < o->nlead; i++) {
		compare_key_cell(rep, i, o->lead[i], o, cost);
		compare_key_cell(rep, o->nlead + COMPARE_TABLE_COLS + i, o->lead[i], o, cost);
	}
	compare_table_cells(rep, o->nlead, r);
	compare_file_cells(rep, o, r);
	if (!names)
		return; /* out of memory: the cells stay missing, and the report says so */
	extra_keys(o, names);
	at += COMPARE_FILE_COLS;
	for (size_t i = 0; i < n; i++)
		compare_key_cell(rep, at + i, names[i], o, cost);
	compare_trace_cells(rep, at + n, o, &r->st);
	compare_mlx5_cells(rep, at + n + compare_trace_columns(o, NULL), o, &r->st);
	if (names != extra)
		free(names);
}

size_t compare_platform_index(const struct compare_opts *o, const char *platform)
{
	for (size_t i = 0; i < o->nplatforms; i++)
		if (o->platforms[i] == platform)
			return i;
	return 0;
}

int compare_report(const struct compare_opts *o, const struct iommusim_cost *const *costs,
		   const struct compare_row *rows, size_t nrows, struct iommusim_report **out)
{
	size_t ncols = compare_report_ncols(o);
	struct iommusim_report_column *cols = calloc(ncols, sizeof(*cols));
	int err;

	if (!cols || compare_report_columns(o, cols) != ncols) {
		free(cols);
		return -ENOMEM;
	}
	err = iommusim_report_create(NULL, cols, ncols, out);
	free(cols);
	if (err)
		return err;
	compare_report_meta(*out, o, costs);
	compare_table_notes(*out, o, costs[0]);
	for (size_t r = 0; r < nrows; r++) {
		if (!iommusim_policy_applies(rows[r].kind, rows[r].policy))
			continue;
		iommusim_report_add_row(*out);
		compare_report_cells(*out, o, costs[compare_platform_index(o, rows[r].platform)],
				     &rows[r]);
	}
	return 0;
}

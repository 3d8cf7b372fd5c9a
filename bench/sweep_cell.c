/* SPDX-License-Identifier: MIT */
/*
 * A sweep cell's results as a file: one CSV line per run, every figure of its statistics
 * exact (integers in decimal, reals with 17 significant digits, which read back to the same
 * double), so that merge rebuilds from the files the very numbers a local sweep holds, and
 * prints the same bytes. Each line names the sweep it belongs to by a fingerprint of the
 * command line that defines it, and its run by number, so that cells of another sweep, or of
 * another version of iommusim, are refused rather than mixed in.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep.h"

enum kind { K_U64, K_U32, K_DBL };

struct field {
	const char *name;
	size_t off;
	enum kind kind;
};

#define U64(f)                                                                                     \
	{                                                                                          \
#f, offsetof(struct iommusim_sim_stats, f), K_U64                                  \
	}
#define U32(f)                                                                                     \
	{                                                                                          \
#f, offsetof(struct iommusim_sim_stats, f), K_U32                                  \
	}
#define DBL(f)                                                                                     \
	{                                                                                          \
#f, offsetof(struct iommusim_sim_stats, f), K_DBL                                  \
	}
#define PLAT(f)                                                                                    \
	{                                                                                          \
		"platform." #f, offsetof(struct iommusim_sim_stats, platform.f), K_U64             \
	}

static const struct field fields[] = {
	DBL(sim_seconds),
	U32(fq_size),
	U32(fq_timeout_ms),
	U64(ios_submitted),
	U64(ios_completed),
	U64(io_errors),
	U64(map_failures),
	DBL(iops),
	DBL(mbps),
	DBL(lat_mean_us),
	DBL(lat_p99_us),
	U64(rpcit_map),
	U64(rpcit_unmap),
	U64(rpcit_global),
	U64(budget_exhausted),
	DBL(server_util),
	DBL(server_wait_us),
	DBL(cpu_util),
	PLAT(rpcits),
	PLAT(rpcit_errors),
	PLAT(budget_exhausted),
	PLAT(passes),
	PLAT(second_passes),
	PLAT(tables_walked),
	PLAT(pages_walked),
	PLAT(upper_invalid),
	PLAT(host_maps),
	PLAT(host_unmap_calls),
	PLAT(host_unmaps),
	PLAT(maps_skipped),
	PLAT(hyp_cycles),
	PLAT(shadow_pages),
	PLAT(shadow_pages_max),
	PLAT(dma_avail),
	PLAT(upper_pages),
	PLAT(silent_drops),
	PLAT(remaps),
	PLAT(range_errors),
	U64(in_flight_end),
	U64(mapped_end),
	U64(in_flight_start),
	U64(ios_submitted_total),
	U64(ios_completed_total),
	U64(io_errors_total),
	DBL(lat_p50_us),
	DBL(lat_max_us),
	U64(fq_flushes),
	U64(legacy_wraps),
	DBL(device_util),
	DBL(lat_min_us),
	U64(exposures),
	DBL(exposure_mean_us),
	DBL(exposure_p99_us),
	DBL(exposure_max_us),
	DBL(exposed_byte_s_per_s),
	U32(ppc_window),
	U32(ppc_ddw),
	U64(h_put_tce),
	U64(h_put_tce_indirect),
	U64(h_stuff_tce),
	U64(h_get_tce),
	U64(opal_tce_kills),
	U64(tces_written),
	U64(hcall_failures),
	DBL(setup_ms),
};
/* the two enums of the powerpc rows are written as their numbers */
_Static_assert(sizeof(enum iommusim_ppc_window) == sizeof(uint32_t) &&
		       sizeof(enum iommusim_ppc_ddw) == sizeof(uint32_t),
	       "enums as uint32_t");

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
/* sweep, cell, run, then the fields */
#define LEAD 3

/* FNV-1a over the words that define the sweep and the version that ran it. */
void sweep_fingerprint(const struct sweep *sw, char *buf, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const char *v = iommusim_git_describe();

	for (int i = 0; i <= sw->base.nargs; i++) {
		const char *s = i < sw->base.nargs ? sw->base.args[i] : v;

		if (i < sw->base.nargs && compare_quiet_arg(&sw->base, s))
			continue;
		for (;; s++) {
			h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
			if (!*s)
				break;
		}
	}
	snprintf(buf, len, "%016" PRIx64, h);
}

int sweep_cell_report(const struct sweep *sw, size_t cell, const struct iommusim_sim_stats *st,
		      size_t nruns, FILE *f)
{
	struct iommusim_report_column cols[LEAD + NFIELDS] = {
		{.name = "sweep", .type = IOMMUSIM_REPORT_STRING},
		{.name = "cell", .type = IOMMUSIM_REPORT_UINT},
		{.name = "run", .type = IOMMUSIM_REPORT_UINT},
	};
	struct iommusim_report *rep;
	char fp[32], num[40];
	int err;

	for (size_t i = 0; i < NFIELDS; i++)
		cols[LEAD + i] = (struct iommusim_report_column){
			.name = fields[i].name,
			.type = fields[i].kind == K_DBL ? IOMMUSIM_REPORT_NUMBER
							: IOMMUSIM_REPORT_UINT,
			.flags = fields[i].kind == K_DBL ? IOMMUSIM_REPORT_NULLABLE : 0,
		};
	err = iommusim_report_create(NULL, cols, LEAD + NFIELDS, &rep);
	if (err)
		return err;
	sweep_fingerprint(sw, fp, sizeof(fp));
	for (size_t r = 0; r < nruns; r++) {
		const char *base = (const char *)&st[r];

		iommusim_report_add_row(rep);
		iommusim_report_set_str(rep, 0, fp);
		iommusim_report_set_uint(rep, 1, cell);
		iommusim_report_set_uint(rep, 2, cell * nruns + r);
		for (size_t i = 0; i < NFIELDS; i++) {
			const void *at = base + fields[i].off;
			uint64_t u;
			double d;

			switch (fields[i].kind) {
			case K_U64:
				memcpy(&u, at, sizeof(u));
				iommusim_report_set_uint(rep, LEAD + i, u);
				break;
			case K_U32: {
				uint32_t v;

				memcpy(&v, at, sizeof(v));
				iommusim_report_set_uint(rep, LEAD + i, v);
				break;
			}
			default:
				memcpy(&d, at, sizeof(d));
				if (!isfinite(d)) {
					iommusim_report_set_null(rep, LEAD + i);
					break;
				}
				snprintf(num, sizeof(num), "%.17g", d);
				iommusim_report_set_number(rep, LEAD + i, num);
			}
		}
	}
	err = iommusim_report_write_csv(rep, f);
	iommusim_report_destroy(rep);
	return err;
}

/* Split @line (modified) at commas into @out; returns the number of fields. */
static size_t split(char *line, char **out, size_t max)
{
	size_t n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	for (char *s = line; n < max;) {
		char *comma = strchr(s, ',');

		out[n++] = s;
		if (!comma)
			break;
		*comma = '\0';
		s = comma + 1;
	}
	return n;
}

static int parse_field(const char *s, const struct field *fd, struct iommusim_sim_stats *st)
{
	char *end;
	void *at = (char *)st + fd->off;

	if (fd->kind == K_DBL) {
		double d = *s ? strtod(s, &end) : NAN;

		if (*s && *end)
			return -1;
		memcpy(at, &d, sizeof(d));
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	uint64_t u = strtoull(s, &end, 10);

	if (errno || *end || (fd->kind == K_U32 && u > UINT32_MAX))
		return -1;
	if (fd->kind == K_U32) {
		uint32_t v = (uint32_t)u;

		memcpy(at, &v, sizeof(v));
	} else {
		memcpy(at, &u, sizeof(u));
	}
	return 0;
}

int sweep_cell_read(struct sweep *sw, struct compare_matrix *m, const char *path, FILE *f,
		    size_t *cell_out, char *errbuf, size_t errlen)
{
	char fp[32], line[8192], *cols[LEAD + NFIELDS + 1];
	size_t runs = sw->base.npolicies * sw->base.repeat, got = 0, lineno = 1, cell = SIZE_MAX;
	struct iommusim_sim_stats st;

	sweep_fingerprint(sw, fp, sizeof(fp));
	if (!fgets(line, sizeof(line), f) ||
	    split(line, cols, LEAD + NFIELDS + 1) != LEAD + NFIELDS || strcmp(cols[0], "sweep") ||
	    strcmp(cols[LEAD + NFIELDS - 1], fields[NFIELDS - 1].name)) {
		snprintf(errbuf, errlen, "%s:1: not a sweep cell file of this iommusim", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t n = split(line, cols, LEAD + NFIELDS + 1);
		unsigned long long c, r;
		char *end;

		lineno++;
		if (n != LEAD + NFIELDS) {
			snprintf(errbuf, errlen, "%s:%zu: %zu fields, not %zu", path, lineno, n,
				 (size_t)(LEAD + NFIELDS));
			return -1;
		}
		if (strcmp(cols[0], fp)) {
			snprintf(errbuf, errlen,
				 "%s:%zu: sweep: a cell of another sweep (or another iommusim)",
				 path, lineno);
			return -1;
		}
		c = strtoull(cols[1], &end, 10);
		r = strtoull(cols[2], &end, 10);
		if (c >= sweep_ncells(sw) || (cell != SIZE_MAX && c != cell) || r / runs != c) {
			snprintf(errbuf, errlen, "%s:%zu: cell: %s is not this file's cell", path,
				 lineno, cols[1]);
			return -1;
		}
		cell = (size_t)c;
		memset(&st, 0, sizeof(st));
		for (size_t i = 0; i < NFIELDS; i++) {
			if (parse_field(cols[LEAD + i], &fields[i], &st)) {
				snprintf(errbuf, errlen, "%s:%zu: %s: not a number: '%s'", path,
					 lineno, fields[i].name, cols[LEAD + i]);
				return -1;
			}
		}
		if (r % runs != got) {
			snprintf(errbuf, errlen, "%s:%zu: run: %llu out of order", path, lineno, r);
			return -1;
		}
		sweep_store(sw, m, (size_t)r, &st);
		got++;
	}
	if (got != runs) {
		snprintf(errbuf, errlen, "%s: %zu runs, not %zu: the cell did not finish", path,
			 got, runs);
		return -1;
	}
	*cell_out = cell;
	return 0;
}

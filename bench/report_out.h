/* SPDX-License-Identifier: MIT */
/*
 * The bench commands' reports: each command builds one report with the library's emitter
 * (include/iommusim/report.h) and hands it here, to go to standard output as a table and to
 * the report files (outfile.h) as CSV and JSON; and the pieces of meta several commands share.
 */
#ifndef ISIM_BENCH_REPORT_OUT_H
#define ISIM_BENCH_REPORT_OUT_H

#include <stddef.h>
#include <iommusim/iommusim.h>

#include "outfile.h"

/*
 * Write @rep (made with @err, iommusim_report_create()'s answer) as a table on standard
 * output, then as CSV to @csv and JSON to @json, one after the other, each committed once
 * complete. Returns 0; or 1 after a one-line error, when the report could not be built
 * (nothing is written, the files are abandoned) or a file could not be written. Standard
 * output's errors are left to cli_exit().
 */
int bench_report_emit(const char *cmd, int err, const struct iommusim_report *rep,
		      struct outfile *csv, struct outfile *json);

/* @n strings as the array @key of @to. */
void bench_report_strings(struct iommusim_report_value *to, const char *key, const char *const *s,
			  size_t n);

#endif /* ISIM_BENCH_REPORT_OUT_H */

/* SPDX-License-Identifier: MIT */
/* The bench commands' reports: where they go, and the meta they share. */
#include <stdio.h>

#include "cli.h"
#include "report_out.h"

int bench_report_emit(const char *cmd, int err, const struct iommusim_report *rep,
		      struct outfile *csv, struct outfile *json)
{
	int ret = 0;
	FILE *f;

	if (!err)
		err = iommusim_report_check(rep);
	if (err) {
		fprintf(stderr, "%s: report: %s\n", cmd, iommusim_strerror(err));
		outfile_abandon(csv);
		outfile_abandon(json);
		return 1;
	}
	/*
	 * A checked report can only fail to be written: standard output's errors are
	 * cli_exit()'s to report, a file's outfile_commit()'s.
	 */
	(void)iommusim_report_write_table(rep, stdout);
	cli_stdout_flush();
	/* One after the other: a reader of two FIFOs may take them in turn. */
	if ((f = outfile_stream(csv)))
		(void)iommusim_report_write_csv(rep, f);
	if (outfile_commit(csv))
		ret = 1;
	if ((f = outfile_stream(json)))
		(void)iommusim_report_write_json(rep, f);
	if (outfile_commit(json))
		ret = 1;
	return ret;
}

void bench_report_strings(struct iommusim_report_value *to, const char *key, const char *const *s,
			  size_t n)
{
	struct iommusim_report_value *a = iommusim_report_add_array(to, key);

	for (size_t i = 0; i < n; i++)
		iommusim_report_add_str(a, NULL, s[i]);
}

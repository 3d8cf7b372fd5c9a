/* SPDX-License-Identifier: MIT */
/*
 * iommusim-bench trace-import [--device NAME] [--output FILE] [FILE]: the kernel's DMA trace
 * events as /sys/kernel/tracing/trace or trace-cmd report print them, made a trace of one
 * device in our format (docs/traces.md). The whole text is checked first; what was not
 * imported is said on standard error, never dropped unsaid.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <iommusim/iommusim.h>

#include "base/memory.h"
#include "cli.h"
#include "commands.h"
#include "outfile.h"
#include "workload/script_io.h"
#include "workload/trace_ftrace.h"

#define CMD "trace-import"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: iommusim-bench trace-import [--device NAME] [--output FILE] [FILE]\n"
		"\n"
		"Read the text of the kernel's dma and iommu trace events (Linux 6.12 and later:\n"
		"/sys/kernel/tracing/trace, or 'trace-cmd report') from FILE or standard input and\n"
		"write the DMA calls of one device as a trace (docs/traces.md) to standard output or\n"
		"FILE; 'compare --trace' replays it. What is not imported is counted on standard\n"
		"error: events not replayed or not known, by name; other devices; unmaps of buffers\n"
		"mapped before the recording; buffers never unmapped. A malformed line of a known\n"
		"event is one error 'FILE:LINE: FIELD: problem', exit status 2, and no output.\n"
		"\n"
		"  --device NAME   the device to import, as the events name it (0000:00:04.0);\n"
		"                  needed when the text holds calls of more than one\n"
		"  --output FILE   write the trace to FILE (never half-written), not standard output\n");
}

/* "name N (line L), ..." of a table of counts, when it has any. */
/* One line of what the import set aside, when there is any: the count, then what it counts. */
static void note(unsigned long long n, const char *what)
{
	if (n)
		fprintf(stderr, CMD ": %llu %s\n", n, what);
}

static void print_names(const char *what, const struct isim_ftrace_names *t)
{
	if (!t->n)
		return;
	fprintf(stderr, CMD ": %s:", what);
	for (size_t i = 0; i < t->n; i++)
		fprintf(stderr, "%s %s %llu (first at line %zu)", i ? "," : "", t->c[i].name,
			(unsigned long long)t->c[i].n, t->c[i].first_line);
	if (t->more)
		fprintf(stderr, ", %llu lines of further names", (unsigned long long)t->more);
	fputc('\n', stderr);
}

static void print_report(const char *name, const struct isim_ftrace_report *r,
			 const struct iommusim_trace_info *info)
{
	fprintf(stderr,
		CMD ": %s: %llu lines; %s: %llu calls kept (%llu maps, %llu unmaps), %llu left "
		    "mapped\n",
		name, (unsigned long long)r->lines, r->device, (unsigned long long)r->calls,
		(unsigned long long)info->maps, (unsigned long long)info->unmaps,
		(unsigned long long)info->left_mapped);
	print_names("not replayed", &r->skipped);
	print_names("not understood", &r->unknown);
	print_names("other devices' calls", &r->other);
	if (r->unpaired_unmaps)
		fprintf(stderr,
			CMD ": %llu unmaps of buffers mapped before the recording began, dropped "
			    "(first at line %zu)\n",
			(unsigned long long)r->unpaired_unmaps, r->first_unpaired);
	note(r->remapped, "maps of an address still mapped (its unmap not recorded): the earlier "
			  "buffer stays mapped");
	note(r->left_mapped, "buffers mapped and never unmapped: kept, the replay leaves them "
			     "mapped");
	note(r->truncated, "scatterlists [TRUNCATED] by the kernel: their bytes scaled up from "
			   "the entries printed");
	if (r->lost)
		fprintf(stderr, CMD ": the kernel lost %llu events: pairs may be missing\n",
			(unsigned long long)r->lost);
}

/* The input, whole; NULL after a one-line error. */
static char *read_input(struct iommusim_mem *mem, const char *path, const char **name, size_t *len,
			size_t *size)
{
	struct stat sb;
	FILE *in = stdin;
	char *text = NULL;

	*name = "<stdin>";
	if (path && strcmp(path, "-")) {
		*name = path;
		in = fopen(path, "r");
		if (!in) {
			fprintf(stderr, CMD ": %s: %s\n", path, strerror(errno));
			return NULL;
		}
		if (fstat(fileno(in), &sb) == 0 && S_ISDIR(sb.st_mode)) {
			fprintf(stderr, CMD ": %s: is a directory, not a trace\n", path);
			fclose(in);
			return NULL;
		}
	}
	if (isim_script_slurp(mem, in, &text, len, size)) {
		fprintf(stderr, CMD ": %s: cannot read it\n", *name);
		text = NULL;
	}
	if (in != stdin)
		fclose(in);
	return text;
}

static int import(struct iommusim_mem *mem, const char *path, const char *device,
		  struct outfile *out)
{
	struct isim_ftrace_report rep;
	struct iommusim_trace_info info;
	struct iommusim_trace *t;
	struct outfile *files[1] = {out};
	const char *name;
	char errbuf[512];
	size_t len, size;
	char *text = read_input(mem, path, &name, &len, &size);
	int err;

	if (!text)
		return EXIT_BAD_INPUT;
	err = isim_ftrace_import(mem, text, len, name, device, &t, &rep, errbuf, sizeof(errbuf));
	isim_free(mem, text, size, 0);
	if (err) {
		fprintf(stderr, CMD ": %s\n", errbuf);
		return err == -EINVAL ? EXIT_BAD_INPUT : 1;
	}
	iommusim_trace_get_info(t, &info);
	if (out->path && outfile_open(files, 1)) {
		iommusim_trace_destroy(t);
		return EXIT_BAD_INPUT;
	}
	err = iommusim_trace_write(t, out->path ? outfile_stream(out) : stdout);
	iommusim_trace_destroy(t);
	if (out->path && (err || outfile_commit(out))) {
		outfile_abandon(out);
		return 1;
	}
	if (err == -EIO)
		cli_stdout_failed(EIO);
	if (!err)
		print_report(name, &rep, &info);
	return err ? 1 : 0;
}

int cmd_trace_import(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"device", required_argument, NULL, 'd'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct outfile out = {.cmd = CMD, .opt = "--output"};
	const struct outfile *check[1] = {&out};
	const char *device = NULL;
	struct iommusim_mem *mem;
	int c, status;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (device) {
				fprintf(stderr, CMD ": --device: given twice\n");
				return EXIT_BAD_INPUT;
			}
			device = optarg;
			break;
		case 'o':
			if (outfile_set(&out, optarg))
				return EXIT_BAD_INPUT;
			break;
		default:
			/* --help, or an option it does not take */
			return cli_report_option(CMD, c, argv, NULL, NULL, usage) > 0
				       ? 0
				       : EXIT_BAD_INPUT;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, CMD ": one trace at a time ('%s' is extra)\n", argv[optind + 1]);
		return EXIT_BAD_INPUT;
	}
	if (out.path && outfile_check(check, 1))
		return EXIT_BAD_INPUT;
	if (iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &mem)) {
		fprintf(stderr, CMD ": out of memory\n");
		return 1;
	}
	status = import(mem, optind < argc ? argv[optind] : NULL, device, &out);
	iommusim_mem_destroy(mem);
	return status;
}

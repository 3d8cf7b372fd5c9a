/* SPDX-License-Identifier: MIT */
/*
 * The report files of the bench commands (--csv FILE, --json FILE, iova-bench's --write-script
 * FILE), with the same rules for every command:
 *
 *  - Every path is resolved and checked, and every temporary file created, before any work
 *    starts: a bad path is one line and exit status 2 at once, never after the run.
 *  - A regular file, or a new one in an existing directory, is written to a temporary file
 *    beside it (".NAME.XXXXXX", mkstemp) that is renamed over it once complete, and removed
 *    on any error or when SIGHUP, SIGINT, SIGTERM or SIGPIPE kills the process. Nothing
 *    half-written is ever left under the name, and nothing but a regular file is replaced.
 *  - A symbolic link is followed, to a missing file too: the file it names is written and
 *    the link stays.
 *  - A character device or a FIFO (/dev/null, a pipe) is written in place; a FIFO is opened
 *    only when its report is written, since opening one waits for a reader.
 *  - "-", or a path naming standard output's own file (/dev/stdout, or the file standard
 *    output goes to), is standard output: the report follows what the command prints there.
 *  - Two options naming one file (the same device and inode, or the same new path) are
 *    refused.
 */
#ifndef ISIM_BENCH_OUTFILE_H
#define ISIM_BENCH_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Report files one command opens at most. */
#define OUTFILE_MAX 4

enum outfile_kind {
	OUTFILE_NONE,	 /* no file wanted, or done with */
	OUTFILE_STDOUT,	 /* standard output */
	OUTFILE_REPLACE, /* a temporary file, renamed over the target when complete */
	OUTFILE_DEVICE,	 /* a character device, written in place */
	OUTFILE_FIFO,	 /* a FIFO, opened when the report is written */
};

struct outfile {
	const char *cmd;  /* the command, for messages: "iova-bench" */
	const char *opt;  /* the option that named the file: "--csv" */
	const char *path; /* as given; NULL: no file wanted */
	/* The rest belongs to outfile.c. */
	enum outfile_kind kind;
	char *target; /* OUTFILE_REPLACE: the real path the temporary file is renamed to */
	int slot;     /* 1 + the temporary file's slot in the signal handler's table; 0: none */
	FILE *f;
	bool failed; /* an error was reported: the report is abandoned */
};

/*
 * Record @arg as @o's path: "CMD: OPT: given twice" and -1 if it has one already, else 0.
 * For the option parsers.
 */
int outfile_set(struct outfile *o, const char *arg);

/*
 * Resolve and check the paths of @files (those without one are skipped) and compare them,
 * creating nothing: 0, or -1 after a one-line error. For the option parsers, so that a bad
 * path is reported with the other command-line errors.
 */
int outfile_check(const struct outfile *const *files, size_t n);

/*
 * Check @files as outfile_check() does, then create the temporary files and open the
 * devices. 0, or -1 after a one-line error with nothing left behind.
 */
int outfile_open(struct outfile *const *files, size_t n);

/*
 * The stream to write @o's report to, NULL if none is wanted or it could not be opened (a
 * FIFO: the error is printed, and outfile_commit() fails).
 */
FILE *outfile_stream(struct outfile *o);

/*
 * The report is complete: flush it and put it in place. 0, or -1 after a one-line error with
 * nothing left behind (a file replaced is then unchanged). Standard output's errors are left
 * to the command's final check (cli_exit()).
 */
int outfile_commit(struct outfile *o);

/* Drop the report, removing its temporary file; nothing once committed or abandoned. */
void outfile_abandon(struct outfile *o);

#endif /* ISIM_BENCH_OUTFILE_H */

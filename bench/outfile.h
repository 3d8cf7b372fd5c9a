/* SPDX-License-Identifier: MIT */
/*
 * Report files written atomically: created as PATH.tmp before any work starts (so a bad path
 * fails at once), renamed to PATH when complete, removed on any error. Nothing half-written
 * is ever left under PATH.
 */
#ifndef ISIM_BENCH_OUTFILE_H
#define ISIM_BENCH_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

struct outfile {
	const char *cmd;  /* the command, for messages: "iova-bench" */
	const char *opt;  /* the option that named the file: "--csv" */
	const char *path; /* NULL: no file wanted */
	char *tmp;
	FILE *f;
};

/* 0, or -1 after printing a one-line error. */
int outfile_open(struct outfile *o);
/* Finish (@ok) or abandon the file; -1 if finishing failed, leaving nothing behind. */
int outfile_close(struct outfile *o, bool ok);
/* Write @s as a JSON string literal. */
void json_string(FILE *f, const char *s);

#endif /* ISIM_BENCH_OUTFILE_H */

/* SPDX-License-Identifier: MIT */
/* Atomically written report files and JSON string output, shared by the bench commands. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "outfile.h"

int outfile_open(struct outfile *o)
{
	size_t n;

	if (!o->path)
		return 0;
	n = strlen(o->path) + 5;
	o->tmp = malloc(n);
	if (!o->tmp) {
		fprintf(stderr, "%s: %s: out of memory\n", o->cmd, o->opt);
		return -1;
	}
	snprintf(o->tmp, n, "%s.tmp", o->path);
	o->f = fopen(o->tmp, "w");
	if (!o->f) {
		fprintf(stderr, "%s: %s: cannot create '%s': %s\n", o->cmd, o->opt, o->tmp,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* Finish (@ok) or abandon the file; returns -1 if finishing failed, leaving nothing behind. */
int outfile_close(struct outfile *o, bool ok)
{
	int err = 0;

	if (o->f) {
		bool bad = ferror(o->f);

		if ((fclose(o->f) || bad) && ok) {
			fprintf(stderr, "%s: %s: cannot write '%s'\n", o->cmd, o->opt, o->tmp);
			err = -1;
		}
		if (ok && !err && rename(o->tmp, o->path)) {
			fprintf(stderr, "%s: %s: cannot rename '%s' to '%s': %s\n", o->cmd, o->opt,
				o->tmp, o->path, strerror(errno));
			err = -1;
		}
		if (!ok || err)
			remove(o->tmp);
	}
	free(o->tmp);
	return err;
}

void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned int)(unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

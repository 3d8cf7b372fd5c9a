/* SPDX-License-Identifier: MIT */
/*
 * Where the report files of the bench commands go: each path resolved (links followed, to a
 * missing file too), checked, and compared with the others, before anything is created.
 */
/* realpath() is XSI; the build asks for plain POSIX 2008. */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile_path.h"

/* Links followed to a missing file before giving up, as the kernel's limit for a path. */
#define MAX_LINKS 40

static char *str_join(const char *dir, const char *name)
{
	size_t nd = strlen(dir), nn = strlen(name);
	bool slash = nd && dir[nd - 1] != '/';
	char *s = malloc(nd + slash + nn + 1);

	if (s) {
		memcpy(s, dir, nd);
		if (slash)
			s[nd] = '/';
		memcpy(s + nd + slash, name, nn + 1);
	}
	return s;
}

/* The directory part of @path (no trailing '/'): ".", "/" or a copy of the prefix. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d;

	if (!slash)
		return strdup(".");
	while (slash > path && slash[-1] == '/')
		slash--;
	if (slash == path)
		return strdup("/");
	d = malloc((size_t)(slash - path) + 1);
	if (d) {
		memcpy(d, path, (size_t)(slash - path));
		d[slash - path] = '\0';
	}
	return d;
}

const char *outfile_base_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* What the symbolic link @link points to, relative to the link's directory; NULL, errno. */
static char *read_link(const char *link, size_t size)
{
	char *text = malloc(size + 2), *dir, *full;
	ssize_t n;

	if (!text)
		return NULL;
	/* One byte more than lstat said, to see if the link grew in between. */
	n = readlink(link, text, size + 1);
	if (n < 0 || (size_t)n > size) {
		if (n >= 0)
			errno = ENAMETOOLONG;
		free(text);
		return NULL;
	}
	text[n] = '\0';
	if (text[0] == '/')
		return text;
	dir = dir_of(link);
	full = dir ? str_join(dir, text) : NULL;
	free(dir);
	free(text);
	return full;
}

/*
 * @path does not exist: a new file, or a link (through links) to one. The new file's
 * directory must exist; the target is its real path with the file's name. NULL, or why not.
 */
static const char *resolve_new(const char *path, struct outfile_where *w)
{
	char *cur = strdup(path), *dir = NULL, *real = NULL;
	const char *why = NULL;
	struct stat st;
	int links = 0;

	while (cur && !lstat(cur, &st)) {
		char *next;

		/* It appeared since stat() did not find it: a race, reported as what was seen. */
		if (!S_ISLNK(st.st_mode)) {
			why = strerror(ENOENT);
			goto out;
		}
		if (++links > MAX_LINKS) {
			why = strerror(ELOOP);
			goto out;
		}
		next = read_link(cur, (size_t)st.st_size);
		if (!next) {
			why = strerror(errno);
			goto out;
		}
		free(cur);
		cur = next;
	}
	if (!cur || errno != ENOENT) {
		why = strerror(cur ? errno : ENOMEM);
		goto out;
	}
	/* "new/" names a directory, which a report cannot be. */
	if (cur[strlen(cur) - 1] == '/') {
		why = strerror(EISDIR);
		goto out;
	}
	dir = dir_of(cur);
	real = dir ? realpath(dir, NULL) : NULL;
	if (!real) {
		why = strerror(dir ? errno : ENOMEM);
		goto out;
	}
	if (stat(real, &st) || !S_ISDIR(st.st_mode)) {
		why = strerror(ENOTDIR);
		goto out;
	}
	w->kind = OUTFILE_REPLACE;
	w->target = str_join(real, outfile_base_of(cur));
	if (!w->target)
		why = strerror(ENOMEM);
out:
	free(real);
	free(dir);
	free(cur);
	return why;
}

/* Where @path leads (@out: standard output's status, or NULL); NULL, or why it cannot be. */
static const char *resolve(const char *path, const struct stat *out, struct outfile_where *w)
{
	struct stat st;

	*w = (struct outfile_where){.kind = OUTFILE_NONE};
	if (!strcmp(path, "-")) {
		w->kind = OUTFILE_STDOUT;
		return NULL;
	}
	if (!*path)
		return strerror(ENOENT);
	if (stat(path, &st))
		return errno == ENOENT ? resolve_new(path, w) : strerror(errno);
	w->exists = true;
	w->dev = st.st_dev;
	w->ino = st.st_ino;
	/* Renaming over standard output's file would lose what the command prints there. */
	if (out && st.st_dev == out->st_dev && st.st_ino == out->st_ino) {
		w->kind = OUTFILE_STDOUT;
		return NULL;
	}
	if (S_ISDIR(st.st_mode))
		return strerror(EISDIR);
	if (S_ISREG(st.st_mode)) {
		w->kind = OUTFILE_REPLACE;
		w->target = realpath(path, NULL);
		return w->target ? NULL : strerror(errno);
	}
	if (!S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode))
		return "not a regular file, a character device or a FIFO";
	if (access(path, W_OK))
		return strerror(errno);
	/* A socket fails to open, with the kernel's reason, unless it is standard output. */
	w->kind = S_ISFIFO(st.st_mode) ? OUTFILE_FIFO : OUTFILE_DEVICE;
	return NULL;
}

static bool same_file(const struct outfile_where *a, const struct outfile_where *b)
{
	if (a->kind == OUTFILE_STDOUT || b->kind == OUTFILE_STDOUT)
		return a->kind == b->kind;
	if (a->exists || b->exists)
		return a->exists && b->exists && a->dev == b->dev && a->ino == b->ino;
	return !strcmp(a->target, b->target);
}

void outfile_where_free(struct outfile_where *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(w[i].target);
		w[i].target = NULL;
	}
}

/* Resolve every path of @files into @w, and compare them; 0, or -1 after one line. */
int outfile_resolve(const struct outfile *const *files, size_t n, struct outfile_where *w)
{
	struct stat out_st;
	bool have_out = !fstat(STDOUT_FILENO, &out_st);

	if (n > OUTFILE_MAX) {
		fprintf(stderr, "%s: more than %d report files\n", files[0]->cmd, OUTFILE_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		w[i] = (struct outfile_where){.kind = OUTFILE_NONE};
	for (size_t i = 0; i < n; i++) {
		const struct outfile *o = files[i];
		const char *why;

		if (!o->path)
			continue;
		why = resolve(o->path, have_out ? &out_st : NULL, &w[i]);
		if (why) {
			fprintf(stderr, "%s: %s: cannot write '%s': %s\n", o->cmd, o->opt, o->path,
				why);
			outfile_where_free(w, n);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			if (files[j]->path && same_file(&w[j], &w[i])) {
				fprintf(stderr, "%s: %s '%s' and %s '%s' name the same file\n",
					o->cmd, files[j]->opt, files[j]->path, o->opt, o->path);
				outfile_where_free(w, n);
				return -1;
			}
		}
	}
	return 0;
}

int outfile_set(struct outfile *o, const char *arg)
{
	if (o->path) {
		fprintf(stderr, "%s: %s: given twice\n", o->cmd, o->opt);
		return -1;
	}
	o->path = arg;
	return 0;
}

int outfile_check(const struct outfile *const *files, size_t n)
{
	struct outfile_where w[OUTFILE_MAX];

	if (outfile_resolve(files, n, w))
		return -1;
	outfile_where_free(w, n);
	return 0;
}

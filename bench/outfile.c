/* SPDX-License-Identifier: MIT */
/* The report files of the bench commands: where they go, and how they get there whole. */
/* realpath() is XSI; the build asks for plain POSIX 2008. */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

/* Links followed to a missing file before giving up, as the kernel's limit for a path. */
#define MAX_LINKS 40

/*
 * Where a path leads. Two outputs are one file when both are standard output, when both
 * exist with the same device and inode, or when neither exists yet and their real paths are
 * equal (outputs are resolved before any is created).
 */
struct where {
	enum outfile_kind kind;
	char *target; /* OUTFILE_REPLACE: the real path */
	bool exists;
	dev_t dev;
	ino_t ino;
};

/*
 * The temporary files, for the signal handler: static, so that it reads nothing malloc
 * owns, and written only with the signals blocked. The name is complete before its flag is
 * set and stays until the flag is cleared.
 */
#define TMP_NAME_MAX (PATH_MAX + NAME_MAX + 16)
static char tmp_names[OUTFILE_MAX][TMP_NAME_MAX];
static volatile sig_atomic_t tmp_live[OUTFILE_MAX];

static const int cleanup_signals[] = { SIGHUP, SIGINT, SIGTERM, SIGPIPE };
#define NR_CLEANUP_SIGNALS (sizeof(cleanup_signals) / sizeof(cleanup_signals[0]))

static void cleanup_sigset(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < NR_CLEANUP_SIGNALS; i++)
		sigaddset(set, cleanup_signals[i]);
}

/*
 * Remove the temporary files, then die of the signal as if it had not been caught, so the
 * parent sees the real cause. Only async-signal-safe calls: unlink, sigaction, raise. The
 * signal is blocked until the handler returns, and then kills the process.
 */
static void on_fatal_signal(int sig)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	for (int i = 0; i < OUTFILE_MAX; i++)
		if (tmp_live[i])
			unlink(tmp_names[i]);
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	raise(sig);
}

/* Once, on the first temporary file. A signal ignored at start (nohup) stays ignored. */
static void install_handlers(void)
{
	static bool installed;
	struct sigaction sa = { .sa_handler = on_fatal_signal, .sa_flags = SA_RESTART }, old;

	if (installed)
		return;
	installed = true;
	cleanup_sigset(&sa.sa_mask);
	for (size_t i = 0; i < NR_CLEANUP_SIGNALS; i++) {
		if (sigaction(cleanup_signals[i], NULL, &old) || old.sa_handler == SIG_IGN)
			continue;
		sigaction(cleanup_signals[i], &sa, NULL);
	}
}

/* Keep the handler from seeing a slot change half-way; the previous mask goes to @old. */
static void block_signals(sigset_t *old)
{
	sigset_t set;

	cleanup_sigset(&set);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

static void restore_signals(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* ---- resolving a path ---- */

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

static const char *base_of(const char *path)
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
static const char *resolve_new(const char *path, struct where *w)
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
	w->target = str_join(real, base_of(cur));
	if (!w->target)
		why = strerror(ENOMEM);
out:
	free(real);
	free(dir);
	free(cur);
	return why;
}

/* Where @path leads (@out: standard output's status, or NULL); NULL, or why it cannot be. */
static const char *resolve(const char *path, const struct stat *out, struct where *w)
{
	struct stat st;

	*w = (struct where){ .kind = OUTFILE_NONE };
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

static bool same_file(const struct where *a, const struct where *b)
{
	if (a->kind == OUTFILE_STDOUT || b->kind == OUTFILE_STDOUT)
		return a->kind == b->kind;
	if (a->exists || b->exists)
		return a->exists && b->exists && a->dev == b->dev && a->ino == b->ino;
	return !strcmp(a->target, b->target);
}

static void where_free(struct where *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(w[i].target);
		w[i].target = NULL;
	}
}

/* Resolve every path of @files into @w, and compare them; 0, or -1 after one line. */
static int resolve_all(const struct outfile *const *files, size_t n, struct where *w)
{
	struct stat out_st;
	bool have_out = !fstat(STDOUT_FILENO, &out_st);

	if (n > OUTFILE_MAX) {
		fprintf(stderr, "%s: more than %d report files\n", files[0]->cmd, OUTFILE_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		w[i] = (struct where){ .kind = OUTFILE_NONE };
	for (size_t i = 0; i < n; i++) {
		const struct outfile *o = files[i];
		const char *why;

		if (!o->path)
			continue;
		why = resolve(o->path, have_out ? &out_st : NULL, &w[i]);
		if (why) {
			fprintf(stderr, "%s: %s: cannot write '%s': %s\n", o->cmd, o->opt, o->path,
				why);
			where_free(w, n);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			if (files[j]->path && same_file(&w[j], &w[i])) {
				fprintf(stderr, "%s: %s '%s' and %s '%s' name the same file\n",
					o->cmd, files[j]->opt, files[j]->path, o->opt, o->path);
				where_free(w, n);
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
	struct where w[OUTFILE_MAX];

	if (resolve_all(files, n, w))
		return -1;
	where_free(w, n);
	return 0;
}

/* ---- creating, writing, committing ---- */

/* What a new file gets from open(O_CREAT, 0666): mkstemp gives 0600. */
static mode_t new_file_mode(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return 0666 & ~mask;
}

/* Whether @name is the target of one of @files other than @self. */
static bool is_a_target(struct outfile *const *files, size_t n, const struct outfile *self,
			const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (files[i] != self && files[i]->target && !strcmp(files[i]->target, name))
			return true;
	return false;
}

/*
 * ".NAME.XXXXXX" beside the target: on the same file system, so rename() replaces the
 * target in one step, and unique, so no other output or run can take or clobber it. A name
 * shortened to fit; with signals blocked. NULL, or why not.
 */
static const char *make_temp(struct outfile *o, struct outfile *const *files, size_t n)
{
	const char *base = base_of(o->target);
	int slot, fd = -1, len;
	char *name;

	for (slot = 0; slot < OUTFILE_MAX && tmp_live[slot]; slot++)
		;
	if (slot == OUTFILE_MAX)
		return strerror(EMFILE);
	name = tmp_names[slot];
	for (int tries = 0; fd < 0 && tries < 8; tries++) {
		len = snprintf(name, TMP_NAME_MAX, "%.*s.%.*s.XXXXXX",
			       (int)(base - o->target), o->target, NAME_MAX - 8, base);
		if (len < 0 || len >= TMP_NAME_MAX)
			return strerror(ENAMETOOLONG);
		fd = mkstemp(name);
		if (fd < 0)
			return strerror(errno);
		/* A new target is free for mkstemp to pick; it must stay free. */
		if (is_a_target(files, n, o, name)) {
			unlink(name);
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0)
		return strerror(EEXIST);
	if (fchmod(fd, new_file_mode()) || !(o->f = fdopen(fd, "w"))) {
		int err = errno;

		unlink(name);
		close(fd);
		return strerror(err);
	}
	o->slot = slot + 1;
	tmp_live[slot] = 1;
	install_handlers();
	return NULL;
}

/* Open an existing device or FIFO for writing, in place; NULL, or why not. */
static const char *open_in_place(struct outfile *o)
{
	struct stat st;
	int fd = open(o->path, O_WRONLY | O_NOCTTY);

	if (fd < 0)
		return strerror(errno);
	/* Never write into a regular file in place: something replaced the node. */
	if (fstat(fd, &st) || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		close(fd);
		return "changed while it was opened";
	}
	o->f = fdopen(fd, "w");
	if (!o->f) {
		int err = errno;

		close(fd);
		return strerror(err);
	}
	return NULL;
}

int outfile_open(struct outfile *const *files, size_t n)
{
	struct where w[OUTFILE_MAX];
	const char *why = NULL;
	sigset_t old;
	size_t i;

	if (resolve_all((const struct outfile *const *)files, n, w))
		return -1;
	for (i = 0; i < n; i++) {
		files[i]->kind = w[i].kind;
		files[i]->target = w[i].target;
		files[i]->slot = 0;
		files[i]->f = NULL;
		files[i]->failed = false;
	}
	block_signals(&old);
	for (i = 0; i < n && !why; i++) {
		struct outfile *o = files[i];

		if (o->kind == OUTFILE_STDOUT)
			o->f = stdout;
		else if (o->kind == OUTFILE_REPLACE)
			why = make_temp(o, files, n);
		else if (o->kind == OUTFILE_DEVICE)
			why = open_in_place(o);
	}
	restore_signals(&old);
	if (!why)
		return 0;
	fprintf(stderr, "%s: %s: cannot write '%s': %s\n", files[i - 1]->cmd, files[i - 1]->opt,
		files[i - 1]->path, why);
	for (i = 0; i < n; i++)
		outfile_abandon(files[i]);
	return -1;
}

FILE *outfile_stream(struct outfile *o)
{
	const char *why;

	if (o->kind != OUTFILE_FIFO || o->f || o->failed)
		return o->failed ? NULL : o->f;
	/* Waits for a reader, as any writer of a FIFO does; a signal still cleans up. */
	why = open_in_place(o);
	if (why) {
		fprintf(stderr, "%s: %s: cannot write '%s': %s\n", o->cmd, o->opt, o->path, why);
		o->failed = true;
	}
	return o->f;
}

/* Flush and close @o->f: 0, or the errno that lost data. */
static int close_stream(struct outfile *o)
{
	int err = 0;

	if (fflush(o->f))
		err = errno ? errno : EIO;
	else if (ferror(o->f))
		err = EIO;
	/* On disk before the rename, so that a crash leaves the old file or the new one. */
	if (!err && o->kind == OUTFILE_REPLACE && fsync(fileno(o->f)) && errno != EINVAL)
		err = errno;
	if (fclose(o->f) && !err)
		err = errno;
	o->f = NULL;
	return err;
}

/* Remove the temporary file and forget it. */
static void drop_temp(struct outfile *o)
{
	sigset_t old;

	if (!o->slot)
		return;
	block_signals(&old);
	unlink(tmp_names[o->slot - 1]);
	tmp_live[o->slot - 1] = 0;
	restore_signals(&old);
	o->slot = 0;
}

static void done(struct outfile *o)
{
	free(o->target);
	o->target = NULL;
	o->kind = OUTFILE_NONE;
}

int outfile_commit(struct outfile *o)
{
	sigset_t old;
	int err;

	if (o->kind == OUTFILE_NONE)
		return 0;
	if (o->kind == OUTFILE_STDOUT) {
		/* Standard output is the command's to check, once, at its end. */
		o->f = NULL;
		done(o);
		return 0;
	}
	if (!outfile_stream(o)) {
		outfile_abandon(o);
		return -1;
	}
	err = close_stream(o);
	if (err) {
		fprintf(stderr, "%s: %s: cannot write '%s': %s\n", o->cmd, o->opt, o->path,
			strerror(err));
		outfile_abandon(o);
		return -1;
	}
	if (o->kind == OUTFILE_REPLACE) {
		/* Renamed and forgotten in one step for the signal handler. */
		block_signals(&old);
		if (rename(tmp_names[o->slot - 1], o->target)) {
			err = errno;
			unlink(tmp_names[o->slot - 1]);
			fprintf(stderr, "%s: %s: cannot rename '%s' to '%s': %s\n", o->cmd, o->opt,
				tmp_names[o->slot - 1], o->target, strerror(err));
		}
		tmp_live[o->slot - 1] = 0;
		o->slot = 0;
		restore_signals(&old);
	}
	done(o);
	return err ? -1 : 0;
}

void outfile_abandon(struct outfile *o)
{
	if (o->f && o->f != stdout)
		fclose(o->f);
	o->f = NULL;
	drop_temp(o);
	done(o);
}

/* SPDX-License-Identifier: MIT */
/*
 * The report files of the bench commands: how they get where they go whole (temporary file,
 * rename, clean-up on a fatal signal). outfile_path.c resolves where that is.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"
#include "outfile_path.h"

/*
 * The temporary files, for the signal handler: static, so that it reads nothing malloc
 * owns, and written only with the signals blocked. The name is complete before its flag is
 * set and stays until the flag is cleared.
 */
#define TMP_NAME_MAX (PATH_MAX + NAME_MAX + 16)
static char tmp_names[OUTFILE_MAX][TMP_NAME_MAX];
static volatile sig_atomic_t tmp_live[OUTFILE_MAX];

static const int cleanup_signals[] = {SIGHUP, SIGINT, SIGTERM, SIGPIPE};
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
	struct sigaction dfl = {.sa_handler = SIG_DFL};

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
	struct sigaction sa = {.sa_handler = on_fatal_signal, .sa_flags = SA_RESTART}, old;

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
	const char *base = outfile_base_of(o->target);
	int slot, fd = -1, len;
	char *name;

	for (slot = 0; slot < OUTFILE_MAX && tmp_live[slot]; slot++)
		;
	if (slot == OUTFILE_MAX)
		return strerror(EMFILE);
	name = tmp_names[slot];
	for (int tries = 0; fd < 0 && tries < 8; tries++) {
		len = snprintf(name, TMP_NAME_MAX, "%.*s.%.*s.XXXXXX", (int)(base - o->target),
			       o->target, NAME_MAX - 8, base);
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
	struct outfile_where w[OUTFILE_MAX];
	const char *why = NULL;
	sigset_t old;
	size_t i;

	if (outfile_resolve((const struct outfile *const *)files, n, w))
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

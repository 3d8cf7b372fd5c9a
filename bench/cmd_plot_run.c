/* SPDX-License-Identifier: MIT */
/*
 * Running gnuplot for iommusim-bench plot, and putting its files in place by the rules of
 * the other reports (bench/outfile.h): everything is made in a private folder beside the
 * prefix (".BASE.plot.XXXXXX", so renames stay on one file system), and renamed over the
 * targets only when gnuplot succeeded; an error or a fatal signal removes the folder, and
 * nothing but a regular file (or a link to one) is ever replaced.
 */
/* realpath() is XSI; the build asks for plain POSIX 2008. */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_plot.h"

extern char **environ;

#define NR_OUT 4
static const char *const exts[NR_OUT] = {"gp", "dat", "png", "svg"};

static bool wanted(const struct plot_look *look, int i)
{
	return i < 2 || (i == 2 && look->png) || (i == 3 && look->svg);
}

/*
 * For the signal handler: static, so that it reads nothing malloc owns. The names are
 * complete before live is set; the child is killed first so that it creates nothing after
 * the files are removed.
 */
static char tmp_dir[PATH_MAX];
static char tmp_files[NR_OUT][PATH_MAX + NAME_MAX + 8];
static volatile sig_atomic_t tmp_live;
static volatile pid_t child_pid;

static const int fatal_signals[] = {SIGHUP, SIGINT, SIGTERM, SIGPIPE};
#define NR_FATAL (sizeof(fatal_signals) / sizeof(fatal_signals[0]))

static void remove_tmp(void)
{
	for (int i = 0; i < NR_OUT; i++)
		unlink(tmp_files[i]);
	rmdir(tmp_dir);
}

static void on_fatal_signal(int sig)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};

	if (child_pid > 0)
		kill(child_pid, SIGKILL);
	if (tmp_live)
		remove_tmp();
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	raise(sig);
}

static void install_handlers(void)
{
	struct sigaction sa = {.sa_handler = on_fatal_signal, .sa_flags = SA_RESTART}, old;

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NR_FATAL; i++)
		sigaddset(&sa.sa_mask, fatal_signals[i]);
	for (size_t i = 0; i < NR_FATAL; i++)
		if (!sigaction(fatal_signals[i], NULL, &old) && old.sa_handler != SIG_IGN)
			sigaction(fatal_signals[i], &sa, NULL);
}

static const char gnuplot_missing[] =
	"plot: gnuplot not found (in PATH, or as $IOMMUSIM_GNUPLOT): install gnuplot "
	"(Debian: apt-get install gnuplot-nox)\n";

int plot_find_gnuplot(char *buf, size_t len)
{
	const char *want = getenv("IOMMUSIM_GNUPLOT"), *path = getenv("PATH");

	if (!want || !*want)
		want = "gnuplot";
	if (strchr(want, '/')) {
		if (access(want, X_OK) == 0 && snprintf(buf, len, "%s", want) < (int)len)
			return 0;
		fputs(gnuplot_missing, stderr);
		return -1;
	}
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");
		struct stat st;

		if (snprintf(buf, len, "%.*s/%s", (int)n, n ? p : ".", want) < (int)len &&
		    !stat(buf, &st) && S_ISREG(st.st_mode) && !access(buf, X_OK))
			return 0;
		p += n + (p[n] == ':');
	}
	fputs(gnuplot_missing, stderr);
	return -1;
}

/* The target of output @i: PREFIX.EXT, or the file a link there names. NULL, or why not. */
static const char *target_of(const char *prefix, int i, char *buf, size_t len)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s.%s", prefix, exts[i]) >= (int)sizeof(path))
		return strerror(ENAMETOOLONG);
	if (lstat(path, &st)) {
		if (errno != ENOENT)
			return strerror(errno);
		snprintf(buf, len, "%s", path);
		return NULL;
	}
	if (S_ISLNK(st.st_mode)) {
		if (stat(path, &st) || !S_ISREG(st.st_mode) || !realpath(path, buf))
			return "a link to something other than a regular file";
		return NULL;
	}
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	snprintf(buf, len, "%s", path);
	return NULL;
}

/* PREFIX split into its folder (in @dir, "." when none) and its last component. */
static const char *split_prefix(const char *prefix, char *dir, size_t len)
{
	const char *slash = strrchr(prefix, '/');

	if (!slash) {
		snprintf(dir, len, ".");
		return prefix;
	}
	snprintf(dir, len, "%.*s", slash == prefix ? 1 : (int)(slash - prefix), prefix);
	return slash + 1;
}

int plot_check_outputs(const char *prefix, const struct plot_look *look)
{
	char dir[PATH_MAX], target[PATH_MAX], shown[160];
	const char *base = split_prefix(prefix, dir, sizeof(dir)), *why;
	struct stat st;

	cli_shown(prefix, shown, sizeof(shown));
	if (!*base || strlen(base) > NAME_MAX - 16) {
		fprintf(stderr, "plot: -o: '%s' is not a file name prefix\n", shown);
		return -1;
	}
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "plot: -o: cannot write '%s': %s\n", shown,
			errno == 0 || !stat(dir, &st) ? strerror(ENOTDIR) : strerror(errno));
		return -1;
	}
	for (int i = 0; i < NR_OUT; i++) {
		if (!wanted(look, i))
			continue;
		why = target_of(prefix, i, target, sizeof(target));
		if (why) {
			fprintf(stderr, "plot: -o: cannot write '%s.%s': %s\n", shown, exts[i],
				why);
			return -1;
		}
	}
	return 0;
}

/* Write one of the text files into the private folder: 0, or -1 after an error. */
static int write_text(int i, const struct plot_figure *fig, const struct plot_look *look)
{
	FILE *f = fopen(tmp_files[i], "w");
	int err;

	if (!f) {
		err = errno;
	} else {
		err = i == 0 ? plot_write_script(f, fig, look) : plot_write_data(f, fig);
		if (fflush(f) && !err)
			err = errno ? errno : EIO;
		if (fclose(f) && !err)
			err = errno;
	}
	if (err)
		fprintf(stderr, "plot: cannot write '%s': %s\n", tmp_files[i], strerror(err));
	return err ? -1 : 0;
}

/* Run gnuplot on the script, its standard error kept in @msg: exit status, or -1. */
static int run_gnuplot(const char *gnuplot, char *msg, size_t len)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = {(char *)gnuplot, tmp_files[0], NULL};
	int pipefd[2], st, err;
	size_t used = 0;
	ssize_t got;
	pid_t pid;

	msg[0] = '\0';
	if (pipe(pipefd))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	posix_spawn_file_actions_addclose(&fa, pipefd[1]);
	err = posix_spawn(&pid, gnuplot, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (err) {
		close(pipefd[0]);
		snprintf(msg, len, "%s", strerror(err));
		return -1;
	}
	child_pid = pid;
	/* read to the end: a full pipe would stop gnuplot */
	for (;;) {
		char chunk[4096];

		got = read(pipefd[0], chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		for (ssize_t k = 0; k < got && used + 1 < len; k++)
			msg[used++] = chunk[k];
		msg[used] = '\0';
	}
	close(pipefd[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	child_pid = 0;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	snprintf(msg + used, len - used, "killed by signal %d\n", WTERMSIG(st));
	return -1;
}

/* gnuplot's messages, each line on its own after "plot: gnuplot: ". */
static void relay(const char *msg)
{
	while (*msg) {
		size_t n = strcspn(msg, "\n");

		if (n)
			fprintf(stderr, "plot: gnuplot: %.*s\n", (int)n, msg);
		msg += n + (msg[n] == '\n');
	}
}

static void drop_tmp(void)
{
	sigset_t set, old;

	sigemptyset(&set);
	for (size_t i = 0; i < NR_FATAL; i++)
		sigaddset(&set, fatal_signals[i]);
	sigprocmask(SIG_BLOCK, &set, &old);
	remove_tmp();
	tmp_live = 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* Make the files reach the disk before they take the targets' names. */
static int sync_file(const char *path)
{
	int fd = open(path, O_RDONLY), err = 0;

	if (fd < 0)
		return errno;
	if (fsync(fd) && errno != EINVAL)
		err = errno;
	close(fd);
	return err;
}

int plot_render(const char *gnuplot, const char *prefix, const struct plot_figure *fig,
		const struct plot_look *look)
{
	char dir[PATH_MAX], target[PATH_MAX], msg[8192];
	const char *base = split_prefix(prefix, dir, sizeof(dir)), *why;
	int status, err, i;

	if (snprintf(tmp_dir, sizeof(tmp_dir), "%s/.%s.plot.XXXXXX", dir, base) >=
	    (int)sizeof(tmp_dir)) {
		fprintf(stderr, "plot: -o: %s\n", strerror(ENAMETOOLONG));
		return -1;
	}
	for (i = 0; i < NR_OUT; i++)
		tmp_files[i][0] = '\0';
	install_handlers();
	if (!mkdtemp(tmp_dir)) {
		fprintf(stderr, "plot: cannot create a folder in '%s': %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < NR_OUT; i++)
		snprintf(tmp_files[i], sizeof(tmp_files[i]), "%s/%s.%s", tmp_dir, base, exts[i]);
	tmp_live = 1;
	if (write_text(1, fig, look) || write_text(0, fig, look))
		goto fail;
	status = run_gnuplot(gnuplot, msg, sizeof(msg));
	if (status > 0)
		fprintf(stderr, "plot: gnuplot failed with exit status %d:\n", status);
	else if (status < 0)
		fprintf(stderr, "plot: gnuplot failed:\n");
	if (status) {
		relay(msg);
		goto fail;
	}
	relay(msg); /* warnings */
	for (i = 0; i < NR_OUT; i++) {
		if (!wanted(look, i))
			continue;
		err = sync_file(tmp_files[i]);
		if (err) {
			fprintf(stderr, "plot: gnuplot wrote no '%s.%s': %s\n", base, exts[i],
				strerror(err));
			goto fail;
		}
	}
	for (i = 0; i < NR_OUT; i++) {
		if (!wanted(look, i))
			continue;
		why = target_of(prefix, i, target, sizeof(target));
		if (!why && rename(tmp_files[i], target))
			why = strerror(errno);
		if (why) {
			fprintf(stderr, "plot: cannot write '%s.%s': %s\n", prefix, exts[i], why);
			goto fail;
		}
	}
	drop_tmp();
	return 0;
fail:
	drop_tmp();
	return -1;
}

/* SPDX-License-Identifier: MIT */
/*
 * Job files (jobfile.h), read with inih. inih's handler is not told the line, so the reader
 * that feeds it lines counts them. Every value is checked here, with the checks the command
 * line gets, so that a bad one is reported at its line: "FILE:LINE: KEY: problem".
 */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/iommusim.h>

#include "cli.h"
#include "jobfile.h"

struct entry {
	char *section, *key, *value;
	unsigned int line;
};

struct reader {
	FILE *f;
	unsigned int line; /* of the text inih has last been given */
	bool at_start;	   /* the next read starts a line */
	struct entry *e;
	size_t n;
	int err;
};

static char *read_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	char *s = fgets(str, num, r->f);

	if (!s)
		return NULL;
	if (r->at_start)
		r->line++;
	r->at_start = strchr(s, '\n') != NULL;
	return s;
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct reader *r = user;
	struct entry *e = realloc(r->e, (r->n + 1) * sizeof(*e));

	if (!e) {
		r->err = -ENOMEM;
		return 0;
	}
	r->e = e;
	e[r->n] =
		(struct entry){strdup(section), strdup(name), strdup(value ? value : ""), r->line};
	if (!e[r->n].section || !e[r->n].key || !e[r->n].value)
		r->err = -ENOMEM;
	r->n++;
	return !r->err;
}

/* The keys of the command itself; any other must be a cost parameter. */
static const char *const option_keys[] = {
	"scenario", "platform", "policy", "seconds", "runtime", "warmup", "seed", "repeat",
};

static bool is_option(const char *key)
{
	for (size_t i = 0; i < sizeof(option_keys) / sizeof(option_keys[0]); i++)
		if (!strcmp(option_keys[i], key))
			return true;
	return !iommusim_sim_option_lookup(key, NULL);
}

/* Each name of a comma-separated list of platforms or policies, as the command line takes them. */
static const char *check_names(const char *key, const char *value, char *buf, size_t len)
{
	const char *p = value;

	while (*p) {
		size_t n = strcspn(p, ",");
		char name[64];
		bool ok;

		if (!n || n >= sizeof(name)) {
			snprintf(buf, len, "empty or overlong name in '%s'", value);
			return buf;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		if (!strcmp(key, "platform")) {
			enum iommusim_platform_kind kind;

			ok = !iommusim_platform_lookup(name, &kind);
		} else {
			enum iommusim_policy policy;

			ok = !iommusim_policy_lookup(name, &policy);
		}
		if (!ok) {
			snprintf(buf, len, "unknown %s '%s'", key, name);
			return buf;
		}
		p += n + (p[n] == ',');
	}
	return NULL;
}

/* A value's problem, or NULL; lists and ranges are the sweep's to check. */
static const char *check_value(bool sweep, const char *key, const char *value, char *buf,
			       size_t len)
{
	struct iommusim_sim_config cfg = {0};
	bool list = strchr(value, ',') || strstr(value, "..");
	enum iommusim_cost_id id;

	if (!*value)
		return "no value";
	if (list && !sweep && strcmp(key, "platform") && strcmp(key, "policy"))
		return "lists and ranges are for 'iommusim-bench sweep'";
	if (!iommusim_sim_option_lookup(key, NULL)) {
		if (list || !iommusim_sim_config_set(&cfg, key, value, buf, len))
			return NULL;
		/* the library's message starts with the key, which the caller prints */
		return strchr(buf, ':') ? strchr(buf, ':') + 2 : buf;
	}
	if (!strcmp(key, "scenario"))
		return iommusim_scenario_lookup(value) ? NULL : "unknown scenario";
	if (!strcmp(key, "platform") || !strcmp(key, "policy"))
		return check_names(key, value, buf, len);
	if (is_option(key))
		return NULL; /* checked with the command line's rules; the message names the option
			      */
	if (!iommusim_cost_lookup(key, &id)) {
		struct iommusim_mem *mem;
		struct iommusim_cost *cost;
		char set[512];
		int err;

		if (list || iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &mem))
			return NULL;
		err = iommusim_cost_create(mem, &cost);
		snprintf(set, sizeof(set), "%s=%s", key, value);
		if (!err)
			err = iommusim_cost_set(cost, set, buf, len);
		iommusim_cost_destroy(cost);
		iommusim_mem_destroy(mem);
		if (!err)
			return NULL;
		return strchr(buf, ':') ? strchr(buf, ':') + 2 : buf;
	} else {
		snprintf(buf, len, "unknown key (not an option; as a cost parameter: %s)",
			 iommusim_cost_suggest(key) < IOMMUSIM_COST_NR
				 ? iommusim_cost_param(iommusim_cost_suggest(key))->name
				 : "no such parameter");
		return buf;
	}
	return NULL;
}

static void free_entries(struct reader *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->e[i].section);
		free(r->e[i].key);
		free(r->e[i].value);
	}
	free(r->e);
}

/* The one job section to run: @want, or the only one. */
static const char *pick_section(const char *cmd, const char *path, const struct reader *r,
				const char *want)
{
	const char *only = NULL;
	size_t jobs = 0;

	for (size_t i = 0; i < r->n; i++) {
		const char *s = r->e[i].section;
		bool seen = false;

		if (!strcmp(s, "global"))
			continue;
		if (want && !strcmp(s, want))
			return s;
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(r->e[j].section, s);
		if (!seen && jobs++ == 0)
			only = s;
	}
	if (want) {
		fprintf(stderr, "%s: --section: no job [%s] in '%s'\n", cmd, want, path);
		return NULL;
	}
	if (jobs > 1) {
		fprintf(stderr, "%s: --job: '%s' has %zu jobs: choose one with --section NAME\n",
			cmd, path, jobs);
		return NULL;
	}
	return only ? only : "global";
}

static int add_word(struct jobfile *jf, const struct entry *e)
{
	char **w = realloc(jf->words, (jf->nwords + 1) * sizeof(*w));
	unsigned int *l = realloc(jf->lines, (jf->nwords + 1) * sizeof(*l));
	size_t len = strlen(e->key) + strlen(e->value) + 16;

	if (w)
		jf->words = w;
	if (l)
		jf->lines = l;
	if (!w || !l || !(w[jf->nwords] = malloc(len)))
		return -1;
	if (is_option(e->key))
		snprintf(w[jf->nwords], len, "--%s=%s", e->key, e->value);
	else
		snprintf(w[jf->nwords], len, "--set=%s=%s", e->key, e->value);
	l[jf->nwords++] = e->line;
	return 0;
}

int jobfile_read(const char *cmd, const char *path, const char *section, struct jobfile *jf)
{
	struct reader r = {.at_start = true};
	const char *job;
	char buf[256], shown[160];
	int err;

	memset(jf, 0, sizeof(*jf));
	r.f = fopen(path, "r");
	if (!r.f) {
		fprintf(stderr, "%s: --job: cannot read '%s': %s\n", cmd,
			cli_shown(path, shown, sizeof(shown)), strerror(errno));
		return -1;
	}
	err = ini_parse_stream(read_line, &r, on_entry, &r);
	fclose(r.f);
	if (r.err) {
		fprintf(stderr, "%s: out of memory\n", cmd);
		free_entries(&r);
		return -1;
	}
	if (err) {
		fprintf(stderr, "%s:%d: not a key = value line or a [section]\n", path, err);
		free_entries(&r);
		return -1;
	}
	job = pick_section(cmd, path, &r, section);
	err = job ? 0 : -1;
	for (size_t i = 0; !err && i < r.n; i++) {
		const struct entry *e = &r.e[i];
		const char *problem;

		if (strcmp(e->section, "global") && strcmp(e->section, job))
			continue;
		for (size_t j = 0; j < i && !err; j++) {
			if (!strcmp(r.e[j].section, e->section) && !strcmp(r.e[j].key, e->key)) {
				fprintf(stderr, "%s:%u: %s: given twice in [%s] (line %u)\n", path,
					e->line, e->key, e->section, r.e[j].line);
				err = -1;
			}
		}
		problem = err ? NULL
			      : check_value(!strcmp(cmd, "sweep"), e->key, e->value, buf,
					    sizeof(buf));
		if (problem) {
			/* the value, unless the problem quotes it already */
			fprintf(stderr,
				strchr(problem, '\'') ? "%s:%u: %s: %s\n"
						      : "%s:%u: %s: %s ('%s')\n",
				path, e->line, e->key, problem,
				cli_shown(e->value, shown, sizeof(shown)));
			err = -1;
		}
		if (!err && add_word(jf, e)) {
			fprintf(stderr, "%s: out of memory\n", cmd);
			err = -1;
		}
	}
	if (!err && (!(jf->section = strdup(job)) || !(jf->path = strdup(path))))
		err = -1;
	free_entries(&r);
	if (err)
		jobfile_free(jf);
	return err;
}

void jobfile_free(struct jobfile *jf)
{
	for (size_t i = 0; i < jf->nwords; i++)
		free(jf->words[i]);
	free(jf->words);
	free(jf->lines);
	free(jf->section);
	free(jf->path);
	memset(jf, 0, sizeof(*jf));
}

const char *jobfile_path(const struct jobfile *jf)
{
	return jf->path;
}

/* "--job FILE" or "--job=FILE" at argv[i]: the value, and how many words it took. */
static const char *opt_value(char **argv, int argc, int i, const char *name, int *used)
{
	size_t n = strlen(name);

	*used = 0;
	if (strncmp(argv[i], name, n))
		return NULL;
	if (argv[i][n] == '=') {
		*used = 1;
		return argv[i] + n + 1;
	}
	if (argv[i][n] || i + 1 >= argc)
		return NULL;
	*used = 2;
	return argv[i + 1];
}

int jobfile_argv(const char *cmd, int argc, char **argv, struct jobfile *jf, char ***out, int *outc)
{
	const char *file = NULL, *section = NULL;
	char **v;
	int n = 0, used;

	for (int i = 1; i < argc; i++) {
		const char *f = opt_value(argv, argc, i, "--job", &used);
		const char *s = f ? NULL : opt_value(argv, argc, i, "--section", &used);

		if (!strcmp(argv[i], "--"))
			break;
		if ((f && file) || (s && section)) {
			fprintf(stderr, "%s: %s: given twice\n", cmd, f ? "--job" : "--section");
			return -1;
		}
		file = f ? f : file;
		section = s ? s : section;
		i += used ? used - 1 : 0;
	}
	if (!file) {
		if (section) {
			fprintf(stderr, "%s: --section: needs --job FILE\n", cmd);
			return -1;
		}
		return 1;
	}
	if (jobfile_read(cmd, file, section, jf))
		return -1;
	v = calloc((size_t)argc + jf->nwords + 1, sizeof(*v));
	if (!v) {
		fprintf(stderr, "%s: out of memory\n", cmd);
		return -1;
	}
	v[n++] = argv[0];
	for (size_t i = 0; i < jf->nwords; i++)
		v[n++] = jf->words[i];
	for (int i = 1; i < argc; i++) {
		if (opt_value(argv, argc, i, "--job", &used) ||
		    opt_value(argv, argc, i, "--section", &used)) {
			i += used - 1;
			continue;
		}
		v[n++] = argv[i];
	}
	*out = v;
	*outc = n;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Parser for IOVA op scripts. The whole script is checked before anything runs, so a bad line
 * anywhere yields one error message and no partial output.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <iommusim/iova.h>

#include "base/bitops.h"
#include "base/memory.h"
#include "workload/iova_ops.h"

/* CPUs a script gets when it never says `ncpus`, as in the reference harness. */
#define DEFAULT_NCPUS 64

struct op_syntax {
	const char *name;
	enum iova_op_kind kind;
	unsigned int nargs;
	const char *field[3];
	/* Ops that only set the replay's own state may come before `init`. */
	bool before_init;
};

static const struct op_syntax syntax[] = {
	{ "init", OP_INIT, 2, { "GRANULE", "START_PFN" }, true },
	{ "ncpus", OP_NCPUS, 1, { "N" }, true },
	{ "cpu", OP_CPU, 1, { "N" }, true },
	{ "alloc", OP_ALLOC, 3, { "SIZE", "LIMIT_PFN", "ALIGNED" }, false },
	{ "free", OP_FREE, 1, { "PFN" }, false },
	{ "reserve", OP_RESERVE, 2, { "PFN_LO", "PFN_HI" }, false },
	{ "fast", OP_FAST, 3, { "SIZE", "LIMIT_PFN", "FLUSH" }, false },
	{ "ffree", OP_FFREE, 2, { "PFN", "SIZE" }, false },
	{ "drain", OP_DRAIN, 0, { NULL }, false },
	{ "tick", OP_TICK, 0, { NULL }, false },
	{ "dump", OP_DUMP, 0, { NULL }, false },
	{ "find", OP_FIND, 1, { "PFN" }, false },
	{ "cpudead", OP_CPUDEAD, 1, { "N" }, false },
	{ "rcache", OP_RCACHE, 0, { NULL }, false },
	{ "cached", OP_CACHED, 0, { NULL }, false },
	{ "pending", OP_PENDING, 0, { NULL }, false },
};

struct parser {
	const char *name;
	size_t line;
	char *errbuf;
	size_t errlen;
};

static const char *escaped(char *buf, size_t size, const char *s, size_t len, size_t max);

static int fail(struct parser *p, const char *field, const char *fmt, ...)
{
	char msg[256], name[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* the script's name may hold anything a file name can: keep the message one line */
	if (p->errlen)
		snprintf(p->errbuf, p->errlen, "%s:%zu: %s: %s",
			 escaped(name, sizeof(name), p->name, strlen(p->name), 240), p->line, field,
			 msg);
	return -EINVAL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum number { NUMBER_OK, NUMBER_MALFORMED, NUMBER_TOO_LARGE };

/* An unsigned 64-bit number in decimal or 0x hex, nothing else; digits beyond 2^64 - 1 too large. */
static enum number parse_u64(const char *s, size_t len, uint64_t *out)
{
	bool hex = len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	bool over = false;
	uint64_t v = 0;

	if (len == 0 || (hex && len == 2))
		return NUMBER_MALFORMED;
	for (size_t i = hex ? 2 : 0; i < len; i++) {
		int d = hex ? hexval(s[i]) : (s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1);
		uint64_t base = hex ? 16 : 10;

		if (d < 0)
			return NUMBER_MALFORMED;
		/* keep reading: a bad digit further on makes it malformed, not too large */
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			over = true;
		else
			v = v * base + (uint64_t)d;
	}
	if (over)
		return NUMBER_TOO_LARGE;
	*out = v;
	return NUMBER_OK;
}

/*
 * Up to @max bytes of a field for an error message, every byte that is not printable ASCII
 * written as \xHH, so that a message stays one line of text whatever the input held.
 */
static const char *escaped(char *buf, size_t size, const char *s, size_t len, size_t max)
{
	size_t used = 0;

	for (size_t i = 0; i < len && i < max && used + 5 <= size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[used++] = (char)c;
		else
			used += (size_t)snprintf(buf + used, size - used, "\\x%02x", c);
	}
	if (len > max && used + 4 <= size) {
		memcpy(buf + used, "...", 3);
		used += 3;
	}
	buf[used] = '\0';
	return buf;
}

/* A field of the script: at most 32 bytes of it. */
static const char *shown(char *buf, size_t size, const char *s, size_t len)
{
	return escaped(buf, size, s, len, 32);
}

static const struct op_syntax *lookup(const char *word, size_t len)
{
	for (size_t i = 0; i < sizeof(syntax) / sizeof(syntax[0]); i++)
		if (strlen(syntax[i].name) == len && !memcmp(syntax[i].name, word, len))
			return &syntax[i];
	return NULL;
}

/* The kernel API's own limits on each op's arguments. */
static int check_args(struct parser *p, const struct op_syntax *syn, const uint64_t *a)
{
	const uint64_t max_cpu = IOMMUSIM_IOVA_MAX_CPUS;

	switch (syn->kind) {
	case OP_INIT:
		if (!isim_is_pow2(a[0]))
			return fail(p, "GRANULE", "%llu is not a power of two", (unsigned long long)a[0]);
		if (a[0] > IOMMUSIM_IOVA_MAX_GRANULE)
			return fail(p, "GRANULE", "%llu is larger than the page size %u",
				    (unsigned long long)a[0], IOMMUSIM_IOVA_MAX_GRANULE);
		return 0;
	case OP_NCPUS:
		if (a[0] == 0 || a[0] > max_cpu)
			return fail(p, "N", "must be 1..%llu", (unsigned long long)max_cpu);
		return 0;
	case OP_CPU:
	case OP_CPUDEAD:
		if (a[0] >= max_cpu)
			return fail(p, "N", "CPU numbers go up to %llu",
				    (unsigned long long)max_cpu - 1);
		return 0;
	case OP_ALLOC:
	case OP_FAST:
		if (a[0] == 0)
			return fail(p, "SIZE", "must be at least 1");
		if (a[1] == UINT64_MAX)
			return fail(p, "LIMIT_PFN", "2^64-1 is not a valid inclusive limit");
		if (a[2] > 1)
			return fail(p, syn->field[2], "must be 0 or 1");
		return 0;
	case OP_FFREE:
		if (a[1] == 0)
			return fail(p, "SIZE", "must be at least 1");
		return 0;
	case OP_RESERVE:
		if (a[0] > a[1])
			return fail(p, "PFN_LO", "is above PFN_HI");
		return 0;
	default:
		return 0;
	}
}

/* The CPUs as the script has declared them so far: online ones are 0 .. online - 1. */
struct cpus {
	uint64_t online;
	uint64_t current;
};

/*
 * Ops run on the current CPU, which must be online: `cpu N` and `cpudead N` name an online
 * CPU, and `ncpus N` keeps the current one online. (A CPU after its `cpudead` has come back
 * online, as in the kernel, where nothing runs for a CPU coming up and its emptied magazines
 * are used again.)
 */
static int check_cpus(struct parser *p, struct cpus *c, const struct iova_op *op)
{
	switch (op->kind) {
	case OP_NCPUS:
		if (c->current >= op->arg[0])
			return fail(p, "N", "the current CPU %llu would not be online (cpu 0..%llu "
				    "first)", (unsigned long long)c->current,
				    (unsigned long long)op->arg[0] - 1);
		c->online = op->arg[0];
		return 0;
	case OP_CPU:
	case OP_CPUDEAD:
		if (op->arg[0] >= c->online)
			return fail(p, "N", "CPU %llu is not online (ncpus is %llu: CPUs 0..%llu)",
				    (unsigned long long)op->arg[0], (unsigned long long)c->online,
				    (unsigned long long)c->online - 1);
		if (op->kind == OP_CPU)
			c->current = op->arg[0];
		return 0;
	default:
		return 0;
	}
}

static void note_cpus(struct iova_script *s, const struct iova_op *op)
{
	unsigned int need = 0;

	if (op->kind == OP_NCPUS)
		need = (unsigned int)op->arg[0];
	else if (op->kind == OP_CPU || op->kind == OP_CPUDEAD)
		need = (unsigned int)op->arg[0] + 1;
	if (need > s->possible_cpus)
		s->possible_cpus = need;
}

/* Room for one more op: the array doubles, copied, as the memory context has no realloc. */
static int grow(struct iova_script *script)
{
	size_t ncap = script->cap ? script->cap * 2 : 1024;
	struct iova_op *n;

	if (script->nops < script->cap)
		return 0;
	if (ncap > SIZE_MAX / sizeof(*n))
		return -ENOMEM;
	n = isim_alloc(script->mem, ncap * sizeof(*n), 0);
	if (!n)
		return -ENOMEM;
	if (script->nops)
		memcpy(n, script->ops, script->nops * sizeof(*n));
	if (script->ops)
		isim_free(script->mem, script->ops, script->cap * sizeof(*n), 0);
	script->ops = n;
	script->cap = ncap;
	return 0;
}

int isim_iova_script_parse(struct iommusim_mem *mem, const char *text, size_t len,
			   const char *name, struct iova_script *script, char *errbuf,
			   size_t errlen)
{
	struct parser p = { .name = name, .errbuf = errbuf, .errlen = errlen };
	const char *pos = text, *end = text + len;
	struct cpus cpus = { .online = DEFAULT_NCPUS };
	char show[32 * 4 + 8];
	bool seen_init = false;
	int err = 0;

	*script = (struct iova_script){ .mem = mem, .possible_cpus = DEFAULT_NCPUS };
	while (pos < end && !err) {
		const char *eol = memchr(pos, '\n', (size_t)(end - pos));
		const char *word[5];
		size_t wlen[5], nwords = 0;
		const struct op_syntax *syn;
		struct iova_op *op;

		if (!eol)
			eol = end;
		p.line++;
		for (const char *c = pos; c < eol;) {
			while (c < eol && is_space(*c))
				c++;
			if (c == eol)
				break;
			if (nwords == 0 && *c == '#')
				break;
			if (nwords == 5) {
				nwords++;
				break;
			}
			word[nwords] = c;
			while (c < eol && !is_space(*c))
				c++;
			wlen[nwords] = (size_t)(c - word[nwords]);
			nwords++;
		}
		pos = eol + 1;
		if (nwords == 0)
			continue;
		syn = lookup(word[0], wlen[0]);
		if (!syn) {
			err = fail(&p, "op", "unknown op '%s'",
				   shown(show, sizeof(show), word[0], wlen[0]));
			break;
		}
		if (nwords - 1 < syn->nargs) {
			err = fail(&p, syn->field[nwords - 1], "missing (usage: %s%s%s%s%s%s%s)",
				   syn->name, syn->nargs > 0 ? " " : "", syn->nargs > 0 ? syn->field[0] : "",
				   syn->nargs > 1 ? " " : "", syn->nargs > 1 ? syn->field[1] : "",
				   syn->nargs > 2 ? " " : "", syn->nargs > 2 ? syn->field[2] : "");
			break;
		}
		if (nwords - 1 > syn->nargs) {
			err = fail(&p, syn->name, "unexpected extra field '%s'",
				   shown(show, sizeof(show), word[syn->nargs + 1],
					 wlen[syn->nargs + 1]));
			break;
		}
		if (!syn->before_init && !seen_init) {
			err = fail(&p, "op", "'%s' before 'init'", syn->name);
			break;
		}

		if (grow(script)) {
			err = -ENOMEM;
			if (errlen)
				snprintf(errbuf, errlen, "%s: out of memory", name);
			break;
		}
		op = &script->ops[script->nops];
		*op = (struct iova_op){ .kind = syn->kind, .line = (uint32_t)p.line };
		for (unsigned int i = 0; i < syn->nargs && !err; i++) {
			enum number n = parse_u64(word[i + 1], wlen[i + 1], &op->arg[i]);

			if (n != NUMBER_OK)
				err = fail(&p, syn->field[i], "%s '%s'",
					   n == NUMBER_MALFORMED ? "malformed number"
								 : "out of range (above 2^64 - 1)",
					   shown(show, sizeof(show), word[i + 1], wlen[i + 1]));
		}
		if (!err)
			err = check_args(&p, syn, op->arg);
		if (!err)
			err = check_cpus(&p, &cpus, op);
		if (err)
			break;
		if (syn->kind == OP_INIT)
			seen_init = true;
		note_cpus(script, op);
		script->nops++;
	}
	if (err)
		isim_iova_script_free(script);
	return err;
}

void isim_iova_script_free(struct iova_script *script)
{
	if (script->ops)
		isim_free(script->mem, script->ops, script->cap * sizeof(*script->ops), 0);
	script->ops = NULL;
	script->nops = 0;
	script->cap = 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Parser for IOVA op scripts. The whole script is checked before anything runs, so a bad line
 * anywhere yields one error message and no partial output.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <iommusim/iova.h>

#include "base/bitops.h"
#include "base/memory.h"
#include "workload/iova_ops.h"
#include "workload/script_lex.h"
#include "workload/script_replay.h"

/* CPUs a script gets when it never says `ncpus`, as in the reference harness. */
#define DEFAULT_NCPUS 64

struct op_syntax {
	const char *name;
	enum iova_op_kind kind;
	unsigned int nargs;
	const char *field[3];
	/* Ops that only set the replay's own state may come before `init`. */
	bool before_init;
	/* strlen(name), for the lookup */
	unsigned char len;
};

/* The ops of a DMA stream first: a lookup tries them in this order. */
static const struct op_syntax syntax[] = {
	{"fast", OP_FAST, 3, {"SIZE", "LIMIT_PFN", "FLUSH"}, false, 4},
	{"ffree", OP_FFREE, 2, {"PFN", "SIZE"}, false, 5},
	{"alloc", OP_ALLOC, 3, {"SIZE", "LIMIT_PFN", "ALIGNED"}, false, 5},
	{"free", OP_FREE, 1, {"PFN"}, false, 4},
	{"cpu", OP_CPU, 1, {"N"}, true, 3},
	{"init", OP_INIT, 2, {"GRANULE", "START_PFN"}, true, 4},
	{"ncpus", OP_NCPUS, 1, {"N"}, true, 5},
	{"reserve", OP_RESERVE, 2, {"PFN_LO", "PFN_HI"}, false, 7},
	{"drain", OP_DRAIN, 0, {NULL}, false, 5},
	{"tick", OP_TICK, 0, {NULL}, false, 4},
	{"dump", OP_DUMP, 0, {NULL}, false, 4},
	{"find", OP_FIND, 1, {"PFN"}, false, 4},
	{"cpudead", OP_CPUDEAD, 1, {"N"}, false, 7},
	{"rcache", OP_RCACHE, 0, {NULL}, false, 6},
	{"cached", OP_CACHED, 0, {NULL}, false, 6},
	{"pending", OP_PENDING, 0, {NULL}, false, 7},
};

/* Op, at most 3 fields, and one more to show as extra. */
#define MAX_WORDS 5

/* The shortest op line: a 4-byte op with no field ("tick") and its newline. */
#define MIN_OP_BYTES 5

/*
 * docs/iova-ops.md: any blank separates fields, a line whose first field starts with '#' is a
 * comment, and hex starts with 0x or 0X.
 */
static const struct isim_script_rules rules = {
	.all_blanks = true,
	.comment_anywhere = false,
	.upper_hex_prefix = true,
};

static const struct op_syntax *lookup(const char *word, size_t len)
{
	/* length and first byte rule out most entries without a call */
	for (size_t i = 0; i < sizeof(syntax) / sizeof(syntax[0]); i++)
		if (syntax[i].len == len && syntax[i].name[0] == word[0] &&
		    !memcmp(syntax[i].name, word, len))
			return &syntax[i];
	return NULL;
}

/* The kernel API's own limits on each op's arguments. */
static int check_args(const struct isim_script_lines *p, const struct op_syntax *syn,
		      const uint64_t *a)
{
	const uint64_t max_cpu = IOMMUSIM_IOVA_MAX_CPUS;

	switch (syn->kind) {
	case OP_INIT:
		if (!isim_is_pow2(a[0]))
			return isim_script_fail(p, "GRANULE", "%llu is not a power of two",
						(unsigned long long)a[0]);
		if (a[0] > IOMMUSIM_IOVA_MAX_GRANULE)
			return isim_script_fail(
				p, "GRANULE", "%llu is larger than the page size %u",
				(unsigned long long)a[0], IOMMUSIM_IOVA_MAX_GRANULE);
		return 0;
	case OP_NCPUS:
		if (a[0] == 0 || a[0] > max_cpu)
			return isim_script_fail(p, "N", "must be 1..%llu",
						(unsigned long long)max_cpu);
		return 0;
	case OP_CPU:
	case OP_CPUDEAD:
		if (a[0] >= max_cpu)
			return isim_script_fail(p, "N", "CPU numbers go up to %llu",
						(unsigned long long)max_cpu - 1);
		return 0;
	case OP_ALLOC:
	case OP_FAST:
		if (a[0] == 0)
			return isim_script_fail(p, "SIZE", "must be at least 1");
		if (a[1] == UINT64_MAX)
			return isim_script_fail(p, "LIMIT_PFN",
						"2^64-1 is not a valid inclusive limit");
		if (a[2] > 1)
			return isim_script_fail(p, syn->field[2], "must be 0 or 1");
		return 0;
	case OP_FFREE:
		if (a[1] == 0)
			return isim_script_fail(p, "SIZE", "must be at least 1");
		return 0;
	case OP_RESERVE:
		if (a[0] > a[1])
			return isim_script_fail(p, "PFN_LO", "is above PFN_HI");
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
static int check_cpus(const struct isim_script_lines *p, struct cpus *c, enum iova_op_kind kind,
		      const uint64_t *a)
{
	switch (kind) {
	case OP_NCPUS:
		if (c->current >= a[0])
			return isim_script_fail(
				p, "N",
				"the current CPU %llu would not be online (cpu 0..%llu "
				"first)",
				(unsigned long long)c->current, (unsigned long long)a[0] - 1);
		c->online = a[0];
		return 0;
	case OP_CPU:
	case OP_CPUDEAD:
		if (a[0] >= c->online)
			return isim_script_fail(
				p, "N", "CPU %llu is not online (ncpus is %llu: CPUs 0..%llu)",
				(unsigned long long)a[0], (unsigned long long)c->online,
				(unsigned long long)c->online - 1);
		if (kind == OP_CPU)
			c->current = a[0];
		return 0;
	default:
		return 0;
	}
}

static void note_cpus(struct iova_script *s, enum iova_op_kind kind, const uint64_t *a)
{
	unsigned int need = 0;

	if (kind == OP_NCPUS)
		need = (unsigned int)a[0];
	else if (kind == OP_CPU || kind == OP_CPUDEAD)
		need = (unsigned int)a[0] + 1;
	if (need > s->possible_cpus)
		s->possible_cpus = need;
}

/* What the lines so far have set up for the next ones. */
struct state {
	struct cpus cpus;
	bool seen_init;
};

/*
 * The op of @syn with the fields @arg, in @op, the slot at the end of @script: the API's limits
 * checked, then written and counted in.
 */
static int finish_op(const struct isim_script_lines *p, struct state *st,
		     struct iova_script *script, const struct op_syntax *syn, struct iova_op *op,
		     const uint64_t *arg)
{
	int err = check_args(p, syn, arg);

	if (!err)
		err = check_cpus(p, &st->cpus, syn->kind, arg);
	if (err)
		return err;
	if (syn->kind == OP_INIT)
		st->seen_init = true;
	note_cpus(script, syn->kind, arg);
	*op = (struct iova_op){.kind = syn->kind};
	if (syn->kind == OP_ALLOC || syn->kind == OP_FAST) {
		/* check_args() made it 0 or 1 */
		op->flag = (uint32_t)arg[2];
	}
	op->arg[0] = arg[0];
	op->arg[1] = arg[1];
	script->nops++;
	return 0;
}

/* The slot for the next op, the array grown if it is full; NULL for want of memory. */
static struct iova_op *next_op(struct iova_script *script)
{
	if (script->nops == script->cap) {
		struct iova_op *ops = isim_script_grow(script->mem, script->ops, script->nops,
						       &script->cap, sizeof(*ops));

		if (!ops)
			return NULL;
		script->ops = ops;
	}
	return &script->ops[script->nops];
}

/* The fields of the line last read: checked, and appended to @script. */
static int parse_line(const struct isim_script_lines *p, struct state *st,
		      struct iova_script *script)
{
	const char *const *word = p->word;
	const size_t *wlen = p->wlen;
	size_t nwords = p->nwords;
	const struct op_syntax *syn = lookup(word[0], wlen[0]);
	char show[ISIM_SCRIPT_SHOWN_SIZE];
	uint64_t arg[3] = {0, 0, 0};
	struct iova_op *op;

	if (!syn)
		return isim_script_fail(p, "op", "unknown op '%s'",
					isim_script_shown(show, sizeof(show), word[0], wlen[0]));
	if (nwords - 1 < syn->nargs)
		return isim_script_fail(
			p, syn->field[nwords - 1], "missing (usage: %s%s%s%s%s%s%s)", syn->name,
			syn->nargs > 0 ? " " : "", syn->nargs > 0 ? syn->field[0] : "",
			syn->nargs > 1 ? " " : "", syn->nargs > 1 ? syn->field[1] : "",
			syn->nargs > 2 ? " " : "", syn->nargs > 2 ? syn->field[2] : "");
	if (nwords - 1 > syn->nargs)
		return isim_script_fail(p, syn->name, "unexpected extra field '%s'",
					isim_script_shown(show, sizeof(show), word[syn->nargs + 1],
							  wlen[syn->nargs + 1]));
	if (!syn->before_init && !st->seen_init)
		return isim_script_fail(p, "op", "'%s' before 'init'", syn->name);

	op = next_op(script);
	if (!op)
		return -ENOMEM;
	for (unsigned int i = 0; i < syn->nargs; i++) {
		enum isim_script_number n =
			isim_script_number(&rules, word[i + 1], wlen[i + 1], &arg[i]);

		if (n != ISIM_NUMBER_OK)
			return isim_script_fail(
				p, syn->field[i], "%s '%s'",
				n == ISIM_NUMBER_MALFORMED ? "malformed number"
							   : "out of range (above 2^64 - 1)",
				isim_script_shown(show, sizeof(show), word[i + 1], wlen[i + 1]));
	}
	return finish_op(p, st, script, syn, op, arg);
}

/*
 * How many bytes at least must follow the start of a line for fast_line() to read it with no
 * test for the end of the script: "alloc " and three fields of at most 20 bytes ("0x" and 16
 * hex digits, or 19 decimal ones), each with the byte after it, make 69.
 */
#define FAST_LINE_ROOM 80

/* Each hex digit's value plus one, 0 for any other byte: one load per digit. */
static const unsigned char hex_digit[256] = {
	['0'] = 1,  ['1'] = 2,	['2'] = 3,  ['3'] = 4,	['4'] = 5,  ['5'] = 6,
	['6'] = 7,  ['7'] = 8,	['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
	['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12,
	['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/*
 * A number as fast_line() takes it: 1 to 19 decimal digits, or 0x (0X) and 1 to 16 hex digits,
 * which can never be out of range, then a space or a newline. No byte it reads is past the end
 * of the script: fast_line() reads only lines that start FAST_LINE_ROOM bytes before it.
 * Returns the byte after the number, or NULL for anything else (a longer number, a bad digit,
 * another blank), which the general path reads the same way or names what is wrong with.
 */
static const char *fast_number(const char *c, uint64_t *out)
{
	uint64_t v = 0;
	unsigned int n = 0, d;

	if (c[0] == '0' && (c[1] == 'x' || c[1] == 'X')) {
		c += 2;
		for (; n < 17 && (d = hex_digit[(unsigned char)c[n]]) != 0; n++)
			v = v * 16 + d - 1;
		if (n == 0 || n > 16)
			return NULL;
	} else {
		for (; n < 20 && (d = (unsigned int)(unsigned char)c[n] - '0') < 10; n++)
			v = v * 10 + d;
		if (n == 0 || n > 19)
			return NULL;
	}
	c += n;
	if (*c != ' ' && *c != '\n')
		return NULL;
	*out = v;
	return c;
}

/*
 * The common line, read straight from the text with no lookup and no call: an op of a DMA
 * stream (fast, ffree, alloc, free, find, cpu), which are nearly all of a long script, in
 * lowercase, each field after one space, numbers fast_number() takes, and a newline right
 * after the last. It is checked as finish_op() checks it. Such a line means the same to the
 * general path (isim_script_next_line() and parse_line()), which takes every other line from
 * the same position, so that whatever is unusual about one reads and fails exactly as before:
 * another op, another form, a line that starts less than FAST_LINE_ROOM bytes before the end
 * of the script, and one the checks would refuse. Returns false, having consumed nothing, when
 * the line is not of that form.
 */
static bool fast_line(struct isim_script_lines *l, struct state *st, struct iova_script *script)
{
	const char *c = l->pos;
	enum iova_op_kind kind;
	unsigned int nargs;
	uint64_t arg[3] = {0, 0, 0};
	struct iova_op *op;

	switch (c[0]) {
	case 'f':
		if (!memcmp(c, "fast ", 5)) {
			kind = OP_FAST;
			nargs = 3;
			c += 5;
		} else if (!memcmp(c, "ffree ", 6)) {
			kind = OP_FFREE;
			nargs = 2;
			c += 6;
		} else if (!memcmp(c, "free ", 5)) {
			kind = OP_FREE;
			nargs = 1;
			c += 5;
		} else if (!memcmp(c, "find ", 5)) {
			kind = OP_FIND;
			nargs = 1;
			c += 5;
		} else {
			return false;
		}
		break;
	case 'a':
		if (memcmp(c, "alloc ", 6))
			return false;
		kind = OP_ALLOC;
		nargs = 3;
		c += 6;
		break;
	case 'c':
		if (memcmp(c, "cpu ", 4))
			return false;
		kind = OP_CPU;
		nargs = 1;
		c += 4;
		break;
	default:
		return false;
	}
	for (unsigned int i = 0; i < nargs; i++) {
		c = fast_number(c, &arg[i]);
		/* a space after each field but the last, the newline after that */
		if (!c || *c != (i + 1 < nargs ? ' ' : '\n'))
			return false;
		c++;
	}

	if (script->nops == script->cap || (kind != OP_CPU && !st->seen_init))
		return false;
	switch (kind) {
	case OP_CPU:
		/* online CPUs are never more than IOMMUSIM_IOVA_MAX_CPUS */
		if (arg[0] >= st->cpus.online)
			return false;
		st->cpus.current = arg[0];
		if (arg[0] + 1 > script->possible_cpus)
			script->possible_cpus = (unsigned int)arg[0] + 1;
		break;
	case OP_FAST:
	case OP_ALLOC:
		if (arg[0] == 0 || arg[1] == UINT64_MAX || arg[2] > 1)
			return false;
		break;
	case OP_FFREE:
		if (arg[1] == 0)
			return false;
		break;
	default:
		break;
	}
	l->line++;
	l->pos = c;
	op = &script->ops[script->nops++];
	*op = (struct iova_op){.kind = kind, .flag = (uint32_t)arg[2], .arg = {arg[0], arg[1]}};
	return true;
}

int isim_iova_script_parse(struct iommusim_mem *mem, const char *text, size_t len, const char *name,
			   struct iova_script *script, char *errbuf, size_t errlen)
{
	struct state st = {.cpus = {.online = DEFAULT_NCPUS}, .seen_init = false};
	struct isim_script_lines lines;
	int err = 0;

	isim_script_lines_init(&lines, &rules, text, len, name, errbuf, errlen);
	*script = (struct iova_script){.mem = mem, .possible_cpus = DEFAULT_NCPUS};
	/* Room for every op the text can hold up front, rather than growing by copies. */
	script->cap = isim_script_ops_bound(text, len, MIN_OP_BYTES);
	if (script->cap) {
		script->ops = isim_alloc(mem, script->cap * sizeof(*script->ops), 0);
		if (!script->ops) {
			script->cap = 0;
			return -ENOMEM;
		}
		isim_mem_hint_huge(script->ops, script->cap * sizeof(*script->ops));
	}
	while (!err) {
		if (lines.end - lines.pos >= FAST_LINE_ROOM && fast_line(&lines, &st, script))
			continue;
		if (!isim_script_next_line(&lines, MAX_WORDS))
			break;
		err = parse_line(&lines, &st, script);
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

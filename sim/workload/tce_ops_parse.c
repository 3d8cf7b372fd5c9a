/* SPDX-License-Identifier: MIT */
/*
 * Parser for TCE op scripts (tests/data/golden/tce/README.md). The whole script is checked
 * before anything runs, against the limits of the kernel functions the ops mirror, so a bad
 * line anywhere yields one error message and no partial output.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <iommusim/tce.h>

#include "base/bitops.h"
#include "base/memory.h"
#include "workload/script_lex.h"
#include "workload/script_replay.h"
#include "workload/tce_ops.h"

#define MAX_ARGS 7
/* Op, at most MAX_ARGS fields, and one more to show as extra. */
#define MAX_WORDS (MAX_ARGS + 2)

struct op_syntax {
	const char *name;
	enum tce_op_kind kind;
	/* the trailing max_args - min_args fields are optional */
	unsigned int min_args;
	unsigned int max_args;
	const char *field[MAX_ARGS];
};

static const struct op_syntax syntax[] = {
	{"table",
	 TCE_OP_TABLE,
	 6,
	 7,
	 {"OFFSET", "SIZE", "PAGE_SHIFT", "RES_START", "RES_END", "BLOCKSIZE", "BOUNDARY"}},
	{"alloc", TCE_OP_ALLOC, 4, 5, {"CPU", "NPAGES", "MASK", "ALIGN_ORDER", "HANDLE"}},
	{"free", TCE_OP_FREE, 2, 2, {"ENTRY", "NPAGES"}},
	{"handle", TCE_OP_HANDLE, 2, 2, {"HANDLE", "VALUE"}},
	{"inuse", TCE_OP_INUSE, 0, 0, {NULL}},
	{"weight", TCE_OP_WEIGHT, 0, 0, {NULL}},
	{"pools", TCE_OP_POOLS, 0, 0, {NULL}},
	{"reserved", TCE_OP_RESERVED, 0, 0, {NULL}},
};

/* What the ops after a `table` need to know of it to be checked. */
struct table_state {
	bool seen;
	uint64_t offset;
	unsigned int page_shift;
	/* dma_get_seg_boundary_nr_pages(): the longest run an alloc may ask for */
	uint64_t boundary;
};

/*
 * The README's syntax, stricter than the IOVA format's: only spaces and tabs separate fields,
 * '#' starts a comment anywhere, even inside a field, and hex starts with a lowercase 0x.
 */
static const struct isim_script_rules rules = {
	.all_blanks = false,
	.comment_anywhere = true,
	.upper_hex_prefix = false,
};

static const struct op_syntax *lookup(const char *word, size_t len)
{
	for (size_t i = 0; i < sizeof(syntax) / sizeof(syntax[0]); i++)
		if (strlen(syntax[i].name) == len && !memcmp(syntax[i].name, word, len))
			return &syntax[i];
	return NULL;
}

/* "alloc CPU NPAGES MASK ALIGN_ORDER [HANDLE]" */
static const char *usage(char *buf, size_t size, const struct op_syntax *syn)
{
	size_t used = (size_t)snprintf(buf, size, "%s", syn->name);

	for (unsigned int i = 0; i < syn->max_args && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used,
					 i < syn->min_args ? " %s" : " [%s]", syn->field[i]);
	return buf;
}

static uint64_t boundary_entries(uint64_t mask, unsigned int page_shift)
{
	return ((mask ? mask : UINT64_MAX) >> page_shift) + 1;
}

/* table: what iommu_init_table() and the allocator can work with (tce.h). */
static int check_table(const struct isim_script_lines *p, const uint64_t *a, struct table_state *t)
{
	uint64_t shift = a[2], boundary;

	if (shift < IOMMUSIM_TCE_MIN_PAGE_SHIFT || shift > IOMMUSIM_TCE_MAX_PAGE_SHIFT)
		return isim_script_fail(p, "PAGE_SHIFT", "%llu is outside %u..%u",
					(unsigned long long)shift, IOMMUSIM_TCE_MIN_PAGE_SHIFT,
					IOMMUSIM_TCE_MAX_PAGE_SHIFT);
	if (a[1] < IOMMUSIM_TCE_MIN_SIZE || a[1] > IOMMUSIM_TCE_MAX_SIZE)
		return isim_script_fail(p, "SIZE", "0x%llx entries is outside %u..2^30",
					(unsigned long long)a[1], IOMMUSIM_TCE_MIN_SIZE);
	if (a[0] > (UINT64_C(1) << (64 - shift)) - a[1])
		return isim_script_fail(
			p, "OFFSET", "the window (0x%llx + 0x%llx entries) << %llu ends above 2^64",
			(unsigned long long)a[0], (unsigned long long)a[1],
			(unsigned long long)shift);
	if (!isim_is_pow2(a[5]) || a[5] > IOMMUSIM_TCE_MAX_BLOCKSIZE)
		return isim_script_fail(p, "BLOCKSIZE", "0x%llx is not a power of two up to 2^32",
					(unsigned long long)a[5]);
	boundary = boundary_entries(a[6], (unsigned int)shift);
	if (!isim_is_pow2(boundary))
		return isim_script_fail(
			p, "BOUNDARY",
			"(0x%llx >> %llu) + 1 = 0x%llx entries is not a power of two",
			(unsigned long long)a[6], (unsigned long long)shift,
			(unsigned long long)boundary);
	*t = (struct table_state){.seen = true,
				  .offset = a[0],
				  .page_shift = (unsigned int)shift,
				  .boundary = boundary};
	return 0;
}

/* alloc: what iommu_range_alloc() can take without looping or leaving its bitmap. */
static int check_alloc(const struct isim_script_lines *p, const uint64_t *a,
		       const struct table_state *t)
{
	if (a[0] >= IOMMUSIM_TCE_MAX_CPUS)
		return isim_script_fail(p, "CPU", "%llu: CPU numbers go up to %u",
					(unsigned long long)a[0], IOMMUSIM_TCE_MAX_CPUS - 1);
	if (a[1] > IOMMUSIM_TCE_MAX_NPAGES)
		return isim_script_fail(p, "NPAGES", "0x%llx is above 2^30",
					(unsigned long long)a[1]);
	if (a[1] > t->boundary)
		return isim_script_fail(
			p, "NPAGES",
			"0x%llx is above the segment boundary of 0x%llx entries (the kernel "
			"would search forever)",
			(unsigned long long)a[1], (unsigned long long)t->boundary);
	if (a[2] < t->offset)
		return isim_script_fail(
			p, "MASK",
			"0x%llx is below the table's OFFSET 0x%llx (the kernel would search "
			"outside its bitmap)",
			(unsigned long long)a[2], (unsigned long long)t->offset);
	if (a[3] > IOMMUSIM_TCE_MAX_ALIGN_ORDER)
		return isim_script_fail(p, "ALIGN_ORDER", "%llu is above %u",
					(unsigned long long)a[3], IOMMUSIM_TCE_MAX_ALIGN_ORDER);
	if (a[4] != TCE_NO_HANDLE && a[4] >= TCE_HANDLE_SLOTS)
		return isim_script_fail(p, "HANDLE", "slot %llu: slots are 0..%u",
					(unsigned long long)a[4], TCE_HANDLE_SLOTS - 1);
	return 0;
}

static int check_args(const struct isim_script_lines *p, const struct op_syntax *syn,
		      const uint64_t *a, struct table_state *t)
{
	switch (syn->kind) {
	case TCE_OP_TABLE:
		return check_table(p, a, t);
	case TCE_OP_ALLOC:
		return check_alloc(p, a, t);
	case TCE_OP_FREE:
		/* __iommu_free() takes ENTRY << PAGE_SHIFT as a dma_addr_t, NPAGES as 32 bits */
		if (a[0] > UINT64_MAX >> t->page_shift)
			return isim_script_fail(p, "ENTRY", "0x%llx << %u does not fit in 64 bits",
						(unsigned long long)a[0], t->page_shift);
		if (a[1] > UINT32_MAX)
			return isim_script_fail(p, "NPAGES", "0x%llx is not below 2^32",
						(unsigned long long)a[1]);
		return 0;
	case TCE_OP_HANDLE:
		if (a[0] >= TCE_HANDLE_SLOTS)
			return isim_script_fail(p, "HANDLE", "slot %llu: slots are 0..%u",
						(unsigned long long)a[0], TCE_HANDLE_SLOTS - 1);
		return 0;
	default:
		return 0;
	}
}

/* The fields of the line last read: checked, and appended to @script. */
static int parse_line(const struct isim_script_lines *p, struct table_state *t,
		      struct tce_script *script)
{
	const char *const *word = p->word;
	const size_t *wlen = p->wlen;
	size_t nargs = p->nwords - 1;
	char show[ISIM_SCRIPT_SHOWN_SIZE], use[128];
	const struct op_syntax *syn = lookup(word[0], wlen[0]);
	struct tce_op *op;

	if (!syn)
		return isim_script_fail(p, "op", "unknown op '%s'",
					isim_script_shown(show, sizeof(show), word[0], wlen[0]));
	if (nargs < syn->min_args)
		return isim_script_fail(p, syn->field[nargs], "missing (usage: %s)",
					usage(use, sizeof(use), syn));
	if (nargs > syn->max_args)
		return isim_script_fail(p, syn->name, "unexpected extra field '%s' (usage: %s)",
					isim_script_shown(show, sizeof(show),
							  word[syn->max_args + 1],
							  wlen[syn->max_args + 1]),
					usage(use, sizeof(use), syn));
	if (!t->seen && syn->kind != TCE_OP_TABLE)
		return isim_script_fail(p, "op", "'%s' before the first 'table'", syn->name);

	op = isim_script_grow(script->mem, script->ops, script->nops, &script->cap, sizeof(*op));
	if (!op)
		return -ENOMEM;
	script->ops = op;
	op = &script->ops[script->nops];
	*op = (struct tce_op){.kind = syn->kind, .line = (uint32_t)p->line};
	if (syn->kind == TCE_OP_TABLE)
		op->arg[6] = TCE_DEFAULT_BOUNDARY;
	if (syn->kind == TCE_OP_ALLOC)
		op->arg[4] = TCE_NO_HANDLE;
	for (size_t i = 0; i < nargs; i++) {
		enum isim_script_number n =
			isim_script_number(&rules, word[i + 1], wlen[i + 1], &op->arg[i]);

		if (n == ISIM_NUMBER_MALFORMED)
			return isim_script_fail(
				p, syn->field[i], "malformed number '%s'",
				isim_script_shown(show, sizeof(show), word[i + 1], wlen[i + 1]));
		if (n == ISIM_NUMBER_TOO_LARGE)
			return isim_script_fail(
				p, syn->field[i], "out of range: '%s' is above 2^64 - 1",
				isim_script_shown(show, sizeof(show), word[i + 1], wlen[i + 1]));
	}
	if (check_args(p, syn, op->arg, t))
		return -EINVAL;
	if (syn->kind == TCE_OP_ALLOC && op->arg[0] >= script->ncpus)
		script->ncpus = (unsigned int)op->arg[0] + 1;
	script->nops++;
	return 0;
}

int isim_tce_script_parse(struct iommusim_mem *mem, const char *text, size_t len, const char *name,
			  struct tce_script *script, char *errbuf, size_t errlen)
{
	struct table_state table = {.seen = false};
	struct isim_script_lines lines;
	int err = 0;

	isim_script_lines_init(&lines, &rules, text, len, name, errbuf, errlen);
	*script = (struct tce_script){.mem = mem};
	while (!err && isim_script_next_line(&lines, MAX_WORDS))
		err = parse_line(&lines, &table, script);
	if (err)
		isim_tce_script_free(script);
	return err;
}

void isim_tce_script_free(struct tce_script *script)
{
	if (script->ops)
		isim_free(script->mem, script->ops, script->cap * sizeof(*script->ops), 0);
	script->ops = NULL;
	script->nops = 0;
	script->cap = 0;
}

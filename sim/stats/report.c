/* SPDX-License-Identifier: MIT */
/*
 * The report emitter: a report, its schema, its notes and the arena everything it holds
 * lives in. report_rows.c fills its rows, report_meta.c its meta, report_write.c writes it.
 * Memory comes from an arena of chunks taken from the caller's memory context (or malloc)
 * and given back all at once, so a report holds no pointer that could dangle and a failed
 * allocation anywhere is one -ENOMEM, recorded, never an abort.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/version.h>

#include "base/memory.h"
#include "stats/report_impl.h"

/* Everything in the arena is aligned for any scalar a report stores. */
#define ALIGN	    16u
#define CHUNK_SIZE  4096u
#define ALL_OUTPUTS (IOMMUSIM_REPORT_TABLE | IOMMUSIM_REPORT_CSV | IOMMUSIM_REPORT_JSON)
#define KNOWN_FLAGS (IOMMUSIM_REPORT_NULLABLE | IOMMUSIM_REPORT_RIGHT | IOMMUSIM_REPORT_FIXED)

struct isim_rchunk {
	struct isim_rchunk *next;
	size_t size; /* as allocated, header included */
};

/* The chunk header, rounded up so that what follows it is aligned. */
#define CHUNK_HDR ((sizeof(struct isim_rchunk) + ALIGN - 1) & ~(size_t)(ALIGN - 1))

static void *raw_alloc(struct iommusim_mem *mem, size_t size)
{
	return mem ? isim_alloc(mem, size, ALIGN) : malloc(size);
}

static void raw_free(struct iommusim_mem *mem, void *p, size_t size)
{
	if (mem)
		isim_free(mem, p, size, ALIGN);
	else
		free(p);
}

/* Record the first error; every later call returns it. */
int isim_report_fail(struct iommusim_report *r, int err)
{
	if (!r->err)
		r->err = err;
	return r->err;
}

/* @size zeroed bytes from the arena, or NULL with -ENOMEM recorded. */
void *isim_report_alloc(struct iommusim_report *r, size_t size)
{
	void *p;

	if (size > SIZE_MAX / 2) {
		isim_report_fail(r, -ENOMEM);
		return NULL;
	}
	size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (size > r->free_len) {
		size_t csize = CHUNK_HDR + size > CHUNK_SIZE ? CHUNK_HDR + size : CHUNK_SIZE;
		struct isim_rchunk *c = raw_alloc(r->mem, csize);

		if (!c) {
			isim_report_fail(r, -ENOMEM);
			return NULL;
		}
		c->next = r->chunks;
		c->size = csize;
		r->chunks = c;
		r->free_at = (char *)c + CHUNK_HDR;
		r->free_len = csize - CHUNK_HDR;
	}
	p = r->free_at;
	r->free_at += size;
	r->free_len -= size;
	memset(p, 0, size);
	return p;
}

char *isim_report_strdup(struct iommusim_report *r, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = isim_report_alloc(r, n);

	if (d)
		memcpy(d, s, n);
	return d;
}

/* printf into the arena: @extra bytes of room before the text (for a header); NULL, error. */
char *isim_report_vprintf(struct iommusim_report *r, size_t extra, const char *fmt, va_list ap)
{
	va_list again;
	char *p;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, again);
	va_end(again);
	if (n < 0) {
		isim_report_fail(r, -EINVAL);
		return NULL;
	}
	p = isim_report_alloc(r, extra + (size_t)n + 1);
	if (p)
		vsnprintf(p + extra, (size_t)n + 1, fmt, ap);
	return p;
}

size_t isim_report_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static bool digits(const char **s)
{
	const char *p = *s;

	while (**s >= '0' && **s <= '9')
		(*s)++;
	return *s > p;
}

bool isim_report_is_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s < '1' || *s > '9' || !digits(&s))
		return false;
	if (*s == '.') {
		s++;
		if (!digits(&s))
			return false;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!digits(&s))
			return false;
	}
	return !*s;
}

/* ---- the report ---- */

void isim_report_init_value(struct iommusim_report *r, struct iommusim_report_value *v,
			    enum isim_rv_kind kind)
{
	*v = (struct iommusim_report_value){.rep = r, .data = {.kind = kind}};
}

static int check_column(const struct iommusim_report_column *c)
{
	unsigned int out = c->outputs ? c->outputs : ALL_OUTPUTS;

	if (!c->name || !*c->name || (unsigned int)c->type > IOMMUSIM_REPORT_OBJECT ||
	    (c->outputs & ~(ALL_OUTPUTS | IOMMUSIM_REPORT_NOWHERE)) || (c->flags & ~KNOWN_FLAGS))
		return -EINVAL;
	if (c->type == IOMMUSIM_REPORT_REAL && c->decimals > IOMMUSIM_REPORT_MAX_DECIMALS)
		return -EINVAL;
	/* An object has no text: it can only be a JSON value. */
	if (c->type == IOMMUSIM_REPORT_OBJECT && !(out & IOMMUSIM_REPORT_NOWHERE) &&
	    (out & (IOMMUSIM_REPORT_TABLE | IOMMUSIM_REPORT_CSV)))
		return -EINVAL;
	return 0;
}

static bool in_json(const struct iommusim_report_column *c)
{
	return c->outputs & IOMMUSIM_REPORT_JSON;
}

/* Copy the schema, with every output mask made explicit (0: hidden). */
static int copy_columns(struct iommusim_report *r, const struct iommusim_report_column *cols,
			size_t ncols)
{
	r->cols = ncols ? isim_report_alloc(r, ncols * sizeof(*r->cols)) : NULL;
	if (ncols && !r->cols)
		return r->err;
	for (size_t i = 0; i < ncols; i++) {
		struct iommusim_report_column *c = &r->cols[i].c;
		int err = check_column(&cols[i]);

		if (err)
			return isim_report_fail(r, err);
		*c = cols[i];
		if (!c->outputs)
			c->outputs = ALL_OUTPUTS;
		if (c->outputs & IOMMUSIM_REPORT_NOWHERE)
			c->outputs = 0;
		for (size_t j = 0; j < i; j++)
			if (in_json(c) && in_json(&r->cols[j].c) && !strcmp(cols[j].name, c->name))
				return isim_report_fail(r, -EINVAL);
		c->name = isim_report_strdup(r, cols[i].name);
		c->sep = cols[i].sep ? isim_report_strdup(r, cols[i].sep) : "  ";
		c->yes = cols[i].yes ? isim_report_strdup(r, cols[i].yes) : "true";
		c->no = cols[i].no ? isim_report_strdup(r, cols[i].no) : "false";
		if (r->err)
			return r->err;
		r->cols[i].width = c->width;
		if (!(c->flags & IOMMUSIM_REPORT_FIXED) && isim_report_width(c->name) > c->width)
			r->cols[i].width = isim_report_width(c->name);
	}
	r->ncols = ncols;
	return 0;
}

int iommusim_report_create(struct iommusim_mem *mem, const struct iommusim_report_column *cols,
			   size_t ncols, struct iommusim_report **out)
{
	struct iommusim_report *r;
	int err;

	*out = NULL;
	if (ncols && !cols)
		return -EINVAL;
	/* So that no size computed from it can wrap (a row is smaller than the schema). */
	if (ncols > SIZE_MAX / 4 / sizeof(struct isim_rcol))
		return -ENOMEM;
	r = raw_alloc(mem, sizeof(*r));
	if (!r)
		return -ENOMEM;
	*r = (struct iommusim_report){.mem = mem};
	isim_report_init_value(r, &r->meta, ISIM_RV_OBJECT);
	isim_report_init_value(r, &r->dead, ISIM_RV_DEAD);
	err = copy_columns(r, cols, ncols);
	if (!err)
		err = iommusim_report_add_str(&r->meta, "version", iommusim_version());
	if (!err)
		err = iommusim_report_add_str(&r->meta, "git", iommusim_git_describe());
	if (err) {
		iommusim_report_destroy(r);
		return err;
	}
	*out = r;
	return 0;
}

void iommusim_report_destroy(struct iommusim_report *r)
{
	struct isim_rchunk *c, *next;

	if (!r)
		return;
	for (c = r->chunks; c; c = next) {
		next = c->next;
		raw_free(r->mem, c, c->size);
	}
	raw_free(r->mem, r, sizeof(*r));
}

int iommusim_report_check(const struct iommusim_report *r)
{
	if (r->err)
		return r->err;
	for (const struct isim_rrow *row = r->rows; row; row = row->next)
		for (size_t i = 0; i < r->ncols; i++)
			if (r->cols[i].c.outputs &&
			    !(r->cols[i].c.flags & IOMMUSIM_REPORT_NULLABLE) &&
			    row->cell[i].kind == ISIM_RV_UNSET)
				return -EINVAL;
	return 0;
}

int iommusim_report_note(struct iommusim_report *r, enum iommusim_report_place place,
			 const char *fmt, ...)
{
	struct isim_rnote *n;
	va_list ap;

	if (r->err)
		return r->err;
	if (place != IOMMUSIM_REPORT_ABOVE && place != IOMMUSIM_REPORT_BELOW)
		return isim_report_fail(r, -EINVAL);
	va_start(ap, fmt);
	n = (struct isim_rnote *)isim_report_vprintf(r, sizeof(*n), fmt, ap);
	va_end(ap);
	if (!n)
		return r->err;
	if (r->last_note[place])
		r->last_note[place]->next = n;
	else
		r->notes[place] = n;
	r->last_note[place] = n;
	return 0;
}

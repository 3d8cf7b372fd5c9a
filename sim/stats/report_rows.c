/* SPDX-License-Identifier: MIT */
/*
 * The report emitter's rows: cells set one by one in the last row added, each checked
 * against its column's type, and the table's column widths kept up to date as they are.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "stats/report_impl.h"

int iommusim_report_add_row(struct iommusim_report *r)
{
	struct isim_rrow *row;

	if (r->err)
		return r->err;
	row = isim_report_alloc(r, sizeof(*row) + r->ncols * sizeof(row->cell[0]));
	if (!row)
		return r->err;
	/* Zeroed: every cell ISIM_RV_UNSET. */
	if (r->last_row)
		r->last_row->next = row;
	else
		r->rows = row;
	r->last_row = row;
	r->nrows++;
	return 0;
}

/* Cell @col of the last row, unset and of @type (any type for a null); NULL, error recorded. */
static struct isim_rv_data *cell_for(struct iommusim_report *r, size_t col,
				     enum iommusim_report_type type, bool null)
{
	struct isim_rv_data *d;

	if (r->err)
		return NULL;
	if (!r->last_row || col >= r->ncols || (!null && r->cols[col].c.type != type) ||
	    (null && !(r->cols[col].c.flags & IOMMUSIM_REPORT_NULLABLE))) {
		isim_report_fail(r, -EINVAL);
		return NULL;
	}
	d = &r->last_row->cell[col];
	if (d->kind != ISIM_RV_UNSET) {
		isim_report_fail(r, -EINVAL);
		return NULL;
	}
	return d;
}

/* A cell was set: widen its table column to fit it. */
static int widen(struct iommusim_report *r, size_t col)
{
	struct isim_rcol *c = &r->cols[col];
	const struct isim_rv_data *d = &r->last_row->cell[col];
	char buf[ISIM_REPORT_NUM_MAX];
	const char *text;
	size_t w;

	if (!(c->c.outputs & IOMMUSIM_REPORT_TABLE) || (c->c.flags & IOMMUSIM_REPORT_FIXED))
		return 0;
	if (d->kind == ISIM_RV_BOOL)
		text = d->v.b ? c->c.yes : c->c.no;
	else
		text = isim_report_text(d, buf);
	w = isim_report_width(text ? text : "-");
	if (w > c->width)
		c->width = w;
	return 0;
}

static int set_text(struct iommusim_report *r, size_t col, enum iommusim_report_type type,
		    const char *s)
{
	struct isim_rv_data *d = cell_for(r, col, type, false);
	const char *copy;

	if (!d)
		return r->err;
	if (!s || (type == IOMMUSIM_REPORT_NUMBER && !isim_report_is_number(s)))
		return isim_report_fail(r, -EINVAL);
	copy = isim_report_strdup(r, s);
	if (!copy)
		return r->err;
	d->kind = type == IOMMUSIM_REPORT_NUMBER ? ISIM_RV_NUMBER : ISIM_RV_STRING;
	d->v.text = copy;
	return widen(r, col);
}

int iommusim_report_set_str(struct iommusim_report *r, size_t col, const char *s)
{
	return set_text(r, col, IOMMUSIM_REPORT_STRING, s);
}

int iommusim_report_set_strf(struct iommusim_report *r, size_t col, const char *fmt, ...)
{
	struct isim_rv_data *d = cell_for(r, col, IOMMUSIM_REPORT_STRING, false);
	va_list ap;
	char *s;

	if (!d)
		return r->err;
	va_start(ap, fmt);
	s = isim_report_vprintf(r, 0, fmt, ap);
	va_end(ap);
	if (!s)
		return r->err;
	d->kind = ISIM_RV_STRING;
	d->v.text = s;
	return widen(r, col);
}

int iommusim_report_set_number(struct iommusim_report *r, size_t col, const char *text)
{
	return set_text(r, col, IOMMUSIM_REPORT_NUMBER, text);
}

int iommusim_report_set_uint(struct iommusim_report *r, size_t col, uint64_t v)
{
	struct isim_rv_data *d = cell_for(r, col, IOMMUSIM_REPORT_UINT, false);

	if (!d)
		return r->err;
	d->kind = ISIM_RV_UINT;
	d->v.u = v;
	return widen(r, col);
}

int iommusim_report_set_int(struct iommusim_report *r, size_t col, int64_t v)
{
	struct isim_rv_data *d = cell_for(r, col, IOMMUSIM_REPORT_INT, false);

	if (!d)
		return r->err;
	d->kind = ISIM_RV_INT;
	d->v.i = v;
	return widen(r, col);
}

int iommusim_report_set_real(struct iommusim_report *r, size_t col, double v)
{
	struct isim_rv_data *d;

	if (!isfinite(v))
		return iommusim_report_set_null(r, col);
	d = cell_for(r, col, IOMMUSIM_REPORT_REAL, false);
	if (!d)
		return r->err;
	d->kind = ISIM_RV_REAL;
	d->decimals = r->cols[col].c.decimals;
	d->v.d = v;
	return widen(r, col);
}

int iommusim_report_set_bool(struct iommusim_report *r, size_t col, bool v)
{
	struct isim_rv_data *d = cell_for(r, col, IOMMUSIM_REPORT_BOOL, false);

	if (!d)
		return r->err;
	d->kind = ISIM_RV_BOOL;
	d->v.b = v;
	return widen(r, col);
}

int iommusim_report_set_null(struct iommusim_report *r, size_t col)
{
	struct isim_rv_data *d = cell_for(r, col, IOMMUSIM_REPORT_STRING, true);

	if (!d)
		return r->err;
	d->kind = ISIM_RV_NULL;
	return widen(r, col);
}

struct iommusim_report_value *iommusim_report_set_object(struct iommusim_report *r, size_t col)
{
	struct isim_rv_data *d = cell_for(r, col, IOMMUSIM_REPORT_OBJECT, false);
	struct iommusim_report_value *v;

	if (!d)
		return &r->dead;
	v = isim_report_alloc(r, sizeof(*v));
	if (!v)
		return &r->dead;
	isim_report_init_value(r, v, ISIM_RV_OBJECT);
	d->kind = ISIM_RV_OBJECT;
	d->v.obj = v;
	return v;
}

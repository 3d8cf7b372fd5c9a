/* SPDX-License-Identifier: MIT */
/*
 * The report emitter's meta: an ordered tree of objects, arrays and scalars under the
 * report's meta object, and the object cells built the same way.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "stats/report_impl.h"

struct iommusim_report_value *iommusim_report_meta(struct iommusim_report *r)
{
	return &r->meta;
}

/*
 * A new member of @to under @key, linked in; NULL after an error (recorded unless @to is
 * NULL, which has no report to record it in).
 */
static struct iommusim_report_value *member(struct iommusim_report_value *to, const char *key,
					    enum isim_rv_kind kind)
{
	struct iommusim_report *r;
	struct iommusim_report_value *v;

	if (!to)
		return NULL;
	r = to->rep;
	if (r->err)
		return NULL;
	if ((to->data.kind != ISIM_RV_OBJECT && to->data.kind != ISIM_RV_ARRAY) ||
	    (to->data.kind == ISIM_RV_OBJECT) != (key != NULL)) {
		isim_report_fail(r, -EINVAL);
		return NULL;
	}
	for (v = to->first; key && v; v = v->next) {
		if (!strcmp(v->key, key)) {
			isim_report_fail(r, -EINVAL);
			return NULL;
		}
	}
	v = isim_report_alloc(r, sizeof(*v));
	if (!v)
		return NULL;
	isim_report_init_value(r, v, kind);
	if (key && !(v->key = isim_report_strdup(r, key)))
		return NULL;
	v->newline = to->newline_next;
	to->newline_next = false;
	if (to->last)
		to->last->next = v;
	else
		to->first = v;
	to->last = v;
	return v;
}

/* The error to return for a failed add: the recorded one, or -EINVAL for a NULL @to. */
static int add_failed(const struct iommusim_report_value *to)
{
	return to ? to->rep->err : -EINVAL;
}

static int add_text(struct iommusim_report_value *to, const char *key, enum isim_rv_kind kind,
		    const char *s)
{
	struct iommusim_report_value *v;

	if (to && !to->rep->err && (!s || (kind == ISIM_RV_NUMBER && !isim_report_is_number(s))))
		return isim_report_fail(to->rep, -EINVAL);
	v = member(to, key, kind);
	if (!v)
		return add_failed(to);
	v->data.v.text = isim_report_strdup(to->rep, s);
	return v->data.v.text ? 0 : to->rep->err;
}

int iommusim_report_add_str(struct iommusim_report_value *to, const char *key, const char *s)
{
	return add_text(to, key, ISIM_RV_STRING, s);
}

int iommusim_report_add_number(struct iommusim_report_value *to, const char *key, const char *text)
{
	return add_text(to, key, ISIM_RV_NUMBER, text);
}

int iommusim_report_add_uint(struct iommusim_report_value *to, const char *key, uint64_t v)
{
	struct iommusim_report_value *m = member(to, key, ISIM_RV_UINT);

	if (!m)
		return add_failed(to);
	m->data.v.u = v;
	return 0;
}

int iommusim_report_add_int(struct iommusim_report_value *to, const char *key, int64_t v)
{
	struct iommusim_report_value *m = member(to, key, ISIM_RV_INT);

	if (!m)
		return add_failed(to);
	m->data.v.i = v;
	return 0;
}

int iommusim_report_add_real(struct iommusim_report_value *to, const char *key, double v,
			     unsigned int decimals)
{
	struct iommusim_report_value *m;

	if (to && !to->rep->err && decimals > IOMMUSIM_REPORT_MAX_DECIMALS)
		return isim_report_fail(to->rep, -EINVAL);
	m = member(to, key, isfinite(v) ? ISIM_RV_REAL : ISIM_RV_NULL);
	if (!m)
		return add_failed(to);
	m->data.decimals = decimals;
	m->data.v.d = v;
	return 0;
}

int iommusim_report_add_bool(struct iommusim_report_value *to, const char *key, bool v)
{
	struct iommusim_report_value *m = member(to, key, ISIM_RV_BOOL);

	if (!m)
		return add_failed(to);
	m->data.v.b = v;
	return 0;
}

int iommusim_report_add_null(struct iommusim_report_value *to, const char *key)
{
	return member(to, key, ISIM_RV_NULL) ? 0 : add_failed(to);
}

struct iommusim_report_value *iommusim_report_add_object(struct iommusim_report_value *to,
							 const char *key)
{
	struct iommusim_report_value *v = member(to, key, ISIM_RV_OBJECT);

	return v ? v : to ? &to->rep->dead : NULL;
}

struct iommusim_report_value *iommusim_report_add_array(struct iommusim_report_value *to,
							const char *key)
{
	struct iommusim_report_value *v = member(to, key, ISIM_RV_ARRAY);

	return v ? v : to ? &to->rep->dead : NULL;
}

void iommusim_report_newline(struct iommusim_report_value *to)
{
	if (to && to->data.kind != ISIM_RV_DEAD)
		to->newline_next = true;
}

/* SPDX-License-Identifier: MIT */
/*
 * NAME=VALUE text: which parameter an assignment names, and its value read as the parameter's
 * unit says (a decimal number, a boolean word, a choice's name), checked like any value.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cost/cost_internal.h"

int iommusim_cost_setting_id(const char *assignment, enum iommusim_cost_id *out)
{
	const char *eq;

	assert(assignment && out);
	eq = strchr(assignment, '=');
	if (!eq || eq == assignment)
		return -ENOENT;
	return isim_cost_lookup_key(assignment, (size_t)(eq - assignment), out);
}

/* A decimal integer of digits only; -EINVAL if not, -ERANGE if it does not fit 64 bits. */
static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - d) / 10) {
			for (s++; *s; s++)
				if (*s < '0' || *s > '9')
					return -EINVAL;
			return -ERANGE;
		}
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* A choice's name: 0 with its index, or -ENOENT. */
static int parse_choice(const struct iommusim_cost_param *p, const char *text, uint64_t *v)
{
	for (uint64_t i = 0; p->choices[i]; i++) {
		if (!strcmp(p->choices[i], text)) {
			*v = i;
			return 0;
		}
	}
	return -ENOENT;
}

/* "a, b, c" for an error message, cut short if it does not fit. */
static void choice_list(const struct iommusim_cost_param *p, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; p->choices[i] && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", p->choices[i]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

int iommusim_cost_set(struct iommusim_cost *cost, const char *assignment, char *errbuf,
		      size_t errlen)
{
	const struct iommusim_cost_param *p;
	const char *eq, *text;
	enum iommusim_cost_id id;
	uint64_t v = 0;
	size_t klen;
	int err;

	assert(cost && assignment);
	eq = strchr(assignment, '=');
	if (!eq || eq == assignment) {
		isim_cost_errmsg(errbuf, errlen, "'%s' is not NAME=VALUE", assignment);
		return -EINVAL;
	}
	klen = (size_t)(eq - assignment);
	if (isim_cost_lookup_key(assignment, klen, &id)) {
		/* A pathological key is shown cut short; the line stays one line either way. */
		isim_cost_errmsg(errbuf, errlen, "unknown parameter '%.*s' (did you mean '%s'?)",
				 (int)(klen > 200 ? 200 : klen), assignment,
				 isim_cost_table[isim_cost_suggest_key(assignment, klen)].name);
		return -ENOENT;
	}
	p = &isim_cost_table[id];
	text = eq + 1;
	if (p->unit == IOMMUSIM_COST_UNIT_BOOL) {
		if (!strcmp(text, "0") || !strcmp(text, "false")) {
			v = 0;
		} else if (!strcmp(text, "1") || !strcmp(text, "true")) {
			v = 1;
		} else {
			isim_cost_errmsg(errbuf, errlen, "%s: '%s' is not 0, 1, true or false",
					 p->name, text);
			return -EINVAL;
		}
	} else if (p->unit == IOMMUSIM_COST_UNIT_CHOICE && !parse_choice(p, text, &v)) {
		/* a name; an index goes through the number path and its range check */
	} else {
		err = parse_u64(text, &v);
		if (err == -EINVAL && p->unit == IOMMUSIM_COST_UNIT_CHOICE) {
			char names[200];

			choice_list(p, names, sizeof(names));
			isim_cost_errmsg(errbuf, errlen, "%s: '%s' is not one of %s", p->name, text,
					 names);
			return -EINVAL;
		}
		if (err == -EINVAL) {
			isim_cost_errmsg(errbuf, errlen, "%s: '%s' is not an unsigned integer",
					 p->name, text);
			return -EINVAL;
		}
		/* Too big for 64 bits is simply above the range; say so with the range. */
		if (err == -ERANGE)
			v = UINT64_MAX;
	}
	err = isim_cost_check_value(id, text, v, errbuf, errlen);
	if (!err)
		isim_cost_store(cost, id, v);
	return err;
}

const char *iommusim_cost_choice_name(enum iommusim_cost_id id, uint64_t value)
{
	const struct iommusim_cost_param *p;

	if ((unsigned int)id >= IOMMUSIM_COST_NR)
		return NULL;
	p = &isim_cost_table[id];
	if (p->unit != IOMMUSIM_COST_UNIT_CHOICE)
		return NULL;
	for (uint64_t i = 0; p->choices[i]; i++)
		if (i == value)
			return p->choices[i];
	return NULL;
}

/* SPDX-License-Identifier: MIT */
/*
 * "Did you mean": the parameter whose name is closest to a key nobody recognised, by edit
 * distance to the full name or to the part after the area's dot.
 */
#include <assert.h>
#include <string.h>

#include "cost/cost_internal.h"

/* Keys longer than this are compared by their first KEY_CMP_MAX bytes when suggesting. */
#define KEY_CMP_MAX 64

/* Edit distance of a[0..la) and b[0..lb); lb <= KEY_CMP_MAX. */
static unsigned int distance(const char *a, size_t la, const char *b, size_t lb)
{
	unsigned int row[KEY_CMP_MAX + 1];

	assert(lb <= KEY_CMP_MAX);
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned int)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned int diag = row[0];

		row[0] = (unsigned int)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned int up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* The closest name to key[0..len); only the first KEY_CMP_MAX bytes of a long key count. */
enum iommusim_cost_id isim_cost_suggest_key(const char *key, size_t len)
{
	enum iommusim_cost_id best_id = 0;
	unsigned int best = ~0u;

	if (len > KEY_CMP_MAX)
		len = KEY_CMP_MAX;
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		const char *name = isim_cost_table[i].name, *dot = strchr(name, '.');
		unsigned int d = distance(name, strlen(name), key, len);

		/* A key without its area ("walk_ns") should still find "qemu.walk_ns". */
		if (dot) {
			unsigned int ds = distance(dot + 1, strlen(dot + 1), key, len) + 1;

			if (ds < d)
				d = ds;
		}
		/* Strictly better only: ties go to the earlier row. */
		if (d < best) {
			best = d;
			best_id = (enum iommusim_cost_id)i;
		}
	}
	return best_id;
}

enum iommusim_cost_id iommusim_cost_suggest(const char *key)
{
	assert(key);
	return isim_cost_suggest_key(key, strlen(key));
}

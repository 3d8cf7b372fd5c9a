/* SPDX-License-Identifier: MIT */
/*
 * The live set of a trace (trace_live.h). The table stays at most half full, so a probe is
 * short; deletion shifts the following entries back instead of leaving tombstones, so a
 * trace that maps and unmaps forever never fills the table with dead slots.
 */
#include <errno.h>
#include <string.h>

#include "base/memory.h"
#include "workload/trace_live.h"

#define MIN_CAP 64u

static size_t slot_of(const struct isim_live *m, uint64_t key)
{
	/* Fibonacci hashing: addresses and counters differ in their low bits only */
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (m->cap - 1);
}

void isim_live_init(struct isim_live *m, struct iommusim_mem *mem)
{
	memset(m, 0, sizeof(*m));
	m->mem = mem;
}

static void free_arrays(struct iommusim_mem *mem, uint64_t *key, uint64_t *val, bool *used,
			size_t cap)
{
	if (key)
		isim_free(mem, key, cap * sizeof(*key), 0);
	if (val)
		isim_free(mem, val, cap * sizeof(*val), 0);
	if (used)
		isim_free(mem, used, cap * sizeof(*used), 0);
}

void isim_live_free(struct isim_live *m)
{
	free_arrays(m->mem, m->key, m->val, m->used, m->cap);
	isim_live_init(m, m->mem);
}

uint64_t *isim_live_get(const struct isim_live *m, uint64_t key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = slot_of(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (!m->used[i])
			return NULL;
		if (m->key[i] == key)
			return &m->val[i];
	}
}

static void insert(struct isim_live *m, uint64_t key, uint64_t val)
{
	size_t i = slot_of(m, key);

	while (m->used[i])
		i = (i + 1) & (m->cap - 1);
	m->used[i] = true;
	m->key[i] = key;
	m->val[i] = val;
	m->n++;
}

static int grow(struct isim_live *m)
{
	struct isim_live old = *m;
	size_t cap = m->cap ? 2 * m->cap : MIN_CAP;

	m->key = isim_zalloc(m->mem, cap * sizeof(*m->key), 0);
	m->val = isim_zalloc(m->mem, cap * sizeof(*m->val), 0);
	m->used = isim_zalloc(m->mem, cap * sizeof(*m->used), 0);
	if (!m->key || !m->val || !m->used) {
		free_arrays(m->mem, m->key, m->val, m->used, cap);
		*m = old;
		return -ENOMEM;
	}
	m->cap = cap;
	m->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.used[i])
			insert(m, old.key[i], old.val[i]);
	free_arrays(m->mem, old.key, old.val, old.used, old.cap);
	return 0;
}

int isim_live_put(struct isim_live *m, uint64_t key, uint64_t val)
{
	uint64_t *v = isim_live_get(m, key);

	if (v) {
		*v = val;
		return 0;
	}
	if (2 * (m->n + 1) > m->cap && grow(m))
		return -ENOMEM;
	insert(m, key, val);
	return 0;
}

bool isim_live_del(struct isim_live *m, uint64_t key, uint64_t *val)
{
	size_t mask = m->cap - 1, i, j;

	if (!m->cap)
		return false;
	for (i = slot_of(m, key); m->used[i] && m->key[i] != key; i = (i + 1) & mask)
		;
	if (!m->used[i])
		return false;
	if (val)
		*val = m->val[i];
	/* Move back every entry of the run after i that may sit at i: its home is not in (i, j]. */
	for (j = (i + 1) & mask; m->used[j]; j = (j + 1) & mask) {
		size_t home = slot_of(m, m->key[j]);

		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->key[i] = m->key[j];
			m->val[i] = m->val[j];
			i = j;
		}
	}
	m->used[i] = false;
	m->n--;
	return true;
}

bool isim_live_next(const struct isim_live *m, size_t *pos, uint64_t *key, uint64_t *val)
{
	for (; *pos < m->cap; (*pos)++) {
		if (!m->used[*pos])
			continue;
		*key = m->key[*pos];
		*val = m->val[*pos];
		(*pos)++;
		return true;
	}
	return false;
}

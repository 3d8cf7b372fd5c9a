/* SPDX-License-Identifier: MIT */
/*
 * A map from 64-bit keys to 64-bit values (open addressing, linear probing, deletion by
 * backward shift): the buffers live in a trace, looked up by the number or the address that
 * names them. Building a trace, importing one and replaying one each keep such a set, and a
 * trace of millions of calls must not search a list.
 */
#ifndef ISIM_WORKLOAD_TRACE_LIVE_H
#define ISIM_WORKLOAD_TRACE_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <iommusim/mem.h>

struct isim_live {
	struct iommusim_mem *mem;
	uint64_t *key;
	uint64_t *val;
	bool *used;
	size_t cap; /* a power of two, or 0 before the first insertion */
	size_t n;
};

void isim_live_init(struct isim_live *m, struct iommusim_mem *mem);
void isim_live_free(struct isim_live *m);

/* The value of @key, or NULL when it is not in the map; valid until the next change. */
uint64_t *isim_live_get(const struct isim_live *m, uint64_t key);

/* Set @key to @val, inserting it when new; 0 or -ENOMEM (the map unchanged). */
int isim_live_put(struct isim_live *m, uint64_t key, uint64_t val);

/* Remove @key; true with its value in *@val (may be NULL) when it was there. */
bool isim_live_del(struct isim_live *m, uint64_t key, uint64_t *val);

/*
 * Walk the entries: start with *@pos 0; each call returns true with the next key and value
 * until there is none. The order is the table's, not the insertion's: sort what must be
 * reported in order.
 */
bool isim_live_next(const struct isim_live *m, size_t *pos, uint64_t *key, uint64_t *val);

#endif /* ISIM_WORKLOAD_TRACE_LIVE_H */

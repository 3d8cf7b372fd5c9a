/* SPDX-License-Identifier: MIT */
/*
 * What the files of the cost set share: the tables of cost_table.c, the set itself, and the
 * checks every way of setting a value goes through. cost.c holds the set and its values,
 * cost_parse.c reads NAME=VALUE text, cost_suggest.c finds the closest name, cost_json.c
 * writes the values as JSON.
 */
#ifndef ISIM_COST_INTERNAL_H
#define ISIM_COST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <iommusim/cost.h>

/* Defined in cost_table.c. */
extern const struct iommusim_cost_param isim_cost_table[IOMMUSIM_COST_NR];
extern const enum iommusim_cost_id isim_cost_work_param[IOMMUSIM_WORK_NR];
extern const struct iommusim_cost_profile isim_cost_profiles[];
extern const size_t isim_cost_nr_profiles;

struct iommusim_cost {
	struct iommusim_mem *mem;
	uint64_t value[IOMMUSIM_COST_NR];
	/* Time parameters in cycles at the current cpu.freq_mhz; 0 for the other units. */
	uint64_t cycles[IOMMUSIM_COST_NR];
	uint64_t work_cycles[IOMMUSIM_WORK_NR];
	uint8_t origin[IOMMUSIM_COST_NR];
	const struct iommusim_cost_profile *profile;
};

/* Format a one-line message into @errbuf, when the caller gave one (cost.c). */
void isim_cost_errmsg(char *errbuf, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Whether @v may be the value of @id: 0, or -ERANGE with a message naming the parameter, @text
 * (the value as the user wrote it) and the range (cost.c).
 */
int isim_cost_check_value(enum iommusim_cost_id id, const char *text, uint64_t v, char *errbuf,
			  size_t errlen);

/* Set a checked value as an override and bring every derived value up to date (cost.c). */
void isim_cost_store(struct iommusim_cost *cost, enum iommusim_cost_id id, uint64_t v);

/* The parameter named exactly key[0..len): 0 with its id, or -ENOENT (cost.c). */
int isim_cost_lookup_key(const char *key, size_t len, enum iommusim_cost_id *out);

/* The parameter whose name is closest to key[0..len) (cost_suggest.c). */
enum iommusim_cost_id isim_cost_suggest_key(const char *key, size_t len);

#endif /* ISIM_COST_INTERNAL_H */

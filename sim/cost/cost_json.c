/* SPDX-License-Identifier: MIT */
/* A cost set's resolved values as one JSON object, for the meta data of a report. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>

#include <iommusim/platform.h>
#include <iommusim/report.h>

#include "cost/cost_internal.h"

struct iommusim_report_value *iommusim_cost_add_to_report(struct iommusim_report_value *to,
							  const char *key,
							  const struct iommusim_cost *cost)
{
	struct iommusim_report_value *o = iommusim_report_add_object(to, key);

	/*
	 * A profile's configuration is what its machine reads with the NVMe loop; another
	 * workload's parameters are listed once set (a scenario's or the caller's).
	 */
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		bool other = (isim_cost_table[i].flags & IOMMUSIM_COST_WORKLOAD) &&
			     iommusim_cost_profile_name(cost) &&
			     iommusim_cost_origin(cost, (enum iommusim_cost_id)i) !=
				     IOMMUSIM_COST_FROM_SET;

		if (iommusim_platform_set_reads(cost, (enum iommusim_cost_id)i) && !other)
			iommusim_report_add_uint(o, isim_cost_table[i].name, cost->value[i]);
	}
	return o;
}

/* The object alone, written by the one emitter every report uses. */
int iommusim_cost_write_json(const struct iommusim_cost *cost, FILE *f)
{
	struct iommusim_report *r;
	struct iommusim_report_value *config;
	int ret;

	assert(cost && f);
	ret = iommusim_report_create(cost->mem, NULL, 0, &r);
	if (ret)
		return ret;
	config = iommusim_cost_add_to_report(iommusim_report_meta(r), "config", cost);
	ret = iommusim_report_check(r);
	if (!ret)
		ret = iommusim_report_write_value(config, f);
	iommusim_report_destroy(r);
	return ret;
}

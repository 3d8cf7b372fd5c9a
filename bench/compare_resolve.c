/* SPDX-License-Identifier: MIT */
/*
 * What compare's options resolve to once parsed: the --set values each platform applies, and
 * the workload the scenario runs after the workload options. Shared by compare and by every
 * point of a sweep, so both check the same way and say the same thing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compare.h"

/*
 * A --set applies to the platforms of the run that read it (lpar.* only to LPAR, qemu.* only
 * to KVM, ...); one that none of them reads would change nothing, and is refused.
 */
int compare_check_sets(const struct compare_opts *o)
{
	for (size_t i = 0; i < o->nsets; i++) {
		enum iommusim_cost_id id;
		bool read = false;

		if (iommusim_cost_setting_id(o->sets[i], &id))
			continue; /* unknown: the cost table names it when it is applied */
		for (size_t k = 0; k < o->nplatforms && !read; k++)
			read = iommusim_platform_reads(o->kinds[k], id);
		if (!read) {
			fprintf(stderr, "%s: --set: no platform of this run reads %s (%s)\n",
				o->cmd, iommusim_cost_param(id)->name, o->sets[i]);
			return -1;
		}
	}
	return 0;
}

int compare_configure(const struct compare_opts *o, size_t platform, struct iommusim_cost *cost,
		      char *errbuf, size_t errlen, long *bad)
{
	const char **sets = calloc(o->nsets ? o->nsets : 1, sizeof(*sets));
	size_t *index = calloc(o->nsets ? o->nsets : 1, sizeof(*index));
	size_t n = 0;
	long at = -1;
	int err;

	if (!sets || !index) {
		free(sets);
		free(index);
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < o->nsets; i++) {
		enum iommusim_cost_id id;

		if (!iommusim_cost_setting_id(o->sets[i], &id) &&
		    !iommusim_platform_reads(o->kinds[platform], id))
			continue;
		index[n] = i;
		sets[n++] = o->sets[i];
	}
	err = iommusim_scenario_configure(o->sc, o->platforms[platform], cost, sets, n, errbuf,
					  errlen, &at);
	if (bad)
		*bad = at < 0 ? -1 : (long)index[at];
	free(sets);
	free(index);
	return err;
}

int compare_apply_workload(struct compare_opts *o)
{
	char errbuf[256], shown[160];

	o->wl.cpus = o->sc->cpus;
	o->wl.guest_memory = o->sc->guest_memory;
	o->wl.nvme = o->sc->nvme;
	for (size_t i = 0; i < COMPARE_WL_OPTS; i++) {
		if (!o->wl_text[i] ||
		    !iommusim_sim_config_set(&o->wl, iommusim_sim_option_name(i), o->wl_text[i],
					     errbuf, sizeof(errbuf)))
			continue;
		fprintf(stderr, "%s: --%s\n", o->cmd, cli_shown(errbuf, shown, sizeof(shown)));
		return -1;
	}
	/* A replay's configuration is checked once its trace is loaded (compare_trace.c). */
	if (o->trace_path)
		return 0;
	/* The workload as a whole: jobs within the CPUs, and the like. */
	o->wl.measure_ns = 1;
	o->wl.cost = (const struct iommusim_cost *)o; /* any non-NULL: no cost is read here */
	if (iommusim_sim_config_check(&o->wl, errbuf, sizeof(errbuf))) {
		fprintf(stderr, "%s: workload: %s\n", o->cmd,
			cli_shown(errbuf, shown, sizeof(shown)));
		o->wl.cost = NULL;
		return -1;
	}
	o->wl.cost = NULL;
	return 0;
}

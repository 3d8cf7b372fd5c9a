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
	if (compare_mlx5_apply(o))
		return -1;
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
	/* The workload as a whole on each platform: jobs within the CPUs, and the like. */
	o->wl.measure_ns = 1;
	o->wl.cost = (const struct iommusim_cost *)o; /* any non-NULL: no cost is read here */
	for (size_t k = 0; k < o->nplatforms; k++) {
		o->wl.platform = o->kinds[k];
		for (size_t j = 0; j < o->npolicies; j++)
			if (compare_cell_runs(o, k, o->policies[j]))
				o->wl.policy = o->policies[j];
		if (!iommusim_sim_config_check(&o->wl, errbuf, sizeof(errbuf)))
			continue;
		fprintf(stderr, "%s: workload: %s\n", o->cmd,
			cli_shown(errbuf, shown, sizeof(shown)));
		o->wl.cost = NULL;
		return -1;
	}
	o->wl.cost = NULL;
	return 0;
}

bool compare_cell_runs(const struct compare_opts *o, size_t platform, enum iommusim_policy policy)
{
	return iommusim_policy_applies(o->kinds[platform], policy);
}

/* "strict, fq-percpu, ...": the policies of @kind. */
static void policies_of(enum iommusim_platform_kind kind, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < IOMMUSIM_POLICY_NR && used < len; i++)
		if (iommusim_policy_applies(kind, (enum iommusim_policy)i))
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
						 iommusim_policy_name((enum iommusim_policy)i));
}

/*
 * Every policy of the run's platforms when none was given (so an s390 run has the s390
 * policies, a powerpc one the powerpc ones); a given policy that none of the platforms has,
 * or a platform that has none of the given policies, is refused. A cell whose platform does
 * not have its policy is not run and has no row (compare_cell_runs()).
 */
int compare_resolve_policies(struct compare_opts *o)
{
	char list[256];

	if (!o->npolicies) {
		for (unsigned int i = 0; i < IOMMUSIM_POLICY_NR; i++)
			for (size_t k = 0; k < o->nplatforms; k++)
				if (iommusim_policy_applies(o->kinds[k], (enum iommusim_policy)i)) {
					o->policies[o->npolicies++] = (enum iommusim_policy)i;
					break;
				}
		return 0;
	}
	for (size_t j = 0; j < o->npolicies; j++) {
		bool some = false;

		for (size_t k = 0; k < o->nplatforms && !some; k++)
			some = compare_cell_runs(o, k, o->policies[j]);
		if (!some) {
			policies_of(o->kinds[0], list, sizeof(list));
			fprintf(stderr,
				"%s: --policy: %s is no policy of %s%s (its policies: %s)\n",
				o->cmd, iommusim_policy_name(o->policies[j]), o->platforms[0],
				o->nplatforms > 1 ? " or the other platforms" : "", list);
			return -1;
		}
	}
	for (size_t k = 0; k < o->nplatforms; k++) {
		bool some = false;

		for (size_t j = 0; j < o->npolicies && !some; j++)
			some = compare_cell_runs(o, k, o->policies[j]);
		if (!some) {
			policies_of(o->kinds[k], list, sizeof(list));
			fprintf(stderr,
				"%s: --platform: %s has none of the policies given (its "
				"policies: %s)\n",
				o->cmd, o->platforms[k], list);
			return -1;
		}
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* The names of the guest's DMA policies, as the CLI and reports spell them. */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include <iommusim/sim.h>

static const char *const policy_names[IOMMUSIM_POLICY_NR] = {
	[IOMMUSIM_POLICY_STRICT] = "strict",
	[IOMMUSIM_POLICY_FQ_PERCPU] = "fq-percpu",
	[IOMMUSIM_POLICY_FQ_SINGLE] = "fq-single",
	[IOMMUSIM_POLICY_LEGACY] = "legacy",
};

const char *iommusim_policy_name(enum iommusim_policy policy)
{
	if ((unsigned int)policy >= IOMMUSIM_POLICY_NR)
		return "unknown";
	return policy_names[policy];
}

int iommusim_policy_lookup(const char *name, enum iommusim_policy *out)
{
	assert(name && out);
	for (unsigned int i = 0; i < IOMMUSIM_POLICY_NR; i++) {
		if (!strcmp(policy_names[i], name)) {
			*out = (enum iommusim_policy)i;
			return 0;
		}
	}
	return -ENOENT;
}

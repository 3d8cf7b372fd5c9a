/* SPDX-License-Identifier: MIT */
/* The names of the guest's DMA policies, as the CLI and reports spell them, and where each applies.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include <iommusim/sim.h>

static const char *const policy_names[IOMMUSIM_POLICY_NR] = {
	[IOMMUSIM_POLICY_STRICT] = "strict",
	[IOMMUSIM_POLICY_FQ_PERCPU] = "fq-percpu",
	[IOMMUSIM_POLICY_FQ_SINGLE] = "fq-single",
	[IOMMUSIM_POLICY_LEGACY] = "legacy",
	[IOMMUSIM_POLICY_DEFAULT_WINDOW] = "default-window",
	[IOMMUSIM_POLICY_DDW] = "ddw",
	[IOMMUSIM_POLICY_BYPASS] = "bypass",
	[IOMMUSIM_POLICY_WINDOW_4G] = "window-4g",
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

bool iommusim_policy_applies(enum iommusim_platform_kind platform, enum iommusim_policy policy)
{
	if ((unsigned int)platform >= IOMMUSIM_PLATFORM_NR ||
	    (unsigned int)policy >= IOMMUSIM_POLICY_NR)
		return false;
	if (iommusim_platform_arch(platform) == IOMMUSIM_ARCH_S390)
		return policy <= IOMMUSIM_POLICY_LEGACY;
	if (policy == IOMMUSIM_POLICY_DEFAULT_WINDOW)
		return true;
	if (platform == IOMMUSIM_PLATFORM_POWERNV)
		return policy == IOMMUSIM_POLICY_BYPASS || policy == IOMMUSIM_POLICY_WINDOW_4G;
	return policy == IOMMUSIM_POLICY_DDW;
}

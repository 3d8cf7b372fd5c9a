/* SPDX-License-Identifier: MIT */
#include <iommusim/version.h>

#include "describe.h"

const char *iommusim_version(void)
{
	return IOMMUSIM_VERSION_STRING;
}

const char *iommusim_git_describe(void)
{
	return ISIM_GIT_DESCRIBE;
}

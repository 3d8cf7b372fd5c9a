/* SPDX-License-Identifier: MIT */
/*
 * Golden tests of the powerpc TCE allocator: every NAME.ops in the golden folders (main() says
 * which) is replayed with iommusim_tce_replay() and its output must equal NAME.out byte for
 * byte. The files come from the Linux 6.12 allocator (tests/data/golden/tce/README.md); any
 * difference is a bug here. Files dropped into a folder are picked up without code changes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <iommusim/iommusim.h>

#include "golden_runner.h"

static int replay(FILE *in, const char *name, FILE *out, char *errbuf, size_t errlen)
{
	return iommusim_tce_replay(in, name, NULL, out, errbuf, errlen);
}

/*
 * The folders: IOMMUSIM_GOLDEN_TCE_BUILTIN, set by the build to the repository's copy of the
 * Linux outputs (tests/data/golden/tce), must hold the required files;
 * IOMMUSIM_GOLDEN_TCE_DIR, the caller's own environment, adds more folders of the same
 * format (colon-separated).
 */
int main(void)
{
	/* The files the allocator is known to be checked against; a missing one fails the suite. */
	static const char *const required[] = { "basic-small", "default-2g-pools", "mask-limit",
						 "reserved-mmio32" };
	static const struct golden_suite suite = {
		.name = "golden_tce",
		.replay = replay,
		.builtin_env = "IOMMUSIM_GOLDEN_TCE_BUILTIN",
		.extra_env = "IOMMUSIM_GOLDEN_TCE_DIR",
		.required = required,
		.nrequired = sizeof(required) / sizeof(required[0]),
	};

	return golden_main(&suite);
}

/* SPDX-License-Identifier: MIT */
/*
 * Golden tests: every NAME.ops in the golden folders (main() says which) is replayed and its
 * output must equal NAME.out byte for byte. The files come from the real Linux allocator; any
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
	return iommusim_iova_replay(in, name, NULL, out, errbuf, errlen);
}

/*
 * The folders: IOMMUSIM_GOLDEN_BUILTIN, set by the build to the repository's copy of the
 * Linux outputs (tests/data/golden/iova) and the Meson option golden_dir, must hold the
 * required files; IOMMUSIM_GOLDEN_DIR, the caller's own environment, adds more folders of
 * the same format (colon-separated).
 */
int main(void)
{
	/* The files the allocator is known to be checked against; a missing one fails the suite. */
	static const char *const required[] = { "quirks", "random-32bit", "random-64bit",
						 "nvme-rbtree" };
	static const struct golden_suite suite = {
		.name = "golden_iova",
		.replay = replay,
		.builtin_env = "IOMMUSIM_GOLDEN_BUILTIN",
		.extra_env = "IOMMUSIM_GOLDEN_DIR",
		.required = required,
		.nrequired = sizeof(required) / sizeof(required[0]),
	};

	return golden_main(&suite);
}

/* SPDX-License-Identifier: MIT */
/*
 * Golden tests of the powerpc TCE allocator: every NAME.ops in the golden folders
 * (golden_runner.h says which) is replayed with iommusim_tce_replay() and its output must equal
 * NAME.out byte for byte. The files come from the Linux 6.12 allocator
 * (tests/data/golden/tce/README.md); any difference is a bug here. Files dropped into a folder
 * are picked up without code changes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <iommusim/iommusim.h>

#include "golden_runner.h"

int main(void)
{
	return golden_main(&golden_suites[GOLDEN_TCE]);
}

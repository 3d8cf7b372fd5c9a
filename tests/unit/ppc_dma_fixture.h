/* SPDX-License-Identifier: MIT */
/*
 * What the powerpc DMA ops' tests (test_ppc_dma.c, test_ppc_dma_sg.c) share: the headers, the
 * sizes and entries they name, and the CMocka setup of a pSeries default window of 2 GiB of
 * 4 KiB TCEs at 0.
 */
#ifndef TESTS_UNIT_PPC_DMA_FIXTURE_H
#define TESTS_UNIT_PPC_DMA_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/cpu.h>
#include <iommusim/dma.h>
#include <iommusim/mem.h>

#include "ppc_fixture.h"

#define DEF_LIOBN PPC_FX_LIOBN
#define SZ_64K	  UINT64_C(0x10000)
#define SZ_2G	  (UINT64_C(1) << 31)
#define LARGE0	  UINT64_C(393216) /* first entry of the large pool */
#define BIDI	  IOMMUSIM_DMA_BIDIRECTIONAL

static inline int setup(void **state)
{
	return ppc_fx_setup(state, SZ_2G, 0);
}

/* A test run on the window of setup(), torn down after. */
#define WINDOW_TEST(t) cmocka_unit_test_setup_teardown(t, setup, ppc_fx_teardown)

#endif /* TESTS_UNIT_PPC_DMA_FIXTURE_H */

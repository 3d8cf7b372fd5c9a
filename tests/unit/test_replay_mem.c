/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the memory of the replay commands (bench/replay_mem.c): blocks of every size
 * and alignment the library asks for are aligned, do not overlap and are used again once
 * freed; blocks of a megabyte or more, and more blocks than one region holds, work; and a
 * replay run on it prints what it prints on the default context, giving everything back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iommusim/iommusim.h>

#include "base/memory.h"
#include "replay_mem.h"

static struct iommusim_mem *mem_new(void)
{
	struct iommusim_mem *mem = NULL;

	assert_int_equal(replay_mem_create(&mem), 0);
	assert_non_null(mem);
	return mem;
}

/* Blocks lie apart, and each keeps the bytes written at its ends. */
static void test_replay_mem_blocks_aligned_and_apart(void **state)
{
	static const size_t sizes[] = {
		1,    8,    16,	  17,	 48,	64,	 100,		1024,	2048,
		2049, 4096, 5000, 65536, 65537, 1 << 20, (1 << 20) + 1, 3 << 20};
	static const size_t aligns[] = {0, 16, 32, 64};
	enum { N = sizeof(sizes) / sizeof(sizes[0]) * sizeof(aligns) / sizeof(aligns[0]) };
	struct iommusim_mem *mem = mem_new();
	unsigned char *block[N];
	size_t size[N], align[N], n = 0;

	(void)state;
	for (size_t a = 0; a < sizeof(aligns) / sizeof(aligns[0]); a++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++, n++) {
			size[n] = sizes[s];
			align[n] = aligns[a];
			block[n] = isim_alloc(mem, size[n], align[n]);
			assert_non_null(block[n]);
			assert_int_equal((uintptr_t)block[n] % (align[n] > 16 ? align[n] : 16), 0);
			for (size_t k = 0; k < n; k++)
				assert_true(block[n] + size[n] <= block[k] ||
					    block[k] + size[k] <= block[n]);
			block[n][0] = (unsigned char)(n + 1);
			block[n][size[n] - 1] = (unsigned char)(n + 1);
		}
	}
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(block[i][0], (unsigned char)(i + 1));
		assert_int_equal(block[i][size[i] - 1], (unsigned char)(i + 1));
	}
	for (size_t i = 0; i < n; i++)
		isim_free(mem, block[i], size[i], align[i]);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	assert_int_equal(iommusim_mem_live_bytes(mem), 0);
	replay_mem_destroy(mem);
}

/* A freed block is the next one given for its size: a long replay does not grow. */
static void test_replay_mem_freed_block_used_again(void **state)
{
	struct iommusim_mem *mem = mem_new();
	void *a, *b, *aligned, *paged;

	(void)state;
	a = isim_alloc(mem, 40, 0);
	b = isim_alloc(mem, 40, 0);
	assert_ptr_not_equal(a, b);
	isim_free(mem, a, 40, 0);
	assert_ptr_equal(isim_alloc(mem, 40, 0), a);
	/* a 64-byte aligned block of the same size comes from a list of its own */
	aligned = isim_alloc(mem, 40, 64);
	assert_ptr_not_equal(aligned, a);
	isim_free(mem, aligned, 40, 64);
	assert_ptr_equal(isim_alloc(mem, 33, 64), aligned);
	/* blocks above 2 KiB come in whole pages */
	paged = isim_alloc(mem, 10000, 0);
	isim_free(mem, paged, 10000, 0);
	assert_ptr_equal(isim_alloc(mem, 12000, 0), paged);

	isim_free(mem, paged, 12000, 0);
	isim_free(mem, aligned, 33, 64);
	isim_free(mem, a, 40, 0);
	isim_free(mem, b, 40, 0);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	replay_mem_destroy(mem);
}

/*
 * More blocks than one region holds (64 MiB): all apart, and the ones on either side of the
 * change of region writable. Only a few are written, so that few huge pages are touched.
 */
static void test_replay_mem_more_than_a_region(void **state)
{
	enum { BLOCKS = 70, SIZE = 1 << 20 };
	struct iommusim_mem *mem = mem_new();
	unsigned char *block[BLOCKS];

	(void)state;
	for (size_t i = 0; i < BLOCKS; i++) {
		block[i] = isim_alloc(mem, SIZE, 0);
		assert_non_null(block[i]);
		for (size_t k = 0; k < i; k++)
			assert_true(block[i] + SIZE <= block[k] || block[k] + SIZE <= block[i]);
	}
	for (size_t i = 0; i < BLOCKS; i++) {
		if (i > 2 && i < 60 && i + 2 < BLOCKS)
			continue;
		block[i][0] = (unsigned char)i;
		block[i][SIZE - 1] = (unsigned char)i;
	}
	for (size_t i = 0; i < BLOCKS; i++) {
		if (!(i > 2 && i < 60 && i + 2 < BLOCKS)) {
			assert_int_equal(block[i][0], (unsigned char)i);
			assert_int_equal(block[i][SIZE - 1], (unsigned char)i);
		}
		isim_free(mem, block[i], SIZE, 0);
	}
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	replay_mem_destroy(mem);
}

static char *replay(const char *script, struct iommusim_mem *mem, size_t *outlen)
{
	struct iommusim_iova_replay_opts opts = {.depot = IOMMUSIM_IOVA_DEPOT_LIST, .mem = mem};
	char *text = strdup(script), *out = NULL, err[256];
	FILE *in, *o;

	assert_non_null(text);
	in = fmemopen(text, strlen(text), "r");
	o = open_memstream(&out, outlen);
	assert_non_null(in);
	assert_non_null(o);
	assert_int_equal(iommusim_iova_replay(in, "in.ops", &opts, o, err, sizeof(err)), 0);
	assert_int_equal(fclose(o), 0);
	fclose(in);
	free(text);
	return out;
}

/* The answers do not depend on where the memory comes from; all of it is given back. */
static void test_replay_mem_replay_same_answers(void **state)
{
	struct iommusim_mem *mem = mem_new();
	size_t n = 0, ref_len, got_len;
	char *script = malloc(1 << 20), *ref, *got;

	(void)state;
	assert_non_null(script);
	n += (size_t)sprintf(script + n, "ncpus 4\ninit 4096 1\nreserve 0xfee00 0xfeeff\n");
	for (unsigned int i = 0; i < 20000; i++) {
		unsigned int size = 1u << (i % 7);

		n += (size_t)sprintf(script + n, "cpu %u\nfast %u 0xfffff 0\nalloc %u 0xfffff 1\n",
				     i % 4, size, size);
		if (i % 3 == 0)
			n += (size_t)sprintf(script + n, "free %u\n", 1048575 - i);
		if (i % 5000 == 0)
			n += (size_t)sprintf(script + n, "dump\nrcache\ninit 4096 1\n");
	}
	ref = replay(script, NULL, &ref_len);
	got = replay(script, mem, &got_len);
	assert_int_equal(got_len, ref_len);
	assert_memory_equal(got, ref, ref_len);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	assert_int_equal(iommusim_mem_live_bytes(mem), 0);
	free(ref);
	free(got);
	free(script);
	replay_mem_destroy(mem);
}

SUITE_MAIN(cmocka_unit_test(test_replay_mem_blocks_aligned_and_apart),
	   cmocka_unit_test(test_replay_mem_freed_block_used_again),
	   cmocka_unit_test(test_replay_mem_more_than_a_region),
	   cmocka_unit_test(test_replay_mem_replay_same_answers))

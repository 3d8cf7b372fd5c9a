/* SPDX-License-Identifier: MIT */
/*
 * nvme-script NOPS OUT.ops [OUT.out]: write iova-bench's NVMe-like op script of NOPS ops
 * (4 queues of depth 64, 1- and 32-page I/Os, FIFO completion, mostly through fast/ffree,
 * partly through alloc/free) and, optionally, the answers the allocator gives to it. It is the
 * generator `iova-bench` replays, with the same seed, so a script of 50 000 ops here is the
 * one iova-bench times.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../iova_bench_script.c"

#define SEED 0x10a5eed5ull

static int write_file(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct iommusim_mem *mem;
	char *script, *expect;
	size_t slen, elen;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: %s NOPS OUT.ops [OUT.out]\n", argv[0]);
		return 2;
	}
	if (iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &mem) ||
	    bench_nvme_script(mem, strtoull(argv[1], NULL, 0), SEED, &script, &slen, &expect,
			      &elen)) {
		fprintf(stderr, "%s: out of memory\n", argv[0]);
		return 1;
	}
	rc = write_file(argv[2], script, slen);
	if (!rc && argc > 3)
		rc = write_file(argv[3], expect, elen);
	free(script);
	free(expect);
	iommusim_mem_destroy(mem);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * The import of the kernel's trace text (sim/workload/trace_ftrace*.c, docs/traces.md): each
 * event kind in both text forms (the trace file with its flags column, trace-cmd report
 * without), the older and newer dma_map_sg with " [TRUNCATED]", pairing by DMA address or by
 * the list's first page, what is counted rather than imported, the choice of device, and the
 * message of every malformed line of a known event.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"
#include "trace_fixture.h"

/* The prefix of a line of /sys/kernel/tracing/trace at TIME (seconds) on CPU 1 of a task. */
#define T(time) "     fio-2781    [001] d..1. " time ": "
/* ... and of trace-cmd report, on CPU 2, a task whose name holds a blank and brackets. */
#define R(time) "  kworker [u8] x-77 [002] " time ": "
#define DEV	"0000:00:04.0"

static void test_trace_import_page_map_and_unmap(void **state)
{
	/* clang-format off */
	static const char text[] =
		"# tracer: nop\n"
		"#\n"
		T("100.000001") "dma_map_page: " DEV " dir=FROM_DEVICE dma_addr=fffff000 size=4096 phys_addr=1000 attrs=\n"
		R("100.000003500") "dma_map_resource:     " DEV " dir=TO_DEVICE dma_addr=ffffd000 size=512 phys_addr=fe000000 attrs=SKIP_CPU_SYNC|WEAK_ORDERING\n"
		T("100.000011") "dma_unmap_page: " DEV " dir=FROM_DEVICE dma_addr=fffff000 size=4096 attrs=\n"
		R("100.000013") "dma:dma_unmap_resource: " DEV " dir=TO_DEVICE dma_addr=ffffd000 size=512 attrs=\n";
	/* clang-format on */
	struct fixture *f = *state;
	struct iommusim_trace *t = import_ok(f, text, NULL);
	struct iommusim_trace_info info;

	iommusim_trace_get_info(t, &info);
	assert_int_equal(info.ops, 4);
	assert_int_equal(info.left_mapped, 0);
	assert_string_equal(info.device, DEV);
	/* times from the first call, ns; the CPU from [NNN] */
	assert_int_equal(rec_at(t, 0)->time_ns, 0);
	assert_int_equal(rec_at(t, 0)->cpu, 1);
	assert_int_equal(rec_at(t, 0)->dir, IOMMUSIM_DMA_FROM_DEVICE);
	/* trace-cmd report -t prints ns */
	assert_int_equal(rec_at(t, 1)->time_ns, 2500);
	assert_int_equal(rec_at(t, 1)->cpu, 2);
	assert_int_equal(rec_at(t, 1)->bytes, 512);
	assert_int_equal(rec_at(t, 2)->op, IOMMUSIM_TRACE_UNMAP);
	assert_int_equal(rec_at(t, 2)->buffer, rec_at(t, 0)->buffer);
	assert_int_equal(rec_at(t, 3)->buffer, rec_at(t, 1)->buffer);
	assert_int_equal(rec_at(t, 3)->time_ns, 12000);
	assert_int_equal(f->rep.lines, 6);
	assert_int_equal(f->rep.unknown.n, 0);
	iommusim_trace_destroy(t);
}

/* 6.12's dma_map_sg prints every entry; its unmap names the pages only. */
static void test_trace_import_sg_lists(void **state)
{
	/* clang-format off */
	static const char text[] =
		T("5.000000") "dma_map_sg: " DEV " dir=TO_DEVICE dma_addrs={0xfff00000,0xfff10000} sizes={0x3000,0x1000} phys_addrs={0x20000,0x21000,0x22000,0x40000} attrs=\n"
		T("5.000100") "dma_unmap_sg: " DEV " dir=TO_DEVICE phys_addrs={0x20000,0x21000,0x22000,0x40000} attrs=\n";
	/* clang-format on */
	struct fixture *f = *state;
	struct iommusim_trace *t = import_ok(f, text, NULL);

	assert_int_equal(rec_at(t, 0)->op, IOMMUSIM_TRACE_MAP_SG);
	/* the segments' sizes, and an entry per page of the list */
	assert_int_equal(rec_at(t, 0)->bytes, 0x4000);
	assert_int_equal(rec_at(t, 0)->segs, 4);
	assert_int_equal(rec_at(t, 1)->op, IOMMUSIM_TRACE_UNMAP_SG);
	assert_int_equal(rec_at(t, 1)->bytes, 0x4000);
	assert_int_equal(rec_at(t, 1)->segs, 4);
	assert_int_equal(f->rep.truncated, 0);
	iommusim_trace_destroy(t);
}

/*
 * Newer kernels print at most 128 entries, "nents=PRINTED/ALL ents=PRINTED/ALL [TRUNCATED]":
 * the entries are ALL, and the bytes of the segments not printed are taken to be as long as
 * those printed (2 printed of 4, 0x2000 bytes: 0x4000).
 */
static void test_trace_import_truncated_sg(void **state)
{
	/* clang-format off */
	static const char text[] =
		T("5.000000") "dma_map_sg: " DEV " dir=FROM_DEVICE nents=2/300 ents=2/4 [TRUNCATED] dma_addrs={0xa000,0xc000} sizes={0x1000,0x1000} phys_addrs={0x9000,0x7000} attrs=\n";
	/* clang-format on */
	struct fixture *f = *state;
	struct iommusim_trace *t = import_ok(f, text, NULL);

	assert_int_equal(rec_at(t, 0)->segs, 300);
	assert_int_equal(rec_at(t, 0)->bytes, 0x4000);
	assert_int_equal(f->rep.truncated, 1);
	assert_int_equal(f->rep.left_mapped, 1);
	iommusim_trace_destroy(t);
}

/* Coherent memory, as 6.12 prints it (no direction) and as later kernels do (dir=). */
static void test_trace_import_coherent(void **state)
{
	/* clang-format off */
	static const char text[] =
		T("1.000000") "dma_alloc: " DEV " dma_addr=ffe00000 size=65536 virt_addr=00000000deadbeef flags=GFP_KERNEL attrs=\n"
		T("1.000001") "dma_alloc_pages: " DEV " dir=BIDIRECTIONAL dma_addr=ffd00000 size=8192 virt_addr=0000000012345678 flags=GFP_KERNEL attrs=\n"
		T("1.000002") "dma_free: " DEV " dma_addr=ffe00000 size=65536 virt_addr=00000000deadbeef attrs=\n";
	/* clang-format on */
	struct fixture *f = *state;
	struct iommusim_trace *t = import_ok(f, text, NULL);

	assert_int_equal(rec_at(t, 0)->op, IOMMUSIM_TRACE_ALLOC);
	assert_int_equal(rec_at(t, 0)->dir, IOMMUSIM_DMA_BIDIRECTIONAL);
	assert_int_equal(rec_at(t, 1)->op, IOMMUSIM_TRACE_ALLOC);
	assert_int_equal(rec_at(t, 2)->op, IOMMUSIM_TRACE_FREE);
	assert_int_equal(rec_at(t, 2)->buffer, rec_at(t, 0)->buffer);
	assert_int_equal(f->rep.left_mapped, 1);
	iommusim_trace_destroy(t);
}

static size_t count_of(const struct isim_ftrace_names *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->c[i].name, name))
			return (size_t)t->c[i].n;
	return 0;
}

/* What is not a call to replay is counted by name, each with the line it was first seen at. */
static void test_trace_import_counts_what_it_skips(void **state)
{
	/* clang-format off */
	static const char text[] =
		"version = 6\n"
		"cpus=2\n"
		"CPU 1 is empty\n"
		T("2.000000") "sched_switch: prev_comm=a prev_pid=1 ==> next_comm=b\n"
		T("2.000001") "map: IOMMU: iova=0x0000000000001000 - 0x0000000000002000 paddr=0x0000000000005000 size=4096\n"
		T("2.000002") "unmap: IOMMU: iova=0x0000000000001000 size=4096 unmapped_size=4096\n"
		T("2.000003") "dma_sync_single_for_cpu: " DEV " dir=FROM_DEVICE dma_addr=1000 size=64\n"
		T("2.000004") "dma_map_page: " DEV " dir=TO_DEVICE dma_addr=ffffffffffffffff size=4096 phys_addr=1 attrs=\n"
		T("2.000005") "sched_switch: x\n"
		"this line is no event\n"
		"CPU:1 [LOST 17 EVENTS]\n"
		T("2.000006") "dma_map_page: " DEV " dir=TO_DEVICE dma_addr=3000 size=4096 phys_addr=1 attrs=\n";
	/* clang-format on */
	struct fixture *f = *state;
	struct iommusim_trace *t = import_ok(f, text, NULL);

	assert_int_equal(f->rep.calls, 1);
	assert_int_equal(count_of(&f->rep.skipped, "iommu:map"), 1);
	assert_int_equal(count_of(&f->rep.skipped, "iommu:unmap"), 1);
	assert_int_equal(count_of(&f->rep.skipped, "dma_sync_single_for_cpu"), 1);
	assert_int_equal(count_of(&f->rep.skipped, "dma_map_page (failed when recorded)"), 1);
	assert_int_equal(count_of(&f->rep.unknown, "sched_switch"), 2);
	assert_int_equal(count_of(&f->rep.unknown, "(not an event)"), 1);
	assert_int_equal(f->rep.unknown.c[0].first_line, 4);
	assert_int_equal(f->rep.lost, 17);
	assert_int_equal(f->rep.lines, 12);
	iommusim_trace_destroy(t);
}

/*
 * A text's last line need not end in a newline, and the import reads no byte past the text:
 * each is given in a buffer of its exact size (AddressSanitizer builds catch an overread). The
 * note of lost events counts even there.
 */
static void test_trace_import_reads_nothing_past_the_text(void **state)
{
	static const char *const tails[] = {
		"CP", "CPU:", "CPU:2 [", "CPU:2 [LO", "ve", "cpus", "CPU:2 [LOST 17 EVENTS]"};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		size_t n = strlen(tails[i]);
		char *exact = malloc(n);
		struct iommusim_trace *t = NULL;
		int err;

		assert_non_null(exact);
		memcpy(exact, tails[i], n);
		err = isim_ftrace_import(f->mem, exact, n, "k.txt", NULL, &t, &f->rep, f->err,
					 sizeof(f->err));
		assert_true(err == 0 || err == -EINVAL);
		if (!err && i == sizeof(tails) / sizeof(tails[0]) - 1)
			assert_int_equal(f->rep.lost, 17);
		iommusim_trace_destroy(t);
		free(exact);
	}
}

/*
 * An unmap of a buffer mapped before the recording is dropped and counted; a map never
 * unmapped stays in the trace; an address mapped twice keeps its first buffer mapped. Every
 * map of the text is then either unmapped in the trace or counted as left mapped.
 */
static void test_trace_import_pairs_and_conserves(void **state)
{
	/* clang-format off */
	static const char text[] =
		T("3.000000") "dma_unmap_page: " DEV " dir=TO_DEVICE dma_addr=9000 size=4096 attrs=\n"
		T("3.000001") "dma_map_page: " DEV " dir=TO_DEVICE dma_addr=1000 size=4096 phys_addr=1 attrs=\n"
		T("3.000002") "dma_map_page: " DEV " dir=TO_DEVICE dma_addr=1000 size=4096 phys_addr=2 attrs=\n"
		T("3.000003") "dma_unmap_page: " DEV " dir=TO_DEVICE dma_addr=1000 size=4096 attrs=\n"
		T("3.000004") "dma_map_page: " DEV " dir=FROM_DEVICE dma_addr=2000 size=4096 phys_addr=3 attrs=\n";
	/* clang-format on */
	struct fixture *f = *state;
	struct iommusim_trace *t = import_ok(f, text, NULL);
	struct iommusim_trace_info info;

	iommusim_trace_get_info(t, &info);
	assert_int_equal(f->rep.unpaired_unmaps, 1);
	assert_int_equal(f->rep.first_unpaired, 1);
	assert_int_equal(f->rep.remapped, 1);
	assert_int_equal(info.maps, 3);
	assert_int_equal(info.unmaps, 1);
	assert_int_equal(info.maps, info.unmaps + info.left_mapped);
	assert_int_equal(f->rep.left_mapped, 2);
	/* the unmap ends the second map of the address, not the first */
	assert_int_equal(rec_at(t, 2)->buffer, rec_at(t, 1)->buffer);
	assert_true(rec_at(t, 1)->buffer != rec_at(t, 0)->buffer);
	iommusim_trace_destroy(t);
}

/* clang-format off */
static const char two_devices[] =
	T("4.000000") "dma_map_page: " DEV " dir=TO_DEVICE dma_addr=1000 size=4096 phys_addr=1 attrs=\n"
	T("4.000001") "dma_map_page: 0001:00:00.0 dir=TO_DEVICE dma_addr=1000 size=4096 phys_addr=1 attrs=\n"
	T("4.000002") "dma_map_page: 0001:00:00.0 dir=TO_DEVICE dma_addr=2000 size=4096 phys_addr=1 attrs=\n";
/* clang-format on */

static void test_trace_import_chooses_device(void **state)
{
	struct fixture *f = *state;
	struct iommusim_trace *t;

	import_bad(f, two_devices, NULL,
		   "k.txt: DMA calls of 2 devices (" DEV " 1 calls, 0001:00:00.0 2 calls): "
		   "choose one");
	import_bad(f, two_devices, "0002:00:00.0",
		   "k.txt: no DMA call of 0002:00:00.0 (" DEV " 1 calls, 0001:00:00.0 2 calls)");
	t = import_ok(f, two_devices, "0001:00:00.0");
	assert_int_equal(f->rep.calls, 2);
	assert_int_equal(count_of(&f->rep.other, DEV), 1);
	/* the chosen device's times start at its own first call */
	assert_int_equal(rec_at(t, 0)->time_ns, 0);
	assert_int_equal(rec_at(t, 1)->time_ns, 1000);
	iommusim_trace_destroy(t);
	import_bad(f, "# nothing\n", NULL, "k.txt: no DMA call of any device");
}

/* A malformed line of a known event: its line and field. */
static void test_trace_import_errors(void **state)
{
	/* clang-format off */
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{T("1.0") "dma_map_page: dir=TO_DEVICE dma_addr=1 size=1 attrs=\n",
		 "k.txt:1: device: missing"},
		{T("1.0") "dma_map_page: " DEV " dma_addr=1 size=1 attrs=\n", "k.txt:1: dir: missing"},
		{T("1.0") "dma_map_page: 0000:00\03204.0 dir=TO_DEVICE dma_addr=1 size=1 attrs=\n",
		 "k.txt:1: device: not a name: '0000:00\\x1a04.0'"},
		{T("1.0") "dma_map_page: " DEV " dir=SIDEWAYS dma_addr=1 size=1 attrs=\n",
		 "k.txt:1: dir: unknown direction 'SIDEWAYS'"},
		{T("1.0") "dma_map_page: " DEV " dir=NONE dma_addr=1 size=1 attrs=\n",
		 "k.txt:1: dir: NONE is no direction to map in"},
		{T("1.0") "dma_map_page: " DEV " dir=TO_DEVICE size=1 attrs=\n",
		 "k.txt:1: dma_addr: missing"},
		{T("1.0") "dma_map_page: " DEV " dir=TO_DEVICE dma_addr=xyz size=1 attrs=\n",
		 "k.txt:1: dma_addr: not a hexadecimal number: 'xyz'"},
		{T("1.0") "dma_unmap_page: " DEV " dir=TO_DEVICE dma_addr=1 size=0x10 attrs=\n",
		 "k.txt:1: size: not a decimal number: '0x10'"},
		{T("1.0") "dma_map_page: " DEV " dir=TO_DEVICE dma_addr=1 size=0 attrs=\n",
		 "k.txt:1: size: must not be 0"},
		{T("1.0") "dma_map_sg: " DEV " dir=TO_DEVICE dma_addrs=0x1 sizes={0x1} "
			  "phys_addrs={0x1} attrs=\n",
		 "k.txt:1: dma_addrs: not a {...} list: '0x1'"},
		{T("1.0") "dma_map_sg: " DEV " dir=TO_DEVICE dma_addrs={0x1,zz} sizes={0x1} "
			  "phys_addrs={0x1} attrs=\n",
		 "k.txt:1: dma_addrs: entry 2 is not a 0x number: 'zz'"},
		{T("1.0") "dma_map_sg: " DEV " dir=TO_DEVICE dma_addrs={0x1,0x2} sizes={0x1} "
			  "phys_addrs={0x1} attrs=\n",
		 "k.txt:1: sizes: 1 sizes for 2 dma_addrs"},
		{T("1.0") "dma_map_sg: " DEV " dir=TO_DEVICE nents=3/2 ents=1/1 dma_addrs={0x1} "
			  "sizes={0x1} phys_addrs={0x1} attrs=\n",
		 "k.txt:1: nents: not PRINTED/ALL"},
		{T("1.0") "dma_unmap_sg: " DEV " dir=TO_DEVICE phys_addrs={} attrs=\n",
		 "k.txt:1: phys_addrs: an empty list"},
		{T("1.0") "map: iova=0x1000 paddr=0x1 size=4096\n",
		 "k.txt:1: IOMMU: the fields of iommu:map must start 'IOMMU:'"},
		{T("1.0") "unmap: IOMMU: iova=0x1000 size=4096\n",
		 "k.txt:1: unmapped_size: missing"},
		{"x [5000] 1.0: dma_map_page: " DEV " dir=TO_DEVICE dma_addr=1 size=1 attrs=\n",
		 "k.txt:1: cpu: 5000 is not below 4096"},
		/* the recording's own inconsistencies are errors too */
		{T("1.0") "dma_map_page: " DEV " dir=TO_DEVICE dma_addr=1 size=4096 phys_addr=1 "
			  "attrs=\n" T("1.1") "dma_unmap_page: " DEV
		 " dir=TO_DEVICE dma_addr=1 size=8192 attrs=\n",
		 "k.txt:2: bytes: 8192 in 1 entries, but buffer 1 was mapped as 4096 in 1 (mapped at "
		 "line 1)"},
		{T("2.0") "dma_map_page: " DEV " dir=TO_DEVICE dma_addr=1 size=4096 phys_addr=1 "
			  "attrs=\n" T("1.0") "dma_map_page: " DEV
		 " dir=TO_DEVICE dma_addr=2 size=4096 phys_addr=1 attrs=\n",
		 "k.txt:2: timestamp: 1.000000000 is before the previous call's 2.000000000"},
	};
	/* clang-format on */
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		import_bad(f, cases[i].text, NULL, cases[i].msg);
}

SUITE_MAIN(cmocka_unit_test_setup_teardown(test_trace_import_page_map_and_unmap, setup, teardown),
	   cmocka_unit_test_setup_teardown(test_trace_import_sg_lists, setup, teardown),
	   cmocka_unit_test_setup_teardown(test_trace_import_truncated_sg, setup, teardown),
	   cmocka_unit_test_setup_teardown(test_trace_import_coherent, setup, teardown),
	   cmocka_unit_test_setup_teardown(test_trace_import_counts_what_it_skips, setup, teardown),
	   cmocka_unit_test_setup_teardown(test_trace_import_reads_nothing_past_the_text, setup,
					   teardown),
	   cmocka_unit_test_setup_teardown(test_trace_import_pairs_and_conserves, setup, teardown),
	   cmocka_unit_test_setup_teardown(test_trace_import_chooses_device, setup, teardown),
	   cmocka_unit_test_setup_teardown(test_trace_import_errors, setup, teardown))

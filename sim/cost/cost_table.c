/* SPDX-License-Identifier: MIT */
/*
 * The cost table: the one place the simulator's numbers live (architecture rule 4). Each row is
 * a named parameter with unit, default, range, a one-line reason and its source: "sources.md
 * S<n>" is section S<n> of docs/sources.md, other names are docs of this repository (or "EST"
 * for a guess with no published basis). EST rows are estimates a calibration may fit inside
 * their range. The row order is the listing order.
 *
 * Guest-side split. The published basis gives only the estimate c_guest_map / c_guest_unmap =
 * 50-200 ns for "page table update + IOVA alloc/free" (sources.md S14). Here that total is a
 * fixed cost per DMA API call (dispatch, checks, iommu_map/unmap page-size split, gather),
 * which the DMA API reports as one unit of work per call, plus the work units the layers
 * below it count (cpu.h). The defaults were chosen so that, at 5.2 GHz, the library's own
 * counts land inside that range:
 *   warm strict 1-page map (rcache hit: lock + mag_op + mag_scan + pte_write)
 *     250 + 40 + 10 + 3 + 60 = 363 cycles = 70 ns;
 *   warm strict 1-page unmap (lock + mag_op + pte_write)   200 + 40 + 10 + 60 = 310 cycles = 60 ns;
 *   tree-path 1-page map (3 locks, 3 tree nodes, 1 insert, 1 alloc, 1 pte)
 *     250 + 120 + 60 + 80 + 100 + 60 = 670 cycles = 129 ns.
 * tests/unit/test_cost.c checks the first two against the library.
 *
 * The profiles are in cost_profiles.c.
 */
#include <iommusim/cost.h>

#include "base/compiler.h"
/* its declarations of the tables below, so the two cannot drift apart */
#include "cost/cost_internal.h"

#define NS     IOMMUSIM_COST_UNIT_NS
#define MS     IOMMUSIM_COST_UNIT_MS
#define CYCLES IOMMUSIM_COST_UNIT_CYCLES
#define MHZ    IOMMUSIM_COST_UNIT_MHZ
#define COUNT  IOMMUSIM_COST_UNIT_COUNT
#define PAGES  IOMMUSIM_COST_UNIT_PAGES
#define BOOL   IOMMUSIM_COST_UNIT_BOOL
#define CHOICE IOMMUSIM_COST_UNIT_CHOICE
#define IOPS   IOMMUSIM_COST_UNIT_IOPS
#define MBPS   IOMMUSIM_COST_UNIT_MBPS
#define EST    IOMMUSIM_COST_EST
#define WL     IOMMUSIM_COST_WORKLOAD
#define POW2   IOMMUSIM_COST_POW2
#define FITTED (IOMMUSIM_COST_EST | IOMMUSIM_COST_FITTED)

#define ROW(id_, name_, unit_, def_, min_, max_, flags_, reason_, source_)                         \
	[IOMMUSIM_COST_##id_] = {                                                                  \
		.name = name_,                                                                     \
		.unit = unit_,                                                                     \
		.default_value = def_,                                                             \
		.min = min_,                                                                       \
		.max = max_,                                                                       \
		.flags = flags_,                                                                   \
		.reason = reason_,                                                                 \
		.source = source_,                                                                 \
	}

/* A parameter whose values are named: 0 .. n-1 for the n names of @choices_. */
#define ROW_CHOICE(id_, name_, def_, choices_, reason_, source_)                                   \
	[IOMMUSIM_COST_##id_] = {                                                                  \
		.name = name_,                                                                     \
		.unit = CHOICE,                                                                    \
		.default_value = def_,                                                             \
		.min = 0,                                                                          \
		.max = ISIM_ARRAY_SIZE(choices_) - 2,                                              \
		.flags = 0,                                                                        \
		.reason = reason_,                                                                 \
		.source = source_,                                                                 \
		.choices = choices_,                                                               \
	}

/* s390.enomem, in the order of enum iommusim_s390_enomem (s390.h). */
static const char *const enomem_choices[] = {"global-flush", "none", "flush-queue", NULL};

/* ppc.kernel_page: the guest kernel's PAGE_SIZE. */
static const char *const kernel_page_choices[] = {"64k", "4k", NULL};

/*
 * pseries.ddw_page_sizes: the TCE page sizes ibm,query-pe-dma-window offers, in the order of
 * isim_ppc_ddw_page_sizes() (sim/platform/ppc_endpoint.c).
 */
static const char *const ddw_page_choices[] = {"4k", "4k-64k", "4k-64k-16m", "4k-64k-2m-16m", NULL};

#define GUEST_SPLIT "sources.md S14, c_guest_map/unmap split"

const struct iommusim_cost_param isim_cost_table[IOMMUSIM_COST_NR] = {
	/* The clock every ns value is converted with. */
	ROW(CPU_FREQ_MHZ, "cpu.freq_mhz", MHZ, 5200, 1000, 6000, 0,
	    "guest CPU clock: IBM z15/z16 cores run at 5.2 GHz; the x86 figures of the sources assume "
	    "2.5-3.5 GHz",
	    "sources.md S9 (IBM z15/z16 data)"),

	/* Guest kernel: per call, then per counted unit of work (cpu.h enum iommusim_work). */
	ROW(GUEST_DMA_MAP_CYCLES, "guest.dma_map_cycles", CYCLES, 250, 100, 1000, EST,
	    "fixed part of one DMA map call (dispatch, checks, iommu_map split, sync_map call); "
	    "with the counted work a warm 1-page map is 70 ns",
	    GUEST_SPLIT),
	ROW(GUEST_DMA_UNMAP_CYCLES, "guest.dma_unmap_cycles", CYCLES, 200, 80, 1000, EST,
	    "fixed part of one DMA unmap call (dispatch, iova_to_phys, unmap split, gather); "
	    "a warm 1-page unmap is 60 ns",
	    GUEST_SPLIT),
	ROW(GUEST_TREE_NODE_CYCLES, "guest.tree_node_cycles", CYCLES, 20, 5, 300, EST,
	    "one rbtree node visited: a dependent load, cache-hot near the cached node, a miss "
	    "(up to ~300) deep in a large tree",
	    GUEST_SPLIT),
	ROW(GUEST_TREE_INSERT_CYCLES, "guest.tree_insert_cycles", CYCLES, 80, 30, 400, EST,
	    "link one node and rebalance (a few recolourings, at most 2 rotations)", GUEST_SPLIT),
	ROW(GUEST_TREE_ERASE_CYCLES, "guest.tree_erase_cycles", CYCLES, 100, 30, 400, EST,
	    "unlink one node with successor replacement and rebalance (at most 3 rotations)",
	    GUEST_SPLIT),
	ROW(GUEST_MAG_OP_CYCLES, "guest.mag_op_cycles", CYCLES, 10, 3, 50, EST,
	    "push or pop one PFN in a per-CPU magazine: an indexed store/load on a hot line",
	    GUEST_SPLIT),
	ROW(GUEST_MAG_SCAN_CYCLES, "guest.mag_scan_cycles", CYCLES, 3, 1, 10, EST,
	    "one magazine slot compared against the limit pfn while popping", GUEST_SPLIT),
	ROW(GUEST_DEPOT_OP_CYCLES, "guest.depot_op_cycles", CYCLES, 30, 10, 200, EST,
	    "one magazine moved onto or off the depot list (a shared, often cold, cache line)",
	    GUEST_SPLIT),
	ROW(GUEST_LOCK_CYCLES, "guest.lock_cycles", CYCLES, 40, 10, 200, EST,
	    "uncontended spin_lock_irqsave + unlock: one interlocked update and serialisation; "
	    "waiting is modelled separately",
	    GUEST_SPLIT),
	ROW(GUEST_MEM_ALLOC_CYCLES, "guest.mem_alloc_cycles", CYCLES, 100, 40, 500, EST,
	    "kmem_cache_alloc fast path for an iova node or magazine, first touch of the object",
	    GUEST_SPLIT),
	ROW(GUEST_MEM_FREE_CYCLES, "guest.mem_free_cycles", CYCLES, 80, 30, 400, EST,
	    "kmem_cache_free fast path", GUEST_SPLIT),
	ROW(GUEST_BITMAP_WORD_CYCLES, "guest.bitmap_word_cycles", CYCLES, 5, 1, 30, EST,
	    "one 64-bit bitmap word tested or updated by the next-fit area search", GUEST_SPLIT),
	ROW(GUEST_PTE_WRITE_CYCLES, "guest.pte_write_cycles", CYCLES, 60, 20, 300, EST,
	    "one s390 PTE validated/invalidated: 3-level table walk (hot upper levels) + xchg",
	    GUEST_SPLIT),
	ROW(GUEST_FQ_ENTRY_CYCLES, "guest.fq_entry_cycles", CYCLES, 20, 5, 100, EST,
	    "one flush-queue entry appended, or reclaimed and handed to free_iova_fast",
	    GUEST_SPLIT),
	ROW(GUEST_FW_BUSY_RETRY_NS, "guest.fw_busy_retry_ns", NS, 1000, 1000, 10000, 0,
	    "RPCIT cc 2 (busy) makes zpci_refresh_trans udelay(1) before retrying; a time, so in "
	    "ns; the retried call is charged by the platform",
	    "sources.md S18"),
	ROW(GUEST_APERTURE_PAGES, "guest.aperture_pages", PAGES, 0, 0, 1ull << 30, 0,
	    "A, the DMA aperture walked by a global refresh; 0 = derived (vfio limit with the "
	    "QEMU 8.0 shrink, else the zPCI window)",
	    "sources.md S11, S14"),

	/* dma-iommu flush queue. */
	ROW(DMA_FQ_SIZE, "dma.fq_size", COUNT, 0, 0, 1ull << 20, POW2,
	    "flush-queue entries (power of two); 0 = policy default: 256 per-CPU, 32768 single "
	    "(shadow_on_flush)",
	    "sources.md S16"),
	ROW(DMA_FQ_TIMEOUT_MS, "dma.fq_timeout_ms", MS, 0, 0, 60000, 0,
	    "flush-queue timer; 0 = policy default: 10 ms per-CPU, 1000 ms single",
	    "sources.md S16"),

	/* What the firmware tells the guest about the function. */
	ROW(ZPCI_TLB_REFRESH, "zpci.tlb_refresh", BOOL, 1, 0, 1, 0,
	    "1 = hypervisor shadows the I/O tables (z/VM, KVM): RPCIT on every map and "
	    "shadow_on_flush; 0 on LPAR",
	    "sources.md S18"),
	ROW_CHOICE(S390_ENOMEM, "s390.enomem", 0, enomem_choices,
		   "answer to a map RPCIT's insufficient resources: global-flush (v6.7 global "
		   "RPCIT), none (map fails), flush-queue (flush the FQ, retry once)",
		   "sources.md S18"),

	/* LPAR: the firmware purges the hardware IOTLB; nothing is shadowed. */
	ROW(LPAR_RPCIT_NS, "lpar.rpcit_ns", NS, 1000, 300, 5000, EST,
	    "one RPCIT on LPAR: instruction entry + IOTLB purge + completion wait; no public "
	    "number, placed at the bare-metal invalidation (sources.md S13)",
	    "sources.md S13"),

	/* z/VM: CP shadows like QEMU but its internals are not public; every value is a guess. */
	ROW(ZVM_TRAP_NS, "zvm.trap_ns", NS, 2000, 500, 10000, EST,
	    "RPCIT intercepted by CP and back; z/VM internals are not public: CP needs no "
	    "userspace VMM, so between KVM's 0.5 and 5 us",
	    "EST"),
	ROW(ZVM_SEGMENT_NS, "zvm.segment_ns", NS, 100, 20, 2000, FITTED,
	    "per segment-table entry (or invalid region entry) of the range CP reads and checks "
	    "against its shadow, valid or not; not public",
	    "assumption Z2 (platforms.md)"),
	ROW(ZVM_SHADOW_PAGE_NS, "zvm.shadow_page_ns", NS, 100, 20, 1000, EST,
	    "per 4 KiB page of an existing page table in the range that CP examines in its "
	    "shadow; not public, assumed like QEMU's walk + lookup (190 ns)",
	    "assumption Z2 (platforms.md)"),
	ROW(ZVM_MAP_PAGE_NS, "zvm.map_page_ns", NS, 1000, 200, 5000, EST,
	    "per newly valid page: pin the guest page and fill the shadow entry; not public, "
	    "cheaper than vfio's ioctl (no syscall)",
	    "EST"),
	ROW(ZVM_UNMAP_PAGE_NS, "zvm.unmap_page_ns", NS, 500, 100, 3000, EST,
	    "per page invalidated: clear the shadow entry and unpin, host purge included; not "
	    "public",
	    "EST"),
	ROW(ZVM_SERIALIZE_RPCIT, "zvm.serialize_rpcit", BOOL, 1, 0, 1, EST,
	    "1 = one RPCIT server for all virtual CPUs, as the 2022 mails describe the "
	    "hypervisor's flushes (expensive and serialized); 0 = concurrent",
	    "sources.md S3; assumption Z4 (platforms.md)"),
	ROW(ZVM_DMA_ENTRY_LIMIT, "zvm.dma_entry_limit", COUNT, 0, 0, 4294967295ull, 0,
	    "pages CP keeps shadowed per guest, answering cc 1 / status 16 beyond; 0 = no limit "
	    "(z/VM has no vfio; a limit is an assumption)",
	    "assumption, z/VM internals are not public"),

	/*
	 * KVM: SIE intercept to the kernel, and on to QEMU for RPCIT (no in-kernel handler). The
	 * round trip, unlocked + locked part, is 2-100 us (sources.md S1); where a real machine
	 * sits in that range and how it splits around QEMU's big lock are unknown, so each part
	 * is its own estimate. The locked part is the one calibration fits (calibration.md).
	 */
	ROW(KVM_TRAP_UNLOCKED_NS, "kvm.trap_unlocked_ns", NS, 1500, 300, 20000, EST,
	    "the part of an RPCIT exit on the vCPU alone: SIE exit, KVM intercept, return from "
	    "and re-entry into KVM_RUN; in-kernel exits cost 0.4-1.5 us",
	    "sources.md S1"),
	ROW(KVM_TRAP_LOCKED_NS, "kvm.trap_locked_ns", NS, 3500, 1000, 98500, FITTED,
	    "the part of an RPCIT exit under QEMU's big lock: take it, sync the vCPU, decode, "
	    "release; with the unlocked part a 2-100 us round trip",
	    "sources.md S1, S2"),

	/* QEMU s390 RPCIT emulation. */
	ROW(QEMU_SERIALIZE_RPCIT, "qemu.serialize_rpcit", BOOL, 1, 0, 1, 0,
	    "1 = RPCIT emulation under the BQL: one shared server for all vCPUs", "sources.md S2"),
	ROW(QEMU_WALK_NS, "qemu.walk_ns", NS, 150, 60, 300, EST,
	    "one 3-level guest-table walk (3 address_space_ldq), repeated for every 4 KiB page "
	    "(no upper-level caching)",
	    "sources.md S10, S14"),
	ROW(QEMU_HASH_NS, "qemu.hash_ns", NS, 40, 20, 100, EST,
	    "one GHashTable lookup of the shadow IOTLB (hit or miss), paid for every page walked",
	    "sources.md S10, S14"),
	ROW(QEMU_HASH_INSERT_NS, "qemu.hash_insert_ns", NS, 80, 40, 200, EST,
	    "insert + g_new of a shadow entry: about 2x a lookup, range 2x hash's",
	    "sources.md S10, S14"),
	ROW(QEMU_HASH_REMOVE_NS, "qemu.hash_remove_ns", NS, 40, 20, 100, EST,
	    "remove + free of a shadow entry: about a lookup", "sources.md S10, S14"),
	ROW(QEMU_UNMAP_COALESCE, "qemu.unmap_coalesce", BOOL, 1, 0, 1, 0,
	    "1 = invalid-PTE runs become power-of-two UNMAP_DMA ioctls (QEMU >= 8.0); 0 = one "
	    "per shadowed page that went invalid",
	    "sources.md S4"),
	ROW(QEMU_SECOND_PASS, "qemu.second_pass", BOOL, 1, 0, 1, 0,
	    "1 = re-walk the range when the budget ran out and unmaps freed some (QEMU >= 7.2)",
	    "sources.md S4"),
	ROW(QEMU_APERTURE_SHRINK, "qemu.aperture_shrink", BOOL, 1, 0, 1, 0,
	    "1 = aperture cut to vfio.dma_entry_limit pages (QEMU >= 8.0, no relaxed "
	    "translation); 0 = guest's own window",
	    "sources.md S4"),

	/* vfio type1 in the host kernel. */
	ROW(VFIO_MAP_IOCTL_NS, "vfio.map_ioctl_ns", NS, 4000, 2000, 10000, EST,
	    "one VFIO_IOMMU_MAP_DMA of one resident page: syscall, rb-tree, kzalloc, pin "
	    "(0.1-0.3 us), accounting, host iommu_map",
	    "sources.md S12, S14"),
	ROW(VFIO_UNMAP_IOCTL_NS, "vfio.unmap_ioctl_ns", NS, 1000, 500, 2000, EST,
	    "fixed part of one VFIO_IOMMU_UNMAP_DMA (syscall, mutex, search), paid even when "
	    "nothing is mapped",
	    "sources.md S12, S14"),
	ROW(VFIO_UNMAP_ENTRY_NS, "vfio.unmap_entry_ns", NS, 1000, 500, 3000, EST,
	    "teardown of one one-page vfio_dma (iova_to_phys, unmap, unpin, free) without the "
	    "host IOTLB sync",
	    "sources.md S12, S14"),
	ROW(VFIO_DMA_ENTRY_LIMIT, "vfio.dma_entry_limit", COUNT, 65535, 1, 4294967295ull, 0,
	    "type1 dma_entry_limit: vfio_dma mappings per container (U16_MAX); 4194304 maps a "
	    "16 GiB guest page by page",
	    "sources.md S8, S12"),

	/* The host's own IOMMU. */
	ROW(HOST_IOTLB_INV_NS, "host.iotlb_inv_ns", NS, 500, 300, 2000, EST,
	    "one host IOTLB invalidation + completion wait, once per vfio_dma; ~2 k cycles "
	    "(secondary), ~360 ns implied by Grace strict",
	    "sources.md S13, S14"),
	ROW(HOST_FLUSH_ON_MAP, "host.flush_on_map", BOOL, 0, 0, 1, 0,
	    "1 = the s390 host's IOMMU driver flushes (host.iotlb_inv_ns) inside every vfio map "
	    "(host Linux < 6.2); 0 = from 6.2, maps on LPAR do not flush",
	    "sources.md S5"),

	/* Per-I/O CPU work outside the IOMMU (x86-anchored guesses; s390 unmeasured). */
	ROW(NVME_SUBMIT_NS, "nvme.submit_ns", NS, 1000, 300, 5000, EST,
	    "blk-mq + nvme_queue_rq + SQ entry + doorbell store; a core with interrupts does "
	    "~0.3-1 M IOPS: 1-3 us of CPU per I/O in all",
	    "EST"),
	ROW(NVME_COMPLETE_NS, "nvme.complete_ns", NS, 2000, 500, 10000, EST,
	    "adapter interrupt delivery + CQ processing + request completion and wakeup per I/O",
	    "EST"),
	ROW(NVME_DEVICE_LATENCY_NS, "nvme.device_latency_ns", NS, 80000, 1000, 10000000, 0,
	    "device time from doorbell to completion entry for one I/O (flash read + transfer), "
	    "the scenarios' 80 us drive",
	    "scenario: a drive good for 1 M IOPS at 80 us"),
	ROW(NVME_DEVICE_JITTER_NS, "nvme.device_jitter_ns", NS, 8000, 0, 10000000, 0,
	    "each I/O's device time is drawn uniformly from latency +- this (seeded): flash reads "
	    "vary; +-10 % of the 80 us drive",
	    "scenario assumption"),
	ROW(NVME_DEVICE_IOPS, "nvme.device_iops", IOPS, 1000000, 1000, 100000000, 0,
	    "the drive's ceiling on I/Os per second: it starts one I/O every 1/IOPS seconds at most",
	    "scenario: a drive good for 1 M IOPS at 80 us"),
	ROW(NVME_DEVICE_MBPS, "nvme.device_mbps", MBPS, 7000, 100, 100000, 0,
	    "the drive's transfer ceiling: an I/O of B bytes occupies it B / rate; a PCIe Gen4 x4 "
	    "drive (1 M 4 KiB IOPS need 4.1 GB/s) moves ~7 GB/s",
	    "scenario: a drive good for 1 M IOPS at 80 us"),
	ROW(FIO_LOOP_NS, "fio.loop_ns", NS, 1500, 300, 5000, EST,
	    "fio per I/O in userspace: io_u bookkeeping, submit/reap syscalls, latency stats",
	    "EST"),

	/* The powerpc guest kernel, on every powerpc platform. */
	ROW_CHOICE(PPC_KERNEL_PAGE, "ppc.kernel_page", 0, kernel_page_choices,
		   "the guest kernel's PAGE_SIZE: 64k as the ppc64le distributions build it, 4k "
		   "otherwise; sets the TCE alignment of maps and PowerNV's window 0 TCEs",
		   "sources.md S24"),

	/* What a pSeries partition's firmware offers (PowerVM and QEMU alike). */
	ROW(PSERIES_DEFAULT_WINDOW_MB, "pseries.default_window_mb", COUNT, 2048, 64, 4096, 0,
	    "the default 32-bit DMA window (ibm,dma-window) in MiB, 4 KiB TCEs: 2 GiB typical on "
	    "PowerVM, 1 GiB under QEMU (SPAPR_PCI_DMA32_SIZE)",
	    "sources.md S25; assumption P2 (powerpc.md)"),
	ROW(PSERIES_MULTI_TCE, "pseries.multi_tce", BOOL, 1, 0, 1, 0,
	    "1 = hcall-multi-tce offered (H_PUT_TCE_INDIRECT, H_STUFF_TCE), as PowerVM and QEMU "
	    "do; 0 = the multitce=off boot option: one H_PUT_TCE per TCE",
	    "sources.md S22"),
	ROW(PSERIES_DDW_WINDOWS, "pseries.ddw_windows", COUNT, 2, 1, 4, 0,
	    "DMA windows a PE may have at once, the default one included: QEMU allows 2 per PHB; "
	    "1 forces enable_ddw() to remove the default window first",
	    "sources.md S25"),
	ROW(PSERIES_DDW_BLOCK_LOG2, "pseries.ddw_block_log2", COUNT, 31, 12, 40, 0,
	    "log2 of the TCEs the largest new window may have (query's largest block): QEMU "
	    "answers 2^31; smaller than RAM / TCE page makes the DDW dynamic",
	    "sources.md S25"),
	ROW_CHOICE(PSERIES_DDW_PAGE_SIZES, "pseries.ddw_page_sizes", 1, ddw_page_choices,
		   "TCE page sizes the DDW query offers; enable_ddw() takes the largest: PowerVM "
		   "typically offers 4K and 64K, QEMU what backs guest RAM",
		   "sources.md S24; assumption P3 (powerpc.md)"),
	ROW(PSERIES_TCE_LIMIT, "pseries.tce_limit", COUNT, 0, 0, 4294967295ull, 0,
	    "TCEs the hypervisor lets the partition hold valid at once, answering "
	    "H_NOT_ENOUGH_RESOURCES beyond; 0 = no limit (an assumption for studies of that "
	    "answer)",
	    "assumption P1 (powerpc.md)"),

	/* PowerVM: the hypervisor is firmware; no public per-call numbers (sources.md S26). */
	ROW(POWERVM_HCALL_NS, "powervm.hcall_ns", NS, 800, 200, 5000, EST,
	    "one TCE hcall into PowerVM's hypervisor and back (dispatch, LIOBN lookup, checks), "
	    "no userspace: placed at the in-kernel exits of 0.4-1.5 us",
	    "sources.md S1, S26"),
	ROW(POWERVM_TCE_NS, "powervm.tce_ns", NS, 100, 20, 1000, EST,
	    "per TCE an hcall writes or clears: check the real address is the partition's, store "
	    "the entry",
	    "sources.md S26"),
	ROW(POWERVM_TCE_INVAL_NS, "powervm.tce_inval_ns", NS, 500, 100, 2000, EST,
	    "the PHB TCE-cache invalidation and its wait after each hcall that changed TCEs; "
	    "placed at the bare-metal invalidation",
	    "sources.md S13, S26"),
	ROW(POWERVM_RTAS_NS, "powervm.rtas_ns", NS, 100000, 10000, 10000000, EST,
	    "one RTAS DDW call (query, create, remove, reset): a firmware service under the RTAS "
	    "lock; made at device set-up only",
	    "sources.md S26"),

	/* KVM pseries: TCE hcalls in the host kernel, DDW calls in QEMU (sources.md S25, S26). */
	ROW(KVM_PPC_HCALL_EXIT_NS, "kvm_ppc.hcall_exit_ns", NS, 1500, 400, 5000, EST,
	    "a TCE hcall's exit to the host and back; from POWER9 every hcall exits to virtual "
	    "mode and the host kernel handles it: an in-kernel exit, 0.4-1.5 us",
	    "sources.md S1, S26"),
	ROW(KVM_PPC_TCE_NS, "kvm_ppc.tce_ns", NS, 150, 50, 1000, EST,
	    "per TCE in the host: guest address to host page through preregistered memory, xchg "
	    "of the host TCE, release of the old page",
	    "sources.md S25, S26"),
	ROW(KVM_PPC_TCE_KILL_NS, "kvm_ppc.tce_kill_ns", NS, 1000, 300, 3000, EST,
	    "iommu_tce_kill() at the end of each hcall that changed host TCEs: the PHB's TCE cache "
	    "killed and waited for",
	    "sources.md S13, S25"),
	ROW(KVM_PPC_IN_KERNEL_TCE, "kvm_ppc.in_kernel_tce", BOOL, 1, 0, 1, 0,
	    "1 = TCE hcalls of a vfio device handled in the host kernel; 0 = H_TOO_HARD, each goes "
	    "on to QEMU (emulated devices, no in-kernel acceleration)",
	    "sources.md S26"),
	ROW(KVM_PPC_QEMU_EXIT_NS, "kvm_ppc.qemu_exit_ns", NS, 5000, 2000, 100000, EST,
	    "an hcall or RTAS call passed on to QEMU: exit to userspace and back under the big "
	    "lock, 2-100 us as an RPCIT's",
	    "sources.md S1"),
	ROW(KVM_PPC_QEMU_TCE_NS, "kvm_ppc.qemu_tce_ns", NS, 4000, 2000, 10000, EST,
	    "per TCE QEMU handles: its table entry and the vfio notifier's map or unmap ioctl, "
	    "like one VFIO_IOMMU_MAP_DMA",
	    "sources.md S12, S14"),
	ROW(KVM_PPC_RTAS_NS, "kvm_ppc.rtas_ns", NS, 50000, 5000, 1000000, EST,
	    "QEMU's work for one RTAS DDW call beyond the exit: the window's TCE table created or "
	    "removed in the host (VFIO_IOMMU_SPAPR_TCE_CREATE/REMOVE)",
	    "sources.md S25, S26"),

	/* PowerNV: no hypervisor; the kernel writes TCEs and asks OPAL to kill the PHB's cache. */
	ROW(POWERNV_TCE_KILL_NS, "powernv.tce_kill_ns", NS, 1000, 300, 5000, EST,
	    "one OPAL_PCI_TCE_KILL: OPAL entry and exit, the PHB4 kill and its wait; placed at the "
	    "bare-metal invalidation",
	    "sources.md S13, S23"),

	/*
	 * The mlx5 Ethernet workload (docs/workloads.md): the link, and the driver's and stack's
	 * CPU work per packet and per NAPI poll outside the IOMMU, guessed from x86 figures.
	 */
	ROW(MLX5_LINK_MBPS, "mlx5.link_mbps", MBPS, 3125, 125, 50000, WL,
	    "the port's rate each way, 10^6 bytes/s: a ConnectX-4 Lx runs at 10 or 25 Gb/s "
	    "(3125), shared by its VFs; 100 Gb/s is 12500",
	    "sources.md S28"),
	ROW(MLX5_TX_XMIT_NS, "mlx5.tx_xmit_ns", NS, 800, 200, 5000, EST | WL,
	    "per TX packet: the socket send and stack down to mlx5e_xmit's WQE and doorbell; "
	    "x86 cores send ~1-2 M small packets/s each",
	    "EST"),
	ROW(MLX5_TX_COMPLETE_NS, "mlx5.tx_complete_ns", NS, 150, 50, 2000, EST | WL,
	    "per TX completion in a NAPI poll beside its unmaps: the CQE, napi_consume_skb and "
	    "the byte queue limit's accounting",
	    "EST"),
	ROW(MLX5_RX_PACKET_NS, "mlx5.rx_packet_ns", NS, 1000, 200, 5000, EST | WL,
	    "per RX packet: the CQE, skb build over the page-pool page, GRO and delivery to the "
	    "socket; x86 cores take ~1 M packets/s each",
	    "EST"),
	ROW(MLX5_NAPI_POLL_NS, "mlx5.napi_poll_ns", NS, 2000, 500, 20000, EST | WL,
	    "per NAPI poll: the adapter interrupt, softirq entry, the CQ doorbell re-arm; shared "
	    "by up to the budget's completions",
	    "EST"),
};

/* Which parameter prices each kind of work the kernel layers report. */
const enum iommusim_cost_id isim_cost_work_param[IOMMUSIM_WORK_NR] = {
	[IOMMUSIM_WORK_TREE_NODE] = IOMMUSIM_COST_GUEST_TREE_NODE_CYCLES,
	[IOMMUSIM_WORK_TREE_INSERT] = IOMMUSIM_COST_GUEST_TREE_INSERT_CYCLES,
	[IOMMUSIM_WORK_TREE_ERASE] = IOMMUSIM_COST_GUEST_TREE_ERASE_CYCLES,
	[IOMMUSIM_WORK_MAG_OP] = IOMMUSIM_COST_GUEST_MAG_OP_CYCLES,
	[IOMMUSIM_WORK_MAG_SCAN] = IOMMUSIM_COST_GUEST_MAG_SCAN_CYCLES,
	[IOMMUSIM_WORK_DEPOT_OP] = IOMMUSIM_COST_GUEST_DEPOT_OP_CYCLES,
	[IOMMUSIM_WORK_LOCK] = IOMMUSIM_COST_GUEST_LOCK_CYCLES,
	[IOMMUSIM_WORK_MEM_ALLOC] = IOMMUSIM_COST_GUEST_MEM_ALLOC_CYCLES,
	[IOMMUSIM_WORK_MEM_FREE] = IOMMUSIM_COST_GUEST_MEM_FREE_CYCLES,
	[IOMMUSIM_WORK_BITMAP_WORD] = IOMMUSIM_COST_GUEST_BITMAP_WORD_CYCLES,
	[IOMMUSIM_WORK_PTE_WRITE] = IOMMUSIM_COST_GUEST_PTE_WRITE_CYCLES,
	[IOMMUSIM_WORK_FQ_ENTRY] = IOMMUSIM_COST_GUEST_FQ_ENTRY_CYCLES,
	[IOMMUSIM_WORK_FW_BUSY_RETRY] = IOMMUSIM_COST_GUEST_FW_BUSY_RETRY_NS,
	[IOMMUSIM_WORK_DMA_MAP] = IOMMUSIM_COST_GUEST_DMA_MAP_CYCLES,
	[IOMMUSIM_WORK_DMA_UNMAP] = IOMMUSIM_COST_GUEST_DMA_UNMAP_CYCLES,
};

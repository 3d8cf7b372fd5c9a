/* SPDX-License-Identifier: MIT */
/**
 * @file sim.h  One simulation: a guest with an NVMe device, a DMA policy, a platform.
 *
 * A simulation builds the whole stack on the engine: simulated CPUs at cpu.freq_mhz, the
 * platform, one zPCI NVMe function with the policy's DMA ops, and an fio-like closed-loop
 * workload (one job per CPU, one submission/completion queue pair per CPU). Every piece of
 * guest work is charged in cycles from the cost table, every firmware call by the platform.
 * It runs a warm-up, then a measured interval, and reports what happened in the measured
 * interval only. Same configuration and seed: the same statistics, bit for bit.
 *
 * The built-in scenarios of `iommusim-bench compare` are here too, so that a harness can run
 * exactly what the CLI runs.
 */
#ifndef IOMMUSIM_SIM_H
#define IOMMUSIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <iommusim/cost.h>
#include <iommusim/export.h>
#include <iommusim/mem.h>
#include <iommusim/platform.h>
#include <iommusim/trace.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iommusim_sim;

/** enum iommusim_policy - the guest's DMA mapping and flushing policy. */
enum iommusim_policy {
	/** "strict": dma-iommu (Linux 6.7), an RPCIT on every unmap. */
	IOMMUSIM_POLICY_STRICT = 0,
	/** "fq-percpu": dma-iommu lazy with per-CPU flush queues (256 entries, 10 ms). */
	IOMMUSIM_POLICY_FQ_PERCPU,
	/** "fq-single": dma-iommu lazy with the single flush queue (32768 entries, 1000 ms). */
	IOMMUSIM_POLICY_FQ_SINGLE,
	/** "legacy": the s390 DMA ops of Linux 6.6, global flush on wrap-around. */
	IOMMUSIM_POLICY_LEGACY,
	/**
	 * "default-window" (powerpc): every map through the TCEs of the firmware's default window:
	 * pSeries with the disable_ddw boot option, PowerNV with iommu=nobypass (window 0).
	 */
	IOMMUSIM_POLICY_DEFAULT_WINDOW,
	/**
	 * "ddw" (pSeries): what the kernel's enable_ddw() decides when the driver widens its mask:
	 * a direct window over all of RAM, a dynamic one with its own TCE table, or none.
	 */
	IOMMUSIM_POLICY_DDW,
	/** "bypass" (PowerNV): the kernel as it is: the 2^59 bypass for masks that reach it. */
	IOMMUSIM_POLICY_BYPASS,
	/** "window-4g" (PowerNV): and the direct window at 4 GiB for narrower masks. */
	IOMMUSIM_POLICY_WINDOW_4G,
	/** Number of policies; not a policy. */
	IOMMUSIM_POLICY_NR
};

/** iommusim_policy_name() - "strict", "fq-percpu", "fq-single", "legacy"; "unknown" otherwise. */
IOMMUSIM_API const char *iommusim_policy_name(enum iommusim_policy policy);

/**
 * iommusim_policy_lookup() - a policy by name.
 * Return: 0 with *@out set; -ENOENT for an unknown name.
 */
IOMMUSIM_API int iommusim_policy_lookup(const char *name, enum iommusim_policy *out);

/** enum iommusim_workload_kind - what drives the device. */
enum iommusim_workload_kind {
	/** The fio-like closed loop on an NVMe function (struct iommusim_nvme_config). */
	IOMMUSIM_WORKLOAD_NVME = 0,
	/** The replay of a recorded DMA trace (iommusim_trace_load(), docs/traces.md). */
	IOMMUSIM_WORKLOAD_TRACE,
	/** An mlx5 Ethernet function's TX, RX and NAPI loop (struct iommusim_mlx5_config). */
	IOMMUSIM_WORKLOAD_MLX5,
	/** Number of workload kinds; not a kind. */
	IOMMUSIM_WORKLOAD_NR
};

/**
 * iommusim_policy_applies() - whether @policy is one of @platform's: the s390 policies on the
 * s390 kinds, default-window and ddw on pSeries (powervm, kvm-ppc), default-window, bypass and
 * window-4g on powernv.
 */
IOMMUSIM_API bool iommusim_policy_applies(enum iommusim_platform_kind platform,
					  enum iommusim_policy policy);

/**
 * struct iommusim_nvme_config - an fio job set on an NVMe device.
 * @jobs:       fio jobs; job i is pinned to CPU i and uses queue pair i (<= cpus).
 * @iodepth:    I/Os each job keeps in flight (>= 1).
 * @block_size: bytes per I/O, a multiple of 4096 (4 KiB: one page, dma_map_page; larger: one
 *              dma_map_sg of block_size / 4096 page segments, one IOVA range).
 * @sequential: sequential offsets instead of uniformly random ones.
 * @write:      writes (the device reads the buffer) instead of reads.
 * @mixed:      reads and writes mixed (fio's rw/randrw): each I/O is a read with probability
 *              @rwmixread percent, drawn from its job's seeded stream; @write is then ignored.
 * @rwmixread:  with @mixed, the percentage of reads, 0 to 100.
 * @dma_bits:   the DMA mask the driver sets, in bits (32..64; 0 = 64, NVMe's): a narrower mask
 *              models a GPU-like device (40-48 bits) that no 2^59 bypass can serve.
 * @mask32_first: the driver maps with a 32-bit mask before widening it to @dma_bits (its
 *              rings are allocated first): on pSeries the default window is then in use and
 *              enable_ddw() may not remove it (iommu_table_in_use()). Honoured on powerpc.
 *
 * The device's latency, IOPS ceiling and bandwidth, and the CPU work per I/O outside the
 * IOMMU, are cost parameters (nvme.*, fio.*).
 */
struct iommusim_nvme_config {
	unsigned int jobs;
	unsigned int iodepth;
	uint32_t block_size;
	bool sequential;
	bool write;
	bool mixed;
	unsigned int rwmixread;
	unsigned int dma_bits;
	bool mask32_first;
};

/** enum iommusim_mlx5_traffic - which way an mlx5 function's packets go. */
enum iommusim_mlx5_traffic {
	IOMMUSIM_MLX5_TX = 0,	 /**< "tx": the guest sends */
	IOMMUSIM_MLX5_RX,	 /**< "rx": the guest receives */
	IOMMUSIM_MLX5_BIDI,	 /**< "bidi": both at once, each way at the link's rate */
	IOMMUSIM_MLX5_TRAFFIC_NR /**< number of kinds; not a kind */
};

/** iommusim_mlx5_traffic_name() - "tx", "rx", "bidi"; "unknown" otherwise. */
IOMMUSIM_API const char *iommusim_mlx5_traffic_name(enum iommusim_mlx5_traffic t);

/** The classes of a packet-size mix at most (struct iommusim_mlx5_config). */
#define IOMMUSIM_MLX5_MIX_MAX 4

/**
 * struct iommusim_mlx5_class - one class of a packet-size mix.
 * @bytes: its packets' size, 64..65536, as @packet_bytes of struct iommusim_mlx5_config.
 * @pct:   percent of the packets drawn of this size, 1..100; 0 ends the mix.
 */
struct iommusim_mlx5_class {
	uint32_t bytes;
	unsigned int pct;
};

/**
 * struct iommusim_mlx5_config - an mlx5 Ethernet function driven as the mlx5e driver does it
 * (docs/workloads.md "mlx5"); a zero member takes the default named.
 * @queues:       channels (a TX and an RX queue each, channel i on CPU i); 0: one per CPU.
 * @packet_bytes: bytes of every packet (the frame without its FCS), 64..65536; 0: 1500; not
 *                read with a @mix. Up to 2 KiB a TX packet is linear (one dma_map_single);
 *                beyond, its 66 bytes of headers are linear and the payload sits in 4 KiB page
 *                fragments (one skb_frag_dma_map each), so 9000 bytes make 1 + 3 maps and a
 *                64 KiB TSO send 1 + 16. An RX packet fills ceil(packet_bytes / 4096)
 *                page-pool pages.
 * @traffic:      which way the packets go (0: tx).
 * @tx_ring:      TX descriptors per queue, all kept in flight (a closed loop; with a rate,
 *                those its packets need); 0: 1024.
 * @rx_ring:      RX descriptors per queue, all kept posted; 0: 1024.
 * @napi_budget:  completions one NAPI poll handles before it polls again; 0: 64.
 * @rx_miss_pct:  percent of RX pages the page pool does not get back (0: every page is
 *                recycled, mapped once): each such page is unmapped and a new one mapped.
 * @cmd_init_before_mask: mlx5_cmd_init() allocates the command queue before the driver sets
 *                its 64-bit DMA mask (Linux 6.5 before its fix): under the default 32-bit
 *                coherent mask, on s390 with no IOVA below 4 GiB, the probe fails. s390 only.
 * @mix:          a packet-size mix instead of @packet_bytes: each packet's size is drawn per
 *                channel, class i with probability mix[i].pct percent. The classes in use come
 *                first; the first with pct 0 ends them, and their pct sum to 100. All zero: no
 *                mix. Each RX descriptor holds the pages of the largest class.
 * @rate_pps:     the offered load: packets per second each way the traffic goes, spread evenly
 *                over the channels, each of which starts one packet per period in a free
 *                descriptor (waiting for one when none is). A packet that starts only when the
 *                next is due is late, and the periods count from it. 0: a closed loop, every
 *                descriptor kept busy.
 *
 * The link's rate and the CPU work per packet and per poll are cost parameters (mlx5.*).
 */
struct iommusim_mlx5_config {
	unsigned int queues;
	uint32_t packet_bytes;
	enum iommusim_mlx5_traffic traffic;
	unsigned int tx_ring;
	unsigned int rx_ring;
	unsigned int napi_budget;
	unsigned int rx_miss_pct;
	bool cmd_init_before_mask;
	struct iommusim_mlx5_class mix[IOMMUSIM_MLX5_MIX_MAX];
	uint64_t rate_pps;
};

/**
 * iommusim_mlx5_config_set() - set one member of @cfg from text.
 * @key:   "queues" (0..4096), "pkt" (bytes 64..65536, k suffix 1024-based), "traffic" (tx, rx,
 *         bidi), "tx_ring", "rx_ring" (1..8192), "budget" (1..1024), "rx_miss" (0..100),
 *         "cmd_init_before_mask" (0 or 1), "mix" (SIZE:PCT,... up to 4 classes, sizes as "pkt",
 *         percents summing to 100; "pkt" and "mix" each clear the other), "rate" (packets per
 *         second, 0..10^9; 0: the closed loop).
 * @errbuf: receives "mlx5.pkt: 10 is not in 64..65536" and the like; may be NULL.
 * Return: 0; -ENOENT for an unknown @key; -EINVAL for a bad @value, @cfg unchanged.
 */
IOMMUSIM_API int iommusim_mlx5_config_set(struct iommusim_mlx5_config *cfg, const char *key,
					  const char *value, char *errbuf, size_t errlen);

/**
 * iommusim_mlx5_tx_maps() - the DMA maps (and unmaps) one TX packet of @packet_bytes takes:
 * 1 + its page fragments (struct iommusim_mlx5_config).
 */
IOMMUSIM_API unsigned int iommusim_mlx5_tx_maps(uint32_t packet_bytes);

/**
 * struct iommusim_sim_config - one simulation.
 * @platform:     the machine.
 * @policy:       the guest's DMA policy.
 * @cpus:         simulated CPUs (>= nvme.jobs).
 * @guest_memory: bytes of guest memory.
 * @nvme:         the workload.
 * @cost:         the resolved parameters (profile and overrides applied by the caller; the
 *                simulation copies nothing and reads it throughout: keep it unchanged).
 * @seed:         seeds every random stream.
 * @warmup_ns:    simulated time before measuring.
 * @measure_ns:   simulated time measured (> 0).
 * @progress:     NULL, or called with @progress_arg as simulated time passes: about every
 *                1 % of warm-up + measured time, with the simulated time done and the total,
 *                both in ns. It must not touch the simulation; it changes no result.
 * @progress_arg: passed to @progress.
 * @interval_ns:  0, or the width of a time series' intervals (iommusim_sim_get_intervals()):
 *                from 1000 (1 µs) on, at most IOMMUSIM_SIM_MAX_INTERVALS intervals in all
 *                (iommusim_sim_interval_count()). Sampling changes no other result.
 * @workload:     what drives the device: the NVMe loop of @nvme (0, the default) or the
 *                replay of @trace.
 * @trace:        with IOMMUSIM_WORKLOAD_TRACE, the loaded trace (iommusim_trace_load()); it
 *                must outlive the simulation, which only reads it. Its CPUs must be fewer
 *                than @cpus. The run ends when the replay is done, or at warm-up + measured
 *                time if that comes first; the measured interval ends with it.
 * @trace_timing: with a trace, when each CPU issues its next call: at its recorded time
 *                (IOMMUSIM_TRACE_RECORDED, open loop) or as soon as it may
 *                (IOMMUSIM_TRACE_CLOSED).
 * @record:       NULL, or a trace (iommusim_trace_create()) to which a successful
 *                iommusim_sim_run() appends, in time order, every data map and unmap the
 *                workload made over the whole run (warm-up and drain included; not the
 *                driver's coherent rings, nor maps that failed), each at the time its CPU
 *                began it: what the simulation ran, to be written (iommusim_trace_write())
 *                and replayed. Only the run writes to it. The mlx5 workload records nothing.
 * @mlx5:         with IOMMUSIM_WORKLOAD_MLX5, the network function and its driver.
 */
struct iommusim_sim_config {
	enum iommusim_platform_kind platform;
	enum iommusim_policy policy;
	unsigned int cpus;
	uint64_t guest_memory;
	struct iommusim_nvme_config nvme;
	const struct iommusim_cost *cost;
	uint64_t seed;
	uint64_t warmup_ns;
	uint64_t measure_ns;
	void (*progress)(void *arg, uint64_t done_ns, uint64_t total_ns);
	void *progress_arg;
	uint64_t interval_ns;
	enum iommusim_workload_kind workload;
	const struct iommusim_trace *trace;
	enum iommusim_trace_timing trace_timing;
	struct iommusim_trace *record;
	struct iommusim_mlx5_config mlx5;
};

/** Most intervals one simulation's time series may have. */
#define IOMMUSIM_SIM_MAX_INTERVALS 1000000u

/**
 * struct iommusim_sim_interval - one interval of a time series (iommusim_sim_get_intervals()).
 * @start_ns, @end_ns: the interval, [start_ns, end_ns) in simulated ns from the run's start.
 * @measured:        it lies in the measured interval (not the warm-up).
 * @ios_completed:   I/Os completed in it (counted as iommusim_sim_stats counts them, so the
 *                   measured intervals' add up to its ios_completed).
 * @io_errors:       I/Os failed in it.
 * @iops, @mbps:     completions and their bytes (10^6) per simulated second of the interval.
 * @lat_mean_us:     mean latency of its completions, µs; NaN without completions.
 * @lat_p99_us:      their 99th percentile (as iommusim_sim_stats), µs; NaN without any.
 * @rpcit_map, @rpcit_unmap, @rpcit_global: RPCITs issued in it, counted as the statistics
 *                   count them.
 * @fq_flushes, @legacy_wraps: flush-queue flushes and legacy wrap-arounds in it.
 * @server_util, @device_util, @cpu_util: busy shares of the interval, as the statistics
 *                   compute them for the measured one.
 * @live_mappings:   level at its end: data mappings live (the driver's coherent ones left out).
 * @dma_avail:       level at its end: the container's budget left (UINT64_MAX: no limit).
 *
 * The intervals are @interval_ns wide from 0 and again from the end of the warm-up, so that no
 * interval straddles it: the last one of the warm-up, and the last one of the run, may be
 * shorter.
 */
struct iommusim_sim_interval {
	uint64_t start_ns;
	uint64_t end_ns;
	bool measured;
	uint64_t ios_completed;
	uint64_t io_errors;
	double iops;
	double mbps;
	double lat_mean_us;
	double lat_p99_us;
	uint64_t rpcit_map;
	uint64_t rpcit_unmap;
	uint64_t rpcit_global;
	uint64_t fq_flushes;
	uint64_t legacy_wraps;
	double server_util;
	double device_util;
	double cpu_util;
	uint64_t live_mappings;
	uint64_t dma_avail;
};

/** enum iommusim_ppc_window - the powerpc DMA window a device's maps go through. */
enum iommusim_ppc_window {
	IOMMUSIM_PPC_WINDOW_NONE = 0,	 /**< "" : not powerpc */
	IOMMUSIM_PPC_WINDOW_DEFAULT,	 /**< "default": TCEs of the firmware's default window */
	IOMMUSIM_PPC_WINDOW_DDW_DIRECT,	 /**< "ddw-direct": all of RAM mapped once */
	IOMMUSIM_PPC_WINDOW_DDW_DYNAMIC, /**< "ddw-dynamic": TCEs of a 64-bit DDW, per map */
	IOMMUSIM_PPC_WINDOW_DDW_HYBRID,	 /**< "ddw-hybrid": RAM direct, the rest dynamic */
	IOMMUSIM_PPC_WINDOW_TCE,	 /**< "tce": PowerNV window 0's TCEs, per map */
	IOMMUSIM_PPC_WINDOW_BYPASS,	 /**< "bypass": PowerNV's direct window at 2^59 */
	IOMMUSIM_PPC_WINDOW_4G,		 /**< "window-4g": the direct window at 4 GiB */
	IOMMUSIM_PPC_WINDOW_NR		 /**< number of kinds; not a kind */
};

/** iommusim_ppc_window_name() - the name above ("" for NONE, "unknown" out of range). */
IOMMUSIM_API const char *iommusim_ppc_window_name(enum iommusim_ppc_window w);

/**
 * enum iommusim_ppc_ddw - what the kernel's enable_ddw() answered a driver's streaming mask
 * (pSeries), by name: why a device has the window it has.
 */
enum iommusim_ppc_ddw {
	IOMMUSIM_PPC_DDW_NOT_ASKED = 0,	  /**< "": s390, PowerNV, or never asked */
	IOMMUSIM_PPC_DDW_CREATED,	  /**< "created": a DDW was made */
	IOMMUSIM_PPC_DDW_EXISTING,	  /**< "existing": the PE had one */
	IOMMUSIM_PPC_DDW_MASK32,	  /**< "mask32": masks of 32 bits never ask */
	IOMMUSIM_PPC_DDW_DISABLED,	  /**< "disabled": the disable_ddw boot option */
	IOMMUSIM_PPC_DDW_FAILED_BEFORE,	  /**< "failed-before": the PE failed once already */
	IOMMUSIM_PPC_DDW_NOT_APPLICABLE,  /**< "not-applicable": no ibm,ddw-applicable */
	IOMMUSIM_PPC_DDW_QUERY_FAILED,	  /**< "query-failed" */
	IOMMUSIM_PPC_DDW_LIMITED_FAILED,  /**< "limited-failed": no limited addressing */
	IOMMUSIM_PPC_DDW_DEFAULT_IN_USE,  /**< "default-in-use": iommu_table_in_use() */
	IOMMUSIM_PPC_DDW_NO_DEFAULT,	  /**< "no-default": none free, none to remove */
	IOMMUSIM_PPC_DDW_NO_RESET_EXT,	  /**< "no-reset-ext": could not undo a removal */
	IOMMUSIM_PPC_DDW_NO_WINDOW,	  /**< "no-window": none free after the removal */
	IOMMUSIM_PPC_DDW_NO_PAGE_SIZE,	  /**< "no-page-size": no TCE page size offered */
	IOMMUSIM_PPC_DDW_CREATE_FAILED,	  /**< "create-failed" */
	IOMMUSIM_PPC_DDW_POPULATE_FAILED, /**< "populate-failed" */
	IOMMUSIM_PPC_DDW_TABLE_FAILED,	  /**< "table-failed": no dynamic table */
	IOMMUSIM_PPC_DDW_NR		  /**< number of answers; not an answer */
};

/** iommusim_ppc_ddw_name() - the name above ("" for NOT_ASKED, "unknown" out of range). */
IOMMUSIM_API const char *iommusim_ppc_ddw_name(enum iommusim_ppc_ddw d);

/**
 * struct iommusim_sim_stats - the measured interval (warm-up excluded) of a finished run.
 * @sim_seconds:       measured simulated time.
 * @fq_size:           flush-queue entries of the policy that ran (0 for strict and legacy).
 * @fq_timeout_ms:     its timeout (0 for strict and legacy).
 * @ios_submitted:     I/Os submitted in the interval.
 * @ios_completed:     I/Os completed successfully in the interval.
 * @io_errors:         I/Os that failed (their mapping failed) in the interval.
 * @map_failures:      DMA map calls that failed in the interval.
 * @iops:              ios_completed / sim_seconds.
 * @mbps:              completed bytes / sim_seconds, in 10^6 bytes per second.
 * @lat_mean_us:       mean submission-to-completion latency of completed I/Os, in µs.
 * @lat_p99_us:        99th percentile of that latency, in µs (histogram bucket upper bound,
 *                     at most 1/64 relative error).
 * @rpcit_map:         RPCITs issued for new mappings (sync_map; legacy map RPCITs).
 * @rpcit_unmap:       ranged RPCITs issued for unmaps (strict; in every mode also the
 *                     synchronous undo of a map whose RPCIT failed).
 * @rpcit_global:      whole-aperture RPCITs (flush-queue flushes, wrap-arounds, out of
 *                     resources).
 * @budget_exhausted:  RPCITs answered "insufficient resources" (cc 1 / status 16).
 * @server_util:       fraction of the interval the platform's RPCIT server was busy (0
 *                     without one).
 * @server_wait_us:    mean wait for that server per RPCIT, in µs.
 * @cpu_util:          mean fraction of the interval the CPUs were busy.
 * @platform:          the platform's counters over the interval (levels at its end).
 * @in_flight_end:     I/Os still in flight when the run stopped (completed or failed
 *                     afterwards by iommusim_sim_run() draining them, so every submitted I/O
 *                     is accounted for; not counted in the interval's figures).
 * @mapped_end:        data mappings (not the driver's coherent rings) still live after the
 *                     drain and the final flush-queue flush (0 when nothing leaked; mlx5:
 *                     the page pool's pages, which stay mapped until the device goes).
 * @in_flight_start:   I/Os in flight when the interval began (submitted during the warm-up),
 *                     so ios_submitted = ios_completed + io_errors + in_flight_end -
 *                     in_flight_start.
 * @ios_submitted_total: I/Os submitted over the whole run (warm-up, interval).
 * @ios_completed_total: I/Os completed over the whole run, drain included.
 * @io_errors_total:   I/Os failed over the whole run; ios_submitted_total = ios_completed_total
 *                     + io_errors_total once the run is over.
 * @lat_p50_us:        median latency, in µs (bucket upper bound, as lat_p99_us).
 * @lat_max_us:        largest latency in the interval, in µs (exact).
 * @fq_flushes:        flush-queue IOTLB flushes in the interval, all causes (0 for strict and
 *                     legacy).
 * @legacy_wraps:      legacy policy: times the IOVA allocator wrapped around in the interval,
 *                     each with its global RPCIT (0 for the other policies).
 * @device_util:       fraction of the interval the NVMe device was busy (its IOPS and
 *                     bandwidth ceilings; 1 when the device is the bottleneck).
 * @lat_min_us:        smallest latency in the interval, in µs (exact). Always
 *                     lat_min_us <= lat_p50_us <= lat_p99_us <= lat_max_us, the mean within
 *                     [min, max], and every utilisation within [0, 1].
 * @exposures:         unmapped IOVA ranges whose invalidation came in the interval
 *                     (docs/exposure.md): each one's exposure is the time from the return of
 *                     its unmap call to the return of the first RPCIT covering it, 0 when
 *                     that RPCIT came inside the unmap call (strict).
 * @exposure_mean_us:  their mean exposure, µs; NaN when there were none.
 * @exposure_p99_us:   its 99th percentile (histogram bucket upper bound, as lat_p99_us), µs.
 * @exposure_max_us:   the longest, µs (exact).
 * @exposed_byte_s_per_s: bytes of unmapped pages not yet invalidated, integrated over the
 *                     interval and divided by its length: the mean number of such bytes.
 * @ppc_window:        powerpc: the window the device's data maps use once it is set up
 *                     (IOMMUSIM_PPC_WINDOW_NONE on s390).
 * @ppc_ddw:           pSeries: what enable_ddw() answered the driver's streaming mask
 *                     (iommusim_ppc_ddw_name(): "created", "default-in-use", "disabled", ...).
 * @h_put_tce, @h_put_tce_indirect, @h_stuff_tce, @h_get_tce: powerpc: those hypervisor calls
 *                     made in the interval (0 on PowerNV and s390).
 * @opal_tce_kills:    PowerNV: OPAL TCE-cache kills in the interval.
 * @tces_written:      powerpc: TCEs set or cleared in the interval: those the hypervisor
 *                     calls named, or those the kernel wrote itself on PowerNV.
 * @hcall_failures:    powerpc: TCE calls in the interval answered with an error
 *                     (H_NOT_ENOUGH_RESOURCES: pseries.tce_limit).
 * @setup_ms:          simulated time the guest's DMA set-up took before the run (clearing
 *                     windows, creating and populating a DDW), ms; not in the interval.
 * @calls:             DMA API calls made in the interval (maps, failed ones included, unmaps,
 *                     coherent allocations and frees).
 * @backlog_mean_us:   a trace replayed at its recorded times: the mean delay of the calls
 *                     begun in the interval behind their recorded time, µs (a CPU still busy
 *                     with earlier calls, an unmap waiting for its map); NaN otherwise.
 * @backlog_max_us:    the largest such delay, µs; NaN otherwise.
 * @left_mapped:       a trace: buffers it maps and never unmaps (or whose unmap the run did not
 *                     reach), still mapped when the replay ended; the simulation unmaps them
 *                     when destroyed. Every map of the trace is unmapped, failed, or counted
 *                     here. 0 for NVMe.
 * @packets:           mlx5: packets sent or received in the interval (its I/Os: a TX packet
 *                     from its xmit to its completion's unmap, an RX one from the posting of
 *                     its buffer to its processing in a NAPI poll); 0 for the others.
 * @pps:               mlx5: packets per simulated second (as @iops).
 * @gbps:              mlx5: their bytes in 10^9 bits per second.
 * @maps_per_packet:   mlx5: data maps (TX head and fragments, RX pages the pool had to map) per
 *                     packet in the interval; NaN without packets (0 for the others).
 * @unmaps_per_packet: mlx5: data unmaps per packet, as @maps_per_packet.
 * @offered_pps:       mlx5 with a rate: the packets per second offered, both ways (the rate
 *                     times the directions the traffic goes), beside @pps; 0 otherwise.
 * @late_starts:       mlx5 with a rate: packets started in the interval only when their
 *                     channel's next packet was already due (for want of a free descriptor,
 *                     or a CPU busy that long): 0 when the function kept up; 0 otherwise.
 *
 * With a trace, an "I/O" is one buffer's life, from its map (or coherent allocation) to its
 * unmap (or free): @ios_submitted counts maps begun, @ios_completed unmaps, @io_errors and
 * @map_failures failed maps, @iops and @mbps unmaps and their bytes per second, and the
 * latency figures are each call's own time, from the moment its CPU begins it to its return.
 *
 * Counts belong to the interval [warm-up end, warm-up end + measure): an I/O is submitted at
 * the start of its submission work's event, completes or fails when its completion (or failed
 * mapping) runs; the latency histogram holds the I/Os completed in the interval.
 */
struct iommusim_sim_stats {
	double sim_seconds;
	uint32_t fq_size;
	uint32_t fq_timeout_ms;
	uint64_t ios_submitted;
	uint64_t ios_completed;
	uint64_t io_errors;
	uint64_t map_failures;
	double iops;
	double mbps;
	double lat_mean_us;
	double lat_p99_us;
	uint64_t rpcit_map;
	uint64_t rpcit_unmap;
	uint64_t rpcit_global;
	uint64_t budget_exhausted;
	double server_util;
	double server_wait_us;
	double cpu_util;
	struct iommusim_platform_stats platform;
	uint64_t in_flight_end;
	uint64_t mapped_end;
	uint64_t in_flight_start;
	uint64_t ios_submitted_total;
	uint64_t ios_completed_total;
	uint64_t io_errors_total;
	double lat_p50_us;
	double lat_max_us;
	uint64_t fq_flushes;
	uint64_t legacy_wraps;
	double device_util;
	double lat_min_us;
	uint64_t exposures;
	double exposure_mean_us;
	double exposure_p99_us;
	double exposure_max_us;
	double exposed_byte_s_per_s;
	enum iommusim_ppc_window ppc_window;
	enum iommusim_ppc_ddw ppc_ddw;
	uint64_t h_put_tce;
	uint64_t h_put_tce_indirect;
	uint64_t h_stuff_tce;
	uint64_t h_get_tce;
	uint64_t opal_tce_kills;
	uint64_t tces_written;
	uint64_t hcall_failures;
	double setup_ms;
	uint64_t calls;
	double backlog_mean_us;
	double backlog_max_us;
	uint64_t left_mapped;
	uint64_t packets;
	double pps;
	double gbps;
	double maps_per_packet;
	double unmaps_per_packet;
	double offered_pps;
	uint64_t late_starts;
};

/**
 * iommusim_sim_create() - build a simulation.
 * @mem: memory context for everything the simulation allocates.
 * @cfg: the configuration.
 * @out: receives the simulation.
 *
 * Return: 0; -EINVAL for a bad configuration (no cost set, no or too many CPUs, zero jobs,
 * jobs > cpus, zero iodepth, block size zero or not a multiple of 4096, zero measure time, an
 * unknown platform or policy, rings and buffers that do not fit in guest memory, a device
 * setup or coherent allocation refused by the guest stack); -ENOMEM when @mem refused an
 * allocation, wherever it happened (also where the guest's kernel would carry on without it,
 * e.g. a flush queue it would go without: the simulation would not be the one configured),
 * and when a refusal by the guest stack was caused by one. Nothing is left allocated.
 */
IOMMUSIM_API int iommusim_sim_create(struct iommusim_mem *mem,
				     const struct iommusim_sim_config *cfg,
				     struct iommusim_sim **out);

/**
 * iommusim_sim_create_msg() - iommusim_sim_create(), saying why it failed.
 * @errbuf: receives a one-line message on failure, naming the configuration member or the
 *          part of the stack that refused and why ("nvme.jobs: 5 is not in 1..4 (one job per
 *          CPU)", "nvme: rings and buffers need ... bytes of guest memory ...", "policy
 *          fq-percpu: out of memory for the flush queue"); "" on success. May be NULL.
 * @errlen: size of @errbuf.
 *
 * Return: as iommusim_sim_create().
 */
IOMMUSIM_API int iommusim_sim_create_msg(struct iommusim_mem *mem,
					 const struct iommusim_sim_config *cfg,
					 struct iommusim_sim **out, char *errbuf, size_t errlen);

/**
 * iommusim_sim_config_check() - check @cfg as iommusim_sim_create() would before building
 * anything (members and their relations: jobs within cpus, rwmixread within 0..100, ...).
 * @errbuf: receives a one-line message naming the member on failure, "" on success; may be
 *          NULL.
 * Return: 0 or -EINVAL. What only building can tell (rings that do not fit in guest memory, a
 * platform that refuses the device) is left to iommusim_sim_create_msg().
 */
IOMMUSIM_API int iommusim_sim_config_check(const struct iommusim_sim_config *cfg, char *errbuf,
					   size_t errlen);

/**
 * iommusim_sim_option_count() - number of workload options iommusim_sim_config_set() takes.
 *
 * They are fio's names: "bs", "iodepth", "numjobs", "rw", "rwmixread", plus the guest's "cpus"
 * and "mem"; iommusim_sim_option_name() lists them in that order.
 */
IOMMUSIM_API size_t iommusim_sim_option_count(void);

/** iommusim_sim_option_name() - workload option @index (< count), or NULL. */
IOMMUSIM_API const char *iommusim_sim_option_name(size_t index);

/**
 * iommusim_sim_option_lookup() - the index of the workload option @key.
 * Return: 0 with *@index set; -ENOENT when @key is not one.
 */
IOMMUSIM_API int iommusim_sim_option_lookup(const char *key, size_t *index);

/**
 * iommusim_sim_config_set() - set one workload option of @cfg from text, as fio reads it.
 * @key:   "bs" (bytes per I/O: a number with an optional k or m suffix, 1024-based, a multiple
 *         of 4 KiB from 4k to 2m), "iodepth" (1 to 4096), "numjobs" (fio jobs, one per vCPU, 1
 *         to 4096: at most cpus, which iommusim_sim_config_check() checks), "rw" (read, write,
 *         randread, randwrite, rw or readwrite, randrw), "rwmixread" (0 to 100, the reads'
 *         share of rw and randrw), "cpus" (vCPUs, 1 to 4096), "mem" (guest memory, hence the
 *         DMA aperture: a number with an optional k, m, g or t suffix, a multiple of 1 MiB from
 *         64m to 1t).
 * @value: the text; decimal digits, with the suffix where one is allowed.
 * @errbuf: receives "iodepth: 0 is not in 1..4096" and the like on failure; may be NULL.
 *
 * Return: 0 with the member set; -ENOENT for an unknown @key; -EINVAL for a bad @value, @cfg
 * unchanged.
 */
IOMMUSIM_API int iommusim_sim_config_set(struct iommusim_sim_config *cfg, const char *key,
					 const char *value, char *errbuf, size_t errlen);

/**
 * iommusim_sim_option_get() - workload option @index of @cfg as a number: bytes for "bs" and
 * "mem", the count for the others; for "rw" the index of its name in the order
 * iommusim_sim_config_set() lists them (read 0, write 1, randread 2, randwrite 3, rw 4,
 * randrw 5).
 */
IOMMUSIM_API uint64_t iommusim_sim_option_get(const struct iommusim_sim_config *cfg, size_t index);

/** iommusim_sim_rw_name() - fio's name of @nvme's pattern: "randread", "write", "randrw", ... */
IOMMUSIM_API const char *iommusim_sim_rw_name(const struct iommusim_nvme_config *nvme);

/**
 * iommusim_sim_run() - run warm-up and measured interval, then stop submitting and drain:
 * every I/O in flight completes or fails, every flush queue is flushed.
 * @sim: the simulation; runs once (a second call returns -EALREADY).
 *
 * Return: 0; -EALREADY; -ENOMEM if the host ran out of memory: the engine could not queue an
 * event, the platform could not grow its shadow (iommusim_platform_error()), or the memory
 * context refused any other allocation during the run (even one the guest's kernel would
 * work around: the results would not be those of the configuration). The run stops at the
 * failure or at the end of the step it happened in, its statistics stay zero, and
 * iommusim_sim_destroy() still frees everything. Refusals are counted on the memory context
 * (iommusim_mem_failed_allocs()), so give each simulation that runs at the same time a
 * context of its own, as the simulation runs of `compare` do.
 */
IOMMUSIM_API int iommusim_sim_run(struct iommusim_sim *sim);

/** iommusim_sim_get_stats() - the statistics of a finished run (zeros before the run). */
IOMMUSIM_API void iommusim_sim_get_stats(const struct iommusim_sim *sim,
					 struct iommusim_sim_stats *out);

/**
 * iommusim_sim_interval_count() - the intervals a simulation of @cfg records: 0 without
 * @cfg->interval_ns, else ceil(warmup_ns / interval_ns) + ceil(measure_ns / interval_ns).
 */
IOMMUSIM_API uint64_t iommusim_sim_interval_count(const struct iommusim_sim_config *cfg);

/**
 * iommusim_sim_get_intervals() - the time series of a finished run (@interval_ns set): one
 * record per interval, in time order, warm-up included, owned by the simulation.
 * @count: receives how many (0 before the run, after a failed one, or without @interval_ns).
 * Return: the first record, or NULL when there is none.
 */
IOMMUSIM_API const struct iommusim_sim_interval *
iommusim_sim_get_intervals(const struct iommusim_sim *sim, size_t *count);

/** iommusim_sim_destroy() - free the simulation (NULL is ignored). */
IOMMUSIM_API void iommusim_sim_destroy(struct iommusim_sim *sim);

/**
 * struct iommusim_scenario - a named, documented simulation set-up (static data).
 * @name:         "s390-nvme-2022", ...
 * @summary:      one line: what it stands for.
 * @platforms:    comma-separated default platforms, each a kind or a generation of one
 *                ("lpar,zvm,kvm-qemu7.1"); a kind's plain name given by the user stands for
 *                the generation listed here (iommusim_scenario_platform()).
 * @cpus:         simulated CPUs.
 * @guest_memory: bytes of guest memory.
 * @nvme:         the NVMe loop (also in a scenario of another workload, which runs it when
 *                the caller sets workload to IOMMUSIM_WORKLOAD_NVME).
 * @settings:     cost parameters the scenario fixes, as "NAME=VALUE", applied after the
 *                platform's profile and before the user's overrides (NULL when none).
 * @nsettings:    how many.
 * @warmup_ns:    default warm-up.
 * @measure_ns:   default measured time.
 * @workload:     what drives the device: the NVMe loop of @nvme (0) or the mlx5 function of
 *                @mlx5.
 * @mlx5:         with IOMMUSIM_WORKLOAD_MLX5, the network function.
 */
struct iommusim_scenario {
	const char *name;
	const char *summary;
	const char *platforms;
	unsigned int cpus;
	uint64_t guest_memory;
	struct iommusim_nvme_config nvme;
	const char *const *settings;
	size_t nsettings;
	uint64_t warmup_ns;
	uint64_t measure_ns;
	enum iommusim_workload_kind workload;
	struct iommusim_mlx5_config mlx5;
};

/** iommusim_scenario_count() - number of built-in scenarios. */
IOMMUSIM_API size_t iommusim_scenario_count(void);

/** iommusim_scenario_get() - built-in scenario @index (< count), or NULL. */
IOMMUSIM_API const struct iommusim_scenario *iommusim_scenario_get(size_t index);

/** iommusim_scenario_lookup() - a built-in scenario by name, or NULL. */
IOMMUSIM_API const struct iommusim_scenario *iommusim_scenario_lookup(const char *name);

/**
 * iommusim_scenario_platform() - the cost profile @sc runs a platform named @name with.
 * @name: a kind ("kvm") or a profile ("kvm-qemu7.2"). A kind's plain name stands for the
 *        generation of that kind the scenario lists (on s390-nvme-2022, "kvm" is
 *        "kvm-qemu7.1"), or the kind's own profile; a profile's name stands for itself.
 * Return: the profile's name (static), or NULL for an unknown name.
 */
IOMMUSIM_API const char *iommusim_scenario_platform(const struct iommusim_scenario *sc,
						    const char *name);

/**
 * iommusim_scenario_configure() - resolve the parameters a scenario runs with on a platform:
 * reset @cost, apply the profile iommusim_scenario_platform() names for @platform, the
 * scenario's settings, then @sets in order; all or nothing, with the errors of
 * iommusim_cost_configure() (-ENOENT and "unknown platform 'x'" for an unknown @platform).
 * A setting in @sets for a parameter the platform does not read (iommusim_platform_reads())
 * would change nothing: it is refused with -EINVAL, *@bad its index and the message
 * "qemu.walk_ns: not read on lpar (a parameter of kvm)".
 */
IOMMUSIM_API int iommusim_scenario_configure(const struct iommusim_scenario *sc,
					     const char *platform, struct iommusim_cost *cost,
					     const char *const *sets, size_t nsets, char *errbuf,
					     size_t errlen, long *bad);

/**
 * iommusim_scenario_sim_config() - the simulation configuration of @sc on @platform with
 * @policy, reading @cost; seed 1 and the scenario's times (change them afterwards).
 */
IOMMUSIM_API void iommusim_scenario_sim_config(const struct iommusim_scenario *sc,
					       enum iommusim_platform_kind platform,
					       enum iommusim_policy policy,
					       const struct iommusim_cost *cost,
					       struct iommusim_sim_config *out);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUSIM_SIM_H */

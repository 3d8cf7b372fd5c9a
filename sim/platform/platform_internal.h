/* SPDX-License-Identifier: MIT */
/*
 * A platform's state and the table each kind of platform fills in.
 *
 * platform.c is the generic part (the firmware handle, the functions and their registrations,
 * the checks a hypervisor makes before it emulates an RPCIT) and reaches a kind only through
 * its struct isim_platform_ops. Each kind (lpar.c, zvm.c, kvm.c) defines one such table and
 * uses the helpers of charge.c and shadow.c, never platform.c: generic -> kinds -> helpers.
 * A new kind is one file with its table, plus its line in platform.c's list of kinds.
 *
 * The powerpc kinds (powervm.c, kvm_ppc.c, powernv.c) fill in the same table's generic part
 * (name, areas, setup) and a struct isim_ppc_kind_ops instead of the RPCIT members: their
 * firmware handle is the powerpc one, priced by ppc_platform.c.
 */
#ifndef ISIM_PLATFORM_INTERNAL_H
#define ISIM_PLATFORM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <iommusim/platform.h>

#include "platform/platform_hook.h"
#include "platform/shadow.h"

struct isim_platform_ops;
struct isim_ppc_platform;

/*
 * struct isim_platform_fn - one zPCI function as the hypervisor knows it: what the guest
 * registered (zpci_register_ioat) and, on shadowing kinds, its shadow.
 */
struct isim_platform_fn {
	uint32_t fh;
	uint64_t pba;
	uint64_t pal;
	/* NULL while no table is registered */
	const struct iommusim_s390_io_table *iota;
	/* NULL on kinds that keep no shadow */
	struct isim_shadow *shadow;
};

/*
 * struct isim_walk_prices - what a shadowing kind's hypervisor spends, in ns, per unit of each
 * of a walk's counts (the members of struct isim_walk_counts of the same names): sums of the
 * kind's cost parameters, made once at creation, as the cost set stays unchanged for the
 * platform's lifetime (struct iommusim_platform_config). A kind's model of an RPCIT reads
 * the prices of the counts it models; the others stay 0.
 */
struct isim_walk_prices {
	uint64_t tables_walked;
	uint64_t pages_walked;
	uint64_t upper_invalid;
	uint64_t upper_pages;
	uint64_t removes;
	uint64_t inserts;
	uint64_t maps;
	uint64_t unmap_calls;
	uint64_t teardowns;
};

struct iommusim_platform {
	struct iommusim_mem *mem;
	struct iommusim_engine *e;
	enum iommusim_platform_kind kind;
	const struct isim_platform_ops *ops;
	uint64_t guest_memory;
	const struct iommusim_cost *cost;
	struct iommusim_firmware *fw;
	/* the RPCIT server, or NULL */
	struct iommusim_server *server;
	/* the one container every function shares */
	struct isim_container container;
	/* functions sorted by handle, so lookups and listings never depend on addresses */
	struct isim_platform_fn **fns;
	size_t nfns;
	size_t fns_cap;
	/* the function the last RPCIT found, or NULL (a function lives as long as its platform) */
	struct isim_platform_fn *last_fn;
	struct iommusim_platform_stats st;
	/* a shadowing kind's walk and its prices, as its @setup made them */
	struct isim_walk_rules rules;
	struct isim_walk_prices prices;
	/*
	 * Every shadow walk's counts, summed: the walks add to it directly and
	 * iommusim_platform_get_stats() adds it to @st, so an RPCIT neither clears nor copies
	 * a set of counts of its own (isim_platform_walk_stats()).
	 */
	struct isim_walk_counts walked;
	/* the first host failure (-ENOMEM), or 0: iommusim_platform_error() */
	int err;
	/* who watches the invalidations, or NULL (isim_platform_watch_invalidations()) */
	isim_platform_inval_fn *inval;
	void *inval_arg;
	/* the powerpc kinds' firmware and prices (ppc_platform.c); NULL on s390 */
	struct isim_ppc_platform *ppc;
};

/*
 * struct isim_platform_setup - what a kind decides when a platform is created.
 * @budget: pages the functions' shared container may map on the host; 0 for no limit.
 * @server: the name of the server every RPCIT's hypervisor work queues on (a lock the
 *          hypervisor holds through the emulation), or NULL: each CPU emulates on its own.
 * @rules:  shadowing kinds: how the hypervisor walks (isim_shadow_refresh()).
 * @prices: shadowing kinds: what the walk's work costs.
 */
struct isim_platform_setup {
	uint64_t budget;
	const char *server;
	struct isim_walk_rules rules;
	struct isim_walk_prices prices;
};

/*
 * struct isim_platform_ops - one kind of platform: every place its behaviour differs.
 * @name:        the kind's name (iommusim_platform_name()), also what its profiles name as
 *               their platform. Mandatory.
 * @arch:        which guest DMA stack runs on it.
 * @ppc:         powerpc kinds: the firmware the PE sees and what each call costs (then
 *               @rpcit, @refused, @zpci_config and @dereg_ioat are NULL). Mandatory there.
 * @areas:       prefixes of the cost parameters only this kind's model reads ("qemu."),
 *               NULL-terminated, or NULL for none (iommusim_platform_reads()).
 * @shadows:     the hypervisor keeps a shadow of each function's table: a function gets one at
 *               its first registration, and every RPCIT is checked against the registration
 *               before @rpcit runs (cc 3 without a table, cc 1 for a range outside it). Without
 *               it @rpcit gets every call as it comes (LPAR's firmware purges what it is told).
 * @rpcit:       the model of one RPCIT over pages [@first, @end) (every page the range
 *               touches, not cut to the window); @f is the function with its table when the
 *               kind @shadows, else NULL. Charges @cpu (charge.c), updates the statistics and
 *               returns the condition code, setting *@status when it answers 1; or -ENOMEM,
 *               when the shadow could not grow, with what the walk did counted and nothing
 *               charged: platform.c then answers for the host. Mandatory.
 * @refused:     charge the trap of an RPCIT answered without @rpcit's work: refused by the
 *               checks (the hypervisor decodes the instruction first) or out of host memory.
 *               Mandatory with @shadows.
 * @setup:       the container's budget, the RPCIT server and the shadow walk's rules and
 *               prices, from the cost set. NULL: no budget, no server.
 * @zpci_config: adjust what firmware reports for a function (its DMA window) to the kind's
 *               rules; guest.aperture_pages is applied after it. NULL: the hardware's window.
 * @dereg_ioat:  the kind's part of a deregistration, after the function's shadow was emptied
 *               of @pages pages (already off the container's level and counted as host
 *               unmaps). NULL: nothing more.
 */
struct isim_platform_ops {
	const char *name;
	enum iommusim_arch arch;
	const struct isim_ppc_kind_ops *ppc;
	const char *const *areas;
	bool shadows;
	int (*rpcit)(struct iommusim_platform *p, struct iommusim_cpu *cpu,
		     struct isim_platform_fn *f, uint64_t first, uint64_t end, uint8_t *status);
	void (*refused)(struct iommusim_platform *p, struct iommusim_cpu *cpu);
	void (*setup)(const struct iommusim_cost *c, struct isim_platform_setup *out);
	void (*zpci_config)(const struct iommusim_cost *c, struct iommusim_zpci_config *out);
	void (*dereg_ioat)(struct iommusim_platform *p, uint64_t pages);
};

/*
 * What only the s390 guest reads: the zPCI function's firmware answers, the s390 IOMMU driver,
 * dma-iommu's flush queue (powerpc has no lazy mode) and the guest's s390 settings. Every
 * s390 kind lists these areas after its own.
 */
#define ISIM_S390_GUEST_AREAS                                                                      \
	"zpci.", "s390.", "dma.", "guest.aperture_pages", "guest.fw_busy_retry_ns"

/* The kinds, one table each (lpar.c, zvm.c, kvm.c; powervm.c, kvm_ppc.c, powernv.c). */
extern const struct isim_platform_ops isim_lpar_ops;
extern const struct isim_platform_ops isim_zvm_ops;
extern const struct isim_platform_ops isim_kvm_ops;
extern const struct isim_platform_ops isim_powervm_ops;
extern const struct isim_platform_ops isim_kvm_ppc_ops;
extern const struct isim_platform_ops isim_powernv_ops;

/* The table of @kind, or NULL for a number that names no kind (platform.c's list). */
const struct isim_platform_ops *isim_platform_kind_ops(enum iommusim_platform_kind kind);

#endif /* ISIM_PLATFORM_INTERNAL_H */

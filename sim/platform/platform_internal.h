/* SPDX-License-Identifier: MIT */
/* A platform's state, shared by the dispatch (platform.c) and the per-kind models. */
#ifndef ISIM_PLATFORM_INTERNAL_H
#define ISIM_PLATFORM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <iommusim/platform.h>

#include "platform/shadow.h"

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
	/* NULL on LPAR */
	struct isim_shadow *shadow;
};

struct iommusim_platform {
	struct iommusim_mem *mem;
	struct iommusim_engine *e;
	enum iommusim_platform_kind kind;
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
	struct iommusim_platform_stats st;
	/* the first host failure (-ENOMEM), or 0: iommusim_platform_error() */
	int err;
};

/*
 * The per-kind RPCIT models: @f is the function with a registered table, [@first, @end) the
 * pages of the range (already checked against the window). Each charges @cpu, updates the
 * statistics and returns the condition code, setting *@status when it answers 1.
 */
int isim_lpar_rpcit(struct iommusim_platform *p, struct iommusim_cpu *cpu,
		    struct isim_platform_fn *f, uint64_t first, uint64_t end, uint8_t *status);
int isim_kvm_rpcit(struct iommusim_platform *p, struct iommusim_cpu *cpu,
		   struct isim_platform_fn *f, uint64_t first, uint64_t end, uint8_t *status);
int isim_zvm_rpcit(struct iommusim_platform *p, struct iommusim_cpu *cpu,
		   struct isim_platform_fn *f, uint64_t first, uint64_t end, uint8_t *status);

/*
 * KVM: charge one RPCIT exit: kvm.trap_unlocked_ns on @cpu, then kvm.trap_locked_ns plus
 * @emulation_ns of work under QEMU's big lock. The one place the trap is split.
 */
void isim_kvm_charge_trap(struct iommusim_platform *p, struct iommusim_cpu *cpu,
			  uint64_t emulation_ns);

/*
 * Charge an RPCIT's hypervisor time: @trap cycles on @cpu, then @work cycles on the platform's
 * server if it has one (the CPU is held through the wait and the service), else on @cpu.
 */
void isim_platform_charge(struct iommusim_platform *p, struct iommusim_cpu *cpu, uint64_t trap,
			  uint64_t work);

/*
 * The answer to an RPCIT whose shadow walk ran out of host memory: the refused trap is
 * charged, the failure recorded and the engine stopped (iommusim_platform_error()), and the
 * guest gets cc 1 / function in error, an error its driver reports without retrying.
 */
int isim_platform_nomem(struct iommusim_platform *p, struct iommusim_cpu *cpu, uint8_t *status);

/* Add a shadow walk's counts to the platform's statistics. */
void isim_platform_add_counts(struct iommusim_platform *p, const struct isim_walk_counts *n);

#endif /* ISIM_PLATFORM_INTERNAL_H */

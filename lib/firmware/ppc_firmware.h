/* SPDX-License-Identifier: MIT */
/*
 * The powerpc firmware interface: every call a powerpc guest kernel makes to change or read
 * TCEs or its DMA windows, and nothing else. On pSeries these are hypervisor calls (H_PUT_TCE,
 * H_PUT_TCE_INDIRECT, H_STUFF_TCE, H_GET_TCE) and RTAS calls (ibm,query-pe-dma-window,
 * ibm,create-pe-dma-window, ibm,remove-pe-dma-window, ibm,reset-pe-dma-window); on PowerNV the
 * kernel writes TCEs itself and only asks OPAL to kill the PHB's TCE cache. The platform beneath
 * (a hypervisor model, the null platform, the scriptable one) supplies a table of functions;
 * the handle counts every call by kind and by answer, whichever platform answers.
 *
 * Answers are the firmware's own codes, passed back unchanged (ISIM_H_* for hypervisor calls,
 * ISIM_RTAS_* for RTAS, OPAL_* as 0 or negative for OPAL): what the kernel does with them is
 * the guest code's business (lib/arch/powerpc). docs/powerpc.md, sources.md S22, S23, S25.
 *
 * Internal for now (isim_ prefix): tests link the static archive.
 */
#ifndef ISIM_FIRMWARE_PPC_FIRMWARE_H
#define ISIM_FIRMWARE_PPC_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <iommusim/cpu.h>
#include <iommusim/mem.h>

/* Hypervisor call return codes (PAPR). */
#define ISIM_H_SUCCESS		    0
#define ISIM_H_HARDWARE		    (-1)
#define ISIM_H_FUNCTION		    (-2)
#define ISIM_H_PARAMETER	    (-4)
#define ISIM_H_NOT_ENOUGH_RESOURCES (-44)

/* RTAS call status words. */
#define ISIM_RTAS_SUCCESS     0
#define ISIM_RTAS_HW_ERROR    (-1)
#define ISIM_RTAS_BUSY	      (-2)
#define ISIM_RTAS_PARAM_ERROR (-3)

/* TCE permission bits (TCE_PCI_READ, TCE_PCI_WRITE). */
#define ISIM_TCE_READ  UINT64_C(1)
#define ISIM_TCE_WRITE UINT64_C(2)

/* TCEs one H_PUT_TCE_INDIRECT may carry: one 4 KiB page of 8-byte TCEs. */
#define ISIM_PPC_TCES_PER_CALL 512u

/*
 * Bits of the "IO page sizes" word ibm,query-pe-dma-window answers (bit 0 = 4 KiB; note 2 MiB
 * comes last).
 */
#define ISIM_DDW_PGSIZE_4K   (1u << 0)
#define ISIM_DDW_PGSIZE_64K  (1u << 1)
#define ISIM_DDW_PGSIZE_16M  (1u << 2)
#define ISIM_DDW_PGSIZE_32M  (1u << 3)
#define ISIM_DDW_PGSIZE_64M  (1u << 4)
#define ISIM_DDW_PGSIZE_128M (1u << 5)
#define ISIM_DDW_PGSIZE_256M (1u << 6)
#define ISIM_DDW_PGSIZE_16G  (1u << 7)
#define ISIM_DDW_PGSIZE_2M   (1u << 8)

/* enum isim_ppc_call - the kinds of call, for counters and the script's log. */
enum isim_ppc_call {
	ISIM_PPC_H_PUT_TCE,
	ISIM_PPC_H_PUT_TCE_INDIRECT,
	ISIM_PPC_H_STUFF_TCE,
	ISIM_PPC_H_GET_TCE,
	/* OPAL_PCI_TCE_KILL (PowerNV): drop the PHB's cached TCEs of a range */
	ISIM_PPC_OPAL_TCE_KILL,
	ISIM_PPC_RTAS_QUERY,
	ISIM_PPC_RTAS_CREATE,
	ISIM_PPC_RTAS_REMOVE,
	ISIM_PPC_RTAS_RESET,
	ISIM_PPC_CALL_NR
};

/* What ibm,query-pe-dma-window answers. */
struct isim_ddw_query {
	uint32_t windows_available;
	/* TCEs the largest new window may have; 32 bits in the five-word form */
	uint64_t largest_block;
	uint32_t page_sizes; /* ISIM_DDW_PGSIZE_* */
	uint32_t migration_capable;
};

/* What ibm,create-pe-dma-window answers. */
struct isim_ddw_window {
	uint32_t liobn;
	uint64_t addr; /* bus address of the window's first byte */
};

/*
 * struct isim_ppc_fw_ops - the platform's side. A NULL member is a call the platform does not
 * provide: hypervisor calls then answer ISIM_H_FUNCTION, RTAS calls ISIM_RTAS_PARAM_ERROR
 * (there is no token for them) and the TCE kill 0. @arg is the pointer given at creation,
 * @cpu the CPU that makes the call (the platform charges its cost there).
 */
struct isim_ppc_fw_ops {
	long (*put_tce)(void *arg, struct iommusim_cpu *cpu, uint32_t liobn, uint64_t ioba,
			uint64_t tce);
	/* @tces: @count TCEs, the content of the guest's 4 KiB list page */
	long (*put_tce_indirect)(void *arg, struct iommusim_cpu *cpu, uint32_t liobn, uint64_t ioba,
				 const uint64_t *tces, uint64_t count);
	long (*stuff_tce)(void *arg, struct iommusim_cpu *cpu, uint32_t liobn, uint64_t ioba,
			  uint64_t value, uint64_t count);
	long (*get_tce)(void *arg, struct iommusim_cpu *cpu, uint32_t liobn, uint64_t ioba,
			uint64_t *tce);
	long (*tce_kill)(void *arg, struct iommusim_cpu *cpu, uint32_t pe, unsigned int page_shift,
			 uint64_t ioba, uint64_t npages);
	/* @out_words: 5 (32-bit largest block) or 6 (64-bit), as the kernel asks */
	int (*ddw_query)(void *arg, struct iommusim_cpu *cpu, uint32_t cfg_addr,
			 unsigned int out_words, struct isim_ddw_query *out);
	int (*ddw_create)(void *arg, struct iommusim_cpu *cpu, uint32_t cfg_addr,
			  unsigned int page_shift, unsigned int window_shift,
			  struct isim_ddw_window *out);
	int (*ddw_remove)(void *arg, struct iommusim_cpu *cpu, uint32_t liobn);
	/* @limited: the extra argument 1 that asks for limited addressing mode */
	int (*ddw_reset)(void *arg, struct iommusim_cpu *cpu, uint32_t cfg_addr, bool limited);
	/* called once by isim_ppc_fw_destroy(); NULL: the caller keeps the platform's state */
	void (*release)(void *arg);
};

/*
 * struct isim_ppc_fw_stats - calls made and what they answered, counted in the interface.
 * @calls:    calls by kind (each RTAS busy retry is a call).
 * @failures: calls answered neither success nor RTAS busy, by kind.
 * @busy:     RTAS calls answered busy, by kind.
 * @tces:     TCEs the calls named, by kind: 1 for H_PUT_TCE and H_GET_TCE, the count for
 *            H_PUT_TCE_INDIRECT and H_STUFF_TCE, the pages for a TCE kill.
 */
struct isim_ppc_fw_stats {
	uint64_t calls[ISIM_PPC_CALL_NR];
	uint64_t failures[ISIM_PPC_CALL_NR];
	uint64_t busy[ISIM_PPC_CALL_NR];
	uint64_t tces[ISIM_PPC_CALL_NR];
};

struct isim_ppc_fw;

/* Create a handle on the platform @ops (kept, not copied). Return: 0, -EINVAL, -ENOMEM. */
int isim_ppc_fw_create(struct iommusim_mem *mem, const struct isim_ppc_fw_ops *ops, void *arg,
		       struct isim_ppc_fw **out);
/* Free the handle (NULL is ignored); calls @ops->release(@arg) when provided. */
void isim_ppc_fw_destroy(struct isim_ppc_fw *fw);

long isim_ppc_h_put_tce(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, uint32_t liobn,
			uint64_t ioba, uint64_t tce);
long isim_ppc_h_put_tce_indirect(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, uint32_t liobn,
				 uint64_t ioba, const uint64_t *tces, uint64_t count);
long isim_ppc_h_stuff_tce(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, uint32_t liobn,
			  uint64_t ioba, uint64_t value, uint64_t count);
long isim_ppc_h_get_tce(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, uint32_t liobn,
			uint64_t ioba, uint64_t *tce);
long isim_ppc_opal_tce_kill(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, uint32_t pe,
			    unsigned int page_shift, uint64_t ioba, uint64_t npages);
int isim_ppc_rtas_query(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, uint32_t cfg_addr,
			unsigned int out_words, struct isim_ddw_query *out);
int isim_ppc_rtas_create(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, uint32_t cfg_addr,
			 unsigned int page_shift, unsigned int window_shift,
			 struct isim_ddw_window *out);
int isim_ppc_rtas_remove(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, uint32_t liobn);
int isim_ppc_rtas_reset(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, uint32_t cfg_addr,
			bool limited);

/* Read the counters (each read atomically). */
void isim_ppc_fw_get_stats(const struct isim_ppc_fw *fw, struct isim_ppc_fw_stats *out);
/* The platform functions and argument given at creation. */
const struct isim_ppc_fw_ops *isim_ppc_fw_get_ops(const struct isim_ppc_fw *fw);
void *isim_ppc_fw_get_arg(const struct isim_ppc_fw *fw);
/* "h_put_tce", "rtas_query", ...; "unknown" outside the enum. */
const char *isim_ppc_call_name(enum isim_ppc_call kind);

/*
 * The null platform: every call succeeds at no cost. A query answers one free window of 2^31
 * TCEs in 4 KiB and 64 KiB pages; a created window is LIOBN 1 at 2^63 (QEMU's defaults,
 * sources.md S25). Return: 0 or -ENOMEM.
 */
int isim_ppc_fw_create_null(struct iommusim_mem *mem, struct isim_ppc_fw **out);

/*
 * The scriptable platform (ppc_firmware_script.c): a small PAPR partition endpoint that keeps
 * its DMA windows (the default one and those created), validates every call as QEMU and KVM
 * do (an unknown LIOBN, an address outside the window, a list of more than 512 TCEs: H_PARAMETER),
 * optionally keeps every TCE written, logs every call, and fails any call on demand.
 *
 * struct isim_ppc_script_config - the partition endpoint.
 * @max_windows:    windows the PE may have at once, the default one included (QEMU: 2).
 * @largest_block:  TCEs a new window may have (query's answer).
 * @page_sizes:     ISIM_DDW_PGSIZE_* offered.
 * @ddw_addr:       where a window goes when another one exists (QEMU: 2^63); the first window
 *                  of an empty PE goes to bus address 0.
 * @limited_addr:   where a window goes in limited addressing mode (0 = @ddw_addr).
 * @default_liobn:  the default window (0 = none): LIOBN, first byte, bytes, TCE page shift.
 * @default_offset, @default_size, @default_shift: see @default_liobn.
 * @track_tces:     keep the value of every non-zero TCE (isim_ppc_script_tce()); costs memory
 *                  per TCE, so off for windows that map all of a large RAM.
 * @no_log:         count calls but do not log them.
 */
struct isim_ppc_script_config {
	uint32_t max_windows;
	uint64_t largest_block;
	uint32_t page_sizes;
	uint64_t ddw_addr;
	uint64_t limited_addr;
	uint32_t default_liobn;
	uint64_t default_offset;
	uint64_t default_size;
	unsigned int default_shift;
	bool track_tces;
	bool no_log;
};

/* One logged call. Fields not meaningful for a kind are 0. */
struct isim_ppc_call_rec {
	enum isim_ppc_call kind;
	unsigned int cpu_id;
	/* LIOBN, or the PE of a TCE kill, or the config address of a query, create or reset */
	uint64_t target;
	/* the bus address; a create: the page shift */
	uint64_t ioba;
	/* TCEs (1 for put and get); a create: the window shift; a reset: 1 when limited */
	uint64_t count;
	/* the TCE written (first of a list), the stuffed value, or the TCE read */
	uint64_t value;
	long rc;
};

int isim_ppc_fw_create_script(struct iommusim_mem *mem, const struct isim_ppc_script_config *cfg,
			      struct isim_ppc_fw **out);
/*
 * Make calls of @kind number @first .. @first + @count - 1 (counted from 0 since creation, over
 * that kind only) answer @rc without doing anything; @count 0 means every call from @first on.
 * Return: 0; -EINVAL (not a script, bad kind, @rc 0); -ENOMEM.
 */
int isim_ppc_script_fail(struct isim_ppc_fw *fw, enum isim_ppc_call kind, uint64_t first,
			 uint64_t count, long rc);
/* Calls of @kind made so far (the index the next one gets). */
uint64_t isim_ppc_script_calls(struct isim_ppc_fw *fw, enum isim_ppc_call kind);
size_t isim_ppc_script_log_len(struct isim_ppc_fw *fw);
/* Return: 0; -EINVAL (not a script); -ERANGE. */
int isim_ppc_script_log_get(struct isim_ppc_fw *fw, size_t i, struct isim_ppc_call_rec *out);
void isim_ppc_script_log_clear(struct isim_ppc_fw *fw);
/* Calls of @kind in the log. */
size_t isim_ppc_script_log_count(struct isim_ppc_fw *fw, enum isim_ppc_call kind);
/* The TCE at @ioba of window @liobn (0 when clear or not tracked). */
uint64_t isim_ppc_script_tce(struct isim_ppc_fw *fw, uint32_t liobn, uint64_t ioba);
/* Non-zero TCEs held for @liobn (tracking on). */
uint64_t isim_ppc_script_tce_count(struct isim_ppc_fw *fw, uint32_t liobn);
/* Non-zero TCEs held for every window of the PE (tracking on). */
uint64_t isim_ppc_script_tce_total(struct isim_ppc_fw *fw);
/* The PE's windows: whether the default one is there, and how many were created. */
void isim_ppc_script_windows(struct isim_ppc_fw *fw, bool *default_present, unsigned int *ddws);
/*
 * TCE writes refused because the memory to track them ran out: the platform answered them
 * ISIM_H_NOT_ENOUGH_RESOURCES, as a hypervisor short of memory does. Return: the count.
 */
uint64_t isim_ppc_script_track_failures(struct isim_ppc_fw *fw);

#endif /* ISIM_FIRMWARE_PPC_FIRMWARE_H */

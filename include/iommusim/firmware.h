/* SPDX-License-Identifier: MIT */
/**
 * @file firmware.h  The firmware interface: the only way IOMMU drivers reach the platform.
 *
 * The guest kernel's drivers issue firmware calls (on s390 the RPCIT instruction, later
 * hypervisor calls and invalidation requests); the platform underneath answers them. Here the
 * platform is a table of functions supplied by whoever models it: a hypervisor model in sim/,
 * the null platform (every call succeeds and costs nothing, so the kernel layers run on their
 * own), or the scriptable platform, whose answers a test dictates and whose calls it inspects.
 *
 * The interface passes the instruction's raw result (condition code and status) back unchanged;
 * turning that into an errno, and retrying a busy answer, is the driver's business, exactly as
 * in the kernel. Every handle may be used by several threads acting as CPUs at once.
 */
#ifndef IOMMUSIM_FIRMWARE_H
#define IOMMUSIM_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>
#include <iommusim/cpu.h>
#include <iommusim/export.h>
#include <iommusim/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iommusim_firmware;
/*
 * A guest's s390 I/O translation table (region-third rooted), as the drivers build it. Opaque:
 * a platform model reads it through the library's table readers, as a hypervisor reads guest
 * memory.
 */
struct iommusim_s390_io_table;

/** Condition code: the call completed. */
#define IOMMUSIM_FW_CC_OK 0
/** Condition code: the call failed; the status byte says why. */
#define IOMMUSIM_FW_CC_ERROR 1
/** Condition code: the firmware is busy; the caller is expected to retry. */
#define IOMMUSIM_FW_CC_BUSY 2
/** Condition code: the function is not operational (e.g. gone or in error state). */
#define IOMMUSIM_FW_CC_NOT_OPERATIONAL 3

/**
 * RPCIT status with condition code 1: insufficient resources (the hypervisor could not pin
 * or shadow more pages). The s390 driver treats this and IOMMUSIM_FW_STATUS_RESOURCES_ALT
 * alike: it reports -ENOMEM and falls back to a global refresh.
 */
#define IOMMUSIM_FW_STATUS_RESOURCES 4
/** RPCIT status with condition code 1: the other "insufficient resources" value. */
#define IOMMUSIM_FW_STATUS_RESOURCES_ALT 16

/**
 * struct iommusim_firmware_ops - the platform's side of the interface.
 *
 * Zero-initialise the structure (designated initialisers) so that members added by later
 * versions read as NULL.
 */
struct iommusim_firmware_ops {
	/**
	 * @rpcit: refresh the I/O translations of function @fh for [@addr, @addr + @len).
	 *
	 * @arg is the pointer given at creation, @cpu the CPU that executes the instruction (the
	 * platform charges its cost there). Set *@status when answering 1 (it is preset to 0).
	 * Return the condition code, 0..3 (IOMMUSIM_FW_CC_*). Required. May be called from several
	 * threads at once.
	 */
	int (*rpcit)(void *arg, struct iommusim_cpu *cpu, uint32_t fh, uint64_t addr, uint64_t len,
		     uint8_t *status);
	/**
	 * @release: called once by iommusim_firmware_destroy() with @arg, so that the firmware
	 * handle can own the platform's state. Optional (NULL: the caller keeps ownership).
	 */
	void (*release)(void *arg);
	/**
	 * @set_ioat: register (@iota not NULL) or deregister (@iota NULL) the I/O address
	 * translation table of function @fh for DMA addresses [@pba, @pal], as the kernel does
	 * with zpci_register_ioat()/zpci_unregister_ioat() when a device is attached to or
	 * detached from its translation. A hypervisor that shadows the table walks it on RPCIT.
	 * A deregistration passes @pba = @pal = 0. The drivers fail the attach (or the legacy
	 * DMA setup) with a registration's error and ignore a deregistration's. Return 0 or a
	 * negative errno. Optional (NULL: registration always succeeds).
	 */
	int (*set_ioat)(void *arg, uint32_t fh, uint64_t pba, uint64_t pal,
			const struct iommusim_s390_io_table *iota);
	/*
	 * Reserved: further firmware calls (hypervisor calls, invalidation requests) are appended
	 * here when a driver needs them; a NULL member will mean "not provided".
	 */
};

/**
 * struct iommusim_firmware_stats - what a firmware handle has been asked and has answered.
 *
 * Counted in the interface, whatever the platform, so every platform reports the same way.
 * Members are only ever appended.
 */
struct iommusim_firmware_stats {
	/** @rpcit_calls: RPCIT instructions executed (each retry is a call of its own). */
	uint64_t rpcit_calls;
	/**
	 * @rpcit_cc: calls by the condition code answered. rpcit_cc[IOMMUSIM_FW_CC_BUSY] is the
	 * number of busy answers; the driver retries each one (and reports the retry as
	 * IOMMUSIM_WORK_FW_BUSY_RETRY on the CPU) unless it gives up at its retry bound.
	 */
	uint64_t rpcit_cc[4];
	/**
	 * @rpcit_no_resources: calls answered condition code 1 with status
	 * IOMMUSIM_FW_STATUS_RESOURCES or IOMMUSIM_FW_STATUS_RESOURCES_ALT, a subset of
	 * rpcit_cc[1]: the "insufficient resources" events of the model.
	 */
	uint64_t rpcit_no_resources;
};

/**
 * iommusim_firmware_create() - create a firmware handle on a caller-supplied platform.
 * @mem: memory context the handle is allocated from.
 * @ops: the platform's functions; must stay valid for the handle's lifetime.
 * @arg: passed to every call of @ops.
 * @out: receives the handle.
 *
 * Return: 0; -EINVAL if @ops or @ops->rpcit is NULL; -ENOMEM.
 */
IOMMUSIM_API int iommusim_firmware_create(struct iommusim_mem *mem,
					  const struct iommusim_firmware_ops *ops, void *arg,
					  struct iommusim_firmware **out);

/**
 * iommusim_firmware_destroy() - free a firmware handle (NULL is ignored).
 * @fw: the handle. Calls @ops->release(@arg) when the platform provided it.
 */
IOMMUSIM_API void iommusim_firmware_destroy(struct iommusim_firmware *fw);

/**
 * iommusim_firmware_rpcit() - execute one RPCIT instruction (no retry, no errno mapping).
 * @fw:     the firmware handle.
 * @cpu:    the executing CPU.
 * @fh:     the PCI function handle.
 * @addr:   first I/O address to refresh.
 * @len:    length of the range in bytes.
 * @status: receives the status byte (0 unless the platform set it); may be NULL.
 *
 * Return: the condition code 0..3 (IOMMUSIM_FW_CC_*). A platform answer outside 0..3 is a bug
 * in the platform model: it asserts, and without assertions it is reported as 3.
 */
IOMMUSIM_API int iommusim_firmware_rpcit(struct iommusim_firmware *fw, struct iommusim_cpu *cpu,
					 uint32_t fh, uint64_t addr, uint64_t len, uint8_t *status);

/**
 * iommusim_firmware_set_ioat() - register or deregister function @fh's translation table
 * (the @set_ioat member of the platform's operations; see there).
 * Return: 0, or the platform's error.
 */
IOMMUSIM_API int iommusim_firmware_set_ioat(struct iommusim_firmware *fw, uint32_t fh, uint64_t pba,
					    uint64_t pal,
					    const struct iommusim_s390_io_table *iota);

/**
 * iommusim_firmware_get_stats() - read the handle's counters.
 * @fw:  the handle.
 * @out: receives the counters. Each is read atomically; calls running concurrently may be
 *       counted in some members and not yet in others.
 */
IOMMUSIM_API void iommusim_firmware_get_stats(const struct iommusim_firmware *fw,
					      struct iommusim_firmware_stats *out);

/** iommusim_firmware_get_ops() - the platform functions given at creation. */
IOMMUSIM_API const struct iommusim_firmware_ops *
iommusim_firmware_get_ops(const struct iommusim_firmware *fw);

/** iommusim_firmware_get_arg() - the platform argument given at creation. */
IOMMUSIM_API void *iommusim_firmware_get_arg(const struct iommusim_firmware *fw);

/**
 * iommusim_firmware_create_null() - create a firmware handle on the null platform.
 * @mem: memory context.
 * @out: receives the handle.
 *
 * Every call answers condition code 0 with status 0 and costs nothing; calls are still counted
 * in the statistics.
 *
 * Return: 0 or -ENOMEM.
 */
IOMMUSIM_API int iommusim_firmware_create_null(struct iommusim_mem *mem,
					       struct iommusim_firmware **out);

/** enum iommusim_firmware_call_kind - which firmware call a log entry records. */
enum iommusim_firmware_call_kind {
	/** Refresh PCI translations. */
	IOMMUSIM_FIRMWARE_CALL_RPCIT,
	/**
	 * Register or deregister a translation table (@set_ioat): addr and len carry pba and
	 * pal - pba + 1, len 0 for a deregistration; iota the table (NULL to deregister). It has
	 * no CPU (cpu_id 0) and is always answered 0.
	 */
	IOMMUSIM_FIRMWARE_CALL_SET_IOAT,
};

/**
 * struct iommusim_firmware_call - one call seen by the scriptable platform.
 * @kind:   which call.
 * @cpu_id: iommusim_cpu_id() of the executing CPU.
 * @fh:     function handle.
 * @addr:   first address of the range.
 * @len:    length of the range in bytes.
 * @cc:     condition code answered.
 * @status: status byte answered.
 * @iota:   IOMMUSIM_FIRMWARE_CALL_SET_IOAT: the table registered, NULL for a deregistration;
 *          NULL for other calls.
 */
struct iommusim_firmware_call {
	enum iommusim_firmware_call_kind kind;
	unsigned int cpu_id;
	uint32_t fh;
	uint64_t addr;
	uint64_t len;
	uint8_t cc;
	uint8_t status;
	const struct iommusim_s390_io_table *iota;
};

/**
 * iommusim_firmware_create_script() - create a firmware handle on the scriptable platform.
 * @mem: memory context (the handle, the answer queue and the call log come from it).
 * @out: receives the handle.
 *
 * RPCITs take their answers, in order, from a queue filled by iommusim_firmware_script_push();
 * once it is empty every RPCIT answers condition code 0, status 0. Table registrations
 * (@set_ioat) always answer 0 and take nothing from the queue. Every call is logged.
 *
 * Return: 0 or -ENOMEM.
 */
IOMMUSIM_API int iommusim_firmware_create_script(struct iommusim_mem *mem,
						 struct iommusim_firmware **out);

/**
 * iommusim_firmware_script_push() - queue the answer to a future call.
 * @fw:     a handle from iommusim_firmware_create_script().
 * @cc:     condition code to answer, 0..3.
 * @status: status byte to answer.
 *
 * Return: 0; -EINVAL if @fw is not a scriptable platform or @cc > 3; -ENOMEM.
 */
IOMMUSIM_API int iommusim_firmware_script_push(struct iommusim_firmware *fw, uint8_t cc,
					       uint8_t status);

/**
 * iommusim_firmware_script_pending() - answers queued and not yet used.
 * Return: the count; 0 if @fw is not a scriptable platform.
 */
IOMMUSIM_API size_t iommusim_firmware_script_pending(struct iommusim_firmware *fw);

/**
 * iommusim_firmware_script_log_len() - calls logged since creation or the last clear.
 *
 * If memory for the log runs out, a call is still answered but not logged; the statistics
 * count it either way, so comparing with them shows the loss.
 *
 * Return: the count; 0 if @fw is not a scriptable platform.
 */
IOMMUSIM_API size_t iommusim_firmware_script_log_len(struct iommusim_firmware *fw);

/**
 * iommusim_firmware_script_log_get() - read one logged call, oldest first.
 * @fw:  a scriptable platform.
 * @i:   index, below iommusim_firmware_script_log_len().
 * @out: receives the call.
 *
 * Return: 0; -EINVAL if @fw is not a scriptable platform; -ERANGE if @i is out of range.
 */
IOMMUSIM_API int iommusim_firmware_script_log_get(struct iommusim_firmware *fw, size_t i,
						  struct iommusim_firmware_call *out);

/**
 * iommusim_firmware_script_log_clear() - forget every logged call (queued answers stay).
 * @fw: a scriptable platform; anything else is ignored.
 */
IOMMUSIM_API void iommusim_firmware_script_log_clear(struct iommusim_firmware *fw);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUSIM_FIRMWARE_H */

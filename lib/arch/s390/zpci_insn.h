/* SPDX-License-Identifier: MIT */
/* s390 PCI instructions as the drivers use them: the errno-level wrappers around firmware calls. */
#ifndef ISIM_DRIVERS_ZPCI_INSN_H
#define ISIM_DRIVERS_ZPCI_INSN_H

#include <stdint.h>
#include <iommusim/cpu.h>
#include <iommusim/firmware.h>

/*
 * Busy answers retried before giving up when the caller passes 0. The kernel never gives up
 * (1 us apart, forever); a million retries is a second of real busy-waiting, far beyond any
 * platform model that is not stuck, so reaching it means the model is broken.
 */
#define ISIM_ZPCI_BUSY_RETRIES_DEFAULT 1000000u

/*
 * Refresh the translations of function @fh for [@addr, @addr + @range) through @fw on @cpu.
 * Busy answers are retried, each retry reported as IOMMUSIM_WORK_FW_BUSY_RETRY on @cpu, at most
 * @max_busy_retries times (0: ISIM_ZPCI_BUSY_RETRIES_DEFAULT).
 *
 * Return: 0 on condition code 0; -ENOMEM on cc 1 with status 4 or 16 (insufficient resources);
 * -EIO on any other final cc (1 with another status, or 3); -EBUSY when the firmware is still
 * busy after @max_busy_retries retries (a simulator safeguard; the kernel would spin on).
 */
int isim_zpci_refresh_trans(struct iommusim_firmware *fw, struct iommusim_cpu *cpu, uint32_t fh,
			    uint64_t addr, uint64_t range, unsigned int max_busy_retries);

#endif /* ISIM_DRIVERS_ZPCI_INSN_H */

/* SPDX-License-Identifier: MIT */
/* s390 PCI instructions: errno mapping and busy retry on top of the raw firmware calls. */
#include <errno.h>

#include "base/cpu_work.h"
#include "arch/s390/zpci_insn.h"

/* mirrors zpci_refresh_trans() */
int isim_zpci_refresh_trans(struct iommusim_firmware *fw, struct iommusim_cpu *cpu, uint32_t fh,
			    uint64_t addr, uint64_t range, unsigned int max_busy_retries)
{
	unsigned int retries = 0;
	uint8_t status;
	int cc;

	if (!max_busy_retries)
		max_busy_retries = ISIM_ZPCI_BUSY_RETRIES_DEFAULT;

	/*
	 * The kernel waits 1 us between busy answers; that wait is time, which lib/ does not know,
	 * so it is reported as work and the simulator charges it.
	 */
	for (;;) {
		cc = iommusim_firmware_rpcit(fw, cpu, fh, addr, range, &status);
		if (cc != IOMMUSIM_FW_CC_BUSY)
			break;
		if (retries == max_busy_retries)
			return -EBUSY;
		retries++;
		isim_work(cpu, IOMMUSIM_WORK_FW_BUSY_RETRY, 1);
	}

	/* Only these two statuses mean "out of resources"; the driver then flushes globally. */
	if (cc == IOMMUSIM_FW_CC_ERROR &&
	    (status == IOMMUSIM_FW_STATUS_RESOURCES || status == IOMMUSIM_FW_STATUS_RESOURCES_ALT))
		return -ENOMEM;
	return cc ? -EIO : 0;
}

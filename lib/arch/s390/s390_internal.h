/* SPDX-License-Identifier: MIT */
/*
 * A zPCI function's state as the s390 drivers share it: the part of struct zpci_dev that both
 * the 6.7+ paging domain (s390_iommu.c) and the legacy DMA ops of 6.6 (s390_legacy.c) read.
 * iommusim_s390_device_init() creates it (zpci_init_iommu + s390_iommu_probe_device) and hangs
 * it on dev->iommu_priv; it is read-only afterwards, so readers need no lock.
 */
#ifndef ISIM_DRIVERS_S390_INTERNAL_H
#define ISIM_DRIVERS_S390_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <iommusim/device.h>
#include <iommusim/firmware.h>

/*
 * struct isim_zpci_dev - one zPCI function.
 * @fw:               the firmware every RPCIT of this function goes through (not owned).
 * @fh:               function handle, passed to RPCIT unchanged.
 * @tlb_refresh:      the hypervisor shadows the I/O tables: new mappings need an RPCIT too.
 * @ism:              an ISM function (no deferred flush).
 * @start_dma:        first DMA address of the window, page aligned (after the aperture clamp).
 * @end_dma:          last DMA address of the window (inclusive), start_dma + aperture - 1.
 * @max_busy_retries: bound on RPCIT busy retries, for isim_zpci_refresh_trans() (0: default).
 */
struct isim_zpci_dev {
	struct iommusim_firmware *fw;
	uint32_t fh;
	bool tlb_refresh;
	bool ism;
	uint64_t start_dma;
	uint64_t end_dma;
	unsigned int max_busy_retries;
};

/*
 * The zPCI state of @dev, or NULL if iommusim_s390_device_init() has not made it a zPCI
 * function (the kernel's dev_is_pci() + to_zpci() for devices of the s390 IOMMU).
 */
struct isim_zpci_dev *isim_zpci_dev(const struct iommusim_device *dev);

#endif /* ISIM_DRIVERS_S390_INTERNAL_H */

/* SPDX-License-Identifier: MIT */
/* Paging domains: geometry, the attached-device list (RCU) and life cycle. */
#include <assert.h>
#include <errno.h>

#include "core/domain_impl.h"

int isim_domain_init(struct iommusim_domain *d, const struct isim_domain_ops *ops,
		     struct iommusim_mem *mem, uint64_t pgsize_bitmap, uint64_t aperture_start,
		     uint64_t aperture_end, enum iommusim_kernel kernel)
{
	d->ops = ops;
	d->mem = mem;
	d->pgsize_bitmap = pgsize_bitmap;
	d->aperture_start = aperture_start;
	d->aperture_end = aperture_end;
	d->force_aperture = true;
	d->kernel = kernel;
	d->ndevices = 0;
	d->dma_cookie = NULL;
	d->dma_cookie_free = NULL;
	d->dma_flush_queue = NULL;
	CDS_INIT_LIST_HEAD(&d->devices);
	return pthread_mutex_init(&d->devices_lock, NULL) ? -ENOMEM : 0;
}

void isim_domain_fini(struct iommusim_domain *d)
{
	pthread_mutex_destroy(&d->devices_lock);
}

int iommusim_iommu_attach_device(struct iommusim_domain *d, struct iommusim_device *dev)
{
	struct iommusim_domain *none = NULL;
	int ret = 0;

	/* Claimed before anything else, so two attaches of one device cannot both succeed. */
	if (!atomic_compare_exchange_strong(&dev->domain, &none, d))
		return -EBUSY;
	pthread_mutex_lock(&d->devices_lock);
	if (d->ops->attach_dev)
		ret = d->ops->attach_dev(d, dev);
	if (!ret) {
		/* At the head, as s390-iommu.c does: the newest device is walked first. */
		isim_list_add_rcu(&dev->domain_node, &d->devices);
		dev->linked = true;
		d->ndevices++;
	}
	pthread_mutex_unlock(&d->devices_lock);
	if (ret)
		atomic_store(&dev->domain, NULL);
	return ret;
}

int iommusim_iommu_detach_device(struct iommusim_domain *d, struct iommusim_device *dev)
{
	pthread_mutex_lock(&d->devices_lock);
	if (atomic_load(&dev->domain) != d || !dev->linked) {
		pthread_mutex_unlock(&d->devices_lock);
		return -ENOENT;
	}
	isim_list_del_rcu(&dev->domain_node);
	dev->linked = false;
	d->ndevices--;
	if (d->ops->detach_dev)
		d->ops->detach_dev(d, dev);
	pthread_mutex_unlock(&d->devices_lock);
	/* A driver walking the list may still be looking at @dev: let it finish. */
	isim_rcu_synchronize();
	CDS_INIT_LIST_HEAD(&dev->domain_node);
	/* Only now may the device join a domain again. */
	atomic_store(&dev->domain, NULL);
	return 0;
}

uint64_t iommusim_domain_pgsize_bitmap(const struct iommusim_domain *d)
{
	return d->pgsize_bitmap;
}

void iommusim_domain_aperture(const struct iommusim_domain *d, uint64_t *start, uint64_t *end)
{
	if (start)
		*start = d->aperture_start;
	if (end)
		*end = d->aperture_end;
}

unsigned int iommusim_domain_devices(const struct iommusim_domain *d)
{
	struct iommusim_domain *w = (struct iommusim_domain *)d;
	unsigned int n;

	pthread_mutex_lock(&w->devices_lock);
	n = w->ndevices;
	pthread_mutex_unlock(&w->devices_lock);
	return n;
}

void iommusim_domain_destroy(struct iommusim_domain *d)
{
	if (!d)
		return;
	assert(d->ndevices == 0 && "detach every device before destroying its domain");
	if (d->dma_cookie_free)
		d->dma_cookie_free(d);
	d->ops->free(d);
}

/* SPDX-License-Identifier: MIT */
/* Booking an RPCIT's hypervisor time, and the shadow walks' counts in statistics (charge.h). */
#include "platform/charge.h"
#include "platform/platform_internal.h"

void isim_platform_charge(struct iommusim_platform *p, struct iommusim_cpu *cpu, uint64_t trap,
			  uint64_t work)
{
	/* when the trap ends: the CPU's time from then on (iommusim_engine_cpu_charge()) */
	uint64_t arrival = iommusim_engine_cpu_charge(p->e, cpu, trap);

	if (p->server && work)
		iommusim_engine_server_use(p->e, p->server, cpu, arrival, work, NULL, NULL);
	else if (work)
		/* Nothing to add otherwise: the trap's charge has lifted the busy time to now. */
		iommusim_engine_cpu_charge(p->e, cpu, work);
	p->st.hyp_cycles += trap + work;
}

void isim_platform_walk_stats(const struct isim_walk_counts *n, struct iommusim_platform_stats *st)
{
	st->passes += n->passes;
	st->second_passes += n->second_passes;
	st->tables_walked += n->tables_walked;
	st->pages_walked += n->pages_walked;
	st->upper_invalid += n->upper_invalid;
	st->upper_pages += n->upper_pages;
	st->host_maps += n->maps;
	st->host_unmap_calls += n->unmap_calls;
	st->host_unmaps += n->teardowns;
	st->maps_skipped += n->skipped;
	st->silent_drops += n->silent_drops;
	st->remaps += n->remaps;
}

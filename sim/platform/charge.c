/* SPDX-License-Identifier: MIT */
/* Booking an RPCIT's hypervisor time and a shadow walk's counts (charge.h). */
#include "platform/charge.h"
#include "platform/platform_internal.h"

void isim_platform_charge(struct iommusim_platform *p, struct iommusim_cpu *cpu, uint64_t trap,
			  uint64_t work)
{
	iommusim_engine_cpu_charge(p->e, cpu, trap);
	if (p->server && work)
		iommusim_engine_server_use(p->e, p->server, cpu, iommusim_engine_cpu_now(p->e, cpu),
					   work, NULL, NULL);
	else if (work)
		/* Nothing to add otherwise: the trap's charge has lifted the busy time to now. */
		iommusim_engine_cpu_charge(p->e, cpu, work);
	p->st.hyp_cycles += trap + work;
}

void isim_platform_add_counts(struct iommusim_platform *p, const struct isim_walk_counts *n)
{
	p->st.passes += n->passes;
	p->st.second_passes += n->second_passes;
	p->st.tables_walked += n->tables_walked;
	p->st.pages_walked += n->pages_walked;
	p->st.upper_invalid += n->upper_invalid;
	p->st.upper_pages += n->upper_pages;
	p->st.host_maps += n->maps;
	p->st.host_unmap_calls += n->unmap_calls;
	p->st.host_unmaps += n->teardowns;
	p->st.maps_skipped += n->skipped;
	p->st.silent_drops += n->silent_drops;
	p->st.remaps += n->remaps;
}

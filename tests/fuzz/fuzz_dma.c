/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the DMA stack (DMA API -> dma-iommu strict or lazy with either flush
 * queue, or the legacy s390 ops -> s390 driver) over the scriptable firmware, driven by the
 * input bytes: the first three choose the set-up (policy, kernel, shadowing, the answer to
 * "insufficient resources", queue size, window size), the rest is a sequence of operations:
 * map_page, map_sg, alloc_coherent and their unmaps, firmware answers queued ahead (busy,
 * error, insufficient resources), flush-queue timer ticks, explicit queue flushes, a change
 * of CPU.
 *
 * Invariants:
 * - a successful map lies in the function's window, translates page by page to the buffer
 *   (map_page, coherent) or to some page (each map_sg output segment; their lengths add up
 *   to the list's), and overlaps no live mapping;
 * - a failed map leaves nothing mapped (the domain's mapped - unmapped pages do not move);
 * - an unmap gives back exactly the pages its map took, and its pages stop translating at
 *   once, lazy policies included;
 * - I/O conservation at the end: every mapping is unmapped, the queues flushed, maps ==
 *   unmaps, mapped pages == unmapped pages (less those the legacy ops keep for good after a
 *   failed unmap RPCIT, as the kernel does), and the whole stack gives back every byte.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/iommusim.h>

#include "fuzz_common.h"
#include "zpci_rig.h"

#define PAGE	  4096ull
#define MiB	  (1ull << 20)
#define FH	  0x0a0b0c0du
#define NCPU	  2
#define MAX_LIVE  48
#define MAX_SG	  6
#define MAX_INPUT 4096

enum kind { K_PAGE, K_SG, K_COHERENT };

struct mapping {
	enum kind kind;
	enum iommusim_dma_dir dir;
	uint64_t dma;
	uint64_t size;
	uint64_t phys;
	unsigned int nents;
	unsigned int count;
	struct iommusim_sg sg[MAX_SG];
	uint64_t pages; /* what the map added to mapped - unmapped */
};

struct ctx {
	const uint8_t *data;
	size_t size, pos;
	struct zpci_rig rig;
	unsigned int cur;
	struct mapping live[MAX_LIVE];
	unsigned int nlive;
	uint64_t lost; /* pages the legacy ops keep after a failed unmap RPCIT */
};

static unsigned int next8(struct ctx *c)
{
	return c->pos < c->size ? c->data[c->pos++] : 0;
}

static unsigned int next16(struct ctx *c)
{
	return next8(c) | next8(c) << 8;
}

/* mapped - unmapped pages of the domain or the legacy ops */
static uint64_t net_pages(struct ctx *c)
{
	if (c->rig.domain) {
		struct iommusim_s390_counters s;

		FUZZ_CHECK(!iommusim_s390_domain_counters(c->rig.domain, &s));
		return s.mapped_pages - s.unmapped_pages;
	} else {
		struct iommusim_s390_legacy_counters l;

		FUZZ_CHECK(!iommusim_s390_legacy_counters(c->rig.dev, &l));
		return l.mapped_pages - l.unmapped_pages;
	}
}

static uint64_t unmap_errors(struct ctx *c)
{
	struct iommusim_s390_legacy_counters l;

	if (c->rig.domain)
		return 0;
	FUZZ_CHECK(!iommusim_s390_legacy_counters(c->rig.dev, &l));
	return l.unmap_errors;
}

static int translate(struct ctx *c, uint64_t iova, uint64_t *phys)
{
	int prot;

	if (c->rig.domain)
		return iommusim_iommu_translate(c->rig.domain, iova, phys, &prot);
	return iommusim_s390_legacy_translate(c->rig.dev, iova, phys, &prot);
}

/* The IOVA pages a mapping covers, as [lo, hi) page ranges; returns how many ranges. */
static unsigned int ranges(const struct mapping *m, uint64_t lo[], uint64_t hi[])
{
	if (m->kind != K_SG) {
		lo[0] = m->dma / PAGE;
		hi[0] = (m->dma + m->size + PAGE - 1) / PAGE;
		return 1;
	}
	for (unsigned int i = 0; i < m->count; i++) {
		lo[i] = m->sg[i].dma_address / PAGE;
		hi[i] = (m->sg[i].dma_address + m->sg[i].dma_length + PAGE - 1) / PAGE;
	}
	return m->count;
}

static void check_new(struct ctx *c, const struct mapping *m)
{
	uint64_t lo[MAX_SG], hi[MAX_SG], olo[MAX_SG], ohi[MAX_SG], phys;
	unsigned int n = ranges(m, lo, hi);

	for (unsigned int i = 0; i < n; i++) {
		FUZZ_CHECK(lo[i] < hi[i]);
		FUZZ_CHECK(lo[i] * PAGE >= c->rig.start_dma && hi[i] * PAGE - 1 <= c->rig.end_dma);
		for (uint64_t p = lo[i]; p < hi[i]; p++) {
			FUZZ_CHECK(translate(c, p * PAGE, &phys) == 0);
			if (m->kind != K_SG)
				FUZZ_CHECK(phys == (m->phys & ~(PAGE - 1)) + (p - lo[i]) * PAGE);
		}
		for (unsigned int k = 0; k < c->nlive; k++) {
			unsigned int on = ranges(&c->live[k], olo, ohi);

			for (unsigned int j = 0; j < on; j++)
				FUZZ_CHECK(hi[i] <= olo[j] || ohi[j] <= lo[i]);
		}
	}
}

static void check_gone(struct ctx *c, const struct mapping *m)
{
	uint64_t lo[MAX_SG], hi[MAX_SG], phys;
	unsigned int n = ranges(m, lo, hi);

	for (unsigned int i = 0; i < n; i++)
		for (uint64_t p = lo[i]; p < hi[i]; p++)
			FUZZ_CHECK(translate(c, p * PAGE, &phys) != 0);
}

static enum iommusim_dma_dir pick_dir(struct ctx *c)
{
	static const enum iommusim_dma_dir dirs[] = {
		IOMMUSIM_DMA_BIDIRECTIONAL, IOMMUSIM_DMA_TO_DEVICE, IOMMUSIM_DMA_FROM_DEVICE};

	return dirs[next8(c) % 3];
}

static void do_map(struct ctx *c, enum kind kind)
{
	struct iommusim_cpu *cpu = c->rig.cpu[c->cur];
	struct mapping *m = &c->live[c->nlive];
	uint64_t before = net_pages(c), errors = unmap_errors(c), total = 0;
	int err;

	if (c->nlive == MAX_LIVE)
		return;
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->dir = pick_dir(c);
	switch (kind) {
	case K_PAGE:
		m->phys = (uint64_t)next16(c) * PAGE + (next8(c) % 4) * 1024;
		m->size = 1 + next16(c) % (4 * PAGE);
		err = iommusim_dma_map_page(c->rig.dev, cpu, m->phys, m->size, m->dir, &m->dma);
		break;
	case K_COHERENT:
		m->phys = (uint64_t)next16(c) * PAGE;
		m->size = (1 + next8(c) % 8) * PAGE;
		err = iommusim_dma_alloc_coherent(c->rig.dev, cpu, m->phys, m->size, &m->dma);
		break;
	default:
		m->nents = 1 + next8(c) % MAX_SG;
		for (unsigned int i = 0; i < m->nents; i++) {
			m->sg[i].phys = (uint64_t)next16(c) * PAGE + (next8(c) % 4) * 1024;
			m->sg[i].length = 1 + next16(c) % (2 * PAGE);
			total += m->sg[i].length;
		}
		err = iommusim_dma_map_sg(c->rig.dev, cpu, m->sg, m->nents, m->dir, &m->count);
		break;
	}
	if (err) {
		/*
		 * Nothing left mapped by a failed map, unless the legacy ops undid part of a list
		 * and that unmap's RPCIT failed too: those pages stay theirs for good.
		 */
		if (unmap_errors(c) != errors) {
			FUZZ_CHECK(net_pages(c) >= before);
			c->lost += net_pages(c) - before;
		} else {
			FUZZ_CHECK(net_pages(c) == before);
		}
		return;
	}
	if (kind == K_SG) {
		uint64_t sum = 0;

		FUZZ_CHECK(m->count >= 1 && m->count <= m->nents);
		for (unsigned int i = 0; i < m->count; i++)
			sum += m->sg[i].dma_length;
		FUZZ_CHECK(sum == total);
	}
	m->pages = net_pages(c) - before;
	check_new(c, m);
	c->nlive++;
}

static void do_unmap(struct ctx *c, unsigned int i)
{
	struct iommusim_cpu *cpu = c->rig.cpu[c->cur];
	struct mapping m = c->live[i];
	uint64_t before = net_pages(c), errors = unmap_errors(c);

	c->live[i] = c->live[--c->nlive];
	switch (m.kind) {
	case K_PAGE:
		iommusim_dma_unmap_page(c->rig.dev, cpu, m.dma, m.size, m.dir);
		break;
	case K_COHERENT:
		iommusim_dma_free_coherent(c->rig.dev, cpu, m.size, m.dma);
		break;
	default:
		iommusim_dma_unmap_sg(c->rig.dev, cpu, m.sg, m.nents, m.dir);
		break;
	}
	if (unmap_errors(c) != errors) {
		/*
		 * The legacy ops keep the pages of a failed unmap RPCIT counted as mapped, and
		 * their address, for good (of a list, only the segments whose RPCIT failed).
		 */
		FUZZ_CHECK(before - net_pages(c) < m.pages);
		c->lost += m.pages - (before - net_pages(c));
	} else {
		FUZZ_CHECK(before - net_pages(c) == m.pages);
	}
	check_gone(c, &m);
}

static void push_answer(struct ctx *c)
{
	static const uint8_t status[] = {0, IOMMUSIM_FW_STATUS_RESOURCES,
					 IOMMUSIM_FW_STATUS_RESOURCES_ALT, 8};
	unsigned int b = next8(c);

	if (iommusim_firmware_script_pending(c->rig.fw) < 32)
		FUZZ_CHECK(!iommusim_firmware_script_push(c->rig.fw, (uint8_t)(b % 4),
							  status[(b / 4) % 4]));
}

static void setup(struct ctx *c)
{
	static const enum zpci_rig_policy policies[] = {ZPCI_RIG_STRICT, ZPCI_RIG_FQ_PER_CPU,
							ZPCI_RIG_FQ_SINGLE, ZPCI_RIG_LEGACY_LAZY};
	unsigned int b0 = next8(c), b1 = next8(c), b2 = next8(c);
	unsigned int policy = b0 % 4;
	bool old = policy != 2 && ((b0 >> 3) & 1);
	struct zpci_rig_config cfg = {.ncpu = NCPU, .name = "fuzz"};

	cfg.policy = policies[policy];
	if (policy == 3 && ((b0 >> 3) & 1))
		cfg.policy = ZPCI_RIG_LEGACY_STRICT;
	cfg.zpci.fh = FH;
	cfg.zpci.tlb_refresh = (b0 >> 2) & 1;
	/* small windows, so that they run full */
	cfg.zpci.guest_memory = (1 + b2 % 32) * MiB;
	/* bounded, so that busy answers cannot spin */
	cfg.zpci.max_busy_retries = 3;
	/* 6.6 has one queue layout; 6.7 takes small queues that fill */
	cfg.dma.fq_size = old || b1 % 7 == 0 ? 0 : 1u << (b1 % 7);
	cfg.dma.fq_timeout_ms = old ? 0 : 1;
	cfg.dma.kernel = old ? IOMMUSIM_KERNEL_6_6 : IOMMUSIM_KERNEL_6_7;
	cfg.dma.forcedac = (b1 >> 3) & 1;
	cfg.set_enomem = true;
	cfg.enomem = (enum iommusim_s390_enomem)((b0 >> 4) % 3);
	FUZZ_CHECK(!zpci_rig_up(&c->rig, &cfg));
}

static void teardown(struct ctx *c)
{
	struct zpci_rig_leftover left;
	struct iommusim_dma_stats st;

	while (c->nlive)
		do_unmap(c, c->nlive - 1);
	iommusim_dma_iommu_flush_queue(c->rig.dev, c->rig.cpu[0]);
	iommusim_manual_clock_drain(c->rig.clock, 1u << 16);
	iommusim_dma_get_stats(c->rig.dev, &st);
	/* I/O conservation: every successful map was unmapped, every page given back. */
	FUZZ_CHECK(st.maps == st.unmaps);
	FUZZ_CHECK(net_pages(c) == c->lost);

	left = zpci_rig_down(&c->rig);
	FUZZ_CHECK(left.bytes == 0);
	FUZZ_CHECK(left.objects == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctx c;

	if (size > MAX_INPUT)
		return -1;
	memset(&c, 0, sizeof(c));
	c.data = data;
	c.size = size;
	setup(&c);
	while (c.pos < c.size) {
		unsigned int op = next8(&c) % 10;

		switch (op) {
		case 0:
			do_map(&c, K_PAGE);
			break;
		case 1:
			do_map(&c, K_SG);
			break;
		case 2:
			do_map(&c, K_COHERENT);
			break;
		case 3:
		case 4:
			if (c.nlive)
				do_unmap(&c, next8(&c) % c.nlive);
			break;
		case 5:
		case 6:
			push_answer(&c);
			break;
		case 7:
			iommusim_manual_clock_tick(c.rig.clock);
			break;
		case 8:
			iommusim_dma_iommu_flush_queue(c.rig.dev, c.rig.cpu[c.cur]);
			break;
		default:
			c.cur = next8(&c) % NCPU;
			break;
		}
	}
	teardown(&c);
	return 0;
}

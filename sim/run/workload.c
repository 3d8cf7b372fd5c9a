/* SPDX-License-Identifier: MIT */
/*
 * The workload options of a simulation in fio's vocabulary (bs, iodepth, numjobs, rw,
 * rwmixread) and the guest's size (cpus, mem), set from text: what `compare`, `sweep` and job
 * files take, checked here once so that every front end gives the same answers.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <iommusim/engine.h>
#include <iommusim/sim.h>

#include "base/compiler.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define TiB (1ull << 40)

enum opt { O_BS, O_IODEPTH, O_NUMJOBS, O_RW, O_RWMIXREAD, O_CPUS, O_MEM, NR_OPTS };

static const char *const names[NR_OPTS] = {
	[O_BS] = "bs",	 [O_IODEPTH] = "iodepth",     [O_NUMJOBS] = "numjobs",
	[O_RW] = "rw",	 [O_RWMIXREAD] = "rwmixread", [O_CPUS] = "cpus",
	[O_MEM] = "mem",
};

/* fio's patterns, in the order iommusim_sim_option_get() numbers them. */
static const struct {
	const char *name;
	bool sequential, write, mixed;
} patterns[] = {
	{"read", true, false, false},	   {"write", true, true, false},
	{"randread", false, false, false}, {"randwrite", false, true, false},
	{"rw", true, false, true},	   {"randrw", false, false, true},
	{"readwrite", true, false, true},
};

/* The named patterns; "readwrite" is fio's other name for "rw". */
#define NR_PATTERN_IDS 6

/* Bounds no real fio job on one NVMe function goes past, and the engine's CPU limit. */
#define MAX_IODEPTH 4096u
#define MAX_BS	    (2 * MiB)
#define MIN_MEM	    (64 * MiB)
#define MAX_MEM	    TiB

size_t iommusim_sim_option_count(void)
{
	return NR_OPTS;
}

const char *iommusim_sim_option_name(size_t index)
{
	return index < NR_OPTS ? names[index] : NULL;
}

int iommusim_sim_option_lookup(const char *key, size_t *index)
{
	assert(key);
	for (size_t i = 0; i < NR_OPTS; i++) {
		if (!strcmp(names[i], key)) {
			if (index)
				*index = i;
			return 0;
		}
	}
	return -ENOENT;
}

/* Decimal digits, then at most one suffix of @suffixes (1024-based, k first); 0 or -1. */
static int parse_size(const char *s, const char *suffixes, uint64_t *out)
{
	uint64_t v = 0, mult = 1;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (*s) {
		const char *at = strchr(suffixes, *s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);

		if (!at || s[1])
			return -1;
		for (const char *p = suffixes; p <= at; p++)
			mult *= KiB;
		if (v > UINT64_MAX / mult)
			return -1;
	}
	*out = v * mult;
	return 0;
}

static int bad(char *errbuf, size_t errlen, const char *key, const char *value, const char *problem)
{
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s: '%s' %s", key, value, problem);
	return -EINVAL;
}

int iommusim_sim_config_set(struct iommusim_sim_config *cfg, const char *key, const char *value,
			    char *errbuf, size_t errlen)
{
	struct iommusim_nvme_config *nvme;
	size_t opt;
	uint64_t v;

	assert(cfg && key && value);
	nvme = &cfg->nvme;
	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (iommusim_sim_option_lookup(key, &opt)) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "%s: not a workload option", key);
		return -ENOENT;
	}
	switch ((enum opt)opt) {
	case O_BS:
		if (parse_size(value, "km", &v) || v < 4 * KiB || v > MAX_BS || v % (4 * KiB))
			return bad(errbuf, errlen, key, value,
				   "is not a multiple of 4k from 4k to 2m");
		nvme->block_size = (uint32_t)v;
		return 0;
	case O_MEM:
		if (parse_size(value, "kmgt", &v) || v < MIN_MEM || v > MAX_MEM || v % MiB)
			return bad(errbuf, errlen, key, value,
				   "is not a multiple of 1m from 64m to 1t");
		cfg->guest_memory = v;
		return 0;
	case O_RW:
		for (size_t i = 0; i < ISIM_ARRAY_SIZE(patterns); i++) {
			if (strcmp(patterns[i].name, value))
				continue;
			nvme->sequential = patterns[i].sequential;
			nvme->write = patterns[i].write;
			nvme->mixed = patterns[i].mixed;
			return 0;
		}
		return bad(errbuf, errlen, key, value,
			   "is not read, write, randread, randwrite, rw or randrw");
	default:
		break;
	}
	/* The counts: plain decimal numbers. */
	if (parse_size(value, "", &v))
		return bad(errbuf, errlen, key, value, "is not a decimal number");
	switch ((enum opt)opt) {
	case O_IODEPTH:
		if (v < 1 || v > MAX_IODEPTH)
			return bad(errbuf, errlen, key, value, "is not in 1..4096");
		nvme->iodepth = (unsigned int)v;
		return 0;
	case O_NUMJOBS:
		if (v < 1 || v > IOMMUSIM_ENGINE_MAX_CPUS)
			return bad(errbuf, errlen, key, value, "is not in 1..4096");
		nvme->jobs = (unsigned int)v;
		return 0;
	case O_CPUS:
		if (v < 1 || v > IOMMUSIM_ENGINE_MAX_CPUS)
			return bad(errbuf, errlen, key, value, "is not in 1..4096");
		cfg->cpus = (unsigned int)v;
		return 0;
	case O_RWMIXREAD:
		if (v > 100)
			return bad(errbuf, errlen, key, value, "is not in 0..100");
		nvme->rwmixread = (unsigned int)v;
		return 0;
	default:
		return -ENOENT; /* every option is handled above */
	}
}

/* The index of @nvme's pattern in patterns[]. */
static size_t pattern_of(const struct iommusim_nvme_config *nvme)
{
	for (size_t i = 0; i < NR_PATTERN_IDS; i++)
		if (patterns[i].sequential == nvme->sequential &&
		    patterns[i].mixed == nvme->mixed &&
		    (nvme->mixed || patterns[i].write == nvme->write))
			return i;
	return 0;
}

const char *iommusim_sim_rw_name(const struct iommusim_nvme_config *nvme)
{
	assert(nvme);
	return patterns[pattern_of(nvme)].name;
}

uint64_t iommusim_sim_option_get(const struct iommusim_sim_config *cfg, size_t index)
{
	assert(cfg);
	switch (index) {
	case O_BS:
		return cfg->nvme.block_size;
	case O_IODEPTH:
		return cfg->nvme.iodepth;
	case O_NUMJOBS:
		return cfg->nvme.jobs;
	case O_RW:
		return pattern_of(&cfg->nvme);
	case O_RWMIXREAD:
		return cfg->nvme.rwmixread;
	case O_CPUS:
		return cfg->cpus;
	case O_MEM:
		return cfg->guest_memory;
	default:
		return 0;
	}
}

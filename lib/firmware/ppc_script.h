/* SPDX-License-Identifier: MIT */
/*
 * The scriptable powerpc platform's state, shared by its files: the calls and their checks
 * (ppc_firmware_script.c), the TCE values it keeps (ppc_script_tces.c) and what a test reads
 * back (ppc_script_inspect.c). The API is in firmware/ppc_firmware.h.
 */
#ifndef ISIM_FIRMWARE_PPC_SCRIPT_H
#define ISIM_FIRMWARE_PPC_SCRIPT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "firmware/ppc_firmware.h"

/* Windows a PE can have in this model (QEMU has two); a config may ask for fewer. */
#define ISIM_SCRIPT_MAX_WINDOWS 4
/* LIOBNs handed to created windows: this plus the window's slot. */
#define ISIM_SCRIPT_DDW_LIOBN 0x80000000u

struct isim_script_window {
	bool used;
	uint32_t liobn;
	uint64_t offset; /* bus address of the first byte */
	uint64_t entries;
	unsigned int shift;
};

struct isim_script_rule {
	enum isim_ppc_call kind;
	uint64_t first;
	uint64_t count; /* 0: for ever */
	long rc;
};

/* A tracked TCE; value 0 marks an empty slot. */
struct isim_script_slot {
	uint64_t entry;
	uint32_t liobn;
	uint64_t value;
};

struct isim_ppc_script {
	struct iommusim_mem *mem;
	pthread_mutex_t lock;
	struct isim_ppc_script_config cfg;
	struct isim_script_window win[ISIM_SCRIPT_MAX_WINDOWS];
	bool limited;
	uint64_t ncalls[ISIM_PPC_CALL_NR];
	struct isim_script_rule *rules;
	size_t nrules, rules_cap;
	struct isim_ppc_call_rec *log;
	size_t log_len, log_cap;
	/* open addressing, linear probing, capacity a power of two */
	struct isim_script_slot *slots;
	uint64_t nslots, used_slots;
	uint64_t track_failures;
};

/* The script behind @fw, or NULL when @fw runs on another platform. */
struct isim_ppc_script *isim_ppc_script_of(struct isim_ppc_fw *fw);
/* The window with @liobn, NULL if the PE has none. Called with the lock held, as all below. */
struct isim_script_window *isim_script_find(struct isim_ppc_script *s, uint32_t liobn);
/* The slot of TCE @entry of @liobn, or the empty slot where it would go; NULL with no table. */
struct isim_script_slot *isim_script_lookup(struct isim_ppc_script *s, uint32_t liobn,
					    uint64_t entry);
/* Keep @value for TCE @entry of @liobn (0 forgets it); false when memory ran out. */
bool isim_script_track(struct isim_ppc_script *s, uint32_t liobn, uint64_t entry, uint64_t value);
/* Forget a window and every TCE kept for it. */
void isim_script_forget(struct isim_ppc_script *s, struct isim_script_window *w);

#endif /* ISIM_FIRMWARE_PPC_SCRIPT_H */

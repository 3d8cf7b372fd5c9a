/* SPDX-License-Identifier: MIT */
/* Work reports charged as busy time by the engine itself, summed per CPU (engine.c). */
#ifndef ISIM_ENGINE_WORK_TALLY_H
#define ISIM_ENGINE_WORK_TALLY_H

#include <stdint.h>
#include <iommusim/cpu.h>
#include <iommusim/engine.h>

/*
 * isim_engine_tally_work() - make every work report on the engine's CPUs busy time of the CPU
 * that made it: @cycles[kind] per unit, as iommusim_engine_cpu_charge() would charge it at the
 * time of the report. The reports are summed per CPU and charged before the CPU's busy time
 * is next read or the engine's time moves, which books exactly the same times as a charge per
 * report, without a call per report. @cycles stays the caller's and must outlive the setting;
 * NULL ends it.
 */
void isim_engine_tally_work(struct iommusim_engine *e, const uint64_t cycles[IOMMUSIM_WORK_NR]);

#endif /* ISIM_ENGINE_WORK_TALLY_H */

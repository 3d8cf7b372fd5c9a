/* SPDX-License-Identifier: MIT */
/** @file error.h  Error convention: functions return 0 or a negative errno value. */
#ifndef IOMMUSIM_ERROR_H
#define IOMMUSIM_ERROR_H

#include <iommusim/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * iommusim_strerror() - describe an error code returned by an iommusim function.
 * @err: a negative errno value as returned by the library (a positive value is accepted too).
 *
 * Return: a static, human-readable string; never NULL.
 */
IOMMUSIM_API const char *iommusim_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUSIM_ERROR_H */

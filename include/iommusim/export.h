/* SPDX-License-Identifier: MIT */
/** @file export.h  Marks the symbols that form the library's ABI. */
#ifndef IOMMUSIM_EXPORT_H
#define IOMMUSIM_EXPORT_H

/*
 * The library is built with hidden visibility; only declarations carrying IOMMUSIM_API are
 * exported from the shared object, and the version script pins them to a symbol version.
 */
#if defined(__GNUC__) || defined(__clang__)
#define IOMMUSIM_API __attribute__((visibility("default")))
#else
#define IOMMUSIM_API
#endif

#endif /* IOMMUSIM_EXPORT_H */

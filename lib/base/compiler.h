/* SPDX-License-Identifier: MIT */
/* Small compiler helpers shared by the library's C files. */
#ifndef ISIM_BASE_COMPILER_H
#define ISIM_BASE_COMPILER_H

#define isim_likely(x)	 __builtin_expect(!!(x), 1)
#define isim_unlikely(x) __builtin_expect(!!(x), 0)

#define ISIM_CACHELINE 64

#define ISIM_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* ISIM_BASE_COMPILER_H */

/* SPDX-License-Identifier: MIT */
/* JSON text for the bench reports: the one string writer every report uses. */
#ifndef ISIM_BENCH_JSON_H
#define ISIM_BENCH_JSON_H

#include <stdio.h>

/*
 * Write @s as a JSON string literal that is always valid UTF-8 JSON, whatever bytes @s holds
 * (a file name on the command line may hold any): '"' and '\' escaped, control characters
 * (U+0000..U+001F, U+007F) as \u00XX, well-formed UTF-8 copied, and each maximal ill-formed
 * subsequence (overlongs, surrogates, beyond U+10FFFF, truncated or stray bytes) replaced by
 * one U+FFFD, as the Unicode standard recommends (chapter 3, "U+FFFD Substitution").
 */
void json_string(FILE *f, const char *s);

#endif /* ISIM_BENCH_JSON_H */

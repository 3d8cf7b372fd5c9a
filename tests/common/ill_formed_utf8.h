/* SPDX-License-Identifier: MIT */
/*
 * A string for the JSON writers' escaping: control characters, ill-formed UTF-8 of every kind
 * and valid sequences between them (ILL_UTF8), and the JSON string they must become
 * (ILL_UTF8_QUOTED, without its quotes): control characters escaped, each maximal ill-formed
 * subsequence one U+FFFD (as the Unicode standard recommends), valid sequences as they were.
 */
#ifndef TESTS_COMMON_ILL_FORMED_UTF8_H
#define TESTS_COMMON_ILL_FORMED_UTF8_H

#define ILL_UTF8_FFFD "\xef\xbf\xbd" /* U+FFFD */

#define ILL_UTF8                                                                                   \
	"a\xff"                                                                                    \
	"b\x01"                                                                                    \
	"c\xe0\x80\x80"		/* overlong */                                                     \
	"d\xed\xa0\x80"		/* a surrogate */                                                  \
	"e\xf4\x90\x80\x80"	/* above U+10FFFF */                                               \
	"f\xe2\x82"		/* truncated */                                                    \
	"g\xf0\x9f\x98\x80"	/* U+1F600 */                                                      \
	"h\"i\\j\x7f"		/* quote, backslash, DEL */                                        \
	"k\xc3\xa9"		/* U+00E9 */                                                       \
	"l\xc0\xaf"		/* overlong '/' */                                                 \
	"m\xf8\x88\x80\x80\x80" /* five bytes */                                                   \
	"n\xf4\x8f\xbf\xbf"	/* U+10FFFF */                                                     \
	"o\x1f"

#define ILL_UTF8_QUOTED                                                                            \
	"a" ILL_UTF8_FFFD "b\\u0001c" ILL_UTF8_FFFD ILL_UTF8_FFFD ILL_UTF8_FFFD                    \
	"d" ILL_UTF8_FFFD ILL_UTF8_FFFD ILL_UTF8_FFFD                                              \
	"e" ILL_UTF8_FFFD ILL_UTF8_FFFD ILL_UTF8_FFFD ILL_UTF8_FFFD "f" ILL_UTF8_FFFD              \
	"g\xf0\x9f\x98\x80h\\\"i\\\\j\\u007fk\xc3\xa9l" ILL_UTF8_FFFD ILL_UTF8_FFFD                \
	"m" ILL_UTF8_FFFD ILL_UTF8_FFFD ILL_UTF8_FFFD ILL_UTF8_FFFD ILL_UTF8_FFFD                  \
	"n\xf4\x8f\xbf\xbfo\\u001f"

#endif /* TESTS_COMMON_ILL_FORMED_UTF8_H */

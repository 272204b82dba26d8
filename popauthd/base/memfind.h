/*
 * memfind.h - find a literal in a log line, as memmem does, but faster.
 *
 * For rule.c's prefilter: every line of a tag with rules is searched for its
 * gate and then for each rule's literal, so on a busy log this search was a
 * fifth of the scanner thread in glibc's memmem.  memfind compares the
 * needle's first and last bytes at 16 places at once (SSE2; 32 with AVX2)
 * and checks the rest only where both agree; without SSE2 it is memmem.
 */
#ifndef POPAUTHD_MEMFIND_H
#define POPAUTHD_MEMFIND_H

#include <stdbool.h>
#include <stddef.h>

/* memfind - first occurrence of needle (k bytes) in hay (n bytes), or NULL */
const char *memfind(const char *hay, size_t n, const char *needle, size_t k);
/*
 * memfind_use_avx2 - for the tests, before any thread: whether to take the
 * AVX2 blocks (on by default where the CPU has AVX2); true if it has
 */
bool memfind_use_avx2(bool on);

#endif

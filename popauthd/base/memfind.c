/*
 * memfind.c - SSE2 literal search (see memfind.h).
 *
 * A block is the 16 start places i..i+15: one load at i compared with the
 * needle's first byte, one at i+k-1 with its last, and a memcmp of the
 * middle for each place where both hold.  Loads never reach past hay + n:
 * the last block is moved back to end at the last start place, and places
 * an earlier block checked are masked off.  Fewer than 16 start places in
 * all are checked one by one.
 */
#include "memfind.h"

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
#endif

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

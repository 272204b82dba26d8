/*
 * check_memfind.c - memfind finds what memmem finds: random texts over a
 * small alphabet (many near misses) at every length and needle length, the
 * needle placed at every offset, and hay buffers of exactly n bytes so that
 * ASan sees any read past their end.  Each test runs twice: with the SSE2
 * blocks only, and with the AVX2 ones for 32 or more start places where
 * the CPU has AVX2 (CI's machines do).
 */
#include "test.h"

#include "memfind.h"

#include <stdlib.h>
#include <string.h>

/* the loop index picks the blocks: 0 SSE2 only, 1 AVX2 where there is */
static void
simd(int avx2)
{
	memfind_use_avx2(avx2 != 0);
}

/* agree - memfind and memmem give the same answer for needle in hay */
static void
agree(const char *hay, size_t n, const char *needle, size_t k)
{
	const char *want = memmem(hay, n, needle, k);
	const char *got = memfind(hay, n, needle, k);

	ck_assert_msg(got == want, "n=%zu k=%zu: memfind %td, memmem %td", n, k,
	    got ? got - hay : -1, want ? want - hay : -1);
}

START_TEST(test_random)
{
	unsigned seed = 1;
	size_t n, k, t, at;

	simd(_i);
	for (n = 0; n <= 80; n++)
		for (k = 0; k <= 20; k++)
			for (t = 0; t < 40; t++) {
				char *hay = malloc(n ? n : 1);
				char *nd = malloc(k ? k : 1);
				size_t i;

				ck_assert_ptr_nonnull(hay);
				ck_assert_ptr_nonnull(nd);
				for (i = 0; i < n; i++)
					hay[i] = "ab:"[rand_r(&seed) % 3];
				for (i = 0; i < k; i++)
					nd[i] = "ab:"[rand_r(&seed) % 3];
				agree(hay, n, nd, k);
				if (k > 0 && k <= n) {
					/* placed: found at or before at */
					at =
					    (size_t)rand_r(&seed) % (n - k + 1);
					memcpy(hay + at, nd, k);
					agree(hay, n, nd, k);
				}
				free(hay);
				free(nd);
			}
}
END_TEST

START_TEST(test_every_offset)
{
	static const char needle[] = ": reject:";
	size_t k = sizeof(needle) - 1, n, at;

	simd(_i);
	for (n = k; n <= 200; n++)
		for (at = 0; at + k <= n; at++) {
			char *hay = malloc(n);

			ck_assert_ptr_nonnull(hay);
			memset(
			    hay, ':', n); /* first and last bytes agree often */
			memcpy(hay + at, needle, k);
			ck_assert_ptr_eq(memfind(hay, n, needle, k), hay + at);
			hay[at + 4] =
			    'X'; /* a near miss: only the middle differs */
			agree(hay, n, needle, k);
			free(hay);
		}
}
END_TEST

START_TEST(test_edges)
{
	simd(_i);
	ck_assert_ptr_null(memfind("abc", 3, "abcd", 4));
	ck_assert_ptr_null(memfind("", 0, "a", 1));
	ck_assert_str_eq(memfind("xyz", 3, "", 0), "xyz");
	ck_assert_str_eq(memfind("a\0bc", 4, "\0b", 2) + 1, "bc");
}
END_TEST

static Suite *
memfind_suite(void)
{
	Suite *s = suite_create("memfind");
	TCase *tc = tcase_create("memfind");

	tcase_add_loop_test(tc, test_random, 0, 2);
	tcase_add_loop_test(tc, test_every_offset, 0, 2);
	tcase_add_loop_test(tc, test_edges, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(memfind_suite)

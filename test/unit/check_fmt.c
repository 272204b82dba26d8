/*
 * check_fmt.c - fmt_v writes exactly what vsnprintf writes: every
 * conversion it does itself, at the limits of each integer type, cut at
 * every buffer size, and the formats it hands to vsnprintf.
 */
#include "test.h"

#include "fmt.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* same - fmt_v and vsnprintf agree on fmt at every size up to the text's */
static void same(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
same(const char *fmt, ...)
{
	char want[600], got[600];
	va_list ap, aq;
	int nw, ng;
	size_t size;

	va_start(ap, fmt);
	va_copy(aq, ap);
	nw = vsnprintf(want, sizeof(want), fmt, aq);
	va_end(aq);
	for (size = 1; size <= (size_t)nw + 1 && size <= sizeof(got); size++) {
		va_copy(aq, ap);
		memset(got, 'X', sizeof(got));
		ng = fmt_v(got, size, fmt, aq);
		va_end(aq);
		ck_assert_int_eq(ng, nw);
		ck_assert_mem_eq(got, want, size - 1);
		ck_assert_int_eq(got[size - 1], '\0');
	}
	va_end(ap);
}

START_TEST(test_conversions)
{
	same("plain text, no conversion");
	same("%s", "");
	same("%s [%s] has been refused again, x %lu (%lu total)", "192.0.2.1",
	    "mail.example.net", 3UL, 17UL);
	same("%%d is %d, %i, %u", -42, INT_MIN, UINT_MAX);
	same("%ld %lu %lld %llu", LONG_MIN, ULONG_MAX, LLONG_MIN, ULLONG_MAX);
	same("%zu %zd", (size_t)SIZE_MAX, (ssize_t)-5);
	same("%.3s|%.*s|%.0s|%s", "abcdef", 2, "xyz", "gone", (char *)"");
	same("%c%c%c", 'a', 0x7f, '%');
	same("rate = %.6f, %.1f/min, %f, %.0f", 0.0001234, 2.25, -1e300, 0.5);
	same("%.2f", 1.7976931348623157e308);
	same("trailing %%");
}
END_TEST

START_TEST(test_handed_to_vsnprintf)
{
	same("%5s|%-3d|%03u", "ab", 7, 9u);
	same("%x %o %p", 255u, 8u, (void *)0);
	same("%e %g", 1.5, 2.5);
	same("%.123f", 1.0);
	same("%hhu %hd", (unsigned char)200, (short)-3);
}
END_TEST

static Suite *
fmt_suite(void)
{
	Suite *s = suite_create("fmt");
	TCase *tc = tcase_create("fmt");

	tcase_add_test(tc, test_conversions);
	tcase_add_test(tc, test_handed_to_vsnprintf);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(fmt_suite)

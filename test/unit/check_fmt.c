/*
 * check_fmt.c - fmt_v writes exactly what vsnprintf writes: every
 * conversion it does itself, at the limits of each integer type, cut at
 * every buffer size, and the formats it hands to vsnprintf.
 */
#include "test.h"

#include "fmt.h"

#include <limits.h>
#include <math.h>
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
	/* strings around the 16 bytes copied as read, cut by a precision */
	same("%s|%s|%s|%.16s|%.17s|%.40s|%.*s", "0123456789abcde",
	    "0123456789abcdef", "0123456789abcdefg",
	    "0123456789abcdefghijklmnopqrstuvwxyz",
	    "0123456789abcdefghijklmnopqrstuvwxyz",
	    "0123456789abcdefghijklmnopqrstuvwxyz", -1, "negative: all of it");
	same("%.f|%.0f|%.99f|%.9f", 2.5, 3.5, 1.0, 1e-9);
	same("%.s|%.0s|%.1s", "x", "y", "z");
	same("a%sb%sc%%d%se", "", "long enough to pass sixteen bytes", "");
}
END_TEST

/* fmt1 - fmt_v with arguments */
static int
fmt1(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_v(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* %f is done in integers: its rounding must be printf's, ties included */
START_TEST(test_fixed_point)
{
	static const double fixed[] = {0.0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.125,
	    0.375, 1e-7, 5e-7, 4.9999995e-7, 0.05, 0.15, 0.25, 0.35, 1e-300,
	    4.9e-324, 123456.7890125, 9.2e18 - 4096, -9.1e18, 1e15 + 0.5,
	    0.0000005, 999999.9999995, 1.0 / 3, 2.0 / 3, 1e-10};
	static const char *const f[10] = {"%.0f", "%.1f", "%.2f", "%.3f",
	    "%.4f", "%.5f", "%.6f", "%.7f", "%.8f", "%.9f"};
	uint64_t x = 88172645463325252ULL;
	char want[420], got[420];
	size_t i;
	int prec;

	for (i = 0; i < 200000; i++) {
		double v;
		uint64_t bits;

		if (i < sizeof(fixed) / sizeof(fixed[0])) {
			v = fixed[i];
		} else if (i % 3 == 0) {
			/* a tie or near one: k / 2^s */
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			v = ldexp((double)(x % 100000), -(int)((x >> 20) % 24));
		} else {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* any sign and mantissa, an exponent from 2^-70 to 2^70 */
			bits = (x & 0x800fffffffffffffULL) |
			    (uint64_t)(1023 - 70 + (x >> 52) % 141) << 52;
			memcpy(&v, &bits, sizeof(v));
		}
		for (prec = 0; prec <= 9; prec++) {
			snprintf(want, sizeof(want), "%.*f", prec, v);
			fmt1(got, sizeof(got), f[prec], v);
			if (strcmp(got, want) != 0)
				ck_abort_msg(
				    "%.17g %%.%df: fmt_v %s, printf %s", v,
				    prec, got, want);
		}
	}
}
END_TEST

START_TEST(test_handed_to_vsnprintf)
{
	same("%5s|%-3d|%03u", "ab", 7, 9u);
	same("%x %o %p", 255u, 8u, (void *)0);
	same("%e %g", 1.5, 2.5);
	same("%.123f", 1.0);
	same("%hhu %hd", (unsigned char)200, (short)-3);
	/* one conversion that is not ours, after some that are */
	same("%s %d %x", "ab", 7, 255u);
	same("%lu %.3s %5d", 9UL, "abcdef", 4);
	same("%.*s %.*f", 2, "xyz", 3, 1.25);
	same("%.1234s|%.123f", "abc", 2.0);
	same("%lf %zx %lld", 1.5, (size_t)255, 7LL);
}
END_TEST

static Suite *
fmt_suite(void)
{
	Suite *s = suite_create("fmt");
	TCase *tc = tcase_create("fmt");

	tcase_add_test(tc, test_conversions);
	tcase_add_test(tc, test_fixed_point);
	tcase_add_test(tc, test_handed_to_vsnprintf);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(fmt_suite)

/*
 * check_clock.c - clock_stamp writes what localtime_r and strftime write,
 * in zones with whole-hour, half-hour and 30-minute DST shifts and with
 * leap seconds: random
 * times, every second across a day with a DST change, and a switch of zone
 * between two calls.
 */
#include "test.h"

#include "clock.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const zones[] = {"UTC", "Europe/Berlin", "America/St_Johns",
    "Australia/Lord_Howe", "Asia/Kolkata",
    "right/UTC"}; /* leap seconds, where tzdata has them */

/* same - clock_stamp of t agrees with strftime in both styles */
static void
same(time_t t)
{
	char want[64], got[CLOCK_STAMP_MAX];
	struct tm tm;
	int s;

	ck_assert_ptr_nonnull(localtime_r(&t, &tm));
	for (s = CLOCK_SYSLOG; s <= CLOCK_ISO; s++) {
		size_t n = s == CLOCK_ISO
		    ? strftime(want, sizeof(want), "%Y-%m-%d %H:%M:%S", &tm)
		    : strftime(want, sizeof(want), "%b %e %H:%M:%S", &tm);
		size_t m = clock_stamp(got, t, (enum clock_style)s);

		ck_assert_msg(m == n && strcmp(got, want) == 0,
		    "TZ=%s t=%lld: \"%s\", want \"%s\"", getenv("TZ"),
		    (long long)t, got, want);
	}
}

START_TEST(test_zones)
{
	static const time_t days[] = {1774656000, 1775260800, 1792800000};
	static const time_t changes[] = {1774746000, 1775314800, 1792890000};
	unsigned seed = 7;
	time_t t;
	int i;

	setenv("TZ", zones[_i], 1);
	tzset();
	for (i = 0; i < 40000; i++) {
		t = (time_t)(((unsigned long long)rand_r(&seed) << 16 ^
		                 (unsigned long long)rand_r(&seed)) %
		    8000000000ULL);
		same(t);
	}
	/*
	 * 2026-03-28..29 (EU spring change), 2026-04-04..05 (Lord Howe's
	 * autumn change, 30 minutes) and 2026-10-24..25 (EU autumn change),
	 * UTC: every 7th second (all seconds of the minute come round), and
	 * every second for 5 minutes either side of each change
	 */
	for (i = 0; i < (int)NITEMS(days); i++) {
		for (t = days[i]; t < days[i] + 2 * 86400; t += 7)
			same(t);
		for (t = changes[i] - 300; t < changes[i] + 300; t++)
			same(t);
	}
	/* the leap second at the end of 2016 (right/UTC: t = 1483228826) */
	for (t = 1483228826 - 150; t < 1483228826 + 150; t++)
		same(t);
	for (t = 0; t < 120; t++) /* the first minutes, and negative times */
		same(t - 60);
}
END_TEST

START_TEST(test_zone_switch)
{
	const time_t t = 1774760400; /* 2026-03-29 05:00 UTC */
	char a[CLOCK_STAMP_MAX], b[CLOCK_STAMP_MAX];

	setenv("TZ", "UTC", 1);
	tzset();
	clock_stamp(a, t, CLOCK_ISO);
	ck_assert_str_eq(a, "2026-03-29 05:00:00");
	setenv("TZ", "Asia/Kolkata", 1);
	tzset();
	clock_stamp(b, t, CLOCK_ISO); /* the same second, another zone */
	ck_assert_str_eq(b, "2026-03-29 10:30:00");
	clock_stamp(b, t + 1, CLOCK_ISO); /* same minute, other zone */
	ck_assert_str_eq(b, "2026-03-29 10:30:01");
	same(t + 2);
}
END_TEST

START_TEST(test_wide_years)
{
	char buf[CLOCK_STAMP_MAX];

	setenv("TZ", "UTC", 1);
	tzset();
	ck_assert_uint_eq(clock_stamp(buf, 253402300800LL, CLOCK_ISO), 20);
	ck_assert_str_eq(buf, "10000-01-01 00:00:00");
	same(253402300799LL);
	same(-62135596800LL); /* 0001-01-01 */
}
END_TEST

static Suite *
clock_suite(void)
{
	Suite *s = suite_create("clock");
	TCase *tc = tcase_create("stamp");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_zones, 0, NITEMS(zones));
	tcase_add_test(tc, test_zone_switch);
	tcase_add_test(tc, test_wide_years);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(clock_suite)

/*
 * check_log.c - held event lines: sealed segments are written in order
 * once their tags are ready, and the ones not yet ready keep waiting
 * under their own tags; the same through the write-behind thread.  In
 * batch mode (a replay) lines go out on their own past 1 MiB, in order.
 */
#include "test.h"

#include "log.h"
#include "wbehind.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[] = "/tmp/check_log.XXXXXX";

static void
setup(void)
{
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(log_open(path, false, false), 0);
}

static void
teardown(void)
{
	log_close();
	unlink(path);
	strcpy(path, "/tmp/check_log.XXXXXX");
}

/* upto - ready when both tags are at most *arg */
static bool
upto(void *arg, unsigned long long t0, unsigned long long t1)
{
	unsigned long long max = *(unsigned long long *)arg;

	return t0 <= max && t1 <= max;
}

/* logged - how many lines of the file contain s */
static int
logged(const char *s)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, s) != NULL;
	fclose(f);
	return n;
}

/* three commits, tables ready for the first only, then for all */
static void
three_seals(void)
{
	unsigned long long ready = 1;

	log_event("event one");
	log_events_seal(1, 1);
	log_event("event two");
	log_events_seal(2, 2);
	log_event("event three");
	log_events_seal(3, 3);
	log_events_release(upto, &ready);
	ck_assert(log_events_waiting()); /* two and three, sealed */
	ready = 2;
	log_events_release(upto, &ready);
	ck_assert(log_events_waiting());
	ready = 3;
	log_events_release(upto, &ready);
	ck_assert(!log_events_waiting());
	ck_assert_uint_eq(log_events_held(), 0);
}

START_TEST(test_seals_in_order)
{
	unsigned long long ready = 1;

	log_event("event one");
	log_events_seal(1, 1);
	log_event("event two");
	log_events_seal(2, 2);
	log_events_release(upto, &ready);
	ck_assert_int_eq(logged("event one"), 1);
	ck_assert_int_eq(logged("event two"), 0);
	/* "two" keeps its own seal: it goes once tag 2 is ready */
	ck_assert(log_events_waiting());
	ready = 2;
	log_events_release(upto, &ready);
	ck_assert_int_eq(logged("event two"), 1);
	ck_assert(!log_events_waiting());
}
END_TEST

START_TEST(test_seals_behind)
{
	wb_start();
	three_seals();
	wb_stop();
	ck_assert_int_eq(logged("event one"), 1);
	ck_assert_int_eq(logged("event two"), 1);
	ck_assert_int_eq(logged("event three"), 1);
}
END_TEST

/* batch mode: held until 1 MiB, then written, whole and in order */
START_TEST(test_batch_writes_past_a_mib)
{
	char line[512], want[64];
	FILE *f;
	int i, n = 0;

	log_set_batch(true);
	for (i = 0; i < 8000; i++) /* about 1.1 MiB */
		log_info("batch line %05d %0100d", i, 0);
	log_set_batch(false);
	/* written, not held: the lines past the last MiB stay */
	ck_assert_uint_lt(log_events_held(), 1024 * 1024);
	ck_assert_uint_gt(log_events_held(), 0);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		snprintf(want, sizeof(want), ": batch line %05d ", n);
		ck_assert_ptr_nonnull(strstr(line, want));
		n++;
	}
	fclose(f);
	ck_assert_int_gt(n, 6000);
	ck_assert_int_lt(n, 8000);
	log_events_flush();
	ck_assert_int_eq(logged(": batch line "), 8000);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_seals_in_order);
	tcase_add_test(tc, test_seals_behind);
	tcase_add_test(tc, test_batch_writes_past_a_mib);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(log_suite)

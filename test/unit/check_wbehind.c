/*
 * check_wbehind.c - the write-behind thread: writes land in the order
 * given, at their offsets, a buffer is free again once its ticket is
 * waited for, and a failed write is reported once, to its own fd.
 */
#include "test.h"

#include "wbehind.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[] = "/tmp/check_wbehind.XXXXXX";
static int fd = -1;

static void
setup(void)
{
	ck_assert_int_ge(fd = mkstemp(path), 0);
}

static void
teardown(void)
{
	close(fd);
	unlink(path);
	strcpy(path, "/tmp/check_wbehind.XXXXXX");
}

/* slurp - the file's text (malloc'd) */
static char *
slurp(void)
{
	char *buf = malloc(1 << 20);
	ssize_t n;

	ck_assert_ptr_nonnull(buf);
	n = pread(fd, buf, (1 << 20) - 1, 0);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	return buf;
}

/* four buffers reused as their tickets come back: appends in order */
START_TEST(test_order_and_reuse)
{
	char b[4][32], want[8192] = "";
	unsigned long t[4] = {0};
	char *got;
	int i;

	ck_assert_int_ne(fcntl(fd, F_SETFL, O_APPEND), -1);
	wb_start();
	ck_assert(wb_running());
	for (i = 0; i < 300; i++) {
		int k = i % 4;

		wb_wait(t[k]);
		snprintf(b[k], sizeof(b[k]), "line %d\n", i);
		strcat(want, b[k]);
		t[k] = wb_write(fd, b[k], strlen(b[k]), WB_APPEND, NULL);
	}
	ck_assert_int_eq(wb_drain(fd, NULL), 0);
	got = slurp();
	ck_assert_str_eq(got, want);
	free(got);
	wb_stop();
	ck_assert(!wb_running());
	wb_wait(t[0]); /* stopped: returns at once */
}
END_TEST

/* writes at offsets land there, whatever their order */
START_TEST(test_offsets)
{
	char *got, w[] = "world", h[] = "hello ";

	wb_start();
	(void)wb_write(fd, w, 5, 6, NULL);
	(void)wb_write(fd, h, 6, 0, NULL);
	ck_assert_int_eq(wb_drain(fd, NULL), 0);
	wb_stop();
	got = slurp();
	ck_assert_str_eq(got, "hello world");
	free(got);
}
END_TEST

/* a failure is the failing fd's, reported once, with its offset */
START_TEST(test_failure)
{
	int ro = open(path, O_RDONLY);
	uint64_t off = 0;
	char x[] = "x", y[] = "y", ok[] = "ok";

	ck_assert_int_ge(ro, 0);
	wb_start();
	(void)wb_write(ro, x, 1, 4096, NULL);
	(void)wb_write(ro, y, 1, 8192, NULL);
	(void)wb_write(fd, ok, 2, 0, NULL);
	ck_assert_int_eq(wb_drain(fd, NULL), 0);
	errno = 0;
	ck_assert_int_eq(wb_drain(ro, &off), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_uint_eq(off, 4096); /* the first */
	ck_assert_int_eq(wb_drain(ro, &off), 0);
	wb_stop();
	close(ro);
}
END_TEST

/* upper - a seal: the buffer in capitals */
static void
upper(void *p, size_t len)
{
	char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i] >= 'a' && c[i] <= 'z')
			c[i] = (char)(c[i] - 'a' + 'A');
}

/* a seal runs on the buffer before its write, on the thread */
START_TEST(test_seal)
{
	char a[] = "sealed ", b[] = "plain";
	char *got;

	wb_start();
	(void)wb_write(fd, a, 7, 0, upper);
	(void)wb_write(fd, b, 5, 7, NULL);
	ck_assert_int_eq(wb_drain(fd, NULL), 0);
	wb_stop();
	got = slurp();
	ck_assert_str_eq(got, "SEALED plain");
	ck_assert_str_eq(a, "SEALED "); /* in the caller's buffer */
	free(got);
}
END_TEST

static Suite *
wbehind_suite(void)
{
	Suite *s = suite_create("wbehind");
	TCase *tc = tcase_create("wbehind");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_order_and_reuse);
	tcase_add_test(tc, test_offsets);
	tcase_add_test(tc, test_seal);
	tcase_add_test(tc, test_failure);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(wbehind_suite)

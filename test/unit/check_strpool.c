/*
 * check_strpool.c - the shared string pool hands out one copy per distinct
 * string, counts references, and frees a string (and, at the end, its table)
 * when the last reference goes.
 */
#include "test.h"

#include "strpool.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

START_TEST(test_strpool_share)
{
	char buf[32];
	const char *a, *b, *c;

	ck_assert_uint_eq(strpool_count(), 0);
	snprintf(buf, sizeof(buf), "%s", "zen.spamhaus.org");
	a = strpool_get(buf);
	b = strpool_get("zen.spamhaus.org");
	c = strpool_get("bl.spamcop.net");
	ck_assert_ptr_eq(a, b);   /* one copy per distinct string */
	ck_assert_ptr_ne(a, buf); /* a copy, not the caller's buffer */
	ck_assert_str_eq(a, "zen.spamhaus.org");
	ck_assert_str_eq(c, "bl.spamcop.net");
	ck_assert_uint_eq(strpool_count(), 2);
	strpool_put(a);
	ck_assert_uint_eq(strpool_count(), 2); /* b still holds it */
	ck_assert_str_eq(b, "zen.spamhaus.org");
	strpool_put(b);
	ck_assert_uint_eq(strpool_count(), 1);
	strpool_put(c);
	strpool_put(NULL);
	ck_assert_uint_eq(strpool_count(), 0);
	/* the empty string is a string like any other */
	a = strpool_get("");
	ck_assert_str_eq(a, "");
	ck_assert_ptr_eq(strpool_get(""), a);
	strpool_put(a);
	strpool_put(a);
	ck_assert_uint_eq(strpool_count(), 0);
}
END_TEST

/* many distinct strings: growth keeps every one; all puts leave nothing */
START_TEST(test_strpool_many)
{
	enum { N = 5000 };
	static const char *p[N];
	char buf[32];
	size_t i;

	for (i = 0; i < N; i++) {
		snprintf(buf, sizeof(buf), "list%zu.example", i);
		p[i] = strpool_get(buf);
	}
	ck_assert_uint_eq(strpool_count(), N);
	for (i = 0; i < N; i++) {
		snprintf(buf, sizeof(buf), "list%zu.example", i);
		ck_assert_ptr_eq(strpool_get(buf), p[i]);
		ck_assert_str_eq(p[i], buf);
	}
	for (i = 0; i < N; i += 2) {
		strpool_put(p[i]);
		strpool_put(p[i]);
	}
	ck_assert_uint_eq(strpool_count(), N / 2);
	for (i = 1; i < N; i += 2) {
		snprintf(buf, sizeof(buf), "list%zu.example", i);
		ck_assert_str_eq(p[i], buf);
		strpool_put(p[i]);
		strpool_put(p[i]);
	}
	ck_assert_uint_eq(strpool_count(), 0);
}
END_TEST

static Suite *
strpool_suite(void)
{
	Suite *s = suite_create("strpool");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_strpool_share);
	tcase_add_test(tc, test_strpool_many);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(strpool_suite)

/*
 * check_loginpair.c - two-line login pairing: a start and a done of the same
 * key pair once; a fail ends a start; the window, the per-source share and
 * the table's cap bound it, and a flood never evicts a pending real login.
 */
#include "test.h"

#include "loginpair.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static struct addr
ip(const char *s)
{
	struct addr a;

	ck_assert_int_eq(addr_parse(s, strlen(s), &a), 0);
	return a;
}

/* key - "mx\0popa3d\0PID" for pid */
static size_t
key(char *buf, size_t size, unsigned pid)
{
	char p[16];

	snprintf(p, sizeof(p), "%u", pid);
	return lpair_key(buf, size, "mx", 2, "popa3d", 6, p, strlen(p));
}

START_TEST(test_pair_once)
{
	struct lpair *p = lpair_new(16, 4, 120);
	struct addr a = ip("203.0.113.5"), got;
	char k[64];
	size_t n = key(k, sizeof(k), 100);

	ck_assert_int_eq(lpair_start(p, k, n, &a, 1000), 0);
	ck_assert_uint_eq(lpair_stats(p)->pending, 1);
	ck_assert(lpair_take(p, k, n, 1001, &got));
	ck_assert(addr_equal(&a, &got));
	/* taken: a second success line of that PID pairs with nothing */
	ck_assert(!lpair_take(p, k, n, 1002, &got));
	ck_assert_uint_eq(lpair_stats(p)->paired, 1);
	ck_assert_uint_eq(lpair_stats(p)->unpaired, 1);
	ck_assert_uint_eq(lpair_stats(p)->pending, 0);
	lpair_free(p);
}
END_TEST

START_TEST(test_fail_ends)
{
	struct lpair *p = lpair_new(16, 4, 120);
	struct addr a = ip("2001:db8::5"), got;
	char k[64];
	size_t n = key(k, sizeof(k), 7);

	ck_assert_int_eq(lpair_start(p, k, n, &a, 10), 0);
	lpair_end(p, k, n, 11);
	ck_assert(!lpair_take(p, k, n, 12, &got));
	ck_assert_uint_eq(lpair_stats(p)->failed, 1);
	lpair_free(p);
}
END_TEST

START_TEST(test_key_parts)
{
	struct lpair *p = lpair_new(16, 4, 120);
	struct addr a = ip("203.0.113.5"), got;
	char k1[64], k2[64];
	/* "a" + "bc" and "ab" + "c" must not be one key */
	size_t n1 = lpair_key(k1, sizeof(k1), "a", 1, "bc", 2, "1", 1);
	size_t n2 = lpair_key(k2, sizeof(k2), "ab", 2, "c", 1, "1", 1);

	ck_assert_uint_eq(n1, n2);
	ck_assert_int_eq(lpair_start(p, k1, n1, &a, 10), 0);
	ck_assert(!lpair_take(p, k2, n2, 11, &got));
	ck_assert(lpair_take(p, k1, n1, 11, &got));
	/* no PID, or too long: no key */
	ck_assert_uint_eq(
	    lpair_key(k1, sizeof(k1), "a", 1, "b", 1, NULL, 0), 0);
	ck_assert_uint_eq(lpair_key(k1, 4, "abc", 3, "b", 1, "1", 1), 0);
	lpair_free(p);
}
END_TEST

START_TEST(test_window)
{
	struct lpair *p = lpair_new(16, 4, 120);
	struct addr a = ip("203.0.113.5"), got;
	char k[64];
	size_t n = key(k, sizeof(k), 100);

	ck_assert_int_eq(lpair_start(p, k, n, &a, 1000), 0);
	ck_assert(!lpair_take(p, k, n, 1121, &got)); /* 121 s later */
	ck_assert_uint_eq(lpair_stats(p)->expired, 1);
	ck_assert_int_eq(lpair_start(p, k, n, &a, 2000), 0);
	ck_assert(lpair_take(p, k, n, 2120, &got)); /* 120 s: still in */
	lpair_free(p);
}
END_TEST

START_TEST(test_pid_reuse)
{
	struct lpair *p = lpair_new(16, 4, 120);
	struct addr a = ip("198.51.100.1"), b = ip("203.0.113.5"), got;
	char k[64];
	size_t n = key(k, sizeof(k), 100);

	ck_assert_int_eq(lpair_start(p, k, n, &a, 10), 0);
	ck_assert_int_eq(lpair_start(p, k, n, &b, 11), 0);
	ck_assert_uint_eq(lpair_stats(p)->pending, 1);
	ck_assert(lpair_take(p, k, n, 12, &got));
	ck_assert(addr_equal(&b, &got)); /* the newer session's client */
	lpair_free(p);
}
END_TEST

/* one /64 floods: it gets its share, the other sources keep theirs */
START_TEST(test_flood_one_prefix)
{
	struct lpair *p = lpair_new(64, 4, 120);
	struct addr real = ip("203.0.113.5"), got, a;
	char k[64], s[64];
	size_t n;
	unsigned i;

	n = key(k, sizeof(k), 1);
	ck_assert_int_eq(lpair_start(p, k, n, &real, 100), 0);
	for (i = 0; i < 1000; i++) {
		snprintf(s, sizeof(s), "2001:db8:6:6::%x", i + 1);
		a = ip(s);
		n = key(k, sizeof(k), 1000 + i);
		lpair_start(p, k, n, &a, 100);
	}
	ck_assert_uint_eq(lpair_stats(p)->pending, 5);
	ck_assert_uint_eq(lpair_stats(p)->dropped_source, 996);
	/* another /64 of the same /48 is another source */
	a = ip("2001:db8:6:7::1");
	n = key(k, sizeof(k), 5000);
	ck_assert_int_eq(lpair_start(p, k, n, &a, 100), 0);
	n = key(k, sizeof(k), 1);
	ck_assert(lpair_take(p, k, n, 101, &got));
	ck_assert(addr_equal(&real, &got));
	lpair_free(p);
}
END_TEST

/* many sources fill the table: new starts are refused, none evicted */
START_TEST(test_flood_full)
{
	struct lpair *p = lpair_new(32, 2, 120);
	struct addr real = ip("203.0.113.5"), got, a;
	char k[64], s[64];
	size_t n;
	unsigned i;

	n = key(k, sizeof(k), 1);
	ck_assert_int_eq(lpair_start(p, k, n, &real, 100), 0);
	for (i = 0; i < 5000; i++) {
		snprintf(s, sizeof(s), "10.%u.%u.1", i / 256, i % 256);
		a = ip(s);
		n = key(k, sizeof(k), 1000 + i);
		lpair_start(p, k, n, &a, 100 + i / 100);
	}
	ck_assert_uint_eq(lpair_stats(p)->pending, 32);
	ck_assert_uint_eq(lpair_stats(p)->dropped_full, 5000 - 31);
	n = key(k, sizeof(k), 1);
	ck_assert(lpair_take(p, k, n, 150, &got));
	ck_assert(addr_equal(&real, &got));
	/* past the window the flood is gone and new sessions are kept */
	lpair_expire(p, 100 + 50 + 121);
	ck_assert_uint_eq(lpair_stats(p)->pending, 0);
	a = ip("198.51.100.7");
	n = key(k, sizeof(k), 2);
	ck_assert_int_eq(lpair_start(p, k, n, &a, 300), 0);
	lpair_free(p);
}
END_TEST

/* random start/take/end against a plain array model */
START_TEST(test_model)
{
	enum { N = 200 };
	struct lpair *p = lpair_new(N, N, 1000000);
	bool live[N] = {false};
	struct addr addrs[N], got;
	unsigned long long seed = 42;
	char k[64], s[64];
	size_t n, count = 0;
	int i, step;

	for (i = 0; i < N; i++) {
		snprintf(s, sizeof(s), "192.0.2.%d", i % 250);
		addrs[i] = ip(s);
	}
	for (step = 0; step < 100000; step++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		i = (int)((seed >> 33) % N);
		n = key(k, sizeof(k), (unsigned)i);
		switch ((seed >> 20) % 3) {
		case 0:
			ck_assert_int_eq(lpair_start(p, k, n, &addrs[i], 1), 0);
			if (!live[i])
				count++;
			live[i] = true;
			break;
		case 1:
			ck_assert(lpair_take(p, k, n, 1, &got) == live[i]);
			if (live[i]) {
				ck_assert(addr_equal(&got, &addrs[i]));
				count--;
			}
			live[i] = false;
			break;
		default:
			lpair_end(p, k, n, 1);
			if (live[i])
				count--;
			live[i] = false;
		}
		ck_assert_uint_eq(lpair_stats(p)->pending, count);
	}
	lpair_free(p);
}
END_TEST

static Suite *
loginpair_suite(void)
{
	Suite *s = suite_create("loginpair");
	TCase *tc = tcase_create("pair");

	tcase_add_test(tc, test_pair_once);
	tcase_add_test(tc, test_fail_ends);
	tcase_add_test(tc, test_key_parts);
	tcase_add_test(tc, test_window);
	tcase_add_test(tc, test_pid_reuse);
	tcase_add_test(tc, test_flood_one_prefix);
	tcase_add_test(tc, test_flood_full);
	tcase_add_test(tc, test_model);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(loginpair_suite)

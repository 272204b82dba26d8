/*
 * check_timer.c - the timer heap fires in time order, moves and cancels, and
 * follows a record that was copied elsewhere; the iptab hash keeps every
 * address through growth and deletion, and walks them in a caller's order.
 */
#include "test.h"

#include "addr.h"
#include "iptab.h"
#include "timer.h"
#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct item {
	struct addr ip;
	struct timer t;
	int id;
};

static int fired[64], nfired;

static void
on_fire(struct timer *t)
{
	struct item *it = (struct item *)((char *)t - offsetof(struct item, t));

	fired[nfired++] = it->id;
}

/* a timer pushed later keeps its slot until its old time comes up: it
 * still fires at its new time, in order with the others, never early */
START_TEST(test_timer_later)
{
	struct item it[3];
	size_t i;

	memset(it, 0, sizeof(it));
	nfired = 0;
	for (i = 0; i < 3; i++)
		it[i].id = (int)i;
	timer_set(&it[0].t, 10, on_fire);
	timer_set(&it[1].t, 20, on_fire);
	timer_set(&it[0].t, 30, on_fire); /* later */
	ck_assert_int_eq(timer_next(), 20);
	ck_assert_uint_eq(timer_run(25), 1);
	ck_assert_int_eq(fired[0], 1);
	ck_assert_int_eq(timer_next(), 30);
	timer_set(&it[0].t, 40, on_fire); /* later again */
	timer_set(&it[0].t, 35, on_fire); /* then earlier, still past its key */
	timer_set(&it[2].t, 36, on_fire);
	ck_assert_uint_eq(timer_run(34), 0);
	ck_assert_uint_eq(timer_run(36), 2);
	ck_assert_int_eq(fired[1], 0);
	ck_assert_int_eq(fired[2], 2);
	ck_assert_int_eq(timer_next(), -1);
}
END_TEST

/* random sets, pushes, pulls and cancels against a plain array */
START_TEST(test_timer_random)
{
	enum { N = 64 };
	static struct item it[N];
	time_t want[N]; /* -1: not armed */
	uint64_t x = 0x243f6a8885a308d3ULL;
	time_t now = 0;
	int round, i;

	memset(it, 0, sizeof(it));
	for (i = 0; i < N; i++) {
		it[i].id = i;
		want[i] = -1;
	}
	for (round = 0; round < 20000; round++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		i = (int)(x % N);
		if ((x >> 8) % 5 == 0) {
			timer_cancel(&it[i].t);
			want[i] = -1;
		} else if ((x >> 8) % 5 < 4) {
			want[i] = now + 1 + (time_t)((x >> 16) % 100);
			timer_set(&it[i].t, want[i], on_fire);
		} else {
			time_t prev = -1;
			int k, due = 0;

			now += (time_t)((x >> 16) % 30);
			for (k = 0; k < N; k++)
				due += want[k] >= 0 && want[k] <= now;
			nfired = 0;
			ck_assert_uint_eq(timer_run(now), (size_t)due);
			for (k = 0; k < nfired; k++) {
				/* in time order, each at or after its time */
				ck_assert_int_le(prev, want[fired[k]]);
				ck_assert_int_le(want[fired[k]], now);
				prev = want[fired[k]];
				want[fired[k]] = -1;
			}
		}
	}
	for (i = 0; i < N; i++)
		timer_cancel(&it[i].t);
	ck_assert_uint_eq(timer_count(), 0);
}
END_TEST

START_TEST(test_timer_order)
{
	static const time_t when[] = {50, 10, 40, 20, 30, 10};
	struct item it[6];
	size_t i;

	memset(it, 0, sizeof(it));
	nfired = 0;
	for (i = 0; i < 6; i++) {
		it[i].id = (int)i;
		timer_set(&it[i].t, when[i], on_fire);
	}
	ck_assert_int_eq(timer_next(), 10);
	/* move item 0 from 50 to 5, cancel item 2 (40) */
	timer_set(&it[0].t, 5, on_fire);
	timer_cancel(&it[2].t);
	ck_assert_int_eq(timer_count(), 5);
	ck_assert_uint_eq(timer_run(15), 3); /* 5, 10, 10 */
	ck_assert_int_eq(fired[0], 0);
	ck_assert(fired[1] == 1 || fired[1] == 5);
	ck_assert_uint_eq(timer_run(100), 2);
	ck_assert_int_eq(fired[3], 3);
	ck_assert_int_eq(fired[4], 4);
	ck_assert_int_eq(timer_next(), -1);
	ck_assert(!timer_armed(&it[3].t));
}
END_TEST

START_TEST(test_timer_many)
{
	enum { N = 10000 };
	struct item *it = calloc(N, sizeof(*it));
	time_t last = -1;
	size_t i;

	for (i = 0; i < N; i++)
		timer_set(&it[i].t, (time_t)((i * 7919) % N), on_fire);
	for (i = 0; i < N; i += 3)
		timer_cancel(&it[i].t);
	while (timer_next() >= 0) {
		time_t t = timer_next();

		ck_assert(t >= last);
		last = t;
		nfired = 0;
		timer_run(t);
	}
	free(it);
}
END_TEST

/* a record copied to a new place (as blacklist.c's bl_rehost does) */
START_TEST(test_timer_moved)
{
	struct item *it = calloc(8, sizeof(*it)), *moved;
	size_t i;

	nfired = 0;
	for (i = 0; i < 8; i++) {
		it[i].id = (int)i;
		timer_set(&it[i].t, (time_t)(100 - i), on_fire);
	}
	moved = calloc(1, sizeof(*moved));
	memcpy(moved, &it[3], sizeof(*moved));
	memset(&it[3], 0xa5, sizeof(it[3])); /* the old copy is garbage now */
	moved->id = 33;
	timer_moved(&moved->t);
	ck_assert(timer_armed(&moved->t));
	/* move it in the heap, then fire all: the copy fires, in its turn */
	timer_set(&moved->t, 50, on_fire);
	ck_assert_int_eq(timer_next(), 50);
	ck_assert_uint_eq(timer_run(1000), 8);
	ck_assert_int_eq(fired[0], 33);
	ck_assert_int_eq(fired[1], 7);
	ck_assert(!timer_armed(&moved->t));
	/* an unarmed copy is left alone */
	timer_moved(&moved->t);
	ck_assert_int_eq(timer_count(), 0);
	free(moved);
	free(it);
}
END_TEST

static const struct addr *
item_key(const void *rec)
{
	return &((const struct item *)rec)->ip;
}

START_TEST(test_iptab)
{
	enum { N = 5000 };
	struct item *it = calloc(N, sizeof(*it));
	struct iptab *t = iptab_new(item_key);
	size_t i;

	for (i = 0; i < N; i++) {
		it[i].ip.family = (i % 3 == 0) ? 6 : 4;
		it[i].ip.b[0] = (uint8_t)(i >> 8);
		it[i].ip.b[1] = (uint8_t)i;
		iptab_put(t, &it[i]);
	}
	ck_assert_uint_eq(iptab_size(t), N);
	for (i = 0; i < N; i += 2)
		ck_assert_ptr_eq(iptab_del(t, &it[i].ip), &it[i]);
	for (i = 0; i < N; i++)
		ck_assert_ptr_eq(iptab_get(t, &it[i].ip),
		    i % 2 == 0 ? NULL : (void *)&it[i]);
	ck_assert_uint_eq(iptab_size(t), N / 2);
	iptab_free(t);
	free(it);
}
END_TEST

/* the remembered answer never outlives a deletion, nor hides a new record */
START_TEST(test_iptab_last)
{
	struct item a = {.ip = {.family = 4, .b = {192, 0, 2, 1}}};
	struct item a2 = a, b = {.ip = {.family = 4, .b = {192, 0, 2, 2}}};
	struct iptab *t = iptab_new(item_key);

	iptab_put(t, &a);
	ck_assert_ptr_eq(iptab_get(t, &a.ip), &a);
	ck_assert_ptr_eq(iptab_get(t, &a.ip), &a); /* the remembered hit */
	ck_assert_ptr_eq(iptab_del(t, &a.ip), &a);
	ck_assert_ptr_null(iptab_get(t, &a.ip));
	iptab_put(t, &a2); /* the same address, another record */
	ck_assert_ptr_eq(iptab_get(t, &a.ip), &a2);
	ck_assert_ptr_null(iptab_get(t, &b.ip)); /* a remembered miss */
	ck_assert_ptr_null(iptab_get(t, &b.ip));
	iptab_put(t, &b); /* ends it */
	ck_assert_ptr_eq(iptab_get(t, &b.ip), &b);
	ck_assert_ptr_eq(iptab_get(t, &a.ip), &a2);
	ck_assert_ptr_eq(iptab_del(t, &b.ip), &b); /* not the last answer */
	ck_assert_ptr_null(iptab_get(t, &b.ip));
	ck_assert_ptr_eq(iptab_get(t, &a.ip), &a2);
	iptab_free(t);
}
END_TEST

/* random puts, gets and deletes against a plain presence array */
START_TEST(test_iptab_churn)
{
	enum { N = 4096, OPS = 200000 };
	struct item *it = calloc(N, sizeof(*it));
	bool *in = calloc(N, sizeof(*in));
	struct iptab *t = iptab_new(item_key);
	size_t i, n = 0, seen;
	uint32_t r = 12345;

	for (i = 0; i < N; i++) {
		it[i].id = (int)i;
		it[i].ip.family = (i & 1) ? 6 : 4;
		it[i].ip.b[0] = 10;
		it[i].ip.b[2] = (uint8_t)(i >> 8);
		it[i].ip.b[3] = (uint8_t)i;
	}
	for (i = 0; i < OPS; i++) {
		size_t k;

		r = r * 1103515245 + 12345;
		k = (r >> 8) % N;
		if (!in[k] && (r & 3) != 0) {
			iptab_put(t, &it[k]);
			in[k] = true;
			n++;
		} else if (in[k] && (r & 3) == 0) {
			ck_assert_ptr_eq(iptab_del(t, &it[k].ip), &it[k]);
			in[k] = false;
			n--;
		} else {
			ck_assert_ptr_eq(
			    iptab_get(t, &it[k].ip), in[k] ? &it[k] : NULL);
		}
	}
	ck_assert_uint_eq(iptab_size(t), n);
	for (i = 0, seen = 0; i < N; i++) {
		ck_assert_ptr_eq(
		    iptab_get(t, &it[i].ip), in[i] ? &it[i] : NULL);
		if (in[i])
			seen++;
	}
	ck_assert_uint_eq(seen, n);
	for (i = 0; i < N; i++)
		if (in[i])
			ck_assert_ptr_eq(iptab_del(t, &it[i].ip), &it[i]);
	ck_assert_uint_eq(iptab_size(t), 0);
	ck_assert_ptr_eq(iptab_get(t, &it[0].ip), NULL);
	iptab_free(t);
	free(in);
	free(it);
}
END_TEST

static uint32_t
by_low_byte(void *arg, const struct addr *a)
{
	UNUSED(arg);
	return a->b[1] % 7;
}

static void
collect(void *arg, void *rec)
{
	uint32_t *seen = arg;
	const struct item *it = rec;

	/* ascending order, and every record exactly once */
	ck_assert_uint_ge(it->ip.b[1] % 7u, seen[0]);
	seen[0] = it->ip.b[1] % 7u;
	seen[1 + it->id]++;
}

START_TEST(test_iptab_ordered)
{
	enum { N = 3000 };
	struct item *it = calloc(N, sizeof(*it));
	uint32_t *seen = calloc(N + 1, sizeof(*seen));
	struct iptab *t = iptab_new(item_key);
	size_t i;

	for (i = 0; i < N; i++) {
		it[i].id = (int)i;
		it[i].ip.family = 4;
		it[i].ip.b[0] = (uint8_t)(i >> 8);
		it[i].ip.b[1] = (uint8_t)i;
		iptab_put(t, &it[i]);
	}
	iptab_each_ordered(t, by_low_byte, collect, seen);
	for (i = 0; i < N; i++)
		ck_assert_uint_eq(seen[1 + i], 1);
	iptab_free(t);
	free(seen);
	free(it);
}
END_TEST

static Suite *
timer_suite(void)
{
	Suite *s = suite_create("timer");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_timer_order);
	tcase_add_test(tc, test_timer_later);
	tcase_add_test(tc, test_timer_random);
	tcase_add_test(tc, test_timer_many);
	tcase_add_test(tc, test_timer_moved);
	tcase_add_test(tc, test_iptab);
	tcase_add_test(tc, test_iptab_churn);
	tcase_add_test(tc, test_iptab_last);
	tcase_add_test(tc, test_iptab_ordered);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(timer_suite)

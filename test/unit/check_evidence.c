/*
 * check_evidence.c - the log lines kept behind a record: per-address and
 * total bounds, oldest first, escaping, the round trip through the state
 * and its journal (an uncommitted line is not kept), reaping with the
 * record, and the older table records moved into the journal.
 */
#include "test.h"

#include "addr.h"
#include "conf.h"
#include "evidence.h"
#include "rec.h"
#include "state.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/check_evidence.XXXXXX";
static struct conf cf;
static struct state *st;

struct got {
	size_t n;
	char line[8][EVIDENCE_LINE_MAX];
	char outcome[8][EVIDENCE_OUTCOME_MAX];
};

static void
collect(void *arg, const struct addr *ip, const struct evidence_item *it)
{
	struct got *g = arg;

	(void)ip;
	if (g->n < 8) {
		snprintf(g->line[g->n], sizeof(g->line[0]), "%s", it->line);
		snprintf(
		    g->outcome[g->n], sizeof(g->outcome[0]), "%s", it->outcome);
	}
	g->n++;
}

static struct addr
ip(const char *s)
{
	struct addr a;

	ck_assert_int_eq(addr_parse(s, strlen(s), &a), 0);
	return a;
}

static void
add(const char *addr, const char *line, const char *outcome)
{
	struct addr a = ip(addr);

	evidence_add(&a, 1000, "rule-x", "rbl_reject", outcome, line,
	    strlen(line), false);
}

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	cf.evidence_per_ip = 3;
	cf.evidence_max_ips = 2;
	ck_assert_ptr_nonnull(st = state_open(dir, true));
	ck_assert_int_eq(evidence_init(&cf, st), 0);
}

static void
teardown(void)
{
	char cmd[128];

	evidence_fini();
	state_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

START_TEST(test_bounds)
{
	struct addr a = ip("198.51.100.1");
	struct got g = {0};

	add("198.51.100.1", "one", "listed");
	add("198.51.100.1", "two", "score 2");
	add("198.51.100.1", "three", "score 3");
	add("198.51.100.1", "four", "banned");
	ck_assert_uint_eq(evidence_get(&a, collect, &g), 3);
	/* the oldest went first */
	ck_assert_str_eq(g.line[0], "two");
	ck_assert_str_eq(g.line[2], "four");
	ck_assert_str_eq(g.outcome[2], "banned");
	add("198.51.100.2", "x", "listed");
	add("198.51.100.3", "y", "listed"); /* evidence_max_ips = 2 */
	ck_assert_uint_eq(evidence_count(), 2);
	ck_assert_uint_eq(evidence_refused(), 1);
}
END_TEST

START_TEST(test_escaped_and_cut)
{
	struct addr a = ip("2001:db8::1");
	struct got g = {0};
	char big[1000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	add("2001:db8::1", "evil\ttab\nnewline", "listed");
	add("2001:db8::1", big, "listed");
	ck_assert_uint_eq(evidence_get(&a, collect, &g), 2);
	ck_assert_ptr_null(strpbrk(g.line[0], "\t\n"));
	ck_assert_uint_lt(strlen(g.line[1]), EVIDENCE_LINE_MAX);
}
END_TEST

static bool
only_first(const struct addr *a)
{
	struct addr keep = ip("198.51.100.1");

	return addr_equal(a, &keep);
}

START_TEST(test_state_round_trip_and_reap)
{
	struct addr a = ip("198.51.100.1");
	struct got g = {0};

	add("198.51.100.1", "one", "listed");
	add("198.51.100.1", "two", "banned until later");
	add("198.51.100.2", "x", "granted");
	ck_assert(evidence_dirty());
	ck_assert_int_eq(state_begin(st), 0);
	ck_assert_int_eq(evidence_sync(), 0);
	ck_assert_int_eq(state_commit(st), 0);
	evidence_synced();
	ck_assert(!evidence_dirty());
	/* a restart reads back what was committed */
	evidence_fini();
	state_close(st);
	ck_assert_ptr_nonnull(st = state_open(dir, true));
	ck_assert_int_eq(evidence_init(&cf, st), 0);
	ck_assert_uint_eq(evidence_count(), 2);
	ck_assert_uint_eq(evidence_get(&a, collect, &g), 2);
	ck_assert_str_eq(g.line[1], "two");
	ck_assert_str_eq(g.outcome[1], "banned until later");
	/* the second address lost its record: its evidence goes too */
	evidence_reap(only_first);
	ck_assert_uint_eq(evidence_count(), 1);
	ck_assert(evidence_dirty());
	ck_assert_int_eq(state_begin(st), 0);
	ck_assert_int_eq(evidence_sync(), 0);
	ck_assert_int_eq(state_commit(st), 0);
	evidence_synced();
	/* a line whose commit never came is not there after a restart */
	add("198.51.100.1", "three", "uncommitted");
	evidence_fini();
	state_close(st);
	ck_assert_ptr_nonnull(st = state_open(dir, true));
	ck_assert_int_eq(evidence_init(&cf, st), 0);
	ck_assert_uint_eq(
	    evidence_count(), 1); /* the forgotten one stays out */
	memset(&g, 0, sizeof(g));
	ck_assert_uint_eq(evidence_get(&a, collect, &g), 2);
	ck_assert_str_eq(g.line[1], "two");
}
END_TEST

START_TEST(test_older_records_move_into_the_journal)
{
	static struct rec_buf w;
	struct addr a = ip("2001:db8::7");
	struct got g = {0};
	struct state_table *t;
	uint8_t key[REC_KEYLEN];

	/* a table record of the older layout: version 1, all lines in it */
	evidence_fini();
	rec_u8(&w, 1);
	rec_u32(&w, 2);
	rec_i64(&w, 900);
	rec_str(&w, "rbl");
	rec_str(&w, "rbl_reject");
	rec_str(&w, "listed by zen");
	rec_str(&w, "old line one");
	rec_i64(&w, 901);
	rec_str(&w, "rbl");
	rec_str(&w, "rbl_reject");
	rec_str(&w, "score 2 hits");
	rec_str(&w, "old line two");
	rec_key(&a, key);
	ck_assert_ptr_nonnull(t = state_table(st, "evidence"));
	ck_assert_int_eq(state_begin(st), 0);
	ck_assert_int_eq(state_put(t, key, sizeof(key), w.b, w.n), 0);
	ck_assert_int_eq(state_commit(st), 0);
	state_close(st);
	ck_assert_ptr_nonnull(st = state_open(dir, true));
	ck_assert_int_eq(evidence_init(&cf, st), 0);
	ck_assert_uint_eq(evidence_get(&a, collect, &g), 2);
	ck_assert_str_eq(g.line[1], "old line two");
	ck_assert_str_eq(g.outcome[0], "listed by zen");
	ck_assert(evidence_dirty()); /* the old record goes at the commit */
	ck_assert_int_eq(state_begin(st), 0);
	ck_assert_int_eq(evidence_sync(), 0);
	ck_assert_int_eq(state_commit(st), 0);
	evidence_synced();
	evidence_fini();
	state_close(st);
	ck_assert_ptr_nonnull(st = state_open(dir, true));
	ck_assert_int_eq(evidence_init(&cf, st), 0);
	memset(&g, 0, sizeof(g));
	ck_assert_uint_eq(evidence_get(&a, collect, &g), 2);
	ck_assert_str_eq(g.line[0], "old line one");
	ck_assert(!evidence_dirty());
}
END_TEST

static Suite *
evidence_suite(void)
{
	Suite *s = suite_create("evidence");
	TCase *tc = tcase_create("evidence");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bounds);
	tcase_add_test(tc, test_escaped_and_cut);
	tcase_add_test(tc, test_state_round_trip_and_reap);
	tcase_add_test(tc, test_older_records_move_into_the_journal);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(evidence_suite)

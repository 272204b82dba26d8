/*
 * check_cluster.c - unit tests for cluster_row.c: rows read back from the
 * cluster database are untrusted (another host, psql, an intruder wrote
 * them), so each field is checked and a bad row is refused whole; times
 * become local-clock times from the database's durations; the array
 * literals a batch is sent in quote what must be quoted.  The outbox
 * (cluster.c) is written in the caller's state transaction: what was
 * committed is there after a restart, what was not is gone with it.
 */
#include "test.h"
#include "cluster.h"
#include "cluster_row.h"
#include "conf.h"
#include "state.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1800000000

/* one row: the fields as libpq gives them; ok 0 or -1; want ip/expiry/at */
static const struct {
	struct clrow_text t;
	int rc;
	const char *ip; /* addr_format of the result */
	time_t expires, at;
} row_cases[] = {
    {{"1", "mx1", "grant", "192.0.2.1", "32", "1800", "2", ""}, 0, "192.0.2.1",
        NOW + 1800, NOW - 2},
    /* an expiry already past is a change that is over, not a bad row */
    {{"2", "mx1", "grant", "192.0.2.1", "32", "-1", "0", ""}, 0, "192.0.2.1",
        NOW - 1, NOW},
    {{"3", "pop-1.example", "revoke", "2001:db8::1", "128", NULL, "0", ""}, 0,
        "2001:db8::1", -1, NOW},
    {{"4", "a", "listing", "2001:db8:1:2::", "64", "60", "0", "x"}, 0,
        "2001:db8:1:2::/64", NOW + 60, NOW},
    {{"5", "a", "ban", "::ffff:192.0.2.9", "128", "60", "0", "r"}, 0,
        "192.0.2.9", NOW + 60, NOW},
    /* refused: kinds, names, networks, times, missing fields */
    {{"6", "a", "grantall", "192.0.2.1", "32", "60", "0", ""}, -1, NULL, 0, 0},
    {{"7", "a", "GRANT", "192.0.2.1", "32", "60", "0", ""}, -1, NULL, 0, 0},
    {{"8", "ev'il", "grant", "192.0.2.1", "32", "60", "0", ""}, -1, NULL, 0, 0},
    {{"9", "", "grant", "192.0.2.1", "32", "60", "0", ""}, -1, NULL, 0, 0},
    {{"10", "a", "grant", "192.0.2.0", "24", "60", "0", ""}, -1, NULL, 0, 0},
    {{"11", "a", "listing", "2001:db8:1:2::5", "64", "60", "0", ""}, -1, NULL,
        0, 0},
    {{"12", "a", "grant", "2001:db8::", "48", "60", "0", ""}, -1, NULL, 0, 0},
    {{"13", "a", "grant", "0.0.0.0", "32", "60", "0", ""}, -1, NULL, 0, 0},
    {{"14", "a", "grant", "224.0.0.1", "32", "60", "0", ""}, -1, NULL, 0, 0},
    {{"15", "a", "grant", "192.0.2.1 x", "32", "60", "0", ""}, -1, NULL, 0, 0},
    {{"16", "a", "grant", "192.0.2.1", "32", NULL, "0", ""}, -1, NULL, 0, 0},
    {{"17", "a", "grant", "192.0.2.1", "32", "999999999999", "0", ""}, -1, NULL,
        0, 0},
    {{"18", "a", "grant", "192.0.2.1", "32", "60", "-5", ""}, -1, NULL, 0, 0},
    {{"19", "a", "grant", "192.0.2.1", "32", "6x", "0", ""}, -1, NULL, 0, 0},
    {{"0", "a", "grant", "192.0.2.1", "32", "60", "0", ""}, -1, NULL, 0, 0},
    {{NULL, "a", "grant", "192.0.2.1", "32", "60", "0", ""}, -1, NULL, 0, 0},
    {{"20", "a", "grant", "192.0.2.1", "32", "60", "0", NULL}, -1, NULL, 0, 0},
    {{"21", "a", "grant", NULL, "32", "60", "0", ""}, -1, NULL, 0, 0},
};

START_TEST(test_clrow_parse)
{
	struct cluster_change c;
	const char *why = NULL;
	char ip[ADDR_STRLEN];
	int rc = clrow_parse(&row_cases[_i].t, NOW, &c, &why);

	ck_assert_msg(rc == row_cases[_i].rc, "row %d: rc %d (%s)", _i, rc,
	    why != NULL ? why : "-");
	if (rc < 0) {
		ck_assert_ptr_nonnull(why);
		return;
	}
	ck_assert_str_eq(addr_format(&c.ip, ip, sizeof(ip)), row_cases[_i].ip);
	ck_assert_int_eq(c.expires, row_cases[_i].expires);
	ck_assert_int_eq(c.at, row_cases[_i].at);
}
END_TEST

START_TEST(test_clrow_reason_escaped)
{
	struct clrow_text t = {
	    "1", "a", "ban", "192.0.2.1", "32", "60", "0", "a\nb\tc\x01"};
	struct cluster_change c;
	const char *why;
	char big[2000];

	ck_assert_int_eq(clrow_parse(&t, NOW, &c, &why), 0);
	ck_assert_ptr_null(strchr(c.reason, '\n'));
	ck_assert_ptr_null(strchr(c.reason, '\x01'));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	t.reason = big;
	ck_assert_int_eq(clrow_parse(&t, NOW, &c, &why), 0);
	ck_assert_uint_lt(strlen(c.reason), CLUSTER_REASON_MAX);
}
END_TEST

START_TEST(test_clrow_kinds)
{
	enum cluster_kind k;
	int i;

	for (i = 0; i < CL_NKINDS; i++) {
		ck_assert_int_eq(
		    clrow_kind_parse(clrow_kind_name((enum cluster_kind)i), &k),
		    0);
		ck_assert_int_eq(k, i);
	}
	ck_assert(clrow_has_expiry(CL_GRANT) && clrow_has_expiry(CL_BAN) &&
	    clrow_has_expiry(CL_LISTING));
	ck_assert(!clrow_has_expiry(CL_REVOKE) && !clrow_has_expiry(CL_UNBAN) &&
	    !clrow_has_expiry(CL_DELIST));
}
END_TEST

START_TEST(test_clrow_array)
{
	struct clrow_array a = {0}, e = {0}, n = {0};

	clrow_array_add(&a, "plain");
	clrow_array_add(&a, "q\"u,o}t{e\\s");
	clrow_array_add(&a, NULL);
	clrow_array_add(&a, "");
	ck_assert_str_eq(
	    clrow_array_end(&a), "{\"plain\",\"q\\\"u,o}t{e\\\\s\",NULL,\"\"}");
	ck_assert_str_eq(clrow_array_end(&e), "{}");
	clrow_array_addnum(&n, -1);
	clrow_array_addnum(&n, 1800);
	ck_assert_str_eq(clrow_array_end(&n), "{-1,1800}");
	clrow_array_free(&a);
	clrow_array_free(&e);
	clrow_array_free(&n);
}
END_TEST

static bool
no_apply(void *arg, const struct cluster_change *c, time_t now)
{
	(void)arg;
	(void)c;
	(void)now;
	return false;
}

struct seen {
	int n;
	enum cluster_kind kind;
	char node[CLUSTER_NODE_MAX];
};

static void
saw(void *arg, enum cluster_kind kind, const char *node, time_t at,
    bool applied)
{
	struct seen *s = arg;

	(void)at;
	ck_assert(applied);
	s->n++;
	s->kind = kind;
	snprintf(s->node, sizeof(s->node), "%s", node);
}

/* open - a state in dir and the cluster on it (never connected here) */
static struct state *
open_cluster(const char *dir, struct conf *cf)
{
	static const struct cluster_apply ap = {no_apply, NULL};
	struct state *st = state_open(dir, true);

	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(cluster_start(cf, st, &ap), 0);
	ck_assert(cluster_enabled());
	return st;
}

START_TEST(test_outbox_durable)
{
	static char db[] = "host=/nonexistent/popauthd-test dbname=x",
	            node[] = "n1";
	char dir[] = "/tmp/check_cluster.XXXXXX", cmd[128];
	struct conf cf;
	struct state *st;
	struct cluster_status cs;
	struct addr a, b;
	struct seen seen = {0, CL_UNBAN, ""};
	size_t out;
	long long last;

	memset(&cf, 0, sizeof(cf));
	cf.cluster_database = db;
	cf.cluster_node = node;
	cf.cluster_retention = 60;
	cf.max_tracked_ips = 100;
	ck_assert_int_eq(addr_parse("192.0.2.1", 9, &a), 0);
	ck_assert_int_eq(addr_parse("192.0.2.2", 9, &b), 0);
	ck_assert_ptr_nonnull(mkdtemp(dir));

	st = open_cluster(dir, &cf);
	cluster_note(CL_GRANT, &a, 2000000000, NULL);
	cluster_note(CL_BAN, &b, 2000000000, "a \"quoted\" reason");
	ck_assert(cluster_dirty());
	ck_assert_int_eq(state_begin(st), 0);
	ck_assert_int_eq(cluster_sync(), 0);
	ck_assert_int_eq(state_commit(st), 0);
	cluster_synced();
	ck_assert(!cluster_dirty());
	cluster_status(&cs);
	ck_assert_uint_eq(cs.outbox, 2);
	ck_assert_str_eq(cs.node, "n1");
	ck_assert_uint_eq(cluster_decisions(&a, saw, &seen), 1);
	ck_assert_int_eq(seen.kind, CL_GRANT);
	ck_assert_str_eq(seen.node, "n1");
	/* noted but never committed: lost with the process, as the decision */
	cluster_note(CL_REVOKE, &a, -1, NULL);
	cluster_stop();
	state_close(st);

	st = open_cluster(dir, &cf);
	cluster_status(&cs);
	ck_assert_uint_eq(cs.outbox, 2);
	ck_assert_int_eq(cluster_state_peek(st, &out, &last), 0);
	ck_assert_uint_eq(out, 2);
	ck_assert_int_eq(last, 0);
	cluster_stop();
	state_close(st);
	ck_assert(!cluster_enabled());
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *
cluster_suite(void)
{
	Suite *s = suite_create("cluster");
	TCase *tc = tcase_create("row");

	tcase_add_loop_test(tc, test_clrow_parse, 0, (int)NITEMS(row_cases));
	tcase_add_test(tc, test_clrow_reason_escaped);
	tcase_add_test(tc, test_clrow_kinds);
	tcase_add_test(tc, test_clrow_array);
	tcase_add_test(tc, test_outbox_durable);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(cluster_suite)

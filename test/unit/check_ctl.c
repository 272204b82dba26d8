/*
 * check_ctl.c - unit tests for the popauthctl formats: export.c records
 * (escaping, import checks, parent/child order) and ctl_json.c (JSON out and
 * back to the same records).
 */
#include "test.h"
#include "ctl_json.h"
#include "blacklist.h"
#include "export.h"
#include "rec.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *line;
	int rc;
} import_cases[] = {
    {"grant\t192.0.2.1\t1\t2\t3\t4", 0},
    {"grant\t192.0.2.1\t1\t2\t3", -1},
    {"grant\t192.0.2.1\t1\t2\t3\t4\t5", -1},
    {"grant\t192.0.2\t1\t2\t3\t4", -1},
    {"grant\t192.0.2.1\tx\t2\t3\t4", -1},
    {"user\t192.0.2.1\tbob\t1\t2\t3", -1}, /* no grant before it */
    {"black\t2001:db8::1\t1\t2\t-1\t1\t1\t0\t0.5\t0\t0\th\tl\tr", 0}, /* 0.1 */
    {"black\t2001:db8::1\t1\t2\t-1\t1\t1\t0\t0.5\t0\t0\th\tl\tr\tspamcop", 0},
    {"black\t2001:db8::1\t1\t2\t-1\t1\t1\t0\t0.5\t0\t0\th\tl\tr\tbogus", -1},
    {"black\t2001:db8::1\t1\t2\t-1\t1\t1\t0\t0.5\t0\t0\th\tl\tr\tspamcop\tx",
        -1},
    {"black\t2001:db8::1\t1\t2\t-1\t1\t1\t0\tnan\t0\t0\th\tl\tr", -1},
    {"fish\t192.0.2.9\t2\t1\t2", 0},
    {"stat\tx\ty", -1},
    {"bogus\t1", -1},
    {"# comment", 0},
    {"", 0},
};

START_TEST(test_import_line)
{
	struct import_ops ops = {NULL, NULL, NULL, NULL};
	struct import *im = import_new(&ops);
	char line[256], err[256];

	snprintf(line, sizeof(line), "%s", import_cases[_i].line);
	ck_assert_int_eq(
	    import_line(im, line, err, sizeof(err)), import_cases[_i].rc);
	import_free(im);
}
END_TEST

static char got_reason[1024];
static size_t got_users;
static enum bl_ban_kind got_kind;

static void
on_bl(void *arg, const struct bl_info *bi)
{
	(void)arg;
	snprintf(got_reason, sizeof(got_reason), "%s", bi->reason);
	got_kind = bi->ban_kind;
}

static void
on_grant(void *arg, const struct grant_info *gi)
{
	(void)arg;
	got_users = gi->nusers;
}

START_TEST(test_escape_roundtrip)
{
	struct import_ops ops = {on_grant, on_bl, NULL, NULL};
	struct import *im = import_new(&ops);
	char line[512], err[256];

	/* a stored (escaped) reason survives export and import unchanged */
	snprintf(line, sizeof(line),
	    "black\t192.0.2.1\t1\t2\t-"
	    "1\t1\t1\t0\t0\t0\t0\th\tl\ta\\011b\\134c");
	ck_assert_int_eq(import_line(im, line, err, sizeof(err)), 0);
	ck_assert_str_eq(got_reason, "a\\011b\\134c");
	/* a raw control byte (hand-written file) is escaped on the way in */
	snprintf(line, sizeof(line),
	    "black\t192.0.2.1\t1\t2\t-1\t1\t1\t0\t0\t0\t0\th\tl\tx\001y");
	ck_assert_int_eq(import_line(im, line, err, sizeof(err)), 0);
	ck_assert_str_eq(got_reason, "x\\001y");
	ck_assert_int_eq(got_kind, BL_BAN_NULLROUTE); /* a 0.1 export */
	snprintf(line, sizeof(line),
	    "black\t192.0.2.1\t1\t2\t-1\t1\t1\t0\t0\t0\t0\th\tl\tr\tspamcop");
	ck_assert_int_eq(import_line(im, line, err, sizeof(err)), 0);
	ck_assert_int_eq(got_kind, BL_BAN_SPAMCOP);
	/* users attach to their grant */
	snprintf(line, sizeof(line), "grant\t192.0.2.5\t1\t2\t3\t4");
	ck_assert_int_eq(import_line(im, line, err, sizeof(err)), 0);
	snprintf(line, sizeof(line), "user\t192.0.2.5\ta@b\t1\t2\t3");
	ck_assert_int_eq(import_line(im, line, err, sizeof(err)), 0);
	snprintf(line, sizeof(line), "user\t192.0.2.6\ta@b\t1\t2\t3");
	ck_assert_int_eq(import_line(im, line, err, sizeof(err)), -1);
	import_end(im, err, sizeof(err));
	ck_assert_uint_eq(got_users, 1);
	import_free(im);
}
END_TEST

static void
collect(void *arg, const char *line)
{
	char *buf = arg;
	size_t n = strlen(buf);

	snprintf(buf + n, 4096 - n, "%s\n", line);
}

/* bl_record - a state record: version 1 (0.1), or 2 with kind (-1: none) */
static void
bl_record(struct rec_buf *w, uint8_t version, int kind)
{
	w->n = 0;
	w->full = false;
	rec_u8(w, version);
	rec_i64(w, 1);  /* first */
	rec_i64(w, 2);  /* last */
	rec_i64(w, -1); /* unban */
	rec_i64(w, 0);  /* alerted */
	rec_u32(w, 1);
	rec_u32(w, 1);
	rec_u32(w, 0);
	rec_f64(w, 0.5);
	rec_str(w, "h");
	rec_str(w, "l");
	rec_str(w, "r");
	if (kind >= 0)
		rec_u8(w, (uint8_t)kind);
}

START_TEST(test_bl_record_versions)
{
	struct addr a;
	uint8_t key[REC_KEYLEN];
	struct rec_buf w;

	ck_assert_int_eq(addr_parse("192.0.2.4", 9, &a), 0);
	rec_key(&a, key);
	/* 0.1's records have no kind: a null-route */
	got_kind = BL_BAN_SPAMCOP;
	bl_record(&w, 1, -1);
	ck_assert_int_eq(
	    bl_info_decode(key, sizeof(key), w.b, w.n, 3, on_bl, NULL), 0);
	ck_assert_int_eq(got_kind, BL_BAN_NULLROUTE);
	bl_record(&w, 2, BL_BAN_SENDMAIL);
	ck_assert_int_eq(
	    bl_info_decode(key, sizeof(key), w.b, w.n, 3, on_bl, NULL), 0);
	ck_assert_int_eq(got_kind, BL_BAN_SENDMAIL);
	/* an unknown kind, a missing one, an unknown version: refused */
	bl_record(&w, 2, 9);
	ck_assert_int_eq(
	    bl_info_decode(key, sizeof(key), w.b, w.n, 3, on_bl, NULL), -1);
	bl_record(&w, 2, -1);
	ck_assert_int_eq(
	    bl_info_decode(key, sizeof(key), w.b, w.n, 3, on_bl, NULL), -1);
	bl_record(&w, 3, 0);
	ck_assert_int_eq(
	    bl_info_decode(key, sizeof(key), w.b, w.n, 3, on_bl, NULL), -1);
}
END_TEST

START_TEST(test_json_roundtrip)
{
	static const char *const text[] = {
	    "grant\t192.0.2.1\t1\t2\t3\t4",
	    "user\t192.0.2.1\talice\t1\t2\t3",
	    "black\t2001:db8::1\t1\t2\t-1\t1\t1\t0\t0.500000\t0\t0\th\tl\tr "
	    "\\\"q\\134\tsendmail",
	    "fish\t192.0.2.9\t2\t1\t2",
	    "pair\t192.0.2.9\ta@x\tb@y\t1\t2\t1",
	};
	/* JSON carries numbers, not their text: freq 0.500000 comes back 0.5;
	 * a line without kernel_left (an older daemon) gets its default */
	static const char black_back[] =
	    "black\t2001:db8::1\t1\t2\t-1\t1\t1\t0\t0.5\t0\t0\th\tl\tr "
	    "\\\"q\\134\tsendmail\t-1";
	char *lines[NITEMS(text)];
	char *json = NULL, back[4096] = "", expect[4096] = "", err[256];
	size_t len = 0, i;
	FILE *fp = open_memstream(&json, &len);

	for (i = 0; i < NITEMS(text); i++)
		lines[i] = xstrdup(text[i]);

	ctl_json_write(fp, lines, NITEMS(lines), "", true);
	fclose(fp);
	ck_assert_int_eq(
	    ctl_json_records(json, len, collect, back, err, sizeof(err)), 0);
	for (i = 0; i < NITEMS(lines); i++)
		collect(expect, i == 2 ? black_back : lines[i]);
	ck_assert_str_eq(back, expect);
	{
		/* an export from 0.1 has no ban_kind: the default fills in */
		static const char old_json[] =
		    "{\"blacklist\": [{\"ip\": \"192.0.2.3\", \"first\": 1, "
		    "\"last\": 2, \"unban\": -1, \"period_hits\": 1, "
		    "\"total_hits\": 1, \"bans\": 0, \"freq\": 0.5, "
		    "\"alerted\": 0, \"banned\": false, \"host\": \"h\", "
		    "\"list\": \"l\", \"reason\": \"r\"}]}";

		back[0] = '\0';
		ck_assert_int_eq(ctl_json_records(old_json, strlen(old_json),
		                     collect, back, err, sizeof(err)),
		    0);
		ck_assert_msg(
		    strstr(back, "\tr\tnullroute\t-1\n") != NULL, "%s", back);
	}
	for (i = 0; i < NITEMS(lines); i++)
		free(lines[i]);
	free(json);
	ck_assert_int_eq(ctl_json_records("{\"grants\": [1", 13, collect, back,
	                     err, sizeof(err)),
	    -1);
}
END_TEST

/* a grant record in JSON with first as given */
#define JGRANT(first)                                                          \
	"{\"grants\": [{\"ip\": \"192.0.2.1\", \"first\": " first              \
	", \"last\": 2, \"count\": 3, \"expires\": 4}]}"

static const struct {
	const char *json;
	int rc;
} json_cases[] = {
    {"{}", 0},                                          /* no records */
    {"{\"grants\": [1", -1},                            /* truncated */
    {"{} x", -1},                                       /* trailing text */
    {"[]", -1},                                         /* not an object */
    {"{\"grants\": {}}", -1},                           /* not an array */
    {"{\"grants\": [], \"grants\": []}", -1},           /* duplicate name */
    {"{\"a\": [[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}", 0},    /* 16 deep */
    {"{\"a\": [[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}", -1}, /* 17 deep */
    {JGRANT("1"), 0},                                   /* a number */
    {JGRANT("\"1\""), 0},                               /* import_line checks */
    {JGRANT("true"), 0},                                /* as 1, as before */
    {JGRANT("null"), -1},                               /* no value */
    {JGRANT("1.5"), -1},                                /* not a count */
    {JGRANT("1e2"), -1},                                /* not a count */
    {JGRANT("99999999999999999999999"), -1},            /* too big */
    {JGRANT("\"x\\u0000\""), -1},                       /* NUL */
    {JGRANT("\"\xff\""), -1},                           /* not UTF-8 */
};

START_TEST(test_json_records)
{
	char back[4096] = "", err[256] = "";

	ck_assert_msg(
	    ctl_json_records(json_cases[_i].json, strlen(json_cases[_i].json),
	        collect, back, err, sizeof(err)) == json_cases[_i].rc,
	    "%s: %s", json_cases[_i].json, err);
}
END_TEST

START_TEST(test_json_not_utf8)
{
	/* a damaged record: its bytes leave as \ooo text and come back so */
	char grant[] = "grant\t192.0.2.1\t1\t2\t3\t4",
	     user[] = "user\t192.0.2.1\tb\xffob\t1\t2\t3";
	char *lines[] = {grant, user}, *json = NULL, back[4096] = "", err[256];
	size_t len = 0;
	FILE *fp = open_memstream(&json, &len);

	ctl_json_write(fp, lines, NITEMS(lines), "", true);
	fclose(fp);
	ck_assert_msg(strstr(json, "\"b\\\\377ob\"") != NULL, "%s", json);
	ck_assert_int_eq(
	    ctl_json_records(json, len, collect, back, err, sizeof(err)), 0);
	ck_assert_str_eq(back,
	    "grant\t192.0.2.1\t1\t2\t3\t4\n"
	    "user\t192.0.2.1\tb\\377ob\t1\t2\t3\n");
	free(json);
}
END_TEST

static Suite *
ctl_suite(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("formats");

	log_open(NULL, false, false);
	tcase_add_loop_test(tc, test_import_line, 0, NITEMS(import_cases));
	tcase_add_test(tc, test_bl_record_versions);
	tcase_add_test(tc, test_escape_roundtrip);
	tcase_add_test(tc, test_json_roundtrip);
	tcase_add_loop_test(tc, test_json_records, 0, NITEMS(json_cases));
	tcase_add_test(tc, test_json_not_utf8);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(ctl_suite)

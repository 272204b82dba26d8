/*
 * check_logline.c - unit tests for logline.c: the three syslog framings, tags
 * with and without a pid, junk that must be refused, NUL bytes, and the stamp
 * conversion (RFC 3339 offsets, RFC 3164 year guess and New Year roll-over),
 * and the kept head of the last line, which must change no result.
 *
 * Table-driven (STYLE.md 6).  Time tests run with TZ=UTC so that mktime is
 * predictable.
 */
#include "test.h"
#include "logline.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
	const char *in;
	int rc;
	const char *host, *tag, *pid, *msg; /* pid NULL: none */
} frame_cases[] = {
    /* RFC 3164 */
    {"Nov 23 06:11:58 vm dovecot: pop3-login: Login: x", 0, "vm", "dovecot",
        NULL, "pop3-login: Login: x"},
    {"Nov 23 06:11:58 vm postfix/smtpd[32260]: NOQUEUE: reject", 0, "vm",
        "postfix/smtpd", "32260", "NOQUEUE: reject"},
    {"Nov  3 06:11:58 mx sm-mta[1]: a", 0, "mx", "sm-mta", "1", "a"},
    {"Nov 03 06:11:58 mx sm-mta[1]: a", 0, "mx", "sm-mta", "1", "a"},
    {"Jun  5 12:34:56.000 host prog: m", 0, "host", "prog", NULL, "m"},
    {"Nov 23 06:11:58 vm postfix-out/submission/smtpd[7]: m", 0, "vm",
        "postfix-out/submission/smtpd", "7", "m"},
    {"Nov 23 06:11:58 vm dovecot:", 0, "vm", "dovecot", NULL, ""},
    {"Nov 23 06:11:58 vm dovecot[9]:", 0, "vm", "dovecot", "9", ""},
    {"Nov 23 06:11:58 vm dovecot:  two spaces", 0, "vm", "dovecot", NULL,
        " two spaces"},
    /* RFC 3339 */
    {"2026-11-23T06:05:48.698101+00:00 vm dovecot: pop3-login: x", 0, "vm",
        "dovecot", NULL, "pop3-login: x"},
    {"2026-11-23T06:12:27+00:00 vm rigtest: via udp", 0, "vm", "rigtest", NULL,
        "via udp"},
    {"2026-11-23T06:12:27Z vm a[1]: b", 0, "vm", "a", "1", "b"},
    /* RFC 5424 */
    {"<22>1 2026-11-23T06:11:58.123Z vm dovecot - - - pop3-login: x", 0, "vm",
        "dovecot", NULL, "pop3-login: x"},
    {"<22>1 2026-11-23T06:11:58Z vm postfix/smtpd 1574 ID47 "
     "[a x=\"]\"][b] msg",
        0, "vm", "postfix/smtpd", "1574", "msg"},
    {"<22>1 - vm app 12 - -", 0, "vm", "app", "12", ""},
    /* raw datagram: <pri> then RFC 3164 */
    {"<22>Nov 23 06:11:58 vm prog[3]: m", 0, "vm", "prog", "3", "m"},
    /* junk */
    {"", -1, NULL, NULL, NULL, NULL},
    {"Nov 23 06:11:58", -1, NULL, NULL, NULL, NULL},
    {"Nov 23 06:11:58 vm", -1, NULL, NULL, NULL, NULL},
    {"Nov 23 06:11:58 vm ", -1, NULL, NULL, NULL, NULL},
    {"Nov 23 06:11:58 vm dovecot", -1, NULL, NULL, NULL, NULL},
    {"Nov 23 06:11:58 vm rigtest via tcp", -1, NULL, NULL, NULL, NULL},
    {"Nov 23 06:11:58 vm dovecot:x", -1, NULL, NULL, NULL, NULL},
    {"Nov 23 06:11:58 vm dovecot[]: x", -1, NULL, NULL, NULL, NULL},
    {"Nov 23 06:11:58 vm dovecot[1x]: x", -1, NULL, NULL, NULL, NULL},
    {"Nov 23 06:11:58 vm dovecot[12", -1, NULL, NULL, NULL, NULL},
    {"Nov 23 06:11:58 vm dovecot[12]x", -1, NULL, NULL, NULL, NULL},
    {"Nov 23 06:11:58 vm :x", -1, NULL, NULL, NULL, NULL},
    {"Nov 23 06:11:5", -1, NULL, NULL, NULL, NULL},
    {"Nov 32 06:11:58 vm a: b", -1, NULL, NULL, NULL, NULL},
    {"Nov 23 24:11:58 vm a: b", -1, NULL, NULL, NULL, NULL},
    {"Foo 23 06:11:58 vm a: b", -1, NULL, NULL, NULL, NULL},
    {"nov 23 06:11:58 vm a: b", -1, NULL, NULL, NULL, NULL},
    {"Nov 23 06:11:58. vm a: b", -1, NULL, NULL, NULL, NULL},
    {"2026-13-23T06:05:48+00:00 vm a: b", -1, NULL, NULL, NULL, NULL},
    {"2026-11-23T06:05:48+0000 vm a: b", -1, NULL, NULL, NULL, NULL},
    {"2026-11-23T06:05:48 vm a: b", -1, NULL, NULL, NULL, NULL},
    {"2026-11-23 06:05:48+00:00 vm a: b", -1, NULL, NULL, NULL, NULL},
    {"<22>1 2026-11-23T06:11:58Z vm app", -1, NULL, NULL, NULL, NULL},
    {"<22>1 2026-11-23T06:11:58Z vm app - - [unclosed", -1, NULL, NULL, NULL,
        NULL},
    {"<x>Nov 23 06:11:58 vm a: b", -1, NULL, NULL, NULL, NULL},
    {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", -1, NULL, NULL, NULL,
        NULL},
    {"Nov 23 06:11:58 vm caf\xc3\xa9: b", -1, NULL, NULL, NULL, NULL},
};

static void
check_slice(const char *what, const char *p, size_t n, const char *want)
{
	if (want == NULL) {
		ck_assert_msg(
		    p == NULL, "%s: got \"%.*s\", want none", what, (int)n, p);
		return;
	}
	ck_assert_msg(p != NULL, "%s: got none, want \"%s\"", what, want);
	ck_assert_msg(n == strlen(want) && memcmp(p, want, n) == 0,
	    "%s: got \"%.*s\", want \"%s\"", what, (int)n, p, want);
}

START_TEST(test_frame)
{
	const char *in = frame_cases[_i].in;
	struct logline ll;
	int rc = logline_parse(in, strlen(in), &ll, NULL);

	ck_assert_msg(rc == frame_cases[_i].rc, "\"%s\": rc %d, want %d", in,
	    rc, frame_cases[_i].rc);
	if (rc < 0)
		return;
	ck_assert_int_eq(ll.when, 0); /* no year state: no time */
	check_slice("host", ll.host, ll.hostlen, frame_cases[_i].host);
	check_slice("tag", ll.tag, ll.taglen, frame_cases[_i].tag);
	check_slice("pid", ll.pid, ll.pidlen, frame_cases[_i].pid);
	check_slice("msg", ll.msg, ll.msglen, frame_cases[_i].msg);
}
END_TEST

/* NUL bytes: harmless in the message, fatal in the framing */
START_TEST(test_nul)
{
	static const char ok[] = "Nov 23 06:11:58 vm a[1]: x\0y";
	static const char intag[] = "Nov 23 06:11:58 vm a\0b: x";
	static const char instamp[] = "Nov 23 06:1\0:58 vm a: x";
	static const char first[] = "\0Nov 23 06:11:58 vm a: x";
	struct logline ll;

	ck_assert_int_eq(logline_parse(ok, sizeof(ok) - 1, &ll, NULL), 0);
	ck_assert_int_eq(ll.msglen, 3);
	ck_assert(memcmp(ll.msg, "x\0y", 3) == 0);
	ck_assert_int_eq(
	    logline_parse(intag, sizeof(intag) - 1, &ll, NULL), -1);
	ck_assert_int_eq(
	    logline_parse(instamp, sizeof(instamp) - 1, &ll, NULL), -1);
	ck_assert_int_eq(
	    logline_parse(first, sizeof(first) - 1, &ll, NULL), -1);
	/* truncated lines never read past len */
	ck_assert_int_eq(logline_parse(ok, 20, &ll, NULL), -1);
	ck_assert_int_eq(logline_parse(ok, 0, &ll, NULL), -1);
}
END_TEST

/* RFC 3339 and RFC 5424 stamps: timegm minus the offset */
static const struct {
	const char *in;
	time_t when; /* epoch seconds */
} iso_cases[] = {
    {"2026-11-23T06:05:48.698101+00:00 vm a: b", 1795413948},
    {"2026-11-23T06:05:48Z vm a: b", 1795413948},
    {"2026-11-23T07:05:48+01:00 vm a: b", 1795413948},
    {"2026-11-23T00:35:48-05:30 vm a: b", 1795413948},
    {"2026-11-23T06:05:48.1-00:00 vm a: b", 1795413948},
    {"<22>1 2026-11-23T06:05:48.123Z vm a - - - b", 1795413948},
    {"<22>1 - vm a - - - b", 0}, {"2000-02-29T00:00:00Z vm a: b", 951782400},
    {"1970-01-01T00:00:00+01:00 vm a: b", 0}, /* before the epoch */
};

START_TEST(test_iso_time)
{
	struct logline_year yr = {.year = 0, .last_mon = -1};
	struct logline ll;
	const char *in = iso_cases[_i].in;

	ck_assert_int_eq(logline_parse(in, strlen(in), &ll, &yr), 0);
	ck_assert_msg(ll.when == iso_cases[_i].when, "\"%s\": %lld, want %lld",
	    in, (long long)ll.when, (long long)iso_cases[_i].when);
}
END_TEST

/* RFC 3164: the year state rolls at New Year, the day cache stays right */
static const struct {
	int year, last_mon; /* state before the line */
	const char *in;
	int want_year;
	time_t when;
} year_cases[] = {
    {2025, 11, "Dec 31 23:59:59 vm a: b", 2025, 1767225599},
    {2025, 11, "Jan  1 00:00:01 vm a: b", 2026, 1767225601},
    {2025, 10, "Dec  1 00:00:00 vm a: b", 2025, 1764547200},
    {2026, 0, "Jan  1 00:00:00 vm a: b", 2026, 1767225600},
    /* a small step back (late line) keeps the year */
    {2026, 5, "Mar  1 00:00:00 vm a: b", 2026, 1772323200},
    {2026, 6, "Jan 15 00:00:00 vm a: b", 2026, 1768435200},
    {2026, 7, "Jan 15 00:00:00 vm a: b", 2027, 1799971200},
    {2024, 1, "Feb 29 12:00:00 vm a: b", 2024, 1709208000},
};

START_TEST(test_year)
{
	struct logline_year yr = {
	    .year = year_cases[_i].year, .last_mon = year_cases[_i].last_mon};
	struct logline ll;
	const char *in = year_cases[_i].in;

	setenv("TZ", "UTC", 1);
	tzset();
	ck_assert_int_eq(logline_parse(in, strlen(in), &ll, &yr), 0);
	ck_assert_int_eq(yr.year, year_cases[_i].want_year);
	ck_assert_msg(ll.when == year_cases[_i].when, "\"%s\": %lld, want %lld",
	    in, (long long)ll.when, (long long)year_cases[_i].when);
}
END_TEST

/* a run of lines across New Year, with the per-day cache in use */
START_TEST(test_year_sequence)
{
	static const char *const lines[] = {
	    "Dec 31 23:59:58 vm a: b",
	    "Dec 31 23:59:59 vm a: b",
	    "Jan  1 00:00:00 vm a: b",
	    "Jan  1 00:00:01 vm a: b",
	    "Jan  2 00:00:00 vm a: b",
	};
	static const time_t want[] = {
	    1767225598, 1767225599, 1767225600, 1767225601, 1767312000};
	struct logline_year yr = {.year = 2025, .last_mon = -1};
	struct logline ll;
	size_t i;

	setenv("TZ", "UTC", 1);
	tzset();
	for (i = 0; i < NITEMS(lines); i++) {
		ck_assert_int_eq(
		    logline_parse(lines[i], strlen(lines[i]), &ll, &yr), 0);
		ck_assert_msg(ll.when == want[i], "\"%s\": %lld, want %lld",
		    lines[i], (long long)ll.when, (long long)want[i]);
	}
	ck_assert_int_eq(yr.year, 2026);
}
END_TEST

/* the first line picks this year, or last year if it is "in the future" */
START_TEST(test_year_first)
{
	struct logline_year yr = {.year = 0, .last_mon = -1};
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct logline ll;
	struct tm tm;
	time_t now;
	char line[64];
	int m;

	setenv("TZ", "UTC", 1);
	tzset();
	now = time(NULL);
	gmtime_r(&now, &tm);
	for (m = 0; m < 12; m++) {
		int want = tm.tm_year + 1900 - (m > tm.tm_mon + 1 ? 1 : 0);

		yr.year = 0;
		yr.last_mon = -1;
		yr.head_len = 0;
		snprintf(line, sizeof(line), "%s 10 12:00:00 vm a: b", mon[m]);
		ck_assert_int_eq(
		    logline_parse(line, strlen(line), &ll, &yr), 0);
		ck_assert_msg(yr.year == want, "%s: year %d, want %d", line,
		    yr.year, want);
		ck_assert(ll.when > 0);
	}
}
END_TEST

/* a DST day in a real zone still gives the right local time */
START_TEST(test_dst_day)
{
	struct logline_year yr = {.year = 2026, .last_mon = 2};
	static const char before[] = "Mar 29 00:30:00 vm a: b";
	static const char after[] = "Mar 29 12:00:00 vm a: b";
	struct logline ll;

	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	ck_assert_int_eq(logline_parse(before, strlen(before), &ll, &yr), 0);
	ck_assert_int_eq(ll.when, 1774740600); /* 23:30 UTC, CET */
	ck_assert_int_eq(logline_parse(after, strlen(after), &ll, &yr), 0);
	ck_assert_int_eq(ll.when, 1774778400); /* 10:00 UTC, CEST */
	setenv("TZ", "UTC", 1);
	tzset();
}
END_TEST

/* same_parse - a and b parsed alike (rc, time, slices as offsets) */
static void
same_parse(const char *in, size_t len, int ra, const struct logline *a, int rb,
    const struct logline *b)
{
	ck_assert_msg(ra == rb, "\"%.*s\": rc %d with the head, %d without",
	    (int)len, in, ra, rb);
	if (ra < 0)
		return;
	ck_assert_int_eq(a->when, b->when);
	ck_assert(a->host == b->host && a->hostlen == b->hostlen);
	ck_assert(a->tag == b->tag && a->taglen == b->taglen);
	ck_assert(a->pid == b->pid && a->pidlen == b->pidlen);
	ck_assert(a->msg == b->msg && a->msglen == b->msglen);
}

/*
 * The kept head changes nothing: every line, cut at every length, parsed
 * after every other one, reads as it does with the head forgotten.
 */
START_TEST(test_head_cache)
{
	static const char *const extra[] = {
	    "Nov 23 06:11:58 vm a[1]: x",
	    "Nov 23 06:11:58 vm b: y",
	    "Nov 23 06:11:58 vm [1]: x",
	    "Nov 23 06:11:58 vm a b: c",
	    "Nov 23 06:11:58 vmx c: z",
	    "Nov 23 06:11:59 vm a: x",
	    "Jan  1 00:00:00 vm a: x",
	    "2026-11-23T06:05:48.698101+00:00 vm a: b",
	    "2026-11-23T06:05:48.698101+00:00 vm2 a: b",
	    "<13>Nov 23 06:11:58 vm a: b",
	    "<13>1 2026-11-23T06:05:48Z vm a 1 - - b",
	};
	const char *lines[NITEMS(frame_cases) + NITEMS(extra)];
	size_t n = 0, x, y, cut;

	setenv("TZ", "UTC", 1);
	tzset();
	for (x = 0; x < NITEMS(frame_cases); x++)
		lines[n++] = frame_cases[x].in;
	for (x = 0; x < NITEMS(extra); x++)
		lines[n++] = extra[x];
	for (x = 0; x < n; x++)
		for (y = 0; y < n; y++)
			for (cut = 0; cut <= strlen(lines[y]); cut++) {
				struct logline_year kept = {
				    .year = 2026, .last_mon = -1};
				struct logline_year bare;
				struct logline a, b;
				char *in = malloc(cut ? cut : 1);
				int ra, rb;

				ck_assert_ptr_nonnull(in);
				memcpy(in, lines[y], cut);
				logline_parse(
				    lines[x], strlen(lines[x]), &a, &kept);
				bare = kept;
				bare.head_len = 0;
				ra = logline_parse(in, cut, &a, &kept);
				rb = logline_parse(in, cut, &b, &bare);
				same_parse(in, cut, ra, &a, rb, &b);
				ck_assert_int_eq(kept.year, bare.year);
				ck_assert_int_eq(kept.last_mon, bare.last_mon);
				free(in);
			}
}
END_TEST

/* every byte at every place of a 40-byte tag: the 16-byte (SSE2) scan and
 * the byte loop agree on what a tag may hold */
START_TEST(test_tag_bytes)
{
	static const char head[] = "Nov 23 06:11:58 vm ";
	char line[128];
	struct logline ll;
	int b, pos, rc;

	for (b = 0; b < 256; b++)
		for (pos = 0; pos < 40; pos++) {
			bool ok = b > ' ' && b < 0x7f && b != '[' && b != ':';
			size_t n = sizeof(head) - 1;

			memcpy(line, head, n);
			memset(line + n, 'a', 40);
			line[n + (size_t)pos] = (char)b;
			memcpy(line + n + 40, "[1]: m", 6);
			rc = logline_parse(line, n + 46, &ll, NULL);
			ck_assert_msg(rc == (ok ? 0 : -1),
			    "byte %02x at %d: rc %d", b, pos, rc);
			if (ok)
				ck_assert_uint_eq(ll.taglen, 40);
			/* a short line: only the byte loop runs */
			line[n + (size_t)pos + 1] = ':';
			rc =
			    logline_parse(line, n + (size_t)pos + 2, &ll, NULL);
			ck_assert_msg(rc == (ok ? 0 : -1),
			    "byte %02x at %d: rc %d", b, pos, rc);
		}
}
END_TEST

static Suite *
logline_suite(void)
{
	Suite *s = suite_create("logline");
	TCase *tc = tcase_create("frame");

	tcase_add_loop_test(tc, test_frame, 0, NITEMS(frame_cases));
	tcase_add_test(tc, test_nul);
	tcase_add_test(tc, test_tag_bytes);
	suite_add_tcase(s, tc);
	tc = tcase_create("time");
	tcase_add_loop_test(tc, test_iso_time, 0, NITEMS(iso_cases));
	tcase_add_loop_test(tc, test_year, 0, NITEMS(year_cases));
	tcase_add_test(tc, test_year_sequence);
	tcase_add_test(tc, test_year_first);
	tcase_add_test(tc, test_dst_day);
	tcase_add_test(tc, test_head_cache);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(logline_suite)

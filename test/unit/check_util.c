/*
 * check_util.c - unit tests for util.c: durations, number and boolean parsing,
 * and log_escape, the function that keeps attacker-written bytes out of log
 * lines and map values.
 *
 * Table-driven (STYLE.md 6): one row per case, tcase_add_loop_test runs each
 * row as its own test so a failure names the row (_i).
 */
#include "test.h"
#include "util.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* durations: contract of util.h plus the edges (empty, junk, overflow) */
static const struct {
	const char *in;
	int rc;
	time_t secs;
} dur_cases[] = {
    {"30s", 0, 30}, {"30m", 0, 1800}, {"12h", 0, 43200}, {"7d", 0, 604800},
    {"2w", 0, 1209600}, {"90", 0, 90}, {"0", 0, 0}, {"1h30m", 0, 5400},
    {"1d12h", 0, 129600}, {"1w2d3h4m5s", 0, 788645}, {"", -1, 0}, {"5x", -1, 0},
    {"m", -1, 0}, {"-1", -1, 0}, {"-30m", -1, 0}, {" 30m", -1, 0},
    {"30m ", -1, 0}, {"1h 30m", -1, 0}, {"30ms", -1, 0}, {"30mm", -1, 0},
    {"1.5h", -1, 0}, {"0x10", -1, 0}, {"99999999999999999999", -1, 0},
    {"99999999999w", -1, 0}, {"6000w", -1, 0}, /* more than 100 years */
};

START_TEST(test_dur_parse)
{
	time_t secs = 4242;
	int rc = dur_parse(dur_cases[_i].in, &secs);

	ck_assert_msg(rc == dur_cases[_i].rc, "dur_parse(\"%s\") = %d, want %d",
	    dur_cases[_i].in, rc, dur_cases[_i].rc);
	if (dur_cases[_i].rc == 0)
		ck_assert_msg(secs == dur_cases[_i].secs,
		    "dur_parse(\"%s\") gave %lld, want %lld", dur_cases[_i].in,
		    (long long)secs, (long long)dur_cases[_i].secs);
	else
		ck_assert_msg(secs == 4242,
		    "dur_parse(\"%s\") touched the output "
		    "on error",
		    dur_cases[_i].in);
}
END_TEST

static const struct {
	const char *in;
	int rc;
	long long ms;
} dur_ms_cases[] = {
    {"50ms", 0, 50},
    {"0ms", 0, 0},
    {"1s", 0, 1000},
    {"2", 0, 2000},
    {"1s500ms", 0, 1500},
    {"1m", 0, 60000},
    {"", -1, 0},
    {"ms", -1, 0},
    {"5x", -1, 0},
    {"5 ms", -1, 0},
    {"-5ms", -1, 0},
};

START_TEST(test_dur_parse_ms)
{
	long long ms = 4242;
	int rc = dur_parse_ms(dur_ms_cases[_i].in, &ms);

	ck_assert_msg(rc == dur_ms_cases[_i].rc, "dur_parse_ms(\"%s\") = %d",
	    dur_ms_cases[_i].in, rc);
	if (rc == 0)
		ck_assert_msg(ms == dur_ms_cases[_i].ms,
		    "dur_parse_ms(\"%s\") gave %lld, want %lld",
		    dur_ms_cases[_i].in, ms, dur_ms_cases[_i].ms);
	else
		ck_assert(ms == 4242);
}
END_TEST

/* the seed's pretty_seconds: leading zero units omitted, inner ones kept */
static const struct {
	time_t secs;
	const char *out;
} fmt_cases[] = {
    {0, "0s"},
    {1, "1s"},
    {59, "59s"},
    {60, "1m 0s"},
    {62, "1m 2s"},
    {3599, "59m 59s"},
    {3600, "1h 0m 0s"},
    {3723, "1h 2m 3s"},
    {86400, "1d 0h 0m 0s"},
    {90061, "1d 1h 1m 1s"},
    {604800, "1w 0d 0h 0m 0s"},
    {788645, "1w 2d 3h 4m 5s"},
    {1209600 + 5, "2w 0d 0h 0m 5s"},
    {-5, "0s"},
};

START_TEST(test_dur_format)
{
	char buf[64];
	const char *s = dur_format(fmt_cases[_i].secs, buf, sizeof(buf));

	ck_assert_ptr_eq(s, buf);
	ck_assert_str_eq(s, fmt_cases[_i].out);
}
END_TEST

/* formatted durations parse back (without the spaces) to the same seconds */
START_TEST(test_dur_roundtrip)
{
	static const time_t v[] = {0, 1, 61, 3723, 90061, 788645, 2419200};
	char buf[64], nospace[64];
	size_t i, j, o;
	time_t back;

	for (i = 0; i < NITEMS(v); i++) {
		dur_format(v[i], buf, sizeof(buf));
		for (j = 0, o = 0; buf[j] != '\0'; j++)
			if (buf[j] != ' ')
				nospace[o++] = buf[j];
		nospace[o] = '\0';
		ck_assert_int_eq(dur_parse(nospace, &back), 0);
		ck_assert_msg(back == v[i], "%s -> %lld, want %lld", nospace,
		    (long long)back, (long long)v[i]);
	}
}
END_TEST

/* a short buffer: always terminated, never overrun, a prefix of the full text */
START_TEST(test_dur_format_trunc)
{
	char full[64], buf[16];
	size_t size;

	dur_format(788645, full, sizeof(full));
	for (size = 1; size <= sizeof(buf); size++) {
		memset(buf, 'Z', sizeof(buf));
		dur_format(788645, buf, size);
		ck_assert_msg(strnlen(buf, size) < size,
		    "size %zu: not terminated", size);
		ck_assert_msg(strncmp(full, buf, strlen(buf)) == 0,
		    "size %zu: \"%s\" is no prefix of \"%s\"", size, buf, full);
		if (size < sizeof(buf))
			ck_assert_msg(
			    buf[size] == 'Z', "size %zu: overrun", size);
	}
}
END_TEST

static const struct {
	const char *in;
	long long min, max;
	int rc;
	long long v;
} long_cases[] = {
    {"42", 0, 100, 0, 42},
    {"0", 0, 100, 0, 0},
    {"100", 0, 100, 0, 100},
    {"101", 0, 100, -1, 0},
    {"-1", 0, 100, -1, 0},
    {"-5", -10, 10, 0, -5},
    {"-11", -10, 10, -1, 0},
    {"9223372036854775807", LLONG_MIN, LLONG_MAX, 0, LLONG_MAX},
    {"9223372036854775808", LLONG_MIN, LLONG_MAX, -1, 0},
    {"-9223372036854775809", LLONG_MIN, LLONG_MAX, -1, 0},
    {"", 0, 100, -1, 0},
    {" 5", 0, 100, -1, 0},
    {"5 ", 0, 100, -1, 0},
    {"5x", 0, 100, -1, 0},
    {"0x10", 0, 100, -1, 0},
    {"1e3", 0, 10000, -1, 0},
    {"abc", 0, 100, -1, 0},
    {"\t7", 0, 100, -1, 0},
};

START_TEST(test_parse_long)
{
	long long v = 4242;
	int rc = parse_long(
	    long_cases[_i].in, long_cases[_i].min, long_cases[_i].max, &v);

	ck_assert_msg(rc == long_cases[_i].rc,
	    "parse_long(\"%s\", %lld, %lld) "
	    "= %d, want %d",
	    long_cases[_i].in, long_cases[_i].min, long_cases[_i].max, rc,
	    long_cases[_i].rc);
	if (rc == 0)
		ck_assert_msg(v == long_cases[_i].v,
		    "parse_long(\"%s\") = %lld", long_cases[_i].in, v);
	else
		ck_assert_msg(v == 4242,
		    "parse_long(\"%s\") touched the output "
		    "on error",
		    long_cases[_i].in);
}
END_TEST

START_TEST(test_parse_long_null)
{
	long long v = 4242;

	ck_assert_int_eq(parse_long(NULL, 0, 10, &v), -1);
	ck_assert(v == 4242);
}
END_TEST

static const struct {
	const char *in;
	int rc;
	bool v;
} bool_cases[] = {
    {"yes", 0, true},
    {"no", 0, false},
    {"true", 0, true},
    {"false", 0, false},
    {"on", 0, true},
    {"off", 0, false},
    {"1", 0, true},
    {"0", 0, false},
    {"YES", 0, true},
    {"No", 0, false},
    {"", -1, false},
    {"maybe", -1, false},
    {"yes ", -1, false},
    {" no", -1, false},
    {"2", -1, false},
    {"y", -1, false},
    {"yess", -1, false},
};

START_TEST(test_parse_bool)
{
	bool v = !bool_cases[_i].v;
	int rc = parse_bool(bool_cases[_i].in, &v);

	ck_assert_msg(rc == bool_cases[_i].rc, "parse_bool(\"%s\") = %d",
	    bool_cases[_i].in, rc);
	if (rc == 0)
		ck_assert_msg(v == bool_cases[_i].v, "parse_bool(\"%s\")",
		    bool_cases[_i].in);
}
END_TEST

/* log_escape: in is n bytes (NUL allowed), out must be exactly want */
static const struct {
	const char *in;
	size_t n;
	size_t size;
	const char *want;
} esc_cases[] = {
    {"plain text", 10, 64, "plain text"},
    {"", 0, 64, ""},
    {"a\tb", 3, 64, "a\\011b"},
    {"a\0b", 3, 64, "a\\000b"},
    {"line\nnext", 9, 64, "line\\012next"},
    {"cr\r", 3, 64, "cr\\015"},
    {"back\\slash", 10, 64, "back\\134slash"},
    {"del\x7f", 4, 64, "del\\177"},
    {"esc\x1b[31m", 8, 64, "esc\\033[31m"},
    {"\xff", 1, 64, "\\377"},
    {"caf\xc3\xa9", 5, 64, "caf\xc3\xa9"},               /* é */
    {"\xe2\x82\xac", 3, 64, "\xe2\x82\xac"},             /* € */
    {"\xf0\x9f\x93\xa7", 4, 64, "\xf0\x9f\x93\xa7"},     /* U+1F4E7 */
    {"\xc0\xaf", 2, 64, "\\300\\257"},                   /* overlong / */
    {"\xed\xa0\x80", 3, 64, "\\355\\240\\200"},          /* surrogate */
    {"\xf4\x90\x80\x80", 4, 64, "\\364\\220\\200\\200"}, /* > U+10FFFF */
    {"x\xc3", 2, 64, "x\\303"},                          /* cut sequence */
    {"\xc3(", 2, 64, "\\303("},                          /* bad continuation */
    {"\x80", 1, 64, "\\200"},                            /* lone continuation */
    /* n stops early: bytes beyond n are never read */
    {"abcdef", 3, 64, "abc"},
    /* truncation: never a partial escape or a split UTF-8 sequence */
    {"abcdef", 6, 4, "abc"},
    {"abcdef", 6, 1, ""},
    {"ab\tc", 4, 5, "ab"},
    {"ab\tc", 4, 7, "ab\\011"},
    {"a\xc3\xa9", 3, 3, "a"},
    {"a\xc3\xa9", 3, 4, "a\xc3\xa9"},
};

START_TEST(test_log_escape)
{
	char buf[64];
	const char *s;

	ck_assert(esc_cases[_i].size <= sizeof(buf));
	memset(buf, 'Z', sizeof(buf));
	s = log_escape(
	    buf, esc_cases[_i].size, esc_cases[_i].in, esc_cases[_i].n);
	ck_assert_ptr_eq(s, buf);
	ck_assert_msg(strcmp(buf, esc_cases[_i].want) == 0,
	    "row %d: got \"%s\", want \"%s\"", _i, buf, esc_cases[_i].want);
	if (esc_cases[_i].size < sizeof(buf))
		ck_assert_msg(
		    buf[esc_cases[_i].size] == 'Z', "row %d: overrun", _i);
}
END_TEST

/* every byte value: the output is printable ASCII only */
/* log_quote: plain fields untouched, the rest quoted; log_quote_in too */
static const struct {
	const char *in, *bare, *inside;
} quote_cases[] = {
    {"alice@example.org", "alice@example.org", "alice@example.org"},
    {"", "", ""},
    {"x has authenticated a new relay session from 6.6.6.77",
        "\"x has authenticated a new relay session from 6.6.6.77\"",
        "x has authenticated a new relay session from 6.6.6.77"},
    {"a] was [b", "\"a] was [b\"", "\"a] was [b\""},
    {"q\"uote", "\"q\\\"uote\"", "\"q\\\"uote\""},
    {"<evil>", "\"<evil>\"", "\"<evil>\""},
};

START_TEST(test_log_quote)
{
	char buf[256];

	ck_assert_str_eq(log_quote(buf, sizeof(buf), quote_cases[_i].in),
	    quote_cases[_i].bare);
	ck_assert_str_eq(log_quote_in(buf, sizeof(buf), quote_cases[_i].in),
	    quote_cases[_i].inside);
}
END_TEST

START_TEST(test_log_escape_all_bytes)
{
	char in[256], buf[256 * 4 + 1];
	size_t i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)i;
	log_escape(buf, sizeof(buf), in, sizeof(in));
	/* 94 printable bytes pass; the other 162 (no valid UTF-8 here) become \ooo */
	ck_assert_uint_eq(strlen(buf), 94 + 162 * 4);
	for (i = 0; buf[i] != '\0'; i++) {
		unsigned char c = (unsigned char)buf[i];

		ck_assert_msg(c >= 0x20 && c < 0x7f, "byte %02x in output", c);
	}
}
END_TEST

/* every byte at every place of 40 bytes: the 16-byte (SSE2) test, the
 * 8-byte test and the byte loop must agree on what is plain */
START_TEST(test_log_escape_words)
{
	char in[40], buf[40 * 4 + 1], want[40 * 4 + 1];
	int b, pos;

	for (b = 0; b < 256; b++)
		for (pos = 0; pos < (int)sizeof(in); pos++) {
			bool plain = b >= 0x20 && b < 0x7f && b != '\\';
			size_t n = (size_t)pos;

			memset(in, 'a', sizeof(in));
			in[pos] = (char)b;
			log_escape(buf, sizeof(buf), in, sizeof(in));
			memset(want, 'a', n);
			if (plain)
				want[n++] = (char)b;
			else
				n += (size_t)snprintf(want + n, 5, "\\%03o", b);
			memset(want + n, 'a', sizeof(in) - 1 - (size_t)pos);
			want[n + sizeof(in) - 1 - (size_t)pos] = '\0';
			ck_assert_str_eq(buf, want);
		}
}
END_TEST

/* FNV-1a's published test vectors, and a chained key the same as whole */
START_TEST(test_fnv1a)
{
	ck_assert_uint_eq(fnv1a(FNV1A_INIT, "", 0), 0x811c9dc5u);
	ck_assert_uint_eq(fnv1a(FNV1A_INIT, "a", 1), 0xe40c292cu);
	ck_assert_uint_eq(fnv1a(FNV1A_INIT, "foobar", 6), 0xbf9cf968u);
	ck_assert_uint_eq(
	    fnv1a(fnv1a(FNV1A_INIT, "foo", 3), "bar", 3), 0xbf9cf968u);
}
END_TEST

START_TEST(test_log_escape_size0)
{
	char buf[4] = "ZZZ";

	log_escape(buf, 0, "abc", 3);
	ck_assert_str_eq(buf, "ZZZ");
}
END_TEST

START_TEST(test_xstrndup)
{
	char *p = xstrndup("abcdef", 3);

	ck_assert_str_eq(p, "abc");
	free(p);
	p = xstrndup("ab", 10);
	ck_assert_str_eq(p, "ab");
	free(p);
}
END_TEST

static Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_dur_parse, 0, (int)NITEMS(dur_cases));
	tcase_add_loop_test(tc, test_log_quote, 0, (int)NITEMS(quote_cases));
	tcase_add_loop_test(
	    tc, test_dur_parse_ms, 0, (int)NITEMS(dur_ms_cases));
	tcase_add_loop_test(tc, test_dur_format, 0, (int)NITEMS(fmt_cases));
	tcase_add_test(tc, test_log_escape_words);
	tcase_add_test(tc, test_fnv1a);
	tcase_add_test(tc, test_dur_roundtrip);
	tcase_add_test(tc, test_dur_format_trunc);
	tcase_add_loop_test(tc, test_parse_long, 0, (int)NITEMS(long_cases));
	tcase_add_test(tc, test_parse_long_null);
	tcase_add_loop_test(tc, test_parse_bool, 0, (int)NITEMS(bool_cases));
	tcase_add_loop_test(tc, test_log_escape, 0, (int)NITEMS(esc_cases));
	tcase_add_test(tc, test_log_escape_all_bytes);
	tcase_add_test(tc, test_log_escape_size0);
	tcase_add_test(tc, test_xstrndup);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(util_suite)

/*
 * check_greytrap.c - the greytrapper's sender check: what spamd's greytrapper
 * (Email::Valid, fully qualified, IP literals allowed) called malformed.
 */
#include "test.h"

#include "greytrap.h"
#include "util.h"

static const struct {
	const char *in;
	bool ok;
} sender_cases[] = {
    {"", true}, /* the null sender <> */
    {"alice@example.org", true},
    {"a.b+tag@mail.example.co.uk", true},
    {"o'brien@example.ie", true},
    {"\"john doe\"@example.org", true},
    {"x@[192.0.2.1]", true},
    {"x@[IPv6:2001:db8::1]", true},
    {"bounce-123=a=b.example@lists.example.net", true},
    {"a@@b.example", false},
    {"@example.org", false},
    {"alice@", false},
    {"alice", false},
    {"alice@localhost", false}, /* not fully qualified */
    {"alice@-bad.example", false},
    {"alice@bad-.example", false},
    {"alice@exa mple.org", false},
    {"alice@example..org", false},
    {".alice@example.org", false},
    {"alice.@example.org", false},
    {"al..ice@example.org", false},
    {"al ice@example.org", false},
    {"al(ice@example.org", false},
    {"x@[192.0.2.300]", false},
    {"x@[192.0.2.1", false},
    {"\"unterminated@example.org", false},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "@example.org",
        false}, /* 65-byte local part */
    {"alice@example.org\\015", false},
};

START_TEST(test_sender_valid)
{
	ck_assert_msg(
	    gt_sender_valid(sender_cases[_i].in) == sender_cases[_i].ok,
	    "%s: expected %s", sender_cases[_i].in,
	    sender_cases[_i].ok ? "valid" : "malformed");
}
END_TEST

static Suite *
greytrap_suite(void)
{
	Suite *s = suite_create("greytrap");
	TCase *tc = tcase_create("sender");

	tcase_add_loop_test(tc, test_sender_valid, 0, NITEMS(sender_cases));
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(greytrap_suite)

/*
 * check_addr.c - unit tests for addr.c: parsing client addresses the way they
 * appear in logs, formatting the key Postfix looks up, and CIDR networks.
 *
 * The keys are what smtpd looks up (../shared/ref/postfix-maps.md rule 2): a
 * dotted quad, compressed lower-case IPv6, and v4-mapped folded to IPv4.
 * Attacker-shaped text ("1.2.3.4 x", "999.1.1.1") must parse to nothing.
 */
#include "test.h"
#include "addr.h"
#include "util.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* want: the formatted key, or NULL when addr_parse must refuse */
static const struct {
	const char *in;
	int family;
	const char *want;
} parse_cases[] = {
    {"192.0.2.10", 4, "192.0.2.10"},
    {"0.0.0.0", 4, "0.0.0.0"},
    {"255.255.255.255", 4, "255.255.255.255"},
    {"2001:db8::1", 6, "2001:db8::1"},
    {"2001:DB8::1", 6, "2001:db8::1"},
    {"2001:0db8:0000:0000:0000:0000:0000:0001", 6, "2001:db8::1"},
    {"2001:db8:0:1:0:0:0:5", 6, "2001:db8:0:1::5"},
    {"2001:db8:0:0:1:0:0:1", 6, "2001:db8::1:0:0:1"},
    {"FE80::ABCD", 6, "fe80::abcd"},
    {"::1", 6, "::1"},
    {"::", 6, "::"},
    /* v4-mapped, as Dovecot and Courier log on a dual-stack socket */
    {"::ffff:192.0.2.10", 4, "192.0.2.10"},
    {"::FFFF:192.0.2.10", 4, "192.0.2.10"},
    {"0:0:0:0:0:ffff:c000:020a", 4, "192.0.2.10"},
    {"[::ffff:203.0.113.5]", 4, "203.0.113.5"},
    /* v4-compatible (deprecated) and NAT64 are real IPv6, not folded */
    {"64:ff9b::192.0.2.10", 6, "64:ff9b::c000:20a"},
    /* wrappers: Postfix [ip], sendmail [IPv6:...] */
    {"[192.0.2.10]", 4, "192.0.2.10"},
    {"[2001:db8::5]", 6, "2001:db8::5"},
    {"IPv6:2001:db8::5", 6, "2001:db8::5"},
    {"ipv6:2001:db8::5", 6, "2001:db8::5"},
    {"[IPv6:2001:db8::5]", 6, "2001:db8::5"},
    /* junk */
    {"", 0, NULL},
    {"[]", 0, NULL},
    {"IPv6:", 0, NULL},
    {"1.2.3.4 x", 0, NULL},
    {" 1.2.3.4", 0, NULL},
    {"1.2.3.4\n", 0, NULL},
    {"999.1.1.1", 0, NULL},
    {"256.0.0.1", 0, NULL},
    {"1.2.3", 0, NULL},
    {"1.2.3.4.5", 0, NULL},
    {"01.2.3.4", 0, NULL},
    {"1.2.3.4/32", 0, NULL},
    {"1.2.3.4:25", 0, NULL},
    {"[1.2.3.4", 0, NULL},
    {"1.2.3.4]", 0, NULL},
    {"[[1.2.3.4]]", 0, NULL},
    {"::ffff:1.2.3.4]", 0, NULL},
    {"2001:db8::1::2", 0, NULL},
    {"2001:db8::g", 0, NULL},
    {"2001:db8::1%eth0", 0, NULL},
    {"IPv6:192.0.2.10", 4, "192.0.2.10"},
    {"unknown", 0, NULL},
    {"localhost", 0, NULL},
    {"1234567890123456789012345678901234567890123456789012345678", 0, NULL},
};

START_TEST(test_addr_parse)
{
	const char *in = parse_cases[_i].in;
	char buf[ADDR_STRLEN];
	struct addr a;
	int rc = addr_parse(in, strlen(in), &a);

	if (parse_cases[_i].want == NULL) {
		ck_assert_msg(rc == -1,
		    "addr_parse(\"%s\") accepted junk as %s", in,
		    rc == 0 ? addr_format(&a, buf, sizeof(buf)) : "?");
		return;
	}
	ck_assert_msg(rc == 0, "addr_parse(\"%s\") refused", in);
	ck_assert_int_eq(a.family, parse_cases[_i].family);
	addr_format(&a, buf, sizeof(buf));
	ck_assert_msg(strcmp(buf, parse_cases[_i].want) == 0,
	    "addr_parse(\"%s\") formats as \"%s\", want \"%s\"", in, buf,
	    parse_cases[_i].want);
}
END_TEST

/* n is a length, not a NUL: the bytes after n are never looked at */
START_TEST(test_addr_parse_len)
{
	static const char line[] = "rip=192.0.2.10, lip=192.0.2.1";
	char buf[ADDR_STRLEN];
	struct addr a;

	ck_assert_int_eq(addr_parse(line + 4, 10, &a), 0);
	ck_assert_str_eq(addr_format(&a, buf, sizeof(buf)), "192.0.2.10");
	ck_assert_int_eq(addr_parse(line + 4, 11, &a), -1);
	ck_assert_int_eq(addr_parse(line + 4, 0, &a), -1);
}
END_TEST

/* a NUL byte inside the counted text is junk, not an early end */
START_TEST(test_addr_parse_nul)
{
	static const char in[] = "192.0.2.10\0junk";
	struct addr a;

	ck_assert_int_eq(addr_parse(in, sizeof(in) - 1, &a), -1);
}
END_TEST

/* the same address written differently is equal and hashes the same */
START_TEST(test_addr_equal_hash)
{
	static const char *same[] = {"::ffff:192.0.2.10", "192.0.2.10",
	    "[192.0.2.10]", "0:0:0:0:0:FFFF:C000:020A"};
	struct addr a, b;
	size_t i;

	ck_assert_int_eq(addr_parse(same[0], strlen(same[0]), &a), 0);
	for (i = 1; i < NITEMS(same); i++) {
		ck_assert_int_eq(addr_parse(same[i], strlen(same[i]), &b), 0);
		ck_assert_msg(addr_equal(&a, &b), "%s != %s", same[0], same[i]);
		ck_assert(addr_hash(&a) == addr_hash(&b));
	}
	ck_assert_int_eq(addr_parse("192.0.2.11", 10, &b), 0);
	ck_assert(!addr_equal(&a, &b));
	ck_assert(addr_hash(&a) != addr_hash(&b));
	/* ::c000:20a (v4-compatible) is v6, not the v4 address */
	ck_assert_int_eq(addr_parse("::c000:20a", 10, &b), 0);
	ck_assert(!addr_equal(&a, &b));
}
END_TEST

/* addr_format into a short buffer never overruns */
START_TEST(test_addr_format_short)
{
	char buf[8];
	struct addr a;

	ck_assert_int_eq(addr_parse("2001:db8::1234:5678", 19, &a), 0);
	memset(buf, 'Z', sizeof(buf));
	addr_format(&a, buf, 4);
	ck_assert(strnlen(buf, 4) < 4);
	ck_assert(buf[4] == 'Z');
}
END_TEST

/* addr_format's own IPv4 formatting says what inet_ntop says, every octet
 * value in every position; a short buffer still gets inet_ntop's "?" */
START_TEST(test_addr_format_v4)
{
	char buf[ADDR_STRLEN], want[INET_ADDRSTRLEN];
	struct addr a;
	int v, pos;

	for (pos = 0; pos < 4; pos++)
		for (v = 0; v < 256; v++) {
			memset(&a, 0, sizeof(a));
			a.family = 4;
			a.b[0] = 10;
			a.b[1] = 200;
			a.b[2] = 7;
			a.b[3] = 99;
			a.b[pos] = (uint8_t)v;
			inet_ntop(AF_INET, a.b, want, sizeof(want));
			ck_assert_str_eq(
			    addr_format(&a, buf, sizeof(buf)), want);
		}
	a.b[0] = a.b[1] = a.b[2] = a.b[3] = 255;
	ck_assert_str_eq(addr_format(&a, buf, 15), "?");
}
END_TEST

/* the IPv6 formatting too: every pattern of zero groups, with short and
 * long groups, ffff in the fifth (the v4-mapped form) and at random */
START_TEST(test_addr_format_v6)
{
	static const unsigned vals[] = {1, 0xffff, 0xab, 0x1000, 0xdb8};
	char buf[ADDR_STRLEN], want[INET6_ADDRSTRLEN];
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	struct addr a;
	unsigned mask, k, i;

	for (mask = 0; mask < 256; mask++)
		for (k = 0; k < 5 * 5 + 1000; k++) {
			memset(&a, 0, sizeof(a));
			a.family = 6;
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			for (i = 0; i < 8; i++) {
				unsigned w = k < 25
				    ? vals[(k + (i == 5 ? k / 5 : 0)) % 5]
				    : (unsigned)(x >> (8 * i)) & 0xffff;

				if ((mask & 1u << i) == 0 || w == 0)
					continue;
				a.b[2 * i] = (uint8_t)(w >> 8);
				a.b[2 * i + 1] = (uint8_t)w;
			}
			inet_ntop(AF_INET6, a.b, want, sizeof(want));
			ck_assert_str_eq(
			    addr_format(&a, buf, sizeof(buf)), want);
		}
}
END_TEST

/* cidr_parse: rc, and for 0 the family and prefix length */
static const struct {
	const char *in;
	int rc;
	int family;
	int len;
} cidr_cases[] = {
    {"192.0.2.0/24", 0, 4, 24},
    {"192.0.2.10", 0, 4, 32},
    {"192.0.2.10/32", 0, 4, 32},
    {"0.0.0.0/0", 0, 4, 0},
    {"10.0.0.0/8", 0, 4, 8},
    {"2001:db8::/32", 0, 6, 32},
    {"2001:db8::1", 0, 6, 128},
    {"::/0", 0, 6, 0},
    {"2001:DB8:1::/48", 0, 6, 48},
    /* host bits set: almost always a typo */
    {"192.0.2.10/24", -1, 0, 0},
    {"10.1.2.3/8", -1, 0, 0},
    {"2001:db8::1/64", -1, 0, 0},
    {"1.0.0.0/0", -1, 0, 0},
    /* malformed */
    {"192.0.2.0/33", -1, 0, 0},
    {"2001:db8::/129", -1, 0, 0},
    {"192.0.2.0/", -1, 0, 0},
    {"192.0.2.0/-1", -1, 0, 0},
    {"192.0.2.0/+8", -1, 0, 0},
    {"192.0.2.0/24x", -1, 0, 0},
    {"192.0.2.0/24 ", -1, 0, 0},
    {"192.0.2.0/24/8", -1, 0, 0},
    {"/24", -1, 0, 0},
    {"", -1, 0, 0},
    {"999.0.0.0/8", -1, 0, 0},
    {"example.org/24", -1, 0, 0},
};

START_TEST(test_cidr_parse)
{
	struct cidr c;
	int rc = cidr_parse(cidr_cases[_i].in, &c);

	ck_assert_msg(rc == cidr_cases[_i].rc,
	    "cidr_parse(\"%s\") = %d, want %d", cidr_cases[_i].in, rc,
	    cidr_cases[_i].rc);
	if (rc == 0) {
		ck_assert_int_eq(c.net.family, cidr_cases[_i].family);
		ck_assert_int_eq(c.len, cidr_cases[_i].len);
	}
}
END_TEST

static const struct {
	const char *net;
	const char *ip;
	bool match;
} match_cases[] = {
    {"192.0.2.0/24", "192.0.2.0", true},
    {"192.0.2.0/24", "192.0.2.255", true},
    {"192.0.2.0/24", "192.0.3.0", false},
    {"192.0.2.0/24", "192.0.1.255", false},
    {"192.0.2.128/25", "192.0.2.129", true},
    {"192.0.2.128/25", "192.0.2.127", false},
    {"192.0.2.10", "192.0.2.10", true},
    {"192.0.2.10", "192.0.2.11", false},
    {"0.0.0.0/0", "203.0.113.5", true},
    {"10.0.0.0/8", "10.255.255.255", true},
    {"10.0.0.0/8", "11.0.0.0", false},
    {"172.16.0.0/12", "172.31.255.255", true},
    {"172.16.0.0/12", "172.32.0.0", false},
    {"2001:db8::/32", "2001:db8:ffff::1", true},
    {"2001:db8::/32", "2001:db9::1", false},
    {"2001:db8::/33", "2001:db8:7fff::1", true},
    {"2001:db8::/33", "2001:db8:8000::1", false},
    {"::/0", "2001:db8::1", true},
    /* families never cross, even with /0 */
    {"::/0", "192.0.2.10", false},
    {"0.0.0.0/0", "2001:db8::1", false},
    /* a v4-mapped client is folded, so v4 networks cover it */
    {"192.0.2.0/24", "::ffff:192.0.2.10", true},
    {"2001:db8::1", "2001:db8::1", true},
    {"2001:db8::1", "2001:db8::2", false},
};

START_TEST(test_cidr_match)
{
	struct cidr c;
	struct addr a;
	const char *ip = match_cases[_i].ip;

	ck_assert_int_eq(cidr_parse(match_cases[_i].net, &c), 0);
	ck_assert_int_eq(addr_parse(ip, strlen(ip), &a), 0);
	ck_assert_msg(cidr_match(&c, &a) == match_cases[_i].match,
	    "cidr_match(%s, %s) != %d", match_cases[_i].net, ip,
	    match_cases[_i].match);
}
END_TEST

START_TEST(test_addr_hash_key)
{
	struct addr a, b;
	uint64_t h0, h1;

	ck_assert_int_eq(addr_parse("2001:db8::1", 11, &a), 0);
	ck_assert_int_eq(addr_parse("2001:db8::2", 11, &b), 0);
	addr_hash_key(0, 0);
	h0 = addr_hash(&a);
	ck_assert(addr_hash(&a) == h0); /* deterministic under one key */
	addr_hash_key(0x0123456789abcdefULL, 0xfedcba9876543210ULL);
	h1 = addr_hash(&a);
	ck_assert(h1 == addr_hash(&a));
	ck_assert(h1 != h0); /* the key changes where an address lands */
	ck_assert(addr_hash(&b) != h1);
	addr_hash_key(0, 0);
	ck_assert(addr_hash(&a) == h0);
}
END_TEST

/* IPv6 /64 networks: parse, format, the key smtpd reaches, never a host */
static const struct {
	const char *in;
	int rc;
	const char *fmt, *key; /* key NULL: no hash: key for it */
} net_cases[] = {
    {"2001:db8:6:6::/64", 0, "2001:db8:6:6::/64", "2001:db8:6:6"},
    {"2001:DB8:a:FFFF::/64", 0, "2001:db8:a:ffff::/64", "2001:db8:a:ffff"},
    {"2001:db8::/64", 0, "2001:db8::/64", NULL},
    {"2001:db8:6:6::1/64", -1, NULL, NULL}, /* host bits set */
    {"192.0.2.0/64", -1, NULL, NULL},
    {"2001:db8:6:6::/48", -1, NULL, NULL},
    {"/64", -1, NULL, NULL},
};

START_TEST(test_addr_net64)
{
	struct addr a, h, n;
	char buf[ADDR_STRLEN + 4];
	const char *key;

	ck_assert_int_eq(
	    addr_parse(net_cases[_i].in, strlen(net_cases[_i].in), &a),
	    net_cases[_i].rc);
	if (net_cases[_i].rc < 0)
		return;
	ck_assert_int_eq(a.family, ADDR_NET6);
	ck_assert_int_eq(addr_ipfamily(&a), 6);
	ck_assert_str_eq(addr_format(&a, buf, sizeof(buf)), net_cases[_i].fmt);
	key = addr_map_key(&a, buf, sizeof(buf));
	if (net_cases[_i].key == NULL)
		ck_assert_ptr_null(key);
	else
		ck_assert_str_eq(key, net_cases[_i].key);
	/* the network is not its first host, and a host maps onto it */
	ck_assert_int_eq(
	    addr_parse(net_cases[_i].fmt, strlen(net_cases[_i].fmt) - 3, &h),
	    0);
	ck_assert(!addr_equal(&a, &h));
	addr_net64(&h, &n);
	ck_assert(addr_equal(&a, &n));
}
END_TEST

/*
 * addr_is_client: could the address be a client's source?  Unspecified
 * (0.0.0.0/8, ::), multicast (224.0.0.0/4, ff00::/8) and the IPv4 broadcast
 * cannot; loopback, private, link-local and the reserved 240/4 can.
 */
static const struct {
	const char *ip;
	bool client;
} client_cases[] = {
    {"0.0.0.0", false},
    {"0.0.0.1", false},
    {"0.1.2.3", false},
    {"0.255.255.255", false},
    {"1.0.0.0", true},
    {"192.0.2.10", true},
    {"127.0.0.1", true},
    {"10.1.2.3", true},
    {"169.254.1.1", true},
    {"223.255.255.255", true},
    {"224.0.0.0", false},
    {"224.0.0.1", false},
    {"232.1.2.3", false},
    {"239.255.255.255", false},
    {"240.0.0.1", true},
    {"255.255.255.254", true},
    {"255.255.255.255", false},
    {"::", false},
    {"::1", true},
    {"::2", true},
    {"2001:db8::1", true},
    {"fe80::1", true},
    {"fc00::1", true},
    {"feff:ffff::1", true},
    {"ff00::", false},
    {"ff02::1", false},
    {"ff05::1:3", false},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false},
    /* v4-mapped is folded first: the IPv4 rules apply */
    {"::ffff:0.0.0.0", false},
    {"::ffff:224.0.0.1", false},
    {"::ffff:255.255.255.255", false},
    {"::ffff:192.0.2.10", true},
    /* v4-compatible ::a.b.c.d is IPv6, only :: itself is unspecified */
    {"::0.0.0.1", true},
};

START_TEST(test_addr_is_client)
{
	const char *ip = client_cases[_i].ip;
	struct addr a;

	ck_assert_int_eq(addr_parse(ip, strlen(ip), &a), 0);
	ck_assert_msg(addr_is_client(&a) == client_cases[_i].client,
	    "addr_is_client(%s) != %d", ip, client_cases[_i].client);
}
END_TEST

/* same4 - addr_parse of in[0, n) agrees with inet_pton(AF_INET) */
static void
same4(const char *in, size_t n)
{
	char z[64];
	uint8_t b[4];
	struct addr a;
	int want, got;

	memcpy(z, in, n);
	z[n] = '\0';
	want = inet_pton(AF_INET, z, b) == 1;
	got = addr_parse(in, n, &a) == 0;
	ck_assert_msg(
	    got == want, "\"%s\": addr_parse %d, inet_pton %d", z, got, want);
	if (want)
		ck_assert(a.family == 4 && memcmp(a.b, b, 4) == 0);
}

/* the dotted-quad parser accepts exactly what inet_pton does */
START_TEST(test_addr_parse_v4_pton)
{
	static const char *const oct[] = {"", "0", "00", "01", "1", "9", "10",
	    "99", "100", "199", "249", "255", "256", "300", "999", "0255",
	    "1000", "25", "2555"};
	unsigned seed = 3;
	char in[40];
	size_t a, b, c, d, n, i;

	for (a = 0; a < NITEMS(oct); a++)
		for (b = 0; b < NITEMS(oct); b++)
			for (c = 0; c < NITEMS(oct); c++)
				for (d = 0; d < NITEMS(oct); d++) {
					n = (size_t)snprintf(in, sizeof(in),
					    "%s.%s.%s.%s", oct[a], oct[b],
					    oct[c], oct[d]);
					same4(in, n);
					same4(in, n - (n > 0)); /* cut */
				}
	for (i = 0; i < 60000; i++) {
		n = (size_t)rand_r(&seed) % 20;
		for (d = 0; d < n; d++)
			in[d] = "0123456789...x "[rand_r(&seed) % 15];
		same4(in, n);
	}
}
END_TEST

static Suite *
addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_addr_parse, 0, (int)NITEMS(parse_cases));
	tcase_add_test(tc, test_addr_parse_len);
	tcase_add_test(tc, test_addr_parse_v4_pton);
	tcase_add_test(tc, test_addr_format_v4);
	tcase_add_test(tc, test_addr_format_v6);
	tcase_add_test(tc, test_addr_parse_nul);
	tcase_add_test(tc, test_addr_equal_hash);
	tcase_add_test(tc, test_addr_hash_key);
	tcase_add_test(tc, test_addr_format_short);
	tcase_add_loop_test(tc, test_addr_net64, 0, (int)NITEMS(net_cases));
	tcase_add_loop_test(tc, test_cidr_parse, 0, (int)NITEMS(cidr_cases));
	tcase_add_loop_test(tc, test_cidr_match, 0, (int)NITEMS(match_cases));
	tcase_add_loop_test(
	    tc, test_addr_is_client, 0, (int)NITEMS(client_cases));
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(addr_suite)

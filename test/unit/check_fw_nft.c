/*
 * check_fw_nft.c - fw_nft.c (firewall_backend = nftables) against a real
 * kernel, safely.
 *
 * As check_fw.c: the suite moves the test process into a fresh network
 * namespace (unshare(CLONE_NEWNET)) before Check forks, so every nft change
 * lands in a throw-away ruleset; the host's firewall is never read or
 * written.  Tests assert on `nft list table inet popauthd`.  Without root or
 * nft the suite prints SKIP and passes.
 */
#include "test.h"

#include "addr.h"
#include "clock.h"
#include "conf.h"
#include "fw.h"
#include "log.h"
#include "util.h"

#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIST "nft list table inet popauthd 2>&1"

static void
sh(const char *cmd)
{
	int rc = system(cmd);

	ck_assert_msg(rc == 0, "command failed (%d): %s", rc, cmd);
}

/* out - a command's stdout (static buffer, next call overwrites) */
static const char *
out(const char *cmd)
{
	static char buf[65536];
	size_t n;
	FILE *p = popen(cmd, "r");

	ck_assert_ptr_nonnull(p);
	n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = '\0';
	pclose(p);
	return buf;
}

#define HAS(cmd, s)                                                            \
	do {                                                                   \
		const char *o_ = out(cmd);                                     \
		ck_assert_msg(strstr(o_, s) != NULL,                           \
		    "expected \"%s\"; %s printed:\n%s", s, cmd, o_);           \
	} while (0)
#define LACKS(cmd, s)                                                          \
	do {                                                                   \
		const char *o_ = out(cmd);                                     \
		ck_assert_msg(strstr(o_, s) == NULL,                           \
		    "unexpected \"%s\"; %s printed:\n%s", s, cmd, o_);         \
	} while (0)

static struct addr
A(const char *s) {
	struct addr a;

	ck_assert_int_eq(addr_parse(s, strlen(s), &a), 0);
	return a;
}

static void
open_with(const char *o1, const char *o2)
{
	char *ovr[3];
	size_t n = 0;
	struct conf *c;

	ovr[n++] = (char *)"firewall_backend=nftables";
	if (o1 != NULL)
		ovr[n++] = (char *)o1;
	if (o2 != NULL)
		ovr[n++] = (char *)o2;
	c = conf_load(NULL, ovr, n);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(fw_open(c), 0);
	conf_free(c);
}

static void
setup(void)
{
	log_open(NULL, false, true);
	sh("nft flush ruleset");
}

START_TEST(test_open_table)
{
	open_with(NULL, NULL);
	HAS(LIST, "set ban4 {");
	HAS(LIST, "set ban6net {");
	HAS(LIST, "flags interval,timeout");
	HAS(LIST, "type filter hook input priority filter - 10;");
	HAS(LIST, "ip saddr @ban4 drop");
	HAS(LIST, "tcp dport 25 ip saddr @ban4_smtp drop");
	/* a second open (SIGHUP) does not duplicate rules */
	open_with("nullroute_ports=25,465-466", NULL);
	HAS(LIST, "tcp dport { 25, 465-466 } ip saddr @ban4_smtp drop");
	LACKS(LIST, "tcp dport 25 ip saddr");
	fw_close(false);
	LACKS("nft list tables", "popauthd");
}
END_TEST

START_TEST(test_ban_timeout_unban)
{
	struct addr a4 = A("192.0.2.7"), a6 = A("2001:db8::7");

	open_with(NULL, NULL);
	ck_assert_int_eq(fw_ban(&a4, SCOPE_ALL, clock_now() + 3600), 0);
	ck_assert_int_eq(fw_ban(&a6, SCOPE_ALL, clock_now() + 604800), 0);
	HAS(LIST, "192.0.2.7 timeout 1h expires");
	HAS(LIST, "2001:db8::7 timeout 7d expires");
	/* an extension deletes and re-adds: the new timeout shows */
	ck_assert_int_eq(fw_ban(&a4, SCOPE_ALL, clock_now() + 7200), 0);
	HAS(LIST, "192.0.2.7 timeout 2h expires");
	ck_assert_int_eq(fw_unban(&a4), 0);
	ck_assert_int_eq(fw_unban(&a4), 0); /* idempotent */
	LACKS(LIST, "192.0.2.7");
	HAS(LIST, "2001:db8::7 timeout 7d");
	fw_close(false);
}
END_TEST

/* list bans: the kernel's timer per address, and "unknown" without one */
START_TEST(test_kernel_left)
{
	struct addr a4 = A("192.0.2.7"), a6 = A("2001:db8::7"),
	            n = A("2001:db8:1::/64"), other = A("192.0.2.99");
	struct fw_left *v = NULL;
	size_t cnt = 0;
	long long l;

	open_with(NULL, NULL);
	ck_assert_int_eq(fw_ban(&a4, SCOPE_ALL, clock_now() + 3600), 0);
	ck_assert_int_eq(fw_ban(&a6, SCOPE_SMTP, clock_now() + 600), 0);
	ck_assert_int_eq(fw_ban(&n, SCOPE_ALL, clock_now() + 120), 0);
	ck_assert_int_eq(fw_kernel_left(&v, &cnt), 0);
	ck_assert_uint_eq(cnt, 3);
	l = fw_left_find(v, cnt, &a4);
	ck_assert_msg(l > 3590 && l <= 3600, "192.0.2.7: %lld", l);
	l = fw_left_find(v, cnt, &a6);
	ck_assert_msg(l > 590 && l <= 600, "2001:db8::7: %lld", l);
	l = fw_left_find(v, cnt, &n);
	ck_assert_msg(l > 110 && l <= 120, "2001:db8:1::/64: %lld", l);
	ck_assert_int_eq(fw_left_find(v, cnt, &other), -1);
	free(v);
	fw_close(false);
	/* no backend open (and iptables, none): unknown */
	ck_assert_int_eq(fw_kernel_left(&v, &cnt), -1);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(fw_left_find(v, cnt, &a4), -1);
}
END_TEST

START_TEST(test_kernel_expiry)
{
	struct addr a4 = A("192.0.2.8");
	int i;

	open_with(NULL, NULL);
	ck_assert_int_eq(fw_ban(&a4, SCOPE_ALL, clock_now() + 2), 0);
	HAS(LIST, "192.0.2.8 timeout 2s");
	/* the kernel lifts it without us: poll with a deadline */
	for (i = 0; i < 50 && strstr(out(LIST), "192.0.2.8") != NULL; i++)
		poll(NULL, 0, 100);
	LACKS(LIST, "192.0.2.8");
	fw_close(false);
}
END_TEST

START_TEST(test_scope_and_net64)
{
	struct addr a4 = A("192.0.2.9"), h = A("2001:db8:1:2::5"), n;

	addr_net64(&h, &n);
	open_with(NULL, NULL);
	ck_assert_int_eq(fw_ban(&a4, SCOPE_SMTP, clock_now() + 600), 0);
	HAS("nft list set inet popauthd ban4_smtp", "192.0.2.9 timeout 10m");
	/* widening moves it to the all-traffic set in the same transaction */
	ck_assert_int_eq(fw_ban(&a4, SCOPE_ALL, clock_now() + 600), 0);
	LACKS("nft list set inet popauthd ban4_smtp", "192.0.2.9");
	HAS("nft list set inet popauthd ban4", "192.0.2.9 timeout 10m");
	ck_assert_int_eq(fw_ban(&n, SCOPE_ALL, clock_now() + 600), 0);
	ck_assert_int_eq(fw_ban(&h, SCOPE_ALL, clock_now() + 600), 0);
	HAS("nft list set inet popauthd ban6net",
	    "2001:db8:1:2::/64 timeout 10m");
	HAS("nft list set inet popauthd ban6", "2001:db8:1:2::5 timeout 10m");
	ck_assert_int_eq(fw_unban(&n), 0);
	LACKS("nft list set inet popauthd ban6net", "2001:db8:1:2::/64");
	fw_close(false);
}
END_TEST

static const char *const want[] = {"192.0.2.1", "192.0.2.2", "2001:db8::1"};

static void
walk(void *arg, fw_add_fn *add, void *ctx)
{
	size_t i;
	struct addr a;

	(void)arg;
	for (i = 0; i < NITEMS(want); i++) {
		a = A(want[i]);
		add(ctx, &a, SCOPE_ALL, clock_now() + 3600);
	}
}

START_TEST(test_reconcile)
{
	struct addr stray = A("192.0.2.99");

	open_with(NULL, NULL);
	sh("nft add table inet admin && nft add set inet admin keep "
	   "'{ type ipv4_addr; }' && nft add element inet admin keep "
	   "'{ 198.51.100.1 }' && nft add chain inet admin c && "
	   "nft add rule inet admin c ip saddr 198.51.100.2 drop");
	ck_assert_int_eq(fw_ban(&stray, SCOPE_ALL, clock_now() + 3600), 0);
	ck_assert_int_eq(fw_reconcile(walk, NULL), 0);
	HAS(LIST, "192.0.2.1 timeout 1h");
	HAS(LIST, "2001:db8::1 timeout 1h");
	LACKS(LIST, "192.0.2.99");
	/* an admin flushes our set: the next reconcile repairs it */
	sh("nft flush set inet popauthd ban4");
	LACKS(LIST, "192.0.2.1");
	ck_assert_int_eq(fw_reconcile(walk, NULL), 0);
	HAS(LIST, "192.0.2.1 timeout 1h");
	HAS(LIST, "192.0.2.2 timeout 1h");
	/* an element we did not write (a range) is flushed, ours come back */
	sh("nft add element inet popauthd ban4 '{ 10.0.0.0-10.0.0.9 }' "
	   "2>/dev/null || nft add element inet popauthd ban4 "
	   "'{ 10.0.0.1 timeout 1s }'");
	ck_assert_int_eq(fw_reconcile(walk, NULL), 0);
	/* even a deleted table comes back */
	sh("nft delete table inet popauthd");
	ck_assert_int_eq(fw_reconcile(walk, NULL), 0);
	HAS(LIST, "192.0.2.1 timeout 1h");
	HAS(LIST, "ip saddr @ban4 drop");
	/* the admin's own table is untouched throughout, and at close */
	fw_close(false);
	HAS("nft list table inet admin", "198.51.100.1");
	HAS("nft list table inet admin", "ip saddr 198.51.100.2 drop");
}
END_TEST

START_TEST(test_close_keeps)
{
	struct addr a4 = A("192.0.2.7");

	open_with(NULL, NULL);
	ck_assert_int_eq(fw_ban(&a4, SCOPE_ALL, clock_now() + 3600), 0);
	fw_close(true);
	HAS(LIST, "192.0.2.7 timeout 1h");
	/* a restart adopts it */
	open_with(NULL, NULL);
	HAS(LIST, "192.0.2.7 timeout 1h");
	fw_close(false);
}
END_TEST

START_TEST(test_table_name)
{
	char *ovr[] = {(char *)"firewall_backend=nftables",
	    (char *)"nftables_table=x;flush ruleset"};

	ck_assert_ptr_null(conf_load(NULL, ovr, NITEMS(ovr)));
	open_with("nftables_table=pa2", NULL);
	HAS("nft list table inet pa2", "set ban4");
	fw_close(false);
}
END_TEST

START_TEST(test_skipped)
{
	ck_assert(true);
}
END_TEST

static Suite *
fw_nft_suite(void)
{
	Suite *s = suite_create("fw_nft");
	TCase *tc = tcase_create("nftables");

	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0 ||
	    system("ip link set lo up") != 0 ||
	    system("nft list ruleset >/dev/null 2>&1") != 0) {
		printf("SKIP: check_fw_nft needs root, unshare and nft\n");
		tcase_add_test(tc, test_skipped);
		suite_add_tcase(s, tc);
		return s;
	}
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_open_table);
	tcase_add_test(tc, test_ban_timeout_unban);
	tcase_add_test(tc, test_kernel_expiry);
	tcase_add_test(tc, test_kernel_left);
	tcase_add_test(tc, test_scope_and_net64);
	tcase_add_test(tc, test_reconcile);
	tcase_add_test(tc, test_close_keeps);
	tcase_add_test(tc, test_table_name);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(fw_nft_suite)

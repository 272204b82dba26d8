/*
 * check_fw.c - fw.c, fw_iptc.c and fw_none.c against a real kernel, safely.
 *
 * The suite function moves the whole test process into a fresh network
 * namespace (unshare(CLONE_NEWNET)) before Check forks any test, so every
 * iptables change happens in a throw-away table set that vanishes with the
 * process; the host's firewall is never read or written.  Each test starts
 * from empty tables and asserts what iptables-legacy -S / ip6tables-legacy -S
 * show.  Without root (or without unshare) the suite prints SKIP and passes.
 */
#include "test.h"

#include "addr.h"
#include "conf.h"
#include "fw.h"
#include "log.h"
#include "util.h"

#include <cap-ng.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define V4 "iptables-legacy -w -S 2>&1"
#define V6 "ip6tables-legacy -w -S 2>&1"

/* sh - run a shell command inside our namespace; fail the test on error */
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

/* count - how many whole lines of text equal line */
static int
count(const char *text, const char *line)
{
	size_t len = strlen(line);
	const char *p = text;
	int n = 0;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') &&
		    (p[len] == '\n' || p[len] == '\0'))
			n++;
		p += len;
	}
	return n;
}

#define HAS(cmd, line)                                                         \
	do {                                                                   \
		const char *o_ = out(cmd);                                     \
		ck_assert_msg(count(o_, line) == 1,                            \
		    "expected once: \"%s\"; %s printed:\n%s", line, cmd, o_);  \
	} while (0)
#define LACKS(cmd, line)                                                       \
	do {                                                                   \
		const char *o_ = out(cmd);                                     \
		ck_assert_msg(count(o_, line) == 0,                            \
		    "unexpected: \"%s\"; %s printed:\n%s", line, cmd, o_);     \
	} while (0)

/* conf_with - defaults plus up to 4 "key=value" overrides (NULL ends) */
static struct conf *
conf_with(const char *o1, const char *o2, const char *o3, const char *o4)
{
	char *ovr[5];
	size_t n = 0;
	struct conf *c;

	ovr[n++] = (char *)"firewall_backend=iptables";
	if (o1 != NULL)
		ovr[n++] = (char *)o1;
	if (o2 != NULL)
		ovr[n++] = (char *)o2;
	if (o3 != NULL)
		ovr[n++] = (char *)o3;
	if (o4 != NULL)
		ovr[n++] = (char *)o4;
	c = conf_load(NULL, ovr, n);
	ck_assert_ptr_nonnull(c);
	return c;
}

static struct addr
A(const char *s) {
	struct addr a;

	ck_assert_int_eq(addr_parse(s, strlen(s), &a), 0);
	return a;
}

/* open_with - fw_open on a conf built from overrides; asserts success */
static void
open_with(const char *o1, const char *o2, const char *o3)
{
	struct conf *c = conf_with(o1, o2, o3, NULL);

	ck_assert_int_eq(fw_open(c), 0);
	conf_free(c);
}

/* every test starts from empty tables in our private namespace */
static void
setup(void)
{
	log_open(NULL, false, true);
	sh("iptables-legacy -w -F && iptables-legacy -w -X && "
	   "ip6tables-legacy -w -F && ip6tables-legacy -w -X");
}

START_TEST(test_open_creates_chain_and_jump)
{
	open_with(NULL, NULL, NULL);
	HAS(V4, "-N POPAUTH");
	HAS(V4, "-A INPUT -j POPAUTH");
	HAS(V6, "-N POPAUTH");
	HAS(V6, "-A INPUT -j POPAUTH");
	/* a reload adopts what is there: still one chain, one jump */
	open_with(NULL, NULL, NULL);
	HAS(V4, "-A INPUT -j POPAUTH");
	HAS(V6, "-A INPUT -j POPAUTH");
}
END_TEST

START_TEST(test_ban_unban_all)
{
	struct addr a4 = A("192.0.2.7"), a6 = A("2001:db8::7");

	open_with(NULL, NULL, NULL);
	ck_assert_int_eq(fw_ban(&a4, SCOPE_ALL, 0), 0);
	ck_assert_int_eq(fw_ban(&a6, SCOPE_ALL, 0), 0);
	HAS(V4, "-A POPAUTH -s 192.0.2.7/32 -j DROP");
	HAS(V6, "-A POPAUTH -s 2001:db8::7/128 -j DROP");
	/* idempotent: a second ban adds nothing */
	ck_assert_int_eq(fw_ban(&a4, SCOPE_ALL, 0), 0);
	ck_assert_int_eq(fw_ban(&a6, SCOPE_ALL, 0), 0);
	HAS(V4, "-A POPAUTH -s 192.0.2.7/32 -j DROP");
	HAS(V6, "-A POPAUTH -s 2001:db8::7/128 -j DROP");
	ck_assert_int_eq(fw_unban(&a4), 0);
	ck_assert_int_eq(fw_unban(&a6), 0);
	LACKS(V4, "-A POPAUTH -s 192.0.2.7/32 -j DROP");
	LACKS(V6, "-A POPAUTH -s 2001:db8::7/128 -j DROP");
	ck_assert_int_eq(fw_unban(&a4), 0);
	HAS(V4, "-N POPAUTH");
	HAS(V4, "-A INPUT -j POPAUTH");
}
END_TEST

START_TEST(test_ban_smtp_scope)
{
	struct addr a4 = A("192.0.2.7"), a6 = A("2001:db8::7");

	open_with("nullroute_ports=25, 465-466", NULL, NULL);
	ck_assert_int_eq(fw_ban(&a4, SCOPE_SMTP, 0), 0);
	ck_assert_int_eq(fw_ban(&a6, SCOPE_SMTP, 0), 0);
	HAS(V4, "-A POPAUTH -s 192.0.2.7/32 -p tcp -m tcp --dport 25 -j DROP");
	HAS(V4,
	    "-A POPAUTH -s 192.0.2.7/32 -p tcp -m tcp --dport 465:466 "
	    "-j DROP");
	HAS(V6,
	    "-A POPAUTH -s 2001:db8::7/128 -p tcp -m tcp --dport 25 "
	    "-j DROP");
	HAS(V6,
	    "-A POPAUTH -s 2001:db8::7/128 -p tcp -m tcp --dport 465:466 "
	    "-j DROP");
	ck_assert_int_eq(fw_ban(&a4, SCOPE_SMTP, 0), 0);
	HAS(V4, "-A POPAUTH -s 192.0.2.7/32 -p tcp -m tcp --dport 25 -j DROP");
	ck_assert_int_eq(fw_unban(&a4), 0);
	ck_assert_int_eq(fw_unban(&a6), 0);
	LACKS(
	    V4, "-A POPAUTH -s 192.0.2.7/32 -p tcp -m tcp --dport 25 -j DROP");
	LACKS(V6,
	    "-A POPAUTH -s 2001:db8::7/128 -p tcp -m tcp --dport 25 "
	    "-j DROP");
}
END_TEST

static const char *const walk_set[] = {"192.0.2.7", "2001:db8::7", "192.0.2.7"};

static enum nullroute_scope walk_scope = SCOPE_ALL;

/* walk - the tracker's side of fw_reconcile: yield walk_set (with a dup) */
static void
walk(void *arg, fw_add_fn *add, void *ctx)
{
	size_t i;
	struct addr a;

	ck_assert_ptr_eq(arg, walk_set);
	for (i = 0; i < NITEMS(walk_set); i++) {
		a = A(walk_set[i]);
		add(ctx, &a, walk_scope, 0);
	}
}

START_TEST(test_reconcile)
{
	struct addr a7 = A("192.0.2.7"), a8 = A("192.0.2.8");
	struct addr b7 = A("2001:db8::7");

	open_with(NULL, NULL, NULL);
	ck_assert_int_eq(fw_ban(&a7, SCOPE_ALL, 0), 0);
	ck_assert_int_eq(fw_ban(&a8, SCOPE_ALL, 0), 0);
	ck_assert_int_eq(fw_ban(&b7, SCOPE_ALL, 0), 0);
	/* the admin's own rule outside our chain, and junk inside it */
	sh("iptables-legacy -w -A INPUT -s 198.51.100.1/32 -j ACCEPT");
	sh("iptables-legacy -w -A POPAUTH -s 10.0.0.0/8 -j ACCEPT");
	sh("iptables-legacy -w -D POPAUTH -s 192.0.2.7/32 -j DROP");
	sh("ip6tables-legacy -w -D POPAUTH -s 2001:db8::7/128 -j DROP");
	LACKS(V4, "-A POPAUTH -s 192.0.2.7/32 -j DROP");
	ck_assert_int_eq(fw_reconcile(walk, (void *)walk_set), 0);
	HAS(V4, "-A POPAUTH -s 192.0.2.7/32 -j DROP");
	LACKS(V4, "-A POPAUTH -s 192.0.2.8/32 -j DROP");
	LACKS(V4, "-A POPAUTH -s 10.0.0.0/8 -j ACCEPT");
	HAS(V4, "-A INPUT -s 198.51.100.1/32 -j ACCEPT");
	HAS(V6, "-A POPAUTH -s 2001:db8::7/128 -j DROP");
	/* someone flushed the chain, then removed jump and chain entirely */
	sh("iptables-legacy -w -F POPAUTH");
	ck_assert_int_eq(fw_reconcile(walk, (void *)walk_set), 0);
	HAS(V4, "-A POPAUTH -s 192.0.2.7/32 -j DROP");
	sh("ip6tables-legacy -w -D INPUT -j POPAUTH && "
	   "ip6tables-legacy -w -F POPAUTH && ip6tables-legacy -w -X POPAUTH");
	ck_assert_int_eq(fw_reconcile(walk, (void *)walk_set), 0);
	HAS(V6, "-A INPUT -j POPAUTH");
	HAS(V6, "-A POPAUTH -s 2001:db8::7/128 -j DROP");
	/* nothing to do: still exactly one of each */
	ck_assert_int_eq(fw_reconcile(walk, (void *)walk_set), 0);
	HAS(V4, "-A POPAUTH -s 192.0.2.7/32 -j DROP");
	HAS(V4, "-A INPUT -j POPAUTH");
	HAS(V4, "-A INPUT -s 198.51.100.1/32 -j ACCEPT");
}
END_TEST

/* an IPv6 /64 banned as one offender: a /64 rule, kept apart from hosts */
static const char *const net_set[] = {"2001:db8:6:6::/64", "2001:db8:6:6::"};

static void
walk_net(void *arg, fw_add_fn *add, void *ctx)
{
	size_t i;
	struct addr a;

	ck_assert_ptr_eq(arg, net_set);
	for (i = 0; i < NITEMS(net_set); i++) {
		a = A(net_set[i]);
		add(ctx, &a, SCOPE_ALL, 0);
	}
}

START_TEST(test_ban_net64)
{
	struct addr n = A("2001:db8:6:6::/64"), h = A("2001:db8:6:6::");

	ck_assert_int_eq(n.family, ADDR_NET6);
	open_with(NULL, NULL, NULL);
	ck_assert_int_eq(fw_ban(&n, SCOPE_ALL, 0), 0);
	HAS(V6, "-A POPAUTH -s 2001:db8:6:6::/64 -j DROP");
	LACKS(V6, "-A POPAUTH -s 2001:db8:6:6::/128 -j DROP");
	/* reconcile reads the /64 rule back as ours and keeps it */
	ck_assert_int_eq(fw_reconcile(walk_net, (void *)net_set), 0);
	HAS(V6, "-A POPAUTH -s 2001:db8:6:6::/64 -j DROP");
	HAS(V6, "-A POPAUTH -s 2001:db8:6:6::/128 -j DROP");
	ck_assert_int_eq(fw_unban(&n), 0);
	LACKS(V6, "-A POPAUTH -s 2001:db8:6:6::/64 -j DROP");
	HAS(V6, "-A POPAUTH -s 2001:db8:6:6::/128 -j DROP");
	ck_assert_int_eq(fw_unban(&h), 0);
	/* a /64 rule the tracker no longer holds is stale */
	ck_assert_int_eq(fw_ban(&n, SCOPE_ALL, 0), 0);
	ck_assert_int_eq(fw_reconcile(walk, (void *)walk_set), 0);
	LACKS(V6, "-A POPAUTH -s 2001:db8:6:6::/64 -j DROP");
}
END_TEST

START_TEST(test_reconcile_scope_change)
{
	struct addr a7 = A("192.0.2.7");

	open_with(NULL, NULL, NULL);
	ck_assert_int_eq(fw_ban(&a7, SCOPE_ALL, 0), 0);
	/* the tracker now wants smtp only (a reload changed the family's
	 * scope): the next reconcile rewrites the rules */
	walk_scope = SCOPE_SMTP;
	ck_assert_int_eq(fw_reconcile(walk, (void *)walk_set), 0);
	walk_scope = SCOPE_ALL;
	LACKS(V4, "-A POPAUTH -s 192.0.2.7/32 -j DROP");
	HAS(V4, "-A POPAUTH -s 192.0.2.7/32 -p tcp -m tcp --dport 25 -j DROP");
	HAS(V6,
	    "-A POPAUTH -s 2001:db8::7/128 -p tcp -m tcp --dport 25 "
	    "-j DROP");
}
END_TEST

/* dup_walk - one address twice, smtp first: the wider scope must win */
static void
dup_walk(void *arg, fw_add_fn *add, void *ctx)
{
	struct addr a = A("192.0.2.9");

	UNUSED(arg);
	add(ctx, &a, SCOPE_SMTP, 0);
	add(ctx, &a, SCOPE_ALL, 0);
	add(ctx, &a, SCOPE_SMTP, 0);
}

START_TEST(test_ban_scope_per_ban)
{
	struct addr a7 = A("192.0.2.7"), a8 = A("192.0.2.8");

	open_with("nullroute_ports=25,587", NULL, NULL);
	/* two bans of different families side by side */
	ck_assert_int_eq(fw_ban(&a7, SCOPE_SMTP, 0), 0);
	ck_assert_int_eq(fw_ban(&a8, SCOPE_ALL, 0), 0);
	HAS(V4, "-A POPAUTH -s 192.0.2.7/32 -p tcp -m tcp --dport 25 -j DROP");
	HAS(V4, "-A POPAUTH -s 192.0.2.7/32 -p tcp -m tcp --dport 587 -j DROP");
	HAS(V4, "-A POPAUTH -s 192.0.2.8/32 -j DROP");
	LACKS(V4, "-A POPAUTH -s 192.0.2.7/32 -j DROP");
	/* a guesser that later earns a full null-route: replaced, not added */
	ck_assert_int_eq(fw_ban(&a7, SCOPE_ALL, 0), 0);
	HAS(V4, "-A POPAUTH -s 192.0.2.7/32 -j DROP");
	LACKS(
	    V4, "-A POPAUTH -s 192.0.2.7/32 -p tcp -m tcp --dport 25 -j DROP");
	LACKS(
	    V4, "-A POPAUTH -s 192.0.2.7/32 -p tcp -m tcp --dport 587 -j DROP");
	/* reconcile: the same address with two scopes holds the wider */
	ck_assert_int_eq(fw_reconcile(dup_walk, NULL), 0);
	HAS(V4, "-A POPAUTH -s 192.0.2.9/32 -j DROP");
	LACKS(
	    V4, "-A POPAUTH -s 192.0.2.9/32 -p tcp -m tcp --dport 25 -j DROP");
	LACKS(V4, "-A POPAUTH -s 192.0.2.7/32 -j DROP");
}
END_TEST

START_TEST(test_ban_heals_missing_chain)
{
	struct addr a7 = A("192.0.2.7");

	open_with(NULL, NULL, NULL);
	sh("iptables-legacy -w -D INPUT -j POPAUTH && "
	   "iptables-legacy -w -X POPAUTH");
	ck_assert_int_eq(fw_ban(&a7, SCOPE_ALL, 0), 0);
	HAS(V4, "-A INPUT -j POPAUTH");
	HAS(V4, "-A POPAUTH -s 192.0.2.7/32 -j DROP");
}
END_TEST

START_TEST(test_close_removes)
{
	struct addr a7 = A("192.0.2.7"), b7 = A("2001:db8::7");

	open_with(NULL, NULL, NULL);
	sh("iptables-legacy -w -A INPUT -s 198.51.100.1/32 -j ACCEPT");
	ck_assert_int_eq(fw_ban(&a7, SCOPE_ALL, 0), 0);
	ck_assert_int_eq(fw_ban(&b7, SCOPE_ALL, 0), 0);
	fw_close(false);
	LACKS(V4, "-N POPAUTH");
	LACKS(V4, "-A INPUT -j POPAUTH");
	LACKS(V4, "-A POPAUTH -s 192.0.2.7/32 -j DROP");
	LACKS(V6, "-N POPAUTH");
	LACKS(V6, "-A INPUT -j POPAUTH");
	HAS(V4, "-A INPUT -s 198.51.100.1/32 -j ACCEPT");
	/* closed: calls refuse instead of touching the kernel */
	ck_assert_int_eq(fw_ban(&a7, SCOPE_ALL, 0), -1);
	LACKS(V4, "-N POPAUTH");
	fw_close(false);
}
END_TEST

START_TEST(test_close_keeps)
{
	struct addr a7 = A("192.0.2.7");

	open_with(NULL, NULL, NULL);
	ck_assert_int_eq(fw_ban(&a7, SCOPE_ALL, 0), 0);
	fw_close(true);
	HAS(V4, "-N POPAUTH");
	HAS(V4, "-A INPUT -j POPAUTH");
	HAS(V4, "-A POPAUTH -s 192.0.2.7/32 -j DROP");
	HAS(V6, "-A INPUT -j POPAUTH");
	/* a restart adopts the kept chain without duplicating anything */
	open_with(NULL, NULL, NULL);
	ck_assert_int_eq(fw_ban(&a7, SCOPE_ALL, 0), 0);
	HAS(V4, "-A INPUT -j POPAUTH");
	HAS(V4, "-A POPAUTH -s 192.0.2.7/32 -j DROP");
}
END_TEST

START_TEST(test_jump_line)
{
	const char *o;

	sh("iptables-legacy -w -A INPUT -s 198.51.100.1/32 -j ACCEPT && "
	   "iptables-legacy -w -A INPUT -s 198.51.100.2/32 -j ACCEPT");
	open_with("iptables_rbl_line=2", NULL, NULL);
	o = out("iptables-legacy -w -S INPUT");
	ck_assert_msg(strstr(o,
	                  "-A INPUT -s 198.51.100.1/32 -j ACCEPT\n"
	                  "-A INPUT -j POPAUTH\n"
	                  "-A INPUT -s 198.51.100.2/32 -j ACCEPT\n") != NULL,
	    "jump not at line 2:\n%s", o);
	/* IPv6 INPUT is empty: line 2 means "at the end" */
	HAS(V6, "-A INPUT -j POPAUTH");
}
END_TEST

START_TEST(test_rename_chain_on_reload)
{
	struct addr a7 = A("192.0.2.7");

	open_with(NULL, NULL, NULL);
	ck_assert_int_eq(fw_ban(&a7, SCOPE_ALL, 0), 0);
	open_with("iptables_chain=POPAUTH2", NULL, NULL);
	LACKS(V4, "-N POPAUTH");
	LACKS(V4, "-A INPUT -j POPAUTH");
	HAS(V4, "-N POPAUTH2");
	HAS(V4, "-A INPUT -j POPAUTH2");
	ck_assert_int_eq(fw_reconcile(walk, (void *)walk_set), 0);
	HAS(V4, "-A POPAUTH2 -s 192.0.2.7/32 -j DROP");
	fw_close(false);
	LACKS(V4, "-N POPAUTH2");
}
END_TEST

START_TEST(test_none_backend_logs_only)
{
	char path[] = "/tmp/check_fw_log.XXXXXX";
	char *ovr[] = {(char *)"firewall_backend=none"};
	struct addr a7 = A("192.0.2.7");
	struct conf *c = conf_load(NULL, ovr, 1);
	const char *o;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(log_open(path, false, false), 0);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(fw_open(c), 0);
	conf_free(c);
	ck_assert_int_eq(fw_ban(&a7, SCOPE_ALL, 0), 0);
	ck_assert_int_eq(fw_unban(&a7), 0);
	ck_assert_int_eq(fw_reconcile(walk, (void *)walk_set), 0);
	fw_close(false);
	log_close();
	LACKS(V4, "-N POPAUTH");
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "cat %s", path);
		o = out(cmd);
	}
	unlink(path);
	ck_assert_msg(strstr(o,
	                  "192.0.2.7: would null-route "
	                  "(firewall_backend = none)") != NULL,
	    "log:\n%s", o);
	ck_assert_msg(strstr(o, "192.0.2.7: would lift null-route") != NULL,
	    "log:\n%s", o);
	ck_assert_msg(
	    strstr(o, "2 ban(s), none applied") != NULL, "log:\n%s", o);
}
END_TEST

START_TEST(test_needs_cap_net_admin)
{
	struct conf *c = conf_with(NULL, NULL, NULL, NULL);

	/* this forked test only: drop every capability, root or not */
	capng_clear(CAPNG_SELECT_BOTH);
	ck_assert_int_eq(capng_apply(CAPNG_SELECT_BOTH), 0);
	ck_assert_int_eq(fw_open(c), -1);
	ck_assert_msg(strstr(log_last_error(),
	                  "firewall_backend = iptables "
	                  "needs CAP_NET_ADMIN (run as "
	                  "root)") != NULL,
	    "last error: %s", log_last_error());
	conf_free(c);
}
END_TEST

START_TEST(test_waits_for_xtables_lock)
{
	char lock[] = "/tmp/check_fw_lock.XXXXXX";
	struct addr a7 = A("192.0.2.7");
	long long t0;
	int fd = mkstemp(lock);

	ck_assert_int_ge(fd, 0);
	setenv("XTABLES_LOCKFILE", lock, 1);
	open_with(NULL, NULL, NULL);
	/* an iptables -w holding the lock: we wait, then give up, untouched */
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	t0 = mono_ms();
	ck_assert_int_eq(fw_ban(&a7, SCOPE_ALL, 0), -1);
	ck_assert_int_ge(mono_ms() - t0, 1500);
	/* (iptables-legacy -w would wait for the lock too) */
	ck_assert_int_eq(flock(fd, LOCK_UN), 0);
	LACKS(V4, "-A POPAUTH -s 192.0.2.7/32 -j DROP");
	ck_assert_int_eq(fw_ban(&a7, SCOPE_ALL, 0), 0);
	HAS(V4, "-A POPAUTH -s 192.0.2.7/32 -j DROP");
	close(fd);
	unlink(lock);
}
END_TEST

static const struct {
	const char *o1, *o2;
} bad_settings[] = {
    {"nullroute_ports=0", NULL},
    {"nullroute_ports=70000", NULL},
    {"nullroute_ports=25-20", NULL},
    {"nullroute_ports=smtp", NULL},
    {"nullroute_ports=25,,26", NULL},
    {"nullroute_ports=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", NULL},
    {"iptables_chain=DROP", NULL},
    {"iptables_chain=-X", NULL},
    {"iptables_chain=a b", NULL},
    {"iptables_chain=INPUT", NULL},
};

/* refused when the conf is loaded, so before the firewall is touched */
START_TEST(test_bad_settings)
{
	char *ovr[] = {
	    (char *)"firewall_backend=iptables", (char *)bad_settings[_i].o1};

	ck_assert_msg(conf_load(NULL, ovr, NITEMS(ovr)) == NULL, "accepted %s",
	    bad_settings[_i].o1);
	LACKS(V4, "-N POPAUTH");
}
END_TEST

START_TEST(test_skipped)
{
	ck_assert(true);
}
END_TEST

static Suite *
fw_suite(void)
{
	Suite *s = suite_create("fw");
	TCase *tc = tcase_create("iptables");

	if (geteuid() != 0) {
		printf("SKIP: check_fw needs root for unshare(CLONE_NEWNET)\n");
		tcase_add_test(tc, test_skipped);
		suite_add_tcase(s, tc);
		return s;
	}
	/*
	 * The xtables lock is a host file shared by every namespace: a
	 * benchmark or an admin's iptables elsewhere must not make these
	 * tests time out, so they (and the iptables-legacy they run) use a
	 * private one.
	 */
	{
		static char lock[] = "/tmp/check_fw_xtlock.XXXXXX";
		int fd = mkstemp(lock);

		if (fd >= 0)
			close(fd);
		setenv("XTABLES_LOCKFILE", lock, 1);
	}
	/* before any test forks: every child inherits this namespace */
	if (unshare(CLONE_NEWNET) < 0 || system("ip link set lo up") != 0 ||
	    system("iptables-legacy -w -S >/dev/null 2>&1") != 0 ||
	    system("ip6tables-legacy -w -S >/dev/null 2>&1") != 0) {
		printf("SKIP: check_fw: no private network namespace or no "
		       "iptables-legacy here\n");
		tcase_add_test(tc, test_skipped);
		suite_add_tcase(s, tc);
		return s;
	}
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_open_creates_chain_and_jump);
	tcase_add_test(tc, test_ban_unban_all);
	tcase_add_test(tc, test_ban_smtp_scope);
	tcase_add_test(tc, test_reconcile);
	tcase_add_test(tc, test_ban_net64);
	tcase_add_test(tc, test_reconcile_scope_change);
	tcase_add_test(tc, test_ban_scope_per_ban);
	tcase_add_test(tc, test_ban_heals_missing_chain);
	tcase_add_test(tc, test_close_removes);
	tcase_add_test(tc, test_close_keeps);
	tcase_add_test(tc, test_jump_line);
	tcase_add_test(tc, test_rename_chain_on_reload);
	tcase_add_test(tc, test_none_backend_logs_only);
	tcase_add_test(tc, test_needs_cap_net_admin);
	tcase_add_test(tc, test_waits_for_xtables_lock);
	tcase_add_loop_test(
	    tc, test_bad_settings, 0, (int)NITEMS(bad_settings));
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(fw_suite)

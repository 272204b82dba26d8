/*
 * check_conf.c - unit tests for conf.c: defaults, every value type and its
 * errors, continuation lines, unknown keys, -o overrides and cross-key checks.
 *
 * Each case writes a temporary popauthd.conf, calls conf_load and checks either
 * the parsed value or that conf_load returned NULL after reporting the right
 * "file:line:" (read back through log_last_error(), with stderr silenced).
 */
#include "test.h"
#include "conf.h"
#include "log.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char conf_path[64];

static void
setup(void)
{
	log_open(NULL, false, false);
	conf_path[0] = '\0';
}

static void
teardown(void)
{
	if (conf_path[0] != '\0')
		unlink(conf_path);
}

/* write_conf - n bytes of text into a new temp file; returns its path */
static const char *
write_conf_n(const char *text, size_t n)
{
	int fd;

	snprintf(conf_path, sizeof(conf_path), "/tmp/check_conf.XXXXXX");
	fd = mkstemp(conf_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, n), (ssize_t)n);
	close(fd);
	return conf_path;
}

static const char *
write_conf(const char *text)
{
	return write_conf_n(text, strlen(text));
}

/* expect_error - conf_load of text fails, naming path:line (line 0: path only) */
static void
expect_error(const char *text, int line, const char *what)
{
	const char *path = write_conf(text);
	struct conf *c = conf_load(path, NULL, 0);
	char want[128];

	ck_assert_msg(c == NULL, "accepted: %s", text);
	if (line > 0)
		snprintf(want, sizeof(want), "%s:%d: ", path, line);
	else
		snprintf(want, sizeof(want), "%s: ", path);
	ck_assert_msg(strstr(log_last_error(), want) != NULL,
	    "error \"%s\" does not name \"%s\"", log_last_error(), want);
	if (what != NULL)
		ck_assert_msg(strstr(log_last_error(), what) != NULL,
		    "error \"%s\" does not say \"%s\"", log_last_error(), what);
}

START_TEST(test_defaults)
{
	struct conf *c = conf_load(NULL, NULL, 0);

	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->popauth_map, "popauth_checks");
	ck_assert_str_eq(c->blacklist_map, "rbl_checks");
	ck_assert_str_eq(c->map_directory, "/etc/postfix/popauthd");
	ck_assert_str_eq(c->run_as_user, "");
	ck_assert_str_eq(c->whitelist_file, "");
	ck_assert(c->popauth_expire == 1800);
	ck_assert(c->rbl_cache_expire == 90 * 86400);
	ck_assert(c->fish_expire == 3 * 86400);
	ck_assert(c->iptables_refresh == 600);
	ck_assert(c->nullroute_freq_bansecs == 1800);
	ck_assert(c->nullroute_msg_bansecs == 7 * 86400);
	ck_assert_int_eq(c->map_flush_delay_ms, 50);
	ck_assert_int_eq(c->nullroute_msg_thresh, 50);
	ck_assert_int_eq(c->nullroute_fish_thresh, 5);
	ck_assert_int_eq(c->nullroute_alert_thresh, 25);
	ck_assert_int_eq(c->iptables_rbl_line, 1);
	ck_assert(fabs(c->nullroute_freq_thresh - 0.03333333) < 1e-9);
	ck_assert(!c->log_syslog);
	ck_assert(!c->log_debug);
	ck_assert(c->nullroute_keep_on_exit);
	ck_assert(c->firewall_backend == FW_NONE);
	ck_assert(c->nullroute_scope == SCOPE_ALL);
	ck_assert_str_eq(c->iptables_chain, "POPAUTH");
	/* defaults an admin signs off on: our listings name this host, a rate
	 * needs 5 hits, our own verdicts last days, not a DNSBL's 90 */
	{
		char host[256];

		ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
		ck_assert_str_eq(c->localhost_dns_name, host);
	}
	ck_assert_int_eq(c->nullroute_min_hits, 5);
	ck_assert(c->local_listing_expire == 3 * 86400);
	conf_free(c);
}
END_TEST

START_TEST(test_each_type)
{
	const char *path = write_conf("# a comment\n"
	                              "\n"
	                              "fifo_path = /tmp/x.fifo\n"
	                              "   # an indented comment\n"
	                              "popauth_expire = 2h\n"
	                              "map_flush_delay_ms = 250ms\n"
	                              "log_debug = yes\n"
	                              "log_syslog=true\n"
	                              "max_tracked_ips = 1000\n"
	                              "nullroute_freq_thresh = 0.5\n"
	                              "firewall_backend = iptables\n"
	                              "nullroute_scope = smtp\n"
	                              "pid_file\t=\t/tmp/x.pid   \n"
	                              "blacklist_template = a=b $reason\n"
	                              "run_as_user =\n");
	struct conf *c = conf_load(path, NULL, 0);

	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->config_file, path);
	ck_assert_str_eq(c->fifo_path, "/tmp/x.fifo");
	ck_assert(c->popauth_expire == 7200);
	ck_assert_int_eq(c->map_flush_delay_ms, 250);
	ck_assert(c->log_debug);
	ck_assert(c->log_syslog);
	ck_assert_int_eq(c->max_tracked_ips, 1000);
	ck_assert(fabs(c->nullroute_freq_thresh - 0.5) < 1e-12);
	ck_assert(c->firewall_backend == FW_IPTABLES);
	ck_assert(c->nullroute_scope == SCOPE_SMTP);
	ck_assert_str_eq(c->pid_file, "/tmp/x.pid");
	ck_assert_str_eq(c->blacklist_template, "a=b $reason");
	ck_assert_str_eq(c->run_as_user, "");
	conf_free(c);
}
END_TEST

START_TEST(test_continuation)
{
	const char *path = write_conf("data_reject_phrases = one,\n"
	                              "    two,\n"
	                              "\t# comment inside\n"
	                              "\tthree\n"
	                              "popauth_expire = 5m\n");
	struct conf *c = conf_load(path, NULL, 0);

	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->data_reject_phrases, "one, two, three");
	ck_assert(c->popauth_expire == 300);
	conf_free(c);
}
END_TEST

START_TEST(test_continuation_joins_key)
{
	/* "\tpid_file = x" continues blacklist_template; it is not a key */
	const char *path = write_conf("blacklist_template = a\n"
	                              "\tpid_file = /x\n");
	struct conf *c = conf_load(path, NULL, 0);

	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->blacklist_template, "a pid_file = /x");
	ck_assert_str_eq(c->pid_file, "/run/popauthd.pid");
	conf_free(c);
}
END_TEST

/* the error of a continued setting names the line where the setting starts */
START_TEST(test_continuation_error_line)
{
	expect_error("# one\n"
	             "popauth_expire = 5m\n"
	             "log_debug = yes\n"
	             "    maybe\n",
	    3, "log_debug");
}
END_TEST

START_TEST(test_later_wins)
{
	const char *path = write_conf("popauth_expire = 5m\n"
	                              "popauth_expire = 7m\n");
	struct conf *c = conf_load(path, NULL, 0);

	ck_assert_ptr_nonnull(c);
	ck_assert(c->popauth_expire == 420);
	conf_free(c);
}
END_TEST

/* one bad line per row: text, the line it is on, a word the message says */
static const struct {
	const char *text;
	int line;
	const char *what;
} bad_cases[] = {
    {"nosuch_key = 1\n", 1, "unknown key"},
    {"# c\n\npopauth_expir = 30m\n", 3, "unknown key"},
    {"popauth_expire = 30x\n", 1, "popauth_expire"},
    {"popauth_expire =\n", 1, "popauth_expire"},
    {"popauth_expire = 0\n", 1, "popauth_expire"},
    {"popauth_expire = -5m\n", 1, "popauth_expire"},
    {"popauth_expire = 30 m\n", 1, "popauth_expire"},
    {"map_flush_delay_ms = fast\n", 1, "map_flush_delay_ms"},
    {"log_debug = maybe\n", 1, "log_debug"},
    {"log_syslog =\n", 1, "log_syslog"},
    {"max_tracked_ips = 5\n", 1, "max_tracked_ips"},
    {"max_tracked_ips = 1e6\n", 1, "max_tracked_ips"},
    {"alert_retries = 101\n", 1, "alert_retries"},
    {"alert_retries = three\n", 1, "alert_retries"},
    {"nullroute_freq_thresh = -1\n", 1, "nullroute_freq_thresh"},
    {"nullroute_freq_thresh = nan\n", 1, "nullroute_freq_thresh"},
    {"nullroute_freq_thresh = inf\n", 1, "nullroute_freq_thresh"},
    {"firewall_backend = pf\n", 1, "firewall_backend"},
    {"nftables_table = a;b\n", 1, "nftables_table"},
    {"nftables_table = 1abc\n", 1, "nftables_table"},
    {"firewall_backend = NONE\n", 1, "firewall_backend"},
    {"nullroute_scope = udp\n", 1, "nullroute_scope"},
    {"fifo_path =\n", 1, "fifo_path"},
    {"input =\n", 1, "input"},
    {"map_directory = \n", 1, "map_directory"},
    {"popauth_expire 30m\n", 1, "="},
    {"= 30m\n", 1, "name"},
    {"   popauth_expire = 30m\n", 1, "continuation"},
    {"log_debug = no\nlog_debug = no\nbogus = 1\nlog_debug = no\n", 3,
        "unknown key"},
};

START_TEST(test_bad)
{
	expect_error(
	    bad_cases[_i].text, bad_cases[_i].line, bad_cases[_i].what);
}
END_TEST

/* cross-key checks name the file (no line: they are about the whole conf) */
/* values of the right type that the daemon would refuse or mis-serve */
static const struct {
	const char *text;
	int line;
	const char *what;
} cross_cases[] = {
    {"popauth_map = sub/popauth_checks\n", 1, "popauth_map"},
    {"blacklist_map = /etc/postfix/rbl_checks\n", 1, "blacklist_map"},
    {"popauth_map = same\nblacklist_map = same\n", 2, "must differ"},
    {"nullroute_freq_thresh = 0\n", 1, "nullroute_freq_thresh"},
    {"iptables_chain = ABCDEFGHIJKLMNOPQRSTUVWXYZ0123\n", 1, "iptables_chain"},
    {"iptables_chain = INPUT\n", 1, "reserved"},
    {"iptables_chain = -x\n", 1, "iptables_chain"},
    {"log_debug = no\nnullroute_ports = 99999\n", 2, "nullroute_ports"},
    {"nullroute_ports = 25,,26\n", 1, "nullroute_ports"},
    {"nullroute_ports = 30-20\n", 1, "nullroute_ports"},
    {"nullroute_ports = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16\n", 1,
        "too many"},
    {"run_as_user = no-such-user-popauthd\n", 1, "no such user"},
    {"control_group = no-such-group-popauthd\n", 1, "no such group"},
    {"greytrap_dns_servers = garbage!\n", 1, "greytrap_dns_servers"},
    {"greytrap_dns_servers = 127.0.0.1, 999.1.1.1\n", 1, "999.1.1.1"},
    {"greytrap_dns_servers = [::1]:99999\n", 1, "greytrap_dns_servers"},
    {"blacklist_code = hello\n", 1, "blacklist_code"},
    {"blacklist_code = 250 2.0.0\n", 1, "blacklist_code"},
    {"blacklist_code = 554 4.7.1\n", 1, "blacklist_code"},
    {"blacklist_template = listed by $nosuch\n", 1, "$nosuch"},
    {"alert_smtp_server = :::::\n", 1, "alert_smtp_server"},
    {"alert_smtp_server = mail.example:0\n", 1, "alert_smtp_server"},
    {"alert_smtp_server = [2001:db8::1\n", 1, "alert_smtp_server"},
    {"sysadmin_email_address = a b@example.org\n", 1, "user@domain"},
    {"sysadmin_email_address = nobody\n", 1, "user@domain"},
    {"spamcop_reject_codes = 553, abc\n", 1, "spamcop_reject_codes"},
    {"ban_escalate_factor = 0.5\n", 1, "ban_escalate_factor"},
    {"greytrap_max_senders_ratio = 2\n", 1, "ratio"},
    {"sendmail_listen = nonsense:port\n", 1, "sendmail_listen"},
    {"stalled_session_pattern = (\n", 1, "stalled_session_pattern"},
    {"input = syslog\n", 1, "input"},
    {"input = FIFO\n", 1, "expected fifo, file or journal"},
    {"input = file\ninput_path = mail.log\n", 2, "input_path"},
    {"journal_directory = j\n", 1, "journal_directory"},
    {"cluster_node = a b\n", 1, "cluster_node"},
    {"cluster_node = x'; DROP TABLE t;--\n", 1, "cluster_node"},
    {"cluster_database = host=/tmp port\n", 1, "cluster_database"},
    {"cluster_database = postgresql://[::1\n", 1, "cluster_database"},
    {"cluster_retention = 0\n", 1, "cluster_retention"},
};

START_TEST(test_cross)
{
	expect_error(
	    cross_cases[_i].text, cross_cases[_i].line, cross_cases[_i].what);
}
END_TEST

/* what a mail admin writes: accepted */
static const char *const good_cases[] = {
    "blacklist_code = 554\n",
    "blacklist_code = 450 4.7.1\n",
    "blacklist_template = $ip [$host] listed by $list: $reason\n",
    "alert_smtp_server = localhost\n",
    "alert_smtp_server = mail.example.org:587\n",
    "alert_smtp_server = 127.0.0.1:2525\n",
    "alert_smtp_server = [2001:db8::25]:25\n",
    "alert_smtp_server = 2001:db8::25\n",
    "alert_smtp_server =\n",
    "greytrap_dns_servers = 127.0.0.1, [::1]:5353, 192.0.2.53:53, ::1\n",
    "nullroute_ports = 25, 465, 587, 1000-2000\n",
    "spamcop_reject_codes = 553, 554\n",
    "run_as_user = nobody\n",
    "control_group = root\n",
    "input = journal\njournal_directory = /var/log/journal\n",
    "input = journal\n",
    "input = file\ninput_path = /var/log/mail.log\n",
    "cluster_database = host=/run/postgresql dbname=popauthd\n"
    "cluster_node = mx-1.example.org\n",
    "cluster_database = postgresql://popauthd@db.example.org/popauthd\n",
    "cluster_retention = 2d\n",
};

START_TEST(test_good_values)
{
	struct conf *c = conf_load(write_conf(good_cases[_i]), NULL, 0);

	ck_assert_msg(
	    c != NULL, "refused: %s (%s)", good_cases[_i], log_last_error());
	conf_free(c);
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char text[] = "log_debug = no\nlog_\0debug = yes\n";
	const char *path = write_conf_n(text, sizeof(text) - 1);
	char want[128];

	ck_assert_ptr_null(conf_load(path, NULL, 0));
	snprintf(want, sizeof(want), "%s:2: ", path);
	ck_assert_msg(
	    strstr(log_last_error(), want) != NULL, "%s", log_last_error());
}
END_TEST

/* -c DIRECTORY: fopen succeeds and reads as empty; it must be refused */
START_TEST(test_directory)
{
	ck_assert_ptr_null(conf_load("/tmp", NULL, 0));
	ck_assert_msg(
	    strstr(log_last_error(), "/tmp: not a regular file") != NULL, "%s",
	    log_last_error());
}
END_TEST

START_TEST(test_missing_file)
{
	ck_assert_ptr_null(conf_load("/nonexistent/popauthd.conf", NULL, 0));
	ck_assert(
	    strstr(log_last_error(), "/nonexistent/popauthd.conf") != NULL);
}
END_TEST

START_TEST(test_overrides)
{
	char o1[] = "popauth_expire = 2s", o2[] = "fifo_path=/tmp/o.fifo";
	char o3[] = "run_as_user=";
	char *ov[] = {o1, o2, o3};
	const char *path = write_conf("popauth_expire = 30m\n"
	                              "fifo_path = /tmp/f.fifo\n"
	                              "run_as_user = popauthd\n");
	struct conf *c = conf_load(path, ov, NITEMS(ov));

	ck_assert_ptr_nonnull(c);
	ck_assert(c->popauth_expire == 2);
	ck_assert_str_eq(c->fifo_path, "/tmp/o.fifo");
	ck_assert_str_eq(c->run_as_user, "");
	conf_free(c);
}
END_TEST

/* -o errors say -o:N: with N the position of the bad override */
static const struct {
	const char *ov;
	const char *want;
} ov_bad_cases[] = {
    {"popauth_expire=soon", "-o:2: "},
    {"nosuch=1", "-o:2: "},
    {"log_debug", "-o:2: "},
    {"log_debug=perhaps", "-o:2: "},
};

START_TEST(test_override_bad)
{
	char o1[] = "log_debug=no", o2[64], o3[] = "log_debug=no";
	char *ov[] = {o1, o2, o3};

	snprintf(o2, sizeof(o2), "%s", ov_bad_cases[_i].ov);
	ck_assert_ptr_null(conf_load(NULL, ov, NITEMS(ov)));
	ck_assert_msg(strstr(log_last_error(), ov_bad_cases[_i].want) != NULL,
	    "error \"%s\" does not name \"%s\"", log_last_error(),
	    ov_bad_cases[_i].want);
}
END_TEST

/* conf_dump output loads back and dumps the same: every key, parseable */
START_TEST(test_dump_roundtrip)
{
	char tmp1[] = "/tmp/check_conf_dump1.XXXXXX";
	char tmp2[] = "/tmp/check_conf_dump2.XXXXXX";
	char a[16384], b[16384];
	const char *path = write_conf("popauth_expire = 1h30m\n"
	                              "firewall_backend = iptables\n"
	                              "nullroute_freq_thresh = 0.25\n"
	                              "log_debug = yes\n");
	struct conf *c = conf_load(path, NULL, 0), *c2;
	int fd1 = mkstemp(tmp1), fd2 = mkstemp(tmp2);
	ssize_t na, nb;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_ge(fd1, 0);
	ck_assert_int_ge(fd2, 0);
	conf_dump(c, fd1);
	c2 = conf_load(tmp1, NULL, 0);
	ck_assert_msg(c2 != NULL, "dump does not load: %s", log_last_error());
	conf_dump(c2, fd2);
	na = pread(fd1, a, sizeof(a) - 1, 0);
	nb = pread(fd2, b, sizeof(b) - 1, 0);
	ck_assert_int_gt(na, 0);
	ck_assert_int_eq(na, nb);
	ck_assert(memcmp(a, b, (size_t)na) == 0);
	a[na] = '\0';
	ck_assert(strstr(a, "popauth_expire = 5400s\n") != NULL);
	ck_assert(strstr(a, "firewall_backend = iptables\n") != NULL);
	ck_assert(c2->popauth_expire == 5400);
	ck_assert(c2->log_debug);
	conf_free(c);
	conf_free(c2);
	close(fd1);
	close(fd2);
	unlink(tmp1);
	unlink(tmp2);
}
END_TEST

START_TEST(test_free_null)
{
	conf_free(NULL);
	ck_assert_ptr_nonnull(conf_default_file());
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_each_type);
	tcase_add_test(tc, test_continuation);
	tcase_add_test(tc, test_continuation_joins_key);
	tcase_add_test(tc, test_continuation_error_line);
	tcase_add_test(tc, test_later_wins);
	tcase_add_loop_test(tc, test_bad, 0, (int)NITEMS(bad_cases));
	tcase_add_loop_test(tc, test_cross, 0, (int)NITEMS(cross_cases));
	tcase_add_loop_test(tc, test_good_values, 0, (int)NITEMS(good_cases));
	tcase_add_test(tc, test_directory);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_overrides);
	tcase_add_loop_test(
	    tc, test_override_bad, 0, (int)NITEMS(ov_bad_cases));
	tcase_add_test(tc, test_dump_roundtrip);
	tcase_add_test(tc, test_free_null);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(conf_suite)

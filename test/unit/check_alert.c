/*
 * check_alert.c - alert.c against a real SMTP server on loopback.
 *
 * Postfix's smtp-sink listens on 127.0.0.1 at a free port and dumps every
 * message it accepts into a private directory; the tests send alerts, poll
 * alert_poll() until nothing is pending (a deadline, not a sleep, decides
 * failure) and read what arrived.  A closed port stands in for a dead mail
 * server.  The sink is stopped by its PID.
 */
#include "test.h"

#include "addr.h"
#include "alert.h"
#include "conf.h"
#include "log.h"
#include "util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SINK  "/usr/sbin/smtp-sink"
#define ADMIN "admin@example.org"
#define UNBAN ((time_t)1800000000)

static char dir[64];
static char logpath[96];
static pid_t sink_pid;

/* free_port - a loopback TCP port nobody listens on right now */
static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

/* listening - true once something accepts connections on port */
static bool
listening(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), rc;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc == 0;
}

/* sink_start - smtp-sink on 127.0.0.1:port dumping into dir; false: no sink */
static bool
sink_start(int port)
{
	char addr[32], tmpl[128];
	long long deadline;

	if (access(SINK, X_OK) != 0)
		return false;
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	snprintf(tmpl, sizeof(tmpl), "%s/%%Y%%m%%d%%H%%M%%S.", dir);
	if ((sink_pid = fork()) == 0) {
		if (geteuid() == 0)
			execl(SINK, "smtp-sink", "-u", "nobody", "-d", tmpl,
			    addr, "16", (char *)NULL);
		else
			execl(SINK, "smtp-sink", "-d", tmpl, addr, "16",
			    (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(sink_pid, 0);
	deadline = mono_ms() + 10000;
	while (!listening(port)) {
		ck_assert_msg(mono_ms() < deadline, "smtp-sink did not start");
		poll(NULL, 0, 20);
	}
	return true;
}

static void
sink_stop(void)
{
	if (sink_pid > 0) {
		kill(sink_pid, SIGTERM);
		waitpid(sink_pid, NULL, 0);
		sink_pid = 0;
	}
}

/* drain - poll alert_poll until nothing is pending; fails after 30 s */
static void
drain(const struct conf *c)
{
	long long deadline = mono_ms() + 30000, ms;

	while (alert_pending() > 0) {
		ck_assert_msg(mono_ms() < deadline,
		    "alerts still pending after 30 s: %zu", alert_pending());
		ms = alert_poll(c);
		poll(NULL, 0, ms < 0 || ms > 100 ? 100 : (int)ms);
	}
}

/* slurp - whole file into a static buffer */
static const char *
slurp(const char *path)
{
	static char buf[65536];
	FILE *fp = fopen(path, "r");
	size_t n;

	ck_assert_msg(fp != NULL, "cannot open %s", path);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* count - occurrences of s in text */
static int
count(const char *text, const char *s)
{
	int n = 0;

	while ((text = strstr(text, s)) != NULL) {
		n++;
		text += strlen(s);
	}
	return n;
}

/* messages - names of dumped messages in dir (up to max); returns how many */
static int
messages(char names[][400], int max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.') {
			if (n < max)
				snprintf(
				    names[n], 400, "%s/%s", dir, e->d_name);
			n++;
		}
	closedir(d);
	return n;
}

static struct conf *
conf_for(int port, const char *retries)
{
	char server[64], retr[64];
	char *ovr[] = {server, retr, (char *)"sysadmin_email_address=" ADMIN,
	    (char *)"sysadmin_email_name=popauthd \"Test\"",
	    (char *)"alert_timeout=5s",
	    (char *)"localhost_dns_name=mx.example.org",
	    (char *)"nullroute_freq_thresh=0.05",
	    (char *)"nullroute_msg_thresh=50"};
	struct conf *c;

	snprintf(
	    server, sizeof(server), "alert_smtp_server=127.0.0.1:%d", port);
	snprintf(retr, sizeof(retr), "alert_retries=%s", retries);
	c = conf_load(NULL, ovr, NITEMS(ovr));
	ck_assert_ptr_nonnull(c);
	return c;
}

static struct alert_info
info(const char *ip, const char *host)
{
	struct alert_info ai;

	memset(&ai, 0, sizeof(ai));
	ck_assert_int_eq(addr_parse(ip, strlen(ip), &ai.ip), 0);
	snprintf(ai.host, sizeof(ai.host), "%s", host);
	ai.total_hits = 80;
	ai.period_hits = 30;
	ai.hitspread = 600;
	ai.rate = 0.05;
	ai.unban = UNBAN;
	return ai;
}

static void
setup(void)
{
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/check_alert.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	chmod(dir, 0777); /* smtp-sink writes as nobody */
	snprintf(logpath, sizeof(logpath), "%s.log", dir);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(log_open(logpath, false, false), 0);
}

static void
teardown(void)
{
	char cmd[512];

	sink_stop();
	log_close();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir, logpath);
	if (system(cmd) != 0)
		fprintf(stderr, "check_alert: cannot remove %s\n", dir);
}

/* wait_message - the one dumped message containing last (deadline 10 s) */
static const char *
wait_message(const char *last)
{
	char names[4][400];
	long long deadline = mono_ms() + 10000;
	const char *m;
	int n;

	for (;;) {
		n = messages(names, 4);
		if (n == 1 && strstr(m = slurp(names[0]), last) != NULL)
			return m;
		ck_assert_msg(n <= 1, "%d messages arrived, expected 1", n);
		ck_assert_msg(
		    mono_ms() < deadline, "no complete message in %s", dir);
		poll(NULL, 0, 20);
	}
}

START_TEST(test_send_v4)
{
	int port = free_port();
	struct conf *c = conf_for(port, "0");
	struct alert_info ai =
	    info("203.0.113.5", "evil.example\r\nBcc: victim@example.net");
	char want[1024], date[64], esc[512];
	struct tm tm;
	long long t0;
	const char *m;

	if (!sink_start(port)) {
		printf("SKIP: check_alert needs %s\n", SINK);
		conf_free(c);
		return;
	}
	t0 = mono_ms();
	alert_send(c, &ai);
	ck_assert_msg(mono_ms() - t0 < 1000, "alert_send blocked");
	ck_assert_uint_eq(alert_pending(), 1);
	drain(c);
	m = wait_message("iptables -A INPUT -s 203.0.113.5 -j DROP");
	ck_assert_msg(
	    count(m, "\nSubject: Null-Route Alert For 203.0.113.5\n") == 1,
	    "%s", m);
	ck_assert_msg(
	    count(m, "\nFrom: \"popauthd Test\" <" ADMIN ">\n") == 1, "%s", m);
	ck_assert_msg(
	    count(m, "\nTo: \"System Administrator\" <" ADMIN ">\n") == 1, "%s",
	    m);
	ck_assert_msg(count(m, "X-Mail-Args: <" ADMIN ">") == 1, "%s", m);
	ck_assert_msg(count(m, "X-Rcpt-Args: <" ADMIN ">") == 1, "%s", m);
	localtime_r(&ai.unban, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", &tm);
	log_escape(esc, sizeof(esc), ai.host, strlen(ai.host));
	snprintf(want, sizeof(want),
	    "\n203.0.113.5 [%s] has been null-routed until %s.\n", esc, date);
	ck_assert_msg(count(m, want) == 1, "want %s in:\n%s", want, m);
	/* the attacker's CR LF stayed text: no header was injected */
	ck_assert_msg(count(m, "\nBcc:") == 0, "%s", m);
	ck_assert_msg(count(m,
	                  "This user has made 30 attempts in the last 600 "
	                  "second(s) for a rate of 1 message every 20.0000 "
	                  "seconds") == 1,
	    "%s", m);
	ck_assert_msg(count(m,
	                  "This user has made 80 total attempts (the "
	                  "threshold limits users to 50 total messages)") == 1,
	    "%s", m);
	ck_assert_msg(count(m,
	                  "\naccess-list 100 deny ip host 203.0.113.5 "
	                  "any\n") == 1,
	    "%s", m);
	ck_assert_msg(
	    count(m, "\niptables -A INPUT -s 203.0.113.5 -j DROP") == 1, "%s",
	    m);
	ck_assert_msg(count(slurp(logpath),
	                  "203.0.113.5: " ADMIN
	                  " has been notified to null-route 203.0.113.5") == 1,
	    "%s", slurp(logpath));
	ck_assert_int_eq(alert_poll(c), -1);
	conf_free(c);
}
END_TEST

START_TEST(test_send_v6)
{
	int port = free_port();
	struct conf *c = conf_for(port, "0");
	struct alert_info ai = info("2001:db8::5", "v6.example");
	const char *m;

	if (!sink_start(port)) {
		printf("SKIP: check_alert needs %s\n", SINK);
		conf_free(c);
		return;
	}
	alert_send(c, &ai);
	drain(c);
	m = wait_message("ip6tables -A INPUT -s 2001:db8::5 -j DROP");
	ck_assert_msg(
	    count(m, "\nSubject: Null-Route Alert For 2001:db8::5\n") == 1,
	    "%s", m);
	ck_assert_msg(
	    count(m, "\n deny ipv6 host 2001:db8::5 any\n") == 1, "%s", m);
	ck_assert_msg(count(m, "\nipv6 access-list ") == 1, "%s", m);
	ck_assert_msg(count(m, "access-list 100") == 0, "%s", m);
	conf_free(c);
}
END_TEST

START_TEST(test_server_down_retries_then_gives_up)
{
	int port = free_port(); /* nobody listens: connection refused */
	struct conf *c = conf_for(port, "2");
	struct alert_info ai = info("198.51.100.9", "down.example");
	long long t0;
	const char *log;

	alert_set_retry_delay(50);
	t0 = mono_ms();
	alert_send(c, &ai);
	ck_assert_msg(mono_ms() - t0 < 1000, "alert_send blocked");
	ck_assert_uint_eq(alert_pending(), 1);
	drain(c);
	log = slurp(logpath);
	ck_assert_msg(
	    count(log, "198.51.100.9: null-route alert to " ADMIN " failed") ==
	        2,
	    "%s", log);
	ck_assert_msg(
	    count(log, "try 1 of 3") == 1 && count(log, "try 2 of 3") == 1,
	    "%s", log);
	ck_assert_msg(count(log,
	                  "198.51.100.9: unable to notify " ADMIN
	                  " of null-route need against 198.51.100.9 "
	                  "[down.example] for 80 attempts") == 1,
	    "%s", log);
	ck_assert_msg(count(log, "gave up after 3 tries") == 1, "%s", log);
	/* each child said why, naming the server */
	ck_assert_msg(
	    count(log, "alert_smtp_server 127.0.0.1:") == 3, "%s", log);
	ck_assert_int_eq(alert_poll(c), -1);
	conf_free(c);
}
END_TEST

START_TEST(test_queue_is_bounded)
{
	int port = free_port();
	char *ovr[] = {
	    (char *)"alert_max_children=1", (char *)"alert_retries=0"};
	struct conf *c0 = conf_for(port, "0");
	struct conf *c;
	struct alert_info ai = info("192.0.2.1", "q.example");
	size_t i;

	conf_free(c0);
	{
		char server[64];
		char *o2[] = {server, ovr[0], ovr[1]};

		snprintf(server, sizeof(server),
		    "alert_smtp_server=127.0.0.1:%d", port);
		c = conf_load(NULL, o2, NITEMS(o2));
	}
	ck_assert_ptr_nonnull(c);
	for (i = 0; i < ALERT_QUEUE_MAX + 3; i++)
		alert_send(c, &ai);
	ck_assert_uint_eq(alert_pending(), ALERT_QUEUE_MAX);
	ck_assert_msg(count(slurp(logpath),
	                  "192.0.2.1: null-route alert "
	                  "dropped") == 3,
	    "%s", slurp(logpath));
	/* one child at a time: the rest wait, and a poll keeps the loop awake */
	ck_assert_int_ge(alert_poll(c), 0);
	drain(c);
	conf_free(c);
}
END_TEST

/* a server that takes the connection and never greets: senders hang */
START_TEST(test_finish_drops_with_ip)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;
	struct conf *c;
	struct alert_info a1 = info("192.0.2.44", "hang.example");
	struct alert_info a2 = info("2001:db8::44", "hang6.example");
	const char *log;
	long long t0;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	c = conf_for(port, "3");
	snprintf(a1.why, sizeof(a1.why), "too many attempts: 80 in all");
	alert_send(c, &a1);
	alert_send(c, &a2);
	ck_assert_uint_eq(alert_pending(), 2);
	t0 = mono_ms();
	alert_finish(c, 300);
	ck_assert_msg(mono_ms() - t0 < 3000, "alert_finish overran its bound");
	ck_assert_uint_eq(alert_pending(), 0);
	log = slurp(logpath);
	ck_assert_msg(count(log,
	                  "192.0.2.44: null-route alert to " ADMIN
	                  " dropped at exit, not sent (too many "
	                  "attempts: 80 in all)") == 1,
	    "%s", log);
	ck_assert_msg(count(log,
	                  "2001:db8::44: null-route alert to " ADMIN
	                  " dropped at exit") == 1,
	    "%s", log);
	close(fd);
	conf_free(c);
}
END_TEST

/* alerts waiting for the one sender slot all go out before the exit */
START_TEST(test_finish_sends_queued)
{
	int port = free_port();
	char server[64];
	char *o[] = {server, (char *)"alert_max_children=1",
	    (char *)"sysadmin_email_address=" ADMIN};
	struct conf *c;
	struct alert_info ai;
	char ip[32];
	int i;

	snprintf(
	    server, sizeof(server), "alert_smtp_server=127.0.0.1:%d", port);
	c = conf_load(NULL, o, NITEMS(o));
	ck_assert_ptr_nonnull(c);
	if (!sink_start(port)) {
		printf("SKIP: check_alert needs %s\n", SINK);
		conf_free(c);
		return;
	}
	for (i = 0; i < 4; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", 60 + i);
		ai = info(ip, "q.example");
		alert_send(c, &ai);
	}
	ck_assert_uint_eq(alert_pending(), 4);
	alert_finish(c, alert_finish_ms(c));
	ck_assert_uint_eq(alert_pending(), 0);
	{
		char names[8][400];

		ck_assert_int_eq(messages(names, 8), 4);
	}
	ck_assert_msg(
	    count(slurp(logpath), "dropped") == 0, "%s", slurp(logpath));
	conf_free(c);
}
END_TEST

static Suite *
alert_suite(void)
{
	Suite *s = suite_create("alert");
	TCase *tc = tcase_create("smtp");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_send_v4);
	tcase_add_test(tc, test_send_v6);
	tcase_add_test(tc, test_server_down_retries_then_gives_up);
	tcase_add_test(tc, test_queue_is_bounded);
	tcase_add_test(tc, test_finish_drops_with_ip);
	tcase_add_test(tc, test_finish_sends_queued);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(alert_suite)

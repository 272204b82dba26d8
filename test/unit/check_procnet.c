/*
 * check_procnet.c - /proc socket correlation: the mailer address parser, a
 * real TCP connection on loopback held by a child process (the "sendmail
 * child"), IPv6 loopback, a fixture /proc tree (tcp6 with a v4-mapped peer,
 * a listening socket, a pipe) and process start times.  The fixture's hex
 * words are written for a little-endian host, as /proc prints them on x86.
 */
#include "test.h"

#include "addr.h"
#include "procnet.h"
#include "util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct {
	const char *in;
	int rc;
	bool any;
	const char *addr;
	unsigned port;
} local_cases[] = {
    {"0.0.0.0:25", 0, true, NULL, 25},
    {"25", 0, true, NULL, 25},
    {"*:2525", 0, true, NULL, 2525},
    {"[::]:25", 0, true, NULL, 25},
    {"192.0.2.1:25", 0, false, "192.0.2.1", 25},
    {"[2001:db8::1]:587", 0, false, "2001:db8::1", 587},
    {"[::ffff:192.0.2.9]:25", 0, false, "192.0.2.9", 25},
    {"2001:db8::1:25", -1, false, NULL, 0},
    {"192.0.2.1:0", -1, false, NULL, 0},
    {"192.0.2.1:65536", -1, false, NULL, 0},
    {"mx.example:25", -1, false, NULL, 0},
    {"", -1, false, NULL, 0},
    {"192.0.2.1:", -1, false, NULL, 0},
};

START_TEST(test_parse_local)
{
	struct procnet_local l;
	char buf[ADDR_STRLEN];

	ck_assert_int_eq(
	    procnet_parse_local(local_cases[_i].in, &l), local_cases[_i].rc);
	if (local_cases[_i].rc < 0)
		return;
	ck_assert(l.any == local_cases[_i].any);
	ck_assert_uint_eq(l.port, local_cases[_i].port);
	if (local_cases[_i].addr != NULL)
		ck_assert_str_eq(addr_format(&l.addr, buf, sizeof(buf)),
		    local_cases[_i].addr);
}
END_TEST

static int srv_rd; /* the child's report pipe */

/* server_child - listen on addr, report the port, accept, hold the session */
static pid_t
server_child(int family, const char *addr, uint16_t *port)
{
	int p[2], q[2];
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(pipe(q), 0);
	if ((pid = fork()) == 0) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int s = socket(family, SOCK_STREAM, 0), a;

		memset(&ss, 0, sizeof(ss));
		if (family == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;

			in->sin_family = AF_INET;
			inet_pton(AF_INET, addr, &in->sin_addr);
			sl = sizeof(*in);
		} else {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

			in6->sin6_family = AF_INET6;
			inet_pton(AF_INET6, addr, &in6->sin6_addr);
			sl = sizeof(*in6);
		}
		if (s < 0 || bind(s, (struct sockaddr *)&ss, sl) < 0 ||
		    listen(s, 1) < 0)
			_exit(1);
		sl = sizeof(ss);
		getsockname(s, (struct sockaddr *)&ss, &sl);
		if (write(p[1],
		        family == AF_INET
		            ? &((struct sockaddr_in *)&ss)->sin_port
		            : &((struct sockaddr_in6 *)&ss)->sin6_port,
		        2) != 2)
			_exit(1);
		if ((a = accept(s, NULL, NULL)) < 0)
			_exit(1);
		if (write(p[1], "a", 1) != 1)
			_exit(1);
		/* hold the connection until the parent is done */
		if (read(q[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	ck_assert_int_eq(read(p[0], port, 2), 2);
	*port = ntohs(*port);
	srv_rd = p[0];
	close(p[1]);
	close(q[0]);
	return pid;
}

static void
wait_accepted(pid_t pid)
{
	char c;

	/* the child writes "a" once accept() returned: the socket is in /proc */
	ck_assert_int_eq(read(srv_rd, &c, 1), 1);
	close(srv_rd);
	ck_assert_int_eq(kill(pid, 0), 0);
}

START_TEST(test_peer_v4_child)
{
	struct procnet_local l;
	struct sockaddr_in me, to;
	struct addr peer;
	char buf[ADDR_STRLEN], spec[64];
	uint16_t port;
	pid_t pid = server_child(AF_INET, "127.0.0.1", &port);
	int c = socket(AF_INET, SOCK_STREAM, 0);

	memset(&me, 0, sizeof(me));
	me.sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.66", &me.sin_addr);
	ck_assert_int_eq(bind(c, (struct sockaddr *)&me, sizeof(me)), 0);
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(port);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&to, sizeof(to)), 0);
	wait_accepted(pid);

	snprintf(spec, sizeof(spec), "0.0.0.0:%u", port);
	ck_assert_int_eq(procnet_parse_local(spec, &l), 0);
	ck_assert_int_eq(procnet_peer("/proc", pid, &l, &peer), 0);
	ck_assert_str_eq(addr_format(&peer, buf, sizeof(buf)), "127.0.0.66");
	snprintf(spec, sizeof(spec), "127.0.0.1:%u", port);
	ck_assert_int_eq(procnet_parse_local(spec, &l), 0);
	ck_assert_int_eq(procnet_peer("/proc", pid, &l, &peer), 0);
	/* another local address, another port, another process: nothing */
	snprintf(spec, sizeof(spec), "127.0.0.2:%u", port);
	ck_assert_int_eq(procnet_parse_local(spec, &l), 0);
	ck_assert_int_eq(procnet_peer("/proc", pid, &l, &peer), -1);
	snprintf(spec, sizeof(spec), "%u", port == 65535 ? 1 : port + 1);
	ck_assert_int_eq(procnet_parse_local(spec, &l), 0);
	ck_assert_int_eq(procnet_peer("/proc", pid, &l, &peer), -1);
	snprintf(spec, sizeof(spec), "%u", port);
	ck_assert_int_eq(procnet_parse_local(spec, &l), 0);
	/* the client side: its local port is not the mailer's */
	ck_assert_int_eq(procnet_peer("/proc", getpid(), &l, &peer), -1);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(c);
	ck_assert_int_eq(procnet_peer("/proc", pid, &l, &peer), -1);
}
END_TEST

START_TEST(test_peer_v6)
{
	struct procnet_local l;
	struct sockaddr_in6 to;
	struct addr peer;
	char buf[ADDR_STRLEN], spec[64];
	uint16_t port;
	int c = socket(AF_INET6, SOCK_STREAM, 0);
	pid_t pid;

	if (c < 0)
		return; /* no IPv6 here */
	pid = server_child(AF_INET6, "::1", &port);
	memset(&to, 0, sizeof(to));
	to.sin6_family = AF_INET6;
	to.sin6_port = htons(port);
	inet_pton(AF_INET6, "::1", &to.sin6_addr);
	if (connect(c, (struct sockaddr *)&to, sizeof(to)) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return; /* no ::1 in this namespace */
	}
	wait_accepted(pid);
	snprintf(spec, sizeof(spec), "[::1]:%u", port);
	ck_assert_int_eq(procnet_parse_local(spec, &l), 0);
	ck_assert_int_eq(procnet_peer("/proc", pid, &l, &peer), 0);
	ck_assert_str_eq(addr_format(&peer, buf, sizeof(buf)), "::1");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(c);
}
END_TEST

static void
put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
}

START_TEST(test_fixture)
{
	char root[] = "/tmp/check_procnet.XXXXXX", p[256], buf[ADDR_STRLEN];
	const char *hdr =
	    "  sl  local_address rem_address   st tx_queue rx_queue "
	    "tr tm->when retrnsmt   uid  timeout inode\n";
	struct procnet_local l;
	struct addr peer;
	unsigned long long t;

	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/net", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/4242", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/4242/fd", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/4242/task", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/4242/task/4243", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/4242/task/4243/fd", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/4242/fd/0", root);
	ck_assert_int_eq(symlink("pipe:[5]", p), 0);
	snprintf(p, sizeof(p), "%s/4242/fd/3", root);
	ck_assert_int_eq(symlink("socket:[700]", p), 0);
	/* a socket only a thread holds */
	snprintf(p, sizeof(p), "%s/4242/task/4243/fd/4", root);
	ck_assert_int_eq(symlink("socket:[777]", p), 0);
	snprintf(p, sizeof(p), "%s/net/tcp", root);
	put(p, hdr);
	{
		FILE *fp = fopen(p, "a");

		/* inode 700: the listening socket on :25 */
		fputs("   0: 00000000:0019 00000000:0000 0A 00000000:00000000 "
		      "00:00000000 00000000     0        0 700 1 0 100 0 0 10 "
		      "0\n",
		    fp);
		fclose(fp);
	}
	snprintf(p, sizeof(p), "%s/net/tcp6", root);
	put(p, hdr);
	{
		FILE *fp = fopen(p, "a");

		/* inode 777: ::ffff:127.0.0.1:25 <- ::ffff:198.0.0.66:54321 */
		fputs("   0: 0000000000000000FFFF00000100007F:0019 "
		      "0000000000000000FFFF0000420000C6:D431 01 "
		      "00000000:00000000 00:00000000 00000000     0        0 "
		      "777 1 0000000000000000 20 4 30 10 -1\n",
		    fp);
		fclose(fp);
	}
	snprintf(p, sizeof(p), "%s/4242/stat", root);
	put(p,
	    "4242 (a b) c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 0 "
	    "12345 999 0\n");

	ck_assert_int_eq(procnet_parse_local("25", &l), 0);
	ck_assert_int_eq(procnet_peer(root, 4242, &l, &peer), 0);
	ck_assert_str_eq(addr_format(&peer, buf, sizeof(buf)), "198.0.0.66");
	ck_assert_int_eq(procnet_parse_local("127.0.0.1:25", &l), 0);
	ck_assert_int_eq(procnet_peer(root, 4242, &l, &peer), 0);
	ck_assert_int_eq(procnet_parse_local("192.0.2.1:25", &l), 0);
	ck_assert_int_eq(procnet_peer(root, 4242, &l, &peer), -1);
	ck_assert_int_eq(procnet_peer(root, 4244, &l, &peer), -1);
	ck_assert_int_eq(procnet_starttime(root, 4242, &t), 0);
	ck_assert_uint_eq(t, 12345);
	ck_assert_int_eq(procnet_starttime(root, 4244, &t), -1);
	ck_assert_int_eq(procnet_starttime("/proc", getpid(), &t), 0);
	ck_assert_uint_gt(t, 0);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		ck_assert_int_eq(system(cmd), 0);
	}
}
END_TEST

static Suite *
procnet_suite(void)
{
	Suite *s = suite_create("procnet");
	TCase *tc = tcase_create("procnet");

	tcase_add_loop_test(tc, test_parse_local, 0, NITEMS(local_cases));
	tcase_add_test(tc, test_peer_v4_child);
	tcase_add_test(tc, test_peer_v6);
	tcase_add_test(tc, test_fixture);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(procnet_suite)

/*
 * check_prochelper.c - the /proc helper: without one the calls read /proc
 * directly; as root, a helper running as nobody keeps exactly CAP_SYS_PTRACE
 * and CAP_DAC_READ_SEARCH and finds the peer of a connection held by this
 * (root-owned) test process, which nobody alone could not; a helper that dies
 * is dropped and the calls go direct again; stop reaps it.  The helper cases
 * return early when not run as root or without a user nobody.
 */
#include "test.h"

#include "addr.h"
#include "prochelper.h"
#include "procnet.h"
#include "util.h"

#include <arpa/inet.h>
#include <cap-ng.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* start_nobody - a helper as nobody; false when this host cannot */
static bool
start_nobody(void)
{
	struct passwd *pw;

	if (geteuid() != 0 || (pw = getpwnam("nobody")) == NULL)
		return false;
	ck_assert_int_eq(prochelper_start(pw->pw_uid, pw->pw_gid), 0);
	ck_assert_int_gt(prochelper_pid(), 1);
	return true;
}

/* status_hex - a hex field ("CapEff") of /proc/pid/status */
static unsigned long long
status_hex(pid_t pid, const char *field)
{
	char path[64], line[256];
	unsigned long long v = ~0ULL;
	size_t n = strlen(field);
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			sscanf(line + n + 1, "%llx", &v);
	fclose(fp);
	return v;
}

/* hold - a loopback connection from 127.0.0.2 accepted by this process */
static uint16_t
hold(int fds[3])
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(fds[0] = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(bind(fds[0], (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fds[0], 1), 0);
	ck_assert_int_eq(getsockname(fds[0], (struct sockaddr *)&a, &len), 0);
	ck_assert_int_ge(fds[1] = socket(AF_INET, SOCK_STREAM, 0), 0);
	{
		struct sockaddr_in c = a;

		c.sin_port = 0;
		c.sin_addr.s_addr = htonl(0x7f000002);
		ck_assert_int_eq(
		    bind(fds[1], (struct sockaddr *)&c, sizeof(c)), 0);
	}
	ck_assert_int_eq(connect(fds[1], (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_ge(fds[2] = accept(fds[0], NULL, NULL), 0);
	return ntohs(a.sin_port);
}

START_TEST(test_direct)
{
	unsigned long long a = 0, b = 1;

	ck_assert_int_eq(prochelper_pid(), -1);
	ck_assert_int_eq(prochelper_starttime(getpid(), &a), 0);
	ck_assert_int_eq(procnet_starttime("/proc", getpid(), &b), 0);
	ck_assert(a == b);
}
END_TEST

START_TEST(test_helper_peer)
{
	struct procnet_local l;
	unsigned long long a = 0, b = 1;
	char buf[ADDR_STRLEN], spec[32];
	struct addr peer;
	int fds[3];
	pid_t pid;

	if (!start_nobody())
		return;
	pid = prochelper_pid();
	ck_assert(status_hex(pid, "CapEff") ==
	    ((1ULL << CAP_SYS_PTRACE) | (1ULL << CAP_DAC_READ_SEARCH)));
	ck_assert(status_hex(pid, "CapPrm") == status_hex(pid, "CapEff"));
	ck_assert(status_hex(pid, "CapBnd") == 0);
	ck_assert(status_hex(pid, "NoNewPrivs") == 1);
	ck_assert_int_eq(prochelper_starttime(getpid(), &a), 0);
	ck_assert_int_eq(procnet_starttime("/proc", getpid(), &b), 0);
	ck_assert(a == b);
	snprintf(spec, sizeof(spec), "127.0.0.1:%u", (unsigned)hold(fds));
	ck_assert_int_eq(procnet_parse_local(spec, &l), 0);
	ck_assert_int_eq(prochelper_peer(getpid(), &l, &peer), 0);
	ck_assert_str_eq(addr_format(&peer, buf, sizeof(buf)), "127.0.0.2");
	/* no connection on another port; pid 1 is never asked */
	l.port = (uint16_t)(l.port == 65535 ? 1 : l.port + 1);
	ck_assert_int_eq(prochelper_peer(getpid(), &l, &peer), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert_int_eq(prochelper_starttime(1, &a), -1);
	ck_assert_int_eq(prochelper_pid(), pid); /* still there */
	prochelper_stop();
	ck_assert_int_eq(prochelper_pid(), -1);
	ck_assert_int_eq(kill(pid, 0), -1); /* exited and reaped */
}
END_TEST

START_TEST(test_helper_dies)
{
	unsigned long long a = 0, b = 1;
	pid_t pid;

	if (!start_nobody())
		return;
	pid = prochelper_pid();
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	/* the call notices, drops the helper and reads /proc itself */
	ck_assert_int_eq(prochelper_starttime(getpid(), &a), 0);
	ck_assert_int_eq(procnet_starttime("/proc", getpid(), &b), 0);
	ck_assert(a == b);
	ck_assert_int_eq(prochelper_pid(), -1);
	prochelper_stop();
	ck_assert_int_eq(kill(pid, 0), -1);
}
END_TEST

static Suite *
prochelper_suite(void)
{
	Suite *s = suite_create("prochelper");
	TCase *tc = tcase_create("prochelper");

	tcase_add_test(tc, test_direct);
	tcase_add_test(tc, test_helper_peer);
	tcase_add_test(tc, test_helper_dies);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(prochelper_suite)

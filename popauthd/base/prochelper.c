/*
 * prochelper.c - the /proc helper for sendmail correlation (see prochelper.h).
 *
 * Forked by priv.c while the daemon is still root.  The child sets its signals
 * back, keeps fd 3 (its end of a SOCK_SEQPACKET socketpair) and /dev/null on
 * 0-2 and closes everything else, keeps CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH
 * only (bounding set cleared too) as run_as_user, sets PR_SET_NO_NEW_PRIVS and
 * says whether all that held in a first reply.  Then it answers requests until
 * the daemon's end closes.  It never logs: its log fds are closed.
 *
 * Protocol: one request, one reply, both fixed-size structs of plain integers
 * (no padding, no pointers).  The daemon is the less trusted side: a request
 * of the wrong size, an unknown op, pid <= 1 or a malformed mailer address
 * makes the helper exit, and it can only ever learn a start time and a peer
 * address, which /proc/PID/stat and /proc/net/tcp show to anybody anyway;
 * only which process owns which socket is new to it.
 */
#include "prochelper.h"
#include "log.h"
#include "util.h"

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define PH_FD 3 /* the helper's end of the socket, after setup */

enum ph_op { PH_STARTTIME = 1, PH_PEER = 2 };

/* why the helper could not start, in its first reply's result */
enum ph_stage { PH_OK, PH_FDS, PH_CAPS, PH_SWITCH, PH_HELD, PH_NNP };

struct ph_req {
	uint32_t op;      /* enum ph_op */
	int32_t pid;      /* > 1 */
	uint16_t port;    /* PH_PEER: the mailer's port, else 0 */
	uint8_t any;      /* PH_PEER: any local address (0 or 1) */
	uint8_t family;   /* PH_PEER: 4 or 6 unless any, else 0 */
	uint8_t addr[16]; /* PH_PEER: the local address */
};

struct ph_reply {
	int32_t rc;       /* 0 or -1 */
	int32_t err;      /* errno when rc is -1 */
	uint64_t result;  /* start time in ticks; first reply: enum ph_stage */
	uint8_t family;   /* PH_PEER: the peer's family, 4 or 6 */
	uint8_t addr[16]; /* PH_PEER: the peer's address */
	uint8_t pad[7];
};

_Static_assert(sizeof(struct ph_req) == 28, "struct ph_req has padding");
_Static_assert(sizeof(struct ph_reply) == 40, "struct ph_reply has padding");

static int ph_fd = -1;    /* the daemon's end; -1: no helper */
static pid_t ph_pid = -1; /* the helper, until prochelper_stop() */
static int ph_pidfd = -1; /* pidfd of ph_pid, -1 if the kernel has none */
static bool ph_reaped;    /* ph_pid is no zombie of ours */

/* --- the helper -------------------------------------------------------- */

/* helper_fds - quiet signals; fd PH_FD is s, 0-2 /dev/null, nothing else */
static int
helper_fds(int s)
{
	static const int ign[] = {SIGHUP, SIGINT, SIGUSR1, SIGPIPE};
	static const int dfl[] = {SIGTERM, SIGCHLD};
	sigset_t none;
	size_t i;
	int nul, fd;

	for (i = 0; i < NITEMS(ign); i++)
		signal(ign[i], SIG_IGN);
	for (i = 0; i < NITEMS(dfl); i++)
		signal(dfl[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (s < PH_FD && (s = fcntl(s, F_DUPFD, PH_FD + 1)) < 0)
		return -1;
	if ((nul = open("/dev/null", O_RDWR)) < 0)
		return -1;
	for (fd = 0; fd < PH_FD; fd++)
		if (nul != fd && dup2(nul, fd) < 0)
			return -1;
	if (s != PH_FD && dup2(s, PH_FD) < 0)
		return -1;
	if (close_range(PH_FD + 1, ~0U, 0) < 0) {
		long max = sysconf(_SC_OPEN_MAX);

		for (fd = PH_FD + 1; fd < (max > 0 ? max : 1024); fd++)
			close(fd);
	}
	return 0;
}

/* helper_caps - become uid:gid with the two capabilities; a stage or PH_OK */
static enum ph_stage
helper_caps(uid_t uid, gid_t gid)
{
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
	        CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, -1) < 0)
		return PH_CAPS;
	if (capng_change_id((int)uid, (int)gid,
	        CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING) < 0)
		return PH_SWITCH;
	if (getuid() != uid || geteuid() != uid || getgid() != gid ||
	    setuid(0) == 0 || capng_get_caps_process() < 0 ||
	    !capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_PTRACE) ||
	    !capng_have_capability(CAPNG_EFFECTIVE, CAP_DAC_READ_SEARCH))
		return PH_HELD;
	/* not dumpable: the daemon's user must not read or trace our memory */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return PH_NNP;
	return PH_OK;
}

/* req_valid - q is a request the daemon can legitimately make */
static bool
req_valid(const struct ph_req *q)
{
	static const uint8_t zero[16];

	if (q->pid <= 1)
		return false;
	switch (q->op) {
	case PH_STARTTIME:
		return q->port == 0 && q->any == 0 && q->family == 0 &&
		    memcmp(q->addr, zero, sizeof(zero)) == 0;
	case PH_PEER:
		if (q->port == 0 || q->any > 1)
			return false;
		if (q->any == 1)
			return q->family == 0 &&
			    memcmp(q->addr, zero, sizeof(zero)) == 0;
		if (q->family == 4)
			return memcmp(q->addr + 4, zero, 12) == 0;
		return q->family == 6;
	default:
		return false;
	}
}

/* helper_answer - run q with procnet into *r */
static void
helper_answer(const struct ph_req *q, struct ph_reply *r)
{
	unsigned long long ticks = 0;
	struct procnet_local l;
	struct addr peer;

	memset(r, 0, sizeof(*r));
	errno = 0;
	if (q->op == PH_STARTTIME) {
		r->rc = procnet_starttime("/proc", q->pid, &ticks);
		r->result = ticks;
	} else {
		memset(&l, 0, sizeof(l));
		l.any = q->any == 1;
		l.port = q->port;
		l.addr.family = q->family;
		memcpy(l.addr.b, q->addr, sizeof(l.addr.b));
		r->rc = procnet_peer("/proc", q->pid, &l, &peer);
		if (r->rc == 0) {
			r->family = peer.family;
			memcpy(r->addr, peer.b, sizeof(r->addr));
		}
	}
	if (r->rc < 0) {
		r->rc = -1;
		r->err = errno != 0 ? errno : ENOENT;
	}
}

/* helper_main - the helper's whole life; never returns */
static _Noreturn void
helper_main(int s, uid_t uid, gid_t gid)
{
	struct ph_reply r;
	struct ph_req q;
	ssize_t n;

	memset(&r, 0, sizeof(r));
	if (helper_fds(s) < 0)
		_exit(2); /* the daemon reads EOF: "did not start" */
	errno = 0;
	r.result = helper_caps(uid, gid);
	r.rc = r.result == PH_OK ? 0 : -1;
	r.err = r.rc < 0 ? errno : 0;
	if (send(PH_FD, &r, sizeof(r), MSG_NOSIGNAL) != sizeof(r) || r.rc < 0)
		_exit(1);
	for (;;) {
		n = recv(PH_FD, &q, sizeof(q), MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			_exit(0); /* the daemon closed its end */
		if (n != (ssize_t)sizeof(q) || !req_valid(&q))
			_exit(1);
		helper_answer(&q, &r);
		if (send(PH_FD, &r, sizeof(r), MSG_NOSIGNAL) != sizeof(r))
			_exit(1);
	}
}

/* --- the daemon's side ------------------------------------------------- */

/* reap - collect the helper's exit status if it has one; true once gone */
static bool
reap(int wait_ms)
{
	struct pollfd p = {ph_pidfd, POLLIN, 0};
	int st;

	if (ph_reaped)
		return true;
	if (wait_ms > 0 && ph_pidfd >= 0)
		poll(&p, 1, wait_ms);
	if (waitpid(ph_pid, &st, WNOHANG) != 0) /* ECHILD: daemonize's orphan */
		ph_reaped = true;
	return ph_reaped;
}

/* drop - forget the helper after why (logged once); later calls go direct */
static void
drop(const char *why)
{
	log_warn("sendmail /proc correlation helper (pid %ld): %s; it is not "
	         "restarted: User unknown lines without an IP will list nobody",
	    (long)ph_pid, why);
	close(ph_fd);
	ph_fd = -1;
	/* closed socket: the helper exits at its next recv or send */
	reap(0);
}

static const char *
stage_name(enum ph_stage s)
{
	switch (s) {
	case PH_OK:
		return "ok";
	case PH_FDS:
		return "cannot set up its file descriptors";
	case PH_CAPS:
		return "cannot select the capabilities";
	case PH_SWITCH:
		return "cannot switch user keeping the capabilities";
	case PH_HELD:
		return "the capabilities did not hold after the switch";
	case PH_NNP:
		return "cannot set PR_SET_NO_NEW_PRIVS";
	}
	return "unknown failure";
}

/* first_reply - wait for the helper's word on its set-up; 0 if it holds */
static int
first_reply(void)
{
	struct pollfd p = {ph_fd, POLLIN, 0};
	struct ph_reply r;
	char why[160];
	ssize_t n = -1;

	if (poll(&p, 1, PROCHELPER_START_MS) == 1)
		n = recv(ph_fd, &r, sizeof(r), MSG_TRUNC | MSG_DONTWAIT);
	if (n == (ssize_t)sizeof(r) && r.rc == 0 && r.result == PH_OK)
		return 0;
	if (n != (ssize_t)sizeof(r))
		snprintf(why, sizeof(why), "the helper did not start");
	else
		snprintf(why, sizeof(why), "%s: %s",
		    stage_name(
		        r.result <= PH_NNP ? (enum ph_stage)r.result : PH_FDS),
		    r.err > 0 ? strerror(r.err) : "capng error");
	log_warn("sendmail /proc correlation needs CAP_SYS_PTRACE and "
	         "CAP_DAC_READ_SEARCH, which its helper cannot keep (%s): User "
	         "unknown lines without an IP will list nobody",
	    why);
	kill(ph_pid, SIGKILL); /* still our unreaped child: no pid reuse */
	close(ph_fd);
	ph_fd = -1;
	while (waitpid(ph_pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (ph_pidfd >= 0)
		close(ph_pidfd);
	ph_pidfd = -1;
	ph_pid = -1;
	return -1;
}

int
prochelper_start(uid_t uid, gid_t gid)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_warn("sendmail /proc correlation helper: socketpair: %s: "
		         "User unknown lines without an IP will list nobody",
		    strerror(errno));
		return -1;
	}
	if ((ph_pid = fork()) < 0) {
		log_warn("sendmail /proc correlation helper: fork: %s: User "
		         "unknown lines without an IP will list nobody",
		    strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (ph_pid == 0)
		helper_main(sv[1], uid, gid);
	close(sv[1]);
	ph_fd = sv[0];
	ph_reaped = false;
	ph_pidfd = pidfd_open(ph_pid, 0);
	if (first_reply() < 0)
		return -1;
	log_info("sendmail /proc correlation: helper pid %ld keeps "
	         "CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH only",
	    (long)ph_pid);
	return 0;
}

pid_t
prochelper_pid(void)
{
	return ph_fd >= 0 ? ph_pid : -1;
}

/* call - one request and its reply; 0, or -1 after drop() */
static int
call(const struct ph_req *q, struct ph_reply *r)
{
	struct pollfd p = {ph_fd, POLLIN, 0};
	long long deadline = mono_ms() + PROCHELPER_TIMEOUT_MS;
	char why[96];
	ssize_t n;
	int rc;

	if (send(ph_fd, q, sizeof(*q), MSG_NOSIGNAL) != sizeof(*q)) {
		snprintf(why, sizeof(why), "send: %s", strerror(errno));
		drop(why);
		return -1;
	}
	for (;;) {
		long long left = deadline - mono_ms();

		rc = poll(&p, 1, left > 0 ? (int)left : 0);
		if (rc >= 0 || errno != EINTR)
			break;
	}
	if (rc <= 0) {
		drop(rc == 0 ? "no answer within 1 s" : strerror(errno));
		return -1;
	}
	n = recv(ph_fd, r, sizeof(*r), MSG_TRUNC | MSG_DONTWAIT);
	if (n <= 0) {
		drop(
		    n == 0 || errno == ECONNRESET ? "exited" : strerror(errno));
		return -1;
	}
	if (n != (ssize_t)sizeof(*r) || (r->rc != 0 && r->rc != -1) ||
	    (q->op == PH_PEER && r->rc == 0 && r->family != 4 &&
	        r->family != 6)) {
		drop("malformed reply");
		return -1;
	}
	return 0;
}

int
prochelper_peer(pid_t pid, const struct procnet_local *l, struct addr *peer)
{
	struct ph_reply r;
	struct ph_req q;

	if (ph_fd < 0)
		return procnet_peer("/proc", pid, l, peer);
	if (pid <= 1 || l->port == 0 ||
	    (!l->any && l->addr.family != 4 && l->addr.family != 6)) {
		errno = ESRCH; /* the helper would exit on this */
		return -1;
	}
	memset(&q, 0, sizeof(q));
	q.op = PH_PEER;
	q.pid = (int32_t)pid;
	q.port = l->port;
	q.any = l->any ? 1 : 0;
	if (!l->any) {
		q.family = l->addr.family;
		memcpy(q.addr, l->addr.b, sizeof(q.addr));
	}
	if (call(&q, &r) < 0)
		return procnet_peer("/proc", pid, l, peer);
	if (r.rc < 0) {
		errno = r.err;
		return -1;
	}
	memset(peer, 0, sizeof(*peer));
	peer->family = r.family;
	memcpy(peer->b, r.addr, sizeof(peer->b));
	return 0;
}

int
prochelper_starttime(pid_t pid, unsigned long long *ticks)
{
	struct ph_reply r;
	struct ph_req q;

	if (ph_fd < 0)
		return procnet_starttime("/proc", pid, ticks);
	if (pid <= 1) {
		errno = ESRCH;
		return -1;
	}
	memset(&q, 0, sizeof(q));
	q.op = PH_STARTTIME;
	q.pid = (int32_t)pid;
	if (call(&q, &r) < 0)
		return procnet_starttime("/proc", pid, ticks);
	if (r.rc < 0) {
		errno = r.err;
		return -1;
	}
	*ticks = r.result;
	return 0;
}

void
prochelper_stop(void)
{
	if (ph_fd >= 0) {
		close(ph_fd);
		ph_fd = -1;
	}
	if (ph_pid > 0 && !reap(PROCHELPER_TIMEOUT_MS)) {
		/* a stopped or stuck helper: end it through its pidfd */
		if (ph_pidfd >= 0 &&
		    pidfd_send_signal(ph_pidfd, SIGKILL, NULL, 0) == 0)
			reap(PROCHELPER_TIMEOUT_MS);
	}
	if (ph_pidfd >= 0)
		close(ph_pidfd);
	ph_pidfd = -1;
	ph_pid = -1;
}

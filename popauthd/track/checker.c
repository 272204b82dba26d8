/*
 * checker.c - run the greytrapper's recipient checker (see checker.h).
 *
 * Children get an empty signal mask, /dev/null for stdio, their own process
 * group (so a timeout kills the checker and whatever it started) and no other
 * descriptors.  Reaping waits on our own PIDs only, never on any child.
 */
#include "checker.h"
#include "clock.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct job {
	pid_t pid;
	char *rcpt;
	long long start_ms;
};

struct verdict {
	char *rcpt;
	bool bad;
	time_t expires;
};

static const struct conf *ck_cf;
static struct job jobs[64];
static size_t njobs;
static char *waiting[GT_CHECK_QUEUE];
static size_t nwaiting;
static struct verdict verdicts[GT_VERDICTS];
static size_t verdict_next;

/* verdict_find - a fresh checker answer for rcpt, or NULL */
static const struct verdict *
verdict_find(const char *rcpt, time_t now)
{
	size_t i;

	for (i = 0; i < GT_VERDICTS; i++)
		if (verdicts[i].rcpt != NULL && verdicts[i].expires > now &&
		    strcmp(verdicts[i].rcpt, rcpt) == 0)
			return &verdicts[i];
	return NULL;
}

static void
verdict_put(const char *rcpt, bool bad)
{
	struct verdict *v = &verdicts[verdict_next];

	free(v->rcpt);
	v->rcpt = xstrdup(rcpt);
	v->bad = bad;
	v->expires = clock_now() + ck_cf->greytrap_dns_cache;
	verdict_next = (verdict_next + 1) % GT_VERDICTS;
}

/* checker_usable - the checker is set and executable, as spamd's -x test */
bool
checker_usable(const struct conf *c)
{
	return *c->greytrap_checker != '\0' &&
	    access(c->greytrap_checker, X_OK) == 0;
}
void
checker_queue(const char *rcpt)
{
	size_t i;

	if (*rcpt == '-') {
		log_debug(
		    "<%s>: not given to the checker (looks like an option)",
		    rcpt);
		return;
	}
	for (i = 0; i < njobs; i++)
		if (strcmp(jobs[i].rcpt, rcpt) == 0)
			return;
	for (i = 0; i < nwaiting; i++)
		if (strcmp(waiting[i], rcpt) == 0)
			return;
	if (nwaiting == GT_CHECK_QUEUE) {
		log_warn(
		    "<%s>: not checked: %d recipients wait for the checker",
		    rcpt, GT_CHECK_QUEUE);
		return;
	}
	waiting[nwaiting++] = xstrdup(rcpt);
}

/* checker_start - fork and execv the checker for rcpt; no shell */
static int
checker_start(char *rcpt)
{
	char *argv[3] = {ck_cf->greytrap_checker, rcpt, NULL};
	sigset_t none;
	pid_t pid = fork();
	int fd;

	if (pid < 0) {
		log_warn(
		    "%s: fork: %s", ck_cf->greytrap_checker, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* the loop blocks its signals and ignores SIGPIPE: undo both */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		setpgid(0, 0);
		if ((fd = open("/dev/null", O_RDWR)) >= 0) {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		close_range(3, ~0U, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	jobs[njobs].pid = pid;
	jobs[njobs].rcpt = rcpt;
	jobs[njobs].start_ms = mono_ms();
	njobs++;
	return 0;
}

/* checker_reap - collect finished or overdue children */
static void
checker_reap(long long now, checker_done_fn *done)
{
	size_t i = 0;

	while (i < njobs) {
		struct job *j = &jobs[i];
		int st;
		pid_t r = waitpid(j->pid, &st, WNOHANG);

		if (r == 0 &&
		    now - j->start_ms <
		        ck_cf->greytrap_checker_timeout * 1000) {
			i++;
			continue;
		}
		if (r == 0) {
			kill(-j->pid, SIGKILL);
			kill(j->pid, SIGKILL);
			waitpid(j->pid, &st, 0);
			log_warn("<%s>: %s timed out; killed", j->rcpt,
			    ck_cf->greytrap_checker);
		} else if (r < 0) {
			log_warn("<%s>: %s: %s", j->rcpt,
			    ck_cf->greytrap_checker, strerror(errno));
		} else if (WIFEXITED(st) &&
		    (WEXITSTATUS(st) == 126 || WEXITSTATUS(st) == 127)) {
			log_warn("<%s>: %s could not run (exit %d)", j->rcpt,
			    ck_cf->greytrap_checker, WEXITSTATUS(st));
		} else {
			bool bad = !WIFEXITED(st) || WEXITSTATUS(st) != 0;

			log_debug("<%s>: checker says %s", j->rcpt,
			    bad ? "bad" : "ok");
			verdict_put(j->rcpt, bad);
			done(j->rcpt, bad);
		}
		free(j->rcpt);
		*j = jobs[--njobs];
	}
}

int
checker_verdict(const char *rcpt, time_t now)
{
	const struct verdict *v = verdict_find(rcpt, now);

	return v == NULL ? -1 : v->bad ? 1 : 0;
}

long long
checker_poll(const struct conf *c, checker_done_fn *done)
{
	long long now = mono_ms(), wake = -1;
	size_t i;

	ck_cf = c;
	if (njobs > 0)
		checker_reap(now, done);
	while (nwaiting > 0 && (long long)njobs < c->greytrap_checker_max &&
	    njobs < NITEMS(jobs)) {
		char *rcpt = waiting[0];

		memmove(waiting, waiting + 1, --nwaiting * sizeof(*waiting));
		if (!checker_usable(c) || checker_start(rcpt) < 0)
			free(rcpt);
	}
	for (i = 0; i < njobs; i++) {
		long long left =
		    jobs[i].start_ms + c->greytrap_checker_timeout * 1000 - now;

		if (wake < 0 || left < wake)
			wake = left;
	}
	/* SIGCHLD also wakes the loop; this bounds the wait if it was missed */
	if (wake > 100 || (wake < 0 && njobs > 0))
		wake = 100;
	return wake;
}

void
checker_fini(void)
{
	size_t i;

	for (i = 0; i < njobs; i++) {
		kill(-jobs[i].pid, SIGKILL);
		kill(jobs[i].pid, SIGKILL);
		waitpid(jobs[i].pid, NULL, 0);
		free(jobs[i].rcpt);
	}
	njobs = 0;
	while (nwaiting > 0)
		free(waiting[--nwaiting]);
	for (i = 0; i < GT_VERDICTS; i++) {
		free(verdicts[i].rcpt);
		verdicts[i].rcpt = NULL;
	}
}

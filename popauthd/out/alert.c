/*
 * alert.c - queue, send and retry the admin's null-route alert mail (alert.h).
 *
 * For blacklist.c and the event loop.  alert_send builds the whole message at
 * once (CRLF text, headers included) so a later SIGHUP cannot change a queued
 * alert; a child process hands it to libesmtp, which talks SMTP to
 * alert_smtp_server under alert_timeout (libesmtp's own timeouts plus an
 * alarm(2) as a hard stop), and reports by exit status only.  The parent never
 * waits: alert_poll reaps with WNOHANG.  Host names come from the mail log
 * (attacker-written) and pass log_escape before they reach the mail or a log
 * line; header values from the conf lose quotes and control characters.
 * Errors: logged; the daemon carries on.  Memory: each job owns its text.
 */
#include "alert.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <libesmtp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ALERT_POLL_MS      100 /* re-poll interval while a child runs */
#define ALERT_RETRY_MAX_MS (15 * 60 * 1000LL)
#define ALERT_KILL_GRACE   5 /* s past alert_timeout before SIGKILL */
#define ALERT_MSG_MAX      8192
#define ALERT_REPORT_FD    3 /* the child's end of the report pipe */

struct alert_job {
	char *msg;      /* the whole message, CRLF */
	char why[512];  /* the offence, escaped */
	char rcpt[256]; /* envelope sender and recipient */
	char ip[ADDR_STRLEN];
	char host[256 * 4]; /* escaped */
	long long total_hits;
	long long tries;  /* attempts started */
	long long due_ms; /* mono_ms() when the next try may start */
	long long started_ms;
	pid_t pid; /* > 0 while a child sends it */
	int rfd;   /* read end of the child's one-line report, or -1 */
};

static struct alert_job alert_q[ALERT_QUEUE_MAX]; /* FIFO, [0] oldest */
static size_t alert_n;
static long long alert_retry_ms = 60000;
static struct alert_stats alert_st;

const struct alert_stats *
alert_stats(void)
{
	return &alert_st;
}

size_t
alert_pending(void)
{
	return alert_n;
}

void
alert_set_retry_delay(long long ms)
{
	alert_retry_ms = ms > 0 ? ms : 1;
}

/* hdr_clean - a conf value fit for a header: printable ASCII, no quotes */
static const char *
hdr_clean(char *buf, size_t size, const char *s, bool address)
{
	size_t o = 0;

	for (; *s != '\0' && o + 1 < size; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\')
			continue;
		if (address && (ch == ' ' || ch == '<' || ch == '>'))
			continue;
		buf[o++] = (char)ch;
	}
	buf[o] = '\0';
	return buf;
}

/* appendf - printf at the end of buf; false once it no longer fits */
static bool appendf(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool
appendf(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= size)
		return false;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *len) {
		*len = size;
		return false;
	}
	*len += (size_t)n;
	return true;
}

/* alert_text - the seed's send_nullroute_mail message for job j; NULL if too long */
static char *
alert_text(const struct conf *c, const struct alert_info *ai,
    const struct alert_job *j)
{
	char name[256], from[256], me[256], unban[64], date[64], rate[32];
	char *buf = xmalloc(ALERT_MSG_MAX);
	size_t len = 0;
	struct tm tm;
	time_t now = time(NULL);
	bool ok = true;

	hdr_clean(name, sizeof(name), c->sysadmin_email_name, false);
	hdr_clean(from, sizeof(from), c->sysadmin_email_address, true);
	localtime_r(&ai->unban, &tm);
	strftime(unban, sizeof(unban), "%Y-%m-%d %H:%M:%S %Z", &tm);
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	if (ai->rate > 0)
		snprintf(rate, sizeof(rate), "%.4f", 1.0 / ai->rate);
	else
		snprintf(rate, sizeof(rate), "n/a");

	ok = ok &&
	    appendf(buf, ALERT_MSG_MAX, &len,
	        "From: \"%s\" <%s>\r\n"
	        "To: \"System Administrator\" <%s>\r\n"
	        "Subject: Null-Route Alert For %s\r\n"
	        "Date: %s\r\n"
	        "Message-ID: <%lld.%ld.popauthd@%s>\r\n"
	        "MIME-Version: 1.0\r\n"
	        "Content-Type: text/plain; charset=utf-8\r\n"
	        "Content-Transfer-Encoding: 8bit\r\n"
	        "Auto-Submitted: auto-generated\r\n"
	        "\r\n",
	        name, from, j->rcpt, j->ip, date, (long long)now,
	        (long)getpid(),
	        hdr_clean(me, sizeof(me), c->localhost_dns_name, true));
	ok = ok &&
	    appendf(buf, ALERT_MSG_MAX, &len,
	        "%s [%s] has been null-routed until %s.\r\n"
	        "Reason: %s.\r\n"
	        "\r\n"
	        "This user has made %lld attempts in the last %lld "
	        "second(s) for a rate of 1 message every %s seconds "
	        "(the threshold is set at 1 message every %.4f "
	        "seconds).\r\n"
	        "This user has made %lld total attempts (the threshold "
	        "limits users to %lld total messages).\r\n"
	        "Based on your threshold limits, this appears to be "
	        "excessive.\r\n"
	        "\r\n"
	        "Please consider using the following Cisco IOS or "
	        "iptables INPUT chain line to null-route this abuser at "
	        "the perimeter router (to lift this unwanted traffic from "
	        "your mail host):\r\n"
	        "\r\n",
	        j->ip, j->host, unban, j->why, ai->period_hits,
	        (long long)ai->hitspread, rate,
	        c->nullroute_freq_thresh > 0 ? 1.0 / c->nullroute_freq_thresh
	                                     : 0.0,
	        ai->total_hits, c->nullroute_msg_thresh);
	if (ai->ip.family == 6)
		ok = ok &&
		    appendf(buf, ALERT_MSG_MAX, &len,
		        "ipv6 access-list popauthd-nullroute\r\n"
		        " deny ipv6 host %s any\r\n"
		        "ip6tables -A INPUT -s %s -j DROP\r\n",
		        j->ip, j->ip);
	else
		ok = ok &&
		    appendf(buf, ALERT_MSG_MAX, &len,
		        "access-list 100 deny ip host %s any\r\n"
		        "iptables -A INPUT -s %s -j DROP\r\n",
		        j->ip, j->ip);
	if (!ok) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* child_say - in the child: the one-line reason for the parent's log */
static void child_say(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void
child_say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 &&
	    write(ALERT_REPORT_FD, buf,
	        (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1) < 0)
		_exit(1);
}

/*
 * alert_child - in the child: deliver j via libesmtp; the exit status.  The
 * child keeps only stdio and the report pipe: it must not hold the daemon's
 * pid-file lock, state files or sockets while it waits on a slow server.
 */
static int
alert_child(const struct conf *c, const struct alert_job *j)
{
	static const int which[] = {Timeout_GREETING, Timeout_ENVELOPE,
	    Timeout_DATA, Timeout_TRANSFER, Timeout_DATA2};
	const smtp_status_t *st;
	smtp_session_t session;
	smtp_message_t message;
	smtp_recipient_t rcpt;
	sigset_t all;
	char err[128];
	size_t i;

	/* the daemon's handlers and mask are not ours; a dead peer is an error */
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	alarm((unsigned int)c->alert_timeout);

	if ((session = smtp_create_session()) == NULL ||
	    (message = smtp_add_message(session)) == NULL) {
		child_say("libesmtp: %s",
		    smtp_strerror(smtp_errno(), err, sizeof(err)));
		return 1;
	}
	for (i = 0; i < NITEMS(which); i++)
		smtp_set_timeout(session,
		    which[i] | Timeout_OVERRIDE_RFC2822_MINIMUM,
		    (long)c->alert_timeout * 1000);
	smtp_set_hostname(session, c->localhost_dns_name);
	if (smtp_set_server(session, c->alert_smtp_server) == 0 ||
	    smtp_set_reverse_path(message, j->rcpt) == 0 ||
	    (rcpt = smtp_add_recipient(message, j->rcpt)) == NULL ||
	    smtp_set_message_str(message, j->msg) == 0) {
		child_say("libesmtp setup: %s",
		    smtp_strerror(smtp_errno(), err, sizeof(err)));
		smtp_destroy_session(session);
		return 1;
	}
	if (smtp_start_session(session) == 0) {
		child_say("alert_smtp_server %s: %s", c->alert_smtp_server,
		    smtp_strerror(smtp_errno(), err, sizeof(err)));
		smtp_destroy_session(session);
		return 1;
	}
	st = smtp_message_transfer_status(message);
	if (st == NULL || st->code / 100 != 2) {
		child_say("alert_smtp_server %s said: %d %s",
		    c->alert_smtp_server, st != NULL ? st->code : 0,
		    st != NULL && st->text != NULL ? st->text : "(no reply)");
		smtp_destroy_session(session);
		return 1;
	}
	st = smtp_recipient_status(rcpt);
	if (st == NULL || st->code / 100 != 2) {
		child_say("alert_smtp_server %s refused <%s>: %d",
		    c->alert_smtp_server, j->rcpt, st != NULL ? st->code : 0);
		smtp_destroy_session(session);
		return 1;
	}
	smtp_destroy_session(session);
	return 0;
}

/* alert_drop - remove job i, keeping FIFO order */
static void
alert_drop(size_t i)
{
	free(alert_q[i].msg);
	if (alert_q[i].rfd >= 0)
		close(alert_q[i].rfd);
	memmove(&alert_q[i], &alert_q[i + 1],
	    (alert_n - i - 1) * sizeof(alert_q[0]));
	alert_n--;
}

/* alert_failed - job i failed (why); schedule a retry or give up */
static void
alert_failed(const struct conf *c, size_t i, const char *why, long long now)
{
	struct alert_job *j = &alert_q[i];
	long long delay = alert_retry_ms;
	long long k;

	j->pid = 0;
	alert_st.failed++;
	if (j->tries > c->alert_retries) {
		alert_st.dropped++;
		log_error(
		    "%s: unable to notify %s of null-route need against %s "
		    "[%s] for %lld attempts: %s, gave up after %lld tries",
		    j->ip, j->rcpt, j->ip, j->host, j->total_hits, why,
		    j->tries);
		alert_drop(i);
		return;
	}
	for (k = 1; k < j->tries && delay < ALERT_RETRY_MAX_MS; k++)
		delay *= 2;
	if (delay > ALERT_RETRY_MAX_MS)
		delay = ALERT_RETRY_MAX_MS;
	j->due_ms = now + delay;
	log_warn("%s: null-route alert to %s failed (%s), try %lld of %lld, "
	         "retrying in %lld ms",
	    j->ip, j->rcpt, why, j->tries, c->alert_retries + 1, delay);
}

/* alert_start_due - fork senders for due jobs while child slots are free */
static void
alert_start_due(const struct conf *c)
{
	long long now = mono_ms(), running = 0;
	size_t i;
	pid_t pid;

	for (i = 0; i < alert_n; i++)
		if (alert_q[i].pid > 0)
			running++;
	for (i = 0; i < alert_n && running < c->alert_max_children; i++) {
		struct alert_job *j = &alert_q[i];
		size_t before = alert_n;
		int err, fds[2];

		if (j->pid > 0 || j->due_ms > now)
			continue;
		j->tries++;
		if (pipe2(fds, O_CLOEXEC) < 0) {
			err = errno;
			alert_failed(c, i, strerror(err), now);
			if (alert_n < before)
				i--; /* job i was dropped: look at its successor */
			continue;
		}
		if ((pid = fork()) == 0) {
			if (fds[1] != ALERT_REPORT_FD &&
			    dup2(fds[1], ALERT_REPORT_FD) < 0)
				_exit(1);
			close_range(ALERT_REPORT_FD + 1, ~0U, 0);
			_exit(alert_child(c, j));
		}
		close(fds[1]);
		if (pid < 0) {
			err = errno;
			close(fds[0]);
			alert_failed(c, i, strerror(err), now);
			if (alert_n < before)
				i--; /* job i was dropped: look at its successor */
			continue;
		}
		j->pid = pid;
		j->rfd = fds[0];
		j->started_ms = now;
		running++;
	}
}

void
alert_send(const struct conf *c, const struct alert_info *ai)
{
	struct alert_job *j;
	char ip[ADDR_STRLEN];

	addr_format(&ai->ip, ip, sizeof(ip));
	alert_st.raised++;
	if (*c->alert_smtp_server == '\0') {
		log_info("%s: no null-route alert mail (alert_smtp_server is "
		         "empty)",
		    ip);
		return;
	}
	if (alert_n == ALERT_QUEUE_MAX) {
		alert_st.dropped++;
		log_warn(
		    "%s: null-route alert dropped: %d alerts already queued",
		    ip, ALERT_QUEUE_MAX);
		return;
	}
	j = &alert_q[alert_n];
	memset(j, 0, sizeof(*j));
	j->rfd = -1;
	snprintf(j->ip, sizeof(j->ip), "%s", ip);
	log_escape(j->host, sizeof(j->host), ai->host,
	    strnlen(ai->host, sizeof(ai->host)));
	hdr_clean(j->rcpt, sizeof(j->rcpt), c->sysadmin_email_address, true);
	j->total_hits = ai->total_hits;
	log_escape(
	    j->why, sizeof(j->why), ai->why, strnlen(ai->why, sizeof(ai->why)));
	if (j->why[0] == '\0')
		snprintf(j->why, sizeof(j->why), "repeated attempts");
	if (j->rcpt[0] == '\0') {
		log_warn(
		    "%s: null-route alert not sent: sysadmin_email_address "
		    "is empty",
		    ip);
		return;
	}
	if ((j->msg = alert_text(c, ai, j)) == NULL) {
		log_warn("%s: null-route alert not sent: message too long", ip);
		return;
	}
	j->due_ms = mono_ms();
	alert_n++;
	alert_start_due(c);
}

long long
alert_poll(const struct conf *c)
{
	long long now = mono_ms(), next = -1, wait;
	char why[256], said[256];
	ssize_t n;
	size_t i;
	int st;
	pid_t r;

	for (i = 0; i < alert_n; i++) {
		struct alert_job *j = &alert_q[i];

		if (j->pid <= 0)
			continue;
		r = waitpid(j->pid, &st, WNOHANG);
		if (r == 0) {
			if (now - j->started_ms >
			    ((long long)c->alert_timeout + ALERT_KILL_GRACE) *
			        1000)
				kill(j->pid, SIGKILL); /* reaped next poll */
			continue;
		}
		if (r < 0) {
			/* someone reaped our child: we cannot know, do not resend */
			log_warn("%s: null-route alert: sender %ld vanished, "
			         "outcome unknown",
			    j->ip, (long)j->pid);
			alert_drop(i--);
			continue;
		}
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			log_info("%s: %s has been notified to null-route %s",
			    j->ip, j->rcpt, j->ip);
			alert_st.sent++;
			alert_drop(i--);
			continue;
		}
		/* the child has exited: its report, if any, is in the pipe */
		n = j->rfd >= 0 ? read(j->rfd, said, sizeof(said) - 1) : -1;
		if (j->rfd >= 0)
			close(j->rfd);
		j->rfd = -1;
		if (n > 0)
			log_escape(why, sizeof(why), said, (size_t)n);
		else if (WIFSIGNALED(st) &&
		    (WTERMSIG(st) == SIGALRM || WTERMSIG(st) == SIGKILL))
			snprintf(why, sizeof(why), "no answer within %llds",
			    (long long)c->alert_timeout);
		else if (WIFSIGNALED(st))
			snprintf(why, sizeof(why), "sender killed by signal %d",
			    WTERMSIG(st));
		else
			snprintf(why, sizeof(why), "delivery failed");
		{
			size_t before = alert_n;

			alert_failed(c, i, why, now);
			if (alert_n < before)
				i--;
		}
	}
	alert_start_due(c);
	for (i = 0; i < alert_n; i++) {
		wait = alert_q[i].pid > 0 ? ALERT_POLL_MS
		                          : alert_q[i].due_ms - now;
		if (wait < 0)
			wait = 0;
		if (next < 0 || wait < next)
			next = wait;
	}
	return next;
}

long long
alert_finish_ms(const struct conf *c)
{
	long long one = ((long long)c->alert_timeout + ALERT_KILL_GRACE) * 1000;
	long long waves = ((long long)alert_n + c->alert_max_children - 1) /
	    c->alert_max_children;

	return one * waves * (c->alert_retries + 1);
}

void
alert_finish(const struct conf *c, long long max_ms)
{
	long long end = mono_ms() + max_ms, now;
	struct timespec nap = {0, ALERT_POLL_MS / 2 * 1000000L};
	size_t i;
	int st;

	while (alert_n > 0 && (now = mono_ms()) < end) {
		for (i = 0; i < alert_n; i++)
			if (alert_q[i].pid <= 0 && alert_q[i].due_ms > now)
				alert_q[i].due_ms =
				    now; /* no retry delay now */
		alert_poll(c);
		if (alert_n > 0)
			nanosleep(&nap, NULL);
	}
	while (alert_n > 0) {
		struct alert_job *j = &alert_q[0];

		if (j->pid > 0) {
			kill(j->pid, SIGKILL);
			while (waitpid(j->pid, &st, 0) < 0 && errno == EINTR)
				;
		}
		log_warn("%s: null-route alert to %s dropped at exit, not sent "
		         "(%s)",
		    j->ip, j->rcpt, j->why);
		alert_st.dropped++;
		alert_drop(0);
	}
}

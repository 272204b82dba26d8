/*
 * reaper.c - stalled SMTP session reaper (see reaper.h).
 *
 * blocksmtp ran "ps f -C sendmail" and slept half a second between TERM and
 * KILL; here the process list is /proc itself and the half second is a
 * deadline on the monotonic clock, so the FIFO keeps flowing.  Before the KILL
 * the process is looked at again (start time and title): a PID that exited
 * after the TERM and was reused by something else is never touched.
 */
#include "reaper.h"
#include "event.h"
#include "log.h"
#include "procnet.h"
#include "util.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TITLE_MAX 1024

struct pending {
	pid_t pid;
	unsigned long long start;
	long long due_ms;
	bool by_title; /* a reaper kill: the title must still match */
	char ip[ADDR_STRLEN];
};

static const struct conf *rp_cf;
static bool rp_replay;
static pcre2_code *rp_re;
static pcre2_match_data *rp_md;
static long long next_scan_ms = -1;
static struct pending pend[REAPER_MAX_PENDING];
static size_t npend;

static int
reaper_compile(const struct conf *c)
{
	PCRE2_SIZE off;
	int err;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)c->stalled_session_pattern,
	    PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);

	if (re == NULL) {
		log_error("stalled_session_pattern: bad regex at offset %zu",
		    (size_t)off);
		return -1;
	}
	pcre2_code_free(rp_re);
	pcre2_match_data_free(rp_md);
	rp_re = re;
	rp_md = pcre2_match_data_create_from_pattern(re, NULL);
	return 0;
}

int
reaper_init(const struct conf *c, bool replay)
{
	rp_replay = replay;
	return reaper_conf(c);
}

int
reaper_conf(const struct conf *c)
{
	rp_cf = c;
	if (reaper_compile(c) < 0)
		return -1;
	if (!c->stalled_session_reaper || rp_replay)
		next_scan_ms = -1;
	else
		next_scan_ms =
		    mono_ms() + (long long)c->stalled_session_interval * 1000;
	return 0;
}

/* title - /proc/PID/cmdline with NULs as spaces; false if empty or gone */
static bool
title(pid_t pid, char *buf, size_t size)
{
	char path[64];
	size_t n, i;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return false;
	n = fread(buf, 1, size - 1, fp);
	fclose(fp);
	while (n > 0 && (buf[n - 1] == '\0' || buf[n - 1] == ' '))
		n--;
	for (i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	return n > 0;
}

/* matches - title t matches the pattern; the "ip" group (escaped) into ip */
static bool
matches(const char *t, char *ip, size_t size)
{
	PCRE2_SIZE len = 0;
	int rc =
	    pcre2_match(rp_re, (PCRE2_SPTR)t, strlen(t), 0, 0, rp_md, NULL);

	if (rc < 0)
		return false;
	snprintf(ip, size, "unknown");
	if (pcre2_substring_length_byname(rp_md, (PCRE2_SPTR) "ip", &len) ==
	    0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rp_md);
		int g =
		    pcre2_substring_number_from_name(rp_re, (PCRE2_SPTR) "ip");

		if (g > 0 && g < rc && ov[2 * g] != PCRE2_UNSET)
			log_escape(
			    ip, size, t + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
	}
	return true;
}

/* uptime_ticks - seconds since boot in clock ticks; -1 on error */
static double
uptime_secs(void)
{
	double up;
	FILE *fp = fopen("/proc/uptime", "r");

	if (fp == NULL)
		return -1;
	if (fscanf(fp, "%lf", &up) != 1)
		up = -1;
	fclose(fp);
	return up;
}

/* term - TERM pid and remember it for the KILL check */
static int
term(pid_t pid, unsigned long long starttime, const char *ip, const char *why,
    bool by_title)
{
	int saved;

	if (rp_replay || pid <= 1 || pid == getpid())
		return -1;
	if (npend == REAPER_MAX_PENDING) {
		log_warn("%s: pid %ld not signalled: %d kills already pending",
		    ip, (long)pid, REAPER_MAX_PENDING);
		return -1;
	}
	if (kill(pid, SIGTERM) < 0) {
		saved = errno;
		log_warn("%s: kill -TERM %ld (%s): %s", ip, (long)pid, why,
		    strerror(saved));
		return -1;
	}
	log_info("%s: sent TERM to pid %ld (%s)", ip, (long)pid, why);
	pend[npend].pid = pid;
	pend[npend].start = starttime;
	pend[npend].due_ms = mono_ms() + REAPER_KILL_DELAY_MS;
	pend[npend].by_title = by_title;
	snprintf(pend[npend].ip, sizeof(pend[npend].ip), "%s", ip);
	npend++;
	return 0;
}

int
reaper_kill(
    pid_t pid, unsigned long long starttime, const char *ip, const char *why)
{
	return term(pid, starttime, ip, why, false);
}

size_t
reaper_scan(void)
{
	char t[TITLE_MAX], ip[ADDR_STRLEN], why[128], dur[64];
	double up = uptime_secs();
	long hz = sysconf(_SC_CLK_TCK);
	pid_t self = getpid();
	struct dirent *d;
	size_t n = 0;
	DIR *dp;

	if (rp_replay || up < 0 || hz <= 0 || (dp = opendir("/proc")) == NULL) {
		log_warn("stalled session scan: cannot read /proc");
		return 0;
	}
	while ((d = readdir(dp)) != NULL) {
		unsigned long long start;
		long long v;
		double run;
		pid_t pid;

		if (parse_long(d->d_name, 2, 0x7fffffff, &v) < 0)
			continue;
		pid = (pid_t)v;
		if (pid == self || !title(pid, t, sizeof(t)) ||
		    !matches(t, ip, sizeof(ip)))
			continue;
		if (procnet_starttime("/proc", pid, &start) < 0)
			continue;
		run = up - (double)start / (double)hz;
		if (run <= (double)rp_cf->stalled_session_max)
			continue;
		snprintf(why, sizeof(why), "stalled SMTP session, running %s",
		    dur_format((time_t)run, dur, sizeof(dur)));
		log_info(
		    "%s: pid %ld has been running %s in \"%.*s\": ending it",
		    ip, (long)pid, dur, 200, t);
		if (term(pid, start, ip, why, true) == 0)
			n++;
	}
	closedir(dp);
	return n;
}

/* finish - KILL pending processes whose half second is over */
static void
finish(long long now)
{
	size_t i = 0;

	while (i < npend) {
		struct pending *p = &pend[i];
		unsigned long long start;
		char t[TITLE_MAX], ip[ADDR_STRLEN];

		if (p->due_ms > now) {
			i++;
			continue;
		}
		if (procnet_starttime("/proc", p->pid, &start) < 0 ||
		    start != p->start) {
			log_debug("%s: pid %ld ended after TERM", p->ip,
			    (long)p->pid);
		} else if (p->by_title &&
		    (!title(p->pid, t, sizeof(t)) ||
		        !matches(t, ip, sizeof(ip)))) {
			/* the title changed since the TERM: leave it alone */
			log_info("%s: pid %ld no longer matches; not killed",
			    p->ip, (long)p->pid);
		} else if (kill(p->pid, SIGKILL) < 0) {
			log_warn("%s: kill -KILL %ld: %s", p->ip, (long)p->pid,
			    strerror(errno));
		} else {
			log_info("%s: sent KILL to pid %ld (alive after TERM)",
			    p->ip, (long)p->pid);
		}
		*p = pend[--npend];
	}
}

void
reaper_poll(void)
{
	long long now = mono_ms(), wake = -1;
	size_t i;

	if (npend > 0)
		finish(now);
	if (next_scan_ms >= 0 && now >= next_scan_ms) {
		reaper_scan();
		next_scan_ms =
		    now + (long long)rp_cf->stalled_session_interval * 1000;
	}
	if (next_scan_ms >= 0)
		wake = next_scan_ms - now;
	for (i = 0; i < npend; i++)
		if (wake < 0 || pend[i].due_ms - now < wake)
			wake = pend[i].due_ms - now;
	if (wake >= 0)
		event_wake_ms(wake);
}

size_t
reaper_pending(void)
{
	return npend;
}

void
reaper_fini(void)
{
	npend = 0;
	next_scan_ms = -1;
	pcre2_match_data_free(rp_md);
	pcre2_code_free(rp_re);
	rp_md = NULL;
	rp_re = NULL;
}

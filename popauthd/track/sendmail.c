/*
 * sendmail.c - sendmail "User unknown" offenses and reject codes (see sendmail.h).
 *
 * blocksmtp counted offenses per PID and summed them per IP, forgetting only
 * when it restarted (every three days at most); here the count lives per IP
 * and expires sendmail_unknown_expire (default 3d) after the last offense.
 * The PID cache is a small ring: a guessing session is short, and a miss only
 * costs another /proc scan.  A cached answer for a PID that has exited is
 * trusted for SM_CACHE_GONE_SECS, since its last lines often arrive after it
 * closed the connection.  /proc is read through prochelper.c, which holds the
 * capabilities a daemon running as run_as_user lacks.
 */
#include "sendmail.h"
#include "clock.h"
#include "iptab.h"
#include "log.h"
#include "prochelper.h"
#include "procnet.h"
#include "reaper.h"
#include "rec.h"
#include "timer.h"
#include "track.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SM_VERSION         1
#define SM_CACHE           64
#define SM_CACHE_GONE_SECS 60

struct offender {
	struct addr ip;
	bool dirty;
	uint32_t count;
	time_t first, last;
	struct timer expiry;
};

struct pid_peer {
	pid_t pid;
	unsigned long long start;
	long long seen_ms;
	struct addr ip;
};

static struct track tr; /* the offenders by address, their change list */
static const struct conf *sm_cf;
static struct procnet_local listen_on;
static bool sm_replay;
static struct pid_peer cache[SM_CACHE];
static size_t ncache, cache_next;

static const struct addr *
sm_key(const void *rec)
{
	return &((const struct offender *)rec)->ip;
}

static void
sm_changed(struct offender *o, const struct addr *ip)
{
	track_changed(&tr, o, ip);
}

static void
sm_expire(struct timer *t)
{
	struct offender *o =
	    (struct offender *)((char *)t - offsetof(struct offender, expiry));
	char ip[ADDR_STRLEN];

	log_event("sendmail User unknown offenses of %s have expired and have "
	          "been removed",
	    addr_format(&o->ip, ip, sizeof(ip)));
	iptab_del(tr.tab, &o->ip);
	sm_changed(NULL, &o->ip);
	free(o);
}

/* line_pid - the [pid] of ll, or -1 */
static pid_t
line_pid(const struct logline *ll)
{
	char buf[16];
	long long v;

	if (ll == NULL || ll->pid == NULL || ll->pidlen == 0 ||
	    ll->pidlen >= sizeof(buf))
		return -1;
	memcpy(buf, ll->pid, ll->pidlen);
	buf[ll->pidlen] = '\0';
	if (parse_long(buf, 2, 0x7fffffff, &v) < 0)
		return -1;
	return (pid_t)v;
}

/* cache_find - a remembered peer for pid (started at start, 0 = gone) */
static const struct pid_peer *
cache_find(pid_t pid, unsigned long long start, bool alive)
{
	long long now = mono_ms();
	size_t i;

	for (i = 0; i < ncache; i++) {
		const struct pid_peer *p = &cache[i];

		if (p->pid != pid)
			continue;
		if (alive ? p->start == start
		          : now - p->seen_ms < SM_CACHE_GONE_SECS * 1000)
			return p;
	}
	return NULL;
}

static void
cache_put(pid_t pid, unsigned long long start, const struct addr *ip)
{
	struct pid_peer *p = &cache[cache_next];

	p->pid = pid;
	p->start = start;
	p->seen_ms = mono_ms();
	p->ip = *ip;
	cache_next = (cache_next + 1) % SM_CACHE;
	if (ncache < SM_CACHE)
		ncache++;
}

bool
sm_client(const struct logline *ll, struct addr *ip)
{
	pid_t pid = line_pid(ll);
	unsigned long long start = 0;
	const struct pid_peer *p;
	bool alive;
	int saved;

	if (sm_replay) {
		log_debug("sendmail User unknown without a client address: "
		          "no /proc correlation under --replay");
		return false;
	}
	if (pid < 0)
		return false;
	if (*sm_cf->sendmail_syslog_host != '\0' &&
	    (ll->hostlen != strlen(sm_cf->sendmail_syslog_host) ||
	        strncmp(ll->host, sm_cf->sendmail_syslog_host, ll->hostlen) !=
	            0))
		return false;
	alive = prochelper_starttime(pid, &start) == 0;
	if ((p = cache_find(pid, start, alive)) != NULL) {
		*ip = p->ip;
		return true;
	}
	if (!alive) {
		log_info("sendmail pid %ld: User unknown, but the process has "
		         "exited; client unknown",
		    (long)pid);
		return false;
	}
	if (prochelper_peer(pid, &listen_on, ip) < 0) {
		saved = errno;
		log_info("sendmail pid %ld: User unknown, but no connection to "
		         "%s found: %s",
		    (long)pid, sm_cf->sendmail_listen,
		    saved == ESRCH ? "none open" : strerror(saved));
		return false;
	}
	cache_put(pid, start, ip);
	return true;
}

bool
sm_unknown(const struct addr *ip, time_t now, const char *to)
{
	struct offender *o = iptab_get(tr.tab, ip);
	char buf[ADDR_STRLEN];

	addr_format(ip, buf, sizeof(buf));
	if (o == NULL) {
		if ((long long)iptab_size(tr.tab) >= sm_cf->max_tracked_ips) {
			log_warn("%s: sendmail offenses not tracked: "
			         "max_tracked_ips reached",
			    buf);
			return false;
		}
		o = xcalloc(1, sizeof(*o));
		o->ip = *ip;
		o->first = now;
		iptab_put(tr.tab, o);
	}
	o->count++;
	o->last = now;
	timer_set(&o->expiry, now + sm_cf->sendmail_unknown_expire, sm_expire);
	sm_changed(o, ip);
	log_info("%s has %lu sendmail User unknown offenses, the latest <%s>",
	    buf, (unsigned long)o->count, to);
	return (long long)o->count > sm_cf->sendmail_unknown_thresh;
}

unsigned long
sm_offenses(const struct addr *ip)
{
	const struct offender *o =
	    tr.tab != NULL ? iptab_get(tr.tab, ip) : NULL;

	return o != NULL ? o->count : 0;
}

/* kill_if_peer - end pid when it still is the child connected to ip */
static void
kill_if_peer(pid_t pid, const struct addr *ip, const char *ipstr,
    const unsigned long long *was)
{
	unsigned long long start;
	struct addr peer;

	if (prochelper_starttime(pid, &start) < 0 ||
	    (was != NULL && start != *was))
		return; /* gone, or another process now */
	if (prochelper_peer(pid, &listen_on, &peer) < 0 ||
	    !addr_equal(&peer, ip))
		return;
	reaper_kill(pid, start, ipstr, "sendmail child of a banned client");
}

void
sm_kill_sessions(const struct logline *ll, const struct addr *ip)
{
	char buf[ADDR_STRLEN];
	pid_t pid = line_pid(ll);
	size_t i;

	if (sm_replay || !sm_cf->sendmail_kill_banned)
		return;
	addr_format(ip, buf, sizeof(buf));
	if (pid > 0)
		kill_if_peer(pid, ip, buf, NULL);
	/* every other child we saw talking to ip, as blocksmtp killed them all */
	for (i = 0; i < ncache; i++)
		if (cache[i].pid != pid && addr_equal(&cache[i].ip, ip))
			kill_if_peer(cache[i].pid, ip, buf, &cache[i].start);
}

bool
sm_spamcop(const char *response)
{
	const char *p = sm_cf->spamcop_reject_codes;
	size_t rlen = strcspn(response, " ");

	while (*p != '\0') {
		size_t n;

		p += strspn(p, ", \t");
		n = strcspn(p, ", \t");
		if (n > 0 && n == rlen && strncmp(p, response, n) == 0)
			return true;
		p += n;
	}
	return false;
}

size_t
sm_count(void)
{
	return tr.tab != NULL ? iptab_size(tr.tab) : 0;
}

static int
sm_load_one(
    void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct rec_reader r = {val, vlen, 0, false};
	struct offender *o;
	struct addr ip;

	UNUSED(arg);
	if (rec_key_addr(key, klen, &ip) < 0 || rec_get_u8(&r) != SM_VERSION)
		return -1;
	o = xcalloc(1, sizeof(*o));
	o->ip = ip;
	o->count = rec_get_u32(&r);
	o->first = (time_t)rec_get_i64(&r);
	o->last = (time_t)rec_get_i64(&r);
	if (r.bad || iptab_get(tr.tab, &ip) != NULL) {
		free(o);
		return -1;
	}
	iptab_put(tr.tab, o);
	timer_set(
	    &o->expiry, o->last + sm_cf->sendmail_unknown_expire, sm_expire);
	return 0;
}

/* sm_encode - one offender as stored in state */
static void
sm_encode(const void *rec, struct rec_buf *w)
{
	const struct offender *o = rec;

	rec_u8(w, SM_VERSION);
	rec_u32(w, o->count);
	rec_i64(w, o->first);
	rec_i64(w, o->last);
}

int
sm_init(const struct conf *c, struct state *s, bool replay)
{
	sm_replay = replay;
	if (sm_conf(c) < 0)
		return -1;
	track_init(&tr, sm_key, offsetof(struct offender, dirty), sm_encode);
	if (track_open(&tr, s, "sendmail") < 0)
		return -1;
	if (state_load(tr.st, sm_load_one, NULL) < 0)
		return -1;
	timer_run(clock_now());
	return 0;
}

int
sm_conf(const struct conf *c)
{
	struct procnet_local l;

	if (procnet_parse_local(c->sendmail_listen, &l) < 0) {
		log_error("sendmail_listen = %s: expected ADDR:PORT, [V6]:PORT "
		          "or PORT",
		    c->sendmail_listen);
		return -1;
	}
	sm_cf = c;
	listen_on = l;
	return 0;
}

bool
sm_dirty(void)
{
	return track_pending(&tr);
}

int
sm_sync(void)
{
	return track_sync(&tr);
}

void
sm_synced(void)
{
	track_synced(&tr);
}

static void
sm_free_one(void *arg, void *rec)
{
	struct offender *o = rec;

	UNUSED(arg);
	timer_cancel(&o->expiry);
	free(o);
}

void
sm_fini(void)
{
	if (tr.tab == NULL)
		return;
	iptab_each(tr.tab, sm_free_one, NULL);
	track_fini(&tr);
	ncache = cache_next = 0;
}

/*
 * dns.c - MX/A lookups for the greytrapper through c-ares (see dns.h).
 *
 * spamd's greytrapper sent a burst of Net::DNS bgsend queries every scan and
 * selected on their sockets; here one c-ares channel does the same inside the
 * daemon's own loop.  A domain is one cache entry with a bit per query type:
 * asked, answered, had records, failed.  Entries with a query in flight are
 * never freed; everything else may be dropped when the cache is full.
 * Reloading makes a new channel; ares_destroy() cancels the old queries
 * (ARES_EDESTRUCTION) and their domains are queued again.
 */
#include "dns.h"
#include "clock.h"
#include "event.h"
#include "log.h"
#include "util.h"

#include <ares.h>
#include <arpa/nameser.h>

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define Q_A       1
#define Q_MX      2
#define NBUCKETS  4096
#define MAX_WATCH 16

struct dentry {
	char *name;
	enum dns_answer answer;
	time_t expires;
	uint8_t asked, got, host, failed;
	bool queued;
	struct dentry *next;  /* hash chain */
	struct dentry *qnext; /* send queue */
};

static ares_channel ch;
static bool have_ch, lib_init;
static const struct conf *dns_cf;
static dns_done_fn *on_done;
static struct dentry *buckets[NBUCKETS];
static struct dentry *qhead, *qtail;
static size_t nentries, inflight;
static bool full_warned;
static int watched[MAX_WATCH];
static size_t nwatched;

const char *
dns_answer_name(enum dns_answer a)
{
	switch (a) {
	case DNS_PENDING:
		return "pending";
	case DNS_HOST:
		return "has a mail host";
	case DNS_NO_HOST:
		return "no MX or A";
	case DNS_FAILED:
		return "lookup failed";
	}
	return "?";
}

static uint32_t
hash(const char *s)
{
	return fnv1a(FNV1A_INIT, s, strlen(s)) % NBUCKETS;
}

static void
enqueue(struct dentry *e)
{
	if (e->queued)
		return;
	e->queued = true;
	e->qnext = NULL;
	if (qtail != NULL)
		qtail->qnext = e;
	else
		qhead = e;
	qtail = e;
}

static void
dequeue_head(void)
{
	struct dentry *e = qhead;

	qhead = e->qnext;
	if (qhead == NULL)
		qtail = NULL;
	e->queued = false;
	e->qnext = NULL;
}

/* decide - the answer once it is known; tell the tracker */
static void
decide(struct dentry *e)
{
	time_t ttl = dns_cf->greytrap_dns_cache;

	if (e->answer != DNS_PENDING)
		return;
	if (e->host != 0)
		e->answer = DNS_HOST;
	else if (e->got != (Q_A | Q_MX))
		return;
	else if (e->failed != 0)
		e->answer = DNS_FAILED;
	else
		e->answer = DNS_NO_HOST;
	if (e->answer == DNS_FAILED && ttl > DNS_FAIL_TTL)
		ttl = DNS_FAIL_TTL;
	e->expires = clock_now() + ttl;
	log_debug("%s: %s", e->name, dns_answer_name(e->answer));
	if (on_done != NULL)
		on_done(e->name, e->answer);
}

static void
reply(struct dentry *e, uint8_t bit, int status, unsigned char *abuf, int alen)
{
	inflight--;
	if (status == ARES_EDESTRUCTION)
		return; /* channel going away; dns_conf queues it again */
	e->got |= bit;
	if (status == ARES_SUCCESS && abuf != NULL && alen >= HFIXEDSZ &&
	    ((abuf[6] << 8) | abuf[7]) > 0)
		e->host |= bit; /* ANCOUNT > 0 */
	else if (status != ARES_SUCCESS && status != ARES_ENODATA &&
	    status != ARES_ENOTFOUND) {
		e->failed |= bit;
		log_debug("%s: %s query: %s", e->name, bit == Q_A ? "A" : "MX",
		    ares_strerror(status));
	}
	decide(e);
}

static void
reply_a(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	UNUSED(timeouts);
	reply(arg, Q_A, status, abuf, alen);
}

static void
reply_mx(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	UNUSED(timeouts);
	reply(arg, Q_MX, status, abuf, alen);
}

/* send_queued - start queries while slots are free */
static void
send_queued(void)
{
	while (have_ch && qhead != NULL &&
	    (long long)inflight < dns_cf->greytrap_dns_parallel) {
		struct dentry *e = qhead;

		if (e->answer != DNS_PENDING || e->asked == (Q_A | Q_MX)) {
			dequeue_head();
			continue;
		}
		if ((e->asked & Q_A) == 0) {
			e->asked |= Q_A;
			inflight++;
			ares_query(ch, e->name, C_IN, T_A, reply_a, e);
		} else {
			e->asked |= Q_MX;
			dequeue_head();
			inflight++;
			ares_query(ch, e->name, C_IN, T_MX, reply_mx, e);
		}
	}
}

static void
on_fd(void *arg, int fd)
{
	bool w = arg != NULL;

	ares_process_fd(ch, w ? ARES_SOCKET_BAD : fd, w ? fd : ARES_SOCKET_BAD);
	send_queued();
}

static void
unwatch(int fd)
{
	size_t i;

	event_del_fd(fd);
	for (i = 0; i < nwatched; i++)
		if (watched[i] == fd) {
			watched[i] = watched[--nwatched];
			return;
		}
}

/* sock_state - c-ares opens, changes or closes a socket */
static void
sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	UNUSED(data);
	if (!readable && !writable) {
		unwatch(fd);
		return;
	}
	/* writable only while c-ares has a TCP query to push out */
	if (event_add_fd(fd, writable != 0, on_fd, writable ? &ch : NULL) < 0) {
		log_warn("dns: cannot watch socket %d: event table full", fd);
		return;
	}
	for (size_t i = 0; i < nwatched; i++)
		if (watched[i] == fd)
			return;
	if (nwatched < MAX_WATCH)
		watched[nwatched++] = fd;
}

static void
channel_close(void)
{
	if (!have_ch)
		return;
	ares_destroy(ch); /* replies ARES_EDESTRUCTION to every query */
	have_ch = false;
	while (nwatched > 0)
		unwatch(watched[0]);
}

static int
channel_open(const struct conf *c)
{
	struct ares_options o;
	int rc, mask = ARES_OPT_FLAGS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB;

	if (c->greytrap_dns_parallel == 0)
		return 0;
	memset(&o, 0, sizeof(o));
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	o.tries = 1;
	o.sock_state_cb = sock_state;
	if (c->greytrap_dns_timeout > 0) {
		o.timeout = (int)c->greytrap_dns_timeout;
		mask |= ARES_OPT_TIMEOUTMS;
	}
	if ((rc = ares_init_options(&ch, &o, mask)) != ARES_SUCCESS) {
		log_error("dns: cannot start c-ares: %s", ares_strerror(rc));
		return -1;
	}
	have_ch = true;
	if (*c->greytrap_dns_servers != '\0' &&
	    (rc = ares_set_servers_ports_csv(ch, c->greytrap_dns_servers)) !=
	        ARES_SUCCESS) {
		log_error("greytrap_dns_servers = %s: %s",
		    c->greytrap_dns_servers, ares_strerror(rc));
		channel_close();
		return -1;
	}
	return 0;
}

int
dns_init(const struct conf *c, dns_done_fn *done)
{
	int rc;

	on_done = done;
	dns_cf = c;
	if (!lib_init) {
		if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) !=
		    ARES_SUCCESS) {
			log_error("dns: %s", ares_strerror(rc));
			return -1;
		}
		lib_init = true;
	}
	return channel_open(c);
}

bool
dns_enabled(void)
{
	return have_ch;
}

int
dns_conf(const struct conf *c)
{
	size_t i;

	channel_close();
	dns_cf = c;
	/* queries the old channel dropped: ask again on the new one */
	for (i = 0; i < NBUCKETS; i++) {
		struct dentry *e;

		for (e = buckets[i]; e != NULL; e = e->next) {
			e->asked = e->got;
			if (e->answer == DNS_PENDING)
				enqueue(e);
		}
	}
	if (channel_open(c) < 0)
		return -1;
	send_queued();
	return 0;
}

/* purge - drop answered entries that expired (all answered ones if all) */
static void
purge(time_t now, bool all)
{
	size_t i;

	for (i = 0; i < NBUCKETS; i++) {
		struct dentry **pp = &buckets[i], *e;

		while ((e = *pp) != NULL) {
			if (e->answer != DNS_PENDING && e->asked == e->got &&
			    (all || e->expires <= now)) {
				*pp = e->next;
				free(e->name);
				free(e);
				nentries--;
			} else {
				pp = &e->next;
			}
		}
	}
}

enum dns_answer
dns_mailhost(const char *domain, time_t now)
{
	char name[256];
	struct dentry *e;
	size_t n = strlen(domain), i;
	uint32_t h;

	if (!have_ch)
		return DNS_FAILED;
	while (n > 0 && domain[n - 1] == '.')
		n--;
	if (n == 0 || n >= sizeof(name))
		return DNS_FAILED;
	for (i = 0; i < n; i++) {
		unsigned char ch0 = (unsigned char)domain[i];

		if (!isalnum(ch0) && ch0 != '-' && ch0 != '.' && ch0 != '_')
			return DNS_FAILED; /* no query for junk */
		name[i] = (char)tolower(ch0);
	}
	name[n] = '\0';
	h = hash(name);
	for (e = buckets[h]; e != NULL; e = e->next)
		if (strcmp(e->name, name) == 0)
			break;
	if (e != NULL) {
		if (e->answer == DNS_PENDING)
			return DNS_PENDING;
		if (e->expires > now)
			return e->answer;
		if (e->asked != e->got)
			return e->answer; /* a late reply is still due */
		e->answer = DNS_PENDING;
		e->asked = e->got = e->host = e->failed = 0;
	} else {
		if (nentries >= DNS_CACHE_MAX)
			purge(now, false);
		if (nentries >= DNS_CACHE_MAX)
			purge(now, true);
		if (nentries >= DNS_CACHE_MAX) {
			if (!full_warned)
				log_warn("%s: not looked up: %d domains in "
				         "flight",
				    name, DNS_CACHE_MAX);
			full_warned = true;
			return DNS_FAILED;
		}
		full_warned = false;
		e = xcalloc(1, sizeof(*e));
		e->name = xstrdup(name);
		e->answer = DNS_PENDING;
		e->next = buckets[h];
		buckets[h] = e;
		nentries++;
	}
	enqueue(e);
	send_queued();
	return e->answer; /* a synchronous failure may have answered */
}

void
dns_poll(void)
{
	struct timeval tv, *tp;

	if (!have_ch)
		return;
	if (inflight > 0)
		ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	send_queued();
	if (inflight == 0)
		return;
	if ((tp = ares_timeout(ch, NULL, &tv)) != NULL)
		event_wake_ms(
		    (long long)tp->tv_sec * 1000 + (tp->tv_usec + 999) / 1000);
}

size_t
dns_inflight(void)
{
	return inflight;
}

void
dns_fini(void)
{
	size_t i;

	channel_close();
	for (i = 0; i < NBUCKETS; i++) {
		while (buckets[i] != NULL) {
			struct dentry *e = buckets[i];

			buckets[i] = e->next;
			free(e->name);
			free(e);
		}
	}
	nentries = 0;
	inflight = 0;
	qhead = qtail = NULL;
	if (lib_init) {
		ares_library_cleanup();
		lib_init = false;
	}
}

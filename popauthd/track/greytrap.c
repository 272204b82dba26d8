/*
 * greytrap.c - the greylist-tuple trapper (see greytrap.h).
 *
 * spamd's greytrapper rescanned the whole spamdb every ten minutes; here each
 * new tuple is checked when its greylist line arrives, and the slow checks
 * (checker program, DNS) answer later and are applied to every client they
 * concern by a walk of the table (tuples per client are capped, so the walk is
 * bounded).  The checker program runs in checker.c.
 */
#include "greytrap.h"
#include "blacklist.h"
#include "checker.h"
#include "clock.h"
#include "dns.h"
#include "event.h"
#include "grant.h"
#include "iptab.h"
#include "log.h"
#include "rec.h"
#include "timer.h"
#include "track.h"
#include "util.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GT_VERSION    1
#define GT_MAX_REGEX  64
#define GT_REASON_MAX 600

struct gt_tuple {
	char *from, *to;
};

struct gt_client {
	struct addr ip;
	bool dirty, trapped;
	uint32_t n, cap;
	time_t first, last;
	char *host;
	struct gt_tuple *t;
	struct timer expiry;
};

static struct track tr; /* the clients by address, their change list */
static const struct conf *gt_cf;
static bool gt_replay;
static pcre2_code *traps[GT_MAX_REGEX];
static size_t ntraps;
static pcre2_match_data *gt_md;

static const struct addr *
gt_key(const void *rec)
{
	return &((const struct gt_client *)rec)->ip;
}

static void
gt_changed(struct gt_client *g, const struct addr *ip)
{
	track_changed(&tr, g, ip);
}

static void
gt_free(struct gt_client *g)
{
	uint32_t i;

	timer_cancel(&g->expiry);
	for (i = 0; i < g->n; i++) {
		free(g->t[i].from);
		free(g->t[i].to);
	}
	free(g->t);
	free(g->host);
	free(g);
}

static void
gt_expire(struct timer *t)
{
	struct gt_client *g = (struct gt_client *)((char *)t -
	    offsetof(struct gt_client, expiry));
	char ip[ADDR_STRLEN];

	log_event("greylist tuples of %s have expired and have been removed",
	    addr_format(&g->ip, ip, sizeof(ip)));
	iptab_del(tr.tab, &g->ip);
	gt_changed(NULL, &g->ip);
	gt_free(g);
}

/* trap - list (and maybe ban) g once, as spamdb -t -a did */
static void
trap(struct gt_client *g, const char *reason)
{
	char ip[ADDR_STRLEN];

	if (g->trapped)
		return;
	g->trapped = true;
	gt_changed(g, &g->ip);
	addr_format(&g->ip, ip, sizeof(ip));
	if (grant_active(&g->ip)) {
		log_info("%s: greytrap ignored: client holds a POP-before-SMTP "
		         "grant (%s)",
		    ip, reason);
		return;
	}
	log_info("Trapped %s: %s", ip, reason);
	bl_list(&g->ip, clock_now(), g->host, gt_cf->localhost_dns_name, reason,
	    gt_cf->greytrap_ban ? gt_cf->greytrap_bansecs : 0, "greytrap",
	    BL_BAN_NULLROUTE);
}

/* domain_of - the part after the last '@' ("" for <> or no '@') */
static const char *
domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL ? at + 1 : "";
}

static bool
atext(int c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

bool
gt_sender_valid(const char *s)
{
	const char *at = strrchr(s, '@'), *p, *label;
	struct addr a;
	size_t dlen;

	if (*s == '\0')
		return true; /* the null sender: bounces */
	if (at == NULL || at == s || at - s > 64 || at[1] == '\0')
		return false;
	if (*s == '"') {
		if (at - s < 2 || at[-1] != '"')
			return false;
		for (p = s + 1; p < at - 1; p++)
			if (*p < 0x20 || *p > 0x7e)
				return false;
	} else {
		for (p = s; p < at; p++)
			if (*p == '.' ? (p == s || p[1] == '.' || p + 1 == at)
			              : !atext((unsigned char)*p))
				return false;
	}
	p = at + 1;
	dlen = strlen(p);
	if (*p == '[')
		return p[dlen - 1] == ']' && addr_parse(p, dlen, &a) == 0;
	if (dlen > 253 || strchr(p, '.') == NULL)
		return false; /* a fully qualified domain */
	for (label = p;; label = p + 1) {
		for (p = label; isalnum((unsigned char)*p) || *p == '-'; p++)
			;
		if (p == label || p - label > 63 || *label == '-' ||
		    p[-1] == '-' || (*p != '.' && *p != '\0'))
			return false;
		if (*p == '\0')
			return true;
	}
}

struct walk {
	const char *what; /* recipient or domain */
	bool domain;
	char reason[GT_REASON_MAX];
};

static void
walk_one(void *arg, void *rec)
{
	struct walk *w = arg;
	struct gt_client *g = rec;
	uint32_t i;

	if (g->trapped)
		return;
	for (i = 0; i < g->n; i++) {
		if (w->domain
		        ? strcasecmp(domain_of(g->t[i].from), w->what) == 0
		        : strcmp(g->t[i].to, w->what) == 0) {
			trap(g, w->reason);
			return;
		}
	}
}

/* trap_all - trap every client with a tuple naming what */
static void
trap_all(const char *what, bool domain)
{
	struct walk w;

	w.what = what;
	w.domain = domain;
	snprintf(w.reason, sizeof(w.reason),
	    domain ? "Mailed from sender %s with no MX or A"
	           : "Mailed to trap address %s",
	    what);
	iptab_each(tr.tab, walk_one, &w);
}

static void
dns_done(const char *domain, enum dns_answer a)
{
	if (a == DNS_NO_HOST)
		trap_all(domain, true);
	else if (a == DNS_FAILED)
		log_warn(
		    "%s: MX/A lookup failed; not a reason to trap", domain);
}

/* checker_done - the checker's answer for rcpt: a bad one traps its clients */
static void
checker_done(const char *rcpt, bool bad)
{
	if (bad)
		trap_all(rcpt, false);
}

void
gt_poll(void)
{
	long long wake = checker_poll(gt_cf, checker_done);

	if (wake >= 0)
		event_wake_ms(wake);
	dns_poll();
}

/* count_check - spamd's count checks once a host has many tuples */
static bool
count_check(const struct gt_client *g, char *reason, size_t size)
{
	uint32_t i, j, domains = 0, senders = 0;

	if ((long long)g->n <= gt_cf->greytrap_suspect_tuples)
		return false;
	for (i = 0; i < g->n; i++) {
		bool seen_s = false, seen_d = false;

		for (j = 0; j < i; j++) {
			seen_s |= strcmp(g->t[j].from, g->t[i].from) == 0;
			seen_d |= strcasecmp(domain_of(g->t[j].from),
			              domain_of(g->t[i].from)) == 0;
		}
		senders += !seen_s;
		domains += !seen_d;
	}
	if ((long long)domains > gt_cf->greytrap_max_domains) {
		snprintf(reason, size, "Host sending from %lu domains (> %lld)",
		    (unsigned long)domains, gt_cf->greytrap_max_domains);
		return true;
	}
	if ((double)senders / g->n > gt_cf->greytrap_max_senders_ratio) {
		snprintf(reason, size,
		    "Senders/Tuples ratio is %lu/%lu senders/tuples (> %g)",
		    (unsigned long)senders, (unsigned long)g->n,
		    gt_cf->greytrap_max_senders_ratio);
		return true;
	}
	return false;
}

/* trap_regex - to matches one of greytrap_trap_regex */
static bool
trap_regex(const char *to)
{
	size_t i;

	for (i = 0; i < ntraps; i++)
		if (pcre2_match(traps[i], (PCRE2_SPTR)to, strlen(to), 0, 0,
		        gt_md, NULL) >= 0)
			return true;
	return false;
}

/* check - the checks of spamd's scan, in its order, for a new tuple */
static void
check(struct gt_client *g, const char *from, const char *to, time_t now)
{
	char reason[GT_REASON_MAX];
	const char *dom = domain_of(from);

	if (!gt_sender_valid(from)) {
		snprintf(
		    reason, sizeof(reason), "Invalid source address %s", from);
		trap(g, reason);
		return;
	}
	if (count_check(g, reason, sizeof(reason))) {
		trap(g, reason);
		return;
	}
	snprintf(reason, sizeof(reason), "Mailed to trap address %s", to);
	if (trap_regex(to)) {
		trap(g, reason);
		return;
	}
	switch (checker_verdict(to, now)) {
	case 1:
		trap(g, reason);
		return;
	case 0:
		break;
	default:
		if (!gt_replay && checker_usable(gt_cf))
			checker_queue(to);
		break;
	}
	if (gt_replay || !dns_enabled() || *dom == '\0' || *dom == '[')
		return;
	if (dns_mailhost(dom, now) == DNS_NO_HOST && !g->trapped) {
		snprintf(reason, sizeof(reason),
		    "Mailed from sender %s with no MX or A", dom);
		trap(g, reason);
	}
}

static void
add_tuple(struct gt_client *g, const char *from, const char *to)
{
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 4;
		g->t = xrealloc(g->t, g->cap * sizeof(*g->t));
	}
	g->t[g->n].from = xstrdup(from);
	g->t[g->n].to = xstrdup(to);
	g->n++;
}

void
gt_tuple(const struct addr *ip, time_t now, const char *host, const char *from,
    const char *to)
{
	struct gt_client *g = iptab_get(tr.tab, ip);
	char buf[ADDR_STRLEN];
	uint32_t i;

	if (!gt_cf->greytrap)
		return;
	addr_format(ip, buf, sizeof(buf));
	if (g == NULL) {
		if ((long long)iptab_size(tr.tab) >= gt_cf->max_tracked_ips) {
			log_warn(
			    "%s: greylist tuple not tracked: max_tracked_ips "
			    "reached",
			    buf);
			return;
		}
		g = xcalloc(1, sizeof(*g));
		g->ip = *ip;
		g->first = now;
		g->host = xstrdup(host);
		iptab_put(tr.tab, g);
	}
	g->last = now;
	timer_set(&g->expiry, now + gt_cf->greytrap_expire, gt_expire);
	gt_changed(g, ip);
	for (i = 0; i < g->n; i++)
		if (strcmp(g->t[i].from, from) == 0 &&
		    strcmp(g->t[i].to, to) == 0)
			return; /* a retry of a known tuple */
	if ((long long)g->n >= gt_cf->greytrap_max_tuples) {
		log_debug("%s: greylist tuple <%s> -> <%s> not kept: "
		          "greytrap_max_tuples reached",
		    buf, from, to);
		return;
	}
	add_tuple(g, from, to);
	log_debug("%s: greylist tuple %lu <%s> -> <%s>", buf,
	    (unsigned long)g->n, from, to);
	if (!g->trapped)
		check(g, from, to, now);
}

bool
gt_trapped(const struct addr *ip)
{
	const struct gt_client *g =
	    tr.tab != NULL ? iptab_get(tr.tab, ip) : NULL;

	return g != NULL && g->trapped;
}

size_t
gt_count(void)
{
	return tr.tab != NULL ? iptab_size(tr.tab) : 0;
}

static void
free_regexes(void)
{
	while (ntraps > 0)
		pcre2_code_free(traps[--ntraps]);
	pcre2_match_data_free(gt_md);
	gt_md = NULL;
}

/* compile - greytrap_trap_regex: white-space separated, caseless */
static int
compile(const struct conf *c)
{
	const char *p = c->greytrap_trap_regex;

	free_regexes();
	gt_md = pcre2_match_data_create(1, NULL);
	while (*p != '\0') {
		size_t n;
		PCRE2_SIZE off;
		int err;

		p += strspn(p, " \t");
		if ((n = strcspn(p, " \t")) == 0)
			break;
		if (ntraps == GT_MAX_REGEX) {
			log_error("greytrap_trap_regex: more than %d patterns",
			    GT_MAX_REGEX);
			return -1;
		}
		traps[ntraps] = pcre2_compile(
		    (PCRE2_SPTR)p, n, PCRE2_CASELESS, &err, &off, NULL);
		if (traps[ntraps] == NULL) {
			log_error(
			    "greytrap_trap_regex: bad pattern \"%.*s\" at "
			    "offset %zu",
			    (int)n, p, (size_t)off);
			return -1;
		}
		ntraps++;
		p += n;
	}
	return 0;
}

static int
gt_load_one(
    void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct rec_reader r = {val, vlen, 0, false};
	struct gt_client *g;
	struct addr ip;
	uint32_t i, n;

	UNUSED(arg);
	if (rec_key_addr(key, klen, &ip) < 0 || rec_get_u8(&r) != GT_VERSION ||
	    iptab_get(tr.tab, &ip) != NULL)
		return -1;
	g = xcalloc(1, sizeof(*g));
	g->ip = ip;
	g->trapped = rec_get_u8(&r) != 0;
	g->first = (time_t)rec_get_i64(&r);
	g->last = (time_t)rec_get_i64(&r);
	g->host = rec_get_str(&r);
	n = rec_get_u32(&r);
	for (i = 0; i < n && !r.bad; i++) {
		char *from = rec_get_str(&r), *to = rec_get_str(&r);

		if (!r.bad)
			add_tuple(g, from, to);
		free(from);
		free(to);
	}
	if (r.bad) {
		gt_free(g);
		return -1;
	}
	iptab_put(tr.tab, g);
	timer_set(&g->expiry, g->last + gt_cf->greytrap_expire, gt_expire);
	return 0;
}

/* encode - the record; without tuples when they do not fit */
static void
encode(const struct gt_client *g, struct rec_buf *w, bool tuples)
{
	uint32_t i;

	w->n = 0;
	w->full = false;
	rec_u8(w, GT_VERSION);
	rec_u8(w, g->trapped ? 1 : 0);
	rec_i64(w, g->first);
	rec_i64(w, g->last);
	rec_str(w, g->host);
	rec_u32(w, tuples ? g->n : 0);
	for (i = 0; tuples && i < g->n; i++) {
		rec_str(w, g->t[i].from);
		rec_str(w, g->t[i].to);
	}
}

/* gt_encode - a client with its tuples; without them when they do not fit */
static void
gt_encode(const void *rec, struct rec_buf *w)
{
	encode(rec, w, true);
	if (w->full)
		encode(rec, w, false);
}

int
gt_init(const struct conf *c, struct state *s, bool replay)
{
	gt_cf = c;
	gt_replay = replay;
	track_init(&tr, gt_key, offsetof(struct gt_client, dirty), gt_encode);
	if (compile(c) < 0)
		return -1;
	if (!replay && dns_init(c, dns_done) < 0)
		return -1;
	if (track_open(&tr, s, "greytrap") < 0)
		return -1;
	if (state_load(tr.st, gt_load_one, NULL) < 0)
		return -1;
	timer_run(clock_now());
	return 0;
}

int
gt_conf(const struct conf *c)
{
	gt_cf = c;
	if (compile(c) < 0)
		return -1;
	if (!gt_replay && dns_conf(c) < 0)
		return -1;
	return 0;
}

bool
gt_dirty(void)
{
	return track_pending(&tr);
}

int
gt_sync(void)
{
	return track_sync(&tr);
}

void
gt_synced(void)
{
	track_synced(&tr);
}

static void
gt_free_one(void *arg, void *rec)
{
	UNUSED(arg);
	gt_free(rec);
}

void
gt_fini(void)
{
	dns_fini();
	checker_fini();
	free_regexes();
	if (tr.tab == NULL)
		return;
	iptab_each(tr.tab, gt_free_one, NULL);
	track_fini(&tr);
}

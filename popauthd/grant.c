/*
 * grant.c - POP-before-SMTP grants (see grant.h).
 *
 * Table: iptab of struct grant, each with its users (at most GRANT_MAX_USERS are
 * named; further users only count) and an expiry timer.  Changes are collected
 * in a list of addresses and written to state by grant_sync at the end of the
 * tick; the map is only touched when the set of granted IPs changes.
 * Log wording follows popauth 3.0.1.
 */
#include "grant.h"
#include "clock.h"
#include "iptab.h"
#include "log.h"
#include "rec.h"
#include "timer.h"
#include "track.h"
#include "util.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRANT_MAX_USERS 8
#define GRANT_VERSION   1
#define GRANT_QUOTE_MAX 1100 /* a quoted user name for the log */

struct grant_user {
	struct grant_user *next;
	time_t first, last;
	uint32_t count;
	char name[];
};

struct grant {
	struct addr ip;
	bool dirty;
	uint8_t nusers;
	uint32_t count;
	time_t first, last;
	struct timer expiry;
	struct grant_user *users;
};

static struct track tr; /* the grants by address, their change list */
static struct map *grant_map;
static const struct conf *grant_cf;
static bool cap_warned;

static const struct addr *
grant_key(const void *rec)
{
	return &((const struct grant *)rec)->ip;
}

static void
grant_changed(struct grant *g, const struct addr *ip)
{
	track_changed(&tr, g, ip);
}

static void
grant_free(struct grant *g)
{
	struct grant_user *u, *next;

	for (u = g->users; u != NULL; u = next) {
		next = u->next;
		free(u);
	}
	free(g);
}

static void
grant_expire(struct timer *t)
{
	struct grant *g =
	    (struct grant *)((char *)t - offsetof(struct grant, expiry));
	char ip[ADDR_STRLEN];

	addr_format(&g->ip, ip, sizeof(ip));
	log_event(
	    "Relay authorization for %s has expired and has been removed", ip);
	iptab_del(tr.tab, &g->ip);
	grant_changed(NULL, &g->ip);
	map_change(grant_map, &g->ip);
	grant_free(g);
}

static struct grant_user *
user_new(const char *name, time_t now)
{
	size_t len = strlen(name);
	struct grant_user *u = xmalloc(sizeof(*u) + len + 1);

	u->next = NULL;
	u->first = u->last = now;
	u->count = 1;
	memcpy(u->name, name, len + 1);
	return u;
}

/* grant_decode - a stored record into a new grant, or NULL */
static struct grant *
grant_decode(const struct addr *ip, const void *val, size_t vlen)
{
	struct rec_reader r = {val, vlen, 0, false};
	struct grant *g;
	struct grant_user **tail;
	unsigned int i, n;

	if (rec_get_u8(&r) != GRANT_VERSION)
		return NULL;
	g = xcalloc(1, sizeof(*g));
	g->ip = *ip;
	g->first = (time_t)rec_get_i64(&r);
	g->last = (time_t)rec_get_i64(&r);
	g->count = rec_get_u32(&r);
	n = rec_get_u8(&r);
	tail = &g->users;
	for (i = 0; i < n && !r.bad; i++) {
		time_t first = (time_t)rec_get_i64(&r),
		       last = (time_t)rec_get_i64(&r);
		uint32_t count = rec_get_u32(&r);
		char *name = rec_get_str(&r);
		struct grant_user *u = user_new(name, first);

		free(name);
		u->last = last;
		u->count = count;
		*tail = u;
		tail = &u->next;
		g->nusers++;
	}
	if (r.bad) {
		grant_free(g);
		return NULL;
	}
	return g;
}

static void
grant_encode(const void *rec, struct rec_buf *w)
{
	const struct grant *g = rec;
	const struct grant_user *u;

	w->n = 0;
	w->full = false;
	rec_u8(w, GRANT_VERSION);
	rec_i64(w, g->first);
	rec_i64(w, g->last);
	rec_u32(w, g->count);
	rec_u8(w, g->nusers);
	for (u = g->users; u != NULL; u = u->next) {
		rec_i64(w, u->first);
		rec_i64(w, u->last);
		rec_u32(w, u->count);
		rec_str(w, u->name);
	}
}

struct load_ctx {
	time_t now;
	size_t expired;
};

static int
grant_load_one(
    void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct load_ctx *lc = arg;
	struct addr ip;
	struct grant *g;

	if (rec_key_addr(key, klen, &ip) < 0 ||
	    (g = grant_decode(&ip, val, vlen)) == NULL)
		return -1;
	if (g->last + grant_cf->popauth_expire <= lc->now) {
		/* expired while we were down: drop it now */
		grant_changed(NULL, &ip);
		grant_free(g);
		lc->expired++;
		return 0;
	}
	iptab_put(tr.tab, g);
	timer_set(&g->expiry, g->last + grant_cf->popauth_expire, grant_expire);
	return 0;
}

int
grant_init(const struct conf *c, struct state *s, struct map *m)
{
	struct load_ctx lc = {clock_now(), 0};
	long long n;

	grant_cf = c;
	grant_map = m;
	track_init(&tr, grant_key, offsetof(struct grant, dirty), grant_encode);
	if (track_open(&tr, s, "grants") < 0)
		return -1;
	if ((n = state_load(tr.st, grant_load_one, &lc)) < 0)
		return -1;
	if (lc.expired > 0)
		log_info("%zu relay authorizations expired while popauthd was "
		         "down",
		    lc.expired);
	log_info("%zu users have been granted relay authorization via %s",
	    iptab_size(tr.tab), map_path(m));
	map_set_value_fn(m, grant_map_value);
	map_touch(m); /* always rewrite from state at start */
	return 0;
}

void
grant_conf(const struct conf *c)
{
	grant_cf = c;
}

static struct grant *
grant_get_or_new(const struct addr *ip, time_t now, bool *isnew)
{
	struct grant *g = iptab_get(tr.tab, ip);
	char buf[ADDR_STRLEN];

	*isnew = false;
	if (g != NULL)
		return g;
	if ((long long)iptab_size(tr.tab) >= grant_cf->max_tracked_ips) {
		if (!cap_warned)
			log_warn(
			    "%s: not granted: max_tracked_ips (%lld) reached",
			    addr_format(ip, buf, sizeof(buf)),
			    grant_cf->max_tracked_ips);
		cap_warned = true;
		return NULL;
	}
	cap_warned = false;
	g = xcalloc(1, sizeof(*g));
	g->ip = *ip;
	g->first = now;
	iptab_put(tr.tab, g);
	map_change(grant_map, ip);
	*isnew = true;
	return g;
}

void
grant_login(const struct addr *ip, const char *user, time_t now)
{
	struct grant *g;
	struct grant_user *u;
	char ipbuf[ADDR_STRLEN], dur[64], q[GRANT_QUOTE_MAX];
	const char *who = log_quote(q, sizeof(q), user);
	bool isnew;

	if ((g = grant_get_or_new(ip, now, &isnew)) == NULL)
		return;
	addr_format(ip, ipbuf, sizeof(ipbuf));
	g->last = now;
	g->count++;
	for (u = g->users; u != NULL; u = u->next)
		if (strcmp(u->name, user) == 0)
			break;
	if (u != NULL) {
		u->last = now;
		u->count++;
		log_event("%s has refreshed authentication for a %s old relay "
		          "session from %s x %lu",
		    who, dur_format(u->last - u->first, dur, sizeof(dur)),
		    ipbuf, (unsigned long)u->count);
	} else {
		if (g->nusers < GRANT_MAX_USERS) {
			u = user_new(user, now);
			u->next = g->users;
			g->users = u;
			g->nusers++;
		}
		if (isnew)
			log_event(
			    "%s has authenticated a new relay session from "
			    "%s",
			    who, ipbuf);
		else
			log_event("%s has refreshed authentication for an "
			          "existing relay session from %s",
			    who, ipbuf);
	}
	timer_set(&g->expiry, now + grant_cf->popauth_expire, grant_expire);
	grant_changed(g, ip);
}

void
grant_set(const struct addr *ip, const char *who, time_t now, time_t dur)
{
	struct grant *g;
	bool isnew;
	char ipbuf[ADDR_STRLEN];

	if ((g = grant_get_or_new(ip, now, &isnew)) == NULL)
		return;
	/* last is set so that last + popauth_expire == now + dur */
	g->last = now + dur - grant_cf->popauth_expire;
	g->count++;
	timer_set(&g->expiry, now + dur, grant_expire);
	grant_changed(g, ip);
	log_event("%s has been granted relay authorization by %s",
	    addr_format(ip, ipbuf, sizeof(ipbuf)), who);
}

bool
grant_revoke(const struct addr *ip)
{
	struct grant *g = iptab_del(tr.tab, ip);
	char ipbuf[ADDR_STRLEN];

	if (g == NULL)
		return false;
	timer_cancel(&g->expiry);
	grant_changed(NULL, ip);
	grant_free(g);
	map_change(grant_map, ip);
	log_event("Relay authorization for %s has been revoked",
	    addr_format(ip, ipbuf, sizeof(ipbuf)));
	return true;
}

bool
grant_active(const struct addr *ip)
{
	return tr.tab != NULL && iptab_get(tr.tab, ip) != NULL;
}

size_t
grant_count(void)
{
	return tr.tab != NULL ? iptab_size(tr.tab) : 0;
}

static void
grant_put_one(void *arg, void *rec)
{
	char ip[ADDR_STRLEN];

	map_put(
	    arg, addr_format(&((struct grant *)rec)->ip, ip, sizeof(ip)), "OK");
}

const char *
grant_map_value(const struct addr *a, char *buf, size_t size)
{
	UNUSED(buf);
	UNUSED(size);
	return iptab_get(tr.tab, a) != NULL ? "OK" : NULL;
}

void
grant_map_walk(void *arg, struct map_writer *w)
{
	UNUSED(arg);
	iptab_each_ordered(tr.tab, map_addr_order, grant_put_one, w);
}

bool
grant_dirty(void)
{
	return track_pending(&tr);
}

int
grant_sync(void)
{
	return track_sync(&tr);
}

void
grant_synced(void)
{
	track_synced(&tr);
}

static void
grant_free_one(void *arg, void *rec)
{
	UNUSED(arg);
	timer_cancel(&((struct grant *)rec)->expiry);
	grant_free(rec);
}

void
grant_fini(void)
{
	if (tr.tab == NULL)
		return;
	iptab_each(tr.tab, grant_free_one, NULL);
	track_fini(&tr);
}

struct list_ctx {
	void (*fn)(void *arg, const char *line);
	void *arg;
};

static void
grant_list_one(void *arg, void *rec)
{
	struct list_ctx *lc = arg;
	struct grant *g = rec;
	struct grant_user *u;
	char ip[ADDR_STRLEN], line[1024];
	size_t len;

	len = (size_t)snprintf(line, sizeof(line), "%s\t%lld\t%lld\t%u\t%lld",
	    addr_format(&g->ip, ip, sizeof(ip)), (long long)g->first,
	    (long long)g->last, (unsigned)g->count, (long long)g->expiry.when);
	for (u = g->users; u != NULL && len < sizeof(line); u = u->next)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s",
		    u == g->users ? "\t" : ",", u->name);
	lc->fn(lc->arg, line);
}

void
grant_list(void (*fn)(void *arg, const char *line), void *arg)
{
	struct list_ctx lc = {fn, arg};

	iptab_each(tr.tab, grant_list_one, &lc);
}

/* Admin and export interface (grant.h): appended for popauthctl (ctl.c). */

_Static_assert(GRANT_INFO_USERS == GRANT_MAX_USERS, "grant_info user slots");

/* grant_to_info - g as a grant_info borrowing g's strings */
static void
grant_to_info(const struct grant *g, time_t expire, struct grant_info *gi)
{
	const struct grant_user *u;

	memset(gi, 0, sizeof(*gi));
	gi->ip = g->ip;
	gi->first = g->first;
	gi->last = g->last;
	gi->count = g->count;
	gi->expires = g->last + expire;
	for (u = g->users; u != NULL && gi->nusers < GRANT_INFO_USERS;
	     u = u->next) {
		struct grant_user_info *ui = &gi->users[gi->nusers++];

		ui->name = u->name;
		ui->first = u->first;
		ui->last = u->last;
		ui->count = u->count;
	}
}

struct each_ctx {
	grant_info_fn *fn;
	void *arg;
};

static void
grant_each_one(void *arg, void *rec)
{
	struct each_ctx *ec = arg;
	struct grant_info gi;

	grant_to_info(rec, grant_cf->popauth_expire, &gi);
	ec->fn(ec->arg, &gi);
}

void
grant_each(grant_info_fn *fn, void *arg)
{
	struct each_ctx ec = {fn, arg};

	if (tr.tab != NULL)
		iptab_each(tr.tab, grant_each_one, &ec);
}

bool
grant_get(const struct addr *ip, grant_info_fn *fn, void *arg)
{
	struct grant *g = tr.tab != NULL ? iptab_get(tr.tab, ip) : NULL;
	struct grant_info gi;

	if (g == NULL)
		return false;
	grant_to_info(g, grant_cf->popauth_expire, &gi);
	fn(arg, &gi);
	return true;
}

int
grant_info_decode(const void *key, size_t klen, const void *val, size_t vlen,
    time_t expire, grant_info_fn *fn, void *arg)
{
	struct grant_info gi;
	struct grant *g;
	struct addr ip;

	if (rec_key_addr(key, klen, &ip) < 0 ||
	    (g = grant_decode(&ip, val, vlen)) == NULL)
		return -1;
	grant_to_info(g, expire, &gi);
	fn(arg, &gi);
	grant_free(g);
	return 0;
}

/* grant_from_info - a new grant (not in the table) holding copies of gi */
static struct grant *
grant_from_info(const struct grant_info *gi)
{
	struct grant *g = xcalloc(1, sizeof(*g));
	struct grant_user **tail = &g->users;
	size_t i;

	g->ip = gi->ip;
	g->first = gi->first;
	g->last = gi->last;
	g->count = (uint32_t)gi->count;
	for (i = 0; i < gi->nusers && i < GRANT_MAX_USERS; i++) {
		struct grant_user *u =
		    user_new(gi->users[i].name, gi->users[i].first);

		u->last = gi->users[i].last;
		u->count = (uint32_t)gi->users[i].count;
		*tail = u;
		tail = &u->next;
		g->nusers++;
	}
	return g;
}

void
grant_info_encode(const struct grant_info *gi, struct rec_buf *w)
{
	struct grant *g = grant_from_info(gi);

	grant_encode(g, w);
	grant_free(g);
}

bool
grant_restore(const struct grant_info *gi, time_t now)
{
	struct grant *old, *g;
	char ipbuf[ADDR_STRLEN];

	if (gi->last + grant_cf->popauth_expire <= now)
		return false;
	if ((old = iptab_del(tr.tab, &gi->ip)) != NULL) {
		timer_cancel(&old->expiry);
		grant_free(old);
	} else {
		map_change(grant_map, &gi->ip);
	}
	g = grant_from_info(gi);
	iptab_put(tr.tab, g);
	timer_set(&g->expiry, g->last + grant_cf->popauth_expire, grant_expire);
	grant_changed(NULL, &g->ip);
	log_event("%s has been granted relay authorization by import",
	    addr_format(&g->ip, ipbuf, sizeof(ipbuf)));
	return true;
}

static void
grant_collect_one(void *arg, void *rec)
{
	struct addr **p = arg;

	*(*p)++ = ((struct grant *)rec)->ip;
}

size_t
grant_flush(void)
{
	struct addr *ips, *p;
	size_t i, n = grant_count();

	if (n == 0)
		return 0;
	/* collect, then apply: revoking changes the table under iptab_each */
	ips = p = xcalloc(n, sizeof(*ips));
	iptab_each(tr.tab, grant_collect_one, &p);
	for (i = 0; i < n; i++)
		grant_revoke(&ips[i]);
	free(ips);
	return n;
}

struct grant_net_scan {
	const struct addr *net;
	bool found;
};

static void
grant_net_one(void *arg, void *rec)
{
	struct grant_net_scan *s = arg;
	const struct grant *g = rec;
	struct addr n;

	if (g->ip.family != 6 || s->found)
		return;
	addr_net64(&g->ip, &n);
	s->found = addr_equal(&n, s->net);
}

bool
grant_in_net(const struct addr *net)
{
	struct grant_net_scan s = {net, false};

	if (tr.tab != NULL)
		iptab_each(tr.tab, grant_net_one, &s);
	return s.found;
}

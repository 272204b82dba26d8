/*
 * grant.c - POP-before-SMTP grants (see grant.h).
 *
 * Table: iptab of struct grant, each with its users (at most GRANT_MAX_USERS are
 * named; further users only count) and an expiry timer.  Changes are collected
 * in a list of addresses and written to state by grant_sync at the end of the
 * tick; the map is only touched when the set of granted IPs changes.
 * Log wording follows popauth 3.0.1.
 */
#include "grant_int.h"
#include "clock.h"
#include "cluster.h"
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

struct track grant_tr; /* the grants by address, their change list */
struct map *grant_map;
const struct conf *grant_cf;
static bool cap_warned;

static const struct addr *
grant_key(const void *rec)
{
	return &((const struct grant *)rec)->ip;
}

void
grant_changed(struct grant *g, const struct addr *ip)
{
	track_changed(&grant_tr, g, ip);
}

void
grant_free(struct grant *g)
{
	struct grant_user *u, *next;

	for (u = g->users; u != NULL; u = next) {
		next = u->next;
		free(u);
	}
	free(g);
}

void
grant_expire(struct timer *t)
{
	struct grant *g =
	    (struct grant *)((char *)t - offsetof(struct grant, expiry));
	char ip[ADDR_STRLEN];

	addr_format(&g->ip, ip, sizeof(ip));
	log_event(
	    "Relay authorization for %s has expired and has been removed", ip);
	iptab_del(grant_tr.tab, &g->ip);
	grant_changed(NULL, &g->ip);
	map_change(grant_map, &g->ip);
	grant_free(g);
}

struct grant_user *
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
struct grant *
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

void
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
	iptab_put(grant_tr.tab, g);
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
	track_init(
	    &grant_tr, grant_key, offsetof(struct grant, dirty), grant_encode);
	if (track_open(&grant_tr, s, "grants") < 0)
		return -1;
	if ((n = state_load(grant_tr.st, grant_load_one, &lc)) < 0)
		return -1;
	if (lc.expired > 0)
		log_info("%zu relay authorizations expired while popauthd was "
		         "down",
		    lc.expired);
	log_info("%zu users have been granted relay authorization via %s",
	    iptab_size(grant_tr.tab), map_path(m));
	map_set_value_fn(m, grant_map_value);
	map_touch(m); /* always rewrite from state at start */
	return 0;
}

void
grant_conf(const struct conf *c)
{
	grant_cf = c;
}

struct grant *
grant_get_or_new(const struct addr *ip, time_t now, bool *isnew)
{
	struct grant *g = iptab_get(grant_tr.tab, ip);
	char buf[ADDR_STRLEN];

	*isnew = false;
	if (g != NULL)
		return g;
	if ((long long)iptab_size(grant_tr.tab) >= grant_cf->max_tracked_ips) {
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
	iptab_put(grant_tr.tab, g);
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
	if (cluster_enabled() && !isnew &&
	    g->expiry.when > now + grant_cf->popauth_expire) {
		/*
		 * in a cluster a grant's expiry is the latest any node gave: a
		 * login here never shortens one (last moves with it, so a
		 * restart computes the same expiry, as grant_set does)
		 */
		g->last = g->expiry.when - grant_cf->popauth_expire;
		grant_changed(g, ip);
		cluster_note(CL_GRANT, ip, g->expiry.when, NULL);
		return;
	}
	timer_set(&g->expiry, now + grant_cf->popauth_expire, grant_expire);
	grant_changed(g, ip);
	cluster_note(CL_GRANT, ip, g->expiry.when, NULL);
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
	cluster_note(CL_GRANT, ip, now + dur, who);
	log_event("%s has been granted relay authorization by %s",
	    addr_format(ip, ipbuf, sizeof(ipbuf)), who);
}

bool
grant_revoke(const struct addr *ip)
{
	struct grant *g = iptab_del(grant_tr.tab, ip);
	char ipbuf[ADDR_STRLEN];

	if (g == NULL)
		return false;
	timer_cancel(&g->expiry);
	grant_changed(NULL, ip);
	grant_free(g);
	map_change(grant_map, ip);
	cluster_note(CL_REVOKE, ip, -1, NULL);
	log_event("Relay authorization for %s has been revoked",
	    addr_format(ip, ipbuf, sizeof(ipbuf)));
	return true;
}

bool
grant_active(const struct addr *ip)
{
	return grant_tr.tab != NULL && iptab_get(grant_tr.tab, ip) != NULL;
}

size_t
grant_count(void)
{
	return grant_tr.tab != NULL ? iptab_size(grant_tr.tab) : 0;
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
	return iptab_get(grant_tr.tab, a) != NULL ? "OK" : NULL;
}

void
grant_map_walk(void *arg, struct map_writer *w)
{
	UNUSED(arg);
	iptab_each_ordered(grant_tr.tab, map_addr_order, grant_put_one, w);
}

bool
grant_dirty(void)
{
	return track_pending(&grant_tr);
}

int
grant_sync(void)
{
	return track_sync(&grant_tr);
}

void
grant_synced(void)
{
	track_synced(&grant_tr);
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
	if (grant_tr.tab == NULL)
		return;
	iptab_each(grant_tr.tab, grant_free_one, NULL);
	track_fini(&grant_tr);
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

	if (grant_tr.tab != NULL)
		iptab_each(grant_tr.tab, grant_net_one, &s);
	return s.found;
}

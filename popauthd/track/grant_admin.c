/*
 * grant_admin.c - what an admin does to the grants through popauthctl:
 * list, show, grant, revoke, flush, export and restore from an export.
 *
 * For ctl_cmd.c, ctl_offline.c and export.c.  Built on grant.c (the
 * tracker): every change goes through the same change list and map, so it
 * reaches state and Postfix at the next commit.
 */
#include "grant_int.h"
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

	iptab_each(grant_tr.tab, grant_list_one, &lc);
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

struct grant_vec {
	struct grant **v;
	size_t n;
};

static void
grant_collect(void *arg, void *rec)
{
	struct grant_vec *gv = arg;

	gv->v[gv->n++] = rec;
}

/* grant_cmp - by family, then address: the order an admin reads */
static int
grant_cmp(const void *x, const void *y)
{
	const struct grant *a = *(struct grant *const *)x;
	const struct grant *b = *(struct grant *const *)y;

	if (a->ip.family != b->ip.family)
		return a->ip.family < b->ip.family ? -1 : 1;
	return memcmp(a->ip.b, b->ip.b, sizeof(a->ip.b));
}

void
grant_each(grant_info_fn *fn, void *arg)
{
	struct each_ctx ec = {fn, arg};
	struct grant_vec gv = {NULL, 0};
	size_t i;

	if (grant_tr.tab == NULL)
		return;
	/* sorted by address: list relay and exports read in order */
	gv.v = xcalloc(iptab_size(grant_tr.tab) + 1, sizeof(*gv.v));
	iptab_each(grant_tr.tab, grant_collect, &gv);
	qsort(gv.v, gv.n, sizeof(*gv.v), grant_cmp);
	for (i = 0; i < gv.n; i++)
		grant_each_one(&ec, gv.v[i]);
	free(gv.v);
}

bool
grant_get(const struct addr *ip, grant_info_fn *fn, void *arg)
{
	struct grant *g =
	    grant_tr.tab != NULL ? iptab_get(grant_tr.tab, ip) : NULL;
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
	if ((old = iptab_del(grant_tr.tab, &gi->ip)) != NULL) {
		timer_cancel(&old->expiry);
		grant_free(old);
	} else {
		map_change(grant_map, &gi->ip);
	}
	g = grant_from_info(gi);
	iptab_put(grant_tr.tab, g);
	timer_set(&g->expiry, g->last + grant_cf->popauth_expire, grant_expire);
	grant_changed(NULL, &g->ip);
	log_event("%s has been granted relay authorization by import",
	    addr_format(&g->ip, ipbuf, sizeof(ipbuf)));
	return true;
}

bool
grant_extend(const struct addr *ip, const char *who, time_t now, time_t until)
{
	struct grant *g = iptab_get(grant_tr.tab, ip);
	char ipbuf[ADDR_STRLEN], dur[64];
	bool isnew;

	if (until <= now || (g != NULL && g->expiry.when >= until))
		return false; /* the latest expiry wins: ours already is */
	if ((g = grant_get_or_new(ip, now, &isnew)) == NULL)
		return false;
	/* last is set so that last + popauth_expire == until, as grant_set */
	g->last = until - grant_cf->popauth_expire;
	g->count++;
	timer_set(&g->expiry, until, grant_expire);
	grant_changed(g, ip);
	log_event("%s has been granted relay authorization by %s for %s",
	    addr_format(ip, ipbuf, sizeof(ipbuf)), who,
	    dur_format(until - now, dur, sizeof(dur)));
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
	iptab_each(grant_tr.tab, grant_collect_one, &p);
	for (i = 0; i < n; i++)
		grant_revoke(&ips[i]);
	free(ips);
	return n;
}

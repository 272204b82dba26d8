/*
 * witness.c - a line's effect on its client's records (see witness.h).
 *
 * The trackers say what they did in log lines only; rather than teach each
 * one to report, this compares the records before and after the line, so a
 * new tracker decision shows up here without a new hook.
 */
#include "witness.h"
#include "blacklist.h"
#include "clock.h"
#include "evidence.h"
#include "fish.h"
#include "fmt.h"
#include "grant.h"
#include "trigger.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void
snap_grant(void *arg, const struct grant_info *gi)
{
	struct witness *w = arg;

	w->granted = true;
	w->expires = gi->expires;
	w->logins = gi->count;
}

static void
snap_bl(void *arg, const struct bl_info *bi)
{
	struct witness *w = arg;

	w->listed = true;
	w->banned = bi->banned;
	w->unban = bi->unban;
	w->alerted = bi->alerted;
	w->total_hits = bi->total_hits;
	w->bans = bi->bans;
	w->freq = bi->freq;
	w->list = bi->list;
	w->reason = bi->reason;
}

static void
snap(const struct addr *ip, struct witness *w)
{
	memset(w, 0, sizeof(*w));
	grant_get(ip, snap_grant, w);
	bl_get(ip, snap_bl, w);
	w->fishing = fish_unique(ip, &w->unique);
}

void
witness_before(const struct addr *ip, struct witness *w)
{
	if (ip != NULL)
		snap(ip, w);
}

bool
witness_alive(const struct addr *ip)
{
	struct witness w;

	snap(ip, &w);
	return w.granted || w.listed || w.fishing;
}

/* stamp - t as a local date */
static const char *
stamp(char *buf, time_t t)
{
	clock_stamp(buf, t, CLOCK_ISO);
	return buf;
}

/* say - append "; " and a formatted part to out */
static void say(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(char *out, size_t size, const char *fmt, ...)
{
	size_t n = strlen(out);
	va_list ap;

	if (n > 0 && n + 2 < size) {
		memcpy(out + n, "; ", 3);
		n += 2;
	}
	if (n + 1 >= size)
		return;
	va_start(ap, fmt);
	fmt_v(out + n, size - n, fmt, ap);
	va_end(ap);
}

void
witness_after(const struct addr *ip, const struct event *ev,
    const struct witness *b, const char *line, size_t len, bool escaped,
    time_t now)
{
	struct witness a;
	char out[EVIDENCE_OUTCOME_MAX], t[CLOCK_STAMP_MAX];
	const char *why;

	if (ip == NULL)
		return;
	snap(ip, &a);
	out[0] = '\0';
	if (a.granted && !b->granted)
		say(out, sizeof(out), "granted until %s", stamp(t, a.expires));
	else if (a.granted && a.logins != b->logins)
		say(out, sizeof(out), "refreshed (login %lu), granted until %s",
		    a.logins, stamp(t, a.expires));
	if (a.listed && !b->listed)
		say(out, sizeof(out), "listed by %s: %s", a.list, a.reason);
	if (a.listed && a.total_hits != b->total_hits)
		say(out, sizeof(out), "score %lu hits, %.1f/min", a.total_hits,
		    a.freq * 60);
	if (a.banned &&
	    (!b->banned || a.bans != b->bans || a.unban != b->unban))
		say(out, sizeof(out), "banned until %s (ban %lu)",
		    stamp(t, a.unban), a.bans);
	if (a.alerted != b->alerted && a.alerted > 0)
		say(out, sizeof(out), "alert sent");
	if (a.fishing && a.unique != b->unique)
		say(out, sizeof(out), "fishing: %lu unique recipients",
		    a.unique);
	if (ev->kind != EV_LOGIN && ev->kind != EV_LOGIN_DONE && !a.listed &&
	    (why = trigger_exempt(ip)) != NULL)
		say(out, sizeof(out), "not listed: client %s", why);
	if (out[0] == '\0' || !(a.granted || a.listed || a.fishing))
		return;
	evidence_add(
	    ip, now, ev->rule, ev_kind_name(ev->kind), out, line, len, escaped);
}

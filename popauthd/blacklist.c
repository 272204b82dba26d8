/*
 * blacklist.c - local RBL cache, repeat scoring, bans (see blacklist.h).
 *
 * Scoring follows popauth 3.0.1's trigger_rbl_repeat: period hits restart at 1
 * after a quiet spell longer than 1/nullroute_freq_thresh seconds; frequency is
 * period hits over the time since the previous hit (never a division by zero);
 * more than nullroute_msg_thresh total hits bans for nullroute_msg_bansecs, else
 * a frequency above nullroute_freq_thresh bans for nullroute_freq_bansecs.  One
 * difference on purpose: a slow repeat never shortens a ban in force.
 * Each entry carries one timer: while banned it waits for the unban, which
 * always comes before the expiry (that counts from the unban), then for the
 * expiry.
 */
#include "blacklist_int.h"
#include "alert.h"
#include "clock.h"
#include "fw.h"
#include "iptab.h"
#include "log.h"
#include "rec.h"
#include "strpool.h"
#include "timer.h"
#include "track.h"
#include "util.h"
#include "v6net.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct track bl_tr; /* the entries by address, their change list */
struct map *bl_map;
const struct conf *bl_cf;
size_t bl_nbans;
static bool cap_warned;

#define BL_QUOTE_MAX 2100 /* a quoted field of a log line */

static const struct addr *
bl_key(const void *rec)
{
	return &((const struct bl_entry *)rec)->ip;
}

void
bl_changed(struct bl_entry *e, const struct addr *ip)
{
	track_changed(&bl_tr, e, ip);
}

void
bl_free(struct bl_entry *e)
{
	timer_cancel(&e->due);
	strpool_put(e->list);
	free(e);
}

/* bl_alloc - a zeroed entry holding host and reason (bl_host, bl_reason) */
static struct bl_entry *
bl_alloc(const char *host, const char *reason)
{
	size_t hlen = strlen(host) + 1, rlen = strlen(reason) + 1;
	struct bl_entry *e =
	    xcalloc(1, offsetof(struct bl_entry, strs) + hlen + rlen);

	memcpy(e->strs, host, hlen);
	memcpy(e->strs + hlen, reason, rlen);
	return e;
}

struct bl_entry *
bl_new(const struct addr *ip, const char *host, const char *list,
    const char *reason)
{
	struct bl_entry *e = bl_alloc(host, reason);

	e->ip = *ip;
	e->list = strpool_get(list);
	return e;
}

/*
 * bl_rehost - a copy of e with host in place of its own; the table and the
 * timer heap follow the copy, and e is gone
 */
static struct bl_entry *
bl_rehost(struct bl_entry *e, const char *host)
{
	struct bl_entry *n = bl_alloc(host, bl_reason(e));

	memcpy(n, e, offsetof(struct bl_entry, strs)); /* list's ref too */
	timer_moved(&n->due);
	iptab_del(bl_tr.tab, &e->ip);
	iptab_put(bl_tr.tab, n);
	free(e);
	map_change(bl_map, &n->ip); /* blacklist_template may show $host */
	return n;
}

static void bl_due(struct timer *t);

void
bl_arm(struct bl_entry *e)
{
	time_t base = e->unban > e->last ? e->unban : e->last;

	/* rbl_cache_expire > 0 (conf.c), so the unban is due first */
	timer_set(&e->due,
	    e->banned ? e->unban : base + bl_cf->rbl_cache_expire, bl_due);
}

/* bl_drop - remove e from the table, lifting its ban; the caller logs */
void
bl_drop(struct bl_entry *e)
{
	if (e->banned) {
		fw_unban(&e->ip);
		bl_nbans--;
	}
	iptab_del(bl_tr.tab, &e->ip);
	bl_changed(NULL, &e->ip);
	map_change(bl_map, &e->ip);
	bl_free(e);
}

/* bl_due - timer_fn: lift e's ban, or drop e when it has expired */
static void
bl_due(struct timer *t)
{
	struct bl_entry *e =
	    (struct bl_entry *)((char *)t - offsetof(struct bl_entry, due));
	char ip[ADDR_STRLEN];

	addr_format(&e->ip, ip, sizeof(ip));
	if (!e->banned) {
		log_event(
		    "%s [%s] has expired from the blacklist (listed by %s)", ip,
		    bl_host(e), e->list);
		bl_drop(e);
		return;
	}
	e->banned = false;
	fw_unban(&e->ip);
	bl_nbans--;
	log_event("%s [%s] has been released from its null-route after %lu "
	          "total hits",
	    ip, bl_host(e), (unsigned long)e->total_hits);
	bl_arm(e); /* now for the expiry; timer_run fires it if due already */
}

static const char *const bl_kind_names[] = {"nullroute", "sendmail", "spamcop"};

const char *
bl_ban_kind_name(enum bl_ban_kind kind)
{
	return (size_t)kind < NITEMS(bl_kind_names) ? bl_kind_names[kind]
	                                            : "nullroute";
}

int
bl_ban_kind_parse(const char *s, enum bl_ban_kind *kind)
{
	size_t i;

	for (i = 0; i < NITEMS(bl_kind_names); i++)
		if (strcmp(s, bl_kind_names[i]) == 0) {
			*kind = (enum bl_ban_kind)i;
			return 0;
		}
	return -1;
}

static enum nullroute_scope
bl_kind_scope(enum bl_ban_kind kind)
{
	switch (kind) {
	case BL_BAN_SENDMAIL:
		return bl_cf->sendmail_ban_scope;
	case BL_BAN_SPAMCOP:
		return bl_cf->spamcop_ban_scope;
	case BL_BAN_NULLROUTE:
		break;
	}
	return bl_cf->nullroute_scope;
}

enum nullroute_scope
bl_scope(const struct bl_entry *e)
{
	return bl_kind_scope((enum bl_ban_kind)e->ban_kind);
}

/* bl_why - the offence behind a ban, with its rate or count and threshold */
static void
bl_why(const struct bl_entry *e, const char *why, char *buf, size_t size)
{
	const char *list = e->list != NULL ? e->list : "?";

	if (strcmp(why, "attempts too frequent") == 0)
		snprintf(buf, size,
		    "%s: %.1f attempts/min against a threshold of %.1f/min "
		    "(%lu in the last period; listed by %s)",
		    why, e->freq * 60, bl_cf->nullroute_freq_thresh * 60,
		    (unsigned long)e->period_hits, list);
	else if (strcmp(why, "too many attempts") == 0)
		snprintf(buf, size,
		    "%s: %lu attempts in all against a threshold of %lld "
		    "(listed by %s)",
		    why, (unsigned long)e->total_hits,
		    bl_cf->nullroute_msg_thresh, list);
	else
		snprintf(buf, size, "%s (listed by %s for %s)", why, list,
		    bl_reason(e));
}

/*
 * bl_ban - ban e until unban for kind (never shortening a ban in force; a
 * port-25-only ban that earns a null-route of everything is widened)
 */
void
bl_ban(struct bl_entry *e, time_t now, time_t secs, const char *why,
    time_t spread, enum bl_ban_kind kind)
{
	char ip[ADDR_STRLEN], dur[64], dur2[64], until[64];
	time_t unban;
	struct tm tm;
	bool fresh = !e->banned;
	bool widen = !fresh && bl_kind_scope(kind) == SCOPE_ALL &&
	    bl_scope(e) != SCOPE_ALL;

	if (fresh && bl_cf->ban_escalate && e->bans > 0) {
		double f = pow(bl_cf->ban_escalate_factor, (double)e->bans);
		double s = (double)secs * f;

		secs = s > (double)bl_cf->ban_escalate_max
		    ? bl_cf->ban_escalate_max
		    : (time_t)s;
	}
	unban = now + secs;
	if (!fresh && unban <= e->unban && !widen)
		return;
	if (unban < e->unban)
		unban = e->unban; /* widened, not shortened */
	e->unban = unban;
	e->banned = true;
	if (fresh || widen)
		e->ban_kind = (uint8_t)kind;
	bl_arm(e);
	addr_format(&e->ip, ip, sizeof(ip));
	localtime_r(&unban, &tm);
	strftime(until, sizeof(until), "%b %e %H:%M:%S", &tm);
	if (fresh) {
		e->bans++;
		bl_nbans++;
	}
	if (fresh || widen)
		fw_ban(&e->ip, bl_scope(e));
	log_event("%s [%s] %s until %s (%s) for %s: %lu hits in %s, %lu total, "
	          "rate = %.6f",
	    ip, bl_host(e),
	    fresh ? (bl_scope(e) == SCOPE_SMTP ? "has been null-routed for SMTP"
	                                       : "has been null-routed")
	        : widen ? "null-route widened to all traffic"
	                : "null-route extended",
	    until, dur_format(secs, dur, sizeof(dur)), why,
	    (unsigned long)e->period_hits,
	    dur_format(spread, dur2, sizeof(dur2)),
	    (unsigned long)e->total_hits, e->freq);
	if ((long long)e->total_hits >= bl_cf->nullroute_alert_thresh &&
	    e->alerted != (time_t)e->bans) {
		struct alert_info ai;

		memset(&ai, 0, sizeof(ai));
		ai.ip = e->ip;
		snprintf(ai.host, sizeof(ai.host), "%s", bl_host(e));
		ai.total_hits = e->total_hits;
		ai.period_hits = e->period_hits;
		ai.rate = e->freq;
		ai.hitspread = spread;
		ai.unban = unban;
		bl_why(e, why, ai.why, sizeof(ai.why));
		alert_send(bl_cf, &ai);
		e->alerted = (time_t)e->bans;
	}
}

/*
 * bl_score - a repeat: the seed's period/frequency/threshold logic; returns
 * e, which has moved when host is a new name for it
 */
struct bl_entry *
bl_score(struct bl_entry *e, time_t now, const char *host)
{
	time_t prior = e->last, spread = now - prior;
	char ip[ADDR_STRLEN], dur[64];

	if (host != NULL && *host != '\0' && strcmp(host, bl_host(e)) != 0 &&
	    strcmp(host, "unknown") != 0)
		e = bl_rehost(e, host);
	e->last = now;
	e->period_hits++;
	e->total_hits++;
	if ((double)(now - prior) > 1.0 / bl_cf->nullroute_freq_thresh)
		e->period_hits = 1;
	e->freq = spread > 0 ? e->period_hits / (double)spread
	                     : e->period_hits / 0.001;
	log_event(
	    "Blacklisted %s [%s] has repeated an attempt to relay mail to "
	    "this server, x %lu (%lu total) hits in %s, rate = %.6f",
	    addr_format(&e->ip, ip, sizeof(ip)), bl_host(e),
	    (unsigned long)e->period_hits, (unsigned long)e->total_hits,
	    dur_format(spread, dur, sizeof(dur)), e->freq);
	if ((long long)e->total_hits > bl_cf->nullroute_msg_thresh)
		bl_ban(e, now, bl_cf->nullroute_msg_bansecs,
		    "too many attempts", spread, BL_BAN_NULLROUTE);
	else if (e->freq > bl_cf->nullroute_freq_thresh)
		bl_ban(e, now, bl_cf->nullroute_freq_bansecs,
		    "attempts too frequent", spread, BL_BAN_NULLROUTE);
	bl_arm(e);
	bl_changed(e, &e->ip);
	return e;
}

void
bl_repeat(const struct addr *ip, time_t now, const char *host)
{
	struct bl_entry *e = iptab_get(bl_tr.tab, ip);
	char buf[ADDR_STRLEN];

	if (e == NULL && (e = bl_net_covering(ip)) != NULL)
		host = NULL; /* rejected through its /64's entry */
	if (e == NULL) {
		log_warn("%s: rejected as blacklisted, but not in popauthd's "
		         "blacklist (stale map or a foreign rbl_checks entry)",
		    addr_format(ip, buf, sizeof(buf)));
		return;
	}
	bl_score(e, now, host);
}

void
bl_list(const struct addr *ip, time_t now, const char *host, const char *list,
    const char *reason, time_t bansecs, const char *banwhy,
    enum bl_ban_kind kind)
{
	struct bl_entry *e = iptab_get(bl_tr.tab, ip);
	char buf[ADDR_STRLEN];

	addr_format(ip, buf, sizeof(buf));
	if (e == NULL && (e = bl_net_covering(ip)) != NULL) {
		/* its /64 is one offender: the address counts on it */
		log_info("%s [%s] lies in %s, blacklisted as one offender; "
		         "counting a repeat",
		    buf, host, addr_format(&e->ip, buf, sizeof(buf)));
		e = bl_score(e, now, NULL);
	} else if (e != NULL) {
		log_info("%s [%s] has already been blacklisted by RBL [%s]; "
		         "counting a repeat",
		    buf, host, e->list);
		e = bl_score(e, now, host);
	} else {
		if (!bl_make_room(now)) {
			if (!cap_warned)
				log_warn("%s: not blacklisted: max_tracked_ips "
				         "(%lld) reached and every entry is "
				         "banned",
				    buf, bl_cf->max_tracked_ips);
			cap_warned = true;
			return;
		}
		cap_warned = false;
		e = bl_new(ip, host, list, reason);
		e->first = e->last = now;
		e->unban = -1;
		e->period_hits = e->total_hits = 1;
		iptab_put(bl_tr.tab, e);
		bl_arm(e);
		bl_changed(e, ip);
		map_change(bl_map, ip);
		{
			char qh[BL_QUOTE_MAX], ql[BL_QUOTE_MAX],
			    qr[BL_QUOTE_MAX];

			log_event(
			    "%s [%s] has been blacklisted by RBL [%s] for "
			    "reason [%s]",
			    buf, log_quote_in(qh, sizeof(qh), host),
			    log_quote_in(ql, sizeof(ql), list),
			    log_quote_in(qr, sizeof(qr), reason));
		}
		if (ip->family == 6)
			bl_net_note(ip, now, list);
	}
	if (bansecs > 0) {
		bl_ban(e, now, bansecs, banwhy != NULL ? banwhy : "listing", 0,
		    kind);
		bl_changed(e, ip);
	}
}

bool
bl_listed(const struct addr *ip)
{
	return bl_tr.tab != NULL &&
	    (iptab_get(bl_tr.tab, ip) != NULL || bl_net_covering(ip) != NULL);
}

bool
bl_banned(const struct addr *ip, time_t now)
{
	struct bl_entry *e =
	    bl_tr.tab != NULL ? iptab_get(bl_tr.tab, ip) : NULL;

	if (e == NULL || e->unban <= now)
		e = bl_net_covering(ip);
	return e != NULL && e->unban > now;
}

size_t
bl_count(void)
{
	return bl_tr.tab != NULL ? iptab_size(bl_tr.tab) : 0;
}

size_t
bl_bans(void)
{
	return bl_nbans;
}

void
bl_encode(const void *rec, struct rec_buf *w)
{
	struct bl_info bi;

	bl_to_info(rec, &bi);
	bl_info_encode(&bi, w);
}

/* bl_load_info - bl_info_fn putting a stored entry in the table (arg: now) */
static void
bl_load_info(void *arg, const struct bl_info *bi)
{
	time_t now = *(time_t *)arg;
	struct bl_entry *e = bl_from_info(bi);

	e->banned = e->unban > now;
	if (e->banned)
		bl_nbans++;
	iptab_put(bl_tr.tab, e);
	bl_arm(e);
}

int
bl_load_one(
    void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	return bl_info_decode(
	    key, klen, val, vlen, *(time_t *)arg, bl_load_info, arg);
}

int
bl_init(const struct conf *c, struct state *s, struct map *m)
{
	time_t now = clock_now();

	bl_cf = c;
	bl_map = m;
	track_init(&bl_tr, bl_key, offsetof(struct bl_entry, dirty), bl_encode);
	if (track_open(&bl_tr, s, "blacklist") < 0)
		return -1;
	if (state_load(bl_tr.st, bl_load_one, &now) < 0)
		return -1;
	/* entries whose expiry passed while we were down go at the first tick */
	timer_run(now);
	log_info("%zu records in the blacklist, %zu null-routed", bl_count(),
	    bl_nbans);
	map_set_value_fn(m, bl_map_value);
	map_touch(m); /* always rewrite from state at start */
	if (fw_open(c) < 0)
		return -1;
	bl_reconcile();
	return 0;
}

void
bl_conf(const struct conf *c)
{
	/* a new reply text is every record's: rewrite the whole table */
	if (bl_cf == NULL ||
	    strcmp(bl_cf->blacklist_template, c->blacklist_template) != 0)
		map_touch(bl_map);
	bl_cf = c;
	if (fw_open(c) == 0)
		bl_reconcile();
}

bool
bl_dirty(void)
{
	return track_pending(&bl_tr);
}

int
bl_sync(void)
{
	return track_sync(&bl_tr);
}

void
bl_synced(void)
{
	track_synced(&bl_tr);
}

/* bl_text - the map value: code, then the template with $list $reason $ip $host */
static void
bl_text(const struct bl_entry *e, char *out, size_t size)
{
	char raw[2048], ip[ADDR_STRLEN];
	const char *t = bl_cf->blacklist_template;
	size_t n = 0;

	/* runs for every entry on every rewrite: copy plain runs whole */
	while (*t != '\0' && n < sizeof(raw) - 1) {
		const char *dollar = strchr(t, '$'), *sub = NULL;
		size_t run = dollar != NULL ? (size_t)(dollar - t) : strlen(t);
		size_t skip = 0;

		if (run > sizeof(raw) - 1 - n)
			run = sizeof(raw) - 1 - n;
		memcpy(raw + n, t, run);
		n += run;
		t += run;
		if (*t != '$' || n >= sizeof(raw) - 1)
			continue;
		if (strncmp(t, "$list", 5) == 0)
			sub = e->list, skip = 5;
		else if (strncmp(t, "$reason", 7) == 0)
			sub = bl_reason(e), skip = 7;
		else if (strncmp(t, "$ip", 3) == 0)
			sub = addr_format(&e->ip, ip, sizeof(ip)), skip = 3;
		else if (strncmp(t, "$host", 5) == 0)
			sub = bl_host(e), skip = 5;
		if (sub == NULL) {
			raw[n++] = *t++;
			continue;
		}
		run = strlen(sub);
		if (run > sizeof(raw) - 1 - n)
			run = sizeof(raw) - 1 - n;
		memcpy(raw + n, sub, run);
		n += run;
		t += skip;
	}
	raw[n] = '\0';
	/* stored fields are escaped already; this keeps the template honest too */
	{
		char esc[BL_TEXT_MAX + 1];
		size_t len;

		log_escape(esc, sizeof(esc), raw, n);
		len = strlen(esc);
		while (len > 0 && esc[len - 1] == ' ')
			esc[--len] = '\0';
		snprintf(out, size, "%s %s", bl_cf->blacklist_code,
		    len > 0 ? esc : "blacklisted");
	}
}

static void
bl_put_one(void *arg, void *rec)
{
	struct bl_entry *e = rec;
	char ip[ADDR_STRLEN], val[BL_TEXT_MAX + 64];

	if (addr_map_key(&e->ip, ip, sizeof(ip)) == NULL)
		return; /* a /64 Postfix cannot look up: the firewall has it */
	bl_text(e, val, sizeof(val));
	map_put(arg, ip, val);
}

const char *
bl_map_value(const struct addr *a, char *buf, size_t size)
{
	const struct bl_entry *e = iptab_get(bl_tr.tab, a);

	if (e == NULL)
		return NULL;
	bl_text(e, buf, size);
	return buf;
}

void
bl_map_walk(void *arg, struct map_writer *w)
{
	UNUSED(arg);
	iptab_each_ordered(bl_tr.tab, map_addr_order, bl_put_one, w);
}

struct walk_ctx {
	fw_add_fn *add;
	void *ctx;
};

static void
bl_ban_one(void *arg, void *rec)
{
	struct walk_ctx *wc = arg;
	struct bl_entry *e = rec;

	if (e->banned)
		wc->add(wc->ctx, &e->ip, bl_scope(e));
}

static void
bl_fw_walk(void *arg, fw_add_fn *add, void *ctx)
{
	struct walk_ctx wc = {add, ctx};

	UNUSED(arg);
	iptab_each(bl_tr.tab, bl_ban_one, &wc);
}

void
bl_reconcile(void)
{
	fw_reconcile(bl_fw_walk, NULL);
}

static void
bl_free_one(void *arg, void *rec)
{
	UNUSED(arg);
	bl_free(rec);
}

void
bl_fini(void)
{
	if (bl_tr.tab == NULL)
		return;
	fw_close(bl_cf->nullroute_keep_on_exit);
	iptab_each(bl_tr.tab, bl_free_one, NULL);
	track_fini(&bl_tr);
	v6net_fini();
	bl_nbans = 0;
}

/* Admin and export interface (blacklist.h): appended for popauthctl (ctl.c). */

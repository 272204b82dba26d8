/*
 * blacklist.c - local RBL cache, repeat scoring, bans (see blacklist.h).
 *
 * Scoring follows popauth 3.0.1's trigger_rbl_repeat: period hits restart at 1
 * after a quiet spell longer than 1/nullroute_freq_thresh seconds; frequency is
 * period hits over the time since the previous hit (never a division by zero);
 * more than nullroute_msg_thresh total hits bans for nullroute_msg_bansecs, else
 * a frequency above nullroute_freq_thresh bans for nullroute_freq_bansecs.  One
 * difference on purpose: a slow repeat never shortens a ban in force.
 * Each entry carries two timers: the unban (lifts the drop) and the expiry.
 */
#include "blacklist.h"
#include "alert.h"
#include "clock.h"
#include "fw.h"
#include "iptab.h"
#include "log.h"
#include "rec.h"
#include "timer.h"
#include "track.h"
#include "util.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BL_VERSION  1
#define BL_TEXT_MAX 400 /* Postfix replies stay well under 512 bytes */

struct bl_entry {
	struct addr ip;
	bool dirty;
	time_t first, last, unban; /* unban -1: never banned */
	time_t alerted;            /* number of the ban we mailed about */
	uint32_t period_hits, total_hits, bans;
	double freq;
	char *host, *list, *reason;
	struct timer unban_t, expiry;
};

static struct track tr; /* the entries by address, their change list */
static struct map *bl_map;
static const struct conf *bl_cf;
static size_t nbans;
static bool cap_warned;

static const struct addr *
bl_key(const void *rec)
{
	return &((const struct bl_entry *)rec)->ip;
}

static void
bl_changed(struct bl_entry *e, const struct addr *ip)
{
	track_changed(&tr, e, ip);
}

static void
bl_free(struct bl_entry *e)
{
	timer_cancel(&e->unban_t);
	timer_cancel(&e->expiry);
	free(e->host);
	free(e->list);
	free(e->reason);
	free(e);
}

static void bl_expire(struct timer *t);
static void bl_unban(struct timer *t);

/* bl_arm - (re)arm the expiry: rbl_cache_expire after max(last, unban) */
static void
bl_arm(struct bl_entry *e)
{
	time_t base = e->unban > e->last ? e->unban : e->last;

	timer_set(&e->expiry, base + bl_cf->rbl_cache_expire, bl_expire);
}

/* bl_drop - remove e from the table, lifting its ban; the caller logs */
static void
bl_drop(struct bl_entry *e)
{
	if (timer_armed(&e->unban_t)) {
		fw_unban(&e->ip);
		nbans--;
	}
	iptab_del(tr.tab, &e->ip);
	bl_changed(NULL, &e->ip);
	bl_free(e);
	map_touch(bl_map);
}

static void
bl_expire(struct timer *t)
{
	struct bl_entry *e =
	    (struct bl_entry *)((char *)t - offsetof(struct bl_entry, expiry));
	char ip[ADDR_STRLEN];

	log_event("%s [%s] has expired from the blacklist (listed by %s)",
	    addr_format(&e->ip, ip, sizeof(ip)), e->host, e->list);
	bl_drop(e);
}

static void
bl_unban(struct timer *t)
{
	struct bl_entry *e =
	    (struct bl_entry *)((char *)t - offsetof(struct bl_entry, unban_t));
	char ip[ADDR_STRLEN];

	addr_format(&e->ip, ip, sizeof(ip));
	fw_unban(&e->ip);
	nbans--;
	log_event("%s [%s] has been released from its null-route after %lu "
	          "total hits",
	    ip, e->host, (unsigned long)e->total_hits);
}

/* bl_ban - ban e until unban (never shortening a ban in force) */
static void
bl_ban(
    struct bl_entry *e, time_t now, time_t secs, const char *why, time_t spread)
{
	char ip[ADDR_STRLEN], dur[64], dur2[64], until[64];
	time_t unban;
	struct tm tm;
	bool fresh = !timer_armed(&e->unban_t);

	if (fresh && bl_cf->ban_escalate && e->bans > 0) {
		double f = pow(bl_cf->ban_escalate_factor, (double)e->bans);
		double s = (double)secs * f;

		secs = s > (double)bl_cf->ban_escalate_max
		    ? bl_cf->ban_escalate_max
		    : (time_t)s;
	}
	unban = now + secs;
	if (!fresh && unban <= e->unban)
		return;
	e->unban = unban;
	timer_set(&e->unban_t, unban, bl_unban);
	bl_arm(e);
	addr_format(&e->ip, ip, sizeof(ip));
	localtime_r(&unban, &tm);
	strftime(until, sizeof(until), "%b %e %H:%M:%S", &tm);
	if (fresh) {
		e->bans++;
		nbans++;
		fw_ban(&e->ip);
	}
	log_event("%s [%s] %s until %s (%s) for %s: %lu hits in %s, %lu total, "
	          "rate = %.6f",
	    ip, e->host, fresh ? "has been null-routed" : "null-route extended",
	    until, dur_format(secs, dur, sizeof(dur)), why,
	    (unsigned long)e->period_hits,
	    dur_format(spread, dur2, sizeof(dur2)),
	    (unsigned long)e->total_hits, e->freq);
	if ((long long)e->total_hits >= bl_cf->nullroute_alert_thresh &&
	    e->alerted != (time_t)e->bans) {
		struct alert_info ai;

		memset(&ai, 0, sizeof(ai));
		ai.ip = e->ip;
		snprintf(ai.host, sizeof(ai.host), "%s", e->host);
		ai.total_hits = e->total_hits;
		ai.period_hits = e->period_hits;
		ai.rate = e->freq;
		ai.hitspread = spread;
		ai.unban = unban;
		alert_send(bl_cf, &ai);
		e->alerted = (time_t)e->bans;
	}
}

/* bl_score - a repeat: the seed's period/frequency/threshold logic */
static void
bl_score(struct bl_entry *e, time_t now, const char *host)
{
	time_t prior = e->last, spread = now - prior;
	char ip[ADDR_STRLEN], dur[64];

	if (host != NULL && *host != '\0' && strcmp(host, e->host) != 0 &&
	    strcmp(host, "unknown") != 0) {
		free(e->host);
		e->host = xstrdup(host);
	}
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
	    addr_format(&e->ip, ip, sizeof(ip)), e->host,
	    (unsigned long)e->period_hits, (unsigned long)e->total_hits,
	    dur_format(spread, dur, sizeof(dur)), e->freq);
	if ((long long)e->total_hits > bl_cf->nullroute_msg_thresh)
		bl_ban(e, now, bl_cf->nullroute_msg_bansecs,
		    "too many attempts", spread);
	else if (e->freq > bl_cf->nullroute_freq_thresh)
		bl_ban(e, now, bl_cf->nullroute_freq_bansecs,
		    "attempts too frequent", spread);
	bl_arm(e);
	bl_changed(e, &e->ip);
}

void
bl_repeat(const struct addr *ip, time_t now, const char *host)
{
	struct bl_entry *e = iptab_get(tr.tab, ip);
	char buf[ADDR_STRLEN];

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
    const char *reason, time_t bansecs, const char *banwhy)
{
	struct bl_entry *e = iptab_get(tr.tab, ip);
	char buf[ADDR_STRLEN];

	addr_format(ip, buf, sizeof(buf));
	if (e != NULL) {
		log_info("%s [%s] has already been blacklisted by RBL [%s]; "
		         "counting a repeat",
		    buf, host, e->list);
		bl_score(e, now, host);
	} else {
		if ((long long)iptab_size(tr.tab) >= bl_cf->max_tracked_ips) {
			if (!cap_warned)
				log_warn("%s: not blacklisted: max_tracked_ips "
				         "(%lld) reached",
				    buf, bl_cf->max_tracked_ips);
			cap_warned = true;
			return;
		}
		cap_warned = false;
		e = xcalloc(1, sizeof(*e));
		e->ip = *ip;
		e->first = e->last = now;
		e->unban = -1;
		e->period_hits = e->total_hits = 1;
		e->host = xstrdup(host);
		e->list = xstrdup(list);
		e->reason = xstrdup(reason);
		iptab_put(tr.tab, e);
		bl_arm(e);
		bl_changed(e, ip);
		map_touch(bl_map);
		log_event("%s [%s] has been blacklisted by RBL [%s] for reason "
		          "[%s]",
		    buf, host, list, reason);
	}
	if (bansecs > 0) {
		bl_ban(e, now, bansecs, banwhy != NULL ? banwhy : "listing", 0);
		bl_changed(e, ip);
	}
}

bool
bl_listed(const struct addr *ip)
{
	return tr.tab != NULL && iptab_get(tr.tab, ip) != NULL;
}

bool
bl_banned(const struct addr *ip, time_t now)
{
	struct bl_entry *e = tr.tab != NULL ? iptab_get(tr.tab, ip) : NULL;

	return e != NULL && e->unban > now;
}

size_t
bl_count(void)
{
	return tr.tab != NULL ? iptab_size(tr.tab) : 0;
}

size_t
bl_bans(void)
{
	return nbans;
}

static void
bl_encode(const void *rec, struct rec_buf *w)
{
	const struct bl_entry *e = rec;

	w->n = 0;
	w->full = false;
	rec_u8(w, BL_VERSION);
	rec_i64(w, e->first);
	rec_i64(w, e->last);
	rec_i64(w, e->unban);
	rec_i64(w, e->alerted);
	rec_u32(w, e->period_hits);
	rec_u32(w, e->total_hits);
	rec_u32(w, e->bans);
	rec_f64(w, e->freq);
	rec_str(w, e->host);
	rec_str(w, e->list);
	rec_str(w, e->reason);
}

static int
bl_load_one(
    void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct rec_reader r = {val, vlen, 0, false};
	time_t now = *(time_t *)arg;
	struct bl_entry *e;
	struct addr ip;

	if (rec_key_addr(key, klen, &ip) < 0 || rec_get_u8(&r) != BL_VERSION)
		return -1;
	e = xcalloc(1, sizeof(*e));
	e->ip = ip;
	e->first = (time_t)rec_get_i64(&r);
	e->last = (time_t)rec_get_i64(&r);
	e->unban = (time_t)rec_get_i64(&r);
	e->alerted = (time_t)rec_get_i64(&r);
	e->period_hits = rec_get_u32(&r);
	e->total_hits = rec_get_u32(&r);
	e->bans = rec_get_u32(&r);
	e->freq = rec_get_f64(&r);
	e->host = rec_get_str(&r);
	e->list = rec_get_str(&r);
	e->reason = rec_get_str(&r);
	if (r.bad) {
		bl_free(e);
		return -1;
	}
	iptab_put(tr.tab, e);
	bl_arm(e);
	if (e->unban > now) {
		timer_set(&e->unban_t, e->unban, bl_unban);
		nbans++;
	}
	return 0;
}

int
bl_init(const struct conf *c, struct state *s, struct map *m)
{
	time_t now = clock_now();

	bl_cf = c;
	bl_map = m;
	track_init(&tr, bl_key, offsetof(struct bl_entry, dirty), bl_encode);
	if (track_open(&tr, s, "blacklist") < 0)
		return -1;
	if (state_load(tr.st, bl_load_one, &now) < 0)
		return -1;
	/* entries whose expiry passed while we were down go at the first tick */
	timer_run(now);
	log_info(
	    "%zu records in the blacklist, %zu null-routed", bl_count(), nbans);
	map_touch(m);
	if (fw_open(c) < 0)
		return -1;
	bl_reconcile();
	return 0;
}

void
bl_conf(const struct conf *c)
{
	bl_cf = c;
	if (fw_open(c) == 0)
		bl_reconcile();
}

bool
bl_dirty(void)
{
	return track_pending(&tr);
}

int
bl_sync(void)
{
	return track_sync(&tr);
}

void
bl_synced(void)
{
	track_synced(&tr);
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
			sub = e->reason, skip = 7;
		else if (strncmp(t, "$ip", 3) == 0)
			sub = addr_format(&e->ip, ip, sizeof(ip)), skip = 3;
		else if (strncmp(t, "$host", 5) == 0)
			sub = e->host, skip = 5;
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

	bl_text(e, val, sizeof(val));
	map_put(arg, addr_format(&e->ip, ip, sizeof(ip)), val);
}

void
bl_map_walk(void *arg, struct map_writer *w)
{
	UNUSED(arg);
	iptab_each(tr.tab, bl_put_one, w);
}

struct walk_ctx {
	void (*add)(void *ctx, const struct addr *a);
	void *ctx;
};

static void
bl_ban_one(void *arg, void *rec)
{
	struct walk_ctx *wc = arg;
	struct bl_entry *e = rec;

	if (timer_armed(&e->unban_t))
		wc->add(wc->ctx, &e->ip);
}

static void
bl_fw_walk(void *arg, void (*add)(void *ctx, const struct addr *a), void *ctx)
{
	struct walk_ctx wc = {add, ctx};

	UNUSED(arg);
	iptab_each(tr.tab, bl_ban_one, &wc);
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
	if (tr.tab == NULL)
		return;
	fw_close(bl_cf->nullroute_keep_on_exit);
	iptab_each(tr.tab, bl_free_one, NULL);
	track_fini(&tr);
	nbans = 0;
}

/* Admin and export interface (blacklist.h): appended for popauthctl (ctl.c). */

static void
bl_to_info(const struct bl_entry *e, bool banned, struct bl_info *bi)
{
	memset(bi, 0, sizeof(*bi));
	bi->ip = e->ip;
	bi->first = e->first;
	bi->last = e->last;
	bi->unban = e->unban;
	bi->alerted = e->alerted;
	bi->period_hits = e->period_hits;
	bi->total_hits = e->total_hits;
	bi->bans = e->bans;
	bi->freq = e->freq;
	bi->host = e->host;
	bi->list = e->list;
	bi->reason = e->reason;
	bi->banned = banned;
}

struct bl_each_ctx {
	bl_info_fn *fn;
	void *arg;
};

static void
bl_each_one(void *arg, void *rec)
{
	struct bl_each_ctx *ec = arg;
	struct bl_entry *e = rec;
	struct bl_info bi;

	bl_to_info(e, timer_armed(&e->unban_t), &bi);
	ec->fn(ec->arg, &bi);
}

void
bl_each(bl_info_fn *fn, void *arg)
{
	struct bl_each_ctx ec = {fn, arg};

	if (tr.tab != NULL)
		iptab_each(tr.tab, bl_each_one, &ec);
}

bool
bl_get(const struct addr *ip, bl_info_fn *fn, void *arg)
{
	struct bl_entry *e = tr.tab != NULL ? iptab_get(tr.tab, ip) : NULL;
	struct bl_info bi;

	if (e == NULL)
		return false;
	bl_to_info(e, timer_armed(&e->unban_t), &bi);
	fn(arg, &bi);
	return true;
}

int
bl_info_decode(const void *key, size_t klen, const void *val, size_t vlen,
    time_t now, bl_info_fn *fn, void *arg)
{
	/* the layout of bl_encode and bl_load_one */
	struct rec_reader r = {val, vlen, 0, false};
	struct bl_entry e;
	struct bl_info bi;

	memset(&e, 0, sizeof(e));
	if (rec_key_addr(key, klen, &e.ip) < 0 || rec_get_u8(&r) != BL_VERSION)
		return -1;
	e.first = (time_t)rec_get_i64(&r);
	e.last = (time_t)rec_get_i64(&r);
	e.unban = (time_t)rec_get_i64(&r);
	e.alerted = (time_t)rec_get_i64(&r);
	e.period_hits = rec_get_u32(&r);
	e.total_hits = rec_get_u32(&r);
	e.bans = rec_get_u32(&r);
	e.freq = rec_get_f64(&r);
	e.host = rec_get_str(&r);
	e.list = rec_get_str(&r);
	e.reason = rec_get_str(&r);
	if (!r.bad) {
		bl_to_info(&e, e.unban > now, &bi);
		fn(arg, &bi);
	}
	free(e.host);
	free(e.list);
	free(e.reason);
	return r.bad ? -1 : 0;
}

/* bl_from_info - a new entry (not in the table, no timers) copying bi */
static struct bl_entry *
bl_from_info(const struct bl_info *bi)
{
	struct bl_entry *e = xcalloc(1, sizeof(*e));

	e->ip = bi->ip;
	e->first = bi->first;
	e->last = bi->last;
	e->unban = bi->unban;
	e->alerted = bi->alerted;
	e->period_hits = (uint32_t)bi->period_hits;
	e->total_hits = (uint32_t)bi->total_hits;
	e->bans = (uint32_t)bi->bans;
	e->freq = bi->freq;
	e->host = xstrdup(bi->host);
	e->list = xstrdup(bi->list);
	e->reason = xstrdup(bi->reason);
	return e;
}

void
bl_info_encode(const struct bl_info *bi, struct rec_buf *w)
{
	struct bl_entry *e = bl_from_info(bi);

	bl_encode(e, w);
	bl_free(e);
}

bool
bl_restore(const struct bl_info *bi, time_t now)
{
	struct bl_entry *old = iptab_get(tr.tab, &bi->ip), *e;
	time_t base = bi->unban > bi->last ? bi->unban : bi->last;
	char ip[ADDR_STRLEN];

	if (base + bl_cf->rbl_cache_expire <= now)
		return false;
	e = bl_from_info(bi);
	if (old != NULL) {
		/* keep a ban in force when the new entry has one too: no gap */
		if (timer_armed(&old->unban_t) && e->unban > now) {
			timer_cancel(&old->unban_t);
			nbans--;
		} else if (timer_armed(&old->unban_t)) {
			fw_unban(&old->ip);
			timer_cancel(&old->unban_t);
			nbans--;
		}
		iptab_del(tr.tab, &old->ip);
		bl_free(old);
	}
	iptab_put(tr.tab, e);
	bl_arm(e);
	if (e->unban > now) {
		timer_set(&e->unban_t, e->unban, bl_unban);
		nbans++;
		fw_ban(&e->ip);
	}
	bl_changed(NULL, &e->ip);
	map_touch(bl_map);
	log_event("%s [%s] has been blacklisted by RBL [%s] for reason [%s] "
	          "(import)",
	    addr_format(&e->ip, ip, sizeof(ip)), e->host, e->list, e->reason);
	return true;
}

void
bl_admin_ban(const struct addr *ip, time_t now, time_t secs, const char *reason)
{
	struct bl_entry *e = iptab_get(tr.tab, ip);
	char buf[ADDR_STRLEN], dur[64];
	bool fresh;

	addr_format(ip, buf, sizeof(buf));
	if (e == NULL) {
		e = xcalloc(1, sizeof(*e));
		e->ip = *ip;
		e->first = e->last = now;
		e->unban = -1;
		e->period_hits = e->total_hits = 1;
		e->host = xstrdup("unknown");
		e->list = xstrdup(bl_cf->localhost_dns_name);
		e->reason = xstrdup(reason);
		iptab_put(tr.tab, e);
		map_touch(bl_map);
		log_event("%s [%s] has been blacklisted by RBL [%s] for reason "
		          "[%s]",
		    buf, e->host, e->list, e->reason);
	}
	fresh = !timer_armed(&e->unban_t);
	e->unban = now + secs;
	timer_set(&e->unban_t, e->unban, bl_unban);
	if (fresh) {
		e->bans++;
		nbans++;
		fw_ban(&e->ip);
	}
	bl_arm(e);
	bl_changed(e, ip);
	log_event("%s [%s] has been null-routed by the admin for %s: %s", buf,
	    e->host, dur_format(secs, dur, sizeof(dur)), reason);
}

bool
bl_admin_unban(const struct addr *ip, time_t now)
{
	struct bl_entry *e = tr.tab != NULL ? iptab_get(tr.tab, ip) : NULL;
	char buf[ADDR_STRLEN];

	if (e == NULL || !timer_armed(&e->unban_t))
		return false;
	timer_cancel(&e->unban_t);
	fw_unban(&e->ip);
	nbans--;
	e->unban = now;
	bl_arm(e);
	bl_changed(e, ip);
	log_event("%s [%s] has been released from its null-route by the admin",
	    addr_format(ip, buf, sizeof(buf)), e->host);
	return true;
}

bool
bl_delist(const struct addr *ip)
{
	struct bl_entry *e = tr.tab != NULL ? iptab_get(tr.tab, ip) : NULL;
	char buf[ADDR_STRLEN];

	if (e == NULL)
		return false;
	log_event("%s [%s] has been removed from the blacklist by the admin "
	          "(listed by %s)",
	    addr_format(ip, buf, sizeof(buf)), e->host, e->list);
	bl_drop(e);
	return true;
}

/* bl_collect - every listed address (collect, then apply) */
static void
bl_collect_one(void *arg, void *rec)
{
	struct addr **p = arg;

	*(*p)++ = ((struct bl_entry *)rec)->ip;
}

static struct addr *
bl_collect(size_t *n)
{
	struct addr *ips, *p;

	*n = bl_count();
	ips = p = xcalloc(*n, sizeof(*ips));
	if (*n > 0)
		iptab_each(tr.tab, bl_collect_one, &p);
	return ips;
}

size_t
bl_unban_all(time_t now)
{
	size_t i, n, k = 0;
	struct addr *ips = bl_collect(&n);

	for (i = 0; i < n; i++)
		if (bl_admin_unban(&ips[i], now))
			k++;
	free(ips);
	return k;
}

size_t
bl_flush(void)
{
	size_t i, n, k = 0;
	struct addr *ips = bl_collect(&n);

	for (i = 0; i < n; i++)
		if (bl_delist(&ips[i]))
			k++;
	free(ips);
	return k;
}

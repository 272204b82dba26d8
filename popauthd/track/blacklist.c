/*
 * blacklist.c - the local RBL cache as trigger.c and engine.c use it (see
 * blacklist.h): listings, repeats, state sync, the rbl_checks map and the
 * firewall's reconcile walk.
 *
 * Built on blacklist_entry.c (entries), blacklist_score.c (scoring, bans)
 * and blacklist_net.c (bounds: IPv6 /64 offenders, eviction).
 */
#include "blacklist.h"
#include "blacklist_entry_int.h"
#include "clock.h"
#include "cluster.h"
#include "fw.h"
#include "iptab.h"
#include "log.h"
#include "rec.h"
#include "track.h"
#include "util.h"
#include "v6net.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BL_QUOTE_MAX 2100 /* a quoted field of a log line */

static bool cap_warned;
static bool cap_warned;

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
		/* the "refused again" line bl_score writes says it with the count */
		log_debug("%s [%s] has already been blacklisted by RBL [%s]; "
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
		cluster_note(CL_LISTING, ip, e->last + bl_expiry(e), reason);
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
		wc->add(wc->ctx, &e->ip, bl_scope(e), e->unban);
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

/*
 * blacklist_entry.c - the blacklist's entries: memory, table, timers and
 * records (see blacklist_entry_int.h).
 *
 * The bottom of the blacklist: blacklist_score.c, blacklist_net.c,
 * blacklist.c and blacklist_admin.c build on it, it calls none of them.
 * An entry is one allocation with its host and reason inline and one timer:
 * while banned it waits for the unban, which always comes before the expiry
 * (that counts from the unban), then for the expiry.  Records in state start
 * with a version byte (2; version 1, without the ban kind, is still read).
 */
#include "blacklist_entry_int.h"
#include "clock.h"
#include "fw.h"
#include "iptab.h"
#include "log.h"
#include "rec.h"
#include "strpool.h"
#include "timer.h"
#include "track.h"
#include "util.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct track bl_tr; /* the entries by address, their change list */
struct map *bl_map;
const struct conf *bl_cf;
size_t bl_nbans;

#define BL_QUOTE_MAX 2100 /* a quoted field of a log line */

const struct addr *
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
struct bl_entry *
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

time_t
bl_expiry(const struct bl_entry *e)
{
	return e->list != NULL &&
	        strcmp(e->list, bl_cf->localhost_dns_name) == 0
	    ? bl_cf->local_listing_expire
	    : bl_cf->rbl_cache_expire;
}

void
bl_arm(struct bl_entry *e)
{
	time_t base = e->unban > e->last ? e->unban : e->last;

	/*
	 * both expiries > 0 (conf.c), so the unban is due first; our own
	 * verdicts (forgeries, fishing: listed by localhost_dns_name) last
	 * local_listing_expire, a DNSBL's answer rbl_cache_expire
	 */
	timer_set(&e->due, e->banned ? e->unban : base + bl_expiry(e), bl_due);
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

enum nullroute_scope
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

void
bl_encode(const void *rec, struct rec_buf *w)
{
	struct bl_info bi;

	bl_to_info(rec, &bi);
	bl_info_encode(&bi, w);
}
void
bl_to_info(const struct bl_entry *e, struct bl_info *bi)
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
	bi->host = bl_host(e);
	bi->list = e->list;
	bi->reason = bl_reason(e);
	bi->banned = e->banned;
	bi->ban_kind = (enum bl_ban_kind)e->ban_kind;
}

int
bl_info_decode(const void *key, size_t klen, const void *val, size_t vlen,
    time_t now, bl_info_fn *fn, void *arg)
{
	/* the one reader of the layout bl_info_encode writes */
	struct rec_reader r = {val, vlen, 0, false};
	struct bl_info bi;
	char *host, *list, *reason;
	uint8_t version;

	memset(&bi, 0, sizeof(bi));

	if (rec_key_addr(key, klen, &bi.ip) < 0)
		return -1;
	version = rec_get_u8(&r);
	if (version != 1 && version != BL_VERSION)
		return -1;
	bi.first = (time_t)rec_get_i64(&r);
	bi.last = (time_t)rec_get_i64(&r);
	bi.unban = (time_t)rec_get_i64(&r);
	bi.alerted = (time_t)rec_get_i64(&r);
	bi.period_hits = rec_get_u32(&r);
	bi.total_hits = rec_get_u32(&r);
	bi.bans = rec_get_u32(&r);
	bi.freq = rec_get_f64(&r);
	bi.host = host = rec_get_str(&r);
	bi.list = list = rec_get_str(&r);
	bi.reason = reason = rec_get_str(&r);
	if (version >= 2) {
		bi.ban_kind = (enum bl_ban_kind)rec_get_u8(&r);
		if (bi.ban_kind > BL_BAN_SPAMCOP)
			r.bad = true;
	}
	bi.banned = bi.unban > now;
	if (!r.bad)
		fn(arg, &bi);
	free(host);
	free(list);
	free(reason);
	return r.bad ? -1 : 0;
}

struct bl_entry *
bl_from_info(const struct bl_info *bi)
{
	struct bl_entry *e = bl_new(&bi->ip, bi->host, bi->list, bi->reason);

	e->first = bi->first;
	e->last = bi->last;
	e->unban = bi->unban;
	e->alerted = bi->alerted;
	e->period_hits = (uint32_t)bi->period_hits;
	e->total_hits = (uint32_t)bi->total_hits;
	e->bans = (uint32_t)bi->bans;
	e->freq = bi->freq;
	e->ban_kind = (uint8_t)bi->ban_kind;
	return e;
}

void
bl_info_encode(const struct bl_info *bi, struct rec_buf *w)
{
	/* the one writer of the record layout; state files depend on it */
	w->n = 0;
	w->full = false;
	rec_u8(w, BL_VERSION);
	rec_i64(w, bi->first);
	rec_i64(w, bi->last);
	rec_i64(w, bi->unban);
	rec_i64(w, bi->alerted);
	rec_u32(w, (uint32_t)bi->period_hits);
	rec_u32(w, (uint32_t)bi->total_hits);
	rec_u32(w, (uint32_t)bi->bans);
	rec_f64(w, bi->freq);
	rec_str(w, bi->host);
	rec_str(w, bi->list);
	rec_str(w, bi->reason);
	rec_u8(w, (uint8_t)bi->ban_kind);
}

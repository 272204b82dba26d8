/*
 * blacklist_admin.c - what an admin does to the blacklist through popauthctl:
 * list, show, ban, unban, delist, flush, and restore from an export.
 *
 * For ctl_cmd.c (the daemon side of the control socket) and ctl_offline.c.
 * Every change goes through the same change list and map as the tracker's own,
 * so it reaches state, Postfix and the firewall at the next commit.
 */
#include "blacklist_int.h"
#include "clock.h"
#include "fw.h"
#include "iptab.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

	bl_to_info(e, &bi);
	ec->fn(ec->arg, &bi);
}

void
bl_each(bl_info_fn *fn, void *arg)
{
	struct bl_each_ctx ec = {fn, arg};

	if (bl_tr.tab != NULL)
		iptab_each(bl_tr.tab, bl_each_one, &ec);
}

bool
bl_get(const struct addr *ip, bl_info_fn *fn, void *arg)
{
	struct bl_entry *e =
	    bl_tr.tab != NULL ? iptab_get(bl_tr.tab, ip) : NULL;
	struct bl_info bi;

	if (e == NULL)
		return false;
	bl_to_info(e, &bi);
	fn(arg, &bi);
	return true;
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

bool
bl_restore(const struct bl_info *bi, time_t now)
{
	struct bl_entry *old = iptab_get(bl_tr.tab, &bi->ip), *e;
	time_t base = bi->unban > bi->last ? bi->unban : bi->last;
	char ip[ADDR_STRLEN];

	if (base + bl_cf->rbl_cache_expire <= now)
		return false;
	e = bl_from_info(bi);
	if (old != NULL) {
		/* keep a ban in force when the new entry has one too: no gap */
		if (old->banned && e->unban <= now)
			fw_unban(&old->ip);
		if (old->banned)
			bl_nbans--;
		iptab_del(bl_tr.tab, &old->ip);
		bl_free(old);
	}
	iptab_put(bl_tr.tab, e);
	e->banned = e->unban > now;
	if (e->banned) {
		bl_nbans++;
		fw_ban(&e->ip, bl_scope(e));
	}
	bl_arm(e);
	bl_changed(NULL, &e->ip);
	map_change(bl_map, &e->ip);
	log_event("%s [%s] has been blacklisted by RBL [%s] for reason [%s] "
	          "(import)",
	    addr_format(&e->ip, ip, sizeof(ip)), bl_host(e), e->list,
	    bl_reason(e));
	return true;
}

void
bl_admin_ban(const struct addr *ip, time_t now, time_t secs, const char *reason)
{
	struct bl_entry *e = iptab_get(bl_tr.tab, ip);
	char buf[ADDR_STRLEN], dur[64];
	bool fresh;

	addr_format(ip, buf, sizeof(buf));
	if (e == NULL) {
		e = bl_new(ip, "unknown", bl_cf->localhost_dns_name, reason);
		e->first = e->last = now;
		e->unban = -1;
		e->period_hits = e->total_hits = 1;
		iptab_put(bl_tr.tab, e);
		map_change(bl_map, ip);
		log_event("%s [%s] has been blacklisted by RBL [%s] for reason "
		          "[%s]",
		    buf, bl_host(e), e->list, bl_reason(e));
	}
	fresh = !e->banned;
	e->unban = now + secs;
	e->banned = true;
	e->ban_kind = BL_BAN_NULLROUTE; /* the admin's: nullroute_scope */
	if (fresh) {
		e->bans++;
		bl_nbans++;
	}
	fw_ban(&e->ip, bl_scope(e)); /* also widens a port-25-only ban */
	bl_arm(e);
	bl_changed(e, ip);
	log_event("%s [%s] has been null-routed by the admin for %s: %s", buf,
	    bl_host(e), dur_format(secs, dur, sizeof(dur)), reason);
}

bool
bl_admin_unban(const struct addr *ip, time_t now)
{
	struct bl_entry *e =
	    bl_tr.tab != NULL ? iptab_get(bl_tr.tab, ip) : NULL;
	char buf[ADDR_STRLEN];

	if (e == NULL || !e->banned)
		return false;
	e->banned = false;
	fw_unban(&e->ip);
	bl_nbans--;
	e->unban = now;
	bl_arm(e);
	bl_changed(e, ip);
	log_event("%s [%s] has been released from its null-route by the admin",
	    addr_format(ip, buf, sizeof(buf)), bl_host(e));
	return true;
}

bool
bl_delist(const struct addr *ip)
{
	struct bl_entry *e =
	    bl_tr.tab != NULL ? iptab_get(bl_tr.tab, ip) : NULL;
	char buf[ADDR_STRLEN];

	if (e == NULL)
		return false;
	log_event("%s [%s] has been removed from the blacklist by the admin "
	          "(listed by %s)",
	    addr_format(ip, buf, sizeof(buf)), bl_host(e), e->list);
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
		iptab_each(bl_tr.tab, bl_collect_one, &p);
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

/*
 * blacklist_admin.c - what an admin does to the blacklist through popauthctl:
 * list, show, ban, unban, delist, flush, and restore from an export.
 *
 * For ctl_cmd.c (the daemon side of the control socket) and ctl_offline.c.
 * Every change goes through the same change list and map as the tracker's own,
 * so it reaches state, Postfix and the firewall at the next commit.
 */
#include "blacklist.h"
#include "blacklist_entry_int.h"
#include "clock.h"
#include "cluster.h"
#include "fw.h"
#include "iptab.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

bool
bl_restore(const struct bl_info *bi, time_t now)
{
	struct bl_entry *old = iptab_get(bl_tr.tab, &bi->ip), *e;
	time_t base = bi->unban > bi->last ? bi->unban : bi->last;
	char ip[ADDR_STRLEN];

	e = bl_from_info(bi);
	if (base + bl_expiry(e) <= now) {
		bl_free(e);
		return false;
	}
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
		fw_ban(&e->ip, bl_scope(e), e->unban);
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
		cluster_note(CL_LISTING, ip, now + bl_expiry(e), reason);
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
	fw_ban(
	    &e->ip, bl_scope(e), e->unban); /* also widens a port-25-only ban */
	bl_arm(e);
	bl_changed(e, ip);
	cluster_note(CL_BAN, ip, e->unban, reason);
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
	cluster_note(CL_UNBAN, ip, -1, NULL);
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
	cluster_note(CL_DELIST, ip, -1, NULL);
	return true;
}

bool
bl_remote_list(const struct addr *ip, time_t now, time_t at, time_t until,
    const char *node, const char *reason)
{
	struct bl_entry *e = iptab_get(bl_tr.tab, ip);
	char buf[ADDR_STRLEN];

	/* listed here already: our own entry and its counts stand */
	if (e != NULL || until <= now || !bl_make_room(now))
		return false;
	e = bl_new(ip, "unknown", node, reason);
	e->unban = -1;
	e->period_hits = e->total_hits = 1;
	/*
	 * last hit: when it was decided (a delist made after that beats it),
	 * earlier if the deciding node's expiry is shorter than ours
	 */
	e->last = at < now ? at : now;
	if (until - bl_expiry(e) < e->last)
		e->last = until - bl_expiry(e);
	e->first = e->last;
	iptab_put(bl_tr.tab, e);
	bl_arm(e);
	bl_changed(e, ip);
	map_change(bl_map, ip);
	log_event(
	    "%s [%s] has been blacklisted by cluster node [%s] for reason "
	    "[%s]",
	    addr_format(ip, buf, sizeof(buf)), bl_host(e), node, bl_reason(e));
	return true;
}

bool
bl_remote_ban(const struct addr *ip, time_t now, time_t at, time_t until,
    const char *node, const char *reason)
{
	struct bl_entry *e = iptab_get(bl_tr.tab, ip);
	char buf[ADDR_STRLEN], dur[64];
	bool fresh;

	if (until <= now || (e != NULL && e->banned && e->unban >= until))
		return false; /* the later unban wins: ours already is */
	if (e == NULL &&
	    (!bl_remote_list(ip, now, at, until, node, reason) ||
	        (e = iptab_get(bl_tr.tab, ip)) == NULL))
		return false;
	fresh = !e->banned;
	e->unban = until;
	e->banned = true;
	if (fresh) {
		e->ban_kind = BL_BAN_NULLROUTE;
		e->bans++;
		bl_nbans++;
	}
	fw_ban(&e->ip, bl_scope(e), e->unban);
	bl_arm(e);
	bl_changed(e, ip);
	log_event("%s [%s] has been %s by cluster node %s for %s: %s",
	    addr_format(ip, buf, sizeof(buf)), bl_host(e),
	    bl_cf->firewall_backend == FW_NONE
	        ? "banned (not null-routed: firewall_backend = none)"
	        : "null-routed",
	    node, dur_format(until - now, dur, sizeof(dur)), reason);
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

/*
 * blacklist.h - the local RBL cache / blacklist, repeat scoring and bans.
 *
 * For trigger.c (events), fish.c (fishing listings) and engine.c (commit, map).
 * Per IP the seed's rbl_cache fields: first hit, last hit, unban time (or none),
 * period hits, total hits, frequency, host name, list (authority), reason.  The
 * rbl_checks map holds "IP 554 5.7.1 <template>" for every entry.  A ban is an
 * unban time in state whatever the firewall backend; fw.c makes it a kernel drop
 * and alert.c tells the admin.  Entries expire rbl_cache_expire after the later
 * of their last hit and unban time.  A ban's kind picks its firewall scope, so
 * the defaults drop what each seed dropped: popauth's null-routes everything
 * (nullroute_scope), blocksmtp's guessers and the spamcop script's rejects
 * port 25 only (sendmail_ban_scope, spamcop_ban_scope).
 */
#ifndef POPAUTHD_BLACKLIST_H
#define POPAUTHD_BLACKLIST_H

#include "addr.h"
#include "blacklist_entry.h"
#include "blacklist_net.h"
#include "conf.h"
#include "map.h"
#include "state.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* bl_init - load entries from state, arm expiry/unban timers; 0 or -1 */
int bl_init(const struct conf *c, struct state *s, struct map *m);
/* bl_conf - take a reloaded conf */
void bl_conf(const struct conf *c);
/*
 * bl_list - list ip (host, list and reason already escaped) at now; an ip that
 * is listed already counts as a repeat instead.  bansecs > 0 also bans it for
 * that long, for the reason banwhy ("address fishing") in the log, with the
 * firewall scope of kind.
 */
void bl_list(const struct addr *ip, time_t now, const char *host,
    const char *list, const char *reason, time_t bansecs, const char *banwhy,
    enum bl_ban_kind kind);
/* bl_repeat - a listed ip came back (Postfix refused it through rbl_checks) */
void bl_repeat(const struct addr *ip, time_t now, const char *host);
/* bl_listed - true if ip is in the blacklist */
bool bl_listed(const struct addr *ip);
/* bl_banned - true if ip is banned at now */
bool bl_banned(const struct addr *ip, time_t now);
/* bl_count - entries; bl_bans - active bans */
size_t bl_count(void);
size_t bl_bans(void);
/* bl_dirty - true when records wait for bl_sync */
bool bl_dirty(void);
/* bl_sync - write changed records into the open state transaction; 0 or -1 */
int bl_sync(void);
/* bl_synced - the transaction committed */
void bl_synced(void);
/* bl_map_value - map_value_fn: a's "554 5.7.1 text", NULL when not listed */
const char *bl_map_value(const struct addr *a, char *buf, size_t size);
/* bl_map_walk - map_walk_fn writing "IP 554 5.7.1 text" for every entry */
void bl_map_walk(void *arg, struct map_writer *w);
/* bl_reconcile - make the firewall match the active bans */
void bl_reconcile(void);
/* bl_fini - free everything */
void bl_fini(void);

/*
 * Admin and export interface (popauthctl through ctl.c, export.c).  A bl_info
 * borrows the tracker's strings until the next bl_ call (struct bl_info:
 * blacklist_entry.h).
 */

/* bl_each - fn for every entry */
void bl_each(bl_info_fn *fn, void *arg);
/* bl_get - fn for ip's entry; false when not listed */
bool bl_get(const struct addr *ip, bl_info_fn *fn, void *arg);
/* bl_restore - replace ip's entry with bi (import); false if already expired */
bool bl_restore(const struct bl_info *bi, time_t now);
/*
 * bl_admin_ban - the admin bans ip until now+secs (exactly: shortens or
 * extends a ban in force); an ip not listed yet is listed first with
 * localhost_dns_name as authority and reason (escaped) as reason
 */
void bl_admin_ban(
    const struct addr *ip, time_t now, time_t secs, const char *reason);
/* bl_admin_unban - lift ip's ban now, the entry stays listed; false if not banned */
bool bl_admin_unban(const struct addr *ip, time_t now);
/* bl_delist - remove ip from the blacklist (and its ban); false if not listed */
bool bl_delist(const struct addr *ip);
/*
 * bl_remote_list - cluster node (a checked name) listed ip at time at until
 * (local clock); an ip listed here already keeps its entry; true if listed
 */
bool bl_remote_list(const struct addr *ip, time_t now, time_t at, time_t until,
    const char *node, const char *reason);
/*
 * bl_remote_ban - cluster node banned ip until: never shortens a ban in
 * force (the later unban wins), lists ip first when needed; true if changed
 */
bool bl_remote_ban(const struct addr *ip, time_t now, time_t at, time_t until,
    const char *node, const char *reason);
/* bl_unban_all - lift every ban in force; returns how many */
size_t bl_unban_all(time_t now);
/* bl_flush - remove every entry (and ban); returns how many */
size_t bl_flush(void);

#endif

/*
 * blacklist_entry_int.h - what the blacklist's own files share: the entry
 * in memory (blacklist_entry.c), scoring and bans (blacklist_score.c), the
 * bounds (blacklist_net.c), for blacklist.c (the tracker: listing, the map)
 * and blacklist_admin.c (what popauthctl does to it).  Private to them.
 * Calls run blacklist.c -> score, net -> entry, never back.
 */
#ifndef POPAUTHD_BLACKLIST_ENTRY_INT_H
#define POPAUTHD_BLACKLIST_ENTRY_INT_H

#include "blacklist_entry.h"
#include "conf.h"
#include "map.h"
#include "rec.h"
#include "timer.h"
#include "track.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define BL_VERSION  2   /* 2: ban_kind appended; 1 is still read */
#define BL_TEXT_MAX 400 /* Postfix replies stay well under 512 bytes */

/*
 * A million of these are most of the daemon's memory: one allocation each,
 * 104 bytes and the strings (128 with malloc's overhead for "unknown" and no
 * reason), fields ordered to leave no holes; the list name is shared.  The
 * strings sit at the end, so a new host name moves the entry (bl_rehost).
 */
struct bl_entry {
	struct addr ip;
	bool dirty;
	bool banned;               /* a ban in force: fw_ban'd, in bl_nbans */
	uint8_t ban_kind;          /* enum bl_ban_kind of the last ban */
	uint32_t period_hits;      /* here to fill the hole after ip */
	time_t first, last, unban; /* unban -1: never banned */
	time_t alerted;            /* number of the ban we mailed about */
	double freq;
	uint32_t total_hits, bans;
	const char *list; /* strpool.h: shared, one reference */
	struct timer due; /* the unban while banned, else the expiry */
	char strs[];      /* host, NUL, reason, NUL: bl_host(), bl_reason() */
};

extern struct track bl_tr; /* the entries by address, their change list */
extern struct map *bl_map;
extern const struct conf *bl_cf;
extern size_t bl_nbans; /* active bans */

/* bl_host - e's host name (escaped), borrowed */
static inline const char *
bl_host(const struct bl_entry *e)
{
	return e->strs;
}

/* bl_reason - e's reason (escaped), borrowed */
static inline const char *
bl_reason(const struct bl_entry *e)
{
	return e->strs + strlen(e->strs) + 1;
}

/* bl_scope - the firewall scope of e's ban under the current conf */
enum nullroute_scope bl_scope(const struct bl_entry *e);
/* bl_new - an entry for ip listed by list, counts zero, not in the table yet */
struct bl_entry *bl_new(const struct addr *ip, const char *host,
    const char *list, const char *reason);
/*
 * bl_arm - (re)arm e's timer: at the unban while banned, else at the expiry,
 * rbl_cache_expire after max(last, unban)
 */
void bl_arm(struct bl_entry *e);
/* bl_changed - e (or, with e NULL, the removed ip) must be written to state */
void bl_changed(struct bl_entry *e, const struct addr *ip);
/* bl_key - iptab_key_fn of an entry */
const struct addr *bl_key(const void *rec);
/*
 * bl_rehost - a copy of e with host in place of its own; the table and the
 * timer heap follow the copy, and e is gone
 */
struct bl_entry *bl_rehost(struct bl_entry *e, const char *host);
/* bl_kind_scope - the firewall scope of a ban of kind under the conf */
enum nullroute_scope bl_kind_scope(enum bl_ban_kind kind);
/* bl_expiry - how long e stays listed after its last hit or unban */
time_t bl_expiry(const struct bl_entry *e);
/* bl_drop - remove e from the table, lifting its ban; the caller logs */
void bl_drop(struct bl_entry *e);
/*
 * bl_score - a repeat: the seed's period/frequency/threshold logic, banning
 * when a threshold is passed; returns e, which has moved when host (NULL:
 * keep) is a new name for it
 */
struct bl_entry *bl_score(struct bl_entry *e, time_t now, const char *host);
/* bl_ban - ban e for secs (never shortening a ban in force) */
void bl_ban(struct bl_entry *e, time_t now, time_t secs, const char *why,
    time_t spread, enum bl_ban_kind kind);

/* blacklist_net.c: the table's bounds */
/* bl_net_covering - the /64 entry that covers IPv6 ip, or NULL */
struct bl_entry *bl_net_covering(const struct addr *ip);
/*
 * bl_net_note - IPv6 ip was just listed: count it on its /64, and list the
 * /64 as one offender once ipv6_prefix_listing of its addresses were
 */
void bl_net_note(const struct addr *ip, time_t now, const char *list);
/*
 * bl_make_room - true when a new entry fits under max_tracked_ips, after
 * evicting the least valuable one if needed (oldest last hit, fewest hits,
 * never a banned one); false (counted) when only banned ones are left
 */
bool bl_make_room(time_t now);
/* bl_to_info - e as the admin and export interface see it */
void bl_to_info(const struct bl_entry *e, struct bl_info *bi);
/* bl_from_info - a new entry copying bi, not in the table, no timers */
struct bl_entry *bl_from_info(const struct bl_info *bi);
/* bl_encode - track_encode_fn for an entry (bl_info_encode's layout) */
void bl_encode(const void *rec, struct rec_buf *w);
/* bl_free - cancel e's timer and free it (not in the table any more) */
void bl_free(struct bl_entry *e);
/* bl_load_one - state_load_fn for a stored entry (arg: time_t *now) */
int bl_load_one(
    void *arg, const void *key, size_t klen, const void *val, size_t vlen);

#endif

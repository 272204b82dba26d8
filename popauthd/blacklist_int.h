/*
 * blacklist_int.h - shared by blacklist.c (the tracker: listing, scoring,
 * bans, the map) and blacklist_admin.c (what popauthctl does to it: list,
 * show, ban, unban, delist, flush, restore).  Private to those two files.
 */
#ifndef POPAUTHD_BLACKLIST_INT_H
#define POPAUTHD_BLACKLIST_INT_H

#include "blacklist.h"
#include "rec.h"
#include "timer.h"
#include "track.h"

#include <stdbool.h>
#include <stdint.h>

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

extern struct track bl_tr; /* the entries by address, their change list */
extern struct map *bl_map;
extern const struct conf *bl_cf;
extern size_t bl_nbans; /* active bans */

/* bl_arm - (re)arm e's expiry: rbl_cache_expire after max(last, unban) */
void bl_arm(struct bl_entry *e);
/* bl_changed - e (or, with e NULL, the removed ip) must be written to state */
void bl_changed(struct bl_entry *e, const struct addr *ip);
/* bl_drop - remove e from the table, lifting its ban; the caller logs */
void bl_drop(struct bl_entry *e);
/* bl_encode - track_encode_fn for an entry */
void bl_encode(const void *rec, struct rec_buf *w);
/* bl_free - cancel e's timers and free it (not in the table any more) */
void bl_free(struct bl_entry *e);
/* bl_unban - timer_fn lifting e's ban */
void bl_unban(struct timer *t);
/* bl_load_one - state_load_fn for a stored entry (arg: time_t *now) */
int bl_load_one(
    void *arg, const void *key, size_t klen, const void *val, size_t vlen);

#endif

/*
 * track.h - what every tracker shares: its records by client address, and the
 * addresses changed since the last state commit.
 *
 * For grant.c, blacklist.c, fish.c, sendmail.c, greytrap.c.  A tracker marks a
 * record changed (or, after removing it, its address); at the end of the tick
 * engine.c calls X_sync, which writes each changed record with the tracker's
 * encoder (or deletes its key when the record is gone) into the open
 * transaction, and X_synced once the commit held.  A failed commit keeps the
 * list, so the next tick writes it again.  Records start with nothing in
 * particular; the track knows where their "dirty" flag lives.
 */
#ifndef POPAUTHD_TRACK_H
#define POPAUTHD_TRACK_H

#include "addr.h"
#include "iptab.h"
#include "rec.h"
#include "state.h"

#include <stdbool.h>
#include <stddef.h>

typedef void track_encode_fn(const void *rec, struct rec_buf *w);

struct track {
	struct iptab *tab; /* the records, owned by the tracker */
	struct state_table *st;
	size_t dirty_off; /* offsetof(record, its bool dirty) */
	track_encode_fn *encode;
	struct addr *changed;
	size_t n, cap;
};

/* track_init - empty table; records keep a bool at dirty_off */
void track_init(struct track *t, iptab_key_fn *key, size_t dirty_off,
    track_encode_fn *encode);
/* track_open - open the tracker's state table NAME; 0 or -1 (logged) */
int track_open(struct track *t, struct state *s, const char *name);
/* track_changed - rec (or, when rec is NULL, the removed ip) must be written */
void track_changed(struct track *t, void *rec, const struct addr *ip);
/* track_pending - true when changes wait for track_sync */
bool track_pending(const struct track *t);
/* track_sync - write every change into the open transaction; 0 or -1 */
int track_sync(struct track *t);
/* track_synced - the commit held: forget the changes */
void track_synced(struct track *t);
/* track_fini - free the table and the list (not the records) */
void track_fini(struct track *t);

#endif

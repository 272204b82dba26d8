/*
 * map.h - the Postfix tables popauthd writes (popauth_checks, rbl_checks).
 *
 * For grant.c and blacklist.c through engine.c.  The trackers own the data; a map
 * only knows whether it is dirty and how to write a complete new table from a
 * walk of a tracker, beside the old one, renamed over it
 * (../shared/ref/postfix-maps.md rule 5), so smtpd never reads half a table and
 * notices the change by st_nlink == 0.  Keys and values carry their trailing NUL;
 * keys are lower case.  Errors are logged; the map stays dirty and the next flush
 * retries.  An lmdb: table is instead changed in place, one write transaction
 * per flush (map_in_place), which Postfix readers see whole or not at all.
 */
#ifndef POPAUTHD_MAP_H
#define POPAUTHD_MAP_H

#include "addr.h"
#include "map_core.h"
#include "map_file.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * map_open - take over DIR/NAME.db (type "hash") or DIR/NAME.lmdb ("lmdb"):
 * create DIR if missing, remove our leftover temporary files, and create a
 * valid empty table if the file is missing or empty.  NULL (logged) when
 * DIR is unusable.  Caller owns; map_close().
 */
struct map *map_open(const char *dir, const char *name, const char *type);
/* map_close - release (the file stays: Postfix keeps reading it) */
void map_close(struct map *m);
/* map_path - "DIR/NAME.db" or "DIR/NAME.lmdb" for messages */
const char *map_path(const struct map *m);
/*
 * map_set_value_fn - let the next flushes write only what changed: a copy of
 * the live file with the changed keys put or deleted, renamed over it like a
 * full rewrite (a 1000-record table: ~1 ms instead of ~2.3 ms, growing with
 * the file's size in bytes, not with libdb's work per record).
 */
void map_set_value_fn(struct map *m, map_value_fn *value);
/* map_change - a's record changed (or went); as map_touch without a value fn */
void map_change(struct map *m, const struct addr *a);
/* map_dirty - true when a rewrite is pending */
bool map_dirty(const struct map *m);
/*
 * map_changes - how many changes were made so far; map_holds - true once
 * the table Postfix reads holds every change up to that number (so an
 * event line is logged only when Postfix can see what it says)
 */
unsigned long long map_changes(const struct map *m);
bool map_holds(const struct map *m, unsigned long long change);
/*
 * map_in_place - true when a flush changes the live table in place (lmdb:):
 * Postfix does not restart on a change, so there is nothing to coalesce
 */
bool map_in_place(const struct map *m);
/* map_check - true (and dirty) if the file was removed, emptied or replaced by hand */
bool map_check(struct map *m);
/* map_flush - write the table from walk(arg) and rename it into place; 0 or -1 */
int map_flush(struct map *m, map_walk_fn *walk, void *arg);
/*
 * map_delta_cheap - a delta flush of a table this small (16 MiB) is quick
 * enough for the loop; a bigger one copies in a child like a full rewrite
 */
bool map_delta_cheap(const struct map *m);
/* map_size_hint - about n records: size the hash and the build cache for it */
void map_size_hint(struct map *m, size_t n);
/*
 * map_sync - an in-place table: fsync the writes so far (they are visible
 * and survive a kill -9 before that); a rewritten one was synced before its
 * rename.  NULL is fine.  0 or -1 (logged)
 */
int map_sync(struct map *m);
/* map_flushes - how many rewrites this map has had (status, tests) */
unsigned long long map_flushes(const struct map *m);

#endif

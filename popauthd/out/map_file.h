/*
 * map_file.h - the rewritten kinds' files (map_file.c): a flush in a child
 * process, and waiting for it.
 *
 * Through map.h for engine/mapflush.c; map_file_flush and map_file_cleanup
 * are for map.c only.
 */
#ifndef POPAUTHD_MAP_FILE_H
#define POPAUTHD_MAP_FILE_H

#include "map_core.h"

#include <stdbool.h>

/*
 * map_flush_bg - map_flush in a child process, so a big table never stalls
 * the loop; the map counts as written from now (later changes make it dirty
 * again).  0 started; -1: could not fork, flush inline instead.
 */
int map_flush_bg(struct map *m, map_walk_fn *walk, void *arg);
/* map_busy - true while a background flush runs */
bool map_busy(const struct map *m);
/* map_poll - reap a finished background flush: 1 written, -1 failed (dirty again), 0 still running */
int map_poll(struct map *m);
/* map_wait - wait for a background flush; as map_poll */
int map_wait(struct map *m);

struct map;
/* map_file_cleanup - remove our leftovers: NAME.db.tmp.*, __db.NAME.db.tmp.* */
void map_file_cleanup(struct map *m);
/* map_file_flush - a rewrite kind's flush: a delta when ready, else full */
int map_file_flush(struct map *m, map_walk_fn *walk, void *arg);

#endif

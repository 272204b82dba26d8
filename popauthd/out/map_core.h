/*
 * map_core.h - what every kind of table shares (map_core.c): the records a
 * flush writes, and the change bookkeeping.
 *
 * Through map.h for the trackers' walks; alone for map_file.c and the
 * private map_core_int.h, which sit below map.c.
 */
#ifndef POPAUTHD_MAP_CORE_H
#define POPAUTHD_MAP_CORE_H

#include "addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct map;
struct map_writer;

/* map_walk_fn - emit every record of the table through map_put(w, ...) */
typedef void map_walk_fn(void *arg, struct map_writer *w);
/* map_value_fn - the value for a's key now (in buf or static), NULL: no record */
typedef const char *map_value_fn(const struct addr *a, char *buf, size_t size);

/* map_touch - the content changed; the next flush rewrites the whole table */
void map_touch(struct map *m);
/* map_put - one record during a flush; key and value are C strings */
void map_put(struct map_writer *w, const char *key, const char *value);
/*
 * map_addr_order - for iptab_each_ordered during a flush (w: the writer):
 * the hash bucket, as libdb's default hash places the key of a, folded to
 * the new table's expected size.  Records put in this order fill the file's
 * pages one after another, so a 1M-record table is written with a cache of
 * a few MiB instead of one that holds the whole file.
 */
uint32_t map_addr_order(void *w, const struct addr *a);
/* map_delta_ready - the next flush writes only the changes */
bool map_delta_ready(const struct map *m);

#endif

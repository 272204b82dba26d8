/*
 * map_core_int.h - what map.c, map_core.c and map_file.c share (not for others).
 *
 * struct map is one table: its backend, its change list and its change
 * numbers (map.h); struct map_writer is one flush under way.  map_core.c
 * keeps the state every kind shares, map_file.c the rewrite kinds' files
 * (temporary file, copy, rename, background child), map.c the rest and the
 * in-place kinds.  Calls run map.c -> map_file.c -> map_core.c, never back.
 */
#ifndef POPAUTHD_MAP_CORE_INT_H
#define POPAUTHD_MAP_CORE_INT_H

#include "map_core.h"
#include "map_be.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* changes kept for a delta flush; beyond this a full rewrite is cheaper */
#define MAP_DELTA_MAX 4096
/* a delta copies the live file: above this, in a child (map_delta_cheap) */
#define MAP_DELTA_INLINE_MAX (16 * 1024 * 1024)
/* changes kept for an in-place flush: each costs one put, whatever the size */
#define MAP_INPLACE_MAX (1024 * 1024)
/* an in-place transaction tried again this often after MDB_MAP_FULL */
#define MAP_GROW_TRIES 8

struct map {
	const struct map_backend *be;
	char *dir;
	char *name;
	char *path; /* DIR/NAME.db or DIR/NAME.lmdb */
	void *live; /* an in-place kind's attached table */
	dev_t dev;  /* ... and the file it has open */
	ino_t ino;
	bool dirty;
	bool full;            /* the next flush rewrites everything */
	map_value_fn *value;  /* NULL: every flush is a full rewrite */
	struct addr *changed; /* since the last flush, when !full */
	size_t nchanged, capchanged;
	size_t since_full;  /* delta ops since the last full rewrite */
	size_t child_delta; /* a background delta of this many changes, or 0 */
	size_t hint;        /* records expected in the next flush */
	pid_t child;        /* a background flush, or 0 */
	unsigned long long flushes, seq;
	/* change numbers: made so far, in the table on disk, in the child's */
	unsigned long long changes, visible, child_changes;
};

struct map_writer {
	const struct map_backend *be;
	void *h; /* the backend's open table */
	const char *tmp;
	int err;
	size_t n;
	uint32_t order_mask; /* see map_addr_order */
};

/* map_flushed - the table Postfix reads now holds every change (full: all) */
void map_flushed(struct map *m, bool full);
/* map_writer_del - remove key during a delta flush (absent is fine) */
void map_writer_del(struct map_writer *w, const char *key);

#endif

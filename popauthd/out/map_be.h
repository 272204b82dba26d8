/*
 * map_be.h - one kind of Postfix table on disk, as map.c writes it.
 *
 * For map.c and its backends (map_hash.c: Berkeley DB hash:, the tables
 * Postfix opens with hash:; an lmdb: backend is the next one).  map.c does
 * everything that is the same for every kind: the change list, the
 * temporary file beside the table, the copy for a delta, the rename, the
 * background child.  A backend only opens a table file, puts and deletes
 * keys, syncs and closes it, and says in which order records go in fastest.
 * Every call logs its own errors, naming the file.
 */
#ifndef POPAUTHD_MAP_BE_H
#define POPAUTHD_MAP_BE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct map_backend {
	const char *type;   /* "hash": what main.cf names it */
	const char *suffix; /* ".db": NAME + suffix is the file */
	/* open: a new file (create) or a copy already at path; NULL on error */
	void *(*open)(const char *path, size_t cache, bool create);
	/* put, del: 0, or an error code (logged); del of an absent key is 0 */
	int (*put)(
	    void *h, const char *path, const char *key, const char *value);
	int (*del)(void *h, const char *path, const char *key);
	/* close: sync what was written (unless failed) and close; 0 or -1 */
	int (*close)(void *h, const char *path, bool failed);
	/* order_mask, order: the order a full rewrite fills fastest (0: any) */
	uint32_t (*order_mask)(size_t records);
	uint32_t (*order)(const char *key, uint32_t mask);
};

/* the Berkeley DB 5.3 hash: backend (map_hash.c) */
extern const struct map_backend map_hash_backend;

#endif

/*
 * map_be.h - one kind of Postfix table on disk, as map.c writes it.
 *
 * For map.c and its backends.  map.c does everything that is the same for
 * every kind: the change list, the change numbers, and for a kind that is
 * rewritten (map_hash.c: Berkeley DB hash:) the temporary file beside the
 * table, the copy for a delta, the rename, the background child.  Such a
 * backend only opens a table file, puts and deletes keys, syncs and closes
 * it, and says in which order records go in fastest.  A kind changed in
 * place (map_lmdb.c: lmdb:, in_place) keeps the live table open (attach),
 * and changes it in write transactions (begin, put/del, commit) that
 * Postfix's readers see whole or not at all.  Every call logs its own
 * errors, naming the file.
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
	/* true: no temporary file or rename; the ops below, not open/close */
	bool in_place;
	/* attach: open (or create) the live table for about records; NULL */
	void *(*attach)(const char *path, size_t records);
	/* detach: close it (NULL is fine); the file stays */
	void (*detach)(void *t);
	/*
	 * begin: lock, start a write transaction, emptied if empty (then about
	 * records follow); NULL
	 */
	void *(*begin)(void *t, const char *path, bool empty, size_t records);
	/*
	 * commit: err 0: commit; else abandon.  Unlock either way.  0 done,
	 * 1: the table was full and has grown (do the whole transaction
	 * again), -1 failed (logged)
	 */
	int (*commit)(void *h, const char *path, int err);
	/* sync: make the commits so far survive a power loss; 0 or -1 */
	int (*sync)(void *t, const char *path);
};

/* the Berkeley DB 5.3 hash: backend (map_hash.c) */
extern const struct map_backend map_hash_backend;
/* the LMDB lmdb: backend, changed in place (map_lmdb.c) */
extern const struct map_backend map_lmdb_backend;

#endif

/*
 * map_lmdb.c - Postfix lmdb: tables, changed in place (map_be.h).
 *
 * For map.c.  The file is NAME.lmdb, opened as Postfix's dict_lmdb opens
 * it: MDB_NOSUBDIR | MDB_NOLOCK, so LMDB's own lock file is not used and
 * Postfix's protocol is followed instead (../shared/ref/backends.md):
 * readers hold a shared fcntl() lock on the .lmdb file around each lookup,
 * a writer an exclusive one around each write transaction.  begin takes
 * the lock, commit drops it; nothing slow happens in between (the values
 * come from memory).  Keys and values carry their trailing NUL, as postmap
 * writes them.  One transaction is atomic for readers, so a full rewrite
 * (drop + refill) is never seen half done, and smtpd does not restart on a
 * change (lmdb_table(5)).  MDB_MAP_FULL: the map size doubles and map.c
 * runs the transaction again; readers see MDB_MAP_RESIZED and reopen.
 * MDB_NOSYNC: a commit writes its pages to the kernel and Postfix reads
 * them at once; the fdatasync is sync's, batched by the engine (group
 * commit), and detach's.  A kill -9 loses nothing written; a power loss may
 * undo the commits since the last sync (the next start rewrites the table
 * from the state), and a file left unreadable is set aside by map.c.
 */
#include "map_be.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Postfix's default lmdb_map_size: a new table starts no smaller */
#define LMDB_MAP_MIN (16 * 1024 * 1024)
/* bytes reserved per record at attach: room for a full rewrite's copy */
#define LMDB_RECORD_ROOM 512

struct lmdb_table {
	MDB_env *env;
	int fd; /* LMDB's own fd on the file: the fcntl lock's */
	size_t mapsize;
};

struct lmdb_txn {
	struct lmdb_table *t;
	MDB_txn *txn;
	MDB_dbi dbi;
};

/* lmdb_lock - fcntl lock (F_WRLCK or F_UNLCK) on the whole file, waiting */
static int
lmdb_lock(int fd, short type)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	while (fcntl(fd, F_SETLKW, &fl) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

static void
lmdb_detach(void *arg)
{
	struct lmdb_table *t = arg;

	if (t == NULL)
		return;
	mdb_env_sync(t->env, 1); /* MDB_NOSYNC: close does not */
	mdb_env_close(t->env);
	free(t);
}

static void *
lmdb_attach(const char *path, size_t records)
{
	struct lmdb_table *t = xcalloc(1, sizeof(*t));
	size_t want = records * LMDB_RECORD_ROOM;
	MDB_envinfo info;
	int rc;

	t->mapsize = want > LMDB_MAP_MIN ? want : LMDB_MAP_MIN;
	if ((rc = mdb_env_create(&t->env)) != 0) {
		log_warn("%s: mdb_env_create: %s", path, mdb_strerror(rc));
		free(t);
		return NULL;
	}
	if ((rc = mdb_env_set_mapsize(t->env, t->mapsize)) != 0 ||
	    (rc = mdb_env_open(t->env, path,
	         MDB_NOSUBDIR | MDB_NOLOCK | MDB_NOSYNC, 0644)) != 0 ||
	    (rc = mdb_env_get_fd(t->env, &t->fd)) != 0) {
		log_warn("%s: open: %s", path, mdb_strerror(rc));
		lmdb_detach(t);
		return NULL;
	}
	/* a table grown by an earlier run keeps its size */
	if (mdb_env_info(t->env, &info) == 0 && info.me_mapsize > t->mapsize)
		t->mapsize = info.me_mapsize;
	return t;
}

static void *
lmdb_begin(void *arg, const char *path, bool empty, size_t records)
{
	struct lmdb_table *t = arg;
	struct lmdb_txn *x = xcalloc(1, sizeof(*x));
	size_t want = records * LMDB_RECORD_ROOM;
	int rc;

	x->t = t;
	/* a full rewrite of a big table: size it up front, not by doubling */
	if (empty && want > t->mapsize &&
	    mdb_env_set_mapsize(t->env, want) == 0)
		t->mapsize = want;
	if (lmdb_lock(t->fd, F_WRLCK) < 0) {
		log_warn("%s: lock: %s", path, strerror(errno));
		free(x);
		return NULL;
	}
	if ((rc = mdb_txn_begin(t->env, NULL, 0, &x->txn)) != 0) {
		log_warn("%s: begin: %s", path, mdb_strerror(rc));
		goto fail;
	}
	if ((rc = mdb_dbi_open(x->txn, NULL, 0, &x->dbi)) != 0 ||
	    (empty && (rc = mdb_drop(x->txn, x->dbi, 0)) != 0)) {
		log_warn("%s: %s: %s", path, empty ? "empty" : "open",
		    mdb_strerror(rc));
		mdb_txn_abort(x->txn);
		goto fail;
	}
	return x;
fail:
	lmdb_lock(t->fd, F_UNLCK);
	free(x);
	return NULL;
}

/* lmdb_val - s and its NUL */
static void
lmdb_val(MDB_val *v, const char *s)
{
	v->mv_data = (void *)(uintptr_t)s;
	v->mv_size = strlen(s) + 1;
}

static int
lmdb_put(void *h, const char *path, const char *key, const char *value)
{
	struct lmdb_txn *x = h;
	MDB_val k, v;
	int rc;

	lmdb_val(&k, key);
	lmdb_val(&v, value);
	rc = mdb_put(x->txn, x->dbi, &k, &v, 0);
	/* full: map_lmdb_commit grows the map and map.c does it all again */
	if (rc != 0 && rc != MDB_MAP_FULL)
		log_warn("%s: put \"%s\": %s", path, key, mdb_strerror(rc));
	return rc;
}

static int
lmdb_del(void *h, const char *path, const char *key)
{
	struct lmdb_txn *x = h;
	MDB_val k;
	int rc;

	lmdb_val(&k, key);
	rc = mdb_del(x->txn, x->dbi, &k, NULL);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0 && rc != MDB_MAP_FULL)
		log_warn("%s: del \"%s\": %s", path, key, mdb_strerror(rc));
	return rc;
}

/* lmdb_grow - double the map size (no transaction is open); 1, or -1 */
static int
lmdb_grow(struct lmdb_table *t, const char *path)
{
	size_t size = t->mapsize * 2;
	int rc;

	if (size < t->mapsize ||
	    (rc = mdb_env_set_mapsize(t->env, size)) != 0) {
		log_warn("%s: table full at %zu bytes and cannot grow", path,
		    t->mapsize);
		return -1;
	}
	log_info("%s: map size %zu MiB (was full)", path, size >> 20);
	t->mapsize = size;
	return 1;
}

static int
lmdb_commit(void *h, const char *path, int err)
{
	struct lmdb_txn *x = h;
	struct lmdb_table *t = x->t;
	int rc = err;

	if (err != 0)
		mdb_txn_abort(x->txn);
	else if ((rc = mdb_txn_commit(x->txn)) != 0 && rc != MDB_MAP_FULL)
		log_warn("%s: commit: %s", path, mdb_strerror(rc));
	/* readers were kept out for the whole transaction; now they may look */
	if (lmdb_lock(t->fd, F_UNLCK) < 0)
		log_warn("%s: unlock: %s", path, strerror(errno));
	free(x);
	if (rc == 0)
		return 0;
	if (rc == MDB_MAP_FULL)
		return lmdb_grow(t, path);
	return -1;
}

/* lmdb_sync - fdatasync what the commits so far wrote; 0 or -1 (logged) */
static int
lmdb_sync(void *arg, const char *path)
{
	struct lmdb_table *t = arg;
	int rc = mdb_env_sync(t->env, 1);

	if (rc != 0) {
		log_warn("%s: sync: %s", path, mdb_strerror(rc));
		return -1;
	}
	return 0;
}

const struct map_backend map_lmdb_backend = {
    .type = "lmdb",
    .suffix = ".lmdb",
    .put = lmdb_put,
    .del = lmdb_del,
    .in_place = true,
    .attach = lmdb_attach,
    .detach = lmdb_detach,
    .begin = lmdb_begin,
    .commit = lmdb_commit,
    .sync = lmdb_sync,
};

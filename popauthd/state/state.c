/*
 * state.c - Berkeley DB environment and transactions for our own state (state.h).
 *
 * Environment flags: DB_CREATE | DB_INIT_TXN | DB_INIT_LOG | DB_INIT_LOCK |
 * DB_INIT_MPOOL | DB_RECOVER | DB_PRIVATE.  DB_PRIVATE keeps the region in our heap
 * (one process, no __db.00x files to go stale); the logs on disk are what make
 * a commit durable and what DB_RECOVER replays after a crash.  Log files that a
 * checkpoint no longer needs are removed automatically.
 *
 * The files that can appear in data_directory are therefore the tables of
 * state_names[] (NAME.db, and NAME.journal: recfile.c), log.NNNNNNNNNN
 * and Berkeley DB's __db.* (none with DB_PRIVATE, but db_recover or
 * db_stat run by hand leave region files);
 * state_own_file() names them for priv.c, which hands nothing else to
 * run_as_user.
 *
 * DB_PRIVATE also means one process only: a second one (a --replay or an
 * offline popauthctl beside the daemon) would write over the first one's
 * cached pages and wreck the tables.  state_open therefore holds an flock
 * on data_directory/lock for as long as the state is open; forked children
 * close their copy (pthread_atfork), so only a live owner keeps it.
 */
#include "state.h"
#include "log.h"
#include "util.h"

#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_MAX_TABLES 8
#define STATE_LOG_DIGITS 10 /* log.0000000001 */
#define STATE_LOCK       "lock"

/* every table a tracker opens: priv.c hands only these to run_as_user */
static const char *const state_names[] = {"grants", "blacklist", "fishing",
    "greytrap", "sendmail", "evidence", "input", "cluster"};

struct state_table {
	struct state *s;
	DB *db;
	char *name;
};

struct state {
	DB_ENV *env;
	DB_TXN *txn;
	char *dir;
	bool bulk; /* a replay: bulk-optimised transactions */
	int lockfd;
	struct state_table tables[STATE_MAX_TABLES];
	size_t ntables;
};

static unsigned int bdb_msgs;
static int lock_fd = -1; /* the open state's lock, closed in forked children */

static void
state_forked(void)
{
	if (lock_fd >= 0)
		close(lock_fd);
	lock_fd = -1;
}

/* state_lock - hold DIR/lock; its fd, or -1 (logged) when another has it */
static int
state_lock(const char *dir)
{
	static bool hooked;
	char path[4096];
	int fd;

	if (!hooked && pthread_atfork(NULL, NULL, state_forked) == 0)
		hooked = true;
	snprintf(path, sizeof(path), "%s/%s", dir, STATE_LOCK);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			log_error("%s: the state is in use by another popauthd "
			          "(the daemon, a --replay or an offline "
			          "popauthctl); one process at a time",
			    dir);
		else
			log_error("%s: flock: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* state_errcall - Berkeley DB's own messages into our log, a few at most */
static void
state_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	UNUSED(env);
	if (++bdb_msgs <= 5)
		log_warn("%s: %s", pfx != NULL ? pfx : "berkeley db", msg);
	else if (bdb_msgs == 6)
		log_warn("%s: further Berkeley DB messages suppressed",
		    pfx != NULL ? pfx : "berkeley db");
}

struct state *
state_open(const char *dir, bool bulk)
{
	struct state *s;
	u_int32_t flags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOG | DB_INIT_LOCK |
	    DB_INIT_MPOOL | DB_RECOVER | DB_PRIVATE;
	int rc;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		log_error("%s: cannot create data_directory: %s", dir,
		    strerror(errno));
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	if ((s->lockfd = state_lock(dir)) < 0) {
		free(s);
		return NULL;
	}
	s->dir = xstrdup(dir);
	s->bulk = bulk;
	if ((rc = db_env_create(&s->env, 0)) != 0) {
		log_error("%s: db_env_create: %s", dir, db_strerror(rc));
		close(s->lockfd);
		free(s->dir);
		free(s);
		return NULL;
	}
	s->env->set_errpfx(s->env, "state");
	s->env->set_errcall(s->env, state_errcall);
	bdb_msgs = 0;
	s->env->set_cachesize(s->env, 0, 32 * 1024 * 1024, 1);
	/* enough buffer-pool hash buckets for a full cache (2 MiB, fixed):
	 * libdb's default chains page lookups (5M-line replay: -12% time) */
	s->env->set_mp_tablesize(s->env, 1 << 16);
	s->env->set_lg_bsize(s->env, 256 * 1024);
	/*
	 * Recovery zero-fills the rest of the last log file: keep it small
	 * for the daemon.  A replay (no sync) writes far more log and would
	 * spend its time switching 1 MiB files.
	 */
	s->env->set_lg_max(s->env, bulk ? 16 * 1024 * 1024 : 1024 * 1024);
	s->env->set_lk_max_locks(s->env, 100000);
	s->env->set_lk_max_objects(s->env, 100000);
	/*
	 * The lock objects' hash: libdb sizes it by the objects' maximum and
	 * fills it at every open (6 ms of a 28 ms empty replay); a commit
	 * locks a few thousand pages at most, and a bucket may chain.
	 */
	s->env->set_lk_tablesize(s->env, 4096);
	s->env->log_set_config(s->env, DB_LOG_AUTO_REMOVE, 1);
	/*
	 * A commit writes the log to the kernel, which a kill -9 cannot take
	 * back; the fsync is state_sync's, batched (engine/durable.c).
	 */
	s->env->set_flags(s->env, DB_TXN_WRITE_NOSYNC, 1);
	rc = s->env->open(s->env, dir, flags, 0600);
	if (rc != 0) {
		log_error("%s: cannot open or recover the state: %s (move the "
		          "directory away to start with an empty state)",
		    dir, db_strerror(rc));
		s->env->close(s->env, 0);
		close(s->lockfd);
		free(s->dir);
		free(s);
		return NULL;
	}
	lock_fd = s->lockfd;
	return s;
}

void
state_close(struct state *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (s->txn != NULL)
		state_abort(s);
	state_checkpoint(s);
	for (i = 0; i < s->ntables; i++) {
		s->tables[i].db->close(s->tables[i].db, 0);
		free(s->tables[i].name);
	}
	s->env->close(s->env, 0);
	if (lock_fd == s->lockfd)
		lock_fd = -1;
	close(s->lockfd); /* the last: the tables are closed */
	free(s->dir);
	free(s);
}

/* known_table - name (n bytes) is one of state_names[] */
static bool
known_table(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < NITEMS(state_names); i++)
		if (strlen(state_names[i]) == n &&
		    strncmp(state_names[i], name, n) == 0)
			return true;
	return false;
}

bool
state_own_file(const char *name)
{
	size_t n = strlen(name), i;

	if (strncmp(name, "__db.", 5) == 0 && n > 5)
		return true;
	if (n == 4 + STATE_LOG_DIGITS && strncmp(name, "log.", 4) == 0) {
		for (i = 4; i < n; i++)
			if (name[i] < '0' || name[i] > '9')
				return false;
		return true;
	}
	if (strcmp(name, STATE_LOCK) == 0)
		return true;
	if (n > 8 && strcmp(name + n - 8, ".journal") == 0) /* recfile.c */
		return known_table(name, n - 8);
	return n > 3 && strcmp(name + n - 3, ".db") == 0 &&
	    known_table(name, n - 3);
}

const char *
state_dir(const struct state *s)
{
	return s->dir;
}

struct state_table *
state_table(struct state *s, const char *name)
{
	struct state_table *t;
	char file[256];
	int rc;

	if (s->ntables == STATE_MAX_TABLES)
		log_panic("%s: too many tables", __func__);
	if (!known_table(name, strlen(name)))
		log_panic("%s: %s is missing from state_names", __func__, name);
	t = &s->tables[s->ntables];
	bdb_msgs = 0;
	snprintf(file, sizeof(file), "%s.db", name);
	if ((rc = db_create(&t->db, s->env, 0)) != 0) {
		log_error(
		    "%s/%s: db_create: %s", s->dir, file, db_strerror(rc));
		return NULL;
	}
	/*
	 * A new table gets 16 KiB pages: an address's evidence (1-3 KiB) then
	 * fits on the page instead of an overflow chain (a table that exists
	 * keeps its page size).
	 */
	t->db->set_pagesize(t->db, 16384);
	rc = t->db->open(t->db, NULL, file, NULL, DB_BTREE,
	    DB_CREATE | DB_AUTO_COMMIT, 0600);
	if (rc != 0) {
		log_error("%s/%s: cannot open state table: %s (corrupt? move "
		          "data_directory away to start empty)",
		    s->dir, file, db_strerror(rc));
		t->db->close(t->db, 0);
		return NULL;
	}
	t->s = s;
	t->name = xstrdup(name);
	s->ntables++;
	return t;
}

long long
state_load(struct state_table *t, state_load_fn *fn, void *arg)
{
	DBC *c;
	DBT k, v;
	long long n = 0, bad = 0;
	int rc;

	if ((rc = t->db->cursor(t->db, NULL, &c, 0)) != 0) {
		log_error("%s/%s.db: cursor: %s", t->s->dir, t->name,
		    db_strerror(rc));
		return -1;
	}
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	while ((rc = c->get(c, &k, &v, DB_NEXT)) == 0) {
		n++;
		if (fn(arg, k.data, k.size, v.data, v.size) < 0)
			bad++;
	}
	c->close(c);
	if (rc != DB_NOTFOUND) {
		log_error(
		    "%s/%s.db: read: %s", t->s->dir, t->name, db_strerror(rc));
		return -1;
	}
	if (bad > 0)
		log_warn("%s/%s.db: %lld unreadable records skipped", t->s->dir,
		    t->name, bad);
	return n;
}

int
state_begin(struct state *s)
{
	int rc;

	if (s->txn != NULL)
		return 0;
	/*
	 * A replay's transactions insert many new records: DB_TXN_BULK logs
	 * new pages' allocation, not their contents, and flushes them at the
	 * commit (no roll-forward needed, so still safe against a kill -9).
	 */
	if ((rc = s->env->txn_begin(
	         s->env, NULL, &s->txn, s->bulk ? DB_TXN_BULK : 0)) != 0) {
		log_warn("%s: txn_begin: %s", s->dir, db_strerror(rc));
		s->txn = NULL;
		return -1;
	}
	return 0;
}

int
state_put(struct state_table *t, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	DBT k, v;
	int rc;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)(uintptr_t)key;
	k.size = (u_int32_t)klen;
	v.data = (void *)(uintptr_t)val;
	v.size = (u_int32_t)vlen;
	if ((rc = t->db->put(t->db, t->s->txn, &k, &v, 0)) != 0) {
		log_warn(
		    "%s/%s.db: put: %s", t->s->dir, t->name, db_strerror(rc));
		return -1;
	}
	return 0;
}

int
state_del(struct state_table *t, const void *key, size_t klen)
{
	DBT k;
	int rc;

	memset(&k, 0, sizeof(k));
	k.data = (void *)(uintptr_t)key;
	k.size = (u_int32_t)klen;
	rc = t->db->del(t->db, t->s->txn, &k, 0);
	if (rc != 0 && rc != DB_NOTFOUND) {
		log_warn(
		    "%s/%s.db: del: %s", t->s->dir, t->name, db_strerror(rc));
		return -1;
	}
	return 0;
}

int
state_commit(struct state *s)
{
	int rc;

	if (s->txn == NULL)
		return 0;
	rc = s->txn->commit(s->txn, 0);
	s->txn = NULL;
	if (rc != 0) {
		log_warn("%s: commit: %s (state kept in memory, retried)",
		    s->dir, db_strerror(rc));
		return -1;
	}
	return 0;
}

int
state_sync(struct state *s)
{
	int rc;

	if (s == NULL)
		return 0;
	if ((rc = s->env->log_flush(s->env, NULL)) != 0) {
		log_warn("%s: log flush: %s", s->dir, db_strerror(rc));
		return -1;
	}
	return 0;
}

void
state_abort(struct state *s)
{
	if (s->txn == NULL)
		return;
	s->txn->abort(s->txn);
	s->txn = NULL;
}

void
state_checkpoint(struct state *s)
{
	int rc = s->env->txn_checkpoint(s->env, 0, 0, 0);

	if (rc != 0)
		log_warn("%s: checkpoint: %s", s->dir, db_strerror(rc));
}

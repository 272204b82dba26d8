/*
 * state.h - popauthd's own durable state: a Berkeley DB transactional environment
 * in data_directory, one btree per tracker (grants, blacklist, fishing).
 *
 * For the trackers, through engine.c.  The trackers keep their tables in memory
 * and write what changed at the end of each loop tick in one transaction.  A
 * commit writes the log to the kernel without an fsync: a kill -9 keeps it.
 * state_sync() is the fsync, batched by the caller (group commit).  The
 * environment is opened with DB_RECOVER, so a kill -9 loses at most the tick
 * that was in flight, and that tick's event lines were not yet written to the
 * log either (log.h).  A state that
 * cannot be recovered is a clear error at start, never a silent wipe.
 */
#ifndef POPAUTHD_STATE_H
#define POPAUTHD_STATE_H

#include <stdbool.h>
#include <stddef.h>

struct state;
struct state_table;

/* state_load_fn - one stored record; return -1 to report it as bad (skipped) */
typedef int state_load_fn(
    void *arg, const void *key, size_t klen, const void *val, size_t vlen);

/* state_open - open/create DIR (0700) and recover it; bulk: big log files (replay) */
struct state *state_open(const char *dir, bool bulk);
/* state_close - checkpoint and close (NULL is fine) */
void state_close(struct state *s);
/* state_dir - the directory the state lives in */
const char *state_dir(const struct state *s);
/* state_table - open/create table NAME inside s; NULL (logged) on error */
struct state_table *state_table(struct state *s, const char *name);
/* state_load - call fn for every record of t; returns records seen or -1 */
long long state_load(struct state_table *t, state_load_fn *fn, void *arg);
/* state_begin - start the tick's transaction; 0 or -1 */
int state_begin(struct state *s);
/* state_put - write one record in the open transaction; 0 or -1 */
int state_put(struct state_table *t, const void *key, size_t klen,
    const void *val, size_t vlen);
/* state_del - delete one record (absent is fine); 0 or -1 */
int state_del(struct state_table *t, const void *key, size_t klen);
/* state_commit - commit the open transaction; 0, or -1 after aborting it */
int state_commit(struct state *s);
/* state_sync - fsync what the commits so far wrote (NULL is fine); 0 or -1 (logged) */
int state_sync(struct state *s);
/* state_abort - abort the open transaction */
void state_abort(struct state *s);
/* state_checkpoint - checkpoint and drop log files no longer needed */
void state_checkpoint(struct state *s);
/*
 * state_own_file - name (a file in data_directory) is one state.c or Berkeley
 * DB creates: a table's NAME.db, log.NNNNNNNNNN or __db.*
 */
bool state_own_file(const char *name);

#endif

/*
 * durable.h - group commit: the fsyncs, batched, off the path to Postfix.
 *
 * For engine.c.  A tick's state commit writes the Berkeley DB log to the
 * kernel (no fsync) and an lmdb: table's commit writes its pages (no
 * fsync): both survive a kill -9 of popauthd, and Postfix reads the table
 * at once.  Only a power loss or a kernel crash needs the fsyncs, so they
 * wait here and run when the loop finds no input waiting, or at the latest
 * DURABLE_MAX_MS after the first change not yet synced: one fsync covers
 * every tick of a burst, and a grant never waits for one.  A power loss
 * can take back at most that window; the next start writes the tables
 * from the state, so they never hold what the state lost.
 */
#ifndef POPAUTHD_DURABLE_H
#define POPAUTHD_DURABLE_H

#include <stdbool.h>

/* the longest a committed change waits for its fsync under steady input */
#define DURABLE_MAX_MS 200

struct state;
struct recfile;
struct map;

/*
 * durable_init - what to sync (all stay the caller's; the journal, if any,
 * before the state that commits its mark); NULL state: never
 */
void durable_init(
    struct state *s, struct recfile *j, struct map *relay, struct map *bl);
/* durable_note - something was committed or written at now (mono ms) */
void durable_note(long long now);
/* durable_pending - a change waits for its fsync */
bool durable_pending(void);
/* durable_poll - sync if a change waits and the loop is idle or it is due */
void durable_poll(long long now, bool idle);
/* durable_sync - sync now if a change waits (stop, flush) */
void durable_sync(void);

#endif

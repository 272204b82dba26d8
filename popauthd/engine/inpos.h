/*
 * inpos.h - where the log input stands, kept in state with what it caused.
 *
 * For engine.c.  Table "input", one record per kind of source (key "journal",
 * "file" or "fifo"), value: version byte 1, then the source's opaque position
 * (input.h).  engine_commit writes it in the tick's transaction, next to the
 * trackers' changes, so the stored position and the stored effects always
 * belong together: after a crash the lines after it are read again, and
 * their effects were lost with the same transaction.  A moved position alone
 * (lines no rule acted on) is written at most once per INPOS_IDLE_MS.
 */
#ifndef POPAUTHD_INPOS_H
#define POPAUTHD_INPOS_H

#include <stdbool.h>
#include <stddef.h>

#define INPOS_IDLE_MS 1000

struct input;
struct state;

/* inpos_init - open the table, load the record of in's kind; 0 or -1 */
int inpos_init(struct state *st, struct input *in);
/* inpos_saved - the stored position (borrowed) and its length; 0 = none */
size_t inpos_saved(const void **pos);
/* inpos_note - the source's position now (len 0: not moved) */
void inpos_note(const void *pos, size_t len);
/* inpos_dirty - a noted position is not stored yet */
bool inpos_dirty(void);
/* inpos_due - dirty, and the last write is INPOS_IDLE_MS old */
bool inpos_due(long long now_ms);
/* inpos_sync - write it in the open transaction; 0 or -1 */
int inpos_sync(void);
/* inpos_synced - the transaction committed at now_ms (in is told) */
void inpos_synced(long long now_ms);
/* inpos_fini - forget everything */
void inpos_fini(void);

#endif

/*
 * mapflush.h - when the two Postfix tables are written: delays, retries,
 * background children, and the timing metrics.
 *
 * For engine.c.  The relay table (grants) is MAPFLUSH_RELAY, the blacklist
 * MAPFLUSH_BL.  A hash: table is rewritten at most once per
 * map_flush_delay_ms (each rewrite restarts Postfix's smtpd processes); an
 * lmdb: table takes every tick's changes at once.  A failed write backs
 * off up to 30 s and the table stays dirty; a big hash: table is written
 * by a child so the loop keeps answering.
 */
#ifndef POPAUTHD_MAPFLUSH_H
#define POPAUTHD_MAPFLUSH_H

#include <stdbool.h>

/* map flush durations: upper bounds of the histogram buckets, in seconds */
#define MAPFLUSH_BUCKETS 8
#define MAPFLUSH_BOUNDS                                                        \
	{                                                                      \
		0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5                       \
	}

enum { MAPFLUSH_RELAY, MAPFLUSH_BL };

struct mapflush_stats {
	unsigned long long failures; /* map writes that failed */
	/* writes: count, total seconds, per bucket (not cumulative) */
	unsigned long long flushes, le[MAPFLUSH_BUCKETS + 1];
	double seconds;
};

struct map;

/* mapflush_init - the two tables (both stay the caller's) and the delay */
void mapflush_init(struct map *relay, struct map *bl, long long delay_ms);
/* mapflush_conf - a new map_flush_delay_ms (reload) */
void mapflush_conf(long long delay_ms);
/*
 * mapflush_run - write table i if it changed and is due (force: now, and
 * wait for a background write); after a write, lines waiting for it go out
 */
void mapflush_run(int i, bool force);
/*
 * mapflush_start - start writing table i in a child if it changed, due or
 * not; a mapflush_run(i, true) waits for it (or writes it, if no child
 * could be started)
 */
void mapflush_start(int i);
/* mapflush_due - ms until a table is due (0: now), or -1: none waiting */
long long mapflush_due(long long now);
/* mapflush_ready - log_ready_fn: both tables hold the changes tagged */
bool mapflush_ready(void *arg, unsigned long long relay, unsigned long long bl);
/* mapflush_stats - the counters (metrics) */
const struct mapflush_stats *mapflush_stats(void);

#endif

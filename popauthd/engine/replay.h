/*
 * replay.h - --replay on two cores: a scanner thread reads, parses and
 * matches the log's lines while the main thread acts on the matches, in
 * the log's order.
 *
 * For main.c, between engine_start(replay) and engine_stop.  The result is
 * the same as engine_line on every line: each matched line is applied in
 * order, and every line that moves the log's clock still moves it (and
 * fires the timers due) before the next one is applied.  A warning from
 * the scanner (a line too long, a read error) carries the clock the main
 * thread has reached, which may be a little behind the line it is about.
 */
#ifndef POPAUTHD_REPLAY_H
#define POPAUTHD_REPLAY_H

struct input;

/*
 * replay_run - read in to its end; 0, or -1 after a read error.  For tests
 * only: POPAUTHD_TEST_REPLAY_SERIAL=1 runs it on one thread, the old way,
 * and POPAUTHD_TEST_REPLAY_CHUNK=BYTES commits that often.
 */
int replay_run(struct input *in);

#endif

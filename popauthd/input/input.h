/*
 * input.h - where the daemon's log lines come from, behind one interface.
 *
 * For main.c (the loop's input, --replay and --test) and engine.c (the
 * position it stores).  A source is one struct input_ops; the daemon picks
 * one from the conf (input = fifo | file | journal) at start and sees only
 * this interface.  Lines reach fn NUL-terminated at len, may hold NUL bytes,
 * and are valid during the call only.  A source that can go back (the
 * journal, a file) has a position: opaque bytes the engine writes in the
 * same state transaction as what the lines before it did, and hands back to
 * input_resume at the next start, so a stop or a kill -9 neither loses nor
 * repeats a line that was acted on.  The daemon's FIFO gets its position
 * from a spool file the bytes pass through (spool.h).
 */
#ifndef POPAUTHD_INPUT_H
#define POPAUTHD_INPUT_H

#include "conf.h"

#include <stdbool.h>
#include <stddef.h>

struct input;

/* input_line_fn - one log line */
typedef void input_line_fn(void *arg, char *line, size_t len);

/* one kind of source; every function gets the source's own handle */
struct input_ops {
	const char *kind;   /* "fifo" */
	int (*fd)(void *h); /* to wait on, or -1 while there is none */
	/* read - at most budget bytes: 1 read, 0 at the end (files), -1 */
	int (*read)(void *h, size_t budget, input_line_fn *fn, void *arg);
	void (*finish)(void *h, input_line_fn *fn, void *arg); /* last line */
	int (*check)(void *h); /* the periodic look: reopen when replaced */
	void (*close)(void *h);
	/* dropped - over-long lines dropped whole so far (metrics) */
	unsigned long long (*dropped)(const void *h);
	/* the rest may be NULL: a source without a position (the FIFO) */
	bool (*pending)(void *h); /* the last read stopped at its budget */
	size_t (*position)(void *h, void *buf, size_t size);
	int (*resume)(void *h, const void *pos, size_t len);
	void (*stored)(void *h, const void *pos, size_t len); /* or NULL */
};

/* the longest position a source hands out */
#define INPUT_POS_MAX 1024

/* input_open - the daemon's source as c names it; NULL (logged) on error */
struct input *input_open(const struct conf *c);
/* input_open_fd - an open file or stdin (--replay, --test); name for logs */
struct input *input_open_fd(int fd, const char *name);
/*
 * input_open_journal_all - every mail entry of the journal files in dir,
 * oldest first, for --replay and --test; NULL (logged) on error
 */
struct input *input_open_journal_all(const char *dir);
/* input_close - close and free (NULL is fine) */
void input_close(struct input *in);
/* input_fd - descriptor the loop waits on, or -1 */
int input_fd(const struct input *in);
/* input_read - see struct input_ops */
int input_read(struct input *in, size_t budget, input_line_fn *fn, void *arg);
/* input_finish - hand over a last line that had no newline (end of file) */
void input_finish(struct input *in, input_line_fn *fn, void *arg);
/* input_check - reopen when the source was removed or replaced; 0 or -1 */
int input_check(struct input *in);
/* input_dropped - over-long lines dropped so far (0 for NULL) */
unsigned long long input_dropped(const struct input *in);
/* input_kind - "fifo", "file", "journal": the key of the stored position */
const char *input_kind(const struct input *in);
/* input_pending - more is ready than the last read took: read again now */
bool input_pending(const struct input *in);
/*
 * input_position - where the source stands after the last line handed out,
 * into buf (at most size bytes); its length, 0 when none or not moved since
 * input_resume
 */
size_t input_position(struct input *in, void *buf, size_t size);
/*
 * input_resume - go on after pos (len bytes, from input_position in an
 * earlier run); len 0: no stored position, start popauth_expire back.  0, or
 * -1 (logged).  A source without a position ignores it.
 */
int input_resume(struct input *in, const void *pos, size_t len);
/*
 * input_stored - pos (from input_position) is committed in the state now:
 * what the source kept for a crash before it may go (the FIFO's spool)
 */
void input_stored(struct input *in, const void *pos, size_t len);

#endif

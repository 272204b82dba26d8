/*
 * fifo.h - read the mail log: the FIFO syslog writes into, or a file for --replay.
 *
 * For input.c (the log source interface).  The FIFO is created 0600 if missing; a path that
 * exists and is not a FIFO is refused, never unlinked.  It is opened O_RDWR, so
 * popauthd holds a writer itself: when syslog closes its end (a restart) the
 * reader never sees EOF and select() never spins.  Partial lines are joined;
 * lines longer than LINEBUF_LINE_MAX are dropped whole with a counted warning.  The
 * line handed to the callback is NUL-terminated at len, may hold NUL bytes, and
 * is valid during the callback only.  The daemon's FIFO (fifo_spool) passes
 * its bytes through data_directory/fifo.spool (spool.c) and so has a
 * position, stored with the state, like the file input.
 */
#ifndef POPAUTHD_FIFO_H
#define POPAUTHD_FIFO_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct fifo;

typedef void fifo_line_fn(void *arg, char *line, size_t len);

/* fifo_open - create if missing and open the FIFO at path; NULL (logged) on error */
struct fifo *fifo_open(const char *path);
/* fifo_open_fd - read lines from an already open fd (replay of a file or stdin) */
struct fifo *fifo_open_fd(int fd, const char *name);
/*
 * fifo_adopt - read the FIFO systemd opened for us (popauthd.socket,
 * ListenFIFO=); path is for the log.  The node and its buffer belong to
 * systemd and outlive us, so fifo_check never reopens it.  NULL (logged).
 */
struct fifo *fifo_adopt(int fd, const char *path);
/* fifo_close - close and free (NULL is fine); the FIFO node stays */
void fifo_close(struct fifo *f);
/* fifo_fd - descriptor to select() on */
int fifo_fd(const struct fifo *f);
/*
 * fifo_read - read what is available (at most budget bytes), call fn per complete
 * line; returns 1 if data was read, 0 at EOF (files only), -1 on error (logged).
 */
int fifo_read(struct fifo *f, size_t budget, fifo_line_fn *fn, void *arg);
/* fifo_finish - hand over a last line that had no newline (EOF of a file) */
void fifo_finish(struct fifo *f, fifo_line_fn *fn, void *arg);
/* fifo_check - reopen if the path was removed or replaced; 0, or -1 (logged) */
int fifo_check(struct fifo *f);
/* fifo_dropped - over-long lines dropped so far */
unsigned long long fifo_dropped(const struct fifo *f);
/*
 * fifo_spool - keep what is read in a spool in dir (spool.h); lines older
 * than back in a spool of unknown age are skipped.  Takes effect at
 * fifo_resume, before the first read.
 */
void fifo_spool(struct fifo *f, const char *dir, time_t back);
/* fifo_resume - open the spool, going on after pos (len 0: none); 0 or -1 */
int fifo_resume(struct fifo *f, const void *pos, size_t len);
/* fifo_pending - the last read stopped at its budget: read again now */
bool fifo_pending(const struct fifo *f);
/* fifo_position - the spool's position into buf; its length, 0: none */
size_t fifo_position(struct fifo *f, void *buf, size_t size);
/* fifo_stored - pos is in the state now (the spool may start afresh) */
void fifo_stored(struct fifo *f, const void *pos, size_t len);

#endif

/*
 * spool.h - keep what was taken from the FIFO in a file until the state
 * holds what it caused, so a kill -9 loses and repeats no line.
 *
 * For fifo.c (input = fifo, with or without popauthd.socket).  The bytes of
 * the FIFO go into data_directory/fifo.spool before any line of them is
 * acted on (splice(2): the kernel moves them from the pipe into the file,
 * so no moment exists at which they are in neither), and the reader takes
 * its lines from there.  The position "GEN OFFSET" (the spool's generation,
 * the offset after the last complete line consumed) goes into the state
 * transaction with the lines' effects, as the file input's does; at start
 * the unconsumed rest is handed out before anything new.
 *
 * The file: a header naming its generation, then the bytes.  Once it is
 * past SPOOL_MAX and a stored position says its lines were acted on, a new
 * generation is written beside it (the unconsumed rest copied: at most a
 * partial line), synced and renamed over it.  At most one new generation
 * exists per stored position, so at start: stored GEN = the file's: go on
 * from OFFSET (an OFFSET past the end, after a power loss, reads nothing);
 * stored GEN + 1 = the file's: all of the file follows it; no stored
 * position or another generation: all of the file, and the caller skips
 * lines older than popauth_expire (first start).
 *
 * What survives what: a kill -9 or crash of popauthd loses nothing (the
 * file's bytes are in the page cache); a power loss or a kernel crash may
 * lose the lines read since the last state commit (they are not fsynced,
 * as the FIFO's buffer and rsyslog's memory are not either), never repeats
 * one.  Disk full: the FIFO is read past the spool (warned), a kill -9 in
 * that time may lose what was read since the last commit; spooling starts
 * again with a new generation when the disk has room.
 */
#ifndef POPAUTHD_SPOOL_H
#define POPAUTHD_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SPOOL_NAME "fifo.spool"
#define SPOOL_MAX  (1024 * 1024) /* a new generation once past this */

struct spool;

/*
 * spool_open - the spool in dir, going on after pos (len 0: no stored
 * position); *whole: the rest handed out first is not known to follow the
 * stored position (skip old lines).  NULL (logged) on error.
 */
struct spool *spool_open(
    const char *dir, const void *pos, size_t len, bool *whole);
/* spool_close - close and free (NULL is fine); the file stays */
void spool_close(struct spool *s);
/*
 * spool_read - like read(2) on fifo: the spool's unread rest first, else
 * what the FIFO holds, moved through the spool; at most room bytes into buf;
 * -1 with errno (EAGAIN: nothing now)
 */
ssize_t spool_read(struct spool *s, int fifo, char *buf, size_t room);
/* spool_live - the rest found at start is read: bytes now are new */
bool spool_live(const struct spool *s);
/* spool_used - the reader consumed used bytes; held wait in its buffer */
void spool_used(struct spool *s, size_t used, size_t held);
/* spool_position - "GEN OFFSET" into buf; its length, 0 if not moved */
size_t spool_position(struct spool *s, void *buf, size_t size);
/*
 * spool_stored - pos is in the state now; held bytes wait in the reader's
 * buffer.  May start a new generation (see above).
 */
void spool_stored(struct spool *s, const void *pos, size_t len, size_t held);
/* spool_tidy - the periodic look: retry a new generation that failed */
void spool_tidy(struct spool *s, size_t held);
/* spool_own_file - name is a file spool.c makes (for priv.c) */
bool spool_own_file(const char *name);

#endif

/*
 * linebuf.h - cut what read() returns into log lines, for fifo.c and file.c.
 *
 * One buffer of LINEBUF_LINE_MAX + LINEBUF_CHUNK; complete lines are handed
 * out in place (no copy, no allocation per line), NUL-terminated at len.  A
 * line longer than LINEBUF_LINE_MAX is dropped whole with a counted warning
 * and the reader skips to the next newline, so the line after it is parsed
 * normally.  The owner reads into linebuf_space and calls linebuf_add.
 */
#ifndef POPAUTHD_LINEBUF_H
#define POPAUTHD_LINEBUF_H

#include <stdbool.h>
#include <stddef.h>

#define LINEBUF_LINE_MAX (16 * 1024)
#define LINEBUF_CHUNK    (64 * 1024)

typedef void linebuf_fn(void *arg, char *line, size_t len);

struct linebuf {
	char *buf;
	size_t len;    /* bytes after the last complete line */
	bool skipping; /* inside an over-long line */
	unsigned long long dropped;
	const char *name; /* for the warning; borrowed */
};

/* linebuf_init - allocate; name (kept, not copied) names the source */
void linebuf_init(struct linebuf *lb, const char *name);
/* linebuf_free - free the buffer */
void linebuf_free(struct linebuf *lb);
/* linebuf_space - where read() may write, and how much (*room) */
char *linebuf_space(struct linebuf *lb, size_t *room);
/*
 * linebuf_add - n bytes were read into linebuf_space: hand out the complete
 * lines; returns the bytes consumed from the front (lines and dropped
 * bytes), which a file adds to its offset
 */
size_t linebuf_add(struct linebuf *lb, size_t n, linebuf_fn *fn, void *arg);
/* linebuf_finish - hand out a last line without newline; forget the rest */
void linebuf_finish(struct linebuf *lb, linebuf_fn *fn, void *arg);
/* linebuf_reset - forget what is buffered (a new file) */
void linebuf_reset(struct linebuf *lb);

#endif

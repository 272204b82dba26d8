/*
 * input.h - where the daemon's log lines come from, behind one interface.
 *
 * For main.c (the loop's input, --replay and --test).  A source is one
 * struct input_ops; the daemon picks one from the conf at start (today
 * the syslog FIFO, fifo.c; a followed file and the systemd journal are the
 * next kinds) and sees only this interface.  Lines reach fn NUL-terminated
 * at len, may hold NUL bytes, and are valid during the call only.
 */
#ifndef POPAUTHD_INPUT_H
#define POPAUTHD_INPUT_H

#include "conf.h"

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
};

/* input_open - the daemon's source as c names it; NULL (logged) on error */
struct input *input_open(const struct conf *c);
/* input_open_fd - an open file or stdin (--replay, --test); name for logs */
struct input *input_open_fd(int fd, const char *name);
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

#endif

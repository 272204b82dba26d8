/*
 * input.c - the log source interface (see input.h) over its backends.
 *
 * Today one backend, the FIFO (fifo.c), for the daemon and for files and
 * stdin under --replay and --test.  A new kind of source is a new
 * struct input_ops and a case in input_open, not a new if in main.c.
 */
#include "input.h"
#include "fifo.h"
#include "log.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct input {
	const struct input_ops *ops;
	void *h;
};

static int
fifo_ops_fd(void *h)
{
	return fifo_fd(h);
}

static int
fifo_ops_read(void *h, size_t budget, input_line_fn *fn, void *arg)
{
	return fifo_read(h, budget, fn, arg);
}

static void
fifo_ops_finish(void *h, input_line_fn *fn, void *arg)
{
	fifo_finish(h, fn, arg);
}

static int
fifo_ops_check(void *h)
{
	return fifo_check(h);
}

static void
fifo_ops_close(void *h)
{
	fifo_close(h);
}

static unsigned long long
fifo_ops_dropped(const void *h)
{
	return fifo_dropped(h);
}

static const struct input_ops fifo_ops = {"fifo", fifo_ops_fd, fifo_ops_read,
    fifo_ops_finish, fifo_ops_check, fifo_ops_close, fifo_ops_dropped};

/* input_new - wrap backend handle h (NULL stays NULL) */
static struct input *
input_new(const struct input_ops *ops, void *h)
{
	struct input *in;

	if (h == NULL)
		return NULL;
	in = xcalloc(1, sizeof(*in));
	in->ops = ops;
	in->h = h;
	return in;
}

struct input *
input_open(const struct conf *c)
{
	if (strcmp(c->input, "fifo") == 0)
		return input_new(&fifo_ops, fifo_open(c->fifo_path));
	log_error("input = %s: not supported by this build", c->input);
	return NULL;
}

struct input *
input_open_fd(int fd, const char *name)
{
	return input_new(&fifo_ops, fifo_open_fd(fd, name));
}

void
input_close(struct input *in)
{
	if (in == NULL)
		return;
	in->ops->close(in->h);
	free(in);
}

int
input_fd(const struct input *in)
{
	return in->ops->fd(in->h);
}

int
input_read(struct input *in, size_t budget, input_line_fn *fn, void *arg)
{
	return in->ops->read(in->h, budget, fn, arg);
}

void
input_finish(struct input *in, input_line_fn *fn, void *arg)
{
	in->ops->finish(in->h, fn, arg);
}

int
input_check(struct input *in)
{
	return in->ops->check(in->h);
}

unsigned long long
input_dropped(const struct input *in)
{
	return in != NULL ? in->ops->dropped(in->h) : 0;
}

/*
 * input.c - the log source interface (see input.h) over its backends.
 *
 * Backends: the FIFO (fifo.c, also files and stdin under --replay and
 * --test), a followed log file (file.c) and the systemd journal
 * (journal.c).  A new kind of source is a new
 * struct input_ops and a case in input_open, not a new if in main.c.
 */
#include "input.h"
#include "fifo.h"
#include "file.h"
#include "journal.h"
#include "log.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

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

static bool
fifo_ops_pending(void *h)
{
	return fifo_pending(h);
}

static size_t
fifo_ops_position(void *h, void *buf, size_t size)
{
	return fifo_position(h, buf, size);
}

static int
fifo_ops_resume(void *h, const void *pos, size_t len)
{
	return fifo_resume(h, pos, len);
}

static void
fifo_ops_stored(void *h, const void *pos, size_t len)
{
	fifo_stored(h, pos, len);
}

/* a FIFO without fifo_spool (a file or stdin) has no position */
static const struct input_ops fifo_ops = {"fifo", fifo_ops_fd, fifo_ops_read,
    fifo_ops_finish, fifo_ops_check, fifo_ops_close, fifo_ops_dropped,
    fifo_ops_pending, fifo_ops_position, fifo_ops_resume, fifo_ops_stored};

static int
journal_ops_fd(void *h)
{
	return journal_fd(h);
}

static int
journal_ops_read(void *h, size_t budget, input_line_fn *fn, void *arg)
{
	return journal_read(h, budget, fn, arg);
}

static void
journal_ops_finish(void *h, input_line_fn *fn, void *arg)
{
	UNUSED(h); /* entries are whole */
	UNUSED(fn);
	UNUSED(arg);
}

static int
journal_ops_check(void *h)
{
	return journal_check(h);
}

static void
journal_ops_close(void *h)
{
	journal_close(h);
}

static unsigned long long
journal_ops_dropped(const void *h)
{
	return journal_dropped(h);
}

static bool
journal_ops_pending(void *h)
{
	return journal_pending(h);
}

static size_t
journal_ops_position(void *h, void *buf, size_t size)
{
	return journal_position(h, buf, size);
}

static int
journal_ops_resume(void *h, const void *pos, size_t len)
{
	return journal_resume(h, pos, len);
}

static const struct input_ops journal_ops = {"journal", journal_ops_fd,
    journal_ops_read, journal_ops_finish, journal_ops_check, journal_ops_close,
    journal_ops_dropped, journal_ops_pending, journal_ops_position,
    journal_ops_resume, NULL};

static int
file_ops_fd(void *h)
{
	return file_fd(h);
}

static int
file_ops_read(void *h, size_t budget, input_line_fn *fn, void *arg)
{
	return file_read(h, budget, fn, arg);
}

static void
file_ops_finish(void *h, input_line_fn *fn, void *arg)
{
	UNUSED(h); /* a partial line waits for its newline */
	UNUSED(fn);
	UNUSED(arg);
}

static int
file_ops_check(void *h)
{
	return file_check(h);
}

static void
file_ops_close(void *h)
{
	file_close(h);
}

static unsigned long long
file_ops_dropped(const void *h)
{
	return file_dropped(h);
}

static bool
file_ops_pending(void *h)
{
	return file_pending(h);
}

static size_t
file_ops_position(void *h, void *buf, size_t size)
{
	return file_position(h, buf, size);
}

static int
file_ops_resume(void *h, const void *pos, size_t len)
{
	return file_resume(h, pos, len);
}

static const struct input_ops file_ops = {"file", file_ops_fd, file_ops_read,
    file_ops_finish, file_ops_check, file_ops_close, file_ops_dropped,
    file_ops_pending, file_ops_position, file_ops_resume, NULL};

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

/*
 * fifo_from_systemd - the FIFO popauthd.socket holds open for us, so lines
 * buffered while we were down are still there; NULL with *none set when
 * systemd passed nothing (then we make our own, as without systemd).
 */
static struct fifo *
fifo_from_systemd(const char *path, bool *none)
{
	int n = sd_listen_fds(1); /* 1: our children must not see LISTEN_FDS */
	int r;

	*none = false;
	if (n == 0) {
		*none = true;
		return NULL;
	}
	if (n < 0) {
		log_error("LISTEN_FDS from systemd: %s", strerror(-n));
		return NULL;
	}
	if (n != 1) {
		log_error("systemd passed %d descriptors; popauthd.socket must "
		          "have exactly one ListenFIFO=",
		    n);
		return NULL;
	}
	r = sd_is_fifo(SD_LISTEN_FDS_START, path);
	if (r <= 0) {
		log_error("the descriptor systemd passed is not the FIFO "
		          "fifo_path = %s (ListenFIFO= in popauthd.socket must "
		          "name the same path)",
		    path);
		return NULL;
	}
	log_info("%s: FIFO held by systemd (popauthd.socket)", path);
	return fifo_adopt(SD_LISTEN_FDS_START, path);
}

struct input *
input_open(const struct conf *c)
{
	if (strcmp(c->input, "fifo") == 0) {
		bool none;
		struct fifo *f = fifo_from_systemd(c->fifo_path, &none);

		if (none)
			f = fifo_open(c->fifo_path);
		if (f != NULL) /* what was read waits there until acted on */
			fifo_spool(f, c->data_directory, c->popauth_expire);
		return input_new(&fifo_ops, f);
	}
	if (strcmp(c->input, "file") == 0)
		return input_new(
		    &file_ops, file_open(c->input_path, c->popauth_expire));
	if (strcmp(c->input, "journal") == 0)
		return input_new(&journal_ops,
		    journal_open(c->journal_directory, c->popauth_expire));
	log_error("input = %s: not supported by this build", c->input);
	return NULL;
}

struct input *
input_open_journal_all(const char *dir)
{
	/* "back" reaches the epoch: the whole directory, no cursor */
	return input_new(&journal_ops, journal_open(dir, time(NULL)));
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

const char *
input_kind(const struct input *in)
{
	return in->ops->kind;
}

bool
input_pending(const struct input *in)
{
	return in->ops->pending != NULL && in->ops->pending(in->h);
}

size_t
input_position(struct input *in, void *buf, size_t size)
{
	return in->ops->position != NULL ? in->ops->position(in->h, buf, size)
	                                 : 0;
}

int
input_resume(struct input *in, const void *pos, size_t len)
{
	return in->ops->resume != NULL ? in->ops->resume(in->h, pos, len) : 0;
}

void
input_stored(struct input *in, const void *pos, size_t len)
{
	if (in->ops->stored != NULL)
		in->ops->stored(in->h, pos, len);
}

/*
 * fifo.c - open, reopen and read the mail-log FIFO; assemble lines (see fifo.h).
 *
 * The lines are cut by linebuf.c; with a spool (the daemon) the bytes pass
 * through spool.c first, which also owns the position.
 */
#include "fifo.h"
#include "linebuf.h"
#include "log.h"
#include "logline.h"
#include "spool.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fifo {
	int fd;
	char *path;   /* NULL for fifo_open_fd */
	bool adopted; /* fd from systemd: the node is its, never reopened */
	dev_t dev;
	ino_t ino;
	struct linebuf lb;
	char *spool_dir;          /* fifo_spool: the spool lives here */
	struct spool *sp;         /* from fifo_resume on */
	bool pending;             /* the last read stopped at its budget */
	time_t back;              /* a first start reads back this far */
	struct logline_skip skip; /* lines before the cut-off */
};

/* the line callback with its owner, for fifo_give */
struct fifo_cb {
	struct fifo *f;
	fifo_line_fn *fn;
	void *arg;
};

static struct fifo *
fifo_new(int fd, const char *name)
{
	struct fifo *f = xcalloc(1, sizeof(*f));

	f->fd = fd;
	f->path = xstrdup(name);
	linebuf_init(&f->lb, f->path);
	return f;
}

/* fifo_reopen - create the node if missing, check it, open it O_RDWR */
static int
fifo_reopen(struct fifo *f)
{
	struct stat st;
	int fd;

	if (lstat(f->path, &st) < 0) {
		if (errno != ENOENT) {
			log_error("%s: %s", f->path, strerror(errno));
			return -1;
		}
		/* like map_directory: a missing directory is made */
		if (mkdir_parent(f->path) < 0) {
			log_error("%s: cannot create its directory: %s",
			    f->path, strerror(errno));
			return -1;
		}
		if (mkfifo(f->path, 0600) < 0 && errno != EEXIST) {
			log_error("%s: cannot create FIFO: %s", f->path,
			    strerror(errno));
			return -1;
		}
		log_info("%s: created FIFO", f->path);
	} else if (!S_ISFIFO(st.st_mode)) {
		log_error(
		    "%s: exists and is not a FIFO (not touching it)", f->path);
		return -1;
	}
	fd = open(f->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		log_error("%s: cannot open: %s", f->path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		log_error("%s: not a FIFO after open", f->path);
		close(fd);
		return -1;
	}
	if (f->fd >= 0)
		close(f->fd);
	f->fd = fd;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	return 0;
}

struct fifo *
fifo_open(const char *path)
{
	struct fifo *f = fifo_new(-1, path);

	if (fifo_reopen(f) < 0) {
		fifo_close(f);
		return NULL;
	}
	return f;
}

struct fifo *
fifo_open_fd(int fd, const char *name)
{
	struct fifo *f = fifo_new(fd, name);

	free(f->path);
	f->path = NULL;
	f->lb.name = "input";
	UNUSED(name);
	return f;
}

struct fifo *
fifo_adopt(int fd, const char *path)
{
	struct fifo *f = fifo_new(fd, path);
	int fl = fcntl(fd, F_GETFL);

	f->adopted = true;
	/* our children (alerts, helpers) must not hold systemd's reader */
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		log_error(
		    "%s: fd %d from systemd: %s", path, fd, strerror(errno));
		fifo_close(f);
		return NULL;
	}
	return f;
}

void
fifo_close(struct fifo *f)
{
	if (f == NULL)
		return;
	if (f->fd >= 0 && f->path != NULL)
		close(f->fd);
	spool_close(f->sp);
	free(f->spool_dir);
	linebuf_free(&f->lb);
	free(f->path);
	free(f);
}

int
fifo_fd(const struct fifo *f)
{
	return f->fd;
}

unsigned long long
fifo_dropped(const struct fifo *f)
{
	return f->lb.dropped;
}

/* fifo_give - one complete line: skip it (old, in a spool of unknown age) or hand it out */
static void
fifo_give(void *cbp, char *line, size_t len)
{
	struct fifo_cb *cb = cbp;
	struct fifo *f = cb->f;
	if (logline_skip_old(&f->skip, line, len))
		return;
	cb->fn(cb->arg, line, len);
}

int
fifo_read(struct fifo *f, size_t budget, fifo_line_fn *fn, void *arg)
{
	struct fifo_cb cb = {f, fn, arg};
	size_t got = 0, used;
	bool any = false;

	f->pending = false;
	while (got < budget) {
		size_t room;
		char *at = linebuf_space(&f->lb, &room);
		bool fresh = f->sp == NULL || spool_live(f->sp);
		ssize_t n = f->sp != NULL ? spool_read(f->sp, f->fd, at, room)
		                          : read(f->fd, at, room);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			log_error("%s: read: %s", f->path ? f->path : "input",
			    strerror(errno));
			return -1;
		}
		if (n == 0)
			return any ? 1 : 0;
		if (fresh)
			f->skip.on = false; /* new bytes: as without a spool */
		any = true;
		got += (size_t)n;
		used = linebuf_add(&f->lb, (size_t)n, fifo_give, &cb);
		if (f->sp != NULL)
			spool_used(f->sp, used, f->lb.len);
	}
	f->pending = true;
	return 1;
}

void
fifo_finish(struct fifo *f, fifo_line_fn *fn, void *arg)
{
	linebuf_finish(&f->lb, fn, arg);
}

int
fifo_check(struct fifo *f)
{
	struct stat st;

	if (f->sp != NULL)
		spool_tidy(f->sp, f->lb.len);
	if (f->path == NULL || f->adopted)
		return 0;
	if (stat(f->path, &st) == 0 && S_ISFIFO(st.st_mode) &&
	    st.st_dev == f->dev && st.st_ino == f->ino)
		return 0;
	log_warn("%s: FIFO was removed or replaced; reopening (tell syslog "
	         "to reopen it too: kill -HUP)",
	    f->path);
	return fifo_reopen(f);
}

void
fifo_spool(struct fifo *f, const char *dir, time_t back)
{
	free(f->spool_dir);
	f->spool_dir = xstrdup(dir);
	f->back = back;
}

int
fifo_resume(struct fifo *f, const void *pos, size_t len)
{
	bool whole;

	if (f->spool_dir == NULL)
		return 0;
	spool_close(f->sp);
	f->sp = spool_open(f->spool_dir, pos, len, &whole);
	if (f->sp == NULL)
		return -1;
	linebuf_reset(&f->lb);
	f->pending = true; /* the spool's rest, if any */
	f->skip.on = false;
	if (whole)
		logline_skip_from(&f->skip, time(NULL) - f->back);
	return 0;
}

bool
fifo_pending(const struct fifo *f)
{
	return f->pending;
}

size_t
fifo_position(struct fifo *f, void *buf, size_t size)
{
	return f->sp != NULL ? spool_position(f->sp, buf, size) : 0;
}

void
fifo_stored(struct fifo *f, const void *pos, size_t len)
{
	if (f->sp != NULL)
		spool_stored(f->sp, pos, len, f->lb.len);
}

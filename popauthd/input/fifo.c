/*
 * fifo.c - open, reopen and read the mail-log FIFO; assemble lines (see fifo.h).
 *
 * One buffer of FIFO_LINE_MAX + read size; complete lines are handed out in
 * place (no copy, no allocation per line).  While a line is over-long the reader
 * is in "skip" state until the next newline, so the line after it is always
 * parsed normally.
 */
#include "fifo.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIFO_CHUNK (64 * 1024)

struct fifo {
	int fd;
	char *path;   /* NULL for fifo_open_fd */
	bool adopted; /* fd from systemd: the node is its, never reopened */
	dev_t dev;
	ino_t ino;
	char *buf;
	size_t len, size;
	bool skipping;
	unsigned long long dropped;
};

static struct fifo *
fifo_new(int fd, const char *name)
{
	struct fifo *f = xcalloc(1, sizeof(*f));

	f->fd = fd;
	f->path = xstrdup(name);
	f->size = FIFO_LINE_MAX + FIFO_CHUNK + 1;
	f->buf = xmalloc(f->size);
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
	free(f->path);
	free(f->buf);
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
	return f->dropped;
}

static void
fifo_drop(struct fifo *f)
{
	f->dropped++;
	if (f->dropped <= 10 || f->dropped % 1000 == 0)
		log_warn(
		    "%s: dropped a line longer than %d bytes (%llu so far)",
		    f->path != NULL ? f->path : "input", FIFO_LINE_MAX,
		    f->dropped);
}

/* fifo_lines - hand out complete lines in buf, keep the tail */
static void
fifo_lines(struct fifo *f, fifo_line_fn *fn, void *arg)
{
	char *p = f->buf, *end = f->buf + f->len, *nl;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (f->skipping) {
			f->skipping = false;
		} else if ((size_t)(nl - p) > FIFO_LINE_MAX) {
			fifo_drop(f);
		} else {
			*nl = '\0';
			fn(arg, p, (size_t)(nl - p));
		}
		p = nl + 1;
	}
	f->len = (size_t)(end - p);
	if (f->len > FIFO_LINE_MAX) {
		/* no newline within the limit: drop what we have, skip to the next */
		if (!f->skipping)
			fifo_drop(f);
		f->skipping = true;
		f->len = 0;
	} else if (f->len > 0 && p != f->buf) {
		memmove(f->buf, p, f->len);
	}
}

int
fifo_read(struct fifo *f, size_t budget, fifo_line_fn *fn, void *arg)
{
	size_t got = 0;
	bool any = false;

	while (got < budget) {
		ssize_t n = read(f->fd, f->buf + f->len, f->size - 1 - f->len);

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
		any = true;
		got += (size_t)n;
		f->len += (size_t)n;
		fifo_lines(f, fn, arg);
	}
	return 1;
}

void
fifo_finish(struct fifo *f, fifo_line_fn *fn, void *arg)
{
	if (f->len > 0 && !f->skipping) {
		f->buf[f->len] = '\0';
		fn(arg, f->buf, f->len);
	}
	f->len = 0;
	f->skipping = false;
}

int
fifo_check(struct fifo *f)
{
	struct stat st;

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

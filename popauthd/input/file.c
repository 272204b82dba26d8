/*
 * file.c - follow a log file across rotation (see file.h).
 *
 * Lines are cut by linebuf.c; off is the file offset just after the last
 * complete line consumed (handed out or skipped), so the partial line in the
 * buffer is read again after a restart, whole.
 */
#include "file.h"
#include "linebuf.h"
#include "log.h"
#include "logline.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_MARK 64 /* bytes before the offset that must still be there */
#define FILE_WATCH                                                             \
	(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |     \
	    IN_CLOSE_WRITE | IN_ATTRIB)

struct file {
	char *path;
	int ifd;           /* inotify on the directory */
	int fd;            /* the file being read, -1 while PATH is missing */
	dev_t dev;         /* of fd */
	ino_t ino;         /* of fd */
	off_t off;         /* after the last complete line consumed */
	struct linebuf lb; /* the file holds its bytes from off on */
	time_t back;       /* a first start reads back this far */
	struct logline_skip skip; /* lines before the cut-off */
	bool moved;               /* off, dev or ino changed since the resume */
	bool pending;             /* more may be there: read again */
};

/* the line callback with its owner, for file_give */
struct file_cb {
	struct file *f;
	file_line_fn *fn;
	void *arg;
};

struct file *
file_open(const char *path, time_t back)
{
	struct file *f;
	char *dir = xstrdup(path);
	int e;

	f = xcalloc(1, sizeof(*f));
	f->path = xstrdup(path);
	f->fd = -1;
	f->back = back;
	linebuf_init(&f->lb, f->path);
	if ((f->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0 ||
	    inotify_add_watch(f->ifd, dirname(dir), FILE_WATCH) < 0) {
		e = errno;
		log_error(
		    "%s: cannot watch its directory: %s", path, strerror(e));
		free(dir);
		file_close(f);
		return NULL;
	}
	free(dir);
	if (file_resume(f, NULL, 0) < 0) {
		file_close(f);
		return NULL;
	}
	return f;
}

void
file_close(struct file *f)
{
	if (f == NULL)
		return;
	if (f->fd >= 0)
		close(f->fd);
	if (f->ifd >= 0)
		close(f->ifd);
	free(f->path);
	linebuf_free(&f->lb);
	free(f);
}

int
file_fd(const struct file *f)
{
	return f->ifd;
}

bool
file_pending(const struct file *f)
{
	return f->pending;
}

unsigned long long
file_dropped(const struct file *f)
{
	return f->lb.dropped;
}

int
file_check(struct file *f)
{
	f->pending = true; /* a file system without inotify events */
	return 0;
}

/* file_at - read path (or PATH.1) from offset off; -1 when it is missing */
static int
file_at(struct file *f, const char *path, off_t off)
{
	struct stat st;
	int fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		e = errno;
		if (e != ENOENT)
			log_warn("%s: %s", path, strerror(e));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_warn("%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_size < off) {
		log_info("%s: truncated (copytruncate): reading from its start",
		    path);
		off = 0;
	}
	if (lseek(fd, off, SEEK_SET) < 0) {
		e = errno;
		log_warn("%s: seek: %s", path, strerror(e));
		close(fd);
		return -1;
	}
	if (f->fd >= 0)
		close(f->fd);
	f->fd = fd;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->off = off;
	linebuf_reset(&f->lb);
	f->moved = true;
	return 0;
}

/*
 * file_truncated - PATH is shorter than off: copytruncate.  logrotate copied
 * it to PATH.1 first, so what we had not read yet is there: its rest, then
 * PATH from 0 (file_eof moves on, PATH being another inode).
 */
static int
file_truncated(struct file *f, off_t off)
{
	char old[4096];
	struct stat st;

	log_info(
	    "%s: truncated (copytruncate): reading from its start", f->path);
	if (snprintf(old, sizeof(old), "%s.1", f->path) < (int)sizeof(old) &&
	    stat(old, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > off &&
	    file_at(f, old, off) == 0)
		return 0;
	return file_at(f, f->path, 0);
}

/* file_give - one complete line: skip it (first start, old) or hand it out */
static void
file_give(void *cbp, char *line, size_t len)
{
	struct file_cb *cb = cbp;
	struct file *f = cb->f;
	if (logline_skip_old(&f->skip, line, len))
		return;
	cb->fn(cb->arg, line, len);
}

/* file_eof - at the end of fd: follow a rename or a truncation; true: read on */
static bool
file_eof(struct file *f, struct file_cb *cb)
{
	struct stat st, cur;

	if (stat(f->path, &st) < 0)
		return false; /* renamed, the new one not there yet */
	if (st.st_dev != f->dev || st.st_ino != f->ino) {
		/* renamed: the old file is read to its end; its last line too */
		linebuf_finish(&f->lb, file_give, cb);
		log_info("%s: rotated: reading the new file", f->path);
		return file_at(f, f->path, 0) == 0;
	}
	if (fstat(f->fd, &cur) == 0 && cur.st_size < f->off + (off_t)f->lb.len)
		return file_truncated(f, f->off) == 0;
	return false;
}

int
file_read(struct file *f, size_t budget, file_line_fn *fn, void *arg)
{
	struct file_cb cb = {f, fn, arg};
	char ev[4096], *at;
	size_t got = 0, room, used;
	bool any = false;
	ssize_t n;
	int e;

	while (read(f->ifd, ev, sizeof(ev)) > 0)
		; /* what happened is looked at below, not in the events */
	f->pending = false;
	if (f->fd < 0 && file_at(f, f->path, 0) < 0)
		return 0; /* not there yet: its creation wakes us */
	while (got < budget) {
		at = linebuf_space(&f->lb, &room);
		n = read(f->fd, at, room);
		if (n < 0) {
			e = errno;
			if (e == EINTR)
				continue;
			log_error("%s: read: %s", f->path, strerror(e));
			return -1;
		}
		if (n == 0) {
			if (file_eof(f, &cb))
				continue;
			return any ? 1 : 0;
		}
		any = true;
		got += (size_t)n;
		used = linebuf_add(&f->lb, (size_t)n, file_give, &cb);
		if (used > 0) {
			f->off += (off_t)used;
			f->moved = true;
		}
	}
	f->pending = true;
	return 1;
}

/*
 * file_mark - FNV-1a of the FILE_MARK bytes before off: a copytruncate
 * while stopped that was followed by more than off bytes leaves the same
 * inode and a size >= off, but other bytes there
 */
static unsigned long long
file_mark(int fd, off_t off)
{
	unsigned char b[FILE_MARK];
	unsigned long long h = 1469598103934665603ULL;
	size_t n = off < FILE_MARK ? (size_t)off : FILE_MARK, i;
	ssize_t got = pread(fd, b, n, off - (off_t)n);

	for (i = 0; got > 0 && i < (size_t)got; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

size_t
file_position(struct file *f, void *buf, size_t size)
{
	int n;

	if (!f->moved || f->fd < 0)
		return 0;
	n = snprintf(buf, size, "%llu %llu %lld %llx",
	    (unsigned long long)f->dev, (unsigned long long)f->ino,
	    (long long)f->off, file_mark(f->fd, f->off));
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

int
file_resume(struct file *f, const void *pos, size_t len)
{
	char text[128], old[4096];
	unsigned long long dev, ino, mark;
	long long off;
	struct stat st;
	int fd;

	f->pending = true;
	f->skip.on = false;
	if (len == 0 || len >= sizeof(text)) {
		/* first start: lines older than popauth_expire do nothing */
		logline_skip_from(&f->skip, time(NULL) - f->back);
		file_at(f, f->path, 0);
		f->moved = false;
		return 0;
	}
	memcpy(text, pos, len);
	text[len] = '\0';
	if (sscanf(text, "%llu %llu %lld %llx", &dev, &ino, &off, &mark) != 4 ||
	    off < 0) {
		log_warn("%s: bad stored position \"%s\": from its start",
		    f->path, text);
		file_at(f, f->path, 0);
		return 0;
	}
	if (stat(f->path, &st) == 0 && st.st_dev == dev && st.st_ino == ino) {
		fd = open(f->path, O_RDONLY | O_CLOEXEC);
		if (st.st_size < off ||
		    (fd >= 0 && file_mark(fd, (off_t)off) != mark))
			file_truncated(f, (off_t)off);
		else
			file_at(f, f->path, (off_t)off);
		if (fd >= 0)
			close(fd);
	} else if (snprintf(old, sizeof(old), "%s.1", f->path) <
	        (int)sizeof(old) &&
	    stat(old, &st) == 0 && st.st_dev == dev && st.st_ino == ino) {
		/* rotated while we were down: its rest first, then PATH */
		log_info("%s: rotated while stopped: reading the rest of %s",
		    f->path, old);
		file_at(f, old, (off_t)off);
	} else {
		log_warn("%s: the file read last is gone: reading this one "
		         "from its start",
		    f->path);
		file_at(f, f->path, 0);
	}
	f->moved = false;
	return 0;
}

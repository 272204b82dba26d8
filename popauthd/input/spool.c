/*
 * spool.c - the FIFO's bytes kept in a file until acted on (see spool.h).
 *
 * Offsets are file offsets, the header included: HDR <= off <= rd <= size.
 * [off, rd) is what the reader holds (a partial line), [rd, size) what it
 * has not taken yet.  In a gap (the spool could not be written) the reader
 * also holds bytes that are in no file; off then stops at size.
 */
/* splice(2) needs _GNU_SOURCE, which the Makefile defines */
#include "spool.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SPOOL_TMP      SPOOL_NAME ".new"
#define SPOOL_MAGIC    "popauthd fifo spool "
#define SPOOL_HDR      41           /* magic, 20 digits, newline */
#define SPOOL_TAIL_MAX (128 * 1024) /* rest copied into a new generation */

struct spool {
	char *path, *tmp, *dir;
	int fd;
	long long gen;
	off_t size, rd, off;
	off_t tail_end; /* the rest found at start ends here */
	long long cgen; /* the stored position: generation, offset */
	off_t coff;
	bool gap;      /* spooling stopped: the reader holds unspooled bytes */
	bool nosplice; /* the file system refused splice: read, then write */
	bool moved;
	unsigned long long fails;
};

/* spool_fail - a warning, rate-limited like linebuf's */
static void
spool_fail(struct spool *s, const char *what, int e)
{
	s->fails++;
	if (s->fails <= 10 || s->fails % 1000 == 0)
		log_warn("%s: %s: %s (%llu so far)", s->path, what, strerror(e),
		    s->fails);
}

/* spool_pwrite - all n bytes at off; 0, or -1 (errno) */
static int
spool_pwrite(int fd, const char *b, size_t n, off_t off)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, b, n, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = ENOSPC;
			return -1;
		}
		b += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

/* spool_fsync_dir - make the rename durable (a power loss) */
static void
spool_fsync_dir(struct spool *s)
{
	int fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/*
 * spool_next - a new generation gen holding [from, size) of the current
 * file, written beside it, synced, renamed over it: at every moment the
 * name holds either the old file or the whole new one.  0, or -1 (logged;
 * the old file stays).
 */
static int
spool_next(struct spool *s, long long gen, off_t from)
{
	char hdr[SPOOL_HDR + 1], buf[16384];
	off_t at = from, to = SPOOL_HDR;
	int fd, e;
	ssize_t n;

	snprintf(hdr, sizeof(hdr), SPOOL_MAGIC "%020lld\n", gen);
	fd = open(
	    s->tmp, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || spool_pwrite(fd, hdr, SPOOL_HDR, 0) < 0)
		goto fail;
	while (s->fd >= 0 && at < s->size) {
		size_t want = sizeof(buf);

		if ((off_t)want > s->size - at)
			want = (size_t)(s->size - at);
		if ((n = pread(s->fd, buf, want, at)) <= 0) {
			if (n == 0)
				errno = EIO; /* shorter than we wrote */
			goto fail;
		}
		if (spool_pwrite(fd, buf, (size_t)n, to) < 0)
			goto fail;
		at += n;
		to += n;
	}
	if (fsync(fd) < 0 || rename(s->tmp, s->path) < 0)
		goto fail;
	spool_fsync_dir(s);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = fd;
	s->gen = gen;
	/* every offset moves with the bytes; nothing before from is kept */
	s->size = to;
	s->rd = s->rd - from + SPOOL_HDR;
	s->off = s->off - from + SPOOL_HDR;
	s->tail_end =
	    s->tail_end > from ? s->tail_end - from + SPOOL_HDR : SPOOL_HDR;
	s->moved = true;
	return 0;
fail:
	e = errno;
	spool_fail(s, "cannot start a new spool generation", e);
	if (fd >= 0) {
		close(fd);
		unlink(s->tmp);
	}
	errno = e;
	return -1;
}

/* spool_header - the generation in fd's header; -1 if it has none */
static long long
spool_header(int fd)
{
	char hdr[SPOOL_HDR + 1];
	long long gen;

	if (pread(fd, hdr, SPOOL_HDR, 0) != SPOOL_HDR ||
	    memcmp(hdr, SPOOL_MAGIC, strlen(SPOOL_MAGIC)) != 0 ||
	    hdr[SPOOL_HDR - 1] != '\n')
		return -1;
	hdr[SPOOL_HDR - 1] = '\0';
	if (parse_long(hdr + strlen(SPOOL_MAGIC), 1, LLONG_MAX - 1, &gen) < 0)
		return -1;
	return gen;
}

/* spool_parse - "GEN OFFSET" into *gen, *off; 0, or -1 */
static int
spool_parse(const void *pos, size_t len, long long *gen, off_t *off)
{
	char text[64];
	long long g, o;

	if (len == 0 || len >= sizeof(text))
		return -1;
	memcpy(text, pos, len);
	text[len] = '\0';
	if (sscanf(text, "%lld %lld", &g, &o) != 2 || g < 1 || o < SPOOL_HDR)
		return -1;
	*gen = g;
	*off = (off_t)o;
	return 0;
}

/* spool_find - open the file at start; its generation, -1: none usable */
static long long
spool_find(struct spool *s)
{
	struct stat st;
	long long gen;
	int fd;

	unlink(s->tmp); /* a new generation a crash left half-written */
	fd = open(s->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			log_warn("%s: %s", s->path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    (gen = spool_header(fd)) < 0) {
		log_warn("%s: not a spool popauthd wrote: not read, replaced",
		    s->path);
		close(fd);
		return -1;
	}
	s->fd = fd;
	s->size = st.st_size;
	return gen;
}

struct spool *
spool_open(const char *dir, const void *pos, size_t len, bool *whole)
{
	struct spool *s = xcalloc(1, sizeof(*s));
	char path[4096];
	long long found, pgen = 0;
	off_t poff = 0;
	bool known = spool_parse(pos, len, &pgen, &poff) == 0;

	s->fd = -1;
	s->dir = xstrdup(dir);
	snprintf(path, sizeof(path), "%s/%s", dir, SPOOL_NAME);
	s->path = xstrdup(path);
	snprintf(path, sizeof(path), "%s/%s", dir, SPOOL_TMP);
	s->tmp = xstrdup(path);
	if (len > 0 && !known)
		log_warn("%s: bad stored position: reading all of it", s->path);
	*whole = true;
	s->off = SPOOL_HDR;
	found = spool_find(s);
	if (found < 0) {
		/* pgen + 1: a crash before the next commit reads all of it */
		s->size = s->rd = s->off = SPOOL_HDR;
		if (spool_next(s, known ? pgen + 1 : 1, SPOOL_HDR) < 0) {
			log_error("%s: cannot create the FIFO spool", s->path);
			spool_close(s);
			return NULL;
		}
		*whole = false;
	} else if (known && found == pgen) {
		*whole = false;
		s->off = poff;
		if (poff > s->size) {
			log_warn("%s: shorter than the stored position %lld "
			         "(a power loss?): nothing of it is read again",
			    s->path, (long long)poff);
			s->off = s->size;
		}
	} else if (known && found == pgen + 1) {
		*whole = false; /* renamed in after the last commit */
	} else if (known) {
		log_warn("%s: generation %lld does not follow the stored "
		         "position (%lld): reading its recent lines",
		    s->path, found, pgen);
	}
	if (found >= 0)
		s->gen = found;
	s->rd = s->off;
	s->tail_end = s->size;
	s->cgen = known ? pgen : 0;
	s->coff = poff;
	s->moved = false;
	if (s->size > s->off)
		log_info("%s: %lld bytes read from the FIFO before the last "
		         "stop are read again",
		    s->path, (long long)(s->size - s->off));
	return s;
}

void
spool_close(struct spool *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	free(s->tmp);
	free(s->dir);
	free(s);
}

/* spool_take - up to room unread bytes of the file into buf */
static ssize_t
spool_take(struct spool *s, char *buf, size_t room)
{
	size_t want = room;
	ssize_t n;

	if ((off_t)want > s->size - s->rd)
		want = (size_t)(s->size - s->rd);
	n = pread(s->fd, buf, want, s->rd);
	if (n <= 0) {
		/* the page cache cannot fail us short of an I/O error */
		spool_fail(s, "cannot read back", n == 0 ? EIO : errno);
		s->rd = s->size;
		errno = EAGAIN;
		return -1;
	}
	s->rd += n;
	return n;
}

/* spool_gap - spooling stops: the FIFO is read past the spool */
static void
spool_gap(struct spool *s, int e)
{
	spool_fail(s,
	    "cannot write (reading the FIFO without the spool; "
	    "a kill -9 now may lose lines)",
	    e);
	s->gap = true;
}

ssize_t
spool_read(struct spool *s, int fifo, char *buf, size_t room)
{
	ssize_t n;
	loff_t at = s->size;

	if (s->rd < s->size)
		return spool_take(s, buf, room);
	if (s->gap)
		return read(fifo, buf, room);
	if (!s->nosplice) {
		n = splice(fifo, NULL, s->fd, &at, room, SPLICE_F_NONBLOCK);
		if (n > 0) {
			s->size = at;
			return spool_take(s, buf, room);
		}
		if (n == 0 || errno == EAGAIN || errno == EINTR)
			return n;
		if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
			log_info(
			    "%s: no splice(2) here: read, then write", s->path);
			s->nosplice = true;
		} else {
			spool_gap(
			    s, errno); /* the bytes are still in the pipe */
			return read(fifo, buf, room);
		}
	}
	/* a kill -9 between read and write loses this read: rare file systems */
	if ((n = read(fifo, buf, room)) <= 0)
		return n;
	if (spool_pwrite(s->fd, buf, (size_t)n, s->size) < 0) {
		int e = errno;

		/* a half write left behind would be read again after a crash */
		if (ftruncate(s->fd, s->size) < 0)
			spool_fail(s, "cannot cut a half write", errno);
		spool_gap(s, e);
		return n;
	}
	s->size += n;
	s->rd += n;
	return n;
}

bool
spool_live(const struct spool *s)
{
	return s->rd >= s->tail_end;
}

void
spool_used(struct spool *s, size_t used, size_t held)
{
	off_t off = s->off + (off_t)used;

	if (off > s->size || (s->gap && held == 0))
		off = s->size; /* what is beyond is in no file */
	if (off != s->off) {
		s->off = off;
		s->moved = true;
	}
}

size_t
spool_position(struct spool *s, void *buf, size_t size)
{
	int n;

	if (!s->moved)
		return 0;
	n = snprintf(buf, size, "%lld %lld", s->gen, (long long)s->off);
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

void
spool_tidy(struct spool *s, size_t held)
{
	if (s->cgen != s->gen)
		return; /* a new generation waits for its first commit */
	if (s->gap) {
		/* only at a line boundary: the reader holds nothing unspooled */
		if (held == 0 && s->coff == s->size && s->off == s->size &&
		    spool_next(s, s->gen + 1, s->size) == 0) {
			log_info("%s: spooling again", s->path);
			s->gap = false;
		}
		return;
	}
	if (s->size > SPOOL_MAX && s->size - s->coff <= SPOOL_TAIL_MAX)
		spool_next(s, s->gen + 1, s->coff);
}

void
spool_stored(struct spool *s, const void *pos, size_t len, size_t held)
{
	long long gen;
	off_t off;

	if (spool_parse(pos, len, &gen, &off) < 0)
		return;
	s->cgen = gen;
	s->coff = off;
	spool_tidy(s, held);
}

bool
spool_own_file(const char *name)
{
	return strcmp(name, SPOOL_NAME) == 0 || strcmp(name, SPOOL_TMP) == 0;
}

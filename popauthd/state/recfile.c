/*
 * recfile.c - an append-only file of records (see recfile.h).
 *
 * Layout, little-endian: a 24-byte header ("PAJRNL1\n", u64 generation,
 * u64 base length: where a compacted file's records end), then records:
 * u32 payload length, u32 check word of the payload, the payload.
 * Offsets are file offsets of a record's length field.  The buffer holds
 * records not yet written; their offsets continue the file's, and their
 * check words are filled (seal) as the buffer goes to the file.  While a
 * replay runs the write-behind thread, a full buffer is queued to it and
 * the spare one filled meanwhile; the public calls (flush, read,
 * compaction, close) wait for the queue first.
 */
#include "recfile.h"
#include "log.h"
#include "util.h"
#include "wbehind.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECFILE_MAGIC "PAJRNL1\n"
#define RECFILE_HDR   24
#define RECFILE_FRAME 8
#define RECFILE_BUF   (1024 * 1024) /* written when full (it can grow) */

struct recfile {
	int fd;
	char *path, *tmp, *dir;
	uint64_t gen, written; /* generation; bytes in the file */
	uint8_t *buf;          /* records not yet written */
	size_t n, cap;
	uint8_t *spare; /* the buffer queued to wbehind (its ticket) */
	size_t spare_cap;
	unsigned long spare_ticket;
	bool behind;     /* queued, not yet drained */
	size_t reserved; /* recfile_reserve's frame start in buf */
	/* compaction: the new file, its buffer and length; the old file
	 * mapped (records copied from it, not read two preads each) */
	int cfd;
	uint8_t *cbuf;
	size_t cn;
	uint64_t clen;
	uint8_t *map;
	size_t maplen;
};

static int put_buf(struct recfile *j);
static int settle(struct recfile *j);

/*
 * check - the payload's check word: a multiply-xor hash, 8 bytes a step.
 * It catches a torn or garbled record; a CRC's byte loop cost more than
 * the rest of an append (evidence lines come at log speed).
 */
static uint32_t
check(const uint8_t *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	return (uint32_t)h;
}

static void
put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static int
write_header(struct recfile *j, int fd, uint64_t gen, uint64_t base)
{
	uint8_t h[RECFILE_HDR];

	memcpy(h, RECFILE_MAGIC, 8);
	put64(h + 8, gen);
	put64(h + 16, base);
	if (wb_write_all(fd, h, sizeof(h), 0) < 0) {
		log_warn("%s: write: %s", j->path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * scan - hand fn the records in [RECFILE_HDR, limit) of the mapped file p
 * (size bytes); the end of the last whole, intact record
 */
static uint64_t
scan(struct recfile *j, const uint8_t *p, uint64_t size, uint64_t limit,
    recfile_rec_fn *fn, void *arg)
{
	uint64_t off = RECFILE_HDR;

	if (limit > size) {
		log_warn("%s: %llu bytes committed, %llu in the file: the "
		         "rest of its records are lost",
		    j->path, (unsigned long long)limit,
		    (unsigned long long)size);
		limit = size;
	}
	while (off + RECFILE_FRAME <= limit) {
		uint32_t n = get32(p + off);

		if (n > RECFILE_REC_MAX || off + RECFILE_FRAME + n > limit ||
		    check(p + off + RECFILE_FRAME, n) != get32(p + off + 4)) {
			log_warn("%s: a damaged record at offset %llu: the "
			         "journal is cut there",
			    j->path, (unsigned long long)off);
			break;
		}
		fn(arg, off, p + off + RECFILE_FRAME, n);
		off += RECFILE_FRAME + n;
	}
	return off;
}

/* load - the committed records of the open file to fn; its good length */
static int64_t
load(struct recfile *j, const struct recfile_mark *m, recfile_rec_fn *fn,
    void *arg)
{
	struct stat sb;
	uint8_t *p;
	uint64_t gen, limit, end;

	if (fstat(j->fd, &sb) < 0) {
		log_error("%s: fstat: %s", j->path, strerror(errno));
		return -1;
	}
	j->gen = m != NULL ? m->gen : 1;
	if (m == NULL || sb.st_size < RECFILE_HDR) {
		if (m != NULL)
			log_warn("%s: missing or empty, but the state "
			         "committed %llu bytes: those records are lost",
			    j->path, (unsigned long long)m->len);
		return RECFILE_HDR; /* a new journal */
	}
	p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, j->fd, 0);
	if (p == MAP_FAILED) {
		log_error("%s: mmap: %s", j->path, strerror(errno));
		return -1;
	}
	gen = get64(p + 8);
	if (memcmp(p, RECFILE_MAGIC, 8) != 0 ||
	    (gen != m->gen && gen != m->gen + 1)) {
		log_warn("%s: not the journal the state committed (generation "
		         "%llu, expected %llu): its records are dropped",
		    j->path, (unsigned long long)gen,
		    (unsigned long long)m->gen);
		munmap(p, (size_t)sb.st_size);
		return RECFILE_HDR;
	}
	/* one generation ahead: a compaction whose mark was not committed */
	limit = gen == m->gen ? m->len : get64(p + 16);
	j->gen = gen;
	end = scan(j, p, (uint64_t)sb.st_size, limit, fn, arg);
	munmap(p, (size_t)sb.st_size);
	return (int64_t)end;
}

struct recfile *
recfile_open(const char *dir, const char *name, const struct recfile_mark *m,
    recfile_rec_fn *fn, void *arg)
{
	struct recfile *j = xcalloc(1, sizeof(*j));
	size_t n = strlen(dir) + strlen(name) + 20;
	int64_t end;

	j->dir = xstrdup(dir);
	j->path = xmalloc(n);
	j->tmp = xmalloc(n);
	snprintf(j->path, n, "%s/%s.journal", dir, name);
	snprintf(j->tmp, n, "%s/%s.journal.tmp", dir, name);
	j->fd = j->cfd = -1;
	(void)unlink(j->tmp); /* a compaction cut short */
	j->fd = open(j->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (j->fd < 0) {
		log_error("%s: %s", j->path, strerror(errno));
		recfile_close(j);
		return NULL;
	}
	if ((end = load(j, m, fn, arg)) < 0) {
		recfile_close(j);
		return NULL;
	}
	if (end == RECFILE_HDR &&
	    write_header(j, j->fd, j->gen, RECFILE_HDR) < 0) {
		recfile_close(j);
		return NULL;
	}
	if (ftruncate(j->fd, (off_t)end) < 0) {
		log_error("%s: ftruncate: %s", j->path, strerror(errno));
		recfile_close(j);
		return NULL;
	}
	j->written = (uint64_t)end;
	j->cap = RECFILE_BUF;
	j->buf = xmalloc(j->cap);
	return j;
}

void
recfile_close(struct recfile *j)
{
	if (j == NULL)
		return;
	if (j->fd >= 0) {
		(void)recfile_flush(j);
		close(j->fd);
	}
	if (j->cfd >= 0)
		(void)recfile_compact_end(j, false);
	free(j->buf);
	free(j->spare); /* recfile_flush waited for it */
	free(j->path);
	free(j->tmp);
	free(j->dir);
	free(j);
}

uint8_t *
recfile_reserve(struct recfile *j, size_t max)
{
	size_t need = RECFILE_FRAME + max;

	if (j->n + need > j->cap && j->n > 0)
		(void)put_buf(j);
	if (j->n + need > j->cap) { /* a write failed: keep it in memory */
		j->cap = (j->n + need) * 2;
		j->buf = xrealloc(j->buf, j->cap);
	}
	j->reserved = j->n;
	return j->buf + j->n + RECFILE_FRAME;
}

/*
 * seal - the check words of the records in p[0, len): filled when a buffer
 * goes to the file (in a replay, on the write-behind thread), not at
 * recfile_add on the caller's busier thread
 */
static void
seal(void *p, size_t len)
{
	uint8_t *b = p;
	size_t off = 0, n;

	while (off + RECFILE_FRAME <= len) {
		n = get32(b + off);
		put32(b + off + 4, check(b + off + RECFILE_FRAME, n));
		off += RECFILE_FRAME + n;
	}
}

uint64_t
recfile_add(struct recfile *j, size_t n)
{
	uint8_t *f = j->buf + j->reserved;

	put32(f, (uint32_t)n);
	put32(f + 4, 0); /* seal's, at the write */
	j->n = j->reserved + RECFILE_FRAME + n;
	return j->written + j->reserved;
}

/* behind - queue the buffer, go on in the spare once it is written */
static void
behind(struct recfile *j)
{
	uint8_t *full = j->buf;
	size_t cap = j->cap;

	if (j->spare != NULL)
		wb_wait(j->spare_ticket);
	else
		j->spare = xmalloc(j->spare_cap = cap);
	if (j->spare_cap < cap) /* grew after a failed write */
		j->spare = xrealloc(j->spare, j->spare_cap = cap);
	j->spare_ticket = wb_write(j->fd, full, j->n, j->written, seal);
	j->buf = j->spare;
	j->cap = j->spare_cap;
	j->spare = full;
	j->spare_cap = cap;
	j->behind = true;
	j->written += j->n;
	j->n = 0;
}

/*
 * settle - wait for the queue.  A failed write cannot be redone (its
 * buffer is in use again): the file is taken back to where it failed,
 * and the records past it are lost (their reads fail the check).
 */
static int
settle(struct recfile *j)
{
	uint64_t at = 0;

	if (!j->behind)
		return 0;
	j->behind = false;
	if (wb_drain(j->fd, &at) == 0)
		return 0;
	log_warn("%s: write: %s (the records from byte %llu on are lost)",
	    j->path, strerror(errno), (unsigned long long)at);
	if (at < j->written)
		j->written = at;
	return -1;
}

int
recfile_flush(struct recfile *j)
{
	int rc = put_buf(j);

	return settle(j) < 0 ? -1 : rc;
}

/* put_buf - the buffer to the file, or queued behind */
static int
put_buf(struct recfile *j)
{
	if (j->n == 0)
		return 0;
	if (wb_running()) {
		behind(j);
		return 0;
	}
	seal(j->buf, j->n);
	if (wb_write_all(j->fd, j->buf, j->n, j->written) < 0) {
		log_warn("%s: write: %s (kept in memory, retried)", j->path,
		    strerror(errno));
		/* what did land is rewritten whole next time */
		return -1;
	}
	j->written += j->n;
	j->n = 0;
	return 0;
}

void
recfile_mark(const struct recfile *j, struct recfile_mark *m)
{
	m->gen = j->gen;
	m->len = j->written;
}

int
recfile_sync(struct recfile *j)
{
	if (fdatasync(j->fd) < 0) {
		log_warn("%s: fdatasync: %s", j->path, strerror(errno));
		return -1;
	}
	return 0;
}

uint64_t
recfile_bytes(const struct recfile *j)
{
	return j->written + j->n;
}

ssize_t
recfile_read(struct recfile *j, uint64_t off, uint8_t *buf, size_t size)
{
	uint8_t f[RECFILE_FRAME];
	uint32_t n;

	(void)settle(j);         /* a queued record is read from the file */
	if (off >= j->written) { /* still in the buffer */
		if (off - j->written + RECFILE_FRAME > j->n)
			return -1;
		memcpy(f, j->buf + (off - j->written), RECFILE_FRAME);
	} else if (pread(j->fd, f, sizeof(f), (off_t)off) != (ssize_t)sizeof(f))
		return -1;
	n = get32(f);
	if (n > size)
		return -1;
	if (off >= j->written) {
		/* in memory, not sealed yet: nothing to check */
		memcpy(buf, j->buf + (off - j->written) + RECFILE_FRAME, n);
		return (ssize_t)n;
	}
	if (pread(j->fd, buf, n, (off_t)(off + RECFILE_FRAME)) != (ssize_t)n)
		return -1;
	if (check(buf, n) != get32(f + 4))
		return -1;
	return (ssize_t)n;
}

int
recfile_compact_begin(struct recfile *j)
{
	if (recfile_flush(j) < 0)
		return -1;
	/* read and written: it becomes the journal */
	j->cfd = open(
	    j->tmp, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (j->cfd < 0) {
		log_warn("%s: %s", j->tmp, strerror(errno));
		return -1;
	}
	j->cbuf = xmalloc(RECFILE_BUF);
	j->cn = 0;
	j->clen = RECFILE_HDR;
	j->maplen = (size_t)j->written;
	j->map = mmap(NULL, j->maplen, PROT_READ, MAP_PRIVATE, j->fd, 0);
	if (j->map == MAP_FAILED) /* recfile_read does it, slower */
		j->map = NULL;
	else
		(void)madvise(j->map, j->maplen, MADV_SEQUENTIAL);
	return 0;
}

/* unmap - the old file's mapping, once compaction ends */
static void
unmap(struct recfile *j)
{
	if (j->map != NULL)
		munmap(j->map, j->maplen);
	j->map = NULL;
}

/* cflush - the compaction buffer to the new file */
static int
cflush(struct recfile *j)
{
	if (wb_write_all(j->cfd, j->cbuf, j->cn, j->clen - j->cn) < 0) {
		log_warn("%s: write: %s", j->tmp, strerror(errno));
		return -1;
	}
	j->cn = 0;
	return 0;
}

int64_t
recfile_compact_copy(struct recfile *j, uint64_t off)
{
	uint8_t *f;
	ssize_t n;
	uint64_t at = j->clen;

	if (j->cn + RECFILE_FRAME + RECFILE_REC_MAX > RECFILE_BUF &&
	    cflush(j) < 0)
		return -1;
	f = j->cbuf + j->cn;
	if (j->map != NULL && off + RECFILE_FRAME <= j->maplen) {
		const uint8_t *r = j->map + off;
		uint32_t len = get32(r);

		n = -1;
		if (len <= RECFILE_REC_MAX &&
		    off + RECFILE_FRAME + len <= j->maplen &&
		    check(r + RECFILE_FRAME, len) == get32(r + 4)) {
			memcpy(f, r, RECFILE_FRAME + len); /* checked: as is */
			n = (ssize_t)len;
		}
	} else {
		n = recfile_read(j, off, f + RECFILE_FRAME, RECFILE_REC_MAX);
		if (n >= 0) {
			put32(f, (uint32_t)n);
			put32(f + 4, check(f + RECFILE_FRAME, (size_t)n));
		}
	}
	if (n < 0) {
		log_warn("%s: cannot read the record at %llu", j->path,
		    (unsigned long long)off);
		return -1;
	}
	j->cn += RECFILE_FRAME + (size_t)n;
	j->clen += RECFILE_FRAME + (uint64_t)n;
	return (int64_t)at;
}

int
recfile_compact_end(struct recfile *j, bool ok)
{
	int dfd;

	if (ok &&
	    (cflush(j) < 0 || write_header(j, j->cfd, j->gen + 1, j->clen) < 0))
		ok = false;
	if (ok && fdatasync(j->cfd) < 0) {
		log_warn("%s: fdatasync: %s", j->tmp, strerror(errno));
		ok = false;
	}
	if (ok && rename(j->tmp, j->path) < 0) {
		log_warn("%s: rename: %s", j->tmp, strerror(errno));
		ok = false;
	}
	free(j->cbuf);
	j->cbuf = NULL;
	unmap(j);
	if (!ok) {
		close(j->cfd);
		j->cfd = -1;
		(void)unlink(j->tmp);
		return -1;
	}
	/* the rename is what a crash must not undo */
	if ((dfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	close(j->fd);
	j->fd = j->cfd;
	j->cfd = -1;
	j->gen++;
	j->written = j->clen;
	return 0;
}

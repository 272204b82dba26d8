/*
 * map.c - keep the tables that Postfix reads natively (see map.h).
 *
 * Two kinds of table (map_be.h).  A rewritten kind (hash:):
 * map_flush writes DIR/NAME.db.tmp.PID.N through the table's backend
 * (map_be.h: map_hash.c's Berkeley DB hash:, the libdb Postfix links), syncs
 * it, sets 0644 and renames it over NAME.db: either a whole new table from
 * the tracker's walk, or (a delta, once map_set_value_fn is set) a copy of
 * the live file with just the changed keys put or deleted.  Every smtpd
 * that had the old file open sees st_nlink == 0 and reopens before its next
 * session.  The live file is never truncated, deleted or edited in place.
 * A kind changed in place (lmdb:) has no temporary file: map_flush puts and
 * deletes the changed keys in one write transaction on the live table, or
 * empties and refills it in one (a full rewrite); readers see either all of
 * a transaction or none of it, and smtpd does not restart, so nothing is
 * coalesced (map_in_place) and nothing runs in a child.
 * Ownership: struct map owns its path strings; map_put copies nothing.
 * Security: keys come from addr_map_key, values from our own templates.
 */
#include "map.h"
#include "map_be.h"
#include "log.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* changes kept for a delta flush; beyond this a full rewrite is cheaper */
#define MAP_DELTA_MAX 4096
/* a delta copies the live file: above this, in a child (map_delta_cheap) */
#define MAP_DELTA_INLINE_MAX (16 * 1024 * 1024)
/* changes kept for an in-place flush: each costs one put, whatever the size */
#define MAP_INPLACE_MAX (1024 * 1024)
/* an in-place transaction tried again this often after MDB_MAP_FULL */
#define MAP_GROW_TRIES 8

struct map {
	const struct map_backend *be;
	char *dir;
	char *name;
	char *path; /* DIR/NAME.db or DIR/NAME.lmdb */
	void *live; /* an in-place kind's attached table */
	dev_t dev;  /* ... and the file it has open */
	ino_t ino;
	bool dirty;
	bool full;            /* the next flush rewrites everything */
	map_value_fn *value;  /* NULL: every flush is a full rewrite */
	struct addr *changed; /* since the last flush, when !full */
	size_t nchanged, capchanged;
	size_t since_full;  /* delta ops since the last full rewrite */
	size_t child_delta; /* a background delta of this many changes, or 0 */
	size_t hint;        /* records expected in the next flush */
	pid_t child;        /* a background flush, or 0 */
	unsigned long long flushes, seq;
	/* change numbers: made so far, in the table on disk, in the child's */
	unsigned long long changes, visible, child_changes;
};

struct map_writer {
	const struct map_backend *be;
	void *h; /* the backend's open table */
	const char *tmp;
	int err;
	size_t n;
	uint32_t order_mask; /* see map_addr_order */
};

const char *
map_path(const struct map *m)
{
	return m->path;
}

/* map_cleanup - remove leftovers of our earlier runs: NAME.db.tmp.* and __db.NAME.db.tmp.* */
static void
map_cleanup(struct map *m)
{
	char pfx[512], pfx2[520];
	struct dirent *de;
	DIR *d = opendir(m->dir);

	if (d == NULL)
		return;
	snprintf(pfx, sizeof(pfx), "%s.db.tmp.", m->name);
	snprintf(pfx2, sizeof(pfx2), "__db.%s", pfx);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, pfx, strlen(pfx)) == 0 ||
		    strncmp(de->d_name, pfx2, strlen(pfx2)) == 0) {
			char path[4096];

			snprintf(
			    path, sizeof(path), "%s/%s", m->dir, de->d_name);
			if (unlink(path) == 0)
				log_info("%s: removed leftover temporary file",
				    path);
		}
	}
	closedir(d);
}

static void
empty_walk(void *arg, struct map_writer *w)
{
	UNUSED(arg);
	UNUSED(w);
}

/* map_attach - (re)open an in-place kind's live table; 0 or -1 (logged) */
static int
map_attach(struct map *m)
{
	struct stat st;

	m->be->detach(m->live);
	if ((m->live = m->be->attach(m->path, m->hint)) == NULL)
		return -1;
	if (stat(m->path, &st) == 0) {
		m->dev = st.st_dev;
		m->ino = st.st_ino;
	}
	return 0;
}

/* map_backend_find - the backend main.cf calls type, or NULL */
static const struct map_backend *
map_backend_find(const char *type)
{
	static const struct map_backend *const all[] = {
	    &map_hash_backend, &map_lmdb_backend};
	size_t i;

	for (i = 0; i < NITEMS(all); i++)
		if (strcmp(all[i]->type, type) == 0)
			return all[i];
	return NULL;
}

struct map *
map_open(const char *dir, const char *name, const char *type)
{
	struct map *m;
	const struct map_backend *be = map_backend_find(type);
	size_t len = strlen(dir) + strlen(name) + 8;
	struct stat st;
	bool made;

	if (be == NULL)
		log_panic("%s: unknown map type %s", __func__, type);
	m = xcalloc(1, sizeof(*m));
	m->be = be;
	m->dir = xstrdup(dir);
	m->name = xstrdup(name);
	m->path = xmalloc(len);
	snprintf(m->path, len, "%s/%s%s", dir, name, m->be->suffix);
	if (mkdir_p(dir) < 0) {
		log_error(
		    "%s: cannot create directory: %s", dir, strerror(errno));
		map_close(m);
		return NULL;
	}
	map_cleanup(m);
	m->full = true;
	made = stat(m->path, &st) < 0 || st.st_size == 0;
	if (m->be->in_place && map_attach(m) < 0) {
		map_close(m);
		return NULL;
	}
	if (made) {
		if (map_flush(m, empty_walk, NULL) < 0) {
			map_close(m);
			return NULL;
		}
		log_info("%s: created empty table", m->path);
	}
	return m;
}

void
map_close(struct map *m)
{
	if (m == NULL)
		return;
	map_wait(m);
	if (m->be->in_place)
		m->be->detach(m->live);
	free(m->changed);
	free(m->dir);
	free(m->name);
	free(m->path);
	free(m);
}

void
map_touch(struct map *m)
{
	m->changes++;
	m->dirty = true;
	m->full = true;
	m->nchanged = 0;
}

void
map_set_value_fn(struct map *m, map_value_fn *value)
{
	m->value = value;
}

void
map_change(struct map *m, const struct addr *a)
{
	size_t max = m->be->in_place ? MAP_INPLACE_MAX : MAP_DELTA_MAX;

	if (m->value == NULL || m->full || m->nchanged >= max) {
		map_touch(m);
		return;
	}
	if (m->nchanged == m->capchanged) {
		m->capchanged = m->capchanged ? m->capchanged * 2 : 64;
		m->changed =
		    xrealloc(m->changed, m->capchanged * sizeof(*m->changed));
	}
	m->changed[m->nchanged++] = *a;
	m->changes++;
	m->dirty = true;
}

/* flushed - the table on disk now holds every change */
static void
flushed(struct map *m, bool full)
{
	m->dirty = false;
	m->flushes++;
	m->visible = m->changes;
	m->since_full = full ? 0 : m->since_full + m->nchanged;
	m->full = false;
	m->nchanged = 0;
}

bool
map_dirty(const struct map *m)
{
	return m->dirty;
}

unsigned long long
map_changes(const struct map *m)
{
	return m->changes;
}

bool
map_holds(const struct map *m, unsigned long long change)
{
	return m->visible >= change;
}

void
map_size_hint(struct map *m, size_t n)
{
	m->hint = n;
}

unsigned long long
map_flushes(const struct map *m)
{
	return m->flushes;
}

bool
map_in_place(const struct map *m)
{
	return m->be->in_place;
}

bool
map_check(struct map *m)
{
	struct stat st;
	bool ok = stat(m->path, &st) == 0 && st.st_size > 0;

	/* in place: our open file must still be the one Postfix opens */
	if (ok &&
	    (!m->be->in_place ||
	        (m->live != NULL && st.st_dev == m->dev &&
	            st.st_ino == m->ino)))
		return false;
	if (!m->dirty || m->live == NULL)
		log_warn("%s: table missing, empty or replaced (by hand?); "
		         "writing it again from state",
		    m->path);
	if (m->be->in_place && map_attach(m) < 0) {
		m->be->detach(m->live);
		m->live = NULL; /* map_flush tries again */
	}
	map_touch(m);
	return true;
}

void
map_put(struct map_writer *w, const char *key, const char *value)
{
	if (w->err != 0)
		return;
	if ((w->err = w->be->put(w->h, w->tmp, key, value)) == 0)
		w->n++;
}

uint32_t
map_addr_order(void *arg, const struct addr *a)
{
	const struct map_writer *w = arg;
	char key[ADDR_STRLEN];

	if (w->order_mask == 0 || addr_map_key(a, key, sizeof(key)) == NULL)
		return 0;
	return w->be->order(key, w->order_mask);
}

/* tmp_name - DIR/NAME.db.tmp.PID.N for the next flush (map_cleanup's prefix) */
static void
tmp_name(struct map *m, char *buf, size_t size)
{
	snprintf(
	    buf, size, "%s.tmp.%ld.%llu", m->path, (long)getpid(), ++m->seq);
}

/*
 * writer_open - w on tmp with a cache of cache bytes: a new table (create) or
 * the copy already there; 0, or -1 (logged, tmp removed)
 */
static int
writer_open(struct map *m, struct map_writer *w, const char *tmp, size_t cache,
    bool create)
{
	memset(w, 0, sizeof(*w));
	w->be = m->be;
	w->tmp = tmp;
	if ((w->h = w->be->open(tmp, cache, create)) == NULL) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* writer_del - remove key during a delta flush (absent is fine) */
static void
writer_del(struct map_writer *w, const char *key)
{
	if (w->err == 0)
		w->err = w->be->del(w->h, w->tmp, key);
}

/* sync_path - fdatasync a closed file by name; 0 or -1 */
static int
sync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fdatasync(fd);
	close(fd);
	return rc;
}

/*
 * writer_commit - sync and close w, then make its file readable and rename it
 * over the table; copied: the file began as a copy, whose pages libdb never
 * wrote, so they are synced too.  0, or -1 (logged, the file removed).
 */
static int
writer_commit(struct map *m, struct map_writer *w, bool copied)
{
	int saved;

	if (w->be->close(w->h, w->tmp, w->err != 0) < 0 || w->err != 0)
		goto fail;
	if (copied && sync_path(w->tmp) < 0) {
		log_warn("%s: fdatasync: %s", w->tmp, strerror(errno));
		goto fail;
	}
	if (chmod(w->tmp, 0644) < 0) {
		log_warn("%s: %s", w->tmp, strerror(errno));
		goto fail;
	}
	if (rename(w->tmp, m->path) < 0) {
		log_warn(
		    "%s: rename to %s: %s", w->tmp, m->path, strerror(errno));
		goto fail;
	}
	/*
	 * No fsync of the directory: if a power loss undoes the rename, Postfix
	 * reads the previous complete table, and popauthd rewrites every map
	 * from its state at the next start anyway.
	 */
	return 0;
fail:
	saved = errno;
	unlink(w->tmp);
	errno = saved;
	return -1;
}

/* flush_full - a new table from walk(arg) */
static int
flush_full(struct map *m, map_walk_fn *walk, void *arg)
{
	char tmp[4096];
	struct map_writer w;
	/*
	 * The walk puts records in bucket order (map_addr_order), so pages
	 * fill one after another and a small cache is enough: 1M records in
	 * ~2 s with 4 MiB (12 s unordered with 16 MiB, 3.3 s unordered with a
	 * cache as big as the file).
	 */
	size_t cache = m->hint * 64;

	if (cache < 256 * 1024)
		cache = 256 * 1024;
	if (cache > 8 * 1024 * 1024)
		cache = 8 * 1024 * 1024;
	tmp_name(m, tmp, sizeof(tmp));
	if (writer_open(m, &w, tmp, cache, true) < 0)
		return -1;
	w.order_mask = m->be->order_mask(m->hint);
	walk(arg, &w);
	if (writer_commit(m, &w, false) < 0)
		return -1;
	flushed(m, true);
	log_debug("%s: wrote %zu records", m->path, w.n);
	return 0;
}

/* copy_file - src's bytes into a new file dst (0644); 0 or -1 (logged) */
static int
copy_file(const char *src, const char *dst)
{
	int in, out, rc = -1;
	ssize_t n;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0) {
		log_warn("%s: %s", src, strerror(errno));
		return -1;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0) {
		log_warn("%s: %s", dst, strerror(errno));
		close(in);
		return -1;
	}
	/* in the kernel where it can; plain read/write where it cannot */
	while ((n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0)) > 0)
		;
	if (n < 0 &&
	    (errno == EINVAL || errno == EXDEV || errno == ENOSYS ||
	        errno == EOPNOTSUPP)) {
		char buf[65536];

		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)n) != n) {
				n = -1;
				break;
			}
	}
	if (n < 0)
		log_warn("%s: copy to %s: %s", src, dst, strerror(errno));
	else
		rc = 0;
	close(in);
	if (close(out) < 0 && rc == 0) {
		log_warn("%s: %s", dst, strerror(errno));
		rc = -1;
	}
	return rc;
}

/* flush_delta - copy the live table, apply the changed keys, rename it back */
static int
flush_delta(struct map *m)
{
	char tmp[4096], key[ADDR_STRLEN], vbuf[1024];
	struct map_writer w;
	size_t i;

	tmp_name(m, tmp, sizeof(tmp));
	if (copy_file(m->path, tmp) < 0) {
		unlink(tmp);
		return -1;
	}
	if (writer_open(m, &w, tmp, 256 * 1024, false) < 0)
		return -1;
	for (i = 0; i < m->nchanged; i++) {
		const char *val = m->value(&m->changed[i], vbuf, sizeof(vbuf));

		if (addr_map_key(&m->changed[i], key, sizeof(key)) == NULL)
			continue; /* a /64 Postfix cannot look up (addr.h) */
		if (val != NULL)
			map_put(&w, key, val);
		else
			writer_del(&w, key);
	}
	if (writer_commit(m, &w, true) < 0)
		return -1;
	log_debug("%s: wrote %zu changes", m->path, m->nchanged);
	flushed(m, false);
	return 0;
}

/*
 * flush_in_place - one write transaction on the live table: emptied and
 * refilled from walk(arg) (full), or the changed keys put or deleted; all
 * of it again after the table grew
 */
static int
flush_in_place(struct map *m, map_walk_fn *walk, void *arg)
{
	char key[ADDR_STRLEN], vbuf[1024];
	bool full = m->full || m->value == NULL;
	struct map_writer w;
	int tries, rc = -1;
	size_t i;

	if (m->live == NULL && map_attach(m) < 0)
		return -1;
	for (tries = 0; tries < MAP_GROW_TRIES; tries++) {
		memset(&w, 0, sizeof(w));
		w.be = m->be;
		w.tmp = m->path;
		if ((w.h = m->be->begin(m->live, m->path, full, m->hint)) ==
		    NULL)
			return -1;
		if (full)
			walk(arg, &w);
		for (i = 0; !full && i < m->nchanged; i++) {
			const char *val =
			    m->value(&m->changed[i], vbuf, sizeof(vbuf));

			if (addr_map_key(&m->changed[i], key, sizeof(key)) ==
			    NULL)
				continue; /* a /64 Postfix cannot look up */
			if (val != NULL)
				map_put(&w, key, val);
			else
				writer_del(&w, key);
		}
		if ((rc = m->be->commit(w.h, m->path, w.err)) != 1)
			break;
	}
	if (rc != 0)
		return -1;
	log_debug("%s: wrote %zu %s", m->path, full ? w.n : m->nchanged,
	    full ? "records" : "changes");
	flushed(m, full);
	return 0;
}

bool
map_delta_ready(const struct map *m)
{
	size_t limit = m->hint > 1024 ? m->hint : 1024;

	/* in place: a delta never leaves a file to compact */
	if (m->be->in_place)
		return m->value != NULL && !m->full && m->nchanged > 0;
	/* deletes leave room behind: a full rewrite now and then compacts */
	return m->value != NULL && !m->full && m->nchanged > 0 &&
	    m->since_full + m->nchanged <= limit;
}

bool
map_delta_cheap(const struct map *m)
{
	struct stat st;

	if (m->be->in_place)
		return map_delta_ready(m);
	return map_delta_ready(m) && stat(m->path, &st) == 0 &&
	    st.st_size <= MAP_DELTA_INLINE_MAX;
}

int
map_flush(struct map *m, map_walk_fn *walk, void *arg)
{
	if (m->be->in_place)
		return flush_in_place(m, walk, arg);
	if (map_delta_ready(m) && flush_delta(m) == 0)
		return 0;
	return flush_full(m, walk, arg);
}

int
map_flush_bg(struct map *m, map_walk_fn *walk, void *arg)
{
	pid_t parent = getpid(), pid;

	/* in place: a child's snapshot would undo what the loop writes */
	if (m->child != 0 || m->be->in_place)
		return -1;
	if ((pid = fork()) < 0) {
		log_warn("%s: fork for a background rewrite: %s", m->path,
		    strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/*
		 * Die with the daemon: an orphan renaming an old snapshot over
		 * the table a restarted daemon just wrote would undo grants.
		 */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		_exit(map_flush(m, walk, arg) == 0 ? 0 : 1);
	}
	m->child = pid;
	m->child_changes = m->changes;
	m->child_delta = map_delta_ready(m) ? m->nchanged : 0;
	/*
	 * The child writes everything up to now; later changes collect as
	 * usual and go on top of its table once it is in place (or, if it
	 * fails, map_touch makes the next flush a full one).
	 */
	m->dirty = false;
	m->full = false;
	m->nchanged = 0;
	return 0;
}

bool
map_busy(const struct map *m)
{
	return m->child != 0;
}

/* map_reaped - account for the child's exit status */
static int
map_reaped(struct map *m, int status)
{
	m->child = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		m->flushes++;
		m->visible = m->child_changes;
		m->since_full =
		    m->child_delta > 0 ? m->since_full + m->child_delta : 0;
		return 1;
	}
	map_touch(m); /* the child said why (or died): write it again */
	return -1;
}

int
map_poll(struct map *m)
{
	int status;
	pid_t r;

	if (m->child == 0)
		return 1;
	r = waitpid(m->child, &status, WNOHANG);
	if (r == 0)
		return 0;
	if (r < 0) {
		m->child = 0;
		map_touch(m);
		return -1;
	}
	return map_reaped(m, status);
}

int
map_wait(struct map *m)
{
	int status;

	if (m->child == 0)
		return 1;
	while (waitpid(m->child, &status, 0) < 0) {
		if (errno != EINTR) {
			m->child = 0;
			map_touch(m);
			return -1;
		}
	}
	return map_reaped(m, status);
}

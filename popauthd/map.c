/*
 * map.c - keep the Postfix hash: tables that Postfix reads natively (see map.h).
 *
 * map_flush writes DIR/NAME.db.tmp.PID.N with Berkeley DB 5.3 DB_HASH (the libdb
 * Postfix links), every key and value with its trailing NUL, syncs it (one
 * fsync), sets 0644 and renames it over NAME.db.  Every smtpd that
 * had the old file open sees st_nlink == 0 and reopens before its next session.
 * The live file is never truncated, deleted or edited in place.
 * Ownership: struct map owns its path strings; map_put copies nothing (BDB does).
 * Security: keys come from addr_format, values from our own templates.
 */
#include "map.h"
#include "log.h"
#include "util.h"

#include <db.h>
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

struct map {
	char *dir;
	char *name;
	char *path; /* DIR/NAME.db */
	bool dirty;
	size_t hint; /* records expected in the next flush */
	pid_t child; /* a background flush, or 0 */
	unsigned long long flushes, seq;
};

struct map_writer {
	DB *db;
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

/* mkdir_p - create dir and missing parents, mode 0755 */
static int
mkdir_p(const char *dir)
{
	char *p = xstrdup(dir), *s;
	int rc = 0;

	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
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

struct map *
map_open(const char *dir, const char *name)
{
	struct map *m = xcalloc(1, sizeof(*m));
	size_t len = strlen(dir) + strlen(name) + 8;
	struct stat st;

	m->dir = xstrdup(dir);
	m->name = xstrdup(name);
	m->path = xmalloc(len);
	snprintf(m->path, len, "%s/%s.db", dir, name);
	if (mkdir_p(dir) < 0) {
		log_error(
		    "%s: cannot create directory: %s", dir, strerror(errno));
		map_close(m);
		return NULL;
	}
	map_cleanup(m);
	if (stat(m->path, &st) < 0 || st.st_size == 0) {
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
	free(m->dir);
	free(m->name);
	free(m->path);
	free(m);
}

void
map_touch(struct map *m)
{
	m->dirty = true;
}

bool
map_dirty(const struct map *m)
{
	return m->dirty;
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
map_check(struct map *m)
{
	struct stat st;

	if (stat(m->path, &st) == 0 && st.st_size > 0)
		return false;
	if (!m->dirty)
		log_warn("%s: table missing or empty (removed by hand?); "
		         "writing it again from state",
		    m->path);
	m->dirty = true;
	return true;
}

void
map_put(struct map_writer *w, const char *key, const char *value)
{
	DBT k, v;
	int rc;

	if (w->err != 0)
		return;
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)(uintptr_t)key;
	k.size = (u_int32_t)strlen(key) + 1;
	v.data = (void *)(uintptr_t)value;
	v.size = (u_int32_t)strlen(value) + 1;
	if ((rc = w->db->put(w->db, NULL, &k, &v, 0)) != 0) {
		log_warn("%s: put \"%s\": %s", w->tmp, key, db_strerror(rc));
		w->err = rc;
		return;
	}
	w->n++;
}

/*
 * order_mask - the low bucket mask libdb's hash will have at about n records.
 * libdb grows the table by splitting (h_ffactor unset); measured, about 57
 * records of ~120 bytes share a bucket at 1M.  n/64 rounded up to a power of
 * two is close enough: a mask a little off still sweeps the file in a few
 * interleaved passes, and the order only ever affects speed, never content.
 */
static uint32_t
order_mask(size_t n)
{
	uint32_t b = 1;

	while (b < n / 64 && b < (1u << 30))
		b <<= 1;
	return b - 1;
}

uint32_t
map_addr_order(void *arg, const struct addr *a)
{
	const struct map_writer *w = arg;
	char key[ADDR_STRLEN];
	const uint8_t *k;
	uint32_t h = 0;

	if (w->order_mask == 0)
		return 0;
	addr_format(a, key, sizeof(key));
	/* libdb 5.3's default __ham_func5 (FNV-1), over the key and its NUL */
	for (k = (const uint8_t *)key;; k++) {
		h *= 16777619;
		h ^= *k;
		if (*k == '\0')
			break;
	}
	return h & w->order_mask;
}

int
map_flush(struct map *m, map_walk_fn *walk, void *arg)
{
	char tmp[4096];
	struct map_writer w;
	DB *db = NULL;
	int rc, saved;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%llu", m->path, (long)getpid(),
	    ++m->seq);
	if ((rc = db_create(&db, NULL, 0)) != 0) {
		log_warn("%s: db_create: %s", m->path, db_strerror(rc));
		return -1;
	}
	{
		/*
		 * The walk puts records in bucket order (map_addr_order), so
		 * pages fill one after another and a small cache is enough:
		 * 1M records in ~2 s with 4 MiB (12 s unordered with 16 MiB,
		 * 3.3 s unordered with a cache as big as the file).
		 */
		size_t cache = m->hint * 64;

		if (cache < 256 * 1024)
			cache = 256 * 1024;
		if (cache > 8 * 1024 * 1024)
			cache = 8 * 1024 * 1024;
		db->set_cachesize(db, 0, (u_int32_t)cache, 1);
	}
	rc = db->open(db, NULL, tmp, NULL, DB_HASH, DB_CREATE | DB_EXCL, 0644);
	if (rc != 0) {
		log_warn("%s: open: %s", tmp, db_strerror(rc));
		db->close(db, 0);
		unlink(tmp);
		return -1;
	}
	memset(&w, 0, sizeof(w));
	w.db = db;
	w.tmp = tmp;
	w.order_mask = order_mask(m->hint);
	walk(arg, &w);
	if (w.err == 0 && (rc = db->sync(db, 0)) != 0) {
		log_warn("%s: sync: %s", tmp, db_strerror(rc));
		w.err = rc;
	}
	/* the sync above wrote and fsynced every page: no second flush */
	if ((rc = db->close(db, DB_NOSYNC)) != 0 && w.err == 0) {
		log_warn("%s: close: %s", tmp, db_strerror(rc));
		w.err = rc;
	}
	if (w.err != 0)
		goto fail;
	if (chmod(tmp, 0644) < 0) {
		log_warn("%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (rename(tmp, m->path) < 0) {
		log_warn("%s: rename to %s: %s", tmp, m->path, strerror(errno));
		goto fail;
	}
	/*
	 * No fsync of the directory: if a power loss undoes the rename, Postfix
	 * reads the previous complete table, and popauthd rewrites every map
	 * from its state at the next start anyway.
	 */
	m->dirty = false;
	m->flushes++;
	log_debug("%s: wrote %zu records", m->path, w.n);
	return 0;
fail:
	saved = errno;
	unlink(tmp);
	errno = saved;
	return -1;
}

int
map_flush_bg(struct map *m, map_walk_fn *walk, void *arg)
{
	pid_t parent = getpid(), pid;

	if (m->child != 0)
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
	m->dirty = false;
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
		return 1;
	}
	m->dirty = true; /* the child said why (or died): write it again */
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
		m->dirty = true;
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
			m->dirty = true;
			return -1;
		}
	}
	return map_reaped(m, status);
}

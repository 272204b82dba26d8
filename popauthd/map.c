/*
 * map.c - keep the Postfix hash: tables that Postfix reads natively (see map.h).
 *
 * map_flush writes DIR/NAME.db.tmp.PID.N with Berkeley DB 5.3 DB_HASH (the libdb
 * Postfix links), every key and value with its trailing NUL, syncs it, fdatasyncs
 * it, sets 0644 and renames it over NAME.db, then fsyncs DIR.  Every smtpd that
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
#include <sys/stat.h>
#include <unistd.h>

struct map {
	char *dir;
	char *name;
	char *path;	/* DIR/NAME.db */
	bool dirty;
	unsigned long long flushes, seq;
};

struct map_writer {
	DB *db;
	const char *tmp;
	int err;
	size_t n;
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

			snprintf(path, sizeof(path), "%s/%s", m->dir, de->d_name);
			if (unlink(path) == 0)
				log_info("%s: removed leftover temporary file", path);
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
		log_error("%s: cannot create directory: %s", dir, strerror(errno));
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

/* sync_path - fdatasync a file or fsync a directory by path */
static int
sync_path(const char *path, bool dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = dir ? fsync(fd) : fdatasync(fd);
	close(fd);
	return rc;
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
	db->set_cachesize(db, 0, 16 * 1024 * 1024, 1);
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
	walk(arg, &w);
	if (w.err == 0 && (rc = db->sync(db, 0)) != 0) {
		log_warn("%s: sync: %s", tmp, db_strerror(rc));
		w.err = rc;
	}
	if ((rc = db->close(db, 0)) != 0 && w.err == 0) {
		log_warn("%s: close: %s", tmp, db_strerror(rc));
		w.err = rc;
	}
	if (w.err != 0)
		goto fail;
	if (sync_path(tmp, false) < 0 || chmod(tmp, 0644) < 0) {
		log_warn("%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (rename(tmp, m->path) < 0) {
		log_warn("%s: rename to %s: %s", tmp, m->path, strerror(errno));
		goto fail;
	}
	if (sync_path(m->dir, true) < 0)
		log_warn("%s: fsync directory: %s", m->dir, strerror(errno));
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

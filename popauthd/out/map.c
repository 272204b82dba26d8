/*
 * map.c - keep the tables that Postfix reads natively (see map.h).
 *
 * Two kinds of table (map_be.h).  A rewritten kind (hash:, map_file.c):
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
 * coalesced (map_in_place) and nothing runs in a child.  That part is here;
 * map_core.c keeps the state both kinds share (map_core_int.h).
 * Ownership: struct map owns its path strings; map_put copies nothing.
 * Security: keys come from addr_map_key, values from our own templates.
 */
#include "map.h"
#include "map_core_int.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *
map_path(const struct map *m)
{
	return m->path;
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

/* map_set_aside - rename an unreadable table to PATH.bad; 0 or -1 (logged) */
static int
map_set_aside(struct map *m)
{
	char bad[PATH_MAX];

	if (snprintf(bad, sizeof(bad), "%s.bad", m->path) >= (int)sizeof(bad) ||
	    rename(m->path, bad) < 0) {
		log_error("%s: cannot move the unreadable table aside: %s",
		    m->path, strerror(errno));
		return -1;
	}
	log_error("%s: unreadable; moved to %s, written again from the state",
	    m->path, bad);
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
	map_file_cleanup(m);
	m->full = true;
	made = stat(m->path, &st) < 0 || st.st_size == 0;
	if (m->be->in_place && map_attach(m) < 0) {
		/* unreadable (a power loss before a sync): the state has it all */
		if (made || map_set_aside(m) < 0 || map_attach(m) < 0) {
			map_close(m);
			return NULL;
		}
		made = true;
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

int
map_sync(struct map *m)
{
	if (m == NULL || !m->be->in_place || m->live == NULL)
		return 0;
	return m->be->sync(m->live, m->path);
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
		log_warn("%s: table %s; writing it again from state", m->path,
		    ok ? "replaced (by hand?)"
		       : "missing or empty (removed by hand?)");
	/* a failed attach leaves m->live NULL: the next flush tries again */
	if (m->be->in_place)
		map_attach(m);
	map_touch(m);
	return true;
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
				map_writer_del(&w, key);
		}
		if ((rc = m->be->commit(w.h, m->path, w.err)) != 1)
			break;
	}
	if (rc != 0)
		return -1;
	log_debug("%s: wrote %zu %s", m->path, full ? w.n : m->nchanged,
	    full ? "records" : "changes");
	map_flushed(m, full);
	return 0;
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
	return map_file_flush(m, walk, arg);
}

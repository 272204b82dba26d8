/*
 * map_file.c - the rewrite kinds' files (hash:, see map_int.h): a new table
 * in DIR/NAME.db.tmp.PID.N, or a copy of the live one with the changed keys
 * applied, synced, made 0644 and renamed over NAME.db, inline or in a child
 * (map_flush_bg) so a big table never stalls the loop.  Errors: logged, the
 * temporary file removed, -1; the map stays dirty.
 */
#include "map_core_int.h"
#include "map_file.h"
#include "log.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void
map_file_cleanup(struct map *m)
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
	map_flushed(m, true);
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
			map_writer_del(&w, key);
	}
	if (writer_commit(m, &w, true) < 0)
		return -1;
	log_debug("%s: wrote %zu changes", m->path, m->nchanged);
	map_flushed(m, false);
	return 0;
}

int
map_file_flush(struct map *m, map_walk_fn *walk, void *arg)
{
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
		_exit(map_file_flush(m, walk, arg) == 0 ? 0 : 1);
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

/*
 * ctl_offline.c - read and import the state without the daemon (see
 * ctl_offline.h).
 *
 * For popauthctl.c.  The records are decoded by their own trackers
 * (grant_info_decode, bl_info_decode, fish_info_decode) and written as
 * export.h lines, so offline output is the daemon's output.  Import encodes
 * with the trackers' *_info_encode and writes every record in one
 * transaction: all or nothing.  The maps are not touched: popauthd rewrites
 * them from the state when it starts.
 */
#include "ctl_offline.h"
#include "blacklist.h"
#include "cluster.h"
#include "ctl.h"
#include "evidence.h"
#include "export.h"
#include "fish.h"
#include "grant.h"
#include "log.h"
#include "rec.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * offline_lock - hold the pid file lock (-2: no pid file to lock); -1 with
 * msg when a daemon holds it
 */
static int
offline_lock(
    const struct conf *c, bool write, char *msg, size_t size, int *code)
{
	int fd;

	if (c->pid_file[0] == '\0')
		return -2;
	if ((fd = open(c->pid_file, O_RDONLY | O_CLOEXEC)) < 0 &&
	    errno == ENOENT)
		fd = open(
		    c->pid_file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -2; /* cannot lock (no rights); reading stays safe enough */
	if (flock(fd, (write ? LOCK_EX : LOCK_SH) | LOCK_NB) < 0) {
		close(fd);
		*code = ctl_say(msg, size, CTL_EX_UNAVAILABLE,
		    "popauthd is running (%s is locked) but its control socket "
		    "%s does not answer",
		    c->pid_file, c->control_socket);
		return -1;
	}
	return fd;
}

static void
offline_unlock(const struct conf *c, int fd)
{
	struct stat st;

	if (fd < 0)
		return;
	/* a pid file we created is empty: remove it again */
	if (fstat(fd, &st) == 0 && st.st_size == 0)
		unlink(c->pid_file);
	close(fd);
}

/* offline_open - the state, working as the owner of data_directory */
static struct state *
offline_open(const struct conf *c, char *msg, size_t size, int *code)
{
	struct stat st;
	struct state *s;

	if (stat(c->data_directory, &st) < 0) {
		*code = ctl_say(msg, size, errno == EACCES ? CTL_EX_NOPERM : 0,
		    "%s: %s", c->data_directory, strerror(errno));
		return NULL;
	}
	if (geteuid() == 0 && st.st_uid != 0 &&
	    (setegid(st.st_gid) < 0 || seteuid(st.st_uid) < 0)) {
		*code = ctl_say(msg, size, CTL_EX_NOPERM,
		    "%s: cannot become its owner: %s", c->data_directory,
		    strerror(errno));
		return NULL;
	}
	if (access(c->data_directory, R_OK | W_OK | X_OK) < 0) {
		*code = ctl_say(msg, size, CTL_EX_NOPERM,
		    "%s: permission denied (popauthd is not running, so the "
		    "state "
		    "is read directly)",
		    c->data_directory);
		return NULL;
	}
	if ((s = state_open(c->data_directory, false)) == NULL)
		*code = ctl_say(msg, size, CTL_EX_SOFTWARE,
		    "%s: cannot open the state", c->data_directory);
	return s;
}

struct rd {
	const struct conf *c;
	const char *what;
	const struct addr *ip;
	time_t now;
	void (*fn)(void *arg, const char *line);
	void *arg;
	size_t grants, listed, bans, fishing, found;
	size_t outbox;     /* cluster changes waiting (status) */
	long long last_id; /* the last cluster change applied */
};

static bool
wanted(struct rd *rd, const struct addr *a)
{
	return rd->ip == NULL || addr_equal(rd->ip, a);
}

static void
rd_grant(void *arg, const struct grant_info *gi)
{
	struct rd *rd = arg;

	if (gi->expires <= rd->now || !wanted(rd, &gi->ip))
		return;
	rd->grants++;
	rd->found++;
	if (strcmp(rd->what, "status") != 0)
		export_grant(gi, rd->fn, rd->arg);
}

static void
rd_bl(void *arg, const struct bl_info *bi)
{
	struct rd *rd = arg;
	time_t base = bi->unban > bi->last ? bi->unban : bi->last;

	if (base + rd->c->rbl_cache_expire <= rd->now || !wanted(rd, &bi->ip))
		return;
	rd->listed++;
	rd->found++;
	rd->bans += bi->banned;
	if (strcmp(rd->what, "status") == 0 ||
	    (strcmp(rd->what, "bans") == 0 && !bi->banned))
		return;
	export_bl(bi, -1, rd->fn, rd->arg); /* the daemon reads the kernel */
}

static void
rd_fish(void *arg, const struct fish_info *fi)
{
	struct rd *rd = arg;

	if (fi->last + rd->c->fish_expire <= rd->now || !wanted(rd, &fi->ip))
		return;
	rd->fishing++;
	rd->found++;
	if (strcmp(rd->what, "status") != 0)
		export_fish(fi, rd->fn, rd->arg);
}

static int
load_grant(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	struct rd *rd = arg;

	return grant_info_decode(
	    k, kl, v, vl, rd->c->popauth_expire, rd_grant, rd);
}

static int
load_bl(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	struct rd *rd = arg;

	return bl_info_decode(k, kl, v, vl, rd->now, rd_bl, rd);
}

static int
load_fish(void *arg, const void *k, size_t kl, const void *v, size_t vl)
{
	struct rd *rd = arg;

	return fish_info_decode(k, kl, v, vl, rd_fish, rd);
}

static void
rd_evidence(void *arg, const struct addr *ip, const struct evidence_item *it)
{
	struct rd *rd = arg;

	if (wanted(rd, ip))
		export_evidence(ip, it, rd->fn, rd->arg);
}

static void stat_line(struct rd *rd, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
stat_line(struct rd *rd, const char *name, const char *fmt, ...)
{
	char v[512], line[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "stat\t%s\t%s", name, v);
	rd->fn(rd->arg, line);
}

int
ctl_offline_read(const struct conf *c, const char *what, const struct addr *ip,
    void (*fn)(void *arg, const char *line), void *arg, char *msg,
    size_t msgsize)
{
	struct rd rd;
	struct state *s;
	struct state_table *t;
	int lock, code = 0;
	bool all = strcmp(what, "status") == 0 || strcmp(what, "export") == 0 ||
	    strcmp(what, "show") == 0 || strcmp(what, "explain") == 0;

	memset(&rd, 0, sizeof(rd));
	rd.c = c;
	rd.what = what;
	rd.ip = ip;
	rd.now = time(NULL);
	rd.fn = fn;
	rd.arg = arg;
	if ((lock = offline_lock(c, false, msg, msgsize, &code)) == -1)
		return code;
	if (strcmp(what, "export") == 0)
		fn(arg, EXPORT_HEADER);
	if ((s = offline_open(c, msg, msgsize, &code)) == NULL) {
		offline_unlock(c, lock);
		return code; /* 0: no data_directory yet, an empty state */
	}
	if ((all || strcmp(what, "relay") == 0) &&
	    ((t = state_table(s, "grants")) == NULL ||
	        state_load(t, load_grant, &rd) < 0))
		code = CTL_EX_SOFTWARE;
	if ((all || strcmp(what, "blacklist") == 0 ||
	        strcmp(what, "bans") == 0) &&
	    ((t = state_table(s, "blacklist")) == NULL ||
	        state_load(t, load_bl, &rd) < 0))
		code = CTL_EX_SOFTWARE;
	if ((all || strcmp(what, "fishing") == 0) &&
	    ((t = state_table(s, "fishing")) == NULL ||
	        state_load(t, load_fish, &rd) < 0))
		code = CTL_EX_SOFTWARE;
	if (strcmp(what, "status") == 0 && c->cluster_database[0] != '\0' &&
	    cluster_state_peek(s, &rd.outbox, &rd.last_id) < 0)
		code = CTL_EX_SOFTWARE;
	/* evidence of live records only: the daemon reaps the rest */
	if (code == 0 && strcmp(what, "explain") == 0 && rd.found > 0 &&
	    ip != NULL) {
		if (evidence_init(c, s) < 0)
			code = CTL_EX_SOFTWARE;
		else
			evidence_get(ip, rd_evidence, &rd);
		evidence_fini();
	}
	state_close(s);
	offline_unlock(c, lock);
	if (code != 0)
		return ctl_say(msg, msgsize, code, "%s: cannot read the state",
		    c->data_directory);
	if (strcmp(what, "status") == 0) {
		stat_line(&rd, "daemon", "not running");
		stat_line(&rd, "grants", "%zu", rd.grants);
		stat_line(&rd, "blacklisted", "%zu", rd.listed);
		stat_line(&rd, "bans", "%zu", rd.bans);
		stat_line(&rd, "fishing", "%zu", rd.fishing);
		if (c->cluster_database[0] != '\0') {
			/* what waits to be sent when the daemon runs again */
			stat_line(&rd, "cluster.connected", "no");
			stat_line(&rd, "cluster.outbox", "%zu", rd.outbox);
			stat_line(&rd, "cluster.last_id", "%lld", rd.last_id);
		}
	}
	if (ip != NULL && rd.found == 0) {
		char buf[ADDR_STRLEN];

		addr_format(ip, buf, sizeof(buf));
		if (strcmp(what, "explain") == 0)
			return ctl_say(msg, msgsize, CTL_EX_NOTFOUND,
			    "%s: no record: popauthd has not granted, listed "
			    "or banned it (try: popauthd --test FILE on a log "
			    "line of it)",
			    buf);
		return ctl_say(msg, msgsize, CTL_EX_NOTFOUND,
		    "%s: not granted, listed or fishing", buf);
	}
	return 0;
}

struct wr {
	struct state_table *grants, *bl, *fish;
	size_t n;
	int failed;
};

static void
wr_put(struct wr *w, struct state_table *t, const struct addr *ip,
    const struct rec_buf *rb)
{
	uint8_t key[REC_KEYLEN];

	rec_key(ip, key);
	if (state_put(t, key, sizeof(key), rb->b, rb->n) < 0)
		w->failed = 1;
	w->n++;
}

static void
wr_grant(void *arg, const struct grant_info *gi)
{
	static struct rec_buf rb;

	grant_info_encode(gi, &rb);
	wr_put(arg, ((struct wr *)arg)->grants, &gi->ip, &rb);
}

static void
wr_bl(void *arg, const struct bl_info *bi)
{
	static struct rec_buf rb;

	bl_info_encode(bi, &rb);
	wr_put(arg, ((struct wr *)arg)->bl, &bi->ip, &rb);
}

static void
wr_fish(void *arg, const struct fish_info *fi)
{
	static struct rec_buf rb;

	fish_info_encode(fi, &rb);
	wr_put(arg, ((struct wr *)arg)->fish, &fi->ip, &rb);
}

int
ctl_offline_import(
    const struct conf *c, char **lines, size_t n, char *msg, size_t msgsize)
{
	struct wr w;
	struct import_ops ops = {wr_grant, wr_bl, wr_fish, &w};
	struct import *im;
	struct state *s;
	char err[256];
	size_t i;
	int lock, code = 0;

	memset(&w, 0, sizeof(w));
	if ((lock = offline_lock(c, true, msg, msgsize, &code)) == -1)
		return code;
	if (mkdir(c->data_directory, 0700) < 0 && errno != EEXIST) {
		offline_unlock(c, lock);
		return ctl_say(msg, msgsize,
		    errno == EACCES ? CTL_EX_NOPERM : CTL_EX_SOFTWARE, "%s: %s",
		    c->data_directory, strerror(errno));
	}
	if ((s = offline_open(c, msg, msgsize, &code)) == NULL) {
		offline_unlock(c, lock);
		return code != 0 ? code : CTL_EX_SOFTWARE;
	}
	if ((w.grants = state_table(s, "grants")) == NULL ||
	    (w.bl = state_table(s, "blacklist")) == NULL ||
	    (w.fish = state_table(s, "fishing")) == NULL ||
	    state_begin(s) < 0) {
		state_close(s);
		offline_unlock(c, lock);
		return ctl_say(msg, msgsize, CTL_EX_SOFTWARE,
		    "%s: cannot open the state", c->data_directory);
	}
	im = import_new(&ops);
	for (i = 0; i < n && code == 0; i++)
		if (import_line(im, lines[i], err, sizeof(err)) < 0)
			code = ctl_say(msg, msgsize, CTL_EX_DATAERR,
			    "record %zu: %s", i + 1, err);
	import_end(im, err, sizeof(err));
	import_free(im);
	if (code == 0 && w.failed)
		code = ctl_say(msg, msgsize, CTL_EX_SOFTWARE,
		    "%s: write failed", c->data_directory);
	if (code == 0 && state_commit(s) < 0)
		code = ctl_say(msg, msgsize, CTL_EX_SOFTWARE,
		    "%s: commit failed", c->data_directory);
	if (code != 0)
		state_abort(s);
	else
		ctl_say(msg, msgsize, 0,
		    "imported %zu records into %s (popauthd not running; the "
		    "maps "
		    "are rewritten when it starts)",
		    w.n, c->data_directory);
	state_close(s);
	offline_unlock(c, lock);
	return code;
}

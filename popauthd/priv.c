/*
 * priv.c - drop root, keep the firewall capabilities (see priv.h).
 *
 * Why a capability drop and not a split helper: the only privileged work is a
 * libiptc commit, which needs exactly CAP_NET_ADMIN and CAP_NET_RAW (a
 * libnftables transaction: CAP_NET_ADMIN alone; auto may pick either); keeping
 * those two in an otherwise unprivileged process is simpler than a second
 * process and a protocol between them, and everything a log line can reach runs
 * without root.  (Reading a root sendmail's /proc/PID/fd is the exception: it
 * goes to prochelper.c, forked here while still root.)  Ownership handed over
 * before the switch: data_directory and its files, map_directory and our two
 * tables (Postfix reads them as any other 0644 table; the directory must not
 * be writable by the postfix user, which it is not), log_file and the FIFO.
 *
 * Security: after the first start data_directory and map_directory belong to
 * run_as_user, who can plant a symbolic link or a hard link to any root file
 * in them; a chown(2) by name would hand that file over.  So no link is ever
 * followed: every node is opened O_NOFOLLOW (O_PATH for the FIFO), checked by
 * fstat (the type expected, a single link) and changed through its fd.  In
 * data_directory only the names state.c, Berkeley DB and spool.c create are touched;
 * anything else is logged and left alone.  Finally PR_SET_NO_NEW_PRIVS, also
 * when no drop happens, so no exec of ours can gain privileges again.
 */
#include "priv.h"
#include "log.h"
#include "prochelper.h"
#include "spool.h"
#include "state.h"
#include "util.h"

#include <cap-ng.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define PRIV_SKIPS_NAMED 5 /* foreign entries named in the log, then a count */

/* node_problem - why st is not a node of type with one link; NULL if it is */
static const char *
node_problem(const struct stat *st, mode_t type, char *buf, size_t size)
{
	mode_t t = st->st_mode & S_IFMT;

	if (t != type) {
		snprintf(buf, size, "is %s",
		    t == S_IFLNK       ? "a symbolic link"
		        : t == S_IFDIR ? "a directory"
		        : t == S_IFREG ? "a regular file"
		        : t == S_IFIFO ? "a FIFO"
		                       : "a special file");
		return buf;
	}
	if (type != S_IFDIR && st->st_nlink != 1) {
		snprintf(buf, size, "has %lu hard links",
		    (unsigned long)st->st_nlink);
		return buf;
	}
	return NULL;
}

/* open_node - dirfd/name without following a final link; -1 with errno */
static int
open_node(int dirfd, const char *name, mode_t type)
{
	int flags = O_NOFOLLOW | O_CLOEXEC;

	/* opening a FIFO for reading would block or become its reader */
	if (type == S_IFIFO)
		flags |= O_PATH;
	else
		flags |= O_RDONLY | O_NOCTTY | O_NONBLOCK |
		    (type == S_IFDIR ? O_DIRECTORY : 0);
	return openat(dirfd, name, flags);
}

/* refuse - log why path is not handed over: an error when strict, else a warning */
static void
refuse(bool strict, const char *path, const char *why)
{
	if (strict)
		log_error("%s: not handed to run_as_user: %s", path, why);
	else
		log_warn("%s: not handed to run_as_user: %s", path, why);
}

/*
 * give_node - hand dirfd/name (path in messages) to uid:gid when it is a node
 * of type with a single link.  0 when handed over or absent, 1 when it is
 * something else (logged as an error when strict, a warning otherwise), -1
 * when the change of owner failed (logged).  *fdp, when not NULL, receives the
 * open fd of a directory; the caller closes it.
 */
static int
give_node(int dirfd, const char *name, const char *path, mode_t type,
    bool strict, uid_t uid, gid_t gid, int *fdp)
{
	const char *why;
	char buf[64];
	struct stat st;
	int fd, rc = 0;

	if ((fd = open_node(dirfd, name, type)) < 0) {
		if (errno == ENOENT)
			return 0;
		refuse(strict, path,
		    errno == ELOOP ? "is a symbolic link" : strerror(errno));
		return 1;
	}
	if (fstat(fd, &st) < 0) {
		refuse(strict, path, strerror(errno));
		close(fd);
		return 1;
	}
	if ((why = node_problem(&st, type, buf, sizeof(buf))) != NULL) {
		refuse(strict, path, why);
		close(fd);
		return 1;
	}
	if (st.st_uid != uid || st.st_gid != gid) {
		rc = type == S_IFIFO ? fchownat(fd, "", uid, gid, AT_EMPTY_PATH)
		                     : fchown(fd, uid, gid);
		if (rc < 0)
			log_error("%s: cannot hand to run_as_user: %s", path,
			    strerror(errno));
	}
	if (rc == 0 && fdp != NULL)
		*fdp = fd;
	else
		close(fd);
	return rc;
}

/* give_path - give_node for a configured path: anything odd is fatal */
static int
give_path(const char *path, mode_t type, uid_t uid, gid_t gid)
{
	if (path == NULL || *path == '\0')
		return 0;
	return give_node(AT_FDCWD, path, path, type, true, uid, gid, NULL) == 0
	    ? 0
	    : -1;
}

/* give_map - MAPDIR/NAME.db (or .lmdb), one of our two tables */
static int
give_map(const struct conf *c, const char *name, uid_t uid, gid_t gid)
{
	const char *dir = c->map_directory, *sfx = "";
	char path[4096];

	switch (c->map_type) {
	case MAP_HASH:
		sfx = ".db";
		break;
	case MAP_LMDB:
		sfx = ".lmdb";
		break;
	}
	if (snprintf(path, sizeof(path), "%s/%s%s", dir, name, sfx) >=
	    (int)sizeof(path)) {
		log_error("%s/%s%s: path too long", dir, name, sfx);
		return -1;
	}
	return give_path(path, S_IFREG, uid, gid);
}

/*
 * give_data - data_directory and the files popauthd made in it; entries of
 * other names are left alone, and so are ours when they are links
 */
static int
give_data(const char *dir, uid_t uid, gid_t gid)
{
	unsigned long skipped = 0;
	struct dirent *de;
	int dfd = -1, rc;
	DIR *d;

	rc = give_node(AT_FDCWD, dir, dir, S_IFDIR, true, uid, gid, &dfd);
	if (rc != 0 || dfd < 0)
		return rc == 0 ? 0 : -1;
	if ((d = fdopendir(dfd)) == NULL) {
		log_error("%s: cannot read: %s", dir, strerror(errno));
		close(dfd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char path[4096];

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!state_own_file(de->d_name) &&
		    !spool_own_file(de->d_name)) {
			if (++skipped <= PRIV_SKIPS_NAMED)
				log_info("%s: not a file popauthd makes; "
				         "ownership left alone",
				    path);
			continue;
		}
		if (give_node(dirfd(d), de->d_name, path, S_IFREG, false, uid,
		        gid, NULL) < 0)
			rc = -1;
	}
	closedir(d);
	if (skipped > PRIV_SKIPS_NAMED)
		log_info("%s: %lu more entries popauthd does not make; "
		         "ownership left alone",
		    dir, skipped - PRIV_SKIPS_NAMED);
	return rc;
}

/* check_dir - every entry of dir is a plain file of one link, or a dir */
static int
check_dir(const char *dir)
{
	struct dirent *de;
	struct stat st;
	int rc = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0; /* not made yet: nothing planted in it either */
	while ((de = readdir(d)) != NULL) {
		const char *why = NULL;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* gone meanwhile */
		if (S_ISLNK(st.st_mode))
			why = "is a symbolic link";
		else if (S_ISREG(st.st_mode) && st.st_nlink > 1)
			why = "has more than one hard link";
		else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			why = "is neither a file nor a directory";
		if (why != NULL) {
			log_error("%s/%s: %s; popauthd, starting as root, will "
			          "not open files in a directory run_as_user "
			          "owns while it holds one (remove it)",
			    dir, de->d_name, why);
			rc = -1;
		}
	}
	closedir(d);
	return rc;
}

int
priv_check_dirs(const struct conf *c)
{
	int rc = 0;

	if (*c->run_as_user == '\0' || geteuid() != 0)
		return 0;
	if (check_dir(c->data_directory) < 0)
		rc = -1;
	if (check_dir(c->map_directory) < 0)
		rc = -1;
	return rc;
}

/* no_new_privs - no exec of ours gains privileges (setuid, file caps) */
/* priv_caps_text - what a dropped daemon keeps for firewall_backend b */
static const char *
priv_caps_text(enum fw_backend b)
{
	switch (b) {
	case FW_NONE:
		return " without capabilities";
	case FW_NFTABLES:
		return " with CAP_NET_ADMIN only";
	case FW_IPTABLES:
	case FW_AUTO:
		return " with CAP_NET_ADMIN and CAP_NET_RAW only";
	}
	return "";
}

static int
no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_error("prctl PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
priv_drop(const struct conf *c, bool proc_helper)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;
	int rc;

	if (*c->run_as_user == '\0') {
		if (geteuid() == 0)
			log_info("running as root (run_as_user is empty)");
		return no_new_privs();
	}
	if (geteuid() != 0) {
		log_info("run_as_user = %s ignored: not started as root",
		    c->run_as_user);
		return no_new_privs();
	}
	if ((pw = getpwnam(c->run_as_user)) == NULL) {
		log_error("run_as_user = %s: no such user", c->run_as_user);
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (give_data(c->data_directory, uid, gid) < 0 ||
	    give_path(c->map_directory, S_IFDIR, uid, gid) < 0 ||
	    give_map(c, c->popauth_map, uid, gid) < 0 ||
	    give_map(c, c->blacklist_map, uid, gid) < 0 ||
	    give_path(c->log_file, S_IFREG, uid, gid) < 0 ||
	    give_path(c->fifo_path, S_IFIFO, uid, gid) < 0)
		return -1;
	/* still root: the helper keeps its own two capabilities */
	if (proc_helper)
		prochelper_start(uid, gid);
	capng_clear(CAPNG_SELECT_BOTH);
	/* libnftables talks netlink only; libiptc also opens a raw socket */
	if (c->firewall_backend == FW_NFTABLES &&
	    capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
	        CAP_NET_ADMIN) < 0) {
		log_error("run_as_user: cannot keep CAP_NET_ADMIN");
		return -1;
	}
	if ((c->firewall_backend == FW_IPTABLES ||
	        c->firewall_backend == FW_AUTO) &&
	    capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
	        CAP_NET_ADMIN, CAP_NET_RAW, -1) < 0) {
		log_error("run_as_user: cannot keep CAP_NET_ADMIN");
		return -1;
	}
	rc = capng_change_id(
	    (int)uid, (int)gid, CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
	if (rc < 0) {
		log_error(
		    "run_as_user = %s: cannot switch user (capng_change_id "
		    "%d)",
		    c->run_as_user, rc);
		return -1;
	}
	if (getuid() != uid || geteuid() != uid || setuid(0) == 0) {
		log_error("run_as_user = %s: the switch did not hold",
		    c->run_as_user);
		return -1;
	}
	log_info("running as %s (uid %ld)%s", c->run_as_user, (long)uid,
	    priv_caps_text(c->firewall_backend));
	return no_new_privs();
}

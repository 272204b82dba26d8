/*
 * priv.c - drop root, keep the firewall capabilities (see priv.h).
 *
 * Why a capability drop and not a split helper: the only privileged work is a
 * libiptc commit, which needs exactly CAP_NET_ADMIN and CAP_NET_RAW; keeping
 * those two in an otherwise unprivileged process is simpler than a second
 * process and a protocol between them, and everything a log line can reach runs
 * without root.  Ownership handed over before the switch: data_directory and
 * its files, map_directory and our two tables (Postfix reads them as any
 * other 0644 table; the directory must not be writable by the postfix user,
 * which it is not), log_file and the FIFO node.
 */
#include "priv.h"
#include "log.h"
#include "util.h"

#include <cap-ng.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* give - chown path to uid:gid if it exists; -1 (logged) on failure */
static int
give(const char *path, uid_t uid, gid_t gid)
{
	if (path == NULL || *path == '\0')
		return 0;
	if (chown(path, uid, gid) < 0 && errno != ENOENT) {
		log_error("%s: cannot hand to run_as_user: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* give_dir - chown dir and the regular files in it */
static int
give_dir(const char *dir, uid_t uid, gid_t gid)
{
	struct dirent *de;
	DIR *d;
	int rc = give(dir, uid, gid);

	if ((d = opendir(dir)) == NULL)
		return rc;
	while ((de = readdir(d)) != NULL) {
		char path[4096];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (give(path, uid, gid) < 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

int
priv_drop(const struct conf *c)
{
	struct passwd *pw;
	char path[4096];
	int rc;

	if (*c->run_as_user == '\0') {
		if (geteuid() == 0)
			log_info("running as root (run_as_user is empty)");
		return 0;
	}
	if (geteuid() != 0) {
		log_info("run_as_user = %s ignored: not started as root",
		    c->run_as_user);
		return 0;
	}
	if ((pw = getpwnam(c->run_as_user)) == NULL) {
		log_error("run_as_user = %s: no such user", c->run_as_user);
		return -1;
	}
	if (give_dir(c->data_directory, pw->pw_uid, pw->pw_gid) < 0 ||
	    give(c->map_directory, pw->pw_uid, pw->pw_gid) < 0 ||
	    give(c->log_file, pw->pw_uid, pw->pw_gid) < 0 ||
	    give(c->fifo_path, pw->pw_uid, pw->pw_gid) < 0)
		return -1;
	snprintf(
	    path, sizeof(path), "%s/%s.db", c->map_directory, c->popauth_map);
	give(path, pw->pw_uid, pw->pw_gid);
	snprintf(
	    path, sizeof(path), "%s/%s.db", c->map_directory, c->blacklist_map);
	give(path, pw->pw_uid, pw->pw_gid);
	capng_clear(CAPNG_SELECT_BOTH);
	if (c->firewall_backend == FW_IPTABLES &&
	    capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
	        CAP_NET_ADMIN, CAP_NET_RAW, -1) < 0) {
		log_error("run_as_user: cannot keep CAP_NET_ADMIN");
		return -1;
	}
	rc = capng_change_id((int)pw->pw_uid, (int)pw->pw_gid,
	    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
	if (rc < 0) {
		log_error(
		    "run_as_user = %s: cannot switch user (capng_change_id "
		    "%d)",
		    c->run_as_user, rc);
		return -1;
	}
	if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid ||
	    setuid(0) == 0) {
		log_error("run_as_user = %s: the switch did not hold",
		    c->run_as_user);
		return -1;
	}
	log_info("running as %s (uid %ld)%s", c->run_as_user, (long)pw->pw_uid,
	    c->firewall_backend == FW_IPTABLES
	        ? " with CAP_NET_ADMIN and CAP_NET_RAW only"
	        : " without capabilities");
	return 0;
}

/*
 * ctl_offline.h - popauthctl with the daemon down: read or import the state
 * in data_directory directly.
 *
 * For popauthctl.c only, and only after the control socket did not answer.
 * Holds the pid file's lock meanwhile, so a popauthd starting now waits for
 * us instead of opening the same Berkeley DB environment (DB_PRIVATE: two
 * processes in it would corrupt it); refuses (69) when the lock shows a
 * running daemon.  Run as root, it works as the owner of data_directory so
 * log files it creates stay readable for the daemon.
 */
#ifndef POPAUTHD_CTL_OFFLINE_H
#define POPAUTHD_CTL_OFFLINE_H

#include "addr.h"
#include "conf.h"

#include <stddef.h>

/*
 * ctl_offline_read - what: status, relay, blacklist, fishing, bans, export or
 * show (entries of ip); export.h record lines to fn as the daemon would send
 * them (records the daemon would drop at start as expired are left out).
 * Returns an exit code; msg says why when it is not 0.
 */
int ctl_offline_read(const struct conf *c, const char *what,
    const struct addr *ip, void (*fn)(void *arg, const char *line), void *arg,
    char *msg, size_t msgsize);
/* ctl_offline_import - records lines[0..n) into the state in one transaction */
int ctl_offline_import(
    const struct conf *c, char **lines, size_t n, char *msg, size_t msgsize);

#endif

/*
 * prochelper.h - a small privileged process that reads other users' /proc.
 *
 * For priv.c (start, while still root) and sendmail.c (the calls).  Tying a
 * sendmail "User unknown" line to its client means reading the fd directory of
 * a root-owned sendmail child: that needs CAP_DAC_READ_SEARCH to open it and
 * CAP_SYS_PTRACE to read its links, which a daemon running as run_as_user
 * no longer has.  prochelper_start() forks a helper that keeps exactly those
 * two capabilities as run_as_user and answers two fixed-size questions over a
 * socketpair: a process's start time and its peer on the mailer's port.
 *
 * Without a helper (running as root, no run_as_user, or after it died) the
 * calls read /proc directly with the daemon's own rights.  Calls are
 * synchronous and wait PROCHELPER_TIMEOUT_MS at most; a helper that dies,
 * hangs or answers nonsense is logged once and dropped for good (the daemon has
 * no privileges left to start another).  The helper exits when the daemon's
 * end of the socket closes.
 */
#ifndef POPAUTHD_PROCHELPER_H
#define POPAUTHD_PROCHELPER_H

#include "procnet.h"

#include <sys/types.h>

#define PROCHELPER_TIMEOUT_MS 1000 /* one answer */
#define PROCHELPER_START_MS   5000 /* the helper's first word */

/*
 * prochelper_start - as root: fork the helper, which becomes uid:gid keeping
 * only CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH; 0 when it runs, -1 when not
 * (warned: "User unknown" lines without an IP will list nobody).
 */
int prochelper_start(uid_t uid, gid_t gid);
/* prochelper_pid - the helper's pid, or -1 when there is none */
pid_t prochelper_pid(void);
/* prochelper_peer - procnet_peer() on "/proc", through the helper if any */
int prochelper_peer(
    pid_t pid, const struct procnet_local *l, struct addr *peer);
/* prochelper_starttime - procnet_starttime() on "/proc", likewise */
int prochelper_starttime(pid_t pid, unsigned long long *ticks);
/* prochelper_stop - close the helper's socket and reap it (waits 1 s at most) */
void prochelper_stop(void);

#endif

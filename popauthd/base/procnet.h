/*
 * procnet.h - who is this process talking to: Linux /proc socket correlation.
 *
 * For sendmail.c (the client of a sendmail child that logged "User unknown"
 * without an address, as blocksmtp did) and reaper.c (process start times).
 * procnet_peer() collects the socket inodes of /proc/PID/fd and every
 * /proc/PID/task/TID/fd, then looks them up in /proc/net/tcp and tcp6 and
 * returns the remote side of the first connection whose local side is the
 * mailer's address and port.  Nothing is cached here.
 *
 * Racy by nature: the child may have exited before its log line arrives (then
 * -1), and a PID can be reused; callers compare procnet_starttime() to tell a
 * new process from the old one.  procroot is "/proc" except in tests, which
 * point it at a fixture tree.  Reading another user's fd directory needs root
 * or CAP_SYS_PTRACE (a daemon that dropped privileges gets -1, EACCES).
 */
#ifndef POPAUTHD_PROCNET_H
#define POPAUTHD_PROCNET_H

#include "addr.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define PROCNET_MAX_INODES 1024 /* sockets looked at per process */

/* the mailer's listening side: address (or any) and port */
struct procnet_local {
	bool any; /* 0.0.0.0 or :: - any local address */
	struct addr addr;
	uint16_t port;
};

/*
 * procnet_parse_local - "ADDR:PORT", "[V6]:PORT", "*:PORT" or "PORT" into *l;
 * 0.0.0.0, :: and * mean any address.  0, or -1 on a malformed value.
 */
int procnet_parse_local(const char *s, struct procnet_local *l);

/*
 * procnet_peer - the remote address of pid's TCP connection (not a listening
 * socket) whose local side matches l; 0 with *peer set, or -1 when the
 * process is gone, unreadable or has no such connection (errno says which:
 * ENOENT, EACCES, ESRCH for "no such connection").
 */
int procnet_peer(const char *procroot, pid_t pid, const struct procnet_local *l,
    struct addr *peer);

/* procnet_starttime - pid's start time in clock ticks after boot; 0 or -1 */
int procnet_starttime(
    const char *procroot, pid_t pid, unsigned long long *ticks);

#endif

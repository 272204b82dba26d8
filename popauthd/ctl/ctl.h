/*
 * ctl.h - the control socket: popauthctl's way into the running daemon.
 *
 * For main.c (ctl_open after engine_start, ctl_close before engine_stop)
 * and popauthctl.c (the protocol).  ctl.c is the transport (socket, slots,
 * deadlines, splitting a request); the commands are ctl_cmd.c's, handed to
 * ctl_open as a ctl_handler_fn, so the transport calls nothing above it.
 *
 * Protocol, one request per connection on the unix socket control_socket
 * (mode 0660, group control_group when set):
 *   request  first line: COMMAND [TAB ARG]... ; for "import" the records
 *            (export.h) follow, one a line; the client then shuts down its
 *            writing side.  At most CTL_REQ_MAX bytes.  "flush" takes what
 *            (blacklist, bans, all) and CTL_FLUSH_CONFIRM as its last
 *            argument, "flush TAB all TAB confirm"; without it the daemon
 *            refuses (64), so no client can empty the tables by mistake.
 *   reply    zero or more record lines (export.h: grant, user, black, fish,
 *            pair, stat), then one status line, "OK[ TEXT]" or
 *            "ERR CODE TEXT" (CODE is popauthctl's exit status: 1 not found,
 *            64 usage, 65 bad data, 78 config); then the daemon closes.
 * The daemon never blocks on a client: nonblocking accept, reads and writes,
 * at most CTL_CLIENTS_MAX connections.  The whole request must arrive within
 * CTL_TIMEOUT seconds of connecting (bytes trickling in do not extend it);
 * when every slot is taken, a new connection closes the oldest one that has
 * not sent a whole request yet (one being answered is never closed for
 * another; when all are, the new one is closed at once).  A reply is dropped
 * when the client takes none of it for CTL_TIMEOUT seconds.  Every change is
 * committed and the maps rewritten before the reply, so when popauthctl
 * returns, Postfix and the firewall already see it.
 */
#ifndef POPAUTHD_CTL_H
#define POPAUTHD_CTL_H

#include "conf.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define CTL_REQ_MAX     (1024 * 1024)
#define CTL_CLIENTS_MAX 16
#define CTL_TIMEOUT     10
/* the word "flush WHAT" must end with (popauthctl sends it after --yes) */
#define CTL_FLUSH_CONFIRM "confirm"

/* popauthctl's exit codes (sysexits) */
#define CTL_EX_OK          0
#define CTL_EX_NOTFOUND    1
#define CTL_EX_USAGE       64
#define CTL_EX_DATAERR     65
#define CTL_EX_UNAVAILABLE 69
#define CTL_EX_SOFTWARE    70
#define CTL_EX_NOPERM      77
#define CTL_EX_CONFIG      78

/* For ctl.c and ctl_cmd.c only: a reply being built. */
struct ctl_reply {
	char *buf;
	size_t len, cap;
};

/*
 * ctl_handler_fn - run one request (argv[0] the command, data the import
 * records) from uid; record lines go to r; returns an exit code with msg set
 */
typedef int ctl_handler_fn(struct ctl_reply *r, char **argv, size_t argc,
    char *data, unsigned int uid, char *msg, size_t msgsize);

/*
 * ctl_open - listen on c->control_socket ("" = no socket; a stale socket is
 * replaced, anything else in the way refused); handler runs each request.
 * 0, or -1 (logged) at start.
 */
int ctl_open(const struct conf *c, ctl_handler_fn *handler);
/* ctl_close - close every connection and the socket, remove it */
void ctl_close(void);

/* the control socket's own counters (status: control.*) */
struct ctl_stats {
	unsigned long long accepted; /* connections accepted */
	unsigned long long evicted;  /* closed for a newer one, slots full */
	unsigned long long timeouts; /* closed at their deadline */
	unsigned long long refused;  /* closed at once: no slot to take */
	size_t clients;              /* connected now */
};

/* ctl_stats - the counters, borrowed until the next ctl_ call */
const struct ctl_stats *ctl_stats(void);

/*
 * ctl_request - one whole request as it came off the socket (len bytes in
 * req, which has room for one more and is changed in place) from uid: split
 * it, run it, and put the record lines and the status line into r; returns
 * the status code.  For ctl.c and the fuzz target.
 */
int ctl_request(struct ctl_reply *r, char *req, size_t len, unsigned int uid);
/* ctl_say - printf into msg (size bytes); returns code (a reply's status) */
int ctl_say(char *msg, size_t size, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* ctl_reply_line - append line and a newline */
void ctl_reply_line(void *reply, const char *line);

#endif

/*
 * event.h - the daemon's select loop: FIFO input, exact timers, signals.
 *
 * For main.c.  Signals are blocked except inside pselect(), so a SIGHUP or SIGTERM
 * can never slip in between the check of its flag and the sleep.  The loop sleeps
 * exactly until the next timer or pending map rewrite; it never polls.
 */
#ifndef POPAUTHD_EVENT_H
#define POPAUTHD_EVENT_H

#include "fifo.h"

#include <stdbool.h>

/* reload_fn - build a new conf and ruleset and hand them to the engine; 0 or -1 */
typedef int event_reload_fn(void);

/* event_fd_fn - called when a registered descriptor is readable (or writable) */
typedef void event_fd_fn(void *arg, int fd);

/*
 * event_add_fd - watch fd in the loop: fn(arg, fd) runs when it is readable
 * (write: when writable).  For the control socket, DNS, and the like; 0 or -1
 * when the table (64 entries) is full.
 */
int event_add_fd(int fd, bool write, event_fd_fn *fn, void *arg);
/* event_del_fd - stop watching fd (no-op when not watched) */
void event_del_fd(int fd);
/* event_wake_ms - ask the loop to wake within ms (a helper's own timeout) */
void event_wake_ms(long long ms);
/* event_sigchld - true once after SIGCHLD arrived (children to reap) */
bool event_sigchld(void);

/* event_signals - install handlers and block the signals we wait for */
void event_signals(void);
/* event_loop - run until SIGTERM/SIGINT; returns the exit status */
int event_loop(struct fifo *f, event_reload_fn *reload);

#endif

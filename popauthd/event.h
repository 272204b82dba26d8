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

/* reload_fn - build a new conf and ruleset and hand them to the engine; 0 or -1 */
typedef int event_reload_fn(void);

/* event_signals - install handlers and block the signals we wait for */
void event_signals(void);
/* event_loop - run until SIGTERM/SIGINT; returns the exit status */
int event_loop(struct fifo *f, event_reload_fn *reload);

#endif

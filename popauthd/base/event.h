/*
 * event.h - the daemon's select loop: descriptors, wake-ups, signals.
 *
 * For main.c (the loop and its hooks) and whoever owns a descriptor (the
 * log input, the control socket, DNS, helpers).  The loop knows nobody
 * above it: an owner registers its fd with a callback, and main.c hands
 * the loop a struct event_hooks saying what a turn does, how long the
 * loop may sleep, and what SIGHUP, SIGUSR1 and the 10 s periodic call do.
 * Signals are blocked except inside pselect(), so a SIGHUP or SIGTERM can
 * never slip in between the check of its flag and the sleep.  The loop
 * sleeps exactly until the next deadline; it never polls.
 */
#ifndef POPAUTHD_EVENT_H
#define POPAUTHD_EVENT_H

#include <stdbool.h>

/* what the loop does besides waiting on descriptors; every hook may be NULL */
struct event_hooks {
	void (*turn)(void *arg);            /* each turn, before sleeping */
	long long (*timeout_ms)(void *arg); /* the longest sleep; < 0: 10 s */
	void (*periodic)(void *arg);        /* every 10 s */
	int (*reload)(void *arg);           /* SIGHUP; 0, or -1 (old kept) */
	void (*status)(void *arg);          /* SIGUSR1 */
	void (*idle)(void *arg); /* a sleep ended with no descriptor ready */
	void *arg;
};

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
int event_loop(const struct event_hooks *h);

#endif

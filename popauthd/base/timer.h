/*
 * timer.h - exact one-shot timers on the event clock (a binary min-heap).
 *
 * For the trackers (grant expiry, blacklist expiry, unban) and the main loop,
 * which sleeps until timer_next() instead of scanning tables.  A struct timer is
 * embedded in the record it belongs to; the heap holds pointers, so setting,
 * moving and cancelling cost O(log n) and nothing is allocated per timer.
 */
#ifndef POPAUTHD_TIMER_H
#define POPAUTHD_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct timer;
typedef void timer_fn(struct timer *t);

struct timer {
	time_t when;
	size_t idx; /* position in the heap + 1; 0 = not armed */
	timer_fn *fn;
};

/* timer_set - arm or move t to fire fn at when */
void timer_set(struct timer *t, time_t when, timer_fn *fn);
/* timer_cancel - disarm t (no-op when not armed) */
void timer_cancel(struct timer *t);
/*
 * timer_moved - t's record was copied to a new place, t with it (the old copy
 * is freed, never passed here again): the heap now holds this t
 */
void timer_moved(struct timer *t);
/* timer_armed - true while t waits in the heap */
bool timer_armed(const struct timer *t);
/* timer_next - earliest armed time, or -1 when none */
time_t timer_next(void);
/* timer_run - fire every timer due at or before now; returns how many fired */
size_t timer_run(time_t now);
/* timer_count - number of armed timers */
size_t timer_count(void);

#endif

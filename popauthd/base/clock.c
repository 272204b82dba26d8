/*
 * clock.c - wall clock or replayed log time (see clock.h).
 *
 * The replay clock never runs backwards: a log with shuffled lines (two syslog
 * daemons, a clock step) must not bring expiries back to life.
 */
#include "clock.h"

#include <stdatomic.h>
#include <sys/time.h>

static bool replay;
/* atomic: a replay's scanner thread may stamp a warning (log.c) */
static _Atomic time_t replay_now;

#define NOW()      atomic_load_explicit(&replay_now, memory_order_relaxed)
#define SET_NOW(t) atomic_store_explicit(&replay_now, (t), memory_order_relaxed)
static time_t offset; /* tests: a host whose clock is off */

time_t
clock_now(void)
{
	return replay ? NOW() : time(NULL) + offset;
}

long long
clock_now_ms(void)
{
	struct timeval tv;

	if (replay)
		return (long long)NOW() * 1000;
	gettimeofday(&tv, NULL);
	return ((long long)tv.tv_sec + offset) * 1000 + tv.tv_usec / 1000;
}

void
clock_set_offset(time_t secs)
{
	offset = secs;
}

void
clock_set_replay(time_t t)
{
	replay = true;
	SET_NOW(t);
}

void
clock_advance(time_t t)
{
	if (replay && t > NOW())
		SET_NOW(t);
}

bool
clock_is_replay(void)
{
	return replay;
}

/*
 * clock.c - wall clock or replayed log time (see clock.h).
 *
 * The replay clock never runs backwards: a log with shuffled lines (two syslog
 * daemons, a clock step) must not bring expiries back to life.
 */
#include "clock.h"

#include <sys/time.h>

static bool replay;
static time_t replay_now;
static time_t offset; /* tests: a host whose clock is off */

time_t
clock_now(void)
{
	return replay ? replay_now : time(NULL) + offset;
}

long long
clock_now_ms(void)
{
	struct timeval tv;

	if (replay)
		return (long long)replay_now * 1000;
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
	replay_now = t;
}

void
clock_advance(time_t t)
{
	if (replay && t > replay_now)
		replay_now = t;
}

bool
clock_is_replay(void)
{
	return replay;
}

/*
 * clock.c - wall clock or replayed log time (see clock.h).
 *
 * The replay clock never runs backwards: a log with shuffled lines (two syslog
 * daemons, a clock step) must not bring expiries back to life.
 */
#include "clock.h"

static bool replay;
static time_t replay_now;

time_t
clock_now(void)
{
	return replay ? replay_now : time(NULL);
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

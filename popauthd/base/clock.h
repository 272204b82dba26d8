/*
 * clock.h - the one notion of "now" for expiries and log stamps.
 *
 * Live, it is the wall clock.  Under --replay it is the timestamp of the last log
 * line read, so a replay expires grants exactly as the daemon would have.
 */
#ifndef POPAUTHD_CLOCK_H
#define POPAUTHD_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* clock_now - current event time in seconds */
time_t clock_now(void);
/* clock_now_ms - clock_now in milliseconds (the loop's sleep until a timer) */
long long clock_now_ms(void);
/*
 * clock_set_offset - run secs ahead of (or, negative, behind) the wall
 * clock: main.c takes it from POPAUTHD_TEST_CLOCK_OFFSET, so a test can
 * play a host whose clock is wrong (cluster nodes must still agree)
 */
void clock_set_offset(time_t secs);
/* clock_set_replay - switch to log time, starting at t */
void clock_set_replay(time_t t);
/* clock_advance - under replay, move the clock to t (never backwards) */
void clock_advance(time_t t);
/* clock_is_replay - true under --replay */
bool clock_is_replay(void);

/* the local-time stamps of log lines and explain text (strftime, C locale) */
enum clock_style {
	CLOCK_SYSLOG, /* "%b %e %H:%M:%S": "Nov  3 06:11:58" */
	CLOCK_ISO,    /* "%Y-%m-%d %H:%M:%S": "2026-11-03 06:11:58" */
};
#define CLOCK_STAMP_MAX 32 /* room for either, years of any width included */
/*
 * clock_stamp - t as local time in style into buf (CLOCK_STAMP_MAX bytes);
 * its length, 0 (buf "") if localtime_r cannot convert t.  Each thread keeps
 * the breakdown of its last minutes, so a busy log calls localtime_r once a
 * minute, not once a line; a change of TZ shows at the next tzset().
 */
size_t clock_stamp(char *buf, time_t t, enum clock_style style);

#endif

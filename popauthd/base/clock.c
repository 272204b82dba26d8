/*
 * clock.c - wall clock or replayed log time (see clock.h).
 *
 * The replay clock never runs backwards: a log with shuffled lines (two syslog
 * daemons, a clock step) must not bring expiries back to life.
 * Stamps: a zone's offset changes only at a whole minute, so one minute's
 * breakdown from localtime_r holds for every second of that minute (a leap
 * second, where the zone has them, goes to strftime).
 */
#include "clock.h"

#include <limits.h>
#include <stdatomic.h>
#include <string.h>
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

/*
 * The calling thread's minutes, direct-mapped by minute number: log stamps
 * move a minute at a time, but the expiry and unban times the lines name
 * spread over hours (a 1M-line replay: 350 misses in 258k stamps with 256
 * slots, 79k with 16).  m's second 0 breaks down as the fields; zone and name
 * are timezone and tzname[0] when it was made, so a tzset() to another zone
 * drops it.
 */
#define MINUTES 256
struct minute {
	long long m; /* LLONG_MIN: empty */
	int year, mon, mday, hour, min;
	long zone;
	const char *name;
};
static _Thread_local struct minute minutes[MINUTES];
static _Thread_local bool minutes_ready;

/* two - v (0..99) as two digits, pad for a leading zero */
static char *
two(char *p, int v, char pad)
{
	*p++ = v >= 10 ? (char)('0' + v / 10) : pad;
	*p++ = (char)('0' + v % 10);
	return p;
}

/* minute_of - the breakdown of t's minute, NULL if localtime_r fails */
static const struct minute *
minute_of(time_t t, int *sec)
{
	long long m = t >= 0 ? t / 60 : -((59 - (long long)t) / 60);
	struct minute *c;
	struct tm tm;
	int i;

	if (!minutes_ready) {
		for (i = 0; i < MINUTES; i++)
			minutes[i].m = LLONG_MIN;
		minutes_ready = true;
	}
	c = &minutes[(unsigned long long)m % MINUTES];
	*sec = (int)(t - m * 60);
	if (c->m == m && c->zone == timezone && c->name == tzname[0])
		return c;
	/* a leap second (right/ zones) is a 61st second: never kept */
	if (localtime_r(&t, &tm) == NULL || tm.tm_sec != *sec) {
		c->m = LLONG_MIN;
		return NULL;
	}
	c->m = m;
	c->year = tm.tm_year;
	c->mon = tm.tm_mon;
	c->mday = tm.tm_mday;
	c->hour = tm.tm_hour;
	c->min = tm.tm_min;
	c->zone = timezone;
	c->name = tzname[0];
	return c;
}

/* slow - strftime of t, for what the minutes do not keep */
static size_t
slow(char *buf, time_t t, enum clock_style style)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL) {
		buf[0] = '\0';
		return 0;
	}
	return style == CLOCK_ISO
	    ? strftime(buf, CLOCK_STAMP_MAX, "%Y-%m-%d %H:%M:%S", &tm)
	    : strftime(buf, CLOCK_STAMP_MAX, "%b %e %H:%M:%S", &tm);
}

/* the thread's last stamp of each style: a log line's is its neighbour's */
static _Thread_local struct {
	time_t t;
	long zone;
	const char *name;
	size_t n; /* 0: none */
	char s[CLOCK_STAMP_MAX];
} again[2];

/* remember - buf (n bytes) as t's stamp in style */
static size_t
remember(const char *buf, size_t n, time_t t, enum clock_style style)
{
	again[style].t = t;
	again[style].zone = timezone;
	again[style].name = tzname[0];
	again[style].n = n;
	memcpy(again[style].s, buf, n + 1);
	return n;
}

size_t
clock_stamp(char *buf, time_t t, enum clock_style style)
{
	static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const struct minute *c;
	char *p = buf;
	int sec;

	if (again[style].n != 0 && again[style].t == t &&
	    again[style].zone == timezone && again[style].name == tzname[0]) {
		memcpy(buf, again[style].s, again[style].n + 1);
		return again[style].n;
	}
	if ((c = minute_of(t, &sec)) == NULL ||
	    (style == CLOCK_ISO &&
	        (c->year < 1000 - 1900 || c->year > 9999 - 1900)))
		return slow(buf, t, style);
	if (style == CLOCK_ISO) {
		int y = c->year + 1900;

		p = two(p, y / 100, '0');
		p = two(p, y % 100, '0');
		*p++ = '-';
		p = two(p, c->mon + 1, '0');
		*p++ = '-';
		p = two(p, c->mday, '0');
	} else {
		memcpy(p, mon + 3 * c->mon, 3);
		p[3] = ' ';
		p = two(p + 4, c->mday, ' ');
	}
	*p++ = ' ';
	p = two(p, c->hour, '0');
	*p++ = ':';
	p = two(p, c->min, '0');
	*p++ = ':';
	p = two(p, sec, '0');
	*p = '\0';
	return remember(buf, (size_t)(p - buf), t, style);
}

/*
 * logline.c - split one syslog line into time, host, tag, pid and message.
 *
 * For engine.c, main.c (--test) and rule.c.  A hand-written scanner, no regex and
 * no allocation: it walks the line once, checks the shape of the stamp, and cuts
 * host, tag[pid] and message as slices into the caller's buffer.  Three framings:
 *   RFC 3164  "Nov 23 06:11:58[.frac] host tag[pid]: msg"  (day may be " 5")
 *   RFC 3339  "2026-11-23T06:05:48.698101+00:00 host tag[pid]: msg"
 *   RFC 5424  "<pri>1 TS host app procid msgid [sd]|- msg"
 * NUL bytes, invalid UTF-8 and truncation are harmless: every read is bounded by
 * len, and a tag must be printable ASCII, so a line that is cut or holds junk
 * before the message has no tag and matches no rule.
 * Time: only with a struct logline_year (replay); RFC 3164 stamps are local time
 * without a year, so the year is guessed at the first line and rolled at New
 * Year; mktime() runs once per day (cache in day_key/day_start).
 */
#include "logline.h"

#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define TAG_MAX 128 /* longer "tags" are junk, not a program name */

/* digits - n decimal digits at p into *v; false if any is not a digit */
static bool
digits(const char *p, int n, int *v)
{
	int i, x = 0;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		x = x * 10 + (p[i] - '0');
	}
	*v = x;
	return true;
}

/* month3 - "Jan".."Dec" into 0..11, -1 if not a month */
static int
month3(const char *p)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int m;

	for (m = 0; m < 12; m++)
		if (p[0] == names[m * 3] && p[1] == names[m * 3 + 1] &&
		    p[2] == names[m * 3 + 2])
			return m;
	return -1;
}

/* days_from_civil - days since 1970-01-01 of y-m-d (m 1..12), proleptic */
static long long
days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

struct stamp {
	int year, mon, day, hour, min, sec; /* mon 0..11 */
	int off;                            /* seconds east of UTC (3339) */
};

/*
 * scan_3164 - "Mmm dd HH:MM:SS[.frac] " at p; returns the length up to and
 * including the space, 0 if the shape does not fit.
 */
static size_t
scan_3164(const char *p, size_t n, struct stamp *st)
{
	size_t i;

	if (n < 16 || p[3] != ' ' || p[6] != ' ' || p[9] != ':' || p[12] != ':')
		return 0;
	if ((st->mon = month3(p)) < 0)
		return 0;
	if (p[4] == ' ') {
		if (!digits(p + 5, 1, &st->day))
			return 0;
	} else if (!digits(p + 4, 2, &st->day)) {
		return 0;
	}
	if (!digits(p + 7, 2, &st->hour) || !digits(p + 10, 2, &st->min) ||
	    !digits(p + 13, 2, &st->sec))
		return 0;
	if (st->day < 1 || st->day > 31 || st->hour > 23 || st->min > 59 ||
	    st->sec > 60)
		return 0;
	i = 15;
	if (p[i] == '.') {
		for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++)
			;
		if (i == 16)
			return 0;
	}
	if (i >= n || p[i] != ' ')
		return 0;
	return i + 1;
}

/*
 * scan_3339 - "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)" at p; returns its
 * length (not including the following space), 0 if the shape does not fit.
 */
static size_t
scan_3339(const char *p, size_t n, struct stamp *st)
{
	size_t i;
	int oh, om;

	if (n < 20 || p[4] != '-' || p[7] != '-' ||
	    (p[10] != 'T' && p[10] != 't') || p[13] != ':' || p[16] != ':')
		return 0;
	if (!digits(p, 4, &st->year) || !digits(p + 5, 2, &st->mon) ||
	    !digits(p + 8, 2, &st->day) || !digits(p + 11, 2, &st->hour) ||
	    !digits(p + 14, 2, &st->min) || !digits(p + 17, 2, &st->sec))
		return 0;
	if (st->mon < 1 || st->mon > 12 || st->day < 1 || st->day > 31 ||
	    st->hour > 23 || st->min > 59 || st->sec > 60)
		return 0;
	st->mon--;
	i = 19;
	if (p[i] == '.') {
		for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++)
			;
		if (i == 20)
			return 0;
	}
	if (i < n && (p[i] == 'Z' || p[i] == 'z')) {
		st->off = 0;
		return i + 1;
	}
	if (i + 6 > n || (p[i] != '+' && p[i] != '-') || p[i + 3] != ':' ||
	    !digits(p + i + 1, 2, &oh) || !digits(p + i + 4, 2, &om) ||
	    oh > 23 || om > 59)
		return 0;
	st->off = (oh * 3600 + om * 60) * (p[i] == '-' ? -1 : 1);
	return i + 6;
}

/* when_3339 - epoch seconds of an RFC 3339 stamp (timegm minus offset) */
static time_t
when_3339(const struct stamp *st)
{
	long long t =
	    days_from_civil(st->year, st->mon + 1, st->day) * 86400LL +
	    st->hour * 3600 + st->min * 60 + st->sec - st->off;

	return t > 0 ? (time_t)t : 0;
}

/* local_midnight - mktime of y-m-d 00:00 local, -1 on failure */
static time_t
local_midnight(int y, int m, int d)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m;
	tm.tm_mday = d;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/*
 * when_3164 - epoch seconds of a yearless local stamp.  The first line picks
 * the current year, or the previous one when the stamp is more than a month
 * ahead of today (a log started in December, read in January); after that the
 * year rolls when the month drops by more than 6 (Dec -> Jan).
 */
static time_t
when_3164(const struct stamp *st, struct logline_year *yr)
{
	time_t key, t0, t1, now;
	struct tm tm;

	if (yr->year == 0) {
		now = time(NULL);
		if (localtime_r(&now, &tm) == NULL)
			return 0;
		yr->year = tm.tm_year + 1900;
		if (st->mon > tm.tm_mon + 1)
			yr->year--;
	} else if (yr->last_mon >= 0 && st->mon < yr->last_mon - 6) {
		yr->year++;
	}
	yr->last_mon = st->mon;
	key = (time_t)yr->year * 400 + st->mon * 32 + st->day;
	if (key != yr->day_key) {
		t0 = local_midnight(yr->year, st->mon, st->day);
		t1 = local_midnight(yr->year, st->mon, st->day + 1);
		if (t0 == (time_t)-1 || t1 == (time_t)-1)
			return 0;
		if (t1 - t0 != 86400) {
			/* a DST change today: offsets move, no cache */
			struct tm x;

			memset(&x, 0, sizeof(x));
			x.tm_year = yr->year - 1900;
			x.tm_mon = st->mon;
			x.tm_mday = st->day;
			x.tm_hour = st->hour;
			x.tm_min = st->min;
			x.tm_sec = st->sec;
			x.tm_isdst = -1;
			t0 = mktime(&x);
			return t0 == (time_t)-1 ? 0 : t0;
		}
		yr->day_key = key;
		yr->day_start = t0;
	}
	return yr->day_start + st->hour * 3600 + st->min * 60 + st->sec;
}

/* token - length of the run of non-space bytes at p (NUL counts as a byte) */
static size_t
token(const char *p, size_t n)
{
	const char *sp = memchr(p, ' ', n);

	return sp != NULL ? (size_t)(sp - p) : n;
}

/* tag_byte - what a byte is in an RFC 3164 tag: one lookup, not four tests */
enum { TB_TAG, TB_END, TB_BAD }; /* 0: '!'..'~'; 1: '[' ':'; 2: the rest */
static const unsigned char tag_byte[256] = {
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 00 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 10 */
    2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 20 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, /* 30 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 40 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, /* 50 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 60 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, /* 70 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 80 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 90 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* a0 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* b0 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* c0 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* d0 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* e0 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* f0 */
};

/* tag_run - how many bytes at p[0, lim) are TB_TAG */
static size_t
tag_run(const char *p, size_t lim)
{
	size_t i = 0;

#ifdef __SSE2__
	/* 16 at a time while 16 are there: most tags end in the first block */
	for (; i + 16 <= lim; i += 16) {
		__m128i x =
		    _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i in = _mm_and_si128(
		    _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8('!')), x),
		    _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8('~')), x));
		__m128i end =
		    _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('[')),
		        _mm_cmpeq_epi8(x, _mm_set1_epi8(':')));
		unsigned m =
		    (unsigned)_mm_movemask_epi8(_mm_andnot_si128(end, in));

		if (m != 0xffff)
			return i + (size_t)__builtin_ctz(~m);
	}
#endif
	while (i < lim && tag_byte[(unsigned char)p[i]] == TB_TAG)
		i++;
	return i;
}

/*
 * tag_3164 - "tag[pid]: msg" or "tag: msg" at p; fills tag, pid and msg.  The
 * tag is printable ASCII without space, '[' or ':'; the pid holds digits; the
 * colon is followed by one space or the end of the line.
 */
static int
tag_3164(const char *p, size_t n, struct logline *ll)
{
	size_t i;

	size_t lim = n < TAG_MAX ? n : TAG_MAX;

	i = tag_run(p, lim);
	if (i == 0 || i >= lim || tag_byte[(unsigned char)p[i]] != TB_END)
		return -1;
	ll->tag = p;
	ll->taglen = i;
	if (p[i] == '[') {
		size_t s = ++i;

		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == s || i >= n || p[i] != ']')
			return -1;
		ll->pid = p + s;
		ll->pidlen = i - s;
		i++;
		if (i >= n || p[i] != ':')
			return -1;
	}
	i++; /* the colon */
	if (i == n) {
		ll->msg = p + i;
		ll->msglen = 0;
		return 0;
	}
	if (p[i] != ' ')
		return -1;
	i++;
	ll->msg = p + i;
	ll->msglen = n - i;
	return 0;
}

/* skip_sd - RFC 5424 structured data ("-" or "[...]..."); length, 0 if bad */
static size_t
skip_sd(const char *p, size_t n)
{
	size_t i = 0;
	bool quoted = false;

	if (n >= 1 && p[0] == '-')
		return 1;
	while (i < n && p[i] == '[') {
		for (i++; i < n; i++) {
			if (quoted && p[i] == '\\' && i + 1 < n) {
				i++;
			} else if (p[i] == '"') {
				quoted = !quoted;
			} else if (!quoted && p[i] == ']') {
				break;
			}
		}
		if (i >= n)
			return 0;
		i++;
	}
	return i;
}

/* parse_5424 - after "<pri>1 ": TS HOST APP PROCID MSGID SD [MSG] */
static int
parse_5424(const char *p, size_t n, struct logline *ll, struct logline_year *yr)
{
	size_t k, i = 0, app, proc;
	struct stamp st;

	k = token(p, n);
	if (k == 0 || k == n)
		return -1;
	if (!(k == 1 && p[0] == '-')) {
		if (scan_3339(p, k, &st) != k)
			return -1;
		if (yr != NULL)
			ll->when = when_3339(&st);
	}
	i = k + 1;
	k = token(p + i, n - i); /* host */
	if (k == 0 || i + k >= n)
		return -1;
	ll->host = p + i;
	ll->hostlen = k;
	i += k + 1;
	app = token(p + i, n - i);
	if (app == 0 || app > TAG_MAX || i + app >= n)
		return -1;
	for (k = 0; k < app; k++)
		if ((unsigned char)p[i + k] <= ' ' ||
		    (unsigned char)p[i + k] >= 0x7f)
			return -1;
	ll->tag = p + i;
	ll->taglen = app;
	i += app + 1;
	proc = token(p + i, n - i);
	if (proc == 0 || i + proc >= n)
		return -1;
	if (!(proc == 1 && p[i] == '-')) {
		ll->pid = p + i;
		ll->pidlen = proc;
	}
	i += proc + 1;
	k = token(p + i, n - i); /* msgid */
	if (k == 0 || i + k >= n)
		return -1;
	i += k + 1;
	if ((k = skip_sd(p + i, n - i)) == 0)
		return -1;
	i += k;
	if (i < n && p[i] == ' ')
		i++;
	else if (i < n)
		return -1;
	/* a UTF-8 BOM may open the message */
	if (n - i >= 3 && memcmp(p + i, "\xef\xbb\xbf", 3) == 0)
		i += 3;
	ll->msg = p + i;
	ll->msglen = n - i;
	return 0;
}

int
logline_parse(
    const char *line, size_t len, struct logline *ll, struct logline_year *yr)
{
	struct stamp st;
	size_t i = 0, k;

	memset(ll, 0, sizeof(*ll));
	if (len > 0 && line[len - 1] == '\n')
		len--;
	/* the last line's head again: its stamp and host hold for this one */
	if (yr != NULL && yr->head_len != 0 && len > yr->head_len &&
	    memcmp(line, yr->head, yr->head_len) == 0) {
		ll->when = yr->head_when;
		ll->host = line + yr->host_off;
		ll->hostlen = yr->host_len;
		i = yr->head_len;
		goto tag;
	}
	if (len > 0 && line[0] == '<') {
		/* "<pri>": RFC 5424 when "1 " follows, else a raw datagram */
		for (i = 1;
		     i < len && i < 5 && line[i] >= '0' && line[i] <= '9'; i++)
			;
		if (i == 1 || i >= len || line[i] != '>')
			return -1;
		i++;
		if (len - i > 2 && line[i] == '1' && line[i + 1] == ' ')
			return parse_5424(line + i + 2, len - i - 2, ll, yr);
	}
	if (len - i >= 20 && line[i] >= '0' && line[i] <= '9') {
		k = scan_3339(line + i, len - i, &st);
		if (k == 0 || i + k >= len || line[i + k] != ' ')
			return -1;
		if (yr != NULL)
			ll->when = when_3339(&st);
		i += k + 1;
	} else {
		k = scan_3164(line + i, len - i, &st);
		if (k == 0)
			return -1;
		if (yr != NULL)
			ll->when = when_3164(&st, yr);
		i += k;
	}
	k = token(line + i, len - i);
	if (k == 0 || i + k >= len)
		return -1;
	ll->host = line + i;
	ll->hostlen = k;
	i += k + 1;
	if (yr != NULL) {
		/* what was read up to here depends on these bytes alone */
		yr->head_len = 0;
		if (i <= sizeof(yr->head) && ll->when != 0) {
			memcpy(yr->head, line, i);
			yr->head_len = i;
			yr->host_off = (size_t)(ll->host - line);
			yr->host_len = k;
			yr->head_when = ll->when;
		}
	}
tag:
	if (tag_3164(line + i, len - i, ll) < 0) {
		ll->when = 0;
		return -1;
	}
	return 0;
}

void
logline_skip_from(struct logline_skip *s, time_t cutoff)
{
	memset(s, 0, sizeof(*s));
	s->on = true;
	s->cutoff = cutoff;
	s->yr.last_mon = -1;
}

bool
logline_skip_old(struct logline_skip *s, const char *line, size_t len)
{
	struct logline ll;

	if (!s->on)
		return false;
	if (logline_parse(line, len, &ll, &s->yr) < 0 || ll.when == 0 ||
	    ll.when < s->cutoff)
		return true;
	s->on = false;
	return false;
}

/*
 * util.c - allocation, bounded number and duration parsing, escaping.
 *
 * For every module.  Numbers go through strtoll/strtod with full-string and range
 * checks (no atoi).  log_escape is what keeps attacker-written bytes (HELO names,
 * addresses, DNSBL reasons) from splitting a log line, a map value or an export.
 */
#include "util.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		log_panic("out of memory (%zu bytes)", n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		log_panic("out of memory (%zu x %zu bytes)", nmemb, size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		log_panic("out of memory (%zu bytes)", n);
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

int
parse_long(const char *s, long long min, long long max, long long *v)
{
	char *end;
	long long x;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || x < min || x > max)
		return -1;
	*v = x;
	return 0;
}

int
parse_double(const char *s, double *v)
{
	char *end;
	double x;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	x = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(x) || x < 0)
		return -1;
	*v = x;
	return 0;
}

int
parse_bool(const char *s, bool *v)
{
	static const char *yes[] = {"yes", "true", "on", "1"};
	static const char *no[] = {"no", "false", "off", "0"};
	size_t i;

	for (i = 0; i < NITEMS(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*v = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*v = false;
			return 0;
		}
	}
	return -1;
}

/* dur_scan - shared body of dur_parse and dur_parse_ms; result in ms */
static int
dur_scan(const char *s, bool allow_ms, long long *ms)
{
	long long total = 0;
	bool any = false;

	if (s == NULL || *s == '\0')
		return -1;
	while (*s != '\0') {
		long long n = 0, unit;
		bool digits = false;

		while (isdigit((unsigned char)*s)) {
			if (n > 1000000000LL)
				return -1;
			n = n * 10 + (*s++ - '0');
			digits = true;
		}
		if (!digits)
			return -1;
		if (allow_ms && s[0] == 'm' && s[1] == 's') {
			unit = 1;
			s += 2;
		} else {
			switch (*s) {
			case 's':
			case '\0':
				unit = 1000;
				break;
			case 'm':
				unit = 60 * 1000LL;
				break;
			case 'h':
				unit = 3600 * 1000LL;
				break;
			case 'd':
				unit = 86400 * 1000LL;
				break;
			case 'w':
				unit = 7 * 86400 * 1000LL;
				break;
			default:
				return -1;
			}
			if (*s != '\0')
				s++;
		}
		total += n * unit;
		if (total > 100LL * 365 * 86400 * 1000)
			return -1;
		any = true;
	}
	if (!any)
		return -1;
	*ms = total;
	return 0;
}

int
dur_parse(const char *s, time_t *secs)
{
	long long ms;

	if (dur_scan(s, false, &ms) < 0)
		return -1;
	*secs = (time_t)(ms / 1000);
	return 0;
}

int
dur_parse_ms(const char *s, long long *ms)
{
	return dur_scan(s, true, ms);
}

const char *
dur_format(time_t secs, char *buf, size_t size)
{
	long long s = secs < 0 ? 0 : (long long)secs;
	const long long part[5] = {s / 604800, s % 604800 / 86400,
	    s % 86400 / 3600, s % 3600 / 60, s % 60};
	static const char unit[5] = {'w', 'd', 'h', 'm', 's'};
	char out[96], *p = out;
	bool shown = false;
	size_t i, n;

	/* no snprintf: a ban's log line formats two of these */
	for (i = 0; i < 5; i++) {
		char d[24], *q = d + sizeof(d);
		long long v = part[i];

		if (!shown && v == 0 && i < 4)
			continue;
		shown = true;
		do {
			*--q = (char)('0' + v % 10);
			v /= 10;
		} while (v > 0);
		n = (size_t)(d + sizeof(d) - q);
		memcpy(p, q, n);
		p += n;
		*p++ = unit[i];
		*p++ = ' ';
	}
	n = (size_t)(p - out) - 1; /* the last space */
	if (size > 0) {
		if (n > size - 1)
			n = size - 1;
		memcpy(buf, out, n);
		buf[n] = '\0';
	}
	return buf;
}

/* utf8_len - length of the valid UTF-8 sequence at s (at most n bytes), or 0 */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned int cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	cp = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/*
 * plain8 - none of the 8 bytes at p is below 0x20, 0x7f or above, or a
 * backslash (the word-at-a-time tests of "Bit Twiddling Hacks", exact
 * for these bounds)
 */
static bool
plain8(const unsigned char *p)
{
	const uint64_t ones = 0x0101010101010101ULL, high = ones * 0x80;
	uint64_t x, bs, bad;

	memcpy(&x, p, 8);
	bs = x ^ (ones * '\\');
	bad = ((x - ones * 0x20) & ~x) | x | ((bs - ones) & ~bs) |
	    (x + ones * (0x80 - 0x7f));

	return (bad & high) == 0;
}

#ifdef __SSE2__
/* plain16 - plain8 for 16 bytes: each within ' '..'~' and not a backslash */
static bool
plain16(const unsigned char *p)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i in = _mm_and_si128(
	    _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(0x20)), x),
	    _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x7e)), x));

	return _mm_movemask_epi8(_mm_andnot_si128(
	           _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')), in)) == 0xffff;
}
#endif

size_t
log_escape_len(char *buf, size_t size, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0;

	if (size == 0)
		return 0;
	while (i < n) {
		size_t u, j = i;

		/* a run of plain bytes: one copy (most lines are all plain) */
#ifdef __SSE2__
		while (j + 16 <= n && plain16(p + j))
			j += 16;
#endif
		while (j + 8 <= n && plain8(p + j))
			j += 8;
		while (j < n && p[j] >= 0x20 && p[j] < 0x7f && p[j] != '\\')
			j++;
		if (j > i) {
			u = j - i < size - 1 - o ? j - i : size - 1 - o;
			memcpy(buf + o, p + i, u);
			o += u;
			i += u;
			if (i < j)
				break; /* buf is full */
			continue;
		}
		if (p[i] >= 0x80 && (u = utf8_len(p + i, n - i)) > 0) {
			if (o + u >= size)
				break;
			memcpy(buf + o, p + i, u);
			o += u;
			i += u;
		} else {
			if (o + 4 >= size)
				break;
			snprintf(buf + o, 5, "\\%03o", p[i++]);
			o += 4;
		}
	}
	buf[o] = '\0';
	return o;
}

const char *
log_escape(char *buf, size_t size, const char *s, size_t n)
{
	log_escape_len(buf, size, s, n);
	return buf;
}

long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* log_quote_if - s quoted into buf when it holds one of specials */
static const char *
log_quote_if(char *buf, size_t size, const char *s, const char *specials)
{
	size_t o = 0;

	if (strpbrk(s, specials) == NULL || size < 3)
		return s;
	buf[o++] = '"';
	for (; *s != '\0' && o + 3 < size; s++) {
		if (*s == '"' || *s == '\\')
			buf[o++] = '\\';
		buf[o++] = *s;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

const char *
log_quote(char *buf, size_t size, const char *s)
{
	return log_quote_if(buf, size, s, " \"<>[]");
}

const char *
log_quote_in(char *buf, size_t size, const char *s)
{
	return log_quote_if(buf, size, s, "\"<>[]");
}

int
mkdir_p(const char *dir)
{
	char *p = xstrdup(dir), *s;
	int rc = 0, err = 0;

	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			rc = -1, err = errno;
		*s = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		rc = -1, err = errno;
	free(p);
	errno = err;
	return rc;
}

int
mkdir_parent(const char *path)
{
	char *p = xstrdup(path), *slash = strrchr(p, '/');
	int rc = 0;

	if (slash != NULL && slash != p) {
		*slash = '\0';
		rc = mkdir_p(p);
	}
	free(p);
	return rc;
}

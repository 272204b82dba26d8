/*
 * util.h - small helpers every module uses: allocation that never fails, bounded
 * number parsing, durations, escaping of attacker-written text.
 *
 * For all of popauthd.  xmalloc and friends log and abort on exhaustion, so callers
 * never check for NULL.  parse_long/dur_parse return 0 or -1 and never touch the
 * output on error.
 */
#ifndef POPAUTHD_UTIL_H
#define POPAUTHD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))
#define UNUSED(x) ((void)(x))

/* xmalloc - malloc that aborts with a log line instead of returning NULL */
void *xmalloc(size_t n);
/* xcalloc - calloc that aborts instead of returning NULL */
void *xcalloc(size_t nmemb, size_t size);
/* mkdir_p - create dir and its missing parents, mode 0755; 0 or -1 (errno) */
int mkdir_p(const char *dir);
/* mkdir_parent - mkdir_p of the directory path lies in; 0 or -1 (errno) */
int mkdir_parent(const char *path);
/* xrealloc - realloc that aborts instead of returning NULL */
void *xrealloc(void *p, size_t n);
/* xstrdup - strdup that aborts instead of returning NULL */
char *xstrdup(const char *s);
/* xstrndup - copy at most n bytes of s and NUL-terminate */
char *xstrndup(const char *s, size_t n);

/* parse_long - whole string s as a decimal in [min,max] into *v; 0 or -1 */
int parse_long(const char *s, long long min, long long max, long long *v);
/* parse_double - whole string s as a finite double >= 0 into *v; 0 or -1 */
int parse_double(const char *s, double *v);
/* parse_bool - yes/no/true/false/on/off/1/0 into *v; 0 or -1 */
int parse_bool(const char *s, bool *v);

/* dur_parse - "90", "30s", "30m", "1h30m", "7d", "2w" into seconds; 0 or -1 */
int dur_parse(const char *s, time_t *secs);
/* dur_parse_ms - like dur_parse, also "50ms"; result in milliseconds */
int dur_parse_ms(const char *s, long long *ms);
/* dur_format - seconds as the seed's "1w 2d 3h 4m 5s" (leading zero units omitted) */
const char *dur_format(time_t secs, char *buf, size_t size);

/*
 * log_escape - copy s (n bytes) into buf for a log line, map value or export:
 * printable ASCII and valid UTF-8 pass, everything else (controls, tab, NUL,
 * invalid UTF-8, backslash) becomes \ooo.  Always NUL-terminates; truncates.
 */
const char *log_escape(char *buf, size_t size, const char *s, size_t n);
/* log_escape_len - log_escape, returning the length written (no strlen) */
size_t log_escape_len(char *buf, size_t size, const char *s, size_t n);
/*
 * log_quote - s (already log_escape'd) as a bare log line field: unchanged
 * when it holds none of  space " < > [ ]  (so "alice@example.org" reads as
 * always), else in double quotes with " and \ escaped, so text an attacker
 * chose ("x has authenticated ... from 6.6.6.6") cannot pass for the line's
 * own words.  log_quote_in: the same for a field inside [ ] or < >, where
 * spaces are harmless: quoted only when it holds " < > [ or ].  Both return
 * buf, or s when unchanged.
 */
const char *log_quote(char *buf, size_t size, const char *s);
const char *log_quote_in(char *buf, size_t size, const char *s);

/* mono_ms - CLOCK_MONOTONIC in milliseconds (map coalescing, not event time) */
long long mono_ms(void);

/*
 * fnv1a - FNV-1a over n bytes of p, from h (FNV1A_INIT to start; chain
 * calls for a key of several parts): small tables' and caches' hash
 */
#define FNV1A_INIT 2166136261u
static inline uint32_t
fnv1a(uint32_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n-- > 0)
		h = (h ^ *b++) * 16777619u;
	return h;
}

#endif

/*
 * fmt.h - a vsnprintf for log lines, without stdio's cost.
 *
 * For log.c, witness.c and the trackers: the event lines of a busy log (a
 * replay writes one for every five input lines) spent a fifth of their
 * thread in glibc's vfprintf.  fmt_v does the conversions those lines use
 * itself: %s (with a precision, also .*), %c, %d %i %u with l, ll or z, %%,
 * and %f with a precision up to 9 (in integers, printf's rounding; larger
 * ones through snprintf).  A format with anything else (flags, widths,
 * other conversions) goes whole to vsnprintf, so the output is always
 * vsnprintf's.
 */
#ifndef POPAUTHD_FMT_H
#define POPAUTHD_FMT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * fmt_v - as vsnprintf: at most size - 1 bytes and a NUL into buf (size
 * > 0); the length the whole text has
 */
int fmt_v(char *buf, size_t size, const char *fmt, va_list ap);
/* fmt_s - as snprintf, through fmt_v (the trackers' reasons) */
int fmt_s(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif

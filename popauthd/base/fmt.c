/*
 * fmt.c - vsnprintf for the conversions log lines use (see fmt.h).
 */
#include "fmt.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* 128-bit arithmetic for %f: GCC's and Clang's, outside ISO C */
__extension__ typedef unsigned __int128 u128;

/* conv - the conversion at p (after '%'): its length, or 0 if unsupported */
static size_t
conv(const char *p)
{
	const char *s = p;

	if (*p == '%')
		return 1;
	if (*p == '.') { /* a precision: %.Ns, %.*s, %.Nf */
		p++;
		if (*p == '*')
			p++;
		else
			while (*p >= '0' && *p <= '9')
				p++;
		/* %f: a precision of two digits at most (see put_f's room) */
		return *p == 's' || (*p == 'f' && p[-1] != '*' && p - s <= 3)
		    ? (size_t)(p - s) + 1
		    : 0;
	}
	if (*p == 's' || *p == 'c' || *p == 'f')
		return 1;
	if (*p == 'l' && p[1] == 'l')
		p += 2;
	else if (*p == 'l' || *p == 'z')
		p++;
	return *p == 'd' || *p == 'i' || *p == 'u' ? (size_t)(p - s) + 1 : 0;
}

struct out {
	char *buf;
	size_t size, len; /* len: the whole text's, past size too */
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->len + 1 < o->size) {
		size_t room = o->size - 1 - o->len;

		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void
put_u(struct out *o, unsigned long long v, bool neg)
{
	char d[24], *p = d + sizeof(d);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	if (neg)
		*--p = '-';
	put(o, p, (size_t)(d + sizeof(d) - p));
}

/* put_int - a %d/%i/%u of length modifier mod (0, 'l', 'L' for ll, 'z') */
static void
put_int(struct out *o, char mod, char c, va_list *ap)
{
	unsigned long long u;
	long long v;

	if (c == 'u') {
		u = mod == 'L'   ? va_arg(*ap, unsigned long long)
		    : mod == 'l' ? va_arg(*ap, unsigned long)
		    : mod == 'z' ? va_arg(*ap, size_t)
		                 : va_arg(*ap, unsigned int);
		put_u(o, u, false);
		return;
	}
	v = mod == 'L'   ? va_arg(*ap, long long)
	    : mod == 'l' ? va_arg(*ap, long)
	    : mod == 'z' ? (long long)va_arg(*ap, size_t)
	                 : va_arg(*ap, int);
	/* the magnitude of LLONG_MIN does not fit a long long */
	put_u(o, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v,
	    v < 0);
}

/*
 * put_f - %.Nf (N <= 9) of a finite v below 2^63 exactly as printf: the
 * double is m * 2^e, so v * 10^N is m * 10^N shifted, and its rounding
 * (to nearest, ties to even) is decided on the exact remainder.  Else
 * false: snprintf does it.
 */
static bool
put_f(struct out *o, double v, int prec)
{
	static const uint32_t p10[10] = {1, 10, 100, 1000, 10000, 100000,
	    1000000, 10000000, 100000000, 1000000000};
	char d[48], *p = d + sizeof(d);
	uint64_t m, ip, fp;
	u128 x, q;
	int ex, e, i;

	if (prec > 9 || !isfinite(v) || fabs(v) >= 9.2e18)
		return false;
	m = (uint64_t)ldexp(fabs(frexp(v, &ex)), 53);
	e = ex - 53; /* |v| = m * 2^e */
	x = (u128)m * p10[prec];
	if (e >= 0) {
		q = x << e; /* e < 10: v < 2^63 */
	} else if (-e >= 120) {
		q = 0; /* x < 2^83: less than half of 2^-e */
	} else {
		u128 rem = x & (((u128)1 << -e) - 1),
		     half = (u128)1 << (-e - 1);

		q = x >> -e;
		if (rem > half || (rem == half && (q & 1) != 0))
			q++;
	}
	if ((q >> 64) == 0) { /* almost always: no 128-bit division */
		ip = (uint64_t)q / p10[prec];
		fp = (uint64_t)q % p10[prec];
	} else {
		ip = (uint64_t)(q / p10[prec]);
		fp = (uint64_t)(q % p10[prec]);
	}
	for (i = 0; i < prec; i++) {
		*--p = (char)('0' + fp % 10);
		fp /= 10;
	}
	if (prec > 0)
		*--p = '.';
	do {
		*--p = (char)('0' + ip % 10);
		ip /= 10;
	} while (ip > 0);
	if (signbit(v))
		*--p = '-';
	put(o, p, (size_t)(d + sizeof(d) - p));
	return true;
}

int
fmt_v(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = {buf, size, 0};
	const char *p = fmt, *pct;
	va_list aq;

	va_copy(aq, ap);
	while ((pct = strchr(p, '%')) != NULL) {
		const char *c = pct + 1;
		char mod = 0, ch;
		int prec = -1;

		if (conv(c) == 0) {
			/* not ours: all of it to vsnprintf, ap still unread */
			va_end(aq);
			return vsnprintf(buf, size, fmt, ap);
		}
		put(&o, p, (size_t)(pct - p));
		if (*c == '.') {
			if (*++c == '*') {
				prec = va_arg(aq, int);
				c++;
			} else
				for (prec = 0; *c >= '0' && *c <= '9'; c++)
					prec = prec * 10 + (*c - '0');
		}
		if (*c == 'l' && c[1] == 'l') {
			mod = 'L';
			c += 2;
		} else if (*c == 'l' || *c == 'z')
			mod = *c++;
		switch (*c) {
		case '%':
			put(&o, "%", 1);
			break;
		case 's': {
			const char *s = va_arg(aq, const char *);
			size_t n;

			if (s == NULL)
				s = "(null)";
			n = prec < 0 ? strlen(s) : strnlen(s, (size_t)prec);
			put(&o, s, n);
			break;
		}
		case 'c':
			ch = (char)va_arg(aq, int);
			put(&o, &ch, 1);
			break;
		case 'f': {
			/* DBL_MAX has 309 digits; the precision at most 99 */
			char f[420];
			double v = va_arg(aq, double);
			int n;

			if (prec < 0)
				prec = 6;
			if (put_f(&o, v, prec))
				break;
			n = snprintf(f, sizeof(f), "%.*f", prec, v);
			put(&o, f, n > 0 ? (size_t)n : 0);
			break;
		}
		default:
			put_int(&o, mod, *c, &aq);
		}
		p = c + 1;
	}
	va_end(aq);
	put(&o, p, strlen(p));
	if (size > 0)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int
fmt_s(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_v(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

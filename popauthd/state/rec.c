/*
 * rec.c - record encoding for state.c (see rec.h).
 */
#include "rec.h"
#include "util.h"

#include <string.h>

void
rec_key(const struct addr *a, uint8_t key[REC_KEYLEN])
{
	key[0] = a->family;
	memcpy(key + 1, a->b, 16);
}

int
rec_key_addr(const void *key, size_t klen, struct addr *a)
{
	const uint8_t *k = key;

	if (klen != REC_KEYLEN || (k[0] != 4 && k[0] != 6 && k[0] != ADDR_NET6))
		return -1;
	memset(a, 0, sizeof(*a));
	a->family = k[0];
	memcpy(a->b, k + 1, 16);
	return 0;
}

static void
rec_bytes(struct rec_buf *w, const void *p, size_t n)
{
	if (w->n + n > sizeof(w->b)) {
		w->full = true;
		return;
	}
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

void
rec_u8(struct rec_buf *w, uint8_t v)
{
	rec_bytes(w, &v, 1);
}

void
rec_u32(struct rec_buf *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 24)};

	rec_bytes(w, b, 4);
}

void
rec_i64(struct rec_buf *w, int64_t v)
{
	uint64_t u = (uint64_t)v;

	rec_u32(w, (uint32_t)u);
	rec_u32(w, (uint32_t)(u >> 32));
}

void
rec_f64(struct rec_buf *w, double v)
{
	int64_t i;

	memcpy(&i, &v, sizeof(i));
	rec_i64(w, i);
}

void
rec_str(struct rec_buf *w, const char *s)
{
	size_t n = strlen(s);

	if (n > 65535)
		n = 65535;
	rec_u8(w, (uint8_t)(n & 0xff));
	rec_u8(w, (uint8_t)(n >> 8));
	rec_bytes(w, s, n);
}

static const uint8_t *
rec_take(struct rec_reader *r, size_t n)
{
	const uint8_t *p;

	if (r->bad || r->off + n > r->n) {
		r->bad = true;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

uint8_t
rec_get_u8(struct rec_reader *r)
{
	const uint8_t *p = rec_take(r, 1);

	return p != NULL ? p[0] : 0;
}

uint32_t
rec_get_u32(struct rec_reader *r)
{
	const uint8_t *p = rec_take(r, 4);

	if (p == NULL)
		return 0;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

int64_t
rec_get_i64(struct rec_reader *r)
{
	uint64_t lo = rec_get_u32(r), hi = rec_get_u32(r);

	return (int64_t)(lo | hi << 32);
}

double
rec_get_f64(struct rec_reader *r)
{
	int64_t i = rec_get_i64(r);
	double d;

	memcpy(&d, &i, sizeof(d));
	return d;
}

char *
rec_get_str(struct rec_reader *r)
{
	size_t n = rec_get_u8(r);
	const uint8_t *p;

	n |= (size_t)rec_get_u8(r) << 8;
	p = rec_take(r, n);
	if (p == NULL)
		return xstrdup("");
	return xstrndup((const char *)p, n);
}

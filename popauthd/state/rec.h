/*
 * rec.h - encode and decode the versioned records kept in state.c.
 *
 * For the trackers.  Fixed little-endian layout, a version byte first (STYLE.md 4:
 * spamd had to guess its record format by size after time_t grew).  A reader
 * that runs past the end or meets a bad length sets r->bad and returns zeros, so
 * decoders check once at the end.
 */
#ifndef POPAUTHD_REC_H
#define POPAUTHD_REC_H

#include "addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REC_MAX    4096
#define REC_KEYLEN 17 /* family byte + 16 address bytes */

struct rec_buf {
	uint8_t b[REC_MAX];
	size_t n;
	bool full;
};

struct rec_reader {
	const uint8_t *p;
	size_t n, off;
	bool bad;
};

/* rec_key - the state key of an address */
void rec_key(const struct addr *a, uint8_t key[REC_KEYLEN]);
/* rec_key_addr - the address of a state key; 0 or -1 */
int rec_key_addr(const void *key, size_t klen, struct addr *a);
void rec_u8(struct rec_buf *w, uint8_t v);
void rec_u32(struct rec_buf *w, uint32_t v);
void rec_i64(struct rec_buf *w, int64_t v);
void rec_f64(struct rec_buf *w, double v);
/* rec_str - a length-prefixed string (at most 65535 bytes, cut beyond) */
void rec_str(struct rec_buf *w, const char *s);
uint8_t rec_get_u8(struct rec_reader *r);
uint32_t rec_get_u32(struct rec_reader *r);
int64_t rec_get_i64(struct rec_reader *r);
double rec_get_f64(struct rec_reader *r);
/* rec_get_str - a copy of the next string (caller frees), "" when bad */
char *rec_get_str(struct rec_reader *r);

#endif

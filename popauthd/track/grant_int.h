/*
 * grant_int.h - what grant.c (the tracker) and grant_admin.c (the admin and
 * export interface) share.  Private to those two files; everyone else uses
 * grant.h.
 */
#ifndef POPAUTHD_GRANT_INT_H
#define POPAUTHD_GRANT_INT_H

#include "grant.h"
#include "rec.h"
#include "timer.h"
#include "track.h"

#include <stdbool.h>
#include <stdint.h>

#define GRANT_MAX_USERS 8
#define GRANT_VERSION   1
#define GRANT_QUOTE_MAX 1100 /* a quoted user name for the log */

struct grant_user {
	struct grant_user *next;
	time_t first, last;
	uint32_t count;
	char name[];
};

struct grant {
	struct addr ip;
	bool dirty;
	uint8_t nusers;
	uint32_t count;
	time_t first, last;
	struct timer expiry;
	struct grant_user *users;
};

extern struct track grant_tr; /* the grants by address, their change list */
extern struct map *grant_map;
extern const struct conf *grant_cf;

/* grant_changed - g (or, when g is NULL, the removed ip) must be written */
void grant_changed(struct grant *g, const struct addr *ip);
/* grant_free - free g and its users (its timer cancelled) */
void grant_free(struct grant *g);
/* grant_expire - timer_fn: g's grant has run out */
void grant_expire(struct timer *t);
/* user_new - a user record for name, first seen at first */
struct grant_user *user_new(const char *name, time_t first);
/* grant_decode - a stored record for ip; NULL when bad */
struct grant *grant_decode(const struct addr *ip, const void *val, size_t vlen);
/* grant_encode - track_encode_fn for a grant */
void grant_encode(const void *rec, struct rec_buf *w);
/* grant_get_or_new - ip's grant, made when missing; NULL at the cap */
struct grant *grant_get_or_new(const struct addr *ip, time_t now, bool *isnew);

#endif

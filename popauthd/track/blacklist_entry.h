/*
 * blacklist_entry.h - one blacklist entry as the admin, the export and the
 * state record see it (blacklist_entry.c), and what its ban is for.
 *
 * Through blacklist.h for everyone; alone for the blacklist's own files
 * (blacklist_entry_int.h), which sit below blacklist.c.
 */
#ifndef POPAUTHD_BLACKLIST_ENTRY_H
#define POPAUTHD_BLACKLIST_ENTRY_H

#include "addr.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* what a ban is for; stored with the entry (state record version 2) */
enum bl_ban_kind { BL_BAN_NULLROUTE, BL_BAN_SENDMAIL, BL_BAN_SPAMCOP };

/* bl_ban_kind_name - "nullroute", "sendmail" or "spamcop" (export, status) */
const char *bl_ban_kind_name(enum bl_ban_kind kind);
/* bl_ban_kind_parse - the kind named s; 0 or -1 */
int bl_ban_kind_parse(const char *s, enum bl_ban_kind *kind);

/*
 * A bl_info borrows the tracker's strings until the next bl_ call.
 */
struct bl_info {
	struct addr ip;
	time_t first, last, unban, alerted; /* unban -1: never banned */
	unsigned long period_hits, total_hits, bans;
	double freq;
	const char *host, *list, *reason; /* escaped */
	bool banned;                      /* a ban is in force now */
	enum bl_ban_kind ban_kind;        /* of the last ban */
};

typedef void bl_info_fn(void *arg, const struct bl_info *bi);

/* bl_info_decode - a stored record (popauthctl, daemon down) to fn; 0 or -1 */
int bl_info_decode(const void *key, size_t klen, const void *val, size_t vlen,
    time_t now, bl_info_fn *fn, void *arg);
struct rec_buf;
/* bl_info_encode - bi as the record bl_sync would store */
void bl_info_encode(const struct bl_info *bi, struct rec_buf *w);

#endif

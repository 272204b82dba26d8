/*
 * fish.h - address fishing: unknown local recipients per client IP.
 *
 * For trigger.c and engine.c.  Per IP, each unique (recipient, sender) pair of
 * "User unknown" rejects with first, last and count (the seed's fishers spool).
 * More than nullroute_fish_thresh unique pairs, or at least three arriving faster
 * than nullroute_freq_thresh, lists and bans the IP; one or two typos never do.
 * Records expire fish_expire after their last attempt.
 */
#ifndef POPAUTHD_FISH_H
#define POPAUTHD_FISH_H

#include "addr.h"
#include "conf.h"
#include "state.h"

#include <stdbool.h>
#include <time.h>

/* fish_init - load fishing records from state; 0 or -1 */
int fish_init(const struct conf *c, struct state *s);
/* fish_conf - take a reloaded conf */
void fish_conf(const struct conf *c);
/* fish_hit - one unknown-recipient reject (fields escaped); true if it is fishing */
bool fish_hit(const struct addr *ip, time_t now, const char *to,
    const char *from, const char *host, const char *helo);
/* fish_count - IPs with fishing records */
size_t fish_count(void);
bool fish_dirty(void);
int fish_sync(void);
void fish_synced(void);
void fish_fini(void);

/*
 * Admin and export interface (popauthctl through ctl.c, export.c).  A
 * fish_info borrows the tracker's strings until the next fish_ call.
 */
struct fish_pair_info {
	const char *to, *from; /* escaped */
	time_t first, last;
	unsigned long count;
};

struct fish_info {
	struct addr ip;
	unsigned long unique; /* unique pairs seen, also past the cap */
	time_t first_unique, last;
	size_t npairs;
	const struct fish_pair_info *pairs;
};

typedef void fish_info_fn(void *arg, const struct fish_info *fi);

/* fish_each - fn for every fishing record */
void fish_each(fish_info_fn *fn, void *arg);
/* fish_get - fn for ip's record; false when there is none */
bool fish_get(const struct addr *ip, fish_info_fn *fn, void *arg);
/* fish_unique - ip's count of unique pairs into *unique; false when none
 * (the witness's question, twice a line: no copy of the pairs) */
bool fish_unique(const struct addr *ip, unsigned long *unique);
/* fish_info_decode - a stored record (popauthctl, daemon down) to fn; 0 or -1 */
int fish_info_decode(const void *key, size_t klen, const void *val, size_t vlen,
    fish_info_fn *fn, void *arg);
struct rec_buf;
/* fish_info_encode - fi as the record fish_sync would store */
void fish_info_encode(const struct fish_info *fi, struct rec_buf *w);
/* fish_restore - replace ip's record with fi (import); false if already expired */
bool fish_restore(const struct fish_info *fi, time_t now);
/* fish_forget - drop ip's record (delist); false if there was none */
bool fish_forget(const struct addr *ip);
/* fish_flush - drop every record; returns how many */
size_t fish_flush(void);

#endif

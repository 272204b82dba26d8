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

#endif

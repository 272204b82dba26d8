/*
 * blacklist_net.h - how the blacklist stays bounded (blacklist_net.c):
 * IPv6 /64s listed as one offender, eviction at max_tracked_ips.
 *
 * Through blacklist.h for status and trigger.c; the bounds' own calls are
 * in blacklist_entry_int.h.
 */
#ifndef POPAUTHD_BLACKLIST_NET_H
#define POPAUTHD_BLACKLIST_NET_H

#include "addr.h"

#include <stdbool.h>

/* how the table stays bounded (blacklist_net.c), for status */
struct bl_bound_stats {
	unsigned long long evicted;  /* entries dropped for a new one */
	unsigned long long refused;  /* new ones refused: all left are banned */
	unsigned long long prefixes; /* IPv6 /64s listed as one offender */
};

/* bl_bound_stats - counters (borrowed) */
const struct bl_bound_stats *bl_bound_stats(void);
/*
 * bl_set_net_exempt - fn(net) true keeps an IPv6 /64 from being listed as
 * one offender (trigger.c: a whitelisted or granted address inside it)
 */
void bl_set_net_exempt(bool (*fn)(const struct addr *net));

#endif

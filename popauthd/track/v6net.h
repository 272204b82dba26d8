/*
 * v6net.h - IPv6 /64 networks whose addresses keep getting listed.
 *
 * For blacklist.c.  Whoever holds an IPv6 /64 can send from 2^64 source
 * addresses, each one new to a table keyed by address: one flood would
 * fill max_tracked_ips and switch the blacklist off.  This counts, per /64,
 * the distinct addresses listed within a window; once the count reaches
 * ipv6_prefix_listing the blacklist lists the /64 as one offender (scored,
 * listed and banned as a prefix) and stops tracking its addresses one by
 * one.  The table is bounded: when full, the network seen longest ago is
 * evicted (counted) to make room.
 */
#ifndef POPAUTHD_V6NET_H
#define POPAUTHD_V6NET_H

#include "addr.h"

#include <stddef.h>
#include <time.h>

struct v6net_stats {
	size_t nets;                /* /64s being counted */
	unsigned long long evicted; /* counters dropped to make room */
};

/* v6net_conf - table bound and count window (start and reload) */
void v6net_conf(size_t max, time_t window);
/*
 * v6net_note - one more address of ip's /64 was listed at now; returns how
 * many distinct addresses of that /64 were listed within the window
 */
unsigned v6net_note(const struct addr *ip, time_t now);
/* v6net_forget - drop the counter of net (it is listed as a prefix now) */
void v6net_forget(const struct addr *net);
/* v6net_stats - counters (borrowed) */
const struct v6net_stats *v6net_stats(void);
/* v6net_fini - free everything (exit, tests) */
void v6net_fini(void);

#endif

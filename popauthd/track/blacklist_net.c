/*
 * blacklist_net.c - how the blacklist stays bounded and on when flooded.
 *
 * For blacklist.c (see blacklist_entry_int.h).  Two rules, so that no flood can
 * fill max_tracked_ips and switch the blacklist off:
 *  - an IPv6 /64 whose addresses keep getting listed (ipv6_prefix_listing of
 *    them within ipv6_prefix_window, counted by v6net.c) becomes one entry
 *    of family ADDR_NET6: scored, listed (rbl_checks key "a:b:c:d", which
 *    smtpd reaches by cutting the compressed client address) and banned
 *    (a /64 rule) as one offender; its addresses then count on it instead
 *    of taking entries of their own;
 *  - at max_tracked_ips a new entry evicts the least valuable one, sampled:
 *    the longest quiet, then the fewest hits; a banned entry is never
 *    evicted (a grant lives in grant.c and is never touched here).
 * Both are counted (bl_bound_stats, popauthctl status).
 */
#include "blacklist_entry_int.h"
#include "blacklist_net.h"
#include "cluster.h"
#include "fw.h"
#include "log.h"
#include "util.h"
#include "v6net.h"

#include <stdio.h>
#include <string.h>

#define BL_EVICT_SAMPLES 16

static struct bl_bound_stats bl_bound;
static bool (*net_exempt)(const struct addr *net);
static uint64_t bl_rng = 0x2545f4914f6cdd1dULL;

const struct bl_bound_stats *
bl_bound_stats(void)
{
	return &bl_bound;
}

void
bl_set_net_exempt(bool (*fn)(const struct addr *net))
{
	net_exempt = fn;
}

struct bl_entry *
bl_net_covering(const struct addr *ip)
{
	struct addr net;

	if (ip->family != 6 || bl_tr.tab == NULL)
		return NULL;
	addr_net64(ip, &net);
	return iptab_get(bl_tr.tab, &net);
}

void
bl_net_note(const struct addr *ip, time_t now, const char *list)
{
	char netbuf[ADDR_STRLEN + 4], reason[128], dur[64];
	struct bl_entry *e;
	struct addr net;
	unsigned n;

	if (bl_cf->ipv6_prefix_listing <= 0)
		return;
	v6net_conf((size_t)(bl_cf->max_tracked_ips / 16 + 1024),
	    bl_cf->ipv6_prefix_window);
	n = v6net_note(ip, now);
	if ((long long)n < bl_cf->ipv6_prefix_listing)
		return;
	addr_net64(ip, &net);
	addr_format(&net, netbuf, sizeof(netbuf));
	if (iptab_get(bl_tr.tab, &net) != NULL)
		return;
	if (net_exempt != NULL && net_exempt(&net)) {
		log_info("%s: not listed as one offender: it holds a "
		         "whitelisted or granted address",
		    netbuf);
		v6net_forget(&net);
		return;
	}
	if (!bl_make_room(now))
		return;
	snprintf(reason, sizeof(reason), "%u addresses of this /64 listed", n);
	e = bl_new(&net, "prefix", list, reason);
	e->first = e->last = now;
	e->unban = -1;
	e->period_hits = e->total_hits = n;
	iptab_put(bl_tr.tab, e);
	bl_arm(e);
	bl_changed(e, &net);
	map_change(bl_map, &net);
	cluster_note(CL_LISTING, &net, e->last + bl_expiry(e), reason);
	v6net_forget(&net);
	bl_bound.prefixes++;
	log_event("%s has been blacklisted as one offender: %u of its "
	          "addresses listed within %s (last by [%s])",
	    netbuf, n, dur_format(bl_cf->ipv6_prefix_window, dur, sizeof(dur)),
	    list);
}

/* bl_worse - true when a is a better victim than b (b may be NULL) */
static bool
bl_worse(const struct bl_entry *a, const struct bl_entry *b)
{
	if (b == NULL)
		return true;
	if (a->last != b->last)
		return a->last < b->last;
	return a->total_hits < b->total_hits;
}

bool
bl_make_room(time_t now)
{
	struct bl_entry *victim = NULL, *e;
	char ip[ADDR_STRLEN + 4], dur[64];
	int i;

	if ((long long)iptab_size(bl_tr.tab) < bl_cf->max_tracked_ips)
		return true;
	for (i = 0; i < BL_EVICT_SAMPLES; i++) {
		bl_rng ^= bl_rng << 13;
		bl_rng ^= bl_rng >> 7;
		bl_rng ^= bl_rng << 17;
		e = iptab_sample(bl_tr.tab, bl_rng);
		if (e != NULL && !e->banned && bl_worse(e, victim))
			victim = e;
	}
	if (victim == NULL) {
		bl_bound.refused++;
		return false;
	}
	bl_bound.evicted++;
	log_event("%s [%s] has been evicted from the blacklist for a newer "
	          "offender: max_tracked_ips (%lld) reached; quiet for %s, "
	          "%lu total hits",
	    addr_format(&victim->ip, ip, sizeof(ip)), bl_host(victim),
	    bl_cf->max_tracked_ips,
	    dur_format(now - victim->last, dur, sizeof(dur)),
	    (unsigned long)victim->total_hits);
	bl_drop(victim);
	return true;
}

/*
 * v6net.c - per-/64 counts of listed IPv6 addresses (see v6net.h).
 *
 * An iptab of small records keyed by the /64 (family ADDR_NET6); eviction
 * samples a few records and drops the one seen longest ago, so a flood of
 * new /64s costs O(1) per address and never grows the table past its
 * bound.  In memory only: after a restart the counts start again, while a
 * /64 already listed stays listed in the blacklist's own state.
 */
#include "v6net.h"
#include "iptab.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>

#define V6NET_SAMPLES 8

struct v6net {
	struct addr net;
	uint32_t naddrs;
	time_t first, last;
};

static struct iptab *tab;
static size_t v6_max = 65536;
static time_t v6_window = 86400;
static struct v6net_stats st;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static const struct addr *
v6net_key(const void *rec)
{
	return &((const struct v6net *)rec)->net;
}

void
v6net_conf(size_t max, time_t window)
{
	v6_max = max > 0 ? max : 1;
	v6_window = window;
}

/* v6net_evict - drop the oldest of a few sampled counters */
static void
v6net_evict(void)
{
	struct v6net *victim = NULL, *n;
	int i;

	for (i = 0; i < V6NET_SAMPLES; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		n = iptab_sample(tab, rng);
		if (n != NULL && (victim == NULL || n->last < victim->last))
			victim = n;
	}
	if (victim == NULL)
		return;
	iptab_del(tab, &victim->net);
	free(victim);
	st.evicted++;
}

unsigned
v6net_note(const struct addr *ip, time_t now)
{
	struct addr net;
	struct v6net *n;

	if (tab == NULL)
		tab = iptab_new(v6net_key);
	addr_net64(ip, &net);
	if ((n = iptab_get(tab, &net)) == NULL) {
		while (iptab_size(tab) >= v6_max)
			v6net_evict();
		n = xcalloc(1, sizeof(*n));
		n->net = net;
		n->first = now;
		iptab_put(tab, n);
	} else if (now - n->last > v6_window) {
		n->naddrs = 0; /* a quiet spell: count afresh */
		n->first = now;
	}
	n->last = now;
	n->naddrs++;
	st.nets = iptab_size(tab);
	return n->naddrs;
}

void
v6net_forget(const struct addr *net)
{
	struct v6net *n;

	if (tab != NULL && (n = iptab_del(tab, net)) != NULL)
		free(n);
	st.nets = tab != NULL ? iptab_size(tab) : 0;
}

const struct v6net_stats *
v6net_stats(void)
{
	return &st;
}

static void
v6net_free_one(void *arg, void *rec)
{
	UNUSED(arg);
	free(rec);
}

void
v6net_fini(void)
{
	if (tab == NULL)
		return;
	iptab_each(tab, v6net_free_one, NULL);
	iptab_free(tab);
	tab = NULL;
	st.nets = 0;
}

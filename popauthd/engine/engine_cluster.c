/*
 * engine_cluster.c - how another node's decision is applied here: the merge
 * rules between the cluster link (cluster.h) and the trackers.
 *
 * For engine.c, which hands engine_cluster_apply to cluster_start, so the
 * cluster module calls the trackers without knowing them.  Rules:
 * - a grant's expiry is the latest of all nodes' (grant_extend never
 *   shortens one);
 * - revoke, delist and unban beat what is older than they are: a grant
 *   with a login here after the revoke stays, and so does a
 *   listing or ban whose last hit here came after the delist or unban;
 * - an address that is whitelisted here, or holds a grant here, is never
 *   listed or banned because of another node (trigger_exempt, as for our
 *   own events);
 * - times arrive on our clock already (cluster_row.c converted the
 *   database's), so a host whose clock is off agrees on when things end.
 * Each change goes through the trackers' own admin paths, so it reaches
 * state, the maps and the firewall at the tick's commit like any other.
 */
#include "engine_cluster.h"
#include "blacklist.h"
#include "grant.h"
#include "log.h"
#include "trigger.h"

#include <stdio.h>

/* last_login - the last login here (a grant only other nodes made has none) */
static void
last_login(void *arg, const struct grant_info *gi)
{
	time_t *last = arg;
	size_t i;

	for (i = 0; i < gi->nusers; i++)
		if (gi->users[i].last > *last)
			*last = gi->users[i].last;
}

struct bl_seen {
	time_t last;
	bool banned;
};

static void
last_of_entry(void *arg, const struct bl_info *bi)
{
	struct bl_seen *s = arg;

	s->last = bi->last;
	s->banned = bi->banned;
}

/* exempt - true (logged) when c must not list or ban ip here */
static bool
exempt(const struct cluster_change *c)
{
	const char *why = c->ip.family != ADDR_NET6 ? trigger_exempt(&c->ip)
	    : trigger_net_exempt(&c->ip)
	    ? "holds a whitelisted or granted address"
	    : NULL;
	char ip[ADDR_STRLEN];

	if (why == NULL)
		return false;
	log_info("%s: %s from cluster node %s ignored: client %s",
	    addr_format(&c->ip, ip, sizeof(ip)), clrow_kind_name(c->kind),
	    c->node, why);
	return true;
}

bool
engine_cluster_apply(void *arg, const struct cluster_change *c, time_t now)
{
	char who[CLUSTER_NODE_MAX + 16];
	time_t last = 0;
	struct bl_seen seen = {0, false};

	(void)arg;
	snprintf(who, sizeof(who), "cluster node %s", c->node);
	switch (c->kind) {
	case CL_GRANT:
		if (c->ip.family == ADDR_NET6)
			return false; /* grants are for hosts */
		return grant_extend(&c->ip, who, now, c->expires);
	case CL_REVOKE:
		if (!grant_get(&c->ip, last_login, &last) || last > c->at)
			return false;
		return grant_revoke(&c->ip);
	case CL_LISTING:
		return !exempt(c) &&
		    bl_remote_list(
		        &c->ip, now, c->at, c->expires, c->node, c->reason);
	case CL_BAN:
		return !exempt(c) &&
		    bl_remote_ban(
		        &c->ip, now, c->at, c->expires, c->node, c->reason);
	case CL_DELIST:
		if (!bl_get(&c->ip, last_of_entry, &seen) || seen.last > c->at)
			return false;
		return bl_delist(&c->ip);
	case CL_UNBAN:
		if (!bl_get(&c->ip, last_of_entry, &seen) || !seen.banned ||
		    seen.last > c->at)
			return false;
		return bl_admin_unban(&c->ip, now);
	}
	return false;
}

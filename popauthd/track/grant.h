/*
 * grant.h - POP-before-SMTP: which client IPs may relay, since when, for whom.
 *
 * For engine.c.  A login event grants relay to its client IP (every user@domain
 * seen from that IP is kept with first login, last login and count); the grant
 * expires popauth_expire after the last login, by an exact timer.  Only a new
 * grant or an expiry changes the popauth_checks map: a refresh leaves it alone,
 * because every rewrite restarts Postfix's smtpd processes.
 */
#ifndef POPAUTHD_GRANT_H
#define POPAUTHD_GRANT_H

#include "addr.h"
#include "conf.h"
#include "map.h"
#include "state.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* grant_init - load grants from state, drop expired ones, arm timers; 0 or -1 */
int grant_init(const struct conf *c, struct state *s, struct map *m);
/* grant_conf - take a reloaded conf (new expiry applies from the next login) */
void grant_conf(const struct conf *c);
/* grant_login - user (already escaped) logged in from ip at now */
void grant_login(const struct addr *ip, const char *user, time_t now);
/* grant_set - grant ip until now+dur on the admin's word (popauthctl grant) */
void grant_set(const struct addr *ip, const char *who, time_t now, time_t dur);
/*
 * grant_extend - grant ip until (local clock) on another node's word (who:
 * "cluster node NAME"); never shortens a grant: true if it changed
 */
bool grant_extend(
    const struct addr *ip, const char *who, time_t now, time_t until);
/* grant_revoke - remove ip's grant at once; true if there was one */
bool grant_revoke(const struct addr *ip);
/* grant_active - true if ip holds a live grant */
bool grant_active(const struct addr *ip);
/* grant_in_net - true if an address of the /64 net holds a grant (O(n)) */
bool grant_in_net(const struct addr *net);
/* grant_count - number of live grants */
size_t grant_count(void);
/* grant_map_value - map_value_fn: "OK" while a holds a grant, else NULL */
const char *grant_map_value(const struct addr *a, char *buf, size_t size);
/* grant_map_walk - map_walk_fn writing "IP OK" for every grant */
void grant_map_walk(void *arg, struct map_writer *w);
/* grant_dirty - true when records wait for grant_sync */
bool grant_dirty(void);
/* grant_sync - write changed records into the open state transaction; 0 or -1 */
int grant_sync(void);
/* grant_synced - the transaction committed: forget the change list */
void grant_synced(void);
/* grant_fini - free everything (exit, tests) */
void grant_fini(void);

/* one line per grant for popauthctl-style listings: fn(arg, text) */
void grant_list(void (*fn)(void *arg, const char *line), void *arg);

/*
 * Admin and export interface (popauthctl through ctl.c, export.c).  A
 * grant_info borrows the tracker's strings until the next grant_ call.
 */
#define GRANT_INFO_USERS 8 /* == GRANT_MAX_USERS in grant.c */

struct grant_user_info {
	const char *name; /* user@domain, escaped */
	time_t first, last;
	unsigned long count;
};

struct grant_info {
	struct addr ip;
	time_t first, last, expires;
	unsigned long count;
	size_t nusers;
	struct grant_user_info users[GRANT_INFO_USERS];
};

typedef void grant_info_fn(void *arg, const struct grant_info *gi);

/* grant_each - fn for every live grant */
void grant_each(grant_info_fn *fn, void *arg);
/* grant_get - fn for ip's grant; false when there is none */
bool grant_get(const struct addr *ip, grant_info_fn *fn, void *arg);
/*
 * grant_info_decode - a stored record (read without the tracker, popauthctl
 * with the daemon down) to fn; expires = last + expire; 0, or -1 when bad
 */
int grant_info_decode(const void *key, size_t klen, const void *val,
    size_t vlen, time_t expire, grant_info_fn *fn, void *arg);
struct rec_buf;
/* grant_info_encode - gi as the record grant_sync would store */
void grant_info_encode(const struct grant_info *gi, struct rec_buf *w);
/* grant_restore - replace ip's grant with gi (import); false if already expired */
bool grant_restore(const struct grant_info *gi, time_t now);
/* grant_flush - revoke every grant; returns how many */
size_t grant_flush(void);

#endif

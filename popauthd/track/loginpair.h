/*
 * loginpair.h - two-line logins: the client's address on one line, the
 * user's success on a later line of the same process.
 *
 * For engine.c and linetest.c (popauthd --test).  popa3d, vm-pop3d 1.1,
 * solid-pop3d without logextend and GNU pop3d 1.x log "Session from IP" (or
 * the like) first and "Authentication passed for USER" later, both tagged
 * with the serving child's PID.  A login_start event stores the address under
 * its key (host, program, PID); a login_done event for the same key takes it
 * and grants; a login_fail event drops it.  Bounded three ways, because every
 * TCP connection an attacker opens makes a start line: entries older than
 * the window are dropped, one source (an IPv4 address, an IPv6 /64) holds at
 * most per_source entries, and the table at most max.  When full, new starts
 * are refused and counted, never evicting a pending real login.
 */
#ifndef POPAUTHD_LOGINPAIR_H
#define POPAUTHD_LOGINPAIR_H

#include "addr.h"
#include "rule.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define LPAIR_KEYMAX 192 /* host + program + PID; longer keys are refused */

struct lpair;

struct lpair_stats {
	size_t pending;
	unsigned long long started, paired, failed, expired;
	unsigned long long dropped_full;   /* table full: start refused */
	unsigned long long dropped_source; /* source over its share */
	unsigned long long dropped_key;    /* key too long */
	unsigned long long unpaired;       /* done line with nothing pending */
};

/* lpair_new - empty table; caller owns; lpair_free() */
struct lpair *lpair_new(size_t max, size_t per_source, time_t window);
/* lpair_free - release (NULL is fine) */
void lpair_free(struct lpair *p);
/*
 * lpair_conf - new limits (reload); entries over a smaller max stay until
 * they pair or expire, and no new ones come in meanwhile
 */
void lpair_conf(struct lpair *p, size_t max, size_t per_source, time_t window);
/*
 * lpair_start - remember ip under key (klen bytes) at now, replacing an
 * entry of the same key (the PID was reused); 0, or -1 when refused
 */
int lpair_start(struct lpair *p, const char *key, size_t klen,
    const struct addr *ip, time_t now);
/* lpair_take - the address pending under key, removed; false when none */
bool lpair_take(
    struct lpair *p, const char *key, size_t klen, time_t now, struct addr *ip);
/* lpair_end - drop what is pending under key (a failed or aborted login) */
void lpair_end(struct lpair *p, const char *key, size_t klen, time_t now);
/* lpair_expire - drop entries older than the window */
void lpair_expire(struct lpair *p, time_t now);
/* lpair_stats - counters (borrowed) */
const struct lpair_stats *lpair_stats(const struct lpair *p);
enum lpair_result {
	LPAIR_PENDING,  /* start stored */
	LPAIR_REFUSED,  /* start refused: full, source over its share, key */
	LPAIR_PAIRED,   /* done: *ip is the client to grant */
	LPAIR_UNPAIRED, /* done with nothing pending (expired, never seen) */
	LPAIR_ENDED,    /* fail: the pending entry, if any, is gone */
	LPAIR_NOKEY     /* the line has no PID: nothing to pair */
};

/*
 * lpair_event - apply a login_start/done/fail event, keyed by the line's
 * host, program and PID (a "pid" capture wins over the syslog tag's); a
 * one-line login event drops what its PID had pending, quietly
 */
enum lpair_result lpair_event(
    struct lpair *p, const struct event *ev, time_t now, struct addr *ip);
/* lpair_result_name - "pending", "grant", ... for --test and logs */
const char *lpair_result_name(enum lpair_result r);
/*
 * lpair_key - "host\0program\0pid" into buf; the length, or 0 when it does
 * not fit or pid is empty
 */
size_t lpair_key(char *buf, size_t size, const char *host, size_t hostlen,
    const char *prog, size_t proglen, const char *pid, size_t pidlen);

#endif

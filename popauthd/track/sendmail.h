/*
 * sendmail.h - sendmail's "User unknown" guessers and spamcop-style rejects.
 *
 * For trigger.c (events) and engine.c (state).  A "User unknown" line that
 * names no client is tied to one with sm_client(): the line's sendmail PID,
 * its sockets and /proc/net/tcp{,6} (procnet.c, through prochelper.c after a
 * privilege drop), as blocksmtp did; the answer
 * is remembered per (PID, start time) so a session guessing a hundred names
 * costs one /proc scan.  Never under --replay (the PIDs are long gone or, worse,
 * reused), and only for lines from sendmail_syslog_host when that is set.
 *
 * Per client IP the tracker counts offenses (first, last, count); more than
 * sendmail_unknown_thresh within sendmail_unknown_expire of quiet asks for a
 * ban of sendmail_unknown_bansecs.  Records survive restarts (state table
 * "sendmail"), like fish.c's.  The table is capped at max_tracked_ips.
 */
#ifndef POPAUTHD_SENDMAIL_H
#define POPAUTHD_SENDMAIL_H

#include "addr.h"
#include "conf.h"
#include "logline.h"
#include "state.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* sm_init - load offense records; replay: no /proc correlation; 0 or -1 */
int sm_init(const struct conf *c, struct state *s, bool replay);
/* sm_conf - take a reloaded conf; 0, or -1 for a bad sendmail_listen */
int sm_conf(const struct conf *c);
/*
 * sm_client - the client of the sendmail process that wrote ll (its [pid]);
 * true with *ip set, false (logged at debug/info) when it cannot be known.
 */
bool sm_client(const struct logline *ll, struct addr *ip);
/*
 * sm_unknown - one "User unknown" offense of ip at now (to already escaped);
 * true when the client has now more than sendmail_unknown_thresh offenses.
 */
bool sm_unknown(const struct addr *ip, time_t now, const char *to);
/* sm_offenses - ip's current offense count (0 if none) */
unsigned long sm_offenses(const struct addr *ip);
/*
 * sm_kill_sessions - after a ban: TERM (then KILL) the sendmail child of ll if
 * it is still connected to ip (sendmail_kill_banned); never under --replay.
 */
void sm_kill_sessions(const struct logline *ll, const struct addr *ip);
/* sm_spamcop - true if a sendmail reject reply is one of spamcop_reject_codes */
bool sm_spamcop(const char *response);
/* sm_count - IPs with offense records */
size_t sm_count(void);
bool sm_dirty(void);
int sm_sync(void);
void sm_synced(void);
void sm_fini(void);

#endif

/*
 * greytrap.h - greylist-tuple traps: OpenBSD spamd's greytrapper in the daemon.
 *
 * For trigger.c (greylist events of clients that are not whitelisted) and
 * engine.c (state, poll).  Per client IP the unique (sender, recipient) tuples
 * of its greylisted attempts are kept (at most greytrap_max_tuples, dropped
 * greytrap_expire after the last).  The client is trapped - listed with
 * localhost_dns_name as the authority, banned for greytrap_bansecs when
 * greytrap_ban = yes - when
 *   - a sender address is malformed (the null sender <> is fine);
 *   - it has more than greytrap_suspect_tuples tuples and more than
 *     greytrap_max_domains sender domains, or a unique-sender/tuple ratio
 *     above greytrap_max_senders_ratio;
 *   - a recipient matches one of greytrap_trap_regex (caseless PCRE2);
 *   - greytrap_checker, run with the recipient as its one argument (fork and
 *     execv, no shell, greytrap_checker_timeout, at most greytrap_checker_max
 *     at once), exits non-zero (126/127, "could not run", do not count);
 *   - a sender domain has neither an MX nor an A record (dns.c), as spamd's
 *     greytrapper did (any such domain, not all of them).
 * The last two are asynchronous: their answers arrive in a later loop turn and
 * trap every tracked client they concern.  A trapped client is trapped once.
 * Under --replay neither the checker nor DNS runs.  Records survive restarts
 * (state table "greytrap").
 */
#ifndef POPAUTHD_GREYTRAP_H
#define POPAUTHD_GREYTRAP_H

#include "addr.h"
#include "conf.h"
#include "state.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* gt_init - load records; replay: no checker, no DNS; 0 or -1 */
int gt_init(const struct conf *c, struct state *s, bool replay);
/* gt_conf - take a reloaded conf (regexes, DNS channel); 0 or -1 */
int gt_conf(const struct conf *c);
/* gt_tuple - a greylisted attempt of ip (fields escaped; from "" = <>) */
void gt_tuple(const struct addr *ip, time_t now, const char *host,
    const char *from, const char *to);
/* gt_poll - reap and start checkers, drive DNS; sets the loop's wake-up */
void gt_poll(void);
/* gt_sender_valid - an RFC 5321 path as spamd's Email::Valid accepted it */
bool gt_sender_valid(const char *s);
/* gt_trapped - true if ip has been trapped */
bool gt_trapped(const struct addr *ip);
/* gt_count - clients with tuples */
size_t gt_count(void);
bool gt_dirty(void);
int gt_sync(void);
void gt_synced(void);
void gt_fini(void);

#endif

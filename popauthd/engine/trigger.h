/*
 * trigger.h - what each non-login event means: popauth 3.0.1's triggers.
 *
 * For engine.c.  Turns rule events into blacklist listings, repeats, fishing hits
 * and the seed's summary log lines.  Clients in whitelist_file or holding a live
 * POP-before-SMTP grant are never listed or banned: the event is logged as
 * ignored.  Every captured field an attacker wrote is escaped before use.
 */
#ifndef POPAUTHD_TRIGGER_H
#define POPAUTHD_TRIGGER_H

#include "conf.h"
#include "rule.h"
#include "whitelist.h"

#include <time.h>

/* trigger_conf - use c and wl (whitelist ownership passes; the old one is freed) */
void trigger_conf(const struct conf *c, struct whitelist *wl);
/* the room of one escaped field (its NUL included) */
#define TRIGGER_FIELD_MAX 512
/* the fields trigger_event escapes for every event, and only those */
bool trigger_logs_field(enum ev_field f);
/*
 * trigger_event - act on one non-login event at now; pre (or NULL) holds
 * fields escaped already (TRIGGER_FIELD_MAX each, NULL where not)
 */
void trigger_event(const struct event *ev, const char *const *pre, time_t now);
/* trigger_fini - free the whitelist */
void trigger_fini(void);
/* trigger_net_exempt - an IPv6 /64 holding a whitelisted or granted address */
bool trigger_net_exempt(const struct addr *net);
/* trigger_exempt - why ip is never listed ("whitelisted", ...), or NULL */
const char *trigger_exempt(const struct addr *ip);

#endif

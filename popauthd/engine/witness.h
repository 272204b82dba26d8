/*
 * witness.h - what a log line did to its client's records, for the
 * evidence kept behind popauthctl explain.
 *
 * For engine.c: witness_before() takes a snapshot of ip's grant, blacklist
 * entry and fishing record before the trackers act on a line,
 * witness_after() compares it with the records after and, when something
 * changed or a protection (whitelist, grant) applied, keeps the line with
 * the decision in evidence.c.  Only addresses with a record afterwards are
 * kept, so an attacker's unmatched noise costs nothing.
 */
#ifndef POPAUTHD_WITNESS_H
#define POPAUTHD_WITNESS_H

#include "rule.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct witness {
	bool granted, listed, banned, fishing;
	time_t expires, unban, alerted;
	unsigned long logins, total_hits, bans, unique;
	double freq;
	/* borrowed from the blacklist until its next call: read at once */
	const char *list, *reason;
};

/* witness_before - snapshot of ip's records (ip NULL: the event has none) */
void witness_before(const struct addr *ip, struct witness *w);
/*
 * witness_after - keep line (len bytes; escaped already when escaped) as
 * evidence of ev for ip when it changed something (ip NULL: nothing to
 * keep)
 */
void witness_after(const struct addr *ip, const struct event *ev,
    const struct witness *before, const char *line, size_t len, bool escaped,
    time_t now);
/* witness_alive - ip still has a record evidence may explain */
bool witness_alive(const struct addr *ip);

#endif

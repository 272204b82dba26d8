/*
 * whitelist.h - whitelist_file: client networks popauthd never lists or bans.
 *
 * For trigger.c and main.c.  One IPv4 or IPv6 CIDR per line, "#" comments; a bad
 * line is reported as file:line and refuses the file (at start: exit 78; on
 * SIGHUP: the old whitelist stays).
 */
#ifndef POPAUTHD_WHITELIST_H
#define POPAUTHD_WHITELIST_H

#include "addr.h"

#include <stdbool.h>
#include <stddef.h>

struct whitelist;

/* whitelist_load - read path ("" = empty list); NULL (logged) on any bad line */
struct whitelist *whitelist_load(const char *path);
/* whitelist_free - release (NULL is fine) */
void whitelist_free(struct whitelist *wl);
/* whitelist_match - true if a lies in one of the networks */
bool whitelist_match(const struct whitelist *wl, const struct addr *a);
/* whitelist_overlaps - true if any entry covers part of the /64 net */
bool whitelist_overlaps(const struct whitelist *wl, const struct addr *net);
/* whitelist_size - number of networks */
size_t whitelist_size(const struct whitelist *wl);

#endif

/*
 * priv.h - give up root once everything privileged is open.
 *
 * For main.c.  With run_as_user set and started as root, popauthd hands its
 * directories to that user, then switches to it keeping only the capabilities
 * the firewall needs (CAP_NET_ADMIN for the commit, CAP_NET_RAW for libiptc's
 * socket; none with firewall_backend = none).  A failed drop is fatal, never a
 * warning.  Ownership changes never follow a link (priv.c says how); the
 * process ends with PR_SET_NO_NEW_PRIVS whether it dropped root or not.
 */
#ifndef POPAUTHD_PRIV_H
#define POPAUTHD_PRIV_H

#include "conf.h"

#include <stdbool.h>

/*
 * priv_drop - switch to run_as_user (no switch when empty or not root), then
 * PR_SET_NO_NEW_PRIVS; with proc_helper, fork prochelper.c's /proc helper
 * before the switch.  0, or -1 (logged): start-up must fail.
 */
int priv_drop(const struct conf *c, bool proc_helper);

#endif

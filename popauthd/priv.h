/*
 * priv.h - give up root once everything privileged is open.
 *
 * For main.c.  With run_as_user set and started as root, popauthd hands its
 * directories to that user, then switches to it keeping only the capabilities
 * the firewall needs (CAP_NET_ADMIN for the commit, CAP_NET_RAW for libiptc's
 * socket; none with firewall_backend = none).  A failed drop is fatal, never a
 * warning.
 */
#ifndef POPAUTHD_PRIV_H
#define POPAUTHD_PRIV_H

#include "conf.h"

/* priv_drop - switch to run_as_user (no-op when empty or not root); 0 or -1 */
int priv_drop(const struct conf *c);

#endif

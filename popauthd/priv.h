/*
 * priv.h - give up root once everything privileged is open.
 *
 * For main.c.  With run_as_user set and started as root, popauthd hands its
 * directories to that user, then switches to it keeping only the capabilities
 * the firewall needs (CAP_NET_ADMIN for the commit, CAP_NET_RAW for libiptc's
 * socket; CAP_NET_ADMIN alone for nftables; both for auto; none with
 * firewall_backend = none).  A failed drop is fatal, never a
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
/*
 * priv_check_dirs - before root opens the state and maps: data_directory and
 * map_directory (which run_as_user owns after the first start) hold no
 * symbolic link, no hard-linked file and nothing but files and directories,
 * so Berkeley DB's recovery or a map rewrite running as root cannot be
 * steered at a root file.  0, or -1 (logged, naming the entry): refuse to
 * start.  A no-op unless started as root with run_as_user set.
 */
int priv_check_dirs(const struct conf *c);

#endif

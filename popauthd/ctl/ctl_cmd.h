/*
 * ctl_cmd.h - the control protocol's commands (status, list, show, grant,
 * ban, unban, delist, whitelist, flush, reload, export, import).
 *
 * For main.c, which hands ctl_cmd_run to ctl_open (ctl.h); the status
 * request is ctl_status.c's.  Every change is committed and the maps
 * rewritten before the reply (engine_flush_all).
 */
#ifndef POPAUTHD_CTL_CMD_H
#define POPAUTHD_CTL_CMD_H

#include "ctl.h"

#include <time.h>

/* ctl_reload_fn - SIGHUP's work (main.c's reload); 0 or -1 */
typedef int ctl_reload_fn(void);

/* ctl_cmd_init - at start: the reload the "reload" command runs; uptime 0 */
void ctl_cmd_init(ctl_reload_fn *reload);
/* ctl_cmd_run - ctl_handler_fn: one request */
int ctl_cmd_run(struct ctl_reply *r, char **argv, size_t argc, char *data,
    unsigned int uid, char *msg, size_t msgsize);

#endif

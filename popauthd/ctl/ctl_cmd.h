/*
 * ctl_cmd.h - the control protocol's commands (status, list, show, grant,
 * ban, unban, delist, whitelist, flush, reload, export, import).
 *
 * For main.c, which hands ctl_cmd_run to ctl_open (ctl.h) and calls
 * ctl_log_status on SIGUSR1.  Every change is committed and the maps
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
/* ctl_status - "stat\tname\tvalue" lines of the status into fn */
void ctl_status(void (*fn)(void *arg, const char *line), void *arg);
/* ctl_log_status - log the status counters (SIGUSR1) */
void ctl_log_status(void);
/* ctl_uptime - seconds since ctl_cmd_init */
time_t ctl_uptime(void);

#endif

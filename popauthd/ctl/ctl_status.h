/*
 * ctl_status.h - the daemon's counters for popauthctl status and SIGUSR1.
 *
 * For ctl_cmd.c and main.c.
 */
#ifndef POPAUTHD_CTL_STATUS_H
#define POPAUTHD_CTL_STATUS_H

#include <time.h>

/* ctl_status_start - at start: uptime counts from now */
void ctl_status_start(void);
/* ctl_status - "stat\tname\tvalue" lines of the status into fn */
void ctl_status(void (*fn)(void *arg, const char *line), void *arg);
/* ctl_log_status - log the status counters (SIGUSR1) */
void ctl_log_status(void);
/* ctl_uptime - seconds since ctl_status_start */
time_t ctl_uptime(void);

#endif

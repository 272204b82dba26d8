/*
 * reaper.h - end stalled SMTP sessions: MTA children stuck in "cmd read".
 *
 * For engine.c (reaper_poll every loop turn) and sendmail.c (reaper_kill for
 * the children of a client that was just banned, as blocksmtp did).  With
 * stalled_session_reaper = yes, every stalled_session_interval the reaper
 * reads /proc/PID/cmdline of each process (NUL bytes joined by spaces), and a
 * process whose title matches stalled_session_pattern (PCRE2; the named group
 * "ip" is the client) and that has run longer than stalled_session_max (from
 * /proc/PID/stat starttime and /proc/uptime) gets SIGTERM, then SIGKILL half a
 * second later if the same process (same start time, still matching) lives.
 * Nothing sleeps: the KILL is a deadline the loop wakes for.
 *
 * Safety: never signals a process whose title does not match, itself, or
 * PID 1; never runs under --replay.  Killing another user's processes needs
 * root or CAP_KILL; a refusal is logged and the scan carries on.
 */
#ifndef POPAUTHD_REAPER_H
#define POPAUTHD_REAPER_H

#include "conf.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define REAPER_KILL_DELAY_MS 500
#define REAPER_MAX_PENDING   256 /* TERMed processes awaiting their KILL check */

/* reaper_init - take c; replay: never scan or signal; 0, or -1 (logged) */
int reaper_init(const struct conf *c, bool replay);
/* reaper_conf - take a reloaded conf (the pattern is recompiled); 0 or -1 */
int reaper_conf(const struct conf *c);
/* reaper_poll - scan when due, KILL what outlived its TERM; wakes the loop */
void reaper_poll(void);
/* reaper_scan - one scan now (tests); returns how many processes got TERM */
size_t reaper_scan(void);
/*
 * reaper_kill - TERM pid now and KILL it REAPER_KILL_DELAY_MS later if it is
 * still the process that started at starttime; ip and why are for the log.
 * 0, or -1 when the signal was refused or too many kills are pending.
 */
int reaper_kill(
    pid_t pid, unsigned long long starttime, const char *ip, const char *why);
/* reaper_pending - processes waiting for their KILL check */
size_t reaper_pending(void);
/* reaper_fini - forget pending kills, free the pattern */
void reaper_fini(void);

#endif

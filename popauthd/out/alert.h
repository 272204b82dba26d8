/*
 * alert.h - "Null-Route Alert For IP" mail to the admin, sent without blocking.
 *
 * For blacklist.c (alert_send when a null-routed client's total reaches
 * nullroute_alert_thresh) and the event loop (alert_poll every tick and after
 * SIGCHLD; its return value bounds the next wait).  The mail is the seed's
 * send_nullroute_mail text, delivered by libesmtp to alert_smtp_server in a
 * child process, never by a shell or sendmail command.
 *
 * Limits: at most alert_max_children children at once, each killed after
 * alert_timeout; at most ALERT_QUEUE_MAX alerts queued or in flight (more are
 * dropped with a log line); a failed delivery is retried alert_retries times,
 * the delay doubling from alert_set_retry_delay() (default 60 s) up to 15 min.
 * alert.c reaps only its own children (waitpid on each pid): the event loop
 * must not reap with waitpid(-1).
 */
#ifndef POPAUTHD_ALERT_H
#define POPAUTHD_ALERT_H

#include "addr.h"
#include "conf.h"

#include <stddef.h>
#include <time.h>

#define ALERT_QUEUE_MAX 64

struct alert_info {
	struct addr ip;
	char host[256];        /* reverse name from the log; attacker-written */
	long long total_hits;  /* attempts since first listed */
	long long period_hits; /* attempts in the last hitspread seconds */
	double rate;      /* period_hits / hitspread, attempts per second */
	time_t hitspread; /* seconds the period covers */
	time_t unban;     /* when the null-route is lifted (wall clock) */
	char why[256];    /* the offence and its threshold; may hold log text */
};

/*
 * alert_send - queue one "Null-Route Alert For IP" mail built now from ai and
 * c (From "sysadmin_email_name" <sysadmin_email_address>, To the same
 * address).  Never blocks: forks a sender when a child slot is free, else
 * waits in the queue; a full queue drops the alert with a log line.
 * Copies what it needs; ai and c may go away after the call.
 */
void alert_send(const struct conf *c, const struct alert_info *ai);

/*
 * alert_poll - reap finished children, log success or schedule a retry, give
 * up after alert_retries, kill a child past alert_timeout, start waiting
 * alerts that are due.  Returns ms until it next needs a call (100 while a
 * child runs), or -1 when nothing is queued.
 */
long long alert_poll(const struct conf *c);

/*
 * alert_finish - at exit: give every queued alert one more prompt try (no
 * retry delay) and wait for the senders up to max_ms; what is still unsent
 * then is killed and logged as dropped, with its IP
 */
void alert_finish(const struct conf *c, long long max_ms);
/* alert_finish_ms - how long alert_finish needs to try everything queued */
long long alert_finish_ms(const struct conf *c);

struct alert_stats {
	unsigned long long raised; /* alert_send calls: null-routes to report */
	unsigned long long sent;   /* delivered */
	unsigned long long failed; /* delivery attempts that failed */
	unsigned long long dropped; /* never sent: queue full, gave up, exit */
};

/* alert_stats - counters since start (borrowed) */
const struct alert_stats *alert_stats(void);

/* alert_pending - number of alerts queued or in flight */
size_t alert_pending(void);

/* alert_set_retry_delay - first retry delay in ms (default 60000); for tests */
void alert_set_retry_delay(long long ms);

#endif

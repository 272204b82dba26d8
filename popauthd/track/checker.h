/*
 * checker.h - the greytrapper's external recipient checker (spamd's
 * greytrap_checkrcpt): run it for a recipient, remember its answer.
 *
 * For greytrap.c.  The program greytrap_checker gets the recipient as its one
 * argument, through fork and execv, never a shell; at most
 * greytrap_checker_max run at once, each killed after greytrap_checker_timeout;
 * the rest wait in a bounded queue (GT_CHECK_QUEUE).  Answers are kept
 * GT_VERDICTS deep for greytrap_dns_cache, so a spam run to one address costs
 * one child.  A non-zero exit means "bad recipient".
 */
#ifndef POPAUTHD_CHECKER_H
#define POPAUTHD_CHECKER_H

#include "conf.h"

#include <stdbool.h>
#include <time.h>

#define GT_CHECK_QUEUE 256 /* recipients waiting for the checker */
#define GT_VERDICTS    256 /* remembered checker answers */

/* checker_done_fn - the program answered for rcpt */
typedef void checker_done_fn(const char *rcpt, bool bad);

/* checker_usable - greytrap_checker is set and executable (spamd's -x test) */
bool checker_usable(const struct conf *c);
/* checker_verdict - remembered answer for rcpt: 1 bad, 0 good, -1 none */
int checker_verdict(const char *rcpt, time_t now);
/* checker_queue - ask about rcpt soon (duplicates and "-..." are ignored) */
void checker_queue(const char *rcpt);
/*
 * checker_poll - reap finished or overdue children (done() for each answer),
 * start queued ones; returns ms until it wants another call, or -1
 */
long long checker_poll(const struct conf *c, checker_done_fn *done);
/* checker_fini - kill running children, forget everything */
void checker_fini(void);

#endif

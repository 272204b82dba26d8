/*
 * dns.h - does a sender domain have a mail host: asynchronous MX and A lookups.
 *
 * For greytrap.c.  dns_mailhost() answers from a small cache or queues the
 * domain; an A and an MX query are then sent through one c-ares channel, at
 * most greytrap_dns_parallel queries in flight, each with greytrap_dns_timeout
 * and one try, to greytrap_dns_servers (ADDR[:PORT] list; "" = resolv.conf).
 * The channel's sockets are watched by the event loop (event_add_fd) and its
 * timeouts are loop wake-ups (event_wake_ms): nothing here ever blocks.  When
 * a domain's answer is known, the done callback gets it once, so each domain
 * is asked once per greytrap_dns_cache however many clients use it.
 *
 * Answers: DNS_HOST when either query has an answer record (like spamd's
 * greytrapper, a CNAME counts), DNS_NO_HOST when both say NXDOMAIN or no
 * data, DNS_FAILED for timeouts and server failures (cached one minute at
 * most, and never a reason to trap).  At most DNS_CACHE_MAX domains are known
 * at once; past that a lookup is refused (DNS_FAILED) with one log line.
 */
#ifndef POPAUTHD_DNS_H
#define POPAUTHD_DNS_H

#include "conf.h"

#include <stddef.h>
#include <time.h>

#define DNS_CACHE_MAX 16384
#define DNS_FAIL_TTL  60

enum dns_answer { DNS_PENDING, DNS_HOST, DNS_NO_HOST, DNS_FAILED };

/* dns_done_fn - domain (lower case) has its answer */
typedef void dns_done_fn(const char *domain, enum dns_answer a);

/* dns_init - a channel per c (none when greytrap_dns_parallel is 0); 0 or -1 */
int dns_init(const struct conf *c, dns_done_fn *done);
/* dns_conf - take a reloaded conf: a new channel, queries in flight are asked again; 0 or -1 */
int dns_conf(const struct conf *c);
/* dns_enabled - true when lookups are on */
bool dns_enabled(void);
/* dns_mailhost - cached answer for domain at now, or DNS_PENDING (queued) */
enum dns_answer dns_mailhost(const char *domain, time_t now);
/* dns_poll - send queued queries, handle timeouts, set the loop's next wake-up */
void dns_poll(void);
/* dns_inflight - queries sent and not answered */
size_t dns_inflight(void);
/* dns_answer_name - "host", "no host", ... for logs */
const char *dns_answer_name(enum dns_answer a);
/* dns_fini - cancel everything, free the cache */
void dns_fini(void);

#endif

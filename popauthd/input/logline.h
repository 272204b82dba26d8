/*
 * logline.h - split one syslog line into time, host, tag, pid and message.
 *
 * For the main loop and rule.c.  No regex: a hand-written scanner for the three
 * framings rsyslog writes (RFC 3164 "Mon dd HH:MM:SS host tag[pid]: msg", RFC 3339
 * "2026-11-23T10:15:02.123+01:00 host tag[pid]: msg", and RFC 5424 with <pri>).
 * The tag is the trust anchor: rules only ever look at the message of a line whose
 * tag they name, so text an attacker places inside a message cannot pose as
 * another program.  Slices point into the caller's line buffer.
 */
#ifndef POPAUTHD_LOGLINE_H
#define POPAUTHD_LOGLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct logline {
	time_t when; /* 0 when the stamp was not parsed or not valid */
	const char *host;
	size_t hostlen;
	const char *tag; /* "postfix/smtpd", "dovecot", "sm-mta" */
	size_t taglen;
	const char *pid; /* digits inside [], or NULL */
	size_t pidlen;
	const char *msg; /* after "tag[pid]: " */
	size_t msglen;
};

/*
 * Traditional stamps carry no year: the scanner keeps one, rolling at New
 * Year.  It also keeps the last line's head (stamp, host and the space
 * after): most lines repeat it, and a line that does is parsed from its tag
 * on, the head's time and host taken over.  Set head_len to 0 after
 * changing year or last_mon by hand.
 */
#define LOGLINE_HEAD_MAX 64
struct logline_year {
	int year;       /* 0 = not started: the first line picks it */
	int last_mon;   /* 0..11 of the previous stamp, -1 none */
	time_t day_key; /* cache: y*400+m*32+d of day_start */
	time_t day_start;
	size_t head_len; /* 0: no head kept */
	size_t host_off, host_len;
	time_t head_when;
	char head[LOGLINE_HEAD_MAX];
};

/*
 * logline_parse - fill *ll from line (len bytes, NUL bytes allowed inside).  With
 * yr non-NULL the stamp is converted to *ll->when (replay); without, skipped.
 * Returns 0, or -1 when the line has no recognisable framing (it then matches no
 * rule).
 */
int logline_parse(
    const char *line, size_t len, struct logline *ll, struct logline_year *yr);

/*
 * logline_skip - a first start's cut-off (file.c, fifo.c's spool): lines
 * stamped before cutoff are skipped until the first one at or after it
 */
struct logline_skip {
	bool on;
	time_t cutoff;
	struct logline_year yr;
};

/* logline_skip_from - skip lines stamped before cutoff from now on */
void logline_skip_from(struct logline_skip *s, time_t cutoff);
/* logline_skip_old - true: skip line (old, or no stamp while skipping) */
bool logline_skip_old(struct logline_skip *s, const char *line, size_t len);

#endif

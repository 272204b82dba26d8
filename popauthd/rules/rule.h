/*
 * rule.h - the rule engine: NAME.rules files in rules_directory, PCRE2 JIT.
 *
 * For main.c (load, reload, --test) and engine.c (the hot path).  A rule names
 * an event kind, the syslog tags it applies to (a regex over the whole tag) and a
 * regex over the message, anchored at its first byte, with named captures.  The
 * cheap filters come first: a per-tag cache of candidate rules, then an optional
 * literal that must occur in the message (memmem), then the JIT match.  Captured
 * fields are slices into the line, valid until the next rule_match() call; the ip
 * capture is only accepted after addr_parse() (inet_pton).
 */
#ifndef POPAUTHD_RULE_H
#define POPAUTHD_RULE_H

#include "addr.h"
#include "logline.h"

#include <stdbool.h>
#include <stddef.h>

enum ev_kind {
	EV_LOGIN,             /* POP/IMAP login: grant relay */
	EV_RBL_REJECT,        /* reject_rbl_client: list the client */
	EV_RBL_REPEAT,        /* rejected through our own rbl_checks map */
	EV_SENDER_FORGERY,    /* sender access map reject */
	EV_RECIPIENT_FORGERY, /* recipient access map reject (trap address) */
	EV_HELO_FORGERY,      /* helo access map reject */
	EV_UNKNOWN_RECIPIENT, /* User unknown in ... table: fishing */
	EV_RELAY_DENIED,      /* summary log only */
	EV_DOMAIN_NOT_FOUND,  /* summary log only */
	EV_HEADER_REJECT,     /* cleanup header_checks reject */
	EV_BODY_REJECT,       /* cleanup body_checks reject */
	EV_SM_USER_UNKNOWN,   /* sendmail User unknown */
	EV_SM_REJECT,         /* sendmail check_relay/spamcop-style reject */
	EV_GREYLIST,    /* greylisting reject: tuple for the greytrapper */
	EV_LOGIN_START, /* two-line login: the client's address (loginpair.h) */
	EV_LOGIN_DONE,  /* two-line login: the user's success, same PID */
	EV_LOGIN_FAIL,  /* two-line login: failed or aborted, same PID */
	EV_NKINDS
};

enum ev_field {
	F_IP,
	F_USER,
	F_DOMAIN,
	F_HOST,
	F_HELO,
	F_FROM,
	F_TO,
	F_RBL,
	F_REASON,
	F_QID,
	F_DETAIL,
	F_RESPONSE,
	F_PID,
	F_NFIELDS
};

struct slice {
	const char *p; /* NULL when the rule captured nothing */
	size_t n;
};

struct event {
	enum ev_kind kind;
	const char *rule; /* rule name, owned by the ruleset */
	bool has_ip;
	struct addr ip;
	struct slice f[F_NFIELDS];
	const struct logline *line;
};

struct ruleset;

/* ev_kind_name - "login", "rbl_reject", ... */
const char *ev_kind_name(enum ev_kind k);
/* ev_field_name - "ip", "user", ... */
const char *ev_field_name(enum ev_field f);
/*
 * rule_load - read every NAME.rules file of dir in name order, compile, JIT.  On error
 * logs "file:line: message" and returns NULL.  Caller owns; rule_free().
 */
struct ruleset *rule_load(const char *dir);
/* rule_free - release a ruleset (NULL is fine) */
void rule_free(struct ruleset *rs);
/* rule_count - number of rules loaded */
size_t rule_count(const struct ruleset *rs);
/* rule_has_kind - some rule of rs makes events of kind k */
bool rule_has_kind(const struct ruleset *rs, enum ev_kind k);
/* rule_match - first rule that matches ll; fills *ev; true on a match */
bool rule_match(struct ruleset *rs, const struct logline *ll, struct event *ev);
/* rule_hits - per-rule match counter for status output (index < rule_count) */
unsigned long long rule_hits(
    const struct ruleset *rs, size_t i, const char **name);

/* rule_format_event - "RULE KIND field=value ..." for --test; returns length */
size_t rule_format_event(const struct event *ev, char *buf, size_t size);

#endif

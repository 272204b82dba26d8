/*
 * rule.c - match log lines against the compiled rules (loading: rule_load.c).
 *
 * For main.c (load at start and on SIGHUP, --test) and engine.c (the hot path).
 * Format, one keyword a line ("#" starts a comment line; blank lines and leading
 * white space are ignored):
 *   rule NAME        starts a rule; [A-Za-z0-9_.-]+, unique across files
 *   kind KIND        ev_kind_name(): login, rbl_reject, ...
 *   tag REGEX        over the whole syslog tag (anchored at both ends)
 *   literal TEXT     optional: the message must contain TEXT (memfind)
 *   gate TEXT        optional: as literal, but shared: when every rule of a
 *                    tag names the same gate, a line without it is passed
 *                    over with one memfind instead of one per rule
 *   match REGEX      over the message, anchored at its first byte
 * rule, kind and tag take one word and may be followed by "# comment"; gate,
 * literal and match take the rest of the line verbatim (trailing white space
 * trimmed),
 * because "#" and spaces are ordinary characters in them.  Named captures must
 * be ev_field_name() names (duplicates allowed for alternatives: the first set
 * one wins); every kind but sm_user_unknown needs an "ip" capture.
 * Hot path: one direct-mapped cache of tag -> candidate rules (the tag regexes
 * run once per distinct tag) and their common gate, then literal, then the
 * JIT match with one
 * match_data per ruleset: a line no rule matches allocates nothing.  An ip
 * capture that addr_parse() refuses, or that is no client address
 * (addr_is_client: 0.0.0.0, ::, multicast, broadcast), makes that rule fail
 * and the next one try.
 * Errors: every load error is logged as "file:line: message"; rule_load then
 * returns NULL and the caller keeps its old ruleset (or refuses to start).
 */
#include "rule_int.h"
#include "log.h"
#include "memfind.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const rule_kind_names[EV_NKINDS] = {
    [EV_LOGIN] = "login",
    [EV_RBL_REJECT] = "rbl_reject",
    [EV_RBL_REPEAT] = "rbl_repeat",
    [EV_SENDER_FORGERY] = "sender_forgery",
    [EV_RECIPIENT_FORGERY] = "recipient_forgery",
    [EV_HELO_FORGERY] = "helo_forgery",
    [EV_UNKNOWN_RECIPIENT] = "unknown_recipient",
    [EV_RELAY_DENIED] = "relay_denied",
    [EV_DOMAIN_NOT_FOUND] = "domain_not_found",
    [EV_HEADER_REJECT] = "header_reject",
    [EV_BODY_REJECT] = "body_reject",
    [EV_SM_USER_UNKNOWN] = "sm_user_unknown",
    [EV_SM_REJECT] = "sm_reject",
    [EV_GREYLIST] = "greylist",
    [EV_LOGIN_START] = "login_start",
    [EV_LOGIN_DONE] = "login_done",
    [EV_LOGIN_FAIL] = "login_fail",
};

const char *const rule_field_names[F_NFIELDS] = {
    [F_IP] = "ip",
    [F_USER] = "user",
    [F_DOMAIN] = "domain",
    [F_HOST] = "host",
    [F_HELO] = "helo",
    [F_FROM] = "from",
    [F_TO] = "to",
    [F_RBL] = "rbl",
    [F_REASON] = "reason",
    [F_QID] = "qid",
    [F_DETAIL] = "detail",
    [F_RESPONSE] = "response",
    [F_PID] = "pid",
};

/* rule_kind_needs_ip - every event but sendmail's plain "User unknown" names a client */
bool
rule_kind_needs_ip(enum ev_kind k)
{
	switch (k) {
	case EV_SM_USER_UNKNOWN:
	case EV_LOGIN_DONE:
	case EV_LOGIN_FAIL:
		return false;
	case EV_LOGIN:
	case EV_RBL_REJECT:
	case EV_RBL_REPEAT:
	case EV_SENDER_FORGERY:
	case EV_RECIPIENT_FORGERY:
	case EV_HELO_FORGERY:
	case EV_UNKNOWN_RECIPIENT:
	case EV_RELAY_DENIED:
	case EV_DOMAIN_NOT_FOUND:
	case EV_HEADER_REJECT:
	case EV_BODY_REJECT:
	case EV_SM_REJECT:
	case EV_GREYLIST:
	case EV_LOGIN_START:
	case EV_NKINDS:
		break;
	}
	return true;
}

void
rule_release(struct rule *r)
{
	free(r->name);
	free(r->literal);
	free(r->gate);
	pcre2_code_free(r->tag);
	pcre2_code_free(r->re);
}

const char *
ev_kind_name(enum ev_kind k)
{
	if ((unsigned)k >= EV_NKINDS)
		return "?";
	return rule_kind_names[k];
}

const char *
ev_field_name(enum ev_field f)
{
	if ((unsigned)f >= F_NFIELDS)
		return "?";
	return rule_field_names[f];
}

void
rule_free(struct ruleset *rs)
{
	size_t i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++)
		rule_release(&rs->r[i]);
	free(rs->r);
	pcre2_match_data_free(rs->md);
	pcre2_match_context_free(rs->mctx);
	pcre2_jit_stack_free(rs->jstack);
	free(rs->candmem);
	free(rs->scratch);
	free(rs);
}

size_t
rule_count(const struct ruleset *rs)
{
	return rs->n;
}

bool
rule_has_kind(const struct ruleset *rs, enum ev_kind k)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (rs->r[i].kind == k)
			return true;
	return false;
}

unsigned long long
rule_hits(const struct ruleset *rs, size_t i, const char **name)
{
	if (i >= rs->n) {
		if (name != NULL)
			*name = NULL;
		return 0;
	}
	if (name != NULL)
		*name = rs->r[i].name;
	return rs->r[i].hits;
}

/* --- matching ---------------------------------------------------------- */

/* candidates - rules whose tag regex accepts tag, into out; their count */
static uint16_t
candidates(struct ruleset *rs, const char *tag, size_t len, uint16_t *out)
{
	uint16_t n = 0;
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (pcre2_match(rs->r[i].tag, (PCRE2_SPTR)tag, len, 0, 0,
		        rs->md, rs->mctx) >= 0)
			out[n++] = (uint16_t)i;
	return n;
}

/* common_gate - the gate every one of the n candidates names, or NULL */
static const struct rule *
common_gate(const struct ruleset *rs, const uint16_t *cand, uint16_t n)
{
	const struct rule *first = n > 0 ? &rs->r[cand[0]] : NULL;
	uint16_t i;

	if (first == NULL || first->gate == NULL)
		return NULL;
	for (i = 1; i < n; i++) {
		const struct rule *r = &rs->r[cand[i]];

		if (r->gate == NULL || r->gatelen != first->gatelen ||
		    memcmp(r->gate, first->gate, r->gatelen) != 0)
			return NULL;
	}
	return first;
}

/*
 * tag_slot - a tag's cache slot from its length and its first and last 8
 * bytes (or all of a shorter one), two multiplies instead of a byte loop:
 * tags that share those only share a slot, and the slot keeps the whole tag
 */
static unsigned
tag_slot(const char *tag, size_t len)
{
	uint64_t a = 0, b = 0, h;

	if (len >= 8) {
		memcpy(&a, tag, 8);
		memcpy(&b, tag + len - 8, 8);
	} else {
		memcpy(&a, tag, len);
	}
	h = ((a ^ len) * 0x9e3779b97f4a7c15ULL ^ b) * 0xff51afd7ed558ccdULL;
	return (unsigned)(h >> 56) & (CACHE_SLOTS - 1);
}

/*
 * lookup - candidate list for tag and their common gate (*gate, or NULL):
 * one cache probe, regexes on a miss
 */
static const uint16_t *
lookup(struct ruleset *rs, const char *tag, size_t len, uint16_t *n,
    const struct rule **gate)
{
	struct tagslot *s;

	if (len >= CACHE_TAGMAX) {
		*n = candidates(rs, tag, len, rs->scratch);
		*gate = common_gate(rs, rs->scratch, *n);
		return rs->scratch;
	}
	s = &rs->slot[tag_slot(tag, len)];
	if (!s->used || s->len != len || memcmp(s->tag, tag, len) != 0) {
		memcpy(s->tag, tag, len);
		s->len = (uint8_t)len;
		s->n = candidates(rs, tag, len, s->cand);
		s->used = true;
		s->gaterule = common_gate(rs, s->cand, s->n);
	}
	*n = s->n;
	*gate = s->gaterule;
	return s->cand;
}

/* fill - captured slices of r's match into ev; false if the ip is no client */
static bool
fill(const struct rule *r, const struct logline *ll, PCRE2_SIZE *ov, int rc,
    struct event *ev)
{
	int f, k;

	memset(ev->f, 0, sizeof(ev->f));
	for (f = 0; f < F_NFIELDS; f++)
		for (k = 0; k < r->ngrp[f]; k++) {
			unsigned g = r->grp[f][k];

			if ((int)g >= rc || ov[2 * g] == PCRE2_UNSET)
				continue;
			ev->f[f].p = ll->msg + ov[2 * g];
			ev->f[f].n = ov[2 * g + 1] - ov[2 * g];
			break;
		}
	ev->has_ip = false;
	memset(&ev->ip, 0, sizeof(ev->ip));
	if (ev->f[F_IP].p != NULL) {
		/* 0.0.0.0 or ff02::1 in a log line is forged or broken, and a
		 * grant or ban for it would be worse than none */
		if (addr_parse(ev->f[F_IP].p, ev->f[F_IP].n, &ev->ip) < 0 ||
		    !addr_is_client(&ev->ip))
			return false;
		ev->has_ip = true;
	} else if (rule_kind_needs_ip(r->kind)) {
		return false;
	}
	ev->kind = r->kind;
	ev->rule = r->name;
	ev->line = ll;
	return true;
}

bool
rule_match(struct ruleset *rs, const struct logline *ll, struct event *ev)
{
	const uint16_t *cand;
	const struct rule *gate;
	uint16_t n, i;
	PCRE2_SIZE *ov;
	int rc;

	if (ll->tag == NULL || ll->taglen == 0)
		return false;
	cand = lookup(rs, ll->tag, ll->taglen, &n, &gate);
	if (gate != NULL &&
	    memfind(ll->msg, ll->msglen, gate->gate, gate->gatelen) == NULL)
		return false;
	ov = pcre2_get_ovector_pointer(rs->md);
	for (i = 0; i < n; i++) {
		struct rule *r = &rs->r[cand[i]];

		if (r->literal != NULL &&
		    memfind(ll->msg, ll->msglen, r->literal, r->litlen) == NULL)
			continue;
		if (r->jit)
			rc = pcre2_jit_match(r->re, (PCRE2_SPTR)ll->msg,
			    ll->msglen, 0, 0, rs->md, rs->mctx);
		else
			rc = pcre2_match(r->re, (PCRE2_SPTR)ll->msg, ll->msglen,
			    0, 0, rs->md, rs->mctx);
		if (rc <= 0) {
			if (rc != PCRE2_ERROR_NOMATCH)
				log_debug(
				    "rule %s: match error %d", r->name, rc);
			continue;
		}
		if (!fill(r, ll, ov, rc, ev))
			continue;
		r->hits++;
		return true;
	}
	return false;
}

/* append - add s (n bytes) to buf at *o, cut at size */
static void
append(char *buf, size_t size, size_t *o, const char *s)
{
	size_t n = strlen(s);

	if (*o + 1 >= size)
		return;
	if (n > size - *o - 1)
		n = size - *o - 1;
	memcpy(buf + *o, s, n);
	*o += n;
	buf[*o] = '\0';
}

size_t
rule_format_event(const struct event *ev, char *buf, size_t size)
{
	char a[ADDR_STRLEN];
	size_t o = 0;
	int f;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	append(buf, size, &o, ev->rule != NULL ? ev->rule : "?");
	append(buf, size, &o, " ");
	append(buf, size, &o, ev_kind_name(ev->kind));
	for (f = 0; f < F_NFIELDS; f++) {
		if (f == F_IP ? !ev->has_ip : ev->f[f].p == NULL)
			continue;
		append(buf, size, &o, " ");
		append(buf, size, &o, rule_field_names[f]);
		append(buf, size, &o, "=");
		if (f == F_IP) {
			append(
			    buf, size, &o, addr_format(&ev->ip, a, sizeof(a)));
		} else if (o + 1 < size) {
			log_escape(buf + o, size - o, ev->f[f].p, ev->f[f].n);
			o += strlen(buf + o);
		}
	}
	return o;
}

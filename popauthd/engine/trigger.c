/*
 * trigger.c - event kinds to actions (see trigger.h).
 *
 * Reasons for our own listings keep the seed's wording ("E-MAIL ADDRESS FORGERY
 * IS NOT TOLERATED HERE! ...") with popauthd (localhost_dns_name) as the
 * authority.  Header and body rejects list the client only when their reply text
 * holds one of data_reject_phrases (case-insensitive).
 */
#include "trigger.h"
#include "blacklist.h"
#include "fish.h"
#include "fmt.h"
#include "grant.h"
#include "greytrap.h"
#include "log.h"
#include "sendmail.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELD_MAX TRIGGER_FIELD_MAX

static const struct conf *trig_cf;
static struct whitelist *wl;

bool
trigger_net_exempt(const struct addr *net)
{
	return whitelist_overlaps(wl, net) || grant_in_net(net);
}

void
trigger_conf(const struct conf *c, struct whitelist *w)
{
	trig_cf = c;
	bl_set_net_exempt(trigger_net_exempt);
	if (w != NULL) {
		whitelist_free(wl);
		wl = w;
	}
}

void
trigger_fini(void)
{
	whitelist_free(wl);
	wl = NULL;
}

bool
trigger_logs_field(enum ev_field f)
{
	return f == F_HOST || f == F_FROM || f == F_TO || f == F_HELO;
}

/*
 * fld - field f of ev escaped: as the scanner thread escaped it already
 * (pre), else into buf, or dflt when not captured
 */
static const char *
fld(const struct event *ev, const char *const *pre, enum ev_field f, char *buf,
    const char *dflt)
{
	if (pre != NULL && pre[f] != NULL)
		return pre[f];
	if (ev->f[f].p == NULL)
		return dflt;
	return log_escape(buf, FIELD_MAX, ev->f[f].p, ev->f[f].n);
}

/*
 * lq - field s quoted for a log line (log_quote) in one of a few rotating
 * buffers, so one log call can quote several fields
 */
static const char *
lq(const char *s)
{
	static char bufs[6][FIELD_MAX * 2 + 3];
	static unsigned next;

	return log_quote_in(bufs[next++ % 6], sizeof(bufs[0]), s);
}

/* lqb - as lq, for a bare field (helo=%s): spaces quote it too */
static const char *
lqb(const char *s)
{
	static char bufs[2][FIELD_MAX * 2 + 3];
	static unsigned next;

	return log_quote(bufs[next++ % 2], sizeof(bufs[0]), s);
}

/* phrase_match - true if text holds one of the comma-separated phrases */
static bool
phrase_match(const char *text)
{
	const char *p = trig_cf->data_reject_phrases;

	while (*p != '\0') {
		const char *e = strchr(p, ',');
		size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
		char phrase[256];

		while (n > 0 && *p == ' ')
			p++, n--;
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n > 0 && n < sizeof(phrase)) {
			memcpy(phrase, p, n);
			phrase[n] = '\0';
			if (strcasestr(text, phrase) != NULL)
				return true;
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	return false;
}

const char *
trigger_exempt(const struct addr *ip)
{
	if (wl != NULL && whitelist_match(wl, ip))
		return "whitelisted";
	if (grant_active(ip))
		return "holds a POP-before-SMTP grant";
	return NULL;
}

/* exempt - true (and logged) when ip must not be listed */
static bool
exempt(const struct event *ev, const char *ip)
{
	const char *why = trigger_exempt(&ev->ip);

	if (why == NULL)
		return false;
	log_info(
	    "%s: %s event ignored: client %s", ip, ev_kind_name(ev->kind), why);
	return true;
}

void
trigger_event(const struct event *ev, const char *const *escaped, time_t now)
{
	char ip[ADDR_STRLEN], why[FIELD_MAX * 3];
	/* room for the fields the scanner did not escape ahead */
	char hostb[FIELD_MAX], fromb[FIELD_MAX], tob[FIELD_MAX];
	char helob[FIELD_MAX], reasonb[FIELD_MAX], extrab[FIELD_MAX];
	const char *host, *from, *to, *helo, *reason = "", *extra = "";
	const char *me = trig_cf->localhost_dns_name;
	struct event found;

	/* sendmail's plain "User unknown" names no client: ask /proc */
	if (!ev->has_ip && ev->kind == EV_SM_USER_UNKNOWN) {
		found = *ev;
		if (sm_client(ev->line, &found.ip)) {
			found.has_ip = true;
			ev = &found;
		}
	}
	if (!ev->has_ip) {
		log_debug("%s: %s event without a client address", ev->rule,
		    ev_kind_name(ev->kind));
		return;
	}
	addr_format(&ev->ip, ip, sizeof(ip));
	host = fld(ev, escaped, F_HOST, hostb, "unknown");
	from = fld(ev, escaped, F_FROM, fromb, "");
	to = fld(ev, escaped, F_TO, tob, "");
	helo = fld(ev, escaped, F_HELO, helob, "");
	switch (ev->kind) {
	case EV_RELAY_DENIED:
		log_info("Relay access denied From=<%s> To=<%s> using %s [%s] "
		         "(helo=%s)",
		    lq(from), lq(to), ip, lq(host), lqb(helo));
		return;
	case EV_DOMAIN_NOT_FOUND:
		log_info("Possible forged domain detected; From=<%s> using %s "
		         "[%s] (helo=%s)",
		    lq(from), ip, lq(host), lqb(helo));
		return;
	case EV_HEADER_REJECT:
	case EV_BODY_REJECT:
		reason = fld(ev, escaped, F_RESPONSE, reasonb, "");
		extra = fld(ev, escaped, F_DETAIL, extrab, "");
		log_info(
		    "<%s> from %s [%s] (helo=%s) was blocked from sending to "
		    "<%s> for reason [%s] on %s line [%s]",
		    from, ip, host, helo, to, reason,
		    ev->kind == EV_HEADER_REJECT ? "HEADER" : "BODY",
		    lq(extra));
		if (*trig_cf->data_reject_phrases == '\0' ||
		    !phrase_match(reason))
			return;
		if (exempt(ev, ip))
			return;
		bl_list(
		    &ev->ip, now, host, me, reason, 0, NULL, BL_BAN_NULLROUTE);
		return;
	case EV_RBL_REJECT:
		if (exempt(ev, ip))
			return;
		extra = fld(ev, escaped, F_RBL, extrab, "unknown");
		reason = fld(ev, escaped, F_REASON, reasonb, "");
		bl_list(&ev->ip, now, host, extra, reason, 0, NULL,
		    BL_BAN_NULLROUTE);
		return;
	case EV_RBL_REPEAT:
		if (exempt(ev, ip))
			return;
		bl_repeat(&ev->ip, now, host);
		return;
	case EV_SENDER_FORGERY:
		log_info("%s [%s] (%s) tried to claim [%s] was part of [%s]",
		    ip, lq(host), lqb(helo), lq(from), lq(host));
		if (exempt(ev, ip))
			return;
		fmt_s(why, sizeof(why),
		    "E-MAIL ADDRESS FORGERY IS NOT TOLERATED HERE! <%s> is not "
		    "part of %s!",
		    from, host);
		bl_list(&ev->ip, now, host, me, why, 0, NULL, BL_BAN_NULLROUTE);
		return;
	case EV_RECIPIENT_FORGERY:
		log_info("%s [%s] (%s) attempted to contact <%s> from <%s>", ip,
		    lq(host), lqb(helo), lq(to), lq(from));
		if (exempt(ev, ip))
			return;
		fmt_s(why, sizeof(why),
		    "E-MAIL ADDRESS FORGERY IS NOT TOLERATED HERE! You are not "
		    "permitted to contact <%s> from <%s>!",
		    to, from);
		bl_list(&ev->ip, now, host, me, why, 0, NULL, BL_BAN_NULLROUTE);
		return;
	case EV_HELO_FORGERY:
		log_info("%s [%s] tried to claim [%s] was [%s]", ip, lq(host),
		    lq(host), lqb(helo));
		if (exempt(ev, ip))
			return;
		fmt_s(why, sizeof(why),
		    "E/SMTP HELO/EHLO FORGERY IS NOT TOLERATED HERE! You do "
		    "not "
		    "own %s!",
		    helo);
		bl_list(&ev->ip, now, host, me, why, 0, NULL, BL_BAN_NULLROUTE);
		return;
	case EV_UNKNOWN_RECIPIENT:
		if (!fish_hit(&ev->ip, now, to, from, host, helo))
			return;
		if (exempt(ev, ip))
			return;
		fmt_s(why, sizeof(why),
		    "E-MAIL ADDRESS FORGERY IS NOT TOLERATED HERE! <%s> does "
		    "not "
		    "exist here!",
		    to);
		bl_list(&ev->ip, now, host, me, why,
		    trig_cf->nullroute_fish_bansecs, "address fishing",
		    BL_BAN_NULLROUTE);
		return;
	case EV_SM_USER_UNKNOWN:
		if (exempt(ev, ip))
			return;
		if (!sm_unknown(&ev->ip, now, to) || bl_banned(&ev->ip, now))
			return;
		fmt_s(why, sizeof(why),
		    "SMTP USER NAME GUESSING IS NOT TOLERATED HERE! %lu "
		    "unknown "
		    "recipients, the latest <%s>!",
		    sm_offenses(&ev->ip), to);
		bl_list(&ev->ip, now, host, me, why,
		    trig_cf->sendmail_unknown_bansecs, "user name guessing",
		    BL_BAN_SENDMAIL);
		if (trig_cf->sendmail_unknown_bansecs > 0)
			sm_kill_sessions(ev->line, &ev->ip);
		return;
	case EV_SM_REJECT:
		reason = fld(ev, escaped, F_RESPONSE, reasonb, "");
		extra = fld(ev, escaped, F_DETAIL, extrab, "");
		if (!sm_spamcop(reason)) {
			log_info("%s [%s] rejected by sendmail %s: %s", ip,
			    host, extra, reason);
			return;
		}
		if (exempt(ev, ip))
			return;
		if (bl_listed(&ev->ip)) {
			log_debug("%s: sendmail %s reject of a listed client",
			    ip, extra);
			return; /* the seed's ban memory: listed once */
		}
		bl_list(&ev->ip, now, host, trig_cf->spamcop_list, reason,
		    trig_cf->spamcop_ban ? trig_cf->spamcop_bansecs : 0,
		    "spamcop-style reject", BL_BAN_SPAMCOP);
		return;
	case EV_GREYLIST:
		if (exempt(ev, ip))
			return;
		gt_tuple(&ev->ip, now, host, from, to);
		return;
	case EV_LOGIN:
	case EV_LOGIN_START:
	case EV_LOGIN_DONE:
	case EV_LOGIN_FAIL:
	case EV_NKINDS:
		log_panic("%s: bad event kind %d", __func__, (int)ev->kind);
	}
}

/*
 * blacklist_score.c - repeat scoring and bans (see blacklist_entry_int.h).
 *
 * Scoring follows popauth 3.0.1's trigger_rbl_repeat: period hits restart at 1
 * after a quiet spell longer than 1/nullroute_freq_thresh seconds; frequency is
 * period hits over the time since the previous hit (never a division by zero);
 * more than nullroute_msg_thresh total hits bans for nullroute_msg_bansecs, else
 * a frequency above nullroute_freq_thresh bans for nullroute_freq_bansecs.  One
 * difference on purpose: a slow repeat never shortens a ban in force.  A ban
 * goes to the firewall (fw.c) and, past nullroute_alert_thresh, to the admin
 * (alert.c), with the reason: the offence and its threshold.
 */
#include "blacklist_entry_int.h"
#include "clock.h"
#include "cluster.h"
#include "alert.h"
#include "fmt.h"
#include "fw.h"
#include "log.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* bl_why - the offence behind a ban, with its rate or count and threshold */
static void
bl_why(const struct bl_entry *e, const char *why, char *buf, size_t size)
{
	const char *list = e->list != NULL ? e->list : "?";

	if (strcmp(why, "attempts too frequent") == 0)
		fmt_s(buf, size,
		    "%s: %.1f attempts/min against a threshold of %.1f/min "
		    "(%lu in the last period; listed by %s)",
		    why, e->freq * 60, bl_cf->nullroute_freq_thresh * 60,
		    (unsigned long)e->period_hits, list);
	else if (strcmp(why, "too many attempts") == 0)
		fmt_s(buf, size,
		    "%s: %lu attempts in all against a threshold of %lld "
		    "(listed by %s)",
		    why, (unsigned long)e->total_hits,
		    bl_cf->nullroute_msg_thresh, list);
	else
		fmt_s(buf, size, "%s (listed by %s for %s)", why, list,
		    bl_reason(e));
}

/*
 * bl_ban - ban e until unban for kind (never shortening a ban in force; a
 * port-25-only ban that earns a null-route of everything is widened)
 */
void
bl_ban(struct bl_entry *e, time_t now, time_t secs, const char *why,
    time_t spread, enum bl_ban_kind kind)
{
	char ip[ADDR_STRLEN], dur[64], dur2[64], until[CLOCK_STAMP_MAX];
	time_t unban;
	bool fresh = !e->banned;
	bool widen = !fresh && bl_kind_scope(kind) == SCOPE_ALL &&
	    bl_scope(e) != SCOPE_ALL;

	if (fresh && bl_cf->ban_escalate && e->bans > 0) {
		double f = pow(bl_cf->ban_escalate_factor, (double)e->bans);
		double s = (double)secs * f;

		secs = s > (double)bl_cf->ban_escalate_max
		    ? bl_cf->ban_escalate_max
		    : (time_t)s;
	}
	unban = now + secs;
	if (!fresh && unban <= e->unban && !widen)
		return;
	if (unban < e->unban)
		unban = e->unban; /* widened, not shortened */
	e->unban = unban;
	e->banned = true;
	if (fresh || widen)
		e->ban_kind = (uint8_t)kind;
	bl_arm(e);
	addr_format(&e->ip, ip, sizeof(ip));
	clock_stamp(until, unban, CLOCK_SYSLOG);
	if (fresh) {
		e->bans++;
		bl_nbans++;
	}
	/* an extension too: nftables' kernel timeout must follow the unban */
	fw_ban(&e->ip, bl_scope(e), e->unban);
	cluster_note(CL_BAN, &e->ip, e->unban, why);
	log_event("%s [%s] %s until %s (%s) for %s: %lu hits in %s, %lu total, "
	          "rate = %.6f",
	    ip, bl_host(e),
	    /* with firewall_backend = none nothing is null-routed: say so */
	    bl_cf->firewall_backend == FW_NONE
	        ? (fresh          ? "has been banned (not null-routed: "
	                            "firewall_backend = none)"
	                  : widen ? "ban widened to all traffic"
	                          : "ban extended")
	        : fresh
	        ? (bl_scope(e) == SCOPE_SMTP ? "has been null-routed for SMTP"
	                                     : "has been null-routed")
	        : widen ? "null-route widened to all traffic"
	                : "null-route extended",
	    until, dur_format(secs, dur, sizeof(dur)), why,
	    (unsigned long)e->period_hits,
	    dur_format(spread, dur2, sizeof(dur2)),
	    (unsigned long)e->total_hits, e->freq);
	if ((long long)e->total_hits >= bl_cf->nullroute_alert_thresh &&
	    e->alerted != (time_t)e->bans) {
		struct alert_info ai;

		memset(&ai, 0, sizeof(ai));
		ai.ip = e->ip;
		snprintf(ai.host, sizeof(ai.host), "%s", bl_host(e));
		ai.total_hits = e->total_hits;
		ai.period_hits = e->period_hits;
		ai.rate = e->freq;
		ai.hitspread = spread;
		ai.unban = unban;
		bl_why(e, why, ai.why, sizeof(ai.why));
		alert_send(bl_cf, &ai);
		e->alerted = (time_t)e->bans;
	}
}

/*
 * bl_score - a repeat: the seed's period/frequency/threshold logic; returns
 * e, which has moved when host is a new name for it
 */
struct bl_entry *
bl_score(struct bl_entry *e, time_t now, const char *host)
{
	time_t prior = e->last, spread = now - prior;
	char ip[ADDR_STRLEN], dur[64];

	if (host != NULL && *host != '\0' && strcmp(host, bl_host(e)) != 0 &&
	    strcmp(host, "unknown") != 0)
		e = bl_rehost(e, host);
	e->last = now;
	e->period_hits++;
	e->total_hits++;
	if ((double)(now - prior) > 1.0 / bl_cf->nullroute_freq_thresh)
		e->period_hits = 1;
	e->freq = spread > 0 ? e->period_hits / (double)spread
	                     : e->period_hits / 0.001;
	log_event(
	    "Blacklisted %s [%s] has been refused again, x %lu (%lu total) "
	    "hits in %s, rate = %.6f",
	    addr_format(&e->ip, ip, sizeof(ip)), bl_host(e),
	    (unsigned long)e->period_hits, (unsigned long)e->total_hits,
	    dur_format(spread, dur, sizeof(dur)), e->freq);
	if ((long long)e->total_hits > bl_cf->nullroute_msg_thresh)
		bl_ban(e, now, bl_cf->nullroute_msg_bansecs,
		    "too many attempts", spread, BL_BAN_NULLROUTE);
	else if ((long long)e->period_hits >= bl_cf->nullroute_min_hits &&
	    e->freq > bl_cf->nullroute_freq_thresh)
		bl_ban(e, now, bl_cf->nullroute_freq_bansecs,
		    "attempts too frequent", spread, BL_BAN_NULLROUTE);
	bl_arm(e);
	bl_changed(e, &e->ip);
	return e;
}

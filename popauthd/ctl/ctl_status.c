/*
 * ctl_status.c - popauthctl status: the daemon's counters as "stat" lines,
 * and the same on one log line for SIGUSR1 (see ctl_status.h).
 *
 * For ctl_cmd.c (the status request) and main.c (SIGUSR1).  Reads every
 * tracker's and backend's counters; changes nothing.
 */
#include "ctl_status.h"
#include "blacklist.h"
#include "clock.h"
#include "cluster.h"
#include "ctl.h"
#include "engine.h"
#include "evidence.h"
#include "fish.h"
#include "grant.h"
#include "log.h"
#include "loginpair.h"
#include "map.h"
#include "rule.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef POPAUTHD_VERSION
#define POPAUTHD_VERSION "0.1.0"
#endif

static void stat_add(void (*fn)(void *, const char *), void *arg,
    const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
stat_add(void (*fn)(void *, const char *), void *arg, const char *name,
    const char *fmt, ...)
{
	char value[512], esc[1024], line[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	log_escape(esc, sizeof(esc), value, strlen(value));
	snprintf(line, sizeof(line), "stat\t%s\t%s", name, esc);
	fn(arg, line);
}
static long long started_ms;

void
ctl_status_start(void)
{
	started_ms = mono_ms();
}

time_t
ctl_uptime(void)
{
	return (time_t)((mono_ms() - started_ms) / 1000);
}

/* ctl_status_cluster - the cluster link, when there is one */
static void
ctl_status_cluster(void (*fn)(void *arg, const char *line), void *arg)
{
	struct cluster_status cs;

	cluster_status(&cs);
	if (!cs.enabled)
		return;
	stat_add(fn, arg, "cluster.node", "%s", cs.node);
	stat_add(
	    fn, arg, "cluster.connected", "%s", cs.connected ? "yes" : "no");
	stat_add(fn, arg, "cluster.outbox", "%zu", cs.outbox);
	stat_add(fn, arg, "cluster.lag_ms", "%lld", cs.lag_ms);
	stat_add(
	    fn, arg, "cluster.last_fetch_ms_ago", "%lld", cs.since_fetch_ms);
	stat_add(fn, arg, "cluster.last_id", "%lld", cs.last_id);
	stat_add(fn, arg, "cluster.published", "%llu", cs.published);
	stat_add(fn, arg, "cluster.applied", "%llu", cs.applied);
	stat_add(fn, arg, "cluster.ignored", "%llu", cs.ignored);
	stat_add(fn, arg, "cluster.refused", "%llu", cs.refused);
	stat_add(fn, arg, "cluster.failures", "%llu", cs.failures);
	stat_add(fn, arg, "cluster.last_error", "%s", cs.last_error);
}

void
ctl_status(void (*fn)(void *arg, const char *line), void *arg)
{
	const struct engine_stats *s = engine_stats();
	const struct ruleset *rs = engine_rules();
	const struct conf *c = engine_conf();
	const struct lpair_stats *ps;
	const struct ctl_stats *cs;
	char name[160];
	size_t i;
	int k;

	stat_add(fn, arg, "version", "%s", POPAUTHD_VERSION);
	stat_add(fn, arg, "pid", "%ld", (long)getpid());
	stat_add(fn, arg, "uptime", "%lld", (long long)ctl_uptime());
	stat_add(fn, arg, "lines", "%llu", s->lines);
	stat_add(fn, arg, "matched", "%llu", s->matched);
	stat_add(fn, arg, "unparsed", "%llu", s->unparsed);
	for (k = 0; k < EV_NKINDS; k++) {
		snprintf(name, sizeof(name), "event.%s",
		    ev_kind_name((enum ev_kind)k));
		stat_add(fn, arg, name, "%llu", s->events[k]);
	}
	{
		const struct bl_bound_stats *bs = bl_bound_stats();

		stat_add(fn, arg, "blacklist.evicted", "%llu", bs->evicted);
		stat_add(fn, arg, "blacklist.refused", "%llu", bs->refused);
		stat_add(
		    fn, arg, "blacklist.ipv6_prefixes", "%llu", bs->prefixes);
	}
	if ((ps = engine_pair_stats()) != NULL) {
		stat_add(fn, arg, "login_pair.pending", "%zu", ps->pending);
		stat_add(fn, arg, "login_pair.paired", "%llu", ps->paired);
		stat_add(fn, arg, "login_pair.unpaired", "%llu", ps->unpaired);
		stat_add(fn, arg, "login_pair.expired", "%llu", ps->expired);
		stat_add(fn, arg, "login_pair.refused", "%llu",
		    ps->dropped_full + ps->dropped_source + ps->dropped_key);
	}
	for (i = 0; rs != NULL && i < rule_count(rs); i++) {
		const char *rname = "?";
		unsigned long long hits = rule_hits(rs, i, &rname);

		snprintf(name, sizeof(name), "rule.%s", rname);
		stat_add(fn, arg, name, "%llu", hits);
	}
	if (c != NULL) {
		snprintf(name, sizeof(name), "map.%s", c->popauth_map);
		stat_add(fn, arg, name, "%zu", grant_count());
		snprintf(name, sizeof(name), "map.%s", c->blacklist_map);
		stat_add(fn, arg, name, "%zu", bl_count());
	}
	stat_add(fn, arg, "grants", "%zu", grant_count());
	stat_add(fn, arg, "blacklisted", "%zu", bl_count());
	stat_add(fn, arg, "bans", "%zu", bl_bans());
	stat_add(fn, arg, "fishing", "%zu", fish_count());
	stat_add(fn, arg, "evidence.ips", "%zu", evidence_count());
	stat_add(fn, arg, "evidence.refused", "%llu", evidence_refused());
	ctl_status_cluster(fn, arg);
	cs = ctl_stats();
	stat_add(fn, arg, "control.clients", "%zu", cs->clients);
	stat_add(fn, arg, "control.evicted", "%llu", cs->evicted);
	stat_add(fn, arg, "control.timeouts", "%llu", cs->timeouts);
	stat_add(fn, arg, "control.refused", "%llu", cs->refused);
	stat_add(fn, arg, "last_error", "%s", log_last_error());
}

/* status_add - append "name=value" to a log line, writing it out when full */
struct status_log {
	char line[1400];
	size_t len;
};

static void
status_flush(struct status_log *sl)
{
	if (sl->len > 0)
		log_info("status: %s", sl->line);
	sl->len = 0;
	sl->line[0] = '\0';
}

static void
status_line(void *arg, const char *line)
{
	struct status_log *sl = arg;
	const char *name = strchr(line, '\t'), *value;
	int n;

	if (name == NULL || (value = strchr(name + 1, '\t')) == NULL)
		return;
	name++;
	if (sl->len + strlen(line) + 4 > sizeof(sl->line))
		status_flush(sl);
	n = snprintf(sl->line + sl->len, sizeof(sl->line) - sl->len,
	    "%s%.*s=%s", sl->len > 0 ? ", " : "", (int)(value - name), name,
	    value + 1);
	if (n > 0 && (size_t)n < sizeof(sl->line) - sl->len)
		sl->len += (size_t)n;
}

void
ctl_log_status(void)
{
	struct status_log sl;

	sl.len = 0;
	sl.line[0] = '\0';
	ctl_status(status_line, &sl);
	status_flush(&sl);
}

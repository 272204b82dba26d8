/*
 * metrics.c - the daemon's counters as a Prometheus text file (see metrics.h).
 *
 * Reads what the status command reads (engine_stats, the trackers' counts,
 * alert.c's and fw.c's counters, the input's dropped lines) and writes them
 * with HELP and TYPE lines to metrics_file.tmp, then renames it over
 * metrics_file.  Nothing here is called by the engine: the engine keeps its
 * counters, this module only reads them.
 */
#include "metrics.h"
#include "alert.h"
#include "blacklist.h"
#include "cluster.h"
#include "engine.h"
#include "evidence.h"
#include "fish.h"
#include "fw.h"
#include "grant.h"
#include "input.h"
#include "log.h"
#include "loginpair.h"
#include "mapflush.h"
#include "rule.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const struct input *metrics_in;
static long long metrics_due_ms;
static time_t metrics_started;
static unsigned long long metrics_failed;
static bool metrics_failing; /* the last write failed */

void
metrics_init(const struct input *in)
{
	metrics_in = in;
	metrics_due_ms = mono_ms();
	metrics_started = time(NULL);
}

/* head - the HELP and TYPE lines of one family */
static void
head(FILE *fp, const char *name, const char *type, const char *help)
{
	fprintf(fp, "# HELP popauthd_%s %s\n# TYPE popauthd_%s %s\n", name,
	    help, name, type);
}

/* one - a family with a single sample */
static void
one(FILE *fp, const char *name, const char *type, const char *help,
    unsigned long long v)
{
	head(fp, name, type, help);
	fprintf(fp, "popauthd_%s %llu\n", name, v);
}

/* label - v as a label value: backslash, quote and newline escaped */
static const char *
label(char *buf, size_t size, const char *v)
{
	size_t o = 0;

	for (; *v != '\0' && o + 3 < size; v++) {
		if (*v == '\\' || *v == '"') {
			buf[o++] = '\\';
			buf[o++] = *v;
		} else if (*v == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else {
			buf[o++] = *v;
		}
	}
	buf[o] = '\0';
	return buf;
}

/* flush_histogram - popauthd_map_flush_seconds, buckets cumulative */
static void
flush_histogram(FILE *fp, const struct mapflush_stats *s)
{
	static const double bounds[MAPFLUSH_BUCKETS] = MAPFLUSH_BOUNDS;
	unsigned long long cum = 0;
	size_t b;

	head(fp, "map_flush_seconds", "histogram",
	    "Time to write a Postfix map (relay or blacklist table).");
	for (b = 0; b < MAPFLUSH_BUCKETS; b++) {
		cum += s->le[b];
		fprintf(fp,
		    "popauthd_map_flush_seconds_bucket{le=\"%g\"} %llu\n",
		    bounds[b], cum);
	}
	fprintf(fp, "popauthd_map_flush_seconds_bucket{le=\"+Inf\"} %llu\n",
	    s->flushes);
	fprintf(fp, "popauthd_map_flush_seconds_sum %.6f\n", s->seconds);
	fprintf(fp, "popauthd_map_flush_seconds_count %llu\n", s->flushes);
}

/* cluster - the cluster link's families, when there is one */
static void
cluster(FILE *fp)
{
	struct cluster_status cs;

	cluster_status(&cs);
	if (!cs.enabled)
		return;
	one(fp, "cluster_connected", "gauge",
	    "1 while the cluster database link is up.", cs.connected ? 1 : 0);
	one(fp, "cluster_outbox", "gauge",
	    "Own changes not yet stored in the cluster database.", cs.outbox);
	one(fp, "cluster_published_total", "counter",
	    "Own changes stored in the cluster database.", cs.published);
	one(fp, "cluster_applied_total", "counter",
	    "Other nodes' changes applied here.", cs.applied);
	one(fp, "cluster_refused_total", "counter",
	    "Malformed change rows refused.", cs.refused);
	one(fp, "cluster_failures_total", "counter",
	    "Cluster database connects or queries that failed.", cs.failures);
}

/* body - every family, into fp */
static void
body(FILE *fp)
{
	const struct engine_stats *s = engine_stats();
	const struct ruleset *rs = engine_rules();
	const struct alert_stats *as = alert_stats();
	const struct bl_bound_stats *bs = bl_bound_stats();
	const struct lpair_stats *ps = engine_pair_stats();
	char buf[256];
	size_t i;
	int k;

	one(fp, "start_time_seconds", "gauge",
	    "When popauthd started, seconds since the epoch.",
	    (unsigned long long)metrics_started);
	one(fp, "lines_total", "counter", "Log lines read.", s->lines);
	one(fp, "matched_total", "counter", "Log lines a rule matched.",
	    s->matched);
	one(fp, "unparsed_total", "counter",
	    "Log lines that were not syslog lines.", s->unparsed);
	one(fp, "dropped_lines_total", "counter",
	    "Over-long log lines dropped whole.", input_dropped(metrics_in));
	head(fp, "events_total", "counter", "Events the rules made, by kind.");
	for (k = 0; k < EV_NKINDS; k++)
		fprintf(fp, "popauthd_events_total{kind=\"%s\"} %llu\n",
		    ev_kind_name((enum ev_kind)k), s->events[k]);
	head(fp, "rule_hits_total", "counter", "Lines each rule matched.");
	for (i = 0; rs != NULL && i < rule_count(rs); i++) {
		const char *rname = "?";
		unsigned long long hits = rule_hits(rs, i, &rname);

		fprintf(fp, "popauthd_rule_hits_total{rule=\"%s\"} %llu\n",
		    label(buf, sizeof(buf), rname), hits);
	}
	one(fp, "grants", "gauge", "Clients allowed to relay now.",
	    (unsigned long long)grant_count());
	one(fp, "blacklist_entries", "gauge", "Entries in the blacklist map.",
	    (unsigned long long)bl_count());
	one(fp, "bans", "gauge", "Clients null-routed now.",
	    (unsigned long long)bl_bans());
	one(fp, "fishing", "gauge", "Clients with fishing records.",
	    (unsigned long long)fish_count());
	one(fp, "evidence_ips", "gauge",
	    "Addresses with log lines kept for popauthctl explain.",
	    (unsigned long long)evidence_count());
	one(fp, "evidence_refused_total", "counter",
	    "Addresses whose evidence was not kept (evidence_max_ips).",
	    evidence_refused());
	one(fp, "blacklist_evicted_total", "counter",
	    "Blacklist entries dropped to make room (max_tracked_ips).",
	    bs->evicted);
	one(fp, "blacklist_refused_total", "counter",
	    "New blacklist entries refused: the table was full of bans.",
	    bs->refused);
	one(fp, "login_pair_refused_total", "counter",
	    "Two-line login starts not kept (table or source share full).",
	    ps != NULL ? ps->dropped_full + ps->dropped_source + ps->dropped_key
	               : 0);
	flush_histogram(fp, mapflush_stats());
	one(fp, "alerts_total", "counter", "Null-route alerts raised.",
	    as->raised);
	one(fp, "alerts_sent_total", "counter", "Null-route alerts delivered.",
	    as->sent);
	one(fp, "alert_failures_total", "counter",
	    "Null-route alert deliveries that failed (each try).", as->failed);
	one(fp, "alerts_dropped_total", "counter",
	    "Null-route alerts never sent (queue full, gave up, exit).",
	    as->dropped);
	one(fp, "map_write_failures_total", "counter",
	    "Postfix map writes that failed (retried).",
	    mapflush_stats()->failures);
	one(fp, "state_commit_failures_total", "counter",
	    "State database commits that failed (retried).",
	    s->commit_failures);
	one(fp, "firewall_failures_total", "counter",
	    "Firewall ban, unban or reconcile calls that failed.",
	    fw_failures());
	one(fp, "metrics_write_failures_total", "counter",
	    "Earlier writes of this file that failed.", metrics_failed);
	cluster(fp);
}

int
metrics_write(void)
{
	const struct conf *c = engine_conf();
	char tmp[4096];
	FILE *fp;
	int fd, err;

	if (c == NULL || *c->metrics_file == '\0')
		return 0;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", c->metrics_file) >=
	    (int)sizeof(tmp)) {
		err = ENAMETOOLONG;
		goto fail;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || (fp = fdopen(fd, "w")) == NULL) {
		err = errno;
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	body(fp);
	if (fflush(fp) != 0 || ferror(fp)) {
		err = errno;
		fclose(fp);
		unlink(tmp);
		goto fail;
	}
	if (fclose(fp) != 0 || rename(tmp, c->metrics_file) < 0) {
		err = errno;
		unlink(tmp);
		goto fail;
	}
	if (metrics_failing)
		log_info("%s: metrics written again", c->metrics_file);
	metrics_failing = false;
	return 0;
fail:
	metrics_failing = true;
	if (metrics_failed++ % 100 == 0)
		log_warn("%s: cannot write metrics: %s (%llu failures)",
		    c->metrics_file, strerror(err), metrics_failed);
	return -1;
}

long long
metrics_poll(void)
{
	const struct conf *c = engine_conf();
	long long now = mono_ms();

	if (c == NULL || *c->metrics_file == '\0')
		return -1;
	if (now >= metrics_due_ms) {
		metrics_write();
		metrics_due_ms = now + (long long)c->metrics_interval * 1000;
	}
	return metrics_due_ms - now;
}

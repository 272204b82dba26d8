/*
 * engine.c - line -> rule -> tracker, and the end-of-tick commit (see engine.h).
 *
 * The per-line path allocates nothing and writes nothing: trackers change memory
 * and note what changed.  engine_tick() then writes all of it to state in one
 * transaction; mapflush.c writes the tables Postfix reads (a hash: map at
 * most once per map_flush_delay, an lmdb: map every tick, in place), and
 * durable.c batches the fsyncs of both (group commit), off the path by
 * which a grant reaches Postfix.  The held event lines go out once the commit holds
 * AND the tables Postfix reads hold what they say ("has authenticated" means
 * smtpd can see the grant), except in a replay, whose tables are written at
 * its end.
 */
#include "engine.h"
#include "evidence.h"
#include "fish.h"
#include "alert.h"
#include "blacklist.h"
#include "clock.h"
#include "cluster.h"
#include "durable.h"
#include "engine_cluster.h"
#include "grant.h"
#include "inpos.h"
#include "input.h"
#include "greytrap.h"
#include "log.h"
#include "loginpair.h"
#include "logline.h"
#include "map.h"
#include "mapflush.h"
#include "reaper.h"
#include "sendmail.h"
#include "state.h"
#include "timer.h"
#include "trigger.h"
#include "whitelist.h"
#include "witness.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ENGINE_PERIODIC_MS   10000
#define ENGINE_CHECKPOINT_MS (5 * 60 * 1000)

static struct conf *cf;
static struct ruleset *rules;
static struct state *st;
static struct map *relay_map, *bl_map;
static struct engine_stats stats;
static struct logline_year year;
static bool replay;
static long long last_checkpoint_ms;
static long long retry_commit_ms; /* after a failure */
static unsigned int commit_fails;
static time_t last_reconcile, pairs_warned;
static struct lpair *pairs; /* two-line logins */
static struct input *input; /* whose position is stored (engine_set_input) */
static const struct cluster_apply cl_apply = {engine_cluster_apply, NULL};

const struct engine_stats *
engine_stats(void)
{
	return &stats;
}

const struct lpair_stats *
engine_pair_stats(void)
{
	return pairs != NULL ? lpair_stats(pairs) : NULL;
}

const struct conf *
engine_conf(void)
{
	return cf;
}

const struct ruleset *
engine_rules(void)
{
	return rules;
}

int
engine_start(struct conf *c, struct ruleset *rs, bool is_replay)
{
	struct whitelist *wl;
	const char *mt;

	cf = c;
	rules = rs;
	replay = is_replay;
	year.last_mon = -1;
	if (replay)
		clock_set_replay(0);
	if ((st = state_open(c->data_directory, replay)) == NULL)
		return -1;
	mt = conf_map_name(c->map_type);
	relay_map = map_open(c->map_directory, c->popauth_map, mt);
	bl_map = map_open(c->map_directory, c->blacklist_map, mt);
	if (relay_map == NULL || bl_map == NULL)
		return -1;
	mapflush_init(relay_map, bl_map, c->map_flush_delay_ms);
	pairs = lpair_new((size_t)c->login_pair_max,
	    (size_t)c->login_pair_per_source, c->login_pair_window);
	if (grant_init(c, st, relay_map) < 0)
		return -1;
	if ((wl = whitelist_load(c->whitelist_file)) == NULL)
		return -1;
	trigger_conf(c, wl);
	if (bl_init(c, st, bl_map) < 0 || fish_init(c, st) < 0)
		return -1;
	if (sm_init(c, st, replay) < 0 || gt_init(c, st, replay) < 0 ||
	    reaper_init(c, replay) < 0)
		return -1;
	if (evidence_init(c, st) < 0)
		return -1;
	durable_init(replay ? NULL : st, evidence_recfile(), relay_map, bl_map);
	if (!replay && cluster_start(c, st, &cl_apply) < 0)
		return -1;
	evidence_reap(
	    witness_alive); /* records that expired while we were down */
	last_reconcile = clock_now();
	last_checkpoint_ms = mono_ms();
	engine_tick();
	return 0;
}

/* engine_user - "user@domain" (or "user") escaped for logs and state */
static const char *
engine_user(const struct event *ev, char *buf, size_t size)
{
	char raw[512];
	const struct slice *u = &ev->f[F_USER], *d = &ev->f[F_DOMAIN];
	int n;

	if (u->p == NULL)
		return "unknown";
	if (d->p != NULL)
		n = snprintf(raw, sizeof(raw), "%.*s@%.*s", (int)u->n, u->p,
		    (int)d->n, d->p);
	else
		n = snprintf(raw, sizeof(raw), "%.*s", (int)u->n, u->p);
	if (n < 0)
		return "unknown";
	return log_escape(buf, size, raw,
	    (size_t)n < sizeof(raw) ? (size_t)n : sizeof(raw) - 1);
}

/* engine_pair - one event of a two-line login */
static void
engine_pair(const struct event *ev, const char *user, time_t now)
{
	struct addr ip;
	char a[ADDR_STRLEN];
	const struct lpair_stats *ps;

	switch (lpair_event(pairs, ev, now, &ip)) {
	case LPAIR_PAIRED: {
		struct witness before;

		/* the done line names no client: the evidence is its message */
		if (cf->evidence_per_ip > 0)
			witness_before(&ip, &before);
		grant_login(&ip, user, now);
		if (cf->evidence_per_ip > 0 && ev->line != NULL)
			witness_after(&ip, ev, &before, ev->line->msg,
			    ev->line->msglen, false, now);
		return;
	}
	case LPAIR_REFUSED:
		/* counted; said at most once a minute */
		if (now - pairs_warned < 60)
			return;
		pairs_warned = now;
		ps = lpair_stats(pairs);
		log_warn("%s: half-login not kept (%zu pending, "
		         "login_pair_max %lld, login_pair_per_source %lld): "
		         "%llu refused so far",
		    addr_format(&ev->ip, a, sizeof(a)), ps->pending,
		    cf->login_pair_max, cf->login_pair_per_source,
		    ps->dropped_full + ps->dropped_source + ps->dropped_key);
		return;
	case LPAIR_UNPAIRED:
		log_debug("rule %s: login of %s with no session pending",
		    ev->rule, user);
		return;
	case LPAIR_NOKEY:
		log_debug("rule %s: line has no PID to pair on", ev->rule);
		return;
	case LPAIR_PENDING:
	case LPAIR_ENDED:
		return;
	}
}

void
engine_scan(char *line, size_t len, struct engine_scan *sc)
{
	sc->parsed =
	    logline_parse(line, len, &sc->ll, replay ? &year : NULL) >= 0;
	sc->matched = sc->parsed && rule_match(rules, &sc->ll, &sc->ev);
	if (sc->matched) {
		sc->esc_line = NULL;
		memset(sc->esc, 0, sizeof(sc->esc));
	}
}

size_t
engine_prepare(struct engine_scan *sc, const char *line, size_t len, char *room)
{
	const struct event *ev = &sc->ev;
	size_t used = 0;
	int f;

	if (!sc->matched || !ev->has_ip)
		return 0;
	/* exactly the calls evidence_add and trigger's fld would make */
	if (cf->evidence_per_ip > 0) {
		sc->esc_line = room;
		sc->esc_len =
		    log_escape_len(room, EVIDENCE_LINE_MAX, line, len);
		used = sc->esc_len + 1;
	}
	for (f = 0; f < F_NFIELDS; f++) {
		if (!trigger_logs_field((enum ev_field)f) || ev->f[f].p == NULL)
			continue;
		sc->esc[f] = room + used;
		used += log_escape_len(room + used, TRIGGER_FIELD_MAX,
		            ev->f[f].p, ev->f[f].n) +
		    1;
	}
	return used;
}

void
engine_count(unsigned long long lines, unsigned long long unparsed)
{
	stats.lines += lines;
	stats.unparsed += unparsed;
}

void
engine_line(char *line, size_t len)
{
	struct engine_scan sc;

	engine_scan(line, len, &sc);
	engine_apply(&sc, line, len);
}

void
engine_apply(struct engine_scan *sc, const char *line, size_t len)
{
	const struct logline *ll = &sc->ll;
	struct event *ev = &sc->ev;
	struct witness before;
	char user[256];

	stats.lines++;
	if (!sc->parsed) {
		stats.unparsed++;
		return;
	}
	if (replay && ll->when > 0) {
		clock_advance(ll->when);
		/* expiries due before this line happen before it */
		timer_run(clock_now());
	}
	if (!sc->matched)
		return;
	ev->line = ll;
	stats.matched++;
	stats.events[ev->kind]++;
	if (cf->evidence_per_ip > 0)
		witness_before(ev->has_ip ? &ev->ip : NULL, &before);
	switch (ev->kind) {
	case EV_LOGIN:
		grant_login(
		    &ev->ip, engine_user(ev, user, sizeof(user)), clock_now());
		if (ll->pid != NULL)
			engine_pair(ev, NULL, clock_now());
		break;
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
	case EV_SM_USER_UNKNOWN:
	case EV_SM_REJECT:
	case EV_GREYLIST:
		trigger_event(ev, sc->esc, clock_now());
		break;
	case EV_LOGIN_START:
	case EV_LOGIN_FAIL:
		engine_pair(ev, NULL, clock_now());
		break;
	case EV_LOGIN_DONE:
		engine_pair(
		    ev, engine_user(ev, user, sizeof(user)), clock_now());
		break;
	case EV_NKINDS:
		log_panic("%s: bad event kind", __func__);
	}
	if (cf->evidence_per_ip > 0 && sc->esc_line != NULL)
		witness_after(&ev->ip, ev, &before, sc->esc_line, sc->esc_len,
		    true, clock_now());
	else if (cf->evidence_per_ip > 0)
		witness_after(ev->has_ip ? &ev->ip : NULL, ev, &before, line,
		    len, false, clock_now());
}

/* engine_events_durable - the held lines are committed: let them out when due */
static void
engine_events_durable(void)
{
	if (replay) {
		log_events_flush();
		return;
	}
	log_events_seal(map_changes(relay_map), map_changes(bl_map));
	log_events_release(mapflush_ready, NULL);
}

/* engine_commit - write every tracker's changes and the input's position in
 * one transaction; all: also a position that alone would wait (stop) */
static void
engine_commit(bool all)
{
	unsigned char pos[INPUT_POS_MAX];

	if (input != NULL)
		inpos_note(pos, input_position(input, pos, sizeof(pos)));
	if (!grant_dirty() && !bl_dirty() && !fish_dirty() && !sm_dirty() &&
	    !gt_dirty() && !evidence_dirty() && !cluster_dirty() &&
	    !(all ? inpos_dirty() : inpos_due(mono_ms()))) {
		engine_events_durable();
		return;
	}
	if (commit_fails > 0 && mono_ms() < retry_commit_ms)
		return;
	if (state_begin(st) == 0) {
		if (grant_sync() == 0 && bl_sync() == 0 && fish_sync() == 0 &&
		    sm_sync() == 0 && gt_sync() == 0 && evidence_sync() == 0 &&
		    cluster_sync() == 0 && inpos_sync() == 0) {
			if (state_commit(st) == 0) {
				evidence_synced();
				grant_synced();
				bl_synced();
				fish_synced();
				sm_synced();
				gt_synced();
				cluster_synced();
				inpos_synced(mono_ms());
				durable_note(mono_ms());
				engine_events_durable();
				if (commit_fails > 0)
					log_info(
					    "%s: state written again after %u "
					    "failed attempts",
					    cf->data_directory, commit_fails);
				commit_fails = 0;
				return;
			}
		} else {
			state_abort(st);
		}
	}
	/* the change lists stay; back off up to 30 s */
	commit_fails++;
	stats.commit_failures++;
	retry_commit_ms =
	    mono_ms() + (commit_fails < 8 ? 250LL << commit_fails : 30000);
}

int
engine_set_input(struct input *in)
{
	const void *pos;
	size_t len;

	if (inpos_init(st, in) < 0)
		return -1;
	len = inpos_saved(&pos);
	if (input_resume(in, pos, len) < 0)
		return -1;
	input = in;
	return 0;
}

void
engine_tick(void)
{
	reaper_poll();
	gt_poll();
	cluster_poll();
	/*
	 * The relay map first: a mail client sends right after its POP login,
	 * so the grant goes to Postfix before the state commit's fsync.  A
	 * crash in between loses a grant that was never logged as done; the
	 * next start writes the maps from the state again.
	 */
	if (!replay)
		mapflush_run(MAPFLUSH_RELAY, false);
	engine_commit(false);
	alert_poll(cf);
	if (replay)
		return; /* maps are written once, at the end of the replay */
	mapflush_run(MAPFLUSH_BL, false);
	durable_poll(mono_ms(), false);
}

void
engine_flush_all(void)
{
	if (st == NULL || relay_map == NULL || bl_map == NULL)
		return; /* a start that failed half-way has nothing to write */
	/*
	 * A replay ends with its one full write of both tables and its last
	 * commit: children write the tables meanwhile, on the other core
	 * (replay_run has stopped its threads, so a fork copies only this).
	 */
	if (replay) {
		mapflush_start(MAPFLUSH_RELAY);
		mapflush_start(MAPFLUSH_BL);
	}
	engine_commit(true);
	mapflush_run(MAPFLUSH_RELAY, true);
	mapflush_run(MAPFLUSH_BL, true);
	durable_sync();
	/* what a table could not take stays in state; say it now anyway */
	log_events_flush();
}

long long
engine_timeout_ms(void)
{
	long long t = -1, now = mono_ms();
	time_t next = timer_next();
	if (next >= 0) {
		t = (long long)next * 1000 - clock_now_ms();
		if (t < 0)
			t = 0;
	}
	{
		long long due = mapflush_due(now);

		if (due >= 0 && (t < 0 || due < t))
			t = due;
		if (durable_pending())
			t = 0; /* a look for input; none: engine_idle syncs */
	}
	if (inpos_dirty() && (t < 0 || t > INPOS_IDLE_MS))
		t = INPOS_IDLE_MS; /* a moved position alone is written soon */
	if (commit_fails > 0) {
		long long c = retry_commit_ms - now;

		if (c < 0)
			c = 0;
		if (t < 0 || c < t)
			t = c;
	}
	{
		long long a = alert_poll(cf), k = cluster_timeout_ms();

		if (a >= 0 && (t < 0 || a < t))
			t = a;
		if (k >= 0 && (t < 0 || k < t))
			t = k;
	}
	if (t < 0 || t > ENGINE_PERIODIC_MS)
		t = ENGINE_PERIODIC_MS;
	return t;
}

void
engine_idle(void)
{
	durable_poll(mono_ms(), true);
}

void
engine_run_timers(void)
{
	timer_run(clock_now());
}

void
engine_periodic(void)
{
	long long now = mono_ms();

	map_check(relay_map);
	map_check(bl_map);
	if (clock_now() - last_reconcile >= cf->iptables_refresh) {
		bl_reconcile();
		last_reconcile = clock_now();
	}
	evidence_reap(witness_alive); /* the records it explained are gone */
	if (now - last_checkpoint_ms >= ENGINE_CHECKPOINT_MS) {
		state_checkpoint(st);
		last_checkpoint_ms = now;
	}
}

int
engine_reload(struct conf *c, struct ruleset *rs)
{
	struct conf *oldc = cf;
	struct ruleset *oldrs = rules;
	struct whitelist *wl = whitelist_load(c->whitelist_file);

	if (wl == NULL)
		return -1;
	cf = c;
	rules = rs;
	grant_conf(c);
	mapflush_conf(c->map_flush_delay_ms);
	lpair_conf(pairs, (size_t)c->login_pair_max,
	    (size_t)c->login_pair_per_source, c->login_pair_window);
	trigger_conf(c, wl);
	bl_conf(c);
	fish_conf(c);
	sm_conf(c);
	gt_conf(c);
	reaper_conf(c);
	evidence_conf(c);
	cluster_conf(c);
	last_reconcile = clock_now();
	conf_free(oldc);
	rule_free(oldrs);
	return 0;
}

void
engine_stop(void)
{
	engine_flush_all();
	/*
	 * Alerts waiting for a sender slot would die with the process: a
	 * replay sends them all before it ends; a stopping daemon gives them
	 * one alert_timeout, then logs what it drops, with the IP.
	 */
	if (cf != NULL)
		alert_finish(cf,
		    replay ? alert_finish_ms(cf)
		           : ((long long)cf->alert_timeout + 5) * 1000);
	cluster_stop();
	bl_fini();
	fish_fini();
	sm_fini();
	gt_fini();
	reaper_fini();
	evidence_fini();
	trigger_fini();
	grant_fini();
	inpos_fini();
	input = NULL;
	lpair_free(pairs);
	pairs = NULL;
	map_close(relay_map);
	map_close(bl_map);
	relay_map = bl_map = NULL;
	state_close(st);
	st = NULL;
	rule_free(rules);
	rules = NULL;
	conf_free(cf);
	cf = NULL;
}

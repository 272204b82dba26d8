/*
 * engine.h - the hot path: line -> logline -> rule -> tracker, then at the end of
 * each tick: one state commit, held event lines out, coalesced map rewrites.
 *
 * For main.c, event.c and replay.c.  Owns the state environment, the maps and the
 * trackers for the life of the process; a SIGHUP hands it a new conf and ruleset.
 */
#ifndef POPAUTHD_ENGINE_H
#define POPAUTHD_ENGINE_H

#include "conf.h"
#include "evidence.h"
#include "logline.h"
#include "rule.h"
#include "trigger.h"

#include <stdbool.h>
#include <stddef.h>

struct engine_stats {
	unsigned long long lines, matched, unparsed;
	unsigned long long events[EV_NKINDS];
	unsigned long long commit_failures; /* state commits that failed */
};

/* engine_start - open state, maps and trackers; replay: log-time clock; 0 or -1 */
int engine_start(struct conf *c, struct ruleset *rs, bool replay);
struct input;
/*
 * engine_set_input - store in's position with each commit from now on, and
 * resume in after the position stored by the last run; 0 or -1 (logged)
 */
int engine_set_input(struct input *in);
/* engine_line - one log line (NUL-terminated at len, may hold NULs) */
void engine_line(char *line, size_t len);
/*
 * engine_line in two halves, for a replay that scans on another thread
 * (replay.c).  engine_scan parses and matches: it touches only the ruleset
 * and the replay's year, nothing engine_apply uses.  The scan's pointers
 * point into line; engine_apply sets sc->ev.line to &sc->ll.
 */
struct engine_scan {
	struct logline ll;
	struct event ev;
	bool parsed, matched;
	/* escaped ahead (engine_prepare) for a matched line, or NULL */
	const char *esc_line; /* the line as evidence keeps it */
	size_t esc_len;
	const char *esc[F_NFIELDS]; /* the fields trigger logs */
};
void engine_scan(char *line, size_t len, struct engine_scan *sc);
void engine_apply(struct engine_scan *sc, const char *line, size_t len);
/*
 * engine_prepare - for a matched sc of line, escape on the scanner's
 * thread what engine_apply would escape on its own (the evidence line,
 * the fields trigger logs) into room (ENGINE_PREPARE_MAX bytes): the
 * bytes used.  It reads the config, fixed while a replay runs.
 */
#define ENGINE_PREPARE_MAX (EVIDENCE_LINE_MAX + 4 * TRIGGER_FIELD_MAX)
size_t engine_prepare(
    struct engine_scan *sc, const char *line, size_t len, char *room);
/* engine_count - lines a scanner passed over (no match, no new clock) */
void engine_count(unsigned long long lines, unsigned long long unparsed);
/* engine_tick - commit changes, flush held events, rewrite maps when due */
void engine_tick(void);
/* engine_flush_all - commit and rewrite every dirty map now (exit, replay end) */
void engine_flush_all(void);
/* engine_timeout_ms - how long the loop may sleep: next timer or map flush; -1 = forever */
long long engine_timeout_ms(void);
/* engine_idle - the loop found no input waiting: the batched fsyncs (durable.h) */
void engine_idle(void);
/* engine_run_timers - fire due timers on the event clock */
void engine_run_timers(void);
/* engine_reload - take a new conf and ruleset (ownership passes on success; -1 keeps the old) */
int engine_reload(struct conf *c, struct ruleset *rs);
/* engine_periodic - slow checks: maps removed by hand, checkpoint */
void engine_periodic(void);
/* engine_stop - flush, close everything */
void engine_stop(void);
/* engine_stats - counters for status output */
const struct engine_stats *engine_stats(void);
struct lpair_stats;
/* engine_pair_stats - two-line login counters (status) */
const struct lpair_stats *engine_pair_stats(void);
/* engine_conf - the conf in force */
const struct conf *engine_conf(void);
/* engine_rules - the ruleset in force (status: rule_hits) */
const struct ruleset *engine_rules(void);

#endif

/*
 * evidence.h - why a client is listed, banned, fishing or granted: the last
 * log lines that changed its records, each with the rule that matched, the
 * event it made and what the trackers decided.
 *
 * For engine.c (evidence_add after a tracker acted; sync and synced in the
 * tick's one transaction, so a line's evidence is as kill -9 safe as the
 * record it explains; evidence_recfile for durable.c's fsync), ctl_cmd.c
 * and ctl_offline.c (popauthctl explain).  The lines are appended to
 * data_directory/evidence.journal; memory holds where they are.
 * Bounded: evidence_per_ip lines per address (the oldest goes first) and
 * evidence_max_ips addresses (a new one is refused, counted and said once
 * in a while, once the table is full).  An address whose records are all
 * gone loses its evidence at the next evidence_reap.  Text is escaped
 * (log_escape) before it is kept: it is attacker-written.
 */
#ifndef POPAUTHD_EVIDENCE_H
#define POPAUTHD_EVIDENCE_H

#include "addr.h"
#include "conf.h"
#include "state.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define EVIDENCE_LINE_MAX    240 /* bytes of the log line kept (escaped) */
#define EVIDENCE_OUTCOME_MAX 160

/* one kept line (borrowed during the callback) */
struct evidence_item {
	time_t when;
	const char *rule, *event, *outcome, *line;
};
typedef void evidence_fn(
    void *arg, const struct addr *ip, const struct evidence_item *it);

/* evidence_init - open the "evidence" table and the journal; 0 or -1 */
int evidence_init(const struct conf *c, struct state *s);
/* evidence_conf - new limits (a smaller per-IP bound applies at the next add) */
void evidence_conf(const struct conf *c);
/*
 * evidence_add - ip's record changed (or a protection applied) because of
 * line (len bytes; escaped and cut here, or already, by log_escape_len
 * into EVIDENCE_LINE_MAX, when escaped); copies everything
 */
void evidence_add(const struct addr *ip, time_t when, const char *rule,
    const char *event, const char *outcome, const char *line, size_t len,
    bool escaped);
/* evidence_reap - forget every address for which alive(ip) is false */
void evidence_reap(bool (*alive)(const struct addr *ip));
/* evidence_get - fn for each of ip's lines, oldest first; how many */
size_t evidence_get(const struct addr *ip, evidence_fn *fn, void *arg);
/* evidence_count - addresses with evidence; evidence_refused - new ones refused */
size_t evidence_count(void);
unsigned long long evidence_refused(void);
/* evidence_recfile - the journal the lines are in (NULL before init) */
struct recfile *evidence_recfile(void);
/* evidence_dirty, _sync, _synced - the tick's commit, as the trackers' */
bool evidence_dirty(void);
int evidence_sync(void);
void evidence_synced(void);
/* evidence_fini - free everything */
void evidence_fini(void);

#endif

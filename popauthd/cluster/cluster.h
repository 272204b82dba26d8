/*
 * cluster.h - several hosts, one memory: this node's grants, listings and
 * bans go to the cluster's PostgreSQL database, and every other node's come
 * back and are applied here.
 *
 * For the trackers (grant.c, blacklist*.c note what they decide), engine.c
 * (start, the tick's commit, the loop's timeout; it also wires how a remote
 * change is applied, so this module knows nobody above it) and ctl (status,
 * show).  With cluster_database empty every call is a no-op.
 *
 * A decision is noted into an outbox that is written to state in the same
 * transaction as the decision itself, so a kill -9 can lose neither one
 * without the other; the outbox is sent when the database is there, in
 * order, and emptied (in a later transaction) once the database holds it.
 * The id of the last change applied is kept in state the same way, so a
 * restart catches up from there.  Postfix keeps reading the local maps: the
 * database being down only delays what other nodes learn.
 */
#ifndef POPAUTHD_CLUSTER_H
#define POPAUTHD_CLUSTER_H

#include "addr.h"
#include "cluster_row.h"
#include "conf.h"
#include "state.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* how a remote change reaches the trackers (engine.c fills this in) */
struct cluster_apply {
	/*
	 * apply - make c (another node's decision) true here at now, as far
	 * as the merge rules allow; false when it changed nothing
	 */
	bool (*apply)(void *arg, const struct cluster_change *c, time_t now);
	void *arg;
};

/*
 * cluster_start - with c->cluster_database set: load the outbox and the last
 * applied id from state s, connect at the next cluster_poll; 0 or -1
 */
int cluster_start(
    const struct conf *c, struct state *s, const struct cluster_apply *ap);
/* cluster_conf - a reload (cluster_database and cluster_node need a restart) */
void cluster_conf(const struct conf *c);
/* cluster_enabled - true when a cluster database is configured */
bool cluster_enabled(void);
/*
 * cluster_note - this node decided kind for ip (expires: when it ends, -1
 * for removals; reason escaped, may be NULL); ignored while applying a
 * remote change, so nothing bounces back
 */
void cluster_note(enum cluster_kind kind, const struct addr *ip, time_t expires,
    const char *reason);
/* cluster_poll - connect, send, fetch as due (each loop tick) */
void cluster_poll(void);
/* cluster_timeout_ms - the loop's longest sleep for the link; -1 = none */
long long cluster_timeout_ms(void);
/* cluster_dirty - the outbox or the last applied id waits for cluster_sync */
bool cluster_dirty(void);
/* cluster_sync - write them into the open state transaction; 0 or -1 */
int cluster_sync(void);
/* cluster_synced - the commit held: new outbox entries may be sent */
void cluster_synced(void);
/* cluster_stop - close the link and free everything */
void cluster_stop(void);

struct cluster_status {
	bool enabled, connected;
	const char *node;
	size_t outbox;            /* changes waiting to be sent */
	long long last_id;        /* last change applied */
	long long lag_ms;         /* age of the newest change fetched */
	long long since_fetch_ms; /* since the last fetch; -1 never */
	unsigned long long applied, ignored, refused, published, failures;
	const char *last_error;
};

/* cluster_status - the link for popauthctl status */
void cluster_status(struct cluster_status *s);

/*
 * cluster_state_peek - the outbox size and last applied id stored in s
 * (popauthctl status with the daemon down); 0 or -1
 */
int cluster_state_peek(struct state *s, size_t *outbox, long long *last_id);

/* cluster_decision_fn - who decided what about an address */
typedef void cluster_decision_fn(void *arg, enum cluster_kind kind,
    const char *node, time_t at, bool applied);
/*
 * cluster_decisions - the last decisions of each kind about ip since this
 * process started, ours and other nodes' (applied false: a remote change
 * the merge rules ignored); returns how many
 */
size_t cluster_decisions(
    const struct addr *ip, cluster_decision_fn *fn, void *arg);

#endif

/*
 * cluster_pg.h - the link to the cluster's PostgreSQL database: connect,
 * create the tables, LISTEN, catch up, publish, prune; never blocking.
 *
 * For cluster.c, which owns the outbox and the last applied change id and
 * hands them over through struct clpg_ops.  Everything runs in the event
 * loop: libpq in non-blocking mode (PQconnectStart/PQconnectPoll,
 * PQsendQueryParams, PQconsumeInput, PQnotifies), the socket watched with
 * event_add_fd, one query in flight at a time.  A database that is down,
 * slow or refuses us costs the log input nothing: the link drops, says why
 * once, and tries again with a growing pause (0.5 s to 30 s).  Values from
 * log lines and other hosts are parameters, never SQL text.
 */
#ifndef POPAUTHD_CLUSTER_PG_H
#define POPAUTHD_CLUSTER_PG_H

#include "cluster_row.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* clpg_add_fn - one outbox change into the batch being built */
typedef void clpg_add_fn(
    void *batch, unsigned long long seq, const struct cluster_change *c);

struct clpg_ops {
	/*
	 * rows - changes fetched, oldest first (every node's but ours, each
	 * checked); last: the highest id read, refused and own rows included;
	 * lag_ms: how old the newest row was when read
	 */
	void (*rows)(void *arg, const struct cluster_change *v, size_t n,
	    long long last, long long lag_ms, size_t refused);
	/* last_id - where the next fetch starts */
	long long (*last_id)(void *arg);
	/* take - add up to max outbox changes to batch (marked in flight) */
	size_t (*take)(void *arg, size_t max, clpg_add_fn *add, void *batch);
	/* sent - the batch in flight was stored (ok) or must go again */
	void (*sent)(void *arg, bool ok);
	void *arg;
};

struct clpg_stats {
	bool connected;               /* tables ready, LISTEN active */
	long long up_since_ms;        /* mono_ms() of the last connect */
	long long last_rows_ms;       /* mono_ms() of the last fetch */
	long long lag_ms;             /* of the newest row fetched */
	unsigned long long connects;  /* successful connects */
	unsigned long long failures;  /* connects or queries that failed */
	unsigned long long published; /* changes stored in the database */
	unsigned long long fetched;   /* rows read */
	char last_error[160];         /* escaped, "" when none */
};

/*
 * clpg_start - remember conninfo and node (copied) and connect at the next
 * clpg_poll; retention: how long a change without effect is kept
 */
void clpg_start(const char *conninfo, const char *node, time_t retention,
    const struct clpg_ops *ops);
/* clpg_retention - a reloaded cluster_retention */
void clpg_retention(time_t retention);
/* clpg_poll - connect when due; start the next query when idle */
void clpg_poll(void);
/* clpg_timeout_ms - when clpg_poll has work: a reconnect or a deadline; -1 none */
long long clpg_timeout_ms(void);
/* clpg_stop - close the connection (what is in flight goes again next run) */
void clpg_stop(void);
/* clpg_fini - close and forget the link (exit, tests) */
void clpg_fini(void);
/* clpg_stats - the link's state (borrowed) */
const struct clpg_stats *clpg_stats(void);

#endif

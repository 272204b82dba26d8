/*
 * cluster_pg.c - the non-blocking PostgreSQL link (see cluster_pg.h).
 *
 * States: down (waiting out a pause), connecting (PQconnectPoll tells which
 * way to watch the socket), setup (a query asks whether the tables, views
 * and functions are there; if not, one simple query creates them; then
 * LISTEN: a role that may not create anything uses what an admin made
 * with etc/popauthd.sql), ready.  When ready and
 * idle, clpg_kick starts the next query: a fetch when a NOTIFY came (or at
 * connect: the catch-up), else a batch from the outbox, else now and then
 * a prune.  A query or connect running past its deadline drops the link, so
 * a database that stops answering is treated like one that is down.
 *
 * Batches go to popauthd_publish() as arrays, one call per batch: its
 * advisory lock makes ids commit in id order, so a reader that catches up
 * "from the last id it applied" can never skip a row that commits late.
 * The SQL itself is cluster_sql.c.
 */
#include "cluster_pg.h"
#include "cluster_sql.h"
#include "clock.h"
#include "event.h"
#include "log.h"
#include "util.h"

#include <libpq-fe.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLPG_FETCH_MAX    1000   /* rows per fetch */
#define CLPG_BATCH_MAX    500    /* changes per publish call */
#define CLPG_CONNECT_MS   10000  /* a connect takes at most this */
#define CLPG_QUERY_MS     30000  /* a query takes at most this */
#define CLPG_PRUNE_MS     600000 /* prune every 10 minutes at most */
#define CLPG_PAUSE_MIN_MS 500
#define CLPG_PAUSE_MAX_MS 30000

enum clpg_state { PG_DOWN, PG_CONNECTING, PG_SETUP, PG_READY };
enum clpg_query { Q_NONE, Q_CHECK, Q_SETUP, Q_FETCH, Q_PUBLISH, Q_PRUNE };

static struct {
	char *conninfo, *node;
	time_t retention;
	struct clpg_ops ops;
	bool started;
	PGconn *conn;
	enum clpg_state st;
	enum clpg_query q;
	int fd;             /* watched, or -1 */
	bool watch_write;   /* watched for writing */
	long long deadline; /* mono_ms of the connect's or query's end */
	long long next_try, pause, last_prune;
	bool need_fetch;
	bool have_schema; /* Q_CHECK found every table, view and function */
	bool failed_said; /* the current outage was logged */
	size_t inflight;  /* changes in the publish call in flight */
	struct clpg_stats stats;
} pg = {.fd = -1};

static void clpg_on_fd(void *arg, int fd);

/* clpg_prune_ms - every 10 minutes, or every cluster_retention if shorter */
static long long
clpg_prune_ms(void)
{
	long long r = (long long)pg.retention * 1000;

	return r < CLPG_PRUNE_MS ? r : CLPG_PRUNE_MS;
}
static void clpg_kick(void);

const struct clpg_stats *
clpg_stats(void)
{
	return &pg.stats;
}

/* clpg_watch - watch the connection's socket for reading or writing */
static void
clpg_watch(bool write)
{
	int fd = pg.conn != NULL ? PQsocket(pg.conn) : -1;

	if (pg.fd >= 0 && (pg.fd != fd || pg.watch_write != write)) {
		event_del_fd(pg.fd);
		pg.fd = -1;
	}
	if (fd >= 0 && pg.fd != fd) {
		if (event_add_fd(fd, write, clpg_on_fd, NULL) < 0) {
			log_warn("cluster: no room in the event loop for the "
			         "database socket");
			return;
		}
		pg.fd = fd;
		pg.watch_write = write;
	}
}

/* clpg_notice - libpq's notices go to our debug log, not to stderr */
static void
clpg_notice(void *arg, const char *msg)
{
	char esc[300];

	UNUSED(arg);
	log_debug("cluster: database says: %s",
	    log_escape(esc, sizeof(esc), msg, strcspn(msg, "\n")));
}

/* clpg_drop - close the link after a failure (why: escaped here) */
static void
clpg_drop(const char *what, const char *why)
{
	char esc[400];

	log_escape(esc, sizeof(esc), why != NULL ? why : "",
	    why != NULL ? strcspn(why, "\n") : 0);
	snprintf(pg.stats.last_error, sizeof(pg.stats.last_error),
	    "%.50s: %.100s", what, esc);
	/* said once per outage; the reconnect attempts stay quiet */
	if (!pg.failed_said || pg.st == PG_READY)
		log_warn("cluster: %s: %s; popauthd keeps working locally and "
		         "sends its changes when the database is back",
		    what, esc);
	pg.failed_said = true;
	pg.stats.failures++;
	if (pg.q == Q_PUBLISH)
		pg.ops.sent(pg.ops.arg, false);
	clpg_stop();
	pg.next_try = mono_ms() + pg.pause;
	pg.pause =
	    pg.pause * 2 > CLPG_PAUSE_MAX_MS ? CLPG_PAUSE_MAX_MS : pg.pause * 2;
}

void
clpg_stop(void)
{
	if (pg.fd >= 0)
		event_del_fd(pg.fd);
	pg.fd = -1;
	if (pg.conn != NULL)
		PQfinish(pg.conn);
	pg.conn = NULL;
	pg.st = PG_DOWN;
	pg.q = Q_NONE;
	pg.stats.connected = false;
}

void
clpg_fini(void)
{
	clpg_stop();
	free(pg.conninfo);
	free(pg.node);
	pg.conninfo = pg.node = NULL;
	pg.started = false;
	memset(&pg.stats, 0, sizeof(pg.stats));
}

void
clpg_start(const char *conninfo, const char *node, time_t retention,
    const struct clpg_ops *ops)
{
	free(pg.conninfo);
	free(pg.node);
	pg.conninfo = xstrdup(conninfo);
	pg.node = xstrdup(node);
	pg.retention = retention;
	pg.ops = *ops;
	pg.started = true;
	pg.pause = CLPG_PAUSE_MIN_MS;
	pg.next_try = 0;
	pg.last_prune = mono_ms();
}

void
clpg_retention(time_t retention)
{
	pg.retention = retention;
}

/* clpg_send - start query q; false after dropping the link */
static bool
clpg_send(enum clpg_query q, const char *sql, int n, const char *const *v)
{
	int ok = n < 0
	    ? PQsendQuery(pg.conn, sql)
	    : PQsendQueryParams(pg.conn, sql, n, NULL, v, NULL, NULL, 0);

	if (!ok) {
		clpg_drop("cannot send a query", PQerrorMessage(pg.conn));
		return false;
	}
	pg.q = q;
	pg.deadline = mono_ms() + CLPG_QUERY_MS;
	/* non-blocking: what did not fit in the socket goes when writable */
	switch (PQflush(pg.conn)) {
	case 0:
		clpg_watch(false);
		return true;
	case 1:
		clpg_watch(true);
		return true;
	default:
		clpg_drop("cannot send a query", PQerrorMessage(pg.conn));
		return false;
	}
}

/* clpg_connect - start a connection (PQconnectStart never blocks) */
static void
clpg_connect(void)
{
	pg.conn = PQconnectStart(pg.conninfo);
	if (pg.conn == NULL) {
		clpg_drop(
		    "cannot connect to the cluster database", "out of memory");
		return;
	}
	if (PQstatus(pg.conn) == CONNECTION_BAD) {
		clpg_drop("cannot connect to the cluster database",
		    PQerrorMessage(pg.conn));
		return;
	}
	PQsetNoticeProcessor(pg.conn, clpg_notice, NULL);
	pg.st = PG_CONNECTING;
	pg.deadline = mono_ms() + CLPG_CONNECT_MS;
	clpg_watch(true); /* PQconnectPoll first wants the socket writable */
}

/* clpg_connect_poll - one step of the connection */
static void
clpg_connect_poll(void)
{
	switch (PQconnectPoll(pg.conn)) {
	case PGRES_POLLING_READING:
		clpg_watch(false);
		return;
	case PGRES_POLLING_WRITING:
		clpg_watch(true);
		return;
	case PGRES_POLLING_OK:
		if (PQsetnonblocking(pg.conn, 1) != 0) {
			clpg_drop("cannot use the cluster database",
			    PQerrorMessage(pg.conn));
			return;
		}
		pg.st = PG_SETUP;
		/* a role that may not create finds what an admin made */
		clpg_send(Q_CHECK, clsql_check, -1, NULL);
		return;
	case PGRES_POLLING_FAILED:
	case PGRES_POLLING_ACTIVE:
		break;
	}
	clpg_drop(
	    "cannot connect to the cluster database", PQerrorMessage(pg.conn));
}

/* clpg_rows - a fetch's result to cluster.c */
static void
clpg_rows(PGresult *res)
{
	int i, n = PQntuples(res);
	struct cluster_change *v = xcalloc((size_t)n + 1, sizeof(*v));
	size_t k = 0, refused = 0;
	long long last = pg.ops.last_id(pg.ops.arg), lag = -1, id;
	time_t now = clock_now();

	for (i = 0; i < n; i++) {
		struct clrow_text t = {0};
		const char *why;
		const char **f[] = {&t.id, &t.node, &t.kind, &t.host,
		    &t.masklen, &t.left, &t.age, &t.reason};
		int j;

		for (j = 0; j < (int)NITEMS(f); j++)
			*f[j] = PQgetisnull(res, i, j) ? NULL
			                               : PQgetvalue(res, i, j);
		if (t.id != NULL && parse_long(t.id, 1, 1LL << 62, &id) == 0 &&
		    id > last)
			last = id; /* a refused row is passed over too */
		if (!PQgetisnull(res, i, 8))
			parse_long(PQgetvalue(res, i, 8), 0, 1LL << 50, &lag);
		if (clrow_parse(&t, now, &v[k], &why) < 0) {
			char esc[80];

			refused++;
			log_warn("cluster: change id %s refused: bad %s",
			    log_escape(esc, sizeof(esc),
			        t.id != NULL ? t.id : "?",
			        t.id != NULL ? strlen(t.id) : 1),
			    why);
			continue;
		}
		if (strcmp(v[k].node, pg.node) == 0)
			continue; /* ours, applied when made */
		k++;
	}
	pg.stats.fetched += (unsigned long long)n;
	pg.stats.last_rows_ms = mono_ms();
	if (n > 0)
		pg.stats.lag_ms = lag;
	/* a full page: more may wait */
	pg.need_fetch = pg.need_fetch || n >= CLPG_FETCH_MAX;
	pg.ops.rows(pg.ops.arg, v, k, last, lag, refused);
	free(v);
}

struct clpg_batch {
	struct clrow_array seq, kind, ip, left, age, reason;
	time_t now;
	size_t n;
};

/* clpg_add - clpg_add_fn: one change into the arrays */
static void
clpg_add(void *arg, unsigned long long seq, const struct cluster_change *c)
{
	struct clpg_batch *b = arg;
	char ip[ADDR_STRLEN + 4];

	clrow_array_addnum(&b->seq, (long long)seq);
	clrow_array_add(&b->kind, clrow_kind_name(c->kind));
	clrow_array_add(&b->ip, clrow_ip_text(&c->ip, ip, sizeof(ip)));
	if (c->expires < 0)
		clrow_array_add(&b->left, NULL);
	else /* a duration: the database adds its own now() */
		clrow_array_addnum(&b->left, (long long)(c->expires - b->now));
	clrow_array_addnum(
	    &b->age, c->at < b->now ? (long long)(b->now - c->at) : 0);
	clrow_array_add(&b->reason, c->reason);
	b->n++;
}

/* clpg_publish - send a batch from the outbox; false when there is none */
static bool
clpg_publish(void)
{
	struct clpg_batch b;
	const char *v[7];

	memset(&b, 0, sizeof(b));
	b.now = clock_now();
	if (pg.ops.take(pg.ops.arg, CLPG_BATCH_MAX, clpg_add, &b) == 0)
		return false;
	v[0] = pg.node;
	v[1] = clrow_array_end(&b.seq);
	v[2] = clrow_array_end(&b.kind);
	v[3] = clrow_array_end(&b.ip);
	v[4] = clrow_array_end(&b.left);
	v[5] = clrow_array_end(&b.age);
	v[6] = clrow_array_end(&b.reason);
	pg.q = Q_PUBLISH; /* so a failed send gives the batch back */
	pg.inflight = b.n;
	clpg_send(Q_PUBLISH, clsql_publish, 7, v);
	clrow_array_free(&b.seq);
	clrow_array_free(&b.kind);
	clrow_array_free(&b.ip);
	clrow_array_free(&b.left);
	clrow_array_free(&b.age);
	clrow_array_free(&b.reason);
	return true;
}

/* clpg_kick - when ready and idle: the next query, if any */
static void
clpg_kick(void)
{
	char buf[32];
	const char *v[1] = {buf};

	if (pg.st != PG_READY || pg.q != Q_NONE)
		return;
	if (pg.need_fetch) {
		pg.need_fetch = false;
		snprintf(buf, sizeof(buf), "%lld", pg.ops.last_id(pg.ops.arg));
		clpg_send(Q_FETCH, clsql_fetch, 1, v);
		return;
	}
	if (clpg_publish())
		return;
	if (mono_ms() - pg.last_prune >= clpg_prune_ms()) {
		pg.last_prune = mono_ms();
		snprintf(buf, sizeof(buf), "%lld", (long long)pg.retention);
		clpg_send(Q_PRUNE, clsql_prune, 1, v);
	}
}

/* clpg_result - one result of the query in flight; false after a drop */
static bool
clpg_result(PGresult *res)
{
	ExecStatusType s = PQresultStatus(res);

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		char what[64];

		snprintf(what, sizeof(what), "cluster database %s failed",
		    pg.q == Q_SETUP || pg.q == Q_CHECK ? "setup"
		        : pg.q == Q_FETCH              ? "fetch"
		        : pg.q == Q_PUBLISH            ? "publish"
		                                       : "prune");
		clpg_drop(what, PQresultErrorMessage(res));
		return false;
	}
	switch (pg.q) {
	case Q_FETCH:
		clpg_rows(res);
		break;
	case Q_PUBLISH:
		pg.stats.published += pg.inflight;
		pg.ops.sent(pg.ops.arg, true);
		break;
	case Q_CHECK:
		pg.have_schema = PQntuples(res) == 1 &&
		    strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		break;
	case Q_SETUP:
	case Q_PRUNE:
	case Q_NONE:
		break;
	}
	return true;
}

/* clpg_done - the query in flight has ended well */
static void
clpg_done(void)
{
	enum clpg_query q = pg.q;

	pg.q = Q_NONE;
	if (q == Q_CHECK) {
		clpg_send(Q_SETUP, pg.have_schema ? clsql_listen : clsql_schema,
		    -1, NULL);
		return;
	}
	if (q == Q_SETUP) {
		pg.st = PG_READY;
		pg.stats.connected = true;
		pg.stats.connects++;
		pg.stats.up_since_ms = mono_ms();
		pg.stats.last_error[0] = '\0';
		pg.pause = CLPG_PAUSE_MIN_MS;
		pg.need_fetch = true; /* catch up from the last id applied */
		log_info("cluster: connected to the cluster database as node "
		         "%s",
		    pg.node);
		pg.failed_said = false;
	}
	clpg_kick();
}

/* clpg_on_fd - event_fd_fn: the database socket is ready */
static void
clpg_on_fd(void *arg, int fd)
{
	PGresult *res;
	PGnotify *nf;

	UNUSED(arg);
	UNUSED(fd);
	if (pg.st == PG_CONNECTING) {
		clpg_connect_poll();
		return;
	}
	if (pg.conn == NULL)
		return;
	if (pg.watch_write) {
		int r = PQflush(pg.conn);

		if (r < 0) {
			clpg_drop(
			    "cannot send a query", PQerrorMessage(pg.conn));
			return;
		}
		if (r == 1)
			return;
		clpg_watch(false);
		return;
	}
	if (!PQconsumeInput(pg.conn)) {
		clpg_drop("lost the cluster database", PQerrorMessage(pg.conn));
		return;
	}
	while (pg.q != Q_NONE && !PQisBusy(pg.conn)) {
		if ((res = PQgetResult(pg.conn)) == NULL) {
			clpg_done();
			break;
		}
		if (!clpg_result(res)) {
			PQclear(res);
			return;
		}
		PQclear(res);
	}
	while (pg.conn != NULL && (nf = PQnotifies(pg.conn)) != NULL) {
		/* another node published: fetch (our own NOTIFY needs none) */
		if (nf->extra == NULL || strcmp(nf->extra, pg.node) != 0)
			pg.need_fetch = true;
		PQfreemem(nf);
	}
	clpg_kick();
}

void
clpg_poll(void)
{
	long long now = mono_ms();

	if (!pg.started)
		return;
	if (pg.st == PG_DOWN) {
		if (now >= pg.next_try)
			clpg_connect();
		return;
	}
	if (now >= pg.deadline &&
	    (pg.st == PG_CONNECTING || pg.st == PG_SETUP || pg.q != Q_NONE)) {
		clpg_drop(pg.st == PG_CONNECTING
		        ? "cannot connect to the cluster database"
		        : "cluster database query",
		    "timed out");
		return;
	}
	clpg_kick();
}

long long
clpg_timeout_ms(void)
{
	long long now = mono_ms(), t;

	if (!pg.started)
		return -1;
	if (pg.st == PG_DOWN)
		t = pg.next_try - now;
	else if (pg.st != PG_READY || pg.q != Q_NONE)
		t = pg.deadline - now;
	else
		t = pg.last_prune + clpg_prune_ms() - now;
	return t < 0 ? 0 : t;
}

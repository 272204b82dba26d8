/*
 * replay.c - the two-thread replay (see replay.h).
 *
 * The scanner fills batches.  A matched line is copied into the batch's
 * arena with its scan, whose pointers are moved to the copy; a line that
 * moves the log's clock leaves only its stamp; every other line is only
 * counted.  A ring of REPLAY_BATCHES batches carries them to the main
 * thread in order and back.  While the scanner runs it alone touches the
 * input, the ruleset and the replay's year (engine_scan); the main thread
 * alone touches the trackers, the state and the maps (engine_apply); a
 * third (base/wbehind.c) writes the log's and the evidence's buffers.
 */
#include "replay.h"
#include "engine.h"
#include "input.h"
#include "log.h"
#include "util.h"
#include "wbehind.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * A replay commits once per REPLAY_CHUNK of input: each record an address
 * changed is written once per commit, not once per few MiB.  A replay
 * cannot resume (run again, it would count its lines twice), so a commit
 * only bounds one transaction's locks and log; on an empty state libdb
 * logs a transaction's new pages by allocation only, and a 5M-line replay
 * committing every 256 MiB spent a sixth of its main thread in the state's
 * puts and their log (one commit: a sixteenth).  Its tables
 * are written at the end, so its event lines tell what the log's lines
 * did, not what Postfix sees: log.c's batch mode writes them out every
 * MiB, before the commit, rather than let them pile up.
 */
#define REPLAY_CHUNK (1UL << 30)
/* > LINEBUF_LINE_MAX + ENGINE_PREPARE_MAX: a line always fits */
#define REPLAY_ARENA   (1 << 20)
#define REPLAY_ITEMS   4096
#define REPLAY_BATCHES 4

struct item {
	struct engine_scan sc;
	unsigned long long lines, unparsed; /* passed over before this one */
	size_t off, len;                    /* a matched line in the arena */
};

struct batch {
	struct item v[REPLAY_ITEMS];
	size_t n;
	char *arena;
	size_t used;
	unsigned long long lines,
	    unparsed;   /* passed over since the last item */
	bool chunk_end; /* commit after this batch */
	bool last;
	int rc;
};

struct replay {
	struct batch *b[REPLAY_BATCHES];
	unsigned long produced, consumed; /* batches handed over, given back */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct input *in;
	size_t chunk;      /* input per commit */
	struct batch *cur; /* the scanner's */
	time_t when; /* the last stamp handed over (0: hand over the next) */
};

/* claim - the scanner's next batch, once the main thread gave it back */
static struct batch *
claim(struct replay *r)
{
	struct batch *b;

	pthread_mutex_lock(&r->mu);
	while (r->produced - r->consumed == REPLAY_BATCHES)
		pthread_cond_wait(&r->cv, &r->mu);
	b = r->b[r->produced % REPLAY_BATCHES];
	pthread_mutex_unlock(&r->mu);
	b->n = b->used = 0;
	b->lines = b->unparsed = 0;
	b->chunk_end = b->last = false;
	b->rc = 0;
	return b;
}

/* publish - hand the scanner's batch to the main thread */
static void
publish(struct replay *r)
{
	pthread_mutex_lock(&r->mu);
	r->produced++;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* moved - p, when it points into from[0..len], at the same place in to */
static const char *
moved(const char *p, const char *from, size_t len, const char *to)
{
	uintptr_t a = (uintptr_t)p, f = (uintptr_t)from;

	return p != NULL && a >= f && a <= f + len ? to + (a - f) : p;
}

/* keep - copy a matched line into the arena and point its scan at the copy */
static void
keep(struct batch *b, struct item *it, const char *line, size_t len)
{
	struct engine_scan *sc = &it->sc;
	char *to = b->arena + b->used;
	int f;

	memcpy(to, line, len);
	to[len] = '\0';
	it->off = b->used;
	it->len = len;
	b->used += len + 1;
	sc->ll.host = moved(sc->ll.host, line, len, to);
	sc->ll.tag = moved(sc->ll.tag, line, len, to);
	sc->ll.pid = moved(sc->ll.pid, line, len, to);
	sc->ll.msg = moved(sc->ll.msg, line, len, to);
	for (f = 0; f < F_NFIELDS; f++)
		sc->ev.f[f].p = moved(sc->ev.f[f].p, line, len, to);
}

static void
scan_line(void *arg, char *line, size_t len)
{
	struct replay *r = arg;
	struct batch *b = r->cur;
	struct engine_scan sc;
	struct item *it;

	engine_scan(line, len, &sc);
	if (!sc.parsed) {
		b->lines++;
		b->unparsed++;
		return;
	}
	if (!sc.matched && (sc.ll.when <= 0 || sc.ll.when == r->when)) {
		b->lines++;
		return;
	}
	if (b->n == REPLAY_ITEMS ||
	    (sc.matched &&
	        b->used + len + 1 + ENGINE_PREPARE_MAX > REPLAY_ARENA)) {
		publish(r);
		b = r->cur = claim(r);
	}
	it = &b->v[b->n++];
	it->sc = sc;
	it->lines = b->lines;
	it->unparsed = b->unparsed;
	b->lines = b->unparsed = 0;
	it->off = it->len = 0;
	/* after a match, the next stamped line runs the timers it may have set */
	r->when = sc.matched ? 0 : sc.ll.when;
	if (sc.matched) {
		keep(b, it, line, len);
		/* escaping here spares the busier main thread */
		b->used += engine_prepare(
		    &it->sc, b->arena + it->off, len, b->arena + b->used);
	}
}

static void *
scanner(void *arg)
{
	struct replay *r = arg;
	int rc;

	r->cur = claim(r);
	while ((rc = input_read(r->in, r->chunk, scan_line, r)) > 0) {
		r->cur->chunk_end = true;
		publish(r);
		r->cur = claim(r);
	}
	input_finish(r->in, scan_line, r);
	r->cur->last = true;
	r->cur->rc = rc;
	publish(r);
	return NULL;
}

/* apply - the batch's lines, in order, on the main thread */
static void
apply(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		struct item *it = &b->v[i];

		engine_count(it->lines, it->unparsed);
		engine_apply(&it->sc, b->arena + it->off, it->len);
	}
	engine_count(b->lines, b->unparsed);
}

static void
serial_line(void *arg, char *line, size_t len)
{
	UNUSED(arg);
	engine_line(line, len);
}

/* serial - the same on one thread (test 058 compares the two) */
static int
serial(struct input *in, size_t chunk)
{
	int rc;

	while ((rc = input_read(in, chunk, serial_line, NULL)) > 0)
		engine_tick();
	input_finish(in, serial_line, NULL);
	return rc < 0 ? -1 : 0;
}

int
replay_run(struct input *in)
{
	const char *serial_env = getenv("POPAUTHD_TEST_REPLAY_SERIAL");
	const char *chunk_env = getenv("POPAUTHD_TEST_REPLAY_CHUNK");
	struct replay r;
	pthread_t t;
	bool last = false, tick = false;
	int rc = 0, e;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.in = in;
	r.chunk = REPLAY_CHUNK;
	if (chunk_env != NULL && atol(chunk_env) > 0)
		r.chunk = (size_t)atol(chunk_env);
	if (serial_env != NULL && *serial_env != '\0')
		return serial(in, r.chunk);
	for (i = 0; i < REPLAY_BATCHES; i++) {
		r.b[i] = xcalloc(1, sizeof(*r.b[i]));
		r.b[i]->arena = xmalloc(REPLAY_ARENA);
	}
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	if ((e = pthread_create(&t, NULL, scanner, &r)) != 0)
		log_panic(
		    "replay: cannot start the scanner thread: %s", strerror(e));
	pthread_setname_np(t, "popauthd-scan"); /* top -H, perf */
	wb_start(); /* the log's and the evidence's writes off this thread */
	while (!last) {
		struct batch *b;

		pthread_mutex_lock(&r.mu);
		while (r.consumed == r.produced)
			pthread_cond_wait(&r.cv, &r.mu);
		b = r.b[r.consumed % REPLAY_BATCHES];
		pthread_mutex_unlock(&r.mu);
		/*
		 * A chunk's commit waits for the next batch: after the last
		 * one, engine_stop's commit takes it, beside the tables'
		 * write (engine_flush_all)
		 */
		if (tick && !b->last)
			engine_tick();
		tick = false;
		apply(b);
		if (b->chunk_end)
			tick = true;
		last = b->last;
		rc = b->rc;
		pthread_mutex_lock(&r.mu);
		r.consumed++;
		pthread_cond_broadcast(&r.cv);
		pthread_mutex_unlock(&r.mu);
	}
	pthread_join(t, NULL);
	wb_stop();
	pthread_cond_destroy(&r.cv);
	pthread_mutex_destroy(&r.mu);
	for (i = 0; i < REPLAY_BATCHES; i++) {
		free(r.b[i]->arena);
		free(r.b[i]);
	}
	return rc < 0 ? -1 : 0;
}

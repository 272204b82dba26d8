/*
 * mapflush.c - when the two Postfix tables are written (see mapflush.h).
 */
#include "mapflush.h"
#include "blacklist.h"
#include "durable.h"
#include "grant.h"
#include "log.h"
#include "map.h"
#include "util.h"

#include <time.h>

/* records: from here a hash: table is written by a child */
#define MAPFLUSH_BG_MIN 5000

struct mapflush {
	struct map *m;
	map_walk_fn *walk;
	size_t (*count)(void);
	long long last_ms;  /* the last write's start */
	long long retry_ms; /* after a failure */
	unsigned int fails;
	double started; /* a background write's start (metrics) */
};

static struct mapflush tables[2];
static long long delay;
static struct mapflush_stats stats;

void
mapflush_init(struct map *relay, struct map *bl, long long delay_ms)
{
	tables[MAPFLUSH_RELAY] = (struct mapflush){
	    .m = relay, .walk = grant_map_walk, .count = grant_count};
	tables[MAPFLUSH_BL] =
	    (struct mapflush){.m = bl, .walk = bl_map_walk, .count = bl_count};
	delay = delay_ms;
}

void
mapflush_conf(long long delay_ms)
{
	delay = delay_ms;
}

const struct mapflush_stats *
mapflush_stats(void)
{
	return &stats;
}

bool
mapflush_ready(void *arg, unsigned long long relay, unsigned long long bl)
{
	UNUSED(arg);
	return map_holds(tables[MAPFLUSH_RELAY].m, relay) &&
	    map_holds(tables[MAPFLUSH_BL].m, bl);
}

/* mono_secs - a monotonic clock fine enough to time a map write */
static double
mono_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* mapflush_timed - count one map write of secs seconds (metrics) */
static void
mapflush_timed(double secs)
{
	static const double bounds[MAPFLUSH_BUCKETS] = MAPFLUSH_BOUNDS;
	size_t b = 0;

	while (b < MAPFLUSH_BUCKETS && secs > bounds[b])
		b++;
	stats.le[b]++;
	stats.flushes++;
	stats.seconds += secs;
}

/* mapflush_done - account for a finished write (1 ok, -1 failed) */
static void
mapflush_done(struct mapflush *t, int rc, long long now)
{
	if (rc < 0)
		stats.failures++;
	if (rc > 0) {
		/* an in-place table's write waits for its fsync (group commit) */
		if (map_in_place(t->m))
			durable_note(now);
		log_events_release(mapflush_ready, NULL);
		if (t->fails > 0)
			log_info("%s: written again after %u failed attempts",
			    map_path(t->m), t->fails);
		t->fails = 0;
		return;
	}
	/* map.c said why; the map stays dirty; back off up to 30 s */
	t->fails++;
	t->retry_ms = now + (t->fails < 8 ? 250LL << t->fails : 30000);
}

/* mapflush_delay - lmdb: is changed in place (no smtpd restart): 0 */
static long long
mapflush_delay(const struct map *m)
{
	return map_in_place(m) ? 0 : delay;
}

void
mapflush_run(int i, bool force)
{
	struct mapflush *t = &tables[i];
	long long now = mono_ms();
	size_t n = t->count();
	int rc;

	if (map_busy(t->m)) {
		/* one background rewrite at a time: renames must not cross */
		rc = force ? map_wait(t->m) : map_poll(t->m);
		if (rc == 0)
			return;
		mapflush_timed(mono_secs() - t->started);
		mapflush_done(t, rc, now);
	}
	if (!map_dirty(t->m))
		return;
	if (!force && now - t->last_ms < mapflush_delay(t->m))
		return;
	if (!force && t->fails > 0 && now < t->retry_ms)
		return;
	map_size_hint(t->m, n);
	t->last_ms = now;
	t->started = mono_secs();
	/* a big table is written by a child, so the loop keeps answering */
	if (!force && n >= MAPFLUSH_BG_MIN && !map_delta_cheap(t->m) &&
	    map_flush_bg(t->m, t->walk, NULL) == 0)
		return;
	rc = map_flush(t->m, t->walk, NULL);
	mapflush_timed(mono_secs() - t->started);
	mapflush_done(t, rc == 0 ? 1 : -1, now);
}

void
mapflush_start(int i)
{
	struct mapflush *t = &tables[i];

	if (map_busy(t->m) || !map_dirty(t->m))
		return;
	map_size_hint(t->m, t->count());
	t->last_ms = mono_ms();
	t->started = mono_secs();
	(void)map_flush_bg(t->m, t->walk, NULL); /* else mapflush_run writes */
}

long long
mapflush_due(long long now)
{
	long long t = -1;
	int i;

	for (i = 0; i < 2; i++) {
		const struct mapflush *f = &tables[i];
		long long due;

		if (f->m == NULL || !map_dirty(f->m))
			continue;
		due = f->last_ms + mapflush_delay(f->m) - now;
		if (f->fails > 0 && f->retry_ms - now > due)
			due = f->retry_ms - now;
		if (due < 0)
			due = 0;
		if (t < 0 || due < t)
			t = due;
	}
	return t;
}

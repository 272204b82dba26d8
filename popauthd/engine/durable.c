/*
 * durable.c - group commit (see durable.h).
 */
#include "durable.h"
#include "recfile.h"
#include "map.h"
#include "state.h"
#include "util.h"

static struct state *st;
static struct recfile *jr;
static struct map *maps[2];
static bool pending;
static long long since; /* the first change not yet synced (mono ms) */

void
durable_init(
    struct state *s, struct recfile *j, struct map *relay, struct map *bl)
{
	st = s;
	jr = j;
	maps[0] = relay;
	maps[1] = bl;
	pending = false;
}

void
durable_note(long long now)
{
	if (st == NULL || pending)
		return;
	pending = true;
	since = now;
}

bool
durable_pending(void)
{
	return pending;
}

void
durable_sync(void)
{
	if (!pending)
		return;
	/* each call logs its own failure; the next change tries again */
	pending = false;
	if (jr != NULL) /* before the mark that counts its records */
		recfile_sync(jr);
	state_sync(st);
	map_sync(maps[0]);
	map_sync(maps[1]);
}

void
durable_poll(long long now, bool idle)
{
	if (pending && (idle || now - since >= DURABLE_MAX_MS))
		durable_sync();
}

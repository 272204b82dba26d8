/*
 * map_core.c - the state every kind of table shares (see map_core_int.h): the
 * change list's reset, the change numbers a flush makes visible, and the
 * writer calls a walk or a delta makes (map_put).
 */
#include "map_core_int.h"
#include "log.h"
#include "util.h"

#include <string.h>

void
map_touch(struct map *m)
{
	m->changes++;
	m->dirty = true;
	m->full = true;
	m->nchanged = 0;
}

void
map_flushed(struct map *m, bool full)
{
	m->dirty = false;
	m->flushes++;
	m->visible = m->changes;
	m->since_full = full ? 0 : m->since_full + m->nchanged;
	m->full = false;
	m->nchanged = 0;
}

void
map_put(struct map_writer *w, const char *key, const char *value)
{
	if (w->err != 0)
		return;
	if ((w->err = w->be->put(w->h, w->tmp, key, value)) == 0)
		w->n++;
}

uint32_t
map_addr_order(void *arg, const struct addr *a)
{
	const struct map_writer *w = arg;
	char key[ADDR_STRLEN];

	if (w->order_mask == 0 || addr_map_key(a, key, sizeof(key)) == NULL)
		return 0;
	return w->be->order(key, w->order_mask);
}

void
map_writer_del(struct map_writer *w, const char *key)
{
	if (w->err == 0)
		w->err = w->be->del(w->h, w->tmp, key);
}

bool
map_delta_ready(const struct map *m)
{
	size_t limit = m->hint > 1024 ? m->hint : 1024;

	/* in place: a delta never leaves a file to compact */
	if (m->be->in_place)
		return m->value != NULL && !m->full && m->nchanged > 0;
	/* deletes leave room behind: a full rewrite now and then compacts */
	return m->value != NULL && !m->full && m->nchanged > 0 &&
	    m->since_full + m->nchanged <= limit;
}

/*
 * iptab.c - open-addressing hash table keyed by client address (see iptab.h).
 *
 * Each slot caches the hash next to the record pointer, so a probe compares
 * addresses only on a full hash match.  Load factor stays under 3/4; deletion
 * shifts the following cluster back instead of leaving tombstones, so a table
 * that churns through millions of attackers never degrades.
 */
#include "iptab.h"
#include "log.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>

struct slot {
	uint64_t hash;
	void *rec; /* NULL = empty */
};

struct iptab {
	struct slot *slots;
	size_t mask; /* capacity - 1, capacity a power of two */
	size_t n;
	iptab_key_fn *key;
};

struct iptab *
iptab_new(iptab_key_fn *key)
{
	struct iptab *t = xcalloc(1, sizeof(*t));

	t->mask = 63;
	t->slots = xcalloc(t->mask + 1, sizeof(*t->slots));
	t->key = key;
	return t;
}

void
iptab_free(struct iptab *t)
{
	if (t == NULL)
		return;
	free(t->slots);
	free(t);
}

static size_t
iptab_find(const struct iptab *t, const struct addr *a, uint64_t h)
{
	size_t i = h & t->mask;

	while (t->slots[i].rec != NULL) {
		if (t->slots[i].hash == h &&
		    addr_equal(t->key(t->slots[i].rec), a))
			return i;
		i = (i + 1) & t->mask;
	}
	return i;
}

void *
iptab_get(const struct iptab *t, const struct addr *a)
{
	return t->slots[iptab_find(t, a, addr_hash(a))].rec;
}

static void
iptab_grow(struct iptab *t)
{
	struct slot *old = t->slots;
	size_t oldcap = t->mask + 1, i;

	t->mask = oldcap * 2 - 1;
	t->slots = xcalloc(t->mask + 1, sizeof(*t->slots));
	for (i = 0; i < oldcap; i++) {
		size_t j;

		if (old[i].rec == NULL)
			continue;
		j = old[i].hash & t->mask;
		while (t->slots[j].rec != NULL)
			j = (j + 1) & t->mask;
		t->slots[j] = old[i];
	}
	free(old);
}

void
iptab_put(struct iptab *t, void *rec)
{
	const struct addr *a = t->key(rec);
	uint64_t h = addr_hash(a);
	size_t i;

	if ((t->n + 1) * 4 > (t->mask + 1) * 3)
		iptab_grow(t);
	i = iptab_find(t, a, h);
	if (t->slots[i].rec != NULL)
		log_panic("%s: duplicate key", __func__);
	t->slots[i].hash = h;
	t->slots[i].rec = rec;
	t->n++;
}

void *
iptab_del(struct iptab *t, const struct addr *a)
{
	size_t i = iptab_find(t, a, addr_hash(a)), j;
	void *rec = t->slots[i].rec;

	if (rec == NULL)
		return NULL;
	/* backward-shift: move later members of the cluster into the hole */
	j = i;
	for (;;) {
		size_t home;

		j = (j + 1) & t->mask;
		if (t->slots[j].rec == NULL)
			break;
		home = t->slots[j].hash & t->mask;
		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].rec = NULL;
	t->slots[i].hash = 0;
	t->n--;
	return rec;
}

size_t
iptab_size(const struct iptab *t)
{
	return t->n;
}

void
iptab_each(const struct iptab *t, void (*fn)(void *arg, void *rec), void *arg)
{
	size_t i;

	for (i = 0; i <= t->mask; i++)
		if (t->slots[i].rec != NULL)
			fn(arg, t->slots[i].rec);
}

struct ordered {
	uint32_t order;
	void *rec;
};

static int
ordered_cmp(const void *x, const void *y)
{
	const struct ordered *a = x, *b = y;

	return a->order < b->order ? -1 : a->order > b->order;
}

void
iptab_each_ordered(const struct iptab *t,
    uint32_t (*order)(void *arg, const struct addr *a),
    void (*fn)(void *arg, void *rec), void *arg)
{
	struct ordered *v;
	size_t i, n = 0;

	if (t->n < 2 || (v = calloc(t->n, sizeof(*v))) == NULL) {
		iptab_each(t, fn, arg);
		return;
	}
	for (i = 0; i <= t->mask; i++) {
		if (t->slots[i].rec == NULL)
			continue;
		v[n].order = order(arg, t->key(t->slots[i].rec));
		v[n++].rec = t->slots[i].rec;
	}
	qsort(v, n, sizeof(*v), ordered_cmp);
	for (i = 0; i < n; i++)
		fn(arg, v[i].rec);
	free(v);
}

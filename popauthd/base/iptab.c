/*
 * iptab.c - open-addressing hash table keyed by client address (see iptab.h).
 *
 * A slot is the record pointer plus a one-byte tag from the top of the hash,
 * kept in an array of their own: a probe walks the dense tags and looks at a
 * record's address only on a tag match (1 in 128 for a stranger), so a miss
 * rarely leaves the tag array and a hit touches the one record it returns.
 * The slot's home needs the hash again: growth and deletion recompute it from
 * the record (9 bytes a slot, where caching the hash took 16).  Load factor
 * stays under 3/4; deletion shifts the following cluster back instead of
 * leaving tombstones, so a table that churns through millions of attackers
 * never degrades.  The last lookup's answer is remembered, a record or none,
 * until the next put or deletion: the trackers, the witness and the evidence
 * each ask for an event's client several times in a row.
 */
#include "iptab.h"
#include "log.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>

/* a slot's tag: 0 = empty, else the top 7 bits of the hash and the 8th set */
#define IPTAB_TAG(h) ((uint8_t)(0x80 | (h) >> 57))

struct iptab {
	void **recs;   /* capacity pointers, then capacity tags, one block */
	uint8_t *tags; /* IPTAB_TAG per slot */
	size_t mask;   /* capacity - 1, capacity a power of two */
	size_t n;
	iptab_key_fn *key;
	bool known; /* last_addr's answer is last (a record or NULL) */
	void *last;
	struct addr last_addr;
};

/* iptab_alloc - empty slots for cap records (a power of two) */
static void
iptab_alloc(struct iptab *t, size_t cap)
{
	t->mask = cap - 1;
	t->recs = xcalloc(cap, sizeof(*t->recs) + sizeof(*t->tags));
	t->tags = (uint8_t *)(t->recs + cap);
}

struct iptab *
iptab_new(iptab_key_fn *key)
{
	struct iptab *t = xcalloc(1, sizeof(*t));

	t->key = key;
	iptab_alloc(t, 64);
	return t;
}

void
iptab_free(struct iptab *t)
{
	if (t == NULL)
		return;
	free(t->recs);
	free(t);
}

/* iptab_find - a's slot, or the empty slot that ends its probe */
static size_t
iptab_find(const struct iptab *t, const struct addr *a, uint64_t h)
{
	size_t i = h & t->mask;
	uint8_t tag = IPTAB_TAG(h);

	while (t->tags[i] != 0) {
		if (t->tags[i] == tag && addr_equal(t->key(t->recs[i]), a))
			return i;
		i = (i + 1) & t->mask;
	}
	return i;
}

void *
iptab_get(struct iptab *t, const struct addr *a)
{
	if (t->known && addr_equal(&t->last_addr, a))
		return t->last;
	t->last = t->recs[iptab_find(t, a, addr_hash(a))];
	t->last_addr = *a;
	t->known = true;
	return t->last;
}

/* iptab_hash - the hash of rec's address (slots keep only its tag) */
static uint64_t
iptab_hash(const struct iptab *t, const void *rec)
{
	return addr_hash(t->key(rec));
}

static void
iptab_grow(struct iptab *t)
{
	void **old = t->recs;
	uint8_t *oldtags = t->tags;
	size_t oldcap = t->mask + 1, i;

	iptab_alloc(t, oldcap * 2);
	for (i = 0; i < oldcap; i++) {
		size_t j;

		if (oldtags[i] == 0)
			continue;
		j = iptab_hash(t, old[i]) & t->mask;
		while (t->tags[j] != 0)
			j = (j + 1) & t->mask;
		t->recs[j] = old[i];
		t->tags[j] = oldtags[i];
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
	if (t->tags[i] != 0)
		log_panic("%s: duplicate key", __func__);
	t->known = false; /* it may have been a miss */
	t->recs[i] = rec;
	t->tags[i] = IPTAB_TAG(h);
	t->n++;
}

void *
iptab_del(struct iptab *t, const struct addr *a)
{
	size_t i = iptab_find(t, a, addr_hash(a)), j;
	void *rec = t->recs[i];

	if (t->tags[i] == 0)
		return NULL;
	t->known = false; /* its record may be freed next */
	/* backward-shift: move later members of the cluster into the hole */
	j = i;
	for (;;) {
		size_t home;

		j = (j + 1) & t->mask;
		if (t->tags[j] == 0)
			break;
		home = iptab_hash(t, t->recs[j]) & t->mask;
		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->recs[i] = t->recs[j];
			t->tags[i] = t->tags[j];
			i = j;
		}
	}
	t->recs[i] = NULL;
	t->tags[i] = 0;
	t->n--;
	return rec;
}

void *
iptab_sample(const struct iptab *t, uint64_t r)
{
	size_t i, k;

	if (t->n == 0)
		return NULL;
	for (i = (size_t)r & t->mask, k = 0; k <= t->mask;
	     i = (i + 1) & t->mask, k++)
		if (t->tags[i] != 0)
			return t->recs[i];
	return NULL;
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
		if (t->tags[i] != 0)
			fn(arg, t->recs[i]);
}

struct ordered {
	uint32_t order;
	uint32_t
	    slot; /* not the pointer: this costs 8 bytes a record, not 16 */
};

static int
ordered_cmp(const void *x, const void *y)
{
	const struct ordered *a = x, *b = y;

	if (a->order != b->order)
		return a->order < b->order ? -1 : 1;
	return a->slot < b->slot ? -1 : a->slot > b->slot;
}

void
iptab_each_ordered(const struct iptab *t,
    uint32_t (*order)(void *arg, const struct addr *a),
    void (*fn)(void *arg, void *rec), void *arg)
{
	struct ordered *v;
	size_t i, n = 0;

	if (t->n < 2 || t->mask > UINT32_MAX ||
	    (v = calloc(t->n, sizeof(*v))) == NULL) {
		iptab_each(t, fn, arg);
		return;
	}
	for (i = 0; i <= t->mask; i++) {
		if (t->tags[i] == 0)
			continue;
		v[n].order = order(arg, t->key(t->recs[i]));
		v[n++].slot = (uint32_t)i;
	}
	qsort(v, n, sizeof(*v), ordered_cmp);
	for (i = 0; i < n; i++)
		fn(arg, t->recs[v[i].slot]);
	free(v);
}

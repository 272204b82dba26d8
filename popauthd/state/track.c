/*
 * track.c - records by address and their change list (see track.h).
 *
 * The dirty flag in each record keeps an address from entering the list twice
 * per tick; removed records cannot carry a flag, so their addresses may repeat,
 * which costs one extra (harmless) delete.
 */
#include "track.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static bool *
dirty_flag(const struct track *t, void *rec)
{
	return (bool *)((char *)rec + t->dirty_off);
}

void
track_init(struct track *t, iptab_key_fn *key, size_t dirty_off,
    track_encode_fn *encode)
{
	t->tab = iptab_new(key);
	t->st = NULL;
	t->dirty_off = dirty_off;
	t->encode = encode;
	t->changed = NULL;
	t->n = t->cap = 0;
}

int
track_open(struct track *t, struct state *s, const char *name)
{
	t->st = state_table(s, name);
	return t->st != NULL ? 0 : -1;
}

void
track_changed(struct track *t, void *rec, const struct addr *ip)
{
	if (rec != NULL) {
		if (*dirty_flag(t, rec))
			return;
		*dirty_flag(t, rec) = true;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->changed = xrealloc(t->changed, t->cap * sizeof(*t->changed));
	}
	t->changed[t->n++] = *ip;
}

bool
track_pending(const struct track *t)
{
	return t->n > 0;
}

static int
key_order(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct addr));
}

int
track_sync(struct track *t)
{
	static struct rec_buf w;
	uint8_t key[REC_KEYLEN];
	size_t i;

	/*
	 * In key order (struct addr is the key's bytes): a btree filled left
	 * to right splits far less, and splits log whole pages.
	 */
	_Static_assert(sizeof(struct addr) == REC_KEYLEN, "key is the addr");
	if (t->n > 16)
		qsort(t->changed, t->n, sizeof(*t->changed), key_order);

	for (i = 0; i < t->n; i++) {
		void *rec = iptab_get(t->tab, &t->changed[i]);

		rec_key(&t->changed[i], key);
		if (rec == NULL) {
			if (state_del(t->st, key, sizeof(key)) < 0)
				return -1;
			continue;
		}
		w.n = 0;
		w.full = false;
		t->encode(rec, &w);
		if (state_put(t->st, key, sizeof(key), w.b, w.n) < 0)
			return -1;
	}
	return 0;
}

void
track_synced(struct track *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		void *rec = iptab_get(t->tab, &t->changed[i]);

		if (rec != NULL)
			*dirty_flag(t, rec) = false;
	}
	t->n = 0;
}

void
track_fini(struct track *t)
{
	iptab_free(t->tab);
	t->tab = NULL;
	free(t->changed);
	t->changed = NULL;
	t->n = t->cap = 0;
}

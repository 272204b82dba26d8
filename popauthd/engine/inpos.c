/*
 * inpos.c - the log input's position in state (see inpos.h).
 *
 * Two copies: what is stored (committed) and what was noted last; dirty when
 * they differ.  Nothing here knows what the bytes mean.
 */
#include "inpos.h"
#include "input.h"
#include "log.h"
#include "state.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define INPOS_VERSION 1

static struct state_table *tab;
static struct input *input; /* told what is stored */
static char *kind;
static unsigned char stored[INPUT_POS_MAX + 1], noted[INPUT_POS_MAX + 1];
static size_t stored_len, noted_len;
static long long written_ms;

/* inpos_load - state_load_fn: keep the record of our kind */
static int
inpos_load(
    void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	const unsigned char *v = val;

	UNUSED(arg);
	if (klen != strlen(kind) || memcmp(key, kind, klen) != 0)
		return 0; /* another kind's, from before a change of input */
	if (vlen < 1 || v[0] != INPOS_VERSION || vlen - 1 > INPUT_POS_MAX) {
		log_error("input position of %s: unknown record version %u",
		    kind, vlen > 0 ? v[0] : 0);
		return -1;
	}
	memcpy(stored + 1, v + 1, vlen - 1);
	stored_len = vlen - 1;
	return 0;
}

int
inpos_init(struct state *st, struct input *in)
{
	inpos_fini();
	input = in;
	kind = xstrdup(input_kind(in));
	stored[0] = noted[0] = INPOS_VERSION;
	if ((tab = state_table(st, "input")) == NULL)
		return -1;
	if (state_load(tab, inpos_load, NULL) < 0)
		return -1;
	memcpy(noted, stored, stored_len + 1);
	noted_len = stored_len;
	return 0;
}

size_t
inpos_saved(const void **pos)
{
	*pos = stored + 1;
	return stored_len;
}

void
inpos_note(const void *pos, size_t len)
{
	if (tab == NULL || len == 0 || len > INPUT_POS_MAX)
		return;
	memcpy(noted + 1, pos, len);
	noted_len = len;
}

bool
inpos_dirty(void)
{
	return tab != NULL &&
	    (noted_len != stored_len ||
	        memcmp(noted + 1, stored + 1, noted_len) != 0);
}

bool
inpos_due(long long now_ms)
{
	return inpos_dirty() && now_ms - written_ms >= INPOS_IDLE_MS;
}

int
inpos_sync(void)
{
	if (!inpos_dirty())
		return 0;
	return state_put(tab, kind, strlen(kind), noted, noted_len + 1);
}

void
inpos_synced(long long now_ms)
{
	if (!inpos_dirty())
		return;
	memcpy(stored, noted, noted_len + 1);
	stored_len = noted_len;
	written_ms = now_ms;
	input_stored(input, stored + 1, stored_len);
}

void
inpos_fini(void)
{
	free(kind);
	kind = NULL;
	input = NULL;
	tab = NULL; /* closed with the state environment */
	stored_len = noted_len = 0;
	written_ms = 0;
}

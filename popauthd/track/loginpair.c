/*
 * loginpair.c - pending half-logins of two-line servers (see loginpair.h).
 *
 * Entries and sources live in two arrays that grow by doubling up to max and
 * are linked by index: a hash chain per key bucket, an age list (oldest
 * first, so expiry pops from the head) and a per-source count in a second
 * hash.  No allocation per line once the arrays have grown; nothing here
 * logs: the engine reports the counters.
 */
#include "loginpair.h"
#include "log.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX

struct lp_ent {
	uint32_t hnext;        /* key chain, or next free */
	uint32_t older, newer; /* age list */
	uint32_t src;          /* index into srcs */
	time_t when;
	struct addr ip;
	uint64_t h;
	uint16_t klen;
	char key[LPAIR_KEYMAX];
};

struct lp_src {
	uint32_t hnext; /* source chain, or next free */
	uint32_t count;
	struct addr pfx; /* IPv4 address, IPv6 /64 */
};

struct lpair {
	size_t max, per_source;
	time_t window;
	size_t cap, used, sused; /* array slots, high-water marks */
	struct lp_ent *ent;
	struct lp_src *src;
	uint32_t efree, sfree;
	uint32_t *ebucket, *sbucket;
	size_t nbucket; /* power of two, >= cap */
	uint32_t oldest, newest;
	struct lpair_stats st;
};

static uint64_t
lp_hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL; /* FNV-1a */

	while (n-- > 0) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

/* lp_prefix - the source an entry is counted against */
static void
lp_prefix(const struct addr *ip, struct addr *pfx)
{
	*pfx = *ip;
	if (pfx->family == 6)
		memset(pfx->b + 8, 0, 8);
}

static uint32_t *
lp_sbucket(struct lpair *p, const struct addr *pfx)
{
	return &p->sbucket[addr_hash(pfx) & (p->nbucket - 1)];
}

static uint32_t *
lp_ebucket(struct lpair *p, uint64_t h)
{
	return &p->ebucket[h & (p->nbucket - 1)];
}

/* lp_rehash - buckets for the current cap */
static void
lp_rehash(struct lpair *p)
{
	size_t nb = 64, i;
	uint32_t e;

	while (nb < p->cap)
		nb <<= 1;
	free(p->ebucket);
	free(p->sbucket);
	p->nbucket = nb;
	p->ebucket = xcalloc(nb, sizeof(*p->ebucket));
	p->sbucket = xcalloc(nb, sizeof(*p->sbucket));
	for (i = 0; i < nb; i++)
		p->ebucket[i] = p->sbucket[i] = NIL;
	for (e = p->oldest; e != NIL; e = p->ent[e].newer) {
		uint32_t *b = lp_ebucket(p, p->ent[e].h);

		p->ent[e].hnext = *b;
		*b = e;
	}
	for (i = 0; i < p->sused; i++) {
		struct lp_src *s = &p->src[i];

		if (s->count > 0) {
			uint32_t *b = lp_sbucket(p, &s->pfx);

			s->hnext = *b;
			*b = (uint32_t)i;
		}
	}
}

/* lp_grow - room for one more entry and source; false at max */
static bool
lp_grow(struct lpair *p)
{
	size_t ncap;

	if (p->efree != NIL || p->used < p->cap)
		return true;
	if (p->cap >= p->max)
		return false;
	ncap = p->cap * 2 < p->max ? p->cap * 2 : p->max;
	p->ent = xrealloc(p->ent, ncap * sizeof(*p->ent));
	p->src = xrealloc(p->src, ncap * sizeof(*p->src));
	p->cap = ncap;
	if (p->cap > p->nbucket)
		lp_rehash(p);
	return true;
}

struct lpair *
lpair_new(size_t max, size_t per_source, time_t window)
{
	struct lpair *p = xcalloc(1, sizeof(*p));

	p->efree = p->sfree = p->oldest = p->newest = NIL;
	p->cap = 0;
	lpair_conf(p, max, per_source, window);
	return p;
}

void
lpair_conf(struct lpair *p, size_t max, size_t per_source, time_t window)
{
	p->max = max < 1 ? 1 : max > NIL / 2 ? NIL / 2 : max;
	p->per_source = per_source < 1 ? 1 : per_source;
	p->window = window;
	if (p->ebucket == NULL) {
		p->cap = p->max < 64 ? p->max : 64;
		p->ent = xcalloc(p->cap, sizeof(*p->ent));
		p->src = xcalloc(p->cap, sizeof(*p->src));
		lp_rehash(p);
	}
}

void
lpair_free(struct lpair *p)
{
	if (p == NULL)
		return;
	free(p->ent);
	free(p->src);
	free(p->ebucket);
	free(p->sbucket);
	free(p);
}

/* lp_find - entry index for key, or NIL; *prevp: the link that points to it */
static uint32_t
lp_find(
    struct lpair *p, const char *key, size_t klen, uint64_t h, uint32_t **prevp)
{
	uint32_t *link = lp_ebucket(p, h);

	for (; *link != NIL; link = &p->ent[*link].hnext) {
		struct lp_ent *e = &p->ent[*link];

		if (e->h == h && e->klen == klen &&
		    memcmp(e->key, key, klen) == 0) {
			*prevp = link;
			return *link;
		}
	}
	return NIL;
}

/* lp_src_find - source index for pfx, or NIL */
static uint32_t
lp_src_find(struct lpair *p, const struct addr *pfx)
{
	uint32_t i;

	for (i = *lp_sbucket(p, pfx); i != NIL; i = p->src[i].hnext)
		if (addr_equal(&p->src[i].pfx, pfx))
			return i;
	return NIL;
}

static void
lp_src_put(struct lpair *p, uint32_t si)
{
	struct lp_src *s = &p->src[si];
	uint32_t *link;

	if (--s->count > 0)
		return;
	for (link = lp_sbucket(p, &s->pfx); *link != si;
	     link = &p->src[*link].hnext)
		;
	*link = s->hnext;
	s->hnext = p->sfree;
	p->sfree = si;
}

/* lp_remove - unlink entry i (found through *link) and free it */
static void
lp_remove(struct lpair *p, uint32_t i, uint32_t *link)
{
	struct lp_ent *e = &p->ent[i];

	*link = e->hnext;
	if (e->older != NIL)
		p->ent[e->older].newer = e->newer;
	else
		p->oldest = e->newer;
	if (e->newer != NIL)
		p->ent[e->newer].older = e->older;
	else
		p->newest = e->older;
	lp_src_put(p, e->src);
	e->hnext = p->efree;
	p->efree = i;
	p->st.pending--;
}

/* lp_remove_key - remove entry i, finding its link by its key */
static void
lp_remove_key(struct lpair *p, uint32_t i)
{
	uint32_t *link;

	if (lp_find(p, p->ent[i].key, p->ent[i].klen, p->ent[i].h, &link) != i)
		log_panic("%s: entry %u not in its chain", __func__, i);
	lp_remove(p, i, link);
}

void
lpair_expire(struct lpair *p, time_t now)
{
	while (p->oldest != NIL && now - p->ent[p->oldest].when > p->window) {
		lp_remove_key(p, p->oldest);
		p->st.expired++;
	}
}

int
lpair_start(struct lpair *p, const char *key, size_t klen,
    const struct addr *ip, time_t now)
{
	uint64_t h = lp_hash(key, klen);
	struct addr pfx;
	uint32_t *link, i, si;
	struct lp_ent *e;

	lpair_expire(p, now);
	if (klen == 0 || klen > LPAIR_KEYMAX) {
		p->st.dropped_key++;
		return -1;
	}
	if ((i = lp_find(p, key, klen, h, &link)) != NIL)
		lp_remove(p, i, link); /* the PID was reused */
	lp_prefix(ip, &pfx);
	si = lp_src_find(p, &pfx);
	if (si != NIL && p->src[si].count >= p->per_source) {
		p->st.dropped_source++;
		return -1;
	}
	if (p->st.pending >= p->max || !lp_grow(p)) {
		p->st.dropped_full++;
		return -1;
	}
	if (si == NIL) {
		uint32_t *b = lp_sbucket(p, &pfx);

		if (p->sfree != NIL) {
			si = p->sfree;
			p->sfree = p->src[si].hnext;
		} else {
			si = (uint32_t)p->sused++;
		}
		p->src[si].pfx = pfx;
		p->src[si].count = 0;
		p->src[si].hnext = *b;
		*b = si;
	}
	p->src[si].count++;
	if (p->efree != NIL) {
		i = p->efree;
		p->efree = p->ent[i].hnext;
	} else {
		i = (uint32_t)p->used++;
	}
	e = &p->ent[i];
	e->when = now;
	e->ip = *ip;
	e->h = h;
	e->src = si;
	e->klen = (uint16_t)klen;
	memcpy(e->key, key, klen);
	link = lp_ebucket(p, h);
	e->hnext = *link;
	*link = i;
	e->newer = NIL;
	e->older = p->newest;
	if (p->newest != NIL)
		p->ent[p->newest].newer = i;
	else
		p->oldest = i;
	p->newest = i;
	p->st.pending++;
	p->st.started++;
	return 0;
}

bool
lpair_take(
    struct lpair *p, const char *key, size_t klen, time_t now, struct addr *ip)
{
	uint32_t *link, i;

	lpair_expire(p, now);
	if (klen == 0 || klen > LPAIR_KEYMAX ||
	    (i = lp_find(p, key, klen, lp_hash(key, klen), &link)) == NIL) {
		p->st.unpaired++;
		return false;
	}
	*ip = p->ent[i].ip;
	lp_remove(p, i, link);
	p->st.paired++;
	return true;
}

/* lp_drop - remove what is pending under key, counting nothing */
static void
lp_drop(struct lpair *p, const char *key, size_t klen)
{
	uint32_t *link, i;

	if (p->st.pending > 0 &&
	    (i = lp_find(p, key, klen, lp_hash(key, klen), &link)) != NIL)
		lp_remove(p, i, link);
}

void
lpair_end(struct lpair *p, const char *key, size_t klen, time_t now)
{
	uint32_t *link, i;

	lpair_expire(p, now);
	if (klen == 0 || klen > LPAIR_KEYMAX ||
	    (i = lp_find(p, key, klen, lp_hash(key, klen), &link)) == NIL)
		return;
	lp_remove(p, i, link);
	p->st.failed++;
}

const struct lpair_stats *
lpair_stats(const struct lpair *p)
{
	return &p->st;
}

size_t
lpair_key(char *buf, size_t size, const char *host, size_t hostlen,
    const char *prog, size_t proglen, const char *pid, size_t pidlen)
{
	size_t n = hostlen + 1 + proglen + 1 + pidlen;

	if (pid == NULL || pidlen == 0 || n > size)
		return 0;
	if (hostlen > 0)
		memcpy(buf, host, hostlen);
	buf[hostlen] = '\0';
	memcpy(buf + hostlen + 1, prog, proglen);
	buf[hostlen + 1 + proglen] = '\0';
	/* prog is never empty: logline_parse needs a tag */
	memcpy(buf + hostlen + 2 + proglen, pid, pidlen);
	return n;
}

enum lpair_result
lpair_event(
    struct lpair *p, const struct event *ev, time_t now, struct addr *ip)
{
	const struct logline *ll = ev->line;
	const char *pid = ll->pid;
	size_t pidlen = ll->pidlen, klen;
	char key[LPAIR_KEYMAX];

	if (ev->f[F_PID].p != NULL) {
		pid = ev->f[F_PID].p;
		pidlen = ev->f[F_PID].n;
	}
	klen = lpair_key(key, sizeof(key), ll->host, ll->hostlen, ll->tag,
	    ll->taglen, pid, pidlen);
	if (klen == 0) {
		if (ev->kind == EV_LOGIN_START)
			p->st.dropped_key++;
		return LPAIR_NOKEY;
	}
	/* only the login kinds reach here (engine.c, linetest.c) */
	if (ev->kind == EV_LOGIN_START)
		return lpair_start(p, key, klen, &ev->ip, now) == 0
		    ? LPAIR_PENDING
		    : LPAIR_REFUSED;
	if (ev->kind == EV_LOGIN_DONE)
		return lpair_take(p, key, klen, now, ip) ? LPAIR_PAIRED
		                                         : LPAIR_UNPAIRED;
	if (ev->kind == EV_LOGIN_FAIL) {
		lpair_end(p, key, klen, now);
		return LPAIR_ENDED;
	}
	if (ev->kind == EV_LOGIN) {
		/* a one-line success of a server that also logs its connects */
		lp_drop(p, key, klen);
		return LPAIR_ENDED;
	}
	log_panic("%s: bad event kind %d", __func__, (int)ev->kind);
}

const char *
lpair_result_name(enum lpair_result r)
{
	switch (r) {
	case LPAIR_PENDING:
		return "pending";
	case LPAIR_REFUSED:
		return "refused";
	case LPAIR_PAIRED:
		return "grant";
	case LPAIR_UNPAIRED:
		return "unpaired";
	case LPAIR_ENDED:
		return "ended";
	case LPAIR_NOKEY:
		break;
	}
	return "no-pid";
}

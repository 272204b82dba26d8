/*
 * evidence.c - the log lines behind each client's records (see evidence.h).
 *
 * One record per address in the state table "evidence": version byte, a
 * count, then per line its time, rule, event, outcome and text.  Lines are
 * kept oldest first in a small array per address, shifted when full.  The
 * table is written through track.c like the trackers', in the same
 * transaction, so after a crash the evidence matches the records it
 * explains.
 */
#include "evidence.h"
#include "log.h"
#include "rec.h"
#include "track.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EVIDENCE_VERSION  1
#define EVIDENCE_KEEP_MAX 64 /* evidence_per_ip's upper bound (conf.c) */

struct evidence_line {
	time_t when;
	char *rule, *event, *outcome, *line;
};

struct evidence {
	struct addr ip;
	bool dirty;
	uint32_t n, cap; /* cap grows to evidence_per_ip, not to the max */
	struct evidence_line *v;
};

static struct track tr;
static const struct conf *ev_cf;
static unsigned long long refused;

static const struct addr *
evidence_key(const void *rec)
{
	return &((const struct evidence *)rec)->ip;
}

/* line_free - a line's four strings share one block, which rule starts */
static void
line_free(struct evidence_line *l)
{
	free(l->rule);
}

/*
 * line_set - rule, event, outcome and line (f[i], n[i] bytes each) into
 * one block: blk, an old line's block reused (or NULL).  One allocation
 * a line, none when the block is already big enough.
 */
static void
line_set(struct evidence_line *l, char *blk, const char *const f[4],
    const size_t n[4])
{
	char **dst[4] = {&l->rule, &l->event, &l->outcome, &l->line};
	size_t o = 0, i;
	char *p = xrealloc(blk, n[0] + n[1] + n[2] + n[3] + 4);

	for (i = 0; i < 4; i++) {
		memcpy(p + o, f[i], n[i]);
		p[o + n[i]] = '\0';
		*dst[i] = p + o;
		o += n[i] + 1;
	}
}

static void
evidence_free(struct evidence *e)
{
	uint32_t i;

	for (i = 0; i < e->n; i++)
		line_free(&e->v[i]);
	free(e->v);
	free(e);
}

/* room - a free slot at e->v[e->n] */
static void
room(struct evidence *e)
{
	if (e->n < e->cap)
		return;
	e->cap = e->cap == 0 ? 2 : e->cap * 2;
	if (e->cap > EVIDENCE_KEEP_MAX)
		e->cap = EVIDENCE_KEEP_MAX;
	e->v = xrealloc(e->v, e->cap * sizeof(*e->v));
}

/* drop_oldest - make room: the first line goes; its block is returned */
static char *
drop_oldest(struct evidence *e)
{
	char *blk = e->v[0].rule;

	memmove(&e->v[0], &e->v[1], (e->n - 1) * sizeof(e->v[0]));
	e->n--;
	return blk;
}

/* evidence_encode - the lines, the newest that fit in a record */
static void
evidence_encode(const void *rec, struct rec_buf *w)
{
	const struct evidence *e = rec;
	uint32_t i, skip = 0;

	for (;;) {
		w->n = 0;
		w->full = false;
		rec_u8(w, EVIDENCE_VERSION);
		rec_u32(w, e->n - skip);
		for (i = skip; i < e->n; i++) {
			rec_i64(w, e->v[i].when);
			rec_str(w, e->v[i].rule);
			rec_str(w, e->v[i].event);
			rec_str(w, e->v[i].outcome);
			rec_str(w, e->v[i].line);
		}
		if (!w->full || skip == e->n)
			return;
		skip++;
	}
}

int
evidence_decode(const void *key, size_t klen, const void *val, size_t vlen,
    evidence_fn *fn, void *arg)
{
	struct rec_reader r = {val, vlen, 0, false};
	struct evidence_item it;
	struct addr ip;
	uint32_t i, n;

	if (rec_key_addr(key, klen, &ip) < 0 ||
	    rec_get_u8(&r) != EVIDENCE_VERSION)
		return -1;
	n = rec_get_u32(&r);
	for (i = 0; i < n && !r.bad; i++) {
		char *rule, *event, *outcome, *line;

		it.when = (time_t)rec_get_i64(&r);
		rule = rec_get_str(&r);
		event = rec_get_str(&r);
		outcome = rec_get_str(&r);
		line = rec_get_str(&r);
		if (!r.bad && fn != NULL) {
			it.rule = rule;
			it.event = event;
			it.outcome = outcome;
			it.line = line;
			fn(arg, &ip, &it);
		}
		free(rule);
		free(event);
		free(outcome);
		free(line);
	}
	return r.bad ? -1 : 0;
}

/* load_line - evidence_fn: a stored line back into its address's record */
static void
load_line(void *arg, const struct addr *ip, const struct evidence_item *it)
{
	struct evidence **ep = arg, *e = *ep;
	const char *const f[4] = {it->rule, it->event, it->outcome, it->line};
	const size_t n[4] = {
	    strlen(f[0]), strlen(f[1]), strlen(f[2]), strlen(f[3])};
	char *blk = NULL;

	if (e == NULL) {
		e = *ep = xcalloc(1, sizeof(*e));
		e->ip = *ip;
	}
	if (e->n == EVIDENCE_KEEP_MAX)
		blk = drop_oldest(e);
	room(e);
	e->v[e->n].when = it->when;
	line_set(&e->v[e->n], blk, f, n);
	e->n++;
}

static int
load_one(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct evidence *e = NULL;

	UNUSED(arg);
	if (evidence_decode(key, klen, val, vlen, load_line, &e) < 0) {
		if (e != NULL)
			evidence_free(e);
		return -1;
	}
	if (e != NULL)
		iptab_put(tr.tab, e);
	return 0;
}

int
evidence_init(const struct conf *c, struct state *s)
{
	ev_cf = c;
	track_init(&tr, evidence_key, offsetof(struct evidence, dirty),
	    evidence_encode);
	if (track_open(&tr, s, "evidence") < 0)
		return -1;
	return state_load(tr.st, load_one, NULL) < 0 ? -1 : 0;
}

void
evidence_conf(const struct conf *c)
{
	ev_cf = c;
}

void
evidence_add(const struct addr *ip, time_t when, const char *rule,
    const char *event, const char *outcome, const char *line, size_t len)
{
	struct evidence *e;
	size_t keep = (size_t)ev_cf->evidence_per_ip;
	char a[ADDR_STRLEN], r[64], ev[32], out[EVIDENCE_OUTCOME_MAX];
	char ln[EVIDENCE_LINE_MAX], *blk = NULL;
	const char *const f[4] = {r, ev, out, ln};
	size_t n[4];

	if (keep == 0 || tr.tab == NULL)
		return;
	if ((e = iptab_get(tr.tab, ip)) == NULL) {
		if ((long long)iptab_size(tr.tab) >= ev_cf->evidence_max_ips) {
			if (refused++ % 1000 == 0)
				log_warn("%s: evidence not kept: %zu addresses "
				         "have some (evidence_max_ips); %llu "
				         "refused so far",
				    addr_format(ip, a, sizeof(a)),
				    iptab_size(tr.tab), refused);
			return;
		}
		e = xcalloc(1, sizeof(*e));
		e->ip = *ip;
		iptab_put(tr.tab, e);
	}
	while (e->n > 0 && e->n >= keep) {
		free(blk);
		blk = drop_oldest(e);
	}
	room(e);
	n[0] = log_escape_len(r, sizeof(r), rule, strlen(rule));
	n[1] = log_escape_len(ev, sizeof(ev), event, strlen(event));
	n[2] = log_escape_len(out, sizeof(out), outcome, strlen(outcome));
	n[3] = log_escape_len(ln, sizeof(ln), line, len);
	e->v[e->n].when = when;
	line_set(&e->v[e->n], blk, f, n);
	e->n++;
	track_changed(&tr, e, ip);
}

struct reap {
	bool (*alive)(const struct addr *ip);
	struct addr *dead;
	size_t n, cap;
};

static void
reap_one(void *arg, void *rec)
{
	struct reap *r = arg;
	struct evidence *e = rec;

	if (r->alive(&e->ip))
		return;
	if (r->n == r->cap) {
		r->cap = r->cap > 0 ? r->cap * 2 : 64;
		r->dead = xrealloc(r->dead, r->cap * sizeof(*r->dead));
	}
	r->dead[r->n++] = e->ip;
}

void
evidence_reap(bool (*alive)(const struct addr *ip))
{
	struct reap r = {alive, NULL, 0, 0};
	size_t i;

	if (tr.tab == NULL)
		return;
	/* collect, then apply (STYLE.md 4) */
	iptab_each(tr.tab, reap_one, &r);
	for (i = 0; i < r.n; i++) {
		evidence_free(iptab_del(tr.tab, &r.dead[i]));
		track_changed(&tr, NULL, &r.dead[i]);
	}
	free(r.dead);
}

size_t
evidence_get(const struct addr *ip, evidence_fn *fn, void *arg)
{
	struct evidence *e = tr.tab != NULL ? iptab_get(tr.tab, ip) : NULL;
	struct evidence_item it;
	uint32_t i;

	for (i = 0; e != NULL && i < e->n; i++) {
		it.when = e->v[i].when;
		it.rule = e->v[i].rule;
		it.event = e->v[i].event;
		it.outcome = e->v[i].outcome;
		it.line = e->v[i].line;
		fn(arg, &e->ip, &it);
	}
	return e != NULL ? e->n : 0;
}

size_t
evidence_count(void)
{
	return tr.tab != NULL ? iptab_size(tr.tab) : 0;
}

unsigned long long
evidence_refused(void)
{
	return refused;
}

bool
evidence_dirty(void)
{
	return track_pending(&tr);
}

int
evidence_sync(void)
{
	return track_sync(&tr);
}

void
evidence_synced(void)
{
	track_synced(&tr);
}

static void
free_one(void *arg, void *rec)
{
	UNUSED(arg);
	evidence_free(rec);
}

void
evidence_fini(void)
{
	if (tr.tab != NULL)
		iptab_each(tr.tab, free_one, NULL);
	track_fini(&tr);
}

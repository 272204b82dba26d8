/*
 * evidence.c - the log lines behind each client's records (see evidence.h).
 *
 * The lines live in data_directory/evidence.journal (recfile.c), one record
 * a line, appended as they come; memory holds only each address's last
 * lines as journal offsets, oldest first.  The "evidence" table keeps the
 * journal's committed mark under the key "journal", written in the tick's
 * transaction with the trackers' records, so after a crash the evidence
 * matches the records it explains.  An address that loses its records gets
 * a "forget" record.  Dropped lines stay in the file until it is more than
 * twice what is live (and EVIDENCE_SLACK more); then it is compacted.
 *
 * Payloads: u8 type; the 17-byte address key; for a line, i64 time, then
 * rule, event, outcome and line, each a u16 length and the bytes.
 * Records of the older layout (version 1: all of an address's lines in one
 * table record) are moved into the journal at the first start.
 */
#include "evidence.h"
#include "iptab.h"
#include "recfile.h"
#include "log.h"
#include "rec.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EVIDENCE_V1       1  /* the older table records */
#define EVIDENCE_KEEP_MAX 64 /* evidence_per_ip's upper bound (conf.c) */
#define EVIDENCE_SLACK    (8ULL * 1024 * 1024)
#define EV_LINE           1
#define EV_FORGET         2
#define EV_FIELDS         4 /* rule, event, outcome, line */
#define EV_F_LINE         3
#define EV_HEAD           (1 + REC_KEYLEN)
#define EV_REC_MAX                                                             \
	(EV_HEAD + 8 + 2 * EV_FIELDS + 64 + 32 + EVIDENCE_OUTCOME_MAX +        \
	    EVIDENCE_LINE_MAX)
#define MARK_KEY     "journal"
#define MARK_VERSION 1

/* each field's room, its NUL included */
static const size_t field_max[EV_FIELDS] = {
    64, 32, EVIDENCE_OUTCOME_MAX, EVIDENCE_LINE_MAX};

/* a kept line: journal offset << 16 | record size (frame included) */
typedef uint64_t evref;
#define REF(off, n) ((off) << 16 | (uint64_t)(n))
#define REF_OFF(r)  ((r) >> 16)
#define REF_LEN(r)  ((r)&0xffff)

struct evidence {
	struct addr ip;
	uint32_t n, cap; /* cap grows to the per-IP bound, not to the max */
	evref *v;
};

static struct iptab *tab;
static struct state_table *table;
static struct recfile *jr;
static const struct conf *ev_cf;
static unsigned long long refused;
static uint64_t live; /* bytes of the journal's records still kept */
static struct recfile_mark committed, syncing; /* in the state; being put */
static struct addr *old_keys;                  /* version-1 records to delete */
static size_t nold;

static const struct addr *
evidence_key(const void *rec)
{
	return &((const struct evidence *)rec)->ip;
}

static void
evidence_free(struct evidence *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		live -= REF_LEN(e->v[i]);
	free(e->v);
	free(e);
}

/* push - ip's newest line is ref; the oldest goes past keep lines */
static void
push(const struct addr *ip, evref ref, uint32_t keep)
{
	struct evidence *e = iptab_get(tab, ip);

	if (e == NULL) {
		e = xcalloc(1, sizeof(*e));
		e->ip = *ip;
		iptab_put(tab, e);
	}
	while (e->n > 0 && e->n >= keep) {
		live -= REF_LEN(e->v[0]);
		memmove(&e->v[0], &e->v[1], (e->n - 1) * sizeof(e->v[0]));
		e->n--;
	}
	if (e->n == e->cap) {
		e->cap = e->cap == 0 ? 2 : e->cap * 2;
		if (e->cap > EVIDENCE_KEEP_MAX)
			e->cap = EVIDENCE_KEEP_MAX;
		e->v = xrealloc(e->v, e->cap * sizeof(*e->v));
	}
	e->v[e->n++] = ref;
	live += REF_LEN(ref);
}

static void
put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v & 0xff);
	p[1] = (uint8_t)(v >> 8);
}

/*
 * append - a line record for ip into the journal: its fields escaped on
 * the way, cut to their field_max, but for those in the bits of raw (1 <<
 * field): escaped already, each shorter than its field_max
 */
static void
append(const struct addr *ip, time_t when, const char *const f[EV_FIELDS],
    const size_t n[EV_FIELDS], unsigned raw, uint32_t keep)
{
	uint8_t *p = recfile_reserve(jr, EV_REC_MAX);
	size_t o = EV_HEAD + 8, i, k;
	uint64_t t = (uint64_t)(int64_t)when;

	p[0] = EV_LINE;
	rec_key(ip, p + 1);
	for (i = 0; i < 8; i++)
		p[EV_HEAD + i] = (uint8_t)(t >> (8 * i));
	for (i = 0; i < EV_FIELDS; i++) {
		/* escaped in place: the room (and the escape's NUL) fits */
		if ((raw & 1u << i) == 0) {
			k = log_escape_len(
			    (char *)p + o + 2, field_max[i], f[i], n[i]);
		} else {
			k = n[i];
			memcpy(p + o + 2, f[i], k);
		}
		put16(p + o, k);
		o += 2 + k;
	}
	push(ip, REF(recfile_add(jr, o), o + 8), keep);
}

struct evline {
	struct addr ip;
	time_t when;
	char f[EV_FIELDS][EVIDENCE_LINE_MAX];
};

/* decode - a line record's payload into l; 0 or -1 */
static int
decode(const uint8_t *p, size_t n, struct evline *l)
{
	size_t o = EV_HEAD + 8, i, k;
	uint64_t t = 0;

	if (n < o || p[0] != EV_LINE ||
	    rec_key_addr(p + 1, REC_KEYLEN, &l->ip) < 0)
		return -1;
	for (i = 0; i < 8; i++)
		t |= (uint64_t)p[EV_HEAD + i] << (8 * i);
	l->when = (time_t)(int64_t)t;
	for (i = 0; i < EV_FIELDS; i++) {
		if (o + 2 > n)
			return -1;
		k = (size_t)p[o] | (size_t)p[o + 1] << 8;
		if (k >= field_max[i] || o + 2 + k > n)
			return -1;
		memcpy(l->f[i], p + o + 2, k);
		l->f[i][k] = '\0';
		o += 2 + k;
	}
	return 0;
}

/* replay_rec - recfile_rec_fn: a committed record back into memory */
static void
replay_rec(void *arg, uint64_t off, const uint8_t *p, size_t n)
{
	struct evidence *e;
	struct addr ip;

	UNUSED(arg);
	if (n < EV_HEAD || rec_key_addr(p + 1, REC_KEYLEN, &ip) < 0)
		return;
	if (p[0] == EV_LINE)
		push(&ip, REF(off, n + 8), EVIDENCE_KEEP_MAX);
	else if (p[0] == EV_FORGET && (e = iptab_del(tab, &ip)) != NULL)
		evidence_free(e);
}

/* find_mark - state_load_fn: the journal's committed mark */
static int
find_mark(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct rec_reader r = {val, vlen, 0, false};
	bool *found = arg;

	if (klen == REC_KEYLEN) {
		nold++;
		return 0;
	}
	if (klen != strlen(MARK_KEY) || memcmp(key, MARK_KEY, klen) != 0 ||
	    rec_get_u8(&r) != MARK_VERSION)
		return -1;
	committed.gen = (uint64_t)rec_get_i64(&r);
	committed.len = (uint64_t)rec_get_i64(&r);
	*found = !r.bad;
	return r.bad ? -1 : 0;
}

/* migrate - state_load_fn: a version-1 record's lines into the journal */
static int
migrate(void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct rec_reader r = {val, vlen, 0, false};
	struct addr ip;
	uint32_t i, n;

	UNUSED(arg);
	if (klen != REC_KEYLEN)
		return 0;
	if (rec_key_addr(key, klen, &ip) < 0 || rec_get_u8(&r) != EVIDENCE_V1)
		return -1;
	old_keys[nold++] = ip;
	n = rec_get_u32(&r);
	for (i = 0; i < n && !r.bad; i++) {
		time_t when = (time_t)rec_get_i64(&r);
		char *s[EV_FIELDS];
		const char *f[EV_FIELDS];
		size_t len[EV_FIELDS], k;
		bool fits = true;

		for (k = 0; k < EV_FIELDS; k++) {
			f[k] = s[k] = rec_get_str(&r);
			len[k] = strlen(s[k]);
			fits = fits && len[k] < field_max[k];
		}
		if (!r.bad && fits)
			append(&ip, when, f, len, (1u << EV_FIELDS) - 1,
			    EVIDENCE_KEEP_MAX);
		for (k = 0; k < EV_FIELDS; k++)
			free(s[k]);
	}
	return r.bad ? -1 : 0;
}

int
evidence_init(const struct conf *c, struct state *s)
{
	bool found = false;
	size_t n;

	ev_cf = c;
	tab = iptab_new(evidence_key);
	live = 0;
	nold = 0;
	memset(&committed, 0, sizeof(committed));
	if ((table = state_table(s, "evidence")) == NULL ||
	    state_load(table, find_mark, &found) < 0)
		return -1;
	jr = recfile_open(state_dir(s), "evidence", found ? &committed : NULL,
	    replay_rec, NULL);
	if (jr == NULL)
		return -1;
	if ((n = nold) > 0) { /* an older popauthd's records */
		old_keys = xcalloc(n, sizeof(*old_keys));
		nold = 0;
		if (state_load(table, migrate, NULL) < 0)
			return -1;
		log_info("%s/evidence.db: %zu addresses' evidence moved into "
		         "evidence.journal",
		    state_dir(s), nold);
	}
	syncing = committed;
	return 0;
}

void
evidence_conf(const struct conf *c)
{
	ev_cf = c;
}

void
evidence_add(const struct addr *ip, time_t when, const char *rule,
    const char *event, const char *outcome, const char *line, size_t len,
    bool escaped)
{
	size_t keep = (size_t)ev_cf->evidence_per_ip;
	char a[ADDR_STRLEN];
	const char *const f[EV_FIELDS] = {rule, event, outcome, line};
	const size_t n[EV_FIELDS] = {
	    strlen(rule), strlen(event), strlen(outcome), len};

	if (keep == 0 || jr == NULL)
		return;
	if (iptab_get(tab, ip) == NULL &&
	    (long long)iptab_size(tab) >= ev_cf->evidence_max_ips) {
		if (refused++ % 1000 == 0)
			log_warn("%s: evidence not kept: %zu addresses have "
			         "some (evidence_max_ips); %llu refused so far",
			    addr_format(ip, a, sizeof(a)), iptab_size(tab),
			    refused);
		return;
	}
	append(ip, when, f, n, escaped ? 1u << EV_F_LINE : 0, (uint32_t)keep);
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
	uint8_t *p;

	if (jr == NULL)
		return;
	/* collect, then apply (STYLE.md 4) */
	iptab_each(tab, reap_one, &r);
	for (i = 0; i < r.n; i++) {
		evidence_free(iptab_del(tab, &r.dead[i]));
		p = recfile_reserve(jr, EV_HEAD);
		p[0] = EV_FORGET;
		rec_key(&r.dead[i], p + 1);
		(void)recfile_add(jr, EV_HEAD);
	}
	free(r.dead);
}

size_t
evidence_get(const struct addr *ip, evidence_fn *fn, void *arg)
{
	struct evidence *e = tab != NULL ? iptab_get(tab, ip) : NULL;
	struct evidence_item it;
	static struct evline l;
	uint8_t p[RECFILE_REC_MAX];
	ssize_t n;
	uint32_t i;

	for (i = 0; e != NULL && i < e->n; i++) {
		n = recfile_read(jr, REF_OFF(e->v[i]), p, sizeof(p));
		/* the address too: after a lost write an offset can hold
		 * another address's record */
		if (n < 0 || decode(p, (size_t)n, &l) < 0 ||
		    !addr_equal(&l.ip, &e->ip)) {
			log_warn("evidence.journal: the record at %llu is "
			         "unreadable",
			    (unsigned long long)REF_OFF(e->v[i]));
			continue;
		}
		it.when = l.when;
		it.rule = l.f[0];
		it.event = l.f[1];
		it.outcome = l.f[2];
		it.line = l.f[3];
		fn(arg, &e->ip, &it);
	}
	return e != NULL ? e->n : 0;
}

size_t
evidence_count(void)
{
	return tab != NULL ? iptab_size(tab) : 0;
}

unsigned long long
evidence_refused(void)
{
	return refused;
}

struct recfile *
evidence_recfile(void)
{
	return jr;
}

bool
evidence_dirty(void)
{
	struct recfile_mark m;

	if (jr == NULL)
		return false;
	recfile_mark(jr, &m);
	return old_keys != NULL || m.gen != committed.gen ||
	    recfile_bytes(jr) != committed.len;
}

int
evidence_sync(void)
{
	struct rec_buf w;
	uint8_t key[REC_KEYLEN];
	size_t i;

	for (i = 0; i < nold; i++) {
		rec_key(&old_keys[i], key);
		if (state_del(table, key, sizeof(key)) < 0)
			return -1;
	}
	if (recfile_flush(jr) < 0)
		return -1;
	recfile_mark(jr, &syncing);
	w.n = 0;
	w.full = false;
	rec_u8(&w, MARK_VERSION);
	rec_i64(&w, (int64_t)syncing.gen);
	rec_i64(&w, (int64_t)syncing.len);
	return state_put(table, MARK_KEY, strlen(MARK_KEY), w.b, w.n);
}

/* compact_refs - every kept line's record copied; new refs in order */
struct compact {
	evref *refs;
	size_t n, cap;
	bool ok;
};

static void
compact_one(void *arg, void *rec)
{
	struct compact *c = arg;
	struct evidence *e = rec;
	int64_t off;
	uint32_t i;

	for (i = 0; i < e->n && c->ok; i++) {
		if ((off = recfile_compact_copy(jr, REF_OFF(e->v[i]))) < 0) {
			c->ok = false;
			return;
		}
		if (c->n == c->cap) {
			c->cap = c->cap > 0 ? c->cap * 2 : 1024;
			c->refs = xrealloc(c->refs, c->cap * sizeof(*c->refs));
		}
		c->refs[c->n++] = REF((uint64_t)off, REF_LEN(e->v[i]));
	}
}

static void
apply_one(void *arg, void *rec)
{
	struct compact *c = arg;
	struct evidence *e = rec;
	uint32_t i;

	for (i = 0; i < e->n; i++)
		e->v[i] = c->refs[c->n++];
}

/* compact - rewrite the journal with the kept lines only */
static void
compact(void)
{
	struct compact c = {NULL, 0, 0, true};
	uint64_t before = recfile_bytes(jr);

	if (recfile_compact_begin(jr) < 0)
		return;
	iptab_each(tab, compact_one, &c);
	if (recfile_compact_end(jr, c.ok) == 0) {
		c.n = 0;
		iptab_each(tab, apply_one, &c);
		log_debug("evidence.journal: compacted from %llu to %llu bytes",
		    (unsigned long long)before,
		    (unsigned long long)recfile_bytes(jr));
	}
	free(c.refs);
}

void
evidence_synced(void)
{
	committed = syncing;
	free(old_keys);
	old_keys = NULL;
	nold = 0;
	/* nothing uncommitted is in the file now: safe to compact */
	if (jr != NULL && recfile_bytes(jr) > 2 * live + EVIDENCE_SLACK)
		compact();
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
	if (tab != NULL) {
		iptab_each(tab, free_one, NULL);
		iptab_free(tab);
		tab = NULL;
	}
	recfile_close(jr);
	jr = NULL;
	free(old_keys);
	old_keys = NULL;
	nold = 0;
}

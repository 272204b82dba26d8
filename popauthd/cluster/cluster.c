/*
 * cluster.c - the outbox, the last applied change and who decided what
 * (see cluster.h); the database link is cluster_pg.c.
 *
 * State table "cluster": key "m" holds the meta record (version, last applied
 * id, next outbox sequence number); key "o" + 8-byte big-endian sequence
 * holds one outbox change.  The outbox in memory is a queue in the order the
 * changes were made: [acked | in flight | durable | new].  New ones are
 * written by cluster_sync in the tick's transaction and only become durable
 * (sendable) once it committed; acked ones are deleted the same way.  The
 * sequence numbers start at the wall clock in microseconds the first time,
 * so a node whose state was wiped does not reuse numbers the database's
 * (node, node_seq) uniqueness would take for duplicates; a change sent twice
 * (a kill -9 between the database's answer and our commit) is stored once.
 * Memory: the queue is capped (max_tracked_ips entries); beyond, a decision
 * stays local and that is logged once.
 */
#include "cluster.h"
#include "cluster_pg.h"
#include "clock.h"
#include "iptab.h"
#include "log.h"
#include "rec.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define CLUSTER_VERSION  1
#define CLUSTER_PROV_MAX 100000 /* addresses whose deciders are kept */
#define CLUSTER_NODES    64     /* node names remembered for show */

enum ob_state { OB_ACKED, OB_INFLIGHT, OB_DURABLE, OB_NEW };

/* an outbox entry: small, as an outage may queue many (the node is us) */
struct ob {
	unsigned long long seq;
	uint8_t st;   /* enum ob_state */
	uint8_t kind; /* enum cluster_kind */
	struct addr ip;
	time_t at, expires;
	char *reason; /* NULL when empty */
};

/* one address's last decision of each kind (for popauthctl show) */
struct prov {
	struct addr ip;
	struct {
		time_t at;
		uint8_t node; /* index into cl.nodes, +1; 0 = none */
		bool applied;
	} d[CL_NKINDS];
};

static struct {
	bool on;
	const struct conf *cf;
	struct state_table *st;
	struct cluster_apply ap;
	bool applying; /* inside ap.apply: notes are echoes, not decisions */
	struct ob *q;
	size_t head, n, cap; /* live entries are q[head .. n) */
	size_t nnew, nacked; /* the suffix of new, the prefix of acked ones */
	char node[CLUSTER_NODE_MAX]; /* as started: a reload keeps it */
	unsigned long long next_seq;
	long long last_id;
	bool meta_dirty;
	bool full_said;
	unsigned long long applied, ignored, refused;
	struct iptab *prov;
	char *nodes[CLUSTER_NODES];
	size_t nnodes;
} cl;

bool
cluster_enabled(void)
{
	return cl.on;
}

static const struct addr *
prov_key(const void *rec)
{
	return &((const struct prov *)rec)->ip;
}

/* node_index - name's slot in the node table (+1), 0 when it is full */
static uint8_t
node_index(const char *name)
{
	size_t i;

	for (i = 0; i < cl.nnodes; i++)
		if (strcmp(cl.nodes[i], name) == 0)
			return (uint8_t)(i + 1);
	if (cl.nnodes == CLUSTER_NODES)
		return 0;
	cl.nodes[cl.nnodes++] = xstrdup(name);
	return (uint8_t)cl.nnodes;
}

static void
prov_free_one(void *arg, void *rec)
{
	UNUSED(arg);
	free(rec);
}

/* prov_note - remember that node decided kind about ip at at */
static void
prov_note(enum cluster_kind kind, const struct addr *ip, time_t at,
    const char *node, bool applied)
{
	struct prov *p = iptab_get(cl.prov, ip);

	if (p == NULL) {
		if (iptab_size(cl.prov) >= CLUSTER_PROV_MAX) {
			/* bounded: start over rather than grow */
			iptab_each(cl.prov, prov_free_one, NULL);
			iptab_free(cl.prov);
			cl.prov = iptab_new(prov_key);
		}
		p = xcalloc(1, sizeof(*p));
		p->ip = *ip;
		iptab_put(cl.prov, p);
	}
	p->d[kind].at = at;
	p->d[kind].node = node_index(node);
	p->d[kind].applied = applied;
}

size_t
cluster_decisions(const struct addr *ip, cluster_decision_fn *fn, void *arg)
{
	const struct prov *p = cl.prov != NULL ? iptab_get(cl.prov, ip) : NULL;
	size_t k, n = 0;

	for (k = 0; p != NULL && k < CL_NKINDS; k++) {
		if (p->d[k].node == 0)
			continue;
		fn(arg, (enum cluster_kind)k, cl.nodes[p->d[k].node - 1],
		    p->d[k].at, p->d[k].applied);
		n++;
	}
	return n;
}

/* ob_key - the state key of outbox entry seq */
static void
ob_key(unsigned long long seq, uint8_t key[9])
{
	int i;

	key[0] = 'o';
	for (i = 0; i < 8; i++)
		key[1 + i] = (uint8_t)(seq >> (56 - 8 * i));
}

static void
ob_encode(const struct ob *o, struct rec_buf *w)
{
	uint8_t k[REC_KEYLEN];
	size_t i;

	w->n = 0;
	w->full = false;
	rec_u8(w, CLUSTER_VERSION);
	rec_u8(w, o->kind);
	rec_key(&o->ip, k);
	for (i = 0; i < REC_KEYLEN; i++)
		rec_u8(w, k[i]);
	rec_i64(w, o->at);
	rec_i64(w, o->expires);
	rec_str(w, o->reason != NULL ? o->reason : "");
}

/* ob_set_reason - o's reason: a copy, cut at CLUSTER_REASON_MAX */
static void
ob_set_reason(struct ob *o, const char *reason)
{
	if (reason != NULL && *reason != '\0')
		o->reason = xstrndup(reason, CLUSTER_REASON_MAX - 1);
}

/* ob_change - o as the link sends it */
static void
ob_change(const struct ob *o, const char *node, struct cluster_change *c)
{
	memset(c, 0, sizeof(*c));
	c->kind = (enum cluster_kind)o->kind;
	c->ip = o->ip;
	c->at = o->at;
	c->expires = o->expires;
	snprintf(c->node, sizeof(c->node), "%s", node);
	snprintf(c->reason, sizeof(c->reason), "%s",
	    o->reason != NULL ? o->reason : "");
}

/* ob_push - a new entry at the tail (the queue grows as needed) */
static struct ob *
ob_push(void)
{
	if (cl.n == cl.cap) {
		if (cl.head > 0 && cl.head >= cl.n / 2) {
			/* reuse the room acked entries left at the front */
			memmove(cl.q, cl.q + cl.head,
			    (cl.n - cl.head) * sizeof(*cl.q));
			cl.n -= cl.head;
			cl.head = 0;
		} else {
			cl.cap = cl.cap > 0 ? cl.cap * 2 : 256;
			cl.q = xrealloc(cl.q, cl.cap * sizeof(*cl.q));
		}
	}
	memset(&cl.q[cl.n], 0, sizeof(cl.q[0]));
	return &cl.q[cl.n++];
}

static int
cluster_load_one(
    void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct rec_reader r = {val, vlen, 0, false};
	const uint8_t *k = key;
	struct ob *o;
	uint8_t ak[REC_KEYLEN];
	size_t i;
	char *reason;

	UNUSED(arg);
	if (klen == 1 && k[0] == 'm') {
		if (rec_get_u8(&r) != CLUSTER_VERSION)
			return -1;
		cl.last_id = rec_get_i64(&r);
		cl.next_seq = (unsigned long long)rec_get_i64(&r);
		return r.bad ? -1 : 0;
	}
	if (klen != 9 || k[0] != 'o' || rec_get_u8(&r) != CLUSTER_VERSION)
		return -1;
	o = ob_push();
	for (i = 0; i < 8; i++)
		o->seq = o->seq << 8 | k[1 + i];
	o->st = OB_DURABLE;
	o->kind = rec_get_u8(&r);
	for (i = 0; i < REC_KEYLEN; i++)
		ak[i] = rec_get_u8(&r);
	o->at = (time_t)rec_get_i64(&r);
	o->expires = (time_t)rec_get_i64(&r);
	reason = rec_get_str(&r);
	ob_set_reason(o, reason);
	free(reason);
	if (r.bad || o->kind >= CL_NKINDS ||
	    rec_key_addr(ak, sizeof(ak), &o->ip) < 0) {
		free(o->reason);
		cl.n--;
		return -1;
	}
	return 0;
}

static void
ob_taken_back(void)
{
	size_t i;

	for (i = cl.head; i < cl.n; i++)
		if (cl.q[i].st == OB_INFLIGHT)
			cl.q[i].st = OB_DURABLE;
}

/* --- what cluster_pg.c asks for (struct clpg_ops) --- */

static long long
ops_last_id(void *arg)
{
	UNUSED(arg);
	return cl.last_id;
}

static size_t
ops_take(void *arg, size_t max, clpg_add_fn *add, void *batch)
{
	struct cluster_change c;
	size_t i, n = 0;

	UNUSED(arg);
	for (i = cl.head; i < cl.n && n < max; i++) {
		if (cl.q[i].st == OB_INFLIGHT)
			return 0; /* one batch at a time */
		if (cl.q[i].st != OB_DURABLE)
			continue;
		cl.q[i].st = OB_INFLIGHT;
		ob_change(&cl.q[i], cl.node, &c);
		add(batch, cl.q[i].seq, &c);
		n++;
	}
	return n;
}

static void
ops_sent(void *arg, bool ok)
{
	size_t i;

	UNUSED(arg);
	if (!ok) {
		ob_taken_back();
		return;
	}
	for (i = cl.head; i < cl.n; i++)
		if (cl.q[i].st == OB_INFLIGHT) {
			cl.q[i].st = OB_ACKED;
			cl.nacked++;
		}
}

static void
ops_rows(void *arg, const struct cluster_change *v, size_t n, long long last,
    long long lag_ms, size_t refused)
{
	time_t now = clock_now();
	size_t i;

	UNUSED(arg);
	UNUSED(lag_ms);
	cl.refused += refused;
	cl.applying = true;
	for (i = 0; i < n; i++) {
		bool done = cl.ap.apply(cl.ap.arg, &v[i], now);

		if (done)
			cl.applied++;
		else
			cl.ignored++;
		prov_note(v[i].kind, &v[i].ip, v[i].at, v[i].node, done);
	}
	cl.applying = false;
	if (last > cl.last_id) {
		cl.last_id = last;
		cl.meta_dirty = true;
	}
}

/* --- the interface --- */

int
cluster_start(
    const struct conf *c, struct state *s, const struct cluster_apply *ap)
{
	static const struct clpg_ops ops = {
	    ops_rows, ops_last_id, ops_take, ops_sent, NULL};
	size_t i;

	cl.cf = c;
	if (c->cluster_database[0] == '\0')
		return 0;
	cl.ap = *ap;
	cl.prov = iptab_new(prov_key);
	if ((cl.st = state_table(s, "cluster")) == NULL)
		return -1;
	if (state_load(cl.st, cluster_load_one, NULL) < 0)
		return -1;
	if (cl.next_seq == 0) {
		struct timeval tv;

		gettimeofday(&tv, NULL);
		cl.next_seq = (unsigned long long)tv.tv_sec * 1000000ULL +
		    (unsigned long long)tv.tv_usec;
		cl.meta_dirty = true;
	}
	for (i = cl.head; i < cl.n; i++)
		if (cl.q[i].seq >= cl.next_seq)
			cl.next_seq = cl.q[i].seq + 1;
	cl.on = true;
	snprintf(cl.node, sizeof(cl.node), "%s", c->cluster_node);
	log_info("cluster: node %s, %zu changes waiting to be sent, last "
	         "change applied %lld",
	    c->cluster_node, cl.n - cl.head, cl.last_id);
	clpg_start(
	    c->cluster_database, c->cluster_node, c->cluster_retention, &ops);
	return 0;
}

void
cluster_conf(const struct conf *c)
{
	if (cl.on &&
	    (strcmp(c->cluster_database, cl.cf->cluster_database) != 0 ||
	        strcmp(c->cluster_node, cl.cf->cluster_node) != 0))
		log_warn("cluster: cluster_database and cluster_node take "
		         "effect at the next start, not on reload");
	if (!cl.on && c->cluster_database[0] != '\0')
		log_warn("cluster: cluster_database takes effect at the next "
		         "start, not on reload");
	if (cl.on)
		clpg_retention(c->cluster_retention);
	cl.cf = c; /* the running link keeps the node name it started with */
}

void
cluster_note(enum cluster_kind kind, const struct addr *ip, time_t expires,
    const char *reason)
{
	struct ob *o;

	if (!cl.on || cl.applying)
		return;
	if ((long long)(cl.n - cl.head) >= cl.cf->max_tracked_ips) {
		if (!cl.full_said)
			log_warn("cluster: outbox full (max_tracked_ips %lld "
			         "changes): new decisions stay local until "
			         "the database takes the backlog",
			    cl.cf->max_tracked_ips);
		cl.full_said = true;
		return;
	}
	cl.full_said = false;
	o = ob_push();
	o->seq = cl.next_seq++;
	o->st = OB_NEW;
	o->kind = (uint8_t)kind;
	o->ip = *ip;
	o->at = clock_now();
	o->expires = clrow_has_expiry(kind) ? expires : -1;
	ob_set_reason(o, reason);
	cl.nnew++;
	cl.meta_dirty = true; /* next_seq moved */
	prov_note(kind, ip, o->at, cl.node, true);
}

void
cluster_poll(void)
{
	if (cl.on)
		clpg_poll();
}

long long
cluster_timeout_ms(void)
{
	return cl.on ? clpg_timeout_ms() : -1;
}

bool
cluster_dirty(void)
{
	return cl.on && (cl.meta_dirty || cl.nnew > 0 || cl.nacked > 0);
}

int
cluster_sync(void)
{
	struct rec_buf w;
	uint8_t key[9];
	size_t i;

	if (!cl.on)
		return 0;
	/* acked ones are a prefix, new ones a suffix: never the whole queue */
	for (i = cl.head; i < cl.head + cl.nacked; i++) {
		ob_key(cl.q[i].seq, key);
		if (state_del(cl.st, key, sizeof(key)) < 0)
			return -1;
	}
	for (i = cl.n - cl.nnew; i < cl.n; i++) {
		ob_key(cl.q[i].seq, key);
		ob_encode(&cl.q[i], &w);
		if (state_put(cl.st, key, sizeof(key), w.b, w.n) < 0)
			return -1;
	}
	if (cl.meta_dirty) {
		w.n = 0;
		w.full = false;
		rec_u8(&w, CLUSTER_VERSION);
		rec_i64(&w, cl.last_id);
		rec_i64(&w, (int64_t)cl.next_seq);
		if (state_put(cl.st, "m", 1, w.b, w.n) < 0)
			return -1;
	}
	return 0;
}

void
cluster_synced(void)
{
	size_t i;

	if (!cl.on)
		return;
	for (i = cl.n - cl.nnew; i < cl.n; i++)
		cl.q[i].st = OB_DURABLE;
	cl.nnew = 0;
	/* the acked prefix is gone from state: drop it */
	for (i = cl.head; i < cl.head + cl.nacked; i++)
		free(cl.q[i].reason);
	cl.head += cl.nacked;
	cl.nacked = 0;
	if (cl.head == cl.n)
		cl.head = cl.n = 0;
	cl.meta_dirty = false;
	clpg_poll(); /* something may be sendable now */
}

void
cluster_stop(void)
{
	size_t i;

	if (cl.on)
		clpg_fini();
	if (cl.prov != NULL) {
		iptab_each(cl.prov, prov_free_one, NULL);
		iptab_free(cl.prov);
	}
	for (i = 0; i < cl.nnodes; i++)
		free(cl.nodes[i]);
	for (i = cl.head; i < cl.n; i++)
		free(cl.q[i].reason);
	free(cl.q);
	memset(&cl, 0, sizeof(cl));
}

struct peek {
	size_t outbox;
	long long last_id;
};

static int
cluster_peek_one(
    void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct rec_reader r = {val, vlen, 0, false};
	struct peek *p = arg;
	const uint8_t *k = key;

	if (klen == 1 && k[0] == 'm' && rec_get_u8(&r) == CLUSTER_VERSION) {
		p->last_id = rec_get_i64(&r);
		return r.bad ? -1 : 0;
	}
	if (klen == 9 && k[0] == 'o') {
		p->outbox++;
		return 0;
	}
	return -1;
}

int
cluster_state_peek(struct state *s, size_t *outbox, long long *last_id)
{
	struct state_table *t = state_table(s, "cluster");
	struct peek p = {0, 0};

	if (t == NULL || state_load(t, cluster_peek_one, &p) < 0)
		return -1;
	*outbox = p.outbox;
	*last_id = p.last_id;
	return 0;
}

void
cluster_status(struct cluster_status *s)
{
	const struct clpg_stats *ps = clpg_stats();
	memset(s, 0, sizeof(*s));
	s->enabled = cl.on;
	s->node = cl.node;
	s->last_id = cl.last_id;
	s->lag_ms = -1;
	s->since_fetch_ms = -1;
	s->last_error = "";
	if (!cl.on)
		return;
	s->outbox = cl.n - cl.head - cl.nacked;
	s->connected = ps->connected;
	s->lag_ms = ps->fetched > 0 ? ps->lag_ms : -1;
	s->since_fetch_ms =
	    ps->last_rows_ms > 0 ? mono_ms() - ps->last_rows_ms : -1;
	s->applied = cl.applied;
	s->ignored = cl.ignored;
	s->refused = cl.refused;
	s->published = ps->published;
	s->failures = ps->failures;
	s->last_error = ps->last_error;
}

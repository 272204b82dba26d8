/*
 * fish.c - the address-fishing tracker (see fish.h).
 *
 * Pairs live in a small array per IP, capped at max_fish_pairs (an attacker can
 * send any number of recipients; past the cap only the counters move).  The
 * decision uses unique pairs only: repeating one mistyped address is not
 * fishing, trying many different ones is.
 */
#include "fish.h"
#include "clock.h"
#include "iptab.h"
#include "log.h"
#include "rec.h"
#include "timer.h"
#include "track.h"
#include "util.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FISH_VERSION 1

struct fish_pair {
	char *to, *from; /* one block, to first: free(to) frees both */
	time_t first, last;
	uint32_t count;
	uint32_t h; /* pair_hash: most of the list is passed on it alone */
};

/* pair_hash - FNV-1a of to, its NUL, from */
static uint32_t
pair_hash(const char *to, const char *from)
{
	return fnv1a(fnv1a(FNV1A_INIT, to, strlen(to) + 1), from, strlen(from));
}

struct fisher {
	struct addr ip;
	bool dirty;
	uint32_t npairs, cap, unique; /* unique counts pairs past the cap too */
	time_t first_unique, last;
	struct fish_pair *pairs;
	struct timer expiry;
};

static struct track tr; /* the fishers by address, their change list */
static const struct conf *fish_cf;

static const struct addr *
fish_key(const void *rec)
{
	return &((const struct fisher *)rec)->ip;
}

static void
fish_changed(struct fisher *f, const struct addr *ip)
{
	track_changed(&tr, f, ip);
}

static void
fish_free(struct fisher *f)
{
	uint32_t i;

	timer_cancel(&f->expiry);
	for (i = 0; i < f->npairs; i++) {
		free(f->pairs[i].to); /* from shares its block */
	}
	free(f->pairs);
	free(f);
}

static void
fish_expire(struct timer *t)
{
	struct fisher *f =
	    (struct fisher *)((char *)t - offsetof(struct fisher, expiry));
	char ip[ADDR_STRLEN];

	log_event("E-mail address fishing data for %s has expired and has been "
	          "removed",
	    addr_format(&f->ip, ip, sizeof(ip)));
	iptab_del(tr.tab, &f->ip);
	fish_changed(NULL, &f->ip);
	fish_free(f);
}

static void
fish_add_pair(struct fisher *f, const char *to, const char *from, time_t first,
    time_t last, uint32_t count)
{
	struct fish_pair *p;
	size_t nt = strlen(to) + 1, nf = strlen(from) + 1;

	if (f->npairs == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 4;
		f->pairs = xrealloc(f->pairs, f->cap * sizeof(*f->pairs));
	}
	p = &f->pairs[f->npairs++];
	p->h = pair_hash(to, from);
	p->to = xmalloc(nt + nf); /* one block for both */
	memcpy(p->to, to, nt);
	p->from = p->to + nt;
	memcpy(p->from, from, nf);
	p->first = first;
	p->last = last;
	p->count = count;
}

bool
fish_hit(const struct addr *ip, time_t now, const char *to, const char *from,
    const char *host, const char *helo)
{
	struct fisher *f = iptab_get(tr.tab, ip);
	char buf[ADDR_STRLEN];
	uint32_t i, h;
	double rate = 0;

	addr_format(ip, buf, sizeof(buf));
	log_info("Local address <%s> not found in message from <%s> using %s "
	         "[%s] (helo=%s)",
	    to, from, buf, host, helo);
	if (f == NULL) {
		if ((long long)iptab_size(tr.tab) >= fish_cf->max_tracked_ips) {
			log_warn("%s: fishing not tracked: max_tracked_ips "
			         "reached",
			    buf);
			return false;
		}
		f = xcalloc(1, sizeof(*f));
		f->ip = *ip;
		f->first_unique = now;
		iptab_put(tr.tab, f);
	}
	f->last = now;
	h = pair_hash(to, from);
	for (i = 0; i < f->npairs; i++)
		if (f->pairs[i].h == h && strcmp(f->pairs[i].to, to) == 0 &&
		    strcmp(f->pairs[i].from, from) == 0)
			break;
	if (i < f->npairs) {
		f->pairs[i].count++;
		f->pairs[i].last = now;
		log_info("%s has repeated an attempt to contact <%s> from <%s> "
		         "using %s [%s] (helo=%s) x %lu (%lu total unique bad "
		         "address combinations)",
		    buf, to, from, buf, host, helo,
		    (unsigned long)f->pairs[i].count, (unsigned long)f->unique);
	} else {
		f->unique++;
		if ((long long)f->npairs < fish_cf->max_fish_pairs)
			fish_add_pair(f, to, from, now, now, 1);
	}
	timer_set(&f->expiry, now + fish_cf->fish_expire, fish_expire);
	fish_changed(f, ip);
	if (f->unique >= 3 && now > f->first_unique)
		rate = (f->unique - 1) / (double)(now - f->first_unique);
	else if (f->unique >= 3)
		rate = (f->unique - 1) / 0.001;
	return (long long)f->unique > fish_cf->nullroute_fish_thresh ||
	    rate > fish_cf->nullroute_freq_thresh;
}

size_t
fish_count(void)
{
	return tr.tab != NULL ? iptab_size(tr.tab) : 0;
}

/* fish_decode - a stored record into a new fisher (no timer), or NULL */
static struct fisher *
fish_decode(const void *key, size_t klen, const void *val, size_t vlen)
{
	/* the layout of fish_sync and fish_load_one */
	struct rec_reader r = {val, vlen, 0, false};
	struct fisher *f;
	struct addr ip;
	uint32_t i, n;

	if (rec_key_addr(key, klen, &ip) < 0 || rec_get_u8(&r) != FISH_VERSION)
		return NULL;
	f = xcalloc(1, sizeof(*f));
	f->ip = ip;
	f->unique = rec_get_u32(&r);
	f->first_unique = (time_t)rec_get_i64(&r);
	f->last = (time_t)rec_get_i64(&r);
	n = rec_get_u32(&r);
	for (i = 0; i < n && !r.bad; i++) {
		char *to = rec_get_str(&r), *from = rec_get_str(&r);
		time_t first = (time_t)rec_get_i64(&r),
		       last = (time_t)rec_get_i64(&r);
		uint32_t count = rec_get_u32(&r);

		if (!r.bad)
			fish_add_pair(f, to, from, first, last, count);
		free(to);
		free(from);
	}
	if (r.bad) {
		fish_free(f);
		return NULL;
	}
	return f;
}

static int
fish_load_one(
    void *arg, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct fisher *f = fish_decode(key, klen, val, vlen);

	UNUSED(arg);
	if (f == NULL)
		return -1;
	iptab_put(tr.tab, f);
	timer_set(&f->expiry, f->last + fish_cf->fish_expire, fish_expire);
	return 0;
}

/* fish_encode - counters and pairs; only the counters when the pairs do not fit */
static void
fish_encode(const void *rec, struct rec_buf *w)
{
	const struct fisher *f = rec;
	uint32_t j, n = f->npairs;

	for (;;) {
		w->n = 0;
		w->full = false;
		rec_u8(w, FISH_VERSION);
		rec_u32(w, f->unique);
		rec_i64(w, f->first_unique);
		rec_i64(w, f->last);
		rec_u32(w, n);
		for (j = 0; j < n; j++) {
			rec_str(w, f->pairs[j].to);
			rec_str(w, f->pairs[j].from);
			rec_i64(w, f->pairs[j].first);
			rec_i64(w, f->pairs[j].last);
			rec_u32(w, f->pairs[j].count);
		}
		if (!w->full || n == 0)
			return;
		n = 0;
	}
}

int
fish_init(const struct conf *c, struct state *s)
{
	fish_cf = c;
	track_init(&tr, fish_key, offsetof(struct fisher, dirty), fish_encode);
	if (track_open(&tr, s, "fishing") < 0)
		return -1;
	if (state_load(tr.st, fish_load_one, NULL) < 0)
		return -1;
	timer_run(clock_now());
	return 0;
}

void
fish_conf(const struct conf *c)
{
	fish_cf = c;
}

bool
fish_dirty(void)
{
	return track_pending(&tr);
}

int
fish_sync(void)
{
	return track_sync(&tr);
}

void
fish_synced(void)
{
	track_synced(&tr);
}

static void
fish_free_one(void *arg, void *rec)
{
	UNUSED(arg);
	fish_free(rec);
}

void
fish_fini(void)
{
	if (tr.tab == NULL)
		return;
	iptab_each(tr.tab, fish_free_one, NULL);
	track_fini(&tr);
}

/* Admin and export interface (fish.h): appended for popauthctl (ctl.c). */

/* fish_call - f as a fish_info (pairs borrowed) handed to fn */
static void
fish_call(const struct fisher *f, fish_info_fn *fn, void *arg)
{
	struct fish_pair_info *pi = xcalloc(f->npairs, sizeof(*pi));
	struct fish_info fi;
	uint32_t i;

	for (i = 0; i < f->npairs; i++) {
		pi[i].to = f->pairs[i].to;
		pi[i].from = f->pairs[i].from;
		pi[i].first = f->pairs[i].first;
		pi[i].last = f->pairs[i].last;
		pi[i].count = f->pairs[i].count;
	}
	memset(&fi, 0, sizeof(fi));
	fi.ip = f->ip;
	fi.unique = f->unique;
	fi.first_unique = f->first_unique;
	fi.last = f->last;
	fi.npairs = f->npairs;
	fi.pairs = pi;
	fn(arg, &fi);
	free(pi);
}

struct fish_each_ctx {
	fish_info_fn *fn;
	void *arg;
};

static void
fish_each_one(void *arg, void *rec)
{
	struct fish_each_ctx *ec = arg;

	fish_call(rec, ec->fn, ec->arg);
}

void
fish_each(fish_info_fn *fn, void *arg)
{
	struct fish_each_ctx ec = {fn, arg};

	if (tr.tab != NULL)
		iptab_each(tr.tab, fish_each_one, &ec);
}

bool
fish_get(const struct addr *ip, fish_info_fn *fn, void *arg)
{
	struct fisher *f = tr.tab != NULL ? iptab_get(tr.tab, ip) : NULL;

	if (f == NULL)
		return false;
	fish_call(f, fn, arg);
	return true;
}

bool
fish_unique(const struct addr *ip, unsigned long *unique)
{
	const struct fisher *f = tr.tab != NULL ? iptab_get(tr.tab, ip) : NULL;

	if (f == NULL)
		return false;
	*unique = f->unique;
	return true;
}

int
fish_info_decode(const void *key, size_t klen, const void *val, size_t vlen,
    fish_info_fn *fn, void *arg)
{
	struct fisher *f = fish_decode(key, klen, val, vlen);

	if (f == NULL)
		return -1;
	fish_call(f, fn, arg);
	fish_free(f);
	return 0;
}

void
fish_info_encode(const struct fish_info *fi, struct rec_buf *w)
{
	/* the layout of fish_sync, without its fallback for a full record */
	size_t j;

	w->n = 0;
	w->full = false;
	rec_u8(w, FISH_VERSION);
	rec_u32(w, (uint32_t)fi->unique);
	rec_i64(w, fi->first_unique);
	rec_i64(w, fi->last);
	rec_u32(w, (uint32_t)fi->npairs);
	for (j = 0; j < fi->npairs; j++) {
		rec_str(w, fi->pairs[j].to);
		rec_str(w, fi->pairs[j].from);
		rec_i64(w, fi->pairs[j].first);
		rec_i64(w, fi->pairs[j].last);
		rec_u32(w, (uint32_t)fi->pairs[j].count);
	}
}

bool
fish_restore(const struct fish_info *fi, time_t now)
{
	struct fisher *f, *old;
	size_t j;

	if (fi->last + fish_cf->fish_expire <= now)
		return false;
	if ((old = iptab_del(tr.tab, &fi->ip)) != NULL)
		fish_free(old);
	f = xcalloc(1, sizeof(*f));
	f->ip = fi->ip;
	f->unique = (uint32_t)fi->unique;
	f->first_unique = fi->first_unique;
	f->last = fi->last;
	for (j = 0; j < fi->npairs && (long long)j < fish_cf->max_fish_pairs;
	     j++)
		fish_add_pair(f, fi->pairs[j].to, fi->pairs[j].from,
		    fi->pairs[j].first, fi->pairs[j].last,
		    (uint32_t)fi->pairs[j].count);
	iptab_put(tr.tab, f);
	timer_set(&f->expiry, f->last + fish_cf->fish_expire, fish_expire);
	fish_changed(NULL, &f->ip);
	return true;
}

bool
fish_forget(const struct addr *ip)
{
	struct fisher *f = tr.tab != NULL ? iptab_del(tr.tab, ip) : NULL;

	if (f == NULL)
		return false;
	fish_changed(NULL, ip);
	fish_free(f);
	return true;
}

static void
fish_collect_one(void *arg, void *rec)
{
	struct addr **p = arg;

	*(*p)++ = ((struct fisher *)rec)->ip;
}

size_t
fish_flush(void)
{
	size_t i, n = fish_count();
	struct addr *ips, *p;

	if (n == 0)
		return 0;
	ips = p = xcalloc(n, sizeof(*ips));
	iptab_each(tr.tab, fish_collect_one, &p);
	for (i = 0; i < n; i++)
		fish_forget(&ips[i]);
	free(ips);
	return n;
}

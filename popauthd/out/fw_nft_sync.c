/*
 * fw_nft_sync.c - read the nftables backend's sets back from the kernel.
 *
 * For fw_nft.c (see fw_nft_int.h): fw_nft_reconcile compares our six sets,
 * as `nft -j list table inet NAME` shows them through libnftables, with the
 * bans the tracker holds and writes the difference as one transaction;
 * fw_nft_left hands list bans each element's remaining kernel timer.
 * Elements are named only as struct addr (addr_parse of nft's JSON); a set
 * holding anything else is flushed by reconcile and skipped by left.
 * Errors: a missing table reads as empty; bad JSON is logged and returns -1,
 * and nothing is changed.
 */
#include "fw_nft_int.h"
#include "log.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NFT_LOG_MAX 20 /* per-element reconcile lines before a summary */

/* one element as the kernel holds it */
struct kelem {
	struct addr a;
	long long expires; /* seconds left; -1: no timeout */
};

struct kset {
	struct kelem *v;
	size_t n, cap;
	bool foreign; /* holds something we cannot name as a struct addr */
};

/* elem_addr - a set element's value as a struct addr; 0 or -1 */
static int
elem_addr(json_t *val, struct addr *a)
{
	json_t *pfx;
	const char *s;

	if (json_is_string(val)) {
		s = json_string_value(val);
		if (addr_parse(s, strlen(s), a) < 0)
			return -1;
		return a->family == ADDR_NET6 ? -1 : 0;
	}
	if ((pfx = json_object_get(val, "prefix")) != NULL &&
	    json_is_string(json_object_get(pfx, "addr")) &&
	    json_integer_value(json_object_get(pfx, "len")) == 64) {
		struct addr host;

		s = json_string_value(json_object_get(pfx, "addr"));
		if (addr_parse(s, strlen(s), &host) < 0 || host.family != 6)
			return -1;
		addr_net64(&host, a);
		return 0;
	}
	return -1;
}

/* kset_add - one element of a set's JSON "elem" array into ks */
static void
kset_add(struct kset *ks, json_t *el, enum nft_kind k)
{
	json_t *obj = json_object_get(el, "elem");
	json_t *val = obj != NULL ? json_object_get(obj, "val") : el;
	json_t *exp = obj != NULL ? json_object_get(obj, "expires") : NULL;
	struct kelem e;

	if (elem_addr(val, &e.a) < 0 || fw_nft_kind(&e.a) != k) {
		ks->foreign = true;
		return;
	}
	e.expires =
	    json_is_integer(exp) ? (long long)json_integer_value(exp) : -1;
	if (ks->n == ks->cap) {
		ks->cap = ks->cap == 0 ? 64 : ks->cap * 2;
		ks->v = xrealloc(ks->v, ks->cap * sizeof(*ks->v));
	}
	ks->v[ks->n++] = e;
}

/*
 * read_sets - our table's six sets as the kernel holds them, into ks
 * (indexed kind * 2 + scope); a missing table reads as empty.  0 or -1.
 */
static int
read_sets(const struct fw_settings *s, struct kset ks[NK_COUNT * 2])
{
	struct nft_ctx *nft = fw_nft_ctx();
	char cmd[80], *text = NULL;
	json_t *root, *arr, *it;
	unsigned int flags = nft_ctx_output_get_flags(nft);
	size_t i, j;
	int rc;

	snprintf(cmd, sizeof(cmd), "list table inet %s", s->table);
	nft_ctx_output_set_flags(nft, flags | NFT_CTX_OUTPUT_JSON);
	rc = nft_run_cmd_from_buffer(nft, cmd);
	if (rc == 0)
		text = xstrdup(nft_ctx_get_output_buffer(nft));
	nft_ctx_output_set_flags(nft, flags);
	if (rc != 0)
		return 0; /* no table (deleted by hand): all missing */
	root = json_loads(text, 0, NULL);
	free(text);
	if (root == NULL ||
	    !json_is_array(arr = json_object_get(root, "nftables"))) {
		log_warn(
		    "nftables: cannot read table inet %s: bad JSON", s->table);
		json_decref(root);
		return -1;
	}
	json_array_foreach(arr, i, it)
	{
		json_t *set = json_object_get(it, "set"), *elems, *el;
		const char *name;
		size_t k, idx;

		if (set == NULL ||
		    (name = json_string_value(json_object_get(set, "name"))) ==
		        NULL)
			continue;
		for (idx = 0; idx < NK_COUNT * 2; idx++)
			if (strcmp(name, fw_nft_sets[idx / 2].name[idx % 2]) ==
			    0)
				break;
		if (idx == NK_COUNT * 2)
			continue; /* not one of ours: the setup leaves it be */
		k = idx / 2;
		elems = json_object_get(set, "elem");
		json_array_foreach(elems, j, el)
		    kset_add(&ks[idx], el, (enum nft_kind)k);
	}
	json_decref(root);
	return 0;
}

/* kfind - the element for a in ks (sorted), or NULL */
static const struct kelem *
kfind(const struct kset *ks, const struct addr *a)
{
	if (ks->n == 0)
		return NULL; /* v may be NULL: bsearch's pointer must not be */
	return bsearch(a, ks->v, ks->n, sizeof(*ks->v), fw_addr_cmp);
}

/* tfind - is a wanted in scope sc? */
static const struct fw_target *
tfind(const struct fw_target *set, size_t n, const struct addr *a)
{
	if (n == 0)
		return NULL; /* set may be NULL: no bans at all */
	return bsearch(a, set, n, sizeof(*set), fw_addr_cmp);
}

/* stale - the kernel's expiry is more than a minute off the state's */
static bool
stale(const struct kelem *e, time_t unban)
{
	long long want = fw_nft_remaining(unban);

	if (want == 0)
		return e->expires >= 0; /* wanted without a timeout */
	return e->expires < 0 || e->expires < want - 60 ||
	    e->expires > want + 60;
}

int
fw_nft_reconcile(const struct fw_target *set, size_t n)
{
	struct kset ks[NK_COUNT * 2];
	struct nbuf b;
	char ip[ADDR_STRLEN];
	size_t i, idx, added = 0, removed = 0;
	const struct fw_settings *s = fw_nft_settings();
	int rc = -1;

	if (s == NULL) {
		log_warn("nftables: cannot reconcile: not open");
		return -1;
	}
	memset(ks, 0, sizeof(ks));
	if (read_sets(s, ks) < 0)
		goto out;
	fw_nft_nb_init(&b);
	fw_nft_nb_setup(&b, s);
	for (idx = 0; idx < NK_COUNT * 2; idx++) {
		const char *name = fw_nft_sets[idx / 2].name[idx % 2];

		if (ks[idx].n > 1) /* v is NULL when empty: no qsort(NULL) */
			qsort(ks[idx].v, ks[idx].n, sizeof(*ks[idx].v),
			    fw_addr_cmp);
		if (ks[idx].foreign) {
			/* we name elements only by struct addr: start over */
			log_info("nftables: set %s held elements popauthd "
			         "did not write; flushing it",
			    name);
			fw_nft_nb_add(
			    &b, "flush set inet %s %s\n", s->table, name);
			removed += ks[idx].n;
			ks[idx].n = 0;
		}
		/* stray elements: not wanted, or wanted in the other scope */
		for (i = 0; i < ks[idx].n; i++) {
			const struct fw_target *t =
			    tfind(set, n, &ks[idx].v[i].a);

			if (t != NULL && (size_t)t->scope == idx % 2)
				continue;
			fw_nft_nb_del(&b, name, &ks[idx].v[i].a);
			if (removed++ < NFT_LOG_MAX)
				log_info("%s: removed from set %s",
				    addr_format(
				        &ks[idx].v[i].a, ip, sizeof(ip)),
				    name);
		}
	}
	for (i = 0; i < n; i++) {
		enum nft_kind k = fw_nft_kind(&set[i].a);
		const char *name = fw_nft_sets[k].name[set[i].scope];
		const struct kelem *e =
		    kfind(&ks[(size_t)k * 2 + set[i].scope], &set[i].a);

		if (e != NULL && !stale(e, set[i].unban))
			continue;
		if (e != NULL)
			fw_nft_nb_del(&b, name, &set[i].a);
		fw_nft_nb_put(&b, name, &set[i].a, set[i].unban);
		if (added++ < NFT_LOG_MAX)
			log_info("%s: %s set %s (timeout %llds)",
			    addr_format(&set[i].a, ip, sizeof(ip)),
			    e != NULL ? "renewed in" : "added to", name,
			    fw_nft_remaining(set[i].unban));
	}
	rc = fw_nft_run(b.p, "table not reconciled", NULL);
	free(b.p);
	if (rc == 0 && (added > 0 || removed > 0))
		log_info("nftables: table inet %s reconciled: %zu element(s) "
		         "added or renewed, %zu removed",
		    s->table, added, removed);
out:
	for (idx = 0; idx < NK_COUNT * 2; idx++)
		free(ks[idx].v);
	return rc;
}

int
fw_nft_left(struct fw_left **v, size_t *n)
{
	struct kset ks[NK_COUNT * 2];
	const struct fw_settings *s = fw_nft_settings();
	size_t i, idx, cap = 0;
	int rc;

	if (s == NULL)
		return -1;
	memset(ks, 0, sizeof(ks));
	rc = read_sets(s, ks);
	for (idx = 0; idx < NK_COUNT * 2; idx++) {
		for (i = 0; rc == 0 && i < ks[idx].n; i++) {
			if (ks[idx].v[i].expires < 0)
				continue; /* no timer: we lift it ourselves */
			if (*n == cap) {
				cap = cap == 0 ? 64 : cap * 2;
				*v = xrealloc(*v, cap * sizeof(**v));
			}
			(*v)[*n].a = ks[idx].v[i].a;
			(*v)[(*n)++].left = ks[idx].v[i].expires;
		}
		free(ks[idx].v);
	}
	return rc;
}

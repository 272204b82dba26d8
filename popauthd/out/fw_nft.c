/*
 * fw_nft.c - the nftables firewall backend (firewall_backend = nftables).
 *
 * For fw.c (see fw.h).  popauthd owns one table, "table inet NAME"
 * (nftables_table), and reads or changes nothing outside it:
 *     set ban4, ban6          type ipv4_addr / ipv6_addr; flags timeout
 *     set ban6net             type ipv6_addr; flags interval,timeout (a /64)
 *     set ban4_smtp, ban6_smtp, ban6net_smtp   the same for scope smtp
 *     chain input { type filter hook input priority -10;
 *         ip saddr @ban4 drop; ip6 saddr @ban6 drop; ip6 saddr @ban6net drop;
 *         tcp dport { nullroute_ports } ip saddr @ban4_smtp drop; ... }
 * A ban is an element with a kernel timeout equal to its remaining time, so
 * it lifts on time even while popauthd is down; popauthd still deletes it at
 * unban, and an extension deletes and re-adds it (a timeout cannot change in
 * place).  List them with: nft list table inet popauthd.
 *
 * Every call builds one command buffer and hands it to
 * nft_run_cmd_from_buffer: one kernel transaction, all or nothing.  Each
 * buffer starts by (re)declaring the table, its sets and its chain (idempotent
 * "add", then "flush chain" and our rules), so a table an admin deleted comes
 * back with the next change.  A delete is written "add element X; delete
 * element X": the kernel refuses to delete an element that is not there (one
 * may have just timed out), and that would fail the whole transaction.
 *
 * Security: element text comes only from struct addr via addr_format, the
 * table name from conf_check.c's identifier check, ports from conf_ports:
 * nothing from a log line reaches the command buffer.
 * Errors: a refused transaction changes nothing; it is logged with nft's own
 * message and the next fw_reconcile (iptables_refresh) retries.
 */
#include "fw.h"
#include "clock.h"
#include "log.h"
#include "util.h"

#include <jansson.h>
#include <nftables/libnftables.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the six sets: kind (IPv4 host, IPv6 host, IPv6 /64) by scope */
enum nft_kind { NK_4, NK_6, NK_NET6, NK_COUNT };

static const struct nft_setdef {
	const char *name[2]; /* [SCOPE_ALL], [SCOPE_SMTP] */
	const char *type;
	const char *flags;
	const char *match; /* the rule's selector */
} nft_sets[NK_COUNT] = {
    {{"ban4", "ban4_smtp"}, "ipv4_addr", "timeout", "ip saddr"},
    {{"ban6", "ban6_smtp"}, "ipv6_addr", "timeout", "ip6 saddr"},
    {{"ban6net", "ban6net_smtp"}, "ipv6_addr", "interval,timeout", "ip6 saddr"},
};

#define NFT_LOG_MAX 20 /* per-element reconcile lines before a summary */

struct nbuf {
	char *p;
	size_t n, cap;
};

static struct nft_ctx *nft;
static struct fw_settings nft_set;
static bool nft_ok; /* open succeeded */

/* nb_add - append printf text to b */
static void nb_add(struct nbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
nb_add(struct nbuf *b, const char *fmt, ...)
{
	va_list ap;
	int len;

	for (;;) {
		va_start(ap, fmt);
		len = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if (len < 0)
			log_panic("%s: vsnprintf failed", __func__);
		if ((size_t)len < b->cap - b->n)
			break;
		b->cap = b->cap * 2 + (size_t)len + 256;
		b->p = xrealloc(b->p, b->cap);
	}
	b->n += (size_t)len;
}

/* nb_init - an empty buffer */
static void
nb_init(struct nbuf *b)
{
	b->cap = 4096;
	b->n = 0;
	b->p = xmalloc(b->cap);
	b->p[0] = '\0';
}

/* kind_of - which set family a belongs to */
static enum nft_kind
kind_of(const struct addr *a)
{
	if (a->family == 4)
		return NK_4;
	return a->family == ADDR_NET6 ? NK_NET6 : NK_6;
}

/* nb_setup - declare table, sets and chain under s (idempotent) */
static void
nb_setup(struct nbuf *b, const struct fw_settings *s)
{
	const char *t = s->table;
	char ports[FW_PORTS_MAX * 12 + 8];
	size_t i, k, pn = 0;
	int sc;

	nb_add(b, "add table inet %s\n", t);
	for (k = 0; k < NK_COUNT; k++)
		for (sc = 0; sc < 2; sc++)
			nb_add(b, "add set inet %s %s { type %s; flags %s; }\n",
			    t, nft_sets[k].name[sc], nft_sets[k].type,
			    nft_sets[k].flags);
	nb_add(b,
	    "add chain inet %s input { type filter hook input priority -10; "
	    "policy accept; }\nflush chain inet %s input\n",
	    t, t);
	for (k = 0; k < NK_COUNT; k++)
		nb_add(b, "add rule inet %s input %s @%s drop\n", t,
		    nft_sets[k].match, nft_sets[k].name[SCOPE_ALL]);
	ports[0] = '\0';
	for (i = 0; i < s->nports && pn < sizeof(ports); i++) {
		int w = s->port_lo[i] == s->port_hi[i]
		    ? snprintf(ports + pn, sizeof(ports) - pn, "%s%u",
		          i > 0 ? ", " : "", (unsigned)s->port_lo[i])
		    : snprintf(ports + pn, sizeof(ports) - pn, "%s%u-%u",
		          i > 0 ? ", " : "", (unsigned)s->port_lo[i],
		          (unsigned)s->port_hi[i]);

		if (w < 0 || (size_t)w >= sizeof(ports) - pn)
			log_panic("%s: port list too long", __func__);
		pn += (size_t)w;
	}
	if (s->nports == 0)
		return; /* conf_ports refuses an empty list; nothing to match */
	for (k = 0; k < NK_COUNT; k++)
		nb_add(b,
		    "add rule inet %s input tcp dport { %s } %s @%s drop\n", t,
		    ports, nft_sets[k].match, nft_sets[k].name[SCOPE_SMTP]);
}

/* nb_del - delete a from set name, whether or not it is there */
static void
nb_del(struct nbuf *b, const char *set, const struct addr *a)
{
	char ip[ADDR_STRLEN];

	addr_format(a, ip, sizeof(ip));
	nb_add(b, "add element inet %s %s { %s }\n", nft_set.table, set, ip);
	nb_add(b, "delete element inet %s %s { %s }\n", nft_set.table, set, ip);
}

/* remaining - seconds of a ban until unban; 0: no kernel timeout */
static long long
remaining(time_t unban)
{
	long long left;

	if (unban <= 0)
		return 0; /* no time given (tests, old callers): we lift it */
	left = (long long)(unban - clock_now());
	return left < 1 ? 1 : left;
}

/* nb_put - add a to set name, timing out at unban */
static void
nb_put(struct nbuf *b, const char *set, const struct addr *a, time_t unban)
{
	char ip[ADDR_STRLEN];
	long long left = remaining(unban);

	addr_format(a, ip, sizeof(ip));
	if (left > 0)
		nb_add(b, "add element inet %s %s { %s timeout %llds }\n",
		    nft_set.table, set, ip, left);
	else
		nb_add(b, "add element inet %s %s { %s }\n", nft_set.table, set,
		    ip);
}

/*
 * run - one transaction; 0, or -1 with nft's message logged after what.
 * With out, the output buffer is copied there (caller frees).
 */
static int
run(const char *text, const char *what, char **out)
{
	const char *err;
	int rc;

	rc = nft_run_cmd_from_buffer(nft, text);
	err = nft_ctx_get_error_buffer(nft);
	if (rc != 0) {
		char msg[512];
		size_t len;

		/* nft's first line says why; the rest repeats our command */
		snprintf(msg, sizeof(msg), "%s",
		    err != NULL && *err != '\0' ? err : "unknown error");
		len = strcspn(msg, "\n");
		msg[len] = '\0';
		log_warn("nftables: %s: %s", what, msg);
		return -1;
	}
	if (out != NULL) {
		const char *o = nft_ctx_get_output_buffer(nft);

		*out = xstrdup(o != NULL ? o : "");
	}
	return 0;
}

/* ctx_open - a libnftables context with buffered output; 0 or -1 */
static int
ctx_open(void)
{
	if (nft != NULL)
		return 0;
	if ((nft = nft_ctx_new(NFT_CTX_DEFAULT)) == NULL) {
		log_error("nftables: cannot create a libnftables context");
		return -1;
	}
	if (nft_ctx_buffer_output(nft) != 0 || nft_ctx_buffer_error(nft) != 0) {
		log_error("nftables: cannot buffer libnftables output");
		nft_ctx_free(nft);
		nft = NULL;
		return -1;
	}
	return 0;
}

static int
nft_open(const struct fw_settings *s)
{
	struct nbuf b;
	struct fw_settings old = nft_set;
	int rc;

	if (ctx_open() < 0)
		return -1;
	nft_set = *s;
	nb_init(&b);
	nb_setup(&b, s);
	rc = run(b.p, "cannot set up the table", NULL);
	free(b.p);
	if (rc < 0) {
		const char *err = nft_ctx_get_error_buffer(nft);

		if (err != NULL &&
		    strstr(err, "Operation not permitted") != NULL)
			log_error("firewall_backend = nftables needs "
			          "CAP_NET_ADMIN (run as root)");
		log_error("nftables: cannot set up table inet %s", s->table);
		nft_set = old;
		return -1;
	}
	nft_ok = true;
	log_info("nftables: table inet %s ready (nft list table inet %s)",
	    s->table, s->table);
	return 0;
}

static int
nft_ban(const struct addr *a, enum nullroute_scope scope, time_t unban)
{
	const struct nft_setdef *d = &nft_sets[kind_of(a)];
	char ip[ADDR_STRLEN], what[ADDR_STRLEN + 32];
	struct nbuf b;
	int rc;

	addr_format(a, ip, sizeof(ip));
	if (!nft_ok) {
		log_warn("%s: cannot null-route: nftables not open", ip);
		return -1;
	}
	nb_init(&b);
	nb_setup(&b, &nft_set);
	/* the other scope's element goes; ours is re-added with the timeout */
	nb_del(&b, d->name[SCOPE_ALL], a);
	nb_del(&b, d->name[SCOPE_SMTP], a);
	nb_put(&b, d->name[scope], a, unban);
	snprintf(what, sizeof(what), "%s: null-route not applied", ip);
	rc = run(b.p, what, NULL);
	free(b.p);
	if (rc == 0)
		log_debug("%s: set %s: timeout %llds", ip, d->name[scope],
		    remaining(unban));
	return rc;
}

static int
nft_unban(const struct addr *a)
{
	const struct nft_setdef *d = &nft_sets[kind_of(a)];
	char ip[ADDR_STRLEN], what[ADDR_STRLEN + 32];
	struct nbuf b;
	int rc;

	addr_format(a, ip, sizeof(ip));
	if (!nft_ok) {
		log_warn("%s: cannot lift null-route: nftables not open", ip);
		return -1;
	}
	nb_init(&b);
	nb_setup(&b, &nft_set);
	nb_del(&b, d->name[SCOPE_ALL], a);
	nb_del(&b, d->name[SCOPE_SMTP], a);
	snprintf(what, sizeof(what), "%s: null-route not lifted", ip);
	rc = run(b.p, what, NULL);
	free(b.p);
	return rc;
}

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

	if (elem_addr(val, &e.a) < 0 || kind_of(&e.a) != k) {
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
read_sets(struct kset ks[NK_COUNT * 2])
{
	char cmd[80], *text = NULL;
	json_t *root, *arr, *it;
	unsigned int flags = nft_ctx_output_get_flags(nft);
	size_t i, j;
	int rc;

	snprintf(cmd, sizeof(cmd), "list table inet %s", nft_set.table);
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
		log_warn("nftables: cannot read table inet %s: bad JSON",
		    nft_set.table);
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
			if (strcmp(name, nft_sets[idx / 2].name[idx % 2]) == 0)
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
		return NULL; /* bsearch wants a base even for no elements */
	return bsearch(a, ks->v, ks->n, sizeof(*ks->v), fw_addr_cmp);
}

/* tfind - is a wanted in scope sc? */
static const struct fw_target *
tfind(const struct fw_target *set, size_t n, const struct addr *a)
{
	if (n == 0)
		return NULL;
	return bsearch(a, set, n, sizeof(*set), fw_addr_cmp);
}

/* stale - the kernel's expiry is more than a minute off the state's */
static bool
stale(const struct kelem *e, time_t unban)
{
	long long want = remaining(unban);

	if (want == 0)
		return e->expires >= 0; /* wanted without a timeout */
	return e->expires < 0 || e->expires < want - 60 ||
	    e->expires > want + 60;
}

static int
nft_reconcile(const struct fw_target *set, size_t n)
{
	struct kset ks[NK_COUNT * 2];
	struct nbuf b;
	char ip[ADDR_STRLEN];
	size_t i, idx, added = 0, removed = 0;
	int rc = -1;

	if (!nft_ok) {
		log_warn("nftables: cannot reconcile: not open");
		return -1;
	}
	memset(ks, 0, sizeof(ks));
	if (read_sets(ks) < 0)
		goto out;
	nb_init(&b);
	nb_setup(&b, &nft_set);
	for (idx = 0; idx < NK_COUNT * 2; idx++) {
		const char *name = nft_sets[idx / 2].name[idx % 2];

		if (ks[idx].n > 1)
			qsort(ks[idx].v, ks[idx].n, sizeof(*ks[idx].v),
			    fw_addr_cmp);
		if (ks[idx].foreign) {
			/* we name elements only by struct addr: start over */
			log_info("nftables: set %s held elements popauthd "
			         "did not write; flushing it",
			    name);
			nb_add(
			    &b, "flush set inet %s %s\n", nft_set.table, name);
			removed += ks[idx].n;
			ks[idx].n = 0;
		}
		/* stray elements: not wanted, or wanted in the other scope */
		for (i = 0; i < ks[idx].n; i++) {
			const struct fw_target *t =
			    tfind(set, n, &ks[idx].v[i].a);

			if (t != NULL && (size_t)t->scope == idx % 2)
				continue;
			nb_del(&b, name, &ks[idx].v[i].a);
			if (removed++ < NFT_LOG_MAX)
				log_info("%s: removed from set %s",
				    addr_format(
				        &ks[idx].v[i].a, ip, sizeof(ip)),
				    name);
		}
	}
	for (i = 0; i < n; i++) {
		enum nft_kind k = kind_of(&set[i].a);
		const char *name = nft_sets[k].name[set[i].scope];
		const struct kelem *e =
		    kfind(&ks[(size_t)k * 2 + set[i].scope], &set[i].a);

		if (e != NULL && !stale(e, set[i].unban))
			continue;
		if (e != NULL)
			nb_del(&b, name, &set[i].a);
		nb_put(&b, name, &set[i].a, set[i].unban);
		if (added++ < NFT_LOG_MAX)
			log_info("%s: %s set %s (timeout %llds)",
			    addr_format(&set[i].a, ip, sizeof(ip)),
			    e != NULL ? "renewed in" : "added to", name,
			    remaining(set[i].unban));
	}
	rc = run(b.p, "table not reconciled", NULL);
	free(b.p);
	if (rc == 0 && (added > 0 || removed > 0))
		log_info("nftables: table inet %s reconciled: %zu element(s) "
		         "added or renewed, %zu removed",
		    nft_set.table, added, removed);
out:
	for (idx = 0; idx < NK_COUNT * 2; idx++)
		free(ks[idx].v);
	return rc;
}

static void
nft_close(bool keep)
{
	char cmd[160];

	if (!nft_ok)
		return;
	nft_ok = false;
	if (keep) {
		log_info("nftables: keeping table inet %s and its bans "
		         "(nullroute_keep_on_exit = yes)",
		    nft_set.table);
		return;
	}
	snprintf(cmd, sizeof(cmd), "add table inet %s\ndelete table inet %s\n",
	    nft_set.table, nft_set.table);
	if (run(cmd, "table not removed", NULL) == 0)
		log_info("nftables: removed table inet %s and its bans",
		    nft_set.table);
}

const struct fw_ops fw_nft_ops = {
    "nftables",
    nft_open,
    nft_ban,
    nft_unban,
    nft_reconcile,
    nft_close,
};

bool
fw_nft_usable(const struct fw_settings *s, char *why, size_t size)
{
	char path[4096], cmd[80];
	const char *err;

	/* iptables-legacy beside nft: admins look with iptables -L there */
	if (realpath(FW_IPTABLES_PATH, path) == NULL) {
		snprintf(why, size, "%s not found", FW_IPTABLES_PATH);
		return false;
	}
	if (strstr(path, "nft") == NULL) {
		snprintf(why, size, "%s is %s, not iptables-nft",
		    FW_IPTABLES_PATH, path);
		return false;
	}
	if (ctx_open() < 0) {
		snprintf(why, size, "no libnftables context");
		return false;
	}
	/* only our own table is looked at; missing is fine */
	snprintf(cmd, sizeof(cmd), "list table inet %s", s->table);
	if (nft_run_cmd_from_buffer(nft, cmd) != 0 &&
	    ((err = nft_ctx_get_error_buffer(nft)) == NULL ||
	        strstr(err, "No such file or directory") == NULL)) {
		snprintf(why, size, "the nftables kernel interface refused us");
		return false;
	}
	snprintf(why, size, "%s is iptables-nft (%s) and nftables works",
	    FW_IPTABLES_PATH, path);
	return true;
}

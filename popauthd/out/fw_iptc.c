/*
 * fw_iptc.c - the iptables firewall backend: libiptc (IPv4) and libip6tc (IPv6).
 *
 * For fw.c (see fw.h for the rules we write).  Every operation is one
 * transaction per family: iptc_init snapshots the filter table, we change our
 * chain (and only our chain and our one jump from INPUT), iptc_commit swaps the
 * whole table in, iptc_free.  A failed commit changes nothing in the kernel.
 * The two libraries have the same calls with different entry types, so a small
 * table of wrappers (struct fam) lets one body of code serve both families.
 * Reading the chain: collect every rule first, then change (libiptc's rule
 * pointers die with the first modification); delete from the highest index.
 * Each transaction holds iptables' own lock (xt_lock), as iptables -w does.
 *
 * GCC 12 -Werror: libiptc's prototypes take const xt_chainlabel (char[32]), so
 * chain names live in 32-byte objects, never string literals
 * (../shared/ref/real-mail-stack.md section 8).
 * Errors: logged with the library's text; the caller gets -1 and carries on.
 */
#include "fw_iptc_fam.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <libiptc/libiptc.h>
#include <libiptc/libip6tc.h>
#include <linux/netfilter/xt_tcpudp.h>

#define IPTC_LOG_MAX    20 /* per-rule reconcile lines before a summary only */
#define XT_LOCK_PATH    "/run/xtables.lock" /* iptables-legacy's, 1.8 */
#define XT_LOCK_WAIT_MS 2000

static const xt_chainlabel iptc_input = "INPUT";
static const xt_chainlabel iptc_drop = "DROP";

static struct fw_settings iptc_set;
static bool iptc_ok[2]; /* [0] IPv4, [1] IPv6 usable since fw_open */
static int xt_lock_fd = -1;

/* fam_of - the family table for a, or NULL (logged) when it is unusable */
static const struct fam *
fam_of(const struct addr *a, const char *what)
{
	char ip[ADDR_STRLEN];
	int i = a->family == 4 ? 0 : 1;

	if (!iptc_ok[i]) {
		log_warn("%s: cannot %s: %s not available",
		    addr_format(a, ip, sizeof(ip)), what, iptc_fams[i]->tool);
		return NULL;
	}
	return iptc_fams[i];
}

/*
 * xt_lock - take iptables' own lock, as iptables -w does, so an admin's
 * iptables command and our snapshot-change-commit never interleave (a commit
 * replaces the whole table).  Waits up to XT_LOCK_WAIT_MS; 0 or -1 (logged).
 */
static int
xt_lock(void)
{
	const char *path = getenv("XTABLES_LOCKFILE");
	long long end = mono_ms() + XT_LOCK_WAIT_MS;
	int fd, err;

	if (path == NULL || *path == '\0')
		path = XT_LOCK_PATH;
	if ((fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0600)) < 0)
		return 0; /* no /run to share a lock in: nobody to wait for */
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		err = errno;
		if ((err != EWOULDBLOCK && err != EINTR) || mono_ms() >= end) {
			log_warn("%s: %s", path,
			    err == EWOULDBLOCK ? "held by another iptables for "
			                         "too long, try again later"
			                       : strerror(err));
			close(fd);
			errno = EWOULDBLOCK;
			return -1;
		}
		poll(NULL, 0, 10);
	}
	xt_lock_fd = fd;
	return 0;
}

/* xt_unlock - release the lock from xt_lock (closing drops the flock) */
static void
xt_unlock(void)
{
	if (xt_lock_fd >= 0)
		close(xt_lock_fd);
	xt_lock_fd = -1;
}

/* snapshot - lock, then iptc_init; NULL with errno set on failure */
static struct xtc_handle *
snapshot(const struct fam *f)
{
	struct xtc_handle *h;
	int err;

	if (xt_lock() < 0)
		return NULL;
	if ((h = f->init()) == NULL) {
		err = errno;
		xt_unlock();
		errno = err;
	}
	return h;
}

/* discard - free a snapshot without committing, and unlock */
static void
discard(const struct fam *f, struct xtc_handle *h)
{
	f->release(h);
	xt_unlock();
}

/* begin - snapshot the filter table; NULL (logged) on failure */
static struct xtc_handle *
begin(const struct fam *f)
{
	struct xtc_handle *h = snapshot(f);
	int err = errno;

	if (h == NULL)
		log_warn("%s: cannot read the filter table: %s", f->tool,
		    f->error(err));
	return h;
}

/* finish - commit when changed, then free and unlock; 0 or -1 (logged) */
static int
finish(const struct fam *f, struct xtc_handle *h, bool changed)
{
	int rc = 0, err;

	if (changed && f->commit(h) == 0) {
		err = errno;
		log_warn("%s: commit refused: %s", f->tool, f->error(err));
		rc = -1;
	}
	discard(f, h);
	return rc;
}

/* fail_op - log a failed libiptc call (errno still its own) */
static void
fail_op(const struct fam *f, const char *op)
{
	int err = errno;

	log_warn("%s: %s %s: %s", f->tool, op, iptc_set.chain, f->error(err));
}

/* jumps - indices of INPUT rules jumping to chain, and INPUT's length */
static size_t
jumps(const struct fam *f, struct xtc_handle *h, const char *chain,
    unsigned int *idx, size_t max, unsigned int *len)
{
	const void *e;
	const char *t;
	unsigned int i = 0;
	size_t n = 0;

	for (e = f->first(iptc_input, h); e != NULL; e = f->next(e, h), i++)
		if ((t = f->target(e, h)) != NULL && strcmp(t, chain) == 0 &&
		    n < max)
			idx[n++] = i;
	*len = i;
	return n;
}

/*
 * ensure - create s's chain and the jump from INPUT when missing; *changed
 * tells finish to commit.  0 or -1 (logged).
 */
static int
ensure(const struct fam *f, struct xtc_handle *h, const struct fw_settings *s,
    bool *changed, bool repair)
{
	unsigned int idx[1], len, pos;
	void *e;
	int ok;

	if (!f->is_chain(s->chain, h)) {
		if (f->create_chain(s->chain, h) == 0) {
			fail_op(f, "cannot create chain");
			return -1;
		}
		*changed = true;
		if (repair)
			log_warn("%s: chain %s was missing, recreated", f->tool,
			    s->chain);
	}
	if (jumps(f, h, s->chain, idx, NITEMS(idx), &len) > 0)
		return 0;
	{
		struct rulekey none;

		memset(&none, 0, sizeof(none));
		e = f->build(&none, s->chain);
	}
	pos = s->jump_line - 1;
	/* a line beyond the end of INPUT means "last" */
	ok = pos >= len ? f->append(iptc_input, e, h)
	                : f->insert(iptc_input, e, pos, h);
	free(e);
	if (ok == 0) {
		fail_op(f, "cannot add the jump from INPUT to");
		return -1;
	}
	*changed = true;
	if (repair)
		log_warn("%s: jump from INPUT to %s was missing, re-added at "
		         "line %u",
		    f->tool, s->chain, (pos >= len ? len : pos) + 1);
	else
		log_info("%s: chain %s ready, jump from INPUT at line %u",
		    f->tool, s->chain, (pos >= len ? len : pos) + 1);
	return 0;
}

/* list - every rule of our chain, in order; caller frees *out */
static size_t
list(const struct fam *f, struct xtc_handle *h, struct rule **out)
{
	const void *e;
	const char *t;
	size_t n = 0, cap = 0;
	struct rule *v = NULL;

	for (e = f->first(iptc_set.chain, h); e != NULL; e = f->next(e, h)) {
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			v = xrealloc(v, cap * sizeof(*v));
		}
		f->parse(e, &v[n]);
		t = f->target(e, h);
		v[n].drop = t != NULL && strcmp(t, iptc_drop) == 0;
		v[n].ours = v[n].ours && v[n].drop;
		n++;
	}
	*out = v;
	return n;
}

/* add_rule - append one DROP for k to our chain; 0 or -1 (logged) */
static int
add_rule(const struct fam *f, struct xtc_handle *h, const struct rulekey *k)
{
	void *e = f->build(k, iptc_drop);
	int ok = f->append(iptc_set.chain, e, h);

	free(e);
	if (ok == 0) {
		fail_op(f, "cannot append to");
		return -1;
	}
	return 0;
}

/* del_rules - delete rules idx[0..n) (ascending) from our chain, last first */
static int
del_rules(const struct fam *f, struct xtc_handle *h, const unsigned int *idx,
    size_t n)
{
	while (n-- > 0)
		if (f->delete_num(iptc_set.chain, idx[n], h) == 0) {
			fail_op(f, "cannot delete from");
			return -1;
		}
	return 0;
}

static int
iptc_open(const struct fw_settings *s)
{
	bool ok[2] = {false, false}, changed;
	struct xtc_handle *h;
	size_t i;
	int err;

	for (i = 0; i < NITEMS(iptc_fams); i++) {
		const struct fam *f = iptc_fams[i];

		if ((h = snapshot(f)) == NULL) {
			err = errno;
			if (err == EPERM || err == EACCES) {
				log_error("firewall_backend = iptables needs "
				          "CAP_NET_ADMIN (run as root): %s: %s "
				          "(CAP_NET_RAW too, for its socket)",
				    f->tool, f->error(err));
				return -1;
			}
			if (f->family == 4) {
				log_error(
				    "iptables: cannot open the filter table: "
				    "%s",
				    f->error(err));
				return -1;
			}
			/* a kernel without ip6_tables still gets IPv4 bans */
			log_error(
			    "ip6tables: cannot open the filter table: %s; "
			    "IPv6 clients will not be null-routed",
			    f->error(err));
			continue;
		}
		changed = false;
		if (ensure(f, h, s, &changed, false) < 0) {
			discard(f, h);
			log_error(
			    "%s: cannot set up chain %s", f->tool, s->chain);
			return -1;
		}
		if (finish(f, h, changed) < 0) {
			log_error(
			    "%s: cannot set up chain %s", f->tool, s->chain);
			return -1;
		}
		ok[i] = true;
	}
	iptc_set = *s;
	iptc_ok[0] = ok[0];
	iptc_ok[1] = ok[1];
	return 0;
}

static int
iptc_ban(const struct addr *a, enum nullroute_scope scope, time_t unban)
{
	const struct fam *f = fam_of(a, "null-route");
	struct rulekey k[FW_PORTS_MAX];
	struct rule *r = NULL;
	struct xtc_handle *h;
	unsigned int *del = NULL;
	bool changed = false;
	size_t nk, nr, i, j, added = 0, ndel = 0;
	char ip[ADDR_STRLEN];

	UNUSED(unban); /* the tracker's timer lifts it: no kernel expiry here */
	if (f == NULL || (h = begin(f)) == NULL)
		return -1;
	if (ensure(f, h, &iptc_set, &changed, true) < 0)
		goto fail;
	nr = list(f, h, &r);
	nk = iptc_wanted(&iptc_set, a, scope, k);
	/* a's rules of another scope (or ports) go in the same commit */
	del = xcalloc(nr + 1, sizeof(*del));
	for (j = 0; j < nr; j++) {
		if (!r[j].ours || !addr_equal(&r[j].k.a, a))
			continue;
		for (i = 0; i < nk; i++)
			if (iptc_key_eq(&r[j].k, &k[i]))
				break;
		if (i == nk)
			del[ndel++] = (unsigned int)j;
	}
	if (del_rules(f, h, del, ndel) < 0)
		goto fail;
	for (i = 0; i < nk; i++) {
		for (j = 0; j < nr; j++)
			if (r[j].ours && iptc_key_eq(&r[j].k, &k[i]))
				break;
		if (j < nr)
			continue;
		if (add_rule(f, h, &k[i]) < 0)
			goto fail;
		added++;
	}
	free(r);
	free(del);
	r = NULL;
	del = NULL;
	if (finish(f, h, changed || added > 0 || ndel > 0) < 0)
		goto fail_logged;
	log_debug("%s: %s: scope %s: %zu rule(s) added to chain %s, %zu "
	          "replaced",
	    addr_format(a, ip, sizeof(ip)), f->tool, fw_scope_name(scope),
	    added, iptc_set.chain, ndel);
	return 0;
fail:
	free(r);
	free(del);
	discard(f, h);
fail_logged:
	log_warn("%s: null-route not applied", addr_format(a, ip, sizeof(ip)));
	return -1;
}

static int
iptc_unban(const struct addr *a)
{
	const struct fam *f = fam_of(a, "lift null-route");
	struct rule *r = NULL;
	struct xtc_handle *h;
	unsigned int *idx = NULL;
	size_t nr, i, n = 0;
	char ip[ADDR_STRLEN];

	if (f == NULL || (h = begin(f)) == NULL)
		return -1;
	if (!f->is_chain(iptc_set.chain, h)) {
		discard(f, h);
		return 0; /* nothing of ours left to remove */
	}
	nr = list(f, h, &r);
	idx = xcalloc(nr + 1, sizeof(*idx));
	for (i = 0; i < nr; i++)
		if (addr_equal(&r[i].k.a, a))
			idx[n++] = (unsigned int)i;
	if (del_rules(f, h, idx, n) < 0) {
		discard(f, h);
		goto fail;
	}
	if (finish(f, h, n > 0) < 0)
		goto fail;
	free(idx);
	free(r);
	log_debug("%s: %s: %zu rule(s) removed from chain %s",
	    addr_format(a, ip, sizeof(ip)), f->tool, n, iptc_set.chain);
	return 0;
fail:
	free(idx);
	free(r);
	log_warn("%s: null-route not lifted", addr_format(a, ip, sizeof(ip)));
	return -1;
}

/* reconcile1 - one family: make our chain hold exactly set's rules */
static int
reconcile1(const struct fam *f, const struct fw_target *set, size_t n)
{
	struct rulekey k[FW_PORTS_MAX];
	struct rule *r = NULL;
	struct xtc_handle *h;
	unsigned int *del = NULL;
	bool *seen = NULL, changed = false;
	size_t per = iptc_set.nports > 1 ? iptc_set.nports : 1;
	size_t nr, i, j, nk, ndel = 0, added = 0;
	const struct fw_target *hit;
	char buf[ADDR_STRLEN + 40];

	if ((h = begin(f)) == NULL)
		return -1;
	if (ensure(f, h, &iptc_set, &changed, true) < 0)
		goto fail;
	nr = list(f, h, &r);
	seen = xcalloc(n * per + 1, sizeof(*seen));
	del = xcalloc(nr + 1, sizeof(*del));
	for (i = 0; i < nr; i++) {
		if (r[i].ours && n > 0 && /* set is NULL when n is 0 */
		    (hit = bsearch(&r[i].k.a, set, n, sizeof(*set),
		         fw_addr_cmp)) != NULL) {
			size_t at = (size_t)(hit - set);

			nk = iptc_wanted(&iptc_set, &hit->a, hit->scope, k);
			for (j = 0; j < nk; j++)
				if (iptc_key_eq(&k[j], &r[i].k) &&
				    !seen[at * per + j])
					break;
			if (j < nk) {
				seen[at * per + j] = true;
				continue;
			}
		}
		del[ndel] = (unsigned int)i;
		if (ndel++ < IPTC_LOG_MAX)
			log_info(
			    "%s: reconcile: removed stale %s from chain %s",
			    f->tool, iptc_rule_text(&r[i], i, buf, sizeof(buf)),
			    iptc_set.chain);
	}
	if (del_rules(f, h, del, ndel) < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		if (addr_ipfamily(&set[i].a) != f->family)
			continue;
		nk = iptc_wanted(&iptc_set, &set[i].a, set[i].scope, k);
		for (j = 0; j < nk; j++) {
			if (seen[i * per + j])
				continue;
			if (add_rule(f, h, &k[j]) < 0)
				goto fail;
			if (added++ < IPTC_LOG_MAX)
				log_info("%s: reconcile: re-added missing "
				         "null-route "
				         "for %s to chain %s",
				    f->tool,
				    addr_format(&set[i].a, buf, sizeof(buf)),
				    iptc_set.chain);
		}
	}
	free(r);
	free(seen);
	free(del);
	if (finish(f, h, changed || ndel > 0 || added > 0) < 0)
		return -1;
	if (ndel > 0 || added > 0)
		log_info(
		    "%s: chain %s reconciled: %zu rule(s) added, %zu removed",
		    f->tool, iptc_set.chain, added, ndel);
	return 0;
fail:
	free(r);
	free(seen);
	free(del);
	discard(f, h);
	log_warn("%s: chain %s not reconciled", f->tool, iptc_set.chain);
	return -1;
}

static int
iptc_reconcile(const struct fw_target *set, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < NITEMS(iptc_fams); i++)
		if (iptc_ok[i] && reconcile1(iptc_fams[i], set, n) < 0)
			rc = -1;
	return rc;
}

static void
iptc_close(bool keep)
{
	unsigned int idx[64], len;
	struct xtc_handle *h;
	size_t i, n;
	bool changed;

	if (keep) {
		log_info("iptables: keeping chain %s, its rules and the jump "
		         "(nullroute_keep_on_exit = yes)",
		    iptc_set.chain);
		iptc_ok[0] = iptc_ok[1] = false;
		return;
	}
	for (i = 0; i < NITEMS(iptc_fams); i++) {
		const struct fam *f = iptc_fams[i];

		if (!iptc_ok[i] || (h = begin(f)) == NULL)
			continue;
		changed = false;
		/* every jump to our chain, or the kernel refuses to delete it */
		n = jumps(f, h, iptc_set.chain, idx, NITEMS(idx), &len);
		while (n-- > 0) {
			if (f->delete_num(iptc_input, idx[n], h) == 0)
				fail_op(f, "cannot delete the jump to");
			else
				changed = true;
		}
		if (f->is_chain(iptc_set.chain, h)) {
			if (f->flush(iptc_set.chain, h) == 0 ||
			    f->delete_chain(iptc_set.chain, h) == 0)
				fail_op(f, "cannot remove chain");
			else
				changed = true;
		}
		if (finish(f, h, changed) == 0 && changed)
			log_info("%s: removed chain %s, its rules and the jump",
			    f->tool, iptc_set.chain);
	}
	iptc_ok[0] = iptc_ok[1] = false;
}

const struct fw_ops fw_iptc_ops = {
    "iptables", iptc_open, iptc_ban, iptc_unban, iptc_reconcile, iptc_close,
    NULL, /* no timers: list bans says unknown */
    NULL, /* auto asks nftables only; this is its fallback */
};

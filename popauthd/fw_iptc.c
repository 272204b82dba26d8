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
#include "fw.h"
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

/* one rule as we understand it; family 0 in a = no single source host */
struct rulekey {
	struct addr a;
	uint8_t proto; /* 0: every packet, IPPROTO_TCP: dport lo..hi */
	uint16_t lo, hi;
};

struct rule {
	struct rulekey k;
	bool ours; /* shaped exactly like a rule we write */
	bool drop; /* target is DROP */
};

struct fam {
	uint8_t family;
	const char *tool; /* for log lines: "iptables" or "ip6tables" */
	struct xtc_handle *(*init)(void);
	void (*release)(struct xtc_handle *h);
	int (*is_chain)(const char *chain, struct xtc_handle *h);
	int (*create_chain)(const char *chain, struct xtc_handle *h);
	int (*delete_chain)(const char *chain, struct xtc_handle *h);
	int (*flush)(const char *chain, struct xtc_handle *h);
	const void *(*first)(const char *chain, struct xtc_handle *h);
	const void *(*next)(const void *e, struct xtc_handle *h);
	const char *(*target)(const void *e, struct xtc_handle *h);
	int (*insert)(const char *chain, const void *e, unsigned int n,
	    struct xtc_handle *h);
	int (*append)(const char *chain, const void *e, struct xtc_handle *h);
	int (*delete_num)(
	    const char *chain, unsigned int n, struct xtc_handle *h);
	int (*commit)(struct xtc_handle *h);
	const char *(*error)(int err);
	void *(*build)(const struct rulekey *k, const char *target);
	void (*parse)(const void *e, struct rule *r);
};

static struct fw_settings iptc_set;
static bool iptc_ok[2]; /* [0] IPv4, [1] IPv6 usable since fw_open */
static int xt_lock_fd = -1;

/* sizes of the pieces of a rule, as iptables lays them out */
#define M_SIZE                                                                 \
	(XT_ALIGN(sizeof(struct xt_entry_match)) +                             \
	    XT_ALIGN(sizeof(struct xt_tcp)))
#define T_SIZE XT_ALIGN(sizeof(struct xt_standard_target))

/* fill_tail - the tcp match (if any) at m and the target at t */
static void
fill_tail(unsigned char *m, unsigned char *t, const struct rulekey *k,
    const char *target)
{
	struct xt_standard_target *st = (struct xt_standard_target *)t;

	if (k->proto == IPPROTO_TCP) {
		struct xt_entry_match *em = (struct xt_entry_match *)m;
		struct xt_tcp *tcp = (struct xt_tcp *)em->data;

		em->u.match_size = M_SIZE;
		snprintf(em->u.user.name, sizeof(em->u.user.name), "tcp");
		em->u.user.revision = 0;
		tcp->spts[0] = 0;
		tcp->spts[1] = 0xffff;
		tcp->dpts[0] = k->lo;
		tcp->dpts[1] = k->hi;
	}
	st->target.u.target_size = T_SIZE;
	snprintf(st->target.u.user.name, sizeof(st->target.u.user.name), "%s",
	    target);
}

/* parse_tail - check the matches between hdr and target_offset; true if ours */
static bool
parse_tail(const unsigned char *base, size_t hdr, size_t toff, struct rule *r)
{
	const struct xt_entry_match *em;
	const struct xt_tcp *tcp;

	if (r->k.proto == 0)
		return toff == hdr;
	if (r->k.proto != IPPROTO_TCP || toff != hdr + M_SIZE)
		return false;
	em = (const struct xt_entry_match *)(base + hdr);
	if (em->u.match_size != M_SIZE || strcmp(em->u.user.name, "tcp") != 0)
		return false;
	tcp = (const struct xt_tcp *)em->data;
	if (tcp->spts[0] != 0 || tcp->spts[1] != 0xffff || tcp->option != 0 ||
	    tcp->flg_mask != 0 || tcp->invflags != 0 || tcp->dpts[0] == 0 ||
	    tcp->dpts[1] < tcp->dpts[0])
		return false;
	r->k.lo = tcp->dpts[0];
	r->k.hi = tcp->dpts[1];
	return true;
}

/* all_zero - true if n bytes at p are zero */
static bool
all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static void *
build4(const struct rulekey *k, const char *target)
{
	size_t hdr = XT_ALIGN(sizeof(struct ipt_entry));
	size_t msz = k->proto == IPPROTO_TCP ? M_SIZE : 0;
	struct ipt_entry *e = xcalloc(1, hdr + msz + T_SIZE);

	if (k->a.family == 4) {
		memcpy(&e->ip.src, k->a.b, 4);
		memset(&e->ip.smsk, 0xff, 4);
	}
	e->ip.proto = k->proto;
	e->target_offset = (uint16_t)(hdr + msz);
	e->next_offset = (uint16_t)(hdr + msz + T_SIZE);
	fill_tail((unsigned char *)e + hdr, (unsigned char *)e + hdr + msz, k,
	    target);
	return e;
}

static void
parse4(const void *p, struct rule *r)
{
	const struct ipt_entry *e = p;
	const struct ipt_ip *ip = &e->ip;

	memset(r, 0, sizeof(*r));
	if (ip->smsk.s_addr != 0xffffffff)
		return;
	r->k.a.family = 4;
	memcpy(r->k.a.b, &ip->src, 4);
	r->k.proto = (uint8_t)ip->proto;
	if (ip->dst.s_addr != 0 || ip->dmsk.s_addr != 0 || ip->flags != 0 ||
	    ip->invflags != 0 || !all_zero(ip->iniface, sizeof(ip->iniface)) ||
	    !all_zero(ip->outiface, sizeof(ip->outiface)) ||
	    !all_zero(ip->iniface_mask, sizeof(ip->iniface_mask)) ||
	    !all_zero(ip->outiface_mask, sizeof(ip->outiface_mask)) ||
	    ip->proto > 0xff)
		return;
	r->ours = parse_tail(
	    p, XT_ALIGN(sizeof(struct ipt_entry)), e->target_offset, r);
}

static void *
build6(const struct rulekey *k, const char *target)
{
	size_t hdr = XT_ALIGN(sizeof(struct ip6t_entry));
	size_t msz = k->proto == IPPROTO_TCP ? M_SIZE : 0;
	struct ip6t_entry *e = xcalloc(1, hdr + msz + T_SIZE);

	if (k->a.family == 6) {
		memcpy(&e->ipv6.src, k->a.b, 16);
		memset(&e->ipv6.smsk, 0xff, 16);
	}
	if (k->proto != 0) {
		e->ipv6.proto = k->proto;
		e->ipv6.flags |= IP6T_F_PROTO;
	}
	e->target_offset = (uint16_t)(hdr + msz);
	e->next_offset = (uint16_t)(hdr + msz + T_SIZE);
	fill_tail((unsigned char *)e + hdr, (unsigned char *)e + hdr + msz, k,
	    target);
	return e;
}

static void
parse6(const void *p, struct rule *r)
{
	static const uint8_t ones[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	const struct ip6t_entry *e = p;
	const struct ip6t_ip6 *ip = &e->ipv6;
	uint8_t want_flags;

	memset(r, 0, sizeof(*r));
	if (memcmp(&ip->smsk, ones, 16) != 0)
		return;
	r->k.a.family = 6;
	memcpy(r->k.a.b, &ip->src, 16);
	r->k.proto = (uint8_t)ip->proto;
	want_flags = ip->proto != 0 ? IP6T_F_PROTO : 0;
	if (!all_zero(&ip->dst, 16) || !all_zero(&ip->dmsk, 16) ||
	    ip->flags != want_flags || ip->invflags != 0 ||
	    !all_zero(ip->iniface, sizeof(ip->iniface)) ||
	    !all_zero(ip->outiface, sizeof(ip->outiface)) ||
	    !all_zero(ip->iniface_mask, sizeof(ip->iniface_mask)) ||
	    !all_zero(ip->outiface_mask, sizeof(ip->outiface_mask)) ||
	    ip->proto > 0xff)
		return;
	r->ours = parse_tail(
	    p, XT_ALIGN(sizeof(struct ip6t_entry)), e->target_offset, r);
}

/*
 * FAM_WRAP - one signature for both libraries: sfx 4 wraps iptc_*, 6 wraps
 * ip6tc_*.  Only the entry pointer type differs, and passing it as void *
 * keeps the calls defined (casting the function pointers would not be).
 */
#define FAM_WRAP(sfx, P, ENTRY)                                                \
	static struct xtc_handle *init##sfx(void)                              \
	{                                                                      \
		return P##_init("filter");                                     \
	}                                                                      \
	static int is_chain##sfx(const char *c, struct xtc_handle *h)          \
	{                                                                      \
		return P##_is_chain(c, h);                                     \
	}                                                                      \
	static int create##sfx(const char *c, struct xtc_handle *h)            \
	{                                                                      \
		return P##_create_chain(c, h);                                 \
	}                                                                      \
	static int delete##sfx(const char *c, struct xtc_handle *h)            \
	{                                                                      \
		return P##_delete_chain(c, h);                                 \
	}                                                                      \
	static int flush##sfx(const char *c, struct xtc_handle *h)             \
	{                                                                      \
		return P##_flush_entries(c, h);                                \
	}                                                                      \
	static const void *first##sfx(const char *c, struct xtc_handle *h)     \
	{                                                                      \
		return P##_first_rule(c, h);                                   \
	}                                                                      \
	static const void *next##sfx(const void *e, struct xtc_handle *h)      \
	{                                                                      \
		return P##_next_rule((const ENTRY *)e, h);                     \
	}                                                                      \
	static const char *target##sfx(const void *e, struct xtc_handle *h)    \
	{                                                                      \
		return P##_get_target((const ENTRY *)e, h);                    \
	}                                                                      \
	static int insert##sfx(const char *c, const void *e, unsigned int n,   \
	    struct xtc_handle *h)                                              \
	{                                                                      \
		return P##_insert_entry(c, (const ENTRY *)e, n, h);            \
	}                                                                      \
	static int append##sfx(                                                \
	    const char *c, const void *e, struct xtc_handle *h)                \
	{                                                                      \
		return P##_append_entry(c, (const ENTRY *)e, h);               \
	}                                                                      \
	static int delnum##sfx(                                                \
	    const char *c, unsigned int n, struct xtc_handle *h)               \
	{                                                                      \
		return P##_delete_num_entry(c, n, h);                          \
	}

FAM_WRAP(4, iptc, struct ipt_entry)
FAM_WRAP(6, ip6tc, struct ip6t_entry)

static const struct fam fam4 = {4, "iptables", init4, iptc_free, is_chain4,
    create4, delete4, flush4, first4, next4, target4, insert4, append4, delnum4,
    iptc_commit, iptc_strerror, build4, parse4};
static const struct fam fam6 = {6, "ip6tables", init6, ip6tc_free, is_chain6,
    create6, delete6, flush6, first6, next6, target6, insert6, append6, delnum6,
    ip6tc_commit, ip6tc_strerror, build6, parse6};
static const struct fam *const fams[2] = {&fam4, &fam6};

/* fam_of - the family table for a, or NULL (logged) when it is unusable */
static const struct fam *
fam_of(const struct addr *a, const char *what)
{
	char ip[ADDR_STRLEN];
	int i = a->family == 4 ? 0 : 1;

	if (!iptc_ok[i]) {
		log_warn("%s: cannot %s: %s not available",
		    addr_format(a, ip, sizeof(ip)), what, fams[i]->tool);
		return NULL;
	}
	return fams[i];
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

/* wanted - the rule keys a needs under the current scope; returns how many */
static size_t
wanted(const struct addr *a, struct rulekey *k)
{
	size_t i;

	switch (iptc_set.scope) {
	case SCOPE_ALL:
		memset(&k[0], 0, sizeof(k[0]));
		k[0].a = *a;
		return 1;
	case SCOPE_SMTP:
		for (i = 0; i < iptc_set.nports; i++) {
			memset(&k[i], 0, sizeof(k[i]));
			k[i].a = *a;
			k[i].proto = IPPROTO_TCP;
			k[i].lo = iptc_set.port_lo[i];
			k[i].hi = iptc_set.port_hi[i];
		}
		return iptc_set.nports;
	}
	return 0;
}

static bool
key_eq(const struct rulekey *x, const struct rulekey *y)
{
	return addr_equal(&x->a, &y->a) && x->proto == y->proto &&
	    x->lo == y->lo && x->hi == y->hi;
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

	for (i = 0; i < NITEMS(fams); i++) {
		const struct fam *f = fams[i];

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
iptc_ban(const struct addr *a)
{
	const struct fam *f = fam_of(a, "null-route");
	struct rulekey k[FW_PORTS_MAX];
	struct rule *r = NULL;
	struct xtc_handle *h;
	bool changed = false;
	size_t nk, nr, i, j, added = 0;
	char ip[ADDR_STRLEN];

	if (f == NULL || (h = begin(f)) == NULL)
		return -1;
	if (ensure(f, h, &iptc_set, &changed, true) < 0)
		goto fail;
	nr = list(f, h, &r);
	nk = wanted(a, k);
	for (i = 0; i < nk; i++) {
		for (j = 0; j < nr; j++)
			if (r[j].ours && key_eq(&r[j].k, &k[i]))
				break;
		if (j < nr)
			continue;
		if (add_rule(f, h, &k[i]) < 0)
			goto fail;
		added++;
	}
	free(r);
	r = NULL;
	if (finish(f, h, changed || added > 0) < 0)
		goto fail_logged;
	log_debug("%s: %s: %zu rule(s) added to chain %s",
	    addr_format(a, ip, sizeof(ip)), f->tool, added, iptc_set.chain);
	return 0;
fail:
	free(r);
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

/* rule_text - "192.0.2.7" or "192.0.2.7 tcp dport 25" or "rule 3" for logs */
static const char *
rule_text(const struct rule *r, size_t i, char *buf, size_t size)
{
	char ip[ADDR_STRLEN];

	if (r->k.a.family == 0)
		snprintf(buf, size, "rule %zu", i + 1);
	else if (r->ours && r->k.proto == IPPROTO_TCP)
		snprintf(buf, size, "%s tcp dport %u-%u",
		    addr_format(&r->k.a, ip, sizeof(ip)), r->k.lo, r->k.hi);
	else
		snprintf(buf, size, "%s%s",
		    addr_format(&r->k.a, ip, sizeof(ip)),
		    r->ours ? "" : " (foreign rule)");
	return buf;
}

/* reconcile1 - one family: make our chain hold exactly set's rules */
static int
reconcile1(const struct fam *f, const struct addr *set, size_t n)
{
	struct rulekey k[FW_PORTS_MAX];
	struct rule *r = NULL;
	struct xtc_handle *h;
	unsigned int *del = NULL;
	bool *seen = NULL, changed = false;
	size_t per = iptc_set.scope == SCOPE_ALL ? 1 : iptc_set.nports;
	size_t nr, i, j, nk, ndel = 0, added = 0;
	const struct addr *hit;
	char buf[ADDR_STRLEN + 40];

	if ((h = begin(f)) == NULL)
		return -1;
	if (ensure(f, h, &iptc_set, &changed, true) < 0)
		goto fail;
	nr = list(f, h, &r);
	seen = xcalloc(n * per + 1, sizeof(*seen));
	del = xcalloc(nr + 1, sizeof(*del));
	for (i = 0; i < nr; i++) {
		if (r[i].ours &&
		    (hit = bsearch(&r[i].k.a, set, n, sizeof(*set),
		         fw_addr_cmp)) != NULL) {
			size_t at = (size_t)(hit - set);

			nk = wanted(hit, k);
			for (j = 0; j < nk; j++)
				if (key_eq(&k[j], &r[i].k) &&
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
			    f->tool, rule_text(&r[i], i, buf, sizeof(buf)),
			    iptc_set.chain);
	}
	if (del_rules(f, h, del, ndel) < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		if (set[i].family != f->family)
			continue;
		nk = wanted(&set[i], k);
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
				    addr_format(&set[i], buf, sizeof(buf)),
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
iptc_reconcile(const struct addr *set, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < NITEMS(fams); i++)
		if (iptc_ok[i] && reconcile1(fams[i], set, n) < 0)
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
	for (i = 0; i < NITEMS(fams); i++) {
		const struct fam *f = fams[i];

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
    "iptables",
    iptc_open,
    iptc_ban,
    iptc_unban,
    iptc_reconcile,
    iptc_close,
};

/*
 * fw_iptc_fam.c - rule entries as iptables lays them out, and the per-family
 * call tables (struct fam) that let fw_iptc.c serve IPv4 and IPv6 with one
 * body of code.  For fw_iptc.c only.
 *
 * GCC 12 -Werror: chain names are passed as 32-byte xt_chainlabel objects
 * (../shared/ref/real-mail-stack.md section 8).
 */
#include "fw_iptc_fam.h"
#include "util.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/xt_tcpudp.h>

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

	if (k->a.family == 6 || k->a.family == ADDR_NET6) {
		memcpy(&e->ipv6.src, k->a.b, 16);
		/* a /64 prefix ban (blacklist.c) masks the host half */
		memset(&e->ipv6.smsk, 0xff, k->a.family == 6 ? 16 : 8);
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
	if (memcmp(&ip->smsk, ones, 16) == 0)
		r->k.a.family = 6;
	else if (memcmp(&ip->smsk, ones, 8) == 0 &&
	    all_zero((const uint8_t *)&ip->smsk + 8, 8))
		r->k.a.family = ADDR_NET6;
	else
		return;
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

const struct fam iptc_fam4 = {4, "iptables", init4, iptc_free, is_chain4,
    create4, delete4, flush4, first4, next4, target4, insert4, append4, delnum4,
    iptc_commit, iptc_strerror, build4, parse4};
const struct fam iptc_fam6 = {6, "ip6tables", init6, ip6tc_free, is_chain6,
    create6, delete6, flush6, first6, next6, target6, insert6, append6, delnum6,
    ip6tc_commit, ip6tc_strerror, build6, parse6};
const struct fam *const iptc_fams[2] = {&iptc_fam4, &iptc_fam6};

/* iptc_wanted - the rule keys a needs under scope; returns how many */
size_t
iptc_wanted(const struct fw_settings *s, const struct addr *a,
    enum nullroute_scope scope, struct rulekey *k)
{
	size_t i;

	switch (scope) {
	case SCOPE_ALL:
		memset(&k[0], 0, sizeof(k[0]));
		k[0].a = *a;
		return 1;
	case SCOPE_SMTP:
		for (i = 0; i < s->nports; i++) {
			memset(&k[i], 0, sizeof(k[i]));
			k[i].a = *a;
			k[i].proto = IPPROTO_TCP;
			k[i].lo = s->port_lo[i];
			k[i].hi = s->port_hi[i];
		}
		return s->nports;
	}
	return 0;
}

bool
iptc_key_eq(const struct rulekey *x, const struct rulekey *y)
{
	return addr_equal(&x->a, &y->a) && x->proto == y->proto &&
	    x->lo == y->lo && x->hi == y->hi;
}

/* iptc_rule_text - "192.0.2.7" or "192.0.2.7 tcp dport 25" or "rule 3" for logs */
const char *
iptc_rule_text(const struct rule *r, size_t i, char *buf, size_t size)
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

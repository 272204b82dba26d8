/*
 * fw_iptc_fam.h - the rules the libiptc backend writes, and one table of
 * calls per address family (fw_iptc_fam.c).
 *
 * Private to the libiptc backend: fw_iptc.c drives the tables through it.
 */
#ifndef POPAUTHD_FW_IPTC_FAM_H
#define POPAUTHD_FW_IPTC_FAM_H

#include "fw.h"

#include <stdbool.h>
#include <stdint.h>

#include <libiptc/libiptc.h>
#include <libiptc/libip6tc.h>

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

/* the IPv4 (libip4tc) and IPv6 (libip6tc) tables, in that order */
extern const struct fam *const iptc_fams[2];

/* iptc_wanted - the rules a ban of a in scope needs under s, into k */
size_t iptc_wanted(const struct fw_settings *s, const struct addr *a,
    enum nullroute_scope scope, struct rulekey *k);
/* iptc_key_eq - the same rule */
bool iptc_key_eq(const struct rulekey *x, const struct rulekey *y);
/* iptc_rule_text - "192.0.2.7", "192.0.2.7 tcp dport 25-25", "rule 3" */
const char *iptc_rule_text(
    const struct rule *r, size_t i, char *buf, size_t size);

#endif

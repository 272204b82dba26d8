/*
 * fw.h - null-routing: put a kernel DROP in front of clients that keep hammering.
 *
 * For blacklist.c (ban when a listed client crosses a null-route threshold,
 * unban when the ban expires, reconcile every iptables_refresh) and main.c
 * (fw_open at start and on SIGHUP, fw_close at exit).  The backend is chosen by
 * firewall_backend: "iptables" edits the kernel through libiptc (IPv4) and
 * libip6tc (IPv6) in fw_iptc.c; "nftables" keeps kernel sets with timeouts
 * in a table of our own through libnftables (fw_nft.c, which describes it);
 * "auto" picks nftables where iptables is iptables-nft, libiptc elsewhere;
 * "none" only logs what it would do (fw_none.c).
 *
 * popauthd owns exactly one chain (iptables_chain, default POPAUTH) in the
 * filter table of each family and the single jump to it from INPUT at line
 * iptables_rbl_line; it never touches any other rule.  A client's rules are
 *     scope all:  -A POPAUTH -s IP/32 -j DROP
 *     scope smtp: -A POPAUTH -s IP/32 -p tcp -m tcp --dport PORT -j DROP
 * (one per entry of nullroute_ports; "a-b" gives a port range).  The scope is
 * per ban: the tracker picks it (nullroute_scope for popauth's null-routes,
 * sendmail_ban_scope and spamcop_ban_scope for the seeds that dropped port
 * 25 only).  Each call is
 * one libiptc snapshot, change and commit per family it touches, so a rule set
 * is never half written.  List them with iptables-legacy -S POPAUTH.
 *
 * Privileges: libiptc needs CAP_NET_ADMIN and CAP_NET_RAW (a raw socket per
 * call), so a daemon that drops root must keep both.  Like iptables -w, each
 * call takes /run/xtables.lock (XTABLES_LOCKFILE overrides), waiting at most
 * 2 s, so an admin's iptables-legacy command never interleaves with a commit.
 *
 * Errors: fw_open refuses (-1, logged) when the kernel will not let us in;
 * at run time ban/unban/reconcile log a warning and return -1, and the daemon
 * carries on: the next fw_reconcile repairs whatever a failed call left.
 */
#ifndef POPAUTHD_FW_H
#define POPAUTHD_FW_H

#include "addr.h"
#include "conf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * fw_open - start the backend chosen by c->firewall_backend.  For iptables:
 * create or verify the chain in both families and the one jump from INPUT at
 * iptables_rbl_line (an existing jump is left where it is).  Returns -1 with
 * "firewall_backend = iptables needs CAP_NET_ADMIN (run as root): ..." when
 * the kernel refuses us, or on any other failure to set up.
 * Called at start and on SIGHUP with the new conf: a changed chain name or
 * backend removes the old chain first; changed scopes or nullroute_ports
 * take effect at the next fw_reconcile, so call it after a reload.  Copies what it needs from c; c may be freed afterwards.  When a
 * reload fails with the same backend and chain, the old settings stay active.
 */
int fw_open(const struct conf *c);

/*
 * fw_ban - DROP a (scope all: every packet from a; scope smtp: tcp to each of
 * nullroute_ports).  Idempotent: rules already present are not added twice;
 * a's rules of the other scope are replaced in the same commit.  Recreates
 * the chain and jump when someone deleted them.  unban (clock_now() time)
 * is when the tracker lifts the ban: nftables gives the kernel element that
 * timeout, so call again when a ban is extended; iptables ignores it.
 * 0, or -1 (logged).
 */
int fw_ban(const struct addr *a, enum nullroute_scope scope, time_t unban);

/* fw_unban - remove every rule for a from our chain; idempotent; 0 or -1 */
int fw_unban(const struct addr *a);

/*
 * fw_reconcile - make our chain hold exactly the rules for the addresses that
 * walk yields (calls walk(arg, add, ctx); walk calls add(ctx, a, scope) once
 * per banned address with its unban time; duplicates are fine, scope all
 * wins over smtp, the later unban over the earlier).  Re-adds missing rules, removes stale
 * or foreign ones, recreates a deleted chain or jump.  One commit per family
 * that changed; logs what it added and removed.  0, or -1 (logged).
 */
typedef void fw_add_fn(
    void *ctx, const struct addr *a, enum nullroute_scope scope, time_t unban);
typedef void fw_walk_fn(void *arg, fw_add_fn *add, void *ctx);
int fw_reconcile(fw_walk_fn *walk, void *arg);

/* fw_failures - ban, unban and reconcile calls that failed since start */
unsigned long long fw_failures(void);

/* one address's kernel timer, as fw_kernel_left reports it */
struct fw_left {
	struct addr a;  /* first: fw_addr_cmp and bsearch work on it */
	long long left; /* seconds until the kernel drops a's ban */
};

/*
 * fw_kernel_left - what the kernel has left of each ban (for list bans):
 * *v (caller frees) gets *n entries sorted by fw_addr_cmp.  nftables reads
 * its sets' element timers (one `nft -j list table`); an element without a
 * timer is left out.  -1 when the backend cannot tell (iptables rules and
 * none have no timers) or the query failed (logged): print "unknown".
 */
int fw_kernel_left(struct fw_left **v, size_t *n);
/* fw_left_find - a's seconds in v (from fw_kernel_left), or -1: unknown */
long long fw_left_find(const struct fw_left *v, size_t n, const struct addr *a);

/*
 * fw_close - at exit: keep (nullroute_keep_on_exit) leaves chain, rules and
 * jump in the kernel so bans survive a restart (the next fw_open and
 * fw_reconcile adopt them); otherwise removes our rules, the chain and the
 * jump.  Safe to call when not open.
 */
void fw_close(bool keep);

/*
 * Backend interface: for fw.c, fw_iptc.c and fw_none.c only.
 * fw.c turns a conf into fw_settings (checked), keeps the active backend and
 * hands reconcile a sorted, duplicate-free array of (address, scope).
 */
#define FW_CHAIN_SIZE 32 /* xt_chainlabel */
#define FW_PORTS_MAX  CONF_PORTS_MAX

struct fw_settings {
	char chain[FW_CHAIN_SIZE];
	char table[FW_CHAIN_SIZE]; /* nftables_table */
	unsigned int jump_line;    /* 1-based position of the jump in INPUT */
	size_t nports;             /* scope smtp: port ranges */
	uint16_t port_lo[FW_PORTS_MAX];
	uint16_t port_hi[FW_PORTS_MAX];
};

/* one banned address as reconcile wants it */
struct fw_target {
	struct addr a; /* first: fw_addr_cmp and bsearch work on a target */
	enum nullroute_scope scope;
	time_t unban; /* when the tracker lifts it (clock_now() time) */
};

struct fw_ops {
	const char *name;
	/* open - set up for s (copied); 0 or -1, old settings kept on -1 */
	int (*open)(const struct fw_settings *s);
	int (*ban)(
	    const struct addr *a, enum nullroute_scope scope, time_t unban);
	int (*unban)(const struct addr *a);
	/* reconcile - set is sorted by fw_addr_cmp, one target per address */
	int (*reconcile)(const struct fw_target *set, size_t n);
	void (*close)(bool keep);
	/* left - as fw_kernel_left, unsorted; NULL: the backend cannot tell */
	int (*left)(struct fw_left **v, size_t *n);
	/*
	 * usable - firewall_backend = auto: this backend serves s (nftables:
	 * FW_IPTABLES_PATH is iptables-nft and the kernel interface answers
	 * for s's table, which is not created); why says which, for the log.
	 * NULL: not a choice of auto.
	 */
	bool (*usable)(const struct fw_settings *s, char *why, size_t size);
};

extern const struct fw_ops fw_none_ops;
extern const struct fw_ops fw_iptc_ops;
extern const struct fw_ops fw_nft_ops;

#define FW_IPTABLES_PATH "/usr/sbin/iptables"

/* fw_scope_name - "all" or "smtp" for messages */
const char *fw_scope_name(enum nullroute_scope scope);
/* fw_addr_cmp - total order on struct addr (family, then bytes) for qsort/bsearch */
int fw_addr_cmp(const void *x, const void *y);

#endif

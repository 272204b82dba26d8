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
#include "fw_nft_int.h"
#include "clock.h"
#include "log.h"
#include "util.h"

#include <nftables/libnftables.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct nft_setdef fw_nft_sets[NK_COUNT] = {
    {{"ban4", "ban4_smtp"}, "ipv4_addr", "timeout", "ip saddr"},
    {{"ban6", "ban6_smtp"}, "ipv6_addr", "timeout", "ip6 saddr"},
    {{"ban6net", "ban6net_smtp"}, "ipv6_addr", "interval,timeout", "ip6 saddr"},
};

static struct nft_ctx *nft;
static struct fw_settings nft_set;
static bool nft_ok; /* open succeeded */

struct nft_ctx *
fw_nft_ctx(void)
{
	return nft;
}

const struct fw_settings *
fw_nft_settings(void)
{
	return nft_ok ? &nft_set : NULL;
}

void
fw_nft_nb_add(struct nbuf *b, const char *fmt, ...)
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
void
fw_nft_nb_init(struct nbuf *b)
{
	b->cap = 4096;
	b->n = 0;
	b->p = xmalloc(b->cap);
	b->p[0] = '\0';
}

/* kind_of - which set family a belongs to */
enum nft_kind
fw_nft_kind(const struct addr *a)
{
	if (a->family == 4)
		return NK_4;
	return a->family == ADDR_NET6 ? NK_NET6 : NK_6;
}

/* nb_setup - declare table, sets and chain under s (idempotent) */
void
fw_nft_nb_setup(struct nbuf *b, const struct fw_settings *s)
{
	const char *t = s->table;
	char ports[FW_PORTS_MAX * 12 + 8];
	size_t i, k, pn = 0;
	int sc;

	fw_nft_nb_add(b, "add table inet %s\n", t);
	for (k = 0; k < NK_COUNT; k++)
		for (sc = 0; sc < 2; sc++)
			fw_nft_nb_add(b,
			    "add set inet %s %s { type %s; flags %s; }\n", t,
			    fw_nft_sets[k].name[sc], fw_nft_sets[k].type,
			    fw_nft_sets[k].flags);
	fw_nft_nb_add(b,
	    "add chain inet %s input { type filter hook input priority -10; "
	    "policy accept; }\nflush chain inet %s input\n",
	    t, t);
	for (k = 0; k < NK_COUNT; k++)
		fw_nft_nb_add(b, "add rule inet %s input %s @%s drop\n", t,
		    fw_nft_sets[k].match, fw_nft_sets[k].name[SCOPE_ALL]);
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
		fw_nft_nb_add(b,
		    "add rule inet %s input tcp dport { %s } %s @%s drop\n", t,
		    ports, fw_nft_sets[k].match,
		    fw_nft_sets[k].name[SCOPE_SMTP]);
}

/* nb_del - delete a from set name, whether or not it is there */
void
fw_nft_nb_del(struct nbuf *b, const char *set, const struct addr *a)
{
	char ip[ADDR_STRLEN];

	addr_format(a, ip, sizeof(ip));
	fw_nft_nb_add(
	    b, "add element inet %s %s { %s }\n", nft_set.table, set, ip);
	fw_nft_nb_add(
	    b, "delete element inet %s %s { %s }\n", nft_set.table, set, ip);
}

/* remaining - seconds of a ban until unban; 0: no kernel timeout */
long long
fw_nft_remaining(time_t unban)
{
	long long left;

	if (unban <= 0)
		return 0; /* no time given (tests, old callers): we lift it */
	left = (long long)(unban - clock_now());
	return left < 1 ? 1 : left;
}

/* nb_put - add a to set name, timing out at unban */
void
fw_nft_nb_put(
    struct nbuf *b, const char *set, const struct addr *a, time_t unban)
{
	char ip[ADDR_STRLEN];
	long long left = fw_nft_remaining(unban);

	addr_format(a, ip, sizeof(ip));
	if (left > 0)
		fw_nft_nb_add(b,
		    "add element inet %s %s { %s timeout %llds }\n",
		    nft_set.table, set, ip, left);
	else
		fw_nft_nb_add(b, "add element inet %s %s { %s }\n",
		    nft_set.table, set, ip);
}

/*
 * run - one transaction; 0, or -1 with nft's message logged after what.
 * With out, the output buffer is copied there (caller frees).
 */
int
fw_nft_run(const char *text, const char *what, char **out)
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
	fw_nft_nb_init(&b);
	fw_nft_nb_setup(&b, s);
	rc = fw_nft_run(b.p, "cannot set up the table", NULL);
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
	const struct nft_setdef *d = &fw_nft_sets[fw_nft_kind(a)];
	char ip[ADDR_STRLEN], what[ADDR_STRLEN + 32];
	struct nbuf b;
	int rc;

	addr_format(a, ip, sizeof(ip));
	if (!nft_ok) {
		log_warn("%s: cannot null-route: nftables not open", ip);
		return -1;
	}
	fw_nft_nb_init(&b);
	fw_nft_nb_setup(&b, &nft_set);
	/* the other scope's element goes; ours is re-added with the timeout */
	fw_nft_nb_del(&b, d->name[SCOPE_ALL], a);
	fw_nft_nb_del(&b, d->name[SCOPE_SMTP], a);
	fw_nft_nb_put(&b, d->name[scope], a, unban);
	snprintf(what, sizeof(what), "%s: null-route not applied", ip);
	rc = fw_nft_run(b.p, what, NULL);
	free(b.p);
	if (rc == 0)
		log_debug("%s: set %s: timeout %llds", ip, d->name[scope],
		    fw_nft_remaining(unban));
	return rc;
}

static int
nft_unban(const struct addr *a)
{
	const struct nft_setdef *d = &fw_nft_sets[fw_nft_kind(a)];
	char ip[ADDR_STRLEN], what[ADDR_STRLEN + 32];
	struct nbuf b;
	int rc;

	addr_format(a, ip, sizeof(ip));
	if (!nft_ok) {
		log_warn("%s: cannot lift null-route: nftables not open", ip);
		return -1;
	}
	fw_nft_nb_init(&b);
	fw_nft_nb_setup(&b, &nft_set);
	fw_nft_nb_del(&b, d->name[SCOPE_ALL], a);
	fw_nft_nb_del(&b, d->name[SCOPE_SMTP], a);
	snprintf(what, sizeof(what), "%s: null-route not lifted", ip);
	rc = fw_nft_run(b.p, what, NULL);
	free(b.p);
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
	if (fw_nft_run(cmd, "table not removed", NULL) == 0)
		log_info("nftables: removed table inet %s and its bans",
		    nft_set.table);
}

/* nft_usable - fw_ops.usable: FW_IPTABLES_PATH is iptables-nft, nftables answers */
static bool
nft_usable(const struct fw_settings *s, char *why, size_t size)
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

const struct fw_ops fw_nft_ops = {
    "nftables",
    nft_open,
    nft_ban,
    nft_unban,
    fw_nft_reconcile,
    nft_close,
    fw_nft_left,
    nft_usable,
};

/*
 * ctl_cmd.c - what each control request does inside the daemon (ctl.h).
 *
 * For ctl.c.  Read-only requests (status, list, show, export) answer with
 * export.h records; changing requests (grant, ban, unban, delist, flush,
 * import, whitelist, reload) call the trackers' admin functions, then
 * engine_flush_all() commits the state and rewrites the maps before the
 * reply, so "OK" means Postfix and the firewall already see the change.
 * Every argument is checked again here (addr_parse, addr_is_client,
 * dur_parse): the socket is the trust boundary, not popauthctl.  Each change
 * is logged with the caller's uid.
 */
#include "ctl_cmd.h"
#include "ctl_status.h"
#include "cluster.h"
#include "blacklist.h"
#include "clock.h"
#include "engine.h"
#include "evidence.h"
#include "export.h"
#include "fish.h"
#include "fw.h"
#include "grant.h"
#include "log.h"
#include "loginpair.h"
#include "map.h"
#include "rule.h"
#include "trigger.h"
#include "util.h"
#include "whitelist.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ctl_reload_fn *reload_fn;

void
ctl_cmd_init(ctl_reload_fn *reload)
{
	reload_fn = reload;
	ctl_status_start();
}

/* the callbacks that turn tracker records into reply lines */
static void
put_grant(void *arg, const struct grant_info *gi)
{
	export_grant(gi, ctl_reply_line, arg);
}

static void
put_bl(void *arg, const struct bl_info *bi)
{
	export_bl(bi, -1, ctl_reply_line, arg);
}

/* put_decision - "cluster KIND NODE AT applied|ignored" (show) */
static void
put_decision(void *arg, enum cluster_kind kind, const char *node, time_t at,
    bool applied)
{
	char line[160];

	snprintf(line, sizeof(line), "cluster\t%s\t%s\t%lld\t%s",
	    clrow_kind_name(kind), node, (long long)at,
	    applied ? "applied" : "ignored");
	ctl_reply_line(arg, line);
}

/* list bans: the reply and the kernel's timers (fw_kernel_left) */
struct ban_list {
	struct ctl_reply *r;
	struct fw_left *left;
	size_t n;
};

static void
put_ban(void *arg, const struct bl_info *bi)
{
	struct ban_list *bl = arg;

	if (bi->banned)
		export_bl(bi, fw_left_find(bl->left, bl->n, &bi->ip),
		    ctl_reply_line, bl->r);
}

static void
put_fish(void *arg, const struct fish_info *fi)
{
	export_fish(fi, ctl_reply_line, arg);
}

static void
put_evidence(void *arg, const struct addr *ip, const struct evidence_item *it)
{
	export_evidence(ip, it, ctl_reply_line, arg);
}

/*
 * get_ip - argv[i] as an address; client: it must be one a client can have
 * (grant and ban make entries; show, unban and delist must still reach an
 * entry an older version made for 0.0.0.0 or a multicast address)
 */
static int
get_ip(char **argv, size_t argc, size_t i, bool client, struct addr *a,
    char *msg, size_t size)
{
	if (i >= argc || argv[i][0] == '\0')
		return ctl_say(msg, size, CTL_EX_USAGE, "missing IP address");
	if (addr_parse(argv[i], strlen(argv[i]), a) < 0)
		return ctl_say(msg, size, CTL_EX_USAGE,
		    "%.60s: not an IPv4 or IPv6 address", argv[i]);
	if (client && !addr_is_client(a))
		return ctl_say(msg, size, CTL_EX_USAGE,
		    "%.60s: not a client address (unspecified, multicast or "
		    "broadcast)",
		    argv[i]);
	return 0;
}

/* get_dur - argv[i] as a duration, dflt when absent */
static int
get_dur(char **argv, size_t argc, size_t i, time_t dflt, time_t *secs,
    char *msg, size_t size)
{
	*secs = dflt;
	if (i >= argc || argv[i][0] == '\0')
		return 0;
	if (dur_parse(argv[i], secs) < 0 || *secs <= 0)
		return ctl_say(msg, size, CTL_EX_USAGE,
		    "%.40s: bad duration (examples: 90s, 30m, 12h, 7d, 2w)",
		    argv[i]);
	return 0;
}

/* changed - commit and rewrite maps now, so the reply means "done" */
static void
changed(void)
{
	engine_flush_all();
}

struct import_ctx {
	time_t now;
	size_t grants, listed, fishing, expired;
};

static void
imp_grant(void *arg, const struct grant_info *gi)
{
	struct import_ctx *ic = arg;

	if (grant_restore(gi, ic->now))
		ic->grants++;
	else
		ic->expired++;
}

static void
imp_bl(void *arg, const struct bl_info *bi)
{
	struct import_ctx *ic = arg;

	if (bl_restore(bi, ic->now))
		ic->listed++;
	else
		ic->expired++;
}

static void
imp_fish(void *arg, const struct fish_info *fi)
{
	struct import_ctx *ic = arg;

	if (fish_restore(fi, ic->now))
		ic->fishing++;
	else
		ic->expired++;
}

/*
 * cmd_import - records in data; checked whole first, so a bad line changes
 * nothing, then applied
 */
static int
cmd_import(char *data, char *msg, size_t size)
{
	struct import_ctx ic;
	struct import_ops ops = {NULL, NULL, NULL, NULL};
	struct import *im;
	char err[256], *copy, *line, *next;
	size_t lineno;
	int pass;

	memset(&ic, 0, sizeof(ic));
	ic.now = clock_now();
	copy = xmalloc(strlen(data) + 1);
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			ops.grant = imp_grant;
			ops.bl = imp_bl;
			ops.fish = imp_fish;
			ops.arg = &ic;
		}
		im = import_new(&ops);
		memcpy(copy, data, strlen(data) + 1);
		for (line = copy, lineno = 1; line != NULL;
		     line = next, lineno++) {
			if ((next = strchr(line, '\n')) != NULL)
				*next++ = '\0';
			if (import_line(im, line, err, sizeof(err)) < 0) {
				import_free(im);
				free(copy);
				return ctl_say(msg, size, CTL_EX_DATAERR,
				    "import line %zu: %s", lineno, err);
			}
		}
		import_end(im, err, sizeof(err));
		import_free(im);
	}
	free(copy);
	return ctl_say(msg, size, 0,
	    "imported %zu grants, %zu blacklist entries, %zu fishing records; "
	    "%zu already expired",
	    ic.grants, ic.listed, ic.fishing, ic.expired);
}

static int
cmd_whitelist(char *msg, size_t size)
{
	const struct conf *c = engine_conf();
	struct whitelist *wl = whitelist_load(c->whitelist_file);

	if (wl == NULL)
		return ctl_say(msg, size, CTL_EX_CONFIG,
		    "%s: not reloaded (see the log); the old whitelist stays",
		    c->whitelist_file);
	trigger_conf(c, wl);
	return ctl_say(msg, size, 0, "whitelist reloaded: %zu networks",
	    whitelist_size(wl));
}

/*
 * cmd_flush - empty a table; only with CTL_FLUSH_CONFIRM after what, so a
 * script or client that is not popauthctl --yes cannot do it by accident
 */
static int
cmd_flush(char **argv, size_t argc, char *msg, size_t size)
{
	static const struct {
		const char *what, *removes;
	} kinds[] = {
	    {"bans", "every ban (entries stay listed)"},
	    {"blacklist", "every blacklist entry and ban"},
	    {"all", "every grant, blacklist entry, ban and fishing record"},
	};
	time_t now = clock_now();
	const char *what = argc > 1 ? argv[1] : "";
	size_t i, n, b, f, g;

	for (i = 0; i < NITEMS(kinds) && strcmp(what, kinds[i].what) != 0; i++)
		;
	if (i == NITEMS(kinds))
		return ctl_say(msg, size, CTL_EX_USAGE,
		    "flush what? blacklist, bans or all");
	if (argc != 3 || strcmp(argv[2], CTL_FLUSH_CONFIRM) != 0)
		return ctl_say(msg, size, CTL_EX_USAGE,
		    "flush %s removes %s at once: send \"flush %s %s\" "
		    "(popauthctl: --yes) to do it",
		    what, kinds[i].removes, what, CTL_FLUSH_CONFIRM);
	if (strcmp(what, "bans") == 0) {
		n = bl_unban_all(now);
		changed();
		return ctl_say(msg, size, 0, "%zu bans lifted", n);
	}
	if (strcmp(what, "blacklist") == 0) {
		n = bl_flush();
		changed();
		return ctl_say(
		    msg, size, 0, "%zu blacklist entries removed", n);
	}
	b = bl_flush();
	f = fish_flush();
	g = grant_flush();
	changed();
	return ctl_say(msg, size, 0,
	    "%zu blacklist entries, %zu fishing records and %zu grants "
	    "removed",
	    b, f, g);
}

/* admin_evidence - the request as the evidence behind a changed record */
static void
admin_evidence(const struct addr *a, time_t now, char **argv, size_t argc,
    unsigned int uid, const char *outcome)
{
	char line[512];
	size_t i, n;

	n = (size_t)snprintf(line, sizeof(line), "popauthctl (uid %u):", uid);
	for (i = 0; i < argc && n < sizeof(line); i++)
		n += (size_t)snprintf(
		    line + n, sizeof(line) - n, " %s", argv[i]);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	evidence_add(a, now, "popauthctl", argv[0], outcome, line, n, false);
}

/* cmd_change - grant, revoke, ban, unban, delist */
static int
cmd_change(char **argv, size_t argc, unsigned int uid, char *msg, size_t size)
{
	const struct conf *c = engine_conf();
	time_t now = clock_now(), secs;
	char ip[ADDR_STRLEN], reason[512], dur[64];
	struct addr a;
	int rc;

	if ((rc = get_ip(argv, argc, 1,
	         strcmp(argv[0], "grant") == 0 || strcmp(argv[0], "ban") == 0,
	         &a, msg, size)) != 0)
		return rc;
	addr_format(&a, ip, sizeof(ip));
	if (strcmp(argv[0], "grant") == 0) {
		if (argc > 3)
			return ctl_say(msg, size, CTL_EX_USAGE,
			    "usage: grant IP [DURATION]");
		if ((rc = get_dur(argv, argc, 2, c->popauth_expire, &secs, msg,
		         size)) != 0)
			return rc;
		grant_set(&a, "popauthctl", now, secs);
		snprintf(reason, sizeof(reason), "granted by the admin for %s",
		    dur_format(secs, dur, sizeof(dur)));
		admin_evidence(&a, now, argv, argc, uid, reason);
		changed();
		return ctl_say(msg, size, 0, "%s: relay granted for %s", ip,
		    dur_format(secs, dur, sizeof(dur)));
	}
	if (strcmp(argv[0], "ban") == 0) {
		if (argc > 4)
			return ctl_say(msg, size, CTL_EX_USAGE,
			    "usage: ban IP [DURATION] [REASON]");
		if ((rc = get_dur(argv, argc, 2, c->nullroute_msg_bansecs,
		         &secs, msg, size)) != 0)
			return rc;
		log_escape(reason, sizeof(reason),
		    argc > 3 && argv[3][0] != '\0' ? argv[3]
		                                   : "banned by the admin",
		    strlen(argc > 3 && argv[3][0] != '\0'
		            ? argv[3]
		            : "banned by the admin"));
		bl_admin_ban(&a, now, secs, reason);
		snprintf(reason, sizeof(reason), "banned by the admin for %s",
		    dur_format(secs, dur, sizeof(dur)));
		admin_evidence(&a, now, argv, argc, uid, reason);
		changed();
		return ctl_say(msg, size, 0, "%s: banned for %s", ip,
		    dur_format(secs, dur, sizeof(dur)));
	}
	if (argc > 2)
		return ctl_say(
		    msg, size, CTL_EX_USAGE, "usage: %s IP", argv[0]);
	if (strcmp(argv[0], "revoke") == 0) {
		if (!grant_revoke(&a))
			return ctl_say(
			    msg, size, CTL_EX_NOTFOUND, "%s: not granted", ip);
		admin_evidence(&a, now, argv, argc, uid, "grant revoked");
		changed();
		return ctl_say(msg, size, 0, "%s: relay grant revoked", ip);
	}
	if (strcmp(argv[0], "unban") == 0) {
		if (!bl_admin_unban(&a, now))
			return ctl_say(
			    msg, size, CTL_EX_NOTFOUND, "%s: not banned", ip);
		admin_evidence(&a, now, argv, argc, uid,
		    "ban lifted by the admin; still listed");
		changed();
		return ctl_say(
		    msg, size, 0, "%s: ban lifted; still blacklisted", ip);
	}
	/* delist: the listing, its ban, and the fishing record that led to it */
	{
		bool listed = bl_delist(&a), fished = fish_forget(&a);

		if (!listed && !fished)
			return ctl_say(msg, size, CTL_EX_NOTFOUND,
			    "%s: not blacklisted", ip);
		changed();
		return ctl_say(
		    msg, size, 0, "%s: removed from the blacklist", ip);
	}
}

/* is_change - requests that change state (logged with the caller's uid) */
static bool
is_change(const char *cmd)
{
	static const char *const changes[] = {"grant", "revoke", "ban", "unban",
	    "delist", "flush", "import", "whitelist", "reload"};
	size_t i;

	for (i = 0; i < NITEMS(changes); i++)
		if (strcmp(cmd, changes[i]) == 0)
			return true;
	return false;
}

int
ctl_cmd_run(struct ctl_reply *r, char **argv, size_t argc, char *data,
    unsigned int uid, char *msg, size_t msgsize)
{
	const char *cmd = argv[0];
	struct addr a;
	int rc;

	if (is_change(cmd)) {
		char esc[64], arg[64];

		log_escape(esc, sizeof(esc), cmd, strlen(cmd));
		log_escape(arg, sizeof(arg), argc > 1 ? argv[1] : "",
		    argc > 1 ? strlen(argv[1]) : 0);
		log_info("control: uid %u: %s%s%s", uid, esc,
		    argc > 1 ? " " : "", arg);
	}
	if (strcmp(cmd, "status") == 0) {
		ctl_status(ctl_reply_line, r);
		return 0;
	}
	if (strcmp(cmd, "list") == 0) {
		const char *what = argc > 1 ? argv[1] : "";

		if (strcmp(what, "relay") == 0)
			grant_each(put_grant, r);
		else if (strcmp(what, "blacklist") == 0)
			bl_each(put_bl, r);
		else if (strcmp(what, "bans") == 0) {
			struct ban_list bl = {r, NULL, 0};

			/* one kernel read for the whole list; -1: unknown */
			(void)fw_kernel_left(&bl.left, &bl.n);
			bl_each(put_ban, &bl);
			free(bl.left);
		} else if (strcmp(what, "fishing") == 0)
			fish_each(put_fish, r);
		else
			return ctl_say(msg, msgsize, CTL_EX_USAGE,
			    "list what? relay, blacklist, fishing or bans");
		return 0;
	}
	if (strcmp(cmd, "show") == 0 || strcmp(cmd, "explain") == 0) {
		bool any;

		if ((rc = get_ip(argv, argc, 1, false, &a, msg, msgsize)) != 0)
			return rc;
		any = grant_get(&a, put_grant, r);
		any = bl_get(&a, put_bl, r) || any;
		any = fish_get(&a, put_fish, r) || any;
		any = cluster_decisions(&a, put_decision, r) > 0 || any;
		/* evidence of live records only, as offline: reaped soon */
		if (any && strcmp(cmd, "explain") == 0)
			evidence_get(&a, put_evidence, r);
		if (!any && strcmp(cmd, "explain") == 0)
			return ctl_say(msg, msgsize, CTL_EX_NOTFOUND,
			    "%s: no record: popauthd has not granted, listed "
			    "or banned it (try: popauthd --test FILE on a log "
			    "line of it)",
			    argv[1]);
		if (!any)
			return ctl_say(msg, msgsize, CTL_EX_NOTFOUND,
			    "%s: not granted, listed or fishing", argv[1]);
		return 0;
	}
	if (strcmp(cmd, "export") == 0) {
		ctl_reply_line(r, EXPORT_HEADER);
		grant_each(put_grant, r);
		bl_each(put_bl, r);
		fish_each(put_fish, r);
		return 0;
	}
	if (strcmp(cmd, "grant") == 0 || strcmp(cmd, "revoke") == 0 ||
	    strcmp(cmd, "ban") == 0 || strcmp(cmd, "unban") == 0 ||
	    strcmp(cmd, "delist") == 0)
		return cmd_change(argv, argc, uid, msg, msgsize);
	if (strcmp(cmd, "flush") == 0)
		return cmd_flush(argv, argc, msg, msgsize);
	if (strcmp(cmd, "import") == 0) {
		rc = cmd_import(data, msg, msgsize);
		changed();
		return rc;
	}
	if (strcmp(cmd, "whitelist") == 0)
		return cmd_whitelist(msg, msgsize);
	if (strcmp(cmd, "reload") == 0) {
		if (reload_fn == NULL || reload_fn() < 0)
			return ctl_say(msg, msgsize, CTL_EX_CONFIG,
			    "reload refused (see the log); the running "
			    "configuration stays");
		return ctl_say(msg, msgsize, 0, "reloaded");
	}
	return ctl_say(msg, msgsize, CTL_EX_USAGE, "unknown command");
}

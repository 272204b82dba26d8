/*
 * conf.c - parse popauthd.conf and -o overrides into a struct conf (see conf.h).
 *
 * One table lists every key with its type, default and range, so defaults, the
 * parser, conf_dump and the man page cannot drift apart.  The syntax is Postfix's:
 * "name = value", "#" comments, a line starting with white space continues the
 * previous one.  Errors go to stderr (and the log) as "file:line: message".
 */
#include "conf.h"
#include "conf_check.h"
#include "log.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* the build's paths (Makefile: SYSCONFDIR, LOCALSTATEDIR, RUNSTATEDIR) */
#ifndef POPAUTHD_SYSCONFDIR
#define POPAUTHD_SYSCONFDIR "/etc"
#endif
#ifndef POPAUTHD_LOCALSTATEDIR
#define POPAUTHD_LOCALSTATEDIR "/var"
#endif
#ifndef POPAUTHD_RUNSTATEDIR
#define POPAUTHD_RUNSTATEDIR "/run"
#endif
#ifndef POPAUTHD_CONF
#define POPAUTHD_CONF POPAUTHD_SYSCONFDIR "/popauthd/popauthd.conf"
#endif

enum conf_type {
	T_STR,
	T_BOOL,
	T_DUR,
	T_DUR_MS,
	T_INT,
	T_DBL,
	T_FW,
	T_SCOPE,
	T_MAP
};

struct conf_key {
	const char *name;
	enum conf_type type;
	size_t off;
	const char *def;
	long long min, max; /* T_INT range; T_STR: min 1 = must not be empty */
};

#define K(n, t, d, lo, hi)                                                     \
	{                                                                      \
#n, t, offsetof(struct conf, n), d, lo, hi                     \
	}

/* where a key got its value: file NULL = the default */
struct conf_src {
	const char *file; /* c->config_file or "-o" */
	int line;
};

static const struct conf_key keys[] = {
    K(input, T_STR, "fifo", 1, 0),
    K(fifo_path, T_STR, POPAUTHD_RUNSTATEDIR "/popauthd/maillog.fifo", 1, 0),
    K(input_path, T_STR, POPAUTHD_LOCALSTATEDIR "/log/mail.log", 1, 0),
    K(journal_directory, T_STR, "", 0, 0),
    K(data_directory, T_STR, POPAUTHD_LOCALSTATEDIR "/lib/popauthd", 1, 0),
    K(map_directory, T_STR, POPAUTHD_SYSCONFDIR "/postfix/popauthd", 1, 0),
    K(map_type, T_MAP, "hash", 0, 0),
    K(popauth_map, T_STR, "popauth_checks", 1, 0),
    K(blacklist_map, T_STR, "rbl_checks", 1, 0),
    K(rules_directory, T_STR, POPAUTHD_SYSCONFDIR "/popauthd/rules", 1, 0),
    K(log_file, T_STR, POPAUTHD_LOCALSTATEDIR "/log/popauthd.log", 0, 0),
    K(pid_file, T_STR, POPAUTHD_RUNSTATEDIR "/popauthd.pid", 0, 0),
    K(whitelist_file, T_STR, "", 0, 0),
    K(control_socket, T_STR, POPAUTHD_RUNSTATEDIR "/popauthd/control.sock", 0,
        0),
    K(control_group, T_STR, "", 0, 0),
    K(log_syslog, T_BOOL, "no", 0, 0),
    K(log_debug, T_BOOL, "no", 0, 0),
    K(metrics_file, T_STR, "", 0, 0),
    K(metrics_interval, T_DUR, "15s", 1, 0),
    K(evidence_per_ip, T_INT, "8", 0, 64),
    K(evidence_max_ips, T_INT, "20000", 1, 100000000),
    K(popauth_expire, T_DUR, "30m", 1, 0),
    K(map_flush_delay_ms, T_DUR_MS, "50ms", 0, 0),
    K(login_pair_window, T_DUR, "2m", 1, 0),
    K(login_pair_max, T_INT, "4096", 16, 1000000),
    K(login_pair_per_source, T_INT, "32", 1, 1000000),
    K(rbl_cache_expire, T_DUR, "90d", 1, 0),
    K(fish_expire, T_DUR, "3d", 1, 0),
    K(localhost_dns_name, T_STR, "", 0, 0),
    K(local_listing_expire, T_DUR, "3d", 1, 0),
    K(nullroute_min_hits, T_INT, "5", 1, 1000000),
    K(blacklist_template, T_STR,
        "Your IP address has been blacklisted by $list. Visit their website or "
        "write to argue. $reason",
        1, 0),
    K(blacklist_code, T_STR, "554 5.7.1", 1, 0),
    K(data_reject_phrases, T_STR, "", 0, 0),
    K(nullroute_freq_thresh, T_DBL, "0.03333333", 0, 0),
    K(nullroute_msg_thresh, T_INT, "50", 1, 1000000000),
    K(nullroute_fish_thresh, T_INT, "5", 1, 1000000),
    K(nullroute_freq_bansecs, T_DUR, "30m", 0, 0),
    K(nullroute_msg_bansecs, T_DUR, "7d", 0, 0),
    K(nullroute_fish_bansecs, T_DUR, "7d", 0, 0),
    K(ban_escalate, T_BOOL, "no", 0, 0),
    K(ban_escalate_factor, T_DBL, "2", 0, 0),
    K(ban_escalate_max, T_DUR, "30d", 0, 0),
    K(max_tracked_ips, T_INT, "2000000", 100, 1000000000),
    K(max_fish_pairs, T_INT, "64", 1, 100000),
    K(ipv6_prefix_listing, T_INT, "8", 0, 1000000),
    K(ipv6_prefix_window, T_DUR, "1d", 1, 0),
    K(firewall_backend, T_FW, "none", 0, 0),
    K(iptables_chain, T_STR, "POPAUTH", 1, 0),
    K(nftables_table, T_STR, "popauthd", 1, 0),
    K(iptables_rbl_line, T_INT, "1", 1, 1000000),
    K(iptables_refresh, T_DUR, "10m", 1, 0),
    K(nullroute_scope, T_SCOPE, "all", 0, 0),
    K(nullroute_ports, T_STR, "25", 1, 0),
    K(nullroute_keep_on_exit, T_BOOL, "yes", 0, 0),
    K(nullroute_alert_thresh, T_INT, "25", 0, 1000000000),
    K(alert_smtp_server, T_STR, "localhost:25", 0, 0),
    K(sysadmin_email_address, T_STR, "postmaster@localhost", 0, 0),
    K(sysadmin_email_name, T_STR, "popauthd Nullroute Alert", 0, 0),
    K(alert_timeout, T_DUR, "30s", 1, 0),
    K(alert_retries, T_INT, "3", 0, 100),
    K(alert_max_children, T_INT, "2", 1, 64),
    K(run_as_user, T_STR, "", 0, 0),
    K(sendmail_listen, T_STR, "0.0.0.0:25", 1, 0),
    K(sendmail_syslog_host, T_STR, "", 0, 0),
    K(sendmail_unknown_thresh, T_INT, "3", 0, 1000000),
    K(sendmail_unknown_bansecs, T_DUR, "3h", 0, 0),
    K(sendmail_ban_scope, T_SCOPE, "smtp", 0, 0),
    K(sendmail_unknown_expire, T_DUR, "3d", 1, 0),
    K(sendmail_kill_banned, T_BOOL, "yes", 0, 0),
    K(spamcop_reject_codes, T_STR, "553", 0, 0),
    K(spamcop_list, T_STR, "spamcop.net", 1, 0),
    K(spamcop_ban, T_BOOL, "yes", 0, 0),
    K(spamcop_bansecs, T_DUR, "90d", 0, 0),
    K(spamcop_ban_scope, T_SCOPE, "smtp", 0, 0),
    K(stalled_session_reaper, T_BOOL, "no", 0, 0),
    K(stalled_session_interval, T_DUR, "10m", 1, 0),
    K(stalled_session_max, T_DUR, "15m", 1, 0),
    K(stalled_session_pattern, T_STR,
        "^sendmail: server \\[?(?<ip>[^\\]\\s]+)\\]? cmd read", 1, 0),
    K(greytrap, T_BOOL, "yes", 0, 0),
    K(greytrap_max_tuples, T_INT, "64", 1, 100000),
    K(greytrap_expire, T_DUR, "4h", 1, 0),
    K(greytrap_suspect_tuples, T_INT, "5", 0, 1000000),
    K(greytrap_max_domains, T_INT, "3", 0, 1000000),
    K(greytrap_max_senders_ratio, T_DBL, "0.75", 0, 0),
    K(greytrap_trap_regex, T_STR, "", 0, 0),
    K(greytrap_checker, T_STR, POPAUTHD_SYSCONFDIR "/mail/greytrap_checkrcpt",
        0, 0),
    K(greytrap_checker_timeout, T_DUR, "10s", 1, 0),
    K(greytrap_checker_max, T_INT, "4", 1, 64),
    K(greytrap_dns_parallel, T_INT, "50", 0, 1000),
    K(greytrap_dns_timeout, T_DUR_MS, "2s", 0, 0),
    K(greytrap_dns_servers, T_STR, "", 0, 0),
    K(greytrap_dns_cache, T_DUR, "10m", 1, 0),
    K(greytrap_ban, T_BOOL, "no", 0, 0),
    K(greytrap_bansecs, T_DUR, "24h", 0, 0),
    K(cluster_database, T_STR, "", 0, 0),
    K(cluster_node, T_STR, "", 0, 0),
    K(cluster_retention, T_DUR, "7d", 1, 0),
};

const char *
conf_default_file(void)
{
	return POPAUTHD_CONF;
}

/* conf_fail - report "file:line: message" */
static void conf_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
conf_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		log_error("%s:%d: %s", file, line, msg);
	else
		log_error("%s: %s", file, msg);
}

static const struct conf_key *
conf_find(const char *name)
{
	size_t i;

	for (i = 0; i < NITEMS(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* conf_set - parse value into c per k; NULL on success or a message */
static const char *
conf_set(struct conf *c, const struct conf_key *k, const char *value)
{
	char *base = (char *)c + k->off;
	long long ll;
	time_t t;
	double d;
	bool b;

	switch (k->type) {
	case T_STR:
		if (k->min == 1 && *value == '\0')
			return "must not be empty";
		free(*(char **)base);
		*(char **)base = xstrdup(value);
		return NULL;
	case T_BOOL:
		if (parse_bool(value, &b) < 0)
			return "expected yes or no";
		*(bool *)base = b;
		return NULL;
	case T_DUR:
		if (dur_parse(value, &t) < 0)
			return "bad duration (examples: 90s, 30m, 12h, 7d, 2w)";
		if (k->min == 1 && t <= 0)
			return "must be longer than zero";
		*(time_t *)base = t;
		return NULL;
	case T_DUR_MS:
		if (dur_parse_ms(value, &ll) < 0)
			return "bad duration (examples: 50ms, 1s)";
		*(long long *)base = ll;
		return NULL;
	case T_INT:
		if (parse_long(value, k->min, k->max, &ll) < 0)
			return "bad number or out of range";
		*(long long *)base = ll;
		return NULL;
	case T_DBL:
		if (parse_double(value, &d) < 0)
			return "bad number (expected a decimal >= 0)";
		*(double *)base = d;
		return NULL;
	case T_FW:
		if (strcmp(value, "none") == 0)
			*(enum fw_backend *)base = FW_NONE;
		else if (strcmp(value, "iptables") == 0)
			*(enum fw_backend *)base = FW_IPTABLES;
		else if (strcmp(value, "nftables") == 0)
			*(enum fw_backend *)base = FW_NFTABLES;
		else if (strcmp(value, "auto") == 0)
			*(enum fw_backend *)base = FW_AUTO;
		else
			return "expected none, iptables, nftables or auto";
		return NULL;
	case T_MAP:
		if (strcmp(value, "hash") == 0)
			*(enum map_type *)base = MAP_HASH;
		else if (strcmp(value, "lmdb") == 0)
			*(enum map_type *)base = MAP_LMDB;
		else
			return "expected hash or lmdb";
		return NULL;
	case T_SCOPE:
		if (strcmp(value, "all") == 0)
			*(enum nullroute_scope *)base = SCOPE_ALL;
		else if (strcmp(value, "smtp") == 0)
			*(enum nullroute_scope *)base = SCOPE_SMTP;
		else
			return "expected all or smtp";
		return NULL;
	}
	return "internal error";
}

/* trim - strip leading and trailing white space in place */
static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* conf_assign - apply one "name = value" (file line or -o) */
static int
conf_assign(struct conf *c, const char *file, int line, char *text)
{
	const struct conf_key *k;
	const char *err;
	char *eq = strchr(text, '='), *name, *value;

	if (eq == NULL) {
		conf_fail(file, line, "missing '=' in \"%.60s\"", text);
		return -1;
	}
	*eq = '\0';
	name = trim(text);
	value = trim(eq + 1);
	if (*name == '\0') {
		conf_fail(file, line, "missing name before '='");
		return -1;
	}
	if ((k = conf_find(name)) == NULL) {
		conf_fail(file, line, "unknown key \"%.60s\"", name);
		return -1;
	}
	if ((err = conf_set(c, k, value)) != NULL) {
		conf_fail(file, line, "%s = %.80s: %s", name, value, err);
		return -1;
	}
	c->src[k - keys].file = strcmp(file, "-o") == 0 ? "-o" : c->config_file;
	c->src[k - keys].line = line;
	return 0;
}

const char *
conf_where(const struct conf *c, const char *key, char *buf, size_t size)
{
	const struct conf_key *k = conf_find(key);
	const struct conf_src *s;

	if (k == NULL)
		log_panic("%s: no key %s", __func__, key);
	s = &c->src[k - keys];
	if (s->file == NULL)
		snprintf(buf, size, "%s", c->config_file);
	else
		snprintf(buf, size, "%s:%d", s->file, s->line);
	return buf;
}

static void conf_error(const struct conf *c, const char *key, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/* conf_error - conf_error_fn: "file:line: message" where key was set */
static void
conf_error(const struct conf *c, const char *key, const char *fmt, ...)
{
	char where[1100], msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s: %s", conf_where(c, key, where, sizeof(where)), msg);
}

/* conf_read - parse FILE line by line with continuation lines */
static int
conf_read(struct conf *c, const char *file)
{
	FILE *fp = fopen(file, "r");
	char *line = NULL, *logical = NULL;
	size_t cap = 0, loglen = 0;
	int lineno = 0, logline = 0, rc = 0;
	struct stat st;
	ssize_t n;

	if (fp == NULL) {
		conf_fail(file, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	/* a directory opens and reads as an empty file */
	if (fstat(fileno(fp), &st) < 0 || !S_ISREG(st.st_mode)) {
		conf_fail(file, 0, "not a regular file");
		fclose(fp);
		return -1;
	}
	for (;;) {
		n = getline(&line, &cap, fp);
		if (n >= 0)
			lineno++;
		if (n >= 0 && memchr(line, '\0', (size_t)n) != NULL) {
			conf_fail(file, lineno, "NUL byte in line");
			rc = -1;
			continue;
		}
		if (n >= 0 && line[0] != '\0' && line[0] != '\n' &&
		    isspace((unsigned char)line[0]) && logical != NULL) {
			char *t = trim(line);

			if (*t != '\0' && *t != '#') {
				logical =
				    xrealloc(logical, loglen + strlen(t) + 2);
				logical[loglen++] = ' ';
				memcpy(logical + loglen, t, strlen(t) + 1);
				loglen += strlen(t);
			}
			continue;
		}
		if (logical != NULL) {
			if (conf_assign(c, file, logline, logical) < 0)
				rc = -1;
			free(logical);
			logical = NULL;
		}
		if (n < 0)
			break;
		{
			char *t = trim(line);

			if (*t == '\0' || *t == '#')
				continue;
			if (isspace((unsigned char)line[0])) {
				conf_fail(file, lineno,
				    "continuation line without a setting "
				    "before it");
				rc = -1;
				continue;
			}
			logical = xstrdup(t);
			loglen = strlen(t);
			logline = lineno;
		}
	}
	free(line);
	fclose(fp);
	return rc;
}

struct conf *
conf_load(const char *file, char *const *overrides, size_t noverrides)
{
	struct conf *c = xcalloc(1, sizeof(*c));
	size_t i;
	int rc = 0;

	c->src = xcalloc(NITEMS(keys), sizeof(*c->src));
	for (i = 0; i < NITEMS(keys); i++)
		if (conf_set(c, &keys[i], keys[i].def) != NULL)
			log_panic("bad default for %s", keys[i].name);
	c->config_file = xstrdup(file != NULL ? file : "(defaults)");
	if (file != NULL && conf_read(c, file) < 0)
		rc = -1;
	for (i = 0; i < noverrides; i++) {
		char *o = xstrdup(overrides[i]);

		if (conf_assign(c, "-o", (int)(i + 1), o) < 0)
			rc = -1;
		free(o);
	}
	if (rc == 0 &&
	    (*c->localhost_dns_name == '\0' || *c->cluster_node == '\0')) {
		/* our listings (and cluster changes) name us: the host */
		char host[256];

		if (gethostname(host, sizeof(host)) < 0 || host[0] == '\0')
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		if (*c->localhost_dns_name == '\0') {
			free(c->localhost_dns_name);
			c->localhost_dns_name = xstrdup(host);
		}
		if (*c->cluster_node == '\0') {
			free(c->cluster_node);
			c->cluster_node = xstrdup(host);
		}
	}
	if (rc == 0 && conf_check(c, conf_error) < 0)
		rc = -1;
	if (rc < 0) {
		conf_free(c);
		return NULL;
	}
	return c;
}

void
conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < NITEMS(keys); i++)
		if (keys[i].type == T_STR)
			free(*(char **)((char *)c + keys[i].off));
	free(c->config_file);
	free(c->src);
	free(c);
}

void
conf_dump(const struct conf *c, int fd)
{
	const char *base = (const char *)c;
	char buf[64];
	size_t i;

	for (i = 0; i < NITEMS(keys); i++) {
		const void *p = base + keys[i].off;
		const char *v = buf;

		switch (keys[i].type) {
		case T_STR:
			v = *(char *const *)p;
			break;
		case T_BOOL:
			v = *(const bool *)p ? "yes" : "no";
			break;
		case T_DUR:
			snprintf(buf, sizeof(buf), "%llds",
			    (long long)*(const time_t *)p);
			break;
		case T_DUR_MS:
		case T_INT:
			snprintf(buf, sizeof(buf), "%lld%s",
			    *(const long long *)p,
			    keys[i].type == T_DUR_MS ? "ms" : "");
			break;
		case T_DBL:
			snprintf(buf, sizeof(buf), "%.8g", *(const double *)p);
			break;
		case T_FW:
			v = conf_fw_name(*(const enum fw_backend *)p);
			break;
		case T_MAP:
			v = conf_map_name(*(const enum map_type *)p);
			break;
		case T_SCOPE:
			v = *(const enum nullroute_scope *)p == SCOPE_ALL
			    ? "all"
			    : "smtp";
			break;
		}
		dprintf(fd, "%s = %s\n", keys[i].name, v);
	}
}

const char *
conf_map_name(enum map_type t)
{
	switch (t) {
	case MAP_HASH:
		return "hash";
	case MAP_LMDB:
		return "lmdb";
	}
	return "?";
}

const char *
conf_fw_name(enum fw_backend b)
{
	switch (b) {
	case FW_NONE:
		return "none";
	case FW_IPTABLES:
		return "iptables";
	case FW_NFTABLES:
		return "nftables";
	case FW_AUTO:
		return "auto";
	}
	return "?";
}

/*
 * conf_check.c - the value checks of popauthd.conf that need more than a
 * type: syntax of addresses, codes, templates and lists; users and groups
 * that must exist; regexes that must compile (see conf_check.h).
 *
 * For conf_load, which runs them for every load: start, SIGHUP and
 * --check-config refuse the same configs, each bad value named with the
 * file:line where it was set, before anything is created or changed.  The
 * modules that use a value (fw.c's ports, blacklist.c's template) rely on
 * these checks having passed.
 */
#include "conf_check.h"
#include "log.h"
#include "procnet.h"
#include "util.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <libpq-fe.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* check_regex - pattern (n bytes) compiles as PCRE2; else reported, -1 */
static int
check_regex(const struct conf *c, conf_error_fn *err, const char *key,
    const char *p, size_t n)
{
	PCRE2_SIZE off;
	int ec;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)p, n, 0, &ec, &off, NULL);

	if (re == NULL) {
		err(c, key, "%s: bad pattern \"%.*s\" at offset %zu", key,
		    (int)n, p, (size_t)off);
		return -1;
	}
	pcre2_code_free(re);
	return 0;
}

/* check_port - "25" is 1..65535 */
static bool
check_port(const char *s, size_t n, unsigned short *v)
{
	char buf[8];
	long long ll;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (parse_long(buf, 1, 65535, &ll) < 0)
		return false;
	*v = (unsigned short)ll;
	return true;
}

const char *
conf_ports(const char *text, unsigned short *lo, unsigned short *hi, size_t max,
    size_t *n)
{
	const char *p = text;

	*n = 0;
	/* not strtok: "25,,26" is a typo to report, not one port less */
	for (;;) {
		size_t len = strcspn(p, ","), a, b;
		const char *dash;

		while (len > 0 && *p == ' ')
			p++, len--;
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (*n == max)
			return "too many entries";
		dash = memchr(p, '-', len);
		a = dash != NULL ? (size_t)(dash - p) : len;
		b = dash != NULL ? len - a - 1 : len;
		if (!check_port(p, a, &lo[*n]) ||
		    !check_port(dash != NULL ? dash + 1 : p, b, &hi[*n]) ||
		    hi[*n] < lo[*n])
			return "bad port or range (1-65535, LOW-HIGH)";
		(*n)++;
		p += strcspn(p, ",");
		if (*p == '\0')
			break;
		p++;
	}
	return NULL;
}

/* host_ok - a DNS name: letters, digits, '-', '.', '_' */
static bool
host_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 253)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '.' && s[i] != '_')
			return false;
	return true;
}

/* ip_ok - n bytes are an IPv4 or IPv6 address (inet_pton) */
static bool
ip_ok(const char *s, size_t n)
{
	char buf[64];
	unsigned char bin[16];

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET, buf, bin) == 1 ||
	    inet_pton(AF_INET6, buf, bin) == 1;
}

/*
 * endpoint_ok - "HOST", "HOST:PORT", "IPV4:PORT", "[IPV6]:PORT" or a bare
 * IPv6 address; names allowed only when names is true
 */
static bool
endpoint_ok(const char *s, size_t n, bool names)
{
	const char *colon;
	unsigned short port;

	if (n > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if (rb == NULL || !ip_ok(s + 1, (size_t)(rb - s - 1)))
			return false;
		if ((size_t)(rb - s) + 1 == n)
			return true;
		return rb[1] == ':' &&
		    check_port(rb + 2, n - (size_t)(rb - s) - 2, &port);
	}
	if (ip_ok(s, n))
		return true; /* IPv4, or a bare IPv6 address */
	colon = memchr(s, ':', n);
	if (colon != NULL) {
		size_t h = (size_t)(colon - s);

		if (!check_port(colon + 1, n - h - 1, &port))
			return false;
		n = h;
	}
	return ip_ok(s, n) || (names && host_ok(s, n));
}

/* check_smtp - blacklist_code, the template, alert and spamcop settings */
static int
check_smtp(const struct conf *c, conf_error_fn *err)
{
	const char *s = c->blacklist_code, *t;
	unsigned short lo[CONF_PORTS_MAX], hi[CONF_PORTS_MAX];
	size_t n;
	int rc = 0;

	/* Postfix access(5): "4NN" or "5NN", an optional RFC 3463 code */
	if (!(strlen(s) >= 3 && (s[0] == '4' || s[0] == '5') &&
	        isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
	        (s[3] == '\0' ||
	            (s[3] == ' ' && s[4] == s[0] && s[5] == '.' &&
	                strspn(s + 6, "0123456789.") == strlen(s + 6) &&
	                strchr(s + 6, '.') != NULL)))) {
		err(c, "blacklist_code",
		    "blacklist_code = %.40s: want a Postfix reject code, "
		    "\"554\" or \"554 5.7.1\"",
		    s);
		rc = -1;
	}
	for (t = strchr(c->blacklist_template, '$'); t != NULL;
	     t = strchr(t + 1, '$')) {
		size_t k = strspn(t + 1,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_");

		if ((k == 4 && strncmp(t + 1, "list", 4) == 0) ||
		    (k == 6 && strncmp(t + 1, "reason", 6) == 0) ||
		    (k == 2 && strncmp(t + 1, "ip", 2) == 0) ||
		    (k == 4 && strncmp(t + 1, "host", 4) == 0))
			continue;
		err(c, "blacklist_template",
		    "blacklist_template: unknown variable \"$%.*s\" (known: "
		    "$list $reason $ip $host)",
		    (int)(k > 40 ? 40 : k), t + 1);
		rc = -1;
	}
	if (*c->alert_smtp_server != '\0' &&
	    !endpoint_ok(
	        c->alert_smtp_server, strlen(c->alert_smtp_server), true)) {
		err(c, "alert_smtp_server",
		    "alert_smtp_server = %.80s: want HOST, HOST:PORT or "
		    "[IPV6]:PORT",
		    c->alert_smtp_server);
		rc = -1;
	}
	s = c->sysadmin_email_address;
	if (*s != '\0' &&
	    ((t = strchr(s, '@')) == NULL || t == s ||
	        !host_ok(t + 1, strlen(t + 1)) ||
	        strpbrk(s, " \t<>\"(),;:\\[]") != NULL)) {
		err(c, "sysadmin_email_address",
		    "sysadmin_email_address = %.80s: want user@domain", s);
		rc = -1;
	}
	for (s = c->spamcop_reject_codes; *s != '\0';) {
		s += strspn(s, ", \t");
		n = strcspn(s, ", \t");
		if (n == 0)
			break;
		if (n != 3 || (s[0] != '4' && s[0] != '5') ||
		    strspn(s, "0123456789") < 3) {
			err(c, "spamcop_reject_codes",
			    "spamcop_reject_codes = %.80s: want reply codes "
			    "like \"553, 554\"",
			    c->spamcop_reject_codes);
			rc = -1;
			break;
		}
		s += n;
	}
	if (conf_ports(c->nullroute_ports, lo, hi, NITEMS(lo), &n) != NULL) {
		err(c, "nullroute_ports", "nullroute_ports = %.80s: %s",
		    c->nullroute_ports,
		    conf_ports(c->nullroute_ports, lo, hi, NITEMS(lo), &n));
		rc = -1;
	}
	return rc;
}

/* check_names - iptables_chain, nftables_table, the map names */
static int
check_names(const struct conf *c, conf_error_fn *err)
{
	static const char *const reserved[] = {"ACCEPT", "DROP", "QUEUE",
	    "RETURN", "INPUT", "OUTPUT", "FORWARD", "PREROUTING",
	    "POSTROUTING"};
	const char *ch = c->iptables_chain;
	size_t i;
	int rc = 0;

	if (strlen(ch) > 28 || ch[0] == '-' ||
	    strspn(ch,
	        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	        "0123456789_-") != strlen(ch)) {
		err(c, "iptables_chain",
		    "iptables_chain = %.40s: 1 to 28 letters, digits, '_' "
		    "and '-', not starting with '-'",
		    ch);
		rc = -1;
	}
	for (i = 0; i < NITEMS(reserved); i++)
		if (strcmp(ch, reserved[i]) == 0) {
			err(c, "iptables_chain",
			    "iptables_chain = %s: reserved by iptables", ch);
			rc = -1;
		}
	/* it is pasted into nft commands: an identifier, nothing else */
	if (strlen(c->nftables_table) > 28 ||
	    strspn(c->nftables_table,
	        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == 0 ||
	    strspn(c->nftables_table,
	        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	        "0123456789_") != strlen(c->nftables_table)) {
		err(c, "nftables_table",
		    "nftables_table = %.40s: 1 to 28 letters, digits and '_', "
		    "starting with a letter",
		    c->nftables_table);
		rc = -1;
	}
	if (strchr(c->popauth_map, '/') != NULL) {
		err(c, "popauth_map",
		    "popauth_map is a name in map_directory, not a path");
		rc = -1;
	}
	if (strchr(c->blacklist_map, '/') != NULL) {
		err(c, "blacklist_map",
		    "blacklist_map is a name in map_directory, not a path");
		rc = -1;
	}
	if (strcmp(c->popauth_map, c->blacklist_map) == 0) {
		err(c, "blacklist_map",
		    "popauth_map and blacklist_map must differ");
		rc = -1;
	}
	return rc;
}

/*
 * check_cluster - the node name travels in every change and names who decided
 * what: a plain identifier; the conninfo must be one libpq can read (a typo
 * is refused here, not at the first reconnect)
 */
static int
check_cluster(const struct conf *c, conf_error_fn *err)
{
	const char *n = c->cluster_node;
	PQconninfoOption *o;
	char *why = NULL;
	int rc = 0;

	if (strlen(n) > 63 || n[0] == '\0' ||
	    strspn(n,
	        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	        "0123456789._-") != strlen(n)) {
		err(c, "cluster_node",
		    "cluster_node = %.40s: 1 to 63 letters, digits, '.', '_' "
		    "and '-'",
		    n);
		rc = -1;
	}
	if (c->cluster_database[0] == '\0')
		return rc;
	if ((o = PQconninfoParse(c->cluster_database, &why)) == NULL) {
		char msg[200];

		snprintf(msg, sizeof(msg), "%s",
		    why != NULL ? why : "out of memory");
		msg[strcspn(msg, "\n")] = '\0';
		err(c, "cluster_database", "cluster_database: %s", msg);
		rc = -1;
	}
	PQconninfoFree(o);
	PQfreemem(why);
	return rc;
}

/* check_system - users and groups that must exist, DNS servers */
static int
check_system(const struct conf *c, conf_error_fn *err)
{
	const char *p = c->greytrap_dns_servers;
	int rc = 0;

	if (*c->run_as_user != '\0' && getpwnam(c->run_as_user) == NULL) {
		err(c, "run_as_user", "run_as_user = %.60s: no such user",
		    c->run_as_user);
		rc = -1;
	}
	if (*c->control_group != '\0' && getgrnam(c->control_group) == NULL) {
		err(c, "control_group", "control_group = %.60s: no such group",
		    c->control_group);
		rc = -1;
	}
	while (*p != '\0') {
		size_t n;

		p += strspn(p, ", \t");
		if ((n = strcspn(p, ", \t")) == 0)
			break;
		if (!endpoint_ok(p, n, false)) {
			err(c, "greytrap_dns_servers",
			    "greytrap_dns_servers: \"%.*s\" is not IP, IP:PORT "
			    "or [IPV6]:PORT",
			    (int)(n > 60 ? 60 : n), p);
			rc = -1;
			break;
		}
		p += n;
	}
	return rc;
}

/* check_mta - sendmail, reaper and greytrap keys */
static int
check_mta(const struct conf *c, conf_error_fn *err)
{
	struct procnet_local l;
	const char *p = c->greytrap_trap_regex;
	size_t n;
	int rc = 0;

	if (procnet_parse_local(c->sendmail_listen, &l) < 0) {
		err(c, "sendmail_listen",
		    "sendmail_listen = %s: expected ADDR:PORT, [V6]:PORT or "
		    "PORT",
		    c->sendmail_listen);
		rc = -1;
	}
	n = strlen(c->stalled_session_pattern);
	if (check_regex(c, err, "stalled_session_pattern",
	        c->stalled_session_pattern, n) < 0)
		rc = -1;
	while (*p != '\0') {
		p += strspn(p, " \t");
		if ((n = strcspn(p, " \t")) == 0)
			break;
		if (check_regex(c, err, "greytrap_trap_regex", p, n) < 0)
			rc = -1;
		p += n;
	}
	return rc;
}

int
conf_check(const struct conf *c, conf_error_fn *err)
{
	int rc = 0;

	if (c->nullroute_freq_thresh <= 0) {
		err(c, "nullroute_freq_thresh",
		    "nullroute_freq_thresh must be above zero");
		rc = -1;
	}
	if (c->ban_escalate_factor < 1) {
		err(c, "ban_escalate_factor",
		    "ban_escalate_factor must be at least 1");
		rc = -1;
	}
	if (c->greytrap_max_senders_ratio > 1) {
		err(c, "greytrap_max_senders_ratio",
		    "greytrap_max_senders_ratio is a ratio, 0 to 1");
		rc = -1;
	}
	if (strcmp(c->input, "fifo") != 0 && strcmp(c->input, "file") != 0 &&
	    strcmp(c->input, "journal") != 0) {
		err(c, "input", "input = %.60s: expected fifo, file or journal",
		    c->input);
		rc = -1;
	}
	if (strcmp(c->input, "file") == 0 && c->input_path[0] != '/') {
		err(c, "input_path", "input_path = %.60s: not an absolute path",
		    c->input_path);
		rc = -1;
	}
	if (c->journal_directory[0] != '\0' && c->journal_directory[0] != '/') {
		err(c, "journal_directory",
		    "journal_directory = %.60s: not an absolute path",
		    c->journal_directory);
		rc = -1;
	}
	/* every check runs: one pass reports every bad value */
	rc |= check_smtp(c, err);
	rc |= check_names(c, err);
	rc |= check_system(c, err);
	rc |= check_mta(c, err);
	rc |= check_cluster(c, err);
	return rc;
}

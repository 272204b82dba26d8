/*
 * ctl_print.c - popauthctl's tables, show and status layouts, and JSON
 * (see ctl_print.h).
 */
#include "ctl_print.h"
#include "conf.h"
#include "ctl_json.h"
#include "export.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Output. */
static const char *
when(char *buf, size_t size, const char *epoch)
{
	long long t;
	time_t tt;
	struct tm tm;

	if (parse_long(epoch, -1, 1LL << 40, &t) < 0 || t <= 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	tt = (time_t)t;
	localtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

/* left - kernel_left seconds as "29m58s" (dur_format without spaces), or
 * "-" when unknown (-1, absent: an older daemon, iptables or none) */
static const char *
left(char *buf, size_t size, const char *secs)
{
	char d[64];
	long long t;
	size_t i, o = 0;

	if (secs == NULL || parse_long(secs, -1, 1LL << 40, &t) < 0 || t < 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	dur_format((time_t)t, d, sizeof(d));
	for (i = 0; d[i] != '\0' && o + 1 < size; i++)
		if (d[i] != ' ')
			buf[o++] = d[i];
	buf[o] = '\0';
	return buf;
}

/* fields - split a record line (a copy) into at most 16 fields */
static size_t
fields(const char *line, char *copy, size_t size, char **f)
{
	size_t n = 0;
	char *p = copy;

	snprintf(copy, size, "%s", line);
	while (n < 16) {
		char *tab = strchr(p, '\t');

		f[n++] = p;
		if (tab == NULL)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	return n;
}

static void
print_table(const char *what, const struct ctl_lines *l)
{
	char copy[EXPORT_LINE_MAX], *f[16], t1[32], t2[32];
	size_t i, n, rows = 0;

	if (strcmp(what, "relay") == 0)
		printf("%-39s %-19s %-19s %6s %s\n", "IP", "LAST LOGIN",
		    "EXPIRES", "LOGINS", "USERS");
	else if (strcmp(what, "fishing") == 0)
		printf("%-39s %6s %-19s %s\n", "IP", "UNIQUE", "LAST ATTEMPT",
		    "RECIPIENTS");
	else if (strcmp(what, "bans") == 0)
		printf("%-39s %-19s %-11s %4s %6s %-20s %s\n", "IP",
		    "BANNED UNTIL", "KERNEL", "BANS", "HITS", "LISTED BY",
		    "REASON");
	else
		printf("%-39s %-19s %6s %-19s %-20s %s\n", "IP", "LAST HIT",
		    "HITS", "BANNED UNTIL", "LISTED BY", "REASON");
	for (i = 0; i < l->n; i++) {
		n = fields(l->v[i], copy, sizeof(copy), f);
		if (strcmp(f[0], "grant") == 0 && n >= 6) {
			size_t j;

			printf("%s%-39s %-19s %-19s %6s ",
			    rows++ > 0 ? "\n" : "", f[1],
			    when(t1, sizeof(t1), f[3]),
			    when(t2, sizeof(t2), f[5]), f[4]);
			for (j = i + 1;
			     j < l->n && strncmp(l->v[j], "user\t", 5) == 0;
			     j++) {
				char c2[EXPORT_LINE_MAX], *u[16];

				fields(l->v[j], c2, sizeof(c2), u);
				printf("%s%s", j > i + 1 ? "," : "", u[2]);
			}
		} else if (strcmp(f[0], "fish") == 0 && n >= 5) {
			size_t j;

			printf("%s%-39s %6s %-19s ", rows++ > 0 ? "\n" : "",
			    f[1], f[2], when(t1, sizeof(t1), f[4]));
			for (j = i + 1;
			     j < l->n && strncmp(l->v[j], "pair\t", 5) == 0;
			     j++) {
				char c2[EXPORT_LINE_MAX], *u[16];

				fields(l->v[j], c2, sizeof(c2), u);
				if (j - i <= 3)
					printf("%s<%s>", j > i + 1 ? "," : "",
					    u[2]);
				else if (j - i == 4)
					printf(",...");
			}
		} else if (strcmp(f[0], "black") == 0 && n >= 14) {
			if (strcmp(what, "bans") == 0)
				printf("%s%-39s %-19s %-11s %4s %6s %-20s %s",
				    rows++ > 0 ? "\n" : "", f[1],
				    when(t1, sizeof(t1), f[4]),
				    left(
				        t2, sizeof(t2), n >= 16 ? f[15] : NULL),
				    f[7], f[6], f[12], f[13]);
			else
				printf("%s%-39s %-19s %6s %-19s %-20s %s",
				    rows++ > 0 ? "\n" : "", f[1],
				    when(t1, sizeof(t1), f[3]), f[6],
				    strcmp(f[10], "1") == 0
				        ? when(t2, sizeof(t2), f[4])
				        : "-",
				    f[12], f[13]);
		}
	}
	if (rows > 0)
		putchar('\n');
}

/* field - the value of record field name, or "" */
static const char *
field(const struct export_kind *k, char **f, size_t n, const char *name)
{
	size_t j;

	for (j = 0; j < k->nfields && j + 1 < n; j++)
		if (strcmp(k->fields[j].name, name) == 0)
			return f[j + 1];
	return "";
}

/*
 * show_human - a field of show in human units: unban and ban_kind only
 * for a ban in force, the frequency per minute beside its threshold; false
 * when the field is to be left out
 */
static bool
show_human(const struct export_kind *k, char **f, size_t n, const char *name,
    const char *v, const struct conf *c, char *buf, size_t size)
{
	bool banned = strcmp(field(k, f, n, "banned"), "1") == 0;
	char t[32];
	double d;

	if (strcmp(k->kind, "black") != 0)
		return false;
	if (strcmp(name, "unban") == 0) {
		if (banned)
			snprintf(buf, size, "%s", when(t, sizeof(t), v));
		else
			snprintf(buf, size, "not banned");
		return true;
	}
	if (strcmp(name, "freq") == 0 && parse_double(v, &d) == 0) {
		if (c != NULL)
			snprintf(buf, size, "%.1f/min (threshold %.1f/min)",
			    d * 60, c->nullroute_freq_thresh * 60);
		else
			snprintf(buf, size, "%.1f/min", d * 60);
		return true;
	}
	if (strcmp(name, "ban_kind") == 0 && !banned) {
		buf[0] = '\0';
		return true;
	}
	return false;
}

static void
print_show(const struct ctl_lines *l, const struct conf *c)
{
	char copy[EXPORT_LINE_MAX], *f[16], t[32], human[96];
	size_t i, j, n;

	for (i = 0; i < l->n; i++) {
		const struct export_kind *k;

		n = fields(l->v[i], copy, sizeof(copy), f);
		if (strcmp(f[0], "cluster") == 0 && n >= 5) {
			/* who decided what (cluster.h): one line each */
			printf("cluster: %s by node %s at %s%s\n", f[1], f[2],
			    when(t, sizeof(t), f[3]),
			    strcmp(f[4], "ignored") == 0
			        ? " (ignored here: merge rules)"
			        : "");
			continue;
		}
		if ((k = export_kind_find(f[0], strlen(f[0]))) == NULL)
			continue;
		printf("%s%s:\n", k->parent != NULL ? "  " : "",
		    strcmp(f[0], "grant") == 0       ? "relay grant"
		        : strcmp(f[0], "black") == 0 ? "blacklist entry"
		        : strcmp(f[0], "fish") == 0  ? "fishing record"
		        : strcmp(f[0], "user") == 0  ? "user"
		                                     : "attempt");
		for (j = 0; j < k->nfields && j + 1 < n; j++) {
			const char *name = k->fields[j].name, *v = f[j + 1];

			if (k->parent != NULL && k->fields[j].type == EXP_IP)
				continue;
			if (show_human(
			        k, f, n, name, v, c, human, sizeof(human))) {
				if (human[0] != '\0')
					printf("  %-14s %s\n", name, human);
				continue;
			}
			if (strcmp(name, "first") == 0 ||
			    strcmp(name, "last") == 0 ||
			    strcmp(name, "expires") == 0 ||
			    strcmp(name, "first_unique") == 0 ||
			    (strcmp(name, "unban") == 0 && v[0] != '-')) {
				printf("%s  %-14s %s\n",
				    k->parent != NULL ? "  " : "", name,
				    when(t, sizeof(t), v));
				continue;
			}
			printf("%s  %-14s %s\n", k->parent != NULL ? "  " : "",
			    name,
			    strcmp(name, "banned") == 0
			        ? (*v == '1' ? "yes" : "no")
			        : v);
		}
	}
}

/* epoch - a record's time field as time_t (0 when bad) */
static time_t
epoch(const char *v)
{
	long long t;

	return parse_long(v, -1, 1LL << 40, &t) < 0 ? 0 : (time_t)t;
}

/*
 * print_explain - the story of one address: each kept line, oldest first,
 * with its rule, event and decision, then what holds now and what happens
 * next
 */
static void
print_explain(const struct ctl_lines *l, const struct conf *c)
{
	char copy[EXPORT_LINE_MAX], *f[16], t1[32], t2[32];
	size_t i, n, story = 0;

	for (i = 0; i < l->n; i++) {
		n = fields(l->v[i], copy, sizeof(copy), f);
		if (strcmp(f[0], "evidence") != 0 || n < 7)
			continue;
		if (story++ == 0)
			printf("%s: what happened, oldest first\n", f[1]);
		printf("  %s  rule %s, event %s\n", when(t1, sizeof(t1), f[2]),
		    f[3], f[4]);
		printf("      -> %s\n", f[5]);
		printf("      | %s\n", f[6]);
	}
	if (story == 0 && l->n > 0)
		printf("no log lines kept (evidence_per_ip = 0, or the records "
		       "came from popauthctl or an import)\n");
	printf("now:\n");
	for (i = 0; i < l->n; i++) {
		n = fields(l->v[i], copy, sizeof(copy), f);
		if (strcmp(f[0], "grant") == 0 && n >= 6) {
			printf(
			    "  relay granted until %s (%s logins); then the "
			    "grant expires unless the client logs in again\n",
			    when(t1, sizeof(t1), f[5]), f[4]);
		} else if (strcmp(f[0], "black") == 0 && n >= 15) {
			time_t last = epoch(f[3]), unban = epoch(f[4]);
			time_t base = unban > last ? unban : last;

			printf("  blacklisted by %s: %s; %s hits, %s ban(s)\n",
			    f[12], f[13], f[6], f[7]);
			if (strcmp(f[10], "1") == 0)
				printf("  banned (%s) until %s, then unbanned; "
				       "still listed\n",
				    f[14], when(t1, sizeof(t1), f[4]));
			else
				printf("  not banned\n");
			if (c != NULL) {
				snprintf(t2, sizeof(t2), "%lld",
				    (long long)(base + c->rbl_cache_expire));
				printf(
				    "  the entry expires %s (rbl_cache_expire "
				    "after its last hit or unban)\n",
				    when(t1, sizeof(t1), t2));
			}
		} else if (strcmp(f[0], "cluster") == 0 && n >= 5) {
			printf("  %s by cluster node %s at %s%s\n", f[1], f[2],
			    when(t1, sizeof(t1), f[3]),
			    strcmp(f[4], "ignored") == 0
			        ? " (ignored here: merge rules)"
			        : "");
		} else if (strcmp(f[0], "fish") == 0 && n >= 5) {
			printf("  fishing: %s unique recipients", f[2]);
			if (c != NULL) {
				snprintf(t2, sizeof(t2), "%lld",
				    (long long)(epoch(f[4]) + c->fish_expire));
				printf("; the record expires %s",
				    when(t1, sizeof(t1), t2));
			}
			putchar('\n');
		}
	}
}

static void
print_status(const struct ctl_lines *l)
{
	char copy[EXPORT_LINE_MAX], *f[16];
	size_t i;

	for (i = 0; i < l->n; i++)
		if (fields(l->v[i], copy, sizeof(copy), f) == 3 &&
		    strcmp(f[0], "stat") == 0)
			printf("%-32s %s\n", f[1], f[2]);
}

/* output - print records of command cmd (what: list's argument) */
void
ctl_print(const char *cmd, const char *what, const struct ctl_lines *l,
    bool json, const struct conf *c)
{
	size_t i;

	if (strcmp(cmd, "export") == 0 && !json) {
		for (i = 0; i < l->n; i++)
			puts(l->v[i]);
		return;
	}
	if (json) {
		const char *kind = "";

		if (strcmp(cmd, "explain") == 0)
			kind = "explain";
		if (strcmp(cmd, "list") == 0)
			kind = strcmp(what, "relay") == 0  ? "grant"
			    : strcmp(what, "fishing") == 0 ? "fish"
			                                   : "black";
		ctl_json_write(
		    stdout, l->v, l->n, kind, strcmp(cmd, "export") == 0);
		return;
	}
	if (strcmp(cmd, "status") == 0)
		print_status(l);
	else if (strcmp(cmd, "show") == 0)
		print_show(l, c);
	else if (strcmp(cmd, "explain") == 0)
		print_explain(l, c);
	else
		print_table(what, l);
}

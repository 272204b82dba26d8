/*
 * export.c - state records as TSV lines and back (see export.h).
 *
 * For ctl_cmd.c (daemon: list, show, export, import), ctl_offline.c (the same
 * with the daemon down) and popauthctl.c (tables, JSON).  One schema table
 * names every kind and field, so the TSV writer, the import parser and the
 * JSON conversion cannot drift apart.  Import is strict: a wrong field count,
 * a bad address (addr_parse), one no client has (addr_is_client: 0.0.0.0,
 * multicast...) or a bad number refuses the line with a message;
 * user and pair lines must follow their own grant or fish line.  Text fields
 * are unescaped and escaped again with log_escape, so an import can never put
 * raw control bytes into a map value or a log line.
 */
#include "export.h"
#include "evidence.h"
#include "log.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT_TEXT_MAX 1024 /* an escaped text field after import */

static const struct export_field grant_fields[] = {
    {"ip", EXP_IP, NULL},
    {"first", EXP_INT, NULL},
    {"last", EXP_INT, NULL},
    {"count", EXP_INT, NULL},
    {"expires", EXP_INT, NULL},
};
static const struct export_field user_fields[] = {
    {"ip", EXP_IP, NULL},
    {"name", EXP_STR, NULL},
    {"first", EXP_INT, NULL},
    {"last", EXP_INT, NULL},
    {"count", EXP_INT, NULL},
};
static const struct export_field black_fields[] = {
    {"ip", EXP_IP, NULL}, {"first", EXP_INT, NULL}, {"last", EXP_INT, NULL},
    {"unban", EXP_INT, NULL}, {"period_hits", EXP_INT, NULL},
    {"total_hits", EXP_INT, NULL}, {"bans", EXP_INT, NULL},
    {"freq", EXP_NUM, NULL}, {"alerted", EXP_INT, NULL},
    {"banned", EXP_INT, NULL}, {"host", EXP_STR, NULL}, {"list", EXP_STR, NULL},
    {"reason", EXP_STR, NULL},
    {"ban_kind", EXP_STR, "nullroute"}, /* since 0.1: exports before lack it */
    {"kernel_left", EXP_INT, "-1"}, /* since 0.1: -1 unknown; not imported */
};
static const struct export_field fish_fields[] = {
    {"ip", EXP_IP, NULL},
    {"unique", EXP_INT, NULL},
    {"first_unique", EXP_INT, NULL},
    {"last", EXP_INT, NULL},
};
static const struct export_field pair_fields[] = {
    {"ip", EXP_IP, NULL},
    {"to", EXP_STR, NULL},
    {"from", EXP_STR, NULL},
    {"first", EXP_INT, NULL},
    {"last", EXP_INT, NULL},
    {"count", EXP_INT, NULL},
};
static const struct export_field evidence_fields[] = {
    {"ip", EXP_IP, NULL},
    {"when", EXP_INT, NULL},
    {"rule", EXP_STR, NULL},
    {"event", EXP_STR, NULL},
    {"outcome", EXP_STR, NULL},
    {"line", EXP_STR, NULL},
};
static const struct export_field stat_fields[] = {
    {"name", EXP_STR, NULL},
    {"value", EXP_STR, NULL},
};

#define KIND(k, p, j, f)                                                       \
	{                                                                      \
		k, p, j, f, NITEMS(f)                                          \
	}

static const struct export_kind kinds[] = {
    KIND("grant", NULL, "grants", grant_fields),
    KIND("user", "grant", "users", user_fields),
    KIND("black", NULL, "blacklist", black_fields),
    KIND("fish", NULL, "fishing", fish_fields),
    KIND("pair", "fish", "pairs", pair_fields),
    KIND("stat", NULL, "status", stat_fields),
    KIND("evidence", NULL, "evidence", evidence_fields),
};

const struct export_kind *
export_kinds(size_t *n)
{
	*n = NITEMS(kinds);
	return kinds;
}

const struct export_kind *
export_kind_find(const char *kind, size_t n)
{
	size_t i;

	for (i = 0; i < NITEMS(kinds); i++)
		if (strlen(kinds[i].kind) == n &&
		    memcmp(kinds[i].kind, kind, n) == 0)
			return &kinds[i];
	return NULL;
}

char *
export_unescape(char *s)
{
	char *r = s, *w = s;

	while (*r != '\0') {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' &&
		    r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 +
			    (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return s;
}

const char *
export_clean(char *buf, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s != '\0' && n + 5 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			n += (size_t)snprintf(buf + n, size - n, "\\%03o", c);
		else
			buf[n++] = (char)c;
	}
	buf[n] = '\0';
	return buf;
}

/* line_add - append a formatted field to line (tab-separated) */
static void line_add(char *line, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
line_add(char *line, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= EXPORT_LINE_MAX - 1)
		return;
	if (*len > 0)
		line[(*len)++] = '\t';
	va_start(ap, fmt);
	n = vsnprintf(line + *len, EXPORT_LINE_MAX - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n;
	if (*len >= EXPORT_LINE_MAX)
		*len = EXPORT_LINE_MAX - 1;
	line[*len] = '\0';
}

/* text - a stored text field as it goes into a record (never a tab) */
static const char *
text(char *buf, const char *s)
{
	return export_clean(buf, EXPORT_TEXT_MAX + 1, s != NULL ? s : "");
}

void
export_grant(const struct grant_info *gi, export_line_fn *fn, void *arg)
{
	char line[EXPORT_LINE_MAX], ip[ADDR_STRLEN], t[EXPORT_TEXT_MAX + 1];
	size_t len = 0, i;

	addr_format(&gi->ip, ip, sizeof(ip));
	line_add(line, &len, "grant\t%s\t%lld\t%lld\t%lu\t%lld", ip,
	    (long long)gi->first, (long long)gi->last, gi->count,
	    (long long)gi->expires);
	fn(arg, line);
	for (i = 0; i < gi->nusers; i++) {
		len = 0;
		line_add(line, &len, "user\t%s\t%s\t%lld\t%lld\t%lu", ip,
		    text(t, gi->users[i].name), (long long)gi->users[i].first,
		    (long long)gi->users[i].last, gi->users[i].count);
		fn(arg, line);
	}
}

void
export_bl(const struct bl_info *bi, long long kernel_left, export_line_fn *fn,
    void *arg)
{
	char line[EXPORT_LINE_MAX], ip[ADDR_STRLEN];
	char h[EXPORT_TEXT_MAX + 1], l[EXPORT_TEXT_MAX + 1],
	    r[EXPORT_TEXT_MAX + 1];
	size_t len = 0;

	line_add(line, &len,
	    "black\t%s\t%lld\t%lld\t%lld\t%lu\t%lu\t%lu\t%.6f\t%lld\t%d\t%s\t%"
	    "s\t%s\t%s\t%lld",
	    addr_format(&bi->ip, ip, sizeof(ip)), (long long)bi->first,
	    (long long)bi->last, (long long)bi->unban, bi->period_hits,
	    bi->total_hits, bi->bans, bi->freq, (long long)bi->alerted,
	    bi->banned ? 1 : 0, text(h, bi->host), text(l, bi->list),
	    text(r, bi->reason), bl_ban_kind_name(bi->ban_kind),
	    kernel_left < 0 ? -1LL : kernel_left);
	fn(arg, line);
}

void
export_evidence(const struct addr *ip, const struct evidence_item *it,
    export_line_fn *fn, void *arg)
{
	char line[EXPORT_LINE_MAX], a[ADDR_STRLEN];
	char r[EXPORT_TEXT_MAX + 1], e[EXPORT_TEXT_MAX + 1],
	    o[EXPORT_TEXT_MAX + 1], l[EXPORT_TEXT_MAX + 1];
	size_t len = 0;

	line_add(line, &len, "evidence\t%s\t%lld\t%s\t%s\t%s\t%s",
	    addr_format(ip, a, sizeof(a)), (long long)it->when,
	    text(r, it->rule), text(e, it->event), text(o, it->outcome),
	    text(l, it->line));
	fn(arg, line);
}

void
export_fish(const struct fish_info *fi, export_line_fn *fn, void *arg)
{
	char line[EXPORT_LINE_MAX], ip[ADDR_STRLEN];
	char to[EXPORT_TEXT_MAX + 1], from[EXPORT_TEXT_MAX + 1];
	size_t len = 0, i;

	addr_format(&fi->ip, ip, sizeof(ip));
	line_add(line, &len, "fish\t%s\t%lu\t%lld\t%lld", ip, fi->unique,
	    (long long)fi->first_unique, (long long)fi->last);
	fn(arg, line);
	for (i = 0; i < fi->npairs; i++) {
		len = 0;
		line_add(line, &len, "pair\t%s\t%s\t%s\t%lld\t%lld\t%lu", ip,
		    text(to, fi->pairs[i].to), text(from, fi->pairs[i].from),
		    (long long)fi->pairs[i].first, (long long)fi->pairs[i].last,
		    fi->pairs[i].count);
		fn(arg, line);
	}
}

/*
 * Import.  A grant or fish record stays pending until the next record that is
 * not one of its user or pair lines, because those follow it.
 */
#define IMPORT_MAX_PAIRS 100000

struct import {
	struct import_ops ops;
	enum { PEND_NONE, PEND_GRANT, PEND_FISH } pend;
	struct grant_info gi;
	char *unames[GRANT_INFO_USERS];
	struct fish_info fi;
	struct fish_pair_info *pairs;
	size_t pairs_cap;
};

struct import *
import_new(const struct import_ops *ops)
{
	struct import *im = xcalloc(1, sizeof(*im));

	im->ops = *ops;
	return im;
}

/* import_clear - forget the pending record */
static void
import_clear(struct import *im)
{
	size_t i;

	for (i = 0; i < GRANT_INFO_USERS; i++) {
		free(im->unames[i]);
		im->unames[i] = NULL;
	}
	for (i = 0; i < im->fi.npairs; i++) {
		free((char *)(uintptr_t)im->pairs[i].to);
		free((char *)(uintptr_t)im->pairs[i].from);
	}
	memset(&im->gi, 0, sizeof(im->gi));
	memset(&im->fi, 0, sizeof(im->fi));
	im->pend = PEND_NONE;
}

/* import_flush - hand the pending record to ops */
static void
import_flush(struct import *im)
{
	switch (im->pend) {
	case PEND_GRANT:
		if (im->ops.grant != NULL)
			im->ops.grant(im->ops.arg, &im->gi);
		break;
	case PEND_FISH:
		im->fi.pairs = im->pairs;
		if (im->ops.fish != NULL)
			im->ops.fish(im->ops.arg, &im->fi);
		break;
	case PEND_NONE:
		break;
	}
	import_clear(im);
}

void
import_free(struct import *im)
{
	if (im == NULL)
		return;
	import_clear(im);
	free(im->pairs);
	free(im);
}

/* field values of one parsed line */
struct fields {
	struct addr ip;
	long long n[16];
	double d[16];
	char *s[16];
};

static int fail(char *err, size_t errsize, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errsize, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
	return -1;
}

/* parse_fields - split line into k's fields, check and convert each */
static int
parse_fields(const struct export_kind *k, char *rest, struct fields *f,
    char *err, size_t errsize)
{
	size_t i;

	for (i = 0; i < k->nfields; i++) {
		char *tab = rest != NULL ? strchr(rest, '\t') : NULL;
		const struct export_field *fd = &k->fields[i];
		char *v = rest, esc[EXPORT_TEXT_MAX + 1], dflt[64];

		if (v == NULL && fd->dflt != NULL) {
			/* an export from before the field existed */
			snprintf(dflt, sizeof(dflt), "%s", fd->dflt);
			v = dflt;
		} else if (v == NULL)
			return fail(err, errsize,
			    "%s: %zu fields expected, got %zu", k->kind,
			    k->nfields, i);
		if (tab != NULL)
			*tab = '\0';
		rest = tab != NULL ? tab + 1 : NULL;
		switch (fd->type) {
		case EXP_IP:
			if (addr_parse(v, strlen(v), &f->ip) < 0)
				return fail(err, errsize,
				    "%s: bad address \"%.60s\"", k->kind, v);
			/*
			 * an import makes entries: as grant and ban do;
			 * a blacklist record may be an IPv6 /64 offender
			 */
			if (!addr_is_client(&f->ip) &&
			    !(f->ip.family == ADDR_NET6 &&
			        strcmp(k->kind, "black") == 0))
				return fail(err, errsize,
				    "%s: %.60s: not a client address "
				    "(unspecified, multicast, broadcast or a "
				    "network)",
				    k->kind, v);
			break;
		case EXP_INT:
			if (parse_long(v, -1, (long long)1 << 62, &f->n[i]) < 0)
				return fail(err, errsize,
				    "%s: %s: bad number \"%.30s\"", k->kind,
				    fd->name, v);
			break;
		case EXP_NUM:
			if (parse_double(v, &f->d[i]) < 0)
				return fail(err, errsize,
				    "%s: %s: bad number \"%.30s\"", k->kind,
				    fd->name, v);
			break;
		case EXP_STR:
			export_unescape(v);
			log_escape(esc, sizeof(esc), v, strlen(v));
			f->s[i] = xstrdup(esc);
			break;
		}
	}
	if (rest != NULL)
		return fail(err, errsize, "%s: more than %zu fields", k->kind,
		    k->nfields);
	return 0;
}

static void
fields_free(struct fields *f)
{
	size_t i;

	for (i = 0; i < NITEMS(f->s); i++)
		free(f->s[i]);
}

/* import_child - a user or pair line: attach to the pending record */
static int
import_child(struct import *im, const struct export_kind *k, struct fields *f,
    char *err, size_t errsize)
{
	bool user = strcmp(k->kind, "user") == 0;
	const struct addr *parent = user ? &im->gi.ip : &im->fi.ip;

	if (im->pend != (user ? PEND_GRANT : PEND_FISH) ||
	    !addr_equal(parent, &f->ip))
		return fail(err, errsize,
		    "%s: does not follow a %s line for the "
		    "same address",
		    k->kind, k->parent);
	if (user) {
		struct grant_user_info *u;

		if (im->gi.nusers == GRANT_INFO_USERS)
			return 0; /* the tracker names 8 users; more only count */
		u = &im->gi.users[im->gi.nusers];
		im->unames[im->gi.nusers++] = f->s[1];
		u->name = f->s[1];
		f->s[1] = NULL;
		u->first = (time_t)f->n[2];
		u->last = (time_t)f->n[3];
		u->count = (unsigned long)f->n[4];
		return 0;
	}
	if (im->fi.npairs == IMPORT_MAX_PAIRS)
		return 0;
	if (im->fi.npairs == im->pairs_cap) {
		im->pairs_cap = im->pairs_cap ? im->pairs_cap * 2 : 16;
		im->pairs =
		    xrealloc(im->pairs, im->pairs_cap * sizeof(*im->pairs));
	}
	im->pairs[im->fi.npairs].to = f->s[1];
	im->pairs[im->fi.npairs].from = f->s[2];
	f->s[1] = f->s[2] = NULL;
	im->pairs[im->fi.npairs].first = (time_t)f->n[3];
	im->pairs[im->fi.npairs].last = (time_t)f->n[4];
	im->pairs[im->fi.npairs].count = (unsigned long)f->n[5];
	im->fi.npairs++;
	return 0;
}

int
import_line(struct import *im, char *line, char *err, size_t errsize)
{
	const struct export_kind *k;
	struct fields f;
	char *tab;
	size_t n;
	int rc = 0;

	n = strlen(line);
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	if (*line == '\0' || *line == '#')
		return 0;
	tab = strchr(line, '\t');
	n = tab != NULL ? (size_t)(tab - line) : strlen(line);
	if ((k = export_kind_find(line, n)) == NULL ||
	    strcmp(k->kind, "stat") == 0 || strcmp(k->kind, "evidence") == 0)
		return fail(err, errsize, "unknown record kind \"%.*s\"",
		    (int)(n > 20 ? 20 : n), line);
	memset(&f, 0, sizeof(f));
	if (parse_fields(k, tab != NULL ? tab + 1 : NULL, &f, err, errsize) <
	    0) {
		fields_free(&f);
		return -1;
	}
	if (k->parent != NULL) {
		rc = import_child(im, k, &f, err, errsize);
		fields_free(&f);
		return rc;
	}
	import_flush(im);
	if (strcmp(k->kind, "grant") == 0) {
		im->pend = PEND_GRANT;
		im->gi.ip = f.ip;
		im->gi.first = (time_t)f.n[1];
		im->gi.last = (time_t)f.n[2];
		im->gi.count = (unsigned long)f.n[3];
		im->gi.expires = (time_t)f.n[4];
	} else if (strcmp(k->kind, "fish") == 0) {
		im->pend = PEND_FISH;
		im->fi.ip = f.ip;
		im->fi.unique = (unsigned long)f.n[1];
		im->fi.first_unique = (time_t)f.n[2];
		im->fi.last = (time_t)f.n[3];
	} else {
		struct bl_info bi;

		memset(&bi, 0, sizeof(bi));
		bi.ip = f.ip;
		bi.first = (time_t)f.n[1];
		bi.last = (time_t)f.n[2];
		bi.unban = (time_t)f.n[3];
		bi.period_hits = (unsigned long)f.n[4];
		bi.total_hits = (unsigned long)f.n[5];
		bi.bans = (unsigned long)f.n[6];
		bi.freq = f.d[7];
		bi.alerted = (time_t)f.n[8];
		bi.host = f.s[10];
		bi.list = f.s[11];
		bi.reason = f.s[12];
		if (bl_ban_kind_parse(f.s[13], &bi.ban_kind) < 0) {
			fail(err, errsize,
			    "black: ban_kind: \"%.30s\" is not nullroute, "
			    "sendmail or spamcop",
			    f.s[13]);
			fields_free(&f);
			return -1;
		}
		if (im->ops.bl != NULL)
			im->ops.bl(im->ops.arg, &bi);
	}
	fields_free(&f);
	return 0;
}

int
import_end(struct import *im, char *err, size_t errsize)
{
	UNUSED(err);
	UNUSED(errsize);
	import_flush(im);
	return 0;
}

/*
 * ctl_legacy.c - popauth 3.0.1's rbl_cache and spool directories as
 * export.h records (see ctl_legacy.h).
 *
 * For popauthctl.c.  Every field is checked here (addr_parse for addresses
 * and spool file names, parse_long/parse_double for numbers), so a damaged
 * legacy file is reported by file and line before anything is imported.
 */
#include "ctl_legacy.h"
#include "addr.h"
#include "export.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEGACY_FIELDS_MAX 12

static int lfail(char *err, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
lfail(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return -1;
}

/* split - tab-separated fields of line (changed in place); returns count */
static size_t
split(char *line, char **f, size_t max)
{
	size_t n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		char *tab = strchr(line, '\t');

		f[n++] = line;
		if (tab == NULL)
			break;
		*tab = '\0';
		line = tab + 1;
	}
	return n;
}

static bool
num(const char *s, long long min, long long *v)
{
	return parse_long(s, min, (long long)1 << 40, v) == 0;
}

struct legacy_file {
	const char *path;
	FILE *fp;
	char *line;
	size_t cap;
	int lineno;
};

/* next_line - the next non-blank line, or NULL at the end */
static char *
next_line(struct legacy_file *lf)
{
	while (getline(&lf->line, &lf->cap, lf->fp) >= 0) {
		lf->lineno++;
		if (lf->line[strspn(lf->line, " \t\r\n")] != '\0')
			return lf->line;
	}
	return NULL;
}

static int
rbl_cache(const char *path, void (*fn)(void *, const char *), void *arg,
    char *err, size_t size)
{
	struct legacy_file lf = {path, NULL, NULL, 0, 0};
	char *f[LEGACY_FIELDS_MAX + 1], *line, out[EXPORT_LINE_MAX];
	char h[400], l[400], r[1200], ipb[ADDR_STRLEN];
	int rc = 0;

	if ((lf.fp = fopen(path, "r")) == NULL)
		return lfail(err, size, "%s: %s", path, strerror(errno));
	while (rc == 0 && (line = next_line(&lf)) != NULL) {
		long long first, last, unban, ph, th;
		double freq;
		struct addr a;
		size_t n = split(line, f, LEGACY_FIELDS_MAX + 1);

		if (n != 10) {
			rc = lfail(err, size, "%s:%d: %zu fields, expected 10",
			    path, lf.lineno, n);
			break;
		}
		if (addr_parse(f[0], strlen(f[0]), &a) < 0 ||
		    !num(f[1], 0, &first) || !num(f[2], 0, &last) ||
		    !num(f[3], -1, &unban) || !num(f[4], 0, &ph) ||
		    !num(f[5], 0, &th) || parse_double(f[6], &freq) < 0) {
			rc = lfail(err, size, "%s:%d: bad address or number",
			    path, lf.lineno);
			break;
		}
		snprintf(out, sizeof(out),
		    "black\t%s\t%lld\t%lld\t%lld\t%lld\t%lld\t%d\t%.6f\t0\t0\t%"
		    "s\t%s\t%s",
		    addr_format(&a, ipb, sizeof(ipb)), first, last, unban, ph,
		    th, unban > 0 ? 1 : 0, freq,
		    export_clean(
		        h, sizeof(h), *f[7] != '\0' ? f[7] : "unknown"),
		    export_clean(l, sizeof(l), f[8]),
		    export_clean(r, sizeof(r), f[9]));
		fn(arg, out);
	}
	free(lf.line);
	fclose(lf.fp);
	return rc;
}

/* spool_file - one file of authenticated/ or fishers/ */
static int
spool_file(bool fishers, const char *path, const struct addr *a,
    void (*fn)(void *, const char *), void *arg, char *err, size_t size)
{
	struct legacy_file lf = {path, NULL, NULL, 0, 0};
	char *f[LEGACY_FIELDS_MAX + 1], *line, out[EXPORT_LINE_MAX];
	char ipb[ADDR_STRLEN], t1[1200], t2[1200];
	char **kids = NULL;
	size_t nkids = 0, i;
	long long first = -1, last = 0, total = 0;
	int rc = 0;

	addr_format(a, ipb, sizeof(ipb));
	if ((lf.fp = fopen(path, "r")) == NULL)
		return lfail(err, size, "%s: %s", path, strerror(errno));
	while ((line = next_line(&lf)) != NULL) {
		long long v1, v2, cnt;
		size_t n = split(line, f, LEGACY_FIELDS_MAX + 1);

		if (n != (fishers ? 5u : 4u)) {
			rc = lfail(err, size, "%s:%d: %zu fields, expected %d",
			    path, lf.lineno, n, fishers ? 5 : 4);
			break;
		}
		if (!num(f[n - 3], 0, &v1) || !num(f[n - 2], 0, &v2) ||
		    !num(f[n - 1], 0, &cnt)) {
			rc = lfail(
			    err, size, "%s:%d: bad number", path, lf.lineno);
			break;
		}
		if (fishers)
			snprintf(out, sizeof(out),
			    "pair\t%s\t%s\t%s\t%lld\t%lld\t%lld", ipb,
			    export_clean(t1, sizeof(t1), f[0]),
			    export_clean(t2, sizeof(t2), f[1]), v1, v2, cnt);
		else
			snprintf(out, sizeof(out),
			    "user\t%s\t%s\t%lld\t%lld\t%lld", ipb,
			    export_clean(t1, sizeof(t1), f[0]), v1, v2, cnt);
		kids = xrealloc(kids, (nkids + 1) * sizeof(*kids));
		kids[nkids++] = xstrdup(out);
		if (first < 0 || v1 < first)
			first = v1;
		if (v2 > last)
			last = v2;
		total += cnt;
	}
	if (rc == 0 && nkids > 0) {
		/* the parent first: expiry is computed by the importer */
		if (fishers)
			snprintf(out, sizeof(out), "fish\t%s\t%zu\t%lld\t%lld",
			    ipb, nkids, first, last);
		else
			snprintf(out, sizeof(out),
			    "grant\t%s\t%lld\t%lld\t%lld\t0", ipb, first, last,
			    total);
		fn(arg, out);
		for (i = 0; i < nkids; i++)
			fn(arg, kids[i]);
	}
	for (i = 0; i < nkids; i++)
		free(kids[i]);
	free(kids);
	free(lf.line);
	fclose(lf.fp);
	return rc;
}

static int
spool_dir(bool fishers, const char *dir, void (*fn)(void *, const char *),
    void *arg, char *err, size_t size)
{
	struct dirent **ents;
	int i, n, rc = 0;

	if ((n = scandir(dir, &ents, NULL, alphasort)) < 0)
		return lfail(err, size, "%s: %s", dir, strerror(errno));
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char path[4096];
		struct addr a;

		if (rc == 0 && name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			if (addr_parse(name, strlen(name), &a) < 0)
				rc = lfail(err, size,
				    "%s: file name is not an IP address", path);
			else
				rc = spool_file(
				    fishers, path, &a, fn, arg, err, size);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int
ctl_legacy_records(const char *kind, const char *path,
    void (*fn)(void *arg, const char *line), void *arg, char *err,
    size_t errsize)
{
	if (strcmp(kind, "rbl_cache") == 0)
		return rbl_cache(path, fn, arg, err, errsize);
	if (strcmp(kind, "authenticated") == 0)
		return spool_dir(false, path, fn, arg, err, errsize);
	if (strcmp(kind, "fishers") == 0)
		return spool_dir(true, path, fn, arg, err, errsize);
	return lfail(err, errsize, "%s: unknown legacy source", kind);
}

/*
 * rule_load.c - read the *.rules files and compile them with PCRE2 JIT.
 *
 * For rule_load() (main.c at start and on SIGHUP).  The format is described in
 * rule.c.  Every error is logged as "file:line: message" and the whole load
 * fails, so a bad rule never half-replaces a good ruleset.
 */
#include "rule_int.h"
#include "log.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- loading ----------------------------------------------------------- */

/* one rule while its file is read; strings owned until moved into struct rule */
struct draft {
	char *name, *tag, *literal, *gate, *match;
	int kind; /* -1: none */
	int line, tagline, matchline;
};

struct loader {
	struct ruleset *rs;
	const char *file;
	int errors;
	struct draft d;
	bool open; /* d holds a rule */
};

static void lerr(struct loader *L, int line, const char *fmt, ...)
    LOG_FMT(3, 4);

/* lerr - "file:line: message" as a load error */
static void
lerr(struct loader *L, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s:%d: %s", L->file, line, msg);
	L->errors++;
}

static void
draft_clear(struct draft *d)
{
	free(d->name);
	free(d->tag);
	free(d->literal);
	free(d->gate);
	free(d->match);
	memset(d, 0, sizeof(*d));
	d->kind = -1;
}

/* compile - one regex; on error logs PCRE2's message and offset */
static pcre2_code *
compile(struct loader *L, int line, const char *what, const char *src,
    uint32_t opts)
{
	PCRE2_UCHAR emsg[256];
	PCRE2_SIZE eoff;
	pcre2_code *re;
	int ec;

	re = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED,
	    opts | PCRE2_NEVER_UTF | PCRE2_NEVER_BACKSLASH_C, &ec, &eoff, NULL);
	if (re == NULL) {
		pcre2_get_error_message(ec, emsg, sizeof(emsg));
		lerr(L, line, "%s: regex error at offset %zu: %s", what,
		    (size_t)eoff, (const char *)emsg);
	}
	return re;
}

/* map_names - bind the named groups of r->re to event fields */
static int
map_names(struct loader *L, struct rule *r, int line)
{
	uint32_t count = 0, size = 0, i;
	PCRE2_SPTR table;
	int f, bad = 0;

	pcre2_pattern_info(r->re, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(r->re, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(r->re, PCRE2_INFO_NAMETABLE, &table);
	for (i = 0; i < count; i++) {
		const unsigned char *e = table + (size_t)i * size;
		unsigned grp = (unsigned)e[0] << 8 | e[1];
		const char *nm = (const char *)e + 2;

		for (f = 0; f < F_NFIELDS; f++)
			if (strcmp(nm, rule_field_names[f]) == 0)
				break;
		if (f == F_NFIELDS) {
			lerr(L, line, "match: unknown capture name \"%s\"", nm);
			bad = 1;
			continue;
		}
		if (r->ngrp[f] >= MAXDUP) {
			lerr(L, line, "match: more than %d groups named \"%s\"",
			    MAXDUP, nm);
			bad = 1;
			continue;
		}
		r->grp[f][r->ngrp[f]++] = (uint16_t)grp;
	}
	if (!bad && rule_kind_needs_ip(r->kind) && r->ngrp[F_IP] == 0) {
		lerr(L, line, "match: kind %s needs an (?<ip>...) capture",
		    rule_kind_names[r->kind]);
		bad = 1;
	}
	return bad ? -1 : 0;
}

/* finish - check and compile the draft rule, append it to the ruleset */
static void
finish(struct loader *L)
{
	struct draft *d = &L->d;
	struct rule r;
	size_t i;
	int jrc;

	if (!L->open)
		return;
	L->open = false;
	memset(&r, 0, sizeof(r));
	if (d->kind < 0)
		lerr(L, d->line, "rule %s: missing kind", d->name);
	if (d->tag == NULL)
		lerr(L, d->line, "rule %s: missing tag", d->name);
	if (d->match == NULL)
		lerr(L, d->line, "rule %s: missing match", d->name);
	for (i = 0; i < L->rs->n; i++)
		if (strcmp(L->rs->r[i].name, d->name) == 0)
			lerr(L, d->line, "rule %s: duplicate name", d->name);
	if (d->kind < 0 || d->tag == NULL || d->match == NULL)
		goto fail;
	r.kind = (enum ev_kind)d->kind;
	r.tag = compile(
	    L, d->tagline, "tag", d->tag, PCRE2_ANCHORED | PCRE2_ENDANCHORED);
	r.re = compile(L, d->matchline, "match", d->match,
	    PCRE2_ANCHORED | PCRE2_DUPNAMES);
	if (r.tag == NULL || r.re == NULL)
		goto fail;
	if (map_names(L, &r, d->matchline) < 0)
		goto fail;
	jrc = pcre2_jit_compile(r.re, PCRE2_JIT_COMPLETE);
	if (jrc == 0) {
		r.jit = true;
	} else {
		PCRE2_UCHAR emsg[256];

		pcre2_get_error_message(jrc, emsg, sizeof(emsg));
		log_warn("%s:%d: rule %s: no JIT, interpreting: %s", L->file,
		    d->matchline, d->name, (const char *)emsg);
	}
	if (L->rs->n >= MAXRULES) {
		lerr(L, d->line, "more than %d rules", MAXRULES);
		goto fail;
	}
	r.name = d->name;
	d->name = NULL;
	if (d->literal != NULL) {
		r.literal = d->literal;
		r.litlen = strlen(d->literal);
		d->literal = NULL;
	}
	if (d->gate != NULL) {
		r.gate = d->gate;
		r.gatelen = strlen(d->gate);
		d->gate = NULL;
	}
	if (L->rs->n == L->rs->cap) {
		L->rs->cap = L->rs->cap ? L->rs->cap * 2 : 32;
		L->rs->r = xrealloc(L->rs->r, L->rs->cap * sizeof(*L->rs->r));
	}
	L->rs->r[L->rs->n++] = r;
	draft_clear(d);
	return;
fail:
	rule_release(&r);
	draft_clear(d);
}

/* valid_name - [A-Za-z0-9_.-]+ */
static bool
valid_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		        (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' ||
		        *s == '-'))
			return false;
	return true;
}

/*
 * one_word - cut v after its first word; the rest must be empty or a comment.
 * Returns false when something else follows.
 */
static bool
one_word(char *v)
{
	char *e = v + strcspn(v, " \t");
	char *rest = e + strspn(e, " \t");

	if (*rest != '\0' && *rest != '#')
		return false;
	*e = '\0';
	return true;
}

/* set_str - store a keyword's value once per rule */
static void
set_str(struct loader *L, int line, const char *kw, char **slot, const char *v)
{
	if (*slot != NULL) {
		lerr(L, line, "rule %s: duplicate \"%s\"", L->d.name, kw);
		return;
	}
	if (*v == '\0') {
		lerr(L, line, "rule %s: \"%s\" needs a value", L->d.name, kw);
		return;
	}
	*slot = xstrdup(v);
}

/* keyword - handle one non-comment line "KW VALUE" */
static void
keyword(struct loader *L, int line, char *s)
{
	char *kw = s, *v = s + strcspn(s, " \t");
	int k;

	if (*v != '\0')
		*v++ = '\0';
	v += strspn(v, " \t");
	if (strcmp(kw, "rule") == 0) {
		finish(L);
		if (!one_word(v) || !valid_name(v)) {
			lerr(L, line,
			    "rule: bad name \"%s\" (want "
			    "[A-Za-z0-9_.-]+)",
			    v);
		}
		draft_clear(&L->d);
		L->d.name = xstrdup(valid_name(v) ? v : "?");
		L->d.line = line;
		L->open = true;
		return;
	}
	if (!L->open) {
		lerr(L, line,
		    "\"%s\" outside a rule (start with \"rule NAME\")", kw);
		return;
	}
	if (strcmp(kw, "kind") == 0) {
		if (!one_word(v)) {
			lerr(L, line, "kind: one word expected");
			return;
		}
		for (k = 0; k < EV_NKINDS; k++)
			if (strcmp(v, rule_kind_names[k]) == 0)
				break;
		if (k == EV_NKINDS)
			lerr(L, line, "unknown kind \"%s\"", v);
		else if (L->d.kind >= 0)
			lerr(L, line, "rule %s: duplicate \"kind\"", L->d.name);
		else
			L->d.kind = k;
	} else if (strcmp(kw, "tag") == 0) {
		if (!one_word(v)) {
			lerr(L, line, "tag: one regex without spaces expected");
			return;
		}
		set_str(L, line, "tag", &L->d.tag, v);
		L->d.tagline = line;
	} else if (strcmp(kw, "literal") == 0) {
		set_str(L, line, "literal", &L->d.literal, v);
	} else if (strcmp(kw, "gate") == 0) {
		set_str(L, line, "gate", &L->d.gate, v);
	} else if (strcmp(kw, "match") == 0) {
		set_str(L, line, "match", &L->d.match, v);
		L->d.matchline = line;
	} else {
		lerr(L, line, "unknown keyword \"%s\"", kw);
	}
}

/* load_file - read one rules file into L->rs; errors counted in L */
static void
load_file(struct loader *L, const char *path)
{
	FILE *fp;
	char *buf = NULL, *s;
	size_t cap = 0, n;
	ssize_t got;
	int line = 0, saved;

	L->file = path;
	if ((fp = fopen(path, "r")) == NULL) {
		saved = errno;
		log_error("%s: %s", path, strerror(saved));
		L->errors++;
		return;
	}
	while ((got = getline(&buf, &cap, fp)) >= 0) {
		line++;
		n = (size_t)got;
		if (memchr(buf, '\0', n) != NULL) {
			lerr(L, line, "NUL byte in line");
			continue;
		}
		while (n > 0 &&
		    (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
		        buf[n - 1] == ' ' || buf[n - 1] == '\t'))
			n--;
		buf[n] = '\0';
		s = buf + strspn(buf, " \t");
		if (*s == '\0' || *s == '#')
			continue;
		keyword(L, line, s);
	}
	if (ferror(fp)) {
		saved = errno;
		log_error("%s: read error: %s", path, strerror(saved));
		L->errors++;
	}
	finish(L);
	free(buf);
	fclose(fp);
}

static int
rules_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 6 &&
	    strcmp(d->d_name + n - 6, ".rules") == 0;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* prepare - match data, JIT stack and tag cache sized for the loaded rules */
static void
prepare(struct ruleset *rs)
{
	uint32_t cap, maxcap = 0;
	size_t i;

	for (i = 0; i < rs->n; i++) {
		pcre2_pattern_info(rs->r[i].re, PCRE2_INFO_CAPTURECOUNT, &cap);
		if (cap > maxcap)
			maxcap = cap;
		pcre2_pattern_info(rs->r[i].tag, PCRE2_INFO_CAPTURECOUNT, &cap);
		if (cap > maxcap)
			maxcap = cap;
	}
	rs->md = pcre2_match_data_create(maxcap + 1, NULL);
	rs->mctx = pcre2_match_context_create(NULL);
	rs->jstack = pcre2_jit_stack_create(32 * 1024, JIT_STACK, NULL);
	if (rs->md == NULL || rs->mctx == NULL || rs->jstack == NULL)
		log_panic("rule: out of memory for PCRE2 match data");
	pcre2_set_match_limit(rs->mctx, MATCH_LIMIT);
	pcre2_jit_stack_assign(rs->mctx, NULL, rs->jstack);
	rs->candmem =
	    xcalloc(CACHE_SLOTS * (rs->n ? rs->n : 1), sizeof(uint16_t));
	rs->scratch = xcalloc(rs->n ? rs->n : 1, sizeof(uint16_t));
	for (i = 0; i < CACHE_SLOTS; i++)
		rs->slot[i].cand = rs->candmem + i * (rs->n ? rs->n : 1);
}

struct ruleset *
rule_load(const char *dir)
{
	struct dirent **ents = NULL;
	struct loader L;
	char path[4096];
	int i, n;

	memset(&L, 0, sizeof(L));
	L.d.kind = -1;
	L.rs = xcalloc(1, sizeof(*L.rs));
	if ((n = scandir(dir, &ents, rules_file, by_name)) < 0) {
		int saved = errno;

		log_error("%s: %s", dir, strerror(saved));
		rule_free(L.rs);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		        ents[i]->d_name) >= sizeof(path)) {
			log_error("%s/%s: path too long", dir, ents[i]->d_name);
			L.errors++;
		} else {
			load_file(&L, path);
		}
		free(ents[i]);
	}
	free(ents);
	draft_clear(&L.d);
	if (L.errors == 0 && L.rs->n == 0) {
		log_error("%s: no rules (no *.rules file with a rule)", dir);
		L.errors++;
	}
	if (L.errors > 0) {
		rule_free(L.rs);
		return NULL;
	}
	prepare(L.rs);
	return L.rs;
}

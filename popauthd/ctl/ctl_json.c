/*
 * ctl_json.c - export.h records to JSON and back, on jansson (see ctl_json.h).
 *
 * For popauthctl.c and ctl_print.c.  Writing walks the schema of export.c, so
 * a new field appears in JSON without a change here; jansson builds and
 * escapes every record, only the layout around them (one record a line) is
 * written here.  Reading is json_loadb: strict RFC 8259, UTF-8 only,
 * duplicate member names and trailing text refused, nesting at most
 * CTL_JSON_DEPTH_MAX; the arrays "grants", "blacklist" and "fishing" become
 * TSV records again.  A string from JSON passes export_clean, so a tab or a
 * newline can never split a record, and import_line checks every field
 * (addr_parse, numbers) before anything reaches the state.  jansson allocates
 * through xmalloc: running out of memory aborts, as everywhere else.
 */
#include "ctl_json.h"
#include "export.h"
#include "util.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTL_JSON_DEPTH_MAX 16
/* a record on one line, ", " and ": " between items; 15 digits give back
 * what export.c wrote with %.6f, shortest first: 0.500000 as 0.5 */
#define CTL_JSON_DUMP JSON_REAL_PRECISION(15)

static const char *const top[] = {"grant", "black", "fish", "evidence"};

/* field - the i-th tab-separated field of line (0 = kind) */
static const char *
field(const char *line, size_t i, size_t *n)
{
	const char *p = line, *e;

	while (i-- > 0) {
		if ((p = strchr(p, '\t')) == NULL) {
			*n = 0;
			return "";
		}
		p++;
	}
	e = strchr(p, '\t');
	*n = e != NULL ? (size_t)(e - p) : strlen(p);
	return p;
}

/* kind_of - the schema of line's record */
static const struct export_kind *
kind_of(const char *line)
{
	return export_kind_find(line, strcspn(line, "\t"));
}

/*
 * jstr - s (n bytes) as a JSON string.  Stored text is log_escape'd UTF-8;
 * should a damaged record hold other bytes, those become \ooo as log_escape
 * writes them, and import turns them back.
 */
static json_t *
jstr(const char *s, size_t n)
{
	json_t *v = json_stringn(s, n);
	char *buf;
	size_t i, o = 0;

	if (v != NULL)
		return v;
	buf = xmalloc(4 * n + 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, 5, "\\%03o", c);
	}
	v = json_stringn(buf, o);
	free(buf);
	return v;
}

/* jnum - a number field as a JSON number; text if it is none ("" too) */
static json_t *
jnum(const char *v, size_t n, bool real)
{
	char buf[64];
	long long ll;
	double d;

	if (n >= sizeof(buf))
		return jstr(v, n);
	memcpy(buf, v, n);
	buf[n] = '\0';
	if (parse_long(buf, LLONG_MIN, LLONG_MAX, &ll) == 0)
		return json_integer(ll);
	if (real && parse_double(buf, &d) == 0)
		return json_real(d);
	return jstr(v, n);
}

/* jrec - one record as an object; a child leaves out its parent's ip, a
 * parent gets an empty array for each kind of child ("users": []) */
static json_t *
jrec(const struct export_kind *k, const char *line, bool child)
{
	json_t *o = json_object(), *v;
	size_t i, n, nk;
	const struct export_kind *all = export_kinds(&nk);

	for (i = 0; i < k->nfields; i++) {
		const struct export_field *f = &k->fields[i];
		const char *s = field(line, i + 1, &n);

		if (child && f->type == EXP_IP)
			continue;
		if (n == 0 && f->dflt != NULL) {
			/* a line from an older daemon lacks a later field */
			s = f->dflt;
			n = strlen(s);
		}
		if (strcmp(f->name, "banned") == 0)
			v = json_boolean(n == 1 && *s == '1');
		else if (f->type == EXP_INT || f->type == EXP_NUM)
			v = n > 0 ? jnum(s, n, f->type == EXP_NUM)
			          : json_integer(0);
		else
			v = jstr(s, n);
		json_object_set_new(o, f->name, v);
	}
	for (i = 0; i < nk; i++)
		if (all[i].parent != NULL &&
		    strcmp(all[i].parent, k->kind) == 0)
			json_object_set_new(o, all[i].json_key, json_array());
	return o;
}

/*
 * put_kind - the records of kind k as a JSON array, one a line as popauthctl
 * has always written them (jansson indents all or nothing), each with the
 * children that follow it nested
 */
static void
put_kind(FILE *out, char **lines, size_t n, const struct export_kind *k)
{
	size_t i, j, nout = 0;

	fputc('[', out);
	for (i = 0; k != NULL && i < n; i++) {
		const struct export_kind *ck;
		json_t *o;

		if (kind_of(lines[i]) != k)
			continue;
		o = jrec(k, lines[i], false);
		for (j = i + 1; j < n && (ck = kind_of(lines[j])) != NULL &&
		     ck->parent != NULL && strcmp(ck->parent, k->kind) == 0;
		     j++)
			json_array_append_new(json_object_get(o, ck->json_key),
			    jrec(ck, lines[j], true));
		fputs(nout++ > 0 ? ",\n  " : "\n  ", out);
		json_dumpf(o, out, CTL_JSON_DUMP);
		json_decref(o);
	}
	fputs(nout > 0 ? "\n]" : "]", out);
}

void
ctl_json_write(FILE *out, char **lines, size_t n, const char *kind, bool export)
{
	json_t *stats;
	size_t i, nn, len, ntop;

	json_set_alloc_funcs(xmalloc, free);
	/* explain: the records and their evidence; show and export: no evidence */
	ntop = strcmp(kind, "explain") == 0 ? NITEMS(top) : NITEMS(top) - 1;
	if (strcmp(kind, "explain") == 0)
		kind = "";
	if (*kind != '\0') {
		put_kind(out, lines, n, export_kind_find(kind, strlen(kind)));
		fputc('\n', out);
		return;
	}
	stats = json_object();
	for (i = 0; i < n; i++) {
		const char *name, *v;

		if (strncmp(lines[i], "stat\t", 5) != 0)
			continue;
		name = field(lines[i], 1, &nn);
		v = field(lines[i], 2, &len);
		json_object_setn_new(stats, name, nn, jnum(v, len, false));
	}
	if (json_object_size(stats) > 0) {
		/* status: name: value, numbers as numbers */
		json_dumpf(stats, out, JSON_INDENT(2) | CTL_JSON_DUMP);
		fputc('\n', out);
		json_decref(stats);
		return;
	}
	json_decref(stats);
	fputc('{', out);
	if (export)
		fputs("\n\"popauthd_export\": 1,", out);
	for (i = 0; i < ntop; i++) {
		const struct export_kind *k =
		    export_kind_find(top[i], strlen(top[i]));

		fprintf(out, "%s\n\"%s\": ", i > 0 ? "," : "", k->json_key);
		put_kind(out, lines, n, k);
	}
	fputs("\n}\n", out);
}

/* too_deep - whether v nests more than CTL_JSON_DEPTH_MAX levels in */
static bool
too_deep(json_t *v, int depth)
{
	void *it;
	size_t i;

	if (depth > CTL_JSON_DEPTH_MAX)
		return true;
	for (i = 0; i < json_array_size(v); i++) /* 0 if not an array */
		if (too_deep(json_array_get(v, i), depth + 1))
			return true;
	for (it = json_object_iter(v); it != NULL;
	     it = json_object_iter_next(v, it))
		if (too_deep(json_object_iter_value(it), depth + 1))
			return true;
	return false;
}

/* where records read go, and where a refusal is written */
struct jout {
	void (*fn)(void *arg, const char *line);
	void *arg;
	char *err;
	size_t errsize;
};

/* jrecord - obj as a record of kind k (ip from the parent when a child) */
static int
jrecord(const struct export_kind *k, json_t *obj, const char *ip,
    struct jout *o, size_t idx)
{
	char line[EXPORT_LINE_MAX], clean[EXPORT_LINE_MAX / 2], num[64];
	size_t i, len = (size_t)snprintf(line, sizeof(line), "%s", k->kind);

	if (!json_is_object(obj)) {
		snprintf(o->err, o->errsize, "JSON: %s[%zu]: not an object",
		    k->json_key, idx);
		return -1;
	}
	for (i = 0; i < k->nfields; i++) {
		const struct export_field *f = &k->fields[i];
		json_t *v = json_object_get(obj, f->name);
		const char *text = num;

		if (v == NULL && f->type == EXP_IP && ip != NULL)
			text = ip;
		else if (v == NULL && strcmp(f->name, "banned") == 0)
			text = "0";
		else if (v == NULL && f->dflt != NULL)
			text = f->dflt; /* an older export */
		else if (json_is_string(v))
			text = export_clean(
			    clean, sizeof(clean), json_string_value(v));
		else if (json_is_boolean(v))
			text = json_is_true(v) ? "1" : "0";
		else if (json_is_integer(v))
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			    json_integer_value(v));
		else if (json_is_real(v) && f->type != EXP_INT)
			snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		else {
			/* absent, null, array, object, or 1.5 for a count */
			snprintf(o->err, o->errsize,
			    "JSON: %s[%zu]: missing or bad \"%s\"", k->json_key,
			    idx, f->name);
			return -1;
		}
		len += (size_t)snprintf(
		    line + len, sizeof(line) - len, "\t%s", text);
		if (len >= sizeof(line)) {
			snprintf(o->err, o->errsize,
			    "JSON: %s[%zu]: record too long", k->json_key, idx);
			return -1;
		}
	}
	o->fn(o->arg, line);
	return 0;
}

/* jrecords - the objects in arr as records of kind k, each followed by its
 * children; "users" or "pairs" that is not an array is skipped, as always */
static int
jrecords(
    const struct export_kind *k, json_t *arr, const char *ip, struct jout *o)
{
	size_t j, c, nk;
	const struct export_kind *all = export_kinds(&nk);

	for (j = 0; j < json_array_size(arr); j++) {
		json_t *obj = json_array_get(arr, j);
		const char *pip = json_string_value(json_object_get(obj, "ip"));

		if (jrecord(k, obj, ip, o, j) < 0)
			return -1;
		for (c = 0; c < nk; c++) {
			json_t *kids = json_object_get(obj, all[c].json_key);

			if (all[c].parent == NULL ||
			    strcmp(all[c].parent, k->kind) != 0 ||
			    !json_is_array(kids))
				continue;
			if (jrecords(&all[c], kids, pip, o) < 0)
				return -1;
		}
	}
	return 0;
}

int
ctl_json_records(const char *text, size_t len,
    void (*fn)(void *arg, const char *line), void *arg, char *err,
    size_t errsize)
{
	struct jout o = {fn, arg, err, errsize};
	json_error_t je;
	json_t *root;
	size_t i;
	int rc = -1;

	json_set_alloc_funcs(xmalloc, free);
	if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) ==
	    NULL) {
		char msg[JSON_ERROR_TEXT_LENGTH * 4];

		/* jansson quotes the input near the error: no raw controls */
		snprintf(err, errsize, "JSON: %s at line %d, column %d",
		    export_clean(msg, sizeof(msg), je.text), je.line,
		    je.column);
		return -1;
	}
	if (!json_is_object(root)) {
		snprintf(err, errsize, "JSON: expected an object");
		goto done;
	}
	if (too_deep(root, 0)) {
		snprintf(err, errsize, "JSON: nested more than %d deep",
		    CTL_JSON_DEPTH_MAX);
		goto done;
	}
	/* evidence (last in top) is never imported */
	for (i = 0; i < NITEMS(top) - 1; i++) {
		const struct export_kind *k =
		    export_kind_find(top[i], strlen(top[i]));
		json_t *arr = json_object_get(root, k->json_key);

		if (arr != NULL && !json_is_array(arr)) {
			snprintf(err, errsize, "JSON: \"%s\" is not an array",
			    k->json_key);
			goto done;
		}
		if (jrecords(k, arr, NULL, &o) < 0)
			goto done;
	}
	rc = 0;
done:
	json_decref(root);
	return rc;
}

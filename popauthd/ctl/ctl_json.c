/*
 * ctl_json.c - export.h records to JSON and back (see ctl_json.h).
 *
 * For popauthctl.c.  Writing walks the schema of export.c, so a new field
 * appears in JSON without a change here.  Reading builds a small tree (every
 * node allocated, freed at the end), bounded in depth, and turns the arrays
 * "grants", "blacklist" and "fishing" back into TSV records; a string from
 * JSON is passed through export_clean, so a tab or newline in it can never
 * split a record.
 */
#include "ctl_json.h"
#include "export.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_DEPTH_MAX 16

static void
json_str(FILE *out, const char *s, size_t n)
{
	size_t i;

	fputc('"', out);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

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

static const struct export_kind *
kind_of(const char *line)
{
	return export_kind_find(line, strcspn(line, "\t"));
}

/* json_obj - one record as an object; skip_ip for nested children */
static void
json_obj(FILE *out, const struct export_kind *k, const char *line, bool skip_ip,
    const char *indent)
{
	size_t i, n;
	bool first = true;

	fputc('{', out);
	for (i = 0; i < k->nfields; i++) {
		const char *v = field(line, i + 1, &n);

		if (skip_ip && k->fields[i].type == EXP_IP)
			continue;
		fprintf(
		    out, "%s\"%s\": ", first ? "" : ", ", k->fields[i].name);
		first = false;
		if (strcmp(k->fields[i].name, "banned") == 0)
			fputs(n == 1 && *v == '1' ? "true" : "false", out);
		else if (k->fields[i].type == EXP_INT ||
		    k->fields[i].type == EXP_NUM)
			fprintf(out, "%.*s", (int)n, n > 0 ? v : "0");
		else
			json_str(out, v, n);
	}
	UNUSED(indent);
}

/* json_array - every record of kind (with its children) as an array */
static void
json_array(FILE *out, char **lines, size_t n, const char *kind)
{
	size_t i, nout = 0;

	fputc('[', out);
	for (i = 0; i < n; i++) {
		const struct export_kind *k = kind_of(lines[i]);
		size_t j, nchild = 0;

		if (k == NULL || strcmp(k->kind, kind) != 0)
			continue;
		fputs(nout++ > 0 ? ",\n  " : "\n  ", out);
		json_obj(out, k, lines[i], false, "  ");
		/* children follow their parent directly */
		for (j = i + 1; j < n; j++) {
			const struct export_kind *c = kind_of(lines[j]);

			if (c == NULL || c->parent == NULL ||
			    strcmp(c->parent, kind) != 0)
				break;
			if (nchild == 0)
				fprintf(out, ", \"%s\": [", c->json_key);
			fputs(nchild++ > 0 ? ", " : "", out);
			json_obj(out, c, lines[j], true, "    ");
			fputc('}', out);
		}
		if (nchild == 0) {
			size_t kk, nk;
			const struct export_kind *all = export_kinds(&nk);

			for (kk = 0; kk < nk; kk++)
				if (all[kk].parent != NULL &&
				    strcmp(all[kk].parent, kind) == 0)
					fprintf(out, ", \"%s\": []",
					    all[kk].json_key);
		} else {
			fputc(']', out);
		}
		fputc('}', out);
	}
	fputs(nout > 0 ? "\n]" : "]", out);
}

void
ctl_json_write(FILE *out, char **lines, size_t n, const char *kind, bool export)
{
	static const char *const top[] = {"grant", "black", "fish"};
	size_t i, j, len;
	bool stats = false;

	if (*kind != '\0') {
		json_array(out, lines, n, kind);
		fputc('\n', out);
		return;
	}
	for (i = 0; i < n; i++)
		if (strncmp(lines[i], "stat\t", 5) == 0)
			stats = true;
	fputc('{', out);
	if (stats) {
		/* status: name: value, numbers as numbers */
		for (i = 0, j = 0; i < n; i++) {
			const char *name, *v;
			size_t nn;
			long long ll;
			char buf[64];

			if (strncmp(lines[i], "stat\t", 5) != 0)
				continue;
			name = field(lines[i], 1, &nn);
			fputs(j++ > 0 ? ",\n  " : "\n  ", out);
			json_str(out, name, nn);
			fputs(": ", out);
			v = field(lines[i], 2, &len);
			snprintf(buf, sizeof(buf), "%.*s",
			    (int)(len < 63 ? len : 63), v);
			if (len < 63 &&
			    parse_long(buf, -(1LL << 62), 1LL << 62, &ll) == 0)
				fprintf(out, "%lld", ll);
			else
				json_str(out, v, len);
		}
		fputs("\n}\n", out);
		return;
	}
	if (export)
		fputs("\n\"popauthd_export\": 1,", out);
	for (i = 0; i < NITEMS(top); i++) {
		const struct export_kind *k =
		    export_kind_find(top[i], strlen(top[i]));

		fprintf(out, "%s\n\"%s\": ", i > 0 ? "," : "", k->json_key);
		json_array(out, lines, n, top[i]);
	}
	fputs("\n}\n", out);
}

/* Reading. */
enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jnode {
	enum jtype type;
	char *str; /* J_STR: value; J_NUM: text; member name in objects */
	char *key;
	bool b;
	struct jnode **kids;
	size_t nkids;
};

struct jparser {
	const char *start, *p, *end;
	char *err;
	size_t errsize;
	bool failed;
};

static void
jfail(struct jparser *jp, const char *what)
{
	if (!jp->failed)
		snprintf(jp->err, jp->errsize, "JSON: %s at byte %zu", what,
		    (size_t)(jp->p - jp->start));
	jp->failed = true;
}

static void
jfree(struct jnode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		jfree(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n->key);
	free(n);
}

static void
jws(struct jparser *jp)
{
	while (jp->p < jp->end &&
	    (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' ||
	        *jp->p == '\r'))
		jp->p++;
}

/* jutf8 - code point cp as UTF-8 into b; returns length */
static size_t
jutf8(unsigned long cp, char *b)
{
	if (cp < 0x80) {
		b[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	b[0] = (char)(0xf0 | (cp >> 18));
	b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	b[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static unsigned long
jhex4(struct jparser *jp)
{
	unsigned long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = jp->p < jp->end ? *jp->p++ : '\0';

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned long)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned long)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned long)(c - 'A' + 10);
		else
			jfail(jp, "bad \\u escape");
	}
	return v;
}

static char *
jstring(struct jparser *jp)
{
	size_t cap = 64, n = 0;
	char *s = xmalloc(cap);

	jp->p++; /* the quote */
	while (!jp->failed) {
		char c, b[4];
		size_t k = 1;

		if (jp->p >= jp->end) {
			jfail(jp, "unterminated string");
			break;
		}
		c = *jp->p++;
		if (c == '"')
			break;
		if ((unsigned char)c < 0x20) {
			jfail(jp, "control character in string");
			break;
		}
		b[0] = c;
		if (c == '\\') {
			c = jp->p < jp->end ? *jp->p++ : '\0';
			switch (c) {
			case '"':
			case '\\':
			case '/':
				b[0] = c;
				break;
			case 'b':
				b[0] = '\b';
				break;
			case 'f':
				b[0] = '\f';
				break;
			case 'n':
				b[0] = '\n';
				break;
			case 'r':
				b[0] = '\r';
				break;
			case 't':
				b[0] = '\t';
				break;
			case 'u': {
				unsigned long cp = jhex4(jp);

				if (cp >= 0xd800 && cp < 0xdc00 &&
				    jp->p + 6 <= jp->end && jp->p[0] == '\\' &&
				    jp->p[1] == 'u') {
					unsigned long lo;

					jp->p += 2;
					lo = jhex4(jp);
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
				}
				k = jutf8(cp, b);
				break;
			}
			default:
				jfail(jp, "bad escape");
			}
		}
		if (n + k + 1 > cap) {
			cap *= 2;
			s = xrealloc(s, cap);
		}
		memcpy(s + n, b, k);
		n += k;
	}
	s[n] = '\0';
	return s;
}

static struct jnode *jvalue(struct jparser *jp, int depth);

static void
jadd(struct jnode *parent, struct jnode *kid)
{
	parent->kids =
	    xrealloc(parent->kids, (parent->nkids + 1) * sizeof(*parent->kids));
	parent->kids[parent->nkids++] = kid;
}

static struct jnode *
jvalue(struct jparser *jp, int depth)
{
	struct jnode *n = xcalloc(1, sizeof(*n));

	jws(jp);
	if (depth > JSON_DEPTH_MAX) {
		jfail(jp, "nested too deep");
		return n;
	}
	if (jp->p >= jp->end) {
		jfail(jp, "unexpected end");
		return n;
	}
	if (*jp->p == '{' || *jp->p == '[') {
		bool obj = *jp->p == '{';
		char close = obj ? '}' : ']';

		n->type = obj ? J_OBJ : J_ARR;
		jp->p++;
		jws(jp);
		if (jp->p < jp->end && *jp->p == close) {
			jp->p++;
			return n;
		}
		while (!jp->failed) {
			char *key = NULL;
			struct jnode *kid;

			jws(jp);
			if (obj) {
				if (jp->p >= jp->end || *jp->p != '"') {
					jfail(jp, "expected a member name");
					break;
				}
				key = jstring(jp);
				jws(jp);
				if (jp->p >= jp->end || *jp->p++ != ':') {
					free(key);
					jfail(jp, "expected ':'");
					break;
				}
			}
			kid = jvalue(jp, depth + 1);
			kid->key = key;
			jadd(n, kid);
			jws(jp);
			if (jp->p < jp->end && *jp->p == ',') {
				jp->p++;
				continue;
			}
			if (jp->p < jp->end && *jp->p == close) {
				jp->p++;
				break;
			}
			jfail(jp,
			    obj ? "expected ',' or '}'"
			        : "expected ',' or ']'");
		}
		return n;
	}
	if (*jp->p == '"') {
		n->type = J_STR;
		n->str = jstring(jp);
		return n;
	}
	if ((size_t)(jp->end - jp->p) >= 4 && memcmp(jp->p, "true", 4) == 0) {
		n->type = J_BOOL;
		n->b = true;
		jp->p += 4;
		return n;
	}
	if ((size_t)(jp->end - jp->p) >= 5 && memcmp(jp->p, "false", 5) == 0) {
		n->type = J_BOOL;
		jp->p += 5;
		return n;
	}
	if ((size_t)(jp->end - jp->p) >= 4 && memcmp(jp->p, "null", 4) == 0) {
		jp->p += 4;
		return n;
	}
	{
		const char *s = jp->p;

		while (jp->p < jp->end &&
		    strchr("+-0123456789.eE", *jp->p) != NULL)
			jp->p++;
		if (jp->p == s) {
			jfail(jp, "unexpected character");
			return n;
		}
		n->type = J_NUM;
		n->str = xstrndup(s, (size_t)(jp->p - s));
	}
	return n;
}

static const struct jnode *
jget(const struct jnode *obj, const char *key)
{
	size_t i;

	for (i = 0; obj->type == J_OBJ && i < obj->nkids; i++)
		if (obj->kids[i]->key != NULL &&
		    strcmp(obj->kids[i]->key, key) == 0)
			return obj->kids[i];
	return NULL;
}

/* jrecord - obj as a record of kind k (ip from parent when a child) */
static int
jrecord(const struct export_kind *k, const struct jnode *obj, const char *ip,
    void (*fn)(void *, const char *), void *arg, char *err, size_t errsize,
    size_t idx)
{
	char line[EXPORT_LINE_MAX], clean[EXPORT_LINE_MAX / 2];
	size_t i, len;

	if (obj->type != J_OBJ) {
		snprintf(err, errsize, "JSON: %s[%zu]: not an object",
		    k->json_key, idx);
		return -1;
	}
	len = (size_t)snprintf(line, sizeof(line), "%s", k->kind);
	for (i = 0; i < k->nfields; i++) {
		const struct jnode *v = jget(obj, k->fields[i].name);
		const char *text = NULL;

		if (v == NULL && k->fields[i].type == EXP_IP && ip != NULL)
			text = ip;
		else if (v == NULL && strcmp(k->fields[i].name, "banned") == 0)
			text = "0";
		else if (v == NULL && k->fields[i].dflt != NULL)
			text = k->fields[i].dflt; /* an older export */
		else if (v == NULL || v->type == J_NULL || v->type == J_ARR ||
		    v->type == J_OBJ) {
			snprintf(err, errsize,
			    "JSON: %s[%zu]: missing or bad \"%s\"", k->json_key,
			    idx, k->fields[i].name);
			return -1;
		} else if (v->type == J_BOOL)
			text = v->b ? "1" : "0";
		else
			text = export_clean(clean, sizeof(clean), v->str);
		len += (size_t)snprintf(
		    line + len, sizeof(line) - len, "\t%s", text);
		if (len >= sizeof(line)) {
			snprintf(err, errsize, "JSON: %s[%zu]: record too long",
			    k->json_key, idx);
			return -1;
		}
	}
	fn(arg, line);
	return 0;
}

int
ctl_json_records(const char *text, size_t len,
    void (*fn)(void *arg, const char *line), void *arg, char *err,
    size_t errsize)
{
	static const char *const top[] = {"grant", "black", "fish"};
	struct jparser jp = {text, text, text + len, err, errsize, false};
	struct jnode *root = jvalue(&jp, 0);
	size_t i, j, c, nk;
	const struct export_kind *all = export_kinds(&nk);
	int rc = -1;

	jws(&jp);
	if (!jp.failed && jp.p != jp.end)
		jfail(&jp, "trailing text");
	if (jp.failed)
		goto done;
	if (root->type != J_OBJ) {
		snprintf(err, errsize, "JSON: expected an object");
		goto done;
	}
	for (i = 0; i < NITEMS(top); i++) {
		const struct export_kind *k =
		    export_kind_find(top[i], strlen(top[i]));
		const struct jnode *arr = jget(root, k->json_key);

		if (arr == NULL)
			continue;
		if (arr->type != J_ARR) {
			snprintf(err, errsize, "JSON: \"%s\" is not an array",
			    k->json_key);
			goto done;
		}
		for (j = 0; j < arr->nkids; j++) {
			const struct jnode *obj = arr->kids[j], *ipn;

			if (jrecord(k, obj, NULL, fn, arg, err, errsize, j) < 0)
				goto done;
			ipn = jget(obj, "ip");
			for (c = 0; c < nk; c++) {
				const struct jnode *kids;
				size_t m;

				if (all[c].parent == NULL ||
				    strcmp(all[c].parent, k->kind) != 0 ||
				    (kids = jget(obj, all[c].json_key)) ==
				        NULL ||
				    kids->type != J_ARR)
					continue;
				for (m = 0; m < kids->nkids; m++)
					if (jrecord(&all[c], kids->kids[m],
					        ipn != NULL ? ipn->str : NULL,
					        fn, arg, err, errsize, m) < 0)
						goto done;
			}
		}
	}
	rc = 0;
done:
	jfree(root);
	return rc;
}

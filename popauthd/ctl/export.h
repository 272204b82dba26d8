/*
 * export.h - popauthd's state as text: one TSV record a line, for popauthctl
 * (list, show, export, import) and the control socket (ctl.c).
 *
 * For ctl.c, ctl_cmd.c and popauthctl.c.  A record is a kind, then its fields
 * in the order of export_kinds[]; times are epoch seconds (unban -1 = never
 * banned), text fields are log_escape'd (tab, newline and backslash are \ooo),
 * so a record never holds a tab or a newline inside a field:
 *     grant  IP first last count expires
 *     user   IP name first last count          (follows its grant)
 *     black  IP first last unban period_hits total_hits bans freq alerted
 *            banned host list reason ban_kind kernel_left
 *     fish   IP unique first_unique last
 *     pair   IP to from first last count       (follows its fish)
 *     stat   name value
 * A file starts with EXPORT_HEADER.  Import reads the same records: text
 * fields are unescaped (\ooo) and escaped again, so foreign bytes can never
 * reach a map value or a log line raw.
 */
#ifndef POPAUTHD_EXPORT_H
#define POPAUTHD_EXPORT_H

#include "blacklist.h"
#include "fish.h"
#include "grant.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define EXPORT_HEADER   "# popauthd export 1"
#define EXPORT_LINE_MAX 8192

enum export_type { EXP_STR, EXP_INT, EXP_NUM, EXP_IP };

struct export_field {
	const char *name;
	enum export_type type;
	/* a field added later: its value when an older export lacks it (only
	 * trailing fields may have one); NULL: required */
	const char *dflt;
};

struct export_kind {
	const char *kind;     /* first TSV field */
	const char *parent;   /* kind this one follows (user, pair), or NULL */
	const char *json_key; /* array holding it in JSON */
	const struct export_field *fields; /* after the kind */
	size_t nfields;
};

/* export_kind_find - the schema of kind (n bytes), or NULL */
const struct export_kind *export_kind_find(const char *kind, size_t n);
/* export_kinds - every kind, n set to how many */
const struct export_kind *export_kinds(size_t *n);

/* export_line_fn - one finished record line (no newline) */
typedef void export_line_fn(void *arg, const char *line);

/* export_grant - gi as a grant line and its user lines */
void export_grant(const struct grant_info *gi, export_line_fn *fn, void *arg);
/*
 * export_bl - bi as a black line; kernel_left: seconds the firewall's kernel
 * timer has left for bi's ban (fw_kernel_left), -1 unknown.  Import reads it
 * and ignores it: the kernel is set from the state, not from a file.
 */
void export_bl(const struct bl_info *bi, long long kernel_left,
    export_line_fn *fn, void *arg);
/* export_fish - fi as a fish line and its pair lines */
void export_fish(const struct fish_info *fi, export_line_fn *fn, void *arg);
struct evidence_item;
/*
 * export_evidence - one kept log line of ip as an evidence line (explain
 * only: export does not carry evidence and import refuses it)
 */
void export_evidence(const struct addr *ip, const struct evidence_item *it,
    export_line_fn *fn, void *arg);

/* what import does with each complete record */
struct import_ops {
	void (*grant)(void *arg, const struct grant_info *gi);
	void (*bl)(void *arg, const struct bl_info *bi);
	void (*fish)(void *arg, const struct fish_info *fi);
	void *arg;
};

struct import;

/* import_new - a reader handing complete records to ops; caller owns */
struct import *import_new(const struct import_ops *ops);
/*
 * import_line - one line (NUL-terminated, no newline; changed in place).
 * Blank lines and "#" comments are skipped.  0, or -1 with a message in err.
 */
int import_line(struct import *im, char *line, char *err, size_t errsize);
/* import_end - hand over the last pending record; 0 or -1 (err) */
int import_end(struct import *im, char *err, size_t errsize);
/* import_free - release (pending records are dropped) */
void import_free(struct import *im);

/* export_unescape - undo \ooo escapes of s in place; returns s */
char *export_unescape(char *s);
/* export_clean - text for a record field: control bytes (tab, newline) become \ooo */
const char *export_clean(char *buf, size_t size, const char *s);

#endif

/*
 * ctl_json.h - JSON for popauthctl: export.h records out as JSON, and a
 * JSON export back into records for import.
 *
 * For popauthctl.c and ctl_print.c.  Output: a record becomes an object named
 * by the schema (export.h), one record a line; user and pair records nest in
 * their parent as "users" and "pairs"; numbers stay numbers, "banned" is a
 * boolean.  Input: jansson (RFC 8259, UTF-8, depth at most 16, duplicate
 * member names refused) reads what ctl_json_write produces and hand-written
 * equivalents.  Every record read still passes import_line before use.
 */
#ifndef POPAUTHD_CTL_JSON_H
#define POPAUTHD_CTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * ctl_json_write - records lines[0..n) as JSON to out.  kind "": an object
 * with one array per top-level kind (grants, blacklist, fishing; status as
 * an object of name: value); kind "grant"/"black"/"fish": only that array;
 * kind "explain": as "", with an "evidence" array too.
 * export: add "popauthd_export": 1.
 */
void ctl_json_write(
    FILE *out, char **lines, size_t n, const char *kind, bool export);
/*
 * ctl_json_records - parse a JSON export (text, len bytes) and hand one
 * record line at a time to fn; 0, or -1 with a message in err
 */
int ctl_json_records(const char *text, size_t len,
    void (*fn)(void *arg, const char *line), void *arg, char *err,
    size_t errsize);

#endif

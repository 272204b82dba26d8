/*
 * ctl_print.h - popauthctl's output: readable tables, "show" and "status"
 * layouts, or JSON, from the record lines the daemon (or the offline state
 * reader) returned.
 *
 * For popauthctl.c.  Records are export.h lines; nothing here talks to the
 * daemon or changes anything.
 */
#ifndef POPAUTHD_CTL_PRINT_H
#define POPAUTHD_CTL_PRINT_H

#include <stdbool.h>
#include <stddef.h>

/* record lines, owned by whoever filled them */
struct ctl_lines {
	char **v;
	size_t n, cap;
};

struct conf;

/*
 * ctl_print - print the records of command cmd (what: list's argument);
 * c (may be NULL) gives show its thresholds
 */
void ctl_print(const char *cmd, const char *what, const struct ctl_lines *l,
    bool json, const struct conf *c);

#endif

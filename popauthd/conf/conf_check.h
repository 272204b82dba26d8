/*
 * conf_check.h - the checks a setting needs beyond its type.
 *
 * For conf.c, which runs them in conf_load, and through conf.h for the
 * modules that parse a checked value again (conf_ports: fw.c).
 */
#ifndef POPAUTHD_CONF_CHECK_H
#define POPAUTHD_CONF_CHECK_H

#include "conf_def.h"

/* conf_error_fn - log "file:line: message" for key, where it was set */
typedef void conf_error_fn(const struct conf *c, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/*
 * conf_check - every value check beyond its type, run by conf_load, so
 * start, SIGHUP and --check-config refuse the same things; each bad value
 * goes to err (conf.c knows where it was set); 0 or -1
 */
int conf_check(const struct conf *c, conf_error_fn *err);

#define CONF_PORTS_MAX 15 /* nullroute_ports entries */
/* conf_ports - "25, 465, 1000-2000" into at most max ranges; NULL or why not */
const char *conf_ports(const char *text, unsigned short *lo, unsigned short *hi,
    size_t max, size_t *n);

#endif

/*
 * conf_int.h - what conf.c (parsing) and conf_check.c (the checks that need
 * more than a type) share.  Private to those two files.
 */
#ifndef POPAUTHD_CONF_INT_H
#define POPAUTHD_CONF_INT_H

#include "conf.h"

/* conf_error_fn - log "file:line: message" for key, where it was set */
typedef void conf_error_fn(const struct conf *c, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/*
 * conf_check - every value check beyond its type, run by conf_load, so
 * start, SIGHUP and --check-config refuse the same things; each bad value
 * goes to err (conf.c knows where it was set); 0 or -1
 */
int conf_check(const struct conf *c, conf_error_fn *err);

#endif

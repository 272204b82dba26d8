/*
 * conf.h - popauthd.conf: Postfix main.cf style "name = value" settings.
 *
 * For main.c (load at start and on SIGHUP) and every module that reads a setting.
 * A struct conf is built whole from defaults, the file and -o overrides, checked,
 * and only then swapped in: a bad reload keeps the old one.  Errors name
 * file:line and the key; unknown keys are refused.
 */
#ifndef POPAUTHD_CONF_H
#define POPAUTHD_CONF_H

#include "conf_check.h" /* conf_ports */
#include "conf_def.h"

/* conf_default_file - the compiled-in default config path */
const char *conf_default_file(void);
/*
 * conf_load - defaults, then FILE (NULL: none), then "name=value" overrides;
 * returns a new conf or NULL after writing "file:line: message" to stderr/log.
 * Caller owns; conf_free().
 */
struct conf *conf_load(
    const char *file, char *const *overrides, size_t noverrides);
/*
 * conf_where - "file:line" (or "-o:N", or the file for a default) where key
 * got its value, into buf
 */
const char *conf_where(
    const struct conf *c, const char *key, char *buf, size_t size);
/* conf_free - release a conf (NULL is fine) */
void conf_free(struct conf *c);
/* conf_fw_name - "none", "iptables", "nftables" or "auto" */
const char *conf_fw_name(enum fw_backend b);
/* conf_map_name - "hash" or "lmdb": the map type as main.cf names it */
const char *conf_map_name(enum map_type t);
/* conf_dump - write every key = value (postconf -n style) to fd */
void conf_dump(const struct conf *c, int fd);

#endif

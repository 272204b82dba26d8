/*
 * strpool.h - shared copies of strings that repeat across many records.
 *
 * For blacklist.c: a million entries name a handful of DNSBLs, so each entry
 * holds a reference to one shared copy of its list name instead of its own.
 * Every strpool_get() takes a reference and needs one strpool_put(); the last
 * put frees the string, so the pool never holds more strings than live
 * references name, whatever a log line writes there.  One pool for the process
 * (the daemon is single-threaded); strings are compared byte for byte.
 */
#ifndef POPAUTHD_STRPOOL_H
#define POPAUTHD_STRPOOL_H

#include <stddef.h>

/* strpool_get - the shared copy of s, one reference more; strpool_put() */
const char *strpool_get(const char *s);
/* strpool_put - drop a reference strpool_get() gave; accepts NULL */
void strpool_put(const char *s);
/* strpool_count - number of distinct strings held */
size_t strpool_count(void);

#endif

/*
 * linetest.h - what popauthd --test prints for one log line.
 *
 * For main.c (--test) and test/unit/check_rule.c (the corpus), so the two
 * cannot drift apart.  Each line gives "-" or "RULE KIND field=value ...";
 * two-line logins (loginpair.h) are paired across the lines of one run, and
 * the pairing adds "=> pending", "=> grant ip=ADDR", "=> unpaired", ...  No
 * state, map or firewall is touched.
 */
#ifndef POPAUTHD_LINETEST_H
#define POPAUTHD_LINETEST_H

#include "rule.h"

#include <stddef.h>
#include <time.h>

struct linetest;

/* linetest_new - tester over rs (borrowed); pairing window in seconds */
struct linetest *linetest_new(struct ruleset *rs, time_t window);
/* linetest_free - release (NULL is fine) */
void linetest_free(struct linetest *t);
/* linetest_line - one line (len bytes) into out; returns the length */
size_t linetest_line(
    struct linetest *t, const char *line, size_t len, char *out, size_t size);

#endif

/*
 * linetest.c - one log line as popauthd --test shows it (see linetest.h).
 *
 * The log's own stamps are the clock, as in --replay, so a pair further apart
 * than the window shows as unpaired here too.
 */
#include "linetest.h"
#include "loginpair.h"
#include "logline.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINETEST_PAIR_MAX 4096
#define LINETEST_PAIR_SRC 16

struct linetest {
	struct ruleset *rs;
	struct lpair *pairs;
	struct logline_year year;
};

struct linetest *
linetest_new(struct ruleset *rs, time_t window)
{
	struct linetest *t = xcalloc(1, sizeof(*t));

	t->rs = rs;
	t->pairs = lpair_new(LINETEST_PAIR_MAX, LINETEST_PAIR_SRC, window);
	t->year.last_mon = -1;
	return t;
}

void
linetest_free(struct linetest *t)
{
	if (t == NULL)
		return;
	lpair_free(t->pairs);
	free(t);
}

size_t
linetest_line(
    struct linetest *t, const char *line, size_t len, char *out, size_t size)
{
	struct logline ll;
	struct event ev;
	struct addr ip;
	enum lpair_result r;
	char a[ADDR_STRLEN];
	size_t n;

	if (size == 0)
		return 0;
	if (logline_parse(line, len, &ll, &t->year) < 0 ||
	    !rule_match(t->rs, &ll, &ev))
		return (size_t)snprintf(out, size, "-");
	n = rule_format_event(&ev, out, size);
	if (ev.kind == EV_LOGIN) {
		lpair_event(t->pairs, &ev, ll.when, &ip);
		return n;
	}
	if (ev.kind != EV_LOGIN_START && ev.kind != EV_LOGIN_DONE &&
	    ev.kind != EV_LOGIN_FAIL)
		return n;
	r = lpair_event(t->pairs, &ev, ll.when, &ip);
	if (r == LPAIR_PAIRED)
		snprintf(out + n, size - n, " => grant ip=%s",
		    addr_format(&ip, a, sizeof(a)));
	else
		snprintf(out + n, size - n, " => %s", lpair_result_name(r));
	return strlen(out);
}

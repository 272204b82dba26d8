/*
 * linebuf.c - cut what read() returns into log lines (see linebuf.h).
 */
#include "linebuf.h"
#include "log.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

void
linebuf_init(struct linebuf *lb, const char *name)
{
	memset(lb, 0, sizeof(*lb));
	lb->buf = xmalloc(LINEBUF_LINE_MAX + LINEBUF_CHUNK + 1);
	lb->name = name;
}

void
linebuf_free(struct linebuf *lb)
{
	free(lb->buf);
	lb->buf = NULL;
}

char *
linebuf_space(struct linebuf *lb, size_t *room)
{
	*room = LINEBUF_LINE_MAX + LINEBUF_CHUNK - lb->len;
	return lb->buf + lb->len;
}

static void
linebuf_drop(struct linebuf *lb)
{
	lb->dropped++;
	if (lb->dropped <= 10 || lb->dropped % 1000 == 0)
		log_warn(
		    "%s: dropped a line longer than %d bytes (%llu so far)",
		    lb->name, LINEBUF_LINE_MAX, lb->dropped);
}

size_t
linebuf_add(struct linebuf *lb, size_t n, linebuf_fn *fn, void *arg)
{
	char *p = lb->buf, *end = lb->buf + lb->len + n, *nl;
	size_t used;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (lb->skipping) {
			lb->skipping = false;
		} else if ((size_t)(nl - p) > LINEBUF_LINE_MAX) {
			linebuf_drop(lb);
		} else {
			*nl = '\0';
			fn(arg, p, (size_t)(nl - p));
		}
		p = nl + 1;
	}
	lb->len = (size_t)(end - p);
	used = (size_t)(p - lb->buf);
	if (lb->len > LINEBUF_LINE_MAX) {
		/* no newline within the limit: drop what we have, skip to the next */
		if (!lb->skipping)
			linebuf_drop(lb);
		lb->skipping = true;
		used += lb->len;
		lb->len = 0;
	} else if (lb->len > 0 && p != lb->buf) {
		memmove(lb->buf, p, lb->len);
	}
	return used;
}

void
linebuf_finish(struct linebuf *lb, linebuf_fn *fn, void *arg)
{
	if (lb->len > 0 && !lb->skipping) {
		lb->buf[lb->len] = '\0';
		fn(arg, lb->buf, lb->len);
	}
	linebuf_reset(lb);
}

void
linebuf_reset(struct linebuf *lb)
{
	lb->len = 0;
	lb->skipping = false;
}

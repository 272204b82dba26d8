/*
 * journal.c - the systemd journal as a log source (see journal.h).
 *
 * sd-journal does the reading; we keep one line buffer and rebuild each entry
 * in it.  "held": after a resume whose cursor entry is gone (vacuumed), the
 * journal already stands on the first entry not yet handed out, so the next
 * read hands that one out before moving on.  A cursor is only asked for when
 * the engine commits (journal_position), never per entry.
 */
#include "journal.h"
#include "clock.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <time.h>

struct journal {
	sd_journal *j;
	char *name; /* for messages */
	time_t back;
	bool held;    /* the current entry is not handed out yet */
	bool have;    /* an entry was handed out since the resume */
	bool pending; /* the last read stopped at its budget */
	char *buf;
	unsigned long long dropped;
};

struct journal *
journal_open(const char *dir, time_t back)
{
	struct journal *jn;
	sd_journal *j;
	int r;

	if (dir != NULL && *dir != '\0')
		r = sd_journal_open_directory(&j, dir, 0);
	else
		r = sd_journal_open(
		    &j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
	if (r < 0) {
		log_error("%s: cannot open the journal: %s",
		    dir != NULL && *dir != '\0' ? dir : "system journal",
		    strerror(-r));
		return NULL;
	}
	/* the mail facility, as the rsyslog snippet's mail.* */
	if ((r = sd_journal_add_match(j, "SYSLOG_FACILITY=2", 0)) < 0) {
		log_error("journal: cannot add a match: %s", strerror(-r));
		sd_journal_close(j);
		return NULL;
	}
	jn = xcalloc(1, sizeof(*jn));
	jn->j = j;
	jn->name = xstrdup(dir != NULL && *dir != '\0' ? dir : "journal");
	jn->back = back;
	jn->buf = xmalloc(JOURNAL_LINE_MAX + 1);
	if (journal_resume(jn, NULL, 0) < 0) {
		journal_close(jn);
		return NULL;
	}
	return jn;
}

void
journal_close(struct journal *jn)
{
	if (jn == NULL)
		return;
	sd_journal_close(jn->j);
	free(jn->name);
	free(jn->buf);
	free(jn);
}

int
journal_fd(struct journal *jn)
{
	int fd = sd_journal_get_fd(jn->j);

	if (fd < 0) {
		log_error("%s: no descriptor to wait on: %s", jn->name,
		    strerror(-fd));
		return -1;
	}
	return fd;
}

bool
journal_pending(const struct journal *jn)
{
	return jn->pending;
}

unsigned long long
journal_dropped(const struct journal *jn)
{
	return jn->dropped;
}

/* field - the value of field name ("NAME=") of the current entry, or NULL */
static const char *
field(struct journal *jn, const char *name, size_t *len)
{
	const void *d;
	size_t n, k = strlen(name);

	if (sd_journal_get_data(jn->j, name, &d, &n) < 0 || n <= k ||
	    memcmp(d, name, k) != 0 || ((const char *)d)[k] != '=')
		return NULL;
	*len = n - k - 1;
	return (const char *)d + k + 1;
}

/* put - append n bytes at *at; false when the line is full */
static bool
put(char *buf, size_t *at, const char *s, size_t n)
{
	if (n > JOURNAL_LINE_MAX - *at)
		return false;
	memcpy(buf + *at, s, n);
	*at += n;
	return true;
}

/* put_clean - append s with control characters as #ooo, as rsyslog does */
static bool
put_clean(char *buf, size_t *at, const char *s, size_t n)
{
	size_t i;
	char esc[8];

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f) {
			snprintf(esc, sizeof(esc), "#%03o", ch);
			if (!put(buf, at, esc, 4))
				return false;
		} else if (!put(buf, at, s + i, 1)) {
			return false;
		}
	}
	return true;
}

/* journal_line - rebuild the current entry as a traditional syslog line */
static int
journal_line(struct journal *jn, size_t *len)
{
	const char *host, *ident, *pid, *msg;
	size_t hl, il, pl, ml, at;
	uint64_t usec;
	time_t t;
	char stamp[CLOCK_STAMP_MAX];

	if ((msg = field(jn, "MESSAGE", &ml)) == NULL)
		return -1; /* nothing a rule could match */
	if (sd_journal_get_realtime_usec(jn->j, &usec) < 0)
		usec = 0;
	t = (time_t)(usec / 1000000);
	if (clock_stamp(stamp, t, CLOCK_SYSLOG) == 0)
		snprintf(stamp, sizeof(stamp), "Jan  1 00:00:00");
	if ((host = field(jn, "_HOSTNAME", &hl)) == NULL) {
		host = "localhost";
		hl = strlen(host);
	}
	if ((ident = field(jn, "SYSLOG_IDENTIFIER", &il)) == NULL &&
	    (ident = field(jn, "_COMM", &il)) == NULL) {
		ident = "unknown";
		il = strlen(ident);
	}
	if ((pid = field(jn, "SYSLOG_PID", &pl)) == NULL)
		pid = field(jn, "_PID", &pl);
	at = 0;
	if (!put(jn->buf, &at, stamp, strlen(stamp)) ||
	    !put(jn->buf, &at, " ", 1) || !put_clean(jn->buf, &at, host, hl) ||
	    !put(jn->buf, &at, " ", 1) || !put_clean(jn->buf, &at, ident, il))
		return -2;
	if (pid != NULL &&
	    (!put(jn->buf, &at, "[", 1) || !put_clean(jn->buf, &at, pid, pl) ||
	        !put(jn->buf, &at, "]", 1)))
		return -2;
	if (!put(jn->buf, &at, ": ", 2) || !put_clean(jn->buf, &at, msg, ml))
		return -2;
	jn->buf[at] = '\0';
	*len = at;
	return 0;
}

/* journal_drop - count a line over JOURNAL_LINE_MAX */
static void
journal_drop(struct journal *jn)
{
	jn->dropped++;
	if (jn->dropped <= 10 || jn->dropped % 1000 == 0)
		log_warn("%s: dropped an entry longer than %d bytes (%llu so "
		         "far)",
		    jn->name, JOURNAL_LINE_MAX, jn->dropped);
}

int
journal_read(struct journal *jn, size_t budget, journal_line_fn *fn, void *arg)
{
	size_t got = 0, len;
	bool any = false;
	int r;

	/* what woke us: appended entries, new or removed files */
	if ((r = sd_journal_process(jn->j)) < 0)
		log_warn("%s: %s", jn->name, strerror(-r));
	jn->pending = false;
	while (got < budget) {
		if (jn->held) {
			jn->held = false;
		} else if ((r = sd_journal_next(jn->j)) < 0) {
			log_error("%s: %s", jn->name, strerror(-r));
			return -1;
		} else if (r == 0) {
			return any ? 1 : 0;
		}
		any = jn->have = true;
		switch (journal_line(jn, &len)) {
		case 0:
			fn(arg, jn->buf, len);
			got += len + 1;
			break;
		case -2:
			journal_drop(jn);
			break;
		default:
			break;
		}
	}
	jn->pending = true;
	return 1;
}

int
journal_check(struct journal *jn)
{
	int r = sd_journal_process(jn->j);

	if (r < 0) {
		log_warn("%s: %s", jn->name, strerror(-r));
		return -1;
	}
	/*
	 * Without inotify (sd_journal_get_timeout) this look is the wake-up;
	 * with it, the net under a wake-up that found the entry half-linked:
	 * a burst's last entry then waited for the next one (once in the
	 * bench's live journal row, 1 of 3M entries was still unread after
	 * its 5-minute wait).  So always look: one sd_journal_next every 10 s.
	 */
	jn->pending = true;
	return 0;
}

size_t
journal_position(struct journal *jn, void *buf, size_t size)
{
	char *c = NULL;
	size_t n;
	int r;

	if (!jn->have || jn->held)
		return 0;
	if ((r = sd_journal_get_cursor(jn->j, &c)) < 0) {
		log_warn("%s: no cursor: %s", jn->name, strerror(-r));
		return 0;
	}
	n = strlen(c);
	if (n > size) {
		log_warn("%s: cursor of %zu bytes: not kept", jn->name, n);
		free(c);
		return 0;
	}
	memcpy(buf, c, n);
	free(c);
	return n;
}

/* journal_seek_back - from back seconds ago (the first start) */
static int
journal_seek_back(struct journal *jn)
{
	struct timespec ts;
	uint64_t usec;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	usec = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	usec -= (uint64_t)jn->back * 1000000 < usec
	    ? (uint64_t)jn->back * 1000000
	    : usec;
	if ((r = sd_journal_seek_realtime_usec(jn->j, usec)) < 0) {
		log_error("%s: cannot seek: %s", jn->name, strerror(-r));
		return -1;
	}
	jn->pending = true; /* what is there already wakes nobody */
	return 0;
}

int
journal_resume(struct journal *jn, const void *pos, size_t len)
{
	char cursor[1024];
	int r;

	jn->held = jn->have = jn->pending = false;
	if (len == 0 || len >= sizeof(cursor))
		return journal_seek_back(jn);
	memcpy(cursor, pos, len);
	cursor[len] = '\0';
	if ((r = sd_journal_seek_cursor(jn->j, cursor)) < 0) {
		log_warn("%s: bad stored cursor (%s): reading from %lld s back",
		    jn->name, strerror(-r), (long long)jn->back);
		return journal_seek_back(jn);
	}
	if ((r = sd_journal_next(jn->j)) < 0) {
		log_error("%s: %s", jn->name, strerror(-r));
		return -1;
	}
	/* the entry itself was acted on; gone (vacuumed): hand out this one */
	if (r > 0 && sd_journal_test_cursor(jn->j, cursor) <= 0) {
		log_warn("%s: the stored entry is gone: going on from the next",
		    jn->name);
		jn->held = true;
	}
	jn->pending = true;
	return 0;
}

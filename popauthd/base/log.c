/*
 * log.c - write popauthd's log to log_file and/or syslog (see log.h).
 *
 * The file is opened O_APPEND and every line is one write(2), so lines from a
 * crashing process are never interleaved half-way.  Stamps use clock_now(), so a
 * replay logs the log's own times.  Event lines wait in a bounded buffer until the
 * state commit that makes them true; the engine then seals them with two tags
 * (the map changes they need) and releases sealed segments, in order, once
 * the tables Postfix reads hold those changes.
 *
 * A replay's scanner thread (engine/replay.c) may warn while the main thread
 * logs: one mutex guards the sinks and the held lines (recursive, since
 * a flush can start inside a hold).  While the replay's write-behind
 * thread runs, held lines go to the file through it (the buffer is
 * swapped with a spare), and a line written at once waits for them.
 */
#include "log.h"
#include "clock.h"
#include "fmt.h"
#include "wbehind.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048
#define LOG_HELD_MAX (16 * 1024 * 1024)
#define LOG_SEGS_MAX 4096 /* sealed segments waiting; more are merged */
/*
 * Batch mode (a replay) writes its lines past this: the write-behind
 * thread then copies them while they are still in the cache, and the two
 * buffers stay small (8 MiB, grown to 16 MiB each, cost a 1M-line replay a
 * tenth more CPU).  Counted here, per line, so a replay on one thread and
 * one on two write at the same lines.
 */
#define LOG_BATCH_HELD (1024 * 1024)

static int log_fd = -1;
static bool log_syslog;
static bool log_stderr = true;
static bool log_dbg;
static bool log_batch;
static char *held;
static size_t held_len, held_size;
static char *spare; /* queued to wbehind under spare_ticket */
static size_t spare_size;
static unsigned long spare_ticket;
/* sealed segments of held: [seg[i-1].end, seg[i].end), oldest first */
static struct log_seg {
	size_t end;
	unsigned long long tag[2];
} segs[LOG_SEGS_MAX];
static size_t nsegs;
static char last_error[256];

static void hold_format(const char *level, const char *fmt, va_list ap);
static void events_flush(void);

static pthread_mutex_t log_mu = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
#define LOCK()   pthread_mutex_lock(&log_mu)
#define UNLOCK() pthread_mutex_unlock(&log_mu)

/* " popauthd[PID]: ", made once per process (getpid is a system call) */
static char tag[48];
static size_t tag_len;

static void
log_forked(void)
{
	static const pthread_mutex_t fresh =
	    PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

	tag_len = 0;
	/* the parent's other thread may have held it at the fork */
	memcpy(&log_mu, &fresh, sizeof(log_mu));
}

int
log_open(const char *file, bool use_syslog, bool to_stderr)
{
	static bool hooked;
	int fd = -1;

	if (!hooked && pthread_atfork(NULL, NULL, log_forked) == 0)
		hooked = true;
	if (file != NULL && *file != '\0') {
		fd =
		    open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd < 0)
			return -1;
	}
	if (log_fd >= 0) {
		if (spare != NULL) /* its held lines first */
			wb_wait(spare_ticket);
		close(log_fd);
	}
	log_fd = fd;
	if (log_syslog)
		closelog();
	log_syslog = use_syslog;
	if (log_syslog)
		openlog("popauthd", LOG_PID | LOG_NDELAY, LOG_MAIL);
	log_stderr = to_stderr;
	return 0;
}

void
log_close(void)
{
	if (log_fd >= 0) {
		if (spare != NULL)
			wb_wait(spare_ticket);
		close(log_fd);
	}
	log_fd = -1;
	if (log_syslog)
		closelog();
	log_syslog = false;
}

void
log_set_batch(bool on)
{
	log_batch = on;
}

void
log_set_debug(bool on)
{
	log_dbg = on;
}

const char *
log_last_error(void)
{
	return last_error;
}

/* file_write - len bytes to log_fd, behind any queued held lines */
static void
file_write(const char *buf, size_t len)
{
	if (log_fd < 0)
		return;
	if (spare != NULL)
		wb_wait(spare_ticket);
	if (write(log_fd, buf, len) < 0) {
		/* nowhere better to say it */
	}
}

/*
 * held_behind - queue held[0, held_len) to the write-behind thread and
 * go on in the spare buffer, holding the rest bytes after held_len;
 * false when the thread is not running (or no memory for a spare)
 */
static bool
held_behind(size_t rest)
{
	char *full = held;
	size_t size = held_size;

	if (log_fd < 0 || !wb_running())
		return false;
	if (spare != NULL)
		wb_wait(spare_ticket);
	if (spare_size < held_size) {
		char *p = realloc(spare, held_size);

		if (p == NULL)
			return false;
		spare = p;
		spare_size = held_size;
	}
	spare_ticket = wb_write(log_fd, full, held_len, WB_APPEND, NULL);
	memcpy(spare, full + held_len, rest);
	held = spare;
	held_size = spare_size;
	spare = full;
	spare_size = size;
	return true;
}

/* log_format - "Mon DD HH:MM:SS popauthd[pid]: level: text\n" into buf */
static size_t
log_format(
    char *buf, size_t size, const char *level, const char *fmt, va_list ap)
{
	time_t now = clock_now();
	size_t len;
	int n;

	if (now == 0) /* a replay before its first stamp */
		now = time(NULL);
	/* size is LOG_LINE_MAX: the stamp, tag and level always fit */
	len = clock_stamp(buf, now, CLOCK_SYSLOG);
	if (tag_len == 0) /* first line, or first of a forked child */
		tag_len = (size_t)snprintf(
		    tag, sizeof(tag), " popauthd[%ld]: ", (long)getpid());
	memcpy(buf + len, tag, tag_len);
	len += tag_len;
	n = (int)strlen(level);
	memcpy(buf + len, level, (size_t)n);
	len += (size_t)n;
	n = fmt_v(buf + len, size - len - 1, fmt, ap);
	if (n > 0)
		len += (size_t)n < size - len - 1 ? (size_t)n : size - len - 2;
	buf[len++] = '\n';
	buf[len] = '\0';
	return len;
}

/* log_emit - write one formatted line to every sink */
static void
log_emit(int prio, const char *level, const char *fmt, va_list ap)
{
	char buf[LOG_LINE_MAX];
	size_t len;
	int saved = errno;

	LOCK(); /* log_format's stamp cache too */
	if (prio > LOG_WARNING && (log_batch || held_len > 0)) {
		/* behind the held event lines, so the log keeps its order */
		hold_format(level, fmt, ap);
		UNLOCK();
		errno = saved;
		return;
	}
	len = log_format(buf, sizeof(buf), level, fmt, ap);
	if (prio <= LOG_WARNING) {
		const char *msg = strstr(buf, "]: ");

		const char *src = msg != NULL ? msg + 3 : buf;
		size_t n = strcspn(src, "\n");

		if (n >= sizeof(last_error))
			n = sizeof(last_error) - 1;
		memcpy(last_error, src, n);
		last_error[n] = '\0';
	}
	file_write(buf, len); /* failing, stderr below still may work */
	if ((log_stderr || (log_batch && prio <= LOG_WARNING)) &&
	    (log_fd < 0 || log_fd != STDERR_FILENO))
		if (write(STDERR_FILENO, buf, len) < 0) {
			/* ignore */
		}
	if (log_syslog) {
		const char *msg = strstr(buf, "]: ");

		syslog(prio, "%.*s", (int)(len - 1 - (size_t)(msg + 3 - buf)),
		    msg + 3);
	}
	UNLOCK();
	errno = saved;
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_dbg)
		return;
	va_start(ap, fmt);
	log_emit(LOG_DEBUG, "debug: ", fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, "", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, "warning: ", fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_ERR, "error: ", fmt, ap);
	va_end(ap);
}

void
log_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, "panic: ", fmt, ap);
	va_end(ap);
	abort();
}

void
log_event(const char *fmt, ...)
{
	va_list ap;

	LOCK();
	va_start(ap, fmt);
	hold_format("", fmt, ap);
	va_end(ap);
	UNLOCK();
}

/* hold_room - room for len more held bytes (and a NUL): where they go */
static char *
hold_room(size_t len)
{
	char *p;

	if (held_len + len > LOG_HELD_MAX) {
		/*
		 * Tables that cannot be written (disk full) or a huge burst in one
		 * tick: write now rather than grow without bound, and say so.
		 */
		static const char note[] =
		    "popauthd: warning: event log lines below written before "
		    "their tables were (held too long)\n";

		file_write(note, sizeof(note) - 1);
		events_flush();
	}
	if (held_len + len + 1 > held_size) {
		held_size = held_size ? held_size * 2 : 16384;
		while (held_size < held_len + len + 1)
			held_size *= 2;
		/* log.c sits below util.c: no xrealloc, which would log */
		if ((p = realloc(held, held_size)) == NULL) {
			static const char oom[] = "popauthd: panic: out of "
			                          "memory for held log lines\n";

			if (write(STDERR_FILENO, oom, sizeof(oom) - 1) < 0) {
				/* nothing left to try */
			}
			abort();
		}
		held = p;
	}
	return held + held_len;
}

/* hold_format - a line formatted straight into the held lines */
static void
hold_format(const char *level, const char *fmt, va_list ap)
{
	char *p = hold_room(LOG_LINE_MAX);

	held_len += log_format(p, LOG_LINE_MAX, level, fmt, ap);
	if (log_batch && held_len > LOG_BATCH_HELD)
		events_flush();
}

void
log_events_flush(void)
{
	LOCK();
	events_flush();
	UNLOCK();
}

/*
 * flush_keep - write held[0, held_len) to every sink; the rest bytes
 * after it move to the front and stay held
 */
static void
flush_keep(size_t rest)
{
	size_t n = held_len, off = 0;

	if (n == 0)
		return;
	if (log_stderr && log_fd != STDERR_FILENO &&
	    write(STDERR_FILENO, held, n) < 0) {
		/* ignore */
	}
	while (log_syslog && off < n) {
		const char *eol = memchr(held + off, '\n', n - off);
		const char *msg = strstr(held + off, "]: ");

		syslog(LOG_INFO, "%.*s", (int)(eol - (msg + 3)), msg + 3);
		off = (size_t)(eol - held) + 1;
	}
	/* one write for the whole tick: lines stay whole (O_APPEND) */
	if (!held_behind(rest)) {
		if (log_fd >= 0 && write(log_fd, held, n) < 0) {
			/* nowhere better to say it */
		}
		if (rest > 0)
			memmove(held, held + n, rest);
	}
	held_len = rest;
}

static void
events_flush(void)
{
	flush_keep(0);
	nsegs = 0;
}

/* log_write_held - write held[0, n) to every sink and forget it */
static void
log_write_held(size_t n)
{
	size_t rest = held_len - n, i, k;

	held_len = n;
	flush_keep(rest);
	for (i = k = 0; i < nsegs; i++) {
		if (segs[i].end <= n)
			continue;
		segs[k] = segs[i];
		segs[k++].end -= n;
	}
	nsegs = k;
}

void
log_events_seal(unsigned long long tag0, unsigned long long tag1)
{
	size_t start;

	LOCK();
	start = nsegs > 0 ? segs[nsegs - 1].end : 0;
	if (held_len == start) {
		UNLOCK();
		return;
	}
	if (nsegs == LOG_SEGS_MAX) {
		/* merge into the newest: it waits for the larger tags */
		segs[nsegs - 1].end = held_len;
		segs[nsegs - 1].tag[0] = tag0;
		segs[nsegs - 1].tag[1] = tag1;
		UNLOCK();
		return;
	}
	segs[nsegs].end = held_len;
	segs[nsegs].tag[0] = tag0;
	segs[nsegs].tag[1] = tag1;
	nsegs++;
	UNLOCK();
}

void
log_events_release(log_ready_fn *ready, void *arg)
{
	size_t i = 0;

	LOCK();
	while (i < nsegs && ready(arg, segs[i].tag[0], segs[i].tag[1]))
		i++;
	if (i > 0)
		log_write_held(segs[i - 1].end);
	UNLOCK();
}

size_t
log_events_held(void)
{
	size_t n;

	LOCK();
	n = held_len;
	UNLOCK();
	return n;
}

bool
log_events_waiting(void)
{
	bool w;

	LOCK();
	w = nsegs > 0;
	UNLOCK();
	return w;
}

void
log_events_drop(void)
{
	LOCK();
	/* only the lines of the failed commit: sealed ones are durable */
	held_len = nsegs > 0 ? segs[nsegs - 1].end : 0;
	UNLOCK();
}

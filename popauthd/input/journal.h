/*
 * journal.h - read the mail facility of the systemd journal as syslog lines.
 *
 * For input.c (the log source interface).  Opens the local system journal,
 * or a directory of journal files (journalctl -D; tests), matches
 * SYSLOG_FACILITY=2 (mail, as the rsyslog snippet's mail.*), and rebuilds
 * each entry as rsyslog's traditional format writes it:
 * "Mon dd HH:MM:SS host IDENT[PID]: MESSAGE" (local time of the entry's
 * realtime stamp, _HOSTNAME, SYSLOG_IDENTIFIER, SYSLOG_PID or _PID), so
 * logline.c and the rules see what they see from the FIFO.  Control
 * characters in MESSAGE become #ooo, as rsyslog writes them.
 * SYSLOG_IDENTIFIER is chosen by the sender, like a syslog tag: it is as
 * much (and as little) a trust anchor as the tag of a FIFO line.
 * Position: the cursor of the last entry handed out (journal_position);
 * journal_resume starts just after it, or, with none, popauth_expire back.
 */
#ifndef POPAUTHD_JOURNAL_H
#define POPAUTHD_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* a rebuilt line longer than this is dropped whole, counted */
#define JOURNAL_LINE_MAX (16 * 1024)

struct journal;

typedef void journal_line_fn(void *arg, char *line, size_t len);

/* journal_open - dir NULL or "": the local system journal; NULL (logged) on error */
struct journal *journal_open(const char *dir, time_t back);
/* journal_close - close and free (NULL is fine) */
void journal_close(struct journal *jn);
/* journal_fd - descriptor to wait on (inotify), or -1 */
int journal_fd(struct journal *jn);
/* journal_read - process wake-up, hand out entries up to budget bytes; 1, 0 none, -1 */
int journal_read(
    struct journal *jn, size_t budget, journal_line_fn *fn, void *arg);
/* journal_pending - the last read stopped at its budget: read again soon */
bool journal_pending(const struct journal *jn);
/* journal_check - the periodic look: process changes (file systems without inotify) */
int journal_check(struct journal *jn);
/* journal_position - the last handed-out entry's cursor into buf; its length, 0 none */
size_t journal_position(struct journal *jn, void *buf, size_t size);
/*
 * journal_resume - continue after the entry at cursor pos (len bytes), or with
 * len 0 from back seconds ago; 0 or -1 (logged: then from back seconds ago)
 */
int journal_resume(struct journal *jn, const void *pos, size_t len);
/* journal_dropped - over-long entries dropped so far */
unsigned long long journal_dropped(const struct journal *jn);

#endif

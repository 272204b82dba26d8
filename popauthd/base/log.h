/*
 * log.h - popauthd's own log: log_file and/or syslog, tiered diagnostics.
 *
 * For every module.  Messages start with their subject, lower case, no full stop
 * (STYLE.md 3).  log_event() lines describe state changes (a grant, a listing, a
 * ban): they are held until state_commit() has made the change durable and then
 * written by log_events_flush(), so a line in the log always means "done".
 */
#ifndef POPAUTHD_LOG_H
#define POPAUTHD_LOG_H

#include <stdbool.h>
#include <stddef.h>

#define LOG_FMT(a, b) __attribute__((format(printf, a, b)))

/* log_open - (re)open log_file (NULL/"" for none) and syslog (ident popauthd) */
int log_open(const char *file, bool use_syslog, bool to_stderr);
/* log_close - close the log file and syslog */
void log_close(void);
/* log_debug - detail for developers, only with log_level = debug */
void log_debug(const char *fmt, ...) LOG_FMT(1, 2);
/* log_info - ordinary happenings */
void log_info(const char *fmt, ...) LOG_FMT(1, 2);
/* log_warn - something went wrong and popauthd carries on */
void log_warn(const char *fmt, ...) LOG_FMT(1, 2);
/* log_error - something failed that needs the admin */
void log_error(const char *fmt, ...) LOG_FMT(1, 2);
/* log_panic - a bug: log and abort (core) */
_Noreturn void log_panic(const char *fmt, ...) LOG_FMT(1, 2);
/* log_event - a state change; written after the next state commit */
void log_event(const char *fmt, ...) LOG_FMT(1, 2);
/* log_events_flush - write every held line now (exit, replay) */
void log_events_flush(void);
/*
 * log_events_seal - the held lines are durable (state committed); they are
 * written once ready(tag0, tag1) says the tables they speak of hold them
 */
void log_events_seal(unsigned long long tag0, unsigned long long tag1);
typedef bool log_ready_fn(
    void *arg, unsigned long long tag0, unsigned long long tag1);
/* log_events_release - write the sealed lines whose tags are ready, in order */
void log_events_release(log_ready_fn *ready, void *arg);
/* log_events_held - bytes of event lines held (sealed or not) */
size_t log_events_held(void);
/* log_events_waiting - true while sealed lines wait for their tables */
bool log_events_waiting(void);
/* log_events_drop - forget the unsealed held lines (the commit failed) */
void log_events_drop(void);
/*
 * log_set_batch - hold every info line until log_events_flush or 1 MiB of
 * them (replay: no seals, one write per MiB)
 */
void log_set_batch(bool on);
/* log_set_debug - enable log_debug output */
void log_set_debug(bool on);
/* log_last_error - text of the last warning or error, "" if none */
const char *log_last_error(void);

#endif

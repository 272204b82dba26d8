/*
 * metrics.h - the daemon's counters as a Prometheus text file.
 *
 * For main.c, from the loop's hooks: metrics_poll() each turn (it writes
 * when metrics_interval has passed and says how long the loop may sleep),
 * metrics_write() once more at exit.  The file (metrics_file) is in the
 * text exposition format node_exporter's textfile collector reads, every
 * name prefixed popauthd_; it is written beside itself and renamed over,
 * so a reader never sees half of it.  Errors: a failed write is logged
 * (the first, then every 100th), counted in the file itself, and retried
 * at the next interval; the daemon carries on.
 */
#ifndef POPAUTHD_METRICS_H
#define POPAUTHD_METRICS_H

struct input;

/* metrics_init - start counting; in (borrowed, may be NULL) gives dropped lines */
void metrics_init(const struct input *in);
/* metrics_poll - write the file when due; ms until the next write, -1 when off */
long long metrics_poll(void);
/* metrics_write - write metrics_file now (no-op when empty); 0 or -1 (logged) */
int metrics_write(void);

#endif

/*
 * wbehind.h - write-behind: file writes done by a thread of their own.
 *
 * For a replay (engine/replay.c starts it) and the writers it carries,
 * log.c and state/recfile.c: a replay writes some 70 MB of log and
 * evidence per million lines, and the kernel's copy of those bytes was a
 * sixth of the main thread, the busier of the two.  While it runs,
 * wb_write queues a buffer, which the thread writes in the order given;
 * the writer keeps the buffer untouched until wb_wait says it is done
 * (a writer keeps two and swaps them).  No logging here: log.c is one of
 * its users.
 */
#ifndef POPAUTHD_WBEHIND_H
#define POPAUTHD_WBEHIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* wb_start - start the thread (a second call, or a failure, does nothing) */
void wb_start(void);
/* wb_stop - wait for every queued write, stop the thread */
void wb_stop(void);
/* wb_running - between wb_start and wb_stop (writers queue only then) */
bool wb_running(void);

/* wb_seal_fn - the last touch to a queued buffer, on the thread, before
 * its write (recfile.c's check words) */
typedef void wb_seal_fn(void *p, size_t len);
/*
 * wb_write - queue len bytes at p for fd, at off or appended (WB_APPEND),
 * sealed first by seal if not NULL; p stays the caller's and must not
 * change until wb_wait(ticket).  Only while running (blocks while the
 * queue is full).
 */
#define WB_APPEND UINT64_MAX
unsigned long wb_write(
    int fd, void *p, size_t len, uint64_t off, wb_seal_fn *seal);
/*
 * wb_write_all - len bytes of p to fd at off (or appended) now, whole,
 * on the caller's thread: 0, or -1 with errno (what the thread does)
 */
int wb_write_all(int fd, const void *p, size_t len, uint64_t off);
/* wb_wait - until the write of ticket, and all before it, are done */
void wb_wait(unsigned long ticket);
/*
 * wb_drain - wait for every queued write: 0, or -1 with errno when one to
 * fd failed since fd's last drain; *failed_off (if not NULL) is then the
 * offset of the first that failed
 */
int wb_drain(int fd, uint64_t *failed_off);

#endif
